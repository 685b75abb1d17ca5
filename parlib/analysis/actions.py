"""Corrective actions from an editable rule table, made concrete with the numbers.

``data/raw/config/action_rules.csv`` (columns ``kpi_or_category, condition, action_template,
plan_tasks, note``) is maintained by the analyst. Rules:

* A cause row (one sub-criterion × KPI or cause category, built by the caller) is keyed by its
  ``kpi_or_category`` column, else ``kpi``, else ``category`` (first non-empty). The first rule
  with that key (table order) whose condition holds is used; then the rules keyed ``*``
  (fallback). No rule → no action, status ``no_rule``.
* ``condition``: empty or ``always`` (``luôn``) = always; otherwise clauses joined by ``và`` /
  ``and``, each ``name op value`` with op one of ``>= <= > < == != =``; ``value`` is a number
  (decimal dot or comma) or a text (optionally quoted). A clause on a column that is missing or
  empty in the cause row is false.
* ``action_template``: Vietnamese text with ``{placeholders}`` filled by ``str.format_map``
  from the cause row and the plan (``deadline``, ``deadline_detail``, ``lead_office``,
  ``tasks``). Numbers are formatted Vietnamese style by name: ``*_pct`` → ``98,3 %``;
  names containing ``points`` → two decimals (``0,75``); other whole numbers → ``1.234``;
  other decimals → two decimals; dates → ``dd/mm/yyyy``. The placeholders a template may use
  are checked when the rule table is loaded (``parlib.model.action_rules.PLACEHOLDERS``; an
  unknown one is an error naming the rule row and the field). A placeholder without a value
  for a cause drops its clause when the sentence allows (``drop_missing_clauses``), else is
  written ``chưa có số liệu`` (a raw ``{name}`` never reaches a report); it is listed in
  ``missing_placeholders`` (status ``missing_values``); a malformed template given
  directly (not loaded from the file) is returned as written (status ``bad_template``);
  nothing crashes.
* Plan tasks: the rule's ``plan_tasks`` (``;``-separated numbers), else the cause row's
  ``plan_tasks``. The deadline implied by the plan is the earliest ``due_date`` of those tasks;
  tasks without a date contribute their recurrence (``thường xuyên``, ``hằng tháng``,
  ``hằng quý``, ``định kỳ``…) or, failing that, their ``time_frame`` text.
"""

from __future__ import annotations

import math
import re
import string

import numpy as np
import pandas as pd

from parlib.core.errors import Problem, StructuralError
from parlib.core.numbers import is_blank
from parlib.core.text import fold, normalise_text
from parlib.core.vnformat import MISSING, fmt_date, fmt_int, fmt_num, fmt_pct
from parlib.model.action_rules import FALLBACK, action_rule_table, parse_condition, parse_task_list

RECURRENCE_VI = {
    "continuous": "thường xuyên",
    "monthly": "hằng tháng",
    "quarterly": "hằng quý",
    "periodic": "định kỳ",
    "yearly": "hằng năm",
    "annual": "hằng năm",
}
TIME_FRAME_VI = {
    "thuong xuyen": "thường xuyên",
    "hang thang": "hằng tháng",
    "hang quy": "hằng quý",
    "dinh ky": "định kỳ",
    "hang nam": "hằng năm",
}
NO_VALUE = "chưa có số liệu"  # written for a placeholder without a value (never a raw {name})
STATUS_VI = {
    "ok": "Đủ số liệu",
    "missing_values": "Thiếu số liệu cho một số chỗ trống",
    "no_rule": "Không có quy tắc phù hợp",
    "bad_template": "Mẫu câu bị lỗi cú pháp",
}
OUT_COLUMNS = [
    "rule_row",
    "action_text",
    "action_tasks",
    "task_names",
    "task_lead_office",
    "deadline_date",
    "deadline_text",
    "deadline_detail",
    "missing_placeholders",
    "action_status",
    "action_status_text",
    "action_note",
]


