"""Concurrent writers: processes and threads recording to one store lose and double nothing.

Three processes with three threads each record to the same SQLite file or PostgreSQL schema, all
on the same person ``P0`` and team ``T0`` (the streams they race for), while registering new
people. Every command must land exactly once, no concurrency error may reach a caller (the
application reloads and retries), and the total order must agree with every stream's own order.
"""

from __future__ import annotations

import time
from collections import defaultdict
from typing import Any
from uuid import UUID

import pytest
from tests.reliability.conftest import finish_worker, start_worker
from tests.reliability.workers import ORG, T0, write_keys

from learningorg import LearningRecords
from learningorg.application import MAX_ATTEMPTS
from learningorg.domain import events as ev
from learningorg.domain.ids import derive_id
from learningorg.errors import ConcurrencyError

PROCESSES = 3
THREADS = 3
ROUNDS = 6


def test_processes_and_threads_on_one_person_and_team_lose_nothing(shared_store_url: str) -> None:
    """9 writers x 6 rounds on one person and one team: every event once, one consistent order."""
    url = shared_store_url
    with LearningRecords(url) as setup:
        setup.register_organisation(ORG, occurred_at=T0)
        setup.register_team(ORG, "T0", occurred_at=T0)
        for person in ("P0", "P1"):
            setup.register_person(ORG, person, occurred_at=T0)
            setup.add_member(ORG, "T0", person, occurred_at=T0)
    workers = [
        start_worker("write", url, str(p), str(THREADS), str(ROUNDS)) for p in range(PROCESSES)
    ]
    reports = [finish_worker(worker) for worker in workers]
    assert all(not report["errors"] for report in reports), reports
    assert sum(report["commands"] for report in reports) == PROCESSES * THREADS * ROUNDS * 4

    rounds = [
        write_keys(p, t, r) for p in range(PROCESSES) for t in range(THREADS) for r in range(ROUNDS)
    ]
    with LearningRecords(url) as records:

        def event_id(key: str) -> UUID:
            return derive_id(records.secret, ORG, "event", key)

        person = records.stream(ORG, "person", "P0")
        reflections = [e.event_id for e in person if isinstance(e, ev.ReflectionLogged)]
        assert sorted(reflections) == sorted(event_id(k["reflection"]) for k in rounds)
        assert [e.originator_version for e in person] == list(range(1, len(person) + 1))

        team = records.stream(ORG, "team", "T0")
        sessions = [e.event_id for e in team if isinstance(e, ev.IntervisionHeld)]
        assert sorted(sessions) == sorted(event_id(k["intervision"]) for k in rounds)
        joined = [e.person for e in team if isinstance(e, ev.MemberJoined)]
        keys = [k["person"] for k in rounds] + ["P0", "P1"]
        expected_members = [records.person_id(ORG, key) for key in keys]
        assert sorted(joined) == sorted(expected_members)
        assert [e.originator_version for e in team] == list(range(1, len(team) + 1))
        for keys in rounds:
            assert len(records.stream(ORG, "person", keys["person"])) == 1

        # One total order: positions strictly increase, and each stream's events appear in it
        # in the stream's own version order.
        history = list(records.events())
        assert len(history) == 6 + 4 * len(rounds)
        positions = [entry.position for entry in history]
        assert positions == sorted(set(positions))
        versions: dict[UUID, list[int]] = defaultdict(list)
        for entry in history:
            versions[entry.event.originator_id].append(entry.event.originator_version)
        for stream_versions in versions.values():
            assert stream_versions == list(range(1, len(stream_versions) + 1))
        assert len({entry.event.event_id for entry in history}) == len(history)


def test_processes_opening_a_new_store_at_once_all_succeed(shared_store_url: str) -> None:
    """Six processes open a new store at the same moment: no DDL race, the organisation once."""
    at = time.time() + 2.5  # after every worker has imported the library
    workers = [start_worker("open", shared_store_url, str(at)) for _ in range(6)]
    reports = [finish_worker(worker) for worker in workers]
    assert sorted(report["recorded"] for report in reports) == [False] * 5 + [True]
    with LearningRecords(shared_store_url) as records:
        assert [entry.event.TOPIC for entry in records.events()] == [
            ev.OrganisationRegistered.TOPIC
        ]


def test_a_writer_that_always_loses_the_race_gets_a_clear_error(sqlite_url: str) -> None:
    """Bounded retries: when another writer wins every time, ConcurrencyError, nothing stored.

    Just before each of our saves another instance appends to the same stream (a real race,
    forced to happen every time), so every save of ours fails the store's version check.
    """
    with LearningRecords(sqlite_url) as setup:
        setup.register_organisation(ORG, occurred_at=T0)
        setup.register_person(ORG, "P0", occurred_at=T0)
    rival = LearningRecords(sqlite_url)
    loser = LearningRecords(sqlite_url)
    put = loser._app.events.put
    rival_writes: list[int] = []

    def put_after_rival(events: Any, **kwargs: Any) -> Any:
        rival_writes.append(len(rival_writes))
        rival.log_reflection(ORG, "P0", minutes=5, idempotency_key=f"rival-{len(rival_writes)}")
        return put(events, **kwargs)

    loser._app.events.put = put_after_rival  # type: ignore[method-assign]
    try:
        with pytest.raises(ConcurrencyError, match=r"after 12 attempts.*try again"):
            loser.log_reflection(ORG, "P0", minutes=30, idempotency_key="loser")
        assert len(rival_writes) == MAX_ATTEMPTS == 12
        stream = rival.stream(ORG, "person", "P0")
        assert len(stream) == 1 + MAX_ATTEMPTS
        assert derive_id(rival.secret, ORG, "event", "loser") not in {e.event_id for e in stream}
    finally:
        rival.close()
        loser.close()
