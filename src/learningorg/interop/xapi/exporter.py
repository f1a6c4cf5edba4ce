"""Export a store's history as xAPI statements, NDJSON or a JSON array (interop layer).

:func:`export_statements` yields one statement per event of an organisation (optionally one
person's stream, optionally a range of ``occurred_at``), in the store's total order:

* an event recorded from an imported statement comes out as that statement, with its original
  id and content (from the statement log, or from the event that keeps it);
* any other event is written in the learningorg profile (``mapping.build_statement``), with the
  event id as statement id; its context carries ``profile.EXPORTED_FROM``, a keyed fingerprint
  of the store and organisation, so importing the export back into the same place stores
  nothing twice.

Persons are pseudonymised by default: every Agent becomes an account on
``profile.PSEUDONYM_HOME`` named by the person's stream id (or, for someone who is not a person of
the store, a keyed hash of their identifier), names and personal fields are left out, and
``IdentifierLinked`` events are not exported. ``names=True`` gives the identifiers and names;
erased persons stay pseudonymised.
"""

from __future__ import annotations

import io
import os
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from functools import lru_cache
from pathlib import Path
from typing import IO, Any, Final
from uuid import UUID

import orjson

from learningorg.application import Records
from learningorg.domain import events as ev
from learningorg.domain.errors import InvalidValueError, NaiveDatetimeError
from learningorg.domain.ids import derive_id
from learningorg.interop.xapi import profile as pf
from learningorg.interop.xapi.importer import (
    statement_event_id,
    statement_log,
    store_fingerprint,
)
from learningorg.interop.xapi.mapping import (
    agent_for_identifier,
    agent_identifier,
    build_statement,
    iter_agents,
)
from learningorg.interop.xapi.validator import SUPPORTED_VERSIONS, validate

_PAGE: Final = 500
_PERSONAL_EXTENSIONS: Final = frozenset(
    pf.extension(name) for names in ev.PERSONAL_FIELDS.values() for name in names
)


@dataclass(slots=True)
class _PersonInfo:
    key: str | None
    name: str | None = None
    email: str | None = None
    identifiers: list[str] = field(default_factory=list)
    erased: bool = False


@lru_cache(maxsize=4096)
def _valid_ifi(name: str, value: str | tuple[str, str]) -> bool:
    """Whether an Agent with this one identifier passes the validator (mbox form, IRIs, ...)."""
    agent: dict[str, Any] = {"objectType": "Agent"}
    agent[name] = {"homePage": value[0], "name": value[1]} if isinstance(value, tuple) else value
    probe = {"actor": agent, "verb": {"id": pf.VOIDED}, "object": {"id": pf.BASE}}
    return not any(p.path.startswith("/actor") for p in validate(probe))


def _agent_if_valid(agent: dict[str, Any] | None) -> dict[str, Any] | None:
    if agent is None:
        return None
    for name in ("mbox", "mbox_sha1sum", "openid", "account"):
        if name in agent:
            value = agent[name]
            key = (value["homePage"], value["name"]) if name == "account" else value
            return agent if _valid_ifi(name, key) else None
    return None


