"""Quarterly dossier exports (``raw/dossiers/ho_so_<year>_Q<q>.xlsx``) from the ground truth.

Each quarter's file is what the TTHC system shows at the end of the quarter (the cutoff is
the first instant of the next quarter): dossiers received in the quarter, with every date
after the cutoff blanked and the status of that moment (``Đang xử lý``, ``Chờ bổ sung``,
``Tạm dừng`` for open dossiers). A few dossiers still open at the end of a quarter appear
again in the next quarter's file with their later status (``export.duplicates_per_quarter``).
Quarters listed in ``export.text_date_quarters`` write dates as ``dd/mm/yyyy HH:MM`` text.
A handful of rows are damaged on purpose: blank dossier number, unparseable receipt date,
unknown procedure code (``export.missing_id``, ``bad_date``, ``unknown_procedure``).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from parlib.core.vnformat import quarter_label
from parlib.generate.dossiers import FINAL_STATUS
from parlib.generate.fakes import cell_datetimes, write_rows
from parlib.generate.scenario import Scenario, quarter_text

SHEET = "Danh sách hồ sơ"
HEADERS = {
    "stt": "STT",
    "dossier_id": "Số hồ sơ",
    "procedure_code": "Mã TTHC",
    "procedure_name": "Tên thủ tục hành chính",
    "field_name": "Lĩnh vực",
    "office_name": "Đơn vị xử lý",
    "channel": "Kênh nộp",
    "received_at": "Ngày tiếp nhận",
    "due_at": "Ngày hẹn trả",
    "supplement_count": "Số lần yêu cầu bổ sung",
    "supplement_requested_at": "Ngày yêu cầu bổ sung",
    "supplement_completed_at": "Ngày hoàn thành bổ sung",
    "finished_at": "Ngày xử lý xong",
    "returned_at": "Ngày trả kết quả",
    "stopped_at": "Ngày dừng xử lý",
    "status": "Trạng thái",
    "apology_at": "Ngày xin lỗi",
    "rescheduled_due_at": "Ngày hẹn trả mới",
    "reschedule_count": "Số lần hẹn lại",
    "is_digitised": "Số hóa hồ sơ",
    "has_e_result": "Kết quả điện tử",
    "is_paid_online": "Thanh toán trực tuyến",
    "citizen_rating": "Đánh giá của người dân",
    "applicant_name": "Họ tên người nộp",
    "phone": "Số điện thoại",
    "id_number": "Số CCCD",
    "address": "Địa chỉ",
}
DATE_COLUMNS = (
    "received_at",
    "due_at",
    "supplement_requested_at",
    "supplement_completed_at",
    "finished_at",
    "returned_at",
    "stopped_at",
    "apology_at",
    "rescheduled_due_at",
)
UNKNOWN_PROCEDURE = "9.999999"


def state_at(truth: pd.DataFrame, cutoff: pd.Timestamp) -> pd.DataFrame:
    """What the system shows at ``cutoff`` for the dossiers of ``truth``.

    Returns the export columns (code names of :data:`HEADERS`, ``stt`` excluded) with
    ``status`` as of the cutoff and every later date blanked; counts of supplement
    requests and reschedules are those already made.
    """
    t = truth
    out = t.loc[
        :,
        [
            "dossier_id",
            "procedure_code",
            "procedure_name",
            "field_name",
            "office_name",
            "channel",
            "received_at",
            "due_at",
        ],
    ].copy()
    req, comp = t["supplement_requested_at"], t["supplement_completed_at"]
    known = lambda s: s.where(s < cutoff)  # noqa: E731 - tiny local helper
    out["supplement_count"] = np.where(
        req.isna() | (req >= cutoff), 0, np.where(comp >= cutoff, 1, t["supplement_count"])
    )
    out["supplement_requested_at"] = known(req)
    out["supplement_completed_at"] = known(comp)
    out["finished_at"] = known(t["finished_at"])
    out["returned_at"] = known(t["returned_at"])
    out["stopped_at"] = known(t["stopped_at"])
    ended = t["end_at"] < cutoff
    final = t["outcome"].map(FINAL_STATUS)
    final = final.where(~((t["outcome"] == 0) & (t["returned_at"] >= cutoff)), "Đã xử lý xong")
    waiting = req.notna() & (req < cutoff) & (comp >= cutoff)
    open_status = np.where(waiting, "Chờ bổ sung", np.where(t["is_paused"], "Tạm dừng", "Đang xử lý"))
    out["status"] = np.where(ended, final, open_status)
    apo = known(t["apology_at"])
    out["apology_at"] = apo
    out["rescheduled_due_at"] = t["rescheduled_due_at"].where(apo.notna())
    out["reschedule_count"] = np.where(apo.notna(), t["reschedule_count"], 0)
    yes_no = lambda s: np.where(s, "Có", "Không")  # noqa: E731
    out["is_digitised"] = yes_no(t["is_digitised"])
    out["has_e_result"] = np.where(ended & (t["outcome"] == 0), yes_no(t["has_e_result"]), "Không")
    paid = t["is_paid_online"]
    out["is_paid_online"] = np.where(paid.isna(), None, np.where(paid.fillna(False), "Có", "Không"))
    out["citizen_rating"] = t["citizen_rating"].where(t["returned_at"] < cutoff)
    for col in ("applicant_name", "phone", "id_number", "address"):
        out[col] = t[col]
    return out


def build_exports(sc: Scenario, truth: pd.DataFrame) -> dict[str, pd.DataFrame]:
    """Quarter text -> export frame (code-named columns, ``stt`` first, ``is_duplicate``)."""
    rng = sc.rng(3)
    ex = sc.cfg["dossiers"]["export"]
    frames: dict[str, pd.DataFrame] = {}
    carry: pd.DataFrame | None = None
    for i, q in enumerate(sc.quarters):
        qt = quarter_text(q)
        cutoff = (q + 1).start_time
        own = truth[truth["quarter"] == qt]
        parts = [state_at(own, cutoff).assign(is_duplicate=False)]
        if carry is not None and len(carry):
            parts.append(state_at(carry, cutoff).assign(is_duplicate=True))
        frame = pd.concat(parts, ignore_index=True)
        frame.insert(0, "stt", np.arange(1, len(frame) + 1))
        frames[qt] = frame
        if i + 1 < len(sc.quarters):
            next_cut = (q + 2).start_time
            pool = own[(own["end_at"] >= cutoff) & (own["end_at"] < next_cut)]
            k = min(int(ex["duplicates_per_quarter"]), len(pool))
            carry = pool.iloc[np.sort(rng.choice(len(pool), size=k, replace=False))] if k else None
    return frames


def _defects(sc: Scenario, frames: dict[str, pd.DataFrame]) -> dict[str, list[tuple[int, str]]]:
    """Which rows to damage: quarter -> [(row position, kind)]."""
    rng = sc.rng(4)
    ex = sc.cfg["dossiers"]["export"]
    plan: dict[str, list[tuple[int, str]]] = {q: [] for q in frames}
    quarters = list(frames)
    used: set[tuple[str, int]] = set()
    for kind in ("missing_id", "bad_date", "unknown_procedure"):
        for _ in range(int(ex[kind])):
            q = quarters[int(rng.integers(0, len(quarters)))]
            fr = frames[q]
            candidates = np.flatnonzero(~fr["is_duplicate"].to_numpy())
            pos = int(candidates[rng.integers(0, len(candidates))])
            if (q, pos) in used:
                continue
            used.add((q, pos))
            plan[q].append((pos, kind))
    return plan


def write_exports(sc: Scenario, frames: dict[str, pd.DataFrame], data_dir: Path) -> list[dict]:
    """Write one workbook per quarter; returns manifest entries (path, rows, defects)."""
    text_q = {
        quarter_text(pd.Period(q.replace("-", ""), freq="Q"))
        for q in sc.cfg["dossiers"]["export"]["text_date_quarters"]
    }
    plan = _defects(sc, frames)
    cols = list(HEADERS)
    unit = sc.cfg["scenario"]["unit_name"]
    written = []
    for q, frame in frames.items():
        p = pd.Period(q.replace("-", ""), freq="Q")
        as_text = q in text_q
        cells = {
            c: frame[c].astype(object).where(frame[c].notna(), None).tolist()
            for c in cols
            if c not in DATE_COLUMNS
        }
        for c in DATE_COLUMNS:
            cells[c] = cell_datetimes(frame[c], as_text=as_text)
        cells["channel"] = [str(v) if v is not None else None for v in cells["channel"]]
        cells["supplement_count"] = [int(v) for v in cells["supplement_count"]]
        cells["reschedule_count"] = [int(v) for v in cells["reschedule_count"]]
        defects = []
        for pos, kind in plan[q]:
            if kind == "missing_id":
                cells["dossier_id"][pos] = None
            elif kind == "bad_date":
                cells["received_at"][pos] = f"31/02/{p.year} 08:15"
            else:
                cells["procedure_code"][pos] = UNKNOWN_PROCEDURE
            defects.append({"row": pos + 1, "kind": kind})
        rows = [list(r) for r in zip(*(cells[c] for c in cols))]
        title = [
            unit.upper(),
            "DANH SÁCH HỒ SƠ THỦ TỤC HÀNH CHÍNH " + quarter_label(p.year, p.quarter).upper(),
            f"Dữ liệu mô phỏng (tổng hợp), không phải dữ liệu thật — kịch bản «{sc.name}», "
            f"trích xuất ngày {(p + 1).start_time:%d/%m/%Y}",
        ]
        path = data_dir / "raw" / "dossiers" / f"ho_so_{p.year}_Q{p.quarter}.xlsx"
        n = write_rows(path, SHEET, [HEADERS[c] for c in cols], rows, title)
        written.append(
            {
                "path": path,
                "rows": n,
                "dates_as_text": as_text,
                "duplicates": int(frame["is_duplicate"].sum()),
                "defects": defects,
            }
        )
    return written
