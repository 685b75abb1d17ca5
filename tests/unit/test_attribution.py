"""Tests of parlib.attribution on a tiny hand-made year (values worked out by hand)."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from parlib.analysis import attribution as A
from parlib.analysis import loss_tables as L
from parlib.core.errors import StructuralError

NAN = np.nan
BANDS = pd.DataFrame({"band_name": ["Nhóm I", "Nhóm II", "Dưới Nhóm II"], "min_pct": [90, 80, 0]})

# code, parent, level, name, max, method, owner, partners, is_leaf, depth
NODES = [
    ("1", "", "field", "Chỉ đạo", 6.0, "", "", "", False, 1),
    ("1.1", "1", "criterion", "Kế hoạch", 4.0, "", "", "", False, 2),
    ("1.1.1", "1.1", "subcriterion", "KH năm", 2.0, "appraisal", "Văn phòng Sở", "Thanh tra Sở", True, 3),
    (
        "1.1.2",
        "1.1",
        "subcriterion",
        "KH kiểm tra",
        2.0,
        "appraisal",
        "Phòng Kế hoạch - Tài chính",
        "",
        True,
        3,
    ),
    ("1.2", "1", "criterion", "Báo cáo", 2.0, "appraisal", "Văn phòng Sở", "", True, 2),
    ("2", "", "field", "Thủ tục", 6.0, "", "", "", False, 1),
    ("2.1", "2", "criterion", "Đúng hạn 766", 3.0, "766", "Phòng Quản lý hoạt động xây dựng", "", True, 2),
    ("2.2", "2", "criterion", "Số hóa", 3.0, "statistics", "Phòng Quản lý hoạt động xây dựng", "", True, 2),
    ("3", "", "field", "Tác động", 8.0, "", "", "", False, 1),
    ("3.1", "3", "criterion", "Hài lòng", 8.0, "survey", "Văn phòng Sở", "", True, 2),
]
# code: self, appraisal1, final, bonus, penalty. Parent rows carry deliberately wrong
# printed finals (99) to prove that parents are recomputed and never double counted.
SCORES = {
    "1": (NAN, NAN, 99.0, 0.5, 0.0),
    "1.1": (NAN, NAN, 99.0, 0.5, 0.0),
    "1.1.1": (2.0, 1.5, 1.75, 0.5, 0.0),
    "1.1.2": (1.5, 1.0, 1.0, 0.0, 0.0),
    "1.2": (2.0, NAN, 2.0, 0.0, 0.0),
    "2": (NAN, NAN, 99.0, 0.0, 0.25),
    "2.1": (NAN, NAN, 2.4, 0.0, 0.0),
    "2.2": (3.0, 2.5, 2.5, 0.0, 0.25),
    "3": (NAN, NAN, 99.0, 0.0, 0.0),
    "3.1": (NAN, NAN, 6.0, 0.0, 0.0),
}


def make_nodes(rows=NODES) -> pd.DataFrame:
    df = pd.DataFrame(
        rows,
        columns=[
            "code",
            "parent_code",
            "level",
            "name",
            "max_points",
            "method",
            "owner_office",
            "partner_offices",
            "is_leaf",
            "depth",
        ],
    )
    return df.assign(field_code=df["code"].str.split(".").str[0], plan_tasks="")


def make_scores(values=SCORES) -> pd.DataFrame:
    df = pd.DataFrame(
        [(c, *v) for c, v in values.items()],
        columns=[
            "code",
            "self_points",
            "appraisal1_points",
            "final_points",
            "bonus_points",
            "penalty_points",
        ],
    )
    return df.assign(
        year=2026,
        unit_name="Sở Xây dựng",
        explanation="",
        reason="",
        source="bang_diem_2026.xlsx",
        sheet="Bảng điểm",
        row=range(5, 5 + len(df)),
    )


@pytest.fixture()
def loss():
    return A.loss_by_node(make_scores(), make_nodes())


def row(df, code):
    return df.set_index("code").loc[code]


# ------------------------------------------------------------------ loss_by_node
def test_leaf_stage_split_by_hand(loss):
    # 1.1.1: M=2 S=2 A1=1.5 F=1.75 → lost 0.25 = not_claimed 0 + cut 0.5 − regained 0.25
    r = row(loss, "1.1.1")
    assert (r.points_lost, r.not_claimed_points, r.cut_round1_points, r.regained_points) == pytest.approx(
        (0.25, 0.0, 0.5, 0.25)
    )
    assert r.pct_of_max == pytest.approx(87.5)  # 1.75 / 2 × 100
    # 1.1.2: M=2 S=1.5 A1=1 F=1 → lost 1 = 0.5 not claimed + 0.5 cut, nothing regained
    r = row(loss, "1.1.2")
    assert (r.points_lost, r.not_claimed_points, r.cut_round1_points, r.regained_points) == pytest.approx(
        (1.0, 0.5, 0.5, 0.0)
    )
    # 1.2: A1 missing → A1 := F = 2: no round-2 change, score = max → nothing lost
    r = row(loss, "1.2")
    assert (r.points_lost, r.appraisal1_points, r.regained_points, r.pct_of_max) == pytest.approx(
        (0.0, 2.0, 0.0, 100.0)
    )
    # 2.1: 766 without self → measured: survey = 3 − 2.4 = 0.6
    r = row(loss, "2.1")
    assert (r.survey_points, r.not_claimed_points, r.stage_basis) == (pytest.approx(0.6), 0.0, "measured")
    # 2.2: statistics WITH self → treated like appraisal: cut = 3 − 2.5 = 0.5
    r = row(loss, "2.2")
    assert (r.cut_round1_points, r.survey_points, r.stage_basis) == (pytest.approx(0.5), 0.0, "self")
    # 3.1: survey: 8 − 6 = 2
    assert row(loss, "3.1").survey_points == pytest.approx(2.0)


def test_identity_holds_for_every_leaf(loss):
    lv = loss[loss["is_leaf"]]
    rhs = (
        lv["not_claimed_points"]
        + lv["cut_round1_points"]
        - lv["regained_points"]
        + lv["survey_points"]
        + lv["unsplit_points"]
    )
    assert np.allclose(lv["points_lost"], rhs, atol=1e-9)


def test_parents_are_sums_of_leaves_not_printed_rows(loss):
    # field 1 = 1.1.1 + 1.1.2 + 1.2: final 1.75 + 1 + 2 = 4.75 (printed 99 ignored), max 6
    r = row(loss, "1")
    assert (r.final_points, r.max_points, r.points_lost, r.n_leaves) == pytest.approx((4.75, 6.0, 1.25, 3))
    assert r.pct_of_max == pytest.approx(4.75 / 6 * 100)
    assert r.self_points == pytest.approx(5.5)  # 2 + 1.5 + 2 (self-scored leaves)
    assert row(loss, "1.1").final_points == pytest.approx(2.75)  # criterion level too
    assert row(loss, "2").method == "mixed" and row(loss, "3").method == "survey"
    assert list(loss["code"]) == ["1", "1.1", "1.1.1", "1.1.2", "1.2", "2", "2.1", "2.2", "3", "3.1"]


def test_inputs_not_mutated():
    s, n = make_scores(), make_nodes()
    s0, n0 = s.copy(), n.copy()
    A.loss_by_node(s, n)
    L.index_summary(s, n, BANDS)
    pd.testing.assert_frame_equal(s, s0)
    pd.testing.assert_frame_equal(n, n0)


@pytest.mark.parametrize(
    "final, lost, pct",
    [
        (2.0, 0.0, 100.0),  # score = max
        (0.0, 2.0, 0.0),  # score 0: the whole max is lost
        (2.5, -0.5, 125.0),  # above max: negative loss, still reported
        (-0.5, 2.5, -25.0),  # negative score: loss larger than max
    ],
)
def test_score_edges(final, lost, pct):
    values = dict(SCORES, **{"1.1.1": (2.0, 2.0, final, 0.0, 0.0)})
    r = row(A.loss_by_node(make_scores(values), make_nodes()), "1.1.1")
    assert (r.points_lost, r.pct_of_max) == pytest.approx((lost, pct))


def test_missing_final_propagates_and_is_flagged():
    values = dict(SCORES, **{"1.1.2": (1.5, 1.0, NAN, 0.0, 0.0)})
    s, n = make_scores(values), make_nodes()
    loss = A.loss_by_node(s, n)
    r = row(loss, "1.1.2")
    assert math.isnan(r.points_lost) and r.is_final_missing
    assert r.not_claimed_points == pytest.approx(0.5)  # known without the final score
    assert math.isnan(row(loss, "1.1").final_points) and row(loss, "1").is_final_missing
    assert row(loss, "2").final_points == pytest.approx(4.9)  # other fields unaffected
    summ = L.index_summary(s, n, BANDS, loss)
    assert summ["total_points"] is None and summ["band"] is None
    assert summ["n_missing_final"] == 1 and summ["missing_final_codes"] == ["1.1.2"]
    assert math.isnan(L.loss_by_stage(loss)["points_lost"].iloc[2])  # regained unknown
    assert "1.1.2" not in set(L.pareto(loss)["code"])


def test_leaf_missing_from_scoresheet_is_missing_not_zero():
    values = {k: v for k, v in SCORES.items() if k != "2.2"}
    loss = A.loss_by_node(make_scores(values), make_nodes())
    assert row(loss, "2.2").is_final_missing and math.isnan(row(loss, "2").final_points)


def test_self_missing_on_appraisal_goes_to_unsplit():
    # M=2, S missing, A1=1, F=1.5 → unsplit = 2 − 1 = 1, regained = 0.5, lost = 0.5
    values = dict(SCORES, **{"1.1.1": (NAN, 1.0, 1.5, 0.0, 0.0)})
    loss = A.loss_by_node(make_scores(values), make_nodes())
    r = row(loss, "1.1.1")
    assert (r.unsplit_points, r.regained_points, r.points_lost) == pytest.approx((1.0, 0.5, 0.5))
    assert r.is_self_missing and r.stage_basis == "self_missing"
    st = L.loss_by_stage(loss)
    assert "unsplit" in set(st["stage"])
    assert st["points_lost"].sum() == pytest.approx(loss[loss.is_leaf]["points_lost"].sum(), abs=1e-9)


def test_survey_self_score_is_ignored():
    values = dict(SCORES, **{"3.1": (8.0, NAN, 6.0, 0.0, 0.0)})
    r = row(A.loss_by_node(make_scores(values), make_nodes()), "3.1")
    assert (r.survey_points, r.not_claimed_points, r.cut_round1_points) == pytest.approx((2.0, 0.0, 0.0))


def test_structural_errors_list_every_problem():
    s = pd.concat(
        [make_scores(), make_scores().iloc[[2]], make_scores().iloc[[0]].assign(code="9.9")],
        ignore_index=True,
    )
    n = make_nodes().assign(method=lambda d: d["method"].where(d["code"] != "3.1", "khảo sát"))
    with pytest.raises(StructuralError) as e:
        A.loss_by_node(s, n)
    msg = str(e.value)
    assert "1.1.1" in msg and "9.9" in msg and "khảo sát" in msg
    assert len(e.value.problems) == 3
    with pytest.raises(StructuralError, match="final_points"):
        A.loss_by_node(make_scores().drop(columns="final_points"), make_nodes())


# ------------------------------------------------------------------ summary, bands, fields
def test_index_summary_by_hand(loss):
    summ = L.index_summary(make_scores(), make_nodes(), BANDS, loss)
    # Σ leaf final = 1.75 + 1 + 2 + 2.4 + 2.5 + 6 = 15.65; bonus 0.5 (leaf 1.1.1; parents hold
    # the same sum); penalty 0.25 (leaf 2.2) → total 15.90 of 20 → 79.5 % → below Nhóm II
    assert summ["final_points"] == pytest.approx(15.65)
    assert summ["total_points"] == pytest.approx(15.90)
    assert summ["index_pct"] == pytest.approx(79.5)
    assert (summ["band"], summ["next_band_min_pct"]) == ("Dưới Nhóm II", 80.0)
    assert summ["points_lost"] == pytest.approx(4.35)  # 20 − 15.65, before bonus/penalty
    # gap on self-scored leaves: 0.25 + 0.5 + 0 + 0.5 = 1.25
    assert summ["appraisal_gap_points"] == pytest.approx(1.25)
    assert (summ["year"], summ["unit_name"], summ["n_leaves_lost"]) == (2026, "Sở Xây dựng", 5)


def test_parent_bonus_not_matching_leaves_is_structural():
    values = dict(SCORES, **{"1": (NAN, NAN, 99.0, 2.0, 0.0)})  # 2 ≠ 0.5 of its leaves
    with pytest.raises(StructuralError, match="bonus_points"):
        L.index_summary(make_scores(values), make_nodes(), BANDS)


@pytest.mark.parametrize(
    "pct, band",
    [
        (90.0, "Nhóm I"),
        (89.995, "Nhóm II"),
        (80.0, "Nhóm II"),
        (79.99, "Dưới Nhóm II"),
        (100.0, "Nhóm I"),
        (0.0, "Dưới Nhóm II"),
        (NAN, None),
    ],
)
def test_band_boundaries_on_unrounded_index(pct, band):
    assert L.band_for(pct, BANDS)["band"] == band


def test_band_text_thresholds_and_errors():
    bands = pd.DataFrame({"band_name": ["Tốt", "Khá"], "min_pct": ["90,5", "70"]})
    assert L.band_for(90.5, bands)["band"] == "Tốt"
    assert L.band_for(60.0, bands)["band"] is None  # below every band
    with pytest.raises(StructuralError):
        L.band_for(50.0, pd.DataFrame({"band_name": ["X"], "min_pct": ["cao"]}))


def test_field_table_by_hand(loss):
    ft = L.field_table(loss).set_index("code")
    # lost: field 1 = 1.25, field 2 = 0.6 + 0.5 = 1.1, field 3 = 2.0; total 4.35
    assert ft["points_lost"].tolist() == pytest.approx([1.25, 1.1, 2.0])
    assert ft["loss_rank"].tolist() == [2, 3, 1]
    assert ft.loc["3", "share_of_loss_pct"] == pytest.approx(2.0 / 4.35 * 100)
    assert ft.loc["2", "pct_of_max"] == pytest.approx(4.9 / 6 * 100)
    assert ft["appraisal_gap_points"].tolist() == pytest.approx([0.75, 0.5, 0.0])


# ------------------------------------------------------------------ breakdowns
def test_loss_by_stage_reconciles(loss):
    st = L.loss_by_stage(loss).set_index("stage")["points_lost"]
    # not claimed 0.5; cut 0.5 + 0.5 + 0.5 = 1.5; regained 0.25; measured 0.6 + 2 = 2.6
    assert st.to_dict() == pytest.approx(
        {"not_claimed": 0.5, "cut_round1": 1.5, "regained": -0.25, "survey": 2.6}
    )
    assert st.sum() == pytest.approx(4.35, abs=1e-9)
    assert L.loss_by_stage(loss)["share_pct"].sum() == pytest.approx(100.0)


def test_loss_by_office(loss):
    off = L.loss_by_office(loss)
    # VP 0.25 + 0 + 2 = 2.25; QLXD 0.6 + 0.5 = 1.1; KHTC 1.0
    assert off["owner_office"].tolist() == [
        "Văn phòng Sở",
        "Phòng Quản lý hoạt động xây dựng",
        "Phòng Kế hoạch - Tài chính",
    ]
    assert off["points_lost"].tolist() == pytest.approx([2.25, 1.1, 1.0])
    assert off["points_lost"].sum() == pytest.approx(4.35, abs=1e-9)
    assert off.loc[0, "partner_offices"] == "Thanh tra Sở"
    assert (off.loc[0, "n_leaves"], off.loc[0, "n_leaves_lost"]) == (3, 2)


def test_unassigned_owner_is_labelled():
    n = make_nodes().assign(owner_office=lambda d: d["owner_office"].where(d["code"] != "3.1", ""))
    off = L.loss_by_office(A.loss_by_node(make_scores(), n))
    assert row(off.rename(columns={"owner_office": "code"}), A.UNASSIGNED_OFFICE).points_lost == 2.0


def test_loss_by_method(loss):
    m = L.loss_by_method(loss).set_index("method")["points_lost"]
    # appraisal 0.25 + 1 + 0 = 1.25; survey 2; 766 0.6; statistics 0.5
    assert m.to_dict() == pytest.approx({"appraisal": 1.25, "survey": 2.0, "766": 0.6, "statistics": 0.5})
    assert list(m.index) == ["appraisal", "survey", "766", "statistics"]


def test_pareto_by_hand(loss):
    p = L.pareto(loss)
    assert p["code"].tolist() == ["3.1", "1.1.2", "2.1", "2.2", "1.1.1"]
    # cumulative 2, 3, 3.6 of 4.35 → 46.0 %, 69.0 %, 82.8 %: 3 leaves reach 80 %
    assert p["cum_share_pct"].iloc[2] == pytest.approx(3.6 / 4.35 * 100)
    assert p.attrs["n_for_80pct"] == 3 == L.n_for_share(p)
    assert p["is_core"].tolist() == [True, True, True, False, False]


def test_pareto_exact_80_boundary_and_negative_loss():
    # losses 4 and 1 (of 5) → 4/5 = exactly 80 % → one leaf suffices; a leaf above max is left out
    nodes = make_nodes(
        [
            ("1", "", "field", "A", 9.0, "", "", "", False, 1),
            ("1.1", "1", "criterion", "a", 5.0, "appraisal", "VP", "", True, 2),
            ("1.2", "1", "criterion", "b", 2.0, "appraisal", "VP", "", True, 2),
            ("1.3", "1", "criterion", "c", 2.0, "appraisal", "VP", "", True, 2),
        ]
    )
    scores = make_scores(
        {"1.1": (5.0, 1.0, 1.0, 0, 0), "1.2": (2.0, 1.0, 1.0, 0, 0), "1.3": (2.0, 2.5, 2.5, 0, 0)}
    )
    loss = A.loss_by_node(scores, nodes)
    p = L.pareto(loss)
    assert p["code"].tolist() == ["1.1", "1.2"] and L.n_for_share(p) == 1
    assert row(loss, "1.3").points_lost == pytest.approx(-0.5)
    assert L.loss_by_stage(loss)["points_lost"].sum() == pytest.approx(4.5)  # 4 + 1 − 0.5


def test_top_losses_and_ties(loss):
    top = L.top_losses(loss)
    assert top["code"].tolist() == ["3.1", "1.1.2", "2.1"]
    # 1.1.2: not claimed 0.5 = net cut 0.5 → tie resolved in favour of "not claimed"
    assert top["stage"].tolist() == ["Điều tra xã hội học", "Tự đánh giá chưa đạt tối đa", "Chỉ số 766"]
    assert top.loc[1, "owner_office"] == "Phòng Kế hoạch - Tài chính"
    values = dict(SCORES, **{"1.1.2": (2.0, 0.0, 0.0, 0.0, 0.0)})  # now 2.0, tied with 3.1
    tied = L.top_losses(A.loss_by_node(make_scores(values), make_nodes()), n=1)
    assert tied["code"].tolist() == ["1.1.2", "3.1"]  # both kept, code order within the tie


def test_no_loss_at_all():
    # every leaf scored at its maximum (self = max except on the survey leaf)
    full = {r[0]: (r[4] if r[5] != "survey" else NAN, NAN, r[4], 0.0, 0.0) for r in NODES}
    loss = A.loss_by_node(make_scores(full), make_nodes())
    assert L.pareto(loss).empty and L.n_for_share(L.pareto(loss)) == 0
    assert L.top_losses(loss).empty
    st = L.loss_by_stage(loss)
    assert st["points_lost"].abs().sum() == 0 and st["share_pct"].isna().all()
    assert L.index_summary(make_scores(full), make_nodes(), BANDS)["band"] == "Nhóm I"
