"""The demo: four synthetic youth-care organisations, recorded, replayed, reported (demo layer).

``run_demo(out)`` records the history into a fresh SQLite store in ``out``, replays it, and writes
``report.html`` and the exports there. The CLI's ``learningorg demo`` prints its summary.
"""

from __future__ import annotations

import hashlib
import os
import sqlite3
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

from learningorg.analysis import (
    capacity_columns,
    figure_png,
    history_frame,
    ordinal_pseudonyms,
    plot_monthly_activity,
    plot_nji_profile,
    plot_series,
    write_parquet,
)
from learningorg.demo.history import END, START, TEAMS, DemoClock, Plan, build_plan, record_plan
from learningorg.demo.insights import (
    Insights,
    broker_story,
    capacity_insights,
    compliance_insights,
    flow_insights,
    histories,
    write_graphs,
)
from learningorg.demo.report import Summary, render_html, summarise
from learningorg.interop.xapi.exporter import write_ndjson
from learningorg.records import LearningRecords

#: The seed the README's command uses.
DEFAULT_SEED = 2024
#: The organisation whose xAPI export the demo writes (the ``ingest`` example reads it).
XAPI_ORGANISATION = "de-brug"

Progress = Callable[[str, int, int], Any]


def run_demo(
    out: str | Path = "demo-output",
    *,
    seed: int = DEFAULT_SEED,
    scale: float = 1.0,
    progress: Progress | None = None,
) -> Summary:
    """Record, replay and report the synthetic history of ``seed`` into the folder ``out``.

    ``out`` gets a fresh ``demo.db`` (an existing one is replaced), ``report.html``,
    ``history.parquet`` (one row per event, pseudonymised), ``capacity.parquet`` (quarterly
    organisation scores), GraphML files of the knowledge flow and an xAPI export of one
    organisation. ``scale`` shrinks or grows the teams (tests use 0.35). ``progress`` is
    called as ``progress(stage, done, total)``.

    Returns the summary; the same seed and scale give the same summary and the same Parquet bytes.
    """
    folder = Path(out)
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / "demo.db"
    for leftover in (target, *folder.glob("demo.db-*")):
        leftover.unlink(missing_ok=True)
    scratch = _scratch_folder()
    with tempfile.TemporaryDirectory(prefix="learningorg-demo-", dir=scratch) as working:
        database = Path(working) / "demo.db" if scratch is not None else target
        summary, history, xapi = _record_and_replay(database, folder, seed, scale, progress)
        if database != target:
            _copy_store(database, target)
    _write_files(summary, folder, history, xapi)
    return summary


def _record_and_replay(
    database: Path, folder: Path, seed: int, scale: float, progress: Progress | None
) -> tuple[Summary, Any, Path]:
    """Record the plan of ``seed`` into ``database``; read the summary, history and xAPI back."""
    _seed_store_secret(database, seed)
    plan: Plan = build_plan(seed, scale)
    clock = DemoClock()

    def report(stage: str, done: int, total: int) -> None:
        if progress is not None:
            progress(stage, done, total)

    with LearningRecords(f"sqlite:///{database}", clock=clock, recorded_by="demo") as records:
        record_plan(records, clock, plan, lambda done, total: report("record", done, total))
        summary = summarise(records, seed, END)
        summary.insights = _insights(records, plan, summary, report)
        total = records.max_position()
        seen = 0

        def replayed(count: int) -> None:
            nonlocal seen
            seen += count
            if seen % 500 == 0 or seen == total:
                report("replay", seen, total)

        history = history_frame(records, pseudonyms="ordinal", progress=replayed)
        xapi = folder / f"{XAPI_ORGANISATION}.xapi.ndjson"
        write_ndjson(records.export_statements(XAPI_ORGANISATION), xapi)
    return summary, history, xapi


def _scratch_folder() -> Path | None:
    """Memory-backed storage for recording, when the machine has it (Linux ``/dev/shm``).

    The demo commits each of its ~12,000 records on its own, as an HR system would; on a busy
    disk the waits for those commits alone can take most of a minute. Recording in memory-backed
    storage and copying the finished store into ``--out`` in one go gives the same store.
    """
    shm = Path("/dev/shm")
    return shm if shm.is_dir() and os.access(shm, os.W_OK) else None


