"""Per-person data keys, kept apart from the events: the key store (persistence layer).

Personal data in a person's stream is encrypted with that person's own 256-bit data key
(crypto-shredding, DESIGN.md section 7). ``PersonKeys`` is the interface the mapper and the
erasure command are written against; a deployment that keeps keys in its own KMS implements it
(four methods) and passes an instance to ``LearningRecords(store, keys=...)``.

Two implementations come with the library:

``DatabaseKeyStore``
    The default: a table ``learningorg_person_keys`` in the store's own database (SQLite file,
    PostgreSQL schema, or the private in-memory database of ``memory://``). When the store has a
    ``cipher_key``, the data keys are stored wrapped (AES-GCM) with it. Destroying a key
    overwrites it with NULL and keeps a tombstone row (the pseudonymous stream id and when), so
    the store knows the person was erased and never issues a new key for them. SQLite deletes
    securely (``PRAGMA secure_delete``), so the key's bytes do not linger in free pages.
``InMemoryKeyStore``
    Keys in a dict of this process: for tests, or a store whose keys must not touch the disk.

Keys are cached in the process that reads them. An instance that destroys a key forgets it at
once; another instance or process that has read the key before forgets it within
``refresh_seconds`` (one second by default), when it next asks for a key.
"""

from __future__ import annotations

import base64
import os
import threading
import time
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterable
from datetime import UTC, datetime, timedelta
from uuid import UUID

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from learningorg.domain.errors import InvalidInputError, StoreError
from learningorg.persistence.crypto import forget_key
from learningorg.persistence.database import Database

#: Bytes in a data key (AES-256).
KEY_BYTES = 32


class PersonErasedError(InvalidInputError):
    """A data key was asked for to write personal data of a person who was erased."""


class PersonKeys(ABC):
    """Where the per-person data keys live. Implement it to plug in a KMS.

    Every method takes the person's stream id (a keyed hash: no personal data).
    """

    @abstractmethod
    def key_for_writing(self, person_id: UUID) -> bytes:
        """The person's data key, created on first use.

        Raises ``PersonErasedError`` when the person's key was destroyed: nothing personal may
        be written for an erased person.
        """

    @abstractmethod
    def key_for_reading(self, person_id: UUID) -> bytes | None:
        """The person's data key, or None when it was destroyed (or never existed)."""

    @abstractmethod
    def destroy(self, person_id: UUID) -> bool:
        """Destroy the person's key for good; True when a key was destroyed by this call.

        Destroying again (or destroying a key that never existed) leaves a tombstone and
        returns False.
        """

    @abstractmethod
    def destroyed(self, person_id: UUID) -> bool:
        """Whether the person's key was destroyed (the person was erased)."""

    def create_many(self, person_ids: Iterable[UUID]) -> None:
        """Create the missing data keys of ``person_ids`` at once, ahead of ``key_for_writing``.

        For bulk writers (the xAPI import) that are about to seal the fields of many new persons.
        Erased persons get no key (``key_for_writing`` still refuses them). The default does
        nothing, so every key is created on first use; a store that can create many keys in
        one round trip overrides it.
        """
        del person_ids  # created one by one on first use


#: Called with (database, organisation, person stream id) when a person is erased; returns how
#: many rows of personal data it removed from a side table. Modules that keep copies of personal
#: data next to the events (the xAPI statement log) register one with ``on_erasure``.
ErasureHook = Callable[[Database, str, UUID], int]

_ERASURE_HOOKS: dict[str, ErasureHook] = {}


def on_erasure(name: str, hook: ErasureHook) -> None:
    """Register ``hook`` (under ``name``; registering a name again replaces it) for erasures."""
    _ERASURE_HOOKS[name] = hook


def erasure_hooks() -> dict[str, ErasureHook]:
    """The registered erasure hooks by name."""
    return dict(_ERASURE_HOOKS)


def new_data_key() -> bytes:
    """A fresh random 256-bit data key."""
    return os.urandom(KEY_BYTES)


def _erased_message(person_id: UUID) -> str:
    return (
        f"the person with stream id {person_id} was erased and their data key destroyed; "
        "nothing personal can be recorded for them any more (register them under a new key)"
    )


