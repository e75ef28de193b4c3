"""The heavy part of processing one file, run in a worker process.

It runs apart from the orchestrating process so that a hostile file (a
decompression bomb, a parser crash) can only take down a worker, and so that
OCRmyPDF, which is not thread-safe, gets a process of its own.
"""

from __future__ import annotations

import json
import os
import resource
import threading
import time
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from common.pages import PageText, Word, word_rows
from ingest.embedded import REMOVED_NOTE, Embedded, extract_embedded, strip_embedded
from ingest.errors import Rejected
from ingest.metadata.classifier import classifier_text, text_counts
from ingest.ocr import OcrFailed, OcrOptions, run_ocr
from ingest.preflight import Limits, check
from pii import Finding, detect


@dataclass(slots=True)
class JobResult:
    """What a worker hands back; errors travel as values (exceptions pickle badly)."""

    media_type: str | None = None
    pdfa_path: Path | None = None
    pages: list[PageText] = field(default_factory=list)
    code: str | None = None
    reason: str | None = None
    # The rendition is PDF/A (False: e.g. a signed PDF kept byte for byte).
    is_pdfa: bool = True
    signed: bool = False
    notes: list[str] = field(default_factory=list)
    # Files embedded in the PDF, taken out to be archived as documents of their own.
    embedded: list[Embedded] = field(default_factory=list)
    # Personal data found in the pages (the worker process reads them while it has
    # them; None: not looked for, the orchestrating process detects it).
    findings: list[Finding] | None = None
    # The classifier's hashed n-gram counts of the first pages (model-independent,
    # :func:`ingest.metadata.classifier.text_counts`), counted here beside the text
    # so that the orchestrating process only weighs them; ``counted``: they were.
    text_counts: Any = None
    counted: bool = False
    # Each page's words as stored (``json.dumps(word_rows(page.words))``), encoded
    # here so that the orchestrating process writes them as they are. When they
    # are, ``pages`` travel without their words (a few hundred objects a page to
    # pickle and unpickle for nothing): :meth:`pages_with_words` has them back.
    words_json: list[str] | None = None

    @property
    def ok(self) -> bool:
        return self.code is None

    def pages_with_words(self) -> list[PageText]:
        """The pages with their words and boxes (decoded from ``words_json`` if they
        travelled only there)."""
        encoded = self.words_json
        if encoded is None or len(encoded) != len(self.pages) or any(p.words for p in self.pages):
            return self.pages
        return [
            replace(p, words=[Word(*row) for row in json.loads(e)])
            for p, e in zip(self.pages, encoded, strict=True)
        ]


_TOO_BIG = "Вкладені файли потребують забагато пам'яті: вони є лише в оригіналі PDF"


# How often a worker checks that the process that started it is still there.
_PARENT_CHECK_SECONDS = 1.0


def _die_with_parent() -> None:
    """Stop this worker when the process that started it is gone.

    A pool's workers hold both ends of their job queue, so they never see the
    queue close: when the orchestrating process is killed (``kill -9``, the OOM
    killer) they would wait for ever, each holding its memory. A thread
    watches the parent instead (not ``PR_SET_PDEATHSIG``: that follows the
    thread that started the worker, and the pool is shared between threads).
    """
    parent = os.getppid()

    def watch() -> None:
        while True:
            time.sleep(_PARENT_CHECK_SECONDS)
            if os.getppid() != parent:
                os._exit(1)

    threading.Thread(target=watch, name="parent-watch", daemon=True).start()


def init_worker(memory_limit_mb: int) -> None:
    """Pool initialiser: die with the parent, bound memory, keep Tesseract single-threaded."""
    _die_with_parent()
    # Tesseract's OpenMP threads oversubscribe small machines badly; we
    # parallelise across pages instead.
    os.environ["OMP_THREAD_LIMIT"] = "1"
    if memory_limit_mb > 0:
        limit = memory_limit_mb * 1024 * 1024
        resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
    # The OCR stack is imported when the worker starts, not on its first document.
    import pikepdf.pdfa  # noqa: F401

    import ingest.metadata.classifier
    import ingest.ocr.stage
    import pii.detector  # noqa: F401

    ingest.metadata.classifier.text_counts("")

    ingest.ocr.stage.quiet_loggers()


def run_job(
    source: Path, output_pdf: Path, work_dir: Path, limits: Limits, options: OcrOptions
) -> JobResult:
    """Preflight, then OCR to PDF/A; never raises for bad input."""
    try:
        pre = check(source, limits)
    except Rejected as exc:
        return JobResult(code=exc.code, reason=exc.reason)
    notes: list[str] = []
    embedded: list[Embedded] = []
    if pre.kind == "pdf":
        # Hidden files never reach the rendition unscanned (issue 9, item 9). The
        # working directory is made only if a file is taken out or written.
        try:
            max_bytes = int(limits.max_file_mb * 1024 * 1024)
            embedded = extract_embedded(source, work_dir / "embedded", max_bytes=max_bytes)
        except MemoryError:
            embedded = [Embedded("вкладений файл", None, 0, "out_of_memory", _TOO_BIG)]
        except Exception:  # preflight opened it; a broken tree leaves nothing to extract
            embedded = []
        try:
            removed = strip_embedded(source, work_dir / "without-embedded.pdf")
        except Exception:  # preflight opened it; any other failure is the OCR's to report
            removed = 0
        if removed:
            source = work_dir / "without-embedded.pdf"
            notes.append(REMOVED_NOTE.format(count=removed))
    try:
        result = run_ocr(source, pre.kind, output_pdf, options=options, work_dir=work_dir)
    except OcrFailed as exc:
        return JobResult(media_type=pre.media_type, code=exc.code, reason=exc.reason)
    except MemoryError:
        return JobResult(
            media_type=pre.media_type,
            code="out_of_memory",
            reason="Файл потребує забагато пам'яті для обробки; відскануйте його меншими частинами",
        )
    # On disk before it is handed over: storing it is then a rename (the store's
    # own fsync finds nothing left to write).
    _sync(result.pdfa_path)
    return JobResult(
        media_type=pre.media_type,
        pdfa_path=result.pdfa_path,
        # The words travel once, encoded (see JobResult.words_json).
        pages=[replace(p, words=[]) for p in result.pages],
        findings=detect(result.pages),
        text_counts=text_counts(classifier_text(p.text for p in result.pages)),
        counted=True,
        words_json=[json.dumps(word_rows(p.words)) for p in result.pages],
        is_pdfa=result.is_pdfa,
        signed=result.signed,
        notes=[*notes, *result.notes],
        embedded=embedded,
    )


def _sync(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
