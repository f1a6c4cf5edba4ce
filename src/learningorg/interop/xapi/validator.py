"""Conformance validator for xAPI Statements, versions 1.0.3 and 2.0 (IEEE 9274.1.1-2023).

The entry point is :func:`validate`. It walks one Statement (any JSON-like value) once and
returns every rule it breaks as a :class:`Problem`; an empty list means the Statement is
valid. It never raises: malformed input of any shape is reported, not thrown.

Design notes
------------
* One pass, no exceptions on the happy path, no per-call tables: the allowed key sets and the
  compiled regular expressions are module constants.
* Recursion only follows the Statement's own structure (a SubStatement is checked once, a
  nested SubStatement is reported and not entered; extension values are never entered), so a
  deeply nested input cannot exhaust the stack.
* Paths are JSON-Pointer-like (``/context/contextActivities/parent/0/id``); the Statement
  itself is ``""``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Final

from learningorg.interop.xapi._formats import (
    KNOWN_IRIS,
    KNOWN_LANGUAGE_TAGS,
    describe,
    is_duration,
    is_hex_sha1,
    is_hex_sha2,
    is_iri,
    is_language_tag,
    is_mailto,
    is_media_type,
    is_timestamp_1_0,
    is_timestamp_2_0,
    is_uuid,
    pointer_token,
)

__all__ = ["SUPPORTED_VERSIONS", "Problem", "validate"]

#: The xAPI versions whose rules :func:`validate` applies.
SUPPORTED_VERSIONS: Final[tuple[str, ...]] = ("1.0.3", "2.0.0")


@dataclass(frozen=True, slots=True)
class Problem:
    """One rule a Statement breaks.

    Attributes
    ----------
    path:
        JSON-Pointer-like location of the offending value, e.g. ``/actor/mbox``; ``""`` is
        the Statement itself.
    rule:
        Short machine-readable rule name, e.g. ``ifi.exactly-one``.
    message:
        A sentence a person can act on; it names the offending value (truncated if long).
    requirement:
        The xAPI conformance requirement id (``XAPI-00042``) where one applies, else None.
    """

    path: str
    rule: str
    message: str
    requirement: str | None = None


# --- vocabulary ----------------------------------------------------------------------------------

_MISSING: Final = object()
_VOIDED: Final = "http://adlnet.gov/expapi/verbs/voided"

_VERSION_1_0_RE: Final = re.compile(r"1\.0(?:\.\d+)?")
_VERSION_2_0_RE: Final = re.compile(r"2\.0(?:\.\d+)?")
_v1_match: Final = _VERSION_1_0_RE.fullmatch
_v2_match: Final = _VERSION_2_0_RE.fullmatch

_STATEMENT_KEYS: Final = frozenset(
    (
        "id",
        "actor",
        "verb",
        "object",
        "result",
        "context",
        "timestamp",
        "stored",
        "authority",
        "version",
        "attachments",
    )
)
_SUBSTATEMENT_KEYS: Final = frozenset(
    ("objectType", "actor", "verb", "object", "result", "context", "timestamp", "attachments")
)
#: properties a SubStatement must not have, with their requirement ids
_SUBSTATEMENT_FORBIDDEN: Final = {
    "id": "XAPI-00070",
    "stored": "XAPI-00069",
    "version": "XAPI-00068",
    "authority": "XAPI-00067",
}
_SUBSTATEMENT_KEYS_AND_FORBIDDEN: Final = _SUBSTATEMENT_KEYS | frozenset(_SUBSTATEMENT_FORBIDDEN)
_AGENT_KEYS: Final = frozenset(("objectType", "name", "mbox", "mbox_sha1sum", "openid", "account"))
_GROUP_KEYS: Final = _AGENT_KEYS | {"member"}
_ACCOUNT_KEYS: Final = frozenset(("homePage", "name"))
_VERB_KEYS: Final = frozenset(("id", "display"))
_ACTIVITY_KEYS: Final = frozenset(("objectType", "id", "definition"))
_STATEMENT_REF_KEYS: Final = frozenset(("objectType", "id"))
_COMPONENT_LISTS: Final = ("choices", "scale", "source", "target", "steps")
_DEFINITION_KEYS: Final = frozenset(
    (
        "name",
        "description",
        "type",
        "moreInfo",
        "interactionType",
        "correctResponsesPattern",
        "extensions",
        *_COMPONENT_LISTS,
    )
)
_INTERACTION_KEYS: Final = frozenset(
    ("interactionType", "correctResponsesPattern", *_COMPONENT_LISTS)
)
_INTERACTION_COMPONENT_KEYS: Final = frozenset(("id", "description"))
#: interactionType -> the interaction component lists it supports
_INTERACTION_TYPES: Final = {
    "true-false": frozenset(),
    "choice": frozenset(("choices",)),
    "fill-in": frozenset(),
    "long-fill-in": frozenset(),
    "matching": frozenset(("source", "target")),
    "performance": frozenset(("steps",)),
    "sequencing": frozenset(("choices",)),
    "likert": frozenset(("scale",)),
    "numeric": frozenset(),
    "other": frozenset(),
}
_INTERACTION_TYPES_FOLDED: Final = {name.lower(): name for name in _INTERACTION_TYPES}
_RESULT_KEYS: Final = frozenset(
    ("score", "success", "completion", "response", "duration", "extensions")
)
_SCORE_KEYS: Final = frozenset(("scaled", "raw", "min", "max"))
_CONTEXT_KEYS_1_0: Final = frozenset(
    (
        "registration",
        "instructor",
        "team",
        "contextActivities",
        "revision",
        "platform",
        "language",
        "statement",
        "extensions",
    )
)
_CONTEXT_KEYS_2_0_ONLY: Final = frozenset(("contextAgents", "contextGroups"))
_CONTEXT_KEYS_2_0: Final = _CONTEXT_KEYS_1_0 | _CONTEXT_KEYS_2_0_ONLY
_CONTEXT_ACTIVITY_KEYS: Final = frozenset(("parent", "grouping", "category", "other"))
_CONTEXT_AGENT_KEYS: Final = frozenset(("objectType", "agent", "relevantTypes"))
_CONTEXT_GROUP_KEYS: Final = frozenset(("objectType", "group", "relevantTypes"))
_ATTACHMENT_KEYS: Final = frozenset(
    ("usageType", "display", "description", "contentType", "length", "sha2", "fileUrl")
)
_OBJECT_TYPES: Final = ("Activity", "Agent", "Group", "SubStatement", "StatementRef")
_OBJECT_TYPES_FOLDED: Final = {name.lower(): name for name in _OBJECT_TYPES}
_ALL_KEYS_FOLDED: Final = {
    key.lower(): key
    for keys in (
        _STATEMENT_KEYS,
        _SUBSTATEMENT_KEYS,
        _GROUP_KEYS,
        _ACCOUNT_KEYS,
        _VERB_KEYS,
        _ACTIVITY_KEYS,
        _DEFINITION_KEYS,
        _RESULT_KEYS,
        _SCORE_KEYS,
        _CONTEXT_KEYS_2_0,
        _CONTEXT_ACTIVITY_KEYS,
        _CONTEXT_AGENT_KEYS,
        _CONTEXT_GROUP_KEYS,
        _ATTACHMENT_KEYS,
    )
    for key in keys
}

#: the Inverse Functional Identifiers of Agents and identified Groups, in spec order
_IFIS: Final = ("mbox", "mbox_sha1sum", "openid", "account")


# --- the walk ------------------------------------------------------------------------------------


class _Run:
    """State of one validation: the problems found so far and the rule set in force."""

    __slots__ = ("out", "v2")

    def __init__(self, v2: bool) -> None:
        self.out: list[Problem] = []
        self.v2 = v2

    def add(self, path: str, rule: str, message: str, requirement: str | None = None) -> None:
        self.out.append(Problem(path, rule, message, requirement))


def validate(statement: object, version: str | None = None) -> list[Problem]:
    """Check one xAPI Statement and return the rules it breaks.

    Parameters
    ----------
    statement:
        The Statement as parsed JSON (normally a ``dict``). Any value is accepted; a value
        that is not a JSON object is reported as a problem.
    version:
        ``"1.0.3"`` or ``"2.0.0"`` to force that rule set. When None, the Statement's own
        ``version`` property chooses: ``2.0.x`` selects the 2.0 rules, anything else
        (including no ``version``) the 1.0.3 rules; a ``version`` that is neither ``1.0.x``
        nor ``2.0.x`` is itself a problem.

    Returns
    -------
    list[Problem]
        Empty when the Statement is valid. The function never raises.
    """
    try:
        return _validate(statement, version)
    except Exception as exc:  # pragma: no cover - a safety net; the fuzz tests keep it unused
        return [
            Problem(
                "",
                "validator.internal-error",
                f"The validator failed on this input ({type(exc).__name__}); "
                "treat the Statement as invalid and report this as a bug.",
            )
        ]


def _validate(statement: object, version: str | None) -> list[Problem]:
    if version is None:
        v2 = False
        if isinstance(statement, dict):
            own = statement.get("version")
            v2 = isinstance(own, str) and _v2_match(own) is not None
    elif isinstance(version, str) and (_v2_match(version) or _v1_match(version)):
        v2 = version[0] == "2"
    else:
        return [
            Problem(
                "",
                "version.unsupported",
                f"Cannot validate against xAPI version {describe(version)}; "
                f"choose one of {', '.join(SUPPORTED_VERSIONS)}.",
            )
        ]
    run = _Run(v2)
    if isinstance(statement, dict):
        _statement(run, statement, "", False)
    else:
        run.add(
            "",
            "statement.type",
            f"A Statement must be a JSON object; got {describe(statement)}.",
            "XAPI-00006",
        )
    return run.out


# --- generic reporters ---------------------------------------------------------------------------


def _wrong_type(run: _Run, path: str, value: object, expected: str, requirement: str) -> None:
    """Report ``value`` at ``path`` as not being of the ``expected`` JSON type."""
    if value is None:
        run.add(
            path,
            "value.null",
            f"{_name(path)} must not be null (null is only allowed inside extensions); "
            f"give {expected} or leave the property out.",
            "XAPI-00001",
        )
    else:
        run.add(
            path,
            f"type.{_TYPE_RULES.get(expected, 'other')}",
            f"{_name(path)} must be {expected}; got {describe(value)}.",
            requirement,
        )


_TYPE_RULES: Final = {
    "a string": "string",
    "a JSON object": "object",
    "an array": "array",
    "a number": "number",
    "a boolean": "boolean",
    "an integer": "integer",
}


def _name(path: str) -> str:
    """The last step of ``path`` for messages (``/actor/mbox`` -> ``'mbox'``)."""
    if not path:
        return "The Statement"
    last = path[path.rfind("/") + 1 :]
    if last.isdigit():
        parent = path[: path.rfind("/")]
        return f"Item {last} of '{parent[parent.rfind('/') + 1 :]}'"
    return f"'{last.replace('~1', '/').replace('~0', '~')}'"


def _unknown_keys(run: _Run, obj: dict[object, object], allowed: frozenset[str], path: str) -> None:
    """Report every key of ``obj`` outside ``allowed`` (caller checked there is one)."""
    for key in obj:
        if key in allowed:
            continue
        hint = ""
        requirement = None
        if isinstance(key, str):
            folded = _ALL_KEYS_FOLDED.get(key.lower())
            if folded is not None and folded != key and folded in allowed:
                hint = f" Keys are case-sensitive: did you mean '{folded}'?"
                requirement = "XAPI-00008"
        run.add(
            f"{path}/{pointer_token(key)}",
            "key.unknown",
            f"Unknown property {describe(key)} is not allowed here; allowed are "
            f"{', '.join(sorted(allowed))}.{hint}",
            requirement,
        )


def _string(run: _Run, obj: dict[object, object], key: str, path: str, requirement: str) -> None:
    """Check that the optional property ``key`` of ``obj`` is a string."""
    value = obj.get(key, _MISSING)
    if value is not _MISSING and not isinstance(value, str):
        _wrong_type(run, f"{path}/{key}", value, "a string", requirement)


def _iri(run: _Run, value: object, path: str, requirement: str | None, kind: str = "IRI") -> bool:
    """Check that ``value`` is an absolute IRI; return True when it is."""
    if value.__class__ is str and value in KNOWN_IRIS:  # fast path: seen and valid before
        return True
    if not isinstance(value, str):
        _wrong_type(run, path, value, "a string", requirement or "XAPI-00006")
        return False
    if is_iri(value):
        return True
    run.add(
        path,
        "irl.format" if kind == "IRL" else "iri.format",
        f"{_name(path)} must be an absolute {kind} with a scheme and no spaces "
        f"(e.g. 'http://example.com/...'); got {describe(value)}.",
        requirement or "XAPI-00007",
    )
    return False


def _uuid(run: _Run, value: object, path: str, requirement: str) -> None:
    """Check that ``value`` is a UUID in standard string form."""
    if not isinstance(value, str):
        _wrong_type(run, path, value, "a string", requirement)
    elif not is_uuid(value):
        run.add(
            path,
            "uuid.format",
            f"{_name(path)} must be a UUID in standard string form "
            f"(8-4-4-4-12 hex digits); got {describe(value)}.",
            requirement,
        )


def _language_map(run: _Run, value: object, path: str, requirement: str) -> None:
    """Check a Language Map: RFC 5646 tags as keys and strings as values."""
    if not isinstance(value, dict):
        _wrong_type(run, path, value, "a JSON object", requirement)
        return
    for tag, text in value.items():
        if text.__class__ is str and tag in KNOWN_LANGUAGE_TAGS:  # fast path
            continue
        if not isinstance(tag, str) or not is_language_tag(tag):
            run.add(
                f"{path}/{pointer_token(tag)}",
                "language-map.key",
                f"Language map key {describe(tag)} is not an RFC 5646 language tag "
                "(e.g. 'en', 'en-US', 'zh-Hant').",
                "XAPI-00121",
            )
        if not isinstance(text, str):
            _wrong_type(run, f"{path}/{pointer_token(tag)}", text, "a string", requirement)


def _extensions(run: _Run, value: object, path: str, requirement: str) -> None:
    """Check an extensions map: IRI keys; the values are free (any JSON, null included)."""
    if not isinstance(value, dict):
        _wrong_type(run, path, value, "a JSON object", requirement)
        return
    for key in value:
        if key in KNOWN_IRIS:  # fast path: seen and valid before
            continue
        if not isinstance(key, str) or not is_iri(key):
            run.add(
                f"{path}/{pointer_token(key)}",
                "extensions.key",
                f"Extension key {describe(key)} must be an absolute IRI "
                "(e.g. 'http://example.com/extension/x').",
                "XAPI-00118",
            )


def _timestamp(run: _Run, value: object, path: str, requirement: str) -> None:
    """Check a Timestamp: ISO 8601 with a time zone (1.0.3) or RFC 3339 (2.0)."""
    if not isinstance(value, str):
        _wrong_type(run, path, value, "a string", requirement)
        return
    if run.v2:
        if is_timestamp_2_0(value):
            return
        expected = "an RFC 3339 date-time with an offset, e.g. '2024-05-01T12:30:00.000Z'"
    else:
        if is_timestamp_1_0(value):
            return
        expected = "an ISO 8601 date and time with a time zone, e.g. '2024-05-01T12:30:00.000Z'"
    run.add(
        path,
        "timestamp.format",
        f"{_name(path)} must be {expected} (the offsets -00, -0000 and -00:00 are not "
        f"allowed); got {describe(value)}.",
        "XAPI-00123",
    )


# --- actors --------------------------------------------------------------------------------------


def _actor_kind(run: _Run, actor: dict[object, object], path: str) -> str | None:
    """Return "Agent" or "Group" for an actor-like object, or None after reporting why not."""
    kind = actor.get("objectType", "Agent")
    if kind == "Agent":
        return "Agent"
    if kind == "Group":
        return "Group"
    if not isinstance(kind, str):
        _wrong_type(run, f"{path}/objectType", kind, "a string", "XAPI-00032")
    else:
        run.add(
            f"{path}/objectType",
            "objectType.value",
            f"objectType must be 'Agent' or 'Group' here (case-sensitive); got {describe(kind)}.",
            "XAPI-00031",
        )
    return None


def _ifis(run: _Run, obj: dict[object, object], path: str) -> int:
    """Check the format of every IFI present in ``obj``; return how many there are."""
    count = 0
    mbox = obj.get("mbox", _MISSING)
    if mbox is not _MISSING:
        count = 1
        if not isinstance(mbox, str):
            _wrong_type(run, f"{path}/mbox", mbox, "a string", "XAPI-00038")
        elif not is_mailto(mbox):
            run.add(
                f"{path}/mbox",
                "mbox.format",
                "mbox must be a mailto IRI of the form 'mailto:name@example.com'; "
                f"got {describe(mbox)}.",
                "XAPI-00038",
            )
    digest = obj.get("mbox_sha1sum", _MISSING)
    if digest is not _MISSING:
        count += 1
        if not isinstance(digest, str):
            _wrong_type(run, f"{path}/mbox_sha1sum", digest, "a string", "XAPI-00039")
        elif not is_hex_sha1(digest):
            run.add(
                f"{path}/mbox_sha1sum",
                "mbox_sha1sum.format",
                "mbox_sha1sum must be the hex-encoded SHA-1 of a mailto IRI (40 hex digits); "
                f"got {describe(digest)}.",
                "XAPI-00039",
            )
    openid = obj.get("openid", _MISSING)
    if openid is not _MISSING:
        count += 1
        _iri(run, openid, f"{path}/openid", "XAPI-00040", "URI")
    account = obj.get("account", _MISSING)
    if account is not _MISSING:
        count += 1
        _account(run, account, f"{path}/account")
    return count


def _ifi_names(obj: dict[object, object]) -> str:
    """The IFIs ``obj`` has, for a message."""
    found = [name for name in _IFIS if name in obj]
    return f"found {len(found)}: {', '.join(found)}." if found else "found none."


def _account(run: _Run, account: object, path: str) -> None:
    if not isinstance(account, dict):
        _wrong_type(run, path, account, "a JSON object", "XAPI-00041")
        return
    if not account.keys() <= _ACCOUNT_KEYS:
        _unknown_keys(run, account, _ACCOUNT_KEYS, path)
    home = account.get("homePage", _MISSING)
    if home is _MISSING:
        run.add(
            f"{path}/homePage",
            "account.homepage-required",
            "An account must have a 'homePage' (the IRL of the system the account is on).",
            "XAPI-00042",
        )
    else:
        _iri(run, home, f"{path}/homePage", "XAPI-00042", "IRL")
    name = account.get("name", _MISSING)
    if name is _MISSING:
        run.add(
            f"{path}/name",
            "account.name-required",
            "An account must have a 'name' (the login or id on that system).",
            "XAPI-00043",
        )
    elif not isinstance(name, str):
        _wrong_type(run, f"{path}/name", name, "a string", "XAPI-00043")


def _agent(run: _Run, agent: dict[object, object], path: str) -> None:
    """Check an Agent's properties (its objectType, if any, is already known to be Agent)."""
    if not agent.keys() <= _AGENT_KEYS:
        _unknown_keys(run, agent, _AGENT_KEYS, path)
    _string(run, agent, "name", path, "XAPI-00033")
    if _ifis(run, agent, path) != 1:
        run.add(
            path,
            "ifi.exactly-one",
            "An Agent must have exactly one inverse functional identifier "
            f"(one of {', '.join(_IFIS)}); {_ifi_names(agent)}",
            "XAPI-00034",
        )


