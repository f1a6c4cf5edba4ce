"""The pure core of the compliance projection: a ``History`` in, results out (projections layer).

``compliance_of(history, person_id, as_of, profile)`` gives one professional's compliance;
``compliance_report(history, level, entity_id, as_of, profile)`` the person, team or organisation
roll-up. Both read only events that occurred at or before ``as_of`` (retractions and ``known_at``
are already applied by ``build_history`` / ``load_history``), so time travel is recomputation
from the filtered history.

Counting rules (docs/compliance.md and docs/decisions/0401-compliance.md):

- an activity counts for a registration period when it occurred in ``[period_start,
  period_end)``, midnight in the profile's time zone; work-hour attestations count the share of
  their attested days inside the period;
- taking part in an ``IntervisionHeld`` or ``CaseConsultationHeld`` credits every participant with
  the session's minutes (forms "intervision" and "case-consultation"); an own ``ReflectionLogged``
  of form "intervision" or "case-consultation" whose ``refs`` name such a session the person took
  part in is the same hour: it adds its dimensions to the session and is not counted again;
- status: ``met`` when every requirement is achieved; ``short`` when the period has ended
  otherwise; ``on_track`` when every requirement is at or above its pro-rata expectation;
  ``at_risk`` otherwise.
"""

from __future__ import annotations

import calendar
import math
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from uuid import UUID

from learningorg.domain import events as ev
from learningorg.domain.errors import (
    EmptyKeyError,
    InvalidValueError,
    UnknownPersonError,
    UnknownTeamError,
)
from learningorg.projections.compliance.profile import (
    SKJ_PROFILE,
    ComplianceProfile,
    PointsRequirement,
    ReflectionHoursRequirement,
    Requirement,
    WorkHoursRequirement,
)
from learningorg.projections.compliance.result import (
    STATUSES,
    ComplianceResult,
    ComplianceStatus,
    ComplianceSummary,
    Level,
    ModeProgress,
    PeriodCompliance,
    PersonCompliance,
    PersonRef,
    RequirementProgress,
    TeamCompliance,
)
from learningorg.projections.history import History, KnownAt, check_moment

LEVELS: tuple[Level, ...] = ("person", "team", "organisation")

#: Own reflections of these forms that refer to a session the person took part in are that
#: session, not a second hour.
MERGED_FORMS: frozenset[str] = frozenset({"intervision", "case-consultation"})

#: Tolerance of the comparisons of sums of hours and points (floating point).
EPS = 1e-9

Session = ev.IntervisionHeld | ev.CaseConsultationHeld


# ---------------------------------------------------------------- checks


def check_level(level: object) -> Level:
    """Validate a level name: "person", "team" or "organisation"."""
    if level not in LEVELS:
        msg = f"level {level!r} is unknown; use 'person', 'team' or 'organisation'"
        raise InvalidValueError(msg)
    return level


def check_key(level: Level, key: object) -> str | None:
    """Validate the external key that goes with ``level`` (none for the organisation)."""
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


def check_profile(profile: object) -> ComplianceProfile:
    """The profile to use: ``profile`` itself, or ``SKJ_PROFILE`` for None."""
    if profile is None:
        return SKJ_PROFILE
    if not isinstance(profile, ComplianceProfile):
        msg = (
            f"profile {profile!r} is not a ComplianceProfile; pass None (SKJ), SKJ_PROFILE or "
            "ComplianceProfile.from_file(path)"
        )
        raise InvalidValueError(msg)
    return profile


def _required_moment(value: datetime | None, name: str) -> datetime:
    checked = check_moment(value, name)
    if checked is None:
        msg = f"{name} is required here; pass a timezone-aware datetime"
        raise InvalidValueError(msg)
    return checked


# ---------------------------------------------------------------- the facts per person


@dataclass
class PersonFacts:
    """The events of one person that compliance reads, up to ``as_of``."""

    registrations: list[ev.RegistrationChanged] = field(default_factory=list)
    sessions: list[Session] = field(default_factory=list)
    reflections: list[ev.ReflectionLogged] = field(default_factory=list)
    activities: list[ev.LearningActivityCompleted] = field(default_factory=list)
    work: list[ev.WorkHoursAttested] = field(default_factory=list)


