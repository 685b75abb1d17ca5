"""A 4-level framework (nhóm điểm → lĩnh vực → tiêu chí → tiêu chí thành phần, issue 18): the level
names of the year are data (``#levels:``), validation, scores and attribution work at every depth.

    1   nhóm điểm thẩm định 70 = 1.1 (40) + 1.2 (30)
        1.1 lĩnh vực 40 = 1.1.1 tiêu chí 25 (= 1.1.1.1 10 + 1.1.1.2 15) + 1.1.2 tiêu chí leaf 15
        1.2 lĩnh vực 30 = 1.2.1 tiêu chí 30 (= 1.2.1.1 12,5 + 1.2.1.2 17,5)
    2   nhóm điểm điều tra 30 = 2.1 lĩnh vực 30 = 2.1.1 (20, survey) + 2.1.2 (10, survey)

Final points: 1.1.1.1 = 9 (−1); 1.1.2 = 12,5 (−2,5); 1.2.1.2 = 16 (−1,5); 2.1.1 = 18,4 (−1,6); the
rest full. Lost 1 + 2,5 + 1,5 + 1,6 = 6,6; total 93,4; group 1: 65, group 2: 28,4; lĩnh vực 1.1:
36,5; tiêu chí 1.1.1: 24.
"""

from __future__ import annotations

import pytest
from openpyxl import Workbook

from parlib.analysis.compare import level_table_vi
from parlib.analysis.compare_levels import report_depths
from parlib.core.errors import StructuralError
from parlib.core.paths import Paths
from parlib.ingest.framework import load_framework
from parlib.pipelines import annual

LEVELS = "#levels: nhóm điểm|lĩnh vực|tiêu chí|tiêu chí thành phần"
NODES = [
    ("1", "", "nhóm điểm", "Nhóm điểm thẩm định", 70, ""),
    ("1.1", "1", "lĩnh vực", "Công tác chỉ đạo", 40, ""),
    ("1.1.1", "1.1", "tiêu chí", "Kế hoạch CCHC", 25, ""),
    ("1.1.1.1", "1.1.1", "tiêu chí thành phần", "Ban hành kế hoạch", 10, "appraisal"),
    ("1.1.1.2", "1.1.1", "tiêu chí thành phần", "Thực hiện kế hoạch", 15, "appraisal"),
    ("1.1.2", "1.1", "tiêu chí", "Báo cáo CCHC", 15, "appraisal"),
    ("1.2", "1", "lĩnh vực", "Thủ tục hành chính", 30, ""),
    ("1.2.1", "1.2", "tiêu chí", "Giải quyết TTHC", 30, ""),
    ("1.2.1.1", "1.2.1", "tiêu chí thành phần", "Công khai TTHC", 12.5, "appraisal"),
    ("1.2.1.2", "1.2.1", "tiêu chí thành phần", "Hồ sơ đúng hạn", 17.5, "appraisal"),
    ("2", "", "nhóm điểm", "Nhóm điểm điều tra xã hội học", 30, ""),
    ("2.1", "2", "lĩnh vực", "Mức độ hài lòng", 30, ""),
    ("2.1.1", "2.1", "tiêu chí", "Hài lòng của người dân", 20, "survey"),
    ("2.1.2", "2.1", "tiêu chí", "Đánh giá của công chức", 10, "survey"),
]
FINAL = {"1.1.1.1": 9, "1.1.2": 12.5, "1.2.1.2": 16, "2.1.1": 18.4}


def vn(x) -> str:
    return f"{x:g}".replace(".", ",")


def framework_csv(levels: str = LEVELS, bad_level: bool = False) -> str:
    lines = ["#year: 2023", "#total_points: 100", levels, "code,parent_code,level,name,max_points,method"]
    for code, parent, level, name, mx, method in NODES:
        level = "nhóm" if bad_level and code == "2" else level
        lines.append(f'{code},{parent},{level},{name},"{vn(mx)}",{method}')
    return "\n".join(lines) + "\n"