def _group(run: _Run, group: dict[object, object], path: str) -> tuple[int, int]:
    """Check a Group; return (number of IFIs, number of members or -1 when no list)."""
    if not group.keys() <= _GROUP_KEYS:
        _unknown_keys(run, group, _GROUP_KEYS, path)
    _string(run, group, "name", path, "XAPI-00033")
    found = _ifis(run, group, path)
    if found > 1:
        run.add(
            path,
            "ifi.exactly-one",
            "An identified Group must have exactly one inverse functional identifier; "
            f"{_ifi_names(group)}",
            "XAPI-00037",
        )
    members = group.get("member", _MISSING)
    if members is _MISSING:
        if not found:
            run.add(
                path,
                "group.member-required",
                "An anonymous Group (one without mbox, mbox_sha1sum, openid or account) "
                "must list its Agents in 'member'.",
                "XAPI-00035",
            )
        return found, -1
    if not isinstance(members, list):
        _wrong_type(run, f"{path}/member", members, "an array", "XAPI-00036")
        return found, -1
    for i, member in enumerate(members):
        member_path = f"{path}/member/{i}"
        if not isinstance(member, dict):
            _wrong_type(run, member_path, member, "a JSON object", "XAPI-00036")
            continue
        kind = member.get("objectType", "Agent")
        if kind == "Agent":
            _agent(run, member, member_path)
        elif kind == "Group":
            run.add(
                f"{member_path}/objectType",
                "group.member-not-agent",
                "A Group's members must be Agents; a Group cannot contain a Group.",
                "XAPI-00036",
            )
        elif not isinstance(kind, str):
            _wrong_type(run, f"{member_path}/objectType", kind, "a string", "XAPI-00032")
        else:
            run.add(
                f"{member_path}/objectType",
                "objectType.value",
                f"A Group member's objectType must be 'Agent'; got {describe(kind)}.",
                "XAPI-00036",
            )
    return found, len(members)


