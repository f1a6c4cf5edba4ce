"""The event catalogue: explicit topics, frozen payloads, an exact round trip through the mapper."""

from __future__ import annotations

from datetime import UTC, datetime
from uuid import uuid4

import pytest
from eventsourcing.persistence import JSONTranscoder
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import ValidationError
from tests.strategies import any_event, events_of

from learningorg.domain import events as ev
from learningorg.persistence.mapper import PydanticMapper

CATALOGUE = ev.event_classes()
MAPPER = PydanticMapper(transcoder=JSONTranscoder())


def test_catalogue_has_every_event_of_the_design() -> None:
    """All 32 event classes of DESIGN.md section 4 are registered."""
    names = {cls.__name__ for cls in CATALOGUE}
    expected = {
        "OrganisationRegistered", "VisionValueDefined", "VisionValueRevised",
        "PracticeInstitutionalised", "LearningTimeAllocated", "VisionDialogueHeld",
        "LearningClimateMeasured", "TeamRegistered", "TeamRenamed", "TeamDissolved",
        "MemberJoined", "MemberLeft", "IntervisionHeld", "CaseConsultationHeld",
        "ExperimentStarted", "ExperimentEvaluated", "LessonCaptured", "PersonRegistered",
        "IdentifierLinked", "PersonErased", "ExperienceRecorded", "ReflectionLogged",
        "LearningActivityCompleted", "DevelopmentGoalSet", "DevelopmentGoalReviewed",
        "AssumptionRevised", "KnowledgeShared", "AdviceSought", "ExternalKnowledgeAcquired",
        "RegistrationChanged", "WorkHoursAttested", "EventRetracted",
    }  # fmt: skip
    assert names == expected


@pytest.mark.parametrize("cls", CATALOGUE, ids=lambda c: c.__name__)
def test_every_event_has_an_explicit_stable_topic(cls: type[ev.LearningEvent]) -> None:
    """Topics are explicit strings under learningorg/, never the module path."""
    assert f"learningorg/{cls.__name__}" == cls.TOPIC
    assert "." not in cls.TOPIC
    assert ev.event_class(cls.TOPIC) is cls
    assert cls.class_version >= 1
    assert cls.STREAMS


@pytest.mark.parametrize("cls", CATALOGUE, ids=lambda c: c.__name__)
@settings(max_examples=15)
@given(data=st.data())
def test_every_event_round_trips_through_the_mapper(
    cls: type[ev.LearningEvent], data: st.DataObject
) -> None:
    """Stored and read back, every event equals the original, field for field."""
    event = data.draw(events_of(cls))
    stored = MAPPER.to_stored_event(event)
    assert stored.topic == cls.TOPIC
    assert MAPPER.to_domain_event(stored) == event


@given(any_event)
def test_events_are_frozen(event: ev.LearningEvent) -> None:
    """Nothing is edited: assigning to an event's field raises."""
    with pytest.raises(ValidationError):
        event.recorded_by = "someone else"  # type: ignore[misc]


def test_extra_fields_are_rejected() -> None:
    """An unknown field is an error, not silently dropped."""
    now = datetime(2025, 1, 1, tzinfo=UTC)
    with pytest.raises(ValidationError, match="surprise"):
        ev.TeamRenamed(
            originator_id=uuid4(), originator_version=2, event_id=uuid4(), organisation="o",
            occurred_at=now, recorded_at=now, name="x", surprise=1,
        )  # fmt: skip


def test_naive_datetimes_are_rejected_by_the_event() -> None:
    """occurred_at must carry a time zone."""
    with pytest.raises(ValidationError, match="timezone"):
        ev.TeamRenamed(
            originator_id=uuid4(), originator_version=2, event_id=uuid4(), organisation="o",
            occurred_at=datetime(2025, 1, 1), recorded_at=datetime(2025, 1, 1, tzinfo=UTC),
            name="x",
        )  # fmt: skip


def test_a_class_without_topic_cannot_be_defined() -> None:
    """Forgetting the explicit topic fails at class definition time."""
    with pytest.raises(TypeError, match="explicit TOPIC"):

        class Nameless(ev.LearningEvent):
            pass
