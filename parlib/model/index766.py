"""The six groups of the 766 service index and the dossier-KPI proxies of its group points."""

from __future__ import annotations

import pandas as pd

# Six groups and maxima as displayed on Cổng DVCQG (2025–2026). Source:
# /work/shared/domain/data/index766_group_weights.csv, version
# "Cổng DVCQG display (6 groups, 2025-2026)" (vietnam.vn, Bắc Ninh weekly result).
GROUPS = pd.DataFrame(
    {
        "group_code": ["1", "2", "3", "4", "5", "6"],
        "group_name": [
            "Công khai, minh bạch",
            "Tiến độ giải quyết",
            "Dịch vụ công trực tuyến",
            "Thanh toán trực tuyến",
            "Mức độ hài lòng",
            "Số hóa hồ sơ",
        ],
        "max_points": [18.0, 20.0, 12.0, 10.0, 18.0, 22.0],
    }
)
SCORE_COLUMNS = [
    "period",
    "year",
    "month",
    "quarter",
    "group_code",
    "group_name",
    "points",
    "max_points",
    "source",
    "sheet",
    "row",
]


# Main dossier indicator of each 766 group that the department's own exports can measure, with
# the full-points threshold of index766_indicator_formulas.csv (None: points = rate × max).
# An estimate: a group has several indicators and the portal's own data; groups 1 and 5 are
# not estimated (publication data and citizen ratings are not in the exports).
GROUP_766_PROXIES = [
    ("2", "Tiến độ giải quyết", 20.0, "on_time_pct", None),
    ("3", "Dịch vụ công trực tuyến", 12.0, "online_pct", 50.0),
    ("4", "Thanh toán trực tuyến", 10.0, "online_payment_pct", None),
    ("6", "Số hóa hồ sơ", 22.0, "digitised_pct", 80.0),
]
