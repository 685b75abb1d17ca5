"""A real-shaped year of another unit and province, run through the annual pipeline (issue 18).

The framework has the 8 fields of the older provincial set (QĐ 2948: 10 / 10 / 14,5 / 11 / 16 /
7 / 16 / 15,5 = 100). In every field F of maximum M: criterion F.1 is a leaf of M − 4 points,
criterion F.2 (4 points) has F.2.1 (1,5) and F.2.2 (2,5).

The scoresheet (sheet «Biểu 01») has a title, a 2-row merged header («Điểm thẩm định» over «Lần 1»
and «Chính thức»), a column-numbering row «A B 1 2 3 4 5», Roman field rows with criteria numbered
from 1 inside each field («1», «2», «2.1», «2.2»), a subtotal «Tổng điểm lĩnh vực …» under each
field, «Tổng cộng», a note, and every number typed as text with a decimal comma.

Points lost (final): 1.1 −0,5; 1.2.2 −0,5; 3.1 −0,75; 5.2.2 −1,25; 8.1 −1,5 -> 4,5 lost, total 95,5.
Self-scores are the maxima except 8.1 (self 10,5 of 11,5): not claimed 1,0; cut at appraisal
4,5 − 1,0 = 3,5. Field 8: 15,5 − 1,5 = 14; field 5: 16 − 1,25 = 14,75.
"""

from __future__ import annotations

import pytest
from openpyxl import Workbook

from parlib.core.errors import StructuralError
from parlib.core.paths import Paths
from parlib.pipelines import annual
from parlib.report.province import province_sentences

ROMAN = ["I", "II", "III", "IV", "V", "VI", "VII", "VIII"]
FIELD_MAX = [10, 10, 14.5, 11, 16, 7, 16, 15.5]
FINAL = {"1.1": 5.5, "1.2.2": 2.0, "3.1": 9.75, "5.2.2": 1.25, "8.1": 10.0}  # all other leaves: full
SELF = {"8.1": 10.5}


def vn(x: float) -> str:
    return f"{x:g}".replace(".", ",")


def leaves(f: int) -> dict[str, float]:
    return {f"{f}.1": FIELD_MAX[f - 1] - 4, f"{f}.2.1": 1.5, f"{f}.2.2": 2.5}


def framework_csv() -> str:
    lines = ["#year: 2024", "#total_points: 100", "code,parent_code,level,name,max_points,method"]
    for f in range(1, 9):
        mx = leaves(f)
        lines += [
            f'{f},,field,Lĩnh vực {f},"{vn(FIELD_MAX[f - 1])}",',
            f'{f}.1,{f},criterion,Tiêu chí {f}.1,"{vn(mx[f"{f}.1"])}",appraisal',
            f"{f}.2,{f},criterion,Tiêu chí {f}.2,4,",
            f'{f}.2.1,{f}.2,subcriterion,Tiêu chí thành phần {f}.2.1,"1,5",appraisal',
            f'{f}.2.2,{f}.2,subcriterion,Tiêu chí thành phần {f}.2.2,"2,5",appraisal',
        ]
    return "\n".join(lines) + "\n"


def sheet_rows(drop=(), blank=(), dup=(), anonymous: bool = False) -> list[list]:
    rows = [
        ["UBND TỈNH GIA LAI"],
        [
            "BẢNG TỔNG HỢP KẾT QUẢ CHẤM ĐIỂM CHỈ SỐ CCHC NĂM 2024"
            + ("" if anonymous else " — Sở Y tế tỉnh Gia Lai")
        ],
        [],
        ["STT", "Nội dung", "Điểm tối đa", "Điểm tự đánh giá", "Điểm thẩm định", None, "Ghi chú"],
        [None, None, None, None, "Lần 1", "Chính thức", None],
        ["A", "B", 1, 2, 3, 4, 5],
    ]
    grand = [0.0, 0.0, 0.0]
    for f in range(1, 9):
        mx = leaves(f)
        fin = {c: FINAL.get(c, m) for c, m in mx.items()}
        slf = {c: SELF.get(c, m) for c, m in mx.items()}
        tot = [sum(slf.values()), sum(fin.values()), sum(fin.values())]
        grand = [g + t for g, t in zip(grand, tot)]
        sub2 = [slf[f"{f}.2.1"] + slf[f"{f}.2.2"], fin[f"{f}.2.1"] + fin[f"{f}.2.2"]]
        rows.append([ROMAN[f - 1], f"Lĩnh vực {f}", vn(FIELD_MAX[f - 1]), *map(vn, tot), None])
        body = [
            ("1", f"{f}.1", mx[f"{f}.1"], slf[f"{f}.1"], fin[f"{f}.1"]),
            ("2", f"{f}.2", 4, sub2[0], sub2[1]),
            ("2.1", f"{f}.2.1", 1.5, slf[f"{f}.2.1"], fin[f"{f}.2.1"]),
            ("2.2", f"{f}.2.2", 2.5, slf[f"{f}.2.2"], fin[f"{f}.2.2"]),
        ]
        for local, full, m, s, v in body:
            if full not in drop:
                row = [local, f"Nội dung {full}", vn(m), vn(s), vn(v), None if full in blank else vn(v), None]
                rows += [row] * (2 if full in dup else 1)
        rows.append([None, f"Tổng điểm lĩnh vực {ROMAN[f - 1]}", vn(FIELD_MAX[f - 1]), *map(vn, tot), None])
    rows.append([None, "Tổng cộng", "100", *map(vn, grand), None])
    rows.append([None, "Ghi chú: điểm điều tra xã hội học do Sở Nội vụ cung cấp."])
    return rows


