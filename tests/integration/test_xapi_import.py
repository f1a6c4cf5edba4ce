"""xAPI import, voiding and export on every store: idempotency, conflicts, line numbers, voiding.

The spec's example statements live outside the repository, in ``../shared/xapi`` (see its
README): without them the tests that need them skip locally and fail under CI.
"""

from __future__ import annotations

import io
import json
import os
import re
import sqlite3
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import orjson
import pytest

from learningorg import LearningRecords
from learningorg.domain import events as ev
from learningorg.domain.errors import InvalidInputError, UnknownOrganisationError
from learningorg.interop.xapi import profile as pf
from learningorg.interop.xapi.exporter import export_statements, write_json_array, write_ndjson
from learningorg.interop.xapi.importer import (
    ImportProgress,
    forget_person_statements,
    import_statements,
    statement_event_id,
)
from learningorg.interop.xapi.mapping import statement_id_for
from learningorg.projections.history import load_history
from learningorg.xapi import validate

ORG = "jeugdzorg-noord"
EXAMPLES = "spec-example-statements.json"
SHARED = Path(__file__).resolve().parents[2].parent / "shared" / "xapi"


def spec_examples() -> list[dict[str, Any]]:
    """The 9 example statements of the xAPI 1.0.3 specification (skip, or fail under CI)."""
    path = SHARED / EXAMPLES
    if not path.is_file():
        reason = f"xAPI reference data not found: {path} (see ../shared/xapi/README.md)"
        if os.environ.get("CI"):
            pytest.fail(reason)
        pytest.skip(reason)
    return [entry["statement"] for entry in json.loads(path.read_text(encoding="utf-8"))]


@pytest.fixture
def org(records: LearningRecords) -> LearningRecords:
    """A store of each kind with the organisation registered."""
    records.register_organisation(ORG, "Jeugdzorg Noord")
    return records


@pytest.fixture
def mem() -> Iterator[LearningRecords]:
    """An in-memory store with the organisation registered (for the cheaper tests)."""
    with LearningRecords("memory://") as records:
        records.register_organisation(ORG, "Jeugdzorg Noord")
        yield records


def completed(n: int, *, person: int = 0, **extra: Any) -> dict[str, Any]:
    """A valid ADL 'completed' statement with a fixed id per ``n``."""
    statement: dict[str, Any] = {
        "id": str(uuid.UUID(int=n + 1)),
        "actor": {
            "objectType": "Agent",
            "name": f"Person {person}",
            "mbox": f"mailto:p{person}@example.org",
        },
        "verb": {
            "id": "http://adlnet.gov/expapi/verbs/completed",
            "display": {"en-US": "completed"},
        },
        "object": {
            "objectType": "Activity",
            "id": f"https://lms.example.org/courses/{n}",
            "definition": {
                "name": {"en-US": f"Course {n}"},
                "type": pf.ADL_ACTIVITY_BASE + "course",
            },
        },
        "result": {"completion": True, "duration": "PT1H30M"},
        "timestamp": "2024-03-01T10:00:00+01:00",
    }
    statement.update(extra)
    return statement


def voiding(n: int, target: str) -> dict[str, Any]:
    """A voiding statement with a fixed id per ``n`` that voids ``target``."""
    return {
        "id": str(uuid.UUID(int=10_000 + n)),
        "actor": {"objectType": "Agent", "mbox": "mailto:admin@example.org"},
        "verb": {"id": pf.VOIDED, "display": {"en-US": "voided"}},
        "object": {"objectType": "StatementRef", "id": target},
        "timestamp": "2024-03-02T10:00:00+01:00",
    }


def imported(records: LearningRecords) -> list[ev.LearningEvent]:
    """The events recorded from statements, in order."""
    return [e.event for e in records.events(organisation=ORG) if e.event.source_statement_id]


