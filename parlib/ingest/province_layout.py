"""Province-table layouts and unit renames as data (``raw/config/province_layouts.csv``,
``raw/config/unit_renames.csv``); both files are optional.

``province_layouts.csv`` has an ``item`` column and one column per year (other columns, e.g.
``note``, are ignored). Items: ``sheet``, ``header_rows`` (1 or 2), the header spellings of
``unit_name``, ``total_points``, ``index_pct``, ``rank``, ``band`` (``|``-separated; they are added
to the built-in spellings, ``-`` = the table has no such column), ``field_prefix`` (the header
words before a field number, default «Lĩnh vực») and ``is_partial`` (``có`` when the province
published only part of the table, e.g. the top 5). A blank cell keeps the default; a year without
a column uses the defaults.

``unit_renames.csv``: columns ``old_name,new_name`` (a ``note`` column is ignored); every row of
a province table named ``old_name`` is counted as ``new_name`` (renames, and merges when two old
names map to one new name).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from parlib.core.errors import Problem, StructuralError
from parlib.core.paths import Paths
from parlib.core.text import fold, normalise_text
from parlib.ingest.readers import read_csv_table

LAYOUT_FILE = "province_layouts.csv"
RENAMES_FILE = "unit_renames.csv"
DEFAULT_SHEET = "Ket qua"
DEFAULT_SPEC: dict[str, tuple[str, ...]] = {
    "unit_name": (
        "Đơn vị",
        "Tên đơn vị",
        "Tên cơ quan, đơn vị",
        "Cơ quan, đơn vị",
        "Tên cơ quan",
        "Cơ quan",
        "Sở, ban, ngành",
        "Địa phương",
    ),
    "total_points": ("Tổng điểm", "Tổng", "Tổng số điểm", "Điểm đạt được", "Tổng điểm đạt được"),
    "index_pct": ("Chỉ số (%)", "Chỉ số", "Chỉ số CCHC (%)", "Chỉ số (%) đạt được", "Chỉ số CCHC"),
    "rank": ("Xếp hạng", "Thứ hạng", "Thứ tự xếp hạng"),
    "band": ("Xếp loại", "Nhóm", "Phân loại"),
}
ITEMS = ("sheet", "header_rows", *DEFAULT_SPEC, "field_prefix", "is_partial")
_YES = {"co", "x", "1", "yes", "true", "dung"}
_NO = {"khong", "0", "no", "false", ""}


@dataclass(frozen=True)
class ProvinceLayout:
    """How one year's province table is laid out (defaults: the bundled sample's layout)."""

    year: int | None = None
    sheet: str = DEFAULT_SHEET
    header_rows: int = 1
    spec: dict[str, tuple[str, ...]] = field(default_factory=lambda: dict(DEFAULT_SPEC))
    field_prefix: str = "Lĩnh vực"
    is_partial: bool = False
    source: str = ""

    @property
    def field_re(self) -> re.Pattern:
        return re.compile(r"^" + re.escape(fold(self.field_prefix)) + r"\s*([ivx]+|\d+)\b")


def load_province_layouts(paths: Paths) -> dict[int, ProvinceLayout]:
    """``{year: ProvinceLayout}`` from ``province_layouts.csv`` ({} when the file is absent).
    Raises StructuralError naming every problem (unknown item, bad header_rows / is_partial)."""
    p = paths.config / LAYOUT_FILE
    if not p.exists():
        return {}
    name = paths.rel(p)
    df = read_csv_table(p, display_name=name)
    if "item" not in df.columns:
        raise StructuralError(
            "Tệp bố cục bảng kết quả toàn tỉnh không hợp lệ.", [Problem("thiếu cột «item»", file=name)]
        )
    years = [c for c in df.columns if re.fullmatch(r"\d{4}", c.strip())]
    problems: list[Problem] = []
    items = [s.strip() for s in df["item"]]
    for i, it in enumerate(items):
        if it and it not in ITEMS:
            problems.append(
                Problem(
                    f"mục «{it}» không xác định (các mục hợp lệ: {', '.join(ITEMS)})", file=name, row=i + 2
                )
            )
    out: dict[int, ProvinceLayout] = {}
    for y in years:
        vals = {it: (normalise_text(v) or "").strip() for it, v in zip(items, df[y]) if it in ITEMS}
        spec = dict(DEFAULT_SPEC)
        absent = []
        for col in DEFAULT_SPEC:
            v = vals.get(col, "")
            if v == "-":
                absent.append(col)
            elif v:
                spec[col] = tuple(
                    dict.fromkeys([*(s.strip() for s in v.split("|") if s.strip()), *DEFAULT_SPEC[col]])
                )
        for col in absent:
            if col in ("unit_name", "total_points"):
                problems.append(
                    Problem(f"năm {y}: cột «{col}» là bắt buộc, không được ghi «-»", file=name, column=y)
                )
            spec.pop(col, None)
        hr = vals.get("header_rows", "") or "1"
        if hr not in ("1", "2"):
            problems.append(
                Problem(f"năm {y}: «header_rows» phải là 1 hoặc 2, nhận «{hr}»", file=name, column=y)
            )
            hr = "1"
        part = fold(vals.get("is_partial", ""))
        if part not in _YES | _NO:
            problems.append(
                Problem(
                    f"năm {y}: «is_partial» phải là «có» hoặc «không», nhận «{vals['is_partial']}»",
                    file=name,
                    column=y,
                )
            )
        out[int(y)] = ProvinceLayout(
            year=int(y),
            sheet=vals.get("sheet") or DEFAULT_SHEET,
            header_rows=int(hr),
            spec=spec,
            field_prefix=vals.get("field_prefix") or "Lĩnh vực",
            is_partial=part in _YES,
            source=name,
        )
    if problems:
        raise StructuralError(f"Tệp cấu hình «{name}» có lỗi:", problems)
    return out


def province_layout(paths: Paths, year: int) -> ProvinceLayout:
    """The layout of ``year`` (the defaults when the file or the year's column is absent)."""
    return load_province_layouts(paths).get(int(year), ProvinceLayout(year=int(year)))


def load_unit_renames(paths: Paths) -> dict[str, str]:
    """``{old name: new name}`` from ``unit_renames.csv`` ({} when absent). Raises StructuralError
    for missing columns, a blank name or an old name mapped to two different new names."""
    p = paths.config / RENAMES_FILE
    if not p.exists():
        return {}
    name = paths.rel(p)
    df = read_csv_table(p, display_name=name)
    missing = [c for c in ("old_name", "new_name") if c not in df.columns]
    if missing:
        raise StructuralError(
            "Tệp đổi tên đơn vị không hợp lệ.",
            [Problem(f"thiếu cột «{c}»", file=name, column=c) for c in missing],
        )
    out: dict[str, str] = {}
    seen: dict[str, tuple[str, int]] = {}  # folded old name -> (new name, file row)
    problems = []
    for i, (old, new) in enumerate(zip(df["old_name"], df["new_name"])):
        old, new, row = normalise_text(old) or "", normalise_text(new) or "", i + 2
        if not old and not new:
            continue
        if not old or not new:
            problems.append(Problem("cần cả tên cũ và tên mới", file=name, row=row))
            continue
        prev = seen.get(fold(old))
        if prev and fold(prev[0]) != fold(new):
            problems.append(
                Problem(f"tên cũ «{old}» đã được đổi thành «{prev[0]}» ở dòng {prev[1]}", file=name, row=row)
            )
            continue
        seen.setdefault(fold(old), (new, row))
        out[old] = new
    if problems:
        raise StructuralError(f"Tệp «{name}» có lỗi:", problems)
    return out
