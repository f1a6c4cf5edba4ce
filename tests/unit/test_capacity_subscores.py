"""Every capacity sub-score on small literal histories, against hand-computed expectations.

Defaults throughout: window W = 365 d, half-life h = 180 d, so
D = (180 / ln 2) * (1 - 2^(-365/180)) = 259.685 * 0.75477 = 196.002 days, and a yearly norm N
has the target T(N) = N * 196.002 / 365 = 0.53699 N. An event d days before as_of weighs
w(d) = 2^(-d/180): w(0) = 1, w(10) = 0.96222, w(30) = 0.89090, w(40) = 0.85724,
w(50) = 0.82486, w(60) = 0.79370, w(70) = 0.76367, w(100) = 0.68031, w(180) = 0.5,
w(200) = 0.46294, w(300) = 0.31498, w(365) = 0.24523.
"""

from __future__ import annotations

from datetime import timedelta
from uuid import UUID

import pytest
from tests.capacity_strategies import AS_OF, LiteralHistory, days_before

from learningorg.domain import events as ev
from learningorg.projections.capacity import (
    MODEL_VERSION,
    CapacityModel,
    CapacityResult,
    capacity_profile,
)

ALL3 = ("technical-instrumental", "normative", "personal")


def person_result(
    h: LiteralHistory, key: str, model: CapacityModel | None = None
) -> CapacityResult:
    return capacity_profile(h.history(), "person", h.person(key), AS_OF, model)


def team_result(h: LiteralHistory, key: str, model: CapacityModel | None = None) -> CapacityResult:
    return capacity_profile(h.history(), "team", h.team(key), AS_OF, model)


def org_result(h: LiteralHistory, model: CapacityModel | None = None) -> CapacityResult:
    return capacity_profile(h.history(), "organisation", None, AS_OF, model)


def value(result: CapacityResult, code: str) -> float | None:
    return result.subscores[code].value


def reflect(
    h: LiteralHistory, key: str, days: float, minutes: int, **fields: object
) -> ev.LearningEvent:
    return h.add(ev.ReflectionLogged, h.person(key), days_before(days), minutes=minutes, **fields)


# ---------------------------------------------------------------------- shared machinery


def test_target_of_a_yearly_norm() -> None:
    """T(12 h) = 12 * 196.002 / 365 = 6.4439 h: 100 means on the norm at a steady pace."""
    model = CapacityModel()
    assert model.decay_days == pytest.approx(196.0019, abs=1e-4)
    assert model.yearly_target(12) == pytest.approx(6.4439, abs=1e-4)
    assert model.model_version == MODEL_VERSION


def test_p1_six_hours_at_as_of() -> None:
    """6 h logged at as_of: w = 1, T = 12 h * 196.002/365 = 6.4439 h, P1 = 100 * 6/6.4439 = 93.1."""
    h = LiteralHistory()
    event = reflect(h, "E1", 0, 360)
    p1 = person_result(h, "E1").subscores["P1"]
    assert p1.value == pytest.approx(93.11, abs=0.01)
    assert p1.numerator == pytest.approx(6.0)
    assert p1.target == pytest.approx(6.4439, abs=1e-4)
    assert p1.event_ids == (event.event_id,)
    assert "SKJ" in p1.norm_source
    assert not p1.insufficient_data


def test_p1_six_month_old_reflection_counts_half() -> None:
    """6 h logged 180 days before: w = 0.5, 3 h / 6.4439 h = 46.56."""
    h = LiteralHistory()
    reflect(h, "E1", 180, 360)
    assert value(person_result(h, "E1"), "P1") == pytest.approx(46.56, abs=0.01)


def test_p1_window_edges() -> None:
    """365 days old counts (w = 0.24523: 6 h -> 1.4714 h -> 22.83); 366 days old and after
    as_of do not count at all, so P1 has no data."""
    h = LiteralHistory()
    reflect(h, "E1", 365, 360)
    assert value(person_result(h, "E1"), "P1") == pytest.approx(22.83, abs=0.01)
    h2 = LiteralHistory()
    reflect(h2, "E1", 366, 360)
    reflect(h2, "E1", -1, 360)
    assert value(person_result(h2, "E1"), "P1") is None
    assert person_result(h2, "E1").subscores["P1"].insufficient_data


