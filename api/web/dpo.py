"""The data-protection officer's screens: the access log, the subject report, the review.

The log is searched by POST (a person's name or identifier never enters an
address). Searching by person is :func:`usecases.audit.subject_access` — the
same answer the subject report gives, shown on the page; by user, document
and period it is :func:`usecases.audit.read_entries`. The report downloads
in PDF, CSV or JSON from the same use case. Break-glass accesses and denials
to review are :func:`usecases.audit.review`; the log's verification and its
seals are on ``/log/verify`` (:mod:`api.web.admin`).
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from fastapi import APIRouter, Request, Response
from fastapi.concurrency import run_in_threadpool

from api.web import forms, nav
from api.web.render import WebRoute, page
from usecases import audit
from usecases.errors import Denied

router = APIRouter(route_class=WebRoute, include_in_schema=False)

FIELDS = ("person", "user", "document", "date_from", "date_to")
SHOWN = 200
FORMATS = {
    "pdf": audit.ReportFormat.pdf,
    "csv": audit.ReportFormat.csv,
    "json": audit.ReportFormat.json,
}
EXT = {"pdf": "pdf", "csv": "csv", "json": "json"}


def _values(raw: dict[str, str]) -> dict[str, str]:
    return {k: raw.get(k, "").strip() for k in FIELDS}


def _check(v: dict[str, str]) -> tuple[dict[str, str], date | None, date | None]:
    errors: dict[str, str] = {}
    if not (v["person"] or v["user"] or v["document"] or v["date_from"] or v["date_to"]):
        errors["person"] = "Вкажіть особу, користувача, документ або період."
    for name, limit in (("person", 200), ("user", 100), ("document", 64)):
        if len(v[name]) > limit:
            errors[name] = f"Не більше {limit} символів."
    since, until = forms.period(v, errors)
    return errors, since, until


def _log_page(
    request: Request, who: Any, v: dict[str, str], status: int = 200, **extra: Any
) -> Response:
    return page(request, "log.html", status, title="Журнал доступу", who=who, v=v, **extra)


@router.get("/log")
def log_page(request: Request) -> Response:
    ctx = forms.page_context(request, back="/log")
    # The form is offered to whoever the use-case layer gives the screen; the
    # search itself is decided again, and logged, by its use case.
    if "log" not in {s.code for s in nav.screens(request, ctx.principal).menu}:
        raise Denied("Ця дія недоступна для вашої ролі")
    return _log_page(request, ctx.principal, _values({}))


def log_again(request: Request, keep: dict[str, str]) -> Response:
    return _log_page(
        request,
        request.state.who,
        _values(keep),
        notice="Ви знову увійшли. Перевірте умови й натисніть «Шукати».",
    )


@router.post("/log")
async def search_log(request: Request) -> Response:
    f = await forms.posted(request)
    v = _values(f.values)
    ctx = forms.page_context(request, keep=v, back="/log")
    if not f.csrf_ok:
        return _log_page(request, ctx.principal, v, 400, notice=forms.STALE)
    errors, since, until = _check(v)
    if errors:
        return _log_page(request, ctx.principal, v, 422, errors=errors)
    if v["person"]:
        answer = await run_in_threadpool(
            audit.subject_access, ctx, query=v["person"], since=since, until=until
        )
        report = answer.report
        return _log_page(
            request,
            ctx.principal,
            v,
            entries=report.entries[-SHOWN:],
            total=len(report.entries),
            documents=report.documents,
            identifiers=[m for _, m in report.masked],
            by_person=True,
        )
    found = await run_in_threadpool(
        audit.read_entries,
        ctx,
        user=v["user"] or None,
        document=v["document"] or None,
        since=since,
        until=until,
        limit=SHOWN + 1,
    )
    rows = found.entries
    return _log_page(
        request,
        ctx.principal,
        v,
        entries=rows[:SHOWN],
        total=len(rows),
        more=len(rows) > SHOWN,
        by_person=False,
    )


@router.post("/log/subject-report")
async def subject_report(request: Request) -> Response:
    """The answer to a data subject's request, as a file to hand over or keep."""
    f = await forms.posted(request)
    v = _values(f.values)
    fmt = f.get("format", 10)
    ctx = forms.page_context(request, keep=v, back="/log")
    if not f.csrf_ok:
        return _log_page(request, ctx.principal, v, 400, notice=forms.STALE)
    errors, since, until = _check(v)
    if not v["person"]:
        errors["person"] = "Для звіту вкажіть особу: ім’я або ідентифікатор."
    if fmt not in FORMATS:
        errors["format"] = "Оберіть формат звіту."
    if errors:
        return _log_page(request, ctx.principal, v, 422, errors=errors)
    answer = await run_in_threadpool(
        audit.subject_access, ctx, query=v["person"], since=since, until=until, fmt=FORMATS[fmt]
    )
    name = f"subject-access-{date.today().isoformat()}.{EXT[fmt]}"
    return Response(
        answer.body,
        media_type=answer.media_type,
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )


@router.get("/log/review")
def review_page(request: Request, date_from: str = "", date_to: str = "") -> Response:
    """Break-glass and denials of a period (dates in the address: they name nobody)."""
    ctx = forms.page_context(request, back="/log/review")
    v = {"date_from": date_from[:10], "date_to": date_to[:10]}
    errors: dict[str, str] = {}
    since, until = forms.period(v, errors)
    if not (v["date_from"] or v["date_to"]):
        since = date.today() - timedelta(days=30)
    if errors:
        since, until = date.today() - timedelta(days=30), None
    found = audit.review(ctx, since=since, until=until, limit=SHOWN)
    return page(
        request,
        "review.html",
        422 if errors else 200,
        title="На перевірку",
        who=ctx.principal,
        v=v,
        errors=errors,
        r=found,
        since=since,
        until=until,
    )
