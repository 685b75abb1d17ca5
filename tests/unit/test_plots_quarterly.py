"""Quarterly charts: each returns a Figure, saves a real PNG and needs no missing glyph."""

import warnings

import pandas as pd
import pytest
from matplotlib.figure import Figure

from parlib.analysis.spc import funnel, p_chart
from parlib.analysis.stats import add_rate
from parlib.model.index766 import GROUPS
from parlib.report.figures.quarterly import (
    plot_766_groups,
    plot_funnel,
    plot_kpi_trend,
    plot_p_chart,
    plot_task_progress,
)


def _months(m):
    return [f"{2025 + i // 12}-{i % 12 + 1:02d}" for i in range(m)]


def _chart():
    k = [88, 92] * 6 + [86] * 8
    return p_chart(pd.DataFrame({"period": _months(20), "k": k, "n": [100] * 20}), baseline=_months(12))


def _progress():
    return pd.DataFrame(
        {
            "task_no": [1, 2, 3, 4, 5],
            "lead_office": [
                "Văn phòng Sở",
                "Văn phòng Sở",
                "Phòng Kế hoạch - Tài chính",
                "Phòng Quản lý hoạt động xây dựng",
                "Phòng Kế hoạch - Tài chính",
            ],
            "latest_status": ["Hoàn thành", "Chậm tiến độ", "Đúng tiến độ", "Chưa cập nhật", "Chưa cập nhật"],
            "is_late": [False, True, False, True, False],
        }
    )


def _scores():
    rows = []
    for m, bump in [(1, 0.0), (2, 0.5), (3, 1.0), (4, 1.5)]:
        for code, name, mx in GROUPS.itertuples(index=False):
            rows.append(
                {
                    "period": f"2026-{m:02d}",
                    "year": 2026,
                    "month": m,
                    "quarter": (m - 1) // 3 + 1,
                    "group_code": code,
                    "group_name": name,
                    "points": mx * 0.8 + bump,
                    "max_points": mx,
                }
            )
    return pd.DataFrame(rows)


CASES = {
    "p_chart": lambda: plot_p_chart(_chart(), "Tỷ lệ hồ sơ đúng hạn – biểu đồ kiểm soát p", target_pct=98),
    "funnel": lambda: plot_funnel(
        funnel(
            pd.DataFrame(
                {
                    "group": [
                        "Văn phòng Sở",
                        "Phòng Quy hoạch - Kiến trúc",
                        "Thanh tra Sở",
                        "Phòng Kế hoạch - Tài chính",
                    ],
                    "k": [930, 170, 40, 460],
                    "n": [1000, 200, 50, 480],
                }
            )
        ),
        "Tỷ lệ đúng hạn theo đơn vị",
    ),
    "kpi_trend": lambda: plot_kpi_trend(
        add_rate(
            pd.DataFrame({"period": _months(6), "k": [45, 47, 0, 40, 44, 49], "n": [50, 50, 0, 45, 50, 50]})
        ),
        "Tỷ lệ PAKN xử lý đúng hạn",
        100,
    ),
    "tasks": lambda: plot_task_progress(_progress()),
    "766": lambda: plot_766_groups(_scores()),
}


@pytest.mark.parametrize("name", list(CASES))
def test_plot_returns_figure_and_png(name, tmp_path):
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # a missing Vietnamese glyph would raise here
        fig = CASES[name]()
        assert isinstance(fig, Figure)
        out = tmp_path / f"{name}.png"
        fig.savefig(out, dpi=120)
    assert out.stat().st_size > 10_000


def test_p_chart_draws_signals_target_and_decimal_commas():
    fig = plot_p_chart(_chart(), "Biểu đồ kiểm soát", target_pct=97.5)
    ax = fig.axes[0]
    fig.canvas.draw()
    labels = [t.get_text() for t in ax.get_yticklabels()]
    assert any("," in s for s in labels) or all(s.replace("−", "").isdigit() for s in labels if s)
    assert not any("." in s for s in labels)
    texts = [t.get_text() for t in ax.texts]
    assert "bắt đầu T1/2026" in texts  # the shift is dated on the chart, month written Vietnamese style
    legend = [t.get_text() for t in fig.legends[0].get_texts()]
    assert "Chỉ tiêu 97,5 %" in legend and "Tín hiệu bất thường" in legend


def test_empty_inputs_give_a_message_not_an_error():
    empty_chart = _chart().iloc[0:0]
    for fig in (
        plot_p_chart(empty_chart, "x"),
        plot_task_progress(_progress().iloc[0:0]),
        plot_766_groups(_scores().iloc[0:0]),
    ):
        assert isinstance(fig, Figure)
        assert fig.axes[0].texts[0].get_text().startswith("Chưa có")
