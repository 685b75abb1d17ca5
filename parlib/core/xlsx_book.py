"""A small, fast writer of plain .xlsx workbooks: tables of values, a bold frozen header row,
column widths, number formats. What :func:`parlib.core.xlsx.write_excel_tables` needs, written
straight as SpreadsheetML (ECMA-376) text instead of through openpyxl's cell objects, which cost
about 30 µs a cell (0,9 s for the 28,000 cells of a department's quarterly workbook; this writer
0,1 s).

* Text goes to the shared-strings part and is never a formula (a cell is a formula only when
  written as ``<f>``; this writer has no way to write one). Characters XML 1.0 forbids are
  dropped (openpyxl refuses them with an error); a text is cut at Excel's 32,767 characters.
* Excel's limits are kept: sheet names (31 characters, none of the characters Excel forbids, not blank,
  no apostrophe at either end, not "History", unique), 1,048,576 rows × 16,384 columns,
  integers beyond 2**53 written as doubles, dates before 1900 as text.
* Numbers are written exactly (the shortest text that reads back as the same double); booleans ``t="b"``; dates and times are Excel serial days (the
  1900 date system) shown with the cell's number format.
* The bytes are reproducible: fixed document properties and zip timestamps, parts in a fixed
  order (what :func:`parlib.core.xlsx.save_workbook_deterministic` does for openpyxl).
"""

from __future__ import annotations

import io
import math
import re
import unicodedata
import zipfile
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from pathlib import Path

from parlib.core.io import atomic_path
from parlib.core.vnformat import fmt_int

_MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
_REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
_PKG_REL = "http://schemas.openxmlformats.org/package/2006/relationships"
_HEAD = '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
_ZIP_TIME = (1980, 1, 1, 0, 0, 0)
_EPOCH = datetime(1899, 12, 30)  # Excel's day 0 in the 1900 date system (after its 29/02/1900)
# characters XML 1.0 does not allow (C0 controls but tab/newline/return, surrogates, U+FFFE/F)
_ILLEGAL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")
_SHEET_NAME_BAD = re.compile(r"[\\/?*\[\]:]")
_ESCAPE_LIKE = re.compile(r"_(x[0-9A-Fa-f]{4}_)")  # Excel reads "_x0041_" in a text as "A"
MAX_TEXT = 32767  # characters in one cell (Excel repairs a longer one away)
MAX_ROWS, MAX_COLUMNS = 1_048_576, 16_384
DATE_FORMAT = "yyyy-mm-dd"  # openpyxl's defaults for a date / datetime without a format
DATETIME_FORMAT = "yyyy-mm-dd h:mm:ss"
TIME_FORMAT, DURATION_FORMAT = "h:mm:ss", "[hh]:mm:ss"


