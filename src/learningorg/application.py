"""``Records``: the application that records and reads learning (application layer).

The public ``learningorg.LearningRecords`` extends it with the projections and xAPI.

One eventsourcing ``Application`` holds every organisation, team and person stream of a store, so
its notification log gives one total order over all of them; every projection is a fold over that
order. Commands take the keys people use (organisation key, team code, employee number), derive the
stream ids from them, validate before anything is stored, and retry when a concurrent writer won
the race for the same stream.
"""

from __future__ import annotations

import random
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any, NamedTuple, Self, TypedDict, TypeVar, Unpack, cast
from uuid import UUID, uuid4

from eventsourcing.application import Application
from eventsourcing.persistence import (
    IntegrityError,
    JSONTranscoder,
    Mapper,
    Notification,
    OperationalError,
    PersistenceError,
    StoredEvent,
)
from eventsourcing.utils import Environment
from pydantic import ValidationError

from learningorg.domain import events as ev
from learningorg.domain.aggregates import (
    AGGREGATE_CLASSES,
    Aggregate,
    Organisation,
    Person,
    Team,
)
from learningorg.domain.envelope import Envelope
from learningorg.domain.errors import (
    ConcurrencyError,
    EmptyKeyError,
    InvalidInputError,
    InvalidValueError,
    LearningOrgError,
    NaiveDatetimeError,
    StoreError,
    UnknownEventError,
    UnknownExperimentError,
    UnknownOrganisationError,
    UnknownPersonError,
    UnknownTeamError,
)
from learningorg.domain.ids import derive_id
from learningorg.persistence.crypto import ERASED, SEALED_FIELDS
from learningorg.persistence.database import (
    Database,
    load_or_create_secret,
    open_database,
    use_bulk_settings,
)
from learningorg.persistence.keys import DatabaseKeyStore, PersonKeys, erasure_hooks
from learningorg.persistence.mapper import PydanticMapper, StateTest, encode_dumped
from learningorg.persistence.rewrite import clear_personal_fields, rewrite_states
from learningorg.persistence.stores import (
    APPLICATION_NAME,
    StoreConfig,
    parse_store_url,
    resolve_store_url,
)

A = TypeVar("A", bound=Aggregate)

#: How often a command reloads and retries after losing a race for the same stream.
MAX_ATTEMPTS = 12
_PAGE = 1000


class EventMeta(TypedDict, total=False):
    """Keyword arguments every recording command accepts.

    ``occurred_at``: when it happened (timezone-aware; default: now). ``idempotency_key``: the
    caller's id for this fact; recording it again with the same key stores nothing new.
    ``recorded_by``: the source system or user. ``refs``: ids of earlier events this one builds on.
    ``competences``: ESCO skill URIs or local codes. ``values``: ids of vision values.
    ``source_statement_id``: the xAPI statement this came from.
    """

    occurred_at: datetime
    idempotency_key: str
    recorded_by: str
    refs: Sequence[UUID]
    competences: Sequence[str]
    values: Sequence[str]
    source_statement_id: UUID


_META_KEYS = frozenset(EventMeta.__annotations__)


class HistoryEntry(NamedTuple):
    """One event of the ordered history with its position in the store's total order."""

    position: int
    event: ev.LearningEvent


@dataclass(frozen=True, slots=True)
class Recorded:
    """What a command did.

    ``recorded`` is False when the fact was already stored (an idempotent repeat); then
    ``event_id`` and ``position`` are those of nothing new (``None``). ``warnings`` flags input
    that was stored but looks odd, such as a participant who was not in the team at the time.
    """

    stream_id: UUID
    event_id: UUID | None
    position: int | None
    recorded: bool
    warnings: tuple[str, ...] = ()


class _AlreadyRecorded(Exception):  # noqa: N818 (a control-flow signal, never raised to callers)
    """Raised by a check when the fact is already in the stream: nothing to store."""


_NOT_FOUND: dict[ev.StreamKind, type[LearningOrgError]] = {
    "organisation": UnknownOrganisationError,
    "team": UnknownTeamError,
    "person": UnknownPersonError,
}


class _EventApplication(Application[UUID]):
    """The single eventsourcing application behind ``LearningRecords``."""

    name = APPLICATION_NAME

    def construct_env(self, name: str, env: Any = None) -> Environment:
        # Only the settings given: nothing leaks in from os.environ (tests stay isolated).
        return Environment(name, dict(env or {}))

    def construct_mapper(self) -> Mapper[UUID]:
        return PydanticMapper(
            transcoder=JSONTranscoder(),
            cipher=self.factory.cipher(),
            compressor=self.factory.compressor(),
        )


def _aware(value: datetime, name: str = "occurred_at") -> datetime:
    if not isinstance(value, datetime):
        msg = f"{name} {value!r} is not a datetime; pass a timezone-aware datetime"
        raise InvalidValueError(msg)
    if value.tzinfo is None or value.utcoffset() is None:
        msg = (
            f"{name} {value.isoformat()} has no time zone; pass an aware datetime such as "
            f"datetime({value.year}, {value.month}, {value.day}, tzinfo=timezone.utc)"
        )
        raise NaiveDatetimeError(msg)
    return value


def _bounds(between: tuple[datetime | None, datetime | None] | None) -> tuple[float, float] | None:
    """``occurred_between`` as POSIX seconds (open sides infinite); None when not given."""
    if between is None:
        return None
    low, high = (
        None if moment is None else _aware(moment, f"occurred_between {name}")
        for moment, name in zip(between, ("low", "high"), strict=True)
    )
    return (
        -float("inf") if low is None else low.timestamp(),
        float("inf") if high is None else high.timestamp(),
    )


def _screen(organisation: str | None, bounds: tuple[float, float] | None) -> StateTest:
    """Whether a stored state may be of ``organisation`` and occur within ``bounds`` (False
    only when it surely is not: anything this cannot read is kept, and the parsed event is
    then checked exactly, or raises the clear error)."""

    def keep(state: Mapping[str, Any]) -> bool:
        try:
            if organisation is not None and state["organisation"] != organisation:
                return False
            if bounds is not None:
                # a second of slack each side: the exact check follows on the parsed event
                at = datetime.fromisoformat(state["occurred_at"]).timestamp()
                return bounds[0] - 1.0 <= at <= bounds[1] + 1.0
        except Exception:
            return True
        return True

    return keep


def _key(value: str, what: str) -> str:
    if not isinstance(value, str) or not value.strip():
        msg = f"{what} {value!r} is empty; give the {what} as a non-empty string"
        raise EmptyKeyError(msg)
    return value.strip()


def _validation_message(event_class: type[ev.LearningEvent], error: ValidationError) -> str:
    parts = []
    for item in error.errors():
        where = ".".join(str(x) for x in item["loc"]) or "event"
        text = str(item["msg"]).removeprefix("Value error, ")
        value = item.get("input")
        shown = repr(value) if not isinstance(value, dict) else "the given values"
        parts.append(f"{where}: {text} (got {shown})" if item["loc"] else text)
    return f"{event_class.__name__} rejected: " + "; ".join(parts)


