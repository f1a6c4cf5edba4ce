"""The knowledge-flow sub-scores G5, G6, O4 and O5 (projections layer).

They read the knowledge-flow person graph of ``learningorg.projections.knowledge_flow``
(DESIGN.md section 6) at the moment asked, built with ``build_person_graph`` over the window and
half-life of the capacity model, and take their measures from that projection's analytics:
``boundary_share``, ``partner_teams`` and ``ei_index`` (G5), ``internal_density`` and
``internal_reciprocity`` (G6), ``connectedness`` (O4), ``brokers``, ``betweenness_gini`` and
``broker_cross_team_share`` (O5). So the capacity model and ``knowledge_flow_report`` agree on
one graph and one set of definitions (decision 0302).
"""

from __future__ import annotations

import threading
import weakref
from collections import OrderedDict
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any
from uuid import UUID

import networkx as nx

from learningorg.application import Records
from learningorg.projections.capacity.facts import Fact
from learningorg.projections.capacity.index import (
    K_ACTIVITY,
    K_ADVICE,
    K_CONSULTATION,
    K_INTERVISION,
    K_SHARED,
    data_list,
)
from learningorg.projections.capacity.result import SubScore
from learningorg.projections.capacity.scoring import FlowScores, Scorer, sat, weighted_terms
from learningorg.projections.history import History, KnownAt
from learningorg.projections.knowledge_flow import (
    Brokerage,
    betweenness_gini,
    boundary_share,
    broker_cross_team_share,
    brokers,
    build_person_graph,
    connectedness,
    ei_index,
    internal_density,
    internal_reciprocity,
    partner_teams,
)
from learningorg.projections.knowledge_flow.graph import FlowHistory
from learningorg.projections.knowledge_flow.source import StoredHistory

_FLOW_KINDS = (K_SHARED, K_ADVICE, K_INTERVISION, K_CONSULTATION, K_ACTIVITY)

#: Structures kept per store for the flow sub-scores (organisation, known_at): the teams,
#: membership, persons and practices of a ``StoredHistory`` (bounded by persons and teams, not
#: events; the flow events are streamed from the store for each graph).
HISTORY_CACHE_SIZE = 8
_HistoryKey = tuple[str, KnownAt]
_Kept = tuple[int, tuple[int, History]]
_histories: weakref.WeakKeyDictionary[Records, OrderedDict[_HistoryKey, _Kept]] = (
    weakref.WeakKeyDictionary()
)
_histories_lock = threading.Lock()


def cached_history(records: Records, organisation: str, known_at: KnownAt) -> StoredHistory:
    """``StoredHistory.read(records, organisation, known_at)``, its structure reused while
    nothing new is stored.

    The structure is kept per store, organisation and ``known_at`` with the store's last
    position when it was read; it is read again as soon as that position moved (a save, an
    import, a retraction), so a query never sees less than was stored before it began. Only the
    structure is kept (never the events, and never the store itself, so the store can be
    collected).
    """
    position = records.max_position()
    key = (organisation, known_at)
    with _histories_lock:
        kept = _histories.setdefault(records, OrderedDict())
        found = kept.get(key)
        if found is not None and found[0] == position:
            kept.move_to_end(key)
            return StoredHistory(records, organisation, known_at, reuse=found[1])
    history = StoredHistory.read(records, organisation, known_at)
    with _histories_lock:
        kept[key] = (position, (history.position, history.structure))
        kept.move_to_end(key)
        while len(kept) > HISTORY_CACHE_SIZE:
            kept.popitem(last=False)
    return history


def _teams_involved(fact: Fact, team_of: Callable[[str], str | None]) -> set[str]:
    """The teams (stream ids) whose members, or which themselves, took part in a flow event."""
    parties = {fact.stream, *data_list(fact, "to_persons"), *data_list(fact, "participants")}
    parties.update(str(fact.data[k]) for k in ("from_person", "case_owner") if fact.data.get(k))
    teams = {team for p in parties if (team := team_of(p)) is not None}
    teams.update(data_list(fact, "to_teams"))
    return teams


class _Measures:
    """The knowledge-flow analytics of one person graph, each computed once."""

    def __init__(self, graph: nx.DiGraph) -> None:
        self.graph = graph
        self._cache: dict[str, Any] = {}

    def get(self, name: str, compute: Callable[[nx.DiGraph], Any]) -> Any:
        if name not in self._cache:
            self._cache[name] = compute(self.graph)
        return self._cache[name]

    def brokerage(self) -> Brokerage:
        found: Brokerage = self.get("brokers", brokers)
        return found


