"""Hand-written cases for the xAPI Statement validator, one behaviour per test."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from learningorg.interop.xapi import SUPPORTED_VERSIONS as INTEROP_VERSIONS
from learningorg.interop.xapi import Problem as InteropProblem
from learningorg.interop.xapi import validate as interop_validate
from learningorg.xapi import SUPPORTED_VERSIONS, Problem, validate

UUID = "fd41c918-b88b-4b20-a0a5-a4c32391aaa0"
SHA1 = "cd9b00a5611f94eaa7b1661edab976068e364975"
SHA256 = "495395e777cd98da653df9615d09c0fd6bb2f8d4788394cd53c56a3bfdcd848a"
VOIDED = "http://adlnet.gov/expapi/verbs/voided"


def statement(**changes: Any) -> dict[str, Any]:
    """A small valid Statement with top-level properties replaced or added."""
    base: dict[str, Any] = {
        "id": UUID,
        "actor": {"objectType": "Agent", "name": "Ada", "mbox": "mailto:ada@example.com"},
        "verb": {"id": "http://adlnet.gov/expapi/verbs/attended", "display": {"en-US": "attended"}},
        "object": {
            "objectType": "Activity",
            "id": "http://example.com/activities/meeting-1",
            "definition": {
                "name": {"en": "Meeting"},
                "type": "http://adlnet.gov/expapi/activities/meeting",
            },
        },
        "timestamp": "2024-05-01T12:30:00.000Z",
    }
    base.update(copy.deepcopy(changes))
    return base


def with_context(**context: Any) -> dict[str, Any]:
    """A valid Statement with the given context."""
    return statement(context=context)


def with_result(**result: Any) -> dict[str, Any]:
    """A valid Statement with the given result."""
    return statement(result=result)


def attachment(**changes: Any) -> dict[str, Any]:
    """A valid attachment with properties replaced (a value of ... removes the property)."""
    base: dict[str, Any] = {
        "usageType": "http://example.com/attachment-usage/test",
        "display": {"en-US": "A test attachment"},
        "contentType": "text/plain; charset=ascii",
        "length": 27,
        "sha2": SHA256,
        "fileUrl": "http://example.com/file.txt",
    }
    base.update(changes)
    return {k: v for k, v in base.items() if v is not ...}


def rules(problems: list[Problem]) -> set[str]:
    """The rule names of ``problems``."""
    return {p.rule for p in problems}


def paths(problems: list[Problem]) -> set[str]:
    """The paths of ``problems``."""
    return {p.path for p in problems}


def only(problems: list[Problem], rule: str, path: str) -> Problem:
    """Assert ``problems`` is exactly one problem with ``rule`` at ``path``; return it."""
    assert [(p.rule, p.path) for p in problems] == [(rule, path)], problems
    return problems[0]


# --- the API -------------------------------------------------------------------------------------


def test_valid_statement_has_no_problems() -> None:
    """A small complete Statement validates to an empty list."""
    assert validate(statement()) == []


def test_public_module_reexports_the_interop_validator() -> None:
    """learningorg.xapi re-exports the same validate, Problem and versions as the interop layer."""
    assert validate is interop_validate
    assert Problem is InteropProblem
    assert SUPPORTED_VERSIONS == INTEROP_VERSIONS == ("1.0.3", "2.0.0")


def test_problem_is_a_frozen_slotted_dataclass() -> None:
    """Problem instances are immutable and have no __dict__."""
    problem = Problem("/actor", "ifi.exactly-one", "message", "XAPI-00034")
    with pytest.raises(AttributeError):
        problem.rule = "other"  # type: ignore[misc]
    assert not hasattr(problem, "__dict__")


def test_problem_requirement_defaults_to_none() -> None:
    """A Problem built without a requirement id has requirement None."""
    assert Problem("", "x", "y").requirement is None


@pytest.mark.parametrize("value", [None, [], [statement()], "statement", 3, 2.5, True])
def test_non_object_statement_is_one_problem(value: object) -> None:
    """Anything but a JSON object is reported once at the root path."""
    only(validate(value), "statement.type", "")


def test_unsupported_version_argument_is_reported() -> None:
    """A version argument other than 1.0.x or 2.0.x is a problem, not an exception."""
    only(validate(statement(), version="0.95"), "version.unsupported", "")


@pytest.mark.parametrize("version", ["1.0.3", "2.0.0", "1.0", "2.0"])
def test_supported_version_arguments_are_accepted(version: str) -> None:
    """The version argument accepts 1.0.3 and 2.0.0 (and their 1.0/2.0 families)."""
    assert validate(statement(), version=version) == []


def test_messages_name_the_offending_value() -> None:
    """A message quotes the value it rejects."""
    problem = only(
        validate(statement(actor={"mbox": "http://not-mail.example.com"})),
        "mbox.format",
        "/actor/mbox",
    )
    assert "'http://not-mail.example.com'" in problem.message


def test_long_values_are_truncated_in_messages() -> None:
    """A very long offending value is shortened in the message."""
    long_iri = "not an iri " * 1000
    problem = only(validate(statement(verb={"id": long_iri})), "iri.format", "/verb/id")
    assert len(problem.message) < 400
    assert "11000 characters" in problem.message


# --- statement keys ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("key", "requirement"),
    [("actor", "XAPI-00003"), ("verb", "XAPI-00004"), ("object", "XAPI-00005")],
)
def test_required_statement_properties(key: str, requirement: str) -> None:
    """actor, verb and object are required."""
    st = statement()
    del st[key]
    problem = only(validate(st), "key.required", f"/{key}")
    assert problem.requirement == requirement


def test_unknown_top_level_key_is_rejected() -> None:
    """A top-level key the spec does not define is rejected."""
    only(validate(statement(objectType="statementref")), "key.unknown", "/objectType")


def test_wrong_case_key_is_rejected_with_a_hint() -> None:
    """A key in the wrong case is unknown, and the message suggests the right spelling."""
    problem = only(validate(statement(Version="1.0.0")), "key.unknown", "/Version")
    assert "'version'" in problem.message
    assert problem.requirement == "XAPI-00008"


def test_null_value_is_rejected() -> None:
    """null is not allowed as a property value outside extensions."""
    problem = only(validate(statement(timestamp=None)), "value.null", "/timestamp")
    assert problem.requirement == "XAPI-00001"


@pytest.mark.parametrize(
    "value", [12345, {"key": "x"}, "AA97B177-9383-4934-8543-0F91A7A028368", "not-a-uuid"]
)
def test_statement_id_must_be_a_uuid(value: object) -> None:
    """The Statement id must be a UUID string in standard form."""
    assert paths(validate(statement(id=value))) == {"/id"}


def test_uppercase_uuid_is_accepted() -> None:
    """UUIDs are hex digits in either case."""
    assert validate(statement(id="AA97B177-9383-4934-8543-0F91A7A02836")) == []


# --- agents and groups ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "ifi",
    [
        {"mbox": "mailto:ada@example.com"},
        {"mbox_sha1sum": SHA1},
        {"openid": "http://openid.example.org/12345"},
        {"account": {"homePage": "http://www.example.com", "name": "1625378"}},
    ],
)
def test_agent_with_one_ifi_is_valid(ifi: dict[str, Any]) -> None:
    """Each of the four IFIs alone identifies an Agent."""
    assert validate(statement(actor=ifi)) == []


def test_agent_without_ifi_is_rejected() -> None:
    """An Agent needs an inverse functional identifier."""
    problem = only(validate(statement(actor={"name": "Ada"})), "ifi.exactly-one", "/actor")
    assert problem.requirement == "XAPI-00034"


def test_agent_with_two_ifis_is_rejected() -> None:
    """An Agent must not have more than one IFI."""
    problem = only(
        validate(statement(actor={"mbox": "mailto:a@example.com", "mbox_sha1sum": SHA1})),
        "ifi.exactly-one",
        "/actor",
    )
    assert "mbox, mbox_sha1sum" in problem.message


def test_agent_objecttype_must_be_exact() -> None:
    """An actor's objectType must be exactly 'Agent' or 'Group'."""
    st = statement(actor={"objectType": "agent", "mbox": "mailto:a@example.com"})
    problem = only(validate(st), "objectType.value", "/actor/objectType")
    assert problem.requirement == "XAPI-00031"


