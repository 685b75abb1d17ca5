"""Workbooks beyond the reading limits are refused in seconds, before the Excel reader
allocates anything (parlib.ingest.bounds)."""

import time
import zipfile

import openpyxl
import pytest

from parlib.core.errors import InputFormatError
from parlib.ingest.readers import read_cells


def _book(path, cells):
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "Danh sách hồ sơ"
    for ref, v in cells.items():
        ws[ref] = v
    wb.save(path)
    return path


def _refused(path) -> str:
    started = time.perf_counter()
    with pytest.raises(InputFormatError) as e:
        read_cells(path)
    assert time.perf_counter() - started < 5  # seconds, not minutes (or a process abort)
    return str(e.value)


def test_value_in_the_last_cell_of_the_sheet_is_refused_not_a_crash(tmp_path):
    # one value in XFD1048576: calamine would try to allocate ~17 billion cells and abort
    p = _book(tmp_path / "ho_so_2026_Q1.xlsx", {"A1": "Số hồ sơ", "XFD1048576": "x"})
    assert p.stat().st_size < 10_000
    msg = _refused(p)
    assert "A1:XFD1048576" in msg and "ho_so_2026_Q1.xlsx" in msg and "xoá các ô thừa" in msg


def test_stray_value_far_below_the_data_is_refused(tmp_path):
    p = _book(tmp_path / "t.xlsx", {"A1": "Số hồ sơ", "A2": "1", "A1048576": "x"})
    msg = _refused(p)
    assert "1.048.576 dòng" in msg and "ô thừa" in msg


def test_compression_bomb_is_refused(tmp_path):
    # a 30 MB text in one cell packs to a few dozen KB: refused from the zip directory alone
    p = _book(tmp_path / "t.xlsx", {"A1": "Số hồ sơ"})
    with zipfile.ZipFile(p) as zf:
        parts = {i.filename: zf.read(i.filename) for i in zf.infolist()}
    big = (
        b'<?xml version="1.0"?><sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" count="1" uniqueCount="1"><si><t>'
        + b"a" * 30_000_000
        + b"</t></si></sst>"
    )
    parts["xl/sharedStrings.xml"] = big
    bomb = tmp_path / "bomb.xlsx"
    with zipfile.ZipFile(bomb, "w", zipfile.ZIP_DEFLATED) as zf:
        for n, data in parts.items():
            zf.writestr(n, data)
    assert bomb.stat().st_size < 200_000
    msg = _refused(bomb)
    assert "sharedStrings.xml" in msg and "giải nén" in msg


def test_ordinary_workbook_is_read(tmp_path):
    p = _book(tmp_path / "t.xlsx", {"A1": "Số hồ sơ", "B1": "Mã TTHC", "A500": "x"})
    cells, sheet = read_cells(p)
    assert cells.shape == (500, 2) and sheet == "Danh sách hồ sơ"
