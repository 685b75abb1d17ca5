"""The counts behind the satisfaction table, from one pass over the answers.

:func:`parlib.analysis.satisfaction.satisfaction_observations` lists one row per independent
observation (respondent × overall, factor or item) and is the straightforward definition; at
province scale (two million answers) stacking those rows and grouping them again cost seconds.
Here every count is aggregated straight from the answers:

* an item's ``k / n``: satisfied answers and answers per quarter × item × segment;
* a factor's pooled ``k / n``: the sums of its items' counts (no second pass);
* a factor's respondent counts and the moments of its cluster interval: one grouping of the
  answers by respondent × factor (the answers' sum, number and satisfied number per group);
* the overall question: from the responses (one answer each).

Blank answers are counted out by the aggregations themselves (``count`` skips them; a blank is
never satisfied) and groups without a valid answer are dropped afterwards, so the answers are
never copied. Results equal grouping the stacked observations (test:
``tests/integration/test_speed_equivalence.py``).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from parlib.model.survey import SurveyConfig, SurveyData

RESPONDENT = ["respondent_key", "year", "quarter", "channel", "field_name"]
MOMENTS = ["m", "sum_k2", "sum_n2", "sum_kn"]


def respondent_factors(answers: pd.DataFrame, config: SurveyConfig) -> pd.DataFrame:
    """One row per respondent × factor with at least one valid answer: the RESPONDENT columns,
    factor_code, ``total`` (sum of the valid answers), ``n_r`` (their number), ``k_r`` (the
    satisfied ones). Rows come in the order of each group's first valid answer, as grouping the
    valid answers alone gives."""
    keys = [*RESPONDENT, "factor_code"]
    answer = answers["answer"]
    valid = answer.notna().to_numpy()
    if not valid.all() and not _whole(answer.to_numpy()[valid]):
        # a grouped sum over a column with blanks may differ in the last bit from the sum of the
        # valid answers alone; whole answers (what the reader keeps) sum exactly either way
        answers, answer, valid = answers[valid], answer[valid], np.ones(int(valid.sum()), bool)
    first = _first_valid(valid)
    r = (
        pd.DataFrame(
            {
                **{c: answers[c] for c in keys},
                "answer": answer,
                "_sat": (answer >= config.satisfied_min).astype("int64"),
                "_first": first,
            }
        )
        .groupby(keys, dropna=False, sort=False)
        .agg(total=("answer", "sum"), n_r=("answer", "count"), k_r=("_sat", "sum"), _first=("_first", "min"))
    )
    r = r[r["n_r"].to_numpy() > 0]
    return r.iloc[np.argsort(r["_first"].to_numpy(), kind="stable")].drop(columns="_first").reset_index()


def _whole(values: np.ndarray) -> bool:
    return bool(np.array_equal(values, np.floor(values)))


def _first_valid(valid: np.ndarray) -> np.ndarray:
    """Each row's position when its answer is valid, past the end otherwise (a group's minimum is
    then the position of its first valid answer)."""
    return np.where(valid, np.arange(len(valid)), len(valid))


def factor_scores(r: pd.DataFrame) -> pd.Series:
    """A respondent's factor score: the mean of their valid answers to its items."""
    return r["total"] / r["n_r"]


def quarter_counts(
    survey: SurveyData,
    config: SurveyConfig,
    segments: tuple[str, ...],
    *,
    factors: pd.DataFrame | None = None,
) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """Per quarter: ``(observed, pooled, moments)``.

    observed: year, quarter, level, code, *segments, sum (satisfied), count (observations) for
    the overall question, each factor (respondents by their factor score) and each item;
    pooled: the same columns for factors, counting every answer to their items; moments:
    year, quarter, level, code, *segments and MOMENTS, per factor."""
    if not set(segments) <= {"channel", "field_name"}:
        raise ValueError(f"segments must be among channel and field_name, not {segments!r}")
    seg = list(segments)
    a = survey.answers
    answer = a["answer"]
    items = (
        pd.DataFrame(
            {
                "year": a["year"],
                "quarter": a["quarter"],
                "code": a["item_code"],
                "factor_code": a["factor_code"],
                **{c: a[c] for c in seg},
                "_sat": (answer >= config.satisfied_min).astype("int64"),
                "answer": answer,
                "_first": _first_valid(answer.notna().to_numpy()),
            }
        )
        .groupby(["year", "quarter", "code", "factor_code", *seg], dropna=False, sort=False)
        .agg(sum=("_sat", "sum"), count=("answer", "count"), _first=("_first", "min"))
        .reset_index()
    )
    # groups with a valid answer, in the order of their first one (as grouping the valid answers)
    items = items[items["count"].to_numpy() > 0]
    items = items.iloc[np.argsort(items["_first"].to_numpy(), kind="stable")].drop(columns="_first")
    pooled = (
        items.groupby(["year", "quarter", "factor_code", *seg], dropna=False, sort=False)[["sum", "count"]]
        .sum()
        .reset_index()
        .rename(columns={"factor_code": "code"})
        .assign(level="factor")
    )

    r = respondent_factors(a, config) if factors is None else factors
    factors = _satisfied_counts(r.rename(columns={"factor_code": "code"}), factor_scores(r), config, seg)
    resp = survey.responses
    answered = resp[resp["overall"].notna().to_numpy()]
    overall = _satisfied_counts(answered.assign(code=""), answered["overall"], config, seg)
    observed = pd.concat(
        [
            overall.assign(level="overall"),
            factors.assign(level="factor"),
            items.drop(columns="factor_code").assign(level="item"),
        ],
        ignore_index=True,
    )

    if seg != ["channel", "field_name"]:  # a respondent's counts over the coarser keys
        mkeys = ["respondent_key", "year", "quarter", *seg, "factor_code"]
        r = r.groupby(mkeys, dropna=False, sort=False)[["k_r", "n_r"]].sum().reset_index()
    kr, nr = r["k_r"].astype(float), r["n_r"].astype(float)
    moments = pd.DataFrame(
        {
            "year": r["year"],
            "quarter": r["quarter"],
            "level": "factor",
            "code": r["factor_code"],
            **{c: r[c] for c in seg},
            "m": 1.0,
            "sum_k2": kr**2,
            "sum_n2": nr**2,
            "sum_kn": kr * nr,
        }
    )
    return observed, pooled, moments


def _satisfied_counts(
    rows: pd.DataFrame, score: pd.Series, config: SurveyConfig, seg: list[str]
) -> pd.DataFrame:
    """sum (score ≥ the satisfied threshold) and count per year, quarter, code and segment."""
    keys = ["year", "quarter", "code", *seg]
    frame = pd.DataFrame({**{c: rows[c] for c in keys}, "_sat": score >= config.satisfied_min})
    return frame.groupby(keys, dropna=False, sort=False)["_sat"].agg(["sum", "count"]).reset_index()


def with_year_to_date(q: pd.DataFrame, cells: list[str], values: list[str]) -> pd.DataFrame:
    """Quarter rows (``period_kind`` 'quarter') and, for every quarter present, the year to date
    (quarters 1..q of its year summed, ``period_kind`` 'ytd'): counts add up over quarters, so
    the observations are aggregated once, never stacked per period."""
    parts = [q.assign(period_kind="quarter")]
    for y, qq in q[["year", "quarter"]].drop_duplicates().itertuples(index=False):
        sel = q[(q["year"] == y) & (q["quarter"] <= qq)]
        ytd = sel.groupby(cells, dropna=False, sort=False)[values].sum().reset_index()
        parts.append(ytd.assign(year=y, quarter=qq, period_kind="ytd"))
    return pd.concat(parts, ignore_index=True)
