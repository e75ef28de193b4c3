"""Records of scanned batches, their parts, and uploads from stations.

A batch (one scanned file with cover sheets between packages) is known by
the SHA-256 of its bytes, so the same scan dropped twice is split once. Each
part of it — the pages of one package, or pages that could not be placed —
is a :class:`BatchPart`: ``attached`` parts became a document of their case,
``held`` parts wait in the object store for an administrator's review
(``cnap-archive batch held`` / ``batch attach``), never lost and never
guessed into a case.
"""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from archive.models import Base, UTCDateTime, new_id, utcnow


class BatchState(enum.StrEnum):
    processing = "processing"
    done = "done"  # every page placed
    review = "review"  # something is held or needs a look
    failed = "failed"  # the file could not be read


class PartKind(enum.StrEnum):
    case = "case"  # pages under a readable cover sheet
    leading = "leading"  # pages before the first cover sheet
    unassigned = "unassigned"  # pages after a cover sheet that could not be read


class PartState(enum.StrEnum):
    attached = "attached"
    held = "held"
    empty = "empty"  # a cover sheet with no pages after it


class ScanBatch(Base):
    __tablename__ = "scan_batches"

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    sha256: Mapped[str] = mapped_column(String(64), unique=True)
    size: Mapped[int] = mapped_column(BigInteger)
    original_name: Mapped[str] = mapped_column(String(500))
    # Where it came from: cli, hotfolder, scan, station.
    source: Mapped[str] = mapped_column(String(32))
    actor: Mapped[str | None] = mapped_column(String(200))
    state: Mapped[str] = mapped_column(String(16), default=BatchState.processing, index=True)
    pages: Mapped[int | None] = mapped_column(Integer)
    # Whether the batch as received is kept in the object store.
    stored: Mapped[bool] = mapped_column(Boolean, default=False)
    report: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class BatchPart(Base):
    __tablename__ = "batch_parts"
    __table_args__ = (
        UniqueConstraint("batch_id", "ordinal", name="uq_batch_part_ordinal"),
        Index("ix_batch_parts_case", "centre", "case_number"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    batch_id: Mapped[str] = mapped_column(ForeignKey("scan_batches.id"), index=True)
    ordinal: Mapped[int] = mapped_column(Integer)
    kind: Mapped[str] = mapped_column(String(16))
    # What the cover sheet said (case parts) — also for a case not (yet) known.
    centre: Mapped[str | None] = mapped_column(String(200))
    case_number: Mapped[str | None] = mapped_column(String(64))
    package: Mapped[str | None] = mapped_column(String(16))
    # 1-based page numbers in the batch.
    pages: Mapped[list[int]] = mapped_column(JSON, default=list)
    cover_page: Mapped[int | None] = mapped_column(Integer)
    # The cover sheet's own scan, kept as evidence (not a page of the case).
    cover_sha256: Mapped[str | None] = mapped_column(String(64))
    # The part's file in the object store (held parts are fetched from here).
    sha256: Mapped[str | None] = mapped_column(String(64))
    document_id: Mapped[str | None] = mapped_column(String(32))
    state: Mapped[str] = mapped_column(String(16), index=True)
    reason_code: Mapped[str | None] = mapped_column(String(32))
    reason: Mapped[str | None] = mapped_column(Text)
    resolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    resolved_by: Mapped[str | None] = mapped_column(String(200))


class StationUpload(Base):
    """A resumable upload from a station; the bytes so far are in ``<data_dir>/uploads``."""

    __tablename__ = "station_uploads"

    sha256: Mapped[str] = mapped_column(String(64), primary_key=True)
    size: Mapped[int] = mapped_column(BigInteger)
    name: Mapped[str] = mapped_column(String(500))
    kind: Mapped[str] = mapped_column(String(16))  # batch | document
    meta: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    state: Mapped[str] = mapped_column(String(16), default="receiving")  # … | processed | failed
    actor: Mapped[str | None] = mapped_column(String(200))
    result: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
