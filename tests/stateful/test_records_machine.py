"""Stateful tests: random command sequences against a plain model, and across the three stores."""

from __future__ import annotations

import re
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from tempfile import mkdtemp
from typing import Any

import orjson
import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    Bundle,
    RuleBasedStateMachine,
    initialize,
    invariant,
    precondition,
    rule,
)
from tests.conftest import _drop_schema, make_store_url, postgres_problem

from learningorg import LearningRecords

ORGS = ("org-a", "org-b")
T0 = datetime(2024, 1, 1, tzinfo=UTC)
minutes_ = st.integers(1, 240)
days = st.integers(0, 700)


class RecordsMachine(RuleBasedStateMachine):
    """Registers organisations, teams and persons, moves people, records activities.

    Invariant: the state rebuilt from the store equals the plain model kept beside it.
    """

    teams = Bundle("teams")
    persons = Bundle("persons")

    def __init__(self) -> None:
        super().__init__()
        self.records = LearningRecords("memory://")
        self.model_teams: dict[tuple[str, str], dict[str, Any]] = {}
        self.model_persons: dict[tuple[str, str], int] = {}  # learning events per person
        self.model_membership: dict[tuple[str, str], list[tuple[datetime, datetime | None]]] = {}
        self.retractable: list[tuple[str, str, uuid.UUID]] = []
        self.retracted: dict[tuple[str, str], int] = {}

    def teardown(self) -> None:
        self.records.close()

    @initialize()
    def organisations(self) -> None:
        for org in ORGS:
            self.records.register_organisation(org, org.upper(), occurred_at=T0)

    @rule(target=teams, org=st.sampled_from(ORGS), key=st.sampled_from(["T1", "T2", "T3"]))
    def register_team(self, org: str, key: str) -> tuple[str, str]:
        done = self.records.register_team(org, key, f"Team {key}", occurred_at=T0)
        assert done.recorded == ((org, key) not in self.model_teams)
        self.model_teams.setdefault((org, key), {"name": f"Team {key}"})
        return (org, key)

    @rule(target=persons, org=st.sampled_from(ORGS), key=st.sampled_from(["P1", "P2", "P3", "P4"]))
    def register_person(self, org: str, key: str) -> tuple[str, str]:
        done = self.records.register_person(org, key, occurred_at=T0)
        assert done.recorded == ((org, key) not in self.model_persons)
        self.model_persons.setdefault((org, key), 0)
        return (org, key)

    @rule(team=teams, person=persons, day=days)
    def move_into_team(self, team: tuple[str, str], person: tuple[str, str], day: int) -> None:
        if team[0] != person[0]:
            return
        at = T0 + timedelta(days=day)
        periods = self.model_membership.setdefault((team[1], f"{person[0]}/{person[1]}"), [])
        if any(start <= at and (end is None or at < end) for start, end in periods):
            return
        if any(start > at for start, _ in periods):
            return  # keep the model simple: joins in time order only
        self.records.add_member(team[0], team[1], person[1], occurred_at=at)
        periods.append((at, None))

    @rule(team=teams, person=persons, day=days)
    def leave_team(self, team: tuple[str, str], person: tuple[str, str], day: int) -> None:
        periods = self.model_membership.get((team[1], f"{person[0]}/{person[1]}"), [])
        if team[0] != person[0] or not periods or periods[-1][1] is not None:
            return
        at = periods[-1][0] + timedelta(days=day + 1)
        self.records.remove_member(team[0], team[1], person[1], occurred_at=at)
        periods[-1] = (periods[-1][0], at)

    @rule(person=persons, minutes=minutes_, day=days)
    def reflect(self, person: tuple[str, str], minutes: int, day: int) -> None:
        done = self.records.log_reflection(
            person[0], person[1], minutes=minutes, occurred_at=T0 + timedelta(days=day)
        )
        assert done.event_id is not None
        self.model_persons[person] += 1
        self.retractable.append((person[0], person[1], done.event_id))

    @precondition(lambda self: bool(self.retractable))
    @rule(data=st.data())
    def retract(self, data: st.DataObject) -> None:
        org, key, event_id = data.draw(st.sampled_from(self.retractable))
        self.retractable.remove((org, key, event_id))
        assert self.records.retract(org, event_id, "test").recorded
        self.retracted[(org, key)] = self.retracted.get((org, key), 0) + 1

    @invariant()
    def store_matches_model(self) -> None:
        for (org, key), expected in self.model_teams.items():
            assert self.records.team(org, key).name == expected["name"]
        for (org, key), count in self.model_persons.items():
            person = self.records.person(org, key)
            stream = self.records.stream(org, "person", key)
            assert len(stream) == 1 + count + self.retracted.get((org, key), 0)
            assert len(person.retracted) == self.retracted.get((org, key), 0)
        for (team_key, who), periods in self.model_membership.items():
            org, person_key = who.split("/")
            team = self.records.team(org, team_key)
            pid = self.records.person_id(org, person_key)
            for start, end in periods:
                assert pid in team.members_at(start)
                if end is not None:
                    assert pid not in team.members_at(end)

    @invariant()
    def organisations_never_mix(self) -> None:
        for org in ORGS:
            assert all(e.event.organisation == org for e in self.records.events(organisation=org))


