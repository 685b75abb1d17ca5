"""Scoresheet ingestion on tiny synthetic workbooks, one per layout quirk and content rule.

The test framework (10 points):
    1   field      6     1.1 criterion 4 = 1.1.1 (1,5) + 1.1.2 (2,5);  1.2 criterion leaf 2
    2   field      4     2.1 criterion leaf 4 (survey)
The baseline sheet scores (final): 1.1.1 = 1,25; 1.1.2 = 2; 1.2 = 1,5; 2.1 = "3,4" (text)
    -> 1.1 = 3,25; field 1 = 1,25 + 2 + 1,5 = 4,75; field 2 = 3,4; total = 8,15.
"""

from __future__ import annotations

import unicodedata

import numpy as np
import pandas as pd
import pytest
from openpyxl import Workbook

from parlib.core.errors import ConfigError, InputFormatError, StructuralError
from parlib.ingest.framework import load_framework
from parlib.ingest.scoresheet import read_scoresheet
from parlib.ingest.scoresheet_layout import classify_uncoded, load_layouts, parse_code, roman_to_int

FRAMEWORK = """#year: {year}
#total_points: 10
code,parent_code,level,name,max_points,method
1,,field,Chỉ đạo điều hành,6,
1.1,1,criterion,Kế hoạch CCHC,4,
1.1.1,1.1,subcriterion,Ban hành kế hoạch,"1,5",appraisal
1.1.2,1.1,subcriterion,Hoàn thành kế hoạch,2.5,appraisal
1.2,1,criterion,Báo cáo,2,appraisal
2,,field,Tác động,4,
2.1,2,criterion,Hài lòng,4,survey
"""

LAYOUTS = """item,2025,2026,note
sheet,Bảng điểm,KQ 2026,ignored column
header_rows,2,1,
code,TT,Mã số,
name,Nội dung,Nội dung đánh giá,
max_points,Điểm tối đa,Điểm tối đa,
self_points,Điểm tự đánh giá,Tự chấm,
appraisal1_points,Điểm thẩm định / Lần 1,Thẩm định lần 1,
explanation,Giải trình,Giải trình,
final_points,Điểm thẩm định / Cuối cùng,Điểm chính thức,
bonus_points,Điểm thưởng,-,
penalty_points,Điểm trừ,-,
reason,Lý do trừ điểm,Lý do,
"""

UPPER = [
    "TT",
    "Nội dung",
    "Điểm tối đa",
    "Điểm tự đánh giá",
    "Điểm thẩm định",
    None,
    "Giải trình",
    "Điểm thưởng",
    "Điểm trừ",
    "Lý do trừ điểm",
]
LOWER = [None, None, None, None, "Lần 1", "Cuối cùng", None, None, None, None]
# columns: A code, B name, C max, D self, E round 1, F final, G explanation, H bonus, I penalty, J reason


def baseline_body() -> list[list]:
    """Rows below the 2-row header (sheet rows 5..), 2025 layout."""
    return [
        ["I", "Chỉ đạo điều hành", 6, 6, 5, 4.75, None, None, None, None],  # row 5
        ["1.1", "Kế hoạch CCHC", 4, 4, 3, 3.25, None, None, None, None],  # row 6
        [
            "1.1.1",
            "Ban hành kế hoạch",
            "1,5",
            1.5,
            1,
            "1,25",
            "Đã bổ sung tài liệu",
            None,
            None,
            "Ban hành kế hoạch chậm so với quy định",
        ],  # row 7
        [None, "- Ban hành đúng hạn: 1,5 điểm", "1,5", None, None, None, None, None, None, None],  # row 8
        [None, "- Ban hành chậm: 0,5 điểm", "0,5", None, None, None, None, None, None, None],  # row 9
        ["1.1.2", "Hoàn thành kế hoạch", 2.5, 2.5, 2, 2, None, None, None, "Chưa hoàn thành 100 %"],  # row 10
        ["1.2", "Báo cáo", 2, 2, 1.5, 1.5, None, None, None, "Báo cáo gửi trễ hạn"],  # row 11
        [None, "Cộng lĩnh vực I", 6, 6, 5, 4.75, None, None, None, None],  # row 12
        [None, None, None, None, None, None, None, None, None, None],  # row 13 blank
        ["II.", "Tác động", 4, None, None, "3,4", None, None, None, None],  # row 14
        ["2.1", "Hài lòng", 4, "x", None, "3,4", None, None, None, None],  # row 15
        [None, "Cộng lĩnh vực II", 4, None, None, "3,4", None, None, None, None],  # row 16
        [None, "Tổng cộng", 10, None, None, 8.15, None, None, None, None],  # row 17
        [
            None,
            "Ghi chú: điểm lĩnh vực II do điều tra xã hội học",
            None,
            None,
            None,
            None,
            None,
            None,
            None,
            None,
        ],  # row 18
    ]


