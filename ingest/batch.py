"""Scanned batches: split at the cover sheets, archive each package as a document of its case.

``ingest_batch`` takes one scanned file (a multi-page PDF or TIFF) holding
several packages, each under its cover sheet, and:

1. checks it like any input (preflight) and records it by SHA-256 — the same
   scan sent again is recognised and not split twice; the file as received
   is kept in the object store (``desk.keep_batch_original``);
2. splits it with :func:`scanner.split.split_batch`: cover sheets are read
   (skewed, upside down, 200 dpi, bilevel), blank backs dropped;
3. cuts each package's pages out of the original without re-encoding (PDF
   pages are copied, TIFF frames embedded losslessly) and accepts the part
   through :func:`ingest.pipeline.accept_file` as a document of its case and
   package, with the batch, the page numbers and the cover sheet's evidence
   scan in its metadata — the cover sheet itself is not a page of the case;
4. holds for review, in the object store, whatever it cannot place: pages
   before the first cover sheet, pages after an unreadable one, and packages
   whose cover sheet names a case the journal does not know. A held part of
   an unknown case is attached by itself once that case is registered (a
   station's registration may arrive after its scans).

Everything is recorded before processing starts, and every step is
idempotent (parts are rebuilt byte for byte), so a run interrupted anywhere
is finished by running it again.
"""

from __future__ import annotations

import io
import logging
import tempfile
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import img2pdf
import pikepdf
from PIL import Image
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from archive import cases as case_ops
from archive.batches import BatchPart, BatchState, PartKind, PartState, ScanBatch
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
from archive.store.base import sha256_file
from backends import Archive
from ingest.dispatch import Dispatcher, open_dispatcher
from ingest.errors import Rejected
from ingest.pipeline import Accepted, NotAFile, accept_file, outcome_for
from ingest.preflight import Limits, check
from scanner.split import BatchSplit, iter_batch_pages, split_batch

log = logging.getLogger(__name__)

_REASONS = {
    "leading_pages": "Сторінки відскановано до першого титульного аркуша",
    "unreadable_cover": "Сторінки після титульного аркуша, який не вдалося розпізнати",
    "unknown_case": "Титульний аркуш справи, якої немає в журналі",
    "empty": "Після титульного аркуша немає жодної сторінки",
}


class BatchUnreadable(Exception):
    """The batch cannot be read at all (corrupt, encrypted, not a scan)."""

    def __init__(self, code: str, reason: str) -> None:
        super().__init__(reason)
        self.code = code
        self.reason = reason


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


@dataclass(slots=True)
class _Spec:
    """A part to build: 0-based page indexes in the batch."""

    kind: PartKind
    indexes: list[int]
    sheet_centre: str | None = None
    sheet_case: str | None = None
    sheet_package: str | None = None
    cover_index: int | None = None
    reason_code: str | None = None
    reason: str | None = None


# --- cutting pages out of the original ------------------------------------------


def _is_pdf(path: Path) -> bool:
    with path.open("rb") as f:
        return b"%PDF-" in f.read(1024)


def write_part(source: Path, indexes: Sequence[int], dest: Path) -> Path:
    """A PDF of the given pages (0-based) of ``source``, byte-identical on every run.

    PDF pages are copied as they are (the scanner's compression, any text
    layer); image frames are embedded losslessly, bilevel ones as CCITT G4.
    """
    if _is_pdf(source):
        with pikepdf.open(source) as src, pikepdf.new() as out:
            for i in indexes:
                out.pages.append(src.pages[i])
            out.save(dest, deterministic_id=True, compress_streams=True)
        return dest
    blobs: list[bytes] = []
    with Image.open(source) as container:
        for i in indexes:
            # Frames share one file object: seek to each and encode it before the next.
            container.seek(i)
            blobs.append(_frame_bytes(container))
    raw = img2pdf.convert(blobs, nodate=True)
    # img2pdf writes a random /ID; rewrite it from the content so a rerun gives the same bytes.
    with pikepdf.open(io.BytesIO(raw)) as pdf:
        if "/ID" in pdf.trailer:
            del pdf.trailer["/ID"]  # qpdf keeps an existing first half
        pdf.save(dest, deterministic_id=True)
    return dest


def _frame_bytes(frame: Image.Image) -> bytes:
    from ingest.ocr.inputs import plausible_dpi

    image = frame.copy()
    dpi = plausible_dpi(frame.info.get("dpi"), image.width, image.height)
    rounded = (round(dpi[0]), round(dpi[1]))
    buf = io.BytesIO()
    if image.mode == "1":
        image.save(buf, "TIFF", compression="group4", dpi=rounded)
        return buf.getvalue()
    if image.mode not in ("L", "RGB"):
        # Palettes, alpha, 16-bit and CMYK: what PDF/A and Tesseract take.
        image = image.convert("RGB" if "A" in image.mode or image.mode in ("P", "CMYK") else "L")
    image.save(buf, "PNG", dpi=rounded)
    return buf.getvalue()


