"""Keep the derived full-text index in step with the database, through the outbox."""

from __future__ import annotations

import logging
from collections.abc import Iterator

from sqlalchemy import delete, select
from sqlalchemy.orm import Session, selectinload

from archive.models import DocState, Document, IndexOutbox, Package
from backends import Archive
from search.base import IndexDoc

log = logging.getLogger(__name__)
BATCH = 200


def index_doc(s: Session, doc: Document, centre: str) -> IndexDoc:
    """What the index holds for a document, built from the database.

    A document with no case belongs to the centre that archived it.
    """
    pkg = s.get(Package, doc.package_id) if doc.package_id else None
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
    )


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
