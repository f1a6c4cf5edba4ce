"""The demo: it runs in time, is deterministic, and its report renders in a real browser."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

from learningorg.demo import run_demo

CHROMIUM = shutil.which("chromium") or (
    "/usr/bin/chromium" if Path("/usr/bin/chromium").exists() else None
)


@pytest.fixture(scope="module")
def small_runs(
    tmp_path_factory: pytest.TempPathFactory,
) -> tuple[Path, Path, dict[str, object], dict[str, object]]:
    """The same reduced demo (seed 11, scale 0.35) run twice into two folders."""
    first = tmp_path_factory.mktemp("demo-a")
    second = tmp_path_factory.mktemp("demo-b")
    a = run_demo(first, seed=11, scale=0.35).numbers()
    b = run_demo(second, seed=11, scale=0.35).numbers()
    return first, second, a, b


def test_same_seed_same_parquet_bytes(
    small_runs: tuple[Path, Path, dict[str, object], dict[str, object]],
) -> None:
    """Two runs of one seed give byte-identical Parquet and report files."""
    first, second, _, _ = small_runs
    assert (first / "history.parquet").read_bytes() == (second / "history.parquet").read_bytes()
    assert (first / "report.html").read_bytes() == (second / "report.html").read_bytes()


def test_same_seed_same_numbers(
    small_runs: tuple[Path, Path, dict[str, object], dict[str, object]],
) -> None:
    """Two runs of one seed report the same numbers; the history has what the story needs."""
    _, _, a, b = small_runs
    assert a == b
    organisations = a["organisations"]
    assert isinstance(organisations, list)
    assert len(organisations) == 4
    assert all(o["late_records"] > 0 for o in organisations)
    assert sum(o["retractions"] for o in organisations) >= 1


def test_another_seed_gives_another_history(
    tmp_path: Path, small_runs: tuple[Path, Path, dict[str, object], dict[str, object]]
) -> None:
    """The seed matters: a different seed gives different numbers and bytes."""
    first, _, a, _ = small_runs
    other = run_demo(tmp_path, seed=12, scale=0.35).numbers()
    assert other != a
    assert (tmp_path / "history.parquet").read_bytes() != (first / "history.parquet").read_bytes()


def test_rerun_replaces_the_store(
    small_runs: tuple[Path, Path, dict[str, object], dict[str, object]],
) -> None:
    """Running the demo again into the same folder starts from a fresh store (same numbers)."""
    first, _, a, _ = small_runs
    again = run_demo(first, seed=11, scale=0.35).numbers()
    assert again == a


@pytest.mark.slow
def test_default_demo_command_runs_under_a_minute(tmp_path: Path) -> None:
    """The README's command (the demo --help example) finishes in < 60 s and prints the summary."""
    environment = {k: v for k, v in os.environ.items() if k != "LEARNINGORG_STORE"}
    environment["COLUMNS"] = "200"
    started = time.perf_counter()
    result = subprocess.run(
        [sys.executable, "-m", "learningorg.cli", "demo", "--seed", "2024", "--out", "demo-out"],
        cwd=tmp_path, env=environment, capture_output=True, text=True, timeout=180, check=False,
    )  # fmt: skip
    elapsed = time.perf_counter() - started
    assert result.returncode == 0, result.stderr
    assert elapsed < 60, f"the demo took {elapsed:.1f} s"
    for name in ("Jeugdzorg Noord", "Kompas Jeugdhulp", "De Brug Gezinszorg", "Horizon Jeugd"):
        assert name in result.stdout
    out = tmp_path / "demo-out"
    for produced in ("demo.db", "report.html", "history.parquet"):
        assert (out / produced).stat().st_size > 0


def _colourful_pixels(png: Path) -> int:
    """Pixels that are clearly coloured (chart lines and bars), not black, white or grey."""
    from PIL import Image

    with Image.open(png) as image:
        data = image.convert("RGB").tobytes()
    return sum(
        1 for i in range(0, len(data), 3) if max(data[i : i + 3]) - min(data[i : i + 3]) > 60
    )


def test_report_renders_in_headless_chromium(
    small_runs: tuple[Path, Path, dict[str, object], dict[str, object]], tmp_path: Path
) -> None:
    """report.html opens in headless Chromium without console errors, and its charts are drawn."""
    if CHROMIUM is None:
        if os.environ.get("CI"):
            pytest.fail("CI must check the report in Chromium: apt-get install -y chromium")
        pytest.skip("chromium is not installed (apt-get install -y chromium)")
    first, _, _, _ = small_runs
    shot = tmp_path / "report.png"
    result = subprocess.run(
        [CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars",
         "--enable-logging=stderr", "--v=0", "--window-size=1200,2600",
         f"--screenshot={shot}", (first / "report.html").as_uri()],
        capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    console = [
        line for line in result.stderr.splitlines() if "CONSOLE" in line or "Uncaught" in line
    ]
    assert console == []
    assert shot.exists()
    assert _colourful_pixels(shot) > 2000
