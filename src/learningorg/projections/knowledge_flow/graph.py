"""The knowledge-flow graphs of persons and teams, built from the history (projections layer).

DESIGN.md section 6. Every flow event contributes weight from a knowledge *source* to a
*recipient*; the contributions are decayed as in section 5 and summed per pair of persons:

- ``KnowledgeShared``: the sharer to each listed person (1 each); a team share spreads 1 over the
  team's members at that moment (the sharer left out), an organisation-wide share spreads 1 over
  everyone in any team at that moment;
- ``AdviceSought``: the adviser to the seeker (advice from an external source has no node);
- ``IntervisionHeld`` and ``CaseConsultationHeld``: each ordered pair of the ``n`` participants
  ``1/(n - 1)``, and every participant to the case owner 1 more;
- ``LearningActivityCompleted`` with a ``practice_id``: each author of that practice
  (``PracticeInstitutionalised.authors``) to the learner, 1 each.

An event at ``t_e`` evaluated at ``t`` weighs ``2^(-(t - t_e)/h)`` when ``0 <= t - t_e <= W``,
else nothing. Each contribution remembers the teams of its source and recipient *at the event's
time*, so the team graph is the exact quotient by membership then, not by membership at ``t``.
"""

from __future__ import annotations

import math
from bisect import bisect_right
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, TypedDict
from uuid import UUID

import networkx as nx

from learningorg._collector import collector_paused
from learningorg.domain import events as ev
from learningorg.domain.errors import InvalidValueError
from learningorg.projections.history import History, check_moment
from learningorg.projections.knowledge_flow.source import StoredHistory

if TYPE_CHECKING:
    from learningorg.application import HistoryEntry

SECONDS_PER_DAY = 86_400.0
DEFAULT_HALF_LIFE_DAYS = 180.0
DEFAULT_WINDOW_DAYS = 365.0

#: The channels a flow can take, in the order of their bits in ``_Flows``.
CHANNELS: tuple[str, ...] = (
    "knowledge-shared",
    "advice",
    "intervision",
    "case-consultation",
    "practice",
)
_SHARED, _ADVICE, _INTERVISION, _CONSULTATION, _PRACTICE = (1 << i for i in range(len(CHANNELS)))
#: Separator of the channel names in the ``channels`` edge attribute (a string, so GraphML works).
CHANNEL_SEPARATOR = ","

#: The team index that means "in no team at that moment".
_NO_TEAM = 0
#: A group index that means "everyone in any team at that moment".
_EVERYONE = -1


#: A pair of team keys (``None``: in no team at the time).
TeamPair = tuple[str | None, str | None]

#: What the graphs are built from: a ``History`` in memory, or a ``StoredHistory`` that streams
#: its flow events from the store (memory bounded by persons and teams, not events).
FlowHistory = History | StoredHistory


def _flow_entries(history: FlowHistory, window: Window) -> Iterable[HistoryEntry]:
    """The entries the flow loop reads, in the store's order: all of them for a ``History``;
    from a store, the flow events that may fall in ``window`` (the loop checks it exactly)."""
    if isinstance(history, History):
        return history.entries
    return history.flow_entries((window.low, window.high))


def _structure_entries(history: FlowHistory) -> list[HistoryEntry]:
    """The entries that hold the practices (all of them for a ``History``)."""
    return history.entries if isinstance(history, History) else history.structure.entries


class WindowOptions(TypedDict, total=False):
    """The evaluation moment and the window of event times a graph is built for."""

    as_of: datetime | None
    since: datetime | None
    until: datetime | None
    half_life_days: float
    window_days: float | None


class KnowledgeFlowGraph(nx.DiGraph):  # type: ignore[misc]  # networkx ships no type hints
    """A ``networkx.DiGraph`` of knowledge flow that remembers its flow per pair of teams.

    ``team_flow`` maps ``(source team key, recipient team key)`` (``None``: in no team) to the
    summed contributions between them, each taken with the teams *at the event's time*. It is
    what ``build_team_graph`` needs to quotient a person graph exactly; a copy of the graph
    (``G.copy()``, a subgraph, a graph read back from a file) does not carry it.
    """

    team_flow: dict[TeamPair, FlowTotals] | None = None
    #: The teams that exist at ``t``, by key: ``name``, ``members`` (at ``t``), ``organisation``.
    team_nodes: dict[str, dict[str, Any]] | None = None


@dataclass(slots=True)
class FlowTotals:
    """Summed contributions: decayed weight, number of contributions, channels, first and last."""

    weight: float = 0.0
    count: int = 0
    channels: int = 0
    first: float = math.inf
    last: float = -math.inf

    def add(self, weight: float, count: int, channels: int, first: float, last: float) -> None:
        """Add contributions to the totals."""
        self.weight += weight
        self.count += count
        self.channels |= channels
        self.first = min(self.first, first)
        self.last = max(self.last, last)


