"""The capacity formulas of DESIGN.md section 5, applied to an indexed history (projections layer).

Shared machinery, at evaluation time *t*, window *W* and half-life *h*:

- event weight ``w(e) = 2^(-(t - t_e)/h)`` when ``0 <= t - t_e <= W``, else 0;
- a yearly norm *N* becomes the target ``T = N * D / 365``, ``D = (h / ln 2)(1 - 2^(-W/h))``;
- ``sat(x, T) = min(1, x / T)``;
- a sub-score whose inputs are all absent has no value and drops out; a level's score is the
  weighted mean of the sub-scores that have one. Inside a sub-score, absent counts are zero, and
  a ratio with nothing to divide by (0/0) leaves the formula with its weight renormalised.
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from uuid import UUID

from learningorg.domain import events as ev
from learningorg.projections.capacity.facts import FACT_FIELDS, Fact, kind_of
from learningorg.projections.capacity.index import (
    K_ACTIVITY,
    K_ADVICE,
    K_ASSUMPTION,
    K_CLIMATE,
    K_CONSULTATION,
    K_DIALOGUE,
    K_EVALUATED,
    K_EXPERIENCE,
    K_EXTERNAL,
    K_GOAL_REVIEWED,
    K_GOAL_SET,
    K_INTERVISION,
    K_JOINED,
    K_LEFT,
    K_LESSON,
    K_ORGANISATION_REGISTERED,
    K_PERSON_REGISTERED,
    K_PRACTICE,
    K_REFLECTION,
    K_SHARED,
    K_STARTED,
    K_TEAM_DISSOLVED,
    K_TEAM_REGISTERED,
    K_VALUE_DEFINED,
    K_VALUE_REVISED,
    Experiment,
    LearningIndex,
    data_list,
)
from learningorg.projections.capacity.model import (
    CODES,
    OPTIONAL_CODES,
    PROFILE,
    SECONDS_PER_DAY,
    CapacityModel,
    Level,
)
from learningorg.projections.capacity.result import Profile, SubScore

#: What each sub-score is called, which NJi element it feeds, and where its norm comes from.
CATALOGUE: dict[str, tuple[str, str, str]] = {
    "P1": ("reflection", "M", "SKJ: 60 h reflection per 5 years (12 h/year); Kolb"),
    "P2": ("learning cycle", "U", "Kolb's learning cycle; 4I (Crossan, Lane and White)"),
    "P3": ("depth", "M", "SKJ reflection dimensions; Argyris and Schön (double loop)"),
    "P4": ("expertise", "M", "SKJ: 40 formal + 20 informal points per 5 years"),
    "P5": ("diversity", "M", "Cohen and Levinthal: diverse prior knowledge"),
    "P6": ("sharing", "S", "SECI (Nonaka and Takeuchi); Cross and Parker"),
    "P7": ("mastery", "V", "Senge: personal mastery"),
    "P8": ("experimenting", "U", "Garvin: experimentation; NJi element 2 (uncertainty)"),
    "G1": ("members", "M", "median of the members' person scores"),
    "G2": ("team learning", "M", "Senge: team learning; intervision 6/year, every 8 weeks"),
    "G3": ("experimenting", "U", "Garvin: experimentation; NJi element 2 (uncertainty)"),
    "G4": ("integrating", "U", "4I: interpreting and integrating (Crossan, Lane and White)"),
    "G5": ("boundary crossing", "S", "Cross and Parker: boundary spanning; E-I index"),
    "G6": ("cohesion", "S", "Cross and Parker: internal density and reciprocity"),
    "G7": ("vision", "V", "Senge: shared vision; NJi element 1"),
    "G8": ("climate", "V", "latest learning-climate measurement of the team"),
    "O1": ("teams", "M", "FTE-weighted mean of the team scores"),
    "O2": ("institutionalising", "U", "4I: institutionalising (Crossan, Lane and White)"),
    "O3": ("absorptive capacity", "S", "Cohen and Levinthal; Zahra and George (four stages)"),
    "O4": ("connectedness", "S", "knowledge-flow network: modularity, components"),
    "O5": ("resilience", "S", "knowledge-flow network: concentration of brokerage"),
    "O6": ("vision", "V", "Senge: shared vision, values revisited; NJi element 1"),
    "O7": ("climate", "V", "DLOQ-21 (Watkins and Marsick) or LOS-27"),
}

MERGED_FORMS = frozenset({"intervision", "case-consultation"})
ALL_DIMENSIONS = frozenset({"technical-instrumental", "normative", "personal"})


def sat(x: float, target: float) -> float:
    """``min(1, x / target)``."""
    return min(1.0, x / target)


def weighted_terms(terms: Sequence[float | None], weights: Sequence[float]) -> float | None:
    """The weighted mean of the terms that are defined (None: 0/0, left out)."""
    total = sum(w for term, w in zip(terms, weights, strict=True) if term is not None)
    if total <= 0:
        return None
    return sum(term * w for term, w in zip(terms, weights, strict=True) if term is not None) / total


def _day_of(moment: float) -> date:
    return datetime.fromtimestamp(moment, UTC).date()


@dataclass
class Reflection:
    """One reflection credited to a person: own, or an intervision/consultation taken part in."""

    at: float
    minutes: float
    dimensions: set[str]
    double: bool
    ids: list[str]


@dataclass
class Scored:
    """Sub-scores of one entity at one moment, with their contributing event ids."""

    subscores: dict[str, SubScore]
    score: float | None
    coverage: float
    ids: set[str] = field(default_factory=set)


class Scorer:
    """Scores persons, teams and the organisation of one index at any moment.

    ``flow`` makes the knowledge-flow sub-scores (G5, G6, O4, O5) for this scorer; without it
    they have no data.
    """

    def __init__(
        self,
        index: LearningIndex,
        model: CapacityModel,
        flow: Callable[[Scorer], FlowScores] | None = None,
    ) -> None:
        self.index = index
        self.model = model
        self.flow = flow(self) if flow is not None else None
        self.window = model.window_days * SECONDS_PER_DAY
        self.half_life = model.half_life_days * SECONDS_PER_DAY
        self._persons: dict[tuple[str, float], Scored] = {}
        self._teams: dict[tuple[str, float], Scored] = {}

    # ------------------------------------------------------------------ machinery

    def w(self, t: float, at: float) -> float:
        """``w(e) = 2^(-(t - t_e)/h)`` inside the window, else 0."""
        age = t - at
        if age < 0 or age > self.window:
            return 0.0
        return float(2.0 ** (-age / self.half_life))

    def target(self, norm_per_year: float) -> float:
        """The target of a yearly norm."""
        return self.model.yearly_target(norm_per_year)

    def make_sub(
        self,
        code: str,
        value: float | None,
        *,
        numerator: float | None = None,
        target: float | None = None,
        ids: Iterable[str] = (),
        details: dict[str, float | None] | None = None,
    ) -> SubScore:
        name, element, norm = CATALOGUE[code]
        found: list[str] = []
        if value is not None:
            value = min(100.0, max(0.0, value))
            found = sorted(set(ids))
        details = dict(details or {})
        if found:
            details["events"] = float(len(found))
        if len(found) > self.model.max_event_ids:
            details["event_ids_truncated"] = 1.0
            found = found[: self.model.max_event_ids]
        return SubScore(
            code=code,
            name=name,
            element=element,
            value=value,
            numerator=numerator,
            target=target,
            norm_source=norm,
            event_ids=tuple(UUID(i) for i in found),
            insufficient_data=value is None,
            details=details,
        )

    def _level(self, level: Level, subs: dict[str, SubScore], ids: set[str]) -> Scored:
        weights = [(self.model.weight(c), s.value) for c, s in subs.items() if s.value is not None]
        total = sum(w for w, _ in weights)
        score = sum(w * v for w, v in weights) / total if total > 0 else None
        counted = [c for c in CODES[level] if c not in OPTIONAL_CODES]
        with_data = [c for c in counted if subs[c].value is not None]
        coverage = len(with_data) / len(counted)
        return Scored(subs, score, coverage, ids)

    def profile(self, subs: dict[str, SubScore]) -> Profile:
        """The NJi profile: each bar the weighted mean of its sub-scores that have data."""
        bars: dict[str, float | None] = {}
        for element, codes in PROFILE.items():
            pairs = [
                (self.model.weight(c), subs[c].value)
                for c in codes
                if c in subs and subs[c].value is not None
            ]
            total = sum(w for w, _ in pairs)
            bars[element] = (
                sum(w * v for w, v in pairs if v is not None) / total if total > 0 else None
            )
        return Profile(V=bars["V"], U=bars["U"], M=bars["M"], S=bars["S"])

    def score(self, level: Level, entity: str | None, t: float) -> Scored:
        """All sub-scores of one entity at ``t`` (POSIX seconds)."""
        if level == "person":
            assert entity is not None
            return self.person(entity, t)
        if level == "team":
            assert entity is not None
            return self.team(entity, t)
        return self.organisation(t)

    # ------------------------------------------------------------------ person

    def reflections(self, person: str, t: float) -> list[Reflection]:
        """Reflections credited to ``person`` in the window at ``t``.

        Every intervision or case consultation the person took part in counts as reflection
        time. An own reflection of the form "intervision" or "case-consultation" that refers to
        such a session is the same hour: it is merged into the session (dimensions joined,
        double loop kept) instead of counted twice.
        """
        low = t - self.window
        items: dict[str, Reflection] = {}
        ordered: list[Reflection] = []
        for session in self.index.sessions_of(person).between(low, t):
            item = Reflection(
                session.occurred_at,
                float(session.data.get("minutes", 0)),
                set(data_list(session, "dimensions")),
                False,
                [session.event_id],
            )
            items[session.event_id] = item
            ordered.append(item)
        all_sessions = self.index.sessions_of(person).facts
        session_times = {s.event_id: s.occurred_at for s in all_sessions}
        for reflection in self.index.own_facts(person, K_REFLECTION).between(low, t):
            data = reflection.data
            if data.get("form") in MERGED_FORMS:
                refs = [
                    r for r in data_list(reflection, "refs") if session_times.get(r, t + 1) <= t
                ]
                if refs:
                    merged = items.get(refs[0])
                    if merged is not None:
                        merged.dimensions.update(data_list(reflection, "dimensions"))
                        merged.double = merged.double or data.get("loop") == "double"
                        merged.ids.append(reflection.event_id)
                    # A session outside the window takes its merged reflection with it.
                    continue
            ordered.append(
                Reflection(
                    reflection.occurred_at,
                    float(data.get("minutes", 0)),
                    set(data_list(reflection, "dimensions")),
                    data.get("loop") == "double",
                    [reflection.event_id],
                )
            )
        return ordered

    def person(self, person: str, t: float) -> Scored:
        """P1..P8 of ``person`` at ``t``."""
        cached = self._persons.get((person, t))
        if cached is not None:
            return cached
        reflections = self.reflections(person, t)
        subs = {
            "P1": self._p1(reflections, t),
            "P2": self._p2(person, reflections, t),
            "P3": self._p3(reflections, t),
            "P4": self._p4(person, t),
            "P5": self._p5(person, t),
            "P6": self._p6(person, t),
            "P7": self._p7(person, t),
            "P8": self._p8(person, t),
        }
        ids = {str(i) for s in subs.values() for i in s.event_ids}
        scored = self._level("person", subs, ids)
        self._persons[(person, t)] = scored
        return scored

    def _p1(self, reflections: list[Reflection], t: float) -> SubScore:
        """P1 reflection: ``100 * sat(sum w * hours, 12 h/year)`` (SKJ, Kolb)."""
        target = self.target(self.model.reflection_hours_per_year)
        if not reflections:
            return self.make_sub("P1", None, target=target)
        hours = sum(self.w(t, r.at) * r.minutes / 60.0 for r in reflections)
        return self.make_sub(
            "P1",
            100 * sat(hours, target),
            numerator=hours,
            target=target,
            ids=[i for r in reflections for i in r.ids],
        )

    def _p2(self, person: str, reflections: list[Reflection], t: float) -> SubScore:
        """P2 learning cycle: ``100 * (1/2 closure + 1/2 stages/4)`` (Kolb, 4I).

        Closure: the weighted share of experiences, case consultations and evaluated
        experiments (of the person, in the window) followed within the closure window by a
        reflection or lesson that refers to them. Triggers younger than the closure window that
        are not yet followed up are still open and left out.
        """
        index, low = self.index, t - self.window
        horizon = self.model.closure_days * SECONDS_PER_DAY
        triggers: list[tuple[Fact, tuple[str, ...]]] = [
            (f, (f.event_id,)) for f in index.own_facts(person, K_EXPERIENCE).between(low, t)
        ]
        triggers += [
            (f, (f.event_id,))
            for f in index.sessions_of(person).between(low, t)
            if f.kind == K_CONSULTATION
        ]
        owned = self._owned(person, t)
        for experiment in owned:
            evaluation = experiment.evaluation
            if evaluation is not None and low <= evaluation.occurred_at <= t:
                start_id = experiment.start.event_id if experiment.start else evaluation.event_id
                triggers.append((evaluation, (evaluation.event_id, start_id)))
        session_ids = {s.event_id for s in index.sessions_of(person).facts}
        closed_w = due_w = 0.0
        ids: list[str] = []
        for trigger, targets in triggers:
            follow = None
            for target in targets:
                for candidate in index.follow_ups.get(target, ()):
                    if not (trigger.occurred_at <= candidate.occurred_at <= t):
                        continue
                    if candidate.occurred_at - trigger.occurred_at > horizon:
                        continue
                    if (
                        candidate.kind == K_LESSON
                        or candidate.person == person
                        or (candidate.event_id in session_ids)
                    ):
                        follow = candidate
                        break
                if follow is not None:
                    break
            weight = self.w(t, trigger.occurred_at)
            if follow is not None:
                closed_w += weight
                due_w += weight
                ids += [trigger.event_id, follow.event_id]
            elif t - trigger.occurred_at >= horizon:
                due_w += weight
                ids.append(trigger.event_id)
        closure = closed_w / due_w if due_w > 0 else None
        stage_facts: dict[str, list[str]] = {
            "experience": [
                f.event_id for f in index.own_facts(person, K_EXPERIENCE).between(low, t)
            ],
            "reflection": [r.ids[0] for r in reflections],
            "conceptualisation": [
                f.event_id
                for f in (
                    *index.authored_lessons.get(person, _NO_TIMELINE).between(low, t),
                    *index.own_facts(person, K_ASSUMPTION).between(low, t),
                )
            ],
            "experimentation": [
                f.event_id
                for e in owned
                for f in (e.start, e.evaluation)
                if f is not None and low <= f.occurred_at <= t
            ],
        }
        stages = sum(1 for found in stage_facts.values() if found)
        if not triggers and stages == 0:
            return self.make_sub("P2", None, target=float(self.model.kolb_stages))
        stage_share = min(1.0, stages / self.model.kolb_stages)
        value = weighted_terms([closure, stage_share], self.model.terms("P2"))
        ids += [i for found in stage_facts.values() for i in found]
        return self.make_sub(
            "P2",
            None if value is None else 100 * value,
            numerator=float(stages),
            target=float(self.model.kolb_stages),
            ids=ids,
            details={
                "closure": closure,
                "stages": float(stages),
                **{f"stage_{name}": float(bool(found)) for name, found in stage_facts.items()},
            },
        )

    def _p3(self, reflections: list[Reflection], t: float) -> SubScore:
        """P3 depth: ``100 * (2/3 all-three-dimensions share + 1/3 sat(double share, 0.2))``.

        SKJ asks reflection on the technical-instrumental, normative and personal dimensions;
        double-loop learning questions the assumptions themselves (Argyris and Schön).
        """
        weighted = [(self.w(t, r.at), r) for r in reflections]
        total = sum(w for w, _ in weighted)
        if not reflections or total <= 0:
            return self.make_sub("P3", None, target=self.model.double_loop_share)
        all_three = sum(w for w, r in weighted if r.dimensions >= ALL_DIMENSIONS) / total
        double = sum(w for w, r in weighted if r.double) / total
        value = weighted_terms(
            [all_three, sat(double, self.model.double_loop_share)], self.model.terms("P3")
        )
        return self.make_sub(
            "P3",
            None if value is None else 100 * value,
            numerator=double,
            target=self.model.double_loop_share,
            ids=[i for r in reflections for i in r.ids],
            details={"all_dimensions_share": all_three, "double_loop_share": double},
        )

    def _p4(self, person: str, t: float) -> SubScore:
        """P4 expertise: ``100 (2/3 sat(formal points, 8/yr) + 1/3 sat(informal, 4/yr))`` (SKJ)."""
        formal_t = self.target(self.model.formal_points_per_year)
        informal_t = self.target(self.model.informal_points_per_year)
        activities = self.index.own_facts(person, K_ACTIVITY).between(t - self.window, t)
        if not activities:
            return self.make_sub("P4", None, target=formal_t)
        formal = informal = 0.0
        for activity in activities:
            points = self.w(t, activity.occurred_at) * float(activity.data.get("points", 0.0))
            if activity.data.get("mode") == "formal":
                formal += points
            else:
                informal += points
        value = weighted_terms(
            [sat(formal, formal_t), sat(informal, informal_t)], self.model.terms("P4")
        )
        return self.make_sub(
            "P4",
            None if value is None else 100 * value,
            numerator=formal,
            target=formal_t,
            ids=[a.event_id for a in activities],
            details={
                "formal_points": formal,
                "formal_target": formal_t,
                "informal_points": informal,
                "informal_target": informal_t,
            },
        )

    def credited(self, person: str, t: float) -> list[Fact]:
        """Facts credited to the person in the window: own stream and sessions taken part in."""
        low = t - self.window
        found = [
            f for kinds in self.index.own.get(person, {}).values() for f in kinds.between(low, t)
        ]
        found += self.index.sessions_of(person).between(low, t)
        return sorted(found, key=lambda f: f.position)

    def cluster(self, competence: str) -> str:
        """The competence cluster of a competence code (the model's mapping, else itself)."""
        return self.model.cluster_of.get(competence, competence)

    def _p5(self, person: str, t: float) -> SubScore:
        """P5 diversity: ``100 * J * sat(n, 5)`` (Cohen and Levinthal).

        J is the normalised Shannon entropy of the (decayed) weight per competence cluster and
        n the number of distinct clusters; with one cluster J is 0.
        """
        mass: dict[str, float] = {}
        ids: list[str] = []
        for fact in self.credited(person, t):
            competences = data_list(fact, "competences")
            if not competences:
                continue
            weight = self.w(t, fact.occurred_at)
            ids.append(fact.event_id)
            for competence in competences:
                cluster = self.cluster(competence)
                mass[cluster] = mass.get(cluster, 0.0) + weight
        target = float(self.model.competence_clusters)
        if not mass:
            return self.make_sub("P5", None, target=target)
        n = len(mass)
        total = sum(mass[c] for c in sorted(mass))
        entropy = -sum(
            (m / total) * math.log(m / total) for c in sorted(mass) if (m := mass[c]) > 0
        )
        evenness = entropy / math.log(n) if n > 1 and total > 0 else 0.0
        return self.make_sub(
            "P5",
            100 * evenness * sat(n, target),
            numerator=float(n),
            target=target,
            ids=ids,
            details={"clusters": float(n), "evenness": evenness},
        )

    def _p6(self, person: str, t: float) -> SubScore:
        """P6 sharing: ``100 * sat(sum w * outflow * (1 + cross_team), 12/year)`` (SECI).

        Each share is one unit of outflow; ``cross_team`` is the share of its recipients outside
        the sharer's teams at that moment (a person in none of them, a team that is not theirs;
        an organisation-wide share crosses), so a recipient in another team counts double.
        """
        target = self.target(self.model.shares_per_year)
        shares = self.index.own_facts(person, K_SHARED).between(t - self.window, t)
        if not shares:
            return self.make_sub("P6", None, target=target)
        total = 0.0
        crossing_total = 0.0
        for share in shares:
            own_teams = self.index.teams_of(person, share.occurred_at)
            crossing = recipients = 0
            for recipient in data_list(share, "to_persons"):
                recipients += 1
                theirs = self.index.teams_of(recipient, share.occurred_at)
                crossing += bool(theirs) and not (theirs & own_teams)
            for team in data_list(share, "to_teams"):
                recipients += 1
                crossing += team not in own_teams
            if share.data.get("organisation_wide"):
                recipients += 1
                crossing += 1
            cross = crossing / recipients if recipients else 0.0
            weight = self.w(t, share.occurred_at)
            total += weight * (1 + cross)
            crossing_total += weight * cross
        return self.make_sub(
            "P6",
            100 * sat(total, target),
            numerator=total,
            target=target,
            ids=[s.event_id for s in shares],
            details={"crossing_weight": crossing_total},
        )

    def goals(self, person: str, t: float) -> list[tuple[Fact, Fact | None, list[Fact]]]:
        """The person's goals set at or before ``t``: (set, latest review, reviews) each."""
        reviews: dict[str, list[Fact]] = {}
        for review in self.index.own_facts(person, K_GOAL_REVIEWED).until(t):
            reviews.setdefault(str(review.data.get("goal_id")), []).append(review)
        found = []
        for goal in self.index.own_facts(person, K_GOAL_SET).until(t):
            goal_reviews = reviews.get(str(goal.data.get("goal_id")), [])
            found.append((goal, goal_reviews[-1] if goal_reviews else None, goal_reviews))
        return found

    def _p7(self, person: str, t: float) -> SubScore:
        """P7 mastery: ``100/3 ([an active goal] + [one linked to a value] + [reviewed])`` (Senge).

        Active: its latest review (if any) leaves it active, and it was set or reviewed in the
        window. Linked: an active goal names a vision value. Reviewed: a goal review in the last
        180 days.
        """
        goals = self.goals(person, t)
        if not goals:
            return self.make_sub("P7", None, target=3.0)
        low = t - self.window
        review_low = t - self.model.goal_review_days * SECONDS_PER_DAY
        active = []
        for goal, latest, reviews in goals:
            status = latest.data.get("status", "active") if latest is not None else "active"
            recent = low <= goal.occurred_at or any(low <= r.occurred_at for r in reviews)
            if status == "active" and recent:
                active.append(goal)
        linked = [g for g in active if data_list(g, "values")]
        reviewed = [r for _, _, rs in goals for r in rs if review_low <= r.occurred_at <= t]
        terms = [float(bool(active)), float(bool(linked)), float(bool(reviewed))]
        value = weighted_terms(terms, self.model.terms("P7"))
        return self.make_sub(
            "P7",
            None if value is None else 100 * value,
            numerator=sum(terms),
            target=3.0,
            ids=[g.event_id for g in active] + [r.event_id for r in reviewed],
            details={"active_goal": terms[0], "linked_goal": terms[1], "reviewed_goal": terms[2]},
        )

    def _owned(self, person: str, t: float) -> list[Experiment]:
        return [
            e
            for e in self.index.owned.get(person, ())
            if e.start is not None and e.start.occurred_at <= t
        ]

    def _experiments(
        self, experiments: Iterable[Experiment], t: float
    ) -> tuple[list[Experiment], float, int, int]:
        """Experiments of the window: (relevant, decayed starts, evaluated, overdue).

        Relevant: started in the window, or started before and evaluated in the window.
        Overdue: not evaluated at ``t`` and ``t`` is past its review date (UTC).
        """
        low, today = t - self.window, _day_of(t)
        relevant: list[Experiment] = []
        started = 0.0
        evaluated = overdue = 0
        for experiment in experiments:
            start = experiment.start
            if start is None or start.occurred_at > t:
                continue
            evaluation = experiment.evaluation
            done = evaluation is not None and evaluation.occurred_at <= t
            in_window = start.occurred_at >= low or (
                done and evaluation is not None and evaluation.occurred_at >= low
            )
            if not in_window:
                continue
            relevant.append(experiment)
            started += self.w(t, start.occurred_at)
            if done:
                evaluated += 1
            elif date.fromisoformat(str(start.data["review_by"])) < today:
                overdue += 1
        return relevant, started, evaluated, overdue

    def _experiment_ids(self, experiments: list[Experiment], t: float) -> list[str]:
        return [
            f.event_id
            for e in experiments
            for f in (e.start, e.evaluation)
            if f is not None and f.occurred_at <= t
        ]

    def _p8(self, person: str, t: float) -> SubScore:
        """P8 experimenting: ``100 (1/2 sat(involved, 1/yr) + 1/2 evaluated/(evaluated+overdue))``.

        Garvin's experimentation; NJi element 2 (dealing with uncertainty). Involved: owner of
        the experiment. With nothing due yet the on-time term is left out.
        """
        target = self.target(self.model.person_experiments_per_year)
        relevant, started, evaluated, overdue = self._experiments(self._owned(person, t), t)
        if not relevant:
            return self.make_sub("P8", None, target=target)
        on_time = evaluated / (evaluated + overdue) if evaluated + overdue else None
        value = weighted_terms([sat(started, target), on_time], self.model.terms("P8"))
        return self.make_sub(
            "P8",
            None if value is None else 100 * value,
            numerator=started,
            target=target,
            ids=self._experiment_ids(relevant, t),
            details={"evaluated": float(evaluated), "overdue": float(overdue), "on_time": on_time},
        )

    # ------------------------------------------------------------------ team

    def team(self, team: str, t: float) -> Scored:
        """G1..G8 of ``team`` at ``t``."""
        cached = self._teams.get((team, t))
        if cached is not None:
            return cached
        g1, member_ids = self._g1(team, t)
        subs = {
            "G1": g1,
            "G2": self._g2(team, t),
            "G3": self._g3(team, t),
            "G4": self._g4(team, t),
            "G5": self.flow.g5(team, t) if self.flow else self.make_sub("G5", None),
            "G6": self.flow.g6(team, t) if self.flow else self.make_sub("G6", None),
            "G7": self._g7(team, t),
            "G8": self._g8(team, t),
        }
        ids = {str(i) for c, s in subs.items() if c != "G1" for i in s.event_ids} | member_ids
        scored = self._level("team", subs, ids)
        self._teams[(team, t)] = scored
        return scored

    def _g1(self, team: str, t: float) -> tuple[SubScore, set[str]]:
        """G1 members: the median of the person scores of the members at ``t`` (with the IQR)."""
        members = self.index.members(team, t)
        scores: list[float] = []
        ids: set[str] = set()
        for period in members:
            scored = self.person(period.person, t)
            if scored.score is not None:
                scores.append(scored.score)
                ids |= scored.ids
        if not scores:
            return self.make_sub("G1", None, details={"members": float(len(members))}), set()
        scores.sort()
        median = statistics.median(scores)
        if len(scores) > 1:
            q1, _, q3 = statistics.quantiles(scores, n=4, method="inclusive")
        else:
            q1 = q3 = scores[0]
        sub = self.make_sub(
            "G1",
            median,
            numerator=median,
            ids=ids,
            details={
                "members": float(len(members)),
                "scored_members": float(len(scores)),
                "q1": q1,
                "q3": q3,
                "iqr": q3 - q1,
            },
        )
        return sub, ids

    def _g2(self, team: str, t: float) -> SubScore:
        """G2 team learning: ``100 (1/2 sat(intervisions, 6/yr) + 1/2 regularity)``.

        Regularity: the share of 8-week slots, counted back from ``t`` over the window, with at
        least one intervision; slots that ended before the team's first recorded event are left
        out (the team did not exist yet).
        """
        target = self.target(self.model.intervisions_per_year)
        sessions = self.index.team_kind(team, K_INTERVISION).between(t - self.window, t)
        if not sessions:
            return self.make_sub("G2", None, target=target)
        count = sum(self.w(t, s.occurred_at) for s in sessions)
        slot = self.model.regularity_slot_days * SECONDS_PER_DAY
        slots = int(self.window // slot)
        record = self.index.teams.get(team)
        first = record.first_at if record is not None else -math.inf
        eligible = filled = 0
        for k in range(slots):
            end, start = t - k * slot, t - (k + 1) * slot
            if end < first:
                continue
            eligible += 1
            filled += any(start < s.occurred_at <= end for s in sessions)
        regularity = filled / eligible if eligible else None
        value = weighted_terms([sat(count, target), regularity], self.model.terms("G2"))
        return self.make_sub(
            "G2",
            None if value is None else 100 * value,
            numerator=count,
            target=target,
            ids=[s.event_id for s in sessions],
            details={"regularity": regularity, "slots": float(eligible), "filled": float(filled)},
        )

    def _g3(self, team: str, t: float) -> SubScore:
        """G3 experimenting: ``100 (1/2 sat(started, 2/yr) + 1/2 evaluated/(evaluated + overdue))``

        Garvin's experimentation; NJi element 2. With nothing due yet the on-time term is left out.
        """
        target = self.target(self.model.team_experiments_per_year)
        mine = [e for (owner, _), e in sorted(self.index.experiments.items()) if owner == team]
        relevant, started, evaluated, overdue = self._experiments(mine, t)
        if not relevant:
            return self.make_sub("G3", None, target=target)
        on_time = evaluated / (evaluated + overdue) if evaluated + overdue else None
        value = weighted_terms([sat(started, target), on_time], self.model.terms("G3"))
        return self.make_sub(
            "G3",
            None if value is None else 100 * value,
            numerator=started,
            target=target,
            ids=self._experiment_ids(relevant, t),
            details={"evaluated": float(evaluated), "overdue": float(overdue), "on_time": on_time},
        )

    def _consultations(self, team: str, low: float, t: float) -> list[Fact]:
        """Case consultations the team hosted or took part in as a guest team."""
        hosted = self.index.team_kind(team, K_CONSULTATION).between(low, t)
        guest = [
            f
            for f in self.index.kind(K_CONSULTATION).between(low, t)
            if f.stream != team and team in data_list(f, "teams")
        ]
        return sorted([*hosted, *guest], key=lambda f: f.position)

    def _g4(self, team: str, t: float) -> SubScore:
        """G4 integrating: ``100 sat(lessons / (evaluated experiments + consultations), 0.5)``.

        4I: interpreting and integrating. Consultations the team hosted or joined as a guest.
        """
        low = t - self.window
        lessons = self.index.team_kind(team, K_LESSON).between(low, t)
        evaluations = self.index.team_kind(team, K_EVALUATED).between(low, t)
        consultations = self._consultations(team, low, t)
        target = self.model.lessons_ratio
        if not lessons and not evaluations and not consultations:
            return self.make_sub("G4", None, target=target)
        lesson_w = sum(self.w(t, f.occurred_at) for f in lessons)
        basis_w = sum(self.w(t, f.occurred_at) for f in (*evaluations, *consultations))
        ratio = lesson_w / basis_w if basis_w > 0 else (math.inf if lesson_w > 0 else 0.0)
        return self.make_sub(
            "G4",
            100 * sat(ratio, target),
            numerator=ratio if math.isfinite(ratio) else None,
            target=target,
            ids=[f.event_id for f in (*lessons, *evaluations, *consultations)],
            details={"lessons": lesson_w, "evaluations_and_consultations": basis_w},
        )

    def _g7(self, team: str, t: float) -> SubScore:
        """G7 vision: ``100 (2/3 share linked to a value + 1/3 sat(vision dialogues, 2/yr))``.

        Items: development goals set by members of the team (at that moment), experiments the
        team started and lessons it captured, in the window. Dialogues: the team's own, and
        organisation-wide dialogues a member took part in.
        """
        index, low = self.index, t - self.window
        target = self.target(self.model.vision_dialogues_per_year)
        items: list[Fact] = list(index.team_kind(team, K_STARTED).between(low, t))
        items += index.team_kind(team, K_LESSON).between(low, t)
        for person in sorted(index.ever_members(team, low, t)):
            items += [
                g
                for g in index.own_facts(person, K_GOAL_SET).between(low, t)
                if team in index.teams_of(person, g.occurred_at)
            ]
        dialogues = list(index.team_kind(team, K_DIALOGUE).between(low, t))
        for dialogue in index.org_kind(K_DIALOGUE).between(low, t):
            members = {p.person for p in index.members(team, dialogue.occurred_at)}
            if members & set(data_list(dialogue, "participants")):
                dialogues.append(dialogue)
        if not items and not dialogues:
            return self.make_sub("G7", None, target=target)
        items.sort(key=lambda f: f.position)
        item_w = sum(self.w(t, f.occurred_at) for f in items)
        linked_w = sum(self.w(t, f.occurred_at) for f in items if data_list(f, "values"))
        share = linked_w / item_w if item_w > 0 else None
        dialogue_w = sum(self.w(t, f.occurred_at) for f in sorted(dialogues, key=_pos))
        value = weighted_terms([share, sat(dialogue_w, target)], self.model.terms("G7"))
        return self.make_sub(
            "G7",
            None if value is None else 100 * value,
            numerator=dialogue_w,
            target=target,
            ids=[f.event_id for f in (*items, *dialogues)],
            details={"linked_share": share, "dialogues": dialogue_w},
        )

    def _climate(self, code: str, measurement: Fact | None) -> SubScore:
        if measurement is None:
            return self.make_sub(code, None)
        means = measurement.data.get("dimension_means") or {}
        scale = float(measurement.data.get("scale", 0))
        if not means or scale <= 1:
            return self.make_sub(code, None)
        mean = sum(float(means[k]) for k in means) / len(means)
        return self.make_sub(
            code,
            100 * (mean - 1) / (scale - 1),
            numerator=mean,
            target=scale,
            ids=[measurement.event_id],
            details={"mean": mean, "scale": scale},
        )

    def _g8(self, team: str, t: float) -> SubScore:
        """G8 climate (optional): ``100 (mean - 1)/(scale - 1)`` of the latest measurement."""
        return self._climate("G8", self.index.team_kind(team, K_CLIMATE).latest(t))

    # ------------------------------------------------------------------ organisation

    def team_fte(self, team: str, t: float) -> float:
        """The summed FTE of the team's members at ``t``."""
        return sum(p.fte for p in self.index.members(team, t))

    def organisation(self, t: float) -> Scored:
        """O1..O7 of the organisation at ``t``."""
        o1, team_ids = self._o1(t)
        subs = {
            "O1": o1,
            "O2": self._o2(t),
            "O3": self._o3(t),
            "O4": self.flow.o4(t) if self.flow else self.make_sub("O4", None),
            "O5": self.flow.o5(t) if self.flow else self.make_sub("O5", None),
            "O6": self._o6(t),
            "O7": self._o7(t),
        }
        ids = {str(i) for c, s in subs.items() if c != "O1" for i in s.event_ids} | team_ids
        return self._level("organisation", subs, ids)

    def _o1(self, t: float) -> tuple[SubScore, set[str]]:
        """O1 teams: the FTE-weighted mean of team scores (with the minimum, share below 50)."""
        pairs: list[tuple[float, float]] = []
        ids: set[str] = set()
        teams = self.index.teams_at(t)
        for team in teams:
            fte = self.team_fte(team, t)
            scored = self.team(team, t)
            if scored.score is None or fte <= 0:
                continue
            pairs.append((fte, scored.score))
            ids |= scored.ids
        if not pairs:
            return self.make_sub("O1", None, details={"teams": float(len(teams))}), set()
        total = sum(f for f, _ in pairs)
        mean = sum(f * s for f, s in pairs) / total
        low = self.model.low_team_score
        sub = self.make_sub(
            "O1",
            mean,
            numerator=mean,
            ids=ids,
            details={
                "teams": float(len(teams)),
                "scored_teams": float(len(pairs)),
                "minimum": min(s for _, s in pairs),
                "share_below": sum(1 for _, s in pairs if s < low) / len(pairs),
                "fte": total,
            },
        )
        return sub, ids

    def _o2(self, t: float) -> SubScore:
        """O2 institutionalising: ``100 (1/2 sat(conversion, 0.3) + 1/2 sat(practices, 4/yr))``.

        Conversion: the weighted share of organisation-scope lessons and adopted experiments in
        the window that led to a practice (``derived_from`` or ``refs``) within 12 months and by
        ``t``. Candidates still inside their 12 months count as not (yet) converted.
        """
        index, low = self.index, t - self.window
        horizon = self.model.conversion_days * SECONDS_PER_DAY
        target = self.target(self.model.practices_per_year)
        candidates: list[tuple[Fact, tuple[str, ...]]] = [
            (f, (f.event_id,))
            for f in index.kind(K_LESSON).between(low, t)
            if f.data.get("scope") == "organisation"
        ]
        for evaluation in index.kind(K_EVALUATED).between(low, t):
            if evaluation.data.get("result") != "adopt":
                continue
            experiment = index.experiments.get(
                (evaluation.stream, str(evaluation.data["experiment_id"]))
            )
            start = experiment.start if experiment is not None else None
            targets = (evaluation.event_id,) + ((start.event_id,) if start else ())
            candidates.append((evaluation, targets))
        practices = index.org_kind(K_PRACTICE).between(low, t)
        if not candidates and not practices:
            return self.make_sub("O2", None, target=target)
        converted_w = candidate_w = 0.0
        ids: list[str] = [p.event_id for p in practices]
        for candidate, targets in sorted(candidates, key=lambda c: c[0].position):
            weight = self.w(t, candidate.occurred_at)
            candidate_w += weight
            ids.append(candidate.event_id)
            if any(
                candidate.occurred_at <= p.occurred_at <= t
                and p.occurred_at - candidate.occurred_at <= horizon
                for target_id in targets
                for p in index.practices_from.get(target_id, ())
            ):
                converted_w += weight
        conversion = converted_w / candidate_w if candidate_w > 0 else None
        practice_w = sum(self.w(t, p.occurred_at) for p in practices)
        value = weighted_terms(
            [
                None if conversion is None else sat(conversion, self.model.conversion_share),
                sat(practice_w, target),
            ],
            self.model.terms("O2"),
        )
        return self.make_sub(
            "O2",
            None if value is None else 100 * value,
            numerator=practice_w,
            target=target,
            ids=ids,
            details={"conversion": conversion, "practices": practice_w},
        )

    def size(self, t: float) -> float:
        """The organisation's size at ``t``: summed FTE of team members, else persons."""
        fte = sum(self.team_fte(team, t) for team in self.index.teams_at(t))
        if fte > 0:
            return fte
        return float(sum(1 for at in self.index.persons.values() if at <= t))

    def _o3(self, t: float) -> SubScore:
        """O3 absorptive capacity: the geometric mean of ``sat(volume, target)`` of four stages.

        Cohen and Levinthal, in Zahra and George's four stages: acquisition (external knowledge
        acquired), assimilation (knowledge shared, advice sought), transformation (lessons,
        assumptions revised), exploitation (experiments started, practices). Targets are
        yearly norms per FTE times the organisation's FTE at ``t``.
        """
        low = t - self.window
        model = self.model
        stages = {
            "acquisition": ((K_EXTERNAL,), model.acquisition_per_fte_per_year),
            "assimilation": ((K_SHARED, K_ADVICE), model.assimilation_per_fte_per_year),
            "transformation": ((K_LESSON, K_ASSUMPTION), model.transformation_per_fte_per_year),
            "exploitation": ((K_STARTED, K_PRACTICE), model.exploitation_per_fte_per_year),
        }
        size = self.size(t)
        volumes: dict[str, float] = {}
        ids: list[str] = []
        for stage, (kinds, _) in stages.items():
            facts = sorted((f for k in kinds for f in self.index.kind(k).between(low, t)), key=_pos)
            volumes[stage] = sum(self.w(t, f.occurred_at) for f in facts)
            ids += [f.event_id for f in facts]
        if not ids or size <= 0:
            return self.make_sub("O3", None, details={"size": size})
        sats = {
            stage: sat(volumes[stage], self.target(norm * size))
            for stage, (_, norm) in stages.items()
        }
        value = math.prod(sats.values()) ** (1 / len(sats))
        return self.make_sub(
            "O3",
            100 * value,
            numerator=volumes["acquisition"],
            target=self.target(model.acquisition_per_fte_per_year * size),
            ids=ids,
            details={"size": size, **volumes, **{f"{k}_sat": v for k, v in sats.items()}},
        )

    def _o6(self, t: float) -> SubScore:
        """O6 vision: the weighted share of goals, experiments and lessons linked to a value
        that was defined, revised or discussed in a vision dialogue in the last 24 months."""
        low = t - self.window
        revisit = self.model.value_revisit_days * SECONDS_PER_DAY
        items = sorted(
            (
                f
                for k in (K_GOAL_SET, K_STARTED, K_LESSON)
                for f in self.index.kind(k).between(low, t)
            ),
            key=_pos,
        )
        if not items:
            return self.make_sub("O6", None, target=1.0)
        total = linked = 0.0
        for item in items:
            weight = self.w(t, item.occurred_at)
            total += weight
            for value in data_list(item, "values"):
                touched = self.index.value_touched(value, t)
                if touched is not None and t - touched <= revisit:
                    linked += weight
                    break
        share = linked / total if total > 0 else None
        return self.make_sub(
            "O6",
            None if share is None else 100 * share,
            numerator=share,
            target=1.0,
            ids=[f.event_id for f in items],
            details={"linked": linked, "items": total},
        )

    def _o7(self, t: float) -> SubScore:
        """O7 climate (optional): the latest DLOQ-21 or LOS-27 of the organisation, rescaled."""
        instruments = set(self.model.organisation_climate_instruments)
        found = [
            f
            for f in self.index.org_kind(K_CLIMATE).until(t)
            if f.data.get("instrument") in instruments
        ]
        return self._climate("O7", found[-1] if found else None)


# ------------------------------------------------------------------ how far back a moment reads

K_RETRACTED = kind_of(ev.EventRetracted)

#: Fact kinds a score at ``t`` may read whatever their time, even after ``t``: registrations
#: (the first or last recorded one wins), dissolutions and memberships (validity periods are
#: built from every change), experiment starts and evaluations (the last recorded of each
#: experiment counts, and an experiment started long ago is judged when it is evaluated) and
#: retractions (they can remove any fact, whenever it occurred).
WHOLE_HISTORY_KINDS: frozenset[str] = frozenset(
    {
        K_ORGANISATION_REGISTERED,
        K_TEAM_REGISTERED,
        K_TEAM_DISSOLVED,
        K_PERSON_REGISTERED,
        K_JOINED,
        K_LEFT,
        K_STARTED,
        K_EVALUATED,
        K_RETRACTED,
    }
)

#: Kinds read at any time up to ``t``: goals and their reviews (P7: an active goal may have been
#: set long ago and reviewed lately; its latest review decides), climate measurements (G8, O7:
#: the latest one, however old).
UNTIL_T_KINDS: frozenset[str] = frozenset({K_GOAL_SET, K_GOAL_REVIEWED, K_CLIMATE})

#: Kinds whose facts count through O6's "value revisited in the last 24 months" as well as the
#: window: value definitions and revisions, and vision dialogues (which revisit their values).
REVISIT_KINDS: frozenset[str] = frozenset({K_VALUE_DEFINED, K_VALUE_REVISED, K_DIALOGUE})


def lookbacks(model: CapacityModel) -> dict[str, float]:
    """How long before a moment ``t`` (seconds) a fact of each kind can still change a score at
    ``t``; ``math.inf``: any time before ``t``. Kinds of ``WHOLE_HISTORY_KINDS`` are left out:
    they are read whatever their time. Facts that occur after ``t`` never count otherwise.

    Every other kind is read only inside the window ``[t - W, t]``: P1..P6, G2, G4, G7, O2, O3
    and the flow sub-scores take their facts with ``between(t - W, t)``, and the follow-ups and
    practices that close a P2 cycle or convert an O2 candidate occur between that candidate (in
    the window) and ``t``. Two reads reach further, and the capacity loader completes them:

    - G2 regularity and O1's teams at ``t`` start a team at its first recorded fact, of any kind
      (``TeamRecord.first_at``): one fact of the team older than every cut is enough;
    - an own reflection of the form "intervision" or "case-consultation" in the window that
      refers to an older session of the person is merged away (P1, P3): those sessions.

    A change to a sub-score that reads older facts must change this table (or those two
    completions); ``tests/property/test_capacity_window.py`` compares every level with and
    without the cut on random histories.
    """
    window = model.window_days * SECONDS_PER_DAY
    revisit = max(window, model.value_revisit_days * SECONDS_PER_DAY)
    table: dict[str, float] = {}
    for cls in FACT_FIELDS:
        kind = kind_of(cls)
        if kind in WHOLE_HISTORY_KINDS:
            continue
        if kind in UNTIL_T_KINDS:
            table[kind] = math.inf
        elif kind in REVISIT_KINDS:
            table[kind] = revisit
        else:
            table[kind] = window
    return table


def _pos(fact: Fact) -> int:
    return fact.position


class _NoTimeline:
    def between(self, low: float, high: float) -> list[Fact]:
        return []


_NO_TIMELINE = _NoTimeline()


class FlowScores:
    """The knowledge-flow sub-scores (G5, G6, O4, O5), given by the flow adapter."""

    def g5(self, team: str, t: float) -> SubScore:  # pragma: no cover - interface
        """G5 boundary crossing."""
        raise NotImplementedError

    def g6(self, team: str, t: float) -> SubScore:  # pragma: no cover - interface
        """G6 cohesion."""
        raise NotImplementedError

    def o4(self, t: float) -> SubScore:  # pragma: no cover - interface
        """O4 connectedness."""
        raise NotImplementedError

    def o5(self, t: float) -> SubScore:  # pragma: no cover - interface
        """O5 resilience."""
        raise NotImplementedError


__all__ = [
    "CATALOGUE",
    "K_RETRACTED",
    "REVISIT_KINDS",
    "UNTIL_T_KINDS",
    "WHOLE_HISTORY_KINDS",
    "FlowScores",
    "Reflection",
    "Scored",
    "Scorer",
    "lookbacks",
    "sat",
    "weighted_terms",
]
