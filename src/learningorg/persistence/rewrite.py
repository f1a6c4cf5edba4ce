"""Overwrite personal fields stored in clear by old releases, in place (persistence layer).

Stores written before per-person keys existed hold personal fields in clear in their events;
destroying a key cannot make those unreadable. Erasing such a person overwrites those fields in
the stored rows with their erased values: the event keeps its topic, version, stream position
and every other field, and reads exactly as it would after a crypto-shredding erasure. This is
the only place that changes a stored event, and only erasure calls it (docs/privacy.md).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any
from uuid import UUID

import orjson
from eventsourcing.persistence import StoredEvent

from learningorg.persistence.crypto import SEALED_FIELDS, erased_value
from learningorg.persistence.mapper import PydanticMapper


def clear_personal_fields(mapper: PydanticMapper, stored: StoredEvent) -> bytes | None:
    """The stored state of ``stored`` with its clear personal fields erased, or None if none."""
    names = SEALED_FIELDS.get(stored.topic)
    if not names:
        return None
    data = stored.state
    if mapper.cipher:
        data = mapper.cipher.decrypt(data)
    if mapper.compressor:
        data = mapper.compressor.decompress(data)
    state: dict[str, Any] = orjson.loads(data)
    found = [n for n in names if state.get(n) not in (None, "", erased_value(stored.topic, n))]
    if not found:
        return None
    for name in found:
        state[name] = erased_value(stored.topic, name)
    data = orjson.dumps(state)
    if mapper.compressor:
        data = mapper.compressor.compress(data)
    if mapper.cipher:
        data = mapper.cipher.encrypt(data)
    return data


def rewrite_states(recorder: Any, updates: Sequence[tuple[UUID, int, bytes]]) -> int:
    """Replace the stored state of the events ``(stream id, version, state)``; returns how many.

    SQLite overwrites the old content (secure delete on the writing connection); PostgreSQL leaves
    old row versions until a vacuum. A store in memory is rewritten in its lists.
    """
    if not updates:
        return 0
    from eventsourcing.popo import POPOAggregateRecorder
    from eventsourcing.sqlite import SQLiteAggregateRecorder

    if isinstance(recorder, SQLiteAggregateRecorder):
        sql = (
            f"UPDATE {recorder.events_table_name} SET state = ? "
            "WHERE originator_id = ? AND originator_version = ?"
        )
        with recorder.datastore.transaction(commit=True) as cursor:
            cursor.execute("PRAGMA secure_delete = ON")
            for stream_id, version, state in updates:
                cursor.execute(sql, (state, stream_id.hex, version))
        return len(updates)
    if isinstance(recorder, POPOAggregateRecorder):
        with recorder._database_lock:
            events = recorder._stored_events
            index = recorder._stored_events_index
            for stream_id, version, state in updates:
                i = index[str(stream_id)][version]
                old = events[i]
                events[i] = StoredEvent(old.originator_id, old.originator_version, old.topic, state)
        return len(updates)
    from psycopg.sql import SQL, Identifier

    statement = SQL(
        "UPDATE {schema}.{table} SET state = %s WHERE originator_id = %s "
        "AND originator_version = %s"
    ).format(
        schema=Identifier(recorder.datastore.schema),
        table=Identifier(recorder.events_table_name),
    )
    with recorder.datastore.transaction(commit=True) as cursor:
        for stream_id, version, state in updates:
            cursor.execute(statement, (state, stream_id, version))
    return len(updates)


__all__ = ["clear_personal_fields", "rewrite_states"]
