"""Cases at the desk: register, show, find, send, notify, issue; reserve journal numbers.

The use cases (``register_case``, ``show_case``, ``find_case``, ``send_case``,
``notify_case``, ``issue_case``, ``reserve_numbers``) take a
:class:`~usecases.context.Context`, write one audit entry named for the
action and raise only :mod:`usecases.errors`. Beneath them are the plain
steps they share (``register``, ``act``, ``reserve``, ``case_json``), which
take the backends, the publisher and the principal one by one and raise the
desk's own errors (``CaseError``, ``JournalError``); the printed forms are in
:mod:`usecases.forms`, the access rules in :mod:`usecases.case_access`.
"""

from __future__ import annotations

import datetime as dt
import tempfile
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import select

from archive import cases as ops
from archive.audit import Action, Events
from archive.journal import JournalBlock, JournalError, check_code, local_year, reserve_block
from archive.metadata_models import DocumentMetadata
from archive.models import Case, DocState, Document, Package, PackageKind, Source, utcnow
from backends import Archive
from ingest.dispatch import Dispatcher
from ingest.metadata import label
from ingest.metadata.inventory import check_inventory
from usecases.access import event
from usecases.case_access import (
    case_scope,
    desk_errors,
    open_case,
    open_case_for_desk,
    require_desk,
)
from usecases.context import Context
from usecases.errors import Denied, Invalid, NotFound
from usecases.forms import (
    Forms,
    check_centre,
    mask_name,
    render_forms,
    render_routing_sheet,
    safe_name,
)
from usecases.policy import Level, Principal
from usecases.registry import use_case

# --- the case as JSON ----------------------------------------------------------------------


def _mask_contact(text: str | None) -> str | None:
    if not text:
        return text
    from archive.findings import classify
    from pii import mask

    found = classify(text)
    if found and found[0].kind != "name":
        return mask(found[0].value, found[0].kind)
    alnum = [i for i, ch in enumerate(text) if ch.isalnum()]
    hide = set(alnum[: max(0, len(alnum) - 2)])
    return "".join("•" if i in hide else ch for i, ch in enumerate(text))


def _iso(at: dt.datetime | None) -> str | None:
    return at.isoformat() if at else None


def case_json(archive: Archive, case: Case, *, full: bool) -> dict[str, Any]:
    """``case show`` / ``GET /api/cases/{id}``: below full access, people are masked."""
    tz = archive.settings.desk.timezone
    with archive.db.session() as s:
        live = s.get(Case, case.id)
        assert live is not None
        reg = ops.registration_of(s, live)
        packages = list(
            s.scalars(select(Package).where(Package.case_id == live.id).order_by(Package.id))
        )
        pkg_json = []
        for pkg in packages:
            docs = sorted(d.id for d in pkg.documents)
            pkg_json.append(
                {
                    "kind": pkg.kind.value,
                    "received_at": _iso(pkg.received_at),
                    "issued_at": _iso(pkg.issued_at),
                    "collected_at": _iso(pkg.collected_at),
                    "inventory": [
                        {"title": r.get("title"), "sheets": r.get("sheets")}
                        for r in (pkg.inventory or [])
                    ]
                    if full
                    else [],
                    "documents": docs,
                }
            )
        case_docs = list(
            s.scalars(
                select(Document)
                .where(Document.case_id == live.id)
                .order_by(Document.created_at, Document.id)
            )
        )
        empty = ops.pages_without_text(s, [d.id for d in case_docs if d.state == DocState.archived])
        kinds = {pkg.id: pkg.kind.value for pkg in packages}
        rows = s.execute(
            select(DocumentMetadata.document_id, DocumentMetadata.type).where(
                DocumentMetadata.document_id.in_([d.id for d in case_docs])
            )
        )
        types: dict[str, str] = {doc_id: code for doc_id, code in rows}
        documents = [
            {
                "id": d.id,
                # File names may name people: below full access only the kind of form.
                "title": d.original_name if full else _form_title(d),
                "pages": d.page_count,
                "state": d.state.value,
                "package": kinds.get(d.package_id or -1),
                "received_at": _iso(d.created_at),
                "received_local": ops.local_time(d.created_at, tz).isoformat(timespec="minutes"),
                "empty_pages": empty.get(d.id, []),
                # What the document is (metadata extraction); None until classified.
                "type": label(types[d.id]) if d.id in types else None,
                "type_code": types.get(d.id),
            }
            for d in case_docs
        ]
        checked = _inventory_check(packages, case_docs, types, full=full)
        routing = [
            {
                "at": _iso(ev.at),
                "at_local": ops.local_time(ev.at, tz).isoformat(timespec="minutes"),
                "event": ev.kind,
                "actor": ev.actor,
                "text": ops.describe(ev, full=full),
            }
            for ev in ops.events(s, live)
        ]
        return {
            "id": live.id,
            "number": live.number,
            "centre": live.centre,
            "workplace": live.workplace,
            "department": live.department,
            "service": live.service,
            "applicant": live.applicant_ref if full else mask_name(live.applicant_ref),
            "contact": (reg.contact if full else _mask_contact(reg.contact)) if reg else None,
            "status": live.status.value,
            "notify": live.notify_method,
            "delivery": live.delivery_method,
            "registered_at": _iso(live.registered_at),
            "registered_local": ops.local_time(live.registered_at, tz).isoformat(
                timespec="minutes"
            ),
            "year": local_year(live.registered_at, tz),
            "closed_at": _iso(live.closed_at),
            "offline": bool(reg.offline) if reg else False,
            "packages": pkg_json,
            "documents": documents,
            # Pages where OCR found no text, for the administrator to check against the paper.
            "pages_to_check": [
                {"document_id": d["id"], "pages": d["empty_pages"]}
                for d in documents
                if d["empty_pages"]
            ],
            "routing": routing,
            # Listed in the inventory but not scanned, or scanned but not listed
            # (None when no package has an inventory).
            "inventory_check": checked,
            "masked": not full,
        }


