"""The ``learningorg`` command through its entry point ``learningorg.cli.main``.

Most tests call ``main(argv)`` in this process (as the console script does), with the working
folder, environment, stdin, stdout and stderr of a user's shell; a few run it as a real
subprocess (``python -m learningorg.cli``) to prove the script behaves the same.
"""

from __future__ import annotations

import io
import json
import os
import re
import shlex
import sqlite3
import subprocess
import sys
from collections.abc import Iterator
from contextlib import closing, contextmanager, redirect_stderr, redirect_stdout
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import networkx as nx
import pytest

from learningorg import LearningRecords
from learningorg.cli import main
from learningorg.xapi import validate

COMMANDS = ("init", "history", "demo", "validate", "export", "ingest", "capacity", "flow",
            "compliance", "erase")  # fmt: skip
VALID = {
    "actor": {"objectType": "Agent", "mbox": "mailto:sanne@example.org"},
    "verb": {"id": "http://adlnet.gov/expapi/verbs/completed"},
    "object": {"id": "http://example.org/activities/intervisie"},
}


@dataclass
class Result:
    """What a run of the command left: exit code, standard output and standard error."""

    returncode: int
    stdout: str
    stderr: str


class _Stdout(io.TextIOWrapper):
    """A text stdout with a binary ``buffer``, like a terminal's, whose text can be read back."""

    def __init__(self) -> None:
        super().__init__(io.BytesIO(), encoding="utf-8", write_through=True)

    def text(self) -> str:
        self.flush()
        raw = self.buffer
        assert isinstance(raw, io.BytesIO)
        return raw.getvalue().decode("utf-8")


@contextmanager
def _shell(cwd: Path, env: dict[str, str] | None, stdin: str) -> Iterator[None]:
    saved_cwd, saved_env, saved_stdin = Path.cwd(), dict(os.environ), sys.stdin
    os.environ.pop("LEARNINGORG_STORE", None)
    os.environ["COLUMNS"] = "200"
    os.environ.update(env or {})
    os.chdir(cwd)
    sys.stdin = io.TextIOWrapper(io.BytesIO(stdin.encode()), encoding="utf-8")
    try:
        yield
    finally:
        os.chdir(saved_cwd)
        os.environ.clear()
        os.environ.update(saved_env)
        sys.stdin = saved_stdin


def run(*args: str, cwd: Path, env: dict[str, str] | None = None, stdin: str = "") -> Result:
    """Run ``learningorg ARGS`` in ``cwd`` as the console script does: ``main`` in-process."""
    out, err = _Stdout(), io.StringIO()
    with _shell(cwd, env, stdin), redirect_stdout(out), redirect_stderr(err):
        try:
            code = main(list(args))
        except SystemExit as stop:
            code = stop.code if isinstance(stop.code, int) else 1
    return Result(code, out.text(), err.getvalue())


