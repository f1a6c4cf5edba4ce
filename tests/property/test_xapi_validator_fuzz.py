"""Property tests for the xAPI validator: it never raises, and valid Statements validate clean."""

from __future__ import annotations

import copy
import string
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from learningorg.xapi import SUPPORTED_VERSIONS, Problem, validate

# --- arbitrary JSON-like values ------------------------------------------------------------------

json_scalars = (
    st.none()
    | st.booleans()
    | st.integers()
    | st.integers(min_value=-(10**400), max_value=10**400)
    | st.floats(allow_nan=True, allow_infinity=True)
    | st.text(max_size=20)
    | st.sampled_from(["", "mailto:a@b.c", "http://e.com/x", "2024-05-01T12:00:00Z", "PT1H"])
)
json_values = st.recursive(
    json_scalars,
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=12), children, max_size=4)
    ),
    max_leaves=12,
)
versions = st.sampled_from([None, *SUPPORTED_VERSIONS])


def assert_problems(result: object) -> None:
    """``result`` is a list of well-formed Problems, none from the internal-error safety net."""
    assert isinstance(result, list)
    for problem in result:
        assert isinstance(problem, Problem)
        assert isinstance(problem.path, str)
        assert problem.path == "" or problem.path.startswith("/")
        assert problem.rule
        assert problem.rule != "validator.internal-error"
        assert isinstance(problem.message, str)
        assert problem.message
        assert problem.requirement is None or problem.requirement.startswith("XAPI-")


# --- valid Statements ----------------------------------------------------------------------------

words = st.text(alphabet=string.ascii_lowercase + string.digits, min_size=1, max_size=10)
iris = st.builds(
    lambda scheme, host, parts: f"{scheme}://{host}.example.com/" + "/".join(parts),
    st.sampled_from(["http", "https"]),
    words,
    st.lists(words, max_size=3),
)
uuids = st.uuids().map(str)
language_tags = st.sampled_from(["en", "en-US", "de-DE", "zh-Hant", "sr-Latn-RS", "cmn", "es-419"])
language_maps = st.dictionaries(language_tags, st.text(max_size=30), min_size=1, max_size=3)
extensions = st.dictionaries(iris, json_values, max_size=3)
sha1s = st.binary(min_size=20, max_size=20).map(bytes.hex)
sha256s = st.binary(min_size=32, max_size=32).map(bytes.hex)

ifis = st.one_of(
    st.builds(lambda user, host: {"mbox": f"mailto:{user}@{host}.example.com"}, words, words),
    sha1s.map(lambda digest: {"mbox_sha1sum": digest}),
    iris.map(lambda iri: {"openid": iri}),
    st.builds(lambda home, name: {"account": {"homePage": home, "name": name}}, iris, st.text()),
)


@st.composite
def agents(draw: st.DrawFn, object_type_required: bool = False) -> dict[str, Any]:
    """A valid Agent."""
    agent: dict[str, Any] = dict(draw(ifis))
    if object_type_required or draw(st.booleans()):
        agent["objectType"] = "Agent"
    if draw(st.booleans()):
        agent["name"] = draw(st.text(max_size=20))
    return agent


@st.composite
def groups(draw: st.DrawFn) -> dict[str, Any]:
    """A valid identified or anonymous Group."""
    group: dict[str, Any] = {"objectType": "Group"}
    identified = draw(st.booleans())
    if identified:
        group.update(draw(ifis))
    if not identified or draw(st.booleans()):
        group["member"] = draw(st.lists(agents(), min_size=0 if identified else 1, max_size=3))
    return group


actors = st.one_of(agents(), groups())


