"""One organisation's view of a store: ``OrganisationScope`` (the public facade's layer).

A store may hold several organisations (DESIGN.md section 7). ``records.scoped("jeugdzorg-noord")``
gives an object with the same commands and queries as ``LearningRecords`` minus the
``organisation`` argument, which it fills in itself, so code holding a scope cannot read, count,
graph or export another organisation's events, nor record into one:

* every method whose first parameter is the organisation gets the scope's;
* ``events`` and ``import_statements`` get it as their ``organisation`` keyword;
* ids are checked: an event id or stream id of another organisation (in ``find_event``,
  ``retract``, ``stream_events`` or the ``refs`` / ``derived_from`` of a command) raises
  ``OrganisationScopeError``;
* what reads every organisation at once (``notifications``, ``recorder``, ``save_events``,
  the raw database) is not offered and raises ``OrganisationScopeError`` too.

>>> from learningorg import LearningRecords
>>> records = LearningRecords("memory://")
>>> north = records.scoped("noord")
>>> _ = north.register_organisation("Jeugdzorg Noord")
>>> _ = north.register_person("E1", name="Sanne")
>>> north.person("E1").name
'Sanne'
>>> records.close()
"""

from __future__ import annotations

import functools
import inspect
import threading
from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import TYPE_CHECKING, Any
from uuid import UUID

from learningorg.domain.errors import (
    EmptyKeyError,
    OrganisationScopeError,
    UnknownEventError,
)

if TYPE_CHECKING:
    from learningorg.application import HistoryEntry, Recorded
    from learningorg.domain.events import LearningEvent
    from learningorg.records import LearningRecords

#: Attributes that read or write every organisation of the store: not offered by a scope.
UNSCOPED = frozenset(
    {"notifications", "recorder", "mapper", "database", "save_events", "secret", "person_keys"}
)
#: Attributes that say nothing of any organisation's records.
_NEUTRAL = frozenset({"now", "close", "config", "recorded_by"})
#: Keyword arguments of commands that hold ids of earlier events.
_ID_ARGUMENTS = ("refs", "derived_from")


def _organisation_first(cls: type) -> frozenset[str]:
    names = set()
    for name, function in inspect.getmembers(cls, inspect.isfunction):
        if name.startswith("_"):
            continue
        parameters = list(inspect.signature(function).parameters.values())[1:]
        if parameters and parameters[0].name == "organisation":
            names.add(name)
    return frozenset(names)


