"""The capacity projection's entry points: live, from the catch-up view, and as a series.

- ``capacity_profile(history, level, entity_id, as_of, model)``: live and pure, from a ``History``;
- ``capacity(records, organisation, level, key, *, as_of, known_at, model)``: from the catch-up
  view of learning facts (it catches up first, so it sees the latest save);
- ``capacity_series(records, organisation, level, key, *, start, end, every, ...)``: one fold of
  the history, then every moment scored from the same index (not one replay per moment).

Projections layer: receives a ``Records``; never imports the public facade, interop or the CLI.
"""

from __future__ import annotations

import calendar
from datetime import datetime, timedelta
from typing import Literal
from uuid import UUID

from learningorg.application import Records
from learningorg.domain import events as ev
from learningorg.domain.errors import (
    EmptyKeyError,
    InvalidValueError,
    UnknownPersonError,
    UnknownTeamError,
)

# The views module imports this package's facts: import it as a module to allow either order.
from learningorg.projections import views
from learningorg.projections.capacity.facts import (
    Fact,
    FactRecord,
    facts_from_entries,
    kind_of,
    live_facts,
    paused_gc,
    record_value,
)
from learningorg.projections.capacity.flow import flow_scores_for_history, flow_scores_for_records
from learningorg.projections.capacity.index import LearningIndex
from learningorg.projections.capacity.model import CapacityModel, Level
from learningorg.projections.capacity.result import CapacityResult, CapacitySeries
from learningorg.projections.capacity.scoring import Scored, Scorer
from learningorg.projections.history import History, KnownAt, check_known_at, check_moment

LEVELS: tuple[Level, ...] = ("person", "team", "organisation")
Every = Literal["day", "week", "month", "quarter", "year"]
_STEPS_IN_MONTHS = {"month": 1, "quarter": 3, "year": 12}
_STEPS_IN_DAYS = {"day": 1, "week": 7}


def check_level(level: object) -> Level:
    """Validate a level name: "person", "team" or "organisation"."""
    if level not in LEVELS:
        msg = f"level {level!r} is unknown; use 'person', 'team' or 'organisation'"
        raise InvalidValueError(msg)
    return level


def check_key(level: Level, key: object) -> str | None:
    """Validate the external key that goes with ``level``."""
    if level == "organisation":
        if key is not None:
            msg = (
                f"the organisation level takes no key, got {key!r}; "
                "leave key out (the organisation is the first argument)"
            )
            raise InvalidValueError(msg)
        return None
    if not isinstance(key, str) or not key.strip():
        msg = f"{level} key {key!r} is missing or empty; give the {level}'s external key"
        raise EmptyKeyError(msg)
    return key.strip()


def _model(model: CapacityModel | None) -> CapacityModel:
    if model is None:
        return CapacityModel()
    if not isinstance(model, CapacityModel):
        msg = f"model {model!r} is not a CapacityModel; pass CapacityModel(...) or None"
        raise InvalidValueError(msg)
    return model


def _result(
    scorer: Scorer,
    scored: Scored,
    *,
    organisation: str,
    level: Level,
    key: str | None,
    entity_id: str | None,
    as_of: datetime,
    known_at: KnownAt,
    position: int,
) -> CapacityResult:
    model = scorer.model
    return CapacityResult(
        organisation=organisation,
        level=level,
        key=key,
        entity_id=None if entity_id is None else UUID(entity_id),
        as_of=as_of,
        known_at=known_at,
        position=position,
        model_version=model.model_version,
        score=scored.score,
        profile=scorer.profile(scored.subscores),
        subscores=scored.subscores,
        coverage=scored.coverage,
        insufficient_data=scored.score is None or scored.coverage < model.min_coverage,
    )


def capacity_profile(
    history: History,
    level: Level,
    entity_id: UUID | None,
    as_of: datetime,
    model: CapacityModel | None = None,
    *,
    key: str | None = None,
) -> CapacityResult:
    """The capacity of one person, team or the organisation at ``as_of``: live and pure.

    ``history`` is one organisation's history as ``load_history`` or ``build_history`` gives it
    (``known_at`` and retractions already applied); ``entity_id`` the person's or team's stream
    id (None for the organisation). Only events that occurred at or before ``as_of`` count.

    >>> from datetime import datetime, timezone
    >>> from learningorg.projections.history import build_history
    >>> empty = build_history("org", [])
    >>> as_of = datetime(2026, 1, 1, tzinfo=timezone.utc)
    >>> result = capacity_profile(empty, "organisation", None, as_of)
    >>> result.score is None, result.insufficient_data
    (True, True)
    """
    level = check_level(level)
    checked = check_moment(as_of, "as_of")
    if checked is None:
        msg = "as_of is required for capacity_profile; pass a timezone-aware datetime"
        raise InvalidValueError(msg)
    if level != "organisation" and entity_id is None:
        msg = f"a {level} profile needs the {level}'s stream id as entity_id"
        raise InvalidValueError(msg)
    model = _model(model)
    entity = None if level == "organisation" or entity_id is None else str(entity_id)
    with paused_gc():
        facts = live_facts(facts_from_entries(history.entries))
        index = LearningIndex.build(history.organisation, facts)
        scorer = Scorer(index, model, flow_scores_for_history(history))
        scored = scorer.score(level, entity, checked.timestamp())
    return _result(
        scorer,
        scored,
        organisation=history.organisation,
        level=level,
        key=key,
        entity_id=entity,
        as_of=checked,
        known_at=None,
        position=history.last_position,
    )


