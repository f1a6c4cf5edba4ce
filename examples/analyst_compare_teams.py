"""Analyst: compare two teams before and after an intervention, from the event history.

Run with ``python examples/analyst_compare_teams.py [OUT_DIR]``. It records a reduced demo
history (about 10 s), loads it as a pandas DataFrame and compares the intervision and
reflection time of two teams of Jeugdzorg Noord in the half years before and after the
experiment programme started (1 September 2023), then saves a chart next to the store.
"""

from __future__ import annotations

import sys
import tempfile
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pandas as pd

from learningorg import LearningRecords
from learningorg.analysis import figure_png, history_frame, plot_series, pseudonym
from learningorg.demo import run_demo

ORG = "jeugdzorg-noord"
TEAMS = ("AMB", "WIJK")
INTERVENTION = datetime(2023, 9, 1, tzinfo=UTC)
HALF_YEAR = timedelta(days=182)


def compare(history: pd.DataFrame, team_streams: dict[str, str]) -> pd.DataFrame:
    """Intervision sessions and hours per team, before and after the intervention."""
    live = history[~history["retracted"] & (history["type"] == "IntervisionHeld")]
    rows = []
    for team, stream in team_streams.items():
        sessions = live[live["stream"] == stream]
        for label, start, end in (
            ("before", INTERVENTION - HALF_YEAR, INTERVENTION),
            ("after", INTERVENTION, INTERVENTION + HALF_YEAR),
        ):
            window = sessions[(sessions["occurred_at"] >= start) & (sessions["occurred_at"] < end)]
            person_hours = (window["minutes"] * window["participants"]).sum() / 60
            rows.append({"team": team, "period": label, "sessions": len(window),
                         "person_hours": round(float(person_hours), 1)})  # fmt: skip
    return pd.DataFrame(rows)


def main(argv: list[str]) -> None:
    """Record the reduced demo, compare the teams, save the chart."""
    out = Path(argv[1]) if len(argv) > 1 else Path(tempfile.mkdtemp(prefix="learningorg-analyst-"))
    run_demo(out, seed=2024, scale=0.5)
    with LearningRecords(f"sqlite:///{out / 'demo.db'}") as records:
        history = history_frame(records, organisation=ORG)
        # Teams are not persons: mapping their pseudonyms back to team codes is allowed here.
        streams = {team: pseudonym(records.secret, records.team_id(ORG, team)) for team in TEAMS}
    table = compare(history, streams)
    print(table.to_string(index=False))
    monthly = history[
        (history["type"] == "IntervisionHeld") & history["stream"].isin(streams.values())
    ]
    names = {stream: team for team, stream in streams.items()}
    series = (
        pd.DataFrame(
            {
                "at": monthly["occurred_at"]
                .dt.tz_localize(None)
                .dt.to_period("Q")
                .dt.to_timestamp(),
                "entity": monthly["stream"].map(names),
            }
        )
        .groupby(["entity", "at"])
        .size()
        .reset_index(name="score")
    )
    chart = out / "intervision_per_quarter.png"
    chart.write_bytes(figure_png(plot_series(series, title="Intervisions per quarter",
                                             ylabel="sessions")))  # fmt: skip
    print(f"chart: {chart}")


if __name__ == "__main__":
    main(sys.argv)