def test_agent_objecttype_must_be_a_string() -> None:
    """A non-string objectType is a type error."""
    st = statement(actor={"objectType": 1, "mbox": "mailto:a@example.com"})
    only(validate(st), "type.string", "/actor/objectType")


def test_agent_name_must_be_a_string() -> None:
    """An Agent's name is a string."""
    st = statement(actor={"name": 5, "mbox": "mailto:a@example.com"})
    only(validate(st), "type.string", "/actor/name")


@pytest.mark.parametrize("mbox", ["xapi@adlnet.gov", "mailto:should.fail.com", "mailto:", ""])
def test_mbox_must_be_a_mailto_iri(mbox: str) -> None:
    """mbox is 'mailto:' followed by an e-mail address."""
    only(validate(statement(actor={"mbox": mbox})), "mbox.format", "/actor/mbox")


@pytest.mark.parametrize("digest", ["abc", SHA1 + "0", "zz" * 20])
def test_mbox_sha1sum_must_be_forty_hex_digits(digest: str) -> None:
    """mbox_sha1sum is a hex SHA-1 digest."""
    st = statement(actor={"mbox_sha1sum": digest})
    only(validate(st), "mbox_sha1sum.format", "/actor/mbox_sha1sum")


def test_openid_must_be_a_uri() -> None:
    """openid must be an absolute URI."""
    st = statement(actor={"openid": "ab=c://should.fail.com"})
    only(validate(st), "iri.format", "/actor/openid")


def test_account_needs_homepage() -> None:
    """An account without homePage is rejected."""
    st = statement(actor={"account": {"name": "x"}})
    problem = only(validate(st), "account.homepage-required", "/actor/account/homePage")
    assert problem.requirement == "XAPI-00042"


def test_account_homepage_must_be_an_irl() -> None:
    """An account's homePage must be an IRL."""
    st = statement(actor={"account": {"homePage": "www.example.com", "name": "x"}})
    only(validate(st), "irl.format", "/actor/account/homePage")


def test_account_needs_name() -> None:
    """An account without name is rejected."""
    st = statement(actor={"account": {"homePage": "http://example.com"}})
    problem = only(validate(st), "account.name-required", "/actor/account/name")
    assert problem.requirement == "XAPI-00043"


def test_account_name_must_be_a_string() -> None:
    """An account's name is a string."""
    st = statement(actor={"account": {"homePage": "http://example.com", "name": {"k": "v"}}})
    only(validate(st), "type.string", "/actor/account/name")


def test_identified_group_without_members_is_valid() -> None:
    """An identified Group may leave out member."""
    assert validate(statement(actor={"objectType": "Group", "mbox": "mailto:t@example.com"})) == []


def test_anonymous_group_with_members_is_valid() -> None:
    """An anonymous Group lists its Agents in member."""
    group = {"objectType": "Group", "member": [{"mbox": "mailto:a@example.com"}]}
    assert validate(statement(actor=group)) == []


def test_anonymous_group_needs_members() -> None:
    """A Group without IFI and without member is rejected."""
    problem = only(
        validate(statement(actor={"objectType": "Group", "name": "Team"})),
        "group.member-required",
        "/actor",
    )
    assert problem.requirement == "XAPI-00035"


def test_identified_group_with_two_ifis_is_rejected() -> None:
    """An identified Group has exactly one IFI."""
    group = {"objectType": "Group", "mbox": "mailto:t@example.com", "openid": "http://o.org/1"}
    problem = only(validate(statement(actor=group)), "ifi.exactly-one", "/actor")
    assert problem.requirement == "XAPI-00037"


