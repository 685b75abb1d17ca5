"""Charts of the quarterly monitoring report, Vietnamese titles and labels.

Every function returns a ``matplotlib.figure.Figure`` built without pyplot (no global
figure state; a notebook displays the returned Figure once). Sizes fit an A4 page
(8,5 in wide). Tick labels use decimal commas via ``parlib.vnformat.fmt_num``; the
default DejaVu Sans font has every Vietnamese glyph. Missing rates (n = 0) are gaps,
never zeros.
"""

from __future__ import annotations

import re
import textwrap

import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch
from matplotlib.ticker import FuncFormatter, LogLocator, MaxNLocator

from parlib.analysis.index766 import group_points
from parlib.analysis.spc import FLAGS_VI, funnel_curve, signal_episodes
from parlib.core.vnformat import fmt_num, quarter_label
from parlib.model.tasks import DONE, NOT_UPDATED, ON_TRACK
from parlib.report.figures import common as plotting

WIDTH = plotting.WIDTH
C = {
    "main": "#3b6ea8",
    "limit": "#c0392b",
    "center": "#555555",
    "target": "#2e8b57",
    "band": "#a9c4e4",
    "signal": "#d62728",
    "muted": "#9e9e9e",
}
FLAG_COLORS = {
    "below_998": "#b2182b",
    "below_95": "#ef8a62",
    "within": "#3b6ea8",
    "above_95": "#67a9cf",
    "above_998": "#2166ac",
}
TASK_STATES = [
    (DONE, "#2e8b57"),
    (ON_TRACK, "#3b6ea8"),
    ("Trễ hạn / chậm tiến độ", "#c0392b"),
    (NOT_UPDATED, "#9e9e9e"),
]


def _tick(x, _pos=None) -> str:
    """Decimal-comma tick with no useless decimals: 95 -> '95', 97.5 -> '97,5'."""
    for d in (0, 1, 2):
        if abs(x - round(x, d)) < 1e-9:
            return fmt_num(x, d)
    return fmt_num(x, 2)


def _figure(height: float = 4.2) -> tuple[Figure, object]:
    return plotting.new_figure(height)


_empty = plotting.empty_figure


def _target_line(ax, handles: list, target_pct: float | None) -> None:
    """Dash-dot target line and its legend entry (nothing when there is no target)."""
    if target_pct is not None:
        ax.axhline(target_pct, color=C["target"], ls="-.", lw=1.2)
        handles.append(Line2D([], [], color=C["target"], ls="-.", label=f"Chỉ tiêu {_tick(target_pct)} %"))


def _legend(fig: Figure, handles, ncol: int = 3) -> None:
    """Legend below the plot (outside the data, so it never hides a point)."""
    fig.legend(handles=handles, loc="outside lower center", ncol=ncol, fontsize=8, frameon=False)


def _pct_axis(ax, label: str = "Tỷ lệ (%)") -> None:
    ax.yaxis.set_major_formatter(FuncFormatter(_tick))
    ax.set_ylabel(label)
    ax.grid(axis="y", alpha=0.3)


def _short_period(s) -> str:
    """'2026-02' -> 'T2/2026' (a month); other labels as they are."""
    t = str(s)
    if re.fullmatch(r"\d{4}-\d{2}", t):
        return f"T{int(t[5:])}/{t[:4]}"
    return t


def _period_axis(ax, labels) -> None:
    x = np.arange(len(labels))
    ax.set_xticks(
        x,
        [_short_period(s) for s in labels],
        rotation=45 if len(labels) > 8 else 0,
        ha="right" if len(labels) > 8 else "center",
    )
    ax.set_xlim(-0.6, len(labels) - 0.4)


def plot_p_chart(
    chart_df: pd.DataFrame, title: str, target_pct: float | None = None, *, period: str = "period"
) -> Figure:
    """p-chart of :func:`parlib.spc.p_chart`: monthly rate, centre line, stepped 3σ limits
    that follow each month's n, signal months in red, the first month of each signalled run
    marked by a dotted vertical line, and the plan target (dashed green) when given."""
    fig, ax = _figure(4.4)
    if chart_df.empty:
        return _empty(fig, ax, "Chưa có dữ liệu")
    x = np.arange(len(chart_df))
    y = chart_df["pct"].to_numpy(dtype=float)
    ax.step(x, chart_df["ucl_pct"], where="mid", color=C["limit"], lw=1.2, ls="--")
    ax.step(x, chart_df["lcl_pct"], where="mid", color=C["limit"], lw=1.2, ls="--")
    ax.plot(x, chart_df["center_pct"], color=C["center"], lw=1.2)
    ax.plot(x, y, color=C["main"], marker="o", ms=5, lw=1.6, zorder=3)
    sig = chart_df["signal"].to_numpy(dtype=bool)
    ax.scatter(x[sig], y[sig], s=70, color=C["signal"], zorder=4, edgecolor="white")
    handles = [
        Line2D([], [], color=C["main"], marker="o", label="Tỷ lệ theo tháng"),
        Line2D(
            [],
            [],
            color=C["center"],
            label=f"Đường trung tâm ({_tick(round(chart_df['center_pct'].iloc[0], 1))} %)",
        ),
        Line2D([], [], color=C["limit"], ls="--", label="Giới hạn kiểm soát (±3σ)"),
    ]
    if sig.any():
        handles.append(Line2D([], [], color=C["signal"], marker="o", ls="", label="Tín hiệu bất thường"))
        labels = chart_df[period].astype(str).tolist()
        for start in signal_episodes(chart_df, period=period)["run_start"]:
            if start in labels:
                pos = labels.index(start)
                ax.axvline(pos, color=C["signal"], ls=":", lw=1)
                ax.annotate(
                    f"bắt đầu {_short_period(start)}",
                    (pos, 0.0),
                    xycoords=("data", "axes fraction"),
                    xytext=(3, 4),
                    textcoords="offset points",
                    fontsize=8,
                    color=C["signal"],
                )
    _target_line(ax, handles, target_pct)
    _period_axis(ax, chart_df[period].tolist())
    _pct_axis(ax)
    ax.set_xlabel("Tháng")
    ax.set_title(title)
    _legend(fig, handles)
    return fig


