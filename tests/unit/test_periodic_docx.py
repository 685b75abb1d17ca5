"""The Word draft read back with python-docx: page setup, fonts, header block, window dates,
every figure equal to summary.json, no template placeholder, unit from data."""

import json
import re

import _periodic_cases as P
import pandas as pd
import pytest
from docx import Document
from docx.shared import Mm

from parlib.core.paths import Paths
from parlib.core.vnformat import fmt_int, fmt_pct
from parlib.ingest.windows import find_window, load_report_windows
from parlib.pipelines.periodic import PeriodicResult
from parlib.report.periodic_outputs import docx_name, summary_json, write_periodic

WINDOWS = load_report_windows(P.CONFIG / "report_windows.csv")
Q1 = find_window(WINDOWS, 2026, "q1")
UNIT = {
    "name": "Sở Y tế",
    "parent_agency": "UBND tỉnh Gia Lai",
    "place": "Gia Lai",
    "doc_code": "SYT",
    "short_name": "Sở",
    "recipients": ["UBND tỉnh (để báo cáo)", "Sở Nội vụ (để tổng hợp)", "Lưu: VT"],
}


def result(tmp_path, unit=UNIT) -> PeriodicResult:
    fig = P.figures_q1()
    paths = Paths.from_args(tmp_path / "data", tmp_path / "reports")
    f1 = paths.raw / "dossiers" / "ho_so_2026_Q1.xlsx"
    f1.parent.mkdir(parents=True, exist_ok=True)
    f1.write_bytes(b"stand-in")  # only its name and checksum are used here
    paths.config.mkdir(parents=True, exist_ok=True)
    (paths.config / "report_windows.csv").write_bytes((P.CONFIG / "report_windows.csv").read_bytes())
    return PeriodicResult(
        window=Q1,
        figures=fig,
        unit=unit,
        framework=None,
        is_illustrative=False,
        inputs=[f1, paths.config / "report_windows.csv"],
        issues=pd.DataFrame(columns=["severity"]),
        ledger=pd.DataFrame(),
        paths=paths,
    )


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("periodic")
    res = result(tmp)
    files = write_periodic(res)
    return res, Document(str(files[0])), json.loads(files[1].read_text(encoding="utf-8")), files


def all_text(doc) -> str:
    parts = [p.text for p in doc.paragraphs]
    for t in doc.tables:
        for row in t.rows:
            parts.extend(c.text for c in row.cells)
    return "\n".join(parts)


def test_files_in_the_window_folder(built):
    res, _, summary, files = built
    assert [f.name for f in files] == [
        "bao_cao_cchc_2026_q1.docx",
        "summary.json",
        "bao_cao_cchc_2026_q1.manifest.json",
    ]
    assert files[0].parent.name == "2026-bc-q1" and docx_name(res) == files[0].name
    assert summary["report"] == "periodic" and summary["window"] == {
        "id": "q1",
        "year": 2026,
        "label": "quý I năm 2026",
        "start": "2025-12-15",
        "end": "2026-03-14",
        "deadline": "2026-03-20",
    }
    assert not [p for p in files[0].parent.parent.iterdir() if p.name.startswith(".")]


def test_page_setup_and_fonts(built):
    _, doc, _, _ = built
    s = doc.sections[0]
    assert abs(s.page_width - Mm(210)) < Mm(0.5) and abs(s.page_height - Mm(297)) < Mm(0.5)
    mm = {k: round(getattr(s, f"{k}_margin").mm, 1) for k in ("top", "bottom", "left", "right")}  # twips
    assert 20 <= mm["top"] <= 25 and 20 <= mm["bottom"] <= 25
    assert 30 <= mm["left"] <= 35 and 15 <= mm["right"] <= 20
    normal = doc.styles["Normal"].font
    assert normal.name == "Times New Roman" and 13 <= normal.size.pt <= 14
    runs = [r for p in doc.paragraphs for r in p.runs if r.text.strip()]
    assert runs and all(r.font.name == "Times New Roman" for r in runs)
    body = [r for p in doc.paragraphs for r in p.runs if r.text.startswith("- Tỷ lệ")]
    assert body and all(13 <= r.font.size.pt <= 14 for r in body)


def test_header_block_and_title_from_the_unit(built):
    _, doc, _, _ = built
    left, right = (c.text for c in doc.tables[0].rows[0].cells)
    assert left.split("\n")[:2] == ["UBND TỈNH GIA LAI", "SỞ Y TẾ"] and "Số: …/BC-SYT" in left
    assert "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM" in right and "Độc lập - Tự do - Hạnh phúc" in right
    assert "Gia Lai, ngày … tháng … năm 2026" in right
    texts = [p.text for p in doc.paragraphs]
    i = texts.index("BÁO CÁO")
    assert texts[i + 1] == "Kết quả thực hiện công tác cải cách hành chính quý I năm 2026"
    assert all(r.bold for r in doc.paragraphs[i].runs)
    text = all_text(doc)
    assert "Nơi nhận:" in text and "- UBND tỉnh (để báo cáo);" in text and "- Lưu: VT." in text
    assert "Đắk Lắk" not in text and "Sở Xây dựng" not in text  # the unit comes from data, never from code


