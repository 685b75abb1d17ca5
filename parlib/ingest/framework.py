"""Reading a year's framework file (``raw/framework/framework_<year>.csv``) and the offices list;
the rules it is checked against live in :mod:`parlib.model.framework`.
"""

from __future__ import annotations

import csv
import io
import re
import unicodedata
from pathlib import Path

import pandas as pd

from parlib.core.errors import ConfigError, InputFormatError, Problem, StructuralError
from parlib.core.io import read_input
from parlib.core.paths import Paths
from parlib.core.text import fold, normalise_text, scrub_frame, scrub_identifiers
from parlib.ingest.readers import read_csv_table
from parlib.model.framework import (
    _METHOD_ALIASES,
    _TRUE,
    COLUMNS,
    DEFAULT_LEVEL_NAMES,
    LEVELS,
    REQUIRED_COLUMNS,
    Framework,
    _normalise_choice,
    _parse_number,
    canonical_level,
    level_depths,
    parse_levels,
    validate_framework,
)

# ---------------------------------------------------------------- reading


def _read_text(path: Path) -> str:
    raw = read_input(path)  # read once, hashed for provenance
    for enc in ("utf-8-sig", "cp1258"):
        try:
            return raw.decode(enc)
        except UnicodeDecodeError:
            continue
    raise InputFormatError(
        "Không đọc được tệp bộ tiêu chí.",
        [Problem("bảng mã không phải UTF-8 hoặc Windows-1258", file=path.name)],
    )


def _split_meta_and_rows(text: str) -> tuple[dict, list[tuple[int, list[str]]]]:
    """Leading ``#key: value`` lines -> meta; remaining CSV records with their line numbers.

    Excel appends commas to metadata lines (``#year: 2025,,,``) or quotes them; the cells of
    such a line are re-joined with ',' after dropping trailing empty cells.
    """
    meta: dict[str, str] = {}
    records: list[tuple[int, list[str]]] = []
    reader = csv.reader(io.StringIO(text))
    in_meta = True
    start = 1
    for cells in reader:
        line = start
        start = reader.line_num + 1
        while cells and not cells[-1].strip():
            cells = cells[:-1]
        if in_meta and cells and cells[0].lstrip().startswith("#"):
            body = ",".join(cells).lstrip()[1:]
            key, sep, value = body.partition(":")
            if sep:
                meta[fold(key).replace(" ", "_")] = normalise_text(value) or ""
            continue
        if not cells:
            continue  # blank line (or a row of commas)
        in_meta = False
        records.append((line, cells))
    return meta, records


def _norm(v) -> str:
    return normalise_text(v) or ""


def read_framework_table(path: str | Path) -> tuple[pd.DataFrame, dict]:
    """Read a framework CSV without validating the hierarchy.

    Returns (nodes, meta): ``nodes`` has the contract columns as NFC text ('' for blanks)
    plus ``row`` (1-based CSV line); ``max_points`` is still text. Raises InputFormatError
    for a missing or empty file and StructuralError for missing required columns.
    """
    path = Path(path)
    name = path.name
    if not path.exists():
        raise InputFormatError("Không tìm thấy tệp bộ tiêu chí.", [Problem("tệp không tồn tại", file=name)])
    meta, records = _split_meta_and_rows(_read_text(path))
    if not records:
        raise InputFormatError(
            "Tệp bộ tiêu chí không có dòng tiêu đề.", [Problem("không có dữ liệu", file=name)]
        )
    header_line, header = records[0]
    keys = [fold(h).replace(" ", "_") for h in header]
    missing = [c for c in REQUIRED_COLUMNS if c not in keys]
    if missing:
        raise StructuralError(
            "Bộ tiêu chí không hợp lệ: thiếu cột bắt buộc.",
            [
                Problem(
                    f"không tìm thấy cột «{c}» (dòng tiêu đề {header_line})",
                    file=name,
                    column=c,
                    row=header_line,
                )
                for c in missing
            ],
        )
    pos = {c: keys.index(c) for c in COLUMNS if c in keys}
    rows = []
    for line, cells in records[1:]:
        rec = {c: _norm(cells[j]) if j < len(cells) else "" for c, j in pos.items()}
        for c in COLUMNS:
            rec.setdefault(c, "")
        rec["row"] = line
        rows.append(rec)
    nodes = pd.DataFrame(rows, columns=COLUMNS + ["row"])
    for c in COLUMNS:
        nodes[c] = nodes[c].astype(str)
    nodes["row"] = nodes["row"].astype(int)
    return scrub_frame(nodes), meta