def condition_holds(clauses, row: dict) -> bool:
    """True when every clause holds for ``row``; a missing or empty operand makes it false."""
    ops = {
        ">": lambda a, b: a > b,
        ">=": lambda a, b: a >= b,
        "<": lambda a, b: a < b,
        "<=": lambda a, b: a <= b,
        "==": lambda a, b: a == b,
        "!=": lambda a, b: a != b,
    }
    for name, op, (kind, val) in clauses:
        left = row.get(name)
        right = row.get(val) if kind == "column" else val
        if is_blank(left) or is_blank(right):
            return False
        if kind == "text":
            left, right = str(left).casefold(), str(right).casefold()
            if op not in ("==", "!="):
                return False
        else:
            try:
                left, right = float(left), float(right)
            except (TypeError, ValueError):
                return False
        if not ops[op](left, right):
            return False
    return True


# ---------------------------------------------------------------- numbers and text


def max_count_for_rate(n, target_pct: float) -> int:
    """Most adverse dossiers (e.g. late) allowed among ``n`` while the good rate still reaches
    ``target_pct``: ``floor(n × (1 − target/100))``; ``max_count_for_rate(600, 98) == 12``."""
    if is_blank(n) or is_blank(target_pct):
        raise ValueError("n and target_pct are required")
    return int(math.floor(float(n) * (1 - float(target_pct) / 100) + 1e-9))


def format_value(name: str, value) -> str | None:
    """Vietnamese text of one placeholder value by the naming rules (module docstring); None
    when the value is missing."""
    if is_blank(value):
        return None
    if isinstance(value, (bool, np.bool_)):
        return "có" if value else "không"
    if isinstance(value, (pd.Timestamp, np.datetime64)) or hasattr(value, "strftime"):
        return fmt_date(pd.Timestamp(value))
    if isinstance(value, (int, np.integer)) and not name.endswith("_pct") and "points" not in name:
        return fmt_int(value)
    if isinstance(value, (int, float, np.integer, np.floating)):
        v = float(value)
        if name.endswith("_pct") or name == "pct":
            return fmt_pct(v, 1)
        if "points" in name:
            return fmt_num(v, 2)
        return fmt_int(v) if v.is_integer() else fmt_num(v, 2)
    return str(value)


class _Text(str):
    """A pre-formatted value: ignores any format spec written in the template."""

    def __format__(self, spec: str) -> str:
        return str(self)


class _SafeValues(dict):
    """format_map mapping: an unknown or empty placeholder is written NO_VALUE and listed."""

    def __init__(self, values: dict):
        super().__init__()
        self.missing: list[str] = []
        for k, v in values.items():
            text = format_value(str(k), v)
            if text is not None:
                self[str(k)] = _Text(text)

    def __missing__(self, key):
        self.missing.append(key)
        return _Text(NO_VALUE)


_LEFT, _RIGHT = ",;(:", ",;)."


def drop_missing_clauses(template: str, missing: set[str]) -> str:
    """The template without the clauses that hold a placeholder without a value, so the text stays
    a sentence: a clause after «,», «;» or inside «( )» is dropped whole; in a first clause, a
    purpose part «để … {points} điểm» is dropped; otherwise the placeholder stays (written
    ``chưa có số liệu``). Example: «…, khắc phục để lấy lại khoảng {points} điểm; thời hạn: …»
    without points → «…; thời hạn: …»."""
    for name in missing:
        while True:
            m = re.search(r"\{" + re.escape(name) + r"(?:[:!][^{}]*)?\}", template)
            if m is None:
                break
            left = max(template.rfind(c, 0, m.start()) for c in _LEFT)
            rights = [template.find(c, m.end()) for c in _RIGHT]
            right = min((r for r in rights if r >= 0), default=len(template))
            opener = template[left] if left >= 0 else ""
            if opener == "(":
                close = template.find(")", m.end())
                stop = close + 1 if close >= 0 else len(template)
                start = left - 1 if left > 0 and template[left - 1] == " " else left
                template = template[:start] + template[stop:]
            elif opener in (",", ";"):
                template = template[:left] + template[right:]
            elif " để " in template[left + 1 : m.start()]:
                start = template.rfind(" để ", left + 1, m.start())
                template = template[:start] + template[right:]
            else:
                break
    return template


