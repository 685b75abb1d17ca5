"""Sheets of the quarterly workbook behind the report's "(xem tệp Excel)" mentions: survey
satisfaction by channel, citizens' comments by theme, feedback (PAKN) by office, the 766 group
scores and the processing time. Vietnamese headers; numbers as numbers (counts as integers,
percentages 0–100 rounded to 2 decimals); each builder returns an empty frame with its
headers when the result holds no such data.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from parlib.core.vnformat import quarter_label
from parlib.model.results import QuarterlyResult

ALL_SEGMENTS = "Tất cả các kênh"
UNIT_WIDE = "Toàn đơn vị"


def _pct(s: pd.Series) -> np.ndarray:
    return s.astype(float).round(2).to_numpy()


def _yes_no(s: pd.Series) -> np.ndarray:
    return s.map({True: "Có", False: "Không"}).to_numpy()


def satisfaction_sheet(res: QuarterlyResult) -> pd.DataFrame:
    """The overall question and every factor, all channels and each channel, for the quarter
    and the year to date: the satisfaction table's rows (k / n as in the report: respondents
    for the overall question, answers to the factor's items for a factor; interval with the
    respondent as the sampling unit)."""
    cols = ["Kỳ", "Mức", "Mã yếu tố", "Yếu tố", "Kênh", "Hài lòng", "Số trả lời", "Tỷ lệ hài lòng (%)"]
    t = res.survey_table
    if t is None or t.empty:
        return pd.DataFrame(columns=cols)
    y, q = res.period.year, res.period.quarter
    t = t.loc[
        (t["year"] == y)
        & (t["quarter"] == q)
        & t["level"].isin(["overall", "factor"])
        & t["segment_kind"].isin(["all", "channel"])
    ]
    t = t.assign(_level=t["level"].ne("overall")).sort_values(
        ["period_kind", "_level", "code", "segment_kind", "segment"], kind="stable"
    )
    overall = t["level"].eq("overall")
    return pd.DataFrame(
        {
            "Kỳ": t["period_label"].to_numpy(),
            "Mức": np.where(overall, "Hài lòng chung", "Yếu tố"),
            "Mã yếu tố": np.where(overall, "", t["code"].astype(str)),
            "Yếu tố": np.where(overall, "Mức độ hài lòng chung", t["name"].astype(str)),
            "Kênh": np.where(t["segment_kind"].eq("all"), ALL_SEGMENTS, t["segment"].astype(str)),
            "Hài lòng": t["k"].astype("int64").to_numpy(),
            "Số trả lời": t["n"].astype("int64").to_numpy(),
            "Tỷ lệ hài lòng (%)": _pct(t["pct"]),
            "KTC 95 %: thấp (%)": _pct(t["ci_low_pct"]),
            "KTC 95 %: cao (%)": _pct(t["ci_high_pct"]),
            "Số người trả lời": t["n_respondents"].astype("int64").to_numpy(),
            "Ít phiếu (chưa đủ kết luận)": _yes_no(t["is_small_sample"].astype(bool)),
        }
    )


def comment_theme_sheet(res: QuarterlyResult) -> pd.DataFrame:
    """Citizens' comments counted by theme, each quarter of the year up to the report's (a
    comment may carry several themes; counts only, no comment text)."""
    t = res.theme_counts
    if t is None or t.empty:
        return pd.DataFrame(columns=["Quý", "Chủ đề", "Số ý kiến", "Tổng số ý kiến của quý", "Tỷ lệ (%)"])
    t = t.loc[(t["year"] == res.period.year) & (t["quarter"] <= res.period.quarter)]
    return pd.DataFrame(
        {
            "Quý": [quarter_label(int(a), int(b)) for a, b in zip(t["year"], t["quarter"])],
            "Chủ đề": t["theme"].astype(str).to_numpy(),
            "Số ý kiến": t["n_comments"].astype("int64").to_numpy(),
            "Tổng số ý kiến của quý": t["n_total"].astype("int64").to_numpy(),
            "Tỷ lệ (%)": _pct(t["share_pct"]),
        }
    )


def comment_example_sheet(res: QuarterlyResult) -> pd.DataFrame:
    """Every example comment the report shows the first rows of (texts already scrubbed of
    personal data at ingestion)."""
    ex = res.extra.get("theme_examples")
    if ex is None or ex.empty:
        return pd.DataFrame(columns=["Quý", "Chủ đề", "Ý kiến"])
    return pd.DataFrame(
        {
            "Quý": [quarter_label(int(a), int(b)) for a, b in zip(ex["year"], ex["quarter"])],
            "Chủ đề": ex["theme"].astype(str).to_numpy(),
            "Ý kiến": ex["example"].astype(str).to_numpy(),
        }
    )


def feedback_sheet(res: QuarterlyResult) -> pd.DataFrame:
    """The PAKN indicators of the quarter and the year to date for the unit, then by handling
    office (year to date), as the report's two PAKN tables."""
    cols = ["Kỳ", "Phòng", "Mã chỉ tiêu", "Chỉ tiêu (766)", "Đạt", "Tổng", "Tiếp nhận", "Đang xử lý"]
    f = res.feedback_kpis
    if f is None or f.empty:
        return pd.DataFrame(columns=cols)
    y = res.period.year
    quarter = f["by"].eq("quarter") & f["period"].astype(str).eq(res.period.key)
    f = f.loc[quarter | f["by"].isin(["ytd", "office"])]
    f = f.assign(_order=f["by"].map({"quarter": 0, "ytd": 1, "office": 2}))
    f = f.sort_values(["_order", "office_name", "kpi_code"], kind="stable", na_position="first")
    return pd.DataFrame(
        {
            "Kỳ": np.where(f["by"].eq("quarter"), res.period.label, f"Lũy kế {y}"),
            "Phòng": f["office_name"].where(f["by"].eq("office"), UNIT_WIDE).astype(str).to_numpy(),
            "Mã chỉ tiêu": f["kpi_code"].astype(str).to_numpy(),
            "Chỉ tiêu (766)": f["kpi_label"].astype(str).to_numpy(),
            "Đạt": f["k"].astype("int64").to_numpy(),
            "Tổng": f["n"].astype("int64").to_numpy(),
            "Tiếp nhận": f["n_total"].astype("int64").to_numpy(),
            "Đang xử lý": f["n_pending"].astype("int64").to_numpy(),
            "Tỷ lệ (%)": _pct(f["pct"]),
            "KTC 95 %: thấp (%)": _pct(f["ci_low_pct"]),
            "KTC 95 %: cao (%)": _pct(f["ci_high_pct"]),
        }
    )


