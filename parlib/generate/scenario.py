"""Scenario files (TOML) of the operational sample-data generator: load, validate, resolve.

A scenario states everything the generator needs (volumes, seasonality, channel trends,
capacity per office, planted effects) so that a new scenario needs no code change. The
schema is :data:`DEFAULTS`: every key a scenario may set, with its default value and type.
Keys missing from the file take the default; a key that is not in the schema, or a value of
the wrong type, is a :class:`~parlib.errors.ConfigError` naming the key (all problems of a
file in one message). ``[effects]`` is free-form: it documents the planted effects and their
expected signatures for the tests; the generator never uses it.

Catalogues
    ``[sources]`` points to CSV files *relative to the scenario file*: procedures, offices,
    holidays (working-day calendar), survey items, plan tasks. Procedures and offices may
    instead be given inline as ``[[procedures]]`` / ``[[offices]]`` arrays of tables with
    the same columns as ``raw/config/procedures.csv`` / ``offices.csv``.

Periods are quarters written ``2025-Q1``; :func:`parse_quarter` turns them into
``pd.Period`` (freq ``Q``).
"""

from __future__ import annotations

import copy
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from parlib.core.calendar import WorkCalendar
from parlib.core.errors import ConfigError
from parlib.ingest.calendar import load_calendar

DIFFICULTIES = ("slow", "normal", "fast")
UNITS = ("working_days", "calendar_days", "hours")
CHANNEL_NAMES = {1: "Trực tiếp", 2: "Trực tuyến", 3: "Bưu chính"}

PROCEDURE_COLUMNS = (
    "procedure_code",
    "procedure_name",
    "field_name",
    "office_name",
    "deadline_value",
    "deadline_unit",
    "after_15h",
    "fee_vnd",
    "has_paper_result",
    "difficulty",
)
OFFICE_COLUMNS = ("office_code", "office_name")

_D3 = {"slow": 0.0, "normal": 0.0, "fast": 0.0}

DEFAULTS: dict = {
    "scenario": {
        "name": "",
        "description": "",
        "seed": 0,
        "agency_code": "000.00.00.H00",
        "unit_name": "",
        "first_quarter": "",
        "last_quarter": "",
        "as_of": "",
    },
    "sources": {"procedures": "", "offices": "", "holidays": "", "survey_items": "", "tasks": ""},
    "dossiers": {
        "base_per_year": 20000,
        "growth_per_year": 0.0,
        "expected_per_year": [15000, 30000],
        "month_factors": [1.0] * 12,
        "weekday_factors": [1.0] * 5,
        "channels": {
            "online_share": [0.3, 0.6],
            "postal_share": 0.03,
            "offday_online_share": 0.0,
            "after_15h_share": 0.1,
        },
        "mix": {"default_weight": 1.0, "weights": {}, "shifts": []},
        "surges": [],
        "capacity": {
            "work_days": {"slow": 1.0, "normal": 0.4, "fast": 0.15},
            "staff": {},
            "auto_utilisation": 0.6,
            "utilisation_threshold": 0.9,
            "congestion_slope": 0.35,
        },
        "lateness": {"base": dict(_D3), "supplement_one": dict(_D3), "supplement_two": dict(_D3)},
        "outcomes": {"stopped": 0.005, "rejected": 0.01, "withdrawn": 0.005, "paused_share_of_open": 0.1},
        "apology": {"coverage": 0.98, "on_time_share": 0.9, "reschedule_twice_share": 0.03, "overrides": []},
        "flags": {"digitised": [0.7, 0.9], "e_result": [0.6, 0.9], "paid_online": [0.4, 0.7]},
        "rating": {"share": 0.3, "on_time": [0.45, 0.45, 0.08, 0.02], "late": [0.1, 0.35, 0.3, 0.25]},
        "export": {
            "text_date_quarters": [],
            "duplicates_per_quarter": 5,
            "missing_id": 2,
            "bad_date": 2,
            "unknown_procedure": 2,
        },
    },
    "feedback": {
        "per_year": 200,
        "expected_per_year": [100, 300],
        "late_share": 0.1,
        "transfer_share": 0.2,
        "unclassified_share": 0.05,
        "unanswered_share": 0.03,
        "recomplaint_share": 0.05,
        "late_publication_share": 0.1,
        "contact_in_content": 4,
    },
    "survey": {
        "respondents": [180, 320],
        "expected_respondents": [150, 400],
        "factor_means": {},
        "general_sd": 0.5,
        "factor_sd": 0.45,
        "item_sd": 0.45,
        "overall_weights": {},
        "overall_sd": 0.3,
        "shifts": [],
        "blank_share": 0.02,
        "out_of_scale": 5,
        "comment_share": 0.55,
        "comment_with_phone": 2,
    },
    "index766": {
        "group1_range": [15.5, 18.0],
        "online_threshold": 0.5,
        "payment_threshold": 0.8,
        "digitised_threshold": 0.8,
        "satisfaction_threshold": 0.9,
    },
    "tasks": {
        "quarters": [],
        "late_share": 0.15,
        "missing_updates": 2,
        "late_update_share": 0.15,
        "update_lag_days": [1, 10],
        "late_lag_days": [20, 45],
    },
    "effects": {},
}

