"""Tolerant low-level readers shared by every ingest module.

* ``read_cells`` returns the raw cell grid of one sheet (or a CSV) as an object DataFrame
  (``None`` for empty cells), with typed Vietnamese errors for files that are not what
  they claim to be: zero-byte, not a workbook (e.g. a CSV renamed .xlsx), encrypted or old
  ``.xls``, corrupt, missing sheet.
* ``find_header_row`` / ``flatten_header`` / ``map_columns`` locate and name columns from
  header text that moves between years and exports.
* ``parse_numbers`` / ``parse_datetimes`` turn messy cells (decimal commas as text, Excel
  serials, ``dd/mm/yyyy`` text) into typed columns and report which cells were bad.
* ``pii_columns`` / ``scrub_text`` keep personal data out of every output (NĐ 13/2023).

Text is NFC-normalised, never accent-stripped; accent folding is used only to *match*
header spellings, never to store text.
"""

from __future__ import annotations

import re
import unicodedata
import zipfile
from pathlib import Path

import numpy as np
import pandas as pd

from .errors import InputFormatError, Problem, StructuralError

_OLE2_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"


# ---------------------------------------------------------------- text

def normalise_text(x) -> str | None:
    """NFC, non-breaking spaces to spaces, whitespace collapsed, stripped; None stays None."""
    if x is None or (isinstance(x, float) and np.isnan(x)):
        return None
    s = unicodedata.normalize("NFC", str(x)).replace("\u00a0", " ")
    s = re.sub(r"\s+", " ", s).strip()
    return s


def fold(s: str) -> str:
    """Accent-folded, case-folded key for *matching* header spellings only.

    ``fold('Số điện thoại') == 'so dien thoai'``; đ/Đ become d (unlike naive stripping,
    which drops them).
    """
    s = normalise_text(s) or ""
    s = s.replace("đ", "d").replace("Đ", "D")
    s = unicodedata.normalize("NFD", s)
    s = "".join(ch for ch in s if unicodedata.category(ch) != "Mn")
    return re.sub(r"\s+", " ", s.casefold()).strip()


# ---------------------------------------------------------------- files

def read_cells(path: str | Path, sheet: str | None = None, *, display_name: str | None = None
               ) -> tuple[pd.DataFrame, str]:
    """Return (cells, sheet_name): the raw grid of one sheet, row 0 = Excel row 1.

    ``sheet`` may be None (first sheet). CSV files (``.csv``) are read as text, trying
    UTF-8 (with or without BOM) then Windows-1258. Raises InputFormatError (Vietnamese)
    for a missing, empty, non-workbook, encrypted or corrupt file and StructuralError when
    the sheet is missing (listing the sheets that exist).
    """
    path = Path(path)
    name = display_name or path.name
    _require_nonempty_file(path, name)
    if path.suffix.lower() == ".csv":
        return _read_csv_cells(path, name), ""
    head = path.read_bytes()[:8]
    if head == _OLE2_MAGIC:
        raise InputFormatError("Không đọc được tệp Excel.", [Problem(
            "tệp được bảo vệ bằng mật khẩu hoặc là định dạng .xls cũ; hãy mở bằng Excel, "
            "bỏ mật khẩu và lưu lại dưới dạng .xlsx", file=name)])
    if not zipfile.is_zipfile(path):
        hint = " (nội dung giống tệp CSV/văn bản)" if _looks_like_text(path) else ""
        raise InputFormatError("Không đọc được tệp Excel.", [Problem(
            f"tệp không phải là tệp Excel .xlsx hợp lệ{hint}", file=name)])
    from python_calamine import CalamineWorkbook

    try:
        wb = CalamineWorkbook.from_path(str(path))
    except Exception as exc:  # calamine raises several private error types for corrupt files
        raise InputFormatError("Không đọc được tệp Excel.", [Problem(
            f"tệp bị hỏng hoặc không đúng định dạng ({type(exc).__name__})", file=name)]) from exc
    names = [unicodedata.normalize("NFC", n) for n in wb.sheet_names]
    if not names:
        raise InputFormatError("Tệp Excel không có trang tính nào.", [Problem("không có trang tính", file=name)])
    if sheet is None:
        idx = 0
    else:
        wanted = fold(sheet)
        matches = [i for i, n in enumerate(names) if fold(n) == wanted]
        if not matches:
            raise StructuralError("Thiếu trang tính bắt buộc.", [Problem(
                f"không có trang «{sheet}»; các trang hiện có: {', '.join(names)}", file=name, sheet=sheet)])
        idx = matches[0]
    try:
        rows = wb.get_sheet_by_index(idx).to_python(skip_empty_area=False)
    except Exception as exc:
        raise InputFormatError("Không đọc được tệp Excel.", [Problem(
            f"trang tính bị hỏng ({type(exc).__name__})", file=name, sheet=names[idx])]) from exc
    width = max((len(r) for r in rows), default=0)
    grid = pd.DataFrame([list(r) + [""] * (width - len(r)) for r in rows], dtype=object)
    grid = grid.where(grid.ne(""), None)  # empty cells -> None (vectorised; Excel gives '')
    return grid, names[idx]


