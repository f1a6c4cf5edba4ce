"""Fixtures of the CLI and demo tests: one small demo, recorded once per test session."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

#: The small demo every CLI and demo test shares: seed and team-size factor.
SMALL_SEED = 11
SMALL_SCALE = 0.35


@pytest.fixture(scope="session")
def small_demo(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, Any]]:
    """A folder holding ``demo-output/`` of the small demo, and the demo's numbers.

    Tests only read ``demo-output/demo.db``; commands that write go to other stores.
    """
    from learningorg.demo import run_demo

    folder = tmp_path_factory.mktemp("small-demo")
    summary = run_demo(folder / "demo-output", seed=SMALL_SEED, scale=SMALL_SCALE)
    return folder, summary.numbers()
