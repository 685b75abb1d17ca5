"""The bundled ILLUSTRATIVE annual samples: reproducible, consistent, and telling the story.

Expected facts come from the generator's documented design (parlib/generate/annual.py):
one deliberate issue per scoresheet (2025: printed total 0,25 above the sum; 2026: the
printed final score of criterion 5.4 0,25 above the sum of its sub-criteria), 2025 ranks
not published, 2026 ranks with a tie, the Sở Xây dựng province row equal to its scoresheet.
"""

from __future__ import annotations

import shutil
import unicodedata

import numpy as np
import pandas as pd
import pytest

from parlib.core.io import sha256_file
from parlib.core.paths import DEFAULT_DATA_DIR, Paths
from parlib.generate.annual import DELIBERATE_ISSUES, KPI_VALUES, generate_annual
from parlib.ingest.framework import find_framework, load_framework
from parlib.ingest.readers import read_cells
from parlib.ingest.scoresheet import load_scoresheet

RAW = DEFAULT_DATA_DIR / "raw"
SAMPLES = [
    "scoresheet/bang_diem_2025.xlsx",
    "scoresheet/bang_diem_2026.xlsx",
    "province/ket_qua_par_index_2025.xlsx",
    "province/ket_qua_par_index_2026.xlsx",
]


@pytest.fixture(scope="module")
def sheets():
    paths = Paths.from_args(DEFAULT_DATA_DIR)
    return {y: load_scoresheet(RAW / "scoresheet" / f"bang_diem_{y}.xlsx", paths) for y in (2025, 2026)}


def province(year: int) -> pd.DataFrame:
    cells, _ = read_cells(RAW / "province" / f"ket_qua_par_index_{year}.xlsx", "Ket qua")
    df = pd.DataFrame(cells.iloc[2:].to_numpy(), columns=cells.iloc[1].tolist())
    assert "minh họa" in str(cells.iat[0, 0])  # labelled illustrative in the title row
    return df


def test_regeneration_is_byte_identical(tmp_path):
    for sub in ("framework", "crosswalk", "config"):
        shutil.copytree(RAW / sub, tmp_path / "raw" / sub)
    generate_annual(tmp_path)
    for rel in SAMPLES:
        assert sha256_file(tmp_path / "raw" / rel) == sha256_file(RAW / rel), (
            f"{rel} differs: regenerate the samples"
        )


def test_only_the_deliberate_issue_is_reported(sheets):
    for year, res in sheets.items():
        bad = res.issues.loc[res.issues["severity"] != "info"]
        assert bad["rule"].tolist() == [DELIBERATE_ISSUES[year]["rule"]], bad.to_string()
        assert bad["code"].iloc[0] == DELIBERATE_ISSUES[year]["code"]
        assert res.meta["is_illustrative"] and res.meta["unit_name"] == "Sở Xây dựng"
        led = res.ledger
        assert int(led["rows"].sum()) == res.meta["rows_read"]
        assert int(led.loc[led["status"] == "rejected", "rows"].sum()) == 0


def test_totals_match_printed_total_except_2025_slip(sheets):
    for year, res in sheets.items():
        s = res.scores
        total = s.loc[s["is_leaf"], "final_points"].sum()
        fields = s.loc[s["level"] == "field", "final_points"].sum()
        assert total == pytest.approx(fields)
        # 2025: printed total = sum + 0,25 (the documented slip); 2026: printed total = sum
        delta = 0.25 if year == 2025 else 0.0
        assert res.printed_total == pytest.approx(total + delta)
        assert 80 <= total <= 92
    assert sheets[2026].printed_total < sheets[2025].printed_total - 0.25


def test_2026_parent_mismatch_is_the_documented_one(sheets):
    res = sheets[2026]
    hit = res.issues.loc[res.issues["rule"] == "parent_sum_mismatch"].iloc[0]
    s = res.scores.set_index("code")
    code = DELIBERATE_ISSUES[2026]["code"]
    leaves = s.loc[s.index.str.startswith(code + ".") & s["is_leaf"], "final_points"].sum()
    assert s.at[code, "final_points"] == pytest.approx(leaves)  # recomputed, not the printed value
    assert float(hit["value"].replace(",", ".")) == pytest.approx(leaves + 0.25)
    assert hit["cell"].startswith("G")  # final column of the 2026 layout is the 7th


def test_appraisal_cut_and_survey_nodes(sheets):
    for res in sheets.values():
        s = res.scores.loc[res.scores["is_leaf"]]
        claimed = s["self_points"].notna()
        cut = (s.loc[claimed, "self_points"] - s.loc[claimed, "final_points"]).sum()
        assert 2.0 <= cut <= 4.0
        fw = load_framework(find_framework(RAW / "framework", int(s["year"].iloc[0])))
        survey = set(fw.nodes.loc[fw.nodes["method"] == "survey", "code"])
        assert s.loc[s["code"].isin(survey), "self_points"].isna().all()
        assert (s["final_points"] <= s["max_points"] + 1e-9).all() and (s["final_points"] >= 0).all()


