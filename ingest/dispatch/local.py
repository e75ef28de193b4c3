"""Embedded dispatch: an in-process pool of threads, each handing the heavy work
to a pool of worker processes."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Iterable
from concurrent.futures import Future, ThreadPoolExecutor

from backends import Archive
from ingest.dispatch.base import flush_index_now, wait_for_documents
from ingest.dispatch.jobpool import JobPool
from ingest.pipeline import pending_documents, process_document, worker_identity

log = logging.getLogger(__name__)

RETRY_DELAY = 2.0
# How often pending index updates are applied while the dispatcher is open.
OUTBOX_SECONDS = 2.0


class LocalDispatcher:
    """Processes documents in this process's pools; picks up unfinished work on start."""

    def __init__(self, archive: Archive, workers: int | None = None) -> None:
        self.archive = archive
        self.workers = workers or archive.settings.worker_count
        self.owner = worker_identity()
        self._threads = ThreadPoolExecutor(self.workers, thread_name_prefix="cnap-ingest")
        self.jobs = JobPool(self.workers)
        self._index_lock = threading.Lock()
        self._inflight: dict[str, Future[None]] = {}
        self._lock = threading.Lock()
        self._closed = False
        # Archived means searchable (issue 9, item 12): pending index updates — also those
        # another process could not apply because this one holds the writer — are applied
        # every few seconds while this dispatcher is open.
        self._stop_flush = threading.Event()
        self._flusher = threading.Thread(
            target=self._flush_periodically, name="cnap-index-outbox", daemon=True
        )
        self._flusher.start()

    def _flush_periodically(self) -> None:
        while True:
            self.flush_index()
            if self._stop_flush.wait(OUTBOX_SECONDS):
                return

    @classmethod
    def from_url(cls, url: str | None, archive: Archive) -> LocalDispatcher:
        """The embedded pool, chosen by an unset (empty) broker URL."""
        if url:
            raise ValueError(f"the in-process pool takes no broker URL, got {url!r}")
        return cls(archive)

    # -- dispatch -----------------------------------------------------------

    def submit(self, document_id: str) -> None:
        with self._lock:
            if self._closed:
                raise RuntimeError("dispatcher is closed")
            fut = self._inflight.get(document_id)
            if fut is not None and not fut.done():
                return
            self._inflight[document_id] = self._threads.submit(self._work, document_id)

    def recover(self) -> list[str]:
        ids = pending_documents(self.archive)
        for doc_id in ids:
            self.submit(doc_id)
        return ids

    def _work(self, document_id: str) -> None:
        for _ in range(self.archive.settings.ingest.max_attempts + 1):
            if self._closed:
                return
            try:
                process_document(self.archive, document_id, self.jobs.run, self.owner)
                break
            except Exception:
                time.sleep(RETRY_DELAY)
        # Index writes are batched: while other documents are still in work the
        # last of them to finish applies the whole outbox in one commit (and the
        # periodic flush bounds the wait); alone, a document is flushed at once.
        with self._lock:
            busy = any(
                not fut.done() for doc_id, fut in self._inflight.items() if doc_id != document_id
            )
        if not busy:
            self.flush_index()

    def require_workers(self) -> None:
        # The workers are this process's own pool: they exist as long as it does.
        return None

    def flush_index(self) -> None:
        """Apply pending index updates; an index failure only delays searchability."""
        # One flush at a time from this process's threads: each would send the same rows.
        with self._index_lock:
            flush_index_now(self.archive)

    def wait(self, document_ids: Iterable[str], timeout: float | None = None) -> None:
        wait_for_documents(
            self.archive, document_ids, timeout=timeout, nudge=self._take_over, nudge_every=0.0
        )

    def _take_over(self, ids: set[str]) -> None:
        # Documents held by a dead worker (or never submitted here) are taken over.
        for doc_id in ids:
            fut = self._inflight.get(doc_id)
            if fut is None or fut.done():
                self.submit(doc_id)

    def close(self) -> None:
        self._stop_flush.set()
        self._flusher.join()
        with self._lock:
            self._closed = True
        self._threads.shutdown(wait=True, cancel_futures=True)
        self.jobs.close()
