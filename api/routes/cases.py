"""Cases at the desk: register, print forms, route, notify, issue; reserve numbers for stations.

Reads open the case through ``case_for(level)`` (the policy decides, the
access is logged); desk actions through ``desk_case(op)`` — an
administrator of the case's centre with full access to it. A station
registering offline sends the number it took from its reserved block
(``block_id``, ``block_seq``) and a ``registration_id``; sending it again
returns the same case.
"""

from __future__ import annotations

import tempfile
from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Query, Response
from pydantic import BaseModel, Field

from api.deps import ArchiveDep, DispatcherDep, EventsDep, PrincipalDep, get_uploader
from archive import cases as ops
from archive.journal import JournalError
from archive.models import Case, PackageKind, utcnow
from usecases import desk
from usecases.access import Denied
from usecases.policy import Decision, Level, Principal

router = APIRouter(tags=["cases"])

Uploader = Annotated[Principal, Depends(get_uploader)]
PDF: dict[int | str, dict[str, Any]] = {200: {"content": {"application/pdf": {}}}}


def case_for(need: Level, op: str) -> Callable[..., tuple[Case, Decision]]:
    """A dependency opening the path's case at ``need`` level through the policy."""

    def dependency(
        case_id: int, p: PrincipalDep, archive: ArchiveDep, events: EventsDep
    ) -> tuple[Case, Decision]:
        try:
            return desk.open_case(archive, events, p, case_id=case_id, need=need, op=op)
        except desk.CaseNotFound as exc:
            raise HTTPException(404, "Справу не знайдено") from exc
        except Denied as exc:
            raise HTTPException(403, exc.message) from exc

    return dependency


def desk_case(op: str) -> Callable[..., Case]:
    """A dependency opening the path's case for a desk action."""

    def dependency(case_id: int, p: Uploader, archive: ArchiveDep, events: EventsDep) -> Case:
        try:
            return desk.open_case_for_desk(archive, events, p, op, case_id=case_id)
        except desk.CaseNotFound as exc:
            raise HTTPException(404, "Справу не знайдено") from exc
        except Denied as exc:
            raise HTTPException(403, exc.message) from exc

    return dependency


Meta = Annotated[tuple[Case, Decision], Depends(case_for(Level.METADATA, "case.read"))]
Routing = Annotated[tuple[Case, Decision], Depends(case_for(Level.METADATA, "case.routing_sheet"))]
Inventory = Annotated[tuple[Case, Decision], Depends(case_for(Level.FULL, "case.inventory"))]
CoverCase = Annotated[Case, Depends(desk_case("case.cover_sheet"))]
SendCase = Annotated[Case, Depends(desk_case("case.send"))]
NotifyCase = Annotated[Case, Depends(desk_case("case.notify"))]
IssueCase = Annotated[Case, Depends(desk_case("case.issue"))]


class ItemIn(BaseModel):
    title: str = Field(min_length=1, max_length=300)
    sheets: int = Field(default=1, ge=1, le=10_000)


class RegisterIn(BaseModel):
    service: str = Field(min_length=1, max_length=500)
    applicant: str | None = Field(default=None, max_length=500)
    centre: str | None = Field(default=None, max_length=200)
    items: list[ItemIn] = Field(default_factory=list, max_length=200)
    notify: ops.Notify = ops.Notify.none
    contact: str | None = Field(default=None, max_length=500)
    delivery: ops.Delivery = ops.Delivery.in_person
    department: str | None = Field(default=None, max_length=200)
    # Re-sending the same registration returns the case made the first time.
    registration_id: str | None = Field(default=None, min_length=8, max_length=64)
    # A number a station took offline from its reserved block, and when.
    block_id: int | None = None
    block_seq: int | None = Field(default=None, ge=1)
    registered_at: datetime | None = None


class SendIn(BaseModel):
    department: str = Field(min_length=1, max_length=200)


class NotifyIn(BaseModel):
    method: ops.Notify
    note: str | None = Field(default=None, max_length=500)


class IssueIn(BaseModel):
    to: ops.Recipient
    document: str | None = Field(default=None, max_length=200)
    name: str | None = Field(default=None, max_length=200)
    method: ops.Delivery = ops.Delivery.in_person


class BlockIn(BaseModel):
    workplace_code: str = Field(min_length=1, max_length=16)
    size: int | None = Field(default=None, ge=1)
    centre: str | None = Field(default=None, max_length=200)
    year: int | None = None


class StepOut(BaseModel):
    case: str
    status: str
    event: str
    at: str
    text: str


class BlockOut(BaseModel):
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


def _registered_at(body: RegisterIn) -> datetime | None:
    if body.registered_at is None:
        return None
    if body.block_id is None:
        raise HTTPException(422, "Час реєстрації задається лише для номера з резерву (офлайн)")
    at = body.registered_at
    if at.tzinfo is None:
        raise HTTPException(422, "Час реєстрації має містити часовий пояс")
    if at > utcnow() + timedelta(minutes=10):
        raise HTTPException(422, "Час реєстрації в майбутньому")
    return at


