"""Documents with known text put straight into an embedded archive (no OCR), and principals."""

from __future__ import annotations

import random
from typing import Any

from sqlalchemy import select

from archive.models import Case, DocState, Document, Page, Source, utcnow
from archive.users import Role
from backends import Archive
from usecases.context import Context, events_for
from usecases.policy import Principal

DEPT = "ДМС"


def put_document(
    archive: Archive,
    text: str | list[str],
    *,
    case: str | None = "2026/0001",
    department: str | None = DEPT,
    meta: dict[str, Any] | None = None,
) -> str:
    """An archived document whose pages hold ``text`` (one string per page)."""
    pages = [text] if isinstance(text, str) else text
    data = ("\f".join(pages) + f"\n{random.random()}").encode()
    stored = archive.store.put_bytes(data)
    with archive.db.session() as s:
        case_id = None
        if case is not None:
            row = s.scalar(select(Case).where(Case.number == case))
            if row is None:
                row = Case(number=case, centre=archive.settings.centre, department=department)
                s.add(row)
                s.flush()
            case_id = row.id
        doc = Document(
            case_id=case_id,
            source=Source.scanner,
            original_name="скан.pdf",
            sha256=stored.sha256,
            size=stored.size,
            media_type="application/pdf",
            pdfa_sha256=stored.sha256,
            page_count=len(pages),
            state=DocState.archived,
            archived_at=utcnow(),
            meta=meta or {},
        )
        s.add(doc)
        s.flush()
        for i, t in enumerate(pages, start=1):
            s.add(Page(document_id=doc.id, number=i, text=t, ocr=True, words=[]))
        return doc.id


def ctx_for(
    archive: Archive,
    role: Role = Role.administrator,
    *,
    login: str = "admin",
    department: str | None = None,
) -> Context:
    p = Principal(login=login, role=role, centre=archive.settings.centre, department=department)
    return Context(archive, p, events_for(archive))
