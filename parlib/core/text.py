"""Text normalisation, accent folding and the personal-data scrubber."""

from __future__ import annotations

import re
import unicodedata

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

# ---------------------------------------------------------------- text


# bidirectional overrides/isolates/marks and C0/C1 control characters (tab, newline and carriage
# return become spaces through the whitespace rule): they can reorder or hide displayed text
_CONTROLS = re.compile(
    "[\u202a-\u202e\u2066-\u2069\u200e\u200f\u061c\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f-\u009f]"
)


def strip_controls(s: str) -> str:
    """``s`` without bidirectional and other control characters (tabs and newlines kept)."""
    return _CONTROLS.sub("", s)


def normalise_text(x) -> str | None:
    """NFC, control and bidirectional characters removed, non-breaking spaces to spaces,
    whitespace collapsed, stripped; None stays None."""
    if x is None or (isinstance(x, float) and np.isnan(x)):
        return None
    s = strip_controls(unicodedata.normalize("NFC", str(x))).replace("\u00a0", " ")
    s = re.sub(r"\s+", " ", s).strip()
    return s


def fold(s: str) -> str:
    """Accent-folded, case-folded key for *matching* header spellings only.

    ``fold('Số điện thoại') == 'so dien thoai'``; đ/Đ become d (unlike naive stripping,
    which drops them).
    """
    s = normalise_text(s) or ""
    s = s.replace("đ", "d").replace("Đ", "D")
    s = unicodedata.normalize("NFD", s)
    s = "".join(ch for ch in s if unicodedata.category(ch) != "Mn")
    return re.sub(r"\s+", " ", s.casefold()).strip()


# ---------------------------------------------------------------- personal data

_PII_HEADER_KEYS = [
    "ho ten",
    "ho va ten",
    "ten nguoi nop",
    "nguoi nop",
    "nguoi gui",
    "ten nguoi gui",
    "ten cong dan",
    "so dien thoai",
    "dien thoai",
    "sdt",
    "dt lien he",
    "so dt",
    "cccd",
    "cmnd",
    "can cuoc",
    "so dinh danh",
    "ma dinh danh",
    "ho chieu",
    "dia chi",
    "noi cu tru",
    "email",
    "e-mail",
    "thu dien tu",
    "full name",
    "phone",
    "address",
    "id number",
]


def is_pii_header(header: str) -> bool:
    """True when a header names personal data, whatever its spelling or accents
    (e.g. 'Họ tên người nộp', 'SĐT', 'So CCCD', 'Địa chỉ liên hệ', 'E-mail')."""
    h = fold(header)
    return any(re.search(rf"(^|[^a-z]){re.escape(k)}([^a-z]|$)", h) for k in _PII_HEADER_KEYS)


def pii_columns(headers: list[str]) -> list[int]:
    """0-based positions of the headers that hold personal data."""
    return [j for j, h in enumerate(headers) if h and is_pii_header(h)]


_EMAIL_RE = re.compile(r"[\w.+-]+\s?@\s?[\w-]+(\.[\w-]+)+", re.UNICODE)
# a date written with separators ("01/02/2026", "01.02.2026 10.30"): never a phone or an ID (nor
# is a number glued to the end of one, hence the look-behind on a digit and a separator below)
_NOT_DATE = r"(?!\d{1,2}[/.\-]\d{1,2}[/.\-]\d{2,4}(?!\d))"
# Vietnamese phones: +84 / 84 / 0, then 8–10 more digits with spaces, dots, dashes, slashes or
# parentheses between them — mobiles "(+84) 913 770 411", "0913/770/415", landlines with an
# area code "(0262) 3 770 413", "0262.3770413"
_PHONE_RE = re.compile(
    rf"(?<![\d\w])(?<!\d[./\-]){_NOT_DATE}\(?\s*(?:\+\s?84|84|0)(?:[\s.\-/()]{{0,3}}\d){{8,10}}(?![\d])"
)
# ID numbers (CMND 9 digits, CCCD 12 digits), also written in groups of three "001 234 567 890";
# a CCCD begins with its province code (001–096), so 12 digits starting with 0 are an ID whatever
# single separators split them ("079.301.007.731", "0793 0100 7731"); other dotted groups only
# after an ID word ("150.000.000 đồng" is an amount, "CMND 123.456.789" an ID)
_ID12_RE = re.compile(
    rf"(?<![\d\w])(?<!\d[./\-]){_NOT_DATE}(?:\d{{12}}|\d{{3}}(?: \d{{3}}){{3}}|0(?:[ .\-]?\d){{11}})(?![\d])"
)
_ID9_RE = re.compile(r"(?<!\d)(?:\d{9}|\d{3}(?: \d{3}){2})(?![\d])")
_ID_DOTTED_RE = re.compile(
    r"(?i)((?:cccd|cmnd|căn cước|chứng minh|định danh|hộ chiếu)[^\d]{0,15})\d{3}(?:\.\d{3}){2,3}(?![\d])"
)
# where an address starts: a house number or an administrative / street word followed by a name
_ADDRESS_KEYS = re.compile(
    r"(?i)(?<![\w])(số nhà|nhà số|địa chỉ|đường|phố|ngõ|ngách|hẻm|kiệt|tổ dân phố|tdp|thôn|buôn|bon|"
    r"xóm|ấp|khối|khu phố|tổ|xã|phường|thị trấn|quận|huyện|thành phố|tp\.)(?![\w])"
)
# street words only (no administrative unit: «UBND xã Ea Kao», «Công an phường Tân Lợi» and
# «thành phố Pleiku» are names of offices and places, not a person's address)
_STREET_KEYS = re.compile(
    r"(?i)(?<![\w])(?<!thành )(?<!khu )(?<!dân )(số nhà|nhà số|đường|phố|ngõ|ngách|hẻm|kiệt)(?![\w])"
)
# a house number with a slash (12/3, 25/4B) followed by a street word or a name — never a date
_HOUSE_NO = re.compile(
    r"(?<![\w/.])\d{1,4}[a-zA-Z]?(?:/\d{1,4}[a-zA-Z]?)+(?![\w/])"
    r"(?=\s+(?:đường|phố|ngõ|hẻm|kiệt|[A-ZĐÂĂÊÔƠƯÁÀẢÃẠÉÈẺẼẸÍÌỈĨỊÓÒỎÕỌÚÙỦŨỤÝ]))"
)
REDACTED = "[đã ẩn]"


