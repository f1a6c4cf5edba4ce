"""Encryption at rest of every event payload (``?cipher_key=`` in the store URL), on every store."""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime

import pytest
from tests.integration.test_privacy_erasure import event_table_dump

from learningorg import LearningRecords
from learningorg.domain.errors import StoreError, StoreURLError
from learningorg.persistence.database import SqliteDatabase
from learningorg.persistence.keys import DatabaseKeyStore
from learningorg.persistence.stores import new_cipher_key, parse_store_url

ORG = "jeugdzorg-noord"
AS_OF = datetime(2025, 1, 1, tzinfo=UTC)
CLEAR = (b"Ambulant team Noord", b"Jeugdzorg Noord", b"jeugdzorg-noord", b"minutes")


def with_key(url: str, key: str) -> str:
    """``url`` with the cipher key added as a query parameter."""
    return f"{url}{'&' if '?' in url else '?'}cipher_key={key}"


def record(records: LearningRecords) -> float | None:
    """A small history; returns the team's capacity score (read through the views)."""
    at = datetime(2024, 6, 1, tzinfo=UTC)
    records.register_organisation(ORG, "Jeugdzorg Noord", occurred_at=at)
    records.register_team(ORG, "T1", "Ambulant team Noord", occurred_at=at)
    records.register_person(ORG, "E1", name="Sanne", occurred_at=at)
    records.add_member(ORG, "T1", "E1", occurred_at=at)
    records.log_reflection(ORG, "E1", minutes=90, occurred_at=at)
    return records.capacity(ORG, "team", "T1", as_of=AS_OF).score


def test_every_payload_is_encrypted_with_a_cipher_key(store_url: str) -> None:
    """With a key, the event table holds none of the clear text it holds without one."""
    key = new_cipher_key()
    url = with_key(store_url, key)
    with LearningRecords(url) as records:
        score = record(records)
        encrypted = event_table_dump(records, url)
        assert records.team(ORG, "T1").name == "Ambulant team Noord"
        assert key not in records.config.display_url
    for text in CLEAR:
        assert text not in encrypted, text
    if parse_store_url(store_url).kind != "memory":
        with LearningRecords(url) as again:
            assert again.capacity(ORG, "team", "T1", as_of=AS_OF).score == score


def test_without_a_key_the_same_history_is_in_clear(sqlite_url: str) -> None:
    """The control: the scan finds the clear text when no key is given."""
    with LearningRecords(sqlite_url) as records:
        record(records)
        plain = event_table_dump(records, sqlite_url)
    for text in CLEAR:
        assert text in plain, text


def test_the_wrong_or_a_missing_key_is_a_store_error(sqlite_url: str) -> None:
    """Opening an encrypted store without its key, or with another, says what to do."""
    url = with_key(sqlite_url, new_cipher_key())
    with LearningRecords(url) as records:
        record(records)
    with LearningRecords(sqlite_url) as keyless, pytest.raises(StoreError, match="same key"):
        keyless.team(ORG, "T1")
    other = with_key(sqlite_url, new_cipher_key())
    with LearningRecords(other) as wrong, pytest.raises(StoreError, match="cipher_key differs"):
        wrong.team(ORG, "T1")


@pytest.mark.parametrize("key", ["", "abc", "not base64!", new_cipher_key()[:-8]])
def test_a_malformed_key_is_refused_and_not_echoed(key: str, sqlite_url: str) -> None:
    """A key that is not 16, 24 or 32 bytes of base64 is a ``StoreURLError`` hiding the key."""
    with pytest.raises(StoreURLError, match="new_cipher_key") as caught:
        parse_store_url(with_key(sqlite_url, key))
    if len(key) > 3:
        assert key not in str(caught.value)


def test_sqlite_and_memory_urls_take_only_the_cipher_key(sqlite_url: str) -> None:
    """Other query parameters are refused rather than read as part of the file name."""
    with pytest.raises(StoreURLError, match="only cipher_key"):
        parse_store_url(f"{sqlite_url}?journal=off")
    with pytest.raises(StoreURLError, match="only cipher_key"):
        parse_store_url("memory://?x=1")
    assert parse_store_url(with_key(sqlite_url, new_cipher_key())).sqlite_path == (
        parse_store_url(sqlite_url).sqlite_path
    )


def key_table(url: str) -> bytes:
    """Every value of the key table of a SQLite store."""
    path = parse_store_url(url).sqlite_path
    assert path is not None
    with sqlite3.connect(path) as connection:
        rows = connection.execute("SELECT * FROM learningorg_person_keys").fetchall()
    connection.close()
    return b"\n".join(str(value).encode() for row in rows for value in row)


def test_a_cipher_key_also_wraps_the_person_keys(sqlite_url: str) -> None:
    """With a cipher key the key table holds no data key in clear; without one it does."""
    wrapped_url = with_key(sqlite_url, new_cipher_key())
    plain_url = sqlite_url.replace("store.db", "plain.db")
    for url in (wrapped_url, plain_url):
        with LearningRecords(url) as records:
            record(records)
            data_key = records.person_keys.key_for_reading(records.person_id(ORG, "E1"))
            assert data_key is not None
        with LearningRecords(url) as again:
            assert again.person(ORG, "E1").name == "Sanne"
        stored = key_table(url)
        assert (data_key.hex().encode() in stored) is (url == plain_url)
    # The wrapped keys open with the store's cipher key only.
    path = parse_store_url(wrapped_url).sqlite_path
    assert path is not None
    with LearningRecords(wrapped_url) as records:
        person = records.person_id(ORG, "E1")
    for wrap_key, message in ((None, "open the store with its"), (b"k" * 32, "does not open")):
        database = SqliteDatabase(path)
        try:
            with pytest.raises(StoreError, match=message):
                DatabaseKeyStore(database, wrap_key=wrap_key).key_for_reading(person)
        finally:
            database.close()
