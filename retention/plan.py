"""What is due: every case walked once, in batches, against the rules in force.

``due(...)`` streams :class:`Due` lines (bounded memory: one batch of cases
at a time), so a plan over a million cases needs no more memory than one over
a thousand. ``draft(...)`` writes the due lines of an archivist's plan.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import func, insert, select
from sqlalchemy.orm import Session

from archive.cases import CaseRegistration
from archive.metadata_models import DocumentMetadata
from archive.models import Case, CaseEvent, Document, Package, PackageKind
from archive.retention_models import Plan, PlanItem, Tombstone
from archive.retention_models import RuleSet as RuleSetRow
from retention.clock import add, after_closing, local_date, may_destroy
from retention.rules import Rule, RulesError, RuleSet, example, parse

BATCH = 2000
OPEN_STATES = ("drafted", "approved", "agreed", "applying")
# What an archivist's plan carries; ``notify`` goes to the administrators' to-do list.
PLANNED = ("transfer", "review", "dispose", "export")


@dataclass(slots=True)
class Facts:
    """What the rules look at in one case (no personal data)."""

    id: int
    number: str
    centre: str
    service: str | None
    status: str
    closed: dt.date | None
    ready: dt.date | None
    collected: bool
    contact: bool
    held: bool
    posted: bool = False
    destroyed: bool = False
    # Document types (metadata vocabulary codes) in the case, and in its output package.
    types: set[str] = field(default_factory=set)
    output_types: set[str] = field(default_factory=set)
    # Rules already applied to the case, and rules in a plan not yet applied.
    done: set[str] = field(default_factory=set)
    planned: dict[str, int] = field(default_factory=dict)


@dataclass(slots=True)
class Due:
    """One case due under one rule: why, since when, and whether a hold blocks it."""

    case_id: int
    case: str
    centre: str
    rule: str
    action: str
    nomenclature: str | None
    article: str | None
    period: str
    clock: str
    clock_start: dt.date
    due: dt.date
    retain_until: dt.date | None
    blocked: str | None = None
    in_plan: int | None = None
    package: str | None = None

    def as_json(self) -> dict[str, Any]:
        return {
            "case": self.case,
            "centre": self.centre,
            "rule": self.rule,
            "action": self.action,
            "nomenclature": self.nomenclature,
            "article": self.article,
            "period": self.period,
            "clock": self.clock,
            "clock_start": self.clock_start.isoformat(),
            "due": self.due.isoformat(),
            "retain_until": self.retain_until.isoformat() if self.retain_until else None,
            "blocked": self.blocked,
            "in_plan": self.in_plan,
        }


# --- the rules in force -------------------------------------------------------------


def in_force(s: Session, on: dt.date) -> RuleSet:
    """The newest loaded rule set of the latest year not after ``on``; else the shipped example."""
    row = s.scalar(
        select(RuleSetRow)
        .where(RuleSetRow.year <= on.year)
        .order_by(RuleSetRow.year.desc(), RuleSetRow.id.desc())
        .limit(1)
    )
    if row is None:
        return example()
    try:
        return parse(row.text, row.name)
    except RulesError:  # pragma: no cover - only valid files are ever stored
        return example()


def store_rules(s: Session, text: str, name: str, actor: str) -> RuleSet:
    """Validate and record a new rule set (raises RulesError; nothing changes then)."""
    rules = parse(text, name)
    s.add(RuleSetRow(year=rules.year, sha256=rules.sha256, name=name, text=text, loaded_by=actor))
    s.flush()
    return rules


# --- facts ----------------------------------------------------------------------------


def _facts(s: Session, cases: list[Any], timezone: str) -> list[Facts]:
    ids = [c.id for c in cases]
    out: dict[int, Facts] = {}
    for c in cases:
        out[c.id] = Facts(
            id=c.id,
            number=c.number,
            centre=c.centre,
            service=c.service,
            status=str(c.status),
            closed=local_date(c.closed_at, timezone) if c.closed_at else None,
            ready=local_date(c.received_at, timezone) if c.received_at else None,
            collected=bool(c.collected_at) or str(c.status) == "issued",
            contact=bool((c.contact or "").strip()),
            held=bool(c.legal_hold),
        )
    for case_id, details, at in s.execute(
        select(CaseEvent.case_id, CaseEvent.details, CaseEvent.at).where(
            CaseEvent.case_id.in_(ids), CaseEvent.kind == "case.notified"
        )
    ):
        f = out[case_id]
        if (details or {}).get("method") == "post" and (
            f.ready is None or local_date(at, timezone) >= f.ready
        ):
            f.posted = True
    for case_id, rule, state, number in s.execute(
        select(PlanItem.case_id, PlanItem.rule, PlanItem.state, Plan.number)
        .join(Plan, Plan.id == PlanItem.plan_id)
        .where(PlanItem.case_id.in_(ids))
    ):
        if state == "done":
            out[case_id].done.add(rule)
        elif state == "pending":
            out[case_id].planned[rule] = number
    for (case_id,) in s.execute(select(Tombstone.case_id).where(Tombstone.case_id.in_(ids))):
        out[case_id].destroyed = True
    for case_id, kind, pkg_kind in s.execute(
        select(Document.case_id, DocumentMetadata.type, Package.kind)
        .join(DocumentMetadata, DocumentMetadata.document_id == Document.id)
        .outerjoin(Package, Package.id == Document.package_id)
        .where(Document.case_id.in_(ids))
    ):
        if case_id is None:
            continue
        f = out[case_id]
        f.types.add(kind)
        if pkg_kind == PackageKind.output:
            f.output_types.add(kind)
    return [out[i] for i in ids]


def _cases(s: Session, after: int, limit: int) -> list[Any]:
    out_pkg = (
        select(Package.case_id, Package.received_at, Package.collected_at)
        .where(Package.kind == PackageKind.output)
        .subquery()
    )
    q = (
        select(
            Case.id,
            Case.number,
            Case.centre,
            Case.service,
            Case.status,
            Case.closed_at,
            Case.legal_hold,
            out_pkg.c.received_at,
            out_pkg.c.collected_at,
            CaseRegistration.contact,
        )
        .outerjoin(out_pkg, out_pkg.c.case_id == Case.id)
        .outerjoin(CaseRegistration, CaseRegistration.case_id == Case.id)
        .where(Case.id > after)
        .order_by(Case.id)
        .limit(limit)
    )
    return list(s.execute(q))


def iter_facts(s: Session, timezone: str, *, batch: int = BATCH) -> Iterator[Facts]:
    """Every case's facts, a batch at a time (the session is cleared between batches)."""
    last = 0
    while True:
        rows = _cases(s, last, batch)
        if not rows:
            return
        yield from _facts(s, rows, timezone)
        last = rows[-1].id
        s.expunge_all()


