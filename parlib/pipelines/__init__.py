"""Layer 4 — pipelines: compose ingest and analysis for one report kind (annual, comparison,
quarterly, root causes) and write ``data/processed``. Notebooks call these and :mod:`parlib.report`.
"""

from parlib.core.paths import Paths

__all__ = ["Paths"]
