"""The scale-out full-text index on Elasticsearch (8.x, no plugins needed).

Analysis happens in Python with the same :mod:`search.morphology` as the
embedded index: each page is indexed as its space-joined lemma terms in a
``text`` field with the built-in ``whitespace`` analyzer (one value per page;
the position gap between values keeps phrases inside a page), filters are
``keyword`` fields and ``archived_at`` a ``date``. The normalised page text is
kept in ``_source`` (an unindexed object) and snippets are built in Python with
:mod:`search.snippets`, so both backends return the same hits and highlights.

Versioned indexes behind an alias: ``NAME`` is an alias over one concrete index
``NAME-<UTC timestamp>`` created from the composable index template ``NAME``.
Reads and writes use the alias. :meth:`ElasticIndex.rebuild` fills a new
generation while the old one keeps serving, then swaps the alias atomically and
deletes the old index. While a rebuild runs, the alias ``NAME-next`` points at
the new generation and every writer (in any process) writes there too; deletes
leave a *tombstone* there so the rebuild cannot resurrect a document it read
before the delete. Searches ignore tombstones; the rebuild removes them.

Client errors become :class:`search.base.IndexError_` with the HTTP status and
the error type only: Elasticsearch error reasons can quote document text or the
query, which may be personal data.
"""

from __future__ import annotations

import json
import logging
import re
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from datetime import time as dtime
from types import TracebackType
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from elastic_transport import ConnectionError as TransportConnectionError
from elastic_transport import ConnectionTimeout, TransportError
from elasticsearch import ApiError, Elasticsearch, NotFoundError

from search.base import IndexDoc, IndexError_, SearchHit, SearchQuery, SearchResult
from search.morphology import UkrainianAnalyzer, default_analyzer, normalize
from search.query import ParsedQuery, QueryWord, parse_query
from search.snippets import SnippetBuilder

log = logging.getLogger(__name__)


class _NoBodies(logging.Filter):
    """Drops elastic_transport's DEBUG records: they hold whole request and
    response bodies, that is document text and queries (personal data)."""

    def filter(self, record: logging.LogRecord) -> bool:
        return record.levelno > logging.DEBUG


_NO_BODIES = _NoBodies()
# A filter, not a level: it holds even when an application sets every logger
# to DEBUG. Logger.addFilter ignores a filter it already has.
logging.getLogger("elastic_transport.node").addFilter(_NO_BODIES)

# Bump when the mapping or the document layout changes: an index of another
# format asks for a rebuild instead of being misread.
FORMAT_VERSION = 1
DEFAULT_ALIAS = "cnap-documents"
DEFAULT_TIMEZONE = "Europe/Kyiv"
DEFAULT_TIMEOUT = 10.0  # seconds; bulk requests get BULK_TIMEOUT
BULK_TIMEOUT = 120.0
MAX_RESULT_WINDOW = 200_000  # above the API's offset+limit cap (100,000 + 1,000)

_TITLE_BOOST = 2.0  # as in the Tantivy index
_TEMPLATE_PRIORITY = 200
_BULK_DOCS = 500
_BULK_BYTES = 8 * 2**20
_TERMS_CHUNK = 60_000  # below index.max_terms_count (65,536) per terms query
_RETRY_429 = (1.0, 2.0, 4.0)  # back-off before resending items the cluster rejected
_NAME_RE = re.compile(r"[a-z0-9][a-z0-9_.-]{0,199}")
_TIMESTAMP = "%Y%m%d%H%M%S%f"  # 20 digits, sorts by creation time
_NOT_TOMBSTONE = {"term": {"tombstone": True}}
_SOURCE_FIELDS = ["document_id", "case", "stored"]
# A write to NAME-next answered 404: the rebuild finished (the alias write that
# follows reaches the new generation) or was abandoned. Either way, fine.
_REBUILD_GONE = frozenset({404})


