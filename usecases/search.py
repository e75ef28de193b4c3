"""Searching the archive: full text, and documents holding an identifier.

Both return only documents the caller may open, and log what they returned
and which identifiers the caller typed (so the DPO finds who looked for whom).
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import date
from typing import Any

from sqlalchemy import Connection, select
from sqlalchemy.orm import selectinload

from archive.audit import Action, Exposure
from archive.database import first_row
from archive.doctypes import resolve_types
from archive.findings import (
    classify,
    documents_with,
    findings_for_documents,
    identifier_key,
    identifier_ref,
    identifiers_for_documents,
)
from archive.models import Document, IndexOutbox, PackageKind, Source
from search.base import SearchHit as IndexHit
from search.base import SearchQuery
from search.query import split_type_filters
from usecases import disclosure
from usecases.access import event, require, typed_exposures
from usecases.context import Context
from usecases.errors import Invalid
from usecases.policy import (
    Capability,
    Level,
    decide_document,
    decide_held,
    held_documents,
    search_scope,
)
from usecases.registry import use_case

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class SearchHit:
    document_id: str
    case: str | None
    score: float
    # Escaped text with <mark> around the matches; identifiers masked below full access.
    snippet: str
    page: int | None

    def as_json(self) -> dict[str, Any]:
        return {
            "document_id": self.document_id,
            "case": self.case,
            "score": self.score,
            "snippet": self.snippet,
            "page": self.page,
        }


@dataclass(frozen=True, slots=True)
class SearchResult:
    """``search --json`` / ``GET /api/search``."""

    total: int
    hits: list[SearchHit] = field(default_factory=list)

    def as_json(self) -> dict[str, Any]:
        return {"total": self.total, "hits": [h.as_json() for h in self.hits]}


@use_case(Action.search)
def search(
    ctx: Context,
    *,
    text: str,
    limit: int = 10,
    offset: int = 0,
    case: str | None = None,
    package: PackageKind | None = None,
    source: Source | None = None,
    date_from: date | None = None,
    date_to: date | None = None,
    types: Sequence[str] = (),
    doc_date_from: date | None = None,
    doc_date_to: date | None = None,
) -> SearchResult:
    """Full-text search (any word form, "exact phrases") in documents the caller may open.

    ``types`` (and ``type:<…>`` in the text) name document types by code, label
    or group; a document of any of them matches. ``doc_date_from``/``doc_date_to``
    bound the document's own (issue) date, whole days.
    """
    archive, p = ctx.archive, ctx.principal
    require(ctx.events, p, Capability.search, Action.search)
    words, typed_types = split_type_filters(text)
    doc_types = _type_codes([*types, *typed_types])
    # Changes of who may see what (a case sent to another department) wait in
    # the outbox; apply them first so the index agrees with the policy now.
    # One connection for the reads of a search: the outbox check, then who holds
    # each hit and its identifiers (a checkout costs about as much as such a read).
    with archive.db.engine.connect() as conn:
        _apply_pending(ctx, conn)
        scope = search_scope(p, archive.db)
        typed = typed_exposures(archive, text)
        # Searching by an identifier needs the clearance of the identifier lookup:
        # only documents the caller may read in full may answer it, else a masked
        # hit would confirm that the document holds the identifier.
        by_identifier = any(x.kind != "name" for x in typed)
        need = Level.FULL if by_identifier else Level.MASKED
        seen = _Seen()
        if not scope.nothing and scope.document_ids != []:
            query = SearchQuery(
                text=words,
                case=case,
                package=package.value if package else None,
                source=source.value if source else None,
                date_from=date_from,
                date_to=date_to,
                doc_types=doc_types,
                doc_date_from=doc_date_from,
                doc_date_to=doc_date_to,
                limit=limit,
                offset=offset,
                centres=scope.centres,
                departments=scope.departments,
                document_ids=scope.document_ids,
            )
            result = archive.index.search(query)
            seen = _decide_hits(ctx, conn, result.hits, need)
            if seen.dropped or by_identifier:
                # Some of what the index matched may not be opened: count exactly.
                seen.total = _count_openable(ctx, query, need, result.total)
            else:
                seen.total = max(result.total, len(seen.hits))
    filters = {
        "case": case,
        "package": package.value if package else None,
        "source": source.value if source else None,
        "from": date_from.isoformat() if date_from else None,
        "to": date_to.isoformat() if date_to else None,
        "type": doc_types,
        "doc_from": doc_date_from.isoformat() if doc_date_from else None,
        "doc_to": doc_date_to.isoformat() if doc_date_to else None,
    }
    ctx.events.publish(
        event(
            p,
            Action.search,
            documents=[h.document_id for h in seen.hits],
            identifiers=[*seen.shown, *typed],
            details={
                "query": text,
                "filters": {k: v for k, v in filters.items() if v is not None},
                "total": seen.total,
                "limit": limit,
                "offset": offset,
                **({"by_identifier": True, "withheld": seen.hidden} if by_identifier else {}),
            },
        )
    )
    return SearchResult(seen.total, seen.hits)


@dataclass(slots=True)
class _Seen:
    """What a search shows of the index's hits, and what it held back."""

    hits: list[SearchHit] = field(default_factory=list)
    shown: list[Exposure] = field(default_factory=list)
    total: int = 0
    dropped: int = 0  # matched, not shown at the level needed
    hidden: int = 0  # of those, the ones the caller could open masked


