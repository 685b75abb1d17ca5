"""Hand-worked checks of the dossier-export reader (parlib.dossiers).

Calendar of the tests (2026 only, complete): Tết 16–20/02/2026 off, 29/08–02/09 off, make-up
Saturday 22/08/2026. 2027 has no schedule. Weekdays: 13/02/2026 Fri, 20/08 Thu, 24/08 Mon,
06/03 Fri, 09/03 Mon, 09/02 Mon, 23/02 Mon.
"""

import datetime as dt
from pathlib import Path

import pandas as pd
import pytest
from openpyxl import Workbook

from parlib.core.errors import StructuralError
from parlib.core.text import fill_text, is_pii_header
from parlib.ingest.calendar import load_calendar
from parlib.ingest.dossier_columns import CATEGORY_COLUMNS, OUTPUT_COLUMNS, as_categories, load_procedures
from parlib.ingest.dossiers import read_dossier_exports
from parlib.ingest.readers import find_header_row, read_cells

HOLIDAYS = """year,start_date,end_date,holiday,kind
2026,2026-01-01,2026-01-01,Tết Dương lịch,off_1_day
2026,2026-02-16,2026-02-20,Tết Nguyên đán,off_block_civil_servants
2026,2026-08-29,2026-09-02,Quốc khánh,off_block_civil_servants
2026,2026-08-22,2026-08-22,làm bù,working_saturday
"""
PROCEDURES = (
    (
        "procedure_code,procedure_name,field_name,office_name,deadline_value,deadline_unit,after_15h,"
        "online_level,fee_vnd,has_paper_result,difficulty\n"
    )
    + """\
1.000005,Thủ tục 5 ngày,Xây dựng,Phòng A,5,working_days,false,toàn trình,150000,true,normal
1.000003,Thủ tục 3 ngày,Xây dựng,Phòng A,3,working_days,false,một phần,0,true,fast
1.000002,Thủ tục liên thông,Nhà ở,Phòng B,2,working_days,true,một phần,0,false,fast
1.000010,Chứng chỉ năng lực,Xây dựng,Phòng A,10,calendar_days,false,toàn trình,1000000,true,normal
"""
)
HEADERS = [
    "STT",
    "Số hồ sơ",
    "Mã TTHC",
    "Tên thủ tục hành chính",
    "Lĩnh vực",
    "Đơn vị xử lý",
    "Kênh nộp",
    "Ngày tiếp nhận",
    "Ngày hẹn trả",
    "Số lần yêu cầu bổ sung",
    "Ngày yêu cầu bổ sung",
    "Ngày hoàn thành bổ sung",
    "Ngày xử lý xong",
    "Ngày trả kết quả",
    "Ngày dừng xử lý",
    "Trạng thái",
    "Ngày xin lỗi",
    "Ngày hẹn trả mới",
    "Số lần hẹn lại",
    "Số hóa hồ sơ",
    "Kết quả điện tử",
    "Thanh toán trực tuyến",
    "Đánh giá của người dân",
    "Họ tên người nộp",
    "Số điện thoại",
    "Số CCCD",
    "Địa chỉ",
]


@pytest.fixture(scope="module")
def cal(tmp_path_factory):
    path = tmp_path_factory.mktemp("cal") / "holidays.csv"
    path.write_text(HOLIDAYS, encoding="utf-8")
    return load_calendar(path)


@pytest.fixture(scope="module")
def procs(tmp_path_factory):
    path = tmp_path_factory.mktemp("proc") / "procedures.csv"
    path.write_text(PROCEDURES, encoding="utf-8")
    return load_procedures(path)


def D(s, text=False):
    """A cell date: a datetime, or text dd/mm/yyyy HH:MM (the other export style)."""
    if not s:
        return None
    v = dt.datetime.fromisoformat(s)
    return v.strftime("%d/%m/%Y %H:%M") if text else v


def row(
    no,
    dossier,
    code,
    received,
    due,
    *,
    text=False,
    status="Đang xử lý",
    returned=None,
    channel=1,
    pii=("", "", "", ""),
    **extra,
):
    r = dict(
        zip(
            HEADERS,
            [
                no,
                dossier,
                code,
                None,
                None,
                None,
                channel,
                D(received, text),
                D(due, text),
                0,
                None,
                None,
                None,
                D(returned, text),
                None,
                status,
                None,
                None,
                0,
                "Có",
                "Không",
                None,
                None,
                *pii,
            ],
        )
    )
    r.update(extra)
    return [r[h] for h in HEADERS]


