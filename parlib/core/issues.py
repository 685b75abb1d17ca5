"""Content problems and row accounting.

Content problems (a score above its maximum, a dossier with no due date...) never stop
a run: they are collected into one *issues table* shown in every report. Every input
row is also accounted for in a *ledger*: used, rejected (with an issue row giving the
reason) or skipped (structural rows such as headers, blanks and subtotals).

Issues table columns (the contract, see docs/data-contracts.md):
    severity  'error' | 'warning' | 'info'
    rule      stable machine id of the rule, e.g. 'score_above_max'
    source    input file name (relative to the data folder when possible)
    sheet     sheet name ('' for CSV)
    cell      Excel cell such as 'F12' ('' when not applicable)
    row       1-based row in the file (<NA> when not applicable)
    column    column header as found in the file
    code      node code, dossier number... the key of the offending record
    value     offending value as text
    message   Vietnamese explanation for the user
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, field

import pandas as pd

from parlib.core.text import scrub_frame

ISSUE_COLUMNS = ["severity", "rule", "source", "sheet", "cell", "row", "column", "code", "value", "message"]
LEDGER_COLUMNS = ["source", "sheet", "status", "reason", "rows"]
SEVERITY_VI = {"error": "Lỗi", "warning": "Cảnh báo", "info": "Thông tin"}
LEDGER_STATUSES = ("used", "rejected", "skipped")


def excel_cell(row: int, col: int) -> str:
    """Return the A1 reference of a 1-based (row, col); ``excel_cell(12, 6) == 'F12'``."""
    letters = ""
    c = col
    while c > 0:
        c, rem = divmod(c - 1, 26)
        letters = chr(65 + rem) + letters
    return f"{letters}{row}"


@dataclass
class IssueLog:
    """Collects content issues; cheap to append to, converted once with ``to_frame``."""

    records: list[dict] = field(default_factory=list)

    def add(
        self,
        rule: str,
        message: str,
        *,
        severity: str = "warning",
        source: str = "",
        sheet: str = "",
        cell: str = "",
        row: int | None = None,
        column: str = "",
        code: str = "",
        value: object = "",
    ) -> None:
        if severity not in SEVERITY_VI:
            raise ValueError(f"unknown severity {severity!r}")
        self.records.append(
            {
                "severity": severity,
                "rule": rule,
                "source": source,
                "sheet": sheet,
                "cell": cell,
                "row": row,
                "column": column,
                "code": str(code),
                "value": "" if value is None else str(value),
                "message": message,
            }
        )

    def extend(self, other: "IssueLog | pd.DataFrame") -> None:
        if isinstance(other, IssueLog):
            self.records.extend(other.records)
        else:
            self.records.extend(other.to_dict("records"))

    def __len__(self) -> int:
        return len(self.records)

    def to_frame(self) -> pd.DataFrame:
        return issues_frame(self.records)


def concat_issues(frames: list[pd.DataFrame]) -> pd.DataFrame:
    """One issues table from several (empty or None frames skipped)."""
    frames = [f.reindex(columns=ISSUE_COLUMNS) for f in frames if f is not None and not f.empty]
    if not frames:
        return issues_frame()
    return _typed(pd.concat(frames, ignore_index=True))  # not row by row: 2 s at a million rows


def finish_issues(parts: list[pd.DataFrame]) -> pd.DataFrame:
    """One issues table from several, sorted by source, row and rule (blank text, Int64 rows)."""
    if not (parts := [p for p in parts if len(p)]):
        return issues_frame()
    df = pd.concat(parts, ignore_index=True)
    _blank_texts(df, [c for c in ISSUE_COLUMNS if c != "row"])
    df["row"] = pd.array(df["row"], dtype="Int64")
    return df.sort_values(["source", "row", "rule"], kind="stable").reset_index(drop=True)


def issues_frame(records: list[dict] | None = None) -> pd.DataFrame:
    """An issues table with the contract's columns and dtypes (empty if no records)."""
    if not records:  # the usual case, dozens of times a run: typed once
        return _empty_issues().copy()
    return _typed(pd.DataFrame(records, columns=ISSUE_COLUMNS))


@functools.cache
def _empty_issues() -> pd.DataFrame:
    return _typed(pd.DataFrame([], columns=ISSUE_COLUMNS))


def _typed(df: pd.DataFrame) -> pd.DataFrame:
    """The contract's dtypes (Int64 rows, blank text) on a frame with ISSUE_COLUMNS, scrubbed."""
    df = df.copy()
    df["row"] = pd.array(df["row"].astype(object).where(df["row"].notna(), None), dtype="Int64")
    _blank_texts(df, [c for c in ISSUE_COLUMNS if c != "row"])
    return scrub_issues(df)


def _blank_texts(df: pd.DataFrame, columns: list[str]) -> None:
    """``columns`` of ``df`` as texts, a missing cell as "" (in place), whatever a column's dtype:
    an all-missing column is float64, and a text fill of a float column is refused by pandas to
    come."""
    for c in columns:
        s = df[c]
        if s.dtype != object and not pd.api.types.is_string_dtype(s.dtype):
            s = s.astype(object)
        df[c] = s.fillna("").astype(str)


# what an issue row shows of the input: the offending value, the record key, the header and the
# message that may quote them (file, sheet and cell references are ours)
_ISSUE_TEXT = ("column", "code", "value", "message")


def scrub_issues(df: pd.DataFrame) -> pd.DataFrame:
    """``df`` (an issues table) with phones, e-mails, ID numbers and street addresses in the
    values, codes, headers and messages replaced (``parlib.core.text.scrub_identifiers``): a bad
    cell is shown in the issues table, so an ID number typed into a date column must not be."""
    return scrub_frame(df, skip=[c for c in df.columns if c not in _ISSUE_TEXT])


@dataclass
class Ledger:
    """Row accounting for every input: rows read = used + rejected + skipped."""

    records: list[dict] = field(default_factory=list)

    def add(self, source: str, status: str, rows: int, reason: str = "", sheet: str = "") -> None:
        if status not in LEDGER_STATUSES:
            raise ValueError(f"unknown ledger status {status!r}")
        if rows:
            self.records.append(
                {"source": source, "sheet": sheet, "status": status, "reason": reason, "rows": int(rows)}
            )

    def extend(self, other: "Ledger") -> None:
        self.records.extend(other.records)

    def to_frame(self) -> pd.DataFrame:
        df = pd.DataFrame(self.records, columns=LEDGER_COLUMNS)
        df["rows"] = df["rows"].astype("int64")
        return df


def ledger_summary(ledger: pd.DataFrame) -> pd.DataFrame:
    """One row per source: read, used, rejected, skipped (read = used + rejected + skipped).

    Columns: source, sheet, read, used, rejected, skipped.
    """
    if ledger.empty:
        return pd.DataFrame(columns=["source", "sheet", "read", "used", "rejected", "skipped"])
    wide = (
        ledger.pivot_table(
            index=["source", "sheet"], columns="status", values="rows", aggfunc="sum", fill_value=0
        )
        .reindex(columns=list(LEDGER_STATUSES), fill_value=0)
        .reset_index()
    )
    wide.columns.name = None
    wide.insert(2, "read", wide[list(LEDGER_STATUSES)].sum(axis=1))
    return wide
