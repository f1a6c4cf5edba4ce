"""The public ``LearningRecords``: recording, history, projections and xAPI in one object.

This module is the top of the layers: it joins the application (``Records``: commands and the
ordered history) with the projections and the interop layer, so embedding code needs one import.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import datetime, timedelta
from typing import Any
from uuid import UUID

import networkx as nx

from learningorg.application import Records
from learningorg.interop.xapi import exporter as _xapi_out
from learningorg.interop.xapi import importer as _xapi_in
from learningorg.interop.xapi.importer import ImportProgress, ImportSummary, Source
from learningorg.persistence.database import Database
from learningorg.persistence.keys import on_erasure
from learningorg.projections import capacity as _capacity
from learningorg.projections import compliance as _compliance
from learningorg.projections import knowledge_flow as _flow
from learningorg.projections.capacity import CapacityModel, CapacityResult, CapacitySeries
from learningorg.projections.capacity.api import Every
from learningorg.projections.compliance import ComplianceProfile, ComplianceResult
from learningorg.projections.history import KnownAt
from learningorg.scope import OrganisationScope


# ---- privacy: erasing a person also drops the statement log's received copies naming them.
def _forget_statements(database: Database, organisation: str, person_id: UUID) -> int:
    return _xapi_in.StatementLog(database).forget_person(organisation, person_id)


on_erasure("xapi-statement-log", _forget_statements)
# ---- (end of privacy)


class LearningRecords(Records):
    """Record learning as events and read it back, for one store.

    >>> from learningorg import LearningRecords
    >>> records = LearningRecords("memory://")
    >>> _ = records.register_organisation("jeugdzorg-noord", "Jeugdzorg Noord")
    >>> _ = records.register_team("jeugdzorg-noord", "T1", "Ambulant team Noord")
    >>> _ = records.register_person("jeugdzorg-noord", "E001", name="Sanne")
    >>> _ = records.add_member("jeugdzorg-noord", "T1", "E001")
    >>> sorted(records.team("jeugdzorg-noord", "T1").members_at(records.now()) ) == [
    ...     records.person_id("jeugdzorg-noord", "E001")]
    True
    >>> records.close()

    Every query below reads only what one organisation recorded and takes the two time axes:
    ``as_of`` (business time: only what occurred at or before it counts; default now) and
    ``known_at`` (a position in the total order or an aware recording time: only what had been
    recorded by then; default everything).

    Parameters
    ----------
    store:
        A store URL: ``memory://``, ``sqlite:///path/to/file.db`` or
        ``postgresql://user@host:port/database``. Default: the ``LEARNINGORG_STORE`` environment
        variable, else ``sqlite:///learningorg.db``.
    recorded_by:
        The default ``recorded_by`` of the events this instance records.
    clock:
        Returns the recording time (``recorded_at``) of new events.
    """

    # ------------------------------------------------------------------ capacity

    def capacity(
        self,
        organisation: str,
        level: _capacity.Level,
        key: str | None = None,
        *,
        as_of: datetime | None = None,
        known_at: datetime | int | None = None,
        model: CapacityModel | None = None,
    ) -> CapacityResult:
        """The learning capacity of a person, team or organisation (DESIGN.md section 5).

        ``level`` is ``"person"``, ``"team"`` or ``"organisation"``; ``key`` the person's or
        team's external key (None for the organisation). ``model`` changes weights, targets
        and windows. The result holds the score, the NJi profile (V, U, M, S) and every
        sub-score with its numerator, target, norm source and contributing event ids.
        See ``learningorg.projections.capacity.capacity``.
        """
        return _capacity.capacity(
            self, organisation, level, key, as_of=as_of, known_at=known_at, model=model
        )

    def capacity_series(
        self,
        organisation: str,
        level: _capacity.Level,
        key: str | None = None,
        *,
        start: datetime,
        end: datetime,
        every: Every | timedelta = "month",
        known_at: datetime | int | None = None,
        model: CapacityModel | None = None,
    ) -> CapacitySeries:
        """Capacity results at regular moments from ``start`` to ``end`` (inclusive).

        ``every`` is ``"day"``, ``"week"``, ``"month"``, ``"quarter"``, ``"year"`` or a
        ``timedelta``. The history is folded once for all moments.
        """
        return _capacity.capacity_series(
            self,
            organisation,
            level,
            key,
            start=start,
            end=end,
            every=every,
            known_at=known_at,
            model=model,
        )

    # ------------------------------------------------------------------ knowledge flow

    def knowledge_flow_graph(
        self,
        organisation: str,
        *,
        since: datetime | None = None,
        until: datetime | None = None,
        as_of: datetime | None = None,
        known_at: KnownAt = None,
        level: _flow.Level = "person",
    ) -> nx.DiGraph:
        """Who learns from whom: a ``networkx.DiGraph`` of persons or teams (DESIGN.md section 6).

        Edges run from knowledge source to recipient with ``weight`` (decayed), ``count``,
        ``channels``, ``first_at``, ``last_at``, ``cross_team`` and ``distance``. Only events
        that occurred in ``[since, until]`` count. Analyse it with the functions of
        ``learningorg.projections.knowledge_flow``.
        """
        return _flow.graph_for(
            self,
            organisation,
            since=since,
            until=until,
            as_of=as_of,
            known_at=known_at,
            level=level,
        )

    def knowledge_flow_report(
        self,
        organisation: str,
        *,
        since: datetime | None = None,
        until: datetime | None = None,
        as_of: datetime | None = None,
        known_at: KnownAt = None,
    ) -> dict[str, Any]:
        """Brokers, silos, fragile ties, communities and team boundaries, as plain JSON data.

        See ``learningorg.projections.knowledge_flow.knowledge_flow_report``.
        """
        history = _flow.StoredHistory.read(self, organisation, known_at)
        return _flow.knowledge_flow_report(history, as_of=as_of, since=since, until=until)

    # ------------------------------------------------------------------ compliance

    def compliance(
        self,
        organisation: str,
        level: _capacity.Level,
        key: str | None = None,
        *,
        as_of: datetime | None = None,
        known_at: datetime | int | None = None,
        profile: ComplianceProfile | None = None,
    ) -> ComplianceResult:
        """Re-registration compliance (SKJ by default) of a person, a team or the organisation.

        Per professional and registration period: achieved, required and expected-by-now per
        requirement, the status (``met``, ``on_track``, ``at_risk``, ``short``), the end date
        and what is still needed. ``profile`` selects another register's rules.
        See ``learningorg.projections.compliance.compliance``.
        """
        return _compliance.compliance(
            self, organisation, level, key, as_of=as_of, known_at=known_at, profile=profile
        )

    # ------------------------------------------------------------------ xAPI

    def import_statements(
        self,
        source: Source,
        *,
        organisation: str,
        version: str | None = None,
        recorded_by: str = "xapi",
        progress: Callable[[ImportProgress], None] | None = None,
        parallel: bool | None = None,
    ) -> ImportSummary:
        """Import xAPI statements (a path, bytes, a file, NDJSON lines, a dict or a list).

        Each statement is validated, mapped to events and stored; invalid ones are reported
        with their line or index and the others still stored. Importing the same input again
        stores nothing twice. A file named by its path is read and prepared in a second
        process where two CPUs are there (``parallel=False``: one process). See
        ``learningorg.interop.xapi.importer.import_statements``.
        """
        return _xapi_in.import_statements(
            self,
            source,
            organisation=organisation,
            version=version,
            recorded_by=recorded_by,
            progress=progress,
            parallel=parallel,
        )

    def export_statements(
        self,
        organisation: str,
        *,
        person: str | None = None,
        since: datetime | None = None,
        until: datetime | None = None,
        version: str = "1.0.3",
        names: bool = False,
    ) -> Iterator[dict[str, Any]]:
        """The organisation's history as xAPI statements, pseudonymous unless ``names=True``.

        Every statement yielded passes ``learningorg.xapi.validate``.
        """
        return _xapi_out.export_statements(
            self,
            organisation,
            person=person,
            since=since,
            until=until,
            version=version,
            names=names,
        )

    # ------------------------------------------------------------------ scope (privacy)

    def scoped(self, organisation: str) -> OrganisationScope:
        """This store seen through one organisation: nothing of another is reachable.

        The scope offers the commands and queries above without their ``organisation``
        argument; ids of another organisation raise ``OrganisationScopeError``.
        See ``learningorg.scope.OrganisationScope``.
        """
        return OrganisationScope(self, organisation)


__all__ = ["LearningRecords"]