# --- what is due ------------------------------------------------------------------------


def _selected(rule: Rule, f: Facts) -> bool:
    sel = rule.select
    if not sel.service_matches(f.service):
        return False
    if sel.package == "output" and f.ready is None:
        return False
    if sel.collected is not None and f.collected != sel.collected:
        return False
    if sel.contact is not None and f.contact != sel.contact:
        return False
    if sel.document_types is not None:
        held = f.output_types if sel.package == "output" else f.types
        if held.isdisjoint(sel.document_types):
            return False
    return sel.statuses is None or f.status in sel.statuses


def due_for(rules: RuleSet, f: Facts, as_of: dt.date) -> Iterator[Due]:
    """The rules due for one case on ``as_of`` (a held case's lines say so)."""
    if f.destroyed:
        return
    first_closed = True
    for rule in rules.rules:
        if not _selected(rule, f):
            continue
        if rule.clock == "closed":
            # The first closing rule that selects a case decides its retention.
            if not first_closed or f.closed is None:
                first_closed = False
                continue
            first_closed = False
            start = after_closing(f.closed)
        else:
            if f.ready is None:
                continue
            start = f.ready
        if rule.id in f.done:
            continue
        if rule.action == "notify" and (f.posted or f.status == "archived"):
            continue
        if rule.action == "transfer" and f.status == "archived":
            continue
        due = add(start, rule.period)
        ok = may_destroy(due, as_of) if rule.action == "dispose" else due <= as_of
        if not ok:
            continue
        retain = None
        if rule.action == "transfer":
            keep = rule.retain or (rule.entry.period if rule.entry else None)
            if keep is not None and keep.finite:
                retain = add(after_closing(as_of), keep)
        yield Due(
            case_id=f.id,
            case=f.number,
            centre=f.centre,
            rule=rule.id,
            action=rule.action,
            nomenclature=rule.entry.index if rule.entry else None,
            article=rule.article,
            period=rule.period.label() if rule.entry is None else rule.entry.period.label(),
            clock=rule.clock,
            clock_start=start,
            due=due,
            retain_until=retain,
            blocked="hold" if f.held else None,
            in_plan=f.planned.get(rule.id),
            package=rule.select.package,
        )


