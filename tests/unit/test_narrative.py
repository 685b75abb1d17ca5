"""Tests of parlib.narrative: sentences and display tables from hand-computed numbers."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from parlib.analysis import attribution as A
from parlib.analysis import loss_tables as L
from parlib.report import narrative as N

NAN = np.nan
BANDS = pd.DataFrame({"band_name": ["Nhóm I", "Nhóm II", "Dưới Nhóm II"], "min_pct": [90, 80, 0]})

# code, parent, level, name, max, method, owner, is_leaf, depth
NODES = [
    ("1", "", "field", "Chỉ đạo", 6.0, "", "", False, 1),
    ("1.1", "1", "subcriterion", "KH năm", 2.0, "appraisal", "Văn phòng Sở", True, 2),
    ("1.2", "1", "subcriterion", "KH kiểm tra", 4.0, "appraisal", "Phòng Kế hoạch - Tài chính", True, 2),
    ("2", "", "field", "Thủ tục", 6.0, "", "", False, 1),
    ("2.1", "2", "subcriterion", "Số hóa", 6.0, "appraisal", "Phòng Quản lý hoạt động xây dựng", True, 2),
    ("3", "", "field", "Tác động", 8.0, "", "", False, 1),
    ("3.1", "3", "subcriterion", "Hài lòng", 8.0, "survey", "Văn phòng Sở", True, 2),
]
# leaf: self, appraisal1, final
SCORES = {"1.1": (2.0, 1.5, 1.75), "1.2": (3.5, 3.0, 3.0), "2.1": (6.0, 5.0, 5.5), "3.1": (NAN, NAN, 6.0)}


def tables(scores=SCORES, bonus=0.0, bands=BANDS, n_top=3):
    nodes = pd.DataFrame(
        NODES,
        columns=[
            "code",
            "parent_code",
            "level",
            "name",
            "max_points",
            "method",
            "owner_office",
            "is_leaf",
            "depth",
        ],
    )
    nodes = nodes.assign(field_code=nodes["code"].str[0], partner_offices="", plan_tasks="")
    sc = pd.DataFrame(
        [(c, *v) for c, v in scores.items()],
        columns=["code", "self_points", "appraisal1_points", "final_points"],
    )
    sc = sc.assign(year=2026, unit_name="Sở Xây dựng", bonus_points=0.0, penalty_points=0.0)
    sc.loc[sc["code"] == "1.1", "bonus_points"] = bonus
    loss = A.loss_by_node(sc, nodes)
    return (
        L.index_summary(sc, nodes, bands, loss),
        L.field_table(loss),
        L.top_losses(loss, n_top),
        L.loss_by_stage(loss),
        L.pareto(loss),
    )


def test_full_conclusions_by_hand():
    summary, fields, top, stage, par = tables()
    text = N.annual_conclusions(summary, fields, top, stage, par)
    # final 1.75 + 3 + 5.5 + 6 = 16.25 of 20 → 81.25 % → Nhóm II
    assert text[0] == "Năm 2026, Sở Xây dựng đạt 16,25/20,00 điểm, Chỉ số CCHC 81,25 %, xếp loại Nhóm II."
    # lost 3.75: not claimed 0.5 (1.2); cut 0.5 + 0.5 + 1 = 2; regained 0.25 + 0 + 0.5 = 0.75; survey 2
    # check: 0.5 + 2 − 0.75 + 2 = 3.75
    assert text[1] == (
        "Tổng số điểm bị mất là 3,75 điểm, gồm: 0,50 điểm do tự đánh giá chưa đạt điểm "
        "tối đa; 2,00 điểm bị trừ khi thẩm định lần 1, sau giải trình gỡ lại được 0,75 "
        "điểm; 2,00 điểm ở các nội dung đo lường (điều tra xã hội học, chỉ số 766, số "
        "liệu thống kê)."
    )
    # fields: 1 → 4.75/6 = 79.2 %, 2 → 5.5/6 = 91.7 %, 3 → 6/8 = 75.0 % (lowest, also most lost: 2)
    assert text[2] == "Lĩnh vực có tỷ lệ đạt thấp nhất: lĩnh vực 3 – Tác động (75,0 % điểm tối đa)."
    # top 3: 3.1 (2), 1.2 (1), 2.1 (0.5); 1.1 lost 0.25
    assert text[3].startswith(
        "3 tiêu chí thành phần mất nhiều điểm nhất: 3.1 «Hài lòng» mất "
        "2,00/8,00 điểm (Văn phòng Sở chủ trì; điều tra xã hội học); 1.2"
    )
    assert "Phòng Kế hoạch - Tài chính chủ trì" in text[3] and "cũng mất" not in text[3]
    # Pareto: 2, 3, 3.5, 3.75 → 53.3 %, 80.0 % → 2 of 4 reach 80 %
    assert text[4] == (
        "2 tiêu chí thành phần (trong số 4 tiêu chí thành phần bị mất điểm) chiếm 80,0 % số điểm bị mất."
    )
    # gap = (2 − 1.75) + (3.5 − 3) + (6 − 5.5) = 1.25; field 1: 0.75, field 2: 0.5
    assert text[5] == (
        "Điểm thẩm định thấp hơn điểm tự đánh giá 1,25 điểm, tập trung ở lĩnh vực 1 – "
        "Chỉ đạo (0,75 điểm) và lĩnh vực 2 – Thủ tục (0,50 điểm)."
    )
    assert len(text) == 6


def test_bonus_and_band_boundary_text():
    # bonus 3.75 → 16.25 + 3.75 = 20 of 20 → 100 % → Nhóm I
    summary, *_ = tables(bonus=3.75)
    assert N.sentence_total(summary) == (
        "Năm 2026, Sở Xây dựng đạt 20,00/20,00 điểm (đã tính 3,75 điểm "
        "thưởng), Chỉ số CCHC 100,00 %, xếp loại Nhóm I."
    )
    # index 89.995 (unrounded) is Nhóm II: printed with 3 decimals, never as '90,00 %'
    s = {
        "year": 2026,
        "unit_name": "Sở Xây dựng",
        "total_points": 89.995,
        "max_points": 100.0,
        "index_pct": 89.995,
        "band": "Nhóm II",
        "next_band_min_pct": 90.0,
        "bonus_points": 0.0,
        "penalty_points": 0.0,
    }
    assert "Chỉ số CCHC 89,995 %, xếp loại Nhóm II." in N.sentence_total(s)


def test_no_loss():
    full = {"1.1": (2.0, 2.0, 2.0), "1.2": (4.0, 4.0, 4.0), "2.1": (6.0, NAN, 6.0), "3.1": (NAN, NAN, 8.0)}
    text = N.annual_conclusions(*tables(full))
    assert text[1] == "Không có điểm bị mất: mọi tiêu chí đều đạt điểm tối đa."
    assert text[2] == "Điểm thẩm định cuối cùng bằng điểm tự đánh giá ở mọi nội dung tự chấm."
    assert len(text) == 3  # no field/top/Pareto sentence


def test_single_loss():
    one = {"1.1": (2.0, 2.0, 2.0), "1.2": (4.0, 3.5, 3.5), "2.1": (6.0, NAN, 6.0), "3.1": (NAN, NAN, 8.0)}
    summary, fields, top, stage, par = tables(one)
    assert N.sentence_top(top, par) == (
        "Chỉ có 1 tiêu chí thành phần bị mất điểm: 1.2 «KH kiểm tra» mất "
        "0,50/4,00 điểm (Phòng Kế hoạch - Tài chính chủ trì; bị trừ khi "
        "thẩm định)."
    )
    assert N.sentence_pareto(par) is None


def test_ties_are_all_named():
    # 1.2 and 3.1 both lose 2 → with n_top=1 both are kept; the second is named as tied
    tie = dict(SCORES, **{"1.2": (4.0, 2.0, 2.0)})
    summary, fields, top, stage, par = tables(tie, n_top=1)
    assert N.sentence_top(top, par, n=1) == (
        "1 tiêu chí thành phần mất nhiều điểm nhất: 1.2 «KH kiểm tra» mất 2,00/4,00 điểm (Phòng Kế "
        "hoạch - Tài chính chủ trì; bị trừ khi thẩm định); 1 tiêu chí thành phần khác cũng mất 2,00 "
        "điểm (bằng mức thứ 1): 3.1."
    )


def test_missing_final_sentence():
    miss = dict(SCORES, **{"2.1": (6.0, 5.0, NAN)})
    text = N.annual_conclusions(*tables(miss))
    assert text[0] == (
        "Năm 2026, chưa tính được tổng điểm và Chỉ số CCHC của Sở Xây dựng vì thiếu điểm "
        "thẩm định cuối cùng của 1 nội dung (2.1); các số liệu dưới đây chưa gồm các nội "
        "dung này."
    )
    assert not any("–" in t.replace(" – ", "") for t in text)  # no en-dash placeholder for a number


def test_vietnamese_tables():
    summary, fields, top, stage, par = tables()
    ft = N.to_vietnamese_table(fields, "field")
    assert list(ft.columns[:6]) == ["Mã", "Lĩnh vực", "Điểm tối đa", "Điểm đạt", "Tỷ lệ đạt", "Điểm bị mất"]
    assert ft.loc[0, "Điểm đạt"] == "4,75" and ft.loc[0, "Tỷ lệ đạt"] == "79,2 %"  # 4.75 / 6
    st = N.to_vietnamese_table(stage, "stage")
    assert st["Điểm bị mất"].tolist() == ["0,50", "2,00", "-0,75", "2,00"]
    pt = N.to_vietnamese_table(par, "pareto")
    assert pt.loc[1, "Lũy kế tỷ trọng"] == "80,0 %" and pt.loc[0, "Thứ tự"] == "1"
    assert N.to_vietnamese_table(top, "top").columns[-1] == "Giai đoạn mất điểm chính"
    nan_row = fields.assign(final_points=NAN)
    assert N.to_vietnamese_table(nan_row, "field").loc[0, "Điểm đạt"] == "–"
    with pytest.raises(ValueError, match="không hợp lệ"):
        N.to_vietnamese_table(fields, "xyz")
    with pytest.raises(ValueError, match="owner_office"):
        N.to_vietnamese_table(fields, "office")
