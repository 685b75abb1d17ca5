"""Every path the project uses, derived from the project root or from --data/--out.

The default data and reports folders can also be set with the environment variables
``PARLIB_DATA_DIR`` and ``PARLIB_REPORTS_DIR`` (the test suite points them at a scratch copy
of the sample, so no test writes into the checkout).

Folder vocabulary (see README):
    data/raw/            inputs exactly as received; never modified by parlib
    data/raw/config/     analyst-maintained parameter files (bands, targets, layouts...)
    data/raw/framework/  one framework file per year
    data/processed/      tidy tables written by parlib (Parquet + provenance sidecars)
    reports/<period>/    HTML reports, executed notebooks, Excel workbooks, summary.json
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

PACKAGE_DIR = Path(__file__).resolve().parents[1]
PROJECT_ROOT = PACKAGE_DIR.parent
NOTEBOOKS_DIR = PROJECT_ROOT / "notebooks"
TEMPLATES_DIR = PACKAGE_DIR / "templates"
DEFAULT_DATA_DIR = PROJECT_ROOT / "data"
DEFAULT_REPORTS_DIR = PROJECT_ROOT / "reports"


def default_data_dir() -> Path:
    """``$PARLIB_DATA_DIR`` when set, else the project's ``data/``."""
    env = os.environ.get("PARLIB_DATA_DIR")
    return Path(env).resolve() if env else DEFAULT_DATA_DIR


def default_reports_dir() -> Path:
    """``$PARLIB_REPORTS_DIR`` when set, else the project's ``reports/``."""
    env = os.environ.get("PARLIB_REPORTS_DIR")
    return Path(env).resolve() if env else DEFAULT_REPORTS_DIR


@dataclass(frozen=True)
class Paths:
    """Paths of one run. ``data`` holds raw/ and processed/; ``out`` holds the reports."""

    data: Path = field(default_factory=default_data_dir)
    out: Path = field(default_factory=default_reports_dir)

    @classmethod
    def from_args(cls, data: str | Path | None = None, out: str | Path | None = None) -> "Paths":
        """Paths from the ``--data`` / ``--out`` arguments (the defaults when not given)."""
        return cls(
            Path(data).resolve() if data else default_data_dir(),
            Path(out).resolve() if out else default_reports_dir(),
        )

    @property
    def raw(self) -> Path:
        return self.data / "raw"

    @property
    def processed(self) -> Path:
        return self.data / "processed"

    @property
    def parse_cache(self) -> Path:
        """Parsed copies of unchanged raw files (parlib.cache; disposable)."""
        return self.processed / ".cache"

    @property
    def config(self) -> Path:
        return self.raw / "config"

    @property
    def framework(self) -> Path:
        return self.raw / "framework"

    @property
    def scoresheets(self) -> Path:
        return self.raw / "scoresheet"

    def report_dir(self, period: str) -> Path:
        return self.out / period

    def rel(self, path: Path) -> str:
        """Path relative to the data folder when inside it (for issue tables and logs)."""
        try:
            return str(Path(path).resolve().relative_to(self.data))
        except ValueError:
            return Path(path).name
