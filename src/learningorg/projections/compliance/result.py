"""The results of the compliance projection: per requirement, period, person and roll-up.

Results are frozen pydantic models and serialise to JSON (``model_dump_json``). A person is
identified by their external key (None once erased) and their pseudonymous id (the keyed-hash
stream id): never by name (projections layer).
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Literal
from uuid import UUID

from pydantic import BaseModel, ConfigDict

from learningorg.domain import events as ev

ComplianceStatus = Literal["met", "on_track", "at_risk", "short"]
RequirementKind = Literal["reflection-hours", "points", "work-hours"]
Level = Literal["person", "team", "organisation"]

#: The statuses from worst to best: adding learning never moves a period to the left.
STATUSES: tuple[ComplianceStatus, ...] = ("short", "at_risk", "on_track", "met")


class ModeProgress(BaseModel):
    """The points of one learning mode of a points requirement.

    ``achieved`` is every point of the mode in the period; ``counted`` what counts toward the
    total after the mode's ``cap``.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    mode: ev.LearningMode
    achieved: float
    counted: float
    minimum: float
    cap: float | None
    expected: float
    still_needed: float


class RequirementProgress(BaseModel):
    """How far a professional is with one requirement in one registration period.

    ``achieved`` is what counts (after caps), ``required`` the profile's minimum, ``expected``
    the pro-rata share of ``required`` at ``as_of`` (the share of the period elapsed; 0 for a
    requirement without ``pro_rata`` until the period ends). ``met``: the requirement is fully
    achieved (minimum, per-mode minimums and dimensions); ``on_pace``: achieved is at least
    expected (per mode too). ``still_needed`` is the amount missing to the minimum, ``needs``
    the same in words ("12 reflection hours", "the normative dimension").
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    id: str
    kind: RequirementKind
    label: str
    achieved: float
    required: float
    expected: float
    met: bool
    on_pace: bool
    still_needed: float
    needs: tuple[str, ...]
    modes: tuple[ModeProgress, ...] = ()
    covered_dimensions: tuple[ev.Dimension, ...] = ()
    missing_dimensions: tuple[ev.Dimension, ...] = ()
    event_ids: tuple[UUID, ...] = ()


class PeriodCompliance(BaseModel):
    """Compliance in one registration period of one register.

    The period runs from ``period_start`` (inclusive) to ``period_end`` (exclusive), midnight in
    the profile's time zone; ``elapsed`` is the share of it gone at ``as_of`` (0-1). ``status``:
    ``met`` (every requirement achieved), ``short`` (the period has ended and not every
    requirement is achieved), ``on_track`` (not ended, every requirement at or above its
    pro-rata expectation), ``at_risk`` (otherwise). ``flagged`` marks the current period of an
    active registration that ends within the profile's ``flag_within_months`` (or has ended)
    while not on track. ``still_needed`` says it in words.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    register_name: str
    number: str | None
    registration_status: ev.RegistrationStatus
    period_start: date
    period_end: date
    days_left: int
    elapsed: float
    status: ComplianceStatus
    current: bool
    flagged: bool
    still_needed: str
    requirements: tuple[RequirementProgress, ...]


class PersonRef(BaseModel):
    """A professional in lists: external key (None once erased) and pseudonymous id."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    key: str | None
    person_id: UUID


class PersonCompliance(BaseModel):
    """One professional's compliance at ``as_of``: every registration period begun by then.

    ``current`` is the period holding ``as_of`` (the latest begun one when none holds it);
    ``status`` and ``flagged`` are those of ``current`` (None and False without a period).
    ``team`` is the key of the person's main team at ``as_of``.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    key: str | None
    person_id: UUID
    team: str | None
    status: ComplianceStatus | None
    flagged: bool
    still_needed: str
    current: PeriodCompliance | None
    periods: tuple[PeriodCompliance, ...]

    @property
    def ref(self) -> PersonRef:
        """The person as a list entry."""
        return PersonRef(key=self.key, person_id=self.person_id)


class ComplianceSummary(BaseModel):
    """A roll-up over professionals: counts and lists per status of their current period.

    ``counts`` and ``by_status`` hold all four statuses; ``flagged`` lists those whose period ends
    within the flag window and who are not on track; ``without_period`` those with no period of
    the profile's register begun at ``as_of``.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    persons: int
    counts: dict[ComplianceStatus, int]
    by_status: dict[ComplianceStatus, tuple[PersonRef, ...]]
    flagged: tuple[PersonRef, ...]
    without_period: tuple[PersonRef, ...]


class TeamCompliance(BaseModel):
    """The roll-up of one team (its members at ``as_of``), within an organisation result."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    key: str
    team_id: UUID
    summary: ComplianceSummary


class ComplianceResult(BaseModel):
    """Compliance of a person, a team (members at ``as_of``) or the organisation.

    ``persons`` holds every professional in scope, ``summary`` their roll-up; an organisation
    result adds one summary per team existing at ``as_of``. ``known_at`` is what the caller
    asked for; ``position`` the last position of the store included.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    organisation: str
    level: Level
    key: str | None
    as_of: datetime
    known_at: datetime | int | None
    position: int
    profile_id: str
    profile_version: str
    persons: tuple[PersonCompliance, ...]
    summary: ComplianceSummary
    teams: tuple[TeamCompliance, ...] = ()


__all__ = [
    "STATUSES",
    "ComplianceResult",
    "ComplianceStatus",
    "ComplianceSummary",
    "ModeProgress",
    "PeriodCompliance",
    "PersonCompliance",
    "PersonRef",
    "RequirementKind",
    "RequirementProgress",
    "TeamCompliance",
]
