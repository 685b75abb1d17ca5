"""Simulated plan-task status: ``raw/tasks/tien_do_<year>_Q<q>.xlsx``, sheet ``Tien do``.

For every quarter of ``[tasks].quarters`` and every task of the plan (``nhiem_vu_<year>.csv``):
a task due by the quarter's end is ``Hoàn thành`` or, with ``late_share``, ``Chậm tiến độ``;
a recurring or later task is ``Đúng tiến độ`` (a few already ``Hoàn thành``) or, with
``late_share``, ``Chậm tiến độ``. Updates arrive ``update_lag_days`` after the quarter end;
``late_update_share`` of them ``late_lag_days`` after it (never after ``scenario.as_of``);
``missing_updates`` tasks have no row at all (status updates arrive late or partially).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from parlib.generate.fakes import SYNTHETIC_NOTE, cell_datetimes, write_rows
from parlib.generate.scenario import Scenario, parse_quarter

SHEET = "Tien do"
HEADERS = ["STT", "Trạng thái", "Ngày cập nhật", "Ghi chú"]
NOTES = {
    "Hoàn thành": ["Đã hoàn thành, có văn bản kèm theo.", "Đã ban hành văn bản.", None],
    "Đúng tiến độ": ["Đang triển khai theo kế hoạch.", "Thực hiện thường xuyên.", None],
    "Chậm tiến độ": [
        "Chưa hoàn thành do chờ ý kiến các phòng phối hợp.",
        "Chậm do thiếu nhân lực, đề nghị gia hạn.",
        "Đang hoàn thiện dự thảo.",
    ],
}


def simulate_tasks(sc: Scenario) -> dict[str, pd.DataFrame]:
    """Quarter text -> frame ``task_no, status, updated_at, note`` (missing tasks absent)."""
    if sc.tasks is None:
        return {}
    rng = sc.rng(8)
    t = sc.cfg["tasks"]
    as_of = pd.Timestamp(sc.cfg["scenario"]["as_of"]) if sc.cfg["scenario"]["as_of"] else None
    tasks = sc.tasks.copy()
    tasks["task_no"] = pd.to_numeric(tasks["task_no"]).astype(int)
    due = pd.to_datetime(tasks["due_date"].replace("", None), format="%Y-%m-%d")
    out = {}
    for qtext in t["quarters"]:
        q = parse_quarter(qtext)
        end = q.end_time.normalize()
        n = len(tasks)
        late = rng.random(n) < t["late_share"]
        due_now = (due.notna() & (due <= end)).to_numpy()
        early = rng.random(n) < 0.1
        status = np.where(late, "Chậm tiến độ", np.where(due_now | early, "Hoàn thành", "Đúng tiến độ"))
        lag = np.where(
            rng.random(n) < t["late_update_share"],
            rng.integers(t["late_lag_days"][0], t["late_lag_days"][1] + 1, n),
            rng.integers(t["update_lag_days"][0], t["update_lag_days"][1] + 1, n),
        )
        updated = end + pd.to_timedelta(lag, unit="D")
        if as_of is not None:
            updated = updated.where(updated <= as_of, as_of)
        note = [NOTES[s][int(rng.integers(0, len(NOTES[s])))] for s in status]
        frame = pd.DataFrame(
            {"task_no": tasks["task_no"], "status": status, "updated_at": updated.to_numpy(), "note": note}
        )
        drop = rng.choice(n, size=min(int(t["missing_updates"]), n), replace=False)
        frame = frame.drop(index=frame.index[np.sort(drop)]).reset_index(drop=True)
        out[f"{q.year}-Q{q.quarter}"] = frame
    return out


def write_tasks(sc: Scenario, frames: dict[str, pd.DataFrame], data_dir: Path) -> list[dict]:
    """One workbook per quarter; returns manifest entries."""
    written = []
    for qtext, frame in frames.items():
        q = parse_quarter(qtext)
        dates = cell_datetimes(frame["updated_at"])
        rows = [
            [int(no), st, d, nt]
            for no, st, d, nt in zip(frame["task_no"], frame["status"], dates, frame["note"])
        ]
        path = data_dir / "raw" / "tasks" / f"tien_do_{q.year}_Q{q.quarter}.xlsx"
        n = write_rows(path, SHEET, HEADERS, rows, note=SYNTHETIC_NOTE.format(name=sc.name))
        written.append({"path": path, "rows": n})
    return written
