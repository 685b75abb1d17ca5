"""Restatement, exact decomposition, province comparison and sentences, worked by hand."""

import math
import warnings

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from parlib.analysis.compare import compare_sentences, decompose_change, restate
from parlib.analysis.province_rank import compare_province
from parlib.ingest.crosswalk import load_crosswalk
from parlib.ingest.framework import load_framework
from parlib.model.crosswalk import enrich_crosswalk
from parlib.model.framework import Framework
from parlib.report.figures.compare import plot_waterfall, waterfall_steps

HEADER = "code,parent_code,level,name,max_points,method,kpi,rule,rule_params,owner_office,partner_offices,plan_tasks"
# Same tiny pair as tests/unit/test_crosswalk.py: every relation, a split and a merge in the same year.
BASE = [
    "1,,field,LV1,6,,,,,,,",
    "1.1,1,criterion,A,2,appraisal,,,,Văn phòng Sở,,",
    "1.2,1,criterion,B,1,appraisal,,,,,,",
    "1.3,1,criterion,C,3,appraisal,,,,,,",
    "2,,field,LV2,4,,,,,,,",
    "2.1,2,criterion,D,1,appraisal,,,,,,",
    "2.2,2,criterion,E,1,appraisal,,,,,,",
    "2.3,2,criterion,F,1,appraisal,,,,,,",
    "2.4,2,criterion,G,1,appraisal,,,,Thanh tra Sở,,",
]
TARGET = [
    "1,,field,LV1,6,,,,,,,",
    "1.1,1,criterion,A,2,appraisal,,,,Văn phòng Sở,,",
    "1.2,1,criterion,B mới,1,appraisal,,,,,,",
    "1.3,1,criterion,C,3,,,,,,,",
    "1.3.1,1.3,subcriterion,C1,2,appraisal,,,,Phòng Kế hoạch - Tài chính,,",
    "1.3.2,1.3,subcriterion,C2,1,appraisal,,,,,,",
    "2,,field,LV2,5,,,,,,,",
    "2.1,2,criterion,D+E,2,appraisal,,,,Văn phòng Sở,,",
    "2.3,2,criterion,F,2,appraisal,,,,,,",
    "2.5,2,criterion,H,1,appraisal,,,,,,",
]
CROSSWALK = [
    "1.1,1.1,same,",
    "1.2,1.2,renamed,",
    "1.3,1.3.1,split,",
    "1.3,1.3.2,split,",
    "2.1,2.1,merged,",
    "2.2,2.1,merged,",
    "2.3,2.3,remaximised,",
    "2.4,,dropped,",
    ",2.5,new,",
]


@pytest.fixture
def pair(tmp_path):
    fws = []
    for year, rows, total in ((2025, BASE, 10), (2026, TARGET, 11)):
        p = tmp_path / f"framework_{year}.csv"
        p.write_text(
            "\n".join([f"#year: {year}", f"#total_points: {total}", HEADER] + rows) + "\n", encoding="utf-8"
        )
        fws.append(load_framework(p))
    cw_path = tmp_path / "crosswalk_2025_2026.csv"
    cw_path.write_text(
        "\n".join(["base_code,target_code,relation,note"] + CROSSWALK) + "\n", encoding="utf-8"
    )
    return fws[0], fws[1], load_crosswalk(cw_path, fws[0], fws[1])


def scores(year, pts, bonus=None, penalty=None):
    codes = list(pts)
    return pd.DataFrame(
        {
            "year": year,
            "code": codes,
            "is_leaf": True,
            "final_points": [pts[c] for c in codes],
            "bonus_points": [(bonus or {}).get(c, 0.0) for c in codes],
            "penalty_points": [(penalty or {}).get(c, 0.0) for c in codes],
        }
    )


# Base leaf points: 1.1=1.5, 1.2=0.5, 1.3=2.4, 2.1=1.0, 2.2=0.5, 2.3=0.8, 2.4=0.6; bonus 0.25 on 1.1.
# base total = 1.5+0.5+2.4+1.0+0.5+0.8+0.6 + 0.25 = 7.55
BASE_PTS = {"1.1": 1.5, "1.2": 0.5, "1.3": 2.4, "2.1": 1.0, "2.2": 0.5, "2.3": 0.8, "2.4": 0.6}
# Target: 1.1=1.0, 1.2=1.0, 1.3.1=1.0, 1.3.2=0.9, 2.1=1.2, 2.3=1.6, 2.5=0.4; penalty 0.5 on 2.1.
# target total = 7.1 - 0.5 = 6.6; change = 6.6 - 7.55 = -0.95
TARGET_PTS = {"1.1": 1.0, "1.2": 1.0, "1.3.1": 1.0, "1.3.2": 0.9, "2.1": 1.2, "2.3": 1.6, "2.5": 0.4}


