"""Key drivers and segment drops on synthetic surveys whose answer is known by construction."""

import numpy as np
import pandas as pd
import pytest

from parlib.analysis.drivers import (
    STATUS_NO_DATA,
    STATUS_OK,
    STATUS_UNSTABLE,
    driver_sentences,
    factor_changes_by_segment,
    key_drivers,
    respondent_scores,
)
from parlib.core.paths import DEFAULT_DATA_DIR
from parlib.ingest.survey import load_survey_items, read_surveys
from parlib.model.survey import SurveyData

ITEMS = pd.DataFrame(
    {
        "item_code": ["TC1.1", "TC1.2", "CC3.1", "CC3.2", "KQ4.1", "KQ4.2"],
        "factor_code": ["TC", "TC", "CC", "CC", "KQ", "KQ"],
        "factor_name": ["Tiếp cận dịch vụ"] * 2
        + ["Công chức trực tiếp giải quyết công việc"] * 2
        + ["Kết quả dịch vụ"] * 2,
        "item_text": ["a", "b", "c", "d", "e", "f"],
        "item_order": range(6),
        "factor_order": [0, 0, 1, 1, 2, 2],
    }
)


def build(frame: pd.DataFrame) -> SurveyData:
    """frame: one row per respondent with year, quarter, channel, overall and one column per item."""
    resp = frame.assign(
        respondent_key=[f"k{i}" for i in range(len(frame))], field_name="Xây dựng", comment=None
    )
    keys = ["respondent_key", "year", "quarter", "channel", "field_name"]
    ans = resp.melt(
        id_vars=keys, value_vars=list(ITEMS["item_code"]), var_name="item_code", value_name="answer"
    )
    ans["factor_code"] = ans["item_code"].map(ITEMS.set_index("item_code")["factor_code"])
    return SurveyData(resp[keys + ["overall", "comment"]], ans)


def driven_by_cc(n: int, seed: int = 1) -> SurveyData:
    """Item answers uniform on 1..5, independent; P(dissatisfied) = logistic(-1 - 1.5 z),
    z = mean of CC3.1, CC3.2 minus 3: only CC drives the overall answer."""
    rng = np.random.default_rng(seed)
    a = pd.DataFrame(rng.integers(1, 6, size=(n, 6)).astype(float), columns=list(ITEMS["item_code"]))
    z = (a["CC3.1"] + a["CC3.2"]) / 2 - 3
    dis = rng.random(n) < 1 / (1 + np.exp(1 + 1.5 * z))
    return build(a.assign(year=2026, quarter=1, channel="Trực tiếp", overall=np.where(dis, 2.0, 5.0)))


def test_known_driver_ranked_first():
    res = key_drivers(driven_by_cc(600), ITEMS)
    assert res.status == STATUS_OK
    t = res.table
    assert t.iloc[0]["code"] == "CC" and t.iloc[0]["rank"] == 1
    assert t.iloc[0]["is_driver"] and t.iloc[0]["odds_ratio"] < 1
    assert t.iloc[0]["or_ci_low"] < t.iloc[0]["odds_ratio"] < t.iloc[0]["or_ci_high"] < 1
    # the two factors unrelated by construction are not called drivers
    assert t.set_index("code").loc[["TC", "KQ"], "is_driver"].tolist() == [False, False]
    assert (t["p_adjusted"] >= t["p_value"]).all()
    assert t["weight_pct"].sum() == pytest.approx(100)
    s = driver_sentences(None, res, year=2026, quarter=1)
    assert s[0].startswith("«Công chức trực tiếp giải quyết công việc» là yếu tố tác động thứ 1")


