"""Write the schema-evolution fixture: a small SQLite store in the first released event schema.

Run once, with the code of the first released event schema, and commit the output:

    .venv/bin/python scripts/make_fixture_store.py

It writes ``tests/fixtures/store-v1.sqlite`` (a few hundred events covering every event class of
the catalogue: organisation, team and person streams, memberships, personas, registrations,
imported xAPI statements, retractions and an erasure) and ``tests/fixtures/store-v1.json``, the
expected decoded value of every stored event and the projections' answers at the time.
``tests/reliability/test_schema_evolution.py`` opens a copy of the store with the current code
and checks that every event still decodes to those values: upcasters are tested against real old
rows in CI. The store secret, the clock, the random choices and every event id are fixed, so a
second run writes the same events; never regenerate the committed files with a later schema.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import random
import sqlite3
import sys
import uuid
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

from learningorg import LearningRecords
from learningorg.domain import events as ev
from learningorg.domain.aggregates import Person
from learningorg.projections.views import capacity_view

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "tests" / "fixtures"
#: The fixed store secret (derived ids depend on it; the test uses the same ids).
SECRET = hashlib.sha256(b"learningorg schema-evolution fixture v1").hexdigest()
SEED = 9
ORGS = ("jeugdzorg-noord", "zorg-zuid")
START = datetime(2024, 1, 8, 9, 0, tzinfo=UTC)
AS_OF = datetime(2025, 6, 30, 17, 0, tzinfo=UTC)
DIMS: tuple[ev.Dimension, ...] = ev.DIMENSIONS


class Clock:
    """A recording clock that moves one minute per reading, from a fixed moment."""

    def __init__(self) -> None:
        self.now = datetime(2025, 7, 1, 8, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        self.now += timedelta(minutes=1)
        return self.now


def _keys(prefix: str) -> Iterator[str]:
    n = 0
    while True:
        n += 1
        yield f"{prefix}-{n}"


def populate(records: LearningRecords, rng: random.Random) -> None:
    """Record the fixture's history through the public commands (and one erasure)."""
    for org_index, org in enumerate(ORGS):
        key = _keys(f"fixture-{org}")

        def at(days: float, org_index: int = org_index) -> datetime:
            return START + timedelta(days=days, hours=org_index)

        def meta(days: float, **extra: Any) -> dict[str, Any]:
            return {"occurred_at": at(days), "idempotency_key": next(key), **extra}  # noqa: B023

        records.register_organisation(org, org.replace("-", " ").title(), **meta(0))
        records.define_vision_value(org, "safety", "Veiligheid eerst", "Safe homes", **meta(1))
        records.define_vision_value(org, "together", "Samen leren", **meta(1))
        records.revise_vision_value(org, "together", "Samen leren en delen", **meta(200))
        teams = [f"T{n}" for n in range(1, 4)]
        records.register_team(org, teams[0], "Ambulant Noord", **meta(2))
        records.register_team(org, teams[1], "Residentieel", parent=teams[0], **meta(2))
        records.register_team(org, teams[2], "Crisisdienst", **meta(2))
        records.rename_team(org, teams[1], "Residentieel Oost", **meta(90))
        persons = [f"E{org_index}{n:02d}" for n in range(1, 13)]
        for n, person in enumerate(persons):
            records.register_person(
                org,
                person,
                name=f"Medewerker {n + 1}",
                email=f"{person.lower()}@{org}.example",
                **meta(3),
            )
            records.add_member(
                org, teams[n % 3], person, role="professional", fte=0.8, site="A", **meta(4)
            )
            records.link_identifier(org, person, f"lms:{org}:{person}", **meta(5))
            records.change_registration(
                org,
                person,
                register_name="SKJ",
                number=f"SKJ-{org_index}{n:03d}",
                period_start=date(2022, 1, 1),
                period_end=date(2026, 12, 31),
                **meta(6),
            )
            records.attest_work_hours(
                org,
                person,
                period_start=date(2024, 1, 1),
                period_end=date(2024, 12, 31),
                hours=1400 + n,
                client_contact_hours=600,
                **meta(360),
            )
        # A person moves team; a team lead joins with another role.
        records.remove_member(org, teams[0], persons[0], **meta(150))
        records.add_member(org, teams[1], persons[0], role="team lead", fte=1.0, **meta(151))
        for week in range(0, 70, 5):
            day = 7 + week * 7
            for person in rng.sample(persons, 4):
                experience = records.record_experience(
                    org,
                    person,
                    kind=rng.choice(["case", "incident", "success", "dilemma"]),
                    uncertainty=rng.randint(1, 5),
                    note="Moeilijk gesprek" if rng.random() < 0.5 else None,
                    **meta(day),
                )
                assert experience.event_id is not None
                records.log_reflection(
                    org,
                    person,
                    minutes=rng.choice([30, 45, 60, 90]),
                    form=rng.choice(["self", "supervision", "coaching"]),
                    dimensions=rng.sample(DIMS, rng.randint(0, 3)),
                    loop=rng.choice(["single", "single", "double"]),
                    note="Wat ik leerde" if rng.random() < 0.5 else None,
                    refs=[experience.event_id],
                    competences=["esco:skill/reflect"],
                    **meta(day + 2),
                )
            a, b, c = rng.sample(persons, 3)
            records.complete_learning_activity(
                org,
                a,
                mode=rng.choice(["formal", "informal"]),
                kind="course",
                title="Signs of Safety",
                hours=8,
                points=rng.choice([0, 2, 4]),
                accreditation_ref="SKJ-A1" if rng.random() < 0.5 else None,
                competences=["esco:skill/safety", "local:trauma"],
                **meta(day + 1),
            )
            records.share_knowledge(
                org,
                b,
                to_persons=[c],
                to_teams=[rng.choice(teams)] if rng.random() < 0.5 else [],
                organisation_wide=rng.random() < 0.2,
                mode=rng.choice(["co-working", "example", "document", "presentation"]),
                topic="veiligheidsplan",
                **meta(day + 3),
            )
            records.seek_advice(
                org,
                c,
                from_person=a,
                topic="crisis",
                helpfulness=rng.randint(1, 5),
                **meta(day + 3.5),
            )
            team = teams[week % 3]
            members = [p for n, p in enumerate(persons) if teams[n % 3] == team]
            records.hold_intervision(
                org,
                team,
                participants=members[:4],
                minutes=90,
                method="incidentmethode",
                facilitator=members[0],
                case_owner=members[1],
                dimensions=list(DIMS[: 1 + week % 3]),
                **meta(day + 4),
            )
        for n, team in enumerate(teams):
            members = [p for m, p in enumerate(persons) if m % 3 == n]
            consult = records.hold_case_consultation(
                org,
                team,
                participants=[*members[:2], persons[(n + 1) % len(persons)]],
                minutes=60,
                teams=[teams[(n + 1) % 3]],
                outcome="plan aangepast",
                case_owner=members[0],
                dimensions=["normative"],
                **meta(40 + n),
            )
            records.start_experiment(
                org,
                team,
                f"X{n}",
                review_by=date(2024, 9, 1),
                owners=members[:2],
                hypothesis="Korte lijnen helpen",
                success_criteria="minder escalaties",
                values=["together"],
                **meta(50 + n),
            )
            evaluated = records.evaluate_experiment(
                org,
                team,
                f"X{n}",
                result=("adopt", "adapt", "abandon")[n],
                learning="Werkt bij kleine teams",
                loop="double" if n == 0 else "single",
                **meta(230 + n),
            )
            assert consult.event_id is not None
            assert evaluated.event_id is not None
            lesson = records.capture_lesson(
                org,
                team,
                f"L{n}",
                scope="organisation" if n == 0 else "team",
                topics=["escalatie"],
                authors=members[:1],
                refs=[evaluated.event_id, consult.event_id],
                values=["safety"],
                **meta(240 + n),
            )
            assert lesson.event_id is not None
            if n == 0:
                records.institutionalise_practice(
                    org,
                    "P-escalatie",
                    "Escalatieprotocol",
                    "protocol",
                    derived_from=[lesson.event_id],
                    teams=[team],
                    authors=members[:1],
                    loop="double",
                    **meta(260),
                )
            records.hold_vision_dialogue(
                org,
                team=team,
                participants=members[:3],
                commitments=["samen leren"],
                values=["together"],
                **meta(120 + n),
            )
            records.measure_learning_climate(
                org,
                team=team,
                instrument="Edmondson-7",
                n=6,
                dimension_means={"psychological_safety": 5.1 + n / 10},
                scale=7,
                **meta(180 + n),
            )
        records.hold_vision_dialogue(
            org, participants=persons[:5], commitments=["visie 2025"], **meta(125)
        )
        records.measure_learning_climate(
            org,
            instrument="DLOQ-21",
            n=24,
            dimension_means={"continuous_learning": 4.2, "dialogue": 3.9},
            scale=6,
            **meta(185),
        )
        records.allocate_learning_time(
            org, date(2024, 1, 1), date(2024, 12, 31), 40.0, "leertijd", **meta(7)
        )
        for n, person in enumerate(persons[:6]):
            records.set_development_goal(
                org,
                person,
                f"G{n}",
                review_by=date(2024, 12, 1),
                description="Beter de-escaleren",
                values=["safety"] if n % 2 else [],
                competences=["esco:skill/deescalate"],
                **meta(20 + n),
            )
            records.review_development_goal(
                org,
                person,
                f"G{n}",
                progress=0.5,
                status=("active", "achieved", "dropped")[n % 3],
                note="Halverwege",
                **meta(300 + n),
            )
            records.revise_assumption(
                org, person, before="Ouders werken tegen", after="Ouders zijn bang", **meta(210)
            )
            records.acquire_external_knowledge(
                org,
                person,
                source=("research", "practice", "client-experience")[n % 3],
                origin="NJi",
                **meta(215),
            )
        # Retractions in each kind of stream.
        wrong = records.log_reflection(org, persons[2], minutes=600, **meta(100))
        assert wrong.event_id is not None
        records.retract(org, wrong.event_id, "ingevoerd in minuten, niet uren", **meta(101))
        dissolved_team = records.register_team(org, "T9", "Projectteam", **meta(10))
        records.dissolve_team(org, "T9", "project afgerond", **meta(330))
        bad_dialogue = records.hold_vision_dialogue(org, commitments=["dubbel"], **meta(126))
        assert bad_dialogue.event_id is not None
        assert dissolved_team.recorded
        records.retract(org, bad_dialogue.event_id, "dubbel ingevoerd", **meta(127))
        team_rename = records.rename_team(org, teams[2], "Crisisdienst Zuid", **meta(128))
        assert team_rename.event_id is not None
        records.retract(org, team_rename.event_id, "verkeerd team", **meta(129))
        # A person who leaves and is erased (privacy): their stream ends with PersonErased.
        leaver = persons[-1]
        records.remove_member(org, teams[(len(persons) - 1) % 3], leaver, **meta(340))
        person_id = records.person_id(org, leaver)
        records._record(  # the first schema has no erase command; this is what it stores
            Person,
            org,
            person_id,
            ev.PersonErased,
            meta(345),  # type: ignore[arg-type]
            {"reason": "verzoek AVG"},
        )
        import_statements(records, org, org_index)


