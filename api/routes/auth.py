"""Sign-in: OAuth2 password form → bearer token; optional OpenID Connect login."""

from __future__ import annotations

import secrets
import time
from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Query, Request
from fastapi.responses import RedirectResponse
from fastapi.security import OAuth2PasswordRequestForm

from api.deps import ArchiveDep, EventsDep, PrincipalDep, client_address, oauth2_scheme
from api.schemas import MeOut, TokenOut
from archive.audit import AccessEvent, Action, Outcome
from archive.findings import identifier_key
from usecases import access
from usecases.policy import Principal
from usecases.security import (
    OidcClient,
    OidcError,
    authenticate,
    issue_token,
    oidc_user,
    revoke_token,
    sign,
    unsign,
)

router = APIRouter(prefix="/api/auth", tags=["auth"])

STATE_COOKIE = "cnap_oidc_state"


@router.post("/token", response_model=TokenOut, summary="Отримати токен (OAuth2, пароль)")
def token(
    request: Request,
    archive: ArchiveDep,
    events: EventsDep,
    form: Annotated[OAuth2PasswordRequestForm, Depends()],
) -> Any:
    login = form.username[:100]
    user = authenticate(archive.db, login, form.password) if len(form.password) <= 1024 else None
    if user is None:
        events.publish(
            AccessEvent(
                actor=login,
                action=Action.login_failed,
                outcome=Outcome.failed,
                address=client_address(request),
                details={"method": "password"},
            )
        )
        raise HTTPException(
            401, "Невірний логін або пароль", headers={"WWW-Authenticate": "Bearer"}
        )
    raw, seconds = issue_token(archive.db, user.id, archive.settings.security.token_minutes)
    p = Principal.of(user, client_address(request))
    events.publish(access.event(p, Action.login, details={"method": "password"}))
    return {"access_token": raw, "token_type": "bearer", "expires_in": seconds}


@router.post("/logout", status_code=204, summary="Відкликати поточний токен")
def logout(
    p: PrincipalDep,
    archive: ArchiveDep,
    events: EventsDep,
    raw: Annotated[str | None, Depends(oauth2_scheme)],
) -> None:
    if raw:
        revoke_token(archive.db, raw)
    events.publish(access.event(p, Action.logout))


@router.get("/me", response_model=MeOut, summary="Хто я: роль і повноваження")
def me(p: PrincipalDep) -> Any:
    return {
        "login": p.login,
        "role": p.role.value,
        "centre": p.centre,
        "workplace": p.workplace,
        "department": p.department,
    }


def _oidc(request: Request, archive: ArchiveDep) -> OidcClient:
    client: OidcClient | None = getattr(request.app.state, "oidc", None)
    if client is None:
        cfg = archive.settings.security
        if not cfg.oidc_issuer:
            raise HTTPException(404, "Вхід через OpenID Connect не налаштовано")
        try:
            client = OidcClient(cfg, getattr(request.app.state, "oidc_http", None))
        except OidcError as exc:
            raise HTTPException(404, "Вхід через OpenID Connect не налаштовано") from exc
        request.app.state.oidc = client
    return client


OidcDep = Annotated[OidcClient, Depends(_oidc)]


@router.get(
    "/oidc/login",
    response_class=RedirectResponse,
    status_code=302,
    summary="Вхід через постачальника ідентичності громади (OpenID Connect)",
)
def oidc_login(archive: ArchiveDep, oidc: OidcDep) -> RedirectResponse:
    state, nonce = secrets.token_urlsafe(24), secrets.token_urlsafe(24)
    try:
        url = oidc.authorization_url(state, nonce)
    except OidcError as exc:
        raise HTTPException(502, "Постачальник ідентичності недоступний") from exc
    resp = RedirectResponse(url, status_code=302)
    cookie = sign(
        identifier_key(archive.settings),
        {"state": state, "nonce": nonce, "exp": time.time() + 600},
    )
    resp.set_cookie(
        STATE_COOKIE, cookie, max_age=600, httponly=True, samesite="lax", path="/api/auth/oidc"
    )
    return resp


@router.get(
    "/oidc/callback", response_model=TokenOut, summary="Повернення від постачальника ідентичності"
)
def oidc_callback(
    request: Request,
    archive: ArchiveDep,
    events: EventsDep,
    oidc: OidcDep,
    code: Annotated[str, Query(max_length=4096)],
    state: Annotated[str, Query(max_length=512)],
) -> Any:
    saved = unsign(identifier_key(archive.settings), request.cookies.get(STATE_COOKIE, ""))
    address = client_address(request)

    def failed(why: str, login: str = "oidc:unknown") -> HTTPException:
        events.publish(
            AccessEvent(
                actor=login,
                action=Action.login_failed,
                outcome=Outcome.failed,
                address=address,
                details={"method": "oidc", "why": why},
            )
        )
        return HTTPException(401, "Вхід не вдався", headers={"WWW-Authenticate": "Bearer"})

    if saved is None or not secrets.compare_digest(str(saved.get("state")), state):
        raise failed("state")
    try:
        claims = oidc.exchange(code, str(saved.get("nonce")))
    except OidcError as exc:
        raise failed("id_token") from exc
    login_claim = archive.settings.security.oidc_login_claim
    user = oidc_user(archive.db, claims, login_claim)
    if user is None:
        raise failed("unknown_user", f"oidc:{str(claims.get(login_claim, ''))[:80]}")
    raw, seconds = issue_token(archive.db, user.id, archive.settings.security.token_minutes, "oidc")
    events.publish(
        access.event(Principal.of(user, address), Action.login, details={"method": "oidc"})
    )
    return {"access_token": raw, "token_type": "bearer", "expires_in": seconds}
