"""The xAPI import with its statements prepared in a second process (``parallel=True``).

Reading, parsing, bounds, validation and the body hash of a file may run in a second process
while the first records. The outcome must not depend on it: the same summary (counts, failures
with their lines and problems, notes) and the same stored rows, for any mix of valid, invalid,
malformed, duplicate and blank lines; and the same errors for input refused as a whole.
"""

from __future__ import annotations

import inspect
import itertools
import multiprocessing
import os
import signal
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
from learningorg.domain.errors import InvalidInputError, StoreError
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

#: The person registered beforehand (see ``_store``) and the email that names them.
KNOWN_KEY, KNOWN_EMAIL = "E-known", "known@example.org"
#: Reflected minutes the mapping passes on but ReflectionLogged refuses (gt=0, le=24*60, int).
BAD_MINUTES = (-5, 0, 24 * 60 + 1, 10**9, 2.5)
#: Statements the preparing process does not hand over ready (or hands over where the importing
#: process must check before using its work): Group actors, domain-invalid payloads, context
#: teams, a person known beforehand, voiding statements.
WIDE_KINDS = (
    *KINDS,
    "group",
    "bad-minutes",
    "team",
    "context-groups",
    "known",
    "void",
)


def _member(person: int) -> dict[str, Any]:
    return {
        "objectType": "Agent",
        "name": f"Person {person}",
        "mbox": f"mailto:p{person}@example.org",
    }


