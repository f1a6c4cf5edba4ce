"""Statement <-> event mapping of the learningorg xAPI profile (interop layer).

Reading: :func:`plan_statement` turns one valid statement into a :class:`Plan`: the commands
(:class:`Step`) that record it, naming persons and teams by the references the statement gives
(:class:`PersonRef`, :class:`TeamRef`) and earlier statements by id (:class:`StatementLink`).
It touches no store; the importer resolves the references (creating persons and teams on first
sight) and runs the steps.

Writing: :func:`build_statement` turns one stored event into a statement of the profile, asking
an :class:`ExportContext` how to name persons, teams and earlier events.

Also here: the identifiers of Agents (:func:`agent_identifier`), the comparison form of a
statement with its body hash (:func:`body_hash`) and the deterministic id of a statement that
has none (:func:`statement_id_for`).
"""

from __future__ import annotations

import functools
import hashlib
import re
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any, Final, Literal, Protocol
from uuid import UUID, uuid5

import orjson

from learningorg.domain import events as ev
from learningorg.interop.xapi import profile as pf
from learningorg.interop.xapi.validator import Problem

# ------------------------------------------------------------------ identifiers


def agent_identifier(agent: object) -> str | None:
    """The persona identifier of an Agent or identified Group, or None when it has no IFI.

    ``mbox`` becomes ``mailto:...`` lowercased, ``account`` ``account:{homePage}|{name}``,
    ``openid`` ``openid:...`` and ``mbox_sha1sum`` ``sha1:...`` (lowercased hex): the strings
    ``Records.link_identifier`` and ``Records.person_by_identifier`` use.
    """
    if not isinstance(agent, dict):
        return None
    mbox = agent.get("mbox")
    if isinstance(mbox, str):
        return mbox.strip().lower()
    account = agent.get("account")
    if isinstance(account, dict):
        home, name = account.get("homePage"), account.get("name")
        if isinstance(home, str) and isinstance(name, str):
            return f"account:{home}|{name}"
    openid = agent.get("openid")
    if isinstance(openid, str):
        return f"openid:{openid}"
    sha1 = agent.get("mbox_sha1sum")
    if isinstance(sha1, str):
        return f"sha1:{sha1.lower()}"
    return None


def agent_for_identifier(identifier: str) -> dict[str, Any] | None:
    """The Agent an identifier of :func:`agent_identifier`'s form names, or None."""
    if identifier.startswith("mailto:"):
        return {"objectType": "Agent", "mbox": identifier}
    if identifier.startswith("account:") and "|" in identifier:
        home, _, name = identifier[len("account:") :].partition("|")
        return {"objectType": "Agent", "account": {"homePage": home, "name": name}}
    if identifier.startswith("openid:"):
        return {"objectType": "Agent", "openid": identifier[len("openid:") :]}
    if identifier.startswith("sha1:"):
        return {"objectType": "Agent", "mbox_sha1sum": identifier[len("sha1:") :]}
    return None


@dataclass(frozen=True, slots=True)
class PersonRef:
    """A person as a statement names them.

    ``identifier`` is the persona identifier (see :func:`agent_identifier`). ``key`` is set when
    the statement names the person by learningorg key (an account on ``PERSON_HOME``);
    ``pseudonym`` when it names them by stream id (an account on ``PSEUDONYM_HOME``).
    ``name`` and ``email`` are what the statement says of them, for a first registration.
    """

    identifier: str
    key: str | None = None
    pseudonym: UUID | None = None
    name: str | None = None
    email: str | None = None


@dataclass(frozen=True, slots=True)
class TeamRef:
    """A team as a statement names it: its key and, if the statement gives one, its name."""

    key: str
    name: str | None = None


@dataclass(frozen=True, slots=True)
class StatementLink:
    """A reference to another statement, by id (becomes that statement's event id)."""

    statement_id: UUID


