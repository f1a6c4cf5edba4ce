"""Who matters for the flow: go-to people, brokers, structural holes (projections layer).

Functions in the style of networkx: the graph first, keyword options, results as plain dicts
keyed by node. They work on any ``networkx.DiGraph`` whose edges carry the attribute named by
``weight`` (a missing attribute counts as 1, as in networkx).
"""

# Graphs are named G, as in networkx, whose conventions these functions follow.
# ruff: noqa: N803

from __future__ import annotations

import math
import random
from collections.abc import Iterable, Mapping
from heapq import heappop, heappush
from typing import Any, Literal, TypedDict

import networkx as nx

from learningorg.domain.errors import InvalidValueError

#: Betweenness is exact below this many nodes and estimated from a sample of sources above.
EXACT_BETWEENNESS_BELOW = 2_000
#: The number of sampled sources of an estimated betweenness (see ``brokers``).
BROKER_SAMPLE = 24
#: The seed of the sample, fixed so the same graph always gives the same brokers.
BROKER_SEED = 42

Direction = Literal["in", "out", "both"]


def strength(
    G: nx.DiGraph, *, weight: str | None = "weight", direction: Direction = "in"
) -> dict[Any, float]:
    """The strength of every node: the summed weight of its incoming (or outgoing) edges.

    Edges run from knowledge source to recipient, so in-strength (the default) measures how
    much knowledge a person takes in, and out-strength how much flows from them: the *go-to
    people* colleagues turn to for advice and examples. (DESIGN.md names in-degree strength for
    go-to people, as in a "who do you go to" survey whose ties point the other way; the report
    lists both directions.)

    Parameters
    ----------
    G : networkx.DiGraph
        A knowledge-flow graph (edges from source to recipient).
    weight : str or None
        The edge attribute to sum (None: count the edges).
    direction : Literal["in", "out", "both"]
        Incoming edges (what a person receives), outgoing (what they pass on), or both.

    Returns
    -------
    dict
        Node -> strength (0.0 for a node without edges in that direction).

    Examples
    --------
    >>> import networkx as nx
    >>> G = nx.DiGraph()
    >>> G.add_weighted_edges_from([("a", "b", 2.0), ("c", "b", 0.5), ("b", "a", 1.0)])
    >>> strength(G)
    {'a': 1.0, 'b': 2.5, 'c': 0.0}
    >>> strength(G, direction="out")["b"]
    1.0
    """
    if direction not in ("in", "out", "both"):
        msg = f"direction {direction!r} is not one of 'in', 'out', 'both'"
        raise InvalidValueError(msg)
    incoming, outgoing = in_and_out_strength(G, weight=weight)
    if direction == "in":
        return incoming
    if direction == "out":
        return outgoing
    return {node: incoming[node] + outgoing[node] for node in G}


def in_and_out_strength(
    G: nx.DiGraph, *, weight: str | None = "weight"
) -> tuple[dict[Any, float], dict[Any, float]]:
    """In-strength and out-strength of every node, in one pass over the edges.

    Examples
    --------
    >>> import networkx as nx
    >>> G = nx.DiGraph()
    >>> G.add_weighted_edges_from([("a", "b", 2.0)])
    >>> in_and_out_strength(G)
    ({'a': 0.0, 'b': 2.0}, {'a': 2.0, 'b': 0.0})
    """
    incoming = dict.fromkeys(G, 0.0)
    outgoing = dict.fromkeys(G, 0.0)
    for u, successors in G._succ.items():
        total = 0.0
        for v, data in successors.items():
            w = 1.0 if weight is None else float(data.get(weight, 1.0))
            incoming[v] += w
            total += w
        outgoing[u] = total
    return incoming, outgoing


def _weight(data: Mapping[str, Any], weight: str | None) -> float:
    return 1.0 if weight is None else float(data.get(weight, 1.0))


class Brokerage(TypedDict):
    """Betweenness of every node, and how it was computed."""

    #: Node -> normalised betweenness (as ``networkx.betweenness_centrality`` gives it).
    betweenness: dict[Any, float]
    #: Whether it was estimated from a sample of sources.
    sampled: bool
    #: The number of sampled sources (None when exact).
    k: int | None
    #: The seed of the sample (None when exact).
    seed: int | None


