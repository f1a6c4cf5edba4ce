"""Crashes: an import or a view update killed with SIGKILL at random moments, then run again.

A subprocess imports a few thousand xAPI statements (NDJSON) into a SQLite file or a PostgreSQL
schema and is killed at random moments, several times; then the import runs to the end. Every
statement must then be stored exactly once (the same events as one uninterrupted import),
importing again must store nothing, and the capacity view, updated between the crashes, must
equal a rebuild. Likewise a view update killed midway leaves the view exactly as it was after
its last whole batch, and resuming gives the same view as a rebuild.
"""

from __future__ import annotations

import json
import random
import shutil
import signal
import subprocess
import time
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
from tests.reliability.conftest import finish_worker, start_worker

from learningorg import LearningRecords
from learningorg.interop.xapi.importer import import_statements
from learningorg.projections.views import CapacityFactsView

ORG = "o"
STATEMENTS = 4000
VOIDS = 100
KILLS = 4
#: Statements per import transaction: many commits, so kills land between and inside them.
BATCH = 250
SEED = 20261128


class SmallBatches(CapacityFactsView):
    """The capacity view committing 50 events at a time, as the catch-up worker does."""

    batch = 50


def _statement(n: int) -> dict[str, Any]:
    return {
        "id": f"00000000-0000-4000-8000-{n:012d}",
        "actor": {"objectType": "Agent", "mbox": f"mailto:p{n % 60}@{ORG}.example"},
        "verb": {
            "id": "http://adlnet.gov/expapi/verbs/completed",
            "display": {"en-US": "completed"},
        },
        "object": {
            "objectType": "Activity",
            "id": f"https://lms.example/courses/{n % 40}",
            "definition": {"type": "http://adlnet.gov/expapi/activities/course"},
        },
        "result": {"completion": True, "duration": "PT1H"},
        "timestamp": f"2025-0{1 + n % 9}-1{n % 10}T10:{n % 60:02d}:00+00:00",
    }


def _void(n: int, target: int) -> dict[str, Any]:
    return {
        "id": f"00000000-0000-4000-9000-{n:012d}",
        "actor": {"objectType": "Agent", "mbox": f"mailto:admin@{ORG}.example"},
        "verb": {"id": "http://adlnet.gov/expapi/verbs/voided", "display": {"en-US": "voided"}},
        "object": {"objectType": "StatementRef", "id": _statement(target)["id"]},
        "timestamp": "2025-12-01T10:00:00+00:00",
    }


