"""Scanned batches: ingest one batch split by its cover sheets, list and attach held parts.

``upload_batch`` is ``ingest --split`` for one file (and a ``scan`` or a
hot-folder file goes the same way, see :mod:`usecases.hotfolder`); a batch
that cannot be read at all is a *failed report*, not an error, so a run
over many files goes on. Parts that could not be placed (pages before the
first cover sheet, unreadable cover sheets, unknown cases) are held for the
administrator: ``list_held_parts`` and ``attach_held_part`` serve the
command line and the API alike.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import select

from archive.audit import Action
from archive.models import PackageKind
from backends import Archive
from ingest.dispatch import Dispatcher
from usecases.access import event
from usecases.case_access import desk_errors, open_case_for_desk, refuse_annulled, require_desk
from usecases.cases import Moved, move
from usecases.context import Context
from usecases.errors import Conflict, NotFound
from usecases.registry import use_case


@dataclass(frozen=True, slots=True)
class BatchOutcome:
    """What became of one scanned batch (the report of ``ingest --split``)."""

    data: dict[str, Any]

    @property
    def status(self) -> str:
        """done / review (something held) / duplicate / failed."""
        return str(self.data["status"])

    @property
    def rejected(self) -> bool:
        """Unreadable, or a part of it was refused."""
        return self.status == "failed" or any(x["status"] == "rejected" for x in self.parts)

    @property
    def parts(self) -> list[dict[str, Any]]:
        return list(self.data["parts"])

    def as_json(self) -> dict[str, Any]:
        return self.data


def failed_report(path: Path, code: str, reason: str) -> dict[str, Any]:
    """The report of a batch that could not be read at all."""
    return {
        "file": str(path),
        "batch_id": None,
        "sha256": None,
        "status": "failed",
        "pages": 0,
        "blank_pages": [],
        "cover_pages": [],
        "parts": [],
        "problems": [],
        "reason": reason,
        "code": code,
    }


def ingest_one(
    archive: Archive,
    path: Path,
    *,
    actor: str,
    source: str,
    original_name: str | None = None,
    dispatcher: Dispatcher | None = None,
) -> BatchOutcome:
    """Split and archive one batch; an unreadable one becomes a failed report."""
    from ingest.batch import BatchUnreadable, ingest_batch
    from ingest.pipeline import NotAFile

    try:
        report = ingest_batch(
            archive,
            path,
            actor=actor,
            source=source,
            original_name=original_name,
            dispatcher=dispatcher,
        )
    except BatchUnreadable as exc:
        return BatchOutcome(failed_report(path, exc.code, exc.reason))
    except NotAFile as exc:
        return BatchOutcome(failed_report(path, "not_found", str(exc)))
    return BatchOutcome(report.as_json())


def batch_details(outcome: BatchOutcome) -> dict[str, Any]:
    """What the audit entry says about a batch (no file names: they may name people)."""
    d = outcome.data
    return {
        "batch": d["batch_id"],
        "status": d["status"],
        "pages": d["pages"],
        "cases": sorted({p["case"] for p in d["parts"] if p.get("case")}),
        "held": [p["part_id"] for p in d["parts"] if p["state"] == "held"],
    }


def documents_of(outcome: BatchOutcome) -> list[str]:
    return [p["document_id"] for p in outcome.parts if p.get("document_id")]


@use_case(Action.batch_upload)
def upload_batch(
    ctx: Context,
    *,
    path: Path,
    source: str = "cli",
    original_name: str | None = None,
) -> BatchOutcome:
    """``ingest --split``: cut one scanned batch at its cover sheets, attach the parts to cases."""
    require_desk(
        ctx.archive, ctx.events, ctx.principal, ctx.archive.settings.centre, Action.batch_upload
    )
    outcome = ingest_one(
        ctx.archive,
        path,
        actor=ctx.principal.login,
        source=source,
        original_name=original_name,
        dispatcher=ctx.dispatcher,
    )
    ctx.events.publish(
        event(
            ctx.principal,
            Action.batch_upload,
            documents=documents_of(outcome),
            details={"source": source, **batch_details(outcome)},
        )
    )
    return outcome


@use_case(Action.batch_held)
def list_held_parts(ctx: Context) -> list[dict[str, Any]]:
    """Parts of scanned batches waiting for review, in the caller's centre (oldest first)."""
    from ingest.batch import held_part_json, held_parts

    p = ctx.principal
    require_desk(ctx.archive, ctx.events, p, ctx.archive.settings.centre, Action.batch_held)
    rows = [held_part_json(r) for r in held_parts(ctx.archive, p.centre)]
    _with_batch_file(ctx.archive, rows)
    ctx.events.publish(event(p, Action.batch_held, details={"parts": [r["part_id"] for r in rows]}))
    return rows


