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

from parlib.core.errors import InputFormatError, Problem, StructuralError
from parlib.core.text import fold, normalise_text, scrub_frame, scrub_text
from parlib.ingest.readers import read_csv_table
from parlib.model.crosswalk import COLUMNS, enrich_crosswalk, validate_crosswalk
from parlib.model.framework import Framework


def read_crosswalk_table(path: str | Path) -> pd.DataFrame:
    """Read the crosswalk CSV as text (NFC, '' for blanks; ``note`` scrubbed of phones, e-mails and
    ID numbers) plus ``row`` (1-based CSV line).

    Raises InputFormatError (missing / empty file) or StructuralError (missing columns).
    """
    path = Path(path)
    if not path.exists():
        raise InputFormatError(
            "Không tìm thấy bảng đối chiếu tiêu chí.", [Problem("tệp không tồn tại", file=path.name)]
        )
    df = read_csv_table(path)  # typed errors for an empty, undecodable or malformed file
    df.columns = [fold(c).replace(" ", "_") for c in df.columns]
    missing = [c for c in COLUMNS[:3] if c not in df.columns]
    if missing:
        raise StructuralError(
            "Bảng đối chiếu tiêu chí không hợp lệ: thiếu cột bắt buộc.",
            [Problem(f"không tìm thấy cột «{c}»", file=path.name, column=c) for c in missing],
        )
    if "note" not in df.columns:
        df["note"] = ""
    out = df[COLUMNS].copy()
    for c in COLUMNS:
        out[c] = out[c].map(lambda v: normalise_text(v) or "").astype(str)
    # every text column scrubbed (the note as free text) before the relation is lower-cased
    out = scrub_frame(out, free_text=("note",))
    out["note"] = out["note"].map(scrub_text)  # free text: no phone, e-mail or ID number in any output
    out["relation"] = out["relation"].str.lower()
    out["row"] = range(2, len(out) + 2)
    blank = (out[COLUMNS[:3]] == "").all(axis=1)
    return out.loc[~blank].reset_index(drop=True)


def load_crosswalk(path: str | Path, base_fw: Framework, target_fw: Framework) -> pd.DataFrame:
    """Read and validate a crosswalk between ``base_fw`` and ``target_fw``.

    Returns columns: base_code, target_code, relation, relation_vi, note, row, base_name,
    target_name, base_max, target_max (NaN where the code is empty), in file order.
    Raises StructuralError «Bảng đối chiếu tiêu chí không hợp lệ» listing every problem.
    """
    path = Path(path)
    cw = read_crosswalk_table(path)
    probs = validate_crosswalk(
        cw, base_fw.nodes, target_fw.nodes, base_year=base_fw.year, target_year=target_fw.year, file=path.name
    )
    if probs:
        raise StructuralError(f"Bảng đối chiếu tiêu chí {base_fw.year}–{target_fw.year} không hợp lệ.", probs)
    return enrich_crosswalk(cw, base_fw.nodes, target_fw.nodes)
