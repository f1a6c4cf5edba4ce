"""Replay of stored events into the capacity views, beside raw sqlite3 + orjson (events per second).

Writes ``--events`` events (default 1,000,000) of one organisation into a fresh SQLite store file:
the cast (teams, persons, memberships) through ``LearningRecords`` commands, the rest as
pydantic events mapped by the store's own mapper and written with the recorder's
``insert_events`` in large batches (what ``save()`` stores, without the per-aggregate overhead).

Then, in the same run and on the same rows, it times (median of ``--runs``):

- raw: ``SELECT`` of every stored row with ``sqlite3`` and ``orjson.loads`` of its state;
- replay: ``CapacityFactsView.catch_up()`` from an emptied view: every stored event read, decoded
  with orjson straight into fact records and written with the tracking position per batch, once
  in this process (``workers=1``) and once decoded by ``--workers`` worker processes;

and prints both rates, their ratio (target >= 0.5), and the peak traced memory of a replay up to
250,000 events and up to all of them, which should not grow with the number of events.

Run from the project root (not part of the test run)::

    .venv/bin/python benchmarks/bench_capacity_replay.py --events 100000   # a quick look
    .venv/bin/python benchmarks/bench_capacity_replay.py                   # the full million
"""

from __future__ import annotations

import argparse
import gc
import random
import resource
import sqlite3
import statistics
import sys
import tempfile
import time
import tracemalloc
import uuid
from collections import Counter
from collections.abc import Callable, Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import orjson

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from learningorg import LearningRecords  # noqa: E402
from learningorg.domain import events as ev  # noqa: E402
from learningorg.projections.views import CapacityFactsView  # noqa: E402

ORG = "bench-org"
START = datetime(2022, 1, 1, tzinfo=UTC)
SPAN = timedelta(days=3 * 365)


def record_cast(records: LearningRecords, teams: int, persons: int) -> tuple[list[Any], list[Any]]:
    """Register the organisation, its teams and persons (each in one team) with commands."""
    records.register_organisation(ORG, "Benchmark", occurred_at=START)
    records.define_vision_value(ORG, "samen", "Samen", occurred_at=START)
    team_ids = []
    for t in range(teams):
        records.register_team(ORG, f"T{t}", occurred_at=START)
        team_ids.append(records.team_id(ORG, f"T{t}"))
    person_ids = []
    for p in range(persons):
        records.register_person(ORG, f"P{p}", occurred_at=START)
        records.add_member(ORG, f"T{p % teams}", f"P{p}", occurred_at=START)
        person_ids.append(records.person_id(ORG, f"P{p}"))
    return team_ids, person_ids


class Generator:
    """Realistic events of one organisation: per-stream versions, references to earlier events."""

    def __init__(self, records: LearningRecords, team_ids: list[Any], person_ids: list[Any]):
        self.random = random.Random(42)
        self.team_ids, self.person_ids = team_ids, person_ids
        self.versions: Counter[Any] = Counter()
        for stream in (*team_ids, *person_ids):
            self.versions[stream] = len(records.stream_events(stream))
        self.recent: list[uuid.UUID] = []
        self.clock = datetime(2025, 6, 1, tzinfo=UTC)
        self.experiments: list[tuple[Any, str]] = []

    def _envelope(self, stream: Any, **extra: Any) -> dict[str, Any]:
        self.versions[stream] += 1
        self.clock += timedelta(microseconds=1000)
        event_id = uuid.uuid4()
        self.recent.append(event_id)
        if len(self.recent) > 200:
            del self.recent[:100]
        occurred = START + SPAN * self.random.random()
        return {
            "originator_id": stream,
            "originator_version": self.versions[stream],
            "event_id": event_id,
            "organisation": ORG,
            "occurred_at": occurred,
            "recorded_at": self.clock,
            **extra,
        }

    def _refs(self) -> tuple[uuid.UUID, ...]:
        return (
            (self.random.choice(self.recent),) if self.recent and self.random.random() < 0.3 else ()
        )

    def event(self) -> ev.LearningEvent:
        r, choice = self.random, self.random.random()
        person = r.choice(self.person_ids)
        team = r.choice(self.team_ids)
        if choice < 0.25:
            return ev.ReflectionLogged(
                **self._envelope(person, refs=self._refs()),
                minutes=r.randint(15, 120),
                dimensions=tuple(r.sample(ev.DIMENSIONS, r.randint(0, 3))),
                loop=r.choice(["single", "double"]),
            )
        if choice < 0.40:
            return ev.LearningActivityCompleted(
                **self._envelope(person, competences=(f"c{r.randint(0, 20)}",)),
                mode=r.choice(["formal", "informal"]),
                hours=2.0,
                points=float(r.randint(0, 8)),
            )
        if choice < 0.50:
            return ev.ExperienceRecorded(
                **self._envelope(person), kind="case", uncertainty=r.randint(1, 5)
            )
        if choice < 0.60:
            return ev.KnowledgeShared(
                **self._envelope(person), to_persons=(r.choice(self.person_ids),), topic="x"
            )
        if choice < 0.65:
            return ev.AdviceSought(**self._envelope(person), from_person=r.choice(self.person_ids))
        if choice < 0.68:
            return ev.ExternalKnowledgeAcquired(**self._envelope(person), source="research")
        if choice < 0.71:
            return ev.DevelopmentGoalSet(
                **self._envelope(person, values=("samen",)), goal_id=f"g{uuid.uuid4().hex[:8]}"
            )
        if choice < 0.73:
            return ev.AssumptionRevised(**self._envelope(person, refs=self._refs()))
        if choice < 0.81:
            pair = tuple(r.sample(self.person_ids, 3))
            return ev.IntervisionHeld(
                **self._envelope(team), participants=pair, minutes=90, dimensions=("normative",)
            )
        if choice < 0.85:
            pair = tuple(r.sample(self.person_ids, 2))
            return ev.CaseConsultationHeld(**self._envelope(team), participants=pair, minutes=60)
        if choice < 0.88:
            return ev.LessonCaptured(
                **self._envelope(team, refs=self._refs()), lesson_id=uuid.uuid4().hex[:8]
            )
        if choice < 0.90:
            experiment = uuid.uuid4().hex[:8]
            self.experiments.append((team, experiment))
            return ev.ExperimentStarted(
                **self._envelope(team), experiment_id=experiment, review_by=date(2025, 1, 1)
            )
        if choice < 0.91 and self.experiments:
            owner, experiment = self.experiments.pop()
            return ev.ExperimentEvaluated(
                **self._envelope(owner), experiment_id=experiment, result="adopt"
            )
        if choice < 0.92:
            return ev.VisionDialogueHeld(**self._envelope(team, values=("samen",)))
        return ev.WorkHoursAttested(
            **self._envelope(person),
            period_start=date(2024, 1, 1),
            period_end=date(2024, 12, 31),
            hours=1500.0,
        )

    def batches(self, count: int, size: int) -> Iterator[list[ev.LearningEvent]]:
        """``count`` events in batches of ``size``."""
        for start in range(0, count, size):
            yield [self.event() for _ in range(min(size, count - start))]