def run_process(*args: str, cwd: Path, stdin: str | None = None) -> Result:
    """Run ``python -m learningorg.cli ARGS`` as a real subprocess."""
    environment = {k: v for k, v in os.environ.items() if k != "LEARNINGORG_STORE"}
    environment["COLUMNS"] = "200"
    done = subprocess.run(
        [sys.executable, "-m", "learningorg.cli", *args], cwd=cwd, env=environment,
        input=stdin, capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    return Result(done.returncode, done.stdout, done.stderr)


def one_line_error(result: Result) -> str:
    """The error output, asserted to be one line without a traceback."""
    lines = [line for line in result.stderr.strip().splitlines() if "error" in line]
    assert len(lines) == 1, result.stderr
    assert "Traceback" not in result.stderr
    assert lines[0].startswith("learningorg: error: ")
    return lines[0]


def statements(count: int) -> list[dict[str, Any]]:
    """``count`` valid, distinct statements (one a day)."""
    return [dict(VALID, timestamp=f"2024-02-{1 + i % 28:02d}T{8 + i // 28:02d}:00:00Z")
            for i in range(count)]  # fmt: skip


@pytest.fixture(scope="module")
def workdir(small_demo: tuple[Path, dict[str, Any]]) -> Path:
    """The folder of the session's small demo (``demo-output/demo.db`` in it)."""
    return small_demo[0]


@pytest.fixture
def demo_store(workdir: Path) -> str:
    """The URL of the small demo store."""
    return f"sqlite:///{workdir / 'demo-output' / 'demo.db'}"


def test_no_arguments_prints_help(tmp_path: Path) -> None:
    """The real script without arguments lists every command and exits 0."""
    result = run_process(cwd=tmp_path)
    assert result.returncode == 0
    for command in COMMANDS:
        assert re.search(rf"\b{command}\b", result.stdout), command


@pytest.mark.parametrize("command", COMMANDS)
def test_every_help_has_an_example_that_runs(command: str, workdir: Path, tmp_path: Path) -> None:
    """Each command's --help shows an example; pasted in the demo's folder, it works.

    The demo's own example (the full two-year demo) is run by tests/integration/test_demo.py.
    erase's example changes the store for good, so it is pasted in a folder of its own holding
    a copy of the demo's store (the shared one stays as the other tests read it).
    """
    result = run(command, "--help", cwd=workdir)
    assert result.returncode == 0, result.stderr
    found = re.search(r"Example[^\n]*:\s*\n\s*\n\s*(learningorg [^\n]+)", result.stdout)
    assert found, result.stdout
    line = found.group(1).rstrip()
    example = shlex.split(line)
    assert example[1] == command
    assert len(line) <= 78, "the example must fit an 80-column terminal"
    if command == "demo":
        assert example == ["learningorg", "demo", "--seed", "2024", "--out", "demo-output"]
        return
    folder = workdir / "demo-output"
    if command == "erase":
        folder = tmp_path / "demo-output"
        folder.mkdir()
        with (
            closing(sqlite3.connect(workdir / "demo-output" / "demo.db")) as source,
            closing(sqlite3.connect(folder / "demo.db")) as copy,
        ):
            source.backup(copy)  # the online backup: whole, whatever is in the -wal file
    pasted = run(*example[1:], cwd=folder)
    assert pasted.returncode == 0, pasted.stderr
    if command == "erase":
        assert pasted.stdout.startswith(f"erased {example[2]} of "), pasted.stdout


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


@pytest.mark.parametrize("command", ["history", "capacity", "flow", "compliance"])
@pytest.mark.parametrize("value", ["2024-13-01", "yesterday", "01/03/2024"])
def test_bad_as_of_is_a_usage_error(
    command: str, value: str, workdir: Path, demo_store: str
) -> None:
    """A wrong --as-of exits 2 with one line naming the option and the value."""
    result = run(command, "--store", demo_store, "-o", "de-brug", "--as-of", value, cwd=workdir)
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
    for command in ("history", "capacity", "compliance", "flow"):
        result = run(command, "--store", demo_store, "-o", "nowhere", cwd=workdir)
        assert result.returncode == 2, command
        assert "nowhere" in one_line_error(result)


def test_reports_need_an_organisation_when_the_store_has_several(
    workdir: Path, demo_store: str
) -> None:
    """Without -o on a store of four organisations: exit 2, naming the organisations held."""
    result = run("capacity", "--store", demo_store, cwd=workdir)
    assert result.returncode == 2
    line = one_line_error(result)
    assert "--organisation" in line
    assert "de-brug" in line


@pytest.mark.parametrize("command", ["history", "capacity", "ingest"])
@pytest.mark.parametrize("url", ["foo://somewhere", "sqlite://relative-without-slash"])
def test_unreadable_store_url(command: str, url: str, tmp_path: Path) -> None:
    """A store URL that cannot be understood exits 2 with one line naming it."""
    (tmp_path / "s.ndjson").write_text(json.dumps(VALID) + "\n", encoding="utf-8")
    extra = ["s.ndjson", "-o", "x"] if command == "ingest" else []
    result = run(command, "--store", url, *extra, cwd=tmp_path)
    assert result.returncode == 2, result.stderr
    assert url.split(":")[0] in one_line_error(result)


def test_store_in_a_missing_folder_fails_with_one_line(tmp_path: Path) -> None:
    """A store that cannot be opened is a failure (exit 1) explained in one line."""
    result = run("init", "--store", f"sqlite:///{tmp_path}/missing/x.db", cwd=tmp_path)
    assert result.returncode == 1
    assert "missing" in one_line_error(result)


def test_debug_shows_the_traceback(tmp_path: Path) -> None:
    """--debug, anywhere on the line, shows the traceback instead of one line (real script)."""
    result = run_process("history", "--store", "foo://x", "--debug", cwd=tmp_path)
    assert result.returncode != 0
    assert "Traceback" in result.stderr


@pytest.mark.parametrize("command", ["validate", "ingest"])
def test_missing_file(command: str, tmp_path: Path) -> None:
    """A missing file is a usage error naming the file; nothing is stored."""
    result = run(command, "nowhere.ndjson", "-o", "x", "--register", cwd=tmp_path) if (
        command == "ingest") else run(command, "nowhere.ndjson", cwd=tmp_path)  # fmt: skip
    assert result.returncode == 2
    assert "nowhere.ndjson" in one_line_error(result)
    assert not (tmp_path / "learningorg.db").exists()


def _feed_with_bad_lines(folder: Path) -> Path:
    """50 NDJSON lines: line 37 is not JSON, line 45 is not a valid statement."""
    lines = [json.dumps(s) for s in statements(50)]
    lines[36] = '{"actor": {"mbox": "mailto:x@example.org"}, "verb": '
    lines[44] = json.dumps(dict(statements(50)[44], verb={"id": "not an iri"}))
    feed = folder / "feed.ndjson"
    feed.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return feed


def test_validate_reports_line_37_and_checks_the_rest(tmp_path: Path) -> None:
    """Malformed JSON on line 37 is reported with its line number; the other lines are checked."""
    _feed_with_bad_lines(tmp_path)
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
    piped = run_process("validate", "-", cwd=tmp_path, stdin=json.dumps(VALID) + "\n")
    assert piped.returncode == 0, piped.stderr
    assert "1 statements checked, 1 valid" in piped.stderr


def test_ingest_stores_the_good_lines_and_reports_line_37(tmp_path: Path) -> None:
    """Line 37 (not JSON) and 45 (invalid) are reported by line; the 48 others are stored once."""
    _feed_with_bad_lines(tmp_path)
    store = f"sqlite:///{tmp_path / 'lms.db'}"
    first = run("ingest", "--store", store, "-o", "noord", "--register", "feed.ndjson",
                "--format", "json", cwd=tmp_path)  # fmt: skip
    assert first.returncode == 1
    report = json.loads(first.stdout)
    assert (report["accepted"], report["rejected"], report["duplicate"]) == (48, 2, 0)
    assert [f["where"] for f in report["failures"]] == ["feed.ndjson:37", "feed.ndjson:45"]
    assert "line 37" in report["failures"][0]["problem"] or "JSON" in report["failures"][0][
        "problem"]  # fmt: skip
    assert "2 of 50 statements were not stored" in one_line_error(first)
    with LearningRecords(store) as records:
        stored = records.max_position()
        assert stored > 48
    again = run("ingest", "--store", store, "-o", "noord", "feed.ndjson", cwd=tmp_path)
    assert again.returncode == 1
    assert "50 statements read into noord: 0 accepted, 48 duplicate, 0 conflicting, 2 rejected" in (
        again.stdout)  # fmt: skip
    assert "feed.ndjson:37" in again.stdout
    with LearningRecords(store) as records:
        assert records.max_position() == stored


def test_ingest_all_good_from_stdin_exits_0(tmp_path: Path) -> None:
    """NDJSON on stdin ('-') with only valid statements: all accepted, exit 0 (real script)."""
    store = f"sqlite:///{tmp_path / 'lms.db'}"
    assert run("init", "--store", store, cwd=tmp_path).returncode == 0
    feed = "".join(json.dumps(s) + "\n" for s in statements(5))
    result = run_process("ingest", "--store", store, "-o", "noord", "--register", "-",
                         cwd=tmp_path, stdin=feed)  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert "5 statements read into noord: 5 accepted" in result.stdout


def test_ingest_needs_a_registered_organisation(tmp_path: Path) -> None:
    """Without --register, an organisation the store lacks is a usage error naming it."""
    (tmp_path / "s.ndjson").write_text(json.dumps(VALID) + "\n", encoding="utf-8")
    result = run("ingest", "-o", "noord", "s.ndjson", cwd=tmp_path)
    assert result.returncode == 2
    assert "noord" in one_line_error(result)


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


def test_export_xapi_is_pseudonymous_unless_names(workdir: Path, demo_store: str) -> None:
    """export --format xapi writes valid NDJSON statements; emails only with --names."""
    result = run("export", "--store", demo_store, "-f", "xapi", "-o", "kompas-jeugdhulp",
                 "--output", "-", "--as-of", "2023-06-30", cwd=workdir)  # fmt: skip
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert len(lines) > 100
    parsed = [json.loads(line) for line in lines]
    assert all(validate(statement) == [] for statement in parsed[:200])
    assert all(s["timestamp"] <= "2023-06-30T00:00:00" for s in parsed if "timestamp" in s)
    assert "@kompas-jeugdhulp.example" not in result.stdout
    named = run("export", "--store", demo_store, "-f", "xapi", "-o", "kompas-jeugdhulp",
                "--output", "-", "--names", "--as-of", "2023-02-01", cwd=workdir)  # fmt: skip
    assert "@kompas-jeugdhulp.example" in named.stdout
    wrong = run("export", "--store", demo_store, "-f", "xapi", "-o", "kompas-jeugdhulp",
                "--output", "-", "--since", "3", cwd=workdir)  # fmt: skip
    assert wrong.returncode == 2
    assert "--since" in one_line_error(wrong)


def test_capacity_organisation_table_and_team_json(workdir: Path, demo_store: str) -> None:
    """The table shows score and V/U/M/S; JSON per team has the G sub-scores in 0-100."""
    table = run("capacity", "--store", demo_store, "-o", "de-brug", cwd=workdir)
    assert table.returncode == 0, table.stderr
    for column in ("score", " V ", " U ", " M ", " S ", "O1", "O7"):
        assert column in table.stdout
    teams = run("capacity", "--store", demo_store, "-o", "de-brug", "-l", "team",
                "--as-of", "2024-12-01", "-f", "json", cwd=workdir)  # fmt: skip
    assert teams.returncode == 0, teams.stderr
    rows = json.loads(teams.stdout)
    assert [row["entity"] for row in rows] == ["AMB", "CRIS", "GH", "WIJK"]
    for row in rows:
        assert row["as_of"].startswith("2024-12-01")
        assert 0 <= row["score"] <= 100
        assert all(row[f"G{i}"] is None or 0 <= row[f"G{i}"] <= 100 for i in range(1, 8))


def test_capacity_series_and_time_travel(workdir: Path, demo_store: str) -> None:
    """--series gives one row per moment; --known-at 50 (little known) differs from now."""
    series = run("capacity", "--store", demo_store, "-o", "de-brug", "--series", "quarterly",
                 "--since", "2023-06-01", "--as-of", "2024-06-01", "-f", "csv",
                 cwd=workdir)  # fmt: skip
    assert series.returncode == 0, series.stderr
    lines = series.stdout.strip().splitlines()
    assert lines[0].startswith("organisation,level,entity,as_of,score,V,U,M,S")
    moments = [line.split(",")[3] for line in lines[1:]]
    assert len(moments) == 5
    assert moments == sorted(moments)
    early = run("capacity", "--store", demo_store, "-o", "de-brug", "--as-of", "2024-06-01",
                "--known-at", "50", "-f", "json", cwd=workdir)  # fmt: skip
    later = run("capacity", "--store", demo_store, "-o", "de-brug", "--as-of", "2024-06-01",
                "-f", "json", cwd=workdir)  # fmt: skip
    assert json.loads(early.stdout)[0]["score"] != json.loads(later.stdout)[0]["score"]


def test_capacity_usage_errors(workdir: Path, demo_store: str) -> None:
    """A person level without --entity, or an unknown team, is a usage error naming it."""
    person = run("capacity", "--store", demo_store, "-o", "de-brug", "-l", "person", cwd=workdir)
    assert person.returncode == 2
    assert "--entity" in one_line_error(person)
    team = run("capacity", "--store", demo_store, "-o", "de-brug", "-l", "team", "-e", "NOPE",
               cwd=workdir)  # fmt: skip
    assert team.returncode == 2
    assert "NOPE" in one_line_error(team)


def test_flow_summary_names_brokers_and_silos(workdir: Path, demo_store: str) -> None:
    """Without --output: teams, brokers (pseudonymous) and silos; JSON is the whole report."""
    result = run("flow", "--store", demo_store, "-o", "kompas-jeugdhulp", "--as-of",
                 "2024-12-31", cwd=workdir)  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert "Brokers" in result.stdout
    assert "Silos" in result.stdout
    assert not re.search(r"\bE\d{4}\b", result.stdout)
    report = json.loads(run("flow", "--store", demo_store, "-o", "kompas-jeugdhulp",
                            "--as-of", "2024-12-31", "-f", "json", cwd=workdir).stdout)  # fmt: skip
    assert set(report["teams"]) == {"AMB", "CRIS", "GH", "WIJK"}
    assert report["measures"]["brokers"]["top"]


@pytest.mark.parametrize("suffix", ["graphml", "gexf", "json", "png"])
def test_flow_writes_the_graph(suffix: str, workdir: Path, demo_store: str, tmp_path: Path) -> None:
    """--output writes the team graph in the format of its suffix, readable back."""
    target = tmp_path / f"flow.{suffix}"
    result = run("flow", "--store", demo_store, "-o", "de-brug", "--level", "team",
                 "--since", "2024-01-01", "--until", "2024-12-31", "--output", str(target),
                 cwd=workdir)  # fmt: skip
    assert result.returncode == 0, result.stderr
    if suffix == "png":
        assert target.read_bytes().startswith(b"\x89PNG")
        return
    if suffix == "json":
        graph = nx.node_link_graph(json.loads(target.read_text()), edges="edges")
    else:
        graph = getattr(nx, f"read_{suffix}")(target)
    assert set(graph.nodes) == {"AMB", "CRIS", "GH", "WIJK"}
    assert graph.number_of_edges() > 0


def test_flow_usage_errors(workdir: Path, demo_store: str) -> None:
    """A graph format without --output, or a window that ends before it starts, exits 2."""
    png = run("flow", "--store", demo_store, "-o", "de-brug", "-f", "png", cwd=workdir)
    assert png.returncode == 2
    assert "--output" in one_line_error(png)
    backwards = run("flow", "--store", demo_store, "-o", "de-brug", "--since", "2024-06-01",
                    "--until", "2024-01-01", cwd=workdir)  # fmt: skip
    assert backwards.returncode == 2
    assert "2024-06-01" in one_line_error(backwards)


def test_compliance_filters(workdir: Path, demo_store: str) -> None:
    """--status and --team select professionals; the table ends with the counts per status."""
    table = run("compliance", "--store", demo_store, "-o", "de-brug", cwd=workdir)
    assert table.returncode == 0, table.stderr
    assert re.search(r"\d+ professionals: \d+ short, \d+ at_risk, \d+ on_track, \d+ met; "
                     r"\d+ flagged", table.stdout)  # fmt: skip
    everyone = json.loads(run("compliance", "--store", demo_store, "-o", "de-brug", "-f", "json",
                              cwd=workdir).stdout)  # fmt: skip
    at_risk = json.loads(run("compliance", "--store", demo_store, "-o", "de-brug", "--status",
                             "at_risk", "-f", "json", cwd=workdir).stdout)  # fmt: skip
    assert at_risk
    assert {row["status"] for row in at_risk} == {"at_risk"}
    assert len(at_risk) == sum(1 for row in everyone if row["status"] == "at_risk")
    team = json.loads(run("compliance", "--store", demo_store, "-o", "de-brug", "--team", "AMB",
                          "-f", "json", cwd=workdir).stdout)  # fmt: skip
    assert team
    assert {row["team"] for row in team} == {"AMB"}
    csv_out = run("compliance", "--store", demo_store, "-o", "de-brug", "--flagged", "-f", "csv",
                  cwd=workdir)  # fmt: skip
    header, *rows = csv_out.stdout.strip().splitlines()
    assert header.startswith("person,team,status,flagged")
    assert all(",True," in row for row in rows)
    bad = run("compliance", "--store", demo_store, "-o", "de-brug", "--status", "fine",
              cwd=workdir)  # fmt: skip
    assert bad.returncode == 2
    assert "fine" in one_line_error(bad)


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


def test_example_lms_xapi_feed(tmp_path: Path) -> None:
    """The LMS feed example stores the good lines, reports line 4, imports nothing twice, and
    the voided course does not count toward SKJ points."""
    result = run_example("lms_xapi_feed.py", f"sqlite:///{tmp_path / 'lms.db'}", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "night 1: 5 accepted, 0 duplicate, 0 conflicting, 1 rejected" in result.stdout
    assert "night 2: 0 accepted, 5 duplicate, 0 conflicting, 1 rejected" in result.stdout
    assert "line 4: rejected" in result.stdout
    assert "E1001: 16.75 development points" in result.stdout
    assert "E1002: 8 development points" in result.stdout


def test_the_examples_of_docs_cli_run(workdir: Path) -> None:
    """Every command line in docs/cli.md's example block works in the demo's folder."""
    page = Path(__file__).resolve().parents[2] / "docs" / "cli.md"
    found = re.search(r"```sh\n(.*?)```", page.read_text(encoding="utf-8"), re.DOTALL)
    assert found
    lines = found.group(1).replace("\\\n", " ").strip().splitlines()
    assert len(lines) >= 8
    folder = workdir / "demo-output"
    for line in lines:
        example = shlex.split(line)
        assert example[0] == "learningorg"
        result = run(*example[1:], cwd=folder)
        assert result.returncode == 0, (line, result.stderr)
    for written in ("teams.graphml", "de-brug.ndjson", "copy.db"):
        assert (folder / written).stat().st_size > 0
