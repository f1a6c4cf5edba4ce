"""The xAPI import's batch path: what it stores is what the commands store, under concurrency too.

``Records.save_events`` saves many events built by aggregates in one transaction through the
store's mapper; the importer's fast path builds those events with a payload cache and keyed ids
computed once per organisation. These tests read what the one path stores back through the other.
"""

from __future__ import annotations

import gc
import os
import sqlite3
import uuid
import weakref
from collections.abc import Sequence
from datetime import UTC, date, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import orjson
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from learningorg import LearningRecords
from learningorg.domain import events as ev
from learningorg.domain.aggregates import Person
from learningorg.domain.errors import ConcurrencyError, InvalidValueError
from learningorg.domain.ids import derive_id
from learningorg.interop.xapi import importer as imp
from learningorg.interop.xapi import profile as pf
from learningorg.interop.xapi.importer import import_statements

ORG = "jeugdzorg-noord"
T0 = datetime(2024, 3, 1, 10, tzinfo=timezone(timedelta(hours=1)))


def statement(n: int, person: int, *, kind: str = "completed") -> dict[str, Any]:
    """A valid statement with a fixed id per ``n``: ADL 'completed' or a profile reflection."""
    result: dict[str, Any] = {
        "id": str(uuid.UUID(int=n + 1)),
        "actor": {"name": f"Person {person}", "mbox": f"mailto:p{person}@example.org"},
        "timestamp": f"2024-03-{1 + n % 28:02d}T10:00:00+01:00",
    }
    if kind == "reflected":
        profile = pf.BY_VERB[pf.VERB_BASE + "reflected"]
        result["verb"] = {"id": profile.verb_iri}
        result["object"] = {"id": profile.activity_id(None)}
        result["context"] = {
            "extensions": {
                pf.extension("minutes"): 15 * (1 + n % 4),
                pf.extension("dimensions"): ["normative", "personal"][: n % 3],
                pf.extension("note"): f"note {n}" if n % 2 else None,
            }
        }
        if result["context"]["extensions"][pf.extension("note")] is None:
            del result["context"]["extensions"][pf.extension("note")]
    else:
        result["verb"] = {"id": "http://adlnet.gov/expapi/verbs/completed"}
        result["object"] = {
            "id": f"https://lms.example.org/courses/{n % 5}",
            "definition": {
                "name": {"en-US": f"Course {n % 5}"},
                "type": pf.ADL_ACTIVITY_BASE + "course",
            },
        }
        result["result"] = {"duration": f"PT{1 + n % 3}H"}
    return result


def feed(count: int, persons: int) -> list[dict[str, Any]]:
    """``count`` statements by ``persons`` people, completions and reflections mixed."""
    kinds = ("completed", "reflected")
    return [statement(n, n % persons, kind=kinds[n % 2]) for n in range(count)]


def _secret_store(path: Path, secret: bytes) -> str:
    """A SQLite store file that will use ``secret`` (as if opened once before)."""
    with sqlite3.connect(path) as db:
        db.execute("CREATE TABLE learningorg_meta (name TEXT PRIMARY KEY, value TEXT)")
        db.execute("INSERT INTO learningorg_meta VALUES ('secret', ?)", (secret.hex(),))
    return f"sqlite:///{path}"


def stored_rows(path: Path) -> list[tuple[Any, ...]]:
    """The rows of the event table in position order, the state parsed, without what differs
    between two runs by design: the recording time and the random nonce of sealed fields."""
    with sqlite3.connect(path) as db:
        rows = db.execute(
            "SELECT rowid, originator_id, originator_version, topic, state FROM stored_events "
            "ORDER BY rowid"
        ).fetchall()
    result = []
    for position, stream, version, topic, state in rows:
        data = orjson.loads(state)
        data.pop("recorded_at")
        sealed = data.pop("_sealed", None)
        fields = None if sealed is None else sealed["fields"]
        result.append((position, stream, version, topic, data, fields))
    return result


def registered(records: LearningRecords) -> list[ev.LearningEvent]:
    """Every event of the store, in order."""
    return [entry.event for entry in records.events()]


# ------------------------------------------------------------------ the same events both ways


