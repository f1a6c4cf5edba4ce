"""The compliance projection's store entry point: ``compliance(records, organisation, level, ...)``.

It loads the organisation's history as known at ``known_at`` (retractions applied) and hands it
to the pure core (``compliance_report``). Projections layer: receives a ``Records``; never imports
the public facade, interop or the CLI.
"""

from __future__ import annotations

from datetime import datetime

from learningorg.application import Records
from learningorg.domain.errors import UnknownPersonError, UnknownTeamError
from learningorg.projections.compliance.core import (
    check_key,
    check_level,
    check_profile,
    compliance_report,
)
from learningorg.projections.compliance.profile import ComplianceProfile
from learningorg.projections.compliance.result import ComplianceResult, Level
from learningorg.projections.history import check_known_at, check_moment, load_history


def compliance(
    records: Records,
    organisation: str,
    level: Level,
    key: str | None = None,
    *,
    as_of: datetime | None = None,
    known_at: datetime | int | None = None,
    profile: ComplianceProfile | None = None,
) -> ComplianceResult:
    """Re-registration compliance of a person, a team or the organisation (SKJ by default).

    ``level`` is "person", "team" or "organisation"; ``key`` the person's or team's external key
    (none for the organisation). ``as_of`` (business time, default now): only what occurred at
    or before it counts. ``known_at`` (a position or an aware recording time): only what had
    been recorded by then. ``profile``: the register's rules (default ``SKJ_PROFILE``; another
    register with ``ComplianceProfile.from_file(path)``).

    Per professional and registration period the result gives, per requirement, what is
    achieved, what is required and what is expected pro rata at ``as_of``, the status
    (``met``, ``on_track``, ``at_risk``, ``short``), the date the period ends and what is still
    needed in words; a team or organisation result adds counts and lists per status and the
    flagged professionals (period ends within 12 months, not on track).

    Raises ``InvalidValueError`` (bad level, a key at organisation level, not a profile),
    ``EmptyKeyError`` (missing key), ``NaiveDatetimeError``, ``UnknownOrganisationError``,
    ``UnknownPersonError`` or ``UnknownTeamError``; every message names the value.

    >>> from learningorg.application import Records
    >>> records = Records("memory://")
    >>> _ = records.register_organisation("org")
    >>> compliance(records, "org", "organisation").summary.persons
    0
    >>> records.close()
    """
    moment = check_moment(as_of, "as_of")
    checked_level = check_level(level)
    checked_key = check_key(checked_level, key)
    checked_known_at = check_known_at(known_at)
    chosen = check_profile(profile)
    history = load_history(records, organisation, checked_known_at)
    entity = None
    if checked_level == "person":
        assert checked_key is not None
        entity = records.person_id(organisation, checked_key)
        if entity not in history.persons:
            msg = (
                f"person {checked_key!r} is not registered in organisation {organisation!r}; "
                "check the key or register them with register_person()"
            )
            raise UnknownPersonError(msg)
    elif checked_level == "team":
        assert checked_key is not None
        entity = records.team_id(organisation, checked_key)
        if entity not in history.teams:
            msg = (
                f"team {checked_key!r} is not registered in organisation {organisation!r}; "
                "check the key or register it with register_team()"
            )
            raise UnknownTeamError(msg)
    return compliance_report(
        history,
        checked_level,
        entity,
        moment if moment is not None else records.now(),
        chosen,
        key=checked_key,
        known_at=checked_known_at,
    )


__all__ = ["compliance"]
