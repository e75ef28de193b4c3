"""Keep the derived full-text index in step with the database, through the outbox."""

from __future__ import annotations

import logging
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import date

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from archive.doctypes import group_of
from archive.metadata_models import DocumentMetadata, MetadataField
from archive.models import (
    Case,
    CaseDocument,
    DocState,
    Document,
    IndexOutbox,
    Package,
    Page,
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
    return index_docs(s, [doc], centre)[0]


def index_docs(s: Session, docs: Sequence[Document], centre: str) -> list[IndexDoc]:
    """:func:`index_doc` of several documents, with one query per table for them all
    (page texts only: the word boxes are not read)."""
    ids = [d.id for d in docs]
    if not ids:
        return []
    pages: dict[str, list[str]] = {i: [] for i in ids}
    for document_id, text in s.execute(
        select(Page.document_id, Page.text)
        .where(Page.document_id.in_(ids))
        .order_by(Page.document_id, Page.number)
    ):
        pages[document_id].append(text)
    case_ids = {d.case_id for d in docs if d.case_id is not None}
    cases = {
        c.id: c for c in (s.scalars(select(Case).where(Case.id.in_(case_ids))) if case_ids else ())
    }
    package_ids = {d.package_id for d in docs if d.package_id is not None}
    kinds = (
        {
            i: k
            for i, k in s.execute(
                select(Package.id, Package.kind).where(Package.id.in_(package_ids))
            )
        }
        if package_ids
        else {}
    )
    types: dict[str, str] = {
        i: t
        for i, t in s.execute(
            select(DocumentMetadata.document_id, DocumentMetadata.type).where(
                DocumentMetadata.document_id.in_(ids)
            )
        )
    }
    held: dict[str, list[tuple[int, str, str, str | None]]] = {i: [] for i in ids}
    for document_id, case_id, number, case_centre, department in s.execute(
        select(CaseDocument.document_id, Case.id, Case.number, Case.centre, Case.department)
        .join(Case, CaseDocument.case_id == Case.id)
        .where(CaseDocument.document_id.in_(ids))
        .order_by(Case.id)
    ):
        held[document_id].append((case_id, number, case_centre, department))
    dates: dict[str, date | None] = {}
    for document_id, value in s.execute(
        select(MetadataField.document_id, MetadataField.value)
        .where(MetadataField.document_id.in_(ids), MetadataField.name == "issue_date")
        .order_by(
            MetadataField.document_id,
            MetadataField.page,
            MetadataField.char_start,
            MetadataField.id,
        )
    ):
        # The document's own date: the first issue date read from it (ISO in the table).
        if document_id not in dates:
            dates[document_id] = _iso_date(value)
    out: list[IndexDoc] = []
    for doc in docs:
        case = cases.get(doc.case_id) if doc.case_id is not None else None
        kind = kinds.get(doc.package_id) if doc.package_id is not None else None
        doc_type = types.get(doc.id)
        out.append(
            IndexDoc(
                document_id=doc.id,
                case=case.number if case else None,
                package=kind.value if kind else None,
                source=doc.source.value,
                archived_at=doc.archived_at or doc.created_at,
                pages=pages[doc.id],
                centre=case.centre if case else centre,
                department=case.department if case else None,
                title=doc.original_name,
                # The other cases holding the document (the same bytes handed in for several).
                also_held_by=[
                    (number, c, department)
                    for case_id, number, c, department in held[doc.id]
                    if case_id != (doc.case_id or -1)
                ],
                doc_type=doc_type,
                doc_type_group=group_of(doc_type) if doc_type else None,
                doc_date=dates.get(doc.id),
            )
        )
    return out


def _iso_date(value: str | None) -> date | None:
    try:
        return date.fromisoformat(value) if value else None
    except ValueError:
        return None


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
            # The last update asked for a document decides (several rows: indexed once).
            last = {row.document_id: row.op for row in rows}
            docs = {d.id: d for d in s.scalars(select(Document).where(Document.id.in_(list(last))))}
            fresh = [
                docs[i]
                for i, op in last.items()
                if op == "upsert" and i in docs and docs[i].state == DocState.archived
            ]
            deletes = set(last) - {d.id for d in fresh}
            if deletes:
                archive.index.delete(deletes)
            if fresh:
                archive.index.upsert(index_docs(s, fresh, archive.settings.centre))
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
                    .order_by(Document.id)
                    .limit(BATCH)
                )
            )
            if not docs:
                return
            last = docs[-1].id
            yield index_docs(s, docs, archive.settings.centre)


def reindex(archive: Archive) -> int:
    """Rebuild the whole index from the database; returns the number of documents.

    The backend swaps the new content in at once (searches never see an empty
    or half-filled index) and keeps the old one if the rebuild fails.
    """
    with archive.db.session() as s:
        s.execute(delete(IndexOutbox))
    return archive.index.rebuild(doc for batch in _archived(archive) for doc in batch)
