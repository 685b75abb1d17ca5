"""Hand-worked checks of the 766 reader, aggregation and indicator rule (parlib.index766)."""

import datetime as dt
from pathlib import Path

import numpy as np
import pytest
from openpyxl import Workbook

from parlib.analysis.index766 import group_points, index766_totals, indicator_points
from parlib.core.errors import StructuralError
from parlib.core.paths import PROJECT_ROOT
from parlib.ingest.index766 import read_766
from parlib.model.index766 import GROUPS

HEADER = ["Kỳ", "Mã nhóm", "Nhóm chỉ số", "Điểm", "Điểm tối đa"]
MAXIMA = [18, 20, 12, 10, 18, 22]


def _book(path: Path, rows, sheet="Chi so 766", header=HEADER) -> Path:
    wb = Workbook()
    ws = wb.active
    ws.title = sheet
    ws.append(header)
    for r in rows:
        ws.append(list(r))
    wb.save(path)
    return path


def _month(period, points):
    return [(period, i + 1, GROUPS["group_name"][i], p, MAXIMA[i]) for i, p in enumerate(points)]


def test_groups_constant_matches_shared_six_group_version():
    assert GROUPS["max_points"].tolist() == MAXIMA and sum(MAXIMA) == 100


def test_read_valid_and_invalid_rows(tmp_path):
    rows = (
        _month("2026-01", [16, 18, 10, 8, 15, 20])
        + _month("2026-02", [17, 19, 11, 9, 16, 21])
        + [
            ("2026-03", 1, "Công khai, minh bạch", 19, 18),  # 19 > 18: out of range
            ("2026-13", 2, "Tiến độ", 10, 20),  # no month 13
            ("2026-03", 7, "Khác", 5, 10),  # no group 7
            ("2026-03", 3, "Số hóa hồ sơ", 15, 22),  # 5-group era maximum
            ("2026-03", 4, "Thanh toán trực tuyến", "abc", 10),  # not a number
            (None, None, None, None, None),  # blank
            ("03/2026", "5", "Mức độ hài lòng", "16,5", 18),
        ]
    )  # text forms accepted
    scores, issues, ledger = read_766([_book(tmp_path / "chi_so_766_2026.xlsx", rows)])
    assert len(scores) == 13
    assert scores.columns[:8].tolist() == [
        "period",
        "year",
        "month",
        "quarter",
        "group_code",
        "group_name",
        "points",
        "max_points",
    ]
    mar = scores.loc[scores["period"] == "2026-03"]
    assert mar[["group_code", "points", "quarter"]].values.tolist() == [["5", 16.5, 1]]
    assert set(issues.loc[issues["severity"] == "error", "rule"]) == {
        "index766_points_out_of_range",
        "index766_bad_period",
        "index766_unknown_group",
        "index766_max_mismatch",
        "index766_bad_points",
    }
    # March lacks groups 1,2,3,4,6
    miss = issues.loc[issues["rule"] == "index766_missing_groups"]
    assert miss["code"].tolist() == ["2026-03"] and miss["value"].iloc[0] == "1, 2, 3, 4, 6"
    # 1 header + 12 + 7 + 1 blank = 21 rows = 1 skipped header + 1 blank + 5 rejected + 13 used
    got = ledger.groupby("status")["rows"].sum().to_dict()
    assert got == {"skipped": 2, "rejected": 5, "used": 13}
    bad = issues.loc[issues["rule"] == "index766_points_out_of_range"].iloc[0]
    assert bad["cell"] == "D14" and bad["row"] == 14


def test_duplicates_later_wins_and_date_cells(tmp_path):
    a = _book(tmp_path / "chi_so_766_2026.xlsx", _month(dt.datetime(2026, 4, 1), [10, 10, 10, 5, 10, 10]))
    b = _book(tmp_path / "chi_so_766_2026_b.xlsx", [("2026-04", 1, "Công khai, minh bạch", 17, 18)])
    scores, issues, ledger = read_766([a, b])
    assert scores.loc[scores["group_code"] == "1", "points"].tolist() == [17.0]
    assert (issues["rule"] == "index766_duplicate").sum() == 1
    assert ledger.loc[ledger["status"] == "used", "rows"].sum() == 6


