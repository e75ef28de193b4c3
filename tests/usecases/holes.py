"""Shared pieces of the issue-9 regression tests of ingest: an inline dispatcher that
processes a document at once with a fake job (no OCR), and cases made in the database."""

from __future__ import annotations

import shutil
from collections.abc import Iterable
from pathlib import Path

from archive.models import Case, CaseStatus
from backends import Archive
from common.pages import PageText
from ingest.dispatch.base import wait_for_documents
from ingest.indexing import flush_outbox
from ingest.job import JobResult
from ingest.ocr import OcrOptions
from ingest.pipeline import process_document, worker_identity
from ingest.preflight import Limits


def fake_job(
    source: Path, output_pdf: Path, work_dir: Path, limits: Limits, options: OcrOptions
) -> JobResult:
    """The original is its own rendition; its bytes, decoded, are its one page of text."""
    shutil.copyfile(source, output_pdf)
    text = source.read_bytes().decode("utf-8", "replace")
    return JobResult(
        media_type="application/pdf",
        pdfa_path=output_pdf,
        pages=[PageText(1, text, [], ocr=False)],
    )


class Inline:
    """Processes each submitted document in the calling thread, then flushes the index."""

    def __init__(self, archive: Archive) -> None:
        self.archive = archive
        self.owner = worker_identity()

    def submit(self, document_id: str) -> None:
        process_document(self.archive, document_id, fake_job, self.owner)
        flush_outbox(self.archive)

    def recover(self) -> list[str]:
        return []

    def wait(self, document_ids: Iterable[str], timeout: float | None = None) -> None:
        # A document another thread is processing: wait for it (taking it over if dropped).
        wait_for_documents(
            self.archive,
            document_ids,
            timeout=timeout or 60,
            nudge=lambda ids: [self.submit(i) for i in ids],
            nudge_every=1.0,
            poll=0.05,
        )

    def flush_index(self) -> None:
        flush_outbox(self.archive)

    def require_workers(self) -> None:
        # Work runs inline, in this process: there is always a worker.
        return None

    def close(self) -> None:
        pass


def make_case(
    archive: Archive,
    number: str,
    *,
    centre: str | None = None,
    department: str | None = None,
    workplace: str | None = None,
    status: CaseStatus = CaseStatus.registered,
) -> int:
    with archive.db.session() as s:
        case = Case(
            number=number,
            centre=centre or archive.settings.centre,
            department=department,
            workplace=workplace,
            status=status,
        )
        s.add(case)
        s.flush()
        return case.id
