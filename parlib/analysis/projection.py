"""Points at risk: the framework's KPI-driven sub-criteria scored from this year's KPIs.

A framework node with a ``kpi`` and a ``rule`` (docs/data-contracts.md, "Framework of a year")
is scored from the year-to-date value of its KPI (0–100):

* ``binary`` — params ``98``: full points when value ≥ 98, else 0.
* ``linear`` — params ``98``: points = min(1, value / 98) × max.
* ``bands`` — params ``98:1|95:0.75|90:0.5|0:0``: the fraction of the first threshold (from the
  top) that the value reaches; thresholds must be written from the highest down; below every
  threshold -> 0.

Points are rounded to 2 decimals (as the scoresheets are). A missing KPI value gives NaN
points with a note, never 0.
"""

from __future__ import annotations

import re

import numpy as np
import pandas as pd

from parlib.core.cells import parse_numbers
from parlib.core.errors import ConfigError
from parlib.core.numbers import is_blank, round_half_up
from parlib.core.vnformat import fmt_pct

RULES = ("binary", "bands", "linear")
_EPS = 1e-9
OUTPUT_COLUMNS = [
    "code",
    "name",
    "kpi",
    "rule",
    "rule_params",
    "value_pct",
    "target_pct",
    "projected_points",
    "max_points",
    "points_at_risk",
    "target_points",
    "recoverable_points",
    "owner_office",
    "note",
]


def _number(text, what: str) -> float:
    s = str(text).strip().replace(",", ".")
    try:
        return float(s)
    except ValueError:
        raise ConfigError(f"Tham số quy tắc chấm điểm không hợp lệ ({what}): «{text}».") from None


def parse_bands(params) -> list[tuple[float, float]]:
    """``'98:1|95:0.75|0:0'`` -> [(98, 1.0), (95, 0.75), (0, 0.0)]; raises ConfigError when a
    part is malformed, a fraction is outside [0, 1] or thresholds are not strictly decreasing."""
    parts = [p for p in re.split(r"\|", str(params)) if p.strip()]
    bands = []
    for p in parts:
        if ":" not in p:
            raise ConfigError(f"Bậc điểm «{p}» phải có dạng ngưỡng:tỷ lệ (ví dụ 95:0.75).")
        t, f = p.split(":", 1)
        bands.append((_number(t, "ngưỡng"), _number(f, "tỷ lệ điểm")))
    if not bands:
        raise ConfigError("Quy tắc «bands» cần ít nhất một bậc (ví dụ 98:1|95:0.75|0:0).")
    if any(not 0 <= f <= 1 for _, f in bands):
        raise ConfigError(f"Tỷ lệ điểm của các bậc phải trong khoảng 0–1: «{params}».")
    if any(a <= b for (a, _), (b, _) in zip(bands, bands[1:])):
        raise ConfigError(f"Các ngưỡng của quy tắc «bands» phải giảm dần từ trái sang phải: «{params}».")
    return bands


def score_rule(rule: str, params, value_pct: float, max_points: float) -> float:
    """Points of one node under its rule (module docstring); NaN when ``value_pct`` is missing.

    Raises ConfigError for an unknown rule or malformed parameters.
    >>> score_rule("linear", "98", 49, 2.0)
    1.0
    """
    rule = str(rule).strip().lower()
    if rule not in RULES:
        raise ConfigError(f"Quy tắc chấm điểm «{rule}» không được hỗ trợ (binary, bands, linear).")
    top = float(max_points)
    if rule == "bands":
        bands = parse_bands(params)
    else:
        threshold = _number(params, "ngưỡng")
        if rule == "linear" and threshold <= 0:
            raise ConfigError(f"Ngưỡng của quy tắc «linear» phải dương: «{params}».")
    if value_pct is None or pd.isna(value_pct):
        return float("nan")
    value = float(value_pct)
    if rule == "bands":
        frac = next((f for t, f in bands if value >= t - _EPS), 0.0)
    elif rule == "binary":
        frac = 1.0 if value >= threshold - _EPS else 0.0
    else:
        frac = min(1.0, max(0.0, value / threshold))
    return round_half_up(frac * top)


