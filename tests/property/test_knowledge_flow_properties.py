"""Properties of the knowledge-flow graphs over random histories (Hypothesis).

Each example is a small organisation built straight from events (``build_history``, no store):
up to seven persons in up to three teams, joining, leaving and moving at random moments, and a
random mix of flow events (shares with persons, teams and everyone; advice; intervision and case
consultations with or without a case owner; activities applying practices), some retracted,
spread over two years around the evaluation moment. The expected values are computed here from
the events with plain loops, independently of the projection's own bookkeeping.
"""

# Graphs are named G (persons) and T (teams), as in networkx.
# ruff: noqa: N803, N806

from __future__ import annotations

import math
import tempfile
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from uuid import UUID

import networkx as nx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from learningorg.application import HistoryEntry
from learningorg.domain import events as ev
from learningorg.projections.history import History, build_history
from learningorg.projections.knowledge_flow import (
    build_person_graph,
    build_team_graph,
    communities,
    cross_team_share,
    fragile_ties,
    undirected_flow,
)
from learningorg.projections.knowledge_flow.exports import (
    node_link,
    write_gexf,
    write_graphml,
)

SETTINGS = settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
ORG = "org"
T = datetime(2025, 6, 1, tzinfo=UTC)
ORIGIN = T - timedelta(days=500)
HALF_LIFE = 180.0
WINDOW = 365.0
ORG_ID = UUID(int=1 << 100)
PERSONS = [UUID(int=1000 + i) for i in range(7)]
TEAMS = [UUID(int=2000 + i) for i in range(3)]

#: Moments from 480 days before T to 20 days after, in whole hours (so boundaries are hit).
moments = st.integers(min_value=-480 * 24, max_value=20 * 24).map(lambda h: T + timedelta(hours=h))


@dataclass
class Org:
    """A random organisation: membership periods and the events, in recording order."""

    persons: list[UUID]
    teams: list[UUID]
    #: (team, person, start, end or None)
    periods: list[tuple[UUID, UUID, datetime, datetime | None]]
    events: list[ev.LearningEvent] = field(default_factory=list)

    def members(self, team: UUID, moment: datetime) -> set[UUID]:
        return {
            person
            for t, person, start, end in self.periods
            if t == team and start <= moment and (end is None or moment < end)
        }

    def team_of(self, person: UUID, moment: datetime) -> UUID | None:
        """The main team: every period has FTE 1, so the earliest start, then the team id."""
        found = sorted(
            (start, str(team), team)
            for team, p, start, end in self.periods
            if p == person and start <= moment and (end is None or moment < end)
        )
        return found[0][2] if found else None

    def history(self, keep: Any = None) -> History:
        entries = []
        for position, event in enumerate(self.setup() + self.events, start=1):
            if keep is None or keep(event):
                entries.append(HistoryEntry(position, event))
        return build_history(ORG, entries)

    def setup(self) -> list[ev.LearningEvent]:
        made: list[ev.LearningEvent] = [
            make(ev.OrganisationRegistered, ORG_ID, ORIGIN, key=ORG, name=ORG)
        ]
        made += [
            make(ev.TeamRegistered, team, ORIGIN, key=f"T{i}", name=f"Team {i}")
            for i, team in enumerate(self.teams)
        ]
        made += [
            make(ev.PersonRegistered, person, ORIGIN, key=f"P{i}")
            for i, person in enumerate(self.persons)
        ]
        for team, person, start, end in self.periods:
            made.append(make(ev.MemberJoined, team, start, person=person))
            if end is not None:
                made.append(make(ev.MemberLeft, team, end, person=person))
        return made


_counter = iter(range(1, 1 << 60))


def make(cls: type[ev.LearningEvent], stream: UUID, at: datetime, **fields: Any) -> Any:
    """A validated event with a fresh event id."""
    return cls(
        originator_id=stream,
        originator_version=1,
        event_id=UUID(int=next(_counter)),
        organisation=ORG,
        occurred_at=at,
        recorded_at=at,
        **fields,
    )