def fill_template(template: str, values: dict) -> tuple[str, list[str], bool]:
    """Fill ``template`` (rules: module docstring). Returns (text, missing placeholders,
    template_ok); the clauses of the missing placeholders are dropped (:func:`drop_missing_clauses`)."""
    safe = _SafeValues(values)
    try:
        names = [f for _, f, _, _ in string.Formatter().parse(template) if f is not None]
        if any(not re.fullmatch(r"[A-Za-z_]\w*", f) for f in names):
            return template, [], False
        missing = [f for f in dict.fromkeys(names) if f not in safe]
        text = drop_missing_clauses(template, set(missing)).format_map(safe)
        return text, missing, True
    except (ValueError, IndexError, KeyError, AttributeError):
        return template, [], False


# ---------------------------------------------------------------- plan deadlines


def _task_table(tasks: pd.DataFrame) -> pd.DataFrame:
    missing = [c for c in ("task_no", "task_name") if c not in tasks.columns]
    if missing:
        raise StructuralError(
            "Danh sách nhiệm vụ thiếu cột.", [Problem("thiếu cột", column=c) for c in missing]
        )
    t = tasks.drop_duplicates("task_no").copy()
    t["task_no"] = pd.to_numeric(t["task_no"], errors="coerce")
    t = t[t["task_no"].notna()]
    t["task_no"] = t["task_no"].astype("int64")
    t["due"] = pd.to_datetime(t["due_date"], errors="coerce") if "due_date" in t.columns else pd.NaT
    return t.set_index("task_no")


def _undated_text(rec) -> str:
    rec_code = normalise_text(rec.get("recurrence")) or ""
    if rec_code.casefold() in RECURRENCE_VI:
        return RECURRENCE_VI[rec_code.casefold()]
    frame = normalise_text(rec.get("time_frame")) or ""
    if fold(frame) in TIME_FRAME_VI:
        return TIME_FRAME_VI[fold(frame)]
    return (frame[:1].lower() + frame[1:]) if frame else "chưa xác định thời hạn"


def plan_deadline(task_nos: list[int], tasks: pd.DataFrame, *, as_of=None) -> dict:
    """Deadline implied by plan tasks: deadline_date (earliest due date, NaT if none),
    deadline_text (that date as dd/mm/yyyy, else the first undated text; "(đã quá hạn theo Kế
    hoạch)" appended when before ``as_of``), deadline_detail (each deadline with its task
    numbers), task_names, lead_office (unique, '; '-joined), tasks ("nhiệm vụ số 7, 8"),
    unknown (task numbers not in the list)."""
    t = _task_table(tasks)
    known = [no for no in task_nos if no in t.index]
    unknown = [no for no in task_nos if no not in t.index]
    groups: dict[str, list[int]] = {}
    dates = []
    for no in known:
        rec = t.loc[no].to_dict()
        if pd.notna(rec["due"]):
            dates.append(rec["due"])
            key = fmt_date(rec["due"])
        else:
            key = _undated_text(rec)
        groups.setdefault(key, []).append(no)
    date = min(dates) if dates else pd.NaT
    text = fmt_date(date) if dates else (next(iter(groups)) if groups else MISSING)
    if dates and as_of is not None and date < pd.Timestamp(as_of):
        text += " (đã quá hạn theo Kế hoạch)"
    detail = "; ".join(f"{k} (nhiệm vụ số {', '.join(map(str, v))})" for k, v in groups.items())
    leads = (
        [normalise_text(t.loc[no].get("lead_office")) for no in known] if "lead_office" in t.columns else []
    )
    return {
        "deadline_date": date,
        "deadline_text": text,
        "deadline_detail": detail or MISSING,
        "task_names": "; ".join(str(t.loc[no, "task_name"]) for no in known),
        "lead_office": "; ".join(dict.fromkeys(x for x in leads if x)),
        "tasks": ("nhiệm vụ số " + ", ".join(map(str, known))) if known else MISSING,
        "unknown": unknown,
    }


# ---------------------------------------------------------------- proposals


def _key(row: dict) -> str:
    for c in ("kpi_or_category", "kpi", "category"):
        v = row.get(c)
        if not is_blank(v):
            return str(v)
    return ""


