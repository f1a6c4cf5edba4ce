"""Histories for the capacity tests: a literal-history builder and Hypothesis strategies.

``LiteralHistory`` writes small histories event by event (positions, stream versions and
recording times filled in), for the hand-computed unit tests. ``actions`` draws random but valid
sequences of commands over a small cast (four persons, two teams), and ``apply`` plays one on a
``LearningRecords``; invalid draws (evaluating an experiment never started...) are skipped, as a
user's refused command would be.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any
from uuid import NAMESPACE_URL, UUID, uuid4, uuid5

from hypothesis import strategies as st

from learningorg import LearningRecords
from learningorg.application import HistoryEntry
from learningorg.domain import events as ev
from learningorg.domain.errors import LearningOrgError
from learningorg.projections.history import History, build_history

ORG = "jeugdzorg-noord"
#: The evaluation moment of the unit tests.
AS_OF = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
#: Long before AS_OF: when the literal organisation, its teams and persons were registered.
START = AS_OF - timedelta(days=900)
#: Recording times start after every occurred_at of the literal histories.
RECORDED = datetime(2026, 6, 1, tzinfo=UTC)


def days_before(days: float) -> datetime:
    """``AS_OF`` minus ``days``."""
    return AS_OF - timedelta(days=days)


class LiteralHistory:
    """One organisation's history written event by event, for hand-computed expectations."""

    def __init__(self, organisation: str = ORG) -> None:
        self.organisation = organisation
        self.entries: list[HistoryEntry] = []
        self.versions: Counter[UUID] = Counter()
        self.org_id = self._id("organisation", organisation)
        self.add(ev.OrganisationRegistered, self.org_id, START, key=organisation, name=organisation)

    def _id(self, kind: str, key: str) -> UUID:
        return uuid5(NAMESPACE_URL, f"{self.organisation}/{kind}/{key}")

    def add(self, cls: type[ev.LearningEvent], stream: UUID, at: datetime, **fields: Any) -> Any:
        """Append one event of ``cls`` to ``stream``, occurred at ``at``; returns the event."""
        self.versions[stream] += 1
        position = len(self.entries) + 1
        event = cls(
            originator_id=stream,
            originator_version=self.versions[stream],
            event_id=uuid4(),
            organisation=self.organisation,
            occurred_at=at,
            recorded_at=RECORDED + timedelta(seconds=position),
            **fields,
        )
        self.entries.append(HistoryEntry(position, event))
        return event

    def person(self, key: str, at: datetime = START) -> UUID:
        """Register a person (once) and return their stream id."""
        stream = self._id("person", key)
        if stream not in self.versions:
            self.add(ev.PersonRegistered, stream, at, key=key)
        return stream

    def team(self, key: str, at: datetime = START) -> UUID:
        """Register a team (once) and return its stream id."""
        stream = self._id("team", key)
        if stream not in self.versions:
            self.add(ev.TeamRegistered, stream, at, key=key, name=key)
        return stream

    def member(
        self, team: str, person: str, at: datetime = START, fte: float = 1.0
    ) -> tuple[UUID, UUID]:
        """Register both if needed and let ``person`` join ``team`` at ``at``."""
        team_id, person_id = self.team(team), self.person(person)
        self.add(ev.MemberJoined, team_id, at, person=person_id, fte=fte)
        return team_id, person_id

    def history(self, known_at: datetime | int | None = None) -> History:
        """The history so far, as ``build_history`` folds it."""
        return build_history(self.organisation, self.entries, known_at)


# ---------------------------------------------------------------------- random command sequences

PERSONS = ("E1", "E2", "E3", "E4")
TEAMS = ("A", "B")
VALUES = ("samen", "veilig")
#: The random histories happen between BASE and BASE + SPAN_DAYS.
BASE = datetime(2024, 1, 1, 9, 0, tzinfo=UTC)
SPAN_DAYS = 700
#: A moment in the middle of the random histories, and one at their end.
MIDDLE = BASE + timedelta(days=400)
END = BASE + timedelta(days=SPAN_DAYS)

