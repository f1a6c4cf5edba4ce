"""Learning facts: the compact rows the capacity projection folds (projections layer).

A fact is one stored event reduced to what the capacity model reads: its position, organisation,
kind, ids, both times (as POSIX seconds) and a small dict of the fields that matter (amounts,
participants, refs, competences, values). It never holds personal data or free text.

Facts come from two paths that must agree exactly:

- ``fact_from_event``: the normal path, from a validated pydantic event (live projections);
- ``SegmentBuilder``: the fast path, straight from the stored JSON with orjson, bypassing
  pydantic (catch-up views and bulk replay). It applies the same upcasting first, and keeps per
  stream a list of *records*: the JSON values as they are, times still ISO text, parsed only when
  a query reads the record back (``fact_from_record``).

A test reads the same stored events through both and asserts the records and facts are equal.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from operator import itemgetter
from typing import Any, NamedTuple

import orjson

from learningorg._collector import collector_paused
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


#: A fact as the view stores it: ``[position, kind, [event_id, occurred_at, recorded_at, *values]]``
#: with times as ISO text and the values of the kind's fields in ``FACT_FIELDS`` order followed by
#: the envelope's ``refs``, ``competences`` and ``values``: JSON as stored, nothing parsed. The
#: stream and organisation are those of the segment that holds the record.
FactRecord = Sequence[Any]


@dataclass(frozen=True, slots=True)
class _Spec:
    cls: type[ev.LearningEvent]
    kind: str
    fields: tuple[str, ...]
    person_stream: bool
    version: int
    get: Callable[[dict[str, Any]], tuple[Any, ...]]
    index: dict[str, int]


def _kind(cls: type[ev.LearningEvent]) -> str:
    return cls.TOPIC.removeprefix(ev.TOPIC_PREFIX)


def _spec(cls: type[ev.LearningEvent], fields: tuple[str, ...]) -> _Spec:
    names = fields + ENVELOPE_FIELDS
    return _Spec(
        cls,
        _kind(cls),
        names,
        frozenset({"person"}) == cls.STREAMS,
        cls.class_version,
        itemgetter("event_id", "occurred_at", "recorded_at", *names),
        {name: 3 + i for i, name in enumerate(names)},
    )


_SPECS: dict[str, _Spec] = {cls.TOPIC: _spec(cls, fields) for cls, fields in FACT_FIELDS.items()}
_BY_KIND: dict[str, _Spec] = {spec.kind: spec for spec in _SPECS.values()}

#: Per topic, what the replay loop needs, as a plain tuple: (class_version, person stream, kind,
#: getter of the stored values).
_FAST: dict[str, tuple[int, bool, str, Callable[[dict[str, Any]], tuple[Any, ...]]]] = {
    topic: (spec.version, spec.person_stream, spec.kind, spec.get) for topic, spec in _SPECS.items()
}

#: Topics of the events that make facts (the rest is skipped by the views).
FACT_TOPICS: tuple[str, ...] = tuple(_SPECS)


def kind_of(cls: type[ev.LearningEvent]) -> str:
    """The fact kind of an event class (its topic without the ``learningorg/`` prefix)."""
    return _kind(cls)


def is_person_fact(topic: str) -> bool:
    """Whether events of ``topic`` are facts that only live in person streams."""
    spec = _SPECS.get(topic)
    return spec is not None and spec.person_stream


def fact_from_event(position: int, event: ev.LearningEvent) -> Fact | None:
    """The fact of a validated event (the normal, pydantic path); None when not relevant."""
    spec = _SPECS.get(event.TOPIC)
    if spec is None:
        return None
    dumped = event.model_dump(mode="json", include=set(spec.fields))
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


def record_from_event(position: int, event: ev.LearningEvent) -> FactRecord | None:
    """The record of a validated event, as the fast path stores it (None: not relevant).

    The pydantic path to what ``SegmentBuilder`` reads straight from stored JSON; a test
    compares the two on every stored event.
    """
    spec = _SPECS.get(event.TOPIC)
    if spec is None:
        return None
    return [position, spec.kind, list(spec.get(event.model_dump(mode="json")))]


#: Facts of one stream from one batch: organisation, stream id, whether it is a person's own
#: stream (1) or not (0), first and last position, and the records as one JSON array.
Segment = tuple[str, str, int, int, int, bytes]


class SegmentBuilder:
    """Groups the facts of stored events by stream, read with orjson and bypassing pydantic.

    ``add`` takes pages of stored events ``(position, stream, topic, state)`` in position order;
    ``segments`` gives, per stream, one JSON array of its records (see ``FactRecord``).
    ``stream_id`` turns the stored stream column into ``str(UUID)`` (once per stream);
    ``decode`` decrypts and decompresses state if the store does that. State stored by an older
    ``class_version`` is upcast first, as the mapper does. Events that make no fact are skipped.

    Each record is encoded as soon as it is read into one buffer per stream, so a batch keeps
    no Python objects per event; the cyclic garbage collector is paused while a page is read (the
    page only creates acyclic objects). Both made replay several times faster.
    """

    def __init__(
        self,
        stream_id: Callable[[str], str] = str,
        decode: Callable[[bytes], bytes] | None = None,
    ) -> None:
        self.stream_id = stream_id
        self.decode = decode
        #: Stored events read so far, and the position of the last one.
        self.count = 0
        self.last = 0
        # stream -> [organisation, first position, last position, encoded records]
        self._personal: dict[str, list[Any]] = {}
        self._shared: dict[str, list[Any]] = {}

    def add(self, page: Sequence[tuple[int, str, str, bytes]]) -> None:
        """Read one page of stored events."""
        if not page:
            return
        fast, loads, dumps, decode = _FAST, orjson.loads, orjson.dumps, self.decode
        personal, shared = self._personal, self._shared
        with collector_paused():
            for position, stream, topic, state in page:
                found = fast.get(topic)
                if found is None:
                    continue
                version, person_stream, kind, get = found
                loaded = loads(state if decode is None else decode(state))
                if loaded.get("class_version", 1) != version:
                    spec = _SPECS[topic]
                    spec.cls.upcast(loaded, int(loaded.get("class_version", 1)))
                groups = personal if person_stream else shared
                group = groups.get(stream)
                if group is None:
                    group = groups[stream] = [loaded["organisation"], position, 0, bytearray()]
                group[2] = position
                # Appended to one buffer per stream: orjson's result for a small value keeps
                # a few kilobytes of capacity, so holding each one would cost memory and time.
                buffer = group[3]
                buffer += dumps((position, kind, get(loaded)))
                buffer += b","
        self.count += len(page)
        self.last = page[-1][0]

    def segments(self) -> list[Segment]:
        """One segment per stream (and kind of stream) of everything added."""
        return [
            (org, self.stream_id(stream), flag, first, last, b"[" + bytes(buffer[:-1]) + b"]")
            for flag, groups in ((1, self._personal), (0, self._shared))
            for stream, (org, first, last, buffer) in groups.items()
        ]


def record_value(record: FactRecord, name: str) -> Any:
    """The value of field ``name`` in a stored record, unparsed (None when the kind lacks it)."""
    at = _BY_KIND[record[1]].index.get(name)
    return None if at is None else record[2][at]


def fact_from_record(organisation: str, stream: str, record: FactRecord) -> Fact:
    """The fact of a stored record (times parsed, empty fields left out)."""
    position, kind, (event_id, occurred, recorded, *values) = record
    spec = _BY_KIND[kind]
    data = {name: value for name, value in zip(spec.fields, values, strict=True) if value}
    return Fact(
        int(position),
        organisation,
        kind,
        event_id,
        stream,
        stream if spec.person_stream else None,
        datetime.fromisoformat(occurred).timestamp(),
        datetime.fromisoformat(recorded).timestamp(),
        data,
    )


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
    "FactRecord",
    "Segment",
    "SegmentBuilder",
    "fact_from_event",
    "fact_from_record",
    "facts_from_entries",
    "is_person_fact",
    "kind_of",
    "live_facts",
    "record_from_event",
    "record_value",
]
