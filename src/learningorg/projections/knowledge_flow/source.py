"""One organisation's history for the flow graphs, streamed from a store (projections layer).

``load_history`` keeps every event of an organisation in memory, which grows with the history
(a million events: gigabytes). The flow graphs need little of it at once: the teams, the
membership periods, the registered persons and the institutionalised practices (bounded by the
number of persons, teams and practices), and then one look at each flow event, in order, to add
its contributions to the per-pair sums. ``StoredHistory`` reads the store twice:

1. the *structure*: only the event topics that ``build_history`` folds into teams, membership,
   persons and values, plus retractions and practices (``STRUCTURE_EVENTS``), folded by
   ``build_history`` itself; the store filters by topic, so the bulk of the history (reflections,
   courses, shares) is not even decoded;
2. the *flow events* (``FLOW_EVENTS``), streamed again for every graph built, each left out when
   it was retracted or not yet known; nothing of them is kept.

Both passes stop at the same position, taken when the structure is read, so a graph built from a
``StoredHistory`` is that of ``load_history`` at that position: the same events in the same
order, hence the same sums to the last bit (tests compare the two).
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import TYPE_CHECKING
from uuid import UUID

from learningorg.domain import events as ev
from learningorg.projections.history import (
    History,
    KnownAt,
    Memberships,
    TeamInfo,
    build_history,
    check_known_at,
)

if TYPE_CHECKING:
    from learningorg.application import HistoryEntry, Records

#: The events that carry knowledge flow (``flow_contributions`` reads nothing else).
FLOW_EVENTS: tuple[type[ev.LearningEvent], ...] = (
    ev.KnowledgeShared,
    ev.AdviceSought,
    ev.IntervisionHeld,
    ev.CaseConsultationHeld,
    ev.LearningActivityCompleted,
)

#: The events the structure is folded from: what ``build_history`` reads for teams, membership,
#: persons and values, the retractions, and the practices (their authors receive flow).
STRUCTURE_EVENTS: tuple[type[ev.LearningEvent], ...] = (
    ev.TeamRegistered,
    ev.TeamRenamed,
    ev.TeamDissolved,
    ev.MemberJoined,
    ev.MemberLeft,
    ev.PersonRegistered,
    ev.VisionValueDefined,
    ev.VisionValueRevised,
    ev.PracticeInstitutionalised,
    ev.EventRetracted,
)


def _topics(classes: tuple[type[ev.LearningEvent], ...]) -> list[str]:
    return [cls.TOPIC for cls in classes]


def _widened(occurred: tuple[float, float]) -> tuple[datetime | None, datetime | None]:
    """``(low, high)`` in POSIX seconds as aware datetimes a second wider (None: infinite), so
    rounding to microseconds never leaves out an event on a bound."""
    low, high = occurred
    return (
        None if math.isinf(low) else datetime.fromtimestamp(low - 1.0, UTC),
        None if math.isinf(high) else datetime.fromtimestamp(high + 1.0, UTC),
    )


class StoredHistory:
    """The structure of one organisation's history, with its flow events streamed on demand.

    Holds what ``History`` holds except the events themselves: ``organisation``, ``teams``,
    ``memberships``, ``persons``, ``values``, ``retracted`` and ``structure`` (a ``History`` of
    the structure events only). ``flow_entries()`` reads the flow events from the store each
    time it is called. Memory is bounded by persons, teams, practices and retractions, never by
    the number of flow events.

    Use ``StoredHistory.read(records, organisation, known_at)``, which checks the organisation.
    ``reuse=(position, structure)`` takes the structure read before up to ``position`` instead
    of reading it again (the caller knows nothing was stored since).
    """

    def __init__(
        self,
        records: Records,
        organisation: str,
        known_at: KnownAt = None,
        *,
        reuse: tuple[int, History] | None = None,
    ) -> None:
        self.known_at: KnownAt = check_known_at(known_at)
        self.records = records
        self.organisation = organisation
        if reuse is not None:
            # the structure read before, still current (see ``capacity.flow.cached_history``)
            self.position, self.structure = reuse
        else:
            newest = records.max_position()
            #: The last position either pass reads (both passes see the same events).
            self.position = min(newest, self.known_at) if isinstance(self.known_at, int) else newest
            entries = records.events(
                until=self.position, organisation=organisation, topics=_topics(STRUCTURE_EVENTS)
            )
            self.structure = build_history(organisation, entries, self.known_at)
        self.teams: dict[UUID, TeamInfo] = self.structure.teams
        self.memberships: Memberships = self.structure.memberships
        self.persons: dict[UUID, datetime] = self.structure.persons
        self.values: dict[str, str] = self.structure.values
        self.retracted: frozenset[UUID] = self.structure.retracted

    @classmethod
    def read(cls, records: Records, organisation: str, known_at: KnownAt = None) -> StoredHistory:
        """The stored history of ``organisation`` as known at ``known_at`` (position or time).

        Raises ``UnknownOrganisationError`` for a key with no organisation and
        ``InvalidValueError`` / ``NaiveDatetimeError`` for a bad ``known_at``.
        """
        checked = check_known_at(known_at)
        records.organisation(organisation)  # raises UnknownOrganisationError for a wrong key
        return cls(records, organisation, checked)

    def flow_entries(self, occurred: tuple[float, float] | None = None) -> Iterator[HistoryEntry]:
        """The flow events known at ``known_at`` and not retracted, in the store's order.

        ``occurred=(low, high)`` (POSIX seconds, infinite for an open side) leaves out events
        that surely occurred outside ``[low, high]``, decided on the stored JSON before they are
        parsed (callers still check the bounds exactly). A graph of one year of a long history
        so parses one year of events.
        """
        known_at, retracted = self.known_at, self.retracted
        by_time = known_at if isinstance(known_at, datetime) else None
        between = None if occurred is None else _widened(occurred)
        for entry in self.records.events(
            until=self.position,
            organisation=self.organisation,
            topics=_topics(FLOW_EVENTS),
            occurred_between=between,
        ):
            event = entry.event
            if by_time is not None and event.recorded_at > by_time:
                continue
            if retracted and event.event_id in retracted:
                continue
            yield entry

    def __repr__(self) -> str:
        return (
            f"StoredHistory({self.organisation!r}, known_at={self.known_at!r}, "
            f"position={self.position})"
        )


__all__ = ["FLOW_EVENTS", "STRUCTURE_EVENTS", "StoredHistory"]