def received(records: LearningRecords) -> list[dict[str, Any]]:
    """The exported statements that came from imports (those built from events left out)."""
    return [
        s
        for s in export_statements(records, ORG, names=True)
        if pf.EXPORTED_FROM not in s.get("context", {}).get("extensions", {})
    ]


def live_event_ids(records: LearningRecords) -> set[uuid.UUID]:
    """Ids of the events the projections count (retractions applied)."""
    return {entry.event.event_id for entry in load_history(records, ORG).entries}


# ------------------------------------------------------------------ profile


def test_profile_has_one_verb_per_event_of_the_catalogue() -> None:
    """Every event class but EventRetracted has its own verb, all under the one base IRI."""
    covered = {p.event_class for p in pf.PROFILE}
    assert covered == set(ev.event_classes()) - {ev.EventRetracted}
    iris = [p.verb_iri for p in pf.PROFILE]
    assert len(set(iris)) == len(iris)
    for p in pf.PROFILE:
        assert p.verb_iri.startswith(pf.BASE)
        assert p.activity_type.startswith(pf.BASE)
    assert pf.ADL_BY_VERB[pf.VOIDED].event_class is ev.EventRetracted


# ------------------------------------------------------------------ the spec's examples


def test_spec_examples_each_import(org: LearningRecords) -> None:
    """Each of the 9 spec examples imports on its own, on every store, and validates on export."""
    examples = spec_examples()
    assert len(examples) == 9
    for n, statement in enumerate(examples):
        key = f"example-{n}"
        org.register_organisation(key)
        summary = import_statements(org, statement, organisation=key)
        assert (summary.accepted, summary.rejected, summary.conflicting) == (1, 0, 0), summary
        exported = list(export_statements(org, key, names=True))
        assert exported, f"example {n} exported nothing"
        assert all(validate(s) == [] for s in exported)


def test_spec_examples_together(mem: LearningRecords) -> None:
    """The 9 examples in one input: the signed one repeats an id with another body: a conflict."""
    examples = spec_examples()
    summary = import_statements(mem, examples, organisation=ORG)
    assert (summary.accepted, summary.conflicting, summary.rejected) == (8, 1, 0)
    (conflict,) = summary.failures
    assert conflict.index == 8
    assert conflict.statement_id == "33cff416-e331-4c9d-969e-5373a1756120"
    assert conflict.problems[0].rule == "statement.conflict"
    expected = [s if "id" in s else {**s, "id": str(statement_id_for(s))} for s in examples[:8]]
    assert received(mem) == expected


def test_group_actor_records_each_member(mem: LearningRecords) -> None:
    """The spec's Group example: each identified member gets the event; the team is registered."""
    group = next(s for s in spec_examples() if s["actor"].get("objectType") == "Group")
    summary = import_statements(mem, group, organisation=ORG)
    assert summary.accepted == 1
    activities = [e for e in imported(mem) if isinstance(e, ev.LearningActivityCompleted)]
    assert len(activities) == 3
    assert len({e.originator_id for e in activities}) == 3
    assert {e.hours for e in activities} == {1.0}
    assert mem.team(ORG, "mailto:teampb@example.com").name == "Team PB"


# ------------------------------------------------------------------ idempotency


def test_duplicates_are_counted_and_store_nothing(org: LearningRecords) -> None:
    """The same statement twice, in one input and in a second run, is stored once."""
    first = import_statements(org, [completed(1), completed(1)], organisation=ORG)
    assert (first.accepted, first.duplicate) == (1, 1)
    before = org.max_position()
    again = import_statements(org, [completed(1)], organisation=ORG)
    assert (again.accepted, again.duplicate, again.conflicting) == (0, 1, 0)
    assert org.max_position() == before


def test_conflicting_duplicate_changes_nothing(org: LearningRecords) -> None:
    """A known id with another body is a conflict: reported, nothing stored."""
    import_statements(org, completed(1), organisation=ORG)
    before = org.max_position()
    changed = completed(1, result={"completion": True, "duration": "PT3H"})
    summary = import_statements(org, changed, organisation=ORG)
    assert (summary.accepted, summary.conflicting) == (0, 1)
    assert summary.failures[0].problems[0].rule == "statement.conflict"
    assert org.max_position() == before
    (activity,) = [e for e in imported(org) if isinstance(e, ev.LearningActivityCompleted)]
    assert activity.hours == 1.5


