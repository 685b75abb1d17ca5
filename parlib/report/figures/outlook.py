"""Chart of the year-end outlook: for each plan target, the year-to-date value, the expected
value at 31/12 with its 95 % interval, the target, and the probability of meeting it."""

from __future__ import annotations

import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from matplotlib.lines import Line2D

from parlib.core.vnformat import fmt_probability
from parlib.report.figures.common import empty_figure, new_figure, num_formatter, wrap


def plot_outlook(unit: pd.DataFrame, labels: dict[str, str]) -> Figure:
    """``unit``: the whole-unit rows of :func:`parlib.analysis.outlook.outlook_table`."""
    rows = unit.dropna(subset=["expected_year_end_pct"]).reset_index(drop=True)
    fig, ax = new_figure(1.0 + 0.75 * max(len(rows), 1))
    if rows.empty:
        return empty_figure(fig, ax, "Chưa có số liệu để dự báo")
    y = np.arange(len(rows))[::-1]
    ytd = 100 * rows["k_ytd"] / rows["n_ytd"].where(rows["n_ytd"] > 0)
    lo, hi = rows["interval_low_pct"].to_numpy(float), rows["interval_high_pct"].to_numpy(float)
    exp = rows["expected_year_end_pct"].to_numpy(float)
    ax.hlines(y, lo, hi, color="#8fb3d9", lw=7, zorder=1)
    ax.scatter(exp, y, color="#1f4e79", zorder=3, s=36)
    ax.scatter(ytd, y, color="#555555", marker="|", s=220, zorder=2)
    ax.scatter(rows["target_pct"], y, color="#cf222e", marker="D", s=36, zorder=4)
    ok = rows["is_still_achievable"].fillna(False).astype(bool).to_numpy()
    for yi, p, a in zip(y, rows["probability_met"], ok):
        x = 100.5
        p = 1e-12 if a and p == 0 else p  # achievable: never '0 %' (numerical underflow)
        text = "chưa tính được" if pd.isna(p) else f"khả năng đạt {fmt_probability(p)}"
        ax.annotate(text, (x, yi), xytext=(8, 0), textcoords="offset points", va="center", fontsize=9)
    ax.set_yticks(y, [wrap(labels.get(k, k), 38) for k in rows["kpi"]])
    left = float(np.nanmin(np.concatenate([lo, ytd.to_numpy(float), rows["target_pct"].to_numpy(float)])))
    lo_x = max(0.0, left - 3)
    ax.set_xlim(lo_x, 100 + 0.45 * (100 - lo_x))  # room on the right for the probability
    ticks = [t for t in ax.get_xticks() if lo_x <= t <= 100]
    ax.set_xticks(ticks)
    ax.xaxis.set_major_formatter(num_formatter(0, " %"))
    ax.grid(axis="x", alpha=0.3)
    ax.legend(
        handles=[
            Line2D([], [], color="#555555", marker="|", ls="", markersize=12, label="Lũy kế đến nay"),
            Line2D([], [], color="#1f4e79", marker="o", ls="", label="Dự kiến 31/12"),
            Line2D([], [], color="#8fb3d9", lw=7, label="Khoảng dự báo 95 %"),
            Line2D([], [], color="#cf222e", marker="D", ls="", label="Chỉ tiêu Kế hoạch"),
        ],
        loc="upper center",
        bbox_to_anchor=(0.5, -0.08),
        ncol=2,
        frameon=False,
        fontsize=8,
    )
    ax.set_title("Triển vọng đến 31/12: lũy kế, dự kiến cuối năm và chỉ tiêu", fontsize=11)
    return fig
