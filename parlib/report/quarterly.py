"""Sections of the quarterly monitoring report and its files (Excel, summary.json).

Each public function displays one whole section, so a notebook cell is a single call. Text
from inputs goes through ``parlib.display`` (escaped); numbers through ``parlib.vnformat``.
"""

from __future__ import annotations

import html

import pandas as pd

from parlib.analysis.spc import signal_episodes
from parlib.core.labels import KPI_LABELS
from parlib.core.vnformat import fmt_int, fmt_num, fmt_pct, fmt_points
from parlib.model.results import QuarterlyResult
from parlib.report.charts import Chart, draw_ahead
from parlib.report.common import show_data_quality
from parlib.report.display import (
    banner,
    bullets,
    card,
    cards,
    figures_row,
    paragraph,
    report_day_line,
    show,
    table,
)
from parlib.report.figures.quarterly import (
    plot_funnel,
    plot_kpi_trend,
    plot_p_chart,
)
from parlib.report.rootcause_text import VERDICT_SHORT

ILLUSTRATIVE_VI = (
    "DỮ LIỆU MINH HỌA — hồ sơ, phản ánh kiến nghị, phiếu khảo sát, điểm 766 và tiến độ nhiệm vụ trong "
    "báo cáo này là dữ liệu mô phỏng (tổng hợp) dùng để trình diễn, không phải số liệu thực của {who}."
)
CHANNEL_VI = {"1": "Trực tiếp", "2": "Trực tuyến", "3": "Bưu chính công ích"}


def title_section(res: QuarterlyResult, report_date=None) -> str:
    """Title, unit, the period's dates and the report date (``report_date`` empty: today)."""
    p = res.period
    period = (
        f"Số liệu {p.start.strftime('%d/%m/%Y')}–{p.end.strftime('%d/%m/%Y')}, lũy kế từ 01/01/{p.year} "
        "(báo cáo gửi tỉnh dùng kỳ chốt số liệu riêng)"
    )
    parts = [
        f"<h1>Theo dõi cải cách hành chính và SIPAS — {html.escape(p.label)}</h1>",
        f"<p><strong>{html.escape(res.unit.display_name)}</strong> — các chỉ tiêu của Kế hoạch năm "
        f"{p.year}: hồ sơ đúng hạn, xin lỗi khi trễ hạn, phản ánh kiến nghị, hài lòng, chỉ số 766, tiến độ "
        "nhiệm vụ; điểm PAR INDEX có nguy cơ bị mất và đơn vị cần hành động.</p>",
        report_day_line(report_date, period),
    ]
    if res.is_illustrative:
        parts.append(banner(ILLUSTRATIVE_VI.format(who=res.unit.subject)))
    return "".join(parts)


