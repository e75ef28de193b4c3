"""the desk: case journal counters and reserved blocks, registrations, scanned batches, uploads

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-22 08:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

# Counters and block bounds never need more than 64 bits; SQLite wants INTEGER.
BIG = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    # One row per journal: the centre's main series ("") or a workplace's block series.
    op.create_table(
        "journal_counters",
        sa.Column("centre", sa.String(length=200), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("series", sa.String(length=32), nullable=False),
        sa.Column("last_seq", BIG, nullable=False),
        sa.PrimaryKeyConstraint("centre", "year", "series"),
    )

    op.create_table(
        "journal_blocks",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("centre", sa.String(length=200), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("series", sa.String(length=32), nullable=False),
        sa.Column("workplace", sa.String(length=200), nullable=True),
        sa.Column("first_seq", BIG, nullable=False),
        sa.Column("last_seq", BIG, nullable=False),
        sa.Column("number_format", sa.String(length=100), nullable=False),
        sa.Column("reserved_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("reserved_by", sa.String(length=200), nullable=True),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(
        "ix_journal_blocks_series", "journal_blocks", ["centre", "year", "series"], unique=False
    )

    op.create_table(
        "case_registrations",
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("registration_id", sa.String(length=64), nullable=True),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("seq", BIG, nullable=False),
        sa.Column("block_id", sa.Integer(), nullable=True),
        sa.Column("contact", sa.String(length=500), nullable=True),
        sa.Column("registered_by", sa.String(length=200), nullable=True),
        sa.Column("offline", sa.Boolean(), nullable=False),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["case_id"], ["cases.id"]),
        sa.ForeignKeyConstraint(["block_id"], ["journal_blocks.id"]),
        sa.PrimaryKeyConstraint("case_id"),
        sa.UniqueConstraint("registration_id", name="uq_case_registration_id"),
    )

    op.create_table(
        "scan_batches",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("size", sa.BigInteger(), nullable=False),
        sa.Column("original_name", sa.String(length=500), nullable=False),
        sa.Column("source", sa.String(length=32), nullable=False),
        sa.Column("actor", sa.String(length=200), nullable=True),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("pages", sa.Integer(), nullable=True),
        sa.Column("stored", sa.Boolean(), nullable=False),
        sa.Column("report", sa.JSON(), nullable=False),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("sha256", name="uq_scan_batch_sha256"),
    )
    op.create_index("ix_scan_batches_state", "scan_batches", ["state"], unique=False)

    op.create_table(
        "batch_parts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("batch_id", sa.String(length=32), nullable=False),
        sa.Column("ordinal", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("centre", sa.String(length=200), nullable=True),
        sa.Column("case_number", sa.String(length=64), nullable=True),
        sa.Column("package", sa.String(length=16), nullable=True),
        sa.Column("pages", sa.JSON(), nullable=False),
        sa.Column("cover_page", sa.Integer(), nullable=True),
        sa.Column("cover_sha256", sa.String(length=64), nullable=True),
        sa.Column("sha256", sa.String(length=64), nullable=True),
        sa.Column("document_id", sa.String(length=32), nullable=True),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("reason_code", sa.String(length=32), nullable=True),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("resolved_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("resolved_by", sa.String(length=200), nullable=True),
        sa.ForeignKeyConstraint(["batch_id"], ["scan_batches.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("batch_id", "ordinal", name="uq_batch_part_ordinal"),
    )
    op.create_index("ix_batch_parts_batch_id", "batch_parts", ["batch_id"], unique=False)
    op.create_index("ix_batch_parts_state", "batch_parts", ["state"], unique=False)
    op.create_index(
        "ix_batch_parts_case", "batch_parts", ["centre", "case_number"], unique=False
    )

    op.create_table(
        "station_uploads",
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("size", sa.BigInteger(), nullable=False),
        sa.Column("name", sa.String(length=500), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("meta", sa.JSON(), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("actor", sa.String(length=200), nullable=True),
        sa.Column("result", sa.JSON(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("sha256"),
    )


def downgrade() -> None:
    op.drop_table("station_uploads")
    op.drop_index("ix_batch_parts_case", table_name="batch_parts")
    op.drop_index("ix_batch_parts_state", table_name="batch_parts")
    op.drop_index("ix_batch_parts_batch_id", table_name="batch_parts")
    op.drop_table("batch_parts")
    op.drop_index("ix_scan_batches_state", table_name="scan_batches")
    op.drop_table("scan_batches")
    op.drop_table("case_registrations")
    op.drop_index("ix_journal_blocks_series", table_name="journal_blocks")
    op.drop_table("journal_blocks")
    op.drop_table("journal_counters")