def test_lrs_assigned_properties_do_not_make_a_conflict(mem: LearningRecords) -> None:
    """stored, authority, version and the timestamp's serialisation are not compared."""
    import_statements(mem, completed(1), organisation=ORG)
    same = completed(
        1, stored="2024-03-05T00:00:00Z", version="1.0.3", timestamp="2024-03-01T09:00:00Z"
    )
    same["authority"] = {"objectType": "Agent", "mbox": "mailto:lrs@example.org"}
    summary = import_statements(mem, same, organisation=ORG)
    assert (summary.duplicate, summary.conflicting) == (1, 0)


def test_statement_without_id_gets_a_deterministic_one(org: LearningRecords) -> None:
    """No id: uuid5 of the statement's comparison form, the same on every run."""
    statement = completed(1)
    del statement["id"]
    first = import_statements(org, statement, organisation=ORG)
    again = import_statements(org, statement, organisation=ORG)
    assert (first.accepted, again.duplicate) == (1, 1)
    (event,) = [e for e in imported(org) if isinstance(e, ev.LearningActivityCompleted)]
    assert event.source_statement_id == statement_id_for(statement)
    assert received(org) == [{**statement, "id": str(statement_id_for(statement))}]


def test_interrupted_import_stores_every_statement_once(
    org: LearningRecords, tmp_path: Path
) -> None:
    """Importing the first half, then the whole file, stores each statement exactly once."""
    statements = [completed(n, person=n % 7) for n in range(60)]
    path = tmp_path / "feed.ndjson"
    path.write_bytes(b"".join(orjson.dumps(s) + b"\n" for s in statements))
    half = import_statements(org, statements[:30], organisation=ORG, batch_size=7)
    assert half.accepted == 30
    whole = import_statements(org, path, organisation=ORG, batch_size=7)
    assert (whole.accepted, whole.duplicate) == (30, 30)
    activities = [e for e in imported(org) if isinstance(e, ev.LearningActivityCompleted)]
    assert sorted(str(e.source_statement_id) for e in activities) == sorted(
        s["id"] for s in statements
    )


def test_crash_between_events_and_log_is_recovered(sqlite_url: str) -> None:
    """Events stored, log rows lost (a crash in between): the next run stores nothing twice."""
    statements = [completed(n, person=n % 3) for n in range(10)]
    with LearningRecords(sqlite_url) as records:
        records.register_organisation(ORG)
        assert import_statements(records, statements, organisation=ORG).accepted == 10
        before = records.max_position()
    path = sqlite_url.removeprefix("sqlite:///")
    with sqlite3.connect(path) as db:
        db.execute(
            "DELETE FROM xapi_statements WHERE statement_id IN (?, ?, ?)",
            tuple(s["id"] for s in statements[:3]),
        )
    for fast in (True, False):
        with LearningRecords(sqlite_url) as records:
            if not fast:
                with sqlite3.connect(path) as db:
                    db.execute(
                        "DELETE FROM xapi_statements WHERE statement_id = ?", (statements[5]["id"],)
                    )
            summary = import_statements(records, statements, organisation=ORG, fast=fast)
            assert (summary.accepted, summary.duplicate) == (0, 10)
            assert records.max_position() == before
            recovered = [n for n in summary.notes if "interrupted" in n.note]
            assert len(recovered) == (3 if fast else 1)


# ------------------------------------------------------------------ reading sources


