"""The desk through the policy and the access log, shared by the API and the command line.

Mirrors :mod:`usecases.access` for cases: every function asks :mod:`usecases.policy`
for the decision on the case (a case is judged like its documents: centre,
workplace, department, archival state), publishes the access event before
anything is shown, and returns only what the decision permits. Desk actions
(register, route, notify, issue, reserve numbers, upload scans) need the
upload capability in the case's centre — an administrator of that centre —
and full access to the case (its own workplace, for a workplace's
administrator).

Until ``archive.audit.Action`` gains case actions, desk events are logged as
:data:`READ` / :data:`WRITE` with ``details.op`` naming the step; the mapping
is in one place, here.
"""

from __future__ import annotations

import datetime as dt
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pikepdf
from sqlalchemy import select

from archive import cases as ops
from archive.audit import Action, Events, Outcome
from archive.journal import JournalBlock, JournalError, check_code, local_year, reserve_block
from archive.models import Case, CaseStatus, Document, Package, PackageKind, Source, utcnow
from backends import Archive
from ingest.dispatch import Dispatcher
from usecases.access import Denied, event, require
from usecases.policy import Capability, Decision, DocScope, Level, Principal, decide, may_upload_to

READ = Action.document_metadata
WRITE = Action.upload


class CaseNotFound(Exception):
    """No such case (or none the caller may know of)."""


# --- decisions ----------------------------------------------------------------------


def case_scope(case: Case) -> DocScope:
    """A case as the policy sees it (like a document of that case)."""
    return DocScope(
        document_id="",
        case=case.number,
        centre=case.centre,
        workplace=case.workplace,
        department=case.department,
        archival=case.status == CaseStatus.archived,
    )


def require_desk(archive: Archive, events: Events, p: Principal, centre: str, op: str) -> None:
    """Desk actions: an administrator of ``centre`` (the local console: any centre)."""
    require(events, p, Capability.upload, WRITE)
    if not may_upload_to(p, centre):
        events.publish(event(p, WRITE, Outcome.denied, details={"op": op, "why": "other_centre"}))
        raise Denied("Справи цього ЦНАП веде лише його адміністратор")


def _load(archive: Archive, case_id: int | None, number: str | None, centre: str | None) -> Case:
    with archive.db.session() as s:
        if case_id is not None:
            case = s.get(Case, case_id)
        else:
            assert number is not None
            case = ops.find_case(s, centre or archive.settings.centre, number)
        if case is None:
            raise CaseNotFound(number or str(case_id))
        return case


def open_case(
    archive: Archive,
    events: Events,
    p: Principal,
    *,
    case_id: int | None = None,
    number: str | None = None,
    centre: str | None = None,
    need: Level = Level.METADATA,
    op: str = "case.read",
    log_allowed: bool = True,
) -> tuple[Case, Decision]:
    """A case the principal may see at ``need`` level; the access (or refusal) is logged."""
    case = _load(archive, case_id, number, centre)
    decision = decide(p, case_scope(case))
    if not decision.allows(need):
        events.publish(
            event(
                p,
                READ if need < Level.FULL else WRITE,
                Outcome.denied,
                case=case.number,
                details={"op": op, "why": decision.why},
            )
        )
        raise Denied("Ця справа поза межами ваших повноважень")
    if log_allowed:
        events.publish(
            event(
                p, READ, case=case.number, details={"op": op, "level": decision.level.name.lower()}
            )
        )
    return case, decision


def open_case_for_desk(
    archive: Archive,
    events: Events,
    p: Principal,
    op: str,
    *,
    case_id: int | None = None,
    number: str | None = None,
    centre: str | None = None,
) -> Case:
    """A case the principal may act on at the desk."""
    case = _load(archive, case_id, number, centre)
    require_desk(archive, events, p, case.centre, op)
    case, _ = open_case(
        archive, events, p, case_id=case.id, need=Level.FULL, op=op, log_allowed=False
    )
    return case


# --- JSON -----------------------------------------------------------------------------


def _mask_name(name: str | None) -> str | None:
    if not name:
        return name
    return " ".join(w[:1].upper() + "." for w in name.split() if w[:1].isalpha())


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
            "applicant": live.applicant_ref if full else _mask_name(live.applicant_ref),
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
            "routing": routing,
            "masked": not full,
        }


# --- forms ----------------------------------------------------------------------------


@dataclass(slots=True)
class Forms:
    cover_sheet: Path
    inventory: Path
    # The case's copy alone (the second half of the inventory), archived with the case.
    inventory_case_copy: Path


def safe_name(number: str) -> str:
    """A case number usable in a file name (``2026/00001`` → ``2026-00001``)."""
    return "".join(ch if ch.isalnum() or ch in "-_." else "-" for ch in number)


