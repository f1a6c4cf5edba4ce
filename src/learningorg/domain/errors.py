"""The error hierarchy of learningorg (domain layer); re-exported as ``learningorg.errors``.

Every error names the offending value and says what the caller can do about it::

    LearningOrgError
     ├── InvalidInputError (ValueError)     bad input to a command; nothing was stored
     │    ├── EmptyKeyError                 an empty or blank key
     │    ├── NaiveDatetimeError            a datetime without a time zone
     │    └── InvalidValueError             a value out of range (negative minutes, ...)
     ├── NotFoundError (LookupError)        something referred to does not exist
     │    ├── UnknownOrganisationError
     │    ├── UnknownTeamError
     │    ├── UnknownPersonError
     │    ├── UnknownExperimentError
     │    └── UnknownEventError
     ├── ConflictError                      a write conflicts with what is stored
     │    └── ConcurrencyError              retries after concurrent writes were exhausted
     ├── OrganisationScopeError             an id of one organisation used through another's scope
     └── StoreError                         the store cannot be opened or used
          └── StoreURLError (ValueError)    a store URL that cannot be understood
"""

from __future__ import annotations


class LearningOrgError(Exception):
    """Base class of every error raised by learningorg."""


class InvalidInputError(LearningOrgError, ValueError):
    """Input to a command was rejected before anything was stored."""


class EmptyKeyError(InvalidInputError):
    """A key (organisation, team, person, value, ...) was empty or blank."""


class NaiveDatetimeError(InvalidInputError):
    """A datetime without a time zone was given where an aware one is required."""


class InvalidValueError(InvalidInputError):
    """A value was outside its allowed range or set."""


class NotFoundError(LearningOrgError, LookupError):
    """Something the command refers to does not exist in the store."""


class UnknownOrganisationError(NotFoundError):
    """The organisation key is not registered in this store."""


class UnknownTeamError(NotFoundError):
    """The team key is not registered in the organisation."""


class UnknownPersonError(NotFoundError):
    """The person key (or identifier) is not registered in the organisation."""


class UnknownExperimentError(NotFoundError):
    """The experiment was never started in the team."""


class UnknownEventError(NotFoundError):
    """No event with this id exists in the organisation."""


class ConflictError(LearningOrgError):
    """The write conflicts with what is already stored."""


class ConcurrencyError(ConflictError):
    """Concurrent writers kept changing the same stream; the retries ran out."""


class OrganisationScopeError(LearningOrgError):
    """An id or key of one organisation was used through another organisation's scope."""


class StoreError(LearningOrgError):
    """The event store cannot be opened or used."""


class StoreURLError(StoreError, ValueError):
    """A store URL that cannot be understood."""


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
