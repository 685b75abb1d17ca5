"""Survey ingestion, indices, changes and the sample-size rule, worked out by hand."""

import datetime as dt
import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from openpyxl import Workbook

from parlib.analysis.drivers import index_sentences
from parlib.analysis.satisfaction import (
    VERDICT_DOWN,
    VERDICT_NO_BASE,
    VERDICT_NOISE,
    VERDICT_UP,
    change_tests,
    required_sample_size,
    sample_size_check,
    satisfaction_changes,
    satisfaction_pct,
    satisfaction_table,
    sipas_points,
)
from parlib.core.errors import StructuralError
from parlib.ingest.survey import load_survey_items, read_survey, read_surveys
from parlib.model.survey import SurveyConfig, SurveyData

ITEMS_CSV = """item_code,factor_code,factor_name,item_text
TC1.1,F1,Tiếp cận dịch vụ,Nơi đón tiếp thuận tiện
TC1.2,F1,Tiếp cận dịch vụ,Có đủ chỗ ngồi
TC3.1,F3,Công chức trực tiếp giải quyết công việc,Công chức có thái độ lịch sự
TC3.2,F3,Công chức trực tiếp giải quyết công việc,Công chức hướng dẫn tận tình
"""
HEADER = [
    "Mã phiếu",
    "Ngày khảo sát",
    "Kênh",
    "Lĩnh vực",
    "TC1.1",
    "TC1.2",
    "TC3.1",
    "TC3.2",
    "Hài lòng chung",
    "Góp ý",
    "Họ tên",
    "Số điện thoại",
]
# columns:  A            B             C      D          E        F        G        H
#           I                J       K        L
ROWS = [
    [
        "P01",
        dt.datetime(2026, 1, 10),
        "Trực tiếp",
        "Hoạt động xây dựng",
        5,
        4,
        4,
        4,
        5,
        "Cán bộ thái độ tốt",
        "Nguyễn Văn An",
        "0912345678",
    ],  # row 2
    [
        "P02",
        dt.datetime(2026, 2, 1),
        "Trực tuyến",
        "Hoạt động xây dựng",
        4,
        3,
        2,
        3,
        3,
        "Xử lý chậm trễ, gọi 0987 654 321",
        "Trần Thị Bình",
        "0987654321",
    ],  # row 3
    [
        "P03",
        dt.datetime(2026, 3, 3),
        "trực tiếp",
        "Giao thông",
        "không rõ",
        5,
        0,
        4,
        4,
        None,
        "Lê Văn Cường",
        "0905111222",
    ],  # row 4
    [
        "P04",
        dt.datetime(2026, 3, 4),
        "Trực tuyến",
        "Giao thông",
        7,
        None,
        5,
        5,
        4,
        None,
        "Phạm Thị Dung",
        "0905333444",
    ],  # row 5
    [None] * 12,  # row 6
    [
        "P05",
        dt.datetime(2026, 3, 5),
        "Trực tiếp",
        "Giao thông",
        None,
        None,
        None,
        None,
        None,
        None,
        "Hoàng Văn Em",
        "0905555666",
    ],  # row 7
]
PII_VALUES = [
    "Nguyễn Văn An",
    "Trần Thị Bình",
    "Lê Văn Cường",
    "Phạm Thị Dung",
    "Hoàng Văn Em",
    "0912345678",
    "0987654321",
    "0987 654 321",
    "0905111222",
]


@pytest.fixture
def items(tmp_path):
    p = tmp_path / "survey_items.csv"
    p.write_text(ITEMS_CSV, encoding="utf-8")
    return load_survey_items(p)


def write_book(path: Path, rows, header=HEADER, sheet="Phiếu khảo sát") -> Path:
    wb = Workbook()
    ws = wb.active
    ws.title = sheet
    ws.append(header)
    for r in rows:
        ws.append(r)
    wb.save(path)
    return path


@pytest.fixture
def survey(tmp_path, items):
    return read_survey(write_book(tmp_path / "khao_sat_2026_Q1.xlsx", ROWS), items)


