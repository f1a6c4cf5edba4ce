"""Store URLs, the stored format, and upcasting of events stored by an older class version."""

from __future__ import annotations

import sqlite3
import threading
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, ClassVar
from urllib.parse import quote
from uuid import uuid4

import orjson
import pytest
from eventsourcing.persistence import StoredEvent
from hypothesis import given, settings
from hypothesis import strategies as st

from learningorg import LearningRecords
from learningorg import errors as err
from learningorg.domain import events as ev
from learningorg.persistence.database import SqliteDatabase, use_write_ahead_log
from learningorg.persistence.stores import DEFAULT_STORE, parse_store_url, resolve_store_url

T0 = datetime(2025, 3, 1, tzinfo=UTC)


@pytest.mark.parametrize(
    ("url", "problem"),
    [
        ("", "empty"),
        ("learning.db", "no scheme"),
        ("mysql://root@localhost/x", "unknown scheme 'mysql'"),
        ("sqlite://", "no file path"),
        ("sqlite:///no/such/folder/x.db", "does not exist"),
        ("postgresql://postgres@127.0.0.1:5432/", "names no database"),
        ("postgresql://postgres@127.0.0.1:99999/test", "invalid port"),
        ("postgresql://postgres@127.0.0.1/test?schema=a;drop", "not a plain identifier"),
        ("postgresql://postgres@127.0.0.1/test?sslmode=require", "unknown parameter.*PGSSLMODE"),
        ("postgresql://postgres@127.0.0.1/test?conect_timeout=5", "unknown parameter.*conect"),
    ],
)
def test_bad_store_urls_say_what_to_write(url: str, problem: str) -> None:
    """A URL that cannot be used raises a StoreError naming it and what a good one looks like."""
    with pytest.raises(err.StoreError, match=problem):
        LearningRecords(url)


def test_unreachable_postgres_is_a_store_error() -> None:
    """A server that does not answer gives a StoreError naming the URL (password hidden)."""
    with pytest.raises(err.StoreError, match=r"postgres:\*\*\*@127.0.0.1:1/"):
        LearningRecords("postgresql://postgres:secret@127.0.0.1:1/test")


@settings(max_examples=60, deadline=None)
@given(
    password=st.text(alphabet=st.characters(codec="utf-8", exclude_categories=("Cs",)), min_size=1),
    port=st.sampled_from(["5432", "99999", "x"]),
    query=st.sampled_from(["", "?schema=a;drop", "?connect_timeout=soon", "?sslmode=require"]),
)
def test_no_message_or_display_shows_a_password(password: str, port: str, query: str) -> None:
    """The password of a PostgreSQL URL, written percent-escaped as URLs require, never shows.

    Neither in ``display_url`` nor in the message of a URL that is refused (the server is not
    contacted: each URL here is refused before connecting, or parsed only).
    """
    written = quote(password, safe="")
    url = f"postgresql://hr:{written}@127.0.0.1:{port}/test{query}"
    try:
        shown = parse_store_url(url).display_url
    except err.StoreError as error:
        shown = str(error)
    assert "hr:***@127.0.0.1" in shown
    assert f":{written}@" not in shown
    assert f":{password}@" not in shown


def test_default_store_and_environment_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    """Without an argument the URL comes from LEARNINGORG_STORE, else the SQLite default."""
    monkeypatch.delenv("LEARNINGORG_STORE", raising=False)
    assert resolve_store_url(None) == DEFAULT_STORE == "sqlite:///learningorg.db"
    monkeypatch.setenv("LEARNINGORG_STORE", "memory://")
    assert resolve_store_url(None) == "memory://"
    assert resolve_store_url("sqlite:///x.db") == "sqlite:///x.db"
    assert parse_store_url("sqlite:////tmp/x.db").sqlite_path == "/tmp/x.db"


