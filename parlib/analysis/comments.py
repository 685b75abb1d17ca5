"""Themes of the free-text survey comments (``Góp ý``), from an editable keyword table.

``data/raw/config/comment_themes.csv`` (columns ``theme, keyword``; one row per keyword) is
maintained by the analyst. Matching rules:

* text and keywords are NFC-normalised and case-folded; **diacritics are significant**
  ("phí" never matches "phi" or "phía");
* a keyword matches whole words or a whole phrase only (no letter or digit on either side;
  spaces inside a phrase match any run of whitespace);
* a comment may carry several themes; a comment with none is counted under
  ``NO_THEME`` so every comment is accounted for.

Comments are scrubbed of phones, e-mails and ID numbers (``parlib.readers.scrub_text``) again
before anything is returned, so examples are safe to print even from unscrubbed input.
"""

from __future__ import annotations

import re

import numpy as np
import pandas as pd

from parlib.core.text import normalise_text, scrub_text

NO_THEME = "(chưa phân loại)"
KEYS = ["respondent_key", "year", "quarter", "channel"]


def theme_patterns(themes: pd.DataFrame) -> dict[str, re.Pattern]:
    """One compiled pattern per theme (in table order) matching any of its keywords as whole
    words/phrases on NFC, case-folded text."""
    out = {}
    for theme, g in themes.groupby("theme", sort=False):
        alts = sorted(
            {r"\s+".join(re.escape(w) for w in k.split()) for k in g["keyword"]}, key=len, reverse=True
        )
        out[theme] = re.compile(r"(?<!\w)(?:" + "|".join(alts) + r")(?!\w)")
    return out


def clean_comments(responses: pd.DataFrame) -> pd.DataFrame:
    """Non-empty comments: KEYS + comment (NFC, whitespace collapsed, scrubbed)."""
    c = responses[KEYS + ["comment"]].copy()
    # each distinct text once (short answers such as «Không có» or «Hài lòng» repeat a lot)
    codes, uniques = pd.factorize(c["comment"].astype(object))
    done = np.array(
        [scrub_text(normalise_text(v)) if isinstance(v, str) else None for v in uniques] + [None],
        dtype=object,
    )
    c["comment"] = pd.Series(done[codes], index=c.index, dtype=object)
    c = c[c["comment"].notna() & (c["comment"].str.len() > 0)]
    return c.reset_index(drop=True)


def tag_comments(responses: pd.DataFrame, themes: pd.DataFrame) -> pd.DataFrame:
    """One row per comment × matched theme (``NO_THEME`` when none matched), comments in input
    order, themes in table order.

    Columns: respondent_key, year, quarter, channel, theme, comment (scrubbed).
    """
    pats = theme_patterns(themes)
    c = clean_comments(responses)
    # each distinct text matched once (short comments repeat a lot; 0,9 s at 100.000 comments)
    codes, uniques = pd.factorize(c["comment"])
    texts = [t.casefold() for t in uniques]
    distinct = np.array([[p.search(t) is not None for p in pats.values()] for t in texts], dtype=bool)
    hits = distinct.reshape(len(texts), len(pats))[codes]
    hits = np.column_stack([hits, ~hits.any(axis=1)])
    row, col = np.nonzero(hits)  # row-major: each comment's themes in table order
    out = c.iloc[row][KEYS + ["comment"]].reset_index(drop=True)
    out.insert(len(KEYS), "theme", np.array([*pats, NO_THEME], dtype=object)[col])
    return out.astype({"theme": "str"})


def theme_counts(
    responses: pd.DataFrame, themes: pd.DataFrame, *, tagged: pd.DataFrame | None = None
) -> pd.DataFrame:
    """Comments per theme per quarter, every theme listed (0 when absent), ``NO_THEME`` last.

    Columns: year, quarter, theme, n_comments (comments with the theme), n_total (non-empty
    comments of the quarter), share_pct (n_comments ÷ n_total × 100; shares add up to more
    than 100 because a comment may have several themes). ``tagged``: the result of
    :func:`tag_comments` for these responses, when the caller already has it (one row per
    comment × theme: the total counts each comment once).
    """
    tagged = tag_comments(responses, themes) if tagged is None else tagged
    totals = tagged.drop_duplicates("respondent_key").groupby(["year", "quarter"]).size().rename("n_total")
    order = list(dict.fromkeys(themes["theme"])) + [NO_THEME]
    if totals.empty:
        return pd.DataFrame(columns=["year", "quarter", "theme", "n_comments", "n_total", "share_pct"])
    grid = pd.MultiIndex.from_product([totals.index.tolist(), order], names=["period", "theme"])
    counts = tagged.groupby(["year", "quarter", "theme"]).size()
    out = pd.DataFrame(
        [(y, q, t, int(counts.get((y, q, t), 0)), int(totals[(y, q)])) for (y, q), t in grid],
        columns=["year", "quarter", "theme", "n_comments", "n_total"],
    )
    out["share_pct"] = 100 * out["n_comments"] / out["n_total"]
    return out


def shorten(text: str, max_chars: int = 160) -> str:
    """Cut ``text`` at a word boundary to at most ``max_chars`` characters, adding '…'."""
    if len(text) <= max_chars:
        return text
    cut = text[: max_chars - 1]
    if " " in cut:
        cut = cut[: cut.rindex(" ")]
    return cut.rstrip(" ,;.:") + "…"


def theme_examples(
    responses: pd.DataFrame,
    themes: pd.DataFrame,
    *,
    year: int | None = None,
    quarter: int | None = None,
    n: int = 3,
    max_chars: int = 160,
    tagged: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """Up to ``n`` example comments per theme (scrubbed, shortened, first in file order,
    duplicates removed) for a year / quarter or all data. ``tagged``: as in :func:`theme_counts`.

    Columns: theme, year, quarter, example.
    """
    t = tag_comments(responses, themes) if tagged is None else tagged
    if year is not None:
        t = t[t["year"] == year]
    if quarter is not None:
        t = t[t["quarter"] == quarter]
    t = t.assign(example=t["comment"].map(lambda s: shorten(s, max_chars)))
    t = t.drop_duplicates(["theme", "example"])
    order = {th: i for i, th in enumerate(list(dict.fromkeys(themes["theme"])) + [NO_THEME])}
    t = t.assign(_o=t["theme"].map(order)).sort_values("_o", kind="stable")
    return (
        t.groupby("theme", sort=False).head(n)[["theme", "year", "quarter", "example"]].reset_index(drop=True)
    )
