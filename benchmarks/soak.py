"""Soak benchmark: record many events through the public API while readers query all along.

Writer threads record learning events one command at a time (reflections, knowledge shared,
intervisions, courses) for a few hundred people in a few dozen teams, as an HR system does all
day; reader threads meanwhile ask for team, person and organisation capacity and for the team
knowledge-flow graph (of the last 90 days, and of the default window, the last 365 days). The
readers run in a process of their own, as an analyst's or a dashboard's would: in one process
their CPU-bound queries would hold the GIL and starve the writers.

The events occur over as many years of business time as the organisation needs to produce them
at ``--rate`` events per person per year (200 by default: a reflection a week, knowledge shared
a few times a month, some courses and intervisions; 500 persons and 1,000,000 events span ten
years), and every query asks as of the business time the writers have reached, as a dashboard
asks "now". So the queries' 365-day window fills during the first year of history and then holds
a year's worth of events while the store keeps growing: from then on (the steady state) memory
must stay flat, whatever the store's size. Every ``--interval`` seconds
it prints the events stored, the write rate, the resident memory (RSS) of the writer and the
reader process and the readers' latencies, and at the end a summary with:

- throughput (events/s) overall, the last window's rate as a ratio of the first, and the
  median rate of the windows in the last tenth of the events as a ratio of the first tenth (a
  store that slows down as it grows shows a ratio well below 1);
- p50 / p99 latency per kind of query, over the whole run and over the last tenth of the events
  (the queries on the largest store);
- RSS of each process after the first window, at the peak and at the end, and the end as a
  ratio of the first window; the same from the first sample of the steady state (flat memory:
  close to 1; it must not grow with the events).

    .venv/bin/python benchmarks/soak.py                      # 1,000,000 events (long)
    .venv/bin/python benchmarks/soak.py --events 100000      # about a minute or two
    .venv/bin/python benchmarks/soak.py --store postgresql://postgres@127.0.0.1:5432/test?schema=soak

``--json PATH`` also writes every sample and the summary as JSON.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import random
import resource
import statistics
import tempfile
import threading
import time
from collections import defaultdict
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from learningorg import LearningRecords
from learningorg.domain.events import DIMENSIONS as DIMENSIONS_OF_EVENTS

ORG = "soak"
#: The capacity model's default window, in days (the 365-day flow query reads the same).
WINDOW_DAYS = 365
DIMENSIONS = DIMENSIONS_OF_EVENTS


def rss_mib() -> float:
    """The resident memory of this process now, in MiB (Linux ``/proc``; else the peak)."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def percentile(values: list[float], share: float) -> float:
    """The ``share`` quantile of ``values`` (nearest rank), 0 for none."""
    if not values:
        return 0.0
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


def _queries(
    records: LearningRecords,
    rng: random.Random,
    persons: list[str],
    teams: list[str],
    clock: Callable[[], datetime],
) -> list[tuple[str, Callable[[], object]]]:
    """The kinds of query, each asked as of ``clock()``: the business time the writers reached."""

    def team() -> object:
        return records.capacity(ORG, "team", rng.choice(teams), as_of=clock())

    def person() -> object:
        return records.capacity(ORG, "person", rng.choice(persons), as_of=clock())

    def organisation() -> object:
        return records.capacity(ORG, "organisation", as_of=clock())

    def flow_90d() -> object:
        now = clock()
        return records.knowledge_flow_graph(
            ORG, level="team", since=now - timedelta(days=90), until=now, as_of=now
        )

    def flow_365d() -> object:
        # the default window: the last 365 days before as_of, as the capacity model reads it
        return records.knowledge_flow_graph(ORG, level="team", as_of=clock())

    return [
        ("capacity team", team),
        ("capacity person", person),
        ("capacity organisation", organisation),
        ("flow team graph 90d", flow_90d),
        ("flow team graph 365d", flow_365d),
    ]


QUERY_KINDS = (
    "capacity team",
    "capacity person",
    "capacity organisation",
    "flow team graph 90d",
    "flow team graph 365d",
)


