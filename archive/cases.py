"""The desk's steps of a case: register, route, notify, issue — each one a routing-sheet event.

Every function here runs inside the caller's session and appends
:class:`~archive.models.CaseEvent` rows (the electronic routing sheet, лист
про проходження справи, append-only in the database). Nothing here renders
paper or checks permissions: forms are drawn by :mod:`scanner.inventory` and
:mod:`scanner.cover_sheet`, access is decided in :mod:`usecases.policy`.
"""

from __future__ import annotations

import datetime as dt
import enum
import uuid
from dataclasses import dataclass, field
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import BigInteger, Boolean, ForeignKey, Integer, String, delete, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from archive.journal import JournalBlock, JournalError, Taken, local_year, next_number
from archive.models import (
    Base,
    Case,
    CaseDocument,
    CaseEvent,
    CaseStatus,
    DocState,
    Document,
    IndexOutbox,
    Package,
    PackageKind,
    UTCDateTime,
    utcnow,
)
from archive.settings import Settings


class Notify(enum.StrEnum):
    """How the applicant wants to learn that the result is ready."""

    sms = "sms"
    email = "email"
    phone = "phone"
    post = "post"
    diia = "diia"
    in_person = "in_person"
    none = "none"


class Delivery(enum.StrEnum):
    """How the applicant wants to receive the result."""

    in_person = "in_person"
    post = "post"
    email = "email"
    diia = "diia"
    none = "none"


class Recipient(enum.StrEnum):
    applicant = "applicant"
    representative = "representative"


NOTIFY_UA: dict[str, str] = {
    "sms": "SMS-повідомлення",
    "email": "електронною поштою",
    "phone": "телефоном",
    "post": "поштою",
    "diia": "через Дію",
    "in_person": "особисто в ЦНАП",
    "none": "не повідомляти",
}
DELIVERY_UA: dict[str, str] = {
    "in_person": "особисто в ЦНАП",
    "post": "поштою",
    "email": "електронною поштою",
    "diia": "через Дію",
    "none": "не визначено",
}
PACKAGE_UA: dict[str, str] = {"input": "вхідний пакет", "output": "вихідний пакет (результат)"}
STATUS_UA: dict[str, str] = {
    "registered": "зареєстровано",
    "sent": "передано суб’єкту надання послуги",
    "result_received": "результат надійшов",
    "issued": "результат видано",
    "archived": "передано до архіву",
    "annulled": "анульовано",
}
RECIPIENT_UA: dict[str, str] = {"applicant": "суб’єкту звернення", "representative": "представнику"}


class CaseRegistration(Base):
    """What the journal records about a registration beyond the case row."""

    __tablename__ = "case_registrations"

    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), primary_key=True)
    # Chosen by the desk or station: re-sending a registration never creates a second case.
    registration_id: Mapped[str | None] = mapped_column(String(64), unique=True)
    year: Mapped[int] = mapped_column(Integer)
    seq: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"))
    block_id: Mapped[int | None] = mapped_column(ForeignKey("journal_blocks.id"))
    # The applicant's address, phone or e-mail for the notice (personal data).
    contact: Mapped[str | None] = mapped_column(String(500))
    registered_by: Mapped[str | None] = mapped_column(String(200))
    offline: Mapped[bool] = mapped_column(Boolean, default=False)
    recorded_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)


class CaseError(Exception):
    """A desk step that cannot be done (message in Ukrainian)."""


class UnknownCase(CaseError):
    """No such case."""


@dataclass(slots=True)
class Item:
    """One document handed over: title and number of sheets (the inventory's row)."""

    title: str
    sheets: int = 1

    def __post_init__(self) -> None:
        self.title = " ".join(self.title.split())
        if not self.title or len(self.title) > 300:
            raise CaseError("назва документа: 1–300 символів")
        if not 1 <= self.sheets <= 10_000:
            raise CaseError("кількість аркушів: від 1 до 10000")

    @classmethod
    def parse(cls, text: str) -> Item:
        """``Назва:аркушів`` or just ``Назва`` (one sheet)."""
        title, sep, sheets = text.rpartition(":")
        if sep and sheets.strip().isdigit():
            return cls(title, int(sheets))
        return cls(text, 1)


