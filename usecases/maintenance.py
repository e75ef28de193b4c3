"""Keeping the archive itself running: create it, rebuild its index, answer a liveness probe.

Who may: ``init`` and ``reindex`` are IT work, not work with documents. They
need :attr:`Capability.maintain`, held by the ``sysadmin`` role and by the
local console (the OS account on the server, which can read the database file
anyway and is the only one there is before any user exists). An
administrator acting with ``--as`` is refused: a rebuild loads every
document's text and takes the index's attention from the desk.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import func, select, text

from archive.audit import Action
from archive.models import DocState, Document
from backends import Archive
from ingest.indexing import OutboxState, outbox_state, reindex
from usecases.access import event, require
from usecases.context import Context
from usecases.policy import Capability
from usecases.registry import use_case


@dataclass(frozen=True, slots=True)
class Initialised:
    data_dir: Path


@use_case(Action.archive_init)
def init_archive(ctx: Context) -> Initialised:
    """Create or upgrade the database, the store and the index (safe to run again)."""
    require(ctx.events, ctx.principal, Capability.maintain, Action.archive_init)
    archive = ctx.archive
    archive.init()
    _ = archive.index  # opening the index creates it
    ctx.events.publish(event(ctx.principal, Action.archive_init))
    return Initialised(archive.settings.data_dir)


@dataclass(frozen=True, slots=True)
class Reindexed:
    documents: int


@use_case(Action.index_rebuild)
def rebuild_index(ctx: Context) -> Reindexed:
    """Rebuild the full-text index from the database and the store.

    Allowed to the sysadmin and the local console (see the module docstring).
    The entry is written before the rebuild, so a rebuild that fails midway
    is on record too.
    """
    require(ctx.events, ctx.principal, Capability.maintain, Action.index_rebuild)
    ctx.events.publish(event(ctx.principal, Action.index_rebuild))
    return Reindexed(reindex(ctx.archive))


@dataclass(frozen=True, slots=True)
class Health:
    status: str
    # Index updates not applied yet (archived documents not searchable yet).
    index_outbox: OutboxState | None = None

    def as_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"status": self.status}
        if self.index_outbox is not None:
            out["index_outbox"] = self.index_outbox.as_json()
        return out


def check_health(archive: Archive) -> Health:
    """``GET /api/health``: the database answers.

    Not a use case of a person (load balancers call it without signing in,
    so there is no principal and nothing to log); it reads no data.
    """
    with archive.db.session() as s:
        s.execute(text("SELECT 1"))
    return Health("ok", outbox_state(archive))


@dataclass(frozen=True, slots=True)
class ArchiveStatus:
    """``cnap-archive status``: documents by processing state and the index outbox."""

    documents: dict[str, int]
    index_outbox: OutboxState

    def as_json(self) -> dict[str, Any]:
        return {"documents": self.documents, "index_outbox": self.index_outbox.as_json()}


@use_case(None, why_unaudited="counts of documents by state and of pending index updates only")
def archive_status(ctx: Context) -> ArchiveStatus:
    """How much is waiting: documents not finished yet, and index updates not applied yet."""
    with ctx.archive.db.session() as s:
        rows = s.execute(select(Document.state, func.count()).group_by(Document.state))
        counts = {state.value: 0 for state in DocState}
        counts.update({str(state): int(n) for state, n in rows})
    return ArchiveStatus(counts, outbox_state(ctx.archive))