def test_malformed_line_is_reported_with_its_number(org: LearningRecords, tmp_path: Path) -> None:
    """Malformed JSON on line 37 of an NDJSON file: line 37 is reported, the rest is stored."""
    lines = [orjson.dumps(completed(n, person=n % 5)) for n in range(60)]
    lines[36] = b'{"id": "broken", "actor": '
    path = tmp_path / "feed.ndjson"
    path.write_bytes(b"\n".join(lines) + b"\n")
    summary = import_statements(org, path, organisation=ORG)
    assert (summary.accepted, summary.rejected) == (59, 1)
    (failure,) = summary.failures
    assert failure.line == 37
    assert failure.problems[0].rule == "json.malformed"
    assert "line 37" in str(failure)


def test_invalid_statement_is_reported_and_the_others_stored(mem: LearningRecords) -> None:
    """The validator's problems come back with the array index; valid statements are stored."""
    bad = completed(2)
    bad["actor"] = {"objectType": "Agent", "mbox": "not-an-email"}
    summary = import_statements(mem, [completed(1), bad, completed(3)], organisation=ORG)
    assert (summary.accepted, summary.rejected) == (2, 1)
    (failure,) = summary.failures
    assert (failure.index, failure.line) == (1, None)
    assert any(p.path.startswith("/actor") for p in failure.problems)


def test_sources_of_every_kind(mem: LearningRecords, tmp_path: Path) -> None:
    """Path, bytes, binary and text files, lines, a pretty-printed statement, dicts and lists."""
    pretty = tmp_path / "one.json"
    pretty.write_text(json.dumps(completed(1), indent=2), encoding="utf-8")
    array = tmp_path / "many.json"
    array.write_text(json.dumps([completed(2), completed(3)], indent=2), encoding="utf-8")
    ndjson = b"".join(orjson.dumps(completed(n)) + b"\n\n" for n in (4, 5))
    sources: list[Any] = [
        pretty,
        str(array),
        ndjson,
        io.BytesIO(orjson.dumps(completed(6))),
        io.StringIO(orjson.dumps(completed(7)).decode() + "\n"),
        [orjson.dumps(completed(8)).decode()],
        completed(9),
        [completed(10), completed(11)],
    ]
    counts = [import_statements(mem, s, organisation=ORG).accepted for s in sources]
    assert counts == [1, 2, 2, 1, 1, 1, 1, 2]


def test_a_json_array_over_the_bound_is_refused(mem: LearningRecords) -> None:
    """A JSON array bigger than the bound raises before anything is stored."""
    data = orjson.dumps([completed(n) for n in range(20)])
    before = mem.max_position()
    with pytest.raises(InvalidInputError, match="NDJSON"):
        import_statements(mem, data, organisation=ORG, max_document_bytes=1000)
    assert mem.max_position() == before


def test_unknown_organisation_is_refused(mem: LearningRecords) -> None:
    """The organisation must be registered: a typo does not create a new one."""
    with pytest.raises(UnknownOrganisationError, match="nowhere"):
        import_statements(mem, completed(1), organisation="nowhere")


def test_progress_is_reported(mem: LearningRecords) -> None:
    """The callback sees the running counts after each batch."""
    seen: list[ImportProgress] = []
    data = b"".join(orjson.dumps(completed(n)) + b"\n" for n in range(25))
    import_statements(mem, data, organisation=ORG, batch_size=10, progress=seen.append)
    assert [p.statements for p in seen] == [10, 20, 25]
    assert seen[-1].total_bytes == len(data)
    assert seen[-1].bytes_read == len(data)


# ------------------------------------------------------------------ mapping


def test_persons_are_created_on_first_sight_and_found_again(mem: LearningRecords) -> None:
    """An unknown mbox creates a person whose key hides the address; the same mbox finds them."""
    import_statements(mem, [completed(1), completed(2)], organisation=ORG)
    person_id = mem.person_by_identifier(ORG, "mailto:p0@example.org")
    assert person_id is not None
    (registered,) = [e for e in mem.stream_events(person_id) if isinstance(e, ev.PersonRegistered)]
    assert registered.key.startswith("xapi-")
    assert "p0" not in registered.key
    assert registered.email == "p0@example.org"
    assert len([e for e in imported(mem) if isinstance(e, ev.PersonRegistered)]) == 1


