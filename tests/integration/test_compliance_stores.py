"""The compliance projection gives the same results on memory, SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from learningorg import LearningRecords
from learningorg.projections.compliance import ComplianceResult, compliance

ORG = "jeugdzorg-zuid"
AMS = ZoneInfo("Europe/Amsterdam")
EARLY = datetime(2016, 1, 1, tzinfo=UTC)
AS_OF = datetime(2026, 6, 1, 12, tzinfo=AMS)
AFTER = datetime(2027, 6, 1, 12, tzinfo=AMS)


def at(year: int, month: int, day: int) -> datetime:
    return datetime(year, month, day, 12, tzinfo=AMS)


def build(records: LearningRecords) -> int:
    """Two teams, four professionals, two periods, an intervision with a linked reflection, a
    retraction; returns the position just before the retraction."""
    r = records
    r.register_organisation(ORG, occurred_at=EARLY)
    for team in ("T1", "T2"):
        r.register_team(ORG, team, occurred_at=EARLY)
    for key, team in (("A", "T1"), ("B", "T1"), ("C", "T2"), ("D", "T2")):
        r.register_person(ORG, key, name=f"Name of {key}", occurred_at=EARLY)
        r.add_member(ORG, team, key, occurred_at=EARLY)
    for key in ("A", "B", "C"):
        r.change_registration(
            ORG, key, register_name="SKJ", number=f"1000{key}", period_start=date(2022, 4, 1),
            period_end=date(2027, 4, 1), occurred_at=at(2022, 4, 1),
        )  # fmt: skip
    # A meets everything; B is at the pace of neither reflection nor points; C has a first,
    # ended period that was met, and a current one.
    for minutes in (1440, 1440, 720):
        r.log_reflection(
            ORG, "A", minutes=minutes, form="supervision",
            dimensions=["technical-instrumental", "normative", "personal"],
            occurred_at=at(2023, 1, 10),
        )  # fmt: skip
    r.complete_learning_activity(ORG, "A", mode="formal", points=45, occurred_at=at(2023, 2, 1))
    r.complete_learning_activity(ORG, "A", mode="informal", points=30, occurred_at=at(2023, 3, 1))
    r.attest_work_hours(
        ORG, "A", period_start=date(2022, 4, 1), period_end=date(2025, 12, 31), hours=3400,
        occurred_at=at(2026, 1, 5),
    )  # fmt: skip
    session = r.hold_intervision(
        ORG, "T1", participants=["A", "B"], minutes=120, dimensions=["normative"],
        occurred_at=at(2024, 5, 1),
    ).event_id  # fmt: skip
    assert session is not None
    r.log_reflection(
        ORG, "B", minutes=120, form="intervision", refs=[session], dimensions=["personal"],
        occurred_at=at(2024, 5, 1),
    )  # fmt: skip
    r.complete_learning_activity(ORG, "B", mode="formal", points=12, occurred_at=at(2024, 6, 1))
    r.change_registration(
        ORG, "C", register_name="SKJ", period_start=date(2017, 4, 1), period_end=date(2022, 4, 1),
        occurred_at=at(2017, 4, 1),
    )  # fmt: skip
    wrong = r.log_reflection(
        ORG, "C", minutes=600, form="coaching", occurred_at=at(2023, 9, 1)
    ).event_id
    assert wrong is not None
    before = r.max_position()
    r.retract(ORG, wrong, "entered twice", occurred_at=at(2023, 9, 2))
    return before


def normalised(result: ComplianceResult, records: LearningRecords) -> dict[str, Any]:
    """The result as JSON data, with store-specific ids (keyed by the store secret) replaced by
    keys and event ids counted, so results from different stores can be compared."""
    names = {str(records.person_id(ORG, k)): f"person:{k}" for k in "ABCD"}
    names |= {str(records.team_id(ORG, k)): f"team:{k}" for k in ("T1", "T2")}

    def walk(value: Any) -> Any:
        if isinstance(value, dict):
            return {
                k: len(v) if k == "event_ids" else walk(v)
                for k, v in value.items()
                if k != "position"
            }
        if isinstance(value, list):
            return [walk(v) for v in value]
        if isinstance(value, str):
            return names.get(value, value)
        return value

    data: dict[str, Any] = walk(result.model_dump(mode="json"))
    return data


def test_organisation_results_agree_on_every_store(records: LearningRecords) -> None:
    """Memory, SQLite and PostgreSQL give the same organisation result as a fresh memory store
    fed the same commands, and the hand-computed statuses."""
    build(records)
    with LearningRecords("memory://") as reference:
        build(reference)
        expected = normalised(compliance(reference, ORG, "organisation", as_of=AS_OF), reference)
    result = compliance(records, ORG, "organisation", as_of=AS_OF)
    assert normalised(result, records) == expected

    status = {p.key: p.status for p in result.persons}
    assert status == {"A": "met", "B": "at_risk", "C": "at_risk", "D": None}
    assert result.summary.counts == {"short": 0, "at_risk": 2, "on_track": 0, "met": 1}
    assert [p.key for p in result.summary.flagged] == ["B", "C"]
    assert [p.key for p in result.summary.without_period] == ["D"]
    assert [(t.key, t.summary.persons) for t in result.teams] == [("T1", 2), ("T2", 2)]
    b = next(p for p in result.persons if p.key == "B")
    assert b.current is not None
    reflection = next(r for r in b.current.requirements if r.id == "reflection")
    assert reflection.achieved == 2  # the intervision once, not twice
    assert reflection.covered_dimensions == ("normative", "personal")
    c = next(p for p in result.persons if p.key == "C")
    assert [p.status for p in c.periods] == ["short", "at_risk"]


def test_person_and_team_results_with_time_travel_agree_on_every_store(
    records: LearningRecords,
) -> None:
    """known_at before the retraction still counts C's coaching; after the end, B is short;
    the team result lists its members at as_of."""
    before = build(records)
    c_then = compliance(records, ORG, "person", "C", as_of=AS_OF, known_at=before).persons[0]
    c_now = compliance(records, ORG, "person", "C", as_of=AS_OF).persons[0]
    assert c_then.current is not None
    assert c_now.current is not None
    assert c_then.current.requirements[0].achieved == 10
    assert c_now.current.requirements[0].achieved == 0

    b_after = compliance(records, ORG, "person", "B", as_of=AFTER).persons[0]
    assert b_after.status == "short"
    assert b_after.still_needed.startswith("missing at the end of the period (2027-04-01): ")

    team = compliance(records, ORG, "team", "T2", as_of=AS_OF)
    assert [p.key for p in team.persons] == ["C", "D"]
    with LearningRecords("memory://") as reference:
        build(reference)
        expected = normalised(compliance(reference, ORG, "team", "T2", as_of=AS_OF), reference)
    assert normalised(team, records) == expected
