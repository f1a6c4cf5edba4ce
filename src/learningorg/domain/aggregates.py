"""Organisation, Team and Person aggregates: state folded from their own streams (domain layer).

An aggregate is rebuilt by applying its stored events in order (``replay``) and changed only by
``trigger``, which builds the next event of its stream, applies it and keeps it pending until the
application saves it. Nothing is ever edited: corrections are ``EventRetracted`` events.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, ClassVar, Self, TypeVar
from uuid import UUID

from learningorg.domain import events as ev
from learningorg.domain.envelope import Envelope

E = TypeVar("E", bound=ev.LearningEvent)


class Aggregate:
    """Common machinery of the three stream kinds."""

    KIND: ClassVar[ev.StreamKind]

    def __init__(self, aggregate_id: UUID, organisation: str) -> None:
        self.id = aggregate_id
        self.organisation = organisation
        self.version = 0
        self.event_ids: set[UUID] = set()
        self.retracted: set[UUID] = set()
        self._pending: list[ev.LearningEvent] = []

    @property
    def exists(self) -> bool:
        """Whether the stream has its creation event."""
        return self.version > 0

    @classmethod
    def replay(
        cls, aggregate_id: UUID, organisation: str, events: Iterable[ev.LearningEvent]
    ) -> Self:
        """Rebuild an aggregate from its stored events, in stream order."""
        aggregate = cls(aggregate_id, organisation)
        for event in events:
            aggregate.apply(event)
        return aggregate

    def apply(self, event: ev.LearningEvent) -> None:
        """Fold one event of this stream into the state."""
        if event.originator_version != self.version + 1:
            msg = (
                f"event {event.event_id} has stream version {event.originator_version}, "
                f"expected {self.version + 1}"
            )
            raise ValueError(msg)
        self.version = event.originator_version
        self.event_ids.add(event.event_id)
        if isinstance(event, ev.EventRetracted):
            self.retracted.add(event.retracted_event_id)
        handler = getattr(self, f"_on_{type(event).__name__}", None)
        if handler is not None:
            handler(event)

    def trigger(self, event_class: type[E], envelope: Envelope, **payload: Any) -> E:
        """Build, apply and keep pending the next event of this stream."""
        event = event_class(
            originator_id=self.id,
            originator_version=self.version + 1,
            **envelope.fields(),
            **payload,
        )
        self.apply(event)
        self._pending.append(event)
        return event

    def collect_events(self) -> list[ev.LearningEvent]:
        """Return and forget the events not yet saved."""
        pending, self._pending = self._pending, []
        return pending

    def has_event(self, event_id: UUID) -> bool:
        """Whether an event with this id is in the stream (idempotent recording)."""
        return event_id in self.event_ids


class Organisation(Aggregate):
    """The organisation stream: its vision values, practices and learning-time policy."""

    KIND: ClassVar[ev.StreamKind] = "organisation"

    def __init__(self, aggregate_id: UUID, organisation: str) -> None:
        super().__init__(aggregate_id, organisation)
        self.key = organisation
        self.name = ""
        self.values: dict[str, str] = {}
        self.practices: set[str] = set()

    def _on_OrganisationRegistered(self, event: ev.OrganisationRegistered) -> None:  # noqa: N802
        self.key, self.name = event.key, event.name

    def _on_VisionValueDefined(self, event: ev.VisionValueDefined) -> None:  # noqa: N802
        self.values[event.value_id] = event.label

    def _on_VisionValueRevised(self, event: ev.VisionValueRevised) -> None:  # noqa: N802
        self.values[event.value_id] = event.label

    def _on_PracticeInstitutionalised(self, event: ev.PracticeInstitutionalised) -> None:  # noqa: N802
        self.practices.add(event.practice_id)


@dataclass(frozen=True, slots=True)
class MembershipChange:
    """One join or leave of a person, as recorded in the team stream."""

    event_id: UUID
    person: UUID
    joined: bool
    at: datetime
    role: str = ""
    fte: float = 0.0
    site: str = ""


@dataclass(frozen=True, slots=True)
class MembershipPeriod:
    """A person's membership of a team from ``start`` until ``end`` (None: still a member)."""

    person: UUID
    start: datetime
    end: datetime | None
    role: str
    fte: float
    site: str

    def covers(self, moment: datetime) -> bool:
        """Whether the person was a member at ``moment`` (start inclusive, end exclusive)."""
        return self.start <= moment and (self.end is None or moment < self.end)


def membership_periods(changes: Sequence[MembershipChange]) -> list[MembershipPeriod]:
    """Turn joins and leaves (in any recording order) into validity periods.

    Changes are ordered by the time they occurred, so a late-recorded leave still closes the
    right period. A join while already a member updates role, FTE and site from then on.
    """
    periods: list[MembershipPeriod] = []
    open_by_person: dict[UUID, MembershipPeriod] = {}
    for change in sorted(changes, key=lambda c: (c.at, not c.joined)):
        current = open_by_person.pop(change.person, None)
        if current is not None:
            periods.append(
                MembershipPeriod(
                    current.person,
                    current.start,
                    change.at,
                    current.role,
                    current.fte,
                    current.site,
                )
            )
        if change.joined:
            open_by_person[change.person] = MembershipPeriod(
                change.person, change.at, None, change.role, change.fte, change.site
            )
    periods.extend(open_by_person.values())
    return [p for p in periods if p.end is None or p.end > p.start]


