"""Files of the quarterly report: ``summary.json`` (stable contract), the Excel workbook and
the writing of both.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from parlib.analysis.tasks import deadline_labels
from parlib.core.issues import ledger_summary
from parlib.core.labels import KPI_LABELS, MEASURE_LABELS
from parlib.model.results import SCHEMA_VERSION, QuarterlyResult
from parlib.report.common import issues_display, ledger_display, write_report_files
from parlib.report.leader import year_end_stake_total
from parlib.report.outlook import outlook_summary
from parlib.report.quarterly import ILLUSTRATIVE_VI, office_sheet
from parlib.report.quarterly_sheets import source_sheets


def summary_json(res: QuarterlyResult) -> dict:
    """Machine-readable key figures of the quarter (contract in README)."""
    r2 = lambda x: (
        None if x is None or (isinstance(x, float) and np.isnan(x)) or x is pd.NA else round(float(x), 2)
    )  # noqa: E731

    def block(row) -> dict:
        missing = row["status"] == "no_data"  # the input of the period is absent: null, never 0
        return {
            "numerator": None if missing else int(row["k"]),
            "denominator": None if missing else int(row["n"]),
            "pct": r2(row["pct"]),
            "ci_low_pct": r2(row["ci_low_pct"]),
            "ci_high_pct": r2(row["ci_high_pct"]),
            "target_pct": r2(row["target_pct"]),
            "status": row["status"],
            "gap": row["gap_text"],
        }

    kpis: dict = {}
    for row in res.status.to_dict("records"):
        kpis.setdefault(row["kpi"], {})[row["period_kind"]] = block(row)
    q = res.status.loc[(res.status["kpi"] == "on_time_pct") & (res.status["period_kind"] == "quarter")]
    pr = res.projection
    led = ledger_summary(res.ledger)
    counts = res.issues["severity"].value_counts() if not res.issues.empty else pd.Series(dtype=int)
    out = {
        "schema_version": SCHEMA_VERSION,
        "report": "quarterly",
        "year": res.period.year,
        "quarter": res.period.quarter,
        "is_illustrative": res.is_illustrative,
        "on_time_rate": block(q.iloc[0]) if not q.empty else None,
        "kpis": kpis,
        "points_at_risk": {
            "total": r2(pr["points_at_risk"].sum(skipna=True)) if not pr.empty else 0.0,
            "projected": r2(pr["projected_points"].sum(skipna=True)) if not pr.empty else 0.0,
            "max": r2(pr["max_points"].sum()) if not pr.empty else 0.0,
            "nodes": [
                {
                    "code": r["code"],
                    "name": r["name"],
                    "kpi": r["kpi"],
                    "value_pct": r2(r["value_pct"]),
                    "projected_points": r2(r["projected_points"]),
                    "points_at_risk": r2(r["points_at_risk"]),
                    "recoverable_points": r2(r["recoverable_points"]),
                    "owner_office": r["owner_office"],
                }
                for r in pr.to_dict("records")
            ],
        },
        "issues": {k: int(counts.get(k, 0)) for k in ("error", "warning", "info")},
        "rows": {
            k: int(led[k].sum()) if not led.empty else 0 for k in ("read", "used", "rejected", "skipped")
        },
    }
    sat = res.extra.get("satisfaction_summary")
    if sat:
        out["satisfaction"] = sat
    out["outlook"] = outlook_summary(res)
    w = res.office_watch if res.office_watch is not None else pd.DataFrame(columns=["kpi"])
    out["offices"] = [
        {
            "kpi": r["kpi"],
            "scope": r["scope"],
            "office": r["office_name"],
            "period": r["period"],
            "numerator": int(r["k_now"]),
            "denominator": int(r["n_now"]),
            "pct": r2(r["pct_now"]),
            "baseline": r["baseline_label"],
            "baseline_numerator": int(r["k_base"]),
            "baseline_denominator": int(r["n_base"]),
            "baseline_pct": r2(r["pct_base"]),
            "p_adjusted": None if pd.isna(r["p_adjusted"]) else float(r["p_adjusted"]),
            "verdict": r["verdict"],
            "mix_or_performance": r["mix_or_performance"] or None,
        }
        for r in w.to_dict("records")
    ]
    return out


def _outlook_sheet(res: QuarterlyResult) -> pd.DataFrame:
    o = res.outlook if res.outlook is not None else pd.DataFrame()
    if o.empty:
        return pd.DataFrame()
    return pd.DataFrame(
        {
            "Chỉ tiêu": [MEASURE_LABELS.get(k, KPI_LABELS.get(k, k)) for k in o["kpi"]],
            "Phòng": o["group"].replace("", "Toàn đơn vị").to_numpy(),
            "Mục tiêu (%)": o["target_pct"].to_numpy(),
            "Lũy kế: đạt": o["k_ytd"].to_numpy(),
            "Lũy kế: tổng": o["n_ytd"].to_numpy(),
            "Số dự kiến còn lại": o["n_remaining"].to_numpy(),
            "Dự kiến 31/12 (%)": o["expected_year_end_pct"].astype(float).round(2).to_numpy(),
            "Khoảng dự báo 95 %: thấp (%)": o["interval_low_pct"].astype(float).round(2).to_numpy(),
            "Khoảng dự báo 95 %: cao (%)": o["interval_high_pct"].astype(float).round(2).to_numpy(),
            "Khả năng đạt (0–1)": o["probability_met"].astype(float).round(4).to_numpy(),
            "Cần đạt trong thời gian còn lại (%)": o["required_pct_remaining"]
            .astype(float)
            .round(2)
            .to_numpy(),
            "Còn đạt được": o["is_still_achievable"].map({True: "Có", False: "Không"}).to_numpy(),
        }
    )


def _points_sheet(res: QuarterlyResult) -> pd.DataFrame:
    pr = res.projection
    if pr.empty:
        return pd.DataFrame(columns=["Mã", "Tiêu chí thành phần"])
    return pd.DataFrame(
        {
            "Mã": pr["code"],
            "Tiêu chí thành phần": pr["name"],
            "Chỉ tiêu đo": pr["kpi"].map(lambda k: MEASURE_LABELS.get(k, KPI_LABELS.get(k, k))),
            "Lũy kế (%)": pr["value_pct"].astype(float).round(2),
            "Điểm tối đa": pr["max_points"].astype(float),
            "Điểm dự kiến": pr["projected_points"].astype(float),
            "Có nguy cơ mất": pr["points_at_risk"].astype(float),
            "Lấy lại nếu đạt mục tiêu KH": pr["recoverable_points"].astype(float),
            "Đơn vị chủ trì": pr["owner_office"],
        }
    )


def _kpi_sheet(res: QuarterlyResult, kind: str) -> pd.DataFrame:
    """The dossier KPIs of every ``kind`` period (month/quarter), department and offices."""
    k = res.kpis.loc[(res.kpis["period_kind"] == kind) & res.kpis["dimension"].isin(["all", "office_name"])]
    return pd.DataFrame(
        {
            "Kỳ": k["period_label"],
            "Phòng": k["group"].where(k["dimension"] != "all", "Toàn đơn vị"),
            "Chỉ tiêu": k["label"],
            "Đạt": k["k"],
            "Tổng": k["n"],
            "Tỷ lệ (%)": k["pct"].astype(float).round(2),
            "KTC 95 %: thấp (%)": k["ci_low_pct"].astype(float).round(2),
            "KTC 95 %: cao (%)": k["ci_high_pct"].astype(float).round(2),
        }
    )


def _procedure_sheet(res: QuarterlyResult) -> pd.DataFrame:
    k = res.kpis.loc[
        (res.kpis["period_kind"] == "quarter")
        & (res.kpis["period"] == res.period.key)
        & (res.kpis["dimension"] == "procedure_code")
        & (res.kpis["n"] > 0)
    ]
    return pd.DataFrame(
        {
            "Mã TTHC": k["group"],
            "Thủ tục": k["group_name"],
            "Chỉ tiêu": k["label"],
            "Đạt": k["k"],
            "Tổng": k["n"],
            "Tỷ lệ (%)": k["pct"].astype(float).round(2),
        }
    )


def _tasks_sheet(res: QuarterlyResult) -> pd.DataFrame:
    t = res.task_progress
    if t is None or t.empty:
        return pd.DataFrame(columns=["STT", "Nhiệm vụ"])
    return pd.DataFrame(
        {
            "STT": t["task_no"],
            "Nhiệm vụ": t["task_name"],
            "Chủ trì": t["lead_office"],
            "Hạn": deadline_labels(t),  # a date (an Excel date) or the plan's time frame
            "Tình trạng": t["latest_status"],
            "Chậm tiến độ": t["is_late"].map({True: "Có", False: "Không"}),
        }
    )


def excel_sheets(res: QuarterlyResult) -> dict[str, pd.DataFrame]:
    st = res.status
    sheets = {
        "Chỉ tiêu": pd.DataFrame(
            {
                "Chỉ tiêu": st["label"],
                "Kỳ": st["period_label"],
                "Đạt": st["k"],
                "Tổng": st["n"],
                "Tỷ lệ (%)": st["pct"].round(2),
                "Mục tiêu (%)": st["target_pct"],
                "Tình trạng": st["status_vi"],
                "Khoảng cách": st["gap_text"],
            }
        ),
        "Theo phòng": office_sheet(res),
        "Điểm có nguy cơ": _points_sheet(res),
        "Triển vọng cuối năm": _outlook_sheet(res),
        "Theo tháng": _kpi_sheet(res, "month"),
        "Thủ tục trong quý": _procedure_sheet(res),
        "Nhiệm vụ": _tasks_sheet(res),
        **source_sheets(res),
        "Vấn đề dữ liệu": issues_display(res.issues),
        "Kiểm đếm dòng": ledger_display(res.ledger),
    }
    return sheets


def write_outputs(res: QuarterlyResult, output_dir: str, rc=None) -> None:
    """Write ``quarterly_<y>_Q<q>.xlsx`` and ``summary.json`` (no-op without ``output_dir``);
    ``rc`` (parlib.rootcause.RootCauseResult) adds the ranked causes to both."""
    notes = [f"Theo dõi CCHC và SIPAS {res.period.label} — các bảng chính."]
    if res.is_illustrative:
        notes.insert(0, ILLUSTRATIVE_VI.format(who=res.unit.subject))
    summary = summary_json(res)
    # the summary page's figure: the points at stake by 31/12 if the quarter's pace continues
    summary["points_at_risk"]["year_end_if_pace_continues"] = year_end_stake_total(rc)
    write_report_files(
        output_dir,
        f"quarterly_{res.period.year}_Q{res.period.quarter}.xlsx",
        excel_sheets(res),
        summary,
        notes,
        rc,
    )