def test_restate_each_relation_by_hand(pair):
    base, target, cw = pair
    rs = restate(scores(2025, BASE_PTS), cw, target).set_index("code")
    assert rs.index.tolist() == ["1.1", "1.2", "1.3.1", "1.3.2", "2.1", "2.3", "2.5"]
    assert rs.loc["1.1", "restated_points"] == 1.5 and rs.loc["1.1", "restate_rule"] == "copy"
    assert rs.loc["1.2", "restated_points"] == 0.5
    # split 1.3 (2.4 of 3) by the targets' maxima 2 and 1: 2.4 × 2/3 = 1.6 and 2.4 × 1/3 = 0.8
    assert rs.loc["1.3.1", "restated_points"] == pytest.approx(1.6)
    assert rs.loc["1.3.2", "restated_points"] == pytest.approx(0.8)
    assert rs.loc["1.3.1", "restate_rule"] == "share_by_max"
    # merged 2.1 + 2.2 = 1.0 + 0.5 = 1.5 (maxima 1 + 1 = 2 = the new maximum)
    assert rs.loc["2.1", "restated_points"] == pytest.approx(1.5) and rs.loc["2.1", "base_code"] == "2.1;2.2"
    assert rs.loc["2.1", "restate_rule_vi"] == "cộng điểm các tiêu chí được gộp"
    # re-maximised 2.3: 0.8 of 1 = 80 % → 80 % of 2 = 1.6
    assert rs.loc["2.3", "restated_points"] == pytest.approx(1.6) and rs.loc[
        "2.3", "restated_pct"
    ] == pytest.approx(80)
    # new 2.5: no base value
    assert np.isnan(rs.loc["2.5", "restated_points"]) and rs.loc["2.5", "restate_rule"] == "none"


def test_restate_split_that_changes_the_total_maximum(pair):
    base, target, cw = pair
    nodes = target.nodes.copy()
    nodes.loc[nodes["code"] == "1.3.2", "max_points"] = 2.0  # split 3 -> 2 + 2 = 4
    rs = restate(scores(2025, BASE_PTS), cw, nodes).set_index("code")
    # carried share 2.4 × 2/4 = 1.2 of a carried max 3 × 2/4 = 1.5 (80 %) → 80 % of 2 = 1.6 each
    assert rs.loc["1.3.1", "base_points"] == pytest.approx(1.2)
    assert rs.loc["1.3.2", "restated_points"] == pytest.approx(1.6)
    assert "giữ tỷ lệ %" in rs.loc["1.3.2", "restate_rule_vi"]