def _actor(run: _Run, value: object, path: str, requirement: str) -> str | None:
    """Check an Agent or Group in an actor position; return its kind."""
    if not isinstance(value, dict):
        _wrong_type(run, path, value, "a JSON object", requirement)
        return None
    kind = value.get("objectType", "Agent")
    if kind == "Agent":
        _agent(run, value, path)
        return "Agent"
    if kind == "Group":
        _group(run, value, path)
        return "Group"
    return _actor_kind(run, value, path)  # reports the bad objectType


def _authority(run: _Run, value: object, path: str) -> None:
    if not isinstance(value, dict):
        _wrong_type(run, path, value, "a JSON object", "XAPI-00024")
        return
    kind = _actor_kind(run, value, path)
    if kind == "Agent":
        _agent(run, value, path)
    elif kind == "Group":
        ifi_count, member_count = _group(run, value, path)
        if ifi_count:
            run.add(
                path,
                "authority.group-anonymous",
                "An authority Group (3-legged OAuth) must be an anonymous Group of two Agents; "
                "remove the Group's identifier.",
                "XAPI-00098",
            )
        if member_count >= 0 and member_count != 2:
            run.add(
                f"{path}/member",
                "authority.group-two-agents",
                "An authority Group (3-legged OAuth) must have exactly two members, the "
                f"application and the user; got {member_count}.",
                "XAPI-00098",
            )


