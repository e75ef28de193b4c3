"""Bulk import of a centre's earlier electronic archive: ``cnap-archive import DIR --manifest``.

The manifest (one CSV row per case, ``docs/import.md``) is judged as a whole
first; then each good row is recorded as the case it was (its own number and
dates, not a new journal number), its files go through the normal ingest
pipeline (born-digital PDFs skip OCR there, scans are recognised) into that
case, and the row is written into the journal of rows done. A rerun after a
kill skips those rows, picks up the documents left half-processed, and
resumes a case it had created without creating it again; files are stored
once by SHA-256 per case anyway. Rows that break a rule are reported with
their number and a Ukrainian reason, and the others go on. One
``case.import`` audit entry carries the counts, never a name.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from contextlib import closing
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import select

from archive.audit import Action
from archive.imports import ImportClash, import_case, mark_done, rows_done
from archive.models import DocState, Document, Source
from archive.store import StoreError
from archive.store.base import StoredObject
from ingest.dispatch import Dispatcher, open_dispatcher
from ingest.manifest import (
    ManifestError,
    ManifestFile,
    ManifestRow,
    RejectedRow,
    read_manifest,
    read_services,
)
from ingest.pipeline import TERMINAL, NotAFile, accept_file
from ingest.service import stored_ahead
from usecases.access import event
from usecases.case_access import require_desk
from usecases.context import Context
from usecases.errors import Invalid, Unavailable
from usecases.registry import use_case

# Cases recorded (and rows marked done) per transaction: fewer commits, each one a disk flush.
CHUNK = 25


@dataclass(frozen=True, slots=True)
class ImportProgress:
    """How far an import is: rows and documents of this run, and since when."""

    rows_total: int
    rows_done: int
    documents_total: int
    documents_done: int
    elapsed: float

    @property
    def rate(self) -> float:
        """Documents finished per second in this run."""
        return self.documents_done / self.elapsed if self.elapsed > 0 else 0.0

    @property
    def eta_seconds(self) -> float | None:
        """Seconds left at the current rate (None before the first document)."""
        if self.documents_done == 0 or self.rate <= 0:
            return None
        return (self.documents_total - self.documents_done) / self.rate


@dataclass(frozen=True, slots=True)
class RejectedDocument:
    """A file of an imported case that the pipeline could not archive."""

    row: int
    column: str
    index: int
    document_id: str
    code: str | None
    reason: str | None

    def as_json(self) -> dict[str, Any]:
        return {
            "row": self.row,
            "column": self.column,
            "index": self.index,
            "document_id": self.document_id,
            "code": self.code,
            "reason": self.reason,
        }


@dataclass(slots=True)
class ImportSummary:
    """The outcome of one run (``--json`` prints :meth:`as_json`)."""

    manifest_sha256: str
    rows: int = 0
    imported: int = 0
    resumed: int = 0
    skipped: int = 0
    documents: int = 0
    archived: int = 0
    already: int = 0
    recovered: int = 0
    elapsed: float = 0.0
    rejected: list[RejectedRow] = field(default_factory=list)
    rejected_documents: list[RejectedDocument] = field(default_factory=list)

    @property
    def rate(self) -> float:
        return self.documents / self.elapsed if self.elapsed > 0 else 0.0

    @property
    def ok(self) -> bool:
        return not self.rejected and not self.rejected_documents

    def as_json(self) -> dict[str, Any]:
        return {
            "manifest_sha256": self.manifest_sha256,
            "rows": self.rows,
            "imported": self.imported,
            "resumed": self.resumed,
            "skipped": self.skipped,
            "documents": self.documents,
            "archived": self.archived,
            "already": self.already,
            "recovered": self.recovered,
            "elapsed_seconds": round(self.elapsed, 3),
            "documents_per_second": round(self.rate, 2),
            "rejected": [r.as_json() for r in sorted(self.rejected, key=lambda r: r.row)],
            "rejected_documents": [d.as_json() for d in self.rejected_documents],
        }


@use_case(Action.case_import)
def import_archive(
    ctx: Context,
    *,
    folder: Path,
    manifest: Path,
    services: Path | None = None,
    on_progress: Callable[[ImportProgress], None] | None = None,
    window: int | None = None,
) -> ImportSummary:
    """Import the cases of ``manifest`` with their files under ``folder`` (resumable).

    ``services`` is the centre's list of services (one a line): a row naming
    another is rejected. ``on_progress`` hears of every row and finished
    document; ``window`` bounds the documents in processing at once.
    """
    archive = ctx.archive
    require_desk(archive, ctx.events, ctx.principal, archive.settings.centre, Action.case_import)
    try:
        known = read_services(services) if services is not None else None
        parsed = read_manifest(
            manifest, folder, timezone=archive.settings.desk.timezone, services=known
        )
    except ManifestError as exc:
        raise Invalid(f"Маніфест не прийнято: {exc}", code="bad_manifest") from exc
    run = _Run(ctx, parsed.sha256, on_progress, window)
    run.summary.rows = len(parsed.rows) + len(parsed.rejected)
    run.summary.rejected.extend(parsed.rejected)
    try:
        run.go(parsed.rows)
    finally:
        s = run.summary
        ctx.events.publish(
            event(
                ctx.principal,
                Action.case_import,
                details={
                    "manifest": parsed.sha256[:12],
                    "rows": s.rows,
                    "imported": s.imported,
                    "resumed": s.resumed,
                    "skipped": s.skipped,
                    "rejected": len(s.rejected),
                    "documents": s.documents,
                },
            )
        )
    return run.summary


class _Run:
    """One import run: rows in order, documents processed in a bounded window."""

    def __init__(
        self,
        ctx: Context,
        sha256: str,
        on_progress: Callable[[ImportProgress], None] | None,
        window: int | None,
    ) -> None:
        self.ctx = ctx
        self.archive = ctx.archive
        self.summary = ImportSummary(sha256)
        self.on_progress = on_progress
        self.window = window or max(32, 8 * self.archive.settings.worker_count)
        self.inflight: dict[str, None] = {}
        self.recovered: set[str] = set()
        self.where: dict[str, list[tuple[int, ManifestFile]]] = {}
        self.started = time.monotonic()
        self.rows_total = 0
        self.rows_done = 0
        self.docs_total = 0
        self.docs_done = 0

    def go(self, rows: list[ManifestRow]) -> None:
        with self.archive.db.session() as s:
            done = rows_done(s, self.summary.manifest_sha256)
        todo = [r for r in rows if r.row not in done]
        self.summary.skipped = len(rows) - len(todo)
        self.rows_total = len(todo)
        self.docs_total = sum(len(r.files) for r in todo)
        own = self.ctx.dispatcher is None
        dispatcher = self.ctx.dispatcher or open_dispatcher(self.archive)
        try:
            if own:
                # Documents a killed run accepted but never finished: waited for too.
                recovered = dispatcher.recover()
                self.summary.recovered = len(recovered)
                self.docs_total += len(recovered)
                self.inflight.update(dict.fromkeys(recovered))
                self.recovered = set(recovered)
            self._report()
            for at in range(0, len(todo), CHUNK):
                self._chunk(dispatcher, todo[at : at + CHUNK])
            self._drain(dispatcher, 0)
            dispatcher.flush_index()
        except StoreError as exc:
            raise Unavailable(
                "Сховище недоступне: імпорт зупинено; запустіть його ще раз — зроблене "
                "не повториться",
                code="store_unavailable",
            ) from exc
        finally:
            self.summary.elapsed = time.monotonic() - self.started
            if own:
                dispatcher.close()

    def _chunk(self, dispatcher: Dispatcher, rows: list[ManifestRow]) -> None:
        """Record a chunk of cases in one transaction, archive their files, mark them done.

        Each step is idempotent, so a kill anywhere in between is resumed by the next run.
        """
        archive, summary = self.archive, self.summary
        cases: list[tuple[ManifestRow, int]] = []
        with archive.db.session() as s:
            for r in rows:
                try:
                    case, new = import_case(
                        s,
                        archive.settings,
                        r.case,
                        actor=self.ctx.actor,
                        manifest=summary.manifest_sha256,
                        row=r.row,
                        documents=len(r.files),
                    )
                except ImportClash:
                    summary.rejected.append(
                        RejectedRow(
                            r.row,
                            r.case.number,
                            "duplicate_number",
                            "справа з таким номером уже є в архіві (не з цього імпорту)",
                        )
                    )
                    self.docs_total -= len(r.files)
                    self.rows_done += 1
                    continue
                cases.append((r, case.id))
                if new:
                    summary.imported += 1
                else:
                    summary.resumed += 1
        # The next files are stored while one is recorded (ingest.service.stored_ahead).
        # A row is done after its last file (every row has one at least).
        files = [
            (r, f, i == len(r.files) - 1) for r, _case_id in cases for i, f in enumerate(r.files)
        ]
        with closing(stored_ahead(archive, files, lambda item: item[1].path)) as ahead:
            for (r, f, last), stored in ahead:
                self._file(dispatcher, r, f, stored)
                if last:
                    self._row_done(dispatcher)
        with archive.db.session() as s:
            for r, case_id in cases:
                mark_done(s, summary.manifest_sha256, r.row, case_id, len(r.files), self.ctx.actor)
        self._report()

    def _row_done(self, dispatcher: Dispatcher) -> None:
        self.rows_done += 1
        if len(self.inflight) >= self.window:
            self._drain(dispatcher, self.window // 2)

    def _file(
        self, dispatcher: Dispatcher, r: ManifestRow, f: ManifestFile, stored: StoredObject | None
    ) -> None:
        archive, summary = self.archive, self.summary
        try:
            acc = accept_file(
                archive,
                f.path,
                case_number=r.case.number,
                package=f.package,
                source=Source.upload,
                original_name=f.path.name,
                actor=self.ctx.actor,
                meta={"origin": "import"},
                stored=stored,
            )
        except NotAFile:
            # Gone between the check and now: the case stays, the file is reported.
            summary.rejected_documents.append(
                RejectedDocument(
                    r.row, f.column, f.index, "", "file_missing", "файл зник під час імпорту"
                )
            )
            self.docs_total -= 1
            return
        summary.documents += 1
        self.where.setdefault(acc.document_id, []).append((r.row, f))
        if acc.state in TERMINAL and not acc.new:
            summary.already += 1
            self.docs_done += 1
            return
        dispatcher.submit(acc.document_id)
        self.inflight[acc.document_id] = None

    def _drain(self, dispatcher: Dispatcher, limit: int) -> None:
        """Wait until at most ``limit`` documents are still in processing."""
        while len(self.inflight) > limit:
            oldest = list(self.inflight)[: len(self.inflight) - limit]
            dispatcher.wait(oldest)
            with self.archive.db.session() as s:
                finished = list(
                    s.execute(
                        select(Document.id, Document.state, Document.error_code, Document.error)
                        .where(Document.id.in_(list(self.inflight)))
                        .where(Document.state.in_(TERMINAL))
                    )
                )
            for doc_id, state, code, reason in finished:
                self.inflight.pop(doc_id, None)
                uses = self.where.get(doc_id, [])
                self.docs_done += len(uses) + (doc_id in self.recovered)
                if state == DocState.archived:
                    self.summary.archived += 1
                    continue
                for row, f in uses:
                    self.summary.rejected_documents.append(
                        RejectedDocument(row, f.column, f.index, doc_id, code, reason)
                    )
            self._report()

    def _report(self) -> None:
        if self.on_progress is None:
            return
        self.on_progress(
            ImportProgress(
                rows_total=self.rows_total,
                rows_done=self.rows_done,
                documents_total=self.docs_total,
                documents_done=min(self.docs_done, self.docs_total),
                elapsed=time.monotonic() - self.started,
            )
        )


__all__ = ["ImportProgress", "ImportSummary", "RejectedDocument", "import_archive"]
