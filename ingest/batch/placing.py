"""Placing the parts of a split batch: each package into its case, the rest held for review.

Every step is idempotent (parts are rebuilt byte for byte and recorded by
ordinal), so a run interrupted anywhere is finished by running it again.
"""

from __future__ import annotations

import tempfile
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import select

from archive import cases as case_ops
from archive.batches import BatchPart, PartKind, PartState
from archive.models import (
    Case,
    CaseEvent,
    DocState,
    Document,
    IndexOutbox,
    Package,
    PackageKind,
    Source,
    utcnow,
)
from backends import Archive
from ingest.batch.errors import REASONS
from ingest.batch.pages import part_name, write_part
from ingest.batch.report import PartResult, result_of
from ingest.dispatch import Dispatcher
from ingest.pipeline import Accepted, accept_file, outcome_for
from scanner.split import BatchSplit


@dataclass(slots=True)
class PartSpec:
    """A part to build: 0-based page indexes in the batch."""

    kind: PartKind
    indexes: list[int]
    sheet_centre: str | None = None
    sheet_case: str | None = None
    sheet_package: str | None = None
    cover_index: int | None = None
    reason_code: str | None = None
    reason: str | None = None


def part_specs(split: BatchSplit) -> list[PartSpec]:
    """Every part of a split, in page order: packages, then what must be reviewed."""
    specs: list[PartSpec] = []
    for seg in split.segments:
        specs.append(
            PartSpec(
                PartKind.case,
                list(seg.page_indexes),
                sheet_centre=seg.sheet.centre,
                sheet_case=seg.sheet.case_number,
                sheet_package=seg.sheet.package,
                cover_index=seg.cover_page_index,
            )
        )
    if split.leading_pages:
        specs.append(
            PartSpec(
                PartKind.leading,
                list(split.leading_pages),
                reason_code="leading_pages",
                reason=REASONS["leading_pages"],
            )
        )
    for group in split.unassigned:
        specs.append(
            PartSpec(
                PartKind.unassigned,
                list(group.page_indexes),
                cover_index=group.suspect_page_index,
                reason_code="unreadable_cover",
                reason=f"{REASONS['unreadable_cover']}: {group.reason}",
            )
        )
    specs.sort(key=lambda sp: sp.cover_index if sp.cover_index is not None else -1)
    return specs


def place_parts(
    archive: Archive,
    path: Path,
    batch_id: str,
    name: str,
    specs: list[PartSpec],
    actor: str | None,
    disp: Dispatcher,
) -> list[PartResult]:
    stem = Path(name).stem or "пачка"
    results: list[PartResult] = []
    with tempfile.TemporaryDirectory(dir=archive.settings.work_dir) as tmp:
        for ordinal, spec in enumerate(specs, start=1):
            results.append(
                _place(archive, path, Path(tmp), batch_id, ordinal, stem, spec, actor, disp)
            )
    return results


def _existing_part(archive: Archive, batch_id: str, ordinal: int) -> BatchPart | None:
    with archive.db.session() as s:
        return s.scalar(
            select(BatchPart).where(BatchPart.batch_id == batch_id, BatchPart.ordinal == ordinal)
        )


