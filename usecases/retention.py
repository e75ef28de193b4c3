"""Retention use cases: rules, plans and their approval, holds, execution, the to-do list,
fixity. Archivists plan, approve and apply; administrators see the uncollected results.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import func, select

from archive.audit import Action, AuditEntry, Outcome
from archive.findings import identifier_key
from archive.models import Case, Tier, utcnow
from archive.retention_models import FixityCheck, Plan, PlanItem, PlanStep
from archive.retention_models import RuleSet as RuleSetRow
from archive.store import StoreError
from retention import archival, bag, holds
from retention import plan as planning
from retention.execute import Applier, ApplyError, StepAudit, act_of
from retention.forms import render_act
from retention.holds import HoldError
from retention.rules import RulesError, RuleSet
from search.base import SearchQuery
from usecases.access import event, require
from usecases.context import Context
from usecases.errors import Conflict, Invalid, NotFound, Unavailable
from usecases.policy import Capability
from usecases.registry import use_case

_STEP_ACTIONS = {
    "transfer": Action.retention_transfer,
    "dispose": Action.retention_destroy,
    "export": Action.retention_export,
    "review": Action.retention_review,
    # An item a hold stopped: the hold took effect (not a second "apply" entry).
    "skipped": Action.retention_hold,
    "act": Action.retention_act,
    "bag": Action.retention_export,
}


def _today(ctx: Context) -> dt.date:
    return dt.datetime.now(dt.UTC).date()


def _centre(ctx: Context) -> str | None:
    return ctx.principal.centre


# --- rules ------------------------------------------------------------------------------


@dataclass(slots=True)
class RulesView:
    year: int
    name: str
    sha256: str
    example: bool
    entries: list[dict[str, Any]]
    rules: list[dict[str, Any]]

    def as_json(self) -> dict[str, Any]:
        return {
            "year": self.year,
            "name": self.name,
            "sha256": self.sha256,
            "example": self.example,
            "nomenclature": self.entries,
            "rules": self.rules,
        }


def _rules_view(rs: RuleSet) -> RulesView:
    return RulesView(
        year=rs.year,
        name=rs.name,
        sha256=rs.sha256,
        example=rs.example,
        entries=[
            {
                "index": e.index,
                "title": e.title,
                "period": e.period.label(),
                "article": e.article,
                "notes": e.notes,
            }
            for e in rs.entries.values()
        ],
        rules=[
            {
                "id": r.id,
                "title": r.title,
                "action": r.action,
                "clock": r.clock,
                "period": r.period.label(),
                "nomenclature": r.entry.index if r.entry else None,
            }
            for r in rs.rules
        ],
    )


@use_case(Action.retention_rules_load)
def load_rules(ctx: Context, *, text: str, name: str) -> RulesView:
    """Validate and put in force a nomenclature-and-rules file (a bad one changes nothing)."""
    require(ctx.events, ctx.principal, Capability.manage_retention, Action.retention_rules_load)
    try:
        with ctx.archive.db.session() as s:
            rs = planning.store_rules(s, text, name[:500], ctx.actor)
    except RulesError as exc:
        ctx.events.publish(
            event(
                ctx.principal,
                Action.retention_rules_load,
                Outcome.failed,
                details={"problems": len(exc.problems)},
            )
        )
        # Report the failure under this use case's action (one entry, not allowed).
        raise Invalid(
            "Файл правил не прийнято; чинні правила не змінено",
            code="rules_invalid",
            details={"problems": [str(p) for p in exc.problems]},
        ) from exc
    ctx.events.publish(
        event(
            ctx.principal,
            Action.retention_rules_load,
            details={"year": rs.year, "sha256": rs.sha256},
        )
    )
    return _rules_view(rs)


@use_case(Action.retention_rules_show)
def show_rules(ctx: Context, *, as_of: dt.date | None = None) -> RulesView:
    require(ctx.events, ctx.principal, Capability.manage_retention, Action.retention_rules_show)
    with ctx.archive.db.session() as s:
        rs = planning.in_force(s, as_of or _today(ctx))
    ctx.events.publish(
        event(ctx.principal, Action.retention_rules_show, details={"sha256": rs.sha256})
    )
    return _rules_view(rs)


# --- what is due ---


@dataclass(slots=True)
class DueReport:
    as_of: dt.date
    rules: str
    example: bool
    lines: list[planning.Due] = field(default_factory=list)

    def as_json(self) -> dict[str, Any]:
        counts: dict[str, int] = {}
        for line in self.lines:
            key = "blocked" if line.blocked else line.action
            counts[key] = counts.get(key, 0) + 1
        return {
            "as_of": self.as_of.isoformat(),
            "rules": self.rules,
            "example": self.example,
            "counts": counts,
            "due": [x.as_json() for x in self.lines],
        }


@use_case(Action.retention_plan)
def plan_due(ctx: Context, *, as_of: dt.date | None = None) -> DueReport:
    """What is due on ``as_of``: rule, article, clock start, due date; blocked by a hold."""
    require(ctx.events, ctx.principal, Capability.manage_retention, Action.retention_plan)
    day = as_of or _today(ctx)
    with ctx.archive.db.session() as s:
        rs = planning.in_force(s, day)
        lines = list(
            planning.due(s, rs, day, ctx.archive.settings.desk.timezone, centre=_centre(ctx))
        )
    ctx.events.publish(
        event(
            ctx.principal,
            Action.retention_plan,
            details={"as_of": day.isoformat(), "lines": len(lines)},
        )
    )
    return DueReport(day, rs.name, rs.example, lines)


# --- plans ---


@dataclass(slots=True)
class PlanView:
    id: str
    number: int
    as_of: dt.date
    state: str
    items: int
    needs_agreement: bool
    drafted_by: str
    ek: dict[str, Any] | None
    epk: dict[str, Any] | None
    applied_by: str | None
    applied_at: dt.datetime | None
    act_sha256: str | None
    lines: list[dict[str, Any]] = field(default_factory=list)
    # The transfer package (BagIt) was built: it can be downloaded.
    package: bool = False

    def as_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "number": self.number,
            "as_of": self.as_of.isoformat(),
            "state": self.state,
            "items": self.items,
            "needs_agreement": self.needs_agreement,
            "drafted_by": self.drafted_by,
            "ek": self.ek,
            "epk": self.epk,
            "applied_by": self.applied_by,
            "applied_at": self.applied_at.isoformat() if self.applied_at else None,
            "act_sha256": self.act_sha256,
            "package": self.package,
            "lines": self.lines,
        }


def _view(p: Plan, lines: list[dict[str, Any]] | None = None, *, package: bool = False) -> PlanView:
    ek = (
        {
            "by": p.ek_by,
            "at": p.ek_at.isoformat() if p.ek_at else None,
            "decision": p.ek_decision,
            "date": p.ek_date.isoformat() if p.ek_date else None,
        }
        if p.ek_by
        else None
    )
    epk = (
        {
            "by": p.epk_by,
            "at": p.epk_at.isoformat() if p.epk_at else None,
            "reference": p.epk_reference,
            "date": p.epk_date.isoformat() if p.epk_date else None,
        }
        if p.epk_by
        else None
    )
    return PlanView(
        p.id,
        p.number,
        p.as_of,
        p.state,
        p.items_total,
        p.needs_agreement,
        p.drafted_by,
        ek,
        epk,
        p.applied_by,
        p.applied_at,
        p.act_sha256,
        lines or [],
        package,
    )


def _plan(s: Any, number: int) -> Plan:
    plan: Plan | None = s.scalar(select(Plan).where(Plan.number == number))
    if plan is None:
        raise NotFound("План не знайдено", code="plan_not_found")
    return plan


@use_case(Action.retention_draft)
def draft_plan(ctx: Context, *, as_of: dt.date | None = None) -> PlanView:
    """Save what is due as a drafted plan for the expert commission."""
    require(ctx.events, ctx.principal, Capability.manage_retention, Action.retention_draft)
    day = as_of or _today(ctx)
    with ctx.archive.db.session() as s:
        rs = planning.in_force(s, day)
        row = s.scalar(select(RuleSetRow.id).where(RuleSetRow.sha256 == rs.sha256).limit(1))
        done = planning.draft(
            s, rs, row, day, ctx.archive.settings.desk.timezone, ctx.actor, centre=_centre(ctx)
        )
        view = _view(done.plan)
    ctx.events.publish(
        event(
            ctx.principal,
            Action.retention_draft,
            details={"plan": view.number, "items": view.items},
        )
    )
    return view


@use_case(Action.retention_plans)
def list_plans(ctx: Context) -> list[PlanView]:
    require(ctx.events, ctx.principal, Capability.manage_retention, Action.retention_plans)
    with ctx.archive.db.session() as s:
        bagged = set(
            s.scalars(select(PlanStep.plan_id).where(PlanStep.item_id == 0, PlanStep.step == "bag"))
        )
        views = [
            _view(p, package=p.id in bagged) for p in s.scalars(select(Plan).order_by(Plan.number))
        ]
    ctx.events.publish(event(ctx.principal, Action.retention_plans, details={"plans": len(views)}))
    return views


@use_case(Action.retention_plan_read)
def show_plan(ctx: Context, *, number: int, limit: int = 1000) -> PlanView:
    require(ctx.events, ctx.principal, Capability.manage_retention, Action.retention_plan_read)
    with ctx.archive.db.session() as s:
        plan = _plan(s, number)
        items = s.scalars(
            select(PlanItem).where(PlanItem.plan_id == plan.id).order_by(PlanItem.seq).limit(limit)
        )
        lines = [
            {
                "seq": i.seq,
                "case": i.case_number,
                "rule": i.rule,
                "action": i.action,
                "nomenclature": i.nomenclature,
                "article": i.article,
                "period": i.period,
                "clock_start": i.clock_start.isoformat(),
                "due": i.due.isoformat(),
                "state": i.state,
            }
            for i in items
        ]
        view = _view(plan, lines, package=_bag_step(s, plan.id) is not None)
    ctx.events.publish(event(ctx.principal, Action.retention_plan_read, details={"plan": number}))
    return view


def _check_ref(value: str, what: str) -> str:
    value = " ".join(value.split())
    if not 1 <= len(value) <= 200:
        raise Invalid(f"{what}: від 1 до 200 символів")
    return value


@use_case(Action.retention_approve)
def approve_plan(
    ctx: Context, *, number: int, decision: str, date: dt.date | None = None
) -> PlanView:
    """The expert commission (ЕК) approved the plan: who recorded it, when, the decision number."""
    require(ctx.events, ctx.principal, Capability.manage_retention, Action.retention_approve)
    decision = _check_ref(decision, "номер рішення ЕК")
    with ctx.archive.db.session() as s:
        plan = _plan(s, number)
        if plan.state != "drafted":
            raise Conflict("План уже затверджено або виконано", code="plan_not_drafted")
        plan.state = "approved"
        plan.ek_by, plan.ek_at, plan.ek_decision = ctx.actor, utcnow(), decision
        plan.ek_date = date or _today(ctx)
        view = _view(plan)
    ctx.events.publish(
        event(
            ctx.principal, Action.retention_approve, details={"plan": number, "decision": decision}
        )
    )
    return view


@use_case(Action.retention_agree)
def agree_plan(
    ctx: Context, *, number: int, reference: str, date: dt.date | None = None
) -> PlanView:
    """The archival authority's commission (ЕПК) agreed the destruction: reference and date."""
    require(ctx.events, ctx.principal, Capability.manage_retention, Action.retention_agree)
    reference = _check_ref(reference, "номер протоколу ЕПК")
    with ctx.archive.db.session() as s:
        plan = _plan(s, number)
        if plan.state != "approved":
            raise Conflict(
                "Погодити ЕПК можна лише план, затверджений ЕК", code="plan_not_approved"
            )
        plan.state = "agreed"
        plan.epk_by, plan.epk_at, plan.epk_reference = ctx.actor, utcnow(), reference
        plan.epk_date = date or _today(ctx)
        view = _view(plan)
    ctx.events.publish(
        event(
            ctx.principal, Action.retention_agree, details={"plan": number, "reference": reference}
        )
    )
    return view


