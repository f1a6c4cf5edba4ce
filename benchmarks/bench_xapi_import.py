"""Throughput of xAPI import into a SQLite store (statements per second), with references.

Writes ``--count`` statements (200,000 by default) as NDJSON: an LMS feed of ADL ``completed``,
``attended`` and ``experienced`` statements and learningorg ``reflected`` statements by
``--persons`` people, each with its own id. Then measures, in one run:

* validation: read, parse and ``learningorg.xapi.validate`` every line;
* import end to end: ``import_statements`` into a fresh SQLite store (validate, map, record,
  log), the batched fast path (the default);
* a re-run of the same import (every statement a duplicate);
* the per-command path (``fast=False``) on the first ``--slow-count`` statements;
* the reference: raw ``sqlite3.executemany`` of the same NDJSON lines into one table in one
  transaction, and the import's ratio to it.

Run from the project root::

    .venv/bin/python benchmarks/bench_xapi_import.py
    .venv/bin/python benchmarks/bench_xapi_import.py --count 20000   # a quick look
"""

from __future__ import annotations

import argparse
import os
import random
import sqlite3
import sys
import tempfile
import time
import uuid
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


def timed(label: str, count: int, run: Any) -> float:
    """Run ``run()`` and print and return statements per second."""
    start = time.perf_counter()
    outcome = run()
    seconds = time.perf_counter() - start
    rate = count / seconds
    print(f"{label:52s} {rate:10,.0f} /s  ({count:,} in {seconds:6.1f} s) {outcome or ''}")
    return rate


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=200_000)
    parser.add_argument("--persons", type=int, default=2_000)
    parser.add_argument("--slow-count", type=int, default=5_000)
    args = parser.parse_args(argv)

    with tempfile.TemporaryDirectory(prefix="learningorg-xapi-bench-") as folder:
        work = Path(folder)
        feed = work / "feed.ndjson"
        write_feed(feed, args.count, args.persons)
        lines = feed.read_bytes().splitlines()
        print(
            f"{args.count:,} statements, {feed.stat().st_size / 1e6:.1f} MB, "
            f"{args.persons:,} persons; {os.cpu_count()} CPUs, load {os.getloadavg()[0]:.2f}"
        )

        def validate_all() -> str:
            bad = sum(1 for line in lines if validate(orjson.loads(line)))
            return f"{bad} invalid"

        validated = timed("validated (parse + validate)", args.count, validate_all)

        def raw() -> str:
            with sqlite3.connect(work / "raw.db") as db:
                db.execute("CREATE TABLE t (id INTEGER PRIMARY KEY, state BLOB)")
                db.executemany("INSERT INTO t (state) VALUES (?)", ((line,) for line in lines))
            return ""

        reference = timed("reference: raw sqlite3 executemany of the lines", args.count, raw)

        records = fresh_store(work / "store.db")

        def import_all() -> str:
            summary = import_statements(records, feed, organisation=ORG)
            assert summary.accepted == args.count, summary.failures[:3]
            return f"accepted {summary.accepted:,}"

        imported = timed("imported end to end (fast path, SQLite file)", args.count, import_all)

        def rerun() -> str:
            summary = import_statements(records, feed, organisation=ORG)
            assert summary.duplicate == args.count
            return f"duplicate {summary.duplicate:,}"

        timed("re-run of the same import (all duplicates)", args.count, rerun)
        records.close()

        slow_count = min(args.slow_count, args.count)
        slow = fresh_store(work / "slow.db")

        def import_slowly() -> str:
            summary = import_statements(slow, lines[:slow_count], organisation=ORG, fast=False)
            assert summary.accepted == slow_count
            return ""

        timed("imported through the commands one by one (fast=False)", slow_count, import_slowly)
        slow.close()

    print()
    print(f"validation: {validated:,.0f} statements/s (target >= 25,000)")
    print(
        f"import:     {imported:,.0f} statements/s (target >= 20,000); "
        f"{imported / reference:.3f} of raw executemany (target >= 0.3)"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
