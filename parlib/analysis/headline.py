"""Headline KPI rows of the quarterly report and the 766 group points estimated from them."""

from __future__ import annotations

import numpy as np
import pandas as pd

from parlib.analysis.index766 import indicator_points
from parlib.analysis.spc import p_chart
from parlib.core.periods import Period
from parlib.model.index766 import GROUP_766_PROXIES


def project_766_groups(kpi_values: dict[str, float]) -> pd.DataFrame:
    """Estimated 766 group points from the year-to-date dossier KPIs (see GROUP_766_PROXIES).

    Columns: group_code, group_name, max_points, kpi, value_pct, threshold_pct, points."""

    rows = []
    for code, name, mx, kpi, thr in GROUP_766_PROXIES:
        v = kpi_values.get(kpi, np.nan)
        pts = indicator_points(v, mx, thr if thr is not None else 100.0)
        rows.append(
            {
                "group_code": code,
                "group_name": name,
                "max_points": mx,
                "kpi": kpi,
                "value_pct": v,
                "threshold_pct": thr if thr is not None else 100.0,
                "points": float(pts),
            }
        )
    return pd.DataFrame(rows)


# ---------------------------------------------------------------- KPIs


def on_time_chart(on_time_month: pd.DataFrame, period: Period) -> pd.DataFrame:
    """Laney p′ chart of the monthly on-time rate. The centre line comes from the previous
    year's months when there are any (phase I: the reference the year is judged against),
    else from every month shown."""

    m = on_time_month.sort_values("period_start")
    prev = m.loc[(m["period_start"].dt.year == period.year - 1) & (m["n"] > 0), "period"]
    baseline = list(prev.astype(str)) if len(prev) >= 6 else None
    return p_chart(m, period="period", k="k", n="n", baseline=baseline, laney=True)


STATUS_COLUMNS = [
    "kpi",
    "period_kind",
    "period",
    "dimension",
    "group",
    "label",
    "k",
    "n",
    "pct",
    "ci_low_pct",
    "ci_high_pct",
    "is_small_sample",
]


def _as_status_rows(
    df: pd.DataFrame, kpi: str, period_kind: str, period_key: str, period_label: str, label: str
) -> pd.DataFrame:
    """Rows of another module's KPI table in the shape of ``kpi_table`` (for kpi_status)."""
    return pd.DataFrame(
        {
            "kpi": kpi,
            "period_kind": period_kind,
            "period": period_key,
            "period_label": period_label,
            "dimension": "all",
            "group": "Tất cả",
            "label": label,
            "k": df["k"].astype("int64").to_numpy(),
            "n": df["n"].astype("int64").to_numpy(),
            "pct": df["pct"].to_numpy(),
            "ci_low_pct": df["ci_low_pct"].to_numpy(),
            "ci_high_pct": df["ci_high_pct"].to_numpy(),
            "is_small_sample": df["is_small_sample"].to_numpy(),
            "missing_note": df["missing_note"].to_numpy() if "missing_note" in df else "",
        }
    )


def headline_kpis(kpis, fbk, survey_parts, tkpi, period: Period) -> pd.DataFrame:
    """One row per KPI × (quarter, ytd) for the whole department, from every source."""
    keys = {"quarter": period.key, "ytd": f"{period.year}-YTD"}
    own = kpis.loc[
        (kpis["dimension"] == "all")
        & (
            ((kpis["period_kind"] == "quarter") & (kpis["period"] == keys["quarter"]))
            | ((kpis["period_kind"] == "ytd") & (kpis["period"] == keys["ytd"]))
        )
    ]
    rows = [own[[c for c in STATUS_COLUMNS + ["period_label"] if c in own.columns]]]
    ytd_rows = own.loc[own["period_kind"] == "ytd", "period_label"]
    labels = {
        "quarter": period.label,
        "ytd": ytd_rows.iloc[0] if not ytd_rows.empty else f"năm {period.year}",
    }
    if fbk is not None and not fbk.empty:
        for kind in ("quarter", "ytd"):
            sel = fbk.loc[(fbk["by"] == kind) & (fbk["kpi"] == "feedback_on_time_pct")]
            if kind == "quarter":
                sel = sel.loc[sel["period"].astype(str) == period.key]
            if not sel.empty:
                rows.append(
                    _as_status_rows(
                        sel.iloc[[-1]],
                        "feedback_on_time_pct",
                        kind,
                        keys[kind],
                        labels[kind],
                        "Tỷ lệ phản ánh, kiến nghị xử lý đúng hạn",
                    )
                )
    t = survey_parts.get("table")
    if t is not None:
        for kind in ("quarter", "ytd"):
            sel = t.loc[
                (t["level"] == "overall")
                & (t["segment_kind"] == "all")
                & (t["period_kind"] == kind)
                & (t["year"] == period.year)
                & (t["quarter"] == period.quarter)
            ]
            if not sel.empty:
                rows.append(
                    _as_status_rows(
                        sel.iloc[[0]],
                        "satisfaction_pct",
                        kind,
                        keys[kind],
                        labels[kind],
                        "Tỷ lệ người dân, tổ chức hài lòng (khảo sát của Sở)",
                    )
                )
    if tkpi is not None and not tkpi.empty:
        rows.append(
            _as_status_rows(
                tkpi.iloc[[0]],
                "tasks_on_time_pct",
                "ytd",
                keys["ytd"],
                labels["ytd"],
                "Tỷ lệ nhiệm vụ của Kế hoạch hoàn thành đúng tiến độ",
            )
        )
    return pd.concat([r for r in rows if not r.empty], ignore_index=True)


def ytd_kpi_values(headline: pd.DataFrame, t766: pd.DataFrame) -> dict[str, float]:
    """Year-to-date KPI values (0–100) by KPI id, for the projection of points at risk."""
    ytd = headline.loc[headline["period_kind"] == "ytd"]
    vals = {k: float(v) for k, v in zip(ytd["kpi"], ytd["pct"])}
    if t766 is not None and not t766.empty:
        complete = t766.loc[t766["is_complete"]]
        if not complete.empty:
            vals["index766_points"] = float(complete["pct"].mean())
    return vals