def import_statements(records: LearningRecords, org: str, org_index: int) -> None:
    """Import a few xAPI statements, including a voided one, as an LMS would send them."""
    statements: list[dict[str, Any]] = []
    for n in range(6):
        statements.append(
            {
                "id": str(uuid.uuid5(uuid.NAMESPACE_URL, f"{org}/statement/{n}")),
                "actor": {
                    "objectType": "Agent",
                    "name": f"Cursist {n}",
                    "mbox": f"mailto:e{org_index}{n + 1:02d}@{org}.example",
                },
                "verb": {
                    "id": "http://adlnet.gov/expapi/verbs/completed",
                    "display": {"en-US": "completed"},
                },
                "object": {
                    "objectType": "Activity",
                    "id": f"https://lms.{org}.example/courses/{n}",
                    "definition": {
                        "name": {"en-US": f"Module {n}"},
                        "type": "http://adlnet.gov/expapi/activities/course",
                    },
                },
                "result": {"completion": True, "duration": "PT2H"},
                "timestamp": f"2025-0{1 + n % 6}-1{n}T10:00:00+01:00",
            }
        )
    statements.append(
        {
            "id": str(uuid.uuid5(uuid.NAMESPACE_URL, f"{org}/statement/void")),
            "actor": {"objectType": "Agent", "mbox": f"mailto:lms-admin@{org}.example"},
            "verb": {"id": "http://adlnet.gov/expapi/verbs/voided", "display": {"en-US": "voided"}},
            "object": {"objectType": "StatementRef", "id": statements[0]["id"]},
            "timestamp": "2025-06-20T10:00:00+00:00",
        }
    )
    summary = records.import_statements(statements, organisation=org)
    if summary.rejected:
        raise SystemExit(f"fixture statements were rejected: {summary}")


