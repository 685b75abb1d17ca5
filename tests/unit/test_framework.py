"""Framework reading, validation and roll-up, on tiny hand-built CSV files."""

import unicodedata

import numpy as np
import pandas as pd
import pytest

from parlib.core.errors import ConfigError, StructuralError
from parlib.core.paths import PROJECT_ROOT
from parlib.ingest.framework import find_framework, load_framework, load_offices
from parlib.model.framework import children, leaves, rollup, rule_points, validate_framework

ROOT = PROJECT_ROOT
RAW = ROOT / "data" / "raw"
HEADER = "code,parent_code,level,name,max_points,method,kpi,rule,rule_params,owner_office,partner_offices,plan_tasks"
# A valid tiny framework, total 10: field 1 (6) = 1.1 (leaf criterion, 2) + 1.2 (4 = 1.2.1 1.5 + 1.2.2 2.5);
# field 2 (4) = 2.1 (4 = 2.1.1 4).
GOOD_ROWS = [
    "1,,field,Chỉ đạo điều hành,6,,,,,Văn phòng Sở,,",
    "1.1,1,criterion,Kế hoạch,2,appraisal,,,,Văn phòng Sở,,1",
    "1.2,1,criterion,Báo cáo,4,,,,,Văn phòng Sở,,",
    "1.2.1,1.2,subcriterion,Đúng hạn,1.5,766,on_time_pct,linear,98,Văn phòng Sở,Thanh tra Sở,10",
    "1.2.2,1.2,subcriterion,Xin lỗi,2.5,statistics,apology_pct,binary,100,Văn phòng Sở,,11",
    "2,,field,Thể chế,4,,,,,Thanh tra Sở,,",
    "2.1,2,criterion,Rà soát,4,,,,,Thanh tra Sở,,",
    "2.1.1,2.1,subcriterion,Rà soát VBQPPL,4,appraisal,,,,Thanh tra Sở,,18",
]
OFFICES = ["Văn phòng Sở", "Thanh tra Sở"]


def write_fw(tmp_path, rows, meta=("#year: 2025", "#total_points: 10"), name="framework_2025.csv"):
    p = tmp_path / name
    p.write_text("\n".join(list(meta) + [HEADER] + list(rows)) + "\n", encoding="utf-8")
    return p


def problems_of(tmp_path, rows, meta=("#year: 2025", "#total_points: 10"), offices=None):
    with pytest.raises(StructuralError) as e:
        load_framework(write_fw(tmp_path, rows, meta), offices=offices)
    assert e.value.title.startswith("Bộ tiêu chí không hợp lệ")
    return e.value.problems


def test_good_framework_loads(tmp_path):
    fw = load_framework(write_fw(tmp_path, GOOD_ROWS), offices=OFFICES)
    n = fw.nodes
    assert fw.year == 2025 and fw.total_points == 10 and not fw.is_illustrative
    assert n["code"].tolist() == ["1", "1.1", "1.2", "1.2.1", "1.2.2", "2", "2.1", "2.1.1"]
    # leaves: 1.1 (a leaf criterion), 1.2.1, 1.2.2, 2.1.1
    assert leaves(fw)["code"].tolist() == ["1.1", "1.2.1", "1.2.2", "2.1.1"]
    assert n.set_index("code").loc["1.1", "depth"] == 2
    assert n.set_index("code").loc["1.2.2", "field_code"] == "1"
    assert n.set_index("code").loc["1.2.1", "row"] == 7  # lines: 2 meta, 1 header, 3 rows, then 1.2.1
    assert children(n, "1.2")["code"].tolist() == ["1.2.1", "1.2.2"]
    assert children(n, "")["code"].tolist() == ["1", "2"]
    assert n["max_points"].dtype == float


def test_metadata_with_trailing_commas_and_decimal_comma(tmp_path):
    rows = [r.replace(",1.5,", ',"1,5",').replace(",2.5,", ',"2,5",') for r in GOOD_ROWS]
    meta = (
        "#title: Bộ tiêu chí, năm 2025,,,,",
        "#year: 2025,,,,,,",
        "#total_points: 10,,,",
        '"#illustrative: true",,,',
    )
    fw = load_framework(write_fw(tmp_path, rows, meta))
    assert fw.meta["title"] == "Bộ tiêu chí, năm 2025"
    assert fw.year == 2025 and fw.total_points == 10.0 and fw.is_illustrative
    assert fw.nodes.set_index("code").loc["1.2.1", "max_points"] == 1.5


