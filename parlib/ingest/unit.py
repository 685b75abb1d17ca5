"""The unit configuration ``raw/config/unit.csv``: who is scored, read once per run.

Two shapes are accepted (docs/data-contracts.md, "Unit"):

* key/value: columns ``key,value`` (a ``note`` column is ignored), one row per key;
* one row: the keys as column headers and one row of values.

Keys: ``name`` (required), ``short_name``, ``level`` (sở / huyện / xã / tỉnh), ``province``,
``parent_agency``, ``place``, ``doc_code`` (the agency's abbreviation in a document number),
``recipients`` and ``aliases`` (several values separated by ``;`` or ``|``, or the key repeated on
several rows). The same file feeds the Word report (its keys are a subset of these). ``load_unit(paths, name=...)`` lets a parameter
(``parlib annual --unit …``, the notebooks' ``unit_name``) name another unit of the same province.
"""

from __future__ import annotations

import re
from dataclasses import replace
from pathlib import Path

from parlib.core.errors import ConfigError, Problem, StructuralError
from parlib.core.paths import Paths
from parlib.core.text import normalise_text
from parlib.ingest.readers import read_csv_table
from parlib.model.unit import LEVELS, Unit, level_from_name, parse_level

UNIT_FILE = "unit.csv"
KEYS = (
    "name",
    "short_name",
    "level",
    "province",
    "parent_agency",
    "place",
    "doc_code",
    "recipients",
    "aliases",
)
LIST_KEYS = ("recipients", "aliases")
_PARAM_SOURCE = "tham số --unit / unit_name"


def unit_path(paths: Paths) -> Path:
    return paths.config / UNIT_FILE


def _pairs(path: Path, display: str) -> list[tuple[int, str, str]]:
    """(file row, key, value) of every non-blank entry, in either shape."""
    table = read_csv_table(path, display_name=display)
    cols = [c.strip() for c in table.columns]
    if "key" in cols and "value" in cols:
        return [
            (i + 2, (normalise_text(k) or "").strip().lower(), normalise_text(v) or "")
            for i, (k, v) in enumerate(zip(table["key"], table["value"]))
            if (normalise_text(k) or "").strip()
        ]
    if "name" in cols:
        if len(table) != 1:
            raise StructuralError(
                "Tệp khai báo đơn vị không hợp lệ.",
                [Problem(f"dạng một dòng cần đúng 1 dòng giá trị, có {len(table)} dòng", file=display)],
            )
        return [(2, c, normalise_text(v) or "") for c, v in zip(cols, table.iloc[0]) if c and c != "note"]
    raise StructuralError(
        "Tệp khai báo đơn vị không hợp lệ.",
        [Problem("cần hai cột «key,value» (hoặc một dòng tiêu đề có cột «name»)", file=display)],
    )


def read_unit_file(path: str | Path, *, display_name: str | None = None) -> Unit:
    """Read one unit file. Raises StructuralError naming every problem (file row): an unknown or
    repeated key, a missing name, a level not in sở / huyện / xã / tỉnh."""
    path = Path(path)
    display = display_name or path.name
    values: dict[str, list[str]] = {}
    problems: list[Problem] = []
    seen: dict[str, int] = {}
    for row, key, value in _pairs(path, display):
        if key not in KEYS:
            problems.append(
                Problem(
                    f"khóa «{key}» không xác định (các khóa hợp lệ: {', '.join(KEYS)})", file=display, row=row
                )
            )
            continue
        if key in seen and key not in LIST_KEYS:
            problems.append(
                Problem(f"khóa «{key}» lặp lại (đã có ở dòng {seen[key]})", file=display, row=row)
            )
            continue
        seen.setdefault(key, row)
        parts = [p.strip() for p in re.split(r"[;|]", value)] if key in LIST_KEYS else [value.strip()]
        values.setdefault(key, []).extend(p for p in parts if p)
    one = {k: (v[0] if v else "") for k, v in values.items() if k not in LIST_KEYS}
    if not one.get("name"):
        problems.append(Problem("thiếu tên đơn vị (khóa «name»)", file=display, row=seen.get("name")))
    level = ""
    if one.get("level"):
        level = parse_level(one["level"]) or ""
        if not level:
            problems.append(
                Problem(
                    f"cấp «{one['level']}» không hợp lệ (chỉ nhận: {', '.join(LEVELS)})",
                    file=display,
                    row=seen.get("level"),
                )
            )
    elif one.get("name"):
        level = level_from_name(one["name"]) or ""
    if problems:
        raise StructuralError("Tệp khai báo đơn vị (unit.csv) có lỗi:", problems)
    return Unit(
        name=one["name"],
        short_name=one.get("short_name", ""),
        level=level,
        province=one.get("province", ""),
        parent_agency=one.get("parent_agency", ""),
        place=one.get("place", ""),
        doc_code=one.get("doc_code", ""),
        recipients=tuple(values.get("recipients", [])),
        aliases=tuple(values.get("aliases", [])),
        source=display,
    )


def load_unit(paths: Paths, name: str | None = None) -> Unit:
    """The unit of a run: ``raw/config/unit.csv``, with its name replaced by ``name`` when given.

    A name given alone takes its level from its first words ("Sở …", "UBND xã …") and keeps the
    file's province, parent agency, place and recipients. Without the file and without a name the
    unit is unnamed (``Unit("")``, "Đơn vị" in the text) and ``notes`` says how to declare it.
    Raises StructuralError for a bad file and ConfigError for a blank ``name`` parameter.
    """
    p = unit_path(paths)
    base = read_unit_file(p, display_name=paths.rel(p)) if p.exists() else None
    if name is not None and not normalise_text(name):
        if base is not None:
            return base
        raise ConfigError("Tham số tên đơn vị (--unit) đang để trống.")
    if name:
        name = normalise_text(name)
        level = level_from_name(name) or (base.level if base else "")
        if base is not None and base.name == name:
            return base
        keep = base or Unit("")
        return replace(
            keep,
            name=name,
            short_name="" if keep.level != level or not base else keep.short_name,
            level=level,
            aliases=(),
            source=_PARAM_SOURCE,
        )
    if base is not None:
        return base
    return Unit(
        "",
        notes=(
            f"Chưa khai báo đơn vị: tạo tệp {paths.rel(p)} (khóa name, short_name, level, province) "
            "hoặc dùng tham số --unit; báo cáo tạm gọi là «Đơn vị».",
        ),
    )
