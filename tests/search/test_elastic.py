"""Elasticsearch specifics: URL, versioned index behind an alias, rebuild, outages.

The behaviour shared with the Tantivy index is in test_contract.py (run on both
backends through the ``make_index`` fixture).
"""

from __future__ import annotations

import contextlib
import logging
import re
import socket
import threading
import time
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from elasticsearch import Elasticsearch

from search import IndexError_, SearchQuery, UnsupportedIndexURL, open_index
from search.base import IndexDoc
from search.elastic_index import DEFAULT_ALIAS, ElasticIndex
from search.elastic_index.mapping import FORMAT_VERSION
from tests.search.conftest import make_doc

SECRET_TEXT = "Конфіденційний зміст сторінки"


def ids(index: ElasticIndex, text: str, **kwargs: Any) -> list[str]:
    return sorted(h.document_id for h in index.search(SearchQuery(text, limit=100, **kwargs)).hits)


# -- URL (no server needed) ------------------------------------------------------------


def test_url_defaults_and_options() -> None:
    index = open_index("http://127.0.0.1:9/")
    assert isinstance(index, ElasticIndex) and index.alias == DEFAULT_ALIAS
    index.close()
    index = open_index("https://user:p%40ss@es.example:9243/prefix/?index=bench&tz=UTC&timeout=3")
    assert isinstance(index, ElasticIndex) and index.alias == "bench"
    assert index.where == "https://es.example:9243/prefix"  # never the password
    index.close()


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("http://localhost/", "needs a port"),
        ("http://localhost:9200/?index=Upper", "index name"),
        ("http://localhost:9200/?index=-x", "index name"),
        ("http://localhost:9200/?index=a,b", "index name"),
        ("http://localhost:9200/?index=docs-next", "index name"),
        ("http://localhost:9200/?tz=Mars/Base", "bad option"),
        ("http://localhost:9200/?timeout=soon", "bad option"),
        ("http://localhost:9200/?refresh=false", "refresh"),
    ],
)
def test_bad_urls(url: str, message: str) -> None:
    with pytest.raises(UnsupportedIndexURL, match=message):
        open_index(url)


