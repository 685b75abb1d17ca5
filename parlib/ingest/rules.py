"""The analyst's configuration tables under ``raw/config``, each read once per run: action rules,
cause keywords, comment themes, bands and plan targets.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from parlib.core.cells import parse_numbers
from parlib.core.errors import ConfigError, Problem, StructuralError
from parlib.core.paths import Paths
from parlib.core.text import fold, normalise_text, scrub_frame
from parlib.ingest.readers import read_cells, read_csv_table
from parlib.model.action_rules import REQUIRED as ACTION_REQUIRED
from parlib.model.action_rules import action_rule_table
from parlib.model.cause_rules import KEYWORD_COLUMNS, cause_keyword_table
from parlib.model.cause_rules import REQUIRED as KEYWORD_REQUIRED
from parlib.model.dossier_rules import KpiRules

# ---------------------------------------------------------------- rules


def load_action_rules(path: str | Path) -> pd.DataFrame:
    """Read and validate the rule table. Returns RULE_COLUMNS + ``rule_row`` (1-based file row).
    Raises StructuralError listing missing columns, blank required cells and unparsable
    conditions or plan task lists."""
    cells, sheet = read_cells(path)
    name = Path(path).name
    headers = [normalise_text(h) or "" for h in cells.iloc[0].tolist()]
    missing = [c for c in ACTION_REQUIRED if c not in headers]
    if missing:
        raise StructuralError(
            "Bảng quy tắc giải pháp thiếu cột.",
            [Problem("thiếu cột bắt buộc", file=name, sheet=sheet, column=c) for c in missing],
        )
    df = pd.DataFrame(cells.iloc[1:].to_numpy(), columns=headers)
    df.index = np.arange(2, len(df) + 2)
    return action_rule_table(df, file=name)


def load_bands(paths: Paths, year: int | None = None, province: str | None = None) -> pd.DataFrame:
    """``raw/config/bands.csv``: ``band_name, min_pct`` and, optionally, ``province`` and ``year``.

    Rows with a blank province or year apply to every province or year. For a given year and
    province the most specific set of rows is used: province and year, else the year, else the
    province, else the rows with neither (the global scale). Raises ConfigError (missing file)
    or StructuralError (missing column, a threshold that is not a number, a year that is not
    one, or no row at all for the year and province).
    """
    bands = _read_bands(paths)
    if year is None and province is None:
        return bands
    return _bands_for(bands, year, province, paths.rel(paths.config / "bands.csv"))


def _bands_for(bands: pd.DataFrame, year: int | None, province: str | None, name: str) -> pd.DataFrame:
    yr = bands["year"].str.strip() if "year" in bands.columns else pd.Series("", index=bands.index)
    pv = (
        bands["province"].map(lambda v: fold(v or ""))
        if "province" in bands.columns
        else pd.Series("", index=bands.index)
    )
    bad = [i for i, v in yr.items() if v and not v.isdigit()]
    if bad:
        raise StructuralError(
            "Tệp xếp loại không hợp lệ.",
            [
                Problem(f"năm «{yr[i]}» không phải là năm", file=name, row=int(i) + 2, column="year")
                for i in bad
            ],
        )
    y_ok = yr.eq("") | (yr == str(year)) if year is not None else yr.eq("")
    p_ok = pv.eq("") | (pv == fold(province)) if province else pv.eq("")
    cand = bands.loc[y_ok & p_ok]
    for mask in (
        (yr.ne("") & pv.ne("")),
        (yr.ne("") & pv.eq("")),
        (yr.eq("") & pv.ne("")),
        (yr.eq("") & pv.eq("")),
    ):
        chosen = cand.loc[mask.reindex(cand.index)]
        if len(chosen):
            return chosen.reset_index(drop=True)
    raise StructuralError(
        "Tệp xếp loại không có ngưỡng cho năm và tỉnh này.",
        [
            Problem(
                f"không có dòng nào cho năm {year}, tỉnh «{province or ''}» (và không có dòng chung)",
                file=name,
            )
        ],
    )


def _read_bands(paths: Paths) -> pd.DataFrame:
    p = paths.config / "bands.csv"
    if not p.exists():
        raise ConfigError(f"Thiếu tệp xếp loại {p} (cột band_name, min_pct).")
    bands = read_csv_table(p, display_name=paths.rel(p))
    missing = [c for c in ("band_name", "min_pct") if c not in bands.columns]
    if missing:
        raise StructuralError(
            "Tệp xếp loại không hợp lệ.",
            [Problem(f"thiếu cột «{c}»", file=paths.rel(p), column=c) for c in missing],
        )
    pct, bad = parse_numbers(bands["min_pct"].astype(object))
    bad = bad | pct.isna()
    if bad.any():
        raise StructuralError(
            "Tệp xếp loại không hợp lệ.",
            [
                Problem(f"ngưỡng «{v}» không phải là số", file=paths.rel(p), row=int(i) + 2, column="min_pct")
                for i, v in bands.loc[bad, "min_pct"].items()
            ],
        )
    return bands.assign(min_pct=pct)


def load_cause_keywords(path: str | Path) -> pd.DataFrame:
    """Read and validate the keyword table (CSV or xlsx, UTF-8 with or without BOM).

    Returns the table of :func:`cause_keyword_table`. Raises InputFormatError for an unreadable
    file and StructuralError listing every missing column and every bad cell.
    """
    cells, sheet = read_cells(path)
    name = Path(path).name
    headers = [normalise_text(h) or "" for h in cells.iloc[0].tolist()]
    missing = [c for c in KEYWORD_REQUIRED if c not in headers]
    if missing:
        raise StructuralError(
            "Bảng từ khóa nguyên nhân thiếu cột.",
            [Problem("thiếu cột bắt buộc", file=name, sheet=sheet, column=c) for c in missing],
        )
    df = pd.DataFrame(cells.iloc[1:].to_numpy(), columns=headers)
    df = df[[c for c in KEYWORD_COLUMNS if c in df.columns]]
    df.index = np.arange(2, len(df) + 2)  # 1-based file rows (header is row 1)
    return cause_keyword_table(df, file=name)


def load_comment_themes(path: str | Path) -> pd.DataFrame:
    """Read the theme table. Returns theme, keyword (NFC, case-folded), theme_order (first
    appearance). Raises StructuralError naming missing columns and blank cells."""
    cells, _ = read_cells(path)
    name = Path(path).name
    headers = [normalise_text(h) or "" for h in cells.iloc[0].tolist()]
    missing = [c for c in ("theme", "keyword") if c not in headers]
    if missing:
        raise StructuralError(
            "Bảng chủ đề góp ý thiếu cột.",
            [Problem("thiếu cột bắt buộc", file=name, column=c) for c in missing],
        )
    df = pd.DataFrame(cells.iloc[1:].to_numpy(), columns=headers)[["theme", "keyword"]].map(normalise_text)
    df = scrub_frame(df.dropna(how="all").reset_index(drop=True), skip=())  # before case-folding
    problems = [
        Problem("ô trống", file=name, row=int(i) + 2, column=c)
        for c in ("theme", "keyword")
        for i in df.index[df[c].isna()]
    ]
    if problems:
        raise StructuralError("Bảng chủ đề góp ý có ô trống.", problems)
    df["keyword"] = df["keyword"].str.casefold()
    df = df.drop_duplicates(["theme", "keyword"]).reset_index(drop=True)
    df["theme_order"] = df["theme"].map({t: i for i, t in enumerate(dict.fromkeys(df["theme"]))})
    return df.astype({"theme": "str", "keyword": "str"})


def load_targets(paths: Paths) -> pd.DataFrame:
    p = paths.config / "targets.csv"
    if not p.exists():
        raise ConfigError(f"Thiếu tệp mục tiêu {paths.rel(p)}.")

    return read_csv_table(p, display_name=paths.rel(p))


KPI_RULE_PARAMETERS = {"apology_lead_days": int, "end_of_processing": str}


def load_kpi_rules(paths: Paths) -> KpiRules:
    """``raw/config/kpi_rules.csv`` (columns ``parameter, value, note``) -> :class:`KpiRules`;
    the defaults of the sources when the file is absent. Raises StructuralError naming every
    unknown parameter or unusable value (file row)."""
    p = paths.config / "kpi_rules.csv"
    if not p.exists():
        return KpiRules()
    table = read_csv_table(p, display_name=paths.rel(p))
    missing = [c for c in ("parameter", "value") if c not in table.columns]
    if missing:
        raise StructuralError(
            f"Tệp tham số chỉ tiêu «{p.name}» thiếu cột:",
            [Problem("thiếu cột", file=p.name, column=c) for c in missing],
        )
    values, problems = {}, []
    for i, (name, value) in enumerate(zip(table["parameter"], table["value"])):
        name, value = normalise_text(name) or "", normalise_text(value) or ""
        row = i + 2
        if name not in KPI_RULE_PARAMETERS:
            problems.append(
                Problem(
                    f"tham số «{name}» không có (chỉ có: {', '.join(KPI_RULE_PARAMETERS)})",
                    file=p.name,
                    row=row,
                )
            )
            continue
        try:
            values[name] = KPI_RULE_PARAMETERS[name](value)
        except ValueError:
            problems.append(Problem(f"giá trị «{value}» của «{name}» không dùng được", file=p.name, row=row))
    if not problems:
        try:
            return KpiRules(**values)
        except ValueError as exc:
            problems.append(Problem(f"giá trị không hợp lệ: {exc}", file=p.name))
    raise StructuralError(f"Tệp tham số chỉ tiêu «{p.name}» có lỗi:", problems)