@dataclass(frozen=True, slots=True)
class Window:
    """The evaluation moment ``t`` and the bounds of event times that count (timestamps)."""

    at: datetime
    since: datetime | None
    until: datetime | None
    half_life_days: float
    window_days: float | None

    @property
    def low(self) -> float:
        """The earliest event timestamp that counts."""
        low = (
            -math.inf if self.window_days is None else self._t - self.window_days * SECONDS_PER_DAY
        )
        return low if self.since is None else max(low, self.since.timestamp())

    @property
    def high(self) -> float:
        """The latest event timestamp that counts."""
        high = self._t
        return high if self.until is None else min(high, self.until.timestamp())

    @property
    def _t(self) -> float:
        return self.at.timestamp()

    def graph_attributes(self, organisation: str, level: str) -> dict[str, Any]:
        """The graph-level attributes of a graph built for this window (no ``None`` values)."""
        attributes: dict[str, Any] = {
            "level": level,
            "organisation": organisation,
            "as_of": self.at,
            "half_life_days": self.half_life_days,
        }
        if self.window_days is not None:
            attributes["window_days"] = self.window_days
        if self.since is not None:
            attributes["since"] = self.since
        if self.until is not None:
            attributes["until"] = self.until
        return attributes


def make_window(
    *,
    as_of: datetime | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
    half_life_days: float = DEFAULT_HALF_LIFE_DAYS,
    window_days: float | None = DEFAULT_WINDOW_DAYS,
    now: datetime | None = None,
) -> Window:
    """Check the window arguments and fix the evaluation moment ``t = as_of or until or now``.

    Raises ``NaiveDatetimeError`` for a datetime without a time zone and ``InvalidValueError``
    for a half-life that is not positive, a negative window, or ``since`` after ``until``.
    """
    as_of = check_moment(as_of, "as_of")
    since = check_moment(since, "since")
    until = check_moment(until, "until")
    now = check_moment(now, "now")
    if isinstance(half_life_days, bool) or not (
        isinstance(half_life_days, int | float) and half_life_days > 0
    ):
        msg = f"half_life_days {half_life_days!r} is not a positive number of days"
        raise InvalidValueError(msg)
    if window_days is not None and (
        isinstance(window_days, bool)
        or not isinstance(window_days, int | float)
        or not window_days >= 0
    ):
        msg = f"window_days {window_days!r} is not a number of days >= 0 (or None: no limit)"
        raise InvalidValueError(msg)
    if since is not None and until is not None and since > until:
        msg = (
            f"since {since.isoformat()} is after until {until.isoformat()}; "
            "pass a window whose start is not after its end"
        )
        raise InvalidValueError(msg)
    at = as_of or until or now or datetime.now(UTC)
    return Window(
        at,
        since,
        until,
        float(half_life_days),
        None if window_days is None else float(window_days),
    )


def channel_names(bits: int) -> str:
    """The channel names of a bit set, sorted and joined by ``CHANNEL_SEPARATOR``.

    Examples
    --------
    >>> channel_names(0b00110)
    'advice,intervision'
    """
    return CHANNEL_SEPARATOR.join(
        sorted(name for i, name in enumerate(CHANNELS) if bits & (1 << i))
    )


def _utc(timestamp: float) -> datetime:
    return datetime.fromtimestamp(timestamp, UTC)


# ---------------------------------------------------------------- membership at a moment


