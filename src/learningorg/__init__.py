"""learningorg: event-sourced learning-activity tracking for learning organisations.

Record every learning fact as an immutable event in the stream of a person, a team or the
organisation; replay the streams into learning-capacity profiles and knowledge-flow graphs.

>>> from learningorg import LearningRecords
>>> with LearningRecords("memory://") as records:
...     _ = records.register_organisation("jeugdzorg-noord", "Jeugdzorg Noord")
...     records.organisations()
['jeugdzorg-noord']
"""

from learningorg.application import EventMeta, HistoryEntry, Recorded
from learningorg.domain import events
from learningorg.domain.events import LearningEvent
from learningorg.records import LearningRecords

__version__ = "0.1.0"

__all__ = [
    "EventMeta",
    "HistoryEntry",
    "LearningEvent",
    "LearningRecords",
    "Recorded",
    "__version__",
    "events",
]
