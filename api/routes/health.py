"""Liveness for load balancers and compose health checks."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from api.deps import ArchiveDep
from usecases.maintenance import check_health

router = APIRouter(prefix="/api", tags=["health"])


@router.get("/health", summary="Стан сервісу")
def health(archive: ArchiveDep) -> Any:
    return check_health(archive).as_json()
