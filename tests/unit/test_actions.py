"""Corrective actions: templates filled with Vietnamese numbers, plan deadlines."""

import numpy as np
import pandas as pd
import pytest

from parlib.analysis.actions import (
    fill_template,
    format_value,
    max_count_for_rate,
    plan_deadline,
    propose_actions,
)
from parlib.core.errors import StructuralError
from parlib.core.paths import DEFAULT_DATA_DIR
from parlib.ingest.rules import load_action_rules
from parlib.model.action_rules import action_rule_table, parse_condition

TASKS = pd.DataFrame(
    {
        "task_no": ["7", "8", "10", "13", "4"],
        "task_name": [
            "Rà soát thời gian giải quyết",
            "Chuẩn hóa quy trình nội bộ",
            "Theo dõi tỷ lệ đúng hạn",
            "Khảo sát hài lòng",
            "Khắc phục tồn tại",
        ],
        "lead_office": [
            "Văn phòng Sở",
            "Văn phòng Sở",
            "Văn phòng Sở",
            "Văn phòng Sở",
            "Phòng Kế hoạch - Tài chính",
        ],
        "time_frame": ["Quý III", "Quý IV", "Hàng tháng", "Hàng quý", "Sau kiểm tra"],
        "due_date": ["2026-09-30", "2026-12-31", "", "", ""],
        "recurrence": ["once", "once", "monthly", "quarterly", "once"],
    }
)

RULES = pd.DataFrame(
    {
        "kpi_or_category": ["on_time_pct", "on_time_pct", "missing_evidence", "*"],
        "condition": ["late_now > late_target", "always", "", "always"],
        "action_template": [
            "{office}: giảm số hồ sơ trễ hạn thuộc nhóm {segment} từ {late_now} xuống tối đa {late_target} "
            "hồ sơ/quý để lấy lại khoảng {points} điểm",
            "{office}: giữ tỷ lệ đúng hạn ({value_pct}); hạn {deadline}",
            "{office}: bổ sung tài liệu kiểm chứng tiêu chí {code}; hạn {deadline}",
            "{office}: rà soát tiêu chí {code}",
        ],
        "plan_tasks": ["7;8;10", "10", "", "4"],
        "note": ["", "", "", ""],
    }
)


def test_the_example_sentence():
    # 600 dossiers a quarter at a 98 % target allow floor(600 × 0.02) = 12 late dossiers
    causes = pd.DataFrame(
        [
            {
                "kpi_or_category": "on_time_pct",
                "office": "Phòng X",
                "segment": "Cấp giấy phép xây dựng",
                "late_now": 41,
                "late_target": max_count_for_rate(600, 98),
                "points": 0.75,
            }
        ]
    )
    out = propose_actions(causes, RULES, TASKS).iloc[0]
    assert out["action_text"] == (
        "Phòng X: giảm số hồ sơ trễ hạn thuộc nhóm Cấp giấy phép xây dựng từ 41 "
        "xuống tối đa 12 hồ sơ/quý để lấy lại khoảng 0,75 điểm"
    )
    assert out["action_status"] == "ok" and out["rule_row"] == 0
    # tasks 7 (30/09/2026), 8 (31/12/2026), 10 (monthly): the earliest date is the deadline
    assert out["deadline_date"] == pd.Timestamp("2026-09-30")
    assert out["deadline_text"] == "30/09/2026"
    assert out["deadline_detail"] == (
        "30/09/2026 (nhiệm vụ số 7); 31/12/2026 (nhiệm vụ số 8); hằng tháng (nhiệm vụ số 10)"
    )
    assert out["action_tasks"] == "7; 8; 10" and out["task_lead_office"] == "Văn phòng Sở"


def test_condition_falls_through_to_next_rule_and_recurring_deadline():
    causes = pd.DataFrame(
        [
            {
                "kpi_or_category": "on_time_pct",
                "office": "Phòng Y",
                "late_now": 5,
                "late_target": 12,
                "value_pct": 98.25,
            }
        ]
    )
    out = propose_actions(causes, RULES, TASKS).iloc[0]
    # 5 > 12 is false -> second rule; task 10 has no date: 'hằng tháng'; 98.25 -> '98,3 %'
    assert out["action_text"] == "Phòng Y: giữ tỷ lệ đúng hạn (98,3 %); hạn hằng tháng"
    assert out["rule_row"] == 1 and pd.isna(out["deadline_date"])


