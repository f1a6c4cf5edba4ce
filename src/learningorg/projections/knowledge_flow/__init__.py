"""Knowledge flow between people and teams, as networkx graphs (DESIGN.md section 6).

Build: ``build_person_graph(history, ...)`` and ``build_team_graph(person graph or history)``
over a ``History`` (``learningorg.projections.history``) or a ``StoredHistory`` (which streams
the flow events from a store), or ``graph_for(records, ...)`` from a store (``level="person"`` or
``"team"``). Analyse with plain functions in the style of
networkx, ``f(G, *, weight=...)``:

- who matters (``centrality``): ``strength``, ``brokers``, ``structural_holes``,
  ``betweenness_gini``, ``broker_cross_team_share``;
- how the organisation hangs together (``cohesion``): ``reciprocity``, ``silo_index``,
  ``communities``, ``fragile_ties``, ``flow_hierarchy``, ``fragmentation``,
  ``largest_component_share``, ``cross_team_share``, ``connectedness``;
- teams (``teams``): ``ei_index``, ``boundary_share``, ``partner_teams``, ``team_flows``,
  ``internal_density``, ``internal_reciprocity``;
- change (``compare``): ``diff_snapshots``;

or all at once with ``knowledge_flow_report``. Export with
``learningorg.projections.knowledge_flow.exports`` (GraphML, GEXF, node-link JSON, PNG).
"""

from learningorg.projections.knowledge_flow.api import LEVELS, Level, graph_for
from learningorg.projections.knowledge_flow.centrality import (
    BROKER_SAMPLE,
    BROKER_SEED,
    EXACT_BETWEENNESS_BELOW,
    Brokerage,
    StructuralHoles,
    betweenness_gini,
    broker_cross_team_share,
    brokers,
    gini,
    in_and_out_strength,
    strength,
    structural_holes,
    top_brokers,
)
from learningorg.projections.knowledge_flow.cohesion import (
    LOUVAIN_SEED,
    Communities,
    Connectedness,
    FragileTies,
    Fragmentation,
    UndirectedFlow,
    communities,
    connectedness,
    cross_team_share,
    flow_hierarchy,
    fragile_ties,
    fragmentation,
    largest_component_share,
    modularity,
    reciprocities,
    reciprocity,
    silo_index,
    team_partition,
    undirected,
    undirected_flow,
)
from learningorg.projections.knowledge_flow.compare import SnapshotDiff, diff_snapshots
from learningorg.projections.knowledge_flow.graph import (
    CHANNELS,
    DEFAULT_HALF_LIFE_DAYS,
    DEFAULT_WINDOW_DAYS,
    KnowledgeFlowGraph,
    WindowOptions,
    build_person_graph,
    build_team_graph,
)
from learningorg.projections.knowledge_flow.report import knowledge_flow_report
from learningorg.projections.knowledge_flow.source import StoredHistory
from learningorg.projections.knowledge_flow.teams import (
    TeamFlow,
    as_team_graph,
    boundary_share,
    ei_index,
    internal_density,
    internal_reciprocity,
    partner_teams,
    team_flows,
)

__all__ = [
    "BROKER_SAMPLE",
    "BROKER_SEED",
    "CHANNELS",
    "DEFAULT_HALF_LIFE_DAYS",
    "DEFAULT_WINDOW_DAYS",
    "EXACT_BETWEENNESS_BELOW",
    "LEVELS",
    "LOUVAIN_SEED",
    "Brokerage",
    "Communities",
    "Connectedness",
    "FragileTies",
    "Fragmentation",
    "KnowledgeFlowGraph",
    "Level",
    "SnapshotDiff",
    "StoredHistory",
    "StructuralHoles",
    "TeamFlow",
    "UndirectedFlow",
    "WindowOptions",
    "as_team_graph",
    "betweenness_gini",
    "boundary_share",
    "broker_cross_team_share",
    "brokers",
    "build_person_graph",
    "build_team_graph",
    "communities",
    "connectedness",
    "cross_team_share",
    "diff_snapshots",
    "ei_index",
    "flow_hierarchy",
    "fragile_ties",
    "fragmentation",
    "gini",
    "graph_for",
    "in_and_out_strength",
    "internal_density",
    "internal_reciprocity",
    "knowledge_flow_report",
    "largest_component_share",
    "modularity",
    "partner_teams",
    "reciprocities",
    "reciprocity",
    "silo_index",
    "strength",
    "structural_holes",
    "team_flows",
    "team_partition",
    "top_brokers",
    "undirected",
    "undirected_flow",
]
