"""How the organisation hangs together: silos, communities, fragile ties (projections layer).

Functions in the style of networkx on a person graph from ``build_person_graph`` (edges from
knowledge source to recipient, node attribute ``team``), most of them on any weighted
``networkx.DiGraph``. Several are written out rather than delegated to networkx because they
must run on a graph of 5,000 persons and 300,000 ties within the performance target of
DESIGN.md section 8; the tests check them against networkx on random graphs.
"""

# Graphs are named G, as in networkx, whose conventions these functions follow.
# ruff: noqa: N803

from __future__ import annotations

import random
from collections.abc import Hashable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any, TypedDict

import networkx as nx

#: The seed of Louvain's random node order, fixed so the same graph gives the same communities.
LOUVAIN_SEED = 42


def _edge_weight(data: Mapping[str, Any], weight: str | None) -> float:
    return 1.0 if weight is None else float(data.get(weight, 1.0))


def reciprocity(G: nx.DiGraph, *, weight: str | None = None) -> float | None:
    """How mutual the flow is: the share of ties that go both ways.

    Unweighted (``weight=None``) it is networkx's ``overall_reciprocity``: the share of edges
    whose reverse edge exists. Weighted it is ``sum(min(w_uv, w_vu)) / sum(w_uv)`` over all
    edges: the part of the flow that is returned in kind. None for a graph without edges.

    Examples
    --------
    >>> import networkx as nx
    >>> G = nx.DiGraph()
    >>> G.add_weighted_edges_from([("a", "b", 2.0), ("b", "a", 1.0), ("a", "c", 1.0)])
    >>> reciprocity(G)
    0.6666666666666666
    >>> reciprocity(G, weight="weight")
    0.5
    """
    if weight is None:
        return reciprocities(G)[0]
    return reciprocities(G, weight=weight)[1]


def reciprocities(G: nx.DiGraph, *, weight: str = "weight") -> tuple[float | None, float | None]:
    """Unweighted and weighted ``reciprocity`` in one pass over the edges.

    Examples
    --------
    >>> import networkx as nx
    >>> G = nx.DiGraph()
    >>> G.add_weighted_edges_from([("a", "b", 2.0), ("b", "a", 1.0), ("a", "c", 1.0)])
    >>> reciprocities(G)
    (0.6666666666666666, 0.5)
    """
    edges = mutual_edges = total = mutual = 0.0
    succ = G._succ
    for u, successors in succ.items():
        for v, data in successors.items():
            w = _edge_weight(data, weight)
            edges += 1
            total += w
            back = succ[v].get(u)
            if back is not None and u != v:
                mutual_edges += 1
                mutual += min(w, _edge_weight(back, weight))
    return (
        mutual_edges / edges if edges else None,
        mutual / total if total > 0 else None,
    )


def team_partition(G: nx.DiGraph) -> dict[Any, Hashable]:
    """Node -> its group by team: the ``team`` attribute, or the node itself when it has none.

    Examples
    --------
    >>> import networkx as nx
    >>> G = nx.DiGraph()
    >>> G.add_node("a", team="A")
    >>> G.add_node("g")
    >>> team_partition(G)
    {'a': ('team', 'A'), 'g': ('alone', 'g')}
    """
    return {
        node: ("team", team) if team is not None else ("alone", node)
        for node, team in G.nodes(data="team")
    }


def modularity(
    G: nx.DiGraph,
    partition: Mapping[Any, Hashable],
    *,
    weight: str | None = "weight",
    resolution: float = 1.0,
) -> float | None:
    """Modularity of a partition given as node -> group (directed: Leicht and Newman).

    The same value as ``networkx.community.modularity`` for the groups, in one pass over the
    edges. None for a graph without weight.

    Examples
    --------
    >>> import networkx as nx
    >>> G = nx.DiGraph()
    >>> G.add_weighted_edges_from([("a", "b", 1.0), ("b", "a", 1.0), ("c", "d", 1.0)])
    >>> modularity(G, {"a": 1, "b": 1, "c": 2, "d": 2})
    0.4444444444444444
    """
    internal: dict[Hashable, float] = {}
    out_sum: dict[Hashable, float] = {}
    in_sum: dict[Hashable, float] = {}
    m = 0.0
    for u, successors in G._succ.items():
        group_u = partition[u]
        for v, data in successors.items():
            w = _edge_weight(data, weight)
            m += w
            group_v = partition[v]
            out_sum[group_u] = out_sum.get(group_u, 0.0) + w
            in_sum[group_v] = in_sum.get(group_v, 0.0) + w
            if group_u == group_v:
                internal[group_u] = internal.get(group_u, 0.0) + w
    if m <= 0:
        return None
    groups = set(out_sum) | set(in_sum)
    return sum(
        internal.get(g, 0.0) / m - resolution * out_sum.get(g, 0.0) * in_sum.get(g, 0.0) / m**2
        for g in groups
    )


