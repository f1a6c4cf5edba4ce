"""The event catalogue: the stored contract of learningorg (domain layer).

Every event is a frozen pydantic model with an explicit, stable ``TOPIC`` (never the module path)
and a ``class_version``. A change of payload is a new ``class_version`` plus an upcaster
(``upcast_v1_v2(state)``, a static method that edits the stored state in place) and a test that
reads an event stored by the old version.

Every event carries an envelope: the stream it belongs to (``originator_id`` and
``originator_version``), its own ``event_id``, the ``organisation`` key, ``occurred_at`` (business
time: when the learning happened) and ``recorded_at`` (when the library learned of it),
``recorded_by``, an optional ``source_statement_id`` (xAPI), ``refs`` (ids of earlier events it
builds on), ``competences`` (ESCO skill URIs or local codes) and ``values`` (ids of the
organisation's vision values).
"""

from __future__ import annotations

from datetime import date
from typing import Any, ClassVar, Literal
from uuid import UUID

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, model_validator

StreamKind = Literal["organisation", "team", "person"]
Dimension = Literal["technical-instrumental", "normative", "personal"]
Loop = Literal["single", "double"]

DIMENSIONS: tuple[Dimension, ...] = ("technical-instrumental", "normative", "personal")
TOPIC_PREFIX = "learningorg/"

_REGISTRY: dict[str, type[LearningEvent]] = {}


def event_class(topic: str) -> type[LearningEvent]:
    """Return the event class stored under ``topic``.

    Raises ``KeyError`` naming the topic when no class is registered for it.
    """
    try:
        return _REGISTRY[topic]
    except KeyError:
        msg = f"no event class is registered for the stored topic {topic!r}"
        raise KeyError(msg) from None


def event_classes() -> tuple[type[LearningEvent], ...]:
    """Return the catalogue: every event class under the ``learningorg/`` topic prefix.

    Classes registered by other code under other prefixes (tests, extensions) are readable
    through ``event_class`` but are not part of the catalogue.
    """
    return tuple(cls for topic, cls in _REGISTRY.items() if topic.startswith(TOPIC_PREFIX))


class LearningEvent(BaseModel):
    """Base of every stored event: the envelope shared by all of them."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    TOPIC: ClassVar[str] = ""
    STREAMS: ClassVar[frozenset[StreamKind]] = frozenset()
    class_version: ClassVar[int] = 1

    originator_id: UUID
    originator_version: int = Field(ge=1)
    event_id: UUID
    organisation: str = Field(min_length=1)
    occurred_at: AwareDatetime
    recorded_at: AwareDatetime
    recorded_by: str = "api"
    source_statement_id: UUID | None = None
    refs: tuple[UUID, ...] = ()
    competences: tuple[str, ...] = ()
    values: tuple[str, ...] = ()

    @classmethod
    def __pydantic_init_subclass__(cls, **kwargs: Any) -> None:
        super().__pydantic_init_subclass__(**kwargs)
        topic = cls.__dict__.get("TOPIC")
        if not topic:
            msg = f"{cls.__name__} must define an explicit TOPIC"
            raise TypeError(msg)
        if not cls.STREAMS:
            msg = f"{cls.__name__} must say which STREAMS it belongs to"
            raise TypeError(msg)
        if topic in _REGISTRY and _REGISTRY[topic].__qualname__ != cls.__qualname__:
            msg = f"topic {topic!r} of {cls.__name__} is taken by {_REGISTRY[topic].__name__}"
            raise TypeError(msg)
        _REGISTRY[topic] = cls

    @classmethod
    def upcast(cls, state: dict[str, Any], from_version: int) -> None:
        """Bring ``state`` stored by ``from_version`` up to the current ``class_version``."""
        while from_version < cls.class_version:
            getattr(cls, f"upcast_v{from_version}_v{from_version + 1}")(state)
            from_version += 1


_ORG: frozenset[StreamKind] = frozenset({"organisation"})
_TEAM: frozenset[StreamKind] = frozenset({"team"})
_PERSON: frozenset[StreamKind] = frozenset({"person"})
_ORG_OR_TEAM: frozenset[StreamKind] = frozenset({"organisation", "team"})
_ANY: frozenset[StreamKind] = frozenset({"organisation", "team", "person"})


# ---------------------------------------------------------------- organisation stream


class OrganisationRegistered(LearningEvent):
    """An organisation was registered under a key its users chose."""

    TOPIC: ClassVar[str] = "learningorg/OrganisationRegistered"
    STREAMS: ClassVar[frozenset[StreamKind]] = _ORG
    key: str = Field(min_length=1)
    name: str = Field(min_length=1)


class VisionValueDefined(LearningEvent):
    """A value of the organisation's shared vision was defined (element V)."""

    TOPIC: ClassVar[str] = "learningorg/VisionValueDefined"
    STREAMS: ClassVar[frozenset[StreamKind]] = _ORG
    value_id: str = Field(min_length=1)
    label: str = Field(min_length=1)
    description: str = ""