def test_decomposition_by_hand(pair):
    base, target, cw = pair
    t, s = decompose_change(
        scores(2025, BASE_PTS, bonus={"1.1": 0.25}),
        scores(2026, TARGET_PTS, penalty={"2.1": 0.5}),
        cw,
        target,
        base,
    )
    t = t.set_index("code")
    # performance: 1.1 1.0-1.5=-0.5; 1.2 +0.5; 1.3.1 1.0-1.6=-0.6; 1.3.2 0.9-0.8=+0.1; 2.1 1.2-1.5=-0.3; 2.3 0
    perf = {
        "1.1": -0.5,
        "1.2": 0.5,
        "1.3.1": -0.6,
        "1.3.2": 0.1,
        "2.1": -0.3,
        "2.3": 0.0,
        "2.5": 0.0,
        "2.4": 0.0,
    }
    for code, v in perf.items():
        assert t.loc[code, "performance_points"] == pytest.approx(v), code
    # framework: 2.3 rescaled 1.6-0.8=+0.8; new 2.5 +0.4; dropped 2.4 -0.6 → +0.6
    assert t.loc["2.3", "framework_points"] == pytest.approx(0.8)
    assert t.loc["2.5", "framework_points"] == pytest.approx(0.4)
    assert t.loc["2.4", "framework_points"] == pytest.approx(-0.6) and np.isnan(t.loc["2.4", "target_points"])
    assert s["base_total"] == pytest.approx(7.55) and s["target_total"] == pytest.approx(6.6)
    assert s["total_change"] == pytest.approx(-0.95)
    assert s["performance_change"] == pytest.approx(-0.8)
    assert s["framework_effect"] == pytest.approx(0.6)
    assert s["new_points"] == pytest.approx(0.4) and s["dropped_points"] == pytest.approx(0.6)
    assert s["rescaling_points"] == pytest.approx(0.8)
    # bonus/penalty: (0 - 0.5) - (0.25 - 0) = -0.75;  -0.8 + 0.6 - 0.75 = -0.95
    assert s["bonus_penalty_change"] == pytest.approx(-0.75)
    assert (
        abs(s["performance_change"] + s["framework_effect"] + s["bonus_penalty_change"] - s["total_change"])
        < 1e-12
    )
    # largest decreases: 1.3.1 (-0.6), 1.1 (-0.5), 2.1 (-0.3)
    ranked = t["decrease_rank"].dropna().sort_values()
    assert ranked.index.tolist() == ["1.3.1", "1.1", "2.1"] and ranked.tolist() == [1, 2, 3]
    # by field: field 1 perf -0.5+0.5-0.6+0.1 = -0.5; field 2 perf -0.3, framework 0.6
    bf = {d["field_code"]: d for d in s["by_field"]}
    assert bf["1"]["performance_points"] == pytest.approx(-0.5)
    assert bf["2"]["performance_points"] == pytest.approx(-0.3) and bf["2"][
        "framework_points"
    ] == pytest.approx(0.6)
    # the % of maximum is compared on the restated base: 2.1 75 % → 60 %
    assert t.loc["2.1", "base_pct"] == pytest.approx(75) and t.loc["2.1", "target_pct"] == pytest.approx(60)


def test_missing_final_points_count_as_zero(pair):
    base, target, cw = pair
    pts = dict(BASE_PTS)
    pts["1.2"] = np.nan
    t, s = decompose_change(scores(2025, pts), scores(2026, TARGET_PTS), cw, target, base)
    assert s["n_missing_base"] == 1
    # base total 7.3 - 0.5 = 6.8; target 7.1
    assert s["base_total"] == pytest.approx(6.8) and s["total_change"] == pytest.approx(0.3)


def test_sentences_add_up_as_printed(pair):
    base, target, cw = pair
    t, s = decompose_change(
        scores(2025, BASE_PTS, bonus={"1.1": 0.25}),
        scores(2026, TARGET_PTS, penalty={"2.1": 0.5}),
        cw,
        target,
        base,
    )
    out = compare_sentences(s, t, top_n=2)
    assert out[0] == "Tổng điểm năm 2026 đạt 6,60 điểm, giảm 0,95 điểm so với năm 2025 (7,55 điểm)."
    assert out[1] == (
        "Trong đó, thay đổi bộ tiêu chí làm tăng 0,60 điểm; kết quả thực hiện làm giảm 0,80 điểm; "
        "điểm thưởng, điểm trừ làm giảm 0,75 điểm."
    )
    assert "tiêu chí mới đóng góp 0,40 điểm" in out[2] and "bãi bỏ làm mất 0,60 điểm" in out[2]
    assert out[3] == "2 tiêu chí giảm điểm nhiều nhất do kết quả thực hiện:"
    assert out[4].startswith("1) 1.3.1 «C1»: giảm 0,60 điểm (từ 80,0 % xuống 50,0 % điểm tối đa)")
    assert out[4].endswith("đơn vị chủ trì: Phòng Kế hoạch - Tài chính.")
    assert out[5].startswith("2) 1.1 «A»: giảm 0,50 điểm")


def test_sentences_rounding_is_consistent():
    # totals 85.555 → 85,56 and 84.344 → 84,34: change shown −1,22; framework −0.504 → −0,50;
    # performance shown as the residual −1,22 − (−0,50) − 0 = −0,72
    s = {
        "base_year": 2025,
        "target_year": 2026,
        "base_total": 85.555,
        "target_total": 84.344,
        "framework_effect": -0.504,
        "bonus_penalty_change": 0.0,
        "new_points": 0.0,
        "dropped_points": 0.0,
        "rescaling_points": -0.504,
    }
    t = pd.DataFrame({"decrease_rank": pd.array([], dtype="Int64")})
    out = compare_sentences(s, t)
    assert out[0] == "Tổng điểm năm 2026 đạt 84,34 điểm, giảm 1,22 điểm so với năm 2025 (85,56 điểm)."
    assert (
        out[1] == "Trong đó, thay đổi bộ tiêu chí làm giảm 0,50 điểm; kết quả thực hiện làm giảm 0,72 điểm."
    )
    assert out[-1] == "Không có tiêu chí nào giảm điểm do kết quả thực hiện."


