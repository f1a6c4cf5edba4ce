"""An organisation's live facts indexed for scoring at any moment (projections layer).

Built once from the facts (one pass), the index answers window queries with binary search, so a
series of moments is scored from one fold of the history instead of one replay per moment.
Membership has validity periods and is evaluated at the moment of each event.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from operator import itemgetter
from typing import Any

from learningorg.domain import events as ev
from learningorg.projections.capacity.facts import Fact, kind_of

K_ORGANISATION_REGISTERED = kind_of(ev.OrganisationRegistered)
K_VALUE_DEFINED = kind_of(ev.VisionValueDefined)
K_VALUE_REVISED = kind_of(ev.VisionValueRevised)
K_PRACTICE = kind_of(ev.PracticeInstitutionalised)
K_DIALOGUE = kind_of(ev.VisionDialogueHeld)
K_CLIMATE = kind_of(ev.LearningClimateMeasured)
K_TEAM_REGISTERED = kind_of(ev.TeamRegistered)
K_TEAM_DISSOLVED = kind_of(ev.TeamDissolved)
K_JOINED = kind_of(ev.MemberJoined)
K_LEFT = kind_of(ev.MemberLeft)
K_INTERVISION = kind_of(ev.IntervisionHeld)
K_CONSULTATION = kind_of(ev.CaseConsultationHeld)
K_STARTED = kind_of(ev.ExperimentStarted)
K_EVALUATED = kind_of(ev.ExperimentEvaluated)
K_LESSON = kind_of(ev.LessonCaptured)
K_PERSON_REGISTERED = kind_of(ev.PersonRegistered)
K_EXPERIENCE = kind_of(ev.ExperienceRecorded)
K_REFLECTION = kind_of(ev.ReflectionLogged)
K_ACTIVITY = kind_of(ev.LearningActivityCompleted)
K_GOAL_SET = kind_of(ev.DevelopmentGoalSet)
K_GOAL_REVIEWED = kind_of(ev.DevelopmentGoalReviewed)
K_ASSUMPTION = kind_of(ev.AssumptionRevised)
K_SHARED = kind_of(ev.KnowledgeShared)
K_ADVICE = kind_of(ev.AdviceSought)
K_EXTERNAL = kind_of(ev.ExternalKnowledgeAcquired)

SESSION_KINDS = frozenset({K_INTERVISION, K_CONSULTATION})
#: Kinds that can close a learning cycle when they refer to an earlier event (P2).
FOLLOW_UP_KINDS = frozenset({K_REFLECTION, K_INTERVISION, K_CONSULTATION, K_LESSON})


#: Facts ordered by the time they occurred, then by recording order.
_BY_TIME = itemgetter(6, 0)  # (occurred_at, position) of a Fact


class Timeline:
    """Facts ordered by the time they occurred (ties in recording order)."""

    __slots__ = ("facts", "times")

    def __init__(self, facts: Iterable[Fact] = ()) -> None:
        ordered = sorted(facts, key=_BY_TIME)
        self.facts: list[Fact] = ordered
        self.times: list[float] = [f.occurred_at for f in ordered]

    def __len__(self) -> int:
        return len(self.facts)

    def between(self, low: float, high: float) -> list[Fact]:
        """Facts with ``low <= occurred_at <= high``."""
        return self.facts[bisect_left(self.times, low) : bisect_right(self.times, high)]

    def until(self, high: float) -> list[Fact]:
        """Facts with ``occurred_at <= high``."""
        return self.facts[: bisect_right(self.times, high)]

    def latest(self, high: float) -> Fact | None:
        """The last fact with ``occurred_at <= high`` (the last recorded among equal times)."""
        index = bisect_right(self.times, high)
        return self.facts[index - 1] if index else None


_EMPTY = Timeline()


@dataclass(frozen=True, slots=True)
class Period:
    """A membership of a team from ``start`` (inclusive) to ``end`` (exclusive; None: open)."""

    team: str
    person: str
    start: float
    end: float | None
    fte: float

    def covers(self, moment: float) -> bool:
        """Whether the person was a member at ``moment``."""
        return self.start <= moment and (self.end is None or moment < self.end)


def _periods(changes: list[tuple[Fact, bool]], team: str) -> list[Period]:
    """Joins and leaves of one team (recording order) as validity periods.

    The same rules as ``learningorg.domain.aggregates.membership_periods``: changes ordered by
    the time they occurred, a leave before a join at the same moment, a join while a member
    starts a new period (new FTE), empty periods dropped.
    """
    periods: list[Period] = []
    open_periods: dict[str, Period] = {}
    for fact, joined in sorted(changes, key=lambda c: (c[0].occurred_at, not c[1])):
        person = str(fact.data["person"])
        current = open_periods.pop(person, None)
        if current is not None:
            periods.append(Period(team, person, current.start, fact.occurred_at, current.fte))
        if joined:
            fte = float(fact.data.get("fte", 0.0))
            open_periods[person] = Period(team, person, fact.occurred_at, None, fte)
    periods.extend(open_periods.values())
    return [p for p in periods if p.end is None or p.end > p.start]


@dataclass(slots=True)
class TeamRecord:
    """What the index knows of a team."""

    id: str
    key: str
    registered_at: float
    dissolved_at: float | None = None
    first_at: float = float("inf")


@dataclass(slots=True)
class Experiment:
    """One experiment of a team: its start and (if any) its evaluation."""

    team: str
    experiment_id: str
    start: Fact | None = None
    evaluation: Fact | None = None


@dataclass
class LearningIndex:
    """Live facts of one organisation, indexed by person, team and kind."""

    organisation: str
    position: int = 0
    org_stream: str | None = None
    teams: dict[str, TeamRecord] = field(default_factory=dict)
    persons: dict[str, float] = field(default_factory=dict)
    periods_by_team: dict[str, list[Period]] = field(default_factory=dict)
    periods_by_person: dict[str, list[Period]] = field(default_factory=dict)
    own: dict[str, dict[str, Timeline]] = field(default_factory=dict)
    sessions: dict[str, Timeline] = field(default_factory=dict)
    team_facts: dict[str, dict[str, Timeline]] = field(default_factory=dict)
    org_facts: dict[str, Timeline] = field(default_factory=dict)
    by_kind: dict[str, Timeline] = field(default_factory=dict)
    experiments: dict[tuple[str, str], Experiment] = field(default_factory=dict)
    owned: dict[str, list[Experiment]] = field(default_factory=dict)
    authored_lessons: dict[str, Timeline] = field(default_factory=dict)
    follow_ups: dict[str, list[Fact]] = field(default_factory=dict)
    practices_from: dict[str, list[Fact]] = field(default_factory=dict)
    value_touches: dict[str, list[float]] = field(default_factory=dict)
    event_ids: set[str] = field(default_factory=set)

    @classmethod
    def build(cls, organisation: str, facts: Iterable[Fact]) -> LearningIndex:
        """Index live facts (retractions applied, in recording order) of ``organisation``."""
        index = cls(organisation)
        own: dict[str, dict[str, list[Fact]]] = defaultdict(lambda: defaultdict(list))
        sessions: dict[str, list[Fact]] = defaultdict(list)
        by_stream: dict[str, dict[str, list[Fact]]] = defaultdict(lambda: defaultdict(list))
        by_kind: dict[str, list[Fact]] = defaultdict(list)
        changes: dict[str, list[tuple[Fact, bool]]] = defaultdict(list)
        lessons_by_author: dict[str, list[Fact]] = defaultdict(list)
        follow_ups: dict[str, list[Fact]] = defaultdict(list)
        practices_from: dict[str, list[Fact]] = defaultdict(list)
        touches: dict[str, list[float]] = defaultdict(list)
        for fact in facts:
            if fact.organisation != organisation:
                continue
            index.position = max(index.position, fact.position)
            index.event_ids.add(fact.event_id)
            kind, data = fact.kind, fact.data
            by_kind[kind].append(fact)
            if fact.person is not None:
                own[fact.person][kind].append(fact)
                if kind == K_PERSON_REGISTERED:
                    index.persons.setdefault(fact.person, fact.occurred_at)
            else:
                by_stream[fact.stream][kind].append(fact)
            if kind == K_ORGANISATION_REGISTERED:
                index.org_stream = fact.stream
            elif kind == K_TEAM_REGISTERED:
                index.teams[fact.stream] = TeamRecord(fact.stream, data["key"], fact.occurred_at)
            elif kind == K_TEAM_DISSOLVED and fact.stream in index.teams:
                index.teams[fact.stream].dissolved_at = fact.occurred_at
            elif kind in (K_JOINED, K_LEFT):
                changes[fact.stream].append((fact, kind == K_JOINED))
            elif kind in SESSION_KINDS:
                for person in data.get("participants", ()):
                    sessions[person].append(fact)
            elif kind in (K_STARTED, K_EVALUATED):
                key = (fact.stream, str(data["experiment_id"]))
                experiment = index.experiments.setdefault(key, Experiment(*key))
                if kind == K_STARTED:
                    experiment.start = fact
                else:
                    experiment.evaluation = fact
            elif kind == K_LESSON:
                for author in data.get("authors", ()):
                    lessons_by_author[author].append(fact)
            elif kind == K_PRACTICE:
                for source in (*data.get("derived_from", ()), *data.get("refs", ())):
                    practices_from[source].append(fact)
            if kind in (K_VALUE_DEFINED, K_VALUE_REVISED):
                touches[str(data["value_id"])].append(fact.occurred_at)
            elif kind == K_DIALOGUE:
                for value in data.get("values", ()):
                    touches[value].append(fact.occurred_at)
            if kind in FOLLOW_UP_KINDS:
                for ref in data.get("refs", ()):
                    follow_ups[ref].append(fact)
        for team, team_changes in changes.items():
            periods = _periods(team_changes, team)
            index.periods_by_team[team] = periods
            for period in periods:
                index.periods_by_person.setdefault(period.person, []).append(period)
        for stream, kinds in by_stream.items():
            timelines = {kind: Timeline(items) for kind, items in kinds.items()}
            record = index.teams.get(stream)
            if record is not None:
                index.team_facts[stream] = timelines
                record.first_at = min(t.times[0] for t in timelines.values())
            elif stream == index.org_stream:
                index.org_facts = timelines
            # Facts of a stream whose registration was retracted belong to nothing.
        index.own = {p: {k: Timeline(v) for k, v in kinds.items()} for p, kinds in own.items()}
        index.sessions = {p: Timeline(v) for p, v in sessions.items()}
        index.by_kind = {k: Timeline(v) for k, v in by_kind.items()}
        index.authored_lessons = {p: Timeline(v) for p, v in lessons_by_author.items()}
        for experiment in index.experiments.values():
            if experiment.start is not None:
                for owner in experiment.start.data.get("owners", ()):
                    index.owned.setdefault(owner, []).append(experiment)
        index.follow_ups = dict(follow_ups)
        index.practices_from = dict(practices_from)
        index.value_touches = {v: sorted(times) for v, times in touches.items()}
        return index

    # ------------------------------------------------------------------ lookups

    def own_facts(self, person: str, kind: str) -> Timeline:
        """Facts of ``kind`` in the person's own stream."""
        return self.own.get(person, {}).get(kind, _EMPTY)

    def sessions_of(self, person: str) -> Timeline:
        """Intervisions and case consultations the person took part in."""
        return self.sessions.get(person, _EMPTY)

    def team_kind(self, team: str, kind: str) -> Timeline:
        """Facts of ``kind`` in the team's stream."""
        return self.team_facts.get(team, {}).get(kind, _EMPTY)

    def org_kind(self, kind: str) -> Timeline:
        """Facts of ``kind`` in the organisation's own stream."""
        return self.org_facts.get(kind, _EMPTY)

    def kind(self, kind: str) -> Timeline:
        """Facts of ``kind`` anywhere in the organisation."""
        return self.by_kind.get(kind, _EMPTY)

    def members(self, team: str, moment: float) -> list[Period]:
        """The membership periods of ``team`` covering ``moment`` (sorted by person)."""
        found = [p for p in self.periods_by_team.get(team, ()) if p.covers(moment)]
        return sorted(found, key=lambda p: p.person)

    def teams_of(self, person: str, moment: float) -> set[str]:
        """The teams ``person`` was a member of at ``moment``."""
        return {p.team for p in self.periods_by_person.get(person, ()) if p.covers(moment)}

    def team_of(self, person: str, moment: float) -> str | None:
        """The person's main team at ``moment``: largest FTE, then earliest start, then id."""
        best: tuple[float, float, str] | None = None
        for period in self.periods_by_person.get(person, ()):
            if period.covers(moment):
                rank = (-period.fte, period.start, period.team)
                if best is None or rank < best:
                    best = rank
        return None if best is None else best[2]

    def ever_members(self, team: str, low: float, high: float) -> set[str]:
        """Persons with a membership of ``team`` overlapping ``[low, high]``."""
        return {
            p.person
            for p in self.periods_by_team.get(team, ())
            if p.start <= high and (p.end is None or p.end > low)
        }

    def teams_at(self, moment: float) -> list[str]:
        """Teams that existed at ``moment``: a first event at or before it, not dissolved."""
        return sorted(
            team.id
            for team in self.teams.values()
            if team.first_at <= moment and (team.dissolved_at is None or team.dissolved_at > moment)
        )

    def value_touched(self, value: str, high: float) -> float | None:
        """When the vision value was last defined, revised or discussed at or before ``high``."""
        times = self.value_touches.get(value)
        if not times:
            return None
        index = bisect_right(times, high)
        return times[index - 1] if index else None


def data_list(fact: Fact, name: str) -> list[Any]:
    """A list field of a fact's data (empty when left out)."""
    value = fact.data.get(name)
    return list(value) if value else []


__all__ = [
    "Experiment",
    "LearningIndex",
    "Period",
    "TeamRecord",
    "Timeline",
    "data_list",
]
