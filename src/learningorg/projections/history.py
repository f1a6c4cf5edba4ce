"""The shared replay machinery: one organisation's history on both time axes (projections layer).

Every projection is a pure fold over the ordered history. ``load_history`` reads one
organisation's events in the store's total order, keeps only what was known at ``known_at``
(a recording time or a position), and leaves out retracted events, so projections only decide
what counts at their business time ``as_of``.

Retractions are corrections: a retracted event never happened, whatever ``as_of`` asks about.
They respect ``known_at``: a retraction recorded after ``known_at`` was not yet known then.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING
from uuid import UUID

from learningorg.domain import events as ev
from learningorg.domain.aggregates import MembershipChange, MembershipPeriod, membership_periods
from learningorg.domain.errors import InvalidValueError, NaiveDatetimeError

if TYPE_CHECKING:
    from learningorg.application import HistoryEntry, Records

KnownAt = datetime | int | None


@dataclass(frozen=True, slots=True)
class TeamInfo:
    """What projections need to know of a team."""

    id: UUID
    key: str
    name: str
    parent: UUID | None
    registered_at: datetime
    dissolved_at: datetime | None = None


class Memberships:
    """Team membership with validity periods: who was in which team at a moment."""

    def __init__(self, changes: Iterable[tuple[UUID, MembershipChange]] = ()) -> None:
        by_team: dict[UUID, list[MembershipChange]] = defaultdict(list)
        for team, change in changes:
            by_team[team].append(change)
        self.periods: dict[UUID, list[MembershipPeriod]] = {
            team: membership_periods(team_changes) for team, team_changes in by_team.items()
        }
        self._by_person: dict[UUID, list[tuple[UUID, MembershipPeriod]]] = defaultdict(list)
        for team, periods in self.periods.items():
            for period in periods:
                self._by_person[period.person].append((team, period))

    def members(self, team: UUID, moment: datetime) -> set[UUID]:
        """The persons in ``team`` at ``moment``."""
        return {p.person for p in self.periods.get(team, ()) if p.covers(moment)}

    def teams_of(self, person: UUID, moment: datetime) -> set[UUID]:
        """The teams ``person`` was a member of at ``moment``."""
        return {team for team, p in self._by_person.get(person, ()) if p.covers(moment)}

    def team_of(self, person: UUID, moment: datetime) -> UUID | None:
        """The person's main team at ``moment`` (largest FTE, then earliest start), if any."""
        best: tuple[float, float, UUID] | None = None
        for team, period in self._by_person.get(person, ()):
            if period.covers(moment):
                rank = (-period.fte, period.start.timestamp(), team)
                if best is None or rank < best:
                    best = rank
        return None if best is None else best[2]

    def fte(self, person: UUID, team: UUID, moment: datetime) -> float:
        """The person's FTE in ``team`` at ``moment`` (0 when not a member)."""
        for member_team, period in self._by_person.get(person, ()):
            if member_team == team and period.covers(moment):
                return period.fte
        return 0.0

    def persons(self) -> set[UUID]:
        """Everyone who was ever a member of any team."""
        return set(self._by_person)

    def period_of(self, person: UUID, team: UUID, moment: datetime) -> MembershipPeriod | None:
        """The membership period of ``person`` in ``team`` covering ``moment``, if any."""
        for member_team, period in self._by_person.get(person, ()):
            if member_team == team and period.covers(moment):
                return period
        return None


@dataclass
class History:
    """One organisation's known history: ordered entries, retractions applied, membership."""

    organisation: str
    entries: list[HistoryEntry]
    retracted: frozenset[UUID]
    memberships: Memberships
    teams: dict[UUID, TeamInfo]
    persons: dict[UUID, datetime]
    values: dict[str, str] = field(default_factory=dict)
    last_position: int = 0

    def events(self, as_of: datetime | None = None) -> Iterator[ev.LearningEvent]:
        """Events in recording order, those that occurred after ``as_of`` left out."""
        for entry in self.entries:
            if as_of is None or entry.event.occurred_at <= as_of:
                yield entry.event

    def of_type(
        self, event_class: type[ev.LearningEvent], as_of: datetime | None = None
    ) -> Iterator[ev.LearningEvent]:
        """Events of one class (see ``events``)."""
        for event in self.events(as_of):
            if type(event) is event_class:
                yield event