def test_p1_credits_intervision_participants_once() -> None:
    """A 120-minute intervision at as_of credits both participants with 2 h: 2/6.4439 = 31.04.

    E1 also logs the same session as a reflection of the form "intervision" that refers to it:
    the same hour is not counted twice (still 31.04), and its event id joins the credit.
    """
    h = LiteralHistory()
    team, e1 = h.member("A", "E1")
    _, e2 = h.member("A", "E2")
    session = h.add(ev.IntervisionHeld, team, AS_OF, participants=(e1, e2), minutes=120)
    same = reflect(h, "E1", 0, 120, form="intervision", refs=(session.event_id,))
    for key in ("E1", "E2"):
        assert value(person_result(h, key), "P1") == pytest.approx(31.04, abs=0.01)
    assert set(person_result(h, "E1").subscores["P1"].event_ids) == {
        session.event_id,
        same.event_id,
    }


def test_p2_closure_and_stages() -> None:
    """Experiences 60, 40 and 10 days ago; a reflection 50 days ago refers to the first.

    Closed: the first (w(60) = 0.79370). Due without follow-up: the second (40 >= 30 days;
    w(40) = 0.85724). The third is younger than 30 days and still open: left out.
    closure = 0.79370 / (0.79370 + 0.85724) = 0.48076. Kolb stages present: experience,
    reflection = 2/4. P2 = 100 * (0.5 * 0.48076 + 0.5 * 0.5) = 49.04.
    """
    h = LiteralHistory()
    first = h.add(
        ev.ExperienceRecorded, h.person("E1"), days_before(60), kind="case", uncertainty=3
    )
    h.add(ev.ExperienceRecorded, h.person("E1"), days_before(40), kind="case", uncertainty=3)
    h.add(ev.ExperienceRecorded, h.person("E1"), days_before(10), kind="case", uncertainty=3)
    reflect(h, "E1", 50, 30, refs=(first.event_id,))
    p2 = person_result(h, "E1").subscores["P2"]
    assert p2.details["closure"] == pytest.approx(0.48076, abs=1e-5)
    assert p2.details["stages"] == 2
    assert p2.value == pytest.approx(49.04, abs=0.01)


def test_p2_late_follow_up_does_not_close_and_lesson_does() -> None:
    """A reflection 31 days after the experience is too late (closure 0; stages 2/4: P2 = 25);
    a lesson referring to it within 30 days closes it (closure 1: P2 = 100 * (0.5 + 0.25) = 75).
    """
    h = LiteralHistory()
    x = h.add(ev.ExperienceRecorded, h.person("E1"), days_before(100), kind="case", uncertainty=2)
    reflect(h, "E1", 69, 30, refs=(x.event_id,))
    assert value(person_result(h, "E1"), "P2") == pytest.approx(25.0)
    h.add(ev.LessonCaptured, h.team("A"), days_before(90), lesson_id="l1", refs=(x.event_id,))
    assert value(person_result(h, "E1"), "P2") == pytest.approx(75.0)


def test_p2_without_due_triggers_is_the_stages_alone() -> None:
    """Only a reflection (no experience to close): closure is 0/0 and leaves the formula, so
    P2 = 100 * stages/4 = 25."""
    h = LiteralHistory()
    reflect(h, "E1", 5, 30)
    p2 = person_result(h, "E1").subscores["P2"]
    assert p2.details["closure"] is None
    assert p2.value == pytest.approx(25.0)


def test_p3_depth() -> None:
    """Two reflections at as_of: one on all three dimensions (single loop), one on one
    dimension (double loop). All-three share 0.5, double share 0.5 -> sat(0.5, 0.2) = 1.
    P3 = 100 * (2/3 * 0.5 + 1/3 * 1) = 66.67."""
    h = LiteralHistory()
    reflect(h, "E1", 0, 60, dimensions=ALL3)
    reflect(h, "E1", 0, 60, dimensions=("normative",), loop="double")
    assert value(person_result(h, "E1"), "P3") == pytest.approx(66.67, abs=0.01)


def test_p4_expertise() -> None:
    """4 formal and 4 informal points at as_of. T(8) = 4.2959, T(4) = 2.1480.
    P4 = 100 * (2/3 * 4/4.2959 + 1/3 * min(1, 4/2.1480)) = 100 * (2/3 * 0.93111 + 1/3) = 95.41."""
    h = LiteralHistory()
    e1 = h.person("E1")
    h.add(ev.LearningActivityCompleted, e1, AS_OF, mode="formal", points=4)
    h.add(ev.LearningActivityCompleted, e1, AS_OF, mode="informal", points=4)
    p4 = person_result(h, "E1").subscores["P4"]
    assert p4.value == pytest.approx(95.41, abs=0.01)
    assert p4.details["formal_points"] == pytest.approx(4.0)