def test_group_member_must_be_an_array() -> None:
    """member is an array of Agents."""
    group = {"objectType": "Group", "mbox": "mailto:t@example.com", "member": {"mbox": "x"}}
    only(validate(statement(actor=group)), "type.array", "/actor/member")


def test_group_members_must_be_valid_agents() -> None:
    """Each member is checked as an Agent."""
    group = {"objectType": "Group", "member": [{"mbox": "mailto:a@example.com"}, {"name": "B"}]}
    only(validate(statement(actor=group)), "ifi.exactly-one", "/actor/member/1")


def test_group_cannot_contain_a_group() -> None:
    """A Group's members must be Agents, not Groups."""
    inner = {"objectType": "Group", "mbox": "mailto:i@example.com"}
    group = {"objectType": "Group", "member": [inner]}
    only(validate(statement(actor=group)), "group.member-not-agent", "/actor/member/0/objectType")


def test_agent_must_not_have_member() -> None:
    """member is not a property of an Agent."""
    agent = {"mbox": "mailto:a@example.com", "member": []}
    only(validate(statement(actor=agent)), "key.unknown", "/actor/member")


# --- verb ----------------------------------------------------------------------------------------


def test_verb_needs_an_id() -> None:
    """A Verb without id is rejected."""
    problem = only(validate(statement(verb={"display": {"en": "x"}})), "key.required", "/verb/id")
    assert problem.requirement == "XAPI-00044"


@pytest.mark.parametrize("verb_id", ["attended", "ab=c://x", "http://exa mple.com", "/a/b"])
def test_verb_id_must_be_an_iri(verb_id: str) -> None:
    """A Verb id must be an absolute IRI with a scheme and no spaces."""
    only(validate(statement(verb={"id": verb_id})), "iri.format", "/verb/id")


def test_non_ascii_iri_is_accepted() -> None:
    """IRIs may contain characters outside ASCII."""
    assert validate(statement(verb={"id": "http://example.com/فعل/خواندن"})) == []


def test_verb_display_must_be_a_language_map() -> None:
    """display is a language map, not a string."""
    st = statement(verb={"id": "http://example.com/v", "display": "attended"})
    only(validate(st), "type.object", "/verb/display")


def test_verb_must_be_an_object() -> None:
    """verb is a JSON object."""
    only(validate(statement(verb="http://example.com/v")), "type.object", "/verb")


# --- language maps and tags ----------------------------------------------------------------------


@pytest.mark.parametrize(
    "tag", ["en", "de-DE", "zh-Hant", "sr-Latn-RS", "cmn", "es-419", "x-private", "i-klingon"]
)
def test_valid_language_tags_are_accepted(tag: str) -> None:
    """RFC 5646 tags of every shape are accepted as language map keys."""
    assert validate(statement(verb={"id": "http://e.com/v", "display": {tag: "x"}})) == []


@pytest.mark.parametrize("tag", ["something", "a12345", "en_US", "", "en-", "e"])
def test_invalid_language_tags_are_rejected(tag: str) -> None:
    """Keys that are not RFC 5646 tags are rejected."""
    st = statement(verb={"id": "http://e.com/v", "display": {tag: "x"}})
    problem = only(validate(st), "language-map.key", f"/verb/display/{tag}")
    assert problem.requirement == "XAPI-00121"


def test_language_map_values_must_be_strings() -> None:
    """A language map's values are strings."""
    st = statement(verb={"id": "http://e.com/v", "display": {"en": 5}})
    only(validate(st), "type.string", "/verb/display/en")


def test_context_language_must_be_a_tag() -> None:
    """context.language is an RFC 5646 tag."""
    only(validate(with_context(language="something")), "language-tag.format", "/context/language")


# --- objects -------------------------------------------------------------------------------------


def test_object_without_objecttype_is_an_activity() -> None:
    """An object with no objectType is an Activity and needs an id."""
    only(validate(statement(object={"definition": {}})), "key.required", "/object/id")


@pytest.mark.parametrize("object_type", ["activity", "agent", "statementref", "Person"])
def test_object_objecttype_must_be_known_and_exact(object_type: str) -> None:
    """The object's objectType is one of five case-sensitive values."""
    obj = {"objectType": object_type, "id": "http://example.com/a"}
    problem = only(validate(statement(object=obj)), "objectType.value", "/object/objectType")
    assert problem.requirement == "XAPI-00046"


def test_activity_id_must_be_an_iri() -> None:
    """An Activity id is an IRI."""
    only(validate(statement(object={"id": "ab=c://x"})), "iri.format", "/object/id")


def test_activity_definition_must_be_an_object() -> None:
    """An Activity's definition is a JSON object."""
    st = statement(object={"id": "http://e.com/a", "definition": "x"})
    only(validate(st), "type.object", "/object/definition")


@pytest.mark.parametrize(
    ("key", "value", "rule"),
    [
        ("name", "Meeting", "type.object"),
        ("description", 5, "type.object"),
        ("type", "meeting", "iri.format"),
        ("moreInfo", "should error", "irl.format"),
        ("extensions", "x", "type.object"),
        ("lang", "en", "key.unknown"),
    ],
)
def test_activity_definition_properties(key: str, value: object, rule: str) -> None:
    """Definition properties have their types and formats checked."""
    st = statement(object={"id": "http://e.com/a", "definition": {key: value}})
    only(validate(st), rule, f"/object/definition/{key}")


def test_agent_as_object_is_checked_as_agent() -> None:
    """An Agent object is held to the Agent rules."""
    st = statement(object={"objectType": "Agent", "name": "Bo"})
    only(validate(st), "ifi.exactly-one", "/object")


def test_group_as_object_is_valid() -> None:
    """An identified Group can be the object."""
    st = statement(object={"objectType": "Group", "mbox": "mailto:t@example.com"})
    assert validate(st) == []


# --- interactions --------------------------------------------------------------------------------