def person_ref(agent: object) -> PersonRef | None:
    """The :class:`PersonRef` of an Agent, or None when it names nobody."""
    identifier = agent_identifier(agent)
    if identifier is None or not isinstance(agent, dict):
        return None
    name = agent.get("name")
    account = agent.get("account")
    key = pseudonym = None
    if isinstance(account, dict):
        home = account.get("homePage")
        if home == pf.PERSON_HOME:
            key = str(account.get("name"))
        elif home == pf.PSEUDONYM_HOME:
            try:
                pseudonym = UUID(str(account.get("name")))
            except ValueError:
                pseudonym = None
    email = identifier[len("mailto:") :] if identifier.startswith("mailto:") else None
    return PersonRef(
        identifier,
        key=key or None,
        pseudonym=pseudonym,
        name=name if isinstance(name, str) and name.strip() else None,
        email=email,
    )


def team_ref(group: object) -> TeamRef | None:
    """The :class:`TeamRef` of an identified Group, or None for an anonymous one.

    A Group with an account on ``TEAM_HOME`` names a team by its learningorg key; any other
    identified Group is the team whose key is the Group's identifier (``mailto:...``,
    ``account:...``), so the same Group always reaches the same team.
    """
    identifier = agent_identifier(group)
    if identifier is None or not isinstance(group, dict):
        return None
    account = group.get("account")
    key = identifier
    if isinstance(account, dict) and account.get("homePage") == pf.TEAM_HOME:
        key = str(account.get("name"))
    name = group.get("name")
    return TeamRef(key, name if isinstance(name, str) and name.strip() else None)


def actor_persons(actor: object) -> list[PersonRef]:
    """The persons an actor stands for: the Agent, or the identified members of a Group."""
    if not isinstance(actor, dict):
        return []
    if actor.get("objectType") == "Group":
        members = actor.get("member")
        refs = [person_ref(m) for m in members] if isinstance(members, list) else []
        return list(dict.fromkeys(r for r in refs if r is not None))
    ref = person_ref(actor)
    return [] if ref is None else [ref]


def context_teams(statement: Mapping[str, Any]) -> list[TeamRef]:
    """Teams the statement's context names: ``context.team`` (1.0.3), ``contextGroups`` (2.0)."""
    context = statement.get("context")
    if not isinstance(context, dict):
        return []
    found: list[TeamRef] = []
    team = team_ref(context.get("team"))
    if team is not None:
        found.append(team)
    groups = context.get("contextGroups")
    if isinstance(groups, list):
        for item in groups:
            ref = team_ref(item.get("group")) if isinstance(item, dict) else None
            if ref is not None and ref not in found:
                found.append(ref)
    return found


# ------------------------------------------------------------------ comparison and ids

#: Namespace of the deterministic ids given to statements that arrive without one.
STATEMENT_NAMESPACE: Final = uuid5(UUID(int=0), pf.BASE + "statements")

#: Properties an LRS assigns or may assign, ignored when statements are compared (xAPI 1.0.3
#: Data 2.3.1, Statement Comparison Requirements).
_ASSIGNED: Final = frozenset({"id", "stored", "authority", "version"})


def _instant(value: object) -> object:
    return _utc_text(value) if isinstance(value, str) else value


@functools.lru_cache(maxsize=4096)
def _utc_text(value: str) -> str:
    # Feeds often share timestamps (a course session, a nightly export): remembered.
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        return value
    if moment.tzinfo is not None:
        return moment.astimezone(UTC).isoformat()
    return value


def _sorted_members(group: object) -> object:
    if isinstance(group, dict) and isinstance(group.get("member"), list):
        copy = dict(group)
        members = group["member"]
        copy["member"] = sorted(members, key=lambda m: orjson.dumps(m, option=orjson.OPT_SORT_KEYS))
        return copy
    return group


