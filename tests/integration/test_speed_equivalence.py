"""The speed changes of issue 8 give the same results as the straightforward code (bundled sample).

* ``kpi_table`` classifies a slim copy (only the columns the KPIs read) and computes each
  period's indicators once for all its dimensions; the straightforward way (below) classifies
  the full frame and calls ``dossier_kpis`` for each dimension.
* ``dossier_kpis`` builds its long table in one step instead of one piece per KPI; the
  reference here counts each KPI with a plain boolean sum.
* ``kpi_table`` hands each period only the dossiers in its scope (computed once per run).
* ``satisfaction_table`` aggregates the observations once and sums quarter counts into
  year-to-date counts; the reference stacks the observations once per period and groups them.
* ``parse_numbers`` takes a vectorised path for numeric cells and plain-digit text; the
  reference is the per-cell loop it was first written as.
(The parse cache's equivalence is in tests/integration/test_cache.py.)
"""

import re

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from parlib.analysis import kpi
from parlib.analysis.kpi_table import _periods, kpi_table
from parlib.core.paths import Paths
from parlib.ingest.calendar import load_calendar
from parlib.ingest.dossier_columns import load_procedures
from parlib.ingest.dossiers import read_dossier_exports


@pytest.fixture(scope="module")
def sample():
    paths = Paths()
    procs = load_procedures(paths.config / "procedures.csv")
    cal = load_calendar(paths)
    files = [paths.raw / "dossiers" / f"ho_so_2026_Q{q}.xlsx" for q in (1, 2)]
    return read_dossier_exports(files, procs, cal, data_dir=paths.data).dossiers, procs, cal


def straightforward_kpi_table(
    dossiers, calendar, year, quarter, procedures, history_from, history_dimensions
):
    """kpi_table as first written: every period classified on the full frame, one dossier_kpis
    call per dimension."""
    names = procedures.drop_duplicates("procedure_code").set_index("procedure_code")["procedure_name"]
    names = names.combine_first(
        dossiers.drop_duplicates("procedure_code").set_index("procedure_code")["procedure_name"]
    )
    parts = []
    for kind, key, label, start, end in _periods(year, quarter, history_from):
        c = kpi.classify_dossiers(dossiers, calendar, end, period_start=start)
        cols = kpi.DIMENSIONS if start.year == year else history_dimensions
        for dim in ["all", *cols]:
            by = [] if dim == "all" else [dim]
            groups = procedures[by] if by and dim in procedures.columns else None
            t = kpi.dossier_kpis(c, by, groups=groups)
            group = (
                t[dim].astype("string").fillna("").astype(str) if by else pd.Series("Tất cả", index=t.index)
            )
            t = t.drop(columns=by)
            head = {
                "period_kind": kind,
                "period": key,
                "period_label": label,
                "period_start": start,
                "period_end": end,
                "dimension": dim,
                "group": group,
                "group_name": group.map(names).fillna(group) if dim == "procedure_code" else group,
            }
            parts.append(pd.concat([pd.DataFrame(head, index=t.index), t], axis=1))
    return pd.concat(parts, ignore_index=True)


def test_kpi_table_equals_the_straightforward_loop(sample):
    dossiers, procs, cal = sample
    fast = kpi_table(
        dossiers, cal, 2026, 2, procedures=procs, history_from=2025, history_dimensions=["office_name"]
    )
    slow = straightforward_kpi_table(dossiers, cal, 2026, 2, procs, 2025, ["office_name"])
    pd.testing.assert_frame_equal(fast, slow, check_exact=True)
    # 2025: 12 months + 4 quarters, 2026: 6 months + 2 quarters, + YTD = 25 periods
    assert fast[["period_kind", "period"]].drop_duplicates().shape[0] == 25


