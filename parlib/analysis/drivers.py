"""Key drivers of dissatisfaction and factor drops by segment (channel, procedure field).

Two complementary views:

* ``key_drivers``: which factors (or items) best explain *overall* dissatisfaction. Model: a
  logistic regression (statsmodels ``Logit``) of ``dissatisfied = overall < satisfied_min`` on
  the respondents' factor scores (mean of the respondent's valid item answers), each
  standardised (z-score), complete cases only. Odds ratios are per one standard deviation of
  the factor score, with 95 % intervals; p-values are Holm-adjusted across the predictors.
  A factor is called a *driver* only when its adjusted p < alpha AND its odds ratio < 1 (a
  higher score means less dissatisfaction). Leaders get a plain ranking: drivers first, then
  by |standardised coefficient| (comparable across factors because every score is on the
  same SD scale); ``weight_pct`` is each |coefficient|'s share of the sum, a relative weight,
  not a variance decomposition. Factors are correlated: a coefficient is the factor's effect
  *holding the others fixed*, so a factor that moves with a stronger one may look weak.
  Too few respondents or dissatisfied answers (fewer than ``min_events_per_predictor`` per
  predictor in the smaller class) → status "không đủ dữ liệu", never a crash.
* ``factor_changes_by_segment``: each factor × channel (or field) in a quarter against the same
  segment at a baseline (same quarter last year by default, previous quarter, or the four
  previous quarters pooled), the SIPAS share of the satisfaction table (satisfied answers /
  answers, the figure the report and the causes show), two-proportion tests on the effective
  counts, Holm across the quarter's family, ranked by the size of the drop × segment size
  (``impact``: answers that would have been satisfied at the baseline rate). Within-segment comparisons are immune
  to a shift of the channel mix (e.g. the online share rising).

It also writes the Vietnamese sentences of the report's satisfaction section
(``index_sentences``, ``driver_sentences``), conclusions first.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from parlib.analysis.satisfaction import (
    VERDICT_NOISE,
    change_tests,
    satisfaction_observations,
    satisfaction_table,
)
from parlib.analysis.satisfaction_counts import factor_scores, respondent_factors
from parlib.analysis.stats import adjust_pvalues
from parlib.core.vnformat import fmt_num, fmt_pct, quarter_label
from parlib.model.survey import SurveyConfig, SurveyData

STATUS_OK = "ok"
STATUS_NO_DATA = "không đủ dữ liệu"
STATUS_UNSTABLE = "mô hình không ổn định"
BASELINES = {
    "same_quarter_last_year": "cùng kỳ năm trước",
    "previous_quarter": "quý trước",
    "previous_4_quarters": "bốn quý trước",
}
DRIVER_COLUMNS = [
    "rank",
    "level",
    "code",
    "name",
    "n",
    "coef_std",
    "odds_ratio",
    "or_ci_low",
    "or_ci_high",
    "p_value",
    "p_adjusted",
    "is_driver",
    "weight_pct",
]


@dataclass
class DriverResult:
    """Outcome of ``key_drivers``. ``status``: 'ok', 'không đủ dữ liệu' or 'mô hình không ổn
    định'; ``message``: Vietnamese explanation; ``table``: DRIVER_COLUMNS (empty unless ok)."""

    status: str
    message: str
    table: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(columns=DRIVER_COLUMNS))
    n_used: int = 0
    n_dissatisfied: int = 0
    n_excluded: int = 0


def _names(items: pd.DataFrame, level: str) -> pd.Series:
    if level == "factor":
        return items.drop_duplicates("factor_code").set_index("factor_code")["factor_name"]
    return items.set_index("item_code")["item_text"]