def test_batch_path_stores_the_rows_the_commands_store(tmp_path: Path) -> None:
    """Fast and one-by-one imports write the same rows: same positions, streams, versions,
    topics and states (sealed fields sealed alike); each store reads the other's events back."""
    statements = feed(60, 7)
    secret = os.urandom(32)
    paths = {fast: tmp_path / f"{fast}.db" for fast in (True, False)}
    events: dict[bool, list[ev.LearningEvent]] = {}
    persons: dict[bool, list[Person]] = {}
    for fast, path in paths.items():
        with LearningRecords(_secret_store(path, secret)) as records:
            records.register_organisation(
                ORG, occurred_at=datetime(2024, 1, 1, tzinfo=UTC), idempotency_key="org"
            )
            summary = import_statements(
                records, statements, organisation=ORG, fast=fast, batch_size=16
            )
            assert summary.accepted == len(statements), summary.failures
            events[fast] = registered(records)
            keys = [e.key for e in events[fast] if isinstance(e, ev.PersonRegistered)]
            persons[fast] = [records.person(ORG, key) for key in keys]
    fast_rows, slow_rows = stored_rows(paths[True]), stored_rows(paths[False])
    assert len(fast_rows) == 1 + 7 + 60
    assert fast_rows == slow_rows
    assert any(fields for *_, fields in fast_rows)  # personal fields were sealed in both
    strip = {"recorded_at"}
    assert [e.model_dump(exclude=strip) for e in events[True]] == [
        e.model_dump(exclude=strip) for e in events[False]
    ]
    assert [(p.id, p.version, p.key, p.name, p.email) for p in persons[True]] == [
        (p.id, p.version, p.key, p.name, p.email) for p in persons[False]
    ]
    # Each store, asked to import the statements the other way, finds everything recorded.
    for fast, path in paths.items():
        with LearningRecords(f"sqlite:///{path}") as records:
            again = import_statements(records, statements, organisation=ORG, fast=not fast)
            assert again.duplicate == len(statements)
        assert stored_rows(path) == (fast_rows if fast else slow_rows)


FAST_PAYLOADS: dict[type[ev.LearningEvent], dict[str, Any]] = {
    ev.LearningActivityCompleted: {"mode": "formal", "kind": "course", "title": "T", "hours": 2},
    ev.ReflectionLogged: {"minutes": 30, "form": "coaching", "dimensions": ("normative",)},
    ev.ExperienceRecorded: {"kind": "dilemma", "uncertainty": 4, "note": "n"},
    ev.AssumptionRevised: {"before": "a", "after": "b"},
    ev.ExternalKnowledgeAcquired: {"source": "research", "origin": "journal"},
    ev.RegistrationChanged: {
        "register_name": "SKJ",
        "number": "123",
        "period_start": "2024-01-01",
        "period_end": "2029-01-01",
    },
    ev.WorkHoursAttested: {
        "period_start": "2024-01-01",
        "period_end": "2024-12-31",
        "hours": 1500,
        "client_contact_hours": 900.5,
    },
}


def _envelope(n: int) -> dict[str, Any]:
    return {
        "event_id": uuid.UUID(int=n),
        "organisation": ORG,
        "occurred_at": T0 + timedelta(days=n),
        "recorded_at": datetime(2025, 1, 1, tzinfo=UTC) + timedelta(seconds=n),
        "recorded_by": "xapi",
        "source_statement_id": uuid.UUID(int=1000 + n),
        "refs": (uuid.UUID(int=7),) if n % 2 else (),
        "competences": ("esco:1",),
        "values": (),
    }


@pytest.mark.parametrize("cls", list(FAST_PAYLOADS), ids=lambda c: c.__name__)
def test_events_put_together_equal_validated_ones(cls: type[ev.LearningEvent]) -> None:
    """The second event with a payload skips validation, yet equals the validated event: the
    same values of the same types in the same order, the same set fields, the same JSON."""
    assert set(imp._FAST) == set(FAST_PAYLOADS)
    builder = imp._EventBuilder()
    stream = uuid.uuid4()
    payload = imp._FAST[cls](FAST_PAYLOADS[cls])
    first = builder.build(cls, stream, 1, _envelope(1), dict(payload))
    second = builder.build(cls, stream, 2, _envelope(2), dict(payload))
    validated = cls(originator_id=stream, originator_version=2, **_envelope(2), **payload)
    assert type(second) is cls
    assert second == validated
    assert list(second.__dict__) == list(validated.__dict__)
    assert [type(v) for v in second.__dict__.values()] == [
        type(v) for v in validated.__dict__.values()
    ]
    assert second.model_fields_set == validated.model_fields_set
    assert second.model_dump_json() == validated.model_dump_json()
    assert first == cls(originator_id=stream, originator_version=1, **_envelope(1), **payload)
    assert len(builder.payloads) == 1


