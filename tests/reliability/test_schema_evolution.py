"""Schema evolution: a store written by the first released event schema stays readable.

``tests/fixtures/store-v1.sqlite`` was written once by ``scripts/make_fixture_store.py`` with the
first schema, and ``store-v1.json`` holds what every stored event decoded to then. These tests open
a copy with the current code: every event must still decode (upcasters run on real old rows) to
the same values, every stream must replay, the projections must run on it, and new events must
land after the old ones.
"""

from __future__ import annotations

import json
import shutil
from collections import defaultdict
from datetime import datetime, timedelta
from functools import cache
from pathlib import Path
from typing import Any
from uuid import UUID

import pytest

from learningorg import LearningRecords
from learningorg.domain import events as ev

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"
STORE = FIXTURES / "store-v1.sqlite"
SIDECAR = FIXTURES / "store-v1.json"

#: When an upcaster renames a field of a first-schema event, map (topic, old name) to the new
#: name here so the comparison follows it. Empty while no event has a second version.
RENAMED: dict[tuple[str, str], str] = {}
#: Personal fields by topic: a later version may hide them for erased persons.
PERSONAL = {cls.TOPIC: fields for cls, fields in ev.PERSONAL_FIELDS.items()}


@cache
def expected() -> dict[str, Any]:
    """The sidecar written with the fixture."""
    data: dict[str, Any] = json.loads(SIDECAR.read_text(encoding="utf-8"))
    return data


@pytest.fixture
def old_store(tmp_path: Path) -> str:
    """A copy of the fixture store (the committed file is never opened for writing)."""
    copy = tmp_path / "store-v1.sqlite"
    shutil.copyfile(STORE, copy)
    return f"sqlite:///{copy}"


def _erased_streams() -> set[str]:
    return {
        item["event"]["originator_id"]
        for item in expected()["events"]
        if item["topic"] == ev.PersonErased.TOPIC
    }


def _assert_same(decoded: dict[str, Any], stored: dict[str, Any], topic: str, erased: bool) -> None:
    for name, value in stored.items():
        current = RENAMED.get((topic, name), name)
        if erased and name in PERSONAL.get(topic, ()):
            # A later version may make an erased person's personal data unreadable (a
            # placeholder or None); it must never turn into another person's data.
            hidden = decoded.get(current)
            assert hidden in (value, None) or "erased" in str(hidden), (topic, name, hidden)
            continue
        assert current in decoded, f"{topic}: field {name!r} of the first schema is gone"
        assert decoded[current] == value, (topic, name, decoded[current], value)


def test_fixture_covers_the_whole_first_catalogue() -> None:
    """The fixture holds every event class of the first schema, and several of each kind."""
    topics = {item["topic"] for item in expected()["events"]}
    assert len(expected()["events"]) >= 300
    first_schema = {cls.TOPIC for cls in ev.event_classes()}
    # Classes added later are not in the fixture; every class it holds must still be known.
    for topic in topics:
        assert topic == ev.event_class(topic).TOPIC
    assert len(topics) >= 32
    assert topics <= first_schema
    assert {ev.EventRetracted.TOPIC, ev.PersonErased.TOPIC, ev.IdentifierLinked.TOPIC} <= topics


def test_every_old_event_decodes_to_its_first_schema_values(old_store: str) -> None:
    """In the total order, each stored row decodes (upcast) to what the first schema stored."""
    items = expected()["events"]
    erased = _erased_streams()
    with LearningRecords(old_store) as records:
        history = list(records.events())
        assert [entry.position for entry in history] == [item["position"] for item in items]
        for entry, item in zip(history, items, strict=True):
            assert item["topic"] == entry.event.TOPIC
            decoded = entry.event.model_dump(mode="json")
            stream = item["event"]["originator_id"]
            _assert_same(decoded, item["event"], item["topic"], stream in erased)
            same_version = type(entry.event).class_version == item["class_version"]
            if same_version and stream not in erased:
                assert decoded == item["event"], item["topic"]


def test_every_old_stream_replays_in_version_order(old_store: str) -> None:
    """Each stream reads back whole, versions 1..n, and its aggregate replays without error."""
    by_stream: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for item in expected()["events"]:
        by_stream[item["event"]["originator_id"]].append(item["event"])
    with LearningRecords(old_store) as records:
        for org in expected()["organisations"]:
            assert org in records.organisations()
            organisation = records.organisation(org)
            assert set(organisation.values) == {"safety", "together"}
            assert "P-escalatie" in organisation.practices
        for stream, stored in by_stream.items():
            events = records.stream_events(UUID(stream))
            assert [e.originator_version for e in events] == list(range(1, len(stored) + 1))
            assert [str(e.event_id) for e in events] == [s["event_id"] for s in stored]
        org = expected()["organisations"][0]
        team = records.team(org, "T2")
        assert team.name == "Residentieel Oost"
        assert len(team.members_at(datetime.fromisoformat("2024-12-01T00:00:00+00:00"))) == 5
        person = records.person(org, "E001")
        assert "lms:jeugdzorg-noord:E001" in person.identifiers
        assert set(person.goals) == {"G0"}
        assert records.person(org, "E012").erased


def test_projections_run_on_the_old_store(old_store: str) -> None:
    """Capacity, compliance and knowledge flow answer on the old store; capacity as before."""
    projections = expected()["projections"]
    as_of = datetime.fromisoformat(projections["as_of"])
    with LearningRecords(old_store) as records:
        for org, stored in projections["organisations"].items():
            for target, score in stored["capacity"].items():
                level, _, key = target.partition(":")
                result = records.capacity(org, level, key or None, as_of=as_of)
                assert result.score is not None
                assert 0 <= result.score <= 100
                if result.model_version == stored["capacity_model_version"]:
                    assert result.score == pytest.approx(score, abs=1e-9), (org, target)
            graph = records.knowledge_flow_graph(org, as_of=as_of)
            assert graph.number_of_nodes() == stored["flow_nodes"]
            assert graph.number_of_edges() > 0
            for person in stored["compliance_status"]:
                result = records.compliance(org, "person", person, as_of=as_of)
                assert result.persons[0].status in {"met", "on_track", "at_risk", "short"}
                assert result.persons[0].current is not None
            assert list(records.export_statements(org))


def test_new_events_land_after_the_old_ones(old_store: str) -> None:
    """Recording on the old store appends in the same order and the view includes it."""
    org = expected()["organisations"][0]
    last = expected()["events"][-1]["position"]
    as_of = datetime.fromisoformat(expected()["projections"]["as_of"]) + timedelta(days=1)
    with LearningRecords(old_store) as records:
        before = records.capacity(org, "person", "E001", as_of=as_of)
        done = records.log_reflection(
            org,
            "E001",
            minutes=120,
            dimensions=ev.DIMENSIONS,
            occurred_at=as_of - timedelta(hours=1),
            idempotency_key="after-upgrade",
        )
        assert done.position == last + 1
        again = records.log_reflection(
            org, "E001", minutes=120, occurred_at=as_of, idempotency_key="after-upgrade"
        )
        assert not again.recorded
        stream = records.stream(org, "person", "E001")
        assert stream[-1].event_id == done.event_id
        after = records.capacity(org, "person", "E001", as_of=as_of)
        assert after.position == last + 1
        assert after.subscores["P1"].value is not None
        before_p1 = before.subscores["P1"].value or 0.0
        assert after.subscores["P1"].value > before_p1 or before_p1 == 100
