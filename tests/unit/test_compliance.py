"""Hand-computed cases of the compliance projection (SKJ re-registration and other profiles)."""

from __future__ import annotations

import json
import re
import tomllib
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from uuid import UUID
from zoneinfo import ZoneInfo

import pytest

from learningorg import LearningRecords
from learningorg.domain.errors import (
    EmptyKeyError,
    InvalidValueError,
    NaiveDatetimeError,
    UnknownOrganisationError,
    UnknownPersonError,
    UnknownTeamError,
)
from learningorg.projections.compliance import (
    SKJ_PROFILE,
    ComplianceProfile,
    ComplianceProfileError,
    ComplianceResult,
    PersonCompliance,
    PointsRequirement,
    ReflectionHoursRequirement,
    RequirementProgress,
    WorkHoursRequirement,
    builtin_profile_path,
    compliance,
    compliance_of,
    compliance_report,
)
from learningorg.projections.history import load_history

ORG = "jeugdzorg-noord"
AMS = ZoneInfo("Europe/Amsterdam")
ALL_DIMENSIONS = ("technical-instrumental", "normative", "personal")
START, END = date(2022, 4, 1), date(2027, 4, 1)  # [start, end): the herregistratiedatum is END


def local(day: date, hour: int = 12, minute: int = 0) -> datetime:
    """A moment on ``day`` in Amsterdam, where SKJ periods start and end at midnight."""
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=AMS)


def midnight(day: date) -> datetime:
    return local(day, 0)


@pytest.fixture
def records(memory_records: LearningRecords) -> LearningRecords:
    """A memory store with one organisation, team T1 and professionals E1 and E2 in it."""
    r = memory_records
    early = datetime(2015, 1, 1, tzinfo=UTC)
    r.register_organisation(ORG, "Jeugdzorg Noord", occurred_at=early)
    r.register_team(ORG, "T1", "Ambulant team", occurred_at=early)
    for key, name in (("E1", "Sanne de Vries"), ("E2", "Joris Bakker")):
        r.register_person(ORG, key, name=name, occurred_at=early)
        r.add_member(ORG, "T1", key, occurred_at=early)
    return r


def register(
    records: LearningRecords, person: str, start: date = START, end: date = END, **kw: object
) -> None:
    records.change_registration(
        ORG,
        person,
        register_name="SKJ",
        number=f"{person}-100",
        period_start=start,
        period_end=end,
        occurred_at=midnight(start),
        **kw,  # type: ignore[arg-type]
    )


def reflect(
    records: LearningRecords,
    person: str,
    hours: float,
    when: datetime,
    *,
    form: str = "supervision",
    dimensions: tuple[str, ...] = ALL_DIMENSIONS,
) -> UUID:
    """Log ``hours`` of reflection in sessions of at most 24 hours (the event's limit)."""
    minutes = round(hours * 60)
    last = None
    while minutes > 0:
        chunk = min(minutes, 24 * 60)
        last = records.log_reflection(
            ORG,
            person,
            minutes=chunk,
            form=form,
            dimensions=dimensions,
            occurred_at=when,  # type: ignore[arg-type]
        ).event_id
        minutes -= chunk
    assert last is not None
    return last


def learn(
    records: LearningRecords, person: str, mode: str, points: float, when: datetime, **kw: object
) -> UUID:
    event_id = records.complete_learning_activity(
        ORG,
        person,
        mode=mode,
        points=points,
        occurred_at=when,
        **kw,  # type: ignore[arg-type]
    ).event_id
    assert event_id is not None
    return event_id


def work(records: LearningRecords, person: str, hours: float, start: date, end: date) -> UUID:
    event_id = records.attest_work_hours(
        ORG,
        person,
        period_start=start,
        period_end=end,
        hours=hours,
        occurred_at=local(end),
    ).event_id
    assert event_id is not None
    return event_id


def meet_everything(records: LearningRecords, person: str, when: datetime) -> None:
    """60 reflection hours (three dimensions), 40 formal + 20 informal points, 3,368 work hours."""
    reflect(records, person, 60, when)
    learn(records, person, "formal", 40, when)
    learn(records, person, "informal", 20, when)
    work(records, person, 3368, START, date(2022, 12, 31))