def interaction(**definition: Any) -> dict[str, Any]:
    """A Statement whose object is an interaction Activity with ``definition``."""
    return statement(object={"id": "http://e.com/q1", "definition": definition})


@pytest.mark.parametrize(
    ("interaction_type", "lists"),
    [
        ("true-false", {}),
        ("choice", {"choices": [{"id": "a"}, {"id": "b"}]}),
        ("fill-in", {}),
        ("long-fill-in", {}),
        ("matching", {"source": [{"id": "a"}], "target": [{"id": "1"}]}),
        ("performance", {"steps": [{"id": "s1", "description": {"en": "Step"}}]}),
        ("sequencing", {"choices": [{"id": "a"}]}),
        ("likert", {"scale": [{"id": "likert_0"}]}),
        ("numeric", {}),
        ("other", {}),
    ],
)
def test_interaction_types_with_their_component_lists(
    interaction_type: str, lists: dict[str, Any]
) -> None:
    """Every interactionType is accepted with the component lists it supports."""
    st = interaction(interactionType=interaction_type, correctResponsesPattern=["a"], **lists)
    assert validate(st) == []


def test_interaction_type_is_case_sensitive() -> None:
    """interactionType values must match exactly; the message names the right one."""
    problem = only(
        validate(interaction(interactionType="Choice")),
        "interactionType.value",
        "/object/definition/interactionType",
    )
    assert problem.requirement == "XAPI-00009"
    assert "'choice'" in problem.message


def test_unknown_interaction_type_is_rejected() -> None:
    """An interactionType outside the ten values is rejected."""
    problem = only(
        validate(interaction(interactionType="essay")),
        "interactionType.value",
        "/object/definition/interactionType",
    )
    assert problem.requirement == "XAPI-00049"


def test_component_list_must_match_interaction_type() -> None:
    """A component list the interactionType does not support is rejected."""
    st = interaction(interactionType="true-false", choices=[{"id": "a"}])
    only(validate(st), "interaction.component-list", "/object/definition/choices")


def test_component_lists_need_an_interaction_type() -> None:
    """An interaction Activity without interactionType is rejected."""
    st = interaction(correctResponsesPattern=["a"])
    only(validate(st), "interaction.type-required", "/object/definition/interactionType")


def test_component_ids_must_be_distinct() -> None:
    """Ids within one component list are unique."""
    st = interaction(interactionType="choice", choices=[{"id": "a"}, {"id": "a"}])
    only(validate(st), "interaction.component-id-unique", "/object/definition/choices/1/id")


def test_component_needs_an_id() -> None:
    """An interaction component has an id."""
    st = interaction(interactionType="likert", scale=[{"description": {"en": "ok"}}])
    only(validate(st), "key.required", "/object/definition/scale/0/id")


def test_correct_responses_pattern_is_an_array_of_strings() -> None:
    """correctResponsesPattern holds strings."""
    st = interaction(interactionType="numeric", correctResponsesPattern=[4])
    only(validate(st), "type.string", "/object/definition/correctResponsesPattern/0")


# --- statement references, substatements and voiding ---------------------------------------------


def test_statement_ref_object_is_valid() -> None:
    """A StatementRef with a UUID id is a valid object."""
    assert validate(statement(object={"objectType": "StatementRef", "id": UUID})) == []


def test_statement_ref_needs_an_id() -> None:
    """A StatementRef without id is rejected."""
    problem = only(
        validate(statement(object={"objectType": "StatementRef"})), "key.required", "/object/id"
    )
    assert problem.requirement == "XAPI-00072"


def test_statement_ref_id_must_be_a_uuid() -> None:
    """A StatementRef's id is a UUID."""
    st = statement(object={"objectType": "StatementRef", "id": "should fail"})
    only(validate(st), "uuid.format", "/object/id")


def test_statement_ref_has_no_other_properties() -> None:
    """A StatementRef has only objectType and id."""
    st = statement(object={"objectType": "StatementRef", "id": UUID, "definition": {}})
    only(validate(st), "key.unknown", "/object/definition")


def substatement(**changes: Any) -> dict[str, Any]:
    """A valid SubStatement with properties replaced or added."""
    sub: dict[str, Any] = {
        "objectType": "SubStatement",
        "actor": {"mbox": "mailto:bo@example.com"},
        "verb": {"id": "http://example.com/visited"},
        "object": {"id": "http://example.com/website"},
    }
    sub.update(changes)
    return sub


def test_substatement_is_valid_object() -> None:
    """A SubStatement with actor, verb and object is a valid object."""
    assert validate(statement(object=substatement())) == []


@pytest.mark.parametrize(
    ("key", "value", "requirement"),
    [
        ("id", UUID, "XAPI-00070"),
        ("stored", "2024-05-01T12:30:00Z", "XAPI-00069"),
        ("version", "1.0.0", "XAPI-00068"),
        ("authority", {"mbox": "mailto:a@example.com"}, "XAPI-00067"),
    ],
)
def test_substatement_forbidden_properties(key: str, value: object, requirement: str) -> None:
    """A SubStatement must not have id, stored, version or authority."""
    problem = only(
        validate(statement(object=substatement(**{key: value}))),
        "substatement.forbidden-property",
        f"/object/{key}",
    )
    assert problem.requirement == requirement


def test_substatement_cannot_nest() -> None:
    """A SubStatement's object cannot be a SubStatement."""
    st = statement(object=substatement(object=substatement()))
    only(validate(st), "substatement.nested", "/object/object/objectType")


def test_substatement_follows_statement_rules() -> None:
    """A SubStatement's parts are validated like a Statement's."""
    st = statement(object=substatement(actor={"name": "no ifi"}))
    only(validate(st), "ifi.exactly-one", "/object/actor")


def test_substatement_needs_actor() -> None:
    """A SubStatement must have an actor."""
    sub = substatement()
    del sub["actor"]
    only(validate(statement(object=sub)), "key.required", "/object/actor")