RecordsMachine.TestCase.settings = settings(
    max_examples=25, stateful_step_count=25, deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)  # fmt: skip
test_records_machine = RecordsMachine.TestCase


_UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")


def normalised_history(records: LearningRecords) -> list[dict[str, Any]]:
    """The history with store-specific ids (secret-derived, random) replaced by stable names."""
    names: dict[str, str] = {}
    for org in ORGS:
        names[str(records.organisation_id(org))] = f"{org}/organisation"
        for key in ("T1", "T2", "P1", "P2", "P3"):
            names[str(records.team_id(org, key))] = f"{org}/team/{key}"
            names[str(records.person_id(org, key))] = f"{org}/person/{key}"
    history = []
    for entry in records.events():
        data = entry.event.model_dump(mode="json")
        event_ids = {str(entry.event.event_id): f"event@{entry.position}"}
        text = orjson.dumps(data).decode()
        names.update(event_ids)
        text = _UUID.sub(lambda m: names.get(m.group(0), "?"), text)
        history.append({"position": entry.position, "type": type(entry.event).__name__,
                        "event": orjson.loads(text)})  # fmt: skip
    return history


class StoresAgree(RuleBasedStateMachine):
    """The same operations on memory, SQLite and PostgreSQL give identical histories."""

    def __init__(self) -> None:
        super().__init__()
        self.tmp = Path(mkdtemp(prefix="learningorg-agree-"))
        self.schemas: list[str] = []
        self.stores: list[LearningRecords] = []
        self.clocks: list[list[datetime]] = []
        kinds = ["memory", "sqlite"] + ([] if postgres_problem() else ["postgresql"])
        for kind in kinds:
            url, schema = make_store_url(kind, self.tmp)
            if schema:
                self.schemas.append(schema)
            now = [T0]
            self.clocks.append(now)
            self.stores.append(LearningRecords(url, clock=self._clock(now)))
        self.retractable: list[int] = []

    @staticmethod
    def _clock(now: list[datetime]) -> Any:
        def clock() -> datetime:
            now[0] += timedelta(seconds=1)
            return now[0]

        return clock

    def teardown(self) -> None:
        for store in self.stores:
            store.close()
        for schema in self.schemas:
            _drop_schema(schema)

    def each(self, call: Any) -> list[Any]:
        return [call(store) for store in self.stores]

    @initialize()
    def setup(self) -> None:
        for org in ORGS:
            self.each(lambda r, org=org: r.register_organisation(org, occurred_at=T0))
            for key in ("T1", "T2"):
                self.each(lambda r, org=org, key=key: r.register_team(org, key, occurred_at=T0))
            for key in ("P1", "P2", "P3"):
                self.each(lambda r, org=org, key=key: r.register_person(org, key, occurred_at=T0))

    @rule(org=st.sampled_from(ORGS), team=st.sampled_from(["T1", "T2"]),
          person=st.sampled_from(["P1", "P2", "P3"]), day=days)  # fmt: skip
    def join(self, org: str, team: str, person: str, day: int) -> None:
        at = T0 + timedelta(days=day)
        results = self.each(lambda r: r.add_member(org, team, person, occurred_at=at).recorded)
        assert len(set(results)) == 1

    @rule(org=st.sampled_from(ORGS), person=st.sampled_from(["P1", "P2", "P3"]),
          to=st.sampled_from(["P1", "P2", "P3"]), day=days, minutes=minutes_)  # fmt: skip
    def learn(self, org: str, person: str, to: str, day: int, minutes: int) -> None:
        at = T0 + timedelta(days=day)
        self.each(lambda r: r.log_reflection(org, person, minutes=minutes, occurred_at=at))
        self.each(lambda r: r.share_knowledge(org, person, to_persons=[to], occurred_at=at))
        self.each(lambda r: r.seek_advice(org, to, from_person=person, occurred_at=at))
        self.retractable.append(self.stores[0].max_position() - 2)

    @precondition(lambda self: bool(self.retractable))
    @rule(data=st.data())
    def retract(self, data: st.DataObject) -> None:
        position = data.draw(st.sampled_from(self.retractable))
        self.retractable.remove(position)
        for store in self.stores:
            entry = next(store.events(since=position - 1, until=position))
            store.retract(entry.event.organisation, entry.event.event_id)

    @invariant()
    def identical_histories(self) -> None:
        histories = [normalised_history(store) for store in self.stores]
        for other in histories[1:]:
            assert other == histories[0]


StoresAgree.TestCase.settings = settings(
    max_examples=8, stateful_step_count=12, deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)  # fmt: skip


@pytest.mark.postgres
class TestStoresAgree(StoresAgree.TestCase):  # type: ignore[name-defined,misc]
    """Memory, SQLite and PostgreSQL agree on every history (PostgreSQL required in CI)."""

    def setUp(self) -> None:
        from tests.conftest import require_postgres

        require_postgres()