def test_window_dates_and_sources_line(built):
    _, doc, _, _ = built
    text = all_text(doc)
    assert "từ ngày 15/12/2025 đến ngày 14/03/2026" in text
    last = [p.text for p in doc.paragraphs if p.text.strip()][-1]
    assert last.startswith("Nguồn số liệu: kỳ báo cáo quý I năm 2026, từ ngày 15/12/2025 đến ngày 14/03/2026")
    assert "ho_so_2026_Q1.xlsx" in last and "report_windows.csv" in last


def test_every_figure_equals_summary(built):
    _, doc, summary, _ = built
    tables = {t.rows[0].cells[1].text: t for t in doc.tables[2:]}  # annex tables by their 2nd header
    t1 = tables["Chỉ tiêu"]
    rows = {r.cells[1].text: [c.text for c in r.cells] for r in t1.rows[1:]}
    assert len(rows) == len(summary["kpis"])
    for k in summary["kpis"].values():
        r = rows[k["label"]]
        assert r[2:5] == [fmt_int(k["numerator"]), fmt_int(k["denominator"]), fmt_pct(k["pct"])], k["label"]
    # hand-worked: 2/5 on time (40,0 %), apology 1/3
    assert rows["Tỷ lệ hồ sơ giải quyết trước hạn, đúng hạn"][2:5] == ["2", "5", "40,0 %"]
    t2 = tables["Phòng, đơn vị"]
    offices = {o["office"]: o for o in summary["offices"]}
    for r in t2.rows[1:-1]:
        o = offices[r.cells[1].text]
        assert [c.text for c in r.cells[2:6]] == [
            fmt_int(o["handled"]),
            fmt_int(o["on_time"]),
            fmt_int(o["late"]),
            fmt_pct(o["on_time_pct"]),
        ]
    total = [c.text for c in t2.rows[-1].cells]
    assert total[1] == "Tổng cộng" and total[2:5] == ["5", "2", "3"]
    k = summary["kpis"]["on_time_pct"]
    text = all_text(doc)
    assert f"{fmt_pct(k['pct'])} ({fmt_int(k['numerator'])}/{fmt_int(k['denominator'])} hồ sơ)" in text
    t3 = tables["Đơn vị chủ trì"]
    assert [c.text for c in t3.rows[-1].cells][2:] == [
        fmt_int(summary["tasks"][x]) for x in ("n_tasks", "n_due", "n_due_done", "n_late", "n_not_updated")
    ] + ["25,0 %"]  # on time: T1 of the 4 tasks
    by = {r.cells[1].text: r.cells[-1].text for r in t3.rows[1:-1]}
    assert by == {"Văn phòng Sở": "50,0 %", "Phòng B": "0,0 %"}  # T1 of T1, T2; none of T3, T4


def test_no_placeholder_left(built):
    _, doc, _, _ = built
    text = all_text(doc)
    assert "{" not in text and "}" not in text
    assert not re.search(r"\b(nan|None|NaT)\b", text)
    marks = re.findall(r"\[[^\]]*\]", text)
    assert marks and all(m.startswith("[Đơn vị bổ sung: ") for m in marks)
    # the satisfaction action has no rule text here: it is asked of the analyst
    assert "[Đơn vị bổ sung: giải pháp khắc phục đối với chỉ tiêu «tỷ lệ người dân, tổ chức hài lòng" in text
    # the action with an owner and a date
    assert "Chủ trì: Phòng B. Hạn hoàn thành: 14/06/2026 (trước ngày chốt số liệu kỳ báo cáo 6 tháng" in text


def test_missing_unit_keys_are_fields_not_inventions(tmp_path):
    res = result(tmp_path, unit={})
    doc = Document(str(write_periodic(res)[0]))
    left, right = (c.text for c in doc.tables[0].rows[0].cells)
    assert "[Đơn vị bổ sung: cơ quan cấp trên]" in left and "[Đơn vị bổ sung: tên cơ quan]" in left
    assert "[Đơn vị bổ sung: địa danh], ngày … tháng … năm 2026" in right
    assert "[Đơn vị bổ sung: nơi nhận]" in all_text(doc)


def test_manifest_names_every_input_with_its_checksum(built):
    _, _, _, files = built
    man = json.loads(files[2].read_text(encoding="utf-8"))
    assert [i["path"] for i in man["inputs"]] == [
        "raw/dossiers/ho_so_2026_Q1.xlsx",
        "raw/config/report_windows.csv",
    ]
    # sha256 of b"stand-in"
    assert man["inputs"][0]["sha256"] == __import__("hashlib").sha256(b"stand-in").hexdigest()
    assert man["params"] == {"year": 2026, "window": "q1"}


def test_same_inputs_same_summary_and_document(tmp_path):
    a = result(tmp_path / "a")
    b = result(tmp_path / "b")
    assert summary_json(a) == summary_json(b)
    fa, fb = write_periodic(a)[0], write_periodic(b)[0]
    assert all_text(Document(str(fa))) == all_text(Document(str(fb)))
