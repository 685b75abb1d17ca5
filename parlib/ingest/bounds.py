"""Limits checked on a workbook before any reader allocates memory for it.

The Excel reader (calamine) allocates a sheet's declared dimension: one value in cell
XFD1048576 of a 6 KB file asks for ~17 billion cells and aborts the process; a stray value far
below the data makes it build a million empty rows; a tiny zip can unpack to hundreds of
megabytes of text. The zip directory and the first bytes of each sheet tell all of this in
milliseconds, so a workbook beyond these limits is refused with a Vietnamese message naming the
sheet and what to fix (exit status 2) before it is opened:

* ``MAX_DECLARED_CELLS`` — rows × columns of a sheet's declared range (``<dimension ref>``):
  30 million (e.g. 300 000 rows × 100 columns).
* ``MAX_ROWS_PER_BYTE`` — a sheet that declares many more rows than its XML could hold (every
  stored row takes at least ~15 bytes) has stray cells far below its data: refused above
  100 000 declared rows when the declared rows exceed 10 × (sheet bytes ÷ 15).
* ``MAX_UNPACKED_BYTES`` — 512 MB per worksheet or shared-strings part, unpacked.
* ``MAX_RATIO`` — a part above 20 MB unpacked that is more than 200 times smaller packed is a
  compression bomb (ordinary workbooks pack 5–20 times).
"""

from __future__ import annotations

import re
import zipfile
from pathlib import Path
from typing import BinaryIO

from parlib.core.errors import InputFormatError, Problem

MAX_DECLARED_CELLS = 30_000_000
MAX_UNPACKED_BYTES = 512 * 1024 * 1024
MAX_RATIO, RATIO_FROM_BYTES = 200, 20 * 1024 * 1024
MIN_ROW_BYTES, SPARSE_FACTOR, SPARSE_FROM_ROWS = 15, 10, 100_000
_DIMENSION = re.compile(rb'<dimension\s+ref="([A-Z]{1,3})(\d+)(?::([A-Z]{1,3})(\d+))?"')


def _col(letters: bytes) -> int:
    n = 0
    for ch in letters.decode():
        n = n * 26 + (ord(ch) - 64)
    return n


def _mb(n: int) -> str:
    return f"{n / 1024 / 1024:.0f} MB".replace(".", ",")


def check_workbook(path: str | Path | BinaryIO, name: str) -> None:
    """Raise InputFormatError when a part of the workbook (a path or its bytes as a file object)
    is beyond the limits above."""
    problems: list[Problem] = []
    with zipfile.ZipFile(path) as zf:
        for info in zf.infolist():
            part = info.filename
            is_sheet = part.startswith("xl/worksheets/") and part.endswith(".xml")
            if not (is_sheet or part == "xl/sharedStrings.xml"):
                continue
            where = part.rsplit("/", 1)[-1]
            if info.file_size > MAX_UNPACKED_BYTES:
                problems.append(
                    Problem(
                        f"phần «{where}» giải nén ra {_mb(info.file_size)}, vượt giới hạn {_mb(MAX_UNPACKED_BYTES)}",
                        file=name,
                    )
                )
                continue
            if info.file_size > RATIO_FROM_BYTES and info.file_size > MAX_RATIO * max(info.compress_size, 1):
                problems.append(
                    Problem(
                        f"phần «{where}» nén {info.compress_size:,} byte nhưng giải nén ra {_mb(info.file_size)} "
                        "(bất thường, có thể là tệp độc hại): hãy mở bằng Excel và lưu lại".replace(",", "."),
                        file=name,
                    )
                )
                continue
            if not is_sheet:
                continue
            with zf.open(info) as fh:
                head = fh.read(64 * 1024)
            m = _DIMENSION.search(head)
            if not m:
                continue
            c1, r1, c2, r2 = (
                m.group(1),
                int(m.group(2)),
                m.group(3) or m.group(1),
                int(m.group(4) or m.group(2)),
            )
            rows, cols = abs(r2 - r1) + 1, abs(_col(c2) - _col(c1)) + 1
            ref = m.group(0).decode().split('"')[1]
            if rows * cols > MAX_DECLARED_CELLS:
                problems.append(
                    Problem(
                        f"trang «{where}» khai báo vùng dữ liệu {ref} ({rows:,} dòng × {cols:,} cột), vượt giới hạn "
                        f"{MAX_DECLARED_CELLS:,} ô: hãy xoá các ô thừa ở xa vùng dữ liệu rồi lưu lại".replace(
                            ",", "."
                        ),
                        file=name,
                    )
                )
            elif rows > SPARSE_FROM_ROWS and rows > SPARSE_FACTOR * info.file_size / MIN_ROW_BYTES:
                problems.append(
                    Problem(
                        f"trang «{where}» khai báo {rows:,} dòng ({ref}) nhưng chỉ chứa rất ít dữ liệu: có ô thừa ở xa bên "
                        "dưới vùng dữ liệu; hãy xoá các dòng trống phía dưới rồi lưu lại".replace(",", "."),
                        file=name,
                    )
                )
    if problems:
        raise InputFormatError("Tệp Excel vượt giới hạn đọc an toàn.", problems)
