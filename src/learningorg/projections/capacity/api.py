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
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Literal
from uuid import UUID

from learningorg._collector import collector_paused
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
    FACT_FIELDS,
    Fact,
    FactRecord,
    fact_from_record,
    facts_from_entries,
    is_person_fact,
    kind_of,
    live_facts,
    record_value,
)
from learningorg.projections.capacity.flow import flow_scores_for_history, flow_scores_for_records
from learningorg.projections.capacity.index import LearningIndex
from learningorg.projections.capacity.model import CapacityModel, Level
from learningorg.projections.capacity.result import CapacityResult, CapacitySeries
from learningorg.projections.capacity.scoring import (
    K_RETRACTED,
    MERGED_FORMS,
    Scored,
    Scorer,
    lookbacks,
)
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
    with collector_paused():
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
_PERSON_KINDS = frozenset(kind_of(cls) for cls in FACT_FIELDS if is_person_fact(cls.TOPIC))
_REFLECTION = kind_of(ev.ReflectionLogged)
#: Two days: more than any UTC offset, so a date in an ISO time is decided by its first 10 chars.
_MARGIN = 2 * 86_400.0


def _day(moment: float) -> str:
    """The UTC date of ``moment`` as ISO text (clamped to the years datetime can hold)."""
    if moment <= -62_135_596_800.0 + _MARGIN:  # before 0001-01-03
        return "0000"
    if moment >= 253_402_300_799.0 - _MARGIN:  # after 9999-12-29
        return "9999-99"
    return datetime.fromtimestamp(moment, UTC).date().isoformat()


class _Cut:
    """Which stored records can change a score at moments in ``[first, last]`` (see
    ``scoring.lookbacks``): decided on the record as stored, before it is parsed.

    A record of a kind with a lookback ``L`` is kept when it occurred in ``[first - L, last]``;
    whole-history kinds always. Of the records dropped as too old outside person streams, one
    known record per stream is set aside (``old``): a team starts at its first fact
    (``TeamRecord.first_at``), so one fact older than every cut gives every moment the same
    answer as all of them.
    """

    def __init__(self, model: CapacityModel, first: float, last: float, known_at: KnownAt) -> None:
        self.last = last
        self.bounds = {kind: first - back for kind, back in lookbacks(model).items()}
        #: Per kind: dates surely before its bound, and surely after it.
        self.old_day = {kind: _day(bound - _MARGIN) for kind, bound in self.bounds.items()}
        self.new_day = {kind: _day(bound + _MARGIN) for kind, bound in self.bounds.items()}
        self.late_day = _day(last + _MARGIN)
        self.early_day = _day(last - _MARGIN)
        self.known_by = known_at.timestamp() if isinstance(known_at, datetime) else None
        self.old: dict[str, FactRecord] = {}

    def age(self, record: FactRecord) -> int:
        """-1: occurred before its kind's cut; 0: inside it (or a whole-history kind); 1: after
        ``last``."""
        kind = record[1]
        bound = self.bounds.get(kind)
        if bound is None:
            return 0
        occurred: str = record[2][1]
        day = occurred[:10]
        if day > self.late_day:
            return 1
        if day < self.old_day[kind]:
            return -1
        if self.new_day[kind] < day < self.early_day:
            return 0
        at = datetime.fromisoformat(occurred).timestamp()
        if at > self.last:
            return 1
        return -1 if at < bound else 0

    def known(self, record: FactRecord) -> bool:
        """Whether the record was recorded by ``known_at`` (a position is checked by the view)."""
        return (
            self.known_by is None
            or datetime.fromisoformat(record[2][2]).timestamp() <= self.known_by
        )

    def keeps(self, stream: str, record: FactRecord) -> bool:
        """Whether the record can change a score (the ``keep`` of ``CapacityFactsView.facts``)."""
        age = self.age(record)
        if (
            age < 0
            and stream not in self.old
            and record[1] not in _PERSON_KINDS
            and self.known(record)
        ):
            self.old[stream] = record
        return age == 0

    def complete(
        self,
        view: views.CapacityFactsView,
        organisation: str,
        known_at: KnownAt,
        facts: list[Fact],
        takes_part: Callable[[str, FactRecord], bool] | None = None,
    ) -> list[Fact]:
        """The kept facts, plus what reaches past the cut (see ``scoring.lookbacks``): one live
        old fact per stream outside person streams, and the sessions that reflections refer to.
        """
        retracted = {str(f.data["retracted_event_id"]) for f in facts if f.kind == K_RETRACTED}
        ids = {f.event_id for f in facts}
        extra: dict[int, Fact] = {}
        redo: set[str] = set()
        for stream, record in self.old.items():
            if record[2][0] in retracted:
                redo.add(stream)
            else:
                fact = fact_from_record(organisation, stream, record)
                extra[fact.position] = fact
        wanted = {
            str(ref)
            for f in facts
            if f.kind == _REFLECTION and f.data.get("form") in MERGED_FORMS
            for ref in f.data.get("refs", ())
        } - ids
        if redo or wanted:

            def needed(stream: str, record: FactRecord) -> bool:
                if stream in redo and record[2][0] not in retracted and self.age(record) < 0:
                    return True
                return (
                    record[1] in _SESSION_KINDS
                    and record[2][0] in wanted
                    and (takes_part is None or takes_part(stream, record))
                )

            found = view.facts(
                organisation, known_at=known_at, persons=(), keep=needed, catch_up=False
            )
            for fact in found:
                if fact.stream in redo:
                    redo.discard(fact.stream)
                    extra[fact.position] = fact
                if fact.event_id in wanted:
                    extra[fact.position] = fact
        if not extra:
            return facts
        return sorted([*facts, *extra.values()], key=_fact_position)


