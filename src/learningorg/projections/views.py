"""Catch-up views: projections stored next to the events, kept current by a pull loop.

A catch-up view lives in learningorg's own tables of the store's database (SQLite or
PostgreSQL, through ``Records.database``). Its tracking position is written in the same
transaction as its rows, so a view never holds half a batch, and a new process resumes from the
stored position without reprocessing anything. A pull loop over ``Records.notifications`` keeps it
current (eventsourcing's ``ProjectionRunner`` does not run on SQLite); queries catch up first, so a
query right after a save sees that save. ``rebuild()`` drops the view and replays from position 0.
A view stored by another model version or view schema is rebuilt, never mixed.

``CapacityFactsView`` is the capacity projection's view: one compact row per relevant event (a
*learning fact*), decoded from the stored JSON with orjson, bypassing pydantic (projections layer).
"""

from __future__ import annotations

import heapq
import threading
import weakref
from collections.abc import Callable, Iterable, Iterator, Sequence
from datetime import datetime
from itertools import islice
from typing import Any, ClassVar

from learningorg.application import Records
from learningorg.persistence.database import Cursor, Database
from learningorg.projections.capacity.facts import (
    FACT_TOPICS,
    Fact,
    FactRow,
    fact_from_row,
    fact_row_from_state,
    kind_of,
)
from learningorg.projections.capacity.model import MODEL_VERSION
from learningorg.projections.history import KnownAt, check_known_at

TRACKING_TABLE = "learningorg_view_tracking"

#: Notifications read and written per transaction.
BATCH = 5_000