# keys whose tables have free keys (procedure codes, office codes, factor codes ...)
_FREE_TABLES = {
    "dossiers.mix.weights",
    "dossiers.capacity.staff",
    "survey.factor_means",
    "survey.overall_weights",
    "effects",
}
# keys holding arrays of tables, with their required fields
_TABLE_ARRAYS = {
    "dossiers.mix.shifts": {"quarters": list, "factor": (int, float)},
    "dossiers.surges": {"quarters": list, "procedures": list, "factor": (int, float)},
    "dossiers.apology.overrides": {"office": str, "years": list, "coverage": (int, float)},
    "survey.shifts": {"quarters": list, "factor_code": str, "delta": (int, float)},
}


def parse_quarter(text: str) -> pd.Period:
    """``'2025-Q1'`` -> ``Period('2025Q1', 'Q-DEC')``; ConfigError when malformed."""
    t = str(text).strip().upper().replace("-", "")
    if len(t) != 6 or not t[:4].isdigit() or t[4] != "Q" or t[5] not in "1234":
        raise ConfigError(f"Quý «{text}» không đúng dạng YYYY-Qn (ví dụ 2025-Q1).")
    return pd.Period(t, freq="Q")


def quarter_text(p: pd.Period) -> str:
    """``Period('2025Q1')`` -> ``'2025-Q1'``."""
    return f"{p.year}-Q{p.quarter}"


def _type_ok(value, default) -> bool:
    if isinstance(default, bool):
        return isinstance(value, bool)
    if isinstance(default, (int, float)):
        return isinstance(value, (int, float)) and not isinstance(value, bool)
    if isinstance(default, str):
        return isinstance(value, str)
    if isinstance(default, list):
        return isinstance(value, list)
    if isinstance(default, dict):
        return isinstance(value, dict)
    return True


_TYPE_NAMES = {
    bool: "đúng/sai (true/false)",
    int: "số",
    float: "số",
    str: "chuỗi",
    list: "mảng [..]",
    dict: "bảng [..]",
}


