"""The CSV fast path (Arrow's reader, parlib.ingest.readers._arrow_csv_cells) gives the same cell
grid as pandas' reader (the reference: the path taken before, and still taken whenever Arrow does
not read the file as one rectangle), and so the same dossiers, issues (row numbers, cells,
Vietnamese messages) and ledger, on messy input."""

import csv
import io
from datetime import datetime

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from parlib.core.errors import ParlibError
from parlib.core.paths import Paths
from parlib.core.text import normalise_text
from parlib.ingest import readers
from parlib.ingest.calendar import load_calendar
from parlib.ingest.dossier_columns import _map_unique, load_procedures
from parlib.ingest.dossier_parse import _text
from parlib.ingest.dossiers import read_dossier_exports


@pytest.fixture
def pandas_only(monkeypatch):
    def use():
        monkeypatch.setattr(readers, "_arrow_csv_cells", lambda *a, **k: None)

    return use


def _grids(data: bytes, pandas_only):
    fast = readers._read_csv_cells(data, "t.csv")
    pandas_only()
    return fast, readers._read_csv_cells(data, "t.csv")


MESSY = [
    # decimal commas quoted in a comma file, blanks, a row of separators, an empty line
    'Số hồ sơ,Số lần bổ sung,Ngày tiếp nhận\nA1,"1,5",01/02/2026 08:00\n,,\n\nA2,,31/02/2026\n',
    # semicolons (Vietnamese Excel) with unquoted decimal commas, CRLF, no final newline
    "Số hồ sơ;Số lần bổ sung;Ngày tiếp nhận\r\nA1;1,5;01/02/2026\r\nA2;2;abc",
    # quotes: doubled, a newline inside a field, a quote inside an unquoted field, spaces kept
    'a,b,c\n"x ""y""","line1\nline2", ab"c\n  lead ,trail  ,"  "\n',
    # tabs (Excel "Unicode Text") and empty trailing cells
    "a\tb\tc\n1\t\t\n\t\t3\n",
    # two empty lines in a row, title row padded to the header's width
    "BÁO CÁO,,\n,,\n\n\nSố hồ sơ,Mã TTHC,Ngày tiếp nhận\nH1,1.000001,05/01/2026 09:00\n",
]
FALLBACK = [
    "a,b,c\n1,2\n3,4,5\n",  # a short row (pandas pads it)
    "a,b,c\n1,2,3\n   \n4,5,6\n",  # a line of spaces
    "a,b\n1,2,3\n",  # a long row (pandas' own error)
    "only\none\ncolumn\n",  # one column
]


@pytest.mark.parametrize("text", MESSY + FALLBACK)
@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "cp1258", "utf-16"])
def test_same_grid_or_same_error(text, encoding, pandas_only):
    if encoding == "utf-16":
        text = text.replace(",", "\t")
    data = text.encode(encoding, errors="replace")  # cp1258 lacks some precomposed letters
    try:
        fast = readers._read_csv_cells(data, "t.csv")
    except ParlibError as exc:
        pandas_only()
        with pytest.raises(type(exc)) as again:
            readers._read_csv_cells(data, "t.csv")
        assert str(again.value) == str(exc) and again.value.problems == exc.problems
        return
    pandas_only()
    pd.testing.assert_frame_equal(fast, readers._read_csv_cells(data, "t.csv"))


def test_messy_files_take_the_fast_path():
    for text in MESSY:
        assert readers._arrow_csv_cells(text, text.encode(), "utf-8-sig") is not None
    for text in FALLBACK:
        assert readers._arrow_csv_cells(text, text.encode(), "utf-8-sig") is None


def _messy_export(tmp_path):
    """The sample's 2026-Q1 export as a CSV (dates as dd/mm/yyyy HH:MM text) with messy cells:
    a decimal comma and a negative count, impossible and unreadable dates, a blank dossier
    number, a row of separators, an empty line, a quoted cell with a newline."""
    cells, _ = readers.read_cells(Paths().raw / "dossiers" / "ho_so_2026_Q1.xlsx", "Danh sách hồ sơ")
    rows = [[c.strftime("%d/%m/%Y %H:%M") if isinstance(c, datetime) else c for c in r] for r in cells.values]
    header = next(i for i, r in enumerate(rows) if "Số hồ sơ" in r)
    col = {name: rows[header].index(name) for name in rows[header] if name}
    body = header + 1
    rows[body][col["Số lần yêu cầu bổ sung"]] = "1,5"
    rows[body + 1][col["Số lần yêu cầu bổ sung"]] = "-2"
    rows[body + 2][col["Ngày tiếp nhận"]] = "31/02/2026 08:00"
    rows[body + 3][col["Ngày tiếp nhận"]] = "hôm qua"
    rows[body + 4][col["Số hồ sơ"]] = None
    rows[body + 5] = [None] * len(rows[body + 5])
    rows[body + 6][col["Số hồ sơ"]] = 'H "một"\ndòng hai'
    # cells a hand-edited export has: spaces only, a non-breaking space, flags and channels
    # typed differently, a count with a thousands dot, dates in other styles
    rows[body + 7][col["Đơn vị xử lý"]] = "   "
    rows[body + 8][col["Đơn vị xử lý"]] = "Phòng\u00a0Quản lý  xây dựng "
    rows[body + 9][col["Số hóa hồ sơ"]] = " có "
    rows[body + 10][col["Số hóa hồ sơ"]] = "abc"
    rows[body + 11][col["Kênh nộp"]] = "Trực tuyến"
    rows[body + 12][col["Kênh nộp"]] = "4"
    rows[body + 13][col["Số lần yêu cầu bổ sung"]] = "1.000"
    rows[body + 14][col["Ngày tiếp nhận"]] = "2026-01-05 08:00"
    rows[body + 15][col["Ngày tiếp nhận"]] = " 05/01/2026  08:00 "
    # a title row with blank cells above the header, and a column without a header
    rows = [["BÁO CÁO HỒ SƠ"] + [None] * (len(rows[0]) - 1), *rows]
    header, body = header + 1, body + 1
    rows = [r + ["ghi chú" if i == body + 2 else None] for i, r in enumerate(rows)]
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    for i, r in enumerate(rows):
        w.writerow(["" if v is None else v for v in r])
        if i == body + 10:
            buf.write("\n")
    path = tmp_path / "ho_so_2026_Q1.csv"
    path.write_text(buf.getvalue(), encoding="utf-8-sig")
    return path