def index766_sheet(res: QuarterlyResult) -> pd.DataFrame:
    """The 766 points of each group, quarter by quarter (mean of the months given)."""
    t = res.index766_quarter
    if t is None or t.empty:
        return pd.DataFrame(columns=["Quý", "Mã nhóm", "Nhóm", "Điểm tối đa", "Điểm (trung bình tháng)"])
    t = t.sort_values(["year", "quarter", "group_code"], kind="stable")
    return pd.DataFrame(
        {
            "Quý": [quarter_label(int(a), int(b)) for a, b in zip(t["year"], t["quarter"])],
            "Mã nhóm": t["group_code"].astype(str).to_numpy(),
            "Nhóm": t["group_name"].astype(str).to_numpy(),
            "Điểm tối đa": t["max_points"].astype(float).to_numpy(),
            "Điểm (trung bình tháng)": t["points"].astype(float).round(2).to_numpy(),
            "Số tháng có điểm": t["n_months"].astype("int64").to_numpy(),
            "Tỷ lệ điểm (%)": _pct(t["pct"]),
        }
    )


def processing_time_sheet(res: QuarterlyResult) -> pd.DataFrame:
    """Mean processing time of the quarter's completed dossiers by office and deadline unit
    (net of the supplement pause), as the report's table."""
    pt = res.extra.get("processing_time")
    if pt is None or pt.empty:
        return pd.DataFrame(columns=["Phòng", "Đơn vị thời hạn", "Số hồ sơ hoàn thành"])
    return pd.DataFrame(
        {
            "Kỳ": res.period.label,
            "Phòng": pt["office_name"].astype(str).to_numpy(),
            "Đơn vị thời hạn": pt["unit_label"].astype(str).to_numpy(),
            "Số hồ sơ hoàn thành": pt["n"].astype("int64").to_numpy(),
            "Thời gian trung bình": pt["mean_time"].astype(float).round(2).to_numpy(),
            "Trung vị": pt["median_time"].astype(float).round(2).to_numpy(),
            "Thời hạn trung bình theo quy định": pt["mean_deadline"].astype(float).round(2).to_numpy(),
        }
    )


def source_sheets(res: QuarterlyResult) -> dict[str, pd.DataFrame]:
    """The sheets of this module by sheet name (at most 31 characters)."""
    return {
        "Hài lòng theo kênh": satisfaction_sheet(res),
        "Ý kiến theo chủ đề": comment_theme_sheet(res),
        "Ý kiến tiêu biểu": comment_example_sheet(res),
        "PAKN theo phòng": feedback_sheet(res),
        "Điểm 766 theo nhóm": index766_sheet(res),
        "Thời gian giải quyết": processing_time_sheet(res),
    }
