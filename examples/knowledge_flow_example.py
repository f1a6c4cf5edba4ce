"""Who learns from whom in a youth-care organisation: the knowledge-flow graph, read for a manager.

Records a year of knowledge flow in four teams of Jeugdzorg Noord (intervision, advice, a case
consultation across teams, a practice applied, team presentations), then prints what the
graph says (silo index, cross-team share, the brokers, the fragile ties, each team's E-I index)
and draws it: ``docs/img/knowledge-flow.png`` is this script's picture.

Run with ``python examples/knowledge_flow_example.py [PNG_PATH]`` (default
``docs/img/knowledge-flow.png``); drawing needs matplotlib (``pip install 'learningorg[plot]'``).
"""

from __future__ import annotations

import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

from learningorg import LearningRecords
from learningorg.projections.history import load_history
from learningorg.projections.knowledge_flow import (
    brokers,
    build_person_graph,
    build_team_graph,
    cross_team_share,
    ei_index,
    fragile_ties,
    silo_index,
    top_brokers,
)
from learningorg.projections.knowledge_flow.exports import PlotDependencyError, draw_png

ORG = "jeugdzorg-noord"
START = datetime(2025, 1, 6, 9, 0, tzinfo=UTC)
AS_OF = datetime(2025, 12, 31, tzinfo=UTC)
TEAMS = {
    "AMB-N": ["E01", "E02", "E03", "E04", "E05"],  # ambulant team Noord
    "AMB-Z": ["E06", "E07", "E08", "E09"],  # ambulant team Zuid
    "GEZH": ["E10", "E11", "E12", "E13"],  # gezinshuizen (family homes)
    "CRIS": ["E14", "E15", "E16"],  # crisisdienst (crisis service)
}


def record(records: LearningRecords) -> None:
    """A year of knowledge flow: each team learns inside; a few people carry it across."""
    records.register_organisation(ORG, "Jeugdzorg Noord", occurred_at=START)
    for team, members in TEAMS.items():
        records.register_team(ORG, team, occurred_at=START)
        for person in members:
            records.register_person(ORG, person, occurred_at=START)
            records.add_member(ORG, team, person, occurred_at=START)
    # Every team holds intervision every other month; its first member brings the case.
    for month in range(1, 12, 2):
        for team, members in TEAMS.items():
            records.hold_intervision(
                ORG,
                team,
                participants=members,
                minutes=90,
                case_owner=members[0],
                occurred_at=START + timedelta(days=30 * month),
            )
    # E03, the behavioural scientist of AMB-N, is asked for advice by the other teams.
    for week, seeker in enumerate(["E07", "E10", "E14", "E11", "E15", "E07", "E12"]):
        records.seek_advice(
            ORG, seeker, from_person="E03", occurred_at=START + timedelta(weeks=3 * week + 2)
        )
    # A case consultation of the crisis service with AMB-N.
    records.hold_case_consultation(
        ORG,
        "CRIS",
        participants=["E14", "E15", "E01", "E03"],
        teams=["AMB-N"],
        minutes=60,
        case_owner="E14",
        occurred_at=START + timedelta(days=120),
    )
    # E03 and E10 wrote the safety-plan method; the family homes and AMB-Z apply it.
    records.institutionalise_practice(
        ORG,
        "safety-plan",
        "Safety plan with the family",
        "method",
        authors=["E03", "E10"],
        occurred_at=START + timedelta(days=60),
    )
    for learner in ("E11", "E12", "E08"):
        records.complete_learning_activity(
            ORG,
            learner,
            mode="informal",
            practice_id="safety-plan",
            occurred_at=START + timedelta(days=200),
        )
    # AMB-Z shares a lot, but only among itself.
    for day in range(10, 330, 20):
        records.share_knowledge(
            ORG, "E06", to_teams=["AMB-Z"], mode="example", occurred_at=START + timedelta(days=day)
        )


def main(argv: list[str]) -> None:
    """Record the year, print what the graph says and draw it."""
    target = Path(argv[1]) if len(argv) > 1 else Path("docs/img/knowledge-flow.png")
    with LearningRecords("memory://") as records:
        record(records)
        history = load_history(records, ORG)
        key = {str(records.person_id(ORG, p)): p for ms in TEAMS.values() for p in ms}
    graph = build_person_graph(history, as_of=AS_OF)
    teams = build_team_graph(graph)
    found = brokers(graph)
    print(f"{graph.number_of_nodes()} persons, {graph.number_of_edges()} ties")
    print(f"silo index (modularity of the teams): {silo_index(graph):.2f}")
    print(f"share of the flow that crosses teams: {cross_team_share(graph):.0%}")
    print("brokers:", ", ".join(key[n] for n in top_brokers(found, 3)))
    ties = fragile_ties(graph)
    print("people the flow depends on:", ", ".join(key[n] for n in ties["articulation_points"]))
    for team, value in sorted(ei_index(teams).items()):
        print(f"E-I index {team:<6} {value:+.2f}")
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        draw_png(graph, target, names=key, brokerage=found, top=3)
        print(f"drawing written to {target}")
    except PlotDependencyError as error:
        print(error)


if __name__ == "__main__":
    main(sys.argv)