@st.composite
def organisations(draw: st.DrawFn) -> Org:
    """A random organisation with membership and flow events."""
    persons = PERSONS[: draw(st.integers(2, len(PERSONS)))]
    teams = TEAMS[: draw(st.integers(1, len(TEAMS)))]
    periods: list[tuple[UUID, UUID, datetime, datetime | None]] = []
    for person in persons:
        if draw(st.booleans()) or len(periods) < 2:
            team = draw(st.sampled_from(teams))
            start = draw(moments)
            end = draw(st.none() | moments.filter(lambda m, s=start: m > s))
            periods.append((team, person, start, end))
            others = [t for t in teams if t != team]
            if end is not None and others and draw(st.booleans()):
                # a move to another team at the moment of leaving (leaving and rejoining the
                # same team at one moment is left to the membership rules of the domain)
                periods.append((draw(st.sampled_from(others)), person, end, None))
    org = Org(persons, teams, periods)
    practices: list[str] = []
    for _ in range(draw(st.integers(1, 14))):
        at = draw(moments)
        kind = draw(st.sampled_from(["share", "advice", "intervision", "consult", "practice"]))
        me = draw(st.sampled_from(persons))
        if kind == "share":
            to_persons = tuple(draw(st.lists(st.sampled_from(persons), max_size=3)))
            to_teams = tuple(draw(st.lists(st.sampled_from(teams), max_size=2)))
            everyone = draw(st.booleans()) or not (to_persons or to_teams)
            org.events.append(
                make(
                    ev.KnowledgeShared,
                    me,
                    at,
                    to_persons=to_persons,
                    to_teams=to_teams,
                    organisation_wide=everyone,
                )
            )
        elif kind == "advice":
            if draw(st.booleans()):
                adviser = draw(st.sampled_from(persons))
                org.events.append(make(ev.AdviceSought, me, at, from_person=adviser))
            else:
                org.events.append(make(ev.AdviceSought, me, at, external_source="website"))
        elif kind in ("intervision", "consult"):
            people = tuple(draw(st.lists(st.sampled_from(persons), min_size=2, max_size=5)))
            owner = draw(st.none() | st.sampled_from(persons))
            cls = ev.IntervisionHeld if kind == "intervision" else ev.CaseConsultationHeld
            team = draw(st.sampled_from(teams))
            org.events.append(
                make(cls, team, at, participants=people, minutes=60, case_owner=owner)
            )
        else:
            if not practices or draw(st.booleans()):
                practice = f"practice-{len(practices)}"
                practices.append(practice)
                authors = tuple(draw(st.lists(st.sampled_from(persons), min_size=1, max_size=3)))
                org.events.append(
                    make(
                        ev.PracticeInstitutionalised,
                        ORG_ID,
                        draw(moments),
                        practice_id=practice,
                        name=practice,
                        kind="method",
                        authors=authors,
                    )
                )
            org.events.append(
                make(
                    ev.LearningActivityCompleted,
                    me,
                    at,
                    mode="informal",
                    practice_id=draw(st.sampled_from(practices)),
                )
            )
    for event in list(org.events):
        if draw(st.integers(0, 9)) == 0:
            org.events.append(
                make(ev.EventRetracted, event.originator_id, T, retracted_event_id=event.event_id)
            )
    return org


def edges(G: nx.DiGraph) -> dict[tuple[Any, Any], dict[str, Any]]:
    """The edges with their attributes, as a dict (equal graphs, whatever the order)."""
    return {(u, v): data for u, v, data in G.edges(data=True)}


def vars_of(totals: Any) -> dict[str, Any]:
    return {
        name: getattr(totals, name) for name in ("weight", "count", "channels", "first", "last")
    }


def same(a: dict[Any, dict[str, Any]], b: dict[Any, dict[str, Any]]) -> bool:
    """Equal keys and attributes; floats equal up to rounding (sums may run in another order)."""
    if a.keys() != b.keys():
        return False
    for key, left in a.items():
        right = b[key]
        if left.keys() != right.keys():
            return False
        for name, value in left.items():
            if isinstance(value, float) and not isinstance(value, bool):
                if not math.isclose(value, right[name], rel_tol=1e-12, abs_tol=1e-15):
                    return False
            elif value != right[name]:
                return False
    return True