def _inventory_check(
    packages: Sequence[Package],
    case_docs: Sequence[Document],
    types: dict[str, str],
    *,
    full: bool,
) -> dict[str, Any] | None:
    """The packages' inventories against the types of their scanned documents."""
    listed = [pkg for pkg in packages if pkg.inventory]
    if not listed:
        return None
    missing: list[dict[str, Any]] = []
    extra: list[dict[str, Any]] = []
    unclassified: list[str] = []
    for pkg in listed:
        scanned = [
            (d.id, types.get(d.id))
            for d in case_docs
            # The printed inventory archived with the case is the list, not a listed item.
            if d.package_id == pkg.id and d.state != DocState.rejected and not _is_form(d)
        ]
        titles = [str(row.get("title") or "") for row in pkg.inventory]
        result = check_inventory(titles, scanned)
        for m in result.missing:
            # Titles are written by hand and may name people: below full access,
            # the type they were read as instead.
            shown = m.title if full else (label(m.types[0]) if len(m.types) == 1 else "Документ")
            missing.append(
                {"package": pkg.kind.value, "title": shown, "types": [t.value for t in m.types]}
            )
        extra += [
            {"package": pkg.kind.value, "document_id": i, "type": label(types[i])}
            for i in result.extra
        ]
        unclassified += result.unclassified
    return {"missing": missing, "extra": extra, "unclassified": unclassified}


def _is_form(doc: Document) -> bool:
    return bool((doc.meta or {}).get("form"))


def _form_title(doc: Document) -> str:
    form = (doc.meta or {}).get("form")
    return "Опис вхідного пакета" if form == "inventory" else "Документ"


@dataclass(frozen=True, slots=True)
class CaseView:
    """A case as the caller may see it (masked below full access)."""

    case_id: int
    number: str
    full: bool
    data: dict[str, Any]

    def as_json(self) -> dict[str, Any]:
        return self.data


# --- register --------------------------------------------------------------------------------


