"""Figures of the periodic CCHC report over an official data window (domain brief §8).

Every figure uses the counting basis of the quarterly report, with the window's first and last
day in place of the quarter's:

* dossiers: :func:`parlib.analysis.kpi.classify_dossiers` over [start, end] and
  :func:`parlib.analysis.kpi.dossier_kpis` (each dossier once per window; processing KPIs over
  the dossiers received by the end and not finished before the start, receipt KPIs over the
  dossiers received in the window, unfinished dossiers judged at the window's last day);
* feedback (PAKN): :func:`parlib.analysis.feedback.feedback_status` judged at the window's last
  day, over the PAKN received in the window (on time among those judged, as in the quarter);
* plan tasks: :func:`parlib.analysis.tasks.task_progress` at the window's last day and
  :func:`parlib.analysis.tasks.tasks_kpi` (the plan's KPI: on-time tasks of all tasks); besides,
  the tasks *due* by the window's last day (a fixed due date on or before it) and how many of
  them are done ("Hoàn thành"), by lead office;
* survey: the respondents surveyed in the window (``Ngày khảo sát``); satisfied = overall answer
  at or above the scale's "satisfied" level (as the quarterly ``satisfaction_pct``); respondents
  without a survey date are left out and counted;
* targets: :func:`parlib.analysis.targets.kpi_status` with the plan's targets.

Frames in, frames out: the pipeline (:mod:`parlib.pipelines.periodic`) reads the files.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from parlib.analysis.feedback import feedback_status
from parlib.analysis.headline import STATUS_COLUMNS
from parlib.analysis.kpi import classify_dossiers, dossier_kpis
from parlib.analysis.periodic_actions import shortfalls, window_actions
from parlib.analysis.stats import add_rate
from parlib.analysis.targets import kpi_status
from parlib.analysis.tasks import has_status_for, task_progress, tasks_kpi
from parlib.core.labels import KPI_LABELS, MEASURE_LABELS, UNKNOWN_OFFICE
from parlib.core.text import fill_text
from parlib.core.vnformat import quarter_label
from parlib.model.survey import SurveyConfig
from parlib.model.windows import ReportWindow

# dossier KPIs shown in the report besides those with a plan target
DOSSIER_KPIS = (
    "on_time_pct",
    "apology_pct",
    "system_updated_pct",
    "online_pct",
    "digitised_pct",
    "e_result_pct",
    "online_payment_pct",
)
NO_TASK_OFFICE = "(chưa giao)"
TASK_COUNTS = ("n_tasks", "n_due", "n_due_done", "n_late", "n_not_updated")


@dataclass
class WindowFigures:
    """Everything the periodic report says with a number, for one window.

    volume     dossier counts, one value per fact (:func:`dossier_volume`)
    kpis       one row per KPI (the dossier KPIs of DOSSIER_KPIS, feedback_on_time_pct,
               satisfaction_pct, tasks_on_time_pct when their source has data): kpi, label,
               k, n, pct, ci_low_pct, ci_high_pct, target_pct (NaN without target), status
               (met / at_risk / missed / not_applicable / no_target), status_vi, gap_text
    offices    per office: office, handled, on_time, late, owes_apology, apology, not_updated
               (the rates' numerators and denominators; they add up to the department's)
    feedback   {k, n, n_total, n_pending} or None; feedback_offices: office, n_total, n, k, late
    tasks      {n_tasks, n_due, n_due_done, n_late, n_not_updated} or None; tasks_by_office:
               lead_office, n_tasks, n_due, n_due_done, n_late, n_not_updated, n_on_time; late_tasks:
               task_no, task_name, lead_office, due_date, latest_status; task_progress: one row
               per task (:func:`parlib.analysis.tasks.task_progress` plus is_due, is_due_done)
    survey     {k, n, n_respondents, n_undated, factors: [{code, name, k, n, pct}]} or None
    shortfalls one dict per KPI that misses its target (see :func:`shortfalls`)
    actions    one row per shortfall: kpi, owner, action_text, deadline_date, deadline_text,
               deadline_basis, is_drafted (False: the analyst must write it)
    previous   the same window one year earlier (``previous_window``; set by the pipeline when
               the data cover it): kpi, k, n, pct (:mod:`parlib.analysis.periodic_previous`)
    """

    window: ReportWindow
    volume: dict
    kpis: pd.DataFrame
    offices: pd.DataFrame
    feedback: dict | None = None
    feedback_offices: pd.DataFrame = field(default_factory=pd.DataFrame)
    tasks: dict | None = None
    tasks_by_office: pd.DataFrame = field(default_factory=pd.DataFrame)
    late_tasks: pd.DataFrame = field(default_factory=pd.DataFrame)
    task_progress: pd.DataFrame = field(default_factory=pd.DataFrame)
    survey: dict | None = None
    shortfalls: list[dict] = field(default_factory=list)
    actions: pd.DataFrame = field(default_factory=pd.DataFrame)
    previous_window: ReportWindow | None = None
    previous: pd.DataFrame = field(default_factory=pd.DataFrame)


# ---------------------------------------------------------------- dossiers


def window_dossiers(dossiers: pd.DataFrame, calendar, window: ReportWindow, rules=None):
    """(classified, department KPIs, office table, volume) of the dossiers over ``window``."""
    c = classify_dossiers(dossiers, calendar, window.end, period_start=window.start, rules=rules)
    c = c.assign(office_name=fill_text(c["office_name"], UNKNOWN_OFFICE))
    total = dossier_kpis(c, kpis=list(DOSSIER_KPIS), period=window.key)
    by = dossier_kpis(c, by=["office_name"], kpis=["on_time_pct", "apology_pct", "system_updated_pct"])
    wide = by.pivot_table(index="office_name", columns="kpi", values=["k", "n"], aggfunc="sum")
    if wide.empty:  # no dossier in the window
        wide = pd.DataFrame(
            0,
            index=pd.Index([], name="office_name", dtype="str"),
            columns=pd.MultiIndex.from_product(
                [["k", "n"], ["on_time_pct", "apology_pct", "system_updated_pct"]]
            ),
        )
    offices = pd.DataFrame(
        {
            "office": wide.index.astype(str),
            "handled": wide[("n", "on_time_pct")].to_numpy(dtype=np.int64),
            "on_time": wide[("k", "on_time_pct")].to_numpy(dtype=np.int64),
            "owes_apology": wide[("n", "apology_pct")].to_numpy(dtype=np.int64),
            "apology": wide[("k", "apology_pct")].to_numpy(dtype=np.int64),
            "updated_of": wide[("n", "system_updated_pct")].to_numpy(dtype=np.int64),
            "not_updated": (wide[("n", "system_updated_pct")] - wide[("k", "system_updated_pct")]).to_numpy(
                dtype=np.int64
            ),
        }
    )
    offices["late"] = offices["handled"] - offices["on_time"]
    offices = offices.loc[(offices["handled"] > 0) | (offices["updated_of"] > 0)]
    offices = offices.sort_values(["late", "office"], ascending=[False, True], kind="stable").reset_index(
        drop=True
    )
    return c, total, offices, dossier_volume(c, window)


LATE_REASONS = ("finished_after_due", "multiple_supplements", "overdue_unfinished")


def dossier_volume(c: pd.DataFrame, window: ReportWindow) -> dict:
    """The dossier counts of the window, one value per fact (``c``: classified over it).

    received            received in the window (``received_judged`` of them have an outcome,
                        ``stale_received`` have none in the exports and are left out)
    carried_over        received before the window, unfinished at its start, with an outcome
                        (``stale_carried_over``: the same without an outcome, left out)
    handled             judged in the window = received_judged + carried_over
    late                judged late; ``late_reasons`` splits them, one reason each in the
                        classification's order: multiple supplements, else finished after the
                        due date, else unfinished and overdue at the window's last day
    late_unfinished     late and still unfinished at the window's last day (any reason)
    overdue_unfinished  = late_reasons["overdue_unfinished"]
    """
    before = c["received_at"] < window.start
    proc = c["in_processing_scope"] & ~c["is_stale"]
    known = proc & c["outcome"].ne("unknown")
    late = known & c["is_late"]
    counts = c.loc[late, "late_reason"].value_counts()
    reasons = {r: int(counts[r]) for r in LATE_REASONS if counts.get(r, 0)}
    return {
        "received": int(c["is_received_in_period"].sum()),
        "handled": int(proc.sum()),
        "carried_over": int((proc & before).sum()),
        "finished": int((proc & c["is_finished"]).sum()),
        "unfinished": int((proc & ~c["is_finished"]).sum()),
        "late": int(late.sum()),
        "overdue_unfinished": reasons.get("overdue_unfinished", 0),
        "unknown": int((proc & ~known).sum()),
        "stale_received": int((c["is_received_in_period"] & c["is_stale"]).sum()),
        "late_reasons": reasons,
        "received_judged": int((c["is_received_in_period"] & proc).sum()),
        "late_unfinished": int((late & ~c["is_finished"]).sum()),
        "stale_carried_over": int((c["in_processing_scope"] & c["is_stale"] & before).sum()),
    }


# ---------------------------------------------------------------- feedback, tasks, survey


def window_feedback(feedback: pd.DataFrame, calendar, window: ReportWindow):
    """({k, n, n_total, n_pending}, per office table) of the PAKN received in the window, judged
    at its last day; (None, empty) without feedback."""
    if feedback is None or feedback.empty:
        return None, pd.DataFrame()
    st = feedback_status(feedback, calendar, window.end)
    st = st.loc[st["received_at"] >= window.start]
    st = st.assign(
        office=st["office_name"].fillna(UNKNOWN_OFFICE),
        judged=st["status"].ne("pending"),
        on_time=st["status"].eq("on_time"),
    )
    total = {
        "k": int(st["on_time"].sum()),
        "n": int(st["judged"].sum()),
        "n_total": int(len(st)),
        "n_pending": int((~st["judged"]).sum()),
    }
    by = (
        st.groupby("office", sort=True)
        .agg(n_total=("feedback_id", "size"), n=("judged", "sum"), k=("on_time", "sum"))
        .reset_index()
    )
    by["late"] = by["n"] - by["k"]
    by = by.sort_values(["late", "office"], ascending=[False, True], kind="stable").reset_index(drop=True)
    return total, by.astype({"n_total": "int64", "n": "int64", "k": "int64", "late": "int64"})


def window_tasks(tasks: pd.DataFrame, window: ReportWindow):
    """(totals, KPI row, per lead office table, late tasks, progress of every task with
    ``is_due``) at the window's last day; (None, …) without a task list. Without a status
    update of the quarter holding the window's last day (``totals["has_status"]`` False), the
    KPI is "no data" (never 0 %), as in the quarterly report."""
    if tasks is None or tasks.empty:
        return None, pd.DataFrame(), pd.DataFrame(), pd.DataFrame(), pd.DataFrame()
    prog = task_progress(tasks, window.end)
    prog = prog.assign(
        lead_office=prog["lead_office"].fillna(NO_TASK_OFFICE),
        is_due=(prog["due_date"].notna() & (prog["due_date"] <= window.end)).to_numpy(dtype=bool),
        not_updated=~prog["is_updated"],
    )
    prog["is_due_done"] = prog["is_due"] & prog["is_done"]
    y, q = window.end.year, window.end.quarter
    has_status = has_status_for(tasks, f"{y}-Q{q}")
    by = (
        prog.groupby("lead_office", sort=True)
        .agg(
            n_tasks=("task_no", "size"),
            n_due=("is_due", "sum"),
            n_due_done=("is_due_done", "sum"),
            n_late=("is_late", "sum"),
            n_not_updated=("not_updated", "sum"),
            n_on_time=("is_on_time", "sum"),
        )
        .reset_index()
        .astype({c: "int64" for c in TASK_COUNTS + ("n_on_time",)})
    )
    by = by.sort_values(["n_late", "lead_office"], ascending=[False, True], kind="stable").reset_index(
        drop=True
    )
    totals = {c: int(by[c].sum()) for c in TASK_COUNTS}
    totals["has_status"] = has_status
    late = prog.loc[prog["is_late"], ["task_no", "task_name", "lead_office", "due_date", "latest_status"]]
    note = (
        ""
        if has_status
        else f"Chưa có số liệu: thiếu tệp tiến độ nhiệm vụ {quarter_label(y, q)} (tasks/tien_do_{y}_Q{q}.xlsx)."
    )
    return (
        totals,
        tasks_kpi(prog, has_status=has_status, missing_note=note),
        by,
        late.reset_index(drop=True),
        prog,
    )


def window_survey(survey, window: ReportWindow, config: SurveyConfig = SurveyConfig()) -> dict | None:
    """Overall satisfaction of the respondents surveyed in the window and, per factor, the share
    of satisfied answers to its items; None without survey data."""
    if survey is None or survey.responses.empty:
        return None
    r = survey.responses
    dated = r["surveyed_at"].notna()
    inside = (
        dated & (r["surveyed_at"] >= window.start) & (r["surveyed_at"] < window.end + pd.Timedelta(days=1))
    )
    sel = r.loc[inside]
    answered = sel["overall"].notna()
    keys = set(sel["respondent_key"])
    a = survey.answers.loc[survey.answers["respondent_key"].isin(keys)].dropna(subset=["answer"])
    a = a.assign(ok=a["answer"] >= config.satisfied_min)
    fac = a.groupby("factor_code", sort=True)["ok"].agg(["sum", "count"]).reset_index()
    return {
        "k": int((sel.loc[answered, "overall"] >= config.satisfied_min).sum()),
        "n": int(answered.sum()),
        "n_respondents": int(len(sel)),
        "n_undated": int((~dated).sum()),
        "factors": [
            {"code": str(f.factor_code), "k": int(f.sum), "n": int(f.count)}
            for f in fac.itertuples(index=False)
        ],
    }


def office_rates(
    classified: pd.DataFrame, feedback_offices: pd.DataFrame, tasks_by_office: pd.DataFrame
) -> pd.DataFrame:
    """Each office's own figure of every KPI that has one over the window: ``kpi``, ``office``,
    ``k``, ``n``, ``pct`` — the dossier KPIs by handling office (the counts of the office
    table), PAKN on time by handling office, plan tasks on time by lead office."""
    parts = []
    if not classified.empty:
        by = dossier_kpis(classified, by=["office_name"], kpis=list(DOSSIER_KPIS))
        parts.append(by.rename(columns={"office_name": "office"})[["kpi", "office", "k", "n"]])
    if not feedback_offices.empty:
        parts.append(feedback_offices[["office", "k", "n"]].assign(kpi="feedback_on_time_pct"))
    if not tasks_by_office.empty:
        t = tasks_by_office.rename(columns={"lead_office": "office", "n_on_time": "k", "n_tasks": "n"})
        parts.append(t[["office", "k", "n"]].assign(kpi="tasks_on_time_pct"))
    if not parts:
        return pd.DataFrame(columns=["kpi", "office", "k", "n", "pct"])
    out = pd.concat(parts, ignore_index=True)[["kpi", "office", "k", "n"]]
    out = out.astype({"office": str, "k": "int64", "n": "int64"})
    out["pct"] = np.where(out["n"] > 0, 100 * out["k"] / out["n"].where(out["n"] > 0, 1), np.nan)
    return out


# ---------------------------------------------------------------- targets


def _row(kpi: str, k: int, n: int, label: str, missing_note: str = "") -> dict:
    return {"kpi": kpi, "k": int(k), "n": int(n), "label": label, "missing_note": missing_note}


def window_kpis(
    total: pd.DataFrame, feedback, survey, task_kpi, targets: pd.DataFrame, window
) -> pd.DataFrame:
    """One row per KPI of the window with its target status (see WindowFigures.kpis)."""
    rows = [_row(r["kpi"], r["k"], r["n"], r["label"]) for r in total.to_dict("records")]
    # (missing_note: the tasks KPI of a window whose quarter has no status file — no data, not 0 %)
    if feedback is not None:
        rows.append(
            _row("feedback_on_time_pct", feedback["k"], feedback["n"], MEASURE_LABELS["feedback_on_time_pct"])
        )
    if survey is not None:
        rows.append(_row("satisfaction_pct", survey["k"], survey["n"], MEASURE_LABELS["satisfaction_pct"]))
    if task_kpi is not None and not task_kpi.empty:
        t = task_kpi.iloc[0]
        note = t["missing_note"] if "missing_note" in t and isinstance(t["missing_note"], str) else ""
        rows.append(_row("tasks_on_time_pct", t["k"], t["n"], MEASURE_LABELS["tasks_on_time_pct"], note))
    df = add_rate(pd.DataFrame(rows))
    df = df.assign(
        period_kind="window", period=window.key, period_label=window.label, dimension="all", group="Tất cả"
    )
    st = kpi_status(
        df[[c for c in STATUS_COLUMNS + ["period_label", "missing_note"] if c in df.columns]], targets
    )
    out = df.merge(
        st[["kpi", "target_pct", "comparison", "status", "status_vi", "gap_text", "gap_count"]],
        on="kpi",
        how="left",
    )
    # no target at all leaves float NaN columns: fill as text
    out["status"] = out["status"].astype(object).fillna("no_target")
    out["status_vi"] = out["status_vi"].astype(object).fillna("Không có chỉ tiêu")
    out["gap_text"] = out["gap_text"].astype(object).fillna("")
    order = {
        k: i
        for i, k in enumerate(
            list(KPI_LABELS) + ["feedback_on_time_pct", "satisfaction_pct", "tasks_on_time_pct"]
        )
    }
    return out.sort_values("kpi", key=lambda s: s.map(order), kind="stable").reset_index(drop=True)


# ---------------------------------------------------------------- everything


def window_figures(
    window: ReportWindow,
    windows: list[ReportWindow],
    *,
    dossiers: pd.DataFrame,
    calendar,
    kpi_rules,
    targets: pd.DataFrame,
    feedback: pd.DataFrame | None = None,
    tasks: pd.DataFrame | None = None,
    survey=None,
    survey_items: pd.DataFrame | None = None,
    action_rules: pd.DataFrame | None = None,
    survey_config: SurveyConfig = SurveyConfig(),
) -> WindowFigures:
    """Every figure of the periodic report over ``window`` (rules: module docstring)."""
    classified, total, offices, volume = window_dossiers(dossiers, calendar, window, kpi_rules)
    fb, fb_off = window_feedback(feedback, calendar, window)
    t_tot, t_kpi, t_off, t_late, t_prog = window_tasks(tasks, window)
    sv = window_survey(survey, window, survey_config)
    if sv is not None and survey_items is not None and not survey_items.empty:
        names = dict(zip(survey_items["factor_code"].astype(str), survey_items["factor_name"]))
        for f in sv["factors"]:
            f["name"] = names.get(f["code"], f["code"])
    kpis = window_kpis(total, fb, sv, t_kpi, targets, window)
    fig = WindowFigures(
        window=window,
        volume=volume,
        kpis=kpis,
        offices=offices,
        feedback=fb,
        feedback_offices=fb_off,
        tasks=t_tot,
        tasks_by_office=t_off,
        late_tasks=t_late,
        task_progress=t_prog,
        survey=sv,
    )
    fig.shortfalls = shortfalls(fig)
    if action_rules is not None and tasks is not None and not tasks.empty:
        plan = tasks.drop_duplicates("task_no")
        rates = office_rates(classified, fb_off, t_off)
        fig.actions = window_actions(fig.shortfalls, action_rules, plan, windows, window, rates)
    return fig