class ComplianceIndex:
    """One pass over a history: the facts compliance needs, per person, as of ``as_of``.

    Keys come from ``PersonRegistered`` whenever it occurred (a key is identity, not a fact of
    the period); an erased person has no key.
    """

    def __init__(self, history: History, as_of: datetime) -> None:
        self.history = history
        self.as_of = as_of
        self.facts: dict[UUID, PersonFacts] = defaultdict(PersonFacts)
        self.keys: dict[UUID, str | None] = {}
        erased: set[UUID] = set()
        for entry in history.entries:
            event = entry.event
            if isinstance(event, ev.PersonRegistered):
                self.keys[event.originator_id] = event.key
            elif isinstance(event, ev.PersonErased):
                erased.add(event.originator_id)
        for person in erased:
            self.keys[person] = None
        for event in history.events(as_of):
            if isinstance(event, ev.IntervisionHeld | ev.CaseConsultationHeld):
                for person in dict.fromkeys(event.participants):
                    self.facts[person].sessions.append(event)
            elif isinstance(event, ev.ReflectionLogged):
                self.facts[event.originator_id].reflections.append(event)
            elif isinstance(event, ev.LearningActivityCompleted):
                self.facts[event.originator_id].activities.append(event)
            elif isinstance(event, ev.WorkHoursAttested):
                self.facts[event.originator_id].work.append(event)
            elif isinstance(event, ev.RegistrationChanged):
                self.facts[event.originator_id].registrations.append(event)

    def team_key(self, person: UUID) -> str | None:
        """The key of the person's main team at ``as_of``, if any."""
        team = self.history.memberships.team_of(person, self.as_of)
        info = None if team is None else self.history.teams.get(team)
        return None if info is None else info.key


# ---------------------------------------------------------------- periods


@dataclass(frozen=True, slots=True)
class Period:
    """One registration period: ``[start, end)`` at midnight in the profile's time zone."""

    register_name: str
    number: str | None
    status: ev.RegistrationStatus
    start: date
    end: date
    start_at: datetime
    end_at: datetime

    def holds(self, moment: datetime) -> bool:
        """Whether ``moment`` falls inside the period."""
        return self.start_at <= moment < self.end_at

    def elapsed(self, moment: datetime) -> float:
        """The share of the period gone at ``moment`` (0-1)."""
        share = (moment - self.start_at) / (self.end_at - self.start_at)
        return min(1.0, max(0.0, share))


def _midnight(day: date, profile: ComplianceProfile) -> datetime:
    return datetime.combine(day, time(0), tzinfo=profile.zone)


def registration_periods(
    registrations: Iterable[ev.RegistrationChanged], as_of: datetime, profile: ComplianceProfile
) -> list[Period]:
    """The periods of the profile's register begun at ``as_of``, oldest first.

    Periods are keyed by their start date: a later ``RegistrationChanged`` for the same start
    (a renewal, a corrected end date, a suspension) replaces the earlier one.
    """
    latest: dict[date, ev.RegistrationChanged] = {}
    ordered = sorted(
        (r for r in registrations if profile.applies_to(r.register_name)),
        key=lambda r: r.occurred_at,
    )
    for registration in ordered:
        latest[registration.period_start] = registration
    periods = [
        Period(
            register_name=r.register_name,
            number=r.number,
            status=r.status,
            start=r.period_start,
            end=r.period_end,
            start_at=_midnight(r.period_start, profile),
            end_at=_midnight(r.period_end, profile),
        )
        for r in latest.values()
    ]
    return sorted((p for p in periods if p.start_at <= as_of), key=lambda p: p.start)


def add_months(moment: datetime, months: int) -> datetime:
    """``moment`` plus calendar months (the day clamped to the month's length)."""
    total = moment.month - 1 + months
    year, month = moment.year + total // 12, total % 12 + 1
    day = min(moment.day, calendar.monthrange(year, month)[1])
    return moment.replace(year=year, month=month, day=day)


# ---------------------------------------------------------------- words


def amount(value: float) -> str:
    """A quantity for people: rounded up to two decimals, no trailing zeros (12, 0.5, 3368)."""
    rounded = math.ceil(value * 100 - 1e-6) / 100
    if rounded == int(rounded):
        return str(int(rounded))
    return f"{rounded:.2f}".rstrip("0").rstrip(".")


