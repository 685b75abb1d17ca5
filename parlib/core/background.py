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
            self.target.parent.mkdir(parents=True, exist_ok=True)
            remove_orphans(self.target)  # a killed run's temporary copies, as atomic_path does
            fd, tmp = tempfile.mkstemp(
                prefix=f".{self.target.name}.{os.getpid()}.", suffix=".part", dir=self.target.parent
            )
            os.close(fd)
            self.tmp = Path(tmp)
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
