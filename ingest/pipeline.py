"""Ingest orchestration: accept a file (persist, record), then process it to archived.

Stages are plain functions; this module only orders them and keeps the
database in step. Accepting is quick and synchronous: once ``accept_file``
returns, the bytes are in the object store and the document is recorded, so
nothing can be lost. Processing is idempotent and resumable: it runs under a
lease, and a document whose worker died is picked up again.
"""

from __future__ import annotations

import logging
import os
import shutil
import socket
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, Literal

from sqlalchemy import insert, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from archive.database import RawJSON, replace_document_rows
from archive.findings import (
    detected_rows,
    detects_again,
    identifier_key,
    replace_findings_many,
)
from archive.models import (
    Case,
    CaseDocument,
    CaseEvent,
    DocState,
    Document,
    IndexOutbox,
    Package,
    PackageKind,
    Page,
    Source,
    Tier,
    new_id,
    utcnow,
)
from archive.store import FilesystemStore, StoreError
from archive.store.base import StoredObject, sha256_file
from backends import Archive
from common.pages import word_rows
from ingest.embedded import MAX_DEPTH, Embedded
from ingest.job import JobResult
from ingest.metadata import extract_metadata, record_metadata_many
from ingest.ocr import OcrOptions
from ingest.preflight import Limits, sniff

log = logging.getLogger(__name__)

# ``accepted``: queued and not waited for (still being processed).
Status = Literal["archived", "duplicate", "rejected", "accepted"]
TERMINAL = (DocState.archived, DocState.rejected)
ATTACHED = "Файл уже був в архіві: його збережено один раз і додано до цієї справи"


@dataclass(slots=True)
class Accepted:
    document_id: str
    # True when this call recorded the file; False when the same bytes were already known.
    new: bool
    state: DocState
    # Known bytes that this call put into one more case (that case now holds the document).
    attached: bool = False


@dataclass(frozen=True, slots=True)
class Outcome:
    """The answer for one input file, as the command line and the API report it."""

    file: str
    status: Status
    document_id: str | None
    reason: str | None = None
    code: str | None = None
    # Warnings for the administrator (pages where OCR found no text).
    notes: tuple[str, ...] = ()

    def as_json(self) -> dict[str, Any]:
        return {
            "file": self.file,
            "status": self.status,
            "document_id": self.document_id,
            "reason": self.reason,
            "code": self.code,
            "notes": list(self.notes),
        }


class NotAFile(Exception):
    """The path given is not a readable file (nothing was recorded)."""


def accept_file(
    archive: Archive,
    path: Path,
    *,
    case_number: str | None = None,
    package: PackageKind | None = None,
    source: Source = Source.upload,
    original_name: str | None = None,
    actor: str | None = None,
    meta: dict[str, str] | None = None,
    stored: StoredObject | None = None,
) -> Accepted:
    """Persist the original and record it, before any processing.

    Bytes are stored once (by SHA-256). Known bytes handed in for a case that
    does not hold them yet are attached to that case: it gets its own package
    entry and history, and the document becomes visible through it.

    ``stored``: the file was put in the operational store already (ahead of its
    turn, :func:`ingest.service.accept_files`); used only if it is exactly the
    bytes the file holds now, else the file is stored here.
    """
    if not path.is_file():
        raise NotAFile(f"{path}: файл не знайдено")
    digest = sha256_file(path)
    known_id = _known_id(archive, digest)
    if known_id is None:
        if stored is None or stored.sha256 != digest or stored.tier != Tier.operational:
            stored = archive.store.put_file(path)
        if stored.sha256 != digest:
            raise StoreError("the file changed while it was being received")
        columns: dict[str, Any] = {
            "source": source,
            "original_name": original_name or path.name,
            "sha256": digest,
            "size": stored.size,
            "state": DocState.accepted,
            "meta": meta or {},
        }
        try:
            if case_number is None:
                # No case: one plain INSERT (no case, package or history to record).
                document_id = new_id()
                with archive.db.engine.begin() as conn:
                    conn.execute(insert(Document).values(id=document_id, **columns))
                return Accepted(document_id, new=True, state=DocState.accepted)
            with archive.db.session() as s:
                case = _case(s, archive.settings.centre, case_number)
                pkg = _package(s, case, package or PackageKind.input)
                doc = Document(case_id=case.id, package_id=pkg.id, **columns)
                s.add(doc)
                s.flush()
                _received(s, case.id, doc.id, package, actor)
                return Accepted(doc.id, new=True, state=DocState.accepted)
        except IntegrityError:
            # Someone recorded the same bytes a moment ago: theirs is the document.
            known_id = _known_id(archive, digest)
            if known_id is None:
                raise
    return _known(archive, known_id, case_number, package, actor)


