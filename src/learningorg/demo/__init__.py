"""The demo: four synthetic youth-care organisations, recorded, replayed, reported (demo layer).

``run_demo(out)`` records the history into a fresh SQLite store in ``out``, replays it, and writes
``report.html`` and the exports there. The CLI's ``learningorg demo`` prints its summary.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from learningorg.analysis import figure_png, history_frame, plot_monthly_activity, write_parquet
from learningorg.demo.history import END, DemoClock, Plan, build_plan, record_plan
from learningorg.demo.report import Summary, render_html, summarise
from learningorg.records import LearningRecords

#: The seed the README's command uses.
DEFAULT_SEED = 2024

Progress = Callable[[str, int, int], Any]


def run_demo(
    out: str | Path = "demo-out",
    *,
    seed: int = DEFAULT_SEED,
    scale: float = 1.0,
    progress: Progress | None = None,
) -> Summary:
    """Record, replay and report the synthetic history of ``seed`` into the folder ``out``.

    ``out`` gets a fresh ``demo.db`` (an existing one is replaced), ``report.html`` and
    ``history.parquet``. ``scale`` shrinks or grows the teams (tests use 0.4). ``progress`` is
    called as ``progress(stage, done, total)``.

    Returns the summary; the same seed and scale give the same summary and the same Parquet bytes.
    """
    folder = Path(out)
    folder.mkdir(parents=True, exist_ok=True)
    database = folder / "demo.db"
    for leftover in (database, *folder.glob("demo.db-*")):
        leftover.unlink(missing_ok=True)
    plan: Plan = build_plan(seed, scale)
    clock = DemoClock()
    with LearningRecords(f"sqlite:///{database}", clock=clock, recorded_by="demo") as records:

        def step(done: int, total: int) -> None:
            if progress is not None:
                progress("record", done, total)

        record_plan(records, clock, plan, step)
        summary = summarise(records, seed, END)
        total = records.max_position()
        seen = 0

        def replayed(count: int) -> None:
            nonlocal seen
            seen += count
            if progress is not None and (seen % 500 == 0 or seen == total):
                progress("replay", seen, total)

        history = history_frame(records, pseudonyms="ordinal", progress=replayed)
    summary.files["history (Parquet, one row per event, pseudonymised)"] = write_parquet(
        history, folder / "history.parquet"
    )
    summary.images["activity"] = figure_png(plot_monthly_activity(history))
    report = folder / "report.html"
    report.write_text(render_html(summary), encoding="utf-8")
    summary.files["report"] = report
    return summary


__all__ = ["DEFAULT_SEED", "Summary", "run_demo"]
