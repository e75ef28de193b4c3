"""The access log, for the data-protection officer: subject requests, queries, review."""

from __future__ import annotations

from datetime import date
from enum import StrEnum
from typing import Annotated, Any

from fastapi import APIRouter, Query
from fastapi.responses import Response

from api.deps import ContextDep as UserContext
from api.schemas import VerifyOut
from archive.audit import Outcome
from usecases import audit
from usecases.audit import ReportFormat

router = APIRouter(prefix="/api/audit", tags=["audit"])


class Format(StrEnum):
    json = "json"
    csv = "csv"
    pdf = "pdf"


class ListFormat(StrEnum):
    json = "json"
    csv = "csv"


REPORT: dict[int | str, dict[str, Any]] = {
    200: {
        "content": {
            "application/json": {},
            "text/csv": {},
            "application/pdf": {},
        }
    }
}
LISTING: dict[int | str, dict[str, Any]] = {
    200: {"content": {"application/json": {}, "text/csv": {}}}
}


@router.get(
    "/subject",
    responses=REPORT,
    summary="Хто звертався до документів з персональними даними особи (запит суб'єкта)",
)
def subject(
    ctx: UserContext,
    q: Annotated[str, Query(min_length=1, max_length=200, description="Ідентифікатор або ПІБ")],
    date_from: Annotated[date | None, Query(alias="from")] = None,
    date_to: Annotated[date | None, Query(alias="to")] = None,
    format: Format = Format.json,
) -> Response:
    answer = audit.subject_access(
        ctx, query=q, since=date_from, until=date_to, fmt=ReportFormat(format.value)
    )
    headers = (
        {"Content-Disposition": f"attachment; filename={answer.filename}"}
        if answer.filename
        else None
    )
    return Response(answer.body, media_type=answer.media_type, headers=headers)


@router.get(
    "/entries", responses=LISTING, summary="Журнал доступу: за користувачем, документом, періодом"
)
def entries(
    ctx: UserContext,
    actor: Annotated[str | None, Query(max_length=200, alias="user")] = None,
    document_id: Annotated[str | None, Query(max_length=32, alias="document")] = None,
    date_from: Annotated[date | None, Query(alias="from")] = None,
    date_to: Annotated[date | None, Query(alias="to")] = None,
    action: Annotated[str | None, Query(max_length=64)] = None,
    outcome: Outcome | None = None,
    limit: Annotated[int, Query(ge=1, le=10_000)] = 1000,
    offset: Annotated[int, Query(ge=0)] = 0,
    format: ListFormat = ListFormat.json,
) -> Response:
    found = audit.read_entries(
        ctx, user=actor, document=document_id, since=date_from, until=date_to,
        action=action, outcome=outcome, limit=limit, offset=offset,
    )  # fmt: skip
    if format == ListFormat.csv:
        return Response(found.as_csv(), media_type="text/csv; charset=utf-8")
    return _json(found.as_json())


@router.get("/review", summary="Екстрені доступи (break-glass) і відмови для перевірки")
def review(
    ctx: UserContext,
    date_from: Annotated[date | None, Query(alias="from")] = None,
    date_to: Annotated[date | None, Query(alias="to")] = None,
    limit: Annotated[int, Query(ge=1, le=10_000)] = 1000,
) -> Any:
    return audit.review(ctx, since=date_from, until=date_to, limit=limit).as_json()


@router.get("/verify", response_model=VerifyOut, summary="Перевірити цілісність журналу")
def verify(
    ctx: UserContext,
    witness: Annotated[
        str | None,
        Query(max_length=200, description="Голова журналу з попереднього звіту: НОМЕР:ХЕШ"),
    ] = None,
) -> Any:
    return audit.verify_log(ctx, witness=witness).as_json()


@router.post("/seal", summary="Запечатати поточну голову журналу в архівному сховищі")
def seal(ctx: UserContext) -> Any:
    return audit.seal_log(ctx).as_json()


def _json(data: Any) -> Response:
    import json

    return Response(json.dumps(data, ensure_ascii=False), media_type="application/json")