moments = st.builds(
    lambda d, h: BASE + timedelta(days=d, hours=h),
    st.integers(0, SPAN_DAYS),
    st.integers(0, 23),
)
persons = st.sampled_from(PERSONS)
teams = st.sampled_from(TEAMS)
some_persons = st.lists(persons, min_size=1, max_size=3, unique=True)
some_teams = st.lists(teams, max_size=2, unique=True)
dimensions = st.lists(st.sampled_from(ev.DIMENSIONS), max_size=3, unique=True)
competences = st.lists(st.sampled_from(["gesprek", "veiligheid", "trauma", "recht"]), max_size=2)
values = st.lists(st.sampled_from(VALUES), max_size=2, unique=True)
#: An index into the events recorded so far (for refs and retractions).
earlier = st.integers(0, 10_000)


@dataclass(frozen=True)
class Action:
    """One command to play: its name, its arguments, and which earlier events it refers to."""

    name: str
    args: dict[str, Any]
    refs: tuple[int, ...] = ()


def _action(name: str, refs: st.SearchStrategy[tuple[int, ...]] | None = None, **args: Any) -> Any:
    fixed = st.fixed_dictionaries(args)
    if refs is None:
        return fixed.map(lambda a: Action(name, a))
    return st.builds(lambda a, r: Action(name, a, r), fixed, refs)


ref_lists = st.lists(earlier, max_size=2).map(tuple)


def reflections_at(moments: st.SearchStrategy[datetime]) -> st.SearchStrategy[Action]:
    """Reflections (any form, dimensions, loop, references) at the given moments."""
    return _action(
        "reflect",
        ref_lists,
        person=persons,
        minutes=st.integers(10, 240),
        form=st.sampled_from(["self", "supervision", "intervision", "case-consultation"]),
        dimensions=dimensions,
        loop=st.sampled_from(["single", "double"]),
        competences=competences,
        at=moments,
    )


def actions_at(moments: st.SearchStrategy[datetime]) -> st.SearchStrategy[Action]:
    """One action of any kind, occurring at one of ``moments`` (retractions: when recorded)."""
    return st.one_of(
        reflections_at(moments),
        _action(
            "intervision",
            ref_lists,
            team=teams,
            participants=st.lists(persons, min_size=2, max_size=4, unique=True),
            minutes=st.integers(30, 180),
            dimensions=dimensions,
            at=moments,
        ),
        _action(
            "consultation",
            ref_lists,
            team=teams,
            participants=st.lists(persons, min_size=2, max_size=4, unique=True),
            guests=some_teams,
            minutes=st.integers(30, 120),
            at=moments,
        ),
        _action(
            "experience",
            person=persons,
            uncertainty=st.integers(1, 5),
            competences=competences,
            at=moments,
        ),
        _action(
            "activity",
            person=persons,
            mode=st.sampled_from(["formal", "informal"]),
            points=st.integers(0, 12),
            competences=competences,
            at=moments,
        ),
        _action(
            "share",
            person=persons,
            to_persons=st.lists(persons, max_size=2, unique=True),
            to_teams=some_teams,
            organisation_wide=st.booleans(),
            at=moments,
        ),
        _action(
            "goal",
            person=persons,
            goal=st.sampled_from(["g1", "g1", "g2"]),
            values=values,
            at=moments,
        ),
        _action(
            "review",
            person=persons,
            goal=st.sampled_from(["g1", "g1", "g2"]),
            status=st.sampled_from(["active", "achieved", "dropped"]),
            at=moments,
        ),
        _action(
            "start",
            team=teams,
            experiment=st.sampled_from(["x1", "x2"]),
            owners=st.lists(persons, max_size=2, unique=True),
            values=values,
            review_days=st.integers(-30, 120),
            at=moments,
        ),
        _action(
            "evaluate",
            ref_lists,
            team=teams,
            experiment=st.sampled_from(["x1", "x2"]),
            result=st.sampled_from(["adopt", "adapt", "abandon"]),
            at=moments,
        ),
        _action(
            "lesson",
            ref_lists,
            team=teams,
            scope=st.sampled_from(["team", "organisation"]),
            authors=st.lists(persons, max_size=2, unique=True),
            values=values,
            at=moments,
        ),
        _action("practice", ref_lists, at=moments),
        _action(
            "dialogue",
            team=st.none() | teams,
            participants=st.lists(persons, max_size=3, unique=True),
            values=values,
            at=moments,
        ),
        _action("climate", team=st.none() | teams, mean=st.integers(1, 5), at=moments),
        _action(
            "join", team=teams, person=persons, fte=st.sampled_from([0.5, 0.8, 1.0]), at=moments
        ),
        _action("leave", team=teams, person=persons, at=moments),
        _action("external", person=persons, at=moments),
        _action("advice", person=persons, adviser=persons, at=moments),
        _action("assumption", ref_lists, person=persons, at=moments),
        _action("value", value=st.sampled_from(VALUES), at=moments),
        _action("retract", st.tuples(earlier)),
    )