def comparison_form(statement: Mapping[str, Any]) -> dict[str, Any]:
    """The statement as compared for duplicates: what an LRS may assign or reorder left out.

    Left out: ``id``, ``stored``, ``authority`` and ``version``. Normalised: the timestamp to
    its UTC instant, the order of Group members, the case of StatementRef ids. Everything else
    counts, including the order of lists and a different serialisation of the same value.
    """
    form = {k: v for k, v in statement.items() if k not in _ASSIGNED}
    if "timestamp" in form:
        form["timestamp"] = _instant(form["timestamp"])
    for key in ("actor", "object"):
        if key in form:
            form[key] = _sorted_members(form[key])
    obj = form.get("object")
    if isinstance(obj, dict) and obj.get("objectType") == "StatementRef":
        ref_id = obj.get("id")
        if isinstance(ref_id, str):
            form["object"] = {**obj, "id": ref_id.lower()}
    context = form.get("context")
    if isinstance(context, dict) and "team" in context:
        form["context"] = {**context, "team": _sorted_members(context["team"])}
    return form


def canonical_json(value: object) -> bytes:
    """Compact JSON with sorted keys: the same value always gives the same bytes."""
    return orjson.dumps(value, option=orjson.OPT_SORT_KEYS)


def body_hash(statement: Mapping[str, Any]) -> str:
    """SHA-256 of the statement's comparison form (128 bits, hex): equal for duplicates only."""
    return hashlib.sha256(canonical_json(comparison_form(statement))).hexdigest()[:32]


def statement_id_for(statement: Mapping[str, Any]) -> UUID:
    """The deterministic id of a statement without one: uuid5 of its comparison form.

    Importing the same statement again gives it the same id, so it stays a duplicate.
    """
    return uuid5(STATEMENT_NAMESPACE, canonical_json(comparison_form(statement)).decode())


# ------------------------------------------------------------------ small readers

_DURATION: Final = re.compile(
    r"P(?:(?P<Y>\d+(?:[.,]\d+)?)Y)?(?:(?P<Mo>\d+(?:[.,]\d+)?)M)?(?:(?P<W>\d+(?:[.,]\d+)?)W)?"
    r"(?:(?P<D>\d+(?:[.,]\d+)?)D)?(?:T(?:(?P<H>\d+(?:[.,]\d+)?)H)?"
    r"(?:(?P<Mi>\d+(?:[.,]\d+)?)M)?(?:(?P<S>\d+(?:[.,]\d+)?)S)?)?"
)
#: Hours per unit of an ISO 8601 duration (a year of 365 days, a month of 1/12 year).
_HOURS: Final = {
    "Y": 8760.0,
    "Mo": 730.0,
    "W": 168.0,
    "D": 24.0,
    "H": 1.0,
    "Mi": 1 / 60,
    "S": 1 / 3600,
}


def duration_hours(value: object) -> float | None:
    """Hours in an ISO 8601 duration (``PT1H30M`` -> 1.5), or None when it is not one."""
    if not isinstance(value, str):
        return None
    return _duration_hours(value)


@functools.lru_cache(maxsize=4096)
def _duration_hours(value: str) -> float | None:
    # Feeds repeat a few durations many times: remembered (a pure function of the string).
    match = _DURATION.fullmatch(value)
    if match is None or value in {"P", "PT"}:
        return None
    total = 0.0
    for unit, text in match.groupdict().items():
        if text:
            total += float(text.replace(",", ".")) * _HOURS[unit]
    return round(total, 6)


def parse_time(value: object) -> datetime | None:
    """An aware datetime from an xAPI timestamp, or None when absent or without a zone."""
    if not isinstance(value, str):
        return None
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        return None
    return moment if moment.tzinfo is not None else None


def statement_time(statement: Mapping[str, Any]) -> datetime | None:
    """When the statement says it happened: ``timestamp``, else ``stored`` (as an LRS does)."""
    return parse_time(statement.get("timestamp")) or parse_time(statement.get("stored"))


