"""Hand-computed cases of the knowledge-flow graphs and their analytics (DESIGN.md section 6)."""

# Graphs are named G (persons) and T (teams), as in networkx's own documentation.
# ruff: noqa: N806

from __future__ import annotations

import json
import math
import random
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import networkx as nx
import pytest

from learningorg import LearningRecords
from learningorg.domain.errors import InvalidValueError, NaiveDatetimeError
from learningorg.projections.history import History, load_history
from learningorg.projections.knowledge_flow import (
    betweenness_gini,
    boundary_share,
    broker_cross_team_share,
    brokers,
    build_person_graph,
    build_team_graph,
    communities,
    connectedness,
    cross_team_share,
    diff_snapshots,
    ei_index,
    flow_hierarchy,
    fragile_ties,
    fragmentation,
    gini,
    graph_for,
    internal_density,
    internal_reciprocity,
    knowledge_flow_report,
    modularity,
    partner_teams,
    reciprocity,
    silo_index,
    strength,
    structural_holes,
    team_flows,
    undirected_flow,
)
from learningorg.projections.knowledge_flow.exports import (
    PlotDependencyError,
    draw_png,
    export_ready,
    node_link,
)

ORG = "jeugdzorg-noord"
T0 = datetime(2025, 1, 1, tzinfo=UTC)
AT = datetime(2025, 6, 1, tzinfo=UTC)


class Org:
    """One organisation in a memory store, with helpers that record at a fixed moment."""

    def __init__(self, records: LearningRecords) -> None:
        self.r = records
        records.register_organisation(ORG, occurred_at=T0)

    def team(self, key: str, *persons: str, at: datetime = T0, **member: Any) -> None:
        """Register a team and its members (registering the persons first)."""
        self.r.register_team(ORG, key, occurred_at=at)
        for person in persons:
            self.person(person)
            self.r.add_member(ORG, key, person, occurred_at=at, **member)

    def person(self, key: str, name: str | None = None) -> None:
        """Register a person (once)."""
        self.r.register_person(ORG, key, name=name, occurred_at=T0)

    def id(self, key: str) -> str:
        """The node id of a person: their pseudonymous UUID as a string."""
        return str(self.r.person_id(ORG, key))

    def history(self) -> History:
        """The organisation's history as the store knows it now."""
        return load_history(self.r, ORG)

    def graph(self, **options: Any) -> nx.DiGraph:
        """The person graph at ``AT`` (unless ``options`` say otherwise)."""
        options.setdefault("as_of", AT)
        return build_person_graph(self.history(), **options)


@pytest.fixture
def org(memory_records: LearningRecords) -> Org:
    """An organisation without teams in a fresh memory store."""
    return Org(memory_records)


def star(org: Org) -> None:
    """Team S: a hub and four spokes; each spoke asks the hub's advice and shares back."""
    org.team("S", "hub", "s1", "s2", "s3", "s4")
    for spoke in ("s1", "s2", "s3", "s4"):
        org.r.seek_advice(ORG, spoke, from_person="hub", occurred_at=AT)
        org.r.share_knowledge(ORG, spoke, to_persons=["hub"], occurred_at=AT)


def two_silos(org: Org) -> None:
    """Teams A (a1, a2, a3, x) and B (b1, b2, b3) each hold an intervision; x joins both."""
    org.team("A", "a1", "a2", "a3", "x")
    org.team("B", "b1", "b2", "b3")
    org.r.hold_intervision(
        ORG, "A", participants=["a1", "a2", "a3", "x"], minutes=90, occurred_at=AT
    )
    org.r.hold_intervision(
        ORG, "B", participants=["b1", "b2", "b3", "x"], minutes=90, occurred_at=AT
    )


# ---------------------------------------------------------------- building the graph


def test_advice_runs_from_adviser_to_seeker_with_every_attribute(org: Org) -> None:
    """Advice is an edge adviser -> seeker; at t_e = t it weighs 2^0 = 1, count 1, distance 1/1.

    Ann (team A) advises Bob (team B) on 1 June, evaluated on 1 June: weight 1, first_at =
    last_at = 1 June, channels "advice", cross_team because A != B, cross_team_weight 1.
    """
    org.team("A", "ann")
    org.team("B", "bob")
    org.r.seek_advice(ORG, "bob", from_person="ann", occurred_at=AT)
    G = org.graph()
    edge = G[org.id("ann")][org.id("bob")]
    assert edge == {
        "weight": 1.0,
        "count": 1,
        "channels": "advice",
        "first_at": AT,
        "last_at": AT,
        "cross_team": True,
        "cross_team_weight": 1.0,
        "distance": 1.0,
    }
    assert not G.has_edge(org.id("bob"), org.id("ann"))
    assert G.graph["level"] == "person"
    assert G.graph["as_of"] == AT


def test_decay_halves_at_the_half_life_and_the_window_cuts_off(org: Org) -> None:
    """An event 180 days before t weighs 2^(-180/180) = 0.5; 366 days before, outside W = 365.

    Three advices from ann to bob: at t - 180 d (0.5), at t - 366 d (0, outside the window) and
    at t + 1 d (after t: never counts). Sum 0.5, count 1. Without a window (W = None) the old
    one counts 2^(-366/180) as well.
    """
    org.team("A", "ann", "bob", at=AT - timedelta(days=400))
    for days in (-180, -366, 1):
        org.r.seek_advice(ORG, "bob", from_person="ann", occurred_at=AT + timedelta(days=days))
    edge = org.graph()[org.id("ann")][org.id("bob")]
    assert edge["weight"] == pytest.approx(0.5)
    assert edge["count"] == 1
    unlimited = org.graph(window_days=None)[org.id("ann")][org.id("bob")]
    assert unlimited["weight"] == pytest.approx(0.5 + 2 ** (-366 / 180))
    assert unlimited["count"] == 2
    assert unlimited["first_at"] == AT - timedelta(days=366)


