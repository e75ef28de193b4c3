"""Full-text search."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Query

from api.deps import ArchiveDep
from api.schemas import SearchOut
from api.views import search_json
from archive.models import PackageKind, Source

router = APIRouter(prefix="/api", tags=["search"])


@router.get("/search", response_model=SearchOut, summary="Пошук з урахуванням словоформ")
def search(
    archive: ArchiveDep,
    q: Annotated[str, Query(description='Слова в будь-якій формі, "точна фраза"', max_length=1000)],
    limit: Annotated[int, Query(ge=1, le=1000)] = 10,
    offset: Annotated[int, Query(ge=0, le=100_000)] = 0,
    case: str | None = None,
    package: PackageKind | None = None,
    source: Source | None = None,
    date_from: Annotated[date | None, Query(alias="from")] = None,
    date_to: Annotated[date | None, Query(alias="to")] = None,
) -> Any:
    return search_json(
        archive,
        q,
        limit=limit,
        offset=offset,
        case=case,
        package=package.value if package else None,
        source=source.value if source else None,
        date_from=date_from,
        date_to=date_to,
    )