@use_case(Action.retention_apply)
def apply_plan(ctx: Context, *, number: int) -> dict[str, Any]:
    """Execute an approved (and, for destruction, agreed) plan; a re-run resumes it."""
    require(ctx.events, ctx.principal, Capability.manage_retention, Action.retention_apply)
    with ctx.archive.db.session() as s:
        plan_id = _plan(s, number).id

    def audit(infos: list[StepAudit]) -> list[int]:
        return ctx.events.publish_many(
            [
                event(
                    ctx.principal,
                    _STEP_ACTIONS[info.action],
                    case=info.case,
                    documents=info.documents[:50],
                    details={"step": info.key, "plan": info.plan_number, **info.details},
                )
                for info in infos
            ]
        )

    def find(floor: int, infos: list[StepAudit]) -> dict[str, int]:
        # Entries written after the journal row by a run killed before linking them.
        wanted = {info.key for info in infos}
        actions = sorted({_STEP_ACTIONS[info.action].value for info in infos})
        found: dict[str, int] = {}
        with ctx.archive.db.session() as s:
            rows = s.execute(
                select(AuditEntry.seq, AuditEntry.details)
                .where(AuditEntry.seq > floor, AuditEntry.action.in_(actions))
                .order_by(AuditEntry.seq)
                .execution_options(yield_per=1000)
            )
            for seq, details in rows:
                key = (details or {}).get("step")
                if key in wanted:
                    found[key] = int(seq)
                    if len(found) == len(wanted):
                        break
        return found

    applier = Applier(
        ctx.archive, plan_id, ctx.actor, audit, find, identifier_key(ctx.archive.settings)
    )
    try:
        report = applier.run()
    except ApplyError as exc:
        raise Conflict(str(exc), code="plan_not_ready") from exc
    except StoreError as exc:
        raise Unavailable("Сховище не виконало операцію; повторіть пізніше", code="store") from exc
    out = report.as_json()
    ctx.events.publish(event(ctx.principal, Action.retention_apply, details=out))
    return out


