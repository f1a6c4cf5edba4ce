"""The demo's summary and its self-contained ``report.html`` (demo layer).

The summary holds only what the store's history and the projections that exist say; a section
whose projection is not available in this version is left out, never estimated.
"""

from __future__ import annotations

import base64
import html
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from learningorg.demo.insights import Insights
from learningorg.domain import events as ev
from learningorg.records import LearningRecords

LATE = timedelta(days=30)


@dataclass(frozen=True)
class OrganisationSummary:
    """Counts of one organisation's history."""

    key: str
    name: str
    teams: int
    professionals: int
    events: int
    late_records: int
    retractions: int


@dataclass(frozen=True)
class TeamActivity:
    """Raw counts of one team's shared learning over the whole history."""

    organisation: str
    team: str
    name: str
    members_at_end: int
    intervisions: int
    intervisions_last_year: int
    case_consultations: int
    experiments_started: int
    experiments_evaluated: int


@dataclass
class Summary:
    """Everything the demo reports, as plain data (the CLI prints it, the report renders it)."""

    seed: int
    as_of: datetime
    events: int
    organisations: list[OrganisationSummary] = field(default_factory=list)
    teams: list[TeamActivity] = field(default_factory=list)
    insights: Insights = field(default_factory=Insights)
    images: dict[str, bytes] = field(default_factory=dict)
    files: dict[str, Path] = field(default_factory=dict)

    def numbers(self) -> dict[str, Any]:
        """The report's numbers (everything but images, graphs and paths), for comparisons."""
        found = self.insights
        return {
            "seed": self.seed,
            "as_of": self.as_of.isoformat(),
            "events": self.events,
            "organisations": [vars(o) for o in self.organisations],
            "teams": [vars(t) for t in self.teams],
            "capacity": found.capacity,
            "team_capacity": found.team_capacity,
            "series": found.series,
            "team_series": found.team_series,
            "compliance": found.compliance,
            "team_compliance": found.team_compliance,
            "flagged": found.flagged,
            "brokers": found.brokers,
            "silos": found.silos,
            "flow": found.flow,
            "broker": None if found.broker is None else vars(found.broker),
        }

    def team_ranking(self) -> list[dict[str, Any]]:
        """Teams by the share of their professionals on track for SKJ (then capacity score)."""
        scores = {(r["organisation"], r["entity"]): r["score"] for r in self.insights.team_capacity}
        names = {(t.organisation, t.team): t.name for t in self.teams}
        rows = []
        for row in self.insights.team_compliance:
            key = (row["organisation"], row["team"])
            total = row["professionals"]
            share = row["on_track"] / total if total else None
            rows.append({**row, "name": names.get(key, row["team"]),
                         "share": None if share is None else round(share, 2),
                         "score": scores.get(key)})  # fmt: skip
        rows.sort(key=lambda r: (-(r["share"] or 0.0), -(r["score"] or 0.0), r["name"]))
        return rows


def summarise(records: LearningRecords, seed: int, as_of: datetime) -> Summary:
    """Count the history per organisation and per team, in one pass over the total order."""
    summary = Summary(seed=seed, as_of=as_of, events=records.max_position())
    per_org: Counter[str] = Counter()
    late: Counter[str] = Counter()
    retracted: Counter[str] = Counter()
    persons: Counter[str] = Counter()
    names: dict[str, str] = {}
    team_names: dict[tuple[str, str], str] = {}
    team_by_id: dict[Any, tuple[str, str]] = {}
    counts: dict[tuple[str, str], Counter[str]] = defaultdict(Counter)
    year_ago = as_of - timedelta(days=365)
    for entry in records.events():
        event = entry.event
        org = event.organisation
        per_org[org] += 1
        if event.recorded_at - event.occurred_at > LATE:
            late[org] += 1
        if isinstance(event, ev.EventRetracted):
            retracted[org] += 1
        elif isinstance(event, ev.OrganisationRegistered):
            names[org] = event.name
        elif isinstance(event, ev.PersonRegistered):
            persons[org] += 1
        elif isinstance(event, ev.TeamRegistered):
            team_names[(org, event.key)] = event.name
            team_by_id[event.originator_id] = (org, event.key)
        elif isinstance(
            event,
            ev.IntervisionHeld
            | ev.CaseConsultationHeld
            | ev.ExperimentStarted
            | ev.ExperimentEvaluated,
        ):
            team = team_by_id.get(event.originator_id)
            if team is not None:
                counts[team][type(event).__name__] += 1
                if isinstance(event, ev.IntervisionHeld) and event.occurred_at >= year_ago:
                    counts[team]["recent"] += 1
    for org in sorted(per_org):
        summary.organisations.append(
            OrganisationSummary(
                key=org,
                name=names.get(org, org),
                teams=sum(1 for o, _ in team_names if o == org),
                professionals=persons[org],
                events=per_org[org],
                late_records=late[org],
                retractions=retracted[org],
            )
        )
    for org, team_key in sorted(team_names):
        state = records.team(org, team_key)
        c = counts[(org, team_key)]
        summary.teams.append(
            TeamActivity(
                organisation=org,
                team=team_key,
                name=team_names[(org, team_key)],
                members_at_end=len(state.members_at(as_of)),
                intervisions=c["IntervisionHeld"],
                intervisions_last_year=c["recent"],
                case_consultations=c["CaseConsultationHeld"],
                experiments_started=c["ExperimentStarted"],
                experiments_evaluated=c["ExperimentEvaluated"],
            )
        )
    return summary


