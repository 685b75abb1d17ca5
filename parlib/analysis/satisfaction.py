"""Satisfaction indices (SIPAS-style) from parsed survey data: tables by period and segment,
changes with tests, SIPAS points and the sample-size rule.
"""

from __future__ import annotations

import math
from fractions import Fraction

import numpy as np
import pandas as pd

from parlib.analysis.satisfaction_counts import MOMENTS, RESPONDENT, quarter_counts, with_year_to_date
from parlib.analysis.stats import add_rate, adjust_pvalues, cluster_ratio_ci, two_proportion_test
from parlib.core.vnformat import quarter_label
from parlib.model.survey import OVERALL_NAME, SurveyConfig, SurveyData

ALL_SEGMENT = "Tất cả"
VERDICT_UP = "tăng có ý nghĩa"
VERDICT_DOWN = "giảm có ý nghĩa"
VERDICT_NOISE = "chưa phân biệt được với dao động ngẫu nhiên"
VERDICT_NO_BASE = "không có dữ liệu kỳ so sánh"


# ---------------------------------------------------------------- indices


def satisfaction_observations(
    survey: SurveyData, items: pd.DataFrame, config: SurveyConfig = SurveyConfig()
) -> pd.DataFrame:
    """One row per independent observation: respondent × (overall | factor | item).

    Columns: respondent_key, year, quarter, channel, field_name, level ('overall' | 'factor' |
    'item'), code ('' for overall), score (answer, or the respondent's factor mean), is_satisfied.
    Missing answers give no row (factor: mean over the respondent's valid items, ≥ 1 needed).
    """
    keys = RESPONDENT
    r = survey.responses
    overall = r.loc[r["overall"].notna(), keys + ["overall"]].rename(columns={"overall": "score"})
    overall = overall.assign(level="overall", code="")
    a = survey.answers
    a = a[a["answer"].notna().to_numpy()] if a["answer"].isna().any() else a  # no copy when none is blank
    item = a[keys + ["item_code", "answer"]].rename(columns={"item_code": "code", "answer": "score"})
    item = item.assign(level="item")
    fac = (
        a.groupby(keys + ["factor_code"], dropna=False, sort=False)["answer"]
        .mean()
        .reset_index()
        .rename(columns={"factor_code": "code", "answer": "score"})
        .assign(level="factor")
    )
    obs = pd.concat([overall, fac, item], ignore_index=True)
    obs["is_satisfied"] = obs["score"] >= config.satisfied_min
    return obs[keys + ["level", "code", "score", "is_satisfied"]]


def _names(items: pd.DataFrame) -> pd.DataFrame:
    f = items.drop_duplicates("factor_code")
    return pd.concat(
        [
            pd.DataFrame(
                {
                    "level": ["overall"],
                    "code": [""],
                    "name": [OVERALL_NAME],
                    "factor_code": [""],
                    "order": [0],
                }
            ),
            pd.DataFrame(
                {
                    "level": "factor",
                    "code": f["factor_code"],
                    "name": f["factor_name"],
                    "factor_code": f["factor_code"],
                    "order": 1 + f["factor_order"],
                }
            ),
            pd.DataFrame(
                {
                    "level": "item",
                    "code": items["item_code"],
                    "name": items["item_text"],
                    "factor_code": items["factor_code"],
                    "order": 1000 + items["item_order"],
                }
            ),
        ],
        ignore_index=True,
    )