@dataclass
class _Membership:
    """Membership periods as timestamps, indexed for the flow loop.

    Persons are small integers (``person_index``, in order of first sight; ``uuids`` maps them
    back); teams are 1, 2, ... (``team_keys[i]``), 0 meaning "in no team".
    """

    team_ids: list[UUID | None]
    team_keys: list[str | None]
    team_index: dict[UUID, int]
    #: ``UUID.int`` of a person -> their small integer.
    person_index: dict[int, int]
    uuids: list[UUID]
    #: Per person: (start, end, team), in the order of ``Memberships.team_of``'s rank.
    by_person: dict[int, list[tuple[float, float, int]]]
    #: Per team (index 0 unused): (start, end, person).
    by_team: list[list[tuple[float, float, int]]]
    #: Every moment at which some membership starts or ends, sorted.
    changes: list[float]
    #: Per person: the team they are in throughout the window, or -1 (see ``fix_stable``).
    stable: list[int] = field(default_factory=list)
    _members: dict[tuple[int, int], list[int]] = field(default_factory=dict)
    _interned: dict[tuple[int, tuple[int, ...]], list[int]] = field(default_factory=dict)

    @classmethod
    def of(cls, history: FlowHistory) -> _Membership:
        """Index the membership periods of ``history``."""
        team_ids: list[UUID | None] = [None]
        team_ids += sorted(set(history.teams) | set(history.memberships.periods), key=str)
        index = {team: i for i, team in enumerate(team_ids) if team is not None}
        keys: list[str | None] = [
            None
            if team is None
            else history.teams[team].key
            if team in history.teams
            else str(team)
            for team in team_ids
        ]
        membership = cls(team_ids, keys, index, {}, [], {}, [[] for _ in team_ids], [])
        ranked: dict[int, list[tuple[float, float, str, int, float]]] = {}
        changes: set[float] = set()
        for team, periods in history.memberships.periods.items():
            i = index[team]
            for period in periods:
                start = period.start.timestamp()
                end = math.inf if period.end is None else period.end.timestamp()
                changes.add(start)
                if period.end is not None:
                    changes.add(end)
                person = membership.person(period.person)
                membership.by_team[i].append((start, end, person))
                ranked.setdefault(person, []).append((-period.fte, start, str(team), i, end))
        membership.by_person = {
            person: [(start, end, i) for _fte, start, _id, i, end in sorted(rows)]
            for person, rows in ranked.items()
        }
        membership.changes = sorted(changes)
        return membership

    def person(self, person: UUID) -> int:
        """The small integer of ``person`` (given on first sight)."""
        found = self.person_index.get(person.int)
        if found is None:
            found = self.person_index[person.int] = len(self.uuids)
            self.uuids.append(person)
            self.stable.append(_NO_TEAM)
        return found

    def fix_stable(self, low: float, high: float) -> None:
        """Note whose team stays the same for every moment in ``[low, high]``.

        ``stable[p]`` is that team (0: none), or -1 when the person's team changes inside the
        window and must be looked up at each event's time.
        """
        self.stable = [_NO_TEAM] * len(self.uuids)
        for person, rows in self.by_person.items():
            changes = any(low < start <= high or low < end <= high for start, end, _ in rows)
            self.stable[person] = -1 if changes else self.team_at(person, low)

    def team_at(self, person: int, moment: float) -> int:
        """The person's main team at ``moment`` (largest FTE, then earliest start), or 0."""
        for start, end, team in self.by_person.get(person, ()):
            if start <= moment < end:
                return team
        return _NO_TEAM

    def epoch(self, moment: float) -> int:
        """The stretch of time between two membership changes that holds ``moment``."""
        return bisect_right(self.changes, moment)

    def members(self, group: int, moment: float, epoch: int) -> list[int]:
        """The members of team ``group`` (or of any team: ``_EVERYONE``) at ``moment``.

        ``epoch`` is ``epoch(moment)``. The same list object is returned for every stretch in
        which the group had the same members (callers may group by its ``id``).
        """
        key = (group, epoch)
        found = self._members.get(key)
        if found is None:
            rows: Iterable[tuple[float, float, int]]
            if group == _EVERYONE:
                rows = (row for team in self.by_team for row in team)
            else:
                rows = self.by_team[group]
            content = tuple(sorted({p for start, end, p in rows if start <= moment < end}))
            found = self._interned.setdefault((group, content), list(content))
            self._members[key] = found
        return found


# ---------------------------------------------------------------- contributions


#: Summed contributions: ``[weight, count, channel bits, first timestamp, last timestamp]``.
Totals = list[Any]

#: Bits of a person's small integer in a packed contribution key.
_PERSON_BITS = 32
_PERSON_MASK = (1 << _PERSON_BITS) - 1


@dataclass
class Flows:
    """The window's contributions summed per (source, recipient, source team, recipient team).

    Two tables, keyed by packed integers (fast to hash): ``fixed`` for pairs of persons whose
    teams did not change in the window (key ``source << 32 | recipient``; their teams are
    ``membership.stable``), and ``moving`` for the others (key ``(source << 32 | recipient)
    << 2b | source team << b | recipient team``, ``b = team_bits``).
    Persons are ``membership``'s small integers, teams its team indices (0: no team). Each value
    is a ``Totals`` list: ``[weight, count, channel bits, first, last]`` (timestamps).
    """

    window: Window
    membership: _Membership
    fixed: dict[int, Totals]
    moving: dict[int, Totals]
    team_bits: int


def _practice_authors(history: FlowHistory, moment: float) -> dict[str, tuple[UUID, ...]]:
    """The authors of each practice institutionalised by ``moment`` (the first record wins)."""
    authors: dict[str, tuple[UUID, ...]] = {}
    for entry in _structure_entries(history):
        event = entry.event
        if type(event) is ev.PracticeInstitutionalised and event.occurred_at.timestamp() <= moment:
            authors.setdefault(event.practice_id, tuple(dict.fromkeys(event.authors)))
    return authors