def write_export(path: Path, rows, headers=HEADERS, sheet="Danh sách hồ sơ", footer=True):
    wb = Workbook()
    ws = wb.active
    ws.title = sheet
    ws.append(["SỞ XÂY DỰNG TỈNH ĐẮK LẮK"])
    ws.append(["DANH SÁCH HỒ SƠ TTHC"])
    ws.append(list(headers))
    for r in rows:
        ws.append(r)
    if footer:
        ws.append([])
        ws.append(["Tổng cộng: " + str(len(rows)) + " hồ sơ"])
    wb.save(path)
    return path


DUE_CASES = [
    # Tết: 5 wd from Fri 13/02 10:00 -> 23, 24, 25, 26, 27/02 -> Fri 27/02 17:00 (export agrees)
    row(1, "H-TET", "1.000005", "2026-02-13 10:00", "2026-02-27 17:00"),
    # make-up Saturday: 3 wd from Thu 20/08 -> Fri 21, Sat 22 (make-up), Mon 24/08 (export agrees)
    row(2, "H-BU", "1.000003", "2026-08-20 09:00", "2026-08-24 17:00"),
    # after 15:00 on Fri 06/03 (after_15h procedure): counts from Mon 09/03 -> Tue 10, Wed 11/03;
    # the export says Tue 10/03 (counted as if received before 15:00) -> mismatch
    row(3, "H-15H", "1.000002", "2026-03-06 15:30", "2026-03-10 17:00"),
    # before 15:00 the same day -> Mon 09/03 (1), Tue 10/03 (2) -> agrees
    row(4, "H-14H", "1.000002", "2026-03-06 14:00", "2026-03-10 17:00"),
    # 10 calendar days from Mon 09/02 -> Thu 19/02 (Tết) -> next working day Mon 23/02
    row(5, "H-CAL", "1.000010", "2026-02-09 09:00", "2026-02-23 17:00"),
    # 2027 has no official schedule: no recomputed due date, reported
    row(6, "H-2027", "1.000005", "2027-01-04 09:00", "2027-01-11 17:00"),
]


def test_due_dates_recomputed_by_hand(tmp_path, cal, procs):
    res = read_dossier_exports([write_export(tmp_path / "ho_so_2026_Q1.xlsx", DUE_CASES)], procs, cal)
    d = res.dossiers.set_index("dossier_id")
    assert d.loc["H-TET", "expected_due_at"] == pd.Timestamp("2026-02-27 17:00")
    assert d.loc["H-BU", "expected_due_at"] == pd.Timestamp("2026-08-24 17:00")
    assert d.loc["H-15H", "expected_due_at"] == pd.Timestamp("2026-03-11 17:00")
    assert d.loc["H-14H", "expected_due_at"] == pd.Timestamp("2026-03-10 17:00")
    assert d.loc["H-CAL", "expected_due_at"] == pd.Timestamp("2026-02-23 17:00")
    assert pd.isna(d.loc["H-2027", "expected_due_at"]) and pd.isna(d.loc["H-2027", "due_mismatch"])
    assert d["due_mismatch"].dropna().to_dict() == {
        "H-14H": False,
        "H-15H": True,
        "H-BU": False,
        "H-CAL": False,
        "H-TET": False,
    }
    mism = res.issues[res.issues.rule == "due_date_mismatch"]
    assert mism["code"].tolist() == ["H-15H"] and mism["cell"].tolist() == ["I6"]
    assert "11/03/2026" in mism["message"].iloc[0]
    year = res.issues[res.issues.rule == "calendar_year_missing"]
    assert year["code"].tolist() == ["2027"] and "2027" in year["message"].iloc[0]
    # catalogue values fill blank names; fee and paper result joined
    assert d.loc["H-TET", "office_name"] == "Phòng A" and d.loc["H-TET", "fee_vnd"] == 150000
    assert list(res.dossiers.columns) == OUTPUT_COLUMNS
    # status true at the end of Q1/2026, the quarter named in the file
    assert (res.dossiers["snapshot_at"] == pd.Timestamp("2026-04-01")).all()