def language_text(value: object) -> str | None:
    """One text of a language map: ``und``, ``en``, ``en-US``, ``nl`` first, else the first."""
    if not isinstance(value, dict) or not value:
        return None
    for tag in ("und", "en", "en-US", "en-GB", "nl", "nl-NL"):
        text = value.get(tag)
        if isinstance(text, str):
            return text
    first = next(iter(value.values()))
    return first if isinstance(first, str) else None


def _pointer(*parts: str) -> str:
    return "".join("/" + p.replace("~", "~0").replace("/", "~1") for p in parts)


def context_extensions(statement: Mapping[str, Any]) -> Mapping[str, Any]:
    """The statement's context extensions (empty when it has none)."""
    context = statement.get("context")
    if isinstance(context, dict):
        extensions = context.get("extensions")
        if isinstance(extensions, dict):
            return extensions
    return {}


# ------------------------------------------------------------------ plans


@dataclass(frozen=True, slots=True)
class Step:
    """One event a statement maps to: its class, the stream's subject and its fields.

    ``subject`` is the person (person stream), the team (team stream) or None (organisation
    stream). ``fields`` are the command's keyword arguments; values may be :class:`PersonRef`,
    :class:`TeamRef`, :class:`StatementLink` or tuples of them, which the importer resolves.
    """

    event_class: type[ev.LearningEvent]
    subject: PersonRef | TeamRef | None
    fields: Mapping[str, Any]
    refs: tuple[StatementLink, ...] = ()
    competences: tuple[str, ...] = ()
    values: tuple[str, ...] = ()


How = Literal["profile", "adl", "generic", "voiding"]


@dataclass(frozen=True, slots=True)
class Plan:
    """What one statement becomes.

    ``how``: ``profile`` (a verb of the learningorg profile), ``adl`` (a common ADL verb),
    ``generic`` (kept as a ``LearningActivityCompleted`` carrying the statement) or ``voiding``
    (retracts the events of ``void_target``). ``steps`` are recorded in order; the first is the
    statement's main event. ``teams`` are context teams to register on first sight. A plan
    with ``problems`` is rejected and records nothing.
    """

    how: How
    steps: tuple[Step, ...] = ()
    occurred_at: datetime | None = None
    teams: tuple[TeamRef, ...] = ()
    void_target: UUID | None = None
    reason: str = ""
    problems: tuple[Problem, ...] = ()
    notes: tuple[str, ...] = field(default=())


def _reject(how: How, path: str, rule: str, message: str) -> Plan:
    return Plan(how, problems=(Problem(path, rule, message),))


def _links(value: object, path: str) -> tuple[StatementLink, ...]:
    if not isinstance(value, list):
        msg = f"{path} must be a list of statement ids"
        raise ValueError(msg)
    links = []
    for item in value:
        try:
            links.append(StatementLink(UUID(str(item))))
        except ValueError:
            msg = f"{path} holds {item!r}, which is not a statement id (a UUID)"
            raise ValueError(msg) from None
    return tuple(links)


def _strings(value: object, path: str) -> tuple[str, ...]:
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        msg = f"{path} must be a list of strings"
        raise ValueError(msg)
    return tuple(value)


def _import_field(name: str, value: object) -> object:
    """Turn an extension value into a command argument (agents, groups and links resolved)."""
    if name in pf.PERSON_FIELDS:
        if value is None:
            return None
        ref = person_ref(value)
        if ref is None:
            msg = f"{name} must be an Agent with an identifier (mbox, account, openid, sha1)"
            raise ValueError(msg)
        return ref
    if name in pf.PERSONS_FIELDS:
        if not isinstance(value, list):
            msg = f"{name} must be a list of Agents"
            raise ValueError(msg)
        return tuple(_import_field("person", v) for v in value)
    if name in pf.TEAM_FIELDS:
        if value is None:
            return None
        team = team_ref(value)
        if team is None:
            msg = f"{name} must be an identified Group (a team)"
            raise ValueError(msg)
        return team
    if name in pf.TEAMS_FIELDS:
        if not isinstance(value, list):
            msg = f"{name} must be a list of identified Groups"
            raise ValueError(msg)
        return tuple(_import_field("parent", v) for v in value)
    if name in pf.EVENT_REF_FIELDS:
        return tuple(link.statement_id for link in _links(value, name))
    return value


