"""Satisfaction charts: they render, use Vietnamese glyphs, decimal commas, fixed colour scales."""

import io
import warnings

import matplotlib

matplotlib.use("Agg")

import pandas as pd  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402

from parlib.analysis.drivers import STATUS_NO_DATA, DriverResult  # noqa: E402
from parlib.report.figures.survey import (
    plot_comment_themes,
    plot_drivers,
    plot_factor_heatmap,
    plot_satisfaction_trend,
)  # noqa: E402


def render(fig: Figure) -> Figure:
    """Draw the figure with missing-glyph warnings turned into errors."""
    assert isinstance(fig, Figure)
    with warnings.catch_warnings():
        warnings.filterwarnings("error", message=".*[Gg]lyph.*missing.*")
        buf = io.BytesIO()
        fig.savefig(buf, format="png")
    assert buf.tell() > 2_000
    return fig


def table() -> pd.DataFrame:
    rows = []
    for (y, q), pcts in {(2026, 1): (91.2, 87.0, 88.0), (2026, 2): (89.4, 89.0, None)}.items():
        for level, code, name, pct in (
            ("overall", "", "Hài lòng chung", pcts[0]),
            ("factor", "CC", "Công chức trực tiếp giải quyết công việc", pcts[1]),
            ("factor", "TC", "Tiếp cận dịch vụ", pcts[2]),
        ):
            if pct is None:
                continue
            rows.append(
                {
                    "period_kind": "quarter",
                    "year": y,
                    "quarter": q,
                    "level": level,
                    "code": code,
                    "name": name,
                    "segment_kind": "all",
                    "segment": "Tất cả",
                    "k": int(pct),
                    "n": 100,
                    "pct": pct,
                    "ci_low_pct": pct - 6,
                    "ci_high_pct": min(100, pct + 5),
                    "is_small_sample": q == 2 and code == "CC",
                }
            )
    return pd.DataFrame(rows)


def texts(fig: Figure) -> list[str]:
    return [t.get_text() for t in fig.findobj(matplotlib.text.Text)]


def test_trend_has_target_and_decimal_commas():
    fig = render(plot_satisfaction_trend(table()))
    ax = fig.axes[0]
    assert any(t == "91,2 %" for t in texts(fig))
    assert [t.get_text() for t in ax.get_xticklabels()] == ["Quý I/2026", "Quý II/2026"]
    assert any(
        abs(line.get_ydata()[0] - 95) < 1e-9
        for line in ax.get_lines()
        if len(line.get_ydata()) == 2 and line.get_linestyle() == "--"
    )
    assert not any("." in t.get_text() for t in ax.get_yticklabels() if t.get_text())


def test_heatmap_scale_is_fixed_not_data_range():
    fig = render(plot_factor_heatmap(table(), vmin=50, vmax=100))
    im = fig.axes[0].images[0]
    # data range is 87-89 %, the colour scale stays 50-100 %
    assert (im.norm.vmin, im.norm.vmax) == (50, 100)
    assert "89,0*" in texts(fig) and "87,0" in texts(fig)
    assert any("cỡ mẫu nhỏ" in t for t in texts(fig))


def test_drivers_log_scale_and_status():
    t = pd.DataFrame(
        {
            "rank": [1, 2],
            "level": "factor",
            "code": ["CC", "TC"],
            "name": ["Công chức trực tiếp giải quyết công việc", "Tiếp cận dịch vụ"],
            "n": 300,
            "coef_std": [-1.2, -0.1],
            "odds_ratio": [0.30, 0.9],
            "or_ci_low": [0.2, 0.7],
            "or_ci_high": [0.45, 1.15],
            "p_value": [1e-6, 0.4],
            "p_adjusted": [2e-6, 0.4],
            "is_driver": [True, False],
            "weight_pct": [92.3, 7.7],
        }
    )
    fig = render(plot_drivers(t))
    assert fig.axes[0].get_xscale() == "log"
    assert "0,50" in [x.get_text() for x in fig.axes[0].get_xticklabels()]
    empty = render(plot_drivers(DriverResult(STATUS_NO_DATA, "Không đủ dữ liệu để phân tích.")))
    assert any("không đủ dữ liệu" in t for t in texts(empty))


def test_comment_theme_bars():
    counts = pd.DataFrame(
        {
            "year": 2026,
            "quarter": 3,
            "theme": ["Thái độ phục vụ", "Phí, lệ phí"],
            "n_comments": [3, 1],
            "n_total": 8,
            "share_pct": [37.5, 12.5],
        }
    )
    fig = render(plot_comment_themes(counts, year=2026, quarter=3))
    assert " 3 (37,5 %)" in texts(fig)
    none = render(plot_comment_themes(counts, year=2025, quarter=1))
    assert "Không có góp ý trong Quý I/2025" in texts(none)


def test_empty_inputs_do_not_crash():
    empty = table().iloc[0:0]
    for f in (plot_satisfaction_trend(empty), plot_factor_heatmap(empty)):
        render(f)