@st.composite
def activities(draw: st.DrawFn) -> dict[str, Any]:
    """A valid Activity, sometimes with a definition (possibly an interaction)."""
    activity: dict[str, Any] = {"id": draw(iris)}
    if draw(st.booleans()):
        activity["objectType"] = "Activity"
    if draw(st.booleans()):
        definition: dict[str, Any] = {}
        if draw(st.booleans()):
            definition["name"] = draw(language_maps)
        if draw(st.booleans()):
            definition["description"] = draw(language_maps)
        if draw(st.booleans()):
            definition["type"] = draw(iris)
        if draw(st.booleans()):
            definition["moreInfo"] = draw(iris)
        if draw(st.booleans()):
            definition["extensions"] = draw(extensions)
        if draw(st.booleans()):
            kind, lists = draw(
                st.sampled_from(
                    [
                        ("true-false", ()),
                        ("choice", ("choices",)),
                        ("likert", ("scale",)),
                        ("matching", ("source", "target")),
                        ("performance", ("steps",)),
                        ("numeric", ()),
                    ]
                )
            )
            definition["interactionType"] = kind
            definition["correctResponsesPattern"] = draw(st.lists(st.text(), max_size=2))
            for list_name in lists:
                ids = draw(st.lists(words, min_size=1, max_size=4, unique=True))
                definition[list_name] = [{"id": i, "description": draw(language_maps)} for i in ids]
        activity["definition"] = definition
    return activity


@st.composite
def scores(draw: st.DrawFn) -> dict[str, Any]:
    """A consistent score: min < max and raw between them."""
    low = draw(st.integers(-1000, 1000))
    high = low + draw(st.integers(1, 1000))
    score: dict[str, Any] = {
        "scaled": draw(st.floats(-1, 1)),
        "raw": draw(st.integers(low, high)),
    }
    if draw(st.booleans()):
        score["min"] = low
        score["max"] = high
    return score


durations = st.sampled_from(["PT1H0M0S", "PT4H35M59.14S", "P3Y1M29DT4H35M59.14S", "P4W", "PT0S"])


@st.composite
def results(draw: st.DrawFn) -> dict[str, Any]:
    """A valid Result."""
    result: dict[str, Any] = {}
    if draw(st.booleans()):
        result["score"] = draw(scores())
    if draw(st.booleans()):
        result["success"] = draw(st.booleans())
    if draw(st.booleans()):
        result["completion"] = draw(st.booleans())
    if draw(st.booleans()):
        result["response"] = draw(st.text(max_size=30))
    if draw(st.booleans()):
        result["duration"] = draw(durations)
    if draw(st.booleans()):
        result["extensions"] = draw(extensions)
    return result


@st.composite
def timestamps(draw: st.DrawFn) -> str:
    """An RFC 3339 timestamp, which both the 1.0.3 and the 2.0 rules accept."""
    moment = draw(st.datetimes(min_value=datetime(1900, 1, 1), max_value=datetime(2200, 1, 1)))
    offset = draw(st.integers(-14 * 60, 14 * 60).filter(lambda m: m % 15 == 0))
    zone = UTC if offset == 0 else timezone(timedelta(minutes=offset))
    text = moment.replace(tzinfo=zone).isoformat(timespec="milliseconds")
    return text.replace("+00:00", "Z") if draw(st.booleans()) else text


@st.composite
def contexts(draw: st.DrawFn, object_is_activity: bool, v2: bool) -> dict[str, Any]:
    """A valid Context for an object of the given kind."""
    context: dict[str, Any] = {}
    if draw(st.booleans()):
        context["registration"] = draw(uuids)
    if draw(st.booleans()):
        context["instructor"] = draw(actors)
    if draw(st.booleans()):
        context["team"] = draw(groups())
    if draw(st.booleans()):
        context["contextActivities"] = {
            key: draw(st.one_of(activities(), st.lists(activities(), max_size=2)))
            for key in draw(st.sets(st.sampled_from(["parent", "grouping", "category", "other"])))
        }
    if object_is_activity and draw(st.booleans()):
        context["revision"] = draw(st.text(max_size=10))
    if object_is_activity and draw(st.booleans()):
        context["platform"] = draw(st.text(max_size=10))
    if draw(st.booleans()):
        context["language"] = draw(language_tags)
    if draw(st.booleans()):
        context["statement"] = {"objectType": "StatementRef", "id": draw(uuids)}
    if draw(st.booleans()):
        context["extensions"] = draw(extensions)
    if v2 and draw(st.booleans()):
        context["contextAgents"] = [
            {"objectType": "contextAgent", "agent": draw(agents()), "relevantTypes": [draw(iris)]}
        ]
    if v2 and draw(st.booleans()):
        context["contextGroups"] = [{"objectType": "contextGroup", "group": draw(groups())}]
    return context


