"""Reading a posted form: the values as typed, the CSRF check, the page's context.

Forms are read as plain strings (never through FastAPI's validation), so a
mistake is answered on the form itself, beside the field, with what the
person typed kept.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from fastapi import Request
from starlette.datastructures import UploadFile

from api.web import session
from api.web.render import SignInNeeded
from usecases.context import Context
from usecases.policy import Principal

MAX_FIELD = 4000


@dataclass(slots=True)
class Posted:
    values: dict[str, str] = field(default_factory=dict)
    keep: dict[str, str] = field(default_factory=dict)
    csrf_ok: bool = False
    files: list[UploadFile] = field(default_factory=list)

    def get(self, name: str, limit: int = MAX_FIELD) -> str:
        return self.values.get(name, "")[:limit]


async def posted(request: Request) -> Posted:
    form = await request.form()
    values: dict[str, str] = {}
    keep: dict[str, str] = {}
    files: list[UploadFile] = []
    for key, value in form.multi_items():
        if isinstance(value, UploadFile):
            if key == "files" and value.filename:
                files.append(value)
            continue
        if len(key) > 100:
            continue
        if key.startswith("keep."):
            keep[key[5:]] = value[:MAX_FIELD]
        else:
            values[key] = value[:MAX_FIELD]
    sent = values.pop("csrf", None)
    return Posted(values, keep, session.csrf_ok(request, sent), files)


def signed_in(request: Request, keep: dict[str, str] | None = None, back: str = "/") -> Principal:
    """The person of the session; else the sign-in form (keeping what they typed)."""
    p = session.principal(request)
    if p is None:
        raise SignInNeeded(keep, back)
    request.state.who = p
    return p


def page_context(request: Request, keep: dict[str, str] | None = None, back: str = "/") -> Context:
    return session.context(request, signed_in(request, keep, back))


def local_path(back: str | None) -> str:
    """A path on this site to return to (anything else: the start page)."""
    if not back or not back.startswith("/") or back.startswith("//") or "\\" in back:
        return "/"
    return back[:300]


STALE = "Сторінка застаріла (минув час захисного ключа форми). Перевірте дані й надішліть ще раз."


EARLIEST, LATEST = date(1900, 1, 1), date(2200, 12, 31)


def parse_date(text: str) -> date | None:
    """``17.05.2026`` (as people type it) or ISO; ValueError with the Ukrainian sentence."""
    if not text:
        return None
    try:
        if "." in text:
            d, m, y = text.split(".")
            value = date(int(y), int(m), int(d))
        else:
            value = date.fromisoformat(text)
    except ValueError as exc:
        raise ValueError("Введіть дату у форматі ДД.ММ.РРРР.") from exc
    if not EARLIEST <= value <= LATEST:
        raise ValueError("Дата має бути між 1900 і 2200 роками.")
    return value


def period(v: dict[str, str], errors: dict[str, str]) -> tuple[date | None, date | None]:
    """The ``date_from``/``date_to`` fields of a form; mistakes go into ``errors``."""
    out: list[date | None] = []
    for name in ("date_from", "date_to"):
        try:
            out.append(parse_date(v.get(name, "")))
        except ValueError as exc:
            errors[name] = str(exc)
            out.append(None)
    since, until = out
    if since and until and since > until:
        errors["date_to"] = "Дата «до» не може бути раніше за дату «від»."
    return since, until
