"""``learningorg erase``: erases through the command line, asks first, fails clearly."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from learningorg import LearningRecords
from learningorg.domain import events as ev

ORG = "jeugdzorg-noord"
NAME, EMAIL = "Zwaantje Verhoeckx", "zwaantje@example.org"


def run(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    """Run the command as a user would, without a terminal and with no store setting leaking in."""
    environment = {k: v for k, v in os.environ.items() if k != "LEARNINGORG_STORE"}
    environment["COLUMNS"] = "200"
    return subprocess.run(
        [sys.executable, "-m", "learningorg.cli", *args],
        cwd=cwd,
        env=environment,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


@pytest.fixture
def store(tmp_path: Path) -> str:
    """A SQLite store with one organisation, a team and two persons."""
    url = f"sqlite:///{tmp_path / 'store.db'}"
    with LearningRecords(url) as records:
        records.register_organisation(ORG, "Jeugdzorg Noord")
        records.register_team(ORG, "T1", "Ambulant team")
        records.register_person(ORG, "E1", name=NAME, email=EMAIL)
        records.register_person(ORG, "E2", name="Piet")
        records.log_reflection(ORG, "E1", minutes=30, note="visited the Kwakkel family")
    return url


def one_line_error(result: subprocess.CompletedProcess[str]) -> str:
    """The error output, asserted to be one line without a traceback."""
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert "Traceback" not in result.stderr
    return lines[0]


def test_erase_destroys_the_key_and_records_once(store: str, tmp_path: Path) -> None:
    """With --yes the person is erased (exit 0); a second run says so and records nothing."""
    done = run("erase", "E1", "--store", store, "-o", ORG, "--yes", "--reason", "request",
               cwd=tmp_path)  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert "erased E1 of jeugdzorg-noord" in done.stdout
    again = run("erase", "E1", "--store", store, "-o", ORG, "--yes", cwd=tmp_path)
    assert again.returncode == 0, again.stderr
    assert "already erased" in again.stdout
    with LearningRecords(store) as records:
        person = records.person(ORG, "E1")
        assert person.erased
        stream = records.stream(ORG, "person", "E1")
        assert sum(isinstance(e, ev.PersonErased) for e in stream) == 1
        erased = stream[-1]
        assert isinstance(erased, ev.PersonErased)
        assert erased.reason == "request"
        assert records.person(ORG, "E2").name == "Piet"
    data = (tmp_path / "store.db").read_bytes()
    for needle in (NAME, EMAIL, "Kwakkel"):
        assert needle.encode() not in data


def test_erase_without_yes_and_without_a_terminal_changes_nothing(
    store: str, tmp_path: Path
) -> None:
    """No terminal to ask on and no --yes: a usage error (exit 2), and nobody is erased."""
    done = run("erase", "E1", "--store", store, "-o", ORG, cwd=tmp_path)
    assert done.returncode == 2
    assert "--yes" in one_line_error(done)
    with LearningRecords(store) as records:
        assert records.person(ORG, "E1").name == NAME


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (("erase", "E9", "-o", ORG, "--yes"), "'E9'"),
        (("erase", "E1", "-o", "elsewhere", "--yes"), "'elsewhere'"),
        (("erase", "-o", ORG, "--yes"), "Missing argument 'person'"),
    ],
)
def test_erase_reports_bad_arguments_in_one_line(
    store: str, tmp_path: Path, args: tuple[str, ...], expected: str
) -> None:
    """An unknown person or organisation, or no person at all: exit 2 with a one-line error."""
    done = run(*args, "--store", store, cwd=tmp_path)
    assert done.returncode == 2, (done.stdout, done.stderr)
    assert expected in one_line_error(done)
    with LearningRecords(store) as records:
        assert not records.person(ORG, "E1").erased
