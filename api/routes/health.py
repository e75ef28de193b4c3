"""Liveness for load balancers and compose health checks."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from api.deps import ArchiveDep, ContextDep
from api.schemas import BackendsHealthOut
from usecases import health as backends
from usecases.maintenance import check_health

router = APIRouter(prefix="/api", tags=["health"])


@router.get("/health", summary="Стан сервісу")
def health(archive: ArchiveDep) -> Any:
    return check_health(archive).as_json()


@router.get(
    "/health/backends",
    response_model=BackendsHealthOut,
    summary="Стан бази даних, сховища, індексу, черги й журналу (системний адміністратор)",
)
def backends_health(ctx: ContextDep) -> Any:
    return backends.backends_health(ctx).as_json()
