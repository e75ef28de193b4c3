"""The metadata database: migrations, the append-only routing sheet."""

from __future__ import annotations

import pytest
from sqlalchemy import inspect, text
from sqlalchemy.exc import DatabaseError

from archive.context import Archive
from archive.models import Case, CaseEvent


def test_migrations_are_idempotent(archive: Archive) -> None:
    archive.db.migrate()
    archive.db.migrate()
    tables = set(inspect(archive.db.engine).get_table_names())
    assert {"cases", "packages", "documents", "pages", "case_events", "index_outbox"} <= tables
    with archive.db.session() as s:
        assert s.execute(text("PRAGMA journal_mode")).scalar() == "wal"


def test_routing_sheet_is_append_only(archive: Archive) -> None:
    with archive.db.session() as s:
        case = Case(number="2026/00001", centre="ЦНАП")
        s.add(case)
        s.flush()
        s.add(CaseEvent(case_id=case.id, kind="case.registered"))
    with pytest.raises(DatabaseError), archive.db.session() as s:
        s.execute(text("UPDATE case_events SET kind = 'forged'"))
    with pytest.raises(DatabaseError), archive.db.session() as s:
        s.execute(text("DELETE FROM case_events"))
    with archive.db.session() as s:
        kinds = [e.kind for e in s.query(CaseEvent).all()]
    assert kinds == ["case.registered"]
