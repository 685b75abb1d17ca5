"""Ingestion of the dossier exports of the provincial TTHC system (issue 3 writes, issue 4 reads).

``read_dossier_exports`` reads quarterly exports (docs/data-contracts.md, "Dossier export"):
structure check, both date styles (Excel datetimes, ``dd/mm/yyyy HH:MM`` text), personal data
dropped, duplicates resolved, due dates recomputed from the procedure's deadline, content
problems in the issues table, every input row in the ledger.

Decisions (where the contract was silent)
    * Personal data: columns whose header names personal data (``pii_columns``, any spelling)
      and every unmapped column are dropped before any value is parsed; only their header is
      reported. No salted hash is kept: de-duplication is by dossier number (not personal data).
    * Rejected rows (error issue + ledger ``rejected``): no dossier number, procedure code or
      receipt date; an unreadable date in any date column; a count that is not a whole number
      ≥ 0. A blank due date is kept (warning; the recomputed one stands in for the KPIs).
      Title, header and blank rows and rows with none of dossier number, procedure code and
      receipt date (notes, totals) are ``skipped``.
    * Duplicates: the record of the later file wins (files ordered by ``<year>_Q<q>`` in the
      name, then name), then the later status (open < finished < returned/stopped), the latest
      event, the row content: never the order of rows or files. Losers: ledger ``skipped``, info.
    * ``Có``/``Không`` flags: blank in a present column = False; missing column = <NA> (unknown,
      left out of the KPI denominators). Channel blank = 1 (in person), as in the 766 rules.
    * ``snapshot_at``: when the record's status was true — the end of the quarter in the file
      name (first instant of the next quarter), else the latest event date in the file. The KPIs
      do not judge an unfinished record after its snapshot (its fate is unknown).
    * Due-date check: day units compare dates, hours compare to the minute. Receipts in a year
      without a complete official holiday schedule get no recomputed due date and one warning
      per year (reported, not assumed).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import partial
from pathlib import Path

import numpy as np
import pandas as pd

from parlib.core.cache import cached, has_unchanged_copy
from parlib.core.calendar import WorkCalendar
from parlib.core.cells import arrow_strings
from parlib.core.errors import ParlibError, Problem, StructuralError
from parlib.core.frames import Pile, only_used_categories
from parlib.core.issues import (
    Ledger,
    concat_issues,
    finish_issues,
    issues_frame,
    scrub_issues,
)
from parlib.core.memory import release_free_memory
from parlib.core.parallel import parse_in_order
from parlib.core.paths import Paths
from parlib.core.text import SOURCE_COLUMNS, fold, pii_columns, scrub_frame
from parlib.ingest.dossier_columns import (
    EVENT_COLUMNS,
    HEADERS,
    OUTPUT_COLUMNS,
    REQUIRED,
    SHEET,
    as_categories,
)
from parlib.ingest.dossier_merge import DEDUP_COLUMNS, deduplicate, enrich, repeated_numbers
from parlib.ingest.dossier_parse import _parse, consistency_issues
from parlib.ingest.readers import (
    extend_spec,
    find_header_row,
    flatten_header,
    map_columns,
    object_cells,
    read_cells,
    spellings_key,
)
from parlib.model.dossier_rules import (
    END_COLUMNS,
)


@dataclass(frozen=True)
class DossierResult:
    """``dossiers`` (one row per dossier number, OUTPUT_COLUMNS), ``issues`` (issues table)
    and ``ledger`` (rows per source/status/reason; read = used + rejected + skipped)."""

    dossiers: pd.DataFrame
    issues: pd.DataFrame
    ledger: pd.DataFrame


# ---------------------------------------------------------------- reading one file


def _file_key(path: Path) -> tuple[int, int, str]:
    """Order of exports: ``ho_so_2026_Q1`` before ``ho_so_2026_Q2``; others by name, first."""
    m = re.search(r"(\d{4})_Q([1-4])", path.name, flags=re.IGNORECASE)
    return (int(m.group(1)), int(m.group(2)), path.name) if m else (-1, -1, path.name)


def _file_cutoff(path: Path):
    """First instant after the quarter named in the file (``ho_so_2026_Q1`` -> 2026-04-01), or NaT."""
    year, quarter, _ = _file_key(path)
    return pd.Timestamp(year, 3 * quarter - 2, 1) + pd.DateOffset(months=3) if year > 0 else pd.NaT


# a first parse's cost per MB of export (2-core machine, bench/RESULTS.md: a 300k-row export is
# 120 MB of CSV parsed in about 1,8 s, 48 MB of .xlsx in about 10 s): large exports are parsed
# on two cores (core.parallel)
PARSE_SECONDS_PER_MB = {".csv": 0.015, ".txt": 0.015, ".xlsx": 0.22, ".xlsm": 0.22, ".xls": 0.22}

HEADER_ROWS = 30  # the header row is looked for in the first 30 rows


def _cells_of(column: pd.Series):
    """A body column's cells without its index: Arrow text stays Arrow (parsed by Arrow), in
    one piece (every later selection of rows from a column of many pieces joins them all)."""
    strings = arrow_strings(column)
    return pd.arrays.ArrowStringArray(strings) if strings is not None else column.to_numpy(dtype=object)


def _read_one(
    path: Path,
    source: str,
    rank: int,
    problems: list[Problem],
    issues: list[pd.DataFrame],
    ledger: Ledger,
    headers_spec: dict = HEADERS,
) -> pd.DataFrame | None:
    """Raw frame of the mapped, non-personal columns of one export (object cells; Arrow text
    cells for a CSV file Arrow reads), or None when the file has structural problems (appended
    to ``problems``)."""
    try:
        cells, sheet = read_cells(path, SHEET, display_name=source, text_arrays=True)
    except StructuralError as exc:
        problems.extend(exc.problems)
        return None
    head = object_cells(cells.iloc[:HEADER_ROWS])  # what the header search and labels read
    header_row = find_header_row(head, headers_spec["dossier_id"], max_rows=HEADER_ROWS)
    if header_row is None:
        problems.append(
            Problem("không tìm thấy dòng tiêu đề «Số hồ sơ» trong 30 dòng đầu", file=source, sheet=sheet)
        )
        return None
    headers = flatten_header(head, header_row)
    pii = set(pii_columns(headers))
    visible = ["" if j in pii else h for j, h in enumerate(headers)]
    try:
        mapping, extras = map_columns(
            visible, headers_spec, required=REQUIRED, file=source, sheet=sheet, header_row=header_row
        )
    except StructuralError as exc:
        problems.extend(exc.problems)
        return None
    if not any(c in mapping for c in END_COLUMNS):
        problems.append(
            Problem(
                "không có cột «Ngày xử lý xong», «Ngày trả kết quả» hay «Ngày dừng xử lý»",
                file=source,
                sheet=sheet,
            )
        )
        return None
    notes = [
        (
            "info",
            "pii_column_dropped",
            headers[j],
            "Đã loại bỏ cột dữ liệu cá nhân khi nhập (NĐ 13/2023/NĐ-CP).",
        )
        for j in sorted(pii)
    ]
    notes += [
        ("info", "column_ignored", h, "Cột không có trong mẫu xuất hồ sơ, không sử dụng.")
        for h in extras
        if fold(h) != "stt"
    ]
    notes += [
        (
            "warning",
            "column_missing",
            headers_spec[c][0],
            "Thiếu cột; chỉ số liên quan không tính được cho các hồ sơ của tệp này.",
        )
        for c in headers_spec
        if c not in mapping
    ]
    issues.append(
        issues_frame(
            [
                {
                    "severity": s,
                    "rule": r,
                    "source": source,
                    "sheet": sheet,
                    "cell": "",
                    "row": header_row + 1,
                    "column": col,
                    "code": "",
                    "value": "",
                    "message": m,
                }
                for s, r, col, m in notes
            ]
        )
    )
    ledger.add(source, "skipped", header_row + 1, "dòng tiêu đề", sheet)
    body = cells.iloc[header_row + 1 :]
    blank = body.isna().all(axis=1).to_numpy()
    ledger.add(source, "skipped", int(blank.sum()), "dòng trống", sheet)
    body = body[~blank]
    frame = pd.DataFrame({c: _cells_of(body.iloc[:, j]) for c, j in mapping.items()}).assign(
        source_file=source, sheet=sheet, source_row=body.index.to_numpy() + 1, file_rank=rank
    )
    frame.attrs["cols"] = {c: j + 1 for c, j in mapping.items()}
    return frame


# ---------------------------------------------------------------- the reader


def read_dossier_exports(
    files,
    procedures: pd.DataFrame,
    calendar: WorkCalendar,
    *,
    data_dir: str | Path | None = None,
    cache_dir: str | Path | None = None,
    spellings: dict | None = None,
) -> DossierResult:
    """Read, validate, de-duplicate and enrich the dossier exports ``files``.

    ``procedures`` comes from :func:`load_procedures`; ``data_dir`` (optional) makes the
    ``source`` of issues and ledger relative to the data folder. ``cache_dir`` (optional, e.g.
    ``data/processed/.cache``): each file's parsed rows are kept there (``parlib.cache``) and
    reused while the file's bytes are unchanged; the result is identical with or without it.
    ``spellings``: the analyst's extra header spellings (``{column: (text, …)}``,
    ``raw/config/header_spellings.csv`` lines of kind ``dossiers``).
    Returns a :class:`DossierResult`; ``dossiers`` has OUTPUT_COLUMNS, sorted by dossier_id:
    the contract's code names (no personal data), ``status_code`` (English code of the status),
    the procedure's deadline, flags and fee from the catalogue, ``in_catalogue``,
    ``expected_due_at`` (recomputed with ``calendar.due_dates``), ``due_mismatch``,
    ``source_file``, ``source_row`` (1-based Excel row).
    Raises StructuralError listing every file/sheet/column problem of every file at once.
    """
    paths = sorted({Path(f) for f in files}, key=_file_key)
    rel = Paths(Path(data_dir).resolve()).rel if data_dir else (lambda p: Path(p).name)
    problems: list[Problem] = []
    parsed = []
    for part in _parse_files(paths, rel, cache_dir, spellings):
        if isinstance(part, StructuralError):
            problems.extend(part.problems)
        else:
            parsed.append(part)
    if problems:
        raise StructuralError("Tệp xuất hồ sơ TTHC không đúng cấu trúc.", problems)
    # reassembled in the order of a one-pass read: every file's notes, then every file's rows
    issues: list[pd.DataFrame] = [part["notes"] for part in parsed]
    ledger = Ledger()
    for part in parsed:
        ledger.records.extend(part["ledger"].to_dict("records"))
    raws = [(i, part) for i, part in enumerate(parsed) if len(part["rows"])]
    sources = [(part["rows"]["source_file"].iloc[0], part) for _i, part in raws]  # (shown name, part)
    colmaps = {src: part["rows"].attrs["cols"] for src, part in sources}
    if not raws:
        return DossierResult(pd.DataFrame(columns=OUTPUT_COLUMNS), finish_issues(issues), ledger.to_frame())
    issues += [part["issues"] for _i, part in raws]
    # each file's rows by sheet and reason, and its latest event, counted by its parse
    # (two exports may show the same name, e.g. without data_dir: summed, the latest kept)
    counts: dict[tuple, int] = {}
    for src, part in sources:
        for sheet, why, n in part["reasons"].itertuples(index=False):
            counts[(src, sheet, why)] = counts.get((src, sheet, why), 0) + int(n)
    latest = (
        pd.Series(
            [part["latest"]["latest"].iloc[0] for _src, part in sources],
            index=[src for src, _part in sources],
            dtype="datetime64[us]",
        )
        .groupby(level=0)
        .max()
    )
    # the parsed copies seen as one table (core.frames.Pile): a column stacked only when read
    pile = Pile([part.pop("rows").assign(file_rank=i) for i, part in raws])  # categoricals kept
    del raws, parsed, sources  # memory: at a million rows each copy of the table costs about a gigabyte
    usable = {}  # (file, sheet) -> usable rows, for the ledger of the de-duplication
    for (src, sheet, why), n in sorted(counts.items()):
        if why == "":
            usable[(str(src), str(sheet))] = int(n)
        elif why == "skip":
            ledger.add(src, "skipped", int(n), "dòng không phải hồ sơ (ghi chú, tổng cộng)", sheet)
        elif why:
            ledger.add(src, "rejected", int(n), why, sheet)
    cutoff = pd.Series({rel(f): _file_cutoff(f) for f in paths}, dtype="datetime64[us]").fillna(latest)
    # usable rows, de-duplicated on the columns that decide it, then ONE selection of every
    # column that also sorts by dossier number (each selection of a million rows costs 0,5–1,6 s)
    rows = np.flatnonzero((pile.column("_reason") == "").to_numpy())
    numbers = pile.take(["dossier_id"], rows)["dossier_id"]
    by_number = numbers.argsort(kind="stable").to_numpy()
    repeated = repeated_numbers(numbers, by_number)  # only these rows are ranked
    del numbers
    loser = np.zeros(len(rows), dtype=bool)
    loser[repeated] = deduplicate(pile.take(DEDUP_COLUMNS, rows[repeated]), issues, ledger, colmaps, usable)
    rows = rows[by_number[~loser[by_number]]]  # the rows kept, in dossier-number order
    # each parsed column freed once its kept rows are taken: one copy of the table at a time
    used = pile.pop_take(rows, drop=["_reason"], release=partial(release_free_memory, len(pile)))
    del pile
    used["snapshot_at"] = used["source_file"].map(cutoff).astype("datetime64[us]")
    used = enrich(used, procedures, calendar, issues, colmaps)
    issues.append(consistency_issues(used, colmaps))
    out = used[OUTPUT_COLUMNS]  # already in dossier-number order
    # One file's column map (the cell references above) means nothing for the merged table, and
    # pandas deep-copies attrs on every operation downstream: drop it.
    out.attrs = {}
    release_free_memory(len(out))
    # categories of rejected or superseded rows only are dropped: the categories are the values
    return DossierResult(only_used_categories(as_categories(out)), finish_issues(issues), ledger.to_frame())


def _parse_file(path: Path, source: str, spellings: dict | None = None) -> dict[str, pd.DataFrame]:
    """One export read and parsed on its own (what the parse cache stores): ``rows`` (typed
    rows, ``_reason`` as in :func:`_parse`, ``attrs["cols"]``), ``notes`` (header issues),
    ``issues`` (row issues), ``ledger`` (header and blank rows). Raises StructuralError."""
    problems: list[Problem] = []
    notes: list[pd.DataFrame] = []
    ledger = Ledger()
    raw = _read_one(path, source, 0, problems, notes, ledger, extend_spec(HEADERS, spellings))
    if problems:
        raise StructuralError("Tệp xuất hồ sơ TTHC không đúng cấu trúc.", problems)
    row_issues: list[pd.DataFrame] = []
    if raw is not None and len(raw):
        typed, reason = _parse(raw, {source: raw.attrs["cols"]}, row_issues)
        # every text column (numbers, codes, names) scrubbed before the parse cache stores it
        rows = scrub_frame(typed.assign(_reason=reason.astype("str")), skip=(*SOURCE_COLUMNS, "_reason"))
        # few-valued texts as categoricals from here on: the parse cache stores them dictionary-
        # encoded (read back 2–3× faster), the merge selects small codes instead of texts
        rows = as_categories(rows)
        rows.attrs = {"cols": raw.attrs["cols"]}
    else:
        rows = pd.DataFrame()
    return {
        "rows": rows,
        # what the merge counts per file: rows by sheet and reason (the ledger), latest event
        "reasons": (
            rows.groupby(["sheet", "_reason"], sort=True).size().rename("n").reset_index()
            if len(rows)
            else pd.DataFrame({"sheet": [], "_reason": [], "n": []})
        ),
        "latest": pd.DataFrame(
            {"latest": [rows[EVENT_COLUMNS].max().max() if len(rows) else pd.NaT]}, dtype="datetime64[us]"
        ),
        "notes": concat_issues(notes),
        "issues": scrub_issues(concat_issues(row_issues)),  # bad cells quoted verbatim
        "ledger": ledger.to_frame(),
    }


def _parse_files(paths: list[Path], rel, cache_dir, spellings) -> list:
    """Each file parsed (a dict of :func:`_parse_file`) or its StructuralError, in the order of
    ``paths``. Large exports not in the parse cache are parsed on two cores (core.parallel);
    the result is the same as one after the other."""

    def here(p: Path):
        try:
            return _parsed_file(p, rel(p), cache_dir, spellings)
        except StructuralError as exc:
            return exc

    there = partial(
        _parse_elsewhere,
        sources={p: rel(p) for p in paths},
        cache_dir=None if cache_dir is None else str(cache_dir),
        spellings=spellings,
    )
    return parse_in_order(
        paths,
        here,
        there,
        seconds_per_mb=PARSE_SECONDS_PER_MB,
        cheap=lambda p: cache_dir is not None and has_unchanged_copy("dossiers", p, cache_dir),
    )


def _parse_elsewhere(path: Path, *, sources: dict, cache_dir, spellings) -> dict:
    """:func:`_parsed_file` in the helper process (core.parallel; a file with problems raises
    there and is parsed again in the main process, which reports them)."""
    return _parsed_file(path, sources[path], cache_dir, spellings)


def warm_parse_cache(
    files, cache_dir: str | Path, *, data_dir: str | Path | None = None, spellings: dict | None = None
) -> list[Path]:
    """Parse each export into the parse cache (only the per-file parse of
    :func:`read_dossier_exports`, with the same keys), so that a later read takes every file
    from the cache. Returns the files that could not be parsed: their problems are reported,
    with every other file's, by :func:`read_dossier_exports`, which parses them again."""
    rel = Paths(Path(data_dir).resolve()).rel if data_dir else (lambda p: Path(p).name)
    failed = []
    for p in sorted({Path(f) for f in files}, key=_file_key):
        try:
            _parsed_file(p, rel(p), cache_dir, spellings)
        except ParlibError:
            failed.append(p)
    return failed


def _parsed_file(
    path: Path, source: str, cache_dir, spellings: dict | None = None
) -> dict[str, pd.DataFrame]:
    """:func:`_parse_file`, through the parse cache when ``cache_dir`` is given (a new spelling
    re-parses the file: it is part of the key)."""
    if cache_dir is None:
        return _parse_file(path, source, spellings)
    return cached(
        "dossiers",
        path,
        lambda p: _parse_file(p, source, spellings),
        cache_dir=cache_dir,
        extra=source + spellings_key(spellings),
    )