def test_p5_diversity() -> None:
    """Competences a, b on one event and a on another, at as_of: clusters a (2), b (1).
    H = -(2/3 ln 2/3 + 1/3 ln 1/3) = 0.63651, J = H / ln 2 = 0.91830, n = 2: sat(2, 5) = 0.4.
    P5 = 100 * 0.91830 * 0.4 = 36.73. With both mapped to one cluster: J = 0, P5 = 0."""
    h = LiteralHistory()
    e1 = h.person("E1")
    h.add(ev.LearningActivityCompleted, e1, AS_OF, mode="formal", competences=("a", "b"))
    h.add(ev.ExperienceRecorded, e1, AS_OF, kind="case", uncertainty=1, competences=("a",))
    assert value(person_result(h, "E1"), "P5") == pytest.approx(36.73, abs=0.01)
    one_cluster = CapacityModel(cluster_of={"a": "gesprek", "b": "gesprek"})
    assert value(person_result(h, "E1", one_cluster), "P5") == 0.0


def test_p6_a_recipient_in_another_team_counts_double() -> None:
    """E1 (team A) shares at as_of with E2 (team A) and E3 (team B): cross share 1/2, so the
    share counts 1 + 0.5 = 1.5. P6 = 100 * 1.5 / 6.4439 = 23.28."""
    h = LiteralHistory()
    _, e1 = h.member("A", "E1")
    _, e2 = h.member("A", "E2")
    _, e3 = h.member("B", "E3")
    h.add(ev.KnowledgeShared, e1, AS_OF, to_persons=(e2, e3))
    p6 = person_result(h, "E1").subscores["P6"]
    assert p6.value == pytest.approx(23.28, abs=0.01)
    assert p6.details["crossing_weight"] == pytest.approx(0.5)


def test_p6_team_membership_at_the_moment_of_sharing() -> None:
    """E3 joins team A only after the share: at the moment of sharing E3 was in team B, so
    the recipient still crosses the boundary (P6 = 100 * 2 / 6.4439 = 31.04)."""
    h = LiteralHistory()
    _, e1 = h.member("A", "E1")
    _, e3 = h.member("B", "E3")
    h.add(ev.KnowledgeShared, e1, days_before(0), to_persons=(e3,))
    h.add(ev.MemberLeft, h.team("B"), AS_OF + timedelta(hours=1), person=e3)
    h.add(ev.MemberJoined, h.team("A"), AS_OF + timedelta(hours=1), person=e3)
    assert value(person_result(h, "E1"), "P6") == pytest.approx(31.04, abs=0.01)


def test_p7_mastery() -> None:
    """A goal set 10 days ago and linked to a value, never reviewed: active + linked, no review:
    P7 = 100/3 * (1 + 1 + 0) = 66.67. A review yesterday (still active) adds the third: 100."""
    h = LiteralHistory()
    e1 = h.person("E1")
    h.add(ev.DevelopmentGoalSet, e1, days_before(10), goal_id="g1", values=("samen",))
    assert value(person_result(h, "E1"), "P7") == pytest.approx(66.67, abs=0.01)
    h.add(ev.DevelopmentGoalReviewed, e1, days_before(1), goal_id="g1", progress=0.3)
    assert value(person_result(h, "E1"), "P7") == pytest.approx(100.0)


def test_p7_an_achieved_goal_is_no_longer_active() -> None:
    """A goal set 300 days ago and reviewed as achieved 100 days ago: not active, not linked,
    reviewed in the last 180 days: P7 = 100/3 = 33.33. With no goal at all: no data."""
    h = LiteralHistory()
    e1 = h.person("E1")
    assert value(person_result(h, "E1"), "P7") is None
    h.add(ev.DevelopmentGoalSet, e1, days_before(300), goal_id="g1", values=("samen",))
    h.add(ev.DevelopmentGoalReviewed, e1, days_before(100), goal_id="g1", progress=1,
          status="achieved")  # fmt: skip
    assert value(person_result(h, "E1"), "P7") == pytest.approx(33.33, abs=0.01)