def brokers(
    G: nx.DiGraph,
    *,
    weight: str | None = "distance",
    exact_below: int = EXACT_BETWEENNESS_BELOW,
    k: int = BROKER_SAMPLE,
    seed: int = BROKER_SEED,
) -> Brokerage:
    """Brokers: betweenness centrality on ``distance = 1/weight`` (strong ties are short).

    Brokers sit on many of the shortest routes knowledge can take between two colleagues; the
    organisation depends on them (Burt's brokerage; Cross and Parker's "boundary spanners").
    Exact below ``exact_below`` nodes; from there on, estimated from ``k`` sources sampled with
    a fixed ``seed`` (the result says which). Gives the numbers of
    ``networkx.betweenness_centrality(G, k=..., weight=weight, seed=seed)`` (normalised,
    endpoints excluded; the same sources sampled), up to rounding, by a faster route over
    integer-indexed adjacency lists. A small sample ranks brokers roughly and overstates the
    Gini of a flat network; pass a larger ``k`` (each source costs one shortest-path search
    over all ties) when precision matters more than time.

    Parameters
    ----------
    G : networkx.DiGraph
        A knowledge-flow graph.
    weight : str or None
        The edge attribute holding the length of an edge (None: every edge has length 1).
    exact_below : int
        Node count from which the betweenness is estimated.
    k : int
        Sources sampled when estimating.
    seed : int
        Seed of the sample.

    Returns
    -------
    Brokerage
        ``betweenness`` (node -> value), ``sampled``, ``k`` and ``seed``.

    Examples
    --------
    >>> import networkx as nx
    >>> G = nx.DiGraph()
    >>> G.add_edges_from([("a", "hub"), ("hub", "b"), ("c", "hub"), ("hub", "d")], distance=1.0)
    >>> result = brokers(G)
    >>> max(result["betweenness"], key=result["betweenness"].get), result["sampled"]
    ('hub', False)
    """
    if k < 1:
        msg = f"k {k!r} is not a positive number of sampled sources"
        raise InvalidValueError(msg)
    nodes = list(G)
    n = len(nodes)
    sources: list[Any] | None = None
    if n >= exact_below:
        sources = random.Random(seed).sample(nodes, min(k, n))
    raw = _betweenness(G, nodes, nodes if sources is None else sources, weight)
    betweenness = _rescale(raw, n, sources)
    if sources is None:
        return {"betweenness": betweenness, "sampled": False, "k": None, "seed": None}
    return {"betweenness": betweenness, "sampled": True, "k": len(sources), "seed": seed}


def _betweenness(
    G: nx.DiGraph, nodes: list[Any], sources: Iterable[Any], weight: str | None
) -> dict[Any, float]:
    """Brandes' accumulation over shortest paths from each source (Dijkstra).

    The path counts are taken when an edge is relaxed from a settled node (Brandes 2001),
    which gives networkx's numbers up to rounding, over lists indexed by node number.
    """
    index = {node: i for i, node in enumerate(nodes)}
    adjacency = [
        [(index[w], _weight(data, weight)) for w, data in G._succ[v].items()] for v in nodes
    ]
    n = len(nodes)
    total = [0.0] * n
    infinity = math.inf
    push, pop = heappush, heappop
    for source in sources:
        s = index[source]
        order: list[int] = []
        preds: list[list[int]] = [[] for _ in range(n)]
        sigma = [0.0] * n
        sigma[s] = 1.0
        seen = [infinity] * n
        seen[s] = 0.0
        done = [False] * n
        queue: list[tuple[float, int]] = [(0.0, s)]
        while queue:
            dist, v = pop(queue)
            if done[v]:
                continue
            done[v] = True
            order.append(v)
            sigma_v = sigma[v]
            for w, length in adjacency[v]:
                candidate = dist + length
                known = seen[w]
                if candidate < known:
                    if done[w]:
                        continue
                    seen[w] = candidate
                    push(queue, (candidate, w))
                    sigma[w] = sigma_v
                    preds[w] = [v]
                elif candidate == known and not done[w]:
                    sigma[w] += sigma_v
                    preds[w].append(v)
        delta = [0.0] * n
        while order:
            w = order.pop()
            coefficient = (1.0 + delta[w]) / sigma[w]
            for v in preds[w]:
                delta[v] += sigma[v] * coefficient
            if w != s:
                total[w] += delta[w]
    return dict(zip(nodes, total, strict=True))


