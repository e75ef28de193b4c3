"""Reads that go through the policy and the access log, shared by the API and the CLI.

Each function asks ``usecases.policy`` for the decision, publishes the access
event (allowed or denied) before anything is shown, and returns only what
the decision permits. Route bodies and commands call these and never decide
on their own.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from archive.audit import AccessEvent, Action, Events, Exposure, Outcome, open_audit_log
from archive.findings import (
    DocumentFinding,
    classify,
    documents_with,
    findings_for,
    identifier_key,
    identifier_ref,
)
from archive.models import Document
from backends import Archive
from search.base import SearchQuery
from usecases import disclosure
from usecases.errors import Denied, NotFound
from usecases.policy import (
    REQUIRED,
    Capability,
    Decision,
    DocScope,
    Level,
    Principal,
    allows,
    decide,
    may_upload_to,
    may_use_break_glass,
    scope_of,
    search_scope,
)
from usecases.subject import SubjectReport, subject_report

__all__ = ["Denied", "NotFound"]


def events_for(archive: Archive) -> Events:
    """The access-event publisher of an archive (the audit log subscribes first)."""
    return Events(open_audit_log(archive.db, archive.settings))


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

    @property
    def masked(self) -> bool:
        return self.decision.level < Level.FULL


def open_document(
    archive: Archive,
    events: Events,
    p: Principal,
    document_id: str,
    action: Action,
    *,
    reason: str | None = None,
    page: int | None = None,
    fallback: Action | None = None,
) -> Granted:
    """Load a document for ``action`` if the policy allows it, logging the access."""
    settings = archive.settings
    with archive.db.session() as s:
        doc = s.get(
            Document,
            document_id,
            options=[
                selectinload(Document.case),
                selectinload(Document.package),
                selectinload(Document.pages),
            ],
        )
        if doc is None:
            raise NotFound(document_id)
        findings = findings_for(s, document_id)
    scope = scope_of(doc, settings.centre)
    decision = decide(p, scope, reason, min_reason=settings.security.break_glass_min_reason)
    if not decision.allows(REQUIRED[action]):
        if fallback is not None and decision.allows(REQUIRED[fallback]):
            action = fallback
        else:
            events.publish(
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
    events.publish(
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
    return Granted(doc, scope, decision, action, findings)


def _denial_message(p: Principal, d: Decision, reason: str | None, min_reason: int) -> str:
    if d.level == Level.METADATA:
        base = "Вам доступні лише метадані цього документа"
    else:
        base = "Документ поза межами ваших повноважень"
    if may_use_break_glass(p):
        if reason:
            return f"{base}; причина доступу має містити щонайменше {min_reason} символів"
        return f"{base}; відкрити його можна лише із зазначенням причини (параметр reason)"
    return base


def page_findings(g: Granted, number: int) -> list[DocumentFinding]:
    return [f for f in g.findings if f.page == number]


# --- search -----------------------------------------------------------------------


def typed_exposures(archive: Archive, text: str) -> list[Exposure]:
    """Identifiers a person typed into a query (so the DPO finds who looked for whom)."""
    from pii import mask

    key = identifier_key(archive.settings)
    pieces = {text.strip(), *text.replace('"', " ").split()}
    out: list[Exposure] = []
    for piece in pieces:
        if len(piece) < 6 and " " not in piece:
            continue
        for ident in classify(piece):
            out.append(
                Exposure(
                    ident.kind,
                    mask(ident.value, ident.kind),
                    identifier_ref(key, ident.kind, ident.value),
                )
            )
    return out


def search(
    archive: Archive,
    events: Events,
    p: Principal,
    text: str,
    *,
    limit: int = 10,
    offset: int = 0,
    case: str | None = None,
    package: str | None = None,
    source: str | None = None,
    date_from: date | None = None,
    date_to: date | None = None,
) -> dict[str, Any]:
    """``search`` / ``GET /api/search``: only documents the principal may open."""
    require(events, p, Capability.search, Action.search)
    with archive.db.session() as s:
        scope = search_scope(p, s)
    hits: list[dict[str, Any]] = []
    total = 0
    shown: list[Exposure] = []
    if not scope.nothing and scope.document_ids != []:
        result = archive.index.search(
            SearchQuery(
                text=text,
                case=case,
                package=package,
                source=source,
                date_from=date_from,
                date_to=date_to,
                limit=limit,
                offset=offset,
                centres=scope.centres,
                departments=scope.departments,
                document_ids=scope.document_ids,
            )
        )
        ids = [h.document_id for h in result.hits]
        with archive.db.session() as s:
            docs = {
                d.id: d
                for d in s.scalars(
                    select(Document)
                    .where(Document.id.in_(ids))
                    .options(selectinload(Document.case))
                )
            }
            found = {i: findings_for(s, i) for i in ids}
        dropped = 0
        for h in result.hits:
            doc = docs.get(h.document_id)
            decision = decide(p, scope_of(doc, archive.settings.centre)) if doc else None
            # Re-checked hit by hit: the index may lag behind a re-routed case.
            if decision is None or not decision.allows(Level.MASKED):
                dropped += 1
                continue
            snippet = h.snippet
            if decision.level < Level.FULL:
                snippet = disclosure.mask_snippet(
                    snippet, [f.value for f in found.get(h.document_id, [])]
                )
            else:
                shown.extend(disclosure.snippet_exposures(snippet, found.get(h.document_id, [])))
            hits.append(
                {
                    "document_id": h.document_id,
                    "case": h.case,
                    "score": h.score,
                    "snippet": snippet,
                    "page": h.page,
                }
            )
        total = max(result.total - dropped, len(hits))
    events.publish(
        event(
            p,
            Action.search,
            documents=[h["document_id"] for h in hits],
            identifiers=[*shown, *typed_exposures(archive, text)],
            details={
                "query": text,
                "filters": {
                    k: v
                    for k, v in {
                        "case": case,
                        "package": package,
                        "source": source,
                        "from": date_from.isoformat() if date_from else None,
                        "to": date_to.isoformat() if date_to else None,
                    }.items()
                    if v is not None
                },
                "total": total,
                "limit": limit,
                "offset": offset,
            },
        )
    )
    return {"total": total, "hits": hits}


def lookup_identifier(archive: Archive, events: Events, p: Principal, value: str) -> dict[str, Any]:
    """Documents holding an identifier, among those the principal may read in full."""
    require(events, p, Capability.lookup_identifier, Action.identifier_lookup)
    from pii import mask

    key = identifier_key(archive.settings)
    idents = classify(value)
    refs = [identifier_ref(key, i.kind, i.value) for i in idents]
    out: list[dict[str, Any]] = []
    shown: list[Exposure] = []
    with archive.db.session() as s:
        ids = documents_with(s, refs)
        docs = list(
            s.scalars(
                select(Document).where(Document.id.in_(ids)).options(selectinload(Document.case))
            )
        )
        for doc in docs:
            if decide(p, scope_of(doc, archive.settings.centre)).level < Level.FULL:
                continue
            rows = [f for f in findings_for(s, doc.id) if f.ref in refs]
            shown.extend(disclosure.exposures(rows))
            out.append(
                {
                    "document_id": doc.id,
                    "case": doc.case.number if doc.case else None,
                    "pages": sorted({f.page for f in rows if f.page is not None}),
                    "kinds": sorted({f.kind for f in rows}),
                }
            )
    typed = [Exposure(i.kind, mask(i.value, i.kind), r) for i, r in zip(idents, refs, strict=True)]
    events.publish(
        event(
            p,
            Action.identifier_lookup,
            documents=[d["document_id"] for d in out],
            identifiers=[*typed, *shown],
            details={"query": value, "total": len(out)},
        )
    )
    return {"total": len(out), "documents": out}


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
