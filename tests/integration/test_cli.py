"""The ``learningorg`` command through its real entry point (``python -m learningorg.cli``)."""

from __future__ import annotations

import json
import os
import re
import shlex
import subprocess
import sys
from pathlib import Path

import pytest

COMMANDS = ("init", "history", "demo", "validate", "export")
VALID = {
    "actor": {"objectType": "Agent", "mbox": "mailto:sanne@example.org"},
    "verb": {"id": "http://adlnet.gov/expapi/verbs/completed"},
    "object": {"id": "http://example.org/activities/intervisie"},
}


def run(
    *args: str, cwd: Path, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    """Run the command as a user would, with no store setting leaking in."""
    environment = {k: v for k, v in os.environ.items() if k != "LEARNINGORG_STORE"}
    environment["COLUMNS"] = "200"
    environment.update(env or {})
    return subprocess.run(
        [sys.executable, "-m", "learningorg.cli", *args],
        cwd=cwd,
        env=environment,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def one_line_error(result: subprocess.CompletedProcess[str]) -> str:
    """The error output, asserted to be one line without a traceback."""
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert "Traceback" not in result.stderr
    assert lines[0].startswith("learningorg: error: ")
    return lines[0]


@pytest.fixture(scope="module")
def workdir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A folder holding a small demo store (demo-out/demo.db) and an NDJSON file of statements."""
    folder = tmp_path_factory.mktemp("cli")
    result = run("demo", "--seed", "3", "--scale", "0.3", "--out", "demo-out", cwd=folder)
    assert result.returncode == 0, result.stderr
    lines = [json.dumps(VALID) for _ in range(3)]
    (folder / "statements.ndjson").write_text("\n".join(lines) + "\n", encoding="utf-8")
    return folder


@pytest.fixture
def demo_store(workdir: Path) -> str:
    """The URL of the small demo store."""
    return f"sqlite:///{workdir / 'demo-out' / 'demo.db'}"


def test_no_arguments_prints_help(tmp_path: Path) -> None:
    """Without arguments the command lists its commands and exits 0."""
    result = run(cwd=tmp_path)
    assert result.returncode == 0
    for command in COMMANDS:
        assert command in result.stdout


@pytest.mark.parametrize("command", COMMANDS)
def test_every_help_has_an_example_that_runs(command: str, workdir: Path) -> None:
    """Each command's --help shows an example; pasted into the demo folder, it works.

    The demo's own example (the full two-year demo) is run by tests/integration/test_demo.py.
    """
    result = run(command, "--help", cwd=workdir)
    assert result.returncode == 0, result.stderr
    found = re.search(r"Example: (learningorg [^\n]+)", result.stdout)
    assert found, result.stdout
    example = shlex.split(found.group(1))
    assert example[1] == command
    if command == "demo":
        assert example == ["learningorg", "demo", "--seed", "2024", "--out", "demo-out"]
        return
    pasted = run(*example[1:], cwd=workdir)
    assert pasted.returncode == 0, pasted.stderr


def test_init_creates_a_store(tmp_path: Path) -> None:
    """init creates the SQLite file and reports an empty store; the env var is the default."""
    result = run("init", cwd=tmp_path, env={"LEARNINGORG_STORE": "sqlite:///fromenv.db"})
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "fromenv.db").exists()
    assert "0 events" in result.stdout
    default = run("init", cwd=tmp_path)
    assert default.returncode == 0
    assert (tmp_path / "learningorg.db").exists()


def test_history_json_is_ordered_and_filtered(workdir: Path, demo_store: str) -> None:
    """history --format json gives increasing positions of the requested type only."""
    result = run("history", "--store", demo_store, "--type", "ReflectionLogged",
                 "--organisation", "de-brug", "--format", "json", "--limit", "20",
                 cwd=workdir)  # fmt: skip
    assert result.returncode == 0, result.stderr
    rows = json.loads(result.stdout)
    assert len(rows) == 20
    assert {row["type"] for row in rows} == {"ReflectionLogged"}
    assert {row["organisation"] for row in rows} == {"de-brug"}
    positions = [row["position"] for row in rows]
    assert positions == sorted(positions)


def test_history_time_travel_and_positions(workdir: Path, demo_store: str) -> None:
    """--as-of cuts on occurred_at, --known-at on recording time or position, --since/--until."""
    result = run("history", "--store", demo_store, "--format", "csv", "--as-of", "2023-02-01",
                 "--known-at", "2023-03-01T00:00:00Z", cwd=workdir)  # fmt: skip
    assert result.returncode == 0, result.stderr
    lines = result.stdout.strip().splitlines()
    header = lines[0].split(",")
    occurred = header.index("occurred_at")
    recorded = header.index("recorded_at")
    assert len(lines) > 10
    for line in lines[1:]:
        cells = line.split(",")
        assert cells[occurred] < "2023-02-01"
        assert cells[recorded] < "2023-03-01"
    window = run("history", "--store", demo_store, "--since", "10", "--until", "14",
                 "--format", "json", cwd=workdir)  # fmt: skip
    assert [row["position"] for row in json.loads(window.stdout)] == [11, 12, 13, 14]
    known = run("history", "--store", demo_store, "--known-at", "5", "-f", "json", cwd=workdir)
    assert [row["position"] for row in json.loads(known.stdout)] == [1, 2, 3, 4, 5]


def test_history_never_shows_person_keys_or_names(workdir: Path, demo_store: str) -> None:
    """Persons appear only as pseudonyms: no employee number (E1001...) or email in the output."""
    result = run("history", "--store", demo_store, "-f", "csv", cwd=workdir)
    assert result.returncode == 0
    assert not re.search(r"\bE\d{4}\b", result.stdout)
    assert "@" not in result.stdout


@pytest.mark.parametrize("value", ["2024-13-01", "yesterday", "01/03/2024"])
def test_bad_as_of_is_a_usage_error(value: str, workdir: Path, demo_store: str) -> None:
    """A wrong --as-of exits 2 with one line naming the option and the value."""
    result = run("history", "--store", demo_store, "--as-of", value, cwd=workdir)
    assert result.returncode == 2
    line = one_line_error(result)
    assert "--as-of" in line
    assert value in line


def test_bad_known_at_is_a_usage_error(workdir: Path, demo_store: str) -> None:
    """A wrong --known-at exits 2 naming the option."""
    result = run("history", "--store", demo_store, "--known-at", "soon", cwd=workdir)
    assert result.returncode == 2
    assert "--known-at" in one_line_error(result)


def test_unknown_event_type_and_organisation(workdir: Path, demo_store: str) -> None:
    """An unknown --type or --organisation is a usage error naming the value."""
    result = run("history", "--store", demo_store, "--type", "Nonsense", cwd=workdir)
    assert result.returncode == 2
    assert "Nonsense" in one_line_error(result)
    result = run("history", "--store", demo_store, "-o", "nowhere", cwd=workdir)
    assert result.returncode == 2
    assert "nowhere" in one_line_error(result)


@pytest.mark.parametrize("url", ["foo://somewhere", "sqlite://relative-without-slash"])
def test_unreadable_store_url(url: str, tmp_path: Path) -> None:
    """A store URL that cannot be understood exits 2 with one line naming it."""
    result = run("history", "--store", url, cwd=tmp_path)
    assert result.returncode == 2, result.stderr
    assert url.split(":")[0] in one_line_error(result)


def test_store_in_a_missing_folder_fails_with_one_line(tmp_path: Path) -> None:
    """A store that cannot be opened is a failure (exit 1) explained in one line."""
    result = run("init", "--store", f"sqlite:///{tmp_path}/missing/x.db", cwd=tmp_path)
    assert result.returncode == 1
    assert "missing" in one_line_error(result)


def test_debug_shows_the_traceback(tmp_path: Path) -> None:
    """--debug, anywhere on the line, shows the traceback instead of one line."""
    result = run("history", "--store", "foo://x", "--debug", cwd=tmp_path)
    assert result.returncode != 0
    assert "Traceback" in result.stderr


def test_validate_missing_file(tmp_path: Path) -> None:
    """A missing file is a usage error naming the file."""
    result = run("validate", "nowhere.ndjson", cwd=tmp_path)
    assert result.returncode == 2
    assert "nowhere.ndjson" in one_line_error(result)


def test_validate_reports_line_37_and_checks_the_rest(tmp_path: Path) -> None:
    """Malformed JSON on line 37 is reported with its line number; the other lines are checked."""
    lines = [json.dumps(VALID) for _ in range(50)]
    lines[36] = '{"actor": {"mbox": "mailto:x@example.org"}, "verb": '
    invalid = dict(VALID, verb={"id": "not an iri"})
    lines[44] = json.dumps(invalid)
    (tmp_path / "feed.ndjson").write_text("\n".join(lines) + "\n", encoding="utf-8")
    result = run("validate", "feed.ndjson", "--format", "json", cwd=tmp_path)
    assert result.returncode == 1
    problems = json.loads(result.stdout)
    where = {p["where"] for p in problems}
    assert where == {"feed.ndjson:37", "feed.ndjson:45"}
    assert any("line 37" in p["message"] for p in problems)
    assert "50 statements checked, 48 valid, 2 invalid" in result.stderr


def test_validate_json_array_and_stdin(tmp_path: Path) -> None:
    """A JSON array file and NDJSON on stdin ('-') of valid statements exit 0."""
    (tmp_path / "batch.json").write_text(json.dumps([VALID, VALID]), encoding="utf-8")
    assert run("validate", "batch.json", cwd=tmp_path).returncode == 0
    environment = {k: v for k, v in os.environ.items() if k != "LEARNINGORG_STORE"}
    piped = subprocess.run(
        [sys.executable, "-m", "learningorg.cli", "validate", "-"],
        input=json.dumps(VALID) + "\n", capture_output=True, text=True, cwd=tmp_path,
        env=environment, timeout=60, check=False,
    )  # fmt: skip
    assert piped.returncode == 0, piped.stderr
    assert "1 statements checked, 1 valid" in piped.stderr


def test_export_parquet_and_csv(workdir: Path, demo_store: str, tmp_path: Path) -> None:
    """export writes every event once, as Parquet and as CSV, with the same rows."""
    import pandas as pd

    parquet = tmp_path / "h.parquet"
    result = run("export", "--store", demo_store, "--output", str(parquet), cwd=workdir)
    assert result.returncode == 0, result.stderr
    csv_file = tmp_path / "h.csv"
    result = run("export", "--store", demo_store, "--format", "csv", "-o", "de-brug",
                 "--output", str(csv_file), cwd=workdir)  # fmt: skip
    assert result.returncode == 0, result.stderr
    whole = pd.read_parquet(parquet)
    part = pd.read_csv(csv_file)
    assert list(whole["position"]) == sorted(whole["position"])
    assert whole["position"].is_unique
    assert set(part["organisation"]) == {"de-brug"}
    assert len(part) == int((whole["organisation"] == "de-brug").sum())


def run_example(name: str, *args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    """Run one of examples/ as a user would."""
    script = Path(__file__).resolve().parents[2] / "examples" / name
    return subprocess.run(
        [sys.executable, str(script), *args],
        cwd=cwd, capture_output=True, text=True, timeout=180, check=False,
    )  # fmt: skip


def test_example_hr_nightly_export(tmp_path: Path) -> None:
    """The HR export example records every row once; the repeated night records nothing."""
    result = run_example("hr_nightly_export.py", f"sqlite:///{tmp_path / 'hr.db'}", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "night 1: 7 recorded, 0 already known" in result.stdout
    assert "night 2: 0 recorded, 7 already known" in result.stdout
    assert "team GH on 2025-05-01: 2 members" in result.stdout


def test_example_analyst_compare_teams(tmp_path: Path) -> None:
    """The analyst example compares two teams before/after and writes its chart."""
    result = run_example("analyst_compare_teams.py", str(tmp_path / "out"), cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "before" in result.stdout
    assert "after" in result.stdout
    chart = tmp_path / "out" / "intervision_per_quarter.png"
    assert chart.read_bytes().startswith(b"\x89PNG")
