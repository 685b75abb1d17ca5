"""The year-end outlook in the quarterly report: sentences for the leader summary, the section
(one chart, one table) and its rows for Excel and ``summary.json``."""

from __future__ import annotations

import math

import pandas as pd

from parlib.core.labels import KPI_LABELS
from parlib.core.vnformat import QUARTER_ROMAN, fmt_int, fmt_num, fmt_pct, fmt_points, fmt_probability
from parlib.model.results import QuarterlyResult
from parlib.report.display import bullets, figure, paragraph, show, table
from parlib.report.figures.outlook import plot_outlook

OTHER_LABELS = {
    "feedback_on_time_pct": "Tỷ lệ phản ánh, kiến nghị xử lý đúng hạn",
    "satisfaction_pct": "Tỷ lệ người dân, tổ chức hài lòng",
}


# what the denominator counts, for "about N … expected in the remaining months"
DENOMINATOR_NOUNS = {
    "on_time_pct": "hồ sơ",
    "system_updated_pct": "hồ sơ",
    "apology_pct": "hồ sơ trễ hạn",
    "feedback_on_time_pct": "phản ánh, kiến nghị",
    "satisfaction_pct": "lượt trả lời khảo sát",
}


def _noun(kpi: str) -> str:
    return DENOMINATOR_NOUNS.get(kpi, "trường hợp")


def _chance(r: dict) -> str:
    """The probability in words; an achievable target never reads '0 %' (numerical underflow)."""
    p = r["probability_met"]
    if p is not None and not pd.isna(p) and p == 0 and r.get("is_still_achievable"):
        p = 1e-12
    return fmt_probability(p)


def _need(x) -> str:
    return "100 %" if x is not None and not pd.isna(x) and abs(x - 100) < 0.05 else fmt_pct(x)


def _what_it_takes(r: dict) -> str:
    """'đã chắc chắn đạt', 'không còn đạt được', or the rate the remaining months need."""
    if r["is_met_for_good"] is True or r["is_met_for_good"] == 1:
        return "đã chắc chắn đạt"
    if r["is_still_achievable"] is None or pd.isna(r["is_still_achievable"]):
        return "–"
    return _need(r["required_pct_remaining"]) if r["is_still_achievable"] else "không còn đạt được"


def _label(kpi: str) -> str:
    return KPI_LABELS.get(kpi) or OTHER_LABELS.get(kpi, kpi)


def _rest(res: QuarterlyResult) -> str:
    q = res.period.quarter
    return f"quý {QUARTER_ROMAN[4]}" if q == 3 else f"{12 - 3 * q} tháng cuối năm" if q < 4 else ""


def _unit(res: QuarterlyResult) -> pd.DataFrame:
    o = res.outlook
    return o[o["group"] == ""] if o is not None and not o.empty else pd.DataFrame()


def sentence(r: dict, res: QuarterlyResult) -> str | None:
    """One plain sentence on one target: met for good, out of reach, or what it takes."""
    if r["probability_met"] is None or pd.isna(r["probability_met"]):
        return None
    name, target, year = _label(r["kpi"]), fmt_pct(r["target_pct"], 0), res.period.year
    if r["is_met_for_good"]:
        return f"{name}: đã chắc chắn đạt chỉ tiêu {target} của năm {year}."
    if not r["is_still_achievable"]:
        return (
            f"{name}: không còn đạt được chỉ tiêu {target} trong năm {year}, kể cả khi toàn bộ "
            f"{_noun(r['kpi'])} của {_rest(res)} đều đạt; dự kiến cuối năm {fmt_pct(r['expected_year_end_pct'])}."
        )
    need = r["required_pct_remaining"]
    return (
        f"{name}: khả năng đạt chỉ tiêu {target} đến 31/12/{year} là {_chance(r)}; cần đạt "
        f"{'' if _need(need) == '100 %' else 'ít nhất '}{_need(need)} trong {_rest(res)} (dự kiến khoảng "
        f"{fmt_int(r['n_remaining'])} {_noun(r['kpi'])})."
    )


def outlook_findings(res: QuarterlyResult) -> list[str]:
    """Leader-summary sentences: every target not yet met for good, least likely first."""
    u = _unit(res)
    if u.empty or res.period.quarter == 4:
        return []
    u = u[~u["is_met_for_good"].fillna(False).astype(bool)].sort_values("probability_met", na_position="last")
    return [s for s in (sentence(r, res) for r in u.to_dict("records")) if s]


def outlook_table_vi(res: QuarterlyResult) -> pd.DataFrame:
    u = _unit(res)
    return pd.DataFrame(
        {
            "Chỉ tiêu": [_label(k) for k in u["kpi"]],
            "Mục tiêu": [fmt_pct(v, 0) for v in u["target_pct"]],
            "Lũy kế đến nay": [fmt_pct(100 * k / n) if n else "–" for k, n in zip(u["k_ytd"], u["n_ytd"])],
            "Dự kiến 31/12 (khoảng tin cậy 95 %)": [
                "–" if pd.isna(e) else f"{fmt_pct(e)} ({fmt_num(lo, 1)}–{fmt_num(hi, 1)})"
                for e, lo, hi in zip(
                    u["expected_year_end_pct"], u["interval_low_pct"], u["interval_high_pct"]
                )
            ],
            "Khả năng đạt": [_chance(r) for r in u.to_dict("records")],
            "Cần đạt trong thời gian còn lại": [_what_it_takes(r) for r in u.to_dict("records")],
        }
    )


