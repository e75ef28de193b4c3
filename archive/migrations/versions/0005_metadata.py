"""metadata extraction: document types, fields, type corrections, trained classifiers

Revision ID: 0005_metadata
Revises: 0004_retention
Create Date: 2026-11-23 09:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005_metadata"
down_revision = "0004_retention"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "document_metadata",
        sa.Column("document_id", sa.String(length=32), nullable=False),
        sa.Column("type", sa.String(length=40), nullable=False),
        sa.Column("confidence", sa.Float(), nullable=False),
        sa.Column("source", sa.String(length=16), nullable=False),
        sa.Column("second_type", sa.String(length=40), nullable=True),
        sa.Column("second_confidence", sa.Float(), nullable=True),
        sa.Column("model_sha256", sa.String(length=64), nullable=True),
        sa.Column("classified_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("corrected_by", sa.String(length=200), nullable=True),
        sa.Column("corrected_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["document_id"], ["documents.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("document_id"),
    )
    op.create_index("ix_document_metadata_type", "document_metadata", ["type"])

    op.create_table(
        "metadata_fields",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("document_id", sa.String(length=32), nullable=False),
        sa.Column("name", sa.String(length=32), nullable=False),
        sa.Column("value", sa.String(length=500), nullable=False),
        sa.Column("page", sa.Integer(), nullable=True),
        sa.Column("char_start", sa.Integer(), nullable=True),
        sa.Column("char_end", sa.Integer(), nullable=True),
        sa.Column("personal", sa.Boolean(), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=True),
        sa.Column("ref", sa.String(length=64), nullable=True),
        sa.Column("masked", sa.String(length=500), nullable=True),
        sa.ForeignKeyConstraint(["document_id"], ["documents.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_metadata_fields_document_id", "metadata_fields", ["document_id"])
    op.create_index("ix_metadata_fields_ref", "metadata_fields", ["ref"])
    op.create_index("ix_metadata_fields_name_value", "metadata_fields", ["name", "value"])

    op.create_table(
        "metadata_corrections",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("document_id", sa.String(length=32), nullable=False),
        sa.Column("old_type", sa.String(length=40), nullable=True),
        sa.Column("new_type", sa.String(length=40), nullable=False),
        sa.Column("actor", sa.String(length=200), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["document_id"], ["documents.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_metadata_corrections_document_id", "metadata_corrections", ["document_id"])

    op.create_table(
        "metadata_models",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("recipe", sa.String(length=16), nullable=False),
        sa.Column("trained_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("actor", sa.String(length=200), nullable=True),
        sa.Column("samples", sa.Integer(), nullable=False),
        sa.Column("corrections", sa.Integer(), nullable=False),
        sa.Column("info", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )


def downgrade() -> None:
    op.drop_table("metadata_models")
    op.drop_index("ix_metadata_corrections_document_id", table_name="metadata_corrections")
    op.drop_table("metadata_corrections")
    op.drop_index("ix_metadata_fields_name_value", table_name="metadata_fields")
    op.drop_index("ix_metadata_fields_ref", table_name="metadata_fields")
    op.drop_index("ix_metadata_fields_document_id", table_name="metadata_fields")
    op.drop_table("metadata_fields")
    op.drop_index("ix_document_metadata_type", table_name="document_metadata")
    op.drop_table("document_metadata")
