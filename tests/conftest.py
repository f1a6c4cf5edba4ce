"""Shared fixtures: one store fixture parametrised over memory, SQLite and PostgreSQL.

PostgreSQL tests use the server at 127.0.0.1:5432 (user ``postgres``, database ``test``), each in a
schema of its own that is dropped afterwards. Without a server they skip with the reason, except
in CI (``CI`` set), where a missing server fails the run: CI must prove the PostgreSQL path.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from functools import cache
from pathlib import Path

import pytest

from learningorg import LearningRecords

PG_DSN = os.environ.get("LEARNINGORG_TEST_PG", "postgresql://postgres@127.0.0.1:5432/test")
STORE_KINDS = ("memory", "sqlite", "postgresql")


@cache
def postgres_problem() -> str | None:
    """Why PostgreSQL cannot be used, or None when it answers."""
    try:
        import psycopg
    except ImportError:  # pragma: no cover - the postgres extra is part of the test install
        return "psycopg is not installed (install the 'postgres' extra)"
    try:
        with psycopg.connect(PG_DSN, connect_timeout=3) as conn:
            conn.execute("SELECT 1")
    except psycopg.Error as error:
        return f"PostgreSQL at {PG_DSN} does not answer: {str(error).strip()}"
    return None


def require_postgres() -> None:
    """Skip (locally) or fail (in CI) when PostgreSQL is not available."""
    problem = postgres_problem()
    if problem is None:
        return
    if os.environ.get("CI"):
        pytest.fail(f"CI must run the PostgreSQL tests, but {problem}")
    pytest.skip(problem)


def _drop_schema(schema: str) -> None:
    import psycopg

    with psycopg.connect(PG_DSN, autocommit=True) as conn:
        conn.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')


def make_store_url(kind: str, tmp_path: Path) -> tuple[str, str | None]:
    """A fresh store URL of ``kind`` and, for PostgreSQL, the schema to drop afterwards."""
    if kind == "memory":
        return "memory://", None
    if kind == "sqlite":
        return f"sqlite:///{tmp_path / f'store-{uuid.uuid4().hex[:8]}.db'}", None
    require_postgres()
    schema = f"t_{uuid.uuid4().hex[:16]}"
    return f"{PG_DSN}?schema={schema}", schema


@pytest.fixture(
    params=[
        "memory",
        "sqlite",
        pytest.param("postgresql", marks=pytest.mark.postgres),
    ]
)
def store_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A fresh, empty store URL, once for each kind of store."""
    url, schema = make_store_url(request.param, tmp_path)
    yield url
    if schema is not None:
        _drop_schema(schema)


@pytest.fixture
def records(store_url: str) -> Iterator[LearningRecords]:
    """An open ``LearningRecords`` on a fresh store of each kind."""
    with LearningRecords(store_url) as opened:
        yield opened


@pytest.fixture
def memory_records() -> Iterator[LearningRecords]:
    """An open ``LearningRecords`` on a fresh in-memory store (for fast unit tests)."""
    with LearningRecords("memory://") as opened:
        yield opened


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    """A fresh SQLite store URL in the test's temporary folder."""
    return f"sqlite:///{tmp_path / 'store.db'}"
