"""Store faults: PostgreSQL restarted or its connections dropped, a full disk, a read-only file.

A command either succeeds (after reconnecting) or fails with a typed ``StoreError`` that says
what happened; repeating it with its idempotency key then stores it exactly once. Nothing half
written is ever visible: streams stay whole, and the capacity view equals a rebuild.

The PostgreSQL faults run on a private server (``private_postgres.py``), so restarting it does
not disturb other tests on the shared one; the SQLite faults on a small tmpfs mounted for the
test (a full disk, then a read-only file system). Both need root; without it they skip locally,
while in CI (``CI`` set) they must run.
"""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
import tempfile
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from tests.reliability.private_postgres import PrivatePostgres, why_unavailable

from learningorg import LearningRecords
from learningorg.domain import events as ev
from learningorg.domain.ids import derive_id
from learningorg.errors import LearningOrgError, StoreError, StoreURLError
from learningorg.persistence.stores import parse_store_url
from learningorg.projections.views import CapacityFactsView

ORG = "o"
T0 = datetime(2025, 1, 1, tzinfo=UTC)


def _need(problem: str | None) -> None:
    if problem is None:
        return
    if os.environ.get("CI"):
        pytest.fail(f"CI must run the store-fault tests, but {problem}")
    pytest.skip(problem)


@pytest.fixture(scope="module")
def private_pg() -> Iterator[PrivatePostgres]:
    """A private PostgreSQL server for this module's tests, removed afterwards."""
    _need(why_unavailable())
    server = PrivatePostgres()
    try:
        server.start()
        yield server
    finally:
        server.remove()


def _fresh_url(server: PrivatePostgres) -> str:
    return f"{server.url}?schema=s_{uuid.uuid4().hex[:12]}"


def _setup(url: str) -> None:
    with LearningRecords(url) as records:
        records.register_organisation(ORG, occurred_at=T0)
        records.register_team(ORG, "T", occurred_at=T0)
        for person in ("P", "Q"):
            records.register_person(ORG, person, name=f"Naam {person}", occurred_at=T0)
            records.add_member(ORG, "T", person, occurred_at=T0)


class Run:
    """A writer and a reader working through faults; what reached them is kept to check."""

    def __init__(self, url: str, keys: int) -> None:
        self.keys = [f"k{n}" for n in range(keys)]
        self.done = 0
        self.errors: list[LearningOrgError] = []
        self.unexpected: list[BaseException] = []
        self.reads_after: list[int] = []
        self.faults_done = threading.Event()
        self.writer = LearningRecords(url)
        self.reader = LearningRecords(url)
        self._stop = threading.Event()
        self._threads = [
            threading.Thread(target=self._write),
            threading.Thread(target=self._read),
        ]

    def _write(self) -> None:
        for n, key in enumerate(self.keys):
            for _ in range(200):  # a fault lasts well under 10 s
                try:
                    self.writer.log_reflection(
                        ORG,
                        "P",
                        minutes=5 + n % 50,
                        occurred_at=T0 + timedelta(hours=n),
                        idempotency_key=key,
                    )
                    if n % 10 == 0:
                        self.writer.share_knowledge(
                            ORG, "Q", to_persons=["P"], idempotency_key=f"s{key}"
                        )
                    break
                except LearningOrgError as error:
                    self.errors.append(error)
                    time.sleep(0.05)
                except BaseException as error:
                    self.unexpected.append(error)
                    return
            else:
                self.unexpected.append(RuntimeError(f"{key} never succeeded"))
                return
            self.done = n + 1

    def _read(self) -> None:
        while not self._stop.is_set():
            try:
                self.reader.capacity(ORG, "person", "P")
                if self.faults_done.is_set():
                    self.reads_after.append(1)
            except LearningOrgError as error:
                self.errors.append(error)
                time.sleep(0.05)
            except BaseException as error:
                self.unexpected.append(error)
                return

    def __enter__(self) -> Run:
        for thread in self._threads:
            thread.start()
        return self

    def wait_for(self, done: int) -> None:
        deadline = time.monotonic() + 60
        while self.done < done and not self.unexpected and time.monotonic() < deadline:
            time.sleep(0.01)

    def __exit__(self, *exc: object) -> None:
        self._threads[0].join(timeout=120)
        deadline = time.monotonic() + 30
        while not self.reads_after and not self.unexpected and time.monotonic() < deadline:
            time.sleep(0.05)
        self._stop.set()
        self._threads[1].join(timeout=60)
        self.writer.close()
        self.reader.close()


