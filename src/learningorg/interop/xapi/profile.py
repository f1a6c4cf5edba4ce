"""The learningorg xAPI profile: verbs, activity types and extensions (interop layer).

Every IRI of the profile lives under one base, :data:`BASE` (``https://learningorg.dev/xapi/``):

``{BASE}verbs/{slug}``
    one verb per event of the catalogue (``reflected``, ``held-intervision``, ``shared``, ...);
    retractions use xAPI's own ``http://adlnet.gov/expapi/verbs/voided``.
``{BASE}activity-types/{slug}``
    the type of the object Activity of each verb (``reflection``, ``intervision``, ...).
``{BASE}activities/{slug}[/{natural id}]``
    the object Activity itself; goals, experiments, lessons, practices and vision values add
    their own id, percent-encoded.
``{BASE}extensions/{field}``
    context extensions for every payload field that has no xAPI home (``minutes``,
    ``dimensions``, ``loop``, ``uncertainty``, ``points``, ``mode``, ...), plus ``refs``,
    ``competences`` and ``values`` of the envelope. The field name is written with hyphens
    (``accreditation_ref`` becomes ``accreditation-ref``).
``{BASE}accounts/{person|team|organisation}``
    account homePages that name a person, team or organisation by its learningorg key.

Pseudonymised exports name a person by an account on :data:`PSEUDONYM_HOME` whose ``name`` is
the person's stream id (a keyed hash that reveals nothing without the store secret).

The common ADL verbs map to the nearest domain event; :data:`ADL_VERBS` lists each choice and
why. A statement whose verb is neither in the profile nor in that table is kept as a generic
``LearningActivityCompleted`` carrying the original statement (see ``mapping``).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from typing import Final
from urllib.parse import quote

from learningorg.domain import events as ev

#: The one base IRI of the profile.
BASE: Final = "https://learningorg.dev/xapi/"
VERB_BASE: Final = BASE + "verbs/"
ACTIVITY_TYPE_BASE: Final = BASE + "activity-types/"
ACTIVITY_BASE: Final = BASE + "activities/"
EXTENSION_BASE: Final = BASE + "extensions/"

#: Account homePages naming a person, team or organisation by its learningorg key.
PERSON_HOME: Final = BASE + "accounts/person"
TEAM_HOME: Final = BASE + "accounts/team"
ORGANISATION_HOME: Final = BASE + "accounts/organisation"
#: Account homePage of pseudonymised persons: the account name is the person's stream id.
PSEUDONYM_HOME: Final = "https://learningorg.dev/pseudonym"

#: xAPI's voiding verb; a voiding statement retracts the events of the statement it names.
VOIDED: Final = "http://adlnet.gov/expapi/verbs/voided"
ADL_VERB_BASE: Final = "http://adlnet.gov/expapi/verbs/"
ADL_ACTIVITY_BASE: Final = "http://adlnet.gov/expapi/activities/"

#: Kind of the generic ``LearningActivityCompleted`` that keeps a statement not understood.
GENERIC_KIND: Final = "xapi-statement"

#: Fields of the envelope every event carries; the rest of an event's fields are its payload.
ENVELOPE_FIELDS: Final = frozenset(ev.LearningEvent.model_fields)

#: Payload fields that hold one person (a stream id), exported as an Agent.
PERSON_FIELDS: Final = frozenset({"person", "from_person", "facilitator", "case_owner"})
#: Payload fields that hold several persons, exported as a list of Agents.
PERSONS_FIELDS: Final = frozenset({"participants", "to_persons", "owners", "authors"})
#: Payload fields that hold one team (a stream id), exported as a Group.
TEAM_FIELDS: Final = frozenset({"parent"})
#: Payload fields that hold several teams, exported as a list of Groups.
TEAMS_FIELDS: Final = frozenset({"teams", "to_teams"})
#: Payload fields that hold ids of earlier events, exported as statement ids.
EVENT_REF_FIELDS: Final = frozenset({"derived_from"})

#: Extension names of the envelope.
REFS: Final = EXTENSION_BASE + "refs"
COMPETENCES: Final = EXTENSION_BASE + "competences"
VALUES: Final = EXTENSION_BASE + "values"
#: Reason of a retraction (on a voiding statement).
REASON: Final = EXTENSION_BASE + "reason"
#: Set on statements built from events recorded in a store: a keyed fingerprint of that store
#: and organisation, so importing an export back into the same place stores nothing twice.
EXPORTED_FROM: Final = EXTENSION_BASE + "exported-from"


@cache
def extension(field: str) -> str:
    """The extension IRI of a payload field (``accreditation_ref`` -> ``.../accreditation-ref``)."""
    return EXTENSION_BASE + field.replace("_", "-")


@dataclass(frozen=True, slots=True)
class EventProfile:
    """How one event class of the catalogue is written as a statement and read back.

    ``verb`` and ``activity`` are slugs under :data:`VERB_BASE` and :data:`ACTIVITY_TYPE_BASE`;
    ``command`` is the ``Records`` method that records the event; ``natural_id`` the payload
    field (if any) that names the object Activity.
    """

    event_class: type[ev.LearningEvent]
    verb: str
    activity: str
    command: str
    natural_id: str | None = None

    @property
    def verb_iri(self) -> str:
        """The verb's IRI."""
        return VERB_BASE + self.verb

    @property
    def activity_type(self) -> str:
        """The IRI of the object Activity's type."""
        return ACTIVITY_TYPE_BASE + self.activity

    @property
    def display(self) -> str:
        """The verb's English display text."""
        return self.verb.replace("-", " ")

    @property
    def payload_fields(self) -> tuple[str, ...]:
        """The event's payload fields in declaration order."""
        return _payload_fields(self.event_class)

    def activity_id(self, natural: str | None) -> str:
        """The object Activity's id, with the natural id percent-encoded when there is one."""
        base = ACTIVITY_BASE + self.activity
        return base if natural is None else f"{base}/{quote(natural, safe='')}"