def _merge(raw: dict, default: dict, prefix: str, problems: list[str]) -> dict:
    """Defaults overlaid with ``raw``; unknown keys and wrong types go to ``problems``."""
    out = copy.deepcopy(default)
    for key, value in raw.items():
        dotted = f"{prefix}{key}"
        if dotted in _FREE_TABLES:
            if not isinstance(value, dict):
                problems.append(f"khoá «{dotted}» phải là một bảng (table)")
            else:
                out[key] = value
            continue
        if key not in default:
            problems.append(f"khoá «{dotted}» không có trong lược đồ kịch bản (gõ sai tên?)")
            continue
        if dotted in _TABLE_ARRAYS:
            out[key] = _check_table_array(dotted, value, problems)
            continue
        if not _type_ok(value, default[key]):
            expected = _TYPE_NAMES.get(type(default[key]), type(default[key]).__name__)
            problems.append(f"khoá «{dotted}» phải là {expected} (đang là «{value!r}»)")
            continue
        if isinstance(default[key], dict) and default[key]:
            out[key] = _merge(value, default[key], dotted + ".", problems)
        else:
            out[key] = value
    return out


def _check_table_array(dotted: str, value, problems: list[str]) -> list:
    if not isinstance(value, list) or not all(isinstance(v, dict) for v in value):
        problems.append(f"khoá «{dotted}» phải là mảng bảng [[{dotted}]]")
        return []
    for i, entry in enumerate(value, start=1):
        for name, typ in _TABLE_ARRAYS[dotted].items():
            if name not in entry:
                problems.append(f"mục {i} của «{dotted}» thiếu khoá «{name}»")
            elif not isinstance(entry[name], typ) or isinstance(entry[name], bool):
                problems.append(f"khoá «{dotted}[{i}].{name}» sai kiểu (đang là «{entry[name]!r}»)")
    return value


@dataclass
class Scenario:
    """A loaded, validated scenario with its catalogues resolved.

    ``cfg`` is the full nested dict (defaults filled in); ``procedures`` has the columns of
    :data:`PROCEDURE_COLUMNS` plus ``office_code`` (``after_15h``/``has_paper_result`` bool,
    ``deadline_value`` float, ``fee_vnd`` int); ``sources`` maps catalogue name -> resolved
    file path (``None`` when inline or absent).
    """

    path: Path
    cfg: dict
    quarters: list[pd.Period]
    procedures: pd.DataFrame
    offices: pd.DataFrame
    calendar: WorkCalendar
    survey_items: pd.DataFrame
    tasks: pd.DataFrame | None
    sources: dict = field(default_factory=dict)

    @property
    def seed(self) -> int:
        return int(self.cfg["scenario"]["seed"])

    @property
    def name(self) -> str:
        return self.cfg["scenario"]["name"]

    def rng(self, stream: int) -> np.random.Generator:
        """Independent generator per component, so editing one part never shifts another."""
        return np.random.default_rng([self.seed, stream])

    def get(self, dotted: str):
        node = self.cfg
        for part in dotted.split("."):
            node = node[part]
        return node


def _read_csv(path: Path, what: str, problems: list[str]) -> pd.DataFrame | None:
    if not path.is_file():
        problems.append(f"không tìm thấy tệp {what} «{path}»")
        return None
    return pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8-sig")


def _resolve_path(base: Path, text: str) -> Path | None:
    return (base / text).resolve() if text else None


def _catalogue(
    raw: dict, key: str, src: Path | None, columns, what: str, problems: list[str]
) -> pd.DataFrame | None:
    inline = raw.get(key)
    if inline is not None and src is not None:
        problems.append(f"«{key}» được khai báo hai lần (bảng [[{key}]] và «sources.{key}»)")
        return None
    if inline is not None:
        if not isinstance(inline, list) or not all(isinstance(r, dict) for r in inline):
            problems.append(f"khoá «{key}» phải là mảng bảng [[{key}]]")
            return None
        frame = pd.DataFrame(
            [{k: str(v).lower() if isinstance(v, bool) else str(v) for k, v in r.items()} for r in inline]
        )
    elif src is not None:
        frame = _read_csv(src, what, problems)
        if frame is None:
            return None
    else:
        problems.append(f"thiếu danh mục {what}: khai báo «sources.{key}» hoặc [[{key}]]")
        return None
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        problems.append(f"danh mục {what} thiếu cột: " + ", ".join(missing))
        return None
    return frame