class _Context:
    """Names persons, teams and earlier events for ``build_statement`` (one export)."""

    def __init__(self, records: Records, organisation: str, *, names: bool) -> None:
        self.records = records
        self.organisation = organisation
        self._names = names
        self.org_id = records.organisation_id(organisation)
        self.persons: dict[UUID, _PersonInfo] = {}
        self.teams: dict[UUID, str] = {}
        self.statement_ids: dict[UUID, str] = {}
        # Erasure looks ahead: an erased person is pseudonymised in every statement.
        topics = [ev.PersonErased.TOPIC]
        self.erased = {
            entry.event.originator_id
            for entry in records.events(organisation=organisation, topics=topics)
        }

    def observe(self, event: ev.LearningEvent, *, rendered: bool) -> None:
        """Follow identities along the history, so each statement names persons as then known.

        A registration counts for its own statement; a linked identifier only after it.
        """
        if isinstance(event, ev.PersonRegistered) and not rendered:
            info = _PersonInfo(event.key, event.name, event.email)
            info.erased = event.originator_id in self.erased
            self.persons[event.originator_id] = info
        elif isinstance(event, ev.TeamRegistered) and not rendered:
            self.teams[event.originator_id] = event.key
        elif isinstance(event, ev.IdentifierLinked) and rendered:
            known = self.persons.get(event.originator_id)
            if known is not None:
                known.identifiers.append(event.identifier)

    @property
    def names(self) -> bool:
        return self._names

    def statement_id(self, event_id: UUID) -> str:
        return self.statement_ids.get(event_id) or str(event_id)

    def pseudonym(self, person_id: UUID) -> dict[str, Any]:
        account = {"homePage": pf.PSEUDONYM_HOME, "name": str(person_id)}
        return {"objectType": "Agent", "account": account}

    def person_agent(self, person_id: UUID) -> dict[str, Any]:
        info = self.persons.get(person_id)
        if not self._names or info is None or info.erased or info.key is None:
            # Not (yet) known by name, or erased: by stream id.
            return self.pseudonym(person_id)
        agent: dict[str, Any] = {"objectType": "Agent"}
        if info.name:
            agent["name"] = info.name
        if info.email and _valid_ifi("mbox", f"mailto:{info.email}"):
            agent["mbox"] = f"mailto:{info.email}"
            return agent
        for identifier in info.identifiers:
            named = _agent_if_valid(agent_for_identifier(identifier))
            if named is not None:
                named.pop("objectType")
                agent.update(named)
                return agent
        agent["account"] = {"homePage": pf.PERSON_HOME, "name": info.key}
        return agent

    def team_group(self, team_id: UUID) -> dict[str, Any]:
        key = self.teams.get(team_id, str(team_id))
        named = _agent_if_valid(agent_for_identifier(key))
        if named is not None:
            named["objectType"] = "Group"
            return named
        return {"objectType": "Group", "account": {"homePage": pf.TEAM_HOME, "name": key}}

    def organisation_group(self) -> dict[str, Any]:
        account = {"homePage": pf.ORGANISATION_HOME, "name": self.organisation}
        return {"objectType": "Group", "account": account}

    def stream_kind(self, event: ev.LearningEvent) -> ev.StreamKind:
        if event.originator_id == self.org_id:
            return "organisation"
        streams = type(event).STREAMS
        if len(streams) == 1:
            return next(iter(streams))
        return "team" if event.originator_id in self.teams else "person"

    def person_of(self, agent: dict[str, Any]) -> UUID:
        """The stream id of the person an Agent names, else a keyed hash of its identifier."""
        identifier = agent_identifier(agent) or ""
        account = agent.get("account")
        if isinstance(account, dict):
            if account.get("homePage") == pf.PSEUDONYM_HOME:
                try:
                    return UUID(str(account.get("name")))
                except ValueError:
                    pass
            if account.get("homePage") == pf.PERSON_HOME:
                return self.records.person_id(self.organisation, str(account.get("name")))
        found = self.records.person_by_identifier(self.organisation, identifier)
        if found is not None:
            return found
        return derive_id(self.records.secret, self.organisation, "identifier", identifier)

    def pseudonymise(self, statement: dict[str, Any]) -> dict[str, Any]:
        """A copy of ``statement`` with every Agent pseudonymised and personal fields left out."""
        copy: dict[str, Any] = orjson.loads(orjson.dumps(statement))
        for agent in list(iter_agents(copy)):
            person_id = self.person_of(agent)
            agent.clear()
            agent.update(self.pseudonym(person_id))
        for holder in (copy, copy.get("object")):
            context = holder.get("context") if isinstance(holder, dict) else None
            extensions = context.get("extensions") if isinstance(context, dict) else None
            if isinstance(extensions, dict):
                for iri in _PERSONAL_EXTENSIONS & extensions.keys():
                    del extensions[iri]
        return copy


def _aware(value: datetime | None, name: str) -> datetime | None:
    if value is None:
        return None
    if not isinstance(value, datetime):
        msg = f"{name} {value!r} is not a datetime; pass a timezone-aware datetime"
        raise InvalidValueError(msg)
    if value.tzinfo is None or value.utcoffset() is None:
        msg = f"{name} {value.isoformat()} has no time zone; pass a timezone-aware datetime"
        raise NaiveDatetimeError(msg)
    return value


def export_statements(
    records: Records,
    organisation: str,
    *,
    person: str | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
    version: str = "1.0.3",
    names: bool = False,
    originals: bool = True,
) -> Iterator[dict[str, Any]]:
    """The organisation's history as xAPI statements, in the store's total order.

    Parameters
    ----------
    organisation:
        The organisation's key.
    person:
        A person key: only the events of that person's stream.
    since, until:
        Only events that occurred in ``[since, until]`` (timezone-aware; both inclusive).
    version:
        ``"1.0.3"`` or ``"2.0.0"``: the ``version`` of the statements built from events.
        Imported statements keep their own.
    names:
        False (the default) pseudonymises persons; True names them by their identifiers.
    originals:
        True (the default) gives an imported statement as it was received; False builds every
        statement from its events (a check of the mapping; a Group statement then comes out as
        its first member's).

    Every statement yielded passes ``learningorg.xapi.validate``.
    """
    if version not in SUPPORTED_VERSIONS:
        msg = (
            f"xAPI version {version!r} is not supported; use one of {', '.join(SUPPORTED_VERSIONS)}"
        )
        raise InvalidValueError(msg)
    since = _aware(since, "since")
    until = _aware(until, "until")
    records.organisation(organisation)  # raises UnknownOrganisationError
    person_id = None
    if person is not None:
        records.person(organisation, person)  # raises UnknownPersonError
        person_id = records.person_id(organisation, person)
    return _export(records, organisation, person_id, since, until, version, names, originals)