def test_duplicates_both_date_styles_and_ledger(tmp_path, cal, procs):
    q1 = write_export(
        tmp_path / "ho_so_2026_Q1.xlsx",
        [
            row(1, "X-1", "1.000005", "2026-03-30 09:00", "2026-04-06 17:00"),  # still open in Q1
            row(
                2,
                "X-2",
                "1.000005",
                "2026-03-02 09:00",
                "2026-03-09 17:00",
                returned="2026-03-06 10:00",
                status="Đã trả kết quả",
            ),
        ],
    )
    q2 = write_export(
        tmp_path / "ho_so_2026_Q2.xlsx",
        [
            # X-1 again in the later export, text dates, now returned: this record wins
            row(
                1,
                "X-1",
                "1.000005",
                "2026-03-30 09:00",
                "2026-04-06 17:00",
                text=True,
                returned="2026-04-03 10:00",
                status="Đã trả kết quả",
            ),
            row(2, "X-3", "1.000003", "2026-04-01 08:00", "2026-04-06 17:00", text=True, channel=2),
            # malformed: 31/02 does not exist -> rejected with the reason, cell H7
            row(
                3,
                "X-4",
                "1.000003",
                None,
                "2026-04-06 17:00",
                text=True,
                **{"Ngày tiếp nhận": "31/02/2026 08:00"},
            ),
            # a row with data but no dossier number -> rejected
            row(4, None, "1.000003", "2026-04-01 08:00", "2026-04-06 17:00", text=True),
            # date-only text style
            row(
                5,
                "X-5",
                "1.000003",
                None,
                None,
                **{"Ngày tiếp nhận": "02/04/2026", "Ngày hẹn trả": "07/04/2026"},
            ),
        ],
    )
    res = read_dossier_exports([q2, q1], procs, cal)  # order of the list must not matter
    d = res.dossiers.set_index("dossier_id")
    assert sorted(d.index) == ["X-1", "X-2", "X-3", "X-5"]
    assert d.loc["X-1", "source_file"] == "ho_so_2026_Q2.xlsx"
    assert d.loc["X-1", "returned_at"] == pd.Timestamp("2026-04-03 10:00")
    assert d.loc["X-1", "status_code"] == "returned"
    assert d.loc["X-5", "received_at"] == pd.Timestamp("2026-04-02")
    assert d.loc["X-3", "channel"] == 2 and d.loc["X-2", "channel"] == 1
    dup = res.issues[res.issues.rule == "duplicate_dossier"]
    assert dup["severity"].tolist() == ["info"] and dup["source"].tolist() == ["ho_so_2026_Q1.xlsx"]
    rej = res.issues[res.issues.rule == "row_rejected"].sort_values("row")
    assert rej["row"].tolist() == [6, 7]
    assert rej["cell"].tolist() == ["H6", "B7"] and rej["value"].tolist()[0] == "31/02/2026 08:00"
    assert "Ngày tiếp nhận" in rej["message"].iloc[0] and "số hồ sơ" in rej["message"].iloc[1]
    led = res.ledger.groupby(["source", "status"])["rows"].sum()
    # Q2 sheet: 2 title rows + header (3) + 5 rows + blank + footer = 10 rows
    #   used 3, rejected 2, skipped 3 + 1 blank + 1 footer = 5
    assert led["ho_so_2026_Q2.xlsx"].to_dict() == {"rejected": 2, "skipped": 5, "used": 3}
    # Q1 sheet: 3 + 2 + 2 = 7 rows: used 1, skipped 3 + 1 duplicate + 2 = 6
    assert led["ho_so_2026_Q1.xlsx"].to_dict() == {"skipped": 6, "used": 1}


