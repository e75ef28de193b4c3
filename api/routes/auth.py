"""Sign-in: OAuth2 password form → bearer token; optional OpenID Connect login."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import RedirectResponse
from fastapi.security import OAuth2PasswordRequestForm

from api.deps import ArchiveDep, oauth2_scheme
from api.routes._users_errors import UserContext, VisitorContext, mapped
from api.schemas import MeOut, TokenOut
from usecases import auth
from usecases.oidc import OidcClient

router = APIRouter(prefix="/api/auth", tags=["auth"])

STATE_COOKIE = "cnap_oidc_state"


@router.post("/token", response_model=TokenOut, summary="Отримати токен (OAuth2, пароль)")
def token(ctx: VisitorContext, form: Annotated[OAuth2PasswordRequestForm, Depends()]) -> Any:
    with mapped():
        return auth.login_with_password(ctx, login=form.username, password=form.password).as_json()


@router.post("/logout", status_code=204, summary="Відкликати поточний токен")
def logout(ctx: UserContext, raw: Annotated[str | None, Depends(oauth2_scheme)]) -> None:
    with mapped():
        auth.logout(ctx, token=raw)


@router.get("/me", response_model=MeOut, summary="Хто я: роль і повноваження")
def me(ctx: UserContext) -> Any:
    with mapped():
        return auth.who_am_i(ctx).as_json()


def _oidc(request: Request, archive: ArchiveDep) -> OidcClient:
    """The identity provider's client, made once per app (it caches the provider's metadata)."""
    client: OidcClient | None = getattr(request.app.state, "oidc", None)
    if client is None:
        with mapped():
            client = auth.oidc_client(
                archive.settings.security, getattr(request.app.state, "oidc_http", None)
            )
        request.app.state.oidc = client
    return client


OidcDep = Annotated[OidcClient, Depends(_oidc)]


@router.get(
    "/oidc/login",
    response_class=RedirectResponse,
    status_code=302,
    summary="Вхід через постачальника ідентичності громади (OpenID Connect)",
)
def oidc_login(ctx: VisitorContext, oidc: OidcDep) -> RedirectResponse:
    with mapped():
        go = auth.start_oidc_login(ctx, client=oidc)
    resp = RedirectResponse(go.url, status_code=302)
    resp.set_cookie(
        STATE_COOKIE,
        go.state_cookie,
        max_age=go.max_age,
        httponly=True,
        samesite="lax",
        path="/api/auth/oidc",
    )
    return resp


@router.get(
    "/oidc/callback", response_model=TokenOut, summary="Повернення від постачальника ідентичності"
)
def oidc_callback(
    request: Request,
    ctx: VisitorContext,
    oidc: OidcDep,
    code: Annotated[str, Query(max_length=4096)],
    state: Annotated[str, Query(max_length=512)],
) -> Any:
    with mapped():
        return auth.finish_oidc_login(
            ctx,
            client=oidc,
            code=code,
            state=state,
            state_cookie=request.cookies.get(STATE_COOKIE, ""),
        ).as_json()
