"""The sysadmin's and the DPO's screens available so far: users, and the log's verification."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response

from api.web import forms
from api.web.render import WebRoute, page
from usecases import audit, users

router = APIRouter(route_class=WebRoute, include_in_schema=False)


@router.get("/users")
def user_list(request: Request) -> Response:
    ctx = forms.page_context(request, back="/users")
    accounts = users.list_users(ctx)
    return page(request, "users.html", title="Користувачі", who=ctx.principal, accounts=accounts)


@router.get("/log/verify")
def verify(request: Request) -> Response:
    ctx = forms.page_context(request, back="/log/verify")
    report = audit.verify_log(ctx)
    return page(request, "verify.html", title="Перевірка журналу доступу", who=ctx.principal,
                report=report)  # fmt: skip
