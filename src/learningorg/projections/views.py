"""Catch-up views: projections stored next to the events, kept current by a pull loop.

A catch-up view lives in learningorg's own tables of the store's database (SQLite or
PostgreSQL, through ``Records.database``). Its tracking position is written in the same
transaction as its rows, so a view never holds half a batch, and a new process resumes from the
stored position without reprocessing anything. A pull loop over ``Records.notifications`` keeps it
current (eventsourcing's ``ProjectionRunner`` does not run on SQLite); queries catch up first, so a
query right after a save sees that save. ``rebuild()`` drops the view and replays from position 0.
A view stored by another model version or view schema is rebuilt, never mixed.

``CapacityFactsView`` is the capacity projection's view: the *learning facts* (one compact record
per relevant event) decoded from the stored JSON with orjson, bypassing pydantic, and stored per
organisation and stream in batch-sized segments (projections layer).
"""

from __future__ import annotations

import multiprocessing
import os
import sqlite3
import threading
import weakref
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from datetime import datetime
from itertools import islice
from typing import Any, ClassVar
from uuid import UUID

import orjson

from learningorg._collector import collector_paused
from learningorg.application import Records
from learningorg.persistence.database import SQLITE_LOCK_TIMEOUT, Cursor, Database
from learningorg.projections.capacity.facts import (
    FACT_TOPICS,
    Fact,
    FactRecord,
    SegmentBuilder,
    fact_from_record,
)
from learningorg.projections.capacity.model import MODEL_VERSION
from learningorg.projections.history import KnownAt, check_known_at

TRACKING_TABLE = "learningorg_view_tracking"

#: Stored events read and written per transaction.
BATCH = 50_000
#: Stored events read from the store at a time.
PAGE = 2_000
#: A backlog from this many stored events on is decoded in worker processes (SQLite files).
PARALLEL_FROM = 100_000


#: What ``_commit`` returns when the stored view belongs to another version.
_STALE = -1

#: A stored event as a view reads it: (position, stream as stored, topic, stored state).
StoredRow = tuple[int, str, str, bytes]


