"""Fixtures shared by the integration tests of the dossier engine (DuckDB against pandas)."""

import pytest

from parlib.core.paths import Paths
from parlib.ingest.calendar import load_calendar
from parlib.ingest.dossier_columns import load_procedures
from parlib.ingest.dossiers import read_dossier_exports


@pytest.fixture(scope="module")
def sample():
    """(dossiers of the bundled sample's exports, procedures catalogue, calendar)."""
    paths = Paths()
    procs = load_procedures(paths.config / "procedures.csv")
    cal = load_calendar(paths)
    files = sorted((paths.raw / "dossiers").glob("ho_so_*.xlsx"))
    return read_dossier_exports(files, procs, cal, data_dir=paths.data).dossiers, procs, cal