@dataclass(slots=True)
class Registered:
    case: Case
    forms: Forms | None
    inventory_document_id: str | None
    new: bool
    released: list[dict[str, Any]]
    year: int = 0

    def as_json(self, archive: Archive | None = None) -> dict[str, Any]:
        c = self.case
        year = local_year(c.registered_at, archive.settings.desk.timezone) if archive else self.year
        return {
            "id": c.id,
            "number": c.number,
            "centre": c.centre,
            "workplace": c.workplace,
            "year": year,
            "service": c.service,
            "status": c.status.value,
            "notify": c.notify_method,
            "delivery": c.delivery_method,
            "registered_at": c.registered_at.isoformat(),
            "cover_sheet": str(self.forms.cover_sheet) if self.forms else None,
            "inventory": str(self.forms.inventory) if self.forms else None,
            "inventory_document_id": self.inventory_document_id,
            "new": self.new,
            "released_parts": self.released,
        }


def register(
    archive: Archive,
    events: Events,
    p: Principal,
    reg: ops.Registration,
    *,
    out_dir: Path | None,
    dispatcher: Dispatcher | None,
    block_id: int | None = None,
    wait: bool = False,
) -> Registered:
    """Register a case at the desk: number, package, inventory, forms, the case copy archived.

    ``out_dir`` keeps the printable forms (the API renders into a temporary
    directory and serves them on request). With ``dispatcher`` the archived
    inventory copy is processed there; ``wait`` blocks until it is.
    """
    from ingest.batch import accept_into_case, flush_index, release_held

    require_desk(archive, events, p, reg.centre, Action.case_register)
    if p.workplace:
        reg.workplace = p.workplace
    check_centre(reg.centre)
    with archive.db.session() as s:
        if block_id is not None:
            block = s.get(JournalBlock, block_id)
            if block is None or block.centre != reg.centre:
                raise ops.CaseError("резерв номерів не знайдено")
            if p.workplace and block.workplace not in (None, p.workplace):
                raise ops.CaseError("резерв номерів належить іншому робочому місцю")
            reg.block = block
        done = ops.register(s, archive.settings, reg)
        case = done.case
    released: list[dict[str, Any]] = []
    doc_id: str | None = None
    with tempfile.TemporaryDirectory(dir=archive.settings.work_dir) as tmp:
        forms = render_forms(archive, case, out_dir or Path(tmp), Path(tmp))
        # A registration sent again keeps the copy archived the first time (a
        # new rendering differs in its timestamps and would be a second document).
        doc_id = archived_inventory(archive, case)
        if doc_id is None:
            doc_id = accept_into_case(
                archive,
                forms.inventory_case_copy,
                case,
                PackageKind.input,
                name=f"Опис вхідного пакета, справа № {case.number} (примірник справи).pdf",
                actor=p.login,
                meta={"form": "inventory"},
                source=Source.upload,
            ).document_id
    if dispatcher is not None:
        dispatcher.submit(doc_id)
    if done.new:
        released = [
            r.as_json()
            for r in release_held(
                archive, case.centre, case.number, actor=p.login, dispatcher=dispatcher
            )
        ]
    events.publish(event(p, Action.case_register, case=case.number, details={"new": done.new}))
    if wait and dispatcher is not None:
        dispatcher.wait([doc_id, *[r["document_id"] for r in released if r["document_id"]]])
        flush_index(archive, dispatcher)
    year = local_year(case.registered_at, archive.settings.desk.timezone)
    return Registered(case, forms if out_dir else None, doc_id, done.new, released, year)


def archived_inventory(archive: Archive, case: Case) -> str | None:
    """The id of the case's archived inventory copy, if there is one."""
    with archive.db.session() as s:
        docs = s.scalars(select(Document).where(Document.case_id == case.id))
        return next((d.id for d in docs if (d.meta or {}).get("form") == "inventory"), None)


def _registered_at(block_id: int | None, at: dt.datetime | None) -> dt.datetime | None:
    """When a station registered offline: only with a reserved number, never in the future."""
    if at is None:
        return None
    if block_id is None:
        raise Invalid("Час реєстрації задається лише для номера з резерву (офлайн)")
    if at.tzinfo is None:
        raise Invalid("Час реєстрації має містити часовий пояс")
    if at > utcnow() + dt.timedelta(minutes=10):
        raise Invalid("Час реєстрації в майбутньому")
    return at


