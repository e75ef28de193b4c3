"""The desk's case use cases called directly: allowed or denied, one audit entry each."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from archive import cases as ops
from archive.audit import AccessEvent, Action, Outcome
from archive.models import PackageKind
from archive.settings import Settings
from archive.users import Role
from backends import Archive
from ingest.dispatch import LocalDispatcher
from usecases import cases, forms
from usecases.access import events_for
from usecases.context import Context
from usecases.errors import Denied, Invalid, NotFound
from usecases.policy import Principal
from usecases.registry import USE_CASES

HOME = "ЦНАП Житомир"
ADMIN = Principal("olena", Role.administrator, HOME, address="test")
ADMIN_WP = Principal("ira", Role.administrator, HOME, "ВРМ Зарічне", address="test")
OTHER_ADMIN = Principal("petro", Role.administrator, "ЦНАП Бердичів", address="test")
OFFICIAL = Principal("oksana", Role.official, HOME, department="ДМС", address="test")
SYSADMIN = Principal("root", Role.sysadmin, HOME, address="test")


class Desk:
    """An archive of one centre, the events it published, a Context per caller."""

    def __init__(self, archive: Archive, dispatcher: LocalDispatcher) -> None:
        self.archive = archive
        self.dispatcher = dispatcher
        self.events = events_for(archive)
        self.seen: list[AccessEvent] = []
        self.events.subscribe(self.seen.append)

    def ctx(self, p: Principal) -> Context:
        return Context(self.archive, p, self.events, self.dispatcher)

    def call(self, fn: Callable[..., Any], p: Principal, **kw: Any) -> tuple[Any, list[Any]]:
        """The result and the (action, outcome) pairs the call published."""
        start = len(self.seen)
        result = fn(self.ctx(p), **kw)
        return result, [(e.action, e.outcome) for e in self.seen[start:]]

    def refused(
        self, fn: Callable[..., Any], p: Principal, error: type[Exception], **kw: Any
    ) -> list[Any]:
        start = len(self.seen)
        with pytest.raises(error):
            fn(self.ctx(p), **kw)
        return [(e.action, e.outcome) for e in self.seen[start:]]


@pytest.fixture(scope="module")
def desk(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Desk]:
    archive = Archive(Settings(data_dir=tmp_path_factory.mktemp("uc") / "data", centre=HOME))
    archive.init()
    dispatcher = LocalDispatcher(archive, workers=1)
    try:
        yield Desk(archive, dispatcher)
    finally:
        dispatcher.close()
        archive.close()


def _register(desk: Desk, p: Principal = ADMIN) -> cases.Registered:
    done, logged = desk.call(
        cases.register_case,
        p,
        service="Реєстрація місця проживання",
        applicant="Шевченко Тарас Григорович",
        items=[ops.Item("Заява", 1), "Копія паспорта:2"],
        notify=ops.Notify.sms,
        contact="+380671234567",
        department="ДМС",
        wait=True,
    )
    assert logged == [(Action.case_register, Outcome.allowed)]
    return done  # type: ignore[no-any-return]


def test_every_desk_use_case_is_registered_with_its_action() -> None:
    want = {
        "cases.register_case": Action.case_register,
        "cases.show_case": Action.case_read,
        "cases.find_case": Action.case_find,
        "cases.send_case": Action.case_send,
        "cases.notify_case": Action.case_notify,
        "cases.issue_case": Action.case_issue,
        "cases.reserve_numbers": Action.journal_reserve,
        "forms.print_routing_sheet": Action.case_routing_sheet,
        "forms.print_cover_sheet": Action.case_cover_sheet,
        "forms.print_inventory": Action.case_inventory,
    }
    assert {name: USE_CASES[name].audit for name in want} == want


def test_register_and_read(desk: Desk) -> None:
    done = _register(desk)
    assert done.new and done.inventory_document_id and done.as_json()["year"] >= 2026
    number = done.case.number
    view, logged = desk.call(cases.show_case, OFFICIAL, case_id=done.case.id)
    assert logged == [(Action.case_read, Outcome.allowed)]
    assert view.full and view.as_json()["contact"] == "+380671234567"
    view, logged = desk.call(cases.find_case, ADMIN_WP, number=number)
    assert logged == [(Action.case_find, Outcome.allowed)]
    assert not view.full and view.as_json()["applicant"] == "Ш. Т. Г."
    # Another centre's administrator and the sysadmin: refused, and the refusal is logged;
    # issue 9: a case outside the caller's scope is NotFound, exactly like a missing one.
    for p in (OTHER_ADMIN, SYSADMIN):
        logged = desk.refused(cases.show_case, p, NotFound, case_id=done.case.id)
        assert logged == [(Action.case_read, Outcome.denied)]
    assert desk.refused(cases.show_case, ADMIN, NotFound, number="2099/99999") == []


def test_register_is_the_administrators(desk: Desk) -> None:
    logged = desk.refused(cases.register_case, OFFICIAL, Denied, service="Послуга")
    assert logged == [(Action.case_register, Outcome.denied)]
    # A rule of the desk broken is Invalid, not the subsystem's own error.
    assert desk.refused(cases.register_case, ADMIN, Invalid, service="  ") == []
    assert desk.refused(cases.register_case, ADMIN, Invalid, service="x", block_id=1) == []


def test_routing_steps(desk: Desk) -> None:
    case = _register(desk).case
    step, logged = desk.call(cases.send_case, ADMIN, case_id=case.id, department="ДМС")
    assert logged == [(Action.case_send, Outcome.allowed)] and step.event == "case.sent"
    step, logged = desk.call(cases.notify_case, ADMIN, number=case.number, method=ops.Notify.sms)
    assert logged == [(Action.case_notify, Outcome.allowed)]
    # In person needs the identity document: Invalid, and nothing is logged as done.
    logged = desk.refused(
        cases.issue_case, ADMIN, Invalid, case_id=case.id, to=ops.Recipient.applicant
    )
    assert logged == []
    logged = desk.refused(
        cases.issue_case, OFFICIAL, Denied, case_id=case.id, to=ops.Recipient.applicant
    )
    assert logged == [(Action.case_issue, Outcome.denied)]
    step, logged = desk.call(
        cases.issue_case, ADMIN, case_id=case.id, to=ops.Recipient.applicant, document="ID 1"
    )
    assert logged == [(Action.case_issue, Outcome.allowed)]
    assert step.as_json()["status"] == "issued"


def test_reserve_numbers(desk: Desk) -> None:
    block, logged = desk.call(cases.reserve_numbers, ADMIN_WP, code="ВРМ3", size=3)
    assert logged == [(Action.journal_reserve, Outcome.allowed)]
    assert block.workplace == "ВРМ Зарічне" and block.last - block.first == 2
    assert desk.refused(cases.reserve_numbers, ADMIN, Invalid, code="ВРМ 3") == []
    logged = desk.refused(cases.reserve_numbers, OFFICIAL, Denied, code="ВРМ3")
    assert logged == [(Action.journal_reserve, Outcome.denied)]


def test_printed_forms(desk: Desk, tmp_path: Path) -> None:
    case = _register(desk).case
    for fn, action, kw in (
        (forms.print_routing_sheet, Action.case_routing_sheet, {}),
        (forms.print_inventory, Action.case_inventory, {}),
        (forms.print_cover_sheet, Action.case_cover_sheet, {"package": PackageKind.output}),
    ):
        dest = tmp_path / f"{action.value}.pdf"
        form, logged = desk.call(fn, ADMIN, case_id=case.id, dest=dest, **kw)
        assert logged == [(action, Outcome.allowed)]
        assert form.path == dest and dest.read_bytes().startswith(b"%PDF")
    # The routing sheet is shown masked to another workplace; the inventory is not shown.
    form, logged = desk.call(forms.print_routing_sheet, ADMIN_WP, case_id=case.id,
                             dest=tmp_path / "m.pdf")  # fmt: skip
    assert logged == [(Action.case_routing_sheet, Outcome.allowed)]
    logged = desk.refused(forms.print_inventory, ADMIN_WP, Denied, case_id=case.id)
    assert logged == [(Action.case_inventory, Outcome.denied)]
    logged = desk.refused(forms.print_cover_sheet, OFFICIAL, Denied, case_id=case.id)
    assert logged == [(Action.case_cover_sheet, Outcome.denied)]
    # The default place is the print directory, named by the case number.
    form, _ = desk.call(forms.print_routing_sheet, ADMIN, number=case.number)
    assert form.path.parent == desk.archive.settings.print_dir