def test_substatement_timestamp_may_be_in_the_future() -> None:
    """A SubStatement's timestamp may lie in the future."""
    assert validate(statement(object=substatement(timestamp="2099-01-01T00:00:00Z"))) == []


def test_voiding_statement_needs_statement_ref() -> None:
    """The voided verb requires a StatementRef object."""
    st = statement(verb={"id": VOIDED})
    problem = only(validate(st), "voiding.object", "/object")
    assert problem.requirement == "XAPI-00020"


def test_voiding_statement_with_statement_ref_is_valid() -> None:
    """A voiding Statement naming a StatementRef is valid."""
    st = statement(verb={"id": VOIDED}, object={"objectType": "StatementRef", "id": UUID})
    assert validate(st) == []


def test_voiding_rule_applies_inside_substatement() -> None:
    """A SubStatement using the voided verb also needs a StatementRef object."""
    st = statement(object=substatement(verb={"id": VOIDED}))
    only(validate(st), "voiding.object", "/object/object")


# --- result --------------------------------------------------------------------------------------


def test_full_result_is_valid() -> None:
    """A result using every property validates."""
    result = {
        "score": {"scaled": 0.95, "raw": 95, "min": 0, "max": 100},
        "success": True,
        "completion": False,
        "response": "We agreed on some example actions.",
        "duration": "PT1H0M0S",
        "extensions": {"http://example.com/ext": None},
    }
    assert validate(statement(result=result)) == []


@pytest.mark.parametrize("scaled", [-1, 1, 0, 0.5, -1.0])
def test_scaled_within_range_is_valid(scaled: float) -> None:
    """scaled is accepted from -1 to 1 inclusive, 0 included."""
    assert validate(with_result(score={"scaled": scaled})) == []


@pytest.mark.parametrize("scaled", [1.01, -1.0001, 100])
def test_scaled_out_of_range_is_rejected(scaled: float) -> None:
    """scaled outside [-1, 1] is rejected."""
    problem = only(
        validate(with_result(score={"scaled": scaled})),
        "score.scaled-range",
        "/result/score/scaled",
    )
    assert problem.requirement == "XAPI-00083"


@pytest.mark.parametrize("value", [True, False, "0.5", None])
def test_score_values_must_be_numbers(value: object) -> None:
    """Booleans, strings and null are not numbers."""
    problems = validate(with_result(score={"raw": value}))
    assert paths(problems) == {"/result/score/raw"}
    assert rules(problems) <= {"type.number", "value.null"}


@pytest.mark.parametrize("value", [float("nan"), float("inf"), float("-inf")])
def test_score_values_must_be_finite(value: float) -> None:
    """NaN and infinities are rejected, not compared."""
    only(validate(with_result(score={"max": value})), "number.finite", "/result/score/max")


def test_huge_integer_scores_are_compared_exactly() -> None:
    """Integers beyond float range are compared without overflow."""
    st = with_result(score={"raw": 10**400, "min": 0, "max": 10**401})
    assert validate(st) == []


def test_raw_above_max_is_rejected() -> None:
    """raw must not exceed max."""
    st = with_result(score={"raw": 101, "max": 100})
    only(validate(st), "score.raw-range", "/result/score/raw")


def test_raw_below_min_is_rejected() -> None:
    """raw must not be below min."""
    st = with_result(score={"raw": -1, "min": 0})
    only(validate(st), "score.raw-range", "/result/score/raw")


def test_raw_equal_to_bounds_is_valid() -> None:
    """raw may equal min or max."""
    assert validate(with_result(score={"raw": 0, "min": 0, "max": 1})) == []
    assert validate(with_result(score={"raw": 1, "min": 0, "max": 1})) == []


@pytest.mark.parametrize(("low", "high"), [(1, 0), (5, 5)])
def test_min_must_be_below_max(low: float, high: float) -> None:
    """min must be strictly less than max."""
    st = with_result(score={"min": low, "max": high})
    problem = only(validate(st), "score.min-max", "/result/score/min")
    assert problem.requirement == "XAPI-00081"


def test_score_must_be_an_object() -> None:
    """score is a JSON object."""
    only(validate(with_result(score=95)), "type.object", "/result/score")


@pytest.mark.parametrize("key", ["success", "completion"])
@pytest.mark.parametrize("value", ["true", 1, 0])
def test_success_and_completion_must_be_booleans(key: str, value: object) -> None:
    """success and completion are booleans, not strings or numbers."""
    only(validate(with_result(**{key: value})), "type.boolean", f"/result/{key}")


def test_response_must_be_a_string() -> None:
    """response is a string."""
    only(validate(with_result(response=5)), "type.string", "/result/response")


@pytest.mark.parametrize(
    "duration",
    ["PT4H35M59.14S", "PT16559.14S", "P3Y1M29DT4H35M59.14S", "P3Y", "P4W", "PT0S", "PT1,5S"],
)
def test_valid_durations_are_accepted(duration: str) -> None:
    """ISO 8601 durations with designators are accepted."""
    assert validate(with_result(duration=duration)) == []


@pytest.mark.parametrize(
    "duration",
    ["P4W1D", "PA1H0M0S", "P", "PT", "P1DT", "1H", "PT1.5H30M", "P16559.14S", "should fail"],
)
def test_invalid_durations_are_rejected(duration: str) -> None:
    """Malformed durations, combined weeks and non-final fractions are rejected."""
    problem = only(validate(with_result(duration=duration)), "duration.format", "/result/duration")
    assert problem.requirement == "XAPI-00124"


def test_duration_must_be_a_string() -> None:
    """duration is kept as a string, not a number."""
    only(validate(with_result(duration=3600)), "type.string", "/result/duration")


# --- extensions ----------------------------------------------------------------------------------


@pytest.mark.parametrize("value", [None, "", {}, [], True, 0, {"nested": [1, {"a": None}]}])
def test_extension_values_are_free(value: object) -> None:
    """Any JSON value, null included, is a valid extension value."""
    assert validate(with_result(extensions={"http://example.com/ext": value})) == []


