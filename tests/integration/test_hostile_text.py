"""Hostile text from inputs is shown as text: never run in a browser, never a formula in Excel.

* Unit level (fast, property-based): every display helper escapes arbitrary text (the parsed
  HTML holds only the helper's own elements and the text comes back unchanged); every text
  cell beginning with = + - @ (or tab/CR) is neutralised for Excel and CSV.
* End to end (slow): payloads (<script>, <img onerror>, javascript: links, Markdown links,
  <svg onload>, a table-breaking </td></tr></table><h1>, <iframe srcdoc>, attribute breakers)
  and formulas (=HYPERLINK, +…, -…, @…) are planted in the sample (office names, PAKN content,
  survey comments, task notes, 766 group names, criteria names, reasons, number cells), the
  annual and quarterly reports are rendered through the CLI and loaded in headless Chromium:
  the page title is unchanged, no element or attribute carries a payload marker, no script,
  frame or heading came from the data, and the payloads that appear are text. The Excel
  workbooks hold no formula and no text cell starting with a formula character.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from html.parser import HTMLParser

import _robustness as R
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from parlib.core.text import strip_controls
from parlib.core.xlsx import neutralise_formula, safe_frame, write_excel_tables
from parlib.report import display

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
HOSTILE_TEXT = st.one_of(
    st.text(max_size=80),
    st.sampled_from(R.PAYLOADS + R.FORMULAS),
    st.builds(lambda a, b: a + b, st.sampled_from(R.PAYLOADS), st.text(max_size=20)),
)


class Dom(HTMLParser):
    """Elements (tag, attrs), text chunks with their enclosing element, and the title."""

    VOID = {
        "area",
        "base",
        "br",
        "col",
        "embed",
        "hr",
        "img",
        "input",
        "link",
        "meta",
        "source",
        "track",
        "wbr",
    }

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.elements: list[tuple[str, dict]] = []
        self.texts: list[tuple[str, str]] = []
        self.stack: list[str] = []
        self.title = ""

    def handle_starttag(self, tag, attrs):
        self.elements.append((tag, dict(attrs)))
        if tag not in self.VOID:
            self.stack.append(tag)

    def handle_endtag(self, tag):
        if tag in self.stack:
            while self.stack and self.stack.pop() != tag:
                pass

    def handle_data(self, data):
        parent = self.stack[-1] if self.stack else ""
        self.texts.append((parent, data))
        if parent == "title":
            self.title += data


def parse(html_text: str) -> Dom:
    d = Dom()
    d.feed(html_text)
    d.close()
    return d


# ---------------------------------------------------------------- unit level: HTML


@settings(max_examples=120, deadline=None)
@given(HOSTILE_TEXT, HOSTILE_TEXT)
def test_table_escapes_every_cell_and_header(cell, header):
    out = display.table(pd.DataFrame({header: [cell, "x"]}), caption=cell)
    d = parse(out)
    assert {t for t, _ in d.elements} <= {"table", "caption", "thead", "tbody", "tr", "th", "td"}
    assert all(a in ({}, {"class": "num"}) for _, a in d.elements)
    tds = "".join(t for p, t in d.texts if p == "td")
    # shown as text, less the control and bidirectional characters (removed from displayed text)
    assert strip_controls(cell) in tds or display.MISSING in tds


@settings(max_examples=80, deadline=None)
@given(st.lists(HOSTILE_TEXT, min_size=1, max_size=4))
def test_paragraph_bullets_card_banner_escape(texts):
    for out, allowed in (
        (display.paragraph(texts[0]), {"p"}),
        (display.bullets(texts), {"ul", "li"}),
        (display.banner(texts[0]), {"div", "strong"}),
        (display.card(texts[0], texts[-1], texts[0]), {"div"}),
    ):
        d = parse(out)
        assert {t for t, _ in d.elements} <= allowed, out
        assert all(set(a) <= {"class"} for _, a in d.elements), out
    assert "".join(t for _, t in parse(display.bullets(texts)).texts) == "".join(
        strip_controls(x) for x in texts
    )


# ---------------------------------------------------------------- unit level: Excel and CSV


@settings(max_examples=150, deadline=None)
@given(st.one_of(st.text(max_size=30), st.sampled_from(R.FORMULAS), st.integers(), st.floats(), st.none()))
def test_neutralise_formula(value):
    out = neutralise_formula(value)
    if isinstance(value, str) and value.startswith(FORMULA_START):
        assert out == "'" + value
    else:
        assert out is value or out == value or (isinstance(value, float) and pd.isna(value))


@settings(max_examples=40, deadline=None)
@given(
    st.lists(
        st.one_of(st.sampled_from(R.FORMULAS + R.PAYLOADS), st.text(max_size=15)), min_size=1, max_size=6
    )
)
def test_safe_frame_csv_cells_never_start_a_formula(values):
    df = pd.DataFrame({"=Cột": values, "số": range(len(values))})
    csv_text = safe_frame(df).to_csv(index=False)
    import csv
    import io

    for row in csv.reader(io.StringIO(csv_text, newline="")):
        for cell in row:
            assert not cell.startswith(FORMULA_START), cell
    assert df["=Cột"].tolist() == values  # the input frame is not modified


def test_excel_export_holds_no_formula(tmp_path):
    from openpyxl import load_workbook

    df = pd.DataFrame({"Ý kiến": R.FORMULAS + ["-1,5", "bình thường"], "n": range(len(R.FORMULAS) + 2)})
    p = write_excel_tables({"Bảng": df}, tmp_path / "x.xlsx", notes=["=cmd|' /C calc'!A0"])
    wb = load_workbook(p)
    for ws in wb.worksheets:
        for row in ws.iter_rows():
            for c in row:
                assert c.data_type != "f", (ws.title, c.coordinate, c.value)
                assert not (isinstance(c.value, str) and c.value.startswith(FORMULA_START)), c.value
    got = [c.value for c in wb["Bảng"]["A"][1:]]
    # a Vietnamese number written as text is a number in Excel (issue 15), not a neutralised text
    assert got == ["'" + v for v in R.FORMULAS] + [-1.5, "bình thường"]


# ---------------------------------------------------------------- end to end


@pytest.fixture(scope="module")
def planted(tmp_path_factory):
    return R.planted_reports(tmp_path_factory)


REPORTS = {
    "annual": ("2026", "annual_2026", "Phân tích Chỉ số CCHC (PAR INDEX) năm 2026"),
    "quarterly": ("2026-Q3", "quarterly_2026_Q3", "Theo dõi CCHC và SIPAS Quý III/2026"),
}
DANGEROUS_TAGS = {"script", "iframe", "frame", "object", "embed", "svg", "math", "form", "h1", "base", "meta"}


def _chromium() -> str | None:
    for name in ("/usr/bin/chromium", "chromium", "chromium-browser", "google-chrome"):
        p = shutil.which(name)
        if p:
            return p
    return None


def _report(planted, name):
    if name == "quarterly":
        from parlib.core.paths import NOTEBOOKS_DIR

        if not (NOTEBOOKS_DIR / "quarterly.ipynb").exists():
            pytest.skip(
                "notebooks/quarterly.ipynb does not exist yet: the quarterly hostile-text check cannot run"
            )
    run = planted["runs"][name]
    assert run.returncode == 0, run.stderr[-3000:]
    period, stem, title = REPORTS[name]
    return planted["out"] / period, stem, title


def _check_dom(d: Dom, title: str, where: str) -> list[str]:
    """Problems of a parsed page: executed or injected payloads. Returns the markers shown as text."""
    assert d.title.strip() == title, f"{where}: page title changed to {d.title!r} (a script ran)"
    for tag, attrs in d.elements:
        for k, v in attrs.items():
            assert "PWNED" not in (v or "") and "PWNED" not in k, (
                f"{where}: injected attribute {tag} {k}={v!r}"
            )
            assert not (k == "href" and (v or "").strip().lower().startswith("javascript:")), (
                f"{where}: javascript: link <{tag} href={v!r}>"
            )
            assert not k.startswith("on") or "PWNED" not in (v or ""), f"{where}: event handler {k}={v!r}"
        assert not (tag == "body" and "data-x" in attrs), f"{where}: an onerror handler ran"
    shown = []
    for parent, text in d.texts:
        if "PWNED" in text:
            assert parent not in DANGEROUS_TAGS and parent not in ("a", "title", "style"), (
                f"{where}: payload inside an injected <{parent}>: {text[:120]!r}"
            )
            shown += re.findall(r"PWNED-[A-Z]\d", text)
    return sorted(set(shown))


@pytest.mark.slow
@pytest.mark.parametrize("name", list(REPORTS))
def test_payloads_are_text_in_the_html_file(planted, name):
    folder, stem, title = _report(planted, name)
    text = (folder / f"{stem}.html").read_text(encoding="utf-8")
    shown = _check_dom(parse(text), title, f"{stem}.html")
    # no markup payload survived unescaped anywhere in the file
    for pay in R.PAYLOADS:
        if "<" in pay:
            assert pay not in text, f"{stem}.html holds the raw payload {pay!r}"
    assert shown, f"{stem}.html shows none of the planted payloads: the escaping path was not exercised"
    R.record_figures(**{f"hostile_{name}_markers_shown_as_text": shown})


@pytest.mark.slow
@pytest.mark.browser
@pytest.mark.parametrize("name", list(REPORTS))
def test_payloads_do_not_run_in_headless_chromium(planted, name, tmp_path):
    exe = _chromium()
    if exe is None:
        if os.environ.get("PARLIB_REQUIRE_BROWSER") == "1":
            pytest.fail("chromium is required (PARLIB_REQUIRE_BROWSER=1) but was not found")
        pytest.skip("chromium not installed locally")
    folder, stem, title = _report(planted, name)
    flags = [
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        f"--user-data-dir={tmp_path / 'profile'}",
        "--virtual-time-budget=3000",
    ]
    dom = subprocess.run(
        [exe, *flags, "--dump-dom", (folder / f"{stem}.html").as_uri()],
        check=True,
        capture_output=True,
        timeout=180,
        text=True,
    ).stdout
    assert "</html>" in dom and len(dom) > 10_000
    shown = _check_dom(parse(dom), title, f"{stem}.html in Chromium")
    assert shown, "none of the planted payloads is visible as text in the rendered page"
    R.record_figures(
        **{f"hostile_{name}_payloads_planted": len(R.PAYLOADS), f"hostile_{name}_browser_checked": True}
    )


@pytest.mark.slow
@pytest.mark.parametrize("name", list(REPORTS))
def test_excel_workbook_holds_no_formula(planted, name):
    from openpyxl import load_workbook

    folder, stem, _ = _report(planted, name)
    wb = load_workbook(folder / f"{stem}.xlsx")
    neutralised, cells = 0, 0
    for ws in wb.worksheets:
        for row in ws.iter_rows():
            for c in row:
                cells += 1
                assert c.data_type != "f", f"{stem}.xlsx {ws.title}!{c.coordinate}: formula {c.value!r}"
                if isinstance(c.value, str):
                    assert not c.value.startswith(FORMULA_START), f"{ws.title}!{c.coordinate}: {c.value!r}"
                    neutralised += c.value.startswith("'") and "PWNED-X" in c.value
    R.record_figures(
        **{
            f"hostile_{name}_xlsx_cells_checked": cells,
            f"hostile_{name}_xlsx_formulas_neutralised": neutralised,
            "hostile_formulas_planted": len(R.FORMULAS),
        }
    )
    assert neutralised >= 1, (
        f"{stem}.xlsx shows none of the planted formulas: the export path was not exercised"
    )


@pytest.mark.parametrize(
    "body",
    [
        "<td><img src=x onerror=\"alert('PWNED-I1')\"></td>",
        "<td><script>document.title='PWNED-S1'</script></td>",
        '<td><a href="javascript:alert(1)">bấm</a></td>',
        '<h1 id="x">PWNED-H1</h1>',
    ],
)
def test_dom_check_detects_an_injected_payload(body):
    """The end-to-end check itself: a page where the payload became markup is caught."""
    page = f"<html><head><title>T</title></head><body><table><tr>{body}</tr></table></body></html>"
    with pytest.raises(AssertionError):
        _check_dom(parse(page), "T", "page")
