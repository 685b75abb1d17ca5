"""The direct .xlsx writer (parlib.core.xlsx_book) behind write_excel_tables: every cell as the
straightforward openpyxl writer (kept here as the reference) writes it, valid XML, reproducible
bytes, Excel's rules for sheet names and dates."""

from __future__ import annotations

import math
import unicodedata
import zipfile
from datetime import date, datetime
from xml.etree import ElementTree

import numpy as np
import pandas as pd
import pytest
from openpyxl import Workbook, load_workbook
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter
from python_calamine import CalamineWorkbook

from parlib.core.xlsx import neutralise_formula, table_cells, write_excel_tables
from parlib.core.xlsx_book import XlsxBook, column_letter, excel_serial


def reference_workbook(sheets: dict, target, notes=None):
    """write_excel_tables's cells (core.xlsx.table_cells) written with openpyxl's cells, as before
    the direct writer: the reference for the writer itself."""
    wb = Workbook()
    wb.remove(wb.active)
    if notes:
        ws = wb.create_sheet("Ghi chú")
        for i, line in enumerate(notes, start=1):
            ws.cell(row=i, column=1, value=neutralise_formula(line))
        ws.column_dimensions["A"].width = 120
    for name, df in sheets.items():
        ws = wb.create_sheet(name[:31])
        header, rows, widths = table_cells(df)
        for j, text in enumerate(header, start=1):
            ws.cell(row=1, column=j, value=text).font = Font(bold=True)
        for i, (values, formats) in enumerate(rows, start=2):
            for j, (v, fmt) in enumerate(zip(values, formats), start=1):
                if v is None:
                    continue
                cell = ws.cell(row=i, column=j, value=v)
                if fmt:
                    cell.number_format = fmt
        for j, width in enumerate(widths, start=1):
            ws.column_dimensions[get_column_letter(j)].width = width
        ws.freeze_panes = "A2"
    wb.save(target)
    return target


def mixed_frame(n: int, seed: int) -> pd.DataFrame:
    """Every kind of value a report table holds, shuffled."""
    rng = np.random.default_rng(seed)
    texts = np.array(
        ["Sở Xây dựng", "1.1.2", "98,3 %", "7,95", "−0,50", "1.234", "29/01/2027", "31/02/2027",
         "–", "", "=HYPERLINK(\"x\")", "+1,2", "a < b & c > \"d\"", "tab\there", "0,75 điểm", "Quý II – Quý III"],
        dtype=object,
    )  # fmt: skip
    stamps = pd.to_datetime("2026-01-01") + pd.to_timedelta(rng.integers(0, 400 * 24, n), unit="h")
    floats = rng.normal(50, 40, n)
    floats[rng.random(n) < 0.1] = np.nan
    return pd.DataFrame(
        {
            "Mã": rng.choice(texts, n),
            "Nội dung": rng.choice(texts, n),
            "Số": rng.integers(-20000, 40000, n),
            "Tỷ lệ": floats,
            "Có": rng.random(n) < 0.5,
            "Ngày": pd.Series(stamps).where(rng.random(n) < 0.8),
            "Đếm": pd.Series(rng.integers(0, 30000, n), dtype="Int64").where(rng.random(n) < 0.9),
            "Văn bản": pd.Series(rng.choice(texts, n), dtype="str"),
            "Ngày (Python)": [date(2026, 1, 1 + i % 28) if i % 3 else None for i in range(n)],
        }
    )


def cells(path) -> dict:
    wb = load_workbook(path)
    out = {}
    for ws in wb.worksheets:
        out[(ws.title, "freeze")] = ws.freeze_panes
        out[(ws.title, "widths")] = {k: d.width for k, d in ws.column_dimensions.items() if d.width}
        for row in ws.iter_rows():
            for c in row:
                if c.value is not None:
                    out[(ws.title, c.coordinate)] = (c.value, c.number_format, bool(c.font.b), c.data_type)
    return out


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_every_cell_as_the_openpyxl_reference_writes_it(tmp_path, seed):
    sheets = {
        "Bảng": mixed_frame(300, seed),
        "Bảng có tên rất dài hơn ba mươi mốt ký tự": mixed_frame(40, seed + 9),
    }
    notes = ["Dữ liệu minh họa", "=cmd|' /C calc'!A0"]
    ours = cells(write_excel_tables(sheets, tmp_path / "ours.xlsx", notes=notes))
    ref = cells(reference_workbook(sheets, tmp_path / "ref.xlsx", notes=notes))
    assert ours.keys() == ref.keys()
    for key, want in ref.items():
        got = ours[key]
        if isinstance(want, tuple) and isinstance(want[0], float):  # openpyxl writes 16 digits, we 17
            assert math.isclose(got[0], want[0], rel_tol=1e-15) and got[1:] == want[1:], key
        else:
            assert got == want, key
    assert ours[("Ghi chú", "A2")][0] == "'=cmd|' /C calc'!A0"  # a formula stays text


def test_the_product_reader_reads_it_and_every_part_is_xml(tmp_path):
    p = write_excel_tables({"Bảng": mixed_frame(50, 3)}, tmp_path / "x.xlsx")
    with zipfile.ZipFile(p) as z:
        for name in z.namelist():
            ElementTree.fromstring(z.read(name))  # raises on malformed XML
    rows = CalamineWorkbook.from_path(str(p)).get_sheet_by_name("Bảng").to_python()
    assert rows[0][:3] == ["Mã", "Nội dung", "Số"] and len(rows) == 51


def test_bytes_are_reproducible(tmp_path):
    sheets = {"Bảng": mixed_frame(80, 4)}
    a = write_excel_tables(sheets, tmp_path / "a.xlsx").read_bytes()
    b = write_excel_tables(sheets, tmp_path / "b.xlsx").read_bytes()
    assert a == b