def decayed(at: datetime, t: datetime = T, window: float | None = WINDOW) -> float:
    """``2^(-(t - t_e)/h)`` when ``0 <= t - t_e <= W``, else 0 (DESIGN.md section 5)."""
    age = (t - at).total_seconds() / 86_400
    if age < 0 or (window is not None and age > window):
        return 0.0
    return 2 ** (-age / HALF_LIFE)


def amount(org: Org, event: ev.LearningEvent, t: datetime = T) -> float:
    """The undecayed flow an event carries in total, from the rules of DESIGN.md section 6."""
    at = event.occurred_at
    if isinstance(event, ev.KnowledgeShared):
        me = event.originator_id
        total = float(len(set(event.to_persons) - {me}))
        for team in set(event.to_teams):
            total += 1.0 if org.members(team, at) - {me} else 0.0
        if event.organisation_wide:
            everyone = set().union(*(org.members(team, at) for team in org.teams))
            total += 1.0 if everyone - {me} else 0.0
        return total
    if isinstance(event, ev.AdviceSought):
        adviser = event.from_person
        return 1.0 if adviser is not None and adviser != event.originator_id else 0.0
    if isinstance(event, ev.IntervisionHeld | ev.CaseConsultationHeld):
        people = set(event.participants)
        n = len(people)
        total = float(n) if n > 1 else 0.0
        owner = event.case_owner
        if owner is not None:
            total += n - 1 if owner in people else n
        return total
    if isinstance(event, ev.LearningActivityCompleted) and event.practice_id:
        for practice in org.events:
            if (
                isinstance(practice, ev.PracticeInstitutionalised)
                and practice.practice_id == event.practice_id
                and practice.occurred_at <= t
                and practice.event_id not in retracted(org)
            ):
                return float(len(set(practice.authors) - {event.originator_id}))
    return 0.0


def retracted(org: Org) -> set[UUID]:
    return {e.retracted_event_id for e in org.events if isinstance(e, ev.EventRetracted)}


def live(org: Org) -> list[ev.LearningEvent]:
    gone = retracted(org)
    return [
        e for e in org.events if e.event_id not in gone and not isinstance(e, ev.EventRetracted)
    ]


@SETTINGS
@given(organisations())
def test_total_edge_weight_is_the_sum_of_the_events_decayed_weights(org: Org) -> None:
    """Sum of edge weights = sum over live events of 2^(-(t - t_e)/h) x the flow they carry.

    Retracted events carry nothing; the cross-team, internal and unassigned parts of the team
    graph add up to the same total.
    """
    G = build_person_graph(org.history(), as_of=T)
    expected = sum(decayed(e.occurred_at) * amount(org, e) for e in live(org))
    assert G.size(weight="weight") == pytest.approx(expected, rel=1e-9, abs=1e-12)
    for _, _, data in G.edges(data=True):
        assert data["weight"] > 0
        assert data["distance"] == pytest.approx(1 / data["weight"])
        assert data["first_at"] <= data["last_at"] <= T
        assert 0 <= data["cross_team_weight"] <= data["weight"] * (1 + 1e-12)
        assert data["cross_team"] == (data["cross_team_weight"] > 0)
    teams = build_team_graph(G)
    parts = (
        teams.size(weight="weight")
        + sum(w for _, w in teams.nodes(data="internal_weight"))
        + teams.graph["unassigned_weight"]
    )
    assert parts == pytest.approx(expected, rel=1e-9, abs=1e-12)