def _name_tokens(s: str, start: int) -> int:
    """End of the run of name tokens (numbers or words starting with a capital) from ``start``."""
    end = start
    for m in re.finditer(r"[ \t]*:?[ \t]*([^\s,;:()]+)", s[start:]):
        if m.start() != end - start:
            break
        token = m.group(1)
        if not (token[0].isdigit() or token[0].isupper()):
            break
        end = start + m.end()
    return end


def _scrub_addresses(s: str, keys: re.Pattern = _ADDRESS_KEYS) -> str:
    starts = sorted(
        [(m.start(), m.end(), True) for m in _HOUSE_NO.finditer(s)]
        + [(m.start(), m.end(), False) for m in keys.finditer(s)]
    )
    out, pos = [], 0
    for start, key_end, is_house_no in starts:
        if start < pos:
            continue
        end = _name_tokens(s, key_end)
        if end > key_end or is_house_no:  # a keyword followed by a name or number, or a house number
            out.append(s[pos:start] + REDACTED)
            pos = end
    out.append(s[pos:])
    return "".join(out)


def _scrub_numbers(s: str) -> str:
    s = _EMAIL_RE.sub(REDACTED, s)
    s = _ID_DOTTED_RE.sub(lambda m: m.group(1) + REDACTED, s)
    s = _ID12_RE.sub(REDACTED, s)  # before phones: "001 234 567 890" is one ID, not a phone and "890"
    s = _PHONE_RE.sub(REDACTED, s)  # before 9-digit IDs: "(+84) 913 770 411" is one phone
    return _ID9_RE.sub(REDACTED, s)


def scrub_identifiers(text):
    """The scrubber of every text column (codes, names, categories, titles): e-mail addresses,
    phone numbers, ID numbers and *street* addresses (a house number with a slash, or số nhà /
    đường / phố / ngõ / ngách / hẻm / kiệt followed by a name or a number) are replaced;
    administrative units are kept, since office and place names are made of them.

    ``scrub_identifiers('UBND xã Ea Kao – ĐT (0262) 3 770 413') == 'UBND xã Ea Kao – ĐT [đã ẩn]'``;
    ``scrub_identifiers('Phòng Quản lý nhà, 12/7 đường Lê Lợi') == 'Phòng Quản lý nhà, [đã ẩn] [đã ẩn]'``.
    None stays None; text is NFC-normalised and control characters are removed.
    """
    if text is None or (isinstance(text, float) and np.isnan(text)):
        return None
    s = strip_controls(unicodedata.normalize("NFC", str(text)))
    return _scrub_addresses(_scrub_numbers(s), _STREET_KEYS)


def scrub_text(text):
    """The scrubber of free text (comments, PAKN content, notes, explanations): everything
    :func:`scrub_identifiers` replaces, and addresses given by administrative units too.

    ``scrub_text('Gọi 0912 345 678 hoặc a.b@x.vn') == 'Gọi [đã ẩn] hoặc [đã ẩn]'``;
    ``scrub_text('Nhà ở 12/3 đường Lê Lợi, phường Tân Lợi') == 'Nhà ở [đã ẩn] [đã ẩn], [đã ẩn]'``.
    An address part is an administrative or street word (đường, ngõ, hẻm, thôn, buôn, tổ dân
    phố, xã, phường …) followed by a name or a number, or a house number with a slash. None
    stays None; text is NFC-normalised.
    """
    if text is None or (isinstance(text, float) and np.isnan(text)):
        return None
    s = strip_controls(unicodedata.normalize("NFC", str(text)))
    return _scrub_addresses(_scrub_numbers(s))


