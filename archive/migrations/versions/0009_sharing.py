"""Diia sharing requests and deliveries, e-mail messages

Revision ID: 0009_sharing
Revises: 0008_desk
Create Date: 2026-12-01 23:30:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0009_sharing"
down_revision = "0008_desk"
branch_labels = None
depends_on = None


def _when(name: str, nullable: bool = True) -> sa.Column[object]:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable)


def upgrade() -> None:
    op.create_table(
        "sharing_requests",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("case_id", sa.Integer(), sa.ForeignKey("cases.id"), nullable=False),
        sa.Column("centre", sa.String(length=200), nullable=False),
        sa.Column("created_by", sa.String(length=200), nullable=False),
        _when("created_at", False),
        _when("expires_at", False),
        sa.Column("deeplink", sa.Text(), nullable=False),
        sa.Column("branch_id", sa.String(length=100), nullable=True),
        sa.Column("offer_id", sa.String(length=100), nullable=True),
        _when("delivered_at"),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_sharing_requests_case_id", "sharing_requests", ["case_id"])
    op.create_table(
        "sharing_deliveries",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("digest", sa.String(length=64), nullable=False),
        sa.Column("request_id", sa.String(length=200), nullable=False),
        sa.Column("case_id", sa.Integer(), sa.ForeignKey("cases.id"), nullable=True),
        _when("received_at", False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("code", sa.String(length=64), nullable=True),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("parts", sa.JSON(), nullable=False),
        sa.Column("metadata_sha256", sa.String(length=64), nullable=True),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("digest", name="uq_sharing_deliveries_digest"),
    )
    op.create_index("ix_sharing_deliveries_request_id", "sharing_deliveries", ["request_id"])
    op.create_index("ix_sharing_deliveries_case_id", "sharing_deliveries", ["case_id"])
    op.create_index("ix_sharing_deliveries_state", "sharing_deliveries", ["state"])
    op.create_table(
        "mail_messages",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(length=64), nullable=False),
        sa.Column("message_id", sa.Text(), nullable=False),
        sa.Column("raw_sha256", sa.String(length=64), nullable=False),
        sa.Column("case_id", sa.Integer(), sa.ForeignKey("cases.id"), nullable=True),
        _when("received_at", False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("code", sa.String(length=64), nullable=True),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("attachments", sa.JSON(), nullable=False),
        sa.Column("moved", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("key", name="uq_mail_messages_key"),
    )
    op.create_index("ix_mail_messages_case_id", "mail_messages", ["case_id"])
    op.create_index("ix_mail_messages_state", "mail_messages", ["state"])


def downgrade() -> None:
    op.drop_table("mail_messages")
    op.drop_table("sharing_deliveries")
    op.drop_table("sharing_requests")
