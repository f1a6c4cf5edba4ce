"""Import xAPI statements into a store: validate, map, record, idempotently (interop layer).

:func:`import_statements` reads a JSON array, a single statement or NDJSON (a path, a file
object, a stream of lines, or statements already parsed), validates each statement with
``learningorg.xapi.validate``, maps it with ``mapping.plan_statement`` and records it through
the commands of ``Records``. Every statement has its own outcome, counted in the
:class:`ImportSummary`: accepted, duplicate, conflicting or rejected.

Idempotency. A statement's events get ids derived from its id (``idempotency_key
"xapi:{statement id}"``), so recording it again stores nothing; a statement without an id gets a
deterministic one (``mapping.statement_id_for``). The statement log, a side table
``xapi_statements`` in the store's database, keeps per statement its body hash, its events, the
statement it voids and the statement as received. It is written after the events, so a crash
between the two leaves events without a row: the next run finds the events by their derived ids
and writes the row then (see ``docs/decisions/0501-xapi-import.md``).

Voiding. A voiding statement retracts the events of the statement it names, in their streams; when
the target has not arrived yet, it retracts the target's derived event id in the organisation
stream, so the target counts as voided when it comes. A voiding statement cannot be voided.

Fast path. Statements that map to simple person events (learning activities, reflections, ...) are
recorded in batches: the same aggregates build the same events, written many per transaction
through the application's event store. Everything else goes one by one through the commands. The
tests read what the one stores back through the other.
"""

from __future__ import annotations

import contextlib
import fcntl
import functools
import hashlib
import inspect
import io
import marshal
import math
import multiprocessing
import os
import pickle
import queue
import random
import sqlite3
import sys
import threading
import time
import weakref
from collections.abc import Callable, Generator, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import IO, Any, Final, Literal, TypeAlias, cast
from uuid import UUID, SafeUUID

import orjson
from pydantic import ValidationError
from pydantic_core import to_jsonable_python

from learningorg._collector import collector_paused, young_collection
from learningorg.application import EncodedEvent, Records
from learningorg.domain import events as ev
from learningorg.domain.aggregates import Aggregate, Organisation, Person, Team
from learningorg.domain.envelope import Envelope
from learningorg.domain.errors import (
    ConcurrencyError,
    InvalidInputError,
    LearningOrgError,
    StoreError,
)
from learningorg.domain.ids import Kind, derive_id
from learningorg.interop.xapi import profile as pf
from learningorg.interop.xapi.limits import (
    OversizeLine,
    bounded_lines,
    checked_lines,
    oversize_message,
    statement_problems,
)
from learningorg.interop.xapi.mapping import (
    PersonRef,
    Plan,
    StatementLink,
    Step,
    TeamRef,
    body_hash,
    context_extensions,
    plan_statement,
    statement_id_for,
)
from learningorg.interop.xapi.validator import Problem, validate
from learningorg.persistence.crypto import SEALED_FIELDS
from learningorg.persistence.database import SQLITE_LOCK_TIMEOUT, Database, use_bulk_settings

#: A JSON array or whole document larger than this is refused; NDJSON has no limit.
MAX_DOCUMENT_BYTES: Final = 256 * 1024 * 1024
#: Statements validated, looked up and recorded together.
BATCH_SIZE: Final = 20_000
#: The size of an import's first batch (then twice as large each time, up to the batch size).
_FIRST_BATCH: Final = 500
#: At most this many failures and notes are kept in a summary (the counts stay exact).
MAX_REPORTED: Final = 10_000
_IN_CHUNK: Final = 500
_ATTEMPTS: Final = 12
_MAX_AGGREGATES: Final = 20_000

Outcome = Literal["accepted", "duplicate", "conflicting", "rejected"]
Source: TypeAlias = (
    "str | os.PathLike[str] | bytes | IO[bytes] | IO[str] | Mapping[str, Any] | "
    "Sequence[Mapping[str, Any]] | Iterable[bytes] | Iterable[str]"
)


# ------------------------------------------------------------------ summary


@dataclass(frozen=True, slots=True)
class ImportItem:
    """The outcome of one statement that failed or carries a note.

    ``index`` counts statements from 0 in input order (the array index for a JSON array);
    ``line`` is the line number (from 1) for NDJSON input, else None.
    """

    index: int
    line: int | None
    statement_id: str | None
    outcome: Outcome
    problems: tuple[Problem, ...] = ()
    note: str = ""

    @property
    def where(self) -> str:
        """``line 37`` for NDJSON, ``index 4`` otherwise."""
        return f"line {self.line}" if self.line is not None else f"index {self.index}"

    def __str__(self) -> str:
        parts = [f"{self.where}: {self.outcome}"]
        if self.statement_id:
            parts.append(f"statement {self.statement_id}")
        parts.extend(f"{p.path or '/'}: {p.message}" for p in self.problems)
        if self.note:
            parts.append(self.note)
        return "; ".join(parts)


@dataclass(slots=True)
class ImportSummary:
    """What an import did: one count per outcome, the failures and the notes.

    ``accepted``: recorded now. ``duplicate``: already recorded (same statement id and body, or
    the same fact). ``conflicting``: a statement id already recorded with a different body;
    nothing changed. ``rejected``: invalid (malformed JSON, the validator's problems, a mapping or
    domain error); nothing recorded. ``failures`` lists conflicting and rejected items with
    their problems; ``notes`` remarks on accepted and duplicate ones (at most ``MAX_REPORTED``
    each; ``truncated`` says when more were left out).
    """

    accepted: int = 0
    duplicate: int = 0
    conflicting: int = 0
    rejected: int = 0
    failures: list[ImportItem] = field(default_factory=list)
    notes: list[ImportItem] = field(default_factory=list)
    truncated: bool = False

    @property
    def total(self) -> int:
        """Statements read."""
        return self.accepted + self.duplicate + self.conflicting + self.rejected

    def add(self, item: ImportItem, *, report: bool = False) -> None:
        """Count one outcome; keep it in ``failures`` or ``notes`` when it needs reporting."""
        if item.outcome == "accepted":
            self.accepted += 1
        elif item.outcome == "duplicate":
            self.duplicate += 1
        elif item.outcome == "conflicting":
            self.conflicting += 1
        else:
            self.rejected += 1
        failed = item.outcome in ("conflicting", "rejected")
        if not (failed or report or item.note):
            return
        target = self.failures if failed else self.notes
        if len(target) < MAX_REPORTED:
            target.append(item)
        else:
            self.truncated = True


@dataclass(frozen=True, slots=True)
class ImportProgress:
    """Handed to the progress callback after every batch."""

    statements: int
    bytes_read: int
    total_bytes: int | None
    accepted: int
    duplicate: int
    conflicting: int
    rejected: int


# ------------------------------------------------------------------ the statement log


@dataclass(frozen=True, slots=True)
class LoggedStatement:
    """A row of the statement log: what became of one imported statement."""

    statement_id: str
    body_hash: str
    how: str
    event_id: str | None
    events: tuple[tuple[UUID, UUID], ...]
    voids: str | None


class StatementLog:
    """The side table ``xapi_statements`` of one store's database.

    One row per imported statement and organisation: the body hash (duplicates and conflicts are
    found by primary key, never by a scan), ``how`` it was mapped, its main event id and every
    ``(stream id, event id)`` it recorded, the statement it voids, the person stream ids it
    names (for erasure) and the statement as received (None when its event keeps it).
    """

    def __init__(self, database: Database) -> None:
        self.database = database
        self.table = database.table("xapi_statements")
        with database.transaction() as cursor:
            cursor.execute(
                f"CREATE TABLE IF NOT EXISTS {self.table} ("
                "organisation TEXT NOT NULL, statement_id TEXT NOT NULL, "
                "body_hash TEXT NOT NULL, how TEXT NOT NULL, event_id TEXT, "
                "events TEXT NOT NULL, voids TEXT, persons TEXT NOT NULL, original TEXT, "
                "PRIMARY KEY (organisation, statement_id))"
            )
            index = "xapi_statements_voids"
            cursor.execute(
                f"CREATE INDEX IF NOT EXISTS {index} ON {self.table} (organisation, voids) "
                "WHERE voids IS NOT NULL"
            )
            index = "xapi_statements_event"
            cursor.execute(
                f"CREATE INDEX IF NOT EXISTS {index} ON {self.table} (organisation, event_id)"
            )

    def _select(
        self, columns: str, where: str, organisation: str, keys: Sequence[str]
    ) -> list[Any]:
        rows: list[Any] = []
        for start in range(0, len(keys), _IN_CHUNK):
            chunk = list(keys[start : start + _IN_CHUNK])
            marks = ", ".join("?" * len(chunk))
            sql = (
                f"SELECT {columns} FROM {self.table} "
                f"WHERE organisation = ? AND {where} IN ({marks})"
            )
            with self.database.transaction() as cursor:
                cursor.execute(self.database.sql(sql), (organisation, *chunk))
                rows.extend(cursor.fetchall())
        return rows

    def lookup(self, organisation: str, statement_ids: Sequence[str]) -> dict[str, LoggedStatement]:
        """The rows of ``statement_ids`` that exist."""
        columns = "statement_id, body_hash, how, event_id, events, voids"
        found = {}
        for sid, digest, how, event_id, events, voids in self._select(
            columns, "statement_id", organisation, statement_ids
        ):
            pairs = tuple((UUID(s), UUID(e)) for s, e in orjson.loads(events))
            found[sid] = LoggedStatement(sid, digest, how, event_id, pairs, voids)
        return found

    def hashes(self, organisation: str, statement_ids: Sequence[str]) -> dict[str, str]:
        """The body hashes of those of ``statement_ids`` that are logged."""
        rows = self._select("statement_id, body_hash", "statement_id", organisation, statement_ids)
        return {str(sid): str(digest) for sid, digest in rows}

    def voiders(self, organisation: str, statement_ids: Sequence[str]) -> dict[str, str]:
        """For each of ``statement_ids`` an imported statement voids: the voiding statement."""
        rows = self._select("voids, statement_id", "voids", organisation, statement_ids)
        return {str(target): str(sid) for target, sid in rows}

    def statement_ids(self, organisation: str, event_ids: Sequence[UUID]) -> dict[UUID, str]:
        """The statement whose main event each of ``event_ids`` is (imported events only)."""
        keys = [str(e) for e in event_ids]
        rows = self._select("event_id, statement_id", "event_id", organisation, keys)
        return {UUID(event_id): sid for event_id, sid in rows}

    def originals(self, organisation: str, statement_ids: Sequence[str]) -> dict[str, str]:
        """The statements as received (JSON text) of those that have their copy here."""
        rows = self._select("statement_id, original", "statement_id", organisation, statement_ids)
        return {sid: original for sid, original in rows if original is not None}

    def write(self, rows: Sequence[tuple[Any, ...]]) -> None:
        """Insert rows (as built by the importer); a row already there is left as it is."""
        if not rows:
            return
        sql = self.database.sql(
            f"INSERT INTO {self.table} (organisation, statement_id, body_hash, how, event_id, "
            "events, voids, persons, original) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) "
            "ON CONFLICT DO NOTHING"
        )
        with self.database.transaction() as cursor:
            if self.database.dialect == "sqlite":
                use_bulk_settings(cursor)
            cursor.executemany(sql, rows)

    def forget_person(self, organisation: str, person_id: UUID) -> int:
        """Drop the received copies of every statement naming ``person_id``; returns how many.

        Hashes and event ids stay, so duplicates are still recognised; an export then builds
        those statements from their events instead (pseudonymised once the person is erased).
        """
        where = "WHERE organisation = ? AND persons LIKE ? AND original IS NOT NULL"
        params = (organisation, f"%{person_id}%")
        with self.database.transaction() as cursor:
            cursor.execute(self.database.sql(f"SELECT COUNT(*) FROM {self.table} {where}"), params)
            count = int(cursor.fetchone()[0])
            cursor.execute(
                self.database.sql(f"UPDATE {self.table} SET original = NULL {where}"), params
            )
        return count


