"""The full-text index interface shared by the embedded and scale-out backends."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Protocol


@dataclass(slots=True)
class IndexDoc:
    """What the index holds for one archived document (derived data)."""

    document_id: str
    case: str | None
    package: str | None  # "input" | "output" | None
    source: str  # "scanner" | "sharing" | "upload"
    archived_at: datetime
    pages: list[str]  # plain text of each page, in order
    centre: str | None = None
    department: str | None = None
    title: str | None = None
    # Further cases holding the same document: (number, centre, department). The
    # index filters on every holder; who is shown which case is the policy's call.
    also_held_by: list[tuple[str, str, str | None]] = field(default_factory=list)
    # What the document is (metadata extraction): the vocabulary code, its group,
    # and the document's own date (its issue date), not when it was archived.
    doc_type: str | None = None
    doc_type_group: str | None = None
    doc_date: date | None = None


@dataclass(slots=True)
class SearchQuery:
    """A parsed search request with its filters.

    ``text`` uses the query syntax of the command line: words (any
    inflection), "exact phrases" in double quotes.
    """

    text: str
    case: str | None = None
    package: str | None = None
    source: str | None = None
    date_from: date | None = None
    date_to: date | None = None
    # Document type codes (any of them) and the document's own date (whole days,
    # inclusive); a document with no type or no date never matches these filters.
    doc_types: Sequence[str] | None = None
    doc_date_from: date | None = None
    doc_date_to: date | None = None
    limit: int = 10
    offset: int = 0
    # Access scope (filled in by the access policy, never by the user):
    # None means unrestricted; an empty list means nothing is visible.
    centres: Sequence[str] | None = None
    departments: Sequence[str] | None = None
    document_ids: Sequence[str] | None = None


@dataclass(slots=True)
class SearchHit:
    document_id: str
    case: str | None
    score: float
    snippet: str  # matched words wrapped in <mark>…</mark>, other text HTML-escaped
    page: int | None = None  # 1-based page of the snippet, when known


@dataclass(slots=True)
class SearchResult:
    total: int
    hits: list[SearchHit] = field(default_factory=list)


class SearchIndex(Protocol):
    """A full-text index of archived documents."""

    def upsert(self, docs: Iterable[IndexDoc]) -> None:
        """Add or replace documents (by ``document_id``) and make them searchable."""

    def delete(self, document_ids: Iterable[str]) -> None:
        """Remove documents from the index."""

    def search(self, query: SearchQuery) -> SearchResult:
        """Run a query; hits ranked by BM25."""

    def count(self) -> int:
        """Number of documents in the index."""

    def clear(self) -> None:
        """Remove every document; the index itself stays, empty and writable."""

    def rebuild(self, docs: Iterable[IndexDoc]) -> int:
        """Replace the whole content with ``docs``; returns how many were read.

        Searches keep seeing the old content until the new one is complete
        (no window with an empty or half-filled index); on failure the old
        content stays.
        """

    def drop(self) -> None:
        """Delete the index and everything it keeps (decommissioning, tests)."""

    def close(self) -> None:
        """Release files and connections."""


class IndexError_(Exception):
    """The index backend failed (translated from the backend's own errors)."""


class UnsupportedIndexURL(IndexError_, ValueError):
    """The index URL names no backend this build provides."""