def test_extension_keys_must_be_iris() -> None:
    """Extension keys are IRIs."""
    st = with_context(extensions={"should fail": True})
    problem = only(validate(st), "extensions.key", "/context/extensions/should fail")
    assert problem.requirement == "XAPI-00118"


def test_extension_key_path_is_escaped() -> None:
    """Slashes in an offending key are escaped in the JSON-Pointer path."""
    st = with_result(extensions={"no scheme/x": 1})
    only(validate(st), "extensions.key", "/result/extensions/no scheme~1x")


def test_extensions_must_be_an_object() -> None:
    """extensions is a JSON object."""
    only(validate(with_result(extensions="x")), "type.object", "/result/extensions")


# --- context -------------------------------------------------------------------------------------


def test_full_context_is_valid() -> None:
    """A context using every 1.0.3 property validates."""
    st = with_context(
        registration="ec531277-b57b-4c15-8d91-d292c5b2b8f7",
        instructor={"objectType": "Agent", "mbox": "mailto:i@example.com"},
        team={"objectType": "Group", "mbox": "mailto:t@example.com"},
        contextActivities={
            "parent": [{"id": "http://e.com/p"}],
            "grouping": {"id": "http://e.com/g", "objectType": "Activity"},
            "category": [],
            "other": [{"id": "http://e.com/o1"}, {"id": "http://e.com/o2"}],
        },
        revision="rev_10_3_2",
        platform="Example virtual meeting software",
        language="tlh",
        statement={"objectType": "StatementRef", "id": UUID},
        extensions={"http://example.com/ctx": 1},
    )
    assert validate(st) == []


def test_registration_must_be_a_uuid() -> None:
    """context.registration is a UUID."""
    only(validate(with_context(registration="x")), "uuid.format", "/context/registration")


def test_instructor_may_be_a_group() -> None:
    """The instructor may be a Group."""
    st = with_context(instructor={"objectType": "Group", "mbox": "mailto:g@example.com"})
    assert validate(st) == []


def test_team_must_be_a_group() -> None:
    """team must be a Group; an Agent is rejected."""
    st = with_context(team={"mbox": "mailto:a@example.com"})
    problem = only(validate(st), "team.group", "/context/team")
    assert problem.requirement == "XAPI-00088"


def test_context_activities_keys_are_restricted() -> None:
    """contextActivities keys are parent, grouping, category and other."""
    st = with_context(contextActivities={"consequences": [{"id": "http://e.com/a"}]})
    only(validate(st), "contextActivities.key", "/context/contextActivities/consequences")


def test_context_activities_items_must_be_activities() -> None:
    """Every contextActivities item is an Activity with an id."""
    st = with_context(contextActivities={"other": [{"id": "http://e.com/a"}, {"key": "x"}]})
    assert paths(validate(st)) == {
        "/context/contextActivities/other/1/key",
        "/context/contextActivities/other/1/id",
    }


def test_context_activities_objecttype_must_be_activity() -> None:
    """A context Activity's objectType, when given, is 'Activity'."""
    st = with_context(contextActivities={"parent": {"objectType": "Agent", "id": "http://e.c/a"}})
    only(
        validate(st),
        "contextActivities.value",
        "/context/contextActivities/parent/objectType",
    )


def test_context_activities_must_be_an_object() -> None:
    """contextActivities is a JSON object."""
    only(validate(with_context(contextActivities="x")), "type.object", "/context/contextActivities")


@pytest.mark.parametrize("key", ["revision", "platform"])
def test_revision_and_platform_only_with_activity_object(key: str) -> None:
    """revision and platform are only allowed when the object is an Activity."""
    st = statement(
        object={"objectType": "Agent", "mbox": "mailto:b@example.com"}, context={key: "x"}
    )
    only(validate(st), f"context.{key}-activity-only", f"/context/{key}")


@pytest.mark.parametrize("key", ["revision", "platform"])
def test_revision_and_platform_with_implicit_activity(key: str) -> None:
    """An object without objectType is an Activity, so revision and platform are allowed."""
    st = statement(object={"id": "http://e.com/a"}, context={key: "x"})
    assert validate(st) == []


def test_context_statement_must_be_a_statement_ref() -> None:
    """context.statement needs objectType 'StatementRef'."""
    st = with_context(statement={"objectType": "statementref", "id": UUID})
    only(validate(st), "statementref.objectType", "/context/statement/objectType")


def test_context_statement_id_must_be_a_uuid() -> None:
    """context.statement's id is a UUID."""
    st = with_context(statement={"objectType": "StatementRef", "id": 12345})
    only(validate(st), "type.string", "/context/statement/id")


# --- timestamps ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "timestamp",
    [
        "2013-05-18T05:32:34.804Z",
        "2015-12-18T12:17:00+00:00",
        "2024-02-29T12:00:00Z",
        "2008-09-15T15:53:00.601+05:30",
        "2008-09-15T15:53:00.601-05",
        "2008-09-15T15:53Z",
        "20080915T155300Z",
        "2016-12-31T23:59:60Z",
    ],
)
def test_valid_1_0_timestamps(timestamp: str) -> None:
    """ISO 8601 timestamps with a time zone are accepted under 1.0.3."""
    assert validate(statement(timestamp=timestamp)) == []


@pytest.mark.parametrize(
    "timestamp",
    [
        "should fail",
        "01/011/2015",
        "2008-09-15T15:53:00.601-00",
        "2008-09-15T15:53:00.601-0000",
        "2008-09-15T15:53:00.601-00:00",
        "2023-02-29T12:00:00Z",
        "2024-13-01T12:00:00Z",
        "2024-04-31T12:00:00Z",
        "2024-05-01T24:00:00Z",
        "2024-05-01T12:00:00",
        "2024-05-01",
        "2024-05-01 12:00:00Z",
    ],
)
def test_invalid_1_0_timestamps(timestamp: str) -> None:
    """Malformed dates, impossible days, negative zero offsets and no time zone are rejected."""
    problem = only(validate(statement(timestamp=timestamp)), "timestamp.format", "/timestamp")
    assert problem.requirement == "XAPI-00123"


