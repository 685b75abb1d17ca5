"""Plan tasks (35 tasks of the plan appendix) and their quarterly status updates.

Inputs
    ``raw/tasks/nhiem_vu_<year>.csv``: ``task_no, task_name, lead_office, partners,
    time_frame, product, due_date`` (ISO date, empty for "Thường xuyên"/"Định kỳ").
    ``raw/tasks/tien_do_<year>_Q<q>.xlsx``, sheet ``Tien do``: ``STT`` (task_no),
    ``Trạng thái`` (``Hoàn thành`` / ``Đúng tiến độ`` / ``Chậm tiến độ``), ``Ngày cập nhật``,
    ``Ghi chú`` (scrubbed of phones, e-mails and ID numbers).

Rules (:func:`task_progress`)
    An update belongs to the quarter named by its file (``tien_do_<year>_Q<q>``), whatever
    its date: quarterly updates are typically written after the quarter has ended. At
    ``as_of`` the updates of the quarters up to the quarter of ``as_of`` count (an update
    from a file without a quarter in its name counts when dated on or before ``as_of``).
    The latest status is the eligible update of the latest quarter, then the latest
    ``updated_at`` (ties: the later file/row); no update -> ``Chưa cập nhật``.
    ``is_past_due``: a due date strictly before ``as_of``.
    ``is_late``: (not ``Hoàn thành`` and past due) or reported ``Chậm tiến độ``.
    ``is_on_time``: an update exists and the task is not late. The KPI
    ``tasks_on_time_pct`` counts ``k`` = on-time tasks over ``n`` = all tasks, so a task
    with no update counts against the rate (decision: progress that was not reported cannot
    be shown to be on time; the number of such tasks is reported next to the rate).
"""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd

from parlib.core.cells import parse_datetimes
from parlib.core.errors import Problem, StructuralError
from parlib.core.issues import IssueLog, Ledger, excel_cell
from parlib.core.text import fold, normalise_text, scrub_frame, scrub_text
from parlib.ingest.readers import extend_spec, find_header_row, map_columns, read_cells
from parlib.model.tasks import BEHIND, DONE, ON_TRACK, STATUSES

STATUS_SHEET = "Tien do"

TASK_SPEC = {
    "task_no": ["task_no", "STT", "Số TT"],
    "task_name": ["task_name", "Nhiệm vụ", "Tên nhiệm vụ"],
    "lead_office": ["lead_office", "Đơn vị chủ trì", "Chủ trì"],
    "partners": ["partners", "Đơn vị phối hợp", "Phối hợp"],
    "time_frame": ["time_frame", "Thời gian thực hiện", "Thời gian"],
    "product": ["product", "Sản phẩm"],
    "due_date": ["due_date", "Hạn hoàn thành", "Thời hạn"],
}
TASK_REQUIRED = ["task_no", "task_name", "lead_office", "due_date"]
STATUS_SPEC = {
    "task_no": ["STT", "task_no", "Số TT"],
    "status": ["Trạng thái", "Tình trạng"],
    "updated_at": ["Ngày cập nhật", "Ngày báo cáo"],
    "note": ["Ghi chú"],
}
STATUS_REQUIRED = ["task_no", "status", "updated_at"]
TASK_COLUMNS = ["task_no", "task_name", "lead_office", "partners", "time_frame", "product", "due_date"]
UPDATE_COLUMNS = ["task_no", "status", "updated_at", "status_period", "note", "status_source", "status_row"]
OUT_COLUMNS = TASK_COLUMNS + UPDATE_COLUMNS[1:]


def _task_no(v) -> int | None:
    s = normalise_text(v)
    if s and re.fullmatch(r"\d{1,6}(\.0+)?", s):  # more digits cannot be a task number (and overflow int64)
        return int(float(s))
    return None


def _blank(values) -> bool:
    return all(normalise_text(v) in (None, "") for v in values)