@SETTINGS
@given(organisations())
def test_team_graph_inter_team_weight_equals_person_graph_cross_team_weight(org: Org) -> None:
    """Edges of the team graph sum to the person graph's cross-team weight; and every edge's
    weight and cross-team part equal a reference model that walks the contributions one by one
    with the teams at each event's time (computed here from the membership periods).
    """
    history = org.history()
    G = build_person_graph(history, as_of=T)
    teams = build_team_graph(history, as_of=T)
    crossing = sum(w for _, _, w in G.edges(data="cross_team_weight"))
    assert teams.size(weight="weight") == pytest.approx(crossing, rel=1e-9, abs=1e-12)
    person_share, team_share = cross_team_share(G), cross_team_share(teams)
    if person_share is None or team_share is None:
        assert person_share is team_share is None
    else:
        assert person_share == pytest.approx(team_share, rel=1e-9, abs=1e-12)
    expected = reference(org)
    assert set(edges(G)) == set(expected)
    for (u, v), data in edges(G).items():
        weight, crossing = expected[(u, v)]
        assert data["weight"] == pytest.approx(weight, rel=1e-9)
        assert data["cross_team_weight"] == pytest.approx(crossing, rel=1e-9, abs=1e-12)


def reference(org: Org, t: datetime = T) -> dict[tuple[str, str], tuple[float, float]]:
    """Per (source, recipient): decayed weight and its cross-team part, one contribution at a
    time, straight from the rules of DESIGN.md section 6 (a reference model, no shortcuts).
    """
    found: dict[tuple[str, str], list[float]] = {}

    def give(source: UUID, target: UUID, amount: float, at: datetime) -> None:
        if source == target or amount == 0:
            return
        w = decayed(at, t) * amount
        if w == 0:
            return
        a, b = org.team_of(source, at), org.team_of(target, at)
        entry = found.setdefault((str(source), str(target)), [0.0, 0.0])
        entry[0] += w
        entry[1] += w if a is not None and b is not None and a != b else 0.0

    for event in live(org):
        at = event.occurred_at
        if isinstance(event, ev.KnowledgeShared):
            me = event.originator_id
            for person in set(event.to_persons):
                give(me, person, 1.0, at)
            groups = [org.members(team, at) for team in set(event.to_teams)]
            if event.organisation_wide:
                groups.append(set().union(*(org.members(team, at) for team in org.teams)))
            for group in groups:
                others = group - {me}
                for person in others:
                    give(me, person, 1 / len(others), at)
        elif isinstance(event, ev.AdviceSought) and event.from_person is not None:
            give(event.from_person, event.originator_id, 1.0, at)
        elif isinstance(event, ev.IntervisionHeld | ev.CaseConsultationHeld):
            people = set(event.participants)
            for a in people:
                for b in people - {a}:
                    give(a, b, 1 / (len(people) - 1), at)
                if event.case_owner is not None:
                    give(a, event.case_owner, 1.0, at)
        elif isinstance(event, ev.LearningActivityCompleted) and event.practice_id:
            for practice in live(org):
                if (
                    isinstance(practice, ev.PracticeInstitutionalised)
                    and practice.practice_id == event.practice_id
                    and practice.occurred_at <= t
                ):
                    for author in set(practice.authors):
                        give(author, event.originator_id, 1.0, at)
                    break
    return {pair: (w, crossing) for pair, (w, crossing) in found.items()}


@SETTINGS
@given(organisations(), moments, moments)
def test_a_window_equals_the_graph_of_only_its_events(
    org: Org, first: datetime, second: datetime
) -> None:
    """The graph for [since, until] equals the graph of a history holding only the flow events
    that occurred in [since, until] (membership, registrations and practices all kept).
    """
    since, until = min(first, second), max(first, second)
    history = org.history()
    windowed = build_person_graph(history, as_of=T, since=since, until=until)

    def kept(event: ev.LearningEvent) -> bool:
        flow = isinstance(
            event,
            ev.KnowledgeShared
            | ev.AdviceSought
            | ev.IntervisionHeld
            | ev.CaseConsultationHeld
            | ev.LearningActivityCompleted,
        )
        return not flow or since <= event.occurred_at <= until

    only = build_person_graph(org.history(kept), as_of=T)
    assert dict(windowed.nodes(data=True)) == dict(only.nodes(data=True))
    assert same(edges(windowed), edges(only))
    assert same(
        {pair: vars_of(totals) for pair, totals in (windowed.team_flow or {}).items()},
        {pair: vars_of(totals) for pair, totals in (only.team_flow or {}).items()},
    )


