"""The access log: hash chain, seals, append-only triggers, retention purge, tampering."""

from __future__ import annotations

import threading
from datetime import UTC, date, datetime
from typing import Any

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DatabaseError

from archive.audit import AccessEvent, Action, AuditLog, ChainBroken, Exposure, Outcome
from archive.models import Tier
from backends import Archive


def fill(log: AuditLog, n: int) -> None:
    for i in range(n):
        log.append(
            AccessEvent(
                actor=f"user{i % 3}",
                action=Action.document_text,
                document_id=f"doc{i}",
                identifiers=[Exposure("rnokpp", "27••••••99", f"ref{i}")],
                details={"i": i, "text": "пошук «заява»"},
            )
        )


def drop_guards(archive: Archive) -> None:
    """What a database administrator could do: remove the append-only triggers."""
    with archive.db.session() as s:
        for name in ("audit_log_no_update", "audit_log_no_delete"):
            s.execute(text(f"DROP TRIGGER {name}"))


@pytest.fixture
def log(archive: Archive) -> AuditLog:
    return AuditLog(archive.db)


def test_chain_verifies_and_seal_is_in_archival_tier(archive: Archive, log: AuditLog) -> None:
    fill(log, 10)
    seal = log.seal(archive.store)
    assert seal is not None and seal.seq == 10
    assert archive.store.exists(seal.object_sha256, Tier.archival)
    rep = log.verify(archive.store)
    assert rep.ok and rep.entries == 10 and rep.head_seq == 10 and rep.first_broken is None


def test_log_is_append_only_in_the_database(archive: Archive, log: AuditLog) -> None:
    fill(log, 3)
    log.seal(archive.store)
    for sql in (
        "UPDATE audit_log SET actor = 'someone else'",
        "DELETE FROM audit_log WHERE seq = 2",
        "UPDATE audit_seals SET head_hash = 'x'",
        "DELETE FROM audit_seals",
    ):
        with pytest.raises(DatabaseError), archive.db.session() as s:
            s.execute(text(sql))
    assert log.verify(archive.store).ok


def test_altered_row_is_named(archive: Archive, log: AuditLog) -> None:
    fill(log, 8)
    drop_guards(archive)
    with archive.db.session() as s:
        s.execute(text("UPDATE audit_log SET actor = 'nobody' WHERE seq = 5"))
    rep = log.verify(archive.store)
    assert not rep.ok and rep.first_broken == 5


def test_altered_row_with_recomputed_hash_breaks_the_next_link(
    archive: Archive, log: AuditLog
) -> None:
    fill(log, 8)
    drop_guards(archive)
    with archive.db.session() as s:
        from archive.audit import AuditEntry, entry_hash

        e = s.get(AuditEntry, 4)
        assert e is not None
        e.purpose = "переписано"
        e.hash = entry_hash(e)
    rep = log.verify(archive.store)
    assert not rep.ok and rep.first_broken == 5


def test_deleted_row_is_named(archive: Archive, log: AuditLog) -> None:
    fill(log, 8)
    drop_guards(archive)
    with archive.db.session() as s:
        s.execute(text("DELETE FROM audit_log WHERE seq = 3"))
    rep = log.verify(archive.store)
    assert not rep.ok and rep.first_broken == 3


def test_reordered_rows_are_named(archive: Archive, log: AuditLog) -> None:
    fill(log, 8)
    drop_guards(archive)
    with archive.db.session() as s:
        s.execute(text("UPDATE audit_log SET seq = -1 WHERE seq = 6"))
        s.execute(text("UPDATE audit_log SET seq = 6 WHERE seq = 7"))
        s.execute(text("UPDATE audit_log SET seq = 7 WHERE seq = -1"))
    rep = log.verify(archive.store)
    assert not rep.ok and rep.first_broken == 6


def test_deleted_tail_is_caught_by_the_seal(archive: Archive, log: AuditLog) -> None:
    fill(log, 8)
    log.seal(archive.store)
    drop_guards(archive)
    with archive.db.session() as s:
        s.execute(text("DELETE FROM audit_log WHERE seq >= 7"))
    rep = log.verify(archive.store)
    assert not rep.ok and rep.first_broken == 7


def test_rewritten_history_is_caught_by_the_seal(archive: Archive, log: AuditLog) -> None:
    """A DBA who rewrites a row and recomputes every later hash is caught by the seal."""
    from archive.audit import AuditEntry, entry_hash

    fill(log, 6)
    log.seal(archive.store)
    drop_guards(archive)
    with archive.db.session() as s:
        prev = None
        for e in s.query(AuditEntry).order_by(AuditEntry.seq):
            if e.seq == 2:
                e.actor = "someone else"
            if prev is not None:
                e.prev_hash = prev
            e.hash = entry_hash(e)
            prev = e.hash
    rep = log.verify(archive.store)
    assert not rep.ok and rep.first_broken == 6  # the sealed head no longer matches


