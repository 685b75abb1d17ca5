"""Planted effects at offices the sample does not have (issue 14), found by the analysis of
freshly generated data: in the top 3 of the leader list, significant, right office, quarter and
mechanism, and in summary.json's causes."""

from __future__ import annotations

import pytest
from planted import analyse, make_data

from parlib.analysis.rootcause.leader import leader_causes

pytestmark = pytest.mark.slow

KTVL = "Phòng Kinh tế và Vật liệu xây dựng"
QHKT = "Phòng Quy hoạch - Kiến trúc"


def _found(rc, measure: str, segment: str) -> dict:
    top = leader_causes(rc.table, 3)
    hit = top.loc[(top["measure"] == measure) & (top["segment"] == segment) & top["is_significant"]]
    assert not hit.empty, top[["rank", "code", "measure", "segment", "is_significant"]].to_string()
    js = [c for c in rc.summary_json() if c["measure"] == measure and c["segment"] == segment]
    assert any(c["significant"] for c in js)
    return hit.iloc[0].to_dict()


def test_small_office_of_about_30_dossiers_a_quarter_is_named(tmp_path):
    # KTVL gets ~30 dossiers a quarter (its procedures' weights cut), then 2,5× in 2026-Q3 at a
    # fixed, small staff: its on-time rate falls while the department barely moves
    plant = '[[dossiers.surges]]\nquarters = ["2026-Q3"]\nprocedures = ["2.005997", "1.004361", "2.007745"]\nfactor = 2.5\n'
    data = make_data(
        tmp_path,
        20261203,
        plant,
        staff={"KTVL": 0.14},
        weights={"2.005997": 0.6, "1.004361": 0.3, "2.007745": 0.3},
    )
    res, rc = analyse(data)
    w = res.office_watch.set_index(["kpi", "scope", "office_name"])
    assert 40 <= w.loc[("on_time_pct", "recent", KTVL), "n_base"] <= 90  # two quarters of ~30
    row = _found(rc, "on_time_pct", KTVL)
    assert row["period"] == "2026-Q3" and row["mix_or_performance"] in ("performance", "both")


def test_surge_at_an_office_whose_sub_criterion_is_worth_few_points(tmp_path):
    # QHKT's planning procedures ×4 in 2026-Q3 at fixed staff; on-time is worth little in points
    plant = (
        '[[dossiers.surges]]\nquarters = ["2026-Q3"]\nprocedures = ["2.002007", "2.008396", "2.006623"]\n'
        "factor = 4.0\n"
    )
    res, rc = analyse(make_data(tmp_path, 20261204, plant, staff={"QHKT": 2.5}))
    row = _found(rc, "on_time_pct", QHKT)
    assert row["period"] == "2026-Q3" and row["mix_or_performance"] in ("performance", "both")
    assert row["points_at_stake"] < 1.0  # ranked high because it is a confirmed deterioration
