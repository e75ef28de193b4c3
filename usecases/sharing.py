"""Documents shared from Diia: the request at the desk, the QR sheet, Diia's delivery.

* :func:`request_sharing` — an administrator of the case's centre asks Diia for
  a deeplink for a request id the archive generates; the request is recorded
  against the case (``sharing.request``).
* :func:`sharing_sheet` — the deeplink as a QR code (PNG) or a printable sheet
  (PDF) for that administrator (``sharing.read``).
* :func:`receive_delivery` — Diia's POST. Diia is no user of the archive: it
  is authorised by the request id it carries (unguessable, one case, expiring)
  and by the envelope being for the centre's key; it acts as the principal
  :func:`diia_principal` (``sharing.delivery``).
* :func:`document_sharing` — a shared document's signature and the metadata
  fields it came with, masked as the caller's level says (``document.metadata``).
"""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Literal

from archive.audit import Action
from archive.models import CaseEvent, utcnow
from archive.settings import Settings
from archive.sharing import SharingRequest
from archive.users import Role
from ingest.sharing import delivery as deliveries
from ingest.sharing.crypto import CryptoProvider, load_provider
from ingest.sharing.diia import DiiaClient, DiiaUnavailable
from ingest.sharing.sheet import qr_png, sheet_pdf
from pii import mask
from usecases import access
from usecases.case_access import open_case_for_desk
from usecases.context import Context
from usecases.errors import Invalid, NotFound, TooLarge, Unavailable
from usecases.policy import Level, Principal
from usecases.registry import use_case

DIIA_LOGIN = "diia"
REQUEST_NOT_FOUND = "Запит на обмін документами не знайдено"


def diia_principal(settings: Settings, address: str | None = None) -> Principal:
    """Who a delivery acts as: Diia, delivering to this archive's centre only."""
    return Principal(
        login=DIIA_LOGIN, role=Role.administrator, centre=settings.centre, address=address
    )


@dataclass(frozen=True, slots=True)
class SharingRequestView:
    request_id: str
    case: str
    deeplink: str
    expires_at: datetime

    def as_json(self) -> dict[str, Any]:
        return {
            "request_id": self.request_id,
            "case": self.case,
            "deeplink": self.deeplink,
            "expires_at": self.expires_at.isoformat(),
        }


@use_case(Action.sharing_request)
def request_sharing(
    ctx: Context, *, case: str | None = None, case_id: int | None = None
) -> SharingRequestView:
    """Ask Diia for a deeplink for a new request id, for the case (by number or id)."""
    archive = ctx.archive
    settings = archive.settings.sharing
    found = open_case_for_desk(
        archive, ctx.events, ctx.principal, Action.sharing_request, case_id=case_id, number=case
    )
    request_id = secrets.token_hex(16)
    try:
        with DiiaClient.from_settings(settings) as client:
            link = client.request_documents(
                request_id=request_id,
                branch=settings.branch_name,
                offer=settings.offer_name,
                delivery_url=settings.delivery_url,
            )
    except DiiaUnavailable as exc:
        if exc.code == "not_configured":
            raise Invalid(exc.reason, code="sharing_not_configured") from exc
        raise Unavailable(exc.reason, code=exc.code) from exc
    now = utcnow()
    expires = now + timedelta(minutes=settings.request_ttl_minutes)
    with archive.db.session() as s:
        s.add(
            SharingRequest(
                id=request_id,
                case_id=found.id,
                centre=found.centre,
                created_by=ctx.actor,
                created_at=now,
                expires_at=expires,
                deeplink=link.deeplink,
                branch_id=link.branch_id,
                offer_id=link.offer_id,
            )
        )
        s.add(
            CaseEvent(
                case_id=found.id,
                kind="sharing.requested",
                actor=ctx.actor,
                details={"request_id": request_id},
            )
        )
    ctx.events.publish(
        access.event(
            ctx.principal,
            Action.sharing_request,
            case=found.number,
            details={"request_id": request_id},
        )
    )
    return SharingRequestView(request_id, found.number, link.deeplink, expires)


@dataclass(frozen=True, slots=True)
class SharingSheet:
    request_id: str
    media_type: str
    content: bytes
    filename: str


@use_case(Action.sharing_read)
def sharing_sheet(
    ctx: Context, *, request_id: str, kind: Literal["png", "pdf"] = "pdf"
) -> SharingSheet:
    """The request's QR code (``png``) or printable sheet (``pdf``), for its case's desk."""
    archive = ctx.archive
    with archive.db.session() as s:
        req = s.get(SharingRequest, request_id)
        if req is None:
            raise NotFound(REQUEST_NOT_FOUND, code="sharing_request_not_found")
        case_id, link, expires = req.case_id, req.deeplink, req.expires_at
    found = open_case_for_desk(
        archive, ctx.events, ctx.principal, Action.sharing_read, case_id=case_id
    )
    if kind == "png":
        content, media = qr_png(link), "image/png"
    else:
        content = sheet_pdf(
            link=link,
            case_number=found.number,
            centre=found.centre,
            request_id=request_id,
            expires_at=expires,
            timezone=archive.settings.desk.timezone,
        )
        media = "application/pdf"
    ctx.events.publish(
        access.event(
            ctx.principal,
            Action.sharing_read,
            case=found.number,
            details={"request_id": request_id, "kind": kind},
        )
    )
    return SharingSheet(request_id, media, content, f"diia-{request_id[:8]}.{kind}")


@dataclass(frozen=True, slots=True)
class DeliveryPart:
    """One part of Diia's multipart body: its name (the document type), file name, bytes."""

    name: str
    filename: str | None
    data: bytes


