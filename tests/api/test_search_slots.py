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


def test_slots_by_the_index_unless_set() -> None:
    embedded = Settings(data_dir=Path("/var/lib/cnap"))
    elastic = Settings(data_dir=Path("/var/lib/cnap"), index_url="http://es:9200")
    assert embedded.embedded_index and not elastic.embedded_index
    assert ServerSettings().search_slots(embedded.embedded_index) == 1
    assert ServerSettings().search_slots(elastic.embedded_index) is None
    assert ServerSettings(searches_per_worker=3).search_slots(True) == 3
    assert ServerSettings(searches_per_worker=3).search_slots(False) == 3
