"""Planted effects the sample does not have (issue 14), continued: a survey factor on one
channel, two effects at one office in one quarter, an apology fall from mid-quarter."""

from __future__ import annotations

import pytest
from planted import analyse, make_data
from test_planted_offices import _found

pytestmark = pytest.mark.slow

NBDS = "Phòng Quản lý nhà và Thị trường bất động sản"
QLXD = "Phòng Quản lý hoạt động xây dựng"


def test_fall_of_one_survey_factor_on_one_channel(tmp_path):
    # "Thủ tục hành chính" (TT) falls for online respondents only, in 2026-Q3
    plant = '[[survey.shifts]]\nquarters = ["2026-Q3"]\nfactor_code = "TT"\nchannel = "Trực tuyến"\ndelta = -0.7\n'
    _, rc = analyse(make_data(tmp_path, 20261205, plant))
    row = _found(rc, "TT", "Trực tuyến")
    assert row["period"] == "2026-Q3" and row["points_explained"] > 0


def test_two_effects_at_one_office_in_one_quarter(tmp_path):
    # NBDS: its procedures ×3 at fixed staff and apology letters for a third of late dossiers
    plant = (
        '[[dossiers.surges]]\nquarters = ["2026-Q3"]\nprocedures = ["2.007801", "1.007998", "1.002099"]\n'
        "factor = 3.0\n\n"
        '[[dossiers.apology.overrides]]\noffice = "NBDS"\nyears = [2026]\ncoverage = 0.3\nfrom = "2026-07-01"\n'
    )
    _, rc = analyse(make_data(tmp_path, 20261206, plant, staff={"NBDS": 5}))
    on_time = _found(rc, "on_time_pct", NBDS)
    apology = _found(rc, "apology_pct", NBDS)
    assert on_time["period"] == "2026-Q3" and apology["period"] in ("2026-Q3", "2026-YTD")


def test_apology_fall_from_the_middle_of_a_quarter(tmp_path):
    # QLXD sends apology letters for only 10 % of late dossiers due from 15/08/2026
    plant = '[[dossiers.apology.overrides]]\noffice = "QLXD"\nyears = [2026]\ncoverage = 0.1\nfrom = "2026-08-15"\n'
    _, rc = analyse(make_data(tmp_path, 20261207, plant))
    row = _found(rc, "apology_pct", QLXD)
    assert row["period"] in ("2026-Q3", "2026-YTD") and row["mix_or_performance"] in ("performance", "both")