class Team(Aggregate):
    """The team stream: membership with validity periods, experiments, team learning."""

    KIND: ClassVar[ev.StreamKind] = "team"

    def __init__(self, aggregate_id: UUID, organisation: str) -> None:
        super().__init__(aggregate_id, organisation)
        self.key = ""
        self.name = ""
        self.parent: UUID | None = None
        self.dissolved_at: datetime | None = None
        self._changes: list[MembershipChange] = []
        self._periods: list[MembershipPeriod] | None = []
        self.experiments_started: dict[str, UUID] = {}
        self.experiments_evaluated: dict[str, UUID] = {}

    def _on_TeamRegistered(self, event: ev.TeamRegistered) -> None:  # noqa: N802
        self.key, self.name, self.parent = event.key, event.name, event.parent

    def _on_TeamRenamed(self, event: ev.TeamRenamed) -> None:  # noqa: N802
        self.name = event.name

    def _on_TeamDissolved(self, event: ev.TeamDissolved) -> None:  # noqa: N802
        self.dissolved_at = event.occurred_at

    def _on_MemberJoined(self, event: ev.MemberJoined) -> None:  # noqa: N802
        self._changes.append(
            MembershipChange(
                event.event_id,
                event.person,
                True,
                event.occurred_at,
                event.role,
                event.fte,
                event.site,
            )
        )
        self._periods = None

    def _on_MemberLeft(self, event: ev.MemberLeft) -> None:  # noqa: N802
        self._changes.append(
            MembershipChange(event.event_id, event.person, False, event.occurred_at)
        )
        self._periods = None

    def _on_EventRetracted(self, event: ev.EventRetracted) -> None:  # noqa: N802
        self._periods = None
        for experiments in (self.experiments_started, self.experiments_evaluated):
            for experiment_id, event_id in list(experiments.items()):
                if event_id == event.retracted_event_id:
                    del experiments[experiment_id]

    def _on_ExperimentStarted(self, event: ev.ExperimentStarted) -> None:  # noqa: N802
        self.experiments_started[event.experiment_id] = event.event_id

    def _on_ExperimentEvaluated(self, event: ev.ExperimentEvaluated) -> None:  # noqa: N802
        self.experiments_evaluated[event.experiment_id] = event.event_id

    @property
    def periods(self) -> list[MembershipPeriod]:
        """Every membership period, retracted joins and leaves left out."""
        if self._periods is None:
            live = [c for c in self._changes if c.event_id not in self.retracted]
            self._periods = membership_periods(live)
        return self._periods

    def members_at(self, moment: datetime) -> set[UUID]:
        """The persons who were members of the team at ``moment``."""
        return {p.person for p in self.periods if p.covers(moment)}

    def is_member(self, person: UUID, moment: datetime) -> bool:
        """Whether ``person`` was a member of the team at ``moment``."""
        return any(p.person == person and p.covers(moment) for p in self.periods)

    def membership_at(self, person: UUID, moment: datetime) -> MembershipPeriod | None:
        """The period in which ``person`` was a member at ``moment``, if any."""
        for period in self.periods:
            if period.person == person and period.covers(moment):
                return period
        return None


@dataclass
class Goal:
    """State of one development goal."""

    goal_id: str
    set_at: datetime
    values: tuple[str, ...]
    status: str = "active"
    progress: float = 0.0
    reviewed_at: list[datetime] = field(default_factory=list)


class Person(Aggregate):
    """The person stream: identity (personal data), own learning, registrations."""

    KIND: ClassVar[ev.StreamKind] = "person"

    def __init__(self, aggregate_id: UUID, organisation: str) -> None:
        super().__init__(aggregate_id, organisation)
        self.key: str | None = None
        self.name: str | None = None
        self.email: str | None = None
        self.identifiers: set[str] = set()
        self.erased = False
        self.goals: dict[str, Goal] = {}

    def _on_PersonRegistered(self, event: ev.PersonRegistered) -> None:  # noqa: N802
        self.key, self.name, self.email = event.key, event.name, event.email

    def _on_IdentifierLinked(self, event: ev.IdentifierLinked) -> None:  # noqa: N802
        self.identifiers.add(event.identifier)

    def _on_PersonErased(self, event: ev.PersonErased) -> None:  # noqa: N802
        self.erased = True
        self.key = self.name = self.email = None
        self.identifiers.clear()

    def _on_DevelopmentGoalSet(self, event: ev.DevelopmentGoalSet) -> None:  # noqa: N802
        self.goals[event.goal_id] = Goal(event.goal_id, event.occurred_at, event.values)

    def _on_DevelopmentGoalReviewed(self, event: ev.DevelopmentGoalReviewed) -> None:  # noqa: N802
        goal = self.goals.get(event.goal_id)
        if goal is not None:
            goal.status, goal.progress = event.status, event.progress
            goal.reviewed_at.append(event.occurred_at)


AGGREGATE_CLASSES: dict[ev.StreamKind, type[Aggregate]] = {
    "organisation": Organisation,
    "team": Team,
    "person": Person,
}