def test_forged_seal_is_caught_against_the_archival_tier(archive: Archive, log: AuditLog) -> None:
    fill(log, 4)
    log.seal(archive.store)
    with archive.db.session() as s:
        s.execute(text("DROP TRIGGER audit_seals_no_update"))
        # Always a different first digit (a head starting with "f" stayed unchanged before).
        s.execute(
            text(
                "UPDATE audit_seals SET head_hash = CASE WHEN substr(head_hash, 1, 1) = 'f' "
                "THEN 'e' ELSE 'f' END || substr(head_hash, 2)"
            )
        )
    rep = log.verify(archive.store)
    assert not rep.ok


def test_purge_removes_only_expired_entries_and_keeps_the_chain(archive: Archive) -> None:
    old = AuditLog(archive.db, clock=lambda: datetime(2020, 3, 1, 12, 0, tzinfo=UTC))
    fill(old, 5)
    new = AuditLog(archive.db)
    fill(new, 3)
    # Default retention: until the end of the year after the entry's year.
    entries = new.entries()
    assert entries[0].retain_until == date(2021, 12, 31)
    assert entries[-1].retain_until == date(datetime.now(UTC).year + 1, 12, 31)
    removed = new.purge(archive.store)
    assert removed == 5
    rep = new.verify(archive.store)
    assert rep.ok and rep.entries == 3 and rep.head_seq == 8
    fill(new, 1)
    assert new.verify(archive.store).ok
    # Entries still within their retention cannot be deleted, even directly.
    with pytest.raises(DatabaseError), archive.db.session() as s:
        s.execute(text("DELETE FROM audit_log"))


def test_purge_refuses_a_broken_chain(archive: Archive) -> None:
    old = AuditLog(archive.db, clock=lambda: datetime(2020, 3, 1, tzinfo=UTC))
    fill(old, 4)
    drop_guards(archive)
    with archive.db.session() as s:
        s.execute(text("UPDATE audit_log SET actor = 'x' WHERE seq = 2"))
    with pytest.raises(ChainBroken):
        old.purge(archive.store)


def test_concurrent_appends_keep_a_gapless_chain(archive: Archive, log: AuditLog) -> None:
    def work() -> None:
        for _ in range(15):
            log.append(AccessEvent(actor="t", action=Action.search, outcome=Outcome.allowed))

    threads = [threading.Thread(target=work) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    other = AuditLog(archive.db)  # another process's view of the same log
    other.append(AccessEvent(actor="x", action=Action.login))
    rep = log.verify(archive.store)
    assert rep.ok and rep.entries == 61


def _append_from_a_process(url: str, n: int) -> None:
    from archive.database import Database

    db = Database(url)
    log = AuditLog(db)

    def work() -> None:
        for _ in range(n):
            log.append(AccessEvent(actor="p", action=Action.search))

    threads = [threading.Thread(target=work) for _ in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    db.close()


def test_appends_from_several_processes_keep_a_gapless_chain(
    archive: Archive, log: AuditLog
) -> None:
    """Server workers are processes: their appends on one SQLite file take turns."""
    import multiprocessing

    ctx = multiprocessing.get_context("spawn")
    procs = [ctx.Process(target=_append_from_a_process, args=(archive.db.url, 8)) for _ in range(3)]
    for p in procs:
        p.start()
    log.append(AccessEvent(actor="here", action=Action.login))
    for p in procs:
        p.join(120)
        assert p.exitcode == 0
    rep = log.verify(archive.store)
    assert rep.ok and rep.entries == 3 * 3 * 8 + 1


def test_queries_by_user_document_identifier(archive: Archive, log: AuditLog) -> None:
    fill(log, 9)
    assert [e.seq for e in log.entries(actor="user1")] == [2, 5, 8]
    assert [e.seq for e in log.entries(document_id="doc4")] == [5]
    assert [e.seq for e in log.entries(refs=["ref7"])] == [8]
    assert [e.seq for e in log.entries(documents=["doc1", "doc2"])] == [2, 3]
    # A LIKE wildcard in the query matches nothing by accident.
    assert log.entries(document_id="doc%") == []


def test_an_append_that_loses_the_race_for_its_number_tries_again(
    db_archive: Archive, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Another writer took the next sequence number between the head read and the insert.

    The database refuses the duplicate number (on SQLite the driver's own error,
    the append going past SQLAlchemy), and the append reads the head again.
    """
    log = AuditLog(db_archive.db)
    fill(log, 3)
    real_head = AuditLog._head
    heads: list[tuple[int, str]] = []

    def stale_once(self: AuditLog, first: Any) -> tuple[int, str]:
        seq, prev = real_head(self, first)
        heads.append((seq, prev))
        return (seq - 1, prev) if len(heads) == 1 else (seq, prev)

    monkeypatch.setattr(AuditLog, "_head", stale_once)
    assert log.append(AccessEvent(actor="late", action=Action.search)) == 4
    monkeypatch.undo()
    assert [seq for seq, _ in heads] == [3, 3]
    rep = log.verify(db_archive.store)
    assert rep.ok and rep.entries == 4