def _envelope_extensions(
    extensions: Mapping[str, Any],
) -> tuple[tuple[StatementLink, ...], tuple[str, ...], tuple[str, ...]]:
    if not extensions:
        return (), (), ()
    refs = _links(extensions[pf.REFS], "refs") if pf.REFS in extensions else ()
    competences = (
        _strings(extensions[pf.COMPETENCES], "competences") if pf.COMPETENCES in extensions else ()
    )
    values = _strings(extensions[pf.VALUES], "values") if pf.VALUES in extensions else ()
    return refs, competences, values


def _is_organisation(actor: object) -> bool:
    if not isinstance(actor, dict):
        return False
    account = actor.get("account")
    return isinstance(account, dict) and account.get("homePage") == pf.ORGANISATION_HOME


def _statement_team(statement: Mapping[str, Any]) -> TeamRef | None:
    actor = statement.get("actor")
    if isinstance(actor, dict) and actor.get("objectType") == "Group":
        team = team_ref(actor)
        if team is not None:
            return team
    teams = context_teams(statement)
    return teams[0] if teams else None


def plan_statement(statement: Mapping[str, Any]) -> Plan:
    """What a valid statement becomes (see :class:`Plan`); the statement must have an ``id``.

    The verb chooses: xAPI's ``voided`` retracts; a verb of the learningorg profile maps to its
    event with every field from the context extensions; a common ADL verb maps to the nearest
    event (``profile.ADL_VERBS``); anything else is kept as a generic
    ``LearningActivityCompleted`` carrying the statement. A statement the mapping understands but
    cannot record (an extension of the wrong shape, a team-level verb without a team) is
    rejected with problems.
    """
    verb = statement["verb"]["id"]
    if verb == pf.VOIDED:
        extensions = context_extensions(statement)
        reason = extensions.get(pf.REASON)
        return Plan(
            "voiding",
            occurred_at=statement_time(statement),
            void_target=UUID(statement["object"]["id"]),
            reason=reason if isinstance(reason, str) else "",
        )
    profile = pf.BY_VERB.get(verb)
    if profile is not None:
        return _plan_profile(statement, profile)
    adl = pf.ADL_BY_VERB.get(verb)
    if adl is not None:
        plan = _plan_adl(statement, adl)
        if plan is not None:
            return plan
    return plan_generic(statement)


def _person_steps(
    statement: Mapping[str, Any],
    how: How,
    event_class: type[ev.LearningEvent],
    fields: Mapping[str, Any],
    envelope: tuple[tuple[StatementLink, ...], tuple[str, ...], tuple[str, ...]],
    notes: tuple[str, ...] = (),
) -> Plan:
    persons = actor_persons(statement.get("actor"))
    if not persons:
        return _reject(
            how,
            "/actor",
            "mapping.no-person",
            "the actor names no person: a Group actor needs members with an identifier "
            "(mbox, account, openid or mbox_sha1sum); send one statement per person otherwise",
        )
    refs, competences, values = envelope
    steps = tuple(Step(event_class, p, fields, refs, competences, values) for p in persons)
    return Plan(
        how,
        steps,
        statement_time(statement),
        teams=tuple(context_teams(statement)),
        notes=notes,
    )


