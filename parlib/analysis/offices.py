"""Each office against its own recent baseline, honestly at any size (issue 14, item 4).

One counting basis: every count comes from :func:`parlib.analysis.kpi.classify_dossiers` over
one window (a dossier counts once in a window; an open dossier is judged at the window's end),
the rule of the KPI table's quarter and year-to-date rows — so an office's figure here equals
its figure in the office table, the funnel chart, the causes, Excel and ``summary.json``, and
the offices' counts add up to the department's.

Rules (decisions where the issue is silent):

* **Baselines**, three scopes, each its own family of tests: ``recent`` — the quarter against
  the earlier quarters of the year (1 January to the end of the previous quarter; in the first
  quarter, the fourth quarter of the previous year); ``last_year`` — the quarter against the
  same quarter of the previous year; ``ytd`` — the year to date against the same months of the
  previous year. ``baseline_label`` says which. An office is named when any scope shows a
  significant deterioration (a fall that started early in the year shows against last year,
  not against the earlier quarters).
* **Test.** Fisher's exact test (two-sided) of the 2×2 table now vs baseline — exact for
  small counts, so a 30-dossier office is judged as fairly as a 3 000-dossier one; Holm across
  the offices with a conclusion, per KPI and scope.
* **Too few to conclude.** Fewer than ``MIN_N`` (10) judged cases in either period: shown
  with its numbers and the verdict "ít hồ sơ, chưa đủ để kết luận", never left out.
* **Mix.** For an office that got significantly worse, its own change is split by procedure
  (rate/mix decomposition against its baseline): *mix* when the change comes from more
  dossiers of its harder procedures rather than slower handling.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from parlib.analysis.kpi import classify_dossiers, dossier_kpis
from parlib.analysis.rootcause.evidence import decompose
from parlib.analysis.stats import adjust_pvalues, fisher_two_sided
from parlib.core.vnformat import quarter_label

MIN_N = 10
ALPHA = 0.05
WATCHED_KPIS = ("on_time_pct", "apology_pct")
SCOPES = ("recent", "last_year", "ytd")
VERDICT_VI = {
    "worse": "xấu đi rõ rệt",
    "better": "tốt lên rõ rệt",
    "noise": "chưa phân biệt được với dao động ngẫu nhiên",
    "too_few": "ít hồ sơ, chưa đủ để kết luận",
    "no_data": "không có hồ sơ",
}
COLUMNS = [
    "kpi", "scope", "office_name", "k_now", "n_now", "pct_now", "k_base", "n_base", "pct_base",
    "change_pp", "p_value", "p_adjusted", "is_adverse", "is_significant", "verdict", "verdict_vi",
    "mix_or_performance", "top_procedures", "period", "period_label", "baseline_label",
]  # fmt: skip


def _qstart(year: int, q: int) -> pd.Timestamp:
    return pd.Timestamp(year, 3 * q - 2, 1)


def _qend(year: int, q: int) -> pd.Timestamp:
    return _qstart(year, q) + pd.offsets.QuarterEnd(0)


def windows(year: int, quarter: int, scope: str) -> tuple[tuple, tuple, str]:
    """(now window, baseline window, baseline label) of a scope; a window is (start, end)."""
    if scope == "ytd":
        now = (pd.Timestamp(year, 1, 1), _qend(year, quarter))
        return now, (pd.Timestamp(year - 1, 1, 1), _qend(year - 1, quarter)), f"cùng kỳ năm {year - 1}"
    now = (_qstart(year, quarter), _qend(year, quarter))
    if scope == "last_year":
        return now, (_qstart(year - 1, quarter), _qend(year - 1, quarter)), quarter_label(year - 1, quarter)
    if quarter == 1:
        return now, (_qstart(year - 1, 4), _qend(year - 1, 4)), quarter_label(year - 1, 4)
    label = quarter_label(year, 1) if quarter == 2 else f"Quý I–{['II', 'III'][quarter - 3]}/{year}"
    return now, (pd.Timestamp(year, 1, 1), _qend(year, quarter - 1)), label


def watched_windows(year: int, quarter: int, scopes=SCOPES) -> list[tuple]:
    """Every window :func:`office_watch` counts: each scope's now and baseline windows."""
    return [w for scope in scopes for w in windows(year, quarter, scope)[:2]]


class Counter:
    """Counts of dossier KPIs by window and grouping, each window classified once (cached)."""

    def __init__(self, dossiers: pd.DataFrame, calendar, rules=None, cache: dict | None = None):
        self.dossiers, self.calendar, self.rules = dossiers, calendar, rules
        self.cache = {} if cache is None else cache

    def classified(self, start, end) -> pd.DataFrame:
        key = (pd.Timestamp(start), pd.Timestamp(end))
        if key not in self.cache:
            self.cache[key] = classify_dossiers(
                self.dossiers, self.calendar, key[1], period_start=key[0], rules=self.rules
            )
        return self.cache[key]

    def counts(self, window: tuple, by: list[str], kpi: str) -> pd.DataFrame:
        return dossier_kpis(self.classified(*window), by, kpis=[kpi])[by + ["k", "n"]]