def plot_funnel(funnel_df: pd.DataFrame, title: str, *, group: str = "group") -> Figure:
    """Funnel plot of :func:`parlib.spc.funnel`: each group's rate against its n, the
    overall rate and the 95 % / 99,8 % limits; points coloured by flag and labelled."""
    fig, ax = _figure(4.8)
    df = funnel_df.loc[funnel_df["n"] > 0]
    if df.empty:
        return _empty(fig, ax, "Chưa có dữ liệu")
    p0 = float(df["overall_pct"].iloc[0]) / 100
    curve = funnel_curve(p0, float(df["n"].max()) * 1.15, n_min=max(1.0, float(df["n"].min()) * 0.8))
    ax.fill_between(curve["n"], curve["lo998_pct"], curve["hi998_pct"], color=C["band"], alpha=0.35, lw=0)
    ax.fill_between(curve["n"], curve["lo95_pct"], curve["hi95_pct"], color=C["band"], alpha=0.6, lw=0)
    for c, ls in (("lo95_pct", "--"), ("hi95_pct", "--"), ("lo998_pct", ":"), ("hi998_pct", ":")):
        ax.plot(curve["n"], curve[c], color=C["limit"], ls=ls, lw=1)
    ax.axhline(p0 * 100, color=C["center"], lw=1.2)
    colors = df["flag"].map(FLAG_COLORS).fillna(C["muted"]).tolist()
    ax.scatter(df["n"], df["pct"], c=colors, s=45, zorder=3, edgecolor="white")
    right = float(df["n"].max()) ** 0.75 * max(1.0, float(df["n"].min())) ** 0.25  # right quarter (log)
    for name, n, p in zip(df[group], df["n"], df["pct"]):
        left_side = n > right and len(df) > 1
        ax.annotate(
            textwrap.shorten(str(name), 28, placeholder="…"),
            (n, p),
            xytext=(-4 if left_side else 4, 3),
            textcoords="offset points",
            fontsize=7,
            ha="right" if left_side else "left",
        )
    ax.set_xscale("log")
    ax.xaxis.set_major_locator(LogLocator(base=10, subs=(1.0, 2.0, 5.0)))
    ax.xaxis.set_major_formatter(FuncFormatter(_tick))
    ax.xaxis.set_minor_formatter(FuncFormatter(lambda v, _p: ""))
    ax.set_xlabel("Số trường hợp (n, thang logarit)")
    _pct_axis(ax)
    present = [f for f in FLAGS_VI if f in set(df["flag"].dropna())]
    handles = [
        Line2D([], [], color=C["center"], label=f"Tỷ lệ chung {_tick(round(p0 * 100, 1))} %"),
        Line2D([], [], color=C["limit"], ls="--", label="Giới hạn 95 %"),
        Line2D([], [], color=C["limit"], ls=":", label="Giới hạn 99,8 %"),
    ]
    handles += [Line2D([], [], color=FLAG_COLORS[f], marker="o", ls="", label=FLAGS_VI[f]) for f in present]
    _legend(fig, handles)
    ax.set_title(title)
    return fig


