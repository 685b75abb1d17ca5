"""Private data never reaches an output.

* Unit level (fast): personal-data headers are recognised under many spellings; every reader
  drops those columns, also columns added with spellings no sample uses; free text is scrubbed.
* Canary (slow): unique values are planted in every personal-data column of the sample (and in
  extra columns named «SĐT liên hệ», «Họ và tên công dân», «E-mail», «CMND/CCCD số», «Nơi cư
  trú»), and phones, e-mails and ID numbers in every free-text field (PAKN content, survey
  comments, task notes, scoresheet explanations and reasons, crosswalk notes). The annual and
  quarterly reports are run through the CLI, then EVERY file written (Parquet, HTML, Excel,
  JSON, executed notebooks, the parse cache) and the CLI's stdout/stderr are searched for the
  canaries. Phone numbers are searched with their separators removed too.
"""

from __future__ import annotations

import html
import json
import random
import zipfile
from pathlib import Path

import _robustness as R
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from parlib.core.text import is_pii_header, scrub_text

# ---------------------------------------------------------------- unit level


@pytest.mark.parametrize(
    "header",
    [
        "Họ tên",
        "Họ và tên",
        "HỌ VÀ TÊN CÔNG DÂN",
        "Ho ten nguoi nop",
        "Người gửi",
        "Tên người nộp",
        "Số điện thoại",
        "SĐT",
        "SĐT liên hệ",
        "Điện thoại di động",
        "So DT",
        "Số CCCD",
        "CMND/CCCD số",
        "Căn cước công dân",
        "Số định danh cá nhân",
        "Địa chỉ",
        "Địa chỉ liên hệ",
        "Nơi cư trú",
        "Email",
        "E-mail",
        "Thư điện tử",
        "Full name",
        "Phone",
        "Address",
    ],
)
def test_personal_data_headers_recognised(header):
    assert is_pii_header(header)


@pytest.mark.parametrize(
    "header",
    [
        "Số hồ sơ",
        "Đơn vị xử lý",
        "Ngày tiếp nhận",
        "Mã TTHC",
        "Góp ý",
        "Nội dung",
        "Lĩnh vực",
        "Kênh nộp",
        "Trạng thái",
        "Hài lòng chung",
        "Ghi chú",
    ],
)
def test_ordinary_headers_not_taken_for_personal_data(header):
    assert not is_pii_header(header)


def test_scrub_text_examples():
    # hand-written: each secret is replaced by the marker, the rest is untouched
    assert scrub_text(R.CANARY_TEXT) == "Liên hệ [đã ẩn] hoặc [đã ẩn], CCCD [đã ẩn], ĐT [đã ẩn]."
    assert scrub_text("Nghị định 61/2018/NĐ-CP, 15 ngày") == "Nghị định 61/2018/NĐ-CP, 15 ngày"


def _dump(out: R.Outcome) -> str:
    parts = [
        df.astype(str).to_csv() + " ".join(map(str, df.columns))
        for df in (out.frame, out.issues, out.ledger)
        if df is not None
    ]
    return " ".join(parts)


def _leaks(text: str) -> list[str]:
    return R.leaks(text)  # every canary: the personal-data columns' and every format's


@pytest.mark.parametrize("kind", ["dossiers", "feedback", "survey", "task_status", "scoresheet"])
def test_readers_drop_personal_columns_and_scrub_free_text(kind, tmp_path):
    """Every reader, on its seed with canaries in every cell of the personal-data columns and
    of extra columns under unexpected spellings, and in its free-text column."""
    seed = R.SEEDS[kind]
    rows = R.seed_rows(seed)
    h = seed.header
    free = {
        "feedback": "Nội dung",
        "survey": "Góp ý",
        "task_status": "Ghi chú",
        "scoresheet": "Nội dung giải trình",
    }.get(kind)
    width = len(rows[h])
    rows[h] = rows[h] + [name for name, _ in R.EXTRA_PII_COLUMNS]
    for i in range(h + 1, len(rows)):
        rows[i] = rows[i] + [None] * (width - len(rows[i])) + [v for _, v in R.EXTRA_PII_COLUMNS]
        for j, head in enumerate(rows[h][:width]):
            if isinstance(head, str) and is_pii_header(head):
                rows[i][j] = random.Random(i * 31 + j).choice(list(R.CANARIES.values()))
            elif head == free:
                rows[i][j] = f"Ý kiến. {R.CANARY_TEXT}"
    out = R._read(kind, R.write_seed(seed, rows, tmp_path), R.Context())
    assert out.frame is not None and len(out.frame) > 0
    assert _leaks(_dump(out)) == []


# free-text headers of each input kind: they are scrubbed of administrative-unit addresses too
FREE_TEXT = {
    "feedback": ("Nội dung",),
    "survey": ("Góp ý",),
    "task_status": ("Ghi chú",),
    "scoresheet": ("Nội dung giải trình", "Lý do không đạt điểm tối đa"),
    "crosswalk": ("note",),
}