def test_stored_is_checked_like_timestamp() -> None:
    """stored is a timestamp too."""
    only(validate(statement(stored="2008-09-15T15:53:00-00:00")), "timestamp.format", "/stored")


@pytest.mark.parametrize(
    "timestamp",
    ["2008-09-15 15:53:00.601+00:00", "2008-09-15t15:53:00z", "2024-05-01T12:30:00.123456+02:00"],
)
def test_valid_2_0_timestamps(timestamp: str) -> None:
    """RFC 3339 date-times, space separator included, are accepted under 2.0."""
    assert validate(statement(timestamp=timestamp), version="2.0.0") == []


@pytest.mark.parametrize(
    "timestamp",
    [
        "2008-09-15T15:53:00.601-00:00",
        "2008-09-15T15:53:00.601-0000",
        "20080915T155300Z",
        "2008-09-15T15:53Z",
        "2008-09-15T15:53:00+05",
    ],
)
def test_invalid_2_0_timestamps(timestamp: str) -> None:
    """Under 2.0 only RFC 3339 date-times with a non-negative-zero offset are accepted."""
    st = statement(timestamp=timestamp)
    only(validate(st, version="2.0.0"), "timestamp.format", "/timestamp")


# --- authority -----------------------------------------------------------------------------------


def oauth_group(**changes: Any) -> dict[str, Any]:
    """A 3-legged OAuth authority Group with properties replaced or added."""
    group: dict[str, Any] = {
        "objectType": "Group",
        "member": [
            {"account": {"homePage": "http://example.com/xAPI/OAuth/Token", "name": "oauth_x"}},
            {"mbox": "mailto:bob@example.com"},
        ],
    }
    group.update(changes)
    return group


def test_authority_agent_is_valid() -> None:
    """An Agent is a valid authority."""
    assert validate(statement(authority={"mbox": "mailto:lrs@example.com"})) == []


def test_authority_oauth_group_is_valid() -> None:
    """An anonymous Group of two Agents is a valid authority."""
    assert validate(statement(authority=oauth_group())) == []


def test_authority_group_must_be_anonymous() -> None:
    """An identified Group is not a valid authority."""
    st = statement(authority=oauth_group(mbox="mailto:g@example.com"))
    problem = only(validate(st), "authority.group-anonymous", "/authority")
    assert problem.requirement == "XAPI-00098"


@pytest.mark.parametrize("count", [1, 3])
def test_authority_group_needs_two_members(count: int) -> None:
    """An authority Group has exactly two members."""
    members = [{"mbox": f"mailto:m{i}@example.com"} for i in range(count)]
    st = statement(authority=oauth_group(member=members))
    only(validate(st), "authority.group-two-agents", "/authority/member")


# --- version -------------------------------------------------------------------------------------


@pytest.mark.parametrize("version", ["1.0", "1.0.0", "1.0.3", "1.0.9"])
def test_1_0_versions_are_accepted(version: str) -> None:
    """A version of 1.0 or 1.0.x is accepted."""
    assert validate(statement(version=version)) == []


@pytest.mark.parametrize("version", ["should fail", "0.9.9", "1.1.0", "1.0.", "3.0.0"])
def test_other_versions_are_rejected(version: str) -> None:
    """Any version that is not 1.0.x (or 2.0.x) is rejected."""
    problem = only(validate(statement(version=version)), "version.value", "/version")
    assert problem.requirement == "XAPI-00101"


def test_version_must_be_a_string() -> None:
    """version is a string."""
    only(validate(statement(version=1.0)), "type.string", "/version")


def test_2_0_version_selects_2_0_rules() -> None:
    """A Statement saying version 2.0.0 is checked with the 2.0 rules (contextAgents allowed)."""
    agents = [{"objectType": "contextAgent", "agent": {"mbox": "mailto:c@example.com"}}]
    st = statement(version="2.0.0", context={"contextAgents": agents})
    assert validate(st) == []
    assert rules(validate(st, version="1.0.3")) == {"version.value", "context.v2-only"}


def test_1_0_version_is_accepted_under_2_0_rules() -> None:
    """The 2.0 rules accept Statements that say version 1.0.x."""
    assert validate(statement(version="1.0.0"), version="2.0.0") == []


# --- xAPI 2.0 context agents and groups ----------------------------------------------------------


def context_agent(**changes: Any) -> dict[str, Any]:
    """A valid contextAgent item with properties replaced or added."""
    item: dict[str, Any] = {
        "objectType": "contextAgent",
        "agent": {"objectType": "Agent", "mbox": "mailto:player-1@example.com"},
        "relevantTypes": ["https://example.com/activity-types/player"],
    }
    item.update(changes)
    return item


def context_group(**changes: Any) -> dict[str, Any]:
    """A valid contextGroup item with properties replaced or added."""
    item: dict[str, Any] = {
        "objectType": "contextGroup",
        "group": {"objectType": "Group", "mbox": "mailto:team-1@example.com"},
        "relevantTypes": ["https://example.com/activity-types/team"],
    }
    item.update(changes)
    return item


def v2(**context: Any) -> list[Problem]:
    """Validate a Statement with ``context`` under the 2.0 rules."""
    return validate(with_context(**context), version="2.0.0")


def test_context_agents_and_groups_are_valid_in_2_0() -> None:
    """contextAgents and contextGroups validate under 2.0."""
    assert v2(contextAgents=[context_agent()], contextGroups=[context_group()]) == []


@pytest.mark.parametrize("key", ["contextAgents", "contextGroups"])
def test_context_agents_and_groups_are_rejected_in_1_0(key: str) -> None:
    """contextAgents and contextGroups do not exist in 1.0.3."""
    item = context_agent() if key == "contextAgents" else context_group()
    only(validate(with_context(**{key: [item]})), "context.v2-only", f"/context/{key}")


