"""Text normalisation, accent folding and the personal-data scrubber."""

from __future__ import annotations

import re
import unicodedata

import numpy as np

# ---------------------------------------------------------------- text


def normalise_text(x) -> str | None:
    """NFC, non-breaking spaces to spaces, whitespace collapsed, stripped; None stays None."""
    if x is None or (isinstance(x, float) and np.isnan(x)):
        return None
    s = unicodedata.normalize("NFC", str(x)).replace("\u00a0", " ")
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


_EMAIL_RE = re.compile(r"[\w.+-]+@[\w-]+(\.[\w-]+)+", re.UNICODE)
_PHONE_RE = re.compile(r"(?<!\d)(?:\+?84|0)(?:[\s.\-]?\d){8,10}(?!\d)")
_ID_RE = re.compile(r"(?<!\d)(?:\d{12}|\d{9})(?!\d)")
REDACTED = "[đã ẩn]"


def scrub_text(text):
    """Replace e-mail addresses, phone numbers and 9/12-digit ID numbers in free text.

    ``scrub_text('Gọi 0912 345 678 hoặc a.b@x.vn') == 'Gọi [đã ẩn] hoặc [đã ẩn]'``.
    None stays None; text is NFC-normalised.
    """
    if text is None or (isinstance(text, float) and np.isnan(text)):
        return None
    s = unicodedata.normalize("NFC", str(text))
    s = _EMAIL_RE.sub(REDACTED, s)
    s = _PHONE_RE.sub(REDACTED, s)
    s = _ID_RE.sub(REDACTED, s)
    return s