def _with_batch_file(archive: Archive, rows: list[dict[str, Any]]) -> None:
    """Each held part names its scanned file, when it came and the pages (to find the paper)."""
    from archive.batches import ScanBatch
    from archive.cases import local_time

    ids = {r["batch_id"] for r in rows}
    if not ids:
        return
    with archive.db.session() as s:
        found = {b.id: b for b in s.scalars(select(ScanBatch).where(ScanBatch.id.in_(ids)))}
        tz = archive.settings.desk.timezone
        for r in rows:
            b = found.get(r["batch_id"])
            r["file"] = b.original_name if b else None
            r["received_at"] = b.created_at.isoformat() if b else None
            r["received_local"] = (
                local_time(b.created_at, tz).isoformat(timespec="minutes") if b else None
            )


@use_case(Action.batch_attach)
def attach_held_part(
    ctx: Context,
    *,
    part_id: int,
    case: str | None = None,
    centre: str | None = None,
    package: PackageKind | None = None,
    wait: bool = True,
) -> dict[str, Any]:
    """Attach a held part to a case (by default the one its cover sheet named).

    ``wait``: until the part's document is archived and indexed.
    """
    from ingest.batch import attach_part, held_parts

    p = ctx.principal
    require_desk(ctx.archive, ctx.events, p, ctx.archive.settings.centre, Action.batch_attach)
    part = next((r for r in held_parts(ctx.archive) if r.id == part_id), None)
    if part is None:
        raise Conflict("Частину не знайдено або її вже розглянуто", code="part_not_held")
    number = case or part.case_number
    if not number:
        raise Conflict("Вкажіть номер справи (case)", code="case_required")
    target = open_case_for_desk(
        ctx.archive,
        ctx.events,
        p,
        Action.batch_attach,
        number=number,
        centre=centre or part.centre,
    )
    refuse_annulled(target)
    with desk_errors():
        result = attach_part(
            ctx.archive,
            part_id,
            case_number=target.number,
            centre=target.centre,
            package=package,
            actor=p.login,
            dispatcher=ctx.dispatcher,
            wait=wait,
        )
    ctx.events.publish(
        event(
            p,
            Action.batch_attach,
            case=target.number,
            document_id=result.document_id,
            details={"part": part_id},
        )
    )
    return result.as_json()


@use_case(Action.batch_reassign)
def reassign_part(
    ctx: Context,
    *,
    part_id: int,
    case: str,
    reason: str,
    centre: str | None = None,
    package: PackageKind | None = None,
) -> Moved:
    """A part of a batch filed in the wrong case (a wrong page split) goes to the right one."""
    from archive.batches import BatchPart

    require_desk(
        ctx.archive, ctx.events, ctx.principal, ctx.archive.settings.centre, Action.batch_reassign
    )
    with ctx.archive.db.session() as s:
        part = s.get(BatchPart, part_id)
        document_id = part.document_id if part is not None else None
    if document_id is None:
        raise NotFound("Частину не знайдено або її ще не долучено до справи", code="part_not_found")
    return move(
        ctx.archive,
        ctx.events,
        ctx.principal,
        ctx.dispatcher,
        Action.batch_reassign,
        document_id,
        case=case,
        reason=reason,
        centre=centre,
        package=package,
        details={"part": part_id},
    )


__all__ = [
    "BatchOutcome",
    "attach_held_part",
    "batch_details",
    "documents_of",
    "failed_report",
    "ingest_one",
    "list_held_parts",
    "reassign_part",
    "upload_batch",
]
