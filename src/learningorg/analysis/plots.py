"""Plots of learning histories with matplotlib on the Agg backend (analysis layer).

Every function returns a matplotlib ``Figure``; ``figure_png`` turns one into PNG bytes
without timestamps or software tags, so the same data always gives the same image.
"""

from __future__ import annotations

import io
import math
from collections.abc import Mapping
from typing import Any

from learningorg.analysis._deps import pyplot, require

#: The four bars of the NJi profile, in the order the Nederlands Jeugdinstituut names them.
NJI_ELEMENTS: tuple[str, ...] = ("V", "U", "M", "S")
NJI_LABELS: dict[str, str] = {
    "V": "V shared vision",
    "U": "U dealing with uncertainty",
    "M": "M personal mastery",
    "S": "S systems view",
}


def figure_png(figure: Any, *, dpi: int = 100) -> bytes:
    """The figure as PNG bytes (no metadata, so identical data gives identical bytes)."""
    plt = pyplot()
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=dpi, metadata={"Software": None})
    plt.close(figure)
    return buffer.getvalue()


def plot_series(
    frame: Any,
    *,
    x: str = "at",
    y: str = "score",
    group: str = "entity",
    title: str = "Learning capacity over time",
    ylabel: str = "score (0-100)",
) -> Any:
    """A line per ``group`` of ``y`` over ``x`` (e.g. capacity per team per month).

    ``frame`` is a tidy pandas DataFrame with the columns ``x``, ``y`` and ``group``.
    """
    plt = pyplot()
    figure, axes = plt.subplots(figsize=(8, 4))
    for name, part in sorted(frame.groupby(group, sort=True), key=lambda item: str(item[0])):
        part = part.sort_values(x)
        axes.plot(list(part[x]), list(part[y]), marker="o", markersize=3, label=str(name))
    axes.set_title(title)
    axes.set_ylabel(ylabel)
    axes.grid(alpha=0.3)
    if frame[group].nunique() <= 12:
        axes.legend(fontsize="small", loc="best")
    figure.autofmt_xdate()
    figure.tight_layout()
    return figure


def plot_monthly_activity(history: Any, *, title: str = "Learning events per month") -> Any:
    """Events per month (by ``occurred_at``) and organisation, from a history frame."""
    pd = require("pandas")
    frame = history[~history["retracted"]]
    months = frame["occurred_at"].dt.tz_localize(None).dt.to_period("M").dt.to_timestamp()
    counts = (
        pd.DataFrame({"at": months, "entity": frame["organisation"]})
        .groupby(["entity", "at"], sort=True)
        .size()
        .reset_index(name="score")
    )
    return plot_series(counts, title=title, ylabel="events")


def plot_nji_profile(
    profiles: Mapping[str, Mapping[str, float | None]], *, title: str = "NJi profile"
) -> Any:
    """Grouped bars: for each profile (an organisation, a team), its V, U, M and S scores.

    A missing or ``None`` score is left out (drawn as no bar), never as zero.
    """
    plt = pyplot()
    names = list(profiles)
    figure, axes = plt.subplots(figsize=(8, 4))
    width = 0.8 / max(1, len(names))
    for index, name in enumerate(names):
        scores = profiles[name]
        xs = [
            i + index * width
            for i, element in enumerate(NJI_ELEMENTS)
            if scores.get(element) is not None
        ]
        ys = [float(scores[e] or 0.0) for e in NJI_ELEMENTS if scores.get(e) is not None]
        axes.bar(xs, ys, width=width, label=name)
    axes.set_xticks([i + 0.4 - width / 2 for i in range(len(NJI_ELEMENTS))])
    axes.set_xticklabels([NJI_LABELS[e] for e in NJI_ELEMENTS], fontsize="small")
    axes.set_ylim(0, 100)
    axes.set_ylabel("score (0-100)")
    axes.set_title(title)
    axes.legend(fontsize="small")
    figure.tight_layout()
    return figure


def plot_flow_graph(
    graph: Any, *, weight: str = "weight", title: str = "Knowledge flow", seed: int = 7
) -> Any:
    """The flow graph: node size by weighted in-strength, arrow width by ``weight``.

    The layout is networkx's spring layout with a fixed ``seed``, so the picture is stable.
    """
    import networkx as nx

    plt = pyplot()
    figure, axes = plt.subplots(figsize=(7, 7))
    if graph.number_of_nodes() == 0:
        axes.text(0.5, 0.5, "no flow in this window", ha="center", va="center")
        axes.set_axis_off()
        return figure
    positions = nx.spring_layout(graph, seed=seed, weight=weight)
    weights = [float(data.get(weight, 1.0)) for _, _, data in graph.edges(data=True)]
    top = max(weights, default=1.0) or 1.0
    for source, target, data in graph.edges(data=True):
        share = float(data.get(weight, 1.0)) / top
        axes.annotate(
            "",
            xy=positions[target],
            xytext=positions[source],
            arrowprops={
                "arrowstyle": "-|>",
                "lw": 0.5 + 4 * share,
                "alpha": 0.25 + 0.6 * share,
                "color": "#4a6fa5",
                "shrinkA": 8,
                "shrinkB": 8,
            },
        )
    strength = dict(graph.in_degree(weight=weight))
    biggest = max(strength.values(), default=1.0) or 1.0
    nodes = sorted(graph.nodes, key=str)
    axes.scatter(
        [positions[n][0] for n in nodes],
        [positions[n][1] for n in nodes],
        s=[120 + 900 * math.sqrt(max(0.0, strength.get(n, 0.0)) / biggest) for n in nodes],
        color="#f0a202",
        edgecolors="#333333",
        zorder=3,
    )
    for node in nodes:
        label = graph.nodes[node].get("label", str(node))
        axes.text(*positions[node], str(label), fontsize=7, ha="center", va="center", zorder=4)
    axes.set_title(title)
    axes.set_axis_off()
    figure.tight_layout()
    return figure