def respondent_scores(
    survey: SurveyData,
    items: pd.DataFrame,
    config: SurveyConfig = SurveyConfig(),
    level: str = "factor",
    *,
    factors: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """Wide table, one row per respondent: respondent_key, year, quarter, channel, field_name,
    overall, then one column per factor code (respondent mean) or item code (answer); NaN when
    the respondent gave no valid answer for it. ``factors``: :func:`respondent_factors` of the
    same answers when the caller already has it (level "factor"; computed here otherwise)."""
    if level == "factor":  # the factor scores alone (every observation: 1,8 s at 2M answers)
        r = respondent_factors(survey.answers, config) if factors is None else factors
        obs = pd.DataFrame(  # the responses' key type (the answers' is categorical): merged below
            {
                "respondent_key": r["respondent_key"].astype(survey.responses["respondent_key"].dtype),
                "code": r["factor_code"],
                "score": factor_scores(r),
            }
        )
    else:
        obs = satisfaction_observations(survey, items, config)
        obs = obs[obs["level"] == level]
    wide = obs.pivot_table(index="respondent_key", columns="code", values="score", aggfunc="first")
    order = [c for c in _names(items, level).index if c in wide.columns]
    base = survey.responses[["respondent_key", "year", "quarter", "channel", "field_name", "overall"]]
    return base.merge(wide[order].reset_index(), on="respondent_key", how="left")


def _select(df: pd.DataFrame, year, quarter, ytd: bool, channel) -> pd.DataFrame:
    if year is not None:
        df = df[df["year"] == year]
        if quarter is not None:
            df = df[(df["quarter"] <= quarter) if ytd else (df["quarter"] == quarter)]
    if channel is not None:
        df = df[df["channel"] == channel]
    return df


def key_drivers(
    survey: SurveyData,
    items: pd.DataFrame,
    config: SurveyConfig = SurveyConfig(),
    *,
    year: int | None = None,
    quarter: int | None = None,
    ytd: bool = False,
    channel: str | None = None,
    level: str = "factor",
    min_events_per_predictor: int = 5,
    alpha: float = 0.05,
    factors: pd.DataFrame | None = None,
) -> DriverResult:
    """Logit of overall dissatisfaction on standardised factor (or item) scores; see the module
    docstring for the rule. Period: all data, a year, a quarter, or year to date (``ytd``).
    ``factors``: as in :func:`respondent_scores`."""
    scores = respondent_scores(survey, items, config, level, factors=factors)
    scores = _select(scores, year, quarter, ytd, channel)
    names = _names(items, level)
    preds = [c for c in names.index if c in scores.columns]
    complete = scores.dropna(subset=["overall"] + preds)
    n_excl = len(scores) - len(complete)
    y = (complete["overall"] < config.satisfied_min).astype(int).to_numpy()
    X = complete[preds].astype(float)
    constant = [c for c in preds if X[c].std(ddof=1) == 0 or not np.isfinite(X[c].std(ddof=1))]
    preds = [c for c in preds if c not in constant]
    ev, non = int(y.sum()), int(len(y) - y.sum())
    need = min_events_per_predictor * max(1, len(preds))
    base = dict(n_used=len(y), n_dissatisfied=ev, n_excluded=n_excl)
    if not preds or min(ev, non) < need:
        return DriverResult(
            STATUS_NO_DATA,
            (
                f"Không đủ dữ liệu để phân tích yếu tố tác động: cần ít nhất {need} phiếu không hài lòng và {need} "
                f"phiếu hài lòng trả lời đủ các yếu tố; hiện có {ev} và {non}."
            ),
            **base,
        )
    # the two pieces used, not statsmodels.api (which imports every model family: +0,5 s)
    from statsmodels.discrete.discrete_model import Logit
    from statsmodels.tools.sm_exceptions import PerfectSeparationError
    from statsmodels.tools.tools import add_constant

    Z = (X[preds] - X[preds].mean()) / X[preds].std(ddof=1)
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            res = Logit(y, add_constant(Z.to_numpy(), has_constant="add")).fit(disp=0, maxiter=200)
    except (np.linalg.LinAlgError, PerfectSeparationError, ValueError) as exc:
        return DriverResult(
            STATUS_UNSTABLE,
            f"Mô hình không ước lượng được ({type(exc).__name__}); "
            "các yếu tố có thể trùng nhau hoặc tách biệt hoàn toàn.",
            **base,
        )
    params, bse = np.asarray(res.params)[1:], np.asarray(res.bse)[1:]
    separated = any("separation" in str(w.message).lower() for w in caught)
    if (
        not res.mle_retvals.get("converged", False)
        or separated
        or not np.all(np.isfinite(bse))
        or np.any(bse > 10)
    ):
        return DriverResult(
            STATUS_UNSTABLE,
            "Mô hình không hội tụ hoặc các yếu tố tách biệt hoàn toàn "
            "người hài lòng và không hài lòng; chưa kết luận được yếu tố tác động.",
            **base,
        )
    ci = np.asarray(res.conf_int(alpha=0.05))[1:]
    p = np.asarray(res.pvalues)[1:]
    t = pd.DataFrame(
        {
            "level": level,
            "code": preds,
            "name": names[preds].to_numpy(),
            "n": len(y),
            "coef_std": params,
            "odds_ratio": np.exp(params),
            "or_ci_low": np.exp(ci[:, 0]),
            "or_ci_high": np.exp(ci[:, 1]),
            "p_value": p,
            "p_adjusted": adjust_pvalues(p, "holm"),
        }
    )
    t["is_driver"] = (t["p_adjusted"] < alpha) & (t["coef_std"] < 0)
    t["weight_pct"] = 100 * t["coef_std"].abs() / t["coef_std"].abs().sum()
    t = t.assign(_a=-t["coef_std"].abs()).sort_values(
        ["is_driver", "_a"], ascending=[False, True], kind="stable"
    )
    t["rank"] = np.arange(1, len(t) + 1)
    msg = f"Mô hình ước lượng trên {len(y)} phiếu ({ev} không hài lòng)."
    if constant:
        msg += f" Bỏ qua (không biến thiên): {', '.join(constant)}."
    return DriverResult(STATUS_OK, msg, t[DRIVER_COLUMNS].reset_index(drop=True), **base)


def _base_periods(year: int, quarter: int, baseline: str) -> list[tuple[int, int]]:
    if baseline == "same_quarter_last_year":
        return [(year - 1, quarter)]
    prev = []
    y, q = year, quarter
    for _ in range(1 if baseline == "previous_quarter" else 4):
        y, q = (y, q - 1) if q > 1 else (y - 1, 4)
        prev.append((y, q))
    return prev


def factor_changes_by_segment(
    survey: SurveyData,
    items: pd.DataFrame,
    config: SurveyConfig = SurveyConfig(),
    *,
    year: int,
    quarter: int | None = None,
    segment: str = "channel",
    baseline: str = "same_quarter_last_year",
    level: str = "factor",
    alpha: float = 0.05,
    table: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """Each factor (or item) × segment of a quarter against the same segment at ``baseline``.
    ``quarter=None``: every quarter of ``year`` with data, each quarter its own Holm family.

    One counting basis with the satisfaction table and the causes: ``k / n`` are the rows of
    :func:`parlib.analysis.satisfaction.satisfaction_table` (``table`` when given, else computed):
    for a factor, satisfied answers / answers to its items (the SIPAS share); the tests use the
    effective counts ``k_eff / n_eff`` (a respondent's answers are clustered). ``impact`` is in
    answers.

    Columns: year, quarter, rank (within the quarter), level, code, name, segment_kind, segment,
    baseline, baseline_label, k, n, pct, base_k, base_n, base_pct, change_pp, z, p_value,
    p_adjusted, is_significant, verdict_vi, impact (= −change_pp/100 × n). Ranking: significant
    drops first, by impact, then the rest by impact.
    """
    if baseline not in BASELINES:
        raise ValueError(f"baseline must be one of {sorted(BASELINES)}")
    if table is None or segment not in set(table["segment_kind"]):
        table = satisfaction_table(survey, items, config, segments=(segment,))
    t = table.loc[
        (table["period_kind"] == "quarter") & (table["level"] == level) & (table["segment_kind"] == segment)
    ]
    names = _names(items, level)
    quarters = [quarter] if quarter is not None else sorted(t.loc[t["year"] == year, "quarter"].unique())
    counts = ["k", "n", "k_eff", "n_eff"]
    out = []
    for q in quarters:
        cur = t.loc[(t["year"] == year) & (t["quarter"] == q), ["code", "segment", *counts]]
        in_base = pd.Series(False, index=t.index)
        for by, bq in _base_periods(year, int(q), baseline):
            in_base |= (t["year"] == by) & (t["quarter"] == bq)
        base = (
            t.loc[in_base]
            .groupby(["code", "segment"], sort=False)[counts]
            .sum()
            .reset_index()
            .rename(columns={c: f"base_{c}" for c in counts})
        )
        m = change_tests(cur.merge(base, on=["code", "segment"], how="left"), alpha=alpha)
        m = m.assign(
            year=year,
            quarter=int(q),
            level=level,
            segment_kind=segment,
            baseline=baseline,
            baseline_label=BASELINES[baseline],
            name=lambda d: d["code"].map(names),
        )
        m["impact"] = -m["change_pp"] / 100 * m["n"]
        drop = m["is_significant"] & (m["change_pp"] < 0)
        m = m.assign(_d=~drop, _i=-m["impact"].fillna(-np.inf)).sort_values(["_d", "_i"], kind="stable")
        m["rank"] = np.arange(1, len(m) + 1)
        out.append(m)
    cols = [
        "year",
        "quarter",
        "rank",
        "level",
        "code",
        "name",
        "segment_kind",
        "segment",
        "baseline",
        "baseline_label",
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
        "impact",
    ]
    if not out:
        return pd.DataFrame(columns=cols)
    return pd.concat(out, ignore_index=True)[cols]


# ---------------------------------------------------------------- sentences


def _q(year: int, quarter: int) -> str:
    label = quarter_label(int(year), int(quarter))
    return label[0].lower() + label[1:]


def index_sentences(
    table: pd.DataFrame,
    changes: pd.DataFrame,
    *,
    year: int,
    quarter: int,
    target_pct: float = 95.0,
    plain: bool = False,
) -> list[str]:
    """Vietnamese conclusions on the headline index, its changes and the factors, most
    important first. Only changes surviving the Holm correction are called changes; every
    sentence says what it compares with (all channels together, previous quarter, same quarter
    last year). ``plain``: for the report body — no intervals, sample sizes or test words
    ("rõ rệt" instead of "có ý nghĩa thống kê")."""
    sig_word = "thay đổi rõ rệt" if plain else "thay đổi có ý nghĩa thống kê"
    sel = table[(table["year"] == year) & (table["quarter"] == quarter) & (table["segment_kind"] == "all")]
    head = sel[(sel["period_kind"] == "quarter") & (sel["level"] == "overall")]
    if head.empty or head["n"].iloc[0] == 0:
        return [f"Chưa có câu trả lời hợp lệ về mức độ hài lòng chung trong {_q(year, quarter)}."]
    h = head.iloc[0]
    rel = "đạt mục tiêu" if h["pct"] >= target_pct else "thấp hơn mục tiêu"
    s = (
        f"Tỷ lệ hài lòng chung {_q(year, quarter)} đạt {fmt_pct(h['pct'])}"
        + (
            ""
            if plain
            else f" (khoảng tin cậy 95 %: {fmt_num(h['ci_low_pct'], 1)}–{fmt_pct(h['ci_high_pct'])}; n = {h['n']})"
        )
        + f", {rel} {fmt_pct(target_pct, 0)}."
    )
    if h["is_small_sample"]:
        s += " Cỡ mẫu nhỏ: cần thận trọng khi kết luận."
    out = [s]
    ytd = sel[(sel["period_kind"] == "ytd") & (sel["level"] == "overall")]
    if quarter > 1 and len(ytd):
        y = ytd.iloc[0]
        out.append(
            f"Từ đầu năm {year}: {fmt_pct(y['pct'])}"
            + (
                ""
                if plain
                else f" (khoảng tin cậy 95 %: {fmt_num(y['ci_low_pct'], 1)}–{fmt_pct(y['ci_high_pct'])}; n = {y['n']})"
            )
            + "."
        )
    for _, c in changes[(changes["level"] == "overall") & (changes["segment_kind"] == "all")].iterrows():
        if c["base_n"] == 0:
            continue
        tail = sig_word if c["is_significant"] else VERDICT_NOISE
        out.append(
            f"Chung mọi kênh, so với {c['comparison_label']} ({_q(c['base_year'], c['base_quarter'])}: "
            f"{fmt_pct(c['base_pct'])}): {_move(c['change_pp'])} — {tail}."
        )
    sig = changes[(changes["level"] != "overall") & changes["is_significant"]].copy()
    sig = sig.reindex(sig["change_pp"].abs().sort_values(ascending=False).index)
    for _, c in sig[sig["level"] == "factor"].iterrows():
        verb = "tăng" if c["change_pp"] > 0 else "giảm"
        out.append(
            f"Yếu tố «{c['name']}» (chung mọi kênh) {verb} {fmt_num(abs(c['change_pp']), 1)} điểm % so với "
            f"{c['comparison_label']} — {sig_word}."
        )
    for (label, up), g in sig[sig["level"] == "item"].groupby(
        ["comparison_label", sig["change_pp"] > 0], sort=False
    ):
        codes = list(dict.fromkeys(g["code"]))
        shown = ", ".join(codes[:8]) + (", …" if len(codes) > 8 else "")
        out.append(f"Tiêu chí (chung mọi kênh) {'tăng' if up else 'giảm'} rõ rệt so với {label}: {shown}.")
    if sig.empty and (changes["base_n"] > 0).any():
        out.append(
            "Xét chung mọi kênh, không yếu tố, tiêu chí nào thay đổi vượt mức dao động ngẫu nhiên so với quý "
            "trước và cùng kỳ năm trước (thay đổi ở từng kênh: xem dưới đây)."
        )
    fac = sel[(sel["period_kind"] == "quarter") & (sel["level"] == "factor") & (sel["n"] > 0)]
    if len(fac):
        low = fac.sort_values("pct", kind="stable").iloc[0]
        out.append(
            f"Yếu tố có tỷ lệ hài lòng thấp nhất: «{low['name']}» ({fmt_pct(low['pct'])}"
            + ("" if plain else f"; n = {low['n']}")
            + ")."
        )
    return out


def _move(pp: float) -> str:
    """'tăng 2,5 điểm %' / 'giảm 2,5 điểm %' / 'không đổi' (one decimal)."""
    if fmt_num(abs(pp), 1) == "0,0":
        return "không đổi"
    return f"{'tăng' if pp > 0 else 'giảm'} {fmt_num(abs(pp), 1)} điểm %"


def _where(kind: str, segment: str) -> str:
    return f"ở kênh {segment[0].lower()}{segment[1:]}" if kind == "channel" else f"ở lĩnh vực «{segment}»"


def driver_sentences(
    segment_changes: pd.DataFrame | None,
    drivers: DriverResult | None,
    *,
    year: int,
    quarter: int,
    max_items: int = 3,
    plain: bool = False,
) -> list[str]:
    """Vietnamese conclusions: the largest significant drops by segment (ranked by impact),
    then the key-driver model (only effects surviving Holm are called drivers). Either input
    may be None (section skipped). ``plain``: for the report body — the drops in plain words
    and the drivers named without odds ratios or intervals."""
    out = []
    sig_word = "thay đổi rõ rệt" if plain else "thay đổi có ý nghĩa thống kê"
    if segment_changes is None or segment_changes.empty:
        segment_changes = pd.DataFrame(
            columns=["year", "quarter", "rank", "is_significant", "change_pp", "baseline_label"]
        )
    q = segment_changes[(segment_changes["year"] == year) & (segment_changes["quarter"] == quarter)]
    drops = q[q["is_significant"] & (q["change_pp"] < 0)].sort_values("rank").head(max_items)
    for _, r in drops.iterrows():
        what = "Yếu tố" if r["level"] == "factor" else f"Tiêu chí {r['code']}"
        out.append(
            f"{what} «{r['name']}» giảm {fmt_num(-r['change_pp'], 1)} điểm % so với {r['baseline_label']} "
            f"{_where(r['segment_kind'], r['segment'])} — {sig_word}."
        )
    if drops.empty and len(q):
        label = q["baseline_label"].iloc[0]
        out.append(
            f"Trong {quarter_label(year, quarter)[0].lower()}{quarter_label(year, quarter)[1:]}, không yếu tố "
            f"nào ở kênh hay lĩnh vực nào giảm vượt mức dao động ngẫu nhiên so với {label}."
        )
    if drivers is None:
        return out
    if drivers.status != STATUS_OK:
        out.append(f"Phân tích yếu tố tác động: {drivers.status}. {drivers.message}")
        return out
    d = drivers.table[drivers.table["is_driver"]]
    if d.empty:
        out.append(
            "Chưa xác định được yếu tố nào tác động rõ đến sự không hài lòng chung (sau hiệu chỉnh Holm)."
        )
    if plain and not d.empty:
        names = ", ".join(f"«{n}»" for n in d.head(max_items)["name"])
        out.append(f"Các yếu tố tác động mạnh nhất đến sự hài lòng chung: {names} (chi tiết: Phụ lục).")
        return out
    for _, r in d.head(max_items).iterrows():
        out.append(
            f"«{r['name']}» là yếu tố tác động thứ {r['rank']} đến sự không hài lòng chung: điểm yếu tố cao "
            f"hơn một độ lệch chuẩn thì tỷ số chênh không hài lòng nhân với {fmt_num(r['odds_ratio'], 2)} "
            f"(khoảng tin cậy 95 %: {fmt_num(r['or_ci_low'], 2)}–{fmt_num(r['or_ci_high'], 2)})."
        )
    return out
