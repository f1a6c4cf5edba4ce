"""A long-running writer's memory does not grow with every event it records.

The instance caches aggregates to validate and version new events; each remembers the ids of its
events to refuse a repeated idempotency key. Ids drawn at random (no key) can never be repeated,
so they are not kept; ids derived from keys are, and repeats are still refused.
"""

from __future__ import annotations

import tracemalloc
from datetime import UTC, datetime, timedelta
from pathlib import Path

from learningorg import LearningRecords

ORG = "org"
AT = datetime(2025, 1, 6, tzinfo=UTC)


def setup(records: LearningRecords) -> None:
    records.register_organisation(ORG, occurred_at=AT)
    records.register_team(ORG, "T", occurred_at=AT)
    for person in ("ann", "bob"):
        records.register_person(ORG, person, occurred_at=AT)
        records.add_member(ORG, "T", person, occurred_at=AT)


def remembered(records: LearningRecords, person: str) -> int:
    """How many event ids the cached aggregate of ``person`` holds."""
    return len(records._cache[records.person_id(ORG, person)].event_ids)


def test_random_ids_are_not_kept_and_keyed_repeats_are_still_refused() -> None:
    with LearningRecords("memory://") as records:
        setup(records)
        before = remembered(records, "ann")
        unkeyed = [
            records.log_reflection(ORG, "ann", minutes=30, occurred_at=AT + timedelta(hours=n))
            for n in range(300)
        ]
        assert all(r.recorded for r in unkeyed)
        assert remembered(records, "ann") == before
        keyed = [
            records.log_reflection(
                ORG, "ann", minutes=30, occurred_at=AT, idempotency_key=f"hr-{n}"
            )
            for n in range(20)
        ]
        assert all(r.recorded for r in keyed)
        assert remembered(records, "ann") == before + 20
        repeats = [
            records.log_reflection(
                ORG, "ann", minutes=30, occurred_at=AT, idempotency_key=f"hr-{n}"
            )
            for n in range(20)
        ]
        assert not any(r.recorded for r in repeats)
        # an unkeyed event recorded by this instance can still be retracted, once
        target = unkeyed[7].event_id
        assert target is not None
        assert records.retract(ORG, target, "wrong person").recorded
        assert not records.retract(ORG, target, "again").recorded
        assert len(records.stream(ORG, "person", "ann")) == 1 + 300 + 20 + 1


def test_a_writer_recording_thousands_of_events_stays_flat(tmp_path: Path) -> None:
    """Traced memory after 3,000 more unkeyed events grows by far less than their ids would."""
    with LearningRecords(f"sqlite:///{tmp_path / 'store.db'}") as records:
        setup(records)
        for _n in range(200):  # warm up the caches, connections and statements
            records.share_knowledge(ORG, "ann", to_persons=["bob"], occurred_at=AT)
        tracemalloc.start()
        try:
            start = tracemalloc.get_traced_memory()[0]
            events = 3_000
            for n in range(events):
                person, other = ("ann", "bob") if n % 2 else ("bob", "ann")
                at = AT + timedelta(minutes=n)
                records.share_knowledge(ORG, person, to_persons=[other], occurred_at=at)
            grown = tracemalloc.get_traced_memory()[0] - start
        finally:
            tracemalloc.stop()
    # a kept id costs about 180 bytes (the UUID, its int and a set slot): 540 kB here
    assert grown < 40 * events
