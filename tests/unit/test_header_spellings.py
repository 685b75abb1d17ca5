"""Header spellings as data (issue 18): a renamed column in next year's export is a line in
raw/config/header_spellings.csv, not a code change — for the dossier exports, feedback, survey, 766,
task status and the province table, through ``parlib validate`` (the same readers and options as the reports)."""

from __future__ import annotations

import shutil

import pytest
from openpyxl import load_workbook

from parlib.cli.main import main
from parlib.core.errors import StructuralError
from parlib.core.paths import PROJECT_ROOT, Paths
from parlib.ingest.spellings import load_header_spellings

RAW = PROJECT_ROOT / "data" / "raw"

# (file under raw/, header as exported today, the new spelling of next year's export, kind, column)
CASES = [
    ("dossiers/ho_so_2026_Q3.xlsx", "Ngày hẹn trả", "Ngày hẹn trả kết quả", "dossiers", "due_at"),
    ("feedback/pakn_2026.xlsx", "Mã PAKN", "Số hiệu phản ánh", "feedback", "feedback_id"),
    ("survey/khao_sat_2026_Q3.xlsx", "Hài lòng chung", "Mức độ hài lòng tổng thể", "survey", "overall"),
    ("index766/chi_so_766_2026.xlsx", "Điểm tối đa", "Điểm chuẩn", "index766", "max_points"),
    ("tasks/tien_do_2026_Q3.xlsx", "Trạng thái", "Tình hình thực hiện", "task_status", "status"),
    ("province/ket_qua_par_index_2026.xlsx", "Tổng điểm", "Điểm tổng hợp", "province", "total_points"),
]


def _rename_header(path, old: str, new: str) -> None:
    wb = load_workbook(path)
    hits = [c for ws in wb.worksheets for row in ws.iter_rows(max_row=30) for c in row if c.value == old]
    assert len(hits) == 1, (path, old, len(hits))
    hits[0].value = new
    wb.save(path)


@pytest.mark.parametrize("rel, old, new, kind, column", CASES)
def test_a_renamed_header_is_one_line_of_config(tmp_path, capsys, rel, old, new, kind, column):
    data = tmp_path / "data"
    shutil.copytree(RAW, data / "raw")
    path = data / "raw" / rel
    _rename_header(path, old, new)
    before = main(["validate", str(path), "--data", str(data)])
    capsys.readouterr()
    (data / "raw" / "config" / "header_spellings.csv").write_text(
        f"file,column,spelling,note\n{kind},{column},{new},đổi tên từ năm 2027\n", encoding="utf-8"
    )
    after = main(["validate", str(path), "--data", str(data)])
    out = capsys.readouterr()
    assert before == 2  # the renamed column is a structural error naming it
    assert after in (0, 1), out.err  # read again: only content issues remain, as with the original file


def test_spellings_file_errors_name_every_row(tmp_path):
    cfg = tmp_path / "raw" / "config"
    cfg.mkdir(parents=True)
    (cfg / "header_spellings.csv").write_text(
        "file,column,spelling\n"
        "dossier,status,Tình trạng\n"  # not a kind with spellings as data (yet)
        "feedback,colour,Màu\n"
        "survey,overall,\n"
        "tasks,task_name,Tên công việc|Nội dung nhiệm vụ\n",
        encoding="utf-8",
    )
    with pytest.raises(StructuralError) as e:
        load_header_spellings(Paths(data=tmp_path))
    msg = str(e.value)
    assert "dòng 2" in msg and "loại tệp «dossier» không xác định" in msg
    assert "dòng 3" in msg and "cột «colour» không có trong tệp «feedback»" in msg
    assert "dòng 4" in msg and "thiếu cách viết" in msg
    (cfg / "header_spellings.csv").write_text(
        "file,column,spelling\ntasks,task_name,Tên công việc|Nội dung nhiệm vụ\ntasks,task_name,Việc\n",
        encoding="utf-8",
    )
    assert load_header_spellings(Paths(data=tmp_path)) == {
        "tasks": {"task_name": ("Tên công việc", "Nội dung nhiệm vụ", "Việc")}
    }
