"""A pool of worker processes for the heavy part of processing (preflight + OCR)."""

from __future__ import annotations

import atexit
import multiprocessing
import threading
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from pathlib import Path

from ingest.job import JobResult, init_worker, run_job
from ingest.ocr import OcrOptions
from ingest.preflight import Limits

# Each OCR worker process may use this much memory before the OS stops it.
WORKER_MEMORY_MB = 8192


class JobPool:
    """Runs ``run_job`` in spawned processes; a crashed process is replaced."""

    def __init__(self, processes: int) -> None:
        self.processes = processes
        self._pool: ProcessPoolExecutor | None = None
        self._lock = threading.Lock()

    def _get(self) -> ProcessPoolExecutor:
        with self._lock:
            if self._pool is None:
                self._pool = ProcessPoolExecutor(
                    self.processes,
                    mp_context=multiprocessing.get_context("spawn"),
                    initializer=init_worker,
                    initargs=(WORKER_MEMORY_MB,),
                )
            return self._pool

    def run(
        self, source: Path, output: Path, work: Path, limits: Limits, options: OcrOptions
    ) -> JobResult:
        pool = self._get()
        try:
            return pool.submit(run_job, source, output, work, limits, options).result()
        except BrokenProcessPool:
            # A worker process died (killed, out of memory, crashed on the file):
            # start a fresh pool; the document is retried and, if it keeps
            # killing workers, rejected after the allowed attempts.
            with self._lock:
                if self._pool is pool:
                    self._pool = None
            pool.shutdown(wait=False, cancel_futures=True)
            raise

    def close(self) -> None:
        with self._lock:
            if self._pool is not None:
                self._pool.shutdown(wait=True, cancel_futures=True)
                self._pool = None


_shared: dict[int, JobPool] = {}
_shared_lock = threading.Lock()


def shared_pool(processes: int) -> JobPool:
    """This process's pool of ``processes`` workers, kept for the life of the process.

    Spawning a worker and importing the OCR stack into it costs seconds; an
    ingest call (one upload, one hot-folder file) must not pay it each time, so
    the in-process dispatchers share one pool and leave it running when they close.
    """
    with _shared_lock:
        pool = _shared.get(processes)
        if pool is None:
            pool = _shared[processes] = JobPool(processes)
            if len(_shared) == 1:
                atexit.register(_close_shared)
        return pool


def _close_shared() -> None:
    with _shared_lock:
        pools = list(_shared.values())
        _shared.clear()
    for pool in pools:
        pool.close()
