"""The quarterly workbook's sheets behind "(xem tệp Excel)": hand-made inputs, rows selected
for the report's quarter, Vietnamese headers and numbers written as numbers."""

from types import SimpleNamespace

import pandas as pd
from openpyxl import load_workbook

from parlib.core.periods import Period
from parlib.core.xlsx import write_excel_tables
from parlib.report.quarterly_sheets import (
    comment_theme_sheet,
    feedback_sheet,
    satisfaction_sheet,
    source_sheets,
)


def _survey_row(kind, year, quarter, level, code, seg_kind, seg, k, n, n_resp):
    label = f"Quý III/{year}" if kind == "quarter" else f"Từ đầu năm đến hết quý III/{year}"
    return dict(
        period_kind=kind, year=year, quarter=quarter, period_label=label, level=level, code=code,
        name="Mức độ hài lòng chung" if level == "overall" else "Công chức", segment_kind=seg_kind,
        segment=seg, k=k, n=n, pct=100 * k / n, ci_low_pct=40.0, ci_high_pct=90.0,
        is_small_sample=n_resp < 30, n_respondents=n_resp,
    )  # fmt: skip


def _res(**kw):
    base = dict(
        period=Period(2026, 3),
        survey_table=None,
        theme_counts=None,
        feedback_kpis=None,
        index766_quarter=None,
        extra={},
    )
    return SimpleNamespace(**{**base, **kw})


def test_satisfaction_rows_of_the_quarter_and_year_to_date_by_channel():
    """Kept: overall and factor rows, all channels and each channel, of Q3/2026 (quarter and
    year to date) = 3 rows; left out: the field segment, an item, Q2/2026 and Q3/2025."""
    t = pd.DataFrame(
        [
            _survey_row("quarter", 2026, 3, "factor", "CC", "channel", "Trực tiếp", 157, 272, 55),
            _survey_row("quarter", 2026, 3, "overall", "overall", "all", "Tất cả", 150, 183, 183),
            _survey_row("ytd", 2026, 3, "factor", "CC", "all", "Tất cả", 600, 800, 500),
            _survey_row("quarter", 2026, 3, "factor", "CC", "field_name", "Nhà ở", 5, 8, 8),
            _survey_row("quarter", 2026, 3, "item", "CC1", "all", "Tất cả", 5, 8, 8),
            _survey_row("quarter", 2026, 2, "factor", "CC", "all", "Tất cả", 1, 2, 2),
            _survey_row("quarter", 2025, 3, "factor", "CC", "all", "Tất cả", 1, 2, 2),
        ]
    )
    s = satisfaction_sheet(_res(survey_table=t))
    assert len(s) == 3
    assert s["Mức"].tolist() == ["Hài lòng chung", "Yếu tố", "Yếu tố"]  # overall first, quarter then YTD
    assert s["Kênh"].tolist() == ["Tất cả các kênh", "Trực tiếp", "Tất cả các kênh"]
    r = s.iloc[1]
    # 157 satisfied answers of 272: 57,72 %
    assert (r["Hài lòng"], r["Số trả lời"], r["Tỷ lệ hài lòng (%)"]) == (157, 272, 57.72)
    assert (r["KTC 95 %: thấp (%)"], r["KTC 95 %: cao (%)"], r["Số người trả lời"]) == (40.0, 90.0, 55)
    assert s.iloc[2]["Kỳ"] == "Từ đầu năm đến hết quý III/2026"


def test_comment_themes_of_the_year_up_to_the_quarter_counts_only():
    """Q1 and Q3 of 2026 kept; Q4/2025 and Q4/2026 (after the report's quarter) left out.
    3 of 12 comments = 25,0 %."""
    t = pd.DataFrame(
        {
            "year": [2025, 2026, 2026, 2026],
            "quarter": [4, 1, 3, 4],
            "theme": ["Hướng dẫn", "Hướng dẫn", "Thái độ phục vụ", "Hướng dẫn"],
            "n_comments": [9, 3, 4, 1],
            "n_total": [10, 12, 16, 2],
            "share_pct": [90.0, 25.0, 25.0, 50.0],
        }
    )
    s = comment_theme_sheet(_res(theme_counts=t))
    assert s["Quý"].tolist() == ["Quý I/2026", "Quý III/2026"]
    assert s[["Số ý kiến", "Tổng số ý kiến của quý", "Tỷ lệ (%)"]].values.tolist() == [
        [3, 12, 25.0],
        [4, 16, 25.0],
    ]
    assert "Ý kiến" not in s.columns  # no comment text here


def test_feedback_unit_quarter_then_year_to_date_then_offices():
    """The Q2 row is another quarter: out. Office P: 2 on time of 3 judged (4 received)."""

    def row(by, period, office, k, n, total):
        return dict(by=by, period=period, office_name=office, kpi_code="5.2",
                    kpi_label="Tỷ lệ PAKN xử lý đúng hạn", k=k, n=n, n_total=total, n_pending=total - n,
                    pct=100 * k / n, ci_low_pct=10.0, ci_high_pct=99.0)  # fmt: skip

    f = pd.DataFrame(
        [
            row("office", "2026", "Phòng P", 2, 3, 4),
            row("quarter", "2026-Q2", None, 1, 1, 1),
            row("ytd", "2026", None, 5, 6, 7),
            row("quarter", "2026-Q3", None, 3, 4, 5),
        ]
    )
    s = feedback_sheet(_res(feedback_kpis=f))
    assert s["Kỳ"].tolist() == ["Quý III/2026", "Lũy kế 2026", "Lũy kế 2026"]
    assert s["Phòng"].tolist() == ["Toàn đơn vị", "Toàn đơn vị", "Phòng P"]
    assert s.iloc[2][["Đạt", "Tổng", "Tiếp nhận", "Đang xử lý"]].tolist() == [2, 3, 4, 1]


def test_every_sheet_writes_numbers_as_numbers_and_vietnamese_headers(tmp_path):
    res = _res(
        index766_quarter=pd.DataFrame(
            {
                "year": [2026],
                "quarter": [3],
                "group_code": ["2"],
                "group_name": ["Tiến độ giải quyết"],
                "max_points": [20.0],
                "points": [19.5067],
                "n_months": [3],
                "pct": [97.5333],
            }
        ),  # fmt: skip
        extra={
            "processing_time": pd.DataFrame(
                {
                    "office_name": ["Phòng P"],
                    "unit_label": ["ngày làm việc"],
                    "n": [111],
                    "mean_time": [4.4234],
                    "median_time": [4.0],
                    "mean_deadline": [6.1712],
                }
            )  # fmt: skip
        },
    )
    sheets = source_sheets(res)
    assert set(sheets) == {
        "Hài lòng theo kênh",
        "Ý kiến theo chủ đề",
        "Ý kiến tiêu biểu",
        "PAKN theo phòng",
        "Điểm 766 theo nhóm",
        "Thời gian giải quyết",
    }
    wb = load_workbook(write_excel_tables(sheets, tmp_path / "q.xlsx"))
    ws = wb["Điểm 766 theo nhóm"]
    assert [c.value for c in ws[2]] == ["Quý III/2026", "2", "Tiến độ giải quyết", 20, 19.51, 3, 97.53]
    ws = wb["Thời gian giải quyết"]
    assert [c.value for c in ws[2]] == ["Quý III/2026", "Phòng P", "ngày làm việc", 111, 4.42, 4, 6.17]
    for ws in wb.worksheets:  # empty sheets keep their Vietnamese headers
        assert all(c.value and "_" not in c.value for c in ws[1]), ws.title
