"""The capacity model: every weight, target and window of DESIGN.md section 5 (projections layer).

The defaults are set by judgement, not measured truths: an organisation can choose its own by
passing another ``CapacityModel``. ``model_version`` travels with every result, so a score can
always be traced to the formulas and defaults that produced it.
"""

from __future__ import annotations

import math
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

#: The version of the formulas and their defaults; it changes whenever either changes.
MODEL_VERSION = "2026.2"

Level = Literal["person", "team", "organisation"]
Element = Literal["V", "U", "M", "S"]

PERSON_CODES = ("P1", "P2", "P3", "P4", "P5", "P6", "P7", "P8")
TEAM_CODES = ("G1", "G2", "G3", "G4", "G5", "G6", "G7", "G8")
ORGANISATION_CODES = ("O1", "O2", "O3", "O4", "O5", "O6", "O7")
CODES: dict[Level, tuple[str, ...]] = {
    "person": PERSON_CODES,
    "team": TEAM_CODES,
    "organisation": ORGANISATION_CODES,
}

#: Sub-scores that only count when their data exist (a climate survey is optional): they never
#: lower coverage when absent.
OPTIONAL_CODES = frozenset({"G8", "O7"})

#: The NJi profile: which sub-scores make up each of the four bars, per level.
PROFILE: dict[Element, tuple[str, ...]] = {
    "V": ("P7", "G7", "O6"),
    "U": ("P2", "P8", "G3", "G4", "O2"),
    "M": ("P1", "P3", "P4", "P5", "G1", "G2", "O1"),
    "S": ("P6", "G5", "G6", "O3", "O4", "O5"),
}

SECONDS_PER_DAY = 86_400.0

_ALL_CODES = PERSON_CODES + TEAM_CODES + ORGANISATION_CODES

#: The weights of the terms inside each sub-score, in the order of DESIGN.md's formulas.
DEFAULT_TERM_WEIGHTS: dict[str, tuple[float, ...]] = {
    "P2": (1 / 2, 1 / 2),  # closure, Kolb stages
    "P3": (2 / 3, 1 / 3),  # all three dimensions, double loop
    "P4": (2 / 3, 1 / 3),  # formal points, informal points
    "P7": (1 / 3, 1 / 3, 1 / 3),  # active goal, goal linked to a value, goal reviewed
    "P8": (1 / 2, 1 / 2),  # experiments involved in, evaluated on time
    "G2": (1 / 2, 1 / 2),  # intervisions, regularity
    "G3": (1 / 2, 1 / 2),  # experiments started, evaluated on time
    "G5": (1 / 2, 1 / 2),  # flow crossing the boundary, partner teams
    "G6": (1 / 2, 1 / 2),  # internal density, internal reciprocity
    "G7": (2 / 3, 1 / 3),  # items linked to a value, vision dialogues
    "O2": (1 / 2, 1 / 2),  # conversion, practices
    "O4": (1 / 3, 1 / 3, 1 / 3),  # 1 - modularity, largest component, cross-team share
    "O5": (1 / 2, 1 / 2),  # 1 - Gini of betweenness, 1 - top-broker share
}


