"""Organisation isolation: a scope sees exactly what a store holding only its organisation holds.

Hypothesis generates two organisations' interleaved histories in one store; every query, report
and export through one organisation's scope must equal the same call on a store that received
only that organisation's part (same store secret and clock, so ids and times agree).
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from typing import Any
from uuid import uuid4

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from learningorg import LearningRecords
from learningorg.domain.errors import (
    OrganisationScopeError,
    UnknownEventError,
    UnknownPersonError,
)
from learningorg.scope import UNSCOPED, OrganisationScope

ORGS = ("noord", "zuid")
PERSONS = ("E1", "E2", "E3")
TEAMS = ("T1", "T2")
T0 = datetime(2024, 1, 1, 9, tzinfo=UTC)
AS_OF = datetime(2024, 12, 31, tzinfo=UTC)
RECORDED = datetime(2025, 1, 2, tzinfo=UTC)

action = st.tuples(
    st.sampled_from(ORGS),
    st.sampled_from(("reflect", "share", "intervision", "course", "advice")),
    st.sampled_from(PERSONS),
    st.sampled_from(PERSONS),
    st.integers(min_value=0, max_value=300),
)


def setup(records: LearningRecords, organisation: str) -> None:
    """The organisation, two teams and three persons with memberships and registrations."""
    count = iter(range(100))

    def meta() -> dict[str, Any]:
        return {"occurred_at": T0, "idempotency_key": f"setup-{next(count)}"}

    records.register_organisation(organisation, organisation.title(), **meta())
    for team in TEAMS:
        records.register_team(organisation, team, f"{organisation} {team}", **meta())
    for n, person in enumerate(PERSONS):
        records.register_person(organisation, person, name=f"{organisation}-{person}", **meta())
        records.add_member(organisation, TEAMS[n % 2], person, **meta())
        records.change_registration(
            organisation, person, register_name="SKJ", number=f"{organisation}-{n}",
            period_start=date(2022, 1, 1), period_end=date(2027, 1, 1), **meta(),
        )  # fmt: skip


def apply(records: LearningRecords, number: int, step: tuple[str, str, str, str, int]) -> None:
    """Record one generated action (with a deterministic event id)."""
    organisation, kind, first, second, day = step
    meta: dict[str, Any] = {
        "occurred_at": T0 + timedelta(days=day, minutes=number),
        "idempotency_key": f"step-{number}",
    }
    if kind == "reflect":
        records.log_reflection(organisation, first, minutes=30 + day % 60, **meta)
    elif kind == "course":
        records.complete_learning_activity(
            organisation, first, mode="formal", hours=2, points=2, **meta
        )
    elif first == second:
        records.log_reflection(organisation, first, minutes=15, form="coaching", **meta)
    elif kind == "share":
        records.share_knowledge(organisation, first, to_persons=[second], **meta)
    elif kind == "advice":
        records.seek_advice(organisation, first, from_person=second, topic="plan", **meta)
    else:
        records.hold_intervision(
            organisation, "T1", participants=[first, second], minutes=45, **meta
        )


def observations(view: Any) -> dict[str, Any]:
    """Every query, report and export of one organisation, made comparable across stores."""
    found: dict[str, Any] = {}
    unstable = {"position", "known_at"}
    for level, key in (("organisation", None), ("team", "T1"), ("team", "T2"), ("person", "E1")):
        found[f"capacity {level} {key}"] = view.capacity(level, key, as_of=AS_OF).model_dump(
            exclude=unstable
        )
        found[f"compliance {level} {key}"] = view.compliance(level, key, as_of=AS_OF).model_dump(
            exclude=unstable
        )
    series = view.capacity_series("team", "T1", start=T0, end=AS_OF, every="quarter").model_dump()
    for point in series["points"]:
        point.pop("position")
    found["series"] = series
    for level in ("person", "team"):
        graph = view.knowledge_flow_graph(as_of=AS_OF, level=level)
        found[f"graph {level} nodes"] = sorted(
            (str(n), sorted(d.items())) for n, d in graph.nodes(data=True)
        )
        found[f"graph {level} edges"] = sorted(
            (str(u), str(v), sorted((k, str(x)) for k, x in d.items()))
            for u, v, d in graph.edges(data=True)
        )
    found["report"] = view.knowledge_flow_report(as_of=AS_OF)
    found["xapi"] = list(view.export_statements())
    found["xapi named"] = list(view.export_statements(names=True))
    found["events"] = [entry.event for entry in view.events()]
    found["streams"] = [view.stream("person", p) for p in PERSONS]
    found["organisation"] = vars(view.organisation())
    found["organisations"] = view.organisations()
    return found


def fixed_clock() -> datetime:
    """The recording time of every event, equal in both stores."""
    return RECORDED


@settings(
    max_examples=12,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(steps=st.lists(action, min_size=1, max_size=25))
def test_a_scope_equals_a_store_of_its_own(steps: list[tuple[str, str, str, str, int]]) -> None:
    """Through ``scoped("noord")`` every result equals that of a store holding only noord."""
    with (
        LearningRecords("memory://", clock=fixed_clock) as mixed,
        LearningRecords("memory://", clock=fixed_clock) as alone,
    ):
        alone.secret = mixed.secret
        for organisation in ORGS:
            setup(mixed, organisation)
        setup(alone, "noord")
        for number, step in enumerate(steps):
            apply(mixed, number, step)
            if step[0] == "noord":
                apply(alone, number, step)
        assert observations(mixed.scoped("noord")) == observations(alone.scoped("noord"))
        # The other organisation's scope is not empty: the test compares something real.
        assert observations(mixed.scoped("zuid"))["events"]


@pytest.fixture
def mixed_store(store_url: str) -> Iterator[LearningRecords]:
    """A store of each kind holding both organisations."""
    with LearningRecords(store_url) as records:
        for organisation in ORGS:
            setup(records, organisation)
        yield records


def test_ids_of_another_organisation_raise(mixed_store: LearningRecords) -> None:
    """Event and stream ids of zuid used through noord's scope raise ``OrganisationScopeError``."""
    north, south = mixed_store.scoped("noord"), mixed_store.scoped("zuid")
    theirs = south.log_reflection("E1", minutes=20)
    ours = north.log_reflection("E1", minutes=20)
    assert theirs.event_id is not None
    assert ours.event_id is not None
    with pytest.raises(OrganisationScopeError, match=str(theirs.event_id)):
        north.find_event(theirs.event_id)
    with pytest.raises(OrganisationScopeError):
        north.retract(theirs.event_id)
    with pytest.raises(OrganisationScopeError):
        north.log_reflection("E1", minutes=10, refs=[theirs.event_id])
    with pytest.raises(OrganisationScopeError):
        north.institutionalise_practice("p1", "P", "method", derived_from=[theirs.event_id])
    with pytest.raises(OrganisationScopeError):
        north.stream_events(south.person_id("E1"))
    with pytest.raises(UnknownEventError):
        north.find_event(uuid4())
    # Ids of its own organisation work.
    assert north.find_event(ours.event_id).event.event_id == ours.event_id
    assert north.log_reflection("E1", minutes=10, refs=[ours.event_id]).recorded
    assert north.stream_events(north.person_id("E1"))
    # Nothing of zuid was changed by the refused calls.
    assert south.find_event(theirs.event_id).event.organisation == "zuid"
    assert not any(e.event.organisation == "zuid" for e in north.events())


