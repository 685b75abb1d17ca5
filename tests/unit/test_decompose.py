"""Rate/mix decomposition, expected values worked out by hand."""

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from parlib.analysis.decompose import (
    STATUS_NO_DATA,
    decompose_rate_change,
    explain_in_dossiers,
    rollup,
    segment_counts,
)
from parlib.core.errors import StructuralError


def frame(segs, k, n, col="procedure"):
    return pd.DataFrame({col: segs, "k": k, "n": n})


def by_seg(res, col="procedure"):
    return res.table.set_index(col)


def test_pure_mix():
    # A fast (r = 0.99), B slow (r = 0.90). Base n = (900, 100): R0 = (891 + 90) / 1000 = 0.981.
    # Target n = (500, 500), same rates: R1 = (495 + 450) / 1000 = 0.945; ΔR = -0.036.
    # mix_A = (0.5 - 0.9) × 0.99 = -0.396; mix_B = (0.5 - 0.1) × 0.90 = +0.360; perf = 0 exactly.
    res = decompose_rate_change(
        frame(["A", "B"], [891, 90], [900, 100]), frame(["A", "B"], [495, 450], [500, 500]), "procedure"
    )
    t = by_seg(res)
    assert t.loc["A", "mix"] == pytest.approx(-0.396, abs=1e-12)
    assert t.loc["B", "mix"] == pytest.approx(0.360, abs=1e-12)
    assert (t["performance"] == 0).all()
    s = res.summary
    assert s["base_rate"] == pytest.approx(0.981) and s["target_rate"] == pytest.approx(0.945)
    assert s["delta"] == pytest.approx(-0.036, abs=1e-12)
    assert s["mix_total"] == pytest.approx(-0.036, abs=1e-12) and s["performance_total"] == 0
    assert s["verdict"] == "mix" and s["performance_p"] == pytest.approx(1.0)
    # share of change: A -0.396 / -0.036 = 11, B 0.36 / -0.036 = -10; A has the largest |total|
    assert t.loc["A", "share_of_change"] == pytest.approx(11.0) and t.loc[
        "B", "share_of_change"
    ] == pytest.approx(-10.0)
    assert res.table["procedure"].tolist() == ["A", "B"] and res.table["rank"].tolist() == [1, 2]
    assert t.loc["A", "w0"] == pytest.approx(0.9) and t.loc["B", "w1"] == pytest.approx(0.5)


def test_pure_performance():
    # Same volumes (900, 100) both periods; A falls from 0.99 to 0.95 (891 -> 855), B stays 0.90.
    # mix = 0; perf_A = (0.95 - 0.99) × 0.9 = -0.036; R1 = (855 + 90) / 1000 = 0.945.
    # SE² = 0.81 × (0.99·0.01/900 + 0.95·0.05/900) + 0.01 × 2 × 0.9·0.1/100 = 6.966e-5, SE = 0.008346,
    # z = -4.31: significant.
    res = decompose_rate_change(
        frame(["A", "B"], [891, 90], [900, 100]), frame(["A", "B"], [855, 90], [900, 100]), ["procedure"]
    )
    t = by_seg(res)
    assert (t["mix"] == 0).all()
    assert t.loc["A", "performance"] == pytest.approx(-0.036, abs=1e-12)
    assert t.loc["B", "performance"] == 0
    s = res.summary
    assert s["performance_se"] == pytest.approx(np.sqrt(6.966e-5), rel=1e-3)
    assert s["performance_p"] < 1e-4 and s["verdict"] == "performance"
    # 0.036 × 1000 = 36 more on-time dossiers would cancel it; back to 0.99 in A: 0.04 × 900 = 36
    e = explain_in_dossiers(res.table).set_index("procedure")
    assert e.loc["A", "dossiers_to_cancel_performance"] == 36 and e.loc["A", "dossiers_to_base_rate"] == 36
    assert e.loc["B", "dossiers_to_cancel_performance"] == 0


