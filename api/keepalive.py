"""Kept-alive connections are closed after a few seconds of life (nginx's ``keepalive_time``).

The server's worker processes share one listening socket and a client keeps its
connection for as long as it likes: sixteen clients that connect at once may
stay eleven on one worker and five on the other for their whole life, the first
worker saturated (its threads share one interpreter lock) while the second
idles. Answering ``Connection: close`` once a connection is older than
``seconds`` makes the client connect again, and the less busy worker, whose
event loop is the first to accept, tends to take the new connection: the load
evens out within seconds. A reconnect on loopback or a LAN costs well under a
millisecond. (By age, not by number of requests: a connection on the idle
worker is answered faster and would reach a count first, moving clients the
wrong way.)

Recycling by age evens the load out only within seconds, and only by chance.
With a :class:`~api.balance.LoadBoard` the workers also compare how many
clients each is answering (every 25 ms): one with at least two more than the
least busy at two comparisons in a row asks half the difference of its clients
to reconnect, until the counts differ by at most one. A client counts while it
has sent a request in the last second.
"""

from __future__ import annotations

import time

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api.balance import LoadBoard

# Connections tracked per worker before the table is forgotten (a client whose
# start is lost merely keeps its connection a little longer).
_TRACKED = 10_000


class ConnectionRecycling:
    """Plain ASGI middleware: ``Connection: close`` on a response once its connection is old."""

    def __init__(self, app: ASGIApp, seconds: float, board: LoadBoard | None = None) -> None:
        self.app = app
        self.seconds = seconds
        self.board = board
        self._opened: dict[object, float] = {}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or self.seconds <= 0 or scope.get("client") is None:
            await self.app(scope, receive, send)
            return
        # One TCP connection is one client address and port while it is open.
        key = scope["client"]
        now = time.monotonic()
        opened = self._opened.get(key)
        if opened is None:
            if len(self._opened) >= _TRACKED:
                self._opened.clear()
            self._opened[key] = now
        moved = self.board is not None and self.board.should_move(key, now)
        if not moved and (opened is None or now - opened < self.seconds):
            await self.app(scope, receive, send)
            return
        self._opened.pop(key, None)
        if self.board is not None:
            self.board.forget(key)

        async def send_closing(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = [*message.get("headers", []), (b"connection", b"close")]
                message = {**message, "headers": headers}
            await send(message)

        await self.app(scope, receive, send_closing)
