"""parlib.core.frames: few-valued texts as categoricals, and stacking frames that hold them."""

import numpy as np
import pandas as pd
import pytest

from parlib.core.frames import as_categories, stack


def _text(values):
    return pd.Series(values, dtype="str")


def test_as_categories_converts_text_columns_only():
    df = pd.DataFrame({"office": _text(["Phòng B", "Phòng A", None]), "n": [1, 2, 3], "blank": [None] * 3})
    out = as_categories(df, ["office", "n", "blank", "absent"])
    assert out is df  # in place
    assert isinstance(df["office"].dtype, pd.CategoricalDtype)
    assert list(df["office"].cat.categories) == ["Phòng A", "Phòng B"]  # code-point order
    assert df["office"].isna().tolist() == [False, False, True]
    assert df["n"].dtype == np.int64
    assert df["blank"].dtype == object


def test_stack_keeps_categoricals_with_the_sorted_union_of_categories():
    a = as_categories(pd.DataFrame({"k": _text(["b", "a", None]), "n": [1, 2, 3]}), ["k"])
    b = as_categories(pd.DataFrame({"k": _text(["c", "a"]), "n": [4, 5]}), ["k"])
    out = stack([a, b])
    assert list(out.columns) == ["k", "n"]
    assert isinstance(out["k"].dtype, pd.CategoricalDtype)
    assert list(out["k"].cat.categories) == ["a", "b", "c"]
    assert out["k"].astype(object).where(out["k"].notna(), None).tolist() == ["b", "a", None, "c", "a"]
    assert out["n"].tolist() == [1, 2, 3, 4, 5]
    assert out.index.tolist() == [0, 1, 2, 3, 4]
    # sorting the categorical orders the rows as sorting the texts does
    texts = pd.concat([a["k"].astype("str"), b["k"].astype("str")], ignore_index=True)
    assert out["k"].sort_values().index.tolist() == texts.sort_values().index.tolist()


def test_stack_joins_untyped_empty_categories_and_text_ones():
    # a column with no value at all, read back from Parquet, has object categories
    empty = pd.DataFrame({"k": pd.Categorical([None], categories=pd.Index([], dtype=object)), "n": [0]})
    full = as_categories(pd.DataFrame({"k": _text(["x"]), "n": [1]}), ["k"])
    out = stack([empty, full])
    assert out["k"].isna().tolist() == [True, False]
    assert out["k"].iloc[1] == "x"
    assert list(out["k"].cat.categories) == ["x"]


def test_stack_of_a_categorical_and_a_text_column_gives_texts():
    a = as_categories(pd.DataFrame({"k": _text(["b"])}), ["k"])
    b = pd.DataFrame({"k": _text(["a"])})
    out = stack([a, b])
    assert not isinstance(out["k"].dtype, pd.CategoricalDtype)
    assert out["k"].tolist() == ["b", "a"]


def test_a_single_frame_with_an_untyped_empty_categorical_is_typed_as_text():
    empty = pd.DataFrame({"k": pd.Categorical([None, None], categories=pd.Index([], dtype=object))})
    out = stack([empty])
    assert out["k"].cat.categories.dtype == "str" and out["k"].isna().all()


def test_only_used_categories_keeps_the_values_held_in_their_order():
    from parlib.core.frames import only_used_categories

    df = pd.DataFrame({"k": pd.Categorical(["c", "a", None], categories=["a", "b", "c"]), "n": [1, 2, 3]})
    out = only_used_categories(df)
    assert out is df
    assert list(df["k"].cat.categories) == ["a", "c"]
    assert df["k"].astype(object).where(df["k"].notna(), None).tolist() == ["c", "a", None]


