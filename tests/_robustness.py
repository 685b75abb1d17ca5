"""Shared helpers of the robustness tests (fuzzing, row accounting, privacy, hostile text).

* ``SEEDS``: one small seed file per input kind, cut from the bundled sample (never modified:
  every seed is written under a temporary folder).
* ``MUTATIONS`` / ``FILE_MUTATIONS``: named mutations of a sheet grid (cells replaced by text,
  blanks, huge numbers, out-of-range dates, NFD text, formulas, shuffled columns, merged cells,
  inserted blank and note rows, duplicated rows...) and of a file's bytes (truncated, zero-byte,
  a CSV renamed .xlsx, an encrypted/OLE2 workbook, a corrupt zip, wrong encodings).
* ``READERS``: how to call every public reader on one file of a kind and get back
  ``Outcome(frame, issues, ledger)``.
* ``run_case``: runs a reader and classifies the result as ``ok`` (a correct result whose
  ledger balances) or ``error`` (a ParlibError naming the file), or raises ``CaseFailure``
  naming the mutation and the file (an unhandled exception, a ledger that does not balance,
  an error message that does not say which file).
"""

from __future__ import annotations

import datetime as dt
import io
import json
import os
import random
import re
import shutil
import tempfile
import traceback
import unicodedata
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import pandas as pd

from parlib.core.errors import ParlibError
from parlib.core.issues import ledger_summary
from parlib.core.paths import PROJECT_ROOT, Paths
from parlib.ingest.readers import read_cells

RAW = PROJECT_ROOT / "data" / "raw"
# outside the checkout (tests write nothing there): $PARLIB_TEST_ARTIFACTS or <tmp>/parlib-test-artifacts
FIGURES_FILE = (
    Path(os.environ.get("PARLIB_TEST_ARTIFACTS") or Path(tempfile.gettempdir()) / "parlib-test-artifacts")
    / "robustness_figures.json"
)


# ---------------------------------------------------------------- figures


