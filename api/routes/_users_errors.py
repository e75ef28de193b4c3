"""Interim: the HTTP translation of use-case errors and the use-case context, for the
``users``, ``auth`` and ``audit`` routes.

One table, no ``except`` ladders in the routes. It goes when the one HTTP
handler of the error taxonomy lands; the statuses below are today's, which
``tests/api`` pins down (502 for an unreachable identity provider included).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Annotated

from fastapi import Depends, HTTPException, Request

from api.deps import ArchiveDep, EventsDep, PrincipalDep, client_address
from usecases.auth import visitor
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
# Codes whose status differs from their class's (kept as the routes answered before).
STATUS_BY_CODE: dict[str, int] = {"idp_unavailable": 502}


def http_error(exc: ArchiveError) -> HTTPException:
    """The HTTP answer to a use-case error (``detail`` is its Ukrainian message)."""
    status = STATUS_BY_CODE.get(exc.code, STATUS.get(type(exc), 500))
    headers: dict[str, str] = {}
    if isinstance(exc, Unauthenticated):
        headers["WWW-Authenticate"] = "Bearer"
    if isinstance(exc, RateLimited):
        headers["Retry-After"] = str(exc.retry_after)
    return HTTPException(status, exc.message, headers=headers or None)


@contextmanager
def mapped() -> Iterator[None]:
    """Run a use case; its error becomes the matching HTTP answer."""
    try:
        yield
    except ArchiveError as exc:
        raise http_error(exc) from exc


def user_context(
    request: Request, archive: ArchiveDep, events: EventsDep, p: PrincipalDep
) -> Context:
    """The signed-in caller's context (401 without a valid token)."""
    return Context(archive, p, events, getattr(request.app.state, "dispatcher", None))


def visitor_context(request: Request, archive: ArchiveDep, events: EventsDep) -> Context:
    """The context of a caller who is signing in (no user yet, only the address)."""
    return Context(archive, visitor(client_address(request)), events)


UserContext = Annotated[Context, Depends(user_context)]
VisitorContext = Annotated[Context, Depends(visitor_context)]
