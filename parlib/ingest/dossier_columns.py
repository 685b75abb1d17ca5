"""The dossier export's columns (header spellings, types) and the procedure catalogue reader."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from parlib.core import frames
from parlib.core.calendar import UNITS
from parlib.core.cells import arrow_strings, parse_numbers
from parlib.core.errors import ConfigError, Problem, StructuralError
from parlib.core.text import fold, normalise_text, scrub_frame
from parlib.ingest.readers import read_csv_table
from parlib.model.dossier_rules import END_COLUMNS

SHEET = "Danh sách hồ sơ"
HEADERS: dict[str, list[str]] = {
    "dossier_id": ["Số hồ sơ", "Mã hồ sơ"],
    "procedure_code": ["Mã TTHC", "Mã thủ tục", "Mã thủ tục hành chính"],
    "procedure_name": ["Tên thủ tục hành chính", "Tên TTHC", "Tên thủ tục"],
    "field_name": ["Lĩnh vực"],
    "office_name": ["Đơn vị xử lý", "Phòng xử lý", "Đơn vị giải quyết"],
    "channel": ["Kênh nộp", "Kênh thực hiện", "Hình thức nộp"],
    "received_at": ["Ngày tiếp nhận"],
    "due_at": ["Ngày hẹn trả"],
    "supplement_count": ["Số lần yêu cầu bổ sung", "Số lần bổ sung"],
    "supplement_requested_at": ["Ngày yêu cầu bổ sung"],
    "supplement_completed_at": ["Ngày hoàn thành bổ sung"],
    "finished_at": ["Ngày xử lý xong"],
    "returned_at": ["Ngày trả kết quả"],
    "stopped_at": ["Ngày dừng xử lý"],
    "status": ["Trạng thái", "Tình trạng"],
    "apology_at": ["Ngày xin lỗi"],
    "rescheduled_due_at": ["Ngày hẹn trả mới", "Ngày hẹn lại"],
    "reschedule_count": ["Số lần hẹn lại"],
    "is_digitised": ["Số hóa hồ sơ"],
    "has_e_result": ["Kết quả điện tử"],
    "is_paid_online": ["Thanh toán trực tuyến"],
    "citizen_rating": ["Đánh giá của người dân"],
}
REQUIRED = ["dossier_id", "procedure_code", "received_at", "due_at", "status"]
DATE_COLUMNS = [
    "received_at",
    "due_at",
    "supplement_requested_at",
    "supplement_completed_at",
    *END_COLUMNS,
    "apology_at",
    "rescheduled_due_at",
]
TEXT_COLUMNS = [
    "dossier_id",
    "procedure_code",
    "procedure_name",
    "field_name",
    "office_name",
    "status",
    "citizen_rating",
]
EVENT_COLUMNS = [c for c in DATE_COLUMNS if c not in ("due_at", "rescheduled_due_at")]  # not appointments
FLAG_COLUMNS = ["is_digitised", "has_e_result", "is_paid_online"]
COUNT_COLUMNS = ["supplement_count", "reschedule_count"]
_TRUE = {"co", "x", "1", "true", "yes", "da", "dung"}
_FALSE = {"khong", "0", "false", "no", "chua", "sai"}
_CHANNELS = {
    "": 1,
    "1": 1,
    "2": 2,
    "3": 3,
    "truc tiep": 1,
    "truc tuyen": 2,
    "buu chinh": 3,
    "buu chinh cong ich": 3,
}
OUTPUT_COLUMNS = [
    *HEADERS,
    "status_code",
    "deadline_value",
    "deadline_unit",
    "after_15h",
    "fee_vnd",
    "has_paper_result",
    "in_catalogue",
    "expected_due_at",
    "due_mismatch",
    "snapshot_at",
    "source_file",
    "source_row",
]
# Texts with few distinct values (hundreds of offices and procedures for millions of dossiers):
# the reader hands them on as pandas categoricals (categories in code-point order, as a sort of
# the texts), one small integer per dossier instead of one text (issue 19: 2.5 GB of the 10M
# frame's 4 GB). dossier_id (one per dossier) stays text.
CATEGORY_COLUMNS = [
    *(c for c in TEXT_COLUMNS if c != "dossier_id"),
    "status_code",
    "deadline_unit",
    "source_file",
]


def as_categories(df: pd.DataFrame) -> pd.DataFrame:
    """``df`` with its text CATEGORY_COLUMNS as categoricals (in place; returned for chaining).
    Values, missing cells and the order of a sort are those of the texts."""
    return frames.as_categories(df, CATEGORY_COLUMNS)


PROCEDURE_COLUMNS = [
    "procedure_code",
    "procedure_name",
    "field_name",
    "office_name",
    "deadline_value",
    "deadline_unit",
    "after_15h",
    "online_level",
    "fee_vnd",
    "has_paper_result",
    "difficulty",
]


# ---------------------------------------------------------------- procedures catalogue


# A blank cell of these flags is not "no": blank "Thanh toán trực tuyến" means the dossier owes
# no fee (data contract), so it is <NA> and leaves the online-payment denominator (766 3.6).
BLANK_IS_NA = {"is_paid_online"}


def _bools(s: pd.Series, *, blank=False) -> tuple[pd.Series, pd.Series]:
    """(boolean Series, bad mask): Có/Không, true/false, 1/0, x; blank -> ``blank`` (False or
    ``pd.NA``). The bad mask marks non-blank values that are none of these."""
    keys = _map_unique(s, fold).fillna("")
    out = pd.Series(pd.NA, index=s.index, dtype="boolean")
    out[keys.isin(_TRUE)] = True
    out[keys.isin(_FALSE)] = False
    is_blank = keys == ""
    out[is_blank] = blank
    return out, out.isna() & ~is_blank


def load_procedures(path: str | Path) -> pd.DataFrame:
    """Procedures catalogue ``raw/config/procedures.csv`` (PROCEDURE_COLUMNS; extra columns kept):
    text NFC ``str``, ``deadline_value``/``fee_vnd`` float (blank fee = 0), flags bool.
    Raises ConfigError when the file is missing and StructuralError listing every missing
    column, duplicate or blank code, bad deadline value or unit, bad flag or fee.
    """
    path = Path(path)
    if not path.is_file():
        raise ConfigError(f"Không tìm thấy danh mục thủ tục «{path}».")
    raw = read_csv_table(path)
    name = path.name
    missing = [c for c in PROCEDURE_COLUMNS if c not in raw.columns]
    if missing:
        raise StructuralError(
            f"Danh mục thủ tục «{name}» thiếu cột bắt buộc:",
            [Problem("thiếu cột", file=name, column=c) for c in missing],
        )
    df = raw.map(normalise_text)
    problems: list[Problem] = []

    def bad(mask: pd.Series, column: str, what: str) -> None:
        for i in np.flatnonzero(mask.to_numpy()):
            problems.append(
                Problem(f"{what}: «{raw[column].iloc[i]}»", file=name, row=int(i) + 2, column=column)
            )

    bad(df["procedure_code"].isna(), "procedure_code", "thiếu mã thủ tục")
    bad(
        df["procedure_code"].duplicated(keep=False) & df["procedure_code"].notna(),
        "procedure_code",
        "mã thủ tục bị trùng",
    )
    value, bad_value = parse_numbers(df["deadline_value"].astype(object))
    bad(bad_value | value.isna() | (value <= 0), "deadline_value", "thời hạn phải là số dương")
    bad(~df["deadline_unit"].isin(UNITS), "deadline_unit", f"đơn vị thời hạn phải là {', '.join(UNITS)}")
    fee, bad_fee = parse_numbers(df["fee_vnd"].astype(object))
    bad(bad_fee | (fee < 0), "fee_vnd", "phí, lệ phí phải là số ≥ 0")
    flags = {}
    for col in ("after_15h", "has_paper_result"):
        flags[col], wrong = _bools(df[col].astype(object))
        bad(wrong, col, "giá trị phải là true/false (Có/Không)")
    if problems:
        raise StructuralError(f"Danh mục thủ tục «{name}» có lỗi:", problems)
    return scrub_frame(df.astype("str")).assign(
        deadline_value=value.to_numpy(),
        fee_vnd=fee.fillna(0.0).to_numpy(),
        **{c: v.astype(bool).to_numpy() for c, v in flags.items()},
    )


# ---------------------------------------------------------------- parsing


def _map_unique(s: pd.Series, func) -> pd.Series:
    """``s.map(func)`` evaluated once per distinct non-missing value (object result)."""
    codes, uniques = pd.factorize(
        s if arrow_strings(s) is not None else s.astype(object), use_na_sentinel=True
    )
    mapped = np.array([func(u) for u in uniques] + [None], dtype=object)
    return pd.Series(mapped[codes], index=s.index, dtype=object)