def reader_process(
    store: str,
    threads: int,
    pause: float,
    interval: float,
    persons: list[str],
    teams: list[str],
    business_time: Any,
    kinds: list[str] | None,
    out: Any,
    stop: Any,
) -> None:
    """Reader threads querying capacity and flow until ``stop``; reports to ``out``.

    Every ``interval`` seconds it puts ``(latencies, rss_mib, errors)``: the ``(kind, seconds)``
    of the queries finished since the last report; after ``stop``, a last report and None.
    """
    records = LearningRecords(store)
    chosen = set(kinds or QUERY_KINDS)

    def clock() -> datetime:
        return datetime.fromtimestamp(business_time.value, UTC)

    lock = threading.Lock()
    finished: list[tuple[str, float]] = []
    errors: list[str] = []

    def read(seed: int) -> None:
        rng = random.Random(seed)
        queries = [q for q in _queries(records, rng, persons, teams, clock) if q[0] in chosen]
        while not stop.is_set():
            kind, query = rng.choice(queries)
            started = time.perf_counter()
            try:
                query()
            except Exception as error:  # reported, and the reader goes on
                with lock:
                    errors.append(f"reader {kind}: {type(error).__name__}: {error}")
                time.sleep(0.1)
                continue
            with lock:
                finished.append((kind, time.perf_counter() - started))
            time.sleep(pause)

    workers = [threading.Thread(target=read, args=(1000 + n,)) for n in range(threads)]
    for worker in workers:
        worker.start()
    while True:
        stopped = stop.wait(interval)
        if stopped:
            for worker in workers:
                worker.join()
        with lock:
            out.put((list(finished), rss_mib(), list(errors)))
            finished.clear()
            errors.clear()
        if stopped:
            break
    out.put(None)
    records.close()


