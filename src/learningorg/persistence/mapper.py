"""Maps learningorg events to eventsourcing's stored events and back (persistence layer).

Stored state is the event's JSON (pydantic ``model_dump(mode="json")`` encoded with orjson) without
``originator_id`` and ``originator_version`` (they are columns), plus ``class_version``. Reading
upcasts state stored by an older ``class_version`` before validating it, since a custom mapper
bypasses eventsourcing's own upcasting.

With a key store (``person_keys``), the personal fields of person-stream events are sealed with the
person's own data key before anything else (``learningorg.persistence.crypto``); the optional
cipher of the whole payload (encryption at rest) and compression come after, as in eventsourcing.
State stored before sealing existed has its personal fields in clear and reads as it always did.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, cast
from uuid import UUID

import orjson
from cryptography.exceptions import InvalidTag
from eventsourcing.domain import DomainEventProtocol
from eventsourcing.persistence import Mapper, MapperDeserialisationError, StoredEvent

from learningorg.domain.errors import StoreError
from learningorg.domain.events import LearningEvent, event_class
from learningorg.persistence.crypto import SEALED, seal, unseal
from learningorg.persistence.keys import PersonKeys

_EXCLUDE = {"originator_id", "originator_version"}


def encode_state(event: LearningEvent, keys: PersonKeys | None = None) -> bytes:
    """The stored state of ``event`` (before any compression or encryption of the whole).

    With ``keys``, personal fields are sealed with the data key of the person whose stream the
    event is in.
    """
    state = event.model_dump(mode="json", exclude=_EXCLUDE)
    state["class_version"] = type(event).class_version
    return encode_dumped(state, event.TOPIC, event.originator_id, keys)


def encode_dumped(
    state: dict[str, Any], topic: str, originator_id: UUID, keys: PersonKeys | None = None
) -> bytes:
    """``encode_state`` of an event already dumped (``class_version`` included): its personal
    fields sealed with ``keys`` (``state`` changed in place), then its JSON."""
    if keys is not None:
        seal(state, topic, originator_id, keys.key_for_writing)
    return orjson.dumps(state)


#: A test of an event's stored state (its JSON as a dict, in the current class version,
#: personal fields possibly still sealed): False leaves the event out unparsed.
StateTest = Callable[[Mapping[str, Any]], bool]


def decode_state(
    topic: str,
    originator_id: UUID,
    originator_version: int,
    data: bytes,
    keys: PersonKeys | None = None,
) -> LearningEvent:
    """Rebuild an event from its topic, stream position and (plain) stored state.

    Sealed personal fields are opened with the person's key from ``keys``; without a key (the
    person was erased, or no key store is given) they read as erased.
    """
    event = _decode_state(topic, originator_id, originator_version, data, keys, None)
    assert event is not None  # only a test leaves an event out
    return event


def _decode_state(
    topic: str,
    originator_id: UUID,
    originator_version: int,
    data: bytes,
    keys: PersonKeys | None,
    keep: StateTest | None,
) -> LearningEvent | None:
    """``decode_state``, or None when ``keep`` says no to the state before it is validated.

    State in the current class version is tested before its personal fields are opened (the
    envelope is never sealed); older state once it is upcast.
    """
    cls = event_class(topic)
    state: dict[str, Any] = orjson.loads(data)
    version = int(state.pop("class_version", 1))
    current = version == cls.class_version
    if keep is not None and current and not keep(state):
        return None
    if SEALED in state:
        key = None if keys is None else keys.key_for_reading(originator_id)
        unseal(state, topic, key)
    cls.upcast(state, version)
    if keep is not None and not current and not keep(state):
        return None
    state["originator_id"] = originator_id
    state["originator_version"] = originator_version
    return cls.model_validate(state)


class StoredEventError(StoreError, MapperDeserialisationError):
    """A stored event cannot be read: damaged, or written with another cipher key."""


class PydanticMapper(Mapper[UUID]):
    """An eventsourcing ``Mapper`` for learningorg's pydantic events.

    ``person_keys`` (set by the application) seals personal fields with per-person keys.
    """

    person_keys: PersonKeys | None = None

    def to_stored_event(self, domain_event: DomainEventProtocol[UUID]) -> StoredEvent:
        """Convert an event to the row eventsourcing stores."""
        event = cast(LearningEvent, domain_event)
        data = encode_state(event, self.person_keys)
        return self.stored_row(event.originator_id, event.originator_version, event.TOPIC, data)

    def stored_row(self, originator_id: UUID, version: int, topic: str, data: bytes) -> StoredEvent:
        """The row of an event whose state is already encoded: compressed and encrypted here."""
        return StoredEvent(
            originator_id=originator_id,
            originator_version=version,
            topic=topic,
            state=self.stored_state(data),
        )

    def stored_state(self, data: bytes) -> bytes:
        """An encoded state as it is stored: compressed, then encrypted (as configured)."""
        if self.compressor:
            data = self.compressor.compress(data)
        if self.cipher:
            data = self.cipher.encrypt(data)
        return data

    def to_domain_event(self, stored_event: StoredEvent) -> DomainEventProtocol[UUID]:
        """Convert a stored row back to an event, upcasting old versions."""
        return self.to_learning_event(stored_event)

    def to_learning_event(self, stored_event: StoredEvent) -> LearningEvent:
        """Like ``to_domain_event``, typed as a ``LearningEvent``."""
        event = self.to_learning_event_if(stored_event, None)
        assert event is not None  # only a test leaves an event out
        return event

    def to_learning_event_if(
        self, stored_event: StoredEvent, keep: StateTest | None
    ) -> LearningEvent | None:
        """``to_learning_event``, or None when ``keep`` says no to the stored state: the row is
        decrypted, decompressed and its JSON read once, the event validated only if kept."""
        data = stored_event.state
        try:
            if self.cipher:
                data = self.cipher.decrypt(data)
            if self.compressor:
                data = self.compressor.decompress(data)
            originator_id = stored_event.originator_id
            if not isinstance(originator_id, UUID):
                originator_id = UUID(str(originator_id))
            return _decode_state(
                stored_event.topic,
                originator_id,
                stored_event.originator_version,
                data,
                self.person_keys,
                keep,
            )
        except Exception as error:
            hint = (
                "; the store was written with a cipher_key: open it with the same key"
                if not self.cipher and not stored_event.state.lstrip().startswith(b"{")
                else "; the cipher_key differs from the one the store was written with"
                if self.cipher and isinstance(error, ValueError | InvalidTag)
                else ""
            )
            msg = (
                f"cannot read the stored event {stored_event.topic!r} of stream "
                f"{stored_event.originator_id} version {stored_event.originator_version}: "
                f"{error}{hint}"
            )
            raise StoredEventError(msg) from error