class CapacityModel(BaseModel):
    """Every weight, target and window of the learning-capacity model (DESIGN.md section 5).

    Yearly norms (``..._per_year``) become targets over the decayed window with
    ``target = norm * D / 365``, ``D = (h / ln 2) * (1 - 2^(-W/h))`` (about 196 days for the
    defaults). The defaults are judgement, not truth: change them to suit an organisation and give
    the result a ``model_version`` of its own.

    >>> model = CapacityModel()
    >>> round(model.decay_days, 2)
    196.0
    >>> round(model.yearly_target(12), 3)
    6.444
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    model_version: str = Field(default=MODEL_VERSION, min_length=1)

    # Shared machinery.
    window_days: float = Field(default=365.0, gt=0)
    half_life_days: float = Field(default=180.0, gt=0)
    weights: dict[str, float] = Field(default_factory=lambda: dict.fromkeys(_ALL_CODES, 1.0))
    term_weights: dict[str, tuple[float, ...]] = Field(
        default_factory=lambda: dict(DEFAULT_TERM_WEIGHTS)
    )
    min_coverage: float = Field(default=0.5, ge=0, le=1)
    #: At most this many event ids per sub-score (the total is in ``details["events"]``).
    max_event_ids: int = Field(default=5_000, ge=0)

    # Person.
    reflection_hours_per_year: float = Field(default=12.0, gt=0)  # P1 (SKJ: 60 h / 5 years)
    closure_days: float = Field(default=30.0, gt=0)  # P2
    kolb_stages: int = Field(default=4, ge=1)  # P2
    double_loop_share: float = Field(default=0.2, gt=0, le=1)  # P3
    formal_points_per_year: float = Field(default=8.0, gt=0)  # P4 (SKJ: 40 / 5 years)
    informal_points_per_year: float = Field(default=4.0, gt=0)  # P4 (SKJ: 20 / 5 years)
    competence_clusters: int = Field(default=5, ge=1)  # P5
    cluster_of: dict[str, str] = Field(default_factory=dict)  # P5: competence -> cluster
    shares_per_year: float = Field(default=12.0, gt=0)  # P6
    goal_review_days: float = Field(default=180.0, gt=0)  # P7
    person_experiments_per_year: float = Field(default=1.0, gt=0)  # P8

    # Team.
    intervisions_per_year: float = Field(default=6.0, gt=0)  # G2
    regularity_slot_days: float = Field(default=56.0, gt=0)  # G2: 8-week slots
    team_experiments_per_year: float = Field(default=2.0, gt=0)  # G3
    lessons_ratio: float = Field(default=0.5, gt=0)  # G4
    boundary_share: float = Field(default=0.25, gt=0, le=1)  # G5
    partner_teams: float = Field(default=3.0, gt=0)  # G5
    internal_density: float = Field(default=0.3, gt=0, le=1)  # G6
    vision_dialogues_per_year: float = Field(default=2.0, gt=0)  # G7

    # Organisation.
    low_team_score: float = Field(default=50.0, ge=0, le=100)  # O1: reported share below
    conversion_share: float = Field(default=0.3, gt=0, le=1)  # O2
    conversion_days: float = Field(default=365.0, gt=0)  # O2: "within 12 months"
    practices_per_year: float = Field(default=4.0, gt=0)  # O2
    acquisition_per_fte_per_year: float = Field(default=1.0, gt=0)  # O3
    assimilation_per_fte_per_year: float = Field(default=4.0, gt=0)  # O3
    transformation_per_fte_per_year: float = Field(default=0.5, gt=0)  # O3
    exploitation_per_fte_per_year: float = Field(default=0.25, gt=0)  # O3
    cross_team_share: float = Field(default=0.25, gt=0, le=1)  # O4
    top_brokers: int = Field(default=3, ge=1)  # O5
    value_revisit_days: float = Field(default=730.0, gt=0)  # O6: "last 24 months"
    organisation_climate_instruments: tuple[str, ...] = ("DLOQ-21", "LOS-27")  # O7

    @model_validator(mode="after")
    def _known_codes(self) -> CapacityModel:
        unknown = sorted(set(self.weights) - set(_ALL_CODES))
        if unknown:
            msg = f"weights name unknown sub-scores {unknown}; use codes P1..P8, G1..G8, O1..O7"
            raise ValueError(msg)
        if any(weight < 0 for weight in self.weights.values()):
            msg = "weights must not be negative"
            raise ValueError(msg)
        for code, terms in self.term_weights.items():
            expected = DEFAULT_TERM_WEIGHTS.get(code)
            if expected is None or len(terms) != len(expected):
                msg = (
                    f"term_weights[{code!r}] must give {len(expected or ())} weights "
                    f"for the terms of {code}; codes with terms: {sorted(DEFAULT_TERM_WEIGHTS)}"
                )
                raise ValueError(msg)
            if any(weight < 0 for weight in terms) or sum(terms) <= 0:
                msg = f"term_weights[{code!r}] must be non-negative with a positive sum"
                raise ValueError(msg)
        return self

    @property
    def decay_days(self) -> float:
        """``D``: the decayed weight of one event a day over the window, in days."""
        h = self.half_life_days
        return (h / math.log(2)) * (1 - 2 ** (-self.window_days / h))

    def yearly_target(self, norm_per_year: float) -> float:
        """The target ``T = N * D / 365`` of a yearly norm ``N`` (100 = on the norm)."""
        return norm_per_year * self.decay_days / 365.0

    def weight(self, code: str) -> float:
        """The weight of sub-score ``code`` in its level's score (default 1)."""
        return self.weights.get(code, 1.0)

    def terms(self, code: str) -> tuple[float, ...]:
        """The weights of the terms inside sub-score ``code``."""
        return self.term_weights.get(code, DEFAULT_TERM_WEIGHTS[code])


__all__ = [
    "CODES",
    "DEFAULT_TERM_WEIGHTS",
    "MODEL_VERSION",
    "OPTIONAL_CODES",
    "ORGANISATION_CODES",
    "PERSON_CODES",
    "PROFILE",
    "SECONDS_PER_DAY",
    "TEAM_CODES",
    "CapacityModel",
    "Element",
    "Level",
]