def test_p8_experimenting() -> None:
    """E1 owns an experiment started 100 days ago (w = 0.68031 >= T(1) = 0.53699: sat 1),
    review date 10 days ago, not evaluated: overdue. P8 = 100 * (0.5 * 1 + 0.5 * 0/1) = 50.
    Evaluated yesterday: 100 * (0.5 + 0.5 * 1/1) = 100."""
    h = LiteralHistory()
    _, e1 = h.member("A", "E1")
    review_by = days_before(10).date()
    h.add(ev.ExperimentStarted, h.team("A"), days_before(100), experiment_id="x", owners=(e1,),
          review_by=review_by)  # fmt: skip
    assert value(person_result(h, "E1"), "P8") == pytest.approx(50.0)
    h.add(ev.ExperimentEvaluated, h.team("A"), days_before(1), experiment_id="x", result="adopt")
    assert value(person_result(h, "E1"), "P8") == pytest.approx(100.0)


def test_p8_nothing_due_yet() -> None:
    """Started 300 days ago (w = 0.31498; sat = 0.31498/0.53699 = 0.58656), review date still
    ahead: the on-time term is 0/0 and leaves, so P8 = 58.66."""
    h = LiteralHistory()
    _, e1 = h.member("A", "E1")
    h.add(ev.ExperimentStarted, h.team("A"), days_before(300), experiment_id="x", owners=(e1,),
          review_by=(AS_OF + timedelta(days=30)).date())  # fmt: skip
    assert value(person_result(h, "E1"), "P8") == pytest.approx(58.66, abs=0.01)


# ---------------------------------------------------------------------- person level


def test_person_score_profile_and_coverage() -> None:
    """One 6-hour reflection at as_of (no dimensions, single loop) feeds three sub-scores:
    P1 = 93.11, P2 = 100 * 1/4 = 25 (only the reflection stage; nothing to close), P3 = 0 (no
    reflection on all three dimensions, no double loop). The other five have no data and drop out:
    score (93.11 + 25 + 0)/3 = 39.37, coverage 3/8 (below 0.5: too little data). Bars: M = (P1 +
    P3)/2 = 46.56, U = P2 = 25, V and S have nothing."""
    h = LiteralHistory()
    reflect(h, "E1", 0, 360)
    result = person_result(h, "E1")
    assert result.score == pytest.approx(39.37, abs=0.01)
    assert result.coverage == pytest.approx(3 / 8)
    assert result.insufficient_data
    assert pytest.approx(46.56, abs=0.01) == result.profile.M
    assert pytest.approx(25.0) == result.profile.U
    assert (result.profile.V, result.profile.S) == (None, None)
    assert result.model_version == MODEL_VERSION


def test_weights_and_bars() -> None:
    """P4 = 100 * 2/3 * min(1, 8/4.2959) = 66.67 (8 formal points at as_of) and P6 = 100 *
    1/6.4439 = 15.52 (one share within the team at as_of). Equal weights: score (66.67 +
    15.52)/2 = 41.09. P4 weighed 3: (3 * 66.67 + 15.52)/4 = 53.88; the bars are M = 66.67 and
    S = 15.52 either way (one sub-score each)."""
    h = LiteralHistory()
    _, e1 = h.member("A", "E1")
    _, e2 = h.member("A", "E2")
    h.add(ev.LearningActivityCompleted, e1, AS_OF, mode="formal", points=8)
    h.add(ev.KnowledgeShared, e1, AS_OF, to_persons=(e2,))
    assert person_result(h, "E1").score == pytest.approx(41.09, abs=0.01)
    weights = dict(CapacityModel().weights, P4=3.0)
    custom = CapacityModel(weights=weights, model_version="custom-1")
    result = person_result(h, "E1", custom)
    assert result.score == pytest.approx(53.88, abs=0.01)
    assert pytest.approx(66.67, abs=0.01) == result.profile.M
    assert pytest.approx(15.52, abs=0.01) == result.profile.S
    assert result.model_version == "custom-1"


def test_events_after_as_of_and_nothing_recorded() -> None:
    """A person with nothing recorded has no score at all; events after as_of never count."""
    h = LiteralHistory()
    h.person("E1")
    assert person_result(h, "E1").score is None
    reflect(h, "E1", -3, 600)
    result = person_result(h, "E1")
    assert result.score is None
    assert result.insufficient_data
    assert all(s.insufficient_data for s in result.subscores.values())


# ---------------------------------------------------------------------- team level


