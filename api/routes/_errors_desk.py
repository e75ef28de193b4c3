"""The desk routes' Context, and the use-case errors as HTTP answers, in one place.

Meant to give way to the one HTTP handler of the error taxonomy (and a
shared Context dependency): until then the desk routes (``cases``,
``scans``) call their use case inside :func:`http_errors`.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Annotated

from fastapi import Depends, HTTPException

from api.deps import ArchiveDep, DispatcherDep, EventsDep, PrincipalDep
from usecases.context import Context
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


def http_error(exc: ArchiveError) -> HTTPException:
    """The HTTP answer for a use-case error (``detail``: its Ukrainian sentence)."""
    status = next((code for cls, code in STATUS.items() if isinstance(exc, cls)), 500)
    headers: dict[str, str] = {}
    if isinstance(exc, Conflict) and "offset" in exc.details:
        # The upload protocol: where the client should resume.
        headers["Upload-Offset"] = str(exc.details["offset"])
    if isinstance(exc, RateLimited):
        headers["Retry-After"] = str(exc.retry_after)
    if isinstance(exc, Unauthenticated):
        headers["WWW-Authenticate"] = "Bearer"
    return HTTPException(status, exc.message, headers=headers or None)


@contextmanager
def http_errors() -> Iterator[None]:
    try:
        yield
    except ArchiveError as exc:
        raise http_error(exc) from exc


def desk_context(
    archive: ArchiveDep, p: PrincipalDep, events: EventsDep, dispatcher: DispatcherDep
) -> Context:
    """The signed-in caller's Context (with the app's work queue)."""
    return Context(archive, p, events, dispatcher)


ContextDep = Annotated[Context, Depends(desk_context)]

__all__ = ["ContextDep", "http_error", "http_errors"]