class Soak:
    """One soak run: writers, readers and a monitor sharing counters."""

    def __init__(self, args: argparse.Namespace, store: str) -> None:
        self.args = args
        self.store = store
        self.records = LearningRecords(store, recorded_by="soak")
        self.persons = [f"E{n:05d}" for n in range(args.persons)]
        self.teams = [f"T{n:03d}" for n in range(args.teams)]
        self.team_of = {p: self.teams[n % len(self.teams)] for n, p in enumerate(self.persons)}
        self.members: dict[str, list[str]] = defaultdict(list)
        for person, team in self.team_of.items():
            self.members[team].append(person)
        # Business time: the history ends now and spans as many years as the organisation needs
        # to produce the events at ``--rate`` events per person per year.
        self.now = datetime.now(UTC)
        self.years = args.events / (args.persons * args.rate)
        self.start = self.now - timedelta(days=365.25 * self.years)
        #: The business time of the latest event claimed by a writer (POSIX seconds), shared
        #: with the reader process: its queries ask "as of now" in the history being written.
        self.clock = multiprocessing.get_context("spawn").Value("d", self.start.timestamp())
        self.events = 0
        self.lock = threading.Lock()
        self.latencies: dict[str, list[float]] = defaultdict(list)
        #: Latencies of the queries reported once 90% of the events were stored.
        self.late: dict[str, list[float]] = defaultdict(list)
        self.errors: list[str] = []
        self.samples: list[dict[str, Any]] = []

    def setup(self) -> None:
        """Register the organisation, its teams and people (these events count too)."""
        records = self.records
        at = self.start - timedelta(days=1)
        records.register_organisation(ORG, occurred_at=at)
        for team in self.teams:
            records.register_team(ORG, team, occurred_at=at)
        for person in self.persons:
            records.register_person(ORG, person, occurred_at=at)
            records.add_member(ORG, self.team_of[person], person, occurred_at=at)
        self.events = records.max_position()

    def _claim(self) -> int | None:
        with self.lock:
            if self.events >= self.args.events:
                return None
            self.events += 1
            return self.events

    def business_time(self, n: int) -> datetime:
        """When the ``n``-th event occurs: evenly spread over the history's years."""
        span = (self.now - self.start).total_seconds()
        return self.start + timedelta(seconds=span * n / self.args.events)

    def write(self, seed: int) -> None:
        """Record events one command each until the total is reached."""
        rng = random.Random(seed)
        records = self.records
        try:
            while (n := self._claim()) is not None:
                at = self.business_time(n)
                with self.clock.get_lock():
                    self.clock.value = max(self.clock.value, at.timestamp())
                person = rng.choice(self.persons)
                team = self.team_of[person]
                roll = rng.random()
                if roll < 0.45:
                    records.log_reflection(
                        ORG,
                        person,
                        minutes=rng.choice((20, 30, 45, 60)),
                        dimensions=rng.sample(DIMENSIONS, rng.randint(1, 3)),
                        occurred_at=at,
                    )
                elif roll < 0.75:
                    other = rng.choice(self.persons)
                    if other == person:
                        other = self.persons[(self.persons.index(person) + 1) % len(self.persons)]
                    records.share_knowledge(ORG, person, to_persons=[other], occurred_at=at)
                elif roll < 0.9:
                    records.complete_learning_activity(
                        ORG, person, mode="formal", hours=2.0, points=2.0, occurred_at=at
                    )
                else:
                    participants = rng.sample(self.members[team], min(4, len(self.members[team])))
                    records.hold_intervision(
                        ORG, team, participants=participants, minutes=90, occurred_at=at
                    )
        except Exception as error:  # reported in the summary; the run goes on without it
            self.errors.append(f"writer: {type(error).__name__}: {error}")

    def monitor(self, began: float, reports: Any) -> None:
        """Print and keep one sample per reader report until the writers are done."""
        last_events, last_time = self.events, began
        while True:
            report = reports.get()
            if report is None:
                return
            self._sample(began, last_events, last_time, *report)
            last_events, last_time = self.events, time.perf_counter()

    def _sample(
        self,
        began: float,
        last_events: int,
        last_time: float,
        finished: list[tuple[str, float]],
        reader_rss: float,
        errors: list[str],
    ) -> None:
        now = time.perf_counter()
        events = self.events
        window: dict[str, list[float]] = defaultdict(list)
        late = events >= 0.9 * self.args.events
        for kind, seconds in finished:
            window[kind].append(seconds)
            self.latencies[kind].append(seconds)
            if late:
                self.late[kind].append(seconds)
        self.errors.extend(errors)
        p50_ms = {k: round(percentile(v, 0.5) * 1000, 1) for k, v in window.items()}
        day = (self.clock.value - self.start.timestamp()) / 86_400
        sample: dict[str, Any] = {
            "seconds": round(now - began, 1),
            "events": events,
            # days of business time written; from day 365 on the queries' window is full
            "business_day": round(day, 1),
            "rate": round((events - last_events) / max(now - last_time, 1e-9)),
            "rss_mib": round(rss_mib(), 1),
            "reader_rss_mib": round(reader_rss, 1),
            "queries": len(finished),
            "p50_ms": p50_ms,
        }
        self.samples.append(sample)
        worst = max(p50_ms.values(), default=0.0)
        print(
            f"{sample['seconds']:>8.1f}s {events:>10,} events {sample['rate']:>7,}/s "
            f"RSS writer {sample['rss_mib']:>6.1f} MiB reader {sample['reader_rss_mib']:>6.1f} MiB"
            f"  queries {len(finished):>4}  slowest p50 {worst:>8.1f} ms",
            flush=True,
        )

    def _tenths(self) -> dict[str, float | None]:
        """The median write rate of the windows in the first and the last tenth of the events
        (a store that slows down as it grows shows a ratio well below 1; unlike the last
        window alone, a partial window at the end does not count for much)."""
        tenth = self.args.events / 10
        first = _median_rate([s for s in self.samples if s["events"] <= tenth])
        last = _median_rate([s for s in self.samples if s["events"] > self.args.events - tenth])
        return {
            "median_rate_first_tenth": first,
            "median_rate_last_tenth": last,
            "last_tenth_rate_vs_first": round(last / first, 2) if first and last else None,
        }

    def run(self) -> dict[str, Any]:
        """Set up, run writers, readers and the monitor; the summary."""
        rss_start = rss_mib()
        self.setup()
        began = time.perf_counter()
        first_events = self.events
        writers = [threading.Thread(target=self.write, args=(n,)) for n in range(self.args.writers)]
        context = multiprocessing.get_context("spawn")
        reports = context.Queue()
        stop = context.Event()
        reader = context.Process(
            target=reader_process,
            args=(
                self.store,
                self.args.readers,
                self.args.pause,
                self.args.interval,
                self.persons,
                self.teams,
                self.clock,
                self.args.queries,
                reports,
                stop,
            ),
        )
        reader.start()
        monitor = threading.Thread(target=self.monitor, args=(began, reports))
        for thread in [*writers, monitor]:
            thread.start()
        for thread in writers:
            thread.join()
        seconds = time.perf_counter() - began
        stop.set()
        monitor.join()  # the reader's last report ends with None, put below
        reader.join()
        self.records.close()
        rates = [s["rate"] for s in self.samples if s["rate"] > 0]
        rss = [s["rss_mib"] for s in self.samples]
        reader_rss = [s["reader_rss_mib"] for s in self.samples]
        # Steady state: once a whole window of the capacity model (365 days) has been written,
        # a query reads as much as it ever will; before, its window is still filling.
        steady = [s for s in self.samples if s["business_day"] >= WINDOW_DAYS]
        return {
            "store": self.store,
            "events": self.events,
            "persons": len(self.persons),
            "teams": len(self.teams),
            "rate_per_person_year": self.args.rate,
            "history_years": round(self.years, 2),
            "writers": self.args.writers,
            "reader_threads": self.args.readers,
            "seconds": round(seconds, 1),
            "throughput_events_per_s": round((self.events - first_events) / seconds),
            "last_window_rate_vs_first": round(rates[-1] / rates[0], 2) if len(rates) > 1 else None,
            **self._tenths(),
            "queries": _latencies(self.latencies),
            "queries_last_tenth": _latencies(self.late),
            "rss_mib": {
                "writer_start": round(rss_start, 1),
                **_flatness("writer", rss),
                **_flatness("reader", reader_rss),
                "steady_from_events": steady[0]["events"] if steady else None,
                **_flatness("writer_steady", [s["rss_mib"] for s in steady]),
                **_flatness("reader_steady", [s["reader_rss_mib"] for s in steady]),
            },
            "errors": self.errors[:20],
            "samples": self.samples,
        }


