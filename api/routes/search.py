"""Full-text search and lookup by identifier, within what the caller may open.

Each route calls one use case of ``usecases.search``; a refusal is raised as
``usecases.errors.Denied`` and answered 403 by the app's handler.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Query
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field

from api.deps import ContextDep
from api.query_route import ContextQueryRoute
from api.schemas import IdentifierSearchOut, SearchOut
from archive.models import PackageKind, Source
from usecases import search as find

router = APIRouter(prefix="/api", tags=["search"])
# The search route solves its query without FastAPI's per-field work (api/query_route.py).
fast = APIRouter(prefix="/api", tags=["search"], route_class=ContextQueryRoute)

# Dates outside any archive's life are refused here rather than handed to the index.
EARLIEST, LATEST = date(1900, 1, 1), date(2200, 12, 31)


class SearchParams(BaseModel):
    """The query of ``GET /api/search``: one model, validated in one call.

    FastAPI validates a route's separate query parameters one by one on every
    request; as fields of one model they are checked together, and the OpenAPI
    document lists the same parameters.
    """

    model_config = ConfigDict(extra="ignore")

    q: Annotated[str, Field(description='Слова в будь-якій формі, "точна фраза"', max_length=1000)]
    limit: Annotated[int, Field(ge=1, le=1000)] = 10
    offset: Annotated[int, Field(ge=0, le=100_000)] = 0
    case: Annotated[str | None, Field(max_length=64)] = None
    package: PackageKind | None = None
    source: Source | None = None
    date_from: Annotated[date | None, Field(alias="from", ge=EARLIEST, le=LATEST)] = None
    date_to: Annotated[date | None, Field(alias="to", ge=EARLIEST, le=LATEST)] = None
    doc_type: Annotated[
        list[str] | None,
        Field(alias="type", max_length=200, description="Тип документа: код, назва або група"),
    ] = None
    doc_from: Annotated[date | None, Field(ge=EARLIEST, le=LATEST)] = None
    doc_to: Annotated[date | None, Field(ge=EARLIEST, le=LATEST)] = None


@fast.get("/search", response_model=SearchOut, summary="Пошук з урахуванням словоформ")
def search(ctx: ContextDep, params: Annotated[SearchParams, Query()]) -> Any:
    result = find.search(
        ctx,
        text=params.q,
        limit=params.limit,
        offset=params.offset,
        case=params.case,
        package=params.package,
        source=params.source,
        date_from=params.date_from,
        date_to=params.date_to,
        types=params.doc_type or (),
        doc_date_from=params.doc_from,
        doc_date_to=params.doc_to,
    )
    # The use case's result is already the schema's shape: answered as it is, without
    # FastAPI validating it again against ``SearchOut`` (the spec still describes it).
    return JSONResponse(result.as_json())


@router.get(
    "/search/identifier",
    response_model=IdentifierSearchOut,
    summary="Документи, що містять ідентифікатор (РНОКПП, IBAN, номер документа…)",
)
def by_identifier(
    ctx: ContextDep,
    value: Annotated[str, Query(min_length=1, max_length=200, description="Ідентифікатор")],
) -> Any:
    return find.lookup_identifier(ctx, value=value).as_json()
