"""``/api/search`` solves its query itself (``api.query_route.ContextQueryRoute``): every
answer, errors included, must be the one FastAPI's standard handling of the same
endpoint gives."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi import APIRouter, FastAPI
from fastapi.testclient import TestClient

import api.deps
import api.query_route
from api import problems
from api.query_route import ContextQueryRoute
from api.routes import search as search_routes
from api.schemas import SearchOut
from tests.api.conftest import World

QUERIES: list[str | list[tuple[str, str]]] = [
    # answered
    "q=заява",
    "q=заява&limit=1&offset=0",
    'q="заява про"',
    "q=заява&from=2020-01-01&to=2030-12-31&doc_from=2000-01-01",
    "q=заява&case=2026/0001",
    "q=заява&package=output",
    "q=заява&source=scanner",
    "q=заява&unknown=1",
    "q=заява&limit=5&limit=2",
    "q=",
    [("q", "заява"), ("type", "passport_id_card"), ("type", "application")],
    # refused by the use case
    "q=заява&type=немає-такого-типу",
    # refused by validation
    "",
    "limit=5",
    "q=заява&limit=0",
    "q=заява&limit=abc",
    "q=заява&limit=1001",
    "q=заява&limit=abc&limit=3",
    "q=заява&limit=3&limit=abc",
    "q=заява&offset=-1",
    "q=заява&from=2020-13-01",
    "q=заява&from=1800-01-01&to=2300-01-01",
    "q=заява&package=nonsense&source=nowhere",
    "q=" + "я" * 1001,
    "q=заява&case=" + "1" * 65,
    [("q", "заява"), *[("type", "application")] * 201],
]


@pytest.fixture(scope="module")
def standard(world: World) -> TestClient:
    """The same endpoint, errors and state, handled the way FastAPI does by default."""
    app = FastAPI()
    app.state = world.app.state
    problems.install(app)
    router = APIRouter(prefix="/api")
    router.add_api_route("/search", search_routes.search, response_model=SearchOut)
    app.include_router(router)
    return TestClient(app)


def _answer(client: TestClient, query: Any, headers: dict[str, str]) -> tuple[int, Any, str]:
    r = client.get("/api/search", params=query, headers=headers)
    return r.status_code, r.json(), r.headers["content-type"]


def test_the_search_route_is_the_fast_one(world: World, monkeypatch: pytest.MonkeyPatch) -> None:
    route = next(r for r in search_routes.fast.routes if getattr(r, "path", "") == "/api/search")
    assert isinstance(route, ContextQueryRoute)
    seen: list[str] = []

    async def token(request: Any) -> str | None:
        seen.append(request.url.path)
        return await api.deps.oauth2_scheme(request)

    monkeypatch.setattr(api.query_route, "oauth2_scheme", token)
    assert world.get("official", "/api/search?q=заява").status_code == 200  # type: ignore[attr-defined]
    assert seen == ["/api/search"]


@pytest.mark.parametrize("login", ["official", "admin", "archivist", "dpo"])
@pytest.mark.parametrize("query", QUERIES, ids=range(len(QUERIES)))
def test_answers_are_fastapis(world: World, standard: TestClient, login: str, query: Any) -> None:
    headers = world.headers(login)
    fast = _answer(world.http, query, headers)
    assert fast == _answer(standard, query, headers)
    assert fast[0] in {200, 403, 422}


@pytest.mark.parametrize("headers", [{}, {"Authorization": "Bearer nonsense"},
                                     {"Authorization": "Basic abc"}])  # fmt: skip
def test_no_caller_is_refused_the_same(world: World, standard: TestClient,
                                       headers: dict[str, str]) -> None:  # fmt: skip
    for query in ("q=заява", "limit=abc"):
        fast = world.http.get("/api/search", params=query, headers=headers)
        slow = standard.get("/api/search", params=query, headers=headers)
        assert (fast.status_code, fast.json()) == (slow.status_code, slow.json())
        assert fast.status_code == 401
        assert fast.headers["www-authenticate"] == slow.headers["www-authenticate"] == "Bearer"


def test_a_route_of_another_shape_is_refused_at_start() -> None:
    router = APIRouter(route_class=ContextQueryRoute)

    def other(q: str) -> Any:
        return q

    with pytest.raises(TypeError, match="ContextQueryRoute"):
        router.add_api_route("/x", other)