def test_a_team_share_spreads_one_quarter_over_four_members(org: Org) -> None:
    """A share with team T (sharer s plus m1..m4) gives each of the 4 others 1/4.

    The sharer is left out of n: n = 5 members - 1 = 4, so 1/4 each; the team graph keeps the
    total 4 x 1/4 = 1 as T's internal weight.
    """
    org.team("T", "s", "m1", "m2", "m3", "m4")
    org.r.share_knowledge(ORG, "s", to_teams=["T"], occurred_at=AT)
    G = org.graph()
    for member in ("m1", "m2", "m3", "m4"):
        edge = G[org.id("s")][org.id(member)]
        assert edge["weight"] == pytest.approx(0.25)
        assert edge["channels"] == "knowledge-shared"
        assert edge["cross_team"] is False
    assert G.out_degree(org.id("s")) == 4
    T = build_team_graph(G)
    assert T.nodes["T"]["internal_weight"] == pytest.approx(1.0)
    assert T.nodes["T"]["internal_count"] == 4
    assert T.number_of_edges() == 0


def test_a_team_share_counts_the_members_at_that_moment(org: Org) -> None:
    """m4 left before the share: 1/3 each for m1..m3; a later share after m5 joins: 1/4 each.

    Share 1 on 1 March (members then s, m1, m2, m3): 1/3 to each. m5 joins 1 April; share 2 on
    1 May: 1/4 to m1, m2, m3 and m5. m1's edge: 1/3 + 1/4 = 7/12; m5's: 1/4.
    """
    org.team("T", "s", "m1", "m2", "m3", "m4")
    org.r.remove_member(ORG, "T", "m4", occurred_at=datetime(2025, 2, 1, tzinfo=UTC))
    org.r.share_knowledge(ORG, "s", to_teams=["T"], occurred_at=datetime(2025, 3, 1, tzinfo=UTC))
    org.person("m5")
    org.r.add_member(ORG, "T", "m5", occurred_at=datetime(2025, 4, 1, tzinfo=UTC))
    org.r.share_knowledge(ORG, "s", to_teams=["T"], occurred_at=datetime(2025, 5, 1, tzinfo=UTC))
    G = org.graph(half_life_days=math.inf)
    assert G[org.id("s")][org.id("m1")]["weight"] == pytest.approx(7 / 12)
    assert G[org.id("s")][org.id("m1")]["count"] == 2
    assert G[org.id("s")][org.id("m5")]["weight"] == pytest.approx(1 / 4)
    assert not G.has_edge(org.id("s"), org.id("m4"))


def test_an_organisation_wide_share_spreads_over_everyone_in_a_team(org: Org) -> None:
    """Organisation-wide: 1/n over everyone in any team then, the sharer left out.

    Teams A (s, a) and B (b, c), plus d who is in no team: n = 4 - 1 = 3, so a, b and c get
    1/3 each, d nothing; a third of it (to a) stays in team A, two thirds cross.
    """
    org.team("A", "s", "a")
    org.team("B", "b", "c")
    org.person("d")
    org.r.share_knowledge(ORG, "s", organisation_wide=True, occurred_at=AT)
    G = org.graph()
    for person in ("a", "b", "c"):
        assert G[org.id("s")][org.id(person)]["weight"] == pytest.approx(1 / 3)
    assert org.id("d") not in G
    assert cross_team_share(G) == pytest.approx(2 / 3)


def test_a_share_with_persons_and_a_team_gives_each_route_its_part(org: Org) -> None:
    """to_persons [a] and to_teams [T] (a, b in T): a gets 1 + 1/2, b gets 1/2; one event each.

    The count is per event: a's edge has count 1 although two routes reached a.
    """
    org.team("T", "a", "b")
    org.person("s")
    org.r.share_knowledge(ORG, "s", to_persons=["a"], to_teams=["T"], occurred_at=AT)
    G = org.graph()
    assert G[org.id("s")][org.id("a")]["weight"] == pytest.approx(1.5)
    assert G[org.id("s")][org.id("a")]["count"] == 1
    assert G[org.id("s")][org.id("b")]["weight"] == pytest.approx(0.5)


def test_intervision_pairs_get_one_over_n_minus_one_and_the_case_owner_one_more(org: Org) -> None:
    """Three participants: every ordered pair 1/(3 - 1) = 1/2; to the case owner c, 1 more.

    a -> b: 1/2; a -> c: 1/2 + 1 = 3/2; c -> a: 1/2. Total 6 x 1/2 + 2 x 1 = 5.
    """
    org.team("T", "a", "b", "c")
    org.r.hold_intervision(
        ORG, "T", participants=["a", "b", "c"], minutes=60, case_owner="c", occurred_at=AT
    )
    G = org.graph()
    assert G[org.id("a")][org.id("b")]["weight"] == pytest.approx(0.5)
    assert G[org.id("a")][org.id("c")]["weight"] == pytest.approx(1.5)
    assert G[org.id("a")][org.id("c")]["count"] == 1
    assert G[org.id("c")][org.id("a")]["weight"] == pytest.approx(0.5)
    assert G.size(weight="weight") == pytest.approx(5.0)
    assert G[org.id("a")][org.id("b")]["channels"] == "intervision"


