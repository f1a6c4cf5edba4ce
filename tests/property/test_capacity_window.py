"""The capacity queries read only the facts that can matter at ``as_of``, and lose nothing by it.

``capacity`` and ``capacity_series`` cut the facts they parse to what ``scoring.lookbacks`` says
a moment can read (plus a team's first fact and the sessions reflections refer to). These
properties compare, on random histories, the cut result with the result of every fact of the
level (``cut=False``) and with the live projection of the whole history, at every level, for
random ``as_of``, ``known_at`` and model windows. The histories reach before the registrations
(a team's first fact before it was registered), have goals set long before, experiments
overdue, climate measured long ago, retractions of any earlier event and references to
sessions of any age.
"""

from __future__ import annotations

import math
from datetime import datetime, timedelta
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from tests.capacity_strategies import (
    BASE,
    ORG,
    PERSONS,
    SPAN_DAYS,
    TEAMS,
    Action,
    actions_at,
    apply,
    setup,
)

from learningorg import LearningRecords
from learningorg.domain import events as ev
from learningorg.projections.capacity import (
    CapacityModel,
    CapacityResult,
    capacity,
    capacity_profile,
    capacity_series,
)
from learningorg.projections.capacity.facts import FACT_FIELDS, is_person_fact, kind_of
from learningorg.projections.capacity.scoring import WHOLE_HISTORY_KINDS, lookbacks
from learningorg.projections.history import load_history
from learningorg.projections.views import capacity_view

SETTINGS = settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
PERSON_KINDS = {kind_of(cls) for cls in FACT_FIELDS if is_person_fact(cls.TOPIC)}
#: A window whose 8-week slots reach back before the cast was registered (see the last test).
WIDE = CapacityModel(window_days=200)
#: From well before the cast was registered (BASE - 30 days) to the end of the histories.
EARLY_DAYS = 400
wide_moments = st.builds(
    lambda d, h: BASE + timedelta(days=d, hours=h),
    st.integers(-EARLY_DAYS, SPAN_DAYS),
    st.integers(0, 23),
)
histories = st.lists(actions_at(wide_moments), min_size=3, max_size=40)
#: Events ``setup`` stores: the organisation, two values, two teams, four persons, three joins.
CAST = 12
#: Evaluation moments anywhere from before the first fact to long after the last.
as_ofs = st.builds(
    lambda d, h: BASE + timedelta(days=d, hours=h),
    st.integers(-EARLY_DAYS - 30, SPAN_DAYS + 500),
    st.integers(0, 23),
)
#: Or a moment that puts a stored event at (or a few hours off) the lower edge of the window, or
#: at (or near) the moment itself: an index into what was stored, hours off, which edge.
edges = st.tuples(st.integers(0, 10_000), st.integers(-48, 48), st.booleans())
models = st.builds(
    lambda window, half_life, revisit, review: CapacityModel(
        window_days=window,
        half_life_days=half_life,
        value_revisit_days=revisit,
        goal_review_days=review,
    ),
    st.sampled_from([20.0, 90.0, 365.0]),
    st.sampled_from([30.0, 180.0]),
    st.sampled_from([10.0, 200.0, 730.0]),
    st.sampled_from([15.0, 180.0]),
)
#: None (everything), a stored position, or the recording time of a stored event, each picked
#: by an index into what was stored.
known_ats = st.one_of(
    st.none(),
    st.tuples(st.just("position"), st.integers(0, 10_000)),
    st.tuples(st.just("recorded"), st.integers(0, 10_000)),
)


def _known_at(records: LearningRecords, drawn: Any) -> datetime | int | None:
    if drawn is None:
        return None
    entries = load_history(records, ORG).entries
    how, pick = drawn
    entry = entries[pick % len(entries)]
    return entry.position if how == "position" else entry.event.recorded_at


def _as_of(records: LearningRecords, drawn: Any, model: CapacityModel) -> datetime:
    if isinstance(drawn, datetime):
        return drawn
    pick, hours, lower = drawn
    entries = load_history(records, ORG).entries
    entries = entries[CAST:] or entries  # an event of the history rather than of the cast
    at = entries[pick % len(entries)].event.occurred_at
    window = timedelta(days=model.window_days) if lower else timedelta(0)
    return at + window + timedelta(hours=hours)


def _play(records: LearningRecords, steps: list[Action]) -> None:
    recorded = setup(records)
    for step in steps:
        apply(records, step, recorded)


def _entities(records: LearningRecords) -> list[tuple[Any, str | None, Any]]:
    return [
        *(("person", p, records.person_id(ORG, p)) for p in PERSONS),
        *(("team", t, records.team_id(ORG, t)) for t in TEAMS),
        ("organisation", None, None),
    ]


def _differs(cut: CapacityResult, other: CapacityResult) -> str:
    return f"{cut.level} {cut.key}: {cut.model_dump()} != {other.model_dump()}"


def test_every_fact_kind_has_a_lookback_or_is_read_whole() -> None:
    """The table names every kind of fact exactly once, with a lookback of at least the window."""
    model = CapacityModel(window_days=100, value_revisit_days=30)
    table = lookbacks(model)
    kinds = {kind_of(cls) for cls in FACT_FIELDS}
    assert set(table) | WHOLE_HISTORY_KINDS == kinds
    assert not set(table) & WHOLE_HISTORY_KINDS
    assert all(back >= 100 * 86_400.0 for back in table.values())
    assert table[kind_of(ev.DevelopmentGoalSet)] == math.inf
    assert table[kind_of(ev.ReflectionLogged)] == 100 * 86_400.0


