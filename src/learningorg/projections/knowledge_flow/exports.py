"""Knowledge-flow graphs out: GraphML, GEXF, node-link JSON and a PNG drawing (projections layer).

Every export starts from ``export_ready(G)``: a plain ``networkx.DiGraph`` copy whose attributes
the file formats can hold (datetimes as ISO 8601 strings, tuples and lists joined by commas,
other containers as JSON, infinities as strings, ``None`` left out). Person nodes stay
pseudonymous (their UUID strings); pass ``names`` (node id -> name) to relabel them when the
reader is entitled to names. The PNG needs matplotlib, an optional dependency
(``pip install 'learningorg[plot]'``), imported only when drawing.
"""

# Graphs are named G, as in networkx, whose conventions these functions follow.
# ruff: noqa: N803

from __future__ import annotations

import importlib
import io
import json
import math
from collections.abc import Mapping
from datetime import date, datetime
from pathlib import Path
from types import ModuleType
from typing import Any

import networkx as nx

from learningorg.domain.errors import InvalidValueError, LearningOrgError
from learningorg.projections.knowledge_flow.centrality import Brokerage, brokers, top_brokers
from learningorg.projections.knowledge_flow.cohesion import louvain, undirected
from learningorg.projections.knowledge_flow.teams import as_team_graph

#: How many brokers the drawing labels.
LABELLED_BROKERS = 5


class PlotDependencyError(LearningOrgError, ImportError):
    """matplotlib, needed to draw, is not installed."""


def _value(value: Any) -> Any:
    """One attribute value in a form GraphML, GEXF and JSON all hold."""
    if isinstance(value, bool | int | str):
        return value
    if isinstance(value, float):
        return value if math.isfinite(value) else str(value)
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, tuple | list | set | frozenset):
        items = sorted(value, key=str) if isinstance(value, set | frozenset) else value
        return ",".join(str(_value(item)) for item in items)
    return json.dumps(value, default=str, sort_keys=True)


def _attributes(data: Mapping[str, Any]) -> dict[str, Any]:
    return {key: _value(value) for key, value in data.items() if value is not None}


def export_ready(G: nx.DiGraph, *, names: Mapping[Any, str] | None = None) -> nx.DiGraph:
    """A plain ``networkx.DiGraph`` copy of ``G`` that every export format can hold.

    Parameters
    ----------
    G : networkx.DiGraph
        A person or team graph.
    names : mapping, optional
        Node id -> the name to show instead (e.g. from the HR system, for a reader entitled
        to it). Nodes not in it keep their ids. Names must be unique.

    Returns
    -------
    networkx.DiGraph
        Same nodes (relabelled by ``names``), edges and attributes, made plain: datetimes as
        ISO 8601 strings, tuples and lists joined by commas, infinities as strings, ``None``
        values left out. The original node id stays in the node attribute ``id`` when renamed.

    Raises
    ------
    InvalidValueError
        Two nodes would get the same name.

    Examples
    --------
    >>> from datetime import UTC, datetime
    >>> G = nx.DiGraph(as_of=datetime(2025, 1, 1, tzinfo=UTC))
    >>> G.add_edge("p1", "p2", weight=1.0, first_at=datetime(2024, 6, 1, tzinfo=UTC))
    >>> ready = export_ready(G, names={"p1": "Sanne"})
    >>> ready.graph["as_of"], list(ready.edges(data="first_at"))
    ('2025-01-01T00:00:00+00:00', [('Sanne', 'p2', '2024-06-01T00:00:00+00:00')])
    """
    label = _labels(G, names)
    ready = nx.DiGraph()
    ready.graph.update(_attributes(G.graph))
    for node, data in G.nodes(data=True):
        attributes = _attributes(data)
        if label[node] != node:
            attributes["id"] = str(node)
        ready.add_node(label[node], **attributes)
    ready.add_edges_from(
        (label[u], label[v], _attributes(data)) for u, v, data in G.edges(data=True)
    )
    return ready