def test_case_consultation_owner_outside_the_participants_receives_from_each(org: Org) -> None:
    """Owner o did not take part: a and b each give o 1; a <-> b 1/(2 - 1) = 1 each way."""
    org.team("T", "a", "b", "o")
    org.r.hold_case_consultation(
        ORG, "T", participants=["a", "b"], minutes=60, case_owner="o", occurred_at=AT
    )
    G = org.graph()
    assert G[org.id("a")][org.id("o")]["weight"] == pytest.approx(1.0)
    assert G[org.id("b")][org.id("o")]["weight"] == pytest.approx(1.0)
    assert G[org.id("a")][org.id("b")]["weight"] == pytest.approx(1.0)
    assert G[org.id("a")][org.id("b")]["channels"] == "case-consultation"


def test_a_learning_activity_applying_a_practice_links_its_authors_to_the_learner(
    org: Org,
) -> None:
    """Practice P by p1 and p2; learner l applies P in an activity: p1 -> l, p2 -> l, 1 each.

    An activity without a practice, or with an unknown practice, adds nothing.
    """
    org.team("T", "p1", "p2", "l")
    org.r.institutionalise_practice(
        ORG, "P", "Signs of safety", "method", authors=["p1", "p2"], occurred_at=T0
    )
    org.r.complete_learning_activity(ORG, "l", mode="informal", practice_id="P", occurred_at=AT)
    org.r.complete_learning_activity(ORG, "l", mode="formal", occurred_at=AT)
    org.r.complete_learning_activity(ORG, "l", mode="formal", practice_id="Q", occurred_at=AT)
    G = org.graph()
    assert G[org.id("p1")][org.id("l")]["weight"] == pytest.approx(1.0)
    assert G[org.id("p1")][org.id("l")]["channels"] == "practice"
    assert G[org.id("p2")][org.id("l")]["weight"] == pytest.approx(1.0)
    assert G.number_of_edges() == 2


def test_channels_are_sorted_names_joined_by_commas(org: Org) -> None:
    """Advice then a share on the same pair: channels "advice,knowledge-shared", count 2."""
    org.team("T", "a", "b")
    org.r.share_knowledge(ORG, "a", to_persons=["b"], occurred_at=AT)
    org.r.seek_advice(ORG, "b", from_person="a", occurred_at=AT)
    edge = org.graph()[org.id("a")][org.id("b")]
    assert edge["channels"] == "advice,knowledge-shared"
    assert edge["count"] == 2
    assert edge["weight"] == pytest.approx(2.0)
    assert edge["distance"] == pytest.approx(0.5)


def test_advice_from_an_external_source_adds_no_node(org: Org) -> None:
    """External advice has no source person: no edge, and no node beyond the team's member."""
    org.team("T", "a")
    org.r.seek_advice(ORG, "a", external_source="NJi website", occurred_at=AT)
    G = org.graph()
    assert list(G.nodes) == [org.id("a")]
    assert G.number_of_edges() == 0


def test_retracted_events_never_count(org: Org) -> None:
    """Advice retracted: no edge. A retracted join: the team share spreads over 2, not 3.

    Team T: s, m1, m2 and m3, whose join is retracted. s shares with T: 1/2 to m1 and m2.
    """
    org.team("T", "s", "m1", "m2")
    org.person("m3")
    joined = org.r.add_member(ORG, "T", "m3", occurred_at=T0)
    assert joined.event_id is not None
    org.r.retract(ORG, joined.event_id, "wrong team")
    advice = org.r.seek_advice(ORG, "m1", from_person="m2", occurred_at=AT)
    assert advice.event_id is not None
    org.r.retract(ORG, advice.event_id, "entered twice")
    org.r.share_knowledge(ORG, "s", to_teams=["T"], occurred_at=AT)
    G = org.graph()
    assert not G.has_edge(org.id("m2"), org.id("m1"))
    assert G[org.id("s")][org.id("m1")]["weight"] == pytest.approx(0.5)
    assert org.id("m3") not in G


def test_cross_team_is_judged_at_the_event_time_and_the_team_graph_follows(org: Org) -> None:
    """b moves from A to B on 1 March. Advice a -> b on 1 Feb (same team) and 1 April (A -> B).

    Without decay: the person edge weighs 2, of which 1 crossed teams (cross_team_weight 1,
    cross_team True). The team graph, quotient at each event's time: A's internal weight 1 and
    an edge A -> B of 1, although b is in B at t.
    """
    org.team("A", "a", "b")
    org.team("B")
    moved = datetime(2025, 3, 1, tzinfo=UTC)
    org.r.remove_member(ORG, "A", "b", occurred_at=moved)
    org.r.add_member(ORG, "B", "b", occurred_at=moved)
    org.r.seek_advice(ORG, "b", from_person="a", occurred_at=datetime(2025, 2, 1, tzinfo=UTC))
    org.r.seek_advice(ORG, "b", from_person="a", occurred_at=datetime(2025, 4, 1, tzinfo=UTC))
    G = org.graph(half_life_days=math.inf)
    edge = G[org.id("a")][org.id("b")]
    assert edge["weight"] == pytest.approx(2.0)
    assert edge["cross_team_weight"] == pytest.approx(1.0)
    assert edge["cross_team"] is True
    assert G.nodes[org.id("b")]["team"] == "B"
    T = build_team_graph(G)
    assert T.nodes["A"]["internal_weight"] == pytest.approx(1.0)
    assert T["A"]["B"]["weight"] == pytest.approx(1.0)
    assert T.nodes["B"]["internal_weight"] == 0.0
    assert cross_team_share(G) == pytest.approx(0.5) == cross_team_share(T)