def test_waterfall_ends_at_target_total(pair):
    base, target, cw = pair
    t, s = decompose_change(
        scores(2025, BASE_PTS, bonus={"1.1": 0.25}),
        scores(2026, TARGET_PTS, penalty={"2.1": 0.5}),
        cw,
        target,
        base,
    )
    steps = waterfall_steps(s, t)
    # base 7.55 → LV1 -0.5 → LV2 -0.3 → framework +0.6 → bonus/penalty -0.75 → 6.6
    assert steps["label"].tolist()[1:3] == ["LV 1", "LV 2"]
    assert steps["end"].iloc[-2] == pytest.approx(6.6) and steps["value"].iloc[-1] == pytest.approx(6.6)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # a missing Vietnamese glyph would warn
        fig = plot_waterfall(s, t)
        fig.canvas.draw()
    assert len(fig.axes[0].patches) == len(steps)


# ---------------------------------------------------------------- the exact-sum property


@st.composite
def framework_pair(draw):
    """Random base leaves with random relations (incl. splits and merges), maxima and points."""
    quarter = st.integers(1, 20).map(lambda k: k * 0.25)
    n = draw(st.integers(1, 10))
    kinds = draw(
        st.lists(
            st.sampled_from(["same", "renamed", "remaximised", "split", "merge", "dropped"]),
            min_size=n,
            max_size=n,
        )
    )
    b_leaves, t_leaves, cw = [], [], []
    counters = {"1": 0, "2": 0}

    def tcode(f):
        counters[f] += 1
        return f"{f}.{counters[f]}"

    i = 0
    while i < n:
        f = str(i % 2 + 1)
        bcode, bmax = f"{f}.{i + 1}", draw(quarter)
        b_leaves.append((bcode, bmax))
        kind = kinds[i]
        if kind == "merge" and i + 1 < n:
            b2, b2max = f"{f}.{i + 2}", draw(quarter)
            b_leaves.append((b2, b2max))
            tc = tcode(f)
            t_leaves.append((tc, draw(quarter)))
            cw += [(bcode, tc, "merged"), (b2, tc, "merged")]
            i += 2
            continue
        if kind == "split":
            for _ in range(draw(st.integers(2, 3))):
                tc = tcode(f)
                t_leaves.append((tc, draw(quarter)))
                cw.append((bcode, tc, "split"))
        elif kind == "dropped":
            cw.append((bcode, "", "dropped"))
        elif kind == "remaximised":
            tc = tcode(f)
            t_leaves.append((tc, bmax + draw(quarter)))
            cw.append((bcode, tc, "remaximised"))
        else:
            tc = tcode(f)
            t_leaves.append((tc, bmax))
            cw.append((bcode, tc, "same" if kind == "merge" else kind))
        i += 1
    for _ in range(draw(st.integers(0, 2))):
        f = draw(st.sampled_from(["1", "2"]))
        tc = tcode(f)
        t_leaves.append((tc, draw(quarter)))
        cw.append(("", tc, "new"))
    frac = st.floats(0, 1, allow_nan=False)
    bpts = {c: m * draw(frac) for c, m in b_leaves}
    tpts = {c: m * draw(frac) for c, m in t_leaves}
    bonus = (draw(st.floats(0, 2)), draw(st.floats(0, 2)))
    penalty = (draw(st.floats(0, 2)), draw(st.floats(0, 2)))
    return b_leaves, t_leaves, cw, bpts, tpts, bonus, penalty


def make_fw(leaves, year):
    rows = []
    for f in ("1", "2"):
        kids = [(c, m) for c, m in leaves if c.split(".")[0] == f]
        rows.append(
            {
                "code": f,
                "parent_code": "",
                "level": "field",
                "name": f"LV{f}",
                "max_points": sum(m for _, m in kids),
                "owner_office": "",
                "is_leaf": not kids,
                "field_code": f,
            }
        )
        rows += [
            {
                "code": c,
                "parent_code": f,
                "level": "criterion",
                "name": c,
                "max_points": m,
                "owner_office": "Văn phòng Sở",
                "is_leaf": True,
                "field_code": f,
            }
            for c, m in kids
        ]
    nodes = pd.DataFrame(rows)
    nodes = nodes.loc[~((nodes["level"] == "field") & nodes["is_leaf"])].reset_index(drop=True)
    return Framework(
        nodes=nodes,
        meta={},
        year=year,
        total_points=float(nodes["max_points"].sum() / 2),
        is_illustrative=False,
        source=None,
    )


