"""The capacity catch-up view on every store: fresh after a save, rebuildable, restartable.

The view keeps learning facts in the store's own database (SQLite or PostgreSQL tables) with its
tracking position written in the same transaction; these tests run it on memory, SQLite and
PostgreSQL (the ``records`` fixture) and across a restart in a new process.
"""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from tests.capacity_strategies import END, MIDDLE, ORG, PERSONS, Action, apply, setup

from learningorg import LearningRecords
from learningorg import errors as err
from learningorg.persistence.database import Cursor
from learningorg.projections.capacity import (
    MODEL_VERSION,
    capacity,
    capacity_profile,
    capacity_series,
)
from learningorg.projections.capacity.facts import (
    fact_from_event,
    fact_from_record,
    record_from_event,
)
from learningorg.projections.history import load_history
from learningorg.projections.views import TRACKING_TABLE, CapacityFactsView, capacity_view

ROOT = Path(__file__).resolve().parents[2]
AS_OF = END

#: One of every kind of command, with references between them (played after ``setup``).
EVERY_KIND = [
    Action("experience", {"person": "E1", "uncertainty": 4, "competences": ["gesprek"],
                          "at": MIDDLE - timedelta(days=40)}),
    Action("reflect", {"person": "E1", "minutes": 45, "form": "self", "loop": "double",
                       "dimensions": ["normative", "personal", "technical-instrumental"],
                       "competences": ["trauma"], "at": MIDDLE - timedelta(days=35)}, (0,)),
    Action("intervision", {"team": "A", "participants": ["E1", "E2"], "minutes": 90,
                           "dimensions": ["normative"], "at": MIDDLE - timedelta(days=30)}, (0,)),
    Action("reflect", {"person": "E2", "minutes": 90, "form": "intervision", "loop": "single",
                       "dimensions": ["personal"], "competences": [],
                       "at": MIDDLE - timedelta(days=30)}, (2,)),
    Action("consultation", {"team": "B", "participants": ["E1", "E3"], "guests": ["A"],
                            "minutes": 60, "at": MIDDLE - timedelta(days=20)}),
    Action("activity", {"person": "E3", "mode": "formal", "points": 6, "competences": ["recht"],
                        "at": MIDDLE - timedelta(days=10)}),
    Action("share", {"person": "E1", "to_persons": ["E3"], "to_teams": ["B"],
                     "organisation_wide": False, "at": MIDDLE - timedelta(days=9)}),
    Action("advice", {"person": "E3", "adviser": "E1", "at": MIDDLE - timedelta(days=8)}),
    Action("external", {"person": "E2", "at": MIDDLE - timedelta(days=7)}),
    Action("goal", {"person": "E2", "goal": "g1", "values": ["samen"],
                    "at": MIDDLE - timedelta(days=6)}),
    Action("review", {"person": "E2", "goal": "g1", "status": "active",
                      "at": MIDDLE - timedelta(days=5)}),
    Action("start", {"team": "A", "experiment": "x1", "owners": ["E1"], "values": ["veilig"],
                     "review_days": 20, "at": MIDDLE - timedelta(days=60)}),
    Action("evaluate", {"team": "A", "experiment": "x1", "result": "adopt",
                        "at": MIDDLE - timedelta(days=4)}),
    Action("lesson", {"team": "A", "scope": "organisation", "authors": ["E1"], "values": [],
                      "at": MIDDLE - timedelta(days=3)}, (12,)),
    Action("practice", {"at": MIDDLE - timedelta(days=2)}, (13,)),
    Action("assumption", {"person": "E1", "at": MIDDLE - timedelta(days=2)}, (0,)),
    Action("dialogue", {"team": None, "participants": ["E1", "E3"], "values": ["samen"],
                        "at": MIDDLE - timedelta(days=1)}),
    Action("climate", {"team": "A", "mean": 4, "at": MIDDLE}),
    Action("climate", {"team": None, "mean": 5, "at": MIDDLE}),
    Action("join", {"team": "B", "person": "E4", "fte": 0.5, "at": MIDDLE}),
    Action("leave", {"team": "A", "person": "E2", "at": MIDDLE + timedelta(days=1)}),
    Action("value", {"value": "samen", "at": MIDDLE + timedelta(days=2)}),
    Action("retract", {}, (5,)),
]  # fmt: skip


def play_every_kind(records: LearningRecords, *, catch_up_each: bool = False) -> list[int]:
    """Set up the cast and play ``EVERY_KIND``; returns the positions stored."""
    recorded = setup(records)
    positions = []
    for step in EVERY_KIND:
        position = apply(records, step, recorded)
        assert position is not None, step
        positions.append(position)
        if catch_up_each:
            capacity_view(records).catch_up()
    return positions