@st.composite
def attachments(draw: st.DrawFn) -> dict[str, Any]:
    """A valid Attachment."""
    attachment: dict[str, Any] = {
        "usageType": draw(iris),
        "display": draw(language_maps),
        "contentType": draw(st.sampled_from(["text/plain", "application/pdf", "image/png"])),
        "length": draw(st.integers(0, 10**9)),
        "sha2": draw(sha256s),
    }
    if draw(st.booleans()):
        attachment["fileUrl"] = draw(iris)
    return attachment


@st.composite
def statements(draw: st.DrawFn, v2: bool, sub: bool = False) -> dict[str, Any]:
    """A valid Statement (or SubStatement) under the 1.0.3 rules, or the 2.0 rules if ``v2``."""
    statement: dict[str, Any] = {
        "actor": draw(actors),
        "verb": {"id": draw(iris)},
    }
    if draw(st.booleans()):
        statement["verb"]["display"] = draw(language_maps)
    object_kinds = ["Activity", "Agent", "Group", "StatementRef"] + ([] if sub else ["Sub"])
    kind = draw(st.sampled_from(object_kinds))
    if kind == "Activity":
        statement["object"] = draw(activities())
    elif kind == "Agent":
        statement["object"] = draw(agents(object_type_required=True))
    elif kind == "Group":
        statement["object"] = draw(groups())
    elif kind == "StatementRef":
        statement["object"] = {"objectType": "StatementRef", "id": draw(uuids)}
    else:
        statement["object"] = {"objectType": "SubStatement", **draw(statements(v2, sub=True))}
    if draw(st.booleans()):
        statement["result"] = draw(results())
    if draw(st.booleans()):
        statement["context"] = draw(contexts(kind == "Activity", v2))
    if draw(st.booleans()):
        statement["timestamp"] = draw(timestamps())
    if draw(st.booleans()):
        statement["attachments"] = draw(st.lists(attachments(), max_size=2))
    if not sub:
        if draw(st.booleans()):
            statement["id"] = draw(uuids)
        if draw(st.booleans()):
            statement["stored"] = draw(timestamps())
        if draw(st.booleans()):
            statement["authority"] = draw(agents())
        if draw(st.booleans()):
            statement["version"] = "2.0.0" if v2 else draw(st.sampled_from(["1.0.0", "1.0.3"]))
    return statement


@settings(max_examples=150, suppress_health_check=[HealthCheck.too_slow])
@given(statements(v2=False))
def test_generated_1_0_statements_are_valid(statement: dict[str, Any]) -> None:
    """Statements built from the 1.0.3 data model validate clean under 1.0.3 and 2.0."""
    assert validate(statement) == []
    assert validate(statement, version="2.0.0") == []


@settings(max_examples=100, suppress_health_check=[HealthCheck.too_slow])
@given(statements(v2=True))
def test_generated_2_0_statements_are_valid(statement: dict[str, Any]) -> None:
    """Statements built from the 2.0 data model (contextAgents, contextGroups) validate clean."""
    assert validate(statement, version="2.0.0") == []


# --- mutations -----------------------------------------------------------------------------------


def locations(value: Any, max_depth: int = 12) -> list[tuple[Any, ...]]:
    """Paths into ``value`` (dict keys and list indexes) down to ``max_depth``, root included."""
    found: list[tuple[Any, ...]] = []
    pending: list[tuple[tuple[Any, ...], Any]] = [((), value)]
    while pending:
        path, item = pending.pop()
        found.append(path)
        if len(path) >= max_depth:
            continue
        if isinstance(item, dict):
            pending.extend(((*path, key), child) for key, child in item.items())
        elif isinstance(item, list):
            pending.extend(((*path, index), child) for index, child in enumerate(item))
    return found


