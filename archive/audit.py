"""The tamper-evident access log.

Every access to personal data (a view of text, a page image, a PDF, a
download, a search and what it returned, an export, a login, a failed login,
a policy denial) is an :class:`AccessEvent`. Events are declared in one place,
:class:`Action`; whoever performs an access publishes the event, and the
audit log is the subscriber that appends it.

Entries are hash-chained: each carries ``prev_hash`` and
``hash = HMAC-SHA256(key, prev_hash + canonical JSON of the entry)``, with
gapless sequence numbers, so altering, deleting or reordering a row breaks
the chain. The key is a secret kept outside the database
(``CNAP_AUDIT__CHAIN_KEY`` or the key file, :func:`load_chain_key`), so
someone who can only write the database cannot compute a consistent chain.
The head is sealed periodically (``{seq, head_hash, at, kind, mac}``) as a
named write-once record in the archival tier (on S3 under Object Lock in
compliance mode), and :meth:`AuditLog.verify` checks the chain against every
seal record in the store — not only against the seal table, which a database
administrator can empty — so cutting the tail is caught too. The database
refuses updates and deletes (triggers, migration 0002) except deletion of
entries whose retention has expired. What each store can prove: docs/security.md.
"""

from __future__ import annotations

import contextlib
import enum
import hashlib
import hmac
import json
import logging
import os
import secrets
import sqlite3
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Date,
    Integer,
    String,
    Text,
    delete,
    func,
    or_,
    select,
)
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.orm import Mapped, Session, mapped_column

from archive.database import RowInsert, fetch_first, first_row
from archive.models import Base, Tier, UTCDateTime, utcnow
from archive.store.base import RecordExists

if TYPE_CHECKING:
    from archive.database import Database
    from archive.settings import Settings
    from archive.store.base import ObjectStore

log = logging.getLogger(__name__)

GENESIS = "0" * 64


class Action(enum.StrEnum):
    """Every auditable access, declared in one place."""

    document_text = "document.text"
    document_metadata = "document.metadata"
    page_image = "document.page_image"
    document_pdf = "document.pdf"
    document_redacted = "document.redacted"
    download = "document.download"
    document_findings = "document.findings"
    upload = "document.upload"
    search = "search"
    identifier_lookup = "search.identifier"
    export = "export"
    login = "auth.login"
    login_failed = "auth.login_failed"
    logout = "auth.logout"
    user_add = "user.add"
    user_disable = "user.disable"
    user_list = "user.list"
    user_approve = "user.approve"
    user_bind_oidc = "user.bind_oidc"
    audit_read = "audit.read"
    audit_subject = "audit.subject"
    audit_verify = "audit.verify"
    audit_seal = "audit.seal"
    audit_purge = "audit.purge"
    audit_review = "audit.review"
    # The archive itself.
    archive_init = "archive.init"
    index_rebuild = "index.rebuild"
    # The backends' health screen (only a refusal is logged: it reads no personal data).
    health_read = "system.health"
    store_gc = "store.gc"
    # The desk: cases, the journal, printed forms.
    case_register = "case.register"
    case_read = "case.read"
    case_find = "case.find"
    # The desk's list of the day (today's cases, waiting for a result, to hand over).
    case_list = "case.list"
    case_send = "case.send"
    case_notify = "case.notify"
    case_issue = "case.issue"
    case_cover_sheet = "case.cover_sheet"
    case_inventory = "case.inventory"
    case_routing_sheet = "case.routing_sheet"
    case_annul = "case.annul"
    # A centre's earlier electronic archive carried over (``cnap-archive import``).
    case_import = "case.import"
    document_move = "document.move"
    batch_reassign = "batch.reassign"
    journal_reserve = "journal.reserve"
    # Scanned batches, hot folders, scanners and station uploads.
    batch_upload = "batch.upload"
    batch_held = "batch.held"
    batch_attach = "batch.attach"
    hotfolder_file = "hotfolder.file"
    scan_batch = "scan.batch"
    station_upload = "station.upload"
    station_upload_status = "station.upload_status"
    station_upload_append = "station.upload_append"
    station_upload_complete = "station.upload_complete"
    # Metadata extraction (ingest/metadata): fields shown, type corrected, retrained.
    document_fields = "document.fields"
    document_type_correct = "document.type_correct"
    metadata_retrain = "metadata.retrain"
    # Retention: rules, plans and their approval, holds, execution, fixity.
    retention_rules_load = "retention.rules_load"
    retention_rules_show = "retention.rules_show"
    retention_plan = "retention.plan"
    retention_draft = "retention.draft"
    retention_plans = "retention.plans"
    retention_plan_read = "retention.plan_read"
    retention_approve = "retention.approve"
    retention_agree = "retention.agree"
    retention_apply = "retention.apply"
    retention_transfer = "retention.transfer"
    retention_destroy = "retention.destroy"
    retention_export = "retention.export"
    retention_review = "retention.review"
    retention_act = "retention.act"
    retention_package = "retention.package"
    retention_outputs = "retention.outputs"
    retention_hold = "retention.hold"
    retention_release = "retention.release"
    retention_holds = "retention.holds"
    retention_todo = "retention.todo"
    retention_round = "retention.round"
    fixity_check = "fixity.check"
    fixity_results = "fixity.results"
    # Documents shared from Diia and received by e-mail.
    sharing_request = "sharing.request"
    sharing_read = "sharing.read"
    sharing_delivery = "sharing.delivery"
    mail_intake = "mail.intake"
    intake_held = "intake.held"
    intake_attach = "intake.attach"
    intake_reject = "intake.reject"


