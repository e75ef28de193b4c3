"""Full-text search and lookup by identifier, within what the caller may open.

Each route calls one use case of ``usecases.search``; a refusal is raised as
``usecases.errors.Denied`` and answered 403 by the app's handler.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Query
from fastapi.responses import JSONResponse

from api.deps import ContextDep
from api.schemas import IdentifierSearchOut, SearchOut
from archive.models import PackageKind, Source
from usecases import search as find

router = APIRouter(prefix="/api", tags=["search"])

# Dates outside any archive's life are refused here rather than handed to the index.
EARLIEST, LATEST = date(1900, 1, 1), date(2200, 12, 31)


@router.get("/search", response_model=SearchOut, summary="Пошук з урахуванням словоформ")
def search(
    ctx: ContextDep,
    q: Annotated[str, Query(description='Слова в будь-якій формі, "точна фраза"', max_length=1000)],
    limit: Annotated[int, Query(ge=1, le=1000)] = 10,
    offset: Annotated[int, Query(ge=0, le=100_000)] = 0,
    case: Annotated[str | None, Query(max_length=64)] = None,
    package: PackageKind | None = None,
    source: Source | None = None,
    date_from: Annotated[date | None, Query(alias="from", ge=EARLIEST, le=LATEST)] = None,
    date_to: Annotated[date | None, Query(alias="to", ge=EARLIEST, le=LATEST)] = None,
    doc_type: Annotated[
        list[str] | None,
        Query(alias="type", max_length=200, description="Тип документа: код, назва або група"),
    ] = None,
    doc_from: Annotated[date | None, Query(ge=EARLIEST, le=LATEST)] = None,
    doc_to: Annotated[date | None, Query(ge=EARLIEST, le=LATEST)] = None,
) -> Any:
    result = find.search(
        ctx,
        text=q,
        limit=limit,
        offset=offset,
        case=case,
        package=package,
        source=source,
        date_from=date_from,
        date_to=date_to,
        types=doc_type or (),
        doc_date_from=doc_from,
        doc_date_to=doc_to,
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
