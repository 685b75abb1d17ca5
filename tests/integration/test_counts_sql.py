"""Window counts on DuckDB (parlib.analysis.counts_sql.SqlCounter) equal the pandas Counter
(parlib.analysis.offices.Counter: classify_dossiers + dossier_kpis, the reference) exactly, and
office_watch gives the same table with either: on the bundled sample with both end-of-processing
rules, and on the sample with random edge cases planted (several end dates on one record, hours
deadlines, supplements around window ends, blanks, ratings)."""

import pandas as pd
import pytest
from test_kpi_sql_equivalence import _planted

from parlib.analysis.counts_sql import SqlCounter
from parlib.analysis.kpi_sql import dossier_arrow
from parlib.analysis.offices import SCOPES, Counter, office_watch, windows
from parlib.core.paths import Paths
from parlib.model.dossier_rules import KpiRules

pytestmark = pytest.mark.slow

BYS = [[], ["office_name"], ["procedure_code"], ["office_name", "procedure_code"]]
KPIS = ["on_time_pct", "apology_pct", "handling_satisfaction_pct", "digitised_pct"]


def _windows(year, quarter):
    return [w for scope in SCOPES for w in windows(year, quarter, scope)[:2]]


def _same_counts(dossiers, cal, rules, source=None):
    ref = Counter(dossiers, cal, rules)
    got = SqlCounter(dossiers if source is None else source, cal, rules)
    wins = _windows(2026, 3) + _windows(2026, 1)
    got.prefetch(wins)
    for w in wins:
        for by in BYS:
            for kpi in KPIS:
                pd.testing.assert_frame_equal(
                    got.counts(w, by, kpi), ref.counts(w, by, kpi), check_exact=True
                )


@pytest.mark.parametrize("rules", [None, KpiRules(end_of_processing="earliest")], ids=str)
def test_sample_counts(sample, rules):
    dossiers, _procs, cal = sample
    _same_counts(dossiers, cal, rules)


def test_sample_counts_from_arrow(sample):
    dossiers, _procs, cal = sample
    _same_counts(dossiers, cal, None, dossier_arrow(dossiers, ["office_name", "procedure_code"]))


@pytest.mark.parametrize("seed", [1, 2])
def test_planted_counts(sample, seed):
    dossiers, _procs, cal = sample
    d = _planted(dossiers, seed)
    _same_counts(d, cal, None)
    _same_counts(d, cal, KpiRules(end_of_processing="earliest", apology_lead_days=2))


@pytest.mark.parametrize("seed", [None, 3])
def test_office_watch(sample, seed):
    dossiers, _procs, cal = sample
    d = dossiers if seed is None else _planted(dossiers, seed)
    names = d.drop_duplicates("procedure_code").set_index("procedure_code")["procedure_name"]
    for quarter in (3, 1):
        ref = office_watch(Counter(d, cal), 2026, quarter, names=names)
        got = office_watch(SqlCounter(d, cal), 2026, quarter, names=names)
        pd.testing.assert_frame_equal(got, ref, check_exact=True)
        assert len(ref) > 0


def test_root_causes_same_with_the_sql_counter():
    """The quarterly root causes count their windows with the build's SqlCounter; without it
    (each window classified in pandas) the table is the same."""
    import dataclasses

    from parlib.pipelines import quarterly, rootcause

    res = quarterly.build(2026, 3, Paths(), write=False)
    assert res.extra["dossier_counter"] is not None
    got = rootcause.build(quarterly=res, report_date="2026-10-15")
    plain = dataclasses.replace(res, extra={k: v for k, v in res.extra.items() if k != "dossier_counter"})
    ref = rootcause.build(quarterly=plain, report_date="2026-10-15")
    pd.testing.assert_frame_equal(got.table, ref.table, check_exact=True)
    assert len(ref.table) > 0


@pytest.mark.parametrize("seed", [None, 4])
@pytest.mark.parametrize("rules", [None, KpiRules(end_of_processing="earliest")], ids=str)
def test_windows_counted_in_the_kpi_scan(sample, seed, rules, monkeypatch):
    """The build counts the offices' windows in the KPI table's scan (kpi_table_and_windows,
    each window by the rule of classify_dossiers, the KPI periods by the first end): the KPI
    table is the one kpi_table gives alone, and every window's counts loaded into a counter
    are the pandas Counter's (the reference) — planted records with several end dates are
    where the two scopes differ."""
    from parlib.analysis.kpi_sql import kpi_table, kpi_table_and_windows
    from parlib.analysis.offices import watched_windows

    dossiers, procs, cal = sample
    d = dossiers if seed is None else _planted(dossiers, seed)
    wins = watched_windows(2026, 3) + watched_windows(2026, 1)
    kw = {"procedures": procs, "history_from": 2025, "history_dimensions": ["office_name"], "rules": rules}
    table, counted = kpi_table_and_windows(d, cal, 2026, 3, wins, **kw)
    pd.testing.assert_frame_equal(table, kpi_table(d, cal, 2026, 3, **kw), check_exact=True)
    assert set(counted) == {(pd.Timestamp(a), pd.Timestamp(b)) for a, b in wins}
    got, ref = SqlCounter(d, cal, rules), Counter(d, cal, rules)
    got.load(counted)

    def no_scan(*args, **kwargs):
        raise AssertionError("a loaded window was scanned again")

    monkeypatch.setattr("parlib.analysis.counts_sql.period_sums", no_scan)
    for w in wins:
        for by in BYS:
            for kpi in KPIS:
                pd.testing.assert_frame_equal(
                    got.counts(w, by, kpi), ref.counts(w, by, kpi), check_exact=True
                )