def test_mixed_case_by_hand():
    # A: 760/800 = 0.95 -> 540/600 = 0.90; B: 160/200 = 0.80 -> 300/400 = 0.75
    # w0 = (0.8, 0.2), w1 = (0.6, 0.4); R0 = 920/1000 = 0.92, R1 = 840/1000 = 0.84, ΔR = -0.08
    # mix_A = -0.2 × (0.95 + 0.90)/2 = -0.185; mix_B = 0.2 × (0.80 + 0.75)/2 = 0.155; mix = -0.03
    # perf_A = -0.05 × (0.8 + 0.6)/2 = -0.035; perf_B = -0.05 × (0.2 + 0.4)/2 = -0.015; perf = -0.05
    # |mix| = 0.03 and |perf| = 0.05 are both below 2/3 × 0.08 = 0.0533: verdict 'both'
    res = decompose_rate_change(
        frame(["A", "B"], [760, 160], [800, 200]), frame(["A", "B"], [540, 300], [600, 400]), "procedure"
    )
    t = by_seg(res)
    assert t["mix"].tolist() == pytest.approx([-0.185, 0.155], abs=1e-12)
    assert t["performance"].tolist() == pytest.approx([-0.035, -0.015], abs=1e-12)
    assert t["total"].tolist() == pytest.approx([-0.22, 0.14], abs=1e-12)
    assert t["share_of_change"].tolist() == pytest.approx([2.75, -1.75])
    s = res.summary
    assert s["mix_total"] == pytest.approx(-0.03, abs=1e-12)
    assert s["performance_total"] == pytest.approx(-0.05, abs=1e-12)
    assert s["verdict"] == "both"
    # dossiers: perf_A × N1 = 0.035 × 1000 = 35, perf_B = 15; back to base rate: 0.05 × 600 = 30, 0.05 × 400 = 20
    e = explain_in_dossiers(res.table).set_index("procedure")
    assert e["dossiers_to_cancel_performance"].tolist() == [35, 15]
    assert e["dossiers_to_base_rate"].tolist() == [30, 20]


def test_late_rate_orientation():
    # late rate rises in A from 0.05 to 0.10 at constant volumes (100, 100): perf_A = 0.05 × 0.5 = 0.025,
    # adverse for a late rate: 0.025 × 200 = 5 fewer late dossiers would cancel it; 0.05 × 100 = 5 to base
    res = decompose_rate_change(
        frame(["A", "B"], [5, 10], [100, 100]), frame(["A", "B"], [10, 10], [100, 100]), "procedure"
    )
    e = explain_in_dossiers(res.table, higher_is_better=False).set_index("procedure")
    assert e.loc["A", "dossiers_to_cancel_performance"] == 5 and e.loc["A", "dossiers_to_base_rate"] == 5
    assert (
        explain_in_dossiers(res.table).set_index("procedure").loc["A", "dossiers_to_cancel_performance"] == 0
    )


def test_segment_in_one_period_only_is_pure_mix():
    # A 90/100 both periods; C appears in the target with 50/100. R0 = 0.9, R1 = 140/200 = 0.7, ΔR = -0.2.
    # A: mix = (0.5 - 1) × 0.9 = -0.45; C: r0 borrowed = 0.5, mix = 0.5 × 0.5 = 0.25, perf = 0.
    res = decompose_rate_change(
        frame(["A"], [90], [100]), frame(["A", "C"], [90, 50], [100, 100]), "procedure"
    )
    t = by_seg(res)
    assert t.loc["A", "mix"] == pytest.approx(-0.45) and t.loc["C", "mix"] == pytest.approx(0.25)
    assert (t["performance"] == 0).all()
    assert np.isnan(t.loc["C", "r0"]) and t.loc["C", "n0"] == 0
    assert res.summary["delta"] == pytest.approx(-0.2)


def test_vanished_segment():
    # B (slow, 10/20) disappears: R0 = (80 + 10)/100 = 0.9, R1 = 1.0 (80/80). ΔR = +0.1.
    # A: mix = (1 - 0.8) × 1.0 = 0.2; B: r1 borrowed = 0.5, mix = (0 - 0.2) × 0.5 = -0.1
    res = decompose_rate_change(frame(["A", "B"], [80, 10], [80, 20]), frame(["A"], [80], [80]), "procedure")
    t = by_seg(res)
    assert t.loc["A", "mix"] == pytest.approx(0.2) and t.loc["B", "mix"] == pytest.approx(-0.1)
    assert t["performance"].abs().sum() == 0 and np.isnan(t.loc["B", "r1"])


