"""The envelope every command gives its event: ids, both time axes and provenance (domain layer)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any
from uuid import UUID


@dataclass(frozen=True, slots=True)
class Envelope:
    """What every event carries besides its payload (see ``LearningEvent``)."""

    event_id: UUID
    organisation: str
    occurred_at: datetime
    recorded_at: datetime
    recorded_by: str = "api"
    source_statement_id: UUID | None = None
    refs: tuple[UUID, ...] = ()
    competences: tuple[str, ...] = ()
    values: tuple[str, ...] = ()

    def fields(self) -> dict[str, Any]:
        """The envelope as keyword arguments of an event class."""
        return {
            "event_id": self.event_id,
            "organisation": self.organisation,
            "occurred_at": self.occurred_at,
            "recorded_at": self.recorded_at,
            "recorded_by": self.recorded_by,
            "source_statement_id": self.source_statement_id,
            "refs": self.refs,
            "competences": self.competences,
            "values": self.values,
        }
