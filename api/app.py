"""The FastAPI application."""

from __future__ import annotations

import asyncio
import contextlib
import fcntl
import inspect
import logging
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import IO, Any

import anyio
import httpx
from fastapi import FastAPI

from api import headers, problems, web
from api.balance import SYNC_SECONDS, LoadBoard
from api.keepalive import ConnectionRecycling
from api.logs import configure_logging
from api.routes import (
    audit,
    auth,
    cases,
    documents,
    health,
    held,
    retention,
    scans,
    search,
    sharing,
    users,
)
from api.routes import metadata as metadata_routes
from api.upload_limit import UploadLimit
from archive.models import utcnow
from archive.settings import Settings
from backends import Archive
from ingest.dispatch import Dispatcher, open_dispatcher
from ingest.dispatch.base import PeriodicJob
from usecases import periodic
from usecases.context import events_for
from usecases.ingest import max_upload_bytes

log = logging.getLogger(__name__)

INDEX_FLUSH_SECONDS = 5.0
# The daily retention round (what is due, a fixity sample): first a while after start-up.
RETENTION_FIRST_SECONDS = 15 * 60.0


def create_app(
    settings: Settings | None = None, *, oidc_http: httpx.Client | None = None
) -> FastAPI:
    """Build the app; the archive is opened on start-up and unfinished work resumed.

    ``oidc_http`` replaces the HTTP client used to reach the identity provider
    (tests point it at a local fake provider).
    """
    settings = settings or Settings()

    # The workers of one server share their clients' count: ``serve --workers N``
    # tells each its number (one worker, or an app made elsewhere: nothing to share;
    # connections kept for ever: nobody is moved, so nothing to count).
    server = settings.server
    shared = server.workers > 1 and server.keepalive_seconds > 0
    board = LoadBoard.for_server() if shared else None

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        mine, writer_lock = index_role(settings)
        archive = Archive(mine)
        archive.init()
        if writer_lock is not None:
            _ = archive.index  # the writer creates the index the readers open
        dispatcher = open_dispatcher(archive)
        app.state.archive = archive
        app.state.dispatcher = dispatcher
        app.state.events = events_for(archive)
        app.state.oidc_http = oidc_http
        slots = settings.server.search_slots(settings.embedded_index)
        # Searches of this worker taken in turn (api/query_route.py); made in the app's loop.
        app.state.search_slots = anyio.CapacityLimiter(slots) if slots else None
        await asyncio.to_thread(dispatcher.recover)
        tasks = [
            asyncio.create_task(_flush_index_periodically(dispatcher)),
            asyncio.create_task(_seal_periodically(app)),
        ]
        if board is not None:
            tasks.append(asyncio.create_task(_share_clients(board)))
        if not settings.broker_url:
            # Embedded: this server runs the periodic jobs. With a broker, the worker
            # started with --beat does (sealing stays here too: it is idempotent).
            tasks += [
                asyncio.create_task(_periodically(app, job))
                for job in periodic.jobs(settings, seal=False)
            ]
        try:
            yield
        finally:
            for task in tasks:
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await task
            # The head at shutdown is sealed, so the last entries are covered too.
            await asyncio.to_thread(_seal_and_purge, app, False)
            await asyncio.to_thread(dispatcher.close)
            archive.close()
            if writer_lock is not None:
                writer_lock.close()
            if board is not None:
                board.close()

    app = FastAPI(
        title="cnap-archive",
        description=(
            "Цифровий архів ЦНАП: документи, розпізнаний текст, пошук. Доступ — за токеном "
            "OAuth2 (POST /api/auth/token); кожне звернення до персональних даних "
            "записується до журналу доступу."
        ),
        version="0.1.0",
        lifespan=lifespan,
        **_fastapi_telemetry(),
    )

    # One error shape for everything the app answers (RFC 9457), declared in the spec too.
    problems.install(app)
    # The most frequent request first: the router tries its routes in order.
    app.include_router(search.fast)
    # Error statuses particular to a group of routes, beyond the ones every route can answer
    # (401/403 with a token, 404 on a named object, 422, 503): see api.problems.
    app.include_router(auth.router, responses=problems.responses(401, 404, 429, 502))
    app.include_router(documents.router, responses=problems.responses(404, 409, 413))
    # Uploads over MAX_FILE_MB are stopped while they stream (issue 9, item 4).
    app.add_middleware(
        UploadLimit,
        max_bytes=max_upload_bytes(settings.ingest.max_file_mb),
        paths=("/api/documents",),
    )
    headers.install(app)
    # With several workers, clients are spread again every few seconds, and moved from
    # a worker with more than its share (api/keepalive.py, api/balance.py).
    app.add_middleware(ConnectionRecycling, seconds=settings.server.keepalive_seconds, board=board)

    app.include_router(search.router)
    app.include_router(audit.router)
    app.include_router(users.router, responses=problems.responses(404, 409))
    app.include_router(cases.router, responses=problems.responses(404, 409))
    app.include_router(scans.router, responses=problems.responses(404, 409, 413))
    app.include_router(sharing.router, responses=problems.responses(404, 413))
    app.include_router(held.router, responses=problems.responses(404, 409))
    app.include_router(health.router)
    app.include_router(web.router)
    app.include_router(metadata_routes.router)
    app.include_router(retention.router, responses=problems.responses(404, 409))
    return app