def _load(
    view: views.CapacityFactsView,
    organisation: str,
    level: Level,
    entity: str | None,
    known_at: KnownAt,
    low: float,
    high: float,
    cut: _Cut | None,
) -> list[Fact]:
    """The live facts a level needs from the view, filtered before they are parsed.

    A person: their own stream, and outside person streams everything but the sessions they
    did not take part in. A team: everything outside person streams, the own streams of the
    persons who were members in ``[low, high]``, and the rest of the persons' registrations,
    shares, advice and activities (its knowledge flow); retractions are stored outside person
    streams (their kind belongs to any stream), so every level reads them all. The organisation:
    everything. With a ``cut``, only the records that can change a score at moments in
    ``[low + window, high]`` (see ``_Cut``); without, every one of them.
    """

    def within(stream: str, record: FactRecord) -> bool:
        return cut is None or cut.keeps(stream, record)

    if level == "organisation":
        found = view.facts(
            organisation, known_at=known_at, keep=None if cut is None else cut.keeps, catch_up=False
        )
        if cut is not None:
            found = cut.complete(view, organisation, known_at, found)
        return live_facts(found)
    assert entity is not None
    if level == "person":
        person = entity

        def takes_part(stream: str, record: FactRecord) -> bool:
            return record[1] not in _SESSION_KINDS or person in record_value(record, "participants")

        def wanted(stream: str, record: FactRecord) -> bool:
            return takes_part(stream, record) and within(stream, record)

        found = view.facts(
            organisation, known_at=known_at, persons=[person], keep=wanted, catch_up=False
        )
        if cut is not None:
            found = cut.complete(view, organisation, known_at, found, takes_part)
        return live_facts(found)
    shared = view.facts(
        organisation,
        known_at=known_at,
        persons=(),
        keep=None if cut is None else cut.keeps,
        catch_up=False,
    )
    members = LearningIndex.build(organisation, live_facts(shared)).ever_members(entity, low, high)

    def needed(stream: str, record: FactRecord) -> bool:
        return (stream in members or record[1] in _FLOW_KINDS) and within(stream, record)

    personal = view.facts(
        organisation, known_at=known_at, shared=False, keep=needed, catch_up=False
    )
    found = sorted([*shared, *personal], key=_fact_position)
    if cut is not None:
        found = cut.complete(view, organisation, known_at, found)
    return live_facts(found)


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
    cut: bool = True,
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

    Only the facts that can change the result at ``as_of`` are read (``scoring.lookbacks``), so
    the cost follows the window, not the whole history; ``cut=False`` reads every fact of the
    level instead (the same result, slower: for comparison).
    """
    as_of_checked = check_moment(as_of, "as_of")
    level, key, entity, known_at, model, view = _prepare(
        records, organisation, level, key, known_at, model
    )
    moment = as_of_checked if as_of_checked is not None else records.now()
    t = moment.timestamp()
    with collector_paused():
        window = model.window_days * 86_400.0
        chosen = _Cut(model, t, t, known_at) if cut else None
        facts = _load(view, organisation, level, entity, known_at, t - window, t, chosen)
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
    cut: bool = True,
) -> CapacitySeries:
    """Capacity results at regular moments from ``start`` to ``end`` (inclusive), for plotting.

    The facts are read and folded once; every moment is then scored from the same index, so
    the cost is one pass over the history plus the scoring, not one replay per moment. Only
    the facts that can change a score at some moment of ``[start, end]`` are read;
    ``cut=False`` reads every fact of the level (the same results, slower: for comparison).
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
    with collector_paused():
        window = model.window_days * 86_400.0
        low, high = first.timestamp() - window, last.timestamp()
        # One cut for all moments: what any moment of [start, end] can read.
        chosen = _Cut(model, first.timestamp(), high, known_at) if cut else None
        facts = _load(view, organisation, level, entity, known_at, low, high, chosen)
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