def test_statements_of_a_known_persona_land_in_their_stream(mem: LearningRecords) -> None:
    """A person registered by the HR system with an e-mail and an LMS account gets both feeds."""
    mem.register_person(ORG, "E001", name="Sanne", email="Sanne@Example.org")
    mem.link_identifier(ORG, "E001", "account:https://lms.example.org|sanne")
    by_mail = completed(1, actor={"mbox": "mailto:SANNE@example.org"})
    by_account = completed(
        2, actor={"account": {"homePage": "https://lms.example.org", "name": "sanne"}}
    )
    summary = import_statements(mem, [by_mail, by_account], organisation=ORG)
    assert summary.accepted == 2
    stream = mem.stream(ORG, "person", "E001")
    assert sum(isinstance(e, ev.LearningActivityCompleted) for e in stream) == 2


def test_context_team_is_registered_on_first_sight(mem: LearningRecords) -> None:
    """context.team (1.0.3) and contextGroups (2.0) register their team; no membership."""
    team = {
        "objectType": "Group",
        "name": "Ambulant",
        "account": {"homePage": pf.TEAM_HOME, "name": "AMB"},
    }
    v1 = completed(1, context={"team": team})
    v2 = completed(
        2,
        version="2.0.0",
        context={
            "contextGroups": [
                {
                    "objectType": "contextGroup",
                    "group": {**team, "account": {"homePage": pf.TEAM_HOME, "name": "SPOED"}},
                }
            ]
        },
    )
    summary = import_statements(mem, [v1, v2], organisation=ORG)
    assert summary.accepted == 2, summary.failures
    assert mem.team(ORG, "AMB").name == "Ambulant"
    assert mem.team(ORG, "SPOED").name == "Ambulant"
    assert not mem.team(ORG, "AMB").periods


def test_statement_not_understood_is_kept(mem: LearningRecords) -> None:
    """An unknown verb becomes a generic LearningActivityCompleted carrying the statement."""
    statement = completed(
        1, verb={"id": "http://example.com/planned", "display": {"en": "planned"}}
    )
    summary = import_statements(mem, statement, organisation=ORG)
    assert summary.accepted == 1
    (kept,) = [e for e in imported(mem) if isinstance(e, ev.LearningActivityCompleted)]
    assert kept.kind == pf.GENERIC_KIND
    assert (kept.hours, kept.points, kept.mode) == (0.0, 0.0, "informal")
    assert kept.statement == statement
    assert list(export_statements(mem, ORG, names=True))[-1] == statement


def test_adl_verbs_map_to_the_nearest_event(mem: LearningRecords) -> None:
    """completed, shared, asked and mastered become their events of the catalogue."""
    colleague = {"objectType": "Agent", "mbox": "mailto:p9@example.org"}
    shared = completed(2, verb={"id": pf.ADL_VERB_BASE + "shared"}, object=colleague)
    asked = completed(3, verb={"id": pf.ADL_VERB_BASE + "asked"}, object=colleague)
    mastered = completed(
        4,
        verb={"id": pf.ADL_VERB_BASE + "mastered"},
        object={"id": "http://data.europa.eu/esco/skill/abc"},
    )
    summary = import_statements(mem, [completed(1), shared, asked, mastered], organisation=ORG)
    assert summary.accepted == 4, summary.failures
    kinds = [type(e).__name__ for e in imported(mem) if not isinstance(e, ev.PersonRegistered)]
    assert kinds == [
        "LearningActivityCompleted",
        "KnowledgeShared",
        "AdviceSought",
        "LearningActivityCompleted",
    ]
    course, share, advice, mastery = [
        e for e in imported(mem) if not isinstance(e, ev.PersonRegistered)
    ]
    assert isinstance(course, ev.LearningActivityCompleted)
    assert (course.mode, course.kind, course.hours, course.title) == (
        "formal",
        "course",
        1.5,
        "Course 1",
    )
    assert isinstance(share, ev.KnowledgeShared)
    assert share.to_persons == (mem.person_by_identifier(ORG, "mailto:p9@example.org"),)
    assert isinstance(advice, ev.AdviceSought)
    assert advice.from_person == share.to_persons[0]
    assert isinstance(mastery, ev.LearningActivityCompleted)
    assert mastery.competences == ("http://data.europa.eu/esco/skill/abc",)


