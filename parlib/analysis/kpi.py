"""Dossier KPIs with the official 766 definitions, their targets and status.

Rules implemented (domain brief §4–§5, ``index766_indicator_formulas.csv``)
    * End of processing: when a record carries several end dates, the 766 text's priority —
      finished ("Đã xử lý xong"), else returned ("Đã trả kết quả"), else stopped (dừng, từ chối,
      rút); ``KpiRules.end_of_processing = "earliest"`` takes the first of them instead.
    * Allowed due = appointment (``due_at``; the recomputed ``expected_due_at`` when the export
      has none) extended by the supplement pause: working days in (request, completion], the
      completion being capped at the evaluation instant (end of processing or period end) and
      a pause still open at that instant running until it.
    * A record unfinished at its ``snapshot_at`` (the end of its export's quarter) that is
      before the period end is ``stale``: its later fate is unknown, so its outcome is
      ``unknown`` and it leaves the processing denominators (``is_stale``).
    * Outcome: more than one supplement request -> ``late``; finished: ``late`` when the end of
      processing is after the allowed due (day units compare dates, hours compare instants),
      ``early`` when its date is before the due date, else ``on_time``; still waiting for the
      citizen's supplement at the period end: judged by the request date (766 indicator 2.1: on
      time when the request was made on or before the due date, whatever day the period ends
      on); other unfinished: ``late`` when the period end is past the due date, else
      ``pending_on_time`` ("đang xử lý trong hạn", counted on time as in 766 indicator 2.1); no
      due date -> ``unknown`` (left out of the on-time denominator).
    * Apology (form 04, NĐ 118/2025, TT 03/2025): owed by a dossier that missed its return date
      (finished after the allowed due, or unfinished and overdue at the period end) — not by a
      dossier counted late only by the "more than one supplement request" convention that ended
      in time. On time when ``apology_at.date() <= allowed_due.date() - lead`` (``KpiRules``:
      one day).
    * Scope of a period [start, end]: processing KPIs (on time, apology, system updated) use the
      dossiers received by the end and not finished before the start ("tiếp nhận, xử lý trong
      kỳ"); receipt KPIs (online, digitised, online payment) use the dossiers received in the
      period; e-results use the dossiers finished (not stopped) in the period.
    * Denominators: apology coverage among the dossiers that owe one; apology timeliness among
      those with an apology; reschedule violations (> 1 reschedule) among rescheduled dossiers;
      e-results among dossiers of procedures with a paper result; online payment (766 3.6)
      among dossiers of procedures with a fee > 0 that owe it (a blank "Thanh toán trực tuyến"
      means no fee: <NA>, left out); online share (766 3.3) among dossiers with a known
      channel, an online dossier of a procedure with a paper result counting only with an
      electronic result; digitisation (766 4.2) needs the component files and, once a result
      exists (finished or returned), the result file ("Kết quả điện tử"); a flag whose column
      was missing in the export (<NA>) leaves the row out of that KPI.
    * Satisfaction with TTHC handling (766 5.4): 100 % − (overdue share + share rated "Không
      hài lòng" by the citizen), over the dossiers handled in the period; complaints (PAKN)
      linked to a dossier are not in the export and cannot be counted.
    * System updated (decision): received, due and status present, the status known and matching
      the dates, and no date-order violation (:func:`consistency_flags`).

Targets and status: see :func:`kpi_status`.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa

from parlib.analysis.stats import add_rate
from parlib.core.calendar import WorkCalendar
from parlib.core.labels import KPI_LABELS, NOT_APPLICABLE
from parlib.core.text import fold
from parlib.core.vnformat import fmt_pct
from parlib.model.dossier_rules import END_COLUMNS, KpiRules, consistency_flags

DIMENSIONS = ["office_name", "field_name", "procedure_code", "channel"]
_DAY = pd.Timedelta(days=1)
# every column classify_dossiers, consistency_flags and _indicators read
_KPI_INPUTS = [
    "received_at",
    "due_at",
    "expected_due_at",
    "supplement_requested_at",
    "supplement_completed_at",
    *END_COLUMNS,
    "deadline_unit",
    "supplement_count",
    "snapshot_at",
    "apology_at",
    "reschedule_count",
    "status_code",
    "is_digitised",
    "has_e_result",
    "is_paid_online",
    "has_paper_result",
    "fee_vnd",
    "channel",
    "citizen_rating",
]


def as_day_array(s: pd.Series) -> np.ndarray:
    return s.to_numpy(dtype="datetime64[us]").astype("datetime64[D]")


# ---------------------------------------------------------------- classification


def selected_texts(conds: list, choices: list[str], default: str | None, index) -> pd.Series:
    """``np.select(conds, choices, default)`` as a "str" Series (``None``: missing), built from
    the choices' positions: a numpy text array of millions of rows, then its conversion to
    Arrow, cost 1,5 s per column at 5M rows; the positions' take costs 0,05 s."""
    codes = np.select(conds, np.arange(len(choices), dtype=np.int64), len(choices))
    texts = pa.array([*choices, default], type=pa.large_string()).take(pa.array(codes))
    return pd.Series(texts, index=index, dtype="str")


