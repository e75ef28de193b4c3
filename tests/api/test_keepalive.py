"""A kept-alive connection is asked to reconnect once it is ``keepalive_seconds`` old, so
that the server's workers share the clients (api/keepalive.py)."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

import api.keepalive as keepalive
from api.keepalive import ConnectionRecycling


async def _app(scope: Any, receive: Any, send: Any) -> None:
    await send({"type": "http.response.start", "status": 200, "headers": [(b"x-a", b"1")]})
    await send({"type": "http.response.body", "body": b"ok"})


def _request(app: ConnectionRecycling, client: tuple[str, int] | None) -> list[tuple[bytes, bytes]]:
    sent: list[dict[str, Any]] = []

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": b"", "more_body": False}

    scope = {"type": "http", "client": client, "path": "/api/search"}
    asyncio.run(app(scope, receive, send))
    assert sent[1]["body"] == b"ok"
    return list(sent[0]["headers"])


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> list[float]:
    now = [1000.0]
    monkeypatch.setattr(keepalive.time, "monotonic", lambda: now[0])
    return now


def test_an_old_connection_is_closed_and_a_new_one_starts_afresh(clock: list[float]) -> None:
    app = ConnectionRecycling(_app, seconds=2.0)
    a, b = ("10.0.0.1", 5000), ("10.0.0.2", 6000)
    assert _request(app, a) == [(b"x-a", b"1")]
    clock[0] += 1.0
    assert _request(app, b) == [(b"x-a", b"1")]
    assert _request(app, a) == [(b"x-a", b"1")]
    clock[0] += 1.5  # a is 2.5 s old, b 1.5 s
    assert _request(app, a) == [(b"x-a", b"1"), (b"connection", b"close")]
    assert _request(app, b) == [(b"x-a", b"1")]
    # The same address and port again is the client's next connection: a new life.
    assert _request(app, a) == [(b"x-a", b"1")]
    clock[0] += 1.0
    assert _request(app, a) == [(b"x-a", b"1")]
    assert _request(app, b) == [(b"x-a", b"1"), (b"connection", b"close")]


def test_off_and_without_a_client_nothing_changes(clock: list[float]) -> None:
    for app, client in ((ConnectionRecycling(_app, seconds=0), ("10.0.0.1", 1)),
                        (ConnectionRecycling(_app, seconds=2.0), None)):  # fmt: skip
        for _ in range(3):
            assert _request(app, client) == [(b"x-a", b"1")]
            clock[0] += 5
