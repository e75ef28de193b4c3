"""A local fake of the Diia acquirer endpoints the archive calls, served over real HTTP.

It keeps what it was asked (for assertions) and refuses a wrong acquirer
token or session token the way the API does (401/403).
"""

from __future__ import annotations

import socket
import threading
import time
from dataclasses import dataclass, field
from typing import Any

import uvicorn
from fastapi import FastAPI, Header, HTTPException, Request

ACQUIRER_TOKEN = "test-acquirer-token"


@dataclass
class FakeDiia:
    url: str = ""
    branches: dict[str, dict[str, Any]] = field(default_factory=dict)
    offers: dict[str, dict[str, Any]] = field(default_factory=dict)
    requests: list[dict[str, Any]] = field(default_factory=list)
    sessions: list[str] = field(default_factory=list)
    calls: list[str] = field(default_factory=list)
    expire_next_session: bool = False

    def deeplink_for(self, request_id: str) -> str:
        return f"https://diia.app/acquirers/offer-request/dynamic/1/{request_id}"


def _app(state: FakeDiia) -> FastAPI:
    app = FastAPI()

    def session(authorization: str | None) -> None:
        token = (authorization or "").removeprefix("Bearer ")
        if token not in state.sessions:
            raise HTTPException(401, "session expired")
        if state.expire_next_session:
            state.expire_next_session = False
            state.sessions.remove(token)
            raise HTTPException(401, "session expired")

    @app.get("/api/v1/auth/acquirer/{token}")
    def auth(token: str) -> dict[str, str]:
        state.calls.append("auth")
        if token != ACQUIRER_TOKEN:
            raise HTTPException(403, "bad acquirer token")
        s = f"session-{len(state.sessions)}"
        state.sessions.append(s)
        return {"token": s}

    @app.get("/api/v2/acquirers/branches")
    def branches(authorization: str | None = Header(None)) -> dict[str, Any]:
        session(authorization)
        state.calls.append("branches")
        return {"total": len(state.branches), "branches": list(state.branches.values())}

    @app.post("/api/v2/acquirers/branch")
    async def branch(request: Request, authorization: str | None = Header(None)) -> dict[str, str]:
        session(authorization)
        state.calls.append("branch")
        body = await request.json()
        bid = f"branch{len(state.branches) + 1}"
        state.branches[bid] = {"_id": bid, **body}
        return {"_id": bid}

    @app.get("/api/v1/acquirers/branch/{bid}/offers")
    def offers(bid: str, authorization: str | None = Header(None)) -> dict[str, Any]:
        session(authorization)
        state.calls.append("offers")
        mine = [o for o in state.offers.values() if o["branch"] == bid]
        return {"total": len(mine), "offers": mine}

    @app.post("/api/v1/acquirers/branch/{bid}/offer")
    async def offer(
        bid: str, request: Request, authorization: str | None = Header(None)
    ) -> dict[str, str]:
        session(authorization)
        state.calls.append("offer")
        if bid not in state.branches:
            raise HTTPException(404, "no branch")
        oid = f"offer{len(state.offers) + 1}"
        state.offers[oid] = {"_id": oid, "branch": bid, **(await request.json())}
        return {"_id": oid}

    @app.post("/api/v2/acquirers/branch/{bid}/offer-request/dynamic")
    async def dynamic(
        bid: str, request: Request, authorization: str | None = Header(None)
    ) -> dict[str, str]:
        session(authorization)
        state.calls.append("deeplink")
        body = await request.json()
        if body.get("offerId") not in state.offers or not body.get("requestId"):
            raise HTTPException(400, "bad offer request")
        state.requests.append({"branch": bid, **body})
        return {"deeplink": state.deeplink_for(body["requestId"])}

    return app


class Served:
    """A uvicorn server in a thread on a free loopback port."""

    def __init__(self, app: Any) -> None:
        sock = socket.socket()
        sock.bind(("127.0.0.1", 0))
        self.port = sock.getsockname()[1]
        sock.close()
        self.server = uvicorn.Server(
            uvicorn.Config(app, host="127.0.0.1", port=self.port, log_level="warning")
        )
        self.thread = threading.Thread(target=self.server.run, daemon=True)
        self.thread.start()
        deadline = time.monotonic() + 10
        while not self.server.started:
            if time.monotonic() > deadline:
                raise RuntimeError("the fake server did not start")
            time.sleep(0.02)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(5)


def start_fake_diia() -> tuple[FakeDiia, Served]:
    state = FakeDiia()
    served = Served(_app(state))
    state.url = served.url
    return state, served
