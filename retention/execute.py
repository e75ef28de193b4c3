"""Applying an approved plan: idempotent and resumable, every step journalled.

Each item goes through its steps in order (``objects`` → ``record``), each
recorded in :class:`~archive.retention_models.PlanStep` after its effect;
every effect is idempotent (a repeated transfer finds the archival copy, a
repeated deletion finds nothing), so a run killed at any point and started
again completes the plan without doing anything twice. The ``record`` step
writes the routing-sheet event and marks the item done in one transaction;
its access-log entry is written once (a re-run looks for it first).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import os
import signal
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from archive.audit import AuditEntry
from archive.cases import CaseRegistration
from archive.findings import DocumentFinding
from archive.models import (
    Case,
    CaseDocument,
    CaseEvent,
    CaseStatus,
    Document,
    IndexOutbox,
    Package,
    PackageKind,
    Page,
    Tier,
    utcnow,
)
from archive.retention_models import Plan, PlanItem, PlanStep, Tombstone
from backends import Archive
from retention import archival, bag, forms
from retention.rules import RuleSet

# Items applied per transaction: their journal rows, routing-sheet events and audit
# entries are each committed together (a commit per item cost ~0.2 s on SQLite).
WINDOW = 200


class ApplyError(Exception):
    """The plan cannot be applied as it stands (message in Ukrainian)."""


@dataclass(slots=True)
class StepAudit:
    """What the access-log entry of one step says (no personal data)."""

    action: str  # transfer | dispose | export | review | skipped | act | bag
    plan_id: str
    plan_number: int
    item_id: int
    case: str | None
    documents: list[str]
    details: dict[str, Any]

    @property
    def key(self) -> str:
        return f"{self.plan_id}:{self.item_id}:{self.action}"


# Write the entries of these steps (one each, in order, together); returns their seqs.
AuditFn = Callable[[list[StepAudit]], list[int]]
# The entries already written after ``floor`` for any of these steps: key → seq.
FindAudit = Callable[[int, list[StepAudit]], dict[str, int]]


@dataclass(slots=True)
class ApplyReport:
    plan: int
    state: str
    done: int = 0
    skipped: int = 0
    already: int = 0
    objects: int = 0
    bag: str | None = None
    by_action: dict[str, int] = field(default_factory=lambda: defaultdict(int))

    def as_json(self) -> dict[str, Any]:
        return {
            "plan": self.plan,
            "state": self.state,
            "done": self.done,
            "skipped": self.skipped,
            "already": self.already,
            "objects": self.objects,
            "bag": self.bag,
            "by_action": dict(self.by_action),
        }


_crash_counter = 0


def _checkpoint() -> None:
    """Test hook: ``CNAP_RETENTION_CRASH_AT=N`` SIGKILLs this process at the N-th checkpoint."""
    global _crash_counter
    at = os.environ.get("CNAP_RETENTION_CRASH_AT")
    if not at:
        return
    _crash_counter += 1
    if _crash_counter == int(at):
        os.kill(os.getpid(), signal.SIGKILL)


def _armed() -> bool:
    return bool(os.environ.get("CNAP_RETENTION_CRASH_AT"))


def ready_to_apply(plan: Plan) -> None:
    if plan.state in ("approved", "agreed", "applying"):
        if plan.needs_agreement and plan.epk_reference is None:
            raise ApplyError("план зі знищенням потребує погодження ЕПК (retention agree)")
        return
    if plan.state == "applied":
        return
    raise ApplyError("план ще не затверджено ЕК (retention approve)")


class Applier:
    def __init__(
        self,
        archive: Archive,
        plan_id: str,
        actor: str,
        audit: AuditFn,
        find_audit: FindAudit,
        key: bytes,
    ) -> None:
        self.archive = archive
        self.db = archive.db
        self.plan_id = plan_id
        self.actor = actor
        self.audit = audit
        self.find_audit = find_audit
        self.key = key
        self._unindex: list[str] = []

    # -- the journal --------------------------------------------------------------

    def _step(self, s: Session, item_id: int, step: str) -> PlanStep | None:
        return s.scalar(
            select(PlanStep).where(
                PlanStep.plan_id == self.plan_id, PlanStep.item_id == item_id, PlanStep.step == step
            )
        )

    def _floor(self, s: Session) -> int:
        return int(s.scalar(select(func.max(AuditEntry.seq))) or 0)

    def _record(
        self,
        s: Session,
        item_id: int,
        step: str,
        floor: int | None = None,
        *,
        flush: bool = True,
        **details: Any,
    ) -> PlanStep:
        row = PlanStep(
            plan_id=self.plan_id,
            item_id=item_id,
            step=step,
            audit_floor=self._floor(s) if floor is None else floor,
            details=details,
        )
        s.add(row)
        if flush:
            s.flush()
        return row

    def _audited(self, step_id: int, info: StepAudit, *, fresh: bool = False) -> None:
        """Write a plan step's access-log entry exactly once.

        ``fresh``: the step was recorded by this run, so no entry can exist yet and the
        log need not be searched (the search is for a run killed between the two).
        """
        with self.db.session() as s:
            row = s.get(PlanStep, step_id)
            assert row is not None
            if row.audit_seq is not None:
                return
        self._audit_steps([(step_id, info)], {step_id} if fresh else set())

    # -- the run -------------------------------------------------------------------

    def run(self, rules: RuleSet | None = None) -> ApplyReport:
        with self.db.session() as s:
            plan = s.get(Plan, self.plan_id)
            if plan is None:
                raise ApplyError("план не знайдено")
            ready_to_apply(plan)
            number = plan.number
            if plan.state != "applied":
                plan.state = "applying"
            if plan.export_path is None and s.scalar(
                select(PlanItem.id)
                .where(PlanItem.plan_id == self.plan_id, PlanItem.action.in_(bag.BAGGED))
                .limit(1)
            ):
                # Known before the items run, so their routing-sheet events can name it.
                plan.export_path = str(bag.bag_dir(self.archive, number))
        report = ApplyReport(plan=number, state="applying")
        self._plan_steps(number)
        last = 0
        while True:
            with self.db.session() as s:
                items = list(
                    s.scalars(
                        select(PlanItem)
                        .where(PlanItem.plan_id == self.plan_id, PlanItem.seq > last)
                        .order_by(PlanItem.seq)
                        .limit(WINDOW)
                    )
                )
            if not items:
                break
            self._window(items, number, report)
            self._flush_index()
            last = items[-1].seq
        self._bag_step(number, report)
        with self.db.session() as s:
            plan = s.get(Plan, self.plan_id)
            assert plan is not None
            if plan.state != "applied":
                plan.state = "applied"
                plan.applied_at = utcnow()
                plan.applied_by = self.actor
            report.state = plan.state
        return report

    def _plan_steps(self, number: int) -> None:
        with self.db.session() as s:
            plan = s.get(Plan, self.plan_id)
            assert plan is not None
            needs_act = plan.needs_agreement
            step = self._step(s, 0, "act")
        fresh = needs_act and step is None
        if needs_act and step is None:
            pdf = self.render_act()
            obj = self.archive.store.put_bytes(pdf, Tier.archival)
            _checkpoint()
            with self.db.session() as s:
                plan = s.get(Plan, self.plan_id)
                assert plan is not None
                plan.act_sha256 = obj.sha256
                step = self._record(s, 0, "act", sha256=obj.sha256)
        if step is not None:
            self._audited(
                step.id,
                StepAudit(
                    "act",
                    self.plan_id,
                    number,
                    0,
                    None,
                    [],
                    {"act_sha256": step.details.get("sha256")},
                ),
                fresh=fresh,
            )

    def _bag_step(self, number: int, report: ApplyReport) -> None:
        """The transfer package of the plan's transfers and exports (BagIt), built once."""
        with self.db.session() as s:
            step = self._step(s, 0, "bag")
            if step is None:
                done = s.scalar(
                    select(PlanItem.id)
                    .where(
                        PlanItem.plan_id == self.plan_id,
                        PlanItem.action.in_(bag.BAGGED),
                        PlanItem.state == "done",
                    )
                    .limit(1)
                )
                if done is None:
                    return
        fresh = step is None
        if step is None:
            made = bag.build(self.archive, self.plan_id, self.actor)
            _checkpoint()
            with self.db.session() as s:
                step = self._record(
                    s,
                    0,
                    "bag",
                    path=str(made.path),
                    files=made.files,
                    cases=made.cases,
                    tagmanifest_sha256=made.tagmanifest_sha256,
                )
        report.bag = str(step.details.get("path"))
        self._audited(
            step.id,
            StepAudit("bag", self.plan_id, number, 0, None, [], dict(step.details)),
            fresh=fresh,
        )

    def render_act(self) -> bytes:
        with self.db.session() as s:
            plan = s.get(Plan, self.plan_id)
            assert plan is not None
            return forms.render_act(act_of(s, plan, self.archive.settings.centre))

    # -- items, a window at a time ---------------------------------------------------

    def _window(self, items: list[PlanItem], number: int, report: ApplyReport) -> None:
        """Apply one window of items: store effects, one journal transaction, one audit write.

        The phases keep the single-item order (effect → journal → audit entry), so
        a run killed anywhere inside a window repeats only idempotent effects and
        writes each step's journal row and audit entry once.
        """
        ids = [i.id for i in items]
        with self.db.session() as s:
            steps = {
                (st.item_id, st.step): st
                for st in s.scalars(
                    select(PlanStep).where(
                        PlanStep.plan_id == self.plan_id, PlanStep.item_id.in_(ids)
                    )
                )
            }
            held = {
                cid: bool(h)
                for cid, h in s.execute(
                    select(Case.id, Case.legal_hold).where(Case.id.in_({i.case_id for i in items}))
                )
            }
            pending = [i for i in items if (i.id, "record") not in steps]
            moving = [
                i
                for i in pending
                if i.action in ("transfer", "dispose")
                and not held.get(i.case_id)
                and (i.id, "objects") not in steps
            ]
            shas = {i.id: self._shas(s, i) for i in moving}
        report.already += len(items) - len(pending)
        # 1. Store effects (idempotent), then their journal rows in one transaction.
        made = {i.id: self._objects(i, shas[i.id]) for i in moving}
        if made:
            with self.db.session() as s:
                floor = self._floor(s)
                for item_id, details in made.items():
                    self._record(s, item_id, "objects", floor, **details)
            _checkpoint()
            report.objects += sum(int(d["objects"]) for d in made.values())
        # 2. The database side of every pending item in one transaction.
        fresh: set[int] = set()
        if pending:
            with self.db.session() as s:
                floor = self._floor(s)
                plan = s.get(Plan, self.plan_id)
                assert plan is not None
                bulk = _Bulk.load(s, [i for i in pending if not held.get(i.case_id)])
                made_steps: list[PlanStep] = []
                for item in pending:
                    if held.get(item.case_id):
                        st = self._skip(s, item, floor)
                        report.skipped += 1
                    else:
                        st = self._finish(s, item, plan, floor, bulk)
                        report.done += 1
                        report.by_action[item.action] += 1
                    steps[(item.id, "record")] = st
                    made_steps.append(st)
                bulk.delete(s)
                s.flush()
                fresh.update(st.id for st in made_steps)
            _checkpoint()
        # 3. The access-log entries of the window's steps, written together, each once.
        records = [(i, steps[(i.id, "record")]) for i in items]
        self._audit_steps(
            [(st.id, self._step_audit(i, st, number)) for i, st in records if st.audit_seq is None],
            fresh,
        )
        for item, st in records:
            if item.action == "dispose" and not st.details.get("skipped"):
                # Deleted from the index a window at a time (one index commit per window).
                self._unindex.extend(st.details.get("documents", []))

    def _step_audit(self, item: PlanItem, st: PlanStep, number: int) -> StepAudit:
        action = "skipped" if st.details.get("skipped") else item.action
        return StepAudit(
            action,
            self.plan_id,
            number,
            item.id,
            item.case_number,
            list(st.details.get("documents", [])),
            {k: v for k, v in st.details.items() if k != "documents"},
        )

    def _audit_steps(self, todo: list[tuple[int, StepAudit]], fresh: set[int]) -> None:
        """Write the entries of journalled steps that have none yet, then link them."""
        if not todo:
            return
        _checkpoint()
        # Steps recorded by an earlier (killed) run may have their entry already.
        old = [info for sid, info in todo if sid not in fresh]
        found: dict[str, int] = {}
        if old:
            with self.db.session() as s:
                floor = min(
                    s.scalars(
                        select(PlanStep.audit_floor).where(
                            PlanStep.id.in_([sid for sid, _ in todo])
                        )
                    )
                )
            found = self.find_audit(floor, old)
        missing = [info for _sid, info in todo if info.key not in found]
        seqs = self.audit(missing) if missing else []
        found.update({info.key: seq for info, seq in zip(missing, seqs, strict=True)})
        _checkpoint()
        with self.db.session() as s:
            for sid, info in todo:
                row = s.get(PlanStep, sid)
                assert row is not None
                row.audit_seq = found[info.key]

    def _flush_index(self) -> None:
        ids, self._unindex = self._unindex, []
        if ids:
            # If the index is down, the outbox rows delete them later.
            with contextlib.suppress(Exception):
                self.archive.index.delete(ids)

    def _docs(self, s: Session, item: PlanItem) -> list[Document]:
        q = select(Document).where(Document.case_id == item.case_id)
        if item.rule and item.facts.get("package") == "output":
            q = q.join(Package, Package.id == Document.package_id).where(
                Package.kind == PackageKind.output
            )
        return list(s.scalars(q.order_by(Document.id)))

    def _shas(self, s: Session, item: PlanItem) -> list[str]:
        """The stored objects an item's step moves (transfer) or deletes (dispose)."""
        docs = self._docs(s, item)
        if item.action == "dispose" and docs:
            # A document another case still holds is not destroyed (see _destroy): its
            # objects stay too.
            kept = set(
                s.scalars(
                    select(CaseDocument.document_id).where(
                        CaseDocument.document_id.in_([d.id for d in docs]),
                        CaseDocument.case_id != item.case_id,
                    )
                )
            )
            docs = [d for d in docs if d.id not in kept]
        return sorted({x for d in docs for x in (d.sha256, d.pdfa_sha256) if x})

    def _objects(self, item: PlanItem, shas: list[str]) -> dict[str, Any]:
        """The store side of one item (idempotent); returns its journal details."""
        store = self.archive.store
        if item.action == "transfer":
            for sha in shas:
                # The crash hook counts effects, not repeats: a window re-run after a
                # kill finds its earlier moves done, and so gets past them.
                did = not _armed() or store.exists(sha, Tier.operational)
                archival.move(store, sha, retain_until=item.retain_until, held=False)
                if did:
                    _checkpoint()
            manifest = archival.signed_manifest(
                self.key,
                {
                    "plan": self.plan_id,
                    "case": item.case_number,
                    "objects": shas,
                    "retain_until": item.retain_until.isoformat() if item.retain_until else None,
                },
            )
            return {
                "objects": len(shas),
                "manifest": store.put_bytes(manifest, Tier.archival).sha256,
            }
        for sha in shas:
            did = not _armed() or any(store.exists(sha, tier) for tier in Tier)
            for tier in Tier:
                store.delete(sha, tier)
            if did:
                _checkpoint()
        return {"objects": len(shas)}

    def _skip(self, s: Session, item: PlanItem, floor: int) -> PlanStep:
        row = s.get(PlanItem, item.id)
        assert row is not None
        row.state, row.done_at = "skipped", utcnow()
        s.add(
            CaseEvent(
                case_id=item.case_id,
                kind="retention.skipped",
                actor=self.actor,
                details={"plan": item.plan_id, "rule": item.rule, "why": "hold"},
            )
        )
        return self._record(
            s, item.id, "record", floor, flush=False, skipped="hold", rule=item.rule
        )

    def _finish(self, s: Session, item: PlanItem, plan: Plan, floor: int, bulk: _Bulk) -> PlanStep:
        row = s.get(PlanItem, item.id)
        case = s.get(Case, item.case_id)
        assert row is not None and case is not None
        docs = bulk.docs(s, item, self._docs)
        ids = [d.id for d in docs]
        details: dict[str, Any] = {"rule": item.rule, "documents": ids}
        ev: dict[str, Any] = {"plan": plan.number, "rule": item.rule, "documents": len(ids)}
        if item.action == "transfer":
            for d in docs:
                d.original_tier = Tier.archival
                d.pdfa_tier = Tier.archival
                d.retention_until = item.retain_until
            case.status = CaseStatus.archived
            if case.closed_at is None:
                # Passing the result to archival storage closes the case.
                case.closed_at = utcnow()
            case.retention_until = item.retain_until
            kind = "retention.transferred"
            ev["retain_until"] = item.retain_until.isoformat() if item.retain_until else None
        elif item.action == "dispose":
            kind = "retention.destroyed"
            details.update(self._destroy(s, case, docs, plan, bulk))
            ev.update(act=plan.number, pages=details["pages"])
        elif item.action == "export":
            kind = "retention.exported"
            ev["package"] = plan.export_path
        else:
            kind = "retention.reviewed"
            ev["decision"] = plan.ek_decision
        row.state, row.done_at = "done", utcnow()
        s.add(CaseEvent(case_id=case.id, kind=kind, actor=self.actor, details=ev))
        return self._record(s, item.id, "record", floor, flush=False, **details)

    def _destroy(
        self, s: Session, case: Case, docs: list[Document], plan: Plan, bulk: _Bulk
    ) -> dict[str, Any]:
        all_ids = [d.id for d in docs]
        if bulk.simple(case.id, all_ids):
            # Nothing shared with another case: the rows go with the window's bulk deletes.
            return self._destroyed(s, case, docs, plan, bulk)
        # A document another case still holds (the same bytes handed in twice) is not
        # destroyed: this case only lets go of it, and the other keeps it whole.
        others = {
            doc_id: (case_id, package_id)
            for doc_id, case_id, package_id in s.execute(
                select(
                    CaseDocument.document_id, CaseDocument.case_id, CaseDocument.package_id
                ).where(CaseDocument.document_id.in_(all_ids), CaseDocument.case_id != case.id)
            )
        }
        if others:
            s.execute(
                delete(CaseDocument).where(
                    CaseDocument.case_id == case.id, CaseDocument.document_id.in_(list(others))
                )
            )
            for d in docs:
                if d.id in others and d.case_id == case.id:
                    d.case_id, d.package_id = others[d.id]
            docs = [d for d in docs if d.id not in others]
        ids = [d.id for d in docs]
        pages = 0
        if ids:
            pages = int(
                s.scalar(select(func.count()).select_from(Page).where(Page.document_id.in_(ids)))
                or 0
            )
            s.execute(delete(DocumentFinding).where(DocumentFinding.document_id.in_(ids)))
            s.execute(delete(Page).where(Page.document_id.in_(ids)))
            # Every case holding a destroyed document lets go of it (issue 9, item 3).
            s.execute(delete(CaseDocument).where(CaseDocument.document_id.in_(ids)))
            for d in docs:
                s.add(IndexOutbox(document_id=d.id, op="delete"))
            s.execute(delete(Document).where(Document.id.in_(ids)))
        return self._destroyed(s, case, docs, plan, bulk, pages=pages)

    def _destroyed(
        self,
        s: Session,
        case: Case,
        docs: list[Document],
        plan: Plan,
        bulk: _Bulk,
        pages: int | None = None,
    ) -> dict[str, Any]:
        """The case row, its inventories and the tombstone; queues the rows to delete."""
        ids = [d.id for d in docs]
        if pages is None:
            pages = sum(bulk.pages.get(i, 0) for i in ids)
            bulk.gone.extend(ids)
        shas = sorted({x for d in docs for x in (d.sha256, d.pdfa_sha256) if x})
        # Personal data on the case row and its inventories goes; the number stays.
        case.applicant_ref = None
        reg = s.get(CaseRegistration, case.id)
        if reg is not None:
            reg.contact = None
        for pkg in bulk.packages(s, case.id):
            pkg.inventory = [
                {"title": "—", "sheets": int(r.get("sheets") or 1), "document_id": None}
                for r in pkg.inventory or []
            ]
        what = {"documents": len(ids), "pages": pages, "objects": len(shas), "sha256": shas}
        s.add(
            Tombstone(
                case_id=case.id,
                centre=case.centre,
                case_number=case.number,
                plan_id=plan.id,
                act_number=plan.number,
                act_sha256=plan.act_sha256,
                destroyed_by=self.actor,
                what=what,
            )
        )
        return {"pages": pages, "objects": len(shas)}