def test_dossier_kpis_equal_plain_boolean_counts(sample):
    dossiers, procs, cal = sample
    c = kpi.classify_dossiers(
        dossiers, cal, pd.Timestamp(2026, 6, 30, 23, 59), period_start=pd.Timestamp(2026, 4, 1)
    )
    t = kpi.dossier_kpis(c, ["office_name"])
    judged = c["in_processing_scope"] & ~c["is_stale"] & c["outcome"].ne("unknown")
    for office, rows in c.groupby("office_name"):
        got = t.loc[(t["office_name"] == office) & (t["kpi"] == "late_pct")].iloc[0]
        assert got["n"] == int(judged[rows.index].sum())
        assert got["k"] == int((judged & c["is_late"])[rows.index].sum())
        rec = rows["is_received_in_period"]
        # 766 3.3: an online dossier of a paper-result procedure counts only with an e-result
        online = rows["channel"].eq(2).fillna(False)
        paper = rows["has_paper_result"].fillna(False).astype(bool)
        eres, eres_known = rows["has_e_result"].fillna(False).astype(bool), rows["has_e_result"].notna()
        judged_online = rec & rows["channel"].notna() & ~(online & paper & ~eres_known)
        got = t.loc[(t["office_name"] == office) & (t["kpi"] == "online_pct")].iloc[0]
        assert got["n"] == int(judged_online.sum())
        assert got["k"] == int((judged_online & online & (~paper | eres)).sum())
    # KPI-major order: all offices for the first KPI, then the second …
    n_off = c["office_name"].nunique()
    assert t["kpi"].iloc[:n_off].eq("on_time_pct").all() and t["kpi"].iloc[n_off] == "early_pct"
    assert str(t["kpi"].dtype) == "str" and str(t["k"].dtype) == "int64"


def test_number_fast_path_equals_the_per_cell_loop():
    from parlib.core.cells import parse_numbers

    cells = pd.Series(
        [
            "0",
            "12",
            None,
            " 3 ",
            "1,5",
            "1.000",
            "x",
            "-2",
            "0012",
            "9" * 15,
            "9" * 16,
            "١٢",
            "+7",
            3,
            2.5,
            float("nan"),
            float("inf"),
            True,
            10**15,
            10**400,
            -4,
            np.int64(5),
            np.float64(1e16),
            "",
            "  ",
        ],
        dtype=object,
    )
    got, bad = parse_numbers(cells)
    want, want_bad = reference_parse_numbers(cells)
    pd.testing.assert_series_equal(got, want)
    pd.testing.assert_series_equal(bad, want_bad)
    # by hand: '12' -> 12, '1.000' -> 1000 (thousands dot), 'x', 16 digits, inf, True, 1e15, 10**400 bad
    assert got.iloc[1] == 12.0 and got.iloc[5] == 1000.0 and got.iloc[12] == 7.0 and got.iloc[14] == 2.5
    assert bad.iloc[[6, 10, 16, 17, 18, 19, 22]].all() and not bad.iloc[[2, 15, 23, 24]].any()


_CELL = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-(10**17), 10**17),
    st.floats(allow_nan=True, allow_infinity=True),
    st.from_regex(r"[ +\-]?[0-9]{0,17}([.,][0-9]{0,4})?[ ]?", fullmatch=True),
    st.text(max_size=6),
)


@settings(max_examples=200, deadline=None)
@given(st.lists(_CELL, max_size=30))
def test_number_fast_path_equals_the_per_cell_loop_on_any_cells(cells):
    from parlib.core.cells import parse_numbers

    s = pd.Series(cells, dtype=object)
    got, bad = parse_numbers(s)
    want, want_bad = reference_parse_numbers(s)
    pd.testing.assert_series_equal(got, want)
    pd.testing.assert_series_equal(bad, want_bad)


_TEXT_CELL = st.one_of(
    st.none(),
    st.from_regex(r"[ +\-]?[0-9]{0,17}([.,][0-9]{0,4})?[ ]?", fullmatch=True),
    st.from_regex(r"[0-9]{1,3}(\.[0-9]{3}){1,3}(,[0-9]{1,2})?", fullmatch=True),
    st.text(alphabet=st.sampled_from("0123456789 ,.+-x\u00a0\t١"), max_size=8),
)


@settings(max_examples=200, deadline=None)
@given(st.lists(_TEXT_CELL, max_size=30))
def test_number_arrow_text_path_equals_the_per_cell_loop(cells):
    """A CSV's cells reach parse_numbers as Arrow text (blank = missing): the Arrow path gives
    what the per-cell loop gives for the same texts as Python objects."""
    from parlib.core.cells import parse_numbers

    arrow = pd.Series(cells, dtype="string[pyarrow]")
    got, bad = parse_numbers(arrow)
    want, want_bad = reference_parse_numbers(pd.Series(cells, dtype=object))
    pd.testing.assert_series_equal(got, want)
    pd.testing.assert_series_equal(bad, want_bad)


