"""Commands and queries of LearningRecords on every store: what is stored, what is refused."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from uuid import uuid4

import pytest

from learningorg import LearningRecords
from learningorg import errors as err
from learningorg.domain import events as ev

ORG = "jeugdzorg-noord"
T0 = datetime(2025, 1, 6, 9, 0, tzinfo=UTC)


def seed(records: LearningRecords) -> None:
    """One organisation, two teams, three persons; P1 and P2 in T1, P3 in T2."""
    records.register_organisation(ORG, "Jeugdzorg Noord", occurred_at=T0)
    records.register_team(ORG, "T1", "Ambulant Noord", occurred_at=T0)
    records.register_team(ORG, "T2", "Gezinshuis", occurred_at=T0)
    for key in ("P1", "P2", "P3"):
        records.register_person(ORG, key, name=f"Name {key}", occurred_at=T0)
    records.add_member(ORG, "T1", "P1", occurred_at=T0)
    records.add_member(ORG, "T1", "P2", occurred_at=T0)
    records.add_member(ORG, "T2", "P3", occurred_at=T0)


def history_size(records: LearningRecords) -> int:
    return sum(1 for _ in records.events())


def test_streams_of_three_levels(records: LearningRecords) -> None:
    """Organisation, team and person events land in their own streams, in one total order."""
    seed(records)
    records.log_reflection(ORG, "P1", minutes=45, occurred_at=T0 + timedelta(days=1))
    records.hold_intervision(ORG, "T1", participants=["P1", "P2"], minutes=90,
                             occurred_at=T0 + timedelta(days=2))  # fmt: skip
    assert [type(e).__name__ for e in records.stream(ORG, "person", "P1")] == [
        "PersonRegistered",
        "ReflectionLogged",
    ]
    team_events = [type(e).__name__ for e in records.stream(ORG, "team", "T1")]
    assert team_events == ["TeamRegistered", "MemberJoined", "MemberJoined", "IntervisionHeld"]
    positions = [entry.position for entry in records.events()]
    assert positions == sorted(positions)
    assert len(positions) == len(set(positions)) == 11


def test_registering_twice_is_idempotent(records: LearningRecords) -> None:
    """Registering the same organisation, team and person again stores nothing new."""
    seed(records)
    before = history_size(records)
    assert not records.register_organisation(ORG, "Jeugdzorg Noord").recorded
    assert not records.register_team(ORG, "T1").recorded
    again = records.register_person(ORG, "P1", name="Name P1")
    assert not again.recorded
    assert again.stream_id == records.person_id(ORG, "P1")
    assert history_size(records) == before


@pytest.mark.parametrize(
    ("given", "stored"),
    [(None, None), ("", None), ("  \t", None), (" Sanne@Example.ORG ", "sanne@example.org")],
)
def test_email_is_trimmed_lowercased_and_blank_means_none(
    records: LearningRecords, given: str | None, stored: str | None
) -> None:
    """A blank email is stored as absent (xAPI has no empty mbox, so it could not round-trip)."""
    records.register_organisation(ORG, "Jeugdzorg Noord", occurred_at=T0)
    records.register_person(ORG, "P1", email=given, occurred_at=T0)
    (registered,) = records.stream(ORG, "person", "P1")
    assert isinstance(registered, ev.PersonRegistered)
    assert registered.email == stored


def test_importing_the_same_history_twice_leaves_one_copy(records: LearningRecords) -> None:
    """Facts recorded with idempotency keys are stored once however often they are sent."""
    seed(records)

    def import_history() -> None:
        for day in range(5):
            records.log_reflection(ORG, "P1", minutes=30 + day, idempotency_key=f"hr-{day}",
                                   occurred_at=T0 + timedelta(days=day))  # fmt: skip
        records.share_knowledge(ORG, "P1", to_persons=["P3"], idempotency_key="share-1",
                                occurred_at=T0 + timedelta(days=9))  # fmt: skip

    import_history()
    first = history_size(records)
    import_history()
    assert history_size(records) == first == 9 + 6


def test_membership_has_validity_periods(records: LearningRecords) -> None:
    """A person who moves teams is in the old team before and the new one after the move."""
    seed(records)
    move = T0 + timedelta(days=100)
    records.remove_member(ORG, "T1", "P2", occurred_at=move)
    records.add_member(ORG, "T2", "P2", occurred_at=move)
    p2 = records.person_id(ORG, "P2")
    t1, t2 = records.team(ORG, "T1"), records.team(ORG, "T2")
    assert p2 in t1.members_at(move - timedelta(seconds=1))
    assert p2 not in t1.members_at(move)
    assert p2 in t2.members_at(move)
    assert p2 not in t2.members_at(move - timedelta(seconds=1))


def test_late_recorded_leave_closes_the_right_period(records: LearningRecords) -> None:
    """A leave recorded after later events still ends the membership when it occurred."""
    seed(records)
    records.log_reflection(ORG, "P1", minutes=30, occurred_at=T0 + timedelta(days=300))
    records.remove_member(ORG, "T1", "P1", occurred_at=T0 + timedelta(days=50))
    team = records.team(ORG, "T1")
    p1 = records.person_id(ORG, "P1")
    assert p1 in team.members_at(T0 + timedelta(days=49))
    assert p1 not in team.members_at(T0 + timedelta(days=51))


def test_personas_link_identifiers_to_one_person(records: LearningRecords) -> None:
    """Several identifiers resolve to the same person; one identifier cannot serve two."""
    seed(records)
    records.link_identifier(ORG, "P1", "mailto:p1@example.org")
    records.link_identifier(ORG, "P1", "account:https://lms.example.org|p1")
    p1 = records.person_id(ORG, "P1")
    assert records.person_by_identifier(ORG, "mailto:p1@example.org") == p1
    assert records.person_by_identifier(ORG, "account:https://lms.example.org|p1") == p1
    assert records.person_by_identifier(ORG, "mailto:nobody@example.org") is None
    assert not records.link_identifier(ORG, "P1", "mailto:p1@example.org").recorded
    with pytest.raises(err.InvalidValueError, match="already linked"):
        records.link_identifier(ORG, "P2", "mailto:p1@example.org")


def test_retraction_keeps_the_event_and_marks_it(records: LearningRecords) -> None:
    """A retraction is a new event in the same stream; the original stays stored."""
    seed(records)
    done = records.log_reflection(ORG, "P1", minutes=60, occurred_at=T0)
    assert done.event_id is not None
    records.retract(ORG, done.event_id, "entered twice")
    stream = records.stream(ORG, "person", "P1")
    assert [type(e).__name__ for e in stream] == [
        "PersonRegistered", "ReflectionLogged", "EventRetracted",
    ]  # fmt: skip
    assert records.person(ORG, "P1").retracted == {done.event_id}
    assert not records.retract(ORG, done.event_id, "again").recorded
    retraction = stream[-1]
    with pytest.raises(err.InvalidValueError, match="cannot be retracted"):
        records.retract(ORG, retraction.event_id)
    with pytest.raises(err.UnknownEventError):
        records.retract(ORG, uuid4())


def test_retracting_a_join_removes_the_membership(records: LearningRecords) -> None:
    """A join entered by mistake and retracted no longer makes the person a member."""
    seed(records)
    joined = records.add_member(ORG, "T2", "P1", occurred_at=T0 + timedelta(days=1))
    assert joined.event_id is not None
    records.retract(ORG, joined.event_id, "wrong team")
    assert records.person_id(ORG, "P1") not in records.team(ORG, "T2").members_at(
        T0 + timedelta(days=2)
    )


def test_non_members_are_allowed_but_flagged(records: LearningRecords) -> None:
    """A participant outside the team at that moment is stored with a warning."""
    seed(records)
    done = records.hold_intervision(ORG, "T1", participants=["P1", "P3"], minutes=60,
                                    occurred_at=T0 + timedelta(days=3))  # fmt: skip
    assert done.recorded
    assert len(done.warnings) == 1
    assert "'P3'" in done.warnings[0]


def test_experiment_must_be_started_before_it_is_evaluated(records: LearningRecords) -> None:
    """Evaluating an experiment that was never started is a typed error; nothing is stored."""
    seed(records)
    before = history_size(records)
    with pytest.raises(err.UnknownExperimentError, match=r"'E-9'.*start_experiment"):
        records.evaluate_experiment(ORG, "T1", "E-9", result="adopt")
    assert history_size(records) == before
    records.start_experiment(ORG, "T1", "E-9", review_by=date(2025, 6, 1), owners=["P1"])
    assert records.evaluate_experiment(ORG, "T1", "E-9", result="adopt").recorded
    assert not records.evaluate_experiment(ORG, "T1", "E-9", result="adopt").recorded


BAD_INPUT = [
    pytest.param(
        lambda r: r.log_reflection(ORG, "P1", minutes=-5), err.InvalidValueError, "minutes",
        id="negative-minutes",
    ),
    pytest.param(
        lambda r: r.log_reflection(ORG, "P1", minutes=30, occurred_at=datetime(2025, 1, 1)),
        err.NaiveDatetimeError, "no time zone", id="naive-datetime",
    ),
    pytest.param(
        lambda r: r.log_reflection(ORG, "nobody", minutes=30), err.UnknownPersonError,
        "'nobody'", id="unknown-person",
    ),
    pytest.param(
        lambda r: r.hold_intervision(ORG, "T9", participants=["P1", "P2"], minutes=30),
        err.UnknownTeamError, "'T9'", id="unknown-team",
    ),
    pytest.param(
        lambda r: r.log_reflection("elsewhere", "P1", minutes=30),
        err.UnknownOrganisationError, "'elsewhere'", id="unknown-organisation",
    ),
    pytest.param(
        lambda r: r.register_person(ORG, "   "), err.EmptyKeyError, "empty", id="empty-key",
    ),
    pytest.param(
        lambda r: r.record_experience(ORG, "P1", kind="case", uncertainty=9),
        err.InvalidValueError, "uncertainty", id="uncertainty-out-of-range",
    ),
    pytest.param(
        lambda r: r.share_knowledge(ORG, "P1"), err.InvalidValueError, "nobody",
        id="share-with-nobody",
    ),
    pytest.param(
        lambda r: r.set_development_goal(ORG, "P1", "G1", values=["unknown-value"]),
        err.InvalidValueError, "unknown-value", id="undefined-vision-value",
    ),
]  # fmt: skip


@pytest.mark.parametrize(("command", "error", "names"), BAD_INPUT)
def test_bad_input_is_a_typed_error_and_stores_nothing(
    records: LearningRecords, command: object, error: type[Exception], names: str
) -> None:
    """Each kind of bad input raises its typed error naming the value; the history is unchanged."""
    seed(records)
    before = list(records.events())
    with pytest.raises(error, match=names) as raised:
        command(records)  # type: ignore[operator]
    assert isinstance(raised.value, err.LearningOrgError)
    assert list(records.events()) == before


def test_every_catalogue_event_has_a_command(memory_records: LearningRecords) -> None:
    """Each event of the catalogue can be recorded through the public API."""
    r = memory_records
    seed(r)
    r.define_vision_value(ORG, "v-ownership", "Eigenaarschap")
    r.revise_vision_value(ORG, "v-ownership", "Eigenaarschap en lef")
    r.allocate_learning_time(ORG, date(2025, 1, 1), date(2025, 12, 31), 40, "leerweek")
    r.hold_vision_dialogue(ORG, team="T1", participants=["P1", "P2"], values=["v-ownership"])
    r.measure_learning_climate(ORG, instrument="DLOQ-21", n=12, scale=6,
                               dimension_means={"inquiry": 4.2})  # fmt: skip
    r.rename_team(ORG, "T2", "Gezinshuis Oost")
    r.hold_intervision(ORG, "T1", participants=["P1", "P2"], minutes=90, case_owner="P2")
    r.hold_case_consultation(ORG, "T1", participants=["P1", "P3"], teams=["T2"], minutes=60)
    r.start_experiment(ORG, "T1", "X1", review_by=date(2025, 5, 1), owners=["P1"])
    r.evaluate_experiment(ORG, "T1", "X1", result="adapt", loop="double")
    lesson = r.capture_lesson(ORG, "T1", "L1", scope="organisation", authors=["P1"])
    assert lesson.event_id is not None
    r.institutionalise_practice(ORG, "PR1", "Signs of Safety", "method",
                                derived_from=[lesson.event_id], authors=["P1"])  # fmt: skip
    r.link_identifier(ORG, "P1", "mailto:p1@example.org")
    exp = r.record_experience(ORG, "P1", kind="dilemma", uncertainty=4)
    r.log_reflection(ORG, "P1", minutes=60, dimensions=["normative"], refs=[exp.event_id])  # type: ignore[list-item]
    r.complete_learning_activity(ORG, "P2", mode="formal", hours=8, points=8,
                                 practice_id="PR1")  # fmt: skip
    r.set_development_goal(ORG, "P1", "G1", values=["v-ownership"])
    r.review_development_goal(ORG, "P1", "G1", progress=0.5)
    r.revise_assumption(ORG, "P1", refs=[exp.event_id])  # type: ignore[list-item]
    r.share_knowledge(ORG, "P1", to_teams=["T2"], mode="presentation")
    r.seek_advice(ORG, "P3", from_person="P1", helpfulness=5)
    r.acquire_external_knowledge(ORG, "P2", source="research", origin="NJi")
    r.change_registration(ORG, "P1", register_name="SKJ", period_start=date(2022, 3, 1),
                          period_end=date(2027, 3, 1))  # fmt: skip
    r.attest_work_hours(ORG, "P1", period_start=date(2024, 1, 1), period_end=date(2024, 12, 31),
                        hours=1400, client_contact_hours=900)  # fmt: skip
    r.remove_member(ORG, "T1", "P2")
    r.dissolve_team(ORG, "T2", "merged")
    r.retract(ORG, exp.event_id)  # type: ignore[arg-type]
    stored = {type(entry.event) for entry in r.events()}
    missing = set(ev.event_classes()) - stored - {ev.PersonErased}
    assert not missing, f"no command recorded {sorted(c.__name__ for c in missing)}"


def test_store_secret_survives_reopening(sqlite_url: str) -> None:
    """Ids derive from a secret created with the store and kept in it."""
    with LearningRecords(sqlite_url) as first:
        first.register_organisation(ORG)
        pid = first.person_id(ORG, "P1")
    with LearningRecords(sqlite_url) as second:
        assert second.person_id(ORG, "P1") == pid
        assert second.organisations() == [ORG]
    with LearningRecords("memory://") as other:
        assert other.person_id(ORG, "P1") != pid


def test_ids_reveal_no_external_key(sqlite_url: str) -> None:
    """The stored stream id of a person is not a plain hash of their employee number."""
    import hashlib
    import uuid

    with LearningRecords(sqlite_url) as records:
        records.register_organisation(ORG)
        pid = records.person_id(ORG, "E12345")
    plain = uuid.UUID(bytes=hashlib.sha256(b"E12345").digest()[:16])
    assert pid != plain
    assert pid.version == 8


def test_a_misspelt_keyword_is_refused_and_nothing_is_stored() -> None:
    """``occured_at`` (a typo) raises TypeError naming it instead of recording at 'now'."""
    with LearningRecords("memory://") as records:
        records.register_organisation("org")
        before = records.max_position()
        with pytest.raises(TypeError, match="'occured_at'"):
            records.register_person("org", "A", occured_at=datetime(2025, 1, 1, tzinfo=UTC))  # type: ignore[call-arg]
        assert records.max_position() == before