def test_reader_keeps_respondents_and_logs_bad_cells(survey):
    r = survey.responses
    assert r["response_id"].tolist() == ["P01", "P02", "P03", "P04"]
    assert (r["year"] == 2026).all() and (r["quarter"] == 1).all()
    assert r["channel"].tolist() == ["Trực tiếp", "Trực tuyến", "Trực tiếp", "Trực tuyến"]
    iss = survey.issues
    bad = iss[iss["rule"] == "survey_answer_out_of_scale"].sort_values("cell")
    # 'không rõ' in E4, 7 in E5, 0 in G4
    assert bad["cell"].tolist() == ["E4", "E5", "G4"]
    assert bad["row"].tolist() == [4, 5, 4]
    assert bad["column"].tolist() == ["TC1.1", "TC1.1", "TC3.1"]
    assert bad["value"].tolist() == ["không rõ", "7", "0"]
    assert (bad["source"] == "khao_sat_2026_Q1.xlsx").all()
    blank = iss[iss["rule"] == "survey_answer_blank"]
    # only F5 (P04 skipped TC1.2); the all-blank row 7 is rejected with one issue instead
    assert blank["cell"].tolist() == ["F5"]
    assert iss.loc[iss["rule"] == "survey_response_empty", "row"].tolist() == [7]
    led = survey.ledger.groupby("status")["rows"].sum()
    # skipped: the header row (row 1) + the blank row; read = 1 + 6 rows = used + rejected + skipped
    assert led["used"] == 4 and led["rejected"] == 1 and led["skipped"] == 2
    a = survey.answers.set_index(["respondent_key", "item_code"])["answer"]
    assert np.isnan(a[("khao_sat_2026_Q1.xlsx:4", "TC1.1")])  # "không rõ" -> missing
    assert a[("khao_sat_2026_Q1.xlsx:4", "TC1.2")] == 5  # the rest of P03 is kept


def test_pii_never_reaches_outputs(survey, items):
    table = satisfaction_table(survey, items)
    dump = " ".join(
        df.astype(str).to_csv()
        for df in (survey.responses, survey.answers, survey.issues, survey.ledger, table)
    )
    for v in PII_VALUES:
        assert v not in dump
    assert "Họ tên" not in survey.responses.columns
    assert survey.responses["comment"].iloc[1] == "Xử lý chậm trễ, gọi [đã ẩn]"


def test_indices_by_hand(survey, items):
    t = satisfaction_table(survey, items)
    q = t[(t["period_kind"] == "quarter") & (t["segment_kind"] == "all")].set_index(["level", "code"])
    # overall: P01 5, P02 3, P03 4, P04 4 -> 3 of 4 satisfied
    assert (q.loc[("overall", ""), "k"], q.loc[("overall", ""), "n"]) == (3, 4)
    # Wilson k=3 n=4: z²=3.841459, denom=1+z²/4=1.960365, centre=(0.75+z²/8)/denom=0.627527,
    # half=z*sqrt(0.75*0.25/4+z²/64)/denom=1.959964*0.326953/1.960365=0.326881
    assert q.loc[("overall", ""), "pct"] == 75.0
    assert abs(q.loc[("overall", ""), "ci_low_pct"] - 30.0646) < 1e-3
    assert abs(q.loc[("overall", ""), "ci_high_pct"] - 95.4408) < 1e-3
    assert q.loc[("overall", ""), "is_small_sample"]
    # items: TC1.1 valid 5,4 -> 2/2; TC1.2 4,3,5 -> 2/3; TC3.1 4,2,5 -> 2/3; TC3.2 4,3,4,5 -> 3/4
    assert [tuple(q.loc[("item", c), ["k", "n"]]) for c in ["TC1.1", "TC1.2", "TC3.1", "TC3.2"]] == [
        (2, 2),
        (2, 3),
        (2, 3),
        (3, 4),
    ]
    # F1 respondent means: P01 4.5 ok, P02 3.5 no, P03 5 ok (only TC1.2 valid), P04 none -> 2/3
    # F1 pooled: answers 5,4,4,3,5 -> 4 of 5 satisfied
    # The headline is the share of satisfied answers (as SIPAS publishes it): F1 4 of 5; the
    # respondent variant (mean of the respondent's answers >= 4) stays beside it: 2 of 3.
    f1 = q.loc[("factor", "F1")]
    assert (f1["k"], f1["n"], f1["pooled_k"], f1["pooled_n"], f1["pooled_pct"]) == (4, 5, 4, 5, 80.0)
    assert (f1["respondent_k"], f1["respondent_n"], f1["n_respondents"]) == (2, 3, 3)
    # F3: P01 4 ok, P02 2.5 no, P03 4 ok (TC3.2), P04 5 ok -> respondents 3/4; answers 4,4,2,3,4,5,5 -> 5/7
    f3 = q.loc[("factor", "F3")]
    assert (f3["k"], f3["n"], f3["pooled_k"], f3["pooled_n"]) == (5, 7, 5, 7)
    assert (f3["respondent_k"], f3["respondent_n"], f3["n_respondents"]) == (3, 4, 4)
    assert f3["name"] == "Công chức trực tiếp giải quyết công việc"
    ch = t[(t["period_kind"] == "quarter") & (t["segment_kind"] == "channel") & (t["level"] == "overall")]
    # in person: P01 5, P03 4 -> 2/2; online: P02 3, P04 4 -> 1/2
    assert ch.set_index("segment")[["k", "n"]].to_dict("index") == {
        "Trực tiếp": {"k": 2, "n": 2},
        "Trực tuyến": {"k": 1, "n": 2},
    }