def reference_parse_numbers(values):
    """parse_numbers as first written: one cell at a time."""
    from parlib.core.cells import _NUM_RE, MAX_ABS_NUMBER
    from parlib.core.text import normalise_text

    out = np.full(len(values), np.nan)
    bad = np.zeros(len(values), dtype=bool)
    for i, v in enumerate(values.tolist()):
        if v is None or (isinstance(v, (float, np.floating)) and np.isnan(v)):
            continue
        if isinstance(v, bool):
            bad[i] = True
            continue
        if isinstance(v, (int, float, np.integer, np.floating)):
            x = float(v) if abs(v) < MAX_ABS_NUMBER else np.inf
        else:
            s = (normalise_text(v) or "").replace(" ", "")
            if s == "":
                continue
            if re.fullmatch(r"[+-]?\d{1,3}(\.\d{3})+(,\d+)?", s):
                s = s.replace(".", "")
            if not _NUM_RE.match(s):
                bad[i] = True
                continue
            x = float(s.replace(",", "."))
        if np.isfinite(x) and abs(x) < MAX_ABS_NUMBER:
            out[i] = x
        else:
            bad[i] = True
    return pd.Series(out, index=values.index, dtype="float64"), pd.Series(bad, index=values.index)


# ---------------------------------------------------------------- satisfaction table