_LOGS: weakref.WeakKeyDictionary[Database, StatementLog] = weakref.WeakKeyDictionary()


def statement_log(records: Records) -> StatementLog:
    """The statement log of ``records``' store (created on first use)."""
    log = _LOGS.get(records.database)
    if log is None:
        log = _LOGS[records.database] = StatementLog(records.database)
    return log


def store_fingerprint(records: Records, organisation: str) -> str:
    """A keyed fingerprint of this store and organisation (see ``profile.EXPORTED_FROM``)."""
    return str(derive_id(records.secret, organisation, "event", "xapi:exported-from"))


def statement_event_id(records: Records, organisation: str, statement_id: str) -> UUID:
    """The id of the main event of the statement ``statement_id`` once imported."""
    return derive_id(records.secret, organisation, "event", f"xapi:{statement_id}")


def forget_person_statements(records: Records, organisation: str, person: str) -> int:
    """Drop the received copies of the statements that name ``person`` (a person key).

    Call it when erasing a person: the statement log keeps statements as received, with their
    identifiers and names in clear. Returns how many copies were dropped.
    """
    return statement_log(records).forget_person(
        organisation, records.person_id(organisation, person)
    )


# ------------------------------------------------------------------ reading the source


@dataclass(slots=True)
class _Raw:
    index: int
    line: int | None
    value: Any
    error: str | None
    size: int


def _as_lines(source: Any) -> tuple[Iterable[bytes | str], int | None, Callable[[], None]]:
    """Lines of a path, bytes, file object or iterable of lines; the total size when known."""
    if isinstance(source, str | os.PathLike):
        path = Path(source)
        if not path.is_file():
            msg = f"cannot import from {str(path)!r}: no such file; give a JSON or NDJSON file"
            raise InvalidInputError(msg)
        handle = path.open("rb")
        return bounded_lines(handle), path.stat().st_size, handle.close
    if isinstance(source, bytes | bytearray):
        return bounded_lines(io.BytesIO(source)), len(source), lambda: None
    if hasattr(source, "read"):
        total = None
        try:
            if source.seekable():
                here = source.tell()
                total = source.seek(0, io.SEEK_END) - here
                source.seek(here)
        except (OSError, AttributeError, ValueError):
            total = None
        lines = bounded_lines(source) if hasattr(source, "readline") else source
        return lines, total, lambda: None
    if isinstance(source, Iterable):
        return checked_lines(source), None, lambda: None
    msg = (
        f"cannot import from a {type(source).__name__}; give a path, bytes, a file object, "
        "an iterable of NDJSON lines, a statement (dict) or a list of statements"
    )
    raise InvalidInputError(msg)


def _too_big(size: int, limit: int) -> InvalidInputError:
    return InvalidInputError(
        f"the JSON document is larger than {limit:,} bytes (read {size:,} so far); "
        "write it as NDJSON (one statement a line), which is imported streamed at any size"
    )


def _parse_line(text: bytes | str) -> tuple[Any, str | None]:
    if isinstance(text, OversizeLine):  # skipped unread (limits.MAX_STATEMENT_BYTES)
        return None, oversize_message(text.size)
    try:
        return orjson.loads(text), None
    except orjson.JSONDecodeError as error:
        return None, f"malformed JSON: {error}"


def _read(source: Any, limit: int) -> tuple[Iterator[_Raw], int | None, Callable[[], None]]:
    """The statements of ``source`` one by one, with their index and line number."""
    if isinstance(source, Mapping):
        return iter([_Raw(0, None, source, None, 0)]), None, lambda: None
    if (
        isinstance(source, Sequence)
        and not isinstance(source, str | bytes | bytearray)
        and not (source and isinstance(source[0], str | bytes))
    ):
        items = [_Raw(i, None, s, None, 0) for i, s in enumerate(source)]
        return iter(items), None, lambda: None
    lines, total, close = _as_lines(source)
    return _split(iter(lines), limit), total, close


def _blank(text: bytes | str) -> bool:
    return not text.strip()


def _split(lines: Iterator[bytes | str], limit: int) -> Iterator[_Raw]:
    number = 0
    first: bytes | str = b""
    for first in lines:
        number += 1
        if not _blank(first):
            break
    else:
        return
    head = first.lstrip()[:1]
    if isinstance(first, OversizeLine):
        # Too long to be one statement or to read as a document: NDJSON, line by line.
        yield _Raw(0, number, None, oversize_message(first.size), first.size)
        yield from _ndjson(lines, number, 1)
        return
    if head in (b"[", "["):
        yield from _whole(first, lines, limit, number, array_only=True)
        return
    value, error = _parse_line(first)
    if error is None:
        yield _Raw(0, number, value, None, len(first))
        yield from _ndjson(lines, number, 1)
        return
    yield from _whole(first, lines, limit, number, array_only=False)


def _ndjson(lines: Iterable[bytes | str], number: int, index: int) -> Iterator[_Raw]:
    for text in lines:
        number += 1
        if _blank(text):
            continue
        value, error = _parse_line(text)
        yield _Raw(index, number, value, error, len(text))
        index += 1


def _whole(
    first: bytes | str, lines: Iterator[bytes | str], limit: int, number: int, *, array_only: bool
) -> Iterator[_Raw]:
    """A document that is not NDJSON: a JSON array, or one statement over several lines."""
    parts = [first]
    size = len(first)
    first_number = number
    if array_only and size > limit:
        raise _too_big(size, limit)
    for text in lines:
        parts.append(text)
        size += len(text)
        if size > limit:
            if array_only:
                raise _too_big(size, limit)
            # Too big for one statement: read it as NDJSON so each line gets its verdict.
            yield from _ndjson(parts, first_number - 1, 0)
            yield from _ndjson(lines, first_number - 1 + len(parts), _count(parts))
            return
    joined: bytes | str = b"".join(p if isinstance(p, bytes) else p.encode() for p in parts)
    value, error = _parse_line(joined)
    if error is None and isinstance(value, list):
        for i, item in enumerate(value):
            yield _Raw(i, None, item, None, 0)
        return
    if error is None:
        yield _Raw(0, None, value, None, size)
        return
    if array_only:
        yield _Raw(
            0, None, None, f"the JSON array is malformed: {error[len('malformed JSON: ') :]}", size
        )
        return
    yield from _ndjson(parts, first_number - 1, 0)


def _count(parts: Sequence[bytes | str]) -> int:
    return sum(1 for p in parts if not _blank(p))


# ------------------------------------------------------------------ the importer


def _prepared(raw: _Raw, version: str | None) -> _Item | ImportItem:
    """Check one statement as read: the item to record, or its rejection.

    Depends on nothing but ``raw`` and ``version``, so it may run in another process
    (see :func:`_pipelined`).
    """
    if raw.error is not None:
        problem = Problem("", "json.malformed", raw.error)
        return ImportItem(raw.index, raw.line, None, "rejected", (problem,))
    statement = raw.value
    # Bounds first (size, depth, group members): they keep the validator and hashing safe.
    problems = statement_problems(statement) or validate(statement, version)
    if problems:
        sid = statement.get("id") if isinstance(statement, dict) else None
        return ImportItem(
            raw.index, raw.line, sid if isinstance(sid, str) else None, "rejected", tuple(problems)
        )
    statement = dict(statement)
    if "id" in statement:
        uuid = UUID(statement["id"])
    else:
        uuid = statement_id_for(statement)
        statement["id"] = str(uuid)
    return _Item(raw, statement, str(uuid), body_hash(statement), uuid=uuid)


def _prepare_all(
    raws: Iterable[_Raw], version: str | None
) -> Iterator[tuple[int, _Item | ImportItem]]:
    """The statements of ``raws`` prepared in this process, each with its size in bytes."""
    for raw in raws:
        yield raw.size, _prepared(raw, version)


#: Messages of the preparing process: a chunk of prepared statements, an error, the end.
_CHUNK, _ERROR, _END = b"C", b"E", b"Z"
#: Statements per message of the preparing process.
_PIPELINE_CHUNK: Final = 250
#: Messages of the preparing process between two collections of the young generations.
_CHUNKS_PER_COLLECTION: Final = 20


def _parallel_possible() -> bool:
    """Whether a preparing process can be started cheaply here (fork, two CPUs or more that
    this process may use; not from a daemonic process, which may not have children)."""
    return (
        sys.platform == "linux"
        and len(os.sched_getaffinity(0)) > 1
        and not multiprocessing.current_process().daemon
    )


def _prepare_in_child(
    out_fd: int, in_fd: int, path: str, limit: int, version: str | None, ahead: _Prebuilder
) -> None:
    """The second process: read, parse, bound, validate, hash, map and build the events of
    the common statements; send the results in order, in chunks of plain values written by
    ``marshal`` (the same interpreter reads them: this process is a fork of the importing one).

    An item to record is ``(0, size, index, line, statement JSON, statement id, body hash,
    EXPORTED_FROM extension, plan, built)``, with ``plan`` from :func:`_compact_plan` and
    ``built`` from :meth:`_Prebuilder.build` (None when not made here); a rejection is ``(1,
    size, index, line, statement id, problems)``. Each message is framed by :func:`_send`.
    """
    os.close(in_fd)
    try:
        logged = ahead.logged()
        sent = 0
        with open(path, "rb") as handle:
            done: list[tuple[int, _Item | ImportItem]] = []
            for raw in _split(bounded_lines(handle), limit):
                done.append((raw.size, _prepared(raw, version)))
                if len(done) >= _PIPELINE_CHUNK:
                    _send(out_fd, _CHUNK, marshal.dumps(_chunk(done, ahead, logged)))
                    done = []
                    sent += 1
                    if sent % _CHUNKS_PER_COLLECTION == 0:
                        young_collection()  # the collector is paused here too (forked)
        if done:
            _send(out_fd, _CHUNK, marshal.dumps(_chunk(done, ahead, logged)))
        _send(out_fd, _END, b"")
    except BaseException as error:
        # Reported to the importing process (or nobody, when it is gone).
        with contextlib.suppress(BaseException):
            _send(out_fd, _ERROR, _pickled_error(error))
    finally:
        os.close(out_fd)


