"""Sections of the annual report that combine several outputs, and the report's files.

Each function displays one whole section (so a notebook cell is a single call) or writes
the report's Excel workbook and ``summary.json``. All text from input files goes through
``parlib.display`` (HTML-escaped) and ``parlib.xlsx`` (formula-neutralised).
"""

from __future__ import annotations

import html

import pandas as pd

from parlib.analysis.compare_levels import report_depths
from parlib.core.io import sha256_file
from parlib.core.text import upper_first
from parlib.core.vnformat import fmt_points
from parlib.model.framework import level_word
from parlib.model.results import AnnualResult
from parlib.model.unit import Unit
from parlib.report.annual_summary import summary_json
from parlib.report.common import issues_display, ledger_display, show_data_quality, write_report_files
from parlib.report.comparison import show_comparison
from parlib.report.display import banner, bullets, figure, figures_row, report_day_line, show, table
from parlib.report.figures import annual as plots
from parlib.report.narrative import annual_conclusions, leaf_noun, to_vietnamese_table
from parlib.report.province import province_section, province_table_vi  # noqa: F401  (a notebook cell)


def illustrative_vi(unit: Unit) -> str:
    """The sample-data banner, naming the unit of the run."""
    who = f" của {unit.full_name}" if unit.name else ""
    return (
        "DỮ LIỆU MINH HỌA — bộ tiêu chí và bảng điểm trong báo cáo này là dữ liệu tổng hợp dùng để "
        f"trình diễn, không phải số liệu chính thức{who}."
    )


def title_section(res: AnnualResult, report_date=None) -> str:
    unit = res.unit.full_name if res.unit.name else (res.summary.get("unit_name") or "Đơn vị")
    parts = [
        f"<h1>Phân tích Chỉ số cải cách hành chính năm {res.year}</h1>",
        f"<p><strong>{html.escape(unit)}</strong> — báo cáo phân tích điểm PAR INDEX: điểm bị mất ở đâu, "
        "do khâu nào, đơn vị nào chủ trì.</p>",
        report_day_line(report_date, f"Bảng điểm chính thức năm {res.year}"),
    ]
    if res.is_illustrative:
        parts.append(banner(illustrative_vi(res.unit)))
    return "".join(parts)


def conclusions_section(res: AnnualResult) -> None:
    """«Kết luận chính»: the bullet sentences, in the year's level words."""
    show(
        bullets(
            annual_conclusions(
                res.summary, res.fields, res.top, res.stages, res.pareto, names=res.level_names
            )
        )
    )


def levels_section(res: AnnualResult, number: int = 2) -> None:
    """«Điểm theo <top level>»: the chart and the table of the top level, then a table for every
    level between it and the criteria above the leaves (a 4-level framework: its «lĩnh vực»).
    The level words are the year's (``#levels:``); Excel has every level (``excel_sheets``)."""
    names = res.level_names
    top = level_word(names, 1)
    show(f"<h2>{number}. Điểm theo {html.escape(top)}</h2>")
    figure(plots.plot_fields(res.fields, word=top))
    show(table(to_vietnamese_table(res.fields, "field", level_word=top)))
    for d in report_depths(list(res.levels))[1:]:
        word = level_word(names, d)
        show(table(to_vietnamese_table(res.levels[d], "field", level_word=word), caption=f"Điểm theo {word}"))


def losses_section(res: AnnualResult) -> None:
    """«Điểm bị mất tập trung ở đâu»: the Pareto chart and the largest losses, in the year's words."""
    noun = leaf_noun(res.top["level"], res.level_names) if "level" in res.top else "tiêu chí"
    figure(plots.plot_pareto(res.pareto))
    show(
        table(
            to_vietnamese_table(res.top, "top", brief=True, level_word=noun),
            caption=f"Các {noun} mất nhiều điểm nhất",
            max_rows=10,
        )
    )


def detail_figures(res: AnnualResult) -> None:
    """The appendix's chart row: points lost by owning office and by top level and stage."""
    figures_row(
        [
            plots.plot_loss_by_office(res.offices),
            plots.plot_stage_gap(res.fields, word=level_word(res.level_names, 1)),
        ]
    )


def comparison_section(res: AnnualResult, part: str = "body") -> None:
    """The year-over-year section (nothing when no base year was given)."""
    if res.comparison is None:
        return
    show_comparison(res.comparison, part)