def data_dir(tmp_path) -> Paths:
    raw = tmp_path / "raw"
    for d in ("config", "framework", "scoresheet"):
        (raw / d).mkdir(parents=True)
    (raw / "framework" / "framework_2023.csv").write_text(framework_csv(), encoding="utf-8")
    (raw / "config" / "scoresheet_layouts.csv").write_text(
        "item,2023\nsheet,KQ\nheader_rows,1\ncode,Mã\nname,Nội dung\nmax_points,Điểm tối đa\n"
        "final_points,Điểm đạt được\n",
        encoding="utf-8",
    )
    (raw / "config" / "bands.csv").write_text("band_name,min_pct\nTốt,90\nKhá,80\n", encoding="utf-8")
    (raw / "config" / "unit.csv").write_text(
        "name,level,province\nUBND xã Ia Pa,xã,Gia Lai\n", encoding="utf-8"
    )
    leaves = {c for c, *_ in NODES} - {p for _, p, *_ in NODES}
    value = {c: FINAL.get(c, mx) for c, _, _, _, mx, _ in NODES if c in leaves}
    wb = Workbook()
    ws = wb.active
    ws.title = "KQ"
    ws.append(["KẾT QUẢ CHỈ SỐ CCHC NĂM 2023 — UBND xã Ia Pa"])
    ws.append(["Mã", "Nội dung", "Điểm tối đa", "Điểm đạt được"])
    for code, _, _, name, mx, _ in NODES:
        pts = sum(v for c, v in value.items() if c == code or c.startswith(code + "."))
        ws.append([code, name, vn(mx), vn(round(pts, 2))])
    ws.append([None, "Tổng cộng", "100", "93,4"])
    wb.save(raw / "scoresheet" / "bang_diem_2023.xlsx")
    return Paths(data=tmp_path, out=tmp_path / "out")


def test_four_level_framework_names_and_depths(tmp_path):
    p = tmp_path / "framework_2023.csv"
    p.write_text(framework_csv(), encoding="utf-8")
    fw = load_framework(p)
    n = fw.nodes.set_index("code")
    assert n.at["1.1.1.1", "depth"] == 4 and n.at["1.1.1.1", "level_name"] == "tiêu chí thành phần"
    assert n.at["1", "level"] == "field" and n.at["1.1", "level"] == "criterion"
    assert n.at["1.1.2", "is_leaf"] and n.at["1.1.2", "level_name"] == "tiêu chí"
    bad = tmp_path / "framework_2024.csv"
    bad.write_text(framework_csv(bad_level=True).replace("2023", "2024"), encoding="utf-8")
    with pytest.raises(
        StructuralError, match="cấp «nhóm» không hợp lệ \\(nhóm điểm/lĩnh vực/tiêu chí/tiêu chí thành phần\\)"
    ):
        load_framework(bad)
    # without #levels a 4-deep code is an error of the default 3-level framework
    three = tmp_path / "framework_2025.csv"
    three.write_text(framework_csv(levels="#note: none").replace("2023", "2025"), encoding="utf-8")
    with pytest.raises(StructuralError, match="cấp «nhóm điểm» không hợp lệ"):
        load_framework(three)


def test_four_level_scores_and_losses(tmp_path):
    res = annual.score_year(2023, data_dir(tmp_path), write=False)
    s = res.summary
    assert s["total_points"] == pytest.approx(93.4) and s["points_lost"] == pytest.approx(6.6)
    assert s["band"] == "Tốt"
    errors = res.issues.loc[res.issues["severity"] == "error", "message"].tolist()
    assert not errors, errors
    loss = res.loss.set_index("code")
    assert loss.at["1", "final_points"] == pytest.approx(65) and loss.at[
        "2", "final_points"
    ] == pytest.approx(28.4)
    assert loss.at["1.1", "final_points"] == pytest.approx(36.5)
    assert loss.at["1.1.1", "final_points"] == pytest.approx(24) and loss.at[
        "1.1.1", "points_lost"
    ] == pytest.approx(1)
    assert res.fields["code"].tolist() == ["1", "2"]  # the top level of the year
    assert res.unit.peers == "xã, phường, đặc khu"


