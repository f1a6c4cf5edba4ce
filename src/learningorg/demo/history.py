"""A deterministic synthetic history of four youth-care organisations over two years (demo layer).

Everything is recorded through the public commands of ``LearningRecords``. Randomness comes from
``random.Random(seed)`` and the recording time from a fixed clock set per action, never the wall
clock, so the same seed always gives the same history (apart from random event ids).

What the history holds, so the report has something to show:

- teams of 6-12 professionals; people leave and replacements join;
- intervision every few weeks in most teams, rarely in one team per organisation;
- a **silo** team (in the second organisation) whose members share only among themselves;
- a **broker** (in the first organisation) who connects every team and leaves halfway;
- an **experiment programme** that starts in one team of the first organisation, is adopted
  and institutionalised, then spreads to the other organisations;
- SKJ registrations, attested work hours, formal and informal activities with points: about one
  professional in four falls behind;
- reflections with dimensions (some double-loop), experiences with follow-up reflections;
- some records arriving months late (an LMS batch) and a few retractions.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any
from uuid import UUID

from learningorg.domain import events as ev
from learningorg.records import LearningRecords

#: The two years the demo covers.
START = datetime(2023, 1, 2, 8, 0, tzinfo=UTC)
END = datetime(2024, 12, 30, 17, 0, tzinfo=UTC)
DAYS = (END - START).days

ORGANISATIONS: tuple[tuple[str, str], ...] = (
    ("jeugdzorg-noord", "Jeugdzorg Noord"),
    ("kompas-jeugdhulp", "Kompas Jeugdhulp"),
    ("de-brug", "De Brug Gezinszorg"),
    ("horizon-jeugd", "Horizon Jeugd & Gezin"),
)
TEAMS: tuple[tuple[str, str], ...] = (
    ("AMB", "Ambulant team"),
    ("GH", "Gezinshuizen"),
    ("WIJK", "Wijkteam jeugd"),
    ("CRIS", "Crisisdienst"),
)
VALUES: tuple[tuple[str, str], ...] = (
    ("samen", "Samen met het gezin"),
    ("veilig", "Veilig opgroeien"),
    ("leren", "Leren van wat we doen"),
)
FIRST_NAMES = (
    "Sanne",
    "Daan",
    "Fatima",
    "Lotte",
    "Mehmet",
    "Eva",
    "Thijs",
    "Noor",
    "Bram",
    "Yara",
    "Joris",
    "Ilse",
    "Sem",
    "Amira",
    "Ruben",
    "Femke",
    "Koen",
    "Lisa",
    "Milan",
    "Esra",
)
TOPICS = (
    "veiligheidsplan",
    "motiverende gespreksvoering",
    "signs of safety",
    "trauma-sensitief werken",
    "netwerkberaad",
    "meldcode",
    "gezinsgesprek",
    "hechting",
    "LVB",
    "scheiding",
)
COMPETENCES = ("gespreksvoering", "risicotaxatie", "netwerk", "methodisch", "samenwerking")
PROGRAMME = "gezinsplan-samen"
#: A reflection record holds at most a day of minutes: a longer portfolio series is split.
MAX_SERIES_MINUTES = 1440


@dataclass
class DemoClock:
    """The recording clock of the demo: the moment of the action being recorded."""

    now: datetime = START

    def __call__(self) -> datetime:
        return self.now


@dataclass
class Professional:
    """A synthetic professional and their life in one team."""

    key: str
    name: str
    team: str
    start: datetime
    end: datetime | None
    on_track: bool
    broker: bool = False


@dataclass
class Org:
    """A synthetic organisation: its teams and people."""

    key: str
    name: str
    teams: list[str] = field(default_factory=list)
    people: list[Professional] = field(default_factory=list)
    silo: str | None = None
    irregular: str | None = None

    def members(self, team: str, moment: datetime) -> list[Professional]:
        """The professionals in ``team`` at ``moment``."""
        return [
            p
            for p in self.people
            if p.team == team and p.start <= moment and (p.end is None or moment < p.end)
        ]

    def active(self, moment: datetime) -> list[Professional]:
        """Everyone employed at ``moment``."""
        return [p for p in self.people if p.start <= moment and (p.end is None or moment < p.end)]


Action = Callable[[LearningRecords], None]


@dataclass(order=True)
class Planned:
    """One action of the plan, recorded at ``recorded_at`` (the sort key with ``seq``)."""

    recorded_at: datetime
    seq: int
    action: Action = field(compare=False)


@dataclass
class Plan:
    """The whole synthetic history before it is recorded."""

    organisations: list[Org]
    actions: list[Planned] = field(default_factory=list)
    late_records: int = 0
    retractions: int = 0

    def add(self, recorded_at: datetime, action: Action) -> None:
        """Schedule ``action`` to be recorded at ``recorded_at``."""
        self.actions.append(Planned(recorded_at, len(self.actions), action))


def _at(day: float, hour: int = 10) -> datetime:
    moment = START + timedelta(days=day)
    return moment.replace(hour=hour, minute=0, second=0, microsecond=0)


def _dims(rng: random.Random, full: float) -> list[ev.Dimension]:
    if rng.random() < full:
        return list(ev.DIMENSIONS)
    return sorted(rng.sample(ev.DIMENSIONS, rng.randint(1, 2)))


class _Builder:
    """Builds the plan of one seed; each method schedules one kind of activity."""

    def __init__(self, seed: int, scale: float) -> None:
        self.rng = random.Random(seed)
        self.scale = scale
        self.plan = Plan([])

    # ---------------------------------------------------------------- structure

    def organisations(self) -> None:
        rng = self.rng
        for index, (key, name) in enumerate(ORGANISATIONS):
            org = Org(key, name, teams=[code for code, _ in TEAMS])
            org.silo = "GH" if index == 1 else None
            org.irregular = "CRIS"
            number = 1
            for team in org.teams:
                size = max(3, round(rng.randint(6, 12) * self.scale))
                for _ in range(size):
                    start = START if rng.random() < 0.9 else _at(rng.uniform(0, 60))
                    person = Professional(
                        key=f"E{index + 1}{number:03d}",
                        name=f"{rng.choice(FIRST_NAMES)} {chr(65 + rng.randrange(26))}.",
                        team=team,
                        start=start,
                        end=None,
                        on_track=rng.random() >= 0.25,
                    )
                    number += 1
                    org.people.append(person)
                leavers = [p for p in org.people if p.team == team][: rng.randint(1, 2)]
                for leaver in rng.sample(leavers, len(leavers)):
                    leaver.end = _at(rng.uniform(120, DAYS - 120))
                    org.people.append(
                        Professional(
                            key=f"E{index + 1}{number:03d}",
                            name=f"{rng.choice(FIRST_NAMES)} {chr(65 + rng.randrange(26))}.",
                            team=team,
                            start=leaver.end + timedelta(days=rng.randint(14, 60)),
                            end=None,
                            on_track=rng.random() >= 0.25,
                        )
                    )
                    number += 1
            if index == 0:
                broker = next(p for p in org.people if p.team == "AMB" and p.end is None)
                broker.broker = True
                broker.on_track = True
                broker.end = _at(DAYS / 2)
            self.plan.organisations.append(org)
            self.structure(org)

    def structure(self, org: Org) -> None:
        def setup(records: LearningRecords) -> None:
            records.register_organisation(org.key, org.name, occurred_at=START)
            for value, label in VALUES:
                records.define_vision_value(org.key, value, label, occurred_at=START)
            for code, name in TEAMS:
                records.register_team(
                    org.key, code, f"{name} {org.name.split()[-1]}", occurred_at=START
                )

        self.plan.add(START, setup)
        for person in org.people:
            self.person_lifecycle(org, person)

    def person_lifecycle(self, org: Org, person: Professional) -> None:
        rng = self.rng
        start = person.start
        reg_start = date(rng.randint(2019, 2022), rng.randint(1, 12), 1)
        number = f"SKJ-{rng.randint(100000, 999999)}"

        def join(records: LearningRecords) -> None:
            records.register_person(
                org.key,
                person.key,
                name=person.name,
                email=f"{person.key.lower()}@{org.key}.example",
                occurred_at=start,
            )
            records.add_member(
                org.key,
                person.team,
                person.key,
                occurred_at=start,
                fte=rng_fte,
                site=org.name.split()[-1],
            )
            records.change_registration(
                org.key,
                person.key,
                register_name="SKJ",
                number=number,
                period_start=reg_start,
                period_end=reg_start.replace(year=reg_start.year + 5),
                occurred_at=start,
            )
            self.portfolio(records, org, person, reg_start)

        rng_fte = rng.choice((0.6, 0.8, 0.8, 0.9, 1.0, 1.0))
        self.plan.add(start, join)
        renewal = datetime(reg_start.year + 5, reg_start.month, 1, 9, tzinfo=UTC)
        if start < renewal < (person.end or END):

            def renew(records: LearningRecords) -> None:
                records.change_registration(
                    org.key,
                    person.key,
                    register_name="SKJ",
                    number=number,
                    status="renewed" if person.on_track else "suspended",
                    period_start=renewal.date(),
                    period_end=renewal.date().replace(year=renewal.year + 5),
                    occurred_at=renewal,
                )

            self.plan.add(renewal, renew)
        if person.end is not None:
            end = person.end

            def leave(records: LearningRecords) -> None:
                records.remove_member(org.key, person.team, person.key, occurred_at=end)

            self.plan.add(end, leave)
        self.person_activities(org, person)

    def portfolio(
        self, records: LearningRecords, org: Org, person: Professional, since: date
    ) -> None:
        """The SKJ portfolio so far, imported when the professional's records start here.

        One record per kind for the years of the registration period before ``person.start``:
        a reflection series (supervision), formal and informal points and attested work hours;
        professionals who fall behind did about half the learning.
        """
        years = (person.start.date() - since).days / 365.25
        if years <= 0.1:
            return
        pace = 1.0 if person.on_track else 0.5
        moment = person.start - timedelta(days=1)
        meta: dict[str, Any] = {"occurred_at": moment, "recorded_by": "skj-portfolio"}
        minutes = round(12 * 60 * years * pace)
        series = -(-minutes // MAX_SERIES_MINUTES)
        for index in range(series):
            at = moment - timedelta(days=365.25 * years * index / series)
            records.log_reflection(
                org.key, person.key, minutes=minutes // series, form="supervision",
                dimensions=list(ev.DIMENSIONS), occurred_at=at, recorded_by="skj-portfolio",
            )  # fmt: skip
        modes: tuple[tuple[ev.LearningMode, float], ...] = (("formal", 9.0), ("informal", 3.0))
        for mode, per_year in modes:
            points = round(per_year * years * pace, 1)
            records.complete_learning_activity(
                org.key, person.key, mode=mode, kind="portfolio", hours=points, points=points,
                **meta,
            )  # fmt: skip
        records.attest_work_hours(
            org.key, person.key, period_start=since, period_end=moment.date(),
            hours=round(1300 * years, 1), **meta,
        )  # fmt: skip

    # ---------------------------------------------------------------- person activity

    def _days(self, person: Professional, every: float) -> list[float]:
        """Days (from START) of a recurring activity, every ``every`` days on average."""
        first = (person.start - START).days + self.rng.uniform(3, every)
        last = ((person.end or END) - START).days - 1
        days: list[float] = []
        day = first
        while day < last:
            days.append(day)
            day += self.rng.uniform(0.5 * every, 1.5 * every)
        return days

    def _recorded(self, occurred: datetime) -> datetime:
        """When a record arrives: usually the same day, sometimes months late."""
        if self.rng.random() < 0.04:
            self.plan.late_records += 1
            return occurred + timedelta(days=self.rng.randint(40, 200), hours=3)
        return occurred + timedelta(hours=self.rng.randint(1, 8))

    def person_activities(self, org: Org, person: Professional) -> None:
        rng = self.rng
        pace = 1.0 if person.on_track else 3.0
        for day in self._days(person, 42 * pace):
            self.reflection(org, person, _at(day, 15))
        for day in self._days(person, 70):
            self.experience(org, person, _at(day, 11))
        for day in self._days(person, 90 * pace):
            self.activity(org, person, _at(day, 9), "formal")
        for day in self._days(person, 150 * pace):
            self.activity(org, person, _at(day, 13), "informal")
        for day in self._days(person, 14 if person.broker else 70):
            self.share(org, person, _at(day, 14))
        for day in self._days(person, 90):
            self.advice(org, person, _at(day, 16))
        for day in self._days(person, 91):
            self.hours(org, person, _at(day, 17))
        for day in self._days(person, 300):
            self.goal(org, person, _at(day, 12))
        for day in self._days(person, 330):
            occurred = _at(day, 10)
            source: ev.KnowledgeSource = rng.choice(("research", "practice", "client-experience"))

            def external(
                records: LearningRecords, at: datetime = occurred, src: ev.KnowledgeSource = source
            ) -> None:
                records.acquire_external_knowledge(
                    org.key, person.key, source=src, origin="vakliteratuur", occurred_at=at
                )

            self.plan.add(self._recorded(occurred), external)

    def reflection(self, org: Org, person: Professional, occurred: datetime) -> None:
        minutes = self.rng.choice((30, 45, 60, 60, 90))
        form: ev.ReflectionForm = self.rng.choice(("self", "self", "supervision", "coaching"))
        dims = _dims(self.rng, 0.45 if person.on_track else 0.15)
        loop: ev.Loop = "double" if self.rng.random() < 0.12 else "single"

        def act(records: LearningRecords) -> None:
            records.log_reflection(
                org.key,
                person.key,
                minutes=minutes,
                form=form,
                dimensions=dims,
                loop=loop,
                occurred_at=occurred,
            )

        self.plan.add(self._recorded(occurred), act)

    def experience(self, org: Org, person: Professional, occurred: datetime) -> None:
        rng = self.rng
        kind: ev.ExperienceKind = rng.choice(("case", "incident", "success", "dilemma"))
        uncertainty = rng.randint(1, 5)
        follow_up = rng.random() < (0.7 if person.on_track else 0.3)
        dims = _dims(rng, 0.5)
        later = occurred + timedelta(days=rng.randint(1, 20))

        def act(records: LearningRecords) -> None:
            done = records.record_experience(
                org.key, person.key, kind=kind, uncertainty=uncertainty, occurred_at=occurred
            )
            if follow_up and done.event_id is not None:
                records.log_reflection(
                    org.key,
                    person.key,
                    minutes=30,
                    form="self",
                    dimensions=dims,
                    refs=[done.event_id],
                    occurred_at=later,
                )

        self.plan.add(max(self._recorded(occurred), later + timedelta(hours=1)), act)

    def activity(self, org: Org, person: Professional, occurred: datetime, mode: str) -> None:
        rng = self.rng
        formal = mode == "formal"
        points = float(rng.choice((2, 3, 4, 6, 8))) if formal else float(rng.choice((1, 1, 2)))
        hours = points * (1.0 if formal else 1.5)
        competence = rng.choice(COMPETENCES)
        practice = (
            PROGRAMME
            if org.key == ORGANISATIONS[0][0] and occurred > _at(240) and (rng.random() < 0.2)
            else None
        )
        recorded = self._recorded(occurred)
        late = recorded - occurred > timedelta(days=30)
        duplicate = formal and self.rng.random() < 0.012

        def act(records: LearningRecords) -> None:
            done = records.complete_learning_activity(
                org.key,
                person.key,
                mode="formal" if formal else "informal",
                kind="training" if formal else "e-learning",
                hours=hours,
                points=points,
                accreditation_ref=f"SKJ-{occurred:%Y}-{rng_ref}" if formal else None,
                practice_id=practice,
                competences=[competence],
                occurred_at=occurred,
                recorded_by="lms-import" if late else "hr-system",
            )
            if duplicate and done.event_id is not None:
                holder.append(done.event_id)

        rng_ref = rng.randint(1000, 9999)
        holder: list[UUID] = []
        self.plan.add(recorded, act)
        if duplicate:
            self.plan.retractions += 1

            def retract(records: LearningRecords) -> None:
                for event_id in holder:
                    records.retract(org.key, event_id, reason="entered twice by the LMS")

            self.plan.add(recorded + timedelta(days=9), retract)

    def share(self, org: Org, person: Professional, occurred: datetime) -> None:
        rng = self.rng
        topic = rng.choice(TOPICS)
        mode: ev.ShareMode = rng.choice(("co-working", "example", "document", "presentation"))
        own = [p for p in org.members(person.team, occurred) if p is not person]
        others = [p for p in org.active(occurred) if p.team not in (person.team, org.silo)]
        outward = person.broker or (person.team != org.silo and rng.random() < 0.3)
        if person.team == org.silo and rng.random() < 0.04:
            outward = True
        pool = others if outward and others else own
        if not pool:
            return
        to_team = (not person.broker) and outward and rng.random() < 0.25
        recipients = [p.key for p in rng.sample(pool, min(len(pool), rng.randint(1, 3)))]
        targets = [t for t in org.teams if t not in (person.team, org.silo)]
        team = rng.choice(targets) if to_team else None

        def act(records: LearningRecords) -> None:
            records.share_knowledge(
                org.key,
                person.key,
                to_persons=[] if team else recipients,
                to_teams=[team] if team else [],
                mode=mode,
                topic=topic,
                occurred_at=occurred,
            )

        self.plan.add(self._recorded(occurred), act)

    def advice(self, org: Org, person: Professional, occurred: datetime) -> None:
        rng = self.rng
        topic = rng.choice(TOPICS)
        helpfulness = rng.randint(2, 5)
        own = [p for p in org.members(person.team, occurred) if p is not person]
        others = [p for p in org.active(occurred) if p.team not in (person.team, org.silo)]
        brokers = [p for p in others if p.broker]
        if brokers and rng.random() < 0.35:
            adviser: Professional | None = brokers[0]
        elif person.team != org.silo and others and rng.random() < 0.3:
            adviser = rng.choice(others)
        else:
            adviser = rng.choice(own) if own else None
        if adviser is None:
            return
        key = adviser.key

        def act(records: LearningRecords) -> None:
            records.seek_advice(
                org.key,
                person.key,
                from_person=key,
                topic=topic,
                helpfulness=helpfulness,
                occurred_at=occurred,
            )

        self.plan.add(self._recorded(occurred), act)

    def hours(self, org: Org, person: Professional, occurred: datetime) -> None:
        worked = float(self.rng.randint(260, 420))
        contact = round(worked * self.rng.uniform(0.4, 0.7), 1)
        end = occurred.date()
        begin = end - timedelta(days=90)

        def act(records: LearningRecords) -> None:
            records.attest_work_hours(
                org.key,
                person.key,
                period_start=begin,
                period_end=end,
                hours=worked,
                client_contact_hours=contact,
                occurred_at=occurred,
                recorded_by="hr-system",
            )

        self.plan.add(occurred + timedelta(hours=2), act)

    def goal(self, org: Org, person: Professional, occurred: datetime) -> None:
        rng = self.rng
        goal_id = f"goal-{occurred:%Y%m%d}-{rng.randint(100, 999)}"
        values = [rng.choice(VALUES)[0]] if rng.random() < 0.6 else []
        competence = rng.choice(COMPETENCES)
        review = occurred + timedelta(days=rng.randint(60, 150))
        progress = round(rng.uniform(0.2, 1.0), 2)
        reviewed = person.on_track and review < (person.end or END)

        def act(records: LearningRecords) -> None:
            records.set_development_goal(
                org.key,
                person.key,
                goal_id,
                review_by=review.date(),
                values=values,
                competences=[competence],
                occurred_at=occurred,
            )

        def review_goal(records: LearningRecords) -> None:
            records.review_development_goal(
                org.key,
                person.key,
                goal_id,
                progress=progress,
                status="achieved" if progress > 0.9 else "active",
                occurred_at=review,
            )

        self.plan.add(occurred + timedelta(hours=1), act)
        if reviewed:
            self.plan.add(review + timedelta(hours=1), review_goal)

    # ---------------------------------------------------------------- team and organisation

    def team_life(self, org: Org, team: str) -> None:
        rng = self.rng
        every = 90.0 if team == org.irregular else 24.0
        day = rng.uniform(5, every)
        while day < DAYS - 2:
            self.intervision(org, team, _at(day, 13))
            day += rng.uniform(0.6 * every, 1.4 * every)
        if team != org.silo:
            for _ in range(rng.randint(3, 6)):
                self.consultation(org, team, _at(rng.uniform(10, DAYS - 10), 10))
        for year in (0, 1):
            self.local_experiment(org, team, _at(year * 365 + rng.uniform(20, 200), 9))
            occurred = _at(year * 365 + rng.uniform(30, 300), 15)

            def dialogue(records: LearningRecords, at: datetime = occurred) -> None:
                present = [p.key for p in org.members(team, at)]
                records.hold_vision_dialogue(
                    org.key, team=team, participants=present, values=[VALUES[0][0]], occurred_at=at
                )

            self.plan.add(occurred + timedelta(hours=2), dialogue)

    def intervision(self, org: Org, team: str, occurred: datetime) -> None:
        rng = self.rng
        members = org.members(team, occurred)
        if len(members) < 3:
            return
        present = [p.key for p in members if rng.random() < 0.8]
        if len(present) < 2:
            return
        owner = rng.choice(present)
        dims = _dims(rng, 0.5)
        minutes = rng.choice((60, 90, 90, 120))

        def act(records: LearningRecords) -> None:
            records.hold_intervision(
                org.key,
                team,
                participants=present,
                minutes=minutes,
                case_owner=owner,
                facilitator=present[0],
                dimensions=dims,
                occurred_at=occurred,
            )

        self.plan.add(self._recorded(occurred), act)

    def consultation(self, org: Org, team: str, occurred: datetime) -> None:
        rng = self.rng
        members = org.members(team, occurred)
        guests_team = rng.choice([t for t in org.teams if t != team and t != org.silo])
        guests = org.members(guests_team, occurred)
        if len(members) < 2 or not guests:
            return
        present = [p.key for p in rng.sample(members, min(4, len(members)))]
        present += [p.key for p in rng.sample(guests, min(2, len(guests)))]

        def act(records: LearningRecords) -> None:
            records.hold_case_consultation(
                org.key,
                team,
                participants=present,
                minutes=75,
                teams=[guests_team],
                case_owner=present[0],
                dimensions=["normative"],
                occurred_at=occurred,
            )

        self.plan.add(occurred + timedelta(hours=3), act)

    def local_experiment(self, org: Org, team: str, occurred: datetime) -> None:
        rng = self.rng
        experiment = f"{team.lower()}-{occurred:%Y%m}"
        review = occurred + timedelta(days=rng.randint(90, 150))
        evaluated = rng.random() < 0.65 and review < END
        result: ev.ExperimentResult = rng.choice(("adopt", "adopt", "adapt", "abandon"))

        def start(records: LearningRecords) -> None:
            owners = [p.key for p in org.members(team, occurred)][:1]
            records.start_experiment(
                org.key,
                team,
                experiment,
                review_by=review.date(),
                owners=owners,
                hypothesis="kleine verbetering in de praktijk",
                values=[rng_value],
                occurred_at=occurred,
            )

        evaluations: list[UUID] = []

        def evaluate(records: LearningRecords) -> None:
            done = records.evaluate_experiment(
                org.key, team, experiment, result=result, occurred_at=review
            )
            if done.event_id is not None:
                evaluations.append(done.event_id)

        rng_value = rng.choice(VALUES)[0]
        self.plan.add(occurred + timedelta(hours=1), start)
        if evaluated:
            self.plan.add(review + timedelta(hours=1), evaluate)
            if result == "adopt":
                self.institutionalise(org, team, experiment, review, evaluations, rng_value)

    def institutionalise(
        self, org: Org, team: str, practice: str, review: datetime, refs: list[UUID], value: str
    ) -> None:
        """An adopted experiment becomes an organisation-wide lesson, then a practice."""
        if review + timedelta(days=31) >= END:
            return

        def act(records: LearningRecords) -> None:
            authors = [p.key for p in org.members(team, review)][:2]
            lesson = records.capture_lesson(
                org.key, team, f"{practice}-{team.lower()}-les", scope="organisation",
                topics=[practice], authors=authors, refs=refs, values=[value],
                occurred_at=review + timedelta(days=7),
            )  # fmt: skip
            records.institutionalise_practice(
                org.key, practice, f"Werkwijze {practice}", "guideline",
                derived_from=[lesson.event_id] if lesson.event_id else [], teams=[team],
                authors=authors, occurred_at=review + timedelta(days=30),
            )  # fmt: skip

        self.plan.add(review + timedelta(days=31), act)

    def programme(self) -> None:
        """The experiment programme: starts in one team, is adopted, spreads everywhere."""
        first = self.plan.organisations[0]
        pilot = "GH"
        begin = _at(45, 9)
        review = _at(170, 14)

        def pilot_start(records: LearningRecords) -> None:
            owners = [p.key for p in first.members(pilot, begin)][:2]
            records.start_experiment(
                first.key,
                pilot,
                PROGRAMME,
                review_by=review.date(),
                owners=owners,
                hypothesis="een gezinsplan dat het gezin zelf schrijft maakt afspraken haalbaarder",
                values=["samen"],
                occurred_at=begin,
            )

        def pilot_adopt(records: LearningRecords) -> None:
            done = records.evaluate_experiment(
                first.key, pilot, PROGRAMME, result="adopt", loop="double", occurred_at=review
            )
            refs = [done.event_id] if done.event_id else []
            authors = [p.key for p in first.members(pilot, review)][:2]
            lesson = records.capture_lesson(
                first.key,
                pilot,
                "gezinsplan-les",
                scope="organisation",
                topics=["gezinsplan"],
                authors=authors,
                refs=refs,
                values=["samen"],
                occurred_at=review + timedelta(days=7),
            )
            records.institutionalise_practice(
                first.key,
                PROGRAMME,
                "Gezinsplan samen",
                "method",
                derived_from=[lesson.event_id] if lesson.event_id else [],
                teams=list(first.teams),
                authors=authors,
                loop="double",
                occurred_at=review + timedelta(days=40),
            )

        self.plan.add(begin + timedelta(hours=1), pilot_start)
        self.plan.add(review + timedelta(days=41), pilot_adopt)
        for index, org in enumerate(self.plan.organisations):
            adopters = [t for t in org.teams if not (index == 0 and t == pilot)]
            for number, team in enumerate(adopters[: 3 if index == 0 else 2]):
                at = _at(250 + 110 * index + 20 * number, 9)
                self._spread(org, team, at, carrier=index > 0 and number == 0)

    def _spread(self, org: Org, team: str, at: datetime, *, carrier: bool) -> None:
        review = at + timedelta(days=120)
        result: ev.ExperimentResult = self.rng.choice(("adopt", "adopt", "adapt"))

        def start(records: LearningRecords) -> None:
            owners = [p.key for p in org.members(team, at)][:1]
            if carrier and owners:
                records.acquire_external_knowledge(
                    org.key,
                    owners[0],
                    source="practice",
                    origin="Jeugdzorg Noord: gezinsplan samen",
                    occurred_at=at - timedelta(days=10),
                )
            records.start_experiment(
                org.key,
                team,
                PROGRAMME,
                review_by=review.date(),
                owners=owners,
                values=["samen"],
                occurred_at=at,
            )

        evaluations: list[UUID] = []

        def evaluate(records: LearningRecords) -> None:
            done = records.evaluate_experiment(
                org.key, team, PROGRAMME, result=result, occurred_at=review
            )
            if done.event_id is not None:
                evaluations.append(done.event_id)

        self.plan.add(at + timedelta(hours=2), start)
        if review < END:
            self.plan.add(review + timedelta(hours=2), evaluate)
            if carrier and result == "adopt":
                self.institutionalise(org, team, PROGRAMME, review, evaluations, "samen")

    def organisation_life(self, org: Org) -> None:
        rng = self.rng
        for year in (2023, 2024):
            allocated = datetime(year, 1, 9, 9, tzinfo=UTC)

            rng_hours = float(rng.choice((24, 32, 40)))

            def allocate(
                records: LearningRecords, at: datetime = allocated, hours: float = rng_hours
            ) -> None:
                records.allocate_learning_time(
                    org.key,
                    at.date(),
                    date(at.year, 12, 31),
                    hours_per_fte=hours,
                    purpose="leren en reflectie",
                    occurred_at=at,
                )

            self.plan.add(allocated, allocate)
            measured = datetime(year, 10, 15, 12, tzinfo=UTC)
            means = {
                d: round(rng.uniform(3.2, 5.0), 2)
                for d in ("continuous", "dialogue", "team", "systems")
            }

            def climate(
                records: LearningRecords, at: datetime = measured, values: dict[str, float] = means
            ) -> None:
                records.measure_learning_climate(
                    org.key,
                    instrument="DLOQ-21",
                    n=len(org.active(at)),
                    dimension_means=values,
                    scale=6,
                    occurred_at=at,
                )

            self.plan.add(measured + timedelta(days=21), climate)
        revised = _at(rng.uniform(300, 500), 10)

        def revise(records: LearningRecords) -> None:
            records.revise_vision_value(
                org.key, "leren", "Leren van en met elkaar", occurred_at=revised
            )

        self.plan.add(revised + timedelta(hours=1), revise)
        for team in org.teams:
            self.team_life(org, team)


def build_plan(seed: int = 2024, scale: float = 1.0) -> Plan:
    """The synthetic history of ``seed`` as a plan of actions in recording order.

    ``scale`` multiplies team sizes (1.0: 6-12 professionals per team); tests use a smaller one.
    """
    builder = _Builder(seed, scale)
    builder.organisations()
    for org in builder.plan.organisations:
        builder.organisation_life(org)
    builder.programme()
    builder.plan.actions.sort()
    return builder.plan


def record_plan(
    records: LearningRecords,
    clock: DemoClock,
    plan: Plan,
    progress: Callable[[int, int], Any] | None = None,
) -> None:
    """Record every action of ``plan`` through the public commands, the clock set per action."""
    total = len(plan.actions)
    for done, planned in enumerate(plan.actions, start=1):
        clock.now = planned.recorded_at
        planned.action(records)
        if progress is not None and (done % 50 == 0 or done == total):
            progress(done, total)