@dataclass(slots=True)
class Registration:
    """An incoming package to register (from the desk, the API or a station)."""

    service: str
    centre: str
    applicant: str | None = None
    workplace: str | None = None
    department: str | None = None
    notify: Notify = Notify.none
    contact: str | None = None
    delivery: Delivery = Delivery.in_person
    items: list[Item] = field(default_factory=list)
    actor: str | None = None
    # Set for a registration made earlier offline: when it happened, and the
    # block number it got at the station.
    registered_at: dt.datetime | None = None
    registration_id: str | None = None
    block: JournalBlock | None = None
    block_seq: int | None = None

    def __post_init__(self) -> None:
        self.service = " ".join(self.service.split())
        if not self.service or len(self.service) > 500:
            raise CaseError("назва послуги: 1–500 символів")
        if self.applicant is not None:
            self.applicant = " ".join(self.applicant.split()) or None
            if self.applicant and len(self.applicant) > 500:
                raise CaseError("суб’єкт звернення: до 500 символів")
        if self.contact is not None and len(self.contact) > 500:
            raise CaseError("контакт: до 500 символів")
        if self.registration_id is not None and not 8 <= len(self.registration_id) <= 64:
            raise CaseError("ідентифікатор реєстрації: 8–64 символи")


@dataclass(slots=True)
class Registered:
    """The outcome of :func:`register`: the case and whether this call created it."""

    case: Case
    registration: CaseRegistration
    items: list[Item]
    new: bool


def new_registration_id() -> str:
    return uuid.uuid4().hex


def _event(
    s: Session,
    case: Case,
    kind: str,
    actor: str | None,
    at: dt.datetime | None = None,
    **details: Any,
) -> CaseEvent:
    ev = CaseEvent(case_id=case.id, kind=kind, actor=actor, at=at or utcnow(), details=details)
    s.add(ev)
    return ev


def register(s: Session, settings: Settings, reg: Registration) -> Registered:
    """Record a case with the next number of its journal, its incoming package and inventory.

    Idempotent by ``registration_id``: the same registration sent again
    returns the case recorded the first time.
    """
    if reg.registration_id:
        known = s.scalar(
            select(CaseRegistration).where(CaseRegistration.registration_id == reg.registration_id)
        )
        if known is not None:
            case = s.get(Case, known.case_id)
            assert case is not None
            return Registered(case, known, _items_of(s, case), new=False)
    at = reg.registered_at or utcnow()
    items = reg.items or [Item(settings.desk.default_item, 1)]
    if reg.block is not None:
        if reg.block_seq is None:
            raise CaseError("для номера з резерву потрібен його порядковий номер")
        if reg.block.centre != reg.centre:
            raise CaseError("резерв номерів належить іншому ЦНАП")
        taken = Taken(
            reg.block.number(reg.block_seq), reg.block.year, reg.block_seq, reg.block.series
        )
        clash = s.scalar(
            select(Case.id).where(Case.centre == reg.centre, Case.number == taken.number)
        )
        if clash is not None:
            raise CaseError(f"номер {taken.number} уже зареєстровано іншою реєстрацією")
    else:
        taken = next_number(s, reg.centre, at, settings.desk.number_format, settings.desk.timezone)
    case = Case(
        number=taken.number,
        service=reg.service,
        centre=reg.centre,
        workplace=reg.workplace,
        department=reg.department,
        applicant_ref=reg.applicant,
        status=CaseStatus.registered,
        notify_method=reg.notify.value,
        delivery_method=reg.delivery.value,
        registered_at=at,
    )
    s.add(case)
    s.flush()
    inventory = [{"title": i.title, "sheets": i.sheets, "document_id": None} for i in items]
    s.add(Package(case_id=case.id, kind=PackageKind.input, inventory=inventory, received_at=at))
    record = CaseRegistration(
        case_id=case.id,
        registration_id=reg.registration_id,
        year=taken.year,
        seq=taken.seq,
        block_id=reg.block.id if reg.block is not None else None,
        contact=reg.contact,
        registered_by=reg.actor,
        offline=reg.block is not None,
    )
    s.add(record)
    # Only counts go into the routing sheet: titles may name people.
    _event(
        s,
        case,
        "case.registered",
        reg.actor,
        at,
        number=taken.number,
        documents=len(items),
        sheets=sum(i.sheets for i in items),
        notify=reg.notify.value,
        delivery=reg.delivery.value,
        offline=reg.block is not None,
    )
    s.flush()
    return Registered(case, record, items, new=True)


