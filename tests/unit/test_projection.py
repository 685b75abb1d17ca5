"""Hand-worked checks of the points-at-risk projection (score_rule, project_points)."""

import math

import numpy as np
import pandas as pd
import pytest

from parlib.analysis.projection import parse_bands, project_points, score_rule
from parlib.core.errors import ConfigError

BANDS = "100:1|95:0.75|90:0.5|0:0"


def test_binary_edges():
    assert score_rule("binary", "98", 98, 1.0) == 1.0  # exactly at the threshold: full
    assert score_rule("binary", "98", 97.99, 1.0) == 0.0  # just below: nothing
    assert score_rule("binary", 98.0, 100, 0.5) == 0.5  # numeric params accepted
    assert math.isnan(score_rule("binary", "98", float("nan"), 1.0))


def test_linear_by_hand():
    # 49 / 98 = 0.5 -> 0.5 × 3.5 = 1.75
    assert score_rule("linear", "98", 49, 3.5) == 1.75
    assert score_rule("linear", "98", 98, 3.5) == 3.5  # at the threshold: full
    assert score_rule("linear", "98", 100, 3.5) == 3.5  # capped at max
    assert score_rule("linear", "98", 0, 3.5) == 0.0
    # 40 / 80 = 0.5 -> 0.75; decimal comma in params
    assert score_rule("linear", "80,0", 40, 1.5) == 0.75
    assert math.isnan(score_rule("linear", "98", None, 3.5))


def test_bands_by_hand_including_edges():
    assert score_rule("bands", BANDS, 100, 1.5) == 1.5
    # 99.9 >= 95 -> 0.75 × 1.5 = 1.125 -> rounded half up to 1.13
    assert score_rule("bands", BANDS, 99.9, 1.5) == 1.13
    assert score_rule("bands", BANDS, 95, 1.5) == 1.13  # exactly 95 is in the 0.75 band
    assert score_rule("bands", BANDS, 94.99, 1.5) == 0.75  # 0.5 × 1.5
    assert score_rule("bands", BANDS, 90, 1.5) == 0.75
    assert score_rule("bands", BANDS, 89.9, 1.5) == 0.0
    # no 0 band: below every threshold gives 0
    assert score_rule("bands", "98:1|95:0.5", 50, 2) == 0.0
    assert parse_bands(" 98:1 | 95:0,75 ") == [(98.0, 1.0), (95.0, 0.75)]


@pytest.mark.parametrize(
    "rule,params",
    [
        ("bands", "90:0.5|98:1"),
        ("bands", "98-1"),
        ("bands", "98:1.5"),
        ("bands", ""),
        ("linear", "abc"),
        ("linear", "0"),
        ("steps", "98"),
    ],
)
def test_bad_rules_raise(rule, params):
    with pytest.raises(ConfigError):
        score_rule(rule, params, 50, 1.0)


def _nodes():
    return pd.DataFrame(
        {
            "code": ["3.3.10", "3.3.2", "3.3.3", "3.3.5", "3.4.1", "1.1.1"],
            "name": ["Khác", "Đúng hạn", "Xin lỗi", "Số hóa", "PAKN", "Kế hoạch"],
            "max_points": [0.5, 3.5, "1", "1,5", 1.5, 0.5],
            "kpi": ["online_pct", "on_time_pct", "apology_pct", "digitised_pct", "feedback_on_time_pct", ""],
            "rule": ["", "linear", "binary", "linear", "bands", ""],
            "rule_params": ["", "98", "100", "80", BANDS, ""],
            "owner_office": ["Văn phòng Sở"] * 6,
        }
    )


def test_project_points_by_hand():
    values = {"on_time_pct": 49.0, "apology_pct": 90.0, "digitised_pct": 84.0, "online_pct": 30.0}
    targets = {"on_time_pct": 98.0, "apology_pct": 100.0, "digitised_pct": 80.0}
    out = project_points(_nodes(), values, targets).set_index("code")
    # 1.1.1 has no KPI: not a KPI-driven node; codes sorted naturally (3.3.2 before 3.3.10)
    assert list(out.index) == ["3.3.2", "3.3.3", "3.3.5", "3.3.10", "3.4.1"]
    # on time: 49/98 × 3.5 = 1.75; at risk 3.5 − 1.75 = 1.75; at target 98 -> 3.5; recoverable 1.75
    r = out.loc["3.3.2"]
    assert (r.projected_points, r.points_at_risk, r.target_points, r.recoverable_points) == (
        1.75,
        1.75,
        3.5,
        1.75,
    )
    # apology: binary 100, value 90 -> 0; at risk 1; target 100 -> 1; recoverable 1
    r = out.loc["3.3.3"]
    assert (r.projected_points, r.points_at_risk, r.recoverable_points, r.max_points) == (0.0, 1.0, 1.0, 1.0)
    # digitised: 84 ≥ 80 -> full 1.5; nothing at risk or recoverable
    r = out.loc["3.3.5"]
    assert (r.projected_points, r.points_at_risk, r.recoverable_points) == (1.5, 0.0, 0.0)
    # feedback KPI has no value -> NaN, never 0, with a note
    r = out.loc["3.4.1"]
    assert np.isnan(r.projected_points) and np.isnan(r.points_at_risk)
    assert "Chưa có số liệu" in r.note
    # online: KPI value but no rule -> NaN with a note
    assert np.isnan(out.loc["3.3.10", "projected_points"]) and "quy tắc" in out.loc["3.3.10", "note"]
    assert out.loc["3.3.2", "owner_office"] == "Văn phòng Sở"


def test_project_points_without_targets_and_bad_rule():
    out = project_points(_nodes(), {"on_time_pct": 98.0})
    r = out.set_index("code").loc["3.3.2"]
    assert r.projected_points == 3.5 and np.isnan(r.recoverable_points) and "chỉ tiêu" in r.note
    bad = _nodes()
    bad.loc[1, "rule_params"] = "x"
    bad.loc[4, "rule_params"] = "90:0.5|98:1"
    with pytest.raises(ConfigError) as e:
        project_points(bad, {"on_time_pct": 50.0})  # 3.4.1 has no value: still validated
    assert "3.3.2" in str(e.value) and "3.4.1" in str(e.value)  # every bad node named
