"""What the projections say about the demo history: capacity, compliance, flow (demo layer).

Everything here is read back from the store through the projections, never from the plan: the
plan only tells which professional is the broker, so the report can follow them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any
from uuid import UUID

import networkx as nx

from learningorg.analysis import capacity_rows, flow_summary
from learningorg.projections.capacity.api import Every
from learningorg.projections.compliance.result import ComplianceStatus
from learningorg.projections.history import History, load_history
from learningorg.projections.knowledge_flow import (
    brokers,
    build_person_graph,
    build_team_graph,
    cross_team_share,
    diff_snapshots,
    knowledge_flow_report,
)
from learningorg.projections.knowledge_flow.exports import draw_png, write_graphml
from learningorg.records import LearningRecords

#: The capacity series: quarterly from the first quarter with a year of history behind it.
SERIES_START = datetime(2023, 4, 1, tzinfo=UTC)
SERIES_EVERY: Every = "quarter"

#: Statuses counted as "on track" for the team ranking.
ON_TRACK: tuple[ComplianceStatus, ...] = ("on_track", "met")


@dataclass(frozen=True)
class BrokerStory:
    """The broker who leaves halfway, and what the flow graph shows before and after."""

    organisation: str
    person: str
    team: str
    left_on: date
    rank_before: int
    betweenness_before: float
    cross_team_share_before: float | None
    cross_team_share_after: float | None
    cross_team_ties_before: int
    cross_team_ties_after: int
    lost_cross_team_ties: int
    lost_ties_of_the_broker: int
    team_flow_before: dict[str, float]
    team_flow_after: dict[str, float]


@dataclass
class Insights:
    """The projections' view of the demo, as plain data plus images and exported files."""

    capacity: list[dict[str, Any]] = field(default_factory=list)
    team_capacity: list[dict[str, Any]] = field(default_factory=list)
    series: list[dict[str, Any]] = field(default_factory=list)
    team_series: list[dict[str, Any]] = field(default_factory=list)
    compliance: dict[str, dict[str, int]] = field(default_factory=dict)
    team_compliance: list[dict[str, Any]] = field(default_factory=list)
    flagged: list[dict[str, Any]] = field(default_factory=list)
    brokers: list[dict[str, Any]] = field(default_factory=list)
    silos: dict[str, list[str]] = field(default_factory=dict)
    flow: dict[str, dict[str, Any]] = field(default_factory=dict)
    broker: BrokerStory | None = None
    images: dict[str, bytes] = field(default_factory=dict)
    graphs: dict[str, nx.DiGraph] = field(default_factory=dict)


def capacity_insights(
    records: LearningRecords,
    organisations: list[str],
    teams: list[str],
    as_of: datetime,
    focus: str,
) -> Insights:
    """Capacity at ``as_of`` per organisation and team; quarterly per organisation and per team
    of the organisation ``focus`` (the broker's)."""
    found = Insights()
    found.capacity = capacity_rows(
        records.capacity(org, "organisation", as_of=as_of) for org in organisations
    )
    found.team_capacity = capacity_rows(
        records.capacity(org, "team", team, as_of=as_of) for org in organisations for team in teams
    )
    start = SERIES_START
    for org in organisations:
        series = records.capacity_series(
            org, "organisation", start=start, end=as_of, every=SERIES_EVERY
        )
        found.series.extend(capacity_rows(series.points))
    for team in teams:
        series = records.capacity_series(
            focus, "team", team, start=start, end=as_of, every=SERIES_EVERY
        )
        found.team_series.extend(capacity_rows(series.points))
    return found


def compliance_insights(
    found: Insights,
    records: LearningRecords,
    organisations: list[str],
    as_of: datetime,
    names: dict[UUID, str],
) -> None:
    """SKJ compliance per organisation and team at ``as_of``; the flagged professionals."""
    for org in organisations:
        result = records.compliance(org, "organisation", as_of=as_of)
        found.compliance[org] = {str(s): n for s, n in result.summary.counts.items()}
        for team in result.teams:
            counts = team.summary.counts
            found.team_compliance.append(
                {
                    "organisation": org,
                    "team": team.key,
                    "professionals": team.summary.persons,
                    "on_track": sum([counts[s] for s in ON_TRACK]),
                    "at_risk": counts["at_risk"],
                    "short": counts["short"],
                }
            )
        for person in result.persons:
            if person.flagged and person.current is not None and person.team is not None:
                found.flagged.append(
                    {
                        "organisation": org,
                        "person": names.get(person.person_id, "erased"),
                        "team": person.team,
                        "status": person.status,
                        "period_end": person.current.period_end.isoformat(),
                        "still_needed": person.still_needed,
                    }
                )


