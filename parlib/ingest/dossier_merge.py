"""Merging the parsed dossier exports (``parlib.ingest.dossiers``): one record per dossier number,
the catalogue joined, the due dates recomputed and checked (the decisions are in the reader's
module docstring)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from parlib.core.calendar import WorkCalendar
from parlib.core.errors import ConfigError
from parlib.core.issues import IssueLog, Ledger
from parlib.ingest.dossier_columns import DATE_COLUMNS, EVENT_COLUMNS
from parlib.ingest.dossier_parse import _fmt, _issues
from parlib.model.dossier_rules import STATUS_RANK

DUE_CHUNK_ROWS = 1 << 20  # dossiers whose due dates are recomputed together

DEDUP_COLUMNS = [
    "dossier_id",
    "file_rank",
    "status_code",
    *DATE_COLUMNS,
    "status",
    "procedure_code",
    "source_file",
    "sheet",
    "source_row",
]


def deduplicate(sub: pd.DataFrame, issues: list, ledger: Ledger, colmaps: dict, usable: dict) -> np.ndarray:
    """One record per dossier number (module docstring). ``sub``: the usable rows whose number
    repeats (``DEDUP_COLUMNS``, in reading order; :func:`repeated_numbers` finds them) — only
    they are ranked. ``usable``: ``(source_file, sheet) -> usable rows``. Returns the rows of
    ``sub`` superseded by another, as a boolean array; they are ledger ``skipped``, every other
    usable row ``used`` (per file and sheet, in their order)."""
    sub = sub.assign(
        _rank=sub["status_code"].astype(object).map(STATUS_RANK).astype(float).fillna(0),
        _last=sub[EVENT_COLUMNS].max(axis=1),
    )
    order = [
        "dossier_id",
        "file_rank",
        "_rank",
        "_last",
        *DATE_COLUMNS,
        "status",
        "procedure_code",
        "source_file",
        "source_row",
    ]
    ranked = sub.sort_values(order, kind="stable", na_position="first")
    ranked_loser = ranked.duplicated("dossier_id", keep="last")
    loser = pd.Series(False, index=sub.index)
    loser[ranked_loser.index[ranked_loser.to_numpy()]] = True
    if loser.any():
        winner = ranked.drop_duplicates("dossier_id", keep="last").set_index("dossier_id")
        lost = ranked[ranked_loser]
        w_file = lost["dossier_id"].map(winner["source_file"].astype("str"))
        w_row = lost["dossier_id"].map(winner["source_row"]).astype(str)
        msg = "Hồ sơ xuất hiện nhiều lần; dùng bản ghi mới hơn ở tệp «" + w_file + "» dòng " + w_row + "."
        issues.append(
            _issues(
                lost,
                np.ones(len(lost), bool),
                "info",
                "duplicate_dossier",
                "dossier_id",
                msg,
                colmaps=colmaps,
            )
        )
    superseded = sub.loc[loser.to_numpy(), ["source_file", "sheet"]].astype(str)
    n_lost = superseded.groupby(["source_file", "sheet"]).size().to_dict() if len(superseded) else {}
    for src, sheet in sorted(usable):
        lost_here = int(n_lost.get((src, sheet), 0))
        if usable[(src, sheet)] > lost_here:
            ledger.add(src, "used", int(usable[(src, sheet)]) - lost_here, "", sheet)
        if lost_here:
            ledger.add(src, "skipped", lost_here, "hồ sơ trùng, đã dùng bản ghi mới hơn", sheet)
    return loser.to_numpy()


def repeated_numbers(ids: pd.Series, by_number: np.ndarray) -> np.ndarray:
    """Rows whose number is seen more than once (missing numbers counted together, as
    ``duplicated(keep=False)`` does), from neighbours in number order: a sort of a million
    texts costs 0,1 s, hashing them (``duplicated``, ``factorize``) 0,5–1,6 s."""
    n = len(ids)
    repeated = np.zeros(n, dtype=bool)
    if n < 2:
        return repeated
    ordered = ids.take(by_number).array
    same = ordered[1:] == ordered[:-1]
    if isinstance(same, pd.api.extensions.ExtensionArray):  # masked result: missing is not equal
        same = same.to_numpy(dtype=bool, na_value=False)
    missing = pd.isna(ordered)
    same = np.asarray(same, dtype=bool) | (missing[1:] & missing[:-1])
    dup = np.zeros(n, dtype=bool)
    dup[1:] |= same
    dup[:-1] |= same
    repeated[by_number] = dup
    return repeated


def enrich(
    df: pd.DataFrame, procedures: pd.DataFrame, calendar: WorkCalendar, issues: list, colmaps: dict
) -> pd.DataFrame:
    """Join the catalogue, recompute the due date, flag disagreements."""
    cat = procedures.drop_duplicates("procedure_code").set_index("procedure_code")
    code = df["procedure_code"]
    pos = cat.index.get_indexer(code)  # one hash lookup per dossier, then positional takes
    df["in_catalogue"] = pos >= 0

    def catalogue(c: str, rows: np.ndarray | None = None, dtype=None) -> pd.Series:
        """The catalogue's column ``c`` for every dossier (or the ``rows`` selected), typed
        ``dtype`` before the take: a few hundred values converted, not millions."""
        at = pos if rows is None else pos[rows]
        column = cat[c] if dtype is None else cat[c].astype(dtype)
        values = pd.api.extensions.take(column.array, at, allow_fill=True)  # -1 -> missing
        return pd.Series(values, index=df.index if rows is None else df.index[rows])

    issues.append(
        _issues(
            df,
            ~df["in_catalogue"],
            "warning",
            "unknown_procedure",
            "procedure_code",
            "Mã TTHC không có trong danh mục thủ tục (procedures.csv); không tính lại được ngày hẹn trả.",
            colmaps=colmaps,
        )
    )
    for c in ("procedure_name", "field_name", "office_name"):  # the catalogue's where the export has none
        missing = df[c].isna().to_numpy()
        if missing.any():
            df[c] = _filled(df[c], catalogue(c, missing))
    for c, dtype in (
        ("deadline_value", float),
        ("deadline_unit", "str"),
        ("after_15h", "boolean"),
        ("fee_vnd", float),
        ("has_paper_result", "boolean"),
    ):
        df[c] = catalogue(c, dtype=dtype)
    years = df["received_at"].dt.year
    uncovered = years.notna() & ~years.isin(list(calendar.years))
    log = IssueLog()
    for y, n in years[uncovered & df["in_catalogue"]].value_counts().sort_index().items():
        log.add(
            "calendar_year_missing",
            f"Chưa có lịch nghỉ chính thức đầy đủ năm {y}: không tính lại "
            f"ngày hẹn trả cho {n} hồ sơ (không giả định lịch nghỉ).",
            code=str(y),
            value=str(int(n)),
        )
    issues.append(log.to_frame())
    ok = df["in_catalogue"] & ~uncovered
    expected = pd.Series(pd.NaT, index=df.index, dtype="datetime64[us]")
    failed: list = []
    # a slice of the dossiers at a time: the due dates' intermediate arrays of ten million
    # dossiers at once were 1,5 GB on top of the table; each dossier's due date is its own
    inputs = df[["received_at", "deadline_value", "deadline_unit", "after_15h"]]
    rows = np.flatnonzero(ok.to_numpy(dtype=bool))
    for start in range(0, len(rows), DUE_CHUNK_ROWS):
        _safe_due(inputs.iloc[rows[start : start + DUE_CHUNK_ROWS]], calendar, expected, failed)
    del inputs
    issues.append(
        _issues(
            df,
            df.index.isin(failed),
            "warning",
            "calendar_year_missing",
            "due_at",
            "Ngày hẹn trả tính lại rơi vào năm chưa có lịch nghỉ chính thức; không tính.",
            colmaps=colmaps,
        )
    )
    df["expected_due_at"] = expected
    hours = df["deadline_unit"] == "hours"
    both = df["due_at"].notna() & expected.notna()
    differs = np.where(
        hours,
        (df["due_at"] - expected).abs() >= pd.Timedelta(minutes=1),
        df["due_at"].dt.normalize() != expected.dt.normalize(),
    )
    df["due_mismatch"] = pd.array(np.where(both, differs, False), dtype="boolean")
    df.loc[~both, "due_mismatch"] = pd.NA
    mism = df["due_mismatch"].fillna(False).astype(bool)
    sub, exp_m, hrs = df[mism], expected[mism], hours[mism].to_numpy(dtype=bool)  # format only what is shown
    shown = pd.Series(np.where(hrs, _fmt(exp_m, True), _fmt(exp_m)), index=sub.index)
    msg = "Ngày hẹn trả trên hệ thống khác ngày hẹn tính lại theo thời hạn của thủ tục (" + shown + ")."
    issues.append(
        _issues(
            sub.assign(due_at=_fmt(sub["due_at"], True)),
            np.ones(len(sub), dtype=bool),
            "warning",
            "due_date_mismatch",
            "due_at",
            msg,
            colmaps=colmaps,
        )
    )
    issues.append(
        _issues(
            df,
            df["due_at"].isna(),
            "warning",
            "missing_due_date",
            "due_at",
            "Thiếu ngày hẹn trả; dùng ngày hẹn tính lại theo thời hạn của thủ tục.",
            value="",
            colmaps=colmaps,
        )
    )
    return df


def _filled(s: pd.Series, fill: pd.Series) -> pd.Series:
    """``s.fillna(fill)`` (``fill``: the values of the missing rows, aligned on the index); a
    categorical ``s`` first gets the values ``fill`` brings as categories, all in code-point
    order (``Index.union`` would leave them in the catalogue's order when ``s`` has none)."""
    if not isinstance(s.dtype, pd.CategoricalDtype):
        return s.fillna(fill)
    have = s.cat.categories
    new = pd.Index(fill.dropna().unique()).astype(have.dtype if len(have) else "str")
    return s.cat.set_categories(have.append(new).unique().sort_values()).fillna(fill)


def _safe_due(df: pd.DataFrame, calendar: WorkCalendar, out: pd.Series, failed: list) -> None:
    """Vectorised due dates; on a ConfigError (a due date in a year without schedule) split the
    rows in halves until the offending dossiers are isolated (O(k log n) calls)."""
    if df.empty:
        return
    try:
        out.loc[df.index] = calendar.due_dates(
            df["received_at"], df["deadline_value"], df["deadline_unit"], df["after_15h"]
        ).to_numpy()
    except ConfigError:
        if len(df) == 1:
            failed.append(df.index[0])
        else:
            for part in (df.iloc[: len(df) // 2], df.iloc[len(df) // 2 :]):
                _safe_due(part, calendar, out, failed)
