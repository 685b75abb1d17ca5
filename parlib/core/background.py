"""A processed table encoded to Parquet on a background thread while the analysis goes on.

The year's classified dossiers are the largest processed table (0,4 s to encode at a million
dossiers, 1,8 s at ten million) and are final long before the rest of the quarterly build is.
:class:`BackgroundTable` encodes them on a thread (pyarrow's Parquet writer releases the GIL)
into a hidden temporary file next to the target; ``parlib.core.io.write_table(...,
encoded=...)`` waits for it and moves it into place with its provenance, as it would have
written it. Nothing is published before that: a build that fails leaves no table of its own
(``discard`` removes the temporary file, as ``atomic_path`` does for a failed write).
"""

from __future__ import annotations

import os
import queue
import tempfile
import threading
from pathlib import Path
from typing import TYPE_CHECKING

from parlib.core.io import remove_orphans, staged_target, write_parquet

if TYPE_CHECKING:
    import pandas as pd


class BackgroundTable:
    """``df`` scrubbed and written to a temporary Parquet file next to ``target`` (where
    ``write_table`` would put it) on a daemon thread, started at once. The caller must not
    modify ``df`` until :meth:`result` or :meth:`discard` returned."""

    def __init__(self, df: pd.DataFrame, target: str | Path):
        self.target = staged_target(Path(target))
        self.tmp: Path | None = None
        self.rows = 0
        self.columns: list[str] = []
        self._error: BaseException | None = None
        self._thread = threading.Thread(target=self._encode, args=(df,), name="parlib-table", daemon=True)
        self._thread.start()

    def _encode(self, df: pd.DataFrame) -> None:
        try:
            from parlib.core.text import scrub_frame

            df = scrub_frame(df)  # as write_table does: the last net before disk
            self.tmp = _temporary(self.target)
            write_parquet(df, self.tmp)
            self.rows, self.columns = int(len(df)), [str(c) for c in df.columns]
        except BaseException as exc:  # handed to the caller by result()
            self._error = exc

    def result(self, target: Path) -> tuple[Path, int, list[str]]:
        """Wait for the encoding; the temporary file, the rows and the columns. Raises what the
        encoding raised, and ValueError when ``target`` is not the table's."""
        self._thread.join()
        if self._error is not None:
            self.discard()
            raise self._error
        if Path(target) != self.target:
            self.discard()
            raise ValueError(f"the table was encoded for {self.target}, not {target}")
        assert self.tmp is not None
        return self.tmp, self.rows, self.columns

    def discard(self) -> None:
        """Wait for the thread and remove the temporary file if it was not published."""
        self._thread.join()
        if self.tmp is not None and self.tmp.exists():
            self.tmp.unlink()


def _temporary(target: Path) -> Path:
    """A new hidden temporary file next to ``target`` (``.<name>.<pid>.<random>.part``), after
    the temporary copies killed runs left there were removed (as ``atomic_path`` does)."""
    target.parent.mkdir(parents=True, exist_ok=True)
    remove_orphans(target)
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.{os.getpid()}.", suffix=".part", dir=target.parent)
    os.close(fd)
    return Path(tmp)


class StreamedTable:
    """A processed table written to a temporary Parquet file next to ``target`` a slice of rows
    at a time (:meth:`write`, in order), for a table too large to hold whole: ten million
    classified dossiers are 1,5 GB as a frame. The file reads back as the frame of the slices
    stacked (each slice scrubbed; row groups of at most ``PARQUET_PIECE_ROWS`` rows, one slice's
    rows never shared with the next's). Slices must have the same columns and types — slices of
    one frame: a categorical column's categories are the first slice's dictionary (slices with
    other categories would read back in order of appearance); a column of Python objects
    (``parquet_safe``: texts or missing) is written as text (all missing: read back as text,
    where a whole write gives objects). Each slice is encoded on a thread while the caller
    prepares the next (at most one waits). Published and discarded as a :class:`BackgroundTable`
    is."""

    def __init__(self, target: str | Path):
        self.target = staged_target(Path(target))
        self.tmp: Path | None = _temporary(self.target)
        self.rows = 0
        self.columns: list[str] = []
        self._writer = None
        self._closed = False
        self._error: BaseException | None = None
        self._slices: queue.Queue = queue.Queue(maxsize=1)
        self._thread = threading.Thread(target=self._encode, name="parlib-table", daemon=True)
        self._thread.start()

    def write(self, df: pd.DataFrame) -> None:
        """Queue ``df`` (not to be modified afterwards); raises what encoding a slice raised,
        and ValueError once the table was published or discarded."""
        if self._closed:
            raise ValueError(f"{self.target.name}: the streamed table is already closed")
        if self._error is not None:
            raise self._error
        columns = [str(c) for c in df.columns]
        if self.columns and columns != self.columns:
            raise ValueError(f"{self.target.name}: a slice with other columns than the first")
        self.columns = columns
        self._slices.put(df)
        self.rows += int(len(df))

    def _encode(self) -> None:
        while (df := self._slices.get()) is not None:
            if self._error is not None:
                continue  # a slice failed: the rest are dropped, the error raised to the caller
            try:
                self._write(df)
            except BaseException as exc:
                self._error = exc
            del df

    def _write(self, df: pd.DataFrame) -> None:
        import pyarrow as pa
        import pyarrow.parquet as pq

        from parlib.core.io import PARQUET_PIECE_ROWS, parquet_safe
        from parlib.core.text import scrub_frame

        df = scrub_frame(parquet_safe(df))
        if self._writer is None:
            first = pa.Table.from_pandas(df, preserve_index=False)
            # a column of texts that is empty in the first slice is typed as text, not null
            schema = pa.schema(
                [f.with_type(pa.string()) if pa.types.is_null(f.type) else f for f in first.schema],
                metadata=first.schema.metadata,
            )
            self._writer = pq.ParquetWriter(self.tmp, schema)
        if len(df):  # a slice without rows gives the schema only: no empty row group
            # converted to the first slice's types, as write_parquet converts its pieces
            table = pa.Table.from_pandas(df, schema=self._writer.schema, preserve_index=False)
            self._writer.write_table(table, row_group_size=PARQUET_PIECE_ROWS)

    def _finish(self) -> None:
        self._closed = True
        if self._thread.is_alive():
            self._slices.put(None)
            self._thread.join()
        if self._writer is not None:
            self._writer.close()

    def result(self, target: Path) -> tuple[Path, int, list[str]]:
        """Wait for the last slice; the temporary file, the rows and the columns. Raises what
        encoding a slice raised, and ValueError when ``target`` is not the table's or nothing
        was written."""
        self._finish()
        if self._error is not None:
            self.discard()
            raise self._error
        if Path(target) != self.target:
            self.discard()
            raise ValueError(f"the table was streamed for {self.target}, not {target}")
        if self._writer is None:
            self.discard()
            raise ValueError(f"{self.target.name}: no slice was written to the streamed table")
        assert self.tmp is not None
        return self.tmp, self.rows, self.columns

    def discard(self) -> None:
        """Wait for the thread and remove the temporary file if it was not published."""
        self._finish()
        if self.tmp is not None and self.tmp.exists():
            self.tmp.unlink()
