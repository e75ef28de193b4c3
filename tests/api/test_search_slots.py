"""Searches of one worker run at most ``search_slots`` at once, the rest in turn
(api/query_route.py, ``ServerSettings.search_slots``)."""

from __future__ import annotations

import asyncio
import threading
import time
from pathlib import Path
from typing import Annotated, Any

import anyio
import httpx
import pytest
from fastapi import APIRouter, FastAPI, Query
from fastapi.responses import JSONResponse
from pydantic import BaseModel

import api.deps
from api.deps import ContextDep
from api.query_route import ContextQueryRoute
from archive.settings import ServerSettings, Settings
from tests.bench_module import load_bench


class _Params(BaseModel):
    q: str


def _app() -> tuple[FastAPI, list[int]]:
    running = [0]
    peak: list[int] = []
    lock = threading.Lock()
    router = APIRouter(route_class=ContextQueryRoute)

    @router.get("/s")
    def endpoint(ctx: ContextDep, params: Annotated[_Params, Query()]) -> Any:
        with lock:
            running[0] += 1
            peak.append(running[0])
        time.sleep(0.05)
        with lock:
            running[0] -= 1
        return JSONResponse({"q": params.q})

    app = FastAPI()
    app.include_router(router)
    return app, peak


async def _six_at_once(app: FastAPI, slots: int | None) -> list[int]:
    app.state.search_slots = anyio.CapacityLimiter(slots) if slots else None
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
        answers = await asyncio.gather(*(client.get(f"/s?q={i}") for i in range(6)))
    assert [r.json() for r in answers] == [{"q": str(i)} for i in range(6)]
    return [r.status_code for r in answers]


@pytest.mark.parametrize(("slots", "most"), [(1, 1), (2, 2), (None, 6)])
def test_searches_wait_in_turn_for_a_slot(
    monkeypatch: pytest.MonkeyPatch, slots: int | None, most: int
) -> None:
    # Any caller will do: the point is how many run at once.
    monkeypatch.setattr(api.deps, "get_principal", lambda request, archive, token: object())
    app, peak = _app()
    app.state.archive = app.state.events = app.state.dispatcher = None
    assert asyncio.run(_six_at_once(app, slots)) == [200] * 6
    assert max(peak) == most


def _threads_app() -> tuple[FastAPI, list[int]]:
    """An app whose endpoint notes the thread it ran on."""
    threads: list[int] = []
    router = APIRouter(route_class=ContextQueryRoute)

    @router.get("/s")
    def endpoint(ctx: ContextDep, params: Annotated[_Params, Query()]) -> Any:
        threads.append(threading.get_ident())
        return JSONResponse({"q": params.q})

    app = FastAPI()
    app.include_router(router)
    app.state.archive = app.state.events = app.state.dispatcher = None
    return app, threads


async def _asgi_get(app: FastAPI, query: str) -> int:
    """One GET straight into the app: the request reaches the route in its first step."""
    status, _body = await load_bench("api_search_profile").call(app, "/s", query, "any")
    return int(status)


def test_a_search_alone_runs_on_the_event_loop(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(api.deps, "get_principal", lambda request, archive, token: object())
    app, threads = _threads_app()

    async def alone_then_together() -> tuple[int, list[int]]:
        app.state.search_slots = anyio.CapacityLimiter(1)
        loop_thread = threading.get_ident()
        assert await _asgi_get(app, "q=1") == 200
        assert await _asgi_get(app, "q=2") == 200
        # Six arriving together are counted before any is decided: all go to the slots.
        statuses = await asyncio.gather(*(_asgi_get(app, f"q={i}") for i in range(6)))
        assert statuses == [200] * 6
        return loop_thread, list(threads)

    loop_thread, seen = asyncio.run(alone_then_together())
    assert seen[:2] == [loop_thread, loop_thread]
    assert len(seen) == 8 and loop_thread not in seen[2:]


def test_without_slots_every_search_runs_in_a_thread(monkeypatch: pytest.MonkeyPatch) -> None:
    # No slots (Elasticsearch): a search waits on the network, so never on the loop.
    monkeypatch.setattr(api.deps, "get_principal", lambda request, archive, token: object())
    app, threads = _threads_app()

    async def one() -> int:
        app.state.search_slots = None
        assert await _asgi_get(app, "q=1") == 200
        return threading.get_ident()

    loop_thread = asyncio.run(one())
    assert threads and loop_thread not in threads


def test_slots_by_the_index_unless_set() -> None:
    embedded = Settings(data_dir=Path("/var/lib/cnap"))
    elastic = Settings(data_dir=Path("/var/lib/cnap"), index_url="http://es:9200")
    assert embedded.embedded_index and not elastic.embedded_index
    assert ServerSettings().search_slots(embedded.embedded_index) == 1
    assert ServerSettings().search_slots(elastic.embedded_index) is None
    assert ServerSettings(searches_per_worker=3).search_slots(True) == 3
    assert ServerSettings(searches_per_worker=3).search_slots(False) == 3
