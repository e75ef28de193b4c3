"""Sign-in, sign-out, the start page and the static files."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, HTTPException, Query, Request, Response
from fastapi.responses import RedirectResponse

from api.web import desk, documents, dpo, forms, oidc, retention, search, session
from api.web.render import HERE, WebRoute, page, secured
from usecases import auth
from usecases.errors import Unauthenticated
from usecases.policy import Principal

router = APIRouter(route_class=WebRoute, include_in_schema=False)

BAD_LOGIN = "Невірний логін або пароль."
NO_LOGIN = "Введіть логін."
NO_PASSWORD = "Введіть пароль."

STATIC: dict[str, str] = {
    "web.css": "text/css; charset=utf-8",
    "htmx.min.js": "text/javascript; charset=utf-8",
    "upload.js": "text/javascript; charset=utf-8",
    "favicon.svg": "image/svg+xml",
    "htmx.LICENSE.txt": "text/plain; charset=utf-8",
}
_STATIC_BYTES = {name: (HERE / "static" / name).read_bytes() for name in STATIC}


@router.get("/static/{name}")
def static(name: str) -> Response:
    if name not in STATIC:
        raise HTTPException(404)
    resp = Response(_STATIC_BYTES[name], media_type=STATIC[name])
    # Static files hold no personal data; a day in the cache saves a slow link.
    resp.headers["Cache-Control"] = "public, max-age=86400"
    return resp


@router.get("/")
def home(request: Request) -> Response:
    p = forms.signed_in(request)
    return page(request, "home.html", title="Головна", who=p)


@router.get("/login")
def login_form(
    request: Request, back: Annotated[str | None, Query(max_length=300)] = None
) -> Response:
    if session.principal(request) is not None:
        return RedirectResponse(forms.local_path(back), status_code=303)
    return page(
        request,
        "login.html",
        title="Вхід",
        back=forms.local_path(back),
        login="",
        oidc=oidc.configured(request),
    )


@router.post("/login")
async def login(request: Request) -> Response:
    f = await forms.posted(request)
    login, password = f.get("login", 100).strip(), f.values.get("password", "")
    back = forms.local_path(f.get("back", 300))

    def again(status: int, error: str | None = None, notice: str | None = None) -> Response:
        return page(
            request, "login.html", status, title="Вхід", error=error, notice=notice,
            login=login, back=back, keep=f.keep, oidc=oidc.configured(request),
        )  # fmt: skip

    if not f.csrf_ok:
        return again(400, notice=forms.STALE)
    if not login:
        return again(422, error=NO_LOGIN)
    if not password:
        return again(422, error=NO_PASSWORD)
    try:
        token, seconds = _sign_in(request, login, password)
    except Unauthenticated:
        return again(401, error=BAD_LOGIN)
    p = session.principal_for(request, token)
    if f.keep and p is not None:
        # Back to the form the person was filling in, with what they typed.
        resp = _restore(request, back, f.keep, p)
    else:
        resp = RedirectResponse(back, status_code=303)
    session.start_session(request, resp, token, seconds)
    return resp


def _sign_in(request: Request, login: str, password: str) -> tuple[str, int]:
    """The API's own sign-in use case: the same check, audit entries and token."""
    ctx = session.visitor_context(request)
    issued = auth.login_with_password(ctx, login=login, password=password)
    return issued.access_token, issued.expires_in


def _restore(request: Request, back: str, keep: dict[str, str], p: Principal) -> Response:
    request.state.who = p
    if back == "/search":
        return search.form_again(request, p, keep)
    if back == "/log":
        return dpo.log_again(request, keep)
    if back == "/cases/new":
        return desk.register_again(request, keep)
    if back == "/retention/holds":
        return retention.holds_again(request, keep)
    if back.startswith("/documents/") and back.endswith("/break-glass"):
        return documents.glass_form_again(request, p, back.split("/")[2], keep)
    return RedirectResponse(back, status_code=303)


@router.post("/logout")
async def logout(request: Request) -> Response:
    f = await forms.posted(request)
    p = session.principal(request)
    raw = session.session_token(request)
    if p is not None and f.csrf_ok:
        auth.logout(session.context(request, p), token=raw)
    elif p is not None:
        # A stale form: ask again rather than sign out on a forged request.
        return page(request, "home.html", 400, title="Головна", who=p, notice=forms.STALE)
    resp = RedirectResponse("/login", status_code=303)
    session.end_session(resp)
    return secured(resp)
