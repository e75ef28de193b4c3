"""Contract tests of the metadata database, on SQLite and on PostgreSQL."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import inspect, text
from sqlalchemy.exc import DatabaseError

from archive.models import Case, CaseEvent, Document, Source
from archive.settings import Settings
from backends import Archive
from ingest.pipeline import claim


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.services)])
def db_archive(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Archive]:
    settings = Settings(data_dir=tmp_path / "data")
    if request.param == "postgresql":
        from tests.services import isolated_pg_url

        settings = Settings(data_dir=tmp_path / "data", database_url=isolated_pg_url())
    a = Archive(settings)
    a.init()
    yield a
    a.close()


def test_migrations_are_idempotent(db_archive: Archive) -> None:
    db_archive.db.migrate()
    db_archive.db.migrate()
    tables = set(inspect(db_archive.db.engine).get_table_names())
    assert {"cases", "packages", "documents", "pages", "case_events", "index_outbox"} <= tables
    if db_archive.db.is_sqlite:
        with db_archive.db.session() as s:
            assert s.execute(text("PRAGMA journal_mode")).scalar() == "wal"


def test_routing_sheet_is_append_only(db_archive: Archive) -> None:
    with db_archive.db.session() as s:
        case = Case(number="2026/00001", centre="ЦНАП")
        s.add(case)
        s.flush()
        s.add(CaseEvent(case_id=case.id, kind="case.registered"))
    with pytest.raises(DatabaseError), db_archive.db.session() as s:
        s.execute(text("UPDATE case_events SET kind = 'forged'"))
    with pytest.raises(DatabaseError), db_archive.db.session() as s:
        s.execute(text("DELETE FROM case_events"))
    with db_archive.db.session() as s:
        kinds = [e.kind for e in s.query(CaseEvent).all()]
    assert kinds == ["case.registered"]


def test_concurrent_workers_never_share_a_document(db_archive: Archive) -> None:
    with db_archive.db.session() as s:
        doc = Document(source=Source.upload, original_name="a.pdf", sha256="a" * 64, size=1)
        s.add(doc)
        s.flush()
        doc_id = doc.id
    wins: list[str] = []
    barrier = threading.Barrier(8)

    def worker(n: int) -> None:
        barrier.wait()
        # Each thread poses as a live worker on another machine, so leases are trusted.
        if claim(db_archive, doc_id, f"other-host-{n}:1:1"):
            wins.append(str(n))

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(wins) == 1
    with db_archive.db.session() as s:
        d = s.get(Document, doc_id)
        assert d is not None and d.lease_owner == f"other-host-{wins[0]}:1:1"
        assert d.attempts == 1


def test_raw_json_is_written_as_it_is(db_archive: Archive) -> None:
    # Page words encoded by a worker process are stored verbatim and read back as
    # if the engine had encoded them; any other value is encoded as before.
    import json

    from sqlalchemy import insert, select

    from archive.database import RawJSON
    from archive.models import Page

    with db_archive.db.session() as s:
        doc = Document(source=Source.upload, original_name="a.pdf", sha256="a" * 64, size=1)
        s.add(doc)
        s.flush()
        words = [["Київ", 0.1, 0.2, 0.3, 0.4]]
        s.execute(
            insert(Page),
            [
                {"document_id": doc.id, "number": 1, "text": "Київ", "ocr": False,
                 "words": RawJSON(json.dumps(words))},
                {"document_id": doc.id, "number": 2, "text": "Київ", "ocr": False,
                 "words": words},
            ],
        )  # fmt: skip
        doc_id = doc.id
    with db_archive.db.session() as s:
        rows = s.execute(select(Page.number, Page.words).where(Page.document_id == doc_id))
        assert sorted(rows) == [(1, words), (2, words)]
