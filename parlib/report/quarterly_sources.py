"""Sections of the quarterly report on the operational sources: satisfaction, feedback (PAKN),
the 766 index and the plan tasks. Each function displays one whole section.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from parlib.analysis.drivers import driver_sentences, index_sentences
from parlib.analysis.tasks import deadline_labels, late_by_office
from parlib.core.vnformat import fmt_int, fmt_num, fmt_pct, quarter_label
from parlib.model.results import QuarterlyResult
from parlib.report.charts import Chart
from parlib.report.display import bullets, figure, figures_rows, paragraph, show, table
from parlib.report.figures.quarterly import (
    plot_766_groups,
    plot_task_progress,
)
from parlib.report.figures.survey import (
    plot_comment_themes,
    plot_drivers,
    plot_factor_heatmap,
    plot_satisfaction_trend,
)

# ---------------------------------------------------------------- satisfaction


def satisfaction_charts(res: QuarterlyResult, part: str = "body") -> list[Chart]:
    """The charts of :func:`satisfaction_section` (none without a survey)."""
    if res.survey_table is None:
        return []
    if part == "body":
        return [Chart(plot_satisfaction_trend, (res.survey_table,))]
    charts = [Chart(plot_factor_heatmap, (res.survey_table,))]
    if res.drivers is not None and getattr(res.drivers, "status", "") == "ok":
        charts.append(Chart(plot_drivers, (res.drivers,)))
    if res.theme_counts is not None and not res.theme_counts.empty:
        y, q = res.period.year, res.period.quarter
        charts.append(Chart(plot_comment_themes, (res.theme_counts,), {"year": y, "quarter": q}))
    return charts


def satisfaction_section(res: QuarterlyResult, part: str = "body") -> None:
    """The report body: the findings and the trend; ``part='appendix'``: the factor heat map,
    the key drivers, the changes by factor and channel, comment themes and the sample size."""
    if res.survey_table is None:
        if part == "body":
            show(paragraph("Chưa có phiếu khảo sát trong kỳ."))
        return
    y, q = res.period.year, res.period.quarter
    if part == "body":
        lines = index_sentences(
            res.survey_table, res.survey_changes, year=y, quarter=q, plain=True
        ) + driver_sentences(res.segment_changes, res.drivers, year=y, quarter=q, plain=True)
        show(bullets(lines))
        figure(satisfaction_charts(res)[0])
        return
    drivers_ok = res.drivers is not None and getattr(res.drivers, "status", "") == "ok"
    show(bullets(driver_sentences(None, res.drivers, year=y, quarter=q)))  # the model, in full
    figures_rows(satisfaction_charts(res, part), per_row=2)
    if not drivers_ok:
        show(paragraph(getattr(res.drivers, "message", "Chưa phân tích được yếu tố tác động."), muted=True))
    seg = res.segment_changes
    if seg is not None and not seg.empty:
        top = seg.head(5)
        show(
            table(_segment_table(top), caption="Thay đổi tỷ lệ hài lòng theo yếu tố và kênh, so với cùng kỳ")
        )
    sample = res.extra.get("sample")
    ex = res.extra.get("theme_examples")
    if ex is not None and not ex.empty:
        show(
            table(
                pd.DataFrame({"Chủ đề": ex["theme"], "Ý kiến": ex["example"]}),
                caption=f"Một số ý kiến tiêu biểu {res.period.label} (đã ẩn thông tin cá nhân)",
                max_rows=5,
            )
        )
    if sample is not None and not sample.empty:
        r = sample.iloc[0]
        show(
            paragraph(
                f"Cỡ mẫu: {fmt_int(r['actual_n'])} phiếu trong quý; theo công thức n = N ÷ (1 + N·e²) với "
                f"N = {fmt_int(r['dossier_count'])} hồ sơ và e = 5 %, cần tối thiểu {fmt_int(r['required_n'])} "
                f"phiếu — {'đủ' if r['is_sufficient'] else 'CHƯA ĐỦ'}.",
                muted=True,
            )
        )


def _segment_table(seg: pd.DataFrame) -> pd.DataFrame:
    """Display of ``parlib.drivers.factor_changes_by_segment`` rows."""
    return pd.DataFrame(
        {
            "Yếu tố": seg["name"],
            "Kênh": seg["segment"],
            "Kỳ này": [f"{fmt_pct(p)} ({fmt_int(n)} câu trả lời)" for p, n in zip(seg["pct"], seg["n"])],
            "Kỳ so sánh": [
                f"{fmt_pct(p)} ({fmt_int(n)} câu trả lời)" for p, n in zip(seg["base_pct"], seg["base_n"])
            ],
            "Thay đổi (điểm %)": seg["change_pp"].map(lambda v: fmt_num(v, 1, sign=True)),
            "Kết luận (Holm)": seg["verdict_vi"],
        }
    )


# ---------------------------------------------------------------- 766, feedback, tasks


def index766_section(res: QuarterlyResult, part: str = "body") -> None:
    """Body: the quarterly totals and the estimate by group; appendix: the chart by group."""
    if res.index766.empty:
        if part == "body":
            show(paragraph("Chưa có dữ liệu điểm Bộ chỉ số 766."))
        return
    if part == "appendix":
        figure(plot_766_groups(res.index766.loc[res.index766["year"] >= res.period.year - 1]))
        return
    t = res.extra["index766_totals"]
    t = t.loc[t["period"].astype(str).str.startswith(str(res.period.year))]  # earlier years: Excel
    pj = res.extra.get("index766_projection")
    if pj is not None and not pj.empty:
        show(
            table(
                pd.DataFrame(
                    {
                        "Nhóm": pj["group_code"] + ". " + pj["group_name"],
                        "Điểm tối đa": pj["max_points"].map(fmt_num),
                        "Chỉ tiêu chính (lũy kế)": pj["value_pct"].map(fmt_pct),
                        "Ngưỡng đủ điểm": pj["threshold_pct"].map(lambda v: fmt_pct(v, 0)),
                        "Điểm ước tính": pj["points"].map(fmt_num),
                    }
                ),
                caption="Ước tính điểm một số nhóm 766 từ số liệu hồ sơ của Sở (mỗi nhóm theo chỉ tiêu chính; "
                "điểm chính thức do Cổng DVCQG tính)",
            )
        )
    show(
        table(
            pd.DataFrame(
                {
                    "Quý": [quarter_label(int(str(p)[:4]), int(str(p)[-1])) for p in t["period"]],
                    "Điểm 766 (trung bình tháng)": t["points"].map(fmt_num),
                    "Số tháng": t["n_months"].map(fmt_int),
                    "Đủ nhóm và tháng": np.where(t["is_complete"], "có", "không"),
                }
            ),
            caption="Tổng điểm Bộ chỉ số 766 theo quý",
        )
    )


def feedback_section(res: QuarterlyResult) -> None:
    f = res.feedback_kpis
    if f is None or f.empty:
        show(paragraph("Chưa có dữ liệu phản ánh, kiến nghị."))
        return
    sel = f.loc[f["by"].isin(["quarter", "ytd"])]
    sel = sel.loc[(sel["by"] == "ytd") | (sel["period"].astype(str) == res.period.key)]
    show(
        table(
            pd.DataFrame(
                {
                    "Kỳ": np.where(sel["by"] == "ytd", f"Lũy kế {res.period.year}", res.period.label),
                    "Chỉ tiêu (766)": sel["kpi_code"].astype(str) + " " + sel["kpi_label"],
                    "Đạt": sel["k"].map(fmt_int),
                    "Tổng": sel["n"].map(fmt_int),
                    "Đang xử lý": sel["n_pending"].map(fmt_int),
                    "Tỷ lệ": sel["pct"].map(fmt_pct),
                    "Khoảng tin cậy 95 %": [
                        f"{fmt_num(a, 1)}–{fmt_num(b, 1)}"
                        for a, b in zip(sel["ci_low_pct"], sel["ci_high_pct"])
                    ],
                }
            )
        )
    )
    off = f.loc[(f["by"] == "office") & (f["kpi"] == "feedback_on_time_pct")]
    if not off.empty:
        show(
            table(
                pd.DataFrame(
                    {
                        "Phòng": off["office_name"],
                        "Đúng hạn": off["k"].map(fmt_int),
                        "Đã xử lý": off["n"].map(fmt_int),
                        "Tỷ lệ": off["pct"].map(fmt_pct),
                    }
                ),
                caption=f"PAKN xử lý đúng hạn theo phòng, lũy kế {res.period.year}",
            )
        )


def tasks_section(res: QuarterlyResult, part: str = "body") -> None:
    """Body: the late or not updated tasks and the count by lead office; appendix: the chart."""
    if res.task_progress.empty:
        if part == "body":
            show(paragraph("Chưa có danh sách nhiệm vụ của Kế hoạch."))
        return
    if part == "appendix":
        figure(plot_task_progress(res.task_progress))
        return
    late = res.task_progress.loc[res.task_progress["is_late"] | ~res.task_progress["is_updated"]]
    show(
        table(
            pd.DataFrame(
                {
                    "STT": late["task_no"],
                    "Nhiệm vụ": late["task_name"],
                    "Chủ trì": late["lead_office"],
                    "Hạn": deadline_labels(late),
                    "Tình trạng": np.where(late["is_updated"], late["latest_status"], "Chưa cập nhật"),
                }
            ),
            caption="Nhiệm vụ chậm tiến độ hoặc chưa cập nhật (toàn bộ: tệp Excel, trang «Nhiệm vụ»)",
            max_rows=8,
        )
    )
    show(table(_late_office_vi(late_by_office(res.task_progress)), caption="Theo đơn vị chủ trì"))


def _late_office_vi(df: pd.DataFrame) -> pd.DataFrame:
    ren = {
        "lead_office": "Đơn vị chủ trì",
        "n_tasks": "Số nhiệm vụ",
        "n_late": "Chậm",
        "n_not_updated": "Chưa cập nhật",
        "n_done": "Hoàn thành",
    }
    out = df.rename(columns={k: v for k, v in ren.items() if k in df.columns})
    return out[[c for c in ren.values() if c in out.columns]]
