"""The embedded full-text index on Tantivy (no server needed).

One Tantivy document per archived document. Page text is analysed in Python
(:mod:`search.morphology`) and indexed as whitespace-separated lemma terms, one
field value per page: Tantivy leaves a position gap between values, so a phrase
never spans two pages. The normalised text of the pages is stored
zlib-compressed in one stored bytes field, so the index builds its own
snippets; only ``document_id`` and ``case`` are stored besides it.

Concurrency: searches may run from any number of threads. Writes are serialised
by a lock; the first write takes Tantivy's writer lock (``.tantivy-writer.lock``
in the index directory) and holds it until :meth:`TantivyIndex.close`, so one
process at a time can write. Any other process can open the same directory and
search (``readonly=True`` makes that explicit): readers need no lock and pick
up new commits on their next search.
"""

from __future__ import annotations

import codecs
import json
import logging
import os
import re
import shutil
import threading
import time
import zlib
from collections.abc import Iterable, Sequence
from datetime import UTC, date, datetime, timedelta
from datetime import time as dtime
from pathlib import Path
from types import TracebackType
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit
from zoneinfo import ZoneInfo

import tantivy
from tantivy import Occur, Query

from search.base import (
    IndexDoc,
    IndexError_,
    SearchHit,
    SearchQuery,
    SearchResult,
    UnsupportedIndexURL,
)
from search.morphology import UkrainianAnalyzer, default_analyzer, normalize
from search.query import ParsedQuery, QueryWord, parse_query
from search.snippets import SnippetBuilder

log = logging.getLogger(__name__)

# Bump when the schema or the stored-text format changes (the index is derived
# data: a mismatch asks for a rebuild instead of guessing).
# 2: doc_type, doc_type_group and doc_date (metadata extraction).
FORMAT_VERSION = 2
META_FILE = "cnap-search.json"
DEFAULT_TIMEZONE = "Europe/Kyiv"

_TITLE_BOOST = 2.0
_PAGE_SEPARATOR = "\x1f"  # normalize() turns control characters into spaces,
_TITLE_SEPARATOR = "\x1e"  # so these never occur in stored text
# Stored text: cp1251 (one byte a Cyrillic letter instead of two) then zlib —
# 17 % smaller and 3x faster to compress than UTF-8. Characters outside cp1251
# are kept as \x01<hex code point>\x02; normalize() leaves no control
# characters in the text, so the escape is unambiguous.
_BLOB_CP1251_ZLIB = b"\x02"
_ZLIB_LEVEL = 6
_ESCAPE_ERRORS = "cnap-search-escape"
_ESCAPED_RE = re.compile("\x01([0-9a-f]+)\x02")
_REGEX_META = frozenset("\\.+*?()|[]{}^$#&-~")
_TRUE = {"1", "true", "yes", "on"}


def _build_schema() -> tantivy.Schema:
    builder = tantivy.SchemaBuilder()
    for name, stored in (("document_id", True), ("case", True)):
        builder.add_text_field(name, stored=stored, tokenizer_name="raw", index_option="basic")
    for name in ("package", "source", "centre", "department", "doc_type", "doc_type_group"):
        builder.add_text_field(name, stored=False, tokenizer_name="raw", index_option="basic")
    builder.add_date_field("archived_at", stored=False, indexed=False, fast=True)
    # The document's own date (its issue date) as midnight UTC of that day: a
    # calendar date, no time zone to convert.
    builder.add_date_field("doc_date", stored=False, indexed=True, fast=True)
    for name in ("body", "title"):
        builder.add_text_field(
            name, stored=False, tokenizer_name="whitespace", index_option="position"
        )
    builder.add_bytes_field("text", stored=True, indexed=False)
    return builder.build()


def _escape_unencodable(error: UnicodeError) -> tuple[str, int]:
    if not isinstance(error, UnicodeEncodeError):
        raise error
    bad = error.object[error.start : error.end]
    return "".join(f"\x01{ord(ch):x}\x02" for ch in bad), error.end


codecs.register_error(_ESCAPE_ERRORS, _escape_unencodable)


def _pack_text(title: str, pages: Sequence[str]) -> bytes:
    payload = title + _TITLE_SEPARATOR + _PAGE_SEPARATOR.join(pages)
    payload = payload.replace("\x01", "\x011\x02")  # only if text was not normalised
    data = payload.encode("cp1251", _ESCAPE_ERRORS)
    return _BLOB_CP1251_ZLIB + zlib.compress(data, _ZLIB_LEVEL)