def replace_at(root: Any, path: tuple[Any, ...], make: Any) -> Any:
    """Return ``root`` with the value at ``path`` replaced by ``make(old_value)``."""
    if not path:
        return make(root)
    parent = root
    for step in path[:-1]:
        parent = parent[step]
    parent[path[-1]] = make(parent[path[-1]])
    return root


def nest(value: Any, depth: int, in_dicts: bool) -> Any:
    """Wrap ``value`` in ``depth`` levels of single-item arrays or objects."""
    for _ in range(depth):
        value = {"objectType": value} if in_dicts else [value]
    return value


@st.composite
def mutated_statements(draw: st.DrawFn) -> tuple[Any, str | None]:
    """A valid Statement with one to three random mutations applied, and a version."""
    statement: Any = copy.deepcopy(draw(statements(v2=draw(st.booleans()))))
    for _ in range(draw(st.integers(1, 3))):
        path = draw(st.sampled_from(locations(statement)))
        action = draw(st.sampled_from(["drop", "replace", "wrap", "nest", "null", "key"]))
        if action == "drop" and path:
            parent = statement
            for step in path[:-1]:
                parent = parent[step]
            del parent[path[-1]]
        elif action == "replace":
            new = draw(json_values)
            statement = replace_at(statement, path, lambda _old, new=new: new)
        elif action == "wrap":
            statement = replace_at(statement, path, lambda old: [old])
        elif action == "nest":
            depth = draw(st.integers(1, 3000))
            in_dicts = draw(st.booleans())
            statement = replace_at(
                statement,
                path,
                lambda old, depth=depth, in_dicts=in_dicts: nest(old, depth, in_dicts),
            )
        elif action == "null":
            statement = replace_at(statement, path, lambda _old: None)
        elif action == "key":
            target = statement
            for step in path:
                target = target[step]
            if isinstance(target, dict):
                target[draw(st.text(max_size=12))] = draw(json_values)
    return statement, draw(versions)


@settings(max_examples=200, suppress_health_check=[HealthCheck.too_slow])
@given(mutated_statements())
def test_mutated_statements_never_raise(case: tuple[Any, str | None]) -> None:
    """Dropping keys, replacing values, wrapping and deep nesting never make validate raise."""
    statement, version = case
    assert_problems(validate(statement, version=version))


@settings(max_examples=300)
@given(json_values, versions)
def test_arbitrary_json_never_raises(value: Any, version: str | None) -> None:
    """Any JSON value, as a whole Statement, yields a list of Problems."""
    result = validate(value, version=version)
    assert_problems(result)
    if not isinstance(value, dict):
        assert [p.rule for p in result] == ["statement.type"]


@settings(max_examples=200)
@given(st.dictionaries(st.sampled_from(["actor", "verb", "object", "context"]), json_values))
def test_arbitrary_values_in_statement_slots_never_raise(statement: dict[str, Any]) -> None:
    """Random values in the main Statement slots yield Problems, never an exception."""
    assert_problems(validate(statement))
    assert_problems(validate(statement, version="2.0.0"))


@settings(max_examples=50, deadline=None)
@given(st.integers(1, 20_000), st.sampled_from(["actor", "object", "context", "result"]))
def test_deep_nesting_in_any_slot_never_raises(depth: int, slot: str) -> None:
    """Thousands of nesting levels in a Statement slot are reported without recursion errors."""
    value: Any = {}
    for _ in range(depth):
        value = {"objectType": "SubStatement", "object": value, "member": [value]}
    statement = {
        "actor": {"mbox": "mailto:a@example.com"},
        "verb": {"id": "http://example.com/v"},
        "object": {"id": "http://example.com/a"},
    }
    statement[slot] = value
    assert_problems(validate(statement))