def read_csv_table(path: str | Path, *, display_name: str | None = None) -> pd.DataFrame:
    """A CSV file with a header row as a frame of text cells ('' for blanks), for the
    analyst's configuration tables.

    Decoding and errors as ``read_cells`` (UTF-8 with or without BOM, then Windows-1258;
    InputFormatError naming the file for a missing, empty, undecodable or malformed file).
    Header names are stripped; a repeated header gets a suffix (``name.1``) so that a column
    lookup never returns two columns.
    """
    path = Path(path)
    name = display_name or path.name
    _require_nonempty_file(path, name)
    cells = _read_csv_cells(path, name)
    def text(v) -> str:
        return "" if v is None or (isinstance(v, float) and np.isnan(v)) else str(v)

    header, seen = [], {}
    for v in cells.iloc[0].tolist():
        h = text(v).strip()
        k = seen.get(h, 0)
        seen[h] = k + 1
        header.append(h if k == 0 else f"{h}.{k}")
    body = cells.iloc[1:].map(text)
    return pd.DataFrame(body.to_numpy(dtype=object), columns=header).astype(str).reset_index(drop=True)


def _require_nonempty_file(path: Path, name: str) -> None:
    """InputFormatError (Vietnamese) for a missing or zero-byte file."""
    if not path.exists():
        raise InputFormatError("Không tìm thấy tệp dữ liệu.", [Problem("tệp không tồn tại", file=name)])
    if path.stat().st_size == 0:
        raise InputFormatError("Tệp dữ liệu rỗng.", [Problem("tệp có dung lượng 0 byte", file=name)])


def _looks_like_text(path: Path) -> bool:
    sample = path.read_bytes()[:2048]
    try:
        sample.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return b"\x00" not in sample


def _read_csv_cells(path: Path, name: str) -> pd.DataFrame:
    last: Exception | None = None
    for enc in ("utf-8-sig", "cp1258"):
        try:
            df = pd.read_csv(path, header=None, dtype=str, keep_default_na=False, encoding=enc)
            return df.astype(object).where(df.ne(""), None)
        except UnicodeDecodeError as exc:
            last = exc
        except pd.errors.EmptyDataError as exc:
            raise InputFormatError("Tệp dữ liệu rỗng.", [Problem("tệp CSV không có dòng nào", file=name)]) from exc
        except pd.errors.ParserError as exc:
            raise InputFormatError("Không đọc được tệp CSV.", [Problem(
                f"cấu trúc CSV không hợp lệ ({exc})", file=name)]) from exc
    raise InputFormatError("Không đọc được tệp CSV.", [Problem(
        f"bảng mã không phải UTF-8 hoặc Windows-1258 ({last})", file=name)])


# ---------------------------------------------------------------- headers

def find_header_row(cells: pd.DataFrame, labels: list[str], *, max_rows: int = 30) -> int | None:
    """0-based index of the first row (within ``max_rows``) containing any of ``labels``.

    Matching is on folded text and the whole cell, so 'Số hồ sơ' matches ' SỐ HỒ SƠ '.
    """
    wanted = {fold(x) for x in labels}
    top = cells.iloc[:max_rows]
    for i, row in enumerate(top.itertuples(index=False)):
        if any(v is not None and fold(v) in wanted for v in row):
            return i
    return None


def flatten_header(cells: pd.DataFrame, header_row: int, n_rows: int = 1) -> list[str]:
    """Header labels of ``n_rows`` rows starting at ``header_row`` (0-based).

    With two rows the label is ``'upper / lower'``; a merged upper cell (empty to its right
    in the grid) is forward-filled across the columns it spans, and a lower cell that is
    empty gives just the upper text.
    """
    rows = []
    for r in range(header_row, header_row + n_rows):
        rows.append([normalise_text(v) if v is not None else None for v in cells.iloc[r].tolist()])
    if n_rows == 1:
        return [v or "" for v in rows[0]]
    upper, lower = rows[0], rows[1]
    filled, current = [], None
    for j, u in enumerate(upper):
        if u:
            current = u
        elif lower[j] is None:
            current = None  # an empty column ends a merged group
        filled.append(current)
    out = []
    for u, l in zip(filled, lower):
        if u and l and u != l:
            out.append(f"{u} / {l}")
        else:
            out.append(u or l or "")
    return out