def test_results_do_not_depend_on_row_order(tmp_path, cal, procs):
    rows = DUE_CASES + [
        row(
            7,
            "H-TET",
            "1.000005",
            "2026-02-13 10:00",
            "2026-02-27 17:00",
            returned="2026-02-26 10:00",
            status="Đã trả kết quả",
        )
    ]
    a = read_dossier_exports([write_export(tmp_path / "a.xlsx", rows)], procs, cal)
    b = read_dossier_exports([write_export(tmp_path / "b.xlsx", rows[::-1])], procs, cal)
    cols = [c for c in OUTPUT_COLUMNS if c not in ("source_file", "source_row")]
    pd.testing.assert_frame_equal(a.dossiers[cols], b.dossiers[cols])
    # the later status (returned) wins over "Đang xử lý" within one file
    assert a.dossiers.set_index("dossier_id").loc["H-TET", "status_code"] == "returned"
    # no quarter in the file name: snapshot = latest event date in the file (appointments excluded):
    # the receipt of H-2027 on 04/01/2027 09:00 (its due date 11/01/2027 does not count)
    assert (a.dossiers["snapshot_at"] == pd.Timestamp("2027-01-04 09:00")).all()


def test_personal_data_never_reaches_outputs(tmp_path, cal, procs):
    secrets = [
        "Trần Thị Bích",
        "0912345678",
        "079123456789",
        "12 Lê Lợi, Buôn Ma Thuột",
        "bich@example.vn",
        "Lê Văn Cường",
        "0987654321",
        "001099012345",
    ]
    headers = HEADERS[:-4] + ["Họ và tên", "SĐT", "Số CCCD/CMND", "Địa chỉ thường trú", "E-mail"]
    rows = [
        row(1, "P-1", "1.000005", "2026-02-13 10:00", "2026-02-27 17:00")[:-4] + secrets[:5],
        # a malformed row carrying personal data: rejected, yet nothing personal in the issues
        row(2, "P-2", "1.000005", None, "2026-02-27 17:00", **{"Ngày tiếp nhận": "hôm qua"})[:-4]
        + [secrets[5], secrets[6], secrets[7], "Thôn 3", "c@x.vn"],
    ]
    res = read_dossier_exports([write_export(tmp_path / "pii.xlsx", rows, headers=headers)], procs, cal)
    text = " ".join(
        " ".join(map(str, f.astype(str).to_numpy().ravel())) for f in (res.dossiers, res.issues, res.ledger)
    )
    for s in secrets + ["Thôn 3", "c@x.vn"]:
        assert s not in text
    dropped = res.issues[res.issues.rule == "pii_column_dropped"]["column"].tolist()
    assert dropped == ["Họ và tên", "SĐT", "Số CCCD/CMND", "Địa chỉ thường trú", "E-mail"]
    assert len(res.dossiers) == 1


def test_structural_problems_of_every_file_in_one_error(tmp_path, cal, procs):
    no_due = write_export(
        tmp_path / "ho_so_2026_Q1.xlsx", [], headers=[h for h in HEADERS if h != "Ngày hẹn trả"]
    )
    wrong_sheet = write_export(tmp_path / "ho_so_2026_Q2.xlsx", [], sheet="Sheet1")
    with pytest.raises(StructuralError) as e:
        read_dossier_exports([no_due, wrong_sheet], procs, cal)
    msg = str(e.value)
    assert "ho_so_2026_Q1.xlsx" in msg and "Ngày hẹn trả" in msg
    assert "ho_so_2026_Q2.xlsx" in msg and "Danh sách hồ sơ" in msg


def test_procedures_catalogue_validation(tmp_path):
    bad = PROCEDURES.replace(
        "1.000003,Thủ tục 3 ngày,Xây dựng,Phòng A,3,working_days",
        "1.000005,Thủ tục 3 ngày,Xây dựng,Phòng A,ba,weeks",
    )
    path = tmp_path / "procedures.csv"
    path.write_text(bad, encoding="utf-8")
    with pytest.raises(StructuralError) as e:
        load_procedures(path)
    msg = str(e.value)
    assert "trùng" in msg and "«ba»" in msg and "«weeks»" in msg