def flow_contributions(history: FlowHistory, window: Window) -> Flows:
    """Sum every flow event's contributions in ``window`` (the core of both graphs).

    One pass over the history. Team and organisation-wide shares that go to one group only are
    summed per (sharer, group, stretch between membership changes) and spread over the group's
    members once at the end: within such a stretch nobody joins or leaves, so this gives the
    same sums as spreading every share on its own.

    The loop is written for speed (a million events in seconds on a small machine), which is
    why the common paths are spelled out in line: persons are small integers, a contribution's
    key is one packed integer, and the teams of persons whose team does not change in the
    window are not looked up per event (see ``Flows``).
    """
    membership = _Membership.of(history)
    low, high = window.low, window.high
    membership.fix_stable(low, high)
    t = window.at.timestamp()
    scale = window.half_life_days * SECONDS_PER_DAY
    exp2 = math.exp2
    stable = membership.stable
    team_at = membership.team_at
    pidx = membership.person_index
    new_person = membership.person
    pb = _PERSON_BITS
    tb = max(1, len(membership.team_ids).bit_length())
    sh = 2 * tb
    fixed: dict[int, Totals] = {}
    moving: dict[int, Totals] = {}
    get_fixed = fixed.get
    groups: dict[tuple[int, int, int], list[float]] = {}
    authors = _practice_authors(history, t)
    shared_t, advice_t = ev.KnowledgeShared, ev.AdviceSought
    intervision_t, consultation_t = ev.IntervisionHeld, ev.CaseConsultationHeld
    practice_t = ev.LearningActivityCompleted

    def person(uuid: UUID) -> int:
        found = pidx.get(uuid.int)
        return new_person(uuid) if found is None else found

    def add(s: int, r: int, amount: float, count: int, bit: int, first: float, last: float) -> None:
        team_s, team_r = stable[s], stable[r]
        if team_s >= 0 and team_r >= 0:
            key, table = (s << pb) | r, fixed
        else:
            if team_s < 0:
                team_s = team_at(s, first)
            if team_r < 0:
                team_r = team_at(r, first)
            key, table = (((s << pb) | r) << sh) | (team_s << tb) | team_r, moving
        found = table.get(key)
        if found is None:
            table[key] = [amount, count, bit, first, last]
        else:
            found[0] += amount
            found[1] += count
            found[2] |= bit
            if first < found[3]:
                found[3] = first
            if last > found[4]:
                found[4] = last

    def share_to_groups(event: ev.KnowledgeShared, s: int, te: float, w: float) -> None:
        """A share that goes to teams or everyone (perhaps to persons as well)."""
        to_teams = tuple(dict.fromkeys(event.to_teams))
        epoch = membership.epoch(te)
        if not event.to_persons and len(to_teams) + event.organisation_wide == 1:
            # one group only: sum per (sharer, group, stretch), spread over it at the end
            group = _EVERYONE if event.organisation_wide else membership.team_index.get(to_teams[0])
            if group is None:
                return
            acc = groups.get((s, group, epoch))
            if acc is None:
                groups[(s, group, epoch)] = [w, 1, te, te]
            else:
                acc[0] += w
                acc[1] += 1
                acc[2] = min(acc[2], te)
                acc[3] = max(acc[3], te)
            return
        received = {r: 1.0 for r in map(person, event.to_persons) if r != s}
        spread = [membership.team_index[x] for x in to_teams if x in membership.team_index]
        if event.organisation_wide:
            spread.append(_EVERYONE)
        for group in spread:
            others = [p for p in membership.members(group, te, epoch) if p != s]
            for r in others:
                received[r] = received.get(r, 0.0) + 1.0 / len(others)
        for r, amount in received.items():
            add(s, r, w * amount, 1, _SHARED, te, te)

    for entry in _flow_entries(history, window):
        event: Any = entry.event
        cls = type(event)
        if cls is shared_t:
            te = event.occurred_at.timestamp()
            if te < low or te > high:
                continue
            w = exp2((te - t) / scale)
            sharer = event.originator_id
            s = pidx.get(sharer.int)
            if s is None:
                s = new_person(sharer)
            if event.to_teams or event.organisation_wide:
                share_to_groups(event, s, te, w)
                continue
            to_persons = event.to_persons
            for recipient in to_persons if len(to_persons) < 2 else dict.fromkeys(to_persons):
                r = pidx.get(recipient.int)
                if r is None:
                    r = new_person(recipient)
                if r == s:
                    continue
                if stable[s] < 0 or stable[r] < 0:
                    add(s, r, w, 1, _SHARED, te, te)
                    continue
                key = (s << pb) | r
                found = get_fixed(key)
                if found is None:
                    fixed[key] = [w, 1, _SHARED, te, te]
                else:
                    found[0] += w
                    found[1] += 1
                    found[2] |= _SHARED
                    if te < found[3]:
                        found[3] = te
                    elif te > found[4]:
                        found[4] = te
        elif cls is advice_t:
            adviser = event.from_person
            if adviser is None:
                continue
            te = event.occurred_at.timestamp()
            if te < low or te > high:
                continue
            w = exp2((te - t) / scale)
            s = pidx.get(adviser.int)
            if s is None:
                s = new_person(adviser)
            seeker = event.originator_id
            r = pidx.get(seeker.int)
            if r is None:
                r = new_person(seeker)
            if r == s:
                continue
            if stable[s] < 0 or stable[r] < 0:
                add(s, r, w, 1, _ADVICE, te, te)
                continue
            key = (s << pb) | r
            found = get_fixed(key)
            if found is None:
                fixed[key] = [w, 1, _ADVICE, te, te]
            else:
                found[0] += w
                found[1] += 1
                found[2] |= _ADVICE
                if te < found[3]:
                    found[3] = te
                elif te > found[4]:
                    found[4] = te
        elif cls is intervision_t or cls is consultation_t:
            te = event.occurred_at.timestamp()
            if te < low or te > high:
                continue
            w = exp2((te - t) / scale)
            bit = _INTERVISION if cls is intervision_t else _CONSULTATION
            people = list(dict.fromkeys(map(person, event.participants)))
            owner = None if event.case_owner is None else person(event.case_owner)
            pair = w / (len(people) - 1) if len(people) > 1 else 0.0
            if any(stable[p] < 0 for p in people):
                for a in people:
                    for b in people:
                        if a != b:
                            add(a, b, pair + w if b == owner else pair, 1, bit, te, te)
            else:
                for a in people:
                    high_a = a << pb
                    for b in people:
                        if a == b:
                            continue
                        amount = pair + w if b == owner else pair
                        key = high_a | b
                        found = get_fixed(key)
                        if found is None:
                            fixed[key] = [amount, 1, bit, te, te]
                        else:
                            found[0] += amount
                            found[1] += 1
                            found[2] |= bit
                            if te < found[3]:
                                found[3] = te
                            elif te > found[4]:
                                found[4] = te
            if owner is not None and owner not in people:
                for a in people:
                    add(a, owner, w, 1, bit, te, te)
        elif cls is practice_t:
            if event.practice_id is None:
                continue
            te = event.occurred_at.timestamp()
            if te < low or te > high:
                continue
            w = exp2((te - t) / scale)
            r = person(event.originator_id)
            for author in authors.get(event.practice_id, ()):
                s = person(author)
                if s != r:
                    add(s, r, w, 1, _PRACTICE, te, te)

    _spread_groups(groups, membership, add)
    return Flows(window, membership, fixed, moving, tb)


