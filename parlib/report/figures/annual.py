"""Charts of the annual report (point-loss attribution), Vietnamese labels.

Each function takes a table of ``parlib.attribution`` and returns a
``matplotlib.figure.Figure`` built without pyplot, so no global figure state is left
behind (notebooks display the returned Figure; nothing is shown twice). Sizes fit an A4
page (8.5 in wide). Tick labels use decimal commas (``parlib.vnformat.fmt_num``); the
default DejaVu Sans font has every Vietnamese glyph.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from parlib.core.vnformat import fmt_num, fmt_pct
from parlib.report.figures import common as plotting

WIDTH = plotting.WIDTH
COLORS = {"bar": "#3b6ea8", "line": "#c0392b", "ref": "#7f7f7f"}
STAGE_PARTS = [  # (label, colour) of the stacked stage chart
    ("Tự đánh giá chưa đạt tối đa", "#f0ad4e"),
    ("Bị trừ khi thẩm định (sau giải trình)", "#c0392b"),
    ("Đo lường (điều tra XHH, 766, thống kê)", "#3b6ea8"),
    ("Chưa tách được (thiếu điểm tự đánh giá)", "#9e9e9e"),
]


num_formatter = plotting.num_formatter
_wrap = plotting.wrap
_figure = plotting.new_figure
_empty = plotting.empty_figure


def plot_pareto(pareto_df: pd.DataFrame, max_bars: int = 25, share_pct: float = 80.0) -> Figure:
    """Bars of points lost per leaf code (largest first) and the cumulative % line.

    Shows the first ``max_bars`` leaves (cumulative shares stay those of the whole table)
    with a dashed reference line at ``share_pct``.
    """
    fig, ax = _figure(4.8)
    if pareto_df.empty:
        return _empty(fig, ax, "Không có điểm bị mất")
    p = pareto_df.head(max_bars)
    x = np.arange(len(p))
    ax.bar(x, p["points_lost"], color=COLORS["bar"], label="Điểm bị mất")
    ax.set_xticks(x, p["code"].astype(str), rotation=60 if len(p) > 10 else 0, fontsize=8)
    ax.set_xlabel("Mã tiêu chí")
    ax.set_ylabel("Điểm bị mất")
    ax.yaxis.set_major_formatter(num_formatter(2))
    ax2 = ax.twinx()
    ax2.plot(x, p["cum_share_pct"], color=COLORS["line"], marker="o", markersize=4, label="Lũy kế (%)")
    ax2.axhline(share_pct, color=COLORS["ref"], linestyle="--", linewidth=1)
    ax2.text(
        x[-1], share_pct + 1.5, f"Ngưỡng {fmt_pct(share_pct, 0)}", ha="right", fontsize=8, color=COLORS["ref"]
    )
    ax2.set_ylim(0, 105)
    ax2.set_ylabel("Tỷ trọng lũy kế")
    ax2.yaxis.set_major_formatter(num_formatter(0, " %"))
    more = f" ({len(p)} tiêu chí đầu trong số {len(pareto_df)})" if len(pareto_df) > len(p) else ""
    ax.set_title(f"Biểu đồ Pareto điểm bị mất theo tiêu chí{more}")
    handles = ax.get_legend_handles_labels()[0] + ax2.get_legend_handles_labels()[0]
    ax.legend(handles, [h.get_label() for h in handles], loc="center right", fontsize=8)
    return fig


def plot_loss_by_office(office_df: pd.DataFrame) -> Figure:
    """Horizontal bars of points lost per owning office, largest on top, value labels."""
    fig, ax = _figure(1.0 + 0.55 * len(office_df))
    if office_df.empty or office_df["points_lost"].fillna(0).abs().sum() == 0:
        return _empty(fig, ax, "Không có điểm bị mất")
    d = office_df.iloc[::-1]
    y = np.arange(len(d))
    ax.barh(y, d["points_lost"], color=COLORS["bar"])
    ax.set_yticks(y, [_wrap(s) for s in d["owner_office"]], fontsize=9)
    for yi, v, sh in zip(y, d["points_lost"], d["share_pct"]):
        ax.text(v if pd.notna(v) else 0, yi, f" {fmt_num(v, 2)} ({fmt_pct(sh, 1)})", va="center", fontsize=8)
    ax.set_xlim(min(0, d["points_lost"].min()), d["points_lost"].max() * 1.3)
    ax.xaxis.set_major_formatter(num_formatter(1))
    ax.set_xlabel("Điểm bị mất")
    ax.set_title("Điểm bị mất theo đơn vị chủ trì")
    return fig


def plot_fields(fields: pd.DataFrame, bands: pd.DataFrame | None = None, word: str = "lĩnh vực") -> Figure:
    """Horizontal bars of % of maximum per field on a 0–100 scale (band cut-offs dashed);
    ``word``: the year's name of the level."""
    fig, ax = _figure(1.0 + 0.6 * len(fields))
    if fields.empty:
        return _empty(fig, ax, f"Không có dữ liệu {word}")
    d = fields.iloc[::-1]
    y = np.arange(len(d))
    ax.barh(y, d["pct_of_max"], color=COLORS["bar"])
    ax.set_yticks(y, [_wrap(f"{c}. {n}", 40) for c, n in zip(d["code"], d["name"])], fontsize=9)
    for yi, v in zip(y, d["pct_of_max"]):
        ax.text((v if pd.notna(v) else 0) + 1, yi, fmt_pct(v, 1), va="center", fontsize=8)
    ax.set_xlim(0, max(110.0, float(np.nanmax(np.r_[d["pct_of_max"].to_numpy(float), 0])) + 10))
    if bands is not None:
        for name, m in zip(bands["band_name"], pd.to_numeric(bands["min_pct"], errors="coerce")):
            if pd.notna(m) and 0 < m <= 100:
                ax.axvline(m, color=COLORS["ref"], linestyle="--", linewidth=1)
                ax.text(m, len(d) - 0.45, f" {name}", fontsize=7, color=COLORS["ref"], va="bottom")
        ax.set_ylim(-0.6, len(d) - 0.05)  # room above the top bar for the band names
    ax.xaxis.set_major_formatter(num_formatter(0, " %"))
    ax.set_xticks(np.arange(0, 101, 20))
    ax.set_xlabel("Tỷ lệ điểm đạt so với điểm tối đa")
    ax.set_title(f"Tỷ lệ điểm đạt theo {word}")
    return fig


