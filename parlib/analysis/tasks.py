"""Progress of the plan tasks at a date and the tasks-on-time KPI, overall and by lead office."""

from __future__ import annotations

import numpy as np
import pandas as pd

from parlib.analysis.stats import add_rate
from parlib.core.numbers import is_blank
from parlib.core.vnformat import fmt_date
from parlib.model.tasks import BEHIND, DONE, NOT_UPDATED

# ---------------------------------------------------------------- progress

NO_DEADLINE = "Chưa xác định thời hạn"

PROGRESS_COLUMNS = [
    "task_no",
    "task_name",
    "lead_office",
    "partners",
    "due_date",
    "time_frame",
    "latest_status",
    "updated_at",
    "note",
    "is_updated",
    "is_done",
    "is_past_due",
    "is_late",
    "is_on_time",
]


def task_progress(tasks: pd.DataFrame, as_of) -> pd.DataFrame:
    """One row per task with its latest status at ``as_of`` (rules in the module docstring).

    Columns: PROGRESS_COLUMNS (``latest_status`` is one of Hoàn thành / Đúng tiến độ /
    Chậm tiến độ / Chưa cập nhật; booleans as described). Sorted by ``task_no``.
    """
    as_of = pd.Timestamp(as_of).normalize()
    base = tasks.drop_duplicates("task_no").reindex(
        columns=["task_no", "task_name", "lead_office", "partners", "due_date", "time_frame"]
    )
    as_of_q = f"{as_of.year}-Q{as_of.quarter}"
    dated_q = (
        tasks["updated_at"].dt.year.astype("Int64").astype(str)
        + "-Q"
        + tasks["updated_at"].dt.quarter.astype("Int64").astype(str)
    )
    period = tasks["status_period"].where(tasks["status_period"].notna(), dated_q)
    eligible = tasks["status"].notna() & np.where(
        tasks["status_period"].notna(),
        tasks["status_period"] <= as_of_q,
        tasks["updated_at"] < as_of + pd.Timedelta(days=1),
    )
    upd = tasks.loc[eligible, ["task_no", "status", "updated_at", "note"]].assign(_period=period[eligible])
    latest = (
        upd.sort_values(["task_no", "_period", "updated_at"], kind="stable")
        .drop_duplicates("task_no", keep="last")
        .drop(columns="_period")
    )
    out = base.merge(latest, on="task_no", how="left").sort_values("task_no").reset_index(drop=True)
    out["is_updated"] = out["status"].notna().to_numpy(dtype=bool)
    out["latest_status"] = out["status"].fillna(NOT_UPDATED).astype("str")
    out["is_done"] = (out["latest_status"] == DONE).to_numpy(dtype=bool)
    out["is_past_due"] = (out["due_date"].notna() & (out["due_date"] < as_of)).to_numpy(dtype=bool)
    out["is_late"] = (~out["is_done"] & out["is_past_due"]) | (out["latest_status"] == BEHIND)
    out["is_on_time"] = out["is_updated"] & ~out["is_late"]
    return out[PROGRESS_COLUMNS]


def deadline_labels(progress: pd.DataFrame) -> pd.Series:
    """The deadline of each task as the plan gives it: its date (dd/mm/yyyy) when it has one,
    else its time frame as written in the plan ("Thường xuyên", "Hàng quý", "Định kỳ" …), else
    "Chưa xác định thời hạn" — never blank."""
    frame = (
        progress["time_frame"] if "time_frame" in progress.columns else pd.Series(None, index=progress.index)
    )
    dated = pd.to_datetime(progress["due_date"]).map(lambda d: None if pd.isna(d) else fmt_date(d))
    text = frame.map(lambda v: None if is_blank(v) else str(v).strip())
    return dated.fillna(text).fillna(NO_DEADLINE).astype(object)


def has_status_for(tasks: pd.DataFrame, period_key: str) -> bool:
    """Whether the task table (:func:`parlib.ingest.tasks.read_tasks`) holds a status update of
    the quarter ``period_key`` ("2026-Q3"): from a status file of that quarter, or dated in it."""
    if tasks.empty or "status" not in tasks.columns:
        return False
    dated_q = (
        tasks["updated_at"].dt.year.astype("Int64").astype(str)
        + "-Q"
        + tasks["updated_at"].dt.quarter.astype("Int64").astype(str)
    )
    period = tasks["status_period"].where(tasks["status_period"].notna(), dated_q)
    return bool((tasks["status"].notna() & (period == period_key)).any())


def tasks_kpi(progress: pd.DataFrame, *, has_status: bool = True, missing_note: str = "") -> pd.DataFrame:
    """KPI ``tasks_on_time_pct``: one row with ``kpi``, ``k`` (on-time tasks), ``n`` (all
    tasks), ``n_not_updated``, ``n_late``, ``pct``, ``ci_low_pct``, ``ci_high_pct``,
    ``is_small_sample`` (Wilson interval; NaN when there is no task).

    ``has_status=False`` (no status update for the quarter, :func:`has_status_for`): missing is
    not zero — ``k = n = 0``, ``pct`` NaN and ``missing_note`` (Vietnamese, naming the missing
    file), which :func:`parlib.analysis.targets.kpi_status` turns into "Chưa có số liệu"."""
    if not has_status:
        return add_rate(
            pd.DataFrame(
                {
                    "kpi": ["tasks_on_time_pct"],
                    "k": [0],
                    "n": [0],
                    "n_not_updated": [0],
                    "n_late": [0],
                    "missing_note": [missing_note or "Chưa có báo cáo tiến độ nhiệm vụ của quý."],
                }
            )
        )
    row = pd.DataFrame(
        {
            "kpi": ["tasks_on_time_pct"],
            "k": [int(progress["is_on_time"].sum())],
            "n": [len(progress)],
            "n_not_updated": [int((~progress["is_updated"]).sum())],
            "n_late": [int(progress["is_late"].sum())],
        }
    )
    return add_rate(row)


def late_by_office(progress: pd.DataFrame) -> pd.DataFrame:
    """Per lead office: ``n_tasks``, ``n_done``, ``n_on_time``, ``n_late``, ``n_not_updated``
    and the on-time rate (``k`` = n_on_time, ``n`` = n_tasks, ``pct``, Wilson CI). Sorted by
    ``n_late`` descending, then office name."""
    g = progress.assign(
        lead_office=progress["lead_office"].fillna("(chưa giao)"), not_updated=~progress["is_updated"]
    )
    out = (
        g.groupby("lead_office", sort=True)
        .agg(
            n_tasks=("task_no", "size"),
            n_done=("is_done", "sum"),
            n_on_time=("is_on_time", "sum"),
            n_late=("is_late", "sum"),
            n_not_updated=("not_updated", "sum"),
        )
        .reset_index()
    )
    out = add_rate(out.assign(k=out["n_on_time"], n=out["n_tasks"]))
    return out.sort_values(["n_late", "lead_office"], ascending=[False, True], kind="stable").reset_index(
        drop=True
    )
