"""The search page: the API's filters, snippets with matches marked, paging.

Queries go by POST, never in the address: people search for names and
identifiers, and an address ends up in the history, in proxies' logs and
in the ``Referer`` of the next request. Paging re-posts the same form.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request, Response

from api.web import forms, session
from api.web.render import WebRoute, page
from archive.models import PackageKind, Source
from usecases import metadata
from usecases import search as find
from usecases.context import Context
from usecases.policy import Principal

router = APIRouter(route_class=WebRoute, include_in_schema=False)

PER_PAGE = 20
MAX_OFFSET = 100_000
FIELDS = ("q", "case", "package", "source", "date_from", "date_to", "type", "doc_from", "doc_to")


def _values(raw: dict[str, str]) -> dict[str, str]:
    return {k: raw.get(k, "").strip() for k in FIELDS}


_date = forms.parse_date


def _check(v: dict[str, str], codes: set[str]) -> tuple[dict[str, str], dict[str, Any]]:
    """Field errors (Ukrainian, one per field) and the typed filters.

    ``codes``: the document types of the vocabulary (the select's options).
    """
    errors: dict[str, str] = {}
    out: dict[str, Any] = {}
    if not v["q"]:
        errors["q"] = "Введіть слова для пошуку."
    elif len(v["q"]) > 1000:
        errors["q"] = "Запит задовгий: не більше 1000 символів."
    if len(v["case"]) > 64:
        errors["case"] = "Номер справи задовгий."
    out["case"] = v["case"] or None
    try:
        out["package"] = PackageKind(v["package"]) if v["package"] else None
    except ValueError:
        errors["package"] = "Оберіть пакет зі списку."
    try:
        out["source"] = Source(v["source"]) if v["source"] else None
    except ValueError:
        errors["source"] = "Оберіть джерело зі списку."
    for name, key in (("date_from", "date_from"), ("date_to", "date_to")):
        try:
            out[key] = _date(v[name])
        except ValueError as exc:
            errors[name] = str(exc)
    if out.get("date_from") and out.get("date_to") and out["date_from"] > out["date_to"]:
        errors["date_to"] = "Дата «до» не може бути раніше за дату «від»."
    if v["type"] and v["type"] not in codes:
        errors["type"] = "Оберіть тип документа зі списку."
    out["types"] = [v["type"]] if v["type"] else []
    # The document's own date (issue date read from its content), whole days.
    for name in ("doc_from", "doc_to"):
        try:
            out[f"doc_date_{name[4:]}"] = _date(v[name])
        except ValueError as exc:
            errors[name] = str(exc)
    low, high = out.get("doc_date_from"), out.get("doc_date_to")
    if low and high and low > high:
        errors["doc_to"] = "Дата «до» не може бути раніше за дату «від»."
    return errors, out


def _types(ctx: Context) -> list[metadata.TypeEntry]:
    """The document-type vocabulary, for the type filter's options."""
    return metadata.list_document_types(ctx)


@router.get("/search")
def search_page(request: Request) -> Response:
    ctx = forms.page_context(request, back="/search")
    return page(request, "search.html", title="Пошук документів", who=ctx.principal,
                v=_values({}), result=None, types=_types(ctx))  # fmt: skip


def form_again(request: Request, p: Principal, keep: dict[str, str]) -> Response:
    """The search form as the person left it before signing in again (not yet run)."""
    ctx = session.context(request, p)
    return page(
        request, "search.html", title="Пошук документів", who=p, v=_values(keep), result=None,
        notice="Ви знову увійшли. Перевірте запит і натисніть «Шукати».", types=_types(ctx),
    )  # fmt: skip


@router.post("/search")
async def run_search(request: Request) -> Response:
    f = await forms.posted(request)
    v = _values(f.values)
    ctx = forms.page_context(request, keep=v, back="/search")
    who = ctx.principal
    types = _types(ctx)
    if not f.csrf_ok:
        return page(request, "search.html", 400, title="Пошук документів", who=who, v=v,
                    result=None, notice=forms.STALE, types=types)  # fmt: skip
    errors, typed = _check(v, {t.code for t in types})
    if errors:
        return page(request, "search.html", 422, title="Пошук документів", who=who, v=v,
                    result=None, errors=errors, types=types)  # fmt: skip
    try:
        offset = min(max(int(f.get("offset", 10) or 0), 0), MAX_OFFSET)
    except ValueError:
        offset = 0
    offset -= offset % PER_PAGE
    result = find.search(ctx, text=v["q"], limit=PER_PAGE, offset=offset, **typed)
    pages = max(1, -(-result.total // PER_PAGE))
    return page(
        request,
        "search.html",
        title="Пошук документів",
        who=who,
        v=v,
        types=types,
        result=result,
        first=offset + 1,
        last=offset + len(result.hits),
        per_page=PER_PAGE,
        page_no=offset // PER_PAGE + 1,
        pages=pages,
        has_prev=offset > 0,
        has_next=offset + PER_PAGE < result.total,
        prev_offset=max(offset - PER_PAGE, 0),
        next_offset=offset + PER_PAGE,
    )
