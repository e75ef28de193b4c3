"""A database administrator tries to rewrite the access log; ``verify`` must notice.

Each attack is run on the filesystem store and on MinIO (where the seal
records are locked in compliance mode). The attacker has the database — they
can drop the append-only triggers, delete, update and ``INSERT OR REPLACE``
rows, empty the seal table — but not the chain key, which is kept outside the
database. What the filesystem store cannot prove (root deleting seal files)
is caught only by the witness the DPO keeps (docs/security.md).
"""

from __future__ import annotations

import json
import os
import stat
from collections.abc import Iterator
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from sqlalchemy import text

from archive.audit import (
    AccessEvent,
    Action,
    AuditEntry,
    AuditLog,
    _fields,
    canonical,
    entry_hash,
    open_audit_log,
)
from archive.settings import Settings
from archive.store.base import RecordExists
from backends import Archive


@pytest.fixture(params=["filesystem", pytest.param("s3", marks=pytest.mark.services)])
def archive(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Archive]:
    kw: dict[str, str] = {}
    if request.param == "s3":
        from tests.services import isolated_s3_url

        kw["storage_url"] = isolated_s3_url()
    a = Archive(Settings(data_dir=tmp_path / "data", **kw))  # type: ignore[arg-type]
    a.init()
    yield a
    a.close()


@pytest.fixture
def log(archive: Archive) -> AuditLog:
    return open_audit_log(archive.db, archive.settings)


def fill(log: AuditLog, n: int) -> None:
    for i in range(n):
        log.append(
            AccessEvent(actor=f"user{i}", role="official", action=Action.search, details={"i": i})
        )


def drop_guards(archive: Archive) -> None:
    with archive.db.session() as s:
        names = s.execute(
            text("SELECT name FROM sqlite_master WHERE type='trigger'")
            if archive.db.url.startswith("sqlite")
            else text("SELECT tgname FROM pg_trigger WHERE NOT tgisinternal")
        ).scalars()
        for name in list(names):
            s.execute(text(f"DROP TRIGGER IF EXISTS {name}"))


def test_an_intact_log_verifies_and_reports_its_head(archive: Archive, log: AuditLog) -> None:
    fill(log, 5)
    log.seal(archive.store)
    rep = log.verify(archive.store)
    assert rep.ok, rep.problem
    assert rep.head_seq == 5 and rep.head_hash and rep.sealed_records == 1


def test_the_chain_key_is_not_in_the_database(archive: Archive, log: AuditLog) -> None:
    fill(log, 2)
    assert log.key
    dump = "\n".join(archive.db.engine.raw_connection().iterdump())  # type: ignore[attr-defined]
    assert log.key.decode() not in dump
    key_file = archive.settings.data_dir / "secrets" / "audit-chain.key"
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600


def test_deleting_the_tail_with_its_seal_rows_is_caught(archive: Archive, log: AuditLog) -> None:
    fill(log, 8)
    log.seal(archive.store)
    drop_guards(archive)
    with archive.db.session() as s:
        s.execute(text("DELETE FROM audit_log WHERE seq > 5"))
        s.execute(text("DELETE FROM audit_seals"))
    rep = log.verify(archive.store)
    assert not rep.ok and rep.first_broken == 6, rep.problem


def test_rewriting_the_whole_chain_consistently_is_caught(archive: Archive, log: AuditLog) -> None:
    """Every row recomputed consistently (no key: plain SHA-256) and the seal rows emptied."""
    fill(log, 6)
    log.seal(archive.store)
    drop_guards(archive)
    with archive.db.session() as s:
        rows = s.query(AuditEntry).order_by(AuditEntry.seq).all()
        prev = "0" * 64
        forged = []
        for e in rows:
            e.actor = "someone else" if e.seq == 3 else e.actor
            e.prev_hash = prev
            e.hash = entry_hash(e)  # the attacker has no key
            prev = e.hash
            forged.append({**_fields(e), "hash": e.hash})
        s.expunge_all()
        for f in forged:
            s.execute(
                text(
                    "UPDATE audit_log SET hash=:hash, prev_hash=:prev, actor=:actor WHERE seq=:seq"
                ),
                {"seq": f["seq"], "hash": f["hash"], "prev": f["prev_hash"], "actor": f["actor"]},
            )
        s.execute(text("DELETE FROM audit_seals"))
    # The forged chain is consistent under plain SHA-256, so only the key reveals it.
    rep = log.verify(archive.store)
    assert not rep.ok and rep.first_broken == 1, rep.problem


