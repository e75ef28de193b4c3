"""Documents: upload, metadata and state, page text and images, the PDF/A and the original.

Every read is opened by ``document_for(Action.…)``: the policy decides the
level (masked text, redacted PDF, or full), and the access is logged before
the response is built.
"""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import quote

from fastapi import APIRouter, Depends, File, Form, HTTPException, Response, UploadFile
from fastapi.responses import JSONResponse, StreamingResponse

from api.deps import ArchiveDep, DispatcherDep, EventsDep, document_for, get_uploader
from api.schemas import DocumentMetaOut, DocumentOut, FindingOut, IngestOut, PageOut
from archive.audit import Action
from archive.models import DocState, PackageKind, Source, Tier
from archive.store import ObjectNotFound
from backends import Archive
from ingest.pipeline import accept_file, outcome_for
from usecases import access, disclosure, redact
from usecases.access import Granted, page_findings
from usecases.policy import Principal
from usecases.views import document_json

router = APIRouter(prefix="/api/documents", tags=["documents"])

PDF: dict[int | str, dict[str, Any]] = {200: {"content": {"application/pdf": {}}}}
OCTET: dict[int | str, dict[str, Any]] = {200: {"content": {"application/octet-stream": {}}}}
PNG: dict[int | str, dict[str, Any]] = {200: {"content": {"image/png": {}}}}

Uploader = Annotated[Principal, Depends(get_uploader)]
Text = Annotated[Granted, Depends(document_for(Action.document_text))]
PageText = Annotated[Granted, Depends(document_for(Action.document_text, page_param="number"))]
PageImage = Annotated[Granted, Depends(document_for(Action.page_image, page_param="number"))]
Meta = Annotated[Granted, Depends(document_for(Action.document_metadata))]
Pdf = Annotated[Granted, Depends(document_for(Action.document_pdf))]
Redacted = Annotated[Granted, Depends(document_for(Action.document_redacted))]
Original = Annotated[Granted, Depends(document_for(Action.download))]
Findings = Annotated[Granted, Depends(document_for(Action.document_findings))]


@router.post("", response_model=IngestOut, summary="Завантажити файл до архіву")
def upload(
    archive: ArchiveDep,
    dispatcher: DispatcherDep,
    events: EventsDep,
    p: Uploader,
    file: Annotated[UploadFile, File(description="PDF, JPEG, PNG або TIFF")],
    case: Annotated[str | None, Form(description="Номер справи", max_length=64)] = None,
    package: Annotated[PackageKind, Form()] = PackageKind.input,
    source: Annotated[Source, Form()] = Source.upload,
    wait: Annotated[bool, Form(description="Чекати завершення обробки")] = True,
) -> Any:
    name = Path(file.filename or "upload").name[:500] or "upload"
    with tempfile.TemporaryDirectory(dir=archive.settings.work_dir) as tmp:
        path = Path(tmp) / "upload"
        with path.open("wb") as f:
            shutil.copyfileobj(file.file, f, 1024 * 1024)
        acc = accept_file(
            archive,
            path,
            case_number=case,
            package=package,
            source=source,
            original_name=name,
            actor=p.login,
        )
    events.publish(access.event(p, Action.upload, document_id=acc.document_id, case=case))
    dispatcher.submit(acc.document_id)
    if not wait:
        return JSONResponse(
            {
                "file": name,
                "status": "accepted",
                "document_id": acc.document_id,
                "reason": None,
                "code": None,
            },
            status_code=202,
        )
    dispatcher.wait([acc.document_id])
    return outcome_for(archive, name, acc).as_json()


@router.get("/{document_id}", response_model=DocumentOut, summary="Метадані, стан і текст")
def get_document(g: Text) -> Any:
    return document_json(g.doc, masked=g.masked, findings=g.findings)


@router.get(
    "/{document_id}/metadata", response_model=DocumentMetaOut, summary="Лише метадані і стан"
)
def get_metadata(g: Meta) -> Any:
    return document_json(g.doc, with_pages=False)


@router.get("/{document_id}/pages", response_model=list[PageOut], summary="Текст сторінок")
def get_pages(g: Text) -> Any:
    return [disclosure.page_json(p, g.masked, page_findings(g, p.number)) for p in g.doc.pages]