class Outcome(enum.StrEnum):
    allowed = "allowed"
    denied = "denied"
    failed = "failed"


@dataclass(slots=True)
class Exposure:
    """An identifier an access showed unmasked: kind, masked form, keyed hash."""

    kind: str
    masked: str
    ref: str

    def as_json(self) -> dict[str, str]:
        return {"kind": self.kind, "masked": self.masked, "ref": self.ref}


@dataclass(slots=True)
class AccessEvent:
    """One access: who, from where, what, which identifiers it exposed, why, outcome."""

    actor: str
    action: Action
    outcome: Outcome = Outcome.allowed
    role: str | None = None
    address: str | None = None
    document_id: str | None = None
    case: str | None = None
    # Documents touched (a search lists what it returned).
    documents: Sequence[str] = ()
    identifiers: Sequence[Exposure] = ()
    purpose: str | None = None
    break_glass: bool = False
    details: dict[str, Any] = field(default_factory=dict)


class AuditEntry(Base):
    """One hash-chained entry of the access log (append-only)."""

    __tablename__ = "audit_log"

    seq: Mapped[int] = mapped_column(
        BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=False
    )
    at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    actor: Mapped[str] = mapped_column(String(200), index=True)
    role: Mapped[str | None] = mapped_column(String(32))
    address: Mapped[str | None] = mapped_column(String(200))
    action: Mapped[str] = mapped_column(String(64), index=True)
    outcome: Mapped[str] = mapped_column(String(16), index=True)
    document_id: Mapped[str | None] = mapped_column(String(32), index=True)
    case: Mapped[str | None] = mapped_column(String(64))
    # " id1 id2 " and " ref1 ref2 ": space-delimited so a portable LIKE finds a token.
    documents: Mapped[str] = mapped_column(Text, default="")
    refs: Mapped[str] = mapped_column(Text, default="")
    identifiers: Mapped[list[Any]] = mapped_column(JSON, default=list)
    purpose: Mapped[str | None] = mapped_column(Text)
    break_glass: Mapped[bool] = mapped_column(Boolean, default=False, index=True)
    details: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    retain_until: Mapped[date] = mapped_column(Date, index=True)
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64))

    def as_json(self) -> dict[str, Any]:
        """The entry as the DPO's reports show it (with its hash)."""
        return {**_fields(self), "hash": self.hash}


class AuditSeal(Base):
    """A sealed chain head (or the boundary of a retention purge), mirrored in the archive tier."""

    __tablename__ = "audit_seals"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    seq: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), index=True)
    head_hash: Mapped[str] = mapped_column(String(64))
    at: Mapped[datetime] = mapped_column(UTCDateTime)
    kind: Mapped[str] = mapped_column(String(16), default="seal")  # "seal" | "purge"
    object_sha256: Mapped[str] = mapped_column(String(64))


# --- the chain ---------------------------------------------------------------


