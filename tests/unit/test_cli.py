"""The `parlib` command: validate every kind of raw file, clear Vietnamese failures, exit codes."""

from __future__ import annotations

import shutil

import pytest

from parlib.cli.main import main
from parlib.core.paths import PROJECT_ROOT

RAW = PROJECT_ROOT / "data" / "raw"


@pytest.mark.parametrize(
    "rel, expected_exit",
    [
        ("framework/framework_2026.csv", 0),
        ("crosswalk/crosswalk_2025_2026.csv", 0),
        ("scoresheet/bang_diem_2025.xlsx", 1),  # the deliberate total mismatch is an error row
        ("scoresheet/bang_diem_2026.xlsx", 1),  # the deliberate parent-sum mismatch
        ("province/ket_qua_par_index_2026.xlsx", 0),
        ("dossiers/ho_so_2025_Q3.xlsx", 1),  # the planted malformed rows are rejected as errors
        ("feedback/pakn_2026.xlsx", 0),
        ("survey/khao_sat_2026_Q3.xlsx", 0),
        ("index766/chi_so_766_2026.xlsx", 0),
        ("tasks/tien_do_2026_Q3.xlsx", 0),
    ],
)
def test_validate_every_kind_of_bundled_file(rel, expected_exit, capsys):
    code = main(["validate", str(RAW / rel)])
    out = capsys.readouterr().out
    assert code == expected_exit, out
    assert out.startswith(f"Tệp: {rel.split('/')[1]}")
    assert "Số dòng đọc:" in out


def test_validate_names_the_problem_cell(capsys):
    main(["validate", str(RAW / "scoresheet" / "bang_diem_2025.xlsx")])
    out = capsys.readouterr().out
    assert "[Lỗi]" in out and "ô F" in out and "Tổng cộng" in out


def test_unknown_file_name_is_a_clear_error(tmp_path, capsys):
    p = tmp_path / "bao_cao.xlsx"
    p.write_bytes(b"x")
    assert main(["validate", str(p)]) == 2
    err = capsys.readouterr().err
    assert "Không nhận ra loại tệp" in err and "bao_cao.xlsx" in err and "Traceback" not in err


def test_csv_renamed_xlsx_is_named_in_vietnamese(tmp_path, capsys):
    data = tmp_path / "data"
    shutil.copytree(RAW / "config", data / "raw" / "config")
    shutil.copytree(RAW / "framework", data / "raw" / "framework")
    bad = data / "raw" / "scoresheet" / "bang_diem_2026.xlsx"
    bad.parent.mkdir(parents=True)
    bad.write_text("STT,Nội dung\n1,abc\n", encoding="utf-8")
    assert main(["validate", str(bad), "--data", str(data)]) == 2
    err = capsys.readouterr().err
    assert "không phải là tệp Excel" in err and "bang_diem_2026.xlsx" in err


def test_annual_on_missing_data_fails_cleanly_and_writes_nothing(tmp_path, capsys):
    out = tmp_path / "reports"
    code = main(["annual", "--year", "2026", "--data", str(tmp_path / "empty"), "--out", str(out)])
    assert code == 2
    err = capsys.readouterr().err
    assert "Không tìm thấy bộ tiêu chí năm 2026" in err and "Traceback" not in err
    assert not out.exists() or not any(out.iterdir())


def test_quarterly_for_a_year_without_holiday_schedule_is_reported(tmp_path, capsys):
    data = tmp_path / "data"
    shutil.copytree(RAW / "config", data / "raw" / "config")
    code = main(
        ["quarterly", "--year", "2027", "--quarter", "1", "--data", str(data), "--out", str(tmp_path / "r")]
    )
    assert code == 2
    assert "2027" in capsys.readouterr().err


