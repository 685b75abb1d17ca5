"""Finishing the root-cause table: plan-task status, the corrective action and its deadline.

* :func:`finish_table` adds to the rows of :mod:`parlib.analysis.rootcause` the task status at
  the time (latest status of each plan task of the sub-criterion), and the corrective action of
  the editable rule table (:func:`parlib.analysis.actions.propose_actions`) with the numbers it
  needs (late dossiers now and allowed per quarter, missing apology letters, dossiers short of
  the target) and the deadline implied by the plan.
* :func:`driver_text` words one model term for the evidence column.

Everything comes in as frames (the pipeline loads the rule table, plan tasks and targets).
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from parlib.analysis.actions import max_count_for_rate, propose_actions
from parlib.core.labels import CHANNEL_VI, DEPARTMENT_FIGURES, FACTOR_VI
from parlib.core.numbers import is_missing
from parlib.core.text import without_procedure_codes
from parlib.core.vnformat import MISSING, fmt_num, fmt_pct
from parlib.model.action_rules import parse_task_list


def _p(p) -> str:
    if is_missing(p):
        return MISSING
    return "< 0,001" if p < 0.001 else fmt_num(p, 3)


def _has(x) -> bool:
    """A present, non-blank value (NaN and '' are absent)."""
    return not is_missing(x) and str(x).strip() != ""


def _tasks(text) -> list[int]:

    try:
        return parse_task_list(text)
    except ValueError:
        return []


# ---------------------------------------------------------------- finishing the table


def task_status_text(plan_tasks: str, progress: pd.DataFrame | None) -> str:
    """'Nhiệm vụ 10: Chậm tiến độ; nhiệm vụ 8: Đúng tiến độ' from ``parlib.tasks.task_progress``."""
    nos = _tasks(plan_tasks)
    if not nos:
        return "Không gắn nhiệm vụ của Kế hoạch"
    if progress is None or progress.empty:
        return "Chưa có báo cáo tiến độ nhiệm vụ"
    p = progress.assign(task_no=pd.to_numeric(progress["task_no"], errors="coerce")).set_index("task_no")
    out = []
    for no in nos:
        if no not in p.index:
            out.append(f"nhiệm vụ {no}: không có trong danh sách")
            continue
        r = p.loc[no]
        st = r.get("latest_status")
        st = "chưa cập nhật tiến độ" if is_missing(st) or not str(st).strip() else str(st)
        if bool(r.get("is_late", False)) and "chậm" not in st.lower():
            st += " (quá hạn)"
        out.append(f"nhiệm vụ {no}: {st}")
    text = "; ".join(out)
    return text[:1].upper() + text[1:]


def _n_quarters(row: dict) -> int:
    period = str(row.get("period") or "")
    if "-Q" in period:
        return 1
    label = str(row.get("period_label") or "")
    first = label.split(" ")[0]
    return max(1, int(first) // 3) if first.isdigit() else 4


def _value_for_office(row: dict, subject: str):
    v = row.get("measure_after")
    if is_missing(v):
        return v
    if row.get("measure") not in DEPARTMENT_FIGURES and (
        row.get("segment_dimension") == "office_name" or _has(row.get("segment"))
    ):
        return v
    return f"{fmt_pct(float(v), 1)} chung cả {subject}"


def _action_inputs(row: dict, targets: dict, rule_keys: set, subject: str = "đơn vị") -> dict:
    """Placeholders of the action templates for one cause row. ``subject``: the unit's word in
    sentences («Sở»): a department-wide value given to an office's action says it is the whole
    unit's («84,8 % chung cả Sở»), never passed off as the office's own."""

    measure = row.get("measure") or ""
    is_factor = measure and measure not in rule_keys and row.get("segment_dimension") == "channel"
    key = (
        measure
        if measure in rule_keys
        else ("satisfaction_pct" if is_factor else row.get("reason_category") or "*")
    )
    office = (
        row["segment"]
        if row.get("segment_dimension") == "office_name" and _has(row.get("segment"))
        else row.get("owner_office")
    )
    target = targets.get(measure if not is_factor else "satisfaction_pct", row.get("target_pct"))
    target = None if is_missing(target) else float(target)
    seg = row.get("segment") or row.get("period_label")
    if _has(row.get("top_procedures")):
        names = without_procedure_codes(row["top_procedures"])
        seg = names if row.get("mix_or_performance") == "mix" else f"thủ tục của phòng (nhiều nhất: {names})"
    if measure == "satisfaction_pct" or is_factor:
        seg = (row.get("measure_label") or measure) + (
            f", kênh {row['segment']}" if _has(row.get("segment")) else ""
        )
    out = {
        "kpi_or_category": key,
        "office": office,
        "segment": seg,
        "points": row.get("points_explained"),
        "code": row["code"],
        "name": row.get("name"),
        "value_pct": _value_for_office(row, subject),
        "target_pct": target,
        "plan_tasks": row.get("plan_tasks"),
    }
    k, n = row.get("k_after"), row.get("n_after")
    if (
        not is_missing(n)
        and n
        and not is_missing(k)
        and row.get("mix_or_performance") not in ("mix", "noise")
    ):
        nq = _n_quarters(row)
        if measure == "on_time_pct" and target is not None:
            out["late_now"] = int(round((n - k) / nq))
            out["late_target"] = max_count_for_rate(n / nq, target)
        if measure == "apology_pct":
            out["missing_apologies"] = int(n - k)
        if target is not None and measure not in ("on_time_pct", "apology_pct"):
            out["gap_dossiers"] = max(0, int(math.ceil(target * n / 100 / nq - k / nq - 1e-9)))
    return out


def finish_table(
    table: pd.DataFrame,
    *,
    annual=None,
    quarterly=None,
    rules: pd.DataFrame,
    tasks: pd.DataFrame,
    targets: dict[str, float],
    report_date=None,
    regained: list | None = None,
) -> pd.DataFrame:
    """Add task_status, action_text, action_due (date) and action_deadline (dd/mm/yyyy;
    :func:`dated_deadline` from ``report_date``, default the period's end). ``regained``: per row,
    the points its action wins back by the rule (``parlib.analysis.rootcause.regain``; None: not
    computable, the row's points_explained is said instead)."""

    out = table.copy()
    if out.empty:
        return out
    progress = quarterly.task_progress if quarterly is not None else None
    out["task_status"] = [task_status_text(t, progress) for t in out["plan_tasks"]]
    keys = set(rules["kpi_or_category"])
    res = quarterly if quarterly is not None else annual
    subject = res.unit.subject if res is not None and getattr(res, "unit", None) is not None else "đơn vị"
    rows = out.to_dict("records")
    causes = pd.DataFrame([_action_inputs(r, targets, keys, subject) for r in rows], index=out.index)
    if regained is not None:  # what fixing the office's shortfall wins back, by the rule (0: nothing alone)
        causes["points"] = [
            (w if w > 0 else None) if w is not None else p for w, p in zip(regained, causes["points"])
        ]
    as_of = quarterly.period.end.normalize() if quarterly is not None else None
    cal = quarterly.calendar if quarterly is not None else None
    when = report_date if report_date is not None else (as_of if as_of is not None else pd.Timestamp.today())
    # a quarterly action recovers points of the year being scored: due before that year ends
    cutoff = (
        pd.Timestamp(year=quarterly.period.year, month=12, day=31) if annual is None and quarterly else None
    )
    acts = propose_actions(
        causes, rules, tasks, as_of=as_of, dated=lambda d: dated_deadline(d, when, cal, cutoff=cutoff)
    )
    out["action_text"] = acts["action_text"].to_numpy()
    out["action_due"] = acts["deadline_date"].to_numpy()
    out["action_deadline"] = acts["deadline_text"].to_numpy()
    return out


def dated_deadline(plan_due, report_date, calendar=None, cutoff=None) -> pd.Timestamp:
    """The date an action is due (decision, issue 15): the last working day of the month after
    the report date, or the plan task's due date when that is earlier and still ahead — never a
    word ("thường xuyên") and never a date already past on the report date. ``cutoff``: the last
    day that still counts for the points at stake (a quarterly report: 31/12 of the scored year);
    when it is still ahead, the action is due by its last working day at the latest.
    ``calendar``: a :class:`parlib.core.calendar.WorkCalendar` (else Monday–Friday)."""
    day = pd.Timestamp(report_date).normalize()
    end = _last_working_day(day + pd.offsets.MonthBegin(1) + pd.offsets.MonthEnd(1), calendar)
    if cutoff is not None and not pd.isna(cutoff):
        last = _last_working_day(pd.Timestamp(cutoff).normalize(), calendar)
        end = min(end, last) if last > day else end
    if plan_due is not None and not pd.isna(plan_due) and day < pd.Timestamp(plan_due).normalize() < end:
        return _last_working_day(pd.Timestamp(plan_due).normalize(), calendar)
    return end


def _last_working_day(day: pd.Timestamp, calendar) -> pd.Timestamp:
    """``day`` if it is a working day, else the working day before it."""
    for back in range(0, 15):
        d = day - pd.Timedelta(days=back)
        days = np.array([d.to_datetime64()], dtype="datetime64[D]")
        known = calendar is not None and bool(calendar.is_covered(days)[0])
        if bool(calendar.is_working_day(days)[0]) if known else d.weekday() < 5:
            return d
    return day


# ---------------------------------------------------------------- text


def _level(factor: str, level: str) -> str:
    if factor == "channel":
        return CHANNEL_VI.get(str(level), str(level))
    return str(level)


def driver_text(r: dict) -> str:
    """One Holm-surviving GLM term in Vietnamese (odds ratio with its 95 % interval)."""
    what = FACTOR_VI.get(r["factor"], r["factor"])
    name = (
        f"{what} «{_level(r['factor'], r['level'])}» (so với «{_level(r['factor'], r['reference'])}»)"
        if r.get("level")
        else what
    )
    return (
        f"{name}: tỷ số chênh {fmt_num(r['odds_ratio'])} (KTC 95 %: {fmt_num(r['or_ci_low'])}–"
        f"{fmt_num(r['or_ci_high'])}; p hiệu chỉnh Holm {_p(r['p_adjusted'])})"
    )