def _place(
    archive: Archive,
    path: Path,
    tmp: Path,
    batch_id: str,
    ordinal: int,
    stem: str,
    spec: PartSpec,
    actor: str | None,
    disp: Dispatcher,
) -> PartResult:
    pages = [i + 1 for i in spec.indexes]
    done = _existing_part(archive, batch_id, ordinal)
    if done is not None and done.state != PartState.held:
        result = result_of(done)
        if done.document_id:
            disp.submit(done.document_id)
            result.status = "accepted"
        return result
    cover_sha = None
    if spec.cover_index is not None:
        # The cover sheet's scan is evidence of how the pages were assigned.
        cover = write_part(path, [spec.cover_index], tmp / f"cover-{ordinal}.pdf")
        cover_sha = archive.store.put_file(cover).sha256
    base = BatchPart(
        batch_id=batch_id,
        ordinal=ordinal,
        kind=spec.kind.value,
        centre=spec.sheet_centre,
        case_number=spec.sheet_case,
        package=spec.sheet_package,
        pages=pages,
        cover_page=spec.cover_index + 1 if spec.cover_index is not None else None,
        cover_sha256=cover_sha,
    )
    if not spec.indexes:
        base.state = PartState.empty
        base.reason_code = "empty" if spec.kind == PartKind.case else spec.reason_code
        base.reason = REASONS["empty"] if spec.kind == PartKind.case else spec.reason
        return _save_part(archive, base, done)
    part_file = write_part(path, spec.indexes, tmp / f"part-{ordinal}.pdf")
    case: Case | None = None
    if spec.kind == PartKind.case:
        assert spec.sheet_centre is not None and spec.sheet_case is not None
        with archive.db.session() as s:
            case = case_ops.find_case(s, spec.sheet_centre, spec.sheet_case)
        if case is None:
            spec.reason_code = "unknown_case"
            spec.reason = (
                f"{REASONS['unknown_case']}: № {spec.sheet_case} (ЦНАП «{spec.sheet_centre}»)"
            )
    if case is None:
        base.sha256 = archive.store.put_file(part_file).sha256
        base.state = PartState.held
        base.reason_code = spec.reason_code
        base.reason = spec.reason
        return _save_part(archive, base, done)
    package = PackageKind(spec.sheet_package or "input")
    meta = {
        "batch_id": batch_id,
        "batch_pages": ",".join(str(p) for p in pages),
        "cover_page": str(base.cover_page),
        "cover_sha256": cover_sha or "",
    }
    acc = accept_into_case(
        archive,
        part_file,
        case,
        package,
        name=part_name(stem, spec.indexes),
        actor=actor,
        meta=meta,
    )
    base.document_id = acc.document_id
    base.sha256 = _doc_sha(archive, acc.document_id)
    base.state = PartState.attached
    result = _save_part(archive, base, done)
    if acc.new:
        with archive.db.session() as s:
            row = s.get(Case, case.id)
            assert row is not None
            case_ops.package_scanned(
                s,
                row,
                package,
                document_id=acc.document_id,
                pages=len(pages),
                batch_id=batch_id,
                actor=actor,
            )
    disp.submit(acc.document_id)
    if acc.new or acc.state not in (DocState.archived, DocState.rejected):
        result.status = "accepted"
    else:
        # The same pages were archived before (the same part of a re-saved scan).
        result.status = "duplicate" if acc.state == DocState.archived else "rejected"
    return result


def _doc_sha(archive: Archive, document_id: str) -> str | None:
    with archive.db.session() as s:
        doc = s.get(Document, document_id)
        return doc.sha256 if doc else None


def _save_part(archive: Archive, part: BatchPart, existing: BatchPart | None) -> PartResult:
    with archive.db.session() as s:
        if existing is not None:
            row = s.get(BatchPart, existing.id)
            assert row is not None
            for attr in (
                "kind",
                "centre",
                "case_number",
                "package",
                "pages",
                "cover_page",
                "cover_sha256",
                "sha256",
                "document_id",
                "state",
                "reason_code",
                "reason",
            ):
                setattr(row, attr, getattr(part, attr))
        else:
            row = part
            s.add(row)
        s.flush()
        return result_of(row)


def accept_into_case(
    archive: Archive,
    path: Path,
    case: Case,
    package: PackageKind,
    *,
    name: str,
    actor: str | None,
    meta: dict[str, str],
    source: Source = Source.scanner,
) -> Accepted:
    """Accept a file as a document of ``case`` and ``package`` (of any centre).

    Cases of the archive's own centre go through ``accept_file`` in one
    transaction; for another centre's case the document is accepted and then
    attached, and a repeated call finishes an attachment that was interrupted.
    """
    if case.centre == archive.settings.centre:
        return accept_file(
            archive,
            path,
            case_number=case.number,
            package=package,
            source=source,
            original_name=name,
            actor=actor,
            meta=meta,
        )
    acc = accept_file(archive, path, source=source, original_name=name, actor=actor, meta=meta)
    with archive.db.session() as s:
        doc = s.get(Document, acc.document_id)
        assert doc is not None
        if doc.case_id is None:
            pkg = s.scalar(
                select(Package).where(Package.case_id == case.id, Package.kind == package)
            )
            if pkg is None:
                pkg = Package(case_id=case.id, kind=package, received_at=utcnow())
                s.add(pkg)
                s.flush()
            doc.case_id, doc.package_id = case.id, pkg.id
            s.add(
                CaseEvent(
                    case_id=case.id,
                    kind="document.received",
                    actor=actor,
                    details={"document_id": doc.id, "package": package.value},
                )
            )
            if doc.state == DocState.archived:
                s.add(IndexOutbox(document_id=doc.id, op="upsert"))
    return Accepted(acc.document_id, new=True, state=acc.state) if acc.new else acc


def settle_statuses(archive: Archive, name: str, results: Iterable[PartResult]) -> None:
    for r in results:
        if r.document_id and r.status == "accepted":
            out = outcome_for(archive, name, Accepted(r.document_id, True, DocState.accepted))
            r.status = out.status
            if out.status == "rejected":
                r.reason, r.code = out.reason, out.code


def flush_index(archive: Archive, disp: Dispatcher) -> None:
    """Make what was archived searchable now (the workers flush too, a moment later).

    ``archive`` is the one ``disp`` works for; kept so callers need not change.
    """
    disp.flush_index()
