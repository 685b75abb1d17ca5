"""The catalog of raw inputs: where each kind of file lives under ``data/raw/`` and how it is named.

Every stage finds its files through these functions, so a file name is spelled in one place.
"""

from __future__ import annotations

from pathlib import Path

from parlib.core.errors import ConfigError
from parlib.core.paths import Paths


def scoresheet_path(paths: Paths, year: int) -> Path:
    p = paths.scoresheets / f"bang_diem_{year}.xlsx"
    if not p.exists():
        have = sorted(x.name for x in paths.scoresheets.glob("*.xlsx")) if paths.scoresheets.exists() else []
        raise ConfigError(
            f"Không tìm thấy bảng điểm năm {year}: cần tệp {p}. "
            f"Các tệp hiện có: {', '.join(have) or 'không có'}."
        )
    return p


def crosswalk_path(paths: Paths, base_year: int, year: int) -> Path:
    p = paths.raw / "crosswalk" / f"crosswalk_{base_year}_{year}.csv"
    if not p.exists():
        raise ConfigError(f"Thiếu bảng đối chiếu tiêu chí giữa năm {base_year} và {year}: cần tệp {p}.")
    return p


def province_path(raw_dir: str | Path, year: int) -> Path:
    """``<raw>/province/ket_qua_par_index_<year>.xlsx`` (not checked for existence)."""
    return Path(raw_dir) / "province" / f"ket_qua_par_index_{int(year)}.xlsx"
