"""The xAPI import's rows put together from templates are the rows the mapper writes.

Once a payload was validated, the fast path gives later events with that payload to
``Records.save_events`` as their stored JSON (``EncodedEvent``), built from the payload's JSON and
the envelope's, without building the pydantic event or calling the mapper. These tests hold each
stored row, byte for byte, to what the store's mapper makes of the event the row stands for:
sealed personal fields included (with per-person keys; the sealing nonce is made fixed so that
two sealings of the same fields can be compared), and under encryption at rest.
"""

from __future__ import annotations

import sqlite3
import types
import uuid
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import orjson
import pytest
from eventsourcing.persistence import StoredEvent
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from learningorg import LearningRecords
from learningorg.application import EncodedEvent
from learningorg.domain import events as ev
from learningorg.interop.xapi import importer as imp
from learningorg.interop.xapi import profile as pf
from learningorg.interop.xapi.importer import import_statements
from learningorg.persistence import crypto
from learningorg.persistence.mapper import encode_state
from learningorg.persistence.stores import new_cipher_key

ORG = "jeugdzorg-noord"

FAST_PAYLOADS: dict[type[ev.LearningEvent], dict[str, Any]] = {
    ev.LearningActivityCompleted: {"mode": "formal", "kind": "course", "title": "T", "hours": 2},
    ev.ReflectionLogged: {"minutes": 30, "form": "coaching", "dimensions": ["normative"]},
    ev.ExperienceRecorded: {"kind": "dilemma", "uncertainty": 4, "note": "n é"},
    ev.AssumptionRevised: {"before": "a", "after": None},
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

_OFFSETS = st.sampled_from(
    [UTC, timezone(timedelta(hours=1)), timezone(timedelta(hours=-9, minutes=-30))]
)
_MOMENTS = st.builds(
    lambda base, micro, tz: base.replace(microsecond=micro, tzinfo=tz),
    st.datetimes(min_value=datetime(1990, 1, 1), max_value=datetime(2100, 1, 1)),
    st.sampled_from([0, 1, 120_000, 999_999]),
    _OFFSETS,
)


@st.composite
def envelopes(draw: st.DrawFn) -> dict[str, Any]:
    return {
        "event_id": draw(st.uuids()),
        "organisation": ORG,
        "occurred_at": draw(_MOMENTS),
        "recorded_at": draw(_MOMENTS),
        "recorded_by": draw(st.sampled_from(["xapi", 'lms "feed" \u00e9', "a\\b\n"])),
        "source_statement_id": draw(st.none() | st.uuids()),
        "refs": tuple(draw(st.lists(st.uuids(), max_size=2))),
        "competences": tuple(draw(st.lists(st.sampled_from(["esco:1", "skj:é"]), max_size=2))),
        "values": tuple(draw(st.lists(st.sampled_from(["trust", "care"]), max_size=2))),
    }


@pytest.mark.parametrize("value", ["plain", 'quote " and \\ and \u00e9 \u2603', "\n\t\u0001"])
def test_the_json_of_text_is_orjsons(value: str) -> None:
    assert imp._json_text(value) == orjson.dumps(value).decode()


def test_every_fast_class_can_be_encoded() -> None:
    """The fast classes are person-stream events their aggregate only counts: all encodable."""
    assert set(FAST_PAYLOADS) == set(imp._FAST)
    builder = imp._EventBuilder()
    assert all(builder._encodable(cls) for cls in imp._FAST)
    assert not builder._encodable(ev.PersonRegistered)
    assert not builder._encodable(ev.EventRetracted)


@settings(max_examples=150, deadline=None)
@given(
    cls=st.sampled_from(list(FAST_PAYLOADS)),
    first=envelopes(),
    second=envelopes(),
    version=st.integers(1, 10_000),
)
def test_an_encoded_event_is_the_json_the_mapper_writes(
    cls: type[ev.LearningEvent], first: dict[str, Any], second: dict[str, Any], version: int
) -> None:
    builder = imp._EventBuilder()
    stream = uuid.uuid4()
    payload = imp._FAST[cls](FAST_PAYLOADS[cls])
    built = builder.build(cls, stream, version, first, dict(payload), encode=True)
    assert isinstance(built, cls)  # the first with this payload is validated
    encoded = builder.build(cls, stream, version + 1, second, dict(payload), encode=True)
    assert type(encoded) is EncodedEvent
    event = cls(originator_id=stream, originator_version=version + 1, **second, **payload)
    assert (encoded.originator_id, encoded.originator_version, encoded.event_id) == (
        stream,
        version + 1,
        event.event_id,
    )
    assert encoded.topic == cls.TOPIC
    state = encoded.state
    personal = [n for n in crypto.SEALED_FIELDS.get(cls.TOPIC, ()) if getattr(event, n)]
    # Given as bytes exactly when there is nothing to seal; as a dict to seal otherwise.
    assert isinstance(state, dict) == bool(personal)
    assert (state if isinstance(state, bytes) else orjson.dumps(state)) == encode_state(event)
    # Without encode, the same cache gives the pydantic event.
    direct = builder.build(cls, stream, version + 1, second, dict(payload))
    assert direct == event


def _fixed_nonces(monkeypatch: pytest.MonkeyPatch) -> None:
    """Seal with a fixed nonce, so the same fields sealed twice give the same bytes."""
    monkeypatch.setattr(crypto, "os", types.SimpleNamespace(urandom=lambda n: b"\x5a" * n))


def _statement(n: int, person: int, timestamp: str, note: str | None) -> dict[str, Any]:
    result: dict[str, Any] = {
        "id": str(uuid.UUID(int=n + 1)),
        "actor": {"name": f"Person {person}", "mbox": f"mailto:p{person}@example.org"},
        "timestamp": timestamp,
    }
    if n % 3:
        profile = pf.BY_VERB[pf.VERB_BASE + "reflected"]
        result["verb"] = {"id": profile.verb_iri}
        result["object"] = {"id": profile.activity_id(None)}
        extensions: dict[str, Any] = {
            pf.extension("minutes"): 30,
            pf.extension("dimensions"): ["normative", "personal"][: n % 3],
        }
        if note is not None:
            extensions[pf.extension("note")] = note
        result["context"] = {"extensions": extensions}
    else:
        result["verb"] = {"id": "http://adlnet.gov/expapi/verbs/completed"}
        result["object"] = {"id": "https://lms.example.org/courses/7"}
        result["result"] = {"duration": "PT2H"}
    return result


_TIMESTAMPS = st.sampled_from(
    [
        "2024-03-01T10:00:00+01:00",
        "2024-03-01T10:00:00Z",
        "2024-03-01T10:00:00.250+00:00",
        "2024-03-01T23:59:59.999999-09:30",
        "2023-12-31T00:00:00+14:00",
    ]
)


def _check_rows(path: Path, records: LearningRecords) -> int:
    """Compare each stored row with what the mapper writes for its event; the rows count."""
    mapper = records.mapper
    with sqlite3.connect(path) as db:
        rows = db.execute(
            "SELECT originator_id, originator_version, topic, state FROM stored_events "
            "ORDER BY rowid"
        ).fetchall()
    for stream, version, topic, state in rows:
        stored = StoredEvent(
            originator_id=uuid.UUID(stream), originator_version=version, topic=topic, state=state
        )
        expected = mapper.to_stored_event(mapper.to_learning_event(stored))
        assert expected.topic == topic
        if mapper.cipher:  # the cipher's own nonce is random: compare what it encrypted
            assert mapper.cipher.decrypt(state) == mapper.cipher.decrypt(expected.state)
            assert state != expected.state
        else:
            assert state == expected.state, topic
    return len(rows)


def _import(
    path: Path, statements: list[dict[str, Any]], monkeypatch: pytest.MonkeyPatch, cipher: bool
) -> list[EncodedEvent]:
    """Import ``statements`` into a new store at ``path`` (sealing nonces fixed), check its rows
    against the mapper's, and return the events the template path made."""
    _fixed_nonces(monkeypatch)
    encoded: list[EncodedEvent] = []
    original = imp._encoded

    def counted(*args: Any) -> EncodedEvent:
        made = original(*args)
        encoded.append(made)
        return made

    monkeypatch.setattr(imp, "_encoded", counted)
    url = f"sqlite:///{path}" + (f"?cipher_key={new_cipher_key()}" if cipher else "")
    with LearningRecords(url) as records:
        records.register_organisation(ORG)
        summary = import_statements(records, statements, organisation=ORG, batch_size=4)
        assert summary.accepted == len(statements), summary.failures
        persons = len({s["actor"]["mbox"] for s in statements})
        assert _check_rows(path, records) == 1 + persons + len(statements)
        # The events read back are the ones imported, personal fields in clear to the store.
        notes = [
            e.note
            for e in (h.event for h in records.events())
            if isinstance(e, ev.ReflectionLogged)
        ]
        expected = [
            s["context"]["extensions"].get(pf.extension("note"))
            for s in statements
            if "context" in s
        ]
        assert notes == expected
    return encoded


@pytest.mark.parametrize("cipher", [False, True], ids=["plain", "encrypted-at-rest"])
def test_sealed_rows_from_templates_are_the_mappers_rows(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, cipher: bool
) -> None:
    """Repeated payloads with personal notes: most rows come from templates, sealed with each
    person's own key, and equal the mapper's rows byte for byte."""
    timestamps = ["2024-03-01T10:00:00+01:00", "2024-03-01T10:00:00.250Z"]
    statements = [
        _statement(n, n % 4, timestamps[n % 2], "vertrouwelijk é" if n % 2 else None)
        for n in range(48)
    ]
    encoded = _import(tmp_path / "store.db", statements, monkeypatch, cipher)
    sealed = [e for e in encoded if isinstance(e.state, dict) and crypto.SEALED in e.state]
    assert len(encoded) > len(statements) // 2
    assert sealed
    assert any(isinstance(e.state, bytes) for e in encoded)  # the unsealed ones as bytes
    assert len({e.originator_id for e in sealed}) == 2  # persons 1 and 3 wrote notes
    assert all(e.state[crypto.SEALED]["fields"] == ["note"] for e in sealed)


@settings(
    max_examples=10,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(
    timestamps=st.lists(_TIMESTAMPS, min_size=1, max_size=30),
    notes=st.lists(st.none() | st.sampled_from(["kort", "met ê en ☃", ""]), min_size=1),
    persons=st.integers(1, 4),
)
def test_stored_rows_are_the_mappers_rows_byte_for_byte(
    tmp_path_factory: pytest.TempPathFactory,
    monkeypatch: pytest.MonkeyPatch,
    timestamps: list[str],
    notes: list[str | None],
    persons: int,
) -> None:
    statements = [
        _statement(n, n % persons, timestamp, notes[n % len(notes)])
        for n, timestamp in enumerate(timestamps)
    ]
    _import(tmp_path_factory.mktemp("rows") / "store.db", statements, monkeypatch, cipher=False)
