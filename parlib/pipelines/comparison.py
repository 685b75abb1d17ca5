"""Year-over-year comparison assembled for the reports (issue 6).

Joins two ``AnnualResult`` objects through the crosswalk (``parlib.compare``), adds the
province-wide rank and band comparison when both years' province tables exist, and offers
the report section, the Excel sheets and the ``summary.json`` block.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

import pandas as pd

from parlib.analysis.compare import compare_sentences, decompose_change, level_table_vi
from parlib.analysis.province_rank import compare_province
from parlib.core.catalog import crosswalk_path
from parlib.core.numbers import round_half_up_decimal
from parlib.core.paths import Paths
from parlib.core.vnformat import fmt_int, fmt_num
from parlib.ingest.crosswalk import load_crosswalk
from parlib.model.crosswalk import RELATION_VI
from parlib.model.unit import Unit
from parlib.pipelines.province import read_province_year

TOP_DECREASES = 10


@dataclass
class Comparison:
    base_year: int
    year: int
    decomposition: pd.DataFrame
    summary: dict
    sentences: list[str]
    province: dict | None = None
    base_issues: pd.DataFrame = field(default_factory=pd.DataFrame)
    base_ledger: pd.DataFrame = field(default_factory=pd.DataFrame)
    unit: Unit = field(default_factory=lambda: Unit(""))
    base_printed_total: float | None = None  # the grand total printed on the base year's scoresheet

    def decreases(self, n: int = TOP_DECREASES) -> pd.DataFrame:
        d = self.decomposition
        return d.loc[d["decrease_rank"].notna()].sort_values("decrease_rank").head(n)

    def decreases_vi(self, n: int = TOP_DECREASES) -> pd.DataFrame:
        d = self.decreases(n)
        return pd.DataFrame(
            {
                "Hạng": d["decrease_rank"].map(fmt_int),
                "Mã (năm sau)": d["code"].astype(str),
                "Tiêu chí thành phần": d["name"],
                "Quan hệ": d["relation"].map(RELATION_VI),
                f"Điểm {self.base_year} (quy đổi)": d["base_restated_points"].map(fmt_num),
                f"Điểm {self.year}": d["target_points"].map(fmt_num),
                "Thay đổi do kết quả thực hiện": d["performance_points"].map(lambda v: fmt_num(v, sign=True)),
                "Đơn vị chủ trì": d["owner_office"],
            }
        )

    def framework_vi(self) -> pd.DataFrame:
        """The items the framework change touched, then the total effect as the text prints it; a
        rounding line when the printed items do not add up to the printed total."""
        d = self.decomposition
        f = d.loc[d["framework_points"].abs() > 1e-9]
        out = pd.DataFrame(
            {
                "Mã": f["code"].astype(str),
                "Tiêu chí": f["name"],
                "Thay đổi bộ tiêu chí": f["relation"].map(RELATION_VI),
                "Cách quy đổi": f["restate_rule_vi"],
                "Ảnh hưởng (điểm)": f["framework_points"].map(lambda v: fmt_num(v, sign=True)),
            }
        )
        if out.empty:
            return out
        shown = sum((round_half_up_decimal(v) for v in f["framework_points"]), Decimal(0))
        total = round_half_up_decimal(self.summary["framework_effect"])
        extra = [("Làm tròn", "", total - shown)] if total != shown else []
        extra.append(("Tổng ảnh hưởng của thay đổi bộ tiêu chí", "", total))
        tail = pd.DataFrame(
            [
                {"Mã": "", "Tiêu chí": label, "Thay đổi bộ tiêu chí": rel, "Cách quy đổi": "",
                 "Ảnh hưởng (điểm)": fmt_num(float(v), sign=True)}
                for label, rel, v in extra
            ]
        )  # fmt: skip
        return pd.concat([out, tail], ignore_index=True)

    def province_vi(self) -> pd.DataFrame | None:
        if not self.province or self.province.get("table") is None:
            return None
        t = self.province["table"]
        return pd.DataFrame(
            {
                "Nội dung": t["item_vi"],
                f"Điểm {self.base_year}": t["base_points"].map(fmt_num),
                f"Điểm {self.year}": t["target_points"].map(fmt_num),
                f"Chênh lệch so với trung vị {self.year}": t["target_gap_median"].map(
                    lambda v: fmt_num(v, sign=True)
                ),
                f"Chênh lệch so với đơn vị cao nhất {self.year}": t["target_gap_best"].map(
                    lambda v: fmt_num(v, sign=True)
                ),
            }
        )

    def excel_sheets(self) -> dict[str, pd.DataFrame]:
        sheets = {
            f"So sánh theo {lv['level_name']}": level_table_vi(self.summary, lv["depth"])
            for lv in self.summary["by_level"]
        }
        sheets |= {
            "Giảm điểm lớn nhất": self.decreases_vi(50),
            "Thay đổi bộ tiêu chí": self.framework_vi(),
        }
        prov = self.province_vi()
        if prov is not None:
            sheets["Toàn tỉnh"] = prov
        return sheets

    def summary_json(self) -> dict:
        s = self.summary
        r = lambda x: None if x is None or pd.isna(x) else round(float(x), 2)  # noqa: E731
        out = {
            "base_year": self.base_year,
            "year": self.year,
            "base_total": r(s["base_total"]),
            "base_total_printed": r(self.base_printed_total),
            "total": r(s["target_total"]),
            "total_change": r(s["total_change"]),
            "performance_change": r(s["performance_change"]),
            "framework_effect": r(s["framework_effect"]),
            "framework_effect_parts": {
                "new": r(s["new_points"]),
                "dropped": r(-s["dropped_points"]),
                "rescaling": r(s["rescaling_points"]),
            },
            "bonus_penalty_change": r(s["bonus_penalty_change"]),
            "by_field": [
                {
                    "code": str(f["field_code"]),
                    "name": f.get("field_name"),
                    "change": r(f["change_points"]),
                    "performance": r(f["performance_points"]),
                    "framework": r(f["framework_points"]),
                }
                for f in s["by_field"]
            ],
            "by_level": [
                {
                    "depth": lv["depth"],
                    "level_name": lv["level_name"],
                    "nodes": [
                        {
                            "code": str(n["code"]),
                            "name": n["name"],
                            "change": r(n["change_points"]),
                            "performance": r(n["performance_points"]),
                            "framework": r(n["framework_points"]),
                        }
                        for n in lv["nodes"]
                    ],
                }
                for lv in s["by_level"]
            ],
            "largest_decreases": [
                {
                    "code": str(d.code),
                    "name": d.name,
                    "points": r(d.performance_points),
                    "owner_office": d.owner_office,
                    "relation": d.relation,
                }
                for d in self.decreases(5).itertuples(index=False)
            ],
        }
        if self.province:
            p = self.province
            out["province"] = {
                k: (
                    None
                    if p.get(k) is None or (isinstance(p.get(k), float) and pd.isna(p.get(k)))
                    else (int(p[k]) if k.endswith("rank") or k == "rank_change" else p[k])
                )
                for k in ("base_rank", "target_rank", "rank_change", "base_band", "target_band")
            }
        return out


def build_comparison(base, target, paths: Paths) -> Comparison:
    """Compare two scored years (``parlib.annual.AnnualResult``) through their crosswalk."""

    cw = load_crosswalk(crosswalk_path(paths, base.year, target.year), base.framework, target.framework)
    table_, summary = decompose_change(base.scores, target.scores, cw, target.framework, base.framework)
    comp = Comparison(
        base.year,
        target.year,
        table_,
        summary,
        compare_sentences(summary, table_),
        base_issues=base.issues,
        base_ledger=base.ledger,
        unit=target.unit,
        base_printed_total=base.printed_total,
    )
    comp.province = _province(paths, base, target)
    return comp


def _province(paths: Paths, base, target) -> dict | None:
    """Rank and band of the unit (``target.unit``) in both years' province tables, or None."""
    got = read_province_year(paths, base.year), read_province_year(paths, target.year)
    if None in got:
        return None
    return compare_province(
        got[0][0], got[1][0], target.unit, base_partial=got[0][3], target_partial=got[1][3]
    )
