"""The scale-out full-text index on Elasticsearch (8.x, no plugins needed).

Both backends analyse in Python and build snippets in Python, so they return
the same hits and highlights. The modules beside this one hold the parts:
:mod:`.client` (URL, client, error translation), :mod:`.mapping` (what is
stored), :mod:`.query` (requests), :mod:`.bulk` (writes), :mod:`.generations`
(the alias over versioned indexes) and :mod:`.reindex` (zero-downtime rebuild).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from types import TracebackType
from typing import Any

from elasticsearch import ApiError, Elasticsearch, NotFoundError

from search.base import IndexDoc, IndexError_, SearchQuery, SearchResult
from search.elastic_index import bulk, query, reindex
from search.elastic_index.client import BULK_TIMEOUT, ElasticTarget, translated_errors
from search.elastic_index.generations import Generations
from search.elastic_index.mapping import FORMAT_VERSION, NOT_TOMBSTONE, template_body
from search.morphology import UkrainianAnalyzer, default_analyzer
from search.query import parse_query

log = logging.getLogger(__name__)


class ElasticIndex:
    """:class:`search.base.SearchIndex` on an Elasticsearch cluster."""

    def __init__(
        self,
        target: ElasticTarget,
        *,
        analyzer: UkrainianAnalyzer | None = None,
        client: Elasticsearch | None = None,
    ) -> None:
        """Use the cluster ``target`` names; nothing is sent until the first call,
        so an application starts while the cluster is down."""
        self.target = target
        self.alias = target.alias
        self.where = target.where
        self._analyzer = analyzer or default_analyzer()
        self._es = client if client is not None else target.connect()
        self._bulk_es = self._es.options(request_timeout=BULK_TIMEOUT)
        self._gens = Generations(self._es, self.alias)
        self._setup_lock = threading.Lock()
        self._template_ready = False
        self._checked = False
        self._closed = False

    @classmethod
    def from_url(
        cls,
        url: str,
        *,
        analyzer: UkrainianAnalyzer | None = None,
        client: Elasticsearch | None = None,
    ) -> ElasticIndex:
        """``http(s)://[user:password@]host:port[/prefix][?options]``; the options
        are listed at :meth:`search.elastic_index.client.ElasticTarget.parse`."""
        return cls(ElasticTarget.parse(url), analyzer=analyzer, client=client)

    # -- plumbing ------------------------------------------------------------

    @contextmanager
    def _errors(self, action: str) -> Iterator[None]:
        if self._closed:
            raise IndexError_("search index is closed")
        with translated_errors(self.where, action):
            yield

    def _template(self) -> dict[str, Any]:
        t = self.target
        return template_body(t.shards, t.replicas, self._analyzer.version)

    def _put_template(self) -> None:
        if self._template_ready:
            return
        self._gens.put_template(self._template())
        self._template_ready = True

    def _check_format(self) -> None:
        """Once per process: refuse an index of another format, warn on another analyzer."""
        if self._checked:
            return
        try:
            mappings = self._es.indices.get_mapping(index=self.alias).body
        except NotFoundError:
            return  # nothing indexed yet
        for name, info in mappings.items():
            meta = (info.get("mappings") or {}).get("_meta") or {}
            if meta.get("format") != FORMAT_VERSION:
                raise IndexError_(
                    f"search index {name} has format {meta.get('format')}, this version "
                    f"needs {FORMAT_VERSION}: rebuild the index (cnap-archive reindex)"
                )
            if meta.get("analyzer") != self._analyzer.version:
                log.warning(
                    "search index %s was built with analyzer %s, now %s; "
                    "rebuild it for consistent results",
                    name,
                    meta.get("analyzer"),
                    self._analyzer.version,
                )
        self._checked = True

    def _ensure(self) -> None:
        """Before a write: the template and a live generation behind the alias."""
        if self._template_ready and self._checked:
            return
        with self._setup_lock:
            self._put_template()
            if not self._gens.live():
                try:
                    self._gens.create({self.alias: {"is_write_index": True}}, {})
                except ApiError as exc:
                    # Another process created it first: a second write index
                    # for the alias is refused, and no index is left behind.
                    if not self._gens.live():
                        raise
                    log.debug("search index %s created concurrently (%s)", self.alias, exc.error)
            self._check_format()

    # -- documents -----------------------------------------------------------

    def upsert(self, docs: Iterable[IndexDoc]) -> None:
        """Add or replace documents by ``document_id``; visible when this returns."""
        with self._errors("upsert"):
            self._ensure()
            rebuilding = self._gens.rebuilding()
            refresh = self.target.refresh

            def send(chunk: list[bulk.Op], last: bool) -> None:
                if rebuilding:
                    # Live writes are newer than what the rebuild read: "index"
                    # overrides, and the rebuild's "create" yields to them.
                    bulk.send(self._bulk_es, self._gens.next, chunk, False, reindex.REBUILD_GONE)
                bulk.send(self._bulk_es, self.alias, chunk, refresh if last else False, frozenset())

            ops = bulk.index_ops(docs, "index", self._analyzer)
            sent = bulk.pipeline(bulk.chunks(ops), send)
            if sent > 1 and self.target.shards > 1:
                # The last request only refreshed the shards it touched.
                self._es.indices.refresh(index=self.alias)

    def delete(self, document_ids: Iterable[str]) -> None:
        """Remove documents; unknown ids are ignored."""
        with self._errors("delete"):
            ids = list(dict.fromkeys(document_ids))
            if not ids:
                return
            rebuilding = self._gens.rebuilding()
            for start in range(0, len(ids), bulk.BULK_DOCS):
                batch = ids[start : start + bulk.BULK_DOCS]
                if rebuilding:
                    # A tombstone, not a delete: the rebuild may still "create"
                    # this document from what it read before it was deleted.
                    tombs = bulk.tombstone_ops(batch)
                    bulk.send(self._bulk_es, self._gens.next, tombs, False, reindex.REBUILD_GONE)
                ops = bulk.delete_ops(batch)
                bulk.send(self._bulk_es, self.alias, ops, self.target.refresh, frozenset({404}))

    def clear(self) -> None:
        """Remove every document: an empty generation replaces the live one at once."""
        with self._errors("clear"):
            with self._setup_lock:
                self._put_template()
                old = self._gens.live()
                new = self._gens.create({}, {})
                self._gens.swap_to(new, old)
                self._checked = False
            self._gens.delete(old)

    def rebuild(self, docs: Iterable[IndexDoc]) -> int:
        """Index ``docs`` into a new generation, then swap the alias to it atomically.

        Searches keep using the old generation until the swap; writes made
        meanwhile (by any process) reach both. Returns the number of documents
        read from ``docs``. On failure the new generation is deleted and the
        old one stays live.
        """
        with self._errors("rebuild"):
            with self._setup_lock:
                self._put_template()
                new = reindex.begin(self._gens)
            count = reindex.fill_and_swap(
                self._gens,
                self._bulk_es,
                new,
                docs,
                self._analyzer,
                self._template()["settings"],
            )
            self._checked = False
            return count

    def count(self) -> int:
        """Number of documents in the index."""
        with self._errors("count"):
            try:
                response = self._es.count(
                    index=self.alias, query={"bool": {"must_not": [NOT_TOMBSTONE]}}
                )
            except NotFoundError:
                return 0
            return int(response["count"])

    def drop(self) -> None:
        """Delete every generation and the template (decommissioning, tests)."""
        with self._errors("drop"):
            self._gens.delete(sorted(self._gens.aliases()))
            self._gens.delete_template()
            self._template_ready = self._checked = False

    def close(self) -> None:
        """Close the connections."""
        if self._closed:
            return
        self._closed = True
        self._es.close()

    def __enter__(self) -> ElasticIndex:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    # -- searching -------------------------------------------------------------

    def search(self, query_: SearchQuery) -> SearchResult:
        """Ranked search with filters; same syntax and semantics as the Tantivy index."""
        scopes = (query_.centres, query_.departments, query_.document_ids, query_.doc_types)
        if any(scope is not None and len(scope) == 0 for scope in scopes):
            return SearchResult(total=0)  # an empty scope sees nothing
        if query_.date_from and query_.date_to and query_.date_from > query_.date_to:
            return SearchResult(total=0)
        if (
            query_.doc_date_from
            and query_.doc_date_to
            and query_.doc_date_from > query_.doc_date_to
        ):
            return SearchResult(total=0)
        parsed = parse_query(query_.text, self._analyzer)
        request = query.search_request(query_, parsed, self.target.timezone, self.target.shards)
        with self._errors("search"):
            self._check_format()
            try:
                response = self._es.search(index=self.alias, **request)
            except NotFoundError:
                return SearchResult(total=0)  # nothing indexed yet
        found = response["hits"]
        total = int(found["total"]["value"])
        return SearchResult(total=total, hits=query.hits(parsed, found["hits"], self._analyzer))