def reference_satisfaction_table(survey, items, config, segments=("channel", "field_name")):
    """satisfaction_table as first written: observations stacked once per period (quarter and
    year to date), then grouped."""
    from parlib.analysis.satisfaction import ALL_SEGMENT, _names, _period_label, satisfaction_observations
    from parlib.analysis.stats import add_rate, cluster_ratio_ci

    def with_periods(obs):
        parts = [obs.assign(period_kind="quarter")]
        for y, q in obs[["year", "quarter"]].drop_duplicates().itertuples(index=False):
            ytd = obs[(obs["year"] == y) & (obs["quarter"] <= q)]
            parts.append(ytd.assign(quarter=q, period_kind="ytd"))
        return pd.concat(parts, ignore_index=True)

    obs = with_periods(satisfaction_observations(survey, items, config))
    pooled_src = survey.answers.dropna(subset=["answer"]).rename(columns={"factor_code": "code"})
    pooled_src = with_periods(
        pooled_src.assign(level="factor", is_satisfied=pooled_src["answer"] >= config.satisfied_min)
    )
    keys = ["period_kind", "year", "quarter", "level", "code"]
    out = []
    for seg in ("all",) + tuple(segments):
        group = keys + ([] if seg == "all" else [seg])
        merged = pd.DataFrame()  # set by the first (unpooled) pass
        for src, prefix in ((obs, ""), (pooled_src, "pooled_")):
            g = src.groupby(group, sort=False)["is_satisfied"].agg(["sum", "count"]).reset_index()
            g = g.rename(columns={"sum": f"{prefix}k", "count": f"{prefix}n", seg: "segment"})
            merged = (
                merged.merge(g, on=group if seg == "all" else keys + ["segment"], how="left") if prefix else g
            )
        merged["segment_kind"] = seg
        if seg == "all":
            merged["segment"] = ALL_SEGMENT
        out.append(merged)
    t = pd.concat(out, ignore_index=True)
    # the headline: a factor's share of satisfied answers, its interval from each respondent's
    # (satisfied, answers) stacked per period; the respondent variant kept beside it
    a = survey.answers.dropna(subset=["answer"])
    per = (
        a.assign(_s=(a["answer"] >= config.satisfied_min).astype(int))
        .groupby(["respondent_key", "year", "quarter", *segments, "factor_code"], dropna=False)["_s"]
        .agg(["sum", "count"])
        .reset_index()
        .rename(columns={"factor_code": "code", "sum": "kr", "count": "nr"})
        .assign(level="factor")
    )
    per = with_periods(per.assign(k2=per["kr"] ** 2, n2=per["nr"] ** 2, kn=per["kr"] * per["nr"], m=1))
    moms = []
    for seg in ("all",) + tuple(segments):
        group = keys + ([] if seg == "all" else [seg])
        g = (
            per.groupby(group, sort=False)[["m", "k2", "n2", "kn"]]
            .sum()
            .reset_index()
            .rename(columns={seg: "segment"})
        )
        moms.append(g.assign(segment_kind=seg, segment=ALL_SEGMENT if seg == "all" else g.get("segment")))
    t = t.merge(pd.concat(moms, ignore_index=True), on=keys + ["segment_kind", "segment"], how="left")
    fac = t["level"] == "factor"
    t["respondent_k"], t["respondent_n"] = t["k"].where(fac), t["n"].where(fac)
    t["respondent_pct"] = 100 * t["respondent_k"] / t["respondent_n"].where(t["respondent_n"] > 0)
    t["n_respondents"] = np.where(fac, t["m"].fillna(0), t["n"]).astype("int64")
    t.loc[fac, "k"], t.loc[fac, "n"] = t.loc[fac, "pooled_k"], t.loc[fac, "pooled_n"]
    t = add_rate(t.astype({"k": "int64", "n": "int64"}), alpha=config.alpha)
    lo, hi, n_eff = cluster_ratio_ci(
        t["k"], t["n"], t["m"].fillna(0), t["k2"].fillna(0), t["n2"].fillna(0), t["kn"].fillna(0)
    )
    t.loc[fac, "ci_low_pct"], t.loc[fac, "ci_high_pct"] = 100 * lo[fac.to_numpy()], 100 * hi[fac.to_numpy()]
    t["n_eff"] = np.where(fac, n_eff, t["n"].astype(float))
    t["k_eff"] = np.where(t["n"] > 0, t["k"] / t["n"].where(t["n"] > 0) * t["n_eff"], 0.0)
    t["is_small_sample"] = (t["n_respondents"] > 0) & (t["n_respondents"] < config.small_n)
    t["pooled_pct"] = np.where(
        t["pooled_n"] > 0, 100 * t["pooled_k"] / t["pooled_n"].where(t["pooled_n"] > 0), np.nan
    )
    t = t.merge(_names(items), on=["level", "code"], how="left")
    t["period_label"] = [_period_label(k, y, q) for k, y, q in zip(t["period_kind"], t["year"], t["quarter"])]
    seg_order = {s: i for i, s in enumerate(("all",) + tuple(segments))}
    t = t.assign(_s=t["segment_kind"].map(seg_order)).sort_values(
        ["period_kind", "year", "quarter", "order", "_s", "segment"], kind="stable"
    )
    cols = [
        "period_kind",
        "year",
        "quarter",
        "period_label",
        "level",
        "code",
        "name",
        "factor_code",
        "segment_kind",
        "segment",
        "k",
        "n",
        "pct",
        "ci_low_pct",
        "ci_high_pct",
        "is_small_sample",
        "pooled_k",
        "pooled_n",
        "pooled_pct",
        "n_respondents",
        "k_eff",
        "n_eff",
        "respondent_k",
        "respondent_n",
        "respondent_pct",
    ]
    return (
        t[cols]
        .reset_index(drop=True)
        .astype({"k": "int64", "n": "int64", "n_respondents": "int64", "segment": "str", "code": "str"})
    )


@pytest.fixture(scope="module")
def survey_sample():
    from parlib.ingest.survey import load_survey_items, read_surveys

    paths = Paths()
    items = load_survey_items(paths.config / "survey_items.csv")
    return read_surveys(sorted((paths.raw / "survey").glob("khao_sat_*.xlsx")), items), items