def key_findings(res: QuarterlyResult) -> list[str]:
    """Sentences on what moved and where (offices beyond noise, control-chart signals,
    points at risk), generated from the numbers."""

    out = []
    eps = signal_episodes(res.p_chart) if "signal" in res.p_chart.columns else pd.DataFrame()
    below = []
    for e in eps.itertuples(index=False):
        months = res.p_chart.loc[res.p_chart["run_start"].astype(str) == str(e.run_start)]
        direction = "giảm" if (months["pct"] < months["center_pct"]).mean() >= 0.5 else "tăng"
        start = pd.Timestamp(e.run_start)
        below.append(
            f"{direction} bất thường từ tháng {start.month}/{start.year} ({e.months} tháng có tín hiệu)"
        )
    if below:
        out.append(
            "Biểu đồ kiểm soát tỷ lệ hồ sơ đúng hạn (so với mức của năm trước): "
            + "; ".join(below)
            + ". Đây là những thay đổi vượt phạm vi dao động ngẫu nhiên."
        )
    else:
        out.append(
            "Biểu đồ kiểm soát tỷ lệ hồ sơ đúng hạn không có tín hiệu bất thường: các biến động theo tháng "
            "nằm trong phạm vi dao động ngẫu nhiên."
        )
    nouns = {"on_time_pct": "tỷ lệ hồ sơ đúng hạn", "apology_pct": "tỷ lệ hồ sơ trễ hạn có xin lỗi"}
    w = res.office_watch if res.office_watch is not None else pd.DataFrame(columns=["verdict"])
    worse = w.loc[w["verdict"] == "worse"].sort_values("p_value", kind="stable")
    for r in worse.drop_duplicates(["kpi", "office_name"]).itertuples(index=False):
        out.append(
            f"{r.office_name}: {nouns.get(r.kpi, r.kpi)} {r.period_label} là {fmt_pct(r.pct_now)} "
            f"({fmt_int(r.k_now)}/{fmt_int(r.n_now)}), thấp hơn rõ rệt so với mức của chính phòng "
            f"{r.baseline_label} ({fmt_pct(r.pct_base)}, {fmt_int(r.k_base)}/{fmt_int(r.n_base)})"
            + (" — chủ yếu do cơ cấu thủ tục thay đổi." if r.mix_or_performance == "mix" else ".")
        )
    pr = res.projection
    if not pr.empty:
        risk = pr["points_at_risk"].sum(skipna=True)
        top = pr.sort_values("points_at_risk", ascending=False).head(3)
        top = top.loc[top["points_at_risk"] > 0]
        if risk > 0:
            items = "; ".join(f"{r.code} «{r.name}» {fmt_points(r.points_at_risk)}" for r in top.itertuples())
            out.append(
                f"Với số liệu lũy kế, các tiêu chí thành phần gắn với chỉ tiêu có nguy cơ mất "
                f"{fmt_points(risk)} trong PAR INDEX {res.period.year}, nhiều nhất: {items}."
            )
    return out


def conclusions_section(res: QuarterlyResult) -> None:
    """The findings of the quarter (the targets' status is on the summary page)."""
    show(bullets(key_findings(res)))


# ---------------------------------------------------------------- KPI cards and trends


def _status_of(res, kpi: str, kind: str = "quarter"):
    s = res.status.loc[(res.status["kpi"] == kpi) & (res.status["period_kind"] == kind)]
    return None if s.empty else s.iloc[0]


def kpi_cards(res: QuarterlyResult) -> str:
    items = []
    for kpi, label in (
        ("on_time_pct", "Hồ sơ đúng hạn"),
        ("apology_pct", "Hồ sơ trễ hạn có xin lỗi"),
        ("feedback_on_time_pct", "PAKN xử lý đúng hạn"),
        ("satisfaction_pct", "Hài lòng (khảo sát)"),
        ("tasks_on_time_pct", "Nhiệm vụ đúng tiến độ"),
    ):
        r = _status_of(res, kpi) if kpi != "tasks_on_time_pct" else _status_of(res, kpi, "ytd")
        if r is None:
            continue
        items.append(
            card(
                label,
                fmt_pct(r["pct"]) if r["n"] else "–",
                f"{fmt_int(r['k'])}/{fmt_int(r['n'])}; mục tiêu {fmt_pct(r['target_pct'], 0)}",
                r["status"],
            )
        )
    q = res.kpis.loc[
        (res.kpis["period_kind"] == "quarter")
        & (res.kpis["period"] == res.period.key)
        & (res.kpis["dimension"] == "all")
    ].set_index("kpi")
    for kpi, label in (("online_pct", "Nộp trực tuyến"), ("digitised_pct", "Số hóa hồ sơ")):
        if kpi in q.index:
            r = q.loc[kpi]
            items.append(card(label, fmt_pct(r["pct"]), f"{fmt_int(r['k'])}/{fmt_int(r['n'])} hồ sơ"))
    t = res.extra.get("index766_totals")
    if t is not None and not t.empty:
        last = t.loc[(t["year"] == res.period.year) & (t["quarter"] == res.period.quarter)]
        if not last.empty:
            items.append(
                card(
                    "Chỉ số 766 (quý)",
                    fmt_num(last["points"].iloc[0]) + "/100",
                    "trung bình các tháng trong quý",
                )
            )
    return cards(items)


