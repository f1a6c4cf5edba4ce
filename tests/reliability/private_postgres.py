"""A private PostgreSQL server for tests that restart or break it (reliability tests).

The shared server at 127.0.0.1:5432 serves everybody's tests; restarting it, or terminating its
connections, would disturb them. ``PrivatePostgres`` creates a throw-away cluster with the
server's own ``initdb`` in a temporary folder, runs it on a free port as the ``postgres`` user
(the server refuses to run as root), and removes it afterwards.
"""

from __future__ import annotations

import contextlib
import glob
import os
import shutil
import socket
import subprocess
import tempfile
import time
from pathlib import Path


def postgres_bin() -> Path | None:
    """The newest PostgreSQL server's binary folder, or None when none is installed."""
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/pg_ctl"), key=_version)
    return Path(found[-1]).parent if found else None


def _version(path: str) -> float:
    try:
        return float(Path(path).parent.parent.name)
    except ValueError:
        return 0.0


def why_unavailable() -> str | None:
    """Why a private server cannot be run here, or None when it can."""
    if postgres_bin() is None:
        return "no PostgreSQL server binaries under /usr/lib/postgresql/*/bin"
    if os.geteuid() != 0:
        return "running a private PostgreSQL server needs root (to run it as 'postgres')"
    if shutil.which("runuser") is None:
        return "runuser is not installed"
    return None


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class PrivatePostgres:
    """A throw-away PostgreSQL cluster: ``start``, ``restart``, ``stop``, ``remove``."""

    def __init__(self) -> None:
        bin_dir = postgres_bin()
        assert bin_dir is not None
        self.bin = bin_dir
        self.folder = Path(tempfile.mkdtemp(prefix="learningorg-pg-"))
        self.data = self.folder / "data"
        self.port = _free_port()
        shutil.chown(self.folder, "postgres", "postgres")
        self._run("initdb", "-D", str(self.data), "-A", "trust", "-U", "postgres", "--no-sync")
        self.url = f"postgresql://postgres@127.0.0.1:{self.port}/postgres"

    def _run(self, tool: str, *args: str) -> None:
        command = ["runuser", "-u", "postgres", "--", str(self.bin / tool), *args]
        done = subprocess.run(command, capture_output=True, text=True, timeout=120, check=False)
        if done.returncode != 0:
            msg = f"{tool} failed ({done.returncode}): {done.stdout}{done.stderr}"
            raise RuntimeError(msg)

    def _options(self) -> str:
        return (
            f"-p {self.port} -k {self.folder} -c listen_addresses=127.0.0.1 "
            "-c fsync=off -c max_connections=60"
        )

    def start(self) -> None:
        """Start the server and wait until it accepts connections."""
        log = str(self.folder / "server.log")
        self._run("pg_ctl", "-D", str(self.data), "-o", self._options(), "-l", log, "-w", "start")
        self._wait()

    def stop(self, mode: str = "fast") -> None:
        """Stop the server (``immediate`` is a crash: no shutdown checkpoint, recovery on start)."""
        self._run("pg_ctl", "-D", str(self.data), "-m", mode, "-w", "stop")

    def restart(self, mode: str = "fast") -> None:
        """Stop and start the server, closing every connection."""
        self.stop(mode)
        self.start()

    def _wait(self) -> None:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=1):
                    return
            except OSError:
                time.sleep(0.05)
        msg = f"the private PostgreSQL server on port {self.port} did not start"
        raise RuntimeError(msg)

    def remove(self) -> None:
        """Stop the server if it runs and delete its folder."""
        with contextlib.suppress(RuntimeError):  # already stopped
            self.stop("immediate")
        shutil.rmtree(self.folder, ignore_errors=True)