@router.post("/api/cases", status_code=201, summary="Зареєструвати справу (вхідний пакет)")
def register(
    body: RegisterIn,
    archive: ArchiveDep,
    dispatcher: DispatcherDep,
    events: EventsDep,
    p: Uploader,
) -> Any:
    if (body.block_id is None) != (body.block_seq is None):
        raise HTTPException(422, "block_id і block_seq задаються разом")
    try:
        reg = ops.Registration(
            service=body.service,
            centre=body.centre or p.centre or archive.settings.centre,
            applicant=body.applicant,
            department=body.department,
            notify=body.notify,
            contact=body.contact,
            delivery=body.delivery,
            items=[ops.Item(i.title, i.sheets) for i in body.items],
            actor=p.login,
            registered_at=_registered_at(body),
            registration_id=body.registration_id,
            block_seq=body.block_seq,
        )
        done = desk.register(
            archive, events, p, reg, out_dir=None, dispatcher=dispatcher, block_id=body.block_id
        )
    except Denied as exc:
        raise HTTPException(403, exc.message) from exc
    except (ops.CaseError, JournalError) as exc:
        raise HTTPException(422, str(exc)) from exc
    out = done.as_json(archive)
    out["cover_sheet_url"] = f"/api/cases/{done.case.id}/cover-sheet?package=input"
    out["inventory_url"] = f"/api/cases/{done.case.id}/inventory"
    return out


@router.get("/api/cases", summary="Знайти справу за номером")
def find(
    archive: ArchiveDep,
    events: EventsDep,
    p: PrincipalDep,
    number: Annotated[str, Query(min_length=1, max_length=64)],
    centre: Annotated[str | None, Query(max_length=200)] = None,
) -> Any:
    try:
        case, decision = desk.open_case(archive, events, p, number=number, centre=centre)
    except desk.CaseNotFound as exc:
        raise HTTPException(404, "Справу не знайдено") from exc
    return desk.case_json(archive, case, full=decision.level >= Level.FULL)


@router.get("/api/cases/{case_id}", summary="Справа, її пакети та проходження")
def get_case(g: Meta, archive: ArchiveDep) -> Any:
    case, decision = g
    return desk.case_json(archive, case, full=decision.level >= Level.FULL)


def _pdf(render: Callable[[Path], Path], name: str) -> Response:
    with tempfile.TemporaryDirectory() as tmp:
        body = render(Path(tmp) / "form.pdf").read_bytes()
    return Response(
        body,
        media_type="application/pdf",
        headers={"Content-Disposition": f"attachment; filename={name}"},
    )


@router.get(
    "/api/cases/{case_id}/routing-sheet",
    response_class=Response,
    responses=PDF,
    summary="Лист про проходження справи (PDF)",
)
def routing_sheet(g: Routing, archive: ArchiveDep) -> Response:
    case, decision = g
    full = decision.level >= Level.FULL
    return _pdf(
        lambda dest: desk.render_routing_sheet(archive, case, dest, full=full),
        f"routing-sheet-{case.id}.pdf",
    )


@router.get(
    "/api/cases/{case_id}/inventory",
    response_class=Response,
    responses=PDF,
    summary="Опис вхідного пакета у двох примірниках (PDF)",
)
def inventory(g: Inventory, archive: ArchiveDep) -> Response:
    case, _ = g
    with archive.db.session() as s:
        live = s.get(Case, case.id)
        assert live is not None
        items = ops.items_of(s, live)
        who = desk.administrator_name(live, ops.registration_of(s, live))
    try:
        return _pdf(
            lambda dest: desk.render_inventory(archive, case, items, who, dest),
            f"inventory-{case.id}.pdf",
        )
    except ops.CaseError as exc:
        raise HTTPException(404, str(exc)) from exc


@router.get(
    "/api/cases/{case_id}/cover-sheet",
    response_class=Response,
    responses=PDF,
    summary="Титульний аркуш пакета з QR-кодом (PDF)",
)
def cover_sheet(
    case: CoverCase,
    archive: ArchiveDep,
    package: Annotated[PackageKind, Query()] = PackageKind.input,
) -> Response:
    try:
        return _pdf(
            lambda dest: desk.render_cover(archive, case, package.value, dest, full=True),
            f"cover-{case.id}-{package.value}.pdf",
        )
    except ops.CaseError as exc:
        raise HTTPException(422, str(exc)) from exc


def _act(archive: Any, events: Any, p: Principal, op: str, case: Case, **kw: Any) -> Any:
    try:
        return desk.act(archive, events, p, op, case, **kw)
    except ops.CaseError as exc:
        raise HTTPException(422, str(exc)) from exc


@router.post(
    "/api/cases/{case_id}/send",
    response_model=StepOut,
    summary="Передати справу суб’єкту надання послуги",
)
def send(body: SendIn, case: SendCase, archive: ArchiveDep, events: EventsDep, p: Uploader) -> Any:
    return _act(archive, events, p, "case.send", case, department=body.department)


@router.post(
    "/api/cases/{case_id}/notify",
    response_model=StepOut,
    summary="Записати, як заявника повідомлено про результат",
)
def notify(
    body: NotifyIn, case: NotifyCase, archive: ArchiveDep, events: EventsDep, p: Uploader
) -> Any:
    return _act(archive, events, p, "case.notify", case, method=body.method, note=body.note)


@router.post(
    "/api/cases/{case_id}/issue", response_model=StepOut, summary="Записати видачу результату"
)
def issue(
    body: IssueIn, case: IssueCase, archive: ArchiveDep, events: EventsDep, p: Uploader
) -> Any:
    return _act(
        archive,
        events,
        p,
        "case.issue",
        case,
        to=body.to,
        document=body.document,
        name=body.name,
        method=body.method,
    )


@router.post(
    "/api/journal/blocks",
    response_model=BlockOut,
    status_code=201,
    summary="Зарезервувати номери справ для робочого місця (станції)",
)
def reserve(body: BlockIn, archive: ArchiveDep, events: EventsDep, p: Uploader) -> Any:
    try:
        return desk.reserve(
            archive,
            events,
            p,
            code=body.workplace_code,
            size=body.size,
            centre=body.centre,
            year=body.year,
        )
    except Denied as exc:
        raise HTTPException(403, exc.message) from exc
    except JournalError as exc:
        raise HTTPException(422, str(exc)) from exc