def _labels(G: nx.DiGraph, names: Mapping[Any, str] | None) -> dict[Any, Any]:
    label = {node: node for node in G}
    if not names:
        return label
    taken: dict[Any, Any] = {}
    for node in G:
        label[node] = names.get(node, node)
    for node, shown in label.items():
        if shown in taken:
            msg = (
                f"name {shown!r} would be given to two nodes ({taken[shown]!r} and {node!r}); "
                "pass names that are unique, e.g. with the employee number"
            )
            raise InvalidValueError(msg)
        taken[shown] = node
    return label


def write_graphml(
    G: nx.DiGraph, path: str | Path, *, names: Mapping[Any, str] | None = None
) -> None:
    """Write ``G`` as GraphML (Gephi, yEd, Cytoscape); read back with ``networkx.read_graphml``.

    Examples
    --------
    >>> import tempfile
    >>> G = nx.DiGraph()
    >>> G.add_edge("p1", "p2", weight=0.5, channels="advice")
    >>> with tempfile.TemporaryDirectory() as folder:
    ...     write_graphml(G, f"{folder}/flow.graphml")
    ...     nx.read_graphml(f"{folder}/flow.graphml")["p1"]["p2"]
    {'weight': 0.5, 'channels': 'advice'}
    """
    nx.write_graphml(export_ready(G, names=names), str(path))


def write_gexf(G: nx.DiGraph, path: str | Path, *, names: Mapping[Any, str] | None = None) -> None:
    """Write ``G`` as GEXF (Gephi); read back with ``networkx.read_gexf``.

    Examples
    --------
    >>> import tempfile
    >>> G = nx.DiGraph()
    >>> G.add_edge("p1", "p2", weight=0.5)
    >>> with tempfile.TemporaryDirectory() as folder:
    ...     write_gexf(G, f"{folder}/flow.gexf")
    ...     nx.read_gexf(f"{folder}/flow.gexf")["p1"]["p2"]["weight"]
    0.5
    """
    nx.write_gexf(export_ready(G, names=names), str(path))


def node_link(G: nx.DiGraph, *, names: Mapping[Any, str] | None = None) -> dict[str, Any]:
    """``G`` as node-link data (``networkx.node_link_data``, edges under ``"edges"``), JSON-ready.

    Read back with ``networkx.node_link_graph(data, edges="edges")``.

    Examples
    --------
    >>> G = nx.DiGraph(level="person")
    >>> G.add_edge("p1", "p2", weight=0.5)
    >>> data = node_link(G)
    >>> data["graph"], data["edges"]
    ({'level': 'person'}, [{'weight': 0.5, 'source': 'p1', 'target': 'p2'}])
    """
    data: dict[str, Any] = nx.node_link_data(export_ready(G, names=names), edges="edges")
    return data


def write_node_link(
    G: nx.DiGraph, path: str | Path, *, names: Mapping[Any, str] | None = None
) -> None:
    """Write ``node_link(G)`` as a JSON file (UTF-8, keys sorted, so files compare well)."""
    Path(path).write_text(
        json.dumps(node_link(G, names=names), indent=1, sort_keys=True, ensure_ascii=False),
        encoding="utf-8",
    )


def _matplotlib() -> tuple[ModuleType, ModuleType, ModuleType]:
    """matplotlib's Figure, Agg canvas and colormaps, or ``PlotDependencyError`` saying how."""
    try:
        figure = importlib.import_module("matplotlib.figure")
        agg = importlib.import_module("matplotlib.backends.backend_agg")
        matplotlib = importlib.import_module("matplotlib")
    except ImportError as error:
        msg = (
            "drawing the knowledge-flow graph needs matplotlib, which is not installed; "
            "install it with: pip install 'learningorg[plot]'"
        )
        raise PlotDependencyError(msg) from error
    return figure, agg, matplotlib


