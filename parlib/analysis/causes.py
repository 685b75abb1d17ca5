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

import numpy as np
import pandas as pd

from parlib.core.errors import Problem, StructuralError
from parlib.core.text import normalise_text
from parlib.model.cause_rules import (
    NO_REASON,
    NO_REASON_NAME,
    UNCLASSIFIED,
    UNCLASSIFIED_NAME,
    cause_keyword_table,
    keyword_pattern,
)

RESULT_COLUMNS = [
    "reason",
    "category",
    "category_name",
    "matched_keyword",
    "all_categories",
    "all_keywords",
    "n_categories",
    "is_classified",
]
RANK_COLUMNS = ["rank", "category", "category_name", "n_items", "points_lost", "share_pct", "codes"]


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
    pats = [
        (r.category, r.category_name, r.keyword, keyword_pattern(r.keyword))
        for r in keywords.sort_values("keyword_order").itertuples()
    ]
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


def rank_causes(
    items: pd.DataFrame,
    keywords: pd.DataFrame,
    *,
    reason_col: str = "reason",
    points_col: str = "points_lost",
    code_col: str | None = "code",
) -> pd.DataFrame:
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
        raise StructuralError(
            "Thiếu cột để xếp hạng nguyên nhân.", [Problem("thiếu cột", column=c) for c in missing]
        )
    cls = classify_reasons(items[reason_col], keywords)
    pts = pd.to_numeric(items[points_col], errors="coerce").fillna(0.0)
    codes = (
        items[code_col].astype("str")
        if code_col and code_col in items.columns
        else pd.Series("", index=items.index)
    )
    df = pd.DataFrame(
        {
            "category": cls["category"],
            "category_name": cls["category_name"],
            "points_lost": pts,
            "code": codes,
        }
    )
    if df.empty:
        return pd.DataFrame(columns=RANK_COLUMNS)
    g = (
        df.groupby(["category", "category_name"], sort=False)
        .agg(
            n_items=("points_lost", "size"),
            points_lost=("points_lost", "sum"),
            codes=("code", lambda s: ", ".join(x for x in s if x)),
        )
        .reset_index()
    )
    total = g["points_lost"].sum()
    g["share_pct"] = 100 * g["points_lost"] / total if total != 0 else np.nan
    g = g.sort_values(["points_lost", "n_items"], ascending=False, kind="stable").reset_index(drop=True)
    g["rank"] = np.arange(1, len(g) + 1)
    return g[RANK_COLUMNS]
