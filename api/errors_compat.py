"""Interim HTTP answers for the use-case errors, until the one problem-details handler lands.

``install(app)`` answers every :class:`~usecases.errors.ArchiveError` with the
status the routes have always used and the body ``{"detail": message}``.
The app wires it once (``api/app.py``); routes never catch these errors.
"""

from __future__ import annotations

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

from usecases.errors import (
    ArchiveError,
    Conflict,
    Denied,
    Invalid,
    NotFound,
    RateLimited,
    TooLarge,
    Unauthenticated,
    Unavailable,
)

STATUS: dict[type[ArchiveError], int] = {
    Invalid: 422,
    Unauthenticated: 401,
    Denied: 403,
    NotFound: 404,
    Conflict: 409,
    TooLarge: 413,
    RateLimited: 429,
    Unavailable: 503,
}


def status_of(exc: ArchiveError) -> int:
    for cls in type(exc).__mro__:
        if cls in STATUS:
            return STATUS[cls]  # type: ignore[index]
    return 500


async def _answer(_request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, ArchiveError)
    headers: dict[str, str] = {}
    if isinstance(exc, Unauthenticated):
        headers["WWW-Authenticate"] = "Bearer"
    if isinstance(exc, RateLimited):
        headers["Retry-After"] = str(exc.retry_after)
    return JSONResponse({"detail": exc.message}, status_code=status_of(exc), headers=headers)


def install(app: FastAPI) -> None:
    """Answer every use-case error (replaces the app's own ``Denied``/``NotFound`` handlers)."""
    for cls in STATUS:
        app.add_exception_handler(cls, _answer)