@use_case(Action.case_register)
def register_case(
    ctx: Context,
    *,
    service: str,
    applicant: str | None = None,
    centre: str | None = None,
    items: Sequence[ops.Item | str] = (),
    notify: ops.Notify = ops.Notify.none,
    contact: str | None = None,
    delivery: ops.Delivery = ops.Delivery.in_person,
    department: str | None = None,
    registration_id: str | None = None,
    block_id: int | None = None,
    block_seq: int | None = None,
    registered_at: dt.datetime | None = None,
    out_dir: Path | None = None,
    wait: bool = False,
) -> Registered:
    """Register a case (``case register``, ``POST /api/cases``, a station's offline number).

    ``items`` are the documents handed over (``Item`` or ``"Назва:аркушів"``);
    ``out_dir`` keeps the printable forms; ``wait`` blocks until the archived
    inventory copy is processed by ``ctx.dispatcher``.
    """
    p = ctx.principal
    centre = centre or p.centre or ctx.archive.settings.centre
    # Refused before the input is judged, as the API always answered (403 before 422).
    require_desk(ctx.archive, ctx.events, p, centre, Action.case_register)
    if (block_id is None) != (block_seq is None):
        raise Invalid("block_id і block_seq задаються разом")
    with desk_errors():
        reg = ops.Registration(
            service=service,
            centre=centre,
            applicant=applicant,
            department=department,
            notify=notify,
            contact=contact,
            delivery=delivery,
            items=[i if isinstance(i, ops.Item) else ops.Item.parse(i) for i in items],
            actor=p.login,
            registered_at=_registered_at(block_id, registered_at),
            registration_id=registration_id,
            block_seq=block_seq,
        )
        return register(
            ctx.archive,
            ctx.events,
            p,
            reg,
            out_dir=out_dir,
            dispatcher=ctx.dispatcher,
            block_id=block_id,
            wait=wait,
        )


# --- reading ---------------------------------------------------------------------------------


def _view(ctx: Context, action: Action, **ref: Any) -> CaseView:
    case, decision = open_case(ctx.archive, ctx.events, ctx.principal, action=action, **ref)
    full = decision.level >= Level.FULL
    return CaseView(case.id, case.number, full, case_json(ctx.archive, case, full=full))


@use_case(Action.case_read)
def show_case(
    ctx: Context,
    *,
    case_id: int | None = None,
    number: str | None = None,
    centre: str | None = None,
) -> CaseView:
    """A case, its packages and routing (``case show``, ``GET /api/cases/{id}``)."""
    return _view(ctx, Action.case_read, case_id=case_id, number=number, centre=centre)


@use_case(Action.case_find)
def find_case(ctx: Context, *, number: str, centre: str | None = None) -> CaseView:
    """A case found by its number (``GET /api/cases?number=``)."""
    return _view(ctx, Action.case_find, number=number, centre=centre)


# --- routing, notice, hand-over ----------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Step:
    """One desk step written into the routing sheet."""

    case: str
    status: str
    event: str
    at: str
    text: str

    def as_json(self) -> dict[str, Any]:
        return asdict(self)


def act(
    archive: Archive,
    events: Events,
    p: Principal,
    op: Action | str,
    case: Case,
    **kw: Any,
) -> dict[str, Any]:
    """One desk step on a case (``case.send`` / ``case.notify`` / ``case.issue``).

    The caller has opened the case for the desk; raises ``CaseError`` when the
    step breaks a rule of the desk.
    """
    action = Action(op)
    with archive.db.session() as s:
        live = s.get(Case, case.id)
        assert live is not None
        if action == Action.case_send:
            ev = ops.send(s, live, kw["department"], p.login)
        elif action == Action.case_notify:
            ev = ops.notify(s, live, kw["method"], p.login, note=kw.get("note"))
        elif action == Action.case_issue:
            ev = ops.issue(
                s,
                live,
                kw["to"],
                p.login,
                identity_document=kw.get("document"),
                name=kw.get("name"),
                method=kw.get("method", ops.Delivery.in_person),
            )
        else:  # pragma: no cover - programming error
            raise ValueError(op)
        s.flush()
        out = {
            "case": live.number,
            "status": live.status.value,
            "event": ev.kind,
            "at": ev.at.isoformat(),
            "text": ops.describe(ev, full=True),
        }
    events.publish(event(p, action, case=case.number))
    return out


