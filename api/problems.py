"""Every error of the HTTP API as RFC 9457 problem details, from one table.

Use cases raise the classes of :mod:`usecases.errors`; routes do not catch
them. :data:`STATUS` gives each class its status once, and the handlers
installed by :func:`install` turn it — and any ``HTTPException`` or request
validation error still raised by the framework — into one JSON shape,
``application/problem+json``::

    {"type": "urn:cnap-archive:error:not_found", "title": "Не знайдено",
     "status": 404, "detail": "Справу не знайдено", "code": "not_found"}

``detail`` is the one Ukrainian sentence of the error (clients that read
``detail`` as a string keep working), ``code`` a stable word for programs,
``errors`` the fields a validation error is about. Submitted values are
never echoed: they may be personal data.

:func:`openapi_with_problems` declares that shape in the spec for every error
status an operation can answer.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError, ResponseValidationError
from fastapi.openapi.utils import get_openapi
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field
from starlette.exceptions import HTTPException as StarletteHTTPException

from api.messages import field_message
from usecases.errors import (
    ArchiveError,
    Conflict,
    Denied,
    Invalid,
    NotFound,
    RateLimited,
    TooLarge,
    Unauthenticated,
    Unavailable,
)

log = logging.getLogger(__name__)

MEDIA_TYPE = "application/problem+json"
TYPE_PREFIX = "urn:cnap-archive:error:"

#: The one mapping of the taxonomy to HTTP. A test fails on a class missing here.
STATUS: dict[type[ArchiveError], int] = {
    Invalid: 422,
    Unauthenticated: 401,
    Denied: 403,
    NotFound: 404,
    Conflict: 409,
    TooLarge: 413,
    RateLimited: 429,
    Unavailable: 503,
}

# Status → (kind, Ukrainian title). The kinds of the taxonomy first; then the statuses the
# framework itself answers (unknown path, wrong method, …) and the one a route still uses.
_KINDS: dict[int, tuple[str, str]] = {
    400: ("bad_request", "Некоректний запит"),
    401: (Unauthenticated.kind, "Потрібна автентифікація"),
    403: (Denied.kind, "Доступ заборонено"),
    404: (NotFound.kind, "Не знайдено"),
    405: ("method_not_allowed", "Метод не підтримується"),
    406: ("not_acceptable", "Формат відповіді не підтримується"),
    409: (Conflict.kind, "Конфлікт стану"),
    413: (TooLarge.kind, "Завеликий запит"),
    415: ("unsupported_media_type", "Тип вмісту не підтримується"),
    422: (Invalid.kind, "Недопустимі дані"),
    429: (RateLimited.kind, "Забагато спроб"),
    500: ("internal", "Внутрішня помилка сервера"),
    502: ("bad_gateway", "Зовнішня служба не відповіла як слід"),
    503: (Unavailable.kind, "Служба тимчасово недоступна"),
}

INTERNAL_DETAIL = "Внутрішня помилка сервера; її записано до журналу застосунку"


def _kind(status: int) -> tuple[str, str]:
    if status in _KINDS:
        return _KINDS[status]
    return (
        ("server_error", "Помилка сервера") if status >= 500 else ("client_error", "Помилка запиту")
    )


class FieldProblem(BaseModel):
    """One rejected field of a request (never its value)."""

    loc: list[str | int] = Field(description="Де в запиті: path, query, header, body…")
    type: str = Field(description="Стабільний код перевірки (як у pydantic)")
    msg: str = Field(description="Пояснення українською")


class Problem(BaseModel):
    """RFC 9457 problem details: the one shape of every error response."""

    type: str = Field(description="URI виду помилки: urn:cnap-archive:error:<вид>")
    title: str = Field(description="Коротка назва виду помилки")
    status: int = Field(description="Код стану HTTP")
    detail: str = Field(description="Одне речення українською для людини")
    code: str = Field(description="Стабільне слово для програм")
    errors: list[FieldProblem] | None = Field(
        default=None, description="Поля, що не пройшли перевірку (лише для 422)"
    )


def problem_response(
    status: int,
    detail: str | None = None,
    *,
    code: str | None = None,
    errors: Sequence[FieldProblem] | None = None,
    headers: Mapping[str, str] | None = None,
) -> JSONResponse:
    """An ``application/problem+json`` response of this status."""
    kind, title = _kind(status)
    body = Problem(
        type=TYPE_PREFIX + kind,
        title=title,
        status=status,
        detail=detail or title,
        code=code or kind,
        errors=list(errors) if errors is not None else None,
    )
    return JSONResponse(
        body.model_dump(exclude_none=True),
        status_code=status,
        headers=dict(headers or {}),
        media_type=MEDIA_TYPE,
    )


#: Codes whose status differs from their class's: an identity provider that does not
#: answer is a bad gateway, as the sign-in routes have always answered.
STATUS_BY_CODE: dict[str, int] = {"idp_unavailable": 502}


def status_of(exc: ArchiveError) -> int:
    """The HTTP status of an error of the taxonomy (by its nearest mapped class)."""
    if exc.code in STATUS_BY_CODE:
        return STATUS_BY_CODE[exc.code]
    for cls in type(exc).__mro__:
        if cls in STATUS:
            return STATUS[cls]  # type: ignore[index]
    return 500


def archive_error_response(exc: ArchiveError) -> JSONResponse:
    status = status_of(exc)
    headers: dict[str, str] = {}
    if isinstance(exc, Unauthenticated):
        headers["WWW-Authenticate"] = "Bearer"
    if isinstance(exc, RateLimited):
        headers["Retry-After"] = str(max(int(exc.retry_after), 1))
    if isinstance(exc, Conflict) and "offset" in exc.details:
        # The station upload protocol: where the client resumes (a byte count, no data).
        headers["Upload-Offset"] = str(int(exc.details["offset"]))
    return problem_response(status, exc.message, code=exc.code, headers=headers)


def http_error_response(exc: StarletteHTTPException) -> JSONResponse:
    status = exc.status_code
    detail: str | None = exc.detail if isinstance(exc.detail, str) else None
    # The routes speak Ukrainian; the framework's own English ("Not Found", "There was an
    # error parsing the body") gives way to the Ukrainian title or a sentence of ours.
    if detail is not None and not _CYRILLIC.search(detail):
        detail = _FRAMEWORK_DETAILS.get(detail)
    return problem_response(status, detail, headers=exc.headers)


_CYRILLIC = re.compile(r"[А-Яа-яІіЇїЄєҐґ]")
_FRAMEWORK_DETAILS = {
    "There was an error parsing the body": "Тіло запиту не вдалося розібрати",
}


def field_problems(errors: Iterable[Mapping[str, Any]]) -> list[FieldProblem]:
    """Validation errors as fields, types and Ukrainian messages, without the input."""
    out: list[FieldProblem] = []
    for e in errors:
        loc = [x if isinstance(x, int) else str(x) for x in e.get("loc", ())]
        kind = str(e.get("type", "value_error"))
        out.append(FieldProblem(loc=loc, type=kind, msg=field_message(kind, e.get("ctx"))))
    return out


def _field_names(problems: Sequence[FieldProblem]) -> str:
    names: list[str] = []
    for p in problems:
        # The first element says where (query, path, body…); the rest names the field.
        name = ".".join(str(x) for x in p.loc[1:]) or ".".join(str(x) for x in p.loc) or "?"
        if name not in names:
            names.append(name)
    return ", ".join(names[:5]) + (" …" if len(names) > 5 else "")


def validation_response(exc: RequestValidationError) -> JSONResponse:
    problems = field_problems(exc.errors())
    detail = "Запит не пройшов перевірку"
    if problems:
        detail += f": {_field_names(problems)}"
    return problem_response(422, detail, code="invalid_request", errors=problems)


def install(app: FastAPI) -> None:
    """Route every error of ``app`` through the table; one JSON shape for all of them."""

    @app.exception_handler(ArchiveError)
    async def archive_error(_request: Request, exc: ArchiveError) -> JSONResponse:
        return archive_error_response(exc)

    @app.exception_handler(StarletteHTTPException)
    async def http_error(_request: Request, exc: StarletteHTTPException) -> JSONResponse:
        return http_error_response(exc)

    @app.exception_handler(RequestValidationError)
    async def invalid_request(_request: Request, exc: RequestValidationError) -> JSONResponse:
        return validation_response(exc)

    @app.exception_handler(ResponseValidationError)
    async def invalid_response(_request: Request, _exc: ResponseValidationError) -> JSONResponse:
        # A route answered outside its own schema: a bug, never the caller's fault.
        log.error("response does not match its schema")
        return problem_response(500, INTERNAL_DETAIL)

    @app.exception_handler(Exception)
    async def unexpected(_request: Request, exc: Exception) -> JSONResponse:
        # The server error middleware re-raises after this answer, so it is logged there too.
        log.error("unhandled %s", type(exc).__name__)
        return problem_response(500, INTERNAL_DETAIL)

    app.openapi = lambda: openapi_with_problems(app)  # type: ignore[method-assign]


# --- the spec ---------------------------------------------------------------------------------

#: Statuses every operation may answer through the shared machinery: invalid input (the
#: framework's validation or a use case's ``Invalid``) and a backend that does not answer.
ALWAYS = (422, 503)
#: Statuses of an operation with a request body: one that cannot even be parsed.
WITH_BODY = (400,)
#: Statuses of an operation that needs a bearer token.
SECURED = (401, 403)
#: Statuses of an operation on a named object (a path parameter): the object or one outside
#: the caller's scope.
NAMED = (404,)

_DESCRIPTIONS = {status: title for status, (_kind_, title) in _KINDS.items()}


def responses(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """``responses=`` for a route or router: these error statuses, with the problem shape."""
    return {
        s: {"model": Problem, "description": _DESCRIPTIONS.get(s, _kind(s)[1])} for s in statuses
    }


def openapi_with_problems(app: FastAPI) -> dict[str, Any]:
    """The app's spec, where every error status an operation can answer has the problem shape."""
    if app.openapi_schema:
        return app.openapi_schema
    spec = get_openapi(
        title=app.title,
        version=app.version,
        openapi_version=app.openapi_version,
        summary=app.summary,
        description=app.description,
        routes=app.routes,
        tags=app.openapi_tags,
        servers=app.servers,
    )
    schemas: dict[str, Any] = spec.setdefault("components", {}).setdefault("schemas", {})
    for name, schema in _problem_schemas().items():
        schemas[name] = schema
    ref = {"$ref": "#/components/schemas/Problem"}
    for path, item in spec.get("paths", {}).items():
        for method, op in item.items():
            if not isinstance(op, dict) or "responses" not in op:
                continue
            add_problem_responses(op, path, method, ref)
    # The framework's validation shape is no longer answered by anything.
    if not _mentions(spec["paths"], "#/components/schemas/HTTPValidationError"):
        schemas.pop("HTTPValidationError", None)
        schemas.pop("ValidationError", None)
    app.openapi_schema = spec
    return spec