def write_book(path, rows, *, sheet="Bảng điểm", merges=(), extra_sheets=()):
    wb = Workbook()
    ws = wb.active
    ws.title = sheet
    for r in rows:
        ws.append(list(r))
    for m in merges:
        ws.merge_cells(m)
    for name in extra_sheets:
        wb.create_sheet(name)
    wb.save(path)
    return path


def sheet_2025(body=None, title_rows=None, upper=None, lower=None):
    title = (
        title_rows
        if title_rows is not None
        else [["BẢNG ĐIỂM CHỈ SỐ CCHC NĂM 2025 — Sở Xây dựng tỉnh Đắk Lắk"], []]
    )
    return title + [upper or UPPER, lower or LOWER] + (baseline_body() if body is None else body)


@pytest.fixture()
def env(tmp_path):
    fw_path = tmp_path / "framework_2025.csv"
    fw_path.write_text(FRAMEWORK.format(year=2025), encoding="utf-8")
    fw26 = tmp_path / "framework_2026.csv"
    fw26.write_text(FRAMEWORK.format(year=2026), encoding="utf-8")
    lay = tmp_path / "layouts.csv"
    lay.write_text(LAYOUTS, encoding="utf-8")
    layouts = load_layouts(lay)
    return {"tmp": tmp_path, "fw": load_framework(fw_path), "fw26": load_framework(fw26), "layouts": layouts}


def read(env, rows, year=2025, **kw):
    path = write_book(
        env["tmp"] / f"bang_diem_{year}.xlsx",
        rows,
        sheet=env["layouts"][year].sheet,
        merges=kw.pop("merges", ("E3:F3",) if year == 2025 else ()),
    )
    return read_scoresheet(path, year, env["fw"] if year == 2025 else env["fw26"], env["layouts"][year], **kw)


def rules(res) -> list[str]:
    return res.issues["rule"].tolist()


def only(res, rule: str) -> pd.Series:
    hit = res.issues.loc[res.issues["rule"] == rule]
    assert len(hit) == 1, res.issues.to_string()
    return hit.iloc[0]


# ---------------------------------------------------------------- pure helpers


def test_roman_and_code_parsing():
    assert [roman_to_int(s) for s in ["I", "IV", "VIII", "IX", "IIII", "VX"]] == [1, 4, 8, 9, None, None]
    assert parse_code("III") == ("3", "field")
    assert parse_code("II.") == ("2", "field")
    assert parse_code("II -") == ("2", "field")
    assert parse_code("1.2.") == ("1.2", "dotted")
    assert parse_code("3.2.1") == ("3.2.1", "dotted")
    assert parse_code(1.2) == ("1.2", "number")  # a code typed as an Excel number
    assert parse_code(3) == ("3", "dotted")
    assert parse_code("a)") == (None, "option")
    assert parse_code(None) == (None, "blank")
    assert parse_code("Phần A")[1] == "text"


def test_uncoded_row_classes():
    assert classify_uncoded("Tổng cộng", after_total=False, seen_code=True)[0] == "grand_total"
    assert classify_uncoded("TỔNG ĐIỂM", after_total=False, seen_code=True)[0] == "grand_total"
    assert classify_uncoded("Cộng lĩnh vực III", after_total=False, seen_code=True)[0] == "subtotal"
    assert classify_uncoded("Cộng", after_total=False, seen_code=True)[0] == "subtotal"
    # a field name beginning with "Công tác" is not a subtotal
    assert classify_uncoded("Công tác chỉ đạo", after_total=False, seen_code=True)[0] == "option"
    assert classify_uncoded("Ghi chú: x", after_total=False, seen_code=True)[0] == "note"
    assert classify_uncoded("Người lập biểu", after_total=True, seen_code=True)[0] == "note"
    assert classify_uncoded("- Ban hành đúng hạn: 0,5 điểm", after_total=False, seen_code=True)[0] == "option"
    assert classify_uncoded("", after_total=False, seen_code=True)[0] == "blank"