def person_at(
    records: LearningRecords, person: str, as_of: datetime, **kw: object
) -> PersonCompliance:
    result = compliance(records, ORG, "person", person, as_of=as_of, **kw)  # type: ignore[arg-type]
    assert result.level == "person"
    (only,) = result.persons
    return only


def progress(person: PersonCompliance, requirement: str) -> RequirementProgress:
    assert person.current is not None
    return next(r for r in person.current.requirements if r.id == requirement)


AFTER_END = local(date(2027, 6, 1))
NEAR_END = local(date(2027, 1, 1))


# ---------------------------------------------------------------- the SKJ profile


def test_the_skj_profile_holds_the_numbers_with_their_sources() -> None:
    """5 years, 60 reflection hours in four forms and three dimensions, 60 points (formal >= 40,
    informal capped at 20), 3,368 work hours: each with a source and the date it was checked."""
    assert SKJ_PROFILE.period_years == 5
    assert SKJ_PROFILE.period_sources
    reflection = SKJ_PROFILE.requirement("reflection")
    assert isinstance(reflection, ReflectionHoursRequirement)
    assert reflection.minimum_hours == 60
    assert set(reflection.forms) == {"supervision", "intervision", "case-consultation", "coaching"}
    assert "self" not in reflection.forms
    assert reflection.required_dimensions == ALL_DIMENSIONS
    assert reflection.min_session_minutes == 60
    points = SKJ_PROFILE.requirement("development")
    assert isinstance(points, PointsRequirement)
    assert points.minimum_points == 60
    assert points.modes["formal"].minimum == 40
    assert points.modes["informal"].cap == 20
    hours = SKJ_PROFILE.requirement("work")
    assert isinstance(hours, WorkHoursRequirement)
    assert hours.minimum_hours == 3368
    for requirement in SKJ_PROFILE.requirements:
        assert requirement.sources, requirement.id
        for source in requirement.sources:
            assert source.url.startswith("https://")
            assert source.checked == date(2026, 11, 28)
    assert builtin_profile_path().name == "skj-jeugd-en-gezinsprofessional.toml"


# ---------------------------------------------------------------- boundaries


def test_59_reflection_hours_are_one_short_and_60_meet_the_requirement(
    records: LearningRecords,
) -> None:
    """59 hours leave 1 reflection hour to go (short after the end); the 60th hour meets it."""
    register(records, "E1")
    reflect(records, "E1", 59, local(date(2023, 5, 1)))
    learn(records, "E1", "formal", 40, local(date(2023, 5, 1)))
    learn(records, "E1", "informal", 20, local(date(2023, 5, 1)))
    work(records, "E1", 3368, START, date(2026, 12, 31))

    near = person_at(records, "E1", NEAR_END)
    reflection = progress(near, "reflection")
    assert reflection.achieved == 59
    assert not reflection.met
    assert reflection.still_needed == 1
    assert near.status == "on_track"  # 59 >= 60 * elapsed (about 0.95)
    assert near.still_needed == "1 reflection hour before 2027-04-01"
    after = person_at(records, "E1", AFTER_END)
    assert after.status == "short"
    assert after.still_needed == "missing at the end of the period (2027-04-01): 1 reflection hour"

    reflect(records, "E1", 1, local(date(2026, 5, 1)))
    assert person_at(records, "E1", NEAR_END).status == "met"
    done = person_at(records, "E1", AFTER_END)
    assert done.status == "met"
    assert done.still_needed == "nothing: every requirement is met"
    assert progress(done, "reflection").achieved == 60


def test_informal_points_count_up_to_20_and_41_formal_points_meet_the_total(
    records: LearningRecords,
) -> None:
    """41 formal + 25 informal: informal counts 20, total 61 >= 60, met."""
    register(records, "E1")
    learn(records, "E1", "formal", 41, local(date(2023, 1, 10)))
    learn(records, "E1", "informal", 25, local(date(2023, 1, 11)))
    points = progress(person_at(records, "E1", NEAR_END), "development")
    assert points.achieved == 61
    assert points.met
    modes = {m.mode: m for m in points.modes}
    assert (modes["informal"].achieved, modes["informal"].counted) == (25, 20)
    assert (modes["formal"].achieved, modes["formal"].counted) == (41, 41)