def add_problem_responses(op: dict[str, Any], path: str, method: str, ref: dict[str, str]) -> None:
    """Declare the problem shape for each error status ``op`` can answer."""
    responses_: dict[str, Any] = op["responses"]
    statuses: set[int] = set(ALWAYS)
    if op.get("security"):
        statuses.update(SECURED)
    if "requestBody" in op:
        statuses.update(WITH_BODY)
    if any(p.get("in") == "path" for p in op.get("parameters", [])) or "{" in path:
        statuses.update(NAMED)
    statuses.update(int(s) for s in responses_ if s.isdigit() and int(s) >= 400)
    for status in sorted(statuses):
        entry = responses_.setdefault(str(status), {})
        entry["description"] = (
            _DESCRIPTIONS.get(status, _kind(status)[1])
            if entry.get("description") in (None, "", "Validation Error")
            else entry["description"]
        )
        entry["content"] = {MEDIA_TYPE: {"schema": dict(ref)}}
        if status == 401:
            entry["headers"] = {
                "WWW-Authenticate": {"description": "Bearer", "schema": {"type": "string"}}
            }
        if status == 429:
            entry["headers"] = {
                "Retry-After": {
                    "description": "Секунд до наступної спроби",
                    "schema": {"type": "integer"},
                }
            }


def _problem_schemas() -> dict[str, Any]:
    schema = Problem.model_json_schema(ref_template="#/components/schemas/{model}")
    defs: dict[str, Any] = schema.pop("$defs", {})
    return {"Problem": schema, **defs}


def _mentions(node: object, ref: str) -> bool:
    if isinstance(node, dict):
        return any(v == ref or _mentions(v, ref) for v in node.values())
    if isinstance(node, list):
        return any(_mentions(v, ref) for v in node)
    return False


__all__ = [
    "MEDIA_TYPE",
    "STATUS",
    "FieldProblem",
    "Problem",
    "install",
    "openapi_with_problems",
    "problem_response",
    "responses",
    "status_of",
]
