"""Documents shared from Diia and received by e-mail: requests, deliveries, messages.

Every delivery and every message is recorded (and its bytes stored) before it
is looked at, so nothing that arrived is ever lost: what cannot be placed in
a case is *held* with a reason for a person to review. A delivery is known by
the SHA-256 of its request id and parts, a message by its Message-ID, so a
replay or a restart archives nothing twice.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from archive.models import Base, UTCDateTime, utcnow


class SharingRequest(Base):
    """A request for documents from Diia, made at the desk for one case."""

    __tablename__ = "sharing_requests"

    # The request id the archive generated (sent to Diia, back in the delivery's header).
    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), index=True)
    centre: Mapped[str] = mapped_column(String(200))
    created_by: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    deeplink: Mapped[str] = mapped_column(Text)
    branch_id: Mapped[str | None] = mapped_column(String(100))
    offer_id: Mapped[str | None] = mapped_column(String(100))
    delivered_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class SharingDelivery(Base):
    """One POST from Diia, as received: held, archived, or archived in part."""

    __tablename__ = "sharing_deliveries"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    # SHA-256 over the request id and the parts: the same delivery posted again is found.
    digest: Mapped[str] = mapped_column(String(64), unique=True)
    request_id: Mapped[str] = mapped_column(String(200), index=True)
    case_id: Mapped[int | None] = mapped_column(ForeignKey("cases.id"), index=True)
    received_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # "received" (stored, not yet unwrapped), "archived", "partial", "held",
    # "attaching" (a person placed it in a case), "rejected" (by a person, kept)
    state: Mapped[str] = mapped_column(String(16), default="received", index=True)
    code: Mapped[str | None] = mapped_column(String(64))
    reason: Mapped[str | None] = mapped_column(Text)
    # [{"name", "filename", "sha256" (as received), "size", "status", "code",
    #   "reason", "container_sha256", "document_id", "signature"}]
    parts: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    # SHA-256 of the encodeData part as received (kept in the object store).
    metadata_sha256: Mapped[str | None] = mapped_column(String(64))
    # The network address the delivery came from (shown to the desk reviewing it).
    source_address: Mapped[str | None] = mapped_column(String(100))
    # A person's review of a held delivery: attached to a case, or rejected with a reason.
    reviewed_by: Mapped[str | None] = mapped_column(String(200))
    reviewed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    review_reason: Mapped[str | None] = mapped_column(Text)


class MailMessage(Base):
    """One e-mail message taken from the mailbox."""

    __tablename__ = "mail_messages"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    # SHA-256 of the Message-ID (or of the message when it has none).
    key: Mapped[str] = mapped_column(String(64), unique=True)
    message_id: Mapped[str] = mapped_column(Text)
    # The whole message as received, in the object store.
    raw_sha256: Mapped[str] = mapped_column(String(64))
    case_id: Mapped[int | None] = mapped_column(ForeignKey("cases.id"), index=True)
    received_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # "received", "archived", "held", "attaching" (a person placed it), "rejected"
    state: Mapped[str] = mapped_column(String(16), default="received", index=True)
    code: Mapped[str | None] = mapped_column(String(64))
    reason: Mapped[str | None] = mapped_column(Text)
    # [{"filename", "sha256", "size", "status", "code", "reason", "document_id"}]
    attachments: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    moved: Mapped[int] = mapped_column(Integer, default=0)
    # The From address as written (personal data: shown masked).
    sender: Mapped[str | None] = mapped_column(Text)
    reviewed_by: Mapped[str | None] = mapped_column(String(200))
    reviewed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    review_reason: Mapped[str | None] = mapped_column(Text)
