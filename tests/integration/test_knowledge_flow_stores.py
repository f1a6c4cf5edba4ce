"""The knowledge-flow graph from every store: memory, SQLite and PostgreSQL give the same graph.

Person ids are keyed hashes with each store's own secret, so graphs are compared with their
nodes relabelled to the persons' keys. Also runs the documented example as a real subprocess.
"""

# Graphs are named G, as in networkx.
# ruff: noqa: N803, N806

from __future__ import annotations

import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import networkx as nx
import pytest

from learningorg import LearningRecords
from learningorg.projections.knowledge_flow import graph_for

ROOT = Path(__file__).resolve().parents[2]
ORG = "jeugdzorg-noord"
START = datetime(2025, 1, 6, 9, 0, tzinfo=UTC)
AS_OF = datetime(2025, 9, 1, tzinfo=UTC)
PERSONS = ("E1", "E2", "E3", "E4", "E5", "E6")


def record(records: LearningRecords) -> dict[str, int]:
    """Two teams, a move, every kind of flow and a retraction; returns positions to ask about."""
    records.register_organisation(ORG, occurred_at=START)
    for team in ("AMB", "GH"):
        records.register_team(ORG, team, occurred_at=START)
    for person in PERSONS:
        records.register_person(ORG, person, occurred_at=START)
    for person, team in (("E1", "AMB"), ("E2", "AMB"), ("E3", "AMB"), ("E4", "GH"), ("E5", "GH")):
        records.add_member(ORG, team, person, occurred_at=START)
    moved = START + timedelta(days=90)
    records.remove_member(ORG, "AMB", "E3", occurred_at=moved)
    records.add_member(ORG, "GH", "E3", occurred_at=moved)
    day = START
    for _ in range(4):
        day += timedelta(days=30)
        records.hold_intervision(
            ORG, "AMB", participants=["E1", "E2", "E3"], minutes=90, occurred_at=day
        )
        records.seek_advice(ORG, "E4", from_person="E3", occurred_at=day)
    first = records.max_position()
    records.share_knowledge(ORG, "E1", to_teams=["GH"], occurred_at=day)
    records.share_knowledge(ORG, "E5", organisation_wide=True, occurred_at=day)
    records.hold_case_consultation(
        ORG, "GH", participants=["E4", "E5", "E2"], teams=["AMB"], minutes=60,
        case_owner="E4", occurred_at=day,
    )  # fmt: skip
    records.institutionalise_practice(
        ORG, "plan", "Safety plan", "method", authors=["E2"], occurred_at=START
    )
    records.complete_learning_activity(
        ORG, "E6", mode="informal", practice_id="plan", occurred_at=day
    )
    wrong = records.seek_advice(ORG, "E1", from_person="E5", occurred_at=day)
    assert wrong.event_id is not None
    records.retract(ORG, wrong.event_id, "entered for the wrong person")
    return {"first": first}


def relabelled(records: LearningRecords, G: nx.DiGraph) -> nx.DiGraph:
    """G with person nodes named by their keys (team graphs are already named by team key)."""
    if G.graph.get("level") == "team":
        return G
    keys = {str(records.person_id(ORG, key)): key for key in PERSONS}
    return nx.relabel_nodes(G, keys)


def content(G: nx.DiGraph) -> tuple[Any, ...]:
    """Everything in a graph, floats rounded, order-free."""

    def plain(data: dict[str, Any]) -> tuple[Any, ...]:
        return tuple(
            sorted((k, round(v, 12) if isinstance(v, float) else v) for k, v in data.items())
        )

    return (
        sorted((str(n), plain(d)) for n, d in G.nodes(data=True)),
        sorted((str(u), str(v), plain(d)) for u, v, d in G.edges(data=True)),
        plain(G.graph),
    )


@pytest.fixture(scope="module")
def reference() -> dict[str, Any]:
    """The graphs from a memory store: what every store must give."""
    with LearningRecords("memory://") as records:
        positions = record(records)
        return {
            "person": content(relabelled(records, graph_for(records, ORG, as_of=AS_OF))),
            "team": content(graph_for(records, ORG, as_of=AS_OF, level="team")),
            "window": content(
                relabelled(
                    records,
                    graph_for(records, ORG, since=START + timedelta(days=70), until=AS_OF),
                )
            ),
            "known": content(
                relabelled(
                    records, graph_for(records, ORG, as_of=AS_OF, known_at=positions["first"])
                )
            ),
        }


def test_every_store_gives_the_same_graphs(
    records: LearningRecords, reference: dict[str, Any]
) -> None:
    """Person graph, team graph, a window and an earlier known_at agree with the memory store.

    The graphs are not empty: E3 (who moved from AMB to GH) advised E4 four times, the
    retracted advice E5 -> E1 is absent (E5 -> E1 is only the organisation-wide share), and the
    team graph has both directions.
    """
    positions = record(records)
    G = graph_for(records, ORG, as_of=AS_OF)
    named = relabelled(records, G)
    assert content(named) == reference["person"]
    assert named["E3"]["E4"]["count"] == 4
    assert named["E5"]["E1"]["channels"] == "knowledge-shared"  # the share, not the advice
    assert named.nodes["E3"]["team"] == "GH"
    team = graph_for(records, ORG, as_of=AS_OF, level="team")
    assert content(team) == reference["team"]
    assert team.has_edge("AMB", "GH")
    assert team.has_edge("GH", "AMB")
    window = graph_for(records, ORG, since=START + timedelta(days=70), until=AS_OF)
    assert content(relabelled(records, window)) == reference["window"]
    known = graph_for(records, ORG, as_of=AS_OF, known_at=positions["first"])
    assert content(relabelled(records, known)) == reference["known"]
    assert relabelled(records, known).number_of_edges() < named.number_of_edges()


def test_the_documented_example_prints_its_findings_and_draws(tmp_path: Path) -> None:
    """examples/knowledge_flow_example.py names E03 as the broker the flow depends on and
    writes a PNG where it is asked to.
    """
    target = tmp_path / "flow.png"
    done = subprocess.run(
        [sys.executable, str(ROOT / "examples" / "knowledge_flow_example.py"), str(target)],
        capture_output=True, text=True, timeout=180, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert "brokers: E03" in done.stdout
    assert "people the flow depends on: E03" in done.stdout
    assert "E-I index AMB-Z  -0.89" in done.stdout
    if "drawing written to" in done.stdout:
        assert target.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    else:
        assert "pip install 'learningorg[plot]'" in done.stdout
