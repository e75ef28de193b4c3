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

from collections.abc import Awaitable, Callable

from fastapi import FastAPI, Request, Response

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
    for name, value in ALWAYS.items():
        response.headers[name] = value
    csp = response.headers.get("Content-Security-Policy")
    if csp is None:
        response.headers["Content-Security-Policy"] = FRAME_ANCESTORS
    elif "frame-ancestors" not in csp:
        response.headers["Content-Security-Policy"] = f"{csp}; {FRAME_ANCESTORS}"
    if is_content(path):
        response.headers["Cache-Control"] = "no-store"
        response.headers["Pragma"] = "no-cache"


def install(app: FastAPI) -> None:
    """Register the middleware (one line in ``api/app.py``)."""

    @app.middleware("http")
    async def _headers(
        request: Request, call_next: Callable[[Request], Awaitable[Response]]
    ) -> Response:
        response = await call_next(request)
        secure(request.url.path, response)
        return response