def test_sqlite_stores_plain_json_rows(tmp_path: Path) -> None:
    """The SQLite file holds one row per event: topic and orjson state with class_version."""
    path = tmp_path / "s.db"
    with LearningRecords(f"sqlite:///{path}") as records:
        records.register_organisation("o", "O", occurred_at=T0)
    with sqlite3.connect(path) as conn:
        rows = conn.execute("SELECT topic, state FROM stored_events").fetchall()
    assert [topic for topic, _ in rows] == ["learningorg/OrganisationRegistered"]
    state = orjson.loads(rows[0][1])
    assert state["class_version"] == 1
    assert state["key"] == "o"
    assert state["occurred_at"] == "2025-03-01T00:00:00Z"


class VisitLogged(ev.LearningEvent):
    """A test-only event at class_version 2: ``minutes`` (v1) became ``hours`` (v2)."""

    TOPIC: ClassVar[str] = "learningorg-test/VisitLogged"
    STREAMS: ClassVar[frozenset[ev.StreamKind]] = frozenset({"person"})
    class_version: ClassVar[int] = 2
    hours: float

    @staticmethod
    def upcast_v1_v2(state: dict[str, Any]) -> None:
        state["hours"] = state.pop("minutes") / 60


def test_an_event_stored_by_an_older_class_version_reads_as_the_current(
    store_url: str,
) -> None:
    """A v1 row written by the test itself (minutes=90) reads back as v2 (hours=1.5)."""
    with LearningRecords(store_url) as records:
        stream = uuid4()
        v1_state = {
            "event_id": str(uuid4()), "organisation": "o", "occurred_at": T0.isoformat(),
            "recorded_at": T0.isoformat(), "recorded_by": "old-version", "minutes": 90,
            "class_version": 1,
        }  # fmt: skip
        records.recorder.insert_events(
            [StoredEvent(stream, 1, VisitLogged.TOPIC, orjson.dumps(v1_state))]
        )
        (event,) = records.stream_events(stream)
        assert isinstance(event, VisitLogged)
        assert event.hours == 1.5
        assert event.recorded_by == "old-version"
        stored = records.mapper.to_stored_event(event)
        assert orjson.loads(stored.state)["class_version"] == 2


def _rollback_journal_file_held_open(path: Path) -> sqlite3.Connection:
    """A new SQLite file in rollback-journal mode and a connection holding a read lock on it."""
    sqlite3.connect(path).execute("CREATE TABLE t (x)").connection.close()
    holder = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    holder.execute("BEGIN")
    holder.execute("SELECT * FROM t").fetchall()
    return holder


def test_the_switch_to_write_ahead_logging_waits_for_other_openers(tmp_path: Path) -> None:
    """SQLite refuses the switch while another connection holds its lock: it is retried."""
    path = tmp_path / "new.db"
    holder = _rollback_journal_file_held_open(path)
    opener = sqlite3.connect(path, timeout=0, isolation_level=None)
    release = threading.Timer(0.3, holder.rollback)
    release.start()
    try:
        use_write_ahead_log(opener, timeout=10)
    finally:
        release.join()
    assert opener.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    opener.close()
    holder.close()


def test_the_switch_to_write_ahead_logging_gives_up_after_its_timeout(tmp_path: Path) -> None:
    """A lock that is never released: "database is locked" after the timeout, file unchanged."""
    path = tmp_path / "new.db"
    holder = _rollback_journal_file_held_open(path)
    opener = sqlite3.connect(path, timeout=0, isolation_level=None)
    with pytest.raises(sqlite3.OperationalError, match="locked"):
        use_write_ahead_log(opener, timeout=0.2)
    holder.rollback()
    assert opener.execute("PRAGMA journal_mode").fetchone()[0] == "delete"
    opener.close()
    holder.close()


def test_the_store_database_switches_a_new_file_to_write_ahead_logging(tmp_path: Path) -> None:
    """learningorg's own connection switches a new file, before eventsourcing's connections."""
    SqliteDatabase(str(tmp_path / "store.db")).close()
    check = sqlite3.connect(tmp_path / "store.db")
    assert check.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    check.close()