def _layout(G: nx.DiGraph) -> dict[Any, tuple[float, float]]:
    """Teams on a circle (teams that exchange most side by side), members around their team.

    Deterministic and without numpy: teams are ordered by the Louvain communities of the team
    graph (or by key when the graph has no team flow), each team's members on a small circle
    whose radius grows with the team's size.
    """
    groups: dict[Any, list[Any]] = {}
    for node, team in G.nodes(data="team"):
        groups.setdefault(team if G.graph.get("level") != "team" else node, []).append(node)
    keys = sorted(groups, key=lambda k: (k is None, str(k)))
    try:
        teams = as_team_graph(G)
        flow = undirected(teams)
        order = {
            flow.nodes[i]: rank
            for rank, group in enumerate(louvain(flow.adjacency))
            for i in sorted(group)
        }
        keys.sort(key=lambda k: (k is None, order.get(k, len(order)), str(k)))
    except InvalidValueError:
        pass  # a copy without its team flow: teams by key
    positions: dict[Any, tuple[float, float]] = {}
    count = max(len(keys), 1)
    radius = 1.0 if count > 1 else 0.0
    for i, key in enumerate(keys):
        angle = 2 * math.pi * i / count
        cx, cy = radius * math.cos(angle), radius * math.sin(angle)
        members = sorted(groups[key], key=str)
        spread = 0.6 * math.sin(math.pi / count) * min(1.0, math.sqrt(len(members)) / 3)
        spread = spread if count > 1 else 0.6
        for j, node in enumerate(members):
            if len(members) == 1:
                positions[node] = (cx, cy)
                continue
            turn = 2 * math.pi * j / len(members)
            positions[node] = (cx + spread * math.cos(turn), cy + spread * math.sin(turn))
    return positions


def draw_png(
    G: nx.DiGraph,
    path: str | Path | None = None,
    *,
    names: Mapping[Any, str] | None = None,
    top: int = LABELLED_BROKERS,
    brokerage: Brokerage | None = None,
    title: str | None = None,
    dpi: int = 100,
) -> bytes:
    """Draw the flow as a PNG: teams as colours, edge width by weight, top brokers labelled.

    Parameters
    ----------
    G : networkx.DiGraph
        A person graph (or a team graph: then each node is a team).
    path : str or Path, optional
        Where to write the PNG (the bytes are returned either way).
    names : mapping, optional
        Node id -> name for the broker labels; without it brokers are labelled by rank and
        team ("broker 1, T1"), never by name.
    top : int
        How many brokers (by betweenness) to label.
    brokerage : Brokerage, optional
        A betweenness already computed with ``brokers(G)``.
    title : str, optional
        The title (default: the organisation and the moment of the graph).
    dpi : int
        Resolution.

    Returns
    -------
    bytes
        The PNG (no timestamps or software tags: the same graph gives the same bytes).

    Raises
    ------
    PlotDependencyError
        matplotlib is not installed (``pip install 'learningorg[plot]'``).
    """
    figure_module, agg, matplotlib = _matplotlib()
    figure = figure_module.Figure(figsize=(8, 8))
    agg.FigureCanvasAgg(figure)
    axes = figure.add_subplot(1, 1, 1)
    axes.set_axis_off()
    as_of = G.graph.get("as_of")
    moment = as_of.date().isoformat() if isinstance(as_of, datetime) else as_of
    default = "Knowledge flow"
    if G.graph.get("organisation"):
        default += f", {G.graph['organisation']}"
    if moment:
        default += f", as of {moment}"
    axes.set_title(title or default)
    if G.number_of_nodes() == 0:
        axes.text(0.5, 0.5, "no one in this window", ha="center", va="center")
    else:
        _draw(G, axes, matplotlib, names, top, brokerage)
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=dpi, metadata={"Software": None})
    png = buffer.getvalue()
    if path is not None:
        Path(path).write_bytes(png)
    return png