def _spread_groups(
    groups: dict[tuple[int, int, int], list[float]],
    membership: _Membership,
    add: Callable[[int, int, float, int, int, float, float], None],
) -> None:
    """Spread the group shares, summed per (sharer, group, stretch), over the group's members.

    Stretches in which a group had the same members are spread together for the persons whose
    team stays the same in the window (their contributions differ in nothing but weight); a
    person whose team changes gets each stretch apart, with the team of that stretch.
    """
    merged: dict[tuple[int, int, int], list[tuple[list[int], list[float]]]] = {}
    for (s, group, epoch), totals in groups.items():
        members = membership.members(group, totals[2], epoch)
        merged.setdefault((s, group, id(members)), []).append((members, totals))
    stable = membership.stable
    for (s, _, _), stretches in merged.items():
        members = stretches[0][0]
        n = len(members) - (1 if s in members else 0)
        if n == 0:
            continue
        if stable[s] >= 0:
            w = sum(totals[0] for _, totals in stretches)
            count = int(sum(totals[1] for _, totals in stretches))
            first = min(totals[2] for _, totals in stretches)
            last = max(totals[3] for _, totals in stretches)
            for r in members:
                if r != s and stable[r] >= 0:
                    add(s, r, w / n, count, _SHARED, first, last)
        for _, (part, times, since, until) in stretches:
            for r in members:
                if r != s and (stable[s] < 0 or stable[r] < 0):
                    add(s, r, part / n, int(times), _SHARED, since, until)


# ---------------------------------------------------------------- the person graph


def _person_attributes(
    history: FlowHistory, membership: _Membership, at: datetime
) -> dict[int, dict[str, Any]]:
    """Per person (small integer): team key, role and site at ``at`` (else the last known)."""
    moment = at.timestamp()
    latest: dict[int, tuple[float, str | None, str, str]] = {}
    current: dict[int, tuple[str | None, str, str]] = {}
    for team, team_periods in history.memberships.periods.items():
        i = membership.team_index[team]
        key = membership.team_keys[i]
        for period in team_periods:
            start = period.start.timestamp()
            if start > moment:
                continue
            person = membership.person_index[period.person.int]
            if start >= latest.get(person, (-math.inf,))[0]:
                latest[person] = (start, key, period.role, period.site)
            if period.covers(at) and membership.team_at(person, moment) == i:
                current[person] = (key, period.role, period.site)
    found: dict[int, dict[str, Any]] = {}
    for person, (_, key, role, site) in latest.items():
        member = person in current
        if member:
            key, role, site = current[person]
        found[person] = {"team": key, "role": role, "site": site, "member": member}
    return found