def test_flow_with_someone_in_no_team_is_not_cross_team_and_unassigned_in_teams(
    org: Org,
) -> None:
    """Advice from g (in no team) to a (team A): weight 1, not cross-team; the team graph
    leaves it out of every team and keeps it as ``unassigned_weight`` 1.
    """
    org.team("A", "a")
    org.person("g")
    org.r.seek_advice(ORG, "a", from_person="g", occurred_at=AT)
    G = org.graph()
    edge = G[org.id("g")][org.id("a")]
    assert (edge["cross_team"], edge["cross_team_weight"]) == (False, 0.0)
    assert "team" not in G.nodes[org.id("g")]
    T = build_team_graph(G)
    assert T.graph["unassigned_weight"] == pytest.approx(1.0)
    assert T.nodes["A"]["internal_weight"] == 0.0
    assert cross_team_share(G) == 0.0 == cross_team_share(T)


def test_nodes_carry_team_role_site_and_never_a_name(org: Org) -> None:
    """Nodes are pseudonymous UUID strings with team key, role, site, member, organisation.

    Sanne is registered with her name; it appears nowhere in the graph. A person who left
    keeps the last team known, with ``member`` False; nobody outside a team and without flow
    is a node.
    """
    org.person("sanne", name="Sanne de Vries")
    org.r.register_team(ORG, "T", occurred_at=T0)
    org.r.add_member(ORG, "T", "sanne", role="coordinator", site="Groningen", occurred_at=T0)
    org.team("U", "left")
    org.r.remove_member(ORG, "U", "left", occurred_at=datetime(2025, 3, 1, tzinfo=UTC))
    org.r.seek_advice(
        ORG, "left", from_person="sanne", occurred_at=datetime(2025, 2, 1, tzinfo=UTC)
    )
    org.person("nobody")
    G = org.graph()
    assert G.nodes[org.id("sanne")] == {
        "organisation": ORG,
        "team": "T",
        "role": "coordinator",
        "site": "Groningen",
        "member": True,
    }
    assert G.nodes[org.id("left")]["team"] == "U"
    assert G.nodes[org.id("left")]["member"] is False
    assert org.id("nobody") not in G
    text = repr(list(G.nodes(data=True))) + repr(list(G.edges(data=True))) + repr(G.graph)
    assert "Sanne" not in text
    assert "sanne" not in text


def test_window_since_until_bound_the_event_times(org: Org) -> None:
    """since 1 March, until 30 April: only the April advice counts; t = until = 30 April.

    Advices on 1 Feb, 1 April and 1 May; t defaults to until, so the April one weighs
    2^(-29/180).
    """
    org.team("T", "a", "b")
    for month in (2, 4, 5):
        org.r.seek_advice(
            ORG, "b", from_person="a", occurred_at=datetime(2025, month, 1, tzinfo=UTC)
        )
    until = datetime(2025, 4, 30, tzinfo=UTC)
    G = build_person_graph(org.history(), since=datetime(2025, 3, 1, tzinfo=UTC), until=until)
    edge = G[org.id("a")][org.id("b")]
    assert edge["count"] == 1
    assert edge["weight"] == pytest.approx(2 ** (-29 / 180))
    assert G.graph["as_of"] == until


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"half_life_days": 0}, "half_life_days 0"),
        ({"window_days": -1}, "window_days -1"),
        ({"since": AT, "until": T0}, "is after until"),
    ],
)
def test_bad_windows_are_refused_naming_the_value(
    org: Org, options: dict[str, Any], message: str
) -> None:
    """A non-positive half-life, a negative window, or since after until: InvalidValueError."""
    with pytest.raises(InvalidValueError, match=message):
        build_person_graph(org.history(), **options)


def test_naive_moments_are_refused(org: Org) -> None:
    """as_of without a time zone: NaiveDatetimeError naming as_of."""
    with pytest.raises(NaiveDatetimeError, match="as_of"):
        build_person_graph(org.history(), as_of=datetime(2025, 1, 1))


def test_team_graph_from_the_history_equals_the_one_from_the_person_graph(org: Org) -> None:
    """Both routes give the same team graph: same nodes, edges and attributes."""
    two_silos(org)
    org.r.seek_advice(ORG, "b1", from_person="a1", occurred_at=AT)
    from_graph = build_team_graph(org.graph())
    from_history = build_team_graph(org.history(), as_of=AT)
    assert dict(from_graph.nodes(data=True)) == dict(from_history.nodes(data=True))
    assert list(from_graph.edges(data=True)) == list(from_history.edges(data=True))
    assert from_history.nodes["A"]["members"] == 4


def test_team_graph_refuses_a_graph_without_its_team_flow(org: Org) -> None:
    """A copy has lost the per-team flow: InvalidValueError; so do options with a graph."""
    two_silos(org)
    G = org.graph()
    with pytest.raises(InvalidValueError, match="does not carry its flow"):
        build_team_graph(G.copy())
    with pytest.raises(InvalidValueError, match="as_of"):
        build_team_graph(G, as_of=AT)
    with pytest.raises(InvalidValueError, match="unknown option"):
        build_team_graph(org.history(), when=AT)


# ---------------------------------------------------------------- analytics on known shapes


def test_a_star_has_one_broker(org: Org) -> None:
    """In a two-way star of a hub and 4 spokes every spoke-to-spoke path runs through the hub.

    4 x 3 = 12 ordered spoke pairs, all through the hub; normalised by (n-1)(n-2) = 4 x 3 = 12:
    betweenness 1.0 for the hub, 0 for the spokes. Gini over (0, 0, 0, 0, 1): 4/5 = 0.8.
    The hub's in- and out-strength are 4 (one advice given to and one share received from each).
    """
    star(org)
    G = org.graph()
    found = brokers(G)
    hub = org.id("hub")
    assert found["sampled"] is False
    assert found["betweenness"][hub] == pytest.approx(1.0)
    assert all(v == 0 for node, v in found["betweenness"].items() if node != hub)
    assert betweenness_gini(G) == pytest.approx(0.8)
    assert strength(G)[hub] == pytest.approx(4.0)
    assert strength(G, direction="out")[hub] == pytest.approx(4.0)
    assert strength(G, direction="both")[org.id("s1")] == pytest.approx(2.0)


