"""Searching the archive: full text, and documents holding an identifier.

Both return only documents the caller may open, and log what they returned
and which identifiers the caller typed (so the DPO finds who looked for whom).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from archive.audit import Action, Exposure
from archive.findings import (
    classify,
    documents_with,
    findings_for_documents,
    identifier_key,
    identifier_ref,
)
from archive.models import Document, PackageKind, Source
from search.base import SearchQuery
from usecases import disclosure
from usecases.access import event, require, typed_exposures
from usecases.context import Context
from usecases.policy import Capability, Level, decide_document, search_scope
from usecases.registry import use_case


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
) -> SearchResult:
    """Full-text search (any word form, "exact phrases") in documents the caller may open."""
    archive, p = ctx.archive, ctx.principal
    require(ctx.events, p, Capability.search, Action.search)
    with archive.db.session() as s:
        scope = search_scope(p, s)
    hits: list[SearchHit] = []
    total = 0
    shown: list[Exposure] = []
    if not scope.nothing and scope.document_ids != []:
        result = archive.index.search(
            SearchQuery(
                text=text,
                case=case,
                package=package.value if package else None,
                source=source.value if source else None,
                date_from=date_from,
                date_to=date_to,
                limit=limit,
                offset=offset,
                centres=scope.centres,
                departments=scope.departments,
                document_ids=scope.document_ids,
            )
        )
        ids = [h.document_id for h in result.hits]
        with archive.db.session() as s:
            docs = {
                d.id: d
                for d in s.scalars(
                    select(Document)
                    .where(Document.id.in_(ids))
                    .options(selectinload(Document.case), selectinload(Document.cases))
                )
            }
            found = findings_for_documents(s, ids)
        dropped = 0
        for h in result.hits:
            doc = docs.get(h.document_id)
            held = decide_document(p, doc, archive.settings.centre) if doc else None
            decision = held[1] if held else None
            # Re-checked hit by hit: the index may lag behind a re-routed case.
            if decision is None or not decision.allows(Level.MASKED):
                dropped += 1
                continue
            snippet = h.snippet
            if decision.level < Level.FULL:
                snippet = disclosure.mask_snippet(
                    snippet, [f.value for f in found.get(h.document_id, [])]
                )
            else:
                shown.extend(disclosure.snippet_exposures(snippet, found.get(h.document_id, [])))
            # The case it is seen through, never another holder of the same document.
            seen_in = held[0].case if held else None
            hits.append(SearchHit(h.document_id, seen_in, h.score, snippet, h.page))
        total = max(result.total - dropped, len(hits))
    filters = {
        "case": case,
        "package": package.value if package else None,
        "source": source.value if source else None,
        "from": date_from.isoformat() if date_from else None,
        "to": date_to.isoformat() if date_to else None,
    }
    ctx.events.publish(
        event(
            p,
            Action.search,
            documents=[h.document_id for h in hits],
            identifiers=[*shown, *typed_exposures(archive, text)],
            details={
                "query": text,
                "filters": {k: v for k, v in filters.items() if v is not None},
                "total": total,
                "limit": limit,
                "offset": offset,
            },
        )
    )
    return SearchResult(total, hits)


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
