"""Evidence of the root-cause analysis: result and evidence types, points through the framework's
rules, comparison windows, the mix/performance decomposition and the dossier and survey sources.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from parlib.analysis.decompose import decompose_rate_change, rollup
from parlib.analysis.rootcause.finish import driver_text
from parlib.analysis.spc import p_chart
from parlib.analysis.stats import two_proportion_test
from parlib.core.labels import KPI_LABELS, MEASURE_LABELS
from parlib.core.numbers import is_blank, round_half_up
from parlib.core.text import normalise_text
from parlib.core.vnformat import fmt_pct
from parlib.model.framework import parse_rule_params, rule_points

ALPHA = 0.05
EPS = 1e-9
MAX_SEGMENTS = 3
MAX_EXTRA_WORDS = 2
DOSSIER_KPIS = set(KPI_LABELS) - {"late_pct", "reschedule_violation_pct"}
GLM_OUTCOMES = {
    "on_time_pct": ("is_late", "trễ hạn"),
    "apology_pct": ("_no_apology", "thiếu văn bản xin lỗi"),
}
TABLE_COLUMNS = [
    "rank",
    "code",
    "name",
    "kind",
    "points_explained",
    "points_to_explain",
    "points_at_stake",
    "stage",
    "stage_detail",
    "reason",
    "reason_category",
    "reason_category_name",
    "measure",
    "measure_label",
    "period",
    "period_label",
    "base_period_label",
    "measure_before",
    "measure_after",
    "change_pp",
    "k_before",
    "n_before",
    "k_after",
    "n_after",
    "target_pct",
    "p_value",
    "p_adjusted",
    "is_adverse",
    "is_significant",
    "signal_start",
    "segment_dimension",
    "segment",
    "top_procedures",
    "segment_share_of_change",
    "mix_or_performance",
    "driver_terms",
    "owner_office",
    "partner_offices",
    "plan_tasks",
    "task_status",
    "action_text",
    "action_deadline",
    "action_due",
    "evidence_note",
]


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
    Vietnamese notes on what could not be analysed. ``reconciliation`` (annual with a
    comparison): the lines that add up to the total change
    (:func:`parlib.analysis.rootcause.reconcile.reconciliation`); ``persistent``: sub-criteria
    short of their maximum in both years without a fall (not causes of the change)."""

    table: pd.DataFrame
    paragraphs: list[str] = field(default_factory=list)
    decomposition: pd.DataFrame = field(default_factory=pd.DataFrame)
    summaries: pd.DataFrame = field(default_factory=pd.DataFrame)
    models: dict = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    title_period: str = ""
    reconciliation: dict | None = None
    persistent: pd.DataFrame = field(default_factory=pd.DataFrame)

    def summary_json(self, n: int = 10) -> list[dict]:
        """Ranked causes for ``summary.json``: the top ``n`` by rank plus every significant
        cause whatever its rank (in rank order), and every year-over-year row (an annual result:
        they add up to the decreases of the reconciliation): code, name, kind, measure, period,
        segment, office, points_explained (2 decimals, None when not computable), significant."""
        r2 = lambda x: None if x is None or pd.isna(x) else round(float(x), 2)  # noqa: E731
        out = []
        t = self.table
        keep = (
            (t["rank"] <= n)
            | t["is_significant"].fillna(False).astype(bool)
            | (t["kind"] == "year_over_year")
            if not t.empty
            else []
        )
        for r in t.loc[keep].to_dict("records"):
            office = (
                r["segment"]
                if r["segment_dimension"] == "office_name" and r["segment"]
                else r["owner_office"]
            )
            out.append(
                {
                    "rank": int(r["rank"]),
                    "code": r["code"],
                    "name": r["name"],
                    "kind": r["kind"],
                    "measure": r["measure"] or None,
                    "period": r["period"] or None,
                    "segment": r["segment"] or None,
                    "segment_dimension": r["segment_dimension"] or None,
                    "office": office or None,
                    "points_explained": r2(r["points_explained"]),
                    "points_at_stake": r2(r.get("points_at_stake")),
                    "mix_or_performance": r["mix_or_performance"] or None,
                    "significant": bool(r["is_significant"]),
                }
            )
        return out