def all_issues(res: AnnualResult) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(issues, ledger) of the year's inputs and, when comparing, of the base year's."""
    issues, ledger = res.issues, res.ledger
    extra = [res.extra.get(k) for k in ("province_issues", "province_ledger")]
    if extra[0] is not None and len(extra[0]):
        issues = pd.concat([issues, extra[0]], ignore_index=True)
    if extra[1] is not None and len(extra[1]):
        ledger = pd.concat([ledger, extra[1]], ignore_index=True)
    if res.comparison is not None:
        issues = pd.concat([issues, res.comparison.base_issues], ignore_index=True)
        ledger = pd.concat([ledger, res.comparison.base_ledger], ignore_index=True)
    return issues, ledger


def data_quality_section(res: AnnualResult) -> None:
    """Row accounting and content issues (see ``all_issues``)."""
    show_data_quality(*all_issues(res))


def methods_section(res: AnnualResult) -> None:
    s = res.summary
    names = res.level_names
    upper = ", ".join(names[:-2]) + " và " + names[-2] if len(names) > 2 else names[0]
    lines = [
        "Chỉ số = tổng điểm đạt được ÷ tổng điểm tối đa × 100. Tổng điểm = tổng điểm thẩm định cuối cùng của các "
        f"{names[-1]} (và các nội dung cấp trên không có cấp con) + điểm thưởng − điểm trừ; điểm của {upper} "
        f"được cộng lại từ các {names[-1]}, không lấy từ dòng cộng của bảng điểm (dòng cộng chỉ dùng để đối chiếu).",
        "Điểm bị mất = điểm tối đa − điểm thẩm định cuối cùng, tách theo khâu như mục 5; tổng các khâu bằng đúng "
        "tổng điểm bị mất.",
        "Xếp loại theo ngưỡng trong data/raw/config/bands.csv (so sánh chỉ số chưa làm tròn).",
        f"Bộ tiêu chí năm {res.year}: {res.framework.source.name}"
        + (" (minh họa)." if res.framework.is_illustrative else "."),
    ]
    if res.printed_total is not None and s.get("total_points") is not None:
        lines.append(
            f"Tổng điểm in trên bảng điểm: {fmt_points(res.printed_total)}; tổng điểm tính lại: "
            f"{fmt_points(s['total_points'])}."
        )
    show(bullets(lines, css=""))
    rows = [
        {"Tệp đầu vào": p.name, "SHA-256 (12 ký tự đầu)": sha256_file(p)[:12]}
        for p in res.inputs
        if p.exists()
    ]
    show(table(pd.DataFrame(rows), caption="Tệp đầu vào (đối chiếu với manifest.json)"))


def excel_sheets(res: AnnualResult) -> dict[str, pd.DataFrame]:
    vt = to_vietnamese_table
    issues, ledger = all_issues(res)
    names = res.level_names
    levels = res.levels or {1: res.fields}
    sheets = {
        upper_first(level_word(names, d)): vt(t, "field", level_word=level_word(names, d))
        for d, t in levels.items()
    }
    sheets |= {
        "Pareto": vt(res.pareto, "pareto", level_word=leaf_noun(res.pareto["level"], names)),
        "Đơn vị chủ trì": vt(res.offices, "office"),
        "Theo khâu": vt(res.stages, "stage"),
        "Mất nhiều nhất": vt(res.top, "top", level_word=leaf_noun(res.top["level"], names)),
        "Vấn đề dữ liệu": issues_display(issues),
        "Kiểm đếm dòng": ledger_display(ledger),
    }
    prov = province_table_vi(res.province)
    if prov is not None:
        sheets["Vị trí toàn tỉnh"] = prov
    if res.comparison is not None:
        sheets.update(res.comparison.excel_sheets())
    return sheets


def write_outputs(res: AnnualResult, output_dir: str, rc=None) -> None:
    """Write ``annual_<year>.xlsx`` and ``summary.json`` into ``output_dir`` (no-op when empty);
    ``rc`` (parlib.rootcause.RootCauseResult) adds the ranked causes to both."""
    notes = [f"Phân tích Chỉ số CCHC năm {res.year} — các bảng chính (tiêu đề tiếng Việt)."]
    if res.is_illustrative:
        notes.insert(0, illustrative_vi(res.unit))
    write_report_files(output_dir, f"annual_{res.year}.xlsx", excel_sheets(res), summary_json(res), notes, rc)


def compare_title_section(res: AnnualResult, report_date=None) -> str:
    comp = res.comparison
    parts = [
        f"<h1>So sánh Chỉ số cải cách hành chính năm {comp.year} với năm {comp.base_year}</h1>",
        report_day_line(report_date, f"Bảng điểm chính thức năm {comp.base_year} và năm {comp.year}"),
    ]
    if res.is_illustrative:
        parts.append(banner(illustrative_vi(res.unit)))
    return "".join(parts)


def write_compare_outputs(res: AnnualResult, output_dir: str, rc=None) -> None:
    """Write ``compare_<base>_<year>.xlsx`` and ``summary.json`` (the comparison block; ``rc``
    adds the causes, their reconciliation with the change and the persistent shortfalls)."""
    comp = res.comparison
    notes = [f"So sánh Chỉ số CCHC năm {comp.year} với năm {comp.base_year}."]
    if res.is_illustrative:
        notes.insert(0, illustrative_vi(res.unit))
    write_report_files(
        output_dir,
        f"compare_{comp.base_year}_{comp.year}.xlsx",
        comp.excel_sheets(),
        {
            "schema_version": 1,
            "report": "compare",
            "is_illustrative": res.is_illustrative,
            "comparison": comp.summary_json(),
        },
        notes,
        rc,
    )
