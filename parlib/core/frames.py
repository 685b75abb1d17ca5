"""Few-valued text columns as pandas categoricals, and stacking frames that hold them.

A text column with a few hundred distinct values over millions of rows (offices, procedures,
channels, survey items) costs one text per row, and every grouping, sort or row selection of it
hashes or copies those texts. As a categorical it is one small integer per row. Categories are
kept in code-point order, the order of a sort of the texts, so that sorting a categorical column
gives the rows the order the texts would (every category list here is built that way).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import numpy as np
import pandas as pd
import pyarrow as pa
from pandas.api.types import union_categoricals


def as_categories(df: pd.DataFrame, columns: Iterable[str]) -> pd.DataFrame:
    """``df`` with each of ``columns`` that holds text as a categorical (in place; returned for
    chaining). A column without text (all missing, numbers) and an absent column are left as they
    are. Values, missing cells and the order of a sort are those of the texts."""
    for c in columns:
        if c in df.columns and pd.api.types.is_string_dtype(df[c].dtype) and df[c].dtype != object:
            df[c] = df[c].astype("category")
    return df


def only_used_categories(df: pd.DataFrame) -> pd.DataFrame:
    """``df`` with each categorical column's categories reduced to the values it holds (in
    place; returned for chaining): categories made before rows were rejected or merged are not
    listed as groups of zero rows by a grouping with ``observed=False`` or in a Parquet table."""
    for c in df.columns:
        if isinstance(df[c].dtype, pd.CategoricalDtype):
            df[c] = _used_categories_only(df[c])
    return df


def _used_categories_only(s: pd.Series) -> pd.Series:
    """``s.cat.remove_unused_categories()`` from a count of the codes: pandas finds the used ones
    by sorting every code (1,1 s for ten million rows), a count takes one pass (0,06 s)."""
    codes = s.cat.codes.to_numpy()
    n = len(s.cat.categories)
    used = np.bincount(codes[codes >= 0], minlength=n).astype(bool) if n else np.zeros(0, dtype=bool)
    if used.all():
        return s
    return s.cat.set_categories(s.cat.categories[used])  # the order kept (remove_categories sorts)


def stack(frames: Sequence[pd.DataFrame]) -> pd.DataFrame:
    """``pd.concat(frames, ignore_index=True)``, except that a column categorical in every frame
    stays categorical: its categories become the sorted union of the frames' (``pd.concat`` alone
    turns categoricals with different categories into text, and factorising millions of texts
    again costs seconds)."""
    frames = [_text_if_empty(f) for f in frames]
    if len(frames) < 2:
        return pd.concat(frames, ignore_index=True)
    columns = list(frames[0].columns)
    shared = [
        c
        for c in columns
        if all(c in f.columns and isinstance(f[c].dtype, pd.CategoricalDtype) for f in frames)
    ]
    if not shared:
        return pd.concat(frames, ignore_index=True)
    out = pd.concat([f.drop(columns=shared) for f in frames], ignore_index=True)
    for c in shared:
        out[c] = union_categoricals([f[c].array for f in frames], sort_categories=True)
    return out[columns + [c for c in out.columns if c not in columns]]


def _text_if_empty(df: pd.DataFrame) -> pd.DataFrame:
    """``df`` with a categorical column that holds no value typed as text: read back from
    Parquet its categories are untyped (object), freshly parsed they are text; a parsed copy
    must give what a parse gives, and union_categoricals needs categories of one type."""
    empty = [
        c
        for c in df.columns
        if isinstance(df[c].dtype, pd.CategoricalDtype)
        and len(df[c].cat.categories) == 0
        and df[c].cat.categories.dtype == object
    ]
    if not empty:
        return df
    df = df.copy(deep=False)
    for c in empty:
        df[c] = df[c].cat.set_categories(pd.Index([], dtype="str"))
    return df


class Pile:
    """Frames of the same columns seen as their :func:`stack`, without building it: a column is
    stacked only when read, a selection of rows is taken from each frame, and :meth:`pop_take`
    releases each frame's column once it is taken. At ten million dossiers the stack and its
    selection held the table three times over (parsed copies, stack, kept rows): 4,1 GB where
    one copy and a column need 2,2 GB. Every value, type and category is the stack's."""

    def __init__(self, frames: Sequence[pd.DataFrame]):
        if not frames or any(list(f.columns) != list(frames[0].columns) for f in frames):
            raise ValueError("Pile: frames with the same columns, in the same order")
        self.frames = [_text_if_empty(f) for f in frames]
        self.columns = list(self.frames[0].columns)
        self.bounds = np.cumsum([0] + [len(f) for f in self.frames])

    def __len__(self) -> int:
        return int(self.bounds[-1])

    def column(self, c: str) -> pd.Series:
        """``stack(frames)[c]``."""
        return stack([f[[c]] for f in self.frames])[c]

    def take(self, columns: list[str], positions: np.ndarray) -> pd.DataFrame:
        """``stack(frames)[columns].take(positions)`` for increasing ``positions`` (the index
        is the positions, as on the stack): each frame's rows taken from it, then stacked."""
        positions = np.asarray(positions, dtype=np.int64)
        if len(positions) > 1 and (np.diff(positions) <= 0).any():
            raise ValueError("Pile.take: positions in increasing order")
        cuts = np.searchsorted(positions, self.bounds)
        parts = [
            f[columns] if b - a == len(f) else f[columns].take(positions[a:b] - lo)  # every row: as it is
            for f, lo, a, b in zip(self.frames, self.bounds[:-1], cuts[:-1], cuts[1:], strict=True)
        ]
        out = stack(parts)
        out.index = positions
        return out

    def pop_take(self, positions: np.ndarray, *, drop: Sequence[str] = (), release=None) -> pd.DataFrame:
        """``stack(frames).drop(columns=drop).take(positions).reset_index(drop=True)``, a column
        at a time; each frame's column is deleted once taken (the frames are emptied), and
        ``release`` (optional, no argument) called after each column, e.g. to hand the freed
        memory back (core.memory.release_free_memory)."""
        missing = [c for c in drop if c not in self.columns]
        if missing:
            raise KeyError(f"Pile.pop_take: no column {missing}")
        out = pd.DataFrame(index=pd.RangeIndex(len(positions)))
        for c in self.columns:
            if c not in drop:
                column = self.column(c)  # its type kept (an object column is not inferred again)
                out[c] = pd.Series(
                    column.array.take(positions), index=out.index, dtype=column.dtype, copy=False
                )
            for f in self.frames:
                del f[c]
            if release is not None:
                release()
        return out


def taken_texts(values: Sequence, positions: np.ndarray) -> pd.api.extensions.ExtensionArray:
    """``pd.array(np.asarray(values, dtype=object)[positions], dtype="str")`` — the texts of a
    few ``values`` repeated over many rows — taken in Arrow from the few: the same array (missing
    values included) without building and converting one Python text per row (a long table of
    a few hundred thousand rows repeats a few hundred labels)."""
    small = pd.array(np.asarray(values, dtype=object), dtype="str")
    taken = pa.array(small).take(pa.array(np.asarray(positions, dtype=np.int64)))
    return pd.arrays.ArrowStringArray(taken, dtype=small.dtype)