def record_figures(**figures) -> None:
    """Merge ``figures`` into ``FIGURES_FILE`` (outside the checkout) and print
    them, so the numbers of docs/guarantees.md come from an actual run. Locked: parallel test
    workers merge into the same file."""
    import fcntl

    FIGURES_FILE.parent.mkdir(parents=True, exist_ok=True)
    with open(FIGURES_FILE.with_suffix(".lock"), "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            current = json.loads(FIGURES_FILE.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            current = {}
        current.update(figures)
        FIGURES_FILE.write_text(
            json.dumps(current, ensure_ascii=False, indent=2, sort_keys=True) + "\n", encoding="utf-8"
        )
    print("ROBUSTNESS FIGURES", json.dumps(figures, ensure_ascii=False, sort_keys=True))


# ---------------------------------------------------------------- data folder


def copy_sample(dest: Path) -> Paths:
    """Copy the bundled raw data to ``dest/raw`` (never touch data/raw) and return its Paths."""
    shutil.copytree(RAW, dest / "raw")
    return Paths(dest.resolve(), (dest.parent / "reports").resolve())


# ---------------------------------------------------------------- grids and workbooks


def read_grid(path: Path, sheet: str | None = None) -> tuple[list[list], str]:
    """The cell grid of a sample sheet as a list of rows (None = empty)."""
    cells, name = read_cells(path, sheet)
    rows = [
        [None if (isinstance(v, float) and pd.isna(v)) else v for v in r]
        for r in cells.itertuples(index=False)
    ]
    return rows, name


def write_grid(path: Path, sheet: str, rows: list[list], merges: list[str] = ()) -> Path:
    """Write a grid as a one-sheet workbook (openpyxl). Strings starting with '=' are written
    as text cells, not formulas, exactly like a value typed with a leading apostrophe."""
    from openpyxl import Workbook

    wb = Workbook()
    ws = wb.active
    ws.title = sheet
    for i, row in enumerate(rows, start=1):
        for j, v in enumerate(row, start=1):
            if v is None:
                continue
            c = ws.cell(row=i, column=j, value=v)
            if isinstance(v, str) and v.startswith("="):
                c.data_type = "s"
    for rng in merges:
        ws.merge_cells(rng)
    path.parent.mkdir(parents=True, exist_ok=True)
    wb.save(path)
    return path


def write_csv_rows(path: Path, rows: list[list], encoding: str = "utf-8") -> Path:
    import csv

    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    for r in rows:
        w.writerow(["" if v is None else v for v in r])
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(buf.getvalue().encode(encoding, errors="replace"))
    return path


def read_csv_rows(path: Path) -> list[list]:
    import csv

    text = path.read_bytes().decode("utf-8-sig")
    return [[c if c != "" else None for c in r] for r in csv.reader(io.StringIO(text))]


# ---------------------------------------------------------------- seeds


@dataclass(frozen=True)
class Seed:
    """One input kind: the sample file it is cut from, the file name the reader expects, the
    sheet (None for CSV), the header row (0-based) and how many body rows to keep."""

    kind: str
    sample: str  # path relative to data/raw
    name: str  # file name of the mutated copy
    sheet: str | None
    header: int
    keep: int | None = None

    @property
    def is_csv(self) -> bool:
        return self.sheet is None


SEEDS = {
    "dossiers": Seed(
        "dossiers", "dossiers/ho_so_2026_Q3.xlsx", "ho_so_2026_Q3.xlsx", "Danh sách hồ sơ", 4, 40
    ),
    "feedback": Seed("feedback", "feedback/pakn_2026.xlsx", "pakn_2026.xlsx", "PAKN", 0, 40),
    "survey": Seed(
        "survey", "survey/khao_sat_2026_Q3.xlsx", "khao_sat_2026_Q3.xlsx", "Phiếu khảo sát", 0, 40
    ),
    "index766": Seed("index766", "index766/chi_so_766_2026.xlsx", "chi_so_766_2026.xlsx", "Chi so 766", 0),
    "province": Seed(
        "province", "province/ket_qua_par_index_2026.xlsx", "ket_qua_par_index_2026.xlsx", "Ket qua", 1
    ),
    "scoresheet": Seed(
        "scoresheet", "scoresheet/bang_diem_2026.xlsx", "bang_diem_2026.xlsx", "KQ thẩm định 2026", 7
    ),
    "task_status": Seed("task_status", "tasks/tien_do_2026_Q3.xlsx", "tien_do_2026_Q3.xlsx", "Tien do", 0),
    "tasks": Seed("tasks", "tasks/nhiem_vu_2026.csv", "nhiem_vu_2026.csv", None, 0),
    "framework": Seed("framework", "framework/framework_2026.csv", "framework_2026.csv", None, 3),
    "crosswalk": Seed("crosswalk", "crosswalk/crosswalk_2025_2026.csv", "crosswalk_2025_2026.csv", None, 0),
    "procedures": Seed("procedures", "config/procedures.csv", "procedures.csv", None, 0),
    "survey_items": Seed("survey_items", "config/survey_items.csv", "survey_items.csv", None, 0),
    "comment_themes": Seed("comment_themes", "config/comment_themes.csv", "comment_themes.csv", None, 0),
    "holidays": Seed("holidays", "config/holidays.csv", "holidays.csv", None, 0),
    "layouts": Seed("layouts", "config/scoresheet_layouts.csv", "scoresheet_layouts.csv", None, 0),
    "offices": Seed("offices", "config/offices.csv", "offices.csv", None, 0),
    "bands": Seed("bands", "config/bands.csv", "bands.csv", None, 0),
    "targets": Seed("targets", "config/targets.csv", "targets.csv", None, 0),
}


def seed_rows(seed: Seed) -> list[list]:
    """The seed grid: the sample's rows up to the header plus ``keep`` body rows."""
    src = RAW / seed.sample
    rows = read_csv_rows(src) if seed.is_csv else read_grid(src, seed.sheet)[0]
    if seed.keep is not None:
        rows = rows[: seed.header + 1 + seed.keep]
    return [list(r) for r in rows]


def write_seed(seed: Seed, rows: list[list], folder: Path, merges: list[str] = ()) -> Path:
    """Write the seed as ``<folder>/raw/<sample's folder>/<name>`` (the data-folder layout)."""
    path = folder / "raw" / Path(seed.sample).parent / seed.name
    if seed.is_csv:
        return write_csv_rows(path, rows)
    return write_grid(path, seed.sheet, rows, merges)


# ---------------------------------------------------------------- mutations of a grid

HOSTILE = [
    "<script>alert(1)</script>",
    '<img src=x onerror="alert(1)">',
    "javascript:alert(1)",
    '=HYPERLINK("http://x.invalid","bấm")',
    "+1+1",
    "-2+3",
    "@SUM(A1)",
    "[a](javascript:x)",
]
ODD_VALUES = [
    "abc",
    "",
    "   ",
    "không rõ",
    "1e308",
    1e308,
    -1e308,
    float("inf"),
    -5,
    10**15,
    "1,2,3",
    "31/02/2026",
    "01/01/1900",
    "9999-12-31",
    dt.datetime(1900, 1, 1),
    dt.datetime(9999, 12, 31),
    "#N/A",
    "NULL",
    True,
    "\u200b",
    "Nguyễn\u00a0Văn",
    "x" * 5000,
    0,
    "0",
    "-",
    "—",
    *HOSTILE,
]


def _body(seed: Seed, rows: list[list]) -> range:
    return range(seed.header + 1, len(rows))


def m_cells(kind: str) -> Callable:
    """Replace ~10 % of the body cells by one family of odd values."""
    pools = {
        "text": ["abc", "không rõ", "#N/A", "NULL", "1,2,3", "x" * 300],
        "blank": [None, "", "   ", "\u00a0"],
        "huge": [1e308, -1e308, 10**15, "1e308", "999999999999999999999", float("inf"), -5],
        "huge_numbers": [1e308, -1e308, 10**18, 1e20],  # numbers only: no text cell in the column
        "dates": [
            "31/02/2026",
            "01/01/1900",
            "9999-12-31",
            dt.datetime(1900, 1, 1),
            dt.datetime(9999, 12, 31),
            "2026-13-45",
            2958466,
            -1,
        ],
        "hostile": HOSTILE,
        "mixed": ODD_VALUES,
    }
    pool = pools[kind]

    def mutate(seed, rows, rng):
        for i in _body(seed, rows):
            for j in range(len(rows[i])):
                if rng.random() < 0.10:
                    rows[i][j] = rng.choice(pool)
        return rows, []

    mutate.__name__ = f"cells_{kind}"
    return mutate


def m_nfd(seed, rows, rng):
    """Every text cell (headers too) in decomposed Unicode (NFD), as macOS exports it."""
    return [[unicodedata.normalize("NFD", v) if isinstance(v, str) else v for v in r] for r in rows], []


def m_shuffle_columns(seed, rows, rng):
    width = max(len(r) for r in rows)
    order = list(range(width))
    rng.shuffle(order)
    return [[(r[j] if j < len(r) else None) for j in order] for r in rows], []


def m_drop_column(seed, rows, rng):
    width = max(len(r) for r in rows)
    j = rng.randrange(width)
    return [[v for k, v in enumerate(r) if k != j] for r in rows], []


def m_header_spelling(seed, rows, rng):
    """Header cells in upper case with extra spaces (another export's spelling)."""
    h = seed.header
    rows[h] = [f"  {v.upper()} " if isinstance(v, str) else v for v in rows[h]]
    return rows, []


def m_blank_and_note_rows(seed, rows, rng):
    width = max(len(r) for r in rows)
    for _ in range(3):
        i = rng.randrange(seed.header + 1, len(rows) + 1)
        rows.insert(i, [None] * width)
    rows.append(["Ghi chú: số liệu tạm tính"] + [None] * (width - 1))
    rows.append([None] * width)
    rows.append([None, "Tổng cộng"] + [None] * (width - 2))
    return rows, []


def m_duplicate_rows(seed, rows, rng):
    body = list(_body(seed, rows))
    for i in rng.sample(body, min(3, len(body))):
        rows.append(list(rows[i]))
    return rows, []


def m_truncate_rows(seed, rows, rng):
    """Rows cut off mid-way (a half-copied export): the tail of the last row is empty."""
    keep = rng.randrange(seed.header + 1, len(rows) + 1)
    rows = rows[:keep]
    if len(rows) > seed.header + 1:
        half = len(rows[-1]) // 2
        rows[-1] = rows[-1][:half] + [None] * (len(rows[-1]) - half)
    return rows, []


def m_header_only(seed, rows, rng):
    return rows[: seed.header + 1], []


def m_no_header(seed, rows, rng):
    return rows[seed.header + 1 :], []


def m_merged(seed, rows, rng):
    """Merged cells over part of the header and of the body (openpyxl keeps the top-left value)."""
    from openpyxl.utils import get_column_letter

    h = seed.header + 1
    width = max(len(r) for r in rows)
    merges = []
    if width >= 3:
        j = rng.randrange(1, width - 1)
        merges.append(f"{get_column_letter(j)}{h}:{get_column_letter(j + 1)}{h}")
        body_row = rng.randrange(h + 1, len(rows) + 1) if len(rows) > h else None
        if body_row:
            merges.append(f"A{body_row}:{get_column_letter(min(width, 3))}{body_row}")
    for rng_ in merges:
        # blank every cell but the top-left, as Excel does when merging
        c1, c2 = rng_.split(":")
        from openpyxl.utils.cell import column_index_from_string, coordinate_from_string

        (l1, r1), (l2, r2) = coordinate_from_string(c1), coordinate_from_string(c2)
        for r in range(r1, r2 + 1):
            for c in range(column_index_from_string(l1), column_index_from_string(l2) + 1):
                if (r, c) != (r1, column_index_from_string(l1)) and c - 1 < len(rows[r - 1]):
                    rows[r - 1][c - 1] = None
    return rows, merges


def m_numbers_as_text(seed, rows, rng):
    """Every number written as text with a decimal comma (a re-exported CSV opened in Excel)."""
    return [
        [(f"{v:g}".replace(".", ",") if isinstance(v, float) and i > seed.header else v) for v in r]
        for i, r in enumerate(rows)
    ], []


def m_dates_as_text(seed, rows, rng):
    return [
        [(v.strftime("%d/%m/%Y %H:%M") if isinstance(v, dt.datetime) else v) for v in r] for r in rows
    ], []


def m_none(seed, rows, rng):
    """The seed unchanged (the baseline: must be read without error)."""
    return rows, []


MUTATIONS: dict[str, Callable] = {
    f.__name__: f
    for f in [
        m_none,
        m_cells("text"),
        m_cells("blank"),
        m_cells("huge"),
        m_cells("huge_numbers"),
        m_cells("dates"),
        m_cells("hostile"),
        m_cells("mixed"),
        m_nfd,
        m_shuffle_columns,
        m_drop_column,
        m_header_spelling,
        m_blank_and_note_rows,
        m_duplicate_rows,
        m_truncate_rows,
        m_header_only,
        m_no_header,
        m_merged,
        m_numbers_as_text,
        m_dates_as_text,
    ]
}
MUTATIONS = {k.removeprefix("m_"): v for k, v in MUTATIONS.items()}
GRID_ONLY = {"merged"}  # meaningless for CSV


# ---------------------------------------------------------------- mutations of a file's bytes


def f_zero_bytes(path: Path, rng) -> None:
    path.write_bytes(b"")


def f_truncated(path: Path, rng) -> None:
    data = path.read_bytes()
    path.write_bytes(data[: max(1, int(len(data) * rng.uniform(0.2, 0.9)))])


def f_csv_renamed(path: Path, rng) -> None:
    """A CSV saved under the expected name (e.g. .xlsx), or an .xlsx renamed .csv."""
    if path.suffix == ".csv":
        src = RAW / "index766" / "chi_so_766_2026.xlsx"
        path.write_bytes(src.read_bytes())
    else:
        path.write_text("Mã,Điểm\n1,2\n", encoding="utf-8")


def f_encrypted(path: Path, rng) -> None:
    """An encrypted workbook is an OLE2 compound file (same magic as an old .xls)."""
    path.write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(rng.randrange(256) for _ in range(4096)))


