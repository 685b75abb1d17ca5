"""The speed changes of issue 8 give the same results as the straightforward code (bundled sample).

* ``kpi_table`` classifies a slim copy (only the columns the KPIs read) and computes each
  period's indicators once for all its dimensions; the straightforward way (below) classifies
  the full frame and calls ``dossier_kpis`` for each dimension.
* ``dossier_kpis`` builds its long table in one step instead of one piece per KPI; the
  reference here counts each KPI with a plain boolean sum.
(The parse cache's equivalence is in tests/test_cache.py.)
"""

import pandas as pd
import pytest

from parlib import kpi
from parlib.calendar import load_calendar
from parlib.config import Paths
from parlib.dossiers import load_procedures, read_dossier_exports


@pytest.fixture(scope="module")
def sample():
    paths = Paths()
    procs = load_procedures(paths.config / "procedures.csv")
    cal = load_calendar(paths)
    files = [paths.raw / "dossiers" / f"ho_so_2026_Q{q}.xlsx" for q in (1, 2)]
    return read_dossier_exports(files, procs, cal, data_dir=paths.data).dossiers, procs, cal


def straightforward_kpi_table(dossiers, calendar, year, quarter, procedures, history_from, history_dimensions):
    """kpi_table as first written: every period classified on the full frame, one dossier_kpis
    call per dimension."""
    names = procedures.drop_duplicates("procedure_code").set_index("procedure_code")["procedure_name"]
    names = names.combine_first(dossiers.drop_duplicates("procedure_code").set_index("procedure_code")
                                ["procedure_name"])
    parts = []
    for kind, key, label, start, end in kpi._periods(year, quarter, history_from):
        c = kpi.classify_dossiers(dossiers, calendar, end, period_start=start)
        cols = kpi.DIMENSIONS if start.year == year else history_dimensions
        for dim in ["all", *cols]:
            by = [] if dim == "all" else [dim]
            groups = procedures[by] if by and dim in procedures.columns else None
            t = kpi.dossier_kpis(c, by, groups=groups)
            group = t[dim].astype("string").fillna("").astype(str) if by else pd.Series("Tất cả", index=t.index)
            t = t.drop(columns=by)
            head = {"period_kind": kind, "period": key, "period_label": label, "period_start": start,
                    "period_end": end, "dimension": dim, "group": group,
                    "group_name": group.map(names).fillna(group) if dim == "procedure_code" else group}
            parts.append(pd.concat([pd.DataFrame(head, index=t.index), t], axis=1))
    return pd.concat(parts, ignore_index=True)


def test_kpi_table_equals_the_straightforward_loop(sample):
    dossiers, procs, cal = sample
    fast = kpi.kpi_table(dossiers, cal, 2026, 2, procedures=procs, history_from=2025,
                         history_dimensions=["office_name"])
    slow = straightforward_kpi_table(dossiers, cal, 2026, 2, procs, 2025, ["office_name"])
    pd.testing.assert_frame_equal(fast, slow, check_exact=True)
    # 2025: 12 months + 4 quarters, 2026: 6 months + 2 quarters, + YTD = 25 periods
    assert fast[["period_kind", "period"]].drop_duplicates().shape[0] == 25


def test_dossier_kpis_equal_plain_boolean_counts(sample):
    dossiers, procs, cal = sample
    c = kpi.classify_dossiers(dossiers, cal, pd.Timestamp(2026, 6, 30, 23, 59), period_start=pd.Timestamp(2026, 4, 1))
    t = kpi.dossier_kpis(c, ["office_name"])
    judged = c["in_processing_scope"] & ~c["is_stale"] & c["outcome"].ne("unknown")
    for office, rows in c.groupby("office_name"):
        got = t.loc[(t["office_name"] == office) & (t["kpi"] == "late_pct")].iloc[0]
        assert got["n"] == int(judged[rows.index].sum())
        assert got["k"] == int((judged & c["is_late"])[rows.index].sum())
        rec = rows["is_received_in_period"]
        got = t.loc[(t["office_name"] == office) & (t["kpi"] == "online_pct")].iloc[0]
        assert got["n"] == int((rec & rows["channel"].notna()).sum())
        assert got["k"] == int((rec & rows["channel"].eq(2).fillna(False)).sum())
    # KPI-major order: all offices for the first KPI, then the second …
    n_off = c["office_name"].nunique()
    assert t["kpi"].iloc[:n_off].eq("on_time_pct").all() and t["kpi"].iloc[n_off] == "early_pct"
    assert str(t["kpi"].dtype) == "str" and str(t["k"].dtype) == "int64"


def test_number_fast_path_equals_parse_numbers():
    """Text counts (a CSV export): plain digits take the vectorised path, everything else
    parse_numbers; the result is parse_numbers' for every cell."""
    from parlib.dossiers import _numbers
    from parlib.readers import parse_numbers

    cells = pd.Series(["0", "12", None, " 3 ", "1,5", "1.000", "x", "-2", "0012", "9" * 15, "9" * 16, "١٢"],
                      dtype=object)
    got, bad = _numbers(cells)
    want, want_bad = parse_numbers(cells)
    pd.testing.assert_series_equal(got, want)
    pd.testing.assert_series_equal(bad, want_bad)
    assert got.iloc[1] == 12.0 and bad.iloc[6] and bad.iloc[10]  # 'x' and 16 digits (>= 1e15) are bad