def _node_names(graph: nx.DiGraph, names: dict[UUID, str]) -> dict[Any, str]:
    return {node: names.get(UUID(str(node)), str(node)) for node in graph}


def flow_insights(
    found: Insights,
    histories: dict[str, History],
    as_of: datetime,
    names: dict[UUID, str],
) -> None:
    """Brokers and silos per organisation; each team graph at ``as_of`` drawn."""
    for org, history in histories.items():
        report = knowledge_flow_report(history, as_of=as_of)
        summary = flow_summary(report, top=3)
        found.silos[org] = summary.silos
        found.flow[org] = {
            "cross_team_share": summary.cross_team_share,
            "silo_index": summary.silo_index,
            "teams": summary.teams,
        }
        for entry, row in zip(report["measures"]["brokers"]["top"], summary.brokers, strict=False):
            found.brokers.append(
                {**row, "organisation": org, "person": names.get(UUID(entry["person"]), "?")}
            )
        team_graph = build_team_graph(build_person_graph(history, as_of=as_of))
        found.graphs[f"flow-teams-{org}"] = team_graph
        found.images[f"flow-{org}"] = draw_png(
            team_graph, title=f"Knowledge flow between the teams of {org}, year to {as_of:%Y-%m-%d}"
        )


def broker_story(
    found: Insights,
    history: History,
    broker: UUID,
    team: str,
    left: datetime,
    window: tuple[datetime, datetime],
    names: dict[UUID, str],
) -> None:
    """The flow in the year before and the year after the broker left, compared."""
    start, end = window
    before = build_person_graph(history, since=start, until=left, as_of=left)
    after = build_person_graph(history, since=left, until=end, as_of=end)
    ranking = brokers(before)["betweenness"]
    order = sorted(ranking, key=lambda node: (-ranking[node], str(node)))
    node = next(n for n in before if UUID(str(n)) == broker)
    diff = diff_snapshots(before, after)
    lost = diff["lost_cross_team_ties"]

    def team_flow(graph: nx.DiGraph) -> dict[str, float]:
        teams = build_team_graph(graph)
        return {
            f"{u} -> {v}": round(data["weight"], 1)
            for u, v, data in sorted(teams.edges(data=True), key=lambda e: (str(e[0]), str(e[1])))
            if u != v
        }

    def ties(graph: nx.DiGraph) -> int:
        return sum(1 for _, _, cross in graph.edges(data="cross_team", default=False) if cross)

    def share(graph: nx.DiGraph) -> float | None:
        value = cross_team_share(graph)
        return None if value is None else round(value, 3)

    found.broker = BrokerStory(
        organisation=history.organisation,
        person=names.get(broker, "?"),
        team=team,
        left_on=left.date(),
        rank_before=order.index(node) + 1,
        betweenness_before=round(ranking[node], 3),
        cross_team_share_before=share(before),
        cross_team_share_after=share(after),
        cross_team_ties_before=ties(before),
        cross_team_ties_after=ties(after),
        lost_cross_team_ties=len(lost),
        lost_ties_of_the_broker=sum(1 for pair in lost if node in pair),
        team_flow_before=team_flow(before),
        team_flow_after=team_flow(after),
    )
    labels = _node_names(before, names)
    found.images["broker-before"] = draw_png(
        before, names=labels, title=f"{history.organisation}: the year before {left:%Y-%m-%d}"
    )
    found.images["broker-after"] = draw_png(
        after,
        names=_node_names(after, names),
        title=f"{history.organisation}: the year after {left:%Y-%m-%d}",
    )
    found.graphs[f"flow-persons-{history.organisation}-before"] = nx.relabel_nodes(before, labels)


def write_graphs(found: Insights, folder: Any) -> dict[str, Any]:
    """Write every graph of ``found`` as GraphML into ``folder``; returns label -> path."""
    written = {}
    for name, graph in found.graphs.items():
        path = folder / f"{name}.graphml"
        write_graphml(graph, path)
        written[f"knowledge flow ({name}, GraphML)"] = path
    return written


def histories(records: LearningRecords, organisations: list[str]) -> dict[str, History]:
    """Each organisation's history, loaded once for every flow analysis."""
    return {org: load_history(records, org) for org in organisations}


__all__ = [
    "BrokerStory",
    "Insights",
    "broker_story",
    "capacity_insights",
    "compliance_insights",
    "flow_insights",
    "histories",
    "write_graphs",
]
