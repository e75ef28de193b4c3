"""Liveness for load balancers and compose health checks."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from sqlalchemy import text

from api.deps import ArchiveDep

router = APIRouter(prefix="/api", tags=["health"])


@router.get("/health", summary="Стан сервісу")
def health(archive: ArchiveDep) -> Any:
    with archive.db.session() as s:
        s.execute(text("SELECT 1"))
    return {"status": "ok"}
