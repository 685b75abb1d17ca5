"""The catalog of raw inputs: where each kind of file lives under ``data/raw/`` and how it is named.

Every stage finds its files through these functions, so a file name is spelled in one place.
"""

from __future__ import annotations

import difflib
import re
import unicodedata
from dataclasses import dataclass
from pathlib import Path

from parlib.core.errors import ConfigError
from parlib.core.paths import Paths


def scoresheet_path(paths: Paths, year: int) -> Path:
    p = paths.scoresheets / f"bang_diem_{year}.xlsx"
    if not p.exists():
        have = sorted(x.name for x in paths.scoresheets.glob("*.xlsx")) if paths.scoresheets.exists() else []
        raise ConfigError(
            f"Không tìm thấy bảng điểm năm {year}: cần tệp {p}. "
            f"Các tệp hiện có: {', '.join(have) or 'không có'}."
        )
    return p


def crosswalk_path(paths: Paths, base_year: int, year: int) -> Path:
    p = paths.raw / "crosswalk" / f"crosswalk_{base_year}_{year}.csv"
    if not p.exists():
        raise ConfigError(f"Thiếu bảng đối chiếu tiêu chí giữa năm {base_year} và {year}: cần tệp {p}.")
    return p


def province_path(raw_dir: str | Path, year: int) -> Path:
    """``<raw>/province/ket_qua_par_index_<year>.xlsx`` (not checked for existence)."""
    return Path(raw_dir) / "province" / f"ket_qua_par_index_{int(year)}.xlsx"


# ---------------------------------------------------------------- the catalog of raw inputs


@dataclass(frozen=True)
class InputKind:
    """One kind of raw file: its folder under ``raw/``, its name (a regular expression with the
    groups ``year`` and, for quarterly exports, ``quarter``; matched case-insensitively) and the
    extensions it may have."""

    kind: str
    folder: str
    stem: str
    extensions: tuple[str, ...]
    example: str  # the expected name, with <năm> and <quý>
    label: str


KINDS = (
    InputKind("dossiers", "dossiers", r"ho_so_(?P<year>\d{4})_q(?P<quarter>[1-4])", (".xlsx", ".csv"),
              "ho_so_<năm>_Q<quý>.xlsx", "Danh sách hồ sơ TTHC"),
    InputKind("survey", "survey", r"khao_sat_(?P<year>\d{4})_q(?P<quarter>[1-4])", (".xlsx", ".csv"),
              "khao_sat_<năm>_Q<quý>.xlsx", "Phiếu khảo sát hài lòng"),
    InputKind("feedback", "feedback", r"pakn_(?P<year>\d{4})", (".xlsx", ".csv"), "pakn_<năm>.xlsx",
              "Phản ánh, kiến nghị"),
    InputKind("index766", "index766", r"chi_so_766_(?P<year>\d{4})", (".xlsx", ".csv"),
              "chi_so_766_<năm>.xlsx", "Điểm Bộ chỉ số 766"),
    InputKind("task_status", "tasks", r"tien_do_(?P<year>\d{4})_q(?P<quarter>[1-4])", (".xlsx", ".csv"),
              "tien_do_<năm>_Q<quý>.xlsx", "Tiến độ nhiệm vụ"),
    InputKind("tasks", "tasks", r"nhiem_vu_(?P<year>\d{4})", (".csv",), "nhiem_vu_<năm>.csv",
              "Danh sách nhiệm vụ của Kế hoạch"),
    InputKind("framework", "framework", r"framework_(?P<year>\d{4})", (".csv",), "framework_<năm>.csv",
              "Bộ tiêu chí"),
    InputKind("crosswalk", "crosswalk", r"crosswalk_(?P<base>\d{4})_(?P<year>\d{4})", (".csv",),
              "crosswalk_<năm gốc>_<năm>.csv", "Bảng đối chiếu tiêu chí giữa hai năm"),
    InputKind("scoresheet", "scoresheet", r"bang_diem_(?P<year>\d{4})", (".xlsx",), "bang_diem_<năm>.xlsx",
              "Bảng điểm"),
    InputKind("province", "province", r"ket_qua_par_index_(?P<year>\d{4})", (".xlsx",),
              "ket_qua_par_index_<năm>.xlsx", "Kết quả PAR INDEX toàn tỉnh"),
)  # fmt: skip
# configuration tables of ``raw/config`` that ``parlib validate`` recognises (no year in the name;
# the operational folders never hold them, so ``scan_raw`` does not list them)
CONFIG_KINDS = (
    InputKind("report_windows", "config", r"report_windows", (".csv",), "report_windows.csv",
              "Kỳ báo cáo định kỳ công tác CCHC"),
    InputKind("unit", "config", r"unit", (".csv",), "unit.csv", "Thông tin đơn vị ban hành báo cáo"),
)  # fmt: skip
# "(1)", " - Copy", " - bản sao" … that file managers add to a copied file
_COPY = re.compile(
    r"^(?P<stem>.+?)\s*(?:\(\d+\)|-\s*copy(?:\s*\(\d+\))?|-\s*bản sao(?:\s*\(\d+\))?|copy)$", re.IGNORECASE
)


@dataclass(frozen=True)
class RawFile:
    path: Path
    kind: str
    year: int
    quarter: int | None
    is_copy: bool


def _match(name: str, folder: str) -> tuple[InputKind, re.Match, bool] | None:
    stem, ext = Path(name).stem, Path(name).suffix.lower()
    n = unicodedata.normalize("NFC", stem).strip()
    candidates = [(n, False)]
    c = _COPY.match(n)
    if c:
        candidates.append((c.group("stem").strip(), True))
    for kind in KINDS:
        if kind.folder != folder or ext not in kind.extensions:
            continue
        for text, is_copy in candidates:
            m = re.fullmatch(kind.stem, text, flags=re.IGNORECASE)
            if m:
                return kind, m, is_copy
    return None


