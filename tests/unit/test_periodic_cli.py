"""``parlib periodic`` and ``parlib all`` around the Word draft (notebook reports stubbed out)."""

from __future__ import annotations

import shutil
from types import SimpleNamespace

import pytest

from parlib.cli import commands
from parlib.cli.main import main
from parlib.core.paths import PROJECT_ROOT

RAW = PROJECT_ROOT / "data" / "raw"


@pytest.mark.parametrize("name", ["report_windows.csv", "unit.csv"])
def test_validate_config_files(name, capsys):
    assert main(["validate", str(RAW / "config" / name)]) == 0
    out = capsys.readouterr().out
    assert out.startswith(f"Tệp: {name}") and "Không phát hiện vấn đề nào." in out


@pytest.fixture
def data(tmp_path, monkeypatch):
    """A copy of the sample; the notebook reports of ``parlib all`` are not rendered."""
    shutil.copytree(RAW, tmp_path / "data" / "raw")
    monkeypatch.setattr(
        commands,
        "render",
        lambda spec, paths, **kw: SimpleNamespace(spec=spec, files=[], out_dir=paths.out, warnings=[]),
    )
    return tmp_path


def test_all_builds_the_draft_of_the_latest_complete_window(data, capsys):
    args = ["--data", str(data / "data"), "--out", str(data / "out")]
    assert main(["all", *args]) == 0
    out = capsys.readouterr().out
    assert "Dự thảo báo cáo CCHC quý III năm 2026" in out
    assert (data / "out" / "2026-bc-q3" / "bao_cao_cchc_2026_q3.docx").exists()


def test_all_without_windows_file_says_so_and_builds_the_rest(data, capsys):
    (data / "data" / "raw" / "config" / "report_windows.csv").unlink()
    assert main(["all", "--data", str(data / "data"), "--out", str(data / "out")]) == 0
    err = capsys.readouterr().err
    assert "thiếu raw/config/report_windows.csv" in err
    assert not (data / "out" / "2026-bc-q3").exists()
    # asked for explicitly, the missing file is an error (exit 2) naming it
    assert main(["periodic", "--data", str(data / "data"), "--out", str(data / "out")]) == 2
    assert "Thiếu tệp kỳ báo cáo raw/config/report_windows.csv" in capsys.readouterr().err
