"""Hand-worked checks of the shared low-level readers."""

import datetime as dt
import unicodedata

import numpy as np
import pandas as pd
import pytest
from openpyxl import Workbook

from parlib.core.cells import parse_datetimes, parse_numbers
from parlib.core.errors import InputFormatError, StructuralError
from parlib.core.text import fold, is_pii_header, normalise_text, scrub_text
from parlib.ingest.readers import find_header_row, flatten_header, map_columns, read_cells


def test_fold_keeps_d_and_matches_spellings():
    assert fold("Số điện thoại") == "so dien thoai"
    assert fold(" ĐIỂM  tối đa ") == "diem toi da"
    nfd = unicodedata.normalize("NFD", "Điểm tự đánh giá")
    assert normalise_text(nfd) == "Điểm tự đánh giá"


def test_parse_numbers_decimal_comma_and_bad_text():
    vals, bad = parse_numbers(pd.Series(["1,5", "0.25", 2, None, " ", "abc", "1.234,5"], dtype=object))
    assert vals.tolist()[:3] == [1.5, 0.25, 2.0]
    assert np.isnan(vals[3]) and np.isnan(vals[4]) and np.isnan(vals[5])
    assert vals[6] == 1234.5
    assert bad.tolist() == [False, False, False, False, False, True, False]


def test_parse_datetimes_mixed_styles():
    s = pd.Series(
        [
            dt.datetime(2026, 2, 13, 15, 30),
            "13/02/2026 15:30",
            "13/02/2026",
            46066.5,
            None,
            "31/02/2026",
            "01/01/1900",
        ],
        dtype=object,
    )
    out, bad = parse_datetimes(s)
    assert out[0] == pd.Timestamp("2026-02-13 15:30")
    assert out[1] == pd.Timestamp("2026-02-13 15:30")
    assert out[2] == pd.Timestamp("2026-02-13")
    # Excel serial 46066 = 2026-02-13 (days since 1899-12-30); .5 = noon
    assert out[3] == pd.Timestamp("2026-02-13 12:00")
    assert pd.isna(out[4]) and not bad[4]
    assert bad[5] and bad[6]


def test_two_row_header_flattening():
    cells = pd.DataFrame(
        [["Mã", "Điểm thẩm định", None, "Lý do"], [None, "Lần 1", "Cuối cùng", None]], dtype=object
    )
    assert flatten_header(cells, 0, 2) == [
        "Mã",
        "Điểm thẩm định / Lần 1",
        "Điểm thẩm định / Cuối cùng",
        "Lý do",
    ]


def test_find_header_and_missing_columns_named(tmp_path):
    cells = pd.DataFrame([["DANH SÁCH HỒ SƠ", None], [None, None], ["STT", " SỐ HỒ SƠ "]], dtype=object)
    assert find_header_row(cells, ["Số hồ sơ"]) == 2
    with pytest.raises(StructuralError) as e:
        map_columns(
            ["STT", "Số hồ sơ"],
            {"dossier_id": ["Số hồ sơ"], "due_at": ["Ngày hẹn trả"]},
            required=["dossier_id", "due_at"],
            file="a.xlsx",
            sheet="S",
            header_row=2,
        )
    assert "Ngày hẹn trả" in str(e.value) and "a.xlsx" in str(e.value)


def test_read_cells_errors(tmp_path):
    empty = tmp_path / "empty.xlsx"
    empty.write_bytes(b"")
    with pytest.raises(InputFormatError, match="rỗng"):
        read_cells(empty)
    fake = tmp_path / "fake.xlsx"
    fake.write_text("a,b\n1,2\n", encoding="utf-8")
    with pytest.raises(InputFormatError) as e:
        read_cells(fake)
    assert "fake.xlsx" in str(e.value) and "CSV" in str(e.value)
    ole = tmp_path / "locked.xlsx"
    ole.write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 100)
    with pytest.raises(InputFormatError, match="mật khẩu"):
        read_cells(ole)
    wb = Workbook()
    wb.active.title = "A"
    wb.active["A1"] = "x"
    p = tmp_path / "ok.xlsx"
    wb.save(p)
    grid, name = read_cells(p)
    assert name == "A" and grid.iloc[0, 0] == "x"
    with pytest.raises(StructuralError) as e:
        read_cells(p, "Bảng điểm")
    assert "Bảng điểm" in str(e.value) and "A" in str(e.value)


def test_pii_headers_and_scrub():
    for h in ["Họ tên người nộp", "SĐT", "So CCCD", "Địa chỉ liên hệ", "E-mail", "Số điện thoại"]:
        assert is_pii_header(h), h
    for h in ["Số hồ sơ", "Ngày tiếp nhận", "Đơn vị xử lý", "Mã TTHC"]:
        assert not is_pii_header(h), h
    assert scrub_text("Gọi 0912 345 678 hoặc a.b@x.vn") == "Gọi [đã ẩn] hoặc [đã ẩn]"
    assert scrub_text("CCCD 066123456789 xin trả lời") == "CCCD [đã ẩn] xin trả lời"
    assert scrub_text("Hồ sơ 15 ngày") == "Hồ sơ 15 ngày"


def test_huge_excel_serial_is_bad_not_an_overflow():
    """106752.5 days after 1899-12-30 is past the nanosecond range (found by the fuzz test):
    a serial outside the accepted years is a bad cell, never a crash."""
    import pandas as pd

    from parlib.core.cells import parse_datetimes

    out, bad = parse_datetimes(pd.Series([106752.5, 2958465.0, 46000.25], dtype=object))
    assert bad.tolist() == [True, True, False]
    assert out.isna().tolist() == [True, True, False]
    assert out.iloc[2] == pd.Timestamp("2025-12-09 06:00")  # 46000 = 09/12/2025, .25 = 06:00


