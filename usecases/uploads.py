"""The resumable upload protocol of the stations, idempotent by SHA-256.

1. ``start_upload`` — the archive answers how many bytes it already has
   (``offset``), or ``state: processed`` with the earlier result when it has
   seen these bytes before (sent by anyone);
2. ``append_upload`` — the next bytes, appended only at the offset the
   archive has (otherwise :class:`Conflict` with ``details["offset"]``),
   fsynced before the answer;
3. ``complete_upload`` — the bytes are checked against the SHA-256, then
   split and archived (``kind: batch``) or archived as a document of a case
   (``kind: document``). Called again, it returns the same result.

A cut link is resumed by starting at step 1 again. The bytes wait in
``<data>/uploads/<sha256>.part``; one lock per SHA-256 keeps two requests
for the same file from interleaving inside this process.
"""

from __future__ import annotations

import contextlib
import os
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from sqlalchemy import select

from archive.audit import Action
from archive.batches import BatchState, StationUpload
from archive.models import DocState, Document, PackageKind
from archive.store.base import check_sha256, sha256_file
from backends import Archive
from usecases.access import event
from usecases.case_access import desk_errors, open_case_for_desk, require_desk
from usecases.context import Context
from usecases.errors import Conflict, Invalid, NotFound, TooLarge
from usecases.policy import Principal
from usecases.probes import hash_probe_visible
from usecases.registry import use_case

MAX_CHUNK = 16 * 1024 * 1024

_locks: dict[str, threading.Lock] = {}
_locks_guard = threading.Lock()


def _lock(sha: str) -> threading.Lock:
    with _locks_guard:
        return _locks.setdefault(sha, threading.Lock())


@dataclass(frozen=True, slots=True)
class UploadState:
    """Where an upload stands: bytes the archive has, and the result once processed."""

    sha256: str
    size: int
    offset: int
    state: str
    result: dict[str, Any] | None = None

    def as_json(self) -> dict[str, Any]:
        return {
            "sha256": self.sha256,
            "size": self.size,
            "offset": self.offset,
            "state": self.state,
            "result": self.result,
        }


def _checked(sha: str) -> str:
    try:
        return check_sha256(sha)
    except ValueError as exc:
        raise Invalid("Очікується SHA-256 (64 шістнадцяткові символи)", code="bad_sha256") from exc


def _part_path(archive: Archive, sha: str) -> Path:
    d = archive.settings.data_dir / "uploads"
    d.mkdir(parents=True, exist_ok=True)
    return d / f"{check_sha256(sha)}.part"


def _known_result(
    archive: Archive, sha: str, kind: str, p: Principal | None = None
) -> dict[str, Any] | None:
    """The result for bytes the archive already holds (sent earlier, by anyone).

    A document the caller ``p`` may not see is not revealed (issue 9, item 8):
    the upload then goes on as for unknown bytes.
    """
    from ingest.batch import batch_report, find_batch

    if kind == "batch":
        batch = find_batch(archive, sha)
        if batch is not None and batch.state in (BatchState.done, BatchState.review):
            report = batch_report(archive, batch.id)
            return report.as_json() if report else None
        return None
    with archive.db.session() as s:
        doc = s.scalar(select(Document).where(Document.sha256 == sha))
        if doc is not None and (p is None or hash_probe_visible(archive, p, doc)):
            return {"document_id": doc.id, "state": doc.state.value}
    return None


def _state(archive: Archive, sha: str, p: Principal | None = None) -> UploadState:
    with archive.db.session() as s:
        row = s.get(StationUpload, sha)
        if row is None:
            raise NotFound(
                "Такого завантаження немає; почніть його з POST /api/uploads",
                code="upload_not_found",
            )
        size, state, result, kind = row.size, row.state, row.result, row.kind
    if state != "processed":
        known = _known_result(archive, sha, kind, p)
        if known is not None:
            return UploadState(sha, size, size, "processed", known)
    path = _part_path(archive, sha)
    offset = path.stat().st_size if path.exists() else 0
    if state == "processed":
        offset = size
    return UploadState(sha, size, offset, state, result)


def _allowed(ctx: Context, action: Action) -> None:
    require_desk(ctx.archive, ctx.events, ctx.principal, ctx.archive.settings.centre, action)


def _log(
    ctx: Context, action: Action, st: UploadState, document_id: str | None = None, **details: Any
) -> None:
    ctx.events.publish(
        event(
            ctx.principal,
            action,
            document_id=document_id,
            case=details.pop("case", None),
            details={"sha256": st.sha256, "offset": st.offset, "state": st.state, **details},
        )
    )


@use_case(Action.station_upload)
def start_upload(
    ctx: Context,
    *,
    sha256: str,
    size: int,
    name: str,
    kind: Literal["batch", "document"] = "batch",
    case: str | None = None,
    centre: str | None = None,
    package: PackageKind = PackageKind.input,
) -> UploadState:
    """Start (or resume) an upload; bytes the archive already has are answered at once."""
    archive = ctx.archive
    _allowed(ctx, Action.station_upload)
    sha = _checked(sha256)
    limit = archive.settings.ingest.max_file_mb * 1024 * 1024
    if size > limit:
        raise TooLarge(f"Файл завеликий: дозволено до {archive.settings.ingest.max_file_mb:.0f} МБ")
    if kind == "document" and not case:
        raise Invalid("Для документа потрібен номер справи (case)")
    known = _known_result(archive, sha, kind, ctx.principal)
    if known is not None:
        st = UploadState(sha, size, size, "processed", known)
        _log(ctx, Action.station_upload, st, kind=kind)
        return st
    with archive.db.session() as s:
        row = s.get(StationUpload, sha)
        if row is None:
            meta = {"case": case, "centre": centre, "package": package.value}
            s.add(
                StationUpload(
                    sha256=sha,
                    size=size,
                    name=name,
                    kind=kind,
                    meta=meta,
                    state="receiving",
                    actor=ctx.principal.login,
                )
            )
        elif row.size != size:
            raise Conflict("Розмір не збігається з розпочатим завантаженням")
    st = _state(archive, sha, ctx.principal)
    _log(ctx, Action.station_upload, st, kind=kind)
    return st