# Which texts scrub_identifiers could change: one pattern that every text it changes matches (the
# scrubber's patterns with their look-arounds made plain: RE2, which the Arrow strings use, has
# none), searched over a whole column at once. Codes such as «000.00.17.H11-250217-0007» do not
# match it, so a million dossier numbers cost one vectorised search.
_START = r"(?:^|^[./\-]|[^\w./\-]|[^\d][./\-])"  # where a phone or a CCCD may start
_MAYBE = "|".join(
    [
        "@",
        "(?i:cccd|cmnd|căn cước|chứng minh|định danh|hộ chiếu)",
        _START + r"\(?\s*(?:\+\s?84|84|0)(?:[\s.\-/()]{0,3}\d){8,10}(?:$|\D)",
        _START + r"(?:\d{12}|\d{3}(?: \d{3}){3}|0(?:[ .\-]?\d){11})(?:$|\D)",
        r"(?:^|\D)(?:\d{9}|\d{3}(?: \d{3}){2})(?:$|\D)",
        r"\d{1,4}[a-zA-Z]?(?:/\d{1,4}[a-zA-Z]?)+\s+(?:đường|phố|ngõ|hẻm|kiệt|[A-ZĐÂĂÊÔƠƯÁÀẢÃẠÉÈẺẼẸÍÌỈĨỊÓÒỎÕỌÚÙỦŨỤÝ])",
        "(?i:số nhà|nhà số|đường|phố|ngõ|ngách|hẻm|kiệt)",
    ]
)


def _candidate_rows(col: pd.Series) -> pd.Series | None:
    """True for the text values of ``col`` the identifier scrubber could change; None when none."""
    if col.dtype == object:
        arr = pa.array([v if isinstance(v, str) else None for v in col], type=pa.large_string())
    else:
        arr = pa.array(col, type=pa.large_string(), from_pandas=True)
    if isinstance(arr, pa.ChunkedArray):
        arr = arr.combine_chunks()
    head = arr.slice(0, 1000)
    if len(pc.unique(head)) * 2 < len(head):  # repeated values (names, categories): search each once
        enc = pc.dictionary_encode(arr)
        found = pc.take(pc.match_substring_regex(enc.dictionary, _MAYBE), enc.indices)
    else:
        found = pc.match_substring_regex(arr, _MAYBE)  # RE2 over the column, no Python per value
    found = pc.fill_null(found, False)
    if not pc.any(found).as_py():
        return None
    return pd.Series(found.to_numpy(zero_copy_only=False), index=col.index, dtype=bool)


SOURCE_COLUMNS = ("source", "source_file", "sheet", "status_source")


def scrub_frame(df: pd.DataFrame, free_text=(), skip=SOURCE_COLUMNS) -> pd.DataFrame:
    """``df`` with every text value scrubbed: columns in ``free_text`` with :func:`scrub_text`,
    every other text column with :func:`scrub_identifiers`; ``skip`` columns untouched (by default
    the input file and sheet names). A value is replaced only when something was redacted in it.
    Non-text values (numbers, dates, missing) are kept. Each distinct value is scrubbed once, and
    only when its shape (digits made 0) holds one of the scrubber's patterns: codes and
    categories, the common case, cost one vectorised replacement per column.
    Returns a new frame (``df`` is not modified)."""
    out = df.copy(deep=False)
    for c in df.columns:
        col = df[c]
        if c in skip or not (col.dtype == object or isinstance(col.dtype, pd.StringDtype)):
            continue
        full = c in free_text
        rows = col.notna() if full else _candidate_rows(col)
        if rows is None or not rows.any():
            continue
        fn = scrub_text if full else scrub_identifiers
        values = [v for v in pd.unique(col[rows]) if isinstance(v, str)]
        mapping = {v: r for v in values if (r := fn(v)).count(REDACTED) > v.count(REDACTED)}
        if mapping:
            new = col.copy()
            new[rows] = col[rows].map(lambda v: mapping.get(v, v))
            out[c] = new
    return out


_PROCEDURE_CODE = re.compile(r"^\s*\d+(?:\.\d+)+\s+(?=\S)")


def without_procedure_codes(text: str) -> str:
    """«1.009972 Cấp giấy phép A; 1.003758 Cấp chứng chỉ B» → «Cấp giấy phép A; Cấp chứng chỉ B»: the
    names a leader reads (a part that is only a code stays)."""
    return "; ".join(_PROCEDURE_CODE.sub("", p).strip() for p in str(text).split(";") if p.strip())


def upper_first(text: str) -> str:
    """The text with its first letter upper-case (a Vietnamese word heading a sentence or a column)."""
    return text[:1].upper() + text[1:] if text else text


def fill_text(s: pd.Series, value: str) -> pd.Series:
    """``s.fillna(value)`` for a text column, categorical or not (the dossier reader hands its
    few-valued texts on as categoricals, whose fillna refuses a value that is not a category):
    ``value`` joins the categories in code-point order, so that a sort still gives what the
    texts give."""
    if isinstance(s.dtype, pd.CategoricalDtype) and s.isna().any() and value not in s.cat.categories:
        s = s.cat.set_categories(sorted([*s.cat.categories, value]))
    return s.fillna(value)