# --- verb and object -----------------------------------------------------------------------------


def _verb(run: _Run, verb: object, path: str) -> str | None:
    """Check a Verb; return its id when that is a string."""
    if not isinstance(verb, dict):
        _wrong_type(run, path, verb, "a JSON object", "XAPI-00044")
        return None
    if not verb.keys() <= _VERB_KEYS:
        _unknown_keys(run, verb, _VERB_KEYS, path)
    verb_id = verb.get("id", _MISSING)
    if verb_id is _MISSING:
        run.add(
            f"{path}/id",
            "key.required",
            "A Verb must have an 'id' (an IRI such as 'http://adlnet.gov/expapi/verbs/completed').",
            "XAPI-00044",
        )
        verb_id = None
    else:
        _iri(run, verb_id, f"{path}/id", "XAPI-00044")
    display = verb.get("display", _MISSING)
    if display is not _MISSING:
        _language_map(run, display, f"{path}/display", "XAPI-00045")
    return verb_id if isinstance(verb_id, str) else None


def _object(run: _Run, obj: object, path: str, in_substatement: bool) -> str | None:
    """Check a Statement's object; return its objectType (None when unknown)."""
    if not isinstance(obj, dict):
        _wrong_type(run, path, obj, "a JSON object", "XAPI-00006")
        return None
    kind = obj.get("objectType", "Activity")
    if kind == "Activity":
        _activity(run, obj, path)
        return "Activity"
    if kind == "Agent":
        _agent(run, obj, path)
        return "Agent"
    if kind == "Group":
        _group(run, obj, path)
        return "Group"
    if kind == "StatementRef":
        _statement_ref_body(run, obj, path)
        return "StatementRef"
    if kind == "SubStatement":
        if in_substatement:
            run.add(
                f"{path}/objectType",
                "substatement.nested",
                "A SubStatement cannot contain another SubStatement as its object.",
                "XAPI-00071",
            )
        else:
            _statement(run, obj, path, True)
        return "SubStatement"
    if not isinstance(kind, str):
        _wrong_type(run, f"{path}/objectType", kind, "a string", "XAPI-00046")
        return None
    folded = _OBJECT_TYPES_FOLDED.get(kind.lower())
    hint = f" (values are case-sensitive: use '{folded}')" if folded else ""
    run.add(
        f"{path}/objectType",
        "objectType.value",
        f"The object's objectType must be one of {', '.join(_OBJECT_TYPES)}{hint}; "
        f"got {describe(kind)}.",
        "XAPI-00046",
    )
    return None


def _activity(run: _Run, activity: dict[object, object], path: str) -> None:
    if not activity.keys() <= _ACTIVITY_KEYS:
        _unknown_keys(run, activity, _ACTIVITY_KEYS, path)
    activity_id = activity.get("id", _MISSING)
    if activity_id is _MISSING:
        run.add(
            f"{path}/id",
            "key.required",
            "An Activity must have an 'id' (an IRI that identifies the Activity).",
            "XAPI-00047",
        )
    else:
        _iri(run, activity_id, f"{path}/id", "XAPI-00047")
    definition = activity.get("definition", _MISSING)
    if definition is not _MISSING:
        _definition(run, definition, f"{path}/definition")