def _unpack_text(blob: bytes) -> tuple[str, list[str]]:
    if blob[:1] != _BLOB_CP1251_ZLIB:
        raise IndexError_("stored text has an unknown format; rebuild the index")
    try:
        payload = zlib.decompress(blob[1:]).decode("cp1251")
    except (zlib.error, UnicodeDecodeError) as exc:
        raise IndexError_(f"stored text is corrupt: {exc}") from exc
    if "\x01" in payload:
        payload = _ESCAPED_RE.sub(lambda m: chr(int(m.group(1), 16)), payload)
    title, _, body = payload.partition(_TITLE_SEPARATOR)
    return title, body.split(_PAGE_SEPARATOR)


def _regex_literal(term: str) -> str:
    return "".join("\\" + ch if ch in _REGEX_META else ch for ch in term)


def _utc(moment: datetime) -> datetime:
    # Naive datetimes are taken as UTC (what Tantivy itself would assume).
    if moment.tzinfo is None:
        return moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC)


# Tantivy's dates are nanoseconds in an i64; a date read outside is not indexed.
_MIN_DAY, _MAX_DAY = date(1678, 1, 1), date(2262, 1, 1)


def _calendar_day(day: date) -> datetime:
    return datetime.combine(day, dtime.min, tzinfo=UTC)