@use_case(Action.retention_act)
def act_pdf(ctx: Context, *, number: int) -> bytes:
    """The act of selection for destruction of a plan (PDF, Ukrainian, standard form)."""
    require(ctx.events, ctx.principal, Capability.manage_retention, Action.retention_act)
    with ctx.archive.db.session() as s:
        plan = _plan(s, number)
        if not plan.needs_agreement:
            raise NotFound("У плані немає справ для знищення", code="no_act")
        sha = plan.act_sha256
        pdf = None if sha else render_act(act_of(s, plan, ctx.archive.settings.centre))
    if pdf is None:
        assert sha is not None
        pdf = ctx.archive.store.read_bytes(sha, Tier.archival)
    ctx.events.publish(event(ctx.principal, Action.retention_act, details={"plan": number}))
    return pdf


# --- transfer packages and the list of what the plans produced ---


def _bag_step(s: Any, plan_id: str) -> PlanStep | None:
    step: PlanStep | None = s.scalar(
        select(PlanStep).where(
            PlanStep.plan_id == plan_id, PlanStep.item_id == 0, PlanStep.step == "bag"
        )
    )
    return step


@dataclass(slots=True)
class PackageDownload:
    """A plan's transfer package (the BagIt bag) as one ZIP, streamed.

    ``chunks`` runs only after the access was decided and logged; the bag was
    checked (recorded tag manifest, ``Payload-Oxum``) before, so a damaged or
    missing bag is an error, not a broken download.
    """

    plan: int
    filename: str
    media_type: str
    files: int
    size: int
    chunks: Iterator[bytes] = field(repr=False)


