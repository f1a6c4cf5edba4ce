"""Throughput of the xAPI Statement validator (statements per second).

Builds ``--count`` valid Statements by giving fresh ids to the spec's example Statements and the
valid ([200]) ADL conformance cases from ``../shared/xapi``, validates them all ``--runs``
times and prints the median rate. When the optional ``ralph`` package (ralph-malph) happens
to be importable, it also times ralph's ``BaseXapiStatement`` on the same Statements (the first
``--ralph-count`` of them, 20,000 by default, since it is about twenty times slower) and prints
the ratio; ralph is not a dependency of this project.

Run from the project root::

    .venv/bin/python benchmarks/bench_xapi_validate.py
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
import uuid
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from learningorg.xapi import validate  # noqa: E402


def shared_xapi_dir() -> Path:
    """``../shared/xapi`` next to the repository."""
    return ROOT / ".." / "shared" / "xapi"


def base_statements() -> list[dict[str, Any]]:
    """The valid Statements of the shared data: spec examples and [200] conformance cases."""
    folder = shared_xapi_dir()
    examples = json.loads((folder / "spec-example-statements.json").read_text(encoding="utf-8"))
    found = [example["statement"] for example in examples]
    with (folder / "conformance-cases-1.0.3.jsonl").open(encoding="utf-8") as lines:
        for line in lines:
            row = json.loads(line)
            if row["expect"] == [200]:
                found.append(row["statement"])
    return found


def build(count: int) -> list[dict[str, Any]]:
    """``count`` Statements, each a fresh JSON round trip of a base one with a new id."""
    bases = [json.dumps(statement) for statement in base_statements()]
    statements = []
    for i in range(count):
        statement = json.loads(bases[i % len(bases)])
        statement["id"] = str(uuid.uuid4())
        statements.append(statement)
    return statements


def rate(check: Callable[[dict[str, Any]], object], statements: Sequence[dict[str, Any]]) -> float:
    """Statements per second for one pass of ``check`` over ``statements``."""
    start = time.perf_counter()
    for statement in statements:
        check(statement)
    return len(statements) / (time.perf_counter() - start)


def median_rate(
    check: Callable[[dict[str, Any]], object], statements: Sequence[dict[str, Any]], runs: int
) -> float:
    """Median statements per second over ``runs`` passes."""
    return statistics.median(rate(check, statements) for _ in range(runs))


def ralph_checker() -> Callable[[dict[str, Any]], bool] | None:
    """A callable returning True when ralph's BaseXapiStatement rejects a Statement.

    None when ralph is not importable.
    """
    try:
        from ralph.models.xapi.base.statements import (  # type: ignore[import-not-found]
            BaseXapiStatement,
        )
    except ImportError:
        return None

    def check(statement: dict[str, Any]) -> bool:
        try:
            BaseXapiStatement.model_validate(statement)
        except ValueError:  # pydantic's ValidationError is a ValueError
            return True
        return False

    return check


def main(argv: Sequence[str] | None = None) -> int:
    """Run the benchmark and print the rates."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=200_000, help="statements per run")
    parser.add_argument("--runs", type=int, default=5, help="runs; the median is reported")
    parser.add_argument(
        "--ralph-count", type=int, default=20_000, help="statements for the ralph comparison"
    )
    args = parser.parse_args(argv)

    statements = build(args.count)
    invalid = sum(1 for statement in statements if validate(statement))
    print(f"{len(statements):,} statements, {invalid} found invalid (expected 0)")
    ours = median_rate(validate, statements, args.runs)
    print(f"learningorg.xapi.validate: {ours:,.0f} statements/s (median of {args.runs} runs)")

    check = ralph_checker()
    if check is None:
        print("ralph BaseXapiStatement: not importable, skipped (ralph is not a dependency)")
        return 0
    subset = statements[: args.ralph_count]
    rejected = sum(1 for statement in subset if check(statement))
    theirs = median_rate(check, subset, args.runs)
    ours_on_subset = median_rate(validate, subset, args.runs)
    print(
        f"ralph BaseXapiStatement: {theirs:,.0f} statements/s on the first {len(subset):,} "
        f"(median of {args.runs} runs; ralph rejects {rejected:,} of them); "
        f"learningorg on the same: {ours_on_subset:,.0f} statements/s"
    )
    print(f"ratio: learningorg validates {ours_on_subset / theirs:.1f}x as many per second")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