def _clean_procedures(frame: pd.DataFrame, offices: pd.DataFrame, problems: list[str]) -> pd.DataFrame:
    out = frame.loc[:, list(PROCEDURE_COLUMNS)].copy()
    out["deadline_value"] = pd.to_numeric(out["deadline_value"], errors="coerce")
    out["fee_vnd"] = pd.to_numeric(out["fee_vnd"].replace("", "0"), errors="coerce")
    for col in ("after_15h", "has_paper_result"):
        out[col] = out[col].str.strip().str.lower().isin(["true", "1", "có", "yes"])
    bad_unit = sorted(set(out["deadline_unit"]) - set(UNITS))
    bad_diff = sorted(set(out["difficulty"]) - set(DIFFICULTIES))
    if bad_unit:
        problems.append("danh mục thủ tục có đơn vị thời hạn không hợp lệ: " + ", ".join(bad_unit))
    if bad_diff:
        problems.append("danh mục thủ tục có «difficulty» không hợp lệ: " + ", ".join(bad_diff))
    if out["deadline_value"].isna().any() or (out["deadline_value"] <= 0).any():
        problems.append("danh mục thủ tục có «deadline_value» trống hoặc không dương")
    if out["fee_vnd"].isna().any():
        problems.append("danh mục thủ tục có «fee_vnd» không phải số")
    if out["procedure_code"].duplicated().any():
        dup = sorted(out.loc[out["procedure_code"].duplicated(), "procedure_code"])
        problems.append("mã thủ tục trùng: " + ", ".join(dup))
    code_of = dict(zip(offices["office_name"], offices["office_code"]))
    unknown = sorted(set(out["office_name"]) - set(code_of))
    if unknown:
        problems.append("thủ tục gắn với đơn vị không có trong danh mục đơn vị: " + ", ".join(unknown))
    out["office_code"] = out["office_name"].map(code_of)
    return out.reset_index(drop=True)