@router.get("/{document_id}/pages/{number}", response_model=PageOut, summary="Текст сторінки")
def get_page(g: PageText, number: int) -> Any:
    for p in g.doc.pages:
        if p.number == number:
            return disclosure.page_json(p, g.masked, page_findings(g, number))
    raise HTTPException(404, "Сторінку не знайдено")


@router.get(
    "/{document_id}/pages/{number}/image",
    response_class=Response,
    responses=PNG,
    summary="Зображення сторінки (з чорними прямокутниками, якщо повний доступ не дозволено)",
)
def get_page_image(g: PageImage, archive: ArchiveDep, number: int) -> Response:
    pdf = _pdfa(archive, g)
    page = next((p for p in g.doc.pages if p.number == number), None)
    if page is None:
        raise HTTPException(404, "Сторінку не знайдено")
    boxes = None
    if g.masked:
        boxes = disclosure.redaction_boxes([page], page_findings(g, number)).get(number, [])
    try:
        png = redact.page_png(pdf, number, boxes)
    except IndexError as exc:
        raise HTTPException(404, "Сторінку не знайдено") from exc
    return Response(png, media_type="image/png")


@router.get(
    "/{document_id}/pdf",
    response_class=StreamingResponse,
    responses=PDF,
    summary="Архівна копія PDF/A (знеособлена, якщо повний доступ не дозволено)",
)
def get_pdf(g: Pdf, archive: ArchiveDep) -> Response:
    if g.masked:
        return _redacted(archive, g)
    doc = g.doc
    _require_pdfa(g)
    assert doc.pdfa_sha256 is not None
    return _stream(archive, doc.pdfa_sha256, doc.pdfa_tier, "application/pdf", f"{doc.id}.pdf")


@router.get(
    "/{document_id}/redacted",
    response_class=Response,
    responses=PDF,
    summary="Знеособлена копія PDF: лише зображення, ідентифікатори зафарбовано",
)
def get_redacted(g: Redacted, archive: ArchiveDep) -> Response:
    return _redacted(archive, g)


@router.get(
    "/{document_id}/original",
    response_class=StreamingResponse,
    responses=OCTET,
    summary="Оригінал файлу, як його отримано",
)
def get_original(g: Original, archive: ArchiveDep) -> StreamingResponse:
    doc = g.doc
    return _stream(
        archive,
        doc.sha256,
        doc.original_tier,
        doc.media_type or "application/octet-stream",
        doc.original_name,
    )


@router.get(
    "/{document_id}/findings",
    response_model=list[FindingOut],
    summary="Знайдені персональні дані: тип, значення, сторінка, положення",
)
def get_findings(g: Findings) -> Any:
    return [
        {
            "kind": f.kind,
            "value": f.value,
            "page": f.page,
            "start": f.char_start,
            "end": f.char_end,
            "boxes": f.boxes,
            "source": f.source,
        }
        for f in g.findings
    ]


def _require_pdfa(g: Granted) -> None:
    if g.doc.state != DocState.archived or not g.doc.pdfa_sha256:
        raise HTTPException(409, "Документ ще не має архівної копії PDF/A")


def _pdfa(archive: Archive, g: Granted) -> bytes:
    _require_pdfa(g)
    assert g.doc.pdfa_sha256 is not None
    try:
        return archive.store.read_bytes(g.doc.pdfa_sha256, g.doc.pdfa_tier)
    except ObjectNotFound as exc:
        raise HTTPException(404, "Файл відсутній у сховищі") from exc


def _redacted(archive: Archive, g: Granted) -> Response:
    pdf = _pdfa(archive, g)
    boxes = disclosure.redaction_boxes(g.doc.pages, g.findings)
    body = redact.redacted_pdf(pdf, boxes)
    return Response(
        body,
        media_type="application/pdf",
        headers={"Content-Disposition": f"attachment; filename={g.doc.id}-redacted.pdf"},
    )


def _stream(archive: Archive, sha: str, tier: Tier, media: str, name: str) -> StreamingResponse:
    try:
        # The first chunk is read here so a missing object is a 404, not a broken stream.
        chunks = archive.store.iter_chunks(sha, tier)
        first = next(chunks, b"")
    except ObjectNotFound as exc:
        raise HTTPException(404, "Файл відсутній у сховищі") from exc

    def body() -> Any:
        yield first
        yield from chunks

    return StreamingResponse(
        body(),
        media_type=media,
        headers={"Content-Disposition": f"attachment; filename*=UTF-8''{quote(name)}"},
    )
