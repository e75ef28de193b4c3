"""FastAPI dependencies: the archive, the caller's identity, and the use-case context.

A route takes ``ContextDep`` (who calls, from where, with which backends) and
hands it to one use case, which decides and logs.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, HTTPException, Query, Request
from fastapi.security import OAuth2PasswordBearer

from archive.audit import Events
from backends import Archive
from ingest.dispatch import Dispatcher
from usecases.auth import resolve_token, visitor
from usecases.context import Context
from usecases.policy import Principal

oauth2_scheme = OAuth2PasswordBearer(tokenUrl="/api/auth/token", auto_error=False)

UNAUTHORISED = HTTPException(401, "Потрібна автентифікація", headers={"WWW-Authenticate": "Bearer"})


def get_archive(request: Request) -> Archive:
    archive: Archive = request.app.state.archive
    return archive


def get_dispatcher(request: Request) -> Dispatcher:
    dispatcher: Dispatcher = request.app.state.dispatcher
    return dispatcher


def get_events(request: Request) -> Events:
    events: Events = request.app.state.events
    return events


ArchiveDep = Annotated[Archive, Depends(get_archive)]
DispatcherDep = Annotated[Dispatcher, Depends(get_dispatcher)]
EventsDep = Annotated[Events, Depends(get_events)]


def client_address(request: Request) -> str | None:
    return request.client.host if request.client else None


def get_principal(
    request: Request,
    archive: ArchiveDep,
    token: Annotated[str | None, Depends(oauth2_scheme)],
) -> Principal:
    """The signed-in user behind the bearer token, or 401."""
    if not token or len(token) > 512:
        raise UNAUTHORISED
    user = resolve_token(archive.db, token)
    if user is None:
        raise UNAUTHORISED
    return Principal.of(user, client_address(request))


PrincipalDep = Annotated[Principal, Depends(get_principal)]


async def get_context(
    request: Request, token: Annotated[str | None, Depends(oauth2_scheme)]
) -> Context:
    """The context the route's use case runs in: the signed-in caller and the app's backends.

    Reads the app's state itself rather than through one dependency per backend:
    every sub-dependency costs FastAPI work on every request (a search's CPU).
    """
    state = request.app.state
    archive: Archive = state.archive
    p = get_principal(request, archive, token)
    return Context(archive, p, state.events, state.dispatcher)


ContextDep = Annotated[Context, Depends(get_context)]


def get_visitor_context(request: Request, archive: ArchiveDep, events: EventsDep) -> Context:
    """The context of a caller who is signing in (no user yet, only the address)."""
    return Context(archive, visitor(client_address(request)), events)


VisitorContext = Annotated[Context, Depends(get_visitor_context)]


ReasonQuery = Annotated[
    str | None,
    Query(
        max_length=1000,
        description=(
            "Мета доступу. Для документа поза вашими повноваженнями або показаного "
            "замаскованим — обов'язкова причина екстреного доступу (break-glass), "
            "про який повідомляється відповідальній особі з питань захисту персональних даних."
        ),
    ),
]
