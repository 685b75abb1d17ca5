"""Reporting periods (a quarter of a year) and their bounds."""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from parlib.core.vnformat import quarter_label


@dataclass
class Period:
    year: int
    quarter: int

    @property
    def start(self) -> pd.Timestamp:
        return pd.Timestamp(self.year, 3 * self.quarter - 2, 1)

    @property
    def end(self) -> pd.Timestamp:
        """Last instant of the quarter (end of its last day)."""
        return (self.start + pd.offsets.QuarterEnd(0)).normalize() + pd.Timedelta(
            hours=23, minutes=59, seconds=59
        )

    @property
    def year_start(self) -> pd.Timestamp:
        return pd.Timestamp(self.year, 1, 1)

    @property
    def label(self) -> str:
        return quarter_label(self.year, self.quarter)

    @property
    def key(self) -> str:
        return f"{self.year}-Q{self.quarter}"