def _plan_profile(statement: Mapping[str, Any], profile: pf.EventProfile) -> Plan:
    cls = profile.event_class
    if cls in pf.NOT_IMPORTABLE:
        return _reject(
            "profile",
            "/verb/id",
            "profile.not-importable",
            f"{cls.__name__} cannot be imported from a statement; erase a person with "
            "erase_person(), which also destroys their key",
        )
    extensions = context_extensions(statement)
    fields: dict[str, Any] = {}
    for name in profile.payload_fields:
        iri = pf.extension(name)
        if iri not in extensions:
            continue
        try:
            fields[name] = _import_field(name, extensions[iri])
        except ValueError as error:
            path = _pointer("context", "extensions", iri)
            return _reject("profile", path, "profile.extension", str(error))
    try:
        envelope = _envelope_extensions(extensions)
    except ValueError as error:
        return _reject("profile", "/context/extensions", "profile.extension", str(error))
    refs, competences, values = envelope
    occurred_at = statement_time(statement)
    streams = cls.STREAMS
    if streams == frozenset({"person"}):
        return _person_steps(statement, "profile", cls, fields, envelope)
    subject: TeamRef | None = None
    if "team" in streams and not (
        "organisation" in streams and _is_organisation(statement.get("actor"))
    ):
        subject = _statement_team(statement)
        if subject is None and "organisation" not in streams:
            return _reject(
                "profile",
                "/actor",
                "mapping.no-team",
                f"{cls.__name__} belongs to a team: give the team as the actor (an identified "
                "Group) or in context.team / contextGroups",
            )
    step = Step(cls, subject, fields, refs, competences, values)
    teams = tuple(t for t in context_teams(statement) if t != subject)
    return Plan("profile", (step,), occurred_at, teams=teams)


def _object_activity(statement: Mapping[str, Any]) -> Mapping[str, Any] | None:
    obj = statement.get("object")
    if isinstance(obj, dict) and obj.get("objectType", "Activity") == "Activity":
        return obj
    return None


def _override(fields: dict[str, Any], extensions: Mapping[str, Any], names: Sequence[str]) -> None:
    if not extensions:
        return
    for name in names:
        iri = pf.extension(name)
        if iri in extensions:
            fields[name] = extensions[iri]


def _plan_adl(statement: Mapping[str, Any], adl: pf.AdlVerb) -> Plan | None:
    """The plan of a common ADL verb, or None when the statement's shape does not fit it."""
    extensions = context_extensions(statement)
    try:
        envelope = _envelope_extensions(extensions)
    except ValueError as error:
        return _reject("adl", "/context/extensions", "profile.extension", str(error))
    verb = adl.iri.rsplit("/", 1)[-1]
    obj = statement.get("object")
    activity = _object_activity(statement)
    definition = activity.get("definition") if activity is not None else None
    definition = definition if isinstance(definition, dict) else {}
    name = language_text(definition.get("name"))
    topic = name or (str(activity["id"]) if activity is not None else "")
    fields: dict[str, Any]
    if adl.event_class is ev.LearningActivityCompleted:
        activity_type = definition.get("type")
        kind = verb if activity_type is None else str(activity_type).rstrip("/").rsplit("/", 1)[-1]
        formal = verb == "passed" or activity_type in pf.FORMAL_ACTIVITY_TYPES
        result = statement.get("result")
        hours = duration_hours(result.get("duration")) if isinstance(result, dict) else None
        fields = {
            "mode": "formal" if formal else "informal",
            "kind": "mastery" if verb == "mastered" else (kind or verb),
            "title": name,
            "hours": hours or 0.0,
        }
        _override(
            fields,
            extensions,
            ("mode", "kind", "title", "hours", "points", "accreditation_ref", "practice_id"),
        )
        if verb == "mastered" and isinstance(obj, dict) and "id" in obj:
            refs, competences, values = envelope
            envelope = (refs, (*competences, str(obj["id"])), values)
        return _person_steps(statement, "adl", adl.event_class, fields, envelope)
    if adl.event_class is ev.KnowledgeShared:
        fields = {"mode": "document", "topic": topic}
        refs, competences, values = envelope
        if verb == "shared" and isinstance(obj, dict) and obj.get("objectType") == "Agent":
            recipient = person_ref(obj)
            if recipient is None:
                return None
            fields["to_persons"] = (recipient,)
            fields["topic"] = ""
        elif verb == "shared" and isinstance(obj, dict) and obj.get("objectType") == "Group":
            team = team_ref(obj)
            members = actor_persons(obj)
            if team is not None:
                fields["to_teams"] = (team,)
            elif members:
                fields["to_persons"] = tuple(members)
            else:
                return None
            fields["topic"] = ""
        else:
            fields["organisation_wide"] = True
            if isinstance(obj, dict) and obj.get("objectType") == "StatementRef":
                refs = (*refs, StatementLink(UUID(str(obj["id"]))))
                fields["topic"] = ""
        _override(fields, extensions, ("mode", "topic"))
        return _person_steps(statement, "adl", adl.event_class, fields, (refs, competences, values))
    if adl.event_class is ev.AdviceSought:
        if isinstance(obj, dict) and obj.get("objectType") == "Agent":
            adviser = person_ref(obj)
            if adviser is None:
                return None
            fields = {"from_person": adviser}
        elif activity is not None:
            fields = {"external_source": str(activity["id"]), "topic": name or ""}
        else:
            return None
        _override(fields, extensions, ("topic", "helpfulness"))
        return _person_steps(statement, "adl", adl.event_class, fields, envelope)
    return None  # pragma: no cover - every ADL verb of the table is handled above