def test_a_payload_cache_never_lets_an_invalid_payload_through() -> None:
    """Invalid payloads are validated (and refused) every time, cached valid ones or not."""
    builder = imp._EventBuilder()
    good = imp._FAST[ev.ReflectionLogged]({"minutes": 30})
    builder.build(ev.ReflectionLogged, uuid.uuid4(), 1, _envelope(1), good)
    for minutes in (0, 30.5, "thirty", 24 * 60 + 1):
        bad = imp._FAST[ev.ReflectionLogged]({"minutes": minutes})
        with pytest.raises(ValueError, match="minutes"):
            builder.build(ev.ReflectionLogged, uuid.uuid4(), 1, _envelope(1), bad)
    assert len(builder.payloads) == 1


def test_equal_values_of_other_types_are_other_payloads() -> None:
    """1, 1.0 and True are equal in Python but not to pydantic: each payload is validated on
    its own, and what the cache gives equals what validation gives (or is refused alike)."""
    builder = imp._EventBuilder()
    stream = uuid.uuid4()
    variants: list[Any] = [1, 1.0, True, "1", ("normative",), ["normative"]]
    for n, hours in enumerate(variants * 2):
        payload = imp._FAST[ev.LearningActivityCompleted]({"mode": "formal", "hours": hours})
        try:
            expected: Any = ev.LearningActivityCompleted(
                originator_id=stream, originator_version=n + 1, **_envelope(n), **payload
            ).model_dump_json()
        except ValueError:
            expected = "refused"
        try:
            made = builder.build(
                ev.LearningActivityCompleted, stream, n + 1, _envelope(n), dict(payload)
            )
            got: Any = made.model_dump_json()
        except ValueError:
            got = "refused"
        assert got == expected, hours


def test_the_fast_classes_have_only_the_known_payload_checks() -> None:
    """The payload cache assumes each fast class's model validators check payload fields only.
    A new validator on one of them must be reviewed (and listed) before the cache may skip it."""
    for cls in imp._FAST:
        validators = set(cls.__pydantic_decorators__.model_validators)
        assert validators == set(imp.PAYLOAD_ONLY_VALIDATORS.get(cls, ())), cls.__name__
        assert not cls.__pydantic_decorators__.field_validators, cls.__name__


_TEXT = st.characters(blacklist_categories=("Cs",))


@settings(max_examples=60, deadline=None)
@given(st.binary(min_size=1, max_size=100), st.text(_TEXT, min_size=1), st.text(_TEXT))
def test_keyed_ids_are_derive_id(secret: bytes, organisation: str, key: str) -> None:
    """The importer's precomputed keyed hash gives exactly ``derive_id``'s ids."""
    ids = imp._KeyedIds(secret, organisation, "event")
    made, derived = ids(key), derive_id(secret, organisation, "event", key)
    assert (made, str(made), hash(made), made.version) == (derived, str(derived), hash(derived), 8)
    assert ids(key + "x") == derive_id(secret, organisation, "event", key + "x")


# ------------------------------------------------------------------ Records.save_events


def _built(records: LearningRecords, person: str, count: int) -> list[ev.LearningEvent]:
    aggregate = records.person(ORG, person)
    for n in range(count):
        envelope = imp.envelope_for(
            records,
            ORG,
            {"idempotency_key": f"{person}:{n}:{aggregate.version}", "occurred_at": T0},
        )
        aggregate.trigger(ev.ReflectionLogged, envelope, minutes=10 + n, note=f"n{n}")
    return aggregate.collect_events()


def test_save_events_stores_all_or_nothing(records: LearningRecords) -> None:
    """A batch over several streams is stored whole; a batch that lost a race for one stream
    stores nothing of any stream and raises ConcurrencyError; bad version order is refused."""
    records.register_organisation(ORG)
    for key in ("E1", "E2"):
        records.register_person(ORG, key, name=f"Person {key}")
    batch = _built(records, "E1", 3) + _built(records, "E2", 2)
    assert records.save_events(batch) == 5
    assert records.save_events([]) == 0
    assert [e.minutes for e in records.stream(ORG, "person", "E1")[1:]] == [10, 11, 12]
    assert records.person(ORG, "E1").version == 4
    stale = _built(records, "E2", 1)
    fresh = _built(records, "E1", 2)
    records.log_reflection(ORG, "E2", minutes=5)  # another writer wins E2's next version
    before = records.max_position()
    with pytest.raises(ConcurrencyError, match="nothing"):
        records.save_events(fresh + stale)
    assert records.max_position() == before
    assert records.person(ORG, "E1").version == 4
    assert records.save_events(fresh) == 2
    reordered = _built(records, "E1", 2)[::-1]
    with pytest.raises(InvalidValueError, match="version"):
        records.save_events(reordered)
    with pytest.raises(InvalidValueError, match="learningorg events"):
        records.save_events(["not an event"])  # type: ignore[list-item]
    assert records.person(ORG, "E1").version == 6


