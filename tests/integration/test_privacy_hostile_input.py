"""Hostile xAPI input is refused with a clear problem, and costs bounded memory.

A 100 MB single line, nesting deeper than any real statement, and a Group with a million members
are each rejected item by item (the valid statements beside them are stored). The file-based
cases run in a subprocess that reports its peak memory, compared with the same subprocess
importing a small valid file.
"""

from __future__ import annotations

import json
import subprocess
import sys
import uuid
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

import orjson
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from learningorg import LearningRecords
from learningorg.interop.xapi.limits import (
    MAX_DEPTH,
    MAX_GROUP_MEMBERS,
    MAX_STATEMENT_BYTES,
    statement_problems,
)

ORG = "o"
#: How much more than a small import a hostile file may cost the importing process.
MEMORY_MARGIN_MB = 48


def statement(n: int, **extra: Any) -> dict[str, Any]:
    """A small valid statement with a fixed id per ``n``."""
    body: dict[str, Any] = {
        "id": str(uuid.UUID(int=n + 1)),
        "actor": {"objectType": "Agent", "mbox": f"mailto:p{n}@example.org"},
        "verb": {"id": "http://adlnet.gov/expapi/verbs/completed", "display": {"en": "done"}},
        "object": {"objectType": "Activity", "id": f"https://lms.example.org/c/{n}"},
        "timestamp": "2024-03-01T10:00:00+01:00",
    }
    body.update(extra)
    return body


def nested(depth: int) -> Any:
    """A value nested ``depth`` objects deep."""
    value: Any = 1
    for _ in range(depth):
        value = {"a": value}
    return value


def group(members: int) -> dict[str, Any]:
    """A Group with ``members`` Agents."""
    listed = [{"objectType": "Agent", "mbox": f"mailto:m{i}@example.org"} for i in range(members)]
    return {"objectType": "Group", "member": listed}


def rules(summary: Any) -> list[str]:
    """The rule of every problem of every failed item."""
    return [problem.rule for item in summary.failures for problem in item.problems]


def test_statements_past_the_bounds_are_rejected_and_the_others_stored() -> None:
    """Deep nesting, a huge Group and an oversized value are rejected; valid ones are stored."""
    batch = [
        statement(1),
        statement(2, result={"extensions": {"https://x.example.org/e": nested(900)}}),
        statement(3, actor=group(MAX_GROUP_MEMBERS + 1)),
        statement(4, result={"response": "x" * (MAX_STATEMENT_BYTES + 10)}),
        statement(5),
    ]
    with LearningRecords("memory://") as records:
        records.register_organisation(ORG)
        summary = records.import_statements(batch, organisation=ORG)
    assert (summary.accepted, summary.rejected) == (2, 3)
    assert sorted(rules(summary)) == [
        "limits.group-too-large",
        "limits.too-deep",
        "limits.too-large",
    ]
    messages = " ".join(p.message for item in summary.failures for p in item.problems)
    assert f"{MAX_DEPTH} levels" in messages
    assert f"{MAX_GROUP_MEMBERS + 1:,} members" in messages


def test_statements_within_the_bounds_pass() -> None:
    """Nesting up to the limit and a Group at the limit are accepted by the bounds check."""
    assert statement_problems(nested(MAX_DEPTH - 1)) == []
    assert statement_problems(statement(1, actor=group(MAX_GROUP_MEMBERS))) == []
    assert statement_problems(nested(MAX_DEPTH + 1))[0].rule == "limits.too-deep"
    # Python objects JSON cannot encode as given are walked, not crashed on.
    assert statement_problems({1: {2: [3, 2**80]}, "member": []}) == []
    assert statement_problems({1: nested(MAX_DEPTH + 1)})[0].rule == "limits.too-deep"


@settings(max_examples=25, deadline=None)
@given(
    value=st.recursive(
        st.none() | st.booleans() | st.integers() | st.text(max_size=20),
        lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=5), inner),
        max_leaves=60,
    )
)
def test_any_json_value_gets_a_verdict_not_an_exception(value: Any) -> None:
    """Whatever JSON arrives as a statement, the import reports on it and does not raise."""
    with LearningRecords("memory://") as records:
        records.register_organisation(ORG)
        summary = records.import_statements(
            orjson.dumps(statement(1)) + b"\n" + json.dumps(value).encode(), organisation=ORG
        )
    assert summary.accepted + summary.rejected + summary.duplicate + summary.conflicting == 2