def map_columns(headers: list[str], spec: dict[str, list[str]], *, required: list[str],
                file: str = "", sheet: str = "", header_row: int | None = None
                ) -> tuple[dict[str, int], list[str]]:
    """Map logical column names to 0-based positions from header text.

    ``spec`` maps each logical name to its accepted header spellings (folded comparison).
    Returns (mapping, extra_headers). Raises StructuralError naming every missing
    required column (with the header row) in one message.
    """
    folded = [fold(h) for h in headers]
    mapping: dict[str, int] = {}
    for logical, spellings in spec.items():
        keys = {fold(s) for s in spellings}
        for j, h in enumerate(folded):
            if h in keys and j not in mapping.values():
                mapping[logical] = j
                break
    missing = [c for c in required if c not in mapping]
    if missing:
        row_txt = f" (dòng tiêu đề {header_row + 1})" if header_row is not None else ""
        raise StructuralError("Thiếu cột bắt buộc.", [
            Problem(f"không tìm thấy cột «{spec[c][0]}»{row_txt}", file=file, sheet=sheet, column=spec[c][0])
            for c in missing])
    used = set(mapping.values())
    extras = [h for j, h in enumerate(headers) if j not in used and h]
    return mapping, extras


# ---------------------------------------------------------------- values

_NUM_RE = re.compile(r"^[+-]?(\d+([.,]\d*)?|[.,]\d+)$")
MAX_ABS_NUMBER = 1e15  # Excel keeps 15 significant digits; anything larger is a typo or garbage


def _ints_as_float(a: np.ndarray) -> np.ndarray:
    """Python ints to float; an int too large for float becomes inf (then judged bad)."""
    try:
        return a.astype(np.float64)
    except OverflowError:
        return np.array([float(v) if abs(v) < MAX_ABS_NUMBER else np.inf for v in a], dtype=np.float64)


def parse_numbers(values: pd.Series) -> tuple[pd.Series, pd.Series]:
    """(float Series, bad mask). Blank -> NaN (not bad); '1,5' and '1.5' -> 1.5;
    '1.234,5' (thousands dot + decimal comma) -> 1234.5; other text -> NaN and bad=True.
    Infinite numbers and magnitudes >= MAX_ABS_NUMBER (1e15) are bad too: they cannot be a
    score, a count or a fee, and would overflow integer columns and number formatting."""
    out = np.full(len(values), np.nan)
    bad = np.zeros(len(values), dtype=bool)
    raw = values.to_numpy(dtype=object)
    # Fast path (same results): Python floats and ints, and text of plain ASCII digits, which
    # is what a clean export holds; everything else (and any doubt) goes through the loop.
    types = np.array([type(v) for v in raw], dtype=object)
    done = np.zeros(len(raw), dtype=bool)
    for t in (float, int):
        m = types == t
        if m.any():
            x = raw[m].astype(np.float64) if t is float else _ints_as_float(raw[m])
            ok = np.isfinite(x) & (np.abs(x) < MAX_ABS_NUMBER)
            out[np.flatnonzero(m)[ok]] = x[ok]
            bad[np.flatnonzero(m)[~ok & ~np.isnan(x)]] = True
            done |= m
    m = types == str
    if m.any():
        idx = np.flatnonzero(m)
        digits = pd.Series(raw[idx], dtype=object).str.fullmatch(r"[+-]?[0-9]{1,15}").to_numpy(dtype=bool)
        out[idx[digits]] = raw[idx[digits]].astype(np.float64)
        done[idx[digits]] = True
    for i in np.flatnonzero(~done):
        v = raw[i]
        if v is None or (isinstance(v, (float, np.floating)) and np.isnan(v)):
            continue
        if isinstance(v, bool):
            bad[i] = True
            continue
        if isinstance(v, (int, float, np.integer, np.floating)):
            x = float(v) if abs(v) < MAX_ABS_NUMBER else np.inf
        else:
            s = (normalise_text(v) or "").replace(" ", "")
            if s == "":
                continue
            if re.fullmatch(r"[+-]?\d{1,3}(\.\d{3})+(,\d+)?", s):
                s = s.replace(".", "")
            if not _NUM_RE.match(s):
                bad[i] = True
                continue
            x = float(s.replace(",", "."))
        if np.isfinite(x) and abs(x) < MAX_ABS_NUMBER:
            out[i] = x
        else:
            bad[i] = True
    return pd.Series(out, index=values.index, dtype="float64"), pd.Series(bad, index=values.index)


_EXCEL_EPOCH = pd.Timestamp("1899-12-30")
_DT_FORMATS = ("%d/%m/%Y %H:%M:%S", "%d/%m/%Y %H:%M", "%d/%m/%Y", "%Y-%m-%d %H:%M:%S",
               "%Y-%m-%d %H:%M", "%Y-%m-%d", "%d-%m-%Y %H:%M", "%d-%m-%Y")


