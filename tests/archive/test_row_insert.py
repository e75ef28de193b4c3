"""``archive.database.RowInsert`` writes the access log's rows through the driver's
cursor: the stored row must be the one SQLAlchemy's own INSERT writes (the chain's
verification reads it back and hashes it)."""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, insert, text

from archive.audit import AuditEntry
from archive.database import RowInsert
from archive.models import Base


def _rows() -> list[dict[str, Any]]:
    base: dict[str, Any] = {
        "at": datetime(2026, 12, 2, 9, 30, 1, 123456, tzinfo=UTC),
        "actor": "посадовець",
        "role": "official",
        "address": "10.0.0.1",
        "action": "search",
        "outcome": "allowed",
        "document_id": None,
        "case": "2026/00001",
        "documents": " a b ",
        "refs": "",
        "identifiers": [{"kind": "rnokpp", "masked": "12******90", "ref": "r1"}],
        "purpose": None,
        "break_glass": False,
        "details": {"query": 'заява "про"', "filters": {"type": ["a", "b"]}, "total": 3},
        "retain_until": date(2031, 12, 31),
        "prev_hash": "0" * 64,
        "hash": "f" * 64,
    }
    second = {**base, "break_glass": True, "details": {}, "identifiers": [], "role": None}
    return [{**base, "seq": 1}, {**second, "seq": 2}]


def _stored(url: str, fast: bool) -> list[tuple[Any, ...]]:
    engine = create_engine(url)
    Base.metadata.create_all(engine, tables=[AuditEntry.__table__])  # type: ignore[list-item]
    with engine.begin() as conn:
        if fast:
            RowInsert(AuditEntry.__table__).run(conn, _rows())
        else:
            conn.execute(insert(AuditEntry), _rows())
    with engine.connect() as conn:
        raw = [tuple(r) for r in conn.execute(text("SELECT * FROM audit_log ORDER BY seq"))]
    engine.dispose()
    return raw


def test_the_same_row_as_sqlalchemy_writes(tmp_path: Path) -> None:
    core = _stored(f"sqlite:///{tmp_path / 'core.db'}", fast=False)
    fast = _stored(f"sqlite:///{tmp_path / 'fast.db'}", fast=True)
    assert fast == core
    assert len(fast) == 2 and fast[0][2] == "посадовець"


def test_nothing_to_insert_is_nothing_done(tmp_path: Path) -> None:
    engine = create_engine(f"sqlite:///{tmp_path / 'e.db'}")
    Base.metadata.create_all(engine, tables=[AuditEntry.__table__])  # type: ignore[list-item]
    with engine.begin() as conn:
        RowInsert(AuditEntry.__table__).run(conn, [])
        assert conn.execute(text("SELECT count(*) FROM audit_log")).scalar() == 0
