"""The knowledge-flow graph from a store: ``graph_for(records, organisation, ...)`` (projections).

It reads the organisation's history as known at ``known_at`` (retractions applied) as a
``StoredHistory``, which keeps the teams, membership and persons and streams the flow events from
the store while the graph sums them: memory is bounded by persons, teams and edges, never by the
number of events. Receives a ``Records``; never imports the public facade, interop or
the CLI (``LearningRecords.knowledge_flow_graph`` calls it).
"""

from __future__ import annotations

from datetime import datetime
from typing import Literal

import networkx as nx

from learningorg.application import Records
from learningorg.domain.errors import InvalidValueError
from learningorg.projections.history import KnownAt, check_known_at
from learningorg.projections.knowledge_flow.graph import (
    build_person_graph,
    build_team_graph,
    make_window,
)
from learningorg.projections.knowledge_flow.source import StoredHistory

Level = Literal["person", "team"]
LEVELS: tuple[Level, ...] = ("person", "team")


def check_level(level: object) -> Level:
    """``level`` if it is "person" or "team", else ``InvalidValueError`` naming it."""
    if level == "person":
        return "person"
    if level == "team":
        return "team"
    msg = f"level {level!r} is not one of 'person', 'team'; pass level='person' or level='team'"
    raise InvalidValueError(msg)


def graph_for(
    records: Records,
    organisation: str,
    *,
    since: datetime | None = None,
    until: datetime | None = None,
    as_of: datetime | None = None,
    known_at: KnownAt = None,
    level: Level = "person",
) -> nx.DiGraph:
    """The knowledge-flow graph of ``organisation`` in a store (DESIGN.md section 6).

    Parameters
    ----------
    records : Records
        The store.
    organisation : str
        The organisation's key.
    since, until : datetime, optional
        Only events that occurred in ``[since, until]`` count.
    as_of : datetime, optional
        The evaluation moment (default ``until``, else the store clock's now); decay and team
        membership are taken then.
    known_at : int or datetime, optional
        Only what had been recorded by then (a position or a recording time).
    level : Literal["person", "team"]
        Persons (``build_person_graph``) or teams (``build_team_graph``).

    Returns
    -------
    networkx.DiGraph
        Edges from knowledge source to recipient, weighted by decayed flow.

    Raises
    ------
    InvalidValueError
        An unknown ``level``, a bad ``known_at`` or window.
    NaiveDatetimeError
        A moment without a time zone.
    UnknownOrganisationError
        No organisation with that key.

    Examples
    --------
    >>> from datetime import UTC, datetime
    >>> records = Records("memory://")
    >>> at = datetime(2025, 1, 1, tzinfo=UTC)
    >>> _ = records.register_organisation("org")
    >>> for key in ("ann", "bob"):
    ...     _ = records.register_person("org", key, occurred_at=at)
    >>> _ = records.seek_advice("org", "bob", from_person="ann", occurred_at=at)
    >>> graph_for(records, "org", as_of=at).number_of_edges()
    1
    >>> graph_for(records, "org", level="teams")
    Traceback (most recent call last):
    ...
    learningorg.domain.errors.InvalidValueError: level 'teams' is not one of 'person', 'team'; pass level='person' or level='team'
    >>> records.close()
    """  # noqa: E501 (a doctest's expected traceback line cannot be wrapped)
    chosen = check_level(level)
    checked_known_at = check_known_at(known_at)
    window = make_window(as_of=as_of, since=since, until=until, now=records.now())
    history = StoredHistory.read(records, organisation, checked_known_at)
    if chosen == "team":
        return build_team_graph(history, as_of=window.at, since=since, until=until)
    return build_person_graph(history, as_of=window.at, since=since, until=until)


__all__ = ["LEVELS", "Level", "check_level", "graph_for"]