def _team_nodes(history: FlowHistory, at: datetime) -> dict[str, dict[str, Any]]:
    """Teams that exist at ``at`` (registered, not dissolved): name and members then."""
    found: dict[str, dict[str, Any]] = {}
    for team, info in history.teams.items():
        if info.registered_at <= at and (info.dissolved_at is None or at < info.dissolved_at):
            found[info.key] = {
                "name": info.name,
                "members": len(history.memberships.members(team, at)),
                "organisation": history.organisation,
            }
    return found


def _sum_flows(flows: Flows) -> tuple[dict[int, Totals], dict[int, Totals]]:
    """Sum the contributions per pair of persons and per pair of teams, in one pass.

    Pairs of persons are keyed ``source << 32 | recipient``, with totals ``[weight, count,
    bits, first, last, cross-team weight]``; pairs of teams ``source << b | recipient``.
    """
    tb = flows.team_bits
    persons: dict[int, Totals] = {}
    teams: dict[int, Totals] = {}
    get_person, get_team = persons.get, teams.get
    stable = flows.membership.stable
    for pair, (w, count, bits, first, last) in flows.fixed.items():
        team_s, team_t = stable[pair >> _PERSON_BITS], stable[pair & _PERSON_MASK]
        crossing = w if team_s != team_t and team_s and team_t else 0.0
        persons[pair] = [w, count, bits, first, last, crossing]
        team_pair = (team_s << tb) | team_t
        found = get_team(team_pair)
        if found is None:
            teams[team_pair] = [w, count, bits, first, last]
        else:
            found[0] += w
            found[1] += count
            found[2] |= bits
            if first < found[3]:
                found[3] = first
            if last > found[4]:
                found[4] = last
    team_mask = (1 << tb) - 1
    pair_mask = (1 << (2 * tb)) - 1
    for key, (w, count, bits, first, last) in flows.moving.items():
        team_pair = key & pair_mask
        team_s, team_t = team_pair >> tb, team_pair & team_mask
        crossing = w if team_s != team_t and team_s and team_t else 0.0
        for table, get, k, extra in (
            (persons, get_person, key >> (2 * tb), [crossing]),
            (teams, get_team, team_pair, []),
        ):
            found = get(k)
            if found is None:
                table[k] = [w, count, bits, first, last, *extra]
            else:
                found[0] += w
                found[1] += count
                found[2] |= bits
                if first < found[3]:
                    found[3] = first
                if last > found[4]:
                    found[4] = last
                if extra:
                    found[5] += crossing
    return persons, teams


def _team_flow(flows: Flows, teams: dict[int, Totals]) -> dict[TeamPair, FlowTotals]:
    keys = flows.membership.team_keys
    bits = flows.team_bits
    mask = (1 << bits) - 1
    return {
        (keys[pair >> bits], keys[pair & mask]): FlowTotals(w, count, bits_, first, last)
        for pair, (w, count, bits_, first, last) in teams.items()
    }


def team_flow_of(flows: Flows) -> dict[TeamPair, FlowTotals]:
    """The contributions summed per (source team, recipient team) at the events' times."""
    return _team_flow(flows, _sum_flows(flows)[1])


def person_graph_from_flows(history: FlowHistory, flows: Flows) -> KnowledgeFlowGraph:
    """The person graph of summed contributions (see ``build_person_graph``)."""
    window, membership = flows.window, flows.membership
    moment = window.at.timestamp()
    summed, team_sums = _sum_flows(flows)
    person_mask = _PERSON_MASK
    persons = {p for p in membership.by_person if membership.team_at(p, moment) != _NO_TEAM}
    persons.update(pair >> _PERSON_BITS for pair in summed)
    persons.update(pair & person_mask for pair in summed)
    attributes = _person_attributes(history, membership, window.at)
    graph = KnowledgeFlowGraph(**window.graph_attributes(history.organisation, "person"))
    graph.team_flow = _team_flow(flows, team_sums)
    graph.team_nodes = _team_nodes(history, window.at)
    names = {p: str(membership.uuids[p]) for p in persons}
    organisation = history.organisation
    graph.add_nodes_from(
        (names[p], {"organisation": organisation, **attributes.get(p, {"member": False})})
        for p in sorted(persons, key=names.__getitem__)
    )
    channels = {bits: channel_names(bits) for bits in range(1 << len(CHANNELS))}
    # edges in the order of their first contribution in the history: deterministic
    graph.add_edges_from(
        (
            names[pair >> _PERSON_BITS],
            names[pair & person_mask],
            {
                "weight": w,
                "count": count,
                "channels": channels[bits],
                "first_at": _utc(first),
                "last_at": _utc(last),
                "cross_team": crossing > 0.0,
                "cross_team_weight": crossing,
                "distance": 1.0 / w,
            },
        )
        for pair, (w, count, bits, first, last, crossing) in summed.items()
    )
    return graph


