"""Flow graphs streamed from the store (``StoredHistory``) equal those of the in-memory history.

``graph_for`` and the capacity flow sub-scores no longer hold an organisation's events: they read
the structure (teams, membership, persons, practices, retractions) and stream the flow events
through the fold. These tests hold them to the in-memory path exactly (same edges in the same
order, same floats to the last bit) on the first-schema fixture store and on random histories
recorded through the public API, and check that the memory of a streamed graph does not grow
with the number of events.
"""

# Graphs are named G (persons) and T (teams), as in networkx.
# ruff: noqa: N803, N806

from __future__ import annotations

import json
import shutil
import tracemalloc
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from uuid import UUID

import networkx as nx
import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from learningorg import LearningRecords
from learningorg.domain import events as ev
from learningorg.errors import LearningOrgError
from learningorg.projections.history import KnownAt, load_history
from learningorg.projections.knowledge_flow import (
    StoredHistory,
    build_person_graph,
    build_team_graph,
    graph_for,
    knowledge_flow_report,
)
from learningorg.projections.knowledge_flow.source import FLOW_EVENTS

FIXTURE = Path(__file__).resolve().parents[1] / "fixtures" / "store-v1.sqlite"
ORG = "org"
START = datetime(2024, 1, 1, tzinfo=UTC)
PERSONS = [f"P{i}" for i in range(6)]
TEAMS = ["A", "B", "C"]


def exactly(G: nx.DiGraph) -> tuple[Any, ...]:
    """Everything in a graph, in its own order, floats as they are."""
    return (
        list(G.nodes(data=True)),
        list(G.edges(data=True)),
        dict(G.graph),
        getattr(G, "team_flow", None),
        getattr(G, "team_nodes", None),
    )


def assert_same_graphs(
    records: LearningRecords,
    organisation: str,
    known_at: KnownAt,
    **window: Any,
) -> None:
    """The person and team graphs of both histories are identical."""
    loaded = load_history(records, organisation, known_at)
    streamed = StoredHistory.read(records, organisation, known_at)
    G, S = build_person_graph(loaded, **window), build_person_graph(streamed, **window)
    assert exactly(G) == exactly(S)
    T, U = build_team_graph(loaded, **window), build_team_graph(streamed, **window)
    assert exactly(T) == exactly(U)
    assert exactly(build_team_graph(S)) == exactly(U)


@pytest.fixture
def old_store(tmp_path: Path) -> Iterator[LearningRecords]:
    """A copy of the first-schema fixture store, open."""
    copy = tmp_path / "store-v1.sqlite"
    shutil.copyfile(FIXTURE, copy)
    with LearningRecords(f"sqlite:///{copy}") as records:
        yield records