def test_insert_or_replace_round_the_triggers_is_caught(archive: Archive, log: AuditLog) -> None:
    if not archive.db.url.startswith("sqlite"):
        pytest.skip("INSERT OR REPLACE is SQLite's")
    fill(log, 4)
    log.seal(archive.store)
    with archive.db.session() as s:
        row = dict(s.execute(text("SELECT * FROM audit_log WHERE seq = 2")).mappings().one())
        row["actor"] = "nobody"
        cols = ", ".join(f'"{c}"' for c in row)
        s.execute(
            text(
                f"INSERT OR REPLACE INTO audit_log ({cols}) VALUES "
                f"({', '.join(':' + c for c in row)})"
            ),
            {k: (json.dumps(v) if isinstance(v, (dict, list)) else v) for k, v in row.items()},
        )
    rep = log.verify(archive.store)
    assert not rep.ok and rep.first_broken == 2, rep.problem


def test_a_replaced_seal_record_is_caught(archive: Archive, log: AuditLog) -> None:
    fill(log, 4)
    log.seal(archive.store)
    forged = canonical(
        {
            "seq": 4,
            "head_hash": "f" * 64,
            "at": "2026-01-01T00:00:00.000000Z",
            "kind": "seal",
            "mac": "0" * 64,
        }
    )
    name, _ = next(iter(archive.store.list_records(log.seal_prefix)))
    if archive.settings.resolved_storage_url.startswith("s3"):
        # The locked record refuses a second write, and a plain overwrite only
        # stacks a new version beside the locked one — which verify sees.
        with pytest.raises(RecordExists):
            archive.store.put_record(name, forged, retain_until=date(2030, 1, 1))
        store = archive.store
        from archive.models import Tier

        with pytest.raises(Exception):  # noqa: B017 - MinIO refuses: locked version
            versions = list(
                store.client.list_objects(  # type: ignore[attr-defined]
                    store._bucket(Tier.archival),  # type: ignore[attr-defined]
                    prefix=f"records/{name}",
                    include_version=True,
                )
            )
            store.client.remove_object(  # type: ignore[attr-defined]
                store._bucket(Tier.archival),  # type: ignore[attr-defined]
                f"records/{name}",
                version_id=versions[0].version_id,
            )
        import io

        store.client.put_object(  # type: ignore[attr-defined]
            store._bucket(Tier.archival),  # type: ignore[attr-defined]
            f"records/{name}",
            io.BytesIO(forged),
            len(forged),
        )
        rep = log.verify(archive.store)
        assert not rep.ok and "замінено" in (rep.problem or ""), rep.problem
    else:
        path = archive.settings.data_dir / "store" / "archival" / "records" / name
        assert not os.access(path, os.W_OK) or os.geteuid() == 0
        with pytest.raises(RecordExists):
            archive.store.put_record(name, forged, retain_until=date(2030, 1, 1))
        # Root can still replace the file; without the key the MAC gives it away.
        path.chmod(0o644)
        path.write_bytes(forged)
        rep = log.verify(archive.store)
        assert not rep.ok and "підроблено" in (rep.problem or ""), rep.problem


def test_the_witness_catches_what_the_filesystem_cannot_prove(
    archive: Archive, log: AuditLog
) -> None:
    """Root deletes the tail, the seal rows and the seal files: only the DPO's witness knows."""
    fill(log, 6)
    log.seal(archive.store)
    head = log.verify(archive.store)
    witness = (head.head_seq, str(head.head_hash))
    drop_guards(archive)
    with archive.db.session() as s:
        s.execute(text("DELETE FROM audit_log WHERE seq > 3"))
        s.execute(text("DELETE FROM audit_seals"))
    if archive.settings.resolved_storage_url.startswith("s3"):
        rep = log.verify(archive.store)  # the locked record still vouches for seq 6
        assert not rep.ok and rep.first_broken == 4
        return
    records = archive.settings.data_dir / "store" / "archival" / "records"
    for p in records.rglob("*.json"):
        p.chmod(0o644)
        p.unlink()
    assert log.verify(archive.store).ok  # nothing left in the archive to contradict it
    rep = log.verify(archive.store, witness=witness)
    assert not rep.ok and rep.first_broken == 4, rep.problem


def test_seals_of_archives_sharing_a_bucket_do_not_mix(archive: Archive, log: AuditLog) -> None:
    fill(log, 2)
    log.seal(archive.store)
    other = AuditLog(archive.db, key=b"another archive's key")
    assert other.seal_prefix != log.seal_prefix
    assert log.verify(archive.store).ok


def test_written_at_is_hashed(archive: Archive, log: AuditLog) -> None:
    fill(log, 1)
    drop_guards(archive)
    with archive.db.session() as s:
        s.execute(text("UPDATE audit_log SET at = :at"), {"at": datetime(2020, 1, 1, tzinfo=UTC)})
    assert log.verify(archive.store).first_broken == 1