def test_nfd_input_is_normalised_and_vietnamese_levels(tmp_path):
    rows = [
        r.replace(",field,", ",Lĩnh vực,")
        .replace(",criterion,", ",tiêu chí,")
        .replace(",subcriterion,", ",Tiêu chí thành phần,")
        for r in GOOD_ROWS
    ]
    p = tmp_path / "framework_2025.csv"
    p.write_text(
        unicodedata.normalize("NFD", "\n".join(["#year: 2025", "#total_points: 10", HEADER] + rows)),
        encoding="utf-8",
    )
    fw = load_framework(p, offices=OFFICES)
    assert fw.nodes["name"].iloc[0] == unicodedata.normalize("NFC", "Chỉ đạo điều hành")
    assert fw.nodes["owner_office"].iloc[0] == "Văn phòng Sở"
    assert fw.nodes["level"].tolist()[:3] == ["field", "criterion", "criterion"]


def test_every_violation_is_named(tmp_path):
    rows = list(GOOD_ROWS)
    rows[1] = rows[1].replace("1.1,1,criterion,Kế hoạch,2", "1.2,1,criterion,Kế hoạch,2")  # duplicate 1.2
    rows.append("3.1,3,criterion,Mồ côi,0,appraisal,,,,,,")  # missing parent 3
    rows.append("2.1.2,2.1,criterion,Sai cấp,0,appraisal,,,,,,")  # level vs parent
    rows.append("2.2,2.1,subcriterion,Sai tiền tố,0,appraisal,,,,,,")  # prefix
    rows.append("2.1.3,2.1,subcriterion,Phương pháp lạ,0,phỏng vấn,,,,,,")  # unknown method
    rows.append("2.1.4,2.1,subcriterion,Quy tắc lạ,0,766,on_time_pct,step,98,,,")  # unknown rule
    rows.append(
        "2.1.5,2.1,subcriterion,Tham số sai,0,766,on_time_pct,bands,90:1|95:0.5,,,"
    )  # bands not descending
    rows.append("2.1.6,2.1,subcriterion,Điểm âm,-1,appraisal,,,,,,")  # negative max
    rows.append("2.1.7,2.1,subcriterion,Thiếu điểm,,appraisal,,,,,,")  # missing max
    rows.append("2.1.8,2.1,subcriterion,Đơn vị lạ,2,appraisal,,,,Phòng Không Tồn Tại,Ban X,")  # offices
    rows.append("2.1.9,2.1,subcriterion,Nhiệm vụ lạ,0,appraisal,,,,,,36;0")  # plan tasks
    rows.append("2.1.10,2.1,subcriterion,KPI lạ,0,766,speed_pct,linear,98,,,")  # unknown kpi
    probs = problems_of(tmp_path, rows, offices=OFFICES)
    text = "\n".join(p.describe() for p in probs)
    assert "mã «1.2» bị trùng" in text
    assert "mã cha «3» không tồn tại" in text
    assert "«2.1.2»: cấp «tiêu chí» không phù hợp" in text
    assert "mã «2.2» không bắt đầu bằng mã cha «2.1»" in text
    assert "phương pháp chấm «phỏng vấn» không xác định" in text
    assert "quy tắc «step» không xác định" in text
    assert "ngưỡng của «bands» phải giảm dần" in text
    assert "«2.1.6»: điểm tối đa âm" in text
    assert "«2.1.7»: thiếu hoặc sai điểm tối đa" in text
    assert "đơn vị chủ trì «Phòng Không Tồn Tại»" in text and "đơn vị phối hợp «Ban X»" in text
    assert "nhiệm vụ «36»" in text and "nhiệm vụ «0»" in text
    assert "chỉ số «speed_pct» không xác định" in text
    # 2.1 children: 4 (2.1.1) - 1 (2.1.6) + 2 (2.1.8), zeros and the blank skipped = 5 ≠ 4; field 2 is still 4, so the fields still sum to 10
    assert "mã «2.1»: tổng điểm tối đa của các mã con (5) khác điểm tối đa (4)" in text
    # every problem carries the file and a CSV line
    assert all(p.file == "framework_2025.csv" for p in probs)
    dup = [p for p in probs if "bị trùng" in p.message]
    assert [p.row for p in dup] == [5, 6]  # line 4 is field 1; line 5 the old 1.1, line 6 the original 1.2


def test_children_and_fields_sums(tmp_path):
    rows = list(GOOD_ROWS)
    rows[3] = rows[3].replace(",1.5,", ",1.25,")  # 1.2 children 1.25 + 2.5 = 3.75 ≠ 4
    probs = problems_of(tmp_path, rows, meta=("#year: 2025", "#total_points: 12"))
    text = "\n".join(p.message for p in probs)
    assert "mã «1.2»: tổng điểm tối đa của các mã con (3,75) khác điểm tối đa (4)" in text
    assert "tổng điểm tối đa của các lĩnh vực (10) khác tổng điểm công bố (12)" in text