@pytest.mark.parametrize(
    ("formal", "informal", "counted", "needs"),
    [
        (39, 25, 59, ("1 formal point",)),  # the cap leaves the total one short: formal must
        (30, 30, 50, ("10 formal points",)),  # minimum first; the capped informal fills the rest
        (40, 19, 59, ("1 development point (formal or informal)",)),
        (0, 0, 0, ("40 formal points", "20 development points (formal or informal)")),
        (40, 20, 60, ()),
    ],
)
def test_what_is_still_needed_in_points_follows_minimums_and_caps(
    records: LearningRecords,
    formal: float,
    informal: float,
    counted: float,
    needs: tuple[str, ...],
) -> None:
    """The counted total applies the cap; the needs name the mode that can still close the gap."""
    register(records, "E1")
    if formal:
        learn(records, "E1", "formal", formal, local(date(2023, 1, 10)))
    if informal:
        learn(records, "E1", "informal", informal, local(date(2023, 1, 11)))
    points = progress(person_at(records, "E1", NEAR_END), "development")
    assert points.achieved == counted
    assert points.needs == needs
    assert points.met == (not needs)


def test_an_activity_without_points_counts_its_hours_in_the_skj_profile(
    records: LearningRecords,
) -> None:
    """SKJ equates a point with an hour: 6 hours without accreditation points count 6."""
    register(records, "E1")
    records.complete_learning_activity(
        ORG, "E1", mode="informal", kind="reading", hours=6, occurred_at=local(date(2023, 2, 1))
    )
    points = progress(person_at(records, "E1", NEAR_END), "development")
    assert points.achieved == 6


def test_activities_just_outside_the_period_do_not_count(records: LearningRecords) -> None:
    """The period is [period_start, period_end) at Amsterdam midnight: a minute before the start
    and the very start of period_end fall outside; the last minute inside counts."""
    register(records, "E1")
    before = midnight(START) - timedelta(minutes=1)
    at_end = midnight(END)
    last_minute = midnight(END) - timedelta(minutes=1)
    for moment in (before, at_end):
        reflect(records, "E1", 2, moment)
        learn(records, "E1", "formal", 5, moment)
    reflect(records, "E1", 3, last_minute)
    learn(records, "E1", "formal", 7, last_minute)
    reflect(records, "E1", 4, midnight(START))
    as_of = local(date(2027, 5, 1))
    person = person_at(records, "E1", as_of)
    assert person.current is not None
    assert person.current.period_end == END
    assert progress(person, "reflection").achieved == 7  # 3 + 4
    assert progress(person, "development").achieved == 7


def test_work_hours_straddling_the_period_start_count_pro_rata_by_day(
    records: LearningRecords,
) -> None:
    """An attestation of 10 days, 4 of them inside the period, brings 40% of its hours."""
    register(records, "E1")
    work(records, "E1", 100, date(2022, 3, 26), date(2022, 4, 4))
    work(records, "E1", 50, date(2021, 1, 1), date(2021, 12, 31))  # wholly before: nothing
    hours = progress(person_at(records, "E1", NEAR_END), "work")
    assert hours.achieved == pytest.approx(40)


# ---------------------------------------------------------------- periods


def test_a_period_that_started_mid_history_counts_only_what_came_after_its_start(
    records: LearningRecords,
) -> None:
    """Years of learning before the registration do not count toward it."""
    reflect(records, "E1", 70, local(date(2019, 6, 1)))
    learn(records, "E1", "formal", 60, local(date(2020, 6, 1)))
    register(records, "E1", date(2022, 4, 1), date(2027, 4, 1))
    reflect(records, "E1", 10, local(date(2022, 9, 1)))
    person = person_at(records, "E1", local(date(2023, 4, 1)))
    assert person.current is not None
    assert person.current.period_start == date(2022, 4, 1)
    assert progress(person, "reflection").achieved == 10
    assert progress(person, "development").achieved == 0
    assert person.status == "at_risk"
    before = compliance(records, ORG, "person", "E1", as_of=local(date(2021, 1, 1)))
    assert before.persons[0].status is None
    assert before.persons[0].periods == ()
    assert before.summary.without_period[0].key == "E1"


