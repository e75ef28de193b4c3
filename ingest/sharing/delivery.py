"""A delivery from Diia: record it, match its request, unwrap, verify and archive each document.

Order matters for "never lost": the parts are stored and the delivery is
recorded before anything is opened. Then the request id is matched (an
unknown or expired one holds the delivery for review), the metadata is
decrypted, and each document part is decrypted, its signature verified, the
signed container stored as the evidential original and the PDF inside
accepted as the case's document, with the signature and the metadata fields
on it. One broken part does not stop the others.
"""

from __future__ import annotations

import hashlib
import json
import tempfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from archive.models import Case, Document, PackageKind, Source, utcnow
from archive.sharing import SharingDelivery, SharingRequest
from backends import Archive
from ingest.errors import Rejected
from ingest.pipeline import accept_file
from ingest.preflight import check, limits_of
from ingest.sharing.crypto import CryptoError, CryptoProvider, Verification
from ingest.sharing.pades import load_roots
from ingest.sharing.pades import validate as validate_pades

# Diia's document types are lower-case words joined by hyphens; anything else
# in a part name is refused before it reaches a file name or a database row.
_PART_CHARS = frozenset("abcdefghijklmnopqrstuvwxyz0123456789-_")
METADATA_PART = "encodeData"

HELD_UNKNOWN = "Запит із таким ідентифікатором не знайдено; доставку збережено для перевірки"
HELD_EXPIRED = "Строк дії запиту минув; доставку збережено для перевірки"
HELD_NO_PARTS = "Доставка не містить жодного документа; її збережено для перевірки"


@dataclass(frozen=True, slots=True)
class Part:
    """One file part of the multipart body as received."""

    name: str
    filename: str | None
    data: bytes


@dataclass(slots=True)
class Received:
    """The delivery as recorded; ``replay`` when the same delivery had come before."""

    delivery_id: int
    state: str
    request_id: str
    case_number: str | None
    code: str | None
    reason: str | None
    parts: list[dict[str, Any]] = field(default_factory=list)
    replay: bool = False
    documents: list[str] = field(default_factory=list)


def digest_of(request_id: str, parts: Sequence[Part], metadata: bytes | None) -> str:
    """The identity of a delivery: its request id and the hashes of its parts."""
    h = hashlib.sha256(request_id.encode())
    for p in sorted(parts, key=lambda p: (p.name, hashlib.sha256(p.data).hexdigest())):
        h.update(b"\x00" + p.name.encode() + b"\x00" + hashlib.sha256(p.data).digest())
    h.update(b"\x01" + hashlib.sha256(metadata or b"").digest())
    return h.hexdigest()


def receive(
    archive: Archive,
    provider: Callable[[], CryptoProvider],
    *,
    request_id: str,
    parts: Sequence[Part],
    metadata: bytes | None,
    submit: Callable[[str], None],
    actor: str,
    now: datetime | None = None,
    address: str | None = None,
) -> Received:
    """Record a delivery and archive what it carries (idempotent by :func:`digest_of`)."""
    digest = digest_of(request_id, parts, metadata)
    known = _known(archive, digest)
    if known is not None and known.state != "received":
        known.replay = True
        return known
    if known is not None:
        # Recorded by a run that died before opening it: finish it now.
        return process(
            archive, provider, known.delivery_id, parts, metadata, submit=submit, actor=actor
        )
    # Persist first: every byte that arrived is in the store before it is opened.
    stored_parts = []
    for p in parts:
        obj = archive.store.put_bytes(p.data)
        stored_parts.append(
            {
                "name": p.name[:100],
                "filename": (p.filename or "")[:200],
                "sha256": obj.sha256,
                "size": obj.size,
                "status": "received",
            }
        )
    meta_sha = archive.store.put_bytes(metadata).sha256 if metadata is not None else None
    try:
        with archive.db.session() as s:
            row = SharingDelivery(
                digest=digest,
                request_id=request_id[:200],
                state="received",
                parts=stored_parts,
                metadata_sha256=meta_sha,
                received_at=now or utcnow(),
                source_address=(address or "")[:100] or None,
            )
            s.add(row)
            s.flush()
            delivery_id = row.id
    except IntegrityError:
        # The same delivery a moment ago, by a parallel request: theirs it is.
        again = _known(archive, digest)
        if again is None:
            raise
        again.replay = True
        return again
    return process(archive, provider, delivery_id, parts, metadata, submit=submit, actor=actor)


