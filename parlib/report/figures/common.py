"""Helpers shared by every chart module (plots_annual, plots_quarterly, plots_survey, ...).

Figures are built with ``matplotlib.figure.Figure`` (not pyplot) so a notebook shows each
one exactly once; every chart is ``WIDTH`` inches wide to fit an A4 page; tick labels use
the Vietnamese decimal comma.
"""

from __future__ import annotations

import textwrap

from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter

from parlib.core.vnformat import fmt_num

WIDTH = 8.5


def num_formatter(decimals: int = 1, suffix: str = "") -> FuncFormatter:
    """Tick formatter with a decimal comma: 2.5 → '2,5' (suffix e.g. ' %')."""
    return FuncFormatter(lambda x, _pos: f"{fmt_num(x, decimals)}{suffix}")


def wrap(s, width: int = 34) -> str:
    """Label text wrapped on several lines of at most ``width`` characters."""
    return "\n".join(textwrap.wrap(str(s), width)) or str(s)


def new_figure(height: float) -> tuple[Figure, object]:
    """A figure WIDTH wide (at least 2.5 in high) with one axes, constrained layout."""
    fig = Figure(figsize=(WIDTH, max(2.5, height)), layout="constrained")
    return fig, fig.add_subplot()


def empty_figure(fig: Figure, ax, message: str) -> Figure:
    """Turn ``ax`` into a centred message (a chart with no data says so)."""
    ax.set_axis_off()
    ax.text(0.5, 0.5, message, ha="center", va="center", fontsize=12, transform=ax.transAxes, wrap=True)
    return fig