def satisfaction_table(
    survey: SurveyData,
    items: pd.DataFrame,
    config: SurveyConfig = SurveyConfig(),
    segments: tuple[str, ...] = ("channel", "field_name"),
    *,
    factors: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """Indices per period (each quarter and year to date), level, code and segment.

    The headline ``k / n`` is the share of satisfied answers, as SIPAS publishes it: for the
    overall question and an item, respondents answering it (one answer each); for a factor,
    every answer to its items (``pooled_k / pooled_n``, kept for compatibility). A factor's
    interval respects that one respondent gives several answers
    (:func:`parlib.analysis.stats.cluster_ratio_ci`); ``k_eff / n_eff`` are the matching
    effective counts used by the change tests (= k, n for overall and items). The respondent
    variant (a respondent is satisfied when the mean of their answers to the factor reaches
    the threshold) stays as ``respondent_k / respondent_n / respondent_pct``.

    Columns: period_kind ('quarter' | 'ytd'), year, quarter, period_label, level, code, name,
    factor_code, segment_kind ('all' | 'channel' | 'field_name'), segment, k, n, pct,
    ci_low_pct, ci_high_pct, is_small_sample (0–100; small: fewer than ``small_n``
    respondents), pooled_k, pooled_n, pooled_pct, n_respondents, k_eff, n_eff, respondent_k,
    respondent_n, respondent_pct. Respondents without a segment value count in 'all' only.
    ``factors``: :func:`~parlib.analysis.satisfaction_counts.respondent_factors` of the same
    answers when the caller already has it (computed here otherwise).
    """
    cells = ["level", "code", *segments]
    observed, pooled, moments = quarter_counts(survey, config, segments, factors=factors)
    obs = with_year_to_date(observed, cells, ["sum", "count"])
    pooled = with_year_to_date(pooled, cells, ["sum", "count"])
    moments = with_year_to_date(moments, cells, MOMENTS)
    keys = ["period_kind", "year", "quarter", "level", "code"]
    out = []
    for seg in ("all",) + tuple(segments):
        group = keys + ([] if seg == "all" else [seg])
        on = group if seg == "all" else keys + ["segment"]
        merged = pd.DataFrame()  # set by the first (unpooled) pass
        for src, prefix in ((obs, ""), (pooled, "pooled_")):
            g = src.groupby(group, sort=False)[["sum", "count"]].sum().reset_index()
            g = g.rename(columns={"sum": f"{prefix}k", "count": f"{prefix}n", seg: "segment"})
            merged = merged.merge(g, on=on, how="left") if prefix else g
        mom = moments.groupby(group, sort=False)[MOMENTS].sum().reset_index().rename(columns={seg: "segment"})
        merged = merged.merge(mom, on=on, how="left")
        merged["segment_kind"] = seg
        if seg == "all":
            merged["segment"] = ALL_SEGMENT
        out.append(merged)
    t = pd.concat(out, ignore_index=True)
    t = _answers_headline(t, config)
    t = t.merge(_names(items), on=["level", "code"], how="left")
    t["period_label"] = [_period_label(k, y, q) for k, y, q in zip(t["period_kind"], t["year"], t["quarter"])]
    seg_order = {s: i for i, s in enumerate(("all",) + tuple(segments))}
    t = t.assign(_s=t["segment_kind"].map(seg_order)).sort_values(
        ["period_kind", "year", "quarter", "order", "_s", "segment"], kind="stable"
    )
    cols = [
        "period_kind",
        "year",
        "quarter",
        "period_label",
        "level",
        "code",
        "name",
        "factor_code",
        "segment_kind",
        "segment",
        "k",
        "n",
        "pct",
        "ci_low_pct",
        "ci_high_pct",
        "is_small_sample",
        "pooled_k",
        "pooled_n",
        "pooled_pct",
        "n_respondents",
        "k_eff",
        "n_eff",
        "respondent_k",
        "respondent_n",
        "respondent_pct",
    ]
    t = t[cols].reset_index(drop=True)
    # code: text whether the answers hold texts or categoricals
    return t.astype({"k": "int64", "n": "int64", "n_respondents": "int64", "segment": "str", "code": "str"})


def _answers_headline(t: pd.DataFrame, config: SurveyConfig) -> pd.DataFrame:
    """Headline = share of satisfied answers; factors get the cluster-robust interval."""
    t = t.copy()
    fac = t["level"].eq("factor").to_numpy()
    t["respondent_k"] = t["k"].where(fac)
    t["respondent_n"] = t["n"].where(fac)
    t["respondent_pct"] = 100 * t["respondent_k"] / t["respondent_n"].where(t["respondent_n"] > 0)
    t["n_respondents"] = np.where(fac, t["m"].fillna(0), t["n"]).astype("int64")
    t["k"] = np.where(fac, t["pooled_k"].fillna(0), t["k"]).astype("int64")
    t["n"] = np.where(fac, t["pooled_n"].fillna(0), t["n"]).astype("int64")
    t = add_rate(t, alpha=config.alpha)
    low, high, n_eff = cluster_ratio_ci(
        t["k"],
        t["n"],
        t["m"].fillna(0),
        t["sum_k2"].fillna(0),
        t["sum_n2"].fillna(0),
        t["sum_kn"].fillna(0),
        alpha=config.alpha,
    )
    t["ci_low_pct"] = np.where(fac, 100 * low, t["ci_low_pct"])
    t["ci_high_pct"] = np.where(fac, 100 * high, t["ci_high_pct"])
    t["n_eff"] = np.where(fac, n_eff, t["n"].astype(float))
    t["k_eff"] = np.where(t["n"] > 0, t["k"] / t["n"].where(t["n"] > 0) * t["n_eff"], 0.0)
    t["is_small_sample"] = (t["n_respondents"] > 0) & (t["n_respondents"] < config.small_n)
    t["pooled_pct"] = np.where(
        t["pooled_n"] > 0, 100 * t["pooled_k"] / t["pooled_n"].where(t["pooled_n"] > 0), np.nan
    )
    return t


def _period_label(kind: str, year: int, quarter: int) -> str:
    label = quarter_label(int(year), int(quarter))
    return label if kind == "quarter" else f"Từ đầu năm đến hết {label[0].lower()}{label[1:]}"


def satisfaction_pct(table: pd.DataFrame, year: int, quarter: int, period_kind: str = "ytd") -> float:
    """The headline % satisfied (overall question, all respondents) for the projection's
    ``satisfaction_pct`` KPI; year to date by default. NaN when there is no answer."""
    row = table[
        (table["period_kind"] == period_kind)
        & (table["year"] == year)
        & (table["quarter"] == quarter)
        & (table["level"] == "overall")
        & (table["segment_kind"] == "all")
    ]
    return float(row["pct"].iloc[0]) if len(row) else float("nan")


def sipas_points(pct, max_points: float = 10):
    """SIPAS points = SIPAS % ÷ 100 × max_points (÷ 10 with the default 10 points); clipped to
    [0, max_points]; NaN stays NaN. Works on scalars and arrays."""
    out = np.clip(np.asarray(pct, dtype=float) / 100 * max_points, 0, max_points)
    return float(out) if out.ndim == 0 else out


# ---------------------------------------------------------------- sample size


def required_sample_size(population: int, margin: float = 0.05) -> int:
    """Ministry rule n = N ÷ (1 + N·e²), rounded up (exact arithmetic, so 400 → 200, not 201).
    ``required_sample_size(2000) == 334`` (2000 ÷ 6 = 333,33)."""
    if population < 0:
        raise ValueError("population must be >= 0")
    n = Fraction(int(population)) / (1 + int(population) * Fraction(str(margin)) ** 2)
    return math.ceil(n)


def sample_size_check(
    survey: SurveyData, dossier_count: int, *, year: int, quarter: int, margin: float = 0.05
) -> pd.DataFrame:
    """One row: year, quarter, dossier_count (N, a parameter), required_n, actual_n (responses
    used in the quarter), is_sufficient (actual_n ≥ required_n)."""
    r = survey.responses
    actual = int(((r["year"] == year) & (r["quarter"] == quarter)).sum())
    req = required_sample_size(dossier_count, margin)
    return pd.DataFrame(
        {
            "year": [year],
            "quarter": [quarter],
            "dossier_count": [int(dossier_count)],
            "required_n": [req],
            "actual_n": [actual],
            "is_sufficient": [actual >= req],
        }
    )


# ---------------------------------------------------------------- changes


def change_tests(m: pd.DataFrame, *, alpha: float = 0.05) -> pd.DataFrame:
    """Copy of ``m`` (columns k, n, base_k, base_n; base_n 0 = no base) with pct, base_pct,
    change_pp (percentage points), z, p_value (two-proportion z-test, on the effective counts
    ``k_eff, n_eff, base_k_eff, base_n_eff`` when present), p_adjusted (Holm across ALL rows:
    the family), is_significant (p_adjusted < alpha) and verdict_vi."""
    m = m.copy()
    m["base_k"] = m["base_k"].fillna(0).astype("int64")
    m["base_n"] = m["base_n"].fillna(0).astype("int64")
    m["pct"] = 100 * m["k"] / m["n"].where(m["n"] > 0)
    m["base_pct"] = 100 * m["base_k"] / m["base_n"].where(m["base_n"] > 0)
    m["change_pp"] = m["pct"] - m["base_pct"]
    # a factor's answers are clustered by respondent: test on the effective counts when given
    if {"k_eff", "n_eff", "base_k_eff", "base_n_eff"} <= set(m.columns):
        eff = [m[c].fillna(0).to_numpy(dtype=float) for c in ("k_eff", "n_eff", "base_k_eff", "base_n_eff")]
        z, p = two_proportion_test(*eff)
    else:
        z, p = two_proportion_test(m["k"], m["n"], m["base_k"], m["base_n"])
    m["z"], m["p_value"] = z, p
    m["p_adjusted"] = adjust_pvalues(p, "holm")
    m["is_significant"] = m["p_adjusted"] < alpha
    m["verdict_vi"] = np.select(
        [
            m["base_n"] == 0,
            m["is_significant"] & (m["change_pp"] > 0),
            m["is_significant"] & (m["change_pp"] < 0),
        ],
        [VERDICT_NO_BASE, VERDICT_UP, VERDICT_DOWN],
        VERDICT_NOISE,
    )
    return m


def satisfaction_changes(
    table: pd.DataFrame, year: int, quarter: int, *, segment_kind: str = "all", alpha: float = 0.05
) -> pd.DataFrame:
    """Quarter ``year``/``quarter`` against the previous quarter and the same quarter last year,
    for overall, every factor and every item (and every segment of ``segment_kind``). One Holm
    family: all rows of the returned table (both comparisons).

    Columns: comparison ('previous_quarter' | 'same_quarter_last_year'), comparison_label,
    base_year, base_quarter, level, code, name, segment_kind, segment, k, n, pct, base_k,
    base_n, base_pct, change_pp, z, p_value, p_adjusted, is_significant, verdict_vi.
    """
    q = table[(table["period_kind"] == "quarter") & (table["segment_kind"] == segment_kind)]
    cur = q[(q["year"] == year) & (q["quarter"] == quarter)]
    prev = (year, quarter - 1) if quarter > 1 else (year - 1, 4)
    on = ["level", "code", "segment_kind", "segment"]
    parts = []
    for comp, (by, bq), label in (
        ("previous_quarter", prev, "quý trước"),
        ("same_quarter_last_year", (year - 1, quarter), "cùng kỳ năm trước"),
    ):
        base = q[(q["year"] == by) & (q["quarter"] == bq)][on + ["k", "n", "k_eff", "n_eff"]]
        parts.append(
            cur[on + ["name", "k", "n", "k_eff", "n_eff"]]
            .merge(
                base.rename(
                    columns={"k": "base_k", "n": "base_n", "k_eff": "base_k_eff", "n_eff": "base_n_eff"}
                ),
                on=on,
                how="left",
            )
            .assign(comparison=comp, comparison_label=label, base_year=by, base_quarter=bq)
        )
    out = change_tests(pd.concat(parts, ignore_index=True), alpha=alpha)
    cols = [
        "comparison",
        "comparison_label",
        "base_year",
        "base_quarter",
        "level",
        "code",
        "name",
        "segment_kind",
        "segment",
        "k",
        "n",
        "pct",
        "base_k",
        "base_n",
        "base_pct",
        "change_pp",
        "z",
        "p_value",
        "p_adjusted",
        "is_significant",
        "verdict_vi",
    ]
    return out[cols]