def _median_rate(samples: list[dict[str, Any]]) -> float | None:
    rates = [s["rate"] for s in samples if s["rate"] > 0]
    return statistics.median(rates) if rates else None


def _latencies(latencies: dict[str, list[float]]) -> dict[str, dict[str, float]]:
    return {
        kind: {
            "count": len(values),
            "p50_ms": round(percentile(values, 0.5) * 1000, 1),
            "p99_ms": round(percentile(values, 0.99) * 1000, 1),
            "mean_ms": round(statistics.fmean(values) * 1000, 1),
        }
        for kind, values in sorted(latencies.items())
    }


def _flatness(name: str, values: list[float]) -> dict[str, float | None]:
    return {
        f"{name}_after_first_window": values[0] if values else None,
        f"{name}_peak": max(values, default=None),
        f"{name}_end": values[-1] if values else None,
        f"{name}_end_vs_first_window": round(values[-1] / values[0], 2) if values else None,
    }


def main(argv: list[str] | None = None) -> int:
    """Run the soak and print its summary."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=1_000_000, help="events to record")
    parser.add_argument("--store", help="store URL (default: a SQLite file in a temp folder)")
    parser.add_argument("--persons", type=int, default=500)
    parser.add_argument("--teams", type=int, default=50)
    parser.add_argument(
        "--rate",
        type=float,
        default=200.0,
        help="events per person per year: sets how many years of history the events span",
    )
    parser.add_argument("--writers", type=int, default=2)
    parser.add_argument("--readers", type=int, default=2)
    parser.add_argument("--pause", type=float, default=0.05, help="seconds between queries")
    parser.add_argument("--interval", type=float, default=10.0, help="seconds between samples")
    parser.add_argument(
        "--queries",
        type=lambda text: [kind.strip() for kind in text.split(",")],
        help=f"comma-separated kinds of query (default all: {', '.join(QUERY_KINDS)})",
    )
    parser.add_argument("--json", type=Path, help="write samples and summary here")
    args = parser.parse_args(argv)
    unknown = set(args.queries or ()) - set(QUERY_KINDS)
    if unknown or args.queries == []:
        parser.error(f"--queries: unknown kind(s) {sorted(unknown)}; choose from {QUERY_KINDS}")
    with tempfile.TemporaryDirectory(prefix="learningorg-soak-") as folder:
        store = args.store or f"sqlite:///{Path(folder) / 'soak.db'}"
        summary = Soak(args, store).run()
    shown = {k: v for k, v in summary.items() if k != "samples"}
    print(json.dumps(shown, indent=2))
    if args.json:
        args.json.write_text(json.dumps(summary, indent=2) + "\n", encoding="utf-8")
    return 1 if summary["errors"] else 0


if __name__ == "__main__":
    raise SystemExit(main())
