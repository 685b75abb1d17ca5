"""Citizens' feedback (PAKN) KPIs of 766 group 5: status of each item at a period end and the
rates by month, quarter, year to date and office.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from parlib.analysis.stats import add_rate
from parlib.core.labels import UNKNOWN_OFFICE

DEADLINE_WORKING_DAYS = 15

KPI_LABELS = {
    "feedback_classified_pct": ("5.1", "Tỷ lệ PAKN được phân loại"),
    "feedback_on_time_pct": ("5.2", "Tỷ lệ PAKN xử lý đúng hạn"),
    "feedback_satisfaction_pct": ("5.3", "Tỷ lệ hài lòng trong xử lý PAKN"),
}


# ---------------------------------------------------------------- status and KPIs


def feedback_status(feedback: pd.DataFrame, calendar, period_end) -> pd.DataFrame:
    """Each PAKN received up to ``period_end`` judged at that date (module docstring rules).

    Adds ``clock_start_at``, ``handled_at`` (NaT when not handled by ``period_end``),
    ``working_days`` (to handling, or elapsed at ``period_end`` when unhandled),
    ``status`` (``on_time`` / ``late`` / ``pending``), ``is_late``, ``is_disliked``,
    ``is_dissatisfied`` (disliked or late or re-complained) to a copy of the rows with
    ``received_at`` on or before ``period_end``. Raises ConfigError (via
    ``calendar.check_years``) when a year involved has no complete holiday schedule.
    """
    end = pd.Timestamp(period_end).normalize()
    cutoff = end + pd.Timedelta(days=1)
    out = feedback.loc[feedback["received_at"] < cutoff].copy()
    start = out["transferred_at"].where(out["transferred_at"].notna(), out["received_at"])
    handled = out[["answered_at", "published_at"]].min(axis=1)
    handled = handled.where(handled < cutoff)
    stop = handled.where(handled.notna(), end)
    calendar.check_years(sorted(calendar.uncovered_years(pd.concat([start, stop]))), "tính hạn xử lý PAKN")
    wd = (
        calendar.count_working_days(start.to_numpy(), stop.to_numpy())
        if len(out)
        else np.zeros(0, dtype=np.int64)
    )
    over = wd > DEADLINE_WORKING_DAYS
    out["clock_start_at"] = start.astype("datetime64[us]")
    out["handled_at"] = handled.astype("datetime64[us]")
    out["working_days"] = wd
    out["status"] = pd.array(
        np.where(handled.notna(), np.where(over, "late", "on_time"), np.where(over, "late", "pending")),
        dtype="str",
    )
    out["is_late"] = (out["status"] == "late").to_numpy(dtype=bool)
    out["is_disliked"] = (out["dislikes"] > out["likes"]).to_numpy(dtype=bool)
    out["is_dissatisfied"] = out["is_disliked"] | out["is_late"] | out["is_recomplaint"]
    return out


_BY_KEYS = {"month": ["month"], "quarter": ["quarter"], "ytd": [], "office": ["office_name"]}


def feedback_kpis(feedback: pd.DataFrame, calendar, period_end, by="quarter") -> pd.DataFrame:
    """KPIs 5.1, 5.2, 5.3 by ``by`` for the PAKN of the year of ``period_end`` up to it.

    ``by``: ``month``, ``quarter``, ``ytd``, ``office`` or a list of them (e.g.
    ``["quarter", "office"]``). Months/quarters from January to the period end with no PAKN
    still get a row (n = 0 -> NaN rate, "không áp dụng").

    Returns long rows: ``year``, the ``by`` keys (``month``/``quarter`` int,
    ``office_name``), ``period`` (``YYYY-MM``, ``YYYY-Qn`` or ``YYYY``; YTD up to the
    period end for ``ytd``/``office``), ``kpi`` (id), ``kpi_code`` (5.1/5.2/5.3),
    ``kpi_label`` (Vietnamese), ``k``, ``n``, ``n_total``, ``n_pending``, ``pct``,
    ``ci_low_pct``, ``ci_high_pct``, ``is_small_sample``.
    """
    levels = [by] if isinstance(by, str) else list(by)
    unknown = [b for b in levels if b not in _BY_KEYS]
    if unknown:
        raise ValueError(f"unknown 'by' levels {unknown}; use {list(_BY_KEYS)}")
    end = pd.Timestamp(period_end).normalize()
    st = feedback_status(feedback, calendar, end)
    st = st.loc[st["received_at"].dt.year == end.year].copy()
    st["year"] = end.year
    st["office_name"] = st["office_name"].fillna(UNKNOWN_OFFICE)
    st["month"] = st["received_at"].dt.month.astype("int64")
    st["quarter"] = ((st["month"] - 1) // 3 + 1).astype("int64")
    keys = ["year"] + [k for b in levels for k in _BY_KEYS[b]]
    st["judged"] = st["status"] != "pending"
    st["on_time"] = st["status"] == "on_time"
    st["pending"] = ~st["judged"]
    st["satisfied"] = ~st["is_dissatisfied"]
    agg = (
        st.groupby(keys, sort=True)
        .agg(
            n_total=("feedback_id", "size"),
            classified=("is_classified", "sum"),
            judged=("judged", "sum"),
            on_time=("on_time", "sum"),
            n_pending=("pending", "sum"),
            satisfied=("satisfied", "sum"),
        )
        .reset_index()
    )
    agg = _fill_periods(agg, keys, end)
    agg["period"] = _period_label(agg, levels, end)
    parts = []
    for kpi, (kcol, ncol) in {
        "feedback_classified_pct": ("classified", "n_total"),
        "feedback_on_time_pct": ("on_time", "judged"),
        "feedback_satisfaction_pct": ("satisfied", "n_total"),
    }.items():
        code, label = KPI_LABELS[kpi]
        part = agg[keys + ["period", "n_total", "n_pending"]].copy()
        part["kpi"], part["kpi_code"], part["kpi_label"] = kpi, code, label
        part["k"], part["n"] = agg[kcol].astype("int64"), agg[ncol].astype("int64")
        parts.append(part)
    out = add_rate(pd.concat(parts, ignore_index=True))
    cols = keys + [
        "period",
        "kpi",
        "kpi_code",
        "kpi_label",
        "k",
        "n",
        "n_total",
        "n_pending",
        "pct",
        "ci_low_pct",
        "ci_high_pct",
        "is_small_sample",
    ]
    return out.sort_values(keys + ["kpi_code"], kind="stable").reset_index(drop=True)[cols]


def _fill_periods(agg: pd.DataFrame, keys: list[str], end: pd.Timestamp) -> pd.DataFrame:
    """Add zero rows for months/quarters (Jan .. period end) without any PAKN."""
    time_key = "month" if "month" in keys else "quarter" if "quarter" in keys else None
    if time_key is None:
        if agg.empty and keys == ["year"]:
            return pd.DataFrame(
                {
                    "year": [end.year],
                    "n_total": [0],
                    "classified": [0],
                    "judged": [0],
                    "on_time": [0],
                    "n_pending": [0],
                    "satisfied": [0],
                }
            )
        return agg
    last = end.month if time_key == "month" else (end.month - 1) // 3 + 1
    grid = pd.DataFrame({time_key: np.arange(1, last + 1, dtype="int64")})
    grid["year"] = end.year
    other = [k for k in keys if k not in ("year", time_key)]
    if other:
        combos = agg[other].drop_duplicates()
        grid = grid.merge(combos, how="cross")
    full = grid.merge(agg, on=keys, how="left")
    counts = ["n_total", "classified", "judged", "on_time", "n_pending", "satisfied"]
    full[counts] = full[counts].fillna(0).astype("int64")
    return full[keys + counts]


def _period_label(agg: pd.DataFrame, levels: list[str], end: pd.Timestamp) -> pd.Series:
    y = agg["year"].astype(str)
    if "month" in levels:
        return y + "-" + agg["month"].map("{:02d}".format)
    if "quarter" in levels:
        return y + "-Q" + agg["quarter"].astype(str)
    return y
