"""Cases at the desk: register, print forms, route, notify, issue; reserve numbers for stations.

The desk's queue of the day and the official's «cases of my department» are
here too (:mod:`usecases.queue`), the same lists the web pages show.

Each route parses, calls one use case of :mod:`usecases.cases` or
:mod:`usecases.forms` and renders its result. A station registering offline
sends the number it took from its reserved block (``block_id``,
``block_seq``) and a ``registration_id``; sending it again returns the same
case.
"""

from __future__ import annotations

import tempfile
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, Query, Response
from pydantic import BaseModel, Field

from api.deps import ContextDep
from api.schemas import DepartmentCasesOut, DeskQueueOut
from archive import cases as ops
from archive.models import PackageKind
from usecases import batches, cases, forms, queue
from usecases.forms import PrintedForm

router = APIRouter(tags=["cases"])

PDF: dict[int | str, dict[str, Any]] = {200: {"content": {"application/pdf": {}}}}


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


class ReasonIn(BaseModel):
    reason: str = Field(min_length=5, max_length=500)


class MoveIn(BaseModel):
    case: str = Field(min_length=1, max_length=64)
    reason: str = Field(min_length=5, max_length=500)
    package: PackageKind | None = None
    centre: str | None = Field(default=None, max_length=200)

    def target(self) -> dict[str, Any]:
        """Where to move: the keywords the move use cases share."""
        return {
            "case": self.case,
            "reason": self.reason,
            "centre": self.centre,
            "package": self.package,
        }


class MovedOut(BaseModel):
    document_id: str
    source: str | None
    case: str
    package: str
    at: str
    text: str


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


@router.post("/api/cases", status_code=201, summary="Зареєструвати справу (вхідний пакет)")
def register(body: RegisterIn, ctx: ContextDep) -> Any:
    done = cases.register_case(
        ctx,
        service=body.service,
        applicant=body.applicant,
        centre=body.centre,
        items=[ops.Item(i.title, i.sheets) for i in body.items],
        notify=body.notify,
        contact=body.contact,
        delivery=body.delivery,
        department=body.department,
        registration_id=body.registration_id,
        block_id=body.block_id,
        block_seq=body.block_seq,
        registered_at=body.registered_at,
    )
    out = done.as_json()
    out["cover_sheet_url"] = f"/api/cases/{done.case.id}/cover-sheet?package=input"
    out["inventory_url"] = f"/api/cases/{done.case.id}/inventory"
    return out


@router.get("/api/cases", summary="Знайти справу за номером")
def find(
    ctx: ContextDep,
    number: Annotated[str, Query(min_length=1, max_length=64)],
    centre: Annotated[str | None, Query(max_length=200)] = None,
) -> Any:
    return cases.find_case(ctx, number=number, centre=centre).as_json()


@router.get("/api/cases/{case_id}", summary="Справа, її пакети та проходження")
def get_case(case_id: int, ctx: ContextDep) -> Any:
    return cases.show_case(ctx, case_id=case_id).as_json()


@router.get(
    "/api/desk/queue",
    response_model=DeskQueueOut,
    summary="Черга дня: зареєстровані сьогодні, очікують результату, готові, невитребувані",
)
def desk_queue(ctx: ContextDep) -> Any:
    return queue.desk_queue(ctx).as_json()


@router.get(
    "/api/department/cases",
    response_model=DepartmentCasesOut,
    summary="Справи мого відділу: передані до підрозділу посадової особи",
)
def department_cases(ctx: ContextDep) -> Any:
    return queue.department_cases(ctx).as_json()


def _pdf(print_form: Callable[[Path], PrintedForm], name: Callable[[int], str]) -> Response:
    with tempfile.TemporaryDirectory() as tmp:
        form = print_form(Path(tmp) / "form.pdf")
        body = form.path.read_bytes()
    return Response(
        body,
        media_type="application/pdf",
        headers={"Content-Disposition": f"attachment; filename={name(form.case_id)}"},
    )


