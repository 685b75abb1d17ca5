"""Crosswalk between two years' frameworks (bảng đối chiếu tiêu chí giữa hai năm).

``raw/crosswalk/crosswalk_<base>_<year>.csv`` (docs/data-contracts.md, "Crosswalk") maps
every *leaf* of the base framework to the leaves of the later framework with one of the
relations below. ``load_crosswalk`` reads it and raises one ``StructuralError`` naming
every problem (file, CSV line, code).

Rules implemented by ``validate_crosswalk``:
    * relation is one of RELATIONS;
    * same / renamed / remaximised / split / merged need both codes, ``new`` has no base
      code, ``dropped`` no target code;
    * codes exist in their framework and are leaves;
    * every base leaf appears exactly once, except a ``split`` base, which appears on
      ≥ 2 rows, all ``split``; every target leaf appears exactly once, except a ``merged``
      target, which appears on ≥ 2 rows, all ``merged``;
    * same / renamed keep the maximum (tolerance 1e-6); remaximised changes it.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from .errors import InputFormatError, Problem, StructuralError
from .framework import Framework
from .readers import fold, normalise_text, read_csv_table, scrub_text

RELATIONS = ("same", "renamed", "remaximised", "split", "merged", "new", "dropped")
RELATION_VI = {
    "same": "giữ nguyên", "renamed": "đổi tên", "remaximised": "thay đổi điểm tối đa",
    "split": "tách", "merged": "gộp", "new": "mới", "dropped": "bãi bỏ",
}
COLUMNS = ["base_code", "target_code", "relation", "note"]
TOLERANCE = 1e-6


def read_crosswalk_table(path: str | Path) -> pd.DataFrame:
    """Read the crosswalk CSV as text (NFC, '' for blanks; ``note`` scrubbed of phones, e-mails and
    ID numbers) plus ``row`` (1-based CSV line).

    Raises InputFormatError (missing / empty file) or StructuralError (missing columns).
    """
    path = Path(path)
    if not path.exists():
        raise InputFormatError("Không tìm thấy bảng đối chiếu tiêu chí.", [Problem("tệp không tồn tại", file=path.name)])
    df = read_csv_table(path)  # typed errors for an empty, undecodable or malformed file
    df.columns = [fold(c).replace(" ", "_") for c in df.columns]
    missing = [c for c in COLUMNS[:3] if c not in df.columns]
    if missing:
        raise StructuralError("Bảng đối chiếu tiêu chí không hợp lệ: thiếu cột bắt buộc.", [
            Problem(f"không tìm thấy cột «{c}»", file=path.name, column=c) for c in missing])
    if "note" not in df.columns:
        df["note"] = ""
    out = df[COLUMNS].copy()
    for c in COLUMNS:
        out[c] = out[c].map(lambda v: normalise_text(v) or "").astype(str)
    out["note"] = out["note"].map(scrub_text)  # free text: no phone, e-mail or ID number in any output
    out["relation"] = out["relation"].str.lower()
    out["row"] = range(2, len(out) + 2)
    blank = (out[COLUMNS[:3]] == "").all(axis=1)
    return out.loc[~blank].reset_index(drop=True)


def validate_crosswalk(cw: pd.DataFrame, base_nodes: pd.DataFrame, target_nodes: pd.DataFrame, *,
                       base_year: int | str = "gốc", target_year: int | str = "so sánh",
                       file: str = "") -> list[Problem]:
    """Every violation of the crosswalk rules (module docstring); [] when valid.

    ``cw``: columns base_code, target_code, relation (+ optional row). ``*_nodes``: the
    frameworks' node tables (``Framework.nodes``).
    """
    probs: list[Problem] = []

    def add(msg: str, row=None, column: str = "") -> None:
        probs.append(Problem(msg, file=file, row=None if row is None else int(row), column=column))

    cw = cw.copy()
    if "row" not in cw.columns:
        cw["row"] = range(2, len(cw) + 2)
    bmax = dict(zip(base_nodes["code"], base_nodes["max_points"]))
    tmax = dict(zip(target_nodes["code"], target_nodes["max_points"]))
    bleaf = dict(zip(base_nodes["code"], base_nodes["is_leaf"]))
    tleaf = dict(zip(target_nodes["code"], target_nodes["is_leaf"]))

    for r in cw.itertuples(index=False):
        b, t, rel = r.base_code, r.target_code, r.relation
        if rel not in RELATIONS:
            add(f"quan hệ «{rel}» không xác định (same, renamed, remaximised, split, merged, new, dropped)",
                r.row, "relation")
            continue
        if rel == "new":
            if b:
                add(f"quan hệ «new» không được có mã năm {base_year} (đang là «{b}»)", r.row, "base_code")
            if not t:
                add(f"quan hệ «new» cần mã năm {target_year}", r.row, "target_code")
        elif rel == "dropped":
            if t:
                add(f"quan hệ «dropped» không được có mã năm {target_year} (đang là «{t}»)", r.row, "target_code")
            if not b:
                add(f"quan hệ «dropped» cần mã năm {base_year}", r.row, "base_code")
        else:
            if not b:
                add(f"quan hệ «{rel}» cần mã năm {base_year}", r.row, "base_code")
            if not t:
                add(f"quan hệ «{rel}» cần mã năm {target_year}", r.row, "target_code")
        for code, known, leaf, yr, col in ((b, bmax, bleaf, base_year, "base_code"),
                                           (t, tmax, tleaf, target_year, "target_code")):
            if code and code not in known:
                add(f"mã «{code}» không có trong bộ tiêu chí năm {yr}", r.row, col)
            elif code and not leaf[code]:
                add(f"mã «{code}» năm {yr} không phải tiêu chí lá (bảng đối chiếu lập ở cấp lá)", r.row, col)
        if b in bmax and t in tmax and rel in ("same", "renamed", "remaximised"):
            same_max = abs(float(bmax[b]) - float(tmax[t])) <= TOLERANCE
            if rel in ("same", "renamed") and not same_max:
                add(f"«{b}» → «{t}» là «{rel}» nhưng điểm tối đa thay đổi ({_fmt(bmax[b])} → {_fmt(tmax[t])}); "
                    f"hãy dùng «remaximised»", r.row, "relation")
            if rel == "remaximised" and same_max:
                add(f"«{b}» → «{t}» là «remaximised» nhưng điểm tối đa không đổi ({_fmt(bmax[b])})",
                    r.row, "relation")

    known_rel = cw["relation"].isin(RELATIONS)
    probs += _coverage(cw.loc[known_rel], "base_code", "split", "tách", bleaf, base_year, file)
    probs += _coverage(cw.loc[known_rel], "target_code", "merged", "gộp", tleaf, target_year, file)
    return probs


def _coverage(cw: pd.DataFrame, col: str, multi: str, multi_vi: str, leaf: dict, year, file: str) -> list[Problem]:
    """Each leaf once; a ``multi`` (split base / merged target) leaf on ≥ 2 rows, all ``multi``."""
    probs = []
    used = cw.loc[cw[col] != ""]
    for code, g in used.groupby(col, sort=False):
        rows = ", ".join(str(x) for x in g["row"])
        rels = set(g["relation"])
        if multi in rels:
            if rels != {multi}:
                probs.append(Problem(f"mã «{code}» năm {year} vừa «{multi}» vừa có quan hệ khác "
                                     f"({', '.join(sorted(rels - {multi}))}) ở các dòng {rows}", file=file,
                                     column=col))
            elif len(g) < 2:
                probs.append(Problem(f"mã «{code}» năm {year} có quan hệ «{multi}» ({multi_vi}) nhưng chỉ có "
                                     f"1 dòng (cần từ 2 dòng)", file=file, row=int(g["row"].iloc[0]), column=col))
        elif len(g) > 1:
            probs.append(Problem(f"mã «{code}» năm {year} xuất hiện {len(g)} lần (các dòng {rows}); mỗi tiêu chí "
                                 f"lá chỉ được đối chiếu một lần", file=file, column=col))
    present = set(used[col])
    for code, is_leaf in leaf.items():
        if is_leaf and code not in present:
            probs.append(Problem(f"thiếu tiêu chí lá «{code}» năm {year} trong bảng đối chiếu", file=file, column=col))
    return probs


def _fmt(x) -> str:
    return f"{float(x):.6g}".replace(".", ",")


def load_crosswalk(path: str | Path, base_fw: Framework, target_fw: Framework) -> pd.DataFrame:
    """Read and validate a crosswalk between ``base_fw`` and ``target_fw``.

    Returns columns: base_code, target_code, relation, relation_vi, note, row, base_name,
    target_name, base_max, target_max (NaN where the code is empty), in file order.
    Raises StructuralError «Bảng đối chiếu tiêu chí không hợp lệ» listing every problem.
    """
    path = Path(path)
    cw = read_crosswalk_table(path)
    probs = validate_crosswalk(cw, base_fw.nodes, target_fw.nodes, base_year=base_fw.year,
                               target_year=target_fw.year, file=path.name)
    if probs:
        raise StructuralError(f"Bảng đối chiếu tiêu chí {base_fw.year}–{target_fw.year} không hợp lệ.", probs)
    return enrich_crosswalk(cw, base_fw.nodes, target_fw.nodes)


def enrich_crosswalk(cw: pd.DataFrame, base_nodes: pd.DataFrame, target_nodes: pd.DataFrame) -> pd.DataFrame:
    """Add relation_vi, names and maxima of both years to a (valid) crosswalk table."""
    out = cw.copy()
    if "note" not in out.columns:
        out["note"] = ""
    if "row" not in out.columns:
        out["row"] = range(2, len(out) + 2)
    out["relation_vi"] = out["relation"].map(RELATION_VI)
    b = base_nodes.set_index("code")
    t = target_nodes.set_index("code")
    bnames, tnames = b["name"].to_dict(), t["name"].to_dict()
    out["base_name"] = pd.Series([bnames.get(c, "") for c in out["base_code"]], index=out.index, dtype=str)
    out["target_name"] = pd.Series([tnames.get(c, "") for c in out["target_code"]], index=out.index, dtype=str)
    out["base_max"] = out["base_code"].map(b["max_points"]).astype(float)
    out["target_max"] = out["target_code"].map(t["max_points"]).astype(float)
    return out[["base_code", "target_code", "relation", "relation_vi", "note", "row", "base_name",
                "target_name", "base_max", "target_max"]].reset_index(drop=True)
