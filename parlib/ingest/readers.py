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

import io
import re
import unicodedata
import zipfile
from pathlib import Path

import numpy as np
import pandas as pd

from parlib.core.cells import as_objects
from parlib.core.errors import InputFormatError, Problem, StructuralError
from parlib.core.io import read_input
from parlib.core.issues import excel_cell
from parlib.core.text import fold, normalise_text, scrub_frame
from parlib.ingest.bounds import check_workbook

_OLE2_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"


# ---------------------------------------------------------------- files


def read_cells(
    path: str | Path, sheet: str | None = None, *, display_name: str | None = None, text_arrays: bool = False
) -> tuple[pd.DataFrame, str]:
    """Return (cells, sheet_name): the raw grid of one sheet, row 0 = Excel row 1.

    ``text_arrays``: a CSV file read by Arrow keeps its cells as Arrow-backed text columns
    (blank = missing) instead of Python objects (a large export's reader parses them with
    Arrow; :func:`object_cells` gives the object form of a few rows). Excel grids, and CSV
    files Arrow does not read, are object grids either way.

    ``sheet`` may be None (first sheet). CSV files (``.csv``) are read as text, trying
    UTF-8 (with or without BOM) then Windows-1258. Raises InputFormatError (Vietnamese)
    for a missing, empty, non-workbook, encrypted or corrupt file and StructuralError when
    the sheet is missing (listing the sheets that exist).
    """
    path = Path(path)
    name = display_name or path.name
    data = _read_nonempty_file(path, name)  # read once: every check below and the parse use these bytes
    if path.suffix.lower() == ".csv":
        return _read_csv_cells(data, name, text_arrays=text_arrays), ""
    if data[:8] == _OLE2_MAGIC:
        raise InputFormatError(
            "Không đọc được tệp Excel.",
            [
                Problem(
                    "tệp được bảo vệ bằng mật khẩu hoặc là định dạng .xls cũ; hãy mở bằng Excel, "
                    "bỏ mật khẩu và lưu lại dưới dạng .xlsx",
                    file=name,
                )
            ],
        )
    if not zipfile.is_zipfile(io.BytesIO(data)):
        hint = " (nội dung giống tệp CSV/văn bản)" if _looks_like_text(data) else ""
        raise InputFormatError(
            "Không đọc được tệp Excel.",
            [Problem(f"tệp không phải là tệp Excel .xlsx hợp lệ{hint}", file=name)],
        )
    from python_calamine import CalamineWorkbook

    try:
        check_workbook(io.BytesIO(data), name)  # before calamine allocates the declared range
    except zipfile.BadZipFile as exc:
        raise InputFormatError(
            "Không đọc được tệp Excel.", [Problem(f"tệp bị hỏng ({type(exc).__name__})", file=name)]
        ) from exc
    try:
        wb = CalamineWorkbook.from_filelike(io.BytesIO(data))
    except Exception as exc:  # calamine raises several private error types for corrupt files
        raise InputFormatError(
            "Không đọc được tệp Excel.",
            [Problem(f"tệp bị hỏng hoặc không đúng định dạng ({type(exc).__name__})", file=name)],
        ) from exc
    names = [unicodedata.normalize("NFC", n) for n in wb.sheet_names]
    if not names:
        raise InputFormatError(
            "Tệp Excel không có trang tính nào.", [Problem("không có trang tính", file=name)]
        )
    if sheet is None:
        idx = 0
    else:
        wanted = fold(sheet)
        matches = [i for i, n in enumerate(names) if fold(n) == wanted]
        if not matches:
            raise StructuralError(
                "Thiếu trang tính bắt buộc.",
                [
                    Problem(
                        f"không có trang «{sheet}»; các trang hiện có: {', '.join(names)}",
                        file=name,
                        sheet=sheet,
                    )
                ],
            )
        idx = matches[0]
    try:
        rows = wb.get_sheet_by_index(idx).to_python(skip_empty_area=False)
    except Exception as exc:
        raise InputFormatError(
            "Không đọc được tệp Excel.",
            [Problem(f"trang tính bị hỏng ({type(exc).__name__})", file=name, sheet=names[idx])],
        ) from exc
    width = max((len(r) for r in rows), default=0)
    grid = pd.DataFrame([list(r) + [""] * (width - len(r)) for r in rows], dtype=object)
    grid = grid.where(grid.ne(""), None)  # empty cells -> None (vectorised; Excel gives '')
    return grid, names[idx]


