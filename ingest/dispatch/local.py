"""Embedded dispatch: an in-process pool of threads, each handing the heavy work
to a pool of worker processes."""

from __future__ import annotations

import logging
import threading
import time
from collections import deque
from collections.abc import Iterable
from concurrent.futures import Future, ThreadPoolExecutor

from backends import Archive
from ingest.dispatch.base import flush_index_now, wait_for_documents
from ingest.dispatch.jobpool import shared_pool
from ingest.pipeline import (
    pending_documents,
    process_batch,
    process_document,
    worker_identity,
)

log = logging.getLogger(__name__)

RETRY_DELAY = 2.0
# How often pending index updates are applied while the dispatcher is open.
OUTBOX_SECONDS = 2.0
# At most this many documents are recorded in one transaction.
GROUP = 32


class LocalDispatcher:
    """Processes documents in this process's pools; picks up unfinished work on start."""

    def __init__(self, archive: Archive, workers: int | None = None) -> None:
        self.archive = archive
        self.workers = workers or archive.settings.worker_count
        self.owner = worker_identity()
        self._threads = ThreadPoolExecutor(self.workers, thread_name_prefix="cnap-ingest")
        # Shared and kept running: see shared_pool.
        self.jobs = shared_pool(self.workers)
        self._index_lock = threading.Lock()
        self._inflight: dict[str, Future[None]] = {}
        self._queue: deque[str] = deque()
        self._draining = 0
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
            self._inflight[document_id] = Future()
            self._queue.append(document_id)
            if self._draining < self.workers:
                self._draining += 1
                self._threads.submit(self._drain)

    def recover(self) -> list[str]:
        ids = pending_documents(self.archive)
        for doc_id in ids:
            self.submit(doc_id)
        return ids

    def _take(self) -> list[str]:
        """The next group: an equal share of the queue per worker, at most GROUP."""
        with self._lock:
            if self._closed or not self._queue:
                self._draining -= 1
                return []
            share = -(-len(self._queue) // self.workers)
            return [self._queue.popleft() for _ in range(max(1, min(GROUP, share)))]

    def _drain(self) -> None:
        # Documents submitted while others are in work queue up and are then
        # processed and recorded as a group: two commits and one index commit
        # per group instead of several per document.
        while group := self._take():
            try:
                retry = process_batch(self.archive, group, self.jobs.run, self.owner)
            except Exception:
                log.exception("a group of %d documents failed; retried one by one", len(group))
                retry = list(group)
            for document_id in retry:
                self._work(document_id)
            for document_id in group:
                fut = self._inflight.get(document_id)
                if fut is not None and not fut.done():
                    fut.set_result(None)
            # Archived means searchable: the last group of a run applies the outbox
            # at once (the periodic flush bounds the wait while work goes on).
            with self._lock:
                idle = not self._queue
            if idle:
                self.flush_index()

    def _work(self, document_id: str) -> None:
        for _ in range(self.archive.settings.ingest.max_attempts + 1):
            if self._closed:
                return
            try:
                process_document(self.archive, document_id, self.jobs.run, self.owner)
                break
            except Exception:
                time.sleep(RETRY_DELAY)

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
        with self._lock:
            # Unstarted work stays accepted in the database: the next run picks it up.
            for fut in self._inflight.values():
                if not fut.done():
                    fut.cancel()
            self._queue.clear()
