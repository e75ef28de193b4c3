"""access hardening: OpenID Connect binding (issuer), approval of new accounts, login throttle

Revision ID: 0007_access_hardening
Revises: 0006_case_documents
Create Date: 2026-11-23 09:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007_access_hardening"
down_revision = "0006_case_documents"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("users") as t:
        # The issuer the account's subject was bound at (the subject is issuer + sub).
        t.add_column(sa.Column("oidc_issuer", sa.String(length=500), nullable=True))
        # An account a sysadmin made with a role that reads content waits for an
        # administrator of its centre (existing accounts are approved).
        t.add_column(sa.Column("pending", sa.Boolean(), nullable=False, server_default=sa.false()))
        t.add_column(sa.Column("approved_by", sa.String(length=100), nullable=True))
        t.add_column(sa.Column("approved_at", sa.DateTime(timezone=True), nullable=True))

    # Failed sign-ins per account and per address (shared by every process).
    op.create_table(
        "login_throttle",
        sa.Column("key", sa.String(length=200), nullable=False),
        sa.Column("failures", sa.Integer(), nullable=False),
        sa.Column("first_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("locked_until", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("key"),
    )


def downgrade() -> None:
    op.drop_table("login_throttle")
    with op.batch_alter_table("users") as t:
        t.drop_column("approved_at")
        t.drop_column("approved_by")
        t.drop_column("pending")
        t.drop_column("oidc_issuer")