def f_corrupt_zip(path: Path, rng) -> None:
    """A zip whose sheet XML is garbage (a damaged workbook)."""
    if path.suffix == ".csv":
        path.write_bytes(bytes(rng.randrange(256) for _ in range(2048)))
        return
    src = zipfile.ZipFile(io.BytesIO(path.read_bytes()))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as dst:
        for info in src.infolist():
            data = src.read(info.filename)
            if info.filename.startswith("xl/worksheets/"):
                data = data[: len(data) // 2] + b"<<garbage"
            dst.writestr(info.filename, data)
    path.write_bytes(out.getvalue())


def f_random_bytes(path: Path, rng) -> None:
    path.write_bytes(bytes(rng.randrange(256) for _ in range(3000)))


_TONES = "\u0300\u0301\u0303\u0309\u0323"  # grave, acute, tilde, hook above, dot below


def to_cp1258(text: str) -> bytes:
    """Vietnamese text as Windows-1258 writes it: base letters (â, ê, ô, ơ, ư, ă, đ are
    precomposed) followed by a combining tone mark."""
    out = bytearray()
    for ch in unicodedata.normalize("NFC", text):
        try:
            out += ch.encode("cp1258")
        except UnicodeEncodeError:
            d = unicodedata.normalize("NFD", ch)
            tones = [c for c in d if c in _TONES]
            base = unicodedata.normalize("NFC", "".join(c for c in d if c not in _TONES))
            out += (base + "".join(tones)).encode("cp1258", errors="replace")
    return bytes(out)


def f_cp1258(path: Path, rng) -> None:
    """A CSV re-saved by Excel on Windows (Windows-1258)."""
    path.write_bytes(to_cp1258(path.read_bytes().decode("utf-8-sig")))


def f_utf16(path: Path, rng) -> None:
    text = path.read_bytes().decode("utf-8-sig", errors="replace")
    path.write_bytes(text.encode("utf-16"))


def f_latin1_garbage(path: Path, rng) -> None:
    """UTF-8 text mangled into Latin-1 bytes with stray invalid bytes."""
    data = bytearray(path.read_bytes())
    for _ in range(20):
        data.insert(rng.randrange(len(data) + 1), rng.choice([0x81, 0x8D, 0x8F, 0x90, 0x9D, 0xFF]))
    path.write_bytes(bytes(data))


def f_unbalanced_quote(path: Path, rng) -> None:
    text = path.read_bytes().decode("utf-8-sig")
    lines = text.split("\n")
    i = rng.randrange(1, max(2, len(lines)))
    lines[i % len(lines)] = '"' + lines[i % len(lines)]
    path.write_text("\n".join(lines), encoding="utf-8")


def f_sheet_renamed(path: Path, rng) -> None:
    from openpyxl import load_workbook

    wb = load_workbook(path)
    wb.worksheets[0].title = "Sheet1"
    wb.save(path)


def f_missing(path: Path, rng) -> None:
    path.unlink()


FILE_MUTATIONS: dict[str, Callable] = {
    f.__name__.removeprefix("f_"): f
    for f in [
        f_zero_bytes,
        f_truncated,
        f_csv_renamed,
        f_encrypted,
        f_corrupt_zip,
        f_random_bytes,
        f_missing,
    ]
}
CSV_FILE_MUTATIONS = {
    f.__name__.removeprefix("f_"): f for f in [f_cp1258, f_utf16, f_latin1_garbage, f_unbalanced_quote]
}
XLSX_FILE_MUTATIONS = {f.__name__.removeprefix("f_"): f for f in [f_sheet_renamed]}


def file_mutations(seed: Seed) -> dict[str, Callable]:
    out = dict(FILE_MUTATIONS)
    out.update(CSV_FILE_MUTATIONS if seed.is_csv else XLSX_FILE_MUTATIONS)
    return out


# ---------------------------------------------------------------- readers


@dataclass
class Outcome:
    """What a reader returned: the main frame (or None), issues, ledger (or None when the
    reader keeps no ledger: configuration tables are all-or-nothing)."""

    frame: pd.DataFrame | None
    issues: pd.DataFrame | None
    ledger: pd.DataFrame | None
    used_rows: int | None = None  # rows of ``frame`` that are 1:1 with ledger 'used' rows


class Context:
    """Reference inputs the readers need (calendar, procedures, frameworks...), loaded once."""

    def __init__(self):
        from parlib.ingest.calendar import load_calendar
        from parlib.ingest.dossier_columns import load_procedures
        from parlib.ingest.framework import load_framework
        from parlib.ingest.scoresheet_layout import load_layouts
        from parlib.ingest.survey import load_survey_items

        cfg = RAW / "config"
        self.calendar = load_calendar(cfg / "holidays.csv")
        self.procedures = load_procedures(cfg / "procedures.csv")
        self.items = load_survey_items(cfg / "survey_items.csv")
        self.fw2025 = load_framework(RAW / "framework" / "framework_2025.csv")
        self.fw2026 = load_framework(RAW / "framework" / "framework_2026.csv")
        self.layouts = load_layouts(cfg / "scoresheet_layouts.csv")


def _read(kind: str, path: Path, ctx: Context) -> Outcome:
    if kind == "dossiers":
        from parlib.ingest.dossiers import read_dossier_exports

        r = read_dossier_exports([path], ctx.procedures, ctx.calendar)
        return Outcome(r.dossiers, r.issues, r.ledger, len(r.dossiers))
    if kind == "feedback":
        from parlib.ingest.feedback import read_feedback

        fb, iss, led = read_feedback([path], ctx.calendar)
        return Outcome(fb, iss, led, len(fb))
    if kind == "survey":
        from parlib.ingest.survey import read_survey

        s = read_survey(path, ctx.items)
        return Outcome(s.responses, s.issues, s.ledger, len(s.responses))
    if kind == "index766":
        from parlib.ingest.index766 import read_766

        sc, iss, led = read_766([path])
        return Outcome(sc, iss, led, len(sc))
    if kind == "province":
        from parlib.ingest.province import read_province

        t, iss, led = read_province(path, 2026)
        return Outcome(t, iss, led, len(t))
    if kind == "scoresheet":
        from parlib.ingest.scoresheet import read_scoresheet

        r = read_scoresheet(path, 2026, ctx.fw2026, ctx.layouts[2026])
        return Outcome(r.scores, r.issues, r.ledger)
    if kind == "task_status":
        from parlib.ingest.tasks import read_tasks

        t, iss, led = read_tasks(RAW / "tasks" / "nhiem_vu_2026.csv", [path])
        led = led.loc[led["source"] == path.name]
        return Outcome(t, iss, led, int(t["status_source"].eq(path.name).sum()))
    if kind == "tasks":
        from parlib.ingest.tasks import read_tasks

        t, iss, led = read_tasks(path, [])
        return Outcome(t, iss, led, len(t))
    if kind == "framework":
        from parlib.ingest.framework import load_framework

        return Outcome(load_framework(path).nodes, None, None)
    if kind == "crosswalk":
        from parlib.ingest.crosswalk import load_crosswalk

        return Outcome(load_crosswalk(path, ctx.fw2025, ctx.fw2026), None, None)
    if kind == "procedures":
        from parlib.ingest.dossier_columns import load_procedures

        return Outcome(load_procedures(path), None, None)
    if kind == "survey_items":
        from parlib.ingest.survey import load_survey_items

        return Outcome(load_survey_items(path), None, None)
    if kind == "comment_themes":
        from parlib.ingest.rules import load_comment_themes

        return Outcome(load_comment_themes(path), None, None)
    if kind == "holidays":
        from parlib.ingest.calendar import load_calendar

        cal = load_calendar(path)
        return Outcome(pd.DataFrame({"year": sorted(cal.years)}), None, None)
    if kind == "layouts":
        from parlib.ingest.scoresheet_layout import load_layouts

        return Outcome(pd.DataFrame({"year": sorted(load_layouts(path))}), None, None)
    if kind == "offices":
        from parlib.ingest.framework import load_offices

        return Outcome(pd.DataFrame({"office_name": load_offices(path)}), None, None)
    if kind in ("bands", "targets"):
        from parlib.ingest.rules import load_bands, load_targets

        paths = Paths(path.parent.parent.parent)  # <data>/raw/config/<file>
        return Outcome((load_bands if kind == "bands" else load_targets)(paths), None, None)
    raise KeyError(kind)


READER_KINDS = list(SEEDS)


class CaseFailure(AssertionError):
    pass


# Readers in modules this suite may not edit, with the failure they are known to have (reported
# to their owners): kind -> (pattern of the failure message, explanation). A case of these kinds
# that fails in any OTHER way still fails.
_CSV_ESCAPE = r"unhandled (UnicodeDecodeError|EmptyDataError|ParserError)"
KNOWN_BUGS = {}


def known_bug(kind: str, failure: str) -> bool:
    import re

    return kind in KNOWN_BUGS and re.search(KNOWN_BUGS[kind][0], failure) is not None


def rows_in_file(path: Path, seed: Seed) -> int | None:
    """Rows of the sheet as the shared low-level reader sees them (None when unreadable)."""
    try:
        cells, _ = read_cells(path, seed.sheet)
    except ParlibError:
        return None
    return len(cells)


def check_ledger(out: Outcome, n_rows: int | None, where: str) -> None:
    """rows read = used + rejected + skipped; every rejected row has a reason; the main frame
    holds exactly the used rows (when the reader's output is 1:1 with input rows)."""
    led = out.ledger
    if led is None:
        return
    bad = led.loc[(led["status"] == "rejected") & (led["reason"].fillna("").str.strip() == "")]
    if len(bad):
        raise CaseFailure(f"{where}: rejected rows without a reason: {bad.to_dict('records')}")
    summ = ledger_summary(led)
    read = int(summ["read"].sum()) if len(summ) else 0
    used = int(summ["used"].sum()) if len(summ) else 0
    if n_rows is not None and read != n_rows:
        raise CaseFailure(
            f"{where}: ledger accounts for {read} rows but the file has {n_rows} "
            f"(ledger: {led.to_dict('records')})"
        )
    if out.used_rows is not None and used != out.used_rows:
        raise CaseFailure(f"{where}: ledger says {used} rows used but the output holds {out.used_rows}")


def run_case(
    kind: str, path: Path, ctx: Context, label: str, *, n_rows: int | None = None, must_succeed: bool = False
) -> str:
    """Run the reader of ``kind`` on ``path``: 'ok' or 'error' (typed, names the file), else
    CaseFailure naming the mutation (``label``) and the file. ``must_succeed``: an error is a
    failure too (the mutation keeps the file valid)."""
    seed = SEEDS[kind]
    where = f"[{kind}] mutation «{label}» on {path.name}"
    try:
        out = _read(kind, path, ctx)
    except ParlibError as exc:
        msg = str(exc)
        if must_succeed:
            raise CaseFailure(f"{where}: a valid file was refused: {msg}") from exc
        if path.stem not in msg and seed.sample.split("/")[-1] not in msg:
            raise CaseFailure(f"{where}: error message does not name the file: {msg!r}") from exc
        if not any(ch in msg for ch in "ăâđêôơưạảấầẩẫậắằẳẵặẹẻẽếềểễệỉịọỏốồổỗộớờởỡợụủứừửữựỳỵỷỹáàãéèíìóòõúùý"):
            raise CaseFailure(f"{where}: error message is not Vietnamese: {msg!r}") from exc
        return "error"
    except Exception as exc:  # noqa: BLE001 - the point of the test: nothing else may escape
        frames = [f for f in traceback.extract_tb(exc.__traceback__) if "/parlib/" in f.filename]
        tb = "".join(traceback.format_list(frames[-3:]))
        raise CaseFailure(f"{where}: unhandled {type(exc).__name__}: {exc}\n{tb}") from exc
    if n_rows is None:
        n_rows = rows_in_file(path, seed)
    check_ledger(out, n_rows, where)
    return "ok"


def make_case(kind: str, folder: Path, mutation: str, rng: random.Random) -> tuple[Path, str]:
    """Write the seed of ``kind`` mutated by ``mutation`` into ``folder``; returns (path, label)."""
    seed = SEEDS[kind]
    rows = seed_rows(seed)
    if mutation in MUTATIONS:
        rows, merges = MUTATIONS[mutation](seed, [list(r) for r in rows], rng)
        path = write_seed(seed, rows, folder, merges if not seed.is_csv else [])
    else:
        path = write_seed(seed, rows, folder)
        file_mutations(seed)[mutation](path, rng)
    return path, mutation


def expect_ok(kind: str, mutation: str) -> bool:
    """Mutations that keep a file valid: the reader must return a result, not an error."""
    if mutation in ("none", "nfd"):
        return True
    if SEEDS[kind].is_csv:
        return False
    return mutation in (
        "header_spelling",
        "shuffle_columns",
        "blank_and_note_rows",
        "dates_as_text",
        "numbers_as_text",
        "duplicate_rows",
        "cells_hostile",
    )


def mutations_for(kind: str) -> list[str]:
    seed = SEEDS[kind]
    grid = [m for m in MUTATIONS if not (seed.is_csv and m in GRID_ONLY)]
    return grid + list(file_mutations(seed))


def env_seed() -> int:
    return int(os.environ.get("PARLIB_FUZZ_SEED", "20261124"))


# ---------------------------------------------------------------- planted data (privacy canary, hostile text)

# Canary values: unique strings that must never appear in any output. Names and addresses go
# into personal-data columns (also under unexpected header spellings); phones, ID numbers and
# e-mails go into personal-data columns AND into free text, where they must be scrubbed.
CANARY_TEXT = "Liên hệ 0987 650 731 hoặc canary.zeta.7731@example.vn, CCCD 079301007731, ĐT +84 912 007 731."
CANARIES = {
    "name": "Canaryname Nguyễn Thị Zêta",
    "phone": "0987 650 731",
    "phone2": "+84 912 007 731",
    "id": "079301007731",
    "email": "canary.zeta.7731@example.vn",
    "address": "Số 7731 đường Canaryaddr, phường Zêta",
}
# what a scan looks for (phones: digits with separators removed)
CANARY_NEEDLES = [
    "Canaryname",
    "Canaryaddr",
    "0987650731",
    "84912007731",
    "079301007731",
    "canary.zeta.7731",
    "7731@example",
]
# Issue 16 item 3: every format the scrubber covers, planted in EVERY text column of every input
# (appended to the cell's value). (planted text, needle): the needle is what a scan looks for once
# the separators between digits are removed (see ``leaks``). Street addresses are removed from
# every text column; addresses given by administrative units (thôn, xã …) only from free text,
# since office and place names are made of them («UBND xã Ea Kao»).
ID_CANARIES = [
    ("(+84) 913 770 411", "84913770411"),
    ("(0262) 3 770 413", "02623770413"),
    ("0913/770/415", "0913770415"),
    ("079 301 007 732", "079301007732"),
    ("079.301.007.733", "079301007733"),
    ("canary.eta.7741@example.vn", "canary.eta.7741"),
    ("Số 12/7 đường Canaryroad", "Canaryroad"),
]
FREE_TEXT_CANARIES = [("thôn Canarython, xã Ea Kao", "Canarython")]
# typed into a number or date cell: a bad cell, quoted in the issues table
CELL_CANARY = ("0913/770/416", "0913770416")
ALL_NEEDLES = [n for _, n in ID_CANARIES + FREE_TEXT_CANARIES] + [CELL_CANARY[1]]


def leaks(text: str, needles=None) -> list[str]:
    """The canary needles found in ``text`` (digits joined across spaces, dots, dashes, slashes,
    parentheses and plus signs; case-folded)."""
    joined = re.sub(r"(?<=\d)[\s.\-/()+]{1,3}(?=\d)", "", text).casefold()
    return [n for n in (needles or CANARY_NEEDLES + ALL_NEEDLES) if n.casefold() in joined]


def _looks_numeric(v) -> bool:
    if not isinstance(v, str):
        return True  # a number or a date cell of a workbook
    return bool(
        re.fullmatch(r"\s*[-+]?[\d.,]+\s*|\s*\d{4}-\d{2}-\d{2}([ T][\d:]+)?\s*|\s*(true|false)\s*", v, re.I)
    )


def text_columns(rows: list[list], header: int) -> tuple[list[int], list[int]]:
    """(text columns, number/date columns) of a grid: a column is text when most of its non-empty
    body cells are text that is not a number, a date or a flag. Personal-data columns (dropped on
    reading) are neither."""
    from parlib.core.text import is_pii_header

    width = max(len(r) for r in rows)
    text, other = [], []
    for j in range(width):
        head = rows[header][j] if j < len(rows[header]) else None
        if isinstance(head, str) and is_pii_header(head):
            continue
        cells = [r[j] for r in rows[header + 1 :] if j < len(r) and r[j] not in (None, "")]
        if not cells:
            continue
        n_text = sum(not _looks_numeric(v) for v in cells)
        (text if n_text * 2 > len(cells) else other).append(j)
    return text, other


def plant_columns(
    rows: list[list],
    header: int,
    *,
    free_text=(),
    skip=(),
    body_rows: int | None = None,
    numbers: bool = True,
) -> dict[str, int]:
    """Append a canary to the text cells of every text column of ``rows`` (the formats in turn,
    one per row), the administrative-unit address too in ``free_text`` headers; put
    ``CELL_CANARY`` in one cell of each number/date column. ``skip``: headers left alone (keys
    whose change makes the run refuse the file). ``body_rows``: only that many rows per column.
    ``numbers=False``: number/date columns left alone.
    Returns counts: columns and cells planted."""
    text, other = text_columns(rows, header)
    planted = {"text_columns": 0, "number_columns": 0, "cells": 0}
    for j in text + other:
        head = rows[header][j] if j < len(rows[header]) else None
        if head in skip or (j in other and not numbers):
            continue
        body = [
            i
            for i in range(header + 1, len(rows))
            if j < len(rows[i]) and rows[i][j] not in (None, "") and "PWNED" not in str(rows[i][j])
        ]  # cells holding a hostile payload stay as the hostile-text test planted them
        if j in other:
            rows[body[-1]][j] = CELL_CANARY[0]  # the last row: issue tables list the first rows of a rule
            planted["number_columns"] += 1
            planted["cells"] += 1
            continue
        pool = ID_CANARIES + (FREE_TEXT_CANARIES if head in free_text else [])
        for k, i in enumerate(body[:body_rows] if body_rows else body):
            rows[i][j] = f"{rows[i][j]} – {pool[(j + k) % len(pool)][0]}"
            planted["cells"] += 1
        planted["text_columns"] += 1
    return planted


# (header, value) of extra personal-data columns with spellings no sample uses
EXTRA_PII_COLUMNS = [
    ("SĐT liên hệ", "0987 650 731"),
    ("Họ và tên công dân", "Canaryname Trần Văn Ômega"),
    ("E-mail", "canary.zeta.7731@example.vn"),
    ("CMND/CCCD số", "079301007731"),
    ("Nơi cư trú", "Số 7731 đường Canaryaddr"),
]

# Hostile payloads: each carries a unique marker (PWNED-xx) so that the browser check can tell
# an executed or injected payload (an element or attribute holding the marker, a changed title)
# from one shown as text.
PAYLOADS = [
    '<script>document.title="PWNED-S1"</script>',
    "<img src=x onerror=\"document.body.setAttribute('data-x','PWNED-I1')\">",
    "<a href=\"javascript:alert('PWNED-J1')\">bấm vào đây PWNED-J1</a>",
    "[bấm PWNED-M1](javascript:alert(1)) **PWNED-M2**",
    "<svg onload=\"document.title='PWNED-V1'\"></svg>",
    '</td></tr></table><h1 id="PWNED-H1">PWNED-H1</h1>',
    "<iframe srcdoc=\"<script>parent.document.title='PWNED-F1'</script>\"></iframe>",
    '"><img src=x onerror=alert(1) alt="PWNED-Q1">',
]
FORMULAS = [
    '=HYPERLINK("http://x.invalid/?PWNED-X1","bấm")',
    "+1+1 PWNED-X2",
    "-2+3 PWNED-X3",
    "@SUM(A1) PWNED-X4",
    "=1+1 PWNED-X5",
]


def _set(ws, row: int, col: int, value) -> None:
    c = ws.cell(row=row, column=col, value=value)
    if isinstance(value, str) and value.startswith("="):
        c.data_type = "s"  # a cell typed as text by a user, not a formula of the workbook


def _header_map(ws, header_row: int) -> dict[str, int]:
    return {str(c.value).strip(): c.column for c in ws[header_row] if c.value is not None}


def plant(raw: Path) -> dict[str, list[str]]:
    """Plant canaries and hostile payloads into a COPY of the sample (``raw`` is a temporary
    data/raw). Returns where each kind of value was planted (for the test messages)."""
    from openpyxl import load_workbook

    where: dict[str, list[str]] = {"pii": [], "free_text": [], "hostile": []}

    def book(rel, sheet, header_row, edit):
        p = raw / rel
        wb = load_workbook(p)
        ws = wb[sheet]
        edit(ws, _header_map(ws, header_row), header_row)
        wb.save(p)

    def add_extra_pii(ws, hdr, h):
        col = ws.max_column + 1
        for k, (header, value) in enumerate(EXTRA_PII_COLUMNS):
            _set(ws, h, col + k, header)
            for r in range(h + 1, h + 6):
                _set(ws, r, col + k, value)

    def dossiers(ws, hdr, h):
        for r in range(h + 1, h + 8):
            _set(ws, r, hdr["Họ tên người nộp"], CANARIES["name"])
            _set(ws, r, hdr["Số điện thoại"], CANARIES["phone"])
            _set(ws, r, hdr["Số CCCD"], CANARIES["id"])
            _set(ws, r, hdr["Địa chỉ"], CANARIES["address"])
        add_extra_pii(ws, hdr, h)
        for k, pay in enumerate(PAYLOADS[:3]):
            _set(ws, h + 10 + k, hdr["Đơn vị xử lý"], f"Phòng {pay}")
        where["pii"].append("ho_so_2026_Q3.xlsx")
        where["hostile"].append("ho_so_2026_Q3.xlsx: Đơn vị xử lý")

    def feedback(ws, hdr, h):
        for r in range(h + 1, h + 8):
            _set(ws, r, hdr["Người gửi"], CANARIES["name"])
            _set(ws, r, hdr["Số điện thoại"], CANARIES["phone"])
            _set(ws, r, hdr["Email"], CANARIES["email"])
            _set(ws, r, hdr["Nội dung"], f"Hồ sơ chậm. {CANARY_TEXT}")
        for k, pay in enumerate(PAYLOADS + FORMULAS):
            _set(ws, h + 10 + k, hdr["Nội dung"], f"Phản ánh {pay}")
        _set(ws, h + 30, hdr["Phân loại"], FORMULAS[0])
        add_extra_pii(ws, hdr, h)
        where["pii"].append("pakn_2026.xlsx")
        where["free_text"].append("pakn_2026.xlsx: Nội dung")
        where["hostile"].append("pakn_2026.xlsx: Nội dung, Phân loại")

    def survey(ws, hdr, h):
        for r in range(h + 1, h + 8):
            _set(ws, r, hdr["Họ tên"], CANARIES["name"])
            _set(ws, r, hdr["Số điện thoại"], CANARIES["phone2"])
            _set(ws, r, hdr["Góp ý"], f"Cán bộ hướng dẫn chu đáo. {CANARY_TEXT}")
        for k, pay in enumerate(PAYLOADS + FORMULAS):
            _set(ws, h + 10 + k, hdr["Góp ý"], f"Cán bộ một cửa thái độ chưa tốt, phải chờ lâu {pay}")
        add_extra_pii(ws, hdr, h)
        where["pii"].append("khao_sat_2026_Q3.xlsx")
        where["free_text"].append("khao_sat_2026_Q3.xlsx: Góp ý")
        where["hostile"].append("khao_sat_2026_Q3.xlsx: Góp ý")

    def status(ws, hdr, h):
        _set(ws, h + 1, hdr["Ghi chú"], f"Đã báo cáo. {CANARY_TEXT}")
        for k, pay in enumerate(PAYLOADS[:4] + FORMULAS[:2]):
            _set(ws, h + 2 + k, hdr["Ghi chú"], f"Đang thực hiện {pay}")
        where["free_text"].append("tien_do_2026_Q3.xlsx: Ghi chú")

    def index766(ws, hdr, h):
        _set(ws, h + 1, hdr["Nhóm chỉ số"], f"Công khai {PAYLOADS[0]}")
        _set(ws, h + 2, hdr["Nhóm chỉ số"], FORMULAS[0])
        where["hostile"].append("chi_so_766_2026.xlsx: Nhóm chỉ số")

    def scoresheet(ws, hdr, h):
        leaves = [c.row for c in ws["A"][h:] if isinstance(c.value, str) and c.value.count(".") == 2]
        ex, reason, name, self_pts = (
            hdr["Nội dung giải trình"],
            hdr["Lý do không đạt điểm tối đa"],
            hdr["Nội dung đánh giá"],
            hdr["Điểm đơn vị tự chấm"],
        )
        for r in leaves[:3]:
            _set(ws, r, ex, f"Đã giải trình. {CANARY_TEXT}")
            _set(ws, r, reason, f"Thiếu tài liệu. {CANARY_TEXT}")
        for k, pay in enumerate(PAYLOADS):
            r = leaves[3 + k]
            _set(ws, r, name, f"{ws.cell(row=r, column=name).value} {pay}")
            _set(ws, r, reason, f"Lý do {pay}")
        for k, pay in enumerate(FORMULAS):
            _set(ws, leaves[12 + k], self_pts, pay)  # text in a number cell: shown in the issues
        for k, pay in enumerate(PAYLOADS[:4]):
            _set(ws, leaves[18 + k], hdr["Điểm thẩm định lần 1"], pay)
        where["free_text"].append("bang_diem_2026.xlsx: giải trình, lý do")
        where["hostile"].append("bang_diem_2026.xlsx: tên tiêu chí, lý do, điểm tự chấm")

    book("dossiers/ho_so_2026_Q3.xlsx", "Danh sách hồ sơ", 5, dossiers)
    book("feedback/pakn_2026.xlsx", "PAKN", 1, feedback)
    book("survey/khao_sat_2026_Q3.xlsx", "Phiếu khảo sát", 1, survey)
    book("tasks/tien_do_2026_Q3.xlsx", "Tien do", 1, status)
    book("index766/chi_so_766_2026.xlsx", "Chi so 766", 1, index766)
    sheet_name = [
        ln.split(",")[2].strip()
        for ln in (raw / "config" / "scoresheet_layouts.csv").read_text(encoding="utf-8-sig").splitlines()
        if ln.startswith("sheet,")
    ][0]
    book("scoresheet/bang_diem_2026.xlsx", sheet_name, 8, scoresheet)
    # crosswalk note: free text of the analyst
    cw = raw / "crosswalk" / "crosswalk_2025_2026.csv"
    rows = read_csv_rows(cw)
    rows[1][3] = f"Ghi chú {CANARY_TEXT} {PAYLOADS[1]}"
    write_csv_rows(cw, rows)
    where["free_text"].append("crosswalk_2025_2026.csv: note")
    where["columns"] = plant_every_column(raw)
    return where


# Inputs of the 2026 annual and 2026-Q3 quarterly reports whose text columns get every canary
# format (first rows of each column), with the headers left alone: keys and codes whose change
# makes a run refuse the whole file (the reader-level test plants in those too, and checks the
# error message). Number cells only in the data exports (a bad number there is an issue row; in
# the analyst's configuration it stops the run). kind -> (free-text headers, key headers)
PLANT_EVERY_COLUMN = {
    "dossiers": ((), ()),
    "feedback": (("Nội dung",), ()),
    "survey": (("Góp ý",), ()),
    "task_status": (("Ghi chú",), ()),
    "tasks": ((), ("recurrence",)),
    "index766": ((), ("Kỳ", "Mã nhóm")),
    "province": ((), ()),
    "scoresheet": (
        ("Nội dung giải trình", "Lý do không đạt điểm tối đa"),
        ("Mã số", "Điểm thẩm định chính thức"),  # the code, and the score a complete sheet must have
    ),
    "framework": (
        (),
        (
            "code",
            "parent_code",
            "level",
            "method",
            "kpi",
            "rule",
            "rule_params",
            "owner_office",
            "partner_offices",
            "plan_tasks",
        ),
    ),
    "crosswalk": (("note",), ("base_code", "target_code", "relation")),
    "procedures": ((), ("procedure_code", "deadline_unit", "online_level", "difficulty")),
    "offices": ((), ("office_code", "office_name")),  # the framework names its offices
    "survey_items": ((), ("item_code", "factor_code", "factor_name")),
}


def header_index(seed: Seed, rows: list[list]) -> int:
    """0-based header row of a seed grid (the framework's comment lines split on commas)."""
    if seed.kind == "framework":
        return next(i for i, r in enumerate(rows) if r and r[0] == "code")
    return seed.header


def plant_every_column(raw: Path, body_rows: int = 3) -> dict[str, dict]:
    """Plant every canary format in the text columns of every input in ``PLANT_EVERY_COLUMN``
    (``plant_columns``; workbooks edited in place, other sheets kept). Returns the counts per file."""
    from openpyxl import load_workbook

    counts = {}
    for kind, (free, keys) in PLANT_EVERY_COLUMN.items():
        seed = SEEDS[kind]
        path = raw / seed.sample
        if seed.is_csv:
            rows = read_csv_rows(path)
            counts[seed.sample] = plant_columns(
                rows,
                header_index(seed, rows),
                free_text=free,
                skip=keys,
                body_rows=body_rows,
                numbers=kind == "tasks",
            )
            write_csv_rows(path, rows)
            continue
        wb = load_workbook(path)
        ws = wb[seed.sheet]
        before = [list(r) for r in ws.iter_rows(values_only=True)]
        rows = [list(r) for r in before]
        counts[seed.sample] = plant_columns(rows, seed.header, free_text=free, skip=keys, body_rows=body_rows)
        for i, (old, new) in enumerate(zip(before, rows)):
            for j, (a, b) in enumerate(zip(old, new)):
                if a != b:
                    _set(ws, i + 1, j + 1, b)
        wb.save(path)
    return counts


_PLANTED: dict[str, dict] = {}


def planted_reports(tmp_path_factory) -> dict:
    """Run the annual and (when its notebook exists) quarterly reports once per test session on
    planted data: {'data', 'out', 'runs': {name: CompletedProcess}, 'where'}."""
    import subprocess
    import sys

    from parlib.core.paths import NOTEBOOKS_DIR

    if "run" in _PLANTED:
        return _PLANTED["run"]
    base = tmp_path_factory.mktemp("planted")
    data, out = base / "data", base / "reports"
    copy_sample(data)
    where = plant(data / "raw")
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    env.pop("MPLBACKEND", None)
    runs = {}
    jobs = [("annual", ["annual", "--year", "2026"])]
    if (NOTEBOOKS_DIR / "quarterly.ipynb").exists():
        jobs.append(("quarterly", ["quarterly", "--year", "2026", "--quarter", "3"]))
    jobs.append(("periodic", ["periodic", "--year", "2026", "--window", "q3"]))  # the Word draft
    for name, args in jobs:
        runs[name] = subprocess.run(
            [sys.executable, "-m", "parlib.cli", *args, "--data", str(data), "--out", str(out)],
            cwd=PROJECT_ROOT,
            capture_output=True,
            text=True,
            env=env,
            timeout=900,
        )
    _PLANTED["run"] = {"data": data, "out": out, "runs": runs, "where": where}
    return _PLANTED["run"]
