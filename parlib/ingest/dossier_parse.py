"""Parsing one dossier export's cells into typed columns (text, dates in both styles, codes,
flags, counts), with one issue row per unreadable cell.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from parlib.core.cells import arrow_strings, parse_datetimes, parse_numbers
from parlib.core.issues import ISSUE_COLUMNS, excel_cell, issues_frame
from parlib.core.text import fold, normalise_text
from parlib.ingest.dossier_columns import (
    _CHANNELS,
    BLANK_IS_NA,
    COUNT_COLUMNS,
    DATE_COLUMNS,
    FLAG_COLUMNS,
    HEADERS,
    TEXT_COLUMNS,
    _bools,
    _map_unique,
)
from parlib.model.dossier_rules import CONSISTENCY_RULES, STATUS_CODES, consistency_flags

# printable ASCII words separated by single spaces: normalise_text leaves such a text unchanged
_CLEAN_ASCII = r"^[!-~]+( [!-~]+)*$"


def _text(s: pd.Series) -> pd.Series:
    """NFC, collapsed whitespace; blank -> missing (str dtype). Texts that normalise_text would
    leave unchanged (printable ASCII, single spaces: dossier numbers, codes) are kept as they
    are; every other distinct value goes through normalise_text once."""
    import pyarrow as pa
    import pyarrow.compute as pc

    strings = arrow_strings(s)
    if strings is None:
        values = s.to_numpy(dtype=object)
        try:  # a column of texts and blanks (most Excel ones): Arrow throughout
            strings = pa.array(values, type=pa.string(), from_pandas=True)
        except (pa.ArrowTypeError, pa.ArrowInvalid):  # numbers or dates typed in the column
            return _mixed_text(s, values)
    clean = pc.fill_null(pc.match_substring_regex(strings, _CLEAN_ASCII), True)
    if not pc.all(clean).as_py():
        strings = _normalised(strings, pc.invert(clean))
    strings = pc.if_else(pc.equal(pc.utf8_length(strings), 0), pa.scalar(None, strings.type), strings)
    return pd.Series(pd.arrays.ArrowStringArray(strings), index=s.index).astype("str")


def _normalised(strings, unclean):
    """``strings`` with the texts at ``unclean`` (none of them null) through normalise_text,
    once per distinct text."""
    import pyarrow as pa
    import pyarrow.compute as pc

    whole = pc.all(unclean).as_py()  # a column of Vietnamese names: every text
    encoded = pc.dictionary_encode(strings if whole else pc.filter(strings, unclean))
    mapped = pa.array([normalise_text(v) for v in encoded.dictionary.to_pylist()], type=strings.type)
    fixed = mapped.take(encoded.indices)
    return fixed if whole else pc.replace_with_mask(strings, unclean, fixed)


def _mixed_text(s: pd.Series, values: np.ndarray) -> pd.Series:
    """:func:`_text` of a column holding non-text values too (each goes through normalise_text)."""
    is_str = np.fromiter((type(v) is str for v in values), dtype=bool, count=len(values))
    clean = np.zeros(len(values), dtype=bool)
    if is_str.any():
        import pyarrow as pa
        import pyarrow.compute as pc

        strings = pa.array(values[is_str], type=pa.string())
        clean[is_str] = pc.match_substring_regex(strings, _CLEAN_ASCII).to_numpy(zero_copy_only=False)
    out = pd.Series(values, index=s.index, dtype=object)
    if not clean.all():
        out[~clean] = _map_unique(s[~clean], normalise_text).to_numpy()
    out = out.astype("str")
    return out.where(out.str.len() > 0)


def _dates(s: pd.Series) -> tuple[pd.Series, pd.Series]:
    """parse_datetimes with a vectorised fast path for all-datetime or ``dd/mm/yyyy HH:MM`` text
    columns; dates outside 2000–2100 are bad."""
    kind = pd.api.types.infer_dtype(s, skipna=True)
    if kind not in ("datetime", "datetime64", "date", "empty", "string"):
        return parse_datetimes(s)
    bad = pd.Series(False, index=s.index)
    if kind == "string":
        out = _dmy_hm(s)
        rest = out.isna() & s.notna()
        if rest.any():  # other spacing, other styles, impossible dates: the general rules decide
            out.loc[rest] = pd.to_datetime(
                s[rest].str.strip(), format="%d/%m/%Y %H:%M", errors="coerce"
            ).astype("datetime64[us]")
            rest = out.isna() & s.notna()
        if rest.any():
            out.loc[rest], bad.loc[rest] = parse_datetimes(s[rest])
    else:
        out = pd.to_datetime(s, errors="coerce").astype("datetime64[us]")
    wrong = out.notna() & ((out.dt.year < 2000) | (out.dt.year > 2100))
    return out.where(~wrong), bad | wrong


_DMY_HM = r"^\d\d/\d\d/\d\d\d\d \d\d:\d\d$"  # the export's own style, zero-padded


def _dmy_hm(s: pd.Series) -> pd.Series:
    """Zero-padded ``dd/mm/yyyy HH:MM`` texts read in one vectorised pass (Arrow): what
    ``pd.to_datetime(format="%d/%m/%Y %H:%M")`` gives for them, about ten times faster. NaT
    for any other text and for impossible dates (25:00 is refused by the parser; 31/02, which
    the parser would roll over to 03/03, by comparing the day read back with the text's): the
    caller passes those to the slower readers, which decide."""
    import pyarrow as pa
    import pyarrow.compute as pc

    texts = arrow_strings(s)
    if texts is None:
        texts = pa.array(s.to_numpy(dtype=object), type=pa.string(), from_pandas=True)
    shaped = pc.fill_null(pc.match_substring_regex(texts, _DMY_HM), False)
    stamps = pc.strptime(
        pc.if_else(shaped, texts, None), format="%d/%m/%Y %H:%M", unit="us", error_is_null=True
    )
    day = pc.cast(pc.utf8_slice_codeunits(pc.if_else(shaped, texts, None), 0, 2), pa.int64())
    same_day = pc.fill_null(pc.equal(pc.day(stamps), day), False)
    out = pc.if_else(same_day, stamps, None).to_numpy(zero_copy_only=False)
    return pd.Series(out.astype("datetime64[us]"), index=s.index)


def _codes(s: pd.Series) -> pd.Series:
    """Procedure codes as text; a number such as 1.00972 typed in a cell -> '1.009720'."""
    if arrow_strings(s) is not None:  # a CSV's cells: text only
        return _text(s)
    num = _map_unique(s, lambda v: isinstance(v, (int, float)) and not isinstance(v, bool))
    num = num.fillna(False).astype(bool)
    out = _text(s.astype(object).where(~num, None))
    if num.any():
        out.loc[num] = s[num].map(lambda v: f"{float(v):.6f}")
    return out


def _issues(
    df: pd.DataFrame,
    mask,
    severity: str,
    rule: str,
    column: str,
    message,
    value=None,
    colmaps: dict | None = None,
) -> pd.DataFrame:
    """Vectorised issues rows for the rows of ``df`` selected by ``mask``; ``colmaps`` maps
    source file -> {logical column: 1-based Excel column} for the cell reference."""
    sel = df[np.asarray(mask, dtype=bool)]
    if sel.empty:
        return issues_frame()
    vals = sel[column] if value is None and column in sel else value
    cells = [
        excel_cell(int(r), (colmaps or {}).get(f, {})[column]) if column in (colmaps or {}).get(f, {}) else ""
        for f, r in zip(sel["source_file"], sel["source_row"])
    ]
    out = pd.DataFrame(
        {
            "severity": severity,
            "rule": rule,
            "source": sel["source_file"].to_numpy(),
            "sheet": sel["sheet"].to_numpy(),
            "cell": cells,
            "row": sel["source_row"].to_numpy(),
            "column": HEADERS.get(column, [column])[0],
            "code": sel["dossier_id"].fillna("").astype(str).to_numpy(),
            "value": pd.Series(vals, index=sel.index).astype(object).fillna("").astype(str).to_numpy(),
            "message": message.loc[sel.index].to_numpy() if isinstance(message, pd.Series) else message,
        }
    )
    return out[ISSUE_COLUMNS]


def _fmt(ts: pd.Series, with_time: bool = False) -> pd.Series:
    """dd/mm/yyyy[ HH:MM] without dt.strftime (slow)."""

    def z(x, w=2):
        return x.astype("Int64").astype(str).str.zfill(w)

    out = z(ts.dt.day) + "/" + z(ts.dt.month) + "/" + z(ts.dt.year, 4)
    if with_time:
        out = out + " " + z(ts.dt.hour) + ":" + z(ts.dt.minute)
    return out.fillna("")


def _parse(raw: pd.DataFrame, colmaps: dict, issues: list[pd.DataFrame]) -> tuple[pd.DataFrame, pd.Series]:
    """Typed frame of one export and the status per row: '' = usable, 'skip' = not a dossier
    row, otherwise the Vietnamese rejection reason (an error issue names the offending cell)."""
    df = raw[["source_file", "sheet", "source_row", "file_rank"]].copy()
    reason = pd.Series("", index=raw.index, dtype=object)
    where = pd.Series("dossier_id", index=raw.index, dtype=object)
    none = pd.Series(None, index=raw.index, dtype=object)
    free = pd.Series(True, index=raw.index)  # reason == "" (kept, not compared on every test)

    def reject(mask, text: str, col: str) -> None:
        mask = pd.Series(mask, index=raw.index).fillna(False).astype(bool) & free
        free.loc[mask] = False
        reason.loc[mask] = text
        where.loc[mask] = col

    for c in TEXT_COLUMNS:
        df[c] = (_codes if c == "procedure_code" else _text)(raw[c] if c in raw else none)
    df["status_code"] = _map_unique(df["status"], lambda v: STATUS_CODES.get(fold(v))).astype("str")
    skip = df["dossier_id"].isna() & df["procedure_code"].isna() & raw.get("received_at", none).isna()
    reject(df["dossier_id"].isna(), "thiếu số hồ sơ", "dossier_id")
    reject(df["procedure_code"].isna(), "thiếu mã TTHC", "procedure_code")
    for c in DATE_COLUMNS:
        df[c], bad = _dates(raw[c] if c in raw else none)
        reject(bad, f"ngày không hợp lệ ở cột «{HEADERS[c][0]}»", c)
    reject(df["received_at"].isna(), "thiếu ngày tiếp nhận", "received_at")
    for c in COUNT_COLUMNS:
        if c in raw:
            num, bad = parse_numbers(raw[c])
            wrong = bad | (num < 0) | (num.notna() & (num != np.floor(num)))
            reject(wrong, f"giá trị không hợp lệ ở cột «{HEADERS[c][0]}»", c)
            df[c] = num.where(~bad & (num >= 0), 0).fillna(0).round().astype("Int64")
        else:
            df[c] = pd.array([pd.NA] * len(raw), dtype="Int64")
    for c in FLAG_COLUMNS:
        if c not in raw:
            df[c] = pd.array([pd.NA] * len(raw), dtype="boolean")
            continue
        df[c], bad = _bools(raw[c], blank=pd.NA if c in BLANK_IS_NA else False)
        issues.append(
            _issues(
                df.assign(**{c: raw[c]}),
                bad & free & ~skip,
                "warning",
                "bad_flag",
                c,
                "Giá trị phải là «Có» hoặc «Không»; coi như không rõ.",
                colmaps=colmaps,
            )
        )
    if "channel" in raw:
        key = _map_unique(raw["channel"], lambda v: fold(f"{v:g}" if isinstance(v, (int, float)) else v))
        df["channel"] = key.map(_CHANNELS).where(key.notna(), 1).astype("Int64")
        issues.append(
            _issues(
                df.assign(channel=raw["channel"]),
                df["channel"].isna() & free & ~skip,
                "warning",
                "bad_channel",
                "channel",
                "Kênh nộp phải là 1, 2 hoặc 3; coi như không rõ.",
                colmaps=colmaps,
            )
        )
    else:
        df["channel"] = pd.array([pd.NA] * len(raw), dtype="Int64")
    issues.append(
        _issues(
            df,
            df["status"].notna() & df["status_code"].isna() & free,
            "warning",
            "unknown_status",
            "status",
            "Trạng thái không có trong danh mục trạng thái của mẫu xuất hồ sơ.",
            colmaps=colmaps,
        )
    )
    reason.loc[skip] = "skip"
    rejected = ~free & ~skip
    for col in where[rejected].unique():
        sel = rejected & (where == col)
        shown = raw[col] if col in raw else none
        issues.append(
            _issues(
                df.assign(**{col: shown}),
                sel,
                "error",
                "row_rejected",
                col,
                "Dòng bị loại: " + reason,
                colmaps=colmaps,
            )
        )
    return df, reason


def consistency_issues(df: pd.DataFrame, colmaps: dict | None = None) -> pd.DataFrame:
    """Warnings for every broken consistency rule of ``parlib.kpi.consistency_flags`` (missing
    due dates are reported by the reader with their own message)."""
    flags = consistency_flags(df)
    parts = [
        _issues(df, flags[r], "warning", r, col, msg, value="", colmaps=colmaps)
        for r, (col, msg) in CONSISTENCY_RULES.items()
        if r != "missing_due_date"
    ]
    return pd.concat(parts, ignore_index=True)