@use_case(Action.retention_package)
def transfer_package(ctx: Context, *, number: int) -> PackageDownload:
    """Download the transfer package (BagIt) of an applied plan as a ZIP of the bag folder."""
    require(ctx.events, ctx.principal, Capability.manage_retention, Action.retention_package)
    with ctx.archive.db.session() as s:
        plan = _plan(s, number)
        step = _bag_step(s, plan.id)
        recorded = str(step.details.get("tagmanifest_sha256") or "") if step else ""
    if step is None:
        raise NotFound("У плана немає пакета передавання", code="no_package")
    try:
        pkg = bag.packaged(bag.bag_dir(ctx.archive, number), recorded or None)
    except FileNotFoundError as exc:
        raise NotFound("Пакет передавання не знайдено на сервері", code="package_missing") from exc
    except bag.PackageDamaged as exc:
        # Not offered: the recipient would get a bag that fails validation.
        raise Conflict(
            "Пакет передавання на сервері пошкоджено; зверніться до адміністратора",
            code="package_damaged",
        ) from exc
    ctx.events.publish(
        event(
            ctx.principal,
            Action.retention_package,
            details={"plan": number, "files": len(pkg.files), "bytes": pkg.size},
        )
    )
    root = f"plan-{number}"
    return PackageDownload(
        number,
        f"{root}-bagit.zip",
        "application/zip",
        len(pkg.files),
        pkg.size,
        bag.zip_stream(pkg, root),
    )


