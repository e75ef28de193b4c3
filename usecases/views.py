"""What the document use cases return: typed views with the JSON shapes of the API.

The command line (``show --json``) and the HTTP API render these same
objects, so the two never compute a document's shape twice.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

from archive.findings import DocumentFinding
from archive.models import Document, Page
from usecases.disclosure import Finding, KnownName, mask_filename, mask_page


@dataclass(frozen=True, slots=True)
class PageView:
    """One page's text, masked when the caller may not see identifiers."""

    number: int
    text: str

    def as_json(self) -> dict[str, Any]:
        return {"number": self.number, "text": self.text}


@dataclass(frozen=True, slots=True)
class DocumentView:
    """``show`` / ``GET /api/documents/{id}``: metadata and state, and the pages when read.

    ``pages`` is ``None`` for a metadata read (the key is left out of the
    JSON); ``metadata_only`` says the caller asked for text but was shown
    metadata only; ``masked`` that identifiers in the text are masked.
    """

    document_id: str
    sha256: str
    case: str | None
    package: str | None
    source: str
    state: str
    original_name: str
    media_type: str | None
    size: int
    page_count: int | None
    pdfa_sha256: str | None
    created_at: str
    archived_at: str | None
    reason: str | None
    code: str | None
    rendition: dict[str, Any] | None
    pages: list[PageView] | None = None
    masked: bool = False
    metadata_only: bool = False
    # A document taken out of a PDF names that PDF; a PDF lists the files taken out of it.
    embedded_in: str | None = None
    embedded: list[dict[str, Any]] | None = None

    @classmethod
    def of(
        cls,
        doc: Document,
        *,
        with_pages: bool = True,
        masked: bool = False,
        findings: Iterable[Finding] = (),
        case: str | None = None,
    ) -> DocumentView:
        """``case``: the case the caller sees it through (a shared document's first case else)."""
        pages: list[PageView] | None = None
        found = list(findings)
        if with_pages:
            pages = [
                page_view(
                    p,
                    masked,
                    [f for f in found if f.page == p.number or isinstance(f, KnownName)],
                )
                for p in doc.pages
            ]
        return cls(
            document_id=doc.id,
            sha256=doc.sha256,
            case=case if case is not None else (doc.case.number if doc.case else None),
            package=doc.package.kind.value if doc.package else None,
            source=doc.source.value,
            state=doc.state.value,
            # A file name may carry an identifier or the applicant's name.
            original_name=mask_filename(doc.original_name, found) if masked else doc.original_name,
            media_type=doc.media_type,
            size=doc.size,
            page_count=doc.page_count,
            pdfa_sha256=doc.pdfa_sha256,
            created_at=doc.created_at.isoformat(),
            archived_at=doc.archived_at.isoformat() if doc.archived_at else None,
            reason=doc.error,
            code=doc.error_code,
            rendition=(doc.meta or {}).get("rendition"),
            pages=pages,
            masked=masked and with_pages,
            embedded_in=(doc.meta or {}).get("embedded_in"),
            embedded=_embedded(doc, masked, found),
        )

    def as_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "document_id": self.document_id,
            "sha256": self.sha256,
            "case": self.case,
            "package": self.package,
            "source": self.source,
            "state": self.state,
            "original_name": self.original_name,
            "media_type": self.media_type,
            "size": self.size,
            "page_count": self.page_count,
            "pdfa_sha256": self.pdfa_sha256,
            "created_at": self.created_at,
            "archived_at": self.archived_at,
            "reason": self.reason,
            "code": self.code,
            "rendition": self.rendition,
        }
        if self.embedded_in is not None:
            out["embedded_in"] = self.embedded_in
        if self.embedded is not None:
            out["embedded"] = self.embedded
        if self.pages is not None:
            out["pages"] = [p.as_json() for p in self.pages]
        return out


def _embedded(doc: Document, masked: bool, found: list[Finding]) -> list[dict[str, Any]] | None:
    """The files taken out of a PDF: name (masked below full access), what became of each."""
    items = (doc.meta or {}).get("embedded")
    if not isinstance(items, list) or not items:
        return None
    keep = ("status", "code", "reason", "document_id", "size")
    return [
        {
            "name": mask_filename(str(e.get("name") or ""), found) if masked else e.get("name"),
            **{k: e.get(k) for k in keep},
        }
        for e in items
        if isinstance(e, dict)
    ]


def page_view(page: Page, masked: bool, stored: Iterable[Finding]) -> PageView:
    """A page at the granted level: identifiers masked unless the caller has full access."""
    return PageView(page.number, mask_page(page, stored) if masked else page.text)


@dataclass(frozen=True, slots=True)
class FindingView:
    """One stored identifier, in full (only callers with full access get these)."""

    kind: str
    value: str
    page: int | None
    start: int | None
    end: int | None
    boxes: list[list[float]]
    source: str

    @classmethod
    def of(cls, f: DocumentFinding) -> FindingView:
        return cls(f.kind, f.value, f.page, f.char_start, f.char_end, f.boxes, f.source)

    def as_json(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "value": self.value,
            "page": self.page,
            "start": self.start,
            "end": self.end,
            "boxes": self.boxes,
            "source": self.source,
        }


@dataclass(frozen=True, slots=True)
class Rendered:
    """A rendition built in memory (a page image, a redacted PDF)."""

    body: bytes
    media_type: str
    # Offered as an attachment under this (ASCII) name; None: shown inline.
    filename: str | None = None


@dataclass(slots=True)
class Stored:
    """A file streamed from the object store (the PDF/A, the original).

    ``chunks`` is opened only after the access was decided and logged; its
    first chunk was already read, so a missing object was reported as
    :class:`~usecases.errors.NotFound` rather than as a broken stream.
    """

    sha256: str
    media_type: str
    filename: str
    chunks: Iterator[bytes] = field(repr=False)