def plot_stage_gap(fields: pd.DataFrame, word: str = "lĩnh vực") -> Figure:
    """Stacked horizontal bars per field: where (at which stage) the points were lost.

    Parts: not claimed, net appraisal cut (cut round 1 − regained), measured loss,
    unsplit. Negative parts (e.g. more regained than cut) are drawn left of zero.
    Input: :func:`parlib.attribution.field_table` (stage columns required).
    """
    fig, ax = _figure(1.4 + 0.6 * len(fields))
    if fields.empty:
        return _empty(fig, ax, f"Không có dữ liệu {word}")
    d = fields.iloc[::-1]
    parts = [
        d["not_claimed_points"],
        d["cut_round1_points"] - d["regained_points"],
        d["survey_points"],
        d["unsplit_points"],
    ]
    y = np.arange(len(d))
    pos, neg = np.zeros(len(d)), np.zeros(len(d))
    for (label, color), v in zip(STAGE_PARTS, parts):
        v = v.fillna(0).to_numpy(float)
        if not np.any(np.abs(v) > 1e-9):
            continue
        left = np.where(v >= 0, pos, neg)
        ax.barh(y, v, left=left, color=color, label=label)
        pos, neg = pos + np.clip(v, 0, None), neg + np.clip(v, None, 0)
    ax.set_yticks(y, [_wrap(f"{c}. {n}", 40) for c, n in zip(d["code"], d["name"])], fontsize=9)
    ax.axvline(0, color="black", linewidth=0.8)
    ax.xaxis.set_major_formatter(num_formatter(2))
    ax.set_xlabel("Điểm bị mất")
    ax.set_title(f"Điểm bị mất theo {word} và giai đoạn chấm điểm")
    if ax.get_legend_handles_labels()[0]:
        fig.legend(loc="outside lower center", ncols=2, fontsize=8)
    return fig
