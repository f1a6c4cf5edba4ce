"""Public home of the error hierarchy (see ``learningorg.domain.errors`` for the tree)."""

from learningorg.domain.errors import (
    ConcurrencyError,
    ConflictError,
    EmptyKeyError,
    InvalidInputError,
    InvalidValueError,
    LearningOrgError,
    NaiveDatetimeError,
    NotFoundError,
    OrganisationScopeError,
    StoreError,
    StoreURLError,
    UnknownEventError,
    UnknownExperimentError,
    UnknownOrganisationError,
    UnknownPersonError,
    UnknownTeamError,
)

__all__ = [
    "ConcurrencyError",
    "ConflictError",
    "EmptyKeyError",
    "InvalidInputError",
    "InvalidValueError",
    "LearningOrgError",
    "NaiveDatetimeError",
    "NotFoundError",
    "OrganisationScopeError",
    "StoreError",
    "StoreURLError",
    "UnknownEventError",
    "UnknownExperimentError",
    "UnknownOrganisationError",
    "UnknownPersonError",
    "UnknownTeamError",
]
