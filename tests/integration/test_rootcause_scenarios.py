"""The root-cause analysis finds what was planted, and nothing where nothing was planted.

Checks read the scenario files (``[effects]``) and the analysis OUTPUT only; the analysis
never sees a scenario. Three data sets:

* the bundled sample (``scenarios/default.toml``): effects (a)–(e);
* ``tests/scenarios/rootcause_moved.toml``: the same kinds of plants moved to other offices,
  procedures, factor, channel and quarters, with another seed and ~6 000 dossiers a year;
* ``tests/scenarios/rootcause_none.toml``: no plant at all (only a rising online share).

Fresh scenarios are generated into ``tmp_path`` with the bundled config, framework and task
list copied next to them, then run through ``parlib.quarterly.build``.
"""

from __future__ import annotations

import shutil
import tomllib
from pathlib import Path

import pandas as pd
import pytest

from parlib.core.paths import DEFAULT_DATA_DIR, PROJECT_ROOT, Paths
from parlib.report.rootcause_text import cause_paragraph, write_paragraphs

pytestmark = pytest.mark.slow

SCENARIOS = PROJECT_ROOT / "tests" / "scenarios"
DOSSIER_MEASURES = {
    "on_time_pct",
    "apology_pct",
    "online_pct",
    "digitised_pct",
    "e_result_pct",
    "online_payment_pct",
    "system_updated_pct",
}


def _effects(path: Path) -> dict:
    with open(path, "rb") as f:
        return tomllib.load(f).get("effects", {})


def _office_names() -> dict[str, str]:
    t = pd.read_csv(DEFAULT_DATA_DIR / "raw" / "config" / "offices.csv", dtype=str, encoding="utf-8-sig")
    return dict(zip(t["office_code"], t["office_name"]))


def _first(table: pd.DataFrame, **where) -> pd.Series:
    t = table
    for col, val in where.items():
        t = t.loc[t[col].isin(val) if isinstance(val, (list, set, tuple)) else t[col] == val]
    assert not t.empty, f"no cause row with {where}"
    return t.sort_values("rank").iloc[0]


@pytest.fixture(scope="module")
def bundled():
    from parlib.pipelines import annual, quarterly
    from parlib.pipelines.comparison import build_comparison
    from parlib.pipelines.rootcause import build as build_root_causes

    paths = Paths()
    q = quarterly.build(2026, 3, paths, write=False)
    a = annual.score_year(2026, paths, write=False)  # no processed files written by a test
    a.comparison = build_comparison(annual.score_year(2025, paths, write=False), a, paths)
    # the quarterly causes (at risk); the annual ones (year over year, the quarterly data as
    # evidence only); and the annual ones without operational data
    res = build_root_causes(quarterly=q, paths=paths)
    res.annual = build_root_causes(annual=a, quarterly=q, paths=paths)
    res.annual_only = build_root_causes(annual=a, paths=paths)
    res.comparison = a.comparison
    return res


def _fresh(name: str, year: int, quarter: int, tmp_path_factory):
    from parlib.generate.operational import generate
    from parlib.pipelines import quarterly
    from parlib.pipelines.rootcause import build as build_root_causes

    data = tmp_path_factory.mktemp(name)
    raw = DEFAULT_DATA_DIR / "raw"
    shutil.copytree(raw / "config", data / "raw" / "config")
    shutil.copytree(raw / "framework", data / "raw" / "framework")
    (data / "raw" / "tasks").mkdir(parents=True)
    shutil.copy(raw / "tasks" / "nhiem_vu_2026.csv", data / "raw" / "tasks")
    generate(SCENARIOS / f"{name}.toml", data, quiet=True)
    paths = Paths(data, data / "reports")
    q = quarterly.build(year, quarter, paths, write=False)
    return build_root_causes(quarterly=q, paths=paths)


@pytest.fixture(scope="module")
def moved(tmp_path_factory):
    return _fresh("rootcause_moved", 2026, 2, tmp_path_factory)


@pytest.fixture(scope="module")
def nothing(tmp_path_factory):
    return _fresh("rootcause_none", 2026, 2, tmp_path_factory)


