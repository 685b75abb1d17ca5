"""Header spellings as data: ``raw/config/header_spellings.csv`` (optional).

A renamed column in next year's export is a line the analyst adds, not a code change. Columns
``file, column, spelling`` (a ``note`` column is ignored): ``file`` is the kind of export
(``dossiers``, ``feedback``, ``survey``, ``index766``, ``tasks``, ``task_status``, ``province``), ``column`` one of
its logical columns (the names in docs/data-contracts.md), ``spelling`` the header text as it
appears (several separated by ``|``). The spellings are added to the built-in ones; header
matching ignores case and diacritics differences of Unicode form, as everywhere.
"""

from __future__ import annotations

from dataclasses import replace

from parlib.core.errors import Problem, StructuralError
from parlib.core.paths import Paths
from parlib.core.text import normalise_text
from parlib.ingest.dossier_columns import HEADERS as DOSSIER_SPEC
from parlib.ingest.feedback import SPEC as FEEDBACK_SPEC
from parlib.ingest.index766 import COLUMNS as INDEX766_SPEC
from parlib.ingest.province_layout import DEFAULT_SPEC as PROVINCE_SPEC
from parlib.ingest.province_layout import ProvinceLayout, province_layout
from parlib.ingest.readers import read_csv_table
from parlib.ingest.survey import _SPEC as SURVEY_SPEC
from parlib.ingest.tasks import STATUS_SPEC, TASK_SPEC

SPELLINGS_FILE = "header_spellings.csv"
KINDS: dict[str, dict] = {
    "dossiers": DOSSIER_SPEC,
    "feedback": FEEDBACK_SPEC,
    "survey": SURVEY_SPEC,
    "index766": INDEX766_SPEC,
    "tasks": TASK_SPEC,
    "task_status": STATUS_SPEC,
    "province": PROVINCE_SPEC,
}
Spellings = dict[str, dict[str, tuple[str, ...]]]


def load_header_spellings(paths: Paths) -> Spellings:
    """``{kind: {column: (spelling, …)}}`` ({} when the file is absent). Raises StructuralError
    naming every bad row: an unknown kind or column (with the valid ones), a blank spelling."""
    p = paths.config / SPELLINGS_FILE
    if not p.exists():
        return {}
    name = paths.rel(p)
    df = read_csv_table(p, display_name=name)
    missing = [c for c in ("file", "column", "spelling") if c not in df.columns]
    if missing:
        raise StructuralError(
            "Tệp cách viết tiêu đề cột không hợp lệ.",
            [Problem(f"thiếu cột «{c}»", file=name, column=c) for c in missing],
        )
    out: Spellings = {}
    problems = []
    for i, (kind, col, spelling) in enumerate(zip(df["file"], df["column"], df["spelling"])):
        kind, col, row = (kind or "").strip(), (col or "").strip(), i + 2
        texts = [normalise_text(s) or "" for s in (spelling or "").split("|")]
        texts = [t for t in texts if t]
        if not kind and not col and not texts:
            continue
        if kind not in KINDS:
            problems.append(
                Problem(
                    f"loại tệp «{kind}» không xác định (chỉ nhận: {', '.join(KINDS)})", file=name, row=row
                )
            )
            continue
        if col not in KINDS[kind]:
            problems.append(
                Problem(
                    f"cột «{col}» không có trong tệp «{kind}» (các cột: {', '.join(KINDS[kind])})",
                    file=name,
                    row=row,
                )
            )
            continue
        if not texts:
            problems.append(Problem("thiếu cách viết tiêu đề (cột «spelling»)", file=name, row=row))
            continue
        cur = out.setdefault(kind, {}).get(col, ())
        out[kind][col] = tuple(dict.fromkeys([*cur, *texts]))
    if problems:
        raise StructuralError(f"Tệp «{name}» có lỗi:", problems)
    return out


def province_layout_for(paths: Paths, year: int) -> ProvinceLayout:
    """The year's province-table layout (``province_layouts.csv``) with the analyst's ``province``
    header spellings added."""
    layout = province_layout(paths, year)
    extra = load_header_spellings(paths).get("province")
    if not extra:
        return layout
    spec = {c: tuple(dict.fromkeys([*v, *extra.get(c, ())])) for c, v in layout.spec.items()}
    return replace(layout, spec=spec)
