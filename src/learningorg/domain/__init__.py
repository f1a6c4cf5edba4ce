"""The domain layer: events (the stored contract), aggregates, ids and errors.

It imports nothing of storage, networkx, xAPI or the CLI (checked by import-linter).
"""

from learningorg.domain import events
from learningorg.domain.aggregates import (
    Aggregate,
    MembershipPeriod,
    Organisation,
    Person,
    Team,
    membership_periods,
)
from learningorg.domain.envelope import Envelope
from learningorg.domain.events import LearningEvent, event_class, event_classes
from learningorg.domain.ids import derive_id

__all__ = [
    "Aggregate",
    "Envelope",
    "LearningEvent",
    "MembershipPeriod",
    "Organisation",
    "Person",
    "Team",
    "derive_id",
    "event_class",
    "event_classes",
    "events",
    "membership_periods",
]
