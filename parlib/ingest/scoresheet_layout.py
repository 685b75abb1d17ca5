"""Scoresheet layouts as data (``raw/config/scoresheet_layouts.csv``) and the classification of
scoresheet rows (codes, roman numerals, subtotals, notes, column numbering).
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from parlib.core.errors import ConfigError
from parlib.core.text import fold, normalise_text
from parlib.ingest.readers import read_csv_table

LOGICAL_COLUMNS = [
    "code",
    "name",
    "max_points",
    "self_points",
    "appraisal1_points",
    "explanation",
    "final_points",
    "bonus_points",
    "penalty_points",
    "reason",
]
NUMERIC_COLUMNS = [
    "max_points",
    "self_points",
    "appraisal1_points",
    "final_points",
    "bonus_points",
    "penalty_points",
]
SCORE_COLUMNS = ["self_points", "appraisal1_points", "final_points"]
LAYOUT_ITEMS = ["sheet", "header_rows"] + LOGICAL_COLUMNS
REQUIRED_ITEMS = ["sheet", "header_rows", "code", "name", "max_points", "final_points"]
ABSENT = "-"
NOT_APPLICABLE = {"-", "–", "—", "x", "X"}  # "không áp dụng" marks in number cells = blank
_ROMANS = {r: i + 1 for i, r in enumerate("I II III IV V VI VII VIII IX X XI XII XIII XIV XV".split())}
_ROMAN_RE = re.compile(r"^(?P<r>[IVX]+)\s*[.\-–—:)]?$")
_DOTTED_RE = re.compile(r"^\d+(\.\d+)*\.?$")
_GRAND_RE = re.compile(r"^(tong cong|tong diem|tong so diem)\b|^tong\s*(:.*)?$")
_SUBTOTAL_RE = re.compile(r"^cong(\s+(linh vuc|lv)\b.*|\s+[ivx]+\b.*|\s+\d+\b.*|\s*[:(].*|\s*)$")
_NOTE_RE = re.compile(r"^(ghi chu|luu y|chu thich|nguon|\(\*\)|\*)")
_OPTION_RE = re.compile(r"^([-+•–—*]|[a-zđ]\s*[).]|[a-zđ]$)")
_COLNUM_RE = re.compile(r"^\(?(\d+|[A-Z])\)?$")
# "Tổng điểm lĩnh vực I", "Tổng lĩnh vực II", "Tổng cộng lĩnh vực 3": a field's subtotal, not the grand total
_FIELD_TOTAL_RE = re.compile(r"^(tong diem|tong cong|tong so diem|tong|diem)\s+(cua\s+)?(linh vuc|lv)\b")
_UNIT_RE = re.compile(
    r"(?:—|–|-|:)\s*((?:Sở|Ban|Văn phòng|Thanh tra|UBND|Ủy ban nhân dân|Uỷ ban nhân dân|Huyện|Thị xã|Thành phố|"
    r"Xã|Phường|Đặc khu)\s.+?)(?:,?\s+tỉnh\s+.+)?$"
)


# ---------------------------------------------------------------- layouts


@dataclass(frozen=True)
class Layout:
    """Scoresheet layout of one year. ``columns`` maps each logical column present that
    year to its accepted header spellings (flattened text, ``|``-separated alternatives)."""

    year: int
    sheet: str
    header_rows: int
    columns: dict[str, tuple[str, ...]]

    @property
    def absent(self) -> list[str]:
        return [c for c in LOGICAL_COLUMNS if c not in self.columns]


class Layouts(dict):
    """``{year: Layout}``; looking up a year without a layout raises ConfigError."""

    def __missing__(self, year):
        have = ", ".join(str(y) for y in sorted(self)) or "không có"
        raise ConfigError(
            f"Chưa có bố cục bảng điểm cho năm {year} trong scoresheet_layouts.csv. "
            f"Các năm hiện có: {have}. Hãy thêm cột «{year}» vào tệp cấu hình."
        )


def load_layouts(path: str | Path) -> Layouts:
    """Read ``scoresheet_layouts.csv`` (columns ``item`` + one per year; other columns,
    e.g. ``note``, are ignored). Raises ConfigError listing every problem: missing file,
    unknown or duplicated items, a required item absent, ``header_rows`` not 1 or 2."""
    path = Path(path)
    if not path.exists():
        raise ConfigError(f"Không tìm thấy tệp cấu hình bố cục bảng điểm «{path}».")
    df = read_csv_table(path)
    years = [c for c in df.columns if re.fullmatch(r"\d{4}", c)]
    probs: list[str] = []
    if "item" not in df.columns or not years:
        raise ConfigError(f"Tệp «{path.name}» cần cột «item» và ít nhất một cột năm (ví dụ «2025»).")
    items = df["item"].map(lambda s: s.strip())
    for it in sorted(set(items) - set(LAYOUT_ITEMS)):
        probs.append(f"mục «{it}» không xác định (các mục hợp lệ: {', '.join(LAYOUT_ITEMS)})")
    for it in sorted(set(items[items.duplicated()])):
        probs.append(f"mục «{it}» bị lặp")
    out = Layouts()
    for y in years:
        vals = {it: (normalise_text(v) or "") for it, v in zip(items, df[y])}
        for it in REQUIRED_ITEMS:
            if vals.get(it, ABSENT) in ("", ABSENT):
                probs.append(f"năm {y}: thiếu mục bắt buộc «{it}»")
        hr = vals.get("header_rows", "")
        if hr not in ("1", "2"):
            probs.append(f"năm {y}: «header_rows» phải là 1 hoặc 2, nhận «{hr}»")
        cols = {
            c: tuple(s.strip() for s in vals[c].split("|") if s.strip())
            for c in LOGICAL_COLUMNS
            if vals.get(c, ABSENT) not in ("", ABSENT)
        }
        if not probs:
            out[int(y)] = Layout(int(y), vals["sheet"], int(hr), cols)
    if probs:
        raise ConfigError(
            f"Tệp cấu hình «{path.name}» không hợp lệ:\n" + "\n".join(f"  - {p}" for p in probs)
        )
    return out


# ---------------------------------------------------------------- row classification


def roman_to_int(s: str) -> int | None:
    """``'IV' -> 4`` for the Roman numerals I..XV used for fields; None otherwise."""
    return _ROMANS.get(s)


def parse_code(value) -> tuple[str | None, str]:
    """(code, kind) of a code cell. kind: 'blank', 'field' (Roman), 'dotted', 'number'
    (a dotted code typed as an Excel number), 'option' (a letter/bullet) or 'text'."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return None, "blank"
    if isinstance(value, (int, np.integer)) and not isinstance(value, bool):
        return str(int(value)), "dotted"
    if isinstance(value, (float, np.floating)):
        return (str(int(value)), "dotted") if float(value).is_integer() else (repr(float(value)), "number")
    s = normalise_text(value) or ""
    if not s:
        return None, "blank"
    m = _ROMAN_RE.match(s)
    if m and roman_to_int(m.group("r")):
        return str(roman_to_int(m.group("r"))), "field"
    if _DOTTED_RE.match(s):
        return s.rstrip("."), "dotted"
    if _OPTION_RE.match(s):
        return None, "option"
    return None, "text"