def read_tasks(
    tasks_csv, status_files=(), *, spellings: dict | None = None
) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """Read the task list and every quarterly status file.

    Returns (tasks, issues, ledger). ``tasks`` is long: one row per (task, status update),
    and one row with empty status for a task without update. Columns: ``task_no`` (int),
    ``task_name``, ``lead_office``, ``partners``, ``time_frame``, ``product`` (str),
    ``due_date`` (datetime64, NaT = no fixed date), ``status`` (str or NA), ``updated_at``
    (datetime64), ``status_period`` (``YYYY-Qn`` from the file name, NA when the name has
    none), ``note`` (scrubbed), ``status_source``, ``status_row`` (Int64).

    Rejected with an error issue: a task row without a valid number or name, a duplicated
    task number (the first is kept); a status row with an unknown task number or status.
    Warnings: unreadable due date (task kept, NaT); a status without date (dated at the end
    of the file's quarter when the name says ``..._Q<q>``, else rejected).
    Raises StructuralError listing every missing sheet/column of every file. ``spellings``: the
    analyst's extra header spellings ``{"tasks": {column: (text, …)}, "task_status": {…}}``.
    """
    spellings = spellings or {}
    task_spec = extend_spec(TASK_SPEC, spellings.get("tasks"))
    status_spec = extend_spec(STATUS_SPEC, spellings.get("task_status"))
    issues, ledger = IssueLog(), Ledger()
    problems: list[Problem] = []
    tasks = None
    try:
        tasks = _read_task_list(Path(tasks_csv), issues, ledger, task_spec)
    except StructuralError as err:
        problems.extend(err.problems)
    updates = []
    for path in map(Path, status_files):
        try:
            updates.append(
                _read_status(
                    path, set() if tasks is None else set(tasks["task_no"]), issues, ledger, status_spec
                )
            )
        except StructuralError as err:
            problems.extend(err.problems)
    if problems:
        raise StructuralError("Tệp nhiệm vụ / tiến độ không đúng cấu trúc.", problems)
    upd = pd.concat(updates, ignore_index=True) if updates else pd.DataFrame(columns=UPDATE_COLUMNS)
    upd = upd.astype({"task_no": "int64"})
    out = tasks.merge(upd, on="task_no", how="left", sort=False)
    out = out.sort_values(["task_no"], kind="stable").reset_index(drop=True)
    out["updated_at"] = pd.to_datetime(out["updated_at"]).astype("datetime64[us]")
    out["status_row"] = pd.array(out["status_row"], dtype="Int64")
    for c in ["status", "status_period", "note", "status_source"]:
        out[c] = out[c].astype("str")
    return scrub_frame(out[OUT_COLUMNS], free_text=("note",)), issues.to_frame(), ledger.to_frame()


def _read_task_list(path: Path, issues: IssueLog, ledger: Ledger, spec: dict = TASK_SPEC) -> pd.DataFrame:
    cells, _ = read_cells(path)
    src = path.name
    hdr = find_header_row(cells, spec["task_no"])
    if hdr is None:
        raise StructuralError("", [Problem("không tìm thấy dòng tiêu đề (cột «task_no»)", file=src)])
    headers = [normalise_text(v) or "" for v in cells.iloc[hdr].tolist()]
    mp, _ = map_columns(headers, spec, required=TASK_REQUIRED, file=src, header_row=hdr)
    ledger.add(src, "skipped", hdr + 1, "dòng tiêu đề")
    body = cells.iloc[hdr + 1 :]
    due, due_bad = parse_datetimes(body[mp["due_date"]])
    rows, seen, n_blank, n_rej = [], set(), 0, 0
    for pos, (i, rec) in enumerate(body.iterrows()):
        r = int(i) + 1
        if _blank(rec.tolist()):
            n_blank += 1
            continue
        no = _task_no(rec[mp["task_no"]])
        name = normalise_text(rec[mp["task_name"]])
        if no is None or not name or no in seen:
            why = (
                "Số thứ tự nhiệm vụ không hợp lệ."
                if no is None
                else "Thiếu tên nhiệm vụ."
                if not name
                else f"Trùng số thứ tự nhiệm vụ {no}; giữ dòng đầu tiên."
            )
            issues.add(
                "task_invalid_row",
                why,
                severity="error",
                source=src,
                row=r,
                code=str(no or ""),
                cell=excel_cell(r, mp["task_no"] + 1),
                column=headers[mp["task_no"]],
                value=normalise_text(rec[mp["task_no"]]) or "",
            )
            n_rej += 1
            continue
        seen.add(no)
        if due_bad.iloc[pos]:
            issues.add(
                "task_bad_due_date",
                "Hạn hoàn thành không đọc được (cần dạng YYYY-MM-DD); coi như nhiệm vụ không có hạn cố định.",
                source=src,
                row=r,
                code=str(no),
                cell=excel_cell(r, mp["due_date"] + 1),
                column=headers[mp["due_date"]],
                value=normalise_text(rec[mp["due_date"]]) or "",
            )
        get = lambda c: normalise_text(rec[mp[c]]) if c in mp else None
        rows.append(
            {
                "task_no": no,
                "task_name": name,
                "lead_office": get("lead_office"),
                "partners": get("partners"),
                "time_frame": get("time_frame"),
                "product": get("product"),
                "due_date": due.iloc[pos],
            }
        )
    ledger.add(src, "skipped", n_blank, "dòng trống")
    ledger.add(src, "rejected", n_rej, "dòng lỗi (xem bảng vấn đề dữ liệu)")
    ledger.add(src, "used", len(rows))
    out = pd.DataFrame(rows, columns=TASK_COLUMNS)
    out["task_no"] = out["task_no"].astype("int64")
    out["due_date"] = pd.to_datetime(out["due_date"]).astype("datetime64[us]")
    for c in TASK_COLUMNS[1:-1]:
        out[c] = out[c].astype("str")
    return out


