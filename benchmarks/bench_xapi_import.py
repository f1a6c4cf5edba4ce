"""Throughput of xAPI import into a SQLite store (statements per second), with references.

Writes ``--count`` statements (200,000 by default) as NDJSON: an LMS feed of ADL ``completed``,
``attended`` and ``experienced`` statements and learningorg ``reflected`` statements by
``--persons`` people, each with its own id. Then measures, in one run, each figure the median of
``--runs`` runs (at least 3):

* validation: read, parse and ``learningorg.xapi.validate`` every line;
* import end to end: ``import_statements`` of the NDJSON file into a fresh SQLite store file
  (validate, map, record, log), the batched fast path (the default), the per-person keys in the
  store's own table (the default key store); as by default (a second process reads, validates,
  maps and builds the events while the first records them, where two CPUs are there) and in
  one process (``parallel=False``);
* the reference: raw ``sqlite3.executemany`` of the same payloads in one transaction: the rows
  the import stored (its events and its statement log rows, read back from the imported store)
  into empty tables of the same shape (the same keys and indexes), and the import's ratio to it;
* once each: a re-run of the same import (every statement a duplicate), and the per-command
  path (``fast=False``) on the first ``--slow-count`` statements.

Run from the project root::

    .venv/bin/python benchmarks/bench_xapi_import.py
    .venv/bin/python benchmarks/bench_xapi_import.py --count 20000   # a quick look
"""

from __future__ import annotations

import argparse
import os
import random
import sqlite3
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import orjson

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from learningorg import LearningRecords  # noqa: E402
from learningorg.interop.xapi import profile as pf  # noqa: E402
from learningorg.interop.xapi.importer import import_statements  # noqa: E402
from learningorg.xapi import validate  # noqa: E402

ORG = "bench"


def statement(rnd: random.Random, persons: int) -> dict[str, Any]:
    """One statement of the feed."""
    person = rnd.randrange(persons)
    verb = rnd.choice(("completed", "attended", "experienced", "reflected"))
    result: dict[str, Any] = {
        "id": str(uuid.UUID(int=rnd.getrandbits(128), version=4)),
        "actor": {
            "objectType": "Agent",
            "name": f"Professional {person}",
            "mbox": f"mailto:professional{person}@example.org",
        },
        "timestamp": f"2024-{rnd.randint(1, 12):02d}-{rnd.randint(1, 28):02d}T10:00:00+01:00",
    }
    if verb == "reflected":
        profile = pf.BY_VERB[pf.VERB_BASE + "reflected"]
        result["verb"] = {"id": profile.verb_iri, "display": {"en": profile.display}}
        result["object"] = {
            "objectType": "Activity",
            "id": profile.activity_id(None),
            "definition": {"type": profile.activity_type},
        }
        result["context"] = {
            "extensions": {
                pf.extension("minutes"): rnd.choice((15, 30, 45, 60)),
                pf.extension("form"): rnd.choice(("self", "supervision", "coaching")),
            }
        }
    else:
        course = rnd.randrange(300)
        result["verb"] = {"id": pf.ADL_VERB_BASE + verb, "display": {"en-US": verb}}
        result["object"] = {
            "objectType": "Activity",
            "id": f"https://lms.example.org/courses/{course}",
            "definition": {
                "name": {"en-US": f"Course {course}"},
                "type": pf.ADL_ACTIVITY_BASE + rnd.choice(("course", "meeting", "media")),
            },
        }
        result["result"] = {"completion": True, "duration": f"PT{rnd.randint(1, 8)}H"}
    return result


def write_feed(path: Path, count: int, persons: int) -> None:
    """The NDJSON feed."""
    rnd = random.Random(20240301)
    with path.open("wb") as out:
        for _ in range(count):
            out.write(orjson.dumps(statement(rnd, persons)) + b"\n")


def fresh_store(path: Path) -> LearningRecords:
    """A new SQLite store with the organisation registered."""
    for suffix in ("", "-wal", "-shm"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)
    records = LearningRecords(f"sqlite:///{path}")
    records.register_organisation(ORG)
    return records


def timed(run: Callable[[], object]) -> tuple[float, object]:
    """Run ``run()``; return the seconds it took and what it returned."""
    start = time.perf_counter()
    outcome = run()
    return time.perf_counter() - start, outcome


def show(label: str, count: int, seconds: Sequence[float], note: str = "") -> float:
    """Print and return the median rate of ``count`` items done in each of ``seconds``."""
    rates = sorted(count / s for s in seconds)
    rate = statistics.median(rates)
    spread = f"runs {rates[0]:,.0f}..{rates[-1]:,.0f}" if len(rates) > 1 else "1 run"
    print(f"{label:50s} {rate:10,.0f} /s  ({spread}) {note}")
    return rate