def classify_dossiers(
    dossiers: pd.DataFrame,
    calendar: WorkCalendar,
    period_end,
    *,
    period_start=None,
    system_updated: pd.Series | None = None,
    rules: KpiRules | None = None,
) -> pd.DataFrame:
    """Judge every dossier in scope of the period [period_start, period_end] (dates, inclusive;
    no start = everything received by the end). Rules: module docstring.

    Returns a copy of the rows in scope with added columns: ``end_at``, ``end_kind``
    (finished/returned/stopped), ``is_finished`` (ended by the period end), ``due_basis_at``,
    ``pause_days``, ``allowed_due_at``, ``outcome`` (early/on_time/late/pending_on_time/unknown),
    ``is_late``, ``is_overdue_unfinished``, ``late_reason``, ``has_apology``,
    ``is_apology_on_time``, ``is_reschedule_violation``, ``is_system_updated``,
    ``in_processing_scope``, ``is_stale``, ``is_received_in_period``, ``is_completed_in_period``,
    ``year``/``quarter``/``month`` (of the end of processing, else of the period end).
    ``system_updated`` (optional): ``~consistency_flags(dossiers).any(axis=1)`` computed by the
    caller — it depends on the dossier only, not on the period, so kpi_table computes it once.
    Raises ConfigError when a supplement pause or the period needs a year without a complete
    official holiday schedule.
    """
    end_day = pd.Timestamp(period_end).normalize()
    end_excl = end_day + _DAY
    start = pd.Timestamp(period_start).normalize() if period_start is not None else pd.Timestamp.min
    rules = rules or KpiRules()
    ends = dossiers[END_COLUMNS]
    if rules.end_of_processing == "priority":
        end_at = ends["finished_at"].fillna(ends["returned_at"]).fillna(ends["stopped_at"])
    else:
        end_at = ends.min(axis=1)
    received = dossiers["received_at"]
    in_proc = (received < end_excl) & (end_at.isna() | (end_at >= start))
    in_receipt = (received >= start) & (received < end_excl)
    keep = (in_proc | in_receipt).to_numpy(dtype=bool)
    df = dossiers[keep]  # a new frame already (a mask takes the rows): no second copy
    end_at = end_at[keep]
    df["end_at"] = end_at
    kinds = [df[c].eq(end_at) & df[c].notna() for c in END_COLUMNS]
    df["end_kind"] = selected_texts(
        [k.fillna(False).to_numpy() for k in kinds], ["finished", "returned", "stopped"], None, df.index
    )
    finished = (end_at < end_excl).fillna(False).to_numpy(dtype=bool)
    df["is_finished"] = finished
    df["in_processing_scope"] = in_proc.to_numpy(dtype=bool)[keep]
    df["is_received_in_period"] = in_receipt.to_numpy(dtype=bool)[keep]
    df["is_completed_in_period"] = (
        finished & (end_at >= start).fillna(False).to_numpy() & ~df["end_kind"].eq("stopped").to_numpy()
    )
    due = df["due_at"].fillna(df["expected_due_at"])
    df["due_basis_at"] = due
    # supplement pause, in working days
    eval_at = end_at.where(finished, end_day)
    req = df["supplement_requested_at"]
    pause_end = df["supplement_completed_at"].where(df["supplement_completed_at"] <= eval_at, eval_at)
    pause_end = pause_end.fillna(eval_at)
    has_pause = (req.notna() & (req <= eval_at)).to_numpy(dtype=bool)
    pause = np.zeros(len(df), dtype=np.int64)
    if has_pause.any():
        a, b = as_day_array(req[has_pause]), as_day_array(pause_end[has_pause])
        calendar.check_years(
            calendar.uncovered_years(np.concatenate([a, b])) | {end_day.year},
            "tính thời gian tạm dừng do bổ sung hồ sơ",
        )
        pause[has_pause] = np.maximum(calendar.count_working_days(a, b), 0)
    df["pause_days"] = pause
    allowed = due.copy()
    shift = (pause > 0) & due.notna().to_numpy()
    if shift.any():
        d = due[shift]
        moved = calendar.add_working_days(as_day_array(d), pause[shift])
        allowed[shift] = pd.to_datetime(moved).to_numpy() + (d - d.dt.normalize()).to_numpy()
    df["allowed_due_at"] = allowed
    hours = df["deadline_unit"].eq("hours").to_numpy()
    end_date, allowed_date = end_at.dt.normalize(), allowed.dt.normalize()  # each once
    late_fin = np.where(hours, end_at > allowed, end_date > allowed_date)
    early = (end_date < allowed_date).to_numpy(dtype=bool)
    overdue = np.where(hours, allowed < end_excl, allowed_date < end_day)
    multi = (df["supplement_count"].fillna(0) > 1).to_numpy(dtype=bool)
    no_due = allowed.isna().to_numpy()
    snapshot = df["snapshot_at"] if "snapshot_at" in df else pd.Series(pd.NaT, index=df.index)
    stale = ~finished & (snapshot < end_excl).fillna(False).to_numpy(dtype=bool)
    df["is_stale"] = stale
    # still waiting for the citizen's supplement at the evaluation instant: judged by the request
    waiting = (
        ~finished
        & has_pause
        & (df["supplement_completed_at"].isna() | (df["supplement_completed_at"] > eval_at)).to_numpy(
            dtype=bool
        )
    )
    req_late = np.where(hours, req > due, req.dt.normalize() > due.dt.normalize())
    req_late = pd.Series(req_late, index=df.index).fillna(False).to_numpy(dtype=bool) & waiting
    df["is_waiting_supplement"] = waiting
    conds = [
        stale,
        multi,
        no_due,
        finished & late_fin,
        finished & early,
        finished,
        req_late,
        waiting,
        overdue,
    ]
    df["outcome"] = selected_texts(
        conds,
        ["unknown", "late", "unknown", "late", "early", "on_time", "late", "pending_on_time", "late"],
        "pending_on_time",
        df.index,
    )
    missed = (finished & late_fin) | (~finished & ~waiting & overdue) | req_late
    df["owes_apology"] = missed & ~stale & ~no_due
    df["is_late"] = df["outcome"].eq("late").to_numpy()
    df["is_overdue_unfinished"] = df["is_late"].to_numpy() & ~finished
    df["late_reason"] = selected_texts(
        [multi & ~stale, df["is_late"].to_numpy() & finished, df["is_late"].to_numpy()],
        ["multiple_supplements", "finished_after_due", "overdue_unfinished"],
        None,
        df.index,
    )
    apology = df["apology_at"]
    df["has_apology"] = (apology < end_excl).fillna(False).to_numpy(dtype=bool)
    lead = pd.Timedelta(days=rules.apology_lead_days)
    df["is_apology_on_time"] = df["has_apology"].to_numpy() & (
        apology.dt.normalize() <= allowed_date - lead
    ).fillna(False).to_numpy(dtype=bool)
    df["is_reschedule_violation"] = (df["reschedule_count"].fillna(0) > 1).to_numpy(dtype=bool)
    df["is_system_updated"] = (
        ~consistency_flags(df).any(axis=1) if system_updated is None else system_updated.loc[df.index]
    ).to_numpy(dtype=bool)
    settle = end_at.where(finished, end_day)
    df["year"] = settle.dt.year.astype("int64")
    df["quarter"] = settle.dt.quarter.astype("int64")
    df["month"] = settle.dt.month.astype("int64")
    return df


