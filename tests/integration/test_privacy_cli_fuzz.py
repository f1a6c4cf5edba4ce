"""Hostile command-line arguments: ``learningorg`` ends with exit code 0, 1 or 2, never a crash.

Hypothesis combines the commands with known options and odd values (empty, NUL bytes, huge
numbers, malformed dates and URLs, long strings) and runs ``main`` in-process in a scratch folder,
on an in-memory store unless it picks a store itself.
"""

from __future__ import annotations

import contextlib
import io
import os
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from learningorg.cli import main

COMMANDS = ("init", "history", "validate", "export", "ingest", "capacity", "flow", "compliance",
            "erase")  # fmt: skip
FLAGS = ("--store", "-o", "--organisation", "--as-of", "--known-at", "--since", "--until",
         "--format", "-f", "--output", "--team", "--person", "--level", "--limit", "--types",
         "--version", "--yes", "--reason", "--names", "--series")  # fmt: skip
ODD = ("memory://", "sqlite:///fuzz.db", "sqlite://", "postgresql://", "ftp://x", "-1", "0",
       "99999999999999999999", "2024-13-45", "2024-01-01", "json", "csv", "table", "parquet",
       "xapi", "-", "", "\x00", "x" * 5000, "nan", "1e309", "out.file")  # fmt: skip
ARGUMENT = st.one_of(
    st.sampled_from(FLAGS),
    st.sampled_from(ODD),
    # Text without path separators: the command must not be steered to write outside the folder.
    st.text(st.characters(blacklist_characters="/\\."), max_size=20),
)


@settings(
    max_examples=80,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(command=st.sampled_from(COMMANDS), arguments=st.lists(ARGUMENT, max_size=6))
def test_any_arguments_end_with_a_known_exit_code(
    tmp_path: Path, command: str, arguments: list[str]
) -> None:
    """Whatever the arguments, the command exits 0, 1 or 2 and prints no traceback."""
    argv = [command, *arguments]
    if "--store" not in arguments:
        argv += ["--store", "memory://"]
    out, err = io.StringIO(), io.StringIO()
    here = Path.cwd()
    os.chdir(tmp_path)
    try:
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            try:
                code = main(argv)
            except SystemExit as exit_:
                code = exit_.code  # type: ignore[assignment]
    finally:
        os.chdir(here)
    assert code in (0, 1, 2, None), (argv, code, err.getvalue())
    assert "Traceback" not in err.getvalue(), (argv, err.getvalue())