def plot_kpi_trend(
    monthly_df: pd.DataFrame, kpi_label: str, target_pct: float | None = None, *, period: str = "period"
) -> Figure:
    """Monthly rate with its 95 % confidence band (``ci_low_pct``–``ci_high_pct``) and the
    target line. Months with n = 0 (NaN rate) are gaps."""
    fig, ax = _figure(4.0)
    if monthly_df.empty:
        return _empty(fig, ax, "Chưa có dữ liệu")
    x = np.arange(len(monthly_df))
    ax.fill_between(
        x,
        monthly_df["ci_low_pct"].to_numpy(dtype=float),
        monthly_df["ci_high_pct"].to_numpy(dtype=float),
        color=C["band"],
        alpha=0.5,
        lw=0,
    )
    ax.plot(x, monthly_df["pct"].to_numpy(dtype=float), color=C["main"], marker="o", lw=1.8)
    handles = [
        Line2D([], [], color=C["main"], marker="o", label=kpi_label),
        Patch(color=C["band"], alpha=0.5, label="Khoảng tin cậy 95 %"),
    ]
    _target_line(ax, handles, target_pct)
    _period_axis(ax, monthly_df[period].tolist())
    _pct_axis(ax)
    ax.set_xlabel("Kỳ")
    for xi in x[monthly_df["n"].to_numpy(dtype=float) == 0] if "n" in monthly_df else []:
        ax.annotate(
            "không áp dụng\n(n = 0)",
            (xi, 0.02),
            xycoords=("data", "axes fraction"),
            ha="center",
            va="bottom",
            fontsize=7,
            color=C["muted"],
        )
    ax.set_title(f"{kpi_label} theo tháng")
    _legend(fig, handles)
    return fig


def plot_task_progress(progress_df: pd.DataFrame) -> Figure:
    """Stacked horizontal bars per lead office: tasks done, on track, late (late or
    reported behind), not updated — from :func:`parlib.tasks.task_progress`."""
    offices = (
        progress_df["lead_office"].fillna("(chưa giao)") if not progress_df.empty else pd.Series(dtype="str")
    )
    fig, ax = _figure(max(2.8, 0.45 * offices.nunique() + 1.6))
    if progress_df.empty:
        return _empty(fig, ax, "Chưa có nhiệm vụ")
    state = np.where(progress_df["is_late"], TASK_STATES[2][0], progress_df["latest_status"].astype(str))
    counts = pd.crosstab(offices.to_numpy(), state).reindex(columns=[s for s, _ in TASK_STATES], fill_value=0)
    counts = counts.loc[counts.sum(axis=1).sort_values().index]
    y = np.arange(len(counts))
    left = np.zeros(len(counts))
    for s, color in TASK_STATES:
        vals = counts[s].to_numpy(dtype=float)
        ax.barh(y, vals, left=left, color=color, label=s, height=0.6)
        for yi, (lv, v) in enumerate(zip(left, vals)):
            if v > 0:
                ax.text(lv + v / 2, yi, fmt_num(v, 0), ha="center", va="center", fontsize=8, color="white")
        left += vals
    ax.set_yticks(y, ["\n".join(textwrap.wrap(str(o), 32)) for o in counts.index], fontsize=8)
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    ax.xaxis.set_major_formatter(FuncFormatter(_tick))
    ax.set_xlabel("Số nhiệm vụ")
    ax.set_title("Tiến độ thực hiện nhiệm vụ theo đơn vị chủ trì")
    _legend(fig, [Patch(color=c, label=s) for s, c in TASK_STATES], ncol=4)
    ax.grid(axis="x", alpha=0.3)
    return fig


def plot_766_groups(scores_df: pd.DataFrame) -> Figure:
    """Grouped bars: each 766 group's quarterly points (mean of the months) as % of the
    group maximum, one bar per quarter, labelled with the points."""
    fig, ax = _figure(4.6)
    if scores_df.empty:
        return _empty(fig, ax, "Chưa có dữ liệu chỉ số 766")
    g = group_points(scores_df, "quarter")
    periods = sorted(g["period"].unique())
    groups = g.drop_duplicates("group_code").sort_values("group_code")
    x = np.arange(len(groups))
    width = 0.8 / len(periods)
    palette = ["#a9c4e4", "#6f9bd1", "#3b6ea8", "#1f3f66", "#0b1f3a"]
    for j, per in enumerate(periods):
        sub = g.loc[g["period"] == per].set_index("group_code").reindex(groups["group_code"])
        xs = x - 0.4 + width * (j + 0.5)
        year, q = per.split("-Q")
        ax.bar(
            xs,
            sub["pct"],
            width=width * 0.95,
            color=palette[j % len(palette)],
            label=quarter_label(int(year), int(q)),
        )
        for xi, pts, pct in zip(xs, sub["points"], sub["pct"]):
            if pd.notna(pts):
                ax.text(
                    xi,
                    pct + 1,
                    fmt_num(pts, 2),
                    rotation=90 if len(periods) > 2 else 0,
                    ha="center",
                    va="bottom",
                    fontsize=7,
                )
    names = [
        f"{c}. {n} ({_tick(m)} đ)"
        for c, n, m in zip(groups["group_code"], groups["group_name"], groups["max_points"])
    ]
    ax.set_xticks(x, ["\n".join(textwrap.wrap(s, 18)) for s in names], fontsize=8)
    ax.set_ylim(0, 112)
    _pct_axis(ax, "% điểm tối đa của nhóm")
    ax.set_title("Chỉ số 766: điểm các nhóm theo quý (trung bình các tháng)")
    handles, labels = ax.get_legend_handles_labels()
    fig.legend(handles, labels, loc="outside lower center", ncol=4, fontsize=8, frameon=False)
    return fig
