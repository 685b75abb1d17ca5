"""Root causes of every score decrease (issue 7, item III.10 of the plan): the evidence chain.

``build_root_causes(annual=..., quarterly=...)`` assembles existing blocks into one table,
one row per cause, ranked by the points it explains:

* **year_over_year** rows (annual result with a comparison): every sub-criterion whose
  points fell through the crosswalk (``performance_points < 0``); points explained = the
  fall. Stage and the appraisal's reason (classified by the keyword table) come from the
  scoresheet; the linked measure is compared over the same months of both years when
  operational data are given.
* **at_risk** rows (quarterly result): every KPI-driven sub-criterion projected below its
  maximum. Its points at risk ``max − P(now)`` split into a *change* part
  ``P(same period last year) − P(now)`` (clipped to [0, at risk]) and a *shortfall* part (the
  rest: already short last year). Points come from the framework's rule
  (``parlib.framework.rule_points``) applied to the year-to-date values.

  - The change part is allocated exactly over quarter × office (× procedure) with the
    rate/mix decomposition of the pooled quarters of the year to date against the same
    quarters last year (``parlib.decompose``): a segment explains ``change × its share of the
    change`` (improving segments get negative shares and no row). Each quarter also gets
    its own decomposition: a quarter whose verdict is *mix* or *noise* gives one row (no
    office is blamed for a mix change or for noise); otherwise the adverse offices
    (at most ``MAX_SEGMENTS``) give a row each, with the office's own test, the control
    chart's signal start and the Holm-surviving terms of the binomial GLM.
  - The shortfall part is allocated over the offices (channels for the survey) by their
    share of the gap to the rule's full-points threshold ``T``: ``w_i × (T − r_i)``, which
    sums to ``T − R``.
* Survey factors tied to a sub-criterion by name (decision: the framework has no column
  for it; a node of method ``survey`` is linked to the factor whose name's words are all in
  the node's name) give rows for their most adverse channel change per quarter; their
  points cannot be derived from the department's own survey (NaN, ranked last).

**Significance** (decision): ``is_significant`` means *the measure got worse beyond noise*:
the raw two-sided p-values of every row (segment two-proportion test, or the overall test
for a quarter row) are Holm-adjusted together over the whole table, and a row is
significant when its change is adverse and ``p_adjusted < alpha``. A change that cannot be
told from noise is kept and worded as such; a period without data claims nothing.
Model terms are associations, not proof of cause.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from .decompose import decompose_rate_change, rollup
from .framework import parse_rule_params, rule_points
from .kpi import KPI_LABELS, classify_dossiers, dossier_kpis
from .outcome_model import aggregate_outcomes, fit_outcome_glm
from .readers import normalise_text
from .stats import adjust_pvalues, two_proportion_test
from .vnformat import quarter_label

ALPHA = 0.05
EPS = 1e-9
MAX_SEGMENTS = 3
MAX_EXTRA_WORDS = 2
DOSSIER_KPIS = set(KPI_LABELS) - {"late_pct", "reschedule_violation_pct"}
GLM_OUTCOMES = {"on_time_pct": ("is_late", "trễ hạn"), "apology_pct": ("_no_apology", "thiếu văn bản xin lỗi")}
MEASURE_LABELS = {**KPI_LABELS, "satisfaction_pct": "Tỷ lệ người dân, tổ chức hài lòng (khảo sát của Sở)",
                  "feedback_on_time_pct": "Tỷ lệ phản ánh, kiến nghị xử lý đúng hạn",
                  "tasks_on_time_pct": "Tỷ lệ nhiệm vụ của Kế hoạch hoàn thành đúng tiến độ",
                  "index766_points": "Điểm Bộ chỉ số 766 (%)"}
STAGE_VI = {"not_claimed": "tự đánh giá (không tự chấm đủ điểm)", "cut_at_appraisal": "thẩm định (bị trừ điểm)",
            "survey": "điều tra xã hội học", "none": "không xác định"}
TABLE_COLUMNS = [
    "rank", "code", "name", "kind", "points_explained", "points_to_explain", "stage", "stage_detail", "reason",
    "reason_category", "reason_category_name", "measure", "measure_label", "period", "period_label",
    "base_period_label", "measure_before", "measure_after", "change_pp", "k_before", "n_before", "k_after",
    "n_after", "target_pct", "p_value", "p_adjusted", "is_adverse", "is_significant", "signal_start",
    "segment_dimension",    "segment", "top_procedures", "segment_share_of_change", "mix_or_performance", "driver_terms", "owner_office",
    "partner_offices", "plan_tasks", "task_status", "action_text", "action_deadline", "evidence_note"]


@dataclass
class RootCauseResult:
    """``table``: TABLE_COLUMNS, ranked (rank 1 = most points explained; rows whose points
    cannot be computed come last). Columns: kind (year_over_year / at_risk);
    points_explained (this cause's part) and points_to_explain (the sub-criterion's fall or
    points at risk); stage, stage_detail, reason, reason_category(_name) (annual rows);
    measure (KPI id or survey factor code), measure_label, period ("2026-Q3", "2026-YTD",
    "2026"), period_label, base_period_label; measure_before / measure_after (0–100) with
    k_/n_before / k_/n_after of the row's segment (whole department when segment is empty),
    change_pp, target_pct (the rule's full-points value); p_value (raw, two-sided),
    p_adjusted (Holm over the table), is_adverse, is_significant; signal_start (YYYY-MM of
    the adverse control-chart run); segment_dimension (office_name / procedure_code /
    channel / ''), segment, top_procedures, segment_share_of_change (of the department's
    change in the period, or of the gap to the threshold for shortfall rows);
    mix_or_performance (mix / performance / both / noise / shortfall / no_data);
    driver_terms (Holm-surviving GLM terms, Vietnamese); owner_office, partner_offices,
    plan_tasks, task_status; action_text, action_deadline; evidence_note.
    ``paragraphs``: Vietnamese text for the report.
    ``decomposition``: long frame of every decomposition behind the rows (code, measure,
    period, period_label, dimension, segment, n0, n1, r0, r1, mix, performance, total,
    share_of_change). ``summaries``: one row per decomposition (code, measure, period,
    base_rate, target_rate, delta, mix_total, performance_total, performance_p, delta_p,
    verdict, verdict_text). ``models``: (measure, period) -> ``ModelResult``. ``notes``:
    Vietnamese notes on what could not be analysed."""

    table: pd.DataFrame
    paragraphs: list[str] = field(default_factory=list)
    decomposition: pd.DataFrame = field(default_factory=pd.DataFrame)
    summaries: pd.DataFrame = field(default_factory=pd.DataFrame)
    models: dict = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    title_period: str = ""

    def summary_json(self, n: int = 10) -> list[dict]:
        """Ranked causes for ``summary.json``: code, name, kind, measure, period, segment,
        office, points_explained (2 decimals, None when not computable), significant."""
        r2 = lambda x: None if x is None or pd.isna(x) else round(float(x), 2)  # noqa: E731
        out = []
        for r in self.table.head(n).to_dict("records"):
            office = r["segment"] if r["segment_dimension"] == "office_name" and r["segment"] else r["owner_office"]
            out.append({"rank": int(r["rank"]), "code": r["code"], "name": r["name"], "kind": r["kind"],
                        "measure": r["measure"] or None, "period": r["period"] or None,
                        "segment": r["segment"] or None, "segment_dimension": r["segment_dimension"] or None,
                        "office": office or None, "points_explained": r2(r["points_explained"]),
                        "mix_or_performance": r["mix_or_performance"] or None,
                        "significant": bool(r["is_significant"])})
        return out


# ---------------------------------------------------------------- rules and windows

def points_for(value_pct, node) -> float:
    """Points of ``node`` (rule, rule_params, max_points) at a KPI value (0–100); NaN when the
    value or the rule is missing. Rounded to 2 decimals like the scoresheets."""
    rule = normalise_text(node.get("rule")) if isinstance(node.get("rule"), str) else None
    if not rule or value_pct is None or pd.isna(value_pct):
        return float("nan")
    return _round2(rule_points(float(value_pct), rule, str(node.get("rule_params")), float(node["max_points"])))


def _round2(x: float) -> float:
    """Half away from zero on the decimal value as written (1.125 -> 1.13), like vnformat."""
    from decimal import ROUND_HALF_UP, Decimal

    return float(Decimal(repr(float(x))).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)) + 0.0


def full_points_threshold(node) -> float:
    """Smallest KPI value (0–100) that earns the node's maximum under its rule."""
    rule = str(node.get("rule")).strip()
    p = parse_rule_params(rule, str(node.get("rule_params")))
    if rule in ("binary", "linear"):
        return float(p)
    full = [t for t, f in p if f >= 1 - EPS]
    return float(min(full)) if full else float(p[0][0])


def points_change(node, before_pct, after_pct) -> float:
    """Points lost when the KPI moves from ``before_pct`` to ``after_pct`` (positive = lost)."""
    return _round2(points_for(before_pct, node) - points_for(after_pct, node))


def quarter_window(year: int, quarter: int) -> tuple[pd.Timestamp, pd.Timestamp]:
    start = pd.Timestamp(year, 3 * quarter - 2, 1)
    return start, (start + pd.offsets.QuarterEnd(0)).normalize() + pd.Timedelta(hours=23, minutes=59, seconds=59)


def ytd_window(year: int, quarter: int) -> tuple[pd.Timestamp, pd.Timestamp]:
    return pd.Timestamp(year, 1, 1), quarter_window(year, quarter)[1]


def ytd_label(year: int, quarter: int) -> str:
    return f"năm {year}" if quarter == 4 else f"{3 * quarter} tháng đầu năm {year}"


def _rate(k, n) -> float:
    return 100.0 * float(k) / float(n) if n and n > 0 else float("nan")


def _pvalue(k0, n0, k1, n1) -> float:
    return float(two_proportion_test(k1, n1, k0, n0)[1][0])


def decompose(base: pd.DataFrame, target: pd.DataFrame, segment_cols: list[str]):
    """``parlib.decompose.decompose_rate_change`` with each segment's mix part **centred**
    on the mean overall rate: ``mix_i − (w1_i − w0_i) × (R0 + R1) / 2``.

    Why: the textbook segment term ``(w1 − w0)(r0 + r1)/2`` charges a segment for losing
    share even when its rate equals the average (a big, good office whose share falls looks
    like the main "cause"). Because ``Σ (w1 − w0) = 0`` the centred parts have the same sum,
    so the totals, the summary and the verdict are unchanged; only the ranking of segments
    becomes meaningful (a segment contributes through mix only if its rate differs from the
    average). total and share_of_change are recomputed; rank by |total|.
    """
    dec = decompose_rate_change(base, target, segment_cols)
    s = dec.summary
    if s["status"] != "ok":
        return dec
    t = dec.table.copy()
    centre = (s["base_rate"] + s["target_rate"]) / 2
    t["mix"] = t["mix"] - (t["w1"] - t["w0"]) * centre
    t["total"] = t["mix"] + t["performance"]
    t["share_of_change"] = t["total"] / s["delta"] if s["delta"] else np.nan
    t["rank"] = t["total"].abs().rank(ascending=False, method="first").astype("Int64")
    dec.table = t.sort_values("rank", kind="stable").reset_index(drop=True)
    return dec


def _part_verdict(mix: float, perf: float) -> str:
    total = mix + perf
    if abs(total) < EPS:
        return "noise"
    if abs(mix) >= 2 / 3 * abs(total):
        return "mix"
    if abs(perf) >= 2 / 3 * abs(total):
        return "performance"
    return "both"


# ---------------------------------------------------------------- count sources

class DossierSource:
    """Counts of one dossier KPI, each period classified on its own (766 scope)."""

    fine, coarse, dimension = ["office_name", "procedure_code"], "office_name", "office_name"

    def __init__(self, kpi: str, dossiers: pd.DataFrame, calendar, kpis: pd.DataFrame | None, cache: dict):
        self.kpi, self.dossiers, self.calendar, self.kpis, self.cache = kpi, dossiers, calendar, kpis, cache

    def names(self, codes) -> str:
        """'code name; …' of procedure codes (names from the dossiers)."""
        n = self.dossiers.drop_duplicates("procedure_code").set_index("procedure_code")["procedure_name"]
        return "; ".join(f"{c} {n.get(c, '')}".strip() for c in codes)

    def classified(self, start, end) -> pd.DataFrame:
        key = (start, end)
        if key not in self.cache:
            self.cache[key] = classify_dossiers(self.dossiers, self.calendar, end, period_start=start)
        return self.cache[key]

    def counts(self, window, by: list[str]) -> pd.DataFrame:
        c = self.classified(*window)
        return dossier_kpis(c, by, kpis=[self.kpi])[by + ["k", "n"]]

    def monthly(self, segment: str | None) -> pd.DataFrame | None:
        if self.kpis is None or self.kpis.empty:
            return None
        m = self.kpis.loc[(self.kpis["period_kind"] == "month") & (self.kpis["kpi"] == self.kpi)]
        m = m.loc[m["dimension"] == "all"] if segment is None else \
            m.loc[(m["dimension"] == "office_name") & (m["group"] == segment)]
        return m.sort_values("period_start")[["period_start", "k", "n"]] if not m.empty else None

    def model(self, window):
        if self.kpi not in GLM_OUTCOMES:
            return None
        outcome, label = GLM_OUTCOMES[self.kpi]
        c = self.classified(*window)
        if outcome == "_no_apology":
            c = c.loc[c["in_processing_scope"] & c["is_late"] & ~c["is_stale"]].assign(
                _no_apology=lambda d: ~d["has_apology"].astype(bool))
        if c.empty:
            return None
        return fit_outcome_glm(aggregate_outcomes(c, outcome=outcome), outcome_label=label)


class SurveySource:
    """Counts of % satisfied (overall or one factor) by channel from the satisfaction table."""

    coarse, dimension, window_kind = "channel", "channel", "label"
    fine = ["channel"]

    def __init__(self, table: pd.DataFrame, level: str = "overall", code: str | None = None):
        t = table.loc[(table["level"] == level) & (table["segment_kind"].isin(["channel", "all"]))]
        self.t = t.loc[t["code"].astype(str) == code] if code else t
        self.kpi = code or "satisfaction_pct"

    def counts(self, window, by: list[str]) -> pd.DataFrame:
        kind, year, quarter = window
        t = self.t.loc[(self.t["period_kind"] == kind) & (self.t["year"] == year) & (self.t["quarter"] == quarter)]
        t = t.loc[t["segment_kind"] == ("channel" if by else "all")]
        out = t.rename(columns={"segment": "channel"})[(["channel"] if by else []) + ["k", "n"]]
        return out.astype({"k": "int64", "n": "int64"}) if not out.empty else pd.DataFrame(columns=by + ["k", "n"])

    def monthly(self, segment):
        return None

    def model(self, window):
        return None


def _windows(source, year: int, quarter: int, kind: str):
    """(base window, target window) of a source, ``kind`` 'ytd' or 'quarter': date pairs for
    dossier sources, ``(kind, year, quarter)`` for sources whose ``window_kind`` is 'label'."""
    if getattr(source, "window_kind", "dates") == "label":
        return (kind, year - 1, quarter), (kind, year, quarter)
    f = ytd_window if kind == "ytd" else quarter_window
    return f(year - 1, quarter), f(year, quarter)


def _total(df: pd.DataFrame) -> tuple[float, float]:
    return (float(df["k"].sum()), float(df["n"].sum())) if not df.empty else (0.0, 0.0)


def build_root_causes(*, annual=None, quarterly=None, paths=None, keywords=None, rules=None,
                      alpha: float = ALPHA) -> RootCauseResult:
    """The root-cause analysis (rules: module docstring) of an annual result (with its
    comparison), a quarterly result, or both (the quarterly operational data then also serve
    as evidence for the annual decreases).

    ``keywords`` / ``rules``: the cause-keyword and action-rule tables (default: read from
    ``paths.config``). Returns a :class:`RootCauseResult`. Raises ValueError when neither
    result is given; StructuralError from the keyword or rule tables.
    """
    from .actions import load_action_rules
    from .causes import load_cause_keywords
    from .config import Paths
    from .rootcause_text import finish_table, write_paragraphs

    if annual is None and quarterly is None:
        raise ValueError("build_root_causes needs an annual or a quarterly result")
    paths = paths or Paths()
    if keywords is None:
        keywords = load_cause_keywords(paths.config / "cause_keywords.csv")
    if rules is None:
        rules = load_action_rules(paths.config / "action_rules.csv")
    parts: dict = {"rows": [], "decomposition": [], "summaries": [], "models": {}, "notes": [], "cache": {}}
    if quarterly is not None:
        quarterly_rows(quarterly, paths, parts, alpha)
    if annual is not None:
        annual_rows(annual, quarterly, keywords, parts, alpha, paths)
    table = pd.DataFrame(parts["rows"], columns=[c for c in TABLE_COLUMNS if c != "rank"])
    table = _significance(table, alpha)
    table = finish_table(table, annual=annual, quarterly=quarterly, paths=paths, rules=rules)
    table = rank_causes_by_points(table)
    dec = pd.concat(parts["decomposition"], ignore_index=True) if parts["decomposition"] else pd.DataFrame()
    summ = pd.DataFrame(parts["summaries"])
    period = (quarterly.period.label if quarterly is not None else f"năm {annual.year}")
    res = RootCauseResult(table, [], dec, summ, parts["models"], parts["notes"], period)
    res.paragraphs = write_paragraphs(res)
    return res


def _significance(table: pd.DataFrame, alpha: float) -> pd.DataFrame:
    """Holm over every row's raw p-value; significant = adverse and adjusted p < alpha."""
    out = table.copy()
    p = pd.to_numeric(out["p_value"], errors="coerce").to_numpy(dtype=float)
    out["p_adjusted"] = adjust_pvalues(p, "holm") if len(out) else np.array([], dtype=float)
    adverse = out["is_adverse"].fillna(False).astype(bool)
    out["is_significant"] = (adverse & (out["p_adjusted"] < alpha)).fillna(False).astype(bool)
    return out


def rank_causes_by_points(table: pd.DataFrame) -> pd.DataFrame:
    """Sort by points explained (largest first; NaN last), then significant first, then by
    the size of the change; add ``rank`` (1..n) as the first column."""
    if table.empty:
        return table.assign(rank=pd.Series(dtype="int64"))[["rank"] + [c for c in table.columns if c != "rank"]]
    t = table.assign(_p=pd.to_numeric(table["points_explained"], errors="coerce"),
                     _c=-pd.to_numeric(table["change_pp"], errors="coerce").abs().fillna(0))
    t = t.sort_values(["_p", "is_significant", "_c"], ascending=[False, False, True], na_position="last",
                      kind="stable").drop(columns=["_p", "_c"]).reset_index(drop=True)
    t.insert(0, "rank", np.arange(1, len(t) + 1, dtype="int64"))
    return t


def survey_factor_links(nodes: pd.DataFrame, items: pd.DataFrame) -> dict[str, str]:
    """code -> factor_code for survey-method leaves whose name contains every word of a
    factor's name and at most MAX_EXTRA_WORDS other words (case-folded, NFC; "Kết quả cung
    ứng dịch vụ" ↔ "Kết quả dịch vụ", but not "Đánh giá về cải cách thủ tục hành chính" ↔
    "Thủ tục hành chính"); the factor with the most words wins."""
    factors = items.drop_duplicates("factor_code")[["factor_code", "factor_name"]]
    words = {r.factor_code: _words(r.factor_name) for r in factors.itertuples()}
    out = {}
    surv = nodes.loc[(nodes["method"] == "survey") & nodes["is_leaf"]]
    for r in surv.itertuples():
        name = _words(r.name)
        hits = [(len(w), f) for f, w in words.items() if w and w <= name and len(name - w) <= MAX_EXTRA_WORDS]
        if hits:
            out[str(r.code)] = max(hits)[1]
    return out


def _words(text) -> set[str]:
    return set((normalise_text(text) or "").casefold().replace(",", " ").split())


# ---------------------------------------------------------------- row builders

def _blank(x) -> bool:
    return x is None or (isinstance(x, float) and math.isnan(x)) or str(x).strip() in ("", "nan", "None")


def _node_info(node: dict, kind: str, measure: str, points_to_explain: float) -> dict:
    row = {c: None for c in TABLE_COLUMNS if c != "rank"}
    if not _blank(node.get("rule")) and not _blank(node.get("rule_params")):
        row["target_pct"] = full_points_threshold(node)
    row.update(code=str(node["code"]), name=node.get("name"), kind=kind, points_to_explain=points_to_explain,
               measure=measure, measure_label=MEASURE_LABELS.get(measure, measure), stage="", stage_detail="",
               reason="", reason_category="", reason_category_name="", segment_dimension="", segment="",
               driver_terms="", evidence_note="", signal_start=None, is_adverse=False, top_procedures="",
               owner_office=normalise_text(node.get("owner_office")) or "",
               partner_offices=normalise_text(node.get("partner_offices")) or "",
               plan_tasks=normalise_text(str(node.get("plan_tasks"))) if not _blank(node.get("plan_tasks")) else "")
    return row


def _compare(row: dict, k0, n0, k1, n1) -> dict:
    """Fill before/after, change and the raw p-value of a base → target comparison."""
    v0, v1 = _rate(k0, n0), _rate(k1, n1)
    row.update(k_before=k0, n_before=n0, k_after=k1, n_after=n1, measure_before=v0, measure_after=v1,
               change_pp=v1 - v0, p_value=_pvalue(k0, n0, k1, n1) if n0 and n1 else np.nan,
               is_adverse=bool(v1 < v0) if not (math.isnan(v0) or math.isnan(v1)) else False)
    return row


def _pct_text(v) -> str:
    from .vnformat import fmt_pct

    return fmt_pct(v)


def _signal_start(series: pd.DataFrame | None, start, end) -> str | None:
    """First month (YYYY-MM) of the earliest adverse control-chart run that touches [start,
    end]; the previous year's months are the centre line when there are six or more."""
    from .spc import p_chart

    if series is None:
        return None
    s = series.loc[series["n"] > 0]
    if len(s) < 8:
        return None
    when = pd.to_datetime(s["period_start"])
    prev = when.dt.year < pd.Timestamp(start).year
    base = list(when[prev].dt.strftime("%Y-%m")) if int(prev.sum()) >= 6 else None
    ch = p_chart(s.assign(period=when.dt.strftime("%Y-%m").to_numpy()), period="period", k="k", n="n",
                 baseline=base, laney=True)
    ch["when"] = pd.to_datetime(ch["period"])
    hit = ch.loc[ch["signal"] & (ch["z"] < 0) & ch["when"].between(pd.Timestamp(start), pd.Timestamp(end))]
    if hit.empty:
        return None
    starts = hit["run_start"].dropna()
    return str(starts.iloc[0]) if not starts.empty else hit["period"].iloc[0]


def _drivers(model, segment: str | None) -> str:
    from .rootcause_text import driver_text

    if model is None or model.status != "ok":
        return ""
    d = model.table.loc[model.table["is_driver"]]
    # the row's own segment term first; terms of other segments of the same factor belong to their rows
    own = d.loc[d["level"] == segment] if segment else d.iloc[0:0]
    same_factor = set(own["factor"]) | ({"office_name"} if segment else set())
    d = pd.concat([own, d.loc[~d["factor"].isin(same_factor)]])
    return "; ".join(driver_text(r) for r in d.head(MAX_SEGMENTS).to_dict("records"))


def _record(parts: dict, dec, code: str, measure: str, period: str, label: str, dimension: str) -> None:
    t = rollup(dec.table, dimension) if dimension in dec.table.columns else dec.table
    t = t.rename(columns={dimension: "segment"})
    t = t.assign(code=code, measure=measure, period=period, period_label=label, dimension=dimension,
                 segment=t["segment"].astype("string").fillna("(không rõ)").astype(str))
    parts["decomposition"].append(t[["code", "measure", "period", "period_label", "dimension", "segment", "n0",
                                     "n1", "r0", "r1", "mix", "performance", "total", "share_of_change"]])
    s = dec.summary
    parts["summaries"].append({"code": code, "measure": measure, "period": period, "period_label": label,
                               **{k: s.get(k) for k in ("base_rate", "target_rate", "delta", "mix_total",
                                                        "performance_total", "performance_p", "delta_p",
                                                        "verdict", "verdict_text")}})


def kpi_node_rows(node: dict, src, year: int, quarter: int, parts: dict) -> None:
    """Rows of one KPI-driven node projected below its maximum (module docstring)."""
    code, kpi = str(node["code"]), src.kpi
    bw, nw = _windows(src, year, quarter, "ytd")
    k1, n1 = _total(src.counts(nw, []))
    k0, n0 = _total(src.counts(bw, []))
    p1 = points_for(_rate(k1, n1), node)
    if math.isnan(p1):
        parts["notes"].append(f"Tiêu chí {code}: chưa có số liệu «{MEASURE_LABELS.get(kpi, kpi)}» trong "
                              f"{ytd_label(year, quarter)}; không đánh giá.")
        return
    at_risk = round(float(node["max_points"]) - p1, 2)
    if at_risk <= EPS:
        return
    p0 = points_for(_rate(k0, n0), node)
    change = round(min(at_risk, max(0.0, p0 - p1)), 2) if not math.isnan(p0) else 0.0
    if math.isnan(p0):
        parts["notes"].append(f"Tiêu chí {code}: không có số liệu cùng kỳ năm {year - 1}; không kết luận về thay "
                              "đổi so với năm trước.")
    if change > EPS:
        _change_rows(node, src, year, quarter, change, at_risk, parts)
    if at_risk - change > EPS:
        _shortfall_rows(node, src, year, quarter, round(at_risk - change, 2), at_risk, parts)


def _change_rows(node, src, year, quarter, change, at_risk, parts) -> None:
    code, kpi = str(node["code"]), src.kpi
    per_q = {}
    for q in range(1, quarter + 1):
        bw, nw = _windows(src, year, q, "quarter")
        per_q[q] = (src.counts(bw, src.fine).assign(quarter=q), src.counts(nw, src.fine).assign(quarter=q), nw)
    pooled = decompose(pd.concat([v[0] for v in per_q.values()]),
                                   pd.concat([v[1] for v in per_q.values()]), ["quarter"] + src.fine)
    delta = pooled.summary["delta"]
    if pooled.summary["status"] != "ok" or not delta < 0:
        row = _node_info(node, "at_risk", kpi, at_risk)
        bw, nw = _windows(src, year, quarter, "ytd")
        _compare(row, *_total(src.counts(bw, [])), *_total(src.counts(nw, [])))
        row.update(points_explained=change, period=f"{year}-YTD", period_label=ytd_label(year, quarter),
                   base_period_label=f"cùng kỳ năm {year - 1}", mix_or_performance="noise",
                   evidence_note="Không phân tách được theo quý (số liệu theo quý không đủ hoặc không cùng chiều).")
        parts["rows"].append(row)
        return
    byq = rollup(pooled.table, "quarter").set_index("quarter")["total"]
    byqo = rollup(pooled.table, ["quarter", src.coarse])
    for q, (b, t, nw) in per_q.items():
        share_q = float(byq.get(q, np.nan)) / delta
        if not share_q > EPS:
            continue
        dq = decompose(b, t, src.fine)
        key, label = f"{year}-Q{q}", quarter_label(year, q)
        _record(parts, dq, code, kpi, key, label, src.coarse)
        verdict = dq.summary["verdict"]
        base = _node_info(node, "at_risk", kpi, at_risk)
        base.update(period=key, period_label=label, base_period_label=quarter_label(year - 1, q))
        if verdict in ("mix", "noise", "no_data"):
            row = _compare(dict(base), *_total(b), *_total(t))
            row.update(points_explained=round(change * share_q, 4), mix_or_performance=verdict,
                       p_value=dq.summary["delta_p"], segment_share_of_change=1.0,
                       signal_start=_signal_start(src.monthly(None), *quarter_window(year, q)))
            if verdict == "mix":
                row.update(_mix_segment(dq, src))
            parts["rows"].append(row)
            continue
        model = src.model(nw)
        if model is not None:
            parts["models"][(kpi, key)] = model
        own = rollup(dq.table, src.coarse).set_index(src.coarse)
        adverse = byqo.loc[(byqo["quarter"] == q) & (byqo["total"] < 0)].sort_values("total").head(MAX_SEGMENTS)
        for r in adverse.itertuples(index=False):
            seg = getattr(r, src.coarse)
            o = own.loc[seg]
            row = _compare(dict(base), o["k0"], o["n0"], o["k1"], o["n1"])
            row.update(points_explained=round(change * r.total / delta, 4), segment_dimension=src.dimension,
                       segment=str(seg), segment_share_of_change=float(o["total"]) / dq.summary["delta"]
                       if dq.summary["delta"] else np.nan,
                       mix_or_performance=_part_verdict(float(o["mix"]), float(o["performance"])),
                       signal_start=_signal_start(src.monthly(str(seg)), *quarter_window(year, q)),
                       driver_terms=_drivers(model, str(seg)), top_procedures=_top_procedures(dq, src, seg),
                       evidence_note=f"Cả Sở trong quý: {dq.summary['verdict_text']}.")
            parts["rows"].append(row)


def _top_procedures(dq, src, seg) -> str:
    """The (at most two) procedures of a segment whose change hurt the most."""
    if not isinstance(src, DossierSource):
        return ""
    t = dq.table.loc[(dq.table[src.coarse] == seg) & (dq.table["total"] < 0)].sort_values("total").head(2)
    return src.names(t["procedure_code"].astype(str)) if not t.empty else ""


def _mix_segment(dq, src) -> dict:
    """The segments whose growing share drove a mix change (adverse mix parts, top 2)."""
    t = dq.table.loc[dq.table["mix"] < 0].sort_values("mix").head(2)
    if t.empty or not dq.summary["delta"]:
        return {}
    col = src.fine[-1]
    codes = t[col].astype(str)
    return {"segment_dimension": col, "segment": "; ".join(codes),
            "top_procedures": src.names(codes) if isinstance(src, DossierSource) else "",
            "segment_share_of_change": float(t["mix"].sum()) / dq.summary["delta"]}


def _shortfall_rows(node, src, year, quarter, shortfall, at_risk, parts) -> None:
    kpi = src.kpi
    goal = full_points_threshold(node) / 100
    bw, nw = _windows(src, year, quarter, "ytd")
    now, base = src.counts(nw, [src.coarse]), src.counts(bw, [src.coarse])
    m = now.merge(base, on=src.coarse, how="left", suffixes=("1", "0")).fillna({"k0": 0, "n0": 0})
    N, K = float(m["n1"].sum()), float(m["k1"].sum())
    info = _node_info(node, "at_risk", kpi, at_risk)
    info.update(period=f"{year}-YTD", period_label=ytd_label(year, quarter),
                base_period_label=f"cùng kỳ năm {year - 1}", mix_or_performance="shortfall")
    gap_total = goal - K / N if N else np.nan
    m["gap"] = np.where(m["n1"] > 0, m["n1"] / N * (goal - m["k1"] / m["n1"].where(m["n1"] > 0)), 0.0) if N else 0.0
    top = m.loc[m["gap"] > EPS].sort_values("gap", ascending=False).head(MAX_SEGMENTS)
    if not gap_total > EPS or top.empty:
        row = _compare(dict(info), *_total(base), *_total(now))
        row.update(points_explained=shortfall, p_value=np.nan, is_adverse=False)
        parts["rows"].append(row)
        return
    for r in top.to_dict("records"):
        row = _compare(dict(info), r["k0"], r["n0"], r["k1"], r["n1"])
        row.update(points_explained=round(shortfall * r["gap"] / gap_total, 4), segment_dimension=src.dimension,
                   segment=str(r[src.coarse]), segment_share_of_change=r["gap"] / gap_total)
        parts["rows"].append(row)


def factor_rows(node: dict, src: SurveySource, year: int, quarter: int, parts: dict, alpha: float) -> None:
    """Rows of a survey-factor node: per quarter, the channel whose % satisfied fell the
    most significantly (raw p < alpha before the table-wide Holm); points not computable."""
    for q in range(1, quarter + 1):
        bw, nw = _windows(src, year, q, "quarter")
        b, t = src.counts(bw, ["channel"]), src.counts(nw, ["channel"])
        m = t.merge(b, on="channel", suffixes=("1", "0"))
        if m.empty:
            continue
        m["p"] = two_proportion_test(m["k1"], m["n1"], m["k0"], m["n0"])[1]
        m = m.loc[(m["k1"] / m["n1"] < m["k0"] / m["n0"]) & (m["p"] < alpha)].sort_values("p")
        if m.empty:
            continue
        r = m.iloc[0]
        row = _compare(_node_info(node, "at_risk", src.kpi, np.nan), r["k0"], r["n0"], r["k1"], r["n1"])
        row.update(points_explained=np.nan, period=f"{year}-Q{q}", period_label=quarter_label(year, q),
                   base_period_label=quarter_label(year - 1, q), segment_dimension="channel",
                   segment=str(r["channel"]), mix_or_performance="performance",
                   measure_label=f"Tỷ lệ hài lòng với yếu tố «{node.get('factor_name') or src.kpi}» (khảo sát của Sở)",
                   evidence_note="Tiêu chí chấm bằng điều tra xã hội học của tỉnh: khảo sát của Sở là chỉ báo sớm, "
                                 "không quy đổi được sang điểm.")
        parts["rows"].append(row)


def simple_row(node: dict, proj: dict, year: int, quarter: int, parts: dict) -> None:
    """A projected shortfall of a KPI without segment-level data (feedback, tasks, 766)."""
    at_risk = proj.get("points_at_risk")
    if at_risk is None or pd.isna(at_risk) or at_risk <= EPS:
        return
    row = _node_info(node, "at_risk", str(node["kpi"]), float(at_risk))
    row.update(points_explained=float(at_risk), measure_after=proj.get("value_pct"), period=f"{year}-YTD",
               period_label=ytd_label(year, quarter), base_period_label="", mix_or_performance="shortfall",
               p_value=np.nan, evidence_note="Chưa có số liệu chi tiết của cùng kỳ năm trước để phân tách nguyên nhân; "
                                             "chỉ nêu phần điểm chưa đạt.")
    parts["rows"].append(row)


def quarterly_rows(q, paths, parts: dict, alpha: float) -> None:
    """Every at-risk row of a quarterly result (``parlib.quarterly.QuarterlyResult``)."""
    fw = q.framework
    year, quarter = q.period.year, q.period.quarter
    if fw is None:
        parts["notes"].append(f"Chưa có khung tiêu chí năm {year}: không dự báo được tiêu chí có nguy cơ mất điểm.")
        return
    nodes = fw.nodes.loc[fw.nodes["is_leaf"]]
    proj = {str(r["code"]): r for r in q.projection.to_dict("records")} if q.projection is not None else {}
    has_dossiers = q.dossiers is not None and not q.dossiers.empty
    for node in nodes.loc[~nodes["kpi"].map(_blank) & ~nodes["rule"].map(_blank)].to_dict("records"):
        kpi = str(node["kpi"]).strip()
        if kpi in DOSSIER_KPIS and has_dossiers:
            src = DossierSource(kpi, q.dossiers, q.calendar, q.kpis, parts["cache"])
            kpi_node_rows(node, src, year, quarter, parts)
        elif kpi == "satisfaction_pct" and q.survey_table is not None:
            kpi_node_rows(node, SurveySource(q.survey_table), year, quarter, parts)
        else:
            simple_row(node, proj.get(str(node["code"]), {}), year, quarter, parts)
    items = _survey_items(paths)
    if q.survey_table is not None and items is not None:
        names = items.drop_duplicates("factor_code").set_index("factor_code")["factor_name"]
        for code, factor in survey_factor_links(nodes, items).items():
            node = nodes.loc[nodes["code"] == code].iloc[0].to_dict() | {"factor_name": names.get(factor)}
            factor_rows(node, SurveySource(q.survey_table, "factor", factor), year, quarter, parts, alpha)


def _survey_items(paths) -> pd.DataFrame | None:
    from .survey import load_survey_items

    p = paths.config / "survey_items.csv"
    return load_survey_items(p) if p.exists() else None


# ---------------------------------------------------------------- annual (year over year)

def _stage(loss: dict) -> tuple[str, str]:
    """(stage id, Vietnamese detail) of a node's lost points in the target year."""
    from .vnformat import fmt_num

    parts = {"not_claimed": float(loss.get("not_claimed_points") or 0.0),
             "cut_at_appraisal": float(loss.get("cut_round1_points") or 0.0)
             - float(loss.get("regained_points") or 0.0),
             "survey": float(loss.get("survey_points") or 0.0)}
    if max(parts.values()) <= EPS:
        return "none", ""
    stage = max(parts, key=parts.get)
    detail = "; ".join(f"{STAGE_VI[k]}: {fmt_num(v)} điểm" for k, v in parts.items() if v > EPS)
    return stage, detail


def _evidence_window(annual_year: int, quarterly) -> int | None:
    """Last quarter of ``annual_year`` covered by the quarterly result's data, else None."""
    if quarterly is None:
        return None
    if annual_year == quarterly.period.year:
        return quarterly.period.quarter
    return 4 if annual_year < quarterly.period.year else None


def _annual_evidence(row: dict, src, year: int, quarter: int, parts: dict) -> None:
    """Same months of both years: change, leading segment, verdict (pooled decomposition)."""
    bw, nw = _windows(src, year, quarter, "ytd")
    b, t = src.counts(bw, src.fine), src.counts(nw, src.fine)
    _compare(row, *_total(b), *_total(t))
    row.update(period=f"{year}-YTD", period_label=ytd_label(year, quarter), base_period_label=f"cùng kỳ năm {year - 1}",
               evidence_note=f"Chỉ số so sánh {ytd_label(year, quarter)} với cùng kỳ năm {year - 1}.")
    if not (row["n_before"] and row["n_after"]):
        row.update(evidence_note=f"Không có số liệu «{row['measure_label']}» của cả hai kỳ để đối chiếu; không kết "
                                 "luận về chỉ số.", p_value=np.nan, is_adverse=False)
        return
    dec = decompose(b, t, src.fine)
    _record(parts, dec, row["code"], src.kpi, f"{year}-YTD", ytd_label(year, quarter), src.coarse)
    row["p_value"] = dec.summary["delta_p"]
    whole = (f"Toàn Sở: {_pct_text(row['measure_before'])} → {_pct_text(row['measure_after'])} "
             f"({ytd_label(year, quarter)} so với cùng kỳ năm {year - 1}); {dec.summary['verdict_text']}.")
    if not row["is_adverse"]:
        row.update(mix_or_performance="noise", evidence_note=whole + " Chỉ số không giảm; điểm giảm không giải thích "
                                                                     "được bằng chỉ số này.")
        return
    own = rollup(dec.table, src.coarse)
    lead = own.loc[own["total"] < 0].sort_values("total").head(1)
    row.update(mix_or_performance=dec.summary["verdict"], evidence_note=whole)
    if not lead.empty:  # the row then describes its leading segment (like the quarterly rows)
        r = lead.iloc[0]
        _compare(row, r["k0"], r["n0"], r["k1"], r["n1"])
        row.update(segment_dimension=src.dimension, segment=str(r[src.coarse]),
                   segment_share_of_change=float(r["total"]) / dec.summary["delta"],
                   mix_or_performance=_part_verdict(float(r["mix"]), float(r["performance"])))
    row["signal_start"] = _signal_start(src.monthly(None), *ytd_window(year, quarter))


def annual_rows(annual, quarterly, keywords, parts: dict, alpha: float, paths=None) -> None:
    """Every year-over-year decrease of an annual result with a comparison."""
    from .causes import classify_reasons

    comp = annual.comparison
    if comp is None:
        parts["notes"].append(f"Chưa so sánh năm {annual.year} với năm trước: chưa xác định được tiêu chí giảm điểm.")
        return
    d = comp.decomposition
    drops = d.loc[pd.to_numeric(d["performance_points"], errors="coerce") < -EPS]
    nodes = {str(r["code"]): r for r in annual.framework.nodes.to_dict("records")}
    loss = {str(r["code"]): r for r in annual.loss.to_dict("records")}
    scores = annual.scores.assign(code=annual.scores["code"].astype(str)).drop_duplicates("code").set_index("code")
    reasons = scores["reason"].reindex(drops["code"].astype(str)).reset_index(drop=True)
    cls = classify_reasons(reasons, keywords)
    quarter = _evidence_window(annual.year, quarterly)
    links, factor_names = {}, {}
    if quarterly is not None and quarterly.survey_table is not None and paths is not None:
        items = _survey_items(paths)
        if items is not None:
            links = survey_factor_links(annual.framework.nodes, items)
            factor_names = dict(zip(items["factor_code"], items["factor_name"]))
    for i, r in enumerate(drops.to_dict("records")):
        code = str(r["code"])
        node = nodes.get(code, {"code": code, "name": r.get("name"), "owner_office": r.get("owner_office")})
        kpi = None if _blank(node.get("kpi")) else str(node["kpi"]).strip()
        measure = kpi or links.get(code) or ""
        row = _node_info(node, "year_over_year", measure, -float(r["performance_points"]))
        if measure in factor_names:
            row["measure_label"] = f"Tỷ lệ hài lòng với yếu tố «{factor_names[measure]}» (khảo sát của Sở)"
        stage, detail = _stage(loss.get(code, {}))
        c = cls.iloc[i]
        row.update(points_explained=-float(r["performance_points"]), stage=stage, stage_detail=detail,
                   reason=c["reason"], reason_category=c["category"], reason_category_name=c["category_name"],
                   period=str(annual.year), period_label=f"năm {annual.year}",
                   base_period_label=f"năm {comp.base_year}", mix_or_performance="")
        src = None
        if quarter is not None and measure:
            if measure in DOSSIER_KPIS and quarterly.dossiers is not None and not quarterly.dossiers.empty:
                src = DossierSource(measure, quarterly.dossiers, quarterly.calendar, quarterly.kpis, parts["cache"])
            elif measure == "satisfaction_pct" and quarterly.survey_table is not None:
                src = SurveySource(quarterly.survey_table)
            elif measure in links.values() and quarterly.survey_table is not None:
                src = SurveySource(quarterly.survey_table, "factor", measure)
        if src is not None:
            _annual_evidence(row, src, annual.year, quarter, parts)
        elif measure:
            row["evidence_note"] = (f"Chưa có số liệu vận hành «{row['measure_label']}» của năm {annual.year} và "
                                    f"{comp.base_year} để đối chiếu; không kết luận về chỉ số.")
        parts["rows"].append(row)