def read_csv_table(path: str | Path, *, display_name: str | None = None, scrub: bool = True) -> pd.DataFrame:
    """A CSV file with a header row as a frame of text cells ('' for blanks), for the
    analyst's configuration tables.

    Decoding and errors as ``read_cells`` (UTF-8 with or without BOM, then Windows-1258;
    InputFormatError naming the file for a missing, empty, undecodable or malformed file).
    Header names are stripped; a repeated header gets a suffix (``name.1``) so that a column
    lookup never returns two columns. Unless ``scrub`` is False, every cell is scrubbed of
    phones, e-mails, ID numbers and street addresses (``scrub_identifiers``).
    """
    path = Path(path)
    name = display_name or path.name
    cells = _read_csv_cells(_read_nonempty_file(path, name), name)

    def text(v) -> str:
        return "" if v is None or (isinstance(v, float) and np.isnan(v)) else str(v)

    header, seen = [], {}
    for v in cells.iloc[0].tolist():
        h = text(v).strip()
        k = seen.get(h, 0)
        seen[h] = k + 1
        header.append(h if k == 0 else f"{h}.{k}")
    body = cells.iloc[1:].map(text)
    out = pd.DataFrame(body.to_numpy(dtype=object), columns=header).astype(str).reset_index(drop=True)
    return scrub_frame(out, skip=()) if scrub else out


def _read_nonempty_file(path: Path, name: str) -> bytes:
    """The file's bytes (``parlib.core.io.read_input``: read once, hashed for provenance);
    InputFormatError (Vietnamese) for a missing or zero-byte file."""
    if not path.exists():
        raise InputFormatError("Không tìm thấy tệp dữ liệu.", [Problem("tệp không tồn tại", file=name)])
    data = read_input(path)
    if not data:
        raise InputFormatError("Tệp dữ liệu rỗng.", [Problem("tệp có dung lượng 0 byte", file=name)])
    return data


def _looks_like_text(data: bytes) -> bool:
    sample = data[:2048]
    try:
        sample.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return b"\x00" not in sample


_CSV_ENCODINGS = ("utf-8-sig", "cp1258")


def _decode_csv(raw: bytes, name: str) -> tuple[str, str]:
    """(text, encoding) of a CSV as Excel saves it: UTF-16 ("Unicode Text", with its byte-order
    mark), UTF-8 (with or without BOM) or Windows-1258."""
    if raw[:2] in (b"\xff\xfe", b"\xfe\xff"):
        return raw.decode("utf-16"), "utf-16"
    last: Exception | None = None
    for enc in _CSV_ENCODINGS:
        try:
            return raw.decode(enc), enc
        except UnicodeDecodeError as exc:
            last = exc
    raise InputFormatError(
        "Không đọc được tệp CSV.",
        [
            Problem(
                f"bảng mã không phải UTF-8, UTF-16 hoặc Windows-1258 ({last}); hãy mở bằng Excel và chọn "
                "Lưu thành «CSV UTF-8 (Comma delimited)»",
                file=name,
            )
        ],
    )


def _first_line(text: str) -> str:
    """The first line of ``text`` that is not blank (as ``str.splitlines`` splits), found in a
    growing prefix: a large export is not split into a list of all its lines for one header."""
    size = 1 << 16
    while True:
        lines = text[:size].splitlines()
        whole = size >= len(text)
        found = next((line for line in (lines if whole else lines[:-1]) if line.strip()), None)
        if found is not None or whole:
            return found or ""
        size *= 4


def _separator(text: str) -> str:
    """The delimiter of the header line: comma, semicolon (Excel with a Vietnamese list
    separator) or tab (Excel "Unicode Text"); commas win ties."""
    first = _first_line(text)
    counts = {sep: first.count(sep) for sep in (",", ";", "\t")}
    best = max(counts.values())
    return "," if best == 0 or counts[","] == best else max(counts, key=counts.get)


def _read_csv_cells(data: bytes, name: str, *, text_arrays: bool = False) -> pd.DataFrame:
    text, encoding = _decode_csv(data, name)
    fast = _arrow_csv_cells(text, data, encoding, text_arrays=text_arrays)
    if fast is not None:
        return fast
    try:
        df = pd.read_csv(
            io.StringIO(text), header=None, dtype=str, keep_default_na=False, sep=_separator(text)
        )
    except pd.errors.EmptyDataError as exc:
        raise InputFormatError(
            "Tệp dữ liệu rỗng.", [Problem("tệp CSV không có dòng nào", file=name)]
        ) from exc
    except pd.errors.ParserError as exc:
        raise InputFormatError(
            "Không đọc được tệp CSV.",
            [
                Problem(
                    f"cấu trúc CSV không hợp lệ ({exc}); hãy mở bằng Excel và lưu lại dưới dạng "
                    "«CSV UTF-8 (Comma delimited)»",
                    file=name,
                )
            ],
        ) from exc
    return df.astype(object).where(df.ne(""), None)


