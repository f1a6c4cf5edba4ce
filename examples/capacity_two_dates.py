"""The NJi profile of a team as of two dates, and what changed in between, event by event.

Records half a year in the life of a youth-care team, then prints the team's learning-capacity
profile (V vision, U uncertainty, M mastery, S systems view) as of 1 March and 1 September 2025,
and explains each sub-score that changed from the events that contributed to it.

Run with ``python examples/capacity_two_dates.py [STORE_URL]``; without an argument it writes a
fresh SQLite store in a temporary folder.
"""

from __future__ import annotations

import sys
import tempfile
from collections import Counter
from datetime import UTC, date, datetime
from pathlib import Path
from uuid import UUID

from learningorg import LearningRecords
from learningorg.projections.capacity import CapacityResult, capacity

ORG = "jeugdzorg-noord"
TEAM = "AMB"
START = datetime(2024, 11, 4, 9, 0, tzinfo=UTC)
FIRST = datetime(2025, 3, 1, tzinfo=UTC)
SECOND = datetime(2025, 9, 1, tzinfo=UTC)
BARS = {
    "V": "shared vision",
    "U": "dealing with uncertainty",
    "M": "personal mastery",
    "S": "systems view",
}


def record(records: LearningRecords) -> None:
    """A quiet winter, then a spring and summer of intervision, experiments and lessons."""
    at = START
    records.register_organisation(ORG, "Jeugdzorg Noord", occurred_at=at)
    records.define_vision_value(ORG, "samen", "Samen met het gezin", occurred_at=at)
    records.register_team(ORG, TEAM, "Ambulant team Noord", occurred_at=at)
    records.register_team(ORG, "GH", "Gezinshuizen", occurred_at=at)
    for key, team in (("E1", TEAM), ("E2", TEAM), ("E3", TEAM), ("E4", "GH")):
        records.register_person(ORG, key, occurred_at=at)
        records.add_member(ORG, team, key, occurred_at=at)

    # Winter: a little individual reflection and one course.
    records.log_reflection(ORG, "E1", minutes=60, occurred_at=datetime(2024, 12, 10, tzinfo=UTC))
    records.complete_learning_activity(
        ORG, "E2", mode="formal", points=4, hours=4, occurred_at=datetime(2025, 1, 20, tzinfo=UTC)
    )

    # Spring and summer: intervision every month, an experiment, lessons, a vision dialogue.
    for month in range(3, 9):
        day = datetime(2025, month, 12, 14, 0, tzinfo=UTC)
        records.hold_intervision(
            ORG,
            TEAM,
            participants=["E1", "E2", "E3"],
            minutes=90,
            dimensions=["technical-instrumental", "normative", "personal"],
            occurred_at=day,
        )
    case = records.record_experience(
        ORG, "E3", kind="dilemma", uncertainty=4, occurred_at=datetime(2025, 4, 2, tzinfo=UTC)
    )
    records.log_reflection(
        ORG,
        "E3",
        minutes=45,
        loop="double",
        refs=_ids(case),
        dimensions=["normative", "personal", "technical-instrumental"],
        occurred_at=datetime(2025, 4, 9, tzinfo=UTC),
    )
    records.start_experiment(
        ORG,
        TEAM,
        "gezinsraad",
        owners=["E1"],
        values=["samen"],
        hypothesis="a monthly family council prevents crises",
        review_by=date(2025, 7, 1),
        occurred_at=datetime(2025, 4, 15, tzinfo=UTC),
    )
    evaluation = records.evaluate_experiment(
        ORG, TEAM, "gezinsraad", result="adopt", occurred_at=datetime(2025, 6, 30, tzinfo=UTC)
    )
    records.capture_lesson(
        ORG,
        TEAM,
        "gezinsraad-werkt",
        scope="organisation",
        authors=["E1"],
        refs=_ids(evaluation),
        values=["samen"],
        occurred_at=datetime(2025, 7, 3, tzinfo=UTC),
    )
    records.hold_vision_dialogue(
        ORG,
        team=TEAM,
        participants=["E1", "E2", "E3"],
        values=["samen"],
        occurred_at=datetime(2025, 5, 20, tzinfo=UTC),
    )
    records.share_knowledge(
        ORG,
        "E1",
        to_teams=["GH"],
        mode="presentation",
        topic="gezinsraad",
        occurred_at=datetime(2025, 7, 10, tzinfo=UTC),
    )
    for key in ("E1", "E2", "E3"):
        records.set_development_goal(
            ORG,
            key,
            "gespreksvoering",
            values=["samen"],
            occurred_at=datetime(2025, 3, 20, tzinfo=UTC),
        )
    records.review_development_goal(
        ORG, "E2", "gespreksvoering", progress=0.5, occurred_at=datetime(2025, 8, 15, tzinfo=UTC)
    )