class CatchUpView:
    """A view in the store's database with its tracking position in the same transaction.

    Subclasses name the view, give its tables (``create`` / ``drop``) and turn a batch of stored
    events into rows (``rows`` / ``write``). ``version`` and ``schema_version`` are stored with
    the position: when either differs from the stored ones, the view is rebuilt.

    On SQLite stores the pull loop reads the event table directly (a read-only connection; no
    event objects built); elsewhere it reads ``Records.notifications``. Both give the same
    stored rows.
    """

    name: ClassVar[str] = ""
    schema_version: ClassVar[int] = 1
    topics: ClassVar[Sequence[str]] = ()
    batch: ClassVar[int] = BATCH
    #: A backlog of at least this many stored events is decoded by worker processes.
    parallel_from: ClassVar[int] = PARALLEL_FROM

    def __init__(
        self, records: Records, *, version: str = MODEL_VERSION, workers: int | None = None
    ) -> None:
        self.records = records
        #: Worker processes for a long replay of a SQLite file (1: decode in this process).
        self.workers = workers if workers is not None else min(2, os.cpu_count() or 1)
        self.database: Database = records.database
        self.version = version
        self.tracking = self.database.table(TRACKING_TABLE)
        self._lock = threading.RLock()
        self._position = 0
        self._sqlite: sqlite3.Connection | None = None
        #: Stored events this instance has read (a restart that resumes reads none again).
        self.processed = 0
        #: How often this instance found the stored view stale and rebuilt it.
        self.rebuilds = 0
        self._open()

    # ------------------------------------------------------------------ subclass hooks

    def create(self, cursor: Cursor) -> None:
        """Create the view's tables if they do not exist."""
        raise NotImplementedError

    def drop(self, cursor: Cursor) -> None:
        """Drop the view's tables."""
        raise NotImplementedError

    def rows(self, pages: Iterable[Sequence[StoredRow]]) -> tuple[list[Any], int, int]:
        """The view rows of a batch of stored events given in pages (see ``read``).

        Returns the rows, how many stored events were read, and the last position read.
        """
        raise NotImplementedError

    def write(self, cursor: Cursor, rows: list[Any]) -> None:
        """Write the rows of one batch (in the transaction that also moves the position)."""
        raise NotImplementedError

    # ------------------------------------------------------------------ tracking

    @property
    def position(self) -> int:
        """The last position of the store this view has applied."""
        return self._position

    def _select_tracking(self, cursor: Cursor, lock: bool = False) -> tuple[int, str, int] | None:
        suffix = " FOR UPDATE" if lock and self.database.dialect == "postgresql" else ""
        cursor.execute(
            self.database.sql(
                f"SELECT position, version, schema_version FROM {self.tracking} WHERE view = ?"
                + suffix
            ),
            (self.name,),
        )
        row = cursor.fetchone()
        return None if row is None else (int(row[0]), str(row[1]), int(row[2]))

    def _reset(self, cursor: Cursor) -> None:
        self.drop(cursor)
        self.create(cursor)
        sql = self.database.sql
        cursor.execute(sql(f"DELETE FROM {self.tracking} WHERE view = ?"), (self.name,))
        cursor.execute(
            sql(
                f"INSERT INTO {self.tracking} (view, position, version, schema_version) "
                "VALUES (?, ?, ?, ?)"
            ),
            (self.name, 0, self.version, self.schema_version),
        )

    def _open(self) -> None:
        with self._lock, self.database.transaction() as cursor:
            cursor.execute(
                f"CREATE TABLE IF NOT EXISTS {self.tracking} (view TEXT PRIMARY KEY, "
                "position BIGINT NOT NULL, version TEXT NOT NULL, "
                "schema_version INTEGER NOT NULL)"
            )
            stored = self._select_tracking(cursor, lock=True)
            if stored is None or stored[1:] != (self.version, self.schema_version):
                if stored is not None:
                    self.rebuilds += 1
                self._reset(cursor)
                self._position = 0
            else:
                self.create(cursor)
                self._position = stored[0]

    def close(self) -> None:
        """Release the read connection of the SQLite fast path, if open."""
        if self._sqlite is not None:
            self._sqlite.close()
            self._sqlite = None

    # ------------------------------------------------------------------ reading stored events

    @property
    def _direct(self) -> bool:
        return self.records.config.kind == "sqlite"

    def read(self, since: int, until: int, limit: int) -> Iterator[list[StoredRow]]:
        """Pages of up to ``limit`` stored events after position ``since`` up to ``until``.

        On SQLite, straight from the event table with a read-only connection (the stream
        column as stored: 32 hex digits); elsewhere from ``Records.notifications``.
        """
        if not self._direct:
            notifications = self.records.notifications(since=since, until=until, topics=self.topics)
            rows = [
                (n.id, str(n.originator_id), n.topic, n.state) for n in islice(notifications, limit)
            ]
            yield rows
            return
        if self._sqlite is None:
            path = self.records.config.sqlite_path
            assert path is not None
            uri = path if path.startswith("file:") else f"file:{path}?mode=ro"
            self._sqlite = sqlite3.connect(
                uri, uri=True, timeout=SQLITE_LOCK_TIMEOUT, check_same_thread=False
            )
        table = self.records.recorder.events_table_name
        cursor = self._sqlite.execute(
            f"SELECT rowid, originator_id, topic, state FROM {table} "
            "WHERE rowid > ? AND rowid <= ? ORDER BY rowid LIMIT ?",
            (since, until, limit),
        )
        try:
            while page := cursor.fetchmany(PAGE):
                yield page
        finally:
            cursor.close()

    def stream_id(self, stored: str) -> str:
        """A stream column as ``read`` gives it, as ``str(UUID)``."""
        return str(UUID(stored)) if self._direct else stored

    # ------------------------------------------------------------------ the pull loop

    def catch_up(self, until: int | None = None) -> int:
        """Apply every stored event after the view's position (up to ``until``).

        Returns how many stored events were read. Each batch and the new position are written
        in one transaction; when another process moved the position meanwhile, the batch is
        dropped and reading resumes from the stored position. A long backlog in a SQLite file is
        decoded by worker processes (``workers``), one batch each, and written here in order.
        """
        with self._lock:
            if self._stale():
                self._open()  # another version took the view over: rebuild, never mix
            goal = self.records.max_position()
            if until is not None:
                goal = min(goal, until)
            read = 0
            while self._position < goal:
                if goal - self._position >= self.parallel_from and self._parallel_ok():
                    read += self._parallel(goal)
                else:
                    read += self._step(goal)
            return read

    def _stale(self) -> bool:
        """Whether the stored view was written by another version (or dropped) meanwhile."""
        with self.database.transaction() as cursor:
            stored = self._select_tracking(cursor)
        return stored is None or stored[1:] != (self.version, self.schema_version)

    def _commit(self, first: int, last: int, rows: list[Any]) -> int | None:
        """Write one batch and move the position from ``first`` to ``last``, in one transaction.

        Returns None when written, or the position another process stored meanwhile (then
        nothing is written, and reading resumes from there).
        """
        with self.database.transaction() as cursor:
            stored = self._select_tracking(cursor, lock=True)
            if stored is None or stored[1:] != (self.version, self.schema_version):
                return _STALE  # another version rebuilt the view: write nothing of ours
            current = stored[0]
            if current != first:
                return current
            self.write(cursor, rows)
            cursor.execute(
                self.database.sql(f"UPDATE {self.tracking} SET position = ? WHERE view = ?"),
                (last, self.name),
            )
        return None

    def _step(self, goal: int) -> int:
        start = self._position
        rows, count, last = self.rows(self.read(start, goal, self.batch))
        last = last if count == self.batch else goal
        moved = self._commit(start, last, rows)
        if moved == _STALE:
            self._open()
            return 0
        if moved is not None:
            self._position = moved
            return 0
        self._position = last
        self.processed += count
        return count

    # ------------------------------------------------------------------ parallel replay

    def _parallel_ok(self) -> bool:
        """Whether worker processes can decode: a SQLite file, plain state, workers > 1."""
        path = self.records.config.sqlite_path
        return (
            self.workers > 1
            and self._direct
            and path is not None
            and not path.startswith("file:")
            and self._worker_task() is not None
        )

    def _worker_task(self) -> Callable[[str, str, int, int], tuple[list[Any], int]] | None:
        """The module-level function a worker process runs on one batch (None: not supported)."""
        return None

    def _parallel(self, goal: int) -> int:
        """Replay ``(position, goal]``: workers decode batches; they are written here, in order."""
        task = self._worker_task()
        path = self.records.config.sqlite_path
        assert task is not None
        assert path is not None
        table = self.records.recorder.events_table_name
        start = self._position
        ranges = iter([(a, min(a + self.batch, goal)) for a in range(start, goal, self.batch)])
        # fork is quick and safe while this is the only thread; otherwise start afresh.
        method = "fork" if threading.active_count() == 1 else "spawn"
        if method not in multiprocessing.get_all_start_methods():
            method = "spawn"
        context = multiprocessing.get_context(method)
        written = 0
        with ProcessPoolExecutor(self.workers, mp_context=context) as pool:
            pending: deque[tuple[int, int, Future[tuple[list[Any], int]]]] = deque()

            def submit() -> None:
                span = next(ranges, None)
                if span is not None:
                    pending.append((*span, pool.submit(task, path, table, *span)))

            for _ in range(self.workers + 1):
                submit()
            while pending:
                first, last, future = pending.popleft()
                rows, count = future.result()
                moved = self._commit(first, last, rows)
                if moved is not None:
                    if moved == _STALE:
                        self._open()  # another version took the view over: rebuild
                    else:
                        self._position = moved
                    for *_, later in pending:
                        later.cancel()
                    break
                self._position = last
                written += count
                self.processed += count
                submit()
        return written

    def rebuild(self, until: int | None = None) -> int:
        """Drop the view and replay it from position 0 (up to ``until``).

        Returns how many stored events were read.
        """
        with self._lock:
            with self.database.transaction() as cursor:
                self._select_tracking(cursor, lock=True)
                self._reset(cursor)
            self._position = 0
            return self.catch_up(until)


