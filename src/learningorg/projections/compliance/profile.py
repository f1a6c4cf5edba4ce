"""Compliance profiles: a register's re-registration rules as data (projections layer).

A profile is a pydantic model that loads from TOML or JSON. Its requirements are of three
generic kinds, so another register, or a changed rule, is a new profile file and not new code:

- ``reflection-hours``: hours of reflection in allowed forms, sessions counting from a minimum
  duration, covering required dimensions (SKJ: 60 hours; technical-instrumental, normative and
  personal);
- ``points``: points of professional development with per-mode minimums and caps (SKJ: 60 points,
  formal at least 40, informal counted up to 20);
- ``work-hours``: attested hours worked in the period (SKJ: 3,368 hours).

Every number carries the sources it comes from and the date they were checked.
"""

from __future__ import annotations

import json
import math
import os
import tomllib
from datetime import date
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Annotated, Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from learningorg.domain import events as ev
from learningorg.domain.errors import InvalidValueError

#: The forms a reflection credit can have: the forms of ``ReflectionLogged``; intervision and case
#: consultation sessions credit their participants with the forms "intervision" and
#: "case-consultation".
ReflectionForm = ev.ReflectionForm

SKJ_PROFILE_FILE = "skj-jeugd-en-gezinsprofessional.toml"
_PACKAGE = "learningorg.projections.compliance"


class ComplianceProfileError(InvalidValueError):
    """A compliance profile file cannot be read or does not describe a valid profile."""


class Citation(BaseModel):
    """Where a rule comes from, and when it was checked.

    ``confirmed`` is False when the source does not state the rule in so many words and the
    profile holds an interpretation (explained in ``note``).
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    title: str = Field(min_length=1)
    url: str = Field(min_length=1)
    checked: date
    confirmed: bool = True
    note: str = ""


class _Requirement(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    id: str = Field(min_length=1, pattern=r"^[a-z0-9][a-z0-9_-]*$")
    label: str = Field(min_length=1)
    pro_rata: bool = True
    sources: tuple[Citation, ...] = ()


class ReflectionHoursRequirement(_Requirement):
    """Hours of reflection in allowed forms, covering required dimensions.

    A credit (an own ``ReflectionLogged``, or taking part in an ``IntervisionHeld`` or
    ``CaseConsultationHeld``) counts when its form is in ``forms`` and it lasted at least
    ``min_session_minutes``; shorter sessions do not count at all. Hours are counted to the minute
    (90 minutes are 1.5 hours) unless ``whole_hours``, when each session counts its whole hours.
    Every dimension in ``required_dimensions`` must be covered by at least one counted credit.
    """

    kind: Literal["reflection-hours"] = "reflection-hours"
    label: str = Field(default="reflection hours", min_length=1)
    minimum_hours: float = Field(gt=0)
    forms: tuple[ReflectionForm, ...] = Field(min_length=1)
    required_dimensions: tuple[ev.Dimension, ...] = ()
    min_session_minutes: int = Field(default=0, ge=0, le=24 * 60)
    whole_hours: bool = False


class ModeRule(BaseModel):
    """The rule for one learning mode of a points requirement: a minimum and an optional cap."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    label: str | None = None
    minimum: float = Field(default=0.0, ge=0)
    cap: float | None = Field(default=None, gt=0)

    @model_validator(mode="after")
    def _cap_above_minimum(self) -> ModeRule:
        if self.cap is not None and self.cap < self.minimum:
            msg = f"cap {self.cap} is below minimum {self.minimum}; a cap must allow the minimum"
            raise ValueError(msg)
        return self


class PointsRequirement(_Requirement):
    """Points of professional development, with per-mode minimums and caps.

    The points of each mode in ``modes`` are summed (modes not listed do not count); a mode's
    counted points are capped at its ``cap``; the counted total must reach ``minimum_points`` and
    every mode its ``minimum``. With ``hours_when_no_points`` an activity without points counts
    its hours (for registers where one point is one hour).
    """

    kind: Literal["points"] = "points"
    label: str = Field(default="points", min_length=1)
    minimum_points: float = Field(gt=0)
    modes: dict[ev.LearningMode, ModeRule] = Field(min_length=1)
    hours_when_no_points: bool = False

    @model_validator(mode="after")
    def _reachable(self) -> PointsRequirement:
        caps = [rule.cap for rule in self.modes.values()]
        reachable = math.inf if None in caps else sum(c for c in caps if c is not None)
        if reachable < self.minimum_points:
            msg = (
                f"requirement {self.id!r}: the caps allow at most {reachable:g} points, below "
                f"minimum_points {self.minimum_points:g}; raise a cap or lower the minimum"
            )
            raise ValueError(msg)
        return self

    def mode_label(self, mode: ev.LearningMode) -> str:
        """The words for points of ``mode`` ("formal points")."""
        return self.modes[mode].label or f"{mode} points"


class WorkHoursRequirement(_Requirement):
    """Hours worked in the registration period, as attested with ``WorkHoursAttested``.

    An attestation counts the share of its hours that falls inside the period (by days, when its
    attested period straddles a period boundary).
    """

    kind: Literal["work-hours"] = "work-hours"
    label: str = Field(default="work hours", min_length=1)
    minimum_hours: float = Field(gt=0)


Requirement = Annotated[
    ReflectionHoursRequirement | PointsRequirement | WorkHoursRequirement,
    Field(discriminator="kind"),
]


