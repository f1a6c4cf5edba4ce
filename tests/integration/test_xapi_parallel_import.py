"""The xAPI import with its statements prepared in a second process (``parallel=True``).

Reading, parsing, bounds, validation and the body hash of a file may run in a second process
while the first records. The outcome must not depend on it: the same summary (counts, failures
with their lines and problems, notes) and the same stored rows, for any mix of valid, invalid,
malformed, duplicate and blank lines; and the same errors for input refused as a whole.
"""

from __future__ import annotations

import inspect
import os
import sqlite3
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import orjson
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from learningorg import LearningRecords
from learningorg.domain.errors import InvalidInputError
from learningorg.interop.xapi import importer as imp
from learningorg.interop.xapi import profile as pf
from learningorg.interop.xapi.importer import ImportProgress, ImportSummary, import_statements

ORG = "jeugdzorg-noord"

pytestmark = pytest.mark.skipif(
    not imp._parallel_possible(), reason="a preparing process needs fork and two CPUs"
)


def statement(n: int, person: int, *, with_id: bool = True) -> dict[str, Any]:
    """A valid statement: an ADL completion or a profile reflection with a personal note."""
    result: dict[str, Any] = {
        "actor": {"name": f"Person {person}", "mbox": f"mailto:p{person}@example.org"},
        "timestamp": f"2024-03-{1 + n % 28:02d}T10:00:00.{n:06d}+01:00",
    }
    if with_id:
        result["id"] = str(uuid.UUID(int=n + 1))
    if n % 2:
        profile = pf.BY_VERB[pf.VERB_BASE + "reflected"]
        result["verb"] = {"id": profile.verb_iri}
        result["object"] = {"id": profile.activity_id(None)}
        result["context"] = {
            "extensions": {pf.extension("minutes"): 15, pf.extension("note"): f"note {n} é"}
        }
    else:
        result["verb"] = {"id": "http://adlnet.gov/expapi/verbs/completed"}
        result["object"] = {"id": f"https://lms.example.org/courses/{n % 3}"}
        result["result"] = {"duration": f"PT{1 + n % 3}H", "score": {"scaled": 0.5 + n / 1e4}}
    return result


def _line(kind: str, n: int) -> bytes:
    if kind == "valid":
        return orjson.dumps(statement(n, n % 4))
    if kind == "no-id":
        return orjson.dumps(statement(n, n % 4, with_id=False))
    if kind == "repeat":  # the same id and body as valid statement 0
        return orjson.dumps(statement(0, 0))
    if kind == "conflict":  # the id of valid statement 0, another body
        return orjson.dumps({**statement(0, 0), "timestamp": "2023-01-01T00:00:00Z"})
    if kind == "invalid":
        return orjson.dumps({"id": str(uuid.UUID(int=n + 1)), "actor": {"name": "x"}})
    if kind == "malformed":
        return b'{"id": "broken'
    if kind == "blank":
        return b"   "
    raise AssertionError(kind)


KINDS = ("valid", "valid", "valid", "no-id", "repeat", "conflict", "invalid", "malformed", "blank")


def _store(path: Path, secret: bytes) -> LearningRecords:
    with sqlite3.connect(path) as db:
        db.execute("CREATE TABLE learningorg_meta (name TEXT PRIMARY KEY, value TEXT)")
        db.execute("INSERT INTO learningorg_meta VALUES ('secret', ?)", (secret.hex(),))
    records = LearningRecords(f"sqlite:///{path}")
    records.register_organisation(
        ORG, occurred_at=datetime(2024, 1, 1, tzinfo=UTC), idempotency_key="org"
    )
    return records


def _rows(path: Path) -> list[tuple[Any, ...]]:
    """Stored events and statement log rows, without the recording time and sealing nonces."""
    with sqlite3.connect(path) as db:
        events = db.execute(
            "SELECT originator_id, originator_version, topic, state FROM stored_events "
            "ORDER BY rowid"
        ).fetchall()
        log = db.execute("SELECT * FROM xapi_statements ORDER BY statement_id").fetchall()
    result: list[tuple[Any, ...]] = []
    for stream, version, topic, state in events:
        data = orjson.loads(state)
        data.pop("recorded_at")
        sealed = data.pop("_sealed", None)
        result.append((stream, version, topic, data, sealed and sealed["fields"]))
    return result + log


