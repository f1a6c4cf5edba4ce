"""Worker processes for the reliability tests: writers, importers and view updaters.

Run as ``python tests/reliability/workers.py COMMAND ...``; each command prints one JSON line with
what it did, so a test can run several at once, or kill one with SIGKILL at a random moment.

``write URL PROCESS THREADS ROUNDS``
    THREADS threads record ROUNDS rounds each: a reflection of the shared person ``P0``, an
    intervision of the shared team ``T0``, and a new person who joins ``T0``. Half of the
    threads share the process's ``LearningRecords``, the others open their own.
``import URL ORGANISATION PATH BATCH``
    Import an NDJSON file of xAPI statements in batches of BATCH (the crash test kills it
    midway, then re-runs it).
``catch-up URL``
    Bring the capacity view up to date (the crash test kills it midway, then resumes).
``open URL AT``
    Wait until the clock reads AT (seconds since the epoch), then open the store and register
    the organisation: many processes opening one store at the same moment.
"""

from __future__ import annotations

import json
import sys
import threading
import time
import traceback
from datetime import UTC, datetime, timedelta
from typing import Any

from learningorg import LearningRecords

ORG = "o"
T0 = datetime(2025, 1, 1, tzinfo=UTC)


def write_keys(process: int, thread: int, round_: int) -> dict[str, str]:
    """The idempotency keys (and new person key) of one round of one writer thread."""
    tag = f"{process}-{thread}-{round_}"
    return {"reflection": f"r-{tag}", "intervision": f"i-{tag}", "person": f"W{tag}"}


def _write_rounds(records: LearningRecords, process: int, thread: int, rounds: int) -> int:
    done = 0
    for round_ in range(rounds):
        keys = write_keys(process, thread, round_)
        moment = T0 + timedelta(minutes=process * 10_000 + thread * 100 + round_)
        records.log_reflection(
            ORG, "P0", minutes=10 + round_, occurred_at=moment, idempotency_key=keys["reflection"]
        )
        records.hold_intervision(
            ORG,
            "T0",
            participants=["P0", "P1"],
            minutes=60,
            occurred_at=moment,
            idempotency_key=keys["intervision"],
        )
        records.register_person(ORG, keys["person"], occurred_at=moment)
        records.add_member(ORG, "T0", keys["person"], occurred_at=moment)
        done += 4
    return done


def write(url: str, process: int, threads: int, rounds: int) -> dict[str, Any]:
    """Run the writer threads of one process; report counts and any error that reached us."""
    errors: list[str] = []
    recorded = [0] * threads
    shared = LearningRecords(url)

    def run(thread: int) -> None:
        try:
            if thread % 2 == 0:
                recorded[thread] = _write_rounds(shared, process, thread, rounds)
            else:
                with LearningRecords(url) as own:
                    recorded[thread] = _write_rounds(own, process, thread, rounds)
        except BaseException as error:  # reported to the test, which fails on it
            errors.append(f"{type(error).__module__}.{type(error).__name__}: {error}")
            traceback.print_exc()

    workers = [threading.Thread(target=run, args=(n,)) for n in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    shared.close()
    return {"errors": errors, "commands": sum(recorded)}


def import_file(url: str, organisation: str, path: str, batch_size: int) -> dict[str, Any]:
    """Import an NDJSON file in batches of ``batch_size``; report the summary's counts."""
    from learningorg.interop.xapi.importer import import_statements

    with LearningRecords(url) as records:
        print(json.dumps({"ready": True}), flush=True)  # the killer's signal to start its clock
        summary = import_statements(records, path, organisation=organisation, batch_size=batch_size)
        return {
            "accepted": summary.accepted,
            "duplicate": summary.duplicate,
            "rejected": summary.rejected,
        }


def catch_up(url: str) -> dict[str, Any]:
    """Bring the capacity view up to date in small batches; report its position."""
    from learningorg.projections.views import CapacityFactsView

    class SmallBatches(CapacityFactsView):
        batch = 50  # many commits, so a kill lands between and inside them

    with LearningRecords(url) as records:
        view = SmallBatches(records, workers=1)
        print(json.dumps({"ready": True}), flush=True)
        view.catch_up()
        view.close()
        return {"position": view.position}


def open_at(url: str, at: float) -> dict[str, Any]:
    """Open the store at the moment ``at`` (with others doing the same) and write one event."""
    time.sleep(max(0.0, at - time.time()))
    with LearningRecords(url) as records:
        done = records.register_organisation(ORG, occurred_at=T0)
        return {"recorded": done.recorded}


def main(argv: list[str]) -> int:
    """Dispatch one command and print its JSON report."""
    command, *args = argv
    if command == "write":
        report = write(args[0], int(args[1]), int(args[2]), int(args[3]))
    elif command == "import":
        report = import_file(args[0], args[1], args[2], int(args[3]))
    elif command == "open":
        report = open_at(args[0], float(args[1]))
    elif command == "catch-up":
        report = catch_up(args[0])
    else:
        print(f"unknown command {command!r}", file=sys.stderr)
        return 2
    print(json.dumps(report), flush=True)
    return 1 if report.get("errors") else 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
