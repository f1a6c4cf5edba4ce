"""Sealing personal fields with per-person keys, and the key stores (persistence layer)."""

from __future__ import annotations

import copy
import os
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any
from uuid import UUID, uuid4

import orjson
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from learningorg import LearningRecords
from learningorg.domain import events as ev
from learningorg.persistence.crypto import (
    ERASED,
    SEALED,
    SEALED_FIELDS,
    SealError,
    erased_value,
    seal,
    unseal,
)
from learningorg.persistence.database import SqliteDatabase
from learningorg.persistence.keys import (
    DatabaseKeyStore,
    InMemoryKeyStore,
    PersonErasedError,
    PersonKeys,
)
from learningorg.persistence.mapper import decode_state, encode_state

NOW = datetime(2024, 5, 1, 12, tzinfo=UTC)
text = st.text(min_size=1, max_size=40).filter(lambda s: s.strip() != "")


def envelope(**fields: Any) -> dict[str, Any]:
    """The envelope of an event in a person's stream."""
    return {
        "originator_id": uuid4(),
        "originator_version": 1,
        "event_id": uuid4(),
        "organisation": "o",
        "occurred_at": NOW,
        "recorded_at": NOW,
        **fields,
    }


def personal_events(name: str, note: str) -> list[ev.LearningEvent]:
    """One event of each class with sealed fields, every sealed field set."""
    return [
        ev.PersonRegistered(**envelope(key=name, name=name, email=f"{name}@x.org")),
        ev.IdentifierLinked(**envelope(identifier=f"mailto:{name}@y.org")),
        ev.ExperienceRecorded(**envelope(kind="case", uncertainty=3, note=note)),
        ev.ReflectionLogged(**envelope(minutes=30, note=note)),
        ev.DevelopmentGoalSet(**envelope(goal_id="g", description=note)),
        ev.DevelopmentGoalReviewed(**envelope(goal_id="g", progress=0.5, note=note)),
        ev.AssumptionRevised(**envelope(before=note, after=note + "!")),
        ev.LearningActivityCompleted(
            **envelope(mode="formal", statement={"actor": {"name": name}})
        ),
        ev.RegistrationChanged(
            **envelope(
                register_name="SKJ",
                number=note,
                period_start=date(2020, 1, 1),
                period_end=date(2025, 1, 1),
            )
        ),
        ev.KnowledgeShared(**envelope(organisation_wide=True, topic=note)),
        ev.AdviceSought(**envelope(external_source=name, topic=note)),
        ev.ExternalKnowledgeAcquired(**envelope(source="research", origin=note)),
    ]


def test_every_personal_field_of_the_catalogue_is_sealed() -> None:
    """``SEALED_FIELDS`` covers the domain's ``PERSONAL_FIELDS`` and only person-stream events."""
    for cls, names in ev.PERSONAL_FIELDS.items():
        assert set(names) <= set(SEALED_FIELDS[cls.TOPIC]), cls
    for topic, names in SEALED_FIELDS.items():
        cls = ev.event_class(topic)
        assert frozenset({"person"}) == cls.STREAMS, topic
        assert set(names) <= set(cls.model_fields), topic
    events = personal_events("n", "t")
    assert {type(e).TOPIC for e in events} == set(SEALED_FIELDS)


@settings(max_examples=40, deadline=None)
@given(name=text, note=text)
def test_sealed_events_round_trip_and_hide_the_values(name: str, note: str) -> None:
    """Encoding with a key store and decoding with it gives the event back; the state hides it."""
    keys = InMemoryKeyStore()
    for event in personal_events(name, note):
        stored = encode_state(event, keys)
        state = orjson.loads(stored)
        assert SEALED in state
        for field in SEALED_FIELDS[event.TOPIC]:
            assert field not in state
        again = decode_state(event.TOPIC, event.originator_id, 1, stored, keys)
        assert again == event


def test_sealed_values_are_not_in_the_stored_bytes() -> None:
    """The plaintext does not appear in the stored state (while other fields do)."""
    keys = InMemoryKeyStore()
    event = ev.ReflectionLogged(**envelope(minutes=45, note="Kwakkelstein dilemma"))
    stored = encode_state(event, keys)
    assert b"Kwakkelstein" not in stored
    assert b'"minutes":45' in stored
    assert b"Kwakkelstein" in encode_state(event)  # without keys: clear (old behaviour)