def _import_both_ways(
    tmp_path: Path, content: bytes, **options: Any
) -> tuple[dict[bool, ImportSummary], dict[bool, list[Any]], dict[bool, list[ImportProgress]]]:
    source = tmp_path / "feed.ndjson"
    source.write_bytes(content)
    secret = os.urandom(32)
    summaries, rows, progress = {}, {}, {}
    for parallel in (False, True):
        path = tmp_path / f"{parallel}.db"
        seen: list[ImportProgress] = []
        with _store(path, secret) as records:
            summaries[parallel] = import_statements(
                records,
                source,
                organisation=ORG,
                parallel=parallel,
                progress=seen.append,
                **options,
            )
        rows[parallel] = _rows(path)
        progress[parallel] = seen
    return summaries, rows, progress


@settings(
    max_examples=12,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(
    kinds=st.lists(st.sampled_from(KINDS), min_size=1, max_size=40),
    batch_size=st.sampled_from([1, 3, 50]),
)
def test_prepared_in_a_second_process_the_outcome_is_the_same(
    tmp_path_factory: pytest.TempPathFactory, kinds: list[str], batch_size: int
) -> None:
    tmp_path = tmp_path_factory.mktemp("parallel")
    content = b"\n".join(_line(kind, n) for n, kind in enumerate(kinds)) + b"\n"
    summaries, rows, progress = _import_both_ways(tmp_path, content, batch_size=batch_size)
    assert summaries[True] == summaries[False]
    assert rows[True] == rows[False]
    assert progress[True] == progress[False]
    statements = [k for k in kinds if k != "blank"]
    assert summaries[True].total == len(statements)
    assert summaries[True].rejected == statements.count("invalid") + statements.count("malformed")


def test_many_statements_in_several_chunks(tmp_path: Path) -> None:
    """More statements than one message of the preparing process holds, a few of them bad."""
    count = imp._PIPELINE_CHUNK * 2 + 17
    lines = [_line("malformed" if n % 97 == 5 else "valid", n) for n in range(count)]
    summaries, rows, _ = _import_both_ways(tmp_path, b"\n".join(lines))
    assert summaries[True] == summaries[False]
    assert rows[True] == rows[False]
    assert summaries[True].rejected == sum(1 for n in range(count) if n % 97 == 5)
    assert [f.line for f in summaries[True].failures] == [
        n + 1 for n in range(count) if n % 97 == 5
    ]


def test_a_json_array_is_read_the_same(tmp_path: Path) -> None:
    statements = [statement(n, n % 3) for n in range(9)] + [{"id": "not a uuid"}]
    summaries, rows, _ = _import_both_ways(tmp_path, orjson.dumps(statements, option=2))
    assert summaries[True] == summaries[False]
    assert rows[True] == rows[False]
    assert (summaries[True].accepted, summaries[True].rejected) == (9, 1)


def test_a_json_array_over_the_limit_is_refused_before_anything_is_stored(
    tmp_path: Path,
) -> None:
    source = tmp_path / "big.json"
    source.write_bytes(orjson.dumps([statement(n, n % 3) for n in range(50)]))
    with _store(tmp_path / "store.db", os.urandom(32)) as records:
        with pytest.raises(InvalidInputError, match="write it as NDJSON"):
            import_statements(
                records, source, organisation=ORG, parallel=True, max_document_bytes=1000
            )
        assert len(list(records.events())) == 1  # the organisation's registration only


def test_parallel_is_asked_for_and_needs_a_file(tmp_path: Path) -> None:
    small = tmp_path / "small.ndjson"
    small.write_bytes(_line("valid", 1))
    assert imp._use_pipeline(small, True)
    assert imp._use_pipeline(str(small), True)
    assert not imp._use_pipeline(small, False)
    assert not imp._use_pipeline(small.read_bytes(), True)  # bytes: read in this process
    assert not imp._use_pipeline(tmp_path / "missing.ndjson", True)
    assert inspect.signature(import_statements).parameters["parallel"].default is False


def _import_in_daemon(path: str, url: str, out: Any) -> None:
    with LearningRecords(url) as records:
        summary = import_statements(records, path, organisation=ORG, parallel=True)
    out.put((imp._parallel_possible(), summary.accepted))


def test_a_daemonic_process_imports_in_one_process(tmp_path: Path) -> None:
    """A daemonic process may not start children: it prepares the statements itself."""
    import multiprocessing

    source = tmp_path / "feed.ndjson"
    source.write_bytes(b"\n".join(_line("valid", n) for n in range(5)))
    store = tmp_path / "store.db"
    _store(store, os.urandom(32)).close()
    context = multiprocessing.get_context("fork")
    out = context.Queue()
    child = context.Process(
        target=_import_in_daemon, args=(str(source), f"sqlite:///{store}", out), daemon=True
    )
    child.start()
    possible, accepted = out.get(timeout=60)
    child.join(60)
    assert (possible, accepted, child.exitcode) == (False, 5, 0)
