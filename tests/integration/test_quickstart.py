"""The README's main command runs: the quickstart example, as a real subprocess."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_quickstart_prints_the_streams(tmp_path: Path) -> None:
    """The quickstart records an organisation into a SQLite file and prints all its streams."""
    store = f"sqlite:///{tmp_path / 'q.db'}"
    done = subprocess.run(
        [sys.executable, str(ROOT / "examples" / "quickstart.py"), store],
        capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert "Team 'AMB' (Ambulant team Noord, 3 members)" in done.stdout
    assert "IntervisionHeld" in done.stdout
    assert "22 events in one total order, positions 1..22" in done.stdout
    assert (tmp_path / "q.db").exists()