@dataclass(frozen=True, slots=True)
class EncodedEvent:
    """An event given to :meth:`Records.save_events` as the JSON its mapper would make of it.

    For bulk writers that put many events of one class together from a template: ``state`` is
    exactly ``event.model_dump(mode="json", exclude={"originator_id", "originator_version"})``
    followed by ``"class_version"`` (what ``persistence.mapper.encode_state`` builds before it
    seals), for the event of ``topic`` with ``event_id`` at ``originator_version`` of stream
    ``originator_id``. ``save_events`` seals its personal fields (``state`` is changed in place),
    then encodes, compresses and encrypts it as the mapper does. ``state`` may also be that
    dict's compact JSON (as ``orjson.dumps`` writes it) when none of the event's personal fields
    (``SEALED_FIELDS``) is set, so there is nothing to seal. Whoever builds one answers for
    ``state`` being valid: nothing validates it again.
    """

    originator_id: UUID
    originator_version: int
    event_id: UUID
    topic: str
    state: dict[str, Any] | bytes


def _topic_and_state(
    mapper: PydanticMapper, event: ev.LearningEvent | EncodedEvent
) -> tuple[str, bytes]:
    """The topic and stored state of ``event``, as ``PydanticMapper.to_stored_event`` makes
    them: sealed (an :class:`EncodedEvent`'s state when given as a dict), encoded, compressed
    and encrypted."""
    if type(event) is not EncodedEvent:
        stored = mapper.to_stored_event(event)
        return stored.topic, stored.state
    state = event.state
    if type(state) is bytes:
        data = state
    else:
        assert isinstance(state, dict)
        data = encode_dumped(state, event.topic, event.originator_id, mapper.person_keys)
    return event.topic, mapper.stored_state(data)