@pytest.mark.parametrize("satisfied_min", [4, 5])
def test_satisfaction_table_equals_the_stacked_periods(survey_sample, satisfied_min):
    from parlib.analysis.satisfaction import satisfaction_table
    from parlib.model.survey import SurveyConfig, SurveyData

    data, items = survey_sample
    cfg = SurveyConfig(satisfied_min=satisfied_min)
    pd.testing.assert_frame_equal(
        satisfaction_table(data, items, cfg), reference_satisfaction_table(data, items, cfg), check_exact=True
    )
    # respondents without a channel or a field count in 'all' only; one segment only
    r = data.responses.copy()
    r.loc[r.index[::7], "channel"] = np.nan
    a = data.answers.copy()
    a["channel"] = a["respondent_key"].map(r.set_index("respondent_key")["channel"])
    a.loc[a.index[::11], "field_name"] = np.nan
    holes = SurveyData(r, a)
    for segs in (("channel", "field_name"), ("channel",)):
        fast = satisfaction_table(holes, items, cfg, segments=segs)
        pd.testing.assert_frame_equal(
            fast, reference_satisfaction_table(holes, items, cfg, segs), check_exact=True
        )
    assert len(data.responses) > 1000 and fast["period_kind"].eq("ytd").any()


def test_respondent_factor_scores_equal_the_observations(survey_sample):
    """The drivers' factor scores come from one grouping of every answer (blanks counted out);
    the reference pivots the observation rows of the valid answers. Blanks first in a group and
    a respondent key repeated in another quarter (the pivot keeps the first) must not move them."""
    from parlib.analysis.drivers import respondent_scores
    from parlib.analysis.satisfaction import satisfaction_observations
    from parlib.model.survey import SurveyConfig, SurveyData

    data, items = survey_sample
    cfg = SurveyConfig()
    a = data.answers.copy()
    # a respondent's factor split in two groups (a blank field on its 1st and 3rd answers), the
    # first answer blank: grouping every answer meets the split group first, the valid answers
    # meet the other one first (answers 1 and 5 tell which score the pivot kept)
    nth = a.groupby(["respondent_key", "factor_code"]).cumcount().to_numpy()
    size = a.groupby(["respondent_key", "factor_code"])["answer"].transform("size").to_numpy()
    split = (size >= 3) & (np.arange(len(a)) % 2 == 0)
    split = pd.Series(split).groupby([a["respondent_key"], a["factor_code"]]).transform("first").to_numpy()
    a.loc[split & np.isin(nth, [0, 2]), "field_name"] = np.nan
    a.loc[split & (nth == 0), "answer"] = np.nan
    a.loc[split & (nth == 1), "answer"] = 1.0
    a.loc[split & (nth == 2), "answer"] = 5.0
    r = data.responses.copy()
    later = r["quarter"] != r["quarter"].iloc[0]
    moved = r.index[later][:40]
    reused = r["respondent_key"].iloc[:40].to_numpy()  # keys of the first quarter, reused later
    a["respondent_key"] = a["respondent_key"].replace(dict(zip(r.loc[moved, "respondent_key"], reused)))
    r.loc[moved, "respondent_key"] = reused
    holes = SurveyData(r, a)
    assert split.sum() > 100 and r["respondent_key"].duplicated().sum() == 40

    obs = satisfaction_observations(holes, items, cfg)
    obs = obs[obs["level"] == "factor"]
    wide = obs.pivot_table(index="respondent_key", columns="code", values="score", aggfunc="first")
    order = [c for c in items.drop_duplicates("factor_code")["factor_code"] if c in wide.columns]
    base = r[["respondent_key", "year", "quarter", "channel", "field_name", "overall"]]
    expected = base.merge(wide[order].reset_index(), on="respondent_key", how="left")
    pd.testing.assert_frame_equal(respondent_scores(holes, items, cfg), expected, check_exact=True)


def _one_factor_survey(answers: dict, factor: str, items: list[str]):
    """A hand-built survey: one quarter, one channel and field; ``answers`` respondent -> values
    in the order of ``items`` (NaN = blank)."""
    from parlib.model.survey import SurveyData

    rows = [
        {"respondent_key": key, "year": 2025, "quarter": 1, "channel": "c", "field_name": "f",
         "factor_code": factor, "item_code": it, "answer": v}
        for key, vals in answers.items()
        for it, v in zip(items, vals)
    ]  # fmt: skip
    text = ["respondent_key", "channel", "field_name", "factor_code", "item_code"]
    a = pd.DataFrame(rows).astype({c: "str" for c in text})
    r = pd.DataFrame(
        {"respondent_key": list(answers), "year": 2025, "quarter": 1, "channel": "c", "field_name": "f",
         "overall": 4.0}
    ).astype({"respondent_key": "str", "channel": "str", "field_name": "str"})  # fmt: skip
    return SurveyData(r, a)