LAYOUT = """item,2024
sheet,Biểu 01
header_rows,2
code,STT
name,Nội dung
max_points,Điểm tối đa
self_points,Điểm tự đánh giá
appraisal1_points,Điểm thẩm định / Lần 1
explanation,-
final_points,Điểm thẩm định / Chính thức
bonus_points,-
penalty_points,-
reason,Ghi chú
"""


def data_dir(tmp_path, *, drop=(), blank=(), dup=(), unit: bool = True, anonymous: bool = False) -> Paths:
    raw = tmp_path / "raw"
    for d in ("config", "framework", "scoresheet"):
        (raw / d).mkdir(parents=True)
    (raw / "framework" / "framework_2024.csv").write_text(framework_csv(), encoding="utf-8")
    (raw / "config" / "scoresheet_layouts.csv").write_text(LAYOUT, encoding="utf-8")
    (raw / "config" / "bands.csv").write_text(
        "band_name,min_pct,province,year\nNhóm I,90,,\nNhóm II,80,,\nXuất sắc,95,Gia Lai,2024\nTốt,85,Gia Lai,2024\n",
        encoding="utf-8",
    )
    if unit:
        (raw / "config" / "unit.csv").write_text(
            "key,value\nname,Sở Y tế\nshort_name,Sở\nlevel,sở\nprovince,Gia Lai\n", encoding="utf-8"
        )
    wb = Workbook()
    ws = wb.active
    ws.title = "Biểu 01"
    for r in sheet_rows(drop, blank, dup, anonymous):
        ws.append(r)
    ws.merge_cells("E4:F4")
    wb.save(raw / "scoresheet" / "bang_diem_2024.xlsx")
    return Paths(data=tmp_path, out=tmp_path / "out")


def test_eight_fields_within_field_numbering_subtotals_and_text_numbers(tmp_path):
    res = annual.score_year(2024, data_dir(tmp_path), write=False)
    s = res.summary
    assert s["total_points"] == pytest.approx(95.5) and s["max_points"] == pytest.approx(100)
    assert s["points_lost"] == pytest.approx(4.5)
    assert s["band"] == "Xuất sắc"  # the province's own 2024 scale: 95,5 ≥ 95
    f = res.fields.set_index("code")
    assert f.at["8", "final_points"] == pytest.approx(14.0) and f.at["5", "final_points"] == pytest.approx(
        14.75
    )
    assert f.at["1", "points_lost"] == pytest.approx(1.0) and f.at["2", "points_lost"] == pytest.approx(0.0)
    st = res.stages.set_index("stage")["points_lost"]
    assert st["not_claimed"] == pytest.approx(1.0) and st["cut_round1"] == pytest.approx(3.5)
    iss = res.issues
    assert iss.loc[iss["severity"] == "error"].empty, iss.loc[iss["severity"] == "error", "message"].tolist()
    # criteria numbered within each of the 8 fields, resolved in sheet order and said so
    assert (iss["rule"] == "code_numbered_within_field").sum() == 8
    assert set(res.scores.loc[res.scores["is_leaf"], "code"]) == {c for f_ in range(1, 9) for c in leaves(f_)}
    assert res.printed_total == pytest.approx(95.5)
    # rows: 3 title + 2 header + 1 numbering + 8 × (1 field + 4 items + 1 subtotal) + total + note = 56
    led = res.ledger
    assert led["rows"].sum() == 56 and led.loc[led["status"] == "used", "rows"].sum() == 40
    assert led.loc[led["status"] == "rejected", "rows"].sum() == 0
    assert res.unit.full_name == "Sở Y tế tỉnh Gia Lai"
    assert province_sentences(res.province, res.unit, 2024)[0].startswith(
        "Chưa có bảng kết quả toàn tỉnh năm 2024"
    )


