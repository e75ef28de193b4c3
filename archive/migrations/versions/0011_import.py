"""The journal of manifest rows imported from a centre's earlier electronic archive

Revision ID: 0011_import
Revises: 0010_intake
Create Date: 2026-12-02 01:45:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0011_import"
down_revision = "0010_intake"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "import_rows",
        sa.Column("manifest_sha256", sa.String(length=64), nullable=False),
        sa.Column("row", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), sa.ForeignKey("cases.id"), nullable=False),
        sa.Column("documents", sa.Integer(), nullable=False),
        sa.Column("done_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("done_by", sa.String(length=200), nullable=True),
        sa.PrimaryKeyConstraint("manifest_sha256", "row"),
    )
    op.create_index("ix_import_rows_case_id", "import_rows", ["case_id"])


def downgrade() -> None:
    op.drop_index("ix_import_rows_case_id", table_name="import_rows")
    op.drop_table("import_rows")