def test_two_consecutive_periods_each_count_their_own_activities(
    records: LearningRecords,
) -> None:
    """The first period met and ended, the second is current and halfway-ish."""
    first_start, first_end = date(2017, 4, 1), date(2022, 4, 1)
    records.change_registration(
        ORG, "E1", register_name="SKJ", period_start=first_start, period_end=first_end,
        occurred_at=midnight(first_start),
    )  # fmt: skip
    when = local(date(2019, 4, 1))
    reflect(records, "E1", 60, when)
    learn(records, "E1", "formal", 40, when)
    learn(records, "E1", "informal", 20, when)
    work(records, "E1", 3368, first_start, date(2021, 12, 31))
    records.change_registration(
        ORG, "E1", register_name="SKJ", period_start=first_end, period_end=END, status="renewed",
        occurred_at=midnight(first_end),
    )  # fmt: skip
    reflect(records, "E1", 5, local(date(2022, 10, 1)))

    person = person_at(records, "E1", local(date(2024, 1, 1)))
    first, second = person.periods
    assert (first.period_start, first.status, first.current) == (first_start, "met", False)
    assert (second.period_start, second.status, second.current) == (first_end, "at_risk", True)
    assert second.registration_status == "renewed"
    assert person.current == second
    assert next(r for r in second.requirements if r.id == "reflection").achieved == 5
    assert next(r for r in first.requirements if r.id == "reflection").achieved == 60


def test_a_retraction_moves_a_person_from_met_to_short(records: LearningRecords) -> None:
    """Retracting one 12-hour supervision leaves 48 hours: after the end that is short."""
    register(records, "E1")
    meet_everything(records, "E1", local(date(2023, 3, 1)))
    extra = records.log_reflection(
        ORG, "E1", minutes=12 * 60, form="supervision", occurred_at=local(date(2024, 3, 1))
    ).event_id
    assert extra is not None
    assert person_at(records, "E1", AFTER_END).status == "met"

    first = next(
        e.event.event_id
        for e in records.events(organisation=ORG)
        if type(e.event).__name__ == "ReflectionLogged"
    )
    before = records.max_position()
    records.retract(ORG, first, "logged for the wrong person")
    person = person_at(records, "E1", AFTER_END)
    assert person.status == "short"
    assert progress(person, "reflection").achieved == 60 - 24 + 12
    # What we knew before the retraction still says met.
    assert person_at(records, "E1", AFTER_END, known_at=before).status == "met"


def test_pro_rata_halfway_a_period(records: LearningRecords) -> None:
    """Exactly halfway: 30 hours, 20 formal + 10 informal points and 1,684 work hours are on
    track; an hour less reflection is at risk."""
    register(records, "E1")
    half = midnight(START) + (midnight(END) - midnight(START)) / 2
    when = local(date(2023, 1, 5))
    reflect(records, "E1", 29, when, dimensions=("personal",))
    learn(records, "E1", "formal", 20, when)
    learn(records, "E1", "informal", 10, when)
    work(records, "E1", 1684, START, date(2024, 6, 30))

    person = person_at(records, "E1", half)
    assert person.current is not None
    assert person.current.elapsed == pytest.approx(0.5)
    reflection = progress(person, "reflection")
    assert reflection.expected == pytest.approx(30)
    assert not reflection.on_pace
    assert person.status == "at_risk"

    reflect(records, "E1", 1, when, form="coaching", dimensions=())
    person = person_at(records, "E1", half)
    assert person.status == "on_track"  # missing dimensions do not slow the pace
    assert person.current is not None
    assert person.current.still_needed == (
        "30 reflection hours, reflection covering the technical-instrumental and normative "
        "dimensions, 20 formal points, 10 development points (formal or informal) and "
        "1684 work hours before 2027-04-01"
    )


# ---------------------------------------------------------------- reflection credits


def test_intervision_counts_for_every_participant_without_double_entry(
    records: LearningRecords,
) -> None:
    """A 2-hour intervision credits E1 and E2 with 2 hours each; E1's own reflection of form
    intervision that refers to it adds its dimensions, not 2 more hours."""
    register(records, "E1")
    register(records, "E2")
    session = records.hold_intervision(
        ORG, "T1", participants=["E1", "E2"], minutes=120, dimensions=["technical-instrumental"],
        occurred_at=local(date(2023, 2, 1)),
    ).event_id  # fmt: skip
    assert session is not None
    records.log_reflection(
        ORG, "E1", minutes=120, form="intervision", dimensions=["normative"], refs=[session],
        occurred_at=local(date(2023, 2, 1), 18),
    )  # fmt: skip
    e1 = progress(person_at(records, "E1", NEAR_END), "reflection")
    e2 = progress(person_at(records, "E2", NEAR_END), "reflection")
    assert e1.achieved == 2
    assert e1.covered_dimensions == ("technical-instrumental", "normative")
    assert e2.achieved == 2
    assert e2.covered_dimensions == ("technical-instrumental",)


