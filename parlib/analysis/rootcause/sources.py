"""Sources of root-cause evidence: dossier KPIs (classified dossiers by window and segment) and
the satisfaction survey (a factor or the overall index by channel).
"""

from __future__ import annotations

import pandas as pd

from parlib.analysis.kpi import classify_dossiers, dossier_kpis, procedure_names
from parlib.analysis.outcome_model import aggregate_outcomes, fit_outcome_glm
from parlib.analysis.rootcause.evidence import GLM_OUTCOMES

# ---------------------------------------------------------------- count sources


def _text(value) -> str:
    """A name, or "" when the dossiers give none (missing, not the text "nan")."""
    return value if isinstance(value, str) else ""


class DossierSource:
    """Counts of one dossier KPI, each period classified on its own (766 scope)."""

    fine, coarse, dimension = ["office_name", "procedure_code"], "office_name", "office_name"

    def __init__(
        self,
        kpi: str,
        dossiers: pd.DataFrame,
        calendar,
        kpis: pd.DataFrame | None,
        cache: dict,
        rules=None,
        counter=None,
    ):
        self.kpi, self.dossiers, self.calendar, self.kpis, self.cache = kpi, dossiers, calendar, kpis, cache
        self.rules = rules
        self._names: pd.Series | None = None
        # counts on DuckDB (parlib.analysis.counts_sql.SqlCounter, same counts): no window is
        # classified in pandas unless a model needs its rows
        self.counter = counter

    def names(self, codes) -> str:
        """'code name; …' of procedure codes (names from the dossiers)."""
        if self._names is None:  # once: every cause names its procedures
            self._names = procedure_names(self.dossiers)
        n = self._names
        return "; ".join(f"{c} {_text(n.get(c))}".strip() for c in codes)

    def classified(self, start, end) -> pd.DataFrame:
        key = (start, end)
        if key not in self.cache:
            self.cache[key] = classify_dossiers(
                self.dossiers, self.calendar, end, period_start=start, rules=self.rules
            )
        return self.cache[key]

    def counts(self, window, by: list[str]) -> pd.DataFrame:
        if self.counter is not None:
            return self.counter.counts(window, by, self.kpi)
        c = self.classified(*window)
        return dossier_kpis(c, by, kpis=[self.kpi])[by + ["k", "n"]]

    def monthly(self, segment: str | None) -> pd.DataFrame | None:
        if self.kpis is None or self.kpis.empty:
            return None
        m = self.kpis.loc[(self.kpis["period_kind"] == "month") & (self.kpis["kpi"] == self.kpi)]
        m = (
            m.loc[m["dimension"] == "all"]
            if segment is None
            else m.loc[(m["dimension"] == "office_name") & (m["group"] == segment)]
        )
        return m.sort_values("period_start")[["period_start", "k", "n"]] if not m.empty else None

    def model(self, window):
        if self.kpi not in GLM_OUTCOMES:
            return None
        outcome, label = GLM_OUTCOMES[self.kpi]
        c = self.classified(*window)
        if outcome == "_no_apology":
            c = c.loc[c["in_processing_scope"] & c["is_late"] & ~c["is_stale"]].assign(
                _no_apology=lambda d: ~d["has_apology"].astype(bool)
            )
        if c.empty:
            return None
        return fit_outcome_glm(aggregate_outcomes(c, outcome=outcome), outcome_label=label)


class SurveySource:
    """Counts of % satisfied (overall or one factor) by channel from the satisfaction table:
    answers ``k / n`` and the effective counts ``k_eff / n_eff`` that the tests use (a factor's
    answers are clustered by respondent)."""

    coarse, dimension, window_kind = "channel", "channel", "label"
    fine = ["channel"]

    def __init__(self, table: pd.DataFrame, level: str = "overall", code: str | None = None):
        t = table.loc[(table["level"] == level) & (table["segment_kind"].isin(["channel", "all"]))]
        self.t = t.loc[t["code"].astype(str) == code] if code else t
        self.kpi = code or "satisfaction_pct"

    def counts(self, window, by: list[str]) -> pd.DataFrame:
        kind, year, quarter = window
        t = self.t.loc[
            (self.t["period_kind"] == kind) & (self.t["year"] == year) & (self.t["quarter"] == quarter)
        ]
        t = t.loc[t["segment_kind"] == ("channel" if by else "all")]
        if "k_eff" not in t.columns:  # a table without effective counts: answers are independent
            t = t.assign(k_eff=t["k"].astype(float), n_eff=t["n"].astype(float))
        cols = (["channel"] if by else []) + ["k", "n", "k_eff", "n_eff"]
        out = t.rename(columns={"segment": "channel"})[cols]
        return (
            out.astype({"k": "int64", "n": "int64"})
            if not out.empty
            else pd.DataFrame(columns=by + cols[-4:])
        )

    def monthly(self, segment):
        return None

    def model(self, window):
        return None