@dataclass(frozen=True, slots=True)
class DeliveryResult:
    delivery_id: int
    state: str
    case: str | None
    code: str | None
    reason: str | None
    replay: bool
    parts: list[dict[str, Any]] = field(default_factory=list)

    def as_json(self) -> dict[str, Any]:
        keep = ("name", "status", "code", "reason", "document_id", "signature")
        return {
            "delivery_id": self.delivery_id,
            "state": self.state,
            "case": self.case,
            "code": self.code,
            "reason": self.reason,
            "replay": self.replay,
            "parts": [{k: p.get(k) for k in keep} for p in self.parts],
        }


@use_case(Action.sharing_delivery)
def receive_delivery(
    ctx: Context,
    *,
    request_id: str,
    parts: Sequence[DeliveryPart],
    provider: CryptoProvider | None = None,
) -> DeliveryResult:
    """Record Diia's delivery and archive its documents into the request's case.

    Nothing is dropped: an unknown or expired request id, or parts that do not
    open, leave the delivery held with a Ukrainian reason. The same delivery
    posted again is answered from the record (``replay``).
    """
    archive = ctx.archive
    settings = archive.settings.sharing
    request_id = request_id.strip()
    if not request_id or len(request_id) > 200:
        raise Invalid(
            "Заголовок X-Document-Request-Trace-Id відсутній або завеликий", code="no_request_id"
        )
    if not parts:
        raise Invalid("Доставка не містить жодної частини", code="empty_delivery")
    if sum(len(p.data) for p in parts) > settings.max_delivery_mb * 1024 * 1024:
        raise TooLarge("Доставка перевищує дозволений розмір", code="delivery_too_large")
    metadata = next((p.data for p in parts if p.name == deliveries.METADATA_PART), None)
    files = [
        deliveries.Part(p.name, p.filename, p.data)
        for p in parts
        if p.name != deliveries.METADATA_PART
    ]
    dispatcher = ctx.dispatcher
    submitted: list[str] = []
    result = deliveries.receive(
        archive,
        (lambda: provider) if provider is not None else (lambda: load_provider(settings)),
        request_id=request_id,
        parts=files,
        metadata=metadata,
        submit=dispatcher.submit if dispatcher is not None else submitted.append,
        actor=ctx.actor,
        address=ctx.principal.address,
    )
    if dispatcher is None and submitted:
        # No worker pool in this context: process here (the command line, tests).
        from ingest.dispatch import open_dispatcher

        own = open_dispatcher(archive)
        try:
            for doc_id in submitted:
                own.submit(doc_id)
            own.wait(submitted)
        finally:
            own.close()
    ctx.events.publish(
        access.event(
            ctx.principal,
            Action.sharing_delivery,
            case=result.case_number,
            documents=result.documents,
            details={
                "delivery_id": result.delivery_id,
                "state": result.state,
                "replay": result.replay,
            },
        )
    )
    return DeliveryResult(
        result.delivery_id,
        result.state,
        result.case_number,
        result.code,
        result.reason,
        result.replay,
        result.parts,
    )


@dataclass(frozen=True, slots=True)
class DocumentSharing:
    """A shared document's signature and metadata fields, as the caller may see them."""

    document_id: str
    document_type: str | None
    signature: dict[str, Any] | None
    fields: dict[str, str] | None
    masked: bool
    pades: dict[str, Any] | None = None

    def as_json(self) -> dict[str, Any]:
        return {
            "document_id": self.document_id,
            "document_type": self.document_type,
            "signature": self.signature,
            "pades": self.pades,
            "fields": self.fields,
            "masked": self.masked,
        }


_NOT_FIELDS = frozenset(
    {"rendition", "signature", "evidence", "sharing_request", "document_type", "pades"}
)


@use_case(Action.document_metadata)
def document_sharing(
    ctx: Context, *, document_id: str, reason: str | None = None
) -> DocumentSharing:
    """The signature, and the metadata fields (masked below full access; none for metadata)."""
    g = access.open_document(ctx, document_id, Action.document_metadata, reason=reason)
    meta = dict(g.doc.meta or {})
    signature = meta.get("signature")
    raw = {k: str(v) for k, v in meta.items() if k not in _NOT_FIELDS and isinstance(v, str | int)}
    level = g.decision.level
    fields: dict[str, str] | None
    if level >= Level.FULL:
        fields = raw
    elif level >= Level.MASKED:
        fields = _masked(raw, [(f.kind, f.value) for f in g.findings if f.source == "meta"])
    else:
        fields = None
    return DocumentSharing(
        document_id,
        meta.get("document_type"),
        signature,
        fields,
        level < Level.FULL,
        meta.get("pades"),
    )


def _masked(fields: dict[str, str], found: list[tuple[str, str]]) -> dict[str, str]:
    from archive.findings import classify

    out: dict[str, str] = {}
    for key, value in fields.items():
        kinds = [i for i in classify(value, strict=True) if (i.kind, i.value) in found]
        named = [
            (k, v) for k, v in found if k == "name" and v.casefold() == value.strip().casefold()
        ]
        if kinds:
            out[key] = mask(kinds[0].value, kinds[0].kind)
        elif named:
            out[key] = mask(value.strip(), "name")
        else:
            out[key] = value
    return out


__all__ = [
    "DIIA_LOGIN",
    "DeliveryPart",
    "DeliveryResult",
    "DocumentSharing",
    "SharingRequestView",
    "SharingSheet",
    "diia_principal",
    "document_sharing",
    "receive_delivery",
    "request_sharing",
    "sharing_sheet",
]
