"""Keep the derived full-text index in step with the database, through the outbox."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session, selectinload

from archive.doctypes import group_of
from archive.metadata_models import DocumentMetadata, MetadataField
from archive.models import (
    Case,
    CaseDocument,
    DocState,
    Document,
    IndexOutbox,
    Package,
    utcnow,
)
from backends import Archive
from search.base import IndexDoc

log = logging.getLogger(__name__)
BATCH = 200


def index_doc(s: Session, doc: Document, centre: str) -> IndexDoc:
    """What the index holds for a document, built from the database.

    A document with no case belongs to the centre that archived it.
    """
    pkg = s.get(Package, doc.package_id) if doc.package_id else None
    meta = s.get(DocumentMetadata, doc.id)
    return IndexDoc(
        document_id=doc.id,
        case=doc.case.number if doc.case else None,
        package=pkg.kind.value if pkg else None,
        source=doc.source.value,
        archived_at=doc.archived_at or doc.created_at,
        pages=[p.text for p in doc.pages],
        centre=doc.case.centre if doc.case else centre,
        department=doc.case.department if doc.case else None,
        title=doc.original_name,
        also_held_by=_also_held_by(s, doc),
        doc_type=meta.type if meta else None,
        doc_type_group=group_of(meta.type) if meta else None,
        doc_date=_issue_date(s, doc.id),
    )


def _issue_date(s: Session, document_id: str) -> date | None:
    """The document's own date: the first issue date read from it (ISO in the table)."""
    value = s.scalar(
        select(MetadataField.value)
        .where(MetadataField.document_id == document_id, MetadataField.name == "issue_date")
        .order_by(MetadataField.page, MetadataField.char_start, MetadataField.id)
        .limit(1)
    )
    try:
        return date.fromisoformat(value) if value else None
    except ValueError:
        return None


def _also_held_by(s: Session, doc: Document) -> list[tuple[str, str, str | None]]:
    """The other cases holding the document (the same bytes handed in for several)."""
    rows = s.execute(
        select(Case.number, Case.centre, Case.department)
        .join(CaseDocument, CaseDocument.case_id == Case.id)
        .where(CaseDocument.document_id == doc.id, Case.id != (doc.case_id or -1))
        .order_by(Case.id)
    )
    return [(number, centre, department) for number, centre, department in rows]


@dataclass(frozen=True, slots=True)
class OutboxState:
    """Index updates not applied yet, and how long the oldest has waited (seconds)."""

    pending: int
    oldest_seconds: float | None

    def as_json(self) -> dict[str, int | float | None]:
        return {"pending": self.pending, "oldest_seconds": self.oldest_seconds}


def outbox_state(archive: Archive) -> OutboxState:
    """How far the index is behind the database (a document is searchable once applied)."""
    with archive.db.session() as s:
        pending, oldest = s.execute(
            select(func.count(IndexOutbox.id), func.min(IndexOutbox.created_at))
        ).one()
    if not pending or oldest is None:
        return OutboxState(0, None)
    return OutboxState(int(pending), round((utcnow() - oldest).total_seconds(), 1))


def flush_outbox(archive: Archive) -> int:
    """Apply pending index updates; returns how many were applied.

    An index outage leaves the rows in place, so it only delays searchability.
    A process that opened the index read-only leaves them to the writer.
    """
    if getattr(archive.index, "readonly", False):
        return 0
    done = 0
    while True:
        with archive.db.session() as s:
            rows = list(s.scalars(select(IndexOutbox).order_by(IndexOutbox.id).limit(BATCH)))
            if not rows:
                return done
            upserts: dict[str, IndexDoc] = {}
            deletes: set[str] = set()
            for row in rows:
                doc = s.get(Document, row.document_id)
                if row.op == "upsert" and doc is not None and doc.state == DocState.archived:
                    upserts[row.document_id] = index_doc(s, doc, archive.settings.centre)
                    deletes.discard(row.document_id)
                else:
                    deletes.add(row.document_id)
                    upserts.pop(row.document_id, None)
            if deletes:
                archive.index.delete(deletes)
            if upserts:
                archive.index.upsert(upserts.values())
            s.execute(delete(IndexOutbox).where(IndexOutbox.id.in_([r.id for r in rows])))
            done += len(rows)


def _archived(archive: Archive) -> Iterator[list[IndexDoc]]:
    last = ""
    while True:
        with archive.db.session() as s:
            docs = list(
                s.scalars(
                    select(Document)
                    .where(Document.state == DocState.archived, Document.id > last)
                    .options(selectinload(Document.pages), selectinload(Document.case))
                    .order_by(Document.id)
                    .limit(BATCH)
                )
            )
            if not docs:
                return
            last = docs[-1].id
            yield [index_doc(s, d, archive.settings.centre) for d in docs]


def reindex(archive: Archive) -> int:
    """Rebuild the whole index from the database; returns the number of documents.

    The backend swaps the new content in at once (searches never see an empty
    or half-filled index) and keeps the old one if the rebuild fails.
    """
    with archive.db.session() as s:
        s.execute(delete(IndexOutbox))
    return archive.index.rebuild(doc for batch in _archived(archive) for doc in batch)
