"""Metadata database: engine, sessions and schema migrations (Alembic)."""

from __future__ import annotations

import fcntl
import json
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from sqlalchemy import Connection, Engine, Select, create_engine, delete, event, insert, text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker

# Registers the session hook that queues index updates when visibility changes.
from archive import visibility as _visibility  # noqa: F401

MIGRATIONS = Path(__file__).parent / "migrations"
# Advisory lock key held while migrating a PostgreSQL database.
MIGRATION_LOCK = 0x434E4150
# Connections kept open per process on an SQLite file (a file handle and a page cache each).
SQLITE_POOL = 40


class RawJSON(str):
    """A JSON column's value encoded already (with :func:`json.dumps`, as the engine
    would): written as it is. A worker process encodes the page words it read, so the
    orchestrating process does not encode them again."""


def _json_serializer(value: Any) -> str:
    return value if type(value) is RawJSON else json.dumps(value)


class Database:
    """An engine and a session factory for one database URL."""

    def __init__(self, url: str) -> None:
        self.url = url
        parsed = make_url(url)
        kwargs: dict[str, Any] = {"future": True}
        if parsed.get_backend_name() == "sqlite":
            if parsed.database:
                Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
            kwargs["connect_args"] = {"timeout": 60, "check_same_thread": False}
            # A server process serves up to 40 requests at once (its thread pool); a
            # connection made per request past the pool costs its PRAGMAs each time.
            kwargs["pool_size"] = SQLITE_POOL
            kwargs["max_overflow"] = SQLITE_POOL
            # The connection used last first: its page cache is still valid. SQLite
            # drops a connection's whole page cache when another connection has
            # committed since its last read, and every search commits an access-log
            # entry; taken in turn (the default), each search would read its pages
            # again through a connection that missed the others' commits.
            kwargs["pool_use_lifo"] = True
        else:
            kwargs["pool_pre_ping"] = True
        self.engine: Engine = create_engine(url, json_serializer=_json_serializer, **kwargs)
        if parsed.get_backend_name() == "sqlite":
            event.listen(self.engine, "connect", _sqlite_pragmas)
        self.sessions = sessionmaker(self.engine, expire_on_commit=False)

    @property
    def is_sqlite(self) -> bool:
        return self.engine.dialect.name == "sqlite"

    @contextmanager
    def session(self) -> Iterator[Session]:
        """A session committed on success and rolled back on error."""
        s = self.sessions()
        try:
            yield s
            s.commit()
        except BaseException:
            s.rollback()
            raise
        finally:
            s.close()

    def migrate(self) -> None:
        """Bring the schema to the newest revision (idempotent)."""
        cfg = Config()
        cfg.set_main_option("script_location", str(MIGRATIONS))
        cfg.attributes["engine"] = self.engine
        # Several processes (API, workers, the command line) may start at once on
        # a new database: one migrates, the others wait and then find it done.
        with self._migration_lock(), self.engine.begin() as conn:
            if conn.dialect.name == "postgresql":
                conn.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": MIGRATION_LOCK})
            cfg.attributes["connection"] = conn
            command.upgrade(cfg, "head")

    @contextmanager
    def _migration_lock(self) -> Iterator[None]:
        parsed = make_url(self.url)
        if parsed.get_backend_name() != "sqlite" or not parsed.database:
            yield
            return
        with open(f"{parsed.database}.migrate-lock", "a+b") as f:
            fcntl.flock(f, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(f, fcntl.LOCK_UN)

    def close(self) -> None:
        self.engine.dispose()


def _sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:
    # WAL lets readers go on while a worker writes; FULL sync makes a commit survive
    # a power cut too (the access log must).
    cur = dbapi_conn.cursor()
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute("PRAGMA synchronous=FULL")
    cur.execute("PRAGMA foreign_keys=ON")
    cur.execute("PRAGMA busy_timeout=60000")
    cur.close()


@contextmanager
def _driver_cursor(conn: Connection) -> Iterator[Any]:
    """A cursor of the connection's driver, in its transaction, closed after use."""
    cursor = conn.connection.cursor()
    try:
        yield cursor
    finally:
        cursor.close()


def first_row(conn: Connection, sql: str) -> tuple[Any, ...] | None:
    """The first row of a constant query (no parameters) through the driver's cursor.

    For the reads made on every request (the audit head, the outbox check):
    building and compiling a statement costs more than SQLite's answer.
    """
    with _driver_cursor(conn) as cursor:
        return fetch_first(cursor, sql)


def fetch_first(cursor: Any, sql: str) -> tuple[Any, ...] | None:
    """:func:`first_row` on a cursor of the driver's own connection."""
    cursor.execute(sql)
    row = cursor.fetchone()
    return tuple(row) if row is not None else None


class ListQuery:
    """A Core SELECT with one expanding ``IN`` list, run through the driver's cursor.

    For the per-hit reads of every search (who holds each hit, its identifiers):
    SQLAlchemy's own SQL for the dialect, compiled once per list length, then
    executed without the per-call statement work (about half the time of such
    a read on SQLite). The values come as the driver returns them, so the query
    must select plain columns only (strings, numbers; an enum is its string).
    Dialects with named parameters run the Core statement as before.
    """

    def __init__(self, stmt: Select[*tuple[Any, ...]], key: str = "ids") -> None:
        self.stmt, self.key = stmt, key
        self._sql: dict[tuple[str, int], str] = {}

    def rows(self, conn: Connection | Session, values: Sequence[Any]) -> list[tuple[Any, ...]]:
        """The rows for ``values``, in a connection or in a session's transaction."""
        if isinstance(conn, Session):
            conn = conn.connection()
        dialect = conn.dialect
        if not dialect.positional:
            return [tuple(r) for r in conn.execute(self.stmt, {self.key: list(values)})]
        at = (dialect.name, len(values))
        sql = self._sql.get(at)
        if sql is None:
            compiled = self.stmt.params({self.key: list(values)}).compile(
                dialect=dialect, compile_kwargs={"render_postcompile": True}
            )
            sql = self._sql[at] = str(compiled)
        with _driver_cursor(conn) as cursor:
            cursor.execute(sql, tuple(values))
            return [tuple(r) for r in cursor.fetchall()]


class RowInsert:
    """An INSERT of every column of a table, run through the driver's cursor.

    For the access log's append on every request: the values go through the
    same bind processors SQLAlchemy applies (dates, JSON, booleans), so the
    stored row is the one ``conn.execute(insert(table), rows)`` would write,
    without the per-call statement work. Other drivers' parameter styles
    (PostgreSQL's) run the Core statement as before.
    """

    def __init__(self, table: Any) -> None:
        self.table = table
        self._by_dialect: dict[str, tuple[str, list[tuple[str, Any]]]] = {}

    def run(self, conn: Connection, rows: Sequence[Mapping[str, Any]]) -> None:
        """Insert ``rows`` (each naming every column) in the connection's transaction."""
        if not rows:
            return
        dialect = conn.dialect
        if dialect.paramstyle != "qmark":
            conn.execute(insert(self.table), list(rows))
            return
        with _driver_cursor(conn) as cursor:
            self.run_driver(cursor, dialect, rows)

    def run_driver(self, cursor: Any, dialect: Any, rows: Sequence[Mapping[str, Any]]) -> None:
        """The same on a cursor of the driver's own connection (a ``qmark`` driver)."""
        prepared = self._by_dialect.get(dialect.name)
        if prepared is None:
            prepared = self._by_dialect[dialect.name] = self._prepare(dialect)
        sql, columns = prepared
        params = [
            tuple(row[name] if bind is None else bind(row[name]) for name, bind in columns)
            for row in rows
        ]
        cursor.executemany(sql, params)

    def _prepare(self, dialect: Any) -> tuple[str, list[tuple[str, Any]]]:
        quote = dialect.identifier_preparer.quote
        cols = list(self.table.columns)
        names = ", ".join(quote(c.name) for c in cols)
        marks = ", ".join("?" for _ in cols)
        sql = f"INSERT INTO {quote(self.table.name)} ({names}) VALUES ({marks})"
        binds = [(c.name, c.type.dialect_impl(dialect).bind_processor(dialect)) for c in cols]
        return sql, binds


def replace_document_rows(
    s: Session, model: Any, rows: Mapping[str, Sequence[Mapping[str, Any]]]
) -> int:
    """Replace the rows of several documents in ``model``'s table (by ``document_id``):
    one DELETE for every document named, one bulk INSERT of the new rows.

    A retried run of a pipeline step replaces whatever an interrupted one wrote; a
    document named with no rows keeps none. Returns how many rows were written.
    """
    if not rows:
        return 0
    s.execute(
        delete(model)
        .where(model.document_id.in_(list(rows)))
        .execution_options(synchronize_session=False)
    )
    flat = [r for doc_rows in rows.values() for r in doc_rows]
    if flat:
        s.execute(insert(model), flat)
    return len(flat)