class CapacityFactsView(CatchUpView):
    """The learning facts of every organisation, stored as compact per-stream segments.

    Each batch of stored events becomes, per organisation and stream, one row holding that
    stream's facts of the batch as a JSON array of records (see ``FactRecord``): values as stored,
    times as ISO text, no personal data. Rows of person streams are marked ``personal``, so a
    person's query reads their own rows plus the rows outside person streams, never everyone's.
    """

    name: ClassVar[str] = "capacity_facts"
    schema_version: ClassVar[int] = 4
    topics: ClassVar[Sequence[str]] = FACT_TOPICS

    def __init__(
        self, records: Records, *, version: str = MODEL_VERSION, workers: int | None = None
    ) -> None:
        self.table = records.database.table("capacity_fact_segments")
        mapper = records.mapper
        cipher, compressor = mapper.cipher, mapper.compressor
        self._decode: Callable[[bytes], bytes] | None = None
        if cipher is not None or compressor is not None:

            def decode(data: bytes) -> bytes:
                if cipher is not None:
                    data = cipher.decrypt(data)
                if compressor is not None:
                    data = compressor.decompress(data)
                return data

            self._decode = decode
        super().__init__(records, version=version, workers=workers)

    def create(self, cursor: Cursor) -> None:
        cursor.execute(
            f"CREATE TABLE IF NOT EXISTS {self.table} ("
            "organisation TEXT NOT NULL, subject TEXT NOT NULL, personal INTEGER NOT NULL, "
            "first_position BIGINT NOT NULL, last_position BIGINT NOT NULL, "
            f"facts {self._blob} NOT NULL, "
            "PRIMARY KEY (organisation, subject, first_position))"
        )
        cursor.execute(
            "CREATE INDEX IF NOT EXISTS capacity_fact_segments_personal "
            f"ON {self.table} (organisation, personal, first_position)"
        )

    @property
    def _blob(self) -> str:
        return "BYTEA" if self.database.dialect == "postgresql" else "BLOB"

    def drop(self, cursor: Cursor) -> None:
        cursor.execute(f"DROP TABLE IF EXISTS {self.table}")

    def _worker_task(self) -> Callable[[str, str, int, int], tuple[list[Any], int]] | None:
        return segments_of_sqlite_range if self._decode is None else None

    def rows(self, pages: Iterable[Sequence[StoredRow]]) -> tuple[list[SegmentRow], int, int]:
        builder = SegmentBuilder(self.stream_id, self._decode)
        for page in pages:
            builder.add(page)
        return builder.segments(), builder.count, builder.last

    def write(self, cursor: Cursor, rows: list[SegmentRow]) -> None:
        # A few hundred rows per statement: one round trip (and, in the writer thread, one
        # release of the GIL) per statement rather than per row.
        for start in range(0, len(rows), 500):
            chunk = rows[start : start + 500]
            values = ", ".join(["(?, ?, ?, ?, ?, ?)"] * len(chunk))
            cursor.execute(
                self.database.sql(f"INSERT INTO {self.table} VALUES {values}"),
                [value for row in chunk for value in row],
            )

    # ------------------------------------------------------------------ queries

    #: Segments read per statement by a query (a page of them is held at a time, not all).
    segment_page: ClassVar[int] = 200

    def _segments(self, where: str, params: Sequence[Any]) -> Iterator[tuple[str, str, bytes]]:
        """``(organisation, stream, facts)`` of the segments matching ``where``, read a page at
        a time in the order they were written (so a query never holds every stored segment).

        Segments are only ever appended, a batch in one transaction and after every earlier
        one, so paging on ``(first_position, subject)`` reads whole batches: those stored when
        the query began, and possibly whole later ones.
        """
        after: tuple[int, str] | None = None
        page = self.segment_page
        while True:
            clause, args = where, list(params)
            if after is not None:
                clause += " AND (first_position > ? OR (first_position = ? AND subject > ?))"
                args += [after[0], after[0], after[1]]
            with self.database.transaction() as cursor:
                cursor.execute(
                    self.database.sql(
                        f"SELECT organisation, subject, facts, first_position FROM {self.table} "
                        f"WHERE {clause} ORDER BY first_position, subject LIMIT {page}"
                    ),
                    args,
                )
                rows = cursor.fetchall()
            for row in rows:
                yield str(row[0]), str(row[1]), bytes(row[2])
            if len(rows) < page:
                return
            after = (int(rows[-1][3]), str(rows[-1][1]))

    def records_of(
        self,
        organisation: str,
        *,
        known_at: KnownAt = None,
        persons: Iterable[str] | None = None,
        shared: bool = True,
        keep: Callable[[str, FactRecord], bool] | None = None,
    ) -> list[tuple[str, str, FactRecord]]:
        """``(organisation, stream, record)`` of ``organisation``, by position (see ``facts``).

        ``persons`` limits the person streams read (None: all); ``shared=False`` leaves out the
        rows outside person streams; ``keep(stream, record)`` drops records before any parsing
        beyond the JSON (the stored segments are read a page at a time, so what is dropped is
        never held).
        """
        known_at = check_known_at(known_at)
        where = "organisation = ?"
        params: list[Any] = [organisation]
        if isinstance(known_at, int):
            where += " AND first_position <= ?"
            params.append(known_at)
        queries: list[tuple[str, list[Any]]] = []
        if shared:
            queries.append((where + " AND personal = 0", params))
        if persons is None:
            queries.append((where + " AND personal = 1", params))
        else:
            wanted = sorted(set(persons))
            for i in range(0, len(wanted), 500):
                chunk = wanted[i : i + 500]
                marks = ", ".join("?" * len(chunk))
                queries.append(
                    (f"{where} AND personal = 1 AND subject IN ({marks})", [*params, *chunk])
                )
        limit = known_at if isinstance(known_at, int) else None
        found: list[tuple[str, str, FactRecord]] = []
        with collector_paused():
            for clause, args in queries:
                found += [
                    (org, stream, record)
                    for org, stream, data in self._segments(clause, args)
                    for record in orjson.loads(data)
                    if (limit is None or record[0] <= limit)
                    and (keep is None or keep(stream, record))
                ]
            found.sort(key=_position)
        return found

    def facts(
        self,
        organisation: str,
        *,
        known_at: KnownAt = None,
        persons: Iterable[str] | None = None,
        shared: bool = True,
        keep: Callable[[str, FactRecord], bool] | None = None,
        catch_up: bool = True,
    ) -> list[Fact]:
        """The facts of ``organisation`` known at ``known_at``, in recording order.

        With ``persons``, only those persons' own streams (and, with ``shared``, everything
        outside person streams); ``keep`` filters records before they are parsed. Retractions
        are not applied (see ``live_facts``).
        """
        known_at = check_known_at(known_at)
        if catch_up:
            self.catch_up()
        found = self.records_of(
            organisation, known_at=known_at, persons=persons, shared=shared, keep=keep
        )
        with collector_paused():
            facts = [fact_from_record(org, stream, record) for org, stream, record in found]
        if isinstance(known_at, datetime):
            limit = known_at.timestamp()
            facts = [f for f in facts if f.recorded_at <= limit]
        return facts

    def has_stream(self, organisation: str, stream: str) -> bool:
        """Whether the stream has any fact in the view (a registered person or team does)."""
        where = "organisation = ? AND subject = ?"
        with self.database.transaction() as cursor:
            cursor.execute(
                self.database.sql(f"SELECT 1 FROM {self.table} WHERE {where} LIMIT 1"),
                (organisation, stream),
            )
            return cursor.fetchone() is not None

    def count(self) -> int:
        """How many facts the view holds."""
        total = 0
        with self.database.transaction() as cursor:
            cursor.execute(f"SELECT facts FROM {self.table}")
            for (data,) in cursor.fetchall():
                total += len(orjson.loads(bytes(data)))
        return total


