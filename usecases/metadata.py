"""Use cases of metadata extraction: show a document's type and fields, correct the type, retrain.

Access goes through the policy like every read of a document: the type and
the document's dates need ``METADATA`` level (the type is what an inventory
lists); the personal fields (number, series, applicant) are masked below
``FULL`` and, when shown in full, named in the access-log entry like any
identifier. Correcting the type needs ``MASKED`` level (the person must be
able to read the document to judge it). Retraining needs the upload
capability (the centre's administrators, and the local console).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.orm import selectinload

from archive.audit import Action, Exposure, Outcome
from archive.models import Document, IndexOutbox
from ingest.metadata import (
    VOCABULARY,
    DocType,
    Trained,
    correct_type,
    label,
    metadata_of,
    parse_type,
    reclassify,
    retrain,
)
from usecases import access
from usecases.context import Context
from usecases.errors import Denied, Invalid, NotFound
from usecases.policy import (
    Capability,
    Decision,
    DocScope,
    Level,
    base_level,
    decide,
    scope_of,
)
from usecases.registry import use_case

# Below this confidence the type is shown as needing a person's look.
REVIEW_BELOW = 0.6


@dataclass(frozen=True, slots=True)
class FieldView:
    name: str
    value: str
    page: int | None
    start: int | None
    end: int | None
    personal: bool

    def as_json(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "value": self.value,
            "page": self.page,
            "start": self.start,
            "end": self.end,
            "personal": self.personal,
        }


@dataclass(frozen=True, slots=True)
class MetadataView:
    """A document's type and fields as the caller may see them."""

    document_id: str
    type: str | None
    type_label: str | None
    confidence: float | None
    source: str | None
    second_type: str | None
    needs_review: bool
    masked: bool
    fields: list[FieldView] = field(default_factory=list)

    def as_json(self) -> dict[str, Any]:
        return {
            "document_id": self.document_id,
            "type": self.type,
            "type_label": self.type_label,
            "confidence": self.confidence,
            "source": self.source,
            "second_type": self.second_type,
            "needs_review": self.needs_review,
            "masked": self.masked,
            "fields": [f.as_json() for f in self.fields],
        }


@dataclass(frozen=True, slots=True)
class TypeEntry:
    code: str
    label: str
    group: str

    def as_json(self) -> dict[str, str]:
        return {"code": self.code, "label": self.label, "group": self.group}


@dataclass(frozen=True, slots=True)
class RetrainResult:
    trained: Trained
    reclassified: int

    def as_json(self) -> dict[str, Any]:
        return {**self.trained.as_json(), "reclassified": self.reclassified}


def _open(
    ctx: Context, document_id: str, action: Action, need: Level, reason: str | None
) -> tuple[DocScope, Decision]:
    """The policy's decision on one document for ``action`` (a denial is logged)."""
    settings = ctx.archive.settings
    if not _reads_documents(ctx):
        # A role that reads no document at all is refused before any look-up,
        # so the answer is the same whether the document exists or not.
        ctx.events.publish(
            access.event(
                ctx.principal,
                action,
                Outcome.denied,
                document_id=document_id,
                details={"why": "no_document_role"},
            )
        )
        raise Denied("Ця дія недоступна для вашої ролі")
    with ctx.archive.db.session() as s:
        doc = s.get(Document, document_id, options=[selectinload(Document.case)])
        if doc is None:
            raise NotFound(access.DOCUMENT_NOT_FOUND)
        scope = scope_of(doc, settings.centre)
    decision = decide(
        ctx.principal, scope, reason, min_reason=settings.security.break_glass_min_reason
    )
    if decision.level == Level.NONE:
        # Outside the caller's scope looks exactly like missing.
        ctx.events.publish(
            access.event(
                ctx.principal,
                action,
                Outcome.denied,
                document_id=document_id,
                case=scope.case,
                details={"why": decision.why},
            )
        )
        raise NotFound(access.DOCUMENT_NOT_FOUND)
    if not decision.allows(need):
        ctx.events.publish(
            access.event(
                ctx.principal,
                action,
                Outcome.denied,
                document_id=document_id,
                case=scope.case,
                purpose=reason,
                details={"why": decision.why},
            )
        )
        raise Denied("Ця дія з документом поза межами ваших повноважень", decision)
    return scope, decision


def _reads_documents(ctx: Context) -> bool:
    """Whether the principal's role reads any document (its best case in its own scope)."""
    p = ctx.principal
    best = DocScope(
        document_id="",
        case=None,
        centre=p.centre or ctx.archive.settings.centre,
        workplace=p.workplace,
        department=p.department,
        archival=True,
    )
    return base_level(p, best).level > Level.NONE