def test_case_consultation_counts_and_an_unlinked_intervision_reflection_counts_on_its_own(
    records: LearningRecords,
) -> None:
    """A case consultation credits its participants; an intervision reflection without refs is
    an intervision elsewhere and counts by itself."""
    register(records, "E1")
    records.hold_case_consultation(
        ORG, "T1", participants=["E1", "E2"], minutes=90, occurred_at=local(date(2023, 3, 1))
    )
    records.log_reflection(
        ORG, "E1", minutes=60, form="intervision", occurred_at=local(date(2023, 3, 2))
    )
    assert progress(person_at(records, "E1", NEAR_END), "reflection").achieved == 2.5


def test_self_reflection_and_sub_hour_sessions_do_not_count_toward_skj(
    records: LearningRecords,
) -> None:
    """Self-reflection alone is not an SKJ form; a 45-minute session is under the 1-hour
    minimum and counts nothing (not even 0.75)."""
    register(records, "E1")
    records.log_reflection(ORG, "E1", minutes=180, form="self", occurred_at=local(date(2023, 1, 2)))
    records.hold_intervision(
        ORG, "T1", participants=["E1", "E2"], minutes=45, occurred_at=local(date(2023, 1, 3))
    )
    records.log_reflection(
        ORG, "E1", minutes=75, form="coaching", occurred_at=local(date(2023, 1, 4))
    )
    assert progress(person_at(records, "E1", NEAR_END), "reflection").achieved == 1.25


# ---------------------------------------------------------------- flags and roll-ups


def test_a_professional_not_on_track_within_12_months_of_the_end_is_flagged(
    records: LearningRecords,
) -> None:
    """At risk 11 months before the end: flagged; at risk 13 months before: not flagged."""
    register(records, "E1")
    assert person_at(records, "E1", local(date(2026, 5, 1))).flagged
    early = person_at(records, "E1", local(date(2026, 3, 1)))
    assert early.status == "at_risk"
    assert not early.flagged
    register(records, "E2")
    meet_everything(records, "E2", local(date(2023, 1, 1)))
    assert not person_at(records, "E2", local(date(2026, 5, 1))).flagged


def test_team_and_organisation_roll_ups_count_and_list_per_status(
    records: LearningRecords,
) -> None:
    """T1 at as_of holds E1 (at risk, flagged) and E2 (met); E3 left T1 before as_of and has no
    registration; the organisation lists everyone and one summary per team."""
    register(records, "E1")
    register(records, "E2")
    meet_everything(records, "E2", local(date(2023, 1, 1)))
    records.register_person(ORG, "E3", occurred_at=local(date(2020, 1, 1)))
    records.register_team(ORG, "T2", occurred_at=local(date(2020, 1, 1)))
    records.add_member(ORG, "T1", "E3", occurred_at=local(date(2020, 1, 1)))
    records.remove_member(ORG, "T1", "E3", occurred_at=local(date(2025, 1, 1)))
    records.add_member(ORG, "T2", "E3", occurred_at=local(date(2025, 1, 1)))
    as_of = local(date(2026, 6, 1))

    team = compliance(records, ORG, "team", "T1", as_of=as_of)
    assert team.key == "T1"
    assert [p.key for p in team.persons] == ["E1", "E2"]
    assert team.summary.counts == {"short": 0, "at_risk": 1, "on_track": 0, "met": 1}
    assert [r.key for r in team.summary.by_status["met"]] == ["E2"]
    assert [r.key for r in team.summary.flagged] == ["E1"]
    assert team.summary.without_period == ()

    org = compliance(records, ORG, "organisation", as_of=as_of)
    assert org.summary.persons == 3
    assert [r.key for r in org.summary.without_period] == ["E3"]
    assert [t.key for t in org.teams] == ["T1", "T2"]
    t2 = next(t for t in org.teams if t.key == "T2")
    assert t2.summary.persons == 1
    assert [r.key for r in t2.summary.without_period] == ["E3"]
    assert org.persons[0].team == "T1"
    assert org.profile_id == SKJ_PROFILE.id