# ---------------------------------------------------------------- layouts


def test_layouts_unknown_year_names_available(env):
    lay = env["layouts"]
    assert sorted(lay) == [2025, 2026]
    assert lay[2026].absent == ["bonus_points", "penalty_points"]
    assert lay[2025].header_rows == 2 and lay[2025].sheet == "Bảng điểm"
    with pytest.raises(ConfigError) as e:
        lay[2027]
    assert "2027" in str(e.value) and "2025, 2026" in str(e.value)


def test_layouts_invalid_items_all_named(tmp_path):
    p = tmp_path / "l.csv"
    p.write_text(
        "item,2025\nsheet,S\nheader_rows,3\ncode,TT\nname,-\nmax_points,M\nfinal_points,F\ncolour,x\n",
        encoding="utf-8",
    )
    with pytest.raises(ConfigError) as e:
        load_layouts(p)
    msg = str(e.value)
    assert "colour" in msg and "header_rows" in msg and "«name»" in msg


def test_bundled_layouts_differ_between_years():
    from parlib.core.paths import DEFAULT_DATA_DIR

    lay = load_layouts(DEFAULT_DATA_DIR / "raw" / "config" / "scoresheet_layouts.csv")
    a, b = lay[2025], lay[2026]
    assert a.sheet != b.sheet and a.header_rows == 2 and b.header_rows == 1
    assert a.columns["final_points"] != b.columns["final_points"]


# ---------------------------------------------------------------- layout quirks


def test_baseline_two_row_merged_header(env):
    res = read(env, sheet_2025())
    s = res.scores.set_index("code")
    assert list(s.index) == ["1", "1.1", "1.1.1", "1.1.2", "1.2", "2", "2.1"]
    # decimal comma text: "1,25" -> 1.25, "3,4" -> 3.4
    assert s.at["1.1.1", "final_points"] == 1.25 and s.at["2.1", "final_points"] == pytest.approx(3.4)
    # parents recomputed: 1.1 = 1,25 + 2 = 3,25; field 1 = 3,25 + 1,5 = 4,75; self of field 1 = 1,5+2,5+2 = 6
    assert s.at["1.1", "final_points"] == 3.25 and s.at["1", "final_points"] == 4.75
    assert s.at["1", "self_points"] == 6.0
    assert np.isnan(s.at["2.1", "self_points"])  # "x" = not applicable (survey node)
    assert s.at["1.1.1", "bonus_points"] == 0.0  # blank bonus -> 0
    assert s.at["1.1.1", "explanation"] == "Đã bổ sung tài liệu"
    assert s.at["1.2", "reason"] == "Báo cáo gửi trễ hạn"
    assert s.at["1.1.1", "row"] == 7 and s.at["1.1.1", "level"] == "subcriterion"
    assert s.at["1.1", "max_points"] == 4.0 and not s.at["1.1", "is_leaf"]
    assert res.printed_total == pytest.approx(8.15)
    assert res.meta["unit_name"] == "Sở Xây dựng" and res.meta["header_row"] == 3
    assert res.meta["columns"]["final_points"] == "Điểm thẩm định / Cuối cùng"
    assert (res.scores["unit_name"] == "Sở Xây dựng").all() and (res.scores["year"] == 2025).all()
    assert not (res.issues["severity"] == "error").any(), res.issues.to_string()


