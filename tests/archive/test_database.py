"""Contract tests of the metadata database, on SQLite and on PostgreSQL."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest
from sqlalchemy import inspect, text
from sqlalchemy.exc import DatabaseError

from archive.models import Case, CaseEvent, Document, Source
from backends import Archive
from ingest.pipeline import claim


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


def test_the_pool_hands_back_the_connection_used_last(tmp_path: Path) -> None:
    """SQLite: a search's reads and its access-log append run on one driver connection.

    SQLite drops a connection's page cache when another connection has committed
    since its last read; taken in turn, every search would read its pages again.
    """
    from archive.database import Database

    db = Database(f"sqlite:///{tmp_path / 'a.sqlite3'}")
    try:
        held = [db.engine.connect() for _ in range(3)]  # three idle in the pool after this
        drivers = [c.connection.dbapi_connection for c in held]
        for c in held:
            c.close()
        for _ in range(3):
            with db.engine.connect() as reads:  # a search's reads
                assert reads.connection.dbapi_connection is drivers[-1]
            append = db.engine.raw_connection()  # then its append (AuditLog on SQLite)
            assert append.dbapi_connection is drivers[-1]
            append.close()
    finally:
        db.close()
