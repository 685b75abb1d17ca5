"""Files named as users really name them are read, and files that cannot be read are named in
the run's issues — nothing under data/raw is skipped in silence (issue 16, item 1)."""

import shutil

from parlib.core.paths import PROJECT_ROOT, Paths
from parlib.pipelines import quarterly


def _ytd(res, kpi):
    s = res.status
    row = s[(s["kpi"] == kpi) & (s["period_kind"] == "ytd")].iloc[0]
    return int(row["k"]), int(row["n"])


def test_renamed_exports_give_the_same_figures_and_unreadable_files_are_reported(tmp_path):
    data = tmp_path / "data"
    shutil.copytree(PROJECT_ROOT / "data" / "raw", data / "raw")
    raw = data / "raw"
    (raw / "dossiers" / "ho_so_2026_Q2.xlsx").rename(raw / "dossiers" / "ho_so_2026_Q2.XLSX")
    (raw / "survey" / "khao_sat_2026_Q3.xlsx").rename(raw / "survey" / "khao_sat_2026_Q3 (1).xlsx")
    (raw / "tasks" / "tien_do_2026_Q3.xlsx").rename(raw / "tasks" / "tien_do_2026_q3.xlsx")
    shutil.copy(raw / "dossiers" / "ho_so_2026_Q1.xlsx", raw / "dossiers" / "ho so quy 1.xlsx")
    renamed = quarterly.build(2026, 3, Paths(data, tmp_path / "reports"), write=False)
    original = quarterly.build(2026, 3, Paths(), write=False)
    for kpi in ("on_time_pct", "apology_pct", "satisfaction_pct", "tasks_on_time_pct"):
        assert _ytd(renamed, kpi) == _ytd(original, kpi), kpi
    issues = renamed.issues
    notes = issues[issues["rule"].str.startswith("raw_file_")]
    assert set(notes["value"]) == {"ho so quy 1.xlsx", "khao_sat_2026_Q3 (1).xlsx"}
    unread = notes[notes["value"] == "ho so quy 1.xlsx"].iloc[0]
    assert unread["rule"] == "raw_file_not_recognised" and "không được đọc" in unread["message"]