def _resolve(
    records: Records,
    view: views.CapacityFactsView,
    organisation: str,
    level: Level,
    key: str | None,
) -> str | None:
    """The stream id of the person or team, checked to be registered (None: organisation)."""
    if level == "person":
        assert key is not None
        person = str(records.person_id(organisation, key))
        if not view.has_stream(organisation, person):
            msg = (
                f"person {key!r} is not registered in organisation {organisation!r}; "
                "check the key or register them with register_person()"
            )
            raise UnknownPersonError(msg)
        return person
    if level == "team":
        assert key is not None
        team = str(records.team_id(organisation, key))
        if not view.has_stream(organisation, team):
            msg = (
                f"team {key!r} is not registered in organisation {organisation!r}; "
                "check the key or register it with register_team()"
            )
            raise UnknownTeamError(msg)
        return team
    return None


#: Kinds of other persons' own streams that a team's query reads: its knowledge-flow graph
#: needs everyone (as nodes) and everyone's shares, advice and applied practices (as edges).
_FLOW_KINDS = frozenset(
    kind_of(cls)
    for cls in (
        ev.PersonRegistered,
        ev.KnowledgeShared,
        ev.AdviceSought,
        ev.LearningActivityCompleted,
    )
)
_SESSION_KINDS = frozenset({kind_of(ev.IntervisionHeld), kind_of(ev.CaseConsultationHeld)})


def _load(
    view: views.CapacityFactsView,
    organisation: str,
    level: Level,
    entity: str | None,
    known_at: KnownAt,
    low: float,
    high: float,
) -> list[Fact]:
    """The live facts a level needs from the view, filtered before they are parsed.

    A person: their own stream, and outside person streams everything but the sessions they
    did not take part in. A team: everything outside person streams, the own streams of the
    persons who were members in ``[low, high]``, and the rest of the persons' registrations,
    shares, advice and activities (its knowledge flow). The organisation: everything.
    """
    if level == "organisation":
        return live_facts(view.facts(organisation, known_at=known_at, catch_up=False))
    assert entity is not None
    if level == "person":
        person = entity

        def takes_part(stream: str, record: FactRecord) -> bool:
            return record[1] not in _SESSION_KINDS or person in record_value(record, "participants")

        return live_facts(
            view.facts(
                organisation, known_at=known_at, persons=[person], keep=takes_part, catch_up=False
            )
        )
    shared = view.facts(organisation, known_at=known_at, persons=(), catch_up=False)
    members = LearningIndex.build(organisation, live_facts(shared)).ever_members(entity, low, high)

    def needed(stream: str, record: FactRecord) -> bool:
        return stream in members or record[1] in _FLOW_KINDS

    personal = view.facts(
        organisation, known_at=known_at, shared=False, keep=needed, catch_up=False
    )
    return live_facts(sorted([*shared, *personal], key=_fact_position))


def _fact_position(fact: Fact) -> int:
    return fact.position


def _prepare(
    records: Records,
    organisation: str,
    level: object,
    key: object,
    known_at: KnownAt,
    model: CapacityModel | None,
) -> tuple[Level, str | None, str | None, KnownAt, CapacityModel, views.CapacityFactsView]:
    checked_level = check_level(level)
    checked_key = check_key(checked_level, key)
    checked_known_at = check_known_at(known_at)
    checked_model = _model(model)
    records.organisation(organisation)  # UnknownOrganisationError for a wrong key
    view = views.capacity_view(records)
    view.catch_up()
    entity = _resolve(records, view, organisation, checked_level, checked_key)
    return checked_level, checked_key, entity, checked_known_at, checked_model, view


def _position(view: views.CapacityFactsView, known_at: KnownAt) -> int:
    return min(view.position, known_at) if isinstance(known_at, int) else view.position