def plan_generic(statement: Mapping[str, Any], note: str | None = None) -> Plan:
    """Keep a statement as a generic ``LearningActivityCompleted`` carrying it whole.

    The event says only that the person did something learning-related: informal, kind
    ``xapi-statement``, no hours and no points (the mapping does not claim learning time for a
    statement it does not understand), the object's name as title.
    """
    activity = _object_activity(statement)
    definition = activity.get("definition") if activity is not None else None
    title = language_text(definition.get("name")) if isinstance(definition, dict) else None
    fields = {
        "mode": "informal",
        "kind": pf.GENERIC_KIND,
        "title": title,
        "statement": dict(statement),
    }
    notes = (note,) if note else ()
    return _person_steps(
        statement, "generic", ev.LearningActivityCompleted, fields, ((), (), ()), notes
    )


# ------------------------------------------------------------------ events -> statements


class ExportContext(Protocol):
    """What :func:`build_statement` asks of the exporter."""

    @property
    def names(self) -> bool:
        """Whether persons appear by their identifiers (True) or pseudonymised (False)."""

    def statement_id(self, event_id: UUID) -> str:
        """The statement id of the event ``event_id`` (its source statement, or the id itself)."""

    def person_agent(self, person_id: UUID) -> dict[str, Any]:
        """The Agent of a person stream."""

    def team_group(self, team_id: UUID) -> dict[str, Any]:
        """The identified Group of a team stream."""

    def organisation_group(self) -> dict[str, Any]:
        """The identified Group of the organisation."""

    def stream_kind(self, event: ev.LearningEvent) -> ev.StreamKind:
        """Which kind of stream holds ``event``."""


def _json(value: object) -> object:
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, UUID):
        return str(value)
    if isinstance(value, tuple | list):
        return [_json(v) for v in value]
    if isinstance(value, dict):
        return {str(k): _json(v) for k, v in value.items()}
    return value


def _export_field(name: str, value: object, ctx: ExportContext) -> object:
    if name in pf.PERSON_FIELDS and isinstance(value, UUID):
        return ctx.person_agent(value)
    if name in pf.PERSONS_FIELDS and isinstance(value, tuple):
        return [ctx.person_agent(v) for v in value]
    if name in pf.TEAM_FIELDS and isinstance(value, UUID):
        return ctx.team_group(value)
    if name in pf.TEAMS_FIELDS and isinstance(value, tuple):
        return [ctx.team_group(v) for v in value]
    if name in pf.EVENT_REF_FIELDS and isinstance(value, tuple):
        return [ctx.statement_id(v) for v in value]
    return _json(value)