# -- outages (no server needed: closed ports and a server that never answers) ------------


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.mark.parametrize(
    "call",
    [
        lambda ix: ix.search(SearchQuery("заява")),
        lambda ix: ix.count(),
        lambda ix: ix.upsert([make_doc("a", SECRET_TEXT)]),
        lambda ix: ix.delete(["a"]),
        lambda ix: ix.clear(),
        lambda ix: ix.rebuild([make_doc("a", SECRET_TEXT)]),
    ],
)
def test_cluster_down_fails_fast_with_index_error(
    call: Any, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    index = ElasticIndex.from_url(f"http://user:hunter2@127.0.0.1:{_free_port()}/?index=down")
    started = time.monotonic()
    with pytest.raises(IndexError_, match="unreachable") as err:
        call(index)
    assert time.monotonic() - started < 3
    assert "hunter2" not in str(err.value) and "hunter2" not in caplog.text
    assert SECRET_TEXT not in caplog.text and "заява" not in caplog.text
    index.close()
    with pytest.raises(IndexError_, match="closed"):
        index.count()


def test_hung_cluster_times_out_without_retrying() -> None:
    with socket.socket() as listener:  # accepts connections, never answers
        listener.bind(("127.0.0.1", 0))
        listener.listen(16)
        port = listener.getsockname()[1]
        with ElasticIndex.from_url(f"http://127.0.0.1:{port}/?index=hung&timeout=0.5") as index:
            started = time.monotonic()
            with pytest.raises(IndexError_, match="ConnectionTimeout"):
                index.count()
            assert time.monotonic() - started < 1.5


# -- against the real cluster ----------------------------------------------------------------


@pytest.fixture
def es_url() -> str:
    from tests.services import service_urls

    return service_urls()["CNAP_INDEX_URL"].rstrip("/")


@pytest.fixture
def raw(es_url: str) -> Iterator[Elasticsearch]:
    client = Elasticsearch(es_url, request_timeout=30)
    yield client
    client.close()


@pytest.fixture
def name() -> str:
    return f"cnap-test-{uuid.uuid4().hex[:12]}"


@pytest.fixture
def es_index(es_url: str, name: str) -> Iterator[ElasticIndex]:
    """The production defaults (refresh=wait_for), with a name of its own."""
    index = ElasticIndex.from_url(f"{es_url}/?index={name}")
    yield index
    index.drop()
    index.close()


def generations(raw: Elasticsearch, name: str) -> dict[str, set[str]]:
    found = raw.indices.get_alias(index=f"{name}-*").body
    return {k: set(v.get("aliases", {})) for k, v in found.items()}


@pytest.mark.services
def test_nothing_is_created_until_the_first_write(
    es_index: ElasticIndex, raw: Elasticsearch, name: str
) -> None:
    assert es_index.count() == 0
    assert es_index.search(SearchQuery("заява")).total == 0
    es_index.delete(["a"])
    assert generations(raw, name) == {}
    es_index.upsert([make_doc("a", "Заява")])
    (live,) = generations(raw, name).items()
    assert re.fullmatch(re.escape(name) + r"-\d{20}", live[0]) and live[1] == {name}
    assert raw.indices.exists_index_template(name=name)


@pytest.mark.services
def test_default_refresh_makes_writes_visible_on_return(es_index: ElasticIndex) -> None:
    for i in range(3):
        es_index.upsert([make_doc(f"d{i}", "Довідка про доходи")])
        assert es_index.search(SearchQuery("довідка")).total == i + 1
    es_index.delete(["d0"])
    assert ids(es_index, "довідка") == ["d1", "d2"]


@pytest.mark.services
def test_upsert_streams_many_batches(es_index: ElasticIndex) -> None:
    es_index.upsert(make_doc(f"d{i:04}", f"Заява номер {i}") for i in range(1234))
    assert es_index.count() == 1234
    assert ids(es_index, "1233") == ["d1233"]


@pytest.mark.services
def test_text_is_kept_out_of_the_lemma_fields_source(
    es_index: ElasticIndex, raw: Elasticsearch, name: str
) -> None:
    es_index.upsert([make_doc("a", "Заява про реєстрацію", title="Заява")])
    source = raw.get(index=name, id="a")["_source"]
    assert "body" not in source and "title" not in source
    assert source["stored"] == {"pages": ["Заява про реєстрацію"], "title": "Заява"}


@pytest.mark.services
def test_clear_swaps_in_an_empty_generation(
    es_index: ElasticIndex, raw: Elasticsearch, name: str
) -> None:
    es_index.upsert([make_doc("a", "Заява")])
    (before,) = generations(raw, name)
    es_index.clear()
    (after,) = generations(raw, name)
    assert after != before and es_index.count() == 0
    es_index.upsert([make_doc("b", "Заява")])
    assert ids(es_index, "заява") == ["b"]


@pytest.mark.services
def test_rebuild_serves_the_old_index_until_an_atomic_swap(
    es_index: ElasticIndex, raw: Elasticsearch, name: str
) -> None:
    es_index.upsert([make_doc("old", "Заява стара"), make_doc("gone", "Заява видалена")])
    (before,) = generations(raw, name)
    seen_during: list[list[str]] = []

    def docs() -> Iterator[IndexDoc]:
        for i in range(1200):  # several bulk requests
            if i == 700:
                seen_during.append(ids(es_index, "заява"))
                gens = generations(raw, name)
                assert gens[before] == {name} and len(gens) == 2
                assert f"{name}-next" in next(v for k, v in gens.items() if k != before)
            yield make_doc(f"n{i:04}", f"Заява нова {i}")

    assert es_index.rebuild(docs()) == 1200
    assert seen_during == [["gone", "old"]]  # no downtime: the old generation answered
    gens = generations(raw, name)
    assert list(gens.values()) == [{name}] and before not in gens
    assert es_index.count() == 1200 and ids(es_index, "стара") == []
    assert ids(es_index, "1199") == ["n1199"]
    es_index.upsert([make_doc("after", "Заява після")])
    assert ids(es_index, "після") == ["after"]


@pytest.mark.services
def test_writes_during_a_rebuild_are_not_lost(
    es_url: str, es_index: ElasticIndex, raw: Elasticsearch, name: str
) -> None:
    es_index.upsert([make_doc("x", "Заява x"), make_doc("y", "Субсидія стара")])
    other = ElasticIndex.from_url(f"{es_url}/?index={name}")  # another process, say the worker

    def docs() -> Iterator[IndexDoc]:
        # What the rebuild read from the database before the changes below.
        yield make_doc("x", "Заява x")
        yield make_doc("y", "Субсидія стара")
        other.delete(["x"])
        other.upsert([make_doc("y", "Субсидія нова"), make_doc("z", "Субсидія нова")])
        assert ids(other, "субсидія") == ["y", "z"]  # live index updated meanwhile
        yield make_doc("w", "Пенсія")

    try:
        assert es_index.rebuild(docs()) == 3
    finally:
        other.close()
    assert ids(es_index, "заява") == []  # not resurrected by the rebuild
    assert ids(es_index, "нова") == ["y", "z"] and ids(es_index, "стара") == []
    assert es_index.count() == 3  # w, y, z: tombstones neither counted nor left
    assert es_index.search(SearchQuery("", limit=10)).total == 3
    assert raw.count(index=name)["count"] == 3


@pytest.mark.services
def test_failed_rebuild_leaves_the_live_index_alone(
    es_index: ElasticIndex, raw: Elasticsearch, name: str
) -> None:
    es_index.upsert([make_doc("a", "Заява")])
    before = generations(raw, name)

    def docs() -> Iterator[IndexDoc]:
        yield make_doc("b", "Заява")
        raise RuntimeError("database went away")

    with pytest.raises(RuntimeError):
        es_index.rebuild(docs())
    assert generations(raw, name) == before
    es_index.upsert([make_doc("c", "Заява")])
    assert ids(es_index, "заява") == ["a", "c"]


@pytest.mark.services
def test_only_one_rebuild_at_a_time(es_url: str, es_index: ElasticIndex, name: str) -> None:
    other = ElasticIndex.from_url(f"{es_url}/?index={name}")
    errors: list[str] = []

    def docs() -> Iterator[IndexDoc]:
        try:
            other.rebuild([make_doc("b", "Заява")])
        except IndexError_ as exc:
            errors.append(str(exc))
        yield make_doc("a", "Заява")

    try:
        es_index.rebuild(docs())
    finally:
        other.close()
    assert len(errors) == 1 and "another rebuild" in errors[0]
    assert ids(es_index, "заява") == ["a"]


@pytest.mark.services
def test_index_of_another_format_asks_for_a_rebuild(
    es_url: str, es_index: ElasticIndex, raw: Elasticsearch, name: str
) -> None:
    es_index.upsert([make_doc("a", "Заява")])
    raw.indices.put_mapping(index=name, meta={"format": 0})
    with ElasticIndex.from_url(f"{es_url}/?index={name}") as fresh:
        with pytest.raises(IndexError_, match="rebuild"):
            fresh.search(SearchQuery("заява"))
        assert fresh.rebuild([make_doc("b", "Заява")]) == 1
        assert ids(fresh, "заява") == ["b"]


@pytest.mark.services
def test_server_errors_do_not_quote_text_or_query(
    es_url: str, raw: Elasticsearch, name: str, caplog: pytest.LogCaptureFixture
) -> None:
    # A live index whose mapping does not fit: Elasticsearch's reasons would
    # quote the page text and the query words.
    raw.indices.create(
        index=f"{name}-00000000000000000001",
        aliases={name: {"is_write_index": True}},
        mappings={
            "_meta": {"format": FORMAT_VERSION},
            "properties": {"body": {"type": "integer"}, "archived_at": {"type": "integer"}},
        },
    )
    caplog.set_level(logging.DEBUG)
    index = ElasticIndex.from_url(f"{es_url}/?index={name}")
    try:
        with pytest.raises(IndexError_) as upsert_error:
            index.upsert([make_doc("a", SECRET_TEXT)])
        with pytest.raises(IndexError_) as search_error:
            index.search(SearchQuery("конфіденційний"))
    finally:
        index.drop()
        index.close()
    for message in (str(upsert_error.value), str(search_error.value), caplog.text):
        assert "онфіденційн" not in message and "зміст" not in message
    assert "document_parsing_exception" in str(upsert_error.value)
    assert "HTTP 400" in str(search_error.value)


class _Proxy:
    """A TCP relay to the cluster that can be cut and restored (an outage drill)."""

    def __init__(self, upstream: tuple[str, int]) -> None:
        self.upstream = upstream
        self.port = _free_port()
        self._sockets: list[socket.socket] = []
        self._listener: socket.socket | None = None

    def start(self) -> None:
        listener = socket.socket()
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind(("127.0.0.1", self.port))
        listener.listen(16)
        self._listener = listener
        threading.Thread(target=self._accept, args=(listener,), daemon=True).start()

    def _accept(self, listener: socket.socket) -> None:
        while True:
            try:
                client, _ = listener.accept()
            except OSError:
                return
            server = socket.create_connection(self.upstream)
            self._sockets += [client, server]
            for a, b in ((client, server), (server, client)):
                threading.Thread(target=self._pump, args=(a, b), daemon=True).start()

    @staticmethod
    def _pump(src: socket.socket, dst: socket.socket) -> None:
        try:
            while data := src.recv(65536):
                dst.sendall(data)
        except OSError:
            pass
        finally:
            for s in (src, dst):
                with contextlib.suppress(OSError):
                    s.shutdown(socket.SHUT_RDWR)

    def stop(self) -> None:
        if self._listener is not None:
            # shutdown() wakes the thread blocked in accept(); close() alone does not.
            with contextlib.suppress(OSError):
                self._listener.shutdown(socket.SHUT_RDWR)
            self._listener.close()
            self._listener = None
        for s in self._sockets:
            with contextlib.suppress(OSError):
                s.shutdown(socket.SHUT_RDWR)
            s.close()
        self._sockets.clear()


@pytest.mark.services
def test_recovers_as_soon_as_the_cluster_is_back(es_url: str, name: str) -> None:
    host, port = es_url.removeprefix("http://").split(":")
    proxy = _Proxy((host, int(port)))
    proxy.start()
    index = ElasticIndex.from_url(f"http://127.0.0.1:{proxy.port}/?index={name}&refresh=true")
    try:
        index.upsert([make_doc("a", "Заява")])
        proxy.stop()
        for _ in range(3):
            with pytest.raises(IndexError_, match="unreachable"):
                index.search(SearchQuery("заява"))
        proxy.start()
        # No back-off left over from the outage: the very next call works.
        assert ids(index, "заява") == ["a"]
        index.upsert([make_doc("b", "Заява")])
        assert index.count() == 2
    finally:
        proxy.stop()
        with ElasticIndex.from_url(f"{es_url}/?index={name}") as direct:
            direct.drop()
        index.close()
