"""Charts of the year-over-year comparison (Vietnamese labels, decimal commas).

``plot_waterfall`` draws the exact decomposition of ``parlib.compare.decompose_change``:
base total → performance change per field → framework effect → bonus/penalty change →
target total. Built without pyplot (returns a ``matplotlib.figure.Figure``), like
``parlib.plots_annual``.
"""

from __future__ import annotations

import pandas as pd
from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter

from parlib.core.vnformat import fmt_num

WIDTH = 8.5
COLORS = {"total": "#3b6ea8", "up": "#2e8b57", "down": "#c0392b", "framework": "#8e6fb3"}
TOL = 1e-9


def _top_word(summary: dict) -> str:
    """The year's name of the framework's top level (default «lĩnh vực»)."""
    levels = summary.get("by_level") or [{}]
    return levels[0].get("level_name") or "lĩnh vực"


def _abbreviation(word: str) -> str:
    """«lĩnh vực» → «LV», «nhóm điểm» → «NĐ»."""
    return "".join(w[0] for w in word.split()).upper()


def waterfall_steps(summary: dict, decomposition: pd.DataFrame | None = None) -> pd.DataFrame:
    """The bars of the waterfall: label, kind ('total' / 'delta'), value, start, end.

    Deltas: the performance change of each field (``summary['by_field']``), the framework
    effect and, when non-zero, the bonus/penalty change. ``end`` of the last delta equals
    the target total (the decomposition is an identity). ``decomposition`` is accepted for
    symmetry with the other compare functions and is not needed.
    """
    by, ty = summary.get("base_year"), summary.get("target_year")
    abbr = _abbreviation(_top_word(summary))
    rows = [{"label": f"Tổng điểm\nnăm {by}", "kind": "total", "value": summary["base_total"]}]
    for f in summary.get("by_field", []):
        rows.append({"label": f"{abbr} {f['field_code']}", "kind": "delta", "value": f["performance_points"]})
    rows.append({"label": "Bộ\ntiêu chí", "kind": "framework", "value": summary["framework_effect"]})
    if abs(summary.get("bonus_penalty_change", 0.0)) > TOL:
        rows.append({"label": "Thưởng,\ntrừ điểm", "kind": "delta", "value": summary["bonus_penalty_change"]})
    rows.append({"label": f"Tổng điểm\nnăm {ty}", "kind": "total", "value": summary["target_total"]})
    level = 0.0
    for r in rows:
        if r["kind"] == "total":
            r["start"], r["end"] = 0.0, r["value"]
            level = r["value"]
        else:
            r["start"], r["end"] = level, level + r["value"]
            level = r["end"]
    return pd.DataFrame(rows, columns=["label", "kind", "value", "start", "end"])


def plot_waterfall(summary: dict, decomposition: pd.DataFrame | None = None, ax=None) -> Figure:
    """Waterfall of the change in total points (see ``waterfall_steps``).

    Totals in blue, increases green, decreases red, the framework effect purple; each bar
    is labelled with its value to 0,01. The y axis starts a little below the smallest
    level so that changes of a few tenths are visible (the axis is labelled as cut).
    Returns the Figure (the one of ``ax`` when given).
    """
    steps = waterfall_steps(summary, decomposition)
    if ax is None:
        fig = Figure(figsize=(WIDTH, 4.6), layout="constrained")
        ax = fig.add_subplot()
    else:
        fig = ax.figure
    lows = steps[["start", "end"]].where(steps["kind"] != "total").min(axis=1).dropna()
    levels = pd.concat([lows, steps.loc[steps["kind"] == "total", "value"]])
    span = max(float(steps["value"].abs().loc[steps["kind"] != "total"].sum()), 1.0)
    floor = max(0.0, float(levels.min()) - span)
    for i, r in steps.iterrows():
        if r["kind"] == "total":
            color, bottom, height = COLORS["total"], floor, r["value"] - floor
        else:
            color = (
                COLORS["framework"]
                if r["kind"] == "framework"
                else (COLORS["up"] if r["value"] >= 0 else COLORS["down"])
            )
            bottom, height = min(r["start"], r["end"]), abs(r["value"])
        ax.bar(i, height, bottom=bottom, color=color, width=0.7)
        text = fmt_num(r["value"]) if r["kind"] == "total" else fmt_num(r["value"], sign=True)
        ax.text(i, bottom + height, text, ha="center", va="bottom", fontsize=8)
        if i + 1 < len(steps):
            ax.plot([i + 0.35, i + 0.65], [r["end"], r["end"]], color="#7f7f7f", linewidth=0.8)
    ax.set_xticks(range(len(steps)), steps["label"], fontsize=8)
    ax.set_ylim(floor, float(steps[["start", "end"]].max().max()) + span * 0.25)
    ax.yaxis.set_major_formatter(FuncFormatter(lambda x, _p: fmt_num(x, 1)))
    word = _top_word(summary)
    ax.set_xlabel(
        f"{_abbreviation(word)} k: thay đổi do kết quả thực hiện của {word} k; "
        "Bộ tiêu chí: ảnh hưởng của thay đổi bộ tiêu chí",
        fontsize=8,
    )
    ax.set_ylabel("Điểm" + (" (trục cắt)" if floor > 0 else ""))
    ax.set_title(
        f"Phân tích thay đổi tổng điểm năm {summary.get('target_year')} so với năm "
        f"{summary.get('base_year')}",
        fontsize=11,
    )
    ax.spines[["top", "right"]].set_visible(False)
    return fig
