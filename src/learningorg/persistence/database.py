"""The SQL side tables next to the event store: meta, and later keys and views (persistence layer).

eventsourcing owns the event tables. learningorg keeps a few tables of its own in the same database
(the store secret, projection views with their tracking positions). ``Database`` is the small
interface they are written against; SQLite, PostgreSQL and an in-memory SQLite (for ``memory://``)
implement it. SQL is written with ``?`` placeholders and ``{name}`` for table names; each dialect
adapts both.
"""

from __future__ import annotations

import random
import secrets
import sqlite3
import threading
import time
from collections.abc import Iterator, Sequence
from contextlib import ExitStack, contextmanager
from typing import Any, Final, Literal, Protocol

from learningorg.domain.errors import StoreError
from learningorg.persistence.stores import StoreConfig

Dialect = Literal["sqlite", "postgresql"]


class Cursor(Protocol):
    """What the side tables need of a DB-API cursor."""

    def execute(self, sql: str, params: Sequence[Any] = ()) -> Any:
        """Run one statement."""

    def executemany(self, sql: str, params: Sequence[Sequence[Any]]) -> Any:
        """Run one statement for many parameter rows."""

    def fetchone(self) -> Any:
        """The next row, or None."""

    def fetchall(self) -> list[Any]:
        """All remaining rows."""


class Database:
    """A connection to the store's database for learningorg's own tables."""

    dialect: Dialect

    def __init__(self) -> None:
        self._lock = threading.RLock()

    def table(self, name: str) -> str:
        """The qualified name of one of learningorg's tables."""
        return name

    def sql(self, statement: str) -> str:
        """Adapt a statement written with ``?`` placeholders to this dialect."""
        return statement

    @contextmanager
    def transaction(self) -> Iterator[Cursor]:
        """A cursor whose statements commit together, or not at all."""
        raise NotImplementedError
        yield  # pragma: no cover

    def close(self) -> None:
        """Release the connection."""

    @contextmanager
    def setup_lock(self) -> Iterator[None]:
        """Held while creating the store's tables, so processes opening it at once do not race."""
        yield

    def scrub(self, tables: Sequence[str] = ()) -> None:
        """Leave no copy of deleted or overwritten rows of ``tables`` in the database's files.

        Called after an erasure. SQLite already overwrites deleted content in place (secure
        delete); this also moves the write-ahead log into the file and truncates it, so old
        versions of pages do not linger there. PostgreSQL rewrites the (small) ``tables``, since
        an update leaves the old row version on disk until a vacuum.
        """


#: SQLite's page cache, in KiB, for a connection while it writes in bulk (SQLite's default is
#: 2 MiB): enough to keep the pages of a large import's indexes in memory.
BULK_CACHE_KIB: Final = 64 * 1024
#: Pages the write-ahead log of a bulk writer's connection may hold before that connection
#: copies them into the database (SQLite's default is 1,000 pages, 4 MiB). A batch of a large
#: import writes more than that, so each commit copied every page it changed, including the
#: same index pages batch after batch; 40 MiB lets several batches share one copy.
BULK_CHECKPOINT_PAGES: Final = 10_000


def use_bulk_settings(cursor: Cursor) -> None:
    """Give the SQLite connection of ``cursor`` a bulk writer's settings: a larger page cache
    (``BULK_CACHE_KIB``) and checkpoints every ``BULK_CHECKPOINT_PAGES`` pages.

    They stay with the connection (memory is taken only as pages are read); they change
    nothing that is stored, nor when a commit is durable (docs/decisions/0502-xapi-bulk-import.md).
    """
    cursor.execute(f"PRAGMA cache_size = -{BULK_CACHE_KIB}")
    cursor.execute(f"PRAGMA wal_autocheckpoint = {BULK_CHECKPOINT_PAGES}")


#: Seconds a SQLite connection waits for another's lock (the busy timeout, and the bound on
#: retrying the switch to write-ahead logging).
SQLITE_LOCK_TIMEOUT: Final = 30.0


def use_write_ahead_log(
    connection: sqlite3.Connection, timeout: float = SQLITE_LOCK_TIMEOUT
) -> None:
    """Put the SQLite database of ``connection`` in write-ahead-log mode before anything else.

    The mode is stored in the file, so only the first opener of a new store changes it. That
    change needs every other connection's lock, and SQLite reports "database is locked" at once
    instead of waiting when processes opening a new store at the same moment hold each other's
    locks (the busy timeout does not apply). So the switch is retried, with a short random
    pause, for up to ``timeout`` seconds. In-memory databases keep their own mode.
    """
    deadline = time.monotonic() + timeout
    while True:
        try:
            mode = str(connection.execute("PRAGMA journal_mode").fetchone()[0]).lower()
            if mode not in {"wal", "memory"}:
                connection.execute("PRAGMA journal_mode = WAL").fetchone()
            return
        except sqlite3.OperationalError as error:
            if "locked" not in str(error) or time.monotonic() >= deadline:
                raise
            time.sleep(random.uniform(0.005, 0.05))