def test_g1_median_of_members_with_iqr() -> None:
    """Each member logs one reflection at as_of, so their score is (P1 + P2 + P3)/3 with
    P2 = 25 and P3 = 0: 6 h -> (93.11 + 25)/3 = 39.37, 3 h -> (46.56 + 25)/3 = 23.85,
    1 h -> (15.52 + 25)/3 = 13.51. Median 23.85; quartiles (inclusive) (13.51 + 23.85)/2 = 18.68
    and (23.85 + 39.37)/2 = 31.61, IQR 12.93. E4 left the team before as_of and does not count."""
    h = LiteralHistory()
    for key, minutes in (("E1", 360), ("E2", 180), ("E3", 60), ("E4", 600)):
        h.member("A", key)
        reflect(h, key, 0, minutes)
    h.add(ev.MemberLeft, h.team("A"), days_before(1), person=h.person("E4"))
    g1 = team_result(h, "A").subscores["G1"]
    assert g1.value == pytest.approx(23.85, abs=0.01)
    assert g1.details["q1"] == pytest.approx(18.68, abs=0.01)
    assert g1.details["q3"] == pytest.approx(31.61, abs=0.01)
    assert g1.details["iqr"] == pytest.approx(12.93, abs=0.01)
    assert g1.details["members"] == 3


def test_g2_team_learning() -> None:
    """Intervisions 10 and 70 days ago: count w(10) + w(70) = 0.96222 + 0.76367 = 1.72594;
    T(6) = 3.2219: sat 0.53568. Slots of 8 weeks back from as_of: 6; filled: (t-56d, t] and
    (t-112d, t-56d] = 2/6. G2 = 100 * (0.5 * 0.53568 + 0.5 * 0.33333) = 43.45."""
    h = LiteralHistory()
    team, e1 = h.member("A", "E1")
    _, e2 = h.member("A", "E2")
    for days in (10, 70):
        h.add(ev.IntervisionHeld, team, days_before(days), participants=(e1, e2), minutes=90)
    g2 = team_result(h, "A").subscores["G2"]
    assert g2.value == pytest.approx(43.45, abs=0.01)
    assert g2.details["regularity"] == pytest.approx(2 / 6)


def test_g3_experimenting() -> None:
    """Two experiments started 30 days ago (2 * 0.89090 = 1.78180 >= T(2) = 1.07398: sat 1),
    both due yesterday; one evaluated, one overdue. G3 = 100 * (0.5 + 0.5 * 1/2) = 75."""
    h = LiteralHistory()
    team = h.team("A")
    for name in ("x", "y"):
        h.add(ev.ExperimentStarted, team, days_before(30), experiment_id=name,
              review_by=days_before(1).date())  # fmt: skip
    h.add(ev.ExperimentEvaluated, team, days_before(2), experiment_id="x", result="adapt")
    assert value(team_result(h, "A"), "G3") == pytest.approx(75.0)


def test_g4_integrating() -> None:
    """At as_of: 1 lesson; 1 evaluated experiment, 1 consultation hosted, 1 consultation of
    team B with A as guest team. ratio 1/3; sat(0.3333, 0.5) = 0.6667: G4 = 66.67."""
    h = LiteralHistory()
    team_a, e1 = h.member("A", "E1")
    team_b, e3 = h.member("B", "E3")
    h.add(ev.ExperimentStarted, team_a, days_before(50), experiment_id="x",
          review_by=AS_OF.date())  # fmt: skip
    h.add(ev.ExperimentEvaluated, team_a, AS_OF, experiment_id="x", result="adopt")
    h.add(ev.CaseConsultationHeld, team_a, AS_OF, participants=(e1, e3), minutes=60)
    h.add(ev.CaseConsultationHeld, team_b, AS_OF, participants=(e1, e3), minutes=60,
          teams=(team_a,))  # fmt: skip
    h.add(ev.LessonCaptured, team_a, AS_OF, lesson_id="l1")
    assert value(team_result(h, "A"), "G4") == pytest.approx(66.67, abs=0.01)


