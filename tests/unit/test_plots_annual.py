"""Tests of parlib.plots_annual: figures render, are not blank, and miss no Vietnamese glyph."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest
from matplotlib.figure import Figure

from parlib.report.figures import annual as PL

BANDS = pd.DataFrame({"band_name": ["Nhóm I", "Nhóm II", "Dưới Nhóm II"], "min_pct": [90, 80, 0]})
FIELD_NAMES = [
    "Công tác chỉ đạo, điều hành cải cách hành chính",
    "Xây dựng và tổ chức thực hiện thể chế",
    "Cải cách thủ tục hành chính",
    "Cải cách tổ chức bộ máy hành chính",
    "Cải cách chế độ công vụ",
    "Cải cách tài chính công",
    "Xây dựng và phát triển Chính quyền điện tử, Chính quyền số",
    "Tác động của CCHC đến người dân, tổ chức và phát triển KT-XH",
]


def pareto_df(n=30):
    lost = np.linspace(2.0, 0.1, n)
    cum = lost.cumsum()
    return pd.DataFrame(
        {
            "rank": np.arange(1, n + 1),
            "code": [f"{i // 5 + 1}.{i % 5 + 1}.1" for i in range(n)],
            "points_lost": lost,
            "cum_points_lost": cum,
            "share_pct": lost / cum[-1] * 100,
            "cum_share_pct": cum / cum[-1] * 100,
        }
    )


def office_df():
    names = [
        "Văn phòng Sở",
        "Phòng Quản lý vận tải, phương tiện và người lái",
        "Thanh tra Sở",
        "Phòng Kế hoạch - Tài chính",
    ]
    lost = np.array([3.25, 1.5, 0.75, 0.5])
    return pd.DataFrame({"owner_office": names, "points_lost": lost, "share_pct": lost / lost.sum() * 100})


def field_df():
    rng = np.random.default_rng(1)
    pct = np.array([95.0, 88.5, 79.25, 100.0, 91.0, 70.0, 84.4, 62.5])
    stage = rng.uniform(0, 1, (8, 5)).round(2)
    return pd.DataFrame(
        {
            "code": [str(i) for i in range(1, 9)],
            "name": FIELD_NAMES,
            "pct_of_max": pct,
            "not_claimed_points": stage[:, 0],
            "cut_round1_points": stage[:, 1] + 0.5,
            "regained_points": stage[:, 2] * 0.5,
            "survey_points": stage[:, 3],
            "unsplit_points": np.r_[stage[:1, 4], np.zeros(7)],
        }
    )


CASES = {
    "pareto": lambda: PL.plot_pareto(pareto_df()),
    "office": lambda: PL.plot_loss_by_office(office_df()),
    "fields": lambda: PL.plot_fields(field_df(), BANDS),
    "stage": lambda: PL.plot_stage_gap(field_df()),
}


@pytest.mark.parametrize("name", list(CASES))
def test_figure_renders_without_missing_glyphs(name, tmp_path):
    out = tmp_path / f"{name}.png"
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # "Glyph … missing from font(s)" becomes an error
        fig = CASES[name]()
        assert isinstance(fig, Figure)
        fig.savefig(out, dpi=100)
    assert out.stat().st_size > 10_000
    assert 7.5 <= fig.get_size_inches()[0] <= 9.0  # A4 width
    titles = [ax.get_title() for ax in fig.axes]
    assert any(t and any(ch in t for ch in "ểạấđ") for t in titles)  # Vietnamese title


def test_glyph_check_can_fail(tmp_path):
    # the mechanism above must catch a glyph DejaVu Sans lacks (Tibetan OM, U+0F00)
    fig = Figure()
    fig.add_subplot().set_title("\u0f00")
    with warnings.catch_warnings(), pytest.raises(UserWarning, match="[Gg]lyph"):
        warnings.simplefilter("error")
        fig.savefig(tmp_path / "x.png")


def test_decimal_comma_ticks():
    assert PL.num_formatter(2)(0.5, 0) == "0,50"
    assert PL.num_formatter(0, " %")(80, 0) == "80 %"
    fig = PL.plot_loss_by_office(office_df())
    fig.canvas.draw()
    labels = [t.get_text() for t in fig.axes[0].get_xticklabels() if t.get_text()]
    assert labels and all("." not in s for s in labels) and any("," in s for s in labels)


def test_pareto_limits_bars_and_draws_reference():
    fig = PL.plot_pareto(pareto_df(30), max_bars=25)
    ax, ax2 = fig.axes
    assert len(ax.patches) == 25
    assert "25 tiêu chí đầu trong số 30" in ax.get_title()
    assert any(np.allclose(line.get_ydata(), 80.0) for line in ax2.get_lines())


def test_stage_plot_handles_negative_net_cut():
    f = field_df().assign(regained_points=lambda d: d["cut_round1_points"] + 0.25)  # net cut −0.25
    fig = PL.plot_stage_gap(f)
    widths = [p.get_width() for p in fig.axes[0].patches]
    assert min(widths) == pytest.approx(-0.25)


def test_empty_inputs_give_a_message_figure():
    empty = pareto_df().iloc[0:0]
    fig = PL.plot_pareto(empty)
    assert isinstance(fig, Figure)
    assert any("Không có điểm bị mất" in t.get_text() for t in fig.axes[0].texts)
