"""The one ingest pipeline: every input goes through these stages, in this order."""

from __future__ import annotations

from backends import Archive
from ingest.batch.stage import COVER_SHEET_SPLIT
from ingest.stages import AcceptDocument, Consumed, DispatcherRef, Intake, Stage, run_stages

# Cover-sheet splitting first: it takes a batch over (its parts are queued,
# the scan itself is not archived); anything else is accepted as one document.
STAGES: tuple[Stage, ...] = (COVER_SHEET_SPLIT, AcceptDocument())


def consume(archive: Archive, intake: Intake, dispatcher: DispatcherRef) -> Consumed:
    """Run the input through the pipeline; returns what the stage that took it did."""
    return run_stages(archive, intake, dispatcher, STAGES)
