"""Notebook display helpers: every piece of text from an input file is HTML-escaped.

Notebooks call these instead of printing, so the exported report holds clean HTML:
no reprs, no stray prints, and no way for a hostile cell value (``<script>``...) to run.
"""

from __future__ import annotations

import html
from pathlib import Path

import pandas as pd

from parlib.core.text import strip_controls
from parlib.core.vnformat import MISSING


def _esc(x) -> str:
    """Text from an input, shown as text: HTML-escaped, without bidirectional or control
    characters (a right-to-left override cannot reorder what the reader sees)."""
    return html.escape(strip_controls("" if x is None else str(x)), quote=True)


def show(obj) -> None:
    from IPython.display import HTML, display

    display(HTML(obj) if isinstance(obj, str) else obj)


def banner(text: str) -> str:
    """An orange notice box (used for the illustrative-data label)."""
    return f'<div class="par-banner"><strong>{_esc(text)}</strong></div>'


def bullets(lines: list[str], css: str = "par-conclusions") -> str:
    return f'<ul class="{css}">' + "".join(f"<li>{_esc(s)}</li>" for s in lines) + "</ul>"


def paragraph(text: str, muted: bool = False) -> str:
    cls = ' class="par-muted"' if muted else ""
    return f"<p{cls}>{_esc(text)}</p>"


def card(label: str, value: str, note: str = "", status: str = "") -> str:
    cls = {"met": "par-status-met", "at_risk": "par-status-risk", "missed": "par-status-missed"}.get(
        status, ""
    )
    return (
        f'<div class="par-card"><div class="par-muted">{_esc(label)}</div>'
        f'<div class="big {cls}">{_esc(value)}</div><div class="par-muted">{_esc(note)}</div></div>'
    )


def cards(items: list[str]) -> str:
    return '<div class="par-cards">' + "".join(items) + "</div>"


def table(
    df: pd.DataFrame, *, max_rows: int = 60, numeric_right: bool = True, caption: str = "", css: str = ""
) -> str:
    """An escaped HTML table of a display frame (values already formatted as text).

    Columns whose values look numeric (digits, commas, dots, %, signs) are right-aligned.
    More than ``max_rows`` rows are cut with a note saying how many were left out.
    """
    shown = df.head(max_rows)
    cols = list(shown.columns)
    num_cols = set()
    if numeric_right:
        for c in cols:
            vals = shown[c].dropna().astype(str)
            if len(vals) and vals.str.fullmatch(r"[\s\d.,%+\-–−]*(điểm)?\s*").all():
                num_cols.add(c)
    head = "".join(
        f'<th class="num">{_esc(c)}</th>' if c in num_cols else f"<th>{_esc(c)}</th>" for c in cols
    )
    rows = []
    for rec in shown.itertuples(index=False):
        tds = []
        for c, v in zip(cols, rec):
            v = MISSING if v is None or (isinstance(v, float) and pd.isna(v)) else v
            tds.append(f'<td class="num">{_esc(v)}</td>' if c in num_cols else f"<td>{_esc(v)}</td>")
        rows.append("<tr>" + "".join(tds) + "</tr>")
    cap = f"<caption>{_esc(caption)}</caption>" if caption else ""
    more = ""
    if len(df) > max_rows:
        more = f'<p class="par-muted">… và {len(df) - max_rows} dòng khác (xem tệp Excel kèm theo).</p>'
    cls = f' class="{_esc(css)}"' if css else ""
    return f"<table{cls}>{cap}<thead><tr>{head}</tr></thead><tbody>{''.join(rows)}</tbody></table>{more}"


def report_day_line(report_date=None, period: str = "") -> str:
    """«Ngày lập báo cáo: 03/12/2026» (``report_date`` empty: today), after ``period`` (e.g. «Số
    liệu: 01/07/2026–30/09/2026») when given; a muted paragraph under the title."""
    day = pd.Timestamp(report_date).normalize() if report_date else pd.Timestamp.today().normalize()
    text = (f"{period}. " if period else "") + f"Ngày lập báo cáo: {day.strftime('%d/%m/%Y')}."
    return paragraph(text, muted=True)


def appendix_start(title: str = "Phụ lục cho chuyên viên") -> str:
    """The heading that starts the analyst's appendix on a new printed page."""
    return (
        f'<h2 class="par-appendix-start">{_esc(title)}</h2><p class="par-muted">Số liệu chi tiết, kiểm định thống '
        "kê, biểu đồ kiểm soát, chất lượng dữ liệu và phương pháp — dành cho chuyên viên phân tích.</p>"
    )


def _pngs(items: list) -> list[bytes]:
    """Charts (:class:`parlib.report.charts.Chart`, drawn ahead when they were) and matplotlib
    figures (closed), as PNG."""
    from parlib.report.charts import Chart, chart_pngs, png_bytes

    drawn = iter(chart_pngs([i for i in items if isinstance(i, Chart)]))
    return [next(drawn) if isinstance(i, Chart) else png_bytes(i) for i in items]


def figures_row(figs: list) -> None:
    """Two (or more) charts or matplotlib figures side by side as embedded PNGs (half a page each
    on A4)."""
    figures_rows(figs, per_row=max(len(figs), 1))


def figures_rows(figs: list, per_row: int = 2) -> None:
    """Charts or figures ``per_row`` side by side, row after row; every picture made first (the
    ones the second core is drawing are awaited while the others are drawn here)."""
    import base64

    imgs = [f'<img src="data:image/png;base64,{base64.b64encode(png).decode()}">' for png in _pngs(figs)]
    for i in range(0, len(imgs), per_row):
        show('<div class="par-figrow">' + "".join(imgs[i : i + per_row]) + "</div>")


def figure(fig) -> None:
    """Display a chart or a matplotlib figure as an embedded PNG (the figure closed)."""
    from IPython.display import Image, display

    display(Image(data=_pngs([fig])[0], format="png"))


def _inline_figures_as_laid_out() -> None:
    """In a notebook kernel, figures shown with ``display(fig)`` are saved without the inline
    backend's default ``bbox_inches="tight"`` (outside a kernel: nothing to do)."""
    from IPython import get_ipython

    if get_ipython() is None:
        return
    from matplotlib_inline.backend_inline import set_matplotlib_formats

    set_matplotlib_formats("png", bbox_inches=None)


def setup_notebook() -> None:
    """Hidden first cell of every notebook: quiet warnings, inline figures, DejaVu font.

    Missing-glyph warnings are turned into errors so a font without Vietnamese letters
    fails the run instead of printing boxes.
    """
    import warnings

    from parlib.report.charts import apply_style

    apply_style()  # the charts' settings, shared with the process that draws them ahead
    _inline_figures_as_laid_out()
    warnings.filterwarnings("ignore", category=FutureWarning)
    warnings.filterwarnings("ignore", category=DeprecationWarning)
    pd.set_option("display.max_columns", 50)


def output_path(output_dir: str, name: str) -> Path | None:
    """Where a notebook writes an output file; None when run interactively (no output_dir)."""
    return Path(output_dir) / name if output_dir else None
