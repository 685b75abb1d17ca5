"""The unit's position in the year's province-wide table: sentences, table and section (no base
year needed). Figures come from ``parlib.analysis.province_rank.province_position``.
"""

from __future__ import annotations

import pandas as pd

from parlib.core.numbers import round_half_up
from parlib.core.vnformat import fmt_int, fmt_num, fmt_points
from parlib.model.results import AnnualResult
from parlib.model.unit import Unit
from parlib.report.display import bullets, show, table


def rank_phrase(rank: int, n: int, unit: Unit, *, is_partial: bool = False) -> str:
    """ "xếp thứ 8/14 sở, ban, ngành" or, for a partial table, "xếp thứ 3 trong số các đơn vị được
    công bố (5 đơn vị)"."""
    if is_partial:
        return f"xếp thứ {fmt_int(rank)} trong số các đơn vị được công bố ({fmt_int(n)} đơn vị)"
    return f"xếp thứ {fmt_int(rank)}/{fmt_int(n)} {unit.peers}"


def province_sentences(pos: dict | None, unit: Unit, year: int) -> list[str]:
    """Vietnamese sentences on the unit's rank, band and gaps in the year's province table."""
    if not pos:
        return [
            f"Chưa có bảng kết quả toàn tỉnh năm {year} (data/raw/province/ket_qua_par_index_{year}.xlsx) "
            "nên chưa xác định được thứ hạng."
        ]
    out: list[str] = []
    who = unit.subject
    if pos.get("rank") is not None:
        txt = f"Năm {year}, {who} {rank_phrase(pos['rank'], pos['n_units'], unit, is_partial=pos['is_partial'])}"
        if pos.get("tied_with"):
            txt += f" (đồng hạng với {', '.join(pos['tied_with'])})"
        if pos.get("rank_published") is None:
            txt += " (tính từ tổng điểm công bố)"
        out.append(txt + ".")
        if pos.get("rank_checked") is False:
            out.append(
                f"Thứ hạng công bố của {who} là "
                f"{fmt_int(pos['rank_published'])}, khác thứ hạng tính từ tổng điểm ({fmt_int(pos['rank'])}): "
                "cần đối chiếu với văn bản công bố."
            )
    if pos.get("band"):
        out.append(f"Xếp loại năm {year}: {pos['band']}.")
    if pos.get("total_points") is not None:
        parts = [f"Tổng điểm {fmt_points(pos['total_points'])}"]
        if pos.get("gap_median") is not None:
            parts.append(
                f"trung vị toàn tỉnh {fmt_points(pos['median_total'])} (chênh lệch "
                f"{fmt_num(pos['gap_median'], sign=True)} điểm)"
            )
        if pos.get("gap_best") is not None:
            if abs(pos["gap_best"]) < 0.005:
                parts.append("bằng điểm cao nhất")
            else:
                best = ", ".join(pos.get("best_units") or [])
                parts.append(
                    f"đơn vị cao nhất{f' ({best})' if best else ''} {fmt_points(pos['best_total'])} "
                    f"(chênh lệch {fmt_num(pos['gap_best'], sign=True)} điểm)"
                )
        out.append("; ".join(parts) + ".")
    return out + list(pos.get("notes", []))


def province_table_vi(pos: dict | None) -> pd.DataFrame | None:
    """Points, median, best and gaps per field and for the total (Vietnamese headers)."""
    if not pos or pos.get("table") is None or pos["table"].empty:
        return None
    t = pos["table"]
    return pd.DataFrame(
        {
            "Nội dung": t["item_vi"],
            "Điểm của đơn vị": t["points"].map(fmt_num),
            "Trung vị toàn tỉnh": t["median"].map(fmt_num),
            "Chênh lệch so với trung vị": t["gap_median"].map(lambda v: fmt_num(v, sign=True)),
            "Điểm cao nhất": t["best"].map(fmt_num),
            "Chênh lệch so với cao nhất": t["gap_best"].map(lambda v: fmt_num(v, sign=True)),
        }
    )


def province_section(res: AnnualResult) -> None:
    """The "Vị trí trong toàn tỉnh" section of the annual report (from the year's table alone)."""
    show(f"<h2>Vị trí trong bảng kết quả toàn tỉnh năm {res.year}</h2>")
    show(bullets(province_sentences(res.province, res.unit, res.year)))
    t = province_table_vi(res.province)
    if t is not None:
        show(table(t, caption=f"Điểm so với trung vị và đơn vị cao nhất toàn tỉnh năm {res.year}"))


def province_summary(pos: dict | None) -> dict | None:
    """The ``province`` block of the annual ``summary.json`` (None without a province table)."""
    if not pos:
        return None
    r = lambda x: None if x is None or pd.isna(x) else round_half_up(float(x), 2)  # noqa: E731
    return {
        "rank": pos.get("rank"),
        "rank_published": pos.get("rank_published"),
        "n_units": pos.get("n_units"),
        "is_partial": pos.get("is_partial"),
        "band": pos.get("band"),
        "total_points": r(pos.get("total_points")),
        "median_total": r(pos.get("median_total")),
        "best_total": r(pos.get("best_total")),
        "gap_median": r(pos.get("gap_median")),
        "gap_best": r(pos.get("gap_best")),
    }