# --- the batch --------------------------------------------------------------------


def _limits(archive: Archive) -> Limits:
    cfg = archive.settings.ingest
    return Limits(
        max_file_mb=cfg.max_file_mb,
        max_pages=cfg.max_pages,
        max_image_mpixels=cfg.max_image_mpixels,
    )


def _specs(split: BatchSplit) -> list[_Spec]:
    """Every part of a split, in page order: packages, then what must be reviewed."""
    specs: list[_Spec] = []
    for seg in split.segments:
        specs.append(
            _Spec(
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
            _Spec(
                PartKind.leading,
                list(split.leading_pages),
                reason_code="leading_pages",
                reason=_REASONS["leading_pages"],
            )
        )
    for group in split.unassigned:
        specs.append(
            _Spec(
                PartKind.unassigned,
                list(group.page_indexes),
                cover_index=group.suspect_page_index,
                reason_code="unreadable_cover",
                reason=f"{_REASONS['unreadable_cover']}: {group.reason}",
            )
        )
    specs.sort(key=lambda sp: sp.cover_index if sp.cover_index is not None else -1)
    return specs


def _part_name(stem: str, indexes: Sequence[int]) -> str:
    pages = [i + 1 for i in indexes]
    span = f"{pages[0]}" if len(pages) == 1 else f"{pages[0]}–{pages[-1]}"
    return f"{stem} (с. {span}).pdf"[:500]


def find_batch(archive: Archive, sha256: str) -> ScanBatch | None:
    with archive.db.session() as s:
        return s.scalar(select(ScanBatch).where(ScanBatch.sha256 == sha256))


def ingest_batch(
    archive: Archive,
    path: Path,
    *,
    actor: str | None = None,
    source: str = "cli",
    original_name: str | None = None,
    dispatcher: Dispatcher | None = None,
    wait: bool = True,
) -> BatchReport:
    """Split a scanned batch and archive its packages (see the module docstring)."""
    if not path.is_file():
        raise NotAFile(f"{path}: файл не знайдено")
    name = (original_name or path.name)[:500]
    sha = sha256_file(path)
    size = path.stat().st_size
    known = find_batch(archive, sha)
    if known is not None and known.state in (BatchState.done, BatchState.review):
        return _stored_report(archive, known, name, duplicate=True)
    # A batch that failed before is tried again: the cause may have passed.
    try:
        pre = check(path, _limits(archive))
    except Rejected as exc:
        _record_failed(archive, sha, size, name, source, actor, exc.code, exc.reason)
        raise BatchUnreadable(exc.code, exc.reason) from exc
    stored = False
    if archive.settings.desk.keep_batch_original:
        archive.store.put_file(path)
        stored = True
    batch_id = _open_batch(archive, sha, size, name, source, actor, stored, pre.pages)
    try:
        split = split_batch(iter_batch_pages(path, dpi=archive.settings.desk.split_dpi))
    except Exception as exc:  # a file preflight let through but the renderer cannot read
        log.warning("a scanned batch could not be rendered for splitting", exc_info=True)
        reason = "Не вдалося прочитати сторінки пачки; відскануйте її знову"
        _finish_failed(archive, batch_id, "unreadable_batch", reason)
        raise BatchUnreadable("unreadable_batch", reason) from exc
    own = dispatcher is None
    disp = dispatcher or open_dispatcher(archive)
    try:
        if own:
            disp.recover()
        results = _place_parts(archive, path, batch_id, name, _specs(split), actor, disp)
        if wait:
            disp.wait([r.document_id for r in results if r.document_id and r.status == "accepted"])
            _settle_statuses(archive, name, results)
            flush_index(archive, disp)
    finally:
        if own:
            disp.close()
    problems = split.problems()
    for r in results:
        if r.state == PartState.held and r.code == "unknown_case":
            problems.append(
                f"Справу № {r.case} не знайдено в журналі ЦНАП «{r.centre}»: "
                f"{_pages_text(r.pages)} збережено для перевірки (частина {r.part_id})."
            )
    report = BatchReport(
        file=name,
        batch_id=batch_id,
        sha256=sha,
        status=BatchState.review
        if (problems or any(r.state == PartState.held for r in results))
        else BatchState.done,
        pages=len(split.verdicts),
        blank_pages=[i + 1 for i in split.blank_pages],
        cover_pages=[s.cover_page_index + 1 for s in split.segments],
        parts=results,
        problems=problems,
    )
    _finish(archive, batch_id, report)
    return report


def _pages_text(pages: Sequence[int]) -> str:
    if not pages:
        return "сторінок немає"
    if len(pages) == 1:
        return f"сторінку {pages[0]}"
    return f"сторінки {pages[0]}–{pages[-1]}"


def _record_failed(
    archive: Archive,
    sha: str,
    size: int,
    name: str,
    source: str,
    actor: str | None,
    code: str,
    reason: str,
) -> None:
    try:
        with archive.db.session() as s:
            s.add(
                ScanBatch(
                    sha256=sha,
                    size=size,
                    original_name=name,
                    source=source,
                    actor=actor,
                    state=BatchState.failed,
                    stored=False,
                    finished_at=utcnow(),
                    error=reason,
                    report={"code": code, "reason": reason},
                )
            )
    except IntegrityError:
        pass  # recorded already


def _open_batch(
    archive: Archive,
    sha: str,
    size: int,
    name: str,
    source: str,
    actor: str | None,
    stored: bool,
    pages: int,
) -> str:
    try:
        with archive.db.session() as s:
            known = s.scalar(select(ScanBatch).where(ScanBatch.sha256 == sha))
            if known is not None:
                # An interrupted run (or a failed one being retried): carry on with it.
                known.state = BatchState.processing
                known.stored = known.stored or stored
                return known.id
            batch = ScanBatch(
                sha256=sha,
                size=size,
                original_name=name,
                source=source,
                actor=actor,
                state=BatchState.processing,
                stored=stored,
                pages=pages,
                report={},
            )
            s.add(batch)
            s.flush()
            return batch.id
    except IntegrityError:
        with archive.db.session() as s:
            known = s.scalar(select(ScanBatch).where(ScanBatch.sha256 == sha))
            assert known is not None
            return known.id


def _place_parts(
    archive: Archive,
    path: Path,
    batch_id: str,
    name: str,
    specs: list[_Spec],
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
    spec: _Spec,
    actor: str | None,
    disp: Dispatcher,
) -> PartResult:
    pages = [i + 1 for i in spec.indexes]
    done = _existing_part(archive, batch_id, ordinal)
    if done is not None and done.state != PartState.held:
        result = _result_of(done)
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
        base.reason = _REASONS["empty"] if spec.kind == PartKind.case else spec.reason
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
                f"{_REASONS['unknown_case']}: № {spec.sheet_case} (ЦНАП «{spec.sheet_centre}»)"
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
        name=_part_name(stem, spec.indexes),
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
        return _result_of(row)


def _result_of(row: BatchPart) -> PartResult:
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


def _settle_statuses(archive: Archive, name: str, results: Iterable[PartResult]) -> None:
    for r in results:
        if r.document_id and r.status == "accepted":
            out = outcome_for(archive, name, Accepted(r.document_id, True, DocState.accepted))
            r.status = out.status
            if out.status == "rejected":
                r.reason, r.code = out.reason, out.code


def flush_index(archive: Archive, disp: Dispatcher) -> None:
    """Make what was archived searchable now (the workers flush too, a moment later)."""
    flush = getattr(disp, "flush_index", None)
    if flush is not None:
        flush()
        return
    from ingest.indexing import flush_outbox

    try:
        flush_outbox(archive)
    except Exception:
        log.warning("index update postponed: the index is not available", exc_info=True)


def _finish(archive: Archive, batch_id: str, report: BatchReport) -> None:
    with archive.db.session() as s:
        batch = s.get(ScanBatch, batch_id)
        assert batch is not None
        batch.state = report.status
        batch.pages = report.pages
        batch.report = report.as_json()
        batch.finished_at = utcnow()
        batch.error = None


def _finish_failed(archive: Archive, batch_id: str, code: str, reason: str) -> None:
    with archive.db.session() as s:
        batch = s.get(ScanBatch, batch_id)
        assert batch is not None
        batch.state = BatchState.failed
        batch.error = reason
        batch.report = {"code": code, "reason": reason}
        batch.finished_at = utcnow()


def _stored_report(
    archive: Archive, batch: ScanBatch, name: str, *, duplicate: bool
) -> BatchReport:
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
    parts = [_result_of(r) for r in rows]
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
    return _stored_report(archive, batch, batch.original_name, duplicate=False)


# --- review of held parts ------------------------------------------------------------


class PartError(Exception):
    """A held part cannot be attached (message in Ukrainian)."""


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
                name=_part_name(stem, [p - 1 for p in pages] or [0]),
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
            result = _result_of(row)
        disp.submit(acc.document_id)
        result.status = "accepted"
        if wait:
            disp.wait([acc.document_id])
            _settle_statuses(archive, stem, [result])
            flush_index(archive, disp)
        _refresh_batch_state(archive, batch_id)
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


def _refresh_batch_state(archive: Archive, batch_id: str) -> None:
    with archive.db.session() as s:
        batch = s.get(ScanBatch, batch_id)
        if batch is None or batch.state != BatchState.review:
            return
        held = s.scalar(
            select(BatchPart.id)
            .where(BatchPart.batch_id == batch_id, BatchPart.state == PartState.held)
            .limit(1)
        )
        if held is None:
            batch.state = BatchState.done