@pytest.mark.parametrize(
    "text,expected",
    [
        # hand-written: every format of issue 16 item 3, alone and inside a name
        ("(+84) 913 770 411", "[đã ẩn]"),
        ("(0262) 3 770 413", "[đã ẩn]"),
        ("0913/770/415", "[đã ẩn]"),
        ("0262.3770413", "[đã ẩn]"),
        ("84913770411", "[đã ẩn]"),
        ("079 301 007 732", "[đã ẩn]"),
        ("079.301.007.733", "[đã ẩn]"),
        ("0793 0100 7734", "[đã ẩn]"),
        ("canary.eta.7741@example.vn", "[đã ẩn]"),
        ("Phòng Quản lý nhà – ĐT (0262) 3 770 413", "Phòng Quản lý nhà – ĐT [đã ẩn]"),
        ("UBND xã Ea Kao, 12/7 đường Lê Lợi", "UBND xã Ea Kao, [đã ẩn] [đã ẩn]"),
        # kept: office and place names, procedure fields, dates, amounts and codes
        ("UBND xã Ea Kao", "UBND xã Ea Kao"),
        ("Phòng Quản lý nhà và thị trường bất động sản", "Phòng Quản lý nhà và thị trường bất động sản"),
        ("Công an phường Tân Lợi", "Công an phường Tân Lợi"),
        ("UBND thành phố Buôn Ma Thuột", "UBND thành phố Buôn Ma Thuột"),
        ("Đường thủy nội địa", "Đường thủy nội địa"),
        ("Phòng Quản lý Đường bộ", "Phòng Quản lý Đường bộ"),
        ("01/02/2026 08:30", "01/02/2026 08:30"),
        ("01.02.2026 10.30", "01.02.2026 10.30"),
        ("150.000.000 đồng", "150.000.000 đồng"),
        ("000.00.12.H12-260115-0001", "000.00.12.H12-260115-0001"),
        ("Quyết định 12/2025/QĐ-UBND", "Quyết định 12/2025/QĐ-UBND"),
    ],
)
def test_scrub_identifiers_formats_and_names(text, expected):
    from parlib.core.text import scrub_identifiers

    assert scrub_identifiers(text) == expected


def test_free_text_also_loses_administrative_addresses():
    from parlib.core.text import scrub_identifiers

    assert scrub_text("Nhà ở thôn 3, xã Ea Kao") == "Nhà ở [đã ẩn], [đã ẩn]"
    assert scrub_identifiers("Nhà ở thôn 3, xã Ea Kao") == "Nhà ở thôn 3, xã Ea Kao"


def _error_text(exc) -> str:
    return str(exc) + " ".join(p.describe() for p in getattr(exc, "problems", []))


@pytest.mark.parametrize("kind", R.READER_KINDS)
def test_every_text_column_of_every_reader_is_scrubbed(kind, tmp_path):
    """Each format planted in every text column (keys and codes included) of every row of the
    seed of each of the 18 readers, and a bad cell in every number/date column: nothing reaches
    the reader's table, issues or ledger, nor its error message when it refuses the file."""
    from parlib.core.errors import ParlibError

    seed = R.SEEDS[kind]
    rows = R.seed_rows(seed)
    counts = R.plant_columns(rows, R.header_index(seed, rows), free_text=FREE_TEXT.get(kind, ()))
    assert counts["text_columns"] > 0, f"{kind}: no text column found to plant in"
    path = R.write_seed(seed, rows, tmp_path)
    try:
        out = R._read(kind, path, R.Context())
    except ParlibError as exc:
        text = _error_text(exc)
        outcome = "error"
    else:
        text = _dump(out)
        outcome = "ok"
    R.record_figures(**{f"canary_columns_{kind}": {**counts, "outcome": outcome}})
    assert R.leaks(text) == [], f"{kind} ({outcome}): {R.leaks(text)}"


@pytest.mark.parametrize("kind", sorted(R.PLANT_EVERY_COLUMN))
def test_reader_keeps_working_with_canaries_in_its_text_columns(kind, tmp_path):
    """The end-to-end planting (keys left alone, three rows per column, a bad cell in each number
    column of the data exports) on the seed: the reader returns a result, and nothing leaks."""
    seed = R.SEEDS[kind]
    free, keys = R.PLANT_EVERY_COLUMN[kind]
    rows = R.seed_rows(seed)
    counts = R.plant_columns(
        rows, R.header_index(seed, rows), free_text=free, skip=keys, body_rows=3, numbers=not seed.is_csv
    )
    out = R._read(kind, R.write_seed(seed, rows, tmp_path), R.Context())
    assert counts["text_columns"] > 0 and out.frame is not None and len(out.frame) > 0
    assert R.leaks(_dump(out)) == []