def capacity(
    records: Records,
    organisation: str,
    level: Level,
    key: str | None = None,
    *,
    as_of: datetime | None = None,
    known_at: datetime | int | None = None,
    model: CapacityModel | None = None,
) -> CapacityResult:
    """The learning capacity of a person, team or organisation: score, NJi profile, sub-scores.

    ``level`` is "person", "team" or "organisation"; ``key`` the person's or team's external key
    (none for the organisation). ``as_of`` (business time, default now): only events that
    occurred at or before it count. ``known_at`` (a position or an aware recording time): only
    what had been recorded by then, so "what did we know on 1 March about 1 January?" is one
    call. ``model`` changes weights, targets and windows (default: DESIGN.md's).

    Reads the catch-up view of learning facts, which catches up first: a query right after a
    save sees that save. Raises ``InvalidValueError`` (bad level, a key at organisation level),
    ``EmptyKeyError`` (missing key), ``NaiveDatetimeError``, ``UnknownOrganisationError``,
    ``UnknownPersonError`` or ``UnknownTeamError``.
    """
    as_of_checked = check_moment(as_of, "as_of")
    level, key, entity, known_at, model, view = _prepare(
        records, organisation, level, key, known_at, model
    )
    moment = as_of_checked if as_of_checked is not None else records.now()
    t = moment.timestamp()
    with paused_gc():
        window = model.window_days * 86_400.0
        facts = _load(view, organisation, level, entity, known_at, t - window, t)
        index = LearningIndex.build(organisation, facts)
        scorer = Scorer(index, model, flow_scores_for_records(records, organisation, known_at))
        scored = scorer.score(level, entity, t)
    return _result(
        scorer,
        scored,
        organisation=organisation,
        level=level,
        key=key,
        entity_id=entity,
        as_of=moment,
        known_at=known_at,
        position=_position(view, known_at),
    )


def series_moments(start: datetime, end: datetime, every: Every | timedelta) -> list[datetime]:
    """The moments ``start, start + every, ...`` up to and including ``end``.

    Months, quarters and years keep the day of the month of ``start`` where the month has it
    (31 January, 28 February, 31 March, ...).
    """
    if end < start:
        msg = f"end {end.isoformat()} is before start {start.isoformat()}"
        raise InvalidValueError(msg)
    moments: list[datetime] = []
    if isinstance(every, timedelta):
        if every <= timedelta(0):
            msg = f"every {every!r} must be a positive duration"
            raise InvalidValueError(msg)
        step = every
    elif every in _STEPS_IN_DAYS:
        step = timedelta(days=_STEPS_IN_DAYS[every])
    elif every in _STEPS_IN_MONTHS:
        months = _STEPS_IN_MONTHS[every]
        k = 0
        while True:
            total = start.month - 1 + k * months
            year, month = start.year + total // 12, total % 12 + 1
            day = min(start.day, calendar.monthrange(year, month)[1])
            moment = start.replace(year=year, month=month, day=day)
            if moment > end:
                return moments
            moments.append(moment)
            k += 1
    else:
        msg = (
            f"every {every!r} is unknown; use 'day', 'week', 'month', 'quarter', 'year' "
            "or a timedelta"
        )
        raise InvalidValueError(msg)
    moment = start
    while moment <= end:
        moments.append(moment)
        moment = start + step * len(moments)
    return moments


def capacity_series(
    records: Records,
    organisation: str,
    level: Level,
    key: str | None = None,
    *,
    start: datetime,
    end: datetime,
    every: Every | timedelta = "month",
    known_at: datetime | int | None = None,
    model: CapacityModel | None = None,
) -> CapacitySeries:
    """Capacity results at regular moments from ``start`` to ``end`` (inclusive), for plotting.

    The facts are read and folded once; every moment is then scored from the same index, so
    the cost is one pass over the history plus the scoring, not one replay per moment.
    """
    first = check_moment(start, "start")
    last = check_moment(end, "end")
    if first is None or last is None:
        msg = "start and end are required; pass timezone-aware datetimes"
        raise InvalidValueError(msg)
    moments = series_moments(first, last, every)
    level, key, entity, known_at, model, view = _prepare(
        records, organisation, level, key, known_at, model
    )
    with paused_gc():
        window = model.window_days * 86_400.0
        low, high = first.timestamp() - window, last.timestamp()
        facts = _load(view, organisation, level, entity, known_at, low, high)
        index = LearningIndex.build(organisation, facts)
        scorer = Scorer(index, model, flow_scores_for_records(records, organisation, known_at))
        scored = [scorer.score(level, entity, moment.timestamp()) for moment in moments]
    position = _position(view, known_at)
    points = tuple(
        _result(
            scorer,
            result,
            organisation=organisation,
            level=level,
            key=key,
            entity_id=entity,
            as_of=moment,
            known_at=known_at,
            position=position,
        )
        for moment, result in zip(moments, scored, strict=True)
    )
    return CapacitySeries(
        organisation=organisation,
        level=level,
        key=key,
        every=every if isinstance(every, str) else str(every),
        model_version=model.model_version,
        points=points,
    )


__all__ = [
    "LEVELS",
    "capacity",
    "capacity_profile",
    "capacity_series",
    "check_key",
    "check_level",
    "series_moments",
]