def _chunk(
    done: Sequence[tuple[int, _Item | ImportItem]],
    ahead: _Prebuilder,
    logged: Callable[[Sequence[str]], set[str]],
) -> list[tuple[Any, ...]]:
    """A message of the preparing process (see :func:`_prepare_in_child`). Statements the
    statement log holds already (duplicates, most likely) are sent without plan or events:
    the importing process decides, and plans them itself if it needs to."""
    known = logged([item.sid for _, item in done if type(item) is _Item])
    out: list[tuple[Any, ...]] = []
    for size, item in done:
        if type(item) is not _Item:
            assert isinstance(item, ImportItem)
            problems = [(p.path, p.rule, p.message, p.requirement) for p in item.problems]
            out.append((1, size, item.index, item.line, item.statement_id, problems))
            continue
        statement = item.statement
        compact = built = None
        if item.sid not in known:
            try:
                plan: Plan | None = plan_statement(statement)
            except Exception:  # the importing process plans it again and reports it
                plan = None
            compact = None if plan is None else _compact_plan(plan)
            built = None if compact is None else ahead.build(item, cast(Plan, plan))
        exported = context_extensions(statement).get(pf.EXPORTED_FROM)
        raw = item.raw
        out.append(
            (
                0,
                size,
                raw.index,
                raw.line,
                item.text(),
                item.sid,
                item.digest,
                exported if type(exported) is str else None,
                compact,
                built,
            )
        )
    return out


def _send(fd: int, kind: bytes, payload: bytes) -> None:
    """Write one message: its kind (one byte), its length (8 bytes) and ``payload``."""
    data = memoryview(kind + len(payload).to_bytes(8, "little") + payload)
    while data:
        data = data[os.write(fd, data) :]


def _compact_plan(plan: Plan) -> list[Any] | None:
    """A plan as plain values, when it is of the common kind that survives that unchanged (see
    :func:`_plan_from`): person events whose fields are text, numbers, booleans or None, no
    teams, references or problems. None otherwise (planned again where it is recorded)."""
    occurred_at = plan.occurred_at
    if (
        plan.how not in ("adl", "profile")
        or not plan.steps
        or plan.problems
        or plan.teams
        or plan.void_target is not None
        or plan.reason
        or type(occurred_at) is not datetime
    ):
        return None
    first = plan.steps[0]
    fields = first.fields
    if type(fields) is not dict:
        return None
    for value in fields.values():
        kind = type(value)
        if kind is float:
            if not math.isfinite(value):
                return None
        elif value is not None and kind is not str and kind is not int and kind is not bool:
            return None
    persons = []
    for step in plan.steps:
        subject = step.subject
        if (
            step.event_class is not first.event_class
            or step.fields is not fields
            or step.refs
            or step.competences != first.competences
            or step.values != first.values
            or type(subject) is not PersonRef
            or subject.pseudonym is not None
        ):
            return None
        persons.append([subject.identifier, subject.key, subject.name, subject.email])
    texts = (*first.competences, *first.values, *plan.notes)
    if not all(type(text) is str for text in texts):
        return None
    return [
        plan.how,
        occurred_at.isoformat(),
        first.event_class.TOPIC,
        fields,
        persons,
        list(first.competences),
        list(first.values),
        list(plan.notes),
    ]


def _plan_from(compact: list[Any], refs: dict[tuple[Any, ...], PersonRef] | None = None) -> Plan:
    """The plan :func:`_compact_plan` wrote, equal to the one it was made of; ``refs`` keeps
    the persons' references made so far, to be used again (they are immutable)."""
    how, occurred_at, topic, fields, persons, competences, values, notes = compact
    cls = ev.event_class(topic)
    competences, values = tuple(competences), tuple(values)
    if refs is None:
        refs = {}
    elif len(refs) > _MAX_AGGREGATES:
        refs.clear()
    steps = []
    for person in persons:
        identity = tuple(person)
        ref = refs.get(identity)
        if ref is None:
            identifier, key, name, email = identity
            ref = refs[identity] = PersonRef(identifier, key, None, name, email)
        steps.append(Step(cls, ref, fields, (), competences, values))
    return Plan(how, tuple(steps), datetime.fromisoformat(occurred_at), notes=tuple(notes))


def _pickled_error(error: BaseException) -> bytes:
    try:
        blob = pickle.dumps(error)
        pickle.loads(blob)
    except Exception:  # not picklable: sent as text
        blob = pickle.dumps(InvalidInputError(f"{type(error).__name__}: {error}"))
    return blob


def _pipelined(
    path: Path, limit: int, version: str | None, ahead: _Prebuilder
) -> Generator[tuple[int, _Item | ImportItem], None, None]:
    """What :func:`_prepare_all` gives for the statements of ``path``, prepared by a second
    process while this one records (two CPUs do the work of one import); the common
    statements come with their plans and their events' stored states (see ``ahead``)."""
    context = multiprocessing.get_context("fork")
    in_fd, out_fd = os.pipe()
    with contextlib.suppress(OSError):  # a larger buffer where the system allows it
        fcntl.fcntl(out_fd, _F_SETPIPE_SZ, _PIPE_BYTES)
    child = context.Process(
        target=_prepare_in_child,
        args=(out_fd, in_fd, str(path), limit, version, ahead),
        name="learningorg-xapi-prepare",
        daemon=True,
    )
    try:
        child.start()
    finally:
        os.close(out_fd)
    # A thread receives what the child writes as it comes, in large reads, so the child runs
    # ahead while this process writes a batch. (Reading message by message, each read waits
    # for this thread's turn to run Python; the child then waited on a full pipe.)
    received: queue.Queue[bytes] = queue.Queue(_BLOCKS_AHEAD)
    stop = threading.Event()
    receiver = threading.Thread(
        target=_receive, args=(in_fd, received, stop), name="learningorg-xapi-receive"
    )
    receiver.daemon = True
    receiver.start()
    messages = _messages(received)
    refs: dict[tuple[Any, ...], PersonRef] = {}
    try:
        for kind, message in messages:
            if kind == _END:
                return
            if kind == _ERROR:
                raise pickle.loads(message)
            for entry in marshal.loads(message):  # our own child's chunks
                if entry[0] == 0:
                    _, size, index, line, text, sid, digest, exported, compact, built = entry
                    raw = _Raw(index, line, None, None, size)
                    plan = None if compact is None else _plan_from(compact, refs)
                    item = _Item(
                        raw, None, sid, digest, plan, original=text, exported=exported, built=built
                    )
                    yield size, item
                else:
                    _, size, index, line, sid, problems = entry
                    found = tuple(Problem(*p) for p in problems)
                    yield size, ImportItem(index, line, sid, "rejected", found)
        child.join(5)
        msg = (
            f"the process preparing the statements of {str(path)!r} stopped (exit code "
            f"{child.exitcode}); what was read before is stored: run the import again "
            "(it is idempotent), or import with parallel=False"
        )
        raise StoreError(msg)
    finally:
        stop.set()
        if child.is_alive():
            child.terminate()
        child.join()
        while receiver.is_alive():  # it ends at the pipe's end, once it is not kept waiting
            with contextlib.suppress(queue.Empty):
                received.get(timeout=0.05)
        os.close(in_fd)


#: ``fcntl``'s F_SETPIPE_SZ (Linux), and the pipe buffer asked for: a second of reading or more.
_F_SETPIPE_SZ: Final = 1031
_PIPE_BYTES: Final = 1024 * 1024
#: Blocks (of up to ``_PIPE_BYTES``) received ahead of the importing process.
_BLOCKS_AHEAD: Final = 64


def _receive(fd: int, received: queue.Queue[bytes], stop: threading.Event) -> None:
    """Put what the preparing process writes into ``received``, then ``b""`` at its end."""
    while not stop.is_set():
        try:
            block = os.read(fd, _PIPE_BYTES)
        except OSError:
            block = b""
        received.put(block)
        if not block:
            return


def _messages(received: queue.Queue[bytes]) -> Iterator[tuple[bytes, bytearray]]:
    """The messages (kind, payload) framed by :func:`_send` in the blocks of ``received``;
    it ends early when the blocks end within a message (the child stopped)."""
    buffer = bytearray()
    start = 0
    while True:
        while len(buffer) - start >= 9:
            size = int.from_bytes(buffer[start + 1 : start + 9], "little")
            end = start + 9 + size
            if len(buffer) < end:
                break
            yield bytes(buffer[start : start + 1]), buffer[start + 9 : end]
            start = end
        block = received.get()
        if not block:
            return
        del buffer[:start]
        start = 0
        buffer += block


#: The stored states of a statement's events built by the preparing process, one per step,
#: each without its event id (see :class:`_Prebuilder`); None where it built none.
_Built: TypeAlias = "tuple[bytes | None, ...]"


class _Item:
    """A statement to record, with what was worked out for it before recording."""

    __slots__ = (
        "_statement",
        "_uuid",
        "built",
        "digest",
        "exported",
        "original",
        "plan",
        "raw",
        "sid",
    )

    def __init__(
        self,
        raw: _Raw,
        statement: dict[str, Any] | None,
        sid: str,
        digest: str,
        plan: Plan | None = None,
        *,
        uuid: UUID | None = None,
        original: str | None = None,
        exported: str | None = None,
        built: _Built | None = None,
    ) -> None:
        self.raw = raw
        self._statement = statement
        self._uuid = uuid
        self.sid = sid
        self.digest = digest
        #: The statement's plan when it was made beforehand (by the preparing process).
        self.plan = plan
        #: The statement's compact JSON (as orjson writes it), when it came that way.
        self.original = original
        #: Its ``EXPORTED_FROM`` context extension (given with ``original``).
        self.exported = exported
        #: Its steps' events built by the preparing process.
        self.built = built

    @property
    def statement(self) -> dict[str, Any]:
        """The statement (with its id), read from ``original`` when first asked for."""
        if self._statement is None:
            assert self.original is not None
            self._statement = orjson.loads(self.original)
        return self._statement

    @property
    def uuid(self) -> UUID:
        """The statement id as a UUID."""
        if self._uuid is None:
            self._uuid = UUID(self.sid)
        return self._uuid

    def text(self) -> str:
        """The statement's compact JSON, as the statement log keeps it."""
        if self.original is None:
            self.original = orjson.dumps(self.statement).decode()
        return self.original

    def exported_from(self) -> object:
        """The statement's ``EXPORTED_FROM`` context extension, if any."""
        if self.original is not None and self._statement is None:
            return self.exported
        return context_extensions(self.statement).get(pf.EXPORTED_FROM)

    def outcome(
        self, outcome: Outcome, problems: Sequence[Problem] = (), note: str = ""
    ) -> ImportItem:
        return ImportItem(self.raw.index, self.raw.line, self.sid, outcome, tuple(problems), note)


@dataclass(slots=True)
class _Recorded:
    """What recording one item did: its events, and notes for the summary."""

    events: list[tuple[UUID, UUID]] = field(default_factory=list)
    main: UUID | None = None
    persons: list[UUID] = field(default_factory=list)
    recovered: bool = False
    repeat: bool = False
    notes: list[str] = field(default_factory=list)


class _Rejected(Exception):  # noqa: N818 (carries problems to the item's outcome)
    def __init__(self, *problems: Problem) -> None:
        super().__init__(problems[0].message if problems else "rejected")
        self.problems = problems


def _domain_problem(error: Exception, path: str = "") -> Problem:
    rule = f"domain.{type(error).__name__}"
    return Problem(path, rule, str(error))


def _required(profile: pf.EventProfile) -> tuple[str, ...]:
    """The command's arguments without a default, besides the organisation and the subject."""
    signature = inspect.signature(getattr(Records, profile.command))
    streams = profile.event_class.STREAMS
    subject = "person" if streams == {"person"} else "team" if "team" in streams else ""
    skip = {"self", "organisation", "key", subject}
    return tuple(
        name
        for name, p in signature.parameters.items()
        if name not in skip
        and p.default is inspect.Parameter.empty
        and p.kind not in (p.VAR_KEYWORD, p.VAR_POSITIONAL)
    )