def _row_text(values: list, pos: dict[str, int]) -> str:
    for key in ("code", "name"):
        v = values[pos[key]] if key in pos else None
        if v is not None and normalise_text(v):
            return normalise_text(v)
    for v in values:
        if v is not None and normalise_text(v):
            return normalise_text(v)
    return ""


def _is_column_numbering(values: list) -> bool:
    """A row numbering the columns: ``(1) (2) (3)…``, ``1 2 3…`` or ``A B 1 2 3…`` (letters
    first, in order, then increasing numbers); at least 3 cells, nothing else on the row."""
    vals = []
    for v in values:
        if v is None or (isinstance(v, float) and math.isnan(v)):
            continue
        if isinstance(v, (int, float, np.integer, np.floating)) and not isinstance(v, bool):
            if not float(v).is_integer():
                return False
            v = str(int(v))
        t = normalise_text(v)
        if t:
            vals.append(t.strip("()"))
    if len(vals) < 3 or not all(_COLNUM_RE.match(v) for v in vals):
        return False
    letters = [v for v in vals if not v.isdigit()]
    nums = [int(v) for v in vals if v.isdigit()]
    if vals[: len(letters)] != letters or len(nums) < 2:
        return False
    in_order = all(ord(b) == ord(a) + 1 for a, b in zip(letters, letters[1:]))
    return in_order and all(b > a for a, b in zip(nums, nums[1:]))


def classify_uncoded(text: str, *, after_total: bool, seen_code: bool) -> tuple[str, str]:
    """(kind, Vietnamese ledger reason) of a row without a code.

    kind: 'blank', 'grand_total', 'subtotal', 'note', 'option' or 'heading'."""
    if not text:
        return "blank", "dòng trống"
    f = fold(text)
    if _FIELD_TOTAL_RE.match(f):
        return "subtotal", "dòng cộng lĩnh vực"
    if _GRAND_RE.match(f):
        return "grand_total", "dòng tổng cộng"
    if _SUBTOTAL_RE.match(f):
        return "subtotal", "dòng cộng lĩnh vực"
    if _NOTE_RE.match(f) or after_total:
        return "note", "dòng ghi chú"
    if _OPTION_RE.match(text) or seen_code:
        return "option", "dòng phương án chấm điểm"
    return "heading", "dòng tiêu đề mục"


def _subtotal_field(text: str, current: str | None) -> str | None:
    m = re.search(r"\b([IVX]+|\d+)\b\s*$", normalise_text(text) or "")
    if m:
        tok = m.group(1)
        return str(int(tok)) if tok.isdigit() else (str(roman_to_int(tok)) if roman_to_int(tok) else current)
    return current


PRINT_TOL = 0.005 + 1e-9  # printed values are rounded to 2 decimals
TOL = 1e-9
SCORE_COLUMNS_OUT = [
    "year",
    "unit_name",
    "code",
    "level",
    "is_leaf",
    "name",
    "max_points",
    "self_points",
    "appraisal1_points",
    "explanation",
    "final_points",
    "bonus_points",
    "penalty_points",
    "reason",
    "source",
    "sheet",
    "row",
]
COLUMN_VI = {
    "max_points": "điểm tối đa",
    "self_points": "điểm tự đánh giá",
    "appraisal1_points": "điểm thẩm định lần 1",
    "final_points": "điểm thẩm định cuối cùng",
    "bonus_points": "điểm thưởng",
    "penalty_points": "điểm trừ",
}