class Records:
    """Record learning as events and read it back, for one store.

    >>> records = Records("memory://")
    >>> _ = records.register_organisation("jeugdzorg-noord", "Jeugdzorg Noord")
    >>> _ = records.register_team("jeugdzorg-noord", "T1", "Ambulant team Noord")
    >>> _ = records.register_person("jeugdzorg-noord", "E001", name="Sanne")
    >>> _ = records.add_member("jeugdzorg-noord", "T1", "E001")
    >>> records.team("jeugdzorg-noord", "T1").name
    'Ambulant team Noord'
    >>> records.close()

    Parameters
    ----------
    store:
        A store URL (``memory://``, ``sqlite:///path.db``, ``postgresql://user@host:port/db``).
        Default: ``LEARNINGORG_STORE``, else ``sqlite:///learningorg.db``.
    recorded_by:
        The default ``recorded_by`` of events this instance records.
    clock:
        Returns the recording time (``recorded_at``); tests and imports of history may set it.
    keys:
        Where the per-person data keys live (``learningorg.persistence.keys.PersonKeys``; plug in
        a KMS here). Default: a table in the store's own database.
    """

    def __init__(
        self,
        store: str | None = None,
        *,
        recorded_by: str = "api",
        clock: Callable[[], datetime] | None = None,
        cache_size: int = 10_000,
        keys: PersonKeys | None = None,
    ) -> None:
        self.config: StoreConfig = parse_store_url(resolve_store_url(store))
        self.recorded_by = recorded_by
        self._clock = clock or (lambda: datetime.now(UTC))
        self._lock = threading.RLock()
        self._cache: OrderedDict[UUID, Aggregate] = OrderedDict()
        self._cache_size = cache_size
        self._identifier_index: dict[tuple[str, str], UUID] = {}
        self._identifier_position = 0
        self.database: Database = open_database(self.config)
        try:
            # One opener at a time creates the tables (PostgreSQL; see Database.setup_lock).
            with self.database.setup_lock():
                self.secret = load_or_create_secret(self.database)
                self._app = _EventApplication(env=self.config.eventsourcing_env())
                # Per-person data keys (privacy, docs/privacy.md): the store's own table by default.
                self.person_keys = (
                    keys
                    if keys is not None
                    else DatabaseKeyStore(self.database, wrap_key=self.config.wrap_key)
                )
                self.mapper.person_keys = self.person_keys
        except LearningOrgError:
            self.database.close()
            raise
        except Exception as error:
            self.database.close()
            msg = f"cannot open the store {self.config.display_url!r}: {error}"
            raise StoreError(msg) from error

    # ------------------------------------------------------------------ life cycle

    def close(self) -> None:
        """Release the store's connections."""
        self._app.close()
        self.database.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def now(self) -> datetime:
        """The current time of this instance's clock (timezone-aware)."""
        return self._clock()

    @property
    def recorder(self) -> Any:
        """The eventsourcing application recorder (for projections' pull loops)."""
        return self._app.recorder

    @property
    def mapper(self) -> PydanticMapper:
        """The mapper between stored rows and events."""
        return cast(PydanticMapper, self._app.mapper)

    # ------------------------------------------------------------------ ids

    def stream_id(self, organisation: str, kind: ev.StreamKind, key: str) -> UUID:
        """The id of the ``kind`` stream with external ``key`` in ``organisation``.

        For the organisation stream itself, ``key`` is the organisation key.
        """
        return derive_id(self.secret, organisation, kind, key)

    def organisation_id(self, organisation: str) -> UUID:
        """The id of the organisation's own stream."""
        return self.stream_id(organisation, "organisation", organisation)

    def team_id(self, organisation: str, team: str) -> UUID:
        """The id of a team's stream (whether or not it is registered)."""
        return self.stream_id(organisation, "team", team)

    def person_id(self, organisation: str, person: str) -> UUID:
        """The id of a person's stream (whether or not they are registered)."""
        return self.stream_id(organisation, "person", person)

    # ------------------------------------------------------------------ reading

    def _read_stream(self, stream_id: UUID, gt: int | None = None) -> list[ev.LearningEvent]:
        try:
            return cast(list[ev.LearningEvent], list(self._app.events.get(stream_id, gt=gt)))
        except PersistenceError as error:
            msg = f"cannot read from the store {self.config.display_url!r}: {error}"
            raise StoreError(msg) from error

    def stream_events(self, stream_id: UUID) -> list[ev.LearningEvent]:
        """Every event of the stream with id ``stream_id``, in stream order."""
        return self._read_stream(stream_id)

    def _load(self, cls: type[A], organisation: str, stream_id: UUID) -> A:
        """The aggregate, from the cache brought up to date, or replayed from the store."""
        with self._lock:
            cached = self._cache.get(stream_id)
            if cached is not None:
                self._cache.move_to_end(stream_id)
                for event in self._read_stream(stream_id, gt=cached.version):
                    cached.apply(event)
                return cast(A, cached)
        aggregate = cls.replay(stream_id, organisation, self._read_stream(stream_id))
        if aggregate.exists:
            with self._lock:
                self._cache[stream_id] = aggregate
                while len(self._cache) > self._cache_size:
                    self._cache.popitem(last=False)
        return aggregate

    def _forget_random_id(self, stream_id: UUID, event_id: UUID | None) -> None:
        """Drop a just-recorded random event id from the cached aggregate's idempotency set.

        A cached aggregate remembers the ids of its events only to refuse a repeated one, and an
        id drawn at random (a command without an idempotency key) is never presented again; so
        keeping it would only make a long-running writer's memory grow with every event it
        records. Ids derived from idempotency keys are kept (they are what a repeat presents).
        """
        if event_id is None:
            return
        with self._lock:
            cached = self._cache.get(stream_id)
            if cached is not None:
                cached.event_ids.discard(event_id)

    def _evict(self, stream_id: UUID) -> None:
        with self._lock:
            self._cache.pop(stream_id, None)

    def _require_organisation(self, organisation: str) -> Organisation:
        organisation = _key(organisation, "organisation key")
        org = self._load(Organisation, organisation, self.organisation_id(organisation))
        if not org.exists:
            msg = (
                f"organisation {organisation!r} is not registered in this store; "
                "register it first with register_organisation()"
            )
            raise UnknownOrganisationError(msg)
        return org

    def _require_team(self, organisation: str, team: str) -> Team:
        team = _key(team, "team key")
        aggregate = self._load(Team, organisation, self.team_id(organisation, team))
        if not aggregate.exists:
            msg = (
                f"team {team!r} is not registered in organisation {organisation!r}; "
                "register it first with register_team()"
            )
            raise UnknownTeamError(msg)
        return aggregate

    def _require_person(self, organisation: str, person: str) -> Person:
        person = _key(person, "person key")
        aggregate = self._load(Person, organisation, self.person_id(organisation, person))
        if not aggregate.exists:
            msg = (
                f"person {person!r} is not registered in organisation {organisation!r}; "
                "register them first with register_person()"
            )
            raise UnknownPersonError(msg)
        return aggregate

    def _person_ids(self, organisation: str, persons: Iterable[str]) -> tuple[UUID, ...]:
        ids: list[UUID] = []
        for person in persons:
            aggregate = self._require_person(organisation, person)
            if aggregate.id not in ids:
                ids.append(aggregate.id)
        return tuple(ids)

    def _team_ids(self, organisation: str, teams: Iterable[str]) -> tuple[UUID, ...]:
        ids: list[UUID] = []
        for team in teams:
            aggregate = self._require_team(organisation, team)
            if aggregate.id not in ids:
                ids.append(aggregate.id)
        return tuple(ids)

    def organisation(self, organisation: str) -> Organisation:
        """The organisation's current state, replayed from its stream."""
        self._require_organisation(organisation)
        org_id = self.organisation_id(organisation)
        return Organisation.replay(org_id, organisation, self._read_stream(org_id))

    def team(self, organisation: str, team: str) -> Team:
        """A team's current state (name, membership periods, experiments)."""
        self._require_organisation(organisation)
        self._require_team(organisation, team)
        team_id = self.team_id(organisation, team)
        return Team.replay(team_id, organisation, self._read_stream(team_id))

    def person(self, organisation: str, person: str) -> Person:
        """A person's current state (identity, identifiers, goals)."""
        self._require_organisation(organisation)
        self._require_person(organisation, person)
        person_id = self.person_id(organisation, person)
        return Person.replay(person_id, organisation, self._read_stream(person_id))

    def stream(self, organisation: str, kind: ev.StreamKind, key: str) -> list[ev.LearningEvent]:
        """Every event of one stream, in stream order.

        ``kind`` is "organisation", "team" or "person"; ``key`` the external key (for the
        organisation stream, the organisation key).
        """
        if kind not in AGGREGATE_CLASSES:
            msg = f"stream kind {kind!r} is unknown; use 'organisation', 'team' or 'person'"
            raise InvalidValueError(msg)
        self._require_organisation(organisation)
        stream_id = self.stream_id(organisation, kind, _key(key, f"{kind} key"))
        events = self._read_stream(stream_id)
        if not events:
            error = {"team": UnknownTeamError, "person": UnknownPersonError}.get(
                kind, UnknownOrganisationError
            )
            msg = f"{kind} {key!r} is not registered in organisation {organisation!r}"
            raise error(msg)
        return events

    def notifications(
        self, since: int | None = None, until: int | None = None, topics: Sequence[str] = ()
    ) -> Iterator[Notification]:
        """Stored rows of the total order after position ``since`` up to ``until``, paged."""
        start = (since or 0) + 1
        while True:
            try:
                page = self._app.recorder.select_notifications(
                    start=start, limit=_PAGE, stop=until, topics=topics
                )
            except PersistenceError as error:
                msg = f"cannot read from the store {self.config.display_url!r}: {error}"
                raise StoreError(msg) from error
            yield from page
            if len(page) < _PAGE:
                return
            start = page[-1].id + 1

    def events(
        self,
        since: int | None = None,
        until: int | None = None,
        *,
        organisation: str | None = None,
        topics: Sequence[str] = (),
        occurred_between: tuple[datetime | None, datetime | None] | None = None,
    ) -> Iterator[HistoryEntry]:
        """The ordered history: events after position ``since`` up to ``until`` (inclusive).

        ``organisation`` keeps one organisation's events; ``topics`` only the given event
        topics (e.g. ``[ReflectionLogged.TOPIC]``); ``occurred_between=(low, high)`` only the
        events that occurred in ``[low, high]`` (aware datetimes, inclusive; None leaves a side
        open). The organisation and the time are looked up in the stored JSON before an event
        is parsed, so one organisation, or a year, of a long history reads quickly.
        """
        bounds = _bounds(occurred_between)
        screen = None if organisation is None and bounds is None else _screen(organisation, bounds)
        for notification in self.notifications(since, until, topics):
            event = self.mapper.to_learning_event_if(notification, screen)
            if event is None:
                continue
            if organisation is not None and event.organisation != organisation:
                continue
            if bounds is not None and not bounds[0] <= event.occurred_at.timestamp() <= bounds[1]:
                continue
            yield HistoryEntry(notification.id, event)

    def max_position(self) -> int:
        """The position of the newest event in the store (0 when empty)."""
        return self._app.recorder.max_notification_id() or 0

    def organisations(self) -> list[str]:
        """The keys of every organisation registered in the store."""
        topic = ev.OrganisationRegistered.TOPIC
        return [entry.event.organisation for entry in self.events(topics=[topic])]

    def person_by_identifier(self, organisation: str, identifier: str) -> UUID | None:
        """The id of the person an identifier (email, LMS account, ...) is linked to, if any."""
        wanted = (organisation, identifier.strip())
        with self._lock:
            found = self._identifier_index.get(wanted)
            if found is not None:
                return found
            topics = [ev.PersonRegistered.TOPIC, ev.IdentifierLinked.TOPIC]
            last = self._identifier_position
            for entry in self.events(since=last, topics=topics):
                event = entry.event
                names: list[str] = []
                if isinstance(event, ev.IdentifierLinked):
                    names.append(event.identifier)
                elif isinstance(event, ev.PersonRegistered) and event.email:
                    names.append(f"mailto:{event.email}")
                for name in names:
                    if name in (ERASED, f"mailto:{ERASED}"):
                        continue  # an erased person's identifier: unreadable, links nobody
                    self._identifier_index.setdefault(
                        (event.organisation, name), event.originator_id
                    )
                last = entry.position
            self._identifier_position = last
            return self._identifier_index.get(wanted)

    # ------------------------------------------------------------------ writing

    def _envelope(self, organisation: str, meta: EventMeta) -> Envelope:
        unknown = sorted(set(meta) - _META_KEYS)
        if unknown:
            # A misspelt keyword (``occured_at``) must not be silently ignored.
            msg = (
                f"unknown keyword argument(s) {', '.join(map(repr, unknown))}; a recording "
                f"command accepts its own fields and {', '.join(sorted(_META_KEYS))}"
            )
            raise TypeError(msg)
        occurred_at = _aware(meta["occurred_at"]) if "occurred_at" in meta else self._clock()
        key = meta.get("idempotency_key")
        if key is not None:
            event_id = derive_id(self.secret, organisation, "event", _key(key, "idempotency key"))
        else:
            event_id = uuid4()
        return Envelope(
            event_id=event_id,
            organisation=organisation,
            occurred_at=occurred_at,
            recorded_at=self._clock(),
            recorded_by=meta.get("recorded_by", self.recorded_by),
            source_statement_id=meta.get("source_statement_id"),
            refs=tuple(meta.get("refs", ())),
            competences=tuple(meta.get("competences", ())),
            values=tuple(meta.get("values", ())),
        )

    def _record(
        self,
        cls: type[A],
        organisation: str,
        stream_id: UUID,
        event_class: type[ev.LearningEvent],
        meta: EventMeta,
        payload: Callable[[A, Envelope], dict[str, Any]] | dict[str, Any],
        *,
        create: bool = False,
    ) -> Recorded:
        """Validate, build and store one event in one stream, retrying on concurrent writes.

        ``payload`` is the event's fields, or a check that receives the aggregate and envelope,
        raises a typed error for bad input, raises ``_AlreadyRecorded`` for a repeat, and
        returns the fields (with ``__warnings__`` for flags).
        """
        envelope = self._envelope(organisation, meta)
        for attempt in range(MAX_ATTEMPTS):
            # One writer per instance at a time: the cached aggregate is only changed under
            # the lock. Other processes are handled by the store's version check and retries.
            with self._lock:
                outcome = self._attempt(cls, organisation, stream_id, event_class, envelope,
                                        payload, create=create)  # fmt: skip
            if outcome is not None:
                if outcome.recorded and meta.get("idempotency_key") is None:
                    self._forget_random_id(stream_id, outcome.event_id)
                return outcome
            time.sleep(random.uniform(0, min(0.2, 0.005 * 2**attempt)))
        msg = (
            f"gave up recording {event_class.__name__} in stream {stream_id} after "
            f"{MAX_ATTEMPTS} attempts: other writers kept changing it; try again"
        )
        raise ConcurrencyError(msg)

    def _attempt(
        self,
        cls: type[A],
        organisation: str,
        stream_id: UUID,
        event_class: type[ev.LearningEvent],
        envelope: Envelope,
        payload: Callable[[A, Envelope], dict[str, Any]] | dict[str, Any],
        *,
        create: bool,
    ) -> Recorded | None:
        """One try of ``_record``: the result, or None when a concurrent writer won the race."""
        aggregate = self._load(cls, organisation, stream_id)
        if create and aggregate.exists:
            return Recorded(stream_id, None, None, recorded=False)
        if not create and not aggregate.exists:
            msg = f"{cls.KIND} stream {stream_id} does not exist in {organisation!r}"
            raise _NOT_FOUND[cls.KIND](msg)
        if aggregate.has_event(envelope.event_id):
            return Recorded(stream_id, None, None, recorded=False)
        try:
            fields = payload(aggregate, envelope) if callable(payload) else dict(payload)
        except _AlreadyRecorded:
            return Recorded(stream_id, None, None, recorded=False)
        warnings = tuple(fields.pop("__warnings__", ()))
        try:
            event = aggregate.trigger(event_class, envelope, **fields)
        except ValidationError as error:
            self._evict(stream_id)
            raise InvalidValueError(_validation_message(event_class, error)) from None
        except ValueError as error:
            self._evict(stream_id)
            raise InvalidValueError(f"{event_class.__name__} rejected: {error}") from None
        try:
            recordings = self._app.events.put(aggregate.collect_events())
        except IntegrityError:
            self._evict(stream_id)
            return None
        except OperationalError as error:
            self._evict(stream_id)
            if "locked" in str(error).lower():
                return None
            msg = f"cannot write to the store {self.config.display_url!r}: {error}"
            raise StoreError(msg) from error
        except PersistenceError as error:
            self._evict(stream_id)
            msg = f"cannot write to the store {self.config.display_url!r}: {error}"
            raise StoreError(msg) from error
        position = recordings[0].notification.id if recordings else None
        with self._lock:
            self._cache[stream_id] = aggregate
        return Recorded(stream_id, event.event_id, position, recorded=True, warnings=warnings)

    # ------------------------------------------------------------------ batch append (bulk writers)
    # Owned by the xAPI import (docs/decisions/0502-xapi-bulk-import.md); keep this block together.

    def save_events(self, events: Sequence[ev.LearningEvent | EncodedEvent]) -> int:
        """Store events that aggregates built (``Aggregate.trigger``), in one transaction.

        For bulk writers such as the xAPI import: they replay the streams they write to, let the
        aggregates build the next events, and save many of them at once instead of one command
        per event. Every event goes through this store's mapper, so what is stored is exactly
        what the commands store (personal fields sealed, compression, encryption). All of them
        are stored, or none: when another writer appended to one of the streams first (the
        store's check of stream versions), nothing is stored and ``ConcurrencyError`` is raised;
        reload those streams and build the events again. Returns how many events were stored.

        The versions of each stream's events must follow each other in ``events``' order, as
        ``Aggregate.trigger`` makes them; anything else is refused with ``InvalidValueError``
        before anything is stored.

        An :class:`EncodedEvent` (an event already in the JSON form the mapper gives it) is
        sealed, encoded, compressed and encrypted as the mapper does the rest.
        """
        expected: dict[UUID, int] = {}
        for event in events:
            if not isinstance(event, ev.LearningEvent | EncodedEvent):
                msg = f"save_events() stores learningorg events, not {type(event).__name__}"
                raise InvalidValueError(msg)
            stream_id, version = event.originator_id, event.originator_version
            before = expected.get(stream_id)
            if before is not None and version != before + 1:
                msg = (
                    f"event {event.event_id} has version {version} of stream {stream_id}, but "
                    f"the event before it in the batch has version {before}; build the events "
                    "with the stream's aggregate (Aggregate.trigger)"
                )
                raise InvalidValueError(msg)
            expected[stream_id] = version
        if not events:
            return 0
        from eventsourcing.sqlite import SQLiteApplicationRecorder

        mapper = self._app.mapper
        # The data keys of new persons in one round trip, not one transaction each.
        self.person_keys.create_many(
            e.originator_id
            for e in events
            if (e.topic if type(e) is EncodedEvent else cast(ev.LearningEvent, e).TOPIC)
            in SEALED_FIELDS
        )
        pydantic_mapper = cast(PydanticMapper, mapper)
        recorder = self._app.recorder
        try:
            if type(recorder) is SQLiteApplicationRecorder:
                # The recorder's own statement, many rows at once (it inserts them one by one
                # to learn their positions, which a bulk writer does not need): the row of
                # each event as its ``StoredEvent`` would give it.
                rows = [
                    (
                        e.originator_id.hex,
                        e.originator_version,
                        *_topic_and_state(pydantic_mapper, e),
                    )
                    for e in events
                ]
                with recorder.datastore.transaction(commit=True) as cursor:
                    use_bulk_settings(cursor)
                    cursor.executemany(recorder.insert_events_statement, rows)
            else:
                stored = []
                for e in events:
                    topic, state = _topic_and_state(pydantic_mapper, e)
                    stored.append(
                        StoredEvent(
                            originator_id=e.originator_id,
                            originator_version=e.originator_version,
                            topic=topic,
                            state=state,
                        )
                    )
                recorder.insert_events(stored)
        except IntegrityError as error:
            msg = (
                f"another writer appended to one of the {len(expected)} streams of this batch "
                f"first; nothing of the {len(events)} events was stored: reload and retry ({error})"
            )
            raise ConcurrencyError(msg) from error
        except OperationalError as error:
            if "locked" in str(error).lower():
                msg = f"the store was locked by another writer; nothing was stored: retry ({error})"
                raise ConcurrencyError(msg) from error
            msg = f"cannot write to the store {self.config.display_url!r}: {error}"
            raise StoreError(msg) from error
        except PersistenceError as error:
            msg = f"cannot write to the store {self.config.display_url!r}: {error}"
            raise StoreError(msg) from error
        return len(events)

    # ------------------------------------------------------------------ (end of batch append)

    def _org_event(
        self,
        organisation: str,
        event_class: type[ev.LearningEvent],
        meta: EventMeta,
        payload: Callable[[Organisation, Envelope], dict[str, Any]] | dict[str, Any],
    ) -> Recorded:
        org = self._require_organisation(organisation)
        return self._record(Organisation, org.key, org.id, event_class, meta, payload)

    def _team_event(
        self,
        organisation: str,
        team: str,
        event_class: type[ev.LearningEvent],
        meta: EventMeta,
        payload: Callable[[Team, Envelope], dict[str, Any]] | dict[str, Any],
    ) -> Recorded:
        self._require_organisation(organisation)
        aggregate = self._require_team(organisation, team)
        return self._record(Team, organisation, aggregate.id, event_class, meta, payload)

    def _person_event(
        self,
        organisation: str,
        person: str,
        event_class: type[ev.LearningEvent],
        meta: EventMeta,
        payload: Callable[[Person, Envelope], dict[str, Any]] | dict[str, Any],
    ) -> Recorded:
        self._require_organisation(organisation)
        aggregate = self._require_person(organisation, person)
        if aggregate.erased:
            msg = (
                f"person {person!r} of organisation {organisation!r} was erased; "
                "nothing more can be recorded for them"
            )
            raise InvalidInputError(msg)
        return self._record(Person, organisation, aggregate.id, event_class, meta, payload)

    # ------------------------------------------------------------------ organisation commands

    def register_organisation(
        self, key: str, name: str | None = None, **meta: Unpack[EventMeta]
    ) -> Recorded:
        """Register an organisation under ``key``; registering it again changes nothing."""
        key = _key(key, "organisation key")
        payload = {"key": key, "name": (name or key).strip() or key}
        return self._record(
            Organisation,
            key,
            self.organisation_id(key),
            ev.OrganisationRegistered,
            meta,
            payload,
            create=True,
        )

    def define_vision_value(
        self,
        organisation: str,
        value_id: str,
        label: str,
        description: str = "",
        **meta: Unpack[EventMeta],
    ) -> Recorded:
        """Define a value of the shared vision (element V); defining it again is a no-op."""
        value_id = _key(value_id, "value id")

        def check(org: Organisation, _: Envelope) -> dict[str, Any]:
            if org.values.get(value_id) == label:
                raise _AlreadyRecorded
            if value_id in org.values:
                msg = (
                    f"vision value {value_id!r} is already defined as {org.values[value_id]!r}; "
                    "use revise_vision_value() to change it"
                )
                raise InvalidValueError(msg)
            return {"value_id": value_id, "label": label, "description": description}

        return self._org_event(organisation, ev.VisionValueDefined, meta, check)

    def revise_vision_value(
        self,
        organisation: str,
        value_id: str,
        label: str,
        description: str = "",
        **meta: Unpack[EventMeta],
    ) -> Recorded:
        """Revisit a vision value and record its revised wording (element V)."""

        def check(org: Organisation, _: Envelope) -> dict[str, Any]:
            if value_id not in org.values:
                msg = (
                    f"vision value {value_id!r} is not defined in organisation "
                    f"{organisation!r}; define it first with define_vision_value()"
                )
                raise InvalidValueError(msg)
            return {"value_id": value_id, "label": label, "description": description}

        return self._org_event(organisation, ev.VisionValueRevised, meta, check)

    def _check_values(self, org: Organisation, values: Sequence[str]) -> None:
        unknown = [v for v in values if v not in org.values]
        if unknown:
            msg = (
                f"vision value(s) {', '.join(map(repr, unknown))} are not defined in "
                f"organisation {org.key!r}; define them with define_vision_value()"
            )
            raise InvalidValueError(msg)

    def institutionalise_practice(
        self,
        organisation: str,
        practice_id: str,
        name: str,
        kind: ev.PracticeKind,
        *,
        derived_from: Sequence[UUID] = (),
        teams: Sequence[str] = (),
        authors: Sequence[str] = (),
        loop: ev.Loop = "single",
        **meta: Unpack[EventMeta],
    ) -> Recorded:
        """Record that lessons or experiments became a practice of the organisation (4I)."""
        team_ids = self._team_ids(organisation, teams)
        author_ids = self._person_ids(organisation, authors)

        def check(org: Organisation, _: Envelope) -> dict[str, Any]:
            if practice_id in org.practices:
                raise _AlreadyRecorded
            return {
                "practice_id": _key(practice_id, "practice id"),
                "name": name,
                "kind": kind,
                "derived_from": tuple(derived_from),
                "teams": team_ids,
                "authors": author_ids,
                "loop": loop,
            }

        return self._org_event(organisation, ev.PracticeInstitutionalised, meta, check)

    def allocate_learning_time(
        self,
        organisation: str,
        period_start: date,
        period_end: date,
        hours_per_fte: float,
        purpose: str = "",
        **meta: Unpack[EventMeta],
    ) -> Recorded:
        """Record learning time allocated per FTE for a period (element M)."""
        payload = {
            "period_start": period_start,
            "period_end": period_end,
            "hours_per_fte": hours_per_fte,
            "purpose": purpose,
        }
        return self._org_event(organisation, ev.LearningTimeAllocated, meta, payload)

    def hold_vision_dialogue(
        self,
        organisation: str,
        *,
        team: str | None = None,
        participants: Sequence[str] = (),
        commitments: Sequence[str] = (),
        **meta: Unpack[EventMeta],
    ) -> Recorded:
        """Record a dialogue on the shared vision, organisation-wide or in ``team`` (V)."""
        org = self._require_organisation(organisation)
        self._check_values(org, meta.get("values", ()))
        payload = {
            "participants": self._person_ids(organisation, participants),
            "commitments": tuple(commitments),
        }
        if team is None:
            return self._org_event(organisation, ev.VisionDialogueHeld, meta, payload)
        return self._team_event(organisation, team, ev.VisionDialogueHeld, meta, payload)

    def measure_learning_climate(
        self,
        organisation: str,
        *,
        instrument: ev.ClimateInstrument,
        n: int,
        dimension_means: dict[str, float],
        scale: int,
        team: str | None = None,
        **meta: Unpack[EventMeta],
    ) -> Recorded:
        """Record the outcome of a learning-climate questionnaire (DLOQ-21, LOS-27, ...)."""
        payload = {
            "instrument": instrument,
            "n": n,
            "dimension_means": dict(dimension_means),
            "scale": scale,
        }
        if team is None:
            return self._org_event(organisation, ev.LearningClimateMeasured, meta, payload)
        return self._team_event(organisation, team, ev.LearningClimateMeasured, meta, payload)

    # ------------------------------------------------------------------ team commands

    def register_team(
        self,
        organisation: str,
        key: str,
        name: str | None = None,
        *,
        parent: str | None = None,
        **meta: Unpack[EventMeta],
    ) -> Recorded:
        """Register a team under its key; registering it again changes nothing."""
        org = self._require_organisation(organisation)
        key = _key(key, "team key")
        parent_id = self._require_team(org.key, parent).id if parent is not None else None
        payload = {"key": key, "name": (name or key).strip() or key, "parent": parent_id}
        return self._record(
            Team,
            org.key,
            self.team_id(org.key, key),
            ev.TeamRegistered,
            meta,
            payload,
            create=True,
        )

    def rename_team(
        self, organisation: str, team: str, name: str, **meta: Unpack[EventMeta]
    ) -> Recorded:
        """Give a team a new name."""

        def check(aggregate: Team, _: Envelope) -> dict[str, Any]:
            if aggregate.name == name:
                raise _AlreadyRecorded
            return {"name": name}

        return self._team_event(organisation, team, ev.TeamRenamed, meta, check)

    def dissolve_team(
        self, organisation: str, team: str, reason: str = "", **meta: Unpack[EventMeta]
    ) -> Recorded:
        """Record that a team stopped existing; its history stays."""

        def check(aggregate: Team, _: Envelope) -> dict[str, Any]:
            if aggregate.dissolved_at is not None:
                raise _AlreadyRecorded
            return {"reason": reason}

        return self._team_event(organisation, team, ev.TeamDissolved, meta, check)

    def add_member(
        self,
        organisation: str,
        team: str,
        person: str,
        *,
        role: str = "professional",
        fte: float = 1.0,
        site: str = "",
        **meta: Unpack[EventMeta],
    ) -> Recorded:
        """Record that ``person`` joined ``team`` at ``occurred_at``.

        Joining again with the same role, FTE and site while a member is a no-op.
        """
        (person_id,) = self._person_ids(organisation, [person])

        def check(aggregate: Team, envelope: Envelope) -> dict[str, Any]:
            current = aggregate.membership_at(person_id, envelope.occurred_at)
            if current is not None and (current.role, current.fte, current.site) == (
                role,
                fte,
                site,
            ):
                raise _AlreadyRecorded
            return {"person": person_id, "role": role, "fte": fte, "site": site}

        return self._team_event(organisation, team, ev.MemberJoined, meta, check)

    def remove_member(
        self, organisation: str, team: str, person: str, **meta: Unpack[EventMeta]
    ) -> Recorded:
        """Record that ``person`` left ``team`` at ``occurred_at``; their history stays."""
        (person_id,) = self._person_ids(organisation, [person])

        def check(aggregate: Team, envelope: Envelope) -> dict[str, Any]:
            if not aggregate.is_member(person_id, envelope.occurred_at):
                if any(p.person == person_id for p in aggregate.periods):
                    raise _AlreadyRecorded
                msg = (
                    f"person {person!r} was not a member of team {team!r} at "
                    f"{envelope.occurred_at.isoformat()}; record add_member() first"
                )
                raise InvalidValueError(msg)
            return {"person": person_id}

        return self._team_event(organisation, team, ev.MemberLeft, meta, check)

    def _flag_non_members(
        self, aggregate: Team, persons: Sequence[UUID], keys: Sequence[str], moment: datetime
    ) -> list[str]:
        members = aggregate.members_at(moment)
        return [
            f"{key!r} was not a member of team {aggregate.key!r} at {moment.isoformat()}"
            for key, pid in zip(keys, persons, strict=False)
            if pid not in members
        ]

    def hold_intervision(
        self,
        organisation: str,
        team: str,
        *,
        participants: Sequence[str],
        minutes: int,
        method: str = "intervision",
        facilitator: str | None = None,
        case_owner: str | None = None,
        dimensions: Sequence[ev.Dimension] = (),
        **meta: Unpack[EventMeta],
    ) -> Recorded:
        """Record an intervision session; every participant is credited with its time.

        Participants who were not team members at the time are allowed (records arrive late,
        guests join) but flagged in ``Recorded.warnings``.
        """
        keys = list(dict.fromkeys(participants))
        ids = self._person_ids(organisation, keys)
        facilitator_id = self._person_ids(organisation, [facilitator])[0] if facilitator else None
        owner_id = self._person_ids(organisation, [case_owner])[0] if case_owner else None

        def check(aggregate: Team, envelope: Envelope) -> dict[str, Any]:
            return {
                "participants": ids,
                "minutes": minutes,
                "method": method,
                "facilitator": facilitator_id,
                "case_owner": owner_id,
                "dimensions": tuple(dict.fromkeys(dimensions)),
                "__warnings__": self._flag_non_members(aggregate, ids, keys, envelope.occurred_at),
            }

        return self._team_event(organisation, team, ev.IntervisionHeld, meta, check)

    def hold_case_consultation(
        self,
        organisation: str,
        team: str,
        *,
        participants: Sequence[str],
        minutes: int,
        teams: Sequence[str] = (),
        outcome: str = "",
        case_owner: str | None = None,
        dimensions: Sequence[ev.Dimension] = (),
        **meta: Unpack[EventMeta],
    ) -> Recorded:
        """Record a case consultation hosted by ``team``, with guests from ``teams``."""
        keys = list(dict.fromkeys(participants))
        ids = self._person_ids(organisation, keys)
        team_ids = self._team_ids(organisation, teams)
        owner_id = self._person_ids(organisation, [case_owner])[0] if case_owner else None
        payload = {
            "participants": ids,
            "teams": team_ids,
            "minutes": minutes,
            "outcome": outcome,
            "case_owner": owner_id,
            "dimensions": tuple(dict.fromkeys(dimensions)),
        }
        return self._team_event(organisation, team, ev.CaseConsultationHeld, meta, payload)

    def start_experiment(
        self,
        organisation: str,
        team: str,
        experiment_id: str,
        *,
        review_by: date,
        owners: Sequence[str] = (),
        hypothesis: str = "",
        success_criteria: str = "",
        **meta: Unpack[EventMeta],
    ) -> Recorded:
        """Record that ``team`` started an experiment to be reviewed by ``review_by`` (U)."""
        experiment_id = _key(experiment_id, "experiment id")
        owner_ids = self._person_ids(organisation, owners)

        def check(aggregate: Team, _: Envelope) -> dict[str, Any]:
            if experiment_id in aggregate.experiments_started:
                raise _AlreadyRecorded
            return {
                "experiment_id": experiment_id,
                "owners": owner_ids,
                "hypothesis": hypothesis,
                "success_criteria": success_criteria,
                "review_by": review_by,
            }

        return self._team_event(organisation, team, ev.ExperimentStarted, meta, check)

    def evaluate_experiment(
        self,
        organisation: str,
        team: str,
        experiment_id: str,
        *,
        result: ev.ExperimentResult,
        learning: str = "",
        loop: ev.Loop = "single",
        **meta: Unpack[EventMeta],
    ) -> Recorded:
        """Record the evaluation of a started experiment: adopt, adapt or abandon."""

        def check(aggregate: Team, _: Envelope) -> dict[str, Any]:
            if experiment_id not in aggregate.experiments_started:
                msg = (
                    f"experiment {experiment_id!r} was never started in team {team!r}; "
                    "record start_experiment() first"
                )
                raise UnknownExperimentError(msg)
            if experiment_id in aggregate.experiments_evaluated:
                raise _AlreadyRecorded
            return {
                "experiment_id": experiment_id,
                "result": result,
                "learning": learning,
                "loop": loop,
            }

        return self._team_event(organisation, team, ev.ExperimentEvaluated, meta, check)

    def capture_lesson(
        self,
        organisation: str,
        team: str,
        lesson_id: str,
        *,
        scope: ev.LessonScope = "team",
        topics: Sequence[str] = (),
        authors: Sequence[str] = (),
        **meta: Unpack[EventMeta],
    ) -> Recorded:
        """Record a lesson the team made explicit, built on the events in ``refs``."""
        payload = {
            "lesson_id": _key(lesson_id, "lesson id"),
            "scope": scope,
            "topics": tuple(topics),
            "authors": self._person_ids(organisation, authors),
        }
        return self._team_event(organisation, team, ev.LessonCaptured, meta, payload)

    # ------------------------------------------------------------------ person commands

    def register_person(
        self,
        organisation: str,
        key: str,
        *,
        name: str | None = None,
        email: str | None = None,
        **meta: Unpack[EventMeta],
    ) -> Recorded:
        """Register a person under their external key; registering again changes nothing."""
        org = self._require_organisation(organisation)
        key = _key(key, "person key")
        # A blank email is no email: stored as absent, so it reads (and exports) as such.
        email = (email or "").strip().lower() or None
        payload = {"key": key, "name": name, "email": email}
        return self._record(
            Person,
            org.key,
            self.person_id(org.key, key),
            ev.PersonRegistered,
            meta,
            payload,
            create=True,
        )

    def link_identifier(
        self, organisation: str, person: str, identifier: str, **meta: Unpack[EventMeta]
    ) -> Recorded:
        """Link another identifier (``mailto:...``, an LMS account, ...) to the person."""
        identifier = _key(identifier, "identifier")
        owner = self.person_by_identifier(organisation, identifier)
        person_id = self.person_id(organisation, _key(person, "person key"))
        if owner is not None and owner != person_id:
            msg = (
                f"identifier {identifier!r} is already linked to another person in "
                f"organisation {organisation!r}; an identifier belongs to one person"
            )
            raise InvalidValueError(msg)

        def check(aggregate: Person, _: Envelope) -> dict[str, Any]:
            if identifier in aggregate.identifiers:
                raise _AlreadyRecorded
            return {"identifier": identifier}

        return self._person_event(organisation, person, ev.IdentifierLinked, meta, check)

    def record_experience(
        self,
        organisation: str,
        person: str,
        *,
        kind: ev.ExperienceKind,
        uncertainty: int,
        note: str | None = None,
        **meta: Unpack[EventMeta],
    ) -> Recorded:
        """Record a work experience worth learning from (Kolb: concrete experience)."""
        payload = {"kind": kind, "uncertainty": uncertainty, "note": note}
        return self._person_event(organisation, person, ev.ExperienceRecorded, meta, payload)

    def log_reflection(
        self,
        organisation: str,
        person: str,
        *,
        minutes: int,
        form: ev.ReflectionForm = "self",
        dimensions: Sequence[ev.Dimension] = (),
        loop: ev.Loop = "single",
        note: str | None = None,
        **meta: Unpack[EventMeta],
    ) -> Recorded:
        """Record time spent reflecting (counts toward SKJ reflection hours)."""
        payload = {
            "minutes": minutes,
            "form": form,
            "dimensions": tuple(dict.fromkeys(dimensions)),
            "loop": loop,
            "note": note,
        }
        return self._person_event(organisation, person, ev.ReflectionLogged, meta, payload)

    def complete_learning_activity(
        self,
        organisation: str,
        person: str,
        *,
        mode: ev.LearningMode,
        kind: str = "course",
        title: str | None = None,
        hours: float = 0.0,
        points: float = 0.0,
        accreditation_ref: str | None = None,
        practice_id: str | None = None,
        statement: dict[str, Any] | None = None,
        **meta: Unpack[EventMeta],
    ) -> Recorded:
        """Record a completed formal or informal learning activity (accreditation points)."""
        payload = {
            "mode": mode,
            "kind": kind,
            "title": title,
            "hours": hours,
            "points": points,
            "accreditation_ref": accreditation_ref,
            "practice_id": practice_id,
            "statement": statement,
        }
        return self._person_event(organisation, person, ev.LearningActivityCompleted, meta, payload)

    def set_development_goal(
        self,
        organisation: str,
        person: str,
        goal_id: str,
        *,
        review_by: date | None = None,
        description: str | None = None,
        **meta: Unpack[EventMeta],
    ) -> Recorded:
        """Record a personal development goal (Senge: personal mastery)."""
        org = self._require_organisation(organisation)
        self._check_values(org, meta.get("values", ()))
        goal_id = _key(goal_id, "goal id")

        def check(aggregate: Person, _: Envelope) -> dict[str, Any]:
            if goal_id in aggregate.goals:
                raise _AlreadyRecorded
            return {"goal_id": goal_id, "review_by": review_by, "description": description}

        return self._person_event(organisation, person, ev.DevelopmentGoalSet, meta, check)

    def review_development_goal(
        self,
        organisation: str,
        person: str,
        goal_id: str,
        *,
        progress: float,
        status: ev.GoalStatus = "active",
        note: str | None = None,
        **meta: Unpack[EventMeta],
    ) -> Recorded:
        """Record a review of a development goal: progress 0-1 and status."""

        def check(aggregate: Person, _: Envelope) -> dict[str, Any]:
            if goal_id not in aggregate.goals:
                msg = (
                    f"development goal {goal_id!r} was never set for person {person!r}; "
                    "record set_development_goal() first"
                )
                raise InvalidValueError(msg)
            return {"goal_id": goal_id, "progress": progress, "status": status, "note": note}

        return self._person_event(organisation, person, ev.DevelopmentGoalReviewed, meta, check)

    def revise_assumption(
        self,
        organisation: str,
        person: str,
        *,
        before: str | None = None,
        after: str | None = None,
        **meta: Unpack[EventMeta],
    ) -> Recorded:
        """Record that a working assumption was revised, triggered by the events in ``refs``."""
        payload = {"before": before, "after": after}
        return self._person_event(organisation, person, ev.AssumptionRevised, meta, payload)

    def share_knowledge(
        self,
        organisation: str,
        person: str,
        *,
        to_persons: Sequence[str] = (),
        to_teams: Sequence[str] = (),
        organisation_wide: bool = False,
        mode: ev.ShareMode = "example",
        topic: str = "",
        **meta: Unpack[EventMeta],
    ) -> Recorded:
        """Record that ``person`` shared knowledge with persons, teams or everyone (S)."""
        payload = {
            "to_persons": self._person_ids(organisation, to_persons),
            "to_teams": self._team_ids(organisation, to_teams),
            "organisation_wide": organisation_wide,
            "mode": mode,
            "topic": topic,
        }
        return self._person_event(organisation, person, ev.KnowledgeShared, meta, payload)

    def seek_advice(
        self,
        organisation: str,
        person: str,
        *,
        from_person: str | None = None,
        external_source: str | None = None,
        topic: str = "",
        helpfulness: int | None = None,
        **meta: Unpack[EventMeta],
    ) -> Recorded:
        """Record that ``person`` sought advice from a colleague or an external source (S)."""
        adviser = self._person_ids(organisation, [from_person])[0] if from_person else None
        payload = {
            "from_person": adviser,
            "external_source": external_source,
            "topic": topic,
            "helpfulness": helpfulness,
        }
        return self._person_event(organisation, person, ev.AdviceSought, meta, payload)

    def acquire_external_knowledge(
        self,
        organisation: str,
        person: str,
        *,
        source: ev.KnowledgeSource,
        origin: str = "",
        **meta: Unpack[EventMeta],
    ) -> Recorded:
        """Record knowledge brought in from outside: research, practice, client experience."""
        payload = {"source": source, "origin": origin}
        return self._person_event(organisation, person, ev.ExternalKnowledgeAcquired, meta, payload)

    def change_registration(
        self,
        organisation: str,
        person: str,
        *,
        register_name: str,
        period_start: date,
        period_end: date,
        number: str | None = None,
        status: ev.RegistrationStatus = "registered",
        **meta: Unpack[EventMeta],
    ) -> Recorded:
        """Record a registration (e.g. SKJ) and its period for the person."""
        payload = {
            "register_name": register_name,
            "number": number,
            "period_start": period_start,
            "period_end": period_end,
            "status": status,
        }
        return self._person_event(organisation, person, ev.RegistrationChanged, meta, payload)

    def attest_work_hours(
        self,
        organisation: str,
        person: str,
        *,
        period_start: date,
        period_end: date,
        hours: float,
        client_contact_hours: float = 0.0,
        **meta: Unpack[EventMeta],
    ) -> Recorded:
        """Record hours worked in a period (register work-experience requirement)."""
        payload = {
            "period_start": period_start,
            "period_end": period_end,
            "hours": hours,
            "client_contact_hours": client_contact_hours,
        }
        return self._person_event(organisation, person, ev.WorkHoursAttested, meta, payload)

    # ------------------------------------------------------------------ corrections

    def find_event(self, organisation: str, event_id: UUID) -> HistoryEntry:
        """The stored event with ``event_id`` in ``organisation`` (a scan of the history)."""
        self._require_organisation(organisation)
        for entry in self.events(organisation=organisation):
            if entry.event.event_id == event_id:
                return entry
        msg = f"no event {event_id} exists in organisation {organisation!r}; check the id"
        raise UnknownEventError(msg)

    def retract(
        self, organisation: str, event_id: UUID, reason: str = "", **meta: Unpack[EventMeta]
    ) -> Recorded:
        """Retract an earlier event: it stays stored, and no longer counts anywhere.

        The retraction is recorded in the stream of the retracted event. Retracting twice is a
        no-op; a retraction itself cannot be retracted (record the fact again instead).
        """
        target = self.find_event(organisation, event_id).event
        if isinstance(target, ev.EventRetracted):
            msg = (
                f"event {event_id} is itself a retraction and cannot be retracted; "
                "record the original fact again instead"
            )
            raise InvalidValueError(msg)
        cls = AGGREGATE_CLASSES[self._kind_of(organisation, target)]

        def check(aggregate: Aggregate, _: Envelope) -> dict[str, Any]:
            if event_id in aggregate.retracted:
                raise _AlreadyRecorded
            return {"retracted_event_id": event_id, "reason": reason}

        return self._record(cls, organisation, target.originator_id, ev.EventRetracted, meta, check)

    def _kind_of(self, organisation: str, event: ev.LearningEvent) -> ev.StreamKind:
        if event.originator_id == self.organisation_id(organisation):
            return "organisation"
        streams = type(event).STREAMS
        if len(streams) == 1:
            return next(iter(streams))
        first = self._read_stream(event.originator_id)[0]
        return "team" if isinstance(first, ev.TeamRegistered) else "person"

    # ------------------------------------------------------------------ erasure (privacy)
    # Owned by the privacy work (docs/privacy.md, docs/decisions/0801-*); keep this block together.

    def erase_person(
        self, organisation: str, person: str, *, reason: str = "", **meta: Unpack[EventMeta]
    ) -> Recorded:
        """Erase a person: destroy their data key and record ``PersonErased`` (GDPR art. 17).

        Afterwards the personal fields of their stream (name, email, external key,
        identifiers, notes and other free text) read as ``"[erased]"`` for ever, copies of
        imported statements that name them are dropped, and nothing new can be recorded for
        them. Their pseudonymous stream id stays, so every count they are part of (a team's
        intervision with six participants, capacity, compliance, the knowledge-flow graph)
        stays as it was. Erasing again records nothing (``recorded`` is False) and destroys
        whatever is left. Events that an older release stored with personal fields in clear have
        those fields overwritten in place (see docs/privacy.md).
        """
        self._require_organisation(organisation)
        aggregate = self._require_person(organisation, person)
        stream_id = aggregate.id

        def check(current: Person, _: Envelope) -> dict[str, Any]:
            if current.erased:
                raise _AlreadyRecorded
            return {"reason": reason}

        if aggregate.erased:
            outcome = Recorded(stream_id, None, None, recorded=False)
        else:
            outcome = self._record(Person, organisation, stream_id, ev.PersonErased, meta, check)
        # The event first, then the key: an erasure cut short is finished by erasing again.
        self.person_keys.destroy(stream_id)
        for hook in erasure_hooks().values():
            hook(self.database, organisation, stream_id)
        self._erase_clear_fields(stream_id)
        self.database.scrub([self.database.table("learningorg_person_keys")])
        with self._lock:
            self._evict(stream_id)
            for name, owner in list(self._identifier_index.items()):
                if owner == stream_id:
                    del self._identifier_index[name]
        return outcome

    def is_erased(self, organisation: str, person: str) -> bool:
        """Whether the person was erased (their data key destroyed)."""
        return self.person_keys.destroyed(self.person_id(organisation, _key(person, "person key")))

    def _erase_clear_fields(self, stream_id: UUID) -> int:
        """Overwrite personal fields that older releases stored in clear; returns how many events.

        Destroying the key cannot reach them, so they are erased in place: each event keeps
        everything else and reads as a sealed one does after erasure (persistence.rewrite).
        """
        updates = []
        for stored in self._app.recorder.select_events(stream_id):
            state = clear_personal_fields(self.mapper, stored)
            if state is not None:
                updates.append((stream_id, stored.originator_version, state))
        return rewrite_states(self._app.recorder, updates)

    # ------------------------------------------------------------------ (end of erasure)


__all__ = ["EncodedEvent", "EventMeta", "HistoryEntry", "Recorded", "Records"]