_REQUIRED: Final = {p.event_class: _required(p) for p in pf.PROFILE if hasattr(Records, p.command)}


def _validation_text(cls: type[ev.LearningEvent], error: ValidationError) -> str:
    parts = []
    for item in error.errors():
        where = ".".join(str(x) for x in item["loc"]) or "event"
        parts.append(f"{where}: {str(item['msg']).removeprefix('Value error, ')}")
    return f"{cls.__name__} rejected: " + "; ".join(parts)


class _Importer:
    """One run of :func:`import_statements`."""

    def __init__(
        self,
        records: Records,
        organisation: str,
        *,
        version: str | None,
        recorded_by: str,
        fast: bool,
    ) -> None:
        self.records = records
        self.org = organisation
        self.version = version
        self.recorded_by = recorded_by
        self.log = statement_log(records)
        self.org_id = records.organisation_id(organisation)
        self.fingerprint = store_fingerprint(records, organisation)
        self.summary = ImportSummary()
        self.persons: dict[str, tuple[UUID, str]] = {}
        self.teams: set[str] = set()
        self.voided: dict[str, str] = {}
        self.seen: dict[str, str] = {}
        self.rows: list[tuple[Any, ...]] = []
        #: The text of each person stream id written in the log so far.
        self.person_texts: dict[UUID, str] = {}
        self.fast = _FastPath(self) if fast else None

    # -------------------------------------------------------------- batches

    def run_batch(self, entries: Sequence[_Item | ImportItem]) -> None:
        """Record a batch of prepared statements (see :func:`_prepared`), in input order."""
        items: list[_Item] = []
        for entry in entries:
            if type(entry) is _Item:
                items.append(entry)
            else:
                assert isinstance(entry, ImportItem)
                self.summary.add(entry)
        sids = [i.sid for i in items]
        self.seen.update(self.log.hashes(self.org, sids))
        self.voided.update(self.log.voiders(self.org, sids))
        for item in items:
            self._process(item)
        self.flush()
        self.seen.clear()

    def flush(self) -> None:
        """Save what the fast path built, then the statement log rows of what was recorded."""
        if self.fast is not None:
            self.fast.flush()
        rows, self.rows = self.rows, []
        self.log.write(rows)

    def _process(self, item: _Item) -> None:
        known = self.seen.get(item.sid)
        if known is not None:
            if known == item.digest:
                self.summary.add(item.outcome("duplicate"))
            else:
                problem = Problem(
                    "/id",
                    "statement.conflict",
                    f"statement {item.sid} was already imported with a different body; "
                    "nothing was changed (a statement is immutable: send a new id, or void it)",
                )
                self.summary.add(item.outcome("conflicting", (problem,)))
            return
        if item.exported_from() == self.fingerprint:
            self.seen[item.sid] = item.digest
            note = "exported from this store and organisation: already recorded"
            self.summary.add(item.outcome("duplicate", note=note))
            return
        try:
            plan = item.plan if item.plan is not None else plan_statement(item.statement)
        except (KeyError, TypeError, ValueError) as error:
            problem = Problem("", "mapping.error", f"the statement cannot be mapped: {error}")
            plan = Plan("generic", problems=(problem,))
        if plan.problems:
            self.summary.add(item.outcome("rejected", plan.problems))
            return
        self.seen[item.sid] = item.digest
        if (
            self.fast is not None
            and plan.how != "voiding"
            and item.sid not in self.voided
            and ((item.built is not None and all(item.built)) or self.fast.accepts(plan))
        ):
            self.fast.add(item, plan)
            return
        self.flush()
        self.record_slowly(item, plan)

    def _touched(self, done: _Recorded | None) -> None:
        """Forget the fast path's copies of streams the commands just wrote to."""
        if self.fast is None:
            return
        if done is None:
            self.fast.aggregates.clear()
            return
        for stream_id, _ in done.events:
            self.fast.aggregates.pop(stream_id, None)
        for person_id in done.persons:
            self.fast.aggregates.pop(person_id, None)

    # -------------------------------------------------------------- one by one

    def record_slowly(self, item: _Item, plan: Plan) -> None:
        """Record one statement through the commands of ``Records`` and log it."""
        try:
            if plan.how == "voiding":
                done = self._void(item, plan)
            else:
                done = self._record_plan(item, plan)
        except _Rejected as rejected:
            self._touched(None)
            self.seen.pop(item.sid, None)
            self.summary.add(item.outcome("rejected", rejected.problems))
            return
        self._touched(done)
        self._log(item, plan, done)
        self._count(item, done)

    def _count(self, item: _Item, done: _Recorded) -> None:
        notes = "; ".join(done.notes)
        if done.recovered:
            note = "recorded by an earlier, interrupted import; logged now"
            self.summary.add(item.outcome("duplicate", note="; ".join(filter(None, [note, notes]))))
        elif done.repeat:
            note = "the same fact is already recorded (by another statement); nothing new stored"
            self.summary.add(item.outcome("duplicate", note="; ".join(filter(None, [note, notes]))))
        elif notes:
            self.summary.add(item.outcome("accepted", note=notes))
        else:
            self.summary.accepted += 1  # nothing to report: counted without an ImportItem

    def _log(self, item: _Item, plan: Plan, done: _Recorded) -> None:
        # Rows are written after their events, a batch at a time (see flush()).
        self.rows.append(self.row(item, plan, done))

    def row(self, item: _Item, plan: Plan, done: _Recorded) -> tuple[Any, ...]:
        """The statement log row of one recorded item."""
        main = None if done.main is None else str(done.main)
        # orjson writes a UUID as str() does.
        events = orjson.dumps([[s, e] for s, e in done.events]).decode()
        original = None if plan.how == "generic" else item.text()
        voids = str(plan.void_target) if plan.void_target is not None else None
        texts = self.person_texts
        if len(texts) > _MAX_AGGREGATES:
            texts.clear()
        names = []
        for person in done.persons:
            text = texts.get(person)
            if text is None:
                text = texts[person] = str(person)
            names.append(text)
        persons = " ".join(dict.fromkeys(names))
        return (self.org, item.sid, item.digest, plan.how, main, events, voids, persons, original)

    def meta(
        self, item: _Item, key: str, occurred_at: datetime, step: Step | None
    ) -> dict[str, Any]:
        """The ``EventMeta`` of one event of ``item``."""
        meta: dict[str, Any] = {
            "occurred_at": occurred_at,
            "idempotency_key": key,
            "recorded_by": self.recorded_by,
            "source_statement_id": item.uuid,
        }
        if step is not None:
            meta["refs"] = tuple(self.link(r) for r in step.refs)
            meta["competences"] = step.competences
            meta["values"] = step.values
        return meta

    def link(self, link: StatementLink) -> UUID:
        """The event id a statement reference stands for (whether or not it arrived yet)."""
        return statement_event_id(self.records, self.org, str(link.statement_id))

    def _record_plan(self, item: _Item, plan: Plan) -> _Recorded:
        done = _Recorded()
        occurred_at = plan.occurred_at or self.records.now()
        try:
            for team in plan.teams:
                self.team_key(team, item, occurred_at)
        except LearningOrgError as error:
            raise _Rejected(_domain_problem(error, "/context")) from None
        for n, step in enumerate(plan.steps):
            key = _step_key(item.sid, n)
            try:
                try:
                    self._run_step(item, step, key, occurred_at, done)
                except (LearningOrgError, TypeError, ValueError) as error:
                    raise _Rejected(_domain_problem(error)) from None
                if n == 0:
                    done.main = done.events[0][1] if done.events else None
            except _Rejected as rejected:
                if n == 0:
                    raise
                reason = "; ".join(p.message for p in rejected.problems)
                done.notes.append(f"member {n + 1} of the Group actor was not recorded: {reason}")
        if plan.notes:
            done.notes.extend(plan.notes)
        voider = self.voided.get(item.sid)
        if voider is not None:
            self._late_void(item, voider, done, occurred_at, plan)
        return done

    def _run_step(
        self, item: _Item, step: Step, key: str, occurred_at: datetime, done: _Recorded
    ) -> None:
        cls = step.event_class
        profile = pf.BY_EVENT[cls]
        command = profile.command
        fields = dict(step.fields)
        missing = [n for n in _REQUIRED.get(cls, ()) if n not in fields]
        if missing and cls not in (
            ev.OrganisationRegistered,
            ev.PersonRegistered,
            ev.TeamRegistered,
        ):
            iris = ", ".join(pf.extension(n) for n in missing)
            problem = Problem(
                "/context/extensions",
                "profile.missing-extension",
                f"{cls.__name__} needs the context extension(s) {iris}",
            )
            raise _Rejected(problem)
        meta = self.meta(item, key, occurred_at, step)
        kwargs = {
            name: self.resolve(value, item, occurred_at, done) for name, value in fields.items()
        }
        records = self.records
        if cls is ev.OrganisationRegistered:
            result = records.register_organisation(self.org, kwargs.get("name"), **meta)
        elif cls is ev.PersonRegistered:
            assert isinstance(step.subject, PersonRef)
            result = self._register_person(step.subject, kwargs, meta, item, done)
            if result is None:
                done.repeat = True
                return
        elif cls is ev.TeamRegistered:
            assert isinstance(step.subject, TeamRef)
            team = step.subject
            if self.team_exists(team.key):
                done.repeat = True
                return
            name = kwargs.get("name") or team.name or team.key
            result = records.register_team(
                self.org, team.key, name, parent=kwargs.get("parent"), **meta
            )
            self.teams.add(team.key)
        else:
            subject: dict[str, Any] = {}
            if isinstance(step.subject, PersonRef):
                person_key = self.person(step.subject, item, occurred_at, done)[1]
                subject["person"] = person_key
            elif isinstance(step.subject, TeamRef):
                subject["team"] = self.team_key(step.subject, item, occurred_at)
            elif "team" in cls.STREAMS:
                subject["team"] = None
            result = getattr(records, command)(self.org, **subject, **kwargs, **meta)
        event_id = derive_id(records.secret, self.org, "event", key)
        if result.recorded:
            done.events.append((result.stream_id, event_id))
        elif any(e.event_id == event_id for e in records.stream_events(result.stream_id)):
            done.events.append((result.stream_id, event_id))
            done.recovered = True
        else:
            done.repeat = True

    def resolve(self, value: Any, item: _Item, occurred_at: datetime, done: _Recorded) -> Any:
        """A command argument: persons and teams by key (created on first sight), links as ids."""
        if isinstance(value, PersonRef):
            return self.person(value, item, occurred_at, done)[1]
        if isinstance(value, TeamRef):
            return self.team_key(value, item, occurred_at)
        if isinstance(value, StatementLink):
            return self.link(value)
        if isinstance(value, tuple) and any(
            isinstance(v, PersonRef | TeamRef | StatementLink) for v in value
        ):
            return tuple(self.resolve(v, item, occurred_at, done) for v in value)
        return value

    # -------------------------------------------------------------- persons and teams

    def derived_key(self, identifier: str) -> str:
        """The person key of a person first seen by ``identifier``: ``xapi-`` + a keyed hash."""
        return f"xapi-{derive_id(self.records.secret, self.org, 'identifier', identifier)}"

    def find_person(self, ref: PersonRef) -> tuple[UUID, str] | None:
        """The person ``ref`` names, if they exist: (stream id, key)."""
        cached = self.persons.get(ref.identifier)
        if cached is not None:
            return cached
        found: tuple[UUID, str] | None = None
        if ref.key is not None:
            key = ref.key.strip()
            person_id = self.records.person_id(self.org, key)
            if self._person_key_of(person_id) is not None:
                found = (person_id, key)
        elif ref.pseudonym is not None:
            key_of = self._person_key_of(ref.pseudonym)
            if key_of is not None:
                found = (ref.pseudonym, key_of)
        if found is None:
            linked = self.records.person_by_identifier(self.org, ref.identifier)
            if linked is not None:
                key_of = self._person_key_of(linked)
                if key_of is not None:
                    found = (linked, key_of)
        if found is not None:
            self.persons[ref.identifier] = found
        return found

    def _person_key_of(self, person_id: UUID) -> str | None:
        stream = self.records.stream_events(person_id)
        first = stream[0] if stream else None
        if isinstance(first, ev.PersonRegistered) and first.organisation == self.org:
            return first.key
        return None

    def new_person_key(self, ref: PersonRef) -> str:
        """The key a person first seen as ``ref`` is registered under."""
        return ref.key.strip() if ref.key is not None else self.derived_key(ref.identifier)

    def needs_link(self, ref: PersonRef, email: str | None) -> bool:
        """Whether ``ref``'s identifier must be linked for personas to find the person."""
        if ref.key is not None:
            return False
        return not (ref.email is not None and email is not None and ref.email == email.lower())

    def person(
        self, ref: PersonRef, item: _Item, occurred_at: datetime, done: _Recorded
    ) -> tuple[UUID, str]:
        """The person ``ref`` names, registered (and their identifier linked) on first sight."""
        found = self.find_person(ref)
        if found is None:
            key = self.new_person_key(ref)
            meta = self.meta(item, f"xapi:register:{ref.identifier}", occurred_at, None)
            self.records.register_person(self.org, key, name=ref.name, email=ref.email, **meta)
            if self.needs_link(ref, ref.email):
                meta = self.meta(item, f"xapi:link:{ref.identifier}", occurred_at, None)
                self.records.link_identifier(self.org, key, ref.identifier, **meta)
            found = (self.records.person_id(self.org, key), key)
            self.persons[ref.identifier] = found
        done.persons.append(found[0])
        return found

    def _register_person(
        self,
        ref: PersonRef,
        kwargs: dict[str, Any],
        meta: dict[str, Any],
        item: _Item,
        done: _Recorded,
    ) -> Any:
        """A ``registered-person`` statement: register the actor unless they exist already."""
        found = self.find_person(ref)
        if found is not None:
            done.persons.append(found[0])
            event_id = derive_id(self.records.secret, self.org, "event", meta["idempotency_key"])
            if any(e.event_id == event_id for e in self.records.stream_events(found[0])):
                done.events.append((found[0], event_id))
                done.recovered = True
            return None
        key = kwargs.get("key") or self.new_person_key(ref)
        email = kwargs.get("email", ref.email)
        result = self.records.register_person(
            self.org, key, name=kwargs.get("name", ref.name), email=email, **meta
        )
        key = key.strip()
        if self.needs_link(ref, email) or (ref.key is not None and ref.key.strip() != key):
            link_meta = self.meta(item, f"xapi:link:{ref.identifier}", meta["occurred_at"], None)
            self.records.link_identifier(self.org, key, ref.identifier, **link_meta)
        found = (self.records.person_id(self.org, key), key)
        self.persons[ref.identifier] = found
        done.persons.append(found[0])
        return result

    def team_exists(self, key: str) -> bool:
        """Whether the team ``key`` is registered."""
        if key in self.teams:
            return True
        stream = self.records.stream_events(self.records.team_id(self.org, key.strip()))
        if stream:
            self.teams.add(key)
        return bool(stream)

    def team_key(self, ref: TeamRef, item: _Item, occurred_at: datetime) -> str:
        """The key of the team ``ref`` names, registered on first sight."""
        if not self.team_exists(ref.key):
            meta = self.meta(item, f"xapi:team:{ref.key}", occurred_at, None)
            self.records.register_team(self.org, ref.key, ref.name or ref.key, **meta)
            self.teams.add(ref.key)
        return ref.key

    # -------------------------------------------------------------- voiding

    def _void(self, item: _Item, plan: Plan) -> _Recorded:
        target = str(plan.void_target)
        if target == item.sid:
            raise _Rejected(Problem("/object/id", "voiding.self", "a statement cannot void itself"))
        self.flush()
        row = self.log.lookup(self.org, [target]).get(target)
        if row is not None and row.how == "voiding":
            problem = Problem(
                "/object/id",
                "voiding.target-is-voiding",
                f"statement {target} is itself a voiding statement, and a voiding statement "
                "cannot be voided (xAPI Data 2.3.2); nothing was changed",
            )
            raise _Rejected(problem)
        done = _Recorded()
        occurred_at = plan.occurred_at or self.records.now()
        reason = plan.reason or f"voided by xAPI statement {item.sid}"
        targets = list(row.events) if row is not None and row.events else []
        if not targets:
            targets = [(self.org_id, statement_event_id(self.records, self.org, target))]
            if row is None:
                done.notes.append(
                    f"statement {target} has not been imported yet; it counts as voided "
                    "when it arrives"
                )
        for n, (stream_id, event_id) in enumerate(targets):
            key = f"xapi:{item.sid}" if n == 0 else f"xapi:{item.sid}/{n}"
            meta = self.meta(item, key, occurred_at, None)
            retraction = self.append_retraction(stream_id, event_id, reason, meta)
            done.events.append((stream_id, retraction))
            if n == 0:
                done.main = retraction
        self.voided[target] = item.sid
        voider = self.voided.get(item.sid)
        if voider is not None:
            self._late_void(item, voider, done, occurred_at, plan)
        return done

    def _late_void(
        self, item: _Item, voider: str, done: _Recorded, occurred_at: datetime, plan: Plan
    ) -> None:
        """``item`` arrives after the statement that voids it: retract its events in place."""
        if plan.how == "voiding":
            done.notes.append(
                f"statement {voider} voids this voiding statement, which has no effect "
                "(a voiding statement cannot be voided)"
            )
            return
        reason = f"voided by xAPI statement {voider}"
        for n, (stream_id, event_id) in enumerate(done.events):
            meta = self.meta(item, f"xapi:{voider}:late:{n}", occurred_at, None)
            meta["source_statement_id"] = UUID(voider)
            self.append_retraction(stream_id, event_id, reason, meta)
        done.notes.append(f"voided by statement {voider}, which arrived earlier")

    def append_retraction(
        self, stream_id: UUID, event_id: UUID, reason: str, meta: dict[str, Any]
    ) -> UUID:
        """Record ``EventRetracted`` of ``event_id`` in ``stream_id``; the target need not exist.

        ``Records.retract`` looks the target up first; a voiding statement may come before its
        target, so this writes through the aggregate and the event store directly, with the same
        envelope, idempotency and retries as the commands.
        """
        fields = {"retracted_event_id": event_id, "reason": reason}
        return append_event(self.records, self.org, stream_id, ev.EventRetracted, meta, fields)