def _step(
    ctx: Context,
    action: Action,
    case_id: int | None,
    number: str | None,
    centre: str | None,
    **kw: Any,
) -> Step:
    case = open_case_for_desk(
        ctx.archive,
        ctx.events,
        ctx.principal,
        action,
        case_id=case_id,
        number=number,
        centre=centre,
    )
    with desk_errors():
        return Step(**act(ctx.archive, ctx.events, ctx.principal, action, case, **kw))


@use_case(Action.case_send)
def send_case(
    ctx: Context,
    *,
    department: str,
    case_id: int | None = None,
    number: str | None = None,
    centre: str | None = None,
) -> Step:
    """Send the case to the service provider (a line of the routing sheet)."""
    return _step(ctx, Action.case_send, case_id, number, centre, department=department)


@use_case(Action.case_notify)
def notify_case(
    ctx: Context,
    *,
    method: ops.Notify,
    note: str | None = None,
    case_id: int | None = None,
    number: str | None = None,
    centre: str | None = None,
) -> Step:
    """Record how the applicant was told the result is ready."""
    return _step(ctx, Action.case_notify, case_id, number, centre, method=method, note=note)


@use_case(Action.case_issue)
def issue_case(
    ctx: Context,
    *,
    to: ops.Recipient,
    document: str | None = None,
    name: str | None = None,
    method: ops.Delivery = ops.Delivery.in_person,
    case_id: int | None = None,
    number: str | None = None,
    centre: str | None = None,
) -> Step:
    """Record the hand-over of the result: to whom, when, against which document."""
    return _step(
        ctx,
        Action.case_issue,
        case_id,
        number,
        centre,
        to=to,
        document=document,
        name=name,
        method=method,
    )


# --- mistakes undone ----------------------------------------------------------------------------


@use_case(Action.case_annul)
def annul_case(
    ctx: Context,
    *,
    reason: str,
    case_id: int | None = None,
    number: str | None = None,
    centre: str | None = None,
) -> Step:
    """Annul a case registered by mistake (``case annul``): kept, its number never reused."""
    case = open_case_for_desk(
        ctx.archive,
        ctx.events,
        ctx.principal,
        Action.case_annul,
        case_id=case_id,
        number=number,
        centre=centre,
    )
    with desk_errors(), ctx.archive.db.session() as s:
        live = s.get(Case, case.id)
        assert live is not None
        ev = ops.annul(s, live, ctx.actor, reason)
        s.flush()
        step = Step(
            live.number, live.status.value, ev.kind, ev.at.isoformat(), ops.describe(ev, full=True)
        )
    ctx.events.publish(event(ctx.principal, Action.case_annul, case=case.number))
    return step


@dataclass(frozen=True, slots=True)
class Moved:
    """A document filed in another case: from where, to where, the routing-sheet line."""

    document_id: str
    source: str | None
    case: str
    package: str
    at: str
    text: str

    def as_json(self) -> dict[str, Any]:
        return asdict(self)


def move(
    archive: Archive,
    events: Events,
    p: Principal,
    dispatcher: Dispatcher | None,
    action: Action,
    document_id: str,
    *,
    case: str,
    reason: str,
    centre: str | None = None,
    package: PackageKind | None = None,
    details: dict[str, Any] | None = None,
) -> Moved:
    """Move a document to another case (shared by ``document move`` and ``batch reassign``).

    The caller must be an administrator of both cases' centre with full access
    to both; a document or case out of reach looks exactly like a missing one.
    """
    require_desk(archive, events, p, archive.settings.centre, action)
    with archive.db.session() as s:
        doc = s.get(Document, document_id)
        source_id = doc.case_id if doc is not None else None
    if doc is None:
        raise NotFound("Документ не знайдено", code="document_not_found")
    if source_id is not None:
        try:
            open_case_for_desk(archive, events, p, action, case_id=source_id)
        except (Denied, NotFound):
            raise NotFound("Документ не знайдено", code="document_not_found") from None
    target = open_case_for_desk(archive, events, p, action, number=case, centre=centre)
    with desk_errors(), archive.db.session() as s:
        live = s.get(Document, document_id)
        to = s.get(Case, target.id)
        assert live is not None and to is not None
        src, ev = ops.move_document(s, live, to, p.login, reason, package=package)
        s.flush()
        moved = Moved(
            live.id,
            src.number if src is not None else None,
            to.number,
            str(ev.details.get("package")),
            ev.at.isoformat(),
            ops.describe(ev, full=True),
        )
    events.publish(
        event(
            p,
            action,
            document_id=document_id,
            case=moved.case,
            details={"from": moved.source, "to": moved.case, **(details or {})},
        )
    )
    if dispatcher is not None:
        dispatcher.flush_index()
    else:
        from ingest.dispatch.base import flush_index_now

        flush_index_now(archive)
    return moved


