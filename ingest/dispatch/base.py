"""Work dispatch: who runs the processing of accepted documents."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any, Protocol

from sqlalchemy import select

from archive.models import Document
from backends import Archive
from ingest.indexing import flush_outbox
from ingest.pipeline import TERMINAL

log = logging.getLogger(__name__)


class NoWorkers(RuntimeError):
    """A broker is configured but no worker answers: nothing would process the files."""


class Dispatcher(Protocol):
    """Runs ``process_document`` for submitted documents, somewhere."""

    def submit(self, document_id: str) -> None:
        """Queue a document for processing (submitting twice is harmless)."""

    def recover(self) -> list[str]:
        """Queue every document accepted but not finished; returns their ids."""

    def wait(self, document_ids: Iterable[str], timeout: float | None = None) -> None:
        """Block until each document is archived or rejected."""

    def flush_index(self) -> None:
        """Apply pending index updates now; an index outage only postpones them (no error)."""

    def require_workers(self) -> None:
        """Raise NoWorkers when nothing consumes the queue (operators never wait in silence)."""

    def close(self) -> None:
        """Stop accepting work and release the workers."""


def wait_for_documents(
    archive: Archive,
    document_ids: Iterable[str],
    *,
    timeout: float | None,
    nudge: Callable[[set[str]], None],
    nudge_every: float,
    poll: float = 0.2,
) -> None:
    """Block until each document is archived or rejected, polling the database.

    The database is the source of truth, so this works whoever does the work;
    ``nudge`` is called with the unfinished ids every ``nudge_every`` seconds to
    (re)send work that may have been lost.
    """
    ids = set(document_ids)
    deadline = None if timeout is None else time.monotonic() + timeout
    last_nudge = time.monotonic()
    while ids:
        with archive.db.session() as s:
            done = s.scalars(
                select(Document.id).where(Document.id.in_(ids), Document.state.in_(TERMINAL))
            )
            ids -= set(done)
        if not ids:
            return
        if time.monotonic() - last_nudge >= nudge_every:
            nudge(ids)
            last_nudge = time.monotonic()
        if deadline is not None and time.monotonic() > deadline:
            raise TimeoutError(f"{len(ids)} documents not finished in time")
        time.sleep(poll)


def flush_index_now(archive: Archive) -> None:
    """Apply pending index updates; an index failure only delays searchability."""
    try:
        flush_outbox(archive)
    except Exception:
        log.warning("index update postponed: the index is not available", exc_info=True)


@dataclass(frozen=True, slots=True)
class PeriodicJob:
    """A job run every ``seconds`` (Celery beat in scale-out, a timer in the server).

    ``run`` takes the process's archive and returns counts for the log (no personal data).
    """

    name: str
    seconds: float
    run: Callable[[Archive], dict[str, Any]]