class InMemoryKeyStore(PersonKeys):
    """Data keys in a dict of this process (gone when it ends)."""

    def __init__(self, generate: Callable[[], bytes] = new_data_key) -> None:
        self._generate = generate
        self._keys: dict[UUID, bytes] = {}
        self._destroyed: set[UUID] = set()
        self._lock = threading.Lock()

    def key_for_writing(self, person_id: UUID) -> bytes:
        with self._lock:
            if person_id in self._destroyed:
                raise PersonErasedError(_erased_message(person_id))
            key = self._keys.get(person_id)
            if key is None:
                key = self._keys[person_id] = self._generate()
            return key

    def key_for_reading(self, person_id: UUID) -> bytes | None:
        return self._keys.get(person_id)

    def destroy(self, person_id: UUID) -> bool:
        with self._lock:
            self._destroyed.add(person_id)
            key = self._keys.pop(person_id, None)
            forget_key(key)
            return key is not None

    def destroyed(self, person_id: UUID) -> bool:
        return person_id in self._destroyed


class DatabaseKeyStore(PersonKeys):
    """Data keys in the table ``learningorg_person_keys`` of the store's database."""

    def __init__(
        self,
        database: Database,
        generate: Callable[[], bytes] = new_data_key,
        *,
        refresh_seconds: float = 1.0,
        wrap_key: bytes | None = None,
    ) -> None:
        self.database = database
        self.table = database.table("learningorg_person_keys")
        # With a wrapping key (the store's cipher key), data keys are stored encrypted with it.
        self._wrap = None if wrap_key is None else AESGCM(wrap_key)
        #: How often (at most) to look for keys other processes destroyed since.
        self.refresh_seconds = refresh_seconds
        self._generate = generate
        self._keys: dict[UUID, bytes] = {}
        self._destroyed: set[UUID] = set()
        self._loaded = False
        self._checked_at = time.monotonic()
        self._since: str | None = None
        self._lock = threading.RLock()
        with database.transaction() as cursor:
            cursor.execute(
                f"CREATE TABLE IF NOT EXISTS {self.table} (person_id TEXT PRIMARY KEY, "
                "data_key TEXT, created_at TEXT NOT NULL, destroyed_at TEXT)"
            )

    def _stored(self, person_id: UUID, key: bytes) -> str:
        """A data key as the table keeps it: hex, or wrapped (``w1:`` and base64)."""
        if self._wrap is None:
            return key.hex()
        nonce = os.urandom(12)
        sealed = self._wrap.encrypt(nonce, key, person_id.bytes)
        return "w1:" + base64.b64encode(nonce + sealed).decode()

    def _unwrap(self, person_id: UUID, text: str) -> bytes:
        if not text.startswith("w1:"):
            return bytes.fromhex(text)
        if self._wrap is None:
            msg = (
                f"the data key of person {person_id} is wrapped with the store's cipher key; "
                "open the store with its ?cipher_key="
            )
            raise StoreError(msg)
        raw = base64.b64decode(text[3:])
        try:
            return self._wrap.decrypt(raw[:12], raw[12:], person_id.bytes)
        except InvalidTag:
            msg = (
                f"the data key of person {person_id} does not open with this cipher key; open "
                "the store with the key it was written with"
            )
            raise StoreError(msg) from None

    def _remember(self, person_id: UUID, key: str | None) -> None:
        if key is None:
            self._destroyed.add(person_id)
            forget_key(self._keys.pop(person_id, None))
        else:
            self._keys[person_id] = self._unwrap(person_id, key)

    def _load_all(self) -> None:
        """Read every key at once: a replay needs most of them, one query beats thousands."""
        with self.database.transaction() as cursor:
            cursor.execute(f"SELECT person_id, data_key FROM {self.table}")
            rows = cursor.fetchall()
        for person_id, key in rows:
            self._remember(UUID(person_id), key)
        self._loaded = True

    def _fetch(self, person_id: UUID) -> bool:
        """Read one person's row into the cache; False when there is none."""
        sql = self.database.sql(f"SELECT data_key FROM {self.table} WHERE person_id = ?")
        with self.database.transaction() as cursor:
            cursor.execute(sql, (str(person_id),))
            row = cursor.fetchone()
        if row is None:
            return False
        self._remember(person_id, row[0])
        return True

    def key_for_writing(self, person_id: UUID) -> bytes:
        self._refresh()
        with self._lock:
            key = self._keys.get(person_id)
            if key is not None:
                return key
            if person_id not in self._destroyed:
                insert = self.database.sql(
                    f"INSERT INTO {self.table} (person_id, data_key, created_at) "
                    "VALUES (?, ?, ?) ON CONFLICT DO NOTHING"
                )
                now = datetime.now(UTC).isoformat()
                with self.database.transaction() as cursor:
                    # Another process may have created it first: then its key wins.
                    stored = self._stored(person_id, self._generate())
                    cursor.execute(insert, (str(person_id), stored, now))
                self._fetch(person_id)
            if person_id in self._destroyed:
                raise PersonErasedError(_erased_message(person_id))
            return self._keys[person_id]

    def create_many(self, person_ids: Iterable[UUID]) -> None:
        """Create the missing keys in one transaction (one insert of many rows, one read)."""
        self._refresh()
        with self._lock:
            missing = list(
                dict.fromkeys(
                    p for p in person_ids if p not in self._keys and p not in self._destroyed
                )
            )
            if not missing:
                return
            insert = self.database.sql(
                f"INSERT INTO {self.table} (person_id, data_key, created_at) "
                "VALUES (?, ?, ?) ON CONFLICT DO NOTHING"
            )
            select = self.database.sql(
                f"SELECT person_id, data_key FROM {self.table} WHERE person_id = ?"
            )
            now = datetime.now(UTC).isoformat()
            rows = [(str(p), self._stored(p, self._generate()), now) for p in missing]
            with self.database.transaction() as cursor:
                # Rows another process created first (or tombstones) are kept: theirs win.
                cursor.executemany(insert, rows)
                found: list[tuple[str, str | None]] = []
                for person_id, _, _ in rows:
                    cursor.execute(select, (person_id,))
                    found.extend(cursor.fetchall())
            for person_id, key in found:
                self._remember(UUID(person_id), key)

    def _refresh(self) -> None:
        """Forget keys that another process destroyed (checked every ``refresh_seconds``)."""
        now = time.monotonic()
        if now - self._checked_at < self.refresh_seconds:
            return
        with self._lock:
            self._checked_at = now
            since = self._since
            # A margin for the clocks of other processes writing the tombstones.
            self._since = (datetime.now(UTC) - timedelta(minutes=5)).isoformat()
            sql = f"SELECT person_id FROM {self.table} WHERE destroyed_at IS NOT NULL"
            params: tuple[str, ...] = ()
            if since is not None:
                sql += " AND destroyed_at >= ?"
                params = (since,)
            with self.database.transaction() as cursor:
                cursor.execute(self.database.sql(sql), params)
                rows = cursor.fetchall()
            for (person_id,) in rows:
                self._remember(UUID(person_id), None)

    def key_for_reading(self, person_id: UUID) -> bytes | None:
        self._refresh()
        key = self._keys.get(person_id)
        if key is not None or person_id in self._destroyed:
            return key
        with self._lock:
            if not self._loaded:
                self._load_all()
            elif person_id not in self._keys:
                # Written by another process since: read it (a missing row is not cached).
                self._fetch(person_id)
            return self._keys.get(person_id)

    def destroy(self, person_id: UUID) -> bool:
        now = datetime.now(UTC).isoformat()
        with self._lock, self.database.transaction() as cursor:
            select = f"SELECT data_key FROM {self.table} WHERE person_id = ?"
            cursor.execute(self.database.sql(select), (str(person_id),))
            row = cursor.fetchone()
            had_key = row is not None and row[0] is not None
            if row is None:
                cursor.execute(
                    self.database.sql(
                        f"INSERT INTO {self.table} (person_id, data_key, created_at, "
                        "destroyed_at) VALUES (?, NULL, ?, ?)"
                    ),
                    (str(person_id), now, now),
                )
            elif had_key:
                cursor.execute(
                    self.database.sql(
                        f"UPDATE {self.table} SET data_key = NULL, destroyed_at = ? "
                        "WHERE person_id = ?"
                    ),
                    (now, str(person_id)),
                )
            self._remember(person_id, None)
        return had_key

    def destroyed(self, person_id: UUID) -> bool:
        if person_id in self._destroyed:
            return True
        with self._lock:
            self._fetch(person_id)
        return person_id in self._destroyed


__all__ = [
    "KEY_BYTES",
    "DatabaseKeyStore",
    "ErasureHook",
    "InMemoryKeyStore",
    "PersonErasedError",
    "PersonKeys",
    "erasure_hooks",
    "new_data_key",
    "on_erasure",
]