# ---------------------------------------------------------------- public loader


def load_framework(path: str | Path, offices: list[str] | None = None) -> Framework:
    """Read and validate ``framework_<year>.csv``; return a Framework.

    ``offices``: valid office names (e.g. ``offices.csv``'s ``office_name``); when given,
    owner and partner offices must be among them. The year comes from ``#year`` or the file
    name. Raises InputFormatError (unreadable file) or StructuralError «Bộ tiêu chí không
    hợp lệ» listing every violation with its CSV line.
    """
    path = Path(path)
    nodes, meta = read_framework_table(path)
    name = path.name
    extra: list[Problem] = []
    total = _parse_number(meta.get("total_points", ""))
    m = re.search(r"(\d{4})", path.stem)
    year_txt = meta.get("year") or (m.group(1) if m else "")
    year = int(year_txt) if year_txt.isdigit() else None
    if year is None:
        extra.append(
            Problem("không xác định được năm (dòng «#year: …» hoặc tên tệp framework_<năm>.csv)", file=name)
        )
    elif m and meta.get("year") and int(m.group(1)) != year:
        extra.append(Problem(f"năm trong tệp ({year}) khác năm trong tên tệp ({m.group(1)})", file=name))
    levels = parse_levels(meta.get("levels"))
    probs = extra + validate_framework(
        nodes, float("nan") if total is None else total, file=name, offices=offices, levels=levels
    )
    if probs:
        raise StructuralError("Bộ tiêu chí không hợp lệ.", probs)
    out = nodes.copy()
    out["max_points"] = out["max_points"].map(_parse_number).astype(float)
    depth_of = level_depths(levels)
    n_levels = len(levels) if levels else len(LEVELS)
    names = list(levels or DEFAULT_LEVEL_NAMES)
    out["level_name"] = out["level"].map(lambda v: names[depth_of[fold(v)] - 1])
    out["level"] = out["level"].map(lambda v: canonical_level(depth_of[fold(v)], n_levels))
    out["method"] = out["method"].map(lambda v: _normalise_choice(v, _METHOD_ALIASES) or "")
    parents = set(out["parent_code"])
    out["is_leaf"] = ~out["code"].isin(parents)
    out["depth"] = out["code"].str.count(r"\.").astype(int) + 1
    out["field_code"] = out["code"].str.split(".").str[0]
    out = out[COLUMNS + ["is_leaf", "depth", "field_code", "level_name", "row"]].reset_index(drop=True)
    illustrative = fold(meta.get("illustrative", "")) in _TRUE
    return Framework(
        nodes=out, meta=meta, year=year, total_points=float(total), is_illustrative=illustrative, source=path
    )


def find_framework(framework_dir: str | Path, year: int) -> Path:
    """Path of ``framework_<year>.csv`` in ``framework_dir``; ConfigError (Vietnamese) naming
    the years that exist when it is missing."""
    d = Path(framework_dir)
    p = d / f"framework_{int(year)}.csv"
    if p.exists():
        return p
    have = sorted(q.stem.split("_")[-1] for q in d.glob("framework_*.csv")) if d.exists() else []
    have_txt = ", ".join(have) if have else "không có"
    raise ConfigError(
        f"Không tìm thấy bộ tiêu chí năm {year} ({p}). Các năm hiện có: {have_txt}. "
        f"Hãy tạo tệp framework_{year}.csv theo mẫu trong docs/data-contracts.md."
    )


def load_offices(path: str | Path) -> list[str]:
    """Office names (``office_name`` column, NFC) of ``offices.csv``."""
    df = read_csv_table(path)
    if "office_name" not in df.columns:
        raise StructuralError(
            "Danh mục đơn vị không hợp lệ.",
            [Problem("không tìm thấy cột «office_name»", file=Path(path).name, column="office_name")],
        )
    return [
        scrub_identifiers(unicodedata.normalize("NFC", s).strip()) for s in df["office_name"] if s.strip()
    ]


def framework_of_year(paths: Paths, year: int) -> Framework:
    offices_file = paths.config / "offices.csv"
    offices = load_offices(offices_file) if offices_file.exists() else None
    return load_framework(find_framework(paths.framework, year), offices=offices)
