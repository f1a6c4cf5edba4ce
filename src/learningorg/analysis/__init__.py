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
    ordinal_pseudonyms,
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
from learningorg.analysis.projections import (
    CAPACITY_COLUMNS,
    COMPLIANCE_COLUMNS,
    SILO_BOUNDARY_SHARE,
    FlowSummary,
    capacity_columns,
    capacity_frame,
    capacity_rows,
    compliance_frame,
    compliance_rows,
    flow_frames,
    flow_summary,
)

__all__ = [
    "CAPACITY_COLUMNS",
    "COMPLIANCE_COLUMNS",
    "HISTORY_COLUMNS",
    "NJI_ELEMENTS",
    "SILO_BOUNDARY_SHARE",
    "FlowSummary",
    "MissingDependencyError",
    "capacity_columns",
    "capacity_frame",
    "capacity_rows",
    "compliance_frame",
    "compliance_rows",
    "figure_png",
    "flow_frames",
    "flow_summary",
    "history_frame",
    "history_rows",
    "ordinal_pseudonyms",
    "plot_flow_graph",
    "plot_monthly_activity",
    "plot_nji_profile",
    "plot_series",
    "pseudonym",
    "read_parquet",
    "write_parquet",
]