@SETTINGS
@given(histories, as_ofs | edges, known_ats, models)
def test_the_cut_gives_what_every_fact_gives(
    steps: list[Action], moment: Any, drawn: Any, model: CapacityModel
) -> None:
    """At every level, the cut query equals the query of every fact and the live projection."""
    with LearningRecords("memory://") as records:
        _play(records, steps)
        as_of = _as_of(records, moment, model)
        known_at = _known_at(records, drawn)
        history = load_history(records, ORG, known_at)
        for level, key, entity_id in _entities(records):
            asked = {"as_of": as_of, "known_at": known_at, "model": model}
            cut = capacity(records, ORG, level, key, **asked)
            whole = capacity(records, ORG, level, key, cut=False, **asked)
            live = capacity_profile(history, level, entity_id, as_of, model)
            assert cut.same_scores(whole), _differs(cut, whole)
            assert cut.same_scores(live), _differs(cut, live)


@settings(SETTINGS, max_examples=15)
@given(
    histories,
    as_ofs,
    st.sampled_from([timedelta(days=45), "quarter"]),
    st.sampled_from([None, "A"]),
    models,
)
def test_a_cut_series_gives_what_every_fact_gives(
    steps: list[Action], start: datetime, every: Any, team: str | None, model: CapacityModel
) -> None:
    """A series reads what any of its moments can read: each point as without the cut."""
    with LearningRecords("memory://") as records:
        _play(records, steps)
        level = "organisation" if team is None else "team"
        asked = {"start": start, "end": start + timedelta(days=300), "every": every}
        cut = capacity_series(records, ORG, level, team, model=model, **asked)
        whole = capacity_series(records, ORG, level, team, model=model, cut=False, **asked)
        assert len(cut.points) == len(whole.points) > 0
        for a, b in zip(cut.points, whole.points, strict=True):
            assert a.same_scores(b), _differs(a, b)


def test_old_sessions_goals_climate_and_a_first_fact_before_registration() -> None:
    """The reads that reach past the window, in one history: a reflection in the window that
    refers to a session long before it, a goal set long before and reviewed lately, a climate
    measured long ago, an experiment started long ago and overdue, and a team whose first fact
    is long before its registration and the window."""
    with LearningRecords("memory://") as records:
        setup(records)
        long_ago = BASE - timedelta(days=300)
        records.hold_intervision(
            ORG, "A", participants=["E1", "E2"], minutes=60, occurred_at=long_ago
        )
        session = load_history(records, ORG).entries[-1].event.event_id
        as_of = BASE + timedelta(days=400)
        records.log_reflection(
            ORG,
            "E1",
            minutes=60,
            form="intervision",
            refs=[session],
            occurred_at=as_of - timedelta(days=5),
        )
        records.set_development_goal(ORG, "E2", "g1", values=["samen"], occurred_at=long_ago)
        records.review_development_goal(
            ORG, "E2", "g1", progress=0.5, status="active", occurred_at=as_of - timedelta(days=3)
        )
        records.measure_learning_climate(
            ORG,
            instrument="DLOQ-21",
            n=8,
            dimension_means={"x": 4.0},
            scale=6,
            occurred_at=long_ago,
        )
        records.start_experiment(
            ORG,
            "B",
            "x1",
            review_by=(long_ago + timedelta(days=30)).date(),
            owners=["E3"],
            occurred_at=long_ago,
        )
        records.hold_intervision(
            ORG, "B", participants=["E3", "E4"], minutes=60, occurred_at=as_of - timedelta(days=9)
        )
        records.hold_intervision(
            ORG, "A", participants=["E1", "E2"], minutes=60, occurred_at=BASE + timedelta(days=20)
        )
        history = load_history(records, ORG)
        # Team A was registered 30 days before BASE; its first fact is 300 days before BASE.
        early = BASE + timedelta(days=30)
        for moment, model in ((as_of, CapacityModel(window_days=90)), (early, WIDE)):
            for level, key, entity_id in _entities(records):
                cut = capacity(records, ORG, level, key, as_of=moment, model=model)
                whole = capacity(records, ORG, level, key, as_of=moment, model=model, cut=False)
                live = capacity_profile(history, level, entity_id, moment, model)
                assert cut.same_scores(whole), _differs(cut, whole)
                assert cut.same_scores(live), _differs(cut, live)
        model = CapacityModel(window_days=90)
        # The session long ago takes E1's reflection in the window with it: no reflection.
        e1 = capacity(records, ORG, "person", "E1", as_of=as_of, model=model)
        assert e1.subscores["P1"].value is None
        e2 = capacity(records, ORG, "person", "E2", as_of=as_of, model=model)
        assert e2.subscores["P7"].value == 100.0
        # Every 8-week slot of team A's window counts: the team existed before all of them.
        a = capacity(records, ORG, "team", "A", as_of=early, model=WIDE)
        assert a.subscores["G2"].details["slots"] == 3.0


@settings(SETTINGS, max_examples=15)
@given(histories, st.integers(1, 3))
def test_segments_read_a_page_at_a_time_give_every_record(steps: list[Action], page: int) -> None:
    """Read in pages of one to three segments, the view gives the records of one read."""
    with LearningRecords("memory://") as records:
        _play(records, steps)
        view = capacity_view(records)
        view.catch_up()
        everything = view.records_of(ORG)
        view.segment_page = page
        try:
            assert view.records_of(ORG) == everything
            person = str(records.person_id(ORG, "E1"))
            assert view.records_of(ORG, persons=[person]) == [
                r for r in everything if r[1] == person or not _personal(r)
            ]
        finally:
            del view.segment_page


def _personal(item: tuple[str, str, Any]) -> bool:
    return item[2][1] in PERSON_KINDS
