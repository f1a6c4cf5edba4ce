"""The capacity example runs as a real subprocess and explains the change between two dates."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_the_two_dates_example_prints_and_explains_the_profile(tmp_path: Path) -> None:
    """The team's NJi bars at both dates, then each changed sub-score with its events."""
    store = f"sqlite:///{tmp_path / 'capacity.db'}"
    done = subprocess.run(
        [sys.executable, str(ROOT / "examples" / "capacity_two_dates.py"), store],
        capture_output=True, text=True, timeout=180, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    out = done.stdout
    assert "NJi profile of team 'AMB'" in out
    assert "2025-03-01" in out
    assert "2025-09-01" in out
    for bar in ("V  shared vision", "U  dealing with uncertainty", "M  personal mastery"):
        assert bar in out
    assert "G2 team learning (M): - -> 83.3" in out
    assert "6 IntervisionHeld (2025-03-12 .. 2025-08-12)" in out
    assert "17 events occurred between the two dates" in out
    assert (tmp_path / "capacity.db").exists()
