"""Documents: upload, metadata and state, page text and images, the PDF/A and the original.

Each route calls one use case of ``usecases.documents`` (or ``usecases.ingest``)
with the caller's context: the policy decides the level (masked text,
redacted PDF, or full) and the access is logged there, before anything is
read. Refusals and missing documents are raised as ``usecases.errors`` and
answered by the app's handlers (403, 404, 409).
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any
from urllib.parse import quote

from fastapi import APIRouter, Depends, File, Form, Request, Response, UploadFile
from fastapi.responses import JSONResponse, StreamingResponse

from api.deps import ContextDep, ReasonQuery
from api.schemas import DocumentMetaOut, DocumentOut, FindingOut, IngestOut, PageOut
from archive.models import PackageKind, Source
from usecases import documents
from usecases.ingest import Incoming, check_upload_parts, ingest_files
from usecases.views import Rendered, Stored

router = APIRouter(prefix="/api/documents", tags=["documents"])

PDF: dict[int | str, dict[str, Any]] = {200: {"content": {"application/pdf": {}}}}
OCTET: dict[int | str, dict[str, Any]] = {200: {"content": {"application/octet-stream": {}}}}
PNG: dict[int | str, dict[str, Any]] = {200: {"content": {"image/png": {}}}}


async def _one_file_part(ctx: ContextDep, request: Request) -> None:
    """Two ``file`` parts, or one without a file name, are refused before the body is
    validated (whose error would repeat the part's content); after sign-in."""
    form = await request.form()
    names = [getattr(v, "filename", None) for v in form.getlist("file")]
    check_upload_parts(names)


@router.post(
    "",
    response_model=IngestOut,
    summary="Завантажити файл до архіву",
    dependencies=[Depends(_one_file_part)],
)
def upload(
    ctx: ContextDep,
    file: Annotated[UploadFile, File(description="PDF, JPEG, PNG або TIFF")],
    case: Annotated[str | None, Form(description="Номер справи", max_length=64)] = None,
    package: Annotated[PackageKind, Form()] = PackageKind.input,
    source: Annotated[Source, Form()] = Source.upload,
    wait: Annotated[bool, Form(description="Чекати завершення обробки")] = True,
) -> Any:
    name = Path(file.filename or "").name[:500]
    result = ingest_files(
        ctx,
        files=[Incoming(name, file.file)],
        case=case,
        package=package,
        source=source,
        wait=wait,
    )
    outcome = result.outcomes[0].as_json()
    if not wait:
        return JSONResponse(outcome, status_code=202)
    return outcome


@router.get("/{document_id}", response_model=DocumentOut, summary="Метадані, стан і текст")
def get_document(ctx: ContextDep, document_id: str, reason: ReasonQuery = None) -> Any:
    return documents.read_document(ctx, document_id=document_id, reason=reason).as_json()


@router.get(
    "/{document_id}/metadata", response_model=DocumentMetaOut, summary="Лише метадані і стан"
)
def get_metadata(ctx: ContextDep, document_id: str, reason: ReasonQuery = None) -> Any:
    return documents.read_metadata(ctx, document_id=document_id, reason=reason).as_json()


@router.get("/{document_id}/pages", response_model=list[PageOut], summary="Текст сторінок")
def get_pages(ctx: ContextDep, document_id: str, reason: ReasonQuery = None) -> Any:
    pages = documents.read_pages(ctx, document_id=document_id, reason=reason)
    return [p.as_json() for p in pages]


@router.get("/{document_id}/pages/{number}", response_model=PageOut, summary="Текст сторінки")
def get_page(ctx: ContextDep, document_id: str, number: int, reason: ReasonQuery = None) -> Any:
    return documents.read_page(ctx, document_id=document_id, number=number, reason=reason).as_json()


@router.get(
    "/{document_id}/pages/{number}/image",
    response_class=Response,
    responses=PNG,
    summary="Зображення сторінки (з чорними прямокутниками, якщо повний доступ не дозволено)",
)
def get_page_image(
    ctx: ContextDep, document_id: str, number: int, reason: ReasonQuery = None
) -> Response:
    image = documents.page_image(ctx, document_id=document_id, number=number, reason=reason)
    return _response(image)


@router.get(
    "/{document_id}/pdf",
    response_class=StreamingResponse,
    responses=PDF,
    summary="Архівна копія PDF/A (знеособлена, якщо повний доступ не дозволено)",
)
def get_pdf(ctx: ContextDep, document_id: str, reason: ReasonQuery = None) -> Response:
    return _response(documents.document_pdf(ctx, document_id=document_id, reason=reason))


@router.get(
    "/{document_id}/redacted",
    response_class=Response,
    responses=PDF,
    summary="Знеособлена копія PDF: лише зображення, ідентифікатори зафарбовано",
)
def get_redacted(ctx: ContextDep, document_id: str, reason: ReasonQuery = None) -> Response:
    return _response(documents.redacted_pdf(ctx, document_id=document_id, reason=reason))


@router.get(
    "/{document_id}/original",
    response_class=StreamingResponse,
    responses=OCTET,
    summary="Оригінал файлу, як його отримано",
)
def get_original(ctx: ContextDep, document_id: str, reason: ReasonQuery = None) -> Response:
    return _response(documents.original_file(ctx, document_id=document_id, reason=reason))


@router.get(
    "/{document_id}/findings",
    response_model=list[FindingOut],
    summary="Знайдені персональні дані: тип, значення, сторінка, положення",
)
def get_findings(ctx: ContextDep, document_id: str, reason: ReasonQuery = None) -> Any:
    found = documents.document_findings(ctx, document_id=document_id, reason=reason)
    return [f.as_json() for f in found]


def _response(file: Rendered | Stored) -> Response:
    if isinstance(file, Stored):
        return StreamingResponse(
            file.chunks,
            media_type=file.media_type,
            headers={"Content-Disposition": f"attachment; filename*=UTF-8''{quote(file.filename)}"},
        )
    headers = {}
    if file.filename is not None:
        headers["Content-Disposition"] = f"attachment; filename={file.filename}"
    return Response(file.body, media_type=file.media_type, headers=headers)