def process(
    archive: Archive,
    provider: Callable[[], CryptoProvider],
    delivery_id: int,
    parts: Sequence[Part],
    metadata: bytes | None,
    *,
    submit: Callable[[str], None],
    actor: str,
) -> Received:
    """Match, unwrap and archive a recorded delivery (the parts as stored)."""
    with archive.db.session() as s:
        row = s.get(SharingDelivery, delivery_id)
        assert row is not None
        request = s.get(SharingRequest, row.request_id)
        received_at = row.received_at
        case = s.get(Case, request.case_id) if request is not None else None
        case_number = case.number if case is not None else None
        expires_at = request.expires_at if request is not None else None
    if request is None or case_number is None:
        return _hold(archive, delivery_id, "unknown_request", HELD_UNKNOWN)
    if expires_at is not None and received_at > expires_at:
        return _hold(archive, delivery_id, "expired_request", HELD_EXPIRED, case_number)
    files = [p for p in parts if p.name != METADATA_PART]
    if not files:
        return _hold(archive, delivery_id, "no_documents", HELD_NO_PARTS, case_number)
    try:
        crypto = provider()
    except CryptoError as exc:
        return _hold(archive, delivery_id, exc.code, exc.reason, case_number)
    fields, meta_problem = _metadata(crypto, metadata, row_request_id=request.id)
    outcomes: list[dict[str, Any]] = []
    documents: list[str] = []
    for p in parts:
        if p.name == METADATA_PART:
            continue
        out = _one(archive, crypto, p, case_number, request.id, fields, actor, submit)
        outcomes.append(out)
        if out.get("document_id"):
            documents.append(out["document_id"])
    ok = [o for o in outcomes if o["status"] == "archived"]
    state = "archived" if len(ok) == len(outcomes) else ("partial" if ok else "held")
    code = reason = None
    if state != "archived":
        code, reason = (
            "bad_parts",
            "Частину документів доставки не вдалося відкрити; їх збережено для перевірки",
        )
    if meta_problem is not None:
        code = code or "bad_metadata"
        reason = reason or meta_problem
    with archive.db.session() as s:
        row = s.get(SharingDelivery, delivery_id)
        assert row is not None
        case_row = s.scalar(select(Case).where(Case.number == case_number))
        row.case_id = case_row.id if case_row is not None else None
        stored = {(d["name"], d["sha256"]): d for d in row.parts}
        merged = []
        for p, o in zip(files, outcomes, strict=True):
            base = stored.get((p.name[:100], hashlib.sha256(p.data).hexdigest()), {})
            merged.append({**base, **o})
        row.parts = merged
        row.state, row.code, row.reason = state, code, reason
        req = s.get(SharingRequest, request.id)
        if req is not None and req.delivered_at is None:
            req.delivered_at = utcnow()
        return Received(
            delivery_id,
            state,
            row.request_id,
            case_number,
            code,
            reason,
            merged,
            documents=documents,
        )


class ReviewError(Exception):
    """A held delivery cannot be placed or rejected as asked (``code``, Ukrainian ``reason``)."""

    def __init__(self, code: str, reason: str) -> None:
        super().__init__(reason)
        self.code = code
        self.reason = reason


NOT_HELD = "Доставку вже розглянуто або вона не чекає на перевірку"
NOTHING_TO_ATTACH = "У доставці немає документів, які можна долучити; її можна лише відхилити"


