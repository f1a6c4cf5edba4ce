"""``LearningRecords`` offers every projection and the xAPI exchange as methods.

Each method must give what the projection's own entry point gives on the same store, on every
store, so the facade adds no behaviour of its own (and loses none).
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import networkx as nx
import pytest

from learningorg import LearningRecords
from learningorg.errors import UnknownOrganisationError
from learningorg.interop.xapi.exporter import export_statements
from learningorg.projections.capacity import capacity, capacity_series
from learningorg.projections.compliance import compliance
from learningorg.projections.history import load_history
from learningorg.projections.knowledge_flow import graph_for, knowledge_flow_report
from learningorg.xapi import validate

ORG = "facade-org"
START = datetime(2025, 1, 6, 9, tzinfo=UTC)
AS_OF = datetime(2025, 6, 30, 12, tzinfo=UTC)


def _build(records: LearningRecords) -> None:
    r = records
    r.register_organisation(ORG, "Facade", occurred_at=START)
    for team in ("T1", "T2"):
        r.register_team(ORG, team, occurred_at=START)
    for key, team in (("A", "T1"), ("B", "T1"), ("C", "T2")):
        r.register_person(ORG, key, name=f"Person {key}", occurred_at=START)
        r.add_member(ORG, team, key, occurred_at=START)
    for week in range(0, 20, 3):
        at = START + timedelta(weeks=week)
        r.log_reflection(ORG, "A", minutes=90, form="supervision", occurred_at=at)
        r.hold_intervision(ORG, "T1", participants=["A", "B"], minutes=60, occurred_at=at)
        r.share_knowledge(ORG, "C", to_persons=["A"], topic="signs", occurred_at=at)
        r.seek_advice(ORG, "B", from_person="C", topic="safety", occurred_at=at)


@pytest.fixture
def records(store_url: str) -> LearningRecords:
    records = LearningRecords(store_url)
    _build(records)
    yield records  # type: ignore[misc]
    records.close()


@pytest.mark.parametrize(
    ("level", "key"), [("person", "A"), ("team", "T1"), ("organisation", None)]
)
def test_capacity_is_the_projection(records: LearningRecords, level: str, key: str | None) -> None:
    """The method and the projection's entry point give equal results; the score is a number."""
    ours = records.capacity(ORG, level, key, as_of=AS_OF)  # type: ignore[arg-type]
    theirs = capacity(records, ORG, level, key, as_of=AS_OF)  # type: ignore[arg-type]
    assert ours == theirs
    assert ours.score is not None
    assert 0.0 < ours.score <= 100.0


def test_capacity_series_is_the_projection(records: LearningRecords) -> None:
    """A monthly series has one result per month and equals the projection's."""
    ours = records.capacity_series(ORG, "team", "T1", start=START, end=AS_OF, every="month")
    theirs = capacity_series(records, ORG, "team", "T1", start=START, end=AS_OF, every="month")
    assert ours == theirs
    assert len(ours.points) == 6


def test_knowledge_flow_graph_and_report(records: LearningRecords) -> None:
    """The graph has the recorded flows (C teaches A, C advises B) and the report is JSON."""
    graph = records.knowledge_flow_graph(ORG, as_of=AS_OF)
    assert nx.utils.graphs_equal(graph, graph_for(records, ORG, as_of=AS_OF))
    c, a, b = (str(records.person_id(ORG, k)) for k in "CAB")
    assert graph.has_edge(c, a)
    assert graph.has_edge(c, b)
    teams = records.knowledge_flow_graph(ORG, as_of=AS_OF, level="team")
    assert set(teams.nodes) == {"T1", "T2"}
    report = records.knowledge_flow_report(ORG, as_of=AS_OF)
    assert report == knowledge_flow_report(load_history(records, ORG), as_of=AS_OF)
    assert json.loads(json.dumps(report)) == report


def test_compliance_is_the_projection(records: LearningRecords) -> None:
    """Three professionals, none with a registration period yet: counted, equal results."""
    ours = records.compliance(ORG, "organisation", as_of=AS_OF)
    assert ours == compliance(records, ORG, "organisation", as_of=AS_OF)
    assert ours.summary.persons == 3


def test_xapi_round_trip_through_the_facade(records: LearningRecords, store_url: str) -> None:
    """Export validates, equals the exporter's output, and imports into a fresh store."""
    statements = list(records.export_statements(ORG))
    assert statements == list(export_statements(records, ORG))
    assert statements
    assert all(validate(s) == [] for s in statements)
    with LearningRecords("memory://") as other:
        other.register_organisation(ORG, "Facade")
        summary = other.import_statements(statements, organisation=ORG)
        assert summary.rejected == 0
        assert summary.accepted + summary.duplicate == len(statements)
        again = other.import_statements(statements, organisation=ORG)
        assert again.accepted == 0


def test_unknown_organisation_is_named(records: LearningRecords) -> None:
    """Every query names an organisation that is not in the store."""
    for call in (
        lambda: records.capacity("nope", "organisation"),
        lambda: records.compliance("nope", "organisation"),
        lambda: records.knowledge_flow_graph("nope"),
        lambda: records.import_statements([], organisation="nope"),
    ):
        with pytest.raises(UnknownOrganisationError, match="nope"):
            call()