def test_relevant_types_are_optional() -> None:
    """A contextAgent may leave out relevantTypes."""
    item = context_agent()
    del item["relevantTypes"]
    assert v2(contextAgents=[item]) == []


def test_context_agent_objecttype_is_required() -> None:
    """A contextAgent's objectType must be 'contextAgent'."""
    item = context_agent(objectType="Should fail")
    only(v2(contextAgents=[item]), "contextAgent.objectType", "/context/contextAgents/0/objectType")


def test_context_agent_agent_must_be_valid() -> None:
    """A contextAgent's agent is checked as an Agent."""
    item = context_agent(agent={"key": "Should fail"})
    assert paths(v2(contextAgents=[item])) == {
        "/context/contextAgents/0/agent/key",
        "/context/contextAgents/0/agent",
    }


def test_context_agent_agent_cannot_be_a_group() -> None:
    """A contextAgent's agent must not be a Group."""
    item = context_agent(agent={"objectType": "Group", "mbox": "mailto:g@example.com"})
    only(v2(contextAgents=[item]), "contextAgent.agent", "/context/contextAgents/0/agent")


def test_relevant_types_must_not_be_empty() -> None:
    """relevantTypes, when present, lists at least one IRI."""
    only(
        v2(contextGroups=[context_group(relevantTypes=[])]),
        "relevantTypes.empty",
        "/context/contextGroups/0/relevantTypes",
    )


def test_relevant_types_must_be_iris() -> None:
    """relevantTypes items are IRIs."""
    only(
        v2(contextAgents=[context_agent(relevantTypes=["abc"])]),
        "iri.format",
        "/context/contextAgents/0/relevantTypes/0",
    )


def test_context_group_group_must_be_a_group() -> None:
    """A contextGroup's group must be a Group, not an Agent."""
    item = context_group(group={"mbox": "mailto:a@example.com"})
    only(v2(contextGroups=[item]), "contextGroup.group", "/context/contextGroups/0/group")


def test_context_group_rejects_unknown_properties() -> None:
    """A contextGroup has only objectType, group and relevantTypes."""
    item = context_group(member=[{"mbox": "mailto:a@example.com"}])
    only(v2(contextGroups=[item]), "key.unknown", "/context/contextGroups/0/member")


def test_context_agents_must_be_an_array() -> None:
    """contextAgents is an array."""
    only(v2(contextAgents=context_agent()), "type.array", "/context/contextAgents")


# --- attachments ---------------------------------------------------------------------------------


def test_valid_attachment() -> None:
    """A complete attachment validates."""
    assert validate(statement(attachments=[attachment()])) == []


def test_attachments_must_be_an_array() -> None:
    """attachments is an array."""
    only(validate(statement(attachments=attachment())), "type.array", "/attachments")


@pytest.mark.parametrize("key", ["usageType", "display", "contentType", "length", "sha2"])
def test_attachment_required_properties(key: str) -> None:
    """usageType, display, contentType, length and sha2 are required."""
    st = statement(attachments=[attachment(**{key: ...})])
    only(validate(st), "key.required", f"/attachments/0/{key}")


@pytest.mark.parametrize(
    ("key", "value", "rule"),
    [
        ("usageType", "should fail", "iri.format"),
        ("display", "x", "type.object"),
        ("description", {"something": "x"}, "language-map.key"),
        ("contentType", 12345, "type.string"),
        ("contentType", "text", "contentType.format"),
        ("length", "27", "type.integer"),
        ("length", True, "type.integer"),
        ("length", -1, "length.integer"),
        ("length", 2.5, "length.integer"),
        ("sha2", 12345, "type.string"),
        ("sha2", "abc", "sha2.format"),
        ("fileUrl", "should fail", "irl.format"),
    ],
)
def test_attachment_property_formats(key: str, value: object, rule: str) -> None:
    """Each attachment property has its type and format checked."""
    st = statement(attachments=[attachment(**{key: value})])
    problems = validate(st)
    assert [p.rule for p in problems] == [rule]
    assert problems[0].path.startswith(f"/attachments/0/{key}")


def test_attachment_item_must_be_an_object() -> None:
    """Each attachment is a JSON object."""
    only(validate(statement(attachments=[12345])), "type.object", "/attachments/0")


def test_integral_float_length_is_accepted() -> None:
    """A length written as 27.0 is still a whole number."""
    assert validate(statement(attachments=[attachment(length=27.0)])) == []


# --- robustness ----------------------------------------------------------------------------------


def test_deeply_nested_extension_value_is_not_walked() -> None:
    """A very deep extension value costs nothing and raises nothing."""
    deep: Any = []
    for _ in range(100_000):
        deep = [deep]
    st = with_result(extensions={})
    st["result"]["extensions"]["http://example.com/x"] = deep
    assert validate(st) == []


def test_deeply_nested_unknown_value_is_reported_not_walked() -> None:
    """A very deep value under an unknown key is reported once."""
    deep: Any = {}
    for _ in range(100_000):
        deep = {"a": deep}
    st = statement()
    st["extra"] = deep
    only(validate(st), "key.unknown", "/extra")


def test_non_string_keys_are_reported() -> None:
    """Non-string keys (possible in Python dicts) are reported, not crashed on."""
    st = statement()
    st["actor"] = {1: "x", "mbox": "mailto:a@example.com"}
    only(validate(st), "key.unknown", "/actor/1")


def test_every_problem_lists_a_path_rule_and_message() -> None:
    """Problems carry a path, a rule and a non-empty message."""
    st = {"actor": {}, "verb": 1, "object": {"objectType": None}, "result": [], "x": None}
    problems = validate(st)
    assert problems
    for problem in problems:
        assert problem.path == "" or problem.path.startswith("/")
        assert problem.rule
        assert problem.message.endswith(".") or problem.message.endswith("?")
