"""Learning facts: the compact rows the capacity projection folds (projections layer).

A fact is one stored event reduced to what the capacity model reads: its position, organisation,
kind, ids, both times (as POSIX seconds) and a small dict of the fields that matter (amounts,
participants, refs, competences, values). It never holds personal data or free text.

Facts come from two paths that must agree exactly:

- ``fact_from_event``: the normal path, from a validated pydantic event (live projections);
- ``fact_row_from_state``: the fast path, straight from the stored JSON with orjson, bypassing
  pydantic (catch-up views and bulk replay). It applies the same upcasting first.

A test reads the same stored events through both and asserts the facts are equal.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any, NamedTuple

import orjson

from learningorg.domain import events as ev

#: Envelope fields kept for every kind when they are not empty.
ENVELOPE_FIELDS = ("refs", "competences", "values")

#: The payload fields each relevant event kind contributes (no personal data, no free text).
FACT_FIELDS: dict[type[ev.LearningEvent], tuple[str, ...]] = {
    ev.OrganisationRegistered: (),
    ev.VisionValueDefined: ("value_id",),
    ev.VisionValueRevised: ("value_id",),
    ev.PracticeInstitutionalised: ("practice_id", "derived_from", "teams", "authors"),
    ev.VisionDialogueHeld: ("participants",),
    ev.LearningClimateMeasured: ("instrument", "dimension_means", "scale"),
    ev.TeamRegistered: ("key",),
    ev.TeamDissolved: (),
    ev.MemberJoined: ("person", "fte"),
    ev.MemberLeft: ("person",),
    ev.IntervisionHeld: ("participants", "minutes", "dimensions", "case_owner"),
    ev.CaseConsultationHeld: ("participants", "teams", "minutes", "dimensions", "case_owner"),
    ev.ExperimentStarted: ("experiment_id", "owners", "review_by"),
    ev.ExperimentEvaluated: ("experiment_id", "result", "loop"),
    ev.LessonCaptured: ("lesson_id", "scope", "authors"),
    ev.PersonRegistered: (),
    ev.ExperienceRecorded: ("kind",),
    ev.ReflectionLogged: ("form", "minutes", "dimensions", "loop"),
    ev.LearningActivityCompleted: ("mode", "points", "practice_id"),
    ev.DevelopmentGoalSet: ("goal_id",),
    ev.DevelopmentGoalReviewed: ("goal_id", "status"),
    ev.AssumptionRevised: (),
    ev.KnowledgeShared: ("to_persons", "to_teams", "organisation_wide"),
    ev.AdviceSought: ("from_person",),
    ev.ExternalKnowledgeAcquired: ("source",),
    ev.EventRetracted: ("retracted_event_id",),
}


class Fact(NamedTuple):
    """One relevant event, reduced to what the capacity model reads.

    Ids are strings (as stored); ``occurred_at`` and ``recorded_at`` are POSIX seconds;
    ``person`` is the stream id when the event is in a person's own stream, else None.
    ``data`` holds the kind's fields, those that are empty, zero or None left out.
    """

    position: int
    organisation: str
    kind: str
    event_id: str
    stream: str
    person: str | None
    occurred_at: float
    recorded_at: float
    data: Mapping[str, Any]


#: A fact as a row of the view table: the same fields, ``data`` as compact JSON text.
FactRow = tuple[int, str, str, str, str, str | None, float, float, str]


@dataclass(frozen=True, slots=True)
class _Spec:
    cls: type[ev.LearningEvent]
    kind: str
    fields: tuple[str, ...]
    include: frozenset[str]
    person_stream: bool


def _kind(cls: type[ev.LearningEvent]) -> str:
    return cls.TOPIC.removeprefix(ev.TOPIC_PREFIX)


_SPECS: dict[str, _Spec] = {
    cls.TOPIC: _Spec(
        cls,
        _kind(cls),
        fields + ENVELOPE_FIELDS,
        frozenset(fields + ENVELOPE_FIELDS),
        frozenset({"person"}) == cls.STREAMS,
    )
    for cls, fields in FACT_FIELDS.items()
}

#: Topics of the events that make facts (the rest is skipped by the views).
FACT_TOPICS: tuple[str, ...] = tuple(_SPECS)


def kind_of(cls: type[ev.LearningEvent]) -> str:
    """The fact kind of an event class (its topic without the ``learningorg/`` prefix)."""
    return _kind(cls)


def fact_from_event(position: int, event: ev.LearningEvent) -> Fact | None:
    """The fact of a validated event (the normal, pydantic path); None when not relevant."""
    spec = _SPECS.get(event.TOPIC)
    if spec is None:
        return None
    dumped = event.model_dump(mode="json", include=set(spec.include))
    data = {name: value for name in spec.fields if (value := dumped.get(name))}
    stream = str(event.originator_id)
    return Fact(
        position,
        event.organisation,
        spec.kind,
        str(event.event_id),
        stream,
        stream if spec.person_stream else None,
        event.occurred_at.timestamp(),
        event.recorded_at.timestamp(),
        data,
    )


def fact_row_from_state(
    position: int,
    topic: str,
    originator_id: str,
    state: bytes | str,
    decode: Callable[[bytes], bytes] | None = None,
) -> FactRow | None:
    """The view row of a stored event, decoded with orjson without pydantic (the fast path).

    ``state`` is the stored state; ``decode`` undoes the store's encryption and compression, if
    any. State stored by an older ``class_version`` is upcast first, as the mapper does.
    """
    spec = _SPECS.get(topic)
    if spec is None:
        return None
    if decode is not None:
        state = decode(state if isinstance(state, bytes) else state.encode())
    loaded: dict[str, Any] = orjson.loads(state)
    version = loaded.get("class_version", 1)
    if version != spec.cls.class_version:
        spec.cls.upcast(loaded, int(version))
    get = loaded.get
    data = {name: value for name in spec.fields if (value := get(name))}
    return (
        position,
        loaded["organisation"],
        spec.kind,
        loaded["event_id"],
        originator_id,
        originator_id if spec.person_stream else None,
        datetime.fromisoformat(loaded["occurred_at"]).timestamp(),
        datetime.fromisoformat(loaded["recorded_at"]).timestamp(),
        orjson.dumps(data).decode(),
    )


def fact_from_row(row: Iterable[Any]) -> Fact:
    """A fact from a row of the view table."""
    position, organisation, kind, event_id, stream, person, occurred, recorded, data = row
    return Fact(
        int(position),
        organisation,
        kind,
        event_id,
        stream,
        person,
        float(occurred),
        float(recorded),
        orjson.loads(data),
    )


def row_of(fact: Fact) -> FactRow:
    """The view row of a fact (the inverse of ``fact_from_row``)."""
    return (*fact[:8], orjson.dumps(dict(fact.data)).decode())


def facts_from_entries(entries: Iterable[tuple[int, ev.LearningEvent]]) -> Iterator[Fact]:
    """The facts of ordered history entries (``HistoryEntry`` or ``(position, event)``)."""
    for position, event in entries:
        fact = fact_from_event(position, event)
        if fact is not None:
            yield fact


def live_facts(facts: Iterable[Fact], known_at: datetime | int | None = None) -> list[Fact]:
    """The facts known at ``known_at``, retracted ones (and retractions) left out.

    A retraction counts from when it was known: with ``known_at`` before it, the retracted
    event still counts (as in ``learningorg.projections.history``).
    """
    if isinstance(known_at, datetime):
        limit = known_at.timestamp()
        known = [f for f in facts if f.recorded_at <= limit]
    elif isinstance(known_at, int):
        known = [f for f in facts if f.position <= known_at]
    else:
        known = list(facts)
    retract = _kind(ev.EventRetracted)
    retracted = {f.data["retracted_event_id"] for f in known if f.kind == retract}
    return [f for f in known if f.kind != retract and f.event_id not in retracted]


__all__ = [
    "ENVELOPE_FIELDS",
    "FACT_FIELDS",
    "FACT_TOPICS",
    "Fact",
    "FactRow",
    "fact_from_event",
    "fact_from_row",
    "fact_row_from_state",
    "facts_from_entries",
    "kind_of",
    "live_facts",
    "row_of",
]