#: Reflections at any moment of the random histories.
reflection = reflections_at(moments)
#: One action of any kind.
action = actions_at(moments)
#: Actions that occur after ``MIDDLE`` (no retractions: they correct, they do not occur).
later_action = actions_at(
    st.builds(
        lambda d, h: MIDDLE + timedelta(days=d, hours=h), st.integers(1, 300), st.integers(0, 23)
    )
).filter(lambda a: a.name != "retract")

#: A random history: a list of actions (the cast is registered first by ``setup``).
actions = st.lists(action, min_size=1, max_size=25)


def setup(records: LearningRecords) -> list[UUID]:
    """Register the organisation, its values, two teams and four persons (E1, E2 in A; E3 in B).

    Returns the event ids recorded, the start of the list ``apply`` extends.
    """
    at = BASE - timedelta(days=30)
    records.register_organisation(ORG, "Jeugdzorg Noord", occurred_at=at)
    for value in VALUES:
        records.define_vision_value(ORG, value, value.capitalize(), occurred_at=at)
    for team in TEAMS:
        records.register_team(ORG, team, occurred_at=at)
    for person in PERSONS:
        records.register_person(ORG, person, occurred_at=at)
    records.add_member(ORG, "A", "E1", occurred_at=at)
    records.add_member(ORG, "A", "E2", occurred_at=at, fte=0.8)
    records.add_member(ORG, "B", "E3", occurred_at=at)
    return []


def _refs(recorded: list[UUID], picks: tuple[int, ...]) -> list[UUID]:
    if not recorded:
        return []
    return list(dict.fromkeys(recorded[i % len(recorded)] for i in picks))


def apply(records: LearningRecords, step: Action, recorded: list[UUID]) -> int | None:
    """Play one action; returns the position stored, or None when refused or a repeat.

    The ids of stored events are appended to ``recorded`` (for later refs and retractions).
    """
    a = step.args
    refs = _refs(recorded, step.refs)
    at = a.get("at")
    try:
        done = _play(records, step.name, a, refs, at)
    except LearningOrgError:
        return None
    if done is None or not done.recorded or done.event_id is None:
        return None
    if step.name != "retract":
        recorded.append(done.event_id)
    return done.position