@dataclass(slots=True)
class _Bulk:
    """What a window's items need from the database, read in a few queries, and the
    rows of destroyed documents, deleted together at the end of the window."""

    by_case: dict[int, list[tuple[Document, PackageKind | None]]] | None
    holders: dict[str, set[int]]
    pages: dict[str, int]
    pkgs: dict[int, list[Package]] | None
    gone: list[str] = field(default_factory=list)

    @classmethod
    def load(cls, s: Session, items: list[PlanItem]) -> _Bulk:
        case_ids = [i.case_id for i in items]
        if not items or len(set(case_ids)) != len(case_ids):
            # A case due under two rules in one window: read item by item (in order).
            return cls(None, {}, {}, None)
        # Rows fetched here sit in the session's identity map: get() finds them there.
        list(s.scalars(select(PlanItem).where(PlanItem.id.in_([i.id for i in items]))))
        list(s.scalars(select(Case).where(Case.id.in_(case_ids))))
        by_case: dict[int, list[tuple[Document, PackageKind | None]]] = defaultdict(list)
        for doc, kind in s.execute(
            select(Document, Package.kind)
            .outerjoin(Package, Package.id == Document.package_id)
            .where(Document.case_id.in_(case_ids))
            .order_by(Document.id)
        ):
            if doc.case_id is not None:
                by_case[doc.case_id].append((doc, kind))
        holders: dict[str, set[int]] = defaultdict(set)
        pages: dict[str, int] = {}
        pkgs: dict[int, list[Package]] = defaultdict(list)
        disposing = [i.case_id for i in items if i.action == "dispose"]
        if disposing:
            ids = [d.id for c in disposing for d, _k in by_case.get(c, [])]
            for doc_id, case_id in s.execute(
                select(CaseDocument.document_id, CaseDocument.case_id).where(
                    CaseDocument.document_id.in_(ids)
                )
            ):
                holders[doc_id].add(case_id)
            pages = {
                doc_id: int(n)
                for doc_id, n in s.execute(
                    select(Page.document_id, func.count())
                    .where(Page.document_id.in_(ids))
                    .group_by(Page.document_id)
                )
            }
            list(s.scalars(select(CaseRegistration).where(CaseRegistration.case_id.in_(disposing))))
            for pkg in s.scalars(select(Package).where(Package.case_id.in_(disposing))):
                pkgs[pkg.case_id].append(pkg)
        return cls(by_case, holders, pages, pkgs)

    def docs(
        self, s: Session, item: PlanItem, one: Callable[[Session, PlanItem], list[Document]]
    ) -> list[Document]:
        if self.by_case is None:
            return one(s, item)
        rows = self.by_case.get(item.case_id, [])
        if item.rule and item.facts.get("package") == "output":
            return [d for d, kind in rows if kind == PackageKind.output]
        return [d for d, _kind in rows]

    def simple(self, case_id: int, doc_ids: list[str]) -> bool:
        """No document of the case is held by another case (known from the bulk read)."""
        if self.by_case is None:
            return False
        return all(self.holders.get(i, set()) <= {case_id} for i in doc_ids)

    def packages(self, s: Session, case_id: int) -> list[Package]:
        if self.pkgs is None:
            return list(s.scalars(select(Package).where(Package.case_id == case_id)))
        return self.pkgs.get(case_id, [])

    def delete(self, s: Session) -> None:
        ids, self.gone = self.gone, []
        for start in range(0, len(ids), 500):
            chunk = ids[start : start + 500]
            s.execute(delete(DocumentFinding).where(DocumentFinding.document_id.in_(chunk)))
            s.execute(delete(Page).where(Page.document_id.in_(chunk)))
            # Every case holding a destroyed document lets go of it (issue 9, item 3).
            s.execute(delete(CaseDocument).where(CaseDocument.document_id.in_(chunk)))
            s.add_all(IndexOutbox(document_id=i, op="delete") for i in chunk)
            s.execute(delete(Document).where(Document.id.in_(chunk)))