def silo_index(G: nx.DiGraph, *, weight: str | None = "weight") -> float | None:
    """The silo index: modularity of the partition of persons by team (O4).

    Near 0: knowledge flows across teams as much as one would expect by chance; towards 1:
    teams are silos. Persons without a team are each a group of their own. None for a graph
    without flow.

    Examples
    --------
    >>> import networkx as nx
    >>> G = nx.DiGraph()
    >>> G.add_nodes_from(["a1", "a2"], team="A")
    >>> G.add_nodes_from(["b1", "b2"], team="B")
    >>> G.add_weighted_edges_from([("a1", "a2", 1.0), ("b1", "b2", 1.0)])
    >>> silo_index(G)
    0.5
    """
    return modularity(G, team_partition(G), weight=weight)


@dataclass(frozen=True)
class UndirectedFlow:
    """The flow with both directions summed, as adjacency lists over node numbers.

    ``nodes[i]`` is node ``i``; ``adjacency[i]`` maps each neighbour's number to the summed
    weight of the tie, neighbours in the order ``networkx.Graph`` would hold them had the ties
    been added in ``G.edges()`` order (so algorithms over it visit them as networkx would).
    Build it once with ``undirected(G)`` and hand it to ``communities`` and ``fragile_ties``.
    """

    nodes: list[Any]
    adjacency: list[dict[int, float]]


def undirected(G: nx.DiGraph, *, weight: str | None = "weight") -> UndirectedFlow:
    """The undirected flow of ``G``: each tie's weight the SUM of both directions (no loops).

    Examples
    --------
    >>> import networkx as nx
    >>> G = nx.DiGraph()
    >>> G.add_weighted_edges_from([("a", "b", 2.0), ("b", "a", 0.5), ("b", "c", 1.0)])
    >>> flow = undirected(G)
    >>> flow.nodes, flow.adjacency
    (['a', 'b', 'c'], [{1: 2.5}, {0: 2.5, 2: 1.0}, {1: 1.0}])
    """
    nodes = list(G)
    index = {node: i for i, node in enumerate(nodes)}
    adjacency: list[dict[int, float]] = [{} for _ in nodes]
    for u, successors in G._succ.items():
        i = index[u]
        around = adjacency[i]
        for v, data in successors.items():
            if v == u:
                continue
            j = index[v]
            w = around.get(j, 0.0) + _edge_weight(data, weight)
            around[j] = w
            adjacency[j][i] = w
    return UndirectedFlow(nodes, adjacency)


def undirected_flow(G: nx.DiGraph, *, weight: str | None = "weight") -> nx.Graph:
    """An undirected copy whose edge weight is the SUM of both directions' weights.

    (``G.to_undirected()`` would keep one direction's attributes; fragile ties need the
    whole tie between two persons.)

    Examples
    --------
    >>> import networkx as nx
    >>> G = nx.DiGraph()
    >>> G.add_weighted_edges_from([("a", "b", 2.0), ("b", "a", 0.5)])
    >>> undirected_flow(G)["a"]["b"]["weight"]
    2.5
    """
    flow = undirected(G, weight=weight)
    graph = nx.Graph()
    graph.add_nodes_from(G)
    graph.add_weighted_edges_from(
        (flow.nodes[i], flow.nodes[j], w) for i, j, w in _edges_in_order(flow.adjacency) if i != j
    )
    return graph


def _edges_in_order(adjacency: list[dict[int, float]]) -> list[tuple[int, int, float]]:
    """Each undirected edge once, in ``networkx.Graph.edges()`` order."""
    edges: list[tuple[int, int, float]] = []
    for u, around in enumerate(adjacency):
        for v, w in around.items():
            if v >= u:
                edges.append((u, v, w))
    return edges


