"""Cause categories of appraisal reasons, expectations worked out by hand from the rules."""

import unicodedata

import numpy as np
import pandas as pd
import pytest

from parlib.analysis.causes import classify_reasons, rank_causes
from parlib.core.errors import StructuralError
from parlib.core.paths import DEFAULT_DATA_DIR
from parlib.ingest.rules import load_cause_keywords
from parlib.model.cause_rules import (
    NO_REASON,
    NO_REASON_NAME,
    UNCLASSIFIED,
    UNCLASSIFIED_NAME,
    cause_keyword_table,
)

SMALL = """category,category_name,keyword,note
missing_evidence,Thiếu tài liệu kiểm chứng,thiếu tài liệu kiểm chứng,
missing_evidence,Thiếu tài liệu kiểm chứng,không có tài liệu kiểm chứng,
late,Chậm tiến độ / trễ hạn,trễ hạn,
late,Chậm tiến độ / trễ hạn,chậm,
target_not_met,Chưa đạt chỉ tiêu,tỷ lệ ... chưa đạt,
target_not_met,Chưa đạt chỉ tiêu,chưa đạt,
fee,Phí,phí,
"""


@pytest.fixture
def small(tmp_path):
    p = tmp_path / "cause_keywords.csv"
    p.write_text("\ufeff" + SMALL, encoding="utf-8")  # Excel's BOM must not matter
    return load_cause_keywords(p)


@pytest.fixture(scope="module")
def real():
    return load_cause_keywords(DEFAULT_DATA_DIR / "raw" / "config" / "cause_keywords.csv")


def test_real_table_has_the_required_categories(real):
    cats = set(real["category"])
    assert {"missing_evidence", "late", "target_not_met", "not_done", "non_compliant", "survey"} <= cats
    # one Vietnamese name per category, keywords case-folded
    assert real.groupby("category")["category_name"].nunique().max() == 1
    assert (real["keyword"] == real["keyword"].str.casefold()).all()


def test_single_category_returns_the_keyword_that_decided(small):
    out = classify_reasons(pd.Series(["Không có tài liệu kiểm chứng kèm theo"]), small)
    r = out.iloc[0]
    assert (r["category"], r["category_name"], r["matched_keyword"]) == (
        "missing_evidence",
        "Thiếu tài liệu kiểm chứng",
        "không có tài liệu kiểm chứng",
    )
    assert r["all_categories"] == "missing_evidence" and r["n_categories"] == 1 and r["is_classified"]


def test_several_categories_primary_by_table_order(small):
    # matches late ('trễ hạn') and missing_evidence; missing_evidence comes first in the table
    out = classify_reasons(pd.Series(["Báo cáo trễ hạn, thiếu tài liệu kiểm chứng"]), small).iloc[0]
    assert out["category"] == "missing_evidence"
    assert out["matched_keyword"] == "thiếu tài liệu kiểm chứng"
    assert out["all_categories"] == "missing_evidence; late"
    assert out["all_keywords"] == "thiếu tài liệu kiểm chứng; trễ hạn"
    assert out["n_categories"] == 2


def test_table_order_is_the_analysts_priority():
    df = pd.DataFrame(
        {
            "category": ["late", "missing_evidence"],
            "category_name": ["Chậm", "Thiếu TLKC"],
            "keyword": ["trễ hạn", "thiếu tài liệu kiểm chứng"],
        }
    )
    out = classify_reasons(pd.Series(["Báo cáo trễ hạn, thiếu tài liệu kiểm chứng"]), df).iloc[0]
    assert out["category"] == "late" and out["all_categories"] == "late; missing_evidence"


def test_whole_words_case_and_diacritics(small):
    reasons = pd.Series(
        [
            "Phía đơn vị chưa gửi",  # 'phía' is not the keyword 'phí'
            "Thu PHÍ sai",  # case-insensitive: 'phí'
            "Bao cao tre han",  # no diacritics: nothing matches
            "Xử lý chậmtrễ",  # 'chậm' glued to another word: no whole-word match
            "Xử lý CHẬM",  # whole word, upper case
            unicodedata.normalize("NFD", "Báo cáo trễ hạn"),  # NFD input still matches
        ],
        index=[10, 11, 12, 13, 14, 15],
    )
    out = classify_reasons(reasons, small)
    assert list(out.index) == [10, 11, 12, 13, 14, 15]
    assert out["category"].tolist() == [UNCLASSIFIED, "fee", UNCLASSIFIED, UNCLASSIFIED, "late", "late"]
    assert out.loc[10, "category_name"] == UNCLASSIFIED_NAME
    assert out.loc[15, "reason"] == unicodedata.normalize("NFC", "Báo cáo trễ hạn")
    assert out.loc[14, "matched_keyword"] == "chậm"


