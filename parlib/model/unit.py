"""The unit being scored (đơn vị): a department, a district or a commune, or a province.

Nothing in the code names a unit or a province: they come from ``raw/config/unit.csv`` (read by
``parlib.ingest.unit.load_unit``) or from the ``--unit`` parameter. The words the reports use
about the unit ("Sở xếp thứ 8/14 sở, ban, ngành") follow its level.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from parlib.core.text import fold

# level key -> (Vietnamese label, peer group used in "xếp thứ … <peers>", default short name)
LEVELS: dict[str, tuple[str, str, str]] = {
    "sở": ("cấp sở", "sở, ban, ngành", "Sở"),
    "huyện": ("cấp huyện", "huyện, thị xã, thành phố", "Huyện"),
    "xã": ("cấp xã", "xã, phường, đặc khu", "Xã"),
    "tỉnh": ("cấp tỉnh", "tỉnh, thành phố", "Tỉnh"),
}
# accepted spellings of each level (folded), e.g. "cap so", "so, ban, nganh", "department"
_LEVEL_WORDS = {
    "sở": ("so", "cap so", "so, ban, nganh", "so ban nganh", "ban", "nganh", "department"),
    "huyện": ("huyen", "cap huyen", "district"),
    "xã": ("xa", "cap xa", "phuong", "xa, phuong", "commune", "ward"),
    "tỉnh": ("tinh", "cap tinh", "province"),
}
# first words of a unit name -> level, for a name given alone (``--unit``)
_NAME_PREFIXES = (
    (("ubnd tinh", "uy ban nhan dan tinh"), "tỉnh"),
    (("ubnd huyen", "uy ban nhan dan huyen", "ubnd thi xa", "ubnd thanh pho", "huyen ", "thi xa "), "huyện"),
    (("ubnd xa", "ubnd phuong", "uy ban nhan dan xa", "uy ban nhan dan phuong", "xa ", "phuong "), "xã"),
    (("so ", "ban ", "van phong ", "thanh tra "), "sở"),
)


def parse_level(text: str | None) -> str | None:
    """The level key ("sở", "huyện", "xã", "tỉnh") of a spelling, or None when not recognised."""
    f = fold(text or "").strip().rstrip(".")
    for key, words in _LEVEL_WORDS.items():
        if f in words:
            return key
    return None


def level_from_name(name: str) -> str | None:
    """The level suggested by the first words of a unit name ("Sở A" -> "sở"), or None."""
    f = fold(name or "").strip() + " "
    for prefixes, level in _NAME_PREFIXES:
        if f.startswith(prefixes):
            return level
    return None


@dataclass(frozen=True)
class Unit:
    """One scored unit.

    name           the unit's name as the province table writes it ("Sở A")
    short_name     the word for it in sentences ("Sở" in "Sở xếp thứ 3/20 sở, ban, ngành")
    level          "sở", "huyện", "xã" or "tỉnh" (see ``LEVELS``); "" when unknown
    province       the province ("B"); "" when unknown
    parent_agency  the agency above it, for official documents ("UBND tỉnh B")
    place          the place written before the date of a document
    doc_code       the agency's abbreviation in a document number ("Số: …/BC-<doc_code>")
    recipients     the "Nơi nhận" list of a document
    aliases        other names of the unit in province tables (old names, abbreviations)
    source         where it was read from (a file path or "tham số --unit")
    """

    name: str
    short_name: str = ""
    level: str = ""
    province: str = ""
    parent_agency: str = ""
    place: str = ""
    doc_code: str = ""
    recipients: tuple[str, ...] = ()
    aliases: tuple[str, ...] = ()
    source: str = ""
    notes: tuple[str, ...] = field(default=(), compare=False)

    @property
    def subject(self) -> str:
        """The unit as the subject of a sentence: the short name, else the level word, else "Đơn vị"."""
        return self.short_name or (LEVELS[self.level][2] if self.level in LEVELS else "") or "Đơn vị"

    @property
    def peers(self) -> str:
        """The group the unit is ranked in ("sở, ban, ngành"); "đơn vị" when the level is unknown."""
        return LEVELS[self.level][1] if self.level in LEVELS else "đơn vị"

    @property
    def full_name(self) -> str:
        """The name with its province ("Sở A tỉnh B"), unless the name already has it."""
        if not self.province or fold(self.province) in fold(self.name):
            return self.name
        if self.level == "tỉnh":
            return self.name
        sep = " " if self.level in ("sở", "") else ", "
        return f"{self.name}{sep}tỉnh {self.province}"

    @property
    def display_name(self) -> str:
        """The name for a heading; "Đơn vị" when none is known."""
        return self.full_name or "Đơn vị"

    def names(self) -> tuple[str, ...]:
        """Every name the unit may have in a province table (name, full name, aliases)."""
        return tuple(dict.fromkeys(n for n in (self.name, self.full_name, *self.aliases) if n))

    def matches(self, name: str) -> bool:
        """True when ``name`` (a province-table row) is this unit under any of its names."""
        f = fold(name or "")
        return bool(f) and any(fold(n) == f for n in self.names())

    def to_dict(self) -> dict:
        return {
            "name": self.name,
            "short_name": self.short_name,
            "level": self.level,
            "province": self.province,
            "full_name": self.full_name,
            "parent_agency": self.parent_agency,
            "place": self.place,
            "doc_code": self.doc_code,
            "recipients": list(self.recipients),
        }
