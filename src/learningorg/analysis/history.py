"""The event history as a pandas DataFrame and as Parquet (analysis layer).

One row per event, in the store's total order, with typed columns. Person, team and
organisation streams appear only under a **pseudonym**: a keyed hash of the stream id, so no
employee number, team code of a person, name or email ever reaches an export.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal
from uuid import UUID

from learningorg.analysis._deps import require
from learningorg.domain import events as ev
from learningorg.domain.errors import InvalidValueError

if TYPE_CHECKING:
    from learningorg.records import LearningRecords

#: The columns of ``history_frame``, in order, with their pandas dtypes.
HISTORY_COLUMNS: dict[str, str] = {
    "position": "int64",
    "topic": "string",
    "type": "string",
    "organisation": "string",
    "stream_kind": "string",
    "stream": "string",
    "occurred_at": "datetime64[us, UTC]",
    "recorded_at": "datetime64[us, UTC]",
    "recorded_by": "string",
    "delay_days": "float64",
    "participants": "Int64",
    "minutes": "Int64",
    "hours": "Float64",
    "points": "Float64",
    "retracted": "bool",
}

#: How streams are named in exports: a keyed hash of the stream id, or an ordinal by registration.
Pseudonyms = Literal["keyed", "ordinal"]

_TEAM_ONLY = (
    ev.TeamRegistered,
    ev.TeamRenamed,
    ev.TeamDissolved,
    ev.MemberJoined,
    ev.MemberLeft,
    ev.IntervisionHeld,
    ev.CaseConsultationHeld,
    ev.ExperimentStarted,
    ev.ExperimentEvaluated,
    ev.LessonCaptured,
)


def pseudonym(key: bytes, stream_id: UUID) -> str:
    """The pseudonym of a stream: 16 hex digits of HMAC-SHA256(key, stream id).

    The same key and stream always give the same pseudonym; without the key nobody can tell
    which stream (and so which person) it stands for.
    """
    digest = hmac.new(key, b"pseudonym:" + stream_id.bytes, hashlib.sha256).hexdigest()
    return digest[:16]


def _stream_kinds(
    records: LearningRecords, organisation: str | None
) -> tuple[dict[UUID, str], dict[UUID, str]]:
    """Stream id -> kind, and stream id -> ordinal pseudonym (``person-0001``, in order of
    registration), from the registration events (one topic-filtered pass)."""
    kinds: dict[UUID, str] = {}
    ordinals: dict[UUID, str] = {}
    numbers: dict[str, int] = {}
    registrations = {
        ev.OrganisationRegistered.TOPIC: "organisation",
        ev.TeamRegistered.TOPIC: "team",
        ev.PersonRegistered.TOPIC: "person",
    }
    for entry in records.events(organisation=organisation, topics=list(registrations)):
        kind = registrations[type(entry.event).TOPIC]
        if entry.event.originator_id not in kinds:
            kinds[entry.event.originator_id] = kind
            numbers[kind] = numbers.get(kind, 0) + 1
            ordinals[entry.event.originator_id] = f"{kind}-{numbers[kind]:04d}"
    return kinds, ordinals


def ordinal_pseudonyms(
    records: LearningRecords, organisation: str | None = None
) -> dict[UUID, str]:
    """Stream id -> ordinal pseudonym (``person-0001``, ``team-0002``...) by registration order.

    The same names as ``history_frame(..., pseudonyms="ordinal")`` with the same
    ``organisation``: equal histories give equal names in any store.
    """
    return _stream_kinds(records, organisation)[1]


def _retracted(records: LearningRecords, organisation: str | None, until: int | None) -> set[UUID]:
    topics = [ev.EventRetracted.TOPIC]
    found: set[UUID] = set()
    for entry in records.events(until=until, organisation=organisation, topics=topics):
        event = entry.event
        if isinstance(event, ev.EventRetracted):
            found.add(event.retracted_event_id)
    return found


def _kind(event: ev.LearningEvent, kinds: dict[UUID, str]) -> str:
    known = kinds.get(event.originator_id)
    if known is not None:
        return known
    if isinstance(event, _TEAM_ONLY):
        return "team"
    streams = type(event).STREAMS
    return next(iter(streams)) if len(streams) == 1 else "unknown"


def _numbers(event: ev.LearningEvent) -> tuple[int | None, int | None, float | None, float | None]:
    """(participants, minutes, hours, points) where the event has them."""
    participants = getattr(event, "participants", None)
    n = len(participants) if isinstance(participants, tuple) and participants else None
    minutes = getattr(event, "minutes", None)
    hours = getattr(event, "hours", None)
    points = getattr(event, "points", None)
    return (
        n,
        int(minutes) if isinstance(minutes, int) else None,
        float(hours) if isinstance(hours, int | float) else None,
        float(points) if isinstance(points, int | float) else None,
    )


def history_rows(
    records: LearningRecords,
    *,
    organisation: str | None = None,
    since: int | None = None,
    until: int | None = None,
    topics: Iterable[str] = (),
    pseudonyms: Pseudonyms = "keyed",
    pseudonym_key: bytes | None = None,
    progress: Callable[[int], None] | None = None,
) -> list[dict[str, Any]]:
    """The history as plain dicts (the rows of ``history_frame``), needing no pandas."""
    if pseudonyms not in ("keyed", "ordinal"):
        msg = f"pseudonyms {pseudonyms!r} is unknown; use 'keyed' or 'ordinal'"
        raise InvalidValueError(msg)
    key = records.secret if pseudonym_key is None else pseudonym_key
    kinds, ordinals = _stream_kinds(records, organisation)
    retracted = _retracted(records, organisation, until)
    rows: list[dict[str, Any]] = []
    for entry in records.events(since, until, organisation=organisation, topics=list(topics)):
        event = entry.event
        participants, minutes, hours, points = _numbers(event)
        delay = (event.recorded_at - event.occurred_at).total_seconds() / 86400
        rows.append(
            {
                "position": entry.position,
                "topic": type(event).TOPIC,
                "type": type(event).__name__,
                "organisation": event.organisation,
                "stream_kind": _kind(event, kinds),
                "stream": (
                    ordinals.get(event.originator_id) or pseudonym(key, event.originator_id)
                    if pseudonyms == "ordinal"
                    else pseudonym(key, event.originator_id)
                ),
                "occurred_at": event.occurred_at,
                "recorded_at": event.recorded_at,
                "recorded_by": event.recorded_by,
                "delay_days": round(delay, 6),
                "participants": participants,
                "minutes": minutes,
                "hours": hours,
                "points": points,
                "retracted": event.event_id in retracted,
            }
        )
        if progress is not None:
            progress(1)
    return rows


def history_frame(
    records: LearningRecords,
    *,
    organisation: str | None = None,
    since: int | None = None,
    until: int | None = None,
    topics: Iterable[str] = (),
    pseudonyms: Pseudonyms = "keyed",
    pseudonym_key: bytes | None = None,
    progress: Callable[[int], None] | None = None,
) -> Any:
    """The ordered history as a ``pandas.DataFrame``, one row per event.

    Columns (see ``HISTORY_COLUMNS`` for the dtypes): ``position``, ``topic``, ``type``,
    ``organisation``, ``stream_kind`` (organisation, team or person), ``stream`` (a pseudonym:
    keyed hash of the stream id, never a name or key), ``occurred_at`` and ``recorded_at`` (UTC),
    ``recorded_by``, ``delay_days`` (how late the record arrived), ``participants``,
    ``minutes``, ``hours``, ``points`` (nullable, where the event has them) and ``retracted``
    (a later retraction up to ``until`` withdrew the event).

    ``pseudonyms="keyed"`` (the default) names each stream by 16 hex digits of a keyed hash of
    its id, with ``pseudonym_key`` (default: the store's secret): stable across exports of one
    store. ``pseudonyms="ordinal"`` numbers the streams in order of registration
    (``person-0001``, ``team-0003``): readable, and equal for equal histories even in different
    stores (the demo uses it, so its exports are byte-identical per seed).

    Raises ``MissingDependencyError`` when pandas is not installed.

    >>> from learningorg import LearningRecords
    >>> from datetime import datetime, timezone
    >>> moment = datetime(2024, 1, 1, tzinfo=timezone.utc)
    >>> with LearningRecords("memory://") as records:
    ...     _ = records.register_organisation("o", "O", occurred_at=moment)
    ...     frame = history_frame(records)
    >>> list(frame["type"])
    ['OrganisationRegistered']
    """
    pd = require("pandas")
    rows = history_rows(
        records,
        organisation=organisation,
        since=since,
        until=until,
        topics=topics,
        pseudonyms=pseudonyms,
        pseudonym_key=pseudonym_key,
        progress=progress,
    )
    columns: dict[str, Any] = {}
    for name, dtype in HISTORY_COLUMNS.items():
        values = [row[name] for row in rows]
        if dtype.startswith("datetime64"):
            columns[name] = pd.to_datetime(pd.Series(values, dtype="object"), utc=True).astype(
                dtype
            )
        else:
            columns[name] = pd.Series(values, dtype=dtype)
    return pd.DataFrame(columns)


def write_parquet(frame: Any, path: str | Path) -> Path:
    """Write a history frame to Parquet, byte-identical for identical frames.

    Rows keep their order (by position), the schema is explicit, and the file carries no
    pandas metadata or index, so the same history always gives the same bytes.

    Raises ``MissingDependencyError`` when pyarrow is not installed.
    """
    pa = require("pyarrow")
    pq = require("pyarrow.parquet")
    table = pa.Table.from_pandas(frame, preserve_index=False)
    table = table.replace_schema_metadata(None)
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    pq.write_table(table, target, compression="zstd", use_dictionary=True, write_statistics=True)
    return target


def read_parquet(path: str | Path) -> Any:
    """Read a Parquet history export back as a ``pandas.DataFrame``."""
    pq = require("pyarrow.parquet")
    frame = pq.read_table(Path(path)).to_pandas()
    known = {name: dtype for name, dtype in HISTORY_COLUMNS.items() if name in frame.columns}
    return frame.astype(known)
