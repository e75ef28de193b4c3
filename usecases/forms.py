"""The desk's printed forms: cover sheet, inventory of the incoming package, routing sheet.

The renderers are plain functions over a case (registration uses them too);
the three ``print_*`` use cases open the case through the policy, write one
audit entry and leave the PDF at ``dest`` (default: the print directory).
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pikepdf
from sqlalchemy import select

from archive import cases as ops
from archive.audit import Action
from archive.models import Case, PackageKind, utcnow
from backends import Archive
from usecases.access import event
from usecases.case_access import desk_errors, open_case, open_case_for_desk
from usecases.context import Context
from usecases.errors import NotFound
from usecases.policy import Level
from usecases.registry import use_case


def ukrainian_datetime(moment: dt.datetime) -> str:
    """«6 травня 2026 р., 10:30», as on the printed forms (for the adapters' answers)."""
    from scanner.inventory import ukrainian_datetime as render

    return render(moment)


# --- masking ---------------------------------------------------------------------------


def mask_name(name: str | None) -> str | None:
    """Initials only (``Шевченко Тарас`` → ``Ш. Т.``)."""
    if not name:
        return name
    return " ".join(w[:1].upper() + "." for w in name.split() if w[:1].isalpha())


# --- rendering -------------------------------------------------------------------------


@dataclass(slots=True)
class Forms:
    cover_sheet: Path
    inventory: Path
    # The case's copy alone (the second half of the inventory), archived with the case.
    inventory_case_copy: Path


def safe_name(number: str) -> str:
    """A case number usable in a file name (``2026/00001`` → ``2026-00001``)."""
    return "".join(ch if ch.isalnum() or ch in "-_." else "-" for ch in number)


def form_path_name(number: str, centre: str, what: str) -> str:
    """The file name of a printed form: case number and centre, so that cases of the same
    number in two centres never replace each other's file (issue 9, item 10).

    The centre is written readably and also as a short hash of its exact name:
    names that differ only in characters a file name cannot keep stay apart.
    """
    tag = hashlib.sha256(centre.encode()).hexdigest()[:8]
    return f"справа-{safe_name(number)}-{safe_name(centre)[:60]}-{tag}-{what}.pdf"


def cover_sheet_for(case: Case, package: str) -> Any:
    """The cover sheet of a case's package (raises CaseError when it cannot be printed)."""
    from scanner.cover_sheet import CoverSheet

    try:
        return CoverSheet(case.number, package, case.centre)  # type: ignore[arg-type]
    except ValueError as exc:
        raise ops.CaseError(f"титульний аркуш не друкується: {exc}") from exc


def check_centre(centre: str) -> None:
    """A centre's name goes into every cover sheet's QR code, so it must fit there."""
    from scanner.cover_sheet import CoverSheet

    try:
        CoverSheet("0", "input", centre)
    except ValueError as exc:
        raise ops.CaseError(f"назва ЦНАП не вміщується в QR-код титульного аркуша: {exc}") from exc


def render_cover(archive: Archive, case: Case, package: str, dest: Path, *, full: bool) -> Path:
    from scanner.cover_sheet import render_cover_sheet_pdf

    sheet = cover_sheet_for(case, package)
    return render_cover_sheet_pdf(
        sheet,
        dest,
        service=case.service,
        applicant=case.applicant_ref if full else mask_name(case.applicant_ref),
        printed_at=ops.local_time(utcnow(), archive.settings.desk.timezone),
    )


@dataclass(frozen=True, slots=True)
class Person:
    """Who signs a form: the full name and position of an account, or its login."""

    name: str
    position: str | None = None

    def line(self) -> str:
        return f"{self.name}, {self.position}" if self.position else self.name


def people(archive: Archive, logins: Sequence[str | None]) -> dict[str, Person]:
    """The people behind routing-sheet actors (``local:`` console accounts keep their name)."""
    from archive.users import User

    wanted = {lg for lg in logins if lg}
    found: dict[str, Person] = {}
    if wanted:
        with archive.db.session() as s:
            for u in s.scalars(select(User).where(User.login.in_(wanted))):
                found[u.login] = Person(u.full_name or u.login, u.position)
    for lg in wanted - found.keys():
        found[lg] = Person(lg.removeprefix("local:"))
    return found


def centre_header(archive: Archive, centre: str) -> tuple[str, list[str]]:
    """The centre's full name and its address, phone and code, for the forms' header.

    The full name and details are those of the archive's own centre; another
    centre's forms (a station's case) show the short name only.
    """
    desk = archive.settings.desk
    if centre != archive.settings.centre:
        return centre, []
    details = [
        f"адреса: {desk.centre_address}" if desk.centre_address else "",
        f"тел. {desk.centre_phone}" if desk.centre_phone else "",
        f"код: {desk.centre_code}" if desk.centre_code else "",
    ]
    return desk.centre_full_name or centre, [d for d in details if d]


def expected_result(start: dt.date, working_days: int) -> dt.date:
    """``working_days`` working days (Monday to Friday) after ``start``."""
    day, left = start, working_days
    while left:
        day += dt.timedelta(days=1)
        if day.weekday() < 5:
            left -= 1
    return day


def render_inventory(
    archive: Archive, case: Case, items: Sequence[ops.Item], administrator: str, dest: Path
) -> Path:
    from scanner.inventory import render_inventory_pdf

    if not items:
        # Cases created by ``ingest --case`` were never registered at the desk.
        raise ops.CaseError("справу не реєстрували в ЦНАП: опису вхідного пакета немає")
    desk = archive.settings.desk
    received = ops.local_time(case.registered_at, desk.timezone)
    who = people(archive, [administrator]).get(administrator, Person(administrator or "—"))
    name, details = centre_header(archive, case.centre)
    return render_inventory_pdf(
        dest,
        case_number=case.number,
        service=case.service or "—",
        applicant=case.applicant_ref or "—",
        centre=name,
        centre_details=details,
        administrator=who.name,
        administrator_position=who.position,
        documents=[(i.title, i.sheets) for i in items],
        received_at=received,
        notify=ops.NOTIFY_UA.get(case.notify_method or "", None),
        delivery=ops.DELIVERY_UA.get(case.delivery_method or "", None),
        expected=expected_result(received.date(), desk.result_working_days),
    )


def render_case_inventory(archive: Archive, case: Case, dest: Path) -> Path:
    """The two-copy inventory of a registered case, as registered."""
    with archive.db.session() as s:
        live = s.get(Case, case.id)
        assert live is not None
        items = ops.items_of(s, live)
        who = administrator_name(live, ops.registration_of(s, live))
    return render_inventory(archive, case, items, who, dest)


def render_routing_sheet(archive: Archive, case: Case, dest: Path, *, full: bool) -> Path:
    from scanner.inventory import render_routing_sheet_pdf

    with archive.db.session() as s:
        live = s.get(Case, case.id)
        assert live is not None
        rows = ops.routing_rows(s, live, archive.settings.desk.timezone, full=full)
        actors = [ev.actor for ev in ops.events(s, live)]
    # The "who" column: the person's full name and position, as they sign.
    known = people(archive, actors)
    by_short = {lg.removeprefix("local:"): p for lg, p in known.items()}
    rows = [(at, what, by_short[who].line() if who in by_short else who) for at, what, who in rows]
    name, details = centre_header(archive, case.centre)
    return render_routing_sheet_pdf(
        dest,
        case_number=case.number,
        events=rows,
        centre=name,
        service=case.service,
        centre_details=details,
    )


def _case_copy(inventory: Path, dest: Path) -> Path:
    """The second copy of the two-copy inventory (both copies have the same pages)."""
    with pikepdf.open(inventory) as pdf:
        n = len(pdf.pages)
        if n % 2:
            pdf.save(dest, deterministic_id=True)
            return dest
        with pikepdf.new() as out:
            for page in pdf.pages[n // 2 :]:
                out.pages.append(page)
            out.save(dest, deterministic_id=True)
    return dest


def administrator_name(case: Case, reg: ops.CaseRegistration | None) -> str:
    """The login of who registered the case (its person is looked up when printing)."""
    return (reg.registered_by if reg else None) or "—"


def render_forms(archive: Archive, case: Case, out_dir: Path, work_dir: Path) -> Forms:
    """The cover sheet (incoming package) and the two-copy inventory of a registered case.

    The case's copy alone, to be archived, goes to ``work_dir``.
    """
    out_dir.mkdir(parents=True, exist_ok=True)
    with archive.db.session() as s:
        live = s.get(Case, case.id)
        assert live is not None
        items = ops.items_of(s, live)
        reg = ops.registration_of(s, live)

    def name(what: str) -> str:
        return form_path_name(case.number, case.centre, what)

    cover = render_cover(archive, case, "input", out_dir / name("титульний-аркуш"), full=True)
    inventory = render_inventory(
        archive, case, items, administrator_name(case, reg), out_dir / name("опис")
    )
    copy = _case_copy(inventory, work_dir / name("опис-примірник-справи"))
    return Forms(cover, inventory, copy)


# --- use cases -------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class PrintedForm:
    """A form printed for a case: where the PDF is."""

    case_id: int
    case_number: str
    path: Path


def _target(archive: Archive, dest: Path | None, case: Case, what: str) -> Path:
    target = dest or archive.settings.print_dir / form_path_name(case.number, case.centre, what)
    target.parent.mkdir(parents=True, exist_ok=True)
    return target


@use_case(Action.case_routing_sheet)
def print_routing_sheet(
    ctx: Context,
    *,
    case_id: int | None = None,
    number: str | None = None,
    centre: str | None = None,
    dest: Path | None = None,
) -> PrintedForm:
    """The routing sheet of a case, masked below full access (``case routing-sheet``)."""
    case, decision = open_case(
        ctx.archive,
        ctx.events,
        ctx.principal,
        case_id=case_id,
        number=number,
        centre=centre,
        action=Action.case_routing_sheet,
    )
    target = _target(ctx.archive, dest, case, "лист-проходження")
    render_routing_sheet(ctx.archive, case, target, full=decision.level >= Level.FULL)
    return PrintedForm(case.id, case.number, target)


@use_case(Action.case_cover_sheet)
def print_cover_sheet(
    ctx: Context,
    *,
    case_id: int | None = None,
    number: str | None = None,
    centre: str | None = None,
    package: PackageKind = PackageKind.output,
    dest: Path | None = None,
) -> PrintedForm:
    """The cover sheet of a case's package, with its QR code (a desk action)."""
    case = open_case_for_desk(
        ctx.archive,
        ctx.events,
        ctx.principal,
        Action.case_cover_sheet,
        case_id=case_id,
        number=number,
        centre=centre,
    )
    # Named in Ukrainian like the incoming package's sheet printed at registration.
    what = "титульний-аркуш" if package == PackageKind.input else "титульний-аркуш-вихідний"
    target = _target(ctx.archive, dest, case, what)
    with desk_errors():
        render_cover(ctx.archive, case, package.value, target, full=True)
    ctx.events.publish(
        event(
            ctx.principal,
            Action.case_cover_sheet,
            case=case.number,
            details={"package": package.value},
        )
    )
    return PrintedForm(case.id, case.number, target)


@use_case(Action.case_inventory)
def print_inventory(
    ctx: Context,
    *,
    case_id: int | None = None,
    number: str | None = None,
    centre: str | None = None,
    dest: Path | None = None,
) -> PrintedForm:
    """The inventory of the incoming package again, both copies (needs full access)."""
    case, _ = open_case(
        ctx.archive,
        ctx.events,
        ctx.principal,
        case_id=case_id,
        number=number,
        centre=centre,
        need=Level.FULL,
        action=Action.case_inventory,
        log_allowed=False,
    )
    target = _target(ctx.archive, dest, case, "опис")
    try:
        render_case_inventory(ctx.archive, case, target)
    except ops.CaseError as exc:
        # A case made by ``ingest --case`` has no inventory: there is nothing to print.
        raise NotFound(str(exc), code="no_inventory") from exc
    ctx.events.publish(
        event(ctx.principal, Action.case_inventory, case=case.number, details={"level": "full"})
    )
    return PrintedForm(case.id, case.number, target)


__all__ = [
    "Forms",
    "Person",
    "PrintedForm",
    "administrator_name",
    "centre_header",
    "check_centre",
    "cover_sheet_for",
    "expected_result",
    "form_path_name",
    "mask_name",
    "people",
    "print_cover_sheet",
    "print_inventory",
    "print_routing_sheet",
    "render_case_inventory",
    "render_cover",
    "render_forms",
    "render_inventory",
    "render_routing_sheet",
    "safe_name",
    "ukrainian_datetime",
]
