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

import contextlib
import os
import threading
from pathlib import Path
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Header, HTTPException, Request
from fastapi.concurrency import run_in_threadpool
from pydantic import BaseModel, Field
from sqlalchemy import select

from api.deps import ArchiveDep, DispatcherDep, EventsDep, get_uploader
from archive import cases as ops
from archive.audit import Action
from archive.batches import BatchState, StationUpload
from archive.models import DocState, Document, PackageKind
from archive.store.base import check_sha256, sha256_file
from backends import Archive
from ingest.batch import (
    BatchUnreadable,
    PartError,
    accept_into_case,
    attach_part,
    batch_report,
    find_batch,
    held_part_json,
    held_parts,
    ingest_batch,
)
from ingest.dispatch import Dispatcher
from usecases import access, desk
from usecases.policy import Principal

router = APIRouter(tags=["scans"])

Uploader = Annotated[Principal, Depends(get_uploader)]
SHA = r"^[0-9a-f]{64}$"
MAX_CHUNK = 16 * 1024 * 1024

_locks: dict[str, threading.Lock] = {}
_locks_guard = threading.Lock()


def _lock(sha: str) -> threading.Lock:
    with _locks_guard:
        return _locks.setdefault(sha, threading.Lock())


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


def _dir(archive: Archive) -> Path:
    d = archive.settings.data_dir / "uploads"
    d.mkdir(parents=True, exist_ok=True)
    return d


def _part_path(archive: Archive, sha: str) -> Path:
    return _dir(archive) / f"{check_sha256(sha)}.part"


def _known_result(archive: Archive, sha: str, kind: str) -> dict[str, Any] | None:
    """The result for bytes the archive already holds (sent earlier, by anyone)."""
    if kind == "batch":
        batch = find_batch(archive, sha)
        if batch is not None and batch.state in (BatchState.done, BatchState.review):
            report = batch_report(archive, batch.id)
            return report.as_json() if report else None
        return None
    with archive.db.session() as s:
        doc = s.scalar(select(Document).where(Document.sha256 == sha))
        if doc is not None:
            return {"document_id": doc.id, "state": doc.state.value}
    return None


def _state(archive: Archive, sha: str) -> UploadOut:
    with archive.db.session() as s:
        row = s.get(StationUpload, sha)
        if row is None:
            raise HTTPException(404, "Такого завантаження немає; почніть його з POST /api/uploads")
        size, state, result, kind = row.size, row.state, row.result, row.kind
    if state != "processed":
        known = _known_result(archive, sha, kind)
        if known is not None:
            return UploadOut(sha256=sha, size=size, offset=size, state="processed", result=known)
    path = _part_path(archive, sha)
    offset = path.stat().st_size if path.exists() else 0
    if state == "processed":
        offset = size
    return UploadOut(sha256=sha, size=size, offset=offset, state=state, result=result)


@router.post("/api/uploads", response_model=UploadOut, summary="Почати або продовжити завантаження")
def start(body: UploadIn, archive: ArchiveDep, p: Uploader) -> Any:
    limit = archive.settings.ingest.max_file_mb * 1024 * 1024
    if body.size > limit:
        raise HTTPException(
            413, f"Файл завеликий: дозволено до {archive.settings.ingest.max_file_mb:.0f} МБ"
        )
    if body.kind == "document" and not body.case:
        raise HTTPException(422, "Для документа потрібен номер справи (case)")
    known = _known_result(archive, body.sha256, body.kind)
    if known is not None:
        return UploadOut(
            sha256=body.sha256, size=body.size, offset=body.size, state="processed", result=known
        )
    with archive.db.session() as s:
        row = s.get(StationUpload, body.sha256)
        if row is None:
            meta = {"case": body.case, "centre": body.centre, "package": body.package.value}
            s.add(
                StationUpload(
                    sha256=body.sha256,
                    size=body.size,
                    name=body.name,
                    kind=body.kind,
                    meta=meta,
                    state="receiving",
                    actor=p.login,
                )
            )
        elif row.size != body.size:
            raise HTTPException(409, "Розмір не збігається з розпочатим завантаженням")
    return _state(archive, body.sha256)


@router.get("/api/uploads/{sha256}", response_model=UploadOut, summary="Стан завантаження")
def status(sha256: str, archive: ArchiveDep, p: Uploader) -> Any:
    check_sha(sha256)
    return _state(archive, sha256)


def check_sha(sha: str) -> None:
    try:
        check_sha256(sha)
    except ValueError as exc:
        raise HTTPException(422, "Очікується SHA-256 (64 шістнадцяткові символи)") from exc


@router.patch("/api/uploads/{sha256}", response_model=UploadOut, summary="Наступна частина файлу")
async def append(
    sha256: str,
    request: Request,
    archive: ArchiveDep,
    p: Uploader,
    upload_offset: Annotated[int, Header(alias="Upload-Offset", ge=0)],
) -> Any:
    check_sha(sha256)
    data = await request.body()
    if len(data) > MAX_CHUNK:
        raise HTTPException(413, "Частина завелика")
    return await run_in_threadpool(_append, archive, sha256, upload_offset, data)