def test_configurable_scale(tmp_path, items):
    # satisfied only at 5: overall 5,3,4,4 -> 1 of 4; 7 still out of a 1-5 scale
    s = read_survey(
        write_book(tmp_path / "khao_sat_2026_Q1.xlsx", ROWS), items, SurveyConfig(satisfied_min=5)
    )
    t = satisfaction_table(s, items, SurveyConfig(satisfied_min=5))
    row = t[(t["level"] == "overall") & (t["segment_kind"] == "all") & (t["period_kind"] == "quarter")]
    assert (row["k"].iloc[0], row["n"].iloc[0]) == (1, 4)
    # a 1-7 scale accepts the 7 in E5: no out-of-scale issue there
    s7 = read_survey(
        write_book(tmp_path / "khao_sat_2026_Q1.xlsx", ROWS),
        items,
        SurveyConfig(scale_max=7, satisfied_min=6),
    )
    assert "E5" not in s7.issues["cell"].tolist()
    with pytest.raises(ValueError):
        SurveyConfig(satisfied_min=6)


def test_structural_errors(tmp_path, items):
    no_items = [h if not h.startswith("TC") else f"X{h}" for h in HEADER]
    with pytest.raises(StructuralError, match="mã câu hỏi"):
        read_survey(write_book(tmp_path / "khao_sat_2026_Q1.xlsx", ROWS, header=no_items), items)
    with pytest.raises(StructuralError, match="Phiếu khảo sát"):
        read_survey(write_book(tmp_path / "khao_sat_2026_Q2.xlsx", ROWS, sheet="Sheet1"), items)
    with pytest.raises(StructuralError, match="kỳ khảo sát"):
        read_survey(write_book(tmp_path / "survey.xlsx", ROWS), items)
    bad = tmp_path / "items.csv"
    bad.write_text("item_code,factor_code,factor_name,item_text\nA,F1,X,t\nA,F1,Y,t\n", encoding="utf-8")
    with pytest.raises(StructuralError) as e:
        load_survey_items(bad)
    assert "bị trùng" in str(e.value) and "nhiều tên" in str(e.value)


def test_sample_size_rule(survey):
    # 2000 / (1 + 2000 * 0.05²) = 2000 / 6 = 333.33 -> 334; 400 / (1 + 1) = 200 exactly
    assert required_sample_size(2000) == 334
    assert required_sample_size(400) == 200
    assert required_sample_size(0) == 0
    chk = sample_size_check(survey, 10, year=2026, quarter=1)
    # 10 / 1.025 = 9.76 -> 10 required, 4 used responses
    assert chk[["required_n", "actual_n", "is_sufficient"]].iloc[0].tolist() == [10, 4, False]


def test_sipas_points():
    assert sipas_points(91.2) == pytest.approx(9.12)
    assert sipas_points(91.2, max_points=8) == pytest.approx(7.296)
    assert math.isnan(sipas_points(float("nan")))


def synthetic(periods: dict) -> SurveyData:
    """Respondents with overall = item TC1.1 = 5 (satisfied) or 2; periods: {(y, q): (k, n)}."""
    resp, ans = [], []
    for (y, q), (k, n) in periods.items():
        for i in range(n):
            key, v = f"{y}Q{q}:{i}", 5.0 if i < k else 2.0
            resp.append(
                {
                    "respondent_key": key,
                    "year": y,
                    "quarter": q,
                    "channel": "Trực tiếp",
                    "field_name": "X",
                    "overall": v,
                    "comment": None,
                }
            )
            ans.append(
                {
                    "respondent_key": key,
                    "year": y,
                    "quarter": q,
                    "channel": "Trực tiếp",
                    "field_name": "X",
                    "factor_code": "F1",
                    "item_code": "TC1.1",
                    "answer": v,
                }
            )
    return SurveyData(pd.DataFrame(resp), pd.DataFrame(ans))