def test_missing_column_lists_every_file(tmp_path):
    a = _book(tmp_path / "chi_so_766_2025.xlsx", [], header=["Kỳ", "Mã nhóm", "Điểm"])
    b = _book(tmp_path / "chi_so_766_2026.xlsx", [], sheet="Sheet1")
    with pytest.raises(StructuralError) as err:
        read_766([a, b])
    text = str(err.value)
    assert "Điểm tối đa" in text and "chi_so_766_2025.xlsx" in text and "chi_so_766_2026.xlsx" in text


def test_quarterly_total_is_mean_of_monthly_group_points(tmp_path):
    rows = (
        _month("2026-01", [16, 18, 10, 8, 15, 20])
        + _month("2026-02", [17, 19, 11, 9, 16, 21])
        + _month("2026-03", [18, 20, 12, 10, 17, 22])
        + _month("2026-04", [10, 10, 10, 10, 10, 10])
    )
    scores, _, _ = read_766([_book(tmp_path / "chi_so_766_2026.xlsx", rows)])
    g = group_points(scores, "quarter")
    q1 = g.loc[g["period"] == "2026-Q1"].set_index("group_code")
    # group 1: (16+17+18)/3 = 17; group 6: (20+21+22)/3 = 21
    assert q1.loc["1", "points"] == pytest.approx(17.0) and q1.loc["6", "points"] == pytest.approx(21.0)
    tot = index766_totals(scores, "quarter").set_index("period")
    # Q1 monthly totals 87, 93, 99 -> mean 93; sum of group means 17+19+11+9+16+21 = 93
    assert tot.loc["2026-Q1", "points"] == pytest.approx(93.0)
    assert tot.loc["2026-Q1", "n_months"] == 3 and tot.loc["2026-Q1", "is_complete"]
    assert tot.loc["2026-Q2", "points"] == pytest.approx(60.0) and tot.loc["2026-Q2", "n_months"] == 1
    ytd = index766_totals(scores, "ytd", through="2026-03")
    assert ytd["points"].tolist() == pytest.approx([93.0]) and ytd["pct"].tolist() == pytest.approx([93.0])
    # a month missing group 6 makes the period incomplete
    part = index766_totals(scores.loc[~((scores["period"] == "2026-02") & (scores["group_code"] == "6"))])
    assert not part.set_index("period").loc["2026-Q1", "is_complete"]


def test_indicator_points_threshold_and_not_applicable():
    # 85 % against threshold 80 -> min(1, 85/80) = 1 -> 12 points
    assert indicator_points(85, 12, 80) == 12.0
    # 60 % / 80 = 0.75 -> 12 * 0.75 = 9
    assert indicator_points(60, 12, 80) == 9.0
    # 70 % / 90 = 0.7777… -> 10 * 0.7777… = 7.777… -> 7.78
    assert indicator_points(70, 10, 90) == 7.78
    # 50.5 % / 100 * 5 = 2.525 -> half up -> 2.53
    assert indicator_points(50.5, 5) == 2.53
    assert np.isnan(indicator_points(np.nan, 12, 80))  # zero denominator: N/A, not 0
    arr = indicator_points(np.array([100, np.nan, 0]), 6, 90)
    assert arr[0] == 6.0 and np.isnan(arr[1]) and arr[2] == 0.0
    with pytest.raises(ValueError):
        indicator_points(50, 10, 0)


def test_bundled_sample_if_present():
    files = sorted((PROJECT_ROOT / "data" / "raw" / "index766").glob("chi_so_766_*.xlsx"))
    if not files:
        pytest.skip("bundled 766 sample not generated yet")
    scores, issues, ledger = read_766(files)
    assert not scores.empty
    assert scores["points"].between(0, scores["max_points"]).all()
    assert ledger["rows"].sum() >= len(scores)
