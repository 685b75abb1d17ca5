"""Shortfalls of the periodic CCHC report and the action proposed for each (with an owner, the
owner's own figure and a dated deadline); part of :mod:`parlib.analysis.periodic`."""

from __future__ import annotations

import numpy as np
import pandas as pd

from parlib.analysis.actions import propose_actions
from parlib.core.numbers import is_blank
from parlib.model.windows import ReportWindow, next_window

# ---------------------------------------------------------------- shortfalls and actions

_SHORT = ("missed", "at_risk")


def shortfalls(fig, top: int = 3) -> list[dict]:
    """One dict per KPI of ``fig`` (:class:`parlib.analysis.periodic.WindowFigures`) missing
    its target (status missed or at risk), with the facts behind it: ``kpi``, ``label``,
    ``k``, ``n``, ``pct``, ``target_pct``, ``status``, ``gap_text``, ``where`` (the groups that hold the shortfall, largest first: [{name, count, of}] — offices
    for dossiers and PAKN, lead offices for tasks, factors for the survey), ``owner`` (the first
    of them, for the action), ``reasons`` (late dossiers by reason, on-time KPI only),
    ``tasks`` (late task numbers, tasks KPI only)."""
    out = []
    for r in fig.kpis.loc[fig.kpis["status"].isin(_SHORT)].to_dict("records"):
        kpi = r["kpi"]
        item = {k: r[k] for k in ("kpi", "label", "k", "n", "pct", "target_pct", "status", "gap_text")}
        where: list[dict] = []
        if kpi in ("on_time_pct", "apology_pct", "system_updated_pct") and not fig.offices.empty:
            n_col, k_col = {
                "on_time_pct": ("handled", "on_time"),
                "apology_pct": ("owes_apology", "apology"),
                "system_updated_pct": ("updated_of", None),
            }[kpi]
            o = fig.offices
            miss = o["not_updated"] if k_col is None else o[n_col] - o[k_col]
            t = pd.DataFrame({"name": o["office"], "count": miss, "of": o[n_col]})
            where = (
                t.loc[t["count"] > 0]
                .sort_values(["count", "name"], ascending=[False, True])
                .head(top)
                .to_dict("records")
            )
            if kpi == "on_time_pct":
                item["reasons"] = dict(fig.volume.get("late_reasons", {}))
        elif kpi == "feedback_on_time_pct" and not fig.feedback_offices.empty:
            f = fig.feedback_offices
            t = pd.DataFrame({"name": f["office"], "count": f["late"], "of": f["n"]})
            where = t.loc[t["count"] > 0].head(top).to_dict("records")
        elif kpi == "tasks_on_time_pct" and not fig.tasks_by_office.empty:
            b = fig.tasks_by_office
            t = pd.DataFrame(
                {"name": b["lead_office"], "count": b["n_late"] + b["n_not_updated"], "of": b["n_tasks"]}
            )
            where = (
                t.loc[t["count"] > 0]
                .sort_values(["count", "name"], ascending=[False, True])
                .head(top)
                .to_dict("records")
            )
            item["tasks"] = [int(x) for x in fig.late_tasks["task_no"]] if not fig.late_tasks.empty else []
        elif kpi == "satisfaction_pct" and fig.survey:
            fs = [f for f in fig.survey["factors"] if f["n"] > 0]
            fs = sorted(fs, key=lambda f: (f["k"] / f["n"], f["code"]))[:1]
            where = [{"name": f.get("name") or f["code"], "count": f["n"] - f["k"], "of": f["n"]} for f in fs]
        for w in where:
            w["count"], w["of"] = int(w["count"]), int(w["of"])
        item["where"] = where
        item["owner"] = where[0]["name"] if where and kpi != "satisfaction_pct" else ""
        out.append(item)
    return out


def window_actions(
    items: list[dict],
    rules: pd.DataFrame,
    plan_tasks: pd.DataFrame,
    windows: list[ReportWindow],
    window,
    rates: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """One proposed action per shortfall, from the analyst's action rules
    (:func:`parlib.analysis.actions.propose_actions`, the table the quarterly report's actions
    come from), with an owner and a dated deadline.

    Owner: the office holding most of the shortfall, else the lead office of the rule's plan
    tasks. Deadline: the plan's date when it falls after the window's report deadline, else the
    last day of the next reporting window of the table ("before the next report"); none when
    neither exists (the draft asks the analyst). ``{value_pct}`` is the owner's own figure
    over the window (``rates``: :func:`office_rates`), never the department's: an action names
    its office, and its office has its own rate in the annex; the department's figure only when
    the action names no office. A rule whose text still has an empty placeholder (e.g. an owner
    with no figure of its own) is not used (``is_drafted`` False: the draft asks the analyst to
    write it).
    """
    cols = [
        "kpi",
        "label",
        "owner",
        "action_text",
        "deadline_date",
        "deadline_text",
        "deadline_basis",
        "is_drafted",
    ]
    if not items:
        return pd.DataFrame(columns=cols)
    segment = {i["kpi"]: (i["where"][0]["name"] if i["where"] else None) for i in items}
    causes = pd.DataFrame(
        {
            "kpi": [i["kpi"] for i in items],
            "value_pct": [i["pct"] for i in items],
            "target_pct": [i["target_pct"] for i in items],
            "segment": [segment[i["kpi"]] if i["kpi"] == "satisfaction_pct" else None for i in items],
        }
    )
    # the office placeholder is filled by the plan's lead office when no office holds the shortfall
    plan = propose_actions(causes, rules, plan_tasks, as_of=window.end)
    owners = [
        i["owner"] or (lead if not is_blank(lead) else None)
        for i, lead in zip(items, plan["task_lead_office"])
    ]
    causes["office"] = pd.Series(owners, index=causes.index, dtype=object)
    own = {} if rates is None or rates.empty else rates.set_index(["kpi", "office"])["pct"].to_dict()
    causes["value_pct"] = [own.get((i["kpi"], o), np.nan) if o else i["pct"] for i, o in zip(items, owners)]
    acts = propose_actions(causes, rules, plan_tasks, as_of=window.end)
    nxt = next_window(windows, window)
    after = window.deadline if window.deadline is not None else window.end
    rows = []
    for i, a in zip(items, acts.to_dict("records")):
        d = a["deadline_date"]
        if pd.notna(d) and pd.Timestamp(d) > after:
            date, basis = pd.Timestamp(d), "plan"
        elif nxt is not None:
            date, basis = nxt.end, "next_window"
        else:
            date, basis = pd.NaT, "none"
        drafted = a["action_status"] == "ok"
        rows.append(
            {
                "kpi": i["kpi"],
                "label": i["label"],
                "owner": "" if is_blank(a["office"]) else str(a["office"]),
                "action_text": a["action_text"] if drafted else "",
                "deadline_date": date,
                "deadline_text": a["deadline_text"],
                "deadline_basis": basis,
                "next_window": nxt.label if nxt is not None else "",
                "is_drafted": drafted,
            }
        )
    return pd.DataFrame(rows)