def _check_nothing_lost_or_doubled(url: str, run: Run) -> None:
    assert not run.unexpected, run.unexpected
    assert run.done == len(run.keys)
    assert run.reads_after, "no query succeeded after the faults"
    for error in run.errors:
        assert isinstance(error, StoreError), repr(error)
        assert "store" in str(error)
    with LearningRecords(url) as records:
        stream = records.stream(ORG, "person", "P")
        assert [e.originator_version for e in stream] == list(range(1, len(stream) + 1))
        reflections = [e.event_id for e in stream if isinstance(e, ev.ReflectionLogged)]
        expected = [derive_id(records.secret, ORG, "event", key) for key in run.keys]
        assert sorted(reflections) == sorted(expected)
        shares = [
            e for e in records.stream(ORG, "person", "Q") if isinstance(e, ev.KnowledgeShared)
        ]
        assert len(shares) == len(run.keys[::10])
        view = CapacityFactsView(records, workers=1)
        view.catch_up()
        kept = view.records_of(ORG)
        view.rebuild()
        assert view.records_of(ORG) == kept
        view.close()


@pytest.mark.postgres
def test_postgres_restarts_during_a_run(private_pg: PrivatePostgres) -> None:
    """Restart (fast) and crash-restart (immediate) the server while a writer and reader run."""
    url = _fresh_url(private_pg)
    _setup(url)
    with Run(url, keys=90) as run:
        run.wait_for(20)
        private_pg.restart("fast")
        run.wait_for(45)
        private_pg.restart("immediate")  # like a crash: recovery from the write-ahead log
        run.faults_done.set()
    _check_nothing_lost_or_doubled(url, run)


@pytest.mark.postgres
def test_postgres_connections_dropped_during_a_run(private_pg: PrivatePostgres) -> None:
    """Every connection of the store is terminated, twice, while a writer and reader run."""
    import psycopg

    url = _fresh_url(private_pg)
    _setup(url)

    def terminate_all() -> int:
        with psycopg.connect(private_pg.url, autocommit=True) as admin:
            rows = admin.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                "WHERE pid <> pg_backend_pid() AND backend_type = 'client backend'"
            ).fetchall()
        return len(rows)

    with Run(url, keys=90) as run:
        run.wait_for(20)
        assert terminate_all() >= 2
        run.wait_for(45)
        assert terminate_all() >= 2
        run.faults_done.set()
    _check_nothing_lost_or_doubled(url, run)


@pytest.mark.postgres
def test_postgres_down_gives_a_clear_error_then_recovers(private_pg: PrivatePostgres) -> None:
    """With the server stopped a command fails with StoreError; once it is back, it succeeds."""
    url = _fresh_url(private_pg) + "&connect_timeout=1"  # fail after about ten 1 s waits
    _setup(url)
    with LearningRecords(url) as records:
        records.log_reflection(ORG, "P", minutes=30, idempotency_key="before")
        private_pg.stop("fast")
        try:
            with pytest.raises(StoreError, match="store"):
                records.log_reflection(ORG, "P", minutes=30, idempotency_key="during")
        finally:
            private_pg.start()
        records.log_reflection(ORG, "P", minutes=30, idempotency_key="during")
        records.log_reflection(ORG, "P", minutes=30, idempotency_key="during")
        stream = records.stream(ORG, "person", "P")
        assert [type(e).__name__ for e in stream[-2:]] == ["ReflectionLogged"] * 2
        assert len(stream) == 3
        assert records.capacity(ORG, "person", "P").score is not None


# ---------------------------------------------------------------- SQLite: full disk, read-only


def _mount_problem() -> str | None:
    if os.geteuid() != 0:
        return "mounting a small tmpfs needs root"
    if shutil.which("mount") is None:
        return "mount is not installed"
    return None