@use_case(Action.document_move)
def move_document(
    ctx: Context,
    *,
    document_id: str,
    case: str,
    reason: str,
    centre: str | None = None,
    package: PackageKind | None = None,
) -> Moved:
    """File a document in the right case (``document move``, ``POST /api/documents/{id}/move``)."""
    return move(
        ctx.archive,
        ctx.events,
        ctx.principal,
        ctx.dispatcher,
        Action.document_move,
        document_id,
        case=case,
        reason=reason,
        centre=centre,
        package=package,
    )


# --- the journal -----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class NumberBlock:
    """A block of case numbers reserved for a workplace's offline station."""

    id: int
    centre: str
    year: int
    workplace_code: str
    workplace: str | None
    first: int
    last: int
    number_format: str
    first_number: str
    last_number: str

    def as_json(self) -> dict[str, Any]:
        return asdict(self)


def block_json(block: JournalBlock) -> dict[str, Any]:
    return {
        "id": block.id,
        "centre": block.centre,
        "year": block.year,
        "workplace_code": block.series,
        "workplace": block.workplace,
        "first": block.first_seq,
        "last": block.last_seq,
        "number_format": block.number_format,
        "first_number": block.number(block.first_seq),
        "last_number": block.number(block.last_seq),
    }


def reserve(
    archive: Archive,
    events: Events,
    p: Principal,
    *,
    code: str,
    size: int | None,
    centre: str | None = None,
    year: int | None = None,
) -> dict[str, Any]:
    """Reserve a block of case numbers for a workplace's offline station."""
    where = centre or p.centre or archive.settings.centre
    require_desk(archive, events, p, where, Action.journal_reserve)
    desk = archive.settings.desk
    size = size or desk.block_size
    if not 1 <= size <= desk.max_block_size:
        raise JournalError(f"розмір резерву: від 1 до {desk.max_block_size}")
    check_code(code)
    this_year = local_year(utcnow(), desk.timezone)
    year = year or this_year
    if year not in (this_year, this_year + 1):
        raise JournalError("резервувати можна на поточний або наступний рік")
    with archive.db.session() as s:
        block = reserve_block(
            s,
            centre=where,
            year=year,
            code=code,
            size=size,
            fmt=desk.block_number_format,
            workplace=p.workplace,
            actor=p.login,
        )
        out = block_json(block)
    events.publish(event(p, Action.journal_reserve, details={"block": out["id"], "size": size}))
    return out


@use_case(Action.journal_reserve)
def reserve_numbers(
    ctx: Context,
    *,
    code: str,
    size: int | None = None,
    centre: str | None = None,
    year: int | None = None,
) -> NumberBlock:
    """Reserve case numbers for a workplace to register offline (``POST /api/journal/blocks``)."""
    with desk_errors():
        return NumberBlock(
            **reserve(
                ctx.archive,
                ctx.events,
                ctx.principal,
                code=code,
                size=size,
                centre=centre,
                year=year,
            )
        )


__all__ = [
    "CaseView",
    "Moved",
    "NumberBlock",
    "Registered",
    "Step",
    "act",
    "annul_case",
    "archived_inventory",
    "block_json",
    "case_json",
    "case_scope",
    "find_case",
    "issue_case",
    "move",
    "move_document",
    "notify_case",
    "open_case",
    "open_case_for_desk",
    "register",
    "register_case",
    "render_routing_sheet",
    "reserve",
    "reserve_numbers",
    "safe_name",
    "send_case",
    "show_case",
]