def test_missing_total_and_rule_without_kpi(tmp_path):
    rows = list(GOOD_ROWS)
    rows[4] = "1.2.2,1.2,subcriterion,Xin lỗi,2.5,statistics,,binary,100,Văn phòng Sở,,11"
    probs = problems_of(tmp_path, rows, meta=("#year: 2025",))
    text = "\n".join(p.message for p in probs)
    assert "thiếu dòng «#total_points" in text
    assert "có quy tắc «binary» nhưng thiếu chỉ số" in text


def test_validate_framework_tolerance():
    nodes = pd.DataFrame(
        {
            "code": ["1", "1.1", "1.2"],
            "parent_code": ["", "1", "1"],
            "level": ["field", "criterion", "criterion"],
            "name": ["A", "B", "C"],
            "max_points": [0.3, 0.1, 0.2],
            "method": ["", "appraisal", "appraisal"],
        }
    )
    # 0.1 + 0.2 = 0.30000000000000004: within 1e-6 of 0.3
    assert validate_framework(nodes, 0.3) == []
    assert len(validate_framework(nodes, 0.31)) == 1


def test_rule_points():
    assert rule_points(97.0, "linear", "98", 2.0) == pytest.approx(97 / 98 * 2)
    assert rule_points(99.0, "linear", "98", 2.0) == 2.0
    assert rule_points(99.9, "binary", "100", 1.0) == 0.0
    assert rule_points(96.0, "bands", "98:1|95:0.75|90:0.5|0:0", 2.0) == 1.5
    assert np.isnan(rule_points(float("nan"), "linear", "98", 2.0))


def test_rollup_by_hand(tmp_path):
    fw = load_framework(write_fw(tmp_path, GOOD_ROWS))
    vals = pd.DataFrame(
        {"code": ["1.1", "1.2.1", "1.2.2", "2.1.1", "1.2"], "pts": [1.5, 1.25, np.nan, 3.0, 99.0]}
    )  # the parent row 1.2 is ignored
    out = rollup(vals, fw.nodes).set_index("code")["pts"]
    # 1.2 = 1.25 + NaN(skipped) = 1.25; field 1 = 1.5 + 1.25 = 2.75; 2.1 = 2 = 3.0
    assert out["1.2"] == 1.25 and out["1"] == 2.75 and out["2.1"] == 3.0 and out["2"] == 3.0
    assert out["1.1"] == 1.5 and np.isnan(out["1.2.2"])
    with pytest.raises(ValueError):
        rollup(pd.DataFrame({"code": ["9.9"], "pts": [1.0]}), fw.nodes)


def test_find_framework(tmp_path):
    write_fw(tmp_path, GOOD_ROWS)
    assert find_framework(tmp_path, 2025).name == "framework_2025.csv"
    with pytest.raises(ConfigError, match="Không tìm thấy bộ tiêu chí năm 2027.*2025"):
        find_framework(tmp_path, 2027)


@pytest.mark.parametrize("year", [2025, 2026])
def test_bundled_frameworks(year):
    fw = load_framework(
        RAW / "framework" / f"framework_{year}.csv", offices=load_offices(RAW / "config" / "offices.csv")
    )
    n = fw.nodes
    assert fw.is_illustrative and fw.year == year and fw.total_points == 100
    assert "Đắk Lắk" in fw.meta["note"]
    counts = n["level"].value_counts()
    assert counts["field"] == 8
    assert 35 <= counts["criterion"] <= 40
    assert 70 <= counts["subcriterion"] <= 90
    assert n.loc[n["level"] == "field", "max_points"].sum() == pytest.approx(100)
    assert (n["level"].eq("criterion") & n["is_leaf"]).any()
    kpis = set(n["kpi"])
    for k in [
        "on_time_pct",
        "apology_pct",
        "feedback_on_time_pct",
        "online_pct",
        "digitised_pct",
        "satisfaction_pct",
        "index766_points",
        "tasks_on_time_pct",
    ]:
        assert k in kpis
    assert (n["method"] == "survey").any()


def test_bundled_frameworks_differ():
    a = load_framework(RAW / "framework" / "framework_2025.csv").nodes.set_index("code")
    b = load_framework(RAW / "framework" / "framework_2026.csv").nodes.set_index("code")
    common = a.index.intersection(b.index)
    assert (a.loc[common, "name"] != b.loc[common, "name"]).sum() >= 3
    assert (a.loc[common, "max_points"] != b.loc[common, "max_points"]).sum() >= 3
    assert "7.4.3" in b.index and "7.4.3" not in a.index
    # the KPI-driven sub-criteria keep their codes
    for code in ["3.3.2", "3.3.3", "3.4.1", "8.3.1", "7.3.1", "3.3.5"]:
        assert a.loc[code, "kpi"] == b.loc[code, "kpi"] != ""