def test_group_without_identified_members_is_rejected(mem: LearningRecords) -> None:
    """A Group actor naming nobody cannot be attributed to a person: rejected, with the reason."""
    statement = completed(1, actor={"objectType": "Group", "mbox": "mailto:team@example.org"})
    summary = import_statements(mem, statement, organisation=ORG)
    assert summary.rejected == 1
    assert summary.failures[0].problems[0].rule == "mapping.no-person"


def test_profile_statement_with_a_bad_extension_is_rejected(mem: LearningRecords) -> None:
    """A profile verb whose extensions break the event's rules: rejected, nothing stored."""
    statement = completed(
        1,
        verb={"id": pf.VERB_BASE + "reflected"},
        context={"extensions": {pf.extension("minutes"): -5}},
    )
    summary = import_statements(mem, statement, organisation=ORG)
    assert summary.rejected == 1
    assert "minutes" in summary.failures[0].problems[0].message
    assert not any(isinstance(e, ev.ReflectionLogged) for e in imported(mem))


# ------------------------------------------------------------------ voiding


def test_voiding_after_the_target_retracts_it(org: LearningRecords) -> None:
    """The voided statement's event is retracted in its own stream and counts nowhere."""
    target = completed(1)
    import_statements(org, target, organisation=ORG)
    event_id = statement_event_id(org, ORG, target["id"])
    assert event_id in live_event_ids(org)
    summary = import_statements(org, voiding(1, target["id"]), organisation=ORG)
    assert summary.accepted == 1
    assert event_id not in live_event_ids(org)
    person_id = org.person_by_identifier(ORG, "mailto:p0@example.org")
    assert person_id is not None
    retractions = [e for e in org.stream_events(person_id) if isinstance(e, ev.EventRetracted)]
    assert [r.retracted_event_id for r in retractions] == [event_id]


def test_voiding_before_the_target(org: LearningRecords) -> None:
    """A void may come first: the target is stored when it comes, and counts as voided."""
    target = completed(1)
    first = import_statements(org, voiding(1, target["id"]), organisation=ORG)
    assert first.accepted == 1
    assert "not been imported yet" in first.notes[0].note
    second = import_statements(org, target, organisation=ORG)
    assert second.accepted == 1
    event_id = statement_event_id(org, ORG, target["id"])
    assert any(e.event_id == event_id for e in imported(org))
    assert event_id not in live_event_ids(org)


def test_a_voiding_statement_cannot_be_voided(org: LearningRecords) -> None:
    """Voiding a voiding statement is rejected with a clear problem, and changes nothing."""
    target = completed(1)
    import_statements(org, [target, voiding(1, target["id"])], organisation=ORG)
    before = org.max_position()
    summary = import_statements(org, voiding(2, voiding(1, target["id"])["id"]), organisation=ORG)
    assert summary.rejected == 1
    (problem,) = summary.failures[0].problems
    assert problem.rule == "voiding.target-is-voiding"
    assert "cannot be voided" in problem.message
    assert org.max_position() == before
    assert statement_event_id(org, ORG, target["id"]) not in live_event_ids(org)


def test_a_void_of_a_void_arriving_first_has_no_effect(mem: LearningRecords) -> None:
    """V2 voids V1 before V1 arrives; V1 still voids its target, and the summary says so."""
    target = completed(1)
    v1 = voiding(1, target["id"])
    v2 = voiding(2, v1["id"])
    summary = import_statements(mem, [v2, target, v1], organisation=ORG)
    assert summary.accepted == 3
    assert any("has no effect" in n.note for n in summary.notes)
    assert statement_event_id(mem, ORG, target["id"]) not in live_event_ids(mem)