def _play(records: LearningRecords, name: str, a: dict[str, Any], refs: list[UUID], at: Any) -> Any:
    r = records
    if name == "reflect":
        return r.log_reflection(
            ORG,
            a["person"],
            minutes=a["minutes"],
            form=a["form"],
            dimensions=a["dimensions"],
            loop=a["loop"],
            refs=refs,
            competences=a["competences"],
            occurred_at=at,
        )
    if name == "intervision":
        return r.hold_intervision(
            ORG,
            a["team"],
            participants=a["participants"],
            minutes=a["minutes"],
            dimensions=a["dimensions"],
            refs=refs,
            occurred_at=at,
        )
    if name == "consultation":
        return r.hold_case_consultation(
            ORG,
            a["team"],
            participants=a["participants"],
            teams=a["guests"],
            minutes=a["minutes"],
            refs=refs,
            occurred_at=at,
        )
    if name == "experience":
        return r.record_experience(
            ORG,
            a["person"],
            kind="case",
            uncertainty=a["uncertainty"],
            competences=a["competences"],
            occurred_at=at,
        )
    if name == "activity":
        return r.complete_learning_activity(
            ORG,
            a["person"],
            mode=a["mode"],
            points=a["points"],
            competences=a["competences"],
            occurred_at=at,
        )
    if name == "share":
        if not (a["to_persons"] or a["to_teams"] or a["organisation_wide"]):
            return None
        return r.share_knowledge(
            ORG,
            a["person"],
            to_persons=a["to_persons"],
            to_teams=a["to_teams"],
            organisation_wide=a["organisation_wide"],
            occurred_at=at,
        )
    if name == "goal":
        return r.set_development_goal(
            ORG, a["person"], a["goal"], values=a["values"], occurred_at=at
        )
    if name == "review":
        # The drawn goal if it was set, else a goal the drawn person (or anyone) did set.
        owners = [a["person"], *PERSONS]
        goals = [(p, g) for p in owners for g in sorted(r.person(ORG, p).goals)]
        person, goal = (
            (a["person"], a["goal"]) if (a["person"], a["goal"]) in goals or not goals else goals[0]
        )
        return r.review_development_goal(
            ORG, person, goal, progress=0.5, status=a["status"], occurred_at=at
        )
    if name == "start":
        review_by: date = (at + timedelta(days=a["review_days"])).date()
        return r.start_experiment(
            ORG,
            a["team"],
            a["experiment"],
            review_by=review_by,
            owners=a["owners"],
            values=a["values"],
            occurred_at=at,
        )
    if name == "evaluate":
        # The drawn experiment if it is open, else one the drawn team (or the other) has open.
        open_ones = []
        for team in (a["team"], *TEAMS):
            state = r.team(ORG, team)
            for experiment in sorted(
                set(state.experiments_started) - set(state.experiments_evaluated)
            ):
                open_ones.append((team, experiment))
        drawn = (a["team"], a["experiment"])
        team, experiment = drawn if drawn in open_ones or not open_ones else open_ones[0]
        return r.evaluate_experiment(
            ORG, team, experiment, result=a["result"], refs=refs, occurred_at=at
        )
    if name == "lesson":
        return r.capture_lesson(
            ORG,
            a["team"],
            f"les-{uuid4().hex[:6]}",
            scope=a["scope"],
            authors=a["authors"],
            values=a["values"],
            refs=refs,
            occurred_at=at,
        )
    if name == "practice":
        return r.institutionalise_practice(
            ORG, f"pr-{uuid4().hex[:6]}", "Practice", "method", derived_from=refs, occurred_at=at
        )
    if name == "dialogue":
        return r.hold_vision_dialogue(
            ORG, team=a["team"], participants=a["participants"], values=a["values"], occurred_at=at
        )
    if name == "climate":
        instrument = "Edmondson-7" if a["team"] else "DLOQ-21"
        return r.measure_learning_climate(
            ORG,
            instrument=instrument,
            n=8,
            dimension_means={"x": float(a["mean"]), "y": 3.5},
            scale=6,
            team=a["team"],
            occurred_at=at,
        )
    if name == "join":
        return r.add_member(ORG, a["team"], a["person"], fte=a["fte"], occurred_at=at)
    if name == "leave":
        return r.remove_member(ORG, a["team"], a["person"], occurred_at=at)
    if name == "external":
        return r.acquire_external_knowledge(ORG, a["person"], source="research", occurred_at=at)
    if name == "advice":
        if a["adviser"] == a["person"]:
            return None
        return r.seek_advice(ORG, a["person"], from_person=a["adviser"], occurred_at=at)
    if name == "assumption":
        return r.revise_assumption(ORG, a["person"], refs=refs, occurred_at=at)
    if name == "value":
        return r.revise_vision_value(ORG, a["value"], a["value"].upper(), occurred_at=at)
    if name == "retract":
        if not refs:
            return None
        return r.retract(ORG, refs[0], reason="entered by mistake")
    msg = f"unknown action {name!r}"
    raise AssertionError(msg)


def play(records: LearningRecords, steps: list[Action]) -> list[tuple[int, Action]]:
    """Set up the cast and play ``steps``; returns (position, action) of each stored one."""
    recorded = setup(records)
    stored = []
    for step in steps:
        position = apply(records, step, recorded)
        if position is not None:
            stored.append((position, step))
    return stored


__all__ = [
    "AS_OF",
    "BASE",
    "END",
    "MIDDLE",
    "ORG",
    "PERSONS",
    "START",
    "TEAMS",
    "Action",
    "LiteralHistory",
    "action",
    "actions",
    "apply",
    "days_before",
    "play",
    "reflection",
    "setup",
]
