"""The helpers every use case decides and logs with.

Each function asks ``usecases.policy`` for the decision, publishes the access
event (allowed or denied) before anything is shown, and returns only what
the decision permits. The use cases call these; adapters never do.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from sqlalchemy.orm import selectinload

from archive.audit import AccessEvent, Action, Events, Exposure, Outcome
from archive.findings import (
    DocumentFinding,
    classify,
    documents_with,
    findings_for,
    identifier_key,
    identifier_ref,
    may_be_identifier,
)
from archive.models import Document
from backends import Archive
from usecases import disclosure
from usecases.context import Context, events_for
from usecases.errors import Denied, NotFound
from usecases.policy import (
    REQUIRED,
    Capability,
    Decision,
    DocScope,
    Level,
    Principal,
    allows,
    decide_document,
    may_upload_to,
    may_use_break_glass,
)
from usecases.subject import SubjectReport, subject_report

__all__ = ["Denied", "NotFound", "events_for"]

DOCUMENT_NOT_FOUND = "Документ не знайдено"


def event(
    p: Principal, action: Action, outcome: Outcome = Outcome.allowed, **kw: Any
) -> AccessEvent:
    return AccessEvent(
        actor=p.login, role=p.role.value, address=p.address, action=action, outcome=outcome, **kw
    )


def require(events: Events, p: Principal, cap: Capability, action: Action) -> None:
    """Raise Denied (and log it) unless the principal has the capability."""
    if not allows(p, cap):
        events.publish(event(p, action, Outcome.denied, details={"capability": cap.value}))
        raise Denied("Ця дія недоступна для вашої ролі")


def require_upload(archive: Archive, events: Events, p: Principal) -> None:
    """Uploads create cases in the archive's own centre: only its administrators upload."""
    require(events, p, Capability.upload, Action.upload)
    if not may_upload_to(p, archive.settings.centre):
        events.publish(event(p, Action.upload, Outcome.denied, details={"why": "other_centre"}))
        raise Denied("Завантажувати можна лише до архіву свого ЦНАП")


@dataclass(slots=True)
class Granted:
    """A document opened at a level; ``findings`` are its stored identifiers."""

    doc: Document
    scope: DocScope
    decision: Decision
    action: Action
    findings: list[DocumentFinding] = field(default_factory=list)
    # Names known to belong with the document (its case's applicant, every name
    # found in it), masked word by word on every page below full access.
    names: list[disclosure.KnownName] = field(default_factory=list)

    @property
    def masked(self) -> bool:
        return self.decision.level < Level.FULL

    @property
    def masking(self) -> list[disclosure.Finding]:
        """Everything masking works from: the stored findings and the known names."""
        return [*self.findings, *self.names]


def known_names(doc: Document, findings: Sequence[DocumentFinding]) -> list[disclosure.KnownName]:
    """The case record's applicant and every name found in the document."""
    out = disclosure.case_names(doc.case.applicant_ref if doc.case else None)
    out.extend(disclosure.KnownName(f.value, source=f.source) for f in findings if f.kind == "name")
    return out


def _load(ctx: Context, document_id: str) -> tuple[Document, list[DocumentFinding]]:
    with ctx.archive.db.session() as s:
        doc = s.get(
            Document,
            document_id,
            options=[
                selectinload(Document.case),
                selectinload(Document.cases),
                selectinload(Document.package),
                selectinload(Document.pages),
            ],
        )
        if doc is None:
            # The id is not repeated: a person may have typed an identifier there.
            raise NotFound(DOCUMENT_NOT_FOUND)
        return doc, findings_for(s, document_id)


def peek(ctx: Context, document_id: str, reason: str | None = None) -> Decision:
    """The level the caller would get on a document, deciding only (nothing is logged).

    For a use case that picks which read to perform; the read it picks logs.
    """
    doc, _ = _load(ctx, document_id)
    settings = ctx.archive.settings
    return decide_document(
        ctx.principal,
        doc,
        settings.centre,
        reason,
        min_reason=settings.security.break_glass_min_reason,
    )[1]


