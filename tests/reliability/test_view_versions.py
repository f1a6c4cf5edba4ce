"""Projection robustness: a view stored by other code is rebuilt, never mixed with old rows.

A catch-up view stores its ``version`` (the capacity model version) and ``schema_version`` with
its tracking position. Opening it with another one rebuilds it; and when two versions of the code
run side by side (a rolling upgrade), the one that finds the other's version stored rebuilds
before writing or reading, so no view ever holds rows of two versions.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any, ClassVar

from learningorg import LearningRecords
from learningorg.projections.views import TRACKING_TABLE, CapacityFactsView

ORG = "o"
T0 = datetime(2025, 1, 1, tzinfo=UTC)


class NextSchema(CapacityFactsView):
    """The same view as a later release that changed its stored rows would declare it."""

    schema_version: ClassVar[int] = CapacityFactsView.schema_version + 1


def _record(records: LearningRecords, start: int, count: int) -> None:
    for n in range(start, start + count):
        records.log_reflection(ORG, "P", minutes=30, occurred_at=T0 + timedelta(days=n))


def _stored(view: CapacityFactsView) -> tuple[Any, ...]:
    with view.database.transaction() as cursor:
        cursor.execute(
            view.database.sql(
                f"SELECT position, version, schema_version FROM "
                f"{view.database.table(TRACKING_TABLE)} WHERE view = ?"
            ),
            (view.name,),
        )
        return tuple(cursor.fetchone())


def _fresh(records: LearningRecords, view: CapacityFactsView) -> list[Any]:
    """The rows a rebuild by the same code gives."""
    view.rebuild()
    return [list(r) for r in view.records_of(ORG)]


def test_a_new_model_version_or_schema_rebuilds_the_view(shared_store_url: str) -> None:
    """Opening with another model version or schema version drops and replays the view."""
    with LearningRecords(shared_store_url) as records:
        records.register_organisation(ORG, occurred_at=T0)
        records.register_person(ORG, "P", occurred_at=T0)
        _record(records, 0, 30)
        old = CapacityFactsView(records, version="model-1", workers=1)
        old.catch_up()
        assert _stored(old) == (records.max_position(), "model-1", old.schema_version)
        old_rows = [list(r) for r in old.records_of(ORG)]
        old.close()
    with LearningRecords(shared_store_url) as records:
        same = CapacityFactsView(records, version="model-1", workers=1)
        assert same.rebuilds == 0
        assert same.position == records.max_position()  # resumed, nothing replayed
        same.close()
        new = CapacityFactsView(records, version="model-2", workers=1)
        assert new.rebuilds == 1
        assert new.position == 0
        new.catch_up()
        assert _stored(new) == (records.max_position(), "model-2", new.schema_version)
        assert [list(r) for r in new.records_of(ORG)] == old_rows
        new.close()
        later = NextSchema(records, version="model-2", workers=1)
        assert later.rebuilds == 1
        later.catch_up()
        assert _stored(later)[2] == NextSchema.schema_version
        later.close()


def test_two_versions_side_by_side_never_mix_rows(shared_store_url: str) -> None:
    """An old process catching up after a new one rebuilt the view rebuilds it first."""
    url = shared_store_url
    with LearningRecords(url) as old_process, LearningRecords(url) as new_process:
        old_process.register_organisation(ORG, occurred_at=T0)
        old_process.register_person(ORG, "P", occurred_at=T0)
        _record(old_process, 0, 20)
        old = CapacityFactsView(old_process, version="model-1", workers=1)
        old.catch_up()
        new = CapacityFactsView(new_process, version="model-2", workers=1)
        new.catch_up()
        assert _stored(new)[1] == "model-2"

        _record(old_process, 20, 10)  # the old process keeps recording, then queries
        old.catch_up()
        assert _stored(old)[1:] == ("model-1", old.schema_version)
        assert old.rebuilds == 1
        rows = [list(r) for r in old.records_of(ORG)]
        assert rows == _fresh(old_process, old)

        new.catch_up()  # and the new process takes the view back before reading it
        assert _stored(new)[1] == "model-2"
        assert [list(r) for r in new.records_of(ORG)] == _fresh(new_process, new)
        old.close()
        new.close()
