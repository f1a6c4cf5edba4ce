"""Helpers of the reliability tests: fresh stores of one kind and worker subprocesses."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from tests.conftest import _drop_schema, make_store_url

ROOT = Path(__file__).resolve().parent.parent.parent
WORKERS = Path(__file__).resolve().parent / "workers.py"


def worker_command(*args: str) -> list[str]:
    """The command line that runs ``workers.py`` with ``args`` in this interpreter."""
    return [sys.executable, str(WORKERS), *args]


def worker_env() -> dict[str, str]:
    """The environment of a worker: this one, with the repository importable."""
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")]))
    return env


def start_worker(*args: str) -> subprocess.Popen[str]:
    """Start ``workers.py`` with ``args`` in a subprocess (stdout captured)."""
    return subprocess.Popen(
        worker_command(*args),
        env=worker_env(),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def finish_worker(process: subprocess.Popen[str], timeout: float = 120) -> dict[str, Any]:
    """Wait for a worker; fail with its output unless it exited cleanly; its JSON report."""
    out, err = process.communicate(timeout=timeout)
    assert process.returncode == 0, f"worker exited {process.returncode}: {out}\n{err[-4000:]}"
    report: dict[str, Any] = json.loads(out.strip().splitlines()[-1])
    return report


@pytest.fixture(
    params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)],
)
def shared_store_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A fresh store that several processes can open: a SQLite file or a PostgreSQL schema."""
    url, schema = make_store_url(request.param, tmp_path)
    yield url
    if schema is not None:
        _drop_schema(schema)