def _append(archive: Archive, sha: str, offset: int, data: bytes) -> UploadOut:
    with _lock(sha):
        current = _state(archive, sha)
        if current.state == "processed":
            return current
        if offset != current.offset:
            raise HTTPException(
                409,
                f"Очікувалося зміщення {current.offset}",
                headers={"Upload-Offset": str(current.offset)},
            )
        if offset + len(data) > current.size:
            raise HTTPException(409, "Більше байтів, ніж оголошено")
        path = _part_path(archive, sha)
        with path.open("ab") as f:
            f.write(data)
            f.flush()
            # The offset we answer must survive a crash of the server.
            os.fsync(f.fileno())
        return _state(archive, sha)


@router.post(
    "/api/uploads/{sha256}/complete",
    response_model=UploadOut,
    summary="Завершити завантаження: перевірити й заархівувати",
)
def complete(
    sha256: str, archive: ArchiveDep, dispatcher: DispatcherDep, events: EventsDep, p: Uploader
) -> Any:
    check_sha(sha256)
    with _lock(sha256):
        current = _state(archive, sha256)
        if current.state == "processed":
            return current
        if current.offset != current.size:
            raise HTTPException(
                409,
                f"Отримано {current.offset} з {current.size} байтів",
                headers={"Upload-Offset": str(current.offset)},
            )
        path = _part_path(archive, sha256)
        if sha256_file(path) != sha256:
            path.unlink()
            raise HTTPException(422, "Контрольна сума не збігається; завантажте файл знову")
        with archive.db.session() as s:
            row = s.get(StationUpload, sha256)
            assert row is not None
            kind, name, meta = row.kind, row.name, dict(row.meta or {})
        try:
            result = _process(archive, dispatcher, events, p, path, kind, name, meta)
        except BatchUnreadable as exc:
            _settle(archive, sha256, "failed", {"code": exc.code, "reason": exc.reason})
            raise HTTPException(422, exc.reason) from exc
        except desk.CaseNotFound as exc:
            # The case's registration may still be on its way: the bytes are kept.
            raise HTTPException(404, f"Справу № {meta.get('case')} не знайдено") from exc
        except ops.CaseError as exc:
            raise HTTPException(422, str(exc)) from exc
        _settle(archive, sha256, "processed", result)
        with contextlib.suppress(FileNotFoundError):
            path.unlink()
        return UploadOut(
            sha256=sha256, size=current.size, offset=current.size, state="processed", result=result
        )


def _settle(archive: Archive, sha: str, state: str, result: dict[str, Any]) -> None:
    with archive.db.session() as s:
        row = s.get(StationUpload, sha)
        assert row is not None
        row.state, row.result = state, result


def _process(
    archive: Archive,
    dispatcher: Dispatcher,
    events: Any,
    p: Principal,
    path: Path,
    kind: str,
    name: str,
    meta: dict[str, Any],
) -> dict[str, Any]:
    if kind == "batch":
        report = ingest_batch(
            archive,
            path,
            actor=p.login,
            source="station",
            original_name=name,
            dispatcher=dispatcher,
            wait=False,
        )
        events.publish(
            access.event(p, desk.WRITE, details={"op": "batch.upload", "batch": report.batch_id})
        )
        return report.as_json()
    case = desk.open_case_for_desk(
        archive, events, p, "case.upload", number=str(meta["case"]), centre=meta.get("centre")
    )
    acc = accept_into_case(
        archive,
        path,
        case,
        PackageKind(meta.get("package") or "input"),
        name=name,
        actor=p.login,
        meta={"via": "station"},
    )
    dispatcher.submit(acc.document_id)
    events.publish(access.event(p, Action.upload, document_id=acc.document_id, case=case.number))
    state = acc.state.value if acc.state != DocState.accepted else "accepted"
    return {"document_id": acc.document_id, "state": state, "case": case.number}


# --- held parts -------------------------------------------------------------------------


@router.get("/api/batches/held", summary="Сторінки сканованих пачок, що чекають на перевірку")
def held(archive: ArchiveDep, p: Uploader) -> Any:
    return [held_part_json(r) for r in held_parts(archive, p.centre)]


@router.post(
    "/api/batches/parts/{part_id}/attach",
    summary="Долучити частину пачки до справи після перевірки",
)
def attach(
    part_id: int,
    body: AttachIn,
    archive: ArchiveDep,
    dispatcher: DispatcherDep,
    events: EventsDep,
    p: Uploader,
) -> Any:
    try:
        held_rows = {r.id: r for r in held_parts(archive)}
        part = held_rows.get(part_id)
        number = body.case or (part.case_number if part else None)
        centre = body.centre or (part.centre if part else None)
        if part is None or not number:
            raise PartError(
                "Частину не знайдено або її вже розглянуто"
                if part is None
                else "Вкажіть номер справи (case)"
            )
        case = desk.open_case_for_desk(
            archive, events, p, "batch.attach", number=number, centre=centre
        )
        result = attach_part(
            archive,
            part_id,
            case_number=case.number,
            centre=case.centre,
            package=body.package,
            actor=p.login,
            dispatcher=dispatcher,
            wait=False,
        )
    except PartError as exc:
        raise HTTPException(409, str(exc)) from exc
    except desk.CaseNotFound as exc:
        raise HTTPException(404, "Справу не знайдено") from exc
    except ops.CaseError as exc:
        raise HTTPException(422, str(exc)) from exc
    events.publish(
        access.event(
            p, desk.WRITE, case=case.number, details={"op": "batch.attach", "part": part_id}
        )
    )
    return result.as_json()