def _aggregate_class(
    records: Records, organisation: str, stream: list[ev.LearningEvent], stream_id: UUID
) -> type[Aggregate]:
    if stream_id == records.organisation_id(organisation):
        return Organisation
    if stream and isinstance(stream[0], ev.TeamRegistered):
        return Team
    return Person


class _KeyedIds:
    """``derive_id(secret, organisation, kind, key)`` for many keys: the keyed hash of the
    fixed parts is computed once and copied for each key (the same ids, several times faster)."""

    def __init__(self, secret: bytes, organisation: str, kind: Kind) -> None:
        # HMAC-SHA256 (RFC 2104) spelt out on hashlib objects, so that both hash states can be
        # prepared once: inner = H(key ^ ipad || prefix ...), outer = H(key ^ opad || inner).
        block = hashlib.sha256().block_size
        key = hashlib.sha256(secret).digest() if len(secret) > block else secret
        key = key.ljust(block, b"\0")
        self._inner = hashlib.sha256(bytes(b ^ 0x36 for b in key))
        self._outer = hashlib.sha256(bytes(b ^ 0x5C for b in key))
        for part in (organisation, kind):
            data = part.encode("utf-8")
            self._inner.update(len(data).to_bytes(4, "big") + data)

    def __call__(self, key: str) -> UUID:
        inner = self._inner.copy()
        data = key.encode("utf-8")
        inner.update(len(data).to_bytes(4, "big") + data)
        outer = self._outer.copy()
        outer.update(inner.digest())
        number = int.from_bytes(outer.digest()[:16], "big")
        # Version 8 and the RFC 9562 variant, as derive_id sets them.
        number = (number & ~(0xF000 << 64)) | (0x8000 << 64)
        number = (number & ~(0xC000 << 48)) | (0x8000 << 48)
        # What UUID(int=number) builds, without its argument checks.
        uuid = object.__new__(UUID)
        object.__setattr__(uuid, "int", number)
        object.__setattr__(uuid, "is_safe", SafeUUID.unknown)
        return uuid


_IDS: dict[tuple[bytes, str, str], _KeyedIds] = {}


def _keyed_ids(secret: bytes, organisation: str, kind: Kind) -> _KeyedIds:
    ids = _IDS.get((secret, organisation, kind))
    if ids is None:
        if len(_IDS) > 64:
            _IDS.clear()
        ids = _IDS[(secret, organisation, kind)] = _KeyedIds(secret, organisation, kind)
    return ids


def envelope_for(records: Records, organisation: str, meta: Mapping[str, Any]) -> Envelope:
    """The envelope ``Records`` gives an event recorded with ``meta`` (an idempotency key)."""
    return Envelope(
        event_id=_keyed_ids(records.secret, organisation, "event")(meta["idempotency_key"]),
        organisation=organisation,
        occurred_at=meta["occurred_at"],
        recorded_at=records.now(),
        recorded_by=meta.get("recorded_by", records.recorded_by),
        source_statement_id=meta.get("source_statement_id"),
        refs=tuple(meta.get("refs", ())),
        competences=tuple(meta.get("competences", ())),
        values=tuple(meta.get("values", ())),
    )


def append_event(
    records: Records,
    organisation: str,
    stream_id: UUID,
    event_class: type[ev.LearningEvent],
    meta: Mapping[str, Any],
    fields: Mapping[str, Any],
) -> UUID:
    """Append one event to an existing stream, idempotently (by ``meta["idempotency_key"]``).

    Uses the public machinery below the commands: the stream is replayed into its aggregate,
    which builds the event (``Aggregate.trigger``), and the application's event store saves it;
    a concurrent write to the same stream is retried. Returns the event id.
    """
    envelope = envelope_for(records, organisation, meta)
    for attempt in range(_ATTEMPTS):
        stream = records.stream_events(stream_id)
        if not stream:
            msg = f"stream {stream_id} does not exist in organisation {organisation!r}"
            raise StoreError(msg)
        cls = _aggregate_class(records, organisation, stream, stream_id)
        aggregate = cls.replay(stream_id, organisation, stream)
        if aggregate.has_event(envelope.event_id):
            return envelope.event_id
        aggregate.trigger(event_class, envelope, **fields)
        try:
            records.save_events(aggregate.collect_events())
        except ConcurrencyError:
            time.sleep(random.uniform(0, min(0.2, 0.005 * 2**attempt)))
            continue
        return envelope.event_id
    msg = f"gave up appending {event_class.__name__} to stream {stream_id}: it kept changing"
    raise StoreError(msg)