@settings(max_examples=150, deadline=None)
@given(framework_pair())
def test_parts_sum_to_total_change(data):
    b_leaves, t_leaves, cw_rows, bpts, tpts, bonus, penalty = data
    base, target = make_fw(b_leaves, 2025), make_fw(t_leaves, 2026)
    cw = enrich_crosswalk(
        pd.DataFrame(cw_rows, columns=["base_code", "target_code", "relation"]), base.nodes, target.nodes
    )
    bs = scores(2025, bpts)
    ts = scores(2026, tpts)
    bs.loc[0, "bonus_points"], bs.loc[0, "penalty_points"] = bonus[0], penalty[0]
    if len(ts):
        ts.loc[0, "bonus_points"], ts.loc[0, "penalty_points"] = bonus[1], penalty[1]
    t, s = decompose_change(bs, ts, cw, target, base)
    total_change = (
        math.fsum(tpts.values())
        + (bonus[1] - penalty[1] if len(ts) else 0.0)
        - math.fsum(bpts.values())
        - bonus[0]
        + penalty[0]
    )
    parts = s["performance_change"] + s["framework_effect"] + s["bonus_penalty_change"]
    assert abs(parts - total_change) < 1e-9
    assert abs(s["total_change"] - total_change) < 1e-9
    assert np.allclose(t["change_points"], t["performance_points"] + t["framework_points"], atol=1e-12)
    assert abs(sum(d["change_points"] for d in s["by_field"]) - (parts - s["bonus_penalty_change"])) < 1e-9


# ---------------------------------------------------------------- province


def province(year, ranks, totals, f1, bands):
    return pd.DataFrame(
        {
            "year": year,
            "unit_name": ["Sở Xây dựng", "Sở Tư pháp", "Sở Y tế"],
            "field_1_points": f1,
            "total_points": totals,
            "index_pct": totals,
            "rank": pd.array(ranks, dtype="Int64"),
            "band": bands,
        }
    )


def test_compare_province_gaps_and_missing_ranks():
    base = province(
        2024, [None, None, None], [85.0, 90.0, 80.0], [8.0, 9.0, 10.0], ["Nhóm II", "Nhóm I", "Nhóm II"]
    )
    target = province(2025, [2, 1, 3], [88.0, 91.0, 82.0], [9.0, 9.5, 7.0], ["Nhóm II", "Nhóm I", "Nhóm II"])
    out = compare_province(base, target, "sở xây dựng")
    assert out["base_rank"] is None and out["target_rank"] == 2 and out["rank_change"] is None
    assert any("2024 không công bố xếp hạng" in n for n in out["notes"])
    assert out["band_changed"] is False
    tab = out["table"].set_index("item")
    # 2024 field 1: unit 8, median of 8, 9, 10 = 9, best 10 → gaps -1 and -2
    assert (
        tab.loc["field_1_points", "base_gap_median"] == -1
        and tab.loc["field_1_points", "base_gap_best"] == -2
    )
    # 2025 total: unit 88, median of 88, 91, 82 = 88, best 91 → gaps 0 and -3; change 88 - 85 = 3
    assert (
        tab.loc["total_points", "target_gap_median"] == 0 and tab.loc["total_points", "target_gap_best"] == -3
    )
    assert tab.loc["total_points", "change_points"] == 3
    assert tab.loc["total_points", "item_vi"] == "Tổng điểm"