def _arrow_csv_cells(
    text: str, data: bytes, encoding: str, *, text_arrays: bool = False
) -> pd.DataFrame | None:
    """The grid :func:`_read_csv_cells` returns, read by Arrow's multi-threaded CSV reader (every
    column as text, blank cells None — or, with ``text_arrays``, Arrow-backed text columns with
    blank cells missing), or None to let pandas' reader decide: a file that Arrow does not read
    as one rectangle (rows of unequal length — a line of spaces is one —, a malformed quote) or
    a one-column file. Identical grids: tests/unit/test_csv_fast.py."""
    import csv

    import pyarrow as pa
    import pyarrow.csv as pacsv

    sep = _separator(text)
    start = re.match(r"[\r\n]*", text).end()  # (lstrip would copy the whole text)
    end = text.find("\n", start)
    first = text[start : end if end >= 0 else len(text)].rstrip("\r")
    try:
        width = len(next(csv.reader([first], delimiter=sep))) if first else 0
    except csv.Error:  # e.g. a lone carriage return inside the first line: pandas' reader decides
        return None
    if width < 2:
        return None
    names = [f"c{j}" for j in range(width)]
    # the bytes as read when the file is UTF-8 (without its byte-order mark), else re-encoded
    raw = (data[3:] if data[:3] == b"\xef\xbb\xbf" else data) if encoding == "utf-8-sig" else text.encode()
    try:
        table = pacsv.read_csv(
            io.BytesIO(raw),
            read_options=pacsv.ReadOptions(column_names=names),
            parse_options=pacsv.ParseOptions(delimiter=sep, newlines_in_values=True),
            convert_options=pacsv.ConvertOptions(  # blank cells (quoted or not) null, nothing else
                column_types={n: pa.large_string() for n in names},
                null_values=[""],
                strings_can_be_null=True,
                quoted_strings_can_be_null=True,
            ),
        )
    except (pa.ArrowInvalid, ValueError):
        return None
    if text_arrays:
        return pd.DataFrame({j: pd.arrays.ArrowStringArray(table.column(n)) for j, n in enumerate(names)})
    return pd.DataFrame(
        {j: table.column(n).to_numpy(zero_copy_only=False) for j, n in enumerate(names)}, dtype=object
    )


def object_cells(cells: pd.DataFrame) -> pd.DataFrame:
    """``cells`` as an object grid (Python values, None for blank): the form the header search
    and labels read. A grid of Arrow-backed text columns is converted; any other returned as is."""
    return pd.DataFrame({j: as_objects(cells[j]) for j in cells.columns}, index=cells.index)


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


def map_columns(
    headers: list[str],
    spec: dict[str, list[str]],
    *,
    required: list[str],
    file: str = "",
    sheet: str = "",
    header_row: int | None = None,
) -> tuple[dict[str, int], list[str]]:
    """Map logical column names to 0-based positions from header text.

    ``spec`` maps each logical name to its accepted header spellings (folded comparison).
    Returns (mapping, extra_headers). Raises StructuralError naming every missing
    required column (with the header row) in one message.
    """
    folded = [fold(h) for h in headers]
    mapping: dict[str, int] = {}
    duplicates: list[Problem] = []
    for logical, spellings in spec.items():
        keys = {fold(s) for s in spellings}
        hits = [j for j, h in enumerate(folded) if h in keys and j not in mapping.values()]
        if len(hits) > 1:  # which one holds the data is a guess: the analyst decides
            cols = ", ".join(excel_cell(1, j + 1)[:-1] for j in hits)
            duplicates.append(
                Problem(
                    f"cột «{headers[hits[0]]}» xuất hiện {len(hits)} lần (các cột {cols}): hãy xoá hoặc đổi tên "
                    "cột thừa rồi lưu lại",
                    file=file,
                    sheet=sheet,
                    column=headers[hits[0]],
                )
            )
        if hits:
            mapping[logical] = hits[0]
    if duplicates:
        raise StructuralError("Tiêu đề cột bị trùng.", duplicates)
    missing = [c for c in required if c not in mapping]
    if missing:
        row_txt = f" (dòng tiêu đề {header_row + 1})" if header_row is not None else ""
        raise StructuralError(
            "Thiếu cột bắt buộc.",
            [
                Problem(
                    f"không tìm thấy cột «{spec[c][0]}»{row_txt}", file=file, sheet=sheet, column=spec[c][0]
                )
                for c in missing
            ],
        )
    used = set(mapping.values())
    extras = [h for j, h in enumerate(headers) if j not in used and h]
    return mapping, extras


def extend_spec(spec: dict, extra: dict | None) -> dict[str, list[str]]:
    """``spec`` (logical column -> header spellings) with the analyst's spellings
    (``raw/config/header_spellings.csv``, ``parlib.ingest.spellings``) added after the built-in ones."""
    if not extra:
        return spec
    return {c: list(dict.fromkeys([*spec[c], *extra.get(c, ())])) for c in spec}


def spellings_key(extra: dict | None) -> str:
    """A stable text of extra spellings, for parse-cache keys (a new spelling re-parses the file)."""
    return "" if not extra else repr(sorted((c, tuple(v)) for c, v in extra.items()))
