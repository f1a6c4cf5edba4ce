"""Lazy imports of the optional analysis and plot dependencies (analysis layer)."""

from __future__ import annotations

import importlib
from types import ModuleType

from learningorg.errors import LearningOrgError


class MissingDependencyError(LearningOrgError, ImportError):
    """An optional dependency (pandas, pyarrow, matplotlib) is not installed."""


_EXTRA = {"pandas": "analysis", "pyarrow": "analysis", "matplotlib": "plot"}


def require(module: str) -> ModuleType:
    """Import ``module`` or raise ``MissingDependencyError`` naming the extra to install."""
    top = module.split(".", 1)[0]
    try:
        return importlib.import_module(module)
    except ImportError as error:
        extra = _EXTRA.get(top, "all")
        msg = f"{top} is not installed; install it with: pip install 'learningorg[{extra}]'"
        raise MissingDependencyError(msg) from error


def pyplot() -> ModuleType:
    """matplotlib's pyplot on the non-interactive Agg backend (no display needed)."""
    matplotlib = require("matplotlib")
    matplotlib.use("Agg", force=True)
    return require("matplotlib.pyplot")
