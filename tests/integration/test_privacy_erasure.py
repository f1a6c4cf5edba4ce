"""Erasure and per-person encryption on every store: the raw store keeps no trace of a person.

Each test scans what an attacker with a copy would read: the SQLite file bytes (with its
write-ahead log), every row of every table of the PostgreSQL schema, or, for ``memory://``, every
stored event and every side-table row. Needles are a person's name, email, external key,
identifier, note and registration number.
"""

from __future__ import annotations

import shutil
import sqlite3
import uuid
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import orjson
import pytest

from learningorg import LearningRecords
from learningorg.domain import events as ev
from learningorg.domain.errors import InvalidInputError, UnknownPersonError
from learningorg.interop.xapi import profile as pf
from learningorg.persistence.crypto import ERASED, SEALED
from learningorg.persistence.keys import DatabaseKeyStore
from learningorg.persistence.stores import parse_store_url
from learningorg.projections.knowledge_flow.exports import write_graphml

ORG = "jeugdzorg-noord"
T0 = datetime(2024, 1, 8, 9, 0, tzinfo=UTC)
AS_OF = datetime(2024, 12, 31, tzinfo=UTC)

ERASED_PERSON = {
    "key": "HR-771903",
    "name": "Zwaantje Verhoeckx",
    "email": "zwaantje.verhoeckx@example.org",
    "identifier": "https://lms.example.org/users/zv-5521",
    "note": "wrestled with the Kwakkelstein dilemma",
    "number": "SKJ-1099887",
    "goal": "Learn motivational interviewing with Oudegein",
}
KEPT_PERSON = {
    "key": "HR-228811",
    "name": "Bartholomeus Ijzerdraat",
    "email": "b.ijzerdraat@example.org",
}


def needles(person: dict[str, str]) -> list[bytes]:
    """The personal values of ``person`` as bytes to look for."""
    return [value.encode() for value in person.values()]


def imported_statement() -> dict[str, Any]:
    """An xAPI statement naming the erased person by name and email (kept whole as received)."""
    return {
        "id": str(uuid.UUID(int=4242)),
        "actor": {
            "objectType": "Agent",
            "name": ERASED_PERSON["name"],
            "mbox": f"mailto:{ERASED_PERSON['email']}",
        },
        "verb": {"id": "http://adlnet.gov/expapi/verbs/completed", "display": {"en-US": "done"}},
        "object": {
            "objectType": "Activity",
            "id": "https://lms.example.org/courses/41",
            "definition": {"name": {"en-US": "Course 41"}, "type": pf.ADL_ACTIVITY_BASE + "course"},
        },
        "result": {"completion": True, "duration": "PT2H"},
        "timestamp": "2024-03-01T10:00:00+01:00",
    }


def build_history(records: LearningRecords) -> None:
    """Two persons in one team, with every kind of personal data for the one to be erased."""
    at = iter(T0 + timedelta(days=7 * i) for i in range(100))
    records.register_organisation(ORG, "Jeugdzorg Noord", occurred_at=next(at))
    records.register_team(ORG, "T1", "Ambulant team Noord", occurred_at=next(at))
    records.register_team(ORG, "T2", "Residentieel team Zuid", occurred_at=next(at))
    for person, team in ((ERASED_PERSON, "T1"), (KEPT_PERSON, "T2")):
        records.register_person(
            ORG, person["key"], name=person["name"], email=person["email"], occurred_at=next(at)
        )
        records.add_member(ORG, team, person["key"], occurred_at=next(at))
    gone, kept = ERASED_PERSON["key"], KEPT_PERSON["key"]
    records.link_identifier(ORG, gone, ERASED_PERSON["identifier"], occurred_at=next(at))
    records.log_reflection(
        ORG, gone, minutes=90, note=ERASED_PERSON["note"], occurred_at=next(at),
        dimensions=("normative", "personal"),
    )  # fmt: skip
    records.record_experience(
        ORG, gone, kind="dilemma", uncertainty=4, note=ERASED_PERSON["note"], occurred_at=next(at)
    )
    records.set_development_goal(
        ORG, gone, "g1", description=ERASED_PERSON["goal"], occurred_at=next(at)
    )
    records.change_registration(
        ORG, gone, register_name="SKJ", number=ERASED_PERSON["number"],
        period_start=date(2022, 1, 1), period_end=date(2027, 1, 1), occurred_at=next(at),
    )  # fmt: skip
    records.complete_learning_activity(
        ORG, gone, mode="formal", hours=8, points=8, occurred_at=next(at)
    )
    records.share_knowledge(
        ORG, gone, to_persons=[kept], topic="family group", occurred_at=next(at)
    )
    records.seek_advice(ORG, kept, from_person=gone, topic="crisis plan", occurred_at=next(at))
    records.hold_intervision(ORG, "T1", participants=[gone, kept], minutes=60, occurred_at=next(at))
    summary = records.import_statements([imported_statement()], organisation=ORG)
    assert summary.accepted == 1, summary