def test_after_destroying_the_key_fields_read_erased() -> None:
    """Every sealed field reads as its erased value, and the event still validates."""
    keys = InMemoryKeyStore()
    for event in personal_events("Sanne", "a note"):
        stored = encode_state(event, keys)
        keys.destroy(event.originator_id)
        erased = decode_state(event.TOPIC, event.originator_id, 1, stored, keys)
        assert type(erased) is type(event)
        for field in SEALED_FIELDS[event.TOPIC]:
            assert getattr(erased, field) == erased_value(event.TOPIC, field)
        untouched = set(type(event).model_fields) - set(SEALED_FIELDS[event.TOPIC])
        for field in untouched:
            assert getattr(erased, field) == getattr(event, field), field
    assert erased_value(ev.PersonRegistered.TOPIC, "name") == ERASED
    assert erased_value(ev.LearningActivityCompleted.TOPIC, "statement") is None


def test_unset_fields_are_not_sealed_and_need_no_key() -> None:
    """An event whose personal fields are all empty stores no seal and creates no key."""
    keys = InMemoryKeyStore()
    event = ev.ReflectionLogged(**envelope(minutes=30))
    assert SEALED not in orjson.loads(encode_state(event, keys))
    assert keys.key_for_reading(event.originator_id) is None


def test_the_event_id_is_bound_to_the_ciphertext() -> None:
    """Moving a seal to another event (or using another key) fails loudly, not silently."""
    keys = InMemoryKeyStore()
    event = ev.ReflectionLogged(**envelope(minutes=30, note="secret"))
    state = orjson.loads(encode_state(event, keys))
    key = keys.key_for_reading(event.originator_id)
    moved = copy.deepcopy(state)
    moved["event_id"] = str(uuid4())
    with pytest.raises(SealError, match="do not open"):
        unseal(moved, event.TOPIC, key)
    with pytest.raises(SealError):
        unseal(copy.deepcopy(state), event.TOPIC, os.urandom(32))
    assert unseal(state, event.TOPIC, key)
    assert state["note"] == "secret"


def test_seal_leaves_other_topics_alone() -> None:
    """Events without personal fields are stored as before."""
    state = {"event_id": str(uuid4()), "minutes": 5}

    def no_key(_: UUID) -> bytes:
        raise AssertionError("no key must be asked for")

    seal(state, ev.IntervisionHeld.TOPIC, uuid4(), no_key)
    assert state == {"event_id": state["event_id"], "minutes": 5}


@pytest.fixture(params=["memory", "database"])
def key_store(request: pytest.FixtureRequest) -> PersonKeys:
    """Each key store shipped with the library."""
    if request.param == "memory":
        return InMemoryKeyStore()
    return DatabaseKeyStore(SqliteDatabase(":memory:"))


def test_key_store_life_cycle(key_store: PersonKeys) -> None:
    """Create once, read the same, destroy for good, never issue a new key after."""
    person = uuid4()
    assert key_store.key_for_reading(person) is None
    key = key_store.key_for_writing(person)
    assert len(key) == 32
    assert key_store.key_for_writing(person) == key
    assert key_store.key_for_reading(person) == key
    assert key_store.key_for_writing(uuid4()) != key
    assert not key_store.destroyed(person)
    assert key_store.destroy(person) is True
    assert key_store.destroy(person) is False
    assert key_store.destroyed(person)
    assert key_store.key_for_reading(person) is None
    with pytest.raises(PersonErasedError, match=str(person)):
        key_store.key_for_writing(person)
    never = uuid4()
    assert key_store.destroy(never) is False
    assert key_store.destroyed(never)


def _file_and_log_bytes(path: str) -> bytes:
    """The bytes of a SQLite database file and of its write-ahead log, if it has one."""
    log = Path(f"{path}-wal")
    return Path(path).read_bytes() + (log.read_bytes() if log.exists() else b"")