def write(records: LearningRecords, count: int, teams: int, persons: int) -> float:
    """Store the cast and ``count`` events in total; returns events written per second."""
    team_ids, person_ids = record_cast(records, teams, persons)
    generator = Generator(records, team_ids, person_ids)
    remaining = count - records.max_position()
    mapper, recorder = records.mapper, records.recorder
    started = time.perf_counter()
    for batch in generator.batches(remaining, 20_000):
        recorder.insert_events([mapper.to_stored_event(e) for e in batch])
    return remaining / (time.perf_counter() - started)


def raw_rate(path: str, table: str) -> tuple[float, int]:
    """Rows per second of a raw ``SELECT`` and ``orjson.loads`` of every stored row."""
    connection = sqlite3.connect(path)
    loads = orjson.loads
    started = time.perf_counter()
    cursor = connection.execute(f"SELECT rowid, originator_id, topic, state FROM {table}")
    rows = 0
    while True:
        page = cursor.fetchmany(5000)
        if not page:
            break
        for row in page:
            loads(row[3])
        rows += len(page)
    elapsed = time.perf_counter() - started
    connection.close()
    return rows / elapsed, rows


def replay_rate(view: CapacityFactsView) -> tuple[float, int]:
    """Events per second of a full replay: every stored event into the emptied view.

    ``rebuild(until=0)`` first drops and recreates the view (not timed: dropping the previous
    run's table is not replay), then ``catch_up()`` replays from position 0.
    """
    view.rebuild(until=0)
    gc.collect()
    started = time.perf_counter()
    applied = view.catch_up()
    return applied / (time.perf_counter() - started), applied


def median_of(runs: int, measure: Callable[[], tuple[float, int]]) -> tuple[float, int]:
    results = []
    for _ in range(runs):
        gc.collect()
        results.append(measure())
    return statistics.median(r for r, _ in results), results[-1][1]


def peak_memory(view: CapacityFactsView, until: int) -> int:
    """Peak traced memory (bytes) of a replay from 0 up to position ``until``."""
    view.rebuild(until=0)
    gc.collect()
    tracemalloc.start()
    tracemalloc.reset_peak()
    view.catch_up(until=until)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return peak


def main(argv: list[str]) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--teams", type=int, default=50)
    parser.add_argument("--persons", type=int, default=1000)
    parser.add_argument("--workers", type=int, default=2, help="processes of a parallel replay")
    parser.add_argument("--store", help="an existing benchmark store file to reuse")
    args = parser.parse_args(argv)

    path = args.store or str(Path(tempfile.mkdtemp(prefix="learningorg-bench-")) / "bench.db")
    with LearningRecords(f"sqlite:///{path}") as records:
        if records.max_position() < args.events:
            rate = write(records, args.events, args.teams, args.persons)
            print(f"stored {records.max_position():,} events in {path} ({rate:,.0f} events/s)")
        total = records.max_position()
        table = records.recorder.events_table_name
        single = CapacityFactsView(records, workers=1)
        parallel = CapacityFactsView(records, workers=args.workers)

        raw, rows = median_of(args.runs, lambda: raw_rate(path, table))
        print(f"raw sqlite3 SELECT + orjson.loads:     {raw:>9,.0f} rows/s   ({rows:,} rows)")
        for label, view in (("1 process", single), (f"{args.workers} workers", parallel)):
            replay, applied = median_of(args.runs, lambda view=view: replay_rate(view))
            facts = view.count()
            print(
                f"replay into the capacity views, {label:<10} {replay:>9,.0f} events/s "
                f"({applied:,} events, {facts:,} facts): ratio {replay / raw:.2f}"
            )
        print(f"(target ratio >= 0.5; median of {args.runs} runs each)")
        view = single

        quarter = min(250_000, total // 4)
        peaks = {quarter: peak_memory(view, quarter), total: peak_memory(view, total)}
        for events, peak in peaks.items():
            print(f"peak traced memory of a replay of {events:>9,} events: {peak / 2**20:6.1f} MiB")
        maxrss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        print(f"process peak RSS (whole run, incl. writing): {maxrss:,.0f} MiB")


if __name__ == "__main__":
    main(sys.argv[1:])