def results(records: LearningRecords, **kwargs: Any) -> list[Any]:
    """Every level's capacity at AS_OF (one person, one team, the organisation)."""
    return [
        capacity(records, ORG, level, key, as_of=AS_OF, **kwargs)
        for level, key in (("person", "E1"), ("team", "A"), ("organisation", None))
    ]


def test_a_query_right_after_a_save_sees_it(records: LearningRecords) -> None:
    """No explicit catch-up: the query catches up first, so each save shows at once."""
    setup(records)
    assert capacity(records, ORG, "person", "E1", as_of=AS_OF).subscores["P1"].value is None
    records.log_reflection(ORG, "E1", minutes=360, occurred_at=AS_OF)
    p1 = capacity(records, ORG, "person", "E1", as_of=AS_OF).subscores["P1"]
    assert p1.value == pytest.approx(93.11, abs=0.01)
    records.log_reflection(ORG, "E1", minutes=60, occurred_at=AS_OF)
    assert capacity(records, ORG, "person", "E1", as_of=AS_OF).subscores["P1"].value == 100.0


def test_the_flow_subscores_see_a_save_right_after_a_query(records: LearningRecords) -> None:
    """G5 and O4 read the knowledge-flow graph of a history kept between queries; a save
    makes the next query read it again.

    Advice from E3 (team B) to E1 (team A) at AS_OF: all of A's flow crosses its boundary
    (share 1, one partner team), so G5 = 100 (1/2 sat(1, 0.25) + 1/2 sat(1, 3)) = 100 (1/2 + 1/6)
    = 66.67; then advice from E2 to E1 inside A (weight 1 each): share 1/2, G5 is still
    100 (1/2 + 1/6) = 66.67 but O4's cross-team share drops from 1 to 1/2.
    """
    setup(records)
    assert capacity(records, ORG, "team", "A", as_of=AS_OF).subscores["G5"].value is None
    records.seek_advice(ORG, "E1", from_person="E3", occurred_at=AS_OF)
    g5 = capacity(records, ORG, "team", "A", as_of=AS_OF).subscores["G5"]
    assert g5.value == pytest.approx(200 / 3)
    assert g5.numerator == pytest.approx(1.0)
    o4 = capacity(records, ORG, "organisation", as_of=AS_OF).subscores["O4"]
    assert o4.details["cross_team_share"] == pytest.approx(1.0)
    records.seek_advice(ORG, "E1", from_person="E2", occurred_at=AS_OF)
    assert capacity(records, ORG, "team", "A", as_of=AS_OF).subscores["G5"].numerator == (
        pytest.approx(0.5)
    )
    o4 = capacity(records, ORG, "organisation", as_of=AS_OF).subscores["O4"]
    assert o4.details["cross_team_share"] == pytest.approx(0.5)


def test_the_view_agrees_with_the_live_projection(records: LearningRecords) -> None:
    """Every level from the view equals ``capacity_profile`` over the loaded history."""
    play_every_kind(records)
    history = load_history(records, ORG)
    ids = {"person": records.person_id(ORG, "E1"), "team": records.team_id(ORG, "A")}
    for result in results(records):
        live = capacity_profile(history, result.level, ids.get(result.level), AS_OF)
        assert result.same_scores(live), result.level
        assert result.model_version == MODEL_VERSION
    # The organisation's DLOQ-21: means 5 and 3.5 on a 6-point scale: 100 * (4.25 - 1)/5 = 65.
    assert results(records)[2].subscores["O7"].value == pytest.approx(65.0)


def test_tracking_position_is_stored_with_the_view(records: LearningRecords) -> None:
    """After a query the stored position is the store's newest, with model and schema version."""
    play_every_kind(records)
    capacity(records, ORG, "organisation", as_of=AS_OF)
    database = records.database
    with database.transaction() as cursor:
        cursor.execute(
            database.sql(
                f"SELECT position, version, schema_version FROM "
                f"{database.table(TRACKING_TABLE)} WHERE view = ?"
            ),
            (CapacityFactsView.name,),
        )
        position, version, schema = cursor.fetchone()
    assert position == records.max_position()
    assert (version, schema) == (MODEL_VERSION, CapacityFactsView.schema_version)


def test_the_fast_path_stores_what_the_pydantic_path_would(records: LearningRecords) -> None:
    """Every record the view decoded straight from stored JSON equals the record built from the
    validated pydantic event, and both read back as the same fact."""
    play_every_kind(records)
    view = capacity_view(records)
    view.catch_up()
    stored = {record[0]: (stream, record) for _, stream, record in view.records_of(ORG)}
    expected = {}
    for entry in records.events(organisation=ORG):
        record = record_from_event(entry.position, entry.event)
        if record is not None:
            expected[entry.position] = (str(entry.event.originator_id), record)
    assert stored == expected
    assert len(stored) == records.max_position()  # every event of this history makes a fact
    for entry in records.events(organisation=ORG):
        stream, record = stored[entry.position]
        assert fact_from_record(ORG, stream, record) == fact_from_event(entry.position, entry.event)


