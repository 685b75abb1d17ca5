"""Every path the project uses, derived from the project root or from --data/--out.

Folder vocabulary (see README):
    data/raw/            inputs exactly as received; never modified by parlib
    data/raw/config/     analyst-maintained parameter files (bands, targets, layouts...)
    data/raw/framework/  one framework file per year
    data/processed/      tidy tables written by parlib (Parquet + provenance sidecars)
    reports/<period>/    HTML reports, executed notebooks, Excel workbooks, summary.json
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

PACKAGE_DIR = Path(__file__).resolve().parents[1]
PROJECT_ROOT = PACKAGE_DIR.parent
NOTEBOOKS_DIR = PROJECT_ROOT / "notebooks"
TEMPLATES_DIR = PACKAGE_DIR / "templates"
DEFAULT_DATA_DIR = PROJECT_ROOT / "data"
DEFAULT_REPORTS_DIR = PROJECT_ROOT / "reports"


@dataclass(frozen=True)
class Paths:
    """Paths of one run. ``data`` holds raw/ and processed/; ``out`` holds the reports."""

    data: Path = DEFAULT_DATA_DIR
    out: Path = DEFAULT_REPORTS_DIR

    @classmethod
    def from_args(cls, data: str | Path | None = None, out: str | Path | None = None) -> "Paths":
        return cls(
            Path(data).resolve() if data else DEFAULT_DATA_DIR,
            Path(out).resolve() if out else DEFAULT_REPORTS_DIR,
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