def open_document(
    ctx: Context,
    document_id: str,
    action: Action,
    *,
    reason: str | None = None,
    page: int | None = None,
) -> Granted:
    """Load a document for ``action`` if the policy allows it, logging the access.

    A missing document raises :class:`NotFound`; one the caller may not open at
    the level ``action`` needs is logged as denied and raises :class:`Denied`.
    """
    settings = ctx.archive.settings
    p = ctx.principal
    doc, findings = _load(ctx, document_id)
    # Held by several cases: decided (and logged) through the one that grants the most.
    scope, decision = decide_document(
        p, doc, settings.centre, reason, min_reason=settings.security.break_glass_min_reason
    )
    if not decision.allows(REQUIRED[action]):
        ctx.events.publish(
            event(
                p,
                action,
                Outcome.denied,
                document_id=doc.id,
                case=scope.case,
                purpose=reason,
                details={"why": decision.why, "page": page} if page else {"why": decision.why},
            )
        )
        raise Denied(
            _denial_message(p, decision, reason, settings.security.break_glass_min_reason),
            decision,
        )
    shown: list[Exposure] = []
    if decision.level == Level.FULL and action != Action.document_metadata:
        exposed = [
            f
            for f in findings
            if page is None
            or f.page == page
            or (f.page is None and action in (Action.download, Action.export))
        ]
        if action in (Action.document_text, Action.page_image):
            exposed = [f for f in exposed if f.page is not None]
        shown = disclosure.exposures(exposed)
    details: dict[str, Any] = {"level": decision.level.name.lower(), "why": decision.why}
    if page is not None:
        details["page"] = page
    ctx.events.publish(
        event(
            p,
            action,
            document_id=doc.id,
            case=scope.case,
            identifiers=shown,
            purpose=reason,
            break_glass=decision.break_glass,
            details=details,
        )
    )
    return Granted(doc, scope, decision, action, findings, known_names(doc, findings))


def _denial_message(p: Principal, d: Decision, reason: str | None, min_reason: int) -> str:
    if d.level == Level.METADATA:
        base = "Вам доступні лише метадані цього документа"
    else:
        base = "Документ поза межами ваших повноважень"
    if may_use_break_glass(p):
        if reason:
            return f"{base}; причина доступу має містити щонайменше {min_reason} літер"
        return f"{base}; відкрити його можна лише із зазначенням причини (параметр reason)"
    return base


def page_findings(g: Granted, number: int) -> list[disclosure.Finding]:
    """What masks one page: its stored findings and the document's known names."""
    return [*(f for f in g.findings if f.page == number), *g.names]


# --- identifiers a person typed -----------------------------------------------------


def typed_exposures(archive: Archive, text: str) -> list[Exposure]:
    """Identifiers a person typed into a query (so the DPO finds who looked for whom)."""
    from pii import mask

    pieces = {text.strip(), *text.replace('"', " ").split()}
    # Most searches are words that cannot be an identifier: no key read for them.
    candidates = [p for p in pieces if (len(p) >= 6 or " " in p) and may_be_identifier(p)]
    if not candidates:
        return []
    key = identifier_key(archive.settings)
    out: list[Exposure] = []
    for piece in candidates:
        for ident in classify(piece):
            out.append(
                Exposure(
                    ident.kind,
                    mask(ident.value, ident.kind),
                    identifier_ref(key, ident.kind, ident.value),
                )
            )
    return out


def document_ids_for_subject(archive: Archive, refs: Sequence[str]) -> list[str]:
    with archive.db.session() as s:
        return documents_with(s, refs)


def subject_access_report(
    archive: Archive,
    events: Events,
    p: Principal,
    query: str,
    *,
    since: date | None,
    until: date | None,
    fmt: str,
) -> SubjectReport:
    """The DPO's answer to a data subject, built and logged alike for CLI and API.

    A PDF report, meant to be handed out, also states whether the log verified.
    """
    report = subject_report(archive, events.log, query, since=since, until=until)
    if fmt == "pdf":
        report.integrity = events.log.verify(archive.store)
    events.publish(
        event(
            p,
            Action.audit_subject,
            documents=[d["document_id"] for d in report.documents],
            identifiers=typed_exposures(archive, query),
            details={"format": fmt, "entries": len(report.entries)},
        )
    )
    return report
