"""Benchmark: knowledge-flow graph and the full report on 5,000 persons, 500 teams, 1M events.

DESIGN.md section 8: graph and all analytics in < 30 s on the project's 2-core machine, with
betweenness sampled (fixed seed, stated in the result). Not part of the test run::

    .venv/bin/python benchmarks/bench_knowledge_flow.py [events] [seed]

The history is built directly with ``build_history`` from synthetic events made with
``model_construct`` (no validation, no store), so only the projection is measured. The synthetic
organisation has the shape of a care organisation: 500 teams of 10 in 50 departments of 10 teams;
each person has five steady contacts outside their team (four in the department, one anywhere)
and each team two partner teams in its department; 5% of the people move team on the first of a
month. The one million knowledge events fall in the year before ``as_of`` (so all of them
count): 52% knowledge shared with one or two persons (65% in the team, 33% steady contacts, 2%
anyone), 6% shared with a team (85% the own team, else a partner team), 0.02% organisation-wide
(from ten staff members), 38% advice sought (same mix as shares), 1.2% intervision (4 to 8 team
members, one of them the case owner), 0.6% case consultations (three of the host team, two of
a partner team) and 2.2% learning activities that apply one of 50 practices (1 to 3 authors).
"""

from __future__ import annotations

import gc
import json
import random
import sys
import time
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID

from learningorg.application import HistoryEntry
from learningorg.domain import events as ev
from learningorg.projections.history import History, build_history
from learningorg.projections.knowledge_flow.report import knowledge_flow_report

ORGANISATION = "bench"
PERSONS = 5_000
TEAMS = 500
TEAMS_PER_DEPARTMENT = 10
AS_OF = datetime(2026, 1, 1, tzinfo=UTC)


class Synthetic:
    """Makes the synthetic history, one event at a time, with ``model_construct``."""

    def __init__(self, seed: int) -> None:
        self.rng = random.Random(seed)
        self.entries: list[HistoryEntry] = []

    def uuid(self) -> UUID:
        """A random UUID from the seeded generator (reproducible)."""
        return UUID(int=self.rng.getrandbits(128), version=4)

    def add(self, cls: type[ev.LearningEvent], stream: UUID, at: datetime, **fields: Any) -> None:
        """Append one event of ``cls`` to the history, unvalidated."""
        event = cls.model_construct(
            originator_id=stream,
            originator_version=1,
            event_id=self.uuid(),
            organisation=ORGANISATION,
            occurred_at=at,
            recorded_at=at,
            **fields,
        )
        self.entries.append(HistoryEntry(len(self.entries) + 1, event))