class VisionValueRevised(LearningEvent):
    """A vision value was revisited and its wording revised (element V)."""

    TOPIC: ClassVar[str] = "learningorg/VisionValueRevised"
    STREAMS: ClassVar[frozenset[StreamKind]] = _ORG
    value_id: str = Field(min_length=1)
    label: str = Field(min_length=1)
    description: str = ""


PracticeKind = Literal["protocol", "method", "guideline", "policy"]


class PracticeInstitutionalised(LearningEvent):
    """A lesson or experiment became an organisation practice (4I: institutionalising)."""

    TOPIC: ClassVar[str] = "learningorg/PracticeInstitutionalised"
    STREAMS: ClassVar[frozenset[StreamKind]] = _ORG
    practice_id: str = Field(min_length=1)
    name: str = Field(min_length=1)
    kind: PracticeKind
    derived_from: tuple[UUID, ...] = ()
    teams: tuple[UUID, ...] = ()
    authors: tuple[UUID, ...] = ()
    loop: Loop = "single"


class LearningTimeAllocated(LearningEvent):
    """The organisation allocated learning time per FTE for a period (element M)."""

    TOPIC: ClassVar[str] = "learningorg/LearningTimeAllocated"
    STREAMS: ClassVar[frozenset[StreamKind]] = _ORG
    period_start: date
    period_end: date
    hours_per_fte: float = Field(ge=0)
    purpose: str = ""

    @model_validator(mode="after")
    def _period_in_order(self) -> LearningTimeAllocated:
        if self.period_end < self.period_start:
            msg = f"period_end {self.period_end} is before period_start {self.period_start}"
            raise ValueError(msg)
        return self


class VisionDialogueHeld(LearningEvent):
    """A dialogue on the shared vision was held, organisation-wide or in a team (element V)."""

    TOPIC: ClassVar[str] = "learningorg/VisionDialogueHeld"
    STREAMS: ClassVar[frozenset[StreamKind]] = _ORG_OR_TEAM
    participants: tuple[UUID, ...] = ()
    commitments: tuple[str, ...] = ()


ClimateInstrument = Literal["DLOQ-21", "LOS-27", "Edmondson-7"]


class LearningClimateMeasured(LearningEvent):
    """A learning-climate questionnaire was administered (at least 5 respondents)."""

    TOPIC: ClassVar[str] = "learningorg/LearningClimateMeasured"
    STREAMS: ClassVar[frozenset[StreamKind]] = _ORG_OR_TEAM
    instrument: ClimateInstrument
    n: int = Field(ge=5)
    dimension_means: dict[str, float] = Field(min_length=1)
    scale: int = Field(ge=2, le=11)

    @model_validator(mode="after")
    def _means_on_scale(self) -> LearningClimateMeasured:
        for dimension, mean in self.dimension_means.items():
            if not 1 <= mean <= self.scale:
                msg = f"mean {mean} of dimension {dimension!r} is outside the scale 1..{self.scale}"
                raise ValueError(msg)
        return self


# ---------------------------------------------------------------- team stream


class TeamRegistered(LearningEvent):
    """A team (group) was registered under its key from the HR system."""

    TOPIC: ClassVar[str] = "learningorg/TeamRegistered"
    STREAMS: ClassVar[frozenset[StreamKind]] = _TEAM
    key: str = Field(min_length=1)
    name: str = Field(min_length=1)
    parent: UUID | None = None


