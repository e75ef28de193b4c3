"""Documents: upload, metadata and state, page text, the PDF/A and the original."""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, File, Form, HTTPException, UploadFile
from fastapi.responses import JSONResponse, StreamingResponse

from api.deps import ArchiveDep, DispatcherDep, DocumentDep
from api.schemas import DocumentOut, IngestOut, PageOut
from api.views import document_json
from archive.models import DocState, PackageKind, Source
from archive.store import ObjectNotFound
from ingest.pipeline import accept_file, outcome_for

router = APIRouter(prefix="/api/documents", tags=["documents"])


@router.post("", response_model=IngestOut, summary="Завантажити файл до архіву")
def upload(
    archive: ArchiveDep,
    dispatcher: DispatcherDep,
    file: Annotated[UploadFile, File(description="PDF, JPEG, PNG або TIFF")],
    case: Annotated[str | None, Form(description="Номер справи")] = None,
    package: Annotated[PackageKind, Form()] = PackageKind.input,
    source: Annotated[Source, Form()] = Source.upload,
    wait: Annotated[bool, Form(description="Чекати завершення обробки")] = True,
) -> Any:
    name = Path(file.filename or "upload").name
    with tempfile.TemporaryDirectory(dir=archive.settings.work_dir) as tmp:
        path = Path(tmp) / "upload"
        with path.open("wb") as f:
            shutil.copyfileobj(file.file, f, 1024 * 1024)
        acc = accept_file(
            archive, path, case_number=case, package=package, source=source, original_name=name
        )
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
def get_document(doc: DocumentDep) -> Any:
    return document_json(doc)


@router.get("/{document_id}/pages", response_model=list[PageOut], summary="Текст сторінок")
def get_pages(doc: DocumentDep) -> Any:
    return [{"number": p.number, "text": p.text} for p in doc.pages]


@router.get("/{document_id}/pages/{number}", response_model=PageOut, summary="Текст сторінки")
def get_page(doc: DocumentDep, number: int) -> Any:
    for p in doc.pages:
        if p.number == number:
            return {"number": p.number, "text": p.text}
    raise HTTPException(404, "Сторінку не знайдено")


@router.get(
    "/{document_id}/pdf",
    response_class=StreamingResponse,
    responses={200: {"content": {"application/pdf": {}}}},
    summary="Архівна копія PDF/A",
)
def get_pdf(doc: DocumentDep, archive: ArchiveDep) -> StreamingResponse:
    if doc.state != DocState.archived or not doc.pdfa_sha256:
        raise HTTPException(409, "Документ ще не має архівної копії PDF/A")
    return _stream(archive, doc.pdfa_sha256, doc.pdfa_tier, "application/pdf", f"{doc.id}.pdf")


@router.get(
    "/{document_id}/original",
    response_class=StreamingResponse,
    responses={200: {"content": {"application/octet-stream": {}}}},
    summary="Оригінал файлу, як його отримано",
)
def get_original(doc: DocumentDep, archive: ArchiveDep) -> StreamingResponse:
    return _stream(
        archive,
        doc.sha256,
        doc.original_tier,
        doc.media_type or "application/octet-stream",
        doc.original_name,
    )


def _stream(archive: ArchiveDep, sha: str, tier: Any, media: str, name: str) -> StreamingResponse:
    try:
        # The first chunk is read here so a missing object is a 404, not a broken stream.
        chunks = archive.store.iter_chunks(sha, tier)
        first = next(chunks, b"")
    except ObjectNotFound as exc:
        raise HTTPException(404, "Файл відсутній у сховищі") from exc

    def body() -> Any:
        yield first
        yield from chunks

    from urllib.parse import quote

    return StreamingResponse(
        body(),
        media_type=media,
        headers={"Content-Disposition": f"attachment; filename*=UTF-8''{quote(name)}"},
    )