def _definition(run: _Run, definition: object, path: str) -> None:
    if not isinstance(definition, dict):
        _wrong_type(run, path, definition, "a JSON object", "XAPI-00048")
        return
    if not definition.keys() <= _DEFINITION_KEYS:
        _unknown_keys(run, definition, _DEFINITION_KEYS, path)
    get = definition.get
    value = get("name", _MISSING)
    if value is not _MISSING:
        _language_map(run, value, f"{path}/name", "XAPI-00056")
    value = get("description", _MISSING)
    if value is not _MISSING:
        _language_map(run, value, f"{path}/description", "XAPI-00059")
    value = get("type", _MISSING)
    if value is not _MISSING:
        _iri(run, value, f"{path}/type", "XAPI-00060")
    value = get("moreInfo", _MISSING)
    if value is not _MISSING:
        _iri(run, value, f"{path}/moreInfo", "XAPI-00061", "IRL")
    value = get("extensions", _MISSING)
    if value is not _MISSING:
        _extensions(run, value, f"{path}/extensions", "XAPI-00057")
    if not _INTERACTION_KEYS.isdisjoint(definition.keys()):
        _interaction(run, definition, path)


def _interaction(run: _Run, definition: dict[object, object], path: str) -> None:
    """Check the interaction properties of an Activity Definition."""
    get = definition.get
    interaction_type = get("interactionType", _MISSING)
    supported: frozenset[str] | None = None
    if interaction_type is not _MISSING:
        if isinstance(interaction_type, str) and interaction_type in _INTERACTION_TYPES:
            supported = _INTERACTION_TYPES[interaction_type]
        elif not isinstance(interaction_type, str):
            _wrong_type(run, f"{path}/interactionType", interaction_type, "a string", "XAPI-00049")
        else:
            folded = _INTERACTION_TYPES_FOLDED.get(interaction_type.lower())
            run.add(
                f"{path}/interactionType",
                "interactionType.value",
                (
                    f"interactionType values are case-sensitive: use '{folded}' instead of "
                    f"{describe(interaction_type)}."
                    if folded
                    else f"interactionType must be one of {', '.join(_INTERACTION_TYPES)}; "
                    f"got {describe(interaction_type)}."
                ),
                "XAPI-00009" if folded else "XAPI-00049",
            )
    patterns = get("correctResponsesPattern", _MISSING)
    if patterns is not _MISSING:
        if not isinstance(patterns, list):
            _wrong_type(run, f"{path}/correctResponsesPattern", patterns, "an array", "XAPI-00006")
        else:
            for i, pattern in enumerate(patterns):
                if not isinstance(pattern, str):
                    _wrong_type(
                        run,
                        f"{path}/correctResponsesPattern/{i}",
                        pattern,
                        "a string",
                        "XAPI-00006",
                    )
    has_interaction_property = patterns is not _MISSING
    for list_name in _COMPONENT_LISTS:
        components = get(list_name, _MISSING)
        if components is _MISSING:
            continue
        has_interaction_property = True
        list_path = f"{path}/{list_name}"
        if supported is not None and list_name not in supported:
            run.add(
                list_path,
                "interaction.component-list",
                f"interactionType {describe(interaction_type)} does not support the "
                f"'{list_name}' component list"
                + (f"; it supports {', '.join(sorted(supported))}." if supported else "."),
            )
        _components(run, components, list_path)
    if has_interaction_property and interaction_type is _MISSING:
        run.add(
            f"{path}/interactionType",
            "interaction.type-required",
            "An interaction Activity (one with correctResponsesPattern or a component list) "
            "must have an interactionType.",
            "XAPI-00049",
        )


def _components(run: _Run, components: object, path: str) -> None:
    """Check an interaction component list: objects with distinct string ids."""
    if not isinstance(components, list):
        _wrong_type(run, path, components, "an array", "XAPI-00006")
        return
    seen: set[str] = set()
    for i, component in enumerate(components):
        item_path = f"{path}/{i}"
        if not isinstance(component, dict):
            _wrong_type(run, item_path, component, "a JSON object", "XAPI-00006")
            continue
        if not component.keys() <= _INTERACTION_COMPONENT_KEYS:
            _unknown_keys(run, component, _INTERACTION_COMPONENT_KEYS, item_path)
        component_id = component.get("id", _MISSING)
        if component_id is _MISSING:
            run.add(
                f"{item_path}/id",
                "key.required",
                "An interaction component must have an 'id'.",
            )
        elif not isinstance(component_id, str):
            _wrong_type(run, f"{item_path}/id", component_id, "a string", "XAPI-00006")
        elif component_id in seen:
            run.add(
                f"{item_path}/id",
                "interaction.component-id-unique",
                f"Interaction component ids must be distinct within a list; "
                f"{describe(component_id)} appears more than once.",
            )
        else:
            seen.add(component_id)
        description = component.get("description", _MISSING)
        if description is not _MISSING:
            _language_map(run, description, f"{item_path}/description", "XAPI-00006")


def _statement_ref_body(run: _Run, ref: dict[object, object], path: str) -> None:
    """Check a StatementRef whose objectType is already known to be correct."""
    if not ref.keys() <= _STATEMENT_REF_KEYS:
        _unknown_keys(run, ref, _STATEMENT_REF_KEYS, path)
    ref_id = ref.get("id", _MISSING)
    if ref_id is _MISSING:
        run.add(
            f"{path}/id",
            "key.required",
            "A StatementRef must have an 'id' (the UUID of the Statement it refers to).",
            "XAPI-00072",
        )
    else:
        _uuid(run, ref_id, f"{path}/id", "XAPI-00072")


# --- result --------------------------------------------------------------------------------------