# ---------------------------------------------------------------- rules and windows


@dataclass
class Evidence:
    """What the row builders collect: one cause row each, the rate decompositions behind them,
    per-node summaries, fitted outcome models (by measure), notes for the method section, and
    a cache of frames shared by several nodes."""

    rows: list[dict] = field(default_factory=list)
    decomposition: list[pd.DataFrame] = field(default_factory=list)
    summaries: list[dict] = field(default_factory=list)
    models: dict = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    cache: dict = field(default_factory=dict)
    stakes: dict = field(default_factory=dict)  # node code -> points at stake by year-end


def points_for(value_pct, node) -> float:
    """Points of ``node`` (rule, rule_params, max_points) at a KPI value (0–100); NaN when the
    value or the rule is missing. Rounded to 2 decimals like the scoresheets."""
    rule = normalise_text(node.get("rule")) if isinstance(node.get("rule"), str) else None
    if not rule or value_pct is None or pd.isna(value_pct):
        return float("nan")
    return round_half_up(
        rule_points(float(value_pct), rule, str(node.get("rule_params")), float(node["max_points"]))
    )


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
    return round_half_up(points_for(before_pct, node) - points_for(after_pct, node))


def quarter_window(year: int, quarter: int) -> tuple[pd.Timestamp, pd.Timestamp]:
    start = pd.Timestamp(year, 3 * quarter - 2, 1)
    return start, (start + pd.offsets.QuarterEnd(0)).normalize() + pd.Timedelta(
        hours=23, minutes=59, seconds=59
    )


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


def _windows(source, year: int, quarter: int, kind: str):
    """(base window, target window) of a source, ``kind`` 'ytd' or 'quarter': date pairs for
    dossier sources, ``(kind, year, quarter)`` for sources whose ``window_kind`` is 'label'."""
    if getattr(source, "window_kind", "dates") == "label":
        return (kind, year - 1, quarter), (kind, year, quarter)
    f = ytd_window if kind == "ytd" else quarter_window
    return f(year - 1, quarter), f(year, quarter)


def _total(df: pd.DataFrame) -> tuple[float, float]:
    return (float(df["k"].sum()), float(df["n"].sum())) if not df.empty else (0.0, 0.0)


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


def _node_info(node: dict, kind: str, measure: str, points_to_explain: float) -> dict:
    row = {c: None for c in TABLE_COLUMNS if c != "rank"}
    if not is_blank(node.get("rule")) and not is_blank(node.get("rule_params")):
        row["target_pct"] = full_points_threshold(node)
    row.update(
        code=str(node["code"]),
        name=node.get("name"),
        kind=kind,
        points_to_explain=points_to_explain,
        measure=measure,
        measure_label=MEASURE_LABELS.get(measure, measure),
        stage="",
        stage_detail="",
        reason="",
        reason_category="",
        reason_category_name="",
        segment_dimension="",
        segment="",
        driver_terms="",
        evidence_note="",
        signal_start=None,
        is_adverse=False,
        top_procedures="",
        owner_office=normalise_text(node.get("owner_office")) or "",
        partner_offices=normalise_text(node.get("partner_offices")) or "",
        plan_tasks=normalise_text(str(node.get("plan_tasks")))
        if not is_blank(node.get("plan_tasks"))
        else "",
    )
    return row


def _compare_frames(row: dict, base: pd.DataFrame, now: pd.DataFrame) -> dict:
    """:func:`_compare` of two count frames; their effective counts (``k_eff, n_eff``, survey
    factors) give the p-value when present."""
    eff = None
    if "n_eff" in base.columns and "n_eff" in now.columns:
        eff = (
            float(base["k_eff"].sum()),
            float(base["n_eff"].sum()),
            float(now["k_eff"].sum()),
            float(now["n_eff"].sum()),
        )
    return _compare(row, *_total(base), *_total(now), eff=eff)


