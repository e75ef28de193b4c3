"""Rendering pages: Jinja2 with autoescape, Ukrainian formats, security headers, errors.

Every web response goes through :func:`page` (or :func:`secured`), which
adds the headers: a Content-Security-Policy that allows no inline script or
style and nothing from another origin, ``frame-ancestors 'none'``,
``nosniff``, no referrer, and ``Cache-Control: no-store`` — pages show
personal data, so no browser or proxy keeps them.

:class:`WebRoute` is the web's one error mapping: a use-case error becomes
a page with one Ukrainian sentence and the status the API would give; an
unexpected failure becomes a 500 page (the log gets the exception's type,
never its text, which may quote a document).
"""

from __future__ import annotations

import html
import logging
import re
from collections.abc import Callable, Coroutine, Iterable
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from fastapi import Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, RedirectResponse
from fastapi.routing import APIRoute
from jinja2 import Environment, FileSystemLoader, select_autoescape
from markupsafe import Markup

from api.problems import STATUS
from api.web import nav, session
from usecases.errors import (
    ArchiveError,
    RateLimited,
)

log = logging.getLogger(__name__)

HERE = Path(__file__).parent
KYIV = ZoneInfo("Europe/Kyiv")

CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; "
    "connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
)
HEADERS = {
    "Content-Security-Policy": CSP,
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-store",
    "Cross-Origin-Opener-Policy": "same-origin",
    "Cross-Origin-Resource-Policy": "same-origin",
    "Permissions-Policy": "camera=(), microphone=(), geolocation=()",
}


def uk_date(value: str | date | datetime | None, with_time: bool = True) -> str:
    """``17.05.2026 14:03`` — the Ukrainian numeric convention, on the centre's clock."""
    if value is None or value == "":
        return "—"
    if isinstance(value, str):
        try:
            value = datetime.fromisoformat(value)
        except ValueError:
            return "—"
    if isinstance(value, datetime):
        # Stored in UTC; people read the centre's wall clock.
        moment = value if value.tzinfo else value.replace(tzinfo=UTC)
        return moment.astimezone(KYIV).strftime("%d.%m.%Y %H:%M" if with_time else "%d.%m.%Y")
    return value.strftime("%d.%m.%Y")


def uk_number(value: int | float) -> str:
    """``10 000``, ``3,5``: a non-breaking space between thousands, a decimal comma."""
    if isinstance(value, int):
        return f"{value:,}".replace(",", "\u00a0")
    return f"{value:,.1f}".replace(",", "\u00a0").replace(".", ",")


def uk_size(n: int) -> str:
    if n < 1024:
        return f"{n} Б"
    if n < 1024 * 1024:
        return f"{uk_number(n / 1024)} КБ"
    return f"{uk_number(n / 1024 / 1024)} МБ"


_MARK_RE = re.compile(r"<mark>(.*?)</mark>", re.S)


def marked(snippet: str) -> Markup:
    """A snippet from the index: only ``<mark>`` survives, everything else is re-escaped.

    The index already escapes its snippets; this does not rely on it. The
    text is unescaped and escaped again piece by piece, so whatever a
    document contains is shown as text.
    """
    out: list[str] = []
    pos = 0
    for m in _MARK_RE.finditer(snippet):
        out.append(html.escape(html.unescape(snippet[pos : m.start()])))
        out.append("<mark>" + html.escape(html.unescape(m.group(1))) + "</mark>")
        pos = m.end()
    out.append(html.escape(html.unescape(snippet[pos:])))
    return Markup("".join(out))


def highlight(text: str, forms: Iterable[str]) -> Markup:
    """Page text escaped, with whole words among ``forms`` (lower-case) in ``<mark>``."""
    wanted = sorted({f for f in forms if f}, key=len, reverse=True)
    if not wanted:
        return Markup(html.escape(text))
    pattern = re.compile(
        r"(?<![\w'’ʼ])(?:" + "|".join(re.escape(w) for w in wanted) + r")(?![\w'’ʼ])", re.I
    )
    out: list[str] = []
    pos = 0
    for m in pattern.finditer(text):
        out.append(html.escape(text[pos : m.start()]))
        out.append("<mark>" + html.escape(m.group()) + "</mark>")
        pos = m.end()
    out.append(html.escape(text[pos:]))
    return Markup("".join(out))