def office_watch(
    counter: Counter,
    year: int,
    quarter: int,
    *,
    kpis=WATCHED_KPIS,
    scopes=SCOPES,
    alpha: float = ALPHA,
    names: pd.Series | None = None,
) -> pd.DataFrame:
    """Every office × KPI × scope against its baseline (rules: module docstring). COLUMNS;
    sorted by KPI, scope, then the significant deteriorations first and the change."""
    out = []
    if hasattr(counter, "prefetch"):  # the SQL counter classifies every window in one scan
        counter.prefetch(watched_windows(year, quarter, scopes))
    for kpi in kpis:
        for scope in scopes:
            now_w, base_w, label = windows(year, quarter, scope)
            now = counter.counts(now_w, ["office_name"], kpi).set_index("office_name")
            base = counter.counts(base_w, ["office_name"], kpi).set_index("office_name")
            t = now.add_suffix("_now").join(base.add_suffix("_base"), how="outer").fillna(0).astype("int64")
            t = t.loc[t.index.astype(str) != ""].reset_index()
            t = t.rename(columns={"index": "office_name"})
            _judge(t, alpha)
            t["mix_or_performance"], t["top_procedures"] = "", ""
            for i in t.index[t["verdict"] == "worse"]:
                t.loc[i, ["mix_or_performance", "top_procedures"]] = _mix(
                    counter, kpi, t.loc[i, "office_name"], now_w, base_w, names
                )
            t["kpi"], t["scope"], t["baseline_label"] = kpi, scope, label
            t["period"] = f"{year}-YTD" if scope == "ytd" else f"{year}-Q{quarter}"
            t["period_label"] = (
                f"{3 * quarter} tháng đầu năm {year}" if scope == "ytd" else quarter_label(year, quarter)
            )
            out.append(t.sort_values(["is_significant", "change_pp"], ascending=[False, True], kind="stable"))
    if not out:
        return pd.DataFrame(columns=COLUMNS)
    return pd.concat(out, ignore_index=True)[COLUMNS]


def _judge(t: pd.DataFrame, alpha: float) -> None:
    with np.errstate(invalid="ignore", divide="ignore"):
        t["pct_now"] = np.where(t["n_now"] > 0, t["k_now"] / t["n_now"].where(t["n_now"] > 0) * 100, np.nan)
        t["pct_base"] = np.where(
            t["n_base"] > 0, t["k_base"] / t["n_base"].where(t["n_base"] > 0) * 100, np.nan
        )
    t["change_pp"] = t["pct_now"] - t["pct_base"]
    enough = (t["n_now"] >= MIN_N) & (t["n_base"] >= MIN_N)
    p = np.full(len(t), np.nan)
    e = enough.to_numpy()
    if e.any():  # scipy's two-sided Fisher test, every office at once
        p[e] = fisher_two_sided(*(t[c].to_numpy()[e] for c in ("k_now", "n_now", "k_base", "n_base")))
    t["p_value"] = p
    t["p_adjusted"] = np.nan
    if enough.any():
        t.loc[enough, "p_adjusted"] = adjust_pvalues(t.loc[enough, "p_value"].to_numpy(dtype=float), "holm")
    t["is_adverse"] = (t["change_pp"] < 0).fillna(False)
    sig = (t["p_adjusted"] < alpha).fillna(False)
    t["is_significant"] = sig & t["is_adverse"]
    t["verdict"] = np.select(
        [(t["n_now"] == 0) & (t["n_base"] == 0), ~enough, sig & t["is_adverse"], sig],
        ["no_data", "too_few", "worse", "better"],
        default="noise",
    )
    t["verdict_vi"] = t["verdict"].map(VERDICT_VI)


def _mix(counter: Counter, kpi, office, now_w, base_w, names) -> tuple[str, str]:
    """(mix / performance / both, the procedures that hurt most) of one office's change."""
    by = ["procedure_code"]
    sel = lambda c: c.loc[c["office_name"] == office, by + ["k", "n"]]  # noqa: E731
    now = sel(counter.counts(now_w, ["office_name", "procedure_code"], kpi))
    base = sel(counter.counts(base_w, ["office_name", "procedure_code"], kpi))
    dec = decompose(base, now, by)
    if dec.summary["status"] != "ok":
        return "", ""
    verdict = (
        dec.summary["verdict"] if dec.summary["verdict"] in ("mix", "performance", "both") else "performance"
    )
    worst = dec.table.loc[dec.table["total"] < 0].sort_values("total").head(2)["procedure_code"].astype(str)
    text = "; ".join(f"{c} {names.get(c, '')}".strip() if names is not None else c for c in worst)
    return verdict, text
