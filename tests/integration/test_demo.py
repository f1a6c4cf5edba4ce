"""The demo: it is deterministic, tells its story, and its report renders in a real browser."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import networkx as nx
import pandas as pd
import pytest
from tests.integration.conftest import SMALL_SCALE, SMALL_SEED

from learningorg.demo import run_demo
from learningorg.demo.history import build_plan

CHROMIUM = shutil.which("chromium") or (
    "/usr/bin/chromium" if Path("/usr/bin/chromium").exists() else None
)
FILES = ("demo.db", "report.html", "history.parquet", "capacity.parquet",
         "de-brug.xapi.ndjson", "flow-teams-jeugdzorg-noord.graphml",
         "flow-persons-jeugdzorg-noord-before.graphml")  # fmt: skip
Demo = tuple[Path, dict[str, Any]]


@pytest.fixture(scope="module")
def second_run(tmp_path_factory: pytest.TempPathFactory) -> Demo:
    """The session's small demo run again, into another folder."""
    folder = tmp_path_factory.mktemp("demo-b")
    return folder, run_demo(folder, seed=SMALL_SEED, scale=SMALL_SCALE).numbers()


def test_same_seed_same_bytes(small_demo: Demo, second_run: Demo) -> None:
    """Two runs of one seed give byte-identical Parquet, report and team GraphML files."""
    first = small_demo[0] / "demo-output"
    second = second_run[0]
    for name in ("history.parquet", "capacity.parquet", "report.html",
                 "flow-teams-jeugdzorg-noord.graphml"):  # fmt: skip
        assert (first / name).read_bytes() == (second / name).read_bytes(), name


def test_same_seed_same_numbers(small_demo: Demo, second_run: Demo) -> None:
    """Two runs of one seed report the same numbers, capacity, compliance and flow included."""
    assert small_demo[1] == second_run[1]


def test_the_story_is_in_the_numbers(small_demo: Demo) -> None:
    """Four organisations with late records and retractions; every NJi bar scored; every status
    present; the broker ranked first before leaving and the cross-team share falling after; the
    silo team of Kompas Jeugdhulp the least connected team there."""
    numbers = small_demo[1]
    organisations = numbers["organisations"]
    assert [o["key"] for o in organisations] == sorted(o["key"] for o in organisations)
    assert len(organisations) == 4
    assert all(o["late_records"] > 0 for o in organisations)
    assert sum(o["retractions"] for o in organisations) >= 1
    for row in numbers["capacity"]:
        assert all(row[e] is not None and 0 <= row[e] <= 100 for e in "VUMS"), row
    statuses = {s for counts in numbers["compliance"].values() for s, n in counts.items() if n}
    assert statuses >= {"met", "on_track", "at_risk"}
    assert numbers["flagged"]
    broker = numbers["broker"]
    assert broker["rank_before"] == 1
    assert broker["cross_team_share_after"] < broker["cross_team_share_before"]
    assert broker["lost_ties_of_the_broker"] > 0
    kompas = numbers["flow"]["kompas-jeugdhulp"]["teams"]
    assert kompas[0]["team"] == "GH"
    assert len(numbers["series"]) == 4 * 7
    assert {row["organisation"] for row in numbers["team_series"]} == {"jeugdzorg-noord"}
    assert len(numbers["team_series"]) == 4 * 7


def test_files_are_written_and_readable(small_demo: Demo) -> None:
    """Every export exists; Parquet and GraphML read back with pandas and networkx."""
    out = small_demo[0] / "demo-output"
    for name in FILES:
        assert (out / name).stat().st_size > 0, name
    history = pd.read_parquet(out / "history.parquet")
    assert history["position"].is_monotonic_increasing
    capacity = pd.read_parquet(out / "capacity.parquet")
    assert set(capacity["entity"]) == {o["key"] for o in small_demo[1]["organisations"]}
    teams = nx.read_graphml(out / "flow-teams-jeugdzorg-noord.graphml")
    assert set(teams.nodes) == {"AMB", "CRIS", "GH", "WIJK"}
    persons = nx.read_graphml(out / "flow-persons-jeugdzorg-noord-before.graphml")
    assert all(str(node).startswith("person-") for node in persons)


def test_another_seed_gives_another_history() -> None:
    """The seed matters: another seed plans another history (same seed: the same one)."""

    def moments(seed: int) -> list[Any]:
        return [planned.recorded_at for planned in build_plan(seed, SMALL_SCALE).actions]

    assert moments(SMALL_SEED) == moments(SMALL_SEED)
    assert moments(SMALL_SEED + 1) != moments(SMALL_SEED)


def test_rerun_replaces_the_store(second_run: Demo) -> None:
    """Running the demo again into the same folder starts from a fresh store (same numbers)."""
    folder, numbers = second_run
    again = run_demo(folder, seed=SMALL_SEED, scale=SMALL_SCALE).numbers()
    assert again == numbers


@pytest.mark.slow
def test_default_demo_command_prints_the_summary(tmp_path: Path) -> None:
    """The README's command (the demo --help example) runs and prints the explained summary.

    How long it takes is measured in benchmarks, not asserted here.
    """
    environment = {k: v for k, v in os.environ.items() if k != "LEARNINGORG_STORE"}
    environment["COLUMNS"] = "200"
    result = subprocess.run(
        [sys.executable, "-m", "learningorg.cli", "demo", "--seed", "2024", "--out", "demo-output"],
        cwd=tmp_path, env=environment, capture_output=True, text=True, timeout=300, check=False,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    for text in ("Jeugdzorg Noord", "Kompas Jeugdhulp", "De Brug Gezinszorg", "Horizon Jeugd",
                 "NJi profile", "V shared vision", "most and least on track", "Brokers and silos",
                 "The broker who left", "report.html"):  # fmt: skip
        assert text in result.stdout, text
    out = tmp_path / "demo-output"
    for produced in FILES:
        assert (out / produced).stat().st_size > 0


def _colourful_pixels(png: Path) -> int:
    """Pixels that are clearly coloured (chart lines and bars), not black, white or grey."""
    from PIL import Image

    with Image.open(png) as image:
        data = image.convert("RGB").tobytes()
    return sum(
        1 for i in range(0, len(data), 3) if max(data[i : i + 3]) - min(data[i : i + 3]) > 60
    )


def test_report_renders_in_headless_chromium(small_demo: Demo, tmp_path: Path) -> None:
    """report.html opens in headless Chromium without console errors, and its charts are drawn."""
    if CHROMIUM is None:
        if os.environ.get("CI"):
            pytest.fail("CI must check the report in Chromium: apt-get install -y chromium")
        pytest.skip("chromium is not installed (apt-get install -y chromium)")
    report = small_demo[0] / "demo-output" / "report.html"
    shot = tmp_path / "report.png"
    result = subprocess.run(
        [CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars",
         "--enable-logging=stderr", "--v=0", "--window-size=1200,2600",
         f"--screenshot={shot}", report.as_uri()],
        capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    console = [
        line for line in result.stderr.splitlines() if "CONSOLE" in line or "Uncaught" in line
    ]
    assert console == []
    assert shot.exists()
    assert _colourful_pixels(shot) > 2000
    html = report.read_text(encoding="utf-8")
    for section in ("NJi profile", "SKJ re-registration", "Flagged", "brokers and silos",
                    "The broker who left", "Learning capacity over time"):  # fmt: skip
        assert section in html, section
    assert "<script" not in html
    assert 'src="http' not in html
