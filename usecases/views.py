"""The JSON shapes shared by the command line and the HTTP API."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sqlalchemy.orm import selectinload

from archive.findings import DocumentFinding
from archive.models import Document
from backends import Archive
from usecases.disclosure import page_json


class NotFound(Exception):
    """No such document."""


def load_document(archive: Archive, document_id: str, *, pages: bool = True) -> Document:
    with archive.db.session() as s:
        opts = [selectinload(Document.case), selectinload(Document.package)]
        if pages:
            opts.append(selectinload(Document.pages))
        doc = s.get(Document, document_id, options=opts)
        if doc is None:
            raise NotFound(document_id)
        return doc


def document_json(
    doc: Document,
    *,
    with_pages: bool = True,
    masked: bool = False,
    findings: Iterable[DocumentFinding] = (),
) -> dict[str, Any]:
    """``show`` / ``GET /api/documents/{id}``; ``masked`` hides identifiers in the text."""
    out: dict[str, Any] = {
        "document_id": doc.id,
        "sha256": doc.sha256,
        "case": doc.case.number if doc.case else None,
        "package": doc.package.kind.value if doc.package else None,
        "source": doc.source.value,
        "state": doc.state.value,
        "original_name": doc.original_name,
        "media_type": doc.media_type,
        "size": doc.size,
        "page_count": doc.page_count,
        "pdfa_sha256": doc.pdfa_sha256,
        "created_at": doc.created_at.isoformat(),
        "archived_at": doc.archived_at.isoformat() if doc.archived_at else None,
        "reason": doc.error,
        "code": doc.error_code,
        "rendition": (doc.meta or {}).get("rendition"),
    }
    if with_pages:
        found = list(findings)
        out["pages"] = [
            page_json(p, masked, [f for f in found if f.page == p.number]) for p in doc.pages
        ]
    return out
