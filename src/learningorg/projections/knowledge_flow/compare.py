"""Two snapshots of the flow compared: what changed after an intervention (projections layer)."""

# Graphs are named G, as in networkx, whose conventions these functions follow.
# ruff: noqa: N803

from __future__ import annotations

from typing import Any, TypedDict

import networkx as nx


class SnapshotDiff(TypedDict):
    """What changed between two knowledge-flow graphs."""

    #: Cross-team ties (source, recipient) in the second graph and not in the first.
    new_cross_team_ties: list[tuple[Any, Any]]
    #: Cross-team ties in the first graph and not in the second.
    lost_cross_team_ties: list[tuple[Any, Any]]
    #: Pairs of teams (source team, recipient team) linked only in the second graph.
    new_team_links: list[tuple[str, str]]
    #: Pairs of teams linked only in the first graph.
    lost_team_links: list[tuple[str, str]]
    #: ``|E1 & E2| / |E1 | E2|`` of the directed edge sets (1.0 when both have none).
    edge_jaccard: float
    edges_before: int
    edges_after: int
    common_edges: int


def _cross_team_ties(G: nx.DiGraph) -> set[tuple[Any, Any]]:
    if G.graph.get("level") == "team":
        return {(u, v) for u, v in G.edges() if u != v}
    return {(u, v) for u, v, cross in G.edges(data="cross_team", default=False) if cross}


def _team_links(G: nx.DiGraph) -> set[tuple[str, str]]:
    if G.graph.get("level") == "team":
        return {(str(u), str(v)) for u, v in G.edges() if u != v}
    teams = dict(G.nodes(data="team"))
    return {
        (teams[u], teams[v])
        for u, v in G.edges()
        if teams.get(u) is not None and teams.get(v) is not None and teams[u] != teams[v]
    }


def diff_snapshots(G1: nx.DiGraph, G2: nx.DiGraph) -> SnapshotDiff:
    """Compare two snapshots (e.g. the year before and the year after an intervention).

    Works on two person graphs or two team graphs. On person graphs, cross-team ties are edges
    with ``cross_team`` set, and team links are pairs of the persons' teams at each snapshot's
    moment; on team graphs both are the edges.

    Examples
    --------
    >>> import networkx as nx
    >>> before = nx.DiGraph(level="team")
    >>> before.add_edges_from([("A", "B"), ("B", "C")])
    >>> after = nx.DiGraph(level="team")
    >>> after.add_edges_from([("A", "B"), ("C", "A")])
    >>> diff = diff_snapshots(before, after)
    >>> diff["new_team_links"], diff["lost_team_links"], round(diff["edge_jaccard"], 4)
    ([('C', 'A')], [('B', 'C')], 0.3333)
    """
    edges1, edges2 = set(G1.edges()), set(G2.edges())
    union = edges1 | edges2
    common = edges1 & edges2
    ties1, ties2 = _cross_team_ties(G1), _cross_team_ties(G2)
    links1, links2 = _team_links(G1), _team_links(G2)

    def ordered(pairs: set[Any]) -> list[Any]:
        return sorted(pairs, key=lambda pair: (str(pair[0]), str(pair[1])))

    return {
        "new_cross_team_ties": ordered(ties2 - ties1),
        "lost_cross_team_ties": ordered(ties1 - ties2),
        "new_team_links": ordered(links2 - links1),
        "lost_team_links": ordered(links1 - links2),
        "edge_jaccard": len(common) / len(union) if union else 1.0,
        "edges_before": len(edges1),
        "edges_after": len(edges2),
        "common_edges": len(common),
    }


__all__ = ["SnapshotDiff", "diff_snapshots"]