@pytest.mark.parametrize(
    "text,expected",
    [
        # phones: +84 / 84 / 0, spaces, dots, dashes, slashes, parentheses, landlines with area code
        ("SĐT (+84) 913 770 411 nhé", "SĐT [đã ẩn] nhé"),
        ("bàn (0262) 3 770 413 gọi", "bàn [đã ẩn] gọi"),
        ("số 0913/770/415", "số [đã ẩn]"),
        ("0262.3770413 hoặc 84913770411", "[đã ẩn] hoặc [đã ẩn]"),
        # ID numbers with separators keep no digit behind; dotted groups only after an ID word
        ("CCCD 001 234 567 890, CMND 123.456.789", "CCCD [đã ẩn], CMND [đã ẩn]"),
        ("phí 150.000.000 đồng", "phí 150.000.000 đồng"),
        # e-mails, also with a space around @
        ("gửi a.b @ x.gov.vn", "gửi [đã ẩn]"),
        # street addresses: house numbers, streets, alleys, villages, wards
        ("Nhà ở 12/3 đường Lê Lợi, phường Tân Lợi", "Nhà ở [đã ẩn] [đã ẩn], [đã ẩn]"),
        ("thôn 3 xã Ea Tu, buôn Ko Sier, tổ dân phố 7", "[đã ẩn] [đã ẩn], [đã ẩn], [đã ẩn]"),
        ("số nhà 25 ngõ 4", "[đã ẩn] [đã ẩn]"),
        # and nothing else: dates, codes, amounts, ordinary words that are also address words
        ("ngày 01/02/2026 lúc 15:00, Quý III/2026", "ngày 01/02/2026 lúc 15:00, Quý III/2026"),
        ("hồ sơ 1.009972 số 12, tăng 12/3 so với", "hồ sơ 1.009972 số 12, tăng 12/3 so với"),
        (
            "tổ chức, cá nhân; đường dây nóng; UBND phường trả lời chậm",
            "tổ chức, cá nhân; đường dây nóng; UBND phường trả lời chậm",
        ),
        ("Mã hồ sơ 000.00.12.H05-260101-0001", "Mã hồ sơ 000.00.12.H05-260101-0001"),
    ],
)
def test_scrubber_covers_vietnamese_phones_ids_emails_and_addresses(text, expected):
    assert scrub_text(text) == expected


@pytest.mark.parametrize(
    "encoding,sep",
    [("utf-16", "\t"), ("utf-8-sig", ";"), ("cp1258", ";"), ("cp1258", ","), ("utf-8", ",")],
)
def test_csv_as_vietnamese_excel_saves_it(tmp_path, encoding, sep):
    """Excel on a Vietnamese Windows saves "Unicode Text" (UTF-16, tabs), CSV with a semicolon
    list separator, or Windows-1258: each is read into the same cells."""
    rows = [["Số hồ sơ", "Đơn vị xử lý", "Ghi chú"], ["H-001", "Phòng Quản lý nhà", "đã trả, đúng hạn"]]
    quote = lambda v: f'"{v}"' if sep in v or "," in v else v  # noqa: E731
    text = "\r\n".join(sep.join(quote(v) for v in r) for r in rows) + "\r\n"
    p = tmp_path / "ho_so_2026_Q1.csv"
    from _robustness import to_cp1258  # Windows-1258 keeps tone marks as combining characters

    p.write_bytes(to_cp1258(text) if encoding == "cp1258" else text.encode(encoding))
    cells, _ = read_cells(p)
    assert [[normalise_text(v) for v in r] for r in cells.values.tolist()] == rows  # readers NFC-normalise


def test_csv_in_another_encoding_says_how_to_resave(tmp_path):
    p = tmp_path / "x.csv"
    p.write_bytes(b"S\x81 h\x8d s\x8f\n1\n")  # bytes neither UTF-8 nor Windows-1258 can decode
    with pytest.raises(InputFormatError) as e:
        read_cells(p)
    assert "x.csv" in str(e.value) and "CSV UTF-8 (Comma delimited)" in str(e.value)


def test_duplicate_header_is_a_structural_error_naming_the_columns():
    from parlib.ingest.readers import map_columns

    headers = ["Số hồ sơ", "Trạng thái", "Ngày tiếp nhận", "Ghi chú", "Trạng thái"]
    spec = {
        "dossier_id": ["Số hồ sơ"],
        "status": ["Trạng thái", "Tình trạng"],
        "received_at": ["Ngày tiếp nhận"],
    }
    with pytest.raises(StructuralError) as e:
        map_columns(
            headers, spec, required=["dossier_id", "status"], file="ho_so.xlsx", sheet="Danh sách hồ sơ"
        )
    msg = str(e.value)
    assert "«Trạng thái» xuất hiện 2 lần (các cột B, E)" in msg and "ho_so.xlsx" in msg


def test_bidirectional_and_control_characters_are_removed_from_displayed_text():
    from parlib.core.xlsx import safe_frame
    from parlib.report.display import table

    hostile = "Phòng A\u202egnp.exe\u2066x\u0007"
    assert normalise_text(hostile) == "Phòng Agnp.exex"
    assert scrub_text(hostile) == "Phòng Agnp.exex"
    html = table(pd.DataFrame({"Phòng": [hostile]}))
    assert (
        "\u202e" not in html and "\u2066" not in html and "\u0007" not in html and "Phòng Agnp.exex" in html
    )
    assert safe_frame(pd.DataFrame({"a": [hostile]}))["a"].iloc[0] == "Phòng Agnp.exex"
