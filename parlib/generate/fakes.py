"""Fake personal data and shared writing helpers of the operational generator.

Every name, phone number, ID number and address made here is synthetic: ID numbers start
with ``000`` (no province has that code), addresses use the street name ``Đường Mẫu``
(a placeholder street), and every workbook carries a title or note saying the data are
simulated. Phones follow the ``09xxxxxxxx`` pattern so that scrubbing can be tested.
"""

from __future__ import annotations

from datetime import datetime

import numpy as np
import openpyxl
import pandas as pd

from parlib.core.xlsx import save_workbook_deterministic

SURNAMES = [
    "Nguyễn",
    "Trần",
    "Lê",
    "Phạm",
    "Hoàng",
    "Huỳnh",
    "Phan",
    "Vũ",
    "Võ",
    "Đặng",
    "Bùi",
    "Đỗ",
    "Hồ",
    "Ngô",
    "Dương",
    "Lý",
    "Đinh",
    "Trương",
    "Mai",
    "Lương",
]
MIDDLE = [
    "Văn",
    "Thị",
    "Hữu",
    "Đức",
    "Minh",
    "Thanh",
    "Ngọc",
    "Quốc",
    "Thu",
    "Xuân",
    "Hoàng",
    "Kim",
    "Gia",
    "Bảo",
    "Anh",
]
GIVEN = [
    "An",
    "Bình",
    "Cường",
    "Dũng",
    "Hà",
    "Hải",
    "Hạnh",
    "Hiền",
    "Hoa",
    "Hùng",
    "Hương",
    "Khánh",
    "Lan",
    "Linh",
    "Long",
    "Mai",
    "Nam",
    "Nga",
    "Phong",
    "Phúc",
    "Quân",
    "Sơn",
    "Tâm",
    "Thảo",
    "Thành",
    "Trang",
    "Tuấn",
    "Vân",
    "Việt",
    "Yến",
]
# names of the Ê Đê and M'nông communities of Đắk Lắk (fictitious combinations)
HIGHLAND = ["Y Bih Niê", "H'Hen Mlô", "Y Kông Êban", "H'Linh Byă", "Y Thuột Knul", "H'Nga Buôn Yă"]
ORGS = [
    "Công ty TNHH Xây dựng Mẫu {n}",
    "Công ty cổ phần Tư vấn Thử nghiệm {n}",
    "Hợp tác xã Vận tải Mẫu {n}",
    "Công ty TNHH Vật liệu Giả định {n}",
]
WARDS = [
    "phường Tân An",
    "phường Ea Kao",
    "phường Buôn Ma Thuột",
    "phường Tân Lập",
    "xã Hòa Phú",
    "phường Tuy Hòa",
    "xã Ea Kar",
    "phường Buôn Hồ",
    "xã Krông Pắc",
]


def fake_names(rng: np.random.Generator, n: int, org_share: float = 0.15) -> np.ndarray:
    """``n`` fake Vietnamese names of persons or organisations (object array)."""
    sur = np.array(SURNAMES, dtype=object)[rng.integers(0, len(SURNAMES), n)]
    mid = np.array(MIDDLE, dtype=object)[rng.integers(0, len(MIDDLE), n)]
    giv = np.array(GIVEN, dtype=object)[rng.integers(0, len(GIVEN), n)]
    names = sur + " " + mid + " " + giv
    kind = rng.random(n)
    high = np.array(HIGHLAND, dtype=object)[rng.integers(0, len(HIGHLAND), n)]
    names = np.where(kind < 0.06, high, names)
    orgs = np.array([ORGS[i % len(ORGS)].format(n=i % 97 + 1) for i in range(len(ORGS) * 97)], dtype=object)[
        rng.integers(0, len(ORGS) * 97, n)
    ]
    return np.where(kind > 1 - org_share, orgs, names)


def fake_phones(rng: np.random.Generator, n: int) -> np.ndarray:
    """``09xxxxxxxx`` numbers (object array of text)."""
    return np.array([f"09{v:08d}" for v in rng.integers(0, 10**8, n)], dtype=object)


def fake_ids(rng: np.random.Generator, n: int) -> np.ndarray:
    """12-digit ID numbers starting ``000`` (not a real province code)."""
    return np.array([f"000{v:09d}" for v in rng.integers(0, 10**9, n)], dtype=object)


def fake_addresses(rng: np.random.Generator, n: int) -> np.ndarray:
    """``Số 12 Đường Mẫu 3, phường Tân An, tỉnh Đắk Lắk`` style addresses."""
    num = rng.integers(1, 300, n)
    street = rng.integers(1, 40, n)
    ward = rng.integers(0, len(WARDS), n)
    return np.array(
        [f"Số {a} Đường Mẫu {b}, {WARDS[c]}, tỉnh Đắk Lắk" for a, b, c in zip(num, street, ward)],
        dtype=object,
    )


def fake_emails(rng: np.random.Generator, n: int) -> np.ndarray:
    """``nguoidan123@vidu.vn`` addresses (``vidu.vn`` = 'example')."""
    return np.array([f"nguoidan{v:04d}@vidu.vn" for v in rng.integers(0, 10**4, n)], dtype=object)


def cell_datetimes(values, as_text: bool = False, with_time: bool = True) -> list:
    """Datetime-likes -> list of ``datetime``/``None`` (or ``dd/mm/yyyy HH:MM`` text)."""
    ser = pd.Series(pd.to_datetime(pd.Series(values)), dtype="datetime64[us]")
    fmt = "%d/%m/%Y %H:%M" if with_time else "%d/%m/%Y"
    out: list = []
    for v in ser.tolist():
        if v is None or pd.isna(v):
            out.append(None)
        elif as_text:
            out.append(v.strftime(fmt))
        else:
            out.append(datetime(v.year, v.month, v.day, v.hour, v.minute, v.second))
    return out


SYNTHETIC_NOTE = (
    "Dữ liệu mô phỏng (tổng hợp) do parlib sinh ra từ kịch bản «{name}» — "
    "không phải dữ liệu thật; họ tên, số điện thoại, số định danh, địa chỉ, email "
    "đều là giả."
)


def write_rows(
    path, sheet: str, header: list[str], rows: list[list], title_rows: list[str] = (), note: str | None = None
) -> int:
    """Write one sheet (optional title rows, a header, data rows) deterministically.

    ``note`` (when given) goes to a second sheet ``Ghi chú``. Uses openpyxl write-only
    mode; returns the number of data rows written.
    """
    wb = openpyxl.Workbook(write_only=True)
    ws = wb.create_sheet(sheet)
    for t in title_rows:
        ws.append([t])
    if title_rows:
        ws.append([])
    ws.append(header)
    for r in rows:
        ws.append(r)
    if note:
        ws_note = wb.create_sheet("Ghi chú")
        ws_note.append([note])
    path.parent.mkdir(parents=True, exist_ok=True)
    save_workbook_deterministic(wb, path)
    return len(rows)


def frame_rows(frame: pd.DataFrame) -> list[list]:
    """DataFrame -> list of rows with ``None`` for missing values (object cells)."""
    obj = frame.astype(object).where(frame.notna(), None)
    return obj.values.tolist()
