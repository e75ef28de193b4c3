"""The sysadmin's screens (users, the backends' health) and the log's verification and seals."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request, Response
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import RedirectResponse

from api.web import forms, nav
from api.web.render import WebRoute, error_page, page
from archive.users import Role
from usecases import audit, health, users
from usecases.context import Context
from usecases.errors import ArchiveError, Conflict, Denied, Invalid, NotFound

router = APIRouter(route_class=WebRoute, include_in_schema=False)

USER_FIELDS = (
    "login",
    "full_name",
    "position",
    "role",
    "centre",
    "workplace",
    "department",
    "oidc_subject",
)
DONE = {
    "added": (
        "Обліковий запис створено. Якщо він читає документи, його має схвалити адміністратор ЦНАП."
    ),
    "disabled": "Обліковий запис вимкнено; його сесії більше не діють.",
    "sealed": "Печатку журналу записано до архівного сховища.",
    "approved": "Обліковий запис схвалено: людина отримала доступ своєї ролі.",
    "bound": (
        "Вхід через OpenID Connect прив’язано. Обліковий запис, що читає документи, "
        "знову очікує схвалення адміністратором ЦНАП."
    ),
}
BIND_FIELDS = ("bind_login", "issuer", "subject")


def _users_page(request: Request, ctx: Context, status: int = 200, **extra: Any) -> Response:
    accounts = users.list_users(ctx)
    done = DONE.get(request.query_params.get("done", ""))
    v = extra.pop("v", None) or {k: "" for k in USER_FIELDS}
    b = extra.pop("b", None) or {k: "" for k in BIND_FIELDS}
    return page(
        request,
        "users.html",
        status,
        title="Користувачі",
        who=ctx.principal,
        accounts=accounts,
        done=done,
        v=v,
        b=b,
        roles=list(Role),
        **extra,
    )


def _pending_page(request: Request, ctx: Context, status: int = 200, **extra: Any) -> Response:
    accounts = users.pending_users(ctx)
    done = DONE.get(request.query_params.get("done", ""))
    return page(
        request,
        "approvals.html",
        status,
        title="Схвалення облікових записів",
        who=ctx.principal,
        accounts=accounts,
        done=done,
        **extra,
    )


@router.get("/users")
def user_list(request: Request) -> Response:
    ctx = forms.page_context(request, back="/users")
    return _users_page(request, ctx)


def _check_user(v: dict[str, str], password: str, again: str) -> dict[str, str]:
    errors: dict[str, str] = {}
    if not v["login"]:
        errors["login"] = "Введіть логін."
    if v["role"] not in {r.value for r in Role}:
        errors["role"] = "Оберіть роль."
    if v["role"] == Role.official.value and not v["department"]:
        errors["department"] = "Посадовій особі потрібен підрозділ."
    if not password and not v["oidc_subject"]:
        errors["password"] = "Задайте пароль або вкажіть ідентифікатор входу через OpenID Connect."
    elif password != again:
        errors["password2"] = "Паролі не збігаються."
    for name in ("full_name", "position", "centre", "workplace", "department", "oidc_subject"):
        if len(v[name]) > 200:
            errors[name] = "Не більше 200 символів."
    return errors


@router.post("/users")
async def add_user(request: Request) -> Response:
    f = await forms.posted(request)
    v = {k: f.get(k, 200).strip() for k in USER_FIELDS}
    password, again = f.get("password", 1024), f.get("password2", 1024)
    ctx = forms.page_context(request, back="/users")
    if not f.csrf_ok:
        return _users_page(request, ctx, 400, v=v, notice=forms.STALE)
    errors = _check_user(v, password, again)
    if errors:
        return _users_page(request, ctx, 422, v=v, errors=errors)
    try:
        await run_in_threadpool(
            users.add_user,
            ctx,
            login=v["login"],
            role=Role(v["role"]),
            password=password or None,
            centre=v["centre"] or None,
            workplace=v["workplace"] or None,
            department=v["department"] or None,
            oidc_subject=v["oidc_subject"] or None,
            full_name=v["full_name"] or None,
            position=v["position"] or None,
        )
    except Conflict as exc:
        return _users_page(request, ctx, 409, v=v, errors={"login": exc.message})
    except Invalid as exc:
        field = {"bad_login": "login", "needs_department": "department"}.get(exc.code, "password")
        return _users_page(request, ctx, 422, v=v, errors={field: exc.message})
    return RedirectResponse("/users?done=added", status_code=303)


@router.post("/users/disable")
async def disable(request: Request) -> Response:
    f = await forms.posted(request)
    login = f.get("login", 100)
    ctx = forms.page_context(request, back="/users")
    if not f.csrf_ok:
        return _users_page(request, ctx, 400, notice=forms.STALE)
    if f.get("confirm", 10) != "yes":
        # Disabling ends the person's sessions at once: asked once more, on its own page.
        return page(
            request, "disable.html", title="Вимкнути користувача", who=ctx.principal, login=login
        )
    try:
        users.disable_user(ctx, login=login)
    except NotFound as exc:
        return _users_page(request, ctx, 404, problem=exc.message)
    return RedirectResponse("/users?done=disabled", status_code=303)


@router.get("/users/pending")
def pending_list(request: Request) -> Response:
    ctx = forms.page_context(request, back="/users/pending")
    return _pending_page(request, ctx)


def _refusal(request: Request, ctx: Context, exc: ArchiveError, status: int) -> Response:
    """A refused approval, said on the page the person came from (as far as they may see it)."""
    paths = nav.screens(request, ctx.principal).paths()
    if "/users/pending" in paths:
        return _pending_page(request, ctx, status, problem=exc.message)
    if "/users" in paths:
        return _users_page(request, ctx, status, problem=exc.message)
    return error_page(request, status, exc.message, ctx.principal)


@router.post("/users/approve")
async def approve(request: Request) -> Response:
    """The second person: an administrator of the account's centre approves it."""
    f = await forms.posted(request)
    login = f.get("login", 100)
    ctx = forms.page_context(request, back="/users/pending")
    if not f.csrf_ok:
        return _refusal(request, ctx, Invalid(forms.STALE), 400)
    try:
        await run_in_threadpool(users.approve_user, ctx, login=login)
    except Denied as exc:
        # Said in full: the approver must be another person, an administrator of that centre.
        return _refusal(request, ctx, exc, 403)
    except (Conflict, NotFound) as exc:
        status = 409 if isinstance(exc, Conflict) else 404  # an HTTP status, not an exit code
        return _refusal(request, ctx, exc, status)
    return RedirectResponse("/users/pending?done=approved", status_code=303)