# ------------------------------------------------------------------ the fast path

#: Commands the fast path records itself: person events whose command only builds its payload.
_FAST: Final[dict[type[ev.LearningEvent], Callable[[Mapping[str, Any]], dict[str, Any]]]] = {
    ev.LearningActivityCompleted: lambda k: {
        "mode": k["mode"],
        "kind": k.get("kind", "course"),
        "title": k.get("title"),
        "hours": k.get("hours", 0.0),
        "points": k.get("points", 0.0),
        "accreditation_ref": k.get("accreditation_ref"),
        "practice_id": k.get("practice_id"),
        "statement": k.get("statement"),
    },
    ev.ReflectionLogged: lambda k: {
        "minutes": k["minutes"],
        "form": k.get("form", "self"),
        "dimensions": tuple(dict.fromkeys(k.get("dimensions", ()))),
        "loop": k.get("loop", "single"),
        "note": k.get("note"),
    },
    ev.ExperienceRecorded: lambda k: {
        "kind": k["kind"],
        "uncertainty": k["uncertainty"],
        "note": k.get("note"),
    },
    ev.AssumptionRevised: lambda k: {"before": k.get("before"), "after": k.get("after")},
    ev.ExternalKnowledgeAcquired: lambda k: {"source": k["source"], "origin": k.get("origin", "")},
    ev.RegistrationChanged: lambda k: {
        "register_name": k["register_name"],
        "number": k.get("number"),
        "period_start": k["period_start"],
        "period_end": k["period_end"],
        "status": k.get("status", "registered"),
    },
    ev.WorkHoursAttested: lambda k: {
        "period_start": k["period_start"],
        "period_end": k["period_end"],
        "hours": k["hours"],
        "client_contact_hours": k.get("client_contact_hours", 0.0),
    },
}

#: The model validators of the fast classes, all of them checks of payload fields only. The
#: payload cache (:class:`_EventBuilder`) relies on that; a test holds this list to the classes.
PAYLOAD_ONLY_VALIDATORS: Final = {
    ev.RegistrationChanged: ("_period_in_order",),
    ev.WorkHoursAttested: ("_consistent",),
}
#: What the importer resolves in a step's fields (persons, teams, statements by reference).
_REFERENCES: Final = (PersonRef, TeamRef, StatementLink)
#: The envelope's fields as the fast path gives them, and every event's first fields.
_ENVELOPE_FIELDS: Final = (
    "event_id",
    "organisation",
    "occurred_at",
    "recorded_at",
    "recorded_by",
    "source_statement_id",
    "refs",
    "competences",
    "values",
)
_BASE_FIELDS: Final = ("originator_id", "originator_version", *_ENVELOPE_FIELDS)
#: Distinct payloads the builder remembers per import (then it starts again).
_MAX_PAYLOADS: Final = 50_000
#: Times a batch is built again after another writer changed one of its streams.
_BATCH_ATTEMPTS: Final = 4


def _direct(
    cls: type[ev.LearningEvent], values: dict[str, Any], fields_set: set[str]
) -> ev.LearningEvent:
    """An event made of values that validation already produced: what ``model_construct``
    does, without its per-field work (and without any checking)."""
    event = cls.__new__(cls)
    object.__setattr__(event, "__dict__", values)
    object.__setattr__(event, "__pydantic_fields_set__", fields_set)
    object.__setattr__(event, "__pydantic_extra__", None)
    object.__setattr__(event, "__pydantic_private__", None)
    return event


def _typed(value: object) -> object:
    """``value`` for a cache key: the items of a tuple with their types."""
    if isinstance(value, tuple):
        return tuple([(type(v), _typed(v)) for v in value])
    return value


class _EventBuilder:
    """Builds the fast path's events, validating each distinct payload once.

    The first event with a given payload (its class, its fields' names, values and types) is
    built by pydantic with full validation, exactly as ``Aggregate.trigger`` builds it. Later events
    with the same payload reuse the validated payload values and get an envelope whose values
    already have the types validation gives them (UUIDs, aware datetimes, tuples, strings), so
    they are put together without validating again. The events are equal, field by field, to
    validated ones; ``tests/unit/test_xapi_fast_import.py`` checks it for every fast class.
    """

    def __init__(self) -> None:
        self.payloads: dict[
            tuple[Any, ...],
            tuple[dict[str, Any], set[str], tuple[dict[str, Any], bytes | None] | None],
        ] = {}
        self.usable: dict[type[ev.LearningEvent], bool] = {}
        self.encodable: dict[type[ev.LearningEvent], bool] = {}

    def _encodable(self, cls: type[ev.LearningEvent]) -> bool:
        """Whether events of ``cls`` may be given as their stored JSON (:class:`EncodedEvent`):
        a person's aggregate folds them by counting them only (no handler of its own)."""
        encodable = self.encodable.get(cls)
        if encodable is None:
            encodable = self.encodable[cls] = (
                self._usable(cls)
                and "person" in cls.STREAMS
                and not issubclass(cls, ev.EventRetracted)
                and getattr(Person, f"_on_{cls.__name__}", None) is None
            )
        return encodable

    def _usable(self, cls: type[ev.LearningEvent]) -> bool:
        usable = self.usable.get(cls)
        if usable is None:
            usable = self.usable[cls] = self._check(cls)
        return usable

    @staticmethod
    def _check(cls: type[ev.LearningEvent]) -> bool:
        return (
            cls in _FAST
            and cls.__pydantic_post_init__ is None
            and not cls.__pydantic_root_model__
            and set(cls.__pydantic_decorators__.model_validators)
            <= set(PAYLOAD_ONLY_VALIDATORS.get(cls, ()))
            and not cls.__pydantic_decorators__.field_validators
        )

    def tail(self, cls: type[ev.LearningEvent], payload: dict[str, Any]) -> bytes | None:
        """The JSON that ends the stored state of an event with ``payload``, when the payload
        was validated before and nothing of it is sealed (see :func:`_encoded`)."""
        try:
            cached = self.payloads.get(_payload_key(cls, payload))
        except TypeError:
            return None
        if cached is None or cached[2] is None:
            return None
        return cached[2][1]

    def build(
        self,
        cls: type[ev.LearningEvent],
        originator_id: UUID,
        version: int,
        envelope: dict[str, Any],
        payload: dict[str, Any],
        *,
        encode: bool = False,
    ) -> ev.LearningEvent | EncodedEvent:
        """The event ``cls`` of stream ``originator_id`` at ``version`` (may raise
        ``ValidationError`` for a payload seen for the first time).

        With ``encode``, an event whose payload was validated before comes as an
        :class:`EncodedEvent` when its class allows (see :meth:`_encodable`): its stored JSON
        put together from the payload's JSON, kept from the validated event, and the envelope's,
        without building the event.
        """
        key: tuple[Any, ...] | None = None
        if self._usable(cls):
            key = _payload_key(cls, payload)
            try:
                cached = self.payloads.get(key)
            except TypeError:  # a dict or a list (a statement kept whole): validated every time
                key = cached = None
            occurred, recorded = envelope["occurred_at"], envelope["recorded_at"]
            if (
                cached is not None
                and type(occurred) is datetime
                and occurred.utcoffset() is not None
                and type(recorded) is datetime
                and recorded.utcoffset() is not None
                and tuple(envelope) == _ENVELOPE_FIELDS
            ):
                validated, fields_set, template = cached
                if encode and template is not None:
                    return _encoded(cls, originator_id, version, envelope, template)
                # The fields in the class's order: the envelope's, then the payload's.
                state = {"originator_id": originator_id, "originator_version": version}
                state.update(envelope)
                state.update(validated)
                return _direct(cls, state, fields_set.copy())
        event = cls(originator_id=originator_id, originator_version=version, **envelope, **payload)
        if key is not None:
            if len(self.payloads) >= _MAX_PAYLOADS:
                self.payloads.clear()
            names = tuple(cls.model_fields)
            assert names[: len(_BASE_FIELDS)] == _BASE_FIELDS
            payload_names = names[len(_BASE_FIELDS) :]
            validated = {name: getattr(event, name) for name in payload_names}
            template = None
            if self._encodable(cls):
                dumped = event.model_dump(mode="json", include=set(payload_names))
                payload_json = {name: dumped[name] for name in payload_names}
                payload_json["class_version"] = cls.class_version
                # Nothing to seal (no personal field set): the JSON's end can be kept as bytes.
                sealed = [
                    n for n in SEALED_FIELDS.get(cls.TOPIC, ()) if dumped[n] not in (None, "")
                ]
                tail = None if sealed else orjson.dumps(payload_json)[1:]
                template = (payload_json, tail)
            self.payloads[key] = (validated, set(event.model_fields_set), template)
        return event


def _payload_key(cls: type[ev.LearningEvent], payload: Mapping[str, Any]) -> tuple[Any, ...]:
    """The builder's cache key of a payload: names, types and values (1, 1.0 and True are
    equal in Python, not to pydantic)."""
    given = tuple(payload.values())
    types = tuple(map(type, given))
    if tuple in types:
        given = tuple(map(_typed, given))
    return (cls, tuple(payload), given, types)


@functools.lru_cache(maxsize=256)
def _json_text(value: str) -> str:
    """``value`` as a JSON string, as orjson writes it."""
    return orjson.dumps(value).decode()


def _encoded(
    cls: type[ev.LearningEvent],
    originator_id: UUID,
    version: int,
    envelope: dict[str, Any],
    template: tuple[dict[str, Any], bytes | None],
) -> EncodedEvent:
    """The stored JSON of the event ``cls`` with ``envelope`` (values of the types validation
    gives them, in ``_ENVELOPE_FIELDS`` order) and a payload validated before, as
    ``model_dump(mode="json")`` and orjson write it: UUIDs as text, datetimes as pydantic writes
    them, tuples as lists; then the class version (see ``persistence.mapper.encode_state``).

    ``template`` is the payload's JSON (class version included) and, when none of its personal
    fields is set, the same as the compact JSON text that ends the stored state; the state is
    then given as bytes (nothing to seal), else as a dict that ``save_events`` seals.
    """
    source = envelope["source_statement_id"]
    event_id = envelope["event_id"]
    refs, competences, values = envelope["refs"], envelope["competences"], envelope["values"]
    occurred_at = to_jsonable_python(envelope["occurred_at"])
    recorded_at = to_jsonable_python(envelope["recorded_at"])
    payload_json, tail = template
    if tail is not None:
        rest = _envelope_json(
            envelope["organisation"],
            occurred_at,
            recorded_at,
            envelope["recorded_by"],
            None if source is None else str(source),
            refs,
            competences,
            values,
        )
        data = _with_event_id(str(event_id), rest) + tail
        return EncodedEvent(originator_id, version, event_id, cls.TOPIC, data)
    state = {
        "event_id": str(event_id),
        "organisation": envelope["organisation"],
        "occurred_at": occurred_at,
        "recorded_at": recorded_at,
        "recorded_by": envelope["recorded_by"],
        "source_statement_id": None if source is None else str(source),
        "refs": [str(ref) for ref in refs],
        "competences": list(competences),
        "values": list(values),
    }
    state.update(payload_json)
    return EncodedEvent(originator_id, version, event_id, cls.TOPIC, state)