def test_four_level_comparison_through_the_crosswalk(tmp_path):
    """2024 drops 2.1.2 (10 points, base 10) and adds 2.1.3 (10 points, scored 8); 1.1.2 rises
    from 12,5 to 15. Change 93,9 − 93,4 = +0,5 = performance +2,5 + framework (new +8, dropped −10).
    Group 1: +2,5 (performance); group 2: −2 (framework)."""
    import pandas as pd

    from parlib.analysis.compare import decompose_change
    from parlib.ingest.crosswalk import load_crosswalk

    base_p = tmp_path / "framework_2023.csv"
    base_p.write_text(framework_csv(), encoding="utf-8")
    target_p = tmp_path / "framework_2024.csv"
    target_p.write_text(
        framework_csv()
        .replace("#year: 2023", "#year: 2024")
        .replace("2.1.2,2.1,tiêu chí,Đánh giá của công chức", "2.1.3,2.1,tiêu chí,Khảo sát doanh nghiệp"),
        encoding="utf-8",
    )
    base_fw, target_fw = load_framework(base_p), load_framework(target_p)
    same = ["1.1.1.1", "1.1.1.2", "1.1.2", "1.2.1.1", "1.2.1.2", "2.1.1"]
    cw_p = tmp_path / "crosswalk_2023_2024.csv"
    cw_p.write_text(
        "base_code,target_code,relation,note\n"
        + "".join(f"{c},{c},same,\n" for c in same)
        + "2.1.2,,dropped,\n,2.1.3,new,\n",
        encoding="utf-8",
    )
    cw = load_crosswalk(cw_p, base_fw, target_fw)

    def sc(year, pts):
        return pd.DataFrame(
            {
                "year": year,
                "code": list(pts),
                "is_leaf": True,
                "final_points": list(pts.values()),
                "bonus_points": 0.0,
                "penalty_points": 0.0,
            }
        )

    base_pts = {
        "1.1.1.1": 9,
        "1.1.1.2": 15,
        "1.1.2": 12.5,
        "1.2.1.1": 12.5,
        "1.2.1.2": 16,
        "2.1.1": 18.4,
        "2.1.2": 10,
    }
    target_pts = {**{c: base_pts[c] for c in same}, "1.1.2": 15, "2.1.3": 8}
    _, summary = decompose_change(sc(2023, base_pts), sc(2024, target_pts), cw, target_fw, base_fw)
    assert summary["total_change"] == pytest.approx(0.5)
    assert summary["performance_change"] == pytest.approx(2.5) and summary[
        "framework_effect"
    ] == pytest.approx(-2)
    by = {f["field_code"]: f for f in summary["by_field"]}
    assert by["1"]["change_points"] == pytest.approx(2.5) and by["1"]["performance_points"] == pytest.approx(
        2.5
    )
    assert by["2"]["change_points"] == pytest.approx(-2) and by["2"]["framework_points"] == pytest.approx(-2)
    # every level with children is summarised through the crosswalk, in the year's level words
    lv = {x["depth"]: x for x in summary["by_level"]}
    assert [lv[d]["level_name"] for d in (1, 2, 3)] == ["nhóm điểm", "lĩnh vực", "tiêu chí"]
    mid = {n["code"]: n for n in lv[2]["nodes"]}
    assert set(mid) == {"1.1", "1.2", "2.1"}
    assert mid["1.1"]["change_points"] == pytest.approx(2.5) and mid["1.2"]["change_points"] == pytest.approx(
        0
    )
    # 2.1 lost the dropped 2.1.2 (−10, base 10) and gained the new 2.1.3 (+8)
    assert mid["2.1"]["framework_points"] == pytest.approx(-2) and mid["2.1"][
        "performance_points"
    ] == pytest.approx(0)
    crit = {n["code"]: n for n in lv[3]["nodes"]}
    assert crit["1.1.2"]["performance_points"] == pytest.approx(2.5)
    assert crit["2.1.3"]["framework_points"] == pytest.approx(8)
    # at its own level a dropped item stands alone, named as in the base year
    assert crit["2.1.2 (năm gốc)"]["framework_points"] == pytest.approx(-10)
    assert crit["2.1.2 (năm gốc)"]["name"] == "Đánh giá của công chức"
    for level in lv.values():
        assert sum(n["change_points"] for n in level["nodes"]) == pytest.approx(summary["total_change"])
    t = level_table_vi(summary, 2)
    # the lines, then «Cộng»: +2,50 + 0 − 2,00 = +0,50 = performance +2,50 + framework −2,00
    assert list(t.columns[:2]) == ["Lĩnh vực", "Tên lĩnh vực"] and t["Thay đổi"].tolist() == [
        "2,50",
        "0,00",
        "-2,00",
        "0,50",
    ]
    assert t.iloc[-1]["Tên lĩnh vực"] == "Cộng" and t.iloc[-1]["Do thay đổi bộ tiêu chí"] == "-2,00"
    assert t.iloc[-1]["Do kết quả thực hiện"] == "2,50"
    assert list(level_table_vi(summary, 1).columns[:2]) == ["Nhóm điểm", "Tên nhóm điểm"]