def test_tiny_sample_gives_clear_status():
    res = key_drivers(driven_by_cc(8), ITEMS)
    assert res.status == STATUS_NO_DATA and "Không đủ dữ liệu" in res.message
    assert res.table.empty and list(res.table.columns)[:3] == ["rank", "level", "code"]
    # nobody dissatisfied at all
    sd = driven_by_cc(100)
    sd.responses["overall"] = 5.0
    assert key_drivers(sd, ITEMS).status == STATUS_NO_DATA
    # a period without data
    assert key_drivers(driven_by_cc(100), ITEMS, year=2030, quarter=1).status == STATUS_NO_DATA
    s = driver_sentences(None, res, year=2026, quarter=1)
    assert s == [f"Phân tích yếu tố tác động: không đủ dữ liệu. {res.message}"]


def test_perfect_separation_does_not_crash():
    sd = driven_by_cc(300)
    cc = respondent_scores(sd, ITEMS).set_index("respondent_key")["CC"]
    # dissatisfied exactly when the CC mean is below 3: complete separation
    sd.responses["overall"] = np.where(cc.loc[sd.responses["respondent_key"]].to_numpy() < 3, 2.0, 5.0)
    assert key_drivers(sd, ITEMS).status == STATUS_UNSTABLE


def make_planted(seed: int = 7) -> SurveyData:
    """Two years, 300 respondents a quarter. Every factor satisfied w.p. 0.85 everywhere, except
    CC at the in-person channel in Q2/2026 (0.55). The online share rises from 30 % (2025) to
    60 % (2026) with no change in any satisfaction: a mix shift, not a drop."""
    rng = np.random.default_rng(seed)
    parts = []
    for year in (2025, 2026):
        for q in (1, 2):
            n = 300
            online = rng.random(n) < (0.3 if year == 2025 else 0.6)
            f = pd.DataFrame(
                {
                    "year": year,
                    "quarter": q,
                    "overall": 5.0,
                    "channel": np.where(online, "Trực tuyến", "Trực tiếp"),
                }
            )
            for fac in ("TC", "CC", "KQ"):
                p = np.where((fac == "CC") & ~online & ((year, q) == (2026, 2)), 0.55, 0.85)
                v = np.where(rng.random(n) < p, 5.0, 2.0)
                for code in ITEMS.loc[ITEMS["factor_code"] == fac, "item_code"]:
                    f[code] = v
            parts.append(f)
    return build(pd.concat(parts, ignore_index=True))


_PLANTED = make_planted()


def planted() -> SurveyData:
    return _PLANTED


def test_planted_segment_drop_found_and_mix_shift_ignored():
    seg = factor_changes_by_segment(planted(), ITEMS, year=2026, quarter=2)
    top = seg.iloc[0]
    assert (top["code"], top["segment"], top["rank"]) == ("CC", "Trực tiếp", 1)
    assert top["is_significant"] and top["verdict_vi"] == "giảm có ý nghĩa"
    # impact = drop (pp) / 100 × segment size
    assert top["impact"] == pytest.approx(-top["change_pp"] / 100 * top["n"])
    others = seg.iloc[1:]
    assert not others["is_significant"].any()
    assert (
        seg.loc[seg["segment"] == "Trực tuyến", "verdict_vi"] == "chưa phân biệt được với dao động ngẫu nhiên"
    ).all()
    # Q1/2026 has no planted change at all
    q1 = factor_changes_by_segment(planted(), ITEMS, year=2026, quarter=1)
    assert not q1["is_significant"].any()
    s = driver_sentences(seg, None, year=2026, quarter=2)
    assert s[0].startswith("Yếu tố «Công chức trực tiếp giải quyết công việc» giảm ")
    assert s[0].endswith("so với cùng kỳ năm trước ở kênh trực tiếp — thay đổi có ý nghĩa thống kê.")
    s1 = driver_sentences(q1, None, year=2026, quarter=1)
    assert "không yếu tố nào" in s1[0] and "quý I/2026" in s1[0]


