"""Metadata of documents: the type and fields read from the text, type corrections, retraining.

Routes only parse, call one use case and render its ``as_json()``; the
policy decision and the access-log entry happen in ``usecases.metadata``.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Body
from pydantic import BaseModel, Field

from api.deps import ContextDep, ReasonQuery
from ingest.metadata import DocType
from usecases import metadata as uc

router = APIRouter(prefix="/api/metadata", tags=["metadata"])


class FieldOut(BaseModel):
    name: str
    value: str
    page: int | None
    start: int | None
    end: int | None
    personal: bool


class MetadataOut(BaseModel):
    document_id: str
    type: str | None
    type_label: str | None
    confidence: float | None
    source: str | None
    second_type: str | None
    needs_review: bool
    masked: bool
    fields: list[FieldOut]


class TypeOut(BaseModel):
    code: str
    label: str
    group: str


class CorrectionIn(BaseModel):
    type: DocType = Field(description="Код типу документа (GET /api/metadata/types).")
    reason: str | None = Field(default=None, max_length=1000)


class RetrainOut(BaseModel):
    model: str
    samples: int
    corrections: int
    types: int
    reclassified: int


@router.get("/types", response_model=list[TypeOut], summary="Перелік типів документів")
def list_types(ctx: ContextDep) -> Any:
    return [t.as_json() for t in uc.list_document_types(ctx)]


@router.get(
    "/documents/{document_id}",
    response_model=MetadataOut,
    summary="Тип документа і реквізити (персональні — замасковані без повного доступу)",
)
def get_metadata(
    document_id: str,
    ctx: ContextDep,
    reason: ReasonQuery = None,
) -> Any:
    return uc.show_metadata(ctx, document_id=document_id, reason=reason).as_json()


@router.put(
    "/documents/{document_id}/type",
    response_model=MetadataOut,
    summary="Виправити тип документа (виправлення навчає класифікатор)",
)
def correct_type(
    document_id: str,
    body: Annotated[CorrectionIn, Body()],
    ctx: ContextDep,
) -> Any:
    view = uc.correct_document_type(
        ctx, document_id=document_id, type=body.type.value, reason=body.reason
    )
    return view.as_json()


@router.post("/retrain", response_model=RetrainOut, summary="Перенавчити класифікатор типів")
def retrain(ctx: ContextDep, reclassify: bool = False) -> Any:
    return uc.retrain_classifier(ctx, reclassify_documents=reclassify).as_json()
