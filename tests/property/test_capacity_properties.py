"""Properties of the capacity projection over random histories (Hypothesis).

Each example registers a small cast (four persons, two teams) in a fresh in-memory store and
plays a random sequence of commands (``tests.capacity_strategies``). Example counts stay modest:
every example replays through the catch-up view and the live projection.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from tests.capacity_strategies import (
    END,
    MIDDLE,
    ORG,
    PERSONS,
    TEAMS,
    Action,
    action,
    actions,
    apply,
    later_action,
    play,
    reflection,
    setup,
)

from learningorg import LearningRecords
from learningorg.projections.capacity import CapacityResult, capacity, capacity_profile
from learningorg.projections.history import load_history
from learningorg.projections.views import capacity_view

SETTINGS = settings(
    max_examples=20,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
ENTITIES: list[tuple[Any, str | None]] = [
    *(("person", p) for p in PERSONS),
    *(("team", t) for t in TEAMS),
    ("organisation", None),
]


def everything(records: LearningRecords, as_of: Any = END, **kwargs: Any) -> list[CapacityResult]:
    """Capacity of every person, team and the organisation."""
    return [capacity(records, ORG, level, key, as_of=as_of, **kwargs) for level, key in ENTITIES]


def same(a: list[CapacityResult], b: list[CapacityResult]) -> bool:
    return all(x.same_scores(y) for x, y in zip(a, b, strict=True))


@SETTINGS
@given(actions, st.sampled_from([MIDDLE, END, END + timedelta(days=400)]))
def test_every_score_is_within_0_and_100(steps: list[Action], as_of: Any) -> None:
    """Every score, bar and sub-score is None or within [0, 100]; coverage within [0, 1]; and
    the view gives what the live projection gives."""
    with LearningRecords("memory://") as records:
        play(records, steps)
        history = load_history(records, ORG)
        for result in everything(records, as_of):
            values = [result.score, *result.profile.model_dump().values()]
            values += [s.value for s in result.subscores.values()]
            assert all(v is None or 0 <= v <= 100 for v in values), result
            assert 0 <= result.coverage <= 1
            live = capacity_profile(history, result.level, result.entity_id, as_of)
            assert result.same_scores(live)


@SETTINGS
@given(actions, reflection)
def test_adding_a_reflection_never_lowers_p1(steps: list[Action], extra: Action) -> None:
    """One more reflection, of any form, time or reference, never lowers its person's P1."""
    with LearningRecords("memory://") as records:
        recorded = setup(records)
        for step in steps:
            apply(records, step, recorded)
        person = extra.args["person"]
        before = capacity(records, ORG, "person", person, as_of=END).subscores["P1"].value
        apply(records, extra, recorded)
        after = capacity(records, ORG, "person", person, as_of=END).subscores["P1"].value
        assert before is None or (after is not None and after >= before)


@SETTINGS
@given(actions, st.lists(later_action, min_size=1, max_size=8))
def test_events_after_as_of_never_change_a_result(steps: list[Action], later: list[Action]) -> None:
    """Whatever occurs after as_of (recorded before or after the query) changes nothing then."""
    with LearningRecords("memory://") as records:
        recorded = setup(records)
        for step in steps:
            apply(records, step, recorded)
        before = everything(records, MIDDLE)
        for step in later:
            apply(records, step, recorded)
        assert same(everything(records, MIDDLE), before)


@SETTINGS
@given(actions, action.filter(lambda a: a.name != "retract"))
def test_a_retraction_restores_the_result_from_before(steps: list[Action], last: Action) -> None:
    """Record one more fact, then retract it: every result is as before the fact."""
    with LearningRecords("memory://") as records:
        recorded = setup(records)
        for step in steps:
            apply(records, step, recorded)
        before = everything(records)
        if apply(records, last, recorded) is None:
            return  # refused or a repeat: nothing to retract
        records.retract(ORG, recorded[-1], reason="entered by mistake")
        assert same(everything(records), before)


@settings(SETTINGS, max_examples=12)
@given(actions)
def test_rebuild_equals_the_incremental_view_at_every_position(steps: list[Action]) -> None:
    """Kept current after every save, the view holds at each position what a rebuild holds when
    asked as known at that position; and so give the scores computed from it."""
    with LearningRecords("memory://") as records:
        recorded = setup(records)
        view = capacity_view(records)
        view.catch_up()
        snapshots = [(view.position, view.records_of(ORG), everything(records))]
        for step in steps:
            if apply(records, step, recorded) is not None:
                view.catch_up()
                snapshots.append((view.position, view.records_of(ORG), everything(records)))
        view.rebuild()
        for position, stored, scores in snapshots:
            assert view.records_of(ORG, known_at=position) == stored
            assert same(everything(records, known_at=position), scores)


@settings(SETTINGS, max_examples=12)
@given(actions)
def test_known_at_an_earlier_save_gives_the_result_computed_then(steps: list[Action]) -> None:
    """Asked with known_at = the position of an earlier save, the answer is the one given right
    after that save, however much was recorded (or retracted) since; the live projection of
    the history known then agrees."""
    with LearningRecords("memory://") as records:
        recorded = setup(records)
        then: list[tuple[int, list[CapacityResult]]] = []
        for step in steps:
            position = apply(records, step, recorded)
            if position is not None:
                then.append((position, everything(records)))
        for position, results in then:
            assert same(everything(records, known_at=position), results)
            history = load_history(records, ORG, position)
            organisation = capacity_profile(history, "organisation", None, END)
            assert organisation.same_scores(results[-1])