def _items_of(s: Session, case: Case) -> list[Item]:
    pkg = s.scalar(
        select(Package).where(Package.case_id == case.id, Package.kind == PackageKind.input)
    )
    rows = pkg.inventory if pkg is not None else []
    return [Item(str(r.get("title") or "—"), int(r.get("sheets") or 1)) for r in rows]


def items_of(s: Session, case: Case) -> list[Item]:
    """The incoming package's inventory."""
    return _items_of(s, case)


def find_case(s: Session, centre: str, number: str) -> Case | None:
    return s.scalar(select(Case).where(Case.centre == centre, Case.number == number))


def get_case(s: Session, centre: str, number: str) -> Case:
    case = find_case(s, centre, number)
    if case is None:
        raise UnknownCase(f"справу № {number} не знайдено")
    return case


def registration_of(s: Session, case: Case) -> CaseRegistration | None:
    return s.get(CaseRegistration, case.id)


def _package(s: Session, case: Case, kind: PackageKind) -> Package:
    pkg = s.scalar(select(Package).where(Package.case_id == case.id, Package.kind == kind))
    if pkg is None:
        pkg = Package(case_id=case.id, kind=kind, inventory=[])
        s.add(pkg)
        s.flush()
    return pkg


def send(s: Session, case: Case, department: str, actor: str | None) -> CaseEvent:
    """The case goes to the service provider's department (it may then read it)."""
    department = " ".join(department.split())
    if not department or len(department) > 200:
        raise CaseError("підрозділ: 1–200 символів")
    refuse_annulled(case)
    if case.status in (CaseStatus.issued, CaseStatus.archived):
        raise CaseError("результат уже видано: справу не можна передати повторно")
    case.department = department
    if case.status == CaseStatus.registered:
        case.status = CaseStatus.sent
    return _event(s, case, "case.sent", actor, department=department)


def package_scanned(
    s: Session,
    case: Case,
    kind: PackageKind,
    *,
    document_id: str,
    pages: int,
    batch_id: str | None,
    actor: str | None,
) -> CaseEvent:
    """A scanned part of a batch was attached; an outgoing package means the result is back."""
    pkg = _package(s, case, kind)
    if pkg.received_at is None:
        pkg.received_at = utcnow()
    if kind == PackageKind.output and case.status in (CaseStatus.registered, CaseStatus.sent):
        case.status = CaseStatus.result_received
        _event(s, case, "result.received", actor, document_id=document_id)
    return _event(
        s,
        case,
        "package.scanned",
        actor,
        package=kind.value,
        document_id=document_id,
        pages=pages,
        batch_id=batch_id,
    )


def notify(
    s: Session, case: Case, method: Notify, actor: str | None, *, note: str | None = None
) -> CaseEvent:
    """Record how the applicant was told the result is ready."""
    refuse_annulled(case)
    if method == Notify.none:
        raise CaseError("вкажіть, як повідомлено заявника")
    if note is not None and len(note) > 500:
        raise CaseError("примітка: до 500 символів")
    details: dict[str, Any] = {"method": method.value}
    if note:
        details["note"] = note
    return _event(s, case, "case.notified", actor, **details)


