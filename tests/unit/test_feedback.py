"""Hand-worked checks of the feedback (PAKN) reader and the 766 indicators 5.1–5.3."""

import datetime as dt
from pathlib import Path

import pandas as pd
import pytest
from openpyxl import Workbook

from parlib.analysis.feedback import feedback_kpis, feedback_status
from parlib.analysis.stats import wilson_ci
from parlib.core.errors import ConfigError, StructuralError
from parlib.core.paths import PROJECT_ROOT
from parlib.ingest.calendar import load_calendar
from parlib.ingest.feedback import read_feedback

# The 2026 rows of the official schedule (shared/domain holidays file).
HOLIDAYS_2026 = """year,start_date,end_date,holiday,kind
2026,2026-01-01,2026-01-01,Tết Dương lịch,off_1_day
2026,2026-02-16,2026-02-20,Tết Nguyên đán,off_block_civil_servants
2026,2026-04-25,2026-04-27,Giỗ Tổ Hùng Vương,off_block_with_compensatory_day
2026,2026-04-30,2026-05-03,30/4 + 1/5,off_block
2026,2026-08-29,2026-09-02,Quốc khánh,off_block_civil_servants
2026,2026-08-22,2026-08-22,Làm bù,working_saturday
"""
HEADER = [
    "Mã PAKN",
    "Ngày tiếp nhận",
    "Đơn vị xử lý",
    "Phân loại",
    "Nội dung",
    "Ngày chuyển xử lý",
    "Ngày trả lời",
    "Ngày công khai",
    "Lượt thích",
    "Lượt không thích",
    "Phản ánh lại",
    "Người gửi",
    "Số điện thoại",
    "Email",
]
D = dt.datetime


@pytest.fixture
def cal(tmp_path):
    p = tmp_path / "holidays.csv"
    p.write_text(HOLIDAYS_2026, encoding="utf-8")
    return load_calendar(p)


def _book(path: Path, rows, header=HEADER, sheet="PAKN") -> Path:
    wb = Workbook()
    ws = wb.active
    ws.title = sheet
    ws.append(header)
    for r in rows:
        ws.append(list(r))
    wb.save(path)
    return path


def _frame(rows):
    """Feedback frame as read_feedback returns it, from dicts with only what a test needs."""
    base = {
        "office_name": "Văn phòng Sở",
        "category": "Thủ tục hành chính",
        "is_classified": True,
        "content": "",
        "transferred_at": pd.NaT,
        "answered_at": pd.NaT,
        "published_at": pd.NaT,
        "likes": 0,
        "dislikes": 0,
        "is_recomplaint": False,
        "source": "t.xlsx",
        "sheet": "PAKN",
        "row": 2,
    }
    df = pd.DataFrame([{**base, **r} for r in rows])
    for c in ["received_at", "transferred_at", "answered_at", "published_at"]:
        df[c] = pd.to_datetime(df[c]).astype("datetime64[us]")
    return df


def test_fifteenth_working_day_across_tet_is_on_time_sixteenth_late(cal):
    # Received Mon 09/02/2026. Working days after it: 10,11,12,13/02 (4); Tết 16–20/02 off;
    # 23–27/02 (5 -> 9); 02–06/03 (5 -> 14); Mon 09/03 = 15th; Tue 10/03 = 16th.
    fb = _frame(
        [
            {"feedback_id": "A", "received_at": "2026-02-09 09:00", "answered_at": "2026-03-09 16:00"},
            {"feedback_id": "B", "received_at": "2026-02-09 09:00", "published_at": "2026-03-10 08:00"},
        ]
    )
    st = feedback_status(fb, cal, "2026-03-31")
    assert st["working_days"].tolist() == [15, 16]
    assert st["status"].tolist() == ["on_time", "late"]


def test_transfer_restarts_the_clock(cal):
    # Received Mon 05/01, transferred Mon 26/01, answered Fri 13/02.
    # From the transfer: 27–30/01 (4) + 02–06/02 (5) + 09–13/02 (5) = 14 <= 15 -> on time.
    # From receipt it would be 06–09/01 (4) + 12–30/01 (15) + 02–13/02 (10) = 29 -> late.
    fb = _frame(
        [
            {
                "feedback_id": "T",
                "received_at": "2026-01-05",
                "transferred_at": "2026-01-26",
                "answered_at": "2026-02-13",
            },
            {"feedback_id": "U", "received_at": "2026-01-05", "answered_at": "2026-02-13"},
        ]
    )
    st = feedback_status(fb, cal, "2026-03-31")
    assert st["working_days"].tolist() == [14, 29]
    assert st["status"].tolist() == ["on_time", "late"]


