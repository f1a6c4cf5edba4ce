"""Store URLs: one string chooses memory, SQLite or PostgreSQL (persistence layer).

``memory://``
    Everything in this process; gone when it ends. For tests and experiments.
``sqlite:///relative/path.db`` or ``sqlite:////absolute/path.db``
    One SQLite file (the default, ``sqlite:///learningorg.db``). One store per file.
``postgresql://user[:password]@host[:port]/database[?schema=name&connect_timeout=seconds]``
    PostgreSQL, for production. ``schema`` keeps several stores apart in one database;
    ``connect_timeout`` (default 10) bounds each wait for a connection, and so how long a command
    takes to fail with ``StoreError`` while the server is down (about ten waits).

Every kind also takes ``?cipher_key=KEY`` (for PostgreSQL, ``&cipher_key=KEY``): encryption at
rest of every event payload with eventsourcing's AES-GCM cipher, KEY being 16, 24 or 32 random bytes
in URL-safe base64 (``learningorg.persistence.stores.new_cipher_key()``). A store written with a key
can only be read with the same key. See docs/privacy.md.
"""

from __future__ import annotations

import base64
import binascii
import os
import re
import secrets
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Literal
from urllib.parse import parse_qs, unquote, urlsplit

from learningorg.domain.errors import StoreError, StoreURLError

DEFAULT_STORE = "sqlite:///learningorg.db"
STORE_ENV_VAR = "LEARNINGORG_STORE"
APPLICATION_NAME = "LearningRecords"
_SCHEMA_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,62}$")


@dataclass(frozen=True, slots=True)
class PostgresParams:
    """Connection parameters of a PostgreSQL store."""

    host: str
    port: int
    user: str
    password: str
    dbname: str
    schema: str
    connect_timeout: int = 10


@dataclass(frozen=True, slots=True)
class StoreConfig:
    """A parsed store URL."""

    url: str
    kind: Literal["memory", "sqlite", "postgresql"]
    sqlite_path: str | None = None
    postgres: PostgresParams | None = None
    cipher_key: str | None = None

    @property
    def wrap_key(self) -> bytes | None:
        """The cipher key's bytes, which also wrap the per-person data keys (None: no key)."""
        return None if self.cipher_key is None else base64.b64decode(self.cipher_key)

    @property
    def display_url(self) -> str:
        """The URL with any password and cipher key hidden, for messages and logs."""
        return hide_secrets(self.url)

    def eventsourcing_env(self) -> dict[str, str]:
        """The eventsourcing ``Application`` environment for this store."""
        env = self._persistence_env()
        if self.cipher_key:
            env["CIPHER_TOPIC"] = "eventsourcing.cryptography:AESCipher"
            env["CIPHER_KEY"] = self.cipher_key
        return env

    def _persistence_env(self) -> dict[str, str]:
        if self.kind == "memory":
            return {"PERSISTENCE_MODULE": "eventsourcing.popo"}
        if self.kind == "sqlite":
            assert self.sqlite_path is not None
            return {
                "PERSISTENCE_MODULE": "eventsourcing.sqlite",
                "SQLITE_DBNAME": self.sqlite_path,
                "SQLITE_LOCK_TIMEOUT": "30",
            }
        assert self.postgres is not None
        pg = self.postgres
        return {
            "PERSISTENCE_MODULE": "eventsourcing.postgres",
            "POSTGRES_DBNAME": pg.dbname,
            "POSTGRES_HOST": pg.host,
            "POSTGRES_PORT": str(pg.port),
            "POSTGRES_USER": pg.user,
            "POSTGRES_PASSWORD": pg.password,
            "POSTGRES_SCHEMA": pg.schema,
            "POSTGRES_CONNECT_TIMEOUT": str(pg.connect_timeout),
            "POSTGRES_ENABLE_DB_FUNCTIONS": "y",
            "POSTGRES_POOL_SIZE": "2",
            "POSTGRES_MAX_OVERFLOW": "4",
        }


def resolve_store_url(url: str | None) -> str:
    """The store URL to use: the argument, else ``LEARNINGORG_STORE``, else the default."""
    if url is not None:
        return url
    return os.environ.get(STORE_ENV_VAR) or DEFAULT_STORE


def parse_store_url(url: str) -> StoreConfig:
    """Parse a store URL, raising ``StoreURLError`` that says what a valid one looks like.

    >>> parse_store_url("memory://").kind
    'memory'
    >>> parse_store_url("sqlite:///learning.db").sqlite_path
    'learning.db'
    >>> parse_store_url("postgresql://postgres@127.0.0.1:5432/test").postgres.port
    5432
    """
    if not isinstance(url, str) or not url.strip():
        msg = (
            f"store URL {_safe(url)!r} is empty; use memory://, sqlite:///path/to/file.db "
            "or postgresql://user@host:port/database"
        )
        raise StoreURLError(msg)
    scheme, sep, rest = url.partition("://")
    scheme = scheme.lower()
    if not sep:
        msg = (
            f"store URL {_safe(url)!r} has no scheme; use memory://, sqlite:///path/to/file.db "
            "or postgresql://user@host:port/database"
        )
        raise StoreURLError(msg)
    cipher_key = _cipher_key(url)
    if scheme in {"memory", "sqlite"}:
        rest, _, query = rest.partition("?")
        unknown = sorted(set(parse_qs(query)) - {"cipher_key"})
        if unknown:
            msg = (
                f"store URL {_safe(url)!r} has the unknown parameter(s) "
                f"{', '.join(unknown)}; a {scheme} store takes only cipher_key"
            )
            raise StoreURLError(msg)
    if scheme == "memory":
        return StoreConfig(url=url, kind="memory", cipher_key=cipher_key)
    if scheme == "sqlite":
        return replace(_parse_sqlite(url, rest), cipher_key=cipher_key)
    if scheme in {"postgresql", "postgres"}:
        return replace(_parse_postgres(url), cipher_key=cipher_key)
    msg = (
        f"store URL {_safe(url)!r} has the unknown scheme {scheme!r}; use memory://, "
        "sqlite:///path/to/file.db or postgresql://user@host:port/database"
    )
    raise StoreURLError(msg)


