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


def _board(directory: Any, me: str) -> Any:
    from api.balance import LoadBoard

    return LoadBoard(directory, me)


def test_a_worker_with_more_than_its_share_moves_clients_until_even(
    clock: list[float], tmp_path: Any
) -> None:
    # Old connections are recycled past 100 s only: here the clients move by count alone.
    boards = [_board(tmp_path, "1"), _board(tmp_path, "2")]
    a = ConnectionRecycling(_app, seconds=100, board=boards[0])
    b = ConnectionRecycling(_app, seconds=100, board=boards[1])
    clients: list[list[tuple[str, int]]] = [
        [("10.0.0.1", 5000 + i) for i in range(11)],
        [("10.0.0.2", 6000 + i) for i in range(5)],
    ]
    port = 7000
    moves: list[int] = []
    for _round in range(40):
        for board in boards:  # each worker's timer
            board.sync(clock[0])
        moved: list[list[tuple[str, int]]] = [[], []]
        for w, worker in enumerate((a, b)):
            for client in clients[w]:
                if (b"connection", b"close") in _request(worker, client):
                    moved[w].append(client)
        # A client told to go connects again from a new port, here to the other worker.
        for w in (0, 1):
            for client in moved[w]:
                clients[w].remove(client)
                port += 1
                clients[1 - w].append(("10.0.0.3", port))
        moves.append(len(moved[0]) + len(moved[1]))
        clock[0] += 0.06
    assert abs(len(clients[0]) - len(clients[1])) <= 1
    # Half the difference at a time (11 against 5: 3), then left alone.
    assert max(moves) == 3 and sum(moves[10:]) == 0


def test_even_workers_and_a_single_worker_keep_their_clients(
    clock: list[float], tmp_path: Any
) -> None:
    boards = [_board(tmp_path, "1"), _board(tmp_path, "2"), _board(tmp_path / "other", "9")]
    a, b, alone = (ConnectionRecycling(_app, seconds=100, board=board) for board in boards)
    (tmp_path / "other").mkdir()
    closed: list[int] = []
    for _round in range(15):
        for board in boards:  # each worker's timer
            board.sync(clock[0])
        count = 0
        for i in range(12):
            count += (b"connection", b"close") in _request(alone, ("10.0.0.3", 7000 + i))
        for i in range(8):
            count += (b"connection", b"close") in _request(b, ("10.0.0.2", 6000 + i))
        for i in range(9):
            count += (b"connection", b"close") in _request(a, ("10.0.0.1", 5000 + i))
        closed.append(count)
        clock[0] += 0.06
    assert sum(closed) == 0


def test_a_silent_or_gone_worker_is_not_counted(tmp_path: Any) -> None:
    import os

    import api.balance as balance

    mine, gone, live = _board(tmp_path, "1"), _board(tmp_path, "2"), _board(tmp_path, "3")
    gone.write_count(30)
    live.write_count(4)
    mine.write_count(7)
    assert sorted(mine.others()) == [4, 30]
    now = balance.time.time()
    os.utime(tmp_path / "2", (now - balance.STALE_SECONDS - 1,) * 2)
    assert mine.others() == [4]
    assert (tmp_path / "2").exists()  # silent for now: kept
    os.utime(tmp_path / "2", (now - balance.FORGOTTEN_SECONDS - 1,) * 2)
    assert mine.others() == [4]
    assert not (tmp_path / "2").exists()  # gone: removed
    # Only counts are written there, nothing of a client.
    assert (tmp_path / "1").read_bytes().strip() == b"7"
    mine.close()
    assert not (tmp_path / "1").exists()


def test_a_planted_link_is_not_used_as_the_board(tmp_path: Any, monkeypatch: Any) -> None:
    import api.balance as balance

    monkeypatch.setattr(balance.tempfile, "gettempdir", lambda: str(tmp_path))
    target = tmp_path / "elsewhere"
    target.mkdir()
    (tmp_path / f"cnap-serve-{balance.os.getppid()}").symlink_to(target)
    assert balance.LoadBoard.for_server() is None
    (tmp_path / f"cnap-serve-{balance.os.getppid()}").unlink()
    board = balance.LoadBoard.for_server()
    assert board is not None and board.directory.is_dir()


def test_an_idle_worker_takes_clients_too(clock: list[float], tmp_path: Any) -> None:
    board_b = _board(tmp_path, "2")
    a = ConnectionRecycling(_app, seconds=100, board=_board(tmp_path, "1"))
    b = ConnectionRecycling(_app, seconds=100, board=board_b)
    on_a = [("10.0.0.1", 5000 + i) for i in range(4)]
    on_b: list[tuple[str, int]] = []
    for _round in range(20):
        # The idle worker's timer writes its count though nobody asks it anything.
        board_b.sync(clock[0])
        for client in list(on_a):
            if (b"connection", b"close") in _request(a, client):
                on_a.remove(client)
                on_b.append(("10.0.0.3", 9000 + len(on_b)))
        for client in on_b:
            assert (b"connection", b"close") not in _request(b, client)
        clock[0] += 0.06
    assert (len(on_a), len(on_b)) == (2, 2)


def test_a_server_of_several_workers_writes_its_count_and_leaves(
    tmp_path: Any, monkeypatch: Any
) -> None:
    import os
    import time

    from fastapi.testclient import TestClient

    import api.balance as balance
    from api.app import create_app
    from archive.settings import ServerSettings, Settings

    monkeypatch.setattr(balance.tempfile, "gettempdir", lambda: str(tmp_path))
    board = tmp_path / f"cnap-serve-{os.getppid()}"
    settings = Settings(data_dir=tmp_path / "data", server=ServerSettings(workers=2))
    with TestClient(create_app(settings)) as client:
        assert client.get("/api/health").status_code in (200, 503)
        time.sleep(0.1)  # the app's timer writes the count even without requests
        assert (board / str(os.getpid())).read_bytes().strip().isdigit()
        assert client.app.state.search_slots is not None  # one search at a time, embedded
    assert not board.exists()  # left at shutdown
    alone = Settings(data_dir=tmp_path / "data", server=ServerSettings(workers=1))
    with TestClient(create_app(alone)) as client:
        client.get("/api/health")
    assert not board.exists()  # one worker: nothing to share