def propose_actions(
    causes: pd.DataFrame, rules: pd.DataFrame, tasks: pd.DataFrame, *, as_of=None, dated=None
) -> pd.DataFrame:
    """One proposed action per cause row (rules: module docstring). ``dated``: optional function
    from the plan's earliest due date (NaT when none) to the action's deadline date; it then fills
    ``{deadline}``, ``deadline_date`` and ``deadline_text`` (a date, never a recurrence word).

    ``causes``: any columns; the key column (``kpi_or_category`` / ``kpi`` / ``category``) and
    the template's placeholders (e.g. office, segment, late_now, late_target, points, code,
    name, value_pct, target_pct). ``rules``: :func:`load_action_rules` (or a frame with its
    columns). ``tasks``: the plan task list (task_no, task_name, lead_office, time_frame,
    due_date, optional recurrence), e.g. ``raw/tasks/nhiem_vu_<year>.csv`` or
    ``parlib.tasks.read_tasks``.
    Returns a copy of ``causes`` with OUT_COLUMNS added (same-named columns of ``causes`` are
    replaced): rule_row (1-based row of the rule file), action_text, action_tasks ('; '-joined
    task numbers used), task_names, task_lead_office (lead offices of those tasks),
    deadline_date, deadline_text, deadline_detail, missing_placeholders, action_status (ok /
    missing_values / no_rule / bad_template), action_status_text (Vietnamese), action_note
    (Vietnamese, e.g. unknown task numbers, placeholders without a number).
    """
    if "rule_row" not in rules.columns:
        rules = action_rule_table(rules)
    parsed = [(r, parse_condition(r["condition"])) for r in rules.to_dict("records")]
    out_rows = []
    for row in causes.to_dict("records"):
        key = _key(row)
        rule = next(
            (r for r, cl in parsed if r["kpi_or_category"] == key and condition_holds(cl, row)), None
        ) or next(
            (r for r, cl in parsed if r["kpi_or_category"] == FALLBACK and condition_holds(cl, row)), None
        )
        if rule is None:
            out_rows.append(
                {
                    "rule_row": None,
                    "action_text": "",
                    "action_tasks": "",
                    "task_names": "",
                    "task_lead_office": "",
                    "deadline_date": pd.NaT,
                    "deadline_text": MISSING,
                    "deadline_detail": MISSING,
                    "missing_placeholders": "",
                    "action_status": "no_rule",
                    "action_status_text": STATUS_VI["no_rule"],
                    "action_note": f"Không có quy tắc cho «{key}» trong bảng quy tắc giải pháp.",
                }
            )
            continue
        nos = parse_task_list(rule["plan_tasks"]) or _row_tasks(row)
        plan = plan_deadline(nos, tasks, as_of=as_of)
        if dated is not None:  # the action's own date (from the plan's date, never a word or a past day)
            due = dated(plan["deadline_date"])
            plan.update(deadline_date=due, deadline_text=fmt_date(due))
        values = dict(row)
        values.update(
            deadline=plan["deadline_text"] if nos or dated is not None else None,
            deadline_detail=plan["deadline_detail"] if nos else None,
            lead_office=plan["lead_office"] or None,
            tasks=plan["tasks"] if nos else None,
        )
        text, missing, ok = fill_template(rule["action_template"], values)
        status = "bad_template" if not ok else ("missing_values" if missing else "ok")
        notes = [f"Nhiệm vụ số {no} không có trong danh sách nhiệm vụ." for no in plan["unknown"]]
        if missing:
            notes.append("Chưa có số liệu cho: " + ", ".join(missing) + ".")
        out_rows.append(
            {
                "rule_row": rule["rule_row"],
                "action_text": text,
                "action_tasks": "; ".join(map(str, nos)),
                "task_names": plan["task_names"],
                "task_lead_office": plan["lead_office"],
                "deadline_date": plan["deadline_date"],
                "deadline_text": plan["deadline_text"],
                "deadline_detail": plan["deadline_detail"],
                "missing_placeholders": ", ".join(missing),
                "action_status": status,
                "action_status_text": STATUS_VI[status],
                "action_note": " ".join(notes),
            }
        )
    add = pd.DataFrame(out_rows, columns=OUT_COLUMNS, index=causes.index)
    add["rule_row"] = pd.array(add["rule_row"], dtype="Int64")
    add["deadline_date"] = pd.to_datetime(add["deadline_date"]).astype("datetime64[us]")
    out = causes.drop(columns=[c for c in OUT_COLUMNS if c in causes.columns]).copy()
    return pd.concat([out, add], axis=1)


def _row_tasks(row: dict) -> list[int]:
    try:
        return parse_task_list(row.get("plan_tasks"))
    except ValueError:
        return []