class TeamRenamed(LearningEvent):
    """A team got a new name."""

    TOPIC: ClassVar[str] = "learningorg/TeamRenamed"
    STREAMS: ClassVar[frozenset[StreamKind]] = _TEAM
    name: str = Field(min_length=1)


class TeamDissolved(LearningEvent):
    """A team stopped existing; its history stays."""

    TOPIC: ClassVar[str] = "learningorg/TeamDissolved"
    STREAMS: ClassVar[frozenset[StreamKind]] = _TEAM
    reason: str = ""


class MemberJoined(LearningEvent):
    """A person became a member of the team from ``occurred_at`` on."""

    TOPIC: ClassVar[str] = "learningorg/MemberJoined"
    STREAMS: ClassVar[frozenset[StreamKind]] = _TEAM
    person: UUID
    role: str = "professional"
    fte: float = Field(default=1.0, gt=0, le=1.5)
    site: str = ""


class MemberLeft(LearningEvent):
    """A person stopped being a member of the team at ``occurred_at``."""

    TOPIC: ClassVar[str] = "learningorg/MemberLeft"
    STREAMS: ClassVar[frozenset[StreamKind]] = _TEAM
    person: UUID


class IntervisionHeld(LearningEvent):
    """A peer-consultation session (intervisie) was held; credits every participant (M, S)."""

    TOPIC: ClassVar[str] = "learningorg/IntervisionHeld"
    STREAMS: ClassVar[frozenset[StreamKind]] = _TEAM
    participants: tuple[UUID, ...] = Field(min_length=2)
    minutes: int = Field(gt=0, le=24 * 60)
    method: str = "intervision"
    facilitator: UUID | None = None
    case_owner: UUID | None = None
    dimensions: tuple[Dimension, ...] = ()


class CaseConsultationHeld(LearningEvent):
    """A case consultation (casuïstiekbespreking) was held, possibly across teams (S, U)."""

    TOPIC: ClassVar[str] = "learningorg/CaseConsultationHeld"
    STREAMS: ClassVar[frozenset[StreamKind]] = _TEAM
    participants: tuple[UUID, ...] = Field(min_length=2)
    teams: tuple[UUID, ...] = ()
    minutes: int = Field(gt=0, le=24 * 60)
    outcome: str = ""
    case_owner: UUID | None = None
    dimensions: tuple[Dimension, ...] = ()


class ExperimentStarted(LearningEvent):
    """A team started an experiment with a hypothesis and a review date (U)."""

    TOPIC: ClassVar[str] = "learningorg/ExperimentStarted"
    STREAMS: ClassVar[frozenset[StreamKind]] = _TEAM
    experiment_id: str = Field(min_length=1)
    owners: tuple[UUID, ...] = ()
    hypothesis: str = ""
    success_criteria: str = ""
    review_by: date


ExperimentResult = Literal["adopt", "adapt", "abandon"]


class ExperimentEvaluated(LearningEvent):
    """A started experiment was evaluated: adopt, adapt or abandon (U, V)."""

    TOPIC: ClassVar[str] = "learningorg/ExperimentEvaluated"
    STREAMS: ClassVar[frozenset[StreamKind]] = _TEAM
    experiment_id: str = Field(min_length=1)
    result: ExperimentResult
    learning: str = ""
    loop: Loop = "single"


LessonScope = Literal["team", "organisation"]


class LessonCaptured(LearningEvent):
    """A lesson was made explicit, built on earlier events in ``refs`` (S)."""

    TOPIC: ClassVar[str] = "learningorg/LessonCaptured"
    STREAMS: ClassVar[frozenset[StreamKind]] = _TEAM
    lesson_id: str = Field(min_length=1)
    scope: LessonScope = "team"
    topics: tuple[str, ...] = ()
    authors: tuple[UUID, ...] = ()


# ---------------------------------------------------------------- person stream


class PersonRegistered(LearningEvent):
    """A person was registered under their external key (personal data: name, email)."""

    TOPIC: ClassVar[str] = "learningorg/PersonRegistered"
    STREAMS: ClassVar[frozenset[StreamKind]] = _PERSON
    key: str = Field(min_length=1)
    name: str | None = None
    email: str | None = None