def _draw(
    G: nx.DiGraph,
    axes: Any,
    matplotlib: ModuleType,
    names: Mapping[Any, str] | None,
    top: int,
    brokerage: Brokerage | None,
) -> None:
    collections = importlib.import_module("matplotlib.collections")
    positions = _layout(G)
    is_team = G.graph.get("level") == "team"
    team_of = {node: (node if is_team else team) for node, team in G.nodes(data="team")}
    keys = sorted({t for t in team_of.values() if t is not None}, key=str)
    palette = matplotlib.colormaps["tab10" if len(keys) <= 10 else "tab20"]
    colour = {key: palette(i % palette.N) for i, key in enumerate(keys)}
    weights = [float(w) for _, _, w in G.edges(data="weight", default=1.0)]
    heaviest = max(weights, default=1.0) or 1.0
    segments = [(positions[u], positions[v]) for u, v in G.edges()]
    widths = [0.3 + 3.0 * w / heaviest for w in weights]
    edge_colours = [
        "#c0392b" if cross else "#7f8c8d"
        for _, _, cross in G.edges(data="cross_team", default=False)
    ]
    if G.number_of_edges() <= 400:
        for (start, end), width, shade in zip(segments, widths, edge_colours, strict=True):
            axes.annotate(
                "",
                xy=end,
                xytext=start,
                arrowprops={
                    "arrowstyle": "-|>",
                    "lw": width,
                    "color": shade,
                    "alpha": 0.6,
                    "shrinkA": 6,
                    "shrinkB": 6,
                },
                zorder=1,
            )
    else:
        axes.add_collection(
            collections.LineCollection(
                segments, linewidths=widths, colors=edge_colours, alpha=0.25, zorder=1
            )
        )
    nodes = list(G)
    axes.scatter(
        [positions[n][0] for n in nodes],
        [positions[n][1] for n in nodes],
        s=60 if len(nodes) <= 200 else 12,
        c=[colour.get(team_of[n], (0.6, 0.6, 0.6, 1.0)) for n in nodes],
        edgecolors="#333333",
        linewidths=0.5,
        zorder=2,
    )
    found = brokers(G) if brokerage is None else brokerage
    for rank, node in enumerate(top_brokers(found, top), start=1):
        shown = names.get(node) if names else None
        label = shown or f"broker {rank}" + (f", {team_of[node]}" if team_of[node] else "")
        x, y = positions[node]
        axes.annotate(
            label,
            (x, y),
            xytext=(8, 8),
            textcoords="offset points",
            fontsize=8,
            bbox={"boxstyle": "round,pad=0.2", "fc": "white", "ec": "#333333", "alpha": 0.85},
            zorder=3,
        )
    if 0 < len(keys) <= 20:
        handles = [
            axes.scatter([], [], s=40, color=colour[key], edgecolors="#333333", label=str(key))
            for key in keys
        ]
        axes.legend(handles=handles, title="team", loc="upper right", fontsize=8, frameon=False)
    xs = [x for x, _ in positions.values()]
    ys = [y for _, y in positions.values()]
    pad = 0.2 * max(max(xs) - min(xs), max(ys) - min(ys), 1.0)
    axes.text(
        0.5,
        -0.02,
        "arrows from knowledge source to recipient; width: decayed flow; "
        "red: between teams; labelled: top brokers",
        transform=axes.transAxes,
        ha="center",
        va="top",
        fontsize=8,
        color="#555555",
    )
    axes.set_xlim(min(xs) - pad, max(xs) + pad)
    axes.set_ylim(min(ys) - pad, max(ys) + pad)
    axes.set_aspect("equal")


__all__ = [
    "LABELLED_BROKERS",
    "PlotDependencyError",
    "draw_png",
    "export_ready",
    "node_link",
    "write_gexf",
    "write_graphml",
    "write_node_link",
]