def trends_section(res: QuarterlyResult, part: str = "body") -> None:
    """Monthly trends: the on-time rate in the body, the others in the appendix."""
    if charts := trends_charts(res, part):
        figures_row(charts)


def trends_charts(res: QuarterlyResult, part: str = "body") -> list[Chart]:
    """The charts of :func:`trends_section`."""
    m = res.monthly.loc[res.monthly["dimension"] == "all"]
    series = (
        [
            ("on_time_pct", "Tỷ lệ hồ sơ đúng hạn", 98.0),
            ("apology_pct", "Tỷ lệ hồ sơ trễ hạn có xin lỗi", 100.0),
        ]
        if part == "body"
        else [("online_pct", "Tỷ lệ hồ sơ nộp trực tuyến", None)]
    )
    charts = []
    for kpi, label, target in series:
        sel = m.loc[m["kpi"] == kpi].sort_values("period_start")
        if not sel.empty:
            charts.append(Chart(plot_kpi_trend, (sel, label, target)))
    return charts


def control_section(res: QuarterlyResult) -> None:
    """The p-chart of the monthly on-time rate and the funnel of the offices, side by side."""
    figures_row(control_charts(res))


def control_charts(res: QuarterlyResult) -> list[Chart]:
    """The charts of :func:`control_section`."""
    charts = [
        Chart(plot_p_chart, (res.p_chart, "Biểu đồ kiểm soát p: tỷ lệ hồ sơ đúng hạn theo tháng", 98.0))
    ]
    if not res.funnel_offices.empty:
        label = f"Biểu đồ phễu: tỷ lệ đúng hạn của các phòng, {res.period.label}"
        charts.append(Chart(plot_funnel, (res.funnel_offices, label)))
    return charts


def draw_charts_ahead(res: QuarterlyResult) -> None:
    """Announce the report's charts, in the order the sections show them, so that the command
    line's second process draws them while this one goes on (:mod:`parlib.report.charts`;
    nothing outside the command line)."""
    from parlib.report.quarterly_sources import satisfaction_charts

    draw_ahead(
        trends_charts(res)
        + satisfaction_charts(res)
        + control_charts(res)
        + satisfaction_charts(res, part="appendix")
    )


# ---------------------------------------------------------------- offices and procedures


def _watch(res: QuarterlyResult, kpi: str, scope: str) -> pd.DataFrame:
    w = res.office_watch
    if w is None or w.empty:
        return pd.DataFrame(columns=["office_name"])
    return w.loc[(w["kpi"] == kpi) & (w["scope"] == scope)]


def _cell(p, k, n) -> str:
    return f"{fmt_pct(p)} ({fmt_int(k)}/{fmt_int(n)})" if n else "không có hồ sơ"


def _judgement(rows: list[dict]) -> str:
    """One office's verdict over its comparisons (office_watch rows of one office)."""
    worse = [r for r in rows if r["verdict"] == "worse"]
    if worse:
        mix = any(r["mix_or_performance"] == "mix" for r in worse)
        return (
            "xấu đi rõ rệt so với "
            + " và ".join(r["baseline_label"] for r in worse)
            + (" (do cơ cấu thủ tục thay đổi)" if mix else "")
        )
    if any(r["verdict"] == "too_few" for r in rows):
        return "ít hồ sơ, chưa đủ để kết luận"
    if any(r["verdict"] == "better" for r in rows):
        return "tốt lên rõ rệt"
    return "chưa phân biệt được với dao động ngẫu nhiên"