def parse_datetimes(values: pd.Series, *, min_year: int = 2000, max_year: int = 2100
                    ) -> tuple[pd.Series, pd.Series]:
    """(datetime64 Series, bad mask). Accepts datetime cells, Excel serial numbers and text
    in day-first formats (dd/mm/yyyy[ HH:MM[:SS]]) or ISO. Blank -> NaT (not bad).
    Dates outside [min_year, max_year] are bad (a typo like 20266 or 1900)."""
    s = values.astype(object)
    out = pd.Series(pd.NaT, index=s.index, dtype="datetime64[us]")
    bad = pd.Series(False, index=s.index)
    is_blank = s.map(lambda v: v is None or (isinstance(v, float) and np.isnan(v))
                     or (isinstance(v, str) and not v.strip()))
    is_dt = s.map(lambda v: isinstance(v, (pd.Timestamp, np.datetime64)) or hasattr(v, "year") and not isinstance(v, str))
    is_num = s.map(lambda v: isinstance(v, (int, float, np.integer, np.floating)) and not isinstance(v, bool)) & ~is_blank
    if is_dt.any():
        out.loc[is_dt] = pd.to_datetime(s[is_dt].map(pd.Timestamp), errors="coerce")
    if is_num.any():
        nums = pd.to_numeric(s[is_num], errors="coerce")
        ok = nums.between(1, 2958465)
        out.loc[nums[ok].index] = (_EXCEL_EPOCH + pd.to_timedelta(nums[ok], unit="D")).dt.round("s")
        bad.loc[nums[~ok].index] = True
    is_txt = ~(is_blank | is_dt | is_num)
    if is_txt.any():
        txt = s[is_txt].map(lambda v: normalise_text(v))
        parsed = pd.Series(pd.NaT, index=txt.index, dtype="datetime64[us]")
        remaining = txt.copy()
        for fmt in _DT_FORMATS:
            if remaining.empty:
                break
            got = pd.to_datetime(remaining, format=fmt, errors="coerce")
            hit = got.notna()
            parsed.loc[got[hit].index] = got[hit]
            remaining = remaining[~hit]
        out.loc[parsed.index] = parsed
        bad.loc[remaining.index] = True
    years = out.dt.year
    out_of_range = out.notna() & ((years < min_year) | (years > max_year))
    out.loc[out_of_range] = pd.NaT
    bad = bad | out_of_range
    return out, bad


# ---------------------------------------------------------------- personal data

_PII_HEADER_KEYS = [
    "ho ten", "ho va ten", "ten nguoi nop", "nguoi nop", "nguoi gui", "ten nguoi gui", "ten cong dan",
    "so dien thoai", "dien thoai", "sdt", "dt lien he", "so dt",
    "cccd", "cmnd", "can cuoc", "so dinh danh", "ma dinh danh", "ho chieu",
    "dia chi", "noi cu tru", "email", "e-mail", "thu dien tu", "full name", "phone", "address", "id number",
]


def is_pii_header(header: str) -> bool:
    """True when a header names personal data, whatever its spelling or accents
    (e.g. 'Họ tên người nộp', 'SĐT', 'So CCCD', 'Địa chỉ liên hệ', 'E-mail')."""
    h = fold(header)
    return any(re.search(rf"(^|[^a-z]){re.escape(k)}([^a-z]|$)", h) for k in _PII_HEADER_KEYS)


def pii_columns(headers: list[str]) -> list[int]:
    """0-based positions of the headers that hold personal data."""
    return [j for j, h in enumerate(headers) if h and is_pii_header(h)]


_EMAIL_RE = re.compile(r"[\w.+-]+@[\w-]+(\.[\w-]+)+", re.UNICODE)
_PHONE_RE = re.compile(r"(?<!\d)(?:\+?84|0)(?:[\s.\-]?\d){8,10}(?!\d)")
_ID_RE = re.compile(r"(?<!\d)(?:\d{12}|\d{9})(?!\d)")
REDACTED = "[đã ẩn]"


def scrub_text(text):
    """Replace e-mail addresses, phone numbers and 9/12-digit ID numbers in free text.

    ``scrub_text('Gọi 0912 345 678 hoặc a.b@x.vn') == 'Gọi [đã ẩn] hoặc [đã ẩn]'``.
    None stays None; text is NFC-normalised.
    """
    if text is None or (isinstance(text, float) and np.isnan(text)):
        return None
    s = unicodedata.normalize("NFC", str(text))
    s = _EMAIL_RE.sub(REDACTED, s)
    s = _PHONE_RE.sub(REDACTED, s)
    s = _ID_RE.sub(REDACTED, s)
    return s