def copy_payloads(store: Path, target: Path) -> Callable[[], object]:
    """The reference: the rows ``store`` holds, to be written with ``executemany`` into empty
    tables of the same shape in ``target`` (one transaction)."""
    with sqlite3.connect(store) as db:
        tables = {
            name: (sql, db.execute(f"SELECT * FROM {name}").fetchall())
            for name, sql in db.execute(
                "SELECT name, sql FROM sqlite_master WHERE type = 'table' "
                "AND name IN ('stored_events', 'xapi_statements')"
            )
        }
        indexes = [
            sql
            for (sql,) in db.execute(
                "SELECT sql FROM sqlite_master WHERE type = 'index' "
                "AND tbl_name IN ('stored_events', 'xapi_statements') AND sql IS NOT NULL"
            )
        ]

    def run() -> int:
        for suffix in ("", "-wal", "-shm"):
            Path(f"{target}{suffix}").unlink(missing_ok=True)
        db = sqlite3.connect(target, isolation_level=None)
        db.execute("PRAGMA journal_mode = WAL")
        for sql, _ in tables.values():
            db.execute(sql)
        for sql in indexes:
            db.execute(sql)
        db.execute("BEGIN")
        written = 0
        for name, (_, rows) in tables.items():
            marks = ", ".join("?" * len(rows[0]))
            db.executemany(f"INSERT INTO {name} VALUES ({marks})", rows)
            written += len(rows)
        db.execute("COMMIT")
        db.close()
        return written

    return run


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=200_000)
    parser.add_argument("--persons", type=int, default=2_000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--slow-count", type=int, default=2_000)
    args = parser.parse_args(argv)
    runs = max(3, args.runs)

    with tempfile.TemporaryDirectory(prefix="learningorg-xapi-bench-") as folder:
        work = Path(folder)
        feed = work / "feed.ndjson"
        write_feed(feed, args.count, args.persons)
        lines = feed.read_bytes().splitlines()
        print(
            f"{args.count:,} statements, {feed.stat().st_size / 1e6:.1f} MB, "
            f"{args.persons:,} persons; {os.cpu_count()} CPUs, load {os.getloadavg()[0]:.2f}; "
            f"medians of {runs} runs"
        )

        def validate_all() -> int:
            with feed.open("rb") as source:
                return sum(1 for line in source if validate(orjson.loads(line)))

        def import_all(path: Path, parallel: bool | None = None) -> Callable[[], object]:
            def run() -> object:
                records = fresh_store(path)
                try:
                    summary = import_statements(records, feed, organisation=ORG, parallel=parallel)
                finally:
                    records.close()
                assert summary.accepted == args.count, summary.failures[:3]
                return summary

            return run

        validations, imports, single, references = [], [], [], []
        store = work / "store.db"
        for n in range(runs):
            seconds, invalid = timed(validate_all)
            assert invalid == 0
            validations.append(seconds)
            single.append(timed(import_all(store, parallel=False))[0])
            imports.append(timed(import_all(store))[0])
            with sqlite3.connect(store) as db:
                # Events the import stored (the store's first event registered the organisation).
                events = db.execute("SELECT COUNT(*) FROM stored_events").fetchone()[0] - 1
            reference = copy_payloads(store, work / "raw.db")
            seconds, rows = timed(reference)
            references.append(seconds)
            print(
                f"  run {n + 1}: validated {args.count / validations[-1]:,.0f}/s, imported "
                f"{args.count / imports[-1]:,.0f}/s "
                f"(one process {args.count / single[-1]:,.0f}/s), "
                f"raw executemany {args.count / seconds:,.0f} statements/s ({rows:,} rows); "
                f"load {os.getloadavg()[0]:.2f}"
            )
        validated = show("validated (read, parse, validate)", args.count, validations)
        imported = show("imported end to end (NDJSON file -> SQLite file)", args.count, imports)
        events_rate = show("  events stored end to end", events, imports)
        one_process = show("  the same in one process (parallel=False)", args.count, single)
        one_events = show("    events stored in one process", events, single)
        raw = show(
            "reference: raw executemany of the same payloads",
            args.count,
            references,
            "(rows of the same statements: events + log)",
        )

        records = LearningRecords(f"sqlite:///{store}")
        seconds, summary = timed(lambda: import_statements(records, feed, organisation=ORG))
        assert getattr(summary, "duplicate", None) == args.count
        records.close()
        show("re-run of the same import (all duplicates)", args.count, [seconds])

        slow_count = min(args.slow_count, args.count)
        slow = fresh_store(work / "slow.db")
        seconds, summary = timed(
            lambda: import_statements(slow, lines[:slow_count], organisation=ORG, fast=False)
        )
        assert getattr(summary, "accepted", None) == slow_count
        slow.close()
        show("imported through the commands one by one (fast=False)", slow_count, [seconds])

    # Each import against the reference measured right after it (the load of a shared machine
    # changes from minute to minute), then the median of those ratios.
    ratio = statistics.median(r / i for i, r in zip(imports, references, strict=True))
    single_ratio = statistics.median(r / i for i, r in zip(single, references, strict=True))
    print()
    print(f"validation: {validated:,.0f} statements/s (target >= 25,000)")
    print(
        f"import:     {imported:,.0f} statements/s (target >= 20,000); {ratio:.3f} of raw "
        f"executemany of the same payloads (median of the runs' ratios; target >= 0.3; ratio of "
        f"the medians {imported / raw:.3f})"
    )
    print(f"            {events_rate:,.0f} events/s ({events:,} events; target >= 25,000)")
    print(
        f"            in one process (parallel=False): {one_process:,.0f} statements/s, "
        f"{one_events:,.0f} events/s, {single_ratio:.3f} of raw executemany"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
