"""Charts of the satisfaction section, Vietnamese labels, decimal commas.

Every function returns a ``matplotlib.figure.Figure`` built without pyplot (no global state;
a notebook shows the returned figure once). Colour scales are fixed (explicit ``vmin`` /
``vmax``), never rescaled to the data's range, so 87 % never looks "bad" only because the
other cells are 89 %. Inputs are the tables of ``parlib.survey``, ``parlib.drivers`` and
``parlib.comments``.
"""

from __future__ import annotations

import matplotlib
import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from matplotlib.ticker import FixedLocator, NullLocator

from parlib.analysis.comments import NO_THEME
from parlib.analysis.drivers import STATUS_OK, DriverResult
from parlib.core.vnformat import fmt_num, quarter_label
from parlib.report.figures import common as plotting

WIDTH = plotting.WIDTH
COLORS = ["#3b6ea8", "#e07b39", "#5a9e5a", "#8e6bb0", "#b5585b", "#7f7f7f"]
TARGET_COLOR = "#c0392b"


_fmt = plotting.num_formatter
_figure = plotting.new_figure
_empty = plotting.empty_figure


def _wrap(s, width: int = 38) -> str:
    return plotting.wrap(s, width)


def _rows(table, level, code, segment_kind, period_kind):
    t = table[
        (table["level"] == level)
        & (table["code"] == code)
        & (table["segment_kind"] == segment_kind)
        & (table["period_kind"] == period_kind)
        & (table["n"] > 0)
    ]
    return t.sort_values(["year", "quarter"])


def plot_satisfaction_trend(
    table: pd.DataFrame,
    *,
    level: str = "overall",
    code: str = "",
    segment_kind: str = "all",
    period_kind: str = "quarter",
    target_pct: float | None = 95.0,
) -> Figure:
    """% satisfied per quarter with Wilson 95 % interval bars and a dashed target line; one
    series per segment (e.g. ``segment_kind='channel'``). Small samples drawn hollow."""
    fig, ax = _figure(4.2)
    t = _rows(table, level, code, segment_kind, period_kind)
    if t.empty:
        return _empty(fig, ax, "Chưa có dữ liệu khảo sát")
    periods = t[["year", "quarter"]].drop_duplicates().sort_values(["year", "quarter"])
    pos = {(y, q): i for i, (y, q) in enumerate(periods.itertuples(index=False))}
    segs = list(dict.fromkeys(t["segment"]))
    width = 0.5 / max(1, len(segs))
    for s_i, (seg, color) in enumerate(zip(segs, COLORS * 3)):
        g = t[t["segment"] == seg]
        x = (
            np.array([pos[(y, q)] for y, q in zip(g["year"], g["quarter"])])
            + (s_i - (len(segs) - 1) / 2) * width
        )
        err = np.vstack([g["pct"] - g["ci_low_pct"], g["ci_high_pct"] - g["pct"]])
        ax.errorbar(x, g["pct"], yerr=err, fmt="-", color=color, capsize=4, lw=1.5, label=seg)
        small = g["is_small_sample"].to_numpy(dtype=bool)
        ax.scatter(x[~small], g["pct"][~small], color=color, zorder=3, s=36)
        ax.scatter(x[small], g["pct"][small], facecolors="white", edgecolors=color, zorder=3, s=36)
        if len(segs) == 1:
            for xi, yi in zip(x, g["pct"]):
                ax.annotate(
                    f"{fmt_num(yi, 1)} %", (xi, yi), textcoords="offset points", xytext=(8, 4), fontsize=9
                )
    if target_pct is not None:
        ax.axhline(
            target_pct, color=TARGET_COLOR, ls="--", lw=1.2, label=f"Mục tiêu {fmt_num(target_pct, 0)} %"
        )
    low = np.nanmin([t["ci_low_pct"].min(), target_pct if target_pct is not None else 100])
    ax.set_ylim(max(0, min(50, np.floor(low / 10) * 10)), 100)
    ax.xaxis.set_major_locator(FixedLocator(list(pos.values())))
    ax.set_xticks(list(pos.values()), [quarter_label(int(y), int(q)) for y, q in pos])
    ax.set_xlim(-0.6, len(pos) - 0.4)
    ax.yaxis.set_major_formatter(_fmt(0, " %"))
    name = t["name"].iloc[0]
    ax.set_title(_wrap(f"Tỷ lệ hài lòng — {name}", 70), fontsize=11)
    ax.set_ylabel("Tỷ lệ hài lòng (khoảng tin cậy 95 %)")
    ax.grid(axis="y", alpha=0.3)
    ax.legend(loc="lower left", fontsize=8, frameon=False)
    return fig