def raw_dump(records: LearningRecords, url: str) -> bytes:
    """Everything the store holds, as bytes (closes ``records`` for file stores)."""
    config = parse_store_url(url)
    if config.kind == "sqlite":
        records.close()
        assert config.sqlite_path is not None
        base = Path(config.sqlite_path)
        files = [base, Path(f"{base}-wal"), Path(f"{base}-journal")]
        return b"".join(path.read_bytes() for path in files if path.exists())
    if config.kind == "postgresql":
        return postgres_rows(url)
    states = [n.state for n in records.recorder.select_notifications(1, 10**6)]
    database: Any = records.database
    side = "\n".join(database._conn.iterdump()).encode()
    return b"".join(states) + side


def postgres_rows(url: str, tables: str | None = None) -> bytes:
    """Every value of every row of the schema's tables (or of those containing ``tables``)."""
    import psycopg

    config = parse_store_url(url)
    assert config.postgres is not None
    schema = config.postgres.schema
    parts: list[bytes] = []
    dsn = url.split("?")[0]
    with psycopg.connect(dsn) as conn:
        names = [
            row[0]
            for row in conn.execute(
                "SELECT table_name FROM information_schema.tables WHERE table_schema = %s",
                (schema,),
            )
        ]
        assert names, f"no tables in schema {schema}"
        for name in names:
            if tables is not None and tables not in name:
                continue
            for row in conn.execute(f'SELECT * FROM "{schema}"."{name}"'):
                for value in row:
                    if isinstance(value, bytes | bytearray | memoryview):
                        parts.append(bytes(value))
                    else:
                        parts.append(str(value).encode())
    return b"\n".join(parts)


def event_table_dump(records: LearningRecords, url: str) -> bytes:
    """The stored events alone (a backup of the event table without the key table)."""
    config = parse_store_url(url)
    if config.kind == "postgresql":
        return postgres_rows(url, tables="_events")
    if config.kind == "sqlite":
        assert config.sqlite_path is not None
        with sqlite3.connect(config.sqlite_path) as conn:
            names = [
                row[0]
                for row in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")
                if row[0].endswith("_events")
            ]
            assert names
            rows = [r for name in names for r in conn.execute(f'SELECT * FROM "{name}"')]
        return b"\n".join(v if isinstance(v, bytes) else str(v).encode() for r in rows for v in r)
    return b"".join(n.state for n in records.recorder.select_notifications(1, 10**6))


def scores(records: LearningRecords) -> dict[str, Any]:
    """Capacity, compliance and flow-graph figures that erasure must not change."""
    gone = str(records.person_id(ORG, ERASED_PERSON["key"]))
    result: dict[str, Any] = {}
    for level, key in (("organisation", None), ("team", "T1"), ("team", "T2")):
        capacity = records.capacity(ORG, level, key, as_of=AS_OF)  # type: ignore[arg-type]
        result[f"capacity {level} {key}"] = (
            capacity.score,
            {code: sub.value for code, sub in capacity.subscores.items()},
        )
        compliance = records.compliance(ORG, level, key, as_of=AS_OF)  # type: ignore[arg-type]
        result[f"compliance {level} {key}"] = (
            compliance.summary.counts,
            sorted((str(p.person_id), p.status) for p in compliance.persons),
        )
    graph = records.knowledge_flow_graph(ORG, as_of=AS_OF)
    result["edges"] = sorted(
        (str(u), str(v), round(d["weight"], 9)) for u, v, d in graph.edges(data=True)
    )
    result["nodes"] = sorted(map(str, graph.nodes))
    assert gone in graph.nodes, "the person to erase must be in the flow graph"
    assert any(gone in edge[:2] for edge in graph.edges), "and have flows"
    return result


