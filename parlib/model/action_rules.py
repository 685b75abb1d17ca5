"""The corrective-action rule table (``raw/config/action_rules.csv``): columns, conditions and
plan-task lists, validated (no I/O; the file is read by :mod:`parlib.ingest.rules`).
"""

from __future__ import annotations

import re
import string

import numpy as np
import pandas as pd

from parlib.core.errors import Problem, StructuralError
from parlib.core.text import normalise_text

RULE_COLUMNS = ["kpi_or_category", "condition", "action_template", "plan_tasks", "note"]
REQUIRED = ["kpi_or_category", "action_template"]
FALLBACK = "*"
ALWAYS = {"", "always", "luôn", "luôn áp dụng"}
_CLAUSE = re.compile(r"^\s*([A-Za-z_]\w*)\s*(>=|<=|==|!=|>|<|=)\s*(.+?)\s*$")
_AND = re.compile(r"\s+(?:và|and)\s+|\s*&&?\s*", flags=re.IGNORECASE)
# The placeholders an action template may use: the cause row's values given to the templates
# (parlib.analysis.rootcause.finish) and the plan's (parlib.analysis.actions.propose_actions).
PLACEHOLDERS = frozenset(
    {
        "kpi_or_category",
        "office",
        "segment",
        "points",
        "code",
        "name",
        "value_pct",
        "target_pct",
        "plan_tasks",
        "late_now",
        "late_target",
        "missing_apologies",
        "gap_dossiers",
        "deadline",
        "deadline_detail",
        "lead_office",
        "tasks",
    }
)


def template_fields(template: str) -> list[str]:
    """The placeholder names of a template (``{name}`` or ``{name:spec}``), in order. Raises
    ValueError (Vietnamese) for a malformed template or a placeholder that is not a plain name."""
    try:
        names = [f for _, f, _, _ in string.Formatter().parse(template) if f is not None]
    except ValueError as exc:
        raise ValueError(f"mẫu câu sai cú pháp (dấu ngoặc nhọn không khớp): {exc}") from exc
    bad = [f for f in names if not re.fullmatch(r"[A-Za-z_]\w*", f)]
    if bad:
        raise ValueError("chỗ trống không hợp lệ: " + ", ".join("{" + f + "}" for f in bad))
    return names


def action_rule_table(table: pd.DataFrame, *, file: str = "") -> pd.DataFrame:
    """Validate a rule table given as a frame (index = file row used in messages); see
    :func:`load_action_rules`. Fully blank rows are ignored."""
    missing = [c for c in REQUIRED if c not in table.columns]
    if missing:
        raise StructuralError(
            "Bảng quy tắc giải pháp thiếu cột.",
            [Problem("thiếu cột bắt buộc", file=file, column=c) for c in missing],
        )
    df = table.copy()
    for c in RULE_COLUMNS:
        if c not in df.columns:
            df[c] = None
    df = df[RULE_COLUMNS].map(normalise_text).replace("", None)
    df = df[df[RULE_COLUMNS].notna().any(axis=1)]
    problems = [
        Problem("ô trống", file=file, row=_row(i), column=c) for c in REQUIRED for i in df.index[df[c].isna()]
    ]
    for i, cond in df["condition"].items():
        try:
            parse_condition(cond)
        except ValueError as exc:
            problems.append(
                Problem(f"điều kiện không hiểu được: {exc}", file=file, row=_row(i), column="condition")
            )
    for i, tasks in df["plan_tasks"].items():
        try:
            parse_task_list(tasks)
        except ValueError:
            problems.append(
                Problem(
                    f"danh sách nhiệm vụ «{tasks}» không hợp lệ (cần các số cách nhau bởi «;»)",
                    file=file,
                    row=_row(i),
                    column="plan_tasks",
                )
            )
    for i, tpl in df["action_template"].items():
        if not isinstance(tpl, str):  # blank: already a problem
            continue
        try:
            unknown = [f for f in dict.fromkeys(template_fields(tpl)) if f not in PLACEHOLDERS]
        except ValueError as exc:
            problems.append(Problem(str(exc), file=file, row=_row(i), column="action_template"))
            continue
        for f in unknown:
            problems.append(
                Problem(
                    f"chỗ trống «{{{f}}}» không có trong danh sách được phép "
                    f"({', '.join(sorted(PLACEHOLDERS))})",
                    file=file,
                    row=_row(i),
                    column="action_template",
                )
            )
    if problems:
        raise StructuralError("Bảng quy tắc giải pháp có lỗi.", problems)
    out = df.fillna("").astype("str")
    out["rule_row"] = [_row(i) for i in df.index]
    return out.reset_index(drop=True)


def _row(i) -> int | None:
    return int(i) if isinstance(i, (int, np.integer)) else None


def parse_condition(text) -> list[tuple[str, str, object]]:
    """``'late_now > late_target và points >= 0,5'`` → [(name, op, value)…]; always → [].
    A value is a float when it reads as a number, else an identifier name (compared with that
    column) when it is a bare identifier, else text. Raises ValueError (Vietnamese) when a clause
    cannot be read."""
    s = normalise_text(text) or ""
    if s.casefold() in ALWAYS:
        return []
    out = []
    for clause in _AND.split(s):
        m = _CLAUSE.match(clause)
        if not m:
            raise ValueError(f"vế «{clause}» không có dạng «tên phép_so_sánh giá_trị»")
        name, op, raw = m.groups()
        out.append((name, "==" if op == "=" else op, _value(raw)))
    return out


def _value(raw: str):
    r = raw.strip()
    if len(r) >= 2 and r[0] == r[-1] and r[0] in "'\"":
        return ("text", r[1:-1])
    try:
        return ("number", float(r.replace(",", ".")))
    except ValueError:
        pass
    if re.fullmatch(r"[A-Za-z_]\w*", r):
        return ("column", r)
    return ("text", r)


def parse_task_list(text) -> list[int]:
    """``'7; 8;10'`` → [7, 8, 10]; empty → []. Raises ValueError on anything else."""
    s = normalise_text(text) or ""
    out = []
    for part in (p.strip() for p in re.split(r"[;,]", s)):
        if not part:
            continue
        if not re.fullmatch(r"\d+(\.0+)?", part):
            raise ValueError(part)
        out.append(int(float(part)))
    return out