def test_two_silos_joined_by_one_person(org: Org) -> None:
    """x is the only link between silos {a1, a2, a3} and {b1, b2, b3}: cut vertex, top broker.

    Each intervision of 4 gives every ordered pair 1/3. All 3 x 3 x 2 = 18 ordered pairs between
    the silos run through x; normalised by (7-1)(7-2) = 30: 0.6. No tie is a bridge (each lies in
    a clique). Silo index (teams A = {a1, a2, a3, x}, B = {b1, b2, b3}): m = 24 x 1/3 = 8;
    A internal 4, out 5, in 5; B internal 2, out 3, in 3: 4/8 - 25/64 + 2/8 - 9/64 = 0.21875.
    Cross-team flow: x <-> b 6 x 1/3 = 2 of 8 = 0.25. All of it touches x: top-1 share 1.
    """
    two_silos(org)
    G = org.graph()
    x = org.id("x")
    found = brokers(G)
    assert max(found["betweenness"], key=found["betweenness"].__getitem__) == x
    assert found["betweenness"][x] == pytest.approx(0.6)
    ties = fragile_ties(G)
    assert ties["articulation_points"] == [x]
    assert ties["bridges"] == []
    assert silo_index(G) == pytest.approx(0.21875)
    assert silo_index(G) == pytest.approx(
        nx.community.modularity(
            G, [{n for n, t in G.nodes(data="team") if t == k} for k in "AB"], weight="weight"
        )
    )
    assert cross_team_share(G) == pytest.approx(0.25)
    assert broker_cross_team_share(G, top=1) == pytest.approx(1.0)
    assert connectedness(G) == {
        "modularity": pytest.approx(0.21875),
        "largest_component_share": 1.0,
        "cross_team_share": pytest.approx(0.25),
    }


def test_two_silos_at_team_level(org: Org) -> None:
    """Team A: internal 4, out 1 (x -> b's), in 1; B: internal 2, out 1, in 1.

    E-I of A: (2 - 4)/(2 + 4) = -1/3; of B: (2 - 2)/4 = 0. Boundary share of A: 2/6 = 1/3,
    of B 2/4 = 1/2. Each has one partner team.
    """
    two_silos(org)
    T = build_team_graph(org.graph())
    assert team_flows(T)["A"] == {
        "internal": pytest.approx(4.0),
        "inflow": pytest.approx(1.0),
        "outflow": pytest.approx(1.0),
        "partners": ["B"],
    }
    assert ei_index(T) == {"A": pytest.approx(-1 / 3), "B": pytest.approx(0.0)}
    assert boundary_share(T) == {"A": pytest.approx(1 / 3), "B": pytest.approx(0.5)}
    assert partner_teams(T) == {"A": 1, "B": 1}
    assert ei_index(org.graph()) == ei_index(T)


def test_team_cohesion_counts_ties_among_members_at_t(org: Org) -> None:
    """Team A (a1, a2, a3, x) intervision: all 12 ordered pairs tied, density 12/(4 x 3) = 1,
    all reciprocated. Team B's members b1..b3: 6 ties among them (x is not a member), 1 and 1.
    A team C of one member has no density.
    """
    two_silos(org)
    org.team("C", "alone")
    G = org.graph()
    assert internal_density(G) == {"A": 1.0, "B": 1.0, "C": None}
    assert internal_reciprocity(G) == {"A": 1.0, "B": 1.0, "C": None}


def test_a_reciprocal_pair(org: Org) -> None:
    """a and b advise each other: reciprocity 1, no one-way flow (flow hierarchy 0).

    Add a one-way advice a -> c: 2 of 3 edges reciprocated (2/3); one of 3 edges in no cycle
    (1/3). Weighted reciprocity: min(1, 1) twice over 3 = 2/3.
    """
    org.team("T", "a", "b", "c")
    org.r.seek_advice(ORG, "a", from_person="b", occurred_at=AT)
    org.r.seek_advice(ORG, "b", from_person="a", occurred_at=AT)
    G = org.graph()
    assert reciprocity(G) == 1.0
    assert flow_hierarchy(G) == 0.0
    org.r.seek_advice(ORG, "c", from_person="a", occurred_at=AT)
    G = org.graph()
    assert reciprocity(G) == pytest.approx(2 / 3)
    assert reciprocity(G, weight="weight") == pytest.approx(2 / 3)
    assert flow_hierarchy(G) == pytest.approx(1 / 3)
    assert flow_hierarchy(G) == pytest.approx(nx.flow_hierarchy(G))


def test_fragmentation_counts_components_and_isolates(org: Org) -> None:
    """Team T: a <-> b, c -> d, e alone: 3 components (2, 2, 1); largest share 2/5."""
    org.team("T", "a", "b", "c", "d", "e")
    org.r.seek_advice(ORG, "b", from_person="a", occurred_at=AT)
    org.r.seek_advice(ORG, "a", from_person="b", occurred_at=AT)
    org.r.seek_advice(ORG, "d", from_person="c", occurred_at=AT)
    found = fragmentation(org.graph())
    assert found == {"components": 3, "sizes": [2, 2, 1], "largest_share": 0.4, "isolates": 1}


