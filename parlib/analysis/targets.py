"""Status of each KPI against the plan's targets (met / at risk / missed / not applicable)."""

from __future__ import annotations

import math
from fractions import Fraction

import numpy as np
import pandas as pd

from parlib.core.cells import parse_numbers
from parlib.core.labels import KPI_NOUNS, STATUS_VI
from parlib.core.vnformat import fmt_int, fmt_pct

# ---------------------------------------------------------------- targets

_COMPARISONS = {">=": ">=", "≥": ">=", "=>": ">=", "<=": "<=", "≤": "<=", "=<": "<=", "=": "=", "==": "="}


def _target_text(t: float) -> str:
    return fmt_pct(t, 0 if float(t).is_integer() else 1)


def kpi_status(kpis: pd.DataFrame, targets: pd.DataFrame) -> pd.DataFrame:
    """Status of each KPI row against its plan target (rows of KPIs without a target dropped).

    ``targets``: kpi, label, target_pct, comparison (>=, <=, =), plan_ref, at_risk_margin_pp.
    ``=`` means ``>=`` for a target ≥ 50 % and ``<=`` below (100 % of..., 0 violations).
    Rule (decision, as the note of targets.csv states it): met when the rate satisfies the
    comparison; at risk when it misses the target by less than ``at_risk_margin_pp`` (98 %,
    margin 1: 97 < rate < 98); missed otherwise; n == 0 -> not applicable; a row with a
    non-empty ``missing_note`` (its input is absent) -> no_data ("Chưa có số liệu", the note as
    gap_text). ``is_within_noise``
    tells whether the Wilson interval still reaches the target (a shortfall that may be noise,
    typical of small groups) without changing the status.
    Gap: smallest integer x with (k + x)/n >= target (``<=``: k - x <= target·n), as a sentence,
    e.g. "Cần thêm 12 hồ sơ đúng hạn trong Quý I/2026 để đạt 98 %" (period from ``period_label``,
    else ``period``); for the apology KPI the late dossiers without an apology are named.
    Returns the KPI columns plus target_pct, comparison, plan_ref, at_risk_margin_pp, status
    (met/at_risk/missed/not_applicable/no_data), status_vi, is_within_noise, gap_count (Int64), gap_text.
    """
    t = targets.copy()
    t["target_pct"] = parse_numbers(t["target_pct"].astype(object))[0]
    margin = t["at_risk_margin_pp"] if "at_risk_margin_pp" in t else pd.Series(0.0, index=t.index)
    t["at_risk_margin_pp"] = parse_numbers(margin.astype(object))[0].fillna(0.0)
    comp = t["comparison"].astype(str).str.strip().map(_COMPARISONS)
    t["comparison"] = comp.where(comp != "=", np.where(t["target_pct"] >= 50, ">=", "<="))
    keep = [c for c in ("kpi", "target_pct", "comparison", "plan_ref", "at_risk_margin_pp") if c in t]
    out = kpis.merge(t[keep].dropna(subset=["target_pct", "comparison"]), on="kpi", how="inner")
    status, vi, gap, text, noise = [], [], [], [], []
    labels = (
        out["period_label"] if "period_label" in out else out.get("period", pd.Series("", index=out.index))
    )
    where = [f"trong {p}" if isinstance(p, str) and p else "trong kỳ" for p in labels]
    notes = out["missing_note"] if "missing_note" in out else pd.Series("", index=out.index)
    for r, w, note in zip(out.itertuples(index=False), where, notes.fillna("").astype(str)):
        if note:  # the input of the period is absent: missing is not zero, and not "không áp dụng"
            status.append("no_data"), vi.append(STATUS_VI["no_data"]), gap.append(None), text.append(note)
            noise.append(False)
            continue
        st, x, s = _one_status(
            r.kpi, int(r.k), int(r.n), r.pct, float(r.target_pct), r.comparison, float(r.at_risk_margin_pp), w
        )
        status.append(st), vi.append(STATUS_VI[st]), gap.append(x), text.append(s)
        noise.append(
            st in ("at_risk", "missed")
            and bool(
                r.ci_high_pct >= r.target_pct - 1e-9
                if r.comparison == ">="
                else r.ci_low_pct <= r.target_pct + 1e-9
            )
        )
    out["status"], out["status_vi"], out["is_within_noise"] = status, vi, noise
    out["gap_count"] = pd.array(gap, dtype="Int64")
    out["gap_text"] = text
    return out


def _one_status(kpi, k, n, pct, target, comp, margin, where):
    """(status, gap_count, gap_text) of one KPI row; see kpi_status."""
    goal = _target_text(target)
    if n == 0:
        return "not_applicable", None, "Không áp dụng (không có hồ sơ trong phạm vi tính)."
    noun = KPI_NOUNS.get(kpi, "hồ sơ")
    if comp == ">=":
        x = max(0, math.ceil(Fraction(str(target)) * n / 100) - k)
        ok, close = x == 0, pct > target - margin + 1e-9
    else:
        x = max(0, k - math.floor(Fraction(str(target)) * n / 100))
        ok, close = x == 0, pct < target + margin - 1e-9
    if ok:
        return "met", 0, f"Đã đạt chỉ tiêu ({'≥' if comp == '>=' else '≤'} {goal})."
    st = "at_risk" if close else "missed"
    if comp == "<=":
        return st, x, f"Cần giảm {fmt_int(x)} {noun} {where} để đạt mức ≤ {goal}."
    if kpi == "apology_pct":
        missing = n - k
        if missing == x:
            return st, x, f"Còn {fmt_int(missing)} hồ sơ trễ hạn chưa có văn bản xin lỗi {where}."
        return (
            st,
            x,
            (
                f"Cần thêm {fmt_int(x)} {noun} {where} để đạt {goal} "
                f"(còn {fmt_int(missing)} hồ sơ trễ hạn chưa có văn bản xin lỗi)."
            ),
        )
    return st, x, f"Cần thêm {fmt_int(x)} {noun} {where} để đạt {goal}."