def _check_values(
    cfg: dict,
    procs: pd.DataFrame | None,
    offices: pd.DataFrame | None,
    items: pd.DataFrame | None,
    quarters: list[pd.Period],
    problems: list[str],
) -> None:
    d = cfg["dossiers"]
    if len(d["month_factors"]) != 12:
        problems.append("khoá «dossiers.month_factors» phải có đúng 12 số")
    if len(d["weekday_factors"]) != 5:
        problems.append("khoá «dossiers.weekday_factors» phải có đúng 5 số (thứ Hai–thứ Sáu)")
    for key in (
        "dossiers.channels.online_share",
        "dossiers.flags.digitised",
        "dossiers.flags.e_result",
        "dossiers.flags.paid_online",
        "dossiers.expected_per_year",
        "feedback.expected_per_year",
        "survey.respondents",
        "survey.expected_respondents",
        "index766.group1_range",
        "tasks.update_lag_days",
        "tasks.late_lag_days",
    ):
        node = cfg
        for part in key.split("."):
            node = node[part]
        if len(node) != 2 or not all(isinstance(v, (int, float)) for v in node):
            problems.append(f"khoá «{key}» phải là mảng hai số [đầu, cuối]")
    for key in (
        "dossiers.lateness.base",
        "dossiers.lateness.supplement_one",
        "dossiers.lateness.supplement_two",
        "dossiers.capacity.work_days",
    ):
        node = cfg
        for part in key.split("."):
            node = node[part]
        for diff in DIFFICULTIES:
            if not isinstance(node.get(diff), (int, float)) or node[diff] < 0:
                problems.append(f"khoá «{key}.{diff}» phải là số không âm")
    qset = {quarter_text(q) for q in quarters}
    known_codes = set(procs["procedure_code"]) if procs is not None else set()
    office_codes = set(offices["office_code"]) if offices is not None else set()
    for i, s in enumerate(d["mix"]["shifts"], start=1):
        _check_quarters(f"dossiers.mix.shifts[{i}]", s.get("quarters", []), qset, problems)
        if "difficulty" in s and s["difficulty"] not in DIFFICULTIES:
            problems.append(f"khoá «dossiers.mix.shifts[{i}].difficulty» phải là slow/normal/fast")
    for i, s in enumerate(d["surges"], start=1):
        _check_quarters(f"dossiers.surges[{i}]", s.get("quarters", []), qset, problems)
        bad = sorted(set(s.get("procedures", [])) - known_codes)
        if bad and known_codes:
            problems.append(f"khoá «dossiers.surges[{i}].procedures» có mã thủ tục lạ: " + ", ".join(bad))
    bad = sorted(set(d["mix"]["weights"]) - known_codes)
    if bad and known_codes:
        problems.append("khoá «dossiers.mix.weights» có mã thủ tục lạ: " + ", ".join(bad))
    for name, value in d["capacity"]["staff"].items():
        if office_codes and name not in office_codes:
            problems.append(f"khoá «dossiers.capacity.staff.{name}»: mã đơn vị lạ")
        elif not isinstance(value, (int, float)) or value <= 0:
            problems.append(f"khoá «dossiers.capacity.staff.{name}» phải là số dương")
    for i, o in enumerate(d["apology"]["overrides"], start=1):
        if office_codes and o.get("office") not in office_codes:
            problems.append(
                f"khoá «dossiers.apology.overrides[{i}].office»: mã đơn vị lạ «{o.get('office')}»"
            )
        if "from" in o:
            try:
                pd.Timestamp(str(o["from"]))
            except ValueError:
                problems.append(
                    f"khoá «dossiers.apology.overrides[{i}].from» phải là ngày dạng 2026-08-15 "
                    f"(đang là «{o['from']!r}»)"
                )
    for q in d["export"]["text_date_quarters"]:
        _check_quarters("dossiers.export.text_date_quarters", [q], qset, problems)
    factors = set(items["factor_code"]) if items is not None else set()
    s = cfg["survey"]
    for key in ("factor_means", "overall_weights"):
        missing = sorted(factors - set(s[key]))
        extra = sorted(set(s[key]) - factors)
        if missing:
            problems.append(f"khoá «survey.{key}» thiếu nhân tố: " + ", ".join(missing))
        if extra:
            problems.append(f"khoá «survey.{key}» có nhân tố lạ: " + ", ".join(extra))
    for i, sh in enumerate(s["shifts"], start=1):
        _check_quarters(f"survey.shifts[{i}]", sh.get("quarters", []), qset, problems)
        if "channel" in sh and sh["channel"] not in CHANNEL_NAMES.values():
            problems.append(
                f"khoá «survey.shifts[{i}].channel» phải là một trong: " + ", ".join(CHANNEL_NAMES.values())
            )
        if factors and sh.get("factor_code") not in factors:
            problems.append(f"khoá «survey.shifts[{i}].factor_code»: nhân tố lạ «{sh.get('factor_code')}»")
    for q in cfg["tasks"]["quarters"]:
        _check_quarters("tasks.quarters", [q], qset, problems)


def _check_quarters(key: str, values, qset: set[str], problems: list[str]) -> None:
    for v in values:
        try:
            text = quarter_text(parse_quarter(v))
        except ConfigError:
            problems.append(f"khoá «{key}»: quý «{v}» không đúng dạng YYYY-Qn")
            continue
        if text not in qset:
            problems.append(f"khoá «{key}»: quý «{v}» nằm ngoài khoảng của kịch bản")