def _position(item: tuple[str, str, FactRecord]) -> int:
    return int(item[2][0])


#: A row of the segment table: organisation, subject (stream id), personal (1 for a person's
#: own stream), first and last position, and the facts as a JSON array of records.
SegmentRow = tuple[str, str, int, int, int, bytes]


def _hex_stream_id(stored: str) -> str:
    return str(UUID(stored))


def segments_of_sqlite_range(
    path: str, table: str, since: int, until: int
) -> tuple[list[SegmentRow], int]:
    """Segment rows of the stored events in ``(since, until]`` of a SQLite store file.

    Run by the worker processes of a parallel replay: opens the file read-only, reads the
    range in pages and returns the rows and how many stored events it read.
    """
    connection = sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=SQLITE_LOCK_TIMEOUT)
    try:
        builder = SegmentBuilder(_hex_stream_id)
        cursor = connection.execute(
            f"SELECT rowid, originator_id, topic, state FROM {table} "
            "WHERE rowid > ? AND rowid <= ? ORDER BY rowid",
            (since, until),
        )
        while page := cursor.fetchmany(PAGE):
            builder.add(page)
        return builder.segments(), builder.count
    finally:
        connection.close()


_VIEWS: weakref.WeakKeyDictionary[Records, CapacityFactsView] = weakref.WeakKeyDictionary()
_VIEWS_LOCK = threading.Lock()


def capacity_view(records: Records) -> CapacityFactsView:
    """The capacity facts view of ``records`` (one per ``Records`` instance, opened once).

    The view holds a weak proxy of ``records``, so caching it keeps nothing alive.
    """
    with _VIEWS_LOCK:
        view = _VIEWS.get(records)
        if view is None:
            view = CapacityFactsView(weakref.proxy(records))
            _VIEWS[records] = view
        return view


__all__ = [
    "BATCH",
    "TRACKING_TABLE",
    "CapacityFactsView",
    "CatchUpView",
    "SegmentRow",
    "StoredRow",
    "capacity_view",
    "segments_of_sqlite_range",
]