def test_the_fixture_store_gives_the_same_graphs(old_store: LearningRecords) -> None:
    """Every organisation of the fixture, at several moments, windows and known_at.

    The fixture holds every event class, retractions, memberships that change, practices and an
    erasure; the graphs are not empty.
    """
    records = old_store
    newest = records.max_position()
    assert newest > 500
    seen_edges = 0
    for organisation in records.organisations():
        history = load_history(records, organisation)
        times = sorted(entry.event.occurred_at for entry in history.entries)
        recorded = sorted(entry.event.recorded_at for entry in history.entries)
        middle, last = times[len(times) // 2], times[-1] + timedelta(days=1)
        for known_at in (None, newest // 2, newest // 3, recorded[len(recorded) // 2]):
            for window in (
                {"as_of": last},
                {"as_of": middle},
                {"as_of": last, "window_days": None, "half_life_days": 30.0},
                {"since": times[0] + timedelta(days=20), "until": middle},
            ):
                assert_same_graphs(records, organisation, known_at, **window)
        seen_edges += graph_for(records, organisation, as_of=last).number_of_edges()
        report = knowledge_flow_report(history, as_of=last)
        streamed = knowledge_flow_report(StoredHistory.read(records, organisation), as_of=last)
        assert json.dumps(report, default=str) == json.dumps(streamed, default=str)
    assert seen_edges > 0


#: One recorded command: (kind, person index, other index, team index, day).
commands = st.lists(
    st.tuples(
        st.sampled_from(
            [
                *("share", "share-team", "share-all", "advice", "intervision", "consult"),
                *("practice", "join", "leave", "reflect", "retract"),
            ]
        ),
        st.integers(0, len(PERSONS) - 1),
        st.integers(0, len(PERSONS) - 1),
        st.integers(0, len(TEAMS) - 1),
        st.integers(0, 500),
    ),
    min_size=1,
    max_size=30,
)


def run(records: LearningRecords, program: list[tuple[str, int, int, int, int]]) -> list[int]:
    """Record ``program`` (commands the domain refuses are skipped); the positions after each."""
    records.register_organisation(ORG, occurred_at=START)
    for team in TEAMS:
        records.register_team(ORG, team, occurred_at=START)
    for person in PERSONS:
        records.register_person(ORG, person, occurred_at=START)
    for i, person in enumerate(PERSONS):
        records.add_member(ORG, TEAMS[i % len(TEAMS)], person, occurred_at=START)
    recorded: list[UUID] = []
    positions = [records.max_position()]
    practices = 0
    for kind, me, other, team, day in program:
        at = START + timedelta(days=day)
        person, other_person, team_key = PERSONS[me], PERSONS[other], TEAMS[team]
        pair = [person, other_person] if me != other else [person, PERSONS[(me + 1) % 6]]
        try:
            if kind == "share":
                done = records.share_knowledge(ORG, person, to_persons=pair[1:], occurred_at=at)
            elif kind == "share-team":
                done = records.share_knowledge(ORG, person, to_teams=[team_key], occurred_at=at)
            elif kind == "share-all":
                done = records.share_knowledge(ORG, person, organisation_wide=True, occurred_at=at)
            elif kind == "advice":
                done = records.seek_advice(ORG, person, from_person=pair[1], occurred_at=at)
            elif kind in ("intervision", "consult"):
                people = [*pair, PERSONS[(other + 2) % 6]]
                if kind == "intervision":
                    done = records.hold_intervision(
                        ORG, team_key, participants=people, minutes=60, occurred_at=at
                    )
                else:
                    done = records.hold_case_consultation(
                        ORG, team_key, participants=people, minutes=60,
                        case_owner=pair[1], occurred_at=at,
                    )  # fmt: skip
            elif kind == "practice":
                practices += 1
                practice = f"practice-{practices}"
                records.institutionalise_practice(
                    ORG, practice, practice, "method", authors=[pair[1]], occurred_at=at
                )
                done = records.complete_learning_activity(
                    ORG, person, mode="informal", practice_id=practice, occurred_at=at
                )
            elif kind == "join":
                done = records.add_member(ORG, team_key, person, occurred_at=at)
            elif kind == "leave":
                done = records.remove_member(ORG, team_key, person, occurred_at=at)
            elif kind == "reflect":
                done = records.log_reflection(ORG, person, minutes=30, occurred_at=at)
            else:
                if not recorded:
                    continue
                target = recorded[(me * 7 + other) % len(recorded)]
                done = records.retract(ORG, target, "a correction")
        except LearningOrgError:
            continue
        if done.event_id is not None:
            recorded.append(done.event_id)
        positions.append(records.max_position())
    return positions


@settings(
    max_examples=20,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
    phases=[Phase.explicit, Phase.reuse, Phase.generate, Phase.shrink],
)
@given(commands, st.integers(0, 520), st.integers(0, 100), st.integers(0, 100))
def test_random_histories_give_the_same_graphs(
    program: list[tuple[str, int, int, int, int]], as_of_day: int, cut: int, since_day: int
) -> None:
    """Random commands through the public API, then graphs at a moment, a window, a known_at."""
    with LearningRecords("memory://") as records:
        positions = run(records, program)
        as_of = START + timedelta(days=as_of_day)
        known = positions[cut * (len(positions) - 1) // 100]
        assert_same_graphs(records, ORG, None, as_of=as_of)
        assert_same_graphs(records, ORG, known, as_of=as_of)
        assert_same_graphs(
            records, ORG, None, since=START + timedelta(days=min(since_day, as_of_day)), until=as_of
        )
        assert_same_graphs(records, ORG, records.now(), as_of=as_of, window_days=None)


def test_the_structure_holds_no_flow_event_and_both_passes_stop_at_one_position() -> None:
    """What a StoredHistory keeps, and that events recorded after it was read do not count."""
    with LearningRecords("memory://") as records:
        run(records, [("share", 0, 1, 0, 10), ("advice", 2, 3, 0, 20), ("reflect", 1, 0, 0, 5)])
        streamed = StoredHistory.read(records, ORG)
        assert not any(isinstance(e.event, FLOW_EVENTS) for e in streamed.structure.entries)
        assert not any(type(e.event) is ev.ReflectionLogged for e in streamed.structure.entries)
        assert len(list(streamed.flow_entries())) == 2
        records.share_knowledge(ORG, "P4", to_persons=["P5"], occurred_at=START)
        assert len(list(streamed.flow_entries())) == 2
        assert len(list(StoredHistory.read(records, ORG).flow_entries())) == 3


def _peak(build: Any) -> int:
    tracemalloc.start()
    try:
        build()
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def test_the_memory_of_a_streamed_graph_does_not_grow_with_the_events() -> None:
    """Four times the flow events among the same people: the streamed graph's peak stays put.

    The in-memory history beside it grows with the events (what the streamed path avoids), which
    shows the measure can see growth.
    """
    peaks: dict[int, tuple[int, int]] = {}
    for events in (1_500, 6_000):
        with LearningRecords("memory://") as records:
            run(records, [])
            for n in range(events):
                records.share_knowledge(
                    ORG, PERSONS[n % 6], to_persons=[PERSONS[(n + 1) % 6]],
                    occurred_at=START + timedelta(hours=n),
                )  # fmt: skip
            as_of = START + timedelta(days=400)
            streamed = _peak(lambda r=records, t=as_of: graph_for(r, ORG, as_of=t))
            loaded = _peak(
                lambda r=records, t=as_of: build_person_graph(load_history(r, ORG), as_of=t)
            )
            peaks[events] = (streamed, loaded)
    (small_streamed, small_loaded), (large_streamed, large_loaded) = peaks[1_500], peaks[6_000]
    assert large_loaded > 2.5 * small_loaded
    assert large_streamed - small_streamed < (large_loaded - small_loaded) / 20