class OrganisationScope:
    """The commands and queries of ``LearningRecords`` for one organisation only.

    Create it with ``LearningRecords.scoped(organisation)``. Methods take the same arguments as
    on ``LearningRecords`` without the organisation (``scope.capacity("team", "T1")``).
    """

    def __init__(self, records: LearningRecords, organisation: str) -> None:
        if not isinstance(organisation, str) or not organisation.strip():
            msg = f"organisation key {organisation!r} is empty; give the key of one organisation"
            raise EmptyKeyError(msg)
        self.records = records
        self.organisation_key = organisation.strip()
        self._first = _organisation_first(type(records))
        self._owners: dict[UUID, str] = {}
        self._seen = 0
        self._lock = threading.Lock()

    def __repr__(self) -> str:
        return f"OrganisationScope({self.organisation_key!r})"

    # ------------------------------------------------------------------ forwarding

    def __getattr__(self, name: str) -> Any:
        if name in UNSCOPED:
            msg = (
                f"{name} reads or writes every organisation of the store and is not offered "
                f"through the scope of {self.organisation_key!r}; use the LearningRecords itself"
            )
            raise OrganisationScopeError(msg)
        if name in _NEUTRAL:
            return getattr(self.records, name)
        if name in self._first:
            method = getattr(self.records, name)
            return functools.wraps(method)(self._checked(method))
        msg = f"{type(self).__name__} has no attribute {name!r}"
        raise AttributeError(msg)

    def _checked(self, method: Callable[..., Any]) -> Callable[..., Any]:
        def call(*args: Any, **kwargs: Any) -> Any:
            for argument in _ID_ARGUMENTS:
                if argument in kwargs:
                    self.check_event_ids(kwargs[argument])
            return method(self.organisation_key, *args, **kwargs)

        return call

    def __dir__(self) -> list[str]:
        return sorted(set(super().__dir__()) | self._first | _NEUTRAL)

    # ------------------------------------------------------------------ ids

    def _owner(self, event_ids: Iterable[UUID]) -> dict[UUID, str]:
        """The organisation of each of ``event_ids`` that is stored (read incrementally)."""
        wanted = set(event_ids)
        with self._lock:
            if not wanted <= self._owners.keys():
                for entry in self.records.events(since=self._seen):
                    self._owners[entry.event.event_id] = entry.event.organisation
                    self._seen = entry.position
            return {i: self._owners[i] for i in wanted if i in self._owners}

    def check_event_ids(self, event_ids: Iterable[UUID] | UUID | None) -> None:
        """Raise ``OrganisationScopeError`` when one of ``event_ids`` is another organisation's."""
        if event_ids is None:
            return
        ids = [event_ids] if isinstance(event_ids, UUID) else list(event_ids)
        foreign = sorted(
            str(i) for i, owner in self._owner(ids).items() if owner != self.organisation_key
        )
        if foreign:
            msg = (
                f"event id(s) {', '.join(foreign)} belong to another organisation than "
                f"{self.organisation_key!r}; ids of one organisation cannot be used through "
                "another's scope"
            )
            raise OrganisationScopeError(msg)

    # ------------------------------------------------------------------ methods taking ids

    def register_organisation(self, name: str | None = None, **meta: Any) -> Recorded:
        """Register the scope's organisation (see ``LearningRecords.register_organisation``)."""
        self.check_event_ids(meta.get("refs"))
        return self.records.register_organisation(self.organisation_key, name, **meta)

    def organisations(self) -> list[str]:
        """The scope's organisation if it is registered (a scope sees no other)."""
        return [o for o in self.records.organisations() if o == self.organisation_key]

    def find_event(self, event_id: UUID) -> HistoryEntry:
        """The stored event with ``event_id`` of this organisation."""
        try:
            return self.records.find_event(self.organisation_key, event_id)
        except UnknownEventError:
            self.check_event_ids([event_id])
            raise

    def retract(self, event_id: UUID, reason: str = "", **meta: Any) -> Recorded:
        """Retract an earlier event of this organisation."""
        self.check_event_ids([event_id])
        self.check_event_ids(meta.get("refs"))
        return self.records.retract(self.organisation_key, event_id, reason, **meta)

    def stream_events(self, stream_id: UUID) -> list[LearningEvent]:
        """Every event of the stream ``stream_id``, which must be this organisation's."""
        events = self.records.stream_events(stream_id)
        if events and events[0].organisation != self.organisation_key:
            msg = (
                f"stream {stream_id} belongs to another organisation than "
                f"{self.organisation_key!r}; ids of one organisation cannot be used through "
                "another's scope"
            )
            raise OrganisationScopeError(msg)
        return events

    def events(
        self, since: int | None = None, until: int | None = None, *, topics: Sequence[str] = ()
    ) -> Iterator[HistoryEntry]:
        """This organisation's part of the ordered history (see ``LearningRecords.events``)."""
        return self.records.events(since, until, organisation=self.organisation_key, topics=topics)

    def import_statements(self, source: Any, **options: Any) -> Any:
        """Import xAPI statements into this organisation (see ``LearningRecords``)."""
        if options.setdefault("organisation", self.organisation_key) != self.organisation_key:
            msg = (
                f"cannot import into organisation {options['organisation']!r} through the scope "
                f"of {self.organisation_key!r}"
            )
            raise OrganisationScopeError(msg)
        return self.records.import_statements(source, **options)

    def max_position(self) -> int:
        """The position of this organisation's newest event (0 when it has none)."""
        last = 0
        for entry in self.records.events(organisation=self.organisation_key):
            last = entry.position
        return last


__all__ = ["UNSCOPED", "OrganisationScope"]
