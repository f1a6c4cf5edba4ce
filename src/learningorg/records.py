"""The public ``LearningRecords``: recording, history, projections and xAPI in one object.

This module is the top of the layers: it joins the application (``Records``: commands and the
ordered history) with the projections and the interop layer, so embedding code needs one import.
"""

from __future__ import annotations

from learningorg.application import Records


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


__all__ = ["LearningRecords"]