# ------------------------------------------------------------------ export


def test_export_round_trips_imported_statements(org: LearningRecords, tmp_path: Path) -> None:
    """Imported statements export with their id and content (names=True), as NDJSON and JSON."""
    statements = [completed(n, person=n % 2) for n in range(5)] + [voiding(1, completed(0)["id"])]
    import_statements(org, statements, organisation=ORG)
    exported = received(org)
    assert exported == statements
    ndjson, array = tmp_path / "out.ndjson", tmp_path / "out.json"
    assert write_ndjson(exported, ndjson) == 6
    assert write_json_array(exported, array) == 6
    assert json.loads(array.read_text(encoding="utf-8")) == statements
    again = import_statements(org, ndjson, organisation=ORG)
    assert (again.accepted, again.duplicate) == (0, 6)


def test_export_is_pseudonymised_by_default(mem: LearningRecords) -> None:
    """No e-mail address or name leaves the store unless names=True; the statements validate."""
    mem.register_person(ORG, "E001", name="Sanne de Vries", email="sanne@example.org")
    mem.log_reflection(
        ORG, "E001", minutes=30, note="personal note", occurred_at=datetime(2024, 1, 1, tzinfo=UTC)
    )
    import_statements(mem, [completed(1), completed(2, person=1)], organisation=ORG)
    text = orjson.dumps(list(export_statements(mem, ORG))).decode()
    for secret in ("sanne", "Sanne", "p0@example.org", "Person 0", "personal note"):
        assert secret not in text
    assert pf.PSEUDONYM_HOME in text
    named = orjson.dumps(list(export_statements(mem, ORG, names=True))).decode()
    assert "sanne@example.org" in named
    assert "personal note" in named
    for statement in export_statements(mem, ORG):
        assert validate(statement) == []


def test_export_filters_and_versions(mem: LearningRecords) -> None:
    """One person, a time range and xAPI 2.0 statements that pass the 2.0 rules."""
    mem.register_person(ORG, "E001")
    mem.register_person(ORG, "E002")
    for day in (1, 2, 3):
        moment = datetime(2024, 1, day, tzinfo=UTC)
        mem.log_reflection(ORG, "E001", minutes=10 * day, occurred_at=moment)
        mem.log_reflection(ORG, "E002", minutes=5, occurred_at=moment)
    picked = list(
        export_statements(
            mem,
            ORG,
            person="E001",
            since=datetime(2024, 1, 2, tzinfo=UTC),
            until=datetime(2024, 1, 3, tzinfo=UTC),
            version="2.0.0",
        )
    )
    minutes = [s["context"]["extensions"][pf.extension("minutes")] for s in picked]
    assert minutes == [20, 30]
    assert all(s["version"] == "2.0.0" and validate(s, "2.0.0") == [] for s in picked)


def test_export_into_the_same_store_stores_nothing(mem: LearningRecords) -> None:
    """Re-importing a store's own export is recognised by its fingerprint: all duplicates."""
    mem.register_person(ORG, "E001")
    mem.log_reflection(ORG, "E001", minutes=30)
    exported = list(export_statements(mem, ORG, names=True))
    before = mem.max_position()
    summary = import_statements(mem, exported, organisation=ORG)
    assert summary.duplicate == len(exported)
    assert mem.max_position() == before


def test_forgetting_a_person_drops_the_received_copies(mem: LearningRecords) -> None:
    """After forget_person_statements, the export builds the statement from its event."""
    import_statements(mem, completed(1), organisation=ORG)
    person_id = mem.person_by_identifier(ORG, "mailto:p0@example.org")
    assert person_id is not None
    key = next(e for e in mem.stream_events(person_id) if isinstance(e, ev.PersonRegistered)).key
    assert forget_person_statements(mem, ORG, key) == 1
    (rebuilt,) = [
        s
        for s in export_statements(mem, ORG, names=True)
        if s["verb"]["id"] == pf.BY_EVENT[ev.LearningActivityCompleted].verb_iri
    ]
    assert rebuilt["id"] == completed(1)["id"]
    assert validate(rebuilt) == []


