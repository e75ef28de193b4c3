"""Tables of metadata extraction: each document's type and fields, corrections, models.

* ``document_metadata`` — one row per document: its type, the confidence,
  where the type came from (``model``, ``meta`` — the sharing metadata named
  it, ``correction`` — a person set it);
* ``metadata_fields`` — fields read from the text, each with its page and
  character span; personal ones (number, series, applicant) carry the mask
  kind and a keyed hash, like ``document_findings``;
* ``metadata_corrections`` — every type correction, kept as training data
  (the text is read from the document's pages when training, so a destroyed
  document takes its sample with it);
* ``metadata_models`` — classifiers trained so far; the newest is used. The
  model file itself is an object in the store (by its SHA-256).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Boolean, Float, ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from archive.models import Base, UTCDateTime, utcnow


class DocumentMetadata(Base):
    """What a document is: its type, with the confidence and the source of that type."""

    __tablename__ = "document_metadata"

    document_id: Mapped[str] = mapped_column(
        ForeignKey("documents.id", ondelete="CASCADE"), primary_key=True
    )
    type: Mapped[str] = mapped_column(String(40), index=True)
    confidence: Mapped[float] = mapped_column(Float, default=0.0)
    source: Mapped[str] = mapped_column(String(16), default="model")  # model | meta | correction
    # The classifier's runner-up, for a person reviewing a doubtful type.
    second_type: Mapped[str | None] = mapped_column(String(40))
    second_confidence: Mapped[float | None] = mapped_column(Float)
    model_sha256: Mapped[str | None] = mapped_column(String(64))
    classified_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    corrected_by: Mapped[str | None] = mapped_column(String(200))
    corrected_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class MetadataField(Base):
    """One field read from a document (a date, its number, its issuer, …) and where."""

    __tablename__ = "metadata_fields"
    __table_args__ = (Index("ix_metadata_fields_name_value", "name", "value"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    document_id: Mapped[str] = mapped_column(
        ForeignKey("documents.id", ondelete="CASCADE"), index=True
    )
    name: Mapped[str] = mapped_column(String(32))
    value: Mapped[str] = mapped_column(String(500))
    page: Mapped[int | None] = mapped_column(Integer)
    char_start: Mapped[int | None] = mapped_column(Integer)
    char_end: Mapped[int | None] = mapped_column(Integer)
    personal: Mapped[bool] = mapped_column(Boolean, default=False)
    # For personal fields: the identifier kind used to mask and log it, and its keyed hash.
    kind: Mapped[str | None] = mapped_column(String(32))
    ref: Mapped[str | None] = mapped_column(String(64), index=True)
    masked: Mapped[str | None] = mapped_column(String(500))


class TypeCorrection(Base):
    """A person set a document's type: an audit trail and a training sample."""

    __tablename__ = "metadata_corrections"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    document_id: Mapped[str] = mapped_column(
        ForeignKey("documents.id", ondelete="CASCADE"), index=True
    )
    old_type: Mapped[str | None] = mapped_column(String(40))
    new_type: Mapped[str] = mapped_column(String(40))
    actor: Mapped[str] = mapped_column(String(200))
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class ClassifierModel(Base):
    """A trained classifier; its file is the store object ``sha256``."""

    __tablename__ = "metadata_models"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    sha256: Mapped[str] = mapped_column(String(64))
    recipe: Mapped[str] = mapped_column(String(16))
    trained_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    actor: Mapped[str | None] = mapped_column(String(200))
    samples: Mapped[int] = mapped_column(Integer, default=0)
    corrections: Mapped[int] = mapped_column(Integer, default=0)
    info: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