def issue(
    s: Session,
    case: Case,
    to: Recipient,
    actor: str | None,
    *,
    identity_document: str | None = None,
    name: str | None = None,
    method: Delivery = Delivery.in_person,
    at: dt.datetime | None = None,
) -> CaseEvent:
    """Record the hand-over of the result: to whom, when, which identity document was shown."""
    refuse_annulled(case)
    if case.status == CaseStatus.archived:
        raise CaseError("справу передано на архівне зберігання")
    if case.status == CaseStatus.issued:
        raise CaseError("результат уже видано")
    if method == Delivery.none:
        raise CaseError("вкажіть спосіб видачі")
    if to == Recipient.representative and not name:
        raise CaseError("для представника вкажіть його прізвище та ініціали (--name)")
    if method == Delivery.in_person and not identity_document:
        raise CaseError("при видачі особисто вкажіть пред’явлений документ (--document)")
    for label, value in (("документ", identity_document), ("ім’я", name)):
        if value is not None and len(value) > 200:
            raise CaseError(f"{label}: до 200 символів")
    when = at or utcnow()
    pkg = _package(s, case, PackageKind.output)
    pkg.issued_at = when
    if method == Delivery.in_person:
        pkg.collected_at = when
    case.status = CaseStatus.issued
    case.closed_at = when
    details: dict[str, Any] = {"to": to.value, "method": method.value}
    # The event is the hand-over record (the law asks who received it on what
    # document); it is shown masked to anyone without full access to the case.
    if identity_document:
        details["identity_document"] = identity_document
    if name:
        details["name"] = name
    return _event(s, case, "case.issued", actor, when, **details)


def refuse_annulled(case: Case) -> None:
    """An annulled case takes no more steps (its number stays used, nothing more is filed)."""
    if case.status == CaseStatus.annulled:
        raise CaseError(f"справу № {case.number} анульовано: дії з нею неможливі")


def _reason(reason: str) -> str:
    reason = " ".join(reason.split())
    if not 5 <= len(reason) <= 500:
        raise CaseError("причина: 5–500 символів (її записано в листі проходження)")
    return reason


def annul(s: Session, case: Case, actor: str | None, reason: str) -> CaseEvent:
    """Annul a case registered by mistake: never deleted, its number is never given again."""
    reason = _reason(reason)
    refuse_annulled(case)
    if case.status in (CaseStatus.issued, CaseStatus.archived):
        raise CaseError("результат уже видано: справу не можна анулювати")
    case.status = CaseStatus.annulled
    case.closed_at = utcnow()
    return _event(s, case, "case.annulled", actor, number=case.number, reason=reason)


def move_document(
    s: Session,
    doc: Document,
    target: Case,
    actor: str | None,
    reason: str,
    *,
    package: PackageKind | None = None,
) -> tuple[Case | None, CaseEvent]:
    """File a document in another case: an event in both routing sheets, a batch part follows.

    Returns the case it left (None when it had none) and the target's event.
    """
    from archive.batches import BatchPart

    reason = _reason(reason)
    refuse_annulled(target)
    source = s.get(Case, doc.case_id) if doc.case_id is not None else None
    if source is not None and source.id == target.id:
        raise CaseError(f"документ уже у справі № {target.number}")
    old_pkg = s.get(Package, doc.package_id) if doc.package_id is not None else None
    kind = package or (old_pkg.kind if old_pkg is not None else PackageKind.input)
    pkg = _package(s, target, kind)
    if pkg.received_at is None:
        pkg.received_at = utcnow()
    doc.case_id, doc.package_id = target.id, pkg.id
    if source is not None:
        # The wrong case no longer holds it (the listener adds the right one's holding).
        s.execute(
            delete(CaseDocument).where(
                CaseDocument.case_id == source.id, CaseDocument.document_id == doc.id
            )
        )
        _event(
            s,
            source,
            "document.moved_out",
            actor,
            document_id=doc.id,
            to=target.number,
            reason=reason,
        )
    ev = _event(
        s,
        target,
        "document.moved_in",
        actor,
        document_id=doc.id,
        source=source.number if source is not None else None,
        package=kind.value,
        pages=doc.page_count,
        reason=reason,
    )
    # A part of a scanned batch filed by its cover sheet now names the case it belongs to.
    for part in s.scalars(select(BatchPart).where(BatchPart.document_id == doc.id)):
        part.centre, part.case_number, part.package = target.centre, target.number, kind.value
    if doc.state == DocState.archived:
        # The index carries the case number: it follows the document.
        s.add(IndexOutbox(document_id=doc.id, op="upsert"))
    return source, ev