class Communities(TypedDict):
    """Louvain communities and how they relate to the teams."""

    #: The communities, largest first, each a sorted list of nodes.
    communities: list[list[Any]]
    #: Number of communities.
    count: int
    #: Communities whose members come from more than one team.
    spanning: int
    #: ``spanning`` over the communities of at least two persons (None: there are none).
    spanning_share: float | None
    #: Modularity of the Louvain partition on the directed flow (compare with the silo index).
    modularity: float | None
    #: The seed of Louvain's node order.
    seed: int


def communities(
    G: nx.DiGraph,
    *,
    weight: str | None = "weight",
    seed: int = LOUVAIN_SEED,
    flow: UndirectedFlow | None = None,
) -> Communities:
    """Louvain communities of the flow, and the share of them that span teams.

    Where the communities the flow forms coincide with teams, the teams are silos; where they
    span teams, knowledge has found its own routes. Louvain (Blondel et al. 2008) on the
    undirected flow (``undirected_flow``: both directions summed), with a fixed ``seed``: the
    same communities as ``networkx.community.louvain_communities(undirected_flow(G),
    seed=seed)``, computed over adjacency lists (several times faster on large graphs).
    ``flow`` reuses an ``undirected(G)`` already built.

    Examples
    --------
    >>> import networkx as nx
    >>> G = nx.DiGraph()
    >>> G.add_nodes_from(["a1", "a2"], team="A")
    >>> G.add_nodes_from(["b1", "b2"], team="B")
    >>> G.add_weighted_edges_from([("a1", "b1", 1.0), ("b1", "a1", 1.0), ("a2", "b2", 1.0)])
    >>> found = communities(G)
    >>> found["count"], found["spanning"], found["spanning_share"]
    (2, 2, 1.0)
    """
    flow = undirected(G, weight=weight) if flow is None else flow
    found = [[flow.nodes[i] for i in group] for group in louvain(flow.adjacency, seed=seed)]
    ordered = sorted((sorted(c, key=str) for c in found), key=lambda c: (-len(c), str(c[0])))
    teams = dict(G.nodes(data="team"))
    groups = [c for c in ordered if len(c) > 1]
    spanning = sum(1 for c in groups if len({teams[n] for n in c if teams[n] is not None}) > 1)
    label = {node: i for i, c in enumerate(ordered) for node in c}
    return {
        "communities": ordered,
        "count": len(ordered),
        "spanning": spanning,
        "spanning_share": spanning / len(groups) if groups else None,
        "modularity": modularity(G, label, weight=weight),
        "seed": seed,
    }


def louvain(
    adjacency: list[dict[int, float]],
    *,
    seed: int = LOUVAIN_SEED,
    resolution: float = 1.0,
    threshold: float = 1e-7,
) -> list[set[int]]:
    """Louvain communities of an undirected weighted graph given as adjacency dicts.

    The steps of ``networkx.community.louvain_communities`` for an undirected graph (one random
    generator for every level's node order, the same gain, the same stopping rule), so the same
    seed gives the same communities; without building networkx graphs at each level.

    Examples
    --------
    A triangle 0-1-2 tied weakly (0.1) from 2 to a pair 3-4:

    >>> adjacency = [
    ...     {1: 1.0, 2: 1.0},
    ...     {0: 1.0, 2: 1.0},
    ...     {0: 1.0, 1: 1.0, 3: 0.1},
    ...     {2: 0.1, 4: 1.0},
    ...     {3: 1.0},
    ... ]
    >>> sorted(sorted(group) for group in louvain(adjacency))
    [[0, 1, 2], [3, 4]]
    """
    rng = random.Random(seed)
    n = len(adjacency)
    partition: list[set[int]] = [{u} for u in range(n)]
    edges = _edges_in_order(adjacency)
    if not edges:
        return partition
    graph = _rebuild(n, edges)
    mod = _undirected_modularity(graph, [{u} for u in range(n)], resolution)
    m = sum(_degrees(graph)) / 2
    members: list[set[int]] = [{u} for u in range(n)]
    partition, inner, improvement = _one_level(graph, m, partition, members, resolution, rng)
    while True:
        found = [set(group) for group in partition]
        new_mod = _undirected_modularity(graph, inner, resolution)
        if new_mod - mod <= threshold:
            return found
        mod = new_mod
        graph, members = _aggregate(graph, inner, members)
        partition, inner, improvement = _one_level(graph, m, partition, members, resolution, rng)
        if not improvement:
            return found


