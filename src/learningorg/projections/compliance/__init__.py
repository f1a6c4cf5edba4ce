"""Re-registration compliance (SKJ and other registers): is every professional on track?

Entry points: ``compliance`` (from a store: person, team or organisation), and the pure core
``compliance_of`` (one person) and ``compliance_report`` (any level) over a ``History``. The rules
are data: ``ComplianceProfile`` (TOML or JSON, ``ComplianceProfile.from_file``), with the SKJ
profile for youth and family professionals built in as ``SKJ_PROFILE``.
"""

from learningorg.projections.compliance.api import compliance
from learningorg.projections.compliance.core import LEVELS, compliance_of, compliance_report
from learningorg.projections.compliance.profile import (
    SKJ_PROFILE,
    Citation,
    ComplianceProfile,
    ComplianceProfileError,
    ModeRule,
    PointsRequirement,
    ReflectionHoursRequirement,
    Requirement,
    WorkHoursRequirement,
    builtin_profile_path,
)
from learningorg.projections.compliance.result import (
    STATUSES,
    ComplianceResult,
    ComplianceStatus,
    ComplianceSummary,
    ModeProgress,
    PeriodCompliance,
    PersonCompliance,
    PersonRef,
    RequirementProgress,
    TeamCompliance,
)

__all__ = [
    "LEVELS",
    "SKJ_PROFILE",
    "STATUSES",
    "Citation",
    "ComplianceProfile",
    "ComplianceProfileError",
    "ComplianceResult",
    "ComplianceStatus",
    "ComplianceSummary",
    "ModeProgress",
    "ModeRule",
    "PeriodCompliance",
    "PersonCompliance",
    "PersonRef",
    "PointsRequirement",
    "ReflectionHoursRequirement",
    "Requirement",
    "RequirementProgress",
    "TeamCompliance",
    "WorkHoursRequirement",
    "builtin_profile_path",
    "compliance",
    "compliance_of",
    "compliance_report",
]