def pages_without_text(s: Session, document_ids: list[str]) -> dict[str, list[int]]:
    """Pages of archived documents where OCR found no text (a photo, a blank, too dark).

    They are archived as images, but nothing on them can be searched: the
    administrator checks them against the paper.
    """
    from archive.models import Page

    if not document_ids:
        return {}
    found: dict[str, list[int]] = {}
    rows = s.execute(
        select(Page.document_id, Page.number, Page.text)
        .where(Page.document_id.in_(document_ids))
        .order_by(Page.document_id, Page.number)
    )
    for doc_id, number, text in rows:
        if not (text or "").strip():
            found.setdefault(doc_id, []).append(number)
    return found


def empty_pages_note(pages: list[int]) -> str:
    """The warning for pages without text, in Ukrainian."""
    listed = ", ".join(map(str, pages))
    word = "сторінці" if len(pages) == 1 else "сторінках"
    return (
        f"На {word} {listed} текст не розпізнано (фото, порожня або надто темна сторінка): "
        "перевірте скан і за потреби відскануйте ще раз"
    )


def events(s: Session, case: Case) -> list[CaseEvent]:
    return list(
        s.scalars(
            select(CaseEvent)
            .where(CaseEvent.case_id == case.id)
            .order_by(CaseEvent.at, CaseEvent.id)
        )
    )


# --- the routing sheet ------------------------------------------------------------


def describe(ev: CaseEvent, *, full: bool) -> str:
    """One routing-sheet line in Ukrainian; ``full`` shows the hand-over identity document."""
    d = ev.details or {}
    kind = ev.kind
    if kind == "case.registered":
        text = (
            f"Зареєстровано в журналі за № {d.get('number', '')}; прийнято вхідний пакет: "
            f"документів {d.get('documents', '—')}, аркушів {d.get('sheets', '—')}"
        )
        if d.get("offline"):
            text += " (на віддаленому робочому місці, без зв’язку)"
        if d.get("imported"):
            return f"{text} (за даними попереднього електронного архіву)"
        return (
            f"{text}. Повідомлення: {NOTIFY_UA.get(str(d.get('notify')), '—')}; "
            f"отримання результату: {DELIVERY_UA.get(str(d.get('delivery')), '—')}"
        )
    if kind == "document.received":
        pkg = PACKAGE_UA.get(str(d.get("package")), "пакет")
        return f"Отримано файл до справи ({pkg})"
    if kind == "document.archived":
        return f"Документ заархівовано, сторінок: {d.get('pages', '—')}"
    if kind == "document.rejected":
        return f"Файл не прийнято до архіву (код {d.get('code', '—')})"
    if kind == "package.scanned":
        pkg = PACKAGE_UA.get(str(d.get("package")), "пакет")
        return f"Відскановано {pkg}: сторінок {d.get('pages', '—')}"
    if kind == "case.sent":
        return f"Справу передано суб’єкту надання послуги: {d.get('department', '—')}"
    if kind == "result.received":
        return "Результат надання послуги (вихідний пакет) надійшов до ЦНАП"
    if kind == "case.notified":
        how = NOTIFY_UA.get(str(d.get("method")), "—")
        text = f"Суб’єкта звернення повідомлено про результат: {how}"
        return f"{text} ({d['note']})" if d.get("note") and full else text
    if kind == "case.issued":
        how = DELIVERY_UA.get(str(d.get("method")), "—")
        text = f"Результат видано {RECIPIENT_UA.get(str(d.get('to')), '')} ({how})"
        if d.get("name"):
            text += f": {d['name'] if full else _initials(str(d['name']))}"
        if d.get("identity_document"):
            doc = str(d["identity_document"])
            text += f"; пред’явлено документ {doc if full else mask_document(doc)}"
        return text
    if kind == "batch.attached":
        return "Сторінки зі сканованої пачки долучено до справи після перевірки"
    if kind.startswith("retention."):
        return _describe_retention(kind, d)
    if kind == "document.moved_out":
        text = f"Документ перенесено до справи № {d.get('to', '—')} (помилково долучений)"
        return f"{text}; причина: {d['reason']}" if full and d.get("reason") else text
    if kind == "document.moved_in":
        where = f" зі справи № {d['source']}" if d.get("source") else ""
        text = f"Документ перенесено{where} до цієї справи, сторінок: {d.get('pages') or '—'}"
        return f"{text}; причина: {d['reason']}" if full and d.get("reason") else text
    if kind == "case.closed":
        return "Справу закрито (за даними попереднього електронного архіву)"
    if kind == "case.imported":
        return (
            "Справу перенесено з попереднього електронного архіву "
            f"(маніфест {d.get('manifest', '—')}, рядок {d.get('row', '—')})"
        )
    if kind == "case.annulled":
        text = "Реєстрацію справи анульовано (номер у журналі лишається використаним)"
        return f"{text}; причина: {d['reason']}" if full and d.get("reason") else text
    return kind


