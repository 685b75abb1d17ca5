"""The unit's position in a province table alone (issue 18): a real-shaped table of another province
(title row, STT column, 2-row merged header, decimal commas as text, a note and a signature row, a
wrong published rank, an old unit name), its layout and renames as data, a partial table, and
bands per province and year. Expected figures worked out by hand in the comments."""

from __future__ import annotations

import pandas as pd
import pytest
from openpyxl import Workbook

from parlib.analysis.province_rank import computed_ranks, province_position
from parlib.core.errors import StructuralError
from parlib.core.paths import Paths
from parlib.ingest.province_layout import load_province_layouts
from parlib.ingest.rules import load_bands
from parlib.model.unit import Unit
from parlib.pipelines.province import position_of_year
from parlib.report.province import province_sentences

# totals: 90,25 | 85,5 | 85,5 | 83,1 | 80 | 78,4 -> competition ranks 1, 2, 2, 4, 5, 6
UNITS = [
    # STT, name, field I, field II, field III, total, published rank
    (1, "Sở Tư pháp", "30,25", "30", "30", "90,25", 1),
    (2, "Sở Y tế", "28,5", "27", "30", "85,5", 2),
    (3, "Sở Tài chính", "29", "26,5", "30", "85,5", 2),
    (4, "Sở Công nghiệp", "27,6", "25,5", "30", "83,1", 4),  # old name of the unit (renamed)
    (5, "Sở Nội vụ", "26", "24", "30", "80", 5),
    (6, "Thanh tra tỉnh", "25,4", "23", "30", "78,4", 5),  # published 5, the scores give 6
]
UNIT = Unit("Sở Công Thương", short_name="Sở", level="sở", province="Gia Lai")


def _workbook(path, units, *, sheet="Tổng hợp"):
    wb = Workbook()
    ws = wb.active
    ws.title = sheet
    ws.append(["KẾT QUẢ XÁC ĐỊNH CHỈ SỐ CẢI CÁCH HÀNH CHÍNH NĂM 2024 CỦA CÁC SỞ, BAN, NGÀNH"])  # row 1
    ws.append([None])  # row 2
    ws.append(["STT", "Tên cơ quan, đơn vị", "Điểm các lĩnh vực", None, None, "Điểm đạt được", "Xếp hạng"])
    ws.append([None, None, "Lĩnh vực I", "Lĩnh vực II", "Lĩnh vực III", None, None])  # row 4
    ws.merge_cells("C3:E3")
    for u in units:
        ws.append(list(u))
    ws.append([None, "Ghi chú: Sở Ngoại vụ giải thể trong năm, không đánh giá."])  # a note in the unit column
    ws.append([None, "NGƯỜI LẬP BIỂU", None, None, None, None, None])
    wb.save(path)


def _paths(tmp_path, units=UNITS, *, partial=False) -> Paths:
    cfg = tmp_path / "raw" / "config"
    (tmp_path / "raw" / "province").mkdir(parents=True)
    cfg.mkdir(parents=True)
    _workbook(tmp_path / "raw" / "province" / "ket_qua_par_index_2024.xlsx", units)
    (cfg / "province_layouts.csv").write_text(
        "item,2024,note\n"
        "sheet,Tổng hợp,\n"
        "header_rows,2,\n"
        'unit_name,"Tên cơ quan, đơn vị",\n'
        "total_points,Điểm đạt được,\n"
        "band,-,no band column this year\n"
        f"is_partial,{'có' if partial else 'không'},\n",
        encoding="utf-8",
    )
    (cfg / "unit_renames.csv").write_text(
        "old_name,new_name\nSở Công nghiệp,Sở Công Thương\n", encoding="utf-8"
    )
    return Paths(data=tmp_path, out=tmp_path / "out")


def test_full_table_rank_gaps_and_checks(tmp_path):
    pos, issues, ledger = position_of_year(_paths(tmp_path), 2024, UNIT)
    # 6 units ranked: the note and the signature row are not units (N = 6, not 8)
    assert pos["n_units"] == 6 and pos["unit_found"] and pos["unit_name"] == "Sở Công Thương"
    assert pos["rank"] == 4 and pos["rank_published"] == 4 and pos["rank_checked"] is True
    # one published rank differs from the scores: Thanh tra tỉnh 5 vs 6
    assert pos["rank_mismatches"] == [{"unit_name": "Thanh tra tỉnh", "published": 5, "computed": 6}]
    # median of 78,4 80 83,1 85,5 85,5 90,25 = (83,1 + 85,5) / 2 = 84,3; gap 83,1 − 84,3 = −1,2
    assert pos["median_total"] == pytest.approx(84.3) and pos["gap_median"] == pytest.approx(-1.2)
    # best 90,25 (Sở Tư pháp); gap 83,1 − 90,25 = −7,15
    assert pos["best_total"] == 90.25 and pos["best_units"] == ["Sở Tư pháp"]
    assert pos["gap_best"] == pytest.approx(-7.15)
    t = pos["table"].set_index("item")
    # field I: 25,4 26 27,6 28,5 29 30,25 -> median (27,6 + 28,5) / 2 = 28,05; unit 27,6 -> −0,45
    assert t.at["field_1_points", "median"] == pytest.approx(28.05)
    assert t.at["field_1_points", "gap_median"] == pytest.approx(-0.45)
    assert t.at["field_3_points", "gap_best"] == pytest.approx(0.0)
    assert pos["band"] is None  # the layout says the table has no band column
    # rows: 2 title/blank + 2 header + 6 units + 2 notes = 12, all accounted for
    assert ledger["rows"].sum() == 12 and ledger.loc[ledger["status"] == "used", "rows"].sum() == 6
    assert (issues["rule"] == "province_note_row").sum() == 2
    text = province_sentences(pos, UNIT, 2024)
    assert text[0] == "Năm 2024, Sở xếp thứ 4/6 sở, ban, ngành."
    assert text[1] == (
        "Tổng điểm 83,10 điểm; trung vị toàn tỉnh 84,30 điểm (chênh lệch -1,20 điểm); "
        "đơn vị cao nhất (Sở Tư pháp) 90,25 điểm (chênh lệch -7,15 điểm)."
    )
    assert "Thanh tra tỉnh: công bố 5, tính lại 6" in text[2]