def test_results_serialise_to_json_with_keys_and_pseudonymous_ids_never_names(
    records: LearningRecords,
) -> None:
    """The JSON round-trips and carries E1's key and stream id, not the name 'Sanne de Vries'."""
    register(records, "E1")
    reflect(records, "E1", 3, local(date(2023, 1, 1)))
    result = compliance(records, ORG, "organisation", as_of=NEAR_END)
    text = result.model_dump_json()
    assert ComplianceResult.model_validate_json(text) == result
    data = json.loads(text)
    assert data["persons"][0]["key"] == "E1"
    assert data["persons"][0]["person_id"] == str(records.person_id(ORG, "E1"))
    assert "Sanne" not in text
    assert "Bakker" not in text


def test_compliance_of_computes_from_a_history_directly(records: LearningRecords) -> None:
    """The pure core gives what the store entry point gives."""
    register(records, "E1")
    reflect(records, "E1", 12, local(date(2023, 1, 1)))
    history = load_history(records, ORG)
    pure = compliance_of(history, records.person_id(ORG, "E1"), NEAR_END)
    assert pure == person_at(records, "E1", NEAR_END)
    report = compliance_report(history, "person", records.person_id(ORG, "E1"), NEAR_END, key="E1")
    assert report == compliance(records, ORG, "person", "E1", as_of=NEAR_END)


def test_registrations_of_another_register_are_ignored(records: LearningRecords) -> None:
    """A BIG registration is not an SKJ period."""
    records.change_registration(
        ORG, "E1", register_name="BIG", period_start=START, period_end=END,
        occurred_at=midnight(START),
    )  # fmt: skip
    person = person_at(records, "E1", NEAR_END)
    assert person.status is None
    assert person.still_needed.startswith("no SKJ or Kwaliteitsregister Jeugd registration period")


# ---------------------------------------------------------------- profiles from files

CUSTOM_TOML = """
id = "demo-register"
version = "2026-01"
name = "Demo register"
register_names = ["DEMO"]
period_years = 3
timezone = "UTC"

[[requirements]]
kind = "reflection-hours"
id = "reflection"
minimum_hours = 10
forms = ["self", "supervision"]
whole_hours = true

[[requirements]]
kind = "points"
id = "cpd"
label = "CPD points"
minimum_points = 30
pro_rata = false

[requirements.modes.formal]
minimum = 10

[[requirements.sources]]
title = "Demo register rules"
url = "https://example.invalid/rules"
checked = 2026-01-15
"""


def test_a_profile_for_another_register_loads_from_toml_and_counts_its_own_way(
    records: LearningRecords, tmp_path: Path
) -> None:
    """Self-reflection counts here, in whole hours per session; informal points do not count;
    the points have no pro-rata pace."""
    path = tmp_path / "demo.toml"
    path.write_text(CUSTOM_TOML, encoding="utf-8")
    profile = ComplianceProfile.from_file(path)
    assert profile.requirement("cpd").sources[0].checked == date(2026, 1, 15)
    records.change_registration(
        ORG, "E1", register_name="demo", period_start=date(2024, 1, 1),
        period_end=date(2027, 1, 1), occurred_at=datetime(2024, 1, 1, tzinfo=UTC),
    )  # fmt: skip
    records.log_reflection(ORG, "E1", minutes=150, form="self", occurred_at=local(date(2024, 2, 1)))
    learn(records, "E1", "informal", 50, local(date(2024, 2, 1)))
    person = compliance(
        records, ORG, "person", "E1", as_of=local(date(2024, 3, 1)), profile=profile
    ).persons[0]
    assert progress(person, "reflection").achieved == 2
    points = progress(person, "cpd")
    assert points.achieved == 0
    assert points.expected == 0
    assert points.needs == ("30 formal points",)
    assert person.status == "on_track"  # no points yet, but the points have no pace


def test_the_skj_profile_round_trips_through_json(tmp_path: Path) -> None:
    """JSON is the other file format; dumping and loading gives the same profile."""
    path = tmp_path / "skj.json"
    path.write_text(SKJ_PROFILE.model_dump_json(indent=2), encoding="utf-8")
    assert ComplianceProfile.from_file(path) == SKJ_PROFILE