def _view(ctx: Context, document_id: str, full: bool) -> tuple[MetadataView, list[Exposure]]:
    with ctx.archive.db.session() as s:
        row, rows = metadata_of(s, document_id)
    shown: list[Exposure] = []
    fields: list[FieldView] = []
    for r in rows:
        value = r.value
        if r.personal:
            if full and r.kind and r.ref:
                shown.append(Exposure(r.kind, r.masked or "", r.ref))
            else:
                value = r.masked or "•" * len(r.value)
        fields.append(FieldView(r.name, value, r.page, r.char_start, r.char_end, r.personal))
    view = MetadataView(
        document_id=document_id,
        type=row.type if row else None,
        type_label=label(row.type) if row else None,
        confidence=row.confidence if row else None,
        source=row.source if row else None,
        second_type=row.second_type if row else None,
        needs_review=bool(row and row.source == "model" and row.confidence < REVIEW_BELOW),
        masked=not full,
        fields=fields,
    )
    return view, _unique(shown)


def _unique(items: list[Exposure]) -> list[Exposure]:
    seen: set[tuple[str, str]] = set()
    out = []
    for e in items:
        if (e.kind, e.ref) not in seen:
            seen.add((e.kind, e.ref))
            out.append(e)
    return out


@use_case(Action.document_fields)
def show_metadata(ctx: Context, *, document_id: str, reason: str | None = None) -> MetadataView:
    """A document's type and fields; personal fields masked below full access."""
    scope, decision = _open(ctx, document_id, Action.document_fields, Level.METADATA, reason)
    full = decision.level >= Level.FULL
    view, shown = _view(ctx, document_id, full)
    ctx.events.publish(
        access.event(
            ctx.principal,
            Action.document_fields,
            document_id=document_id,
            case=scope.case,
            identifiers=shown,
            purpose=reason,
            break_glass=decision.break_glass,
            details={"level": decision.level.name.lower(), "why": decision.why},
        )
    )
    return view


@use_case(Action.document_type_correct)
def correct_document_type(
    ctx: Context, *, document_id: str, type: str, reason: str | None = None
) -> MetadataView:
    """Set a document's type by hand; the correction is kept as training data."""
    kind = parse_type(type)
    if kind is None:
        raise Invalid(
            "Невідомий тип документа; перелік типів: cnap-archive metadata types",
            code="unknown_type",
        )
    scope, decision = _open(ctx, document_id, Action.document_type_correct, Level.MASKED, reason)
    with ctx.archive.db.session() as s:
        current, _ = metadata_of(s, document_id)
        old = current.type if current else None
        correct_type(s, ctx.archive, document_id, kind, ctx.actor)
        # The index carries the type once it has the field (docs/metadata.md).
        s.add(IndexOutbox(document_id=document_id, op="upsert"))
    ctx.events.publish(
        access.event(
            ctx.principal,
            Action.document_type_correct,
            document_id=document_id,
            case=scope.case,
            purpose=reason,
            break_glass=decision.break_glass,
            details={"from": old, "to": kind.value},
        )
    )
    view, _ = _view(ctx, document_id, decision.level >= Level.FULL)
    return view


@use_case(Action.metadata_retrain)
def retrain_classifier(ctx: Context, *, reclassify_documents: bool = False) -> RetrainResult:
    """Train the type classifier again on the seed corpus and the centre's corrections."""
    access.require(ctx.events, ctx.principal, Capability.upload, Action.metadata_retrain)
    trained = retrain(ctx.archive, ctx.actor)
    count = reclassify(ctx.archive) if reclassify_documents else 0
    ctx.events.publish(
        access.event(
            ctx.principal,
            Action.metadata_retrain,
            details={
                "model": trained.sha256,
                "samples": trained.samples,
                "corrections": trained.corrections,
                "reclassified": count,
            },
        )
    )
    return RetrainResult(trained, count)


@use_case(None, why_unaudited="the vocabulary of document types is public and changes nothing")
def list_document_types(ctx: Context) -> list[TypeEntry]:
    """The document-type vocabulary."""
    return [TypeEntry(t.code.value, t.label, t.group) for t in VOCABULARY.values()]


__all__ = [
    "DocType",
    "FieldView",
    "MetadataView",
    "RetrainResult",
    "TypeEntry",
    "correct_document_type",
    "list_document_types",
    "retrain_classifier",
    "show_metadata",
]
