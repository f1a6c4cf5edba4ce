"""The knowledge-flow sub-scores G5, G6, O4 and O5 (projections layer).

They read the person graph of ``learningorg.projections.knowledge_flow``; until that projection
is available they have no data (value None, ``insufficient_data``).
"""

from __future__ import annotations

from learningorg.application import Records
from learningorg.projections.capacity.index import LearningIndex
from learningorg.projections.capacity.model import CapacityModel, Level
from learningorg.projections.capacity.scoring import FlowScores
from learningorg.projections.history import History, KnownAt


def flow_scores_for_history(
    history: History, index: LearningIndex, model: CapacityModel
) -> FlowScores | None:
    """Flow sub-scores from a loaded history (live path)."""
    return None


def flow_scores_for_records(
    records: Records,
    organisation: str,
    known_at: KnownAt,
    index: LearningIndex,
    model: CapacityModel,
    level: Level,
) -> FlowScores | None:
    """Flow sub-scores for a query on the store (view path)."""
    return None


__all__ = ["flow_scores_for_history", "flow_scores_for_records"]