def _compare(row: dict, k0, n0, k1, n1, *, eff: tuple | None = None) -> dict:
    """Fill before/after, change and the raw p-value of a base → target comparison (``eff``:
    effective counts ``(k0, n0, k1, n1)`` for the test when the units are clustered)."""
    v0, v1 = _rate(k0, n0), _rate(k1, n1)
    row.update(
        k_before=k0,
        n_before=n0,
        k_after=k1,
        n_after=n1,
        measure_before=v0,
        measure_after=v1,
        change_pp=v1 - v0,
        p_value=(_pvalue(*eff) if eff is not None else _pvalue(k0, n0, k1, n1)) if n0 and n1 else np.nan,
        is_adverse=bool(v1 < v0) if not (math.isnan(v0) or math.isnan(v1)) else False,
    )
    return row


def _pct_text(v) -> str:

    return fmt_pct(v)


def _signal_start(series: pd.DataFrame | None, start, end) -> str | None:
    """First month (YYYY-MM) of the current adverse signal: the unbroken run of months flagged
    below the centre line that ends at the latest month of [start, end] with data; None when
    that month is not flagged ("no current signal"; an earlier episode is not the current
    one). The previous year's months are the centre line when there are six or more."""

    if series is None:
        return None
    s = series.loc[series["n"] > 0]
    if len(s) < 8:
        return None
    when = pd.to_datetime(s["period_start"])
    prev = when.dt.year < pd.Timestamp(start).year
    base = list(when[prev].dt.strftime("%Y-%m")) if int(prev.sum()) >= 6 else None
    ch = p_chart(
        s.assign(period=when.dt.strftime("%Y-%m").to_numpy()),
        period="period",
        k="k",
        n="n",
        baseline=base,
        laney=True,
    )
    ch["when"] = pd.to_datetime(ch["period"])
    ch = ch.loc[ch["when"] <= pd.Timestamp(end)].sort_values("when").reset_index(drop=True)
    if ch.empty or ch["when"].iloc[-1] < pd.Timestamp(start):
        return None
    adverse = (ch["signal"] & (ch["z"] < 0)).to_numpy(dtype=bool)
    if not adverse[-1]:
        return None
    first = len(ch) - 1
    while first > 0 and adverse[first - 1]:
        first -= 1
    return str(ch["period"].iloc[first])


def _drivers(model, segment: str | None) -> str:

    if model is None or model.status != "ok":
        return ""
    d = model.table.loc[model.table["is_driver"]]
    # the row's own segment term first; terms of other segments of the same factor belong to their rows
    own = d.loc[d["level"] == segment] if segment else d.iloc[0:0]
    same_factor = set(own["factor"]) | ({"office_name"} if segment else set())
    d = pd.concat([own, d.loc[~d["factor"].isin(same_factor)]])
    return "; ".join(driver_text(r) for r in d.head(MAX_SEGMENTS).to_dict("records"))


def _record(ev: Evidence, dec, code: str, measure: str, period: str, label: str, dimension: str) -> None:
    t = rollup(dec.table, dimension) if dimension in dec.table.columns else dec.table
    t = t.rename(columns={dimension: "segment"})
    t = t.assign(
        code=code,
        measure=measure,
        period=period,
        period_label=label,
        dimension=dimension,
        segment=t["segment"].astype("string").fillna("(không rõ)").astype(str),
    )
    ev.decomposition.append(
        t[
            [
                "code",
                "measure",
                "period",
                "period_label",
                "dimension",
                "segment",
                "n0",
                "n1",
                "r0",
                "r1",
                "mix",
                "performance",
                "total",
                "share_of_change",
            ]
        ]
    )
    s = dec.summary
    ev.summaries.append(
        {
            "code": code,
            "measure": measure,
            "period": period,
            "period_label": label,
            **{
                k: s.get(k)
                for k in (
                    "base_rate",
                    "target_rate",
                    "delta",
                    "mix_total",
                    "performance_total",
                    "performance_p",
                    "delta_p",
                    "verdict",
                    "verdict_text",
                )
            },
        }
    )
