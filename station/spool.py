"""The station's local spool: what was accepted at the desk and waits for the central archive.

A directory with ``spool.sqlite3`` (the queue, the reserved number blocks,
the link state) and ``files/<sha256>`` (the scans, content-addressed). A scan
is copied in and fsynced before it counts as accepted, so pulling the plug
loses nothing; the same bytes added twice are one item. Registrations made
offline are items too, and take their case numbers here, from blocks
reserved in advance, in one ``BEGIN IMMEDIATE`` transaction — two desks on
one station never get the same number.

The spool holds personal data (applicants' names in registrations); it is
never logged.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import sqlite3
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

_SCHEMA = """
CREATE TABLE IF NOT EXISTS items (
    id INTEGER PRIMARY KEY,
    kind TEXT NOT NULL,            -- registration | batch | document
    key TEXT NOT NULL,             -- registration id or SHA-256 of the file
    name TEXT NOT NULL,
    size INTEGER NOT NULL DEFAULT 0,
    payload TEXT NOT NULL DEFAULT '{}',
    state TEXT NOT NULL DEFAULT 'waiting',   -- waiting | done | failed
    attempts INTEGER NOT NULL DEFAULT 0,
    next_try REAL NOT NULL DEFAULT 0,
    sent INTEGER NOT NULL DEFAULT 0,         -- bytes the central archive has
    last_error TEXT,
    result TEXT,
    created_at TEXT NOT NULL,
    done_at TEXT,
    UNIQUE (kind, key)
);
CREATE TABLE IF NOT EXISTS blocks (
    id INTEGER PRIMARY KEY,        -- the central archive's block id
    centre TEXT NOT NULL,
    year INTEGER NOT NULL,
    code TEXT NOT NULL,
    first INTEGER NOT NULL,
    last INTEGER NOT NULL,
    next INTEGER NOT NULL,
    number_format TEXT NOT NULL,
    reserved_at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
"""


def _now() -> str:
    return datetime.now(UTC).isoformat()


@dataclass(frozen=True, slots=True)
class Item:
    id: int
    kind: str
    key: str
    name: str
    size: int
    payload: dict[str, Any]
    state: str
    attempts: int
    next_try: float
    sent: int
    last_error: str | None
    result: dict[str, Any] | None
    created_at: str

    @classmethod
    def of(cls, row: sqlite3.Row) -> Item:
        return cls(
            id=row["id"],
            kind=row["kind"],
            key=row["key"],
            name=row["name"],
            size=row["size"],
            payload=json.loads(row["payload"] or "{}"),
            state=row["state"],
            attempts=row["attempts"],
            next_try=row["next_try"],
            sent=row["sent"],
            last_error=row["last_error"],
            result=json.loads(row["result"]) if row["result"] else None,
            created_at=row["created_at"],
        )


@dataclass(frozen=True, slots=True)
class Block:
    id: int
    centre: str
    year: int
    code: str
    first: int
    last: int
    next: int
    number_format: str


class NoNumbers(Exception):
    """No reserved number is left for this year (message in Ukrainian)."""


class Spool:
    """The queue of one station (safe for several processes on the same machine)."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.files = root / "files"
        self.print_dir = root / "print"
        for d in (self.root, self.files, self.print_dir, root / "incoming"):
            d.mkdir(parents=True, exist_ok=True)
        self.path = root / "spool.sqlite3"
        # executescript commits on its own, so the schema goes outside _tx().
        db = sqlite3.connect(self.path, timeout=60)
        try:
            db.execute("PRAGMA journal_mode=WAL")
            db.executescript(_SCHEMA)
        finally:
            db.close()

    @contextlib.contextmanager
    def _tx(self) -> Iterator[sqlite3.Connection]:
        db = sqlite3.connect(self.path, timeout=60, isolation_level=None)
        db.row_factory = sqlite3.Row
        try:
            db.execute("PRAGMA journal_mode=WAL")
            db.execute("PRAGMA synchronous=FULL")
            db.execute("BEGIN IMMEDIATE")
            try:
                yield db
                db.execute("COMMIT")
            except BaseException:
                db.execute("ROLLBACK")
                raise
        finally:
            db.close()

    # -- files ---------------------------------------------------------------------

    def file_path(self, sha256: str) -> Path:
        return self.files / sha256

    def add_file(self, path: Path, kind: str = "batch", meta: dict[str, Any] | None = None) -> Item:
        """Copy a scan into the spool (durably) and queue it; the same bytes are queued once."""
        if kind not in ("batch", "document"):
            raise ValueError(kind)
        incoming = self.root / "incoming" / f"{os.getpid()}-{time.monotonic_ns()}"
        h = hashlib.sha256()
        size = 0
        with path.open("rb") as src, incoming.open("wb") as dst:
            while chunk := src.read(1024 * 1024):
                h.update(chunk)
                dst.write(chunk)
                size += len(chunk)
            dst.flush()
            os.fsync(dst.fileno())
        sha = h.hexdigest()
        target = self.file_path(sha)
        if target.exists():
            incoming.unlink()
        else:
            os.replace(incoming, target)
            _fsync_dir(self.files)
        with self._tx() as db:
            db.execute(
                "INSERT OR IGNORE INTO items (kind, key, name, size, payload, created_at) "
                "VALUES (?, ?, ?, ?, ?, ?)",
                (kind, sha, path.name[:500], size, json.dumps(meta or {}), _now()),
            )
            row = db.execute(
                "SELECT * FROM items WHERE kind = ? AND key = ?", (kind, sha)
            ).fetchone()
        return Item.of(row)

    # -- registrations -------------------------------------------------------------

    def add_registration(self, registration_id: str, number: str, payload: dict[str, Any]) -> Item:
        with self._tx() as db:
            db.execute(
                "INSERT OR IGNORE INTO items (kind, key, name, payload, created_at) "
                "VALUES ('registration', ?, ?, ?, ?)",
                (registration_id, number, json.dumps(payload, ensure_ascii=False), _now()),
            )
            row = db.execute(
                "SELECT * FROM items WHERE kind = 'registration' AND key = ?", (registration_id,)
            ).fetchone()
        return Item.of(row)

    def add_block(self, block: dict[str, Any]) -> None:
        with self._tx() as db:
            db.execute(
                "INSERT OR IGNORE INTO blocks (id, centre, year, code, first, last, next, "
                "number_format, reserved_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    int(block["id"]),
                    block["centre"],
                    int(block["year"]),
                    block["workplace_code"],
                    int(block["first"]),
                    int(block["last"]),
                    int(block["first"]),
                    block["number_format"],
                    _now(),
                ),
            )

    def take_number(self, year: int) -> tuple[Block, int]:
        """The next unused number of this year's blocks (atomically)."""
        with self._tx() as db:
            row = db.execute(
                "SELECT * FROM blocks WHERE year = ? AND next <= last ORDER BY id LIMIT 1", (year,)
            ).fetchone()
            if row is None:
                raise NoNumbers(
                    f"немає зарезервованих номерів справ на {year} рік: з’єднайтеся з "
                    "центральним архівом (cnap-archive station reserve)"
                )
            db.execute("UPDATE blocks SET next = next + 1 WHERE id = ?", (row["id"],))
        block = Block(
            row["id"],
            row["centre"],
            row["year"],
            row["code"],
            row["first"],
            row["last"],
            row["next"],
            row["number_format"],
        )
        return block, row["next"]

    def numbers_left(self, year: int) -> int:
        with self._tx() as db:
            row = db.execute(
                "SELECT COALESCE(SUM(last - next + 1), 0) FROM blocks WHERE year = ? "
                "AND next <= last",
                (year,),
            ).fetchone()
        return int(row[0])

    def blocks(self) -> list[Block]:
        with self._tx() as db:
            rows = db.execute("SELECT * FROM blocks ORDER BY id").fetchall()
        return [
            Block(
                r["id"],
                r["centre"],
                r["year"],
                r["code"],
                r["first"],
                r["last"],
                r["next"],
                r["number_format"],
            )
            for r in rows
        ]

    # -- the queue ---------------------------------------------------------------------

    def due(self, now: float | None = None) -> list[Item]:
        """Waiting items whose back-off has passed: registrations first, then in arrival order."""
        now = time.time() if now is None else now
        with self._tx() as db:
            rows = db.execute(
                "SELECT * FROM items WHERE state = 'waiting' AND next_try <= ? "
                "ORDER BY kind != 'registration', id",
                (now,),
            ).fetchall()
        return [Item.of(r) for r in rows]

    def items_waiting(self, kind: str) -> int:
        with self._tx() as db:
            row = db.execute(
                "SELECT COUNT(*) FROM items WHERE state = 'waiting' AND kind = ?", (kind,)
            ).fetchone()
        return int(row[0])

    def items(self, state: str | None = None) -> list[Item]:
        with self._tx() as db:
            if state is None:
                rows = db.execute("SELECT * FROM items ORDER BY id").fetchall()
            else:
                rows = db.execute(
                    "SELECT * FROM items WHERE state = ? ORDER BY id", (state,)
                ).fetchall()
        return [Item.of(r) for r in rows]

    def progress(self, item_id: int, sent: int) -> None:
        with self._tx() as db:
            db.execute("UPDATE items SET sent = ? WHERE id = ?", (sent, item_id))

    def done(self, item_id: int, result: dict[str, Any]) -> None:
        with self._tx() as db:
            db.execute(
                "UPDATE items SET state = 'done', result = ?, done_at = ?, last_error = NULL, "
                "sent = size WHERE id = ?",
                (json.dumps(result, ensure_ascii=False), _now(), item_id),
            )

    def retry(self, item_id: int, error: str, delay: float) -> None:
        with self._tx() as db:
            db.execute(
                "UPDATE items SET attempts = attempts + 1, next_try = ?, last_error = ? "
                "WHERE id = ?",
                (time.time() + delay, error, item_id),
            )

    def fail(self, item_id: int, error: str) -> None:
        with self._tx() as db:
            db.execute(
                "UPDATE items SET state = 'failed', attempts = attempts + 1, last_error = ? "
                "WHERE id = ?",
                (error, item_id),
            )

    def requeue_failed(self) -> int:
        """Put failed items back in the queue (after the cause was fixed)."""
        with self._tx() as db:
            cur = db.execute(
                "UPDATE items SET state = 'waiting', next_try = 0, attempts = 0 "
                "WHERE state = 'failed'"
            )
        return cur.rowcount

    def wake(self) -> None:
        """Forget the back-off of every waiting item (the link is known to be up again)."""
        with self._tx() as db:
            db.execute("UPDATE items SET next_try = 0 WHERE state = 'waiting'")

    def forget_file(self, sha256: str) -> None:
        """Drop a spooled file once the central archive has it and nothing else needs it."""
        with self._tx() as db:
            waiting = db.execute(
                "SELECT 1 FROM items WHERE key = ? AND state != 'done'", (sha256,)
            ).fetchone()
        if waiting is None:
            with contextlib.suppress(FileNotFoundError):
                self.file_path(sha256).unlink()

    # -- link state ------------------------------------------------------------------

    def set_meta(self, key: str, value: str) -> None:
        with self._tx() as db:
            db.execute("INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)", (key, value))

    def get_meta(self, key: str) -> str | None:
        with self._tx() as db:
            row = db.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        return str(row[0]) if row else None

    def summary(self, year: int) -> dict[str, Any]:
        """What waits, what failed, how many numbers are left, the link's last state."""
        with self._tx() as db:
            rows = db.execute(
                "SELECT state, kind, COUNT(*), COALESCE(SUM(size - sent), 0) FROM items "
                "GROUP BY state, kind"
            ).fetchall()
            oldest = db.execute(
                "SELECT MIN(created_at) FROM items WHERE state = 'waiting'"
            ).fetchone()[0]
        counts: dict[str, dict[str, int]] = {}
        waiting_bytes = 0
        for state, kind, n, remaining in rows:
            counts.setdefault(state, {})[kind] = int(n)
            if state == "waiting":
                waiting_bytes += int(remaining)
        return {
            "waiting": counts.get("waiting", {}),
            "failed": counts.get("failed", {}),
            "done": counts.get("done", {}),
            "waiting_bytes": waiting_bytes,
            "oldest_waiting": oldest,
            "numbers_left": self.numbers_left(year),
            "last_sync": self.get_meta("last_sync"),
            "last_error": self.get_meta("last_error"),
            "link": self.get_meta("link") or "unknown",
        }


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