def _describe_retention(kind: str, d: dict[str, Any]) -> str:
    """Retention steps (issue 12): on whose plan, under which rule; no personal data."""
    plan = f"за планом № {d['plan']}" if isinstance(d.get("plan"), int) else "за планом"
    if kind == "retention.transferred":
        until = d.get("retain_until")
        return f"Передано на архівне зберігання {plan} (правило {d.get('rule', '—')})" + (
            f"; зберігати до {dt.date.fromisoformat(str(until)):%d.%m.%Y}" if until else ""
        )
    if kind == "retention.destroyed":
        return (
            f"Документи знищено за актом № {d.get('act', '—')} (документів "
            f"{d.get('documents', '—')}, сторінок {d.get('pages', '—')})"
        )
    if kind == "retention.exported":
        return f"Справу включено до пакета передавання до архівної установи {plan}"
    if kind == "retention.reviewed":
        return f"Справу переглянуто експертною комісією {plan} (рішення {d.get('decision', '—')})"
    if kind == "retention.skipped":
        return "Позицію плану зберігання пропущено: на справу накладено утримання"
    if kind == "retention.hold":
        return "Накладено утримання (спір або розслідування): справу не передають і не знищують"
    if kind == "retention.released":
        return "Утримання знято"
    return kind


def _initials(name: str) -> str:
    return " ".join(w[:1].upper() + "." for w in name.split() if w[:1].isalpha())


def mask_document(text: str) -> str:
    """An identity document as a masked string: its letters kept, all but two digits hidden."""
    digits = [i for i, ch in enumerate(text) if ch.isdigit()]
    keep = set(digits[-2:]) if len(digits) > 4 else set()
    return "".join("•" if i in digits and i not in keep else ch for i, ch in enumerate(text))


def routing_rows(
    s: Session, case: Case, timezone: str, *, full: bool
) -> list[tuple[dt.datetime, str, str]]:
    """The routing sheet: (local time, what happened, who) for every event of the case."""
    tz = ZoneInfo(timezone)
    rows = []
    for ev in events(s, case):
        who = ev.actor or "система"
        if who.startswith("local:"):
            who = who.removeprefix("local:")
        rows.append((ev.at.astimezone(tz).replace(tzinfo=None), describe(ev, full=full), who))
    return rows


def local_time(at: dt.datetime, timezone: str) -> dt.datetime:
    """``at`` on the centre's wall clock (naive, as printed on forms)."""
    return at.astimezone(ZoneInfo(timezone)).replace(tzinfo=None)


def case_year(case: Case, timezone: str) -> int:
    return local_year(case.registered_at, timezone)


__all__ = [
    "CaseError",
    "CaseRegistration",
    "Delivery",
    "Item",
    "JournalError",
    "Notify",
    "Recipient",
    "Registered",
    "Registration",
    "UnknownCase",
    "annul",
    "describe",
    "empty_pages_note",
    "events",
    "find_case",
    "get_case",
    "issue",
    "items_of",
    "local_time",
    "mask_document",
    "move_document",
    "new_registration_id",
    "notify",
    "package_scanned",
    "pages_without_text",
    "refuse_annulled",
    "register",
    "registration_of",
    "routing_rows",
    "send",
]