def _known(entry: HistoryEntry, known_at: KnownAt) -> bool:
    if known_at is None:
        return True
    if isinstance(known_at, int):
        return entry.position <= known_at
    return entry.event.recorded_at <= known_at


def check_moment(value: datetime | None, name: str) -> datetime | None:
    """Reject naive datetimes at a query boundary with a typed error."""
    if value is None:
        return None
    if not isinstance(value, datetime):
        msg = f"{name} {value!r} is not a datetime; pass a timezone-aware datetime"
        raise InvalidValueError(msg)
    if value.tzinfo is None or value.utcoffset() is None:
        msg = f"{name} {value.isoformat()} has no time zone; pass a timezone-aware datetime"
        raise NaiveDatetimeError(msg)
    return value


def check_known_at(value: KnownAt) -> KnownAt:
    """Validate ``known_at``: a position (int >= 0), an aware datetime, or None."""
    if isinstance(value, bool):
        msg = f"known_at {value!r} is neither a position nor a datetime"
        raise InvalidValueError(msg)
    if isinstance(value, int):
        if value < 0:
            msg = f"known_at position {value} is negative; positions start at 1"
            raise InvalidValueError(msg)
        return value
    return check_moment(value, "known_at")


def build_history(
    organisation: str, entries: Iterable[HistoryEntry], known_at: KnownAt = None
) -> History:
    """Fold ordered entries of one organisation into a ``History`` (pure; no store needed)."""
    known_at = check_known_at(known_at)
    kept: list[HistoryEntry] = []
    retracted: set[UUID] = set()
    last = 0
    for entry in entries:
        if entry.event.organisation != organisation or not _known(entry, known_at):
            continue
        last = entry.position
        if isinstance(entry.event, ev.EventRetracted):
            retracted.add(entry.event.retracted_event_id)
        kept.append(entry)
    live = [e for e in kept if e.event.event_id not in retracted]
    changes: list[tuple[UUID, MembershipChange]] = []
    teams: dict[UUID, TeamInfo] = {}
    persons: dict[UUID, datetime] = {}
    values: dict[str, str] = {}
    for entry in live:
        event = entry.event
        if isinstance(event, ev.MemberJoined):
            changes.append(
                (
                    event.originator_id,
                    MembershipChange(
                        event.event_id,
                        event.person,
                        True,
                        event.occurred_at,
                        event.role,
                        event.fte,
                        event.site,
                    ),
                )
            )
        elif isinstance(event, ev.MemberLeft):
            changes.append(
                (
                    event.originator_id,
                    MembershipChange(event.event_id, event.person, False, event.occurred_at),
                )
            )
        elif isinstance(event, ev.TeamRegistered):
            teams[event.originator_id] = TeamInfo(
                event.originator_id, event.key, event.name, event.parent, event.occurred_at
            )
        elif isinstance(event, ev.TeamRenamed) and event.originator_id in teams:
            info = teams[event.originator_id]
            teams[event.originator_id] = TeamInfo(
                info.id, info.key, event.name, info.parent, info.registered_at, info.dissolved_at
            )
        elif isinstance(event, ev.TeamDissolved) and event.originator_id in teams:
            info = teams[event.originator_id]
            teams[event.originator_id] = TeamInfo(
                info.id, info.key, info.name, info.parent, info.registered_at, event.occurred_at
            )
        elif isinstance(event, ev.PersonRegistered):
            persons[event.originator_id] = event.occurred_at
        elif isinstance(event, ev.VisionValueDefined | ev.VisionValueRevised):
            values[event.value_id] = event.label
    return History(
        organisation=organisation,
        entries=live,
        retracted=frozenset(retracted),
        memberships=Memberships(changes),
        teams=teams,
        persons=persons,
        values=values,
        last_position=last,
    )


def load_history(records: Records, organisation: str, known_at: KnownAt = None) -> History:
    """Read one organisation's history from the store, as it was known at ``known_at``.

    ``known_at`` is a position in the store's total order (int) or a recording time (aware
    datetime); None means everything recorded so far.
    """
    known_at = check_known_at(known_at)
    records.organisation(organisation)  # raises UnknownOrganisationError for a wrong key
    until = known_at if isinstance(known_at, int) else None
    entries = records.events(until=until, organisation=organisation)
    return build_history(organisation, entries, known_at)
