"""Everything the knowledge-flow analytics say, as one JSON-ready report (projections layer).

``knowledge_flow_report`` builds the person and team graphs of one organisation for a window and
runs every analytic on them, per organisation and per team, as plain data (dicts, lists,
strings, numbers, None): ready for ``json.dumps``, the CLI and the capacity sub-scores G5, G6,
O4 and O5. Teams are named by their keys; persons by their pseudonymous ids, with their team.
"""

# Graphs are named G (persons) and T (teams), as in networkx.
# ruff: noqa: N803, N806

from __future__ import annotations

import math
import time
from collections.abc import Callable
from datetime import datetime
from typing import Any, TypeVar

import networkx as nx

from learningorg._collector import collector_paused
from learningorg.projections.knowledge_flow.centrality import (
    betweenness_gini,
    broker_cross_team_share,
    brokers,
    in_and_out_strength,
    structural_holes,
    top_brokers,
)
from learningorg.projections.knowledge_flow.cohesion import (
    communities,
    cross_team_share,
    flow_hierarchy,
    fragile_ties,
    fragmentation,
    reciprocities,
    silo_index,
    undirected,
)
from learningorg.projections.knowledge_flow.graph import (
    DEFAULT_HALF_LIFE_DAYS,
    DEFAULT_WINDOW_DAYS,
    FlowHistory,
    build_person_graph,
    build_team_graph,
)
from learningorg.projections.knowledge_flow.teams import (
    boundary_share,
    ei_index,
    internal_density,
    internal_reciprocity,
    team_flows,
)

#: How many persons the report lists by name of measure (brokers, go-to people).
TOP = 10
#: How many brokers the resilience measure O5 looks at.
TOP_BROKERS_O5 = 3
#: How many partner teams and communities each list shows.
TOP_PARTNERS = 5

R = TypeVar("R")


def knowledge_flow_report(
    history: FlowHistory,
    *,
    as_of: datetime | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
    half_life_days: float = DEFAULT_HALF_LIFE_DAYS,
    window_days: float | None = DEFAULT_WINDOW_DAYS,
    top: int = TOP,
    timings: dict[str, float] | None = None,
) -> dict[str, Any]:
    """The knowledge-flow analytics of one organisation, per organisation and per team.

    Parameters
    ----------
    history : History or StoredHistory
        One organisation's history (retractions applied): in memory, or streamed from a store
        (``StoredHistory.read``; memory bounded by persons and teams, not events).
    as_of, since, until : datetime, optional
        The evaluation moment and the window of event times, as in ``build_person_graph``.
    half_life_days : float
        The half-life of a contribution's weight, as in ``build_person_graph``.
    window_days : float or None
        How far back events count, as in ``build_person_graph``.
    top : int
        How many persons to list per ranking.
    timings : dict, optional
        When given, filled with the seconds each step took (graph, each analytic).

    Returns
    -------
    dict
        JSON-ready: ``organisation`` (key), ``window``, ``size``, ``measures`` (organisation
        wide: reciprocity, silo index, cross-team share, largest component share, flow
        hierarchy, fragmentation, communities, brokers with structural holes, betweenness
        Gini and the top-3 brokers' share of cross-team flow, go-to people, fragile ties) and
        ``teams`` (per team key: members, internal flow, inflow, outflow, boundary share,
        E-I index, partner teams, internal density and reciprocity, brokers and cut points in
        it). Undefined values (no flow) are None.

    Examples
    --------
    >>> from datetime import UTC, datetime
    >>> from learningorg.application import Records
    >>> from learningorg.projections.history import load_history
    >>> records = Records("memory://")
    >>> at = datetime(2025, 1, 1, tzinfo=UTC)
    >>> _ = records.register_organisation("org")
    >>> for team, person in (("A", "ann"), ("B", "bob")):
    ...     _ = records.register_team("org", team, occurred_at=at)
    ...     _ = records.register_person("org", person, occurred_at=at)
    ...     _ = records.add_member("org", team, person, occurred_at=at)
    >>> _ = records.seek_advice("org", "bob", from_person="ann", occurred_at=at)
    >>> report = knowledge_flow_report(load_history(records, "org"), as_of=at)
    >>> report["measures"]["cross_team_share"], report["teams"]["A"]["partner_teams"]
    (1.0, 1)
    >>> records.close()
    """
    clock = timings if timings is not None else {}

    def timed(label: str, call: Callable[[], R]) -> R:
        started = time.perf_counter()
        result = call()
        clock[label] = clock.get(label, 0.0) + time.perf_counter() - started
        return result

    with collector_paused():
        G = timed(
            "person graph",
            lambda: build_person_graph(
                history,
                as_of=as_of,
                since=since,
                until=until,
                half_life_days=half_life_days,
                window_days=window_days,
            ),
        )
        T = timed("team graph", lambda: build_team_graph(G))
        measures = _organisation(G, top, timed)
        teams = timed("teams", lambda: _teams(G, T, measures))
    graph = G.graph
    report = {
        "organisation": history.organisation,
        "window": {
            "as_of": graph["as_of"],
            "since": graph.get("since"),
            "until": graph.get("until"),
            "half_life_days": graph["half_life_days"],
            "window_days": graph.get("window_days"),
        },
        "size": {
            "persons": G.number_of_nodes(),
            "teams": T.number_of_nodes(),
            "ties": G.number_of_edges(),
            "team_links": T.number_of_edges(),
            "flow_weight": G.size(weight="weight"),
        },
        "measures": measures,
        "teams": teams,
    }
    return _plain(report)  # type: ignore[no-any-return]


Timer = Callable[[str, Callable[[], Any]], Any]