def _known_id(archive: Archive, digest: str) -> str | None:
    """The document holding these bytes, if any (a plain read, no ORM session)."""
    with archive.db.engine.connect() as conn:
        return conn.scalar(select(Document.id).where(Document.sha256 == digest))


def _known(
    archive: Archive,
    document_id: str,
    case_number: str | None,
    package: PackageKind | None,
    actor: str | None,
    centre: str | None = None,
) -> Accepted:
    """Known bytes: attach the document to ``case_number`` unless that case holds it."""
    for _ in range(3):
        try:
            with archive.db.session() as s:
                # Locked (PostgreSQL): a worker finishing it sees this holding, or we its state.
                doc = s.get(Document, document_id, with_for_update=True)
                assert doc is not None
                if case_number is None:
                    return Accepted(doc.id, new=False, state=doc.state)
                case = _case(s, centre or archive.settings.centre, case_number)
                held = s.get(CaseDocument, (case.id, doc.id))
                if held is not None:
                    return Accepted(doc.id, new=False, state=doc.state)
                pkg = _package(s, case, package or PackageKind.input)
                if doc.case_id is None:
                    # A document archived without a case: this is its case now.
                    doc.case_id, doc.package_id = case.id, pkg.id
                    s.flush()
                else:
                    s.add(CaseDocument(case_id=case.id, document_id=doc.id, package_id=pkg.id))
                _received(s, case.id, doc.id, package, actor, shared=True)
                _finished_event(s, case.id, doc)
                if doc.state == DocState.archived:
                    # One more case may see it now: the index hears of it through the outbox.
                    s.add(IndexOutbox(document_id=doc.id, op="upsert"))
                result = Accepted(doc.id, new=False, state=doc.state, attached=True)
                children = _children(doc)
            # The documents taken out of it belong to that case as well.
            for child in children:
                _known(archive, child, case_number, package, actor, centre)
            return result
        except IntegrityError:
            continue  # the same holding (or case) recorded at this moment: look again
    raise StoreError("the document could not be attached to the case")


def _children(doc: Document) -> list[str]:
    items = (doc.meta or {}).get("embedded")
    if not isinstance(items, list):
        return []
    return [str(e["document_id"]) for e in items if isinstance(e, dict) and e.get("document_id")]


def _received(
    s: Session,
    case_id: int,
    document_id: str,
    package: PackageKind | None,
    actor: str | None,
    *,
    shared: bool = False,
) -> None:
    details: dict[str, object] = {"document_id": document_id, "package": (package or "input")}
    if shared:
        details["shared"] = True
    s.add(CaseEvent(case_id=case_id, kind="document.received", actor=actor, details=details))


def _finished_event(s: Session, case_id: int, doc: Document) -> None:
    """A case that receives an already finished document also records how it finished."""
    if doc.state == DocState.archived:
        s.add(
            CaseEvent(
                case_id=case_id,
                kind="document.archived",
                details={"document_id": doc.id, "pages": doc.page_count or 0},
            )
        )
    elif doc.state == DocState.rejected:
        s.add(
            CaseEvent(
                case_id=case_id,
                kind="document.rejected",
                details={"document_id": doc.id, "code": doc.error_code},
            )
        )


def holders(s: Session, doc: Document) -> list[int]:
    """Ids of every case holding the document (the first case first)."""
    ids = list(
        s.scalars(
            select(CaseDocument.case_id)
            .where(CaseDocument.document_id == doc.id)
            .order_by(CaseDocument.created_at, CaseDocument.case_id)
        )
    )
    if doc.case_id is not None and doc.case_id not in ids:
        ids.insert(0, doc.case_id)
    return ids


