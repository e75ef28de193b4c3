"""Scans: resumable uploads from stations, and parts of scanned batches held for review.

The upload protocol (used by ``cnap-archive station``), idempotent by SHA-256:

1. ``POST /api/uploads`` with ``{sha256, size, name, kind, …}`` — the server
   answers how many bytes it already has (``offset``), or ``state:
   processed`` with the earlier result when it has seen these bytes before;
2. ``PATCH /api/uploads/{sha256}`` with header ``Upload-Offset: N`` and the
   next bytes — appended only at the offset the server has (otherwise 409
   with the right offset), fsynced before the answer;
3. ``POST /api/uploads/{sha256}/complete`` — the bytes are checked against
   the SHA-256, then split and archived (``kind: batch``) or archived as a
   document of a case (``kind: document``). Sent again, it returns the
   same result.

A cut link is resumed by starting at step 1 again.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Header, Request
from fastapi.concurrency import run_in_threadpool
from pydantic import BaseModel, Field

from api.routes._errors_desk import ContextDep, http_errors
from archive.models import PackageKind
from usecases import batches, uploads

router = APIRouter(tags=["scans"])

SHA = r"^[0-9a-f]{64}$"


class UploadIn(BaseModel):
    sha256: str = Field(pattern=SHA)
    size: int = Field(ge=1)
    name: str = Field(min_length=1, max_length=500)
    kind: Literal["batch", "document"] = "batch"
    # For ``kind: document``: the case and package it belongs to.
    case: str | None = Field(default=None, max_length=64)
    centre: str | None = Field(default=None, max_length=200)
    package: PackageKind = PackageKind.input


class UploadOut(BaseModel):
    sha256: str
    size: int
    offset: int
    state: str
    result: dict[str, Any] | None = None


class AttachIn(BaseModel):
    case: str | None = Field(default=None, max_length=64)
    centre: str | None = Field(default=None, max_length=200)
    package: PackageKind | None = None


@router.post("/api/uploads", response_model=UploadOut, summary="Почати або продовжити завантаження")
def start(body: UploadIn, ctx: ContextDep) -> Any:
    with http_errors():
        st = uploads.start_upload(
            ctx,
            sha256=body.sha256,
            size=body.size,
            name=body.name,
            kind=body.kind,
            case=body.case,
            centre=body.centre,
            package=body.package,
        )
    return st.as_json()


@router.get("/api/uploads/{sha256}", response_model=UploadOut, summary="Стан завантаження")
def status(sha256: str, ctx: ContextDep) -> Any:
    with http_errors():
        return uploads.upload_status(ctx, sha256=sha256).as_json()


@router.patch("/api/uploads/{sha256}", response_model=UploadOut, summary="Наступна частина файлу")
async def append(
    sha256: str,
    request: Request,
    ctx: ContextDep,
    upload_offset: Annotated[int, Header(alias="Upload-Offset", ge=0)],
) -> Any:
    data = await request.body()
    with http_errors():
        st = await run_in_threadpool(
            uploads.append_upload, ctx, sha256=sha256, offset=upload_offset, data=data
        )
    return st.as_json()


@router.post(
    "/api/uploads/{sha256}/complete",
    response_model=UploadOut,
    summary="Завершити завантаження: перевірити й заархівувати",
)
def complete(sha256: str, ctx: ContextDep) -> Any:
    with http_errors():
        return uploads.complete_upload(ctx, sha256=sha256).as_json()


# --- held parts -------------------------------------------------------------------------


@router.get("/api/batches/held", summary="Сторінки сканованих пачок, що чекають на перевірку")
def held(ctx: ContextDep) -> Any:
    with http_errors():
        return batches.list_held_parts(ctx)


@router.post(
    "/api/batches/parts/{part_id}/attach",
    summary="Долучити частину пачки до справи після перевірки",
)
def attach(part_id: int, body: AttachIn, ctx: ContextDep) -> Any:
    with http_errors():
        return batches.attach_held_part(
            ctx,
            part_id=part_id,
            case=body.case,
            centre=body.centre,
            package=body.package,
            wait=False,
        )