class ComplianceProfile(BaseModel):
    """The re-registration rules of one register, as data.

    ``register_names`` are the ``register_name`` values of ``RegistrationChanged`` events this
    profile applies to (compared without regard to case). Registration periods run from
    ``period_start`` (inclusive) to ``period_end`` (exclusive), midnight in ``timezone``. A
    professional whose period ends within ``flag_within_months`` and is not on track is flagged.

    >>> profile = ComplianceProfile.model_validate({
    ...     "id": "demo", "version": "1", "name": "Demo register",
    ...     "register_names": ["DEMO"],
    ...     "requirements": [{"kind": "work-hours", "id": "work", "minimum_hours": 100}],
    ... })
    >>> profile.requirement("work").minimum_hours
    100.0
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    id: str = Field(min_length=1)
    version: str = Field(min_length=1)
    name: str = Field(min_length=1)
    register_names: tuple[str, ...] = Field(min_length=1)
    period_years: int = Field(default=5, ge=1, le=50)
    period_sources: tuple[Citation, ...] = ()
    timezone: str = "Europe/Amsterdam"
    flag_within_months: int = Field(default=12, ge=0, le=120)
    requirements: tuple[Requirement, ...] = Field(min_length=1)
    notes: str = ""

    @model_validator(mode="after")
    def _consistent(self) -> ComplianceProfile:
        ids = [r.id for r in self.requirements]
        doubles = sorted({i for i in ids if ids.count(i) > 1})
        if doubles:
            msg = f"requirement ids must be unique; {', '.join(map(repr, doubles))} repeat"
            raise ValueError(msg)
        try:
            ZoneInfo(self.timezone)
        except (ZoneInfoNotFoundError, ValueError):
            msg = (
                f"timezone {self.timezone!r} is unknown; "
                "use an IANA name such as 'Europe/Amsterdam'"
            )
            raise ValueError(msg) from None
        return self

    @property
    def zone(self) -> ZoneInfo:
        """The time zone in which period dates start and end."""
        return ZoneInfo(self.timezone)

    def applies_to(self, register_name: str) -> bool:
        """Whether a ``RegistrationChanged.register_name`` is one of this profile's registers."""
        wanted = register_name.strip().casefold()
        return any(name.strip().casefold() == wanted for name in self.register_names)

    def requirement(self, requirement_id: str) -> Requirement:
        """The requirement with ``requirement_id``; ``KeyError`` naming it when there is none."""
        for requirement in self.requirements:
            if requirement.id == requirement_id:
                return requirement
        msg = f"profile {self.id!r} has no requirement {requirement_id!r}"
        raise KeyError(msg)

    @classmethod
    def from_mapping(cls, data: Any, *, origin: str = "the given data") -> ComplianceProfile:
        """Validate a profile from parsed TOML or JSON; ``ComplianceProfileError`` if invalid."""
        try:
            return cls.model_validate(data)
        except ValidationError as error:
            problems = "; ".join(
                f"{'.'.join(str(x) for x in item['loc']) or 'profile'}: "
                f"{str(item['msg']).removeprefix('Value error, ')}"
                for item in error.errors()
            )
            msg = f"{origin} is not a valid compliance profile: {problems}"
            raise ComplianceProfileError(msg) from None

    @classmethod
    def from_file(cls, path: str | os.PathLike[str]) -> ComplianceProfile:
        """Load a profile from a ``.toml`` or ``.json`` file.

        Raises ``ComplianceProfileError`` (an ``InvalidValueError``) naming the file when it is
        missing, has another suffix, cannot be parsed, or does not describe a valid profile.
        """
        file = Path(path)
        suffix = file.suffix.lower()
        if suffix not in (".toml", ".json"):
            msg = (
                f"profile file {str(file)!r} must end in .toml or .json, "
                f"not {suffix or 'nothing'!r}"
            )
            raise ComplianceProfileError(msg)
        try:
            text = file.read_text(encoding="utf-8")
        except OSError as error:
            msg = f"cannot read the profile file {str(file)!r}: {error.strerror or error}"
            raise ComplianceProfileError(msg) from None
        try:
            data = tomllib.loads(text) if suffix == ".toml" else json.loads(text)
        except (tomllib.TOMLDecodeError, json.JSONDecodeError) as error:
            msg = f"profile file {str(file)!r} is not valid {suffix[1:].upper()}: {error}"
            raise ComplianceProfileError(msg) from None
        return cls.from_mapping(data, origin=f"profile file {str(file)!r}")


@cache
def _builtin(name: str) -> ComplianceProfile:
    text = resources.files(_PACKAGE).joinpath("profiles", name).read_text(encoding="utf-8")
    return ComplianceProfile.from_mapping(tomllib.loads(text), origin=f"built-in profile {name!r}")


def builtin_profile_path(name: str = SKJ_PROFILE_FILE) -> Path:
    """The path of a built-in profile file (to copy as the start of another register's profile)."""
    return Path(str(resources.files(_PACKAGE).joinpath("profiles", name)))


#: The SKJ re-registration profile for youth and family professionals (jeugd- en
#: gezinsprofessionals), loaded from the package's ``profiles/`` folder.
SKJ_PROFILE: ComplianceProfile = _builtin(SKJ_PROFILE_FILE)


__all__ = [
    "SKJ_PROFILE",
    "Citation",
    "ComplianceProfile",
    "ComplianceProfileError",
    "ModeRule",
    "PointsRequirement",
    "ReflectionHoursRequirement",
    "Requirement",
    "WorkHoursRequirement",
    "builtin_profile_path",
]
