"""Concurrent writers on one stream: every command lands once, losers reload and retry."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta

import pytest

from learningorg import LearningRecords

ORG = "o"
T0 = datetime(2025, 1, 1, tzinfo=UTC)


@pytest.mark.parametrize("kind", ["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def test_concurrent_writers_on_one_person_lose_nothing(kind: str, tmp_path: object) -> None:
    """Two instances x three threads write 20 reflections each to one person: 120 land, in order."""
    from pathlib import Path

    from tests.conftest import _drop_schema, make_store_url

    url, schema = make_store_url(kind, Path(str(tmp_path)))
    try:
        with LearningRecords(url) as setup:
            setup.register_organisation(ORG, occurred_at=T0)
            setup.register_person(ORG, "P1", occurred_at=T0)
        instances = [LearningRecords(url), LearningRecords(url)]
        errors: list[BaseException] = []

        def write(records: LearningRecords, worker: int) -> None:
            try:
                for i in range(20):
                    records.log_reflection(
                        ORG, "P1", minutes=10 + i, occurred_at=T0 + timedelta(hours=i),
                        idempotency_key=f"w{worker}-{i}",
                    )  # fmt: skip
            except BaseException as error:  # collected and re-raised in the test thread
                errors.append(error)

        threads = [threading.Thread(target=write, args=(instances[n % 2], n)) for n in range(6)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        for instance in instances:
            instance.close()
        assert not errors, errors
        with LearningRecords(url) as check:
            stream = check.stream(ORG, "person", "P1")
            assert len(stream) == 1 + 6 * 20
            assert [e.originator_version for e in stream] == list(range(1, 122))
            assert len({e.event_id for e in stream}) == 121
    finally:
        if schema:
            _drop_schema(schema)