@router.get(
    "/api/cases/{case_id}/routing-sheet",
    response_class=Response,
    responses=PDF,
    summary="Лист про проходження справи (PDF)",
)
def routing_sheet(case_id: int, ctx: ContextDep) -> Response:
    return _pdf(
        lambda dest: forms.print_routing_sheet(ctx, case_id=case_id, dest=dest),
        lambda i: f"routing-sheet-{i}.pdf",
    )


@router.get(
    "/api/cases/{case_id}/inventory",
    response_class=Response,
    responses=PDF,
    summary="Опис вхідного пакета у двох примірниках (PDF)",
)
def inventory(case_id: int, ctx: ContextDep) -> Response:
    return _pdf(
        lambda dest: forms.print_inventory(ctx, case_id=case_id, dest=dest),
        lambda i: f"inventory-{i}.pdf",
    )


@router.get(
    "/api/cases/{case_id}/cover-sheet",
    response_class=Response,
    responses=PDF,
    summary="Титульний аркуш пакета з QR-кодом (PDF)",
)
def cover_sheet(
    case_id: int,
    ctx: ContextDep,
    package: Annotated[PackageKind, Query()] = PackageKind.input,
) -> Response:
    return _pdf(
        lambda dest: forms.print_cover_sheet(ctx, case_id=case_id, package=package, dest=dest),
        lambda i: f"cover-{i}-{package.value}.pdf",
    )


@router.post(
    "/api/cases/{case_id}/send",
    response_model=StepOut,
    summary="Передати справу суб’єкту надання послуги",
)
def send(case_id: int, body: SendIn, ctx: ContextDep) -> Any:
    return cases.send_case(ctx, case_id=case_id, department=body.department).as_json()


@router.post(
    "/api/cases/{case_id}/notify",
    response_model=StepOut,
    summary="Записати, як заявника повідомлено про результат",
)
def notify(case_id: int, body: NotifyIn, ctx: ContextDep) -> Any:
    step = cases.notify_case(ctx, case_id=case_id, method=body.method, note=body.note)
    return step.as_json()


@router.post(
    "/api/cases/{case_id}/issue", response_model=StepOut, summary="Записати видачу результату"
)
def issue(case_id: int, body: IssueIn, ctx: ContextDep) -> Any:
    step = cases.issue_case(
        ctx,
        case_id=case_id,
        to=body.to,
        document=body.document,
        name=body.name,
        method=body.method,
    )
    return step.as_json()


@router.post(
    "/api/journal/blocks",
    response_model=BlockOut,
    status_code=201,
    summary="Зарезервувати номери справ для робочого місця (станції)",
)
def reserve(body: BlockIn, ctx: ContextDep) -> Any:
    block = cases.reserve_numbers(
        ctx, code=body.workplace_code, size=body.size, centre=body.centre, year=body.year
    )
    return block.as_json()


@router.post(
    "/api/cases/{case_id}/annul",
    response_model=StepOut,
    summary="Анулювати справу, зареєстровану помилково (номер не використовується повторно)",
)
def annul(case_id: int, body: ReasonIn, ctx: ContextDep) -> Any:
    return cases.annul_case(ctx, case_id=case_id, reason=body.reason).as_json()


@router.post(
    "/api/documents/{document_id}/move",
    response_model=MovedOut,
    tags=["documents"],
    summary="Перенести документ до іншої справи (помилково долучений)",
)
def move_document(document_id: str, body: MoveIn, ctx: ContextDep) -> Any:
    return cases.move_document(ctx, document_id=document_id, **body.target()).as_json()


@router.post(
    "/api/batches/parts/{part_id}/reassign",
    response_model=MovedOut,
    tags=["batches"],
    summary="Перенести частину пачки, помилково розкладену до іншої справи",
)
def reassign_part(part_id: int, body: MoveIn, ctx: ContextDep) -> Any:
    return batches.reassign_part(ctx, part_id=part_id, **body.target()).as_json()