def _wide_statement(kind: str, n: int, target: int) -> dict[str, Any]:
    """A valid xAPI statement of one of the kinds ``WIDE_KINDS`` adds, with id n + 1."""
    if kind == "group":  # 2-3 members: a person seen before, a new one, maybe the known one
        members = [_member(n % 4), _member(100 + n)]
        if n % 2:
            members.append({"objectType": "Agent", "mbox": f"mailto:{KNOWN_EMAIL}"})
        group: dict[str, Any] = {"objectType": "Group", "member": members}
        if n % 3 == 0:  # an identified Group: still one event per member
            group["mbox"] = f"mailto:group{n % 2}@example.org"
        return {**statement(n, n % 4), "actor": group}
    if kind == "bad-minutes":  # a reflection (even n would be an ADL completion)
        result = statement(2 * (n // 2) + 1, n % 4)
        result["id"] = str(uuid.UUID(int=n + 1))
        extensions = result["context"]["extensions"]
        extensions[pf.extension("minutes")] = BAD_MINUTES[n % len(BAD_MINUTES)]
        if n % 2:
            del extensions[pf.extension("note")]  # nothing to seal: built ahead, if at all
        return result
    if kind == "team":  # context.team (xAPI 1.0.3)
        result = statement(n, n % 4)
        team = {"objectType": "Group", "name": f"Team {n % 2}", "mbox": f"mailto:team{n % 2}@x.org"}
        result.setdefault("context", {})["team"] = team
        return result
    if kind == "context-groups":  # contextGroups (xAPI 2.0)
        result = statement(n, n % 4)
        result["version"] = "2.0.0"
        group = {"objectType": "Group", "name": "Team 2", "mbox": "mailto:team2@x.org"}
        item = {"objectType": "contextGroup", "group": group}
        result.setdefault("context", {})["contextGroups"] = [item]
        return result
    if kind == "known":  # the known person's email, in another case
        result = statement(n, n % 4)
        result["actor"] = {"name": "Known", "mbox": f"mailto:{KNOWN_EMAIL.capitalize()}"}
        return result
    if kind == "void":  # voids line ``target`` (before or after it, of any kind)
        return {
            "id": str(uuid.UUID(int=n + 1)),
            "actor": _member(n % 4),
            "verb": {"id": "http://adlnet.gov/expapi/verbs/voided"},
            "object": {"objectType": "StatementRef", "id": str(uuid.UUID(int=target + 1))},
            "timestamp": f"2024-04-01T10:00:00.{n:06d}Z",
        }
    raise AssertionError(kind)


def _wide_line(kind: str, n: int, target: int) -> bytes:
    if kind in KINDS:
        return _line(kind, n)
    return orjson.dumps(_wide_statement(kind, n, target))


def _store(path: Path, secret: bytes, *, known: bool = False) -> LearningRecords:
    """A SQLite store with ``secret`` and the organisation; with ``known``, also the person
    ``KNOWN_KEY`` registered beforehand with the email ``KNOWN_EMAIL`` (the same in any store)."""
    with sqlite3.connect(path) as db:
        db.execute("CREATE TABLE learningorg_meta (name TEXT PRIMARY KEY, value TEXT)")
        db.execute("INSERT INTO learningorg_meta VALUES ('secret', ?)", (secret.hex(),))
    records = LearningRecords(f"sqlite:///{path}")
    records.register_organisation(
        ORG, occurred_at=datetime(2024, 1, 1, tzinfo=UTC), idempotency_key="org"
    )
    if known:
        records.register_person(
            ORG,
            KNOWN_KEY,
            name="Known Person",
            email=KNOWN_EMAIL,
            occurred_at=datetime(2024, 1, 2, tzinfo=UTC),
            idempotency_key="known-person",
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
    tmp_path: Path,
    content: bytes,
    *,
    secret: bytes | None = None,
    known: bool = False,
    **options: Any,
) -> tuple[dict[bool, ImportSummary], dict[bool, list[Any]], dict[bool, list[ImportProgress]]]:
    source = tmp_path / "feed.ndjson"
    source.write_bytes(content)
    secret = secret or os.urandom(32)
    summaries, rows, progress = {}, {}, {}
    for parallel in (False, True):
        path = tmp_path / f"{parallel}.db"
        seen: list[ImportProgress] = []
        with _store(path, secret, known=known) as records:
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
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(
    lines=st.lists(
        st.tuples(st.sampled_from(WIDE_KINDS), st.integers(0, 39)), min_size=1, max_size=40
    ),
    batch_size=st.sampled_from([1, 3, 50]),
)
def test_prepared_in_a_second_process_the_outcome_is_the_same(
    tmp_path_factory: pytest.TempPathFactory, lines: list[tuple[str, int]], batch_size: int
) -> None:
    tmp_path = tmp_path_factory.mktemp("parallel")
    kinds = [kind for kind, _ in lines]
    # A voiding statement names another line (earlier or later), never itself.
    targets = [t % len(lines) if t % len(lines) != n else n + 1 for n, (_, t) in enumerate(lines)]
    content = b"\n".join(_wide_line(k, n, targets[n]) for n, k in enumerate(kinds)) + b"\n"
    secret = os.urandom(32)
    summaries, rows, progress = _import_both_ways(
        tmp_path, content, secret=secret, known=True, batch_size=batch_size
    )
    assert summaries[True] == summaries[False]
    assert rows[True] == rows[False]
    assert progress[True] == progress[False]
    statements = [k for k in kinds if k != "blank"]
    assert summaries[True].total == len(statements)
    summary = summaries[True]
    rejected = {f.line: f for f in summary.failures if f.outcome == "rejected"}
    # The payloads ReflectionLogged refuses are rejected, as the domain says (in both modes).
    for n, kind in enumerate(kinds):
        if kind == "bad-minutes":
            assert [p.rule for p in rejected[n + 1].problems] == ["domain.InvalidValueError"]
            assert "minutes" in rejected[n + 1].problems[0].message
        elif kind in ("valid", "group", "team", "context-groups", "known"):
            assert n + 1 not in rejected, rejected[n + 1]
    assert sum(1 for f in rejected.values() if f.problems[0].rule.startswith("domain.")) == (
        kinds.count("bad-minutes")
    )
    if not summary.truncated:
        assert summary.rejected == len(rejected)
    # The known person's statements go to their stream (registered beforehand), in both stores.
    with LearningRecords(f"sqlite:///{tmp_path / 'True.db'}") as records:
        known_stream = records.person_id(ORG, KNOWN_KEY).hex
    known_topics = [
        topic
        for stream, _, topic, *_ in rows[True][: _event_count(rows[True])]
        if stream == known_stream
    ]
    members_known = sum(1 for n, k in enumerate(kinds) if k == "group" and n % 2)
    assert known_topics[0] == "learningorg/PersonRegistered"
    assert known_topics.count("learningorg/PersonRegistered") == 1
    if "known" in kinds or members_known:
        assert len(known_topics) > 1


def _event_count(rows: list[tuple[Any, ...]]) -> int:
    """How many of ``_rows``' rows are events (the statement log's rows follow)."""
    return sum(1 for row in rows if len(row) == 5 and isinstance(row[3], dict))


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
    assert imp._use_pipeline(small, None)  # the default: whenever it can
    assert not imp._use_pipeline(small.read_bytes(), None)
    assert inspect.signature(import_statements).parameters["parallel"].default is None


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


def _stored_states(path: Path) -> dict[str, dict[str, Any]]:
    """The stored states of the events of a SQLite store by event id, without recorded_at."""
    with sqlite3.connect(path) as db:
        states = [orjson.loads(state) for (state,) in db.execute("SELECT state FROM stored_events")]
    for state in states:
        state.pop("recorded_at")
    return {state["event_id"]: state for state in states}


def test_the_preparing_process_builds_the_common_statements_events(tmp_path: Path) -> None:
    """The common statements come with their events' states built ahead, one per step: with
    the event id the importing process derives, the same (but for the recording time) as the
    states an import in one process stores."""
    statements = []
    for n in range(40):
        result = statement(n, n % 5)
        if n % 2:  # a reflection with minutes and nothing to seal
            del result["context"]["extensions"][pf.extension("note")]
        if n % 10 == 4:  # an anonymous Group of a person seen before and a new one
            result["actor"] = {"objectType": "Group", "member": [_member(n % 5), _member(200 + n)]}
        statements.append(result)
    source = tmp_path / "common.ndjson"
    source.write_bytes(b"\n".join(orjson.dumps(s) for s in statements))
    secret = os.urandom(32)
    with _store(tmp_path / "one.db", secret) as records:
        summary = import_statements(records, source, organisation=ORG, parallel=False)
    assert (summary.accepted, summary.rejected) == (40, 0)
    stored = _stored_states(tmp_path / "one.db")

    with _store(tmp_path / "ahead.db", secret) as records:
        event_id = imp._keyed_ids(records.secret, ORG, "event")
        ahead = imp._Prebuilder(records, ORG, "xapi", True)
        items = imp._pipelined(source, 10**9, None, ahead)
        try:
            seen = []
            for _, item in items:
                assert isinstance(item, imp._Item)
                assert item.plan is not None, item.sid
                assert item.built is not None, item.sid
                assert len(item.built) == len(item.plan.steps)
                assert all(built is not None for built in item.built)
                for n, built in enumerate(item.built):
                    assert built is not None
                    key = f"xapi:{item.sid}" if n == 0 else f"xapi:{item.sid}/{n}"
                    assert b"event_id" not in built  # derived by the importing process
                    state = orjson.loads(imp._with_event_id(str(event_id(key)), built))
                    state.pop("recorded_at")
                    assert state == stored[str(event_id(key))]
                seen.append((item.sid, len(item.built)))
        finally:
            items.close()
    assert seen == [(s["id"], 2 if n % 10 == 4 else 1) for n, s in enumerate(statements)]


def test_an_import_whose_preparing_process_is_killed_is_completed_by_the_next(
    tmp_path: Path,
) -> None:
    """Killing the preparing process stops the import with StoreError; importing again stores
    every statement once, as one import in one process does."""
    count = 3000
    source = tmp_path / "feed.ndjson"
    source.write_bytes(b"\n".join(_line("valid", n) for n in range(count)))
    secret = os.urandom(32)
    killed: list[int] = []

    def kill_the_child(_: ImportProgress) -> None:
        if killed:
            return
        killed.append(0)
        for child in multiprocessing.active_children():
            if child.name.startswith("learningorg-xapi-prepare") and child.pid is not None:
                os.kill(child.pid, signal.SIGKILL)
                killed.append(child.pid)

    path = tmp_path / "store.db"
    with _store(path, secret) as records:
        stopped: StoreError | None = None
        try:
            first = import_statements(
                records,
                source,
                organisation=ORG,
                parallel=True,
                batch_size=100,
                progress=kill_the_child,
            )
        except StoreError as error:
            stopped = error
        if stopped is not None:
            assert len(killed) == 2, "a preparing process that was not killed stopped"
            assert "the process preparing the statements" in str(stopped)
            assert "stopped" in str(stopped)
        else:  # the child had written everything before it was killed (or had ended)
            assert (first.accepted, first.rejected) == (count, 0)
        assert killed, "the progress callback was never called"
        again = import_statements(records, source, organisation=ORG, parallel=True)
    assert again.accepted + again.duplicate == count
    # The batch before the first progress report was stored before the process was killed.
    assert again.duplicate >= (100 if stopped is not None else count)
    assert (again.conflicting, again.rejected) == (0, 0)
    assert not [c for c in multiprocessing.active_children() if c.name.startswith("learningorg")]

    with _store(tmp_path / "one.db", secret) as records:
        once = import_statements(records, source, organisation=ORG, parallel=False)
    assert once.accepted == count
    assert _rows(path) == _rows(tmp_path / "one.db")


def test_statements_already_logged_are_not_prepared_again(tmp_path: Path) -> None:
    """Importing a file again: the preparing process leaves the statements the log holds
    unplanned (the importing process finds them duplicates) and prepares the new ones; the
    outcome is that of one process."""
    first = b"\n".join(_line("valid", n) for n in range(0, 40, 2))
    both = b"\n".join(_line("valid", n) for n in range(40))
    secret = os.urandom(32)
    (tmp_path / "first.ndjson").write_bytes(first)
    (tmp_path / "both.ndjson").write_bytes(both)
    summaries, rows = {}, {}
    for parallel in (False, True):
        path = tmp_path / f"{parallel}.db"
        with _store(path, secret) as records:
            import_statements(records, tmp_path / "first.ndjson", organisation=ORG)
            summaries[parallel] = import_statements(
                records, tmp_path / "both.ndjson", organisation=ORG, parallel=parallel
            )
        rows[parallel] = _rows(path)
    assert summaries[True] == summaries[False]
    assert rows[True] == rows[False]
    assert (summaries[True].duplicate, summaries[True].accepted) == (20, 20)

    with LearningRecords(f"sqlite:///{tmp_path / 'True.db'}") as records:
        (tmp_path / "again.ndjson").write_bytes(both + b"\n" + _line("valid", 41))
        ahead = imp._Prebuilder(records, ORG, "xapi", True)
        items = imp._pipelined(tmp_path / "again.ndjson", 10**9, None, ahead)
        try:
            prepared = {item.sid: item.plan is not None for _, item in items}
        finally:
            items.close()
    assert prepared == {str(uuid.UUID(int=n + 1)): n == 41 for n in [*range(40), 41]}


def test_the_preparing_process_looks_up_ever_more_rarely_while_it_finds_nothing(
    tmp_path: Path,
) -> None:
    """A chunk with no logged statement doubles the chunks passed without a lookup, up to
    ``_MAX_LOOKUP_GAP``; a chunk with one makes every next chunk be looked up again."""
    (tmp_path / "first.ndjson").write_bytes(b"\n".join(_line("valid", n) for n in range(10)))
    with _store(tmp_path / "store.db", os.urandom(32)) as records:
        import_statements(records, tmp_path / "first.ndjson", organisation=ORG)
        logged_ids = [str(uuid.UUID(int=n + 1)) for n in range(10)]
        new_ids = [str(uuid.UUID(int=n + 1)) for n in range(100, 110)]
        lookup = imp._Prebuilder(records, ORG, "xapi", True).logged()

        assert lookup(logged_ids) == set(logged_ids)
        assert lookup(logged_ids) == set(logged_ids)  # found: the next is looked up too
        assert lookup(new_ids) == set()  # none: one chunk passes
        assert lookup(logged_ids) == set()  # passed without a lookup
        assert lookup(logged_ids) == set(logged_ids)

        # Chunks of new statements: looked up after 1, 2, 4, ... chunks, then every 17th.
        answers = [lookup(logged_ids if n % 5 == 4 else new_ids) for n in range(200)]
        looked_up = [n for n, found in enumerate(answers) if found]
        assert looked_up, "logged statements are found again"
        gaps = [b - a for a, b in itertools.pairwise(looked_up)]
        assert max(gaps) <= 5 * (imp._MAX_LOOKUP_GAP + 1)

        for _ in range(100):
            lookup(new_ids)
        calls_to_find = next(n for n in range(1, 100) if lookup(logged_ids))
        assert calls_to_find <= imp._MAX_LOOKUP_GAP + 1
        assert lookup(logged_ids) == set(logged_ids)  # found: looked up at once again
