"""Plans made by the import's preparing process arrive equal to the plans made in place.

The second process of a parallel import (``import_statements(parallel=True)``) maps the common
statements too and sends their plans as plain values, pickled (``importer._compact_plan``); the
importing process rebuilds them (``importer._plan_from``). Whatever is sent must come back
equal, with values of the same types (1, 1.0 and True are equal in Python, not to the events);
anything else is not sent and is planned again where it is recorded.
"""

from __future__ import annotations

import pickle
import uuid
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from tests.property.test_xapi_roundtrip import GENERATED, profile_statement

from learningorg.interop.xapi import importer as imp
from learningorg.interop.xapi import profile as pf
from learningorg.interop.xapi.mapping import Plan, plan_statement

AGENTS = (
    {"objectType": "Agent", "name": "Piet", "mbox": "mailto:Piet@Example.org"},
    {"objectType": "Agent", "account": {"homePage": "https://lms.example.org", "name": "u7"}},
    {"objectType": "Agent", "account": {"homePage": pf.PERSON_HOME, "name": "E1"}},
    {"objectType": "Agent", "openid": "https://id.example.org/é"},
)
GROUP = {"objectType": "Group", "member": list(AGENTS[:3])}


@st.composite
def adl_statement(draw: st.DrawFn) -> dict[str, Any]:
    """A statement with one of the common ADL verbs, in the shapes LMS feeds send."""
    verb = draw(
        st.sampled_from(
            ["completed", "passed", "attended", "experienced", "mastered", "shared", "asked"]
        )
    )
    statement: dict[str, Any] = {
        "id": str(draw(st.uuids())),
        "actor": draw(st.sampled_from([*AGENTS, GROUP])),
        "verb": {"id": pf.ADL_VERB_BASE + verb},
        "object": {
            "objectType": "Activity",
            "id": f"https://lms.example.org/courses/{draw(st.integers(0, 9))}",
            "definition": {
                "name": {"en-US": draw(st.text(min_size=1, max_size=8))},
                "type": pf.ADL_ACTIVITY_BASE + draw(st.sampled_from(["course", "meeting", "x"])),
            },
        },
        "timestamp": draw(
            st.sampled_from(
                [
                    "2024-03-01T10:00:00+01:00",
                    "2024-03-01T10:00:00Z",
                    "2024-03-01T10:00:00.5-09:30",
                    "2024-03-01T10:00:00",  # no zone: not a time of its own
                ]
            )
        ),
    }
    if draw(st.booleans()):
        duration = draw(st.sampled_from(["PT1H", "PT90M", "PT0.5H", "P1D", "PT1H30M10.5S"]))
        statement["result"] = {"duration": duration, "completion": True}
    extensions: dict[str, Any] = {}
    for name, values in (
        ("hours", st.sampled_from([1, 1.0, 2.5, True, 0])),
        ("points", st.sampled_from([1, 0.25, 3])),
        ("mode", st.sampled_from(["formal", "informal"])),
        ("title", st.text(max_size=5) | st.none()),
    ):
        if draw(st.booleans()):
            extensions[pf.extension(name)] = draw(values)
    if draw(st.booleans()):
        extensions[pf.COMPETENCES] = draw(st.lists(st.sampled_from(["esco:1", "skj:é"])))
    if extensions:
        statement["context"] = {"extensions": extensions}
    return statement


def _typed(plan: Plan) -> list[Any]:
    """The plan's values with their types, where equality alone would hide a difference."""
    typed: list[Any] = [plan.how, plan.occurred_at, getattr(plan.occurred_at, "tzinfo", None)]
    for step in plan.steps:
        typed.append(step.event_class)
        typed.extend((name, value, type(value)) for name, value in step.fields.items())
        typed.append(step.subject)
        typed.extend((step.refs, step.competences, step.values))
    return typed


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(statement=adl_statement() | st.sampled_from(GENERATED).flatmap(profile_statement))
def test_a_plan_sent_arrives_equal(statement: dict[str, Any]) -> None:
    plan = plan_statement(statement)
    compact = imp._compact_plan(plan)
    simple = (
        plan.how in ("adl", "profile")
        and not plan.problems
        and not plan.teams
        and plan.occurred_at is not None
        and all(type(s.subject) is imp.PersonRef and not s.refs for s in plan.steps)
        and all(
            v is None or type(v) in (str, int, float, bool)
            for s in plan.steps
            for v in s.fields.values()
        )
    )
    if pf.ADL_VERB_BASE in statement["verb"]["id"] and simple:
        assert compact is not None  # the common statements are sent
    if compact is None:
        return
    assert simple
    sent = imp._plan_from(pickle.loads(pickle.dumps(compact, protocol=5)))
    assert sent == plan
    assert _typed(sent) == _typed(plan)
    assert [type(v) for v in _typed(sent)] == [type(v) for v in _typed(plan)]


def test_the_feeds_statements_are_sent() -> None:
    """Completions by one Agent and by a Group, and profile reflections: planned in advance."""
    reflected = pf.BY_VERB[pf.VERB_BASE + "reflected"]
    statements = [
        {
            "id": str(uuid.uuid4()),
            "actor": actor,
            "verb": {"id": pf.ADL_VERB_BASE + "completed"},
            "object": {"id": "https://lms.example.org/courses/1"},
            "result": {"duration": "PT2H"},
            "timestamp": "2024-03-01T10:00:00+01:00",
        }
        for actor in (AGENTS[0], GROUP)
    ] + [
        {
            "id": str(uuid.uuid4()),
            "actor": AGENTS[1],
            "verb": {"id": reflected.verb_iri},
            "object": {"id": reflected.activity_id(None)},
            "context": {"extensions": {pf.extension("minutes"): 30}},
            "timestamp": "2024-03-01T10:00:00Z",
        }
    ]
    for statement in statements:
        compact = imp._compact_plan(plan_statement(statement))
        assert compact is not None
        sent = pickle.loads(pickle.dumps(compact, protocol=5))
        assert imp._plan_from(sent) == plan_statement(statement)
    assert len(imp._plan_from(imp._compact_plan(plan_statement(statements[1])) or []).steps) == 3