class SqliteDatabase(Database):
    """learningorg's tables inside the SQLite store file (or an in-memory database)."""

    dialect: Dialect = "sqlite"

    def __init__(self, path: str) -> None:
        super().__init__()
        uri = path.startswith("file:")
        try:
            self._conn = sqlite3.connect(
                path,
                uri=uri,
                timeout=SQLITE_LOCK_TIMEOUT,
                check_same_thread=False,
                isolation_level=None,
            )
            self._conn.execute(f"PRAGMA busy_timeout = {int(SQLITE_LOCK_TIMEOUT * 1000)}")
            # Before eventsourcing's connections open: they switch a new file to WAL without
            # retrying, which fails when several processes open a new store at once.
            use_write_ahead_log(self._conn)
            # Deleted content (a destroyed data key, a forgotten statement) is overwritten,
            # not left in free pages of the file where a copy of it could still be read.
            self._conn.execute("PRAGMA secure_delete = ON")
        except sqlite3.Error as error:
            msg = f"cannot open the SQLite store {path!r}: {error}; check the path and permissions"
            raise StoreError(msg) from error

    @contextmanager
    def transaction(self) -> Iterator[Cursor]:
        with self._lock:
            cursor = self._conn.cursor()
            cursor.execute("BEGIN IMMEDIATE")
            try:
                yield cursor
            except BaseException:
                self._conn.rollback()
                raise
            else:
                self._conn.commit()
            finally:
                cursor.close()

    def close(self) -> None:
        self._conn.close()

    def scrub(self, tables: Sequence[str] = ()) -> None:
        with self._lock:
            self._conn.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchall()


class PostgresDatabase(Database):
    """learningorg's tables in the store's PostgreSQL schema."""

    dialect: Dialect = "postgresql"

    def __init__(self, config: StoreConfig) -> None:
        super().__init__()
        import psycopg

        assert config.postgres is not None
        pg = config.postgres
        self.schema = pg.schema
        self._display_url = config.display_url
        self._connect_args: dict[str, Any] = {
            "host": pg.host,
            "port": pg.port,
            "user": pg.user,
            "password": pg.password or None,
            "dbname": pg.dbname,
            "connect_timeout": pg.connect_timeout,
            "autocommit": True,
        }
        try:
            self._conn = psycopg.connect(**self._connect_args)
            with self.setup_lock(), self._conn.transaction():
                self._conn.execute(f'CREATE SCHEMA IF NOT EXISTS "{self.schema}"')
        except psycopg.Error as error:
            msg = (
                f"cannot open the PostgreSQL store {config.display_url!r}: "
                f"{str(error).strip()}; check that the server runs and the URL is right"
            )
            raise StoreError(msg) from error

    def table(self, name: str) -> str:
        return f'"{self.schema}".{name}'

    @contextmanager
    def setup_lock(self) -> Iterator[None]:
        # Concurrent CREATE ... IF NOT EXISTS (and eventsourcing's CREATE OR REPLACE FUNCTION)
        # of one schema fail in PostgreSQL ("tuple concurrently updated", duplicate pg_type
        # keys): a session advisory lock per schema lets one opener create at a time.
        key = f"learningorg setup {self.schema}"
        with self._lock:
            self._conn.execute("SELECT pg_advisory_lock(hashtext(%s))", (key,))
            try:
                yield
            finally:
                self._conn.execute("SELECT pg_advisory_unlock(hashtext(%s))", (key,))

    def sql(self, statement: str) -> str:
        return statement.replace("?", "%s")

    @contextmanager
    def transaction(self) -> Iterator[Cursor]:
        import psycopg

        with self._lock:
            try:
                with ExitStack() as stack:
                    try:
                        if self._conn.closed or self._conn.broken:
                            raise psycopg.OperationalError("the connection is closed")
                        stack.enter_context(self._conn.transaction())
                    except psycopg.OperationalError:
                        # Nothing was sent but BEGIN: the server restarted or dropped this
                        # connection while it was idle. Connect afresh, once.
                        self._conn = psycopg.connect(**self._connect_args)
                        stack.enter_context(self._conn.transaction())
                    yield _PostgresCursor(stack.enter_context(self._conn.cursor()))
            except psycopg.OperationalError as error:
                msg = (
                    f"lost the connection to the PostgreSQL store {self._display_url!r}: "
                    f"{str(error).strip()}; the transaction was rolled back; try again "
                    "(the next call reconnects)"
                )
                raise StoreError(msg) from error

    def close(self) -> None:
        self._conn.close()

    def scrub(self, tables: Sequence[str] = ()) -> None:
        with self._lock:
            for table in tables:
                self._conn.execute(f"VACUUM FULL {table}")


class _PostgresCursor:
    """Adapts ``?`` placeholders for a psycopg cursor."""

    def __init__(self, cursor: Any) -> None:
        self._cursor = cursor

    def execute(self, sql: str, params: Sequence[Any] = ()) -> Any:
        return self._cursor.execute(sql.replace("?", "%s"), params)

    def executemany(self, sql: str, params: Sequence[Sequence[Any]]) -> Any:
        return self._cursor.executemany(sql.replace("?", "%s"), params)

    def fetchone(self) -> Any:
        return self._cursor.fetchone()

    def fetchall(self) -> list[Any]:
        return list(self._cursor.fetchall())


def open_database(config: StoreConfig) -> Database:
    """Open learningorg's side tables for the store ``config`` describes."""
    if config.kind == "sqlite":
        assert config.sqlite_path is not None
        return SqliteDatabase(config.sqlite_path)
    if config.kind == "postgresql":
        return PostgresDatabase(config)
    # memory://: a private in-memory SQLite database keeps the side tables.
    return SqliteDatabase(":memory:")


def load_or_create_secret(database: Database) -> bytes:
    """The store secret used to derive ids: created once with the store, then kept in it."""
    meta = database.table("learningorg_meta")
    with database.transaction() as cursor:
        cursor.execute(f"CREATE TABLE IF NOT EXISTS {meta} (name TEXT PRIMARY KEY, value TEXT)")
        cursor.execute(
            database.sql(f"INSERT INTO {meta} (name, value) VALUES (?, ?) ON CONFLICT DO NOTHING"),
            ("secret", secrets.token_hex(32)),
        )
        cursor.execute(database.sql(f"SELECT value FROM {meta} WHERE name = ?"), ("secret",))
        row = cursor.fetchone()
    return bytes.fromhex(row[0])