def _person(G: nx.DiGraph, node: Any, **values: Any) -> dict[str, Any]:
    return {"person": node, "team": G.nodes[node].get("team"), **values}


def _organisation(G: nx.DiGraph, top: int, timed: Timer) -> dict[str, Any]:
    """The organisation-wide measures."""
    in_strength, out_strength = timed("strength", lambda: in_and_out_strength(G))
    brokerage = timed("brokers (betweenness)", lambda: brokers(G))
    chosen = top_brokers(brokerage, top)
    holes = timed("structural holes (top brokers)", lambda: structural_holes(G, nodes=chosen))
    flow = timed("undirected flow", lambda: undirected(G))
    found_communities = timed("communities (Louvain)", lambda: communities(G, flow=flow))
    ties = timed("fragile ties", lambda: fragile_ties(G, flow=flow))
    pieces = timed("fragmentation", lambda: fragmentation(G))
    mutual = timed("reciprocity", lambda: reciprocities(G))

    def ranked(values: dict[Any, float]) -> list[Any]:
        order = sorted(values.items(), key=lambda kv: (-kv[1], str(kv[0])))
        return [node for node, value in order[:top] if value > 0]

    betweenness = brokerage["betweenness"]
    teams = dict(G.nodes(data="team"))
    largest = []
    for members in found_communities["communities"][:TOP_PARTNERS]:
        counts: dict[str, int] = {}
        for node in members:
            key = teams.get(node)
            if key is not None:
                counts[key] = counts.get(key, 0) + 1
        largest.append({"size": len(members), "teams": dict(sorted(counts.items()))})
    return {
        "reciprocity": mutual[0],
        "weighted_reciprocity": mutual[1],
        "silo_index": timed("silo index (modularity)", lambda: silo_index(G)),
        "cross_team_share": timed("cross-team share", lambda: cross_team_share(G)),
        "largest_component_share": pieces["largest_share"],
        "flow_hierarchy": timed("flow hierarchy", lambda: flow_hierarchy(G, weight="weight")),
        "fragmentation": {
            "components": pieces["components"],
            "largest_sizes": pieces["sizes"][:TOP_PARTNERS],
            "isolates": pieces["isolates"],
        },
        "communities": {
            "count": found_communities["count"],
            "spanning": found_communities["spanning"],
            "spanning_share": found_communities["spanning_share"],
            "modularity": found_communities["modularity"],
            "seed": found_communities["seed"],
            "largest": largest,
        },
        "brokers": {
            "sampled": brokerage["sampled"],
            "k": brokerage["k"],
            "seed": brokerage["seed"],
            "betweenness_gini": timed(
                "betweenness Gini", lambda: betweenness_gini(G, brokerage=brokerage)
            ),
            "top_broker_cross_team_share": timed(
                "top-3 brokers' cross-team share",
                lambda: broker_cross_team_share(G, top=TOP_BROKERS_O5, brokerage=brokerage),
            ),
            "top": [
                _person(
                    G,
                    node,
                    betweenness=betweenness[node],
                    constraint=holes[node]["constraint"],
                    effective_size=holes[node]["effective_size"],
                    out_strength=out_strength[node],
                    in_strength=in_strength[node],
                )
                for node in chosen
            ],
        },
        "go_to_people": [
            _person(G, node, out_strength=out_strength[node], in_strength=in_strength[node])
            for node in ranked(out_strength)
        ],
        "most_receiving": [
            _person(G, node, in_strength=in_strength[node], out_strength=out_strength[node])
            for node in ranked(in_strength)
        ],
        "fragile_ties": {
            "bridges": [
                {
                    "source": a,
                    "target": b,
                    "source_team": teams.get(a),
                    "target_team": teams.get(b),
                    "weight": weight,
                }
                for a, b, weight in ties["bridges"]
            ],
            "articulation_points": [_person(G, node) for node in ties["articulation_points"]],
        },
    }


def _teams(G: nx.DiGraph, T: nx.DiGraph, measures: dict[str, Any]) -> dict[str, Any]:
    """The per-team measures, keyed by team key."""
    flows = team_flows(T)
    ei = ei_index(T)
    share = boundary_share(T)
    density = internal_density(G)
    mutual = internal_reciprocity(G)
    top = measures["brokers"]["top"]
    cuts = measures["fragile_ties"]["articulation_points"]
    found: dict[str, Any] = {}
    for team in sorted(T, key=str):
        flow = flows[team]
        exchanged = {
            other: T[team][other]["weight"] if T.has_edge(team, other) else 0.0
            for other in flow["partners"]
        }
        for other in flow["partners"]:
            if T.has_edge(other, team):
                exchanged[other] += T[other][team]["weight"]
        partners = sorted(exchanged.items(), key=lambda kv: (-kv[1], kv[0]))[:TOP_PARTNERS]
        data = T.nodes[team]
        found[team] = {
            "name": data.get("name", team),
            "members": data.get("members", 0),
            "internal_weight": flow["internal"],
            "inflow": flow["inflow"],
            "outflow": flow["outflow"],
            "boundary_share": share[team],
            "ei_index": ei[team],
            "partner_teams": len(flow["partners"]),
            "top_partners": [{"team": key, "weight": weight} for key, weight in partners],
            "internal_density": density.get(team),
            "internal_reciprocity": mutual.get(team),
            "top_brokers": sum(1 for entry in top if entry["team"] == team),
            "articulation_points": sum(1 for entry in cuts if entry["team"] == team),
        }
    return found


def _plain(value: Any) -> Any:
    """JSON-ready: datetimes as ISO strings, tuples as lists, NaN and infinities as None."""
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


__all__ = ["TOP", "TOP_BROKERS_O5", "knowledge_flow_report"]