def test_framework_whose_maxima_do_not_add_up_stops_the_annual_run(tmp_path, capsys):
    data = tmp_path / "data"
    shutil.copytree(RAW, data / "raw")
    fw = data / "raw" / "framework" / "framework_2026.csv"
    lines = fw.read_text(encoding="utf-8-sig").splitlines()
    # 3.3.3 has max 1 (a leaf): make it 1.5 so 3.3, field 3 and the total no longer add up
    idx = next(i for i, l in enumerate(lines) if l.startswith("3.3.3,"))
    lines[idx] = lines[idx].replace("quá hạn,1,statistics", "quá hạn,1.5,statistics")
    fw.write_text("\n".join(lines) + "\n", encoding="utf-8")
    out = tmp_path / "reports"
    assert main(["annual", "--year", "2026", "--data", str(data), "--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert "Bộ tiêu chí không hợp lệ" in err and "framework_2026.csv" in err and "3.3" in err
    assert not out.exists() or not any(out.iterdir())
    assert not (data / "processed").exists() or not any((data / "processed").glob("*.parquet"))


def test_version_is_printed_on_stdout(capsys):
    import parlib

    with pytest.raises(SystemExit) as e:
        main(["--version"])
    assert e.value.code == 0
    assert capsys.readouterr().out.strip() == f"parlib {parlib.__version__}"


def test_quiet_keeps_results_on_stdout_and_drops_progress(tmp_path, capsys, monkeypatch):
    """-q: no progress lines on stderr; the result (the generated data folder) still reported."""
    import logging

    data = tmp_path / "data"
    shutil.copytree(RAW / "config", data / "raw" / "config")
    shutil.copytree(RAW / "framework", data / "raw" / "framework")
    shutil.copytree(RAW / "crosswalk", data / "raw" / "crosswalk")
    assert (
        main(["-q", "validate", str(data / "raw" / "framework" / "framework_2026.csv"), "--data", str(data)])
        == 0
    )
    cap = capsys.readouterr()
    assert "Hoàn thành sau" not in cap.err
    assert "framework_2026.csv" in cap.out
    assert logging.getLogger("parlib").level == logging.WARNING
    assert (
        main(["validate", str(data / "raw" / "framework" / "framework_2026.csv"), "--data", str(data)]) == 0
    )
    assert "Hoàn thành sau" in capsys.readouterr().err  # default: progress on stderr, decimal comma
    assert logging.getLogger("parlib").level == logging.INFO


def test_machine_faults_are_exit_2_with_the_path_named(tmp_path, capsys):
    """A file where the reports folder should be, or a symlink loop, is the machine's problem:
    a Vietnamese message naming the path, exit 2, no traceback."""
    import errno

    from parlib.cli.main import machine_fault

    data = tmp_path / "data"
    shutil.copytree(RAW, data / "raw")
    blocker = tmp_path / "reports"
    blocker.write_text("not a folder", encoding="utf-8")
    code = main(["quarterly", "--year", "2026", "--quarter", "3", "--data", str(data), "--out", str(blocker)])
    err = capsys.readouterr().err
    assert code == 2 and "Traceback" not in err and str(blocker) in err and "LỖI" in err
    loop = tmp_path / "loop"
    loop.symlink_to(loop)
    code = main(["annual", "--year", "2026", "--data", str(data), "--out", str(loop / "r")])
    err = capsys.readouterr().err
    assert code == 2 and "Traceback" not in err and "loop" in err
    assert "Ổ đĩa đã đầy" in machine_fault(OSError(errno.ENOSPC, "No space left on device", "/x/y.parquet"))
    assert "/x" in machine_fault(OSError(errno.EROFS, "Read-only file system", "/x"))
    assert machine_fault(OSError(errno.EBADF, "Bad file descriptor")) is None  # a software error stays exit 3


def test_argparse_speaks_vietnamese(capsys):
    import argparse

    english = argparse._
    with pytest.raises(SystemExit) as e:
        main(["quarterly", "--year", "2026", "--quarter", "7"])
    err = capsys.readouterr().err
    assert e.value.code == 2
    assert "Cách dùng: parlib quarterly" in err and "lỗi: tham số --quarter: giá trị 7 không hợp lệ" in err
    assert "usage" not in err and "invalid choice" not in err
    with pytest.raises(SystemExit):
        main(["annual", "--year", "hai nghìn"])
    assert "cần kiểu số nguyên" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        main(["--help"])
    out = capsys.readouterr().out
    assert "in hướng dẫn này rồi thoát" in out and "tùy chọn" in out and "show this help" not in out
    assert argparse._ is english  # restored for programs that import parlib


def test_a_bad_unit_file_stops_the_run_naming_the_row(tmp_path, capsys):
    data = tmp_path / "data"
    shutil.copytree(RAW, data / "raw")
    (data / "raw" / "config" / "unit.csv").write_text(
        "key,value\nname,Sở Y tế\nlevel,cấp bộ\n", encoding="utf-8"
    )
    out = tmp_path / "reports"
    assert main(["annual", "--year", "2026", "--base", "2025", "--data", str(data), "--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert "unit.csv" in err and "dòng 3" in err and "cấp «cấp bộ» không hợp lệ" in err
    assert (
        main(["quarterly", "--year", "2026", "--quarter", "3", "--data", str(data), "--out", str(out)]) == 2
    )
    assert not out.exists() or not any(out.iterdir())


def test_a_leaf_missing_from_the_scoresheet_stops_the_annual_run(tmp_path, capsys):
    from openpyxl import load_workbook

    data = tmp_path / "data"
    shutil.copytree(RAW, data / "raw")
    path = data / "raw" / "scoresheet" / "bang_diem_2026.xlsx"
    wb = load_workbook(path)
    ws = wb.active
    row = next(c.row for c in ws["A"] if c.value == "8.4.2")  # a leaf of the sample framework
    ws.delete_rows(row)
    wb.save(path)
    out = tmp_path / "reports"
    assert main(["annual", "--year", "2026", "--base", "0", "--data", str(data), "--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert "1 tiêu chí không có dòng điểm" in err and "«8.4.2»" in err
    assert not out.exists() or not any(out.iterdir())
