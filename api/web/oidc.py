"""OpenID Connect sign-in from the sign-in page, where the council's provider is configured.

The same use cases as ``/api/auth/oidc/*`` (:func:`usecases.auth.start_oidc_login`,
:func:`usecases.auth.finish_oidc_login`): the archive user must exist (a
sysadmin adds them with role and scope), the ID token is verified, and the
sign-in is logged like a password one. The pages' callback is
``/login/oidc/callback`` on the same origin as the configured
``oidc_redirect_uri`` (register both with the provider); it sets the
session cookie.

The session cookie is ``SameSite=Strict``: on the navigation that comes back
from the provider (another site) the browser would not send it even after a
redirect, so the callback answers with a page that moves on by itself
(a ``<meta http-equiv="refresh">``, which the CSP allows; no script).
"""

from __future__ import annotations

from typing import Annotated
from urllib.parse import urlsplit, urlunsplit

from fastapi import APIRouter, Query, Request, Response
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import RedirectResponse

from api.web import session
from api.web.render import WebRoute, page
from usecases import auth
from usecases.errors import Unauthenticated
from usecases.oidc import OidcClient

router = APIRouter(route_class=WebRoute, include_in_schema=False)

STATE_COOKIE = "cnap_web_oidc"
CALLBACK = "/login/oidc/callback"
FAILED = "Не вдалося увійти через обліковий запис громади. Спробуйте ще раз або увійдіть з паролем."


def configured(request: Request) -> bool:
    return bool(session.archive_of(request).settings.security.oidc_issuer)


def _client(request: Request) -> OidcClient:
    """The provider's client with the pages' callback (made once per app)."""
    state = request.app.state
    client: OidcClient | None = getattr(state, "web_oidc", None)
    if client is None:
        cfg = session.archive_of(request).settings.security
        api_uri = urlsplit(cfg.oidc_redirect_uri or "")
        web_uri = urlunsplit((api_uri.scheme, api_uri.netloc, CALLBACK, "", ""))
        cfg = cfg.model_copy(update={"oidc_redirect_uri": web_uri})
        client = auth.oidc_client(cfg, getattr(state, "oidc_http", None))
        state.web_oidc = client
    return client


@router.get("/login/oidc")
def start(request: Request) -> Response:
    ctx = session.visitor_context(request)
    go = auth.start_oidc_login(ctx, client=_client(request))
    resp = RedirectResponse(go.url, status_code=302)
    # Lax, not Strict: it must come back on the provider's redirect (a top-level GET).
    resp.set_cookie(
        STATE_COOKIE,
        go.state_cookie,
        max_age=go.max_age,
        path="/login/oidc",
        httponly=True,
        samesite="lax",
        secure=session.secure(request),
    )
    return resp


@router.get(CALLBACK)
async def callback(
    request: Request,
    code: Annotated[str, Query(max_length=4096)] = "",
    state: Annotated[str, Query(max_length=512)] = "",
) -> Response:
    ctx = session.visitor_context(request)
    try:
        if not code or not state:
            raise Unauthenticated(FAILED)
        issued = await run_in_threadpool(
            auth.finish_oidc_login,
            ctx,
            client=_client(request),
            code=code,
            state=state,
            state_cookie=request.cookies.get(STATE_COOKIE, ""),
        )
    except Unauthenticated:
        resp = page(
            request,
            "login.html",
            401,
            title="Вхід",
            error=FAILED,
            login="",
            back="/",
            oidc=configured(request),
        )
        resp.delete_cookie(STATE_COOKIE, path="/login/oidc")
        return resp
    resp = page(request, "signed_in.html", title="Вхід виконано")
    session.start_session(request, resp, issued.access_token, issued.expires_in)
    resp.delete_cookie(STATE_COOKIE, path="/login/oidc")
    return resp
