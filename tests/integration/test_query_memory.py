"""A query's working set is freed when it returns, not left to the cyclic garbage collector.

Capacity queries build an index of every fact in their window. Had any of it sat in a
reference cycle, it would stay in memory until the cyclic collector ran, which a busy reader
(queries overlapping in threads, the collector paused while facts are decoded) seldom does: the
soak benchmark's reader grew by gigabytes that way. Here the collector is off during the
queries; what it then finds must be small and must not grow with the number of events.
"""

from __future__ import annotations

import gc
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from learningorg import LearningRecords

ORG = "org"
T0 = datetime(2024, 1, 1, tzinfo=UTC)
PERSONS = [f"P{n}" for n in range(6)]


def record(records: LearningRecords, weeks: int) -> None:
    """Two teams, six persons, and a few events of each kind per person and week."""
    records.register_organisation(ORG, occurred_at=T0)
    for team in ("T1", "T2"):
        records.register_team(ORG, team, occurred_at=T0)
    for n, person in enumerate(PERSONS):
        records.register_person(ORG, person, occurred_at=T0)
        records.add_member(ORG, "T1" if n % 2 else "T2", person, occurred_at=T0)
    for week in range(weeks):
        at = T0 + timedelta(weeks=week, days=1)
        for n, person in enumerate(PERSONS):
            other = PERSONS[(n + 1 + week) % len(PERSONS)]
            records.log_reflection(ORG, person, minutes=30, occurred_at=at)
            records.share_knowledge(ORG, person, to_persons=[other], occurred_at=at)
            records.complete_learning_activity(
                ORG, person, mode="formal", hours=2.0, occurred_at=at
            )
        records.hold_intervision(ORG, "T1", participants=PERSONS[1::2], minutes=60, occurred_at=at)


@contextmanager
def collector_off() -> Iterator[None]:
    gc.collect()
    gc.disable()
    try:
        yield
    finally:
        gc.enable()


def cyclic_garbage(records: LearningRecords, as_of: datetime) -> Counter[str]:
    """The types of the objects the cyclic collector finds after one query of each kind."""
    with collector_off():
        records.capacity(ORG, "person", "P1", as_of=as_of)
        records.capacity(ORG, "team", "T1", as_of=as_of)
        records.capacity(ORG, "organisation", as_of=as_of)
        records.knowledge_flow_graph(ORG, level="team", as_of=as_of)
        records.knowledge_flow_report(ORG, as_of=as_of)
        gc.set_debug(gc.DEBUG_SAVEALL)
        try:
            gc.collect()
            found = Counter(type(o).__name__ for o in gc.garbage)
        finally:
            gc.set_debug(0)
            gc.garbage.clear()
    return found


@pytest.fixture
def store(tmp_path: Path) -> Iterator[LearningRecords]:
    with LearningRecords(f"sqlite:///{tmp_path / 'store.db'}") as records:
        yield records


def test_no_fact_index_or_scorer_is_left_in_a_cycle(store: LearningRecords) -> None:
    record(store, weeks=20)
    as_of = T0 + timedelta(weeks=21)
    cyclic_garbage(store, as_of)  # views caught up, caches filled
    found = cyclic_garbage(store, as_of)
    left = {"Fact", "LearningIndex", "Scorer", "GraphFlowScores", "Timeline", "UUID"} & set(found)
    assert not left, found.most_common(10)


def test_what_is_left_does_not_grow_with_the_events(tmp_path: Path) -> None:
    """Twice the weeks in the window, the same cyclic garbage (bounded by persons and teams)."""
    sizes = []
    for weeks in (10, 20):
        with LearningRecords(f"sqlite:///{tmp_path / f'{weeks}.db'}") as records:
            record(records, weeks)
            as_of = T0 + timedelta(weeks=weeks + 1)
            cyclic_garbage(records, as_of)
            sizes.append(sum(cyclic_garbage(records, as_of).values()))
    assert sizes[1] == sizes[0]
