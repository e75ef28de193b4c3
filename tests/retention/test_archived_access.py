"""Archived documents are the archivists': administrators and officials see that they exist
and open them only by break-glass (usecases/policy.py)."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select

from archive.audit import Action
from archive.models import Case, Document, Tier
from archive.users import Role
from tests.retention.conftest import CENTRE, Centre, make_case
from usecases import access
from usecases import retention as uc
from usecases.context import Context
from usecases.errors import Denied
from usecases.policy import DocScope, Level, Principal, base_level, decide

D = dt.date
REASON = "Запит суду № 12/345 щодо справи"


def _scope(archival: bool) -> DocScope:
    return DocScope("d1", "2026/00001", CENTRE, None, "ДМС", archival)


@pytest.mark.parametrize(
    ("p", "live", "archived"),
    [
        (Principal("adm", Role.administrator, centre=CENTRE), Level.FULL, Level.METADATA),
        (
            Principal("off", Role.official, centre=CENTRE, department="ДМС"),
            Level.FULL,
            Level.METADATA,
        ),
        (Principal("arch", Role.archivist, centre=CENTRE), Level.METADATA, Level.MASKED),
        (Principal("dpo", Role.dpo, centre=CENTRE), Level.METADATA, Level.METADATA),
        (Principal("it", Role.sysadmin, centre=CENTRE), Level.NONE, Level.NONE),
    ],
)
def test_levels_narrow_when_archived(p: Principal, live: Level, archived: Level) -> None:
    assert base_level(p, _scope(False)).level == live
    assert base_level(p, _scope(True)).level == archived
    # Break-glass still opens it fully for the roles that have it, never for the others.
    glass = decide(p, _scope(True), REASON)
    assert glass.level == (
        Level.FULL if p.role != Role.dpo and p.role != Role.sysadmin else archived
    )


def test_transferred_documents_need_break_glass_at_the_desk(centre: Centre) -> None:
    c = centre
    number = make_case(c, 1, registered=D(2026, 1, 5), ready=D(2026, 1, 31), contact=None)
    plan = uc.draft_plan(c.ctx(), as_of=D(2026, 5, 4))
    uc.approve_plan(c.ctx(), number=plan.number, decision="ЕК-1")
    uc.apply_plan(c.ctx(), number=plan.number)
    with c.archive.db.session() as s:
        case = s.scalar(select(Case).where(Case.number == number))
        assert case is not None
        doc = s.scalar(
            select(Document).where(
                Document.case_id == case.id, Document.original_tier == Tier.archival
            )
        )
        assert doc is not None
        doc_id = doc.id
    admin = Context(c.archive, Principal("adm", Role.administrator, centre=CENTRE), c.events)
    with pytest.raises(Denied):
        access.open_document(admin, doc_id, Action.document_text)
    got = access.open_document(admin, doc_id, Action.document_text, reason=REASON)
    assert got.decision.break_glass
    meta = access.open_document(admin, doc_id, Action.document_metadata)
    assert meta.decision.level == Level.METADATA
    archivist = Context(c.archive, Principal("arch", Role.archivist, centre=CENTRE), c.events)
    seen = access.open_document(archivist, doc_id, Action.document_text)
    assert seen.decision.level == Level.MASKED and not seen.decision.break_glass


def test_routing_sheet_says_it_in_ukrainian(centre: Centre) -> None:
    from archive.cases import routing_rows

    c = centre
    number = make_case(c, 1, registered=D(2026, 1, 5), ready=D(2026, 1, 31), contact=None)
    uc.place_hold(c.ctx(), target=number, reason="судовий спір № 3")
    uc.release_hold(c.ctx(), case=number, reason="спір завершено")
    plan = uc.draft_plan(c.ctx(), as_of=D(2026, 5, 4))
    uc.approve_plan(c.ctx(), number=plan.number, decision="ЕК-1")
    uc.apply_plan(c.ctx(), number=plan.number)
    with c.archive.db.session() as s:
        case = s.scalar(select(Case).where(Case.number == number))
        assert case is not None
        lines = [r[1] for r in routing_rows(s, case, "Europe/Kyiv", full=False)]
    assert "Утримання знято" in lines
    assert any(x.startswith("Накладено утримання") for x in lines)
    assert (
        "Передано на архівне зберігання за планом № 1 (правило uncollected-archive); "
        "зберігати до 01.01.2030" in lines
    )
    assert not [x for x in lines if x.startswith("retention.")]