def test_empty_reasons(small):
    out = classify_reasons(pd.Series([None, "", "   ", np.nan]), small)
    assert (out["category"] == NO_REASON).all()
    assert (out["category_name"] == NO_REASON_NAME).all()
    assert (out["reason"] == "").all() and not out["is_classified"].any()


def test_gap_keyword_stays_within_a_sentence(small):
    out = classify_reasons(
        pd.Series(
            [
                "Tỷ lệ hồ sơ giải quyết đúng hạn chưa đạt 98%",
                "Tỷ lệ đúng hạn 99%. Kế hoạch chưa đạt yêu cầu",
            ]
        ),
        small,
    )
    assert out.iloc[0]["matched_keyword"] == "tỷ lệ ... chưa đạt"
    # the '.' ends the sentence: only the plain keyword matches
    assert out.iloc[1]["matched_keyword"] == "chưa đạt"
    assert out.iloc[1]["all_keywords"] == "chưa đạt"


def test_real_table_on_typical_reasons(real):
    reasons = pd.Series(
        [
            "Chưa cung cấp minh chứng",
            "Ban hành kế hoạch chậm so với yêu cầu",
            "Không thực hiện kiểm tra CCHC",
            "Báo cáo không đúng mẫu",
            "Kết quả điều tra xã hội học thấp",
            "Lý do khác",
        ]
    )
    # 'thấp' alone is no keyword of target_not_met ('thấp hơn' is), so the survey reason is survey
    assert classify_reasons(reasons, real)["category"].tolist() == [
        "missing_evidence",
        "late",
        "not_done",
        "non_compliant",
        "survey",
        UNCLASSIFIED,
    ]
    # with 'thấp hơn' it matches both; target_not_met comes first in the table
    both = classify_reasons(pd.Series(["Kết quả điều tra xã hội học thấp hơn năm trước"]), real).iloc[0]
    assert both["category"] == "target_not_met"
    assert both["all_categories"] == "target_not_met; survey"


def test_table_errors_are_all_listed(tmp_path):
    p = tmp_path / "bad.csv"
    p.write_text(
        "category,category_name,keyword\n"
        "late,Chậm,chậm\n"
        "late,Trễ,trễ\n"  # second name for 'late'
        "unclassified,X,abc\n"  # reserved id
        "missing,,thiếu\n"  # blank name (row 5)
        "Late Cat,Y,z\n"  # invalid id
        "late,Chậm,CHẬM\n",  # duplicate keyword after case-folding (row 7)
        encoding="utf-8",
    )
    with pytest.raises(StructuralError) as e:
        load_cause_keywords(p)
    msg = str(e.value)
    assert "nhiều tên khác nhau" in msg and "dành riêng" in msg and "dòng 5" in msg
    assert "không hợp lệ" in msg and "bị lặp lại" in msg and "dòng 7" in msg
    assert len(e.value.problems) == 5


def test_missing_column(tmp_path):
    p = tmp_path / "bad.csv"
    p.write_text("category,keyword\nlate,chậm\n", encoding="utf-8")
    with pytest.raises(StructuralError, match="category_name"):
        load_cause_keywords(p)


def test_frame_input_is_not_mutated():
    df = pd.DataFrame({"category": ["late"], "category_name": ["Chậm"], "keyword": ["CHẬM"]})
    before = df.copy()
    table = cause_keyword_table(df)
    pd.testing.assert_frame_equal(df, before)
    assert table["keyword"].tolist() == ["chậm"]


def test_rank_causes_by_points(small):
    items = pd.DataFrame(
        {
            "code": ["1.1", "1.2", "2.1", "3.1", "3.2"],
            "reason": [
                "Thiếu tài liệu kiểm chứng",
                "Báo cáo trễ hạn",
                "Không có tài liệu kiểm chứng",
                "Khác",
                None,
            ],
            "points_lost": [0.5, 1.0, 0.25, 0.25, np.nan],
        }
    )
    r = rank_causes(items, small)
    # late 1.0 (50 % of 2.0), missing_evidence 0.5 + 0.25 = 0.75 (37.5 %), unclassified 0.25 (12.5 %),
    # no_reason 0 (NaN points count as 0)
    assert r["category"].tolist() == ["late", "missing_evidence", UNCLASSIFIED, NO_REASON]
    assert r["points_lost"].tolist() == pytest.approx([1.0, 0.75, 0.25, 0.0])
    assert r["share_pct"].tolist() == pytest.approx([50.0, 37.5, 12.5, 0.0])
    assert r["n_items"].tolist() == [1, 2, 1, 1]
    assert r.loc[1, "codes"] == "1.1, 2.1"
    assert r["rank"].tolist() == [1, 2, 3, 4]
