"""Sentences and the section of the year-over-year comparison."""

from __future__ import annotations

import pandas as pd

from parlib.analysis.compare import level_table_vi
from parlib.analysis.compare_levels import report_depths
from parlib.model.unit import Unit
from parlib.pipelines.comparison import Comparison
from parlib.report.display import bullets, figure, paragraph, show, table
from parlib.report.figures.compare import plot_waterfall
from parlib.report.province import rank_phrase


def province_sentences(comp: Comparison, unit: Unit | None = None) -> list[str]:
    unit = unit or comp.unit
    p = comp.province
    if not p:
        return ["Chưa có bảng kết quả toàn tỉnh của cả hai năm nên chưa so sánh được thứ hạng."]
    out = list(p.get("notes", []))
    if p.get("target_rank") is not None and not pd.isna(p.get("target_rank")):
        txt = f"Năm {comp.year}, {unit.subject} {rank_phrase(int(p['target_rank']), p.get('n_units_target'), unit)}"
        if p.get("rank_change") is not None and not pd.isna(p.get("rank_change")):
            ch = int(p["rank_change"])
            txt += (
                f", {'tăng' if ch < 0 else 'giảm'} {abs(ch)} bậc so với năm {comp.base_year}"
                if ch
                else f", giữ nguyên thứ hạng năm {comp.base_year}"
            )
        out.append(txt + ".")
    if p.get("target_band"):
        band_txt = f"Xếp loại năm {comp.year}: {p['target_band']}"
        if p.get("base_band"):
            band_txt += f" (năm {comp.base_year}: {p['base_band']})"
        out.append(band_txt + ".")
    return out


def show_comparison(comp: Comparison, part: str = "body") -> None:
    """The comparison section of the annual report (also the body of compare.ipynb). Body: the
    sentences, the change by field and the province position; appendix: the waterfall chart,
    the largest decreases and the framework effect."""
    if part == "appendix":
        figure(plot_waterfall(comp.summary, comp.decomposition))
        show(
            table(
                comp.decreases_vi(),
                caption="Các tiêu chí thành phần giảm điểm nhiều nhất (do kết quả thực hiện)",
            )
        )
        fw = comp.framework_vi()
        if not fw.empty:
            show(table(fw, caption="Ảnh hưởng của thay đổi bộ tiêu chí"))
        prov = comp.province_vi()
        if prov is not None:
            show(table(prov, caption=f"Vị trí so với các {comp.unit.peers}, theo lĩnh vực, hai năm"))
        return
    show(f"<h2>So sánh với năm {comp.base_year}</h2>")
    show(
        paragraph(
            "Bộ tiêu chí năm sau khác năm trước (đổi tên, tách, gộp, thêm mới, bãi bỏ, đổi điểm tối đa). "
            f"Điểm năm {comp.base_year} được quy đổi sang bộ tiêu chí năm {comp.year} theo bảng đối chiếu; "
            "thay đổi tổng điểm được tách chính xác thành phần do kết quả thực hiện và phần do thay đổi bộ "
            "tiêu chí."
        )
    )
    show(bullets(comp.sentences + province_sentences(comp)))
    for lv in comp.summary["by_level"]:
        if lv["depth"] in report_depths([x["depth"] for x in comp.summary["by_level"]]):
            show(
                table(level_table_vi(comp.summary, lv["depth"]), caption=f"Thay đổi theo {lv['level_name']}")
            )
