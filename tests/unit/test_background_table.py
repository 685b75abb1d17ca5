"""core.background.BackgroundTable: a processed table encoded on a thread, published by
write_table exactly as write_table alone would write it, and nothing left when it fails."""

import json

import pandas as pd
import pyarrow as pa
import pytest

from parlib.core.background import BackgroundTable
from parlib.core.io import write_table


def _frame(n=5000):
    return pd.DataFrame(
        {
            "dossier_id": pd.Series([f"000.{i:05d}" for i in range(n)], dtype="str"),
            "office_name": pd.Series(["Phòng A", "Phòng B"] * (n // 2), dtype="category"),
            "note": pd.Series(["gọi 0912345678"] + [None] * (n - 1), dtype="str"),  # scrubbed on the way
            "k": range(n),
        }
    )


def _sidecar(path):
    meta = json.loads(path.with_name(path.stem + ".provenance.json").read_text(encoding="utf-8"))
    return {k: v for k, v in meta.items() if k != "created_at"}


def test_published_table_equals_the_one_written_directly(tmp_path):
    df = _frame()
    direct = write_table(df, tmp_path / "a" / "t.parquet", params={"q": 3})
    bg = BackgroundTable(df, tmp_path / "b" / "t.parquet")
    published = write_table(df, tmp_path / "b" / "t.parquet", params={"q": 3}, encoded=bg)
    pd.testing.assert_frame_equal(pd.read_parquet(published), pd.read_parquet(direct))
    assert _sidecar(published) == _sidecar(direct)
    assert "0912345678" not in pd.read_parquet(published)["note"].iloc[0]
    assert {p.name for p in (tmp_path / "b").iterdir()} == {"t.parquet", "t.provenance.json"}  # no .part
    bg.discard()  # after publishing: nothing to remove, the table stays
    assert published.is_file()


def test_a_failed_encoding_raises_in_write_table_and_leaves_nothing(tmp_path):
    bad = pd.DataFrame({"x": pd.Series([1, "a", 2.5], dtype=object)})  # Arrow cannot type it
    bg = BackgroundTable(bad, tmp_path / "t.parquet")
    with pytest.raises(pa.ArrowException):
        write_table(bad, tmp_path / "t.parquet", encoded=bg)
    assert list(tmp_path.iterdir()) == []


def test_discard_removes_the_unpublished_file(tmp_path):
    bg = BackgroundTable(_frame(), tmp_path / "t.parquet")
    bg.discard()
    assert list(tmp_path.iterdir()) == []


def test_the_table_is_published_only_to_its_own_target(tmp_path):
    bg = BackgroundTable(_frame(10), tmp_path / "t.parquet")
    with pytest.raises(ValueError):
        write_table(_frame(10), tmp_path / "other.parquet", encoded=bg)
    assert list(tmp_path.iterdir()) == []


def test_a_killed_runs_temporary_copy_is_removed_and_a_different_frame_refused(tmp_path):
    dead = tmp_path / ".t.parquet.999999999.abc.part"  # no process has this id
    dead.write_bytes(b"partial")
    bg = BackgroundTable(_frame(20), tmp_path / "t.parquet")
    with pytest.raises(ValueError):
        write_table(_frame(21), tmp_path / "t.parquet", encoded=bg)  # not the frame encoded
    assert list(tmp_path.iterdir()) == []


def test_a_large_table_is_written_piece_by_piece_and_reads_back_the_same(tmp_path, monkeypatch):
    """Above one row group of rows the frame is converted to Arrow a piece at a time: the file
    reads back as the frame (categories, texts, missing values, dates), with the row groups and
    schema of ``to_parquet``; a frame with a column of Python objects is written whole."""
    import pyarrow.parquet as pq

    import parlib.core.io as io

    monkeypatch.setattr(io, "PARQUET_PIECE_ROWS", 1000)
    df = _frame(4500).assign(
        at=pd.Series(pd.date_range("2026-01-01", periods=4500, freq="h")).where(lambda s: s.dt.hour != 3),
        flag=pd.array([True, None, False] * 1500, dtype="boolean"),
    )
    df.to_parquet(tmp_path / "ref.parquet", index=False, row_group_size=1000)
    io.write_parquet(df, tmp_path / "t.parquet")
    pd.testing.assert_frame_equal(pd.read_parquet(tmp_path / "t.parquet"), df)
    got, ref = pq.ParquetFile(tmp_path / "t.parquet"), pq.ParquetFile(tmp_path / "ref.parquet")
    assert got.metadata.num_row_groups == 5 and got.schema_arrow.equals(ref.schema_arrow, check_metadata=True)
    mixed = df.assign(note=pd.Series([None] * 4499 + ["x"], dtype=object))
    io.write_parquet(mixed, tmp_path / "m.parquet")
    mixed.to_parquet(tmp_path / "m_ref.parquet", index=False)
    pd.testing.assert_frame_equal(
        pd.read_parquet(tmp_path / "m.parquet"), pd.read_parquet(tmp_path / "m_ref.parquet")
    )
    assert pq.ParquetFile(tmp_path / "m.parquet").metadata.num_row_groups == 1
    numbered = df.rename(columns={"k": 2025})  # a year as a column name: written whole, as to_parquet does
    io.write_parquet(numbered, tmp_path / "n.parquet")
    numbered.to_parquet(tmp_path / "n_ref.parquet", index=False)
    pd.testing.assert_frame_equal(
        pd.read_parquet(tmp_path / "n.parquet"), pd.read_parquet(tmp_path / "n_ref.parquet")
    )


def test_a_streamed_table_is_the_file_of_its_slices_stacked(tmp_path, monkeypatch):
    """Slices written in order read back as the frame they make (texts scrubbed, categories,
    missing values), with one row group per PARQUET_PIECE_ROWS rows as write_table gives the
    whole frame; a text column empty in the first slice is text, not an untyped column."""
    import pyarrow.parquet as pq

    import parlib.core.io as io
    from parlib.core.background import StreamedTable

    monkeypatch.setattr(io, "PARQUET_PIECE_ROWS", 1000)
    df = _frame(5000).assign(
        reason=pd.Series([None] * 2000 + ["nhiều lần bổ sung"] * 3000, dtype=object)  # Python objects
    )
    direct = write_table(df, tmp_path / "a" / "t.parquet", params={"q": 3})
    st = StreamedTable(tmp_path / "b" / "t.parquet")
    st.write(df.iloc[:0])  # a slice without rows (none of its dossiers in scope): no row group
    for start in range(0, 5000, 2000):  # slices of two row groups, the last of one
        st.write(df.iloc[start : start + 2000])
    published = write_table(None, tmp_path / "b" / "t.parquet", params={"q": 3}, encoded=st)
    pd.testing.assert_frame_equal(pd.read_parquet(published), pd.read_parquet(direct))
    assert _sidecar(published) == _sidecar(direct)
    assert pq.ParquetFile(published).metadata.num_row_groups == 5
    assert pq.read_schema(published).field("reason").type == pa.string()
    assert "0912345678" not in pd.read_parquet(published)["note"].iloc[0]
    assert {p.name for p in (tmp_path / "b").iterdir()} == {"t.parquet", "t.provenance.json"}


def test_a_streamed_table_that_fails_or_is_discarded_leaves_nothing(tmp_path):
    from parlib.core.background import StreamedTable

    st = StreamedTable(tmp_path / "t.parquet")
    st.write(_frame(10))
    with pytest.raises(ValueError):
        st.write(_frame(10).drop(columns="k"))  # not the first slice's columns
    st.discard()
    assert list(tmp_path.iterdir()) == []

    st = StreamedTable(tmp_path / "t.parquet")
    st.write(_frame(10))
    st.write(_frame(10).assign(k=pd.Series([1, "a"] * 5, dtype=object)))  # texts, numbers before: cast fails
    with pytest.raises(pa.ArrowException):
        write_table(None, tmp_path / "t.parquet", encoded=st)
    assert list(tmp_path.iterdir()) == []

    st = StreamedTable(tmp_path / "t.parquet")  # nothing written: nothing to publish
    with pytest.raises(ValueError, match="no slice"):
        write_table(None, tmp_path / "t.parquet", encoded=st)
    assert list(tmp_path.iterdir()) == []
    with pytest.raises(ValueError):
        st.write(_frame(10))  # closed: refused, not queued for a writer that is gone
    with pytest.raises(ValueError, match="no frame"):
        write_table(None, tmp_path / "t.parquet")
    assert list(tmp_path.iterdir()) == []