def _ts(value: datetime) -> str:
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def _fields(e: AuditEntry) -> dict[str, Any]:
    return {
        "seq": e.seq,
        "at": _ts(e.at),
        "actor": e.actor,
        "role": e.role,
        "address": e.address,
        "action": e.action,
        "outcome": e.outcome,
        "document_id": e.document_id,
        "case": e.case,
        "documents": e.documents,
        "refs": e.refs,
        "identifiers": e.identifiers,
        "purpose": e.purpose,
        "break_glass": bool(e.break_glass),
        "details": e.details,
        "retain_until": e.retain_until.isoformat(),
        "prev_hash": e.prev_hash,
    }


def canonical(data: Any) -> bytes:
    """Canonical JSON: sorted keys, no spaces, UTF-8 (what the hashes are taken over)."""
    return json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def entry_hash(e: AuditEntry, key: bytes | None = None) -> str:
    """HMAC-SHA256 under ``key`` of prev_hash + canonical JSON of the entry (no own hash).

    Without a key (tests of the bare mechanism only) it is a plain SHA-256.
    """
    return _chain_hash(e.prev_hash, _fields(e), key)


def _chain_hash(prev_hash: str, fields: dict[str, Any], key: bytes | None) -> str:
    data = prev_hash.encode() + canonical(fields)
    if key:
        return hmac.new(key, data, hashlib.sha256).hexdigest()
    return hashlib.sha256(data).hexdigest()


def seal_mac(body: dict[str, Any], key: bytes | None) -> str | None:
    """The seal's own MAC, so a seal record cannot be forged without the key."""
    if not key:
        return None
    fields = {k: body[k] for k in ("seq", "head_hash", "at", "kind")}
    return hmac.new(key, canonical(fields), hashlib.sha256).hexdigest()


def open_audit_log(db: Database, settings: Settings) -> AuditLog:
    """The access log of an archive, keyed with its chain key."""
    cfg = settings.audit
    path = cfg.chain_key_file or settings.data_dir / "secrets" / "audit-chain.key"
    return AuditLog(
        db, retention_years=cfg.retention_years, key=load_chain_key(cfg.chain_key, path)
    )


SEAL_PREFIX = "audit-seals"
KEY_BYTES = 32


def load_chain_key(value: str | None, path: Path) -> bytes:
    """The chain key: ``value`` (from the environment) or the key file, made on first use.

    The file is created with mode 0600 in a 0700 directory; keep it (or the
    environment variable) where the database administrator cannot read it.
    """
    if value:
        return value.encode()
    try:
        return path.read_bytes().strip()
    except FileNotFoundError:
        pass
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    secret = secrets.token_hex(KEY_BYTES).encode()
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:  # made concurrently by another process
        return path.read_bytes().strip()
    with os.fdopen(fd, "wb") as f:
        f.write(secret)
        f.flush()
        os.fsync(f.fileno())
    return secret


def retain_until(at: datetime, years: int) -> date:
    """31 December of the entry's year plus ``years`` (default: one year after that year)."""
    return date(at.astimezone(UTC).year + years, 12, 31)


def _tokens(values: Iterable[str]) -> str:
    items = [v for v in dict.fromkeys(values) if v]
    return f" {' '.join(items)} " if items else ""


@dataclass(slots=True)
class VerifyReport:
    ok: bool
    entries: int
    seals: int
    first_broken: int | None = None
    problem: str | None = None
    head_seq: int = 0
    # The head, to be kept outside the archive as a witness (the DPO's report).
    head_hash: str | None = None
    # Seal records found in the archival tier (beside the seal table).
    sealed_records: int = 0

    def as_json(self) -> dict[str, Any]:
        return {
            "ok": self.ok,
            "entries": self.entries,
            "seals": self.seals,
            "first_broken": self.first_broken,
            "problem": self.problem,
            "head_seq": self.head_seq,
            "head_hash": self.head_hash,
            "sealed_records": self.sealed_records,
        }


class ChainBroken(Exception):
    """The chain does not verify; nothing that relies on it may proceed."""


class _Pending:
    """An entry waiting for the group commit: its fields are ready, its place in the chain not."""

    __slots__ = ("done", "error", "log", "row", "seq")

    def __init__(self, log: AuditLog, row: dict[str, Any]) -> None:
        self.log = log
        self.row = row
        self.seq: int | None = None
        self.error: BaseException | None = None
        self.done = False