def expected_events(records: LearningRecords) -> list[dict[str, Any]]:
    """Every stored event as the current code decodes it (position, topic, stream, state)."""
    return [
        {
            "position": entry.position,
            "topic": entry.event.TOPIC,
            "class_version": type(entry.event).class_version,
            "event": entry.event.model_dump(mode="json"),
        }
        for entry in records.events()
    ]


def expected_projections(records: LearningRecords) -> dict[str, Any]:
    """The capacity, compliance and knowledge-flow answers of the first schema's code."""
    out: dict[str, Any] = {"as_of": AS_OF.isoformat(), "organisations": {}}
    for org in ORGS:
        scores: dict[str, Any] = {}
        targets = [("organisation", None), *[("team", f"T{n}") for n in range(1, 4)]]
        targets += [("person", f"E{ORGS.index(org)}{n:02d}") for n in (1, 2, 3)]
        model_version = None
        for level, key in targets:
            result = records.capacity(org, level, key, as_of=AS_OF)  # type: ignore[arg-type]
            model_version = result.model_version
            scores[f"{level}:{key or ''}"] = result.score
        graph = records.knowledge_flow_graph(org, as_of=AS_OF)
        statuses = {}
        for person in (f"E{ORGS.index(org)}{n:02d}" for n in (1, 2, 3)):
            found = records.compliance(org, "person", person, as_of=AS_OF)
            statuses[person] = found.model_dump(mode="json")["persons"][0]["status"]
        out["organisations"][org] = {
            "capacity_model_version": model_version,
            "capacity": scores,
            "flow_nodes": graph.number_of_nodes(),
            "flow_edges": graph.number_of_edges(),
            "compliance_status": statuses,
        }
    return out


