"""The reporting windows of the periodic CCHC report (raw/config/report_windows.csv) and the
unit file (raw/config/unit.csv): the shipped defaults, every reader error, the latest complete
window."""

import csv
import io
from pathlib import Path

import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from parlib.core.catalog import recognise_name
from parlib.core.errors import ConfigError, ParlibError, StructuralError
from parlib.ingest.unit import read_unit_file
from parlib.ingest.validate import check_file
from parlib.ingest.windows import find_window, load_report_windows, parse_day
from parlib.model.windows import complete_windows, next_window

PROJECT = Path(__file__).resolve().parents[2]
SHIPPED = PROJECT / "data" / "raw" / "config" / "report_windows.csv"
HEADER = "year,id,label,start,end,deadline,note\n"
T = pd.Timestamp


def write(tmp_path, body: str, name="report_windows.csv") -> Path:
    p = tmp_path / name
    p.write_text(body, encoding="utf-8")
    return p


def test_shipped_windows_are_the_official_ones():
    # domain brief §8: Q1 = 15/12 of the previous year – 14/3, six months = 15/12 – 14/6,
    # Q3 = 15/6 – 14/9, year = 15/12 – 14/12, sent by the 20th of the last month
    ws = {(w.year, w.id): w for w in load_report_windows(SHIPPED)}
    assert set(ws) == {(y, i) for y in (2025, 2026) for i in ("q1", "h1", "q3", "year")}
    expected = {
        "q1": ("2025-12-15", "2026-03-14", "2026-03-20"),
        "h1": ("2025-12-15", "2026-06-14", "2026-06-20"),
        "q3": ("2026-06-15", "2026-09-14", "2026-09-20"),
        "year": ("2025-12-15", "2026-12-14", "2026-12-20"),
    }
    for wid, (start, end, deadline) in expected.items():
        w = ws[(2026, wid)]
        assert (w.start, w.end, w.deadline) == (T(start), T(end), T(deadline)), wid
    assert ws[(2026, "q3")].label == "quý III năm 2026"
    assert ws[(2025, "q1")].start == T("2024-12-15")


def test_dates_in_both_spellings_and_blank_deadline(tmp_path):
    p = write(tmp_path, HEADER + "2026,Q1,quý I năm 2026,2025-12-15,14/3/2026,,\n")
    (w,) = load_report_windows(p)
    assert (w.id, w.start, w.end, w.deadline) == ("q1", T("2025-12-15"), T("2026-03-14"), None)
    assert parse_day("31/02/2026") is None and parse_day("2026-02-28") == T("2026-02-28")


@pytest.mark.parametrize(
    "row, where, words",
    [
        ("2026,q1,quý I,15/12/2025,31/02/2026,20/03/2026,", "dòng 2, cột «end»", "không phải là ngày hợp lệ"),
        ("2026,q1,quý I,15/03/2026,14/03/2026,20/03/2026,", "dòng 2, cột «start»", "sau ngày kết thúc"),
        ("2026,q1,quý I,15/12/2024,14/12/2025,20/12/2025,", "dòng 2, cột «end»", "không thuộc năm 2026"),
        (
            "2026,q1,quý I,15/12/2025,14/03/2026,10/03/2026,",
            "dòng 2, cột «deadline»",
            "trước ngày chốt số liệu",
        ),
        ("hai nghìn,q1,quý I,15/12/2025,14/03/2026,,", "dòng 2, cột «year»", "không phải là số năm"),
        ("2026,quý 1,quý I,15/12/2025,14/03/2026,,", "dòng 2, cột «id»", "mã kỳ «quý 1»"),
        ("2026,q1,,15/12/2025,14/03/2026,,", "dòng 2, cột «label»", "thiếu tên kỳ báo cáo"),
    ],
)
def test_bad_rows_are_named(tmp_path, row, where, words):
    p = write(tmp_path, HEADER + row + "\n")
    with pytest.raises(StructuralError) as e:
        load_report_windows(p)
    msg = str(e.value)
    assert "report_windows.csv" in msg and where in msg and words in msg


def test_every_problem_in_one_message_and_duplicates(tmp_path):
    body = HEADER + (
        "2026,q1,quý I,15/12/2025,14/03/2026,20/03/2026,\n"
        "2026,Q1,quý I lần hai,15/12/2025,14/03/2026,20/03/2026,\n"
        "2026,q3,quý III,15/06/2026,xx,20/09/2026,\n"
    )
    with pytest.raises(StructuralError) as e:
        load_report_windows(write(tmp_path, body))
    msg = str(e.value)
    assert "dòng 3, cột «id»: kỳ «Q1» của năm 2026 đã có ở dòng 2" in msg
    assert "dòng 4, cột «end»" in msg