def test_subtotals_not_double_counted_and_ledger_identity(env):
    res = read(env, sheet_2025())
    leaves = res.scores.loc[res.scores["is_leaf"]]
    # 1,25 + 2 + 1,5 + 3,4 = 8,15 (subtotal rows 4,75 and 3,4 not added again)
    assert leaves["final_points"].sum() == pytest.approx(8.15)
    assert not any(r in rules(res) for r in ("total_mismatch", "parent_sum_mismatch"))
    led = res.ledger
    n = lambda st: int(led.loc[led["status"] == st, "rows"].sum())  # noqa: E731
    # 18 rows: 2 title + 2 header + 7 coded + 2 options + 2 subtotals + 1 blank + 1 total + 1 note
    assert res.meta["rows_read"] == 18
    assert n("used") + n("skipped") + n("rejected") == 18
    assert n("used") == 7 and n("rejected") == 0
    reasons = led.set_index("reason")["rows"]
    assert reasons["dòng phương án chấm điểm"] == 2 and reasons["dòng cộng lĩnh vực"] == 2
    assert reasons["dòng tổng cộng"] == 1 and reasons["dòng ghi chú"] == 1 and reasons["dòng trống"] == 1
    kinds = res.rows.set_index("row")["kind"]
    assert kinds[8] == "option" and kinds[12] == "subtotal" and kinds[17] == "grand_total"


def test_shifted_header_and_one_row_renamed_layout(env):
    """2026 layout: other sheet name, 1-row header on row 6, renamed and reordered columns,
    no bonus/penalty columns (absent '-'), an extra column reported as info."""
    hdr = [
        "Mã số",
        "Nội dung đánh giá",
        "Điểm tối đa",
        "Điểm chính thức",
        "Tự chấm",
        "Thẩm định lần 1",
        "Lý do",
        "Giải trình",
        "Ghi chú",
    ]
    body = [
        ["I", "Chỉ đạo điều hành", 6, 4.75, 6, 5, None, None, None],
        ["1.1", "Kế hoạch CCHC", 4, 3.25, 4, 3, None, None, None],
        ["1.1.1", "Ban hành kế hoạch", 1.5, 1.25, 1.5, 1, "Chậm", None, None],
        ["1.1.2", "Hoàn thành kế hoạch", 2.5, 2, 2.5, 2, None, None, None],
        ["1.2", "Báo cáo", 2, 1.5, 2, 1.5, None, None, "x"],
        ["II", "Tác động", 4, 3.4, None, None, None, None, None],
        ["2.1", "Hài lòng", 4, 3.4, None, None, None, None, None],
        [None, "Tổng điểm", 10, 8.15, None, None, None, None, None],
    ]
    rows = [
        ["UBND TỈNH"],
        ["KẾT QUẢ THẨM ĐỊNH CHỈ SỐ CCHC NĂM 2026"],
        ["Đơn vị: Sở Xây dựng"],
        [],
        [],
        hdr,
    ] + body
    res = read(env, rows, year=2026)
    s = res.scores.set_index("code")
    assert res.meta["header_row"] == 6 and res.meta["sheet"] == "KQ 2026"
    assert s.at["1.1.1", "final_points"] == 1.25 and s.at["1.1.1", "self_points"] == 1.5
    assert s.at["1.1.1", "appraisal1_points"] == 1.0 and s.at["1.1.1", "reason"] == "Chậm"
    assert (s["bonus_points"] == 0).all() and (s["penalty_points"] == 0).all()
    assert res.meta["unit_name"] == "Sở Xây dựng"
    extra = only(res, "extra_column")
    assert extra["severity"] == "info" and extra["cell"] == "I6" and extra["column"] == "Ghi chú"
    assert res.printed_total == pytest.approx(8.15)


def test_nfd_text_normalised_and_headers_matched(env):
    nfd = lambda s: unicodedata.normalize("NFD", s)  # noqa: E731
    upper = [nfd(x) if x else x for x in UPPER]
    body = baseline_body()
    body[2][1] = nfd("Ban hành kế hoạch")
    body[2][9] = nfd("Không có tài liệu kiểm chứng")
    res = read(env, sheet_2025(body=body, upper=upper))
    s = res.scores.set_index("code")
    assert s.at["1.1.1", "name"] == unicodedata.normalize("NFC", "Ban hành kế hoạch")
    assert s.at["1.1.1", "reason"] == "Không có tài liệu kiểm chứng"
    assert unicodedata.is_normalized("NFC", s.at["1.1.1", "reason"])


