"""Every change of who may see a document reaches the index through the outbox.

The index filters searches by a document's centre and department (copied
from its case). A case sent to another department, moved, or archived, and
a document moved to another case, changes who may find it; this hook, run
by every session before it flushes, queues an index update for each
document concerned in the same transaction, so the change and its index
update commit (or roll back) together, whichever code path made it.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import event, inspect, select
from sqlalchemy.orm import Session

from archive.models import Case, Document, IndexOutbox

# Fields of a case that decide who may see its documents.
CASE_FIELDS = ("centre", "workplace", "department", "status")
DOCUMENT_FIELDS = ("case_id", "pdfa_tier", "original_tier")


def _changed(obj: Any, fields: tuple[str, ...]) -> bool:
    state = inspect(obj)
    return any(state.attrs[name].history.has_changes() for name in fields)


@event.listens_for(Session, "before_flush")
def _queue_visibility_changes(s: Session, _ctx: Any, _instances: Any) -> None:
    cases: set[int] = set()
    docs: set[str] = set()
    for obj in s.dirty:
        if isinstance(obj, Case) and obj.id is not None and _changed(obj, CASE_FIELDS):
            cases.add(obj.id)
        elif isinstance(obj, Document) and _changed(obj, DOCUMENT_FIELDS):
            docs.add(obj.id)
    if cases:
        with s.no_autoflush:
            docs.update(s.scalars(select(Document.id).where(Document.case_id.in_(cases))))
    for document_id in sorted(docs):
        s.add(IndexOutbox(document_id=document_id, op="upsert"))
