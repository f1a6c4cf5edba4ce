"""The learning-capacity projection: DESIGN.md section 5 at person, team and organisation level.

Entry points: ``capacity`` (from the catch-up view), ``capacity_profile`` (live, pure, from a
``History``) and ``capacity_series`` (one fold, many moments). ``CapacityModel`` holds every weight,
target and window; every result carries its ``model_version``.
"""

from learningorg.projections.capacity.api import (
    LEVELS,
    capacity,
    capacity_profile,
    capacity_series,
    series_moments,
)
from learningorg.projections.capacity.model import MODEL_VERSION, PROFILE, CapacityModel, Level
from learningorg.projections.capacity.result import (
    CapacityResult,
    CapacitySeries,
    Profile,
    SubScore,
)

__all__ = [
    "LEVELS",
    "MODEL_VERSION",
    "PROFILE",
    "CapacityModel",
    "CapacityResult",
    "CapacitySeries",
    "Level",
    "Profile",
    "SubScore",
    "capacity",
    "capacity_profile",
    "capacity_series",
    "series_moments",
]