def test_a_single_tie_between_two_groups_is_a_bridge_with_summed_weight(org: Org) -> None:
    """Cliques {a, b, c} and {d, e, f} joined by c <-> d (1 one way, 0.5 back): bridge (c, d, 1.5).

    The undirected copy sums both directions: 1 + 0.5 = 1.5 (to_undirected would keep one).
    c and d are articulation points.
    """
    org.team("T", "a", "b", "c", "d", "e", "f")
    for group in (["a", "b", "c"], ["d", "e", "f"]):
        org.r.hold_intervision(ORG, "T", participants=group, minutes=30, occurred_at=AT)
    org.r.seek_advice(ORG, "d", from_person="c", occurred_at=AT)
    org.r.seek_advice(ORG, "c", from_person="d", occurred_at=AT - timedelta(days=180))
    G = org.graph()
    c, d = org.id("c"), org.id("d")
    ties = fragile_ties(G)
    assert len(ties["bridges"]) == 1
    a, b, weight = ties["bridges"][0]
    assert {a, b} == {c, d}
    assert weight == pytest.approx(1.5)
    assert undirected_flow(G)[c][d]["weight"] == pytest.approx(1.5)
    assert sorted(ties["articulation_points"]) == sorted([c, d])


def test_communities_follow_the_flow_and_say_whether_they_span_teams(org: Org) -> None:
    """Two intervision cliques that cut across teams A and B form two communities, both spanning.

    Clique 1: a1, a2, b1; clique 2: a3, b2, b3 (team A = a1..a3, B = b1..b3). Louvain (seed
    fixed) finds the two cliques; each holds members of both teams: spanning share 2/2 = 1.
    """
    org.team("A", "a1", "a2", "a3")
    org.team("B", "b1", "b2", "b3")
    for group in (["a1", "a2", "b1"], ["a3", "b2", "b3"]):
        org.r.hold_intervision(ORG, "A", participants=group, minutes=60, occurred_at=AT)
    G = org.graph()
    found = communities(G)
    assert found["count"] == 2
    assert sorted(map(sorted, found["communities"])) == sorted(
        sorted(org.id(p) for p in group) for group in (["a1", "a2", "b1"], ["a3", "b2", "b3"])
    )
    assert found["spanning"] == 2
    assert found["spanning_share"] == 1.0
    assert found["modularity"] == pytest.approx(0.5)
    assert communities(G) == found


def test_snapshot_diff_before_and_after_an_intervention(org: Org) -> None:
    """Before: a1 -> a2 (in A), a2 -> b1 (A -> B). After: a1 -> a2 and a new b2 -> a1 (B -> A).

    New cross-team tie (b2, a1) and team link (B, A); lost (a2, b1) and (A, B). Edges before
    {a1a2, a2b1}, after {a1a2, b2a1}: Jaccard 1/3.
    """
    org.team("A", "a1", "a2")
    org.team("B", "b1", "b2")
    before, after = datetime(2025, 3, 1, tzinfo=UTC), datetime(2025, 9, 1, tzinfo=UTC)
    org.r.seek_advice(ORG, "a2", from_person="a1", occurred_at=before)
    org.r.seek_advice(ORG, "b1", from_person="a2", occurred_at=before)
    org.r.seek_advice(ORG, "a2", from_person="a1", occurred_at=after)
    org.r.seek_advice(ORG, "a1", from_person="b2", occurred_at=after)
    history = org.history()
    G1 = build_person_graph(history, until=before + timedelta(days=1), window_days=90)
    G2 = build_person_graph(history, until=after + timedelta(days=1), window_days=90)
    diff = diff_snapshots(G1, G2)
    assert diff["new_cross_team_ties"] == [(org.id("b2"), org.id("a1"))]
    assert diff["lost_cross_team_ties"] == [(org.id("a2"), org.id("b1"))]
    assert diff["new_team_links"] == [("B", "A")]
    assert diff["lost_team_links"] == [("A", "B")]
    assert diff["edge_jaccard"] == pytest.approx(1 / 3)
    team_diff = diff_snapshots(build_team_graph(G1), build_team_graph(G2))
    assert team_diff["new_team_links"] == [("B", "A")]


# ---------------------------------------------------------------- agreement with networkx


def random_flow_graph(seed: int, n: int = 40, p: float = 0.08) -> nx.DiGraph:
    """A random weighted digraph with ``distance = 1/weight`` and a team per node."""
    rng = random.Random(seed)
    G = nx.gnp_random_graph(n, p, seed=seed, directed=True)
    for node in G:
        G.nodes[node]["team"] = f"T{node % 4}"
    for _, _, data in G.edges(data=True):
        data["weight"] = rng.choice([0.25, 0.5, 1.0, 2.0, rng.random() + 0.1])
        data["distance"] = 1.0 / data["weight"]
    return G


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_brokers_equal_networkx_exact_and_sampled(seed: int) -> None:
    """Exact and sampled (k = 10, same seed) betweenness equal networkx's to 1e-12."""
    G = random_flow_graph(seed)
    exact = brokers(G)
    expected = nx.betweenness_centrality(G, weight="distance")
    assert exact["sampled"] is False
    assert exact["betweenness"] == pytest.approx(expected, abs=1e-12)
    sampled = brokers(G, exact_below=10, k=10, seed=7)
    assert (sampled["sampled"], sampled["k"], sampled["seed"]) == (True, 10, 7)
    expected = nx.betweenness_centrality(G, k=10, weight="distance", seed=7)
    assert sampled["betweenness"] == pytest.approx(expected, abs=1e-12)