def test_bundled_sample_exports_smoke():
    from parlib.core.paths import Paths

    paths = Paths()
    files = sorted((paths.raw / "dossiers").glob("ho_so_*.xlsx"))
    proc_file = paths.config / "procedures.csv"
    if not files or not proc_file.exists():
        pytest.skip("bundled sample dossier exports not generated yet")
    cal = load_calendar(paths.config / "holidays.csv")
    res = read_dossier_exports(files, load_procedures(proc_file), cal, data_dir=paths.data)
    assert len(res.dossiers) > 0 and res.dossiers["dossier_id"].is_unique
    summary = res.ledger.groupby("status")["rows"].sum()
    assert summary["used"] == len(res.dossiers)
    # every row of the first file accounted for; none of its personal data in the outputs
    cells, _ = read_cells(files[0], "Danh sách hồ sơ")
    first = res.ledger[res.ledger["source"].str.endswith(files[0].name)]
    assert first["rows"].sum() == len(cells)
    header = [str(h) for h in cells.iloc[find_header_row(cells, ["Số hồ sơ"])]]
    pii = cells.iloc[:, [j for j, h in enumerate(header) if is_pii_header(h)]].stack().dropna().map(str)
    text = " ".join(" ".join(map(str, f.astype(str).to_numpy().ravel())) for f in (res.dossiers, res.issues))
    leaked = [v for v in pii.unique()[:300] if len(v) > 5 and v not in header and v in text]
    assert leaked == []


def test_few_valued_texts_become_categories_with_the_same_values_and_order():
    offices = ["Phòng Quản lý nhà", None, "Phòng Hạ tầng", "Ánh sáng", "Phòng Hạ tầng", "phòng hạ tầng"]
    df = pd.DataFrame(
        {
            "dossier_id": pd.array(["H3", "H1", "H2", "H6", "H5", "H4"], dtype="str"),
            "office_name": pd.array(offices, dtype="str"),
            "status": pd.array(["Đúng hạn", "Quá hạn", None, "Đúng hạn", "Đúng hạn", "Quá hạn"], dtype="str"),
        }
    )
    out = as_categories(df.copy())
    assert list(out.columns) == ["dossier_id", "office_name", "status"]  # absent ones ignored
    assert out["dossier_id"].dtype == "str"  # one per dossier: stays text
    cat = out["office_name"]
    assert isinstance(cat.dtype, pd.CategoricalDtype)
    # code-point order, as a sort of the texts: upper-case P (U+0050) < Á (U+00C1) < p (U+0070)
    assert list(cat.cat.categories) == ["Phòng Hạ tầng", "Phòng Quản lý nhà", "phòng hạ tầng", "Ánh sáng"]
    assert cat.isna().tolist() == [False, True, False, False, False, False]
    assert cat.astype(object).where(cat.notna(), None).tolist() == offices
    # a sort by the column gives the rows in the order the texts give
    assert out.sort_values("office_name")["dossier_id"].tolist() == ["H2", "H5", "H3", "H4", "H6", "H1"]
    assert df.sort_values("office_name")["dossier_id"].tolist() == ["H2", "H5", "H3", "H4", "H6", "H1"]
    assert list(out["status"].cat.categories) == ["Quá hạn", "Đúng hạn"]
    assert as_categories(out)["office_name"].cat.codes.tolist() == cat.cat.codes.tolist()  # idempotent
    assert "dossier_id" not in CATEGORY_COLUMNS and "office_name" in CATEGORY_COLUMNS


def test_fill_text_on_categories_keeps_the_texts_order():
    text = pd.Series(["Phòng B", None, "Phòng A", None], dtype="str")
    cats = text.astype("category")
    got = fill_text(cats, "(chưa rõ đơn vị)")
    assert got.tolist() == ["Phòng B", "(chưa rõ đơn vị)", "Phòng A", "(chưa rõ đơn vị)"]
    # "(" (U+0028) sorts before the letters, as in a sort of the texts
    assert list(got.cat.categories) == ["(chưa rõ đơn vị)", "Phòng A", "Phòng B"]
    assert (
        got.sort_values().index.tolist() == fill_text(text, "(chưa rõ đơn vị)").sort_values().index.tolist()
    )
    assert fill_text(text, "x").tolist() == ["Phòng B", "x", "Phòng A", "x"]
    full = pd.Series(["Phòng A"], dtype="str").astype("category")
    assert list(fill_text(full, "x").cat.categories) == ["Phòng A"]  # nothing missing: unchanged


def _is_sorted_text(categories) -> bool:
    values = [str(v) for v in categories]
    return values == sorted(values)