def _mappings(analyzer_version: str) -> dict[str, Any]:
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
            "body": lemmas,
            "title": lemmas,
            "stored": {"type": "object", "enabled": False},
            "tombstone": {"type": "boolean"},
        },
    }


def _utc(moment: datetime) -> datetime:
    # Naive datetimes are taken as UTC, as the Tantivy index does.
    if moment.tzinfo is None:
        return moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC)


def _json_line(value: Any) -> bytes:
    # ensure_ascii=False halves the size of Cyrillic text; a lone surrogate
    # (from badly decoded input) becomes "?" instead of failing the batch.
    return json.dumps(value, ensure_ascii=False, separators=(",", ":")).encode("utf-8", "replace")


def _api_error(exc: ApiError) -> str:
    """Status and error types only: reasons may quote document text or the query."""
    types: list[str] = [str(exc.error)]
    body = exc.body if isinstance(exc.body, dict) else {}
    error = body.get("error")
    if isinstance(error, dict):
        for cause in error.get("root_cause") or []:
            if isinstance(cause, dict) and cause.get("type") and cause["type"] not in types:
                types.append(str(cause["type"]))
    return f"HTTP {exc.meta.status} {', '.join(types)}"


@dataclass(slots=True)
class _Op:
    """One bulk operation: the action line and the document line (if any)."""

    action: bytes
    source: bytes | None = None

    @property
    def size(self) -> int:
        return len(self.action) + (len(self.source) + 1 if self.source is not None else 0) + 1


