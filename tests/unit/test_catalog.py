"""The catalog of raw inputs: every file under data/raw is read or reported, by one rule."""

import pytest

from parlib.core.catalog import files_of, latest_quarter, recognise_name, scan_raw


def _tree(root, names):
    for n in names:
        p = root / "raw" / n
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_bytes(b"x")
    return root / "raw"


def test_names_as_users_really_write_them_are_recognised(tmp_path):
    raw = _tree(
        tmp_path,
        ["dossiers/ho_so_2026_Q1.xlsx", "dossiers/ho_so_2026_Q2.XLSX", "dossiers/Ho_So_2026_q3.csv",
         "survey/khao_sat_2026_Q3 (1).xlsx", "tasks/tien_do_2026_q3.xlsx", "tasks/nhiem_vu_2026.csv",
         "feedback/PAKN_2026.xlsx", "index766/chi_so_766_2026.csv"],
    )  # fmt: skip
    cat, issues = scan_raw(raw)
    got = {(f.kind, f.year, f.quarter, f.path.name) for f in cat}
    assert got == {
        ("dossiers", 2026, 1, "ho_so_2026_Q1.xlsx"),
        ("dossiers", 2026, 2, "ho_so_2026_Q2.XLSX"),
        ("dossiers", 2026, 3, "Ho_So_2026_q3.csv"),
        ("survey", 2026, 3, "khao_sat_2026_Q3 (1).xlsx"),
        ("task_status", 2026, 3, "tien_do_2026_q3.xlsx"),
        ("tasks", 2026, None, "nhiem_vu_2026.csv"),
        ("feedback", 2026, None, "PAKN_2026.xlsx"),
        ("index766", 2026, None, "chi_so_766_2026.csv"),
    }
    # the copy is used (no original) but said so
    assert [i["rule"] for i in issues] == ["raw_file_copy_used"] and "khao_sat_2026_Q3 (1).xlsx" in issues[0][
        "message"
    ]
    assert latest_quarter(cat) == (2026, 3) and latest_quarter(cat, 2025) is None
    assert [p.name for p in files_of(cat, "dossiers", (2026, 2))] == [
        "ho_so_2026_Q1.xlsx",
        "ho_so_2026_Q2.XLSX",
    ]


def test_files_not_read_are_reported_with_the_closest_expected_name(tmp_path):
    raw = _tree(
        tmp_path,
        ["dossiers/ho_so_2026_Q2.xlsx", "dossiers/ho so quy 3 2026.xlsx", "survey/khao_sat_2026_Q2.xlsx",
         "survey/khao_sat_2026_Q2 - Copy.xlsx", "feedback/ghi chu.docx", "dossiers/~$ho_so_2026_Q2.xlsx",
         "dossiers/.hidden"],
    )  # fmt: skip
    cat, issues = scan_raw(raw)
    assert {f.path.name for f in cat} == {"ho_so_2026_Q2.xlsx", "khao_sat_2026_Q2.xlsx"}
    by_file = {i["value"]: i for i in issues}
    assert set(by_file) == {
        "ho so quy 3 2026.xlsx",
        "khao_sat_2026_Q2 - Copy.xlsx",
        "ghi chu.docx",
    }  # lock files skipped
    assert "ho_so_2026_Q3.xlsx" in by_file["ho so quy 3 2026.xlsx"]["message"]
    assert by_file["khao_sat_2026_Q2 - Copy.xlsx"]["rule"] == "raw_file_duplicate"
    assert all(i["severity"] == "warning" and i["source"].startswith("raw/") for i in issues)


@pytest.mark.parametrize(
    "name,kind,groups",
    [("bang_diem_2026.XLSX", "scoresheet", {"year": "2026"}),
     ("crosswalk_2025_2026.csv", "crosswalk", {"base": "2025", "year": "2026"}),
     ("TIEN_DO_2026_Q3 (2).xlsx", "task_status", {"year": "2026", "quarter": "3"})],
)  # fmt: skip
def test_recognise_any_name(name, kind, groups):
    k, g, _ = recognise_name(name)
    assert k.kind == kind and {a: b for a, b in g.items() if b is not None} == groups