@dataclass(slots=True)
class PlanOutputs:
    """What one applied plan produced: the act of destruction and/or the transfer package."""

    plan: int
    as_of: dt.date
    state: str
    applied_at: dt.datetime | None
    applied_by: str | None
    ek_decision: str | None
    epk_reference: str | None
    counts: dict[str, int]
    act: dict[str, Any] | None
    package: dict[str, Any] | None

    def as_json(self) -> dict[str, Any]:
        return {
            "plan": self.plan,
            "as_of": self.as_of.isoformat(),
            "state": self.state,
            "applied_at": self.applied_at.isoformat() if self.applied_at else None,
            "applied_by": self.applied_by,
            "ek_decision": self.ek_decision,
            "epk_reference": self.epk_reference,
            "counts": self.counts,
            "act": self.act,
            "package": self.package,
        }


@use_case(Action.retention_outputs)
def list_outputs(ctx: Context) -> list[PlanOutputs]:
    """Acts of destruction and transfer packages across all plans, the newest plan first."""
    require(ctx.events, ctx.principal, Capability.manage_retention, Action.retention_outputs)
    out: list[PlanOutputs] = []
    with ctx.archive.db.session() as s:
        steps = {
            (st.plan_id, st.step): st
            for st in s.scalars(
                select(PlanStep).where(PlanStep.item_id == 0, PlanStep.step.in_(("act", "bag")))
            )
        }
        done: dict[str, dict[str, int]] = {}
        for plan_id, action, n in s.execute(
            select(PlanItem.plan_id, PlanItem.action, func.count())
            .where(PlanItem.state == "done")
            .group_by(PlanItem.plan_id, PlanItem.action)
        ):
            done.setdefault(plan_id, {})[action] = int(n)
        for p in s.scalars(select(Plan).order_by(Plan.number.desc())):
            act_step, bag_step = steps.get((p.id, "act")), steps.get((p.id, "bag"))
            if act_step is None and bag_step is None:
                continue
            counts = done.get(p.id, {})
            act = (
                {
                    "sha256": p.act_sha256,
                    "at": act_step.at.isoformat(),
                    "cases": counts.get("dispose", 0),
                }
                if act_step is not None and p.act_sha256
                else None
            )
            package = None
            if bag_step is not None:
                d = bag_step.details
                package = {
                    "at": bag_step.at.isoformat(),
                    "cases": int(d.get("cases", 0)),
                    "files": int(d.get("files", 0)),
                    "tagmanifest_sha256": d.get("tagmanifest_sha256"),
                    "on_server": (bag.bag_dir(ctx.archive, p.number) / "bagit.txt").is_file(),
                }
            out.append(
                PlanOutputs(
                    p.number, p.as_of, p.state, p.applied_at, p.applied_by,
                    p.ek_decision, p.epk_reference, counts, act, package,
                )
            )  # fmt: skip
    ctx.events.publish(event(ctx.principal, Action.retention_outputs, details={"plans": len(out)}))
    return out