class CatchUpView:
    """A view in the store's database with its tracking position in the same transaction.

    Subclasses name the view, give its tables (``create`` / ``drop``) and turn a batch of stored
    notifications into rows (``rows`` / ``write``). ``version`` and ``schema_version`` are
    stored with the position: when either differs from the stored ones, the view is rebuilt.
    """

    name: ClassVar[str] = ""
    schema_version: ClassVar[int] = 1
    topics: ClassVar[Sequence[str]] = ()

    def __init__(self, records: Records, *, version: str = MODEL_VERSION) -> None:
        self.records = records
        self.database: Database = records.database
        self.version = version
        self.tracking = self.database.table(TRACKING_TABLE)
        self._lock = threading.RLock()
        self._position = 0
        #: Notifications this instance has read and applied (a restart that resumes reads none).
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

    def rows(self, notifications: Sequence[Any]) -> list[Any]:
        """The rows of a batch of stored notifications (``.id``, ``.topic``, ``.state``...)."""
        raise NotImplementedError

    def write(self, cursor: Cursor, rows: list[Any]) -> None:
        """Write the rows of one batch."""
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
        cursor.execute(
            self.database.sql(f"DELETE FROM {self.tracking} WHERE view = ?"), (self.name,)
        )
        cursor.execute(
            self.database.sql(
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

    # ------------------------------------------------------------------ the pull loop

    def _notifications(self, since: int, until: int) -> Iterator[Any]:
        return self.records.notifications(since=since, until=until, topics=self.topics)

    def catch_up(self, until: int | None = None) -> int:
        """Apply every notification after the view's position (up to ``until``).

        Returns how many notifications were applied. Each batch and the new position are
        written in one transaction; when another process moved the position meanwhile, the
        batch is dropped and reading resumes from the stored position.
        """
        with self._lock:
            goal = self.records.max_position()
            if until is not None:
                goal = min(goal, until)
            applied = 0
            while self._position < goal:
                start = self._position
                stream = self._notifications(start, goal)
                while True:
                    batch = list(islice(stream, BATCH))
                    last = batch[-1].id if len(batch) == BATCH else goal
                    rows = self.rows(batch)
                    with self.database.transaction() as cursor:
                        stored = self._select_tracking(cursor, lock=True)
                        current = stored[0] if stored is not None else 0
                        if current != start:
                            self._position = current
                            break
                        self.write(cursor, rows)
                        cursor.execute(
                            self.database.sql(
                                f"UPDATE {self.tracking} SET position = ? WHERE view = ?"
                            ),
                            (last, self.name),
                        )
                    self._position = start = last
                    applied += len(batch)
                    self.processed += len(batch)
                    if last >= goal:
                        break
            return applied

    def rebuild(self) -> int:
        """Drop the view and replay it from position 0; returns the notifications applied."""
        with self._lock:
            with self.database.transaction() as cursor:
                self._select_tracking(cursor, lock=True)
                self._reset(cursor)
            self._position = 0
            return self.catch_up()


class CapacityFactsView(CatchUpView):
    """The learning facts of every organisation: one compact row per relevant event.

    Rows hold the position, organisation, fact kind, event id, stream, the person whose stream
    it is (if any), both times as POSIX seconds and the fields the capacity model reads as
    compact JSON; never personal data. Queries read an organisation's facts (or one person's
    plus everything outside person streams) instead of decoding every event.
    """

    name: ClassVar[str] = "capacity_facts"
    schema_version: ClassVar[int] = 1
    topics: ClassVar[Sequence[str]] = FACT_TOPICS

    def __init__(self, records: Records, *, version: str = MODEL_VERSION) -> None:
        self.table = records.database.table("capacity_facts")
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
        super().__init__(records, version=version)

    def create(self, cursor: Cursor) -> None:
        position = (
            "INTEGER PRIMARY KEY" if self.database.dialect == "sqlite" else "BIGINT PRIMARY KEY"
        )
        cursor.execute(
            f"CREATE TABLE IF NOT EXISTS {self.table} ("
            f"position {position}, organisation TEXT NOT NULL, kind TEXT NOT NULL, "
            "event_id TEXT NOT NULL, stream TEXT NOT NULL, person TEXT, "
            "occurred_at DOUBLE PRECISION NOT NULL, recorded_at DOUBLE PRECISION NOT NULL, "
            "data TEXT NOT NULL)"
        )
        cursor.execute(
            "CREATE INDEX IF NOT EXISTS capacity_facts_org_person "
            f"ON {self.table} (organisation, person, position)"
        )

    def drop(self, cursor: Cursor) -> None:
        cursor.execute(f"DROP TABLE IF EXISTS {self.table}")

    def rows(self, notifications: Sequence[Any]) -> list[FactRow]:
        decode = self._decode
        found: list[FactRow] = []
        append = found.append
        for n in notifications:
            row = fact_row_from_state(n.id, n.topic, str(n.originator_id), n.state, decode)
            if row is not None:
                append(row)
        return found

    def write(self, cursor: Cursor, rows: list[FactRow]) -> None:
        if rows:
            cursor.executemany(
                self.database.sql(f"INSERT INTO {self.table} VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)"),
                rows,
            )

    # ------------------------------------------------------------------ queries

    def _select(self, where: str, params: Sequence[Any]) -> list[tuple[Any, ...]]:
        with self.database.transaction() as cursor:
            cursor.execute(
                self.database.sql(
                    "SELECT position, organisation, kind, event_id, stream, person, occurred_at, "
                    f"recorded_at, data FROM {self.table} WHERE {where} ORDER BY position"
                ),
                params,
            )
            return [tuple(row) for row in cursor.fetchall()]

    def facts(
        self,
        organisation: str,
        *,
        known_at: KnownAt = None,
        persons: Iterable[str] | None = None,
        catch_up: bool = True,
    ) -> list[Fact]:
        """The stored facts of ``organisation`` known at ``known_at``, in recording order.

        With ``persons``, only the facts outside person streams plus those of the given
        persons' own streams. Retractions are not applied (see ``live_facts``).
        """
        known_at = check_known_at(known_at)
        if catch_up:
            self.catch_up()
        where = "organisation = ?"
        params: list[Any] = [organisation]
        if isinstance(known_at, int):
            where += " AND position <= ?"
            params.append(known_at)
        elif isinstance(known_at, datetime):
            where += " AND recorded_at <= ?"
            params.append(known_at.timestamp())
        if persons is None:
            rows: Iterable[tuple[Any, ...]] = self._select(where, params)
        else:
            parts = [self._select(where + " AND person IS NULL", params)]
            wanted = sorted(set(persons))
            for i in range(0, len(wanted), 500):
                chunk = wanted[i : i + 500]
                marks = ", ".join("?" * len(chunk))
                parts.append(self._select(f"{where} AND person IN ({marks})", [*params, *chunk]))
            rows = heapq.merge(*parts, key=lambda row: int(row[0]))
        return [fact_from_row(row) for row in rows]

    def has_stream(self, organisation: str, stream: str, kind: str) -> bool:
        """Whether a fact of ``kind`` exists in ``stream`` (e.g. a registration)."""
        where = "organisation = ? AND stream = ? AND kind = ?"
        with self.database.transaction() as cursor:
            cursor.execute(
                self.database.sql(f"SELECT 1 FROM {self.table} WHERE {where} LIMIT 1"),
                (organisation, stream, kind),
            )
            return cursor.fetchone() is not None

    def count(self) -> int:
        """How many facts the view holds."""
        with self.database.transaction() as cursor:
            cursor.execute(f"SELECT COUNT(*) FROM {self.table}")
            return int(cursor.fetchone()[0])


_VIEWS: weakref.WeakKeyDictionary[Records, CapacityFactsView] = weakref.WeakKeyDictionary()
_VIEWS_LOCK = threading.Lock()


def capacity_view(records: Records) -> CapacityFactsView:
    """The capacity facts view of ``records`` (one per ``Records`` instance, opened once)."""
    with _VIEWS_LOCK:
        view = _VIEWS.get(records)
        if view is None:
            view = CapacityFactsView(records)
            _VIEWS[records] = view
        return view


__all__ = [
    "BATCH",
    "TRACKING_TABLE",
    "CapacityFactsView",
    "CatchUpView",
    "capacity_view",
    "kind_of",
]
