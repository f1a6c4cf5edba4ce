"""Embedding: import a learning platform's (LMS) xAPI feed every night.

Run with ``python examples/lms_xapi_feed.py [STORE_URL]``. The LMS writes the night's xAPI
statements as NDJSON (one statement a line): completed accredited courses, e-learning, a voiding
statement that withdraws a completion entered by mistake, and one line the LMS garbled. The
import stores every good line, reports the bad one with its line number, and stores nothing twice
when the same feed arrives again. The accredited points then count for SKJ re-registration.
"""

from __future__ import annotations

import json
import sys
import tempfile
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from learningorg import LearningRecords

ORG = "jeugdzorg-noord"
LMS = "https://lms.jeugdzorg-noord.example"
POINTS = "https://learningorg.dev/xapi/extensions/points"
ACCREDITATION = "https://learningorg.dev/xapi/extensions/accreditation-ref"
STAFF = {"E1001": "sanne@jeugdzorg-noord.example", "E1002": "daan@jeugdzorg-noord.example"}


def course(
    statement_id: str, email: str, name: str, hours: int, points: float, when: str
) -> dict[str, Any]:
    """An accredited course the LMS reports as completed (ADL verb and activity type)."""
    return {
        "id": statement_id,
        "actor": {"objectType": "Agent", "mbox": f"mailto:{email}"},
        "verb": {"id": "http://adlnet.gov/expapi/verbs/completed", "display": {"en": "completed"}},
        "object": {
            "objectType": "Activity",
            "id": f"{LMS}/courses/{name.lower().replace(' ', '-')}",
            "definition": {
                "name": {"nl": name},
                "type": "http://adlnet.gov/expapi/activities/course",
            },
        },
        "result": {"completion": True, "duration": f"PT{hours}H"},
        "context": {"extensions": {POINTS: points, ACCREDITATION: f"SKJ-{statement_id[:8]}"}},
        "timestamp": when,
    }


def nightly_feed() -> list[str]:
    """The LMS's NDJSON lines of one night (line 4 is garbled on purpose)."""
    sanne, daan = STAFF["E1001"], STAFF["E1002"]
    lines = [
        course("3f0c8a52-0d0e-4c55-9a31-8b1d1c2f0001", sanne, "Signs of Safety", 16, 16.0,
               "2025-03-04T16:00:00+01:00"),
        course("3f0c8a52-0d0e-4c55-9a31-8b1d1c2f0002", daan, "Meldcode in de praktijk", 8, 8.0,
               "2025-03-05T12:00:00+01:00"),
        course("3f0c8a52-0d0e-4c55-9a31-8b1d1c2f0003", daan, "Signs of Safety", 16, 16.0,
               "2025-03-06T16:00:00+01:00"),
        {
            "id": "3f0c8a52-0d0e-4c55-9a31-8b1d1c2f0005",
            "actor": {"objectType": "Agent", "mbox": f"mailto:{sanne}"},
            "verb": {"id": "http://adlnet.gov/expapi/verbs/experienced"},
            "object": {"id": f"{LMS}/videos/hechting-in-het-gezin"},
            "result": {"duration": "PT45M"},
            "timestamp": "2025-03-07T20:15:00+01:00",
        },
        {
            "id": "3f0c8a52-0d0e-4c55-9a31-8b1d1c2f0006",
            "actor": {"objectType": "Agent", "mbox": "mailto:lms-admin@jeugdzorg-noord.example"},
            "verb": {"id": "http://adlnet.gov/expapi/verbs/voided"},
            "object": {"objectType": "StatementRef", "id": "3f0c8a52-0d0e-4c55-9a31-8b1d1c2f0003"},
            "timestamp": "2025-03-08T09:00:00+01:00",
        },
    ]  # fmt: skip
    text = [json.dumps(statement) for statement in lines]
    text.insert(3, '{"id": "3f0c8a52-0d0e-4c55-9a31-8b1d1c2f0004", "actor": {"mbox": ')
    return text


def main(store: str) -> None:
    """Set up the organisation, import the feed twice, and show what counts for SKJ."""
    folder = Path(tempfile.mkdtemp(prefix="lms-feed-"))
    feed = folder / "lms-2025-03-08.ndjson"
    feed.write_text("\n".join(nightly_feed()) + "\n", encoding="utf-8")
    start = datetime(2025, 1, 6, tzinfo=UTC)
    with LearningRecords(store, recorded_by="hr") as records:
        # The HR system registers the professionals; their LMS email is one of their identifiers.
        records.register_organisation(ORG, "Jeugdzorg Noord", occurred_at=start)
        for key, email in STAFF.items():
            records.register_person(ORG, key, email=email, occurred_at=start)
            records.change_registration(
                ORG, key, register_name="SKJ", number=f"SKJ-{key}", period_start=date(2023, 1, 1),
                period_end=date(2028, 1, 1), occurred_at=start,
            )  # fmt: skip
        for night in (1, 2):
            summary = records.import_statements(feed, organisation=ORG, recorded_by="lms")
            print(
                f"night {night}: {summary.accepted} accepted, {summary.duplicate} duplicate, "
                f"{summary.conflicting} conflicting, {summary.rejected} rejected"
            )
            for failure in summary.failures:
                print(f"  {feed.name}: {failure}")
        moment = datetime(2025, 3, 31, tzinfo=UTC)
        result = records.compliance(ORG, "organisation", as_of=moment)
        for person in result.persons:
            assert person.current is not None
            development = next(r for r in person.current.requirements if r.kind == "points")
            print(f"{person.key}: {development.achieved:g} development points on {moment:%Y-%m-%d}")
    print("(E1002's second course was voided by the LMS, so it does not count)")


if __name__ == "__main__":
    url = sys.argv[1] if len(sys.argv) > 1 else "memory://"
    main(url)