def _ids(done: object) -> list[UUID]:
    event_id = getattr(done, "event_id", None)
    return [event_id] if event_id else []


def fmt(value: float | None) -> str:
    return "   -  " if value is None else f"{value:6.1f}"


def describe(records: LearningRecords, ids: set[UUID]) -> str:
    """``3 IntervisionHeld (2025-03-12 .. 2025-05-12), 1 LessonCaptured (2025-07-03)``."""
    found: dict[str, list[datetime]] = {}
    for entry in records.events(organisation=ORG):
        if entry.event.event_id in ids:
            found.setdefault(type(entry.event).__name__, []).append(entry.event.occurred_at)
    parts = []
    for name, moments in sorted(found.items()):
        first, last = min(moments).date(), max(moments).date()
        span = f"{first}" if first == last else f"{first} .. {last}"
        parts.append(f"{len(moments)} {name} ({span})")
    return ", ".join(parts) or "no events"


def show(records: LearningRecords) -> None:
    """Print the profile at both dates, then what changed and which events made it change."""
    before = capacity(records, ORG, "team", TEAM, as_of=FIRST)
    after = capacity(records, ORG, "team", TEAM, as_of=SECOND)
    print(f"NJi profile of team {TEAM!r} (model {after.model_version})")
    print(f"{'':32}{FIRST:%Y-%m-%d}  {SECOND:%Y-%m-%d}   change")
    for bar, label in BARS.items():
        b, a = before.profile.bar(bar), after.profile.bar(bar)  # type: ignore[arg-type]
        change = "" if a is None or b is None else f"{a - b:+6.1f}"
        print(f"  {bar}  {label:<27}{fmt(b)}      {fmt(a)}    {change}")
    print(f"  score{'':26}{fmt(before.score)}      {fmt(after.score)}")
    print(f"  coverage{'':23}{before.coverage:6.0%}      {after.coverage:6.0%}")
    print("\nWhat changed, and why:")
    explain(records, before, after)


def explain(records: LearningRecords, before: CapacityResult, after: CapacityResult) -> None:
    for code, new in after.subscores.items():
        old = before.subscores[code]
        if old.value == new.value:
            continue
        gained = set(new.event_ids) - set(old.event_ids)
        lost = set(old.event_ids) - set(new.event_ids)
        print(
            f"  {code} {new.name} ({new.element}): {fmt(old.value).strip()} -> "
            f"{fmt(new.value).strip()}"
        )
        if gained:
            print(f"      new in the window: {describe(records, gained)}")
        if lost:
            print(f"      aged out of the window: {describe(records, lost)}")
        if not gained and not lost:
            print("      the same events, weighing less as they age (half-life 180 days)")
    kinds = Counter(
        type(e.event).__name__
        for e in records.events(organisation=ORG)
        if FIRST < e.event.occurred_at <= SECOND
    )
    print(
        f"\n{sum(kinds.values())} events occurred between the two dates: "
        + ", ".join(f"{n} {k}" for k, n in kinds.most_common())
    )


def main(argv: list[str]) -> None:
    if len(argv) > 1:
        store = argv[1]
    else:
        folder = Path(tempfile.mkdtemp(prefix="learningorg-capacity-"))
        store = f"sqlite:///{folder / 'capacity.db'}"
    with LearningRecords(store) as records:
        record(records)
        show(records)


if __name__ == "__main__":
    main(sys.argv)
