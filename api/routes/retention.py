"""Retention over HTTP: plans and their approval, holds, acts, the administrators'
uncollected-results list, fixity. Each route parses, calls one use case of
``usecases.retention`` (which decides who may and logs) and renders its result;
errors are mapped by the app's handlers.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

from fastapi import APIRouter, Query, Response
from fastapi.responses import StreamingResponse
from pydantic import BaseModel, Field

from api.deps import ContextDep
from usecases import retention as uc

router = APIRouter(tags=["retention"])

PDF: dict[int | str, dict[str, Any]] = {200: {"content": {"application/pdf": {}}}}
ZIP: dict[int | str, dict[str, Any]] = {200: {"content": {"application/zip": {}}}}


Ctx = ContextDep
AsOf = Annotated[dt.date | None, Query(description="На дату (типово сьогодні).")]


class DraftIn(BaseModel):
    as_of: dt.date | None = None


class ApproveIn(BaseModel):
    decision: str = Field(min_length=1, max_length=200, description="Номер протоколу ЕК.")
    date: dt.date | None = None


class AgreeIn(BaseModel):
    reference: str = Field(min_length=1, max_length=200, description="Номер протоколу ЕПК.")
    date: dt.date | None = None


class HoldIn(BaseModel):
    target: str = Field(min_length=1, max_length=500, description="Номер справи або запит.")
    reason: str = Field(min_length=1, max_length=2000)


class ReleaseIn(BaseModel):
    case: str = Field(min_length=1, max_length=64)
    reason: str = Field(min_length=1, max_length=2000)


class FixityIn(BaseModel):
    sample: int | None = Field(default=None, ge=1, le=1_000_000)


@router.get("/api/retention/due", summary="Що настало за правилами (архіваріус)")
def due(ctx: Ctx, as_of: AsOf = None) -> dict[str, Any]:
    return uc.plan_due(ctx, as_of=as_of).as_json()


@router.get("/api/retention/plans", summary="Плани зберігання")
def plans(ctx: Ctx) -> list[dict[str, Any]]:
    return [v.as_json() for v in uc.list_plans(ctx)]


@router.post("/api/retention/plans", status_code=201, summary="Скласти проєкт плану")
def draft(ctx: Ctx, body: DraftIn) -> dict[str, Any]:
    return uc.draft_plan(ctx, as_of=body.as_of).as_json()


@router.get("/api/retention/plans/{number}", summary="План: затвердження і позиції")
def show(ctx: Ctx, number: int, limit: Annotated[int, Query(ge=1, le=10_000)] = 1000) -> Any:
    return uc.show_plan(ctx, number=number, limit=limit).as_json()


@router.post("/api/retention/plans/{number}/approve", summary="Затвердження ЕК")
def approve(ctx: Ctx, number: int, body: ApproveIn) -> dict[str, Any]:
    return uc.approve_plan(ctx, number=number, decision=body.decision, date=body.date).as_json()


@router.post("/api/retention/plans/{number}/agree", summary="Погодження ЕПК")
def agree(ctx: Ctx, number: int, body: AgreeIn) -> dict[str, Any]:
    return uc.agree_plan(ctx, number=number, reference=body.reference, date=body.date).as_json()


@router.post("/api/retention/plans/{number}/apply", summary="Виконати затверджений план")
def apply(ctx: Ctx, number: int) -> dict[str, Any]:
    return uc.apply_plan(ctx, number=number)


@router.get(
    "/api/retention/plans/{number}/act",
    response_class=Response,
    responses=PDF,
    summary="Акт про вилучення для знищення (PDF)",
)
def act(ctx: Ctx, number: int) -> Response:
    pdf = uc.act_pdf(ctx, number=number)
    return Response(
        pdf,
        media_type="application/pdf",
        headers={"Content-Disposition": f'attachment; filename="act-{number}.pdf"'},
    )


@router.get(
    "/api/retention/plans/{number}/package",
    response_class=StreamingResponse,
    responses=ZIP,
    summary="Пакет передавання плану (BagIt у ZIP)",
)
def package(ctx: Ctx, number: int) -> Response:
    got = uc.transfer_package(ctx, number=number)
    return StreamingResponse(
        got.chunks,
        media_type=got.media_type,
        headers={"Content-Disposition": f'attachment; filename="{got.filename}"'},
    )


@router.get("/api/retention/outputs", summary="Акти про знищення й пакети передавання планів")
def outputs(ctx: Ctx) -> list[dict[str, Any]]:
    return [o.as_json() for o in uc.list_outputs(ctx)]


@router.get("/api/retention/holds", summary="Чинні утримання")
def holds(ctx: Ctx) -> list[dict[str, Any]]:
    return [h.as_json() for h in uc.list_holds(ctx)]


@router.post("/api/retention/holds", status_code=201, summary="Установити утримання")
def hold(ctx: Ctx, body: HoldIn) -> list[dict[str, Any]]:
    return [h.as_json() for h in uc.place_hold(ctx, target=body.target, reason=body.reason)]


@router.post("/api/retention/holds/release", summary="Зняти утримання зі справи")
def release(ctx: Ctx, body: ReleaseIn) -> list[dict[str, Any]]:
    return [h.as_json() for h in uc.release_hold(ctx, case=body.case, reason=body.reason)]


@router.get("/api/retention/todo", summary="Невитребувані результати: надіслати поштою")
def todo(ctx: Ctx, as_of: AsOf = None) -> list[dict[str, Any]]:
    return uc.uncollected(ctx, as_of=as_of)


@router.post("/api/fixity/checks", summary="Перевірити цілісність збережених об’єктів")
def fixity_run(ctx: Ctx, body: FixityIn) -> dict[str, Any]:
    return uc.fixity_check(ctx, sample=body.sample)


@router.get("/api/fixity/checks", summary="Результати перевірок цілісності")
def fixity_results(ctx: Ctx, limit: Annotated[int, Query(ge=1, le=1000)] = 100) -> dict[str, Any]:
    return uc.fixity_results(ctx, limit=limit).as_json()
