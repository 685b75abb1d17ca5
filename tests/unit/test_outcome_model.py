"""Outcome model: aggregation by hand, simulated effects, robustness, shift tests."""

import numpy as np
import pandas as pd
import pytest

from parlib.analysis.outcome_model import STATUS_NO_DATA, STATUS_OK, aggregate_outcomes, fit_outcome_glm
from parlib.analysis.segment_shifts import segment_shift_tests
from parlib.core.errors import StructuralError

COLS = [
    "office_name",
    "field_name",
    "channel",
    "month",
    "is_late",
    "in_processing_scope",
    "outcome",
    "received_at",
]


def classified_rows():
    rows = [
        ("P1", "F1", 1, 7, True, True, "late", "2026-07-02"),
        ("P1", "F1", 1, 7, False, True, "on_time", "2026-07-05"),
        ("P1", "F1", 1, 7, False, True, "unknown", "2026-07-06"),  # no due date: not judged
        ("P1", "F1", 1, 8, True, True, "late", "2026-07-20"),  # received July, settled August
        ("P1", "F2", 2, 8, False, True, "early", "2026-08-01"),
        ("P2", "F1", 1, 7, False, False, "on_time", "2026-07-03"),  # out of processing scope
        ("P2", "F1", 1, 7, True, True, "late", "2026-07-10"),
    ]
    df = pd.DataFrame(rows, columns=COLS)
    df["received_at"] = pd.to_datetime(df["received_at"])
    df["channel"] = df["channel"].astype("Int64")
    return df


def test_aggregate_outcomes_by_hand():
    df = classified_rows()
    before = df.copy()
    cells = aggregate_outcomes(df)
    pd.testing.assert_frame_equal(df, before)
    got = cells.set_index(["office_name", "field_name", "channel", "month"])
    # (P1,F1,1,7): rows 1-2 judged, 1 late; (P1,F1,1,8): 1/1; (P1,F2,2,8): 0/1; (P2,F1,1,7): 1/1
    assert got["k"].to_dict() == {
        ("P1", "F1", 1, 7): 1,
        ("P1", "F1", 1, 8): 1,
        ("P1", "F2", 2, 8): 0,
        ("P2", "F1", 1, 7): 1,
    }
    assert got["n"].tolist() == [2, 1, 1, 1]
    assert cells.attrs["rows"] == {
        "n_rows": 7,
        "n_out_of_scope": 1,
        "n_unknown_outcome": 1,
        "n_missing_outcome": 0,
        "n_used": 5,
    }
    # workload = receipts of the office in the month (all rows): P1 July 4, P1 Aug 1, P2 July 2.
    # relative to the office mean: P1 mean 2.5 -> 1.6 and 0.4; P2 -> 1.0.
    # z over the office-months (1.6, 0.4, 1.0): mean 1.0, SD sqrt((0.36 + 0.36 + 0)/2) = 0.6 -> 1, -1, 0
    assert got["workload"].tolist() == [4, 1, 1, 2]
    assert got["workload_rel"].tolist() == pytest.approx([1.6, 0.4, 0.4, 1.0])
    assert got["workload_z"].tolist() == pytest.approx([1.0, -1.0, -1.0, 0.0])


def test_aggregate_without_office_month_has_no_workload():
    cells = aggregate_outcomes(classified_rows(), by=["channel"])
    assert "workload" not in cells.columns
    assert cells.set_index("channel")["k"].to_dict() == {1: 3, 2: 0}


def test_aggregate_missing_column():
    with pytest.raises(StructuralError, match="field_name"):
        aggregate_outcomes(classified_rows().drop(columns="field_name"))