def exports(records: LearningRecords, folder: Path, *, names: bool) -> bytes:
    """The xAPI, GraphML and Parquet exports of the organisation, as bytes."""
    from learningorg.analysis import history_frame, write_parquet

    statements = list(records.export_statements(ORG, names=names))
    graph = records.knowledge_flow_graph(ORG, as_of=AS_OF)
    labels = None
    if names:
        labels = {str(records.person_id(ORG, p["key"])): p["name"] for p in (KEPT_PERSON,)}
    write_graphml(graph, folder / "flow.graphml", names=labels)
    write_parquet(history_frame(records, organisation=ORG), folder / "history.parquet")
    return (
        orjson.dumps(statements)
        + (folder / "flow.graphml").read_bytes()
        + (folder / "history.parquet").read_bytes()
    )


def test_erasure_leaves_no_trace_and_keeps_every_count(store_url: str, tmp_path: Path) -> None:
    """After erasing, no needle is in the raw store or any export; scores and graph are equal."""
    records = LearningRecords(store_url)
    build_history(records)
    before = scores(records)
    email = ERASED_PERSON["email"].encode()
    named_before = exports(records, tmp_path, names=True)
    assert email in named_before, "a named export shows the person (so the scan can fail)"
    if parse_store_url(store_url).kind == "postgresql":
        # The statement log keeps the imported statement as received, until the erasure.
        assert email in postgres_rows(store_url)

    outcome = records.erase_person(ORG, ERASED_PERSON["key"], reason="request 2024-12")
    assert outcome.recorded
    assert outcome.warnings == ()

    assert scores(records) == before
    for names in (False, True):
        dumped = exports(records, tmp_path, names=names)
        for needle in needles(ERASED_PERSON):
            assert needle not in dumped, (needle, names)
    assert KEPT_PERSON["email"].encode() in exports(records, tmp_path, names=True)

    gone = str(records.person_id(ORG, ERASED_PERSON["key"]))
    assert gone in records.knowledge_flow_graph(ORG, as_of=AS_OF).nodes
    raw = raw_dump(records, store_url)
    for needle in needles(ERASED_PERSON) + needles(KEPT_PERSON):
        assert needle not in raw, needle
    assert b"Ambulant team Noord" in raw, "what is not personal stays readable (the scan works)"
    records.close()


def test_the_statement_log_copy_is_in_the_file_until_erasure(sqlite_url: str) -> None:
    """The SQLite file holds the imported statement's email before erasing, and not after."""
    records = LearningRecords(sqlite_url)
    build_history(records)
    path = Path(parse_store_url(sqlite_url).sqlite_path or "")
    records.close()
    copy = path.with_suffix(".copy")
    for suffix in ("", "-wal"):
        if Path(f"{path}{suffix}").exists():
            shutil.copyfile(f"{path}{suffix}", f"{copy}{suffix}")
    with sqlite3.connect(copy) as conn:
        text = "\n".join(conn.iterdump())
    assert ERASED_PERSON["email"] in text
    records = LearningRecords(sqlite_url)
    records.erase_person(ORG, ERASED_PERSON["key"])
    raw = raw_dump(records, sqlite_url)
    assert ERASED_PERSON["email"].encode() not in raw


def test_event_table_alone_reveals_no_personal_data(store_url: str) -> None:
    """A copy of the event table (no key table) holds no name, email, key or note of anyone."""
    with LearningRecords(store_url) as records:
        build_history(records)
        events_only = event_table_dump(records, store_url)
        assert b"Ambulant team Noord" in events_only, "the dump is the event table"
        for needle in needles(ERASED_PERSON) + needles(KEPT_PERSON):
            assert needle not in events_only, needle
        # ... while the API, holding the keys, reads every personal field back.
        person = records.person(ORG, ERASED_PERSON["key"])
        assert (person.name, person.email) == (ERASED_PERSON["name"], ERASED_PERSON["email"])
        assert ERASED_PERSON["identifier"] in person.identifiers