@pytest.mark.parametrize("seed", [4, 5])
def test_structural_holes_equal_networkx(seed: int) -> None:
    """Constraint and effective size equal networkx's on every node with successors."""
    G = random_flow_graph(seed, n=25, p=0.15)
    holes = structural_holes(G)
    constraint = nx.constraint(G, weight="weight")
    effective = nx.effective_size(G, weight="weight")
    for node in G:
        if G.out_degree(node) == 0:
            continue
        assert holes[node]["constraint"] == pytest.approx(constraint[node])
        assert holes[node]["effective_size"] == pytest.approx(effective[node])
    subset = structural_holes(G, nodes=[0, 1])
    assert set(subset) == {0, 1}
    assert subset[0] == holes[0]


def test_an_isolated_node_has_no_structural_holes() -> None:
    """No contacts: constraint and effective size are undefined (NaN)."""
    G = nx.DiGraph()
    G.add_node("alone")
    holes = structural_holes(G)["alone"]
    assert math.isnan(holes["constraint"])
    assert math.isnan(holes["effective_size"])


@pytest.mark.parametrize("seed", [6, 7])
def test_modularity_and_flow_hierarchy_equal_networkx(seed: int) -> None:
    """Own one-pass modularity and flow hierarchy equal networkx's."""
    G = random_flow_graph(seed)
    groups: dict[str, set[int]] = {}
    for node, team in G.nodes(data="team"):
        groups.setdefault(team, set()).add(node)
    expected = nx.community.modularity(G, groups.values(), weight="weight")
    assert modularity(G, dict(G.nodes(data="team"))) == pytest.approx(expected)
    assert silo_index(G) == pytest.approx(expected)
    assert flow_hierarchy(G, weight="weight") == pytest.approx(
        nx.flow_hierarchy(G, weight="weight")
    )
    assert reciprocity(G) == pytest.approx(nx.overall_reciprocity(G))


def test_gini_of_equal_and_concentrated_values() -> None:
    """Equal values: 0. One of four holds everything: (2*4 - 4 - 1) * 1 / (4 * 1) = 3/4."""
    assert gini([2.0, 2.0, 2.0]) == 0.0
    assert gini([0.0, 0.0, 0.0, 1.0]) == pytest.approx(0.75)
    assert gini([]) is None
    assert gini([0.0, 0.0]) is None


def test_strength_refuses_an_unknown_direction() -> None:
    """direction must be in, out or both: InvalidValueError naming the value."""
    with pytest.raises(InvalidValueError, match="'sideways'"):
        strength(nx.DiGraph(), direction="sideways")  # type: ignore[arg-type]


def test_analytics_of_an_empty_graph_say_none() -> None:
    """Nothing flowed: measures that divide by the flow are None, not an error."""
    G = nx.DiGraph()
    G.add_node("a", team="A")
    assert reciprocity(G) is None
    assert silo_index(G) is None
    assert flow_hierarchy(G) is None
    assert cross_team_share(G) is None
    assert betweenness_gini(G) is None
    assert broker_cross_team_share(G) is None
    assert communities(G)["spanning_share"] is None
    assert fragile_ties(G) == {"bridges": [], "articulation_points": []}


# ---------------------------------------------------------------- the store entry point and report


def test_graph_for_reads_the_store_at_known_at_and_as_of(org: Org) -> None:
    """graph_for loads the history itself: known_at leaves out later recordings.

    Advice recorded at position p; known_at = p - 1 does not know it: no edge. level="team"
    gives the team graph.
    """
    org.team("A", "a")
    org.team("B", "b")
    recorded = org.r.seek_advice(ORG, "b", from_person="a", occurred_at=AT)
    assert recorded.position is not None
    G = graph_for(org.r, ORG, as_of=AT)
    assert G[org.id("a")][org.id("b")]["weight"] == pytest.approx(1.0)
    assert graph_for(org.r, ORG, as_of=AT, known_at=recorded.position - 1).number_of_edges() == 0
    T = graph_for(org.r, ORG, as_of=AT, level="team")
    assert T.graph["level"] == "team"
    assert T["A"]["B"]["weight"] == pytest.approx(1.0)


def test_graph_for_refuses_an_unknown_level_naming_it(org: Org) -> None:
    """level="department" is neither person nor team: InvalidValueError naming the value."""
    with pytest.raises(InvalidValueError, match="'department'"):
        graph_for(org.r, ORG, level="department")  # type: ignore[arg-type]


def test_graph_for_defaults_as_of_to_the_store_clock() -> None:
    """Without as_of or until, t is the store clock's now: an event 180 days before weighs 1/2."""
    now = datetime(2025, 12, 1, tzinfo=UTC)
    with LearningRecords("memory://", clock=lambda: now) as records:
        org = Org(records)
        org.team("A", "a", "b")
        records.seek_advice(ORG, "b", from_person="a", occurred_at=now - timedelta(days=180))
        G = graph_for(records, ORG)
        assert G.graph["as_of"] == now
        assert G[org.id("a")][org.id("b")]["weight"] == pytest.approx(0.5)