def load_scenario(path) -> Scenario:
    """Read, validate and resolve a scenario TOML file.

    Raises ConfigError (Vietnamese, naming every bad key at once) when the file is missing,
    not valid TOML, has unknown keys or wrong types, or references unknown procedures,
    offices, factors or quarters; catalogue files are read relative to the scenario file.
    """
    path = Path(path).resolve()
    if not path.is_file():
        raise ConfigError(f"Không tìm thấy tệp kịch bản «{path}».")
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as err:
        raise ConfigError(f"Tệp kịch bản «{path.name}» không phải TOML hợp lệ: {err}") from err
    problems: list[str] = []
    body = {k: v for k, v in raw.items() if k not in ("procedures", "offices")}
    cfg = _merge(body, DEFAULTS, "", problems)
    meta = cfg["scenario"]
    quarters: list[pd.Period] = []
    for key in ("first_quarter", "last_quarter"):
        if not meta[key]:
            problems.append(f"thiếu khoá «scenario.{key}»")
    if not meta["name"]:
        problems.append("thiếu khoá «scenario.name»")
    if meta["first_quarter"] and meta["last_quarter"]:
        try:
            first, last = parse_quarter(meta["first_quarter"]), parse_quarter(meta["last_quarter"])
            quarters = list(pd.period_range(first, last, freq="Q"))
            if not quarters:
                problems.append("«scenario.last_quarter» phải sau «scenario.first_quarter»")
        except ConfigError as err:
            problems.append(f"khoá «scenario.first_quarter/last_quarter»: {err}")
    base = path.parent
    src = {k: _resolve_path(base, v) for k, v in cfg["sources"].items()}
    offices = _catalogue(raw, "offices", src["offices"], OFFICE_COLUMNS, "đơn vị", problems)
    procs_raw = _catalogue(raw, "procedures", src["procedures"], PROCEDURE_COLUMNS, "thủ tục", problems)
    procs = (
        _clean_procedures(procs_raw, offices, problems)
        if procs_raw is not None and offices is not None
        else None
    )
    items = None
    if src["survey_items"] is None:
        problems.append("thiếu khoá «sources.survey_items»")
    else:
        items = _read_csv(src["survey_items"], "câu hỏi khảo sát", problems)
        if items is not None and not {"item_code", "factor_code", "factor_name"} <= set(items.columns):
            problems.append("tệp câu hỏi khảo sát phải có cột item_code, factor_code, factor_name")
            items = None
    tasks = _read_csv(src["tasks"], "nhiệm vụ", problems) if src["tasks"] is not None else None
    if tasks is not None and not {"task_no", "due_date"} <= set(tasks.columns):
        problems.append("tệp nhiệm vụ phải có cột task_no, due_date")
    if cfg["tasks"]["quarters"] and tasks is None and src["tasks"] is None:
        problems.append("«tasks.quarters» cần khoá «sources.tasks»")
    calendar = None
    if src["holidays"] is None:
        problems.append("thiếu khoá «sources.holidays» (lịch ngày nghỉ)")
    elif not src["holidays"].is_file():
        problems.append(f"không tìm thấy tệp lịch nghỉ «{src['holidays']}»")
    _check_values(cfg, procs, offices, items, quarters, problems)
    if problems:
        raise ConfigError(f"Kịch bản «{path.name}» có lỗi:\n" + "\n".join(f"  - {p}" for p in problems))
    calendar = load_calendar(src["holidays"])
    if offices is not None:
        offices = offices.loc[:, list(OFFICE_COLUMNS)].reset_index(drop=True)
    sources = {k: v for k, v in src.items()}
    if "procedures" in raw:
        sources["procedures"] = None
    if "offices" in raw:
        sources["offices"] = None
    return Scenario(
        path=path,
        cfg=cfg,
        quarters=quarters,
        procedures=procs,
        offices=offices,
        calendar=calendar,
        survey_items=items,
        tasks=tasks,
        sources=sources,
    )


def ramp(pair, position: np.ndarray) -> np.ndarray:
    """Linear trend ``pair[0] -> pair[1]`` at ``position`` in [0, 1]."""
    a, b = float(pair[0]), float(pair[1])
    return a + (b - a) * np.clip(position, 0.0, 1.0)