def test_compare_province_gaps_equal_the_year_position():
    """One value per fact: field 1 of 2025 has unit 7,95 among 7,95 / 8,00 / 8,01 / 9,00 (and a note
    row without scores): the median (8,00 + 8,01) / 2 = 8,005 is published half up as 8,01, so the
    gap is 7,95 − 8,01 = −0,06 in both the year's position table and the two-year comparison (the
    unrounded −0,055 would print as −0,05 or −0,06 depending on the table)."""
    from parlib.analysis.province_rank import province_position

    def four(year, f1, totals):
        return pd.DataFrame(
            {
                "year": year,
                "unit_name": [
                    "Sở Xây dựng",
                    "Sở Tư pháp",
                    "Sở Y tế",
                    "Sở Nội vụ",
                    "Ghi chú: số liệu tạm tính",
                ],
                "field_1_points": f1 + [None],
                "total_points": totals + [None],
                "index_pct": totals + [None],
                "rank": pd.array([None] * 5, dtype="Int64"),
                "band": ["Nhóm II"] * 5,
            }
        )

    base = four(2024, [8.0, 8.0, 8.0, 8.0], [85.0, 86.0, 87.0, 88.0])
    target = four(2025, [7.95, 8.00, 8.01, 9.00], [87.97, 88.0, 88.01, 90.0])
    pos = province_position(target, "Sở Xây dựng")["table"].set_index("item")
    tab = compare_province(base, target, "Sở Xây dựng")["table"].set_index("item")
    assert pos.at["field_1_points", "median"] == pytest.approx(8.01)
    assert pos.at["field_1_points", "gap_median"] == pytest.approx(-0.06)
    assert tab.at["field_1_points", "target_gap_median"] == pytest.approx(-0.06)
    assert tab.at["total_points", "target_gap_median"] == pytest.approx(87.97 - 88.01)
    assert tab.at["total_points", "target_gap_best"] == pytest.approx(87.97 - 90.0)
    # a partial table has no province median in either place
    part = compare_province(base, target, "Sở Xây dựng", target_partial=True)["table"].set_index("item")
    assert pd.isna(part.at["total_points", "target_median"]) and pd.isna(
        part.at["total_points", "target_gap_median"]
    )


def test_compare_province_rank_change_and_unknown_unit():
    base = province(2024, [3, 1, 2], [85.0, 90.0, 80.0], [8.0, 9.0, 10.0], ["Nhóm II", "Nhóm I", "Nhóm II"])
    target = province(2025, [1, 2, 3], [92.0, 91.0, 82.0], [9.0, 9.5, 7.0], ["Nhóm I", "Nhóm I", "Nhóm II"])
    out = compare_province(base, target, "Sở Xây dựng")
    assert out["rank_change"] == -2 and out["band_changed"] is True  # 3rd → 1st: moved up two places
    missing = compare_province(base, target, "Sở Không Có")
    assert missing["base_rank"] is None and missing["rank_change"] is None
    assert any("Không tìm thấy đơn vị «Sở Không Có»" in n for n in missing["notes"])
    assert missing["table"]["base_points"].isna().all()


def test_by_field_follows_the_crosswalk_when_fields_are_renumbered(tmp_path):
    """Base field 2 (B) becomes target field 1 and base field 1 (A) target field 2; base 2.2 is
    dropped. Base: 1.1 = 1,5/2, 1.2 = 1/1 (field A 2,5); 2.1 = 2/2, 2.2 = 0,5/1 (field B 2,5).
    Target: 1.1 (from 2.1) = 1/2; 2.1 (from 1.1) = 2/2, 2.2 (from 1.2) = 1/1.
    Field B (target 1): 1 − (2 + 0,5) = −1,5 (performance −1, the dropped 0,5 as framework effect).
    Field A (target 2): 3 − 2,5 = +0,5 (performance +0,5). By field number the dropped 2.2 would
    have gone under target field 2 (A)."""
    base_rows = [
        "1,,field,A,3,,,,,,,",
        "1.1,1,criterion,A1,2,appraisal,,,,,,",
        "1.2,1,criterion,A2,1,appraisal,,,,,,",
        "2,,field,B,3,,,,,,,",
        "2.1,2,criterion,B1,2,appraisal,,,,,,",
        "2.2,2,criterion,B2,1,appraisal,,,,,,",
    ]
    target_rows = [
        "1,,field,B,2,,,,,,,",
        "1.1,1,criterion,B1,2,appraisal,,,,,,",
        "2,,field,A,3,,,,,,,",
        "2.1,2,criterion,A1,2,appraisal,,,,,,",
        "2.2,2,criterion,A2,1,appraisal,,,,,,",
    ]
    fws = []
    for year, rows, total in ((2025, base_rows, 6), (2026, target_rows, 5)):
        p = tmp_path / f"framework_{year}.csv"
        p.write_text(
            "\n".join([f"#year: {year}", f"#total_points: {total}", HEADER, *rows]) + "\n", encoding="utf-8"
        )
        fws.append(load_framework(p))
    cw_path = tmp_path / "crosswalk_2025_2026.csv"
    cw_path.write_text(
        "base_code,target_code,relation,note\n2.1,1.1,renamed,\n1.1,2.1,renamed,\n1.2,2.2,renamed,\n2.2,,dropped,\n",
        encoding="utf-8",
    )
    cw = load_crosswalk(cw_path, fws[0], fws[1])
    base = scores(2025, {"1.1": 1.5, "1.2": 1.0, "2.1": 2.0, "2.2": 0.5})
    target = scores(2026, {"1.1": 1.0, "2.1": 2.0, "2.2": 1.0})
    _, summary = decompose_change(base, target, cw, fws[1], fws[0])
    by = {f["field_code"]: f for f in summary["by_field"]}
    assert set(by) == {"1", "2"}
    assert by["1"]["field_name"] == "B" and by["1"]["change_points"] == pytest.approx(-1.5)
    assert by["1"]["performance_points"] == pytest.approx(-1.0)
    assert by["1"]["framework_points"] == pytest.approx(-0.5)
    assert by["2"]["field_name"] == "A" and by["2"]["change_points"] == pytest.approx(0.5)
    assert summary["total_change"] == pytest.approx(-1.0)


