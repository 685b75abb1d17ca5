"""The reader hands its few-valued texts on as categoricals (issue 19: memory at province
scale). Everything computed from them must be what the same texts give: a fresh generated
scenario with a planted surge, analysed once as the reader returns it and once with those
columns as plain text."""

from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd
import pytest
from planted import make_data

from parlib.ingest.dossier_columns import CATEGORY_COLUMNS

pytestmark = pytest.mark.slow


def _plain(value):
    """Frames with their categorical columns as text (the dossiers and the classified table
    legitimately keep the reader's dtypes); everything else as is."""
    if isinstance(value, pd.DataFrame):
        return value.astype({c: "str" for c, t in value.dtypes.items() if isinstance(t, pd.CategoricalDtype)})
    return value


def _same(a, b, where: str) -> int:
    """Asserts ``a`` and ``b`` are the same result; returns how many frames were compared."""
    if isinstance(a, pd.DataFrame):
        pd.testing.assert_frame_equal(_plain(a), _plain(b), check_exact=True, obj=where)
        return 1
    if isinstance(a, pd.Series):
        pd.testing.assert_series_equal(a, b, check_exact=True, obj=where)
        return 1
    if isinstance(a, dict):
        assert a.keys() == b.keys(), where
        return sum(_same(a[k], b[k], f"{where}[{k}]") for k in a)
    if isinstance(a, (int, float, str, bool)) or a is None:
        assert a == b or (a != a and b != b), (where, a, b)
    return 0


def _plant(dossiers: pd.DataFrame) -> pd.DataFrame:
    """Texts the reader can hand on but a generated scenario never has: dossiers without an
    office or a field (a code missing from the catalogue and blank cells) and a procedure code
    the catalogue does not know."""
    d = dossiers.astype({c: "str" for c in CATEGORY_COLUMNS})
    rows = np.random.default_rng(7).random(len(d))
    d.loc[rows < 0.01, "office_name"] = pd.NA
    d.loc[(rows >= 0.01) & (rows < 0.02), "field_name"] = pd.NA
    d.loc[(rows >= 0.02) & (rows < 0.03), "procedure_code"] = "9.999999"
    return d


@pytest.mark.parametrize("planted", [False, True], ids=["generated", "planted"])
def test_analysis_same_on_categories_and_on_text(tmp_path, monkeypatch, planted):
    from parlib.ingest import dossiers as reader
    from parlib.ingest.dossier_columns import as_categories
    from parlib.pipelines import Paths, inputs, quarterly, rootcause

    plant = (
        '[[dossiers.surges]]\nquarters = ["2026-Q3"]\nprocedures = ["2.002007", "2.008396", "2.006623"]\n'
        "factor = 3.0\n"
    )
    paths = Paths.from_args(str(make_data(tmp_path, 20261204, plant)))
    real = reader.read_dossier_exports

    def read(text: bool):
        def run(*a, **k):
            out = real(*a, **k)
            d = _plant(out.dossiers) if planted else out.dossiers.astype({c: "str" for c in CATEGORY_COLUMNS})
            return dataclasses.replace(out, dossiers=d if text else as_categories(d))

        return run

    monkeypatch.setattr(inputs, "read_dossier_exports", read(text=False))
    as_read = quarterly.build(2026, 3, paths, write=False)
    rc_read = rootcause.build(quarterly=as_read, paths=paths)
    kinds = {c: as_read.dossiers[c].dtype for c in CATEGORY_COLUMNS}
    assert all(isinstance(t, pd.CategoricalDtype) for t in kinds.values()), kinds
    if not planted:  # the reader itself hands them on as categoricals
        assert (
            real(sorted((paths.raw / "dossiers").glob("*.xlsx")), as_read.procedures, as_read.calendar)
            .dossiers["office_name"]
            .dtype
            == kinds["office_name"]
        )
    else:
        assert as_read.dossiers["office_name"].isna().any()

    monkeypatch.setattr(inputs, "read_dossier_exports", read(text=True))
    as_text_res = quarterly.build(2026, 3, paths, write=False)
    assert not isinstance(as_text_res.dossiers["office_name"].dtype, pd.CategoricalDtype)
    rc_text = rootcause.build(quarterly=as_text_res, paths=paths)

    compared = 0
    for f in dataclasses.fields(as_read):
        if f.name != "extra":
            compared += _same(getattr(as_read, f.name), getattr(as_text_res, f.name), f.name)
    extra = {k: v for k, v in as_read.extra.items() if k != "dossier_counter"}
    compared += _same(extra, {k: as_text_res.extra[k] for k in extra}, "extra")
    compared += _same(rc_read.table, rc_text.table, "root causes")
    assert rc_read.summary_json() == rc_text.summary_json()
    assert compared >= 30, compared  # the result's tables were compared, not skipped
    # the planted surge is in the analysis (the comparison is not of empty tables)
    assert (as_read.office_watch["n_now"] > 0).any()
    assert len(rc_read.table) > 0