def _decide_hits(
    ctx: Context, conn: Connection, found_hits: Sequence[IndexHit], need: Level
) -> _Seen:
    """The hits the caller may open at ``need``, masked below full access."""
    p = ctx.principal
    ids = [h.document_id for h in found_hits]
    # Core rows, not ORM objects: what the policy and the masking need of each hit.
    held = held_documents(conn, ids, ctx.archive.settings.centre)
    found = identifiers_for_documents(conn, ids)
    seen = _Seen()
    for h in found_hits:
        doc = held.get(h.document_id)
        through, decision = decide_held(p, doc.scopes) if doc else (None, None)
        # Re-checked hit by hit: the index may lag behind a re-routed case.
        if decision is None or not decision.allows(need):
            seen.dropped += 1
            if decision is not None and decision.allows(Level.MASKED):
                seen.hidden += 1
            continue
        assert doc is not None and through is not None
        snippet = h.snippet
        stored = found.get(h.document_id, [])
        if decision.level < Level.FULL:
            # The applicant of its case and every name found in it (as known_names).
            names: list[disclosure.Named] = [*stored, *disclosure.case_names(doc.applicant_ref)]
            snippet = disclosure.mask_snippet(snippet, [f.value for f in stored], names)
        else:
            seen.shown.extend(disclosure.snippet_exposures(snippet, stored))
        # The case it is seen through, never another holder of the same document.
        seen.hits.append(SearchHit(h.document_id, through.case, h.score, snippet, h.page))
    return seen


def _type_codes(values: Sequence[str]) -> list[str] | None:
    """Type codes the filters name (None: no type filter); an unknown name is refused."""
    if not values:
        return None
    codes: set[str] = set()
    for value in values:
        found = resolve_types(value)
        if not found:
            raise Invalid(
                "Невідомий тип документа: вкажіть код, назву або групу зі словника типів.",
                code="unknown_type",
            )
        codes.update(t.value for t in found)
    return sorted(codes)


# Matches re-checked one by one when the index and the policy disagree; past
# this many the count given is of those checked (never of what may not be opened).
RECOUNT_LIMIT = 5000
_RECOUNT_PAGE = 500


_PENDING = f"SELECT 1 FROM {IndexOutbox.__tablename__} LIMIT 1"


def _apply_pending(ctx: Context, conn: Connection) -> None:
    """Apply pending index updates (best effort: the outbox keeps what fails)."""
    from ingest.indexing import flush_outbox

    if first_row(conn, _PENDING) is None:
        return
    try:
        flush_outbox(ctx.archive)
    except Exception:  # the index busy or down: searched as it is, re-checked below
        log.warning("index updates pending; search re-checks every hit", exc_info=True)


def _count_openable(ctx: Context, query: SearchQuery, need: Level, matched: int) -> int:
    """How many of the index's matches the caller may open at ``need``."""
    archive, p = ctx.archive, ctx.principal
    count = 0
    offset = 0
    while offset < min(matched, RECOUNT_LIMIT):
        page = archive.index.search(replace(query, limit=_RECOUNT_PAGE, offset=offset))
        if not page.hits:
            break
        ids = [h.document_id for h in page.hits]
        with archive.db.engine.connect() as conn:
            held = held_documents(conn, ids, archive.settings.centre)
        count += sum(1 for doc in held.values() if decide_held(p, doc.scopes)[1].allows(need))
        offset += len(page.hits)
    return count


@dataclass(frozen=True, slots=True)
class IdentifierDocument:
    document_id: str
    case: str | None
    pages: list[int]
    kinds: list[str]

    def as_json(self) -> dict[str, Any]:
        return {
            "document_id": self.document_id,
            "case": self.case,
            "pages": self.pages,
            "kinds": self.kinds,
        }


@dataclass(frozen=True, slots=True)
class IdentifierLookup:
    """``GET /api/search/identifier``."""

    total: int
    documents: list[IdentifierDocument] = field(default_factory=list)

    def as_json(self) -> dict[str, Any]:
        return {"total": self.total, "documents": [d.as_json() for d in self.documents]}


@use_case(Action.identifier_lookup)
def lookup_identifier(ctx: Context, *, value: str) -> IdentifierLookup:
    """Documents holding an identifier, among those the caller may read in full."""
    from pii import mask

    archive, p = ctx.archive, ctx.principal
    require(ctx.events, p, Capability.lookup_identifier, Action.identifier_lookup)
    key = identifier_key(archive.settings)
    idents = classify(value)
    refs = [identifier_ref(key, i.kind, i.value) for i in idents]
    out: list[IdentifierDocument] = []
    shown: list[Exposure] = []
    with archive.db.session() as s:
        ids = documents_with(s, refs)
        docs = list(
            s.scalars(
                select(Document)
                .where(Document.id.in_(ids))
                .options(selectinload(Document.case), selectinload(Document.cases))
            )
        )
        stored = findings_for_documents(s, [d.id for d in docs])
        for doc in docs:
            through, decision = decide_document(p, doc, archive.settings.centre)
            if decision.level < Level.FULL:
                continue
            rows = [f for f in stored[doc.id] if f.ref in refs]
            shown.extend(disclosure.exposures(rows))
            out.append(
                IdentifierDocument(
                    document_id=doc.id,
                    case=through.case,
                    pages=sorted({f.page for f in rows if f.page is not None}),
                    kinds=sorted({f.kind for f in rows}),
                )
            )
    typed = [Exposure(i.kind, mask(i.value, i.kind), r) for i, r in zip(idents, refs, strict=True)]
    ctx.events.publish(
        event(
            p,
            Action.identifier_lookup,
            documents=[d.document_id for d in out],
            identifiers=[*typed, *shown],
            details={"query": value, "total": len(out)},
        )
    )
    return IdentifierLookup(len(out), out)