def test_missing_columns_and_empty_file(tmp_path):
    with pytest.raises(StructuralError) as e:
        load_report_windows(write(tmp_path, "year,id,label,start\n2026,q1,quý I,15/12/2025\n"))
    assert "cột «end»" in str(e.value) and "cột «deadline»" in str(e.value)
    with pytest.raises(StructuralError, match="không có kỳ báo cáo nào"):
        load_report_windows(write(tmp_path, HEADER))


def test_find_window_lists_what_exists():
    ws = load_report_windows(SHIPPED)
    assert find_window(ws, 2026, "Q3").end == T("2026-09-14")
    with pytest.raises(ConfigError) as e:
        find_window(ws, 2026, "q2")
    assert "q1 (quý I năm 2026)" in str(e.value) and "year (năm 2026)" in str(e.value)
    with pytest.raises(ConfigError, match="chưa có kỳ nào của năm 2030"):
        find_window(ws, 2030, "q1")


@pytest.mark.parametrize(
    "data_end, latest",
    [
        ("2026-09-30", (2026, "q3")),  # the sample: exports up to 2026-Q3
        ("2026-09-13", (2026, "h1")),  # the Q3 window needs data up to 14/9
        ("2026-03-14", (2026, "q1")),
        ("2026-03-13", (2025, "year")),  # the previous year's annual window ends 14/12/2025
    ],
)
def test_latest_complete_window(data_end, latest):
    ws = load_report_windows(SHIPPED)
    w = complete_windows(ws, data_end)[-1]
    assert (w.year, w.id) == latest


def test_a_window_starting_before_the_data_is_not_complete():
    ws = load_report_windows(SHIPPED)
    # exports from 2025-Q1: the 2025 windows starting 15/12/2024 are not covered; quý III năm 2025 is
    done = complete_windows(ws, "2025-12-31", "2025-01-01")
    assert [w.key for w in done] == ["2025-q3"]
    assert complete_windows(ws, "2026-09-30", "2025-01-01")[-1].key == "2026-q3"


def test_next_window_crosses_the_year():
    ws = load_report_windows(SHIPPED)
    assert next_window(ws, find_window(ws, 2025, "year")).key == "2026-q1"
    assert next_window(ws, find_window(ws, 2026, "q3")).key == "2026-year"
    assert next_window(ws, find_window(ws, 2026, "year")) is None


def test_unit_file(tmp_path):
    p = write(
        tmp_path,
        "key,value,note\nname,Sở Y tế,\nparent_agency,UBND tỉnh Gia Lai,\nrecipients,UBND tỉnh; Sở Nội vụ ;,\n",
        "unit.csv",
    )
    u = read_unit_file(p)
    assert (u.name, u.parent_agency, u.recipients) == (
        "Sở Y tế",
        "UBND tỉnh Gia Lai",
        ("UBND tỉnh", "Sở Nội vụ"),
    )
    bad = write(tmp_path, "key,value\nname,A\nname,B\nphone,0900\n", "unit.csv")
    with pytest.raises(StructuralError) as e:
        read_unit_file(bad)
    msg = str(e.value)
    assert "dòng 3" in msg and "khóa «name» lặp lại (đã có ở dòng 2)" in msg
    assert "dòng 4" in msg and "khóa «phone» không xác định" in msg


def test_config_files_are_in_the_catalog_and_validated(tmp_path):
    kind, groups, is_copy = recognise_name("Report_Windows.csv")
    assert (kind.kind, groups, is_copy) == ("report_windows", {}, False)
    assert recognise_name("unit.csv")[0].kind == "unit"
    from parlib.core.paths import Paths

    paths = Paths.from_args(tmp_path, tmp_path / "out")
    label, issues, ledger = check_file(SHIPPED, paths)
    assert label == "Kỳ báo cáo định kỳ công tác CCHC" and issues.empty
    assert int(ledger["rows"].sum()) == 8
    bad = write(tmp_path, HEADER + "2026,q1,quý I,15/12/2025,xx,,\n")
    with pytest.raises(StructuralError, match="cột «end»"):
        check_file(bad, paths)


_CELL = st.one_of(
    st.text(max_size=12),
    st.sampled_from(
        ["2026", "q1", "15/12/2025", "14/03/2026", "31/02/2026", "1e308", "", "=1+1", "2026-13-40"]
    ),
)


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(rows=st.lists(st.lists(_CELL, min_size=0, max_size=8), max_size=5), raw=st.binary(max_size=40))
def test_any_content_gives_windows_or_a_vietnamese_error(tmp_path, rows, raw):
    """Whatever the file holds: a list of windows or a ParlibError, never another exception."""
    buf = io.StringIO()
    csv.writer(buf).writerows([["year", "id", "label", "start", "end", "deadline"], *rows])
    for i, content in enumerate((buf.getvalue().encode("utf-8"), raw)):
        p = tmp_path / f"w{i}.csv"
        p.write_bytes(content)
        for reader in (load_report_windows, read_unit_file):
            try:
                out = reader(p)
            except ParlibError as exc:
                assert str(exc)
            else:
                assert isinstance(out, (list, dict))