def test_missing_values_are_said_not_left_as_placeholders():
    causes = pd.DataFrame(
        [
            {
                "kpi_or_category": "on_time_pct",
                "office": "Phòng Y",
                "late_now": 5,
                "late_target": 12,
                "value_pct": np.nan,
            }
        ]
    )
    out = propose_actions(causes, RULES, TASKS).iloc[0]
    # the parenthesis that held the missing value goes with it: the sentence stays a sentence
    assert out["action_text"] == "Phòng Y: giữ tỷ lệ đúng hạn; hạn hằng tháng"
    assert out["action_status"] == "missing_values" and out["missing_placeholders"] == "value_pct"
    assert "value_pct" in out["action_note"]


@pytest.mark.parametrize(
    ("template", "missing", "expected"),
    [
        # a clause after a comma
        (
            "{office}: gửi phiếu xin lỗi; còn {n} hồ sơ, khắc phục để lấy lại khoảng {points} điểm; thời hạn: {d}.",
            {"points"},
            "{office}: gửi phiếu xin lỗi; còn {n} hồ sơ; thời hạn: {d}.",
        ),
        # a purpose part in a first clause
        (
            "{office}: giảm từ {a} xuống {b} hồ sơ/quý để lấy lại khoảng {points} điểm; thời hạn: {d}.",
            {"points"},
            "{office}: giảm từ {a} xuống {b} hồ sơ/quý; thời hạn: {d}.",
        ),
        # a whole parenthesis, even when the missing value is its first part
        ("làm đủ (năm trước bị trừ {points} điểm vì chậm); hạn {d}.", {"points"}, "làm đủ; hạn {d}."),
        (
            "theo dõi (hiện đạt {value_pct}, chỉ tiêu {target_pct}); hạn {d}.",
            {"value_pct"},
            "theo dõi; hạn {d}.",
        ),
        # nothing to drop without breaking the sentence: the placeholder stays (written «chưa có số liệu»)
        ("{office}: làm {x}; thời hạn: {d}.", {"office", "d"}, "{office}: làm {x}; thời hạn: {d}."),
    ],
)
def test_clauses_of_missing_values_are_dropped(template, missing, expected):
    from parlib.analysis.actions import drop_missing_clauses

    assert drop_missing_clauses(template, missing) == expected


def test_row_plan_tasks_fallback_fallback_rule_and_no_rule():
    causes = pd.DataFrame(
        [
            {"category": "missing_evidence", "office": "Văn phòng Sở", "code": "1.2", "plan_tasks": "13; 99"},
            {"category": "zzz", "office": "Phòng A", "code": "9.1"},
        ]
    )
    out = propose_actions(causes, RULES, TASKS)
    # rule without tasks -> the row's tasks 13 (quarterly) and 99 (unknown, reported)
    assert out.loc[0, "action_text"] == "Văn phòng Sở: bổ sung tài liệu kiểm chứng tiêu chí 1.2; hạn hằng quý"
    assert "Nhiệm vụ số 99 không có" in out.loc[0, "action_note"]
    # unknown key -> '*' rule; its task 4 has neither date nor recurring text: the time frame
    assert out.loc[1, "action_text"] == "Phòng A: rà soát tiêu chí 9.1"
    assert out.loc[1, "deadline_text"] == "sau kiểm tra"
    no_fallback = RULES[RULES["kpi_or_category"] != "*"]
    r = propose_actions(causes.iloc[[1]], no_fallback, TASKS).iloc[0]
    assert r["action_status"] == "no_rule" and r["action_text"] == "" and "zzz" in r["action_note"]


def test_inputs_not_mutated_and_index_kept():
    causes = pd.DataFrame(
        [{"kpi_or_category": "on_time_pct", "office": "X", "late_now": 1, "late_target": 0, "points": 0.5}],
        index=[7],
    )
    before = causes.copy()
    out = propose_actions(causes, RULES, TASKS)
    pd.testing.assert_frame_equal(causes, before)
    assert list(out.index) == [7] and out.loc[7, "office"] == "X"


def test_fill_template_never_crashes():
    assert fill_template("{a} và {b}", {"a": 1}) == ("1 và chưa có số liệu", ["b"], True)
    assert fill_template("khoảng {points:.2f} điểm", {"points": 0.75}) == ("khoảng 0,75 điểm", [], True)
    assert fill_template("{office", {"office": "X"}) == ("{office", [], False)
    assert fill_template("{0} {}", {}) == ("{0} {}", [], False)
    assert fill_template("{a.b}", {"a": 1}) == ("{a.b}", [], False)


def test_unknown_or_malformed_placeholder_is_an_error_when_loaded(tmp_path):
    p = tmp_path / "action_rules.csv"
    p.write_text(
        "kpi_or_category,condition,action_template,plan_tasks,note\n"
        "on_time_pct,always,{office}: đạt {value_pct},8,\n"
        "apology_pct,always,{office}: gửi {so_phieu} phiếu,11,\n"
        "*,always,{office: rà soát,,\n",
        encoding="utf-8",
    )
    with pytest.raises(StructuralError) as e:
        load_action_rules(p)
    probs = e.value.problems
    assert [(x.row, x.column) for x in probs] == [(3, "action_template"), (4, "action_template")]
    assert "{so_phieu}" in probs[0].message and "ngoặc" in probs[1].message