@pytest.fixture(scope="module")
def ndjson(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A few thousand statements, then voidings of some of them, one statement a line."""
    path = tmp_path_factory.mktemp("crash") / "history.ndjson"
    lines = [_statement(n) for n in range(STATEMENTS)]
    lines += [_void(n, target=n * 7) for n in range(VOIDS)]
    path.write_text("\n".join(json.dumps(line) for line in lines) + "\n", encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def reference(tmp_path_factory: pytest.TempPathFactory, ndjson: Path) -> dict[str, Any]:
    """One uninterrupted import: its store file, its stored events and how long it took."""
    path = tmp_path_factory.mktemp("reference") / "reference.db"
    with LearningRecords(f"sqlite:///{path}") as records:
        records.register_organisation(ORG)
        started = time.perf_counter()
        summary = import_statements(records, ndjson, organisation=ORG, batch_size=BATCH)
        seconds = time.perf_counter() - started
        assert summary.rejected == 0
        assert summary.accepted == STATEMENTS + VOIDS
        return {"path": path, "events": _stored(records), "seconds": seconds}


def _stored(records: LearningRecords) -> Counter[tuple[str, str]]:
    """The stored events as (statement id, topic): the same for any store of the same import."""
    return Counter(
        (str(entry.event.source_statement_id), entry.event.TOPIC) for entry in records.events()
    )


def _run_and_kill(args: tuple[str, ...], delay: float) -> int:
    """Start a worker, kill it (SIGKILL) ``delay`` seconds after it is ready; its exit code."""
    worker = start_worker(*args)
    assert worker.stdout is not None
    ready = worker.stdout.readline()
    assert ready.strip() == '{"ready": true}', ready
    time.sleep(delay)
    worker.send_signal(signal.SIGKILL)
    try:
        worker.communicate(timeout=60)
    except subprocess.TimeoutExpired:  # pragma: no cover - a hung worker fails the test
        worker.kill()
        raise
    return worker.returncode


def _view_records(view: CapacityFactsView, known_at: int | None = None) -> list[Any]:
    return [list(item) for item in view.records_of(ORG, known_at=known_at)]


def test_import_killed_at_random_moments_stores_every_statement_once(
    shared_store_url: str, ndjson: Path, reference: dict[str, Any]
) -> None:
    """4 SIGKILLs during the import, then a full run: the same events as one clean import."""
    rng = random.Random(SEED)
    url = shared_store_url
    with LearningRecords(url) as records:
        records.register_organisation(ORG)
    exits, counts = [], []
    for _ in range(KILLS):
        delay = rng.uniform(0.1, 0.3) * reference["seconds"]  # each run gets a bit further
        exits.append(_run_and_kill(("import", url, ORG, str(ndjson), str(BATCH)), delay))
        with LearningRecords(url) as records:
            counts.append(sum(1 for _ in records.notifications()))  # positions may have gaps
            # The view follows the partial imports, as queries between crashes would make it.
            view = CapacityFactsView(records, workers=1)
            view.catch_up()
            view.close()
    assert -signal.SIGKILL in exits, f"no kill landed during an import: {exits}"
    # Some crash left a partial import: more than the organisation, less than everything.
    assert any(1 < n < sum(reference["events"].values()) for n in counts), counts

    report = finish_worker(start_worker("import", url, ORG, str(ndjson), str(BATCH)), timeout=300)
    assert report["rejected"] == 0
    assert report["accepted"] + report["duplicate"] == STATEMENTS + VOIDS

    with LearningRecords(url) as records:
        stored = _stored(records)
        assert stored == reference["events"]
        assert max(stored.values()) == 1
        again = records.import_statements(ndjson, organisation=ORG)
        assert (again.accepted, again.duplicate) == (0, STATEMENTS + VOIDS)
        assert _stored(records) == reference["events"]

        view = CapacityFactsView(records, workers=1)
        view.catch_up()
        assert view.position == records.max_position()
        incremental = _view_records(view)
        view.rebuild()
        assert _view_records(view) == incremental
        view.close()


def test_view_update_killed_at_random_moments_resumes_to_a_rebuild(
    tmp_path: Path, reference: dict[str, Any]
) -> None:
    """Kill the capacity view's catch-up 4 times: each time it holds whole batches only."""
    rng = random.Random(SEED + 1)
    path = tmp_path / "store.db"
    shutil.copyfile(reference["path"], path)
    url = f"sqlite:///{path}"
    with LearningRecords(url) as records:
        started = time.perf_counter()
        timing = SmallBatches(records, workers=1)
        timing.catch_up()  # how long a full update takes here, to aim the kills
        seconds = time.perf_counter() - started
        timing.rebuild(until=0)
        timing.close()
    snapshots: list[tuple[int, list[Any]]] = []
    exits = []
    for _ in range(KILLS):
        delay = rng.uniform(0.1, 0.3) * seconds  # each run gets a bit further
        exits.append(_run_and_kill(("catch-up", url), delay))
        with LearningRecords(url) as records:
            view = CapacityFactsView(records, workers=1)
            snapshots.append((view.position, _view_records(view)))
            view.close()
    assert -signal.SIGKILL in exits, f"no kill landed during the update: {exits}"

    with LearningRecords(url) as records:
        view = CapacityFactsView(records, workers=1)
        view.catch_up()
        resumed = _view_records(view)
        assert view.position == records.max_position()
        view.rebuild()
        assert _view_records(view) == resumed
        for position, held in snapshots:
            # What the killed update left is exactly the rebuilt view up to its position.
            assert held == _view_records(view, known_at=position), position
        view.close()