env = Environment(
    loader=FileSystemLoader(HERE / "templates"),
    autoescape=select_autoescape(default=True, default_for_string=True),
    trim_blocks=True,
    lstrip_blocks=True,
)
env.filters.update(
    uk_date=uk_date, uk_number=uk_number, uk_size=uk_size, marked=marked, highlight=highlight
)
env.globals["labels"] = nav.LABELS


def secured(response: Response) -> Response:
    for k, v in HEADERS.items():
        response.headers.setdefault(k, v)
    return response


def page(request: Request, template: str, status: int = 200, **values: Any) -> HTMLResponse:
    """A whole page, with the person's menu, a CSRF token for its forms, and the headers."""
    seed, new = session.csrf_seed(request)
    who = values.pop("who", None)
    body = env.get_template(template).render(
        csrf=session.csrf_token(request, seed),
        who=who,
        menu=nav.screens(request, who).menu if who is not None else (),
        path=request.url.path,
        **values,
    )
    response = HTMLResponse(body, status_code=status)
    if new:
        session.set_cookie(request, response, session.CSRF_COOKIE, seed, 12 * 3600)
    secured(response)
    return response


# --- errors -------------------------------------------------------------------------

TITLES = {
    400: "Запит не вдався",
    401: "Потрібно увійти",
    403: "Доступ заборонено",
    404: "Не знайдено",
    409: "Дію зараз виконати не можна",
    413: "Завеликий файл",
    422: "Перевірте введені дані",
    429: "Забагато спроб",
    500: "Щось пішло не так",
    503: "Сервіс тимчасово недоступний",
}
BROKEN = "На сервері сталася помилка; спробуйте ще раз або зверніться до адміністратора."
BAD_REQUEST = "Запит містить некоректні дані; поверніться назад і перевірте форму."


class SignInNeeded(Exception):
    """The page needs a session: the person goes to the sign-in form (keeping ``keep``)."""

    def __init__(self, keep: dict[str, str] | None = None, back: str = "/") -> None:
        super().__init__("sign-in needed")
        self.keep = keep or {}
        self.back = back


def _status(exc: ArchiveError) -> int:
    # The API's one table of the taxonomy (by class; a page has no per-code exceptions).
    for cls in type(exc).__mro__:
        if cls in STATUS:
            return STATUS[cls]  # type: ignore[index]
    return 500


def error_page(request: Request, status: int, message: str, who: Any = None) -> Response:
    resp = page(
        request, "error.html", status, title=TITLES.get(status, TITLES[500]),
        message=message, who=who,
    )  # fmt: skip
    return resp


class WebRoute(APIRoute):
    """Routes of the pages: errors become a page, never JSON or a traceback."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def run(request: Request) -> Response:
            try:
                return secured(await handler(request))
            except SignInNeeded as exc:
                return await _sign_in_again(request, exc)
            except ArchiveError as exc:
                who = getattr(request.state, "who", None)
                resp = error_page(request, _status(exc), exc.message, who)
                if isinstance(exc, RateLimited):
                    resp.headers["Retry-After"] = str(exc.retry_after)
                return resp
            except RequestValidationError:
                return error_page(request, 400, BAD_REQUEST, getattr(request.state, "who", None))
            except Exception as exc:  # the one place a page may fail
                log.error("web page failed: %s", type(exc).__name__)
                return error_page(request, 500, BROKEN)

        return run


async def _sign_in_again(request: Request, exc: SignInNeeded) -> Response:
    if request.method == "GET" and not exc.keep:
        if request.url.path == "/":
            return secured(RedirectResponse("/login", status_code=303))
        # Only a local path comes back; the query string stays out (it is not needed).
        return secured(RedirectResponse(f"/login?back={request.url.path}", status_code=303))
    return page(
        request,
        "login.html",
        401,
        title="Вхід",
        notice="Сесія завершилася. Увійдіть ще раз — введене у формі збережено.",
        back=exc.back,
        keep=exc.keep,
        login="",
    )