# ---------------------------------------------------------------- KPIs


def _indicators(c: pd.DataFrame) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """kpi -> (numerator mask, denominator mask) over the classified rows."""
    proc = c["in_processing_scope"].to_numpy(dtype=bool) & ~c["is_stale"].to_numpy(dtype=bool)
    rec = c["is_received_in_period"].to_numpy(dtype=bool)
    outcome = c["outcome"].to_numpy(dtype=object)
    known = proc & (outcome != "unknown")
    late = proc & c["is_late"].to_numpy(dtype=bool)
    owes = proc & c["owes_apology"].to_numpy(dtype=bool)
    apol = owes & c["has_apology"].to_numpy(dtype=bool)

    def flag(col):
        s = c[col]
        return s.fillna(False).to_numpy(dtype=bool), s.notna().to_numpy(dtype=bool)

    dig, dig_known = flag("is_digitised")
    eres, eres_known = flag("has_e_result")
    paid, paid_known = flag("is_paid_online")
    paper = c["has_paper_result"].fillna(False).to_numpy(dtype=bool)
    fee = (c["fee_vnd"].fillna(0) > 0).to_numpy(dtype=bool)
    channel = c["channel"]
    resched = proc & (c["reschedule_count"].fillna(0) >= 1).to_numpy(dtype=bool)
    done = c["is_completed_in_period"].to_numpy(dtype=bool) & paper & eres_known
    online = channel.eq(2).fillna(False).to_numpy(dtype=bool)
    # 3.3: an online dossier of a procedure with a paper result counts only with an e-result
    online_judged = rec & channel.notna().to_numpy() & ~(online & paper & ~eres_known)
    # 4.2: component files and, once a result exists (finished or returned), the result file
    has_result = c["is_finished"].to_numpy(dtype=bool) & ~c["end_kind"].eq("stopped").to_numpy(dtype=bool)
    dig_judged = rec & dig_known & (~has_result | eres_known)
    dig_ok = dig & (~has_result | eres)
    # 5.4: 100 % − (overdue share + share rated "Không hài lòng"); k may go below 0 per dossier
    rating = c["citizen_rating"] if "citizen_rating" in c else pd.Series(pd.NA, index=c.index, dtype="str")
    # each distinct rating folded once (a per-row fold was 22 s of a 1M-dossier build, profiled)
    codes, uniques = pd.factorize(rating.astype(object), use_na_sentinel=True)
    dislike = np.array([isinstance(r, str) and _is_dislike(r) for r in uniques] + [False], dtype=bool)[codes]
    return {
        "on_time_pct": (known & np.isin(outcome, ["early", "on_time", "pending_on_time"]), known),
        "early_pct": (known & (outcome == "early"), known),
        "late_pct": (late & known, known),
        "apology_pct": (apol, owes),
        "apology_on_time_pct": (apol & c["is_apology_on_time"].to_numpy(dtype=bool), apol),
        "reschedule_violation_pct": (resched & c["is_reschedule_violation"].to_numpy(dtype=bool), resched),
        "online_pct": (online_judged & online & (~paper | eres), online_judged),
        "digitised_pct": (dig_judged & dig_ok, dig_judged),
        "e_result_pct": (done & eres, done),
        "online_payment_pct": (rec & fee & paid_known & paid, rec & fee & paid_known),
        "system_updated_pct": (proc & c["is_system_updated"].to_numpy(dtype=bool), proc),
        "handling_satisfaction_pct": (
            known.astype(np.int64) - (late & known).astype(np.int64) - (known & dislike).astype(np.int64),
            known,
        ),
    }