def test_saved_events_are_sealed_like_commands_events(tmp_path: Path) -> None:
    """save_events goes through the store's mapper: personal fields are sealed per person."""
    path = tmp_path / "store.db"
    with LearningRecords(f"sqlite:///{path}") as records:
        records.register_organisation(ORG)
        records.register_person(ORG, "E1", name="Sanne")
        records.save_events(_built(records, "E1", 1))
        records.log_reflection(ORG, "E1", minutes=10, note="n0", idempotency_key="cmd")
        notes = [e.note for e in records.stream(ORG, "person", "E1")[1:]]
    assert notes == ["n0", "n0"]
    *_, (_, _, _, _, by_batch, fields), (_, _, _, _, by_command, fields2) = stored_rows(path)
    assert "note" not in by_batch
    assert "note" not in by_command
    assert fields == fields2 == ["note"]


# ------------------------------------------------------------------ concurrency and interruption


class _RacedRecords(LearningRecords):
    """A store whose first ``races`` batch saves lose a real race: just before each, another
    instance on the same file appends to one of the batch's streams."""

    def __init__(self, url: str, races: int) -> None:
        super().__init__(url)
        self.url = url
        self.races = races
        self.rival_events = 0

    def save_events(self, events: Sequence[ev.LearningEvent]) -> int:
        if self.races > 0 and events:
            self.races -= 1
            target = events[-1].originator_id
            with LearningRecords(self.url) as rival:
                key = next(
                    e.key for e in rival.stream_events(target) if isinstance(e, ev.PersonRegistered)
                )
                rival.log_reflection(ORG, key, minutes=1, note="rival")
            self.rival_events += 1
        return super().save_events(events)


@pytest.mark.parametrize("races", [1, imp._BATCH_ATTEMPTS + 1])
def test_a_batch_that_loses_a_race_is_built_again(sqlite_url: str, races: int) -> None:
    """Another writer appends to a stream the import is writing to: the batch is rebuilt on the
    new versions (or, when it keeps losing, recorded statement by statement), and every
    statement and every rival event is stored exactly once, streams intact."""
    statements = feed(40, 3)
    with LearningRecords(sqlite_url) as records:
        records.register_organisation(ORG)
        first = import_statements(records, statements[:10], organisation=ORG)
        assert first.accepted == 10
    with _RacedRecords(sqlite_url, races) as records:
        summary = import_statements(records, statements, organisation=ORG, batch_size=15)
        assert (summary.accepted, summary.duplicate) == (30, 10), summary.failures
        rivals = records.rival_events
        assert rivals == races
        from_statements = [
            e.source_statement_id
            for e in registered(records)
            if isinstance(e, ev.LearningActivityCompleted | ev.ReflectionLogged)
            and e.source_statement_id is not None
        ]
        assert sorted(from_statements) == sorted(uuid.UUID(s["id"]) for s in statements)
        notes = [e for e in registered(records) if getattr(e, "note", None) == "rival"]
        assert len(notes) == rivals
        for event in registered(records):
            if isinstance(event, ev.PersonRegistered):
                stream = records.stream_events(event.originator_id)
                assert [e.originator_version for e in stream] == list(range(1, len(stream) + 1))


