"""Diia sharing over HTTP: the request at the desk, its QR code and sheet, Diia's delivery.

``POST /api/sharing/delivery`` is the endpoint registered with Diia: no bearer
token (Diia has none); the request id in ``X-Document-Request-Trace-Id`` and
the envelope for the centre's key are what authorise it, in the use case.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request, Response
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile

from api.deps import ArchiveDep, ContextDep, DispatcherDep, EventsDep, ReasonQuery, client_address
from usecases import sharing
from usecases.context import Context
from usecases.errors import Invalid

router = APIRouter(tags=["sharing"])

TRACE_HEADER = "X-Document-Request-Trace-Id"
# Diia sends one part per document type and the metadata: far fewer than this.
_MAX_PARTS = 64


def get_diia_context(
    request: Request, archive: ArchiveDep, events: EventsDep, dispatcher: DispatcherDep
) -> Context:
    """The context of Diia delivering (see :func:`usecases.sharing.diia_principal`)."""
    principal = sharing.diia_principal(archive.settings, client_address(request))
    return Context(archive, principal, events, dispatcher)


DiiaContext = Annotated[Context, Depends(get_diia_context)]


@router.post("/api/cases/{case_id}/sharing", summary="Запросити документи з Дії для справи")
def request_sharing(case_id: int, ctx: ContextDep) -> Any:
    return sharing.request_sharing(ctx, case_id=case_id).as_json()


@router.get(
    "/api/sharing/requests/{request_id}/qr.png",
    summary="QR-код запиту документів з Дії",
    responses={200: {"content": {"image/png": {}}}},
)
def request_qr(request_id: str, ctx: ContextDep) -> Response:
    sheet = sharing.sharing_sheet(ctx, request_id=request_id, kind="png")
    return Response(sheet.content, media_type=sheet.media_type)


@router.get(
    "/api/sharing/requests/{request_id}/sheet.pdf",
    summary="Аркуш для друку з QR-кодом запиту документів з Дії",
    responses={200: {"content": {"application/pdf": {}}}},
)
def request_sheet(request_id: str, ctx: ContextDep) -> Response:
    sheet = sharing.sharing_sheet(ctx, request_id=request_id, kind="pdf")
    headers = {"Content-Disposition": f'inline; filename="{sheet.filename}"'}
    return Response(sheet.content, media_type=sheet.media_type, headers=headers)


@router.post("/api/sharing/delivery", summary="Доставка документів із Дії (викликає Дія)")
async def delivery(request: Request, ctx: DiiaContext) -> Any:
    request_id = request.headers.get(TRACE_HEADER, "")
    limit = int(ctx.archive.settings.sharing.max_delivery_mb * 1024 * 1024)
    try:
        form = await request.form(max_files=_MAX_PARTS, max_fields=_MAX_PARTS, max_part_size=limit)
    except Exception as exc:  # malformed multipart: starlette raises several kinds
        raise Invalid(
            "Тіло доставки не є коректним multipart/form-data", code="bad_multipart"
        ) from exc
    parts: list[sharing.DeliveryPart] = []
    try:
        for name, value in form.multi_items():
            if isinstance(value, UploadFile):
                data = await value.read()
                parts.append(sharing.DeliveryPart(name, value.filename, data))
            else:
                parts.append(sharing.DeliveryPart(name, None, value.encode()))
    finally:
        await form.close()
    result = await run_in_threadpool(
        sharing.receive_delivery, ctx, request_id=request_id, parts=parts
    )
    return result.as_json()


@router.get(
    "/api/documents/{document_id}/sharing",
    summary="Підпис і метадані документа, отриманого з Дії",
)
def document_sharing(document_id: str, ctx: ContextDep, reason: ReasonQuery = None) -> Any:
    return sharing.document_sharing(ctx, document_id=document_id, reason=reason).as_json()