def _xml(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _esc(text: str) -> str:
    return _xml(_ILLEGAL.sub("", text))


def _text(text: str) -> str:
    """A cell's text as shared-string content: escaped for XML, a literal "_xHHHH_" kept as
    written (Excel would decode it), a carriage return kept (XML reading turns it into a newline).
    The forbidden characters go first: dropping one must not make an escape appear."""
    return _xml(_ESCAPE_LIKE.sub(r"_x005F_\1", _ILLEGAL.sub("", text))).replace("\r", "_x000D_")


def _attr(text: str) -> str:
    return _esc(text).replace('"', "&quot;")


def _number(x: float) -> str:
    """The shortest text that reads back as exactly ``x``; a whole number without ".0" (read
    back as an integer, as openpyxl writes it)."""
    text = repr(float(x) + 0.0)  # a float subclass (numpy) has its own repr; -0.0 is 0
    return text[:-2] if text.endswith(".0") else text


def write_zip(parts, target: str | Path) -> Path:
    """The ``(name, bytes)`` parts as a zip written atomically to ``target``, in the order given,
    with reproducible bytes (fixed timestamps and permissions)."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED) as z:
        for name, payload in parts:
            info = zipfile.ZipInfo(name, date_time=_ZIP_TIME)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o600 << 16
            z.writestr(info, payload)
    target = Path(target)
    with atomic_path(target) as tmp:
        tmp.write_bytes(out.getvalue())
    return target


def column_letter(j: int) -> str:
    """1 -> A, 27 -> AA."""
    out = ""
    while j:
        j, r = divmod(j - 1, 26)
        out = chr(65 + r) + out
    return out


def excel_serial(v: datetime | date) -> float | None:
    """Excel's serial day of ``v`` (fraction for the time of day), in the 1900 date system: day 1
    is 1 January 1900 and Excel counts a 29 February 1900 that never was, so from 1 March 1900 on
    the days since 30 December 1899. None before 1900 (Excel cannot show such a date)."""
    if isinstance(v, datetime):
        delta = v.replace(tzinfo=None) - _EPOCH
        serial = delta.days + (delta.seconds + delta.microseconds / 1e6) / 86400
    else:
        serial = float((v - _EPOCH.date()).days)
    if serial < 61:  # before 1 March 1900: no false leap day to skip yet
        serial -= 1
    return serial if serial >= 1 else None


@dataclass
class _Sheet:
    name: str
    rows: list[str] = field(default_factory=list)  # <row> elements
    widths: dict[int, float] = field(default_factory=dict)
    freeze_header: bool = False
    last_row: int = 0
    last_col: int = 0


class XlsxBook:
    """Sheets filled row by row (:meth:`add_row`), then :meth:`save`. A cell value is None
    (no cell), str, bool, int, float (NaN and ±inf: no cell), Decimal, datetime, date, time or
    timedelta (a time zone is dropped: the wall-clock time is written); ``fmt`` an
    Excel number format code ("#,##0.00", "0.0%", "dd/mm/yyyy"). An empty text is no cell."""

    def __init__(self) -> None:
        self.sheets: list[_Sheet] = []
        self._strings: dict[str, int] = {}
        self._string_refs = 0
        self._formats: dict[str, int] = {}  # format code -> numFmtId (164 on)
        self._styles: dict[tuple[int, bool], int] = {(0, False): 0}  # (numFmtId, bold) -> xf
        self._cols: list[str] = [""]

    # ------------------------------------------------------------ filling

    def add_sheet(self, name: str, *, freeze_header: bool = False) -> _Sheet:
        """A new sheet (name cut to Excel's 31 characters; a repeated name gets a number, as
        openpyxl does); ``freeze_header``: row 1 stays in view when scrolling."""
        base = unicodedata.normalize("NFC", _ILLEGAL.sub("", name))[:31].rstrip("'")  # (after the cut)
        bad = _SHEET_NAME_BAD.search(name) or name.startswith("'") or name.endswith("'")
        if bad or not base.strip() or base.casefold() == "history":
            raise ValueError(f"Tên trang tính không hợp lệ trong Excel: {name!r}")
        taken = {s.name.casefold() for s in self.sheets}
        final, k = base, 1
        while final.casefold() in taken:
            final, k = f"{base[: 31 - len(str(k))]}{k}", k + 1
        sheet = _Sheet(final, freeze_header=freeze_header)
        self.sheets.append(sheet)
        return sheet

    def set_width(self, sheet: _Sheet, column: int, width: float) -> None:
        sheet.widths[column] = width

    def add_row(self, sheet: _Sheet, values, formats=None, *, bold: bool = False) -> None:
        """The next row of ``sheet``: ``values`` from column A on, ``formats`` (optional, same
        length) their number formats (None: general)."""
        r = sheet.last_row + 1
        if r > MAX_ROWS or len(values) > MAX_COLUMNS:
            raise ValueError(
                f"Trang tính «{sheet.name}» vượt giới hạn của Excel "
                f"({fmt_int(MAX_ROWS)} dòng, {fmt_int(MAX_COLUMNS)} cột)"
            )
        sheet.last_row = r
        while len(self._cols) <= len(values):
            self._cols.append(column_letter(len(self._cols)))
        cells = []
        for j, v in enumerate(values, start=1):
            if v is None:
                continue
            fmt = formats[j - 1] if formats is not None else None
            cell = self._cell(v, fmt, bold)
            if cell is None:
                continue
            cells.append(f'<c r="{self._cols[j]}{r}"{cell}')
            sheet.last_col = max(sheet.last_col, j)
        sheet.rows.append(f'<row r="{r}">{"".join(cells)}</row>' if cells else f'<row r="{r}"/>')

    def _cell(self, v, fmt: str | None, bold: bool) -> str | None:
        """The attributes and content of one ``<c>`` after its reference; None: no cell."""
        if isinstance(v, str):
            if not v:
                return None  # an empty text is an empty cell (openpyxl reads it back so too)
            s = self._style(fmt, bold)
            idx = self._strings.setdefault(v[:MAX_TEXT], len(self._strings))
            self._string_refs += 1
            return f'{s} t="s"><v>{idx}</v></c>'
        if isinstance(v, bool):
            return f'{self._style(fmt, bold)} t="b"><v>{int(v)}</v></c>'
        if isinstance(v, int) and abs(v) <= 2**53:
            return f"{self._style(fmt, bold)}><v>{v}</v></c>"
        if isinstance(v, int):  # Excel holds 15 significant digits: a longer integer as a double
            v = float(v)  # (OverflowError beyond the range of a double)
        if isinstance(v, float):
            if not math.isfinite(v):
                return None
            return f"{self._style(fmt, bold)}><v>{_number(v)}</v></c>"
        if isinstance(v, date):  # datetime too
            serial = excel_serial(v)
            if serial is None:  # before 1900: shown as the text of the date
                return self._cell(v.strftime("%d/%m/%Y"), None, bold)
            fmt = fmt or (DATETIME_FORMAT if isinstance(v, datetime) else DATE_FORMAT)
            return f"{self._style(fmt, bold)}><v>{_number(serial)}</v></c>"
        if isinstance(v, timedelta):  # a duration: days and their fraction (openpyxl's format)
            return self._cell(v.total_seconds() / 86400, fmt or DURATION_FORMAT, bold)
        if isinstance(v, time):  # a time of day: the fraction of the day
            seconds = v.hour * 3600 + v.minute * 60 + v.second + v.microsecond / 1e6
            return self._cell(seconds / 86400, fmt or TIME_FORMAT, bold)
        if isinstance(v, Decimal):
            return self._cell(float(v), fmt, bold)
        raise TypeError(f"xlsx_book: cannot write {type(v).__name__} value {v!r} to Excel")

    def _style(self, fmt: str | None, bold: bool) -> str:
        num = 0 if fmt is None else self._formats.setdefault(fmt, 164 + len(self._formats))
        key = (num, bold)
        xf = self._styles.setdefault(key, len(self._styles))
        return f' s="{xf}"' if xf else ""

    # ------------------------------------------------------------ saving

    def save(self, target: str | Path) -> Path:
        """Write the workbook atomically to ``target`` (reproducible bytes)."""
        if not self.sheets:
            raise ValueError("xlsx_book: a workbook needs at least one sheet")
        parts = [
            ("[Content_Types].xml", self._content_types()),
            ("_rels/.rels", self._root_rels()),
            (
                "docProps/app.xml",
                _HEAD + '<Properties xmlns="http://schemas.openxmlformats.org/'
                'officeDocument/2006/extended-properties"><Application>parlib</Application></Properties>',
            ),
            ("docProps/core.xml", self._core()),
            ("xl/workbook.xml", self._workbook()),
            ("xl/_rels/workbook.xml.rels", self._workbook_rels()),
            ("xl/styles.xml", self._styles_xml()),
            *[(f"xl/worksheets/sheet{i}.xml", self._sheet_xml(s, i)) for i, s in enumerate(self.sheets, 1)],
            ("xl/sharedStrings.xml", self._shared_strings()),
        ]
        return write_zip(((name, text.encode("utf-8")) for name, text in parts), target)

    def _content_types(self) -> str:
        ws = "application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"
        sheets = "".join(
            f'<Override PartName="/xl/worksheets/sheet{i}.xml" ContentType="{ws}"/>'
            for i in range(1, len(self.sheets) + 1)
        )
        sml = "application/vnd.openxmlformats-officedocument.spreadsheetml"
        return (
            _HEAD + '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
            '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
            '<Default Extension="xml" ContentType="application/xml"/>'
            f'<Override PartName="/xl/workbook.xml" ContentType="{sml}.sheet.main+xml"/>'
            f"{sheets}"
            f'<Override PartName="/xl/styles.xml" ContentType="{sml}.styles+xml"/>'
            f'<Override PartName="/xl/sharedStrings.xml" ContentType="{sml}.sharedStrings+xml"/>'
            '<Override PartName="/docProps/core.xml" '
            'ContentType="application/vnd.openxmlformats-package.core-properties+xml"/>'
            '<Override PartName="/docProps/app.xml" '
            'ContentType="application/vnd.openxmlformats-officedocument.extended-properties+xml"/>'
            "</Types>"
        )

    @staticmethod
    def _root_rels() -> str:
        return (
            _HEAD + f'<Relationships xmlns="{_PKG_REL}">'
            f'<Relationship Id="rId1" Type="{_REL}/officeDocument" Target="xl/workbook.xml"/>'
            f'<Relationship Id="rId2" Type="{_PKG_REL}/metadata/core-properties" Target="docProps/core.xml"/>'
            f'<Relationship Id="rId3" Type="{_REL}/extended-properties" Target="docProps/app.xml"/>'
            "</Relationships>"
        )

    @staticmethod
    def _core() -> str:
        stamp = "2026-01-01T00:00:00Z"  # fixed: the same content gives the same bytes
        return (
            _HEAD + '<cp:coreProperties xmlns:cp="http://schemas.openxmlformats.org/package/2006/'
            'metadata/core-properties" xmlns:dc="http://purl.org/dc/elements/1.1/" '
            'xmlns:dcterms="http://purl.org/dc/terms/" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">'
            "<dc:creator>parlib</dc:creator><cp:lastModifiedBy>parlib</cp:lastModifiedBy>"
            f'<dcterms:created xsi:type="dcterms:W3CDTF">{stamp}</dcterms:created>'
            f'<dcterms:modified xsi:type="dcterms:W3CDTF">{stamp}</dcterms:modified>'
            "</cp:coreProperties>"
        )

    def _workbook(self) -> str:
        sheets = "".join(
            f'<sheet name="{_attr(s.name)}" sheetId="{i}" r:id="rId{i}"/>'
            for i, s in enumerate(self.sheets, 1)
        )
        return (
            _HEAD + f'<workbook xmlns="{_MAIN}" xmlns:r="{_REL}">'
            f'<bookViews><workbookView activeTab="0"/></bookViews><sheets>{sheets}</sheets></workbook>'
        )

    def _workbook_rels(self) -> str:
        n = len(self.sheets)
        rels = "".join(
            f'<Relationship Id="rId{i}" Type="{_REL}/worksheet" Target="worksheets/sheet{i}.xml"/>'
            for i in range(1, n + 1)
        )
        return (
            _HEAD + f'<Relationships xmlns="{_PKG_REL}">{rels}'
            f'<Relationship Id="rId{n + 1}" Type="{_REL}/styles" Target="styles.xml"/>'
            f'<Relationship Id="rId{n + 2}" Type="{_REL}/sharedStrings" Target="sharedStrings.xml"/>'
            "</Relationships>"
        )

    def _styles_xml(self) -> str:
        fmts = "".join(
            f'<numFmt numFmtId="{i}" formatCode="{_attr(code)}"/>' for code, i in self._formats.items()
        )
        font = '<sz val="11"/><name val="Calibri"/><family val="2"/>'
        xfs = "".join(
            f'<xf numFmtId="{num}" fontId="{int(bold)}" fillId="0" borderId="0" xfId="0"'
            + (' applyNumberFormat="1"' if num else "")
            + (' applyFont="1"' if bold else "")
            + "/>"
            for (num, bold) in self._styles
        )
        return (
            _HEAD
            + f'<styleSheet xmlns="{_MAIN}">'
            + (f'<numFmts count="{len(self._formats)}">{fmts}</numFmts>' if self._formats else "")
            + f'<fonts count="2"><font>{font}</font><font><b/>{font}</font></fonts>'
            '<fills count="2"><fill><patternFill patternType="none"/></fill>'
            '<fill><patternFill patternType="gray125"/></fill></fills>'
            '<borders count="1"><border><left/><right/><top/><bottom/><diagonal/></border></borders>'
            '<cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/></cellStyleXfs>'
            f'<cellXfs count="{len(self._styles)}">{xfs}</cellXfs>'
            '<cellStyles count="1"><cellStyle name="Normal" xfId="0" builtinId="0"/></cellStyles>'
            "</styleSheet>"
        )

    def _sheet_xml(self, s: _Sheet, index: int) -> str:
        ref = f"A1:{column_letter(s.last_col)}{s.last_row}" if s.last_col else "A1"
        selected = ' tabSelected="1"' if index == 1 else ""
        pane = (
            '<pane ySplit="1" topLeftCell="A2" activePane="bottomLeft" state="frozen"/>'
            '<selection pane="bottomLeft" activeCell="A2" sqref="A2"/>'
            if s.freeze_header
            else '<selection activeCell="A1" sqref="A1"/>'
        )
        cols = "".join(
            f'<col min="{j}" max="{j}" width="{_number(w)}" customWidth="1"/>'
            for j, w in sorted(s.widths.items())
        )
        return (
            _HEAD + f'<worksheet xmlns="{_MAIN}" xmlns:r="{_REL}"><dimension ref="{ref}"/>'
            f'<sheetViews><sheetView workbookViewId="0"{selected}>{pane}</sheetView></sheetViews>'
            '<sheetFormatPr defaultRowHeight="15"/>'
            + (f"<cols>{cols}</cols>" if cols else "")
            + ("<sheetData>" + "".join(s.rows) + "</sheetData>" if s.rows else "<sheetData/>")
            + '<pageMargins left="0.75" right="0.75" top="1" bottom="1" header="0.5" footer="0.5"/>'
            "</worksheet>"
        )

    def _shared_strings(self) -> str:
        items = "".join(f'<si><t xml:space="preserve">{_text(t)}</t></si>' for t in self._strings)
        return (
            _HEAD + f'<sst xmlns="{_MAIN}" count="{self._string_refs}" uniqueCount="{len(self._strings)}">'
            f"{items}</sst>"
        )
