"""``parlib validate PATH``: check one raw file and say, in Vietnamese, what is wrong.

The kind of file is recognised from its name (the names of docs/data-contracts.md):
framework_<year>.csv, crosswalk_<base>_<year>.csv, bang_diem_<year>.xlsx,
ket_qua_par_index_<year>.xlsx, ho_so_<year>_Q<q>.xlsx, pakn_<year>.xlsx,
khao_sat_<year>_Q<q>.xlsx, chi_so_766_<year>.xlsx, tien_do_<year>_Q<q>.xlsx.
Structural problems raise (exit 2); content problems are listed (exit 1 when any has
severity 'error', else 0).
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

import pandas as pd

from .config import Paths
from .errors import ConfigError
from .issues import SEVERITY_VI, issues_frame, ledger_summary

KINDS = [
    (r"framework_(\d{4})\.csv", "framework", "Bộ tiêu chí"),
    (r"crosswalk_(\d{4})_(\d{4})\.csv", "crosswalk", "Bảng đối chiếu tiêu chí giữa hai năm"),
    (r"bang_diem_(\d{4})\.xlsx", "scoresheet", "Bảng điểm"),
    (r"ket_qua_par_index_(\d{4})\.xlsx", "province", "Kết quả PAR INDEX toàn tỉnh"),
    (r"ho_so_(\d{4})_Q([1-4])\.(xlsx|csv)", "dossiers", "Danh sách hồ sơ TTHC"),
    (r"pakn_(\d{4})\.xlsx", "feedback", "Phản ánh, kiến nghị"),
    (r"khao_sat_(\d{4})_Q([1-4])\.xlsx", "survey", "Phiếu khảo sát hài lòng"),
    (r"chi_so_766_(\d{4})\.xlsx", "index766", "Điểm Bộ chỉ số 766"),
    (r"tien_do_(\d{4})_Q([1-4])\.xlsx", "tasks", "Tiến độ nhiệm vụ"),
]


def recognise(path: Path) -> tuple[str, str, tuple]:
    for pattern, kind, label in KINDS:
        m = re.fullmatch(pattern, path.name)
        if m:
            return kind, label, m.groups()
    names = ", ".join(p.replace(r"(\d{4})", "<năm>").replace(r"([1-4])", "<quý>").replace("\\", "")
                      for p, _, _ in KINDS)
    raise ConfigError(f"Không nhận ra loại tệp «{path.name}». Tên tệp cần theo mẫu: {names}.")


def check_file(path: Path, paths: Paths) -> tuple[str, pd.DataFrame, pd.DataFrame]:
    """Return (label, issues, ledger) for one file; raises on structural problems."""
    from . import ingest

    kind, label, groups = recognise(path)
    issues, ledger = ingest.check(kind, path, groups, paths)
    return label, issues_frame(issues.to_dict("records")) if len(issues) else issues_frame(), ledger


def validate_path(path: Path, paths: Paths) -> int:
    path = path.resolve()
    if not path.exists():
        raise ConfigError(f"Không tìm thấy tệp «{path}».")
    label, issues, ledger = check_file(path, paths)
    out = sys.stdout
    print(f"Tệp: {path.name} ({label})", file=out)
    if not ledger.empty:
        s = ledger_summary(ledger)
        print(f"Số dòng đọc: {int(s['read'].sum())} — dùng: {int(s['used'].sum())}, "
              f"loại: {int(s['rejected'].sum())}, bỏ qua (tiêu đề, dòng trống, dòng cộng…): "
              f"{int(s['skipped'].sum())}", file=out)
    if issues.empty:
        print("Không phát hiện vấn đề nào.", file=out)
        return 0
    counts = issues["severity"].value_counts()
    print("Vấn đề phát hiện: " + ", ".join(f"{SEVERITY_VI[k]}: {int(v)}" for k, v in counts.items()), file=out)
    for r in issues.itertuples(index=False):
        where = ", ".join(x for x in [f"trang «{r.sheet}»" if r.sheet else "", f"ô {r.cell}" if r.cell else "",
                                       f"mã {r.code}" if r.code else ""] if x)
        print(f"  - [{SEVERITY_VI[r.severity]}] {where}: {r.message}", file=out)
    return 1 if (issues["severity"] == "error").any() else 0
