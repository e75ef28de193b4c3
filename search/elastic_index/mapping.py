"""What the cluster holds: the mapping, the index settings and each document's source.

Analysis happens in Python with the same :mod:`search.morphology` as the
embedded index: each page is indexed as its space-joined lemma terms in a
``text`` field with the built-in ``whitespace`` analyzer (one value per page;
the position gap between values keeps phrases inside a page), filters are
``keyword`` fields and ``archived_at`` a ``date``. The normalised page text is
kept in ``_source`` (an unindexed object) so snippets are built in Python.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from search.base import IndexDoc
from search.morphology import UkrainianAnalyzer, normalize

# Bump when the mapping or the document layout changes: an index of another
# format asks for a rebuild instead of being misread.
# 2: doc_type, doc_type_group and doc_date (metadata extraction).
FORMAT_VERSION = 2
MAX_RESULT_WINDOW = 200_000  # above the API's offset+limit cap (100,000 + 1,000)
TEMPLATE_PRIORITY = 200
# Documents deleted while a rebuild runs leave a tombstone; searches skip them.
NOT_TOMBSTONE = {"term": {"tombstone": True}}
SOURCE_FIELDS = ["document_id", "case", "stored"]


def mappings(analyzer_version: str) -> dict[str, Any]:
    keyword = {"type": "keyword"}
    lemmas = {"type": "text", "analyzer": "whitespace", "index_options": "positions"}
    return {
        "dynamic": "strict",
        "_meta": {"format": FORMAT_VERSION, "analyzer": analyzer_version},
        # The lemma streams are as large as the text and only needed in the
        # inverted index; _source keeps the text for snippets.
        "_source": {"excludes": ["body", "title"]},
        "properties": {
            "document_id": keyword,
            "case": keyword,
            "package": keyword,
            "source": keyword,
            "centre": keyword,
            "department": keyword,
            "archived_at": {"type": "date"},
            "doc_type": keyword,
            "doc_type_group": keyword,
            # The document's own date (a calendar day, no time zone).
            "doc_date": {"type": "date", "format": "strict_date"},
            "body": lemmas,
            "title": lemmas,
            "stored": {"type": "object", "enabled": False},
            "tombstone": {"type": "boolean"},
        },
    }


def template_body(shards: int, replicas: int | None, analyzer_version: str) -> dict[str, Any]:
    """The composable index template every generation is created from."""
    settings: dict[str, Any] = {
        "number_of_shards": shards,
        # The stored text is most of the index; DEFLATE makes it ~30 % smaller.
        "codec": "best_compression",
        "max_result_window": MAX_RESULT_WINDOW,
    }
    if replicas is None:
        settings["auto_expand_replicas"] = "0-1"  # green on one node, safe on more
    else:
        settings["number_of_replicas"] = replicas
    return {"settings": settings, "mappings": mappings(analyzer_version)}


def utc(moment: datetime) -> datetime:
    # Naive datetimes are taken as UTC, as the Tantivy index does.
    if moment.tzinfo is None:
        return moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC)


def document_source(doc: IndexDoc, analyzer: UkrainianAnalyzer) -> dict[str, Any]:
    """The ``_source`` of one document: lemma fields, filters and the stored text."""
    pages = [normalize(page) for page in doc.pages]
    title = normalize(doc.title) if doc.title else ""
    analyze = analyzer.analyze_normalized
    stored: dict[str, Any] = {"pages": pages}
    source: dict[str, Any] = {
        "document_id": doc.document_id,
        "archived_at": utc(doc.archived_at).isoformat(),
        # One value per page: the position gap between values stops phrases
        # at page boundaries, as in the Tantivy index.
        "body": [" ".join(terms) for terms in map(analyze, pages) if terms],
        "stored": stored,
    }
    for name, value in (
        ("case", doc.case),
        ("package", doc.package),
        ("source", doc.source),
        ("centre", doc.centre),
        ("department", doc.department),
        ("doc_type", doc.doc_type),
        ("doc_type_group", doc.doc_type_group),
    ):
        if value is not None:
            source[name] = value
    for number, centre, department in doc.also_held_by:
        # Keyword fields take arrays: a document held by several cases matches each.
        for name, extra in (("case", number), ("centre", centre), ("department", department)):
            if extra is None:
                continue
            have = source.get(name)
            values = have if isinstance(have, list) else ([have] if have is not None else [])
            if extra not in values:
                source[name] = [*values, extra]
    if doc.doc_date is not None:
        source["doc_date"] = doc.doc_date.isoformat()
    if title:
        source["title"] = " ".join(analyze(title))
        stored["title"] = title
    return source
