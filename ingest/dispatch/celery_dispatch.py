"""Scale-out dispatch: Celery workers over Redis.

Tasks carry only a document id; the database says what is left to do, so a
task delivered twice is harmless (the lease lets one worker in) and a task
lost with a broker restart is sent again by ``recover``. Tasks are
acknowledged late and re-queued if their worker dies, so a worker killed
mid-task loses nothing.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Iterable, Sequence
from typing import Any

from celery import Celery

from archive.settings import Settings
from backends import Archive
from ingest.dispatch.base import NoWorkers, PeriodicJob, flush_index_now, wait_for_documents
from ingest.dispatch.jobpool import JobPool
from ingest.indexing import flush_outbox
from ingest.pipeline import pending_documents, process_document, worker_identity

log = logging.getLogger(__name__)
TASK = "cnap.process_document"
QUEUE = "cnap-ingest"
# How long a waiting client lets a document sit untouched before it sends it again.
BROKER_SCHEMES = ("redis://", "rediss://")
RESEND_AFTER = 15.0
INDEX_FLUSH_SECONDS = 5.0
# A worker must answer a ping this fast; one that did is trusted for a while.
WORKER_PING_SECONDS = 2.0
WORKER_GRACE_SECONDS = 8.0
WORKERS_SEEN_FOR = 30.0


def make_celery(broker_url: str) -> Celery:
    app = Celery("cnap", broker=broker_url)
    app.conf.update(
        task_acks_late=True,
        task_reject_on_worker_lost=True,
        worker_prefetch_multiplier=1,
        task_default_queue=QUEUE,
        task_serializer="json",
        accept_content=["json"],
        task_ignore_result=True,
        broker_connection_retry_on_startup=True,
        broker_transport_options={"visibility_timeout": 3600},
        worker_hijack_root_logger=False,
    )
    return app


class CeleryDispatcher:
    """Sends documents to Celery workers and watches the database for the outcome."""

    def __init__(self, archive: Archive, broker_url: str) -> None:
        self.archive = archive
        self.broker_url = broker_url
        self.app = make_celery(broker_url)
        self._workers_seen = float("-inf")

    @classmethod
    def from_url(cls, url: str | None, archive: Archive) -> CeleryDispatcher:
        """``redis://`` or ``rediss://`` broker URL (Celery's own form, passed as is)."""
        if not url or not url.startswith(BROKER_SCHEMES):
            raise ValueError(f"unsupported broker URL {url!r} (use redis:// or leave it unset)")
        return cls(archive, url)

    def submit(self, document_id: str) -> None:
        try:
            self.app.send_task(TASK, args=[document_id], queue=QUEUE)
        except Exception:
            # Broker down: the document is recorded, so it is sent again later.
            log.warning("broker unavailable; document %s will be sent later", document_id)

    def recover(self) -> list[str]:
        ids = pending_documents(self.archive)
        for doc_id in ids:
            self.submit(doc_id)
        return ids

    def require_workers(self) -> None:
        """Raise NoWorkers unless a worker answers a ping within a few seconds.

        Operators are never left waiting in silence (issue 9, item 11): the
        accepted files stay queued and are processed when a worker starts.
        A worker that is just starting gets ``WORKER_GRACE_SECONDS`` to answer.
        """
        now = time.monotonic()
        if now - self._workers_seen < WORKERS_SEEN_FOR:
            return
        deadline = now + WORKER_GRACE_SECONDS
        while True:
            try:
                replies = self.app.control.ping(timeout=WORKER_PING_SECONDS)
            except Exception:
                # The broker itself is out: that is an outage, which ``wait`` rides out
                # (tasks are sent again), not a missing worker.
                log.warning("broker did not answer the worker ping; waiting as usual")
                return
            if replies:
                self._workers_seen = time.monotonic()
                return
            if time.monotonic() >= deadline:
                raise NoWorkers("no worker answered")

    def wait(self, document_ids: Iterable[str], timeout: float | None = None) -> None:
        # A task lost with a broker restart is sent again; the lease makes a
        # duplicate harmless.
        wait_for_documents(
            self.archive,
            document_ids,
            timeout=timeout,
            nudge=self._resend,
            nudge_every=RESEND_AFTER,
            poll=0.3,
        )

    def _resend(self, ids: set[str]) -> None:
        for doc_id in ids:
            self.submit(doc_id)

    def flush_index(self) -> None:
        """Apply pending index updates from here (the workers flush too, a moment later)."""
        flush_index_now(self.archive)

    def close(self) -> None:
        self.app.close()