def _quarter_end(path: Path) -> pd.Timestamp | None:
    m = re.search(r"(\d{4})_Q([1-4])", path.stem, flags=re.IGNORECASE)
    if not m:
        return None
    return pd.Period(f"{m.group(1)}Q{m.group(2)}", freq="Q").end_time.normalize()


def _read_status(
    path: Path, known: set[int], issues: IssueLog, ledger: Ledger, spec: dict = STATUS_SPEC
) -> pd.DataFrame:
    cells, sheet = read_cells(path, STATUS_SHEET)
    src = path.name
    hdr = find_header_row(cells, spec["status"])
    if hdr is None:
        raise StructuralError(
            "", [Problem("không tìm thấy dòng tiêu đề (cột «Trạng thái»)", file=src, sheet=sheet)]
        )
    headers = [normalise_text(v) or "" for v in cells.iloc[hdr].tolist()]
    mp, _ = map_columns(headers, spec, required=STATUS_REQUIRED, file=src, sheet=sheet, header_row=hdr)
    ledger.add(src, "skipped", hdr + 1, "dòng tiêu đề", sheet)
    body = cells.iloc[hdr + 1 :]
    when, when_bad = parse_datetimes(body[mp["updated_at"]])
    q_end = _quarter_end(path)
    q_label = f"{q_end.year}-Q{q_end.quarter}" if q_end is not None else None
    rows, n_blank, n_rej = [], 0, 0
    for pos, (i, rec) in enumerate(body.iterrows()):
        r = int(i) + 1
        if _blank(rec.tolist()):
            n_blank += 1
            continue

        def log(rule, msg, col, severity="error"):
            issues.add(
                rule,
                msg,
                severity=severity,
                source=src,
                sheet=sheet,
                row=r,
                code=str(no or ""),
                cell=excel_cell(r, mp[col] + 1),
                column=headers[mp[col]],
                value=normalise_text(rec[mp[col]]) or "",
            )

        no = _task_no(rec[mp["task_no"]])
        status = STATUSES.get(fold(rec[mp["status"]] or ""))
        ok = True
        if no is None or no not in known:
            log("task_status_unknown_task", "Số thứ tự không có trong danh sách nhiệm vụ.", "task_no")
            ok = False
        if status is None:
            log(
                "task_status_unknown", f"Trạng thái phải là «{DONE}», «{ON_TRACK}» hoặc «{BEHIND}».", "status"
            )
            ok = False
        at = when.iloc[pos]
        if ok and pd.isna(at):
            if q_end is None:
                log("task_status_no_date", "Thiếu hoặc sai ngày cập nhật.", "updated_at")
                ok = False
            else:
                log(
                    "task_status_no_date",
                    f"Thiếu hoặc sai ngày cập nhật; coi là ngày cuối quý {q_end:%d/%m/%Y}.",
                    "updated_at",
                    severity="warning",
                )
                at = q_end
        if not ok:
            n_rej += 1
            continue
        note = scrub_text(normalise_text(rec[mp["note"]])) if "note" in mp else None
        rows.append(
            {
                "task_no": no,
                "status": status,
                "updated_at": at,
                "status_period": q_label,
                "note": note,
                "status_source": src,
                "status_row": r,
            }
        )
    ledger.add(src, "skipped", n_blank, "dòng trống", sheet)
    ledger.add(src, "rejected", n_rej, "dòng lỗi (xem bảng vấn đề dữ liệu)", sheet)
    ledger.add(src, "used", len(rows), "", sheet)
    return pd.DataFrame(rows, columns=UPDATE_COLUMNS)