def recognise_name(name: str) -> tuple[InputKind, dict, bool] | None:
    """(kind, groups, is_copy) of a file name in any folder (None when no kind matches)."""
    for folder in dict.fromkeys(k.folder for k in KINDS):
        hit = _match(name, folder)
        if hit:
            return hit[0], hit[1].groupdict(), hit[2]
    stem, ext = Path(name).stem, Path(name).suffix.lower()
    n = unicodedata.normalize("NFC", stem).strip()
    for kind in CONFIG_KINDS:
        if ext in kind.extensions and re.fullmatch(kind.stem, n, flags=re.IGNORECASE):
            return kind, {}, False
    return None


def _suggest(name: str, folder: str) -> str:
    """The expected name closest to ``name``: the folder's pattern with the file's own year and
    quarter filled in."""
    years = re.findall(r"(?<!\d)(20\d\d)(?!\d)", name)
    quarter = re.search(r"(?i)(?:q|quy|quý)[ _-]?([1-4])(?!\d)", name)
    kinds = [k for k in KINDS if k.folder == folder] or list(KINDS)
    best = difflib.get_close_matches(name.lower(), [k.example.lower() for k in kinds], n=1, cutoff=0)
    kind = next(k for k in kinds if k.example.lower() == best[0]) if best else kinds[0]
    out = kind.example.replace("<năm gốc>", years[0] if len(years) > 1 else "<năm gốc>")
    out = out.replace("<năm>", years[-1] if years else "<năm>")
    return out.replace("<quý>", quarter.group(1) if quarter else "<quý>")


def scan_raw(raw: Path, folders: tuple[str, ...] | None = None) -> tuple[list[RawFile], list[dict]]:
    """Every file under the raw folders of the catalog (``folders``: some of them): the files
    recognised (names matched case-insensitively, ``.xlsx``/``.csv`` as the kind allows; a
    copy such as ``khao_sat_2026_Q3 (1).xlsx`` is used only when the original is absent) and one
    issue per file not read — unrecognised (with the closest expected name) or a copy beside its
    original. Issues are dicts of :mod:`parlib.core.issues` columns."""
    folders = folders or tuple(dict.fromkeys(k.folder for k in KINDS))
    found: dict[tuple, list[tuple[Path, bool]]] = {}
    issues: list[dict] = []
    for folder in folders:
        d = Path(raw) / folder
        if not d.is_dir():
            continue
        for p in sorted(d.iterdir()):
            if p.name.startswith((".", "~$")) or not p.is_file():
                continue  # hidden files and Excel's lock files
            hit = _match(p.name, folder)
            if hit is None:
                issues.append(
                    _issue(p, raw, "raw_file_not_recognised",
                           f"không nhận ra tệp «{p.name}» trong thư mục «{folder}», tệp không được đọc; nếu là dữ liệu "
                           f"của báo cáo, hãy đổi tên thành «{_suggest(p.name, folder)}»")
                )  # fmt: skip
                continue
            kind, m, is_copy = hit
            g = m.groupdict()
            key = (kind.kind, int(g["year"]), int(g["quarter"]) if g.get("quarter") else None, g.get("base"))
            found.setdefault(key, []).append((p, is_copy))
    out = []
    for (kind, year, quarter, _base), files in sorted(
        found.items(), key=lambda kv: (kv[0][0], kv[0][1], kv[0][2] or 0, kv[0][3] or "")
    ):
        originals = [f for f, c in files if not c]
        use = originals[0] if originals else files[0][0]
        for f, is_copy in files:
            if f == use:
                if is_copy:
                    issues.append(_issue(f, raw, "raw_file_copy_used",
                                         f"tệp «{f.name}» có tên của một bản sao; được dùng vì không có tệp gốc — hãy đổi tên cho đúng mẫu"))  # fmt: skip
                continue
            issues.append(_issue(f, raw, "raw_file_duplicate",
                                 f"tệp «{f.name}» trùng kỳ với «{use.name}» nên không được đọc; hãy xoá tệp thừa"))  # fmt: skip
        out.append(RawFile(use, kind, year, quarter, use in [f for f, c in files if c]))
    return out, issues


def _issue(path: Path, raw: Path, rule: str, message: str) -> dict:
    try:
        source = str(Path(path).relative_to(Path(raw).parent))
    except ValueError:
        source = Path(path).name
    return {"severity": "warning", "rule": rule, "source": source, "sheet": "", "cell": "", "row": None,
            "column": "", "code": "", "value": Path(path).name, "message": message}  # fmt: skip


def files_of(
    catalog: list[RawFile], kind: str, upto: tuple[int, int] | None = None, year: int | None = None
) -> list[Path]:
    """Paths of one kind, in period order; ``upto`` (year, quarter) keeps files up to that
    quarter (a yearly file counts as quarter 4); ``year`` keeps one year."""
    out = []
    for f in catalog:
        if f.kind != kind or (year is not None and f.year != year):
            continue
        if upto is not None and (f.year, f.quarter or 4) > upto:
            continue
        out.append(f.path)
    return out


def latest_quarter(catalog: list[RawFile], year: int | None = None) -> tuple[int, int] | None:
    """The latest (year, quarter) with a dossier export (of ``year`` when given)."""
    qs = [(f.year, f.quarter) for f in catalog if f.kind == "dossiers" and (year is None or f.year == year)]
    return max(qs) if qs else None
