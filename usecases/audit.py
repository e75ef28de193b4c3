"""The access log, for the data-protection officer and the sysadmin.

Verify, read, review, answer a data subject, seal and purge. Each call is
itself logged once (the DPO's reads are accesses too); the report builders
and renderers are in :mod:`usecases.subject`.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date
from enum import StrEnum
from typing import Any

from archive.audit import Action, AuditEntry, ChainBroken, Outcome, VerifyReport
from backends import Archive
from usecases import access
from usecases.context import Context
from usecases.errors import Conflict, Invalid
from usecases.policy import Capability, Principal
from usecases.registry import use_case
from usecases.subject import (
    SubjectReport,
    day_end,
    day_start,
    entries_csv,
    entries_json,
    report_json,
    report_pdf,
    subject_report,
)

DEFAULT_LIMIT = 1000


def _require(ctx: Context, cap: Capability, action: Action) -> None:
    access.require(ctx.events, ctx.principal, cap, action)


# --- integrity ---------------------------------------------------------------------


BAD_WITNESS = "Свідок: очікується НОМЕР:ХЕШ (номер запису і його хеш з попереднього звіту)"


def parse_witness(raw: str | None) -> tuple[int, str] | None:
    """``SEQ:HASH`` (the head the DPO kept from an earlier report), or Invalid."""
    if raw is None or not raw.strip():
        return None
    seq, sep, digest = raw.strip().partition(":")
    digest = digest.strip().lower()
    if (
        not sep
        or not seq.strip().isdigit()
        or not 16 <= len(digest) <= 128
        or any(c not in "0123456789abcdef" for c in digest)
    ):
        raise Invalid(BAD_WITNESS, code="bad_witness")
    return int(seq), digest


@use_case(Action.audit_verify)
def verify_log(ctx: Context, *, witness: str | None = None) -> VerifyReport:
    """Check the hash chain and the seals; name the first broken entry.

    ``witness`` (``SEQ:HASH``) is a head kept outside the archive (the DPO's
    periodic report): the log must still hold that entry with that hash, so
    a log cut short or rewritten behind every seal is still caught.
    Logged after checking (so the check itself cannot be what breaks the
    chain), whether the log is whole or not.
    """
    _require(ctx, Capability.verify_audit, Action.audit_verify)
    seen = parse_witness(witness)
    report = ctx.events.log.verify(ctx.archive.store, witness=seen)
    ctx.events.publish(access.event(ctx.principal, Action.audit_verify, details=report.as_json()))
    return report


@dataclass(frozen=True, slots=True)
class Sealed:
    """The seal just written (``seq`` 0 when the log is empty)."""

    seq: int
    head_hash: str | None

    def as_json(self) -> dict[str, Any]:
        return {"seq": self.seq, "head_hash": self.head_hash}


@use_case(Action.audit_seal)
def seal_log(ctx: Context) -> Sealed:
    """Seal the head of the log in the archival tier (the seal covers its own entry)."""
    _require(ctx, Capability.verify_audit, Action.audit_seal)
    ctx.events.publish(access.event(ctx.principal, Action.audit_seal))
    made = ctx.events.log.seal(ctx.archive.store)
    return Sealed(made.seq, made.head_hash) if made else Sealed(0, None)


@use_case(Action.audit_purge)
def purge_log(ctx: Context) -> int:
    """Delete entries past their retention, after sealing the boundary; how many went.

    A chain that does not verify is never purged (:class:`Conflict`).
    """
    _require(ctx, Capability.verify_audit, Action.audit_purge)
    try:
        removed = ctx.events.log.purge(ctx.archive.store)
    except ChainBroken as exc:
        raise Conflict(
            f"Журнал пошкоджено, очищення скасовано: {exc}", code="audit_chain_broken"
        ) from exc
    ctx.events.publish(
        access.event(ctx.principal, Action.audit_purge, details={"removed": removed})
    )
    return removed


# --- reading -----------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Entries:
    """Log entries matching a query, oldest first."""

    entries: list[AuditEntry]

    def as_json(self) -> dict[str, Any]:
        return {"count": len(self.entries), "entries": self.entries_json()}

    def entries_json(self) -> list[dict[str, Any]]:
        return entries_json(self.entries)

    def as_csv(self) -> str:
        return entries_csv(self.entries)


@use_case(Action.audit_read)
def read_entries(
    ctx: Context,
    *,
    user: str | None = None,
    document: str | None = None,
    since: date | None = None,
    until: date | None = None,
    action: str | None = None,
    outcome: Outcome | None = None,
    limit: int = DEFAULT_LIMIT,
    offset: int = 0,
) -> Entries:
    """Entries by user, document, action, outcome and period (days, both inclusive)."""
    _require(ctx, Capability.read_audit, Action.audit_read)
    rows = ctx.events.log.entries(
        actor=user,
        document_id=document,
        since=day_start(since),
        until=day_end(until),
        actions=[action] if action else None,
        outcome=outcome.value if outcome else None,
        limit=limit,
        offset=offset,
    )
    filters = {
        "user": user,
        "document": document,
        "action": action,
        "from": since.isoformat() if since else None,
        "to": until.isoformat() if until else None,
    }
    ctx.events.publish(
        access.event(
            ctx.principal,
            Action.audit_read,
            details={"filters": {k: v for k, v in filters.items() if v}, "entries": len(rows)},
        )
    )
    return Entries(rows)


@dataclass(frozen=True, slots=True)
class Review:
    """What the DPO reviews: break-glass accesses and denials."""

    break_glass: list[AuditEntry]
    denials: list[AuditEntry]
    # The head of the log when the review was made: the DPO keeps it outside
    # the archive and gives it back as ``audit verify --witness SEQ:HASH``.
    head_seq: int = 0
    head_hash: str | None = None
    log_ok: bool = True

    def as_json(self) -> dict[str, Any]:
        return {
            "break_glass": entries_json(self.break_glass),
            "denials": entries_json(self.denials),
            "head_seq": self.head_seq,
            "head_hash": self.head_hash,
            "log_ok": self.log_ok,
        }


@use_case(Action.audit_review)
def review(
    ctx: Context,
    *,
    since: date | None = None,
    until: date | None = None,
    limit: int = DEFAULT_LIMIT,
) -> Review:
    """Break-glass accesses and denials of a period, for the DPO's review."""
    _require(ctx, Capability.read_audit, Action.audit_review)
    start, end = day_start(since), day_end(until)
    glass = ctx.events.log.entries(break_glass=True, since=start, until=end, limit=limit)
    denied = ctx.events.log.entries(
        outcome=Outcome.denied.value, since=start, until=end, limit=limit
    )
    ctx.events.publish(
        access.event(
            ctx.principal,
            Action.audit_review,
            details={"break_glass": len(glass), "denials": len(denied)},
        )
    )
    # Verified after the entry above, so the head given out covers this review too.
    check = ctx.events.log.verify(ctx.archive.store)
    return Review(glass, denied, check.head_seq, check.head_hash, check.ok)