def _number(run: _Run, value: object, path: str, requirement: str) -> int | float | None:
    """Return ``value`` when it is a finite JSON number (not a boolean); else report, None."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        _wrong_type(run, path, value, "a number", requirement)
        return None
    if isinstance(value, float) and value - value != 0.0:  # NaN or infinity
        run.add(
            path,
            "number.finite",
            f"{_name(path)} must be a finite number; got {describe(value)}.",
            requirement,
        )
        return None
    return value


def _score(run: _Run, score: object, path: str) -> None:
    if not isinstance(score, dict):
        _wrong_type(run, path, score, "a JSON object", "XAPI-00079")
        return
    if not score.keys() <= _SCORE_KEYS:
        _unknown_keys(run, score, _SCORE_KEYS, path)
    get = score.get
    value = get("scaled", _MISSING)
    if value is not _MISSING:
        scaled = _number(run, value, f"{path}/scaled", "XAPI-00083")
        if scaled is not None and not -1 <= scaled <= 1:
            run.add(
                f"{path}/scaled",
                "score.scaled-range",
                f"scaled must be between -1 and 1 inclusive; got {describe(scaled)}.",
                "XAPI-00083",
            )
    value = get("raw", _MISSING)
    raw = None if value is _MISSING else _number(run, value, f"{path}/raw", "XAPI-00082")
    value = get("min", _MISSING)
    low = None if value is _MISSING else _number(run, value, f"{path}/min", "XAPI-00081")
    value = get("max", _MISSING)
    high = None if value is _MISSING else _number(run, value, f"{path}/max", "XAPI-00080")
    if low is not None and high is not None and not low < high:
        run.add(
            f"{path}/min",
            "score.min-max",
            f"min must be less than max; got min {describe(low)} and max {describe(high)}.",
            "XAPI-00081",
        )
    if raw is not None:
        if low is not None and raw < low:
            run.add(
                f"{path}/raw",
                "score.raw-range",
                f"raw must not be below min; got raw {describe(raw)} and min {describe(low)}.",
                "XAPI-00082",
            )
        if high is not None and raw > high:
            run.add(
                f"{path}/raw",
                "score.raw-range",
                f"raw must not be above max; got raw {describe(raw)} and max {describe(high)}.",
                "XAPI-00082",
            )


def _result(run: _Run, result: object, path: str) -> None:
    if not isinstance(result, dict):
        _wrong_type(run, path, result, "a JSON object", "XAPI-00006")
        return
    if not result.keys() <= _RESULT_KEYS:
        _unknown_keys(run, result, _RESULT_KEYS, path)
    get = result.get
    value = get("score", _MISSING)
    if value is not _MISSING:
        _score(run, value, f"{path}/score")
    value = get("success", _MISSING)
    if value is not _MISSING and not isinstance(value, bool):
        _wrong_type(run, f"{path}/success", value, "a boolean", "XAPI-00074")
    value = get("completion", _MISSING)
    if value is not _MISSING and not isinstance(value, bool):
        _wrong_type(run, f"{path}/completion", value, "a boolean", "XAPI-00075")
    value = get("response", _MISSING)
    if value is not _MISSING and not isinstance(value, str):
        _wrong_type(run, f"{path}/response", value, "a string", "XAPI-00076")
    value = get("duration", _MISSING)
    if value is not _MISSING:
        if not isinstance(value, str):
            _wrong_type(run, f"{path}/duration", value, "a string", "XAPI-00077")
        elif not is_duration(value):
            run.add(
                f"{path}/duration",
                "duration.format",
                "duration must be an ISO 8601 duration such as 'PT1H30M', 'PT16559.14S' "
                f"or 'P4W' (weeks cannot be combined); got {describe(value)}.",
                "XAPI-00124",
            )
    value = get("extensions", _MISSING)
    if value is not _MISSING:
        _extensions(run, value, f"{path}/extensions", "XAPI-00078")


# --- context -------------------------------------------------------------------------------------


def _context(run: _Run, context: object, path: str, object_kind: str | None) -> None:
    if not isinstance(context, dict):
        _wrong_type(run, path, context, "a JSON object", "XAPI-00006")
        return
    allowed = _CONTEXT_KEYS_2_0 if run.v2 else _CONTEXT_KEYS_1_0
    if not context.keys() <= allowed:
        if not run.v2:
            for key in _CONTEXT_KEYS_2_0_ONLY:
                if key in context:
                    run.add(
                        f"{path}/{key}",
                        "context.v2-only",
                        f"'{key}' exists only in xAPI 2.0; remove it or validate the "
                        "Statement as version 2.0.0.",
                    )
            allowed = _CONTEXT_KEYS_2_0
        if not context.keys() <= allowed:
            _unknown_keys(run, context, allowed, path)
    get = context.get
    value = get("registration", _MISSING)
    if value is not _MISSING:
        _uuid(run, value, f"{path}/registration", "XAPI-00087-1")
    value = get("instructor", _MISSING)
    if value is not _MISSING:
        _actor(run, value, f"{path}/instructor", "XAPI-00087-2")
    value = get("team", _MISSING)
    if value is not _MISSING:
        _team(run, value, f"{path}/team")
    value = get("contextActivities", _MISSING)
    if value is not _MISSING:
        _context_activities(run, value, f"{path}/contextActivities")
    for key, type_requirement, use_requirement in (
        ("revision", "XAPI-00089", "XAPI-00084"),
        ("platform", "XAPI-00090", "XAPI-00085"),
    ):
        value = get(key, _MISSING)
        if value is _MISSING:
            continue
        if not isinstance(value, str):
            _wrong_type(run, f"{path}/{key}", value, "a string", type_requirement)
        if object_kind is not None and object_kind != "Activity":
            run.add(
                f"{path}/{key}",
                f"context.{key}-activity-only",
                f"'{key}' may only be used when the object is an Activity; "
                f"the object is a {object_kind}.",
                use_requirement,
            )
    value = get("language", _MISSING)
    if value is not _MISSING:
        if not isinstance(value, str):
            _wrong_type(run, f"{path}/language", value, "a string", "XAPI-00091")
        elif not is_language_tag(value):
            run.add(
                f"{path}/language",
                "language-tag.format",
                "language must be an RFC 5646 language tag (e.g. 'en', 'fr-CA'); "
                f"got {describe(value)}.",
                "XAPI-00091",
            )
    value = get("statement", _MISSING)
    if value is not _MISSING:
        _context_statement(run, value, f"{path}/statement")
    value = get("extensions", _MISSING)
    if value is not _MISSING:
        _extensions(run, value, f"{path}/extensions", "XAPI-00120")
    if run.v2:
        value = get("contextAgents", _MISSING)
        if value is not _MISSING:
            _context_agents(run, value, f"{path}/contextAgents")
        value = get("contextGroups", _MISSING)
        if value is not _MISSING:
            _context_groups(run, value, f"{path}/contextGroups")


def _team(run: _Run, team: object, path: str) -> None:
    if not isinstance(team, dict):
        _wrong_type(run, path, team, "a JSON object", "XAPI-00088")
        return
    kind = _actor_kind(run, team, path)
    if kind == "Group":
        _group(run, team, path)
    elif kind == "Agent":
        run.add(
            path,
            "team.group",
            "team must be a Group (objectType 'Group'); got an Agent.",
            "XAPI-00088",
        )


def _context_activities(run: _Run, value: object, path: str) -> None:
    if not isinstance(value, dict):
        _wrong_type(run, path, value, "a JSON object", "XAPI-00086")
        return
    for key, activities in value.items():
        key_path = f"{path}/{pointer_token(key)}"
        if key not in _CONTEXT_ACTIVITY_KEYS:
            run.add(
                key_path,
                "contextActivities.key",
                f"contextActivities keys must be parent, grouping, category or other; "
                f"got {describe(key)}.",
                "XAPI-00093",
            )
            continue
        if isinstance(activities, list):
            for i, activity in enumerate(activities):
                _context_activity(run, activity, f"{key_path}/{i}")
        else:
            _context_activity(run, activities, key_path)


def _context_activity(run: _Run, activity: object, path: str) -> None:
    if not isinstance(activity, dict):
        _wrong_type(run, path, activity, "a JSON object", "XAPI-00094")
        return
    kind = activity.get("objectType", "Activity")
    if kind != "Activity":
        if not isinstance(kind, str):
            _wrong_type(run, f"{path}/objectType", kind, "a string", "XAPI-00094")
        else:
            run.add(
                f"{path}/objectType",
                "contextActivities.value",
                f"A context Activity's objectType must be 'Activity'; got {describe(kind)}.",
                "XAPI-00094",
            )
        return
    _activity(run, activity, path)


def _context_statement(run: _Run, ref: object, path: str) -> None:
    if not isinstance(ref, dict):
        _wrong_type(run, path, ref, "a JSON object", "XAPI-00092")
        return
    kind = ref.get("objectType", _MISSING)
    if kind != "StatementRef":
        run.add(
            f"{path}/objectType",
            "statementref.objectType",
            "context.statement must be a StatementRef with objectType 'StatementRef' "
            f"(case-sensitive); got {'no objectType' if kind is _MISSING else describe(kind)}.",
            "XAPI-00092",
        )
    _statement_ref_body(run, ref, path)


def _relevant_types(run: _Run, value: object, path: str) -> None:
    if not isinstance(value, list):
        _wrong_type(run, path, value, "an array", "XAPI-00006")
        return
    if not value:
        run.add(
            path,
            "relevantTypes.empty",
            "relevantTypes must list at least one IRI; leave it out when there is none.",
        )
    for i, iri in enumerate(value):
        _iri(run, iri, f"{path}/{i}", None)


def _context_agents(run: _Run, value: object, path: str) -> None:
    """Check xAPI 2.0 contextAgents: contextAgent objects, each with one Agent."""
    if not isinstance(value, list):
        _wrong_type(run, path, value, "an array", "XAPI-00006")
        return
    for i, item in enumerate(value):
        item_path = f"{path}/{i}"
        if not isinstance(item, dict):
            _wrong_type(run, item_path, item, "a JSON object", "XAPI-00006")
            continue
        if not item.keys() <= _CONTEXT_AGENT_KEYS:
            _unknown_keys(run, item, _CONTEXT_AGENT_KEYS, item_path)
        kind = item.get("objectType", _MISSING)
        if kind != "contextAgent":
            run.add(
                f"{item_path}/objectType",
                "contextAgent.objectType",
                "A contextAgents item must have objectType 'contextAgent'; got "
                f"{'none' if kind is _MISSING else describe(kind)}.",
            )
        agent = item.get("agent", _MISSING)
        if agent is _MISSING:
            run.add(
                f"{item_path}/agent",
                "key.required",
                "A contextAgent must have an 'agent' (one Agent).",
            )
        else:
            agent_kind = (
                _actor_kind(run, agent, f"{item_path}/agent") if isinstance(agent, dict) else None
            )
            if not isinstance(agent, dict):
                _wrong_type(run, f"{item_path}/agent", agent, "a JSON object", "XAPI-00006")
            elif agent_kind == "Agent":
                _agent(run, agent, f"{item_path}/agent")
            elif agent_kind == "Group":
                run.add(
                    f"{item_path}/agent",
                    "contextAgent.agent",
                    "A contextAgent's 'agent' must be an Agent; use contextGroups for Groups.",
                )
        types = item.get("relevantTypes", _MISSING)
        if types is not _MISSING:
            _relevant_types(run, types, f"{item_path}/relevantTypes")


def _context_groups(run: _Run, value: object, path: str) -> None:
    """Check xAPI 2.0 contextGroups: contextGroup objects, each with one Group."""
    if not isinstance(value, list):
        _wrong_type(run, path, value, "an array", "XAPI-00006")
        return
    for i, item in enumerate(value):
        item_path = f"{path}/{i}"
        if not isinstance(item, dict):
            _wrong_type(run, item_path, item, "a JSON object", "XAPI-00006")
            continue
        if not item.keys() <= _CONTEXT_GROUP_KEYS:
            _unknown_keys(run, item, _CONTEXT_GROUP_KEYS, item_path)
        kind = item.get("objectType", _MISSING)
        if kind != "contextGroup":
            run.add(
                f"{item_path}/objectType",
                "contextGroup.objectType",
                "A contextGroups item must have objectType 'contextGroup'; got "
                f"{'none' if kind is _MISSING else describe(kind)}.",
            )
        group = item.get("group", _MISSING)
        if group is _MISSING:
            run.add(
                f"{item_path}/group",
                "key.required",
                "A contextGroup must have a 'group' (one Group).",
            )
        else:
            group_kind = (
                _actor_kind(run, group, f"{item_path}/group") if isinstance(group, dict) else None
            )
            if not isinstance(group, dict):
                _wrong_type(run, f"{item_path}/group", group, "a JSON object", "XAPI-00006")
            elif group_kind == "Group":
                _group(run, group, f"{item_path}/group")
            elif group_kind == "Agent":
                run.add(
                    f"{item_path}/group",
                    "contextGroup.group",
                    "A contextGroup's 'group' must be a Group (objectType 'Group'); "
                    "use contextAgents for Agents.",
                )
        types = item.get("relevantTypes", _MISSING)
        if types is not _MISSING:
            _relevant_types(run, types, f"{item_path}/relevantTypes")


# --- attachments ---------------------------------------------------------------------------------


def _attachments(run: _Run, value: object, path: str) -> None:
    if not isinstance(value, list):
        _wrong_type(run, path, value, "an array", "XAPI-00025")
        return
    for i, attachment in enumerate(value):
        _attachment(run, attachment, f"{path}/{i}")


def _attachment(run: _Run, attachment: object, path: str) -> None:
    if not isinstance(attachment, dict):
        _wrong_type(run, path, attachment, "a JSON object", "XAPI-00025")
        return
    if not attachment.keys() <= _ATTACHMENT_KEYS:
        _unknown_keys(run, attachment, _ATTACHMENT_KEYS, path)
    get = attachment.get
    for key, requirement in (
        ("usageType", "XAPI-00107"),
        ("display", "XAPI-00106"),
        ("contentType", "XAPI-00105"),
        ("length", "XAPI-00102"),
        ("sha2", "XAPI-00103"),
    ):
        if key not in attachment:
            run.add(
                f"{path}/{key}",
                "key.required",
                f"An attachment must have a '{key}'.",
                requirement,
            )
    value = get("usageType", _MISSING)
    if value is not _MISSING:
        _iri(run, value, f"{path}/usageType", "XAPI-00107")
    value = get("display", _MISSING)
    if value is not _MISSING:
        _language_map(run, value, f"{path}/display", "XAPI-00106")
    value = get("description", _MISSING)
    if value is not _MISSING:
        _language_map(run, value, f"{path}/description", "XAPI-00106")
    value = get("contentType", _MISSING)
    if value is not _MISSING:
        if not isinstance(value, str):
            _wrong_type(run, f"{path}/contentType", value, "a string", "XAPI-00105")
        elif not is_media_type(value):
            run.add(
                f"{path}/contentType",
                "contentType.format",
                "contentType must be an Internet media type such as 'text/plain' or "
                f"'application/pdf'; got {describe(value)}.",
                "XAPI-00105",
            )
    value = get("length", _MISSING)
    if value is not _MISSING:
        if isinstance(value, bool) or not isinstance(value, int | float):
            _wrong_type(run, f"{path}/length", value, "an integer", "XAPI-00102")
        elif (isinstance(value, float) and not value.is_integer()) or value < 0:
            run.add(
                f"{path}/length",
                "length.integer",
                f"length must be a whole number of octets (0 or more); got {describe(value)}.",
                "XAPI-00102",
            )
    value = get("sha2", _MISSING)
    if value is not _MISSING:
        if not isinstance(value, str):
            _wrong_type(run, f"{path}/sha2", value, "a string", "XAPI-00103")
        elif not is_hex_sha2(value):
            run.add(
                f"{path}/sha2",
                "sha2.format",
                "sha2 must be the hex-encoded SHA-2 digest of the attachment "
                f"(56, 64, 96 or 128 hex digits); got {describe(value)}.",
                "XAPI-00103",
            )
    value = get("fileUrl", _MISSING)
    if value is not _MISSING:
        _iri(run, value, f"{path}/fileUrl", "XAPI-00104", "IRL")


# --- the Statement -------------------------------------------------------------------------------


def _statement(run: _Run, st: dict[object, object], path: str, sub: bool) -> None:
    """Check a Statement (``sub`` False) or a SubStatement (``sub`` True) at ``path``."""
    allowed = _SUBSTATEMENT_KEYS if sub else _STATEMENT_KEYS
    if not st.keys() <= allowed:
        if sub:
            for key, requirement in _SUBSTATEMENT_FORBIDDEN.items():
                if key in st:
                    run.add(
                        f"{path}/{key}",
                        "substatement.forbidden-property",
                        f"A SubStatement must not have '{key}'.",
                        requirement,
                    )
            allowed = _SUBSTATEMENT_KEYS_AND_FORBIDDEN
        if not st.keys() <= allowed:
            _unknown_keys(run, st, allowed, path)
    get = st.get

    if not sub:
        value = get("id", _MISSING)
        if value is not _MISSING:
            _uuid(run, value, f"{path}/id", "XAPI-00027")

    value = get("actor", _MISSING)
    if value is _MISSING:
        run.add(
            f"{path}/actor",
            "key.required",
            "A Statement must have an 'actor' (the Agent or Group it is about).",
            "XAPI-00003",
        )
    else:
        _actor(run, value, f"{path}/actor", "XAPI-00006")

    verb_id: str | None = None
    value = get("verb", _MISSING)
    if value is _MISSING:
        run.add(
            f"{path}/verb",
            "key.required",
            "A Statement must have a 'verb'.",
            "XAPI-00004",
        )
    else:
        verb_id = _verb(run, value, f"{path}/verb")

    object_kind: str | None = None
    value = get("object", _MISSING)
    if value is _MISSING:
        run.add(
            f"{path}/object",
            "key.required",
            "A Statement must have an 'object'.",
            "XAPI-00005",
        )
    else:
        object_kind = _object(run, value, f"{path}/object", sub)
        if verb_id == _VOIDED and object_kind != "StatementRef":
            run.add(
                f"{path}/object",
                "voiding.object",
                "A voiding Statement (verb 'http://adlnet.gov/expapi/verbs/voided') must have "
                "a StatementRef as its object, naming the Statement it voids.",
                "XAPI-00020",
            )

    value = get("result", _MISSING)
    if value is not _MISSING:
        _result(run, value, f"{path}/result")
    value = get("context", _MISSING)
    if value is not _MISSING:
        _context(run, value, f"{path}/context", object_kind)
    value = get("timestamp", _MISSING)
    if value is not _MISSING:
        _timestamp(run, value, f"{path}/timestamp", "XAPI-00022")

    if not sub:
        value = get("stored", _MISSING)
        if value is not _MISSING:
            _timestamp(run, value, f"{path}/stored", "XAPI-00022")
        value = get("authority", _MISSING)
        if value is not _MISSING:
            _authority(run, value, f"{path}/authority")
        value = get("version", _MISSING)
        if value is not _MISSING:
            _version(run, value, f"{path}/version")

    value = get("attachments", _MISSING)
    if value is not _MISSING:
        _attachments(run, value, f"{path}/attachments")


def _version(run: _Run, value: object, path: str) -> None:
    if not isinstance(value, str):
        _wrong_type(run, path, value, "a string", "XAPI-00101")
        return
    if _v1_match(value) or (run.v2 and _v2_match(value)):
        return
    accepted = "'1.0', '1.0.x', '2.0' or '2.0.x'" if run.v2 else "'1.0' or '1.0.x'"
    run.add(
        path,
        "version.value",
        f"version must be {accepted} under the xAPI {'2.0' if run.v2 else '1.0.3'} rules; "
        f"got {describe(value)}.",
        "XAPI-00101",
    )
