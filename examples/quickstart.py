"""Quickstart: record a small youth-care organisation and print its streams.

Run with ``make demo`` (or ``python examples/quickstart.py [STORE_URL]``). Without an argument it
writes a fresh SQLite store ``quickstart.db`` in a temporary folder, so it can run any number of
times and in any order with the tests.
"""

from __future__ import annotations

import sys
import tempfile
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from learningorg import LearningRecords

ORG = "jeugdzorg-noord"
START = datetime(2025, 9, 1, 9, 0, tzinfo=UTC)


def record(records: LearningRecords) -> None:
    """A month in the life of one organisation with two teams."""
    records.register_organisation(ORG, "Jeugdzorg Noord", occurred_at=START)
    records.define_vision_value(ORG, "samen", "Samen met het gezin", occurred_at=START)
    records.register_team(ORG, "AMB", "Ambulant team Noord", occurred_at=START)
    records.register_team(ORG, "GH", "Gezinshuizen", occurred_at=START)
    people = {"E001": "AMB", "E002": "AMB", "E003": "AMB", "E004": "GH", "E005": "GH"}
    for key, team in people.items():
        records.register_person(ORG, key, name=f"Professional {key}", occurred_at=START)
        records.add_member(ORG, team, key, occurred_at=START)

    week = timedelta(days=7)
    records.hold_intervision(
        ORG, "AMB", participants=["E001", "E002", "E003"], minutes=90, case_owner="E002",
        dimensions=["normative", "personal"], occurred_at=START + week,
    )  # fmt: skip
    experience = records.record_experience(
        ORG, "E002", kind="dilemma", uncertainty=4, occurred_at=START + week
    )
    records.log_reflection(
        ORG, "E002", minutes=45, form="supervision", loop="double",
        dimensions=["technical-instrumental", "normative", "personal"],
        refs=[experience.event_id] if experience.event_id else [],
        occurred_at=START + week + timedelta(days=2),
    )  # fmt: skip
    records.share_knowledge(
        ORG, "E001", to_teams=["GH"], mode="presentation", topic="veiligheidsplan",
        occurred_at=START + 2 * week,
    )  # fmt: skip
    records.seek_advice(ORG, "E004", from_person="E001", topic="veiligheidsplan",
                        helpfulness=5, occurred_at=START + 2 * week)  # fmt: skip
    records.complete_learning_activity(
        ORG, "E005", mode="formal", kind="training", hours=8, points=8,
        accreditation_ref="SKJ-2025-1234", occurred_at=START + 3 * week,
    )  # fmt: skip
    records.start_experiment(
        ORG, "GH", "gezinsraad", owners=["E004"], hypothesis="a family council each month",
        review_by=date(2025, 12, 1), values=["samen"], occurred_at=START + 3 * week,
    )  # fmt: skip
    records.set_development_goal(ORG, "E003", "motiverende-gespreksvoering",
                                 values=["samen"], occurred_at=START + 4 * week)  # fmt: skip


def show(records: LearningRecords) -> None:
    """Print every stream of the organisation, then the total order."""
    print(f"Organisation {ORG!r}")
    for event in records.stream(ORG, "organisation", ORG):
        print(f"  {event.occurred_at:%Y-%m-%d}  {type(event).__name__}")
    for team in ("AMB", "GH"):
        state = records.team(ORG, team)
        members = len(state.members_at(START + timedelta(days=30)))
        print(f"\nTeam {team!r} ({state.name}, {members} members)")
        for event in records.stream(ORG, "team", team):
            print(f"  {event.occurred_at:%Y-%m-%d}  {type(event).__name__}")
    for person in ("E001", "E002"):
        print(f"\nPerson {person!r}")
        for event in records.stream(ORG, "person", person):
            print(f"  {event.occurred_at:%Y-%m-%d}  {type(event).__name__}")
    history = list(records.events(organisation=ORG))
    print(f"\n{len(history)} events in one total order, positions "
          f"{history[0].position}..{history[-1].position}")  # fmt: skip


def main(argv: list[str]) -> None:
    if len(argv) > 1:
        store = argv[1]
    else:
        folder = Path(tempfile.mkdtemp(prefix="learningorg-quickstart-"))
        store = f"sqlite:///{folder / 'quickstart.db'}"
    print(f"Store: {store}\n")
    with LearningRecords(store) as records:
        record(records)
        show(records)


if __name__ == "__main__":
    main(sys.argv)