class IdentifierLinked(LearningEvent):
    """Another identifier (email, LMS account, HR number) was linked to the person (persona)."""

    TOPIC: ClassVar[str] = "learningorg/IdentifierLinked"
    STREAMS: ClassVar[frozenset[StreamKind]] = _PERSON
    identifier: str = Field(min_length=1)


class PersonErased(LearningEvent):
    """The person's key was destroyed: their personal data can no longer be read."""

    TOPIC: ClassVar[str] = "learningorg/PersonErased"
    STREAMS: ClassVar[frozenset[StreamKind]] = _PERSON
    reason: str = ""


ExperienceKind = Literal["case", "incident", "success", "dilemma"]


class ExperienceRecorded(LearningEvent):
    """A concrete work experience worth learning from (Kolb: experience; U, M)."""

    TOPIC: ClassVar[str] = "learningorg/ExperienceRecorded"
    STREAMS: ClassVar[frozenset[StreamKind]] = _PERSON
    kind: ExperienceKind
    uncertainty: int = Field(ge=1, le=5)
    note: str | None = None


ReflectionForm = Literal["self", "supervision", "intervision", "case-consultation", "coaching"]


class ReflectionLogged(LearningEvent):
    """Time spent reflecting on one's work (Kolb: reflection; SKJ reflection hours; M, U)."""

    TOPIC: ClassVar[str] = "learningorg/ReflectionLogged"
    STREAMS: ClassVar[frozenset[StreamKind]] = _PERSON
    form: ReflectionForm = "self"
    minutes: int = Field(gt=0, le=24 * 60)
    dimensions: tuple[Dimension, ...] = ()
    loop: Loop = "single"
    note: str | None = None


LearningMode = Literal["formal", "informal"]


class LearningActivityCompleted(LearningEvent):
    """A formal or informal learning activity was completed (SKJ points; M)."""

    TOPIC: ClassVar[str] = "learningorg/LearningActivityCompleted"
    STREAMS: ClassVar[frozenset[StreamKind]] = _PERSON
    mode: LearningMode
    kind: str = Field(default="course", min_length=1)
    title: str | None = None
    hours: float = Field(default=0.0, ge=0, le=10_000)
    points: float = Field(default=0.0, ge=0, le=1_000)
    accreditation_ref: str | None = None
    practice_id: str | None = None
    statement: dict[str, Any] | None = None


GoalStatus = Literal["active", "achieved", "dropped"]


class DevelopmentGoalSet(LearningEvent):
    """A personal development goal was set (Senge: personal mastery; M, V)."""

    TOPIC: ClassVar[str] = "learningorg/DevelopmentGoalSet"
    STREAMS: ClassVar[frozenset[StreamKind]] = _PERSON
    goal_id: str = Field(min_length=1)
    review_by: date | None = None
    description: str | None = None


class DevelopmentGoalReviewed(LearningEvent):
    """Progress on a development goal was reviewed."""

    TOPIC: ClassVar[str] = "learningorg/DevelopmentGoalReviewed"
    STREAMS: ClassVar[frozenset[StreamKind]] = _PERSON
    goal_id: str = Field(min_length=1)
    progress: float = Field(ge=0, le=1)
    status: GoalStatus = "active"
    note: str | None = None


class AssumptionRevised(LearningEvent):
    """A working assumption was revised, triggered by the events in ``refs`` (U)."""

    TOPIC: ClassVar[str] = "learningorg/AssumptionRevised"
    STREAMS: ClassVar[frozenset[StreamKind]] = _PERSON
    before: str | None = None
    after: str | None = None


ShareMode = Literal["co-working", "example", "document", "presentation"]