# ------------------------------------------------------------------ the fast path


def _secret_store(path: Path, secret: bytes) -> str:
    """A SQLite store file that will use ``secret`` (as if opened once before)."""
    with sqlite3.connect(path) as db:
        db.execute("CREATE TABLE learningorg_meta (name TEXT PRIMARY KEY, value TEXT)")
        db.execute("INSERT INTO learningorg_meta VALUES ('secret', ?)", (secret.hex(),))
    return f"sqlite:///{path}"


def test_fast_path_stores_exactly_what_the_commands_store(tmp_path: Path) -> None:
    """Batched and one-by-one imports of the same statements store the same events."""
    profile_reflection = completed(
        100,
        verb={"id": pf.VERB_BASE + "reflected"},
        context={
            "extensions": {pf.extension("minutes"): 45, pf.extension("dimensions"): ["normative"]},
            "team": {"objectType": "Group", "account": {"homePage": pf.TEAM_HOME, "name": "T1"}},
        },
    )
    statements = [completed(n, person=n % 4) for n in range(30)] + [
        profile_reflection,
        completed(101, verb={"id": "http://example.com/planned"}),
        completed(102, actor={"account": {"homePage": "https://lms.example.org", "name": "u1"}}),
        completed(
            103,
            verb={"id": pf.ADL_VERB_BASE + "shared"},
            object={"objectType": "Agent", "mbox": "mailto:p1@example.org"},
        ),
        voiding(1, completed(3)["id"]),
        completed(104, person=1),
    ]
    secret = os.urandom(32)
    stored: list[list[tuple[Any, ...]]] = []
    for fast in (True, False):
        url = _secret_store(tmp_path / f"{fast}.db", secret)
        with LearningRecords(url) as records:
            records.register_organisation(
                ORG, occurred_at=datetime(2024, 1, 1, tzinfo=UTC), idempotency_key="org"
            )
            summary = import_statements(
                records, statements, organisation=ORG, fast=fast, batch_size=8
            )
            assert summary.accepted == len(statements), summary.failures
            rows = []
            for entry in records.events():
                state = entry.event.model_dump(exclude={"recorded_at"})
                rows.append((entry.position, type(entry.event).__name__, state))
            stored.append(rows)
            # Read back through the commands' path: the aggregates replay, a rerun adds nothing.
            for entry in records.events(topics=[ev.PersonRegistered.TOPIC]):
                assert records.stream_events(entry.event.originator_id)
            again = import_statements(records, statements, organisation=ORG, fast=not fast)
            assert again.duplicate == len(statements)
    assert stored[0] == stored[1]


# ------------------------------------------------------------------ the documentation


def test_the_documented_examples_validate_and_import(mem: LearningRecords) -> None:
    """docs/xapi.md shows a valid statement for every verb; imported in order, each is kept."""
    page = (Path(__file__).resolve().parents[2] / "docs" / "xapi.md").read_text(encoding="utf-8")
    section = page.split("### An example statement for every verb")[1].split("## Mapping")[0]
    examples = [json.loads(block) for block in re.findall(r"```json\n(.*?)```", section, re.S)]
    verbs = [e["verb"]["id"] for e in examples]
    assert verbs == [p.verb_iri for p in pf.PROFILE] + [pf.VOIDED]
    for example in examples:
        assert validate(example) == [], example["verb"]["id"]
    summary = import_statements(mem, examples, organisation=ORG)
    (failure,) = summary.failures
    assert failure.problems[0].rule == "profile.not-importable"
    assert summary.accepted + summary.duplicate == len(examples) - 1