def quantity(value: float, label: str) -> str:
    """``value`` with its words: "12 reflection hours", "1 formal point"."""
    text = amount(value)
    if text == "1" and label.endswith("s"):
        label = label[:-1]
    return f"{text} {label}"


def join_words(parts: Sequence[str]) -> str:
    """ "a", "a and b", "a, b and c"."""
    if len(parts) <= 1:
        return "".join(parts)
    return f"{', '.join(parts[:-1])} and {parts[-1]}"


# ---------------------------------------------------------------- requirements


@dataclass
class _Credit:
    """Reflection time credited to a person: a session taken part in, or an own reflection."""

    form: str
    minutes: int
    dimensions: set[ev.Dimension]
    ids: list[UUID]


def _expected(required: float, elapsed: float, pro_rata: bool) -> float:
    if pro_rata:
        return required * elapsed
    return required if elapsed >= 1.0 else 0.0


def _session_form(session: Session) -> str:
    return "intervision" if isinstance(session, ev.IntervisionHeld) else "case-consultation"


def reflection_credits(facts: PersonFacts, period: Period) -> list[_Credit]:
    """Every reflection credit of the person inside ``period``, merged as the rule says.

    Sessions the person took part in credit their minutes once. An own reflection of a merged
    form whose ``refs`` name one of those sessions joins it (dimensions added, minutes not),
    wherever the session lies: a session outside the period takes its reflection with it.
    """
    sessions = {s.event_id: s for s in facts.sessions}
    merged: dict[UUID, _Credit] = {
        s.event_id: _Credit(_session_form(s), s.minutes, set(s.dimensions), [s.event_id])
        for s in facts.sessions
        if period.holds(s.occurred_at)
    }
    own: list[_Credit] = []
    for reflection in facts.reflections:
        if reflection.form in MERGED_FORMS:
            target = next((ref for ref in reflection.refs if ref in sessions), None)
            if target is not None:
                credit = merged.get(target)
                if credit is not None:
                    credit.dimensions.update(reflection.dimensions)
                    credit.ids.append(reflection.event_id)
                continue
        if period.holds(reflection.occurred_at):
            own.append(
                _Credit(
                    reflection.form,
                    reflection.minutes,
                    set(reflection.dimensions),
                    [reflection.event_id],
                )
            )
    return [*merged.values(), *own]


