"""Excel cells: numbers are numbers (issue 15)."""

from __future__ import annotations

from datetime import datetime

import pandas as pd
import pytest
from openpyxl import load_workbook

from parlib.core.xlsx import excel_value, write_excel_tables


@pytest.mark.parametrize(
    "text,value,fmt",
    [
        ("1.234", 1234, "#,##0"),
        ("7,95", 7.95, "#,##0.00"),
        ("−0,50", -0.50, "#,##0.00"),
        ("-40,8", -40.8, "#,##0.0"),
        ("+1,2", 1.2, "#,##0.0"),
        ("88,3 %", 0.883, "0.0%"),
        ("100 %", 1.0, "0%"),
        ("0,75 điểm", 0.75, "#,##0.00"),
        ("15.234.500", 15234500, "#,##0"),
    ],
)
def test_vietnamese_numbers_become_numbers(text, value, fmt):
    v, f = excel_value(text)
    assert v == pytest.approx(value) and f == fmt


def test_text_codes_and_dates():
    assert excel_value("1.1.2") == ("1.1.2", None)  # a criterion code is not a number
    assert excel_value("1.009972") == ("1.009972", None)  # nor a procedure code
    assert excel_value("12", "Mã") == ("12", None)  # code columns stay text
    assert excel_value("88,1 % (2.167/2.461)") == ("88,1 % (2.167/2.461)", None)
    assert excel_value("29/01/2027") == (datetime(2027, 1, 29), "dd/mm/yyyy")
    assert excel_value("31/02/2027") == ("31/02/2027", None)


def test_workbook_cells_hold_numbers_and_formats(tmp_path):
    df = pd.DataFrame(
        {
            "Tiêu chí": ["3.3.2", "3.3.3"],
            "Điểm": ["-0,50", "1,25"],
            "Tỷ lệ": ["98,3 %", "60,7 %"],
            "Hồ sơ": [15234, 12],
            "Hạn": ["29/01/2027", "–"],
        }
    )
    p = write_excel_tables({"Bảng": df}, tmp_path / "t.xlsx")
    ws = load_workbook(p)["Bảng"]
    assert ws["B2"].value == -0.5 and ws["B2"].number_format == "#,##0.00"  # not the text "'-0,50"
    assert ws["C3"].value == pytest.approx(0.607) and ws["C3"].number_format == "0.0%"
    assert ws["D2"].value == 15234 and ws["D2"].number_format == "#,##0"
    assert ws["E2"].value == datetime(2027, 1, 29) and ws["E3"].value is None  # "–": missing
    assert ws["A2"].value == "3.3.2" and ws.freeze_panes == "A2" and ws["A1"].font.bold


def test_missing_mark_is_an_empty_cell_never_text(tmp_path):
    """The display writes a missing number as "–" (vnformat.MISSING); in Excel it is an empty
    cell in every column, numbers around it stay numbers, text that merely holds a dash stays."""
    assert excel_value("–") == (None, None) and excel_value(" – ", "Mã") == (None, None)
    df = pd.DataFrame(
        {
            "Mã": ["3.3.3", "–"],
            "Điểm giải thích": ["0,32", "–"],
            "Trước": ["–", "60,7 %"],
            "Sau": [0.5, float("nan")],
            "Ghi chú": ["Quý II – Quý III", "–"],
        }
    )
    ws = load_workbook(write_excel_tables({"Nguyên nhân": df}, tmp_path / "m.xlsx"))["Nguyên nhân"]
    assert [ws.cell(3, j).value for j in range(1, 6)] == [None, None, 0.607, None, None]
    assert [ws.cell(2, j).value for j in range(1, 6)] == ["3.3.3", 0.32, None, 0.5, "Quý II – Quý III"]
    texts = [c.value for row in ws.iter_rows(min_row=2) for c in row if isinstance(c.value, str)]
    assert "–" not in texts


def test_a_percentage_is_its_decimal_text_read_as_hundredths(tmp_path):
    """23,6 % is the double nearest 0.236, not 23.6 / 100 (0.23600000000000002): the cell holds
    what the report shows, to the last digit."""
    for text, want in [("23,6 %", 0.236), ("2,7 %", 0.027), ("21,1 %", 0.211), ("−0,5 %", -0.005)]:
        assert excel_value(text)[0] == want  # exact, not approx
    ws = load_workbook(write_excel_tables({"B": pd.DataFrame({"Tỷ lệ": ["23,6 %"]})}, tmp_path / "p.xlsx"))[
        "B"
    ]
    assert ws["A2"].value == 0.236