def _rebuild(n: int, edges: list[tuple[int, int, float]]) -> list[dict[int, float]]:
    """A graph from edges added in order (``Graph.add_weighted_edges_from``)."""
    graph: list[dict[int, float]] = [{} for _ in range(n)]
    for u, v, w in edges:
        graph[u][v] = w
        graph[v][u] = w
    return graph


def _degrees(graph: list[dict[int, float]]) -> list[float]:
    """Weighted degrees, a self-loop counted twice (``Graph.degree``)."""
    return [sum(around.values()) + around.get(u, 0.0) for u, around in enumerate(graph)]


def _undirected_modularity(
    graph: list[dict[int, float]], groups: list[set[int]], resolution: float
) -> float:
    """Modularity of ``groups`` (``networkx.community.modularity`` of an undirected graph)."""
    degrees = _degrees(graph)
    total = sum(degrees)
    m = total / 2
    norm = 1 / total**2
    found = 0.0
    for group in groups:
        inside = sum(w for u in group for v, w in graph[u].items() if v in group and v >= u)
        degree = sum(degrees[u] for u in group)
        found += inside / m - resolution * degree * degree * norm
    return found


def _one_level(
    graph: list[dict[int, float]],
    m: float,
    partition: list[set[int]],
    members: list[set[int]],
    resolution: float,
    rng: random.Random,
) -> tuple[list[set[int]], list[set[int]], bool]:
    """Local moves until none helps (``networkx``'s ``_one_level`` for an undirected graph).

    ``partition`` (original nodes per community, one per node of ``graph``) is updated in
    place; ``members[u]`` are the original nodes of ``graph``'s node ``u``.
    """
    n = len(graph)
    node2com = list(range(n))
    inner: list[set[int]] = [{u} for u in range(n)]
    degrees = _degrees(graph)
    totals = list(degrees)
    neighbours = [{v: w for v, w in around.items() if v != u} for u, around in enumerate(graph)]
    order = list(range(n))
    rng.shuffle(order)
    two_m2 = 2 * m**2
    moves = 1
    improvement = False
    while moves > 0:
        moves = 0
        for u in order:
            best_gain = 0.0
            current = best = node2com[u]
            weights: dict[int, float] = {}
            for v, w in neighbours[u].items():
                c = node2com[v]
                weights[c] = weights.get(c, 0.0) + w
            degree = degrees[u]
            totals[current] -= degree
            remove_cost = (
                -weights.setdefault(current, 0.0) / m
                + resolution * (totals[current] * degree) / two_m2
            )
            for c, w in weights.items():
                gain = remove_cost + w / m - resolution * (totals[c] * degree) / two_m2
                if gain > best_gain:
                    best_gain = gain
                    best = c
            totals[best] += degree
            if best != current:
                partition[current].difference_update(members[u])
                inner[current].remove(u)
                partition[best].update(members[u])
                inner[best].add(u)
                improvement = True
                moves += 1
                node2com[u] = best
    return [g for g in partition if g], [g for g in inner if g], improvement


def _aggregate(
    graph: list[dict[int, float]], inner: list[set[int]], members: list[set[int]]
) -> tuple[list[dict[int, float]], list[set[int]]]:
    """The graph of communities (``networkx``'s ``_gen_graph``), edges in its order."""
    node2com: dict[int, int] = {}
    merged: list[set[int]] = []
    for i, group in enumerate(inner):
        nodes: set[int] = set()
        for u in group:
            node2com[u] = i
            nodes.update(members[u])
        merged.append(nodes)
    aggregated: list[dict[int, float]] = [{} for _ in inner]
    for u, v, w in _edges_in_order(graph):
        a, b = node2com[u], node2com[v]
        total = w + aggregated[a].get(b, 0.0)
        aggregated[a][b] = total
        aggregated[b][a] = total
    return aggregated, merged


