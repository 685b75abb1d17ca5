"""The framework of a year (bộ tiêu chí): read, validate, navigate and roll up.

The framework is a *table* (one row per node: field → criterion → sub-criterion), kept by
the analyst in ``raw/framework/framework_<year>.csv`` (format: docs/data-contracts.md,
"Framework of a year"). ``load_framework`` reads it and raises one ``StructuralError``
naming every violation (file and CSV line), so the analyst fixes everything in one pass.

Rules implemented by ``validate_framework``:
    unique codes; dotted arabic codes; parent exists; level = parent's level + 1 and the
    code depth matches the level; code = parent code + one more component; maxima present
    and ≥ 0; children's maxima sum to the parent's (tolerance 1e-6); fields sum to the
    declared ``total_points``; known method / KPI / rule; well-formed ``rule_params``;
    a rule needs a KPI; known offices (when a list is given); plan tasks in 1..35.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from parlib.core.errors import Problem
from parlib.core.text import fold

COLUMNS = [
    "code",
    "parent_code",
    "level",
    "name",
    "max_points",
    "method",
    "kpi",
    "rule",
    "rule_params",
    "owner_office",
    "partner_offices",
    "plan_tasks",
]
REQUIRED_COLUMNS = ["code", "parent_code", "level", "name", "max_points", "method"]
LEVELS = ("field", "criterion", "subcriterion")
LEVEL_DEPTH = {lvl: i + 1 for i, lvl in enumerate(LEVELS)}
LEVEL_VI = {"field": "lĩnh vực", "criterion": "tiêu chí", "subcriterion": "tiêu chí thành phần"}
DEFAULT_LEVEL_NAMES = tuple(LEVEL_VI[x] for x in LEVELS)  # a framework without a «#levels:» line
_LEVEL_ALIASES = {
    "field": "field",
    "linh vuc": "field",
    "criterion": "criterion",
    "tieu chi": "criterion",
    "subcriterion": "subcriterion",
    "sub-criterion": "subcriterion",
    "sub criterion": "subcriterion",
    "tieu chi thanh phan": "subcriterion",
    "tctp": "subcriterion",
}
METHODS = ("appraisal", "survey", "766", "statistics")
_METHOD_ALIASES = {
    "appraisal": "appraisal",
    "tham dinh": "appraisal",
    "survey": "survey",
    "dieu tra xhh": "survey",
    "dieu tra xa hoi hoc": "survey",
    "sipas": "survey",
    "766": "766",
    "statistics": "statistics",
    "thong ke": "statistics",
}
KPI_IDS = (
    "on_time_pct",
    "apology_pct",
    "apology_on_time_pct",
    "online_pct",
    "digitised_pct",
    "e_result_pct",
    "online_payment_pct",
    "system_updated_pct",
    "feedback_on_time_pct",
    "satisfaction_pct",
    "index766_points",
    "tasks_on_time_pct",
)
RULES = ("binary", "bands", "linear")
N_PLAN_TASKS = 35
TOLERANCE = 1e-6
_CODE_RE = re.compile(r"^\d+(\.\d+)*$")
_TRUE = {"true", "1", "yes", "co", "x"}


@dataclass(frozen=True)
class Framework:
    """A validated framework of one year.

    ``nodes`` columns: the contract's columns (``max_points`` float, the rest str with ''
    for blanks) plus ``is_leaf`` (bool), ``depth`` (int, 1 = top), ``field_code`` (str), ``level_name`` (the
    year's name of the level, e.g. «tiêu chí thành phần») and
    ``row`` (1-based line of the CSV file), in file order.
    """

    nodes: pd.DataFrame
    meta: dict
    year: int
    total_points: float
    is_illustrative: bool
    source: Path

    @property
    def level_names(self) -> tuple[str, ...]:
        """The year's level names, top first (``#levels:`` line; default «lĩnh vực», «tiêu chí»,
        «tiêu chí thành phần»)."""
        return parse_levels(self.meta.get("levels")) or DEFAULT_LEVEL_NAMES


def level_word(names: tuple[str, ...], depth: int) -> str:
    """The name of level ``depth`` (1 = top); the deepest name for a deeper depth."""
    return names[min(max(depth, 1), len(names)) - 1] if names else ""


def _parse_number(text: str) -> float | None:
    s = (text or "").replace(" ", "").replace(",", ".")
    if not s:
        return None
    try:
        return float(s)
    except ValueError:
        return None


def parse_rule_params(rule: str, params: str) -> float | list[tuple[float, float]]:
    """Parse ``rule_params``: a threshold (binary, linear) or ``[(threshold, fraction), ...]``
    (bands, in file order). Raises ValueError with a Vietnamese message when malformed."""
    if rule in ("binary", "linear"):
        t = _parse_number(params)
        if t is None or not math.isfinite(t) or t <= 0:
            raise ValueError(f"tham số quy tắc «{rule}» phải là một ngưỡng dương (ví dụ 98), nhận «{params}»")
        return t
    if rule == "bands":
        bands = []
        for part in (params or "").split("|"):
            t, sep, f = part.partition(":")
            tv, fv = _parse_number(t), _parse_number(f)
            if not sep or tv is None or fv is None:
                raise ValueError(f"tham số «bands» phải có dạng 98:1|95:0.75|0:0, nhận «{params}»")
            if not 0 <= fv <= 1:
                raise ValueError(f"tỷ lệ điểm của mức {t} phải trong [0, 1], nhận {f}")
            bands.append((tv, fv))
        ts = [t for t, _ in bands]
        if ts != sorted(ts, reverse=True) or len(set(ts)) != len(ts):
            raise ValueError(f"các ngưỡng của «bands» phải giảm dần, nhận «{params}»")
        return bands
    raise ValueError(f"quy tắc chấm điểm không xác định «{rule}»")


def rule_points(value: float, rule: str, rule_params: str, max_points: float) -> float:
    """Points a node earns for a KPI ``value`` (0–100) under its rule.

    binary: max if value ≥ threshold else 0; linear: min(1, value / threshold) × max;
    bands: the fraction of the first band (from the top) whose threshold ≤ value, 0 if none.
    NaN value -> NaN (a KPI that cannot be computed is not a zero).
    """
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return float("nan")
    p = parse_rule_params(rule, rule_params)
    if rule == "binary":
        return float(max_points) if value >= p else 0.0
    if rule == "linear":
        return min(1.0, max(0.0, value) / p) * float(max_points)
    for t, f in p:
        if value >= t:
            return f * float(max_points)
    return 0.0


# ---------------------------------------------------------------- validation


def _normalise_choice(value: str, aliases: dict[str, str]) -> str | None:
    return aliases.get(fold(value)) if value else None


def parse_levels(text: str | None) -> tuple[str, ...] | None:
    """The level names of a framework's ``#levels:`` line (``nhóm điểm|lĩnh vực|tiêu chí|tiêu chí
    thành phần``, top first); None when absent (the default three levels)."""
    names = tuple(n.strip() for n in (text or "").split("|") if n.strip())
    return names or None


def level_depths(levels: tuple[str, ...] | None) -> dict[str, int]:
    """Folded spelling -> depth (1 = top). Default: field / criterion / subcriterion and their
    Vietnamese names; declared levels: their names (and, by position, the English words for the
    top, the middle and the bottom levels of a 3-level list)."""
    if not levels:
        return {fold(k): LEVEL_DEPTH[v] for k, v in _LEVEL_ALIASES.items()} | {
            k: LEVEL_DEPTH[k] for k in LEVELS
        }
    return {fold(n): i + 1 for i, n in enumerate(levels)}


def canonical_level(depth: int, n_levels: int) -> str:
    """The level the analyses know a node by: the top is a ``field``, the bottom a ``subcriterion``,
    every level between a ``criterion`` (a 4-level framework has two criterion levels)."""
    if depth <= 1:
        return "field"
    return "subcriterion" if depth >= n_levels else "criterion"


def validate_framework(
    nodes: pd.DataFrame,
    total_points: float,
    file: str = "",
    offices: list[str] | None = None,
    levels: tuple[str, ...] | None = None,
) -> list[Problem]:
    """Every violation of the framework rules (module docstring) as a list of Problems.

    ``nodes`` is the table of ``read_framework_table`` (or of a Framework); ``level`` and
    ``method`` may be in English or Vietnamese. ``levels``: the level names of the year
    (``#levels:`` line, top first; any depth); default field → criterion → subcriterion.
    An empty list means the framework is valid.
    """
    depth_of = level_depths(levels)
    names = list(levels or DEFAULT_LEVEL_NAMES)
    probs: list[Problem] = []

    def add(msg: str, row=None, column: str = "") -> None:
        probs.append(Problem(msg, file=file, row=None if row is None else int(row), column=column))

    df = nodes.copy()
    if "row" not in df.columns:
        df["row"] = np.arange(2, len(df) + 2)
    for c in COLUMNS:
        if c not in df.columns:
            df[c] = ""
    df["code"] = df["code"].fillna("").astype(str).str.strip()
    df["parent_code"] = df["parent_code"].fillna("").astype(str).str.strip()
    maxima = df["max_points"].map(
        lambda v: (
            v
            if isinstance(v, (int, float)) and not isinstance(v, bool)
            else _parse_number(str(v) if v is not None else "")
        )
    )
    maxima = maxima.map(lambda v: np.nan if v is None else float(v))
    # a plain list of objects: an unknown level must stay None (a str Series would turn it into NaN)
    depths = pd.Series(
        [depth_of.get(fold(v)) if v else None for v in df["level"].fillna("").astype(str)],
        index=df.index,
        dtype=object,
    )

    counts = df["code"].value_counts()
    level_of: dict[str, int | None] = {}
    for code, lvl in zip(df["code"], depths):
        level_of.setdefault(code, lvl)
    parent_codes = set(df["parent_code"])
    for i, r in enumerate(df.itertuples(index=False)):
        code, parent, lvl, mx = r.code, r.parent_code, depths.iloc[i], maxima.iloc[i]
        if not code:
            add("thiếu mã (code)", r.row, "code")
        elif not _CODE_RE.match(code):
            add(f"mã «{code}» không đúng dạng số chấm (1, 1.2, 1.2.3)", r.row, "code")
        elif counts[code] > 1:
            add(f"mã «{code}» bị trùng ({counts[code]} dòng)", r.row, "code")
        if lvl is None:
            accepted = "/".join(names) if levels else "field/criterion/subcriterion hoặc " + "/".join(names)
            add(f"cấp «{r.level}» không hợp lệ ({accepted})", r.row, "level")
        if not r.name:
            add(f"mã «{code}»: thiếu tên", r.row, "name")
        if math.isnan(mx):
            add(f"mã «{code}»: thiếu hoặc sai điểm tối đa «{r.max_points}»", r.row, "max_points")
        elif mx < 0:
            add(f"mã «{code}»: điểm tối đa âm ({r.max_points})", r.row, "max_points")
        # hierarchy
        if lvl is not None and code and _CODE_RE.match(code) and len(code.split(".")) != lvl:
            add(f"mã «{code}» không khớp cấp «{names[lvl - 1]}»", r.row, "level")
        if not parent:
            if lvl not in (None, 1):
                add(f"mã «{code}» ({names[lvl - 1]}) thiếu mã cha", r.row, "parent_code")
        elif parent not in level_of:
            add(f"mã «{code}»: mã cha «{parent}» không tồn tại", r.row, "parent_code")
        else:
            plvl = level_of[parent]
            if lvl is not None and plvl is not None and lvl != plvl + 1:
                add(
                    f"mã «{code}»: cấp «{names[lvl - 1]}» không phù hợp với cấp của mã cha «{parent}» "
                    f"({names[plvl - 1]})",
                    r.row,
                    "level",
                )
            if not (code.startswith(parent + ".") and "." not in code[len(parent) + 1 :]):
                add(f"mã «{code}» không bắt đầu bằng mã cha «{parent}»", r.row, "code")
        # method, KPI, rule
        method = _normalise_choice(r.method, _METHOD_ALIASES)
        is_parent = code in parent_codes
        if r.method and method is None:
            add(
                f"mã «{code}»: phương pháp chấm «{r.method}» không xác định "
                f"(appraisal/survey/766/statistics)",
                r.row,
                "method",
            )
        elif not r.method and not is_parent:
            add(f"mã «{code}»: thiếu phương pháp chấm điểm", r.row, "method")
        if r.kpi and r.kpi not in KPI_IDS:
            add(f"mã «{code}»: chỉ số «{r.kpi}» không xác định", r.row, "kpi")
        if r.rule:
            if r.rule not in RULES:
                add(f"mã «{code}»: quy tắc «{r.rule}» không xác định (binary/bands/linear)", r.row, "rule")
            else:
                try:
                    parse_rule_params(r.rule, r.rule_params)
                except ValueError as exc:
                    add(f"mã «{code}»: {exc}", r.row, "rule_params")
            if not r.kpi:
                add(f"mã «{code}»: có quy tắc «{r.rule}» nhưng thiếu chỉ số (kpi)", r.row, "kpi")
        elif r.rule_params:
            add(f"mã «{code}»: có tham số «{r.rule_params}» nhưng thiếu quy tắc", r.row, "rule")
        # offices and plan tasks
        if offices is not None:
            valid = set(offices)
            if r.owner_office and r.owner_office not in valid:
                add(
                    f"mã «{code}»: đơn vị chủ trì «{r.owner_office}» không có trong danh mục",
                    r.row,
                    "owner_office",
                )
            for o in [x.strip() for x in r.partner_offices.split(";") if x.strip()]:
                if o not in valid:
                    add(
                        f"mã «{code}»: đơn vị phối hợp «{o}» không có trong danh mục",
                        r.row,
                        "partner_offices",
                    )
        for t in [x.strip() for x in r.plan_tasks.split(";") if x.strip()]:
            if not t.isdigit() or not 1 <= int(t) <= N_PLAN_TASKS:
                add(
                    f"mã «{code}»: nhiệm vụ «{t}» ngoài phạm vi 1–{N_PLAN_TASKS} của kế hoạch",
                    r.row,
                    "plan_tasks",
                )

    # sums: children vs parent, fields vs declared total
    mx_by_code = dict(zip(df["code"], maxima))
    for r in df.itertuples(index=False):
        kids = df.index[df["parent_code"] == r.code]
        if len(kids) and counts.get(r.code, 0) == 1:
            s = float(maxima.loc[kids].sum())
            own = mx_by_code.get(r.code)
            if own is not None and not math.isnan(own) and abs(s - own) > TOLERANCE:
                add(
                    f"mã «{r.code}»: tổng điểm tối đa của các mã con ({_fmt(s)}) khác điểm tối đa "
                    f"({_fmt(own)})",
                    r.row,
                    "max_points",
                )
    fields = df["parent_code"] == ""
    s = float(maxima[fields].sum())
    if total_points is None or (isinstance(total_points, float) and math.isnan(total_points)):
        add("thiếu dòng «#total_points: …» (tổng điểm công bố)")
    elif abs(s - float(total_points)) > TOLERANCE:
        add(f"tổng điểm tối đa của các lĩnh vực ({_fmt(s)}) khác tổng điểm công bố ({_fmt(total_points)})")
    return probs


def _fmt(x: float) -> str:
    return f"{x:.6g}".replace(".", ",")


# ---------------------------------------------------------------- navigation


def leaves(fw: Framework | pd.DataFrame) -> pd.DataFrame:
    """The leaf nodes (nodes without children), in file order."""
    nodes = fw.nodes if isinstance(fw, Framework) else fw
    return nodes.loc[nodes["is_leaf"]].reset_index(drop=True)


def children(nodes: pd.DataFrame, code: str) -> pd.DataFrame:
    """Direct children of ``code`` ('' gives the fields), in file order."""
    return nodes.loc[nodes["parent_code"] == code].reset_index(drop=True)


def ancestors(nodes: pd.DataFrame, code: str) -> list[str]:
    """Codes from the field down to ``code`` itself, following ``parent_code``."""
    parent = dict(zip(nodes["code"], nodes["parent_code"]))
    chain = [code]
    while parent.get(chain[-1], ""):
        chain.append(parent[chain[-1]])
    return chain[::-1]


def rollup(values: pd.DataFrame, nodes: pd.DataFrame) -> pd.DataFrame:
    """Sum leaf values up to every ancestor.

    ``values``: a ``code`` column plus numeric columns, one row per leaf (rows of non-leaf
    codes are ignored: parents are recomputed). Returns one row per node of ``nodes`` (file
    order) with ``code`` and each numeric column = sum over the leaves below (the node itself
    when a leaf); NaN when no leaf below has a value (``min_count=1``).
    Raises ValueError for codes not in the framework or duplicated leaf codes.
    """
    num_cols = [c for c in values.columns if c != "code" and pd.api.types.is_numeric_dtype(values[c])]
    known = set(nodes["code"])
    unknown = sorted(set(values["code"].astype(str)) - known)
    if unknown:
        raise ValueError(f"codes not in the framework: {unknown}")
    leaf_codes = set(nodes.loc[nodes["is_leaf"], "code"])
    v = values.loc[values["code"].astype(str).isin(leaf_codes), ["code"] + num_cols].copy()
    v["code"] = v["code"].astype(str)
    dup = v["code"][v["code"].duplicated()].tolist()
    if dup:
        raise ValueError(f"duplicated leaf codes: {sorted(set(dup))}")
    parent = dict(zip(nodes["code"], nodes["parent_code"]))
    pairs = []
    for c in v["code"]:
        a = c
        while a:
            pairs.append((a, c))
            a = parent.get(a, "")
    link = pd.DataFrame(pairs, columns=["code", "leaf_code"])
    merged = link.merge(v.rename(columns={"code": "leaf_code"}), on="leaf_code", how="left")
    sums = merged.groupby("code", sort=False)[num_cols].sum(min_count=1)
    out = nodes[["code"]].merge(sums, left_on="code", right_index=True, how="left")
    return out.reset_index(drop=True)