def test_column_numbering_row_and_roman_variants(env):
    body = baseline_body()
    body.insert(0, ["(1)", "(2)", "(3)", "(4)", "(5)", "(6)", "(7)", "(8)", "(9)", "(10)"])
    body[10][0] = "II -"  # was "II." (row shifted by one)
    res = read(env, sheet_2025(body=body))
    assert res.rows.set_index("row").at[5, "reason"] == "dòng đánh số cột"
    assert "2" in set(res.scores["code"]) and res.scores.set_index("code").at[
        "2", "final_points"
    ] == pytest.approx(3.4)


# ---------------------------------------------------------------- structural errors


def test_missing_columns_all_named(env):
    upper = [u for u in UPPER if u not in ("Điểm trừ", "Lý do trừ điểm")]
    lower = LOWER[: len(upper)]
    body = [r[: len(upper)] for r in baseline_body()]
    with pytest.raises(StructuralError) as e:
        read(env, sheet_2025(body=body, upper=upper, lower=lower))
    msg = str(e.value)
    assert (
        "Điểm trừ" in msg and "Lý do trừ điểm" in msg and "bang_diem_2025.xlsx" in msg and "Bảng điểm" in msg
    )


def test_header_not_found(env):
    rows = [["BẢNG ĐIỂM"], ["Mã", "Tên"], ["1.1", "x"]]
    with pytest.raises(StructuralError) as e:
        read(env, rows, merges=())
    assert "dòng tiêu đề" in str(e.value) and "TT" in str(e.value)


def test_missing_sheet_and_bad_files(env, tmp_path):
    p = write_book(tmp_path / "bang_diem_2025.xlsx", sheet_2025(), sheet="Sheet1")
    with pytest.raises(StructuralError) as e:
        read_scoresheet(p, 2025, env["fw"], env["layouts"][2025])
    assert "Bảng điểm" in str(e.value) and "Sheet1" in str(e.value)
    csv = tmp_path / "fake.xlsx"
    csv.write_text("TT,Nội dung\n1.1,x\n", encoding="utf-8")
    with pytest.raises(InputFormatError) as e:
        read_scoresheet(csv, 2025, env["fw"], env["layouts"][2025])
    assert "không phải là tệp Excel" in str(e.value)
    empty = write_book(tmp_path / "empty.xlsx", [], sheet="Bảng điểm")
    with pytest.raises(InputFormatError) as e:
        read_scoresheet(empty, 2025, env["fw"], env["layouts"][2025])
    assert "Trang tính trống" in str(e.value)


# ---------------------------------------------------------------- content issues


def _mod(row_idx: int, col_idx: int, value):
    body = baseline_body()
    body[row_idx][col_idx] = value
    return body


@pytest.mark.parametrize(
    "row_idx,col_idx,value,rule,cell,code",
    [
        # 1.2 (sheet row 11, max 2): final 2,5 > 2 -> error at F11
        (6, 5, 2.5, "score_above_max", "F11", "1.2"),
        # 1.1.2 (row 10): negative round-1 score at E10
        (5, 4, -1, "negative_score", "E10", "1.1.2"),
        # 1.1.2 (row 10): blank final score at F10
        (5, 5, None, "missing_score", "F10", "1.1.2"),
        # 1.2 (row 11): text in the self-assessment cell D11
        (6, 3, "đạt", "text_in_number", "D11", "1.2"),
        # 1.1 (row 6) printed 3,5 but 1,25 + 2 = 3,25 -> F6
        (1, 5, 3.5, "parent_sum_mismatch", "F6", "1.1"),
        # printed total 8,4 but 4,75 + 3,4 = 8,15 -> F17
        (12, 5, 8.4, "total_mismatch", "F17", ""),
        # 1.1.2 printed max 3 but framework says 2,5 -> C10
        (5, 2, 3, "max_mismatch", "C10", "1.1.2"),
        # 1.1.2 self 1,5 < final 2 -> info at D10
        (5, 3, 1.5, "self_below_final", "D10", "1.1.2"),
        # a code the framework does not have (1.3 instead of 1.2) -> A11
        (6, 0, "1.3", "code_not_in_framework", "A11", "1.3"),
        # text that is no code at all -> row rejected, A11
        (6, 0, "Phần A", "code_unrecognised", "A11", ""),
        # 1.2 typed as an Excel number: still read as 1.2, warned -> A11
        (6, 0, 1.2, "code_stored_as_number", "A11", "1.2"),
    ],
)
def test_content_issue_reported_with_rule_cell_code(env, row_idx, col_idx, value, rule, cell, code):
    res = read(env, sheet_2025(body=_mod(row_idx, col_idx, value)))
    hit = only(res, rule)
    assert hit["cell"] == cell and hit["code"] == code and hit["source"] == "bang_diem_2025.xlsx"
    assert hit["sheet"] == "Bảng điểm" and hit["message"]
    severity = {"self_below_final": "info", "max_mismatch": "warning", "code_stored_as_number": "warning"}
    assert hit["severity"] == severity.get(rule, "error")