def test_a_leaf_missing_is_a_structural_error_naming_it(tmp_path):
    with pytest.raises(StructuralError) as e:
        annual.preflight(2024, data_dir(tmp_path, drop=("5.2.2",)))
    msg = str(e.value)
    assert "1 tiêu chí không có dòng điểm" in msg and "«5.2.2»" in msg
    assert "không lập báo cáo" in msg


def test_a_repeated_row_and_a_blank_final_score_stop_the_run_naming_the_rows(tmp_path):
    # rows: 3 title + 2 header + 1 numbering = 6; field I at row 7, its items 8–11, subtotal 12 …
    # field VIII starts at row 7 + 7 × 6 = 49: «1» (8.1) at rows 50 and 51 (repeated)
    with pytest.raises(StructuralError) as e:
        annual.preflight(2024, data_dir(tmp_path, blank=("3.1",), dup=("8.1",)))
    msg = str(e.value)
    assert (
        "0 tiêu chí không có dòng điểm, 1 dòng trùng mã, 1 tiêu chí chưa có điểm thẩm định cuối cùng" in msg
    )
    assert "ô A51" in msg and "«8.1» xuất hiện lần nữa (đã có ở dòng 50)" in msg
    # field III starts at row 7 + 2 × 6 = 19: «1» (3.1) at row 20
    assert "dòng 20: mã «3.1»: chưa có điểm thẩm định cuối cùng" in msg


def test_unit_from_the_scoresheet_title_when_not_declared(tmp_path):
    res = annual.score_year(2024, data_dir(tmp_path, unit=False), write=False)
    assert res.unit.name == "Sở Y tế" and res.unit.subject == "Sở"
    assert "unit_not_declared" in set(res.issues["rule"])
    assert res.summary["band"] == "Nhóm I"  # no province declared: the global scale


@pytest.mark.parametrize("published, warned", [("95,5", False), ("96", True)])
def test_province_total_is_checked_against_the_scoresheet(tmp_path, published, warned):
    paths = data_dir(tmp_path)
    (paths.raw / "province").mkdir()
    wb = Workbook()
    ws = wb.active
    ws.title = "Ket qua"
    ws.append(["KẾT QUẢ CHỈ SỐ CCHC NĂM 2024"])
    ws.append(["STT", "Đơn vị", "Tổng điểm", "Xếp hạng"])
    for i, (name, total, rank) in enumerate(
        [("Sở Tư pháp", "97", 1), ("Sở Y tế", published, 2), ("Sở Nội vụ", "90", 3)]
    ):
        ws.append([i + 1, name, total, rank])
    wb.save(paths.raw / "province" / "ket_qua_par_index_2024.xlsx")
    res = annual.score_year(2024, paths, write=False)
    assert res.province["rank"] == 2 and res.province["n_units"] == 3
    rules = set(res.extra["province_issues"]["rule"])
    assert ("province_total_differs" in rules) is warned
    text = province_sentences(res.province, res.unit, 2024)
    assert text[0] == "Năm 2024, Sở xếp thứ 2/3 sở, ban, ngành."
    assert any("khác tổng điểm tính từ bảng điểm (95,50)" in t for t in text) is warned


def test_no_unit_anywhere_is_null_not_empty(tmp_path):
    from parlib.report.annual import title_section
    from parlib.report.annual_summary import summary_json

    res = annual.score_year(2024, data_dir(tmp_path, unit=False, anonymous=True), write=False)
    assert res.unit.name == "" and res.unit.subject == "Đơn vị"
    s = summary_json(res)
    assert s["unit_name"] is None and s["unit"] is None
    assert "<strong>Đơn vị</strong>" in title_section(res)
    assert {"unit_name_missing", "unit_not_declared"} <= set(res.issues["rule"])