# ---------------------------------------------------------------- canary, end to end


def _texts(p: Path):
    """Every piece of text a file holds, decoded the way a reader of that file would see it."""
    if p.suffix == ".parquet":
        df = pd.read_parquet(p)
        yield df.astype(str).to_csv()
        yield " ".join(map(str, df.columns))
    elif p.suffix in (".xlsx", ".docx"):
        with zipfile.ZipFile(p) as z:
            for n in z.namelist():
                yield html.unescape(z.read(n).decode("utf-8", "replace"))
    elif p.suffix in (".json", ".ipynb"):
        yield p.read_text(encoding="utf-8")

        def walk(o):
            if isinstance(o, str):
                yield html.unescape(o)
            elif isinstance(o, dict):
                for k, v in o.items():
                    yield str(k)
                    yield from walk(v)
            elif isinstance(o, list):
                for v in o:
                    yield from walk(v)

        yield from walk(json.loads(p.read_text(encoding="utf-8")))
    else:
        yield html.unescape(p.read_bytes().decode("utf-8", "replace"))


@pytest.fixture(scope="module")
def planted(tmp_path_factory):
    return R.planted_reports(tmp_path_factory)


@pytest.mark.slow
def test_reports_ran_on_planted_data(planted):
    for name, run in planted["runs"].items():
        assert run.returncode == 0, f"{name}: {run.stderr[-3000:]}"


@pytest.mark.slow
def test_no_canary_in_any_output_file_or_log(planted):
    out, data = planted["out"], planted["data"]
    files = [p for root in (out, data / "processed") for p in sorted(root.rglob("*")) if p.is_file()]
    kinds = sorted({p.suffix for p in files})
    assert {".html", ".xlsx", ".parquet", ".json", ".ipynb", ".docx"} <= set(kinds), kinds
    found = []
    for p in files:
        for text in _texts(p):
            for n in _leaks(text):
                found.append(f"{p.relative_to(out.parent)}: «{n}»")
    for name, run in planted["runs"].items():
        for stream, text in (("stdout", run.stdout), ("stderr", run.stderr)):
            found += [f"{name} {stream}: «{n}»" for n in _leaks(text)]
    columns = planted["where"]["columns"]
    R.record_figures(
        canary_values=len(R.CANARY_NEEDLES) + len(R.ALL_NEEDLES),
        canary_formats=[text for text, _ in R.ID_CANARIES + R.FREE_TEXT_CANARIES] + [R.CELL_CANARY[0]],
        canary_every_column_files=len(columns),
        canary_every_column_text_columns=sum(c["text_columns"] for c in columns.values()),
        canary_every_column_number_columns=sum(c["number_columns"] for c in columns.values()),
        canary_every_column_cells=sum(c["cells"] for c in columns.values()),
        canary_output_files_scanned=len(files),
        canary_output_kinds=kinds,
        canary_reports=sorted(planted["runs"]),
        canary_planted_in=planted["where"]["pii"] + planted["where"]["free_text"],
    )
    assert found == [], "personal data reached an output:\n" + "\n".join(sorted(set(found)))


@pytest.mark.slow
def test_quarterly_report_covered(planted):
    from parlib.core.paths import NOTEBOOKS_DIR

    if not (NOTEBOOKS_DIR / "quarterly.ipynb").exists():
        pytest.skip("notebooks/quarterly.ipynb does not exist yet: the quarterly canary scan cannot run")
    assert "quarterly" in planted["runs"]
    assert (planted["out"] / "2026-Q3" / "quarterly_2026_Q3.html").exists()


# the whole-column test of scrub_frame (RE2 over Arrow strings) must find every text the
# scrubber changes: checked against scrubbing value by value on generated texts made of digits,
# separators, letters, «@» and the words the scrubber looks for
_PIECES = [
    "0",
    "84",
    "+84",
    "9",
    "12",
    "079",
    " ",
    ".",
    "-",
    "/",
    "(",
    ")",
    "@",
    "a",
    "H",
    "Lê",
    "x.y",
    "đường ",
    "phố ",
    "ngõ ",
    "số nhà ",
    "thành phố ",
    "CCCD ",
    "xã ",
    ", ",
    "01/02/2026",
]


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.lists(st.sampled_from(_PIECES), max_size=14).map("".join), min_size=1, max_size=8))
def test_scrub_frame_equals_scrubbing_each_value(texts):
    from parlib.core.text import REDACTED, scrub_frame, scrub_identifiers

    texts = texts + list(texts)  # repeated values take the dictionary path
    expected = [r if (r := scrub_identifiers(t)).count(REDACTED) > t.count(REDACTED) else t for t in texts]
    for dtype in ("str", object):
        got = scrub_frame(pd.DataFrame({"t": pd.Series(texts, dtype=dtype)}))["t"].tolist()
        assert got == expected
