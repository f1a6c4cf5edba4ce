"""The projections as rows and DataFrames: capacity, compliance, knowledge flow (analysis layer).

Each ``*_rows`` function turns a projection's result into plain dicts (one per entity, moment,
professional, node or edge) that the CLI prints and the demo reports; each ``*_frame`` function
gives the same rows as a pandas DataFrame (the ``analysis`` extra). Persons appear as in the
projection's result: capacity and compliance by their external key (the HR system's number, for
the people entitled to see it), knowledge flow by pseudonymous ids.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import networkx as nx

from learningorg.analysis._deps import require
from learningorg.projections.capacity import CapacityResult
from learningorg.projections.capacity.model import Element
from learningorg.projections.compliance import ComplianceResult
from learningorg.projections.knowledge_flow.exports import export_ready

#: The NJi elements, in order.
NJI: tuple[Element, ...] = ("V", "U", "M", "S")

#: The columns every capacity row starts with; the sub-score codes (P1..., G1..., O1...) follow.
CAPACITY_COLUMNS: tuple[str, ...] = (
    "organisation",
    "level",
    "entity",
    "as_of",
    "score",
    "V",
    "U",
    "M",
    "S",
    "coverage",
    "insufficient_data",
)

#: The columns of ``compliance_rows``.
COMPLIANCE_COLUMNS: tuple[str, ...] = (
    "person",
    "team",
    "status",
    "flagged",
    "register",
    "period_end",
    "days_left",
    "elapsed",
    "reflection_hours",
    "development_points",
    "work_hours",
    "still_needed",
)

#: A team whose share of flow crossing its boundary is below this is called a silo.
SILO_BOUNDARY_SHARE = 0.1


def _round(value: float | None, digits: int) -> float | None:
    return None if value is None else round(value, digits)


def capacity_rows(results: Iterable[CapacityResult], *, digits: int = 1) -> list[dict[str, Any]]:
    """One row per capacity result: score, the NJi bars V/U/M/S, coverage and each sub-score.

    Scores are rounded to ``digits`` decimals; a score without data is None, never 0.
    """
    rows: list[dict[str, Any]] = []
    for result in results:
        row: dict[str, Any] = {
            "organisation": result.organisation,
            "level": result.level,
            "entity": result.key if result.key is not None else result.organisation,
            "as_of": result.as_of,
            "score": _round(result.score, digits),
        }
        for element in NJI:
            row[element] = _round(result.profile.bar(element), digits)
        row["coverage"] = round(result.coverage, 2)
        row["insufficient_data"] = result.insufficient_data
        for code, sub in sorted(result.subscores.items(), key=lambda item: _code_order(item[0])):
            row[code] = _round(sub.value, digits)
        rows.append(row)
    return rows


def _code_order(code: str) -> tuple[str, int]:
    digits = "".join(c for c in code if c.isdigit())
    return code.rstrip("0123456789"), int(digits or 0)


def capacity_columns(rows: Iterable[Mapping[str, Any]]) -> list[str]:
    """The columns of capacity rows: the fixed ones, then every sub-score code present."""
    codes: dict[str, None] = {}
    for row in rows:
        for name in row:
            if name not in CAPACITY_COLUMNS:
                codes[name] = None
    return [*CAPACITY_COLUMNS, *sorted(codes, key=_code_order)]


def capacity_frame(results: Iterable[CapacityResult], *, digits: int = 6) -> Any:
    """Capacity results (e.g. ``series.points``) as a DataFrame, one row per result.

    >>> from datetime import UTC, datetime
    >>> from learningorg import LearningRecords
    >>> at = datetime(2024, 6, 1, tzinfo=UTC)
    >>> with LearningRecords("memory://") as records:
    ...     _ = records.register_organisation("o", "O", occurred_at=at)
    ...     frame = capacity_frame([records.capacity("o", "organisation", as_of=at)])
    >>> list(frame.columns[:6])
    ['organisation', 'level', 'entity', 'as_of', 'score', 'V']
    """
    pd = require("pandas")
    rows = capacity_rows(results, digits=digits)
    return pd.DataFrame(rows, columns=capacity_columns(rows))


def _requirement(period: Any, kind: str) -> str | None:
    for requirement in period.requirements:
        if requirement.kind == kind:
            return f"{round(requirement.achieved, 1):g}/{requirement.required:g}"
    return None


def compliance_rows(result: ComplianceResult) -> list[dict[str, Any]]:
    """One row per professional: status of the current period, achieved/required, what is needed.

    ``reflection_hours``, ``development_points`` and ``work_hours`` read "achieved/required".
    """
    rows: list[dict[str, Any]] = []
    for person in result.persons:
        period = person.current
        rows.append(
            {
                "person": person.key if person.key is not None else str(person.person_id),
                "team": person.team,
                "status": person.status,
                "flagged": person.flagged,
                "register": period.register_name if period else None,
                "period_end": period.period_end if period else None,
                "days_left": period.days_left if period else None,
                "elapsed": round(period.elapsed, 2) if period else None,
                "reflection_hours": _requirement(period, "reflection-hours") if period else None,
                "development_points": _requirement(period, "points") if period else None,
                "work_hours": _requirement(period, "work-hours") if period else None,
                "still_needed": person.still_needed,
            }
        )
    return rows


def compliance_frame(result: ComplianceResult) -> Any:
    """``compliance_rows`` as a DataFrame."""
    pd = require("pandas")
    return pd.DataFrame(compliance_rows(result), columns=list(COMPLIANCE_COLUMNS))


def flow_frames(graph: nx.DiGraph) -> tuple[Any, Any]:
    """A knowledge-flow graph as two DataFrames: nodes (``node`` + attributes) and edges
    (``source``, ``target`` + attributes), with the attributes as the exports write them."""
    pd = require("pandas")
    ready = export_ready(graph)
    nodes = pd.DataFrame([{"node": node, **data} for node, data in ready.nodes(data=True)])
    edges = pd.DataFrame(
        [{"source": u, "target": v, **data} for u, v, data in ready.edges(data=True)]
    )
    return nodes, edges


@dataclass(frozen=True)
class FlowSummary:
    """What a knowledge-flow report says in a few rows: brokers, teams, silos."""

    organisation: str
    brokers: list[dict[str, Any]]
    teams: list[dict[str, Any]]
    silos: list[str]
    silo_index: float | None
    cross_team_share: float | None


def flow_summary(report: Mapping[str, Any], *, top: int = 5) -> FlowSummary:
    """Summarise ``LearningRecords.knowledge_flow_report``: the top brokers, the teams ranked by
    the share of their flow that crosses their boundary, and the silos (teams whose boundary
    share is below ``SILO_BOUNDARY_SHARE``)."""
    measures = report["measures"]
    brokers = [
        {
            "rank": rank,
            "person": str(entry["person"])[:8],
            "team": entry["team"],
            "betweenness": round(entry["betweenness"], 3),
            "gives": round(entry["out_strength"], 1),
            "receives": round(entry["in_strength"], 1),
        }
        for rank, entry in enumerate(measures["brokers"]["top"][:top], start=1)
    ]
    teams = []
    for key, team in report["teams"].items():
        share = team["boundary_share"]
        teams.append(
            {
                "team": key,
                "members": team["members"],
                "within": round(team["internal_weight"], 1),
                "inflow": round(team["inflow"], 1),
                "outflow": round(team["outflow"], 1),
                "boundary_share": None if share is None else round(share, 2),
                "ei_index": None if team["ei_index"] is None else round(team["ei_index"], 2),
                "partner_teams": team["partner_teams"],
            }
        )
    teams.sort(key=lambda row: (row["boundary_share"] is None, row["boundary_share"] or 0.0))
    silos = [
        row["team"]
        for row in teams
        if row["boundary_share"] is not None and row["boundary_share"] < SILO_BOUNDARY_SHARE
    ]
    silo_index = measures["silo_index"]
    cross = measures["cross_team_share"]
    return FlowSummary(
        organisation=str(report["organisation"]),
        brokers=brokers,
        teams=teams,
        silos=silos,
        silo_index=None if silo_index is None else round(silo_index, 2),
        cross_team_share=None if cross is None else round(cross, 2),
    )


__all__ = [
    "CAPACITY_COLUMNS",
    "COMPLIANCE_COLUMNS",
    "SILO_BOUNDARY_SHARE",
    "FlowSummary",
    "capacity_columns",
    "capacity_frame",
    "capacity_rows",
    "compliance_frame",
    "compliance_rows",
    "flow_frames",
    "flow_summary",
]