# --- the answer to a data subject --------------------------------------------------


class ReportFormat(StrEnum):
    json = "json"
    csv = "csv"
    pdf = "pdf"


@dataclass(frozen=True, slots=True)
class SubjectAnswer:
    """A subject-access report rendered in the format asked for."""

    report: SubjectReport
    format: ReportFormat
    body: bytes
    media_type: str
    filename: str | None = None


def _render(report: SubjectReport, fmt: ReportFormat, centre: str) -> SubjectAnswer:
    if fmt == ReportFormat.pdf:
        pdf = report_pdf(report, centre)
        return SubjectAnswer(report, fmt, pdf, "application/pdf", "subject-access.pdf")
    if fmt == ReportFormat.csv:
        text = entries_csv(report.entries)
        return SubjectAnswer(report, fmt, text.encode(), "text/csv; charset=utf-8")
    body = json.dumps(report_json(report), ensure_ascii=False).encode()
    return SubjectAnswer(report, fmt, body, "application/json")


def dpo_centres(archive: Archive, p: Principal) -> list[str] | None:
    """The centres a DPO answers for (``security.dpo_scope``); None: every centre.

    "centre": one DPO per centre, their own centre only; "region": one DPO
    for all. The local console, and a DPO with no centre, cover every centre.
    """
    if archive.settings.security.dpo_scope == "region" or p.local or p.centre is None:
        return None
    return [p.centre]


@use_case(Action.audit_subject)
def subject_access(
    ctx: Context,
    *,
    query: str,
    since: date | None = None,
    until: date | None = None,
    fmt: ReportFormat = ReportFormat.json,
) -> SubjectAnswer:
    """Who accessed the person's data, when and why (the answer to a subject request).

    The person is named by an identifier or by name. A PDF, meant to be
    handed out, also states whether the log verified.
    """
    _require(ctx, Capability.read_audit, Action.audit_subject)
    centres = dpo_centres(ctx.archive, ctx.principal)
    report = subject_report(
        ctx.archive, ctx.events.log, query, since=since, until=until, centres=centres
    )
    if fmt == ReportFormat.pdf:
        report.integrity = ctx.events.log.verify(ctx.archive.store)
    ctx.events.publish(
        access.event(
            ctx.principal,
            Action.audit_subject,
            documents=[d["document_id"] for d in report.documents],
            identifiers=access.typed_exposures(ctx.archive, query),
            details={"format": fmt.value, "entries": len(report.entries)},
        )
    )
    return _render(report, fmt, ctx.archive.settings.centre)