def _timestamp(moment: datetime) -> str:
    """ISO 8601 with the offset it was recorded in; an offset with seconds becomes UTC."""
    offset = moment.utcoffset()
    if offset is not None and (offset.seconds % 60 or offset.microseconds):
        moment = moment.astimezone(UTC)
    return moment.isoformat()


def _actor(event: ev.LearningEvent, ctx: ExportContext) -> dict[str, Any]:
    kind = ctx.stream_kind(event)
    if kind == "person":
        return ctx.person_agent(event.originator_id)
    if kind == "team":
        return ctx.team_group(event.originator_id)
    return ctx.organisation_group()


def _envelope_out(event: ev.LearningEvent, ctx: ExportContext) -> dict[str, Any]:
    extensions: dict[str, Any] = {}
    if event.refs:
        extensions[pf.REFS] = [ctx.statement_id(r) for r in event.refs]
    if event.competences:
        extensions[pf.COMPETENCES] = list(event.competences)
    if event.values:
        extensions[pf.VALUES] = list(event.values)
    return extensions


def build_statement(
    event: ev.LearningEvent, ctx: ExportContext, *, version: str = "1.0.3"
) -> dict[str, Any]:
    """The statement of the learningorg profile that says what ``event`` records.

    Every payload field goes into a context extension of the profile (persons as Agents, teams
    as Groups, earlier events as statement ids); personal fields are left out unless
    ``ctx.names``. ``EventRetracted`` becomes an xAPI voiding statement. Importing the statement
    records an equal event (see ``docs/xapi.md``).
    """
    statement_id = ctx.statement_id(event.event_id)
    extensions = _envelope_out(event, ctx)
    if isinstance(event, ev.EventRetracted):
        if event.reason:
            extensions[pf.REASON] = event.reason
        statement: dict[str, Any] = {
            "id": statement_id,
            "actor": _actor(event, ctx),
            "verb": {"id": pf.VOIDED, "display": {"en": "voided"}},
            "object": {
                "objectType": "StatementRef",
                "id": ctx.statement_id(event.retracted_event_id),
            },
        }
    else:
        profile = pf.BY_EVENT[type(event)]
        personal = () if ctx.names else ev.PERSONAL_FIELDS.get(type(event), ())
        for name in profile.payload_fields:
            value = getattr(event, name)
            if value is None or name in personal:
                continue
            extensions[pf.extension(name)] = _export_field(name, value, ctx)
        natural = getattr(event, profile.natural_id) if profile.natural_id else None
        statement = {
            "id": statement_id,
            "actor": _actor(event, ctx),
            "verb": {"id": profile.verb_iri, "display": {"en": profile.display}},
            "object": {
                "objectType": "Activity",
                "id": profile.activity_id(natural),
                "definition": {"type": profile.activity_type},
            },
        }
    statement["timestamp"] = _timestamp(event.occurred_at)
    if extensions:
        statement["context"] = {"extensions": extensions}
    statement["version"] = version
    return statement


def iter_agents(value: object) -> Iterator[dict[str, Any]]:
    """Every Agent-like object (a JSON object with an identifier) inside ``value``, depth first."""
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, dict):
            if item.get("objectType", "Agent") == "Agent" and agent_identifier(item) is not None:
                yield item
                continue
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)


__all__ = [
    "STATEMENT_NAMESPACE",
    "ExportContext",
    "PersonRef",
    "Plan",
    "StatementLink",
    "Step",
    "TeamRef",
    "actor_persons",
    "agent_for_identifier",
    "agent_identifier",
    "body_hash",
    "build_statement",
    "canonical_json",
    "comparison_form",
    "context_extensions",
    "context_teams",
    "duration_hours",
    "iter_agents",
    "language_text",
    "parse_time",
    "person_ref",
    "plan_generic",
    "plan_statement",
    "statement_id_for",
    "statement_time",
    "team_ref",
]