def _with_event_id(event_id: str, rest: bytes) -> bytes:
    """A stored state from its event id and the rest (:func:`_envelope_json`, then the
    payload's part)."""
    return b'{"event_id":"' + event_id.encode() + b'",' + rest


def _envelope_json(
    organisation: str,
    occurred_at: str,
    recorded_at: str,
    recorded_by: str,
    source: str | None,
    refs: Sequence[UUID],
    competences: Sequence[str],
    values: Sequence[str],
) -> bytes:
    """The envelope's part of a stored state after the event id (see :func:`_encoded`): the
    texts of ids and times as ``model_dump(mode="json")`` gives them."""
    source_json = "null" if source is None else f'"{source}"'
    refs_json = orjson.dumps([str(r) for r in refs]).decode() if refs else "[]"
    competences_json = orjson.dumps(competences).decode() if competences else "[]"
    values_json = orjson.dumps(values).decode() if values else "[]"
    return (
        f'"organisation":{_json_text(organisation)},'
        f'"occurred_at":"{occurred_at}","recorded_at":"{recorded_at}",'
        f'"recorded_by":{_json_text(recorded_by)},'
        f'"source_statement_id":{source_json},"refs":{refs_json},'
        f'"competences":{competences_json},"values":{values_json},'
    ).encode()


def _step_key(sid: str, n: int) -> str:
    """The idempotency key of the event of step ``n`` of statement ``sid``."""
    return f"xapi:{sid}" if n == 0 else f"xapi:{sid}/{n}"


def _fast_envelope(
    event_id: UUID,
    organisation: str,
    occurred_at: datetime,
    recorded_at: datetime,
    recorded_by: str,
    source: UUID,
    refs: tuple[UUID, ...],
    step: Step,
) -> dict[str, Any]:
    """The envelope ``envelope_for`` gives, with the same values (see ``Records._envelope``),
    in ``_ENVELOPE_FIELDS`` order."""
    return {
        "event_id": event_id,
        "organisation": organisation,
        "occurred_at": occurred_at,
        "recorded_at": recorded_at,
        "recorded_by": recorded_by,
        "source_statement_id": source,
        "refs": refs,
        "competences": tuple(step.competences),
        "values": tuple(step.values),
    }


class _Prebuilder:
    """Builds, in the preparing process, the stored states of the common statements' events.

    A fast-path event's stored state depends only on the statement, the organisation,
    ``recorded_by``, the store's secret (its event id) and the clock (``recorded_at``), not on
    the stream it goes to or its place there. So the preparing process builds it exactly as
    :meth:`_FastPath._step` would, and the importing process only checks the stream (the
    person, whether the event is there already) and numbers it. Only states with nothing to
    seal are built here (see :meth:`_EventBuilder.build`); the others, and any payload that
    fails validation, are built where they are recorded, which reports the failure.
    """

    def __init__(self, records: Records, organisation: str, recorded_by: str, fast: bool) -> None:
        self.sqlite_path = records.config.sqlite_path if records.config.kind == "sqlite" else None
        self.log_table = statement_log(records).table
        self.organisation = organisation
        self.recorded_by = recorded_by
        self.clock = records.now
        self.fast = fast
        self.event_id = _keyed_ids(records.secret, organisation, "event")
        self.builder = _EventBuilder()
        self.tails: dict[tuple[Any, ...], object] = {}

    def logged(self) -> Callable[[Sequence[str]], set[str]]:
        """In the preparing process: which of some statement ids the statement log holds.

        It reads a SQLite file store through a read-only connection of its own (the importing
        process's may not be used after the fork, and a read takes no write lock); for other
        stores, or when the file cannot be read so, it finds none and everything is prepared.
        Only a shortcut: the importing process looks every statement up itself. So after a
        lookup that finds none (a new file, or past the part of a file imported before), it
        passes 1, 2, 4, ... up to ``_MAX_LOOKUP_GAP`` chunks without one: in a new file the
        lookups, slowed by the importing process's writes, took a twelfth of this process's time.
        """
        path = self.sqlite_path
        if path is None or path.startswith("file:") or path == ":memory:":
            return lambda sids: set()
        try:
            connection = sqlite3.connect(
                Path(path).absolute().as_uri() + "?mode=ro", uri=True, timeout=SQLITE_LOCK_TIMEOUT
            )
        except sqlite3.Error:
            return lambda sids: set()
        head = f"SELECT statement_id FROM {self.log_table} WHERE organisation = ? AND "
        organisation = self.organisation
        gap = skip = 0

        def lookup(sids: Sequence[str]) -> set[str]:
            nonlocal gap, skip
            if not sids:
                return set()
            if skip:
                skip -= 1
                return set()
            sql = f"{head}statement_id IN ({', '.join('?' * len(sids))})"
            try:
                found = {row[0] for row in connection.execute(sql, (organisation, *sids))}
            except sqlite3.Error:
                found = set()
            gap = 0 if found else min(_MAX_LOOKUP_GAP, 2 * gap or 1)
            skip = gap
            return found

        return lookup

    def build(self, item: _Item, plan: Plan) -> _Built | None:
        """Per step of ``plan``: its event's stored state but the event id (which the
        importing process derives and puts in front, see :func:`_with_event_id`), or None."""
        occurred_at = plan.occurred_at
        if not self.fast or occurred_at is None or occurred_at.utcoffset() is None:
            return None
        built: list[bytes | None] = []
        recorded_at = self.clock()
        occurred_text = to_jsonable_python(occurred_at)
        recorded_text = to_jsonable_python(recorded_at)
        for step in plan.steps:
            tail = self._tail(item, occurred_at, recorded_at, step)
            if tail is None:
                built.append(None)
                continue
            rest = _envelope_json(
                self.organisation,
                occurred_text,
                recorded_text,
                self.recorded_by,
                item.sid,
                (),
                step.competences,
                step.values,
            )
            built.append(rest + tail)
        return tuple(built) if any(built) else None

    def _tail(
        self, item: _Item, occurred_at: datetime, recorded_at: datetime, step: Step
    ) -> bytes | None:
        """The payload's part of the step's stored state (the same for every event with these
        fields), or None when the event cannot be given as its JSON here."""
        # Keyed by the fields as the builder keys payloads (names, values and their types).
        key = _payload_key(step.event_class, step.fields)
        try:
            tail = self.tails.get(key, _UNKNOWN)
        except TypeError:  # not hashable: built where it is recorded
            return None
        if tail is _UNKNOWN:
            tail = self._first_tail(item, occurred_at, recorded_at, step)
            if len(self.tails) >= _MAX_PAYLOADS:
                self.tails.clear()
            self.tails[key] = tail
        return cast("bytes | None", tail)

    def _first_tail(
        self, item: _Item, occurred_at: datetime, recorded_at: datetime, step: Step
    ) -> bytes | None:
        """Validate fields seen for the first time by building their event; their tail."""
        cls = step.event_class
        if cls not in _FAST or step.refs or not self.builder._encodable(cls):
            return None
        event_id = self.event_id(_step_key(item.sid, 0))
        envelope = _fast_envelope(
            event_id,
            self.organisation,
            occurred_at,
            recorded_at,
            self.recorded_by,
            item.uuid,
            (),
            step,
        )
        try:
            payload = _FAST[cls](step.fields)
            self.builder.build(cls, event_id, 1, envelope, payload)
        except (ValidationError, KeyError, TypeError, ValueError):
            return None
        return self.builder.tail(cls, payload)


#: At most this many chunks in a row the preparing process prepares without looking up whether
#: the statement log holds their statements, after chunks that held none (see
#: :meth:`_Prebuilder.logged`).
_MAX_LOOKUP_GAP: Final = 16

#: Not looked up yet (the prebuilder's cache of tails).
_UNKNOWN: Final = object()


@dataclass(slots=True)
class _Pending:
    item: _Item
    plan: Plan
    done: _Recorded
    outcome: ImportItem | None = None