def _no_channel_claims(res) -> None:
    """(e)-type check: a rising online share is never named as a cause of lateness."""
    t = res.table
    dossier = t.loc[t["measure"].isin(DOSSIER_MEASURES)]
    assert not (dossier["segment_dimension"] == "channel").any()
    assert not t.loc[t["measure"] == "online_pct", "is_significant"].any()
    for model in res.models.values():
        if model.status == "ok":
            drivers = model.table.loc[model.table["is_driver"], "factor"]
            assert "channel" not in set(drivers), model.table


# ---------------------------------------------------------------- bundled sample


def test_a_surge_at_qlxd_in_q3(bundled):
    eff = _effects(PROJECT_ROOT / "scenarios" / "default.toml")["surge_overdue"]
    office = _office_names()[eff["office"]]
    t = bundled.table
    lead = _first(t, measure="on_time_pct", kind="at_risk")
    assert (lead["code"], lead["segment"], lead["period"]) == ("3.3.2", office, eff["quarter"])
    assert lead["is_significant"] and lead["mix_or_performance"] == "performance"
    assert lead["signal_start"] in {"2026-07", "2026-08", "2026-09"}
    assert office in lead["driver_terms"] and "tỷ số chênh" in lead["driver_terms"]
    assert lead["measure_before"] >= 100 - eff["baseline_max_pct"] - 1  # on time before: overdue ≤ ~5 %
    assert set(bundled.annual.table["kind"]) == {"year_over_year"}  # a year's causes are its changes
    yoy = _first(bundled.annual.table, measure="on_time_pct", kind="year_over_year")
    assert yoy["segment"] == office and yoy["is_significant"]


def test_b_apology_drop_at_nbds(bundled):
    eff = _effects(PROJECT_ROOT / "scenarios" / "default.toml")["apology_drop"]
    office = _office_names()[eff["office"]]
    for kind, res in (("year_over_year", bundled.annual), ("at_risk", bundled)):
        lead = _first(res.table, measure="apology_pct", kind=kind)
        assert lead["code"] == "3.3.3" and lead["segment"] == office and lead["is_significant"]
        assert (
            lead["measure_before"] >= eff["baseline_min_pct"] and lead["measure_after"] <= eff["drop_max_pct"]
        )


def test_c_civil_servants_at_the_desk(bundled):
    eff = _effects(PROJECT_ROOT / "scenarios" / "default.toml")["civil_servant_drop"]
    lead = _first(bundled.table, measure=eff["factor_code"], kind="at_risk")
    assert lead["code"] == "8.1.3" and lead["segment"] == eff["channel"]
    assert lead["period"] in eff["quarters"] and lead["is_significant"]
    assert lead["change_pp"] <= -eff["min_drop_points"]
    sat = _first(bundled.table, measure="satisfaction_pct", kind="at_risk", is_significant=True)
    assert sat["segment"] == eff["channel"]


def test_d_pure_mix_quarter(bundled):
    eff = _effects(PROJECT_ROOT / "scenarios" / "default.toml")["mix_shift"]
    t = bundled.table
    rows = t.loc[(t["measure"] == "on_time_pct") & (t["period"] == eff["quarter"])]
    assert len(rows) == 1  # no office is blamed for a mix change
    assert (
        rows.iloc[0]["mix_or_performance"] == "mix" and rows.iloc[0]["segment_dimension"] == "procedure_code"
    )
    summ = bundled.summaries.set_index(["measure", "period"]).loc[("on_time_pct", eff["quarter"])]
    assert summ["verdict"] == "mix" and summ["delta"] * 100 <= -eff["min_drop_points"] + 0.5
    text = cause_paragraph(rows.iloc[0].to_dict())
    assert "cơ cấu hồ sơ" in text and "không phải do xử lý chậm hơn" in text


def test_e_online_trend_is_not_a_cause(bundled):
    _no_channel_claims(bundled)


