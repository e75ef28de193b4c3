"""The back-office official's list: the cases the desk routed to their department.

The department is the one the routing sheet records (the case's current
department). Each row links to the case page, which decides again.
"""

from __future__ import annotations

from fastapi import APIRouter, Request, Response

from api.web import forms
from api.web.render import WebRoute, page
from usecases import queue

router = APIRouter(route_class=WebRoute, include_in_schema=False)


@router.get("/department")
def department_page(request: Request) -> Response:
    ctx = forms.page_context(request, back="/department")
    cases = queue.department_cases(ctx)
    return page(request, "department.html", title="Справи мого відділу", who=ctx.principal, d=cases)