# --- holds ---


def _cases_for(ctx: Context, s: Any, target: str) -> list[Case]:
    centre = _centre(ctx) or ctx.archive.settings.centre
    q = select(Case).where(Case.number == target)
    if _centre(ctx) is not None:
        q = q.where(Case.centre == centre)
    found = list(s.scalars(q))
    if found:
        return found
    hits = ctx.archive.index.search(
        SearchQuery(text=target, limit=500, centres=[centre] if _centre(ctx) else None)
    )
    numbers = sorted({h.case for h in hits.hits if h.case})
    if not numbers:
        return []
    q = select(Case).where(Case.number.in_(numbers))
    if _centre(ctx) is not None:
        q = q.where(Case.centre == centre)
    return list(s.scalars(q))


@use_case(Action.retention_hold)
def place_hold(ctx: Context, *, target: str, reason: str) -> list[holds.HoldView]:
    """Hold a case (by number) or every case a search finds, with who and why."""
    require(ctx.events, ctx.principal, Capability.manage_retention, Action.retention_hold)
    with ctx.archive.db.session() as s:
        cases = _cases_for(ctx, s, target)
        if not cases:
            raise NotFound("Справ не знайдено", code="case_not_found")
        try:
            placed = [holds.view(holds.place(s, c, reason, ctx.actor), c) for c in cases]
        except HoldError as exc:
            raise Invalid(str(exc)) from exc
        ids = [d for c in cases for d in _doc_shas(s, c.id)]
    for sha in ids:
        try:
            archival.set_hold(ctx.archive.store, sha, True)
        except StoreError as exc:
            raise Unavailable("Сховище не встановило утримання; повторіть", code="store") from exc
    ctx.events.publish(
        event(
            ctx.principal,
            Action.retention_hold,
            case=placed[0].case if len(placed) == 1 else None,
            details={"cases": [h.case for h in placed]},
        )
    )
    return placed


def _doc_shas(s: Any, case_id: int) -> list[str]:
    from archive.models import Document

    rows = s.execute(
        select(Document.sha256, Document.pdfa_sha256).where(Document.case_id == case_id)
    )
    return [x for r in rows for x in r if x]


@use_case(Action.retention_release)
def release_hold(ctx: Context, *, case: str, reason: str) -> list[holds.HoldView]:
    require(ctx.events, ctx.principal, Capability.manage_retention, Action.retention_release)
    with ctx.archive.db.session() as s:
        found = _cases_for(ctx, s, case)
        found = [c for c in found if c.number == case]
        if not found:
            raise NotFound("Справу не знайдено", code="case_not_found")
        try:
            released = [
                holds.view(h, found[0]) for h in holds.release(s, found[0], reason, ctx.actor)
            ]
        except HoldError as exc:
            raise Conflict(str(exc), code="not_held") from exc
        shas = _doc_shas(s, found[0].id)
    for sha in shas:
        try:
            archival.set_hold(ctx.archive.store, sha, False)
        except StoreError as exc:
            raise Unavailable("Сховище не зняло утримання; повторіть", code="store") from exc
    ctx.events.publish(
        event(
            ctx.principal,
            Action.retention_release,
            case=case,
            details={"holds": [h.id for h in released]},
        )
    )
    return released


@use_case(Action.retention_holds)
def list_holds(ctx: Context) -> list[holds.HoldView]:
    require(ctx.events, ctx.principal, Capability.manage_retention, Action.retention_holds)
    with ctx.archive.db.session() as s:
        out = holds.listing(s, centre=_centre(ctx))
    ctx.events.publish(event(ctx.principal, Action.retention_holds, details={"holds": len(out)}))
    return out


# --- the to-do list of administrators ---