def test_rebuild_equals_the_incrementally_kept_view(records: LearningRecords) -> None:
    """Caught up after every save, then dropped and replayed: the same records, the same scores."""
    play_every_kind(records, catch_up_each=True)
    view = capacity_view(records)
    before = view.records_of(ORG)
    scores = results(records)
    assert view.rebuild() == records.max_position()
    assert view.records_of(ORG) == before
    assert all(a.same_scores(b) for a, b in zip(results(records), scores, strict=True))


def test_a_view_of_another_model_version_is_rebuilt_not_mixed(records: LearningRecords) -> None:
    """A view stored by another model version is dropped and replayed from 0 on opening."""
    play_every_kind(records)
    current = capacity_view(records)
    current.catch_up()
    before = current.records_of(ORG)
    other = CapacityFactsView(records, version="1999.1")
    assert other.rebuilds == 1
    assert other.position == 0
    assert other.catch_up() == records.max_position()
    assert other.records_of(ORG) == before
    again = CapacityFactsView(records)
    assert again.rebuilds == 1
    assert again.catch_up() == records.max_position()


class _FailingView(CapacityFactsView):
    """A view whose writes fail after the rows went in: the transaction must undo them."""

    def write(self, cursor: Cursor, rows: list[Any]) -> None:
        super().write(cursor, rows)
        msg = "disk full (a test double)"
        raise OSError(msg)


def test_rows_and_position_commit_together(records: LearningRecords) -> None:
    """A failed batch leaves neither rows nor a moved position behind."""
    play_every_kind(records)
    failing = _FailingView(records, version="failing")
    with pytest.raises(OSError, match="disk full"):
        failing.catch_up()
    assert failing.count() == 0
    assert CapacityFactsView(records, version="failing").position == 0


def test_two_instances_never_apply_a_batch_twice(sqlite_url: str) -> None:
    """Two LearningRecords on one SQLite file: the second finds the position moved and resumes
    from it instead of writing the same facts again."""
    with LearningRecords(sqlite_url) as first, LearningRecords(sqlite_url) as second:
        play_every_kind(first)
        stale = capacity_view(second)  # opened at position 0
        fresh = capacity_view(first)
        assert fresh.catch_up() == first.max_position()
        assert stale.catch_up() == 0
        assert stale.position == fresh.position
        assert stale.records_of(ORG) == fresh.records_of(ORG)


def test_a_parallel_replay_stores_the_same_as_one_process(sqlite_url: str) -> None:
    """Worker processes decoding batches of a SQLite file store exactly what one process does."""

    class Parallel(CapacityFactsView):
        batch = 7
        parallel_from = 1

    with LearningRecords(sqlite_url) as records:
        play_every_kind(records)
        single = capacity_view(records)
        single.rebuild()
        expected = single.records_of(ORG)
        parallel = Parallel(records, workers=2)
        assert parallel.rebuild() == records.max_position()
        assert parallel.position == records.max_position()
        assert parallel.records_of(ORG) == expected


RESTART = textwrap.dedent(
    """
    import json, sys
    from datetime import datetime
    from learningorg import LearningRecords
    from learningorg.projections.capacity import capacity
    from learningorg.projections.views import capacity_view

    with LearningRecords(sys.argv[1]) as records:
        view = capacity_view(records)
        resumed_at = view.position
        read = view.catch_up()
        result = capacity(records, sys.argv[2], "person", "E1",
                          as_of=datetime.fromisoformat(sys.argv[3]))
        print(json.dumps({"resumed_at": resumed_at, "read": read, "position": view.position,
                          "p1": result.subscores["P1"].value}))
    """
)