def make_history(events: int, seed: int) -> History:
    """The synthetic organisation's history with ``events`` knowledge events."""
    s = Synthetic(seed)
    rng = s.rng
    start = AS_OF - timedelta(days=365)
    founded = start - timedelta(days=30)
    organisation = s.uuid()
    s.add(ev.OrganisationRegistered, organisation, founded, key=ORGANISATION, name="Bench")
    teams = [s.uuid() for _ in range(TEAMS)]
    persons = [s.uuid() for _ in range(PERSONS)]
    size = PERSONS // TEAMS
    team_of = [i // size for i in range(PERSONS)]
    for i, team in enumerate(teams):
        s.add(ev.TeamRegistered, team, founded, key=f"T{i:03d}", name=f"Team {i}")
    for i, person in enumerate(persons):
        s.add(ev.PersonRegistered, person, founded, key=f"E{i:05d}")
        s.add(ev.MemberJoined, teams[team_of[i]], founded, person=person, site=f"site-{i % 7}")
    members = [list(range(t * size, (t + 1) * size)) for t in range(TEAMS)]
    department = [t // TEAMS_PER_DEPARTMENT for t in range(TEAMS)]
    per_department = size * TEAMS_PER_DEPARTMENT
    contacts = [
        [
            rng.randrange(
                department[team_of[i]] * per_department,
                (department[team_of[i]] + 1) * per_department,
            )
            for _ in range(4)
        ]
        + [rng.randrange(PERSONS)]
        for i in range(PERSONS)
    ]
    partners = [
        rng.sample(
            [
                u
                for u in range(
                    department[t] * TEAMS_PER_DEPARTMENT, (department[t] + 1) * TEAMS_PER_DEPARTMENT
                )
                if u != t
            ],
            2,
        )
        for t in range(TEAMS)
    ]
    practices = [f"P{k:02d}" for k in range(50)]
    for practice in practices:
        authors = tuple(persons[rng.randrange(PERSONS)] for _ in range(rng.randint(1, 3)))
        s.add(
            ev.PracticeInstitutionalised,
            organisation,
            founded,
            practice_id=practice,
            name=practice,
            kind="method",
            authors=authors,
        )
    # 5% move team on the first of a month (membership as it was at each event's time)
    for mover in rng.sample(range(PERSONS), PERSONS // 20):
        at = datetime(2025, rng.randint(2, 12), 1, tzinfo=UTC)
        new = rng.randrange(TEAMS)
        s.add(ev.MemberLeft, teams[team_of[mover]], at, person=persons[mover])
        s.add(ev.MemberJoined, teams[new], at, person=persons[mover], site="moved")
    broadcasters = rng.sample(range(PERSONS), 10)

    def partner(i: int) -> int:
        draw = rng.random()
        if draw < 0.65:
            j = rng.choice(members[team_of[i]])
        elif draw < 0.98:
            j = rng.choice(contacts[i])
        else:
            j = rng.randrange(PERSONS)
        return j if j != i else (i + 1) % PERSONS

    span = 365 * 86_400.0
    moments = sorted(rng.random() * span for _ in range(events))
    for offset in moments:
        at = start + timedelta(seconds=offset)
        i = rng.randrange(PERSONS)
        me = persons[i]
        draw = rng.random()
        if draw < 0.52:
            to = {persons[partner(i)] for _ in range(1 if rng.random() < 0.7 else 2)}
            s.add(ev.KnowledgeShared, me, at, to_persons=tuple(to))
        elif draw < 0.58:
            team = team_of[i] if rng.random() < 0.85 else rng.choice(partners[team_of[i]])
            s.add(ev.KnowledgeShared, me, at, to_teams=(teams[team],), mode="presentation")
        elif draw < 0.5802:
            sharer = persons[rng.choice(broadcasters)]
            s.add(ev.KnowledgeShared, sharer, at, organisation_wide=True, mode="document")
        elif draw < 0.9602:
            s.add(ev.AdviceSought, me, at, from_person=persons[partner(i)])
        elif draw < 0.9722:
            team = team_of[i]
            chosen = rng.sample(members[team], rng.randint(4, 8))
            s.add(
                ev.IntervisionHeld,
                teams[team],
                at,
                participants=tuple(persons[p] for p in chosen),
                minutes=90,
                case_owner=persons[chosen[0]],
            )
        elif draw < 0.9782:
            team = team_of[i]
            guest = rng.choice(partners[team])
            chosen = rng.sample(members[team], 3) + rng.sample(members[guest], 2)
            s.add(
                ev.CaseConsultationHeld,
                teams[team],
                at,
                participants=tuple(persons[p] for p in chosen),
                teams=(teams[guest],),
                minutes=60,
                case_owner=persons[chosen[0]],
            )
        else:
            s.add(
                ev.LearningActivityCompleted,
                me,
                at,
                mode="informal",
                practice_id=rng.choice(practices),
            )
    return build_history(ORGANISATION, s.entries)


def main(argv: list[str]) -> None:
    """Build the history, then time the report (graphs included) per analytic."""
    events = int(argv[1]) if len(argv) > 1 else 1_000_000
    seed = int(argv[2]) if len(argv) > 2 else 7
    started = time.perf_counter()
    history = make_history(events, seed)
    gc.collect()
    print(
        f"synthetic history: {len(history.entries):,} events "
        f"({events:,} knowledge events), made in {time.perf_counter() - started:.1f} s "
        "(not timed)"
    )
    timings: dict[str, float] = {}
    started = time.perf_counter()
    report = knowledge_flow_report(history, as_of=AS_OF, timings=timings)
    total = time.perf_counter() - started
    size = report["size"]
    brokers = report["measures"]["brokers"]
    print(
        f"person graph: {size['persons']:,} persons, {size['ties']:,} ties; team graph: "
        f"{size['teams']:,} teams, {size['team_links']:,} links"
    )
    print(f"betweenness: sampled={brokers['sampled']} k={brokers['k']} seed={brokers['seed']}")
    print(f"report: {len(json.dumps(report)):,} bytes of JSON")
    print()
    for label, seconds in timings.items():
        print(f"{label:<36} {seconds:7.2f} s")
    print(f"{'total: graphs and the full report':<36} {total:7.2f} s  (target < 30 s)")


if __name__ == "__main__":
    main(sys.argv)