#: Imports a file and prints its peak memory: VmHWM of this address space (``ru_maxrss`` would
#: carry over the parent's peak across ``exec`` on Linux).
CHILD = r"""
import re, sys
from pathlib import Path
from learningorg import LearningRecords
with LearningRecords(sys.argv[1]) as records:
    records.register_organisation("o")
    summary = records.import_statements(sys.argv[2], organisation="o")
    rules = [p.rule + ": " + p.message for i in summary.failures for p in i.problems]
peak = re.search(r"VmHWM:\s+(\d+) kB", Path("/proc/self/status").read_text()).group(1)
print(summary.accepted, summary.rejected, peak)
print("|".join(rules))
"""


def import_in_child(tmp_path: Path, source: Path) -> tuple[int, int, float, str]:
    """Import ``source`` in a fresh process: accepted, rejected, peak memory (MB), problems."""
    store = f"sqlite:///{tmp_path / (source.name + '.db')}"
    done = subprocess.run(
        [sys.executable, "-c", CHILD, store, str(source)],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    counts, problems = done.stdout.splitlines()[:2]
    accepted, rejected, peak_kb = (int(x) for x in counts.split())
    return accepted, rejected, peak_kb / 1024, problems


def write_ndjson(path: Path, chunks: Iterable[bytes] = ()) -> Path:
    """Two valid statements around one hostile line, written without holding it in memory."""
    with path.open("wb") as handle:
        handle.write(orjson.dumps(statement(1)) + b"\n")
        for chunk in chunks:
            handle.write(chunk)
        handle.write(b"\n" + orjson.dumps(statement(2)) + b"\n")
    return path


def hundred_megabyte_line() -> Iterator[bytes]:
    """A statement of 100 MB on one line, in 1 MB pieces."""
    yield json.dumps(statement(3))[:-1].encode() + b', "result": {"response": "'
    for _ in range(100):
        yield b"x" * 1024 * 1024
    yield b'"}}'


def million_member_group() -> Iterator[bytes]:
    """A statement whose actor is a Group of a million Agents (about 60 MB), in pieces."""
    yield json.dumps(statement(4))[:-1].encode() + b', "actor": {"objectType": "Group", "member": ['
    member = b'{"objectType": "Agent", "mbox": "mailto:m%d@example.org"}'
    for start in range(0, 1_000_000, 50_000):
        separator = b"," if start else b""
        yield separator + b",".join(member % i for i in range(start, start + 50_000))
    yield b"]}}"


def deep_nesting() -> Iterator[bytes]:
    """A statement nested 5,000 objects deep."""
    yield b'{"a":' * 5000 + b"1" + b"}" * 5000


@pytest.fixture(scope="module")
def small_import(tmp_path_factory: pytest.TempPathFactory) -> float:
    """The peak memory (MB) of a process importing two small statements."""
    folder = tmp_path_factory.mktemp("small")
    accepted, rejected, peak, _ = import_in_child(folder, write_ndjson(folder / "small.ndjson"))
    assert (accepted, rejected) == (2, 0)
    return peak


@pytest.mark.parametrize(
    ("case", "pieces", "rule"),
    [
        ("line-100mb", hundred_megabyte_line, "over the limit"),
        ("group-1m", million_member_group, "over the limit"),
        ("deep", deep_nesting, "malformed JSON"),
    ],
)
@pytest.mark.skipif(not Path("/proc/self/status").exists(), reason="needs Linux /proc")
def test_hostile_files_cost_bounded_memory(
    tmp_path: Path, small_import: float, case: str, pieces: Any, rule: str
) -> None:
    """Each hostile line is rejected with a clear problem; peak memory stays near a small import."""
    hostile = import_in_child(tmp_path, write_ndjson(tmp_path / f"{case}.ndjson", pieces()))
    accepted, rejected, peak, problems = hostile
    assert (accepted, rejected) == (2, 1), problems
    assert rule in problems
    assert peak < small_import + MEMORY_MARGIN_MB, (peak, small_import)
