"""Scanned batches: split at the cover sheets, archive each package as a document of its case.

A scanned file (a multi-page PDF or TIFF) holding several packages, each under
its cover sheet, goes through the ingest pipeline marked as a batch; the
cover-sheet stage (:mod:`.stage`):

1. checks it like any input (preflight) and records it by SHA-256 — the same
   scan sent again is recognised and not split twice; the file as received
   is kept in the object store (``desk.keep_batch_original``) (:mod:`.state`);
2. splits it with :func:`scanner.split.split_batch`: cover sheets are read
   (skewed, upside down, 200 dpi, bilevel), blank backs dropped;
3. cuts each package's pages out of the original without re-encoding
   (:mod:`.pages`) and accepts the part as a document of its case and package,
   with the batch, the page numbers and the cover sheet's evidence scan in its
   metadata — the cover sheet itself is not a page of the case (:mod:`.placing`);
4. holds for review, in the object store, whatever it cannot place: pages
   before the first cover sheet, pages after an unreadable one, and packages
   whose cover sheet names a case the journal does not know. A held part of
   an unknown case is attached by itself once that case is registered
   (:mod:`.review`).

Reports (:mod:`.report`) are what the command line, the hot folder and the API
show. Everything is recorded before processing starts, and every step is
idempotent (parts are rebuilt byte for byte), so a run interrupted anywhere
is finished by running it again.
"""

from __future__ import annotations

from ingest.batch.errors import BatchUnreadable, PartError
from ingest.batch.pages import write_part
from ingest.batch.placing import accept_into_case, flush_index
from ingest.batch.report import BatchReport, PartResult, batch_report, held_part_json
from ingest.batch.review import attach_part, held_parts, release_held
from ingest.batch.stage import BatchQueued, CoverSheetSplit, ingest_batch
from ingest.batch.state import find_batch

__all__ = [
    "BatchQueued",
    "BatchReport",
    "BatchUnreadable",
    "CoverSheetSplit",
    "PartError",
    "PartResult",
    "accept_into_case",
    "attach_part",
    "batch_report",
    "find_batch",
    "flush_index",
    "held_part_json",
    "held_parts",
    "ingest_batch",
    "release_held",
    "write_part",
]
