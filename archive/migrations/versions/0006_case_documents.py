"""case_documents: every case holding a document (the same bytes, several cases)

Revision ID: 0006_case_documents
Revises: 0005_metadata
Create Date: 2026-11-24 09:00:00

Chained to 0003 (the head on main when it was written); when 0004_retention
and 0005_metadata land, the lead re-chains this to the newest of them.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006_case_documents"
down_revision = "0005_metadata"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "case_documents",
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("document_id", sa.String(length=32), nullable=False),
        sa.Column("package_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["case_id"], ["cases.id"]),
        sa.ForeignKeyConstraint(["document_id"], ["documents.id"]),
        sa.ForeignKeyConstraint(["package_id"], ["packages.id"]),
        sa.PrimaryKeyConstraint("case_id", "document_id"),
    )
    with op.batch_alter_table("case_documents", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_case_documents_document_id"), ["document_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_case_documents_package_id"), ["package_id"], unique=False
        )
    # Every document already in a case is held by it.
    op.execute(
        "INSERT INTO case_documents (case_id, document_id, package_id, created_at) "
        "SELECT case_id, id, package_id, created_at FROM documents WHERE case_id IS NOT NULL"
    )


def downgrade() -> None:
    with op.batch_alter_table("case_documents", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_case_documents_package_id"))
        batch_op.drop_index(batch_op.f("ix_case_documents_document_id"))
    op.drop_table("case_documents")