def _export(
    records: Records,
    organisation: str,
    person_id: UUID | None,
    since: datetime | None,
    until: datetime | None,
    version: str,
    names: bool,
    originals: bool,
) -> Iterator[dict[str, Any]]:
    context = _Context(records, organisation, names=names)
    fingerprint = store_fingerprint(records, organisation)
    page: list[tuple[ev.LearningEvent, bool]] = []
    for entry in records.events(organisation=organisation):
        event = entry.event
        if (
            (person_id is not None and event.originator_id != person_id)
            or (since is not None and event.occurred_at < since)
            or (until is not None and event.occurred_at > until)
        ):
            page.append((event, False))
        else:
            page.append((event, True))
        if len(page) >= _PAGE:
            yield from _statements(context, page, fingerprint, version, originals)
            page = []
    yield from _statements(context, page, fingerprint, version, originals)


def _statements(
    context: _Context,
    page: Sequence[tuple[ev.LearningEvent, bool]],
    fingerprint: str,
    version: str,
    originals: bool,
) -> Iterator[dict[str, Any]]:
    """The statements of one page of events (those marked False only update the identities)."""
    records, organisation = context.records, context.organisation
    log = statement_log(records)
    chosen = [event for event, wanted in page if wanted]
    sources = sorted({str(e.source_statement_id) for e in chosen if e.source_statement_id})
    received = log.originals(organisation, sources) if originals and sources else {}
    linked: set[UUID] = set()
    for event in chosen:
        linked.update(event.refs)
        linked.update(getattr(event, "derived_from", ()))
        if isinstance(event, ev.EventRetracted):
            linked.add(event.retracted_event_id)
    ids = sorted(linked, key=str)
    context.statement_ids = log.statement_ids(organisation, ids) if ids else {}
    for event, wanted in page:
        context.observe(event, rendered=False)
        if wanted:
            statement = _statement(context, event, received, fingerprint, version)
            if statement is not None:
                yield statement
        context.observe(event, rendered=True)


def _statement(
    context: _Context,
    event: ev.LearningEvent,
    received: dict[str, str],
    fingerprint: str,
    version: str,
) -> dict[str, Any] | None:
    source = event.source_statement_id
    if source is None:
        if isinstance(event, ev.IdentifierLinked) and not context.names:
            return None
        statement = build_statement(event, context, version=version)
        extensions = statement.setdefault("context", {}).setdefault("extensions", {})
        extensions[pf.EXPORTED_FROM] = fingerprint
        return statement
    sid = str(source)
    if event.event_id != statement_event_id(context.records, context.organisation, sid):
        return None  # a first-sight registration, a Group member's copy or a late retraction
    kept: dict[str, Any] | None = None
    if sid in received:
        kept = orjson.loads(received[sid])
    elif (
        isinstance(event, ev.LearningActivityCompleted)
        and event.kind == pf.GENERIC_KIND
        and event.statement is not None
    ):
        kept = event.statement  # a statement kept whole: it has no other form
    if kept is not None:
        return kept if context.names else context.pseudonymise(kept)
    context.statement_ids[event.event_id] = sid
    return build_statement(event, context, version=version)


# ------------------------------------------------------------------ writers


def _open(target: str | os.PathLike[str] | IO[bytes] | IO[str]) -> tuple[Any, bool, bool]:
    """(file, is_binary, close_after) for a path or an open file."""
    if isinstance(target, str | os.PathLike):
        return Path(target).open("wb"), True, True
    return target, not isinstance(target, io.TextIOBase), False


def write_ndjson(
    statements: Iterable[dict[str, Any]], target: str | os.PathLike[str] | IO[bytes] | IO[str]
) -> int:
    """Write statements as NDJSON (one a line) to a path or an open file; returns how many."""
    handle, binary, close = _open(target)
    count = 0
    try:
        for statement in statements:
            line = orjson.dumps(statement) + b"\n"
            handle.write(line if binary else line.decode())
            count += 1
    finally:
        if close:
            handle.close()
    return count


def write_json_array(
    statements: Iterable[dict[str, Any]], target: str | os.PathLike[str] | IO[bytes] | IO[str]
) -> int:
    """Write statements as one JSON array to a path or an open file, streamed; returns how many."""
    handle, binary, close = _open(target)

    def put(data: bytes) -> None:
        handle.write(data if binary else data.decode())

    count = 0
    try:
        put(b"[")
        for statement in statements:
            put((b",\n" if count else b"\n") + orjson.dumps(statement))
            count += 1
        put(b"\n]\n" if count else b"]\n")
    finally:
        if close:
            handle.close()
    return count


__all__ = ["export_statements", "write_json_array", "write_ndjson"]