def test_g7_vision() -> None:
    """At as_of: an experiment with a value, a lesson without, a member's goal with a value:
    share 2/3. One team vision dialogue: sat(1, T(2) = 1.07398) = 0.93111.
    G7 = 100 * (2/3 * 2/3 + 1/3 * 0.93111) = 75.48."""
    h = LiteralHistory()
    team, e1 = h.member("A", "E1")
    h.add(ev.ExperimentStarted, team, AS_OF, experiment_id="x", review_by=AS_OF.date(),
          values=("samen",))  # fmt: skip
    h.add(ev.LessonCaptured, team, AS_OF, lesson_id="l1")
    h.add(ev.DevelopmentGoalSet, e1, AS_OF, goal_id="g", values=("veilig",))
    h.add(ev.VisionDialogueHeld, team, AS_OF, participants=(e1,))
    assert value(team_result(h, "A"), "G7") == pytest.approx(75.48, abs=0.01)


def test_g8_latest_climate() -> None:
    """The latest Edmondson-7 measurement (means 5 and 6 on a 7-point scale, mean 5.5):
    G8 = 100 * (5.5 - 1)/(7 - 1) = 75; an older one (all 2s) no longer counts."""
    h = LiteralHistory()
    team = h.team("A")
    h.add(ev.LearningClimateMeasured, team, days_before(400), instrument="Edmondson-7", n=6,
          dimension_means={"a": 2.0}, scale=7)  # fmt: skip
    h.add(ev.LearningClimateMeasured, team, days_before(10), instrument="Edmondson-7", n=6,
          dimension_means={"a": 5.0, "b": 6.0}, scale=7)  # fmt: skip
    assert value(team_result(h, "A"), "G8") == pytest.approx(75.0)


def test_team_coverage_ignores_the_optional_climate() -> None:
    """A team with only a climate measurement: score 75 (G8 alone), coverage 0/7, since G8 is
    optional and does not count toward coverage; it is in no NJi bar."""
    h = LiteralHistory()
    h.add(ev.LearningClimateMeasured, h.team("A"), AS_OF, instrument="Edmondson-7", n=6,
          dimension_means={"a": 5.5}, scale=7)  # fmt: skip
    result = team_result(h, "A")
    assert result.score == pytest.approx(75.0)
    assert result.coverage == 0.0
    assert result.insufficient_data
    assert result.profile == result.profile.model_construct(V=None, U=None, M=None, S=None)


# ---------------------------------------------------------------------- organisation level


def climate(h: LiteralHistory, team: str, mean: float) -> None:
    h.add(ev.LearningClimateMeasured, h.team(team), AS_OF, instrument="Edmondson-7", n=6,
          dimension_means={"a": mean}, scale=7)  # fmt: skip


def test_o1_fte_weighted_team_scores() -> None:
    """Team A (1.0 + 0.5 FTE) scores 75 and team B (1.0 FTE) 50 (each from its climate alone:
    (5.5 - 1)/6 and (4 - 1)/6). O1 = (1.5 * 75 + 1.0 * 50) / 2.5 = 65; minimum 50; share
    below 50: 0 (50 is not below 50)."""
    h = LiteralHistory()
    h.member("A", "E1")
    h.member("A", "E2", fte=0.5)
    h.member("B", "E3")
    climate(h, "A", 5.5)
    climate(h, "B", 4.0)
    o1 = org_result(h).subscores["O1"]
    assert o1.value == pytest.approx(65.0)
    assert o1.details["minimum"] == pytest.approx(50.0)
    assert o1.details["share_below"] == 0.0


def test_o2_institutionalising() -> None:
    """An organisation-scope lesson 200 days ago (w 0.46294) became a practice 100 days ago
    (within 12 months): converted. An adopted experiment evaluated 50 days ago (w 0.82486) is not.
    conversion = 0.46294/1.28780 = 0.35948: sat(., 0.3) = 1. Practices: w(100) = 0.68031 over
    T(4) = 2.14797: 0.31672. O2 = 100 * (0.5 * 1 + 0.5 * 0.31672) = 65.84."""
    h = LiteralHistory()
    team = h.team("A")
    lesson = h.add(ev.LessonCaptured, team, days_before(200), lesson_id="l", scope="organisation")
    h.add(ev.ExperimentStarted, team, days_before(150), experiment_id="x", review_by=AS_OF.date())
    h.add(ev.ExperimentEvaluated, team, days_before(50), experiment_id="x", result="adopt")
    h.add(ev.PracticeInstitutionalised, h.org_id, days_before(100), practice_id="p",
          name="Werkwijze", kind="method", derived_from=(lesson.event_id,))  # fmt: skip
    o2 = org_result(h).subscores["O2"]
    assert o2.details["conversion"] == pytest.approx(0.35948, abs=1e-4)
    assert o2.value == pytest.approx(65.84, abs=0.01)


