"""Hand-worked checks of plan tasks and their status (parlib.tasks)."""

import datetime as dt
from pathlib import Path

import pandas as pd
import pytest
from openpyxl import Workbook

from parlib.analysis.stats import wilson_ci
from parlib.analysis.targets import kpi_status
from parlib.analysis.tasks import has_status_for, late_by_office, task_progress, tasks_kpi
from parlib.core.errors import StructuralError
from parlib.core.paths import PROJECT_ROOT
from parlib.ingest.tasks import read_tasks

TASKS_CSV = """task_no,task_name,lead_office,partners,time_frame,product,due_date
1,Ban hành kế hoạch,Văn phòng Sở,Các phòng,Quý II,Kế hoạch,2026-06-30
2,Theo dõi đôn đốc,Phòng Kế hoạch - Tài chính,Các phòng,Thường xuyên,Báo cáo,
3,Kiểm tra CCHC,Văn phòng Sở,Các phòng,Quý III,Biên bản,2026-09-15
4,Rà soát TTHC,Văn phòng Sở,Các phòng,Quý IV,Báo cáo,2026-12-31
5,Số hóa hồ sơ,Phòng Kế hoạch - Tài chính,,Quý IV,Báo cáo,2026-12-31
6,Khảo sát hài lòng,Phòng Quản lý hoạt động xây dựng,,Quý I,Báo cáo,2026-03-31
7,Công khai TTHC,Phòng Quản lý hoạt động xây dựng,,Quý IV,Báo cáo,2026-12-31
8,Tập huấn,Phòng Kế hoạch - Tài chính,,Quý IV,Báo cáo,2026-13-01
abc,Dòng lỗi,Văn phòng Sở,,,,
1,Trùng số,Văn phòng Sở,,,,2026-01-01
"""


def _status(path: Path, rows, sheet="Tien do") -> Path:
    wb = Workbook()
    ws = wb.active
    ws.title = sheet
    ws.append(["STT", "Trạng thái", "Ngày cập nhật", "Ghi chú"])
    for r in rows:
        ws.append(list(r))
    wb.save(path)
    return path


@pytest.fixture
def sample(tmp_path):
    csv = tmp_path / "nhiem_vu_2026.csv"
    csv.write_text(TASKS_CSV, encoding="utf-8")
    q2 = _status(
        tmp_path / "tien_do_2026_Q2.xlsx",
        [
            (1, "Hoàn thành", dt.datetime(2026, 6, 25), None),
            (3, "Đúng tiến độ", dt.datetime(2026, 6, 28), None),
            (7, "Chậm tiến độ", dt.datetime(2026, 6, 20), None),
        ],
    )
    q3 = _status(
        tmp_path / "tien_do_2026_Q3.xlsx",
        [
            (2, "đúng tiến độ", None, "Liên hệ anh Nam 0912345678"),  # no date -> 30/09/2026
            (4, "Chậm tiến độ", "05/10/2026", None),  # Q3 report written in October
            (7, "Đúng tiến độ", dt.datetime(2026, 9, 10), None),
            (99, "Hoàn thành", dt.datetime(2026, 9, 1), None),  # unknown task
            (6, "Đang làm", dt.datetime(2026, 9, 1), None),  # unknown status
        ],
    )
    q4 = _status(
        tmp_path / "tien_do_2026_Q4.xlsx",
        [
            (5, "Hoàn thành", dt.datetime(2026, 10, 2), None),  # Q4: not yet at 30/09
        ],
    )
    return read_tasks(csv, [q2, q3, q4])