def create_worker_app() -> FastAPI:
    """The app of one process of ``serve --workers N`` (uvicorn's factory).

    A worker is a fresh interpreter: it sets up the same logging as the command
    that started it (the application log, scrubbed) before building its app, or
    its warnings would reach stderr unscrubbed and its errors no log at all.
    """
    settings = Settings()
    configure_logging(settings)
    return create_app(settings)


def index_role(settings: Settings) -> tuple[Settings, IO[bytes] | None]:
    """The settings of this server process and, for the index writer, the lock it holds.

    With the embedded index (Tantivy) one process may write: of several server
    workers the first to take ``<data_dir>/index-writer.lock`` writes the index
    and applies the outbox; the others open it read-only and see its commits
    on their next search. When the writer dies its lock goes with it and the
    worker started in its place takes it. Elasticsearch needs no election.
    """
    url = settings.resolved_index_url
    if not settings.embedded_index or "readonly=" in url:
        return settings, None
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    lock = open(settings.data_dir / "index-writer.lock", "a+b")  # noqa: SIM115 - held for life
    try:
        fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        lock.close()
        sep = "&" if "?" in url else "?"
        return settings.model_copy(update={"index_url": f"{url}{sep}readonly=1"}), None
    return settings, lock


async def _share_clients(board: LoadBoard) -> None:
    # An idle worker says so too: it would write its count only when asked something.
    while True:
        await asyncio.sleep(SYNC_SECONDS)
        board.sync(time.monotonic())


async def _flush_index_periodically(dispatcher: Dispatcher) -> None:
    # Index updates that failed earlier (index busy or down) are retried here.
    while True:
        await asyncio.sleep(INDEX_FLUSH_SECONDS)
        await asyncio.to_thread(dispatcher.flush_index)


async def _seal_periodically(app: FastAPI) -> None:
    archive: Archive = app.state.archive
    interval = max(archive.settings.audit.seal_minutes, 0.1) * 60
    purged_on = None
    while True:
        await asyncio.sleep(interval)
        # Purging walks the whole chain first, so once a day is enough.
        today = utcnow().date()
        await asyncio.to_thread(_seal_and_purge, app, purged_on != today)
        purged_on = today


async def _periodically(app: FastAPI, job: PeriodicJob) -> None:
    # The first run a while after start-up (the retention round at most in 15 minutes).
    await asyncio.sleep(min(job.seconds, RETENTION_FIRST_SECONDS))
    while True:
        await asyncio.to_thread(periodic.run_job, job, app.state.archive)
        await asyncio.sleep(job.seconds)


def _seal_and_purge(app: FastAPI, purge: bool) -> None:
    archive: Archive = app.state.archive
    try:
        app.state.events.log.seal(archive.store)
        if purge:
            app.state.events.log.purge(archive.store)
    except Exception:
        # Sealing is retried on the next round; the failure itself is worth an alert.
        log.error("sealing the access log failed", exc_info=True)


# FastAPI's own OpenTelemetry (newer releases; on when a provider is configured in the
# process, e.g. by opentelemetry-instrument or FASTAPI_OTEL_AUTO_CONFIGURE): its server
# spans record each URL with its query (a search's words: names, РНОКПП…) and its log
# records the messages of exceptions, exported to whatever collector is configured.
# Neither may leave the archive (docs/access.md); the request metrics (route template,
# method, status, duration) carry no personal data and stay available.
TELEMETRY = {"tracing": False, "logs": False, "operation_spans": False}


def _fastapi_telemetry() -> dict[str, Any]:
    """``FastAPI(telemetry=…)`` where the installed FastAPI has it (older ones have none)."""
    if "telemetry" in inspect.signature(FastAPI.__init__).parameters:
        return {"telemetry": dict(TELEMETRY)}
    return {}