def _copy_store(source: Path, target: Path) -> None:
    """Copy a SQLite store (its write-ahead log included) into ``target`` in one transaction."""
    reader = sqlite3.connect(source)
    writer = sqlite3.connect(target)
    try:
        reader.backup(writer)
    finally:
        writer.close()
        reader.close()


ANALYSIS_STEPS = 4


def _seed_store_secret(database: Path, seed: int) -> None:
    """Give the fresh demo store a secret derived from the seed, before anything is recorded.

    Stream ids are keyed hashes with the store secret; with a random secret, two runs of one
    seed would get other ids, and results that order persons by id (ties in rankings) could
    differ. The demo's data are synthetic, so a secret anyone can derive costs nothing, and the
    same seed gives the same store, ids included. Never do this with real data.
    """
    secret = hashlib.sha256(f"learningorg demo, seed {seed}".encode()).hexdigest()
    with sqlite3.connect(database) as connection:
        connection.execute(
            "CREATE TABLE IF NOT EXISTS learningorg_meta (name TEXT PRIMARY KEY, value TEXT)"
        )
        connection.execute(
            "INSERT INTO learningorg_meta (name, value) VALUES ('secret', ?)", (secret,)
        )
    connection.close()


def _insights(records: LearningRecords, plan: Plan, summary: Summary, report: Progress) -> Insights:
    """Capacity, compliance and knowledge flow of every organisation, read from the store."""
    organisations = [o.key for o in summary.organisations]
    names = ordinal_pseudonyms(records)
    report("analyse", 0, ANALYSIS_STEPS)
    teams = [code for code, _ in TEAMS]
    found = capacity_insights(records, organisations, teams, END, plan.organisations[0].key)
    report("analyse", 1, ANALYSIS_STEPS)
    compliance_insights(found, records, organisations, END, names)
    report("analyse", 2, ANALYSIS_STEPS)
    loaded = histories(records, organisations)
    flow_insights(found, loaded, END, names)
    report("analyse", 3, ANALYSIS_STEPS)
    first = plan.organisations[0]
    broker = next(p for p in first.people if p.broker)
    assert broker.end is not None
    broker_story(
        found,
        loaded[first.key],
        records.person_id(first.key, broker.key),
        broker.team,
        broker.end,
        (START, END),
        names,
    )
    report("analyse", 4, ANALYSIS_STEPS)
    return found


def _write_files(summary: Summary, folder: Path, history: Any, xapi: Path) -> None:
    """The Parquet, GraphML and image files, then report.html (which lists them)."""
    import pandas as pd

    found = summary.insights
    files = summary.files
    files["history (Parquet, one row per event, pseudonymised)"] = write_parquet(
        history, folder / "history.parquet"
    )
    series = pd.DataFrame(found.series, columns=capacity_columns(found.series))
    files["capacity per organisation per quarter (Parquet)"] = write_parquet(
        series, folder / "capacity.parquet"
    )
    files.update(write_graphs(found, folder))
    files[f"xAPI statements of {XAPI_ORGANISATION} (NDJSON, pseudonymous)"] = xapi
    summary.images["nji"] = figure_png(
        plot_nji_profile(
            {row["entity"]: {e: row[e] for e in ("V", "U", "M", "S")} for row in found.capacity},
            title="NJi profile per organisation",
        )
    )
    summary.images["capacity"] = figure_png(
        plot_series(
            series, x="as_of", title="Learning capacity per organisation, quarter by quarter"
        )
    )
    if found.team_series:
        teams = pd.DataFrame(found.team_series, columns=capacity_columns(found.team_series))
        first = found.team_series[0]["organisation"]
        summary.images["capacity-teams"] = figure_png(
            plot_series(teams, x="as_of", title=f"Learning capacity of the teams of {first}")
        )
    summary.images.update(found.images)
    summary.images["activity"] = figure_png(plot_monthly_activity(history))
    report = folder / "report.html"
    report.write_text(render_html(summary), encoding="utf-8")
    files["report"] = report


__all__ = ["DEFAULT_SEED", "Summary", "run_demo"]