def test_database_key_store_is_shared_by_instances(tmp_path: Path) -> None:
    """Two key stores on one database file agree; a destroyed key leaves no bytes in the file."""
    path = str(tmp_path / "keys.db")
    first = DatabaseKeyStore(SqliteDatabase(path))
    second = DatabaseKeyStore(SqliteDatabase(path))
    request_close = [first.database, second.database]
    person = uuid4()
    key = first.key_for_writing(person)
    assert second.key_for_reading(person) == key
    assert key.hex().encode() in _file_and_log_bytes(path)
    first.destroy(person)
    first.database.scrub()
    assert second.destroyed(person)
    assert key.hex().encode() not in _file_and_log_bytes(path)
    for database in request_close:
        database.close()


def test_create_many_creates_missing_keys_in_one_transaction(tmp_path: Path) -> None:
    """Many keys at once: existing ones are kept, erased persons get none, others see them."""
    path = str(tmp_path / "keys.db")
    wrap = os.urandom(32)
    first = DatabaseKeyStore(SqliteDatabase(path), wrap_key=wrap)
    second = DatabaseKeyStore(SqliteDatabase(path), wrap_key=wrap)
    known, erased = uuid4(), uuid4()
    key = first.key_for_writing(known)
    first.destroy(erased)
    new = [uuid4() for _ in range(50)]
    first.create_many([known, erased, *new, new[0]])
    created = {person: second.key_for_reading(person) for person in new}
    assert all(value is not None and len(value) == 32 for value in created.values())
    assert len(set(created.values())) == len(new)
    assert all(first.key_for_writing(person) == created[person] for person in new)
    assert second.key_for_reading(known) == key
    assert second.key_for_reading(erased) is None
    with pytest.raises(PersonErasedError):
        first.key_for_writing(erased)
    for store in (first, second):
        store.database.close()


def test_create_many_keeps_a_key_another_process_created_first(tmp_path: Path) -> None:
    """When another key store created a person's key meanwhile, theirs is the one used."""
    path = str(tmp_path / "keys.db")
    first = DatabaseKeyStore(SqliteDatabase(path))
    second = DatabaseKeyStore(SqliteDatabase(path))
    person = uuid4()
    theirs = second.key_for_writing(person)
    first.create_many([person])
    assert first.key_for_writing(person) == theirs
    for store in (first, second):
        store.database.close()


def test_create_many_by_default_leaves_creation_to_first_use(key_store: PersonKeys) -> None:
    """Every key store accepts create_many; keys are then the ones key_for_writing gives."""
    persons = [uuid4(), uuid4()]
    key_store.create_many(persons)
    keys = [key_store.key_for_writing(person) for person in persons]
    assert keys[0] != keys[1]
    assert [key_store.key_for_reading(person) for person in persons] == keys


class CountingKms(PersonKeys):
    """A stand-in for a deployment's KMS: keys in a dict, calls counted."""

    def __init__(self) -> None:
        self.inner = InMemoryKeyStore()
        self.calls: list[str] = []

    def key_for_writing(self, person_id: UUID) -> bytes:
        self.calls.append("write")
        return self.inner.key_for_writing(person_id)

    def key_for_reading(self, person_id: UUID) -> bytes | None:
        self.calls.append("read")
        return self.inner.key_for_reading(person_id)

    def destroy(self, person_id: UUID) -> bool:
        self.calls.append("destroy")
        return self.inner.destroy(person_id)

    def destroyed(self, person_id: UUID) -> bool:
        return self.inner.destroyed(person_id)


def test_a_plugged_in_key_store_is_used(sqlite_url: str) -> None:
    """``LearningRecords(keys=...)`` writes, reads and erases through the given key store."""
    kms = CountingKms()
    with LearningRecords(sqlite_url, keys=kms) as records:
        records.register_organisation("o")
        records.register_person("o", "E1", name="Sanne")
        assert records.person("o", "E1").name == "Sanne"
        records.erase_person("o", "E1")
        assert records.stream("o", "person", "E1")[0].name == ERASED  # type: ignore[attr-defined]
    assert {"write", "read", "destroy"} <= set(kms.calls)
    # The default key store of the file never saw this person's key.
    with LearningRecords(sqlite_url) as other:
        assert other.person_keys.key_for_reading(other.person_id("o", "E1")) is None