def test_partial_table_is_worded_so_and_has_no_median(tmp_path):
    # the province published only its top 4; the analyst declares it in province_layouts.csv
    pos, _, _ = position_of_year(_paths(tmp_path, UNITS[:4], partial=True), 2024, UNIT)
    assert pos["is_partial"] and pos["n_units"] == 4 and pos["rank"] == 4
    assert pos["median_total"] is None and pos["gap_median"] is None
    assert pos["gap_best"] == pytest.approx(-7.15)
    text = province_sentences(pos, UNIT, 2024)
    assert text[0] == "Năm 2024, Sở xếp thứ 4 trong số các đơn vị được công bố (4 đơn vị)."
    assert "trung vị" not in text[1]


def test_unit_not_found_and_no_published_rank():
    table = pd.DataFrame(
        {
            "year": [2024] * 4,
            "unit_name": ["A", "B", "C", "D"],
            "total_points": [80.0, 90.0, 90.0, None],  # D has no total: not ranked
            "rank": pd.array([pd.NA] * 4, dtype="Int64"),
            "band": ["", "", "", ""],
        }
    )
    assert computed_ranks(table["total_points"]).tolist()[:3] == [3, 1, 1]
    pos = province_position(table, "A")
    assert pos["rank"] == 3 and pos["n_units"] == 3 and pos["rank_published"] is None
    assert any("không công bố thứ hạng" in n for n in pos["notes"])
    assert any("1 đơn vị không có tổng điểm" in n for n in pos["notes"])
    assert (
        province_sentences(pos, Unit("A"), 2024)[0]
        == "Năm 2024, Đơn vị xếp thứ 3/3 đơn vị (tính từ tổng điểm công bố)."
    )
    missing = province_position(table, Unit("Z", aliases=("Zeta",)))
    assert missing["rank"] is None and "«Z» / «Zeta»" in missing["notes"][0]


def test_layout_file_errors(tmp_path):
    cfg = tmp_path / "raw" / "config"
    cfg.mkdir(parents=True)
    (cfg / "province_layouts.csv").write_text(
        "item,2024\nheader_rows,3\nunit_name,-\nis_partial,có lẽ\ncolor,red\n", encoding="utf-8"
    )
    with pytest.raises(StructuralError) as e:
        load_province_layouts(Paths(data=tmp_path))
    msg = str(e.value)
    assert "«header_rows» phải là 1 hoặc 2" in msg and "«unit_name» là bắt buộc" in msg
    assert "«is_partial»" in msg and "mục «color» không xác định" in msg


def test_bands_per_province_and_year(tmp_path):
    cfg = tmp_path / "raw" / "config"
    cfg.mkdir(parents=True)
    (cfg / "bands.csv").write_text(
        "band_name,min_pct,province,year\n"
        "Nhóm I,90,,\n"  # the global scale
        "Nhóm II,80,,\n"
        "Xuất sắc,90,Gia Lai,2024\n"  # the province's own scale of 2024
        "Tốt,80,Gia Lai,2024\n"
        "Khá,70,Gia Lai,2024\n"
        "A,85,,2023\n",  # a scale of 2023 for every province
        encoding="utf-8",
    )
    paths = Paths(data=tmp_path)
    assert load_bands(paths, 2024, "gia lai")["band_name"].tolist() == ["Xuất sắc", "Tốt", "Khá"]
    assert load_bands(paths, 2023, "Gia Lai")["band_name"].tolist() == ["A"]
    assert load_bands(paths, 2024, "Kon Tum")["band_name"].tolist() == ["Nhóm I", "Nhóm II"]
    assert len(load_bands(paths)) == 6  # no year or province: the whole file, as before


def test_median_is_rounded_half_up_as_written():
    # (8 + 8,01) / 2 = 8,005 -> 8,01 (half up on the decimal value; in binary it is 8,00499…)
    table = pd.DataFrame(
        {"year": [2024, 2024], "unit_name": ["A", "B"], "total_points": [8.0, 8.01], "band": ["", ""]}
    )
    pos = province_position(table, "A")
    assert pos["median_total"] == 8.01 and pos["gap_median"] == pytest.approx(-0.01)
    assert pos["rank"] == 2 and pos["rank_published"] is None and pos["rank_mismatches"] == []


def test_a_tie_is_said(tmp_path):
    unit = Unit("Sở Y tế", short_name="Sở", level="sở", province="Gia Lai")
    pos, _, _ = position_of_year(_paths(tmp_path), 2024, unit)
    # 85,5 and 85,5: both second (competition ranking), the next unit fourth
    assert pos["rank"] == 2 and pos["tied_with"] == ["Sở Tài chính"]
    assert (
        province_sentences(pos, unit, 2024)[0]
        == "Năm 2024, Sở xếp thứ 2/6 sở, ban, ngành (đồng hạng với Sở Tài chính)."
    )