def _is_dislike(rating) -> bool:
    """A citizen's rating of "Không hài lòng" (dislike) on the dossier."""
    return fold(str(rating)) in ("khong hai long", "rat khong hai long")


def dossier_kpis(
    classified: pd.DataFrame,
    by: list[str] | None = None,
    period: str | None = None,
    *,
    groups: pd.DataFrame | None = None,
    kpis: list[str] | None = None,
) -> pd.DataFrame:
    """KPIs of classified dossiers by the ``by`` columns (long format, one row per group × kpi).

    ``groups``: optional frame of every group (columns ``by``) to show even without dossiers
    (their rate is NaN, "không áp dụng", never 0 %). ``period``: label stored in ``period``.
    Returns columns: [period], *by, kpi, label, k, n, pct, ci_low_pct, ci_high_pct,
    is_small_sample, pct_text (Vietnamese; "không áp dụng" when n == 0).
    """
    names = [k for k in KPI_LABELS if kpis is None or k in kpis]
    return _kpis_from_wide(_wide(classified, names), classified, list(by or []), names, groups, period)


def _wide(classified: pd.DataFrame, names: list[str]) -> pd.DataFrame:
    """Per dossier: ``k|<kpi>`` and ``n|<kpi>`` (0/1 int64) for the KPIs ``names``."""
    ind = _indicators(classified)
    cols = {f"k|{k}": np.asarray(ind[k][0]).astype(np.int64) for k in names}
    cols.update({f"n|{k}": ind[k][1].astype(np.int64) for k in names})
    return pd.DataFrame(cols, index=classified.index)