def build_person_graph(
    history: FlowHistory,
    *,
    as_of: datetime | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
    half_life_days: float = DEFAULT_HALF_LIFE_DAYS,
    window_days: float | None = DEFAULT_WINDOW_DAYS,
) -> nx.DiGraph:
    """The knowledge-flow graph between persons (DESIGN.md section 6).

    Parameters
    ----------
    history : History or StoredHistory
        One organisation's history (``load_history`` or ``build_history``; or
        ``StoredHistory.read``, which streams the flow events from the store instead of holding
        them); retracted events are already left out of it.
    as_of : datetime, optional
        The evaluation moment ``t`` (default: ``until``, else now). Events after it never count.
    since, until : datetime, optional
        Only events with ``since <= occurred_at <= until`` count.
    half_life_days : float
        ``h``: an event ``h`` days before ``t`` counts half (``math.inf``: no decay).
    window_days : float or None
        ``W``: events more than ``W`` days before ``t`` do not count (None: no limit).

    Returns
    -------
    networkx.DiGraph
        A ``KnowledgeFlowGraph``. Nodes are persons, named by their pseudonymous id (the UUID
        as a string; never a name): everyone in a team at ``t`` and everyone in a counted
        flow. Node attributes: ``team`` (the key of the main team at ``t``, else of the last
        team known), ``role`` and ``site`` (of that membership), ``member`` (in a team at
        ``t``) and ``organisation``; a person never in a team has only the last two. Edges go
        from knowledge source to recipient, with ``weight`` (the decayed sum), ``count``
        (contributions), ``channels`` (sorted names joined by commas), ``first_at`` and
        ``last_at`` (UTC), ``cross_team_weight`` (the part of the weight whose source and
        recipient were in different teams at the event's time), ``cross_team`` (whether any
        was) and ``distance = 1/weight``. Graph attributes: ``level`` ("person"),
        ``organisation``, ``as_of`` (``t``), ``half_life_days``, and ``window_days``,
        ``since``, ``until`` when set.

    Raises
    ------
    NaiveDatetimeError
        A moment without a time zone.
    InvalidValueError
        A half-life that is not positive, a negative window, or ``since`` after ``until``.

    Examples
    --------
    >>> from datetime import UTC, datetime
    >>> from learningorg.application import Records
    >>> from learningorg.projections.history import load_history
    >>> records = Records("memory://")
    >>> at = datetime(2025, 1, 1, tzinfo=UTC)
    >>> _ = records.register_organisation("org")
    >>> for key in ("ann", "bob"):
    ...     _ = records.register_person("org", key, occurred_at=at)
    >>> _ = records.seek_advice("org", "bob", from_person="ann", occurred_at=at)
    >>> G = build_person_graph(load_history(records, "org"), as_of=at)
    >>> ann, bob = (str(records.person_id("org", k)) for k in ("ann", "bob"))
    >>> G[ann][bob]["weight"], G[ann][bob]["channels"]
    (1.0, 'advice')
    >>> records.close()
    """
    window = make_window(
        as_of=as_of,
        since=since,
        until=until,
        half_life_days=half_life_days,
        window_days=window_days,
    )
    with collector_paused():
        return person_graph_from_flows(history, flow_contributions(history, window))


# ---------------------------------------------------------------- the team graph


def team_graph_from_flow(
    team_flow: dict[TeamPair, FlowTotals],
    teams: dict[str, dict[str, Any]],
    graph_attributes: dict[str, Any],
) -> nx.DiGraph:
    """The team graph of per-team-pair totals (see ``build_team_graph``)."""
    graph = nx.DiGraph(**graph_attributes)
    graph.graph["level"] = "team"
    present = set(teams)
    for pair in team_flow:
        present.update(key for key in pair if key is not None)
    for key in sorted(present):
        data = dict(teams.get(key, {}))
        data.setdefault("name", key)
        data.setdefault("members", 0)
        data["internal_weight"] = 0.0
        data["internal_count"] = 0
        graph.add_node(key, **data)
    unassigned = 0.0
    channels = {bits: channel_names(bits) for bits in range(1 << len(CHANNELS))}
    nodes = graph.nodes
    edges = []
    for (source, target), totals in sorted(
        team_flow.items(), key=lambda kv: (kv[0][0] or "", kv[0][1] or "")
    ):
        if source is None or target is None:
            unassigned += totals.weight
        elif source == target:
            nodes[source]["internal_weight"] += totals.weight
            nodes[source]["internal_count"] += totals.count
        else:
            edges.append(
                (
                    source,
                    target,
                    {
                        "weight": totals.weight,
                        "count": totals.count,
                        "channels": channels[totals.channels],
                        "first_at": _utc(totals.first),
                        "last_at": _utc(totals.last),
                        "cross_team": True,
                        "cross_team_weight": totals.weight,
                        "distance": 1.0 / totals.weight,
                    },
                )
            )
    graph.add_edges_from(edges)
    graph.graph["unassigned_weight"] = unassigned
    return graph