def test_only_used_categories_equals_pandas_on_random_columns():
    """The count of codes gives what pandas' remove_unused_categories gives: values, categories,
    their order, the codes' type, ordered or not; empty, all-missing and fully used columns."""
    from parlib.core.frames import only_used_categories

    rng = np.random.default_rng(7)
    for trial in range(60):
        n_cats = int(rng.integers(0, 40))
        n = int(rng.integers(0, 300))
        cats = pd.Index(sorted({f"đơn vị {i}" for i in rng.integers(0, 1000, n_cats)}), dtype="str")
        hi = max(len(cats) // (1 + trial % 3), 1)
        codes = rng.integers(-1, hi, n) if len(cats) else np.full(n, -1)
        col = pd.Categorical.from_codes(codes, dtype=pd.CategoricalDtype(cats, ordered=bool(trial % 2)))
        want = pd.Series(col).cat.remove_unused_categories()
        got = only_used_categories(pd.DataFrame({"k": col}))["k"]
        pd.testing.assert_series_equal(got, want, check_names=False)
        assert got.cat.codes.dtype == want.cat.codes.dtype


def test_only_used_categories_keeps_an_unsorted_category_order():
    from parlib.core.frames import only_used_categories

    col = pd.Categorical(["b", "c", "b"], categories=["c", "b", "a"])
    got = only_used_categories(pd.DataFrame({"k": col}))["k"]
    assert list(got.cat.categories) == ["c", "b"]  # as remove_unused_categories: the order kept
    pd.testing.assert_series_equal(got, pd.Series(col, name="k").cat.remove_unused_categories())


def _pile_frames():
    a = as_categories(
        pd.DataFrame(
            {
                "k": _text(["b", "a", None, "b"]),
                "t": _text(["x1", None, "x3", "x4"]),
                "n": pd.array([1, None, 3, 4], dtype="Int64"),
                "d": pd.to_datetime(["2026-01-02", None, "2026-03-04", "2026-05-06"]),
            }
        ),
        ["k"],
    )
    b = as_categories(
        pd.DataFrame(
            {
                "k": _text(["c", "a", "c"]),
                "t": _text(["y1", "y2", None]),
                "n": pd.array([5, 6, 7], dtype="Int64"),
                "d": pd.to_datetime(["2025-12-31", "2026-01-01", None]),
            }
        ),
        ["k"],
    )
    c = as_categories(
        pd.DataFrame(
            {
                "k": _text(["d"]),
                "t": _text(["z"]),
                "n": pd.array([8], dtype="Int64"),
                "d": pd.to_datetime(["2027-01-01"]),
            }
        ),
        ["k"],
    )
    return [a, b, c]


def test_pile_reads_and_selects_what_the_stack_holds():
    from parlib.core.frames import Pile

    whole = stack(_pile_frames())
    pile = Pile(_pile_frames())
    assert len(pile) == len(whole) == 8 and pile.columns == ["k", "t", "n", "d"]
    for c in pile.columns:
        pd.testing.assert_series_equal(pile.column(c), whole[c])
    rows = np.array([1, 3, 4, 7])  # rows of the first, second and third frame
    pd.testing.assert_frame_equal(pile.take(["d", "k"], rows), whole[["d", "k"]].take(rows))
    assert list(pile.take(["k"], rows)["k"].cat.categories) == ["a", "b", "c", "d"]  # every frame's
    assert len(pile.take(["n"], np.array([], dtype=np.int64))) == 0
    with pytest.raises(ValueError):
        pile.take(["n"], np.array([3, 1]))  # positions must increase


def test_pile_pop_take_is_the_stacks_selection_and_empties_the_frames():
    from parlib.core.frames import Pile

    frames = _pile_frames()
    whole = stack(_pile_frames())
    order = np.array([7, 0, 5, 2, 4])  # any order, as the reader's dossier-number order
    released = []
    out = Pile(frames).pop_take(order, drop=["t"], release=lambda: released.append(1))
    expected = whole.drop(columns="t").take(order).reset_index(drop=True)
    pd.testing.assert_frame_equal(out, expected)
    assert all(f.columns.empty for f in frames) and len(released) == 4
    # a column of Python objects stays one (not inferred as text or dates); a missing column refused
    objs = [
        pd.DataFrame({"o": pd.Series(["x", None], dtype=object)}),
        pd.DataFrame({"o": pd.Series([pd.Timestamp("2026-01-01")], dtype=object)}),
    ]
    out = Pile(objs).pop_take(np.array([2, 0]))
    assert out["o"].dtype == object and out["o"].tolist() == [pd.Timestamp("2026-01-01"), "x"]
    with pytest.raises(KeyError):
        Pile(_pile_frames()).pop_take(order, drop=["absent"])


def test_pile_refuses_frames_with_other_columns():
    from parlib.core.frames import Pile

    a, b, _c = _pile_frames()
    with pytest.raises(ValueError):
        Pile([a, b.drop(columns="t")])


def test_taken_texts_is_the_row_by_row_conversion():
    from parlib.core.frames import taken_texts

    values = ["Phòng A", None, "Sở Xây dựng", "", "Phòng A"]
    positions = np.array([4, 0, 1, 2, 3, 3, 1, 0])
    expected = pd.array(np.asarray(values, dtype=object)[positions], dtype="str")
    got = taken_texts(values, positions)
    pd.testing.assert_extension_array_equal(got, expected)
    assert got.dtype == "str" and pd.isna(got[2]) and got[5] == ""
    assert len(taken_texts(values, np.array([], dtype=np.int64))) == 0
    with pytest.raises(IndexError):
        taken_texts(values, np.array([5]))
