"""Each office against its own baseline: windows, exact tests, small offices, mix (hand-built counts)."""

from __future__ import annotations

import pandas as pd
import pytest

from parlib.analysis.offices import office_watch, windows

T = pd.Timestamp


def test_baseline_windows_and_labels():
    now, base, label = windows(2026, 3, "recent")
    assert now == (T(2026, 7, 1), T(2026, 9, 30)) and base == (T(2026, 1, 1), T(2026, 6, 30))
    assert label == "Quý I–II/2026"
    assert windows(2026, 2, "recent")[2] == "Quý I/2026"
    assert windows(2026, 4, "recent")[2] == "Quý I–III/2026"
    now, base, label = windows(2026, 1, "recent")  # first quarter: the previous fourth quarter
    assert base == (T(2025, 10, 1), T(2025, 12, 31)) and label == "Quý IV/2025"
    assert windows(2026, 3, "last_year")[1:] == ((T(2025, 7, 1), T(2025, 9, 30)), "Quý III/2025")
    now, base, label = windows(2026, 3, "ytd")
    assert now == (T(2026, 1, 1), T(2026, 9, 30)) and base == (T(2025, 1, 1), T(2025, 9, 30))
    assert label == "cùng kỳ năm 2025"


class FakeCounter:
    """Counts by (window start, office, procedure) -> (k, n); every window of a scope is known."""

    def __init__(self, data: dict):
        self.data = data

    def counts(self, window, by, kpi):
        rows = [
            {"office_name": o, "procedure_code": p, "k": k, "n": n}
            for (start, o, p), (k, n) in self.data.items()
            if start == window[0]
        ]
        df = pd.DataFrame(rows, columns=["office_name", "procedure_code", "k", "n"])
        return df.groupby(by, as_index=False)[["k", "n"]].sum()


NOW, RECENT = T(2026, 7, 1), T(2026, 1, 1)
DATA = {
    # A, about 30 dossiers a quarter: 2 late of 60 before, 24 late of 84 now — all from a harder
    # procedure P1 (70 % on time in both periods) taking most of the dossiers: mix, not handling
    (RECENT, "A", "P1"): (7, 10),
    (RECENT, "A", "P2"): (50, 50),
    (NOW, "A", "P1"): (56, 80),
    (NOW, "A", "P2"): (4, 4),
    # B: 1 late of 6 now, none of 14 before: too few to conclude, shown with its numbers
    (RECENT, "B", "P3"): (14, 14),
    (NOW, "B", "P3"): (5, 6),
    # C: 95/100 vs 96/100: noise
    (RECENT, "C", "P4"): (96, 100),
    (NOW, "C", "P4"): (95, 100),
}


def test_small_office_named_too_few_shown_noise_kept():
    w = office_watch(FakeCounter(DATA), 2026, 3, kpis=["on_time_pct"], scopes=["recent"]).set_index(
        "office_name"
    )
    assert w.loc["A", ["k_now", "n_now", "k_base", "n_base"]].tolist() == [60, 84, 57, 60]
    assert w.loc["A", "pct_now"] == pytest.approx(100 * 60 / 84)
    assert w.loc["A", "change_pp"] == pytest.approx(100 * (60 / 84 - 57 / 60))
    assert w.loc["A", "verdict"] == "worse" and bool(w.loc["A", "is_significant"])
    # Holm over the two offices with a conclusion (A, C): A's adjusted p is twice its raw p
    assert w.loc["A", "p_adjusted"] == pytest.approx(2 * w.loc["A", "p_value"])
    assert w.loc["A", "p_value"] < 1e-3
    # the change of A comes from its own procedure mix (P1's rate is 70 % in both periods)
    assert w.loc["A", "mix_or_performance"] == "mix"
    assert w.loc["B", "verdict"] == "too_few" and w.loc["B", "verdict_vi"] == "ít hồ sơ, chưa đủ để kết luận"
    assert pd.isna(w.loc["B", "p_value"]) and w.loc["B", ["k_now", "n_now"]].tolist() == [5, 6]
    assert w.loc["C", "verdict"] == "noise" and not w.loc["C", "is_significant"]
    assert w.loc["A", "baseline_label"] == "Quý I–II/2026" and w.loc["A", "period"] == "2026-Q3"
    assert list(w.index[:1]) == ["A"]  # significant deteriorations first