def _kpis_from_wide(
    wide: pd.DataFrame,
    classified: pd.DataFrame,
    by: list[str],
    names: list[str],
    groups: pd.DataFrame | None,
    period: str | None,
) -> pd.DataFrame:
    """The body of :func:`dossier_kpis` once the indicators are known (kpi_table computes them
    once per period and groups them by each dimension)."""
    agg = _aggregate(wide, classified, by, groups)
    # long format, KPI-major: the groups of the first KPI, then those of the second …
    n_groups = len(agg)
    out = agg[by].take(np.tile(np.arange(n_groups), len(names))).reset_index(drop=True)
    out["kpi"] = pd.array(np.repeat(names, n_groups).tolist(), dtype="str")
    out["label"] = pd.array([KPI_LABELS[k] for k in names for _ in range(n_groups)], dtype="str")
    # a summed k below 0 is possible for 766 5.4 (overdue and disliked counted in both shares)
    out["k"] = (
        np.maximum(np.concatenate([agg[f"k|{k}"].to_numpy(dtype=np.int64) for k in names]), 0)
        if names
        else []
    )
    out["n"] = np.concatenate([agg[f"n|{k}"].to_numpy(dtype=np.int64) for k in names]) if names else []
    out = add_rate(out)
    out["pct_text"] = [fmt_pct(p) if n > 0 else NOT_APPLICABLE for p, n in zip(out["pct"], out["n"])]
    if period is not None:
        out.insert(0, "period", period)
    return out


def _aggregate(
    wide: pd.DataFrame, classified: pd.DataFrame, by: list[str], groups: pd.DataFrame | None
) -> pd.DataFrame:
    """Sums of the ``k|``/``n|`` indicators per group of ``by`` (every group of ``groups`` listed,
    0 when absent; sorted), or one row of totals when ``by`` is empty."""
    if not by:
        return wide.sum().to_frame().T
    agg = wide.assign(**{b: classified[b] for b in by}).groupby(by, dropna=False, sort=True).sum()
    if groups is not None:
        full = (
            pd.MultiIndex.from_frame(groups[by].drop_duplicates())
            if len(by) > 1
            else pd.Index(groups[by[0]].drop_duplicates(), name=by[0])
        )
        agg = agg.reindex(agg.index.union(full), fill_value=0)
    return agg.reset_index()


def procedure_names(dossiers: pd.DataFrame) -> pd.Series:
    """procedure_code -> the procedure_name of its first dossier, as
    ``drop_duplicates("procedure_code")`` keeps it (a missing code counts once). The codes are
    compared as integer codes: drop_duplicates hashed ten million Arrow texts in 3 s."""
    codes = pd.Series(pd.factorize(dossiers["procedure_code"])[0])
    rows = np.flatnonzero(~codes.duplicated().to_numpy())
    return (
        dossiers[["procedure_code", "procedure_name"]]
        .take(rows)
        .set_index("procedure_code")["procedure_name"]
    )