_CSS = """
body{font-family:system-ui,sans-serif;margin:2rem auto;max-width:60rem;color:#222;padding:0 1rem}
h1{font-size:1.6rem}h2{font-size:1.2rem;margin-top:2rem;border-bottom:1px solid #ddd}
table{border-collapse:collapse;margin:.5rem 0;font-size:.9rem}
th,td{border:1px solid #ccc;padding:.25rem .6rem;text-align:right}
th:first-child,td:first-child,th:nth-child(2),td:nth-child(2){text-align:left}
th{background:#f3f3f3}img{max-width:100%;border:1px solid #eee}
.note{color:#555;font-size:.9rem}
"""


def _table(header: list[str], rows: list[list[Any]]) -> str:
    head = "".join(f"<th>{html.escape(h)}</th>" for h in header)
    body = "".join(
        "<tr>" + "".join(f"<td>{html.escape(str(v))}</td>" for v in row) + "</tr>" for row in rows
    )
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def _image(name: str, png: bytes, alt: str) -> str:
    data = base64.b64encode(png).decode("ascii")
    source = f"data:image/png;base64,{data}"
    return f'<img id="{html.escape(name)}" alt="{html.escape(alt)}" src="{source}">'


def _nji_table(rows: list[dict[str, Any]], *first: str) -> str:
    return _table(
        [*first, "score", "V vision", "U uncertainty", "M mastery", "S systems", "coverage"],
        [
            [*(r["organisation"] for _ in first[1:]), r["entity"], r["score"], r["V"], r["U"],
             r["M"], r["S"], r["coverage"]]
            for r in rows
        ],
    )  # fmt: skip


def _compliance_section(summary: Summary) -> list[str]:
    found = summary.insights
    statuses = ("met", "on_track", "at_risk", "short")
    ranking = summary.team_ranking()
    return [
        "<h2>SKJ re-registration: who is on track?</h2>",
        '<p class="note">Per professional, the current five-year SKJ period: <b>met</b> (every '
        "requirement reached), <b>on track</b> (at or above the pro-rata share of every "
        "requirement), <b>at risk</b> (behind on one), <b>short</b> (the period ended "
        "unfinished). Requirements: 60 reflection hours, 60 development points (40 formal), "
        "3,368 hours of work.</p>",
        _table(
            ["organisation", *statuses, "flagged"],
            [
                [
                    org,
                    *(counts.get(s, 0) for s in statuses),
                    sum(1 for f in found.flagged if f["organisation"] == org),
                ]
                for org, counts in found.compliance.items()
            ],
        ),
        "<h3>Teams from most to least on track</h3>",
        _table(
            [
                "organisation",
                "team",
                "professionals",
                "on track or met",
                "at risk",
                "short",
                "capacity score",
            ],
            [
                [
                    r["organisation"],
                    r["name"],
                    r["professionals"],
                    r["on_track"],
                    r["at_risk"],
                    r["short"],
                    r["score"],
                ]
                for r in ranking
            ],
        ),
        "<h3>Flagged: the period ends within 12 months and they are not on track</h3>",
        '<p class="note">Professionals employed at the report date.</p>',
        _table(
            ["organisation", "professional", "team", "status", "period ends", "still needed"],
            [
                [
                    f["organisation"],
                    f["person"],
                    f["team"],
                    f["status"],
                    f["period_end"],
                    f["still_needed"],
                ]
                for f in found.flagged
            ],
        ),
    ]


