"""The quarter's classified dossiers, as the quarterly build uses them.

The build needs from them: the processed table ``dossiers_<year>_Q<quarter>.parquet`` (every
dossier in scope of the quarter with its classification), the average processing time (766
indicator 2.2) and the number of dossiers received in the quarter (the survey's sample frame).
Up to :data:`CHUNK_ROWS` dossiers (a department, a district, a province's year) they are one
frame, which the build encodes to Parquet on a thread while the analysis goes on. Beyond
that — ten million dossiers of a province over several years: 4,8 million in scope, 1,5 GB as
a frame next to the 2 GB dossier table — they are classified :data:`CHUNK_ROWS` dossiers at a
time, each slice written to the table as it is classified and reduced to what the processing
time needs: the whole frame never exists (``QuarterlyResult.classified`` is then None; the
table holds them). A build that writes nothing (``write=False``) classifies them at once. The
classification of a dossier depends on that dossier only, so the slices stacked are the frame
of one classification (tests/integration/test_classified_slices.py).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from parlib.analysis.kpi import KpiRules, classify_dossiers
from parlib.analysis.processing_time import processing_time, timed_dossiers
from parlib.core.background import StreamedTable
from parlib.core.calendar import WorkCalendar
from parlib.core.errors import ConfigError
from parlib.core.io import PARQUET_PIECE_ROWS
from parlib.core.periods import Period

CHUNK_ROWS = 2 * PARQUET_PIECE_ROWS  # dossiers classified together at province scale
TIME_BY = ["office_name"]  # the processing time's groups


@dataclass
class ClassifiedQuarter:
    frame: pd.DataFrame | None  # the classified dossiers; None when streamed to ``table``
    table: StreamedTable | None  # their Parquet file, written as they were classified (streamed)
    rows: int
    processing_time: pd.DataFrame  # processing_time(frame, calendar, TIME_BY)
    received: int  # dossiers received in the quarter (its first to its last day)


def classify_quarter(
    dossiers: pd.DataFrame,
    calendar: WorkCalendar,
    period: Period,
    rules: KpiRules,
    *,
    target: Path | None = None,
    chunk_rows: int | None = None,
) -> ClassifiedQuarter:
    """``classify_dossiers`` of the quarter (its start to its end) and what the build takes
    from it. With a ``target`` and more than ``chunk_rows`` (default :data:`CHUNK_ROWS`)
    dossiers, they are classified a slice at a time (:func:`classified_slices`) and written to
    that Parquet file as they are (``table``: published by ``write_table(None, target,
    encoded=table)``, removed by ``table.discard()``; ``frame`` None). Otherwise one frame
    (``table`` None: the caller encodes it, :class:`parlib.core.background.BackgroundTable`):
    without a file to write to, the frame is held whole anyway, and slices held together with
    their stack would cost more than one classification."""
    chunk_rows = chunk_rows or CHUNK_ROWS
    if target is None or len(dossiers) <= chunk_rows:
        c = _classify(dossiers, calendar, period, rules)
        return ClassifiedQuarter(c, None, len(c), processing_time(c, calendar, TIME_BY), _received(c, period))
    table = StreamedTable(target)
    timed, rows, received = [], 0, 0
    try:
        for c in classified_slices(dossiers, calendar, period, rules, chunk_rows):
            timed.append(timed_dossiers(c, TIME_BY))  # what the processing time reads
            rows, received = rows + len(c), received + _received(c, period)
            table.write(c)
            del c
        spent = processing_time(pd.concat(timed), calendar, TIME_BY)  # every slice's, in order
    except BaseException:
        table.discard()
        raise
    return ClassifiedQuarter(None, table, rows, spent, received)


def classified_slices(
    dossiers: pd.DataFrame, calendar: WorkCalendar, period: Period, rules: KpiRules, chunk_rows: int
):
    """The quarter's classification of ``dossiers`` ``chunk_rows`` at a time, in order: their
    stack is ``classify_dossiers`` of all of them (a dossier's classification depends on that
    dossier only). A slice that cannot be classified (a supplement pause in a year without an
    official schedule) raises the error of the whole classification, which names the years of
    every dossier — computed then on all of them at once, the memory slicing saves spent once,
    on the way to stopping the run."""
    for start in range(0, len(dossiers), chunk_rows):
        try:
            c = _classify(dossiers.iloc[start : start + chunk_rows], calendar, period, rules)
        except ConfigError:
            _classify(dossiers, calendar, period, rules)
            raise
        yield c


def _classify(
    dossiers: pd.DataFrame, calendar: WorkCalendar, period: Period, rules: KpiRules
) -> pd.DataFrame:
    return classify_dossiers(dossiers, calendar, period.end, period_start=period.start, rules=rules)


def _received(classified: pd.DataFrame, period: Period) -> int:
    return int(classified["received_at"].between(period.start, period.end).sum())