class GraphFlowScores(FlowScores):
    """G5, G6, O4 and O5 from the knowledge-flow person graph at each moment."""

    def __init__(self, scorer: Scorer, history: Callable[[], FlowHistory]) -> None:
        # The scorer owns these flow scores: a weak reference back, so the two form no
        # reference cycle and a query's index and facts are freed as soon as it returns
        # (a cycle left them to the cyclic collector, which a busy reader seldom runs).
        self._scorer = weakref.ref(scorer)
        self._history = history
        self._loaded: FlowHistory | None = None
        self._measures: dict[float, _Measures] = {}
        self._team_ids: dict[float, dict[str, list[str]]] = {}

    @property
    def scorer(self) -> Scorer:
        """The scorer these flow scores belong to (alive as long as they are used)."""
        scorer = self._scorer()
        if scorer is None:  # pragma: no cover - a scorer outlives its flow scores
            msg = "the scorer of these flow scores is gone"
            raise RuntimeError(msg)
        return scorer

    def history(self) -> FlowHistory:
        """The organisation's history the graphs are built from (loaded once)."""
        if self._loaded is None:
            self._loaded = self._history()
        return self._loaded

    def measures(self, t: float) -> _Measures:
        """The analytics of the person graph at ``t`` (built once per moment)."""
        found = self._measures.get(t)
        if found is None:
            model = self.scorer.model
            graph = build_person_graph(
                self.history(),
                as_of=datetime.fromtimestamp(t, UTC),
                half_life_days=model.half_life_days,
                window_days=model.window_days,
            )
            found = self._measures[t] = _Measures(graph)
        return found

    def _team_key(self, team: str) -> str | None:
        """The key of the team with stream id ``team`` (the graph names teams by key)."""
        try:
            info = self.history().teams.get(UUID(team))
        except ValueError:
            return None
        return None if info is None else info.key

    def _sub(self, code: str, value: float | None, **kwargs: Any) -> SubScore:
        return self.scorer.make_sub(code, None if value is None else 100 * value, **kwargs)

    def _ids(self, t: float, team: str | None = None) -> list[str]:
        """The flow events of the window (of a team: those involving its members or itself)."""
        index, low = self.scorer.index, t - self.scorer.window
        flows = [f for k in _FLOW_KINDS for f in index.kind(k).between(low, t)]
        if team is None:
            return [f.event_id for f in flows]
        by_team = self._team_ids.get(t)
        if by_team is None:
            by_team = self._team_ids[t] = {}
            for fact in flows:
                for involved in _teams_involved(fact, lambda p: index.team_of(p, t)):
                    by_team.setdefault(involved, []).append(fact.event_id)
        return by_team.get(team, [])

    def g5(self, team: str, t: float) -> SubScore:
        """G5 boundary crossing: ``100 (1/2 sat(boundary share, 0.25) + 1/2 sat(partners, 3))``.

        ``boundary_share`` and ``partner_teams`` of the team graph (membership at each event's
        time); reports the E-I index ``(E - I) / (E + I)`` beside them.
        """
        model = self.scorer.model
        measures, key = self.measures(t), self._team_key(team)
        share = None if key is None else measures.get("boundary", boundary_share).get(key)
        if key is None or share is None:
            return self._sub("G5", None, target=model.boundary_share)
        partners = measures.get("partners", partner_teams).get(key, 0)
        value = weighted_terms(
            [sat(share, model.boundary_share), sat(partners, model.partner_teams)],
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
                "partner_teams": float(partners),
                "ei_index": measures.get("ei", ei_index)[key],
            },
        )

    def g6(self, team: str, t: float) -> SubScore:
        """G6 cohesion: ``100 (1/2 sat(internal density, 0.3) + 1/2 internal reciprocity)``."""
        model = self.scorer.model
        measures, key = self.measures(t), self._team_key(team)
        density = None if key is None else measures.get("density", internal_density).get(key)
        reciprocity = measures.get("reciprocity", internal_reciprocity).get(key)
        if density is None or reciprocity is None:
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
        """O4 connectedness: ``100/3 ((1 - silo index) + largest component + sat(cross, 0.25))``."""
        model = self.scorer.model
        found = self.measures(t).get("connectedness", connectedness)
        cross, modularity = found["cross_team_share"], found["modularity"]
        component = found["largest_component_share"]
        if cross is None:
            return self._sub("O4", None, target=model.cross_team_share)
        value = weighted_terms(
            [
                None if modularity is None else min(1.0, max(0.0, 1 - modularity)),
                component,
                sat(cross, model.cross_team_share),
            ],
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

        ``brokers`` (betweenness on ``distance = 1/weight``: exact below 2,000 persons, else
        sampled with a fixed seed, as ``details`` says), ``betweenness_gini`` and
        ``broker_cross_team_share``.
        """
        model = self.scorer.model
        measures = self.measures(t)
        graph = measures.graph
        if graph.number_of_edges() == 0:
            return self._sub("O5", None)
        brokerage = measures.brokerage()
        gini = betweenness_gini(graph, brokerage=brokerage)
        share = broker_cross_team_share(graph, top=model.top_brokers, brokerage=brokerage)
        value = weighted_terms(
            [None if gini is None else 1 - gini, None if share is None else 1 - share],
            model.terms("O5"),
        )
        pivots = brokerage["k"] if brokerage["k"] is not None else graph.number_of_nodes()
        return self._sub(
            "O5",
            value,
            numerator=gini,
            ids=self._ids(t),
            details={
                "betweenness_gini": gini,
                "top_broker_share": share,
                "betweenness_pivots": float(pivots),
                "betweenness_sampled": float(brokerage["sampled"]),
            },
        )


def flow_scores_for_history(history: History) -> Callable[[Scorer], FlowScores]:
    """The flow sub-scores of a live query on ``history``."""

    def make(scorer: Scorer) -> FlowScores:
        return GraphFlowScores(scorer, lambda: history)

    return make


def flow_scores_for_records(
    records: Records, organisation: str, known_at: KnownAt
) -> Callable[[Scorer], FlowScores]:
    """The flow sub-scores of a query on the store: the history is read only if one is asked."""

    def make(scorer: Scorer) -> FlowScores:
        return GraphFlowScores(scorer, lambda: cached_history(records, organisation, known_at))

    return make


__all__ = [
    "HISTORY_CACHE_SIZE",
    "GraphFlowScores",
    "cached_history",
    "flow_scores_for_history",
    "flow_scores_for_records",
]