def test_counts_equal_the_reference_on_decimal_answers_and_unknown_codes(survey_sample):
    """Decimal answers beside a blank (3,6 + 4,6 + 3,8 = 12 only when summed over the valid answers
    alone: the respondent is satisfied at 4 by the reference's mean), and codes missing from the
    question table whose first answer is blank (their order comes from the grouping)."""
    from parlib.analysis.drivers import respondent_scores
    from parlib.analysis.satisfaction import satisfaction_observations, satisfaction_table
    from parlib.model.survey import SurveyConfig

    _data, items = survey_sample
    cfg = SurveyConfig()
    f = items["factor_code"].iloc[0]
    its = items.loc[items["factor_code"] == f, "item_code"].tolist()[:3]
    decimal = _one_factor_survey({"r1": [3.6, 4.6, 3.8], "r2": [4.0, np.nan, 5.0]}, f, its)
    unknown = _one_factor_survey({"r1": [np.nan, 5.0], "r2": [4.0, 3.0]}, "UF", ["U1", "U2"])
    for survey in (decimal, unknown):
        pd.testing.assert_frame_equal(
            satisfaction_table(survey, items, cfg),
            reference_satisfaction_table(survey, items, cfg),
            check_exact=True,
        )
    obs = satisfaction_observations(decimal, items, cfg)
    mean = obs.loc[(obs["level"] == "factor") & (obs["respondent_key"] == "r1"), "score"].iloc[0]
    assert respondent_scores(decimal, items, cfg)[f].iloc[0] == mean
    t = satisfaction_table(unknown, items, cfg)
    assert t.loc[
        (t["level"] == "item") & (t["period_kind"] == "quarter") & (t["segment_kind"] == "all"), "code"
    ].tolist() == ["U2", "U1"]


def _as_texts(df: pd.DataFrame) -> pd.DataFrame:
    """``df`` with every categorical column as the plain texts it stands for."""
    out = df.copy()
    for c in out.columns:
        if isinstance(out[c].dtype, pd.CategoricalDtype):
            out[c] = out[c].astype("str")
    return out


def test_survey_results_on_categoricals_equal_those_on_texts(survey_sample):
    """The reader hands the few-valued texts on as categoricals; every satisfaction result equals
    the one computed from the same answers held as texts, and sharing one respondent × factor
    grouping between the table and the drivers changes nothing."""
    from parlib.analysis.drivers import key_drivers
    from parlib.analysis.satisfaction import satisfaction_table
    from parlib.analysis.satisfaction_counts import respondent_factors
    from parlib.model.survey import ANSWER_CATEGORIES, RESPONSE_CATEGORIES, SurveyConfig, SurveyData

    data, items = survey_sample
    cfg = SurveyConfig()
    assert all(isinstance(data.answers[c].dtype, pd.CategoricalDtype) for c in ANSWER_CATEGORIES)
    assert all(isinstance(data.responses[c].dtype, pd.CategoricalDtype) for c in RESPONSE_CATEGORIES)
    texts = SurveyData(_as_texts(data.responses), _as_texts(data.answers))
    factors = respondent_factors(data.answers, cfg)
    on_texts = satisfaction_table(texts, items, cfg)
    for table in (
        satisfaction_table(data, items, cfg),
        satisfaction_table(data, items, cfg, factors=factors),
    ):
        pd.testing.assert_frame_equal(_as_texts(table), on_texts, check_exact=True)
    year, quarter = int(data.answers["year"].max()), 2
    d_texts = key_drivers(texts, items, cfg, year=year, quarter=quarter, ytd=True)
    for d in (
        key_drivers(data, items, cfg, year=year, quarter=quarter, ytd=True),
        key_drivers(data, items, cfg, year=year, quarter=quarter, ytd=True, factors=factors),
    ):
        assert (d.status, d.message, d.n_used, d.n_dissatisfied) == (
            d_texts.status,
            d_texts.message,
            d_texts.n_used,
            d_texts.n_dissatisfied,
        )
        pd.testing.assert_frame_equal(_as_texts(d.table), d_texts.table, check_exact=True)
    assert len(on_texts) > 50