@pytest.mark.parametrize(
    ("name", "text", "fragment"),
    [
        ("rules.yaml", "id: x", "must end in .toml or .json"),
        ("broken.toml", "id = ", "is not valid TOML"),
        ("broken.json", "{", "is not valid JSON"),
        ("empty.json", "{}", "requirements: Field required"),
        (
            "capped.toml",
            CUSTOM_TOML.replace("minimum = 10", "minimum = 10\ncap = 5"),
            "cap 5.0 is below minimum 10.0",
        ),
        (
            "unreachable.json",
            json.dumps(
                {
                    "id": "x",
                    "version": "1",
                    "name": "x",
                    "register_names": ["X"],
                    "requirements": [
                        {
                            "kind": "points",
                            "id": "p",
                            "minimum_points": 30,
                            "modes": {"informal": {"cap": 20}},
                        }
                    ],
                }
            ),
            "the caps allow at most 20 points",
        ),
    ],
)
def test_a_bad_profile_file_raises_a_typed_error_naming_the_file(
    tmp_path: Path, name: str, text: str, fragment: str
) -> None:
    """Each problem is a ComplianceProfileError (an InvalidValueError) naming file and problem."""
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ComplianceProfileError) as caught:
        ComplianceProfile.from_file(path)
    assert name in str(caught.value)
    assert fragment in str(caught.value)
    assert isinstance(caught.value, InvalidValueError)


def test_the_toml_profile_in_the_docs_is_a_valid_profile() -> None:
    """docs/compliance.md shows a profile for another register: it must load as written."""
    page = Path(__file__).resolve().parents[2] / "docs" / "compliance.md"
    blocks = re.findall(r"^```toml\n(.*?)^```", page.read_text(encoding="utf-8"), re.S | re.M)
    assert blocks
    for block in blocks:
        profile = ComplianceProfile.from_mapping(tomllib.loads(block), origin="docs")
        cpd = profile.requirement("cpd")
        assert isinstance(cpd, PointsRequirement)
        assert cpd.modes["informal"].cap == 40


def test_a_missing_profile_file_names_the_path(tmp_path: Path) -> None:
    with pytest.raises(
        ComplianceProfileError, match=r"cannot read the profile file .*nowhere\.toml"
    ):
        ComplianceProfile.from_file(tmp_path / "nowhere.toml")


# ---------------------------------------------------------------- typed errors


def test_errors_name_the_offending_value(records: LearningRecords) -> None:
    """Unknown person or team, bad level, naive datetime, stray key, bad profile: typed errors."""
    with pytest.raises(UnknownPersonError, match="'E404'"):
        compliance(records, ORG, "person", "E404", as_of=NEAR_END)
    with pytest.raises(UnknownTeamError, match="'T404'"):
        compliance(records, ORG, "team", "T404", as_of=NEAR_END)
    with pytest.raises(InvalidValueError, match="level 'department' is unknown"):
        compliance(records, ORG, "department", "T1", as_of=NEAR_END)  # type: ignore[arg-type]
    with pytest.raises(NaiveDatetimeError, match="as_of 2026-01-01T00:00:00 has no time zone"):
        compliance(records, ORG, "person", "E1", as_of=datetime(2026, 1, 1))
    with pytest.raises(NaiveDatetimeError, match="known_at 2026-01-01T00:00:00"):
        compliance(records, ORG, "person", "E1", known_at=datetime(2026, 1, 1))
    with pytest.raises(InvalidValueError, match="takes no key, got 'T1'"):
        compliance(records, ORG, "organisation", "T1")
    with pytest.raises(EmptyKeyError, match="person key None"):
        compliance(records, ORG, "person")
    with pytest.raises(InvalidValueError, match="profile 'skj' is not a ComplianceProfile"):
        compliance(records, ORG, "organisation", profile="skj")  # type: ignore[arg-type]
    with pytest.raises(UnknownOrganisationError, match="'elsewhere'"):
        compliance(records, "elsewhere", "organisation")
    history = load_history(records, ORG)
    stranger = UUID(int=7)
    with pytest.raises(UnknownPersonError, match=str(stranger)):
        compliance_of(history, stranger, NEAR_END)
    with pytest.raises(NaiveDatetimeError, match="as_of 2026-01-01T00:00:00"):
        compliance_of(history, records.person_id(ORG, "E1"), datetime(2026, 1, 1))