def simulate(seed, odds_x=4.0, n_mean=40, base_p=0.05):
    """5 offices × 4 fields × 2 channels × 3 months; office 'Phòng X' has odds ratio odds_x."""
    rng = np.random.default_rng(seed)
    rows = []
    for o in ["Phòng A", "Phòng B", "Phòng C", "Phòng D", "Phòng X"]:
        for f in ["F1", "F2", "F3", "F4"]:
            for ch in [1, 2]:
                for m in [7, 8, 9]:
                    n = int(rng.poisson(n_mean)) + 1
                    logit = np.log(base_p / (1 - base_p)) + (np.log(odds_x) if o == "Phòng X" else 0.0)
                    k = int(rng.binomial(n, 1 / (1 + np.exp(-logit))))
                    rows.append((o, f, ch, m, k, n, float(rng.normal())))
    return pd.DataFrame(
        rows, columns=["office_name", "field_name", "channel", "month", "k", "n", "workload_z"]
    )


def test_known_office_effect_is_detected_and_ranked_first():
    res = fit_outcome_glm(simulate(1))
    assert res.status == STATUS_OK
    top = res.table.iloc[0]
    assert top["term"] == "office_name[Phòng X]" and top["is_driver"] and top["rank"] == 1
    assert top["or_ci_low"] < 4 < top["or_ci_high"]  # the true OR is inside the interval
    assert res.table["is_driver"].sum() == 1  # nothing else is called a driver
    assert "không phải bằng chứng nhân quả" in res.message


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_null_simulation_has_no_driver(seed):
    res = fit_outcome_glm(simulate(seed, odds_x=1.0, n_mean=60))
    assert res.status == STATUS_OK
    assert not res.table["is_driver"].any()
    assert (res.table["p_adjusted"] >= res.table["p_value"]).all()


def test_agrees_with_statsmodels_glm():
    import statsmodels.api as sm

    cells = simulate(3)
    res = fit_outcome_glm(cells, ["office_name", "channel"])
    # same design by hand: reference = largest level by dossiers
    X = pd.get_dummies(cells[["office_name", "channel"]].astype(str), dtype=float)
    X = X.drop(
        columns=[f"office_name_{res.references['office_name']}", f"channel_{res.references['channel']}"]
    )
    y = np.column_stack([cells["k"], cells["n"] - cells["k"]])
    sm_res = sm.GLM(y, sm.add_constant(X), family=sm.families.Binomial()).fit()
    coef = dict(zip(X.columns, np.asarray(sm_res.params)[1:]))
    for r in res.table.itertuples():
        assert r.coef == pytest.approx(coef[f"{r.factor}_{r.level}"], abs=1e-6)
    scale = max(1.0, res.dispersion)
    sm_se = dict(zip(X.columns, np.asarray(sm_res.bse)[1:] * np.sqrt(scale)))
    for r in res.table.itertuples():
        se = (np.log(r.or_ci_high) - np.log(r.or_ci_low)) / (2 * 1.959963984540054)
        assert se == pytest.approx(sm_se[f"{r.factor}_{r.level}"], rel=1e-5)


def test_zero_event_level_is_left_out_with_a_note():
    cells = simulate(4)
    cells.loc[cells["office_name"] == "Phòng C", "k"] = 0
    res = fit_outcome_glm(cells)
    assert res.status == STATUS_OK
    assert not res.table["level"].eq("Phòng C").any()
    assert any("Phòng C" in note and "không ước lượng" in note for note in res.notes)


def test_single_level_factor_and_constant_numeric_are_dropped():
    cells = simulate(5)
    cells["channel"] = 1
    cells["workload_z"] = 0.0
    res = fit_outcome_glm(cells)
    assert res.status == STATUS_OK
    assert not res.table["factor"].isin(["channel", "workload_z"]).any()
    assert any("channel" in n for n in res.notes) and any("workload_z" in n for n in res.notes)


def test_collinear_term_is_dropped_with_a_note():
    cells = simulate(6)
    cells["unit_copy"] = cells["office_name"]  # a second name for the office: not separable
    res = fit_outcome_glm(cells, ["office_name", "unit_copy"])
    assert res.status == STATUS_OK
    assert any("trùng lặp" in n for n in res.notes)
    assert np.isfinite(res.table["coef"]).all()


def test_tiny_data_gives_a_clear_status():
    cells = pd.DataFrame({"office_name": ["A", "B", "C"], "k": [1, 1, 0], "n": [5, 4, 6]})
    res = fit_outcome_glm(cells, ["office_name"])
    assert res.status == STATUS_NO_DATA
    assert "cần ít nhất 10 hồ sơ trễ hạn" in res.message and "hiện có 2 và 13" in res.message
    assert res.table.empty