PERIODIC_TASK = "cnap.periodic.{}"


def beat_schedule(jobs: Sequence[PeriodicJob]) -> dict[str, dict[str, Any]]:
    """Celery beat entries of the periodic jobs (their task names and intervals)."""
    return {
        job.name: {
            "task": PERIODIC_TASK.format(job.name),
            "schedule": float(job.seconds),
            "options": {"queue": QUEUE, "expires": float(job.seconds)},
        }
        for job in jobs
    }


def register_periodic(app: Celery, archive: Archive, jobs: Sequence[PeriodicJob], run: Any) -> None:
    """A task per job (run by ``run(job, archive)``) and the beat schedule that sends it."""
    for job in jobs:

        def task(job: PeriodicJob = job) -> None:
            run(job, archive)

        app.task(name=PERIODIC_TASK.format(job.name), ignore_result=True)(task)
    app.conf.beat_schedule = beat_schedule(jobs)


def run_worker(
    settings: Settings,
    concurrency: int | None = None,
    *,
    periodic: Sequence[PeriodicJob] = (),
    run_periodic: Any = None,
    beat: bool = False,
) -> None:
    """``cnap-archive worker``: one Celery worker processing documents.

    ``periodic`` jobs are registered as tasks on every worker; with ``beat`` this
    worker also runs Celery beat, which sends them on schedule (run it on one
    worker only).
    """
    assert settings.broker_url, "CNAP_BROKER_URL is not set"
    archive = Archive(settings)
    archive.init()
    threads = concurrency or settings.worker_count
    if beat and periodic:
        # A periodic job (mail intake) waits for the documents it submitted: leave a
        # thread to process them.
        threads = max(threads, 2)
    jobs = JobPool(threads)
    owner = worker_identity()
    app = make_celery(settings.broker_url)

    # Set when a document was recorded: the flusher thread applies its index update
    # at once. A bulk request waits for the index's refresh (up to a second with
    # Elasticsearch's ``wait_for``); the task thread goes on to the next document
    # meanwhile, and the documents recorded while one flush waits go in the next.
    recorded = threading.Event()

    @app.task(name=TASK, bind=True, max_retries=None)  # type: ignore[untyped-decorator]
    def process(task: Any, document_id: str) -> None:
        try:
            process_document(archive, document_id, jobs.run, owner)
        except Exception as exc:
            # Transient (store or database outage, a crashed OCR process): retry later.
            raise task.retry(exc=exc, countdown=5) from exc
        recorded.set()

    def flush_periodically() -> None:
        # Also every few seconds: updates postponed by an index outage are applied
        # once it is back.
        while True:
            recorded.wait(INDEX_FLUSH_SECONDS)
            recorded.clear()
            try:
                flush_outbox(archive)
            except Exception:
                log.warning("index update postponed: the index is not available")

    if periodic and run_periodic is not None:
        register_periodic(app, archive, periodic, run_periodic)
    threading.Thread(target=flush_periodically, name="cnap-index-flush", daemon=True).start()
    # Work accepted while no worker ran (or lost from the broker) is sent again.
    for doc_id in pending_documents(archive):
        app.send_task(TASK, args=[doc_id], queue=QUEUE)
    try:
        # Threads, not prefork: OCR runs in this worker's own process pool.
        app.worker_main(
            [
                "worker",
                "--pool=threads",
                f"--concurrency={threads}",
                "-Q",
                QUEUE,
                "--loglevel=INFO",
                "--without-gossip",
                "--without-mingle",
                *(
                    ["--beat", f"--schedule={settings.data_dir / 'celerybeat-schedule'}"]
                    if beat and periodic
                    else []
                ),
            ]
        )
    finally:
        _seal_at_shutdown(archive)
        jobs.close()
        archive.close()


def _seal_at_shutdown(archive: Archive) -> None:
    # The worker's last entries are covered by a seal, as the API server's are.
    try:
        from archive.audit import open_audit_log

        open_audit_log(archive.db, archive.settings).seal(archive.store)
    except Exception:
        log.error("sealing the access log at shutdown failed", exc_info=True)
