"""One team and one organisation capacity query on a large store: time and peak RSS, with and
without the cut to the facts that can matter at ``as_of`` (``scoring.lookbacks``).

Builds (or reuses, ``--store``) the store of ``bench_capacity_replay.py``: one organisation, 50
teams and 1,000 persons, ``--events`` events occurring over three years (2022 to 2024), and
catches the capacity view up once. Then each query runs ``--runs`` times, each in a fresh
process (so its peak RSS is its own): ``capacity(..., cut=True)`` and ``cut=False`` (every fact
of the level, as before the cut), in the same run on the same store. Reported, as medians: the
time and peak RSS (``VmHWM``) of the whole query, and of its first phase, reading and indexing
the facts (what the cut changes; the rest is scoring, mostly the knowledge-flow graph of G5, G6,
O4 and O5, which reads the flow events from the store on its own), and the RSS before the query.

``--as-of`` defaults to the last day of the history, where the window holds the most facts.

Run from the project root (not part of the test run)::

    .venv/bin/python benchmarks/bench_capacity_query.py --events 250000
    .venv/bin/python benchmarks/bench_capacity_query.py --store /tmp/bench.db --runs 3
"""

from __future__ import annotations

import argparse
import json
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(ROOT / "benchmarks"))

from bench_capacity_replay import ORG, write  # noqa: E402

from learningorg import LearningRecords  # noqa: E402
from learningorg.projections.capacity import Level, api  # noqa: E402
from learningorg.projections.capacity.facts import paused_gc  # noqa: E402
from learningorg.projections.capacity.flow import flow_scores_for_records  # noqa: E402
from learningorg.projections.capacity.index import LearningIndex  # noqa: E402
from learningorg.projections.capacity.scoring import Scorer  # noqa: E402
from learningorg.projections.views import CapacityFactsView  # noqa: E402

AS_OF = "2024-12-31T23:00:00+00:00"
QUERIES = (("team", "T7"), ("organisation", None))


def _hwm_mib() -> float:
    """The peak RSS of this process so far (``VmHWM``: reset by exec, unlike ``ru_maxrss``)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def child(path: str, level: Level, key: str | None, as_of: str, cut: bool) -> None:
    """Run one query in this process, as ``capacity`` does it but timed in two phases: reading
    and indexing the facts (what the cut changes), then scoring (with the knowledge-flow graph
    of G5, G6, O4 and O5, read from the store on its own). Prints times and peak RSS as JSON."""
    t = datetime.fromisoformat(as_of).timestamp()
    with LearningRecords(f"sqlite:///{path}") as records:
        records.max_position()
        before = _hwm_mib()
        started = time.perf_counter()
        level, key, entity, known_at, model, view = api._prepare(
            records, ORG, level, key, None, None
        )
        with paused_gc():
            window = model.window_days * 86_400.0
            chosen = api._Cut(model, t, t, known_at) if cut else None
            facts = api._load(view, ORG, level, entity, known_at, t - window, t, chosen)
            index = LearningIndex.build(ORG, facts)
            read = time.perf_counter() - started
            read_rss = _hwm_mib()
            scorer = Scorer(index, model, flow_scores_for_records(records, ORG, known_at))
            scored = scorer.score(level, entity, t)
        elapsed = time.perf_counter() - started
    print(
        json.dumps(
            {
                "seconds": elapsed,
                "read": read,
                "facts": len(facts),
                "read_rss": read_rss,
                "rss": _hwm_mib(),
                "before": before,
                "score": scored.score,
            }
        )
    )


def run(path: str, level: str, key: str | None, as_of: str, cut: bool) -> dict[str, float]:
    """One query in a fresh process."""
    command = [sys.executable, __file__, "--child", "--store", path, "--level", level]
    command += ["--as-of", as_of, "--cut", "1" if cut else "0"]
    if key is not None:
        command += ["--key", key]
    done = subprocess.run(command, check=True, capture_output=True, text=True)
    found: dict[str, float] = json.loads(done.stdout.strip().splitlines()[-1])
    return found


def main(argv: list[str]) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=250_000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--store", help="an existing benchmark store file to reuse")
    parser.add_argument("--as-of", default=AS_OF)
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--level", help=argparse.SUPPRESS)
    parser.add_argument("--key", help=argparse.SUPPRESS)
    parser.add_argument("--cut", default="1", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        child(args.store, args.level, args.key, args.as_of, args.cut == "1")
        return

    path = args.store or str(Path(tempfile.mkdtemp(prefix="learningorg-bench-")) / "bench.db")
    with LearningRecords(f"sqlite:///{path}") as records:
        if records.max_position() < args.events:
            rate = write(records, args.events, 50, 1000)
            print(f"stored {records.max_position():,} events in {path} ({rate:,.0f} events/s)")
        view = CapacityFactsView(records)
        view.catch_up()
        print(f"store {path}: {records.max_position():,} events, {view.count():,} facts")
        view.close()
    print(f"as_of {args.as_of}; median of {args.runs} runs, each query in a fresh process")
    for level, key in QUERIES:
        medians = {}
        for cut in (False, True):
            runs = [run(path, level, key, args.as_of, cut) for _ in range(args.runs)]
            found = {name: statistics.median(r[name] for r in runs) for name in runs[0]}
            scores = {r["score"] for r in runs}
            medians[cut] = found
            label = "cut to the window" if cut else "every fact"
            print(
                f"{level:<12} {label:<18} query {found['seconds']:6.2f} s, peak RSS "
                f"{found['rss']:5.0f} MiB | reading + indexing {found['facts']:8,.0f} facts "
                f"{found['read']:6.2f} s, peak RSS {found['read_rss']:5.0f} MiB "
                f"(before the query {found['before']:3.0f} MiB) | score {scores}"
            )
        ratio = {name: medians[True][name] / medians[False][name] for name in medians[True]}
        print(
            f"{level:<12} cut / every fact: query time {ratio['seconds']:.2f}, peak RSS "
            f"{ratio['rss']:.2f}; reading + indexing time {ratio['read']:.2f}, peak RSS "
            f"{ratio['read_rss']:.2f}"
        )


if __name__ == "__main__":
    main(sys.argv[1:])
