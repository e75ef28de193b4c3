"""The FastAPI application."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI

from api.routes import documents, health, search
from archive.context import Archive
from archive.settings import Settings
from ingest.dispatch import open_dispatcher

INDEX_FLUSH_SECONDS = 5.0


def create_app(settings: Settings | None = None) -> FastAPI:
    """Build the app; the archive is opened on start-up and unfinished work resumed."""
    settings = settings or Settings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        archive = Archive(settings)
        archive.init()
        dispatcher = open_dispatcher(archive)
        app.state.archive = archive
        app.state.dispatcher = dispatcher
        await asyncio.to_thread(dispatcher.recover)
        flusher = asyncio.create_task(_flush_index_periodically(dispatcher))
        try:
            yield
        finally:
            flusher.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await flusher
            await asyncio.to_thread(dispatcher.close)
            archive.close()

    app = FastAPI(
        title="cnap-archive",
        description="Цифровий архів ЦНАП: документи, розпізнаний текст, пошук.",
        version="0.1.0",
        lifespan=lifespan,
    )
    app.include_router(documents.router)
    app.include_router(search.router)
    app.include_router(health.router)
    return app


async def _flush_index_periodically(dispatcher: object) -> None:
    # Index updates that failed earlier (index busy or down) are retried here.
    flush = getattr(dispatcher, "flush_index", None)
    if flush is None:
        return
    while True:
        await asyncio.sleep(INDEX_FLUSH_SECONDS)
        await asyncio.to_thread(flush)
