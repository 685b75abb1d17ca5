"""Fuzzing the readers: every mutated input ends in a correct result or a typed Vietnamese error.

Two families of cases, both built from the bundled sample (copied, never modified):

* **named mutations** (tests/_robustness.py): cells replaced by text, blanks, huge numbers,
  out-of-range dates, formulas and HTML; NFD text; shuffled or missing columns; merged cells;
  blank, note and duplicated rows; truncated rows; a file cut in half, zero bytes, a CSV saved
  as .xlsx (and the reverse), an encrypted (OLE2) workbook, a corrupt zip, random bytes, a
  missing file, a renamed sheet; Windows-1258, UTF-16 and mangled encodings for CSV files.
  Every random mutation runs twice with different random choices (``reps``).
* **property-based** cases (hypothesis): random cell replacements in the workbook readers and
  random values through the shared parsers.

A case passes when the reader returns a result whose ledger balances (rows read = used +
rejected + skipped, every rejection with a reason, output rows = used rows), or raises a
``ParlibError`` whose Vietnamese message names the file. Anything else fails the test with the
mutation and the file named. The counts are written by ``record_figures``.
"""

from __future__ import annotations

import datetime as dt
import math
import random
import re
import unicodedata
from collections import Counter

import _robustness as R
import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from parlib.core.cells import MAX_ABS_NUMBER, parse_datetimes, parse_numbers
from parlib.core.text import normalise_text, scrub_text

RANDOM_MUTATIONS = {
    "truncated",
    "random_bytes",
    "shuffle_columns",
    "drop_column",
    "truncate_rows",
    "latin1_garbage",
    "merged",
    "blank_and_note_rows",
    "duplicate_rows",
    "encrypted",
    "unbalanced_quote",
}


def reps(kind: str, mutation: str) -> int:
    """Random mutations run twice (different random choices); deterministic ones once; the
    dossier reader (slowest) once."""
    random_ = mutation.startswith("cells_") or mutation in RANDOM_MUTATIONS
    return 2 if random_ and kind != "dossiers" else 1


COUNTS: Counter = Counter()


@pytest.fixture(scope="module")
def ctx():
    return R.Context()


@pytest.fixture(scope="module", autouse=True)
def _figures():
    yield
    if COUNTS:
        R.record_figures(
            fuzz_cases=sum(v for k, v in COUNTS.items() if k.startswith("case:")),
            fuzz_cases_ok=COUNTS["result:ok"],
            fuzz_cases_typed_error=COUNTS["result:error"],
            fuzz_known_bug_cases=COUNTS["result:known_bug"],
            fuzz_readers=len(
                {k.split(":")[1].removesuffix("-hypothesis") for k in COUNTS if k.startswith("case:")}
            ),
            fuzz_mutation_kinds=len(set(R.MUTATIONS) | {m for k in R.SEEDS for m in R.mutations_for(k)}),
            parser_property_examples=COUNTS["parser_examples"],
        )


def _settle(kind: str, failures: list[str]) -> None:
    """Fail on any unexpected failure; xfail when only the reported, known bug remains."""
    known = [f for f in failures if R.known_bug(kind, f)]
    other = [f for f in failures if f not in known]
    COUNTS["result:known_bug"] += len(known)
    if other:
        pytest.fail(
            f"{len(other)} case(s) of «{kind}» broke the contract:\n\n" + "\n\n".join(other[:12]),
            pytrace=False,
        )
    if known:
        pytest.xfail(f"{len(known)} case(s): known bug, reported: {R.KNOWN_BUGS[kind][1]}")


@pytest.mark.parametrize("kind", R.READER_KINDS)
def test_named_mutations(kind, ctx, tmp_path):
    failures: list[str] = []
    outcomes = Counter()
    for mutation in R.mutations_for(kind):
        for rep in range(reps(kind, mutation)):
            rng = random.Random(f"{R.env_seed()}-{kind}-{mutation}-{rep}")
            folder = tmp_path / f"{mutation}-{rep}"
            COUNTS[f"case:{kind}"] += 1
            try:
                path, label = R.make_case(kind, folder, mutation, rng)
                res = R.run_case(kind, path, ctx, f"{label} #{rep}", must_succeed=R.expect_ok(kind, mutation))
            except R.CaseFailure as exc:
                failures.append(str(exc))
                continue
            outcomes[res] += 1
            COUNTS[f"result:{res}"] += 1
    assert outcomes["ok"] >= 1, f"«{kind}»: not a single case was read successfully"
    _settle(kind, failures)