def test_empty_period_gives_no_data():
    res = decompose_rate_change(frame(["A"], [0], [0]), frame(["A"], [5], [10]), "procedure")
    assert res.summary["status"] == STATUS_NO_DATA and res.summary["verdict"] == "no_data"
    assert np.isnan(res.summary["delta"]) and res.table["mix"].isna().all()


def test_small_change_is_noise():
    # 45/50 -> 43/50: z-test of the overall change and of the performance part both far from significant
    res = decompose_rate_change(frame(["A"], [45], [50]), frame(["A"], [43], [50]), "procedure")
    assert res.summary["verdict"] == "noise"
    assert "dao động ngẫu nhiên" in res.summary["verdict_text"]


def test_two_level_and_rollup():
    base = pd.DataFrame(
        {"office": ["P1", "P1", "P2"], "procedure": ["a", "b", "a"], "k": [90, 40, 45], "n": [100, 50, 50]}
    )
    target = pd.DataFrame(
        {"office": ["P1", "P1", "P2"], "procedure": ["a", "b", "a"], "k": [80, 45, 45], "n": [100, 50, 50]}
    )
    res = decompose_rate_change(base, target, ["office", "procedure"])
    assert len(res.table) == 3
    up = rollup(res.table, "office").set_index("office")
    # office sums of exact parts still add up to ΔR = (170 - 175)/200 = -0.025
    assert up["total"].sum() == pytest.approx(-0.025, abs=1e-12)
    # P1: perf_a = -0.1 × 0.5 = -0.05, perf_b = +0.1 × 0.25 = +0.025 -> -0.025; P2 unchanged
    assert up.loc["P1", "performance"] == pytest.approx(-0.025) and up.loc["P2", "total"] == pytest.approx(0)
    assert up.loc["P1", "r0"] == pytest.approx(130 / 150) and up.loc["P1", "rank"] == 1


def test_rows_are_summed_and_counts_from_rows():
    rows = pd.DataFrame({"procedure": ["A", "A", "B", "B"], "on_time": [True, False, True, None]})
    c = segment_counts(rows, ["procedure"], "on_time")
    # the missing outcome is not counted: A 1/2, B 1/1
    assert c.set_index("procedure")[["k", "n"]].to_dict("index") == {
        "A": {"k": 1, "n": 2},
        "B": {"k": 1, "n": 1},
    }
    twice = pd.concat([frame(["A"], [1], [2]), frame(["A"], [1], [2])])
    res = decompose_rate_change(twice, frame(["A"], [2], [4]), "procedure")
    assert res.table.loc[0, "n0"] == 4 and res.summary["delta"] == 0


def test_invalid_counts_and_missing_columns():
    with pytest.raises(StructuralError, match="k ≤ n"):
        decompose_rate_change(frame(["A"], [5], [3]), frame(["A"], [1], [3]), "procedure")
    with pytest.raises(StructuralError, match="procedure"):
        decompose_rate_change(frame(["A"], [1], [3], col="x"), frame(["A"], [1], [3]), "procedure")


def test_inputs_not_mutated():
    b, t = frame(["A", "B"], [891, 90], [900, 100]), frame(["A", "B"], [495, 450], [500, 500])
    b0, t0 = b.copy(), t.copy()
    decompose_rate_change(b, t, "procedure")
    pd.testing.assert_frame_equal(b, b0)
    pd.testing.assert_frame_equal(t, t0)


seg = st.tuples(st.integers(0, 300), st.integers(0, 300), st.floats(0, 1), st.floats(0, 1))


@settings(max_examples=100, deadline=None)
@given(st.lists(seg, min_size=1, max_size=8))
def test_identity_on_random_inputs(segs):
    n0 = [s[0] for s in segs]
    n1 = [s[1] for s in segs]
    k0 = [int(round(s[0] * s[2])) for s in segs]
    k1 = [int(round(s[1] * s[3])) for s in segs]
    names = [f"s{i}" for i in range(len(segs))]
    res = decompose_rate_change(frame(names, k0, n0), frame(names, k1, n1), "procedure")
    if sum(n0) == 0 or sum(n1) == 0:
        assert res.summary["status"] == STATUS_NO_DATA
        return
    delta = sum(k1) / sum(n1) - sum(k0) / sum(n0)
    assert abs(res.table["total"].sum() - delta) < 1e-12
    assert abs(res.summary["mix_total"] + res.summary["performance_total"] - delta) < 1e-12