def test_unanswered_pending_or_late_at_period_end(cal):
    # Period end Tue 31/03/2026.
    # P received Fri 20/03: 23–27/03 (5) + 30, 31/03 (2) = 7 <= 15 -> pending.
    # L received Mon 02/03: 03–06 (4) + 09–13 (5) + 16–20 (5) + 23–27 (5) + 30–31 (2) = 21 -> late.
    # Q received 20/03, answered 15/04 (after the period end): unknown at 31/03 -> pending.
    fb = _frame(
        [
            {"feedback_id": "P", "received_at": "2026-03-20"},
            {"feedback_id": "L", "received_at": "2026-03-02"},
            {"feedback_id": "Q", "received_at": "2026-03-20", "answered_at": "2026-04-15"},
            {"feedback_id": "Z", "received_at": "2026-04-01"},
        ]
    )  # after the period: left out
    st = feedback_status(fb, cal, "2026-03-31")
    assert st["feedback_id"].tolist() == ["P", "L", "Q"]
    assert st["working_days"].tolist() == [7, 21, 7]
    assert st["status"].tolist() == ["pending", "late", "pending"]
    assert pd.isna(st.loc[st["feedback_id"] == "Q", "handled_at"]).all()


def test_kpis_51_52_53_arithmetic(cal):
    # All received Mon 02/03/2026; answers by 06/03 are on time; period end 31/03.
    fb = _frame(
        [
            {
                "feedback_id": "A",
                "received_at": "2026-03-02",
                "answered_at": "2026-03-06",
                "likes": 3,
                "dislikes": 1,
            },
            {
                "feedback_id": "B",
                "received_at": "2026-03-02",
                "answered_at": "2026-03-06",
                "likes": 1,
                "dislikes": 2,
            },
            {
                "feedback_id": "C",
                "received_at": "2026-03-02",
                "answered_at": "2026-03-30",
                "is_recomplaint": True,
                "category": None,
                "is_classified": False,
            },
            {
                "feedback_id": "D",
                "received_at": "2026-03-02",
                "answered_at": "2026-03-06",
                "is_recomplaint": True,
                "category": None,
                "is_classified": False,
            },
            {"feedback_id": "E", "received_at": "2026-03-25"},
        ]
    )
    k = feedback_kpis(fb, cal, "2026-03-31", by="month")
    mar = k.loc[k["month"] == 3].set_index("kpi_code")
    # 5.1: classified A, B, E = 3 of 5 -> 60 %
    assert (mar.loc["5.1", "k"], mar.loc["5.1", "n"]) == (3, 5) and mar.loc["5.1", "pct"] == pytest.approx(
        60.0
    )
    # 5.2: C answered 30/03 = 20 working days -> late; E pending, left out: on time A, B, D = 3 of 4
    assert (mar.loc["5.2", "k"], mar.loc["5.2", "n"]) == (3, 4) and mar.loc["5.2", "pct"] == pytest.approx(
        75.0
    )
    assert mar.loc["5.2", "n_pending"] == 1
    # 5.3: disliked B (2 > 1); late C (also re-complained: counted once); re-complained D
    #      -> (5 - 3) / 5 = 40 %
    assert (mar.loc["5.3", "k"], mar.loc["5.3", "n"]) == (2, 5) and mar.loc["5.3", "pct"] == pytest.approx(
        40.0
    )
    lo, hi = wilson_ci([2], [5])
    assert mar.loc["5.3", "ci_low_pct"] == pytest.approx(lo[0] * 100)
    # January and February had no PAKN: rows exist with n = 0 and NaN rate
    jan = k.loc[k["month"] == 1]
    assert len(jan) == 3 and (jan["n"] == 0).all() and jan["pct"].isna().all()
    q = feedback_kpis(fb, cal, "2026-03-31", by="quarter")
    assert q["period"].unique().tolist() == ["2026-Q1"]
    by_office = feedback_kpis(
        fb.assign(office_name=["X", "X", "Y", "Y", None]), cal, "2026-03-31", by=["quarter", "office"]
    )
    assert set(by_office["office_name"]) == {"X", "Y", "(chưa rõ đơn vị)"}
    with pytest.raises(ValueError):
        feedback_kpis(fb, cal, "2026-03-31", by="week")


def test_year_without_schedule_is_refused(cal):
    fb = _frame([{"feedback_id": "A", "received_at": "2027-01-04"}])
    with pytest.raises(ConfigError):
        feedback_status(fb, cal, "2027-03-31")