@router.post("/users/oidc")
async def bind_oidc(request: Request) -> Response:
    """Bind an account to its identity-provider subject (issuer + sub), once."""
    f = await forms.posted(request)
    b = {k: f.get(k, 500).strip() for k in BIND_FIELDS}
    ctx = forms.page_context(request, back="/users")
    if not f.csrf_ok:
        return _users_page(request, ctx, 400, b=b, notice=forms.STALE)
    errors: dict[str, str] = {}
    if not b["bind_login"]:
        errors["bind_login"] = "Оберіть обліковий запис."
    if not b["subject"]:
        errors["subject"] = "Введіть ідентифікатор (sub), який надає постачальник ідентичності."
    elif len(b["subject"]) > 255:
        errors["subject"] = "Не більше 255 символів."
    if len(b["issuer"]) > 500:
        errors["issuer"] = "Не більше 500 символів."
    if errors:
        return _users_page(request, ctx, 422, b=b, errors=errors)
    try:
        await run_in_threadpool(
            users.bind_oidc_subject,
            ctx,
            login=b["bind_login"],
            subject=b["subject"],
            issuer=b["issuer"] or None,
        )
    except NotFound as exc:
        return _users_page(request, ctx, 404, b=b, errors={"bind_login": exc.message})
    except Conflict as exc:
        field = "subject" if exc.code == "subject_taken" else "bind_login"
        return _users_page(request, ctx, 409, b=b, errors={field: exc.message})
    except Invalid as exc:
        return _users_page(request, ctx, 422, b=b, errors={"subject": exc.message})
    return RedirectResponse("/users?done=bound", status_code=303)


@router.get("/health")
def health_page(request: Request) -> Response:
    ctx = forms.page_context(request, back="/health")
    state = health.backends_health(ctx)
    return page(request, "health.html", title="Стан сервісів", who=ctx.principal, h=state)


@router.get("/log/verify")
def verify(request: Request) -> Response:
    ctx = forms.page_context(request, back="/log/verify")
    report = audit.verify_log(ctx)
    done = DONE.get(request.query_params.get("done", ""))
    return page(
        request,
        "verify.html",
        title="Перевірка журналу доступу",
        who=ctx.principal,
        report=report,
        done=done,
    )


@router.post("/log/seal")
async def seal(request: Request) -> Response:
    f = await forms.posted(request)
    ctx = forms.page_context(request, back="/log/verify")
    if not f.csrf_ok:
        return RedirectResponse("/log/verify", status_code=303)
    await run_in_threadpool(audit.seal_log, ctx)
    return RedirectResponse("/log/verify?done=sealed", status_code=303)