@use_case(Action.retention_todo)
def uncollected(ctx: Context, *, as_of: dt.date | None = None) -> list[dict[str, Any]]:
    """Results not collected within the rule's term with a contact: send them by post."""
    require(ctx.events, ctx.principal, Capability.uncollected_results, Action.retention_todo)
    day = as_of or _today(ctx)
    p = ctx.principal
    with ctx.archive.db.session() as s:
        rs = planning.in_force(s, day)
        lines = [
            x
            for x in planning.due(s, rs, day, ctx.archive.settings.desk.timezone, centre=p.centre)
            if x.action == "notify"
        ]
        if p.workplace:
            mine = set(s.scalars(select(Case.id).where(Case.workplace == p.workplace)))
            lines = [x for x in lines if x.case_id in mine]
    out = [
        {
            "case": x.case,
            "centre": x.centre,
            "ready": x.clock_start.isoformat(),
            "due": x.due.isoformat(),
            "todo": "надіслати результат поштою",
            "rule": x.rule,
        }
        for x in lines
    ]
    ctx.events.publish(event(p, Action.retention_todo, details={"cases": len(out)}))
    return out


# --- fixity ---


@use_case(Action.fixity_check)
def fixity_check(ctx: Context, *, sample: int | None = None) -> dict[str, Any]:
    """Re-read stored objects and compare SHA-256; each check is recorded (a PREMIS event)."""
    require(ctx.events, ctx.principal, Capability.check_fixity, Action.fixity_check)
    from retention.fixity import check

    try:
        report = check(ctx.archive, sample=sample)
    except StoreError as exc:
        raise Unavailable("Сховище недоступне", code="store") from exc
    ctx.events.publish(
        event(
            ctx.principal,
            Action.fixity_check,
            outcome=Outcome.allowed
            if report["corrupt"] == 0 and report["missing"] == 0
            else Outcome.failed,
            details={k: v for k, v in report.items() if k != "problems"},
        )
    )
    return report


@dataclass(slots=True)
class FixityResults:
    """The latest fixity checks: counts by outcome and the objects that failed."""

    checks: int
    by_outcome: dict[str, int]
    last_at: dt.datetime | None
    problems: list[dict[str, Any]]

    def as_json(self) -> dict[str, Any]:
        return {
            "checks": self.checks,
            "by_outcome": self.by_outcome,
            "last_at": self.last_at.isoformat() if self.last_at else None,
            "problems": self.problems,
        }


@use_case(Action.fixity_results)
def fixity_results(ctx: Context, *, limit: int = 100) -> FixityResults:
    """What the fixity checks found: counts by outcome, the latest failures first."""
    require(ctx.events, ctx.principal, Capability.check_fixity, Action.fixity_results)
    with ctx.archive.db.session() as s:
        counts = {
            str(o): int(n)
            for o, n in s.execute(
                select(FixityCheck.outcome, func.count()).group_by(FixityCheck.outcome)
            )
        }
        last = s.scalar(select(func.max(FixityCheck.checked_at)))
        bad = s.scalars(
            select(FixityCheck)
            .where(FixityCheck.outcome != "ok")
            .order_by(FixityCheck.id.desc())
            .limit(max(1, min(limit, 1000)))
        )
        problems = [
            {
                "sha256": r.sha256,
                "tier": r.tier,
                "outcome": r.outcome,
                "checked_at": r.checked_at.isoformat(),
            }
            for r in bad
        ]
    out = FixityResults(sum(counts.values()), counts, last, problems)
    ctx.events.publish(event(ctx.principal, Action.fixity_results, details={"checks": out.checks}))
    return out


@use_case(Action.retention_round)
def daily_round(ctx: Context, *, day: dt.date | None = None) -> dict[str, int]:
    """The daily round: count what is due (nothing is applied) and check a fixity sample."""
    require(ctx.events, ctx.principal, Capability.check_fixity, Action.retention_round)
    from retention import schedule

    sample = ctx.archive.settings.schedule.fixity_sample
    counts = schedule.daily(ctx.archive, day or _today(ctx), fixity_sample=sample or 0)
    ctx.events.publish(event(ctx.principal, Action.retention_round, details=counts))
    return counts