def _natural(code: str) -> tuple:
    return tuple(int(p) if p.isdigit() else p for p in str(code).split("."))


def project_points(
    nodes: pd.DataFrame, kpi_values: dict[str, float], targets: dict[str, float] | None = None
) -> pd.DataFrame:
    """Projected points of every KPI-driven node (non-empty ``kpi``) of a framework.

    ``nodes``: framework nodes (code, name, max_points, kpi, rule, rule_params, owner_office).
    ``kpi_values``: kpi id -> year-to-date value (0–100). ``targets``: kpi id -> plan target
    (0–100), used for ``recoverable_points`` (points gained if the KPI reaches its target).
    Returns OUTPUT_COLUMNS sorted by code: points_at_risk = max − projected; target_points =
    the points at the target; recoverable_points = max(0, target_points − projected).
    A node whose KPI has no value (or no rule) gets NaN points and a Vietnamese note, never 0;
    without a target, target and recoverable points are NaN with a note.
    Raises ConfigError when a rule or its parameters are invalid (every bad node named).
    """
    targets = targets or {}
    driven = nodes[~nodes["kpi"].map(is_blank)] if "kpi" in nodes else nodes.iloc[0:0]
    rows, bad = [], []
    for r in driven.to_dict("records"):
        kpi = str(r["kpi"]).strip()
        rule = "" if is_blank(r.get("rule")) else str(r["rule"]).strip().lower()
        params = r.get("rule_params")
        top = parse_numbers(pd.Series([r.get("max_points")], dtype=object))[0].iloc[0]
        value = kpi_values.get(kpi, np.nan)
        value = np.nan if value is None or pd.isna(value) else float(value)
        target = targets.get(kpi, np.nan)
        target = np.nan if target is None or pd.isna(target) else float(target)
        notes, proj, at_target = [], np.nan, np.nan
        if not rule:
            notes.append("Chưa có quy tắc chấm điểm cho tiêu chí này.")
        else:
            try:
                proj = score_rule(rule, params, value, top)
                at_target = score_rule(rule, params, target, top)
            except ConfigError as exc:
                bad.append(f"{r['code']}: {exc}")
        if np.isnan(value):
            notes.append(f"Chưa có số liệu chỉ số «{kpi}»; không dự báo điểm.")
        if np.isnan(target):
            notes.append(f"Chưa có chỉ tiêu kế hoạch cho «{kpi}»; không tính điểm có thể khôi phục.")
        elif not np.isnan(at_target) and at_target < top - _EPS:
            notes.append(
                f"Đạt chỉ tiêu {fmt_pct(target, 0 if target.is_integer() else 1)} vẫn chưa đạt điểm tối đa."
            )
        rows.append(
            {
                "code": str(r["code"]),
                "name": r.get("name"),
                "kpi": kpi,
                "rule": rule or None,
                "rule_params": None if is_blank(params) else str(params),
                "value_pct": value,
                "target_pct": target,
                "projected_points": proj,
                "max_points": top,
                "points_at_risk": round_half_up(top - proj) if not np.isnan(proj) else np.nan,
                "target_points": at_target,
                "recoverable_points": (
                    round_half_up(max(0.0, at_target - proj))
                    if not (np.isnan(at_target) or np.isnan(proj))
                    else np.nan
                ),
                "owner_office": r.get("owner_office"),
                "note": " ".join(notes),
            }
        )
    if bad:
        raise ConfigError("Quy tắc chấm điểm của khung tiêu chí không hợp lệ: " + "; ".join(bad))
    out = pd.DataFrame(rows, columns=OUTPUT_COLUMNS)
    for c in (
        "value_pct",
        "target_pct",
        "projected_points",
        "max_points",
        "points_at_risk",
        "target_points",
        "recoverable_points",
    ):
        out[c] = out[c].astype(float)
    return out.sort_values("code", key=lambda s: s.map(_natural)).reset_index(drop=True)
