"""Every dossier KPI for each month and quarter and the year to date, overall and by dimension,
each period classified on its own (:func:`parlib.analysis.kpi.classify_dossiers`)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from parlib.analysis.kpi import _DAY, _KPI_INPUTS, DIMENSIONS, _aggregate, _wide, classify_dossiers
from parlib.analysis.stats import add_rate
from parlib.core.calendar import WorkCalendar
from parlib.core.frames import taken_texts
from parlib.core.labels import KPI_LABELS, NOT_APPLICABLE
from parlib.core.vnformat import fmt_pcts, quarter_label
from parlib.model.dossier_rules import END_COLUMNS, KpiRules, consistency_flags


def _periods(year: int, quarter: int, history_from: int | None) -> list[tuple]:
    """(period_kind, key, Vietnamese label, start, end) of the months and quarters from January of
    ``history_from`` (default ``year``) to the quarter, then the year to date."""
    out = []
    for y in range(history_from or year, year + 1):
        for q in range(1, (quarter if y == year else 4) + 1):
            for m in range(3 * q - 2, 3 * q + 1):
                start = pd.Timestamp(y, m, 1)
                out.append(("month", f"{y}-{m:02d}", f"tháng {m}/{y}", start, start + pd.offsets.MonthEnd(0)))
            start = pd.Timestamp(y, 3 * q - 2, 1)
            out.append(("quarter", f"{y}-Q{q}", quarter_label(y, q), start, start + pd.offsets.QuarterEnd(0)))
    ytd = f"năm {year}" if quarter == 4 else f"{3 * quarter} tháng đầu năm {year}"
    return out + [("ytd", f"{year}-YTD", ytd, pd.Timestamp(year, 1, 1), out[-1][4])]


def kpi_table(
    dossiers: pd.DataFrame,
    calendar: WorkCalendar,
    year: int,
    quarter: int,
    *,
    procedures: pd.DataFrame | None = None,
    dimensions: list[str] | None = None,
    history_from: int | None = None,
    history_dimensions: list[str] | None = None,
    rules: KpiRules | None = None,
) -> pd.DataFrame:
    """Every KPI for each month and quarter from January (of ``history_from``, default ``year``)
    to the quarter and for the year to date, each period classified on its own (766 scope; an
    open dossier is judged at the end of every period it spans).

    ``dimensions``: group columns besides the total (default: DIMENSIONS); periods of
    earlier years use ``history_dimensions`` (default: total only). ``procedures`` (catalogue)
    adds the procedures, offices and fields without dossiers (NaN rates, "không áp dụng").
    Returns: period_kind (month/quarter/ytd), period ("2026-07", "2026-Q3", "2026-YTD"),
    period_label ("tháng 7/2026", "Quý III/2026", "9 tháng đầu năm 2026"), period_start,
    period_end, dimension ("all" or the column), group ("Tất cả" or the value), group_name
    (procedure name for procedure codes), then the columns of :func:`dossier_kpis` from kpi on.
    """
    dims = DIMENSIONS if dimensions is None else dimensions
    names = (
        procedures.drop_duplicates("procedure_code").set_index("procedure_code")["procedure_name"]
        if procedures is not None
        else pd.Series(dtype="str")
    )
    names = names.combine_first(
        dossiers.drop_duplicates("procedure_code").set_index("procedure_code")["procedure_name"]
    )
    # Speed (same results): classify only the columns the KPIs read, and compute the indicators
    # once per period for all its dimensions; the long table is built once from the aggregated blocks.
    slim = dossiers[
        [
            c
            for c in dict.fromkeys([*_KPI_INPUTS, *dims, *(history_dimensions or [])])
            if c in dossiers.columns
        ]
    ]
    kpi_names = list(KPI_LABELS)
    # Each dossier's end of processing and receipt day, computed once: a period classifies only
    # the rows in its scope (the same rule as classify_dossiers, which keeps every one of them).
    received = slim["received_at"].to_numpy(dtype="datetime64[us]")
    ended = slim[END_COLUMNS].min(axis=1).to_numpy(dtype="datetime64[us]")
    open_ = np.isnat(ended)
    system_updated = ~consistency_flags(slim).any(axis=1)  # per dossier, the same in every period
    blocks = []  # (period, dimension, group values, k matrix, n matrix), in output order
    for kind, key, label, start, end in _periods(year, quarter, history_from):
        end_excl = (pd.Timestamp(end).normalize() + _DAY).to_datetime64()
        first = pd.Timestamp(start).normalize().to_datetime64()
        before_end = received < end_excl
        scope = before_end & (open_ | (ended >= first) | (received >= first))
        c = classify_dossiers(
            slim[scope], calendar, end, period_start=start, system_updated=system_updated, rules=rules
        )
        wide = _wide(c, kpi_names)
        cols = dims if start.year == year else (history_dimensions or [])
        head = (kind, key, label, start, end)
        for dim in ["all", *cols]:
            by = [] if dim == "all" else [dim]
            groups = procedures[by] if by and procedures is not None and dim in procedures.columns else None
            agg = _aggregate(wide, c, by, groups)
            values = (
                agg[dim].astype("string").fillna("").astype(str).to_numpy() if by else np.array(["Tất cả"])
            )
            blocks.append(
                (
                    head,
                    dim,
                    values,
                    agg[[f"k|{k}" for k in kpi_names]].to_numpy(dtype=np.int64),
                    agg[[f"n|{k}" for k in kpi_names]].to_numpy(dtype=np.int64),
                )
            )
    return _long_table(blocks, kpi_names, names)


def _long_table(blocks: list, kpi_names: list[str], names: pd.Series) -> pd.DataFrame:
    """kpi_table's rows from the aggregated blocks (at least one: every period has its total),
    built in one step, not one frame per block: per block KPI-major — every group of the first
    KPI, then of the second … Texts are taken from the few distinct ones (the blocks' groups,
    the KPIs' labels), not converted row by row."""
    n_kpi = len(kpi_names)
    lengths = np.array([len(b[2]) for b in blocks], dtype=np.int64)
    first = np.concatenate([[0], np.cumsum(lengths)[:-1]])  # each block's first group in `groups`
    groups = np.concatenate([np.asarray(b[2], dtype=object) for b in blocks])
    block_of_row = np.repeat(np.arange(len(blocks)), lengths * n_kpi)
    # row r of a block of L groups (r counted from the block's first row): group r mod L, KPI r div L
    within = np.arange(len(block_of_row)) - np.repeat(first * n_kpi, lengths * n_kpi)
    size = lengths[block_of_row]
    group_at, kpi_idx = first[block_of_row] + within % size, within // size
    k = np.concatenate([b[3].T.ravel() for b in blocks])
    n = np.concatenate([b[4].T.ravel() for b in blocks])
    heads = [b[0] for b in blocks]
    by_proc = np.repeat(np.array([b[1] == "procedure_code" for b in blocks], dtype=bool), lengths)
    group_s = pd.Series(groups, dtype="str")
    group_name = group_s.copy()
    if by_proc.any():
        group_name[by_proc] = group_s[by_proc].map(names).fillna(group_s[by_proc])
    labels = [KPI_LABELS[x] for x in kpi_names]
    out = pd.DataFrame(
        {
            "period_kind": taken_texts([h[0] for h in heads], block_of_row),
            "period": taken_texts([h[1] for h in heads], block_of_row),
            "period_label": taken_texts([h[2] for h in heads], block_of_row),
            "period_start": pd.DatetimeIndex([h[3] for h in heads]).astype("datetime64[us]")[block_of_row],
            "period_end": pd.DatetimeIndex([h[4] for h in heads]).astype("datetime64[us]")[block_of_row],
            "dimension": taken_texts([b[1] for b in blocks], block_of_row),
            "group": taken_texts(group_s, group_at),
            "group_name": taken_texts(group_name, group_at),
            "kpi": taken_texts(kpi_names, kpi_idx),
            "label": taken_texts(labels, kpi_idx),
            # 766 5.4 (handling satisfaction) may sum below 0 in a group: shown as 0, as dossier_kpis does
            "k": np.maximum(k, 0).astype(np.int64),
            "n": n.astype(np.int64),
        }
    )
    out = add_rate(out)
    out["pct_text"] = _pct_texts(out["pct"].to_numpy(dtype=float), out["n"].to_numpy())
    return out


def _pct_texts(pct: np.ndarray, n: np.ndarray):
    """``fmt_pct(pct)`` where ``n > 0``, else "không áp dụng", as a "str" array; each distinct
    rate formatted once (a province's table has a few hundred thousand rows and far fewer
    distinct rates)."""
    at = np.zeros(len(pct), dtype=np.int64)  # position 0: "không áp dụng"
    shown = n > 0
    inverse, values = pd.factorize(pct[shown])  # by hashing: the order of the values is not used
    at[shown] = 1 + inverse
    return taken_texts([NOT_APPLICABLE, *fmt_pcts(values)], at)