def attach_held(
    archive: Archive,
    provider: Callable[[], CryptoProvider],
    delivery_id: int,
    *,
    case_number: str,
    submit: Callable[[str], None],
    actor: str,
) -> Received:
    """Place a held delivery in a case chosen by a person: its held parts become documents.

    Idempotent: the same delivery attached again to the same case answers from
    the record (``replay``); accepting the same bytes into the same case is
    itself idempotent, so a run that died half-way is finished, not doubled.
    """
    with archive.db.session() as s:
        row = s.get(SharingDelivery, delivery_id)
        case_row = s.scalar(
            select(Case).where(Case.centre == archive.settings.centre, Case.number == case_number)
        )
        if row is None or case_row is None:
            raise ReviewError("not_held", NOT_HELD)
        placed_here = row.case_id == case_row.id and row.reviewed_by is not None
        if placed_here and row.state in ("archived", "partial"):
            done = _known(archive, row.digest)
            assert done is not None
            done.replay = True
            return done
        if row.state != "held" and not (placed_here and row.state == "attaching"):
            raise ReviewError("not_held", NOT_HELD)
        waiting = [p for p in row.parts if p.get("status") in ("held", "received")]
        if not waiting:
            raise ReviewError("nothing_to_attach", NOTHING_TO_ATTACH)
        # Claimed for this case first: a second reviewer choosing another case is refused.
        row.state, row.case_id = "attaching", case_row.id
        row.reviewed_by, row.reviewed_at = actor[:200], utcnow()
        request_id, meta_sha, stored = row.request_id, row.metadata_sha256, list(row.parts)
    metadata = archive.store.read_bytes(meta_sha) if meta_sha else None
    try:
        crypto = provider()
    except CryptoError as exc:
        _finish(archive, delivery_id, stored, "held", exc.code, exc.reason)
        raise ReviewError(exc.code, exc.reason) from exc
    fields, meta_problem = _metadata(crypto, metadata, row_request_id=request_id)
    merged: list[dict[str, Any]] = []
    for entry in stored:
        if entry.get("status") not in ("held", "received"):
            merged.append(entry)
            continue
        part = Part(entry["name"], entry.get("filename"), archive.store.read_bytes(entry["sha256"]))
        merged.append(
            {**entry, **_one(archive, crypto, part, case_number, request_id, fields, actor, submit)}
        )
    ok = [p for p in merged if p.get("status") == "archived"]
    state = "archived" if len(ok) == len(merged) else ("partial" if ok else "held")
    code = reason = None
    if state != "archived":
        code, reason = (
            "bad_parts",
            "Частину документів доставки не вдалося відкрити; їх збережено для перевірки",
        )
    if meta_problem is not None:
        code, reason = code or "bad_metadata", reason or meta_problem
    return _finish(archive, delivery_id, merged, state, code, reason)


def _finish(
    archive: Archive,
    delivery_id: int,
    parts: list[dict[str, Any]],
    state: str,
    code: str | None,
    reason: str | None,
) -> Received:
    with archive.db.session() as s:
        row = s.get(SharingDelivery, delivery_id)
        assert row is not None
        row.parts, row.state, row.code, row.reason = parts, state, code, reason
        digest = row.digest
    done = _known(archive, digest)
    assert done is not None
    return done


def reject_held(archive: Archive, delivery_id: int, *, reason: str, actor: str) -> Received:
    """A person rejects a held delivery: it stays recorded and stored, with their reason."""
    with archive.db.session() as s:
        row = s.get(SharingDelivery, delivery_id)
        if row is None or row.state not in ("held", "rejected"):
            raise ReviewError("not_held", NOT_HELD)
        if row.state == "held":
            row.state = "rejected"
            row.reviewed_by, row.reviewed_at, row.review_reason = actor[:200], utcnow(), reason
        digest = row.digest
    done = _known(archive, digest)
    assert done is not None
    return done


def _one(
    archive: Archive,
    crypto: CryptoProvider,
    part: Part,
    case_number: str,
    request_id: str,
    fields: dict[str, dict[str, str]],
    actor: str,
    submit: Callable[[str], None],
) -> dict[str, Any]:
    doc_type = part.name
    if not part.name or not set(part.name) <= _PART_CHARS:
        return {
            "status": "rejected",
            "code": "bad_part_name",
            "reason": "Невідомий тип документа в доставці",
        }
    try:
        signed = crypto.decrypt(part.data)
    except CryptoError as exc:
        return {"status": "rejected", "code": exc.code, "reason": exc.reason}
    try:
        verification = crypto.verify(signed)
    except CryptoError as exc:
        return {"status": "rejected", "code": exc.code, "reason": exc.reason}
    container = archive.store.put_bytes(signed)
    try:
        # What the envelope carried is looked at before it becomes a document: a
        # container, an encrypted or broken PDF is refused here with its reason.
        _preflight(archive, verification.content, doc_type)
    except Rejected as exc:
        return {
            "status": "rejected",
            "code": exc.code,
            "reason": exc.reason,
            "container_sha256": container.sha256,
            "signature": verification.validity.value,
        }
    pades = validate_pades(
        verification.content, load_roots(archive.settings.sharing.trusted_roots_file)
    )
    meta: dict[str, Any] = {
        **fields.get(doc_type, {}),
        "sharing_request": request_id,
        "document_type": doc_type,
        "signature": verification.as_json(),
        **({"pades": pades} if pades is not None else {}),
        "evidence": {
            "sha256": container.sha256,
            "size": container.size,
            "format": "cms-signed-data",
        },
    }
    doc_id = _archive_pdf(archive, verification, case_number, doc_type, meta, actor)
    submit(doc_id)
    return {
        "status": "archived",
        "document_id": doc_id,
        "container_sha256": container.sha256,
        "signature": verification.validity.value,
        "code": None
        if verification.validity.value == "valid"
        else "signature_" + verification.validity.value,
        "reason": verification.reason,
    }