def holders_many(s: Session, docs: Sequence[Document]) -> dict[str, list[int]]:
    """:func:`holders` of several documents in one query."""
    out: dict[str, list[int]] = {d.id: [] for d in docs}
    if not docs:
        return out
    rows = s.execute(
        select(CaseDocument.document_id, CaseDocument.case_id)
        .where(CaseDocument.document_id.in_(list(out)))
        .order_by(CaseDocument.created_at, CaseDocument.case_id)
    )
    for document_id, case_id in rows:
        out[document_id].append(case_id)
    for d in docs:
        if d.case_id is not None and d.case_id not in out[d.id]:
            out[d.id].insert(0, d.case_id)
    return out


def _case(s: Session, centre: str, number: str) -> Case:
    case = s.scalar(select(Case).where(Case.centre == centre, Case.number == number))
    if case is None:
        case = Case(number=number, centre=centre)
        s.add(case)
        s.flush()
        s.add(CaseEvent(case_id=case.id, kind="case.registered", details={"number": number}))
    return case


def _package(s: Session, case: Case, kind: PackageKind) -> Package:
    pkg = s.scalar(select(Package).where(Package.case_id == case.id, Package.kind == kind))
    if pkg is None:
        pkg = Package(case_id=case.id, kind=kind, received_at=utcnow())
        s.add(pkg)
        s.flush()
    return pkg


# --- processing -------------------------------------------------------------

JobRunner = Callable[[Path, Path, Path, Limits, OcrOptions], JobResult]
# Documents of one group in work at once (each waits for its worker process most of the time).
OVERLAP = 3


def worker_identity() -> str:
    """host:pid:start-time, so a dead worker's lease can be recognised as stale."""
    return f"{socket.gethostname()}:{os.getpid()}:{_start_time(os.getpid())}"


