"""Tantivy specifics: persistence, locking, readers in other processes, the URL factory."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
from pathlib import Path
from typing import Any

import pytest

from search import IndexError_, SearchQuery, UnsupportedIndexURL, open_index
from search.tantivy_index import META_FILE, TantivyIndex, _pack_text, _unpack_text
from tests.search.conftest import make_doc

REPO = Path(__file__).resolve().parents[2]


def test_reopen_keeps_documents(tmp_path: Path) -> None:
    with TantivyIndex(tmp_path / "idx") as index:
        index.upsert([make_doc("a", "Заява про реєстрацію")])
    with TantivyIndex(tmp_path / "idx", readonly=True) as again:
        assert again.count() == 1
        assert again.search(SearchQuery("реєстрація")).hits[0].document_id == "a"


def test_readonly_needs_an_existing_index_and_refuses_writes(tmp_path: Path) -> None:
    with pytest.raises(IndexError_, match="no search index"):
        TantivyIndex(tmp_path / "missing", readonly=True)
    TantivyIndex(tmp_path / "idx").close()
    with TantivyIndex(tmp_path / "idx", readonly=True) as reader:
        with pytest.raises(IndexError_, match="read-only"):
            reader.upsert([make_doc("a", "x")])
        with pytest.raises(IndexError_, match="read-only"):
            reader.clear()


def test_second_writer_gets_a_clear_error_and_readers_keep_working(tmp_path: Path) -> None:
    with TantivyIndex(tmp_path / "idx") as writer:
        writer.upsert([make_doc("a", "Заява")])
        with TantivyIndex(tmp_path / "idx", lock_timeout=0.2) as other:
            with pytest.raises(IndexError_, match="writer lock"):
                other.upsert([make_doc("b", "Заява")])
            assert other.count() == 1  # searching needs no lock
    # Closing the writer releases the lock.
    with TantivyIndex(tmp_path / "idx") as later:
        later.upsert([make_doc("b", "Заява")])
        assert later.count() == 2


def test_reader_in_same_process_sees_commits_at_once(tmp_path: Path) -> None:
    with TantivyIndex(tmp_path / "idx") as writer:
        writer.upsert([make_doc("a", "Заява")])
        with TantivyIndex(tmp_path / "idx", readonly=True) as reader:
            assert reader.count() == 1
            writer.upsert([make_doc("b", "Заява")])
            assert reader.count() == 2
            writer.delete(["a"])
            assert [h.document_id for h in reader.search(SearchQuery("заява")).hits] == ["b"]


READER_SCRIPT = """
import sys
from search import SearchQuery, open_index
index = open_index("tantivy://" + sys.argv[1] + "?readonly=1")
result = index.search(SearchQuery("послуга"))
print(result.total, [h.document_id for h in result.hits])
index.close()
"""


def test_other_process_searches_while_writer_is_open(tmp_path: Path) -> None:
    path = tmp_path / "idx"
    with TantivyIndex(path) as writer:
        writer.upsert([make_doc("a", "Адміністративна послуга"), make_doc("b", "Послуги")])
        env = {**os.environ, "PYTHONPATH": str(REPO)}
        out = subprocess.run(
            [sys.executable, "-c", READER_SCRIPT, str(path)],
            capture_output=True,
            text=True,
            env=env,
            cwd=REPO,
            timeout=60,
            check=True,
        )
        assert out.stdout.split(" ", 1)[0] == "2"
        writer.upsert([make_doc("c", "Послуга")])  # writer still usable


def test_concurrent_searches_during_writes(tmp_path: Path) -> None:
    errors: list[BaseException] = []
    with TantivyIndex(tmp_path / "idx") as index:
        index.upsert([make_doc("seed", "Довідка про доходи")])
        stop = threading.Event()

        def reader() -> None:
            try:
                while not stop.is_set():
                    result = index.search(SearchQuery("довідка доходи"))
                    assert result.total >= 1
            except BaseException as exc:  # pragma: no cover - reported below
                errors.append(exc)

        threads = [threading.Thread(target=reader) for _ in range(3)]
        for t in threads:
            t.start()
        for i in range(5):
            index.upsert([make_doc(f"d{i}", "Довідка про доходи")])
        stop.set()
        for t in threads:
            t.join()
        assert index.count() == 6
    assert errors == []


def test_format_mismatch_asks_for_rebuild(tmp_path: Path) -> None:
    TantivyIndex(tmp_path / "idx").close()
    meta = tmp_path / "idx" / META_FILE
    data = json.loads(meta.read_text())
    meta.write_text(json.dumps({**data, "format": 999}))
    with pytest.raises(IndexError_, match="rebuild"):
        TantivyIndex(tmp_path / "idx")


def test_closed_index_refuses_work(tmp_path: Path) -> None:
    index = TantivyIndex(tmp_path / "idx")
    index.close()
    index.close()  # idempotent
    with pytest.raises(IndexError_, match="closed"):
        index.search(SearchQuery("x"))
    with pytest.raises(IndexError_, match="closed"):
        index.upsert([make_doc("a", "x")])


def test_failed_batch_is_not_committed_later(tmp_path: Path) -> None:
    def broken() -> object:
        yield make_doc("a", "Заява")
        raise RuntimeError("source failed")

    with TantivyIndex(tmp_path / "idx") as index:
        with pytest.raises(RuntimeError):
            index.upsert(broken())  # type: ignore[arg-type]
        index.upsert([make_doc("b", "Заява")])
        assert [h.document_id for h in index.search(SearchQuery("заява")).hits] == ["b"]


def test_stored_text_round_trip_and_compression() -> None:
    pages = ["Перша сторінка " * 50, "", "Третя сторінка з сім'єю № 5 — «ґанок» …"]
    blob = _pack_text("Назва", pages)
    assert _unpack_text(blob) == ("Назва", pages)
    assert len(blob) < len("".join(pages).encode()) / 5
    with pytest.raises(IndexError_):
        _unpack_text(b"\x09junk")
    with pytest.raises(IndexError_):
        _unpack_text(blob[:1] + b"not zlib")


def test_stored_text_keeps_characters_outside_cp1251() -> None:
    pages = ["☐ так ☑ ні ≥ 5 € 😀 ʼ \x01 \x011\x02 ü ñ 中文", "Сторінка"]
    assert _unpack_text(_pack_text("Ω", pages)) == ("Ω", pages)


def test_page_numbers_count_empty_pages(tmp_path: Path) -> None:
    with TantivyIndex(tmp_path / "idx") as index:
        index.upsert([make_doc("a", "", "   ", "Довідка про доходи")])
        assert index.search(SearchQuery("доходи")).hits[0].page == 3


# -- factory -----------------------------------------------------------------------


def test_open_index_absolute_and_relative_urls(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    absolute = open_index(f"tantivy://{tmp_path}/abs")
    assert isinstance(absolute, TantivyIndex) and absolute.path == tmp_path / "abs"
    absolute.upsert([make_doc("a", "Заява")])
    absolute.close()
    monkeypatch.chdir(tmp_path)
    relative = open_index("tantivy://rel/idx")
    assert isinstance(relative, TantivyIndex) and relative.path == Path("rel/idx")
    relative.close()
    assert (tmp_path / "rel" / "idx" / META_FILE).exists()
    reader = open_index(f"tantivy://{tmp_path}/abs?readonly=true&tz=UTC")
    assert isinstance(reader, TantivyIndex) and reader.readonly and reader.count() == 1
    reader.close()


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("sqlite:///x.db", "supported: tantivy://"),
        ("tantivy://", "no path"),
        ("/just/a/path", "supported"),
    ],
)
def test_unsupported_urls(url: str, message: str) -> None:
    with pytest.raises(UnsupportedIndexURL, match=message):
        open_index(url)


def test_drop_deletes_the_directory(tmp_path: Path) -> None:
    index = open_index(f"tantivy://{tmp_path}/idx")
    index.upsert([make_doc("a", "Заява")])
    index.drop()
    assert not (tmp_path / "idx").exists()
    with pytest.raises(IndexError_, match="closed"):
        index.count()


def test_readonly_index_refuses_rebuild_and_drop(tmp_path: Path) -> None:
    TantivyIndex(tmp_path / "idx").close()
    with TantivyIndex.from_url(f"tantivy://{tmp_path}/idx?readonly=1") as reader:
        with pytest.raises(IndexError_, match="read-only"):
            reader.rebuild([])
        with pytest.raises(IndexError_, match="read-only"):
            reader.drop()
    assert (tmp_path / "idx").is_dir()


def test_rebuild_is_one_commit_readers_never_see_it_half_done(tmp_path: Path) -> None:
    with (
        TantivyIndex(tmp_path / "idx") as writer,
        TantivyIndex(tmp_path / "idx", readonly=True) as reader,
    ):
        writer.upsert([make_doc(f"old{i}", "Заява") for i in range(3)])
        seen: list[int] = []

        def docs() -> Any:
            for i in range(5):
                seen.append(reader.count())  # what a searcher sees meanwhile
                yield make_doc(f"new{i}", "Заява")

        assert writer.rebuild(docs()) == 5
        assert seen == [3] * 5
        assert reader.count() == 5


def test_older_format_is_emptied_for_a_rebuild(tmp_path: Path) -> None:
    with TantivyIndex(tmp_path / "idx") as index:
        index.upsert([make_doc("a", "Заява")])
    meta = tmp_path / "idx" / META_FILE
    data = json.loads(meta.read_text())
    meta.write_text(json.dumps({**data, "format": 1}))
    # A read-only opener cannot start it afresh: it still asks for a rebuild.
    with pytest.raises(IndexError_, match="rebuild"):
        TantivyIndex(tmp_path / "idx", readonly=True)
    with TantivyIndex(tmp_path / "idx") as index:
        assert index.count() == 0
        assert index.rebuild([make_doc("b", "Заява")]) == 1
        assert [h.document_id for h in index.search(SearchQuery("заява")).hits] == ["b"]
    assert json.loads(meta.read_text())["format"] > 1