def test_format_value_rules():
    assert format_value("late_now", 15234) == "15.234"
    assert format_value("late_now", 41.0) == "41"
    assert format_value("points", 0.75) == "0,75"
    assert format_value("points_lost", 1) == "1,00"
    assert format_value("value_pct", 98.25) == "98,3 %"
    assert format_value("ratio", 1.5) == "1,50"
    assert format_value("due", pd.Timestamp("2026-09-30")) == "30/09/2026"
    assert (
        format_value("x", None) is None
        and format_value("x", np.nan) is None
        and format_value("x", pd.NA) is None
    )
    assert format_value("is_ok", True) == "có"


def test_max_count_for_rate():
    assert max_count_for_rate(600, 98) == 12  # 600 × 0.02 = 12
    assert max_count_for_rate(1000, 98.5) == 15  # 1000 × 0.015 = 15
    assert max_count_for_rate(99, 98) == 1  # 99 × 0.02 = 1.98 -> 1
    assert max_count_for_rate(50, 100) == 0


def test_parse_condition():
    assert parse_condition("always") == [] and parse_condition(None) == []
    assert parse_condition("late_now > late_target và points >= 0,5") == [
        ("late_now", ">", ("column", "late_target")),
        ("points", ">=", ("number", 0.5)),
    ]
    assert parse_condition("office = 'Phòng X'") == [("office", "==", ("text", "Phòng X"))]
    with pytest.raises(ValueError):
        parse_condition("late_now lớn hơn 3")


def test_plan_deadline_from_time_frame_without_recurrence_and_overdue():
    tasks = TASKS.drop(columns="recurrence").assign(
        time_frame=["Quý III", "Quý IV", "Thường xuyên", "Hàng quý", "x"]
    )
    d = plan_deadline([10], tasks)
    assert d["deadline_text"] == "thường xuyên" and pd.isna(d["deadline_date"])
    d = plan_deadline([8, 7], tasks, as_of="2026-10-15")
    assert d["deadline_text"] == "30/09/2026 (đã quá hạn theo Kế hoạch)" and d["tasks"] == "nhiệm vụ số 8, 7"


def test_real_rule_table_loads_and_every_template_is_well_formed():
    rules = load_action_rules(DEFAULT_DATA_DIR / "raw" / "config" / "action_rules.csv")
    assert "*" in set(rules["kpi_or_category"])
    assert {"on_time_pct", "missing_evidence", "late", "unclassified", "no_reason"} <= set(
        rules["kpi_or_category"]
    )
    for tpl in rules["action_template"]:
        _, _, ok = fill_template(tpl, {})
        assert ok, tpl
    tasks = pd.read_csv(DEFAULT_DATA_DIR / "raw" / "tasks" / "nhiem_vu_2026.csv", dtype=str)
    causes = pd.DataFrame(
        [
            {
                "kpi_or_category": "on_time_pct",
                "office": "Phòng X",
                "segment": "Cấp giấy phép xây dựng",
                "late_now": 41,
                "late_target": 12,
                "points": 0.75,
            }
        ]
    )
    out = propose_actions(causes, rules, tasks).iloc[0]
    assert out["action_text"].startswith(
        "Phòng X: giảm số hồ sơ trễ hạn thuộc nhóm Cấp giấy phép xây dựng từ 41 "
        "xuống tối đa 12 hồ sơ/quý để lấy lại khoảng 0,75 điểm"
    )
    assert out["action_status"] == "ok"


def test_rule_table_errors_are_all_listed(tmp_path):
    p = tmp_path / "rules.csv"
    p.write_text(
        "kpi_or_category,condition,action_template,plan_tasks,note\n"
        "on_time_pct,late_now lớn 3,Giảm trễ hạn,7,\n"  # row 2: bad condition
        "late,always,,2,\n"  # row 3: blank template
        "late,always,Gửi đúng hạn,hai,\n",  # row 4: bad task list
        encoding="utf-8",
    )
    with pytest.raises(StructuralError) as e:
        load_action_rules(p)
    assert len(e.value.problems) == 3
    msg = str(e.value)
    assert "dòng 2" in msg and "dòng 3" in msg and "dòng 4" in msg


def test_rule_table_missing_column():
    with pytest.raises(StructuralError, match="action_template"):
        action_rule_table(pd.DataFrame({"kpi_or_category": ["x"]}))