def test_an_interrupted_import_run_again_stores_each_statement_once(sqlite_url: str) -> None:
    """An import stopped after some batches (here by an exception in the progress callback),
    then run again on the whole feed, stores every statement exactly once."""
    statements = feed(90, 5)

    class StopError(Exception):
        """Stands for a crash or a Ctrl-C in the middle of an import."""

    def stop_after_two(progress: imp.ImportProgress) -> None:
        if progress.statements >= 40:
            raise StopError

    with LearningRecords(sqlite_url) as records:
        records.register_organisation(ORG)
        with pytest.raises(StopError):
            import_statements(
                records, statements, organisation=ORG, batch_size=20, progress=stop_after_two
            )
        partial = records.max_position()
        assert partial is not None
        assert partial > 1
    with LearningRecords(sqlite_url) as records:
        summary = import_statements(records, statements, organisation=ORG, batch_size=20)
        assert summary.accepted + summary.duplicate == 90
        assert summary.duplicate >= 40
        mains = [
            e.source_statement_id
            for e in registered(records)
            if isinstance(e, ev.LearningActivityCompleted | ev.ReflectionLogged)
        ]
        assert sorted(mains) == sorted(uuid.UUID(s["id"]) for s in statements)
        again = import_statements(records, statements, organisation=ORG)
        assert again.duplicate == 90


def test_registration_periods_survive_the_payload_cache(mem_records: LearningRecords) -> None:
    """Date fields reach the event as dates, through the cache as through validation."""
    profile = pf.BY_EVENT[ev.RegistrationChanged]
    base = {
        "actor": {"mbox": "mailto:r@example.org"},
        "verb": {"id": profile.verb_iri},
        "object": {"id": profile.activity_id(None)},
        "timestamp": "2024-01-02T00:00:00Z",
        "context": {
            "extensions": {
                pf.extension("register_name"): "SKJ",
                pf.extension("period_start"): "2024-01-01",
                pf.extension("period_end"): "2029-01-01",
            }
        },
    }
    statements = [{**base, "id": str(uuid.UUID(int=n + 1))} for n in range(3)]
    summary = import_statements(mem_records, statements, organisation=ORG)
    assert summary.accepted == 3, summary.failures
    found = [e for e in registered(mem_records) if isinstance(e, ev.RegistrationChanged)]
    assert [(e.period_start, e.period_end) for e in found] == [
        (date(2024, 1, 1), date(2029, 1, 1))
    ] * 3


@pytest.fixture
def mem_records() -> Any:
    """An in-memory store with the organisation registered."""
    with LearningRecords("memory://") as records:
        records.register_organisation(ORG)
        yield records


# ------------------------------------------------------------------ garbage collection


def test_the_collector_is_paused_during_an_import_and_switched_back_on(
    mem_records: LearningRecords,
) -> None:
    """While an import runs, the collector does not run on its own; it is switched back on
    afterwards, also when the import fails or imports nest, and left off if it was off."""
    assert gc.isenabled()
    before = gc.get_threshold()
    during: list[bool] = []
    nested: list[bool] = []

    def progress(_: imp.ImportProgress) -> None:
        during.append(gc.isenabled())
        if not nested:
            nested.append(True)
            import_statements(mem_records, feed(2, 1), organisation=ORG)
            nested[0] = gc.isenabled()

    summary = import_statements(
        mem_records, feed(6, 2), organisation=ORG, batch_size=2, progress=progress
    )
    assert summary.accepted == 6, summary.failures
    assert during
    assert not any(during)
    assert nested == [False]  # the inner import ended while the outer one still ran
    assert gc.isenabled()
    assert gc.get_threshold() == before

    def failing(_: imp.ImportProgress) -> None:
        raise RuntimeError("stop")

    with pytest.raises(RuntimeError):
        import_statements(mem_records, feed(4, 1), organisation=ORG, progress=failing)
    assert gc.isenabled()

    gc.disable()
    try:
        import_statements(mem_records, feed(2, 1), organisation=ORG)
        assert not gc.isenabled()  # left as the caller had it
    finally:
        gc.enable()


class _Cycle:
    """An object that refers to itself: only the cyclic collector frees it."""

    def __init__(self) -> None:
        self.me = self


def test_cycles_made_during_an_import_are_freed_batch_by_batch(
    mem_records: LearningRecords,
) -> None:
    """With the collector paused, the young generations are still collected after each batch:
    a reference cycle made while one batch runs is gone by the next batch's report."""
    made: list[weakref.ref[_Cycle]] = []
    alive_at_next: list[bool] = []

    def progress(_: imp.ImportProgress) -> None:
        if made:
            alive_at_next.append(made[-1]() is not None)
        made.append(weakref.ref(_Cycle()))

    summary = import_statements(
        mem_records, feed(7, 2), organisation=ORG, batch_size=2, progress=progress
    )
    assert summary.accepted == 7
    assert len(alive_at_next) == 3
    assert alive_at_next
    assert not any(alive_at_next)
