"""Cover-sheet splitting as a stage of the ingest pipeline, and the batch entry point.

The stage applies to an input marked as a scanned batch. Like paperless-ngx's
barcode plugin it takes the input over: it records the batch, splits it at
the cover sheets, queues each package as a document of its case (or holds it
for review) and stops the consume: the scan itself is never archived as one
document. :func:`ingest_batch` runs it and then waits for the queued parts and
writes the batch's report.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path

from archive.batches import BatchState, PartState
from archive.store.base import sha256_file
from backends import Archive
from ingest.batch.errors import BatchUnreadable
from ingest.batch.placing import flush_index, part_specs, place_parts, settle_statuses
from ingest.batch.report import BatchReport, PartResult, pages_text, stored_report
from ingest.batch.state import fail_batch, find_batch, finish_batch, open_batch, record_failed
from ingest.dispatch import Dispatcher
from ingest.errors import Rejected
from ingest.pipeline import NotAFile
from ingest.preflight import Limits, check
from ingest.stages import DispatcherRef, Intake, run_stages
from scanner.split import BatchSplit, iter_batch_pages, split_batch

log = logging.getLogger(__name__)


@dataclass(slots=True)
class BatchQueued:
    """A batch split and its parts placed (queued parts not yet waited for)."""

    name: str
    sha256: str
    batch_id: str | None = None
    split: BatchSplit | None = None
    parts: list[PartResult] | None = None
    # Set when nothing was done: the batch was seen before.
    seen_before: BatchReport | None = None

    @property
    def queued(self) -> list[str]:
        return [r.document_id for r in self.parts or [] if r.document_id and r.status == "accepted"]


def batch_limits(archive: Archive) -> Limits:
    cfg = archive.settings.ingest
    return Limits(
        max_file_mb=cfg.max_file_mb,
        max_pages=cfg.max_pages,
        max_image_mpixels=cfg.max_image_mpixels,
    )


class CoverSheetSplit:
    """Split a scanned batch at its cover sheets and queue the packages (stops the consume)."""

    def able_to_run(self, intake: Intake) -> bool:
        return intake.split

    def run(self, archive: Archive, intake: Intake, dispatcher: DispatcherRef) -> BatchQueued:
        path, name, actor, source = intake.path, intake.name, intake.actor, intake.channel
        if not path.is_file():
            raise NotAFile(f"{path}: файл не знайдено")
        sha = sha256_file(path)
        size = path.stat().st_size
        known = find_batch(archive, sha)
        if known is not None and known.state in (BatchState.done, BatchState.review):
            report = stored_report(archive, known, name, duplicate=True)
            return BatchQueued(name, sha, seen_before=report)
        # A batch that failed before is tried again: the cause may have passed.
        try:
            pre = check(path, batch_limits(archive))
        except Rejected as exc:
            record_failed(archive, sha, size, name, source, actor, exc.code, exc.reason)
            raise BatchUnreadable(exc.code, exc.reason) from exc
        stored = False
        if archive.settings.desk.keep_batch_original:
            archive.store.put_file(path)
            stored = True
        batch_id = open_batch(archive, sha, size, name, source, actor, stored, pre.pages)
        try:
            split = split_batch(iter_batch_pages(path, dpi=archive.settings.desk.split_dpi))
        except Exception as exc:  # a file preflight let through but the renderer cannot read
            log.warning("a scanned batch could not be rendered for splitting", exc_info=True)
            reason = "Не вдалося прочитати сторінки пачки; відскануйте її знову"
            fail_batch(archive, batch_id, "unreadable_batch", reason)
            raise BatchUnreadable("unreadable_batch", reason) from exc
        parts = place_parts(
            archive, path, batch_id, name, part_specs(split), actor, dispatcher.get()
        )
        return BatchQueued(name, sha, batch_id, split, parts)


COVER_SHEET_SPLIT = CoverSheetSplit()


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
    """Split a scanned batch and archive its packages (see :mod:`ingest.batch`).

    The same as consuming the file marked as a batch through
    :func:`ingest.consume.consume` (the split stage always takes such an
    input over), then waiting for its parts and writing the report.
    """
    intake = Intake(path, actor=actor, original_name=original_name, split=True, channel=source)
    ref = DispatcherRef(archive, dispatcher)
    try:
        done = run_stages(archive, intake, ref, (COVER_SHEET_SPLIT,))
        assert isinstance(done, BatchQueued)
        if done.seen_before is not None:
            return done.seen_before
        assert done.batch_id is not None and done.split is not None and done.parts is not None
        if wait:
            disp = ref.get()
            disp.wait(done.queued)
            settle_statuses(archive, done.name, done.parts)
            flush_index(archive, disp)
    finally:
        ref.close()
    return finish_report(archive, done)


def finish_report(archive: Archive, done: BatchQueued) -> BatchReport:
    """The batch's report from what became of its parts; the batch leaves ``processing``."""
    assert done.batch_id is not None and done.split is not None and done.parts is not None
    split, results = done.split, done.parts
    problems = split.problems()
    for r in results:
        if r.state == PartState.held and r.code == "unknown_case":
            problems.append(
                f"Справу № {r.case} не знайдено в журналі ЦНАП «{r.centre}»: "
                f"{pages_text(r.pages)} збережено для перевірки (частина {r.part_id})."
            )
    report = BatchReport(
        file=done.name,
        batch_id=done.batch_id,
        sha256=done.sha256,
        status=BatchState.review
        if (problems or any(r.state == PartState.held for r in results))
        else BatchState.done,
        pages=len(split.verdicts),
        blank_pages=[i + 1 for i in split.blank_pages],
        cover_pages=[s.cover_page_index + 1 for s in split.segments],
        parts=results,
        problems=problems,
    )
    finish_batch(archive, done.batch_id, report)
    return report
