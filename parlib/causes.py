"""Cause categories of the appraisal's written reasons (``lý do trừ điểm``), from an editable
keyword table.

``data/raw/config/cause_keywords.csv`` (columns ``category, category_name, keyword, note``; one
row per keyword) is maintained by the analyst. Matching rules (transparent on purpose: every
classification returns the keyword that decided it):

* reason and keywords are NFC-normalised, whitespace-collapsed and case-folded; **diacritics are
  significant** ("trễ" never matches "tre");
* a keyword matches a whole word or a whole phrase only (no letter or digit right before or
  after it, so "chậm" does not match inside another word); a space inside a phrase matches any
  run of whitespace;
* ``...`` (or ``…``) inside a keyword joins two parts that must appear in this order in the same
  sentence with at most ``GAP_CHARS`` characters between them ("tỷ lệ ... chưa đạt" matches
  "tỷ lệ hồ sơ đúng hạn chưa đạt");
* a reason may match several categories: all are listed (``all_categories``); the **primary**
  category is the one that comes first in the table (row order is the analyst's priority), and
  its ``matched_keyword`` is its first matching keyword in table order;
* an empty reason gets ``NO_REASON`` ("Không có lý do"); a reason matching nothing gets
  ``UNCLASSIFIED`` ("Chưa phân loại") and is listed as such, never guessed.
"""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pandas as pd

from .errors import Problem, StructuralError
from .readers import normalise_text, read_cells

UNCLASSIFIED, UNCLASSIFIED_NAME = "unclassified", "Chưa phân loại"
NO_REASON, NO_REASON_NAME = "no_reason", "Không có lý do"
RESERVED = {UNCLASSIFIED, NO_REASON}
GAP_CHARS = 80
KEYWORD_COLUMNS = ["category", "category_name", "keyword", "note"]
REQUIRED = ["category", "category_name", "keyword"]
RESULT_COLUMNS = ["reason", "category", "category_name", "matched_keyword", "all_categories",
                  "all_keywords", "n_categories", "is_classified"]
RANK_COLUMNS = ["rank", "category", "category_name", "n_items", "points_lost", "share_pct", "codes"]
_GAP = re.compile(r"\s*(?:\.\.\.|…)\s*")
_CATEGORY_ID = re.compile(r"[a-z][a-z0-9_]*")


def load_cause_keywords(path: str | Path) -> pd.DataFrame:
    """Read and validate the keyword table (CSV or xlsx, UTF-8 with or without BOM).

    Returns the table of :func:`cause_keyword_table`. Raises InputFormatError for an unreadable
    file and StructuralError listing every missing column and every bad cell.
    """
    cells, sheet = read_cells(path)
    name = Path(path).name
    headers = [normalise_text(h) or "" for h in cells.iloc[0].tolist()]
    missing = [c for c in REQUIRED if c not in headers]
    if missing:
        raise StructuralError("Bảng từ khóa nguyên nhân thiếu cột.", [
            Problem("thiếu cột bắt buộc", file=name, sheet=sheet, column=c) for c in missing])
    df = pd.DataFrame(cells.iloc[1:].to_numpy(), columns=headers)
    df = df[[c for c in KEYWORD_COLUMNS if c in df.columns]]
    df.index = np.arange(2, len(df) + 2)  # 1-based file rows (header is row 1)
    return cause_keyword_table(df, file=name)


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
        raise StructuralError("Bảng từ khóa nguyên nhân thiếu cột.",
                              [Problem("thiếu cột bắt buộc", file=file, column=c) for c in missing])
    df = table.copy()
    if "note" not in df.columns:
        df["note"] = None
    df = df[KEYWORD_COLUMNS].map(normalise_text).replace("", None)
    df = df[df[REQUIRED].notna().any(axis=1)]
    problems = [Problem("ô trống", file=file, row=_row(i), column=c)
                for c in REQUIRED for i in df.index[df[c].isna()]]
    ok = df.dropna(subset=REQUIRED)
    for i, cat in ok["category"].items():
        if cat in RESERVED:
            problems.append(Problem(f"mã nhóm «{cat}» được dành riêng cho chương trình", file=file,
                                    row=_row(i), column="category"))
        elif not _CATEGORY_ID.fullmatch(cat):
            problems.append(Problem(f"mã nhóm «{cat}» không hợp lệ (chỉ dùng chữ thường không dấu, "
                                    "số và dấu gạch dưới)", file=file, row=_row(i), column="category"))
    names = ok.groupby("category", sort=False)["category_name"].unique()
    for cat, vals in names.items():
        if len(vals) > 1:
            problems.append(Problem(f"nhóm «{cat}» có nhiều tên khác nhau: " + "; ".join(map(str, vals)),
                                    file=file, column="category_name"))
    ok = ok.assign(keyword=ok["keyword"].str.casefold())
    dup = ok[ok.duplicated("keyword", keep="first")]
    problems += [Problem(f"từ khóa «{k}» bị lặp lại", file=file, row=_row(i), column="keyword")
                 for i, k in dup["keyword"].items()]
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


