"""The archive's domain as database tables: cases, packages, documents, pages, events.

Portable SQLAlchemy 2 types only, so the same models and migrations run on
SQLite (embedded) and PostgreSQL (scale-out).
"""

from __future__ import annotations

import enum
import uuid
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Connection,
    Date,
    DateTime,
    Enum,
    ForeignKey,
    Integer,
    String,
    Text,
    UniqueConstraint,
    delete,
    event,
    insert,
    select,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, Mapper, mapped_column, relationship
from sqlalchemy.types import TypeDecorator


def utcnow() -> datetime:
    return datetime.now(UTC)


def new_id() -> str:
    return uuid.uuid4().hex


class UTCDateTime(TypeDecorator[datetime]):
    """Timezone-aware UTC datetimes on every backend (SQLite forgets the zone)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            value = value.replace(tzinfo=UTC)
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


class Base(DeclarativeBase):
    pass


class PackageKind(enum.StrEnum):
    """Incoming package (вхідний пакет) or outgoing package, the result (вихідний пакет)."""

    input = "input"
    output = "output"


class Source(enum.StrEnum):
    scanner = "scanner"
    sharing = "sharing"
    upload = "upload"


class DocState(enum.StrEnum):
    """Processing state; ``accepted`` documents are persisted but not yet processed."""

    accepted = "accepted"
    processing = "processing"
    archived = "archived"
    rejected = "rejected"


class Tier(enum.StrEnum):
    operational = "operational"
    archival = "archival"


class CaseStatus(enum.StrEnum):
    registered = "registered"
    sent = "sent"
    result_received = "result_received"
    issued = "issued"
    archived = "archived"
    # Registered by mistake: kept (its number stays used in the journal), takes no more steps.
    annulled = "annulled"


class Case(Base):
    """A case (справа) registered in the journal of a centre."""

    __tablename__ = "cases"
    __table_args__ = (UniqueConstraint("centre", "number", name="uq_case_centre_number"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    number: Mapped[str] = mapped_column(String(64), index=True)
    service: Mapped[str | None] = mapped_column(String(500))
    centre: Mapped[str] = mapped_column(String(200), default="")
    workplace: Mapped[str | None] = mapped_column(String(200))
    # Service provider (СНАП) department the case is routed to.
    department: Mapped[str | None] = mapped_column(String(200), index=True)
    applicant_ref: Mapped[str | None] = mapped_column(String(500))
    status: Mapped[CaseStatus] = mapped_column(
        Enum(CaseStatus, native_enum=False, length=32), default=CaseStatus.registered
    )
    notify_method: Mapped[str | None] = mapped_column(String(64))
    delivery_method: Mapped[str | None] = mapped_column(String(64))
    registered_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Retention (filled in by retention rules) and access decisions.
    retention_until: Mapped[date | None] = mapped_column(Date)
    legal_hold: Mapped[bool] = mapped_column(Boolean, default=False)
    access_level: Mapped[str] = mapped_column(String(32), default="restricted")

    packages: Mapped[list[Package]] = relationship(back_populates="case")
    events: Mapped[list[CaseEvent]] = relationship(back_populates="case", order_by="CaseEvent.id")


class Package(Base):
    """An incoming or outgoing package of a case, with its inventory (опис)."""

    __tablename__ = "packages"
    __table_args__ = (UniqueConstraint("case_id", "kind", name="uq_package_case_kind"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), index=True)
    kind: Mapped[PackageKind] = mapped_column(Enum(PackageKind, native_enum=False, length=16))
    # [{"title": str, "sheets": int, "document_id": str | None}]
    inventory: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    received_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    issued_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    collected_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    case: Mapped[Case] = relationship(back_populates="packages")
    # Every document this package holds, the shared ones included (through case_documents).
    documents: Mapped[list[Document]] = relationship(
        secondary="case_documents",
        primaryjoin="Package.id == CaseDocument.package_id",
        secondaryjoin="CaseDocument.document_id == Document.id",
        viewonly=True,
        order_by="Document.id",
    )


class Document(Base):
    """One archived file: the original as received and its PDF/A rendition."""

    __tablename__ = "documents"

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    case_id: Mapped[int | None] = mapped_column(ForeignKey("cases.id"), index=True)
    package_id: Mapped[int | None] = mapped_column(ForeignKey("packages.id"), index=True)
    source: Mapped[Source] = mapped_column(Enum(Source, native_enum=False, length=16))
    original_name: Mapped[str] = mapped_column(String(500))
    # Same bytes are archived once: SHA-256 of the original is unique.
    sha256: Mapped[str] = mapped_column(String(64), unique=True)
    size: Mapped[int] = mapped_column(BigInteger)
    media_type: Mapped[str | None] = mapped_column(String(100))
    original_tier: Mapped[Tier] = mapped_column(
        Enum(Tier, native_enum=False, length=16), default=Tier.operational
    )
    pdfa_sha256: Mapped[str | None] = mapped_column(String(64))
    pdfa_tier: Mapped[Tier] = mapped_column(
        Enum(Tier, native_enum=False, length=16), default=Tier.operational
    )
    page_count: Mapped[int | None] = mapped_column(Integer)
    state: Mapped[DocState] = mapped_column(
        Enum(DocState, native_enum=False, length=16), default=DocState.accepted, index=True
    )
    error_code: Mapped[str | None] = mapped_column(String(64))
    error: Mapped[str | None] = mapped_column(Text)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    # Lease held by the worker processing the document (never two at once).
    lease_owner: Mapped[str | None] = mapped_column(String(100))
    lease_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
    archived_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    retention_until: Mapped[date | None] = mapped_column(Date)
    legal_hold: Mapped[bool] = mapped_column(Boolean, default=False)
    # Metadata that arrived with the file (e.g. a Diia sharing request id).
    meta: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)

    # The first case that received the bytes; ``cases`` are all that hold the document.
    case: Mapped[Case | None] = relationship()
    package: Mapped[Package | None] = relationship()
    cases: Mapped[list[Case]] = relationship(
        secondary="case_documents", viewonly=True, order_by="Case.id"
    )
    pages: Mapped[list[Page]] = relationship(
        back_populates="document", order_by="Page.number", cascade="all, delete-orphan"
    )


class CaseDocument(Base):
    """A case holding a document: the same bytes handed in for several cases are stored
    once, and each case holds the document in its own package (issue 9, item 3).

    Every holding has a row, the first case's too (kept in step with
    ``Document.case_id`` by the listeners below, whoever creates the document).
    """

    __tablename__ = "case_documents"

    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), primary_key=True)
    document_id: Mapped[str] = mapped_column(
        ForeignKey("documents.id"), primary_key=True, index=True
    )
    package_id: Mapped[int | None] = mapped_column(ForeignKey("packages.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


def _hold(conn: Connection, doc: Document) -> None:
    if doc.case_id is None:
        return
    held = conn.scalar(
        select(CaseDocument.case_id).where(
            CaseDocument.case_id == doc.case_id, CaseDocument.document_id == doc.id
        )
    )
    if held is None:
        conn.execute(
            insert(CaseDocument).values(
                case_id=doc.case_id,
                document_id=doc.id,
                package_id=doc.package_id,
                created_at=utcnow(),
            )
        )


@event.listens_for(Document, "after_insert")
def _document_inserted(mapper: Mapper[Document], conn: Connection, doc: Document) -> None:
    _hold(conn, doc)


@event.listens_for(Document, "after_update")
def _document_updated(mapper: Mapper[Document], conn: Connection, doc: Document) -> None:
    # A document placed into (or moved to) a case later, e.g. a held batch part attached.
    from sqlalchemy import inspect

    hist = inspect(doc).attrs.case_id.history
    if not hist.has_changes():
        return
    for old in hist.deleted or ():
        if old is not None:
            conn.execute(
                delete(CaseDocument).where(
                    CaseDocument.case_id == old, CaseDocument.document_id == doc.id
                )
            )
    _hold(conn, doc)


class Page(Base):
    """The text of one page of a document's PDF/A rendition."""

    __tablename__ = "pages"
    __table_args__ = (UniqueConstraint("document_id", "number", name="uq_page_doc_number"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    document_id: Mapped[str] = mapped_column(ForeignKey("documents.id"), index=True)
    number: Mapped[int] = mapped_column(Integer)
    text: Mapped[str] = mapped_column(Text, default="")
    ocr: Mapped[bool] = mapped_column(Boolean, default=True)
    # [[text, x0, y0, x1, y1], ...] in page fractions (for redaction boxes).
    words: Mapped[list[Any]] = mapped_column(JSON, default=list)

    document: Mapped[Document] = relationship(back_populates="pages")


class CaseEvent(Base):
    """The electronic routing sheet (лист про проходження справи): append-only."""

    __tablename__ = "case_events"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), index=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    kind: Mapped[str] = mapped_column(String(64))
    actor: Mapped[str | None] = mapped_column(String(200))
    details: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)

    case: Mapped[Case] = relationship(back_populates="events")


class IndexOutbox(Base):
    """Pending index updates: the index is derived, so its updates go through here."""

    __tablename__ = "index_outbox"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    document_id: Mapped[str] = mapped_column(String(32), index=True)
    op: Mapped[str] = mapped_column(String(16))  # "upsert" | "delete"
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
