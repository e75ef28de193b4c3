"""The health of the archive's backends, for the sysadmin's screen.

:func:`usecases.maintenance.check_health` answers load balancers (the
database answers, nothing else, no sign-in). The sysadmin needs more: each
backend the settings name (database, object store, full-text index, work
queue, access log), whether it answers and how fast. Failures are reported
by the exception's type only — a message may quote a URL with a password.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from sqlalchemy import func, select, text

from archive.audit import Action, AuditEntry
from usecases.access import require
from usecases.context import Context
from usecases.policy import Capability
from usecases.registry import use_case


@dataclass(frozen=True, slots=True)
class BackendState:
    """One backend: which (the URL's scheme), whether it answered, how fast, what it said."""

    name: str
    kind: str
    ok: bool
    ms: float
    detail: str

    def as_json(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "kind": self.kind,
            "ok": self.ok,
            "ms": round(self.ms, 1),
            "detail": self.detail,
        }


@dataclass(frozen=True, slots=True)
class BackendsHealth:
    backends: list[BackendState]

    @property
    def ok(self) -> bool:
        return all(b.ok for b in self.backends)

    def as_json(self) -> dict[str, Any]:
        return {
            "status": "ok" if self.ok else "degraded",
            "backends": [b.as_json() for b in self.backends],
        }


def _scheme(url: str) -> str:
    return (urlsplit(url).scheme or "file").split("+")[0]


def _probe(name: str, kind: str, check: Callable[[], str]) -> BackendState:
    start = time.perf_counter()
    try:
        detail = check()
        ok = True
    except Exception as exc:  # a health check reports, it never raises
        detail, ok = f"не відповідає ({type(exc).__name__})", False
    return BackendState(name, kind, ok, (time.perf_counter() - start) * 1000, detail)


@use_case(
    None,
    why_unaudited=(
        "asks each backend whether it answers; reads no personal data and changes nothing "
        "(refusals are still logged)"
    ),
)
def backends_health(ctx: Context) -> BackendsHealth:
    """Database, object store, index, work queue and access log: answering or not."""
    require(ctx.events, ctx.principal, Capability.maintain, Action.health_read)
    archive = ctx.archive
    settings = archive.settings

    def database() -> str:
        with archive.db.session() as s:
            s.execute(text("SELECT 1"))
        return "відповідає"

    def store() -> str:
        archive.store.exists("0" * 64)
        return "відповідає"

    def index() -> str:
        return f"документів в індексі: {archive.index.count()}"

    def queue() -> str:
        d = ctx.dispatcher
        return "вбудована черга" if d is None else f"працює ({type(d).__name__})"

    def log() -> str:
        with archive.db.session() as s:
            head = s.scalar(select(func.max(AuditEntry.seq)))
        return f"останній запис № {head}" if head else "порожній"

    return BackendsHealth(
        [
            _probe("База даних", _scheme(settings.resolved_database_url), database),
            _probe("Сховище об’єктів", _scheme(settings.resolved_storage_url), store),
            _probe("Повнотекстовий індекс", _scheme(settings.resolved_index_url), index),
            _probe("Черга обробки", _scheme(settings.broker_url or "inprocess:"), queue),
            _probe("Журнал доступу", "audit", log),
        ]
    )


__all__ = ["BackendState", "BackendsHealth", "backends_health"]