class TantivyIndex:
    """:class:`search.base.SearchIndex` on an embedded Tantivy index directory."""

    def __init__(
        self,
        path: str | os.PathLike[str],
        *,
        readonly: bool = False,
        timezone: str = DEFAULT_TIMEZONE,
        analyzer: UkrainianAnalyzer | None = None,
        writer_heap_bytes: int = 128_000_000,
        writer_threads: int = 1,
        lock_timeout: float = 5.0,
    ) -> None:
        """Open the index at ``path``, creating it unless ``readonly``.

        ``timezone`` is the calendar of the date filters: ``date_from`` and
        ``date_to`` are whole local days. One indexing thread suits a small
        machine: Python analysis, not Tantivy, is the bottleneck.
        """
        self.path = Path(path)
        self.readonly = readonly
        self._tz = ZoneInfo(timezone)
        self._analyzer = analyzer or default_analyzer()
        self._heap = writer_heap_bytes
        self._threads = writer_threads
        self._lock_timeout = lock_timeout
        self._schema = _build_schema()
        self._write_lock = threading.Lock()
        self._reload_lock = threading.Lock()
        self._writer: Any = None
        self._closed = False
        self._index = self._open()
        self._meta_stamp = self._stamp()

    @classmethod
    def from_url(cls, url: str) -> TantivyIndex:
        """``tantivy:///abs/path`` or ``tantivy://rel/path`` (relative to the working
        directory). Options: ``readonly=1`` (search only, never takes the writer
        lock) and ``tz=Europe/Kyiv`` (calendar of the date filters)."""
        parts = urlsplit(url)
        if parts.scheme.lower() != "tantivy":
            raise UnsupportedIndexURL(f"not a Tantivy index URL: {url!r}")
        path = unquote(parts.netloc + parts.path)
        if not path:
            raise UnsupportedIndexURL(f"index URL {url!r} has no path: use tantivy:///abs/path")
        params = parse_qs(parts.query)
        readonly = params.get("readonly", ["0"])[-1].lower() in _TRUE
        timezone = params.get("tz", [DEFAULT_TIMEZONE])[-1]
        return cls(path, readonly=readonly, timezone=timezone)

    # -- opening ---------------------------------------------------------------

    def _open(self) -> tantivy.Index:
        meta_path = self.path / META_FILE
        exists = self.path.is_dir() and tantivy.Index.exists(str(self.path))
        if self.readonly and not exists:
            raise IndexError_(f"no search index at {self.path}")
        if meta_path.exists():
            try:
                meta = json.loads(meta_path.read_text(encoding="utf-8"))
            except (OSError, ValueError) as exc:
                raise IndexError_(f"unreadable {meta_path}: {exc}") from exc
            found = meta.get("format")
            if isinstance(found, int) and found < FORMAT_VERSION and not self.readonly:
                # An index of an older schema cannot take the new fields, and it
                # is derived data: start it afresh instead of refusing to open,
                # so `cnap-archive reindex` (which needs a writable index) works.
                log.warning(
                    "search index at %s has the older format %s; emptied for format %s: "
                    "rebuild it (cnap-archive reindex)",
                    self.path,
                    found,
                    FORMAT_VERSION,
                )
                shutil.rmtree(self.path)
            elif found != FORMAT_VERSION:
                raise IndexError_(
                    f"search index at {self.path} has format {meta.get('format')}, "
                    f"this version needs {FORMAT_VERSION}: rebuild the index"
                )
            elif meta.get("analyzer") != self._analyzer.version:
                log.warning(
                    "search index at %s was built with analyzer %s, now %s; "
                    "rebuild it for consistent results",
                    self.path,
                    meta.get("analyzer"),
                    self._analyzer.version,
                )
        try:
            if not self.readonly:
                self.path.mkdir(parents=True, exist_ok=True)
            index = tantivy.Index(self._schema, path=str(self.path), reuse=True)
        except (OSError, ValueError) as exc:
            raise IndexError_(f"cannot open search index at {self.path}: {exc}") from exc
        if not self.readonly and not meta_path.exists():
            meta = {"format": FORMAT_VERSION, "analyzer": self._analyzer.version}
            tmp = meta_path.with_suffix(f".{os.getpid()}.tmp")
            tmp.write_text(json.dumps(meta), encoding="utf-8")
            os.replace(tmp, meta_path)
        return index

    def _stamp(self) -> tuple[int, int]:
        try:
            st = os.stat(self.path / "meta.json")
        except OSError:
            return (0, 0)
        return (st.st_mtime_ns, st.st_size)

    def _searcher(self) -> tantivy.Searcher:
        if self._closed:
            raise IndexError_("search index is closed")
        # Another process may have committed: Tantivy's own watcher polls every
        # 500 ms, a stat of meta.json makes new commits visible at once.
        stamp = self._stamp()
        if stamp != self._meta_stamp:
            with self._reload_lock:
                if stamp != self._meta_stamp:
                    self._index.reload()
                    self._meta_stamp = stamp
        return self._index.searcher()

    # -- writing ---------------------------------------------------------------

    def _get_writer(self) -> Any:
        if self._closed:
            raise IndexError_("search index is closed")
        if self.readonly:
            raise IndexError_("search index was opened read-only")
        if self._writer is None:
            deadline = time.monotonic() + self._lock_timeout
            while True:
                try:
                    self._writer = self._index.writer(
                        heap_size=self._heap, num_threads=self._threads
                    )
                    break
                except ValueError as exc:
                    if "LockBusy" not in str(exc):
                        raise IndexError_(f"cannot write to search index: {exc}") from exc
                    if time.monotonic() >= deadline:
                        raise IndexError_(
                            f"cannot write to search index at {self.path}: another "
                            "process holds its writer lock"
                        ) from exc
                    time.sleep(0.1)
        return self._writer

    def _commit(self, writer: Any) -> None:
        writer.commit()
        self._index.reload()
        self._meta_stamp = self._stamp()

    def _to_document(self, doc: IndexDoc) -> tantivy.Document:
        pages = [normalize(page) for page in doc.pages]
        title = normalize(doc.title) if doc.title else ""
        tdoc = tantivy.Document()
        tdoc.add_text("document_id", doc.document_id)
        for name in (
            "case",
            "package",
            "source",
            "centre",
            "department",
            "doc_type",
            "doc_type_group",
        ):
            value = getattr(doc, name)
            if value is not None:
                tdoc.add_text(name, value)
        for number, centre, department in doc.also_held_by:
            tdoc.add_text("case", number)
            tdoc.add_text("centre", centre)
            if department is not None:
                tdoc.add_text("department", department)
        tdoc.add_date("archived_at", _utc(doc.archived_at))
        if doc.doc_date is not None and _MIN_DAY <= doc.doc_date <= _MAX_DAY:
            tdoc.add_date("doc_date", _calendar_day(doc.doc_date))
        analyze = self._analyzer.analyze_normalized
        for page in pages:
            terms = analyze(page)
            if terms:
                tdoc.add_text("body", " ".join(terms))
        if title:
            tdoc.add_text("title", " ".join(analyze(title)))
        tdoc.add_bytes("text", _pack_text(title, pages))
        return tdoc

    def upsert(self, docs: Iterable[IndexDoc]) -> None:
        """Add or replace documents by ``document_id``; visible when this returns."""
        with self._write_lock:
            writer = self._get_writer()
            try:
                for doc in docs:
                    tdoc = self._to_document(doc)
                    writer.delete_documents_by_term("document_id", doc.document_id)
                    writer.add_document(tdoc)
                self._commit(writer)
            except BaseException as exc:
                self._abort(writer)
                if isinstance(exc, ValueError):
                    raise IndexError_(f"indexing failed: {exc}") from exc
                raise

    def _abort(self, writer: Any) -> None:
        # Drop the uncommitted part of a failed batch so the next commit does
        # not publish it.
        try:
            writer.rollback()
        except ValueError:  # pragma: no cover - rollback of a broken writer
            log.exception("search index rollback failed at %s", self.path)

    def delete(self, document_ids: Iterable[str]) -> None:
        """Remove documents; unknown ids are ignored."""
        with self._write_lock:
            writer = self._get_writer()
            try:
                for document_id in document_ids:
                    writer.delete_documents_by_term("document_id", document_id)
                self._commit(writer)
            except ValueError as exc:
                self._abort(writer)
                raise IndexError_(f"delete failed: {exc}") from exc

    def clear(self) -> None:
        """Remove every document (before a full rebuild)."""
        with self._write_lock:
            writer = self._get_writer()
            try:
                writer.delete_all_documents()
                self._commit(writer)
                writer.garbage_collect_files()
            except ValueError as exc:
                self._abort(writer)
                raise IndexError_(f"clear failed: {exc}") from exc

    def rebuild(self, docs: Iterable[IndexDoc]) -> int:
        """Replace the whole content with ``docs`` in one commit.

        Searchers keep the last commit until this one lands, so the index is
        never seen empty or half-filled; a failure rolls back to the old
        content. The writer spills segments to disk past its heap, so one
        commit suits any size. Returns the number of documents read.
        """
        count = 0
        with self._write_lock:
            writer = self._get_writer()
            try:
                writer.delete_all_documents()
                for doc in docs:
                    tdoc = self._to_document(doc)
                    # A document read twice keeps its last version, as with upsert.
                    writer.delete_documents_by_term("document_id", doc.document_id)
                    writer.add_document(tdoc)
                    count += 1
                self._commit(writer)
                writer.garbage_collect_files()
            except BaseException as exc:
                self._abort(writer)
                if isinstance(exc, ValueError):
                    raise IndexError_(f"rebuild failed: {exc}") from exc
                raise
        log.info("search index at %s rebuilt: %d documents", self.path, count)
        return count

    def drop(self) -> None:
        """Close the index and delete its directory (decommissioning, tests)."""
        if self.readonly:
            raise IndexError_("search index was opened read-only")
        self.close()
        shutil.rmtree(self.path, ignore_errors=True)

    def count(self) -> int:
        """Number of documents in the index."""
        return int(self._searcher().num_docs)

    def close(self) -> None:
        """Finish background merges, release the writer lock and the files."""
        with self._write_lock:
            if self._closed:
                return
            self._closed = True
            writer, self._writer = self._writer, None
            if writer is not None:
                try:
                    writer.wait_merging_threads()
                except ValueError as exc:  # pragma: no cover - merge failure on shutdown
                    log.warning("search index merge on close failed at %s: %s", self.path, exc)

    def __enter__(self) -> TantivyIndex:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    # -- searching -------------------------------------------------------------

    def _word_query(self, word: QueryWord) -> Query:
        clauses: list[tuple[Occur, Query]] = []
        for term in sorted(word.terms):
            clauses.append((Occur.Should, Query.term_query(self._schema, "body", term)))
            title = Query.term_query(self._schema, "title", term)
            clauses.append((Occur.Should, Query.boost_query(title, _TITLE_BOOST)))
        return Query.boolean_query(clauses)

    def _phrase_query(self, phrase: Sequence[QueryWord], searcher: tantivy.Searcher) -> Query:
        def on(field: str) -> Query:
            # Only terms this index holds: usually one or two per position.
            present = [
                [t for t in sorted(w.terms) if searcher.doc_freq(field, t) > 0] for w in phrase
            ]
            if not all(present):
                return Query.empty_query()
            if all(len(terms) == 1 for terms in present):
                return Query.phrase_query(self._schema, field, [t[0] for t in present])
            # Several forms: one regex phrase (a word's forms as alternatives), not a
            # union of plain phrases, which intersects posting lists once per
            # combination of forms. On 100,000 documents, 800 two-word phrases: p95
            # 5.9–6.7 → 1.7–2.8 ms, p99 13–14 → 2.3–3.4 ms, the same matches
            # (docs/performance.md, sixth session).
            patterns: list[str | tuple[int, str]] = [
                "|".join(_regex_literal(t) for t in terms) for terms in present
            ]
            return Query.regex_phrase_query(self._schema, field, patterns)

        title = Query.boost_query(on("title"), _TITLE_BOOST)
        return Query.boolean_query([(Occur.Should, on("body")), (Occur.Should, title)])

    def _filters(self, query: SearchQuery) -> list[Query]:
        schema = self._schema
        filters: list[Query] = []
        for name, value in (
            ("case", query.case),
            ("package", query.package),
            ("source", query.source),
        ):
            if value is not None:
                filters.append(Query.term_query(schema, name, value))
        for name, values in (
            ("centre", query.centres),
            ("department", query.departments),
            ("document_id", query.document_ids),
        ):
            if values is not None:
                filters.append(Query.term_set_query(schema, name, sorted(set(values))))
        if query.doc_types is not None:
            filters.append(Query.term_set_query(schema, "doc_type", sorted(set(query.doc_types))))
        if query.doc_date_from is not None or query.doc_date_to is not None:
            filters.append(
                Query.range_query(
                    schema,
                    "doc_date",
                    tantivy.FieldType.Date,
                    lower_bound=_calendar_day(query.doc_date_from) if query.doc_date_from else None,
                    upper_bound=_calendar_day(query.doc_date_to) if query.doc_date_to else None,
                    include_lower=True,
                    include_upper=True,
                )
            )
        if query.date_from is not None or query.date_to is not None:
            lower = self._day_start(query.date_from) if query.date_from else None
            upper = self._day_start(query.date_to + timedelta(days=1)) if query.date_to else None
            filters.append(
                Query.range_query(
                    schema,
                    "archived_at",
                    tantivy.FieldType.Date,
                    lower_bound=lower,
                    upper_bound=upper,
                    include_lower=True,
                    include_upper=upper is None,  # Tantivy: an open side is inclusive
                )
            )
        return filters

    def _day_start(self, day: date) -> datetime:
        return datetime.combine(day, dtime.min, tzinfo=self._tz).astimezone(UTC)

    def search(self, query: SearchQuery) -> SearchResult:
        """Ranked search with filters; see docs/search.md for the query syntax."""
        scopes = (query.centres, query.departments, query.document_ids, query.doc_types)
        if any(scope is not None and len(scope) == 0 for scope in scopes):
            return SearchResult(total=0)  # an empty scope sees nothing
        if query.date_from and query.date_to and query.date_from > query.date_to:
            return SearchResult(total=0)
        if query.doc_date_from and query.doc_date_to and query.doc_date_from > query.doc_date_to:
            return SearchResult(total=0)
        parsed = parse_query(query.text, self._analyzer)
        clauses = [(Occur.Must, Query.const_score_query(f, 0.0)) for f in self._filters(query)]
        limit, offset = max(0, query.limit), max(0, query.offset)
        searcher = self._searcher()
        try:
            if parsed.is_empty:
                # Nothing searchable typed: list what the filters allow, newest first.
                tq = Query.boolean_query(clauses) if clauses else Query.all_query()
                result = searcher.search(
                    tq,
                    limit=max(limit, 1),  # Tantivy panics on a zero limit
                    offset=offset,
                    count=True,
                    order_by_field="archived_at",
                    order=tantivy.Order.Desc,
                )
            else:
                text = [(Occur.Must, self._word_query(w)) for w in parsed.words]
                text += [(Occur.Must, self._phrase_query(p, searcher)) for p in parsed.phrases]
                tq = Query.boolean_query(text + clauses)
                result = searcher.search(tq, limit=max(limit, 1), offset=offset, count=True)
            hits = [] if limit == 0 else self._hits(searcher, parsed, result.hits)
        except ValueError as exc:
            raise IndexError_(f"search failed: {exc}") from exc
        # ``count`` exists at run time but is missing from tantivy's type stubs.
        total: int | None = getattr(result, "count", None)
        return SearchResult(total=int(total or 0), hits=hits)

    def _hits(
        self, searcher: tantivy.Searcher, parsed: ParsedQuery, found: Sequence[tuple[Any, Any]]
    ) -> list[SearchHit]:
        builder = SnippetBuilder(parsed, self._analyzer)
        hits: list[SearchHit] = []
        for score, address in found:
            doc = searcher.doc(address)
            title, pages = _unpack_text(doc.get_first("text") or _pack_text("", []))
            if parsed.is_empty:
                snippet, page = builder.preview(pages)
                score = 0.0
            else:
                snippet, page = builder.build(pages, title or None)
            hits.append(
                SearchHit(
                    document_id=str(doc.get_first("document_id")),
                    case=doc.get_first("case"),
                    score=float(score),
                    snippet=snippet,
                    page=page,
                )
            )
        return hits
