"""Two years of a centre under a controlled clock: exactly the right items are
notified, moved, offered for destruction and destroyed; holds block; the journal resumes."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import func, select

from archive.models import Case, CaseEvent, CaseStatus, Document, Page, Tier
from archive.retention_models import PlanStep, Tombstone
from archive.users import Role
from tests.retention.conftest import Centre, make_case, objects
from usecases import retention as uc
from usecases.errors import Conflict, Denied, Invalid

D = dt.date


def _world(c: Centre) -> dict[str, str]:
    return {
        # collected in person: only the 3-year disposal applies
        "collected": make_case(
            c, 1, registered=D(2024, 2, 1), ready=D(2024, 2, 10), collected=D(2024, 2, 12)
        ),
        # not collected, has a contact: the 2-month post to-do
        "post": make_case(c, 2, registered=D(2026, 1, 5), ready=D(2026, 1, 31)),
        # not collected, no contact: 3 months at the centre, then archival storage
        "nocontact": make_case(c, 3, registered=D(2026, 1, 5), ready=D(2026, 1, 31), contact=None),
        "held": make_case(c, 4, registered=D(2026, 1, 5), ready=D(2026, 1, 31), contact=None),
        # collected late in 2025: destroyed only from 1 January 2029
        "late": make_case(
            c, 5, registered=D(2025, 11, 1), ready=D(2025, 12, 1), collected=D(2025, 12, 30)
        ),
    }


def _due(c: Centre, day: dt.date) -> set[tuple[str, str, str | None]]:
    rep = uc.plan_due(c.ctx(), as_of=day)
    return {(x.case, x.action, x.blocked) for x in rep.lines}


def test_two_years(centre: Centre) -> None:
    c = centre
    n = _world(c)
    uc.place_hold(c.ctx(), target=n["held"], reason="судовий спір № 1")
    # 2026-03-30: the result of 31 January is two months old on 31 March — nothing yet.
    assert not [x for x in _due(c, D(2026, 3, 30)) if x[1] == "notify"]
    todo = uc.uncollected(c.ctx(Role.administrator, "adm"), as_of=D(2026, 3, 31))
    assert [r["case"] for r in todo] == [n["post"]]
    # 2026-04-30: three months since 31 January (month end): the no-contact result moves.
    due = _due(c, D(2026, 4, 29))
    assert (n["nocontact"], "transfer", None) not in due
    due = _due(c, D(2026, 4, 30))
    assert (n["nocontact"], "transfer", None) in due
    assert (n["held"], "transfer", "hold") in due
    with pytest.raises(Denied):
        uc.plan_due(c.ctx(Role.administrator, "adm"), as_of=D(2026, 4, 30))
    plan = uc.draft_plan(c.ctx(), as_of=D(2026, 4, 30))
    assert plan.items == 1 and not plan.needs_agreement
    with pytest.raises(Conflict):
        uc.apply_plan(c.ctx(), number=plan.number)  # not approved
    uc.approve_plan(c.ctx(), number=plan.number, decision="ЕК-7")
    before = objects(c, Tier.operational)
    rep = uc.apply_plan(c.ctx(), number=plan.number)
    assert rep["done"] == 1 and rep["state"] == "applied"
    moved = before - objects(c, Tier.operational)
    assert len(moved) == 1 and moved <= objects(c, Tier.archival)
    with c.archive.db.session() as s:
        case = s.scalar(select(Case).where(Case.number == n["nocontact"]))
        assert case is not None and case.status == CaseStatus.archived
        kinds = [e.kind for e in s.scalars(select(CaseEvent).where(CaseEvent.case_id == case.id))]
        assert "retention.transferred" in kinds
    # A re-run does nothing twice.
    again = uc.apply_plan(c.ctx(), number=plan.number)
    assert again["done"] == 0 and again["already"] == 1
    # 2027-01-01: the 2024 case (closed 2024, 3 years from 2025-01-01) is not yet due.
    assert not [x for x in _due(c, D(2027, 6, 1)) if x[1] == "dispose"]
    # 2028-01-01: due; the late-2025 case is not (its period ends 2029-01-01).
    due = {x for x in _due(c, D(2028, 2, 1)) if x[1] == "dispose"}
    assert due == {(n["collected"], "dispose", None)}
    plan2 = uc.draft_plan(c.ctx(), as_of=D(2028, 2, 1))
    assert plan2.needs_agreement
    uc.approve_plan(c.ctx(), number=plan2.number, decision="ЕК-12", date=D(2028, 1, 20))
    with pytest.raises(Conflict):
        uc.apply_plan(c.ctx(), number=plan2.number)  # the ЕПК has not agreed yet
    uc.agree_plan(c.ctx(), number=plan2.number, reference="ЕПК-3", date=D(2028, 1, 28))
    rep = uc.apply_plan(c.ctx(), number=plan2.number)
    assert rep["by_action"] == {"dispose": 1}
    with c.archive.db.session() as s:
        case = s.scalar(select(Case).where(Case.number == n["collected"]))
        assert case is not None
        assert (
            s.scalar(select(func.count()).select_from(Document).where(Document.case_id == case.id))
            == 0
        )
        assert s.scalar(select(func.count()).select_from(Page)) == 4 * 1 + 4  # others untouched
        tomb = s.scalar(select(Tombstone).where(Tombstone.case_id == case.id))
        assert tomb is not None and tomb.what["documents"] == 2 and tomb.act_number == plan2.number
        assert case.applicant_ref is None
    pdf = uc.act_pdf(c.ctx(), number=plan2.number)
    assert pdf.startswith(b"%PDF")
    # The held case stays where it is until released; then it is planned.
    assert (n["held"], "transfer", "hold") in _due(c, D(2028, 2, 1))
    uc.release_hold(c.ctx(), case=n["held"], reason="спір завершено")
    assert (n["held"], "transfer", None) in _due(c, D(2028, 2, 1))
    # Every step has exactly one audit entry.
    entries = c.events.log.entries(actions=["retention.transfer", "retention.destroy"])
    assert len(entries) == 2
    with c.archive.db.session() as s:
        steps = list(s.scalars(select(PlanStep).where(PlanStep.step == "record")))
        assert all(x.audit_seq is not None for x in steps)


def test_bad_rules_keep_rules_in_force(centre: Centre) -> None:
    c = centre
    good = uc.show_rules(c.ctx())
    assert good.example
    with pytest.raises(Invalid) as exc:
        uc.load_rules(c.ctx(), text="year: 2026\nnomenclature: x\n", name="bad.yaml")
    assert any("рядок" in p for p in exc.value.details["problems"])
    assert uc.show_rules(c.ctx()).sha256 == good.sha256
