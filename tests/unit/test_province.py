"""Province-wide results reader on tiny workbooks built here."""

import pandas as pd
import pytest
from openpyxl import Workbook

from parlib.core.catalog import province_path
from parlib.core.errors import StructuralError
from parlib.ingest.province import read_province


def workbook(tmp_path, rows, sheet="Ket qua", name="ket_qua_par_index_2025.xlsx"):
    wb = Workbook()
    ws = wb.active
    ws.title = sheet
    for r in rows:
        ws.append(r)
    p = tmp_path / name
    wb.save(p)
    return p


HEAD = ["STT", "Đơn vị", "Lĩnh vực 1", "Lĩnh vực 2", "Tổng điểm", "Chỉ số (%)", "Xếp hạng", "Xếp loại"]


def test_reads_title_rows_numbers_and_missing_ranks(tmp_path):
    p = workbook(
        tmp_path,
        [
            ["KẾT QUẢ XÁC ĐỊNH CHỈ SỐ CCHC NĂM 2025 CỦA CÁC SỞ, BAN, NGÀNH"],  # row 1
            [None],  # row 2
            HEAD,  # row 3
            [1, "Sở Xây dựng", 8.5, "7,25", 15.75, "90,5", None, "Nhóm I"],  # row 4: blank rank
            [2, "Sở Tư pháp", 8, 7, 15, 88, "3 (đồng hạng)", "Nhóm II"],  # row 5
            [3, "Sở Y tế", 8, "abc", 16, 88, "x", "Nhóm II"],  # row 6: bad number, bad rank
            [None, "Trung bình", 8, 7, 15, 88, None, None],  # row 7: summary
            [None],  # row 8: blank
            ["Ghi chú: xếp hạng chưa công bố"],  # row 9: note
        ],
    )
    t, issues, ledger = read_province(p)
    assert t["unit_name"].tolist() == ["Sở Xây dựng", "Sở Tư pháp", "Sở Y tế"]
    assert t["year"].tolist() == [2025] * 3  # from the file name
    assert t["field_2_points"].iloc[0] == 7.25 and t["index_pct"].iloc[0] == 90.5
    assert pd.isna(t["rank"].iloc[0]) and t["rank"].iloc[1] == 3 and pd.isna(t["rank"].iloc[2])
    assert str(t["rank"].dtype) == "Int64"
    assert t["row"].tolist() == [4, 5, 6]
    rules = dict(zip(issues["rule"], issues["cell"]))
    assert rules["province_bad_number"] == "D6" and rules["province_bad_rank"] == "G6"
    # Sở Tư pháp: 8 + 7 = 15 = total, fine; Sở Xây dựng 8.5 + 7.25 = 15.75 fine; Sở Y tế 8 + NaN = 8 ≠ 16
    assert (issues["rule"] == "province_total_mismatch").sum() == 1
    # ledger: 9 rows read = 3 header/title + 3 used + 1 summary + 1 blank + 1 note
    assert ledger["rows"].sum() == 9
    assert ledger.loc[ledger["status"] == "used", "rows"].sum() == 3


def test_unit_rename_and_merge(tmp_path):
    p = workbook(
        tmp_path,
        [
            HEAD,
            [1, "Sở Giao thông vận tải", 8, 7, 15, 88, 2, "Nhóm II"],
            [2, "Sở Xây dựng", 9, 7, 16, 90, 1, "Nhóm I"],
        ],
        name="ket_qua_par_index_2024.xlsx",
    )
    t, issues, ledger = read_province(p, unit_aliases={"SỞ GIAO THÔNG VẬN TẢI": "Sở Xây dựng"})
    # the predecessor is renamed to the current unit; the second row for the same unit is rejected
    assert t["unit_name"].tolist() == ["Sở Xây dựng"]
    assert t["unit_name_original"].tolist() == ["Sở Giao thông vận tải"]
    assert issues["rule"].tolist() == ["province_duplicate_unit"]
    assert ledger.loc[ledger["status"] == "rejected", "rows"].sum() == 1


def test_structural_errors(tmp_path):
    p = workbook(tmp_path, [["Tiêu đề"], ["STT", "Tên", "Tổng điểm"]])
    with pytest.raises(StructuralError, match="Đơn vị"):
        read_province(p)
    p = workbook(tmp_path, [["STT", "Đơn vị", "Lĩnh vực 1"]])
    with pytest.raises(StructuralError, match="Tổng điểm"):
        read_province(p)
    p = workbook(tmp_path, [HEAD], sheet="Sheet1")
    with pytest.raises(StructuralError, match="Ket qua"):
        read_province(p)


def test_province_path(tmp_path):
    assert province_path(tmp_path, 2026) == tmp_path / "province" / "ket_qua_par_index_2026.xlsx"
