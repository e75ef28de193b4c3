"""Query building: a parsed search request as an Elasticsearch request, hits back.

Same syntax and semantics as the Tantivy index: every word required (any of
its lemmas, the title weighted double), phrases within one page, filters that
do not score, an empty text listing what the filters allow, newest first.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, date, datetime, timedelta
from datetime import time as dtime
from typing import Any
from zoneinfo import ZoneInfo

from search.base import SearchHit, SearchQuery
from search.elastic_index.mapping import MAX_RESULT_WINDOW, NOT_TOMBSTONE, SOURCE_FIELDS
from search.morphology import UkrainianAnalyzer
from search.query import ParsedQuery, QueryWord
from search.snippets import SnippetBuilder

TITLE_BOOST = 2.0  # as in the Tantivy index
_TERMS_CHUNK = 60_000  # below index.max_terms_count (65,536) per terms query


def word_query(word: QueryWord) -> dict[str, Any]:
    should: list[dict[str, Any]] = []
    for term in sorted(word.terms):
        should.append({"term": {"body": term}})
        should.append({"term": {"title": {"value": term, "boost": TITLE_BOOST}}})
    return {"bool": {"should": should}}


def phrase_query(phrase: Sequence[QueryWord]) -> dict[str, Any]:
    def on(field: str, boost: float) -> dict[str, Any]:
        if all(len(w.terms) == 1 for w in phrase):
            text = " ".join(next(iter(w.terms)) for w in phrase)
            return {"match_phrase": {field: {"query": text, "boost": boost}}}
        # Several terms can stand for one inflected word: a span_or per position.
        clauses = [
            {"span_or": {"clauses": [{"span_term": {field: t}} for t in sorted(w.terms)]}}
            if len(w.terms) > 1
            else {"span_term": {field: next(iter(w.terms))}}
            for w in phrase
        ]
        return {"span_near": {"clauses": clauses, "slop": 0, "in_order": True, "boost": boost}}

    return {"bool": {"should": [on("body", 1.0), on("title", TITLE_BOOST)]}}


def _day_start(day: date, tz: ZoneInfo) -> str:
    return datetime.combine(day, dtime.min, tzinfo=tz).astimezone(UTC).isoformat()


def filters(query: SearchQuery, tz: ZoneInfo) -> list[dict[str, Any]]:
    """The non-scoring clauses: exact fields, the access scope, whole local days."""
    out: list[dict[str, Any]] = []
    for name, value in (
        ("case", query.case),
        ("package", query.package),
        ("source", query.source),
    ):
        if value is not None:
            out.append({"term": {name: value}})
    for name, values in (
        ("centre", query.centres),
        ("department", query.departments),
        ("document_id", query.document_ids),
    ):
        if values is not None:
            unique = sorted(set(values))
            parts = [
                {"terms": {name: unique[i : i + _TERMS_CHUNK]}}
                for i in range(0, len(unique), _TERMS_CHUNK)
            ]
            out.append(parts[0] if len(parts) == 1 else {"bool": {"should": parts}})
    if query.doc_types is not None:
        out.append({"terms": {"doc_type": sorted(set(query.doc_types))}})
    if query.doc_date_from is not None or query.doc_date_to is not None:
        days: dict[str, str] = {}
        if query.doc_date_from is not None:
            days["gte"] = query.doc_date_from.isoformat()
        if query.doc_date_to is not None:
            days["lte"] = query.doc_date_to.isoformat()
        out.append({"range": {"doc_date": days}})
    if query.date_from is not None or query.date_to is not None:
        bounds: dict[str, str] = {}
        if query.date_from is not None:
            bounds["gte"] = _day_start(query.date_from, tz)
        if query.date_to is not None:
            bounds["lt"] = _day_start(query.date_to + timedelta(days=1), tz)
        out.append({"range": {"archived_at": bounds}})
    return out


def search_request(
    query: SearchQuery, parsed: ParsedQuery, tz: ZoneInfo, shards: int
) -> dict[str, Any]:
    """Keyword arguments of ``Elasticsearch.search`` (without the index)."""
    limit, offset = max(0, query.limit), max(0, query.offset)
    if offset >= MAX_RESULT_WINDOW:
        offset, limit = 0, 0  # beyond the deepest page: the total only
    limit = min(limit, MAX_RESULT_WINDOW - offset)
    bool_query: dict[str, Any] = {"filter": filters(query, tz), "must_not": [NOT_TOMBSTONE]}
    request: dict[str, Any] = {
        "from_": offset if limit else 0,
        "size": limit,
        "track_total_hits": True,
        "source": SOURCE_FIELDS,
    }
    if parsed.is_empty:
        # Nothing searchable typed: list what the filters allow, newest first.
        request["sort"] = [{"archived_at": "desc"}, {"document_id": "asc"}]
    else:
        must = [word_query(w) for w in parsed.words]
        must += [phrase_query(p) for p in parsed.phrases]
        bool_query["must"] = must
    if shards > 1:
        # Global term statistics, so BM25 does not depend on the shard.
        request["search_type"] = "dfs_query_then_fetch"
    request["query"] = {"bool": bool_query}
    return request


def hits(
    parsed: ParsedQuery, found: Sequence[dict[str, Any]], analyzer: UkrainianAnalyzer
) -> list[SearchHit]:
    """Hits with snippets built in Python from the stored text."""
    builder = SnippetBuilder(parsed, analyzer)
    out: list[SearchHit] = []
    for hit in found:
        source = hit.get("_source") or {}
        stored = source.get("stored") or {}
        pages: list[str] = stored.get("pages") or []
        if parsed.is_empty:
            snippet, page = builder.preview(pages)
            score = 0.0
        else:
            snippet, page = builder.build(pages, stored.get("title") or None)
            score = float(hit.get("_score") or 0.0)
        out.append(
            SearchHit(
                document_id=str(source.get("document_id", hit["_id"])),
                case=_first(source.get("case")),
                score=score,
                snippet=snippet,
                page=page,
            )
        )
    return out


def _first(value: Any) -> str | None:
    """The first case of a document held by several (an array in ``_source``)."""
    if isinstance(value, list):
        return str(value[0]) if value else None
    return None if value is None else str(value)