class ElasticIndex:
    """:class:`search.base.SearchIndex` on an Elasticsearch cluster."""

    def __init__(
        self,
        url: str,
        *,
        analyzer: UkrainianAnalyzer | None = None,
        client: Elasticsearch | None = None,
    ) -> None:
        """Connect lazily to ``http(s)://[user:password@]host:port[/prefix][?options]``.

        Options: ``index`` (alias name, default ``cnap-documents``), ``tz``
        (calendar of the date filters, default ``Europe/Kyiv``), ``timeout``
        (seconds per request, default 10), ``refresh`` (``wait_for`` or
        ``true``: how an upsert becomes visible), ``shards`` (default 1),
        ``replicas`` (default: 1 when the cluster has a second node),
        ``verify_certs=0`` and ``ca_certs=PATH`` for HTTPS. Nothing is sent
        until the first call, so an application starts while the cluster is down.
        """
        from search.base import UnsupportedIndexURL

        parts = urlsplit(url)
        params = {k: v[-1] for k, v in parse_qs(parts.query).items()}
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise UnsupportedIndexURL("Elasticsearch index URL must be http(s)://host:port/")
        try:
            port = parts.port
        except ValueError:
            port = None
        if port is None:
            raise UnsupportedIndexURL("Elasticsearch index URL needs a port (host:9200)")
        self.alias = params.get("index", DEFAULT_ALIAS)
        if not _NAME_RE.fullmatch(self.alias) or self.alias.endswith("-next"):
            raise UnsupportedIndexURL(
                "index name must be lower-case letters, digits, '-', '_' or '.' "
                "(not starting with a sign, not ending in -next)"
            )
        try:
            self._tz = ZoneInfo(params.get("tz", DEFAULT_TIMEZONE))
            self._timeout = float(params.get("timeout", DEFAULT_TIMEOUT))
            self._shards = int(params.get("shards", "1"))
            replicas = params.get("replicas")
            self._replicas = int(replicas) if replicas is not None else None
        except (ValueError, ZoneInfoNotFoundError) as exc:
            raise UnsupportedIndexURL(f"bad option in the index URL: {exc}") from None
        refresh = params.get("refresh", "wait_for").lower()
        if refresh not in ("wait_for", "true"):
            raise UnsupportedIndexURL("refresh must be wait_for or true")
        self._refresh: str | bool = True if refresh == "true" else "wait_for"
        host = parts.netloc.rpartition("@")[2]
        # Where errors say the cluster is: never with the password.
        self.where = f"{parts.scheme}://{host}{parts.path.rstrip('/')}"
        self._next = f"{self.alias}-next"
        self._generation_re = re.compile(re.escape(self.alias) + r"-\d{20}")
        self._analyzer = analyzer or default_analyzer()
        if client is None:
            auth = None
            if parts.username is not None:
                auth = (unquote(parts.username), unquote(parts.password or ""))
            extra: dict[str, Any] = {}
            if parts.scheme == "https":
                extra["verify_certs"] = params.get("verify_certs", "1").lower() not in (
                    "0",
                    "false",
                    "no",
                    "off",
                )
                if "ca_certs" in params:
                    extra["ca_certs"] = params["ca_certs"]
            client = Elasticsearch(
                self.where,
                basic_auth=auth,
                request_timeout=self._timeout,
                # A refused connection is retried at once (a restarting node);
                # a timeout is not: retrying a slow cluster only adds load.
                max_retries=2,
                retry_on_timeout=False,
                **extra,
            )
        self._es = client
        self._bulk_es = client.options(request_timeout=BULK_TIMEOUT)
        self._setup_lock = threading.Lock()
        self._template_ready = False
        self._checked = False
        self._closed = False

    # -- plumbing ------------------------------------------------------------

    @contextmanager
    def _errors(self, action: str) -> Iterator[None]:
        """Translate client errors at the edge (without quoting the server's reasons)."""
        if self._closed:
            raise IndexError_("search index is closed")
        try:
            yield
        except ApiError as exc:
            raise IndexError_(
                f"Elasticsearch {action} failed at {self.where}: {_api_error(exc)}"
            ) from None
        except (TransportConnectionError, ConnectionTimeout) as exc:
            raise IndexError_(
                f"Elasticsearch at {self.where} is unreachable ({action}): "
                f"{type(exc).__name__}: {exc.message}"
            ) from None
        except TransportError as exc:
            # e.g. SerializationError, whose message would quote the data.
            raise IndexError_(
                f"Elasticsearch {action} failed at {self.where}: {type(exc).__name__}"
            ) from None

    def _template_body(self) -> dict[str, Any]:
        settings: dict[str, Any] = {
            "number_of_shards": self._shards,
            # The stored text is most of the index; DEFLATE makes it ~30 % smaller.
            "codec": "best_compression",
            "max_result_window": MAX_RESULT_WINDOW,
        }
        if self._replicas is None:
            settings["auto_expand_replicas"] = "0-1"  # green on one node, safe on more
        else:
            settings["number_of_replicas"] = self._replicas
        return {"settings": settings, "mappings": _mappings(self._analyzer.version)}

    def _put_template(self) -> None:
        if self._template_ready:
            return
        self._es.indices.put_index_template(
            name=self.alias,
            index_patterns=[f"{self.alias}-*"],
            priority=_TEMPLATE_PRIORITY,
            template=self._template_body(),
            meta={"managed_by": "cnap-archive", "format": FORMAT_VERSION},
        )
        self._template_ready = True

    def _aliases_of_generations(self) -> dict[str, set[str]]:
        """Every generation of this index and the aliases it carries."""
        found = self._es.indices.get_alias(index=f"{self.alias}-*", expand_wildcards="all")
        return {
            name: set((info.get("aliases") or {}).keys())
            for name, info in found.body.items()
            if self._generation_re.fullmatch(name)
        }

    def _indices_of(self, alias: str) -> list[str]:
        try:
            return sorted(self._es.indices.get_alias(name=alias).body)
        except NotFoundError:
            return []

    def _rebuilding(self) -> bool:
        """Is a rebuild running (then writes must reach its index too)?"""
        return any(self._next in aliases for aliases in self._aliases_of_generations().values())

    def _new_generation(self, aliases: dict[str, Any], settings: dict[str, Any]) -> str:
        name = f"{self.alias}-{datetime.now(UTC).strftime(_TIMESTAMP)}"
        self._es.indices.create(index=name, aliases=aliases, settings=settings or None)
        return name

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
            if not self._indices_of(self.alias):
                try:
                    self._new_generation({self.alias: {"is_write_index": True}}, {})
                except ApiError as exc:
                    # Another process created it first: a second write index
                    # for the alias is refused, and no index is left behind.
                    if not self._indices_of(self.alias):
                        raise
                    log.debug("search index %s created concurrently (%s)", self.alias, exc.error)
            self._check_format()

    # -- documents -----------------------------------------------------------

    def _source(self, doc: IndexDoc) -> dict[str, Any]:
        pages = [normalize(page) for page in doc.pages]
        title = normalize(doc.title) if doc.title else ""
        analyze = self._analyzer.analyze_normalized
        stored: dict[str, Any] = {"pages": pages}
        source: dict[str, Any] = {
            "document_id": doc.document_id,
            "archived_at": _utc(doc.archived_at).isoformat(),
            # One value per page: the position gap between values stops phrases
            # at page boundaries, as in the Tantivy index.
            "body": [" ".join(terms) for terms in map(analyze, pages) if terms],
            "stored": stored,
        }
        for name in ("case", "package", "source", "centre", "department"):
            value = getattr(doc, name)
            if value is not None:
                source[name] = value
        if title:
            source["title"] = " ".join(analyze(title))
            stored["title"] = title
        return source

    def _index_ops(self, docs: Iterable[IndexDoc], op: str) -> Iterator[_Op]:
        for doc in docs:
            yield _Op(_json_line({op: {"_id": doc.document_id}}), _json_line(self._source(doc)))

    @staticmethod
    def _chunks(ops: Iterable[_Op]) -> Iterator[list[_Op]]:
        chunk: list[_Op] = []
        size = 0
        for op in ops:
            chunk.append(op)
            size += op.size
            if len(chunk) >= _BULK_DOCS or size >= _BULK_BYTES:
                yield chunk
                chunk, size = [], 0
        if chunk:
            yield chunk

    def _bulk(
        self, target: str, ops: Sequence[_Op], refresh: str | bool, ok: frozenset[int]
    ) -> None:
        """Send one bulk request to an alias; resend items rejected with 429."""
        for delay in (*_RETRY_429, None):
            body = b"".join(
                op.action + b"\n" + (op.source + b"\n" if op.source is not None else b"")
                for op in ops
            )
            # Bytes pass through the client's serializer untouched (the stubs
            # only know lists of dicts): NDJSON built once, its size known.
            response = self._bulk_es.bulk(
                index=target,
                operations=body,  # type: ignore[arg-type]
                refresh=refresh,
                require_alias=True,
            )
            if not response["errors"]:
                return
            retry: list[_Op] = []
            failed: dict[str, int] = {}
            for op, item in zip(ops, response["items"], strict=True):
                result = next(iter(item.values()))
                status = int(result.get("status", 500))
                if status < 300 or status in ok:
                    continue
                if status == 429:
                    retry.append(op)
                    continue
                error = result.get("error")
                kind = str(error.get("type")) if isinstance(error, dict) else str(status)
                failed[kind] = failed.get(kind, 0) + 1
            if failed:
                summary = ", ".join(f"{n} {kind}" for kind, n in sorted(failed.items()))
                raise IndexError_(f"Elasticsearch rejected documents in {target}: {summary}")
            if not retry:
                return
            if delay is None:
                raise IndexError_(f"Elasticsearch kept rejecting {len(retry)} documents (429)")
            time.sleep(delay)
            ops = retry

    @staticmethod
    def _pipeline(chunks: Iterable[list[_Op]], send: Callable[[list[_Op], bool], None]) -> int:
        """Send each chunk in the background while the next is analysed.

        ``send(chunk, last)`` learns which chunk is the last (it refreshes).
        Returns the number of chunks sent.
        """
        sent = 0
        with ThreadPoolExecutor(max_workers=1, thread_name_prefix="es-bulk") as pool:
            pending: Future[None] | None = None
            held: list[_Op] | None = None
            try:
                for chunk in chunks:
                    if held is not None:
                        if pending is not None:
                            pending.result()
                        pending = pool.submit(send, held, False)
                        sent += 1
                    held = chunk
            finally:
                if pending is not None:
                    pending.result()
            if held is not None:
                send(held, True)
                sent += 1
        return sent

    def upsert(self, docs: Iterable[IndexDoc]) -> None:
        """Add or replace documents by ``document_id``; visible when this returns."""
        with self._errors("upsert"):
            self._ensure()
            rebuilding = self._rebuilding()

            def send(chunk: list[_Op], last: bool) -> None:
                if rebuilding:
                    # Live writes are newer than what the rebuild read: "index"
                    # overrides, and the rebuild's "create" yields to them.
                    self._bulk(self._next, chunk, False, _REBUILD_GONE)
                self._bulk(self.alias, chunk, self._refresh if last else False, frozenset())

            sent = self._pipeline(self._chunks(self._index_ops(docs, "index")), send)
            if sent > 1 and self._shards > 1:
                # The last request only refreshed the shards it touched.
                self._es.indices.refresh(index=self.alias)

    def delete(self, document_ids: Iterable[str]) -> None:
        """Remove documents; unknown ids are ignored."""
        with self._errors("delete"):
            ids = list(dict.fromkeys(document_ids))
            if not ids:
                return
            rebuilding = self._rebuilding()
            for start in range(0, len(ids), _BULK_DOCS):
                batch = ids[start : start + _BULK_DOCS]
                if rebuilding:
                    # A tombstone, not a delete: the rebuild may still "create"
                    # this document from what it read before it was deleted.
                    tombs = [
                        _Op(
                            _json_line({"index": {"_id": i}}),
                            _json_line({"document_id": i, "tombstone": True}),
                        )
                        for i in batch
                    ]
                    self._bulk(self._next, tombs, False, _REBUILD_GONE)
                ops = [_Op(_json_line({"delete": {"_id": i}})) for i in batch]
                self._bulk(self.alias, ops, self._refresh, frozenset({404}))

    def clear(self) -> None:
        """Remove every document: an empty generation replaces the live one at once."""
        with self._errors("clear"):
            with self._setup_lock:
                self._put_template()
                old = self._indices_of(self.alias)
                new = self._new_generation({}, {})
                actions: list[dict[str, Any]] = [
                    {"remove": {"index": name, "alias": self.alias}} for name in old
                ]
                actions.append({"add": {"index": new, "alias": self.alias, "is_write_index": True}})
                self._es.indices.update_aliases(actions=actions)
                self._checked = False
            self._delete_indices(old)

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
                new = self._begin_rebuild()
            count = 0
            try:

                def counted() -> Iterator[IndexDoc]:
                    nonlocal count
                    for doc in docs:
                        count += 1
                        yield doc

                # "create": a live write that reached the new generation first
                # (newer data, or a tombstone) wins over what the rebuild read.
                self._pipeline(
                    self._chunks(self._index_ops(counted(), "create")),
                    lambda chunk, _last: self._bulk(self._next, chunk, False, frozenset({409})),
                )
                old = self._finish_rebuild(new)
            except BaseException:
                self._abandon(new)
                raise
            self._delete_indices(old)
            self._purge_tombstones(new)
            log.info("search index %s rebuilt: %d documents in %s", self.alias, count, new)
            return count

    def _begin_rebuild(self) -> str:
        generations = self._aliases_of_generations()
        running = sorted(name for name, aliases in generations.items() if self._next in aliases)
        if running:
            raise IndexError_(
                f"another rebuild of {self.alias} is running into {running[0]}; if it died, "
                f"delete that index (DELETE /{running[0]}) and start again"
            )
        # Leftovers of a crash between a swap and the deletion of the old index.
        self._delete_indices(sorted(name for name, aliases in generations.items() if not aliases))
        # No refreshes and no replicas while bulk loading; set back before the swap.
        settings = {
            "refresh_interval": "-1",
            "number_of_replicas": 0,
            "auto_expand_replicas": "false",
        }
        new = self._new_generation({self._next: {}}, settings)
        rivals = self._indices_of(self._next)
        if rivals != [new] and min(rivals) != new:
            # Two rebuilds started at the same moment: the older name goes on.
            self._delete_indices([new])
            raise IndexError_(f"another rebuild of {self.alias} started at the same time")
        return new

    def _finish_rebuild(self, new: str) -> list[str]:
        """Make ``new`` searchable and swap the alias to it; returns the old generations."""
        template = self._template_body()["settings"]
        settings: dict[str, Any] = {"refresh_interval": None}
        if "auto_expand_replicas" in template:
            settings["auto_expand_replicas"] = template["auto_expand_replicas"]
        else:
            settings["number_of_replicas"] = template["number_of_replicas"]
        self._es.indices.put_settings(index=new, settings=settings)
        self._es.indices.refresh(index=new)
        self._es.cluster.health(index=new, wait_for_status="yellow", timeout="60s")
        old = self._indices_of(self.alias)
        actions: list[dict[str, Any]] = [
            {"remove": {"index": name, "alias": self.alias}} for name in old
        ]
        actions.append({"add": {"index": new, "alias": self.alias, "is_write_index": True}})
        # Dropping the -next alias in the same step: from now on writers see
        # one index and nothing is written to the old one unseen.
        actions.append({"remove": {"index": new, "alias": self._next}})
        self._es.indices.update_aliases(actions=actions)
        self._checked = False
        return old

    def _abandon(self, new: str) -> None:
        try:
            self._es.indices.delete(index=new, ignore_unavailable=True)
        except (ApiError, TransportError) as exc:
            log.warning(
                "could not delete the abandoned search index %s: %s", new, type(exc).__name__
            )

    def _purge_tombstones(self, index: str) -> None:
        """Remove the tombstones left by deletes during the rebuild.

        Best effort: searches and counts skip tombstones anyway.
        """
        try:
            self._es.indices.refresh(index=index)
            for _ in range(1000):  # bounded: each round removes or skips what it found
                found = self._es.search(
                    index=index,
                    query={"term": {"tombstone": True}},
                    size=_BULK_DOCS,
                    source=False,
                    seq_no_primary_term=True,
                )["hits"]["hits"]
                # Only if unchanged since: a live upsert may have replaced the
                # tombstone with a document (409 then).
                ops = [
                    _Op(
                        _json_line(
                            {
                                "delete": {
                                    "_id": hit["_id"],
                                    "if_seq_no": hit["_seq_no"],
                                    "if_primary_term": hit["_primary_term"],
                                }
                            }
                        )
                    )
                    for hit in found
                ]
                if ops:
                    # Through the alias: bulk requests here must never create an index.
                    self._bulk(self.alias, ops, True, frozenset({404, 409}))
                if len(found) < _BULK_DOCS:
                    return
        except (ApiError, TransportError, IndexError_) as exc:
            log.warning("could not remove tombstones from %s: %s", index, type(exc).__name__)

    def _delete_indices(self, names: Sequence[str]) -> None:
        if not names:
            return
        try:
            self._es.indices.delete(index=",".join(names), ignore_unavailable=True)
        except (ApiError, TransportError) as exc:
            # The swap is done; a leftover index costs disk, not correctness,
            # and the next rebuild removes it.
            log.warning(
                "could not delete old search indexes %s: %s", ", ".join(names), type(exc).__name__
            )

    def count(self) -> int:
        """Number of documents in the index."""
        with self._errors("count"):
            try:
                response = self._es.count(
                    index=self.alias, query={"bool": {"must_not": [_NOT_TOMBSTONE]}}
                )
            except NotFoundError:
                return 0
            return int(response["count"])

    def drop(self) -> None:
        """Delete every generation and the template (decommissioning, tests)."""
        with self._errors("drop"):
            self._delete_indices(sorted(self._aliases_of_generations()))
            with suppress(NotFoundError):
                self._es.indices.delete_index_template(name=self.alias)
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

    @staticmethod
    def _word_query(word: QueryWord) -> dict[str, Any]:
        should: list[dict[str, Any]] = []
        for term in sorted(word.terms):
            should.append({"term": {"body": term}})
            should.append({"term": {"title": {"value": term, "boost": _TITLE_BOOST}}})
        return {"bool": {"should": should}}

    @staticmethod
    def _phrase_query(phrase: Sequence[QueryWord]) -> dict[str, Any]:
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

        return {"bool": {"should": [on("body", 1.0), on("title", _TITLE_BOOST)]}}

    def _day_start(self, day: date) -> str:
        return datetime.combine(day, dtime.min, tzinfo=self._tz).astimezone(UTC).isoformat()

    def _filters(self, query: SearchQuery) -> list[dict[str, Any]]:
        filters: list[dict[str, Any]] = []
        for name, value in (
            ("case", query.case),
            ("package", query.package),
            ("source", query.source),
        ):
            if value is not None:
                filters.append({"term": {name: value}})
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
                filters.append(parts[0] if len(parts) == 1 else {"bool": {"should": parts}})
        if query.date_from is not None or query.date_to is not None:
            bounds: dict[str, str] = {}
            if query.date_from is not None:
                bounds["gte"] = self._day_start(query.date_from)
            if query.date_to is not None:
                bounds["lt"] = self._day_start(query.date_to + timedelta(days=1))
            filters.append({"range": {"archived_at": bounds}})
        return filters

    def search(self, query: SearchQuery) -> SearchResult:
        """Ranked search with filters; same syntax and semantics as the Tantivy index."""
        scopes = (query.centres, query.departments, query.document_ids)
        if any(scope is not None and len(scope) == 0 for scope in scopes):
            return SearchResult(total=0)  # an empty scope sees nothing
        if query.date_from and query.date_to and query.date_from > query.date_to:
            return SearchResult(total=0)
        parsed = parse_query(query.text, self._analyzer)
        limit, offset = max(0, query.limit), max(0, query.offset)
        if offset >= MAX_RESULT_WINDOW:
            offset, limit = 0, 0  # beyond the deepest page: the total only
        limit = min(limit, MAX_RESULT_WINDOW - offset)
        bool_query: dict[str, Any] = {
            "filter": self._filters(query),
            "must_not": [_NOT_TOMBSTONE],
        }
        request: dict[str, Any] = {
            "from_": offset if limit else 0,
            "size": limit,
            "track_total_hits": True,
            "source": _SOURCE_FIELDS,
        }
        if parsed.is_empty:
            # Nothing searchable typed: list what the filters allow, newest first.
            request["sort"] = [{"archived_at": "desc"}, {"document_id": "asc"}]
        else:
            must = [self._word_query(w) for w in parsed.words]
            must += [self._phrase_query(p) for p in parsed.phrases]
            bool_query["must"] = must
        if self._shards > 1:
            # Global term statistics, so BM25 does not depend on the shard.
            request["search_type"] = "dfs_query_then_fetch"
        with self._errors("search"):
            self._check_format()
            try:
                response = self._es.search(index=self.alias, query={"bool": bool_query}, **request)
            except NotFoundError:
                return SearchResult(total=0)  # nothing indexed yet
        hits = response["hits"]
        total = int(hits["total"]["value"])
        return SearchResult(total=total, hits=self._hits(parsed, hits["hits"]))

    def _hits(self, parsed: ParsedQuery, found: Sequence[dict[str, Any]]) -> list[SearchHit]:
        builder = SnippetBuilder(parsed, self._analyzer)
        hits: list[SearchHit] = []
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
            hits.append(
                SearchHit(
                    document_id=str(source.get("document_id", hit["_id"])),
                    case=source.get("case"),
                    score=score,
                    snippet=snippet,
                    page=page,
                )
            )
        return hits