def test_framework_table_adds_up_as_printed():
    """Three items move +0,336, +0,336 and −0,432: printed +0,34 +0,34 −0,43 = +0,25, but the effect
    is +0,24 (as the text says): a rounding line of −0,01 makes the table add up to its total."""
    from parlib.pipelines.comparison import Comparison

    d = pd.DataFrame(
        {
            "code": ["1.1", "1.2", "1.3"],
            "name": ["a", "b", "c"],
            "relation": ["new", "remaximised", "dropped"],
            "restate_rule_vi": ["", "", ""],
            "framework_points": [0.336, 0.336, -0.432],
        }
    )
    comp = Comparison(2025, 2026, d, {"framework_effect": 0.24}, [])
    t = comp.framework_vi()
    assert t["Ảnh hưởng (điểm)"].tolist() == ["+0,34", "+0,34", "-0,43", "-0,01", "+0,24"]
    assert t["Tiêu chí"].iloc[-2:].tolist() == ["Làm tròn", "Tổng ảnh hưởng của thay đổi bộ tiêu chí"]
    exact = Comparison(
        2025, 2026, d.assign(framework_points=[0.5, 0.25, -0.5]), {"framework_effect": 0.25}, []
    )
    assert exact.framework_vi()["Ảnh hưởng (điểm)"].tolist() == ["+0,50", "+0,25", "-0,50", "+0,25"]


def test_level_table_adds_up_as_printed():
    """Two fields: performance −0,714 and −0,721 print −0,71 and −0,72 (−1,43) while the text
    says −1,44 (change −1,20 of the printed points 89,17 → 87,97 minus the framework +0,24): a
    rounding line of −0,01 and the «Cộng» line that the text quotes."""
    from parlib.analysis.compare import level_table_vi

    nodes = [
        {"code": "1", "name": "A", "base_points": 44.585, "target_points": 43.986, "change_points": -0.599,
         "performance_points": -0.714, "framework_points": 0.115},
        {"code": "2", "name": "B", "base_points": 44.585, "target_points": 43.984, "change_points": -0.601,
         "performance_points": -0.721, "framework_points": 0.120},
    ]  # fmt: skip
    summary = {"base_year": 2025, "target_year": 2026, "framework_effect": 0.235,
               "by_level": [{"depth": 1, "level_name": "lĩnh vực", "nodes": nodes}]}  # fmt: skip
    t = level_table_vi(summary, 1)
    assert t["Tên lĩnh vực"].tolist() == ["A", "B", "Chênh lệch do làm tròn", "Cộng"]
    last = t.iloc[-1]
    assert (last["Điểm năm 2025"], last["Điểm năm 2026"], last["Thay đổi"]) == ("89,17", "87,97", "-1,20")
    assert (last["Do kết quả thực hiện"], last["Do thay đổi bộ tiêu chí"]) == ("-1,44", "0,24")
    assert t.iloc[-2]["Do kết quả thực hiện"] == "-0,01" and t.iloc[-2]["Do thay đổi bộ tiêu chí"] == "0,00"
