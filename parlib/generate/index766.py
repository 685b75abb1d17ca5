"""Simulated monthly 766 group scores: ``raw/index766/chi_so_766_<year>.xlsx``, sheet ``Chi so 766``.

Six groups as on the national portal (18/20/12/10/18/22). Where the formula allows, the
points come from the simulated dossiers received in the month (ground truth, 766 rules):

* group 2 (tiến độ giải quyết, 20) = 20 × on-time rate;
* group 3 (dịch vụ công trực tuyến, 12) = 12 × min(1, online share / ``online_threshold``);
* group 4 (thanh toán trực tuyến, 10) = 10 × min(1, paid-online share of fee dossiers /
  ``payment_threshold``);
* group 5 (mức độ hài lòng, 18) = 18 × min(1, (1 − late share − share rated «Không hài
  lòng») / ``satisfaction_threshold``);
* group 6 (số hóa hồ sơ, 22) = 22 × min(1, digitised share / ``digitised_threshold``);
* group 1 (công khai, minh bạch, 18) is not in the exports: uniform in ``group1_range``.

Points are rounded to 2 decimals.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from parlib.generate.fakes import SYNTHETIC_NOTE, frame_rows, write_rows
from parlib.generate.scenario import Scenario

SHEET = "Chi so 766"
HEADERS = ["Kỳ", "Mã nhóm", "Nhóm chỉ số", "Điểm", "Điểm tối đa"]
GROUPS = [
    (1, "Công khai, minh bạch", 18.0),
    (2, "Tiến độ giải quyết", 20.0),
    (3, "Dịch vụ công trực tuyến", 12.0),
    (4, "Thanh toán trực tuyến", 10.0),
    (5, "Mức độ hài lòng", 18.0),
    (6, "Số hóa hồ sơ", 22.0),
]


def simulate_index766(sc: Scenario, truth: pd.DataFrame) -> pd.DataFrame:
    """Long table ``period`` (YYYY-MM), ``group_code``, ``group_name``, ``points``,
    ``max_points`` (one row per month × group) from the dossier ground truth."""
    rng = sc.rng(7)
    c = sc.cfg["index766"]
    t = truth.assign(
        period=truth["received_at"].dt.strftime("%Y-%m"),
        online=truth["channel"] == 2,
        unhappy=truth["citizen_rating"] == "Không hài lòng",
        fee=truth["is_paid_online"].notna(),
        paid=truth["is_paid_online"].fillna(False).astype(bool),
    )
    m = t.groupby("period").agg(
        n=("dossier_id", "size"),
        late=("is_late", "mean"),
        online=("online", "mean"),
        unhappy=("unhappy", "mean"),
        digitised=("is_digitised", "mean"),
        fee=("fee", "sum"),
        paid=("paid", "sum"),
    )
    pay = m["paid"] / m["fee"].replace(0, np.nan)
    g1 = rng.uniform(c["group1_range"][0], c["group1_range"][1], len(m))
    points = {
        1: g1,
        2: 20 * (1 - m["late"]),
        3: 12 * np.minimum(1, m["online"] / c["online_threshold"]),
        4: 10 * np.minimum(1, pay.fillna(0) / c["payment_threshold"]),
        5: 18 * np.minimum(1, (1 - m["late"] - m["unhappy"]) / c["satisfaction_threshold"]),
        6: 22 * np.minimum(1, m["digitised"] / c["digitised_threshold"]),
    }
    rows = []
    for i, period in enumerate(m.index):
        for code, name, mx in GROUPS:
            rows.append(
                {
                    "period": period,
                    "group_code": code,
                    "group_name": name,
                    "points": round(float(np.asarray(points[code])[i]), 2),
                    "max_points": mx,
                }
            )
    return pd.DataFrame(rows)


def write_index766(sc: Scenario, frame: pd.DataFrame, data_dir: Path) -> list[dict]:
    """One workbook per year; returns manifest entries."""
    written = []
    years = frame["period"].str[:4]
    for year in sorted(years.unique()):
        part = frame[years == year]
        path = data_dir / "raw" / "index766" / f"chi_so_766_{year}.xlsx"
        n = write_rows(path, SHEET, HEADERS, frame_rows(part), note=SYNTHETIC_NOTE.format(name=sc.name))
        written.append({"path": path, "rows": n})
    return written