def test_o3_absorptive_capacity() -> None:
    """Two members of 1 FTE; at as_of: 2 external acquisitions (target 1/FTE: T(2) = 1.07398,
    sat 1), 1 share (target 4/FTE: T(8) = 4.29593, sat 0.23278), 1 lesson (0.5/FTE: T(1) =
    0.53699, sat 1), 1 experiment started (0.25/FTE: T(0.5) = 0.26850, sat 1).
    O3 = 100 * (1 * 0.23278 * 1 * 1)^(1/4) = 69.46."""
    h = LiteralHistory()
    team, e1 = h.member("A", "E1")
    _, e2 = h.member("A", "E2")
    h.add(ev.ExternalKnowledgeAcquired, e1, AS_OF, source="research")
    h.add(ev.ExternalKnowledgeAcquired, e2, AS_OF, source="practice")
    h.add(ev.KnowledgeShared, e1, AS_OF, to_persons=(e2,))
    h.add(ev.LessonCaptured, team, AS_OF, lesson_id="l")
    h.add(ev.ExperimentStarted, team, AS_OF, experiment_id="x", review_by=AS_OF.date())
    o3 = org_result(h).subscores["O3"]
    assert o3.details["size"] == 2.0
    assert o3.value == pytest.approx(69.46, abs=0.01)


def test_o3_a_missing_stage_is_zero() -> None:
    """Acquisitions but nothing assimilated, transformed or exploited: the geometric mean is 0."""
    h = LiteralHistory()
    _, e1 = h.member("A", "E1")
    h.add(ev.ExternalKnowledgeAcquired, e1, AS_OF, source="research")
    assert value(org_result(h), "O3") == 0.0


def test_o6_values_revisited_in_the_last_24_months() -> None:
    """At as_of: a goal linked to "oud" (defined 800 days ago: not revisited in 24 months), an
    experiment linked to "samen" (defined 100 days ago), a lesson with no value: share 1/3 =
    33.33. A dialogue on "oud" 30 days ago revisits it: 2/3 = 66.67."""
    h = LiteralHistory()
    team, e1 = h.member("A", "E1")
    h.add(ev.VisionValueDefined, h.org_id, days_before(800), value_id="oud", label="Oud")
    h.add(ev.VisionValueDefined, h.org_id, days_before(100), value_id="samen", label="Samen")
    h.add(ev.DevelopmentGoalSet, e1, AS_OF, goal_id="g", values=("oud",))
    h.add(ev.ExperimentStarted, team, AS_OF, experiment_id="x", review_by=AS_OF.date(),
          values=("samen",))  # fmt: skip
    h.add(ev.LessonCaptured, team, AS_OF, lesson_id="l")
    assert value(org_result(h), "O6") == pytest.approx(33.33, abs=0.01)
    h.add(ev.VisionDialogueHeld, h.org_id, days_before(30), participants=(e1,), values=("oud",))
    assert value(org_result(h), "O6") == pytest.approx(66.67, abs=0.01)


def test_o7_organisation_climate() -> None:
    """The organisation's DLOQ-21 (mean 4 on a 6-point scale): O7 = 100 * 3/5 = 60. A team's
    Edmondson-7 is not an organisation measurement."""
    h = LiteralHistory()
    h.add(ev.LearningClimateMeasured, h.team("A"), AS_OF, instrument="Edmondson-7", n=6,
          dimension_means={"a": 6.0}, scale=7)  # fmt: skip
    assert value(org_result(h), "O7") is None
    h.add(ev.LearningClimateMeasured, h.org_id, days_before(5), instrument="DLOQ-21", n=40,
          dimension_means={"a": 3.5, "b": 4.5}, scale=6)  # fmt: skip
    assert value(org_result(h), "O7") == pytest.approx(60.0)


def test_retracted_events_never_count() -> None:
    """A retracted reflection is gone from P1, whatever as_of."""
    h = LiteralHistory()
    kept = reflect(h, "E1", 0, 360)
    wrong = reflect(h, "E1", 0, 600)
    h.add(ev.EventRetracted, h.person("E1"), AS_OF, retracted_event_id=wrong.event_id)
    p1 = person_result(h, "E1").subscores["P1"]
    assert p1.value == pytest.approx(93.11, abs=0.01)
    assert p1.event_ids == (kept.event_id,)