def test_story_2026_vs_2025(sheets):
    a = sheets[2025].scores.set_index("code")
    b = sheets[2026].scores.set_index("code")
    fw = load_framework(find_framework(RAW / "framework", 2026)).nodes.set_index("code")
    for kpi in ("on_time_pct", "apology_pct", "satisfaction_pct"):
        code = fw.index[fw["kpi"] == kpi][0]
        assert KPI_VALUES[2026][kpi] < KPI_VALUES[2025][kpi]
        # compared in % of maximum: 3.3.2 (on time) is re-maximised between the years (3 -> 3,5)
        assert (
            b.at[code, "final_points"] / b.at[code, "max_points"]
            < a.at[code, "final_points"] / a.at[code, "max_points"]
        ), kpi
    sipas = [
        c
        for c in fw.index
        if fw.at[c, "method"] == "survey"
        and fw.at[c, "parent_code"]
        and "SIPAS" in fw.at[fw.at[c, "parent_code"], "name"]
    ]
    assert len(sipas) == 5 and all(b.at[c, "final_points"] < a.at[c, "final_points"] for c in sipas)
    common = [
        c
        for c in b.index
        if c in a.index
        and b.at[c, "is_leaf"]
        and a.at[c, "is_leaf"]
        and a.at[c, "max_points"] == b.at[c, "max_points"]
    ]
    assert sum(b.at[c, "final_points"] > a.at[c, "final_points"] for c in common) >= 2  # a few improve
    cut = b.loc[
        b["is_leaf"]
        & (b["reason"] == "Không có tài liệu kiểm chứng")
        & (b["self_points"] == b["max_points"])
        & (b["final_points"] < b["self_points"])
    ]
    assert len(cut) >= 1  # lost at appraisal for missing evidence
    assert (b.loc[b["is_leaf"] & (b["final_points"] < b["max_points"]), "reason"] != "").all()


def test_province_row_equals_scoresheet(sheets):
    for year, res in sheets.items():
        df = province(year)
        assert len(df) == 14 and df["Đơn vị"].is_unique
        row = df.loc[df["Đơn vị"] == "Sở Xây dựng"].iloc[0]
        s = res.scores.set_index("code")
        for k in range(1, 9):
            assert float(row[f"Lĩnh vực {k}"]) == pytest.approx(s.at[str(k), "final_points"])
        assert float(row["Tổng điểm"]) == pytest.approx(s.loc[s["level"] == "field", "final_points"].sum())
        fields = df[[f"Lĩnh vực {k}" for k in range(1, 9)]].astype(float).sum(axis=1)
        assert np.allclose(fields, df["Tổng điểm"].astype(float))


def test_ranks_and_bands():
    bands = pd.read_csv(RAW / "config" / "bands.csv", encoding="utf-8-sig")
    a, b = province(2025), province(2026)
    assert a["Xếp hạng"].isna().all()  # not published in 2025: missing, never 0
    ranks = b["Xếp hạng"].astype(int)
    assert ranks.duplicated().any()  # a tie
    totals = b["Tổng điểm"].astype(float)
    # competition ranking: rank = 1 + number of departments with a strictly higher total
    assert ranks.tolist() == [1 + int((totals > t).sum()) for t in totals]
    for df in (a, b):
        for pct, band in zip(df["Chỉ số (%)"].astype(float), df["Xếp loại"]):
            expected = bands.loc[bands["min_pct"] <= pct].sort_values("min_pct").iloc[-1]["band_name"]
            assert band == expected


def test_sample_has_the_layout_quirks():
    c25, _ = read_cells(RAW / "scoresheet" / "bang_diem_2025.xlsx", "Bảng điểm")
    c26, _ = read_cells(RAW / "scoresheet" / "bang_diem_2026.xlsx", "KQ thẩm định 2026")
    vals = [v for v in c25.to_numpy().ravel() if isinstance(v, str)]
    assert any(not unicodedata.is_normalized("NFC", v) for v in vals)  # NFD text
    assert any(v.replace(",", "").isdigit() and "," in v for v in vals)  # decimal comma text
    assert any(v.startswith("- ") and "điểm" in v for v in vals)  # scoring-option lines
    assert "Tổng cộng" in vals and "Cộng lĩnh vực I" in vals and "Dữ liệu minh họa" in " ".join(vals)
    assert "Điểm thẩm định" in vals and "Lần 1" in vals and "Cuối cùng" in vals  # 2-row header
    assert c26.iat[7, 0] == "Mã số" and c26.iat[8, 0] == "I"  # 1-row header, row 8


def test_validate_entry_point_on_bundled_file():
    from parlib.ingest.scoresheet import validate_scoresheet_file

    issues, ledger = validate_scoresheet_file(
        RAW / "scoresheet" / "bang_diem_2025.xlsx", Paths.from_args(DEFAULT_DATA_DIR)
    )
    hit = issues.loc[issues["rule"] == "total_mismatch"]
    assert len(hit) == 1 and hit["source"].iloc[0] == "raw/scoresheet/bang_diem_2025.xlsx"
    assert set(ledger["status"]) == {"used", "skipped"}