def offices_table_vi(res: QuarterlyResult, kpi: str = "on_time_pct") -> pd.DataFrame:
    o = res.outlook
    if o is None or o.empty:
        return pd.DataFrame()
    off = o[(o["group"] != "") & (o["kpi"] == kpi) & (o["n_ytd"] > 0)].sort_values("probability_met")
    return pd.DataFrame(
        {
            "Phòng": off["group"].to_numpy(),
            "Lũy kế đến nay": [fmt_pct(100 * k / n) for k, n in zip(off["k_ytd"], off["n_ytd"])],
            "Hồ sơ dự kiến còn lại": [fmt_int(v) for v in off["n_remaining"]],
            "Cần đạt đúng hạn trong thời gian còn lại": [_what_it_takes(r) for r in off.to_dict("records")],
            "Khả năng phòng đạt chỉ tiêu": [_chance(r) for r in off.to_dict("records")],
        }
    )


def outlook_section(res: QuarterlyResult, part: str = "body") -> None:
    """Section "Triển vọng đến 31/12". Body: the findings and the table of targets; appendix:
    the chart, what each office needs, the expected points and the method."""
    u = _unit(res)
    if u.empty:
        if part == "body":
            show(paragraph("Chưa có số liệu lũy kế để dự báo đến cuối năm.", muted=True))
        return
    if res.period.quarter == 4:
        if part == "body":
            show(paragraph("Quý IV là quý cuối năm: số liệu lũy kế ở trên là kết quả cả năm.", muted=True))
        return
    if part == "body":
        lines = outlook_findings(res)
        if lines:
            show(bullets(lines))
        show(
            table(
                outlook_table_vi(res),
                caption="Các chỉ tiêu của Kế hoạch: lũy kế, dự kiến cuối năm và khả năng đạt",
            )
        )
        return
    figure(plot_outlook(u, {k: _label(k) for k in u["kpi"]}))
    offices = offices_table_vi(res)
    if not offices.empty:
        show(
            table(
                offices,
                caption=f"Tỷ lệ hồ sơ đúng hạn mỗi phòng cần đạt trong {_rest(res)} để phòng đạt chỉ tiêu cả năm",
            )
        )
    pts = res.outlook_points
    if pts is not None and not pts.empty:
        show(
            table(
                pd.DataFrame(
                    {
                        "Mã": pts["code"].to_numpy(),
                        "Tiêu chí thành phần": pts["name"].to_numpy(),
                        "Điểm tối đa": [fmt_points(v) for v in pts["max_points"]],
                        "Điểm dự kiến cuối năm (khoảng)": [
                            "–" if pd.isna(e) else f"{fmt_points(e)} ({fmt_points(lo)}–{fmt_points(hi)})"
                            for e, lo, hi in zip(
                                pts["expected_points"], pts["points_low"], pts["points_high"]
                            )
                        ],
                    }
                ),
                caption="Điểm PAR INDEX dự kiến cuối năm của các tiêu chí gắn với chỉ tiêu",
            )
        )
    show(
        paragraph(
            "Cách tính: số lượng của các tháng còn lại lấy theo cùng kỳ năm trước, điều chỉnh theo quy mô năm nay "
            "(không có năm trước: theo số tháng); tỷ lệ của các tháng còn lại giả định giữ nhịp lũy kế đến nay, với "
            "độ bất định của tỷ lệ đó (phân phối hậu nghiệm Beta, dự báo beta-nhị thức tính chính xác). Tiến độ "
            "nhiệm vụ được theo dõi từng nhiệm vụ ở mục riêng, không dự báo.",
            muted=True,
        )
    )


def outlook_summary(res: QuarterlyResult) -> dict:
    """``summary.json`` ``outlook``: ``{kpi: {probability_met, expected_year_end_pct,
    interval_pct, required_pct_remaining, is_still_achievable, by_office}}``."""

    def r2(x):
        return (
            None
            if x is None or (isinstance(x, float) and math.isnan(x)) or pd.isna(x)
            else round(float(x), 2)
        )

    def r4(x):
        return None if x is None or pd.isna(x) else round(float(x), 4)

    o = res.outlook
    if o is None or o.empty:
        return {}
    out = {}
    for r in o[o["group"] == ""].to_dict("records"):
        offices = o[(o["group"] != "") & (o["kpi"] == r["kpi"])]
        out[r["kpi"]] = {
            "target_pct": r2(r["target_pct"]),
            "probability_met": r4(r["probability_met"]),
            "expected_year_end_pct": r2(r["expected_year_end_pct"]),
            "interval_pct": [r2(r["interval_low_pct"]), r2(r["interval_high_pct"])],
            "required_pct_remaining": r2(r["required_pct_remaining"]),
            "is_still_achievable": None
            if pd.isna(r["is_still_achievable"])
            else bool(r["is_still_achievable"]),
            "is_met_for_good": None if pd.isna(r["is_met_for_good"]) else bool(r["is_met_for_good"]),
            "n_remaining": int(r["n_remaining"]),
            "by_office": [
                {
                    "office": f["group"],
                    "probability_met": r4(f["probability_met"]),
                    "expected_year_end_pct": r2(f["expected_year_end_pct"]),
                    "required_pct_remaining": r2(f["required_pct_remaining"]),
                    "is_still_achievable": None
                    if pd.isna(f["is_still_achievable"])
                    else bool(f["is_still_achievable"]),
                    "n_remaining": int(f["n_remaining"]),
                }
                for f in offices.to_dict("records")
            ],
        }
    return out