def _reflection(
    requirement: ReflectionHoursRequirement, facts: PersonFacts, period: Period, elapsed: float
) -> RequirementProgress:
    counted = [
        c
        for c in reflection_credits(facts, period)
        if c.form in requirement.forms and c.minutes >= requirement.min_session_minutes
    ]
    if requirement.whole_hours:
        achieved = float(sum(c.minutes // 60 for c in counted))
    else:
        achieved = sum(c.minutes for c in counted) / 60
    covered = set().union(*(c.dimensions for c in counted)) if counted else set()
    missing = tuple(d for d in requirement.required_dimensions if d not in covered)
    required = requirement.minimum_hours
    still = max(0.0, required - achieved)
    needs: list[str] = []
    if still > EPS:
        needs.append(quantity(still, requirement.label))
    if missing:
        plural = "s" if len(missing) > 1 else ""
        needs.append(f"reflection covering the {join_words(missing)} dimension{plural}")
    expected = _expected(required, elapsed, requirement.pro_rata)
    return RequirementProgress(
        id=requirement.id,
        kind=requirement.kind,
        label=requirement.label,
        achieved=achieved,
        required=required,
        expected=expected,
        met=still <= EPS and not missing,
        on_pace=achieved + EPS >= expected,
        still_needed=still if still > EPS else 0.0,
        needs=tuple(needs),
        covered_dimensions=tuple(d for d in ev.DIMENSIONS if d in covered),
        missing_dimensions=missing,
        event_ids=tuple(i for c in counted for i in c.ids),
    )


def _capped(value: float, cap: float | None) -> float:
    return value if cap is None else min(value, cap)


def _points(
    requirement: PointsRequirement, facts: PersonFacts, period: Period, elapsed: float
) -> RequirementProgress:
    raw: dict[ev.LearningMode, float] = dict.fromkeys(requirement.modes, 0.0)
    ids: list[UUID] = []
    for activity in facts.activities:
        if activity.mode not in raw or not period.holds(activity.occurred_at):
            continue
        value = activity.points
        if value <= 0 and requirement.hours_when_no_points:
            value = activity.hours
        if value > 0:
            raw[activity.mode] += value
            ids.append(activity.event_id)
    rules = requirement.modes
    counted = {m: _capped(raw[m], rules[m].cap) for m in raw}
    total = sum(counted.values())
    mode_need = {m: max(0.0, rules[m].minimum - raw[m]) for m in raw}
    # What the minimums bring once met; the rest of the total must come from modes with room.
    after = {m: _capped(raw[m] + mode_need[m], rules[m].cap) for m in raw}
    rest = max(0.0, requirement.minimum_points - sum(after.values()))
    open_modes = [m for m in raw if _capped(math.inf, rules[m].cap) > after[m] + EPS]
    if rest > EPS and len(open_modes) == 1:
        mode_need[open_modes[0]] += rest
        rest = 0.0
    needs = [quantity(n, requirement.mode_label(m)) for m, n in mode_need.items() if n > EPS]
    if rest > EPS:
        needs.append(f"{quantity(rest, requirement.label)} ({' or '.join(open_modes)})")
    required = requirement.minimum_points
    expected = _expected(required, elapsed, requirement.pro_rata)
    modes = tuple(
        ModeProgress(
            mode=m,
            achieved=raw[m],
            counted=counted[m],
            minimum=rules[m].minimum,
            cap=rules[m].cap,
            expected=_expected(rules[m].minimum, elapsed, requirement.pro_rata),
            still_needed=mode_need[m] if mode_need[m] > EPS else 0.0,
        )
        for m in raw
    )
    still = sum(mode_need.values()) + rest
    met = all(n <= EPS for n in mode_need.values()) and total + EPS >= required
    on_pace = total + EPS >= expected and all(p.achieved + EPS >= p.expected for p in modes)
    return RequirementProgress(
        id=requirement.id,
        kind=requirement.kind,
        label=requirement.label,
        achieved=total,
        required=required,
        expected=expected,
        met=met,
        on_pace=on_pace,
        still_needed=still if still > EPS else 0.0,
        needs=tuple(needs),
        modes=modes,
        event_ids=tuple(ids),
    )


def attested_share(attestation: ev.WorkHoursAttested, period: Period) -> float:
    """The hours of an attestation that fall inside ``period``, pro rata by attested days."""
    first = max(attestation.period_start, period.start)
    last = min(attestation.period_end, period.end - timedelta(days=1))
    if last < first:
        return 0.0
    days = (attestation.period_end - attestation.period_start).days + 1
    inside = (last - first).days + 1
    return attestation.hours if inside == days else attestation.hours * inside / days


def _work(
    requirement: WorkHoursRequirement, facts: PersonFacts, period: Period, elapsed: float
) -> RequirementProgress:
    achieved = 0.0
    ids: list[UUID] = []
    for attestation in facts.work:
        share = attested_share(attestation, period)
        if share > 0:
            achieved += share
            ids.append(attestation.event_id)
    required = requirement.minimum_hours
    still = max(0.0, required - achieved)
    expected = _expected(required, elapsed, requirement.pro_rata)
    return RequirementProgress(
        id=requirement.id,
        kind=requirement.kind,
        label=requirement.label,
        achieved=achieved,
        required=required,
        expected=expected,
        met=still <= EPS,
        on_pace=achieved + EPS >= expected,
        still_needed=still if still > EPS else 0.0,
        needs=(quantity(still, requirement.label),) if still > EPS else (),
        event_ids=tuple(ids),
    )


def requirement_progress(
    requirement: Requirement, facts: PersonFacts, period: Period, elapsed: float
) -> RequirementProgress:
    """How far ``facts`` go toward one requirement in ``period``, ``elapsed`` of it gone."""
    if isinstance(requirement, ReflectionHoursRequirement):
        return _reflection(requirement, facts, period, elapsed)
    if isinstance(requirement, PointsRequirement):
        return _points(requirement, facts, period, elapsed)
    return _work(requirement, facts, period, elapsed)


# ---------------------------------------------------------------- periods and persons


def period_status(progress: Sequence[RequirementProgress], ended: bool) -> ComplianceStatus:
    """``met``, else ``short`` once ended, else ``on_track`` when every requirement is on pace,
    else ``at_risk``."""
    if all(p.met for p in progress):
        return "met"
    if ended:
        return "short"
    if all(p.on_pace for p in progress):
        return "on_track"
    return "at_risk"


def period_compliance(
    period: Period,
    facts: PersonFacts,
    as_of: datetime,
    profile: ComplianceProfile,
    *,
    current: bool,
) -> PeriodCompliance:
    """Compliance in one registration period at ``as_of``."""
    elapsed = period.elapsed(as_of)
    progress = tuple(requirement_progress(r, facts, period, elapsed) for r in profile.requirements)
    ended = as_of >= period.end_at
    status = period_status(progress, ended)
    flagged = (
        current
        and period.status != "ended"
        and status in ("at_risk", "short")
        and period.end_at <= add_months(as_of, profile.flag_within_months)
    )
    needs = [n for p in progress for n in p.needs]
    if status == "met":
        text = "nothing: every requirement is met"
    elif ended:
        text = f"missing at the end of the period ({period.end.isoformat()}): {join_words(needs)}"
    else:
        text = f"{join_words(needs)} before {period.end.isoformat()}"
    today = as_of.astimezone(profile.zone).date()
    return PeriodCompliance(
        register_name=period.register_name,
        number=period.number,
        registration_status=period.status,
        period_start=period.start,
        period_end=period.end,
        days_left=max(0, (period.end - today).days),
        elapsed=elapsed,
        status=status,
        current=current,
        flagged=flagged,
        still_needed=text,
        requirements=progress,
    )


def current_period(periods: Sequence[Period], as_of: datetime) -> Period | None:
    """The period holding ``as_of`` (the latest begun when several do), else the latest begun."""
    holding = [p for p in periods if p.holds(as_of)]
    if holding:
        return holding[-1]
    return periods[-1] if periods else None


def person_compliance(
    index: ComplianceIndex, person_id: UUID, profile: ComplianceProfile
) -> PersonCompliance:
    """One professional's compliance from a built index (see ``compliance_of``)."""
    as_of = index.as_of
    facts = index.facts.get(person_id, PersonFacts())
    periods = registration_periods(facts.registrations, as_of, profile)
    current = current_period(periods, as_of)
    results = tuple(
        period_compliance(p, facts, as_of, profile, current=p is current) for p in periods
    )
    now = next((r for r in results if r.current), None)
    if now is None:
        registers = " or ".join(profile.register_names)
        text = f"no {registers} registration period has begun by {as_of.date().isoformat()}"
    else:
        text = now.still_needed
    return PersonCompliance(
        key=index.keys.get(person_id),
        person_id=person_id,
        team=index.team_key(person_id),
        status=None if now is None else now.status,
        flagged=False if now is None else now.flagged,
        still_needed=text,
        current=now,
        periods=results,
    )


def compliance_of(
    history: History,
    person_id: UUID,
    as_of: datetime,
    profile: ComplianceProfile | None = None,
) -> PersonCompliance:
    """One professional's re-registration compliance at ``as_of``: pure, from a ``History``.

    Every registration period of the profile's register begun by ``as_of`` is evaluated from
    the events that occurred at or before ``as_of``; ``profile`` defaults to ``SKJ_PROFILE``.
    Raises ``UnknownPersonError`` when ``person_id`` is not registered in the history,
    ``NaiveDatetimeError`` for a naive ``as_of``.

    >>> from datetime import datetime, timezone
    >>> from uuid import uuid4
    >>> from learningorg.projections.history import build_history
    >>> empty = build_history("org", [])
    >>> compliance_of(empty, uuid4(), datetime(2026, 1, 1, tzinfo=timezone.utc))
    Traceback (most recent call last):
    ...
    learningorg.domain.errors.UnknownPersonError: person ... is not registered in organisation ...
    """
    moment = _required_moment(as_of, "as_of")
    chosen = check_profile(profile)
    if person_id not in history.persons:
        msg = (
            f"person {person_id} is not registered in organisation {history.organisation!r}; "
            "pass the id of a registered person (records.person_id(organisation, key))"
        )
        raise UnknownPersonError(msg)
    return person_compliance(ComplianceIndex(history, moment), person_id, chosen)


# ---------------------------------------------------------------- roll-ups


def _order(person: PersonCompliance) -> tuple[bool, str, str]:
    return (person.key is None, person.key or "", str(person.person_id))


def summarise(persons: Iterable[PersonCompliance]) -> ComplianceSummary:
    """Counts and lists per status of the current periods of ``persons``."""
    ordered = sorted(persons, key=_order)
    by_status: dict[ComplianceStatus, list[PersonRef]] = {s: [] for s in STATUSES}
    without: list[PersonRef] = []
    flagged: list[PersonRef] = []
    for person in ordered:
        if person.status is None:
            without.append(person.ref)
            continue
        by_status[person.status].append(person.ref)
        if person.flagged:
            flagged.append(person.ref)
    return ComplianceSummary(
        persons=len(ordered),
        counts={s: len(by_status[s]) for s in STATUSES},
        by_status={s: tuple(by_status[s]) for s in STATUSES},
        flagged=tuple(flagged),
        without_period=tuple(without),
    )


def compliance_report(
    history: History,
    level: Level,
    entity_id: UUID | None,
    as_of: datetime,
    profile: ComplianceProfile | None = None,
    *,
    key: str | None = None,
    known_at: KnownAt = None,
) -> ComplianceResult:
    """Compliance of a person, a team or the organisation at ``as_of``: pure, from a ``History``.

    ``entity_id`` is the person's or team's stream id (None for the organisation). A team's
    professionals are its members at ``as_of``; the organisation's are everyone registered by
    ``as_of``, with one roll-up per team existing then. ``key`` and ``known_at`` are echoed in
    the result. Raises ``InvalidValueError`` (bad level, missing id), ``UnknownPersonError``,
    ``UnknownTeamError`` or ``NaiveDatetimeError``.
    """
    level = check_level(level)
    moment = _required_moment(as_of, "as_of")
    chosen = check_profile(profile)
    if level != "organisation" and entity_id is None:
        msg = f"a {level} report needs the {level}'s stream id as entity_id"
        raise InvalidValueError(msg)
    index = ComplianceIndex(history, moment)
    cache: dict[UUID, PersonCompliance] = {}

    def of(person: UUID) -> PersonCompliance:
        if person not in cache:
            cache[person] = person_compliance(index, person, chosen)
        return cache[person]

    teams: tuple[TeamCompliance, ...] = ()
    if level == "person":
        assert entity_id is not None
        if entity_id not in history.persons:
            msg = (
                f"person {key or entity_id!r} is not registered in organisation "
                f"{history.organisation!r}; check the key or register them with register_person()"
            )
            raise UnknownPersonError(msg)
        scope = [entity_id]
    elif level == "team":
        assert entity_id is not None
        info = history.teams.get(entity_id)
        if info is None:
            msg = (
                f"team {key or entity_id!r} is not registered in organisation "
                f"{history.organisation!r}; check the key or register it with register_team()"
            )
            raise UnknownTeamError(msg)
        key = key or info.key
        scope = sorted(history.memberships.members(entity_id, moment), key=str)
    else:
        scope = sorted((p for p, at in history.persons.items() if at <= moment), key=str)
        live_teams = sorted(
            (
                t
                for t in history.teams.values()
                if t.registered_at <= moment and (t.dissolved_at is None or t.dissolved_at > moment)
            ),
            key=lambda t: t.key,
        )
        teams = tuple(
            TeamCompliance(
                key=t.key,
                team_id=t.id,
                summary=summarise(of(p) for p in history.memberships.members(t.id, moment)),
            )
            for t in live_teams
        )
    persons = tuple(sorted((of(p) for p in scope), key=_order))
    return ComplianceResult(
        organisation=history.organisation,
        level=level,
        key=key,
        as_of=moment,
        known_at=known_at,
        position=history.last_position,
        profile_id=chosen.id,
        profile_version=chosen.version,
        persons=persons,
        summary=summarise(persons),
        teams=teams,
    )


__all__ = [
    "EPS",
    "LEVELS",
    "MERGED_FORMS",
    "ComplianceIndex",
    "Period",
    "PersonFacts",
    "add_months",
    "amount",
    "attested_share",
    "check_key",
    "check_level",
    "check_profile",
    "compliance_of",
    "compliance_report",
    "current_period",
    "join_words",
    "period_compliance",
    "period_status",
    "person_compliance",
    "quantity",
    "reflection_credits",
    "registration_periods",
    "requirement_progress",
    "summarise",
]