def test_categories_are_the_used_values_in_text_order_when_names_come_from_the_catalogue(
    tmp_path, cal, procs
):
    """Names missing from every export come from the catalogue: the office, field and procedure
    categories are then the values the dossiers hold, in code-point order (a sort of the
    categorical orders the rows as a sort of the texts), not the catalogue's order. Values of
    rejected rows and of superseded duplicates are not categories."""
    catalogue_b_first = procs.iloc[[2, 0, 1, 3]].reset_index(drop=True)  # "Phòng B" before "Phòng A"
    rows = [
        row(1, "C-1", "1.000002", "2026-03-02 09:00", "2026-03-04 17:00"),  # Phòng B (catalogue)
        row(2, "C-2", "1.000005", "2026-03-02 09:00", "2026-03-09 17:00"),  # Phòng A (catalogue)
        # a rejected row (no receipt date) naming its own office, field and procedure name
        row(3, "C-3", "1.000005", "", "2026-03-09 17:00", **{"Đơn vị xử lý": "Phòng Bị Loại"}),
        # the older record of C-4 (superseded below) names another office
        row(4, "C-4", "1.000003", "2026-03-03 09:00", "2026-03-06 17:00", **{"Đơn vị xử lý": "Phòng Bản Cũ"}),
        row(
            5,
            "C-4",
            "1.000003",
            "2026-03-03 09:00",
            "2026-03-06 17:00",
            status="Đã trả kết quả",
            returned="2026-03-05 10:00",
            **{"Đơn vị xử lý": "Phòng A"},
        ),
    ]
    res = read_dossier_exports([write_export(tmp_path / "ho_so_2026_Q1.xlsx", rows)], catalogue_b_first, cal)
    d = res.dossiers
    assert sorted(d["dossier_id"]) == ["C-1", "C-2", "C-4"]
    for c in ("office_name", "field_name", "procedure_name"):
        cats = d[c].cat.categories
        assert _is_sorted_text(cats), (c, list(cats))
        assert set(cats) == set(d[c].dropna().astype(str)), (c, list(cats))
    assert "Phòng Bị Loại" not in d["office_name"].cat.categories
    assert "Phòng Bản Cũ" not in d["office_name"].cat.categories
    assert d.sort_values("office_name", kind="stable")["dossier_id"].tolist() == (
        d.assign(o=d["office_name"].astype(str)).sort_values("o", kind="stable")["dossier_id"].tolist()
    )


def test_an_export_without_an_office_column_gets_sorted_categories(tmp_path, cal, procs):
    """No office column at all: every office comes from the catalogue, in text order."""
    catalogue_b_first = procs.iloc[[2, 0, 1, 3]].reset_index(drop=True)
    keep = [h for h in HEADERS if h != "Đơn vị xử lý"]
    rows = [
        row(1, "N-1", "1.000002", "2026-03-02 09:00", "2026-03-04 17:00"),
        row(2, "N-2", "1.000005", "2026-03-02 09:00", "2026-03-09 17:00"),
    ]
    rows = [[v for h, v in zip(HEADERS, r) if h != "Đơn vị xử lý"] for r in rows]
    res = read_dossier_exports(
        [write_export(tmp_path / "ho_so_2026_Q1.xlsx", rows, headers=keep)], catalogue_b_first, cal
    )
    office = res.dossiers.set_index("dossier_id")["office_name"]
    assert office.to_dict() == {"N-1": "Phòng B", "N-2": "Phòng A"}
    assert list(office.cat.categories) == ["Phòng A", "Phòng B"]


def test_a_parsed_copy_gives_what_a_parse_gives_with_an_optional_column_absent(tmp_path, cal, procs):
    """One export without the optional rating column: the read from the parse cache equals the
    fresh parse, dtypes and categories included (an empty categorical read back from Parquet
    has untyped categories)."""
    keep = [h for h in HEADERS if h != "Đánh giá của người dân"]
    rows = [
        [v for h, v in zip(HEADERS, r) if h != "Đánh giá của người dân"]
        for r in (
            row(1, "R-1", "1.000002", "2026-03-02 09:00", "2026-03-04 17:00"),
            row(2, "R-2", "1.000005", "2026-03-02 09:00", "2026-03-09 17:00"),
        )
    ]
    export = write_export(tmp_path / "ho_so_2026_Q1.xlsx", rows, headers=keep)
    fresh = read_dossier_exports([export], procs, cal)
    cache = tmp_path / "cache"
    first = read_dossier_exports([export], procs, cal, cache_dir=cache)
    again = read_dossier_exports([export], procs, cal, cache_dir=cache)  # from the parsed copy
    assert list(cache.rglob("*.parquet"))
    for got in (first, again):
        pd.testing.assert_frame_equal(got.dossiers, fresh.dossiers)
        pd.testing.assert_frame_equal(got.issues, fresh.issues)
    assert fresh.dossiers["citizen_rating"].isna().all()