def office_table(res: QuarterlyResult, kpi: str, scope: str = "quarter") -> pd.DataFrame:
    """Each office's rate now and against its baselines (parlib.analysis.offices; the counts of
    the KPI table, one counting basis), with a plain verdict. ``scope``: 'quarter' (against the
    earlier quarters of the year and the same quarter last year) or 'ytd'."""
    scopes = ["recent", "last_year"] if scope == "quarter" else ["ytd"]
    parts = [_watch(res, kpi, s) for s in scopes]
    if parts[0].empty:
        return pd.DataFrame()
    first = parts[0].set_index("office_name")
    now_label = first["period_label"].iloc[0]
    out = {
        "Phòng": list(first.index),
        now_label: [_cell(r.pct_now, r.k_now, r.n_now) for r in first.itertuples()],
    }
    for part in parts:
        p = part.set_index("office_name").reindex(first.index)
        out[p["baseline_label"].dropna().iloc[0]] = [
            _cell(r.pct_base, r.k_base, r.n_base) for r in p.itertuples()
        ]
    rows = pd.concat(parts)
    out["Nhận định"] = [
        _judgement(rows.loc[rows["office_name"] == o].to_dict("records")) for o in first.index
    ]
    return pd.DataFrame(out)


def office_sheet(res: QuarterlyResult) -> pd.DataFrame:
    """Every office comparison for Excel: numbers as numbers, Vietnamese headers."""
    w = res.office_watch if res.office_watch is not None else pd.DataFrame(columns=["kpi"])
    return pd.DataFrame(
        {
            "Chỉ số": w["kpi"].map(KPI_LABELS),
            "Phòng": w["office_name"],
            "Kỳ": w["period_label"],
            "Đạt": w["k_now"],
            "Tổng": w["n_now"],
            "Tỷ lệ (%)": w["pct_now"].round(2),
            "Kỳ so sánh": w["baseline_label"],
            "Đạt (kỳ so sánh)": w["k_base"],
            "Tổng (kỳ so sánh)": w["n_base"],
            "Tỷ lệ kỳ so sánh (%)": w["pct_base"].round(2),
            "Thay đổi (điểm %)": w["change_pp"].round(2),
            "p (Fisher, hiệu chỉnh Holm)": w["p_adjusted"],
            "Nhận định": w["verdict_vi"],
            "Cơ cấu / chất lượng": w["mix_or_performance"].map(VERDICT_SHORT).fillna(""),
        }
    )


def offices_section(res: QuarterlyResult, part: str = "body") -> None:
    """Body: each office's on-time and apology rates in the quarter against its own baselines;
    appendix: the year to date, processing times and the procedures with most late dossiers."""
    scopes = (
        [("quarter", f"{res.period.label}, so với các quý trước của năm và cùng kỳ năm trước")]
        if part == "body"
        else [("ytd", f"lũy kế {3 * res.period.quarter} tháng, so với cùng kỳ năm trước")]
    )
    for kpi, noun in (
        ("on_time_pct", "Tỷ lệ hồ sơ đúng hạn"),
        ("apology_pct", "Tỷ lệ hồ sơ trễ hạn có văn bản xin lỗi"),
    ):
        for scope, what in scopes:
            t = office_table(res, kpi, scope)
            if not t.empty:
                show(table(t, caption=f"{noun} theo phòng, {what}"))
    if part == "body":
        show(
            paragraph(
                "Cách đếm: mỗi kỳ tính mọi hồ sơ đang giải quyết trong kỳ (nhận trong kỳ hoặc kỳ trước chuyển "
                "sang). Hồ sơ chưa xong cuối quý được tính ở cả quý đó và quý sau, còn số lũy kế tính mỗi hồ sơ một "
                "lần, nên số hồ sơ của các quý cộng lại lớn hơn số lũy kế.",
                muted=True,
            )
        )
        return
    proc = res.kpis.loc[
        (res.kpis["period_kind"] == "quarter")
        & (res.kpis["period"] == res.period.key)
        & (res.kpis["dimension"] == "procedure_code")
        & (res.kpis["kpi"] == "on_time_pct")
        & (res.kpis["n"] > 0)
    ].copy()
    proc["late"] = proc["n"] - proc["k"]
    proc = proc.sort_values(["late", "n"], ascending=[False, False]).head(10)
    pt = res.extra.get("processing_time")
    if pt is not None and not pt.empty:
        show(
            table(
                pd.DataFrame(
                    {
                        "Phòng": pt["office_name"],
                        "Đơn vị thời hạn": pt["unit_label"],
                        "Số hồ sơ hoàn thành": pt["n"].map(fmt_int),
                        "Thời gian trung bình": pt["mean_time"].map(lambda v: fmt_num(v, 1)),
                        "Trung vị": pt["median_time"].map(lambda v: fmt_num(v, 1)),
                        "Thời hạn trung bình theo quy định": pt["mean_deadline"].map(lambda v: fmt_num(v, 1)),
                    }
                ),
                caption=f"Thời gian giải quyết trung bình (đã trừ thời gian chờ bổ sung), {res.period.label}",
            )
        )
    show(
        table(
            pd.DataFrame(
                {
                    "Mã TTHC": proc["group"],
                    "Thủ tục": proc["group_name"],
                    "Số hồ sơ": proc["n"].map(fmt_int),
                    "Trễ hạn": proc["late"].map(fmt_int),
                    "Tỷ lệ đúng hạn": proc["pct"].map(fmt_pct),
                    "Khoảng tin cậy 95 %": [
                        f"{fmt_num(a, 1)}–{fmt_num(b, 1)}"
                        for a, b in zip(proc["ci_low_pct"], proc["ci_high_pct"])
                    ],
                }
            ),
            caption=f"10 thủ tục có nhiều hồ sơ trễ hạn nhất, {res.period.label}",
        )
    )