def build_team_graph(source: nx.DiGraph | FlowHistory, **options: Any) -> nx.DiGraph:
    """The knowledge-flow graph between teams: the quotient by membership at each event's time.

    Parameters
    ----------
    source : History | StoredHistory | networkx.DiGraph
        A history (the graph is built for ``options``), or a person graph returned by
        ``build_person_graph`` (the graph has its window; then give no options).
    **options
        ``as_of``, ``since``, ``until``, ``half_life_days``, ``window_days``, as in
        ``build_person_graph``, when ``source`` is a history.

    Returns
    -------
    networkx.DiGraph
        Nodes are team keys (teams that exist at ``t`` and teams in a counted flow) with
        ``name``, ``members`` (at ``t``), ``internal_weight`` and ``internal_count`` (the flow
        between members of the same team, which the quotient would drop). An edge ``A -> B``
        sums every contribution whose source was in ``A`` and recipient in ``B`` at the event's
        time: ``weight``, ``count`` (person-to-person contributions), ``channels``,
        ``first_at``, ``last_at``, ``cross_team`` (True), ``cross_team_weight`` and
        ``distance``. Flow to or from someone in no team at the time is left out and summed in
        the graph attribute ``unassigned_weight``.

    Raises
    ------
    InvalidValueError
        A graph that does not carry its per-team flow (a copy, a graph read from a file),
        options given together with a graph, or an unknown option.

    Examples
    --------
    >>> from datetime import UTC, datetime
    >>> from learningorg.application import Records
    >>> from learningorg.projections.history import load_history
    >>> records = Records("memory://")
    >>> at = datetime(2025, 1, 1, tzinfo=UTC)
    >>> _ = records.register_organisation("org")
    >>> for team, person in (("A", "ann"), ("B", "bob")):
    ...     _ = records.register_team("org", team, occurred_at=at)
    ...     _ = records.register_person("org", person, occurred_at=at)
    ...     _ = records.add_member("org", team, person, occurred_at=at)
    >>> _ = records.share_knowledge("org", "ann", to_teams=["B"], occurred_at=at)
    >>> T = build_team_graph(load_history(records, "org"), as_of=at)
    >>> T["A"]["B"]["weight"], T.nodes["B"]["internal_weight"]
    (1.0, 0.0)
    >>> records.close()
    """
    if isinstance(source, History | StoredHistory):
        unknown = set(options) - set(WindowOptions.__annotations__)
        if unknown:
            msg = (
                f"unknown option(s) {', '.join(sorted(unknown))}; "
                f"give {', '.join(WindowOptions.__annotations__)}"
            )
            raise InvalidValueError(msg)
        window = make_window(**options)
        with collector_paused():
            flows = flow_contributions(source, window)
        return team_graph_from_flow(
            team_flow_of(flows),
            _team_nodes(source, window.at),
            window.graph_attributes(source.organisation, "team"),
        )
    if options:
        msg = (
            f"options {', '.join(sorted(options))} were given with a person graph, whose window "
            "is fixed; build the team graph from the History to choose another window"
        )
        raise InvalidValueError(msg)
    team_flow = getattr(source, "team_flow", None)
    team_nodes = getattr(source, "team_nodes", None)
    if team_flow is None or team_nodes is None:
        msg = (
            f"the graph {source!r} does not carry its flow per pair of teams (a copy or a graph "
            "read from a file); pass the History or the graph build_person_graph returned"
        )
        raise InvalidValueError(msg)
    return team_graph_from_flow(team_flow, team_nodes, dict(source.graph))


__all__ = [
    "CHANNELS",
    "CHANNEL_SEPARATOR",
    "DEFAULT_HALF_LIFE_DAYS",
    "DEFAULT_WINDOW_DAYS",
    "FlowHistory",
    "FlowTotals",
    "Flows",
    "KnowledgeFlowGraph",
    "Window",
    "WindowOptions",
    "build_person_graph",
    "build_team_graph",
    "channel_names",
    "flow_contributions",
    "make_window",
    "person_graph_from_flows",
    "team_flow_of",
    "team_graph_from_flow",
]