class KnowledgeShared(LearningEvent):
    """The person shared knowledge with persons, teams or the whole organisation (S)."""

    TOPIC: ClassVar[str] = "learningorg/KnowledgeShared"
    STREAMS: ClassVar[frozenset[StreamKind]] = _PERSON
    to_persons: tuple[UUID, ...] = ()
    to_teams: tuple[UUID, ...] = ()
    organisation_wide: bool = False
    mode: ShareMode = "example"
    topic: str = ""

    @model_validator(mode="after")
    def _has_recipients(self) -> KnowledgeShared:
        if not (self.to_persons or self.to_teams or self.organisation_wide):
            msg = "knowledge shared with nobody: give to_persons, to_teams or organisation_wide"
            raise ValueError(msg)
        return self


class AdviceSought(LearningEvent):
    """The person sought advice from a colleague or an external source (S)."""

    TOPIC: ClassVar[str] = "learningorg/AdviceSought"
    STREAMS: ClassVar[frozenset[StreamKind]] = _PERSON
    from_person: UUID | None = None
    external_source: str | None = None
    topic: str = ""
    helpfulness: int | None = Field(default=None, ge=1, le=5)

    @model_validator(mode="after")
    def _has_adviser(self) -> AdviceSought:
        if (self.from_person is None) == (self.external_source is None):
            msg = "advice needs exactly one of from_person or external_source"
            raise ValueError(msg)
        return self


KnowledgeSource = Literal["research", "practice", "client-experience"]


class ExternalKnowledgeAcquired(LearningEvent):
    """Knowledge from outside the organisation came in (absorptive capacity; S, U)."""

    TOPIC: ClassVar[str] = "learningorg/ExternalKnowledgeAcquired"
    STREAMS: ClassVar[frozenset[StreamKind]] = _PERSON
    source: KnowledgeSource
    origin: str = ""


RegistrationStatus = Literal["registered", "renewed", "suspended", "ended"]


class RegistrationChanged(LearningEvent):
    """The person's registration in a professional register (e.g. SKJ) changed."""

    TOPIC: ClassVar[str] = "learningorg/RegistrationChanged"
    STREAMS: ClassVar[frozenset[StreamKind]] = _PERSON
    register_name: str = Field(min_length=1)
    number: str | None = None
    period_start: date
    period_end: date
    status: RegistrationStatus = "registered"

    @model_validator(mode="after")
    def _period_in_order(self) -> RegistrationChanged:
        if self.period_end <= self.period_start:
            msg = f"period_end {self.period_end} is not after period_start {self.period_start}"
            raise ValueError(msg)
        return self


class WorkHoursAttested(LearningEvent):
    """Hours worked in a period were attested (register work-experience requirement)."""

    TOPIC: ClassVar[str] = "learningorg/WorkHoursAttested"
    STREAMS: ClassVar[frozenset[StreamKind]] = _PERSON
    period_start: date
    period_end: date
    hours: float = Field(ge=0, le=20_000)
    client_contact_hours: float = Field(default=0.0, ge=0, le=20_000)

    @model_validator(mode="after")
    def _consistent(self) -> WorkHoursAttested:
        if self.period_end < self.period_start:
            msg = f"period_end {self.period_end} is before period_start {self.period_start}"
            raise ValueError(msg)
        if self.client_contact_hours > self.hours:
            msg = f"client_contact_hours {self.client_contact_hours} exceed hours {self.hours}"
            raise ValueError(msg)
        return self


# ---------------------------------------------------------------- any stream


class EventRetracted(LearningEvent):
    """An earlier event is retracted (corrected away); it no longer counts anywhere."""

    TOPIC: ClassVar[str] = "learningorg/EventRetracted"
    STREAMS: ClassVar[frozenset[StreamKind]] = _ANY
    retracted_event_id: UUID
    reason: str = ""


#: Fields that hold personal data or free text; they live only in person streams.
PERSONAL_FIELDS: dict[type[LearningEvent], tuple[str, ...]] = {
    PersonRegistered: ("key", "name", "email"),
    IdentifierLinked: ("identifier",),
    ExperienceRecorded: ("note",),
    ReflectionLogged: ("note",),
    DevelopmentGoalSet: ("description",),
    DevelopmentGoalReviewed: ("note",),
    AssumptionRevised: ("before", "after"),
    RegistrationChanged: ("number",),
    KnowledgeShared: ("topic",),
    AdviceSought: ("external_source", "topic"),
    ExternalKnowledgeAcquired: ("origin",),
}
