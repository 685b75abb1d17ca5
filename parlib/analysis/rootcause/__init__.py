"""Root causes of every score decrease (item III.10 of the plan): the evidence chain.

* :mod:`.evidence` — sources, windows, decomposition, the :class:`Evidence` collected per run;
* :mod:`.quarterly` / :mod:`.annual` — the rows of a quarterly and of an annual analysis;
* :mod:`.finish` — task status, corrective actions and deadlines;
* :mod:`.engine` — :func:`build_root_causes`, significance and ranking.
"""

from parlib.analysis.rootcause.engine import build_root_causes, rank_causes_by_points, significance
from parlib.analysis.rootcause.evidence import (
    TABLE_COLUMNS,
    Evidence,
    RootCauseResult,
    decompose,
    full_points_threshold,
    points_change,
    points_for,
    survey_factor_links,
)
from parlib.analysis.rootcause.quarterly import kpi_node_rows

__all__ = [
    "TABLE_COLUMNS",
    "Evidence",
    "RootCauseResult",
    "build_root_causes",
    "decompose",
    "full_points_threshold",
    "kpi_node_rows",
    "points_change",
    "points_for",
    "rank_causes_by_points",
    "significance",
    "survey_factor_links",
]