def test_report_depths():
    """The printed report: the top level and every level between it and the one above the leaves."""
    assert report_depths([1, 2]) == [1]  # lĩnh vực / tiêu chí (/ tiêu chí thành phần)
    assert report_depths([1, 2, 3]) == [1, 2]  # nhóm điểm, lĩnh vực (not tiêu chí)
    assert report_depths([1]) == [1]


def test_four_level_annual_report_every_level_in_its_words(tmp_path, monkeypatch):
    """Hand-worked from the module docstring: lĩnh vực 1.1 = 24 + 12,5 = 36,5 of 40; 1.2 = 12,5 + 16
    = 28,5 of 30; 2.1 = 18,4 + 10 = 28,4 of 30 (sum 93,4). Tiêu chí: 1.1.1 24, 1.1.2 12,5, 1.2.1
    28,5, 2.1.1 18,4, 2.1.2 10."""
    from parlib.report import annual as report
    from parlib.report.annual_summary import summary_json

    res = annual.score_year(2023, data_dir(tmp_path), write=False)
    assert res.level_names == ("nhóm điểm", "lĩnh vực", "tiêu chí", "tiêu chí thành phần")
    assert sorted(res.levels) == [1, 2, 3]
    mid = res.levels[2].set_index("code")
    assert mid["final_points"].to_dict() == pytest.approx({"1.1": 36.5, "1.2": 28.5, "2.1": 28.4})
    assert mid["points_lost"].to_dict() == pytest.approx({"1.1": 3.5, "1.2": 1.5, "2.1": 1.6})
    crit = res.levels[3].set_index("code")["final_points"].to_dict()
    assert crit == pytest.approx({"1.1.1": 24, "1.1.2": 12.5, "1.2.1": 28.5, "2.1.1": 18.4, "2.1.2": 10})
    js = summary_json(res)["levels"]
    assert [x["level_name"] for x in js] == ["nhóm điểm", "lĩnh vực", "tiêu chí"]
    assert [n["points"] for n in js[1]["nodes"]] == [36.5, 28.5, 28.4]
    assert {"Nhóm điểm", "Lĩnh vực", "Tiêu chí"} <= set(report.excel_sheets(res))

    shown: list[str] = []
    monkeypatch.setattr(report, "show", lambda obj: shown.append(str(obj)))
    monkeypatch.setattr(report, "figure", lambda fig: None)
    report.levels_section(res)
    html = "".join(shown)
    assert "2. Điểm theo nhóm điểm" in html and "Điểm theo lĩnh vực" in html
    assert (
        "<th>Nhóm điểm</th>" in html and "<th>Lĩnh vực</th>" in html and "<caption>Điểm theo lĩnh vực" in html
    )
    assert "Điểm theo tiêu chí" not in html  # the level above the leaves stays in Excel
    assert "36,50" in html and "28,40" in html
    shown.clear()
    report.conclusions_section(res)
    text = "".join(shown)
    # group 1: 65/70 = 92,9 % (lowest), also the most points lost (5 against 1,6)
    assert "Nhóm điểm có tỷ lệ đạt thấp nhất: nhóm điểm 1 – Nhóm điểm thẩm định (92,9 % điểm tối đa)" in text
    assert "Lĩnh vực có tỷ lệ" not in text