@cache
def _payload_fields(event_class: type[ev.LearningEvent]) -> tuple[str, ...]:
    return tuple(f for f in event_class.model_fields if f not in ENVELOPE_FIELDS)


_P = EventProfile

#: The profile: one entry per event class of the catalogue except ``EventRetracted``, which is
#: written as an xAPI voiding statement.
PROFILE: Final[tuple[EventProfile, ...]] = (
    # organisation stream
    _P(ev.OrganisationRegistered, "registered-organisation", "organisation",
       "register_organisation"),
    _P(ev.VisionValueDefined, "defined-value", "vision-value", "define_vision_value", "value_id"),
    _P(ev.VisionValueRevised, "revised-value", "vision-value", "revise_vision_value", "value_id"),
    _P(ev.PracticeInstitutionalised, "institutionalised-practice", "practice",
       "institutionalise_practice", "practice_id"),
    _P(ev.LearningTimeAllocated, "allocated-learning-time", "learning-time",
       "allocate_learning_time"),
    _P(ev.VisionDialogueHeld, "held-vision-dialogue", "vision-dialogue", "hold_vision_dialogue"),
    _P(ev.LearningClimateMeasured, "measured-learning-climate", "learning-climate",
       "measure_learning_climate"),
    # team stream
    _P(ev.TeamRegistered, "registered-team", "team", "register_team"),
    _P(ev.TeamRenamed, "renamed-team", "team", "rename_team"),
    _P(ev.TeamDissolved, "dissolved-team", "team", "dissolve_team"),
    _P(ev.MemberJoined, "added-member", "membership", "add_member"),
    _P(ev.MemberLeft, "removed-member", "membership", "remove_member"),
    _P(ev.IntervisionHeld, "held-intervision", "intervision", "hold_intervision"),
    _P(ev.CaseConsultationHeld, "held-case-consultation", "case-consultation",
       "hold_case_consultation"),
    _P(ev.ExperimentStarted, "started-experiment", "experiment", "start_experiment",
       "experiment_id"),
    _P(ev.ExperimentEvaluated, "evaluated-experiment", "experiment", "evaluate_experiment",
       "experiment_id"),
    _P(ev.LessonCaptured, "captured-lesson", "lesson", "capture_lesson", "lesson_id"),
    # person stream
    _P(ev.PersonRegistered, "registered-person", "person", "register_person"),
    _P(ev.IdentifierLinked, "linked-identifier", "persona", "link_identifier"),
    _P(ev.PersonErased, "erased-person", "person", "erase_person"),
    _P(ev.ExperienceRecorded, "recorded-experience", "experience", "record_experience"),
    _P(ev.ReflectionLogged, "reflected", "reflection", "log_reflection"),
    _P(ev.LearningActivityCompleted, "completed-learning-activity", "learning-activity",
       "complete_learning_activity"),
    _P(ev.DevelopmentGoalSet, "set-goal", "development-goal", "set_development_goal", "goal_id"),
    _P(ev.DevelopmentGoalReviewed, "reviewed-goal", "development-goal",
       "review_development_goal", "goal_id"),
    _P(ev.AssumptionRevised, "revised-assumption", "assumption", "revise_assumption"),
    _P(ev.KnowledgeShared, "shared", "knowledge", "share_knowledge"),
    _P(ev.AdviceSought, "sought-advice", "advice", "seek_advice"),
    _P(ev.ExternalKnowledgeAcquired, "acquired-external-knowledge", "external-knowledge",
       "acquire_external_knowledge"),
    _P(ev.RegistrationChanged, "changed-registration", "registration", "change_registration"),
    _P(ev.WorkHoursAttested, "attested-work-hours", "work-hours", "attest_work_hours"),
)  # fmt: skip