def plot_factor_heatmap(
    table: pd.DataFrame,
    *,
    segment_kind: str = "all",
    segment: str | None = None,
    period_kind: str = "quarter",
    vmin: float = 50.0,
    vmax: float = 100.0,
    cmap: str = "RdYlGn",
) -> Figure:
    """Factor × quarter matrix of % satisfied (respondent level) with a FIXED colour scale
    [vmin, vmax]. Cells with a small sample carry an asterisk; empty cells are grey."""
    t = table[
        (table["level"] == "factor")
        & (table["segment_kind"] == segment_kind)
        & (table["period_kind"] == period_kind)
    ]
    if segment is not None:
        t = t[t["segment"] == segment]
    fig, ax = _figure(0.55 * t["code"].nunique() + 1.8)
    if t.empty:
        return _empty(fig, ax, "Chưa có dữ liệu khảo sát")
    names = t.drop_duplicates("code").set_index("code")["name"]
    periods = t[["year", "quarter"]].drop_duplicates().sort_values(["year", "quarter"])
    cols = list(periods.itertuples(index=False, name=None))
    pct = t.pivot_table(index="code", columns=["year", "quarter"], values="pct", aggfunc="first")
    pct = pct.reindex(index=names.index, columns=pd.MultiIndex.from_tuples(cols))
    small = t.pivot_table(
        index="code", columns=["year", "quarter"], values="is_small_sample", aggfunc="first"
    )
    small = small.reindex(index=names.index, columns=pct.columns).fillna(False).astype(bool)
    data = np.ma.masked_invalid(pct.to_numpy(dtype=float))
    cm = matplotlib.colormaps[cmap].with_extremes(bad="#dddddd")
    im = ax.imshow(data, cmap=cm, vmin=vmin, vmax=vmax, aspect="auto")
    for i in range(data.shape[0]):
        for j in range(data.shape[1]):
            v = pct.iat[i, j]
            if not np.isnan(v):
                ax.text(
                    j,
                    i,
                    f"{fmt_num(v, 1)}{'*' if small.iat[i, j] else ''}",
                    ha="center",
                    va="center",
                    fontsize=9,
                )
    ax.set_xticks(range(len(cols)), [quarter_label(int(y), int(q)).replace(" ", "\n") for y, q in cols])
    ax.set_yticks(range(len(names)), [_wrap(n, 34) for n in names])
    cb = fig.colorbar(im, ax=ax, format=_fmt(0, " %"))
    cb.set_label("Tỷ lệ hài lòng")
    note = " (* cỡ mẫu nhỏ)" if small.to_numpy().any() else ""
    where = f" — {segment}" if segment else ""
    ax.set_title(f"Tỷ lệ hài lòng theo yếu tố{where}{note}", fontsize=11)
    return fig


def plot_drivers(drivers: DriverResult | pd.DataFrame) -> Figure:
    """Odds ratios (per one SD of the factor score) with 95 % intervals on a log scale; drivers
    (surviving Holm, OR < 1) in colour, the others grey; reference line at 1."""
    table = drivers.table if isinstance(drivers, DriverResult) else drivers
    fig, ax = _figure(0.5 * len(table) + 1.8)
    if isinstance(drivers, DriverResult) and drivers.status != STATUS_OK:
        return _empty(fig, ax, _wrap(f"Phân tích yếu tố tác động: {drivers.status}. {drivers.message}", 80))
    if table.empty:
        return _empty(fig, ax, "Chưa có kết quả phân tích yếu tố tác động")
    t = table.sort_values("rank", ascending=False)
    y = np.arange(len(t))
    colors = np.where(t["is_driver"], COLORS[0], "#9e9e9e")
    for yi, (_, r), c in zip(y, t.iterrows(), colors):
        ax.plot([r["or_ci_low"], r["or_ci_high"]], [yi, yi], color=c, lw=2)
        ax.scatter([r["odds_ratio"]], [yi], color=c, zorder=3, s=40)
    ax.axvline(1, color="#555555", lw=1, ls="--")
    ax.set_xscale("log")
    lo, hi = float(t["or_ci_low"].min()), float(t["or_ci_high"].max())
    ax.set_xlim(min(lo, 0.5) / 1.2, max(hi, 2.0) * 1.2)
    ticks = [
        x for x in (0.05, 0.1, 0.2, 0.5, 1, 2, 5, 10, 20) if min(lo, 0.5) / 1.2 <= x <= max(hi, 2.0) * 1.2
    ]
    ax.xaxis.set_major_locator(FixedLocator(ticks))
    ax.xaxis.set_minor_locator(NullLocator())
    ax.xaxis.set_major_formatter(_fmt(2))
    ax.set_yticks(y, [_wrap(f"{r['rank']}. {r['name']}", 40) for _, r in t.iterrows()])
    ax.set_xlabel("Tỷ số chênh không hài lòng khi điểm yếu tố tăng một độ lệch chuẩn (thang log)")
    ax.set_title(
        "Yếu tố tác động đến sự không hài lòng chung\n(màu: có ý nghĩa thống kê sau hiệu chỉnh Holm)",
        fontsize=11,
    )
    ax.grid(axis="x", alpha=0.3)
    return fig


def plot_comment_themes(counts: pd.DataFrame, *, year: int, quarter: int) -> Figure:
    """Horizontal bars: comments per theme in one quarter (largest first, unthemed last in
    grey), with counts and shares."""
    t = counts[(counts["year"] == year) & (counts["quarter"] == quarter)]
    fig, ax = _figure(0.4 * len(t) + 1.6)
    if t.empty or t["n_total"].iloc[0] == 0:
        return _empty(fig, ax, f"Không có góp ý trong {quarter_label(year, quarter)}")
    t = t.assign(_u=t["theme"] != NO_THEME).sort_values(["_u", "n_comments"], kind="stable")
    y = np.arange(len(t))
    ax.barh(y, t["n_comments"], color=np.where(t["_u"], COLORS[0], "#9e9e9e"))
    for yi, v, s in zip(y, t["n_comments"], t["share_pct"]):
        ax.text(v, yi, f" {v} ({fmt_num(s, 1)} %)", va="center", fontsize=9)
    ax.set_yticks(y, [_wrap(x, 36) for x in t["theme"]])
    ax.set_xlim(0, max(1, t["n_comments"].max()) * 1.25)
    ax.xaxis.set_major_formatter(_fmt(0))
    ax.set_xlabel(f"Số góp ý (tổng {t['n_total'].iloc[0]} góp ý; một góp ý có thể thuộc nhiều chủ đề)")
    ax.set_title(f"Chủ đề góp ý của người dân — {quarter_label(year, quarter)}", fontsize=11)
    return fig
