"""Security headers on every response of the API (and the pages it serves).

* ``X-Content-Type-Options: nosniff`` — a browser never guesses a type (an
  uploaded file served as text is never run as HTML or script);
* ``X-Frame-Options: DENY`` and CSP ``frame-ancestors 'none'`` — no page of
  the archive can be framed by another site (click-jacking);
* ``Referrer-Policy: no-referrer`` — document ids in URLs do not leak;
* ``Cache-Control: no-store`` on content (documents, pages, PDFs, search,
  cases, the access log, users, sign-in): personal data is never kept by a
  browser or a proxy cache. Other answers (health, the OpenAPI document) keep
  their own caching.
"""

from __future__ import annotations

from fastapi import FastAPI, Response
from starlette.datastructures import URL, MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

# Path prefixes whose answers carry personal data or credentials.
CONTENT = (
    "/api/documents",
    "/api/search",
    "/api/cases",
    "/api/audit",
    "/api/users",
    "/api/auth",
    "/api/uploads",
    "/api/batches",
    "/api/journal",
    "/documents",
    "/search",
    "/cases",
    "/ui",
)
ALWAYS = {
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",
}
FRAME_ANCESTORS = "frame-ancestors 'none'"


def is_content(path: str) -> bool:
    return any(path == p or path.startswith(p + "/") for p in CONTENT)


def secure(path: str, response: Response) -> None:
    """Put the headers on one response."""
    _apply(response.headers, path)


def _apply(headers: MutableHeaders, path: str) -> None:
    for name, value in ALWAYS.items():
        headers[name] = value
    csp = headers.get("Content-Security-Policy")
    if csp is None:
        headers["Content-Security-Policy"] = FRAME_ANCESTORS
    elif "frame-ancestors" not in csp:
        headers["Content-Security-Policy"] = f"{csp}; {FRAME_ANCESTORS}"
    if is_content(path):
        headers["Cache-Control"] = "no-store"
        headers["Pragma"] = "no-cache"


class SecurityHeaders:
    """Plain ASGI middleware: the headers go onto the response start message.

    (Not ``@app.middleware("http")``: that wraps every request in a task group
    and memory streams, a measurable share of a search's CPU.)
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path = URL(scope=scope).path

        async def send_secured(message: Message) -> None:
            if message["type"] == "http.response.start":
                _apply(MutableHeaders(scope=message), path)
            await send(message)

        await self.app(scope, receive, send_secured)


def install(app: FastAPI) -> None:
    """Register the middleware (one line in ``api/app.py``)."""
    app.add_middleware(SecurityHeaders)