class _FastPath:
    """Batches simple person statements: the streams' aggregates build the events, which are
    saved together by ``Records.save_events`` (one transaction, through the store's mapper)."""

    def __init__(self, importer: _Importer) -> None:
        self.importer = importer
        self.records = importer.records
        self.org = importer.org
        self.aggregates: dict[UUID, Aggregate] = {}
        self.events: list[ev.LearningEvent | EncodedEvent] = []
        self.pending: list[_Pending] = []
        self.touched: set[UUID] = set()
        self.builder = _EventBuilder()
        self.event_id = _keyed_ids(self.records.secret, self.org, "event")

    def accepts(self, plan: Plan) -> bool:
        """Whether the fast path records ``plan`` exactly as the commands would."""
        for step in plan.steps:
            if step.event_class not in _FAST or type(step.subject) is not PersonRef:
                return False
            for value in step.fields.values():
                if isinstance(value, _REFERENCES):
                    return False
                if type(value) is tuple and any(isinstance(v, _REFERENCES) for v in value):
                    return False
        return True

    def _aggregate(self, cls: type[Aggregate], stream_id: UUID) -> Aggregate:
        aggregate = self.aggregates.get(stream_id)
        if aggregate is None:
            aggregate = cls.replay(stream_id, self.org, self.records.stream_events(stream_id))
            self.aggregates[stream_id] = aggregate
        return aggregate

    def _trigger(
        self, aggregate: Aggregate, cls: type[ev.LearningEvent], envelope: Envelope, fields: Any
    ) -> ev.LearningEvent:
        event = aggregate.trigger(cls, envelope, **fields)
        self.events.extend(aggregate.collect_events())
        self.touched.add(aggregate.id)
        return event

    def _person(
        self, ref: PersonRef, item: _Item, occurred_at: datetime, done: _Recorded
    ) -> Person:
        importer = self.importer
        found = importer.find_person(ref)
        if found is None:
            key = importer.new_person_key(ref)
            if not key:
                raise _Rejected(Problem("/actor", "mapping.no-person", "the person key is empty"))
            person_id = self.records.person_id(self.org, key)
            person = self._aggregate(Person, person_id)
            if not person.exists:
                meta = importer.meta(item, f"xapi:register:{ref.identifier}", occurred_at, None)
                email = ref.email.strip().lower() if ref.email else None
                fields = {"key": key, "name": ref.name, "email": email}
                self._trigger(
                    person, ev.PersonRegistered, envelope_for(self.records, self.org, meta), fields
                )
                if importer.needs_link(ref, ref.email):
                    meta = importer.meta(item, f"xapi:link:{ref.identifier}", occurred_at, None)
                    envelope = envelope_for(self.records, self.org, meta)
                    assert isinstance(person, Person)
                    if ref.identifier not in person.identifiers:
                        fields = {"identifier": ref.identifier}
                        self._trigger(person, ev.IdentifierLinked, envelope, fields)
            found = (person_id, key)
            importer.persons[ref.identifier] = found
        done.persons.append(found[0])
        person = self._aggregate(Person, found[0])
        assert isinstance(person, Person)
        if person.erased:
            msg = (
                f"person {found[1]!r} of organisation {self.org!r} was erased; "
                "nothing more can be recorded for them"
            )
            raise _Rejected(Problem("/actor", "domain.InvalidInputError", msg))
        return person

    def _team(self, ref: TeamRef, item: _Item, occurred_at: datetime) -> None:
        importer = self.importer
        if ref.key in importer.teams:
            return
        key = ref.key.strip()
        team = self._aggregate(Team, self.records.team_id(self.org, key))
        if not team.exists:
            meta = importer.meta(item, f"xapi:team:{ref.key}", occurred_at, None)
            name = (ref.name or key).strip() or key
            fields = {"key": key, "name": name, "parent": None}
            self._trigger(
                team, ev.TeamRegistered, envelope_for(self.records, self.org, meta), fields
            )
        importer.teams.add(ref.key)

    def add(self, item: _Item, plan: Plan) -> None:
        """Build the events of one statement; they are saved at the next :meth:`flush`."""
        importer = self.importer
        done = _Recorded()
        occurred_at = plan.occurred_at or self.records.now()
        entry = _Pending(item, plan, done)
        self.pending.append(entry)
        try:
            for team in plan.teams:
                self._team(team, item, occurred_at)
            for n, step in enumerate(plan.steps):
                assert isinstance(step.subject, PersonRef)
                try:
                    try:
                        person = self._person(step.subject, item, occurred_at, done)
                        self._step(person, step, n, item, occurred_at, done)
                    except (LearningOrgError, TypeError, ValueError, KeyError) as error:
                        raise _Rejected(_domain_problem(error)) from None
                    if n == 0:
                        done.main = done.events[0][1] if done.events else None
                except _Rejected as rejected:
                    if n == 0:
                        raise
                    reason = "; ".join(p.message for p in rejected.problems)
                    done.notes.append(
                        f"member {n + 1} of the Group actor was not recorded: {reason}"
                    )
        except _Rejected as rejected:
            entry.outcome = item.outcome("rejected", rejected.problems)
            importer.seen.pop(item.sid, None)
        if plan.notes:
            done.notes.extend(plan.notes)

    def _step(
        self,
        person: Person,
        step: Step,
        n: int,
        item: _Item,
        occurred_at: datetime,
        done: _Recorded,
    ) -> None:
        cls = step.event_class
        missing = [name for name in _REQUIRED.get(cls, ()) if name not in step.fields]
        if missing:
            iris = ", ".join(pf.extension(name) for name in missing)
            problem = Problem(
                "/context/extensions",
                "profile.missing-extension",
                f"{cls.__name__} needs the context extension(s) {iris}",
            )
            raise _Rejected(problem)
        built = item.built[n] if item.built is not None else None
        event_id = self.event_id(_step_key(item.sid, n))
        if person.has_event(event_id):
            done.events.append((person.id, event_id))
            done.recovered = True
            return
        version = person.version + 1
        event: ev.LearningEvent | EncodedEvent
        if built is not None:  # by the preparing process, as below
            state = _with_event_id(str(event_id), built)
            event = EncodedEvent(person.id, version, event_id, cls.TOPIC, state)
        else:
            importer = self.importer
            refs = tuple(importer.link(r) for r in step.refs) if step.refs else ()
            envelope = _fast_envelope(
                event_id,
                self.org,
                occurred_at,
                self.records.now(),
                importer.recorded_by,
                item.uuid,
                refs,
                step,
            )
            try:
                event = self.builder.build(
                    cls, person.id, version, envelope, _FAST[cls](step.fields), encode=True
                )
            except ValidationError as error:
                problem = Problem("", "domain.InvalidValueError", _validation_text(cls, error))
                raise _Rejected(problem) from None
        if type(event) is EncodedEvent:
            # What Aggregate.apply does with an event its aggregate has no handler for.
            person.version = version
            person.event_ids.add(event_id)
        else:
            assert isinstance(event, ev.LearningEvent)
            person.apply(event)
        self.events.append(event)
        self.touched.add(person.id)
        done.events.append((person.id, event_id))

    def flush(self) -> None:
        """Save the built events in one transaction, then log their statements.

        When another writer appended to one of the batch's streams first, nothing of the batch
        is stored: its streams are replayed again and the batch is built and saved again; after
        ``_BATCH_ATTEMPTS`` tries its statements go through the commands one by one.
        """
        if not self.pending:
            return
        importer = self.importer
        for attempt in range(_BATCH_ATTEMPTS):
            try:
                if self.events:
                    self.records.save_events(self.events)
            except ConcurrencyError:
                entries = self._forget_batch()
                time.sleep(random.uniform(0, min(0.2, 0.01 * 2**attempt)))
                if attempt + 1 < _BATCH_ATTEMPTS:
                    for entry in entries:
                        self.add(entry.item, entry.plan)
                    continue
            except LearningOrgError:
                # Refused by the store as a whole (say, a person erased meanwhile): nothing of
                # the batch was stored; the commands give each statement its own verdict.
                entries = self._forget_batch()
            else:
                break
            for entry in entries:
                if entry.outcome is not None and entry.outcome.outcome == "rejected":
                    importer.summary.add(entry.outcome)
                else:
                    importer.record_slowly(entry.item, entry.plan)
            return
        pending, self.pending = self.pending, []
        self.events = []
        self.touched = set()
        if len(self.aggregates) > _MAX_AGGREGATES:
            self.aggregates.clear()  # bounded memory; they are replayed again when needed
        for entry in pending:
            if entry.outcome is not None:
                importer.seen.pop(entry.item.sid, None)
                importer.summary.add(entry.outcome)
                continue
            importer.rows.append(importer.row(entry.item, entry.plan, entry.done))
            importer._count(entry.item, entry.done)

    def _forget_batch(self) -> list[_Pending]:
        """Drop what the batch built: its streams are replayed from the store when next used."""
        for stream_id in self.touched:
            self.aggregates.pop(stream_id, None)
        self.importer.persons.clear()
        self.importer.teams.clear()
        entries, self.pending = self.pending, []
        self.events = []
        self.touched = set()
        return entries


# ------------------------------------------------------------------ entry point


def import_statements(
    records: Records,
    source: Source,
    *,
    organisation: str,
    version: str | None = None,
    recorded_by: str = "xapi",
    progress: Callable[[ImportProgress], None] | None = None,
    batch_size: int = BATCH_SIZE,
    max_document_bytes: int = MAX_DOCUMENT_BYTES,
    fast: bool = True,
    parallel: bool | None = None,
) -> ImportSummary:
    """Import xAPI statements into ``organisation``; returns what happened to each.

    Parameters
    ----------
    records:
        The store (a ``LearningRecords`` or ``Records``).
    source:
        A path (``str`` or ``PathLike``) or ``bytes`` holding a JSON array, one statement or NDJSON
        (one statement a line); a binary or text file object or an iterable of NDJSON lines
        (read streamed); a statement (``dict``); or a list of statements. NDJSON is read line by
        line at any size; a JSON array is read whole, up to ``max_document_bytes``, and a larger
        one is refused with ``InvalidInputError`` before anything is stored.
    organisation:
        The key of the organisation the statements belong to; it must be registered.
    version:
        ``"1.0.3"`` or ``"2.0.0"`` to validate every statement by those rules; None lets each
        statement's ``version`` choose (see ``learningorg.xapi.validate``).
    recorded_by:
        ``recorded_by`` of the events recorded.
    progress:
        Called with an :class:`ImportProgress` after every batch of statements.
    batch_size:
        Statements validated, looked up and recorded together (the first batches are
        smaller: 500, then twice as many each time, up to ``batch_size``).
    fast:
        Record simple person statements in batches (the default); False records every statement
        through the commands of ``Records`` one by one. Both store the same events.
    parallel:
        Read, parse, validate, hash, map and build the events of the statements of a file (a
        path ``source``) in a second process while this one records them (Linux, two CPUs or
        more). None (the default) does so whenever it can; False keeps to one process. With a
        second CPU free it imports about 1.5 times as many statements a second; with both busy
        with other work it was as fast as one process. The outcome is the same either way.

    Every statement is validated, mapped and recorded on its own: an invalid one is reported
    (with its NDJSON line or array index) and the others are still stored. Importing the same
    input again, or an interrupted import again, stores every statement exactly once.
    """
    if batch_size < 1:
        msg = f"batch_size {batch_size} must be at least 1"
        raise InvalidInputError(msg)
    records.organisation(organisation)  # raises UnknownOrganisationError, naming the key
    # The collector is paused while an import runs, and the young generations are collected
    # after each batch instead: an import keeps many objects alive (the replayed streams, the
    # ids of their events, the statements seen), and full collections walked them all, about a
    # third of a large import's CPU time; the young collections left then found nothing to free
    # (200,000 statements: 6,640 collections, 0 objects freed, 4 us a statement). Cycles made
    # on the way, by the import or by other threads, are freed at the end of each batch.
    with collector_paused():
        return _import(
            records,
            source,
            organisation,
            version,
            recorded_by,
            progress,
            batch_size,
            max_document_bytes,
            fast,
            parallel,
        )


def _import(
    records: Records,
    source: Source,
    organisation: str,
    version: str | None,
    recorded_by: str,
    progress: Callable[[ImportProgress], None] | None,
    batch_size: int,
    max_document_bytes: int,
    fast: bool,
    parallel: bool | None,
) -> ImportSummary:
    entries: Iterator[tuple[int, _Item | ImportItem]]
    total: int | None
    importer = _Importer(records, organisation, version=version, recorded_by=recorded_by, fast=fast)
    if _use_pipeline(source, parallel):
        path = Path(cast("str | os.PathLike[str]", source))
        ahead = _Prebuilder(records, organisation, recorded_by, fast)
        pipeline = _pipelined(path, max_document_bytes, version, ahead)
        entries, total, close = pipeline, path.stat().st_size, pipeline.close
    else:
        raws, total, close = _read(source, max_document_bytes)
        entries = _prepare_all(raws, version)
    read = 0
    # The first batches are smaller, doubling up to batch_size: the first statements are
    # stored and reported sooner, and a preparing process is waited for less at the start.
    size = min(batch_size, _FIRST_BATCH)
    try:
        batch: list[_Item | ImportItem] = []
        for length, entry in entries:
            batch.append(entry)
            read += length
            if len(batch) >= size:
                importer.run_batch(batch)
                batch = []
                size = min(batch_size, 2 * size)
                young_collection()
                _report(progress, importer.summary, read, total)
        if batch:
            importer.run_batch(batch)
            batch = []
            young_collection()
        _report(progress, importer.summary, read, total)
    finally:
        importer.flush()
        close()
    return importer.summary


def _use_pipeline(source: Source, parallel: bool | None) -> bool:
    """Whether :func:`import_statements` prepares ``source`` in a second process (``parallel``
    None: whenever it can)."""
    if parallel is False or not isinstance(source, str | os.PathLike) or not _parallel_possible():
        return False
    return Path(source).is_file()  # else _read reports it


def _report(
    progress: Callable[[ImportProgress], None] | None,
    summary: ImportSummary,
    read: int,
    total: int | None,
) -> None:
    if progress is not None:
        progress(
            ImportProgress(
                summary.total,
                read,
                total,
                summary.accepted,
                summary.duplicate,
                summary.conflicting,
                summary.rejected,
            )
        )


__all__ = [
    "BATCH_SIZE",
    "MAX_DOCUMENT_BYTES",
    "ImportItem",
    "ImportProgress",
    "ImportSummary",
    "LoggedStatement",
    "StatementLog",
    "append_event",
    "forget_person_statements",
    "import_statements",
    "statement_event_id",
    "statement_log",
    "store_fingerprint",
]
