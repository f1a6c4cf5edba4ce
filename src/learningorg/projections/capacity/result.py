"""The results of the capacity projection: sub-scores with their inputs, profiles, series.

Every sub-score shows its working (projections layer): the value, the numerator and target it
compares, where the norm comes from, the events that contributed, and whether there were data
at all. A missing record is never read as "no learning": a sub-score without data has ``value``
None and says ``insufficient_data``.
"""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

from pydantic import BaseModel, ConfigDict

from learningorg.projections.capacity.model import Element, Level


class SubScore(BaseModel):
    """One sub-score (P1..P8, G1..G8, O1..O7) with the inputs that produced it.

    ``value`` is 0-100, or None when none of its inputs exist (then ``insufficient_data``).
    ``numerator`` and ``target`` are the main quantity the score compares and its target (None
    where the score is not a comparison with a norm). ``details`` holds every term of the formula
    and the extra figures DESIGN.md asks to report (interquartile range, E-I index, minimum...).
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    code: str
    name: str
    element: str
    value: float | None
    numerator: float | None = None
    target: float | None = None
    norm_source: str = ""
    event_ids: tuple[UUID, ...] = ()
    insufficient_data: bool
    details: dict[str, float | None] = {}


class Profile(BaseModel):
    """The NJi profile: one bar per element (V vision, U uncertainty, M mastery, S systems)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    V: float | None
    U: float | None
    M: float | None
    S: float | None

    def bar(self, element: Element) -> float | None:
        """The value of one bar."""
        value: float | None = getattr(self, element)
        return value


class CapacityResult(BaseModel):
    """The learning capacity of one person, team or organisation at ``as_of``.

    ``score`` is the weighted mean of the sub-scores that have data; ``coverage`` the share of
    the (non-optional) sub-scores that have data; ``insufficient_data`` says the score rests on too
    little (coverage below the model's ``min_coverage``, or no score at all). ``known_at`` is what
    the caller asked for; ``position`` the last position of the store included.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    organisation: str
    level: Level
    key: str | None
    entity_id: UUID | None
    as_of: datetime
    known_at: datetime | int | None
    position: int
    model_version: str
    score: float | None
    profile: Profile
    subscores: dict[str, SubScore]
    coverage: float
    insufficient_data: bool

    def same_scores(self, other: CapacityResult) -> bool:
        """Whether ``other`` has the same score, profile and sub-scores (ignoring provenance)."""
        return (
            self.score == other.score
            and self.profile == other.profile
            and self.subscores == other.subscores
            and self.coverage == other.coverage
        )


class CapacitySeries(BaseModel):
    """Capacity results at regular moments, for plotting change over time."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    organisation: str
    level: Level
    key: str | None
    every: str
    model_version: str
    points: tuple[CapacityResult, ...]

    def scores(self) -> list[tuple[datetime, float | None]]:
        """``(as_of, score)`` of every point."""
        return [(point.as_of, point.score) for point in self.points]


__all__ = ["CapacityResult", "CapacitySeries", "Profile", "SubScore"]