def test_characters_xml_forbids_are_dropped_and_markup_is_text(tmp_path):
    book = XlsxBook()
    ws = book.add_sheet("T")
    book.add_row(ws, ["a\x00b\x07c\ud800d", "<b>&amp;</b>", "x\ny"])
    p = book.save(tmp_path / "t.xlsx")
    got = [c.value for c in load_workbook(p)["T"][1]]
    assert got == ["abcd", "<b>&amp;</b>", "x\ny"]


def test_sheet_names_follow_excel_rules():
    book = XlsxBook()
    assert book.add_sheet("x" * 40).name == "x" * 31
    assert book.add_sheet("x" * 35).name == "x" * 30 + "1"  # same first 31 characters
    assert book.add_sheet("Bảng").name == "Bảng" and book.add_sheet("BẢNG").name == "BẢNG1"
    assert book.add_sheet("y" * 30 + "'z").name == "y" * 30  # an apostrophe the cut leaves at the end goes
    for bad in ("Quý 3/2026", "", "  ", "'Bảng'", "History"):
        with pytest.raises(ValueError, match="Tên trang tính"):
            book.add_sheet(bad)
    decomposed = unicodedata.normalize("NFD", "Bảng có tên rất dài hơn ba mươi mốt ký tự")
    assert book.add_sheet(decomposed).name == "Bảng có tên rất dài hơn ba mươi"  # 31 letters, not marks


def test_serial_days_and_values_excel_cannot_hold(tmp_path):
    # Excel's serial days: 1 January 1900 is day 1, 28 February day 59, then Excel's false
    # 29 February 1900 is day 60, so 1 March 1900 is day 61; 1 January 2025 is 45658
    assert excel_serial(date(1900, 1, 1)) == 1 and excel_serial(date(1900, 2, 28)) == 59
    assert excel_serial(date(1900, 3, 1)) == 61 and excel_serial(date(1899, 12, 31)) is None
    assert excel_serial(datetime(2025, 1, 1)) == 45658
    assert excel_serial(datetime(2026, 1, 1, 18)) == 46023.75
    assert [column_letter(j) for j in (1, 26, 27, 52, 703)] == ["A", "Z", "AA", "AZ", "AAA"]
    book = XlsxBook()
    ws = book.add_sheet("T")
    book.add_row(ws, [float("inf"), float("nan"), 1.5, None, True], ["0.0", None, "0.0", None, None])
    book.add_row(ws, [2**60, -0.0, np.float64(0.25), date(1899, 12, 31), date(1900, 1, 1)])
    book.add_row(ws, ["_x0041_ giữ nguyên", "a\r\nb", "x" * 40000])
    with pytest.raises(TypeError, match="cannot write"):
        book.add_row(ws, [object()])
    with pytest.raises(ValueError, match="giới hạn của Excel"):
        book.add_row(ws, [1] * 16385)
    sheet = load_workbook(book.save(tmp_path / "v.xlsx"))["T"]
    assert [c.value for c in sheet[1]] == [None, None, 1.5, None, True] and sheet[1][2].number_format == "0.0"
    assert [c.value for c in sheet[2]] == [2.0**60, 0, 0.25, "31/12/1899", datetime(1900, 1, 1)]
    assert sheet[3][0].value == "_x0041_ giữ nguyên" and len(sheet[3][2].value) == 32767
    # the product's reader (and Excel) decode the escaped carriage return; openpyxl does not
    rows = CalamineWorkbook.from_path(str(tmp_path / "v.xlsx")).get_sheet_by_name("T").to_python()
    assert rows[2][:2] == ["_x0041_ giữ nguyên", "a\r\nb"]


def test_durations_times_and_decimals_are_numbers_with_excel_formats(tmp_path):
    from datetime import time, timedelta
    from decimal import Decimal

    book = XlsxBook()
    ws = book.add_sheet("T")
    book.add_row(ws, [timedelta(hours=36), pd.Timedelta(minutes=90), time(6, 0), Decimal("1.25")])
    row = load_workbook(book.save(tmp_path / "d.xlsx"))["T"][1]
    assert [c.number_format for c in row[:3]] == ["[hh]:mm:ss", "[hh]:mm:ss", "h:mm:ss"]
    raw = CalamineWorkbook.from_path(str(tmp_path / "d.xlsx")).get_sheet_by_name("T").to_python()
    assert raw[0][3] == 1.25 and row[3].value == 1.25


def test_a_dropped_character_does_not_make_an_escape(tmp_path):
    book = XlsxBook()
    ws = book.add_sheet("T")
    book.add_row(ws, ["_x00\x0141_"])  # without \x01 it reads "_x0041_", which Excel would decode
    book.save(tmp_path / "e.xlsx")
    rows = CalamineWorkbook.from_path(str(tmp_path / "e.xlsx")).get_sheet_by_name("T").to_python()
    assert rows == [["_x0041_"]]


def test_a_table_longer_than_an_excel_sheet_says_what_was_left_out(tmp_path, monkeypatch):
    from parlib.core import xlsx_book

    monkeypatch.setattr(xlsx_book, "MAX_ROWS", 5)
    df = pd.DataFrame({"Dòng": list(range(1, 11))})
    ws = load_workbook(write_excel_tables({"Vấn đề": df}, tmp_path / "c.xlsx"))["Vấn đề"]
    values = [c.value for c in ws["A"]]
    assert values[:4] == ["Dòng", 1, 2, 3] and len(values) == 5
    assert values[4] == "… còn 7 dòng không ghi được: Excel giới hạn 5 dòng một trang tính."