def _archive_pdf(
    archive: Archive,
    verification: Verification,
    case_number: str,
    doc_type: str,
    meta: dict[str, Any],
    actor: str,
) -> str:
    with tempfile.TemporaryDirectory(dir=_work(archive)) as tmp:
        path = Path(tmp) / f"{doc_type}.pdf"
        path.write_bytes(verification.content)
        acc = accept_file(
            archive,
            path,
            case_number=case_number,
            package=PackageKind.input,
            source=Source.sharing,
            original_name=f"{doc_type}.pdf",
            actor=actor,
        )
    if acc.new:
        # Before the worker sees it, so its findings cover the metadata fields.
        with archive.db.session() as s:
            doc = s.get(Document, acc.document_id)
            assert doc is not None
            doc.meta = {**(doc.meta or {}), **meta}
    return acc.document_id


def _preflight(archive: Archive, content: bytes, doc_type: str) -> None:
    with tempfile.TemporaryDirectory(dir=_work(archive)) as tmp:
        path = Path(tmp) / f"{doc_type}.pdf"
        path.write_bytes(content)
        check(path, limits_of(archive.settings))


def _work(archive: Archive) -> Path:
    work = archive.settings.work_dir
    work.mkdir(parents=True, exist_ok=True)
    return work


def _metadata(
    crypto: CryptoProvider, metadata: bytes | None, *, row_request_id: str
) -> tuple[dict[str, dict[str, str]], str | None]:
    """The fields of each document type from ``encodeData`` (empty when unreadable)."""
    if metadata is None:
        return {}, None
    try:
        plain = crypto.decrypt(metadata)
        try:
            body = json.loads(plain)
        except ValueError:
            import base64

            body = json.loads(base64.b64decode(plain))
    except (CryptoError, ValueError):
        return {}, "Метадані доставки не вдалося розшифрувати; документи збережено без них"
    if not isinstance(body, dict):
        return {}, "Метадані доставки мають невідомий формат"
    problem = None
    if body.get("requestId") not in (None, row_request_id):
        problem = "Ідентифікатор запиту в метаданих не збігається із заголовком"
    inner = body.get("data")
    data: dict[str, Any] = inner if isinstance(inner, dict) else body
    out: dict[str, dict[str, str]] = {}
    for doc_type, value in data.items():
        item = value[0] if isinstance(value, list) and value else value
        if isinstance(item, dict):
            out[str(doc_type)] = _flat(item)
    return out, problem


def _flat(item: dict[str, Any], prefix: str = "") -> dict[str, str]:
    out: dict[str, str] = {}
    for k, v in item.items():
        key = f"{prefix}{k}"
        if isinstance(v, dict):
            out.update(_flat(v, key + "."))
        elif isinstance(v, str | int | float) and not isinstance(v, bool):
            out[key[:100]] = str(v)[:500]
    return out


def _hold(
    archive: Archive, delivery_id: int, code: str, reason: str, case_number: str | None = None
) -> Received:
    with archive.db.session() as s:
        row = s.get(SharingDelivery, delivery_id)
        assert row is not None
        row.state, row.code, row.reason = "held", code, reason
        row.parts = [{**p, "status": "held"} for p in row.parts]
        return Received(
            delivery_id, "held", row.request_id, case_number, code, reason, list(row.parts)
        )


def _known(archive: Archive, digest: str) -> Received | None:
    with archive.db.session() as s:
        row = s.scalar(select(SharingDelivery).where(SharingDelivery.digest == digest))
        if row is None:
            return None
        case = s.get(Case, row.case_id) if row.case_id is not None else None
        docs = [p["document_id"] for p in row.parts if p.get("document_id")]
        return Received(
            row.id,
            row.state,
            row.request_id,
            case.number if case else None,
            row.code,
            row.reason,
            list(row.parts),
            documents=docs,
        )