class FragileTies(TypedDict):
    """Ties and persons whose loss would split the flow."""

    #: Undirected ties (a, b, summed weight) whose removal disconnects part of the graph.
    bridges: list[tuple[Any, Any, float]]
    #: Persons whose removal disconnects part of the graph.
    articulation_points: list[Any]


def fragile_ties(
    G: nx.DiGraph, *, weight: str | None = "weight", flow: UndirectedFlow | None = None
) -> FragileTies:
    """Bridges and articulation points of the undirected flow (summed weights of both ways).

    The same sets as ``networkx.bridges`` and ``networkx.articulation_points`` on
    ``undirected_flow(G)``, found in one depth-first pass (Tarjan's low-link), which is much
    faster on large graphs. Bridges are sorted by weight (weakest first), then by node.
    ``flow`` reuses an ``undirected(G)`` already built.

    Examples
    --------
    >>> import networkx as nx
    >>> G = nx.DiGraph()
    >>> G.add_weighted_edges_from(
    ...     [("a", "b", 1.0), ("b", "a", 1.0), ("b", "c", 1.0), ("c", "a", 1.0), ("c", "d", 0.5)]
    ... )
    >>> found = fragile_ties(G)
    >>> found["bridges"], found["articulation_points"]
    ([('c', 'd', 0.5)], ['c'])
    """
    flow = undirected(G, weight=weight) if flow is None else flow
    nodes, adjacency = flow.nodes, flow.adjacency
    found_bridges, cuts = _bridges_and_cuts(adjacency)
    bridges = []
    for u, v in found_bridges:
        a, b = sorted((nodes[u], nodes[v]), key=str)
        bridges.append((a, b, adjacency[u][v]))
    bridges.sort(key=lambda edge: (edge[2], str(edge[0]), str(edge[1])))
    return {"bridges": bridges, "articulation_points": sorted((nodes[c] for c in cuts), key=str)}


def _bridges_and_cuts(adjacency: list[dict[int, float]]) -> tuple[list[tuple[int, int]], set[int]]:
    """Bridges and cut vertices of a simple undirected graph, iteratively (no recursion)."""
    n = len(adjacency)
    index = [-1] * n
    low = [0] * n
    bridges: list[tuple[int, int]] = []
    cuts: set[int] = set()
    counter = 0
    for root in range(n):
        if index[root] >= 0:
            continue
        index[root] = low[root] = counter
        counter += 1
        root_children = 0
        stack: list[tuple[int, int, Iterator[int]]] = [(root, -1, iter(adjacency[root]))]
        while stack:
            v, parent, neighbours = stack[-1]
            for w in neighbours:
                if w in (parent, v):
                    continue
                if index[w] >= 0:
                    if index[w] < low[v]:
                        low[v] = index[w]
                else:
                    index[w] = low[w] = counter
                    counter += 1
                    stack.append((w, v, iter(adjacency[w])))
                    break
            else:
                stack.pop()
                if parent < 0:
                    continue
                if low[v] < low[parent]:
                    low[parent] = low[v]
                if low[v] > index[parent]:
                    bridges.append((parent, v))
                if parent == root:
                    root_children += 1
                elif low[v] >= index[parent]:
                    cuts.add(parent)
        if root_children > 1:
            cuts.add(root)
    return bridges, cuts


def flow_hierarchy(G: nx.DiGraph, *, weight: str | None = None) -> float | None:
    """One-way flow: the share of flow on edges that are in no cycle (Luo and Magee).

    1: knowledge only flows down (a hierarchy, nothing comes back); 0: every tie is part of a
    cycle. The same value as ``networkx.flow_hierarchy``; None for a graph without edges.

    Examples
    --------
    >>> import networkx as nx
    >>> G = nx.DiGraph([("a", "b"), ("b", "a"), ("b", "c")])
    >>> round(flow_hierarchy(G), 4)
    0.3333
    """
    component: dict[Any, int] = {}
    for i, nodes in enumerate(nx.strongly_connected_components(G)):
        for node in nodes:
            component[node] = i
    total = cyclic = 0.0
    for u, successors in G._succ.items():
        mine = component[u]
        for v, data in successors.items():
            w = _edge_weight(data, weight)
            total += w
            if component[v] == mine:
                cyclic += w
    return 1.0 - cyclic / total if total > 0 else None