def test_replaying_an_erased_stream_marks_personal_fields(store_url: str) -> None:
    """The stream replays without error; personal fields read "[erased]", the rest as stored."""
    with LearningRecords(store_url) as records:
        build_history(records)
        before = records.stream(ORG, "person", ERASED_PERSON["key"])
        records.erase_person(ORG, ERASED_PERSON["key"])
        after = records.stream(ORG, "person", ERASED_PERSON["key"])
    assert len(after) == len(before) + 1
    assert isinstance(after[-1], ev.PersonErased)
    seen = set()
    for old, new in zip(before, after, strict=False):
        assert type(old) is type(new)
        assert old.event_id == new.event_id
        for name in type(new).model_fields:
            old_value, new_value = getattr(old, name), getattr(new, name)
            if new_value != old_value:
                assert new_value in (ERASED, None), (type(new).__name__, name, new_value)
                seen.add((type(new).__name__, name))
    assert {
        ("PersonRegistered", "key"),
        ("PersonRegistered", "name"),
        ("PersonRegistered", "email"),
        ("IdentifierLinked", "identifier"),
        ("ReflectionLogged", "note"),
        ("RegistrationChanged", "number"),
        ("DevelopmentGoalSet", "description"),
    } <= seen
    registered = after[0]
    assert isinstance(registered, ev.PersonRegistered)
    assert registered.name == ERASED


def test_erasure_is_idempotent_and_final(store_url: str) -> None:
    """Erasing twice records one PersonErased; nothing personal can be recorded afterwards."""
    with LearningRecords(store_url) as records:
        build_history(records)
        key = ERASED_PERSON["key"]
        assert not records.is_erased(ORG, key)
        first = records.erase_person(ORG, key)
        second = records.erase_person(ORG, key)
        assert first.recorded
        assert not second.recorded
        stream = records.stream(ORG, "person", key)
        assert sum(isinstance(e, ev.PersonErased) for e in stream) == 1
        assert records.is_erased(ORG, key)
        with pytest.raises(InvalidInputError, match="erased"):
            records.log_reflection(ORG, key, minutes=30, note="more")
        with pytest.raises(UnknownPersonError):
            records.erase_person(ORG, "nobody-here")
        assert records.person_by_identifier(ORG, ERASED_PERSON["identifier"]) is None
        assert records.person_by_identifier(ORG, f"mailto:{ERASED} ") is None
        # The kept person is untouched.
        assert records.person(ORG, KEPT_PERSON["key"]).name == KEPT_PERSON["name"]


def test_erasure_holds_in_a_new_process_view(sqlite_url: str) -> None:
    """Another instance opened later reads the erased stream as erased too."""
    with LearningRecords(sqlite_url) as records:
        build_history(records)
        records.erase_person(ORG, ERASED_PERSON["key"])
    with LearningRecords(sqlite_url) as again:
        person = again.person(ORG, ERASED_PERSON["key"])
        assert person.erased
        assert person.name is None
        events = again.stream(ORG, "person", ERASED_PERSON["key"])
        assert isinstance(events[0], ev.PersonRegistered)
        assert events[0].email == ERASED
        assert again.person(ORG, KEPT_PERSON["key"]).email == KEPT_PERSON["email"]


def test_imported_person_events_are_sealed(store_url: str) -> None:
    """Events the xAPI import stores (its batch path) go through the same mapper: sealed."""
    statements = []
    for n in range(30):
        statement = imported_statement()
        statement["id"] = str(uuid.UUID(int=9000 + n))
        statement["actor"] = {
            "objectType": "Agent",
            "name": f"Imported Person Quaak{n:02d}",
            "mbox": f"mailto:quaak{n:02d}@example.org",
        }
        statements.append(statement)
    with LearningRecords(store_url) as records:
        records.register_organisation(ORG, "Jeugdzorg Noord")
        summary = records.import_statements(statements, organisation=ORG)
        assert summary.accepted == 30, summary
        events_only = event_table_dump(records, store_url)
        sealed = [
            e.event
            for e in records.events(organisation=ORG)
            if isinstance(e.event, ev.PersonRegistered)
        ]
        assert len(sealed) == 30
        assert any(e.name == "Imported Person Quaak07" for e in sealed)
    assert events_only.count(SEALED.encode()) >= 30
    for n in range(30):
        assert f"Quaak{n:02d}".encode() not in events_only
        assert f"quaak{n:02d}@example.org".encode() not in events_only


