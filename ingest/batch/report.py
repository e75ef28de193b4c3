"""Batch and part reports: the JSON the command line, the hot folder and the API give."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select

from archive.batches import BatchPart, BatchState, PartState, ScanBatch
from archive.models import Document
from backends import Archive


@dataclass(slots=True)
class PartResult:
    """One package (or group of unplaced pages) of a batch and what became of it."""

    part_id: int
    ordinal: int
    kind: str
    state: str
    pages: list[int]
    centre: str | None = None
    case: str | None = None
    package: str | None = None
    cover_page: int | None = None
    document_id: str | None = None
    # archived / duplicate / rejected / accepted (not waited for) / held / empty
    status: str | None = None
    reason: str | None = None
    code: str | None = None

    def as_json(self) -> dict[str, Any]:
        return {
            "part_id": self.part_id,
            "kind": self.kind,
            "state": self.state,
            "case": self.case,
            "centre": self.centre,
            "package": self.package,
            "pages": self.pages,
            "cover_page": self.cover_page,
            "document_id": self.document_id,
            "status": self.status,
            "reason": self.reason,
            "code": self.code,
        }


@dataclass(slots=True)
class BatchReport:
    """The answer for one batch, as the command line, the hot folder and the API report it."""

    file: str
    batch_id: str | None
    sha256: str | None
    # done (everything placed) / review (something held) / duplicate / failed
    status: str
    pages: int = 0
    blank_pages: list[int] = field(default_factory=list)
    cover_pages: list[int] = field(default_factory=list)
    parts: list[PartResult] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    reason: str | None = None
    code: str | None = None

    @property
    def held(self) -> list[PartResult]:
        return [p for p in self.parts if p.state == PartState.held]

    def as_json(self) -> dict[str, Any]:
        return {
            "file": self.file,
            "batch_id": self.batch_id,
            "sha256": self.sha256,
            "status": self.status,
            "pages": self.pages,
            "blank_pages": self.blank_pages,
            "cover_pages": self.cover_pages,
            "parts": [p.as_json() for p in self.parts],
            "problems": self.problems,
            "reason": self.reason,
            "code": self.code,
        }


def result_of(row: BatchPart) -> PartResult:
    status = {"held": "held", "empty": "empty"}.get(row.state)
    return PartResult(
        part_id=row.id,
        ordinal=row.ordinal,
        kind=row.kind,
        state=row.state,
        pages=list(row.pages or []),
        centre=row.centre,
        case=row.case_number,
        package=row.package,
        cover_page=row.cover_page,
        document_id=row.document_id,
        status=status,
        reason=row.reason,
        code=row.reason_code,
    )


def pages_text(pages: Sequence[int]) -> str:
    if not pages:
        return "сторінок немає"
    if len(pages) == 1:
        return f"сторінку {pages[0]}"
    return f"сторінки {pages[0]}–{pages[-1]}"


def held_part_json(r: BatchPart) -> dict[str, Any]:
    """A held part as the command line and the API list it."""
    return {
        "part_id": r.id,
        "batch_id": r.batch_id,
        "kind": r.kind,
        "case": r.case_number,
        "centre": r.centre,
        "package": r.package,
        "pages": r.pages,
        "code": r.reason_code,
        "reason": r.reason,
    }


def stored_report(archive: Archive, batch: ScanBatch, name: str, *, duplicate: bool) -> BatchReport:
    """The report of a batch seen before, with its parts' current state."""
    if batch.state == BatchState.failed:
        data = batch.report or {}
        return BatchReport(
            name,
            batch.id,
            batch.sha256,
            "failed",
            reason=batch.error,
            code=str(data.get("code") or "unreadable_batch"),
        )
    data = dict(batch.report or {})
    with archive.db.session() as s:
        rows = list(
            s.scalars(
                select(BatchPart).where(BatchPart.batch_id == batch.id).order_by(BatchPart.ordinal)
            )
        )
    parts = [result_of(r) for r in rows]
    with archive.db.session() as s:
        for p in parts:
            if p.document_id:
                doc = s.get(Document, p.document_id)
                p.status = doc.state.value if doc is not None else None
    return BatchReport(
        file=name,
        batch_id=batch.id,
        sha256=batch.sha256,
        status="duplicate" if duplicate else batch.state,
        pages=int(data.get("pages") or batch.pages or 0),
        blank_pages=list(data.get("blank_pages") or []),
        cover_pages=list(data.get("cover_pages") or []),
        parts=parts,
        problems=list(data.get("problems") or []),
        reason="Цю пачку вже оброблено" if duplicate else None,
        code="duplicate" if duplicate else None,
    )


def batch_report(archive: Archive, batch_id: str) -> BatchReport | None:
    """A batch's report by its id (None: no such batch)."""
    with archive.db.session() as s:
        batch = s.get(ScanBatch, batch_id)
    if batch is None:
        return None
    return stored_report(archive, batch, batch.original_name, duplicate=False)