def test_read_tasks_rows_issues_ledger(sample):
    tasks, issues, ledger = sample
    assert sorted(tasks["task_no"].unique().tolist()) == list(range(1, 9))
    assert pd.isna(tasks.loc[tasks["task_no"] == 8, "due_date"]).all()
    assert set(issues["rule"]) == {
        "task_invalid_row",
        "task_bad_due_date",
        "task_status_no_date",
        "task_status_unknown_task",
        "task_status_unknown",
    }
    t2 = tasks.loc[tasks["task_no"] == 2].iloc[0]
    assert t2["updated_at"] == pd.Timestamp("2026-09-30") and t2["note"] == "Liên hệ anh Nam [đã ẩn]"
    # CSV: 11 lines = 1 header + 8 used + 2 rejected; Q2: 1 + 3 used; Q3: 1 + 3 used + 2 rejected;
    # Q4: 1 + 1 used
    by = ledger.groupby(["source", "status"])["rows"].sum().to_dict()
    assert by == {
        ("nhiem_vu_2026.csv", "skipped"): 1,
        ("nhiem_vu_2026.csv", "used"): 8,
        ("nhiem_vu_2026.csv", "rejected"): 2,
        ("tien_do_2026_Q2.xlsx", "skipped"): 1,
        ("tien_do_2026_Q2.xlsx", "used"): 3,
        ("tien_do_2026_Q3.xlsx", "skipped"): 1,
        ("tien_do_2026_Q3.xlsx", "used"): 3,
        ("tien_do_2026_Q3.xlsx", "rejected"): 2,
        ("tien_do_2026_Q4.xlsx", "skipped"): 1,
        ("tien_do_2026_Q4.xlsx", "used"): 1,
    }
    assert tasks.loc[tasks["task_no"] == 4, "status_period"].tolist() == ["2026-Q3"]
    assert not tasks["note"].fillna("").str.contains("0912345678").any()


def test_progress_late_and_not_updated_logic(sample):
    tasks, _, _ = sample
    p = task_progress(tasks, "2026-09-30").set_index("task_no")
    assert p["latest_status"].to_dict() == {
        1: "Hoàn thành",
        2: "Đúng tiến độ",
        3: "Đúng tiến độ",
        4: "Chậm tiến độ",
        5: "Chưa cập nhật",
        6: "Chưa cập nhật",
        7: "Đúng tiến độ",
        8: "Chưa cập nhật",
    }
    # 3: on track in Q2 but due 15/09 and not done -> late; 4: reported behind in the Q3
    # file (dated 05/10, after as_of, still counts for Q3) -> late;
    # 6: no update and due 31/03 -> late; 1 done before its due date -> not late
    assert p.index[p["is_late"]].tolist() == [3, 4, 6]
    assert p.index[p["is_on_time"]].tolist() == [1, 2, 7]
    kpi = tasks_kpi(task_progress(tasks, "2026-09-30")).iloc[0]
    # k = 3 (tasks 1, 2, 7), n = 8 -> 37.5 %; not updated 5, 6, 8 -> 3
    assert (kpi["k"], kpi["n"], kpi["n_not_updated"], kpi["n_late"]) == (3, 8, 3, 3)
    assert kpi["pct"] == pytest.approx(37.5)
    lo, hi = wilson_ci([3], [8])
    assert kpi["ci_low_pct"] == pytest.approx(lo[0] * 100) and kpi["ci_high_pct"] == pytest.approx(
        hi[0] * 100
    )
    # the Q4 update is seen once as_of is in Q4
    later = task_progress(tasks, "2026-10-31").set_index("task_no")
    assert later.loc[5, "latest_status"] == "Hoàn thành" and not later.loc[5, "is_late"]


def test_late_by_office(sample):
    tasks, _, _ = sample
    office = late_by_office(task_progress(tasks, "2026-09-30"))
    # Văn phòng Sở: tasks 1,3,4 (late 3,4); QLXD: 6,7 (late 6); KHTC: 2,5,8 (none late)
    assert office["lead_office"].tolist() == [
        "Văn phòng Sở",
        "Phòng Quản lý hoạt động xây dựng",
        "Phòng Kế hoạch - Tài chính",
    ]
    assert office["n_late"].tolist() == [2, 1, 0]
    assert office["n_not_updated"].tolist() == [0, 1, 2]
    assert office["pct"].tolist() == pytest.approx([100 / 3, 50.0, 100 / 3])


def test_empty_task_list_gives_nan_kpi(tmp_path):
    csv = tmp_path / "nhiem_vu_2026.csv"
    csv.write_text("task_no,task_name,lead_office,partners,time_frame,product,due_date\n", encoding="utf-8")
    tasks, _, _ = read_tasks(csv, [])
    kpi = tasks_kpi(task_progress(tasks, "2026-09-30"))
    assert kpi.loc[0, "n"] == 0 and pd.isna(kpi.loc[0, "pct"])


