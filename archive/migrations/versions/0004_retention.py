"""retention: rule sets, legal holds, plans, items, the step journal, tombstones, fixity

Revision ID: 0004_retention
Revises: 0003
Create Date: 2026-11-25 08:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004_retention"
down_revision = "0003"
branch_labels = None
depends_on = None

BIG = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
TS = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "retention_rulesets",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(length=500), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("loaded_at", TS, nullable=False),
        sa.Column("loaded_by", sa.String(length=200), nullable=True),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_retention_rulesets_year", "retention_rulesets", ["year"])

    op.create_table(
        "retention_holds",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("placed_by", sa.String(length=200), nullable=False),
        sa.Column("placed_at", TS, nullable=False),
        sa.Column("released_by", sa.String(length=200), nullable=True),
        sa.Column("released_at", TS, nullable=True),
        sa.Column("release_reason", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(["case_id"], ["cases.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_retention_holds_case_id", "retention_holds", ["case_id"])

    op.create_table(
        "retention_plans",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("as_of", sa.Date(), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("ruleset_id", sa.Integer(), nullable=True),
        sa.Column("ruleset_sha256", sa.String(length=64), nullable=False),
        sa.Column("items_total", sa.Integer(), nullable=False),
        sa.Column("needs_agreement", sa.Boolean(), nullable=False),
        sa.Column("drafted_by", sa.String(length=200), nullable=False),
        sa.Column("drafted_at", TS, nullable=False),
        sa.Column("ek_by", sa.String(length=200), nullable=True),
        sa.Column("ek_at", TS, nullable=True),
        sa.Column("ek_decision", sa.String(length=200), nullable=True),
        sa.Column("ek_date", sa.Date(), nullable=True),
        sa.Column("epk_by", sa.String(length=200), nullable=True),
        sa.Column("epk_at", TS, nullable=True),
        sa.Column("epk_reference", sa.String(length=200), nullable=True),
        sa.Column("epk_date", sa.Date(), nullable=True),
        sa.Column("applied_by", sa.String(length=200), nullable=True),
        sa.Column("applied_at", TS, nullable=True),
        sa.Column("act_sha256", sa.String(length=64), nullable=True),
        sa.Column("export_path", sa.String(length=1000), nullable=True),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("number", name="uq_retention_plan_number"),
    )
    op.create_index("ix_retention_plans_state", "retention_plans", ["state"])

    op.create_table(
        "retention_plan_items",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("plan_id", sa.String(length=32), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("case_number", sa.String(length=64), nullable=False),
        sa.Column("rule", sa.String(length=64), nullable=False),
        sa.Column("action", sa.String(length=16), nullable=False),
        sa.Column("nomenclature", sa.String(length=64), nullable=True),
        sa.Column("article", sa.String(length=500), nullable=True),
        sa.Column("period", sa.String(length=64), nullable=True),
        sa.Column("clock_start", sa.Date(), nullable=False),
        sa.Column("due", sa.Date(), nullable=False),
        sa.Column("retain_until", sa.Date(), nullable=True),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("done_at", TS, nullable=True),
        sa.Column("facts", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(["plan_id"], ["retention_plans.id"]),
        sa.ForeignKeyConstraint(["case_id"], ["cases.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("plan_id", "case_id", "rule", name="uq_plan_item"),
    )
    op.create_index("ix_retention_plan_items_plan_id", "retention_plan_items", ["plan_id"])
    op.create_index("ix_retention_plan_items_case_id", "retention_plan_items", ["case_id"])
    op.create_index("ix_retention_plan_items_rule", "retention_plan_items", ["rule"])
    op.create_index("ix_retention_plan_items_state", "retention_plan_items", ["state"])

    op.create_table(
        "retention_plan_steps",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("plan_id", sa.String(length=32), nullable=False),
        sa.Column("item_id", sa.Integer(), nullable=False),
        sa.Column("step", sa.String(length=32), nullable=False),
        sa.Column("at", TS, nullable=False),
        sa.Column("audit_floor", BIG, nullable=False),
        sa.Column("audit_seq", BIG, nullable=True),
        sa.Column("details", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("plan_id", "item_id", "step", name="uq_plan_step"),
    )
    op.create_index("ix_retention_plan_steps_plan_id", "retention_plan_steps", ["plan_id"])

    op.create_table(
        "retention_tombstones",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("centre", sa.String(length=200), nullable=False),
        sa.Column("case_number", sa.String(length=64), nullable=False),
        sa.Column("plan_id", sa.String(length=32), nullable=False),
        sa.Column("act_number", sa.Integer(), nullable=False),
        sa.Column("act_sha256", sa.String(length=64), nullable=True),
        sa.Column("destroyed_at", TS, nullable=False),
        sa.Column("destroyed_by", sa.String(length=200), nullable=False),
        sa.Column("what", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("case_id", name="uq_tombstone_case"),
    )
    op.create_index("ix_retention_tombstones_case_number", "retention_tombstones", ["case_number"])

    op.create_table(
        "retention_fixity",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("tier", sa.String(length=16), nullable=False),
        sa.Column("checked_at", TS, nullable=False),
        sa.Column("outcome", sa.String(length=16), nullable=False),
        sa.Column("detail", sa.String(length=500), nullable=True),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_retention_fixity_sha256", "retention_fixity", ["sha256"])


def downgrade() -> None:
    for table in (
        "retention_fixity",
        "retention_tombstones",
        "retention_plan_steps",
        "retention_plan_items",
        "retention_plans",
        "retention_holds",
        "retention_rulesets",
    ):
        op.drop_table(table)
