"""The analyst's toolkit: histories as DataFrames, Parquet exports and plots (analysis layer).

pandas and pyarrow come with the ``analysis`` extra, matplotlib with the ``plot`` extra; they
are imported only when a function needs them, and a missing one raises
``MissingDependencyError`` naming the extra to install.
"""

from learningorg.analysis._deps import MissingDependencyError
from learningorg.analysis.history import (
    HISTORY_COLUMNS,
    history_frame,
    history_rows,
    pseudonym,
    read_parquet,
    write_parquet,
)
from learningorg.analysis.plots import (
    NJI_ELEMENTS,
    figure_png,
    plot_flow_graph,
    plot_monthly_activity,
    plot_nji_profile,
    plot_series,
)

__all__ = [
    "HISTORY_COLUMNS",
    "NJI_ELEMENTS",
    "MissingDependencyError",
    "figure_png",
    "history_frame",
    "history_rows",
    "plot_flow_graph",
    "plot_monthly_activity",
    "plot_nji_profile",
    "plot_series",
    "pseudonym",
    "read_parquet",
    "write_parquet",
]