# ---------------------------------------------------------------- points at risk


def points_section(res: QuarterlyResult) -> None:
    pr = res.projection
    if pr.empty:
        show(paragraph("Bộ tiêu chí của năm chưa có tiêu chí thành phần nào gắn với chỉ tiêu đo được."))
        return
    total_max, total_proj = pr["max_points"].sum(), pr["projected_points"].sum(skipna=True)
    show(
        paragraph(
            f"{len(pr)} tiêu chí thành phần gắn với chỉ tiêu đo được (tối đa {fmt_points(total_max)}); với số "
            f"liệu lũy kế đến hết {res.period.label}, dự kiến đạt {fmt_points(total_proj)}, có nguy cơ mất "
            f"{fmt_points(pr['points_at_risk'].sum(skipna=True))}."
        )
    )

    labels = {**KPI_LABELS, **KPI_EXTRA_LABELS}
    show(
        table(
            pd.DataFrame(
                {
                    "Mã": pr["code"],
                    "Tiêu chí thành phần": pr["name"],
                    "Chỉ tiêu đo": pr["kpi"].map(labels).fillna(pr["kpi"]),
                    "Lũy kế": pr["value_pct"].map(fmt_pct),
                    "Cách chấm": [rule_vi(r, p) for r, p in zip(pr["rule"], pr["rule_params"])],
                    "Tối đa": pr["max_points"].map(fmt_num),
                    "Dự kiến": pr["projected_points"].map(fmt_num),
                    "Có nguy cơ mất": pr["points_at_risk"].map(fmt_num),
                    "Lấy lại nếu đạt mục tiêu KH": pr["recoverable_points"].map(fmt_num),
                    "Đơn vị chủ trì": pr["owner_office"],
                }
            )
        )
    )


KPI_EXTRA_LABELS = {
    "feedback_on_time_pct": "Tỷ lệ PAKN xử lý đúng hạn",
    "satisfaction_pct": "Tỷ lệ hài lòng (khảo sát của Sở)",
    "tasks_on_time_pct": "Tỷ lệ nhiệm vụ đúng tiến độ",
    "index766_points": "Điểm Bộ chỉ số 766",
}


