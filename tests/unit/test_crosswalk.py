"""Crosswalk validation on a tiny pair of frameworks holding every relation type."""

import pytest

from parlib.core.errors import StructuralError
from parlib.core.paths import PROJECT_ROOT
from parlib.ingest.crosswalk import load_crosswalk
from parlib.ingest.framework import load_framework

ROOT = PROJECT_ROOT
HEADER = "code,parent_code,level,name,max_points,method,kpi,rule,rule_params,owner_office,partner_offices,plan_tasks"

# Base 2025 (total 10): field 1 = 1.1 (2) + 1.2 (1) + 1.3 (3); field 2 = 2.1 + 2.2 + 2.3 + 2.4 (1 each).
BASE = [
    "1,,field,LV1,6,,,,,,,",
    "1.1,1,criterion,A,2,appraisal,,,,,,",
    "1.2,1,criterion,B,1,appraisal,,,,,,",
    "1.3,1,criterion,C,3,appraisal,,,,,,",
    "2,,field,LV2,4,,,,,,,",
    "2.1,2,criterion,D,1,appraisal,,,,,,",
    "2.2,2,criterion,E,1,appraisal,,,,,,",
    "2.3,2,criterion,F,1,appraisal,,,,,,",
    "2.4,2,criterion,G,1,appraisal,,,,,,",
]
# Target 2026 (total 11): 1.2 renamed; 1.3 split into 1.3.1 (2) + 1.3.2 (1); 2.1 + 2.2 merged into 2.1 (2);
# 2.3 re-maximised 1 -> 2; 2.4 dropped; 2.5 new (1). Field 2 = 2 + 2 + 1 = 5.
TARGET = [
    "1,,field,LV1,6,,,,,,,",
    "1.1,1,criterion,A,2,appraisal,,,,,,",
    "1.2,1,criterion,B mới,1,appraisal,,,,,,",
    "1.3,1,criterion,C,3,,,,,,,",
    "1.3.1,1.3,subcriterion,C1,2,appraisal,,,,,,",
    "1.3.2,1.3,subcriterion,C2,1,appraisal,,,,,,",
    "2,,field,LV2,5,,,,,,,",
    "2.1,2,criterion,D+E,2,appraisal,,,,,,",
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


def frameworks(tmp_path):
    paths = []
    for year, rows, total in ((2025, BASE, 10), (2026, TARGET, 11)):
        p = tmp_path / f"framework_{year}.csv"
        p.write_text(
            "\n".join([f"#year: {year}", f"#total_points: {total}", HEADER] + rows) + "\n", encoding="utf-8"
        )
        paths.append(p)
    return load_framework(paths[0]), load_framework(paths[1])


def write_cw(tmp_path, rows):
    p = tmp_path / "crosswalk_2025_2026.csv"
    p.write_text("\n".join(["base_code,target_code,relation,note"] + rows) + "\n", encoding="utf-8")
    return p


def errors(tmp_path, rows):
    base, target = frameworks(tmp_path)
    with pytest.raises(StructuralError) as e:
        load_crosswalk(write_cw(tmp_path, rows), base, target)
    assert "Bảng đối chiếu tiêu chí 2025–2026 không hợp lệ" in e.value.title
    return "\n".join(p.describe() for p in e.value.problems)


def test_valid_crosswalk_every_relation(tmp_path):
    base, target = frameworks(tmp_path)
    cw = load_crosswalk(write_cw(tmp_path, CROSSWALK), base, target)
    assert cw["relation"].tolist() == [
        "same",
        "renamed",
        "split",
        "split",
        "merged",
        "merged",
        "remaximised",
        "dropped",
        "new",
    ]
    assert cw.loc[2, "relation_vi"] == "tách"
    assert cw.loc[6, "base_max"] == 1.0 and cw.loc[6, "target_max"] == 2.0
    assert cw["row"].tolist() == list(range(2, 11))


def test_missing_node_rejected_naming_it(tmp_path):
    text = errors(tmp_path, [r for r in CROSSWALK if not r.startswith("1.2,")])
    assert "thiếu tiêu chí lá «1.2» năm 2025" in text
    assert "thiếu tiêu chí lá «1.2» năm 2026" in text


def test_doubled_node_rejected_naming_it(tmp_path):
    text = errors(tmp_path, CROSSWALK + ["1.1,1.1,same,lặp"])
    assert "mã «1.1» năm 2025 xuất hiện 2 lần (các dòng 2, 11)" in text
    assert "mã «1.1» năm 2026 xuất hiện 2 lần" in text


def test_relation_and_code_consistency(tmp_path):
    rows = [
        "1.1,1.1,remaximised,",  # max unchanged (2 -> 2)
        "1.2,1.2,same,",  # fine (same max; the name change is not checked)
        "1.3,1.3.1,split,",  # a split with only one row...
        "1.3,1.3.2,renamed,",  # ...and the same base also 'renamed'
        "2.1,2.1,merged,",
        "2.2,2.1,merged,",
        "2.3,2.3,same,",  # max changed 1 -> 2 but 'same'
        "2.4,2.5,dropped,",  # dropped with a target code
        "2.9,,dropped,",  # unknown base code
        ",1.3,new,",  # 1.3 is not a leaf in 2026
        "1.1,,kept,",
    ]  # unknown relation
    text = errors(tmp_path, rows)
    assert "«1.1» → «1.1» là «remaximised» nhưng điểm tối đa không đổi" in text
    assert "mã «1.3» năm 2025 vừa «split» vừa có quan hệ khác (renamed)" in text
    assert "«2.3» → «2.3» là «same» nhưng điểm tối đa thay đổi (1 → 2)" in text
    assert "quan hệ «dropped» không được có mã năm 2026 (đang là «2.5»)" in text
    assert "mã «2.9» không có trong bộ tiêu chí năm 2025" in text
    assert "mã «1.3» năm 2026 không phải tiêu chí lá" in text
    assert "quan hệ «kept» không xác định" in text


def test_single_row_split_and_merge(tmp_path):
    rows = [
        "1.1,1.1,same,",
        "1.2,1.2,renamed,",
        "1.3,1.3.1,split,",
        ",1.3.2,new,",
        "2.1,2.1,merged,",
        "2.2,,dropped,",
        "2.3,2.3,remaximised,",
        "2.4,,dropped,",
        ",2.5,new,",
    ]
    text = errors(tmp_path, rows)
    assert "mã «1.3» năm 2025 có quan hệ «split» (tách) nhưng chỉ có 1 dòng" in text
    assert "mã «2.1» năm 2026 có quan hệ «merged» (gộp) nhưng chỉ có 1 dòng" in text


def test_new_needs_no_base_and_same_needs_both(tmp_path):
    rows = [r for r in CROSSWALK if not r.startswith(",2.5")] + ["2.4,2.5,new,"]
    rows = [r for r in rows if r != "1.1,1.1,same,"] + ["1.1,,same,"]
    text = errors(tmp_path, rows)
    assert "quan hệ «new» không được có mã năm 2025 (đang là «2.4»)" in text
    assert "quan hệ «same» cần mã năm 2026" in text
    assert "thiếu tiêu chí lá «1.1» năm 2026" in text


def test_bundled_crosswalk_is_valid():
    raw = ROOT / "data" / "raw"
    base = load_framework(raw / "framework" / "framework_2025.csv")
    target = load_framework(raw / "framework" / "framework_2026.csv")
    cw = load_crosswalk(raw / "crosswalk" / "crosswalk_2025_2026.csv", base, target)
    counts = cw["relation"].value_counts()
    assert counts["renamed"] >= 3 and counts["remaximised"] >= 3
    assert counts["split"] >= 2 and counts["merged"] >= 2 and counts["new"] >= 1 and counts["dropped"] >= 1