def test_all_quarters_and_baselines():
    seg = factor_changes_by_segment(planted(), ITEMS, year=2026)
    assert sorted(seg["quarter"].unique()) == [1, 2]
    prev = factor_changes_by_segment(planted(), ITEMS, year=2026, quarter=2, baseline="previous_quarter")
    assert prev.iloc[0]["code"] == "CC" and prev.iloc[0]["baseline_label"] == "quý trước"
    # previous_4_quarters for Q2/2026 = Q1/2026, Q4, Q3, Q2/2025: only Q1/2026 and Q2/2025 exist
    p4 = factor_changes_by_segment(planted(), ITEMS, year=2026, quarter=2, baseline="previous_4_quarters")
    sd = planted()
    r = sd.responses
    in_base = ((r["year"] == 2026) & (r["quarter"] == 1)) | ((r["year"] == 2025) & (r["quarter"] == 2))
    in_person_base = ((r["channel"] == "Trực tiếp") & in_base).sum()
    # the SIPAS share counts answers: CC has two items, each respondent answered both
    assert p4.set_index(["code", "segment"]).loc[("CC", "Trực tiếp"), "base_n"] == 2 * in_person_base
    with pytest.raises(ValueError):
        factor_changes_by_segment(sd, ITEMS, year=2026, quarter=2, baseline="last_decade")


def test_item_level_drivers():
    res = key_drivers(driven_by_cc(600), ITEMS, level="item")
    assert res.status == STATUS_OK
    # only CC3.1 and CC3.2 enter the data-generating rule
    assert set(res.table.head(2)["code"]) == {"CC3.1", "CC3.2"}
    assert set(res.table.loc[res.table["is_driver"], "code"]) <= {"CC3.1", "CC3.2"}


# ---------------------------------------------------------------- bundled sample data (helper D)

SAMPLE_DIR = DEFAULT_DATA_DIR / "raw" / "survey"
ITEMS_CSV = DEFAULT_DATA_DIR / "raw" / "config" / "survey_items.csv"
CC_NAME = "Công chức trực tiếp giải quyết công việc"


@pytest.mark.skipif(
    not (SAMPLE_DIR / "khao_sat_2026_Q3.xlsx").exists() or not ITEMS_CSV.exists(),
    reason="bundled sample survey files are absent",
)
def test_sample_data_finds_planted_drop_and_ignores_online_trend():
    """The sample files plant a drop of the 'công chức' factor at the in-person channel in
    Q2-Q3/2026 and a rising online share (about 40 % -> 63 %) with unchanged satisfaction."""
    items = load_survey_items(ITEMS_CSV)
    cc = items.loc[items["factor_name"] == CC_NAME, "factor_code"].iloc[0]
    survey = read_surveys(SAMPLE_DIR, items)
    for q in (2, 3):
        seg = factor_changes_by_segment(survey, items, year=2026, quarter=q)
        top = seg.iloc[0]
        assert (top["code"], top["segment"]) == (cc, "Trực tiếp")
        assert top["verdict_vi"] == "giảm có ý nghĩa"
        # the online channel shows no significant change of any factor (mix shift only)
        assert not seg.loc[seg["segment"] == "Trực tuyến", "is_significant"].any()
        sentences = driver_sentences(seg, None, year=2026, quarter=q)
        assert sentences[0].startswith(f"Yếu tố «{CC_NAME}» giảm ") and "ở kênh trực tiếp" in sentences[0]
    # the overall answer is built with CC carrying the largest weight: with a year's data the
    # model ranks it first (one quarter alone, ~250 answers, can be noisier)
    for kw in ({"year": 2025}, {"year": 2026, "quarter": 3, "ytd": True}):
        drivers = key_drivers(survey, items, **kw)
        assert drivers.status == STATUS_OK
        assert drivers.table.iloc[0]["code"] == cc and drivers.table.iloc[0]["is_driver"]
    # before the planted period nothing is called a significant drop at the online channel either
    q1 = factor_changes_by_segment(survey, items, year=2026, quarter=1)
    assert not (q1["is_significant"] & (q1["segment"] == "Trực tuyến")).any()