BY_EVENT: Final[dict[type[ev.LearningEvent], EventProfile]] = {p.event_class: p for p in PROFILE}
BY_VERB: Final[dict[str, EventProfile]] = {p.verb_iri: p for p in PROFILE}

#: Events that cannot be recorded by importing a statement: erasure destroys a person's key
#: and must be asked for explicitly, never arrive in a feed.
NOT_IMPORTABLE: Final = frozenset({ev.PersonErased})


@dataclass(frozen=True, slots=True)
class AdlVerb:
    """A common ADL verb and the domain event it maps to, with the reason for the choice."""

    iri: str
    event_class: type[ev.LearningEvent]
    reason: str


def _adl(name: str, event_class: type[ev.LearningEvent], reason: str) -> AdlVerb:
    return AdlVerb(ADL_VERB_BASE + name, event_class, reason)


#: The common ADL verbs and the nearest domain event (documented in ``docs/xapi.md``).
ADL_VERBS: Final[tuple[AdlVerb, ...]] = (
    _adl("completed", ev.LearningActivityCompleted,
         "a finished course, module or other activity: the learning activity itself; hours "
         "from result.duration; formal for ADL course, module, lesson and assessment types"),
    _adl("passed", ev.LearningActivityCompleted,
         "passing an assessment completes a formal learning activity"),
    _adl("attended", ev.LearningActivityCompleted,
         "attending a meeting, course or session is taking part in a learning activity; "
         "hours from result.duration"),
    _adl("experienced", ev.LearningActivityCompleted,
         "ADL's 'experienced' is encountering content (a video, a page) without an "
         "achievement: an informal learning activity, not a work experience"),
    _adl("mastered", ev.LearningActivityCompleted,
         "mastery of the object: an informal learning activity whose competences include the "
         "object's id (usually a competency IRI)"),
    _adl("shared", ev.KnowledgeShared,
         "sharing with an Agent or Group names the recipients; sharing an Activity shares it "
         "organisation-wide"),
    _adl("commented", ev.KnowledgeShared,
         "a comment offers an opinion or experience to everyone who reads it: knowledge "
         "shared organisation-wide as a document"),
    _adl("asked", ev.AdviceSought,
         "asking an Agent is seeking advice from that person; asking about an Activity is "
         "seeking advice from an external source"),
    AdlVerb(VOIDED, ev.EventRetracted,
            "xAPI's correction mechanism: the voided statement's events are retracted"),
)  # fmt: skip

ADL_BY_VERB: Final[dict[str, AdlVerb]] = {a.iri: a for a in ADL_VERBS}

#: ADL activity types whose completion counts as formal learning (accredited training).
FORMAL_ACTIVITY_TYPES: Final = frozenset(
    ADL_ACTIVITY_BASE + name for name in ("course", "module", "lesson", "assessment")
)

__all__ = [
    "ACTIVITY_BASE",
    "ACTIVITY_TYPE_BASE",
    "ADL_BY_VERB",
    "ADL_VERBS",
    "BASE",
    "BY_EVENT",
    "BY_VERB",
    "COMPETENCES",
    "EXPORTED_FROM",
    "EXTENSION_BASE",
    "FORMAL_ACTIVITY_TYPES",
    "GENERIC_KIND",
    "ORGANISATION_HOME",
    "PERSON_HOME",
    "PROFILE",
    "PSEUDONYM_HOME",
    "REASON",
    "REFS",
    "TEAM_HOME",
    "VALUES",
    "VERB_BASE",
    "VOIDED",
    "AdlVerb",
    "EventProfile",
    "extension",
]