def test_small_move_is_noise_large_move_is_significant(items):
    # 120/150 = 80 % -> 125/150 = 83.3 %: pooled p = 245/300, se = sqrt(.8167*.1833*2/150) = 0.04468,
    # z = 0.0333/0.04468 = 0.746, p = 0.456 -> noise.
    t = satisfaction_table(synthetic({(2026, 1): (120, 150), (2026, 2): (125, 150)}), items)
    ch = satisfaction_changes(t, 2026, 2)
    prev = ch[(ch["comparison"] == "previous_quarter") & (ch["level"] == "overall")].iloc[0]
    assert abs(prev["p_value"] - 0.456) < 0.005
    assert prev["verdict_vi"] == VERDICT_NOISE and not prev["is_significant"]
    same = ch[(ch["comparison"] == "same_quarter_last_year") & (ch["level"] == "overall")].iloc[0]
    assert same["verdict_vi"] == VERDICT_NO_BASE
    # 120/150 -> 143/150 = 95.3 %: pooled 263/300, se = 0.03797, z = 0.15333/0.03797 = 4.04
    t2 = satisfaction_table(
        synthetic({(2025, 2): (143, 150), (2026, 1): (120, 150), (2026, 2): (143, 150)}), items
    )
    ch2 = satisfaction_changes(t2, 2026, 2)
    o = ch2[ch2["level"] == "overall"].set_index("comparison")
    assert abs(o.loc["previous_quarter", "z"]) == pytest.approx(4.04, abs=0.01)
    assert o.loc["previous_quarter", "verdict_vi"] == VERDICT_UP
    assert o.loc["same_quarter_last_year", "change_pp"] == 0
    assert o.loc["same_quarter_last_year", "verdict_vi"] == VERDICT_NOISE
    # the reverse move is a significant decrease
    down = change_tests(pd.DataFrame({"k": [120], "n": [150], "base_k": [143], "base_n": [150]}))
    assert down["verdict_vi"].iloc[0] == VERDICT_DOWN


def test_holm_family_can_undo_a_nominal_result():
    # 107/150 vs 90/150: pooled 197/300 = .65667, se = sqrt(.65667*.34333*2/150) = .054827,
    # z = .11333/.054827 = 2.067, p = .0387 alone; Holm over a family of 3 multiplies the smallest
    # p by 3 -> .116: noise.
    m = pd.DataFrame({"k": [107, 100, 100], "n": [150] * 3, "base_k": [90, 100, 101], "base_n": [150] * 3})
    out = change_tests(m)
    assert out["p_value"].iloc[0] == pytest.approx(0.0387, abs=5e-4)
    assert out["p_adjusted"].iloc[0] == pytest.approx(3 * out["p_value"].iloc[0])
    assert (out["verdict_vi"] == VERDICT_NOISE).all()


def test_ytd_pct_and_sentences(items):
    t = satisfaction_table(
        synthetic({(2025, 3): (140, 150), (2026, 2): (90, 100), (2026, 3): (100, 125)}), items
    )
    # YTD to Q3/2026: (90 + 100) / (100 + 125) = 190/225 = 84.44 %
    assert satisfaction_pct(t, 2026, 3) == pytest.approx(100 * 190 / 225)
    assert satisfaction_pct(t, 2026, 3, "quarter") == pytest.approx(80.0)
    s = index_sentences(t, satisfaction_changes(t, 2026, 3), year=2026, quarter=3)
    assert s[0].startswith("Tỷ lệ hài lòng chung quý III/2026 đạt 80,0 % (khoảng tin cậy 95 %: ")
    assert s[0].endswith("n = 125), thấp hơn mục tiêu 95 %.")
    # 80 % vs 93.3 % a year earlier on n = 125/150: z ~ 3.2 -> a significant fall
    assert any("cùng kỳ năm trước" in x and "thay đổi có ý nghĩa thống kê" in x for x in s)
    assert any(x.startswith("Chung mọi kênh, so với quý trước") and VERDICT_NOISE in x for x in s)
    # the report body's plain version: the same findings without intervals, sizes or test words
    plain = index_sentences(t, satisfaction_changes(t, 2026, 3), year=2026, quarter=3, plain=True)
    assert plain[0] == "Tỷ lệ hài lòng chung quý III/2026 đạt 80,0 %, thấp hơn mục tiêu 95 %."
    assert any("cùng kỳ năm trước" in x and "thay đổi rõ rệt" in x for x in plain)
    assert not any("khoảng tin cậy" in x or "n = " in x or "thống kê" in x for x in plain)


