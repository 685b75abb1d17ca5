"""The unit as data (issue 18): raw/config/unit.csv, the --unit parameter, the words of the reports,
and no unit or province name in the package code."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from parlib.core.errors import ConfigError, StructuralError
from parlib.core.paths import Paths
from parlib.ingest.unit import load_unit, read_unit_file
from parlib.model.unit import Unit, level_from_name, parse_level
from parlib.report.province import rank_phrase

PACKAGE = Path(__file__).resolve().parents[2] / "parlib"


def _paths(tmp_path, text: str | None) -> Paths:
    (tmp_path / "raw" / "config").mkdir(parents=True)
    if text is not None:
        (tmp_path / "raw" / "config" / "unit.csv").write_text(text, encoding="utf-8")
    return Paths(data=tmp_path, out=tmp_path / "out")


def test_key_value_file_with_lists_and_notes(tmp_path):
    paths = _paths(
        tmp_path,
        "key,value,note\n"
        "name,Sở Y tế,tên\n"
        "short_name,Sở,\n"
        "level,Cấp sở,\n"
        "province,Gia Lai,\n"
        "recipients,UBND tỉnh;Sở Nội vụ,\n"
        'recipients,"Lưu: VT, VP",\n'
        "aliases,Sở Y tế tỉnh Gia Lai cũ,\n",
    )
    u = load_unit(paths)
    assert (u.name, u.short_name, u.level, u.province) == ("Sở Y tế", "Sở", "sở", "Gia Lai")
    assert u.recipients == ("UBND tỉnh", "Sở Nội vụ", "Lưu: VT, VP")
    assert u.full_name == "Sở Y tế tỉnh Gia Lai"
    assert u.peers == "sở, ban, ngành" and u.subject == "Sở"
    assert u.matches("SỞ Y TẾ") and u.matches("sở y tế tỉnh gia lai cũ") and not u.matches("Sở Tư pháp")
    assert u.source == "raw/config/unit.csv"


def test_one_row_file_and_commune_words(tmp_path):
    paths = _paths(tmp_path, "name,level,province\nUBND xã Ea Kao,xã,Đắk Lắk\n")
    u = load_unit(paths)
    assert u.level == "xã" and u.subject == "Xã" and u.peers == "xã, phường, đặc khu"
    assert u.full_name == "UBND xã Ea Kao, tỉnh Đắk Lắk"
    assert rank_phrase(9, 20, u) == "xếp thứ 9/20 xã, phường, đặc khu"
    assert rank_phrase(3, 5, u, is_partial=True) == "xếp thứ 3 trong số các đơn vị được công bố (5 đơn vị)"


def test_errors_name_every_row(tmp_path):
    paths = _paths(tmp_path, "key,value\nshort_name,Sở\nlevel,cấp bộ\ncolour,xanh\nshort_name,S\n")
    with pytest.raises(StructuralError) as e:
        load_unit(paths)
    msg = str(e.value)
    assert "dòng 3" in msg and "cấp «cấp bộ» không hợp lệ" in msg  # the bad level, with its row
    assert "dòng 4" in msg and "khóa «colour» không xác định" in msg
    assert "dòng 5" in msg and "lặp lại (đã có ở dòng 2)" in msg
    assert "thiếu tên đơn vị" in msg
    paths = _paths(tmp_path / "b", "foo,bar\n1,2\n")
    with pytest.raises(StructuralError, match="key,value"):
        load_unit(paths)


def test_parameter_overrides_the_file_and_absent_file(tmp_path):
    paths = _paths(tmp_path, "key,value\nname,Sở Xây dựng\nshort_name,Sở\nlevel,sở\nprovince,Gia Lai\n")
    u = load_unit(paths, "UBND huyện Chư Sê")
    # the level follows the new name; the province is kept; the file's short name is not
    assert (u.name, u.level, u.province, u.subject) == ("UBND huyện Chư Sê", "huyện", "Gia Lai", "Huyện")
    assert u.peers == "huyện, thị xã, thành phố"
    assert load_unit(paths, "Sở Xây dựng") == load_unit(paths)  # the same unit: the file as it is
    bare = load_unit(_paths(tmp_path / "c", None))
    assert bare.name == "" and bare.subject == "Đơn vị" and bare.peers == "đơn vị" and bare.notes
    with pytest.raises(ConfigError):
        load_unit(_paths(tmp_path / "d", None), "  ")


def test_levels_and_names():
    assert parse_level("Huyện") == "huyện" and parse_level("cấp xã") == "xã" and parse_level("bộ") is None
    assert level_from_name("Ban Quản lý các khu công nghiệp") == "sở"
    assert level_from_name("UBND phường Tân An") == "xã" and level_from_name("UBND tỉnh Gia Lai") == "tỉnh"
    assert Unit("UBND tỉnh Gia Lai", level="tỉnh", province="Gia Lai").full_name == "UBND tỉnh Gia Lai"


def test_sample_unit_reproduces_the_department():
    u = read_unit_file(Path(__file__).resolve().parents[2] / "data" / "raw" / "config" / "unit.csv")
    assert u.full_name == "Sở Xây dựng tỉnh Đắk Lắk" and u.subject == "Sở" and u.peers == "sở, ban, ngành"
    # for the Word report: the same file, recipients separated by «;»
    assert u.parent_agency == "UBND tỉnh Đắk Lắk" and u.doc_code == "SXD"
    assert u.recipients == (
        "UBND tỉnh (để báo cáo)",
        "Sở Nội vụ (để tổng hợp)",
        "Giám đốc và các Phó Giám đốc Sở",
        "Lưu: VT, VP",
    )


# names of units and provinces that must live in data files, never in the code
FORBIDDEN = re.compile(
    r"Xây dựng|Đắk Lắk|Đăk Lăk|Dak Lak|Phú Yên|Buôn Ma Thuột|Gia Lai|Sở Tư pháp|Sở Y tế|Sở Tài chính|"
    r"Sở Nội vụ tỉnh|Giao thông vận tải",
    re.IGNORECASE,
)


def test_no_unit_or_province_name_in_the_package_code():
    """Every unit and province name comes from data (parlib/generate/ makes the illustrative
    sample and may name its department)."""
    hits = []
    for p in sorted(PACKAGE.rglob("*.py")):
        if "generate" in p.relative_to(PACKAGE).parts:
            continue
        for i, line in enumerate(p.read_text(encoding="utf-8").splitlines(), 1):
            if FORBIDDEN.search(line):
                hits.append(f"{p.relative_to(PACKAGE.parent)}:{i}: {line.strip()}")
    assert not hits, "unit or province names in the code:\n" + "\n".join(hits)
