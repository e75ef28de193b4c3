"""Review of held parts: list them, attach one to a case, release those a new case awaited."""

from __future__ import annotations

import tempfile
from pathlib import Path

from sqlalchemy import select

from archive import cases as case_ops
from archive.batches import BatchPart, PartState, ScanBatch
from archive.models import Case, CaseEvent, PackageKind, utcnow
from backends import Archive
from ingest.batch.errors import PartError
from ingest.batch.pages import part_name
from ingest.batch.placing import accept_into_case, flush_index, settle_statuses
from ingest.batch.report import PartResult, result_of
from ingest.batch.state import refresh_batch_state
from ingest.dispatch import Dispatcher, open_dispatcher


def held_parts(archive: Archive, centre: str | None = None) -> list[BatchPart]:
    """Parts waiting for review, oldest first (``centre``: only those naming it or none)."""
    with archive.db.session() as s:
        q = select(BatchPart).where(BatchPart.state == PartState.held).order_by(BatchPart.id)
        rows = list(s.scalars(q))
    if centre is not None:
        rows = [r for r in rows if r.centre in (None, centre)]
    return rows


def attach_part(
    archive: Archive,
    part_id: int,
    *,
    case_number: str | None = None,
    centre: str | None = None,
    package: PackageKind | None = None,
    actor: str | None,
    dispatcher: Dispatcher | None = None,
    wait: bool = True,
) -> PartResult:
    """Attach a held part to a case (by default the one its cover sheet named)."""
    with archive.db.session() as s:
        part = s.get(BatchPart, part_id)
        if part is None:
            raise PartError(f"частини {part_id} немає")
        if part.state != PartState.held or part.sha256 is None:
            raise PartError(f"частину {part_id} уже розглянуто ({part.state})")
        number = case_number or part.case_number
        where = centre or part.centre or archive.settings.centre
        if not number:
            raise PartError("вкажіть номер справи (--case)")
        case = case_ops.find_case(s, where, number)
        if case is None:
            raise PartError(f"справу № {number} не знайдено в журналі ЦНАП «{where}»")
        kind = package or PackageKind(part.package or "input")
        sha, pages, batch_id = part.sha256, list(part.pages or []), part.batch_id
        batch = s.get(ScanBatch, batch_id)
        stem = Path(batch.original_name).stem if batch is not None else "пачка"
    own = dispatcher is None
    disp = dispatcher or open_dispatcher(archive)
    try:
        with tempfile.TemporaryDirectory(dir=archive.settings.work_dir) as tmp:
            file = archive.store.fetch(sha, Path(tmp) / "part.pdf")
            acc = accept_into_case(
                archive,
                file,
                case,
                kind,
                name=part_name(stem, [p - 1 for p in pages] or [0]),
                actor=actor,
                meta={"batch_id": batch_id, "batch_pages": ",".join(map(str, pages))},
            )
        with archive.db.session() as s:
            row = s.get(BatchPart, part_id)
            assert row is not None
            row.state = PartState.attached
            row.document_id = acc.document_id
            row.case_number, row.centre, row.package = case.number, case.centre, kind.value
            row.resolved_at, row.resolved_by = utcnow(), actor
            live = s.get(Case, case.id)
            assert live is not None
            if acc.new:
                case_ops.package_scanned(
                    s,
                    live,
                    kind,
                    document_id=acc.document_id,
                    pages=len(pages),
                    batch_id=batch_id,
                    actor=actor,
                )
            s.add(
                CaseEvent(
                    case_id=case.id,
                    kind="batch.attached",
                    actor=actor,
                    details={"part_id": part_id, "document_id": acc.document_id},
                )
            )
            result = result_of(row)
        disp.submit(acc.document_id)
        result.status = "accepted"
        if wait:
            disp.wait([acc.document_id])
            settle_statuses(archive, stem, [result])
            flush_index(archive, disp)
        refresh_batch_state(archive, batch_id)
        return result
    finally:
        if own:
            disp.close()


def release_held(
    archive: Archive,
    centre: str,
    number: str,
    *,
    actor: str | None,
    dispatcher: Dispatcher | None = None,
    wait: bool = False,
) -> list[PartResult]:
    """Attach parts held because their case was unknown, now that it is registered."""
    with archive.db.session() as s:
        ids = list(
            s.scalars(
                select(BatchPart.id).where(
                    BatchPart.state == PartState.held,
                    BatchPart.reason_code == "unknown_case",
                    BatchPart.centre == centre,
                    BatchPart.case_number == number,
                )
            )
        )
    out: list[PartResult] = []
    for part_id in ids:
        try:
            out.append(attach_part(archive, part_id, actor=actor, dispatcher=dispatcher, wait=wait))
        except PartError:
            continue  # attached meanwhile by someone else
    return out