def _rescale(raw: dict[Any, float], n: int, sources: list[Any] | None) -> dict[Any, float]:
    """Normalise as networkx does (endpoints excluded; sampled sources counted apart)."""
    pairs = n - 1
    if pairs < 2:
        return raw
    if sources is None:
        scale = 1.0 / (pairs * (pairs - 1))
        return {node: value * scale for node, value in raw.items()}
    k = len(sources)
    scale_source = 1.0 / ((k - 1) * (pairs - 1)) if k > 1 else math.nan
    scale_other = 1.0 / (k * (pairs - 1))
    sampled = set(sources)
    return {
        node: value * (scale_source if node in sampled else scale_other)
        for node, value in raw.items()
    }


def top_brokers(brokerage: Brokerage, top: int) -> list[Any]:
    """The ``top`` nodes by betweenness (above 0), highest first, ties by node id.

    Examples
    --------
    >>> found = {"betweenness": {"a": 0.0, "b": 0.5, "c": 0.5, "d": 0.9}}
    >>> top_brokers(found, 3)  # type: ignore[arg-type]
    ['d', 'b', 'c']
    """
    ranked = sorted(brokerage["betweenness"].items(), key=lambda kv: (-kv[1], str(kv[0])))
    return [node for node, value in ranked[:top] if value > 0]


def gini(values: Iterable[float]) -> float | None:
    """The Gini coefficient of non-negative values (None when they sum to 0 or are none).

    0 when everyone has the same, towards 1 when one has everything.

    Examples
    --------
    >>> gini([1.0, 1.0, 1.0, 1.0])
    0.0
    >>> gini([0.0, 0.0, 0.0, 4.0])
    0.75
    """
    ordered = sorted(values)
    n = len(ordered)
    total = sum(ordered)
    if n == 0 or total <= 0:
        return None
    ranked = sum((2 * (i + 1) - n - 1) * value for i, value in enumerate(ordered))
    return ranked / (n * total)


def betweenness_gini(
    G: nx.DiGraph, *, weight: str | None = "distance", brokerage: Brokerage | None = None
) -> float | None:
    """How unequal brokerage is: the Gini coefficient of every node's betweenness (O5).

    Near 1: a few brokers carry the flow (fragile); near 0: it is spread. None when nobody
    brokers. Pass ``brokerage`` (from ``brokers``) to reuse a computed betweenness.

    Examples
    --------
    >>> import networkx as nx
    >>> G = nx.DiGraph()
    >>> G.add_edges_from([("a", "hub"), ("hub", "b")], distance=1.0)
    >>> round(betweenness_gini(G), 4)
    0.6667
    """
    found = brokers(G, weight=weight) if brokerage is None else brokerage
    return gini(found["betweenness"].values())


def broker_cross_team_share(
    G: nx.DiGraph,
    *,
    top: int = 3,
    weight: str = "cross_team_weight",
    brokerage: Brokerage | None = None,
) -> float | None:
    """The share of the cross-team flow on edges of the ``top`` brokers (O5: top-3 share).

    The cross-team flow weight (edge attribute ``cross_team_weight``) of edges that start or end
    at one of the ``top`` nodes by betweenness, divided by that of all edges. Near 1: crossing
    between teams depends on those few people. None when no flow crosses teams.

    Examples
    --------
    >>> import networkx as nx
    >>> G = nx.DiGraph()
    >>> G.add_edge("a", "hub", cross_team_weight=1.0, distance=1.0)
    >>> G.add_edge("hub", "b", cross_team_weight=1.0, distance=1.0)
    >>> G.add_edge("c", "d", cross_team_weight=2.0, distance=1.0)
    >>> broker_cross_team_share(G, top=1)
    0.5
    """
    found = brokers(G) if brokerage is None else brokerage
    chosen = set(top_brokers(found, top))
    total = through = 0.0
    for source, successors in G._succ.items():
        from_broker = source in chosen
        for target, data in successors.items():
            value = data.get(weight, 0.0)
            total += value
            if from_broker or target in chosen:
                through += value
    return through / total if total > 0 else None


