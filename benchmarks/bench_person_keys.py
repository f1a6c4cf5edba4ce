"""Cost of per-person keys: mapping person events with personal fields, sealed vs in clear.

Builds ``--events`` ``ReflectionLogged`` events of ``--persons`` persons, each with a note (the
worst case: every event has a sealed field), and measures in one run, median of ``--runs``:

- encode: ``mapper.to_stored_event`` without a key store (clear) and with one (sealed);
- decode: ``mapper.to_learning_event`` of the stored rows, clear and sealed;

and prints the rates and the sealed/clear ratios. Events without personal fields (most of a
store: intervisions, memberships, activities without a kept statement) are not sealed and cost
nothing extra; the capacity view's fast path reads no sealed field either.

Run from the project root (not part of the test run)::

    .venv/bin/python benchmarks/bench_person_keys.py
"""

from __future__ import annotations

import argparse
import statistics
import time
import uuid
from collections.abc import Callable
from datetime import UTC, datetime

from eventsourcing.persistence import JSONTranscoder

from learningorg.domain import events as ev
from learningorg.persistence.keys import InMemoryKeyStore
from learningorg.persistence.mapper import PydanticMapper


def median_rate(count: int, runs: int, work: Callable[[], object]) -> float:
    """Items per second of ``work`` (which handles ``count`` items), median of ``runs``."""
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        work()
        times.append(time.perf_counter() - start)
    return count / statistics.median(times)


def main() -> None:
    """Measure and print the rates and ratios."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=50_000)
    parser.add_argument("--persons", type=int, default=1_000)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    now = datetime(2024, 1, 1, tzinfo=UTC)
    persons = [uuid.uuid4() for _ in range(args.persons)]
    events = [
        ev.ReflectionLogged(
            originator_id=persons[i % args.persons],
            originator_version=1 + i // args.persons,
            event_id=uuid.uuid4(),
            organisation="o",
            occurred_at=now,
            recorded_at=now,
            minutes=30,
            note="talked the home visit through with a colleague",
        )
        for i in range(args.events)
    ]
    clear = PydanticMapper(transcoder=JSONTranscoder())
    sealed = PydanticMapper(transcoder=JSONTranscoder())
    sealed.person_keys = InMemoryKeyStore()
    rates = {}
    for name, mapper in (("clear", clear), ("sealed", sealed)):
        rates[f"encode {name}"] = median_rate(
            len(events), args.runs, lambda m=mapper: [m.to_stored_event(e) for e in events]
        )
        stored = [mapper.to_stored_event(e) for e in events]
        rates[f"decode {name}"] = median_rate(
            len(stored), args.runs, lambda m=mapper, s=stored: [m.to_learning_event(x) for x in s]
        )
    for name, rate in rates.items():
        print(f"{name:15} {rate:>10,.0f} events/s")
    for step in ("encode", "decode"):
        ratio = rates[f"{step} sealed"] / rates[f"{step} clear"]
        print(f"{step} sealed/clear: {ratio:.2f} (every event has a note: the worst case)")


if __name__ == "__main__":
    main()