def test_read_surveys_folder(tmp_path, items):
    write_book(tmp_path / "khao_sat_2026_Q1.xlsx", ROWS)
    write_book(tmp_path / "khao_sat_2026_Q2.xlsx", ROWS[:2])
    s = read_surveys(tmp_path, items)
    assert s.responses.groupby("quarter").size().to_dict() == {1: 4, 2: 2}
    rel = read_surveys(tmp_path, items, base=tmp_path.parent)
    assert set(rel.issues["source"]) == {
        f"{tmp_path.name}/khao_sat_2026_Q1.xlsx",
        f"{tmp_path.name}/khao_sat_2026_Q2.xlsx",
    }
    # both P01 dates are in Q1, so the Q2 file flags them as outside its quarter
    assert (s.issues["rule"] == "survey_date_outside_quarter").sum() == 2


def test_cluster_interval_of_a_factor_by_hand():
    """F3 of the table above: respondents (k_r, n_r) = P01 (2, 2), P02 (0, 2), P03 (1, 1), P04 (2, 2).
    R = 5/7; Σ (k_r − R n_r)² = (4/7)² + (10/7)² + (2/7)² + (4/7)² = 136/49;
    var = m/(m−1) · 136/49 / 7² = 4/3 · 136/2401 = 544/7203; R(1−R)/var = 72030/26656; with 4
    respondents the t quantile (3 degrees of freedom, 3,182446) replaces z (1,959964):
    n_eff = 72030/26656 × (1,959964 / 3,182446)²."""
    import math

    from parlib.analysis.stats import cluster_ratio_ci

    z, t3 = 1.959963984540054, 3.182446305284263
    low, high, n_eff = cluster_ratio_ci([5], [7], [4], [9], [13], [9])
    n, p = 72030 / 26656 * (z / t3) ** 2, 5 / 7
    assert n_eff[0] == pytest.approx(n, rel=1e-9)
    den = 1 + z * z / n
    centre, half = (p + z * z / (2 * n)) / den, z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / den
    assert (low[0], high[0]) == (
        pytest.approx(centre - half, rel=1e-9),
        pytest.approx(centre + half, rel=1e-9),
    )
    # no spread to measure (every answer satisfied): counted by respondents (4), not answers (7)
    _, _, n_eff = cluster_ratio_ci([7], [7], [4], [13], [13], [13])
    assert n_eff[0] == pytest.approx(4 * (z / t3) ** 2, rel=1e-9)


@pytest.mark.parametrize("m", [60, 15])
def test_cluster_interval_covers_95_percent_on_simulated_respondents(m):
    """Respondents with their own propensity (Beta(4, 1.5), mean 0,727) answer 3–6 items each: the
    answers of one respondent move together. Over 600 samples the cluster
    interval covers the true share close to 95 % (with 60 and with 15 respondents); the naive
    interval on answers does not."""
    from parlib.analysis.stats import cluster_ratio_ci, wilson_ci

    rng = np.random.default_rng(20261203)
    true = 4 / 5.5
    hits = naive_hits = 0
    trials = 600
    for _ in range(trials):
        prop = rng.beta(4, 1.5, size=m)
        n_r = rng.integers(3, 7, size=m)
        k_r = rng.binomial(n_r, prop)
        k, n = k_r.sum(), n_r.sum()
        low, high, _ = cluster_ratio_ci(
            [k], [n], [m], [(k_r**2).sum()], [(n_r**2).sum()], [(k_r * n_r).sum()]
        )
        hits += low[0] <= true <= high[0]
        nl, nh = wilson_ci([k], [n])
        naive_hits += nl[0] <= true <= nh[0]
    assert 0.92 <= hits / trials <= 0.98
    assert naive_hits / trials < min(0.92, hits / trials - 0.03)  # answers as independent: too narrow