# ---------------------------------------------------------------- property-based: workbooks

CELL_VALUES = st.one_of(
    st.none(),
    st.text(max_size=40),
    st.text(alphabet="0123456789,.-+ e", max_size=25),
    st.integers(min_value=-(10**20), max_value=10**20),
    st.floats(allow_nan=False, allow_infinity=False, width=64),
    st.datetimes(min_value=dt.datetime(1900, 3, 1), max_value=dt.datetime(9999, 12, 31)),
    st.booleans(),
    st.sampled_from(R.HOSTILE + ["Đã trả kết quả", "Có", "Không", "Hoàn thành", "Trực tuyến", "1.2.1", "II"]),
)
WORKBOOK_KINDS = ["dossiers", "feedback", "survey", "index766", "province", "scoresheet", "task_status"]


def _xml_safe(v):
    """openpyxl refuses control characters (Excel cannot store them either)."""
    if isinstance(v, str):
        return re.sub(r"[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]", "", v)
    return v


@pytest.mark.parametrize("kind", WORKBOOK_KINDS)
def test_random_cells(kind, ctx, tmp_path_factory):
    seed = R.SEEDS[kind]
    base_rows = R.seed_rows(seed)
    failures: list[str] = []

    @settings(
        max_examples=8,
        deadline=None,
        derandomize=True,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
    )
    @given(
        edits=st.lists(
            st.tuples(st.integers(0, 10_000), st.integers(0, 40), CELL_VALUES), min_size=1, max_size=25
        )
    )
    def run(edits):
        rows = [list(r) for r in base_rows]
        for i, j, v in edits:
            r = i % len(rows)
            if j < len(rows[r]):
                rows[r][j] = _xml_safe(v)
        folder = tmp_path_factory.mktemp(kind)
        path = R.write_seed(seed, rows, folder)
        COUNTS[f"case:{kind}-hypothesis"] += 1
        try:
            res = R.run_case(kind, path, ctx, f"random cells {edits!r:.300}")
        except R.CaseFailure as exc:
            failures.append(str(exc))
            return
        COUNTS[f"result:{res}"] += 1

    run()
    _settle(kind, failures)


# ---------------------------------------------------------------- property-based: parsers

ANY_CELL = st.one_of(CELL_VALUES, st.floats(), st.just(float("nan")), st.integers())


@settings(max_examples=100, deadline=None)
@given(st.lists(ANY_CELL, max_size=30))
def test_parse_numbers_total_and_bounded(values):
    COUNTS["parser_examples"] += 1
    out, bad = parse_numbers(pd.Series(values, dtype=object))
    assert len(out) == len(values) and out.dtype == "float64"
    finite = out.dropna()
    assert np.isfinite(finite).all() and (finite.abs() < MAX_ABS_NUMBER).all()
    assert out[bad].isna().all()  # a bad cell never produces a number


@settings(max_examples=100, deadline=None)
@given(st.lists(ANY_CELL, max_size=30))
def test_parse_datetimes_total_and_in_range(values):
    COUNTS["parser_examples"] += 1
    out, bad = parse_datetimes(pd.Series(values, dtype=object))
    assert len(out) == len(values)
    years = out.dropna().dt.year
    assert ((years >= 2000) & (years <= 2100)).all()
    assert out[bad].isna().all()


_WORDS = st.text(alphabet=st.characters(categories=["L", "Zs"], exclude_characters="@"), max_size=20)


@st.composite
def phone(draw):
    prefix = draw(st.sampled_from(["0", "+84", "84"]))
    digits = draw(st.text(alphabet="0123456789", min_size=9, max_size=9))
    sep = draw(st.sampled_from(["", " ", ".", "-"]))
    return prefix + sep.join([digits[:2], digits[2:5], digits[5:]]) if sep else prefix + digits


@st.composite
def email(draw):
    local = draw(st.text(alphabet="abcdefghijklmnopqrstuvwxyz0123456789._", min_size=1, max_size=12))
    host = draw(st.text(alphabet="abcdefghijklmnopqrstuvwxyz", min_size=1, max_size=10))
    return f"{local.strip('.') or 'a'}@{host}.{draw(st.sampled_from(['vn', 'com', 'gov.vn']))}"