def cover_sheet_for(case: Case, package: str) -> Any:
    """The cover sheet of a case's package (raises CaseError when it cannot be printed)."""
    from scanner.cover_sheet import CoverSheet

    try:
        return CoverSheet(case.number, package, case.centre)  # type: ignore[arg-type]
    except ValueError as exc:
        raise ops.CaseError(f"титульний аркуш не друкується: {exc}") from exc


def _check_centre(centre: str) -> None:
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
        applicant=case.applicant_ref if full else _mask_name(case.applicant_ref),
        printed_at=ops.local_time(utcnow(), archive.settings.desk.timezone),
    )


def render_inventory(
    archive: Archive, case: Case, items: Sequence[ops.Item], administrator: str, dest: Path
) -> Path:
    from scanner.inventory import render_inventory_pdf

    if not items:
        # Cases created by ``ingest --case`` were never registered at the desk.
        raise ops.CaseError("справу не реєстрували в ЦНАП: опису вхідного пакета немає")
    return render_inventory_pdf(
        dest,
        case_number=case.number,
        service=case.service or "—",
        applicant=case.applicant_ref or "—",
        centre=case.centre,
        administrator=administrator,
        documents=[(i.title, i.sheets) for i in items],
        received_at=ops.local_time(case.registered_at, archive.settings.desk.timezone),
    )


def render_routing_sheet(archive: Archive, case: Case, dest: Path, *, full: bool) -> Path:
    from scanner.inventory import render_routing_sheet_pdf

    with archive.db.session() as s:
        live = s.get(Case, case.id)
        assert live is not None
        rows = ops.routing_rows(s, live, archive.settings.desk.timezone, full=full)
    return render_routing_sheet_pdf(
        dest, case_number=case.number, events=rows, centre=case.centre, service=case.service
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
    who = (reg.registered_by if reg else None) or "—"
    return who.removeprefix("local:")


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
    stem = f"справа-{safe_name(case.number)}"
    cover = render_cover(archive, case, "input", out_dir / f"{stem}-титульний-аркуш.pdf", full=True)
    inventory = render_inventory(
        archive, case, items, administrator_name(case, reg), out_dir / f"{stem}-опис.pdf"
    )
    copy = _case_copy(inventory, work_dir / f"{stem}-опис-примірник-справи.pdf")
    return Forms(cover, inventory, copy)


# --- register ---------------------------------------------------------------------------


@dataclass(slots=True)
class Registered:
    case: Case
    forms: Forms | None
    inventory_document_id: str | None
    new: bool
    released: list[dict[str, Any]]

    def as_json(self, archive: Archive) -> dict[str, Any]:
        c = self.case
        tz = archive.settings.desk.timezone
        return {
            "id": c.id,
            "number": c.number,
            "centre": c.centre,
            "workplace": c.workplace,
            "year": local_year(c.registered_at, tz),
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

    require_desk(archive, events, p, reg.centre, "case.register")
    if p.workplace:
        reg.workplace = p.workplace
    _check_centre(reg.centre)
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
    events.publish(
        event(p, WRITE, case=case.number, details={"op": "case.register", "new": done.new})
    )
    if wait and dispatcher is not None:
        dispatcher.wait([doc_id, *[r["document_id"] for r in released if r["document_id"]]])
        flush_index(archive, dispatcher)
    return Registered(case, forms if out_dir else None, doc_id, done.new, released)


def archived_inventory(archive: Archive, case: Case) -> str | None:
    """The id of the case's archived inventory copy, if there is one."""
    with archive.db.session() as s:
        docs = s.scalars(select(Document).where(Document.case_id == case.id))
        return next((d.id for d in docs if (d.meta or {}).get("form") == "inventory"), None)


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
    require_desk(archive, events, p, where, "journal.reserve")
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
    events.publish(
        event(p, WRITE, details={"op": "journal.reserve", "block": out["id"], "size": size})
    )
    return out


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


# --- routing, notice, hand-over -----------------------------------------------------------


def act(
    archive: Archive,
    events: Events,
    p: Principal,
    op: str,
    case: Case,
    **kw: Any,
) -> dict[str, Any]:
    """One desk step on a case (``case.send`` / ``case.notify`` / ``case.issue``)."""
    with archive.db.session() as s:
        live = s.get(Case, case.id)
        assert live is not None
        if op == "case.send":
            ev = ops.send(s, live, kw["department"], p.login)
        elif op == "case.notify":
            ev = ops.notify(s, live, kw["method"], p.login, note=kw.get("note"))
        elif op == "case.issue":
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
    events.publish(event(p, WRITE, case=case.number, details={"op": op}))
    return out