def main(argv: list[str] | None = None) -> int:
    """Write the fixture store and its expectations; refuse to overwrite without --force."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=FIXTURES)
    parser.add_argument("--force", action="store_true", help="overwrite existing files")
    args = parser.parse_args(argv)
    store = args.out / "store-v1.sqlite"
    sidecar = args.out / "store-v1.json"
    if (store.exists() or sidecar.exists()) and not args.force:
        print(f"{store} exists: it is written once, with the first schema", file=sys.stderr)
        return 1
    args.out.mkdir(parents=True, exist_ok=True)
    for path in (store, sidecar):
        path.unlink(missing_ok=True)
    with sqlite3.connect(store) as conn:  # the fixed secret, before the store creates one
        conn.execute("CREATE TABLE learningorg_meta (name TEXT PRIMARY KEY, value TEXT)")
        conn.execute("INSERT INTO learningorg_meta VALUES ('secret', ?)", (SECRET,))
    conn.close()
    with LearningRecords(f"sqlite:///{store}", recorded_by="fixture", clock=Clock()) as records:
        populate(records, random.Random(SEED))
        events = expected_events(records)
        covered = {item["topic"] for item in events}
        missing = sorted(cls.TOPIC for cls in ev.event_classes() if cls.TOPIC not in covered)
        if missing:
            raise SystemExit(f"the fixture misses event classes: {missing}")
        projections = expected_projections(records)
        capacity_view(records).close()  # its read connection would hold the file
    # One self-contained file: fold the write-ahead log in and leave WAL mode.
    conn = sqlite3.connect(store, isolation_level=None)
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    conn.execute("PRAGMA journal_mode=DELETE")
    conn.execute("VACUUM")
    conn.close()
    head = {"secret": SECRET, "organisations": list(ORGS), "projections": projections}
    lines = [json.dumps(item, sort_keys=True, separators=(",", ":")) for item in events]
    text = json.dumps(head, indent=1, sort_keys=True)[:-2]
    text += ',\n "events": [\n' + ",\n".join(lines) + "\n ]\n}\n"
    sidecar.write_text(text, encoding="utf-8")
    print(f"wrote {len(events)} events to {store} and expectations to {sidecar}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