class Fragmentation(TypedDict):
    """How the flow falls apart into weakly connected pieces."""

    #: Number of weakly connected components.
    components: int
    #: Sizes of the components, largest first.
    sizes: list[int]
    #: Share of the nodes in the largest component (None for an empty graph).
    largest_share: float | None
    #: Nodes without any tie.
    isolates: int


def fragmentation(G: nx.DiGraph) -> Fragmentation:
    """Weakly connected components: how many, their sizes, the share in the largest.

    Examples
    --------
    >>> import networkx as nx
    >>> G = nx.DiGraph([("a", "b"), ("b", "c"), ("d", "e")])
    >>> G.add_node("f")
    >>> fragmentation(G)
    {'components': 3, 'sizes': [3, 2, 1], 'largest_share': 0.5, 'isolates': 1}
    """
    sizes = sorted((len(c) for c in nx.weakly_connected_components(G)), reverse=True)
    n = G.number_of_nodes()
    return {
        "components": len(sizes),
        "sizes": sizes,
        "largest_share": sizes[0] / n if n else None,
        "isolates": sum(1 for node in G if G.degree(node) == 0),
    }


def largest_component_share(G: nx.DiGraph) -> float | None:
    """The share of the nodes in the largest weakly connected component (O4).

    Examples
    --------
    >>> import networkx as nx
    >>> G = nx.DiGraph([("a", "b"), ("c", "d")])
    >>> largest_component_share(G)
    0.5
    """
    return fragmentation(G)["largest_share"]


def cross_team_share(G: nx.DiGraph) -> float | None:
    """The share of the flow weight whose source and recipient were in different teams (O4).

    On a person graph: the summed ``cross_team_weight`` over the summed ``weight`` (each
    contribution judged by the teams at its event's time). On a team graph (``level`` "team"):
    the edges' weight over all flow, internal and unassigned included, which gives the same
    number. None when nothing flowed.

    Examples
    --------
    >>> import networkx as nx
    >>> G = nx.DiGraph()
    >>> G.add_edge("a", "b", weight=3.0, cross_team_weight=1.0)
    >>> G.add_edge("b", "a", weight=1.0, cross_team_weight=0.0)
    >>> cross_team_share(G)
    0.25
    """
    if G.graph.get("level") == "team":
        crossing = sum(w for _, _, w in G.edges(data="weight", default=0.0))
        internal = sum(w for _, w in G.nodes(data="internal_weight", default=0.0))
        total = crossing + internal + float(G.graph.get("unassigned_weight", 0.0))
    else:
        crossing = total = 0.0
        for successors in G._succ.values():
            for data in successors.values():
                total += data.get("weight", 0.0)
                crossing += data.get("cross_team_weight", 0.0)
    return crossing / total if total > 0 else None


class Connectedness(TypedDict):
    """The organisation-wide measures of capacity sub-score O4."""

    modularity: float | None
    largest_component_share: float | None
    cross_team_share: float | None


def connectedness(G: nx.DiGraph) -> Connectedness:
    """O4's inputs: silo index (modularity of the team partition), largest weakly connected
    component share and cross-team share, from one person graph.

    Examples
    --------
    >>> import networkx as nx
    >>> G = nx.DiGraph()
    >>> G.add_node("a", team="A")
    >>> G.add_node("b", team="B")
    >>> G.add_edge("a", "b", weight=1.0, cross_team_weight=1.0)
    >>> connectedness(G)
    {'modularity': 0.0, 'largest_component_share': 1.0, 'cross_team_share': 1.0}
    """
    return {
        "modularity": silo_index(G),
        "largest_component_share": largest_component_share(G),
        "cross_team_share": cross_team_share(G),
    }


__all__ = [
    "LOUVAIN_SEED",
    "Communities",
    "Connectedness",
    "FragileTies",
    "Fragmentation",
    "UndirectedFlow",
    "communities",
    "connectedness",
    "cross_team_share",
    "flow_hierarchy",
    "fragile_ties",
    "fragmentation",
    "largest_component_share",
    "louvain",
    "modularity",
    "reciprocities",
    "reciprocity",
    "silo_index",
    "team_partition",
    "undirected",
    "undirected_flow",
]
