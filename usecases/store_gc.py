"""``cnap-archive store gc``: abandoned station uploads and unreferenced store objects.

What goes (issue 9, item 11):

* part files of station uploads (``<data>/uploads/<sha256>.part``) not
  written to for ``older_than_hours`` whose upload is not ``processed``
  (a station that comes back later starts that file again from offset 0);
* operational-tier objects older than ``older_than_hours`` that no row
  references (:data:`REFERENCES` lists every column that names a stored
  object — add a new one there, or its objects are collected).

The archival tier is never collected: retention owns it (destruction acts,
audit seals, transfer packages). A dry run is the default; ``apply`` deletes.

Why a grace period: every writer stores the bytes *before* it writes the row
that names them (ingest/pipeline.py ``ingest_file``, the batch splitter, mail
and Diia intake, classifier training), so a just-stored object has no row for
a moment. Objects younger than the grace period are never candidates; the
filesystem store refreshes an object's time when the same bytes are stored
again, so an old orphan that a new ingest is about to reference is fresh too.
The references are read again right before deleting. On S3, storing bytes
that already exist does not refresh their time: there a re-ingest of an old
orphan racing the very run that deletes it is the remaining (narrow) window.

Who may: :attr:`Capability.collect_garbage` — the sysadmin and the local console.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import InstrumentedAttribute, Session

from archive.audit import Action, AuditSeal
from archive.batches import BatchPart, ScanBatch, StationUpload
from archive.metadata_models import ClassifierModel, DocumentMetadata
from archive.models import Document, Tier
from archive.retention_models import Plan, RuleSet, Tombstone
from archive.sharing import MailMessage, SharingDelivery
from archive.store.base import StoreError, check_sha256
from usecases.access import event, require
from usecases.context import Context
from usecases.errors import Invalid, Unavailable
from usecases.policy import Capability
from usecases.registry import use_case

DEFAULT_GRACE_HOURS = 24

# Every column holding the SHA-256 of a stored object. Over-listing only keeps
# an object; missing one here loses data, so when in doubt a column is listed.
REFERENCES: tuple[InstrumentedAttribute[Any], ...] = (
    Document.sha256,  # the original as received
    Document.pdfa_sha256,  # its PDF/A rendition
    ScanBatch.sha256,  # a scanned batch as received (when kept)
    BatchPart.sha256,  # a split part (held parts are fetched from here)
    BatchPart.cover_sha256,  # the cover sheet's scan, kept as evidence
    StationUpload.sha256,  # the bytes of a station upload once archived
    SharingDelivery.metadata_sha256,  # Diia's encodeData part as received
    MailMessage.raw_sha256,  # the whole e-mail message
    ClassifierModel.sha256,  # a trained classifier's file
    DocumentMetadata.model_sha256,  # the classifier that typed a document
    AuditSeal.object_sha256,  # a seal body (archival tier, listed for completeness)
    Plan.act_sha256,  # the act of destruction (archival tier)
    Tombstone.act_sha256,
    RuleSet.sha256,
)
# JSON list columns whose entries name stored objects: (column, keys in each entry).
JSON_REFERENCES: tuple[tuple[InstrumentedAttribute[Any], tuple[str, ...]], ...] = (
    (SharingDelivery.parts, ("sha256", "container_sha256")),  # received parts, signed containers
    (MailMessage.attachments, ("sha256",)),  # attachments kept for review
)


@dataclass(frozen=True, slots=True)
class Garbage:
    """One thing the collector would delete (or deleted): an object or an upload part."""

    kind: str  # "object" | "upload"
    sha256: str
    size: int
    modified: datetime

    def as_json(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "sha256": self.sha256,
            "bytes": self.size,
            "modified": self.modified.isoformat(),
        }


@dataclass(frozen=True, slots=True)
class GcReport:
    applied: bool
    older_than_hours: int
    candidates: list[Garbage] = field(default_factory=list)
    # With ``apply``: what was removed (a candidate referenced meanwhile is kept).
    deleted: list[Garbage] = field(default_factory=list)

    @property
    def bytes(self) -> int:
        return sum(g.size for g in (self.deleted if self.applied else self.candidates))

    def as_json(self) -> dict[str, Any]:
        return {
            "applied": self.applied,
            "older_than_hours": self.older_than_hours,
            "candidates": [g.as_json() for g in self.candidates],
            "deleted": [g.as_json() for g in self.deleted],
            "bytes": self.bytes,
        }


def referenced(s: Session) -> set[str]:
    """Every SHA-256 some row names (see :data:`REFERENCES`)."""
    found: set[str] = set()
    for column in REFERENCES:
        found.update(v for v in s.scalars(select(column).where(column.is_not(None))) if v)
    for column, keys in JSON_REFERENCES:
        for entries in s.scalars(select(column)):
            for entry in entries or ():
                if isinstance(entry, dict):
                    found.update(str(entry[k]) for k in keys if entry.get(k))
    return found


def _stale_parts(ctx: Context, cutoff: datetime) -> Iterator[Garbage]:
    folder = ctx.archive.settings.data_dir / "uploads"
    if not folder.is_dir():
        return
    with ctx.archive.db.session() as s:
        done = set(
            s.scalars(select(StationUpload.sha256).where(StationUpload.state == "processed"))
        )
    for path in sorted(folder.glob("*.part")):
        sha = path.name.removesuffix(".part")
        try:
            check_sha256(sha)
            st = path.stat()
        except (ValueError, FileNotFoundError):
            continue
        modified = datetime.fromtimestamp(st.st_mtime, UTC)
        if modified < cutoff and sha not in done:
            yield Garbage("upload", sha, st.st_size, modified)


def _orphans(ctx: Context, cutoff: datetime) -> list[Garbage]:
    # Listed first, references read after: a row written meanwhile still counts.
    listed = [o for o in ctx.archive.store.iter_objects(Tier.operational) if o.modified < cutoff]
    with ctx.archive.db.session() as s:
        refs = referenced(s)
    return [Garbage("object", o.sha256, o.size, o.modified) for o in listed if o.sha256 not in refs]


def _delete(ctx: Context, candidates: Iterable[Garbage], cutoff: datetime) -> list[Garbage]:
    with ctx.archive.db.session() as s:
        refs = referenced(s)  # read again: an ingest may have recorded one since the listing
    deleted = []
    for g in candidates:
        if g.kind == "object":
            if g.sha256 in refs:
                continue
            ctx.archive.store.delete(g.sha256, Tier.operational)
        else:
            path = ctx.archive.settings.data_dir / "uploads" / f"{g.sha256}.part"
            with contextlib.suppress(FileNotFoundError):
                # A station that resumed since the listing keeps its bytes.
                if datetime.fromtimestamp(path.stat().st_mtime, UTC) >= cutoff:
                    continue
                path.unlink()
        deleted.append(g)
    return deleted


@use_case(Action.store_gc)
def collect_garbage(ctx: Context, *, apply: bool, older_than_hours: int) -> GcReport:
    """List (dry run) or delete abandoned upload parts and unreferenced operational objects."""
    require(ctx.events, ctx.principal, Capability.collect_garbage, Action.store_gc)
    if older_than_hours < 1:
        raise Invalid("Пільговий строк — щонайменше 1 година", code="bad_grace")
    cutoff = datetime.now(UTC) - timedelta(hours=older_than_hours)
    try:
        candidates = [*_stale_parts(ctx, cutoff), *_orphans(ctx, cutoff)]
        summary = {
            "apply": apply,
            "older_than_hours": older_than_hours,
            "objects": sum(g.kind == "object" for g in candidates),
            "uploads": sum(g.kind == "upload" for g in candidates),
            "bytes": sum(g.size for g in candidates),
        }
        # On record before anything is deleted, so a run that fails midway is too.
        ctx.events.publish(event(ctx.principal, Action.store_gc, details=summary))
        deleted = _delete(ctx, candidates, cutoff) if apply else []
    except StoreError as exc:
        raise Unavailable("Сховище об'єктів недоступне; спробуйте пізніше") from exc
    return GcReport(apply, older_than_hours, candidates, deleted)