def classify_reasons(reasons: pd.Series, keywords: pd.DataFrame) -> pd.DataFrame:
    """Classify each reason into cause categories.

    ``keywords``: the table of :func:`load_cause_keywords` (or any frame with category,
    category_name, keyword; it is validated by :func:`cause_keyword_table`).

    Returns a frame with the index of ``reasons`` and columns: reason (NFC, whitespace
    collapsed; '' when empty), category (primary, by table order; ``unclassified`` /
    ``no_reason``), category_name, matched_keyword (the keyword that decided the primary
    category, '' when none), all_categories and all_keywords (every matched category / keyword
    in table order, joined by '; '), n_categories (int), is_classified (bool).
    """
    if "keyword_order" not in keywords.columns:
        keywords = cause_keyword_table(keywords)
    pats = [(r.category, r.category_name, r.keyword, keyword_pattern(r.keyword))
            for r in keywords.sort_values("keyword_order").itertuples()]
    rows = []
    for raw in reasons.tolist():
        text = normalise_text(raw) if isinstance(raw, str) else None
        if not text:
            rows.append(("", NO_REASON, NO_REASON_NAME, "", "", "", 0, False))
            continue
        folded = text.casefold()
        hits = [(cat, name, kw) for cat, name, kw, p in pats if p.search(folded)]
        if not hits:
            rows.append((text, UNCLASSIFIED, UNCLASSIFIED_NAME, "", "", "", 0, False))
            continue
        cats = list(dict.fromkeys(h[0] for h in hits))
        cat, name, kw = hits[0]
        rows.append((text, cat, name, kw, "; ".join(cats), "; ".join(h[2] for h in hits), len(cats), True))
    out = pd.DataFrame(rows, columns=RESULT_COLUMNS, index=reasons.index)
    out["n_categories"] = out["n_categories"].astype("int64")
    out["is_classified"] = out["is_classified"].astype(bool)
    for c in RESULT_COLUMNS[:6]:
        out[c] = out[c].astype("str")
    return out


def rank_causes(items: pd.DataFrame, keywords: pd.DataFrame, *, reason_col: str = "reason",
                points_col: str = "points_lost", code_col: str | None = "code") -> pd.DataFrame:
    """Rank the primary cause categories by the points they explain.

    ``items``: one row per sub-criterion (or any scored item) with a reason and the points lost.
    Every item counts once, under its primary category (so points add up to the total lost);
    unclassified and reason-less items are listed as such, ranked by their points like the
    others (they are real losses whose cause is unknown).

    Returns RANK_COLUMNS: rank (1 = most points), category, category_name, n_items,
    points_lost (sum; NaN points count as 0), share_pct (of all points lost; NaN when the total
    is 0), codes (the items' codes joined by ', ' when ``code_col`` exists, else '').
    """
    missing = [c for c in (reason_col, points_col) if c not in items.columns]
    if missing:
        raise StructuralError("Thiếu cột để xếp hạng nguyên nhân.", [Problem("thiếu cột", column=c) for c in missing])
    cls = classify_reasons(items[reason_col], keywords)
    pts = pd.to_numeric(items[points_col], errors="coerce").fillna(0.0)
    codes = items[code_col].astype("str") if code_col and code_col in items.columns else pd.Series("", index=items.index)
    df = pd.DataFrame({"category": cls["category"], "category_name": cls["category_name"],
                       "points_lost": pts, "code": codes})
    if df.empty:
        return pd.DataFrame(columns=RANK_COLUMNS)
    g = df.groupby(["category", "category_name"], sort=False).agg(
        n_items=("points_lost", "size"), points_lost=("points_lost", "sum"),
        codes=("code", lambda s: ", ".join(x for x in s if x))).reset_index()
    total = g["points_lost"].sum()
    g["share_pct"] = 100 * g["points_lost"] / total if total != 0 else np.nan
    g = g.sort_values(["points_lost", "n_items"], ascending=False, kind="stable").reset_index(drop=True)
    g["rank"] = np.arange(1, len(g) + 1)
    return g[RANK_COLUMNS]
