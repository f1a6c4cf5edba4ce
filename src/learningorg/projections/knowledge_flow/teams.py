"""Teams in the flow: boundary crossing, E-I index, internal cohesion (projections layer).

Per-team measures, results as ``dict[team key, value]``. The boundary measures (capacity G5)
read a *team graph* (``build_team_graph``), whose edges and ``internal_weight`` take each
contribution with the teams at its event's time; given a person graph from
``build_person_graph`` they build its team graph first (pass the team graph when calling
several of them). The cohesion measures (G6) read a *person graph*: the ties among the persons
who are members of the team at ``t``.
"""

# Graphs are named G, as in networkx, whose conventions these functions follow.
# ruff: noqa: N803

from __future__ import annotations

from typing import Any, TypedDict

import networkx as nx

from learningorg.projections.knowledge_flow.graph import build_team_graph


def as_team_graph(G: nx.DiGraph) -> nx.DiGraph:
    """``G`` itself when it is a team graph, else the team graph of the person graph ``G``.

    Examples
    --------
    >>> import networkx as nx
    >>> T = nx.DiGraph(level="team")
    >>> as_team_graph(T) is T
    True
    """
    if G.graph.get("level") == "team":
        return G
    return build_team_graph(G)


class TeamFlow(TypedDict):
    """A team's flow: within it, into it from other teams, out of it to other teams."""

    internal: float
    inflow: float
    outflow: float
    #: Other teams it exchanged knowledge with, either way.
    partners: list[str]


def team_flows(G: nx.DiGraph, *, weight: str = "weight") -> dict[str, TeamFlow]:
    """Per team: internal flow, inflow, outflow and partner teams (team graph, or person graph).

    ``internal`` is the node attribute ``internal_<weight>`` (``internal_weight`` or
    ``internal_count``).

    Examples
    --------
    >>> import networkx as nx
    >>> T = nx.DiGraph(level="team")
    >>> T.add_node("A", internal_weight=3.0)
    >>> T.add_node("B", internal_weight=0.0)
    >>> T.add_edge("A", "B", weight=1.0)
    >>> team_flows(T)["A"]
    {'internal': 3.0, 'inflow': 0.0, 'outflow': 1.0, 'partners': ['B']}
    """
    teams = as_team_graph(G)
    found: dict[str, TeamFlow] = {}
    for team, data in teams.nodes(data=True):
        succ, pred = teams._succ[team], teams._pred[team]
        partners = {t for t in succ if t != team} | {t for t in pred if t != team}
        found[team] = {
            "internal": float(data.get(f"internal_{weight}", 0.0)),
            "inflow": sum((float(d.get(weight, 0.0)) for d in pred.values()), 0.0),
            "outflow": sum((float(d.get(weight, 0.0)) for d in succ.values()), 0.0),
            "partners": sorted(partners, key=str),
        }
    return found


def ei_index(G: nx.DiGraph, *, weight: str = "weight") -> dict[str, float | None]:
    """Krackhardt and Stern's E-I index per team, on flow weight: ``(E - I) / (E + I)``.

    ``E`` is the flow crossing the team's boundary (in and out), ``I`` the flow within it.
    -1: all flow stays inside (a silo); +1: all of it crosses. None for a team without flow.

    Examples
    --------
    >>> import networkx as nx
    >>> T = nx.DiGraph(level="team")
    >>> T.add_node("A", internal_weight=3.0)
    >>> T.add_node("B", internal_weight=0.0)
    >>> T.add_edge("A", "B", weight=1.0)
    >>> ei_index(T)
    {'A': -0.5, 'B': 1.0}
    """
    found: dict[str, float | None] = {}
    for team, flow in team_flows(G, weight=weight).items():
        external = flow["inflow"] + flow["outflow"]
        total = external + flow["internal"]
        found[team] = (external - flow["internal"]) / total if total > 0 else None
    return found


def boundary_share(G: nx.DiGraph, *, weight: str = "weight") -> dict[str, float | None]:
    """The share of a team's flow weight that crosses its boundary: ``E / (E + I)`` (G5).

    Examples
    --------
    >>> import networkx as nx
    >>> T = nx.DiGraph(level="team")
    >>> T.add_node("A", internal_weight=3.0)
    >>> T.add_node("B", internal_weight=0.0)
    >>> T.add_edge("A", "B", weight=1.0)
    >>> boundary_share(T)
    {'A': 0.25, 'B': 1.0}
    """
    found: dict[str, float | None] = {}
    for team, flow in team_flows(G, weight=weight).items():
        external = flow["inflow"] + flow["outflow"]
        total = external + flow["internal"]
        found[team] = external / total if total > 0 else None
    return found


def partner_teams(G: nx.DiGraph) -> dict[str, int]:
    """The number of distinct other teams a team exchanged knowledge with, either way (G5).

    Examples
    --------
    >>> import networkx as nx
    >>> T = nx.DiGraph(level="team")
    >>> T.add_edges_from([("A", "B"), ("C", "A"), ("B", "A")], weight=1.0)
    >>> partner_teams(T)
    {'A': 2, 'B': 1, 'C': 1}
    """
    return {team: len(flow["partners"]) for team, flow in team_flows(G).items()}


def _members(G: nx.DiGraph) -> dict[str, list[Any]]:
    """Team key -> the persons in it at ``t`` (``member`` attribute; True when absent)."""
    found: dict[str, list[Any]] = {}
    for node, data in G.nodes(data=True):
        team = data.get("team")
        if team is not None and data.get("member", True):
            found.setdefault(team, []).append(node)
    return found


def internal_density(G: nx.DiGraph) -> dict[str, float | None]:
    """Per team, the density of ties among its members: ``ties / (m (m - 1))`` (G6).

    Members are the persons in the team at ``t`` (node attributes ``team`` and ``member``);
    a tie is an edge either way between two of them. None for a team of fewer than two.

    Examples
    --------
    >>> import networkx as nx
    >>> G = nx.DiGraph()
    >>> G.add_nodes_from(["a", "b", "c"], team="A", member=True)
    >>> G.add_edges_from([("a", "b"), ("b", "a"), ("a", "c")])
    >>> internal_density(G)
    {'A': 0.5}
    """
    found: dict[str, float | None] = {}
    for team, members in _members(G).items():
        m = len(members)
        if m < 2:
            found[team] = None
            continue
        inside = set(members)
        ties = sum(1 for u in members for v in G._succ[u] if v in inside and v != u)
        found[team] = ties / (m * (m - 1))
    return found


def internal_reciprocity(G: nx.DiGraph) -> dict[str, float | None]:
    """Per team, the share of ties among its members that go both ways (G6).

    None for a team without internal ties.

    Examples
    --------
    >>> import networkx as nx
    >>> G = nx.DiGraph()
    >>> G.add_nodes_from(["a", "b", "c"], team="A", member=True)
    >>> G.add_edges_from([("a", "b"), ("b", "a"), ("a", "c")])
    >>> internal_reciprocity(G)
    {'A': 0.6666666666666666}
    """
    found: dict[str, float | None] = {}
    for team, members in _members(G).items():
        inside = set(members)
        ties = mutual = 0
        for u in members:
            for v in G._succ[u]:
                if v in inside and v != u:
                    ties += 1
                    mutual += 1 if u in G._succ[v] else 0
        found[team] = mutual / ties if ties else None
    return found


__all__ = [
    "TeamFlow",
    "as_team_graph",
    "boundary_share",
    "ei_index",
    "internal_density",
    "internal_reciprocity",
    "partner_teams",
    "team_flows",
]