def test_old_store_with_clear_personal_data_is_erased_in_place(tmp_path: Path) -> None:
    """A store written before sealing reads as before; erasing there overwrites the clear fields."""
    fixture = Path(__file__).resolve().parents[1] / "fixtures" / "store-v1.sqlite"
    if not fixture.is_file():
        pytest.skip(f"the schema-evolution fixture {fixture} is not there")
    copy = tmp_path / "old.sqlite"
    shutil.copyfile(fixture, copy)
    url = f"sqlite:///{copy}"
    records = LearningRecords(url)
    found = None
    for organisation in records.organisations():
        topics = [ev.PersonRegistered.TOPIC]
        for entry in records.events(organisation=organisation, topics=topics):
            event = entry.event
            assert isinstance(event, ev.PersonRegistered)
            if event.name and event.email and not records.is_erased(organisation, event.key):
                found = (organisation, event.key, event.name, event.email)
                break
        if found:
            break
    assert found is not None, "the fixture registers a person with a name and email"
    organisation, key, name, email = found
    before = records.stream(organisation, "person", key)
    fragment = orjson.dumps({"key": key, "name": name, "email": email})[1:-1]
    assert fragment in copy.read_bytes(), "stored in clear by the old release"
    outcome = records.erase_person(organisation, key)
    assert outcome.recorded
    after = records.stream(organisation, "person", key)
    assert [e.event_id for e in after[:-1]] == [e.event_id for e in before]
    registered = after[0]
    assert isinstance(registered, ev.PersonRegistered)
    assert (registered.name, registered.email, registered.key) == (ERASED, ERASED, ERASED)
    raw = raw_dump(records, url)
    # Names repeat across the fixture's organisations: look for this person's own fragment.
    fragment = orjson.dumps({"key": key, "name": name, "email": email})[1:-1]
    assert fragment not in raw
    assert orjson.dumps(email) not in raw


def test_another_open_instance_forgets_the_key(store_url: str) -> None:
    """An instance that read the key before another one erased the person reads it as erased."""
    if parse_store_url(store_url).kind == "memory":
        pytest.skip("an in-memory store cannot be opened twice")
    with LearningRecords(store_url) as writer, LearningRecords(store_url) as reader:
        build_history(writer)
        keys = reader.person_keys
        assert isinstance(keys, DatabaseKeyStore)
        keys.refresh_seconds = 0  # look for destroyed keys on every read
        first = reader.stream(ORG, "person", ERASED_PERSON["key"])[0]
        assert isinstance(first, ev.PersonRegistered)
        assert first.name == ERASED_PERSON["name"]
        writer.erase_person(ORG, ERASED_PERSON["key"])
        again = reader.stream(ORG, "person", ERASED_PERSON["key"])[0]
        assert isinstance(again, ev.PersonRegistered)
        assert again.name == ERASED
        assert reader.person(ORG, ERASED_PERSON["key"]).erased
        kept = reader.stream(ORG, "person", KEPT_PERSON["key"])[0]
        assert isinstance(kept, ev.PersonRegistered)
        assert kept.name == KEPT_PERSON["name"]


def test_fields_an_older_release_left_in_clear_are_erased_on_every_store(store_url: str) -> None:
    """Events written without sealing (as before per-person keys) are erased in place too."""
    records = LearningRecords(store_url)
    records.register_organisation(ORG)
    keys = records.mapper.person_keys
    records.mapper.person_keys = None  # write as a release without per-person keys did
    records.register_person(
        ORG, ERASED_PERSON["key"], name=ERASED_PERSON["name"], email=ERASED_PERSON["email"]
    )
    records.log_reflection(ORG, ERASED_PERSON["key"], minutes=20, note=ERASED_PERSON["note"])
    records.mapper.person_keys = keys
    records.log_reflection(ORG, ERASED_PERSON["key"], minutes=20, note="sealed " + "x" * 8)
    assert ERASED_PERSON["email"].encode() in event_table_dump(records, store_url)
    records.erase_person(ORG, ERASED_PERSON["key"])
    stream = records.stream(ORG, "person", ERASED_PERSON["key"])
    notes = [e.note for e in stream if isinstance(e, ev.ReflectionLogged)]
    assert notes == [ERASED, ERASED]
    raw = raw_dump(records, store_url)
    for needle in needles(ERASED_PERSON):
        assert needle not in raw, needle
    records.close()
