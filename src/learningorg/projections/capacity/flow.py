"""The knowledge-flow sub-scores G5, G6, O4 and O5 (projections layer).

They read a person graph of knowledge flow at the moment asked: ``networkx.DiGraph`` with edges
from knowledge source to recipient (attributes ``weight``, the decayed sum of the flow, and
``cross_team``) and the node attribute ``team`` (the person's main team then).

PROVISIONAL: ``learningorg.projections.knowledge_flow`` (DESIGN.md section 6) will build that graph
and its analytics. Until it lands, ``person_graph`` and the few measures in ``FlowMeasures`` below
stand in, built from the same learning facts as every other sub-score (so the live and the view
path agree). Switching means: build the graph with ``knowledge_flow.build_person_graph`` and take
the measures from its analytics functions in ``FlowMeasures``; the four sub-score formulas in
``GraphFlowScores`` stay as they are.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

import networkx as nx

from learningorg.application import Records
from learningorg.projections.capacity.facts import Fact
from learningorg.projections.capacity.index import (
    K_ACTIVITY,
    K_ADVICE,
    K_CONSULTATION,
    K_INTERVISION,
    K_PRACTICE,
    K_SHARED,
    LearningIndex,
    data_list,
)
from learningorg.projections.capacity.model import SECONDS_PER_DAY, CapacityModel
from learningorg.projections.capacity.result import SubScore
from learningorg.projections.capacity.scoring import FlowScores, Scorer, sat, weighted_terms
from learningorg.projections.history import History, KnownAt

#: Betweenness is exact up to this many persons, else estimated from this many sampled source
#: persons (fixed seed): exact betweenness on a large, dense flow graph took minutes.
BETWEENNESS_PIVOTS = 64
BETWEENNESS_SEED = 42


def person_graph(index: LearningIndex, t: float, model: CapacityModel) -> nx.DiGraph:
    """The knowledge-flow graph of persons at ``t`` (provisional; see the module docstring).

    Nodes: persons registered by ``t``, with their main team then. Edges, from source to
    recipient, weighted ``w(e)`` over the window: knowledge shared (a team or organisation-wide
    share spread 1/n over its members then), advice (adviser to seeker), intervision and case
    consultation (each ordered pair of participants 1/(n - 1); participants to the case owner +1),
    and a learning activity applying a practice (the practice's authors to the learner).
    """
    graph = nx.DiGraph()
    for person, registered in sorted(index.persons.items()):
        if registered <= t:
            graph.add_node(person, team=index.team_of(person, t))
    window = model.window_days * SECONDS_PER_DAY
    half_life = model.half_life_days * SECONDS_PER_DAY
    low = t - window
    authors = {
        str(p.data.get("practice_id")): data_list(p, "authors")
        for p in index.org_kind(K_PRACTICE).until(t)
    }

    def add(source: str, target: str, amount: float, fact: Fact) -> None:
        if source == target or amount <= 0:
            return
        for node in (source, target):
            if node not in graph:
                graph.add_node(node, team=index.team_of(node, t))
        weight = amount * 2.0 ** (-(t - fact.occurred_at) / half_life)
        if graph.has_edge(source, target):
            graph[source][target]["weight"] += weight
        else:
            graph.add_edge(source, target, weight=weight)

    flows: list[Fact] = []
    for kind in (K_SHARED, K_ADVICE, K_INTERVISION, K_CONSULTATION, K_ACTIVITY):
        flows += index.kind(kind).between(low, t)
    for fact in sorted(flows, key=lambda f: f.position):
        for source, target, amount in _flows(index, fact, authors):
            add(source, target, amount, fact)
    for source, target, data in graph.edges(data=True):
        a, b = graph.nodes[source]["team"], graph.nodes[target]["team"]
        data["cross_team"] = a is not None and b is not None and a != b
        data["distance"] = 1.0 / data["weight"]
    return graph


def _flows(
    index: LearningIndex, fact: Fact, authors: dict[str, list[str]]
) -> Iterable[tuple[str, str, float]]:
    at = fact.occurred_at
    if fact.kind == K_SHARED:
        sharer = fact.stream
        for person in data_list(fact, "to_persons"):
            yield sharer, person, 1.0
        groups = [
            [p.person for p in index.members(team, at)] for team in data_list(fact, "to_teams")
        ]
        if fact.data.get("organisation_wide"):
            everyone = {p.person for team in index.teams for p in index.members(team, at)}
            groups.append(sorted(everyone))
        for group in groups:
            others = [p for p in group if p != sharer]
            for person in others:
                yield sharer, person, 1.0 / len(others)
    elif fact.kind == K_ADVICE:
        adviser = fact.data.get("from_person")
        if adviser:
            yield str(adviser), fact.stream, 1.0
    elif fact.kind in (K_INTERVISION, K_CONSULTATION):
        participants = data_list(fact, "participants")
        n = len(participants)
        for a in participants:
            for b in participants:
                if a != b:
                    yield a, b, 1.0 / (n - 1)
        owner = fact.data.get("case_owner")
        if owner:
            for a in participants:
                yield a, str(owner), 1.0
    elif fact.kind == K_ACTIVITY and fact.data.get("practice_id"):
        for author in authors.get(str(fact.data["practice_id"]), ()):
            yield author, fact.stream, 1.0


def _teams_involved(fact: Fact, team_of: dict[str, str | None]) -> set[str]:
    """The teams whose members (or which themselves) took part in a flow event."""
    parties = {fact.stream, *data_list(fact, "to_persons"), *data_list(fact, "participants")}
    parties.update(str(fact.data[k]) for k in ("from_person", "case_owner") if fact.data.get(k))
    teams = {team for p in parties if (team := team_of.get(p)) is not None}
    teams.update(data_list(fact, "to_teams"))
    return teams


class FlowMeasures:
    """The network measures the four sub-scores need, on one person graph (provisional)."""

    def __init__(self, graph: nx.DiGraph) -> None:
        self.graph = graph
        self._betweenness: dict[str, float] | None = None
        self._teams: dict[str, tuple[float, float, set[str]]] | None = None

    def team_flow(self, team: str) -> tuple[float, float, set[str]]:
        """(internal weight, boundary-crossing weight, partner teams) of a team's edges."""
        if self._teams is None:
            teams: dict[str, tuple[float, float, set[str]]] = {}
            nodes = self.graph.nodes
            for source, target, weight in self.graph.edges(data="weight"):
                a, b = nodes[source]["team"], nodes[target]["team"]
                if a is not None and a == b:
                    internal, external, partners = teams.get(a, (0.0, 0.0, set()))
                    teams[a] = (internal + weight, external, partners)
                    continue
                for mine, other in ((a, b), (b, a)):
                    if mine is not None:
                        internal, external, partners = teams.get(mine, (0.0, 0.0, set()))
                        if other is not None:
                            partners.add(other)
                        teams[mine] = (internal, external + weight, partners)
            self._teams = teams
        return self._teams.get(team, (0.0, 0.0, set()))

    def internal(self, team: str) -> tuple[float | None, float | None, int]:
        """(density, reciprocity, internal edges) of the team's own subgraph."""
        members = [n for n, t in self.graph.nodes(data="team") if t == team]
        sub = self.graph.subgraph(members)
        edges = sub.number_of_edges()
        if len(members) < 2:
            return None, None, edges
        reciprocity = nx.reciprocity(sub) if edges else None
        return nx.density(sub), reciprocity, edges

    def modularity(self) -> float:
        """Modularity of the partition by team (persons without a team each on their own)."""
        groups: dict[Any, set[str]] = {}
        for node, team in self.graph.nodes(data="team"):
            groups.setdefault(team if team is not None else ("alone", node), set()).add(node)
        return float(nx.community.modularity(self.graph, groups.values(), weight="weight"))

    def largest_component_share(self) -> float:
        """Share of the persons in the largest weakly connected component."""
        nodes: int = self.graph.number_of_nodes()
        if nodes == 0:
            return 0.0
        largest: set[str] = max(nx.weakly_connected_components(self.graph), key=len)
        return len(largest) / nodes

    def cross_team_share(self) -> float | None:
        """Share of the flow weight on edges between teams."""
        total = crossing = 0.0
        for _, _, data in self.graph.edges(data=True):
            total += data["weight"]
            crossing += data["weight"] if data["cross_team"] else 0.0
        return crossing / total if total > 0 else None

    def betweenness(self) -> dict[str, float]:
        """Betweenness centrality over ``distance = 1/weight`` (sampled on large graphs)."""
        if self._betweenness is None:
            n = self.graph.number_of_nodes()
            k = None if n <= BETWEENNESS_PIVOTS else BETWEENNESS_PIVOTS
            self._betweenness = nx.betweenness_centrality(
                self.graph, k=k, weight="distance", seed=BETWEENNESS_SEED
            )
        return self._betweenness

    def betweenness_gini(self) -> float | None:
        """Gini coefficient of the betweenness of all persons (None when nobody brokers)."""
        values = sorted(self.betweenness().values())
        total = sum(values)
        if not values or total <= 0:
            return None
        n = len(values)
        ranked = sum((2 * (i + 1) - n - 1) * v for i, v in enumerate(values))
        return ranked / (n * total)

    def top_broker_share(self, top: int) -> float | None:
        """Share of the cross-team flow on edges of the ``top`` persons by betweenness."""
        ranked = sorted(self.betweenness().items(), key=lambda kv: (-kv[1], kv[0]))
        brokers = {node for node, value in ranked[:top] if value > 0}
        total = through = 0.0
        for source, target, data in self.graph.edges(data=True):
            if data["cross_team"]:
                total += data["weight"]
                if source in brokers or target in brokers:
                    through += data["weight"]
        return through / total if total > 0 else None


class GraphFlowScores(FlowScores):
    """G5, G6, O4 and O5 from the person graph at each moment."""

    def __init__(self, scorer: Scorer) -> None:
        self.scorer = scorer
        self._measures: dict[float, FlowMeasures] = {}
        self._team_ids: dict[float, dict[str, list[str]]] = {}

    def measures(self, t: float) -> FlowMeasures:
        """The measures of the graph at ``t`` (built once per moment)."""
        found = self._measures.get(t)
        if found is None:
            graph = person_graph(self.scorer.index, t, self.scorer.model)
            found = self._measures[t] = FlowMeasures(graph)
        return found

    def _sub(self, code: str, value: float | None, **kwargs: Any) -> SubScore:
        return self.scorer.make_sub(code, None if value is None else 100 * value, **kwargs)

    def _ids(self, t: float, team: str | None = None) -> list[str]:
        """The flow events of the window (of a team: those involving its members or itself)."""
        index, low = self.scorer.index, t - self.scorer.window
        kinds = (K_SHARED, K_ADVICE, K_INTERVISION, K_CONSULTATION, K_ACTIVITY)
        flows = [f for k in kinds for f in index.kind(k).between(low, t)]
        if team is None:
            return [f.event_id for f in flows]
        by_team = self._team_ids.get(t)
        if by_team is None:
            team_of = dict(self.measures(t).graph.nodes(data="team"))
            by_team = self._team_ids[t] = {}
            for fact in flows:
                for involved in _teams_involved(fact, team_of):
                    by_team.setdefault(involved, []).append(fact.event_id)
        return by_team.get(team, [])

    def g5(self, team: str, t: float) -> SubScore:
        """G5 boundary crossing: ``100 (1/2 sat(crossing share, 0.25) + 1/2 sat(partners, 3))``.

        Reports the E-I index ``(external - internal) / (external + internal)`` of the team's
        flow weight.
        """
        model = self.scorer.model
        internal, external, partners = self.measures(t).team_flow(team)
        if internal + external <= 0:
            return self._sub("G5", None, target=model.boundary_share)
        share = external / (internal + external)
        value = weighted_terms(
            [sat(share, model.boundary_share), sat(len(partners), model.partner_teams)],
            model.terms("G5"),
        )
        return self._sub(
            "G5",
            value,
            numerator=share,
            target=model.boundary_share,
            ids=self._ids(t, team),
            details={
                "crossing_share": share,
                "partner_teams": float(len(partners)),
                "ei_index": (external - internal) / (external + internal),
            },
        )

    def g6(self, team: str, t: float) -> SubScore:
        """G6 cohesion: ``100 (1/2 sat(internal density, 0.3) + 1/2 internal reciprocity)``."""
        model = self.scorer.model
        density, reciprocity, edges = self.measures(t).internal(team)
        if density is None or edges == 0:
            return self._sub("G6", None, target=model.internal_density)
        value = weighted_terms(
            [sat(density, model.internal_density), reciprocity], model.terms("G6")
        )
        return self._sub(
            "G6",
            value,
            numerator=density,
            target=model.internal_density,
            ids=self._ids(t, team),
            details={"internal_density": density, "internal_reciprocity": reciprocity},
        )

    def o4(self, t: float) -> SubScore:
        """O4 connectedness: ``100/3 ((1 - modularity) + largest component + sat(cross, 0.25))``."""
        model = self.scorer.model
        measures = self.measures(t)
        cross = measures.cross_team_share()
        if cross is None:
            return self._sub("O4", None, target=model.cross_team_share)
        modularity = measures.modularity()
        component = measures.largest_component_share()
        value = weighted_terms(
            [min(1.0, max(0.0, 1 - modularity)), component, sat(cross, model.cross_team_share)],
            model.terms("O4"),
        )
        return self._sub(
            "O4",
            value,
            numerator=cross,
            target=model.cross_team_share,
            ids=self._ids(t),
            details={
                "modularity": modularity,
                "largest_component_share": component,
                "cross_team_share": cross,
            },
        )

    def o5(self, t: float) -> SubScore:
        """O5 resilience: ``100 (1/2 (1 - Gini of betweenness) + 1/2 (1 - top-3 broker share))``.

        Betweenness uses ``distance = 1/weight``; above ``BETWEENNESS_PIVOTS`` persons it is
        estimated from that many sampled sources with a fixed seed (``details`` says so).
        """
        model = self.scorer.model
        measures = self.measures(t)
        if measures.graph.number_of_edges() == 0:
            return self._sub("O5", None)
        gini = measures.betweenness_gini()
        brokers = measures.top_broker_share(model.top_brokers)
        value = weighted_terms(
            [None if gini is None else 1 - gini, None if brokers is None else 1 - brokers],
            model.terms("O5"),
        )
        n = measures.graph.number_of_nodes()
        return self._sub(
            "O5",
            value,
            numerator=gini,
            ids=self._ids(t),
            details={
                "betweenness_gini": gini,
                "top_broker_share": brokers,
                "betweenness_pivots": float(min(n, BETWEENNESS_PIVOTS)),
                "betweenness_sampled": float(n > BETWEENNESS_PIVOTS),
            },
        )


def flow_scores_for_history(history: History) -> Callable[[Scorer], FlowScores]:
    """The flow sub-scores of a live query on ``history`` (provisional: from its facts)."""
    return GraphFlowScores


def flow_scores_for_records(
    records: Records, organisation: str, known_at: KnownAt
) -> Callable[[Scorer], FlowScores]:
    """The flow sub-scores of a query on the store (provisional: from the view's facts)."""
    return GraphFlowScores


__all__ = [
    "BETWEENNESS_PIVOTS",
    "FlowMeasures",
    "GraphFlowScores",
    "flow_scores_for_history",
    "flow_scores_for_records",
    "person_graph",
]