class _Group:
    """The appenders of one database in this process (group commit).

    Whoever holds ``lock`` writes everything queued so far in one transaction
    (one head read, one fsync); the others queue behind it and find their
    entry written when they get the lock.
    """

    def __init__(self, url: str) -> None:
        self.lock = threading.Lock()
        self.guard = threading.Lock()
        self.queue: list[_Pending] = []
        self.writers = _WriterLock.for_url(url)


class _WriterLock:
    """Serialises the appends of several processes on one SQLite file (server workers).

    Without it a second process finds the database locked during the first's
    commit and SQLite's busy handler sleeps in steps of up to 100 ms; a blocking
    ``flock`` wakes the waiter as soon as the holder is done. Other databases
    (PostgreSQL) need nothing: the chain's unique sequence numbers decide there.
    """

    def __init__(self, path: Path | None) -> None:
        self.path = path
        self._fd: int | None = None

    @classmethod
    def for_url(cls, url: str) -> _WriterLock:
        from sqlalchemy.engine import make_url

        parsed = make_url(url)
        if parsed.get_backend_name() != "sqlite" or not parsed.database:
            return cls(None)
        if parsed.database == ":memory:":
            return cls(None)
        return cls(Path(f"{parsed.database}.audit-lock"))

    @contextlib.contextmanager
    def held(self) -> Iterator[None]:
        if self.path is None:
            yield
            return
        import fcntl

        if self._fd is None:
            self._fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600)
        fcntl.flock(self._fd, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(self._fd, fcntl.LOCK_UN)


_groups: dict[str, _Group] = {}
_groups_guard = threading.Lock()
# Entries written in one transaction at most (bounds a transaction under a burst).
GROUP_MAX = 512
# The entries' rows, written through the driver's cursor (archive.database.RowInsert).
_INSERT = RowInsert(AuditEntry.__table__)
# The chain's head, as AuditLog._head reads it inside an append's transaction.
_HEAD_SQL = f"SELECT seq, hash FROM {AuditEntry.__tablename__} ORDER BY seq DESC LIMIT 1"
# ... or, once every entry has been purged, the boundary the last purge sealed.
_PURGE_SQL = (
    f"SELECT seq, head_hash FROM {AuditSeal.__tablename__} "
    "WHERE kind = 'purge' ORDER BY seq DESC LIMIT 1"
)
# Losing the race for the next sequence number or the write lock: through SQLAlchemy
# (PostgreSQL) or from the driver itself (SQLite's appends, _commit_sqlite).
_LOST_RACE = (IntegrityError, OperationalError, sqlite3.IntegrityError, sqlite3.OperationalError)


def _group_for(url: str) -> _Group:
    with _groups_guard:
        group = _groups.get(url)
        if group is None:
            group = _groups[url] = _Group(url)
        return group


class AuditLog:
    """Appends, seals, verifies, queries and purges the access log of one database."""

    def __init__(
        self,
        db: Database,
        *,
        retention_years: int = 1,
        clock: Callable[[], datetime] = utcnow,
        key: bytes | None = None,
    ) -> None:
        self.db = db
        self.retention_years = retention_years
        self.clock = clock
        # The chain key (see load_chain_key); None only in tests of the mechanism.
        self.key = key
        # Seal records live under a name derived from the key, so archives that
        # share a bucket never read each other's seals.
        ns = hmac.new(key, b"seal-records", hashlib.sha256).hexdigest()[:16] if key else "plain"
        self.seal_prefix = f"{SEAL_PREFIX}/{ns}"

    # -- writing ------------------------------------------------------------

    def append(self, event: AccessEvent) -> int:
        """Append one event; returns its sequence number. Raises if it cannot be recorded.

        Returns only once the entry is committed. Concurrent appends of this
        process are committed together (group commit): the chain is the same
        as one by one — gapless, each entry keyed over its predecessor, in
        commit order — at one transaction per group instead of per entry.
        """
        item = _Pending(self, self._row(event))
        group = _group_for(self.db.url)
        with group.guard:
            group.queue.append(item)
        while not item.done:
            with group.lock:
                if item.done:  # written by the holder before us
                    break
                with group.guard:
                    batch, group.queue = group.queue[:GROUP_MAX], group.queue[GROUP_MAX:]
                self._write_group(batch)
        if item.error is not None:
            raise RuntimeError("the access log could not be written") from item.error
        assert item.seq is not None
        return item.seq

    def append_many(self, events: Sequence[AccessEvent]) -> list[int]:
        """Append several events in order in one transaction (a bulk step, e.g. retention).

        The chain is the same as appending them one by one; the others of this
        process wait for the group lock as they do behind a group commit.
        """
        items = [_Pending(self, self._row(e)) for e in events]
        group = _group_for(self.db.url)
        for start in range(0, len(items), GROUP_MAX):
            chunk = items[start : start + GROUP_MAX]
            with group.lock:
                self._write_group(chunk)
            for item in chunk:
                if item.error is not None:
                    raise RuntimeError("the access log could not be written") from item.error
        return [int(item.seq) for item in items if item.seq is not None]

    def _row(self, ev: AccessEvent) -> dict[str, Any]:
        """The entry's own fields, prepared outside the commit (and its errors raised here)."""
        return {
            "actor": ev.actor,
            "role": ev.role,
            "address": ev.address,
            "action": str(ev.action),
            "outcome": str(ev.outcome),
            "document_id": ev.document_id,
            "case": ev.case,
            "documents": _tokens([*([ev.document_id] if ev.document_id else []), *ev.documents]),
            "refs": _tokens(x.ref for x in ev.identifiers),
            "identifiers": [x.as_json() for x in _unique(ev.identifiers)],
            "purpose": ev.purpose,
            "break_glass": ev.break_glass,
            "details": json.loads(canonical(ev.details)),
        }

    def _write_group(self, batch: list[_Pending]) -> None:
        """Commit ``batch`` in order after the current head, retrying on a lost race."""
        if not batch:
            return
        delay = 0.005
        error: BaseException | None = None
        commit = self._commit_sqlite if self.db.is_sqlite else self._commit_core
        for _attempt in range(200):
            try:
                with _group_for(self.db.url).writers.held():
                    seqs = commit(batch)
                for item, seq in zip(batch, seqs, strict=True):
                    item.seq, item.done = seq, True
                return
            except _LOST_RACE:
                # Another process appended the same sequence number first, or
                # held the write lock: read the new head and try again.
                time.sleep(delay)
                delay = min(delay * 2, 0.2)
            except Exception as exc:
                error = exc
                break
        for item in batch:
            item.error = error or RuntimeError("the access log stayed busy")
            item.done = True

    def _commit_core(self, batch: Sequence[_Pending]) -> list[int]:
        """One transaction through SQLAlchemy Core (PostgreSQL): head, chained rows, commit."""
        with self.db.engine.begin() as conn:
            rows = self._chain(batch, self._head(lambda sql: first_row(conn, sql)))
            _INSERT.run(conn, rows)
        return [r["seq"] for r in rows]

    def _commit_sqlite(self, batch: Sequence[_Pending]) -> list[int]:
        """The same transaction on the driver's connection, taken from the pool as it is.

        Every search appends one entry: without SQLAlchemy's Connection and
        Transaction around the driver's, an append costs ~0.04 ms less in the
        server (docs/performance.md, item 39). pysqlite opens the transaction
        before the INSERT, as it does under SQLAlchemy; the head read before it
        is safe under the writers' lock, and a lost race still ends in the
        unique sequence number, retried above.
        """
        raw = self.db.engine.raw_connection()
        try:
            cursor = raw.cursor()
            try:
                rows = self._chain(batch, self._head(lambda sql: fetch_first(cursor, sql)))
                _INSERT.run_driver(cursor, self.db.engine.dialect, rows)
            finally:
                cursor.close()
            raw.commit()
        except BaseException:
            raw.rollback()
            raise
        finally:
            raw.close()  # back to the pool
        return [r["seq"] for r in rows]

    def _head(self, first: Callable[[str], tuple[Any, ...] | None]) -> tuple[int, str]:
        """The chain's head in the append's transaction (read on every append)."""
        row = first(_HEAD_SQL)
        if row is None:
            row = first(_PURGE_SQL)  # the log purged to nothing: the purge's boundary
        if row is not None:
            return int(row[0]), str(row[1])
        return 0, GENESIS

    def _chain(self, items: Sequence[_Pending], head: tuple[int, str]) -> list[dict[str, Any]]:
        """The rows of ``items`` chained after ``head``; each keyed by its own log."""
        seq, prev = head
        rows: list[dict[str, Any]] = []
        for item in items:
            log_ = item.log
            # The timestamp is hashed as stored (microseconds, UTC).
            at = log_.clock().astimezone(UTC)
            seq += 1
            keep = retain_until(at, log_.retention_years)
            row = {**item.row, "seq": seq, "at": at, "retain_until": keep, "prev_hash": prev}
            fields = {
                **row,
                "at": _ts(at),
                "retain_until": keep.isoformat(),
                "break_glass": bool(row["break_glass"]),
            }
            row["hash"] = prev = _chain_hash(prev, fields, log_.key)
            rows.append(row)
        return rows

    # -- sealing ------------------------------------------------------------

    def seal(self, store: ObjectStore, kind: str = "seal") -> AuditSeal | None:
        """Write the chain head to the archival tier and the seals table (None: empty log)."""
        with self.db.session() as s:
            row = s.execute(
                select(AuditEntry.seq, AuditEntry.hash).order_by(AuditEntry.seq.desc()).limit(1)
            ).first()
            if row is None:
                return None
            last = s.scalar(select(AuditSeal).order_by(AuditSeal.id.desc()).limit(1))
            if last is not None and last.seq == row[0] and kind == "seal":
                return last
            return self._write_seal(s, store, int(row[0]), str(row[1]), kind)

    def _write_seal(
        self, s: Session, store: ObjectStore, seq: int, head: str, kind: str
    ) -> AuditSeal:
        now = self.clock().astimezone(UTC)
        fields: dict[str, Any] = {"seq": seq, "head_hash": head, "at": _ts(now), "kind": kind}
        body = canonical(fields)
        stored = store.put_bytes(body, Tier.archival)
        # The named, locked record is what verify trusts: it survives the seal table.
        record = canonical({**fields, "mac": seal_mac(fields, self.key)})
        stamp = now.strftime("%Y%m%dT%H%M%S%fZ")
        name = f"{self.seal_prefix}/{seq:012d}-{kind}-{stamp}.json"
        keep = retain_until(now, self.retention_years + 1)
        with contextlib.suppress(RecordExists):  # the same seal written twice
            store.put_record(name, record, retain_until=keep)
        seal = AuditSeal(seq=seq, head_hash=head, at=now, kind=kind, object_sha256=stored.sha256)
        s.add(seal)
        s.flush()
        return seal

    # -- verifying ----------------------------------------------------------

    def verify(
        self, store: ObjectStore | None = None, *, witness: tuple[int, str] | None = None
    ) -> VerifyReport:
        """Walk the chain against every seal; name the first missing or altered entry.

        Seals come from the seal table and — trusted over it — from the seal
        records in the archival tier of ``store``. ``witness`` is a head
        ``(seq, hash)`` kept outside the archive (the DPO's report): the log
        must still hold that entry with that hash.
        """
        with self.db.session() as s:
            seals = list(s.scalars(select(AuditSeal).order_by(AuditSeal.id)))
            rep = VerifyReport(ok=True, entries=0, seals=len(seals))
            records, record_problem = self._seal_records(store)
            rep.sealed_records = len(records)
            if record_problem is not None:
                return _broken(rep, None, record_problem)
            seal_problem = self._check_seal_objects(seals, store)
            claims = _claims(seals, records, trusted_only=store is not None)
            sealed = {seq for seq, _ in claims}
            hashes: dict[int, str] = {}
            purges = {seq: head for (seq, head), kind in claims.items() if kind == "purge"}
            first: int | None = None
            expected_seq = 0
            prev = GENESIS
            for e in self._iter_entries(s):
                if first is None:
                    first = e.seq
                    if e.seq == 1:
                        expected_seq, prev = 1, GENESIS
                    elif e.seq - 1 in purges:
                        expected_seq, prev = e.seq, purges[e.seq - 1]
                    else:
                        return _broken(
                            rep,
                            max(purges) + 1 if purges else 1,
                            "записи на початку журналу видалено",
                        )
                if e.seq != expected_seq:
                    return _broken(rep, expected_seq, f"запис {expected_seq} відсутній (видалено)")
                if e.prev_hash != prev:
                    return _broken(
                        rep,
                        e.seq,
                        "ланцюжок розірвано: хеш попереднього запису "
                        "не збігається (запис вставлено, видалено або "
                        "переставлено)",
                    )
                if entry_hash(e, self.key) != e.hash:
                    return _broken(rep, e.seq, f"вміст запису {e.seq} змінено")
                if e.seq in sealed or (witness and e.seq == witness[0]):
                    hashes[e.seq] = e.hash
                prev = e.hash
                expected_seq += 1
                rep.entries += 1
                rep.head_seq = e.seq
                rep.head_hash = e.hash
            # Entries up to ``floor`` were purged under the retention rule.
            floor = first - 1 if first is not None else max(purges, default=0)
            if first is None:
                rep.head_seq = floor
                rep.head_hash = purges.get(floor)
            for (seq, head), kind in sorted(claims.items()):
                if seq <= floor:
                    continue
                if seq > rep.head_seq:
                    return _broken(
                        rep,
                        rep.head_seq + 1,
                        f"записи після {rep.head_seq} видалено: печатка засвідчує запис {seq}",
                    )
                if hashes.get(seq) != head:
                    return _broken(
                        rep,
                        seq,
                        f"запис {seq} не збігається з печаткою ({kind}): історію переписано",
                    )
            if witness is not None:
                w_seq, w_hash = witness
                if w_seq > rep.head_seq:
                    return _broken(
                        rep,
                        rep.head_seq + 1,
                        f"записи після {rep.head_seq} видалено: свідок засвідчує запис {w_seq}",
                    )
                if w_seq > floor and hashes.get(w_seq) != w_hash:
                    return _broken(
                        rep, w_seq, f"запис {w_seq} не збігається зі свідком: історію переписано"
                    )
            if seal_problem is not None:
                rep.ok, rep.problem = False, seal_problem
            return rep

    def _seal_records(
        self, store: ObjectStore | None
    ) -> tuple[dict[tuple[int, str], str], str | None]:
        """Seal claims ``{(seq, head): kind}`` from the store's records, or the first problem."""
        if store is None:
            return {}, None
        found: dict[str, bytes] = {}
        claims: dict[tuple[int, str], str] = {}
        listed = list(store.list_records(self.seal_prefix))
        for name, body in listed:
            # On S3 every version is listed: a second, different body is a replacement
            # (said first, whichever version the listing happens to give first).
            if name in found and found[name] != body:
                return claims, f"печатку {name} у сховищі замінено"
            found[name] = body
        for name, body in listed:
            try:
                data = json.loads(body)
                seq, head, kind = int(data["seq"]), str(data["head_hash"]), str(data["kind"])
            except (ValueError, KeyError, TypeError):
                return claims, f"печатка {name} у сховищі пошкоджена"
            if self.key and not hmac.compare_digest(
                str(data.get("mac") or ""), seal_mac(data, self.key) or ""
            ):
                return claims, f"печатку {name} у сховищі підроблено"
            claims[(seq, head)] = kind
        return claims, None

    def _check_seal_objects(
        self, seals: Sequence[AuditSeal], store: ObjectStore | None
    ) -> str | None:
        if store is None:
            return None
        for seal in seals:
            body = canonical(
                {
                    "seq": seal.seq,
                    "head_hash": seal.head_hash,
                    "at": _ts(seal.at),
                    "kind": seal.kind,
                }
            )
            if hashlib.sha256(body).hexdigest() != seal.object_sha256:
                return f"печатку {seal.id} у базі змінено"
            try:
                stored = store.read_bytes(seal.object_sha256, Tier.archival)
            except Exception:
                return f"печатки {seal.id} немає в архівному сховищі"
            if stored != body:
                return f"печатка {seal.id} у сховищі не збігається з базою"
        return None

    @staticmethod
    def _iter_entries(s: Session, batch: int = 2000) -> Iterator[AuditEntry]:
        last: int | None = None
        while True:
            q = select(AuditEntry).order_by(AuditEntry.seq).limit(batch)
            if last is not None:
                q = q.where(AuditEntry.seq > last)
            rows = list(s.scalars(q))
            if not rows:
                return
            yield from rows
            last = rows[-1].seq
            s.expunge_all()

    # -- retention ----------------------------------------------------------

    def purge(self, store: ObjectStore, today: date | None = None) -> int:
        """Delete the expired prefix of the log, after sealing its boundary."""
        today = today or self.clock().astimezone(UTC).date()
        rep = self.verify(store)
        if not rep.ok:
            raise ChainBroken(rep.problem or "журнал пошкоджено")
        with self.db.session() as s:
            keep_from = s.scalar(
                select(func.min(AuditEntry.seq)).where(AuditEntry.retain_until >= today)
            )
            q = select(AuditEntry.seq, AuditEntry.hash).where(AuditEntry.retain_until < today)
            if keep_from is not None:
                q = q.where(AuditEntry.seq < keep_from)
            boundary = s.execute(q.order_by(AuditEntry.seq.desc()).limit(1)).first()
            if boundary is None:
                return 0
            self._write_seal(s, store, int(boundary[0]), str(boundary[1]), "purge")
            res = s.execute(delete(AuditEntry).where(AuditEntry.seq <= boundary[0]))
            return int(getattr(res, "rowcount", 0) or 0)

    # -- reading ------------------------------------------------------------

    def entries(
        self,
        *,
        actor: str | None = None,
        document_id: str | None = None,
        since: datetime | None = None,
        until: datetime | None = None,
        actions: Sequence[str] | None = None,
        outcome: str | None = None,
        break_glass: bool | None = None,
        refs: Sequence[str] = (),
        documents: Sequence[str] = (),
        limit: int = 1000,
        offset: int = 0,
    ) -> list[AuditEntry]:
        """Entries matching every filter given; ``refs``/``documents`` match any of theirs."""
        q = select(AuditEntry)
        if actor is not None:
            q = q.where(AuditEntry.actor == actor)
        if document_id is not None:
            q = q.where(AuditEntry.documents.like(f"% {_like(document_id)} %", escape="\\"))
        if since is not None:
            q = q.where(AuditEntry.at >= since)
        if until is not None:
            q = q.where(AuditEntry.at < until)
        if actions:
            q = q.where(AuditEntry.action.in_(list(actions)))
        if outcome is not None:
            q = q.where(AuditEntry.outcome == outcome)
        if break_glass is not None:
            q = q.where(AuditEntry.break_glass.is_(break_glass))
        conds = [AuditEntry.refs.like(f"% {_like(r)} %", escape="\\") for r in refs]
        conds += [AuditEntry.documents.like(f"% {_like(d)} %", escape="\\") for d in documents]
        if refs or documents:
            q = q.where(or_(*conds))
        q = q.order_by(AuditEntry.seq).limit(limit).offset(offset)
        with self.db.session() as s:
            return list(s.scalars(q))


def _like(value: str) -> str:
    return value.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def _unique(items: Iterable[Exposure]) -> list[Exposure]:
    seen: dict[str, Exposure] = {}
    for x in items:
        seen.setdefault(x.ref, x)
    return list(seen.values())


def _claims(
    seals: Sequence[AuditSeal], records: dict[tuple[int, str], str], *, trusted_only: bool
) -> dict[tuple[int, str], str]:
    """What the seals vouch for: the store's records, and the table's rows.

    With a store, a table row counts only as far as its object in the archival
    tier was checked (``_check_seal_objects``); the records count on their own.
    """
    claims = dict(records)
    for seal in seals:
        claims.setdefault((seal.seq, seal.head_hash), seal.kind)
    del trusted_only  # table rows are always checked against the store when there is one
    return claims


def _broken(rep: VerifyReport, seq: int | None, problem: str) -> VerifyReport:
    rep.ok = False
    rep.first_broken = seq
    rep.problem = problem
    return rep


# --- publishing -----------------------------------------------------------------

Subscriber = Callable[[AccessEvent], None]


class Events:
    """Access events go to the subscribers; the audit log is always the first of them."""

    def __init__(self, log: AuditLog) -> None:
        self.log = log
        self._subscribers: list[Subscriber] = []

    def subscribe(self, fn: Subscriber) -> None:
        self._subscribers.append(fn)

    def publish(self, event: AccessEvent) -> int:
        """Record the event (raises when it cannot be recorded: no unlogged access)."""
        seq = self.log.append(event)
        for fn in self._subscribers:
            try:
                fn(event)
            except Exception:
                # A failing extra subscriber must not undo an access already logged.
                log.warning("access-event subscriber failed", exc_info=True)
        return seq

    def publish_many(self, events: Sequence[AccessEvent]) -> list[int]:
        """Record several events together (one transaction), then tell the subscribers."""
        seqs = self.log.append_many(events)
        for event in events:
            for fn in self._subscribers:
                try:
                    fn(event)
                except Exception:
                    log.warning("access-event subscriber failed", exc_info=True)
        return seqs