def test_a_scope_offers_nothing_that_reads_every_organisation(mixed_store: LearningRecords) -> None:
    """Store-wide attributes raise; ``organisations`` and ``events`` see one organisation."""
    north = mixed_store.scoped("noord")
    for name in sorted(UNSCOPED):
        with pytest.raises(OrganisationScopeError, match=name):
            getattr(north, name)
    with pytest.raises(AttributeError):
        _ = north.no_such_method
    assert north.organisations() == ["noord"]
    assert sorted(mixed_store.organisations()) == sorted(ORGS)
    assert {e.event.organisation for e in north.events()} == {"noord"}
    with pytest.raises(OrganisationScopeError):
        north.import_statements([], organisation="zuid")
    # Keys are per organisation: zuid's person is unknown in noord only if noord lacks the key.
    mixed_store.scoped("zuid").register_person("Z-ONLY")
    with pytest.raises(UnknownPersonError):
        north.person("Z-ONLY")
    assert north.max_position() < mixed_store.max_position()


def test_every_query_method_is_scoped(mixed_store: LearningRecords) -> None:
    """Each public method of ``LearningRecords`` taking an organisation is filled by the scope."""
    north = mixed_store.scoped("noord")
    assert isinstance(north, OrganisationScope)
    for name in ("capacity", "compliance", "knowledge_flow_graph", "knowledge_flow_report",
                 "export_statements", "person", "team", "stream", "erase_person"):  # fmt: skip
        assert name in dir(north)
    south_graph = mixed_store.knowledge_flow_graph("zuid", as_of=AS_OF)
    north_graph = north.knowledge_flow_graph(as_of=AS_OF)
    assert set(map(str, south_graph.nodes)).isdisjoint(set(map(str, north_graph.nodes)))
    statements = list(north.export_statements())
    assert statements
    south_ids = {str(e.event.event_id) for e in mixed_store.scoped("zuid").events()}
    assert south_ids.isdisjoint({s["id"] for s in statements})