def test_structural_errors_listed_together(tmp_path):
    csv = tmp_path / "nhiem_vu_2026.csv"
    csv.write_text("task_no,task_name\n1,a\n", encoding="utf-8")
    bad = _status(tmp_path / "tien_do_2026_Q3.xlsx", [], sheet="Sheet")
    with pytest.raises(StructuralError) as err:
        read_tasks(csv, [bad])
    text = str(err.value)
    assert "lead_office" in text and "due_date" in text and "Tien do" in text


def test_bundled_sample_if_present():
    root = PROJECT_ROOT / "data" / "raw" / "tasks"
    csv = root / "nhiem_vu_2026.csv"
    status = sorted(root.glob("tien_do_2026_Q*.xlsx"))
    if not csv.exists() or not status:
        pytest.skip("bundled task sample not generated yet")
    tasks, issues, ledger = read_tasks(csv, status)
    prog = task_progress(tasks, "2026-09-30")
    assert len(prog) == tasks["task_no"].nunique() and len(prog) > 0
    assert set(prog["latest_status"]) <= {"Hoàn thành", "Đúng tiến độ", "Chậm tiến độ", "Chưa cập nhật"}


def test_file_without_quarter_uses_update_dates(tmp_path):
    csv = tmp_path / "nhiem_vu_2026.csv"
    csv.write_text(TASKS_CSV, encoding="utf-8")
    f = _status(
        tmp_path / "tien_do_2026.xlsx",
        [(5, "Hoàn thành", dt.datetime(2026, 10, 2), None), (2, "Hoàn thành", None, None)],
    )  # no date, no quarter
    tasks, issues, _ = read_tasks(csv, [f])
    assert issues.loc[issues["rule"] == "task_status_no_date", "severity"].tolist() == ["error"]
    # dated 02/10: not yet visible on 30/09, visible on 02/10
    assert task_progress(tasks, "2026-09-30").set_index("task_no").loc[5, "latest_status"] == "Chưa cập nhật"
    assert task_progress(tasks, "2026-10-02").set_index("task_no").loc[5, "latest_status"] == "Hoàn thành"


def test_quarter_without_status_is_missing_not_zero(sample, tmp_path):
    tasks, _, _ = sample
    # status files exist for Q2, Q3 and Q4; none for Q1 -> the Q1 KPI is "chưa có số liệu"
    assert has_status_for(tasks, "2026-Q3") and has_status_for(tasks, "2026-Q2")
    assert not has_status_for(tasks, "2026-Q1")
    only_list, _, _ = read_tasks(tmp_path / "nhiem_vu_2026.csv", [])
    assert not has_status_for(only_list, "2026-Q3")
    kpi = tasks_kpi(task_progress(only_list, "2026-09-30"), has_status=False, missing_note="thiếu tệp X")
    row = kpi.iloc[0]
    assert (row["k"], row["n"]) == (0, 0) and pd.isna(row["pct"])
    targets = pd.DataFrame(
        {
            "kpi": ["tasks_on_time_pct"],
            "target_pct": ["100"],
            "comparison": [">="],
            "at_risk_margin_pp": ["1"],
        }
    )
    st = kpi_status(kpi.assign(period_label="Quý III/2026"), targets).iloc[0]
    assert (st["status"], st["status_vi"], st["gap_text"]) == ("no_data", "Chưa có số liệu", "thiếu tệp X")


def test_deadline_is_the_date_else_the_plans_time_frame_never_blank(sample):
    """Task 1 has a date (30/06/2026); task 2 none, time frame «Thường xuyên» in the plan."""
    from parlib.analysis.tasks import deadline_labels

    tasks, _, _ = sample
    p = task_progress(tasks, "2026-09-30")
    got = dict(zip(p["task_no"], deadline_labels(p)))
    assert got[1] == "30/06/2026" and got[2] == "Thường xuyên"
    assert all(isinstance(v, str) and v.strip() for v in got.values())
    # neither a date nor a time frame: said so, not left blank
    bare = pd.DataFrame({"due_date": [pd.NaT, pd.Timestamp("2026-12-31")], "time_frame": ["  ", None]})
    assert deadline_labels(bare).tolist() == ["Chưa xác định thời hạn", "31/12/2026"]
    assert deadline_labels(bare.drop(columns="time_frame")).tolist() == [
        "Chưa xác định thời hạn",
        "31/12/2026",
    ]