def run_in_new_process(url: str) -> dict[str, Any]:
    done = subprocess.run(
        [sys.executable, "-c", RESTART, url, ORG, AS_OF.isoformat()],
        capture_output=True, text=True, timeout=120, check=False, cwd=ROOT,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    found: dict[str, Any] = json.loads(done.stdout)
    return found


def test_a_new_process_resumes_from_the_stored_position(sqlite_url: str) -> None:
    """A new process opens the SQLite store, resumes at the stored position and reads only what
    was saved since: nothing at all when nothing was."""
    with LearningRecords(sqlite_url) as records:
        setup(records)
        records.log_reflection(ORG, "E1", minutes=360, occurred_at=AS_OF)
        capacity_view(records).catch_up()
        stored = records.max_position()
    first = run_in_new_process(sqlite_url)
    assert first == {"resumed_at": stored, "read": 0, "position": stored, "p1": first["p1"]}
    assert first["p1"] == pytest.approx(93.11, abs=0.01)
    with LearningRecords(sqlite_url) as records:
        records.log_reflection(ORG, "E1", minutes=60, occurred_at=AS_OF)
    second = run_in_new_process(sqlite_url)
    assert (second["resumed_at"], second["read"]) == (stored, 1)
    assert second["p1"] == 100.0


def test_a_fresh_instance_resumes_on_every_persistent_store(records: LearningRecords) -> None:
    """A new LearningRecords on the same SQLite file or PostgreSQL schema resumes the view."""
    if records.config.kind == "memory":
        pytest.skip("an in-memory store does not outlive its instance")
    play_every_kind(records)
    capacity_view(records).catch_up()
    with LearningRecords(records.config.url) as again:
        view = capacity_view(again)
        assert view.position == records.max_position()
        assert view.catch_up() == 0
        assert view.processed == 0
        assert all(a.same_scores(b) for a, b in zip(results(again), results(records), strict=True))


# ---------------------------------------------------------------------- both time axes


def test_known_at_a_recording_time(records: LearningRecords) -> None:
    """known_at as a recording time gives what was known then, as the live projection does."""
    setup(records)
    records.log_reflection(ORG, "E1", minutes=360, occurred_at=AS_OF)
    then = records.now()
    records.log_reflection(ORG, "E1", minutes=360, occurred_at=AS_OF - timedelta(days=300))
    view_then = capacity(records, ORG, "person", "E1", as_of=AS_OF, known_at=then)
    live_then = capacity_profile(
        load_history(records, ORG, then), "person", records.person_id(ORG, "E1"), AS_OF
    )
    assert view_then.same_scores(live_then)
    assert view_then.subscores["P1"].value == pytest.approx(93.11, abs=0.01)
    assert capacity(records, ORG, "person", "E1", as_of=AS_OF).subscores["P1"].value == 100.0


def test_late_history_changes_the_past_but_not_an_earlier_known_at(
    memory_records: LearningRecords,
) -> None:
    """An import of last year's records changes as_of last year, not known_at before the import."""
    records = memory_records
    setup(records)
    before_import = records.max_position()
    last_year = AS_OF - timedelta(days=365)
    records.log_reflection(ORG, "E1", minutes=360, occurred_at=last_year)
    now = capacity(records, ORG, "person", "E1", as_of=last_year)
    then = capacity(records, ORG, "person", "E1", as_of=last_year, known_at=before_import)
    assert now.subscores["P1"].value == pytest.approx(93.11, abs=0.01)
    assert then.subscores["P1"].value is None
    assert then.position == before_import


def test_a_series_is_the_capacity_at_each_moment(memory_records: LearningRecords) -> None:
    """Each point of a monthly series equals a separate query at that moment."""
    records = memory_records
    play_every_kind(records)
    start = MIDDLE - timedelta(days=90)
    series = capacity_series(
        records, ORG, "team", "A", start=start, end=MIDDLE + timedelta(days=60)
    )
    assert len(series.points) == 5
    assert [p.as_of.month for p in series.points] == [
        (start.month + i - 1) % 12 + 1 for i in range(5)
    ]
    for point in series.points:
        single = capacity(records, ORG, "team", "A", as_of=point.as_of)
        assert point.same_scores(single)


# ---------------------------------------------------------------------- errors


def test_typed_errors(memory_records: LearningRecords) -> None:
    """Bad level, missing or superfluous key, naive datetimes, unknown names: typed errors."""
    records = memory_records
    setup(records)
    naive = datetime(2026, 1, 1)
    with pytest.raises(err.InvalidValueError, match="level 'department'"):
        capacity(records, ORG, "department", "A")  # type: ignore[arg-type]
    with pytest.raises(err.EmptyKeyError, match="person key"):
        capacity(records, ORG, "person")
    with pytest.raises(err.InvalidValueError, match="takes no key"):
        capacity(records, ORG, "organisation", "A")
    with pytest.raises(err.NaiveDatetimeError, match="as_of"):
        capacity(records, ORG, "person", "E1", as_of=naive)
    with pytest.raises(err.NaiveDatetimeError, match="known_at"):
        capacity(records, ORG, "person", "E1", known_at=naive)
    with pytest.raises(err.UnknownOrganisationError):
        capacity(records, "elders", "organisation")
    with pytest.raises(err.UnknownPersonError, match="'E99'"):
        capacity(records, ORG, "person", "E99")
    with pytest.raises(err.UnknownTeamError, match="'Z'"):
        capacity(records, ORG, "team", "Z")
    with pytest.raises(err.InvalidValueError, match="every 'fortnight'"):
        capacity_series(records, ORG, "team", "A", start=AS_OF, end=AS_OF, every="fortnight")  # type: ignore[arg-type]
    assert capacity(records, ORG, "person", PERSONS[3], as_of=datetime.now(UTC)).score is None