def test_every_code_is_reported() -> None:
    """Each level reports exactly its codes, each with a name, an element and a norm source."""
    h = LiteralHistory()
    h.member("A", "E1")
    expected = {
        "person": [f"P{i}" for i in range(1, 9)],
        "team": [f"G{i}" for i in range(1, 9)],
        "organisation": [f"O{i}" for i in range(1, 8)],
    }
    results = {
        "person": person_result(h, "E1"),
        "team": team_result(h, "A"),
        "organisation": org_result(h),
    }
    for level, result in results.items():
        assert list(result.subscores) == expected[level]
        for code, sub in result.subscores.items():
            assert sub.code == code
            assert sub.name
            assert sub.element in "VUMS"
            assert sub.norm_source
    assert isinstance(results["team"].entity_id, UUID)


# ---------------------------------------------------------------------- knowledge flow


def flow_history() -> LiteralHistory:
    """Team A = E1, E2; team B = E3, E4. At as_of (w = 1): E1 shares with E2 and with E3, E3
    shares with E4. Edges (source -> recipient): E1->E2 1, E1->E3 1, E3->E4 1."""
    h = LiteralHistory()
    _, e1 = h.member("A", "E1")
    _, e2 = h.member("A", "E2")
    _, e3 = h.member("B", "E3")
    _, e4 = h.member("B", "E4")
    h.add(ev.KnowledgeShared, e1, AS_OF, to_persons=(e2,))
    h.add(ev.KnowledgeShared, e1, AS_OF, to_persons=(e3,))
    h.add(ev.KnowledgeShared, e3, AS_OF, to_persons=(e4,))
    return h


def test_g5_boundary_crossing() -> None:
    """Team A's flow: internal E1->E2 (1), crossing E1->E3 (1) and, with E3 seeking E1's advice,
    E1->E3 once more: crossing share 2/3 -> sat(., 0.25) = 1; one partner team -> sat(1, 3) = 1/3.
    G5 = 100 * (0.5 * 1 + 0.5 * 1/3) = 66.67; E-I index (2 - 1)/3 = 0.333."""
    h = flow_history()
    h.add(ev.AdviceSought, h.person("E3"), AS_OF, from_person=h.person("E1"))
    g5 = team_result(h, "A").subscores["G5"]
    assert g5.value == pytest.approx(66.67, abs=0.01)
    assert g5.details["ei_index"] == pytest.approx(1 / 3)


def test_g6_cohesion() -> None:
    """Team A inside: E1->E2 only. Density 1/(2 * 1) = 0.5 -> sat(., 0.3) = 1; reciprocity 0:
    G6 = 100 * (0.5 * 1 + 0.5 * 0) = 50. E2 shares back: reciprocity 1, G6 = 100."""
    h = flow_history()
    assert value(team_result(h, "A"), "G6") == pytest.approx(50.0)
    h.add(ev.KnowledgeShared, h.person("E2"), AS_OF, to_persons=(h.person("E1"),))
    assert value(team_result(h, "A"), "G6") == pytest.approx(100.0)


def test_o4_connectedness() -> None:
    """m = 3. Modularity of {A, B} (directed, Leicht-Newman): A: 1 - out(E1) * in(E2)/m =
    1 - 2 * 1/3 = 1/3; B: 1 - out(E3) * in(E4)/m - out(E3) * in(E3)/m = 1 - 1/3 - 1/3 = 1/3;
    Q = (1/3 + 1/3)/3 = 2/9. Largest component: 4 of 4. Cross-team share 1/3 -> sat 1.
    O4 = 100/3 * ((1 - 2/9) + 1 + 1) = 92.59."""
    o4 = org_result(flow_history()).subscores["O4"]
    assert o4.details["modularity"] == pytest.approx(2 / 9)
    assert o4.value == pytest.approx(92.59, abs=0.01)


def test_o5_resilience() -> None:
    """Only E3 brokers (E1 -> E3 -> E4): betweenness 1/((n-1)(n-2)) = 1/6, the others 0.
    Gini of (0, 0, 0, 1/6) = (2 * 4 - 4 - 1) * (1/6) / (4 * 1/6) = 0.75. All cross-team flow
    (E1->E3) touches a top broker: share 1. O5 = 100 * (0.5 * 0.25 + 0.5 * 0) = 12.5."""
    o5 = org_result(flow_history()).subscores["O5"]
    assert o5.details["betweenness_gini"] == pytest.approx(0.75)
    assert o5.value == pytest.approx(12.5)