def act_of(s: Session, plan: Plan, institution: str) -> forms.Act:
    """The act's rows: destroyed files grouped by index and the year they were closed."""
    groups: dict[tuple[str, int], list[tuple[str, dt.date, str, str]]] = defaultdict(list)
    q = (
        select(
            PlanItem.case_number,
            PlanItem.nomenclature,
            PlanItem.period,
            PlanItem.article,
            PlanItem.clock_start,
            Case.closed_at,
            Case.registered_at,
        )
        .join(Case, Case.id == PlanItem.case_id)
        .where(PlanItem.plan_id == plan.id, PlanItem.action == "dispose")
        .order_by(PlanItem.seq)
    )
    titles: dict[str, str] = {}
    from retention.rules import parse

    try:
        from archive.retention_models import RuleSet as Row

        row = s.get(Row, plan.ruleset_id) if plan.ruleset_id else None
        rs = parse(row.text, row.name) if row is not None else None
    except Exception:
        rs = None
    if rs is None:
        from retention.rules import example

        rs = example()
    titles = {k: e.title for k, e in rs.entries.items()}
    meta: dict[tuple[str, int], tuple[str, str]] = {}
    for number, index, period, article, start, closed, registered in s.execute(q):
        closed_d = (closed or registered).date()
        key = (index or "—", start.year - 1)
        groups[key].append((number, closed_d, period or "", article or ""))
        meta[key] = (period or "", article or "")
    rows = []
    for (index, year), cases in sorted(groups.items()):
        dates = [c[1] for c in cases]
        nums = [c[0] for c in cases]
        rows.append(
            forms.ActRow(
                title=titles.get(index, index),
                first=min(dates),
                last=max(dates),
                year=year,
                index=index,
                files=len(cases),
                period=meta[(index, year)][0],
                article=meta[(index, year)][1],
                notes=f"справи № {nums[0]}" + (f" – № {nums[-1]}" if len(nums) > 1 else ""),
            )
        )
    return forms.Act(
        number=plan.number,
        date=plan.as_of,
        institution=institution,
        rows=rows,
        ek_decision=plan.ek_decision,
        ek_date=plan.ek_date,
        epk_reference=plan.epk_reference,
        epk_date=plan.epk_date,
    )