@pytest.fixture
def small_disk() -> Iterator[tuple[Path, Callable[[str], None]]]:
    """A 1 MiB tmpfs folder and a function that remounts it with other options."""
    _need(_mount_problem())
    folder = Path(tempfile.mkdtemp(prefix="learningorg-disk-"))

    def mount(*options: str) -> None:
        subprocess.run(["mount", *options], check=True, capture_output=True, timeout=30)

    try:
        mount("-t", "tmpfs", "-o", "size=1m", "tmpfs", str(folder))
    except subprocess.CalledProcessError as error:
        shutil.rmtree(folder, ignore_errors=True)
        _need(f"cannot mount a tmpfs: {error.stderr.decode().strip()}")

    def remount(options: str) -> None:
        mount("-o", f"remount,{options}", str(folder))

    try:
        yield folder, remount
    finally:
        subprocess.run(["umount", "-l", str(folder)], check=False, capture_output=True)
        shutil.rmtree(folder, ignore_errors=True)


def _integrity(path: Path) -> str:
    connection = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        return str(connection.execute("PRAGMA integrity_check").fetchone()[0])
    finally:
        connection.close()


def test_full_disk_gives_a_clear_error_and_keeps_the_store_whole(
    small_disk: tuple[Path, Callable[[str], None]],
) -> None:
    """Record until the disk is full: StoreError naming the cause, nothing partial, then resume."""
    folder, remount = small_disk
    path = folder / "store.db"
    url = f"sqlite:///{path}"
    _setup(url)
    stored: list[str] = []
    with LearningRecords(url) as records:
        caught: StoreError | None = None
        for n in range(5000):
            key = f"k{n}"
            try:
                records.log_reflection(
                    ORG, "P", minutes=30, note="x" * 2000, idempotency_key=key, occurred_at=T0
                )
            except StoreError as error:
                caught = error
                break
            stored.append(key)
        assert caught is not None, "the 1 MiB disk never filled up"
        assert len(stored) > 10
        assert "cannot write to the store" in str(caught)
        assert "full" in str(caught)
        stream = records.stream(ORG, "person", "P")  # still readable, all of it
        assert len(stream) == 1 + len(stored)
        remount("size=16m")  # space freed
        records.log_reflection(
            ORG, "P", minutes=30, note="x" * 2000, idempotency_key=f"k{len(stored)}"
        )
        assert len(records.stream(ORG, "person", "P")) == 2 + len(stored)
        ids = {e.event_id for e in records.stream(ORG, "person", "P")}
        for key in [*stored, f"k{len(stored)}"]:
            assert derive_id(records.secret, ORG, "event", key) in ids
    assert _integrity(path) == "ok"


def test_read_only_store_gives_a_clear_error_and_stays_whole(
    small_disk: tuple[Path, Callable[[str], None]],
) -> None:
    """A store on a read-only file system is refused with a clear error; nothing is lost."""
    folder, remount = small_disk
    path = folder / "store.db"
    url = f"sqlite:///{path}"
    _setup(url)
    with LearningRecords(url) as records:
        records.log_reflection(ORG, "P", minutes=30, idempotency_key="before")
        before = [e.event_id for e in records.stream(ORG, "person", "P")]
    remount("ro")
    try:
        with pytest.raises(StoreError, match="is read-only") as caught:
            LearningRecords(url)
        assert str(path) in str(caught.value)
    finally:
        remount("rw")
    assert _integrity(path) == "ok"
    with LearningRecords(url) as records:
        assert [e.event_id for e in records.stream(ORG, "person", "P")] == before
        records.log_reflection(ORG, "P", minutes=30, idempotency_key="during")
        assert len(records.stream(ORG, "person", "P")) == len(before) + 1


def test_connect_timeout_in_the_url_bounds_the_wait() -> None:
    """``connect_timeout`` reaches both connections; a bad value is refused, naming it."""
    config = parse_store_url("postgresql://postgres@127.0.0.1/db?schema=s&connect_timeout=3")
    assert config.postgres is not None
    assert config.postgres.connect_timeout == 3
    assert config.eventsourcing_env()["POSTGRES_CONNECT_TIMEOUT"] == "3"
    assert (
        parse_store_url("postgresql://postgres@h/db").eventsourcing_env()[
            "POSTGRES_CONNECT_TIMEOUT"
        ]
        == "10"
    )
    with pytest.raises(StoreURLError, match="connect_timeout 'soon'"):
        parse_store_url("postgresql://postgres@h/db?connect_timeout=soon")