def test_reference_is_the_largest_level_unless_given():
    cells = simulate(7)
    cells.loc[cells["office_name"] == "Phòng B", "n"] += 200
    cells.loc[cells["office_name"] == "Phòng B", "k"] += 10
    res = fit_outcome_glm(cells, ["office_name"])
    assert res.references == {"office_name": "Phòng B"}
    assert set(res.table["reference"]) == {"Phòng B"}
    res2 = fit_outcome_glm(cells, ["office_name"], reference={"office_name": "Phòng A"})
    assert res2.references == {"office_name": "Phòng A"} and "Phòng B" in set(res2.table["level"])


def test_direction_decrease():
    # Phòng X has fewer late dossiers (OR 0.2): a driver of *improvement* only in direction 'decrease'
    cells = simulate(8, odds_x=0.2, n_mean=80, base_p=0.15)
    inc = fit_outcome_glm(cells)
    dec = fit_outcome_glm(cells, direction="decrease")
    assert not inc.table.loc[inc.table["level"] == "Phòng X", "is_driver"].any()
    assert dec.table.iloc[0]["level"] == "Phòng X" and dec.table.iloc[0]["is_driver"]


def test_fit_on_5000_cells():
    rng = np.random.default_rng(0)
    grid = [
        (f"O{o}", f"F{f}", ch, m)
        for o in range(10)
        for f in range(14)
        for ch in (1, 2, 3)
        for m in range(1, 13)
    ]
    cells = pd.DataFrame(grid, columns=["office_name", "field_name", "channel", "month"])
    cells["n"] = rng.poisson(20, len(cells)) + 1
    cells["k"] = rng.binomial(cells["n"], 0.08)
    cells["workload_z"] = rng.normal(size=len(cells))
    # speed is measured in bench/, not asserted here (a loaded machine would fail a timed test)
    res = fit_outcome_glm(cells)
    assert res.status == STATUS_OK and res.n_cells == 5040


def rows_from_counts(counts):
    """Row-level frame (segment, is_late) from {segment: (k, n)}."""
    out = []
    for seg, (k, n) in counts.items():
        out += [(seg, True)] * k + [(seg, False)] * (n - k)
    return pd.DataFrame(out, columns=["field_name", "is_late"])


def test_segment_shift_tests_by_hand():
    base = rows_from_counts({"A": (10, 100), "B": (10, 100)})
    target = rows_from_counts({"A": (30, 100), "B": (12, 100), "C": (3, 10)})
    t = segment_shift_tests(base, target, "field_name").set_index("field_name")
    # A: pooled 0.2, SE = sqrt(0.2·0.8·0.02) = 0.056569, z = 0.2/0.056569 = 3.5355, p = 0.000407;
    # Holm over the 2 testable segments: 2 × 0.000407 = 0.000814.
    assert t.loc["A", "z"] == pytest.approx(3.5355, abs=1e-3)
    assert t.loc["A", "p_adjusted"] == pytest.approx(0.000814, rel=2e-3)
    assert t.loc["A", "is_significant"] and t.loc["A", "excess"] == pytest.approx(20.0)
    assert t.loc["A", "diff_pp"] == pytest.approx(20.0) and "tăng" in t.loc["A", "verdict"]
    # B: pooled 0.11, SE = sqrt(0.11·0.89·0.02) = 0.04425, z = 0.452, p = 0.651 (largest: Holm × 1)
    assert t.loc["B", "p_adjusted"] == pytest.approx(0.651, abs=2e-3)
    assert not t.loc["B", "is_significant"] and "dao động ngẫu nhiên" in t.loc["B", "verdict"]
    # C: no base dossiers -> not testable
    assert np.isnan(t.loc["C", "p_value"]) and "không đủ dữ liệu" in t.loc["C", "verdict"]
    assert t.loc["C", "is_small_sample"]
    assert list(t.index)[0] == "A"