class StructuralHoles(TypedDict):
    """Burt's measures of a node's ego network."""

    #: How much the node's contacts are tied to each other (high: no structural holes).
    constraint: float
    #: The non-redundant part of the node's contacts.
    effective_size: float


def structural_holes(
    G: nx.DiGraph, *, weight: str | None = "weight", nodes: Iterable[Any] | None = None
) -> dict[Any, StructuralHoles]:
    """Burt's constraint and effective size of each node (structural holes).

    A broker across a structural hole has contacts that are not tied to one another: low
    constraint, effective size near the number of contacts. Ties are mutual weights
    ``w(u, v) + w(v, u)`` over a node's in- and out-neighbours, as in networkx's ``constraint``
    and ``effective_size``; this computes each node's normalisers once, so it scales to large
    graphs. One difference: a node with only incoming edges gets its values (networkx's
    pure-Python path gives NaN for it); an isolated node gets NaN.

    Parameters
    ----------
    G : networkx.DiGraph
        A knowledge-flow graph.
    weight : str or None
        The edge attribute (None: every edge weighs 1).
    nodes : iterable, optional
        The nodes to compute (default: all), e.g. the top brokers.

    Returns
    -------
    dict
        Node -> ``{"constraint": ..., "effective_size": ...}``.

    Examples
    --------
    >>> import networkx as nx
    >>> G = nx.DiGraph()
    >>> G.add_edges_from([("hub", "a"), ("hub", "b"), ("hub", "c")], weight=1.0)
    >>> holes = structural_holes(G)
    >>> round(holes["hub"]["constraint"], 4), holes["hub"]["effective_size"]
    (0.3333, 3.0)
    """
    mutual: dict[Any, dict[Any, float]] = {}

    def ties(u: Any) -> dict[Any, float]:
        found = mutual.get(u)
        if found is None:
            found = {}
            for v, data in G._succ[u].items():
                if v != u:
                    found[v] = found.get(v, 0.0) + _weight(data, weight)
            for v, data in G._pred[u].items():
                if v != u:
                    found[v] = found.get(v, 0.0) + _weight(data, weight)
            mutual[u] = found
        return found

    shares: dict[Any, dict[Any, float]] = {}
    peaks: dict[Any, float] = {}

    def share(u: Any) -> dict[Any, float]:
        found = shares.get(u)
        if found is None:
            around = ties(u)
            total = sum(around.values())
            found = {v: m / total for v, m in around.items()} if total else {}
            shares[u] = found
        return found

    def peak(u: Any) -> float:
        found = peaks.get(u)
        if found is None:
            found = peaks[u] = max(ties(u).values(), default=0.0)
        return found

    result: dict[Any, StructuralHoles] = {}
    for u in G if nodes is None else nodes:
        p_u = share(u)
        if not p_u:
            result[u] = {"constraint": math.nan, "effective_size": math.nan}
            continue
        constraint = 0.0
        effective = 0.0
        for v, p_uv in p_u.items():
            indirect = sum(p_uq * share(q).get(v, 0.0) for q, p_uq in p_u.items())
            constraint += (p_uv + indirect) ** 2
            ties_v, peak_v = ties(v), peak(v)
            redundancy = (
                sum(p_uq * ties_v.get(q, 0.0) for q, p_uq in p_u.items()) / peak_v
                if peak_v
                else 0.0
            )
            effective += 1.0 - redundancy
        result[u] = {"constraint": constraint, "effective_size": effective}
    return result


__all__ = [
    "BROKER_SAMPLE",
    "BROKER_SEED",
    "EXACT_BETWEENNESS_BELOW",
    "Brokerage",
    "Direction",
    "StructuralHoles",
    "betweenness_gini",
    "broker_cross_team_share",
    "brokers",
    "gini",
    "in_and_out_strength",
    "strength",
    "structural_holes",
    "top_brokers",
]