@SETTINGS
@given(organisations())
def test_a_retracted_event_counts_as_never_recorded(org: Org) -> None:
    """The graph with retractions equals the graph of the history without the retracted events
    and without the retractions.
    """
    gone = retracted(org)
    with_retractions = build_person_graph(org.history(), as_of=T, window_days=None)
    without = build_person_graph(
        org.history(lambda e: e.event_id not in gone and not isinstance(e, ev.EventRetracted)),
        as_of=T,
        window_days=None,
    )
    assert same(edges(with_retractions), edges(without))


@settings(SETTINGS, max_examples=15)
@given(organisations())
def test_exports_read_back_with_the_same_nodes_edges_and_weights(org: Org) -> None:
    """GraphML and GEXF read back by networkx, and node-link data, give the same nodes, edges
    and weights; datetimes come back as ISO strings.
    """
    G = build_person_graph(org.history(), as_of=T)
    with tempfile.TemporaryDirectory() as scratch:
        check_exports(G, Path(scratch))


def check_exports(G: nx.DiGraph, folder: Path) -> None:
    """Write G in every format to ``folder`` and compare what networkx reads back."""
    write_graphml(G, folder / "flow.graphml")
    write_gexf(G, folder / "flow.gexf")
    graphml = nx.read_graphml(folder / "flow.graphml")
    gexf = nx.read_gexf(folder / "flow.gexf")
    link = nx.node_link_graph(node_link(G), edges="edges")
    for read in (graphml, gexf, link):
        assert set(read.nodes) == set(G.nodes)
        assert set(read.edges) == set(G.edges)
        for u, v, weight in G.edges(data="weight"):
            assert read[u][v]["weight"] == pytest.approx(weight, rel=1e-12)
    for u, v, data in G.edges(data=True):
        assert graphml[u][v]["first_at"] == data["first_at"].isoformat()
        assert graphml[u][v]["count"] == data["count"]
        assert graphml[u][v]["cross_team"] is data["cross_team"]
    for node, data in G.nodes(data=True):
        assert graphml.nodes[node].get("team") == data.get("team")
    assert graphml.graph["as_of"] == T.isoformat()
    assert Path(folder / "flow.graphml").read_text(encoding="utf-8").count("<node ") == len(G)


def random_weighted(seed: int, n: int, p: float) -> nx.DiGraph:
    G = nx.gnp_random_graph(n, p, seed=seed, directed=True)
    for u, v, data in G.edges(data=True):
        data["weight"] = 0.25 + ((u * 31 + v * 17 + seed) % 13) / 4
    return G


@settings(max_examples=30, deadline=None)
@given(st.integers(0, 10_000), st.integers(2, 60), st.sampled_from([0.02, 0.06, 0.15, 0.4]))
def test_fragile_ties_and_communities_agree_with_networkx(seed: int, n: int, p: float) -> None:
    """Own bridge search and Louvain give networkx's bridges, articulation points and
    communities (``louvain_communities`` on the summed undirected copy, same seed).
    """
    G = random_weighted(seed, n, p)
    U = undirected_flow(G)
    found = fragile_ties(G)
    assert {frozenset(e[:2]) for e in found["bridges"]} == {frozenset(e) for e in nx.bridges(U)}
    assert set(found["articulation_points"]) == set(nx.articulation_points(U))
    for a, b, weight in found["bridges"]:
        assert weight == pytest.approx(U[a][b]["weight"])
    mine = communities(G, seed=seed)["communities"]
    theirs = nx.community.louvain_communities(U, weight="weight", seed=seed)
    assert sorted(map(sorted, mine)) == sorted(sorted(c) for c in theirs)
    assert math.isclose(sum(len(c) for c in mine), G.number_of_nodes())  # a partition of all nodes