def test_the_report_bundles_the_analytics_as_plain_data(org: Org) -> None:
    """The report's numbers are those of the functions, per organisation and per team.

    Two silos joined by x (see test_two_silos_joined_by_one_person): silo index 0.21875,
    cross-team share 0.25, x the top broker and the only articulation point, team keys A and B
    with E-I -1/3 and 0; the whole report survives a JSON round trip unchanged.
    """
    two_silos(org)
    history = org.history()
    report = knowledge_flow_report(history, as_of=AT)
    assert json.loads(json.dumps(report)) == report
    G = build_person_graph(history, as_of=AT)
    measures = report["measures"]
    assert report["organisation"] == ORG
    assert report["window"]["as_of"] == AT.isoformat()
    assert report["size"] == {
        "persons": 7,
        "teams": 2,
        "ties": 24,
        "team_links": 2,
        "flow_weight": pytest.approx(8.0),
    }
    assert measures["silo_index"] == pytest.approx(silo_index(G)) == pytest.approx(0.21875)
    assert measures["cross_team_share"] == pytest.approx(0.25)
    assert measures["reciprocity"] == reciprocity(G) == 1.0
    assert measures["flow_hierarchy"] == 0.0
    assert measures["largest_component_share"] == 1.0
    top = measures["brokers"]["top"][0]
    assert top["person"] == org.id("x")
    assert top["team"] == "A"
    assert top["betweenness"] == pytest.approx(0.6)
    assert top["constraint"] == pytest.approx(structural_holes(G)[org.id("x")]["constraint"])
    assert measures["brokers"]["sampled"] is False
    assert measures["brokers"]["betweenness_gini"] == pytest.approx(betweenness_gini(G))
    assert measures["fragile_ties"]["articulation_points"] == [{"person": org.id("x"), "team": "A"}]
    assert measures["communities"]["count"] == communities(G)["count"]
    assert set(report["teams"]) == {"A", "B"}
    assert report["teams"]["A"]["ei_index"] == pytest.approx(-1 / 3)
    assert report["teams"]["B"]["ei_index"] == pytest.approx(0.0)
    assert report["teams"]["A"]["partner_teams"] == 1
    assert report["teams"]["A"]["top_partners"] == [{"team": "B", "weight": pytest.approx(2.0)}]
    assert report["teams"]["A"]["internal_density"] == 1.0
    assert report["teams"]["A"]["articulation_points"] == 1
    assert "Sanne" not in json.dumps(report)


def test_the_report_of_an_organisation_without_flow(org: Org) -> None:
    """No flow at all: measures that need flow are None (null in JSON), counts are 0."""
    org.team("A", "a")
    report = knowledge_flow_report(org.history(), as_of=AT)
    assert report["size"]["ties"] == 0
    assert report["measures"]["silo_index"] is None
    assert report["measures"]["cross_team_share"] is None
    assert report["measures"]["brokers"]["top"] == []
    assert report["teams"]["A"]["ei_index"] is None
    assert json.loads(json.dumps(report)) == report


# ---------------------------------------------------------------- exports


def test_export_ready_makes_attributes_plain_and_relabels_only_on_request(org: Org) -> None:
    """Datetimes become ISO strings, infinities strings, None left out; ids stay pseudonymous
    unless names are given, and then the original id is kept in the ``id`` attribute.
    """
    org.team("A", "a", "b")
    org.r.seek_advice(ORG, "b", from_person="a", occurred_at=AT)
    G = org.graph(half_life_days=math.inf)
    ready = export_ready(G)
    assert set(ready) == set(G)
    edge = ready[org.id("a")][org.id("b")]
    assert edge["first_at"] == AT.isoformat()
    assert ready.graph["half_life_days"] == "inf"
    assert ready.graph["as_of"] == AT.isoformat()
    named = export_ready(G, names={org.id("a"): "Ann"})
    assert set(named) == {"Ann", org.id("b")}
    assert named.nodes["Ann"]["id"] == org.id("a")
    assert named["Ann"][org.id("b")]["weight"] == 1.0
    G.nodes[org.id("a")]["site"] = None
    assert "site" not in export_ready(G).nodes[org.id("a")]


def test_export_ready_refuses_names_that_would_merge_two_people(org: Org) -> None:
    """Two persons called "Sam": InvalidValueError naming the name (no silent merge)."""
    org.team("A", "a", "b")
    G = org.graph()
    with pytest.raises(InvalidValueError, match="'Sam'"):
        export_ready(G, names={org.id("a"): "Sam", org.id("b"): "Sam"})


def test_node_link_data_round_trips_through_json(org: Org) -> None:
    """node_link gives JSON-ready data; networkx reads it back with the same edges and weights."""
    two_silos(org)
    G = org.graph()
    data = json.loads(json.dumps(node_link(G)))
    back = nx.node_link_graph(data, edges="edges")
    assert set(back.edges) == set(G.edges)
    assert back.graph["level"] == "person"
    for u, v, weight in G.edges(data="weight"):
        assert back[u][v]["weight"] == pytest.approx(weight)


def test_the_png_shows_brokers_by_rank_unless_names_are_given(org: Org, tmp_path: Path) -> None:
    """draw_png writes a PNG (signature 89 50 4E 47) and returns the same bytes; the same
    graph gives the same bytes (no timestamps). Without names no name is drawn, so the picture
    of a pseudonymous graph can be shared.
    """
    pytest.importorskip("matplotlib")
    two_silos(org)
    G = org.graph()
    png = draw_png(G, tmp_path / "flow.png")
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    assert (tmp_path / "flow.png").read_bytes() == png
    assert draw_png(G) == png
    named = draw_png(G, names={org.id("x"): "Xander"})
    assert named != png
    empty = draw_png(nx.DiGraph())
    assert empty[:8] == b"\x89PNG\r\n\x1a\n"


def test_drawing_without_matplotlib_says_how_to_install_it(
    org: Org, monkeypatch: pytest.MonkeyPatch
) -> None:
    """With matplotlib unimportable, draw_png raises PlotDependencyError naming the extra."""
    for module in ("matplotlib", "matplotlib.figure", "matplotlib.backends.backend_agg"):
        monkeypatch.setitem(sys.modules, module, None)
    org.team("A", "a")
    with pytest.raises(PlotDependencyError, match=r"pip install 'learningorg\[plot\]'"):
        draw_png(org.graph())