def test_two_exports_showing_the_same_name_are_counted_together(tmp_path, cal, procs):
    """Without data_dir an export is named by its file name: two folders' ho_so_2026_Q1.xlsx
    show the same name. Their rows are counted together (each: 2 title rows + header, 2 rows,
    blank, footer = 7 rows: used 1, rejected 1, skipped 3 + 1 blank + 1 footer), and the cut-off
    of an export with no date of its own is the latest event of either."""
    (tmp_path / "x").mkdir()
    (tmp_path / "y").mkdir()
    a = write_export(
        tmp_path / "x" / "ho_so_2026_Q1.xlsx",
        [
            row(1, "S-1", "1.000005", "2026-03-02 09:00", "2026-03-09 17:00"),
            row(2, None, "1.000005", "2026-03-02 09:00", "2026-03-09 17:00"),  # no number: rejected
        ],
    )
    b = write_export(
        tmp_path / "y" / "ho_so_2026_Q1.xlsx",
        [
            row(1, "S-2", "1.000005", "2026-03-20 09:00", "2026-03-27 17:00"),
            row(2, None, "1.000005", "2026-03-02 09:00", "2026-03-09 17:00"),
        ],
    )
    res = read_dossier_exports([a, b], procs, cal)
    led = res.ledger.groupby(["source", "status"])["rows"].sum()
    assert led["ho_so_2026_Q1.xlsx"].to_dict() == {"rejected": 2, "skipped": 10, "used": 2}
    assert sorted(res.dossiers["dossier_id"]) == ["S-1", "S-2"]


def test_due_dates_recomputed_a_slice_at_a_time_and_years_without_schedule_isolated(
    tmp_path, cal, procs, monkeypatch
):
    """Due dates are recomputed DUE_CHUNK_ROWS dossiers at a time: any slicing gives the same
    table and issues. A due date falling in a year without an official schedule is not computed
    and reported for that dossier alone, whatever slice it is in."""
    import parlib.ingest.dossier_merge as merge

    cases = [
        *DUE_CASES,
        # 5 working days from Wed 30/12/2026 run into 2027 (no schedule): not computed, reported
        row(7, "H-DEC30", "1.000005", "2026-12-30 09:00", "2027-01-07 17:00"),
        # from Mon 21/12/2026: Tue 22, Wed 23, Thu 24, Fri 25, Mon 28/12 -> 2026-12-28 17:00
        row(8, "H-DEC21", "1.000005", "2026-12-21 09:00", "2026-12-28 17:00"),
        row(9, "H-DEC31", "1.000002", "2026-12-31 09:00", "2027-01-05 17:00"),
    ]
    path = write_export(tmp_path / "ho_so_2026_Q4.xlsx", cases)
    whole = read_dossier_exports([path], procs, cal)
    monkeypatch.setattr(merge, "DUE_CHUNK_ROWS", 2)
    sliced = read_dossier_exports([path], procs, cal)
    pd.testing.assert_frame_equal(sliced.dossiers, whole.dossiers, check_exact=True)
    pd.testing.assert_frame_equal(sliced.issues, whole.issues, check_exact=True)
    d = whole.dossiers.set_index("dossier_id")
    assert d.loc["H-DEC21", "expected_due_at"] == pd.Timestamp("2026-12-28 17:00")
    assert d.loc["H-TET", "expected_due_at"] == pd.Timestamp("2026-02-27 17:00")
    assert d[["expected_due_at"]].isna().squeeze().loc[lambda s: s].index.tolist() == [
        "H-2027",
        "H-DEC30",
        "H-DEC31",
    ]
    late = whole.issues[
        (whole.issues.rule == "calendar_year_missing") & (whole.issues.column == "Ngày hẹn trả")
    ]
    assert sorted(late["code"]) == ["H-DEC30", "H-DEC31"]
