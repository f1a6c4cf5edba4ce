"""Properties of the compliance projection over generated histories (Hypothesis).

Histories are built from events directly (``build_history``), without a store, so many can be
tried quickly: one professional with one SKJ registration period of five years, and reflections,
learning activities, work-hour attestations, intervisions and case consultations around it,
some of them retracted and some reflections referring to sessions.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any
from uuid import UUID, uuid4
from zoneinfo import ZoneInfo

from hypothesis import given, settings
from hypothesis import strategies as st

from learningorg.application import HistoryEntry
from learningorg.domain import events as ev
from learningorg.projections.compliance import STATUSES, PersonCompliance, compliance_of
from learningorg.projections.history import History, build_history

ORG = "org"
AMS = ZoneInfo("Europe/Amsterdam")
PERSON, PEER, TEAM = UUID(int=1), UUID(int=2), UUID(int=3)
RECORDED = datetime(2030, 1, 1, tzinfo=UTC)
EARLY = datetime(2010, 1, 1, tzinfo=UTC)

EXAMPLES = settings(max_examples=40, deadline=None)

dimensions = st.lists(st.sampled_from(ev.DIMENSIONS), unique=True, max_size=3).map(tuple)
forms = st.sampled_from(["self", "supervision", "intervision", "case-consultation", "coaching"])


@dataclass
class Builder:
    """Builds a history event by event, each at the next position."""

    entries: list[HistoryEntry] = field(default_factory=list)
    versions: dict[UUID, int] = field(default_factory=dict)

    def add(self, cls: type[ev.LearningEvent], stream: UUID, at: datetime, **data: Any) -> UUID:
        version = self.versions.get(stream, 0) + 1
        self.versions[stream] = version
        event_id = uuid4()
        event = cls(
            originator_id=stream,
            originator_version=version,
            event_id=event_id,
            organisation=ORG,
            occurred_at=at,
            recorded_at=RECORDED,
            **data,
        )
        self.entries.append(HistoryEntry(len(self.entries) + 1, event))
        return event_id

    def history(self) -> History:
        return build_history(ORG, self.entries)

    def copy(self) -> Builder:
        return Builder(list(self.entries), dict(self.versions))


@dataclass(frozen=True)
class Activity:
    """One generated fact about PERSON: what kind, when, and its payload."""

    kind: str
    at: datetime
    data: dict[str, Any]
    retract: bool = False
    refers: bool = False


def _moment(low: datetime, high: datetime) -> st.SearchStrategy[datetime]:
    """A whole minute from ``low`` to ``high``, the two ends themselves often (the boundaries)."""
    minutes = int((high - low).total_seconds() // 60)
    anywhere = st.integers(0, minutes).map(lambda m: low + timedelta(minutes=m))
    return st.one_of(st.sampled_from([low, low + timedelta(minutes=minutes)]), anywhere)


def activities(
    low: datetime, high: datetime, *, retractable: bool = True
) -> st.SearchStrategy[Activity]:
    """Any fact about PERSON occurring between ``low`` and ``high`` (a quarter retracted)."""
    reflection = st.builds(
        lambda at, minutes, form, dims, refers: Activity(
            "reflection", at, {"minutes": minutes, "form": form, "dimensions": dims}, refers=refers
        ),
        _moment(low, high),
        st.integers(1, 24 * 60),
        forms,
        dimensions,
        st.booleans(),
    )
    learning = st.builds(
        lambda at, mode, points, hours: Activity(
            "learning", at, {"mode": mode, "points": points, "hours": hours}
        ),
        _moment(low, high),
        st.sampled_from(["formal", "informal"]),
        st.sampled_from([0.0, 1.0, 2.5, 8.0, 20.0, 40.0]),
        st.sampled_from([0.0, 1.0, 6.0]),
    )
    session = st.builds(
        lambda at, kind, minutes, dims: Activity(
            kind, at, {"minutes": minutes, "dimensions": dims, "participants": (PERSON, PEER)}
        ),
        _moment(low, high),
        st.sampled_from(["intervision", "case-consultation"]),
        st.integers(30, 480),
        dimensions,
    )
    work = st.builds(
        lambda at, days, hours: Activity(
            "work",
            at,
            {
                "period_start": (at - timedelta(days=days)).date(),
                "period_end": at.date(),
                "hours": hours,
            },
        ),
        _moment(low, high),
        st.integers(0, 400),
        st.sampled_from([100.0, 700.0, 1700.0, 3400.0]),
    )
    kinds = st.one_of(reflection, learning, session, work)
    if not retractable:
        return kinds
    return st.builds(
        lambda a, retract: Activity(a.kind, a.at, a.data, retract=retract, refers=a.refers),
        kinds,
        st.sampled_from([False, False, False, True]),
    )


_CLASSES: dict[str, type[ev.LearningEvent]] = {
    "reflection": ev.ReflectionLogged,
    "learning": ev.LearningActivityCompleted,
    "intervision": ev.IntervisionHeld,
    "case-consultation": ev.CaseConsultationHeld,
    "work": ev.WorkHoursAttested,
}


def record(builder: Builder, activity: Activity, sessions: list[UUID]) -> UUID:
    """Add ``activity`` to the history; a referring reflection names the last session so far."""
    stream = TEAM if activity.kind in ("intervision", "case-consultation") else PERSON
    data = dict(activity.data)
    if activity.kind == "reflection" and activity.refers and sessions:
        data["refs"] = (sessions[-1],)
    event_id = builder.add(_CLASSES[activity.kind], stream, activity.at, **data)
    if activity.kind in ("intervision", "case-consultation"):
        sessions.append(event_id)
    if activity.retract:
        builder.add(ev.EventRetracted, stream, activity.at, retracted_event_id=event_id)
    return event_id


@dataclass(frozen=True)
class Scenario:
    """A registration period, the facts around it and the moment asked about."""

    start: date
    facts: tuple[Activity, ...]
    as_of: datetime

    @property
    def end(self) -> date:
        return self.start.replace(year=self.start.year + 5)

    @property
    def start_at(self) -> datetime:
        return datetime(self.start.year, self.start.month, self.start.day, tzinfo=AMS)

    @property
    def end_at(self) -> datetime:
        end = self.end
        return datetime(end.year, end.month, end.day, tzinfo=AMS)

    def builder(self) -> Builder:
        b = Builder()
        b.add(ev.OrganisationRegistered, UUID(int=99), EARLY, key=ORG, name=ORG)
        b.add(ev.TeamRegistered, TEAM, EARLY, key="T1", name="T1")
        for person, key in ((PERSON, "E1"), (PEER, "E2")):
            b.add(ev.PersonRegistered, person, EARLY, key=key)
            b.add(ev.MemberJoined, TEAM, EARLY, person=person)
        b.add(
            ev.RegistrationChanged,
            PERSON,
            self.start_at,
            register_name="SKJ",
            period_start=self.start,
            period_end=self.end,
        )
        sessions: list[UUID] = []
        for fact in self.facts:
            record(b, fact, sessions)
        return b


ALL = tuple(ev.DIMENSIONS)
BUNDLE = (
    *(
        Activity("reflection", EARLY, {"minutes": 1440, "form": "supervision", "dimensions": ALL})
        for _ in range(3)
    ),
    Activity("learning", EARLY, {"mode": "formal", "points": 40.0}),
    Activity("learning", EARLY, {"mode": "informal", "points": 20.0}),
    Activity("work", EARLY, {"hours": 3400.0}),
)


@st.composite
def scenarios(draw: st.DrawFn) -> Scenario:
    start = draw(st.dates(date(2016, 1, 1), date(2023, 12, 31)).filter(lambda d: d.day <= 28))
    start_at = datetime(start.year, start.month, start.day, tzinfo=AMS)
    end_at = start_at.replace(year=start.year + 5)
    facts = draw(
        st.lists(
            activities(start_at - timedelta(days=400), end_at + timedelta(days=400)), max_size=12
        )
    )
    # Some of what meets SKJ, inside the period, so that every status turns up.
    for item in draw(st.lists(st.sampled_from(BUNDLE), unique_by=id, max_size=len(BUNDLE))):
        at = draw(_moment(start_at, end_at - timedelta(minutes=1)))
        data = dict(item.data)
        if item.kind == "work":
            data.update(period_start=start, period_end=start + timedelta(days=364))
        facts.append(Activity(item.kind, at, data))
    as_of = draw(_moment(start_at + timedelta(minutes=1), end_at + timedelta(days=400)))
    return Scenario(start, tuple(facts), as_of)


def rank(person: PersonCompliance) -> int:
    assert person.status is not None
    return STATUSES.index(person.status)


def inside(scenario: Scenario) -> st.SearchStrategy[Activity]:
    """A fact inside the period, occurring at or before ``as_of``, never retracted."""
    high = min(scenario.end_at - timedelta(minutes=1), scenario.as_of)
    return activities(scenario.start_at, high, retractable=False).map(
        lambda a: _work_inside(a, scenario) if a.kind == "work" else a
    )


def _work_inside(activity: Activity, scenario: Scenario) -> Activity:
    last = min(activity.at.astimezone(AMS).date(), scenario.end - timedelta(days=1))
    first = max(activity.data["period_start"], scenario.start)
    data = {**activity.data, "period_start": min(first, last), "period_end": last}
    return Activity("work", activity.at, data)


def outside(scenario: Scenario) -> st.SearchStrategy[Activity]:
    """A fact wholly outside the period, referring to nothing, never retracted."""
    low, high = scenario.start_at - timedelta(days=800), scenario.start_at - timedelta(minutes=1)
    before = activities(low, high, retractable=False)
    after = activities(scenario.end_at, scenario.end_at + timedelta(days=800), retractable=False)

    def moved(activity: Activity) -> Activity:
        data = dict(activity.data)
        if activity.kind == "work":
            day = activity.at.astimezone(AMS).date()
            if day >= scenario.end:
                data["period_start"] = max(data["period_start"], scenario.end)
            else:
                data["period_end"] = min(day, scenario.start - timedelta(days=1))
                data["period_start"] = min(data["period_start"], data["period_end"])
        return Activity(activity.kind, activity.at, data)  # refers=False: no refs

    return st.one_of(before, after).map(moved)


@EXAMPLES
@given(data=st.data(), scenario=scenarios())
def test_adding_an_activity_inside_the_period_never_worsens_the_status(
    data: st.DataObject, scenario: Scenario
) -> None:
    """More reflection, points or hours inside the period can only keep or improve the status,
    and never lower what any requirement has achieved."""
    builder = scenario.builder()
    before = compliance_of(builder.history(), PERSON, scenario.as_of)
    extra = data.draw(inside(scenario))
    sessions = [
        e.event.event_id
        for e in builder.entries
        if isinstance(e.event, ev.IntervisionHeld | ev.CaseConsultationHeld)
    ]
    record(builder, extra, sessions)
    after = compliance_of(builder.history(), PERSON, scenario.as_of)
    assert rank(after) >= rank(before)
    assert before.current is not None
    assert after.current is not None
    for old, new in zip(before.current.requirements, after.current.requirements, strict=True):
        assert new.achieved >= old.achieved - 1e-9
        assert set(new.covered_dimensions) >= set(old.covered_dimensions)


@EXAMPLES
@given(data=st.data(), scenario=scenarios())
def test_activities_outside_the_period_never_change_it(
    data: st.DataObject, scenario: Scenario
) -> None:
    """Facts before the start or from the end on (work attested for days outside) change nothing."""
    builder = scenario.builder()
    before = compliance_of(builder.history(), PERSON, scenario.as_of)
    for extra in data.draw(st.lists(outside(scenario), min_size=1, max_size=4)):
        record(builder, extra, [])
    assert compliance_of(builder.history(), PERSON, scenario.as_of) == before


@EXAMPLES
@given(scenario=scenarios(), earlier=st.integers(0, 3 * 365 * 24 * 60))
def test_as_of_time_travel_agrees_with_recomputation_from_the_filtered_history(
    scenario: Scenario, earlier: int
) -> None:
    """Asking about an earlier moment equals computing from only the events that had occurred
    by then (retractions are corrections and apply whatever the moment)."""
    builder = scenario.builder()
    moment = max(scenario.as_of - timedelta(minutes=earlier), EARLY)
    full = compliance_of(builder.history(), PERSON, moment)
    kept = [
        e
        for e in builder.entries
        if e.event.occurred_at <= moment or isinstance(e.event, ev.EventRetracted)
    ]
    filtered = build_history(ORG, kept)
    assert compliance_of(filtered, PERSON, moment) == full
