"""Citizens' feedback (phản ánh, kiến nghị — PAKN): ingestion and the 766 group-5 KPIs.

Input ``raw/feedback/pakn_<year>.xlsx``, sheet ``PAKN``, header on the first row (see
docs/data-contracts.md). Personal data columns (``Người gửi``, ``Số điện thoại``, ``Email``
and any other spelling :func:`parlib.readers.is_pii_header` recognises) are never read into
a frame; ``Nội dung`` is scrubbed of phones, e-mails and ID numbers.

Rules (766 indicators 5.1–5.3, transcription in shared/domain/data)
    clock start  ``transferred_at`` when the PAKN was transferred (the transfer restarts
                 the clock), else ``received_at``;
    handled at   the earlier of ``answered_at`` and ``published_at`` ("answered or
                 published"); a date after the period end is not yet known at that end;
    on time      ``count_working_days(start, handled) <= 15`` (working days in
                 (start, handled], the calendar of raw/config/holidays.csv);
    unanswered   at the period end: ``late`` when ``count_working_days(start, period_end)``
                 is already > 15, else ``pending``.
    5.1 classified share: k = PAKN with a known category, n = all PAKN;
    5.2 on-time share:    k = on time, n = on time + late (pending PAKN are not yet
                          judged and are left out of n; their number is reported);
    5.3 satisfaction in handling: k = total − #(disliked [dislikes > likes] or late or
                          re-complained), each PAKN counted once; n = total.
    A PAKN belongs to the month of its receipt (``received_at``); the population of a run
    is the PAKN received from 1 January of the period end's year up to the period end.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from parlib.core.cache import cached
from parlib.core.cells import parse_datetimes, parse_numbers
from parlib.core.errors import Problem, StructuralError
from parlib.core.issues import IssueLog, Ledger, excel_cell
from parlib.core.text import fold, normalise_text, pii_columns, scrub_frame, scrub_text
from parlib.ingest.readers import extend_spec, find_header_row, map_columns, read_cells, spellings_key

SHEET = "PAKN"
CATEGORIES = ["Quy định hành chính", "Hành vi hành chính", "Thủ tục hành chính"]
_CATEGORY_KEYS = {fold(c): c for c in CATEGORIES}

SPEC = {
    "feedback_id": ["Mã PAKN", "Mã phản ánh", "Số PAKN"],
    "received_at": ["Ngày tiếp nhận", "Ngày gửi"],
    "office_name": ["Đơn vị xử lý"],
    "category": ["Phân loại"],
    "content": ["Nội dung", "Nội dung PAKN"],
    "transferred_at": ["Ngày chuyển xử lý", "Ngày chuyển"],
    "answered_at": ["Ngày trả lời"],
    "published_at": ["Ngày công khai"],
    "likes": ["Lượt thích"],
    "dislikes": ["Lượt không thích"],
    "is_recomplaint": ["Phản ánh lại"],
}
REQUIRED = ["feedback_id", "received_at", "office_name", "answered_at"]
FEEDBACK_COLUMNS = [
    "feedback_id",
    "received_at",
    "office_name",
    "category",
    "is_classified",
    "content",
    "transferred_at",
    "answered_at",
    "published_at",
    "likes",
    "dislikes",
    "is_recomplaint",
    "source",
    "sheet",
    "row",
]
_DATE_COLS = ["received_at", "transferred_at", "answered_at", "published_at"]
_YES, _NO = {"co", "x", "1", "yes", "true"}, {"khong", "0", "no", "false", ""}


def read_feedback(
    files, calendar, *, cache_dir=None, spellings: dict | None = None
) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """Read feedback logs; returns (feedback, issues, ledger).

    ``feedback`` columns: FEEDBACK_COLUMNS — ``feedback_id``, ``office_name``, ``category``
    (str; category is NA when blank or unknown), ``is_classified`` (bool), ``content``
    (scrubbed), four datetimes, ``likes``/``dislikes`` (int, blank = 0),
    ``is_recomplaint`` (bool), provenance ``source``, ``sheet``, ``row``. No PII column.

    Rejected (error issue): no id, unreadable or missing receipt date. Duplicated ids: the
    later file/row wins (warning). Warnings, row kept: an unknown category, an unreadable
    optional date (NaT), a date before receipt, a bad like/dislike count (0), an unknown
    ``Phản ánh lại`` value (``Không``), a receipt year the ``calendar`` does not cover.
    Raises StructuralError listing every missing sheet/column of every file.
    ``cache_dir``: each file's parsed copy is kept there (``parlib.cache``) and reused while
    the file and the code are unchanged. ``spellings``: the analyst's extra header spellings
    (``{column: (text, …)}``, ``raw/config/header_spellings.csv``).
    """
    spec = extend_spec(SPEC, spellings)
    issues, ledger = IssueLog(), Ledger()
    problems: list[Problem] = []
    parts = []
    for path in map(Path, files):
        try:
            one = (
                _parse_file(path, spec)
                if cache_dir is None
                else cached(
                    "feedback",
                    path,
                    lambda p: _parse_file(p, spec),
                    cache_dir=cache_dir,
                    extra=path.name + spellings_key(spellings),
                )
            )
        except StructuralError as err:
            problems.extend(err.problems)
            continue
        parts.append(one["rows"])
        issues.extend(one["issues"])
        ledger.records.extend(one["ledger"].to_dict("records"))
    if problems:
        raise StructuralError("Tệp PAKN không đúng cấu trúc.", problems)
    fb = pd.concat(parts, ignore_index=True) if parts else _empty()
    dup = fb.duplicated("feedback_id", keep="last")
    for rec in fb.loc[dup].itertuples(index=False):
        issues.add(
            "feedback_duplicate",
            "Trùng mã PAKN; dùng dòng xuất hiện sau.",
            source=rec.source,
            sheet=rec.sheet,
            row=rec.row,
            code=rec.feedback_id,
            value=rec.feedback_id,
        )
        ledger.add(rec.source, "rejected", 1, "trùng mã PAKN", rec.sheet)
    fb = fb.loc[~dup].reset_index(drop=True)
    for (src, sheet), grp in fb.groupby(["source", "sheet"], sort=False):
        ledger.add(src, "used", len(grp), "", sheet)
    for year in sorted(calendar.uncovered_years(fb["received_at"])):
        issues.add(
            "feedback_calendar_missing",
            f"Chưa có lịch nghỉ chính thức đầy đủ của năm {year}: không "
            "tính được hạn xử lý PAKN nhận trong năm này.",
            severity="error",
            code=str(year),
        )
    return fb[FEEDBACK_COLUMNS], issues.to_frame(), ledger.to_frame()


def _empty() -> pd.DataFrame:
    df = pd.DataFrame({c: pd.Series(dtype="str") for c in FEEDBACK_COLUMNS})
    for c in _DATE_COLS:
        df[c] = df[c].astype("datetime64[us]")
    return df.astype(
        {
            "likes": "int64",
            "dislikes": "int64",
            "row": "int64",
            "is_classified": "bool",
            "is_recomplaint": "bool",
        }
    )


def _parse_file(path: Path, spec: dict = SPEC) -> dict[str, pd.DataFrame]:
    """One log read on its own (what the parse cache stores): ``rows``, ``issues``, ``ledger``."""
    issues, ledger = IssueLog(), Ledger()
    rows = scrub_frame(_read_one(path, issues, ledger, spec), free_text=("content",))
    return {"rows": rows, "issues": issues.to_frame(), "ledger": ledger.to_frame()}


def _read_one(path: Path, issues: IssueLog, ledger: Ledger, spec: dict = SPEC) -> pd.DataFrame:
    cells, sheet = read_cells(path, SHEET)
    src = path.name
    hdr = find_header_row(cells, spec["feedback_id"])
    if hdr is None:
        raise StructuralError(
            "", [Problem("không tìm thấy dòng tiêu đề (cột «Mã PAKN»)", file=src, sheet=sheet)]
        )
    headers = [normalise_text(v) or "" for v in cells.iloc[hdr].tolist()]
    pii = set(pii_columns(headers))
    # PII columns are blanked from the header list so that they can never be mapped or read
    safe_headers = ["" if j in pii else h for j, h in enumerate(headers)]
    mp, _ = map_columns(safe_headers, spec, required=REQUIRED, file=src, sheet=sheet, header_row=hdr)
    ledger.add(src, "skipped", hdr + 1, "dòng tiêu đề", sheet)
    body = cells.iloc[hdr + 1 :].drop(columns=list(pii))
    n = len(body)
    get = {c: body[mp[c]] if c in mp else pd.Series([None] * n, index=body.index, dtype=object) for c in SPEC}
    dates, bad_dates = {}, {}
    for c in _DATE_COLS:
        dates[c], bad_dates[c] = (
            parse_datetimes(get[c])
            if c in mp
            else (
                pd.Series(pd.NaT, index=body.index, dtype="datetime64[us]"),
                pd.Series(False, index=body.index),
            )
        )
    likes, likes_bad = parse_numbers(get["likes"])
    dislikes, dislikes_bad = parse_numbers(get["dislikes"])
    rows, n_blank, n_rej = [], 0, 0
    for pos, i in enumerate(body.index):
        r = int(i) + 1
        if all(normalise_text(v) in (None, "") for v in body.loc[i].tolist()):
            n_blank += 1
            continue
        fid = normalise_text(get["feedback_id"].iloc[pos])

        def log(rule, msg, col, severity="warning"):
            issues.add(
                rule,
                msg,
                severity=severity,
                source=src,
                sheet=sheet,
                row=r,
                code=fid or "",
                cell=excel_cell(r, mp[col] + 1),
                column=headers[mp[col]],
                value=normalise_text(get[col].iloc[pos]) or "",
            )

        received = dates["received_at"].iloc[pos]
        if not fid or pd.isna(received):
            if not fid:
                log("feedback_no_id", "Thiếu mã PAKN.", "feedback_id", "error")
            if pd.isna(received):
                log("feedback_bad_received", "Thiếu hoặc sai ngày tiếp nhận.", "received_at", "error")
            n_rej += 1
            continue
        rec = {
            "feedback_id": fid,
            "received_at": received,
            "office_name": normalise_text(get["office_name"].iloc[pos]),
            "source": src,
            "sheet": sheet,
            "row": r,
        }
        for c in _DATE_COLS[1:]:
            v = dates[c].iloc[pos]
            if bad_dates[c].iloc[pos]:
                log("feedback_bad_date", "Ngày không đọc được; bỏ qua giá trị này.", c)
            elif pd.notna(v) and v.normalize() < received.normalize():
                log("feedback_date_before_receipt", "Ngày này sớm hơn ngày tiếp nhận.", c)
            rec[c] = v
        raw_cat = normalise_text(get["category"].iloc[pos])
        cat = _CATEGORY_KEYS.get(fold(raw_cat)) if raw_cat else None
        if raw_cat and cat is None:
            log(
                "feedback_unknown_category",
                "Phân loại không thuộc danh mục (" + "; ".join(CATEGORIES) + "); coi như chưa phân loại.",
                "category",
            )
        rec["category"], rec["is_classified"] = cat, cat is not None
        rec["content"] = scrub_text(normalise_text(get["content"].iloc[pos]))
        for c, vals, bad in (("likes", likes, likes_bad), ("dislikes", dislikes, dislikes_bad)):
            v = vals.iloc[pos]
            if bad.iloc[pos] or (not np.isnan(v) and (v < 0 or not float(v).is_integer())):
                log("feedback_bad_count", "Số lượt không hợp lệ; coi là 0.", c)
                v = np.nan
            rec[c] = 0 if np.isnan(v) else int(v)
        rc = fold(normalise_text(get["is_recomplaint"].iloc[pos]) or "")
        if rc not in _YES | _NO:
            log(
                "feedback_bad_recomplaint",
                "Giá trị «Phản ánh lại» phải là Có/Không; coi là Không.",
                "is_recomplaint",
            )
        rec["is_recomplaint"] = rc in _YES
        rows.append(rec)
    ledger.add(src, "skipped", n_blank, "dòng trống", sheet)
    ledger.add(src, "rejected", n_rej, "dòng lỗi (xem bảng vấn đề dữ liệu)", sheet)
    out = pd.DataFrame(rows, columns=FEEDBACK_COLUMNS)
    for c in _DATE_COLS:
        out[c] = pd.to_datetime(out[c]).astype("datetime64[us]")
    for c in ["feedback_id", "office_name", "category", "content", "source", "sheet"]:
        out[c] = out[c].astype("str")
    return out.astype(
        {
            "likes": "int64",
            "dislikes": "int64",
            "row": "int64",
            "is_classified": "bool",
            "is_recomplaint": "bool",
        }
    )