def _start_time(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[19]
    except (OSError, IndexError):
        return "0"


def _owner_alive(owner: str | None) -> bool:
    if not owner:
        return False
    try:
        host, pid_s, started = owner.rsplit(":", 2)
        pid = int(pid_s)
    except ValueError:
        return True
    if host != socket.gethostname():
        return True  # another machine's worker: trust its lease until it expires
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return _start_time(pid) == started


def claim(archive: Archive, document_id: str, owner: str) -> bool:
    """Take the lease on a document; False if it is finished or someone else holds it."""
    return bool(claim_many(archive, [document_id], owner))


def claim_many(archive: Archive, document_ids: Sequence[str], owner: str) -> list[str]:
    """Take the leases of several documents in one transaction; returns those taken.

    Documents free or with an expired lease are taken with one UPDATE (RETURNING
    the ids it took); one held by a dead worker is taken over one by one.
    """
    now = utcnow()
    until = now + timedelta(seconds=archive.settings.ingest.lease_seconds)
    ids = list(dict.fromkeys(document_ids))
    if not ids:
        return []
    taken: set[str] = set()
    with archive.db.session() as s:
        rows = s.execute(
            select(Document.id, Document.state, Document.lease_owner).where(Document.id.in_(ids))
        ).all()
        open_ = [(i, lease) for i, state, lease in rows if state not in TERMINAL]
        live = [i for i, lease in open_ if _alive_or_free(lease)]
        stale = [i for i, lease in open_ if not _alive_or_free(lease)]
        if live:
            res = s.execute(
                update(Document)
                .where(
                    Document.id.in_(live),
                    Document.state.in_([DocState.accepted, DocState.processing]),
                    or_(Document.lease_until.is_(None), Document.lease_until < now),
                )
                .values(
                    state=DocState.processing,
                    lease_owner=owner,
                    lease_until=until,
                    attempts=Document.attempts + 1,
                    updated_at=now,
                )
                .returning(Document.id)
                .execution_options(synchronize_session=False)
            )
            taken.update(res.scalars())
        for document_id in stale:
            if _claim(s, document_id, owner, now, until):
                taken.add(document_id)
    return [i for i in ids if i in taken]


def _alive_or_free(lease_owner: str | None) -> bool:
    return lease_owner is None or _owner_alive(lease_owner)


def _claim(s: Session, document_id: str, owner: str, now: datetime, until: datetime) -> bool:
    doc = s.get(Document, document_id)
    if doc is None or doc.state in TERMINAL:
        return False
    stale = doc.lease_owner is not None and not _owner_alive(doc.lease_owner)
    cond = [Document.lease_until.is_(None), Document.lease_until < now]
    if stale:
        cond.append(Document.lease_owner == doc.lease_owner)
    res = s.execute(
        update(Document)
        .where(
            Document.id == document_id,
            Document.state.in_([DocState.accepted, DocState.processing]),
            or_(*cond),
        )
        .values(
            state=DocState.processing,
            lease_owner=owner,
            lease_until=until,
            attempts=Document.attempts + 1,
            updated_at=now,
        )
        .execution_options(synchronize_session=False)
    )
    return bool(getattr(res, "rowcount", 0) == 1)


EMBEDDED_KEPT = (
    "Вкладений файл не є PDF чи зображенням: його збережено як оригінал, без розпізнавання"
)
EMBEDDED_TOO_DEEP = (
    f"Вкладений файл вкладено глибше ніж на {MAX_DEPTH} рівні: його збережено як оригінал"
)


def pending_documents(archive: Archive) -> list[str]:
    """Documents accepted but not finished (oldest first)."""
    with archive.db.session() as s:
        rows = s.scalars(
            select(Document.id)
            .where(Document.state.in_([DocState.accepted, DocState.processing]))
            .order_by(Document.created_at)
        )
        return list(rows)


@dataclass(slots=True)
class _Done:
    """One claimed document after its heavy work, waiting to be recorded."""

    document_id: str
    result: JobResult | None = None
    pdfa_sha: str | None = None
    code: str | None = None
    reason: str | None = None
    # Files taken out of the PDF: the documents made of them, and the parent's list.
    children: list[str] = field(default_factory=list)
    embedded: list[dict[str, object]] = field(default_factory=list)

    @property
    def archived(self) -> bool:
        return self.result is not None and self.pdfa_sha is not None


def process_document(archive: Archive, document_id: str, run: JobRunner, owner: str) -> bool:
    """Process one document to archived or rejected. Returns False if not claimed."""
    if not claim(archive, document_id, owner):
        return False
    done = _work_on(archive, document_id, run)
    try:
        with archive.db.session() as s:
            _record(s, archive, [done])
    except Exception:
        log.exception("document %s could not be recorded; it will be retried", document_id)
        _release(archive, document_id)
        raise
    if done.archived:
        extract_metadata(archive, document_id, done.result.pages if done.result else None)
    _process_children(archive, [done], run, owner)
    return True


def process_batch(
    archive: Archive, document_ids: Sequence[str], run: JobRunner, owner: str
) -> list[str]:
    """Process several documents, recording them together; returns those left to retry.

    The heavy work runs document by document; the results are written in one
    transaction (pages, identifiers, history, index outbox) and the metadata in a
    second one, so a group costs two commits instead of several per document.
    Every guarantee of :func:`process_document` holds: leases are taken first, a
    retried run replaces what an interrupted one wrote, and a document whose
    work failed (or whose group could not be recorded) is given back, to be retried.
    """
    claimed = claim_many(archive, document_ids, owner)
    finished: list[_Done] = []
    retry: list[str] = []
    # The heavy work of a group overlaps: while one document waits for its worker
    # process, the next is fetched from the store and the previous one's rendition stored.
    with ThreadPoolExecutor(
        max(1, min(len(claimed), OVERLAP)), thread_name_prefix="cnap-work"
    ) as pool:
        with archive.db.session() as s:
            known = {
                i: (sha, attempts)
                for i, sha, attempts in s.execute(
                    select(Document.id, Document.sha256, Document.attempts).where(
                        Document.id.in_(claimed)
                    )
                )
            }
        futures = [(d, pool.submit(_work_on, archive, d, run, known.get(d))) for d in claimed]
        for document_id, future in futures:
            try:
                finished.append(future.result())
            except Exception:
                retry.append(document_id)
    if not finished:
        return retry
    try:
        with archive.db.session() as s:
            _record(s, archive, finished)
    except Exception:
        log.exception("a group of %d documents could not be recorded; retried", len(finished))
        for done in finished:
            _release(archive, done.document_id)
        return [*retry, *(d.document_id for d in finished)]
    archived = [d for d in finished if d.archived and d.result is not None]
    try:
        with archive.db.session() as s:
            record_metadata_many(
                s,
                archive,
                [(d.document_id, d.result.pages) for d in archived if d.result],
                # Counted by the worker processes: only the weighing is left to this one.
                {
                    d.document_id: d.result.text_counts
                    for d in archived
                    if d.result and d.result.counted
                },
            )
    except Exception:
        # Derived data: one by one, so one document's failure spares the others.
        for done in archived:
            extract_metadata(archive, done.document_id, done.result.pages if done.result else None)
    _process_children(archive, archived, run, owner)
    return retry


def _work_on(
    archive: Archive, document_id: str, run: JobRunner, known: tuple[str, int] | None = None
) -> _Done:
    """The heavy part of one claimed document: preflight, rendition, text (not recorded yet).

    ``known``: the document's SHA-256 and attempts, when the caller read them already.
    """
    settings = archive.settings
    if known is None:
        with archive.db.session() as s:
            doc = s.get(Document, document_id)
            assert doc is not None
            known = (doc.sha256, doc.attempts)
    sha, attempts = known
    # On a store on this machine the worker process reads the stored original in
    # place and writes the rendition where the store adopts it with a rename: no
    # copy through a working directory (one is made only when the job needs one).
    store = archive.store
    local = store if isinstance(store, FilesystemStore) else None
    work = settings.work_dir / document_id
    shutil.rmtree(work, ignore_errors=True)
    if local is None:
        work.mkdir(parents=True)
    output = local.staging_path(f"{document_id}.pdf") if local else work / "archive.pdf"
    try:
        if attempts > settings.ingest.max_attempts:
            return _Done(
                document_id,
                code="processing_failed",
                reason=f"Файл не вдалося обробити після {settings.ingest.max_attempts} спроб; "
                "оригінал збережено для перевірки",
            )
        source = local.local_path(sha) if local else store.fetch(sha, work / "original")
        limits = Limits(
            max_file_mb=settings.ingest.max_file_mb,
            max_pages=settings.ingest.max_pages,
            max_image_mpixels=settings.ingest.max_image_mpixels,
        )
        options = OcrOptions(
            languages=settings.ingest.languages,
            jobs=os.cpu_count() or 1,
            page_timeout=settings.ingest.page_timeout,
            max_image_mpixels=settings.ingest.max_image_mpixels,
            verify_pdfa=settings.ingest.verify_pdfa,
        )
        result = run(source, output, work / "tmp", limits, options)
        if not result.ok or result.pdfa_path is None:
            return _Done(
                document_id,
                result=result,
                code=result.code or "ocr_failed",
                reason=result.reason or "Невідома помилка обробки",
            )
        # The embedded files are recorded (accepted) before the parent is finished: a crash
        # in between leaves them to be picked up by recovery, never lost.
        children, entries = archive_embedded(archive, document_id, result.embedded)
        if local is not None and result.pdfa_path == output:
            pdfa = local.adopt(output)
        else:
            pdfa = store.put_file(result.pdfa_path)
        return _Done(
            document_id, result=result, pdfa_sha=pdfa.sha256, children=children, embedded=entries
        )
    except Exception:
        # A transient failure (store outage, a killed worker process): give the
        # lease back so the document is retried; it is never dropped.
        log.exception("processing of document %s failed; it will be retried", document_id)
        _release(archive, document_id)
        raise
    finally:
        shutil.rmtree(work, ignore_errors=True)
        if local is not None:
            output.unlink(missing_ok=True)


def _process_children(archive: Archive, done: list[_Done], run: JobRunner, owner: str) -> None:
    """Each embedded document goes through the same pipeline (OCR, identifiers), by this
    worker right after its parent (a crash leaves them accepted, for recovery)."""
    for d in done:
        for child in d.children:
            try:
                process_document(archive, child, run, owner)
            except Exception:
                log.exception("embedded document %s failed; it will be retried", child)


def archive_embedded(
    archive: Archive, parent_id: str, embedded: list[Embedded]
) -> tuple[list[str], list[dict[str, object]]]:
    """Files taken out of a PDF: PDFs and images become documents of the parent's cases.

    Each child records its parent (``embedded_in``) and the parent lists its
    children (``embedded``); other kinds, and files nested deeper than
    :data:`~ingest.embedded.MAX_DEPTH`, are kept in the store as originals with a reason.
    Returns the child documents to process and the parent's list.
    """
    if not embedded:
        return [], []
    with archive.db.session() as s:
        parent = s.get(Document, parent_id)
        assert parent is not None
        depth = int(str((parent.meta or {}).get("embedded_depth", "0")) or 0) + 1
        source = parent.source
        kind = parent.package.kind if parent.package is not None else PackageKind.input
        cases = [(c.number, c.centre) for c in (s.get(Case, i) for i in holders(s, parent)) if c]
    children: list[str] = []
    entries: list[dict[str, object]] = []
    for e in embedded:
        entry: dict[str, object] = {"name": e.name, "size": e.size}
        if e.path is None:
            entries.append({**entry, "status": "kept", "code": e.code, "reason": e.reason})
            continue
        stored = archive.store.put_file(e.path)
        entry["sha256"] = stored.sha256
        with e.path.open("rb") as f:
            head = f.read(4096)
        if sniff(head) is None:
            entries.append({**entry, "status": "kept", "code": "unsupported_type",
                            "reason": EMBEDDED_KEPT})  # fmt: skip
            continue
        if depth > MAX_DEPTH:
            entries.append({**entry, "status": "kept", "code": "too_deep",
                            "reason": EMBEDDED_TOO_DEEP})  # fmt: skip
            continue
        meta = {"embedded_in": parent_id, "embedded_name": e.name, "embedded_depth": str(depth)}
        acc = accept_file(archive, e.path, source=source, original_name=e.name, meta=meta)
        for number, centre in cases:
            _known(archive, acc.document_id, number, kind, "embedded", centre=centre)
        children.append(acc.document_id)
        entries.append({**entry, "status": "document", "document_id": acc.document_id})
    return children, entries


def _record(s: Session, archive: Archive, done: Sequence[_Done]) -> None:
    """Write what the heavy work of several documents produced, in the caller's transaction."""
    archived = [d for d in done if d.archived]
    if archived:
        _finish_archived(s, archive, archived)
    for d in done:
        if not d.archived:
            _finish_rejected(
                s,
                d.document_id,
                d.code or "ocr_failed",
                d.reason or "Невідома помилка обробки",
                media_type=d.result.media_type if d.result else None,
            )


def _release(archive: Archive, document_id: str) -> None:
    # An outage is not the document's fault: the attempt is given back, so only
    # documents that really fail (or kill their worker) run out of attempts.
    with archive.db.session() as s:
        s.execute(
            update(Document)
            .where(Document.id == document_id, Document.state == DocState.processing)
            .values(
                state=DocState.accepted,
                lease_owner=None,
                lease_until=None,
                attempts=Document.attempts - 1,
            )
        )


def _finish_archived(s: Session, archive: Archive, done: Sequence[_Done]) -> None:
    """Record a group of archived documents: pages, identifiers, history, index outbox.

    Rows are written with one bulk INSERT per table for the whole group (no ORM
    object per page or identifier). Idempotent: a retried run replaces whatever
    an interrupted one wrote (pages and identifiers are deleted first).
    """
    ids = [d.document_id for d in done]
    docs = {
        doc.id: doc
        for doc in s.scalars(
            select(Document).where(Document.id.in_(ids)).with_for_update().order_by(Document.id)
        )
    }
    key = identifier_key(archive.settings)
    pages: dict[str, list[dict[str, Any]]] = {}
    findings: dict[str, list[dict[str, Any]]] = {}
    now = utcnow()
    for d in done:
        result, doc = d.result, docs[d.document_id]
        assert result is not None and d.pdfa_sha is not None
        encoded = result.words_json
        if encoded is None or len(encoded) != len(result.pages):
            encoded = None
        pages[d.document_id] = [
            {
                "document_id": d.document_id,
                "number": p.number,
                "text": p.text,
                "ocr": p.ocr,
                # Encoded by the worker process when it could (the same JSON).
                "words": RawJSON(encoded[i]) if encoded else word_rows(p.words),
            }
            for i, p in enumerate(result.pages)
        ]
        doc.media_type = result.media_type
        doc.meta = {
            **(doc.meta or {}),
            "rendition": {"pdfa": result.is_pdfa, "signed": result.signed, "notes": result.notes},
            **({"embedded": d.embedded} if d.embedded else {}),
        }
        doc.pdfa_sha256 = d.pdfa_sha
        doc.page_count = len(result.pages)
        doc.state = DocState.archived
        doc.error = doc.error_code = None
        doc.archived_at = now
        doc.lease_owner = None
        doc.lease_until = None
        # Personal data in the pages and the metadata, for masking, redaction and look-ups
        # (found by the worker process when it could: the job carries the findings).
        # The words (boxes of what is found) only when detection runs here again.
        detect_on = (
            result.pages_with_words() if detects_again(doc.meta, result.findings) else result.pages
        )
        findings[d.document_id] = detected_rows(
            key, d.document_id, detect_on, doc.meta, result.findings
        )
    replace_document_rows(s, Page, pages)
    replace_findings_many(s, findings)
    s.execute(insert(IndexOutbox), [{"document_id": i, "op": "upsert"} for i in ids])
    held_by = holders_many(s, list(docs.values()))
    events = [
        {
            "case_id": case_id,
            "kind": "document.archived",
            "details": {"document_id": d.document_id, "pages": docs[d.document_id].page_count},
        }
        for d in done
        for case_id in held_by[d.document_id]
    ]
    if events:
        s.execute(insert(CaseEvent), events)


def _finish_rejected(
    s: Session,
    document_id: str,
    code: str,
    reason: str,
    media_type: str | None = None,
) -> None:
    doc = s.get(Document, document_id, with_for_update=True)
    assert doc is not None
    doc.state = DocState.rejected
    doc.error_code = code
    doc.error = reason
    doc.media_type = media_type
    doc.lease_owner = None
    doc.lease_until = None
    for case_id in holders(s, doc):
        s.add(
            CaseEvent(
                case_id=case_id,
                kind="document.rejected",
                details={"document_id": document_id, "code": code},
            )
        )


def outcome_for(archive: Archive, file: str, accepted: Accepted) -> Outcome:
    """The reported status of a file once its document is finished."""
    with archive.db.session() as s:
        doc = s.get(Document, accepted.document_id)
        assert doc is not None
        return outcome_of(file, accepted, FinishedState(doc.state, doc.error, doc.error_code))


@dataclass(frozen=True, slots=True)
class FinishedState:
    """What a document's outcome is made of: its state and, if rejected, why."""

    state: DocState
    error: str | None = None
    error_code: str | None = None


def finished_states(archive: Archive, document_ids: Sequence[str]) -> dict[str, FinishedState]:
    """The states of those of ``document_ids`` that are finished (archived or rejected),
    in one query: a run reports many files, one read for all that are done."""
    if not document_ids:
        return {}
    with archive.db.engine.connect() as conn:
        rows = conn.execute(
            select(Document.id, Document.state, Document.error, Document.error_code).where(
                Document.id.in_(document_ids), Document.state.in_(TERMINAL)
            )
        )
        return {i: FinishedState(DocState(st), err, code) for i, st, err, code in rows}


def outcome_of(file: str, accepted: Accepted, done: FinishedState) -> Outcome:
    """The reported status of a file, from its document's finished state."""
    document_id = accepted.document_id
    if done.state == DocState.rejected:
        return Outcome(file, "rejected", document_id, done.error, done.error_code)
    if done.state == DocState.archived:
        if accepted.attached:
            # The bytes were known: stored once, and this case holds the document now.
            return Outcome(file, "archived", document_id, ATTACHED, "attached")
        if not accepted.new and accepted.state == DocState.archived:
            return Outcome(file, "duplicate", document_id, "Цей файл уже є в архіві", "duplicate")
        return Outcome(file, "archived", document_id)
    return Outcome(file, "rejected", document_id, "Обробку не завершено", "unfinished")