def new_cipher_key() -> str:
    """A fresh 256-bit key for ``?cipher_key=``, in URL-safe base64."""
    return base64.urlsafe_b64encode(secrets.token_bytes(32)).decode()


def hide_secrets(url: str) -> str:
    """``url`` with the password of its user part and its ``cipher_key`` shown as ``***``.

    Works on the text as written (percent-escapes included), so every message and log that
    names a store URL can use it, even for a URL that does not parse.
    """
    url = re.sub(r"(cipher_key=)[^&#]*", r"\1***", url)
    scheme, sep, rest = url.partition("://")
    if not sep:
        return url
    authority, slash, tail = rest.partition("/")
    user, at, host = authority.rpartition("@")
    if at and ":" in user:
        user = user.split(":", 1)[0] + ":***"
    return f"{scheme}{sep}{user}{at}{host}{slash}{tail}"


_safe = hide_secrets  # for the messages below


def _cipher_key(url: str) -> str | None:
    """The ``cipher_key`` of a store URL as eventsourcing's cipher wants it (standard base64)."""
    values = parse_qs(url.partition("?")[2], keep_blank_values=True).get("cipher_key")
    if not values:
        return None
    text = values[0].strip()
    try:
        raw = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    except (binascii.Error, ValueError):
        raw = b""
    if len(raw) not in (16, 24, 32):
        msg = (
            f"the cipher_key of store URL {_safe(url)!r} is not 16, 24 or 32 bytes in "
            "URL-safe base64; make one with learningorg.persistence.stores.new_cipher_key()"
        )
        raise StoreURLError(msg)
    return base64.b64encode(raw).decode()


def _parse_sqlite(url: str, rest: str) -> StoreConfig:
    if not rest.startswith("/") or rest == "/":
        msg = (
            f"SQLite store URL {_safe(url)!r} has no file path; write sqlite:///relative/file.db "
            "(three slashes) or sqlite:////absolute/file.db (four)"
        )
        raise StoreURLError(msg)
    path = unquote(rest[1:])
    if path == ":memory:":
        return StoreConfig(url=url, kind="sqlite", sqlite_path="file::memory:?cache=shared")
    parent = Path(path).expanduser().resolve().parent
    if not parent.is_dir():
        msg = (
            f"cannot open SQLite store {_safe(url)!r}: the folder {str(parent)!r} does not exist; "
            "create it first or choose another path"
        )
        raise StoreError(msg)
    if Path(path).is_dir():
        msg = f"cannot open SQLite store {_safe(url)!r}: {path!r} is a folder; give a file name"
        raise StoreError(msg)
    target = Path(path).expanduser()
    if not os.access(parent, os.W_OK) or (target.exists() and not os.access(target, os.W_OK)):
        msg = (
            f"cannot open SQLite store {_safe(url)!r}: {str(target)!r} or its folder is read-only; "
            "SQLite writes the file and its -wal and -shm files there, so make them writable "
            "or copy the store to a writable folder"
        )
        raise StoreError(msg)
    return StoreConfig(url=url, kind="sqlite", sqlite_path=str(target))


_POSTGRES_OPTIONS = frozenset({"schema", "connect_timeout", "cipher_key"})


def _parse_postgres(url: str) -> StoreConfig:
    parts = urlsplit(url)
    dbname = unquote(parts.path.lstrip("/"))
    if not dbname:
        msg = (
            f"PostgreSQL store URL {_safe(url)!r} names no database; "
            "write postgresql://user@host:port/database"
        )
        raise StoreURLError(msg)
    try:
        port = parts.port or 5432
    except ValueError:
        msg = f"PostgreSQL store URL {_safe(url)!r} has an invalid port; use a number such as 5432"
        raise StoreURLError(msg) from None
    query = parse_qs(parts.query, keep_blank_values=True)
    unknown = sorted(set(query) - _POSTGRES_OPTIONS)
    if unknown:
        msg = (
            f"PostgreSQL store URL {_safe(url)!r} has the unknown parameter(s) "
            f"{', '.join(unknown)}; it takes only {', '.join(sorted(_POSTGRES_OPTIONS))} "
            "(other connection settings, such as sslmode, go in libpq's environment "
            "variables, e.g. PGSSLMODE=require)"
        )
        raise StoreURLError(msg)
    schema = query.get("schema", ["public"])[0]
    if not _SCHEMA_NAME.match(schema):
        msg = (
            f"PostgreSQL schema {schema!r} in {_safe(url)!r} is not a plain identifier; "
            "use letters, digits and underscores"
        )
        raise StoreURLError(msg)
    timeout = query.get("connect_timeout", ["10"])[0]
    if not timeout.isdigit() or int(timeout) < 1:
        msg = (
            f"PostgreSQL connect_timeout {timeout!r} in {_safe(url)!r} is not a whole number of "
            "seconds; use for example connect_timeout=10"
        )
        raise StoreURLError(msg)
    params = PostgresParams(
        host=parts.hostname or "127.0.0.1",
        port=port,
        user=unquote(parts.username or "postgres"),
        password=unquote(parts.password or ""),
        dbname=dbname,
        schema=schema,
        connect_timeout=int(timeout),
    )
    return StoreConfig(url=url, kind="postgresql", postgres=params)
