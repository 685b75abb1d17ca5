"""The unit that issues the periodic report, from ``raw/config/unit.csv``.

A key/value table (columns ``key, value``, optional ``note``): ``name`` (the agency, e.g.
"Sở Xây dựng"), ``short_name``, ``level``, ``province``, ``parent_agency`` (the agency above
it, first line of a document's header), ``place`` (the place name before the date),
``doc_code`` (the agency's abbreviation in a document number, "Số: …/BC-<doc_code>") and
``recipients`` (the "Nơi nhận" list, separated by ``;``). Nothing of it is in the code: a key
absent from the file is absent from the document (the draft shows a field for the analyst).

One accessor, :func:`load_unit_info`, so that it can be merged with the unit reader of the
reports (the unit-as-data work) without touching its callers.
"""

from __future__ import annotations

from pathlib import Path

from parlib.core.errors import Problem, StructuralError
from parlib.core.paths import Paths
from parlib.core.text import normalise_text
from parlib.ingest.readers import read_csv_table

FILE_NAME = "unit.csv"
KEYS = ("name", "short_name", "level", "province", "parent_agency", "place", "doc_code", "recipients")


def unit_path(paths: Paths) -> Path:
    return paths.config / FILE_NAME


def read_unit_file(path: str | Path, *, display_name: str | None = None) -> dict:
    """The keys of the file (``recipients`` as a list of text). Raises InputFormatError for an
    unreadable file and StructuralError naming every unknown or repeated key (file row)."""
    path = Path(path)
    name = display_name or path.name
    table = read_csv_table(path, display_name=name)
    missing = [c for c in ("key", "value") if c not in table.columns]
    if missing:
        raise StructuralError(
            f"Tệp thông tin đơn vị «{name}» thiếu cột:",
            [Problem("thiếu cột bắt buộc", file=name, column=c) for c in missing],
        )
    out: dict = {}
    rows: dict[str, int] = {}
    problems = []
    for i, (k, v) in enumerate(zip(table["key"], table["value"])):
        key, value = (normalise_text(k) or "").lower(), normalise_text(v) or ""
        row = i + 2
        if not key and not value:
            continue
        if key not in KEYS:
            problems.append(
                Problem(
                    f"khóa «{key}» không có (chỉ có: {', '.join(KEYS)})", file=name, row=row, column="key"
                )
            )
            continue
        if key in rows:
            problems.append(
                Problem(f"khóa «{key}» đã có ở dòng {rows[key]}", file=name, row=row, column="key")
            )
            continue
        rows[key] = row
        if value:
            out[key] = [x.strip() for x in value.split(";") if x.strip()] if key == "recipients" else value
    if problems:
        raise StructuralError(f"Tệp thông tin đơn vị «{name}» có lỗi:", problems)
    return out


def load_unit_info(paths: Paths) -> dict:
    """The unit's keys from ``raw/config/unit.csv`` ({} when the file is absent)."""
    p = unit_path(paths)
    return read_unit_file(p, display_name=paths.rel(p)) if p.exists() else {}