def _flow_section(summary: Summary) -> list[str]:
    found = summary.insights
    parts = [
        "<h2>Knowledge flow: brokers and silos</h2>",
        '<p class="note">Who learns from whom in the last year (advice, shared knowledge, '
        "intervision, case consultation, practices). A <b>broker</b> sits on many routes between "
        "colleagues of different teams (betweenness); a <b>silo</b> is a team that keeps less "
        "than 10% of its flow across its boundary. Persons are pseudonyms.</p>",
        _table(
            ["organisation", "rank", "broker", "team", "betweenness", "gives", "receives"],
            [
                [
                    b["organisation"],
                    b["rank"],
                    b["person"],
                    b["team"],
                    b["betweenness"],
                    b["gives"],
                    b["receives"],
                ]
                for b in found.brokers
            ],
        ),
        _table(
            ["organisation", "share of flow crossing teams", "silo index", "silos"],
            [
                [
                    org,
                    flow["cross_team_share"],
                    flow["silo_index"],
                    ", ".join(found.silos.get(org, [])) or "none",
                ]
                for org, flow in found.flow.items()
            ],
        ),
    ]
    story = found.broker
    if story is not None:
        parts += [
            "<h3>The broker who left</h3>",
            f"<p>{html.escape(story.person)} (team {html.escape(story.team)}, "
            f"{html.escape(story.organisation)}) was broker number {story.rank_before} in the "
            f"year before leaving on {story.left_on} (betweenness {story.betweenness_before}). "
            f"In the year after, the share of knowledge crossing teams went from "
            f"{story.cross_team_share_before} to {story.cross_team_share_after}; "
            f"{story.lost_cross_team_ties} of the {story.cross_team_ties_before} cross-team ties "
            f"of the year before were gone, {story.lost_ties_of_the_broker} of them the "
            "broker's own. The drawings show the broker as the labelled hub, then the gap.</p>",
            _table(
                ["between teams", "flow the year before", "flow the year after"],
                [
                    [
                        pair,
                        story.team_flow_before.get(pair, 0.0),
                        story.team_flow_after.get(pair, 0.0),
                    ]
                    for pair in sorted(set(story.team_flow_before) | set(story.team_flow_after))
                ],
            ),
        ]
        if "capacity-teams" in summary.images:
            parts.append(_image("capacity-teams", summary.images["capacity-teams"],
                                f"capacity of the teams of {story.organisation}"))  # fmt: skip
        for name in ("broker-before", "broker-after"):
            if name in summary.images:
                parts.append(_image(name, summary.images[name], name.replace("-", " ")))
    for name, png in summary.images.items():
        if name.startswith("flow-"):
            parts.append(_image(name, png, f"team knowledge flow {name[5:]}"))
    return parts


def render_html(summary: Summary) -> str:
    """The report as one self-contained HTML page (inline CSS and base64 PNG images, no script)."""
    found = summary.insights
    parts = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        "<title>learningorg demo report</title>",
        f"<style>{_CSS}</style></head><body>",
        "<h1>learningorg demo: four youth-care organisations over two years</h1>",
        f'<p class="note">Synthetic history, seed {summary.seed}, {summary.events} events, '
        f"reported as of {summary.as_of:%Y-%m-%d}. Scores and counts are for conversation and "
        "improvement, not for appraising individuals.</p>",
        "<h2>Organisations</h2>",
        _table(
            [
                "organisation",
                "name",
                "teams",
                "professionals",
                "events",
                "late records",
                "retractions",
            ],
            [
                [o.key, o.name, o.teams, o.professionals, o.events, o.late_records, o.retractions]
                for o in summary.organisations
            ],
        ),
        "<h2>Learning capacity: the NJi profile</h2>",
        '<p class="note">Scores 0-100 from the recorded events of the last year, grouped as the '
        "Nederlands Jeugdinstituut does: V a shared vision, U dealing with uncertainty, "
        "M personal mastery, S a systems view. 100 means the norm reached at a steady pace; "
        "an empty cell means no data, not no learning.</p>",
        _nji_table(found.capacity, "organisation"),
    ]
    for name in ("nji", "capacity"):
        if name in summary.images:
            parts.append(f"<h3>{html.escape(_TITLES[name])}</h3>")
            parts.append(_image(name, summary.images[name], _TITLES[name]))
    parts.append(_nji_table(found.team_capacity, "organisation", "team"))
    parts += _compliance_section(summary)
    parts += _flow_section(summary)
    parts += [
        "<h2>Team learning (raw counts)</h2>",
        '<p class="note">Intervision and case consultations held, experiments started and '
        "evaluated, over the whole history; members at the report date.</p>",
        _table(
            [
                "organisation",
                "team",
                "members",
                "intervisions",
                "last 12 months",
                "case consultations",
                "experiments started",
                "evaluated",
            ],
            [
                [
                    t.organisation,
                    t.team,
                    t.members_at_end,
                    t.intervisions,
                    t.intervisions_last_year,
                    t.case_consultations,
                    t.experiments_started,
                    t.experiments_evaluated,
                ]
                for t in summary.teams
            ],
        ),
    ]
    if "activity" in summary.images:
        parts.append(_image("activity", summary.images["activity"], _TITLES["activity"]))
    if summary.files:
        parts.append("<h2>Exports</h2><ul>")
        parts.extend(
            f"<li>{html.escape(label)}: <code>{html.escape(path.name)}</code></li>"
            for label, path in summary.files.items()
        )
        parts.append("</ul>")
    parts.append("</body></html>")
    return "\n".join(parts) + "\n"


_TITLES = {
    "activity": "Learning events per month",
    "capacity": "Learning capacity over time, per organisation",
    "nji": "NJi profile per organisation",
}