def test_read_drops_pii_and_scrubs_content(tmp_path, cal):
    header = HEADER + ["Họ và tên người gửi", "SĐT liên hệ", "Ghi chú"]
    rows = [
        (
            "PAKN-001",
            D(2026, 2, 9, 9),
            "Văn phòng Sở",
            "Thủ tục hành chính",
            "Gọi 0912 345 678 hoặc an.nguyen@gmail.com giúp tôi",
            None,
            D(2026, 3, 9),
            None,
            2,
            5,
            "Có",
            "Nguyễn Văn An",
            "0905123456",
            "an.nguyen@gmail.com",
            "Trần Thị Bình",
            "0987.654.321",
            "x",
        ),
        (
            "PAKN-002",
            "10/02/2026 14:00",
            "Phòng Quản lý hoạt động xây dựng",
            "Khác",
            "Nội dung",
            None,
            None,
            "12/02/2026",
            None,
            None,
            None,
            "Lê Văn Cường",
            "0911222333",
            "cuong@x.vn",
            None,
            None,
            None,
        ),
        (
            None,
            None,
            None,
            None,
            None,
            None,
            None,
            None,
            None,
            None,
            None,
            None,
            None,
            None,
            None,
            None,
            None,
        ),
        (
            None,
            D(2026, 2, 11),
            "Văn phòng Sở",
            None,
            None,
            None,
            None,
            None,
            None,
            None,
            None,
            "Phạm Thị Dung",
            None,
            None,
            None,
            None,
            None,
        ),
        (
            "PAKN-003",
            "ngày 11",
            "Văn phòng Sở",
            None,
            None,
            None,
            None,
            None,
            "abc",
            None,
            "Hmm",
            None,
            None,
            None,
            None,
            None,
            None,
        ),
    ]
    fb, issues, ledger = read_feedback([_book(tmp_path / "pakn_2026.xlsx", rows, header)], cal)
    assert fb["feedback_id"].tolist() == ["PAKN-001", "PAKN-002"]
    everything = " ".join(
        str(v) for frame in (fb, issues, ledger) for v in frame.astype(str).to_numpy().ravel()
    )
    everything += " ".join(fb.columns) + " ".join(issues.columns)
    for secret in [
        "Nguyễn Văn An",
        "0905123456",
        "an.nguyen@gmail.com",
        "Trần Thị Bình",
        "0987.654.321",
        "Lê Văn Cường",
        "0911222333",
        "cuong@x.vn",
        "Phạm Thị Dung",
        "0912 345 678",
    ]:
        assert secret not in everything
    assert fb.loc[0, "content"] == "Gọi [đã ẩn] hoặc [đã ẩn] giúp tôi"
    assert fb.loc[0, "is_recomplaint"] and fb.loc[0, "dislikes"] == 5
    assert pd.isna(fb.loc[1, "category"])
    assert not fb.loc[1, "is_classified"] and fb.loc[1, "published_at"] == pd.Timestamp("2026-02-12")
    assert fb.loc[1, "likes"] == 0
    assert {"feedback_unknown_category", "feedback_no_id", "feedback_bad_received"} <= set(issues["rule"])
    # 6 rows = 1 header + 1 blank skipped, 2 rejected, 2 used
    assert ledger.groupby("status")["rows"].sum().to_dict() == {"skipped": 2, "rejected": 2, "used": 2}


def test_missing_required_columns_all_files(tmp_path, cal):
    a = _book(tmp_path / "pakn_2025.xlsx", [], header=["Mã PAKN", "Đơn vị xử lý"])
    b = _book(tmp_path / "pakn_2026.xlsx", [], sheet="Sheet1")
    with pytest.raises(StructuralError) as err:
        read_feedback([a, b], cal)
    text = str(err.value)
    assert "Ngày tiếp nhận" in text and "Ngày trả lời" in text and "pakn_2026.xlsx" in text


def test_duplicate_id_later_file_wins_and_uncovered_year_issue(tmp_path, cal):
    a = _book(
        tmp_path / "pakn_2026.xlsx",
        [
            (
                "X1",
                D(2026, 3, 2),
                "Văn phòng Sở",
                None,
                None,
                None,
                None,
                None,
                None,
                None,
                None,
                None,
                None,
                None,
            )
        ],
    )
    b = _book(
        tmp_path / "pakn_2027.xlsx",
        [
            (
                "X1",
                D(2026, 3, 2),
                "Văn phòng Sở",
                None,
                None,
                None,
                D(2026, 3, 5),
                None,
                None,
                None,
                None,
                None,
                None,
                None,
            ),
            (
                "Y1",
                D(2027, 1, 4),
                "Văn phòng Sở",
                None,
                None,
                None,
                None,
                None,
                None,
                None,
                None,
                None,
                None,
                None,
            ),
        ],
    )
    fb, issues, ledger = read_feedback([a, b], cal)
    assert fb["feedback_id"].tolist() == ["X1", "Y1"] and fb.loc[0, "source"] == "pakn_2027.xlsx"
    assert "feedback_duplicate" in set(issues["rule"])
    assert issues.loc[issues["rule"] == "feedback_calendar_missing", "code"].tolist() == ["2027"]


def test_bundled_sample_if_present():
    files = sorted((PROJECT_ROOT / "data" / "raw" / "feedback").glob("pakn_*.xlsx"))
    holidays = PROJECT_ROOT / "data" / "raw" / "config" / "holidays.csv"
    if not files or not holidays.exists():
        pytest.skip("bundled feedback sample not generated yet")
    cal = load_calendar(holidays)
    fb, issues, ledger = read_feedback(files, cal)
    assert not fb.empty
    assert not any(c in fb.columns for c in ["Người gửi", "Số điện thoại", "Email"])
    year = int(fb["received_at"].dt.year.max())
    k = feedback_kpis(fb, cal, f"{year}-09-30", by="quarter")
    assert set(k["kpi_code"]) == {"5.1", "5.2", "5.3"}
    assert k["pct"].dropna().between(0, 100).all()
