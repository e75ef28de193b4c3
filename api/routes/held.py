"""Held Diia deliveries and e-mail messages: the desk lists, attaches or rejects them.

``kind`` in the path is ``delivery`` (Diia) or ``mail``; see :mod:`usecases.held`.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter
from fastapi import Path as PathParam
from pydantic import BaseModel, Field

from api.deps import ContextDep
from usecases import held

router = APIRouter(tags=["intake"])

KindPath = Literal["delivery", "mail"]
ItemId = Annotated[int, PathParam(ge=1, le=2**62)]


class HeldAttachIn(BaseModel):
    case: str = Field(min_length=1, max_length=64)


class HeldRejectIn(BaseModel):
    reason: str = Field(min_length=1, max_length=1000)


@router.get("/api/intake/held", summary="Доставки з Дії та листи, що чекають на перевірку")
def list_held(ctx: ContextDep, kind: KindPath | None = None) -> Any:
    return held.list_held(ctx, kind=kind).as_json()


@router.post(
    "/api/intake/held/{kind}/{item_id}/attach",
    summary="Долучити відкладену доставку чи лист до справи",
)
def attach(kind: KindPath, item_id: ItemId, body: HeldAttachIn, ctx: ContextDep) -> Any:
    return held.attach_held(ctx, kind=kind, item_id=item_id, case=body.case).as_json()


@router.post(
    "/api/intake/held/{kind}/{item_id}/reject",
    summary="Відхилити відкладену доставку чи лист (їх збережено)",
)
def reject(kind: KindPath, item_id: ItemId, body: HeldRejectIn, ctx: ContextDep) -> Any:
    return held.reject_held(ctx, kind=kind, item_id=item_id, reason=body.reason).as_json()
