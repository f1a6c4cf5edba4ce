"""The curated public API: what ``import learningorg`` offers, and nothing by accident."""

from __future__ import annotations

import learningorg
from learningorg import errors


def test_public_names() -> None:
    """``learningorg.__all__`` is exactly the stable entry points."""
    assert sorted(learningorg.__all__) == sorted(
        ["EventMeta", "HistoryEntry", "LearningEvent", "LearningRecords", "Recorded",
         "__version__", "events"]
    )  # fmt: skip
    for name in learningorg.__all__:
        assert hasattr(learningorg, name)


def test_error_hierarchy_has_one_root() -> None:
    """Every public error derives from LearningOrgError."""
    for name in errors.__all__:
        assert issubclass(getattr(errors, name), errors.LearningOrgError)


def test_stable_methods_exist() -> None:
    """The entry points DESIGN.md promises are methods of LearningRecords."""
    for method in ("events", "stream", "register_organisation", "retract", "close", "capacity",
                   "capacity_series", "knowledge_flow_graph", "knowledge_flow_report",
                   "compliance", "import_statements", "export_statements"):  # fmt: skip
        assert callable(getattr(learningorg.LearningRecords, method))