def test_dossier_reader_identical_on_a_messy_export(tmp_path, pandas_only):
    paths = Paths()
    procs = load_procedures(paths.config / "procedures.csv")
    cal = load_calendar(paths)
    path = _messy_export(tmp_path)
    assert readers._arrow_csv_cells(path.read_text("utf-8-sig"), path.read_bytes(), "utf-8-sig") is not None
    fast = read_dossier_exports([path], procs, cal)
    pandas_only()
    ref = read_dossier_exports([path], procs, cal)
    for a, b in ((fast.dossiers, ref.dossiers), (fast.issues, ref.issues), (fast.ledger, ref.ledger)):
        pd.testing.assert_frame_equal(a, b, check_exact=True)
    rejected = ref.issues.loc[ref.issues["rule"] == "row_rejected"]
    assert len(rejected) >= 4 and rejected["row"].notna().all()
    assert rejected["message"].str.startswith("Dòng bị loại").all()


_CELLS = st.one_of(
    st.none(),
    st.integers(-5, 10**6),
    st.floats(allow_nan=True, allow_infinity=False),
    st.text(alphabet=st.sampled_from("aA1 -./~!\t\n\u00a0\u200b\x7fốSốe\u0301"), max_size=8),
    st.from_regex(r"[!-~]{1,6}( [!-~]{1,4}){0,2}", fullmatch=True),
)


@settings(max_examples=200, deadline=None)
@given(st.lists(_CELLS, max_size=30))
def test_text_fast_path_is_normalise_text(cells):
    """dossier_parse._text keeps clean ASCII texts as they are: the same column as normalise_text
    applied to every distinct value (the path before)."""
    s = pd.Series(cells, dtype=object)
    ref = _map_unique(s, normalise_text).astype("str")
    pd.testing.assert_series_equal(_text(s), ref.where(ref.str.len() > 0))


_TEXTS = st.one_of(
    st.none(),
    st.text(alphabet=st.sampled_from("aA1 -./~!\t\n\u00a0\u200b\x7fốSốe\u0301"), max_size=8),
    st.from_regex(r"[!-~]{1,6}( [!-~]{1,4}){0,2}", fullmatch=True),
    st.from_regex(
        r"[0-3][0-9]/[01][0-9]/20[0-9][0-9]( [0-2][0-9]:[0-5][0-9](:[0-5][0-9])?)?", fullmatch=True
    ),
    st.from_regex(r" ?20[0-9][0-9]-[01][0-9]-[0-3][0-9]( [0-2][0-9]:[0-5][0-9])? ?", fullmatch=True),
)


@settings(max_examples=200, deadline=None)
@given(st.lists(_TEXTS, max_size=30))
def test_arrow_text_cells_parse_as_object_cells(cells):
    """A CSV read by Arrow keeps its cells as Arrow text (blank = missing): the text, code,
    date, flag and channel parsers give for them what they give for the same cells as Python
    objects (the grid of an Excel file, and of a CSV before)."""
    from parlib.ingest.dossier_columns import _bools
    from parlib.ingest.dossier_parse import _codes, _dates

    objects = pd.Series([None if c == "" else c for c in cells], dtype=object)
    arrow = pd.Series(cells, dtype="string[pyarrow]").replace("", None)
    for parse in (_text, _codes):
        pd.testing.assert_series_equal(parse(arrow), parse(objects))
    for got, want in zip(_dates(arrow), _dates(objects)):
        pd.testing.assert_series_equal(got, want)
    for got, want in zip(_bools(arrow), _bools(objects)):
        pd.testing.assert_series_equal(got, want)
    pd.testing.assert_series_equal(_map_unique(arrow, normalise_text), _map_unique(objects, normalise_text))


def test_a_lone_carriage_return_in_the_first_line_goes_to_the_pandas_reader():
    """Found by the report-windows property test: b'\\x00\\r\\x00' made the Arrow path's header
    sniffing raise csv.Error; the fast path now steps aside and the usual reader decides."""
    from parlib.ingest.readers import _arrow_csv_cells

    assert _arrow_csv_cells("\x00\r\x00", b"\x00\r\x00", "utf-8-sig") is None