def test_score_above_max_kept_as_printed(env):
    res = read(env, sheet_2025(body=_mod(6, 5, 2.5)))
    s = res.scores.set_index("code")
    # kept as printed: 1.2 = 2,5, field 1 = 1,25 + 2 + 2,5 = 5,75
    assert s.at["1.2", "final_points"] == 2.5 and s.at["1", "final_points"] == 5.75


def test_missing_score_makes_parents_nan_and_missing_code_reported(env):
    res = read(env, sheet_2025(body=_mod(5, 5, None)))
    s = res.scores.set_index("code")
    assert np.isnan(s.at["1.1.2", "final_points"]) and np.isnan(s.at["1.1", "final_points"])
    assert np.isnan(s.at["1", "final_points"]) and s.at["2", "final_points"] == pytest.approx(3.4)
    body = baseline_body()
    del body[5]  # drop the 1.1.2 row
    res = read(env, sheet_2025(body=body))
    hit = only(res, "code_missing_from_sheet")
    assert hit["code"] == "1.1.2" and hit["severity"] == "error"
    s = res.scores.set_index("code")
    assert "1.1.2" not in s.index
    # a missing leaf is not a zero: 1.1 and field 1 have no final score, field 2 keeps 3,4
    assert np.isnan(s.at["1.1", "final_points"]) and np.isnan(s.at["1", "final_points"])
    assert s.at["1.1", "self_points"] == 1.5  # partial sums of the other columns stay (self 1,5 of 1.1.1)


def test_code_not_in_framework_row_rejected_in_ledger(env):
    res = read(env, sheet_2025(body=_mod(6, 0, "1.3")))
    led = res.ledger
    assert int(led.loc[led["status"] == "rejected", "rows"].sum()) == 1
    assert int(led["rows"].sum()) == res.meta["rows_read"]
    assert "1.3" not in set(res.scores["code"])
    assert "code_missing_from_sheet" in rules(res)  # 1.2 is then missing


def test_duplicate_code_second_row_rejected(env):
    body = baseline_body()
    body.insert(7, ["1.2", "Báo cáo (lặp)", 2, 2, 2, 2, None, None, None, None])  # sheet row 12
    res = read(env, sheet_2025(body=body))
    hit = only(res, "duplicate_code")
    assert hit["cell"] == "A12" and hit["code"] == "1.2"
    # the first row (1,5) is used, the duplicate (2) is not
    assert res.scores.set_index("code").at["1.2", "final_points"] == 1.5


def test_uncoded_row_with_final_score_flagged(env):
    body = baseline_body()
    body[3][5] = 0.5  # an option line (row 8) with a number in the final column
    res = read(env, sheet_2025(body=body))
    hit = only(res, "uncoded_row_with_score")
    assert hit["cell"] == "F8"
    assert res.scores.set_index("code").at["1", "final_points"] == 4.75  # still not counted


def test_title_year_mismatch_and_unit_parameter(env):
    rows = sheet_2025(title_rows=[["BẢNG ĐIỂM CHỈ SỐ CCHC NĂM 2024"], []])
    res = read(env, rows, unit_name="Sở Tài chính")
    assert only(res, "year_mismatch")["severity"] == "warning"
    assert (res.scores["unit_name"] == "Sở Tài chính").all()
    res = read(env, rows)
    assert "unit_name_missing" in rules(res)
