"""Embedding: record the HR system's nightly export (joiners, leavers, attested hours).

Run with ``python examples/hr_nightly_export.py [STORE_URL]``. Every row carries an idempotency
key built from the HR export's own row id, so running the same night's export twice records
nothing new: the second run prints ``0 recorded, 7 already known``.
"""

from __future__ import annotations

import csv
import io
import sys
import tempfile
from datetime import UTC, date, datetime
from pathlib import Path

from learningorg import LearningRecords

ORG = "jeugdzorg-noord"

#: What an HR system exports each night: one row per change, with the HR system's row id.
NIGHTLY_EXPORT = """row_id,change,employee,team,date,hours,client_hours
hr-9001,join,E1001,AMB,2025-01-06,,
hr-9002,join,E1002,AMB,2025-01-06,,
hr-9003,join,E1003,GH,2025-01-06,,
hr-9004,hours,E1001,,2025-03-31,412,230
hr-9005,hours,E1002,,2025-03-31,380,190.5
hr-9006,leave,E1002,AMB,2025-04-15,,
hr-9007,join,E1002,GH,2025-04-16,,
"""


def import_night(records: LearningRecords, export: str) -> tuple[int, int]:
    """Record one nightly export; returns (recorded, already known)."""
    recorded = known = 0
    for row in csv.DictReader(io.StringIO(export)):
        moment = datetime.combine(date.fromisoformat(row["date"]), datetime.min.time(), UTC)
        meta = {"occurred_at": moment, "idempotency_key": row["row_id"], "recorded_by": "hr"}
        if row["change"] == "join":
            records.register_person(ORG, row["employee"], occurred_at=moment)
            result = records.add_member(ORG, row["team"], row["employee"], **meta)
        elif row["change"] == "leave":
            result = records.remove_member(ORG, row["team"], row["employee"], **meta)
        else:
            end = moment.date()
            result = records.attest_work_hours(
                ORG, row["employee"], period_start=date(end.year, 1, 1), period_end=end,
                hours=float(row["hours"]), client_contact_hours=float(row["client_hours"]), **meta,
            )  # fmt: skip
        if result.recorded:
            recorded += 1
        else:
            known += 1
    return recorded, known


def main(argv: list[str]) -> None:
    """Set up the organisation once, then import the same night twice."""
    if len(argv) > 1:
        store = argv[1]
    else:
        store = f"sqlite:///{Path(tempfile.mkdtemp(prefix='learningorg-hr-')) / 'hr.db'}"
    start = datetime(2025, 1, 1, tzinfo=UTC)
    with LearningRecords(store, recorded_by="hr") as records:
        records.register_organisation(ORG, "Jeugdzorg Noord", occurred_at=start)
        records.register_team(ORG, "AMB", "Ambulant team", occurred_at=start)
        records.register_team(ORG, "GH", "Gezinshuizen", occurred_at=start)
        for night in (1, 2):
            recorded, known = import_night(records, NIGHTLY_EXPORT)
            print(f"night {night}: {recorded} recorded, {known} already known")
        moment = datetime(2025, 5, 1, tzinfo=UTC)
        for team in ("AMB", "GH"):
            members = len(records.team(ORG, team).members_at(moment))
            print(f"team {team} on {moment:%Y-%m-%d}: {members} members")


if __name__ == "__main__":
    main(sys.argv)