ID_NUMBER = st.text(alphabet="0123456789", min_size=12, max_size=12) | st.text(
    alphabet="0123456789", min_size=9, max_size=9
)


@settings(max_examples=100, deadline=None)
@given(
    before=_WORDS,
    secret=st.one_of(phone(), email(), ID_NUMBER),
    after=_WORDS,
    form=st.sampled_from(["NFC", "NFD"]),
)
def test_scrub_text_removes_contact_and_id_numbers(before, secret, after, form):
    COUNTS["parser_examples"] += 1
    text = unicodedata.normalize(form, f"{before} {secret} {after}")
    out = scrub_text(text)
    digits = re.sub(r"\D", "", secret)
    assert secret not in out
    if "@" not in secret:
        assert digits not in re.sub(r"\D", "", out)
    assert unicodedata.is_normalized("NFC", out)


@settings(max_examples=100, deadline=None)
@given(st.text(max_size=60))
def test_normalise_text_is_idempotent_nfc(s):
    COUNTS["parser_examples"] += 1
    once = normalise_text(s)
    assert normalise_text(once) == once
    assert unicodedata.is_normalized("NFC", once)
    assert not math.isnan(len(once))


# ---------------------------------------------------------------- specific file cases, by hand


@pytest.mark.parametrize(
    "mutation,expected",
    [
        ("zero_bytes", "0 byte"),
        ("csv_renamed", "không phải là tệp Excel"),
        ("encrypted", "mật khẩu"),
        ("corrupt_zip", "hỏng"),
        ("missing", "không tồn tại"),
        ("sheet_renamed", "không có trang «Chi so 766»; các trang hiện có: Sheet1"),
    ],
)
def test_workbook_errors_name_file_and_cause(mutation, expected, ctx, tmp_path):
    path, _ = R.make_case(
        "index766", tmp_path, {"missing": "missing"}.get(mutation, mutation), random.Random(1)
    )
    with pytest.raises(R.ParlibError) as e:
        R._read("index766", path, ctx)
    msg = str(e.value)
    assert "chi_so_766_2026.xlsx" in msg and expected in msg, msg


def test_windows_1258_csv_is_read_like_utf8(ctx, tmp_path):
    """A crosswalk re-saved by Excel on Windows (Windows-1258) gives the same table."""
    path, _ = R.make_case("crosswalk", tmp_path, "cp1258", random.Random(1))
    ref = R._read("crosswalk", R.RAW / "crosswalk" / "crosswalk_2025_2026.csv", ctx).frame
    got = R._read("crosswalk", path, ctx).frame
    pd.testing.assert_frame_equal(got.drop(columns="note"), ref.drop(columns="note"))
    # Windows-1258 has no '→': those notes lose it; every other note is identical
    same = ~ref["note"].str.contains("→")
    assert same.sum() > 5 and got.loc[same, "note"].tolist() == ref.loc[same, "note"].tolist()


def test_nfd_workbook_gives_nfc_output(ctx, tmp_path):
    """Decomposed Vietnamese (NFD, e.g. from macOS) is stored NFC: same values as the original."""
    seed = R.SEEDS["feedback"]
    rows, _ = R.m_nfd(seed, R.seed_rows(seed), None)
    got = R._read("feedback", R.write_seed(seed, rows, tmp_path), ctx).frame
    ref = R._read("feedback", R.write_seed(seed, R.seed_rows(seed), tmp_path / "ref"), ctx).frame
    assert got["office_name"].tolist() == ref["office_name"].tolist()
    assert all(unicodedata.is_normalized("NFC", s) for s in got["content"].dropna())


def test_huge_numbers_are_bad_cells_not_crashes(ctx, tmp_path):
    """1e308 in a score cell is a bad number (an issue), never an overflow."""
    seed = R.SEEDS["index766"]
    rows = R.seed_rows(seed)
    rows[1][3] = 1e308  # Điểm of the first data row (Excel row 2)
    rows[2][3] = 10**18
    out = R._read("index766", R.write_seed(seed, rows, tmp_path), ctx)
    bad = out.issues.loc[out.issues["rule"] == "index766_bad_points", "row"].tolist()
    assert bad == [2, 3]
    # 54 data rows in the seed, 2 rejected -> 52 used (hand count of the sample file)
    assert len(out.frame) == len(rows) - 1 - 2