@use_case(Action.station_upload_status)
def upload_status(ctx: Context, *, sha256: str) -> UploadState:
    """How many bytes of an upload the archive has (and its result once processed)."""
    _allowed(ctx, Action.station_upload_status)
    st = _state(ctx.archive, _checked(sha256), ctx.principal)
    _log(ctx, Action.station_upload_status, st)
    return st


@use_case(Action.station_upload_append)
def append_upload(ctx: Context, *, sha256: str, offset: int, data: bytes) -> UploadState:
    """Append the next bytes at ``offset`` (made durable before the answer)."""
    _allowed(ctx, Action.station_upload_append)
    sha = _checked(sha256)
    if len(data) > MAX_CHUNK:
        raise TooLarge("Частина завелика")
    with _lock(sha):
        current = _state(ctx.archive, sha, ctx.principal)
        if current.state != "processed":
            if offset != current.offset:
                raise Conflict(
                    f"Очікувалося зміщення {current.offset}",
                    code="wrong_offset",
                    details={"offset": current.offset},
                )
            if offset + len(data) > current.size:
                raise Conflict("Більше байтів, ніж оголошено", code="too_many_bytes")
            with _part_path(ctx.archive, sha).open("ab") as f:
                f.write(data)
                f.flush()
                # The offset we answer must survive a crash of the server.
                os.fsync(f.fileno())
            current = _state(ctx.archive, sha, ctx.principal)
    _log(ctx, Action.station_upload_append, current, bytes=len(data))
    return current


@use_case(Action.station_upload_complete)
def complete_upload(ctx: Context, *, sha256: str) -> UploadState:
    """Check the bytes against their SHA-256 and archive them (a batch or a case's document)."""
    archive = ctx.archive
    _allowed(ctx, Action.station_upload_complete)
    sha = _checked(sha256)
    with _lock(sha):
        current = _state(archive, sha, ctx.principal)
        if current.state == "processed":
            _log(ctx, Action.station_upload_complete, current)
            return current
        if current.offset != current.size:
            raise Conflict(
                f"Отримано {current.offset} з {current.size} байтів",
                code="incomplete",
                details={"offset": current.offset},
            )
        path = _part_path(archive, sha)
        if sha256_file(path) != sha:
            path.unlink()
            raise Invalid(
                "Контрольна сума не збігається; завантажте файл знову", code="checksum_mismatch"
            )
        with archive.db.session() as s:
            row = s.get(StationUpload, sha)
            assert row is not None
            kind, name, meta = row.kind, row.name, dict(row.meta or {})
        if kind == "batch":
            result, details = _process_batch(ctx, sha, path, name)
        else:
            result, details = _process_document(ctx, path, name, meta)
        _settle(archive, sha, "processed", result)
        with contextlib.suppress(FileNotFoundError):
            path.unlink()
    done = UploadState(sha, current.size, current.size, "processed", result)
    _log(ctx, Action.station_upload_complete, done, kind=kind, **details)
    return done


def _settle(archive: Archive, sha: str, state: str, result: dict[str, Any]) -> None:
    with archive.db.session() as s:
        row = s.get(StationUpload, sha)
        assert row is not None
        row.state, row.result = state, result


def _process_batch(
    ctx: Context, sha: str, path: Path, name: str
) -> tuple[dict[str, Any], dict[str, Any]]:
    from ingest.batch import BatchUnreadable, ingest_batch

    try:
        report = ingest_batch(
            ctx.archive,
            path,
            actor=ctx.principal.login,
            source="station",
            original_name=name,
            dispatcher=ctx.dispatcher,
            wait=False,
        )
    except BatchUnreadable as exc:
        _settle(ctx.archive, sha, "failed", {"code": exc.code, "reason": exc.reason})
        raise Invalid(exc.reason, code=exc.code) from exc
    cases = sorted({p.case for p in report.parts if p.case})
    return report.as_json(), {"batch": report.batch_id, "cases": cases}


def _process_document(
    ctx: Context, path: Path, name: str, meta: dict[str, Any]
) -> tuple[dict[str, Any], dict[str, Any]]:
    from ingest.batch import accept_into_case

    # A missing case is NotFound: its registration may still be on its way, the bytes are kept.
    case = open_case_for_desk(
        ctx.archive,
        ctx.events,
        ctx.principal,
        Action.station_upload_complete,
        number=str(meta["case"]),
        centre=meta.get("centre"),
    )
    with desk_errors():
        acc = accept_into_case(
            ctx.archive,
            path,
            case,
            PackageKind(meta.get("package") or "input"),
            name=name,
            actor=ctx.principal.login,
            meta={"via": "station"},
        )
    if ctx.dispatcher is not None:
        ctx.dispatcher.submit(acc.document_id)
    state = acc.state.value if acc.state != DocState.accepted else "accepted"
    result = {"document_id": acc.document_id, "state": state, "case": case.number}
    return result, {"document_id": acc.document_id, "case": case.number}


__all__ = [
    "MAX_CHUNK",
    "UploadState",
    "append_upload",
    "complete_upload",
    "start_upload",
    "upload_status",
]
