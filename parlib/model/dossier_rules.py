"""Dossier rules shared by the dossier reader and the KPIs: status codes and their precedence,
the end-of-processing columns and the consistency rules of a dossier record (no I/O).
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

# status text (folded) -> status_code; rank orders snapshots of one dossier (later wins)
STATUS_CODES = {
    "da tra ket qua": "returned",
    "da xu ly xong": "finished",
    "dang xu ly": "in_progress",
    "cho bo sung": "waiting_supplement",
    "tam dung": "paused",
    "dung xu ly": "stopped",
    "tu choi": "rejected",
    "rut ho so": "withdrawn",
}
STATUS_RANK = {
    "in_progress": 1,
    "waiting_supplement": 1,
    "paused": 1,
    "finished": 2,
    "returned": 3,
    "stopped": 3,
    "rejected": 3,
    "withdrawn": 3,
}
END_COLUMNS = ["finished_at", "returned_at", "stopped_at"]
END_RULES = ("priority", "earliest")


@dataclass(frozen=True)
class KpiRules:
    """Parameters of the dossier KPIs that the sources state but a unit may need to set.

    ``apology_lead_days``: the apology letter (form 04, with a new return date) is on time when
    sent at least this many days before the due date (NĐ 118/2025/NĐ-CP, TT 03/2025/TT-VPCP: one
    day). ``end_of_processing``: which date ends processing when a record carries several —
    ``priority`` (the 766 text: "Đã xử lý xong" first, then "Đã trả kết quả", then
    "Dừng/Từ chối"; the default) or ``earliest`` (the first of the three).
    """

    apology_lead_days: int = 1
    end_of_processing: str = "priority"

    def __post_init__(self) -> None:
        if self.end_of_processing not in END_RULES:
            raise ValueError(f"end_of_processing must be one of {END_RULES}")
        if self.apology_lead_days < 0:
            raise ValueError("apology_lead_days must be >= 0")


STOP_CODES = ("stopped", "rejected", "withdrawn")


# ---------------------------------------------------------------- consistency (system updated)

# rule id -> (export column to point at, Vietnamese message)
CONSISTENCY_RULES = {
    "end_before_receipt": ("received_at", "Ngày kết thúc xử lý (xong/trả/dừng) trước ngày tiếp nhận."),
    "due_before_receipt": ("due_at", "Ngày hẹn trả trước ngày tiếp nhận."),
    "supplement_order": (
        "supplement_completed_at",
        "Ngày hoàn thành bổ sung trước ngày yêu cầu bổ sung, "
        "hoặc có ngày hoàn thành mà không có ngày yêu cầu.",
    ),
    "supplement_count_dates": (
        "supplement_count",
        "Số lần yêu cầu bổ sung không khớp với ngày yêu cầu bổ sung.",
    ),
    "status_dates": (
        "status",
        "Trạng thái không khớp với các ngày xử lý (ví dụ «Đã trả kết quả» nhưng thiếu ngày trả kết quả).",
    ),
    "missing_due_date": ("due_at", "Thiếu ngày hẹn trả."),
}


def consistency_flags(df: pd.DataFrame) -> pd.DataFrame:
    """Boolean frame (same index), one column per CONSISTENCY_RULES id: True = the dossier's
    status and dates break that rule. Used for the issues table and ``system_updated_pct``."""
    rec = df["received_at"]
    ends = df[END_COLUMNS]
    st = df["status_code"]
    req, done = df["supplement_requested_at"], df["supplement_completed_at"]
    count = df["supplement_count"].fillna(0)
    flags = pd.DataFrame(index=df.index)
    flags["end_before_receipt"] = ends.lt(rec, axis=0).any(axis=1)
    flags["due_before_receipt"] = (df["due_at"] < rec).fillna(False)
    flags["supplement_order"] = ((done < req) | (done.notna() & req.isna())).fillna(False)
    flags["supplement_count_dates"] = ((req.notna() & (count == 0)) | (req.isna() & (count > 0))).fillna(
        False
    )
    has_end = ends.notna().any(axis=1)
    bad_status = (
        (st.isin(["finished", "returned"]) & df["finished_at"].isna() & df["returned_at"].isna())
        | (st.eq("returned") & df["returned_at"].isna())
        | (st.isin(STOP_CODES) & df["stopped_at"].isna())
        | (st.isin(["in_progress", "waiting_supplement", "paused"]) & has_end)
        | st.isna()
    )
    flags["status_dates"] = bad_status.fillna(True).astype(bool)
    flags["missing_due_date"] = df["due_at"].isna()
    return flags.astype(bool)
