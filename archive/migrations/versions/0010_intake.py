"""Review of held deliveries and e-mail messages: where from, who reviewed, why

Revision ID: 0010_intake
Revises: 0009_sharing
Create Date: 2026-12-02 01:40:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0010_intake"
down_revision = "0009_sharing"
branch_labels = None
depends_on = None


def _review(table: str) -> None:
    with op.batch_alter_table(table) as batch:
        batch.add_column(sa.Column("reviewed_by", sa.String(length=200), nullable=True))
        batch.add_column(sa.Column("reviewed_at", sa.DateTime(timezone=True), nullable=True))
        batch.add_column(sa.Column("review_reason", sa.Text(), nullable=True))


def upgrade() -> None:
    with op.batch_alter_table("sharing_deliveries") as batch:
        batch.add_column(sa.Column("source_address", sa.String(length=100), nullable=True))
    _review("sharing_deliveries")
    with op.batch_alter_table("mail_messages") as batch:
        batch.add_column(sa.Column("sender", sa.Text(), nullable=True))
    _review("mail_messages")


def downgrade() -> None:
    for table in ("mail_messages", "sharing_deliveries"):
        with op.batch_alter_table(table) as batch:
            batch.drop_column("review_reason")
            batch.drop_column("reviewed_at")
            batch.drop_column("reviewed_by")
    with op.batch_alter_table("mail_messages") as batch:
        batch.drop_column("sender")
    with op.batch_alter_table("sharing_deliveries") as batch:
        batch.drop_column("source_address")
