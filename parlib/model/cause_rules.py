"""The cause-keyword table (``raw/config/cause_keywords.csv``): its columns, reserved categories
and validation, and the keyword pattern rule (no I/O).
"""

from __future__ import annotations

import re

import numpy as np
import pandas as pd

from parlib.core.errors import Problem, StructuralError
from parlib.core.text import normalise_text

UNCLASSIFIED, UNCLASSIFIED_NAME = "unclassified", "Chưa phân loại"
NO_REASON, NO_REASON_NAME = "no_reason", "Không có lý do"
RESERVED = {UNCLASSIFIED, NO_REASON}
GAP_CHARS = 80
KEYWORD_COLUMNS = ["category", "category_name", "keyword", "note"]
REQUIRED = ["category", "category_name", "keyword"]
_GAP = re.compile(r"\s*(?:\.\.\.|…)\s*")
_CATEGORY_ID = re.compile(r"[a-z][a-z0-9_]*")


def cause_keyword_table(table: pd.DataFrame, *, file: str = "") -> pd.DataFrame:
    """Validate and normalise a keyword table given as a frame (the index is used as the file
    row in error messages).

    Returns columns category, category_name, keyword (NFC, case-folded), note,
    category_order (0-based order of first appearance), keyword_order (row order).
    Fully blank rows are ignored. Raises StructuralError listing every blank required cell,
    every invalid or reserved category id (``unclassified``, ``no_reason``), every category
    with two different names and every keyword given twice.
    """
    missing = [c for c in REQUIRED if c not in table.columns]
    if missing:
        raise StructuralError(
            "Bảng từ khóa nguyên nhân thiếu cột.",
            [Problem("thiếu cột bắt buộc", file=file, column=c) for c in missing],
        )
    df = table.copy()
    if "note" not in df.columns:
        df["note"] = None
    df = df[KEYWORD_COLUMNS].map(normalise_text).replace("", None)
    df = df[df[REQUIRED].notna().any(axis=1)]
    problems = [
        Problem("ô trống", file=file, row=_row(i), column=c) for c in REQUIRED for i in df.index[df[c].isna()]
    ]
    ok = df.dropna(subset=REQUIRED)
    for i, cat in ok["category"].items():
        if cat in RESERVED:
            problems.append(
                Problem(
                    f"mã nhóm «{cat}» được dành riêng cho chương trình",
                    file=file,
                    row=_row(i),
                    column="category",
                )
            )
        elif not _CATEGORY_ID.fullmatch(cat):
            problems.append(
                Problem(
                    f"mã nhóm «{cat}» không hợp lệ (chỉ dùng chữ thường không dấu, số và dấu gạch dưới)",
                    file=file,
                    row=_row(i),
                    column="category",
                )
            )
    names = ok.groupby("category", sort=False)["category_name"].unique()
    for cat, vals in names.items():
        if len(vals) > 1:
            problems.append(
                Problem(
                    f"nhóm «{cat}» có nhiều tên khác nhau: " + "; ".join(map(str, vals)),
                    file=file,
                    column="category_name",
                )
            )
    ok = ok.assign(keyword=ok["keyword"].str.casefold())
    dup = ok[ok.duplicated("keyword", keep="first")]
    problems += [
        Problem(f"từ khóa «{k}» bị lặp lại", file=file, row=_row(i), column="keyword")
        for i, k in dup["keyword"].items()
    ]
    if problems:
        raise StructuralError("Bảng từ khóa nguyên nhân có lỗi.", problems)
    out = ok.reset_index(drop=True)
    out["category_order"] = out["category"].map({c: i for i, c in enumerate(dict.fromkeys(out["category"]))})
    out["keyword_order"] = np.arange(len(out))
    return out.astype({c: "str" for c in REQUIRED})


def _row(i) -> int | None:
    return int(i) if isinstance(i, (int, np.integer)) else None


def keyword_pattern(keyword: str) -> re.Pattern:
    """Compiled whole-word pattern of one (case-folded) keyword; see the module rules."""
    parts = [p for p in _GAP.split(keyword.strip()) if p]
    words = [r"\s+".join(re.escape(w) for w in p.split()) for p in parts]
    gap = rf"[^.;!?\n]{{1,{GAP_CHARS}}}?"
    return re.compile(gap.join(rf"(?<!\w)(?:{w})(?!\w)" for w in words))