def due(
    s: Session,
    rules: RuleSet,
    as_of: dt.date,
    timezone: str,
    *,
    centre: str | None = None,
    batch: int = BATCH,
) -> Iterator[Due]:
    """Stream every due line on ``as_of`` (optionally of one centre)."""
    for f in iter_facts(s, timezone, batch=batch):
        if centre is not None and f.centre != centre:
            continue
        yield from due_for(rules, f, as_of)


# --- drafting ---------------------------------------------------------------------------


@dataclass(slots=True)
class Drafted:
    plan: Plan
    items: int
    blocked: int
    skipped_in_plan: int


def draft(
    s: Session,
    rules: RuleSet,
    rules_id: int | None,
    as_of: dt.date,
    timezone: str,
    actor: str,
    *,
    centre: str | None = None,
    actions: tuple[str, ...] = PLANNED,
) -> Drafted:
    """Write a plan of what is due (held cases and cases already in a plan stay out)."""
    number = int(s.scalar(select(func.coalesce(func.max(Plan.number), 0))) or 0) + 1
    plan = Plan(
        number=number,
        as_of=as_of,
        state="drafted",
        ruleset_id=rules_id,
        ruleset_sha256=rules.sha256,
        drafted_by=actor,
    )
    s.add(plan)
    s.flush()
    plan_id = plan.id
    rows: list[dict[str, Any]] = []
    seq = blocked = in_plan = 0
    agreement = False

    def flush() -> None:
        if rows:
            s.execute(insert(PlanItem), rows)
            rows.clear()

    # A separate session reads, so the writes here never disturb its batches.
    reader = Session(bind=s.get_bind())
    try:
        for line in due(reader, rules, as_of, timezone, centre=centre):
            if line.action not in actions:
                continue
            if line.blocked:
                blocked += 1
                continue
            if line.in_plan is not None:
                in_plan += 1
                continue
            seq += 1
            agreement = agreement or line.action == "dispose"
            rows.append(
                {
                    "plan_id": plan_id,
                    "seq": seq,
                    "case_id": line.case_id,
                    "case_number": line.case,
                    "rule": line.rule,
                    "action": line.action,
                    "nomenclature": line.nomenclature,
                    "article": line.article,
                    "period": line.period,
                    "clock_start": line.clock_start,
                    "due": line.due,
                    "retain_until": line.retain_until,
                    "state": "pending",
                    "facts": {"clock": line.clock, "package": line.package},
                }
            )
            if len(rows) >= 1000:
                flush()
        flush()
    finally:
        reader.close()
    plan.items_total = seq
    plan.needs_agreement = agreement
    s.flush()
    return Drafted(plan, seq, blocked, in_plan)
