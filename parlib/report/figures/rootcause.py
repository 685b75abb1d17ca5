"""Chart of the root-cause analysis: the change of a measure split into mix and performance.

Returns a ``matplotlib.figure.Figure`` built without pyplot. Bars are in percentage points
of the measure (negative = the measure got worse); labels in Vietnamese, decimal commas.
"""

from __future__ import annotations

import textwrap

import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter

from parlib.core.labels import MEASURE_LABELS
from parlib.core.vnformat import fmt_num

WIDTH = 8.5
COLORS = {"mix": "#9e9e9e", "performance": "#c0392b"}


def _tick(x, _pos=None) -> str:
    for d in (0, 1, 2):
        if abs(x - round(x, d)) < 1e-9:
            return fmt_num(x, d)
    return fmt_num(x, 2)


def default_selection(res) -> tuple[str, str] | None:
    """(measure, period) of the highest-ranked cause that has a decomposition."""
    d = res.decomposition
    if d.empty:
        return None
    have = set(zip(d["measure"], d["period"]))
    for r in res.table.itertuples(index=False):
        if (r.measure, r.period) in have:
            return r.measure, r.period
    first = d.iloc[0]
    return first["measure"], first["period"]


def plot_decomposition(res, measure: str | None = None, period: str | None = None, *, n: int = 10) -> Figure:
    """Mix vs performance bars per segment for one measure and period (default: the leading
    cause's). ``res``: a ``parlib.rootcause.RootCauseResult``. Segments are the largest
    ``n`` by |total|; a note under the chart says the bars sum to the whole change."""

    sel = (measure, period) if measure and period else default_selection(res)
    fig = Figure(figsize=(WIDTH, 4.6))
    ax = fig.add_subplot(1, 1, 1)
    if sel is None:
        ax.text(0.5, 0.5, "Không có số liệu để phân tách", ha="center", va="center", transform=ax.transAxes)
        ax.set_axis_off()
        return fig
    d = res.decomposition
    d = d.loc[(d["measure"] == sel[0]) & (d["period"] == sel[1])]
    d = d.assign(_a=d["total"].abs()).sort_values("_a", ascending=False).head(n).iloc[::-1]
    y = np.arange(len(d))
    h = 0.38
    ax.barh(
        y + h / 2, 100 * d["mix"], height=h, color=COLORS["mix"], label="Do cơ cấu hồ sơ (tỷ trọng thay đổi)"
    )
    ax.barh(
        y - h / 2,
        100 * d["performance"],
        height=h,
        color=COLORS["performance"],
        label="Do chất lượng xử lý (tỷ lệ trong nhóm thay đổi)",
    )
    ax.axvline(0, color="#555555", linewidth=0.8)
    ax.set_yticks(y)
    ax.set_yticklabels([textwrap.shorten(str(s), 48, placeholder="…") for s in d["segment"]], fontsize=8)
    ax.xaxis.set_major_formatter(FuncFormatter(_tick))
    ax.set_xlabel("Đóng góp vào thay đổi của chỉ số (điểm %)")
    label = d["period_label"].iloc[0] if not d.empty else sel[1]
    ax.set_title(
        textwrap.fill(
            f"{MEASURE_LABELS.get(sel[0], sel[0])} – {label}: phần do cơ cấu và phần do chất lượng xử lý", 80
        ),
        fontsize=10,
    )
    ax.legend(fontsize=8, loc="best")
    s = res.summaries
    s = s.loc[(s["measure"] == sel[0]) & (s["period"] == sel[1])] if not s.empty else s
    if not s.empty and pd.notna(s["delta"].iloc[0]):
        fig.text(
            0.01,
            0.01,
            f"Tổng thay đổi của cả Sở: {fmt_num(100 * s['delta'].iloc[0], 2, sign=True)} điểm % "
            f"(cơ cấu {fmt_num(100 * s['mix_total'].iloc[0], 2, sign=True)}; chất lượng "
            f"{fmt_num(100 * s['performance_total'].iloc[0], 2, sign=True)}).",
            fontsize=8,
            color="#555555",
        )
    fig.tight_layout(rect=(0, 0.04, 1, 1))
    return fig