def test_bundled_outputs_are_complete(bundled):
    t = bundled.table
    assert list(t["rank"]) == list(range(1, len(t) + 1))
    # quarterly order: significant deteriorations first, then by the points at stake by year-end
    sig = t["is_significant"].astype(bool)
    assert not (sig.astype(int).diff().fillna(0) > 0).any()
    for part in (t.loc[sig], t.loc[~sig]):
        assert pd.to_numeric(part["points_at_stake"], errors="coerce").dropna().is_monotonic_decreasing
    a = bundled.annual.table  # annual order: by the points each fall explains
    assert pd.to_numeric(a["points_explained"], errors="coerce").dropna().is_monotonic_decreasing
    assert t["action_text"].str.len().gt(0).all() and t["owner_office"].str.len().gt(0).all()
    js = bundled.summary_json()
    assert js[0]["rank"] == 1 and set(js[0]) >= {
        "code",
        "measure",
        "segment",
        "office",
        "points_explained",
        "significant",
    }
    assert all("chưa phải bằng chứng nhân quả" in p for p in write_paragraphs(bundled) if "hồi quy" in p)


def test_annual_without_operational_data_claims_no_measure(bundled):
    t = bundled.annual_only.table
    assert set(t["kind"]) == {"year_over_year"} and not t["is_significant"].any()
    assert t["measure_before"].isna().all() and t["measure_after"].isna().all()
    row = _first(t, code="3.3.3")
    fall = bundled.comparison.decomposition.set_index("code").loc["3.3.3", "performance_points"]
    assert fall < 0 and row["points_explained"] == pytest.approx(-fall)
    assert "không kết luận về chỉ số" in row["evidence_note"]
    drops = bundled.comparison.decomposition["performance_points"].round(2) < 0
    assert len(t) == int(drops.sum())  # every decrease of 0,01 or more has its row, once
    assert t["code"].is_unique
    rec = bundled.annual_only.reconciliation  # the rows, the rest and the framework add up
    parts = rec["decreases"] + rec["increases"] + rec["framework_effect"] + rec["bonus_penalty_change"]
    assert round(parts + rec["rounding"], 2) == round(rec["total_change"], 2)
    assert rec["decreases"] == pytest.approx(-t["points_explained"].round(2).sum())
    assert row["reason_category"] != "" and row["stage"] == "cut_at_appraisal"


# ---------------------------------------------------------------- fresh scenarios


def test_moved_plants_are_found(moved):
    eff = _effects(SCENARIOS / "rootcause_moved.toml")
    t = moved.table
    lead = _first(t, measure="on_time_pct", kind="at_risk", mix_or_performance=["performance", "both"])
    assert lead["segment"] == eff["surge_overdue"]["office_name"]
    assert lead["period"] == eff["surge_overdue"]["quarter"] and lead["is_significant"]
    assert _first(t, measure="on_time_pct")["segment"] == eff["surge_overdue"]["office_name"]
    apo = _first(t, measure="apology_pct")
    assert apo["segment"] == eff["apology_drop"]["office_name"] and apo["is_significant"]
    fac = _first(t, measure=eff["factor_drop"]["factor_code"])
    assert (fac["segment"], fac["period"]) == (eff["factor_drop"]["channel"], eff["factor_drop"]["quarter"])
    assert fac["is_significant"]
    mix = t.loc[(t["measure"] == "on_time_pct") & (t["period"] == eff["mix_shift"]["quarter"])]
    assert list(mix["mix_or_performance"]) == ["mix"]
    # the first significant cause of the whole table is one of the planted ones
    top = t.loc[t["is_significant"]].iloc[0]
    planted = {
        ("apology_pct", eff["apology_drop"]["office_name"]),
        ("on_time_pct", eff["surge_overdue"]["office_name"]),
    }
    assert (top["measure"], top["segment"]) in planted
    _no_channel_claims(moved)


def test_no_plant_no_significant_cause(nothing):
    t = nothing.table
    assert not t["is_significant"].any(), t.loc[t["is_significant"]]
    _no_channel_claims(nothing)
    assert not any("vượt ngưỡng dao động ngẫu nhiên (p" in p for p in write_paragraphs(nothing))
