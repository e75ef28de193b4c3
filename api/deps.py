"""FastAPI dependencies: the archive, the caller's identity, and the access policy.

Routes declare what they read (``document_for(Action.…)``) or what they do
(``capable(Capability.…)``); the decision and its log entry happen here, in
``usecases.access`` and ``usecases.policy``, never in a route body.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any

from fastapi import Depends, HTTPException, Query, Request
from fastapi.security import OAuth2PasswordBearer

from archive.audit import Action, Events
from backends import Archive
from ingest.dispatch import Dispatcher
from usecases import access
from usecases.access import Denied, Granted, NotFound
from usecases.policy import Capability, Principal
from usecases.security import resolve_token

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


def capable(cap: Capability, action: Action) -> Callable[..., Principal]:
    """A dependency admitting principals with ``cap`` (a denial is logged)."""

    def dependency(p: PrincipalDep, events: EventsDep) -> Principal:
        try:
            access.require(events, p, cap, action)
        except Denied as exc:
            raise HTTPException(403, exc.message) from exc
        return p

    return dependency


def get_uploader(p: PrincipalDep, archive: ArchiveDep, events: EventsDep) -> Principal:
    try:
        access.require_upload(archive, events, p)
    except Denied as exc:
        raise HTTPException(403, exc.message) from exc
    return p


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


def document_for(action: Action, *, page_param: str | None = None) -> Callable[..., Granted]:
    """A dependency opening the path's document for ``action`` through the policy."""

    def dependency(
        request: Request,
        document_id: str,
        p: PrincipalDep,
        archive: ArchiveDep,
        events: EventsDep,
        reason: ReasonQuery = None,
    ) -> Granted:
        page: int | None = None
        if page_param is not None:
            raw: Any = request.path_params.get(page_param)
            try:
                page = int(raw)
            except (TypeError, ValueError):
                page = None
        try:
            return access.open_document(
                archive, events, p, document_id, action, reason=reason, page=page
            )
        except NotFound as exc:
            raise HTTPException(404, "Документ не знайдено") from exc
        except Denied as exc:
            raise HTTPException(403, exc.message) from exc

    return dependency