def rule_vi(rule, params) -> str:
    """Vietnamese description of a framework scoring rule: 'linear' '98' -> 'tỷ lệ thuận, đủ điểm từ 98 %'."""
    rule, params = str(rule or "").strip().lower(), str(params or "").strip()
    if rule == "linear":
        return f"tỷ lệ thuận, đủ điểm từ {fmt_pct(float(params), 0)}"
    if rule == "binary":
        return f"đủ điểm khi đạt {fmt_pct(float(params), 0)}, không đạt: 0"
    if rule == "bands":
        parts = []
        for band in params.split("|"):
            t, f = band.split(":")
            parts.append(f"≥ {fmt_pct(float(t), 0)}: {fmt_num(float(f) * 100, 0)} % điểm")
        return "; ".join(parts)
    return rule


# ---------------------------------------------------------------- data quality, methods, files


def data_quality_section(res: QuarterlyResult) -> None:
    show_data_quality(res.issues, res.ledger)


def methods_section(res: QuarterlyResult) -> None:
    lines = [
        "Hồ sơ đúng hạn theo Bộ chỉ số 766 (chỉ số 2.1): kết thúc xử lý (xử lý xong, rồi trả kết quả, rồi dừng, từ "
        "chối, rút) không muộn hơn ngày hẹn trả; trừ thời gian chờ bổ sung; bổ sung quá một lần tính là trễ; hồ sơ "
        "chưa xong được đánh giá tại ngày cuối kỳ. Ngày làm việc theo lịch nghỉ chính thức và ngày làm bù "
        "(data/raw/config/holidays.csv).",
        "Văn bản xin lỗi (mẫu 04, Nghị định 118/2025/NĐ-CP) tính cho hồ sơ đã hoặc sẽ quá hạn; đúng thời hạn khi gửi "
        "trước ngày hẹn trả ít nhất 1 ngày làm việc. Chỉ số 766 khác (3.3, 3.6, 4.2, 5.4) theo định nghĩa trong "
        "docs/data-contracts.md.",
        "Mỗi tỷ lệ kèm tử số, mẫu số và khoảng tin cậy Wilson 95 %; mẫu số 0 là «không áp dụng», thiếu tệp là «chưa "
        "có số liệu», không bao giờ là 0 %. Mọi tỷ lệ đếm mỗi hồ sơ một lần trong kỳ (tổng các phòng bằng toàn Sở).",
        "Mỗi phòng được so với mức của chính phòng (các quý trước của năm, cùng quý năm trước, lũy kế cùng kỳ): "
        "kiểm định chính xác Fisher, hiệu chỉnh Holm giữa các phòng; dưới 10 trường hợp: «ít hồ sơ, chưa đủ để kết "
        "luận». Biểu đồ kiểm soát p: giới hạn ±3σ theo mẫu số từng tháng, bốn quy tắc tín hiệu thông dụng.",
        "Nguyên nhân trong quý: chỉ số xấu đi rõ rệt trước, rồi số điểm có thể mất đến cuối năm nếu nhịp của quý gần "
        "nhất tiếp diễn (điểm theo quy tắc chấm của bộ tiêu chí). Hạn của mỗi việc: ngày làm việc cuối của tháng sau "
        "ngày lập báo cáo, hoặc hạn của nhiệm vụ trong Kế hoạch nếu sớm hơn và chưa qua, và không muộn hơn ngày làm "
        "việc cuối của năm được chấm điểm. Số điểm «lấy lại» trong một việc cần làm: điểm của tiêu chí tính theo quy "
        "tắc chấm nếu phòng khắc phục hết phần thiếu của mình (lũy kế), không phải phần chia theo tỷ lệ.",
        "Hài lòng = trả lời 4 hoặc 5 trên thang 1–5 (có thể cấu hình; chưa được xác nhận bằng văn bản chính thức); "
        "tỷ lệ của một yếu tố là tỷ lệ câu trả lời hài lòng; khoảng tin cậy tính đến việc một người trả lời nhiều câu.",
    ]
    show(bullets(lines, css=""))
