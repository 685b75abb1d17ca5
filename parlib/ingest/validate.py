"""One entry point per kind of raw file, for ``parlib validate``.

``check(kind, path, groups, paths)`` runs the reader of that kind on one file and returns
(issues, ledger). Structural problems raise (StructuralError / InputFormatError /
ConfigError) exactly as in a report run, so ``validate`` shows the same messages.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pandas as pd

from parlib.core.catalog import CONFIG_KINDS, KINDS, recognise_name
from parlib.core.errors import ConfigError
from parlib.core.issues import SEVERITY_VI, IssueLog, Ledger, issues_frame, ledger_summary
from parlib.core.paths import Paths
from parlib.ingest import validate as ingest
from parlib.ingest.calendar import load_calendar
from parlib.ingest.crosswalk import load_crosswalk
from parlib.ingest.dossier_columns import load_procedures
from parlib.ingest.dossiers import read_dossier_exports
from parlib.ingest.feedback import read_feedback
from parlib.ingest.framework import framework_of_year, load_framework, load_offices
from parlib.ingest.index766 import read_766
from parlib.ingest.province import read_province
from parlib.ingest.province_layout import load_unit_renames
from parlib.ingest.readers import read_csv_table
from parlib.ingest.scoresheet import validate_scoresheet_file
from parlib.ingest.spellings import load_header_spellings, province_layout_for
from parlib.ingest.survey import load_survey_items, read_survey
from parlib.ingest.tasks import read_tasks
from parlib.ingest.unit import read_unit_file
from parlib.ingest.windows import load_report_windows
from parlib.model.survey import SurveyConfig


def _frame(issues) -> pd.DataFrame:
    if isinstance(issues, IssueLog):
        return issues.to_frame()
    return issues if issues is not None else issues_frame()


def _sp(paths: Paths, kind: str) -> dict | None:
    return load_header_spellings(paths).get(kind)


def check(kind: str, path: Path, groups: tuple, paths: Paths) -> tuple[pd.DataFrame, pd.DataFrame]:
    name = paths.rel(path)
    if kind == "framework":
        offices_file = paths.config / "offices.csv"
        fw = load_framework(path, offices=load_offices(offices_file) if offices_file.exists() else None)
        led = Ledger()
        led.add(name, "used", len(fw.nodes))
        return issues_frame(), led.to_frame()
    if kind == "crosswalk":
        base, year = int(groups[0]), int(groups[1])
        cw = load_crosswalk(path, framework_of_year(paths, base), framework_of_year(paths, year))
        led = Ledger()
        led.add(name, "used", len(cw))
        return issues_frame(), led.to_frame()
    if kind == "scoresheet":
        issues, ledger = validate_scoresheet_file(path, paths)
        return _frame(issues), ledger
    if kind == "province":
        _, issues, ledger = read_province(
            path,
            int(groups[0]),
            display_name=name,
            layout=province_layout_for(paths, int(groups[0])),
            unit_aliases=load_unit_renames(paths),
        )
        return _frame(issues), ledger
    if kind == "dossiers":
        res = read_dossier_exports(
            [path],
            load_procedures(paths.config / "procedures.csv"),
            load_calendar(paths),
            data_dir=paths.data,
            spellings=load_header_spellings(paths).get("dossiers"),
        )
        return _frame(res.issues), res.ledger
    if kind == "feedback":
        _, issues, ledger = read_feedback([path], load_calendar(paths), spellings=_sp(paths, "feedback"))
        return _frame(issues), ledger
    if kind == "survey":
        data = read_survey(
            path,
            load_survey_items(paths.config / "survey_items.csv"),
            SurveyConfig(),
            display_name=name,
            spellings=_sp(paths, "survey"),
        )
        return _frame(data.issues), data.ledger
    if kind == "index766":
        _, issues, ledger = read_766([path], spellings=_sp(paths, "index766"))
        return _frame(issues), ledger
    if kind == "tasks":
        _, issues, ledger = read_tasks(
            paths.raw / "tasks" / f"nhiem_vu_{groups[0]}.csv", [path], spellings=load_header_spellings(paths)
        )
        return _frame(issues), ledger
    if kind in ("report_windows", "unit"):
        if kind == "report_windows":
            n_rows = len(load_report_windows(path, display_name=name))
        else:
            read_unit_file(path, display_name=name)
            n_rows = len(read_csv_table(path, display_name=name))
        led = Ledger()
        led.add(name, "used", n_rows)
        return issues_frame(), led.to_frame()
    raise ValueError(f"unknown kind {kind!r}")


# catalog kind -> the reader check of ``check`` (the plan's task list is read with its status files)
_CHECKS = {"task_status": "tasks"}


def recognise(path: Path) -> tuple[str, str, tuple]:
    """(check kind, Vietnamese label, name groups) of a raw file, by the catalog of raw inputs
    (names matched case-insensitively, copies such as «(1)» recognised)."""
    hit = recognise_name(path.name)
    if hit is None or hit[0].kind == "tasks":
        names = ", ".join(k.example for k in (*KINDS, *CONFIG_KINDS) if k.kind != "tasks")
        raise ConfigError(f"Không nhận ra loại tệp «{path.name}». Tên tệp cần theo mẫu: {names}.")
    kind, g, _ = hit
    groups = (
        ()
        if not g
        else (g["base"], g["year"])
        if "base" in g
        else (g["year"], g["quarter"])
        if g.get("quarter")
        else (g["year"],)
    )
    return _CHECKS.get(kind.kind, kind.kind), kind.label, groups


def check_file(path: Path, paths: Paths) -> tuple[str, pd.DataFrame, pd.DataFrame]:
    """Return (label, issues, ledger) for one file; raises on structural problems."""

    kind, label, groups = recognise(path)
    issues, ledger = ingest.check(kind, path, groups, paths)
    return label, issues_frame(issues.to_dict("records")) if len(issues) else issues_frame(), ledger


FIRST_PLACES = 5  # places shown per kind of problem (every place: the report's Excel file)


def validate_path(path: Path, paths: Paths) -> int:
    path = path.resolve()
    if not path.exists():
        raise ConfigError(f"Không tìm thấy tệp «{path}».")
    label, issues, ledger = check_file(path, paths)
    out = sys.stdout
    print(f"Tệp: {path.name} ({label})", file=out)
    if not ledger.empty:
        s = ledger_summary(ledger)
        print(
            f"Số dòng đọc: {int(s['read'].sum())} — dùng: {int(s['used'].sum())}, "
            f"loại: {int(s['rejected'].sum())}, bỏ qua (tiêu đề, dòng trống, dòng cộng…): "
            f"{int(s['skipped'].sum())}",
            file=out,
        )
    if issues.empty:
        print("Không phát hiện vấn đề nào.", file=out)
        return 0
    counts = issues["severity"].value_counts()
    print(
        "Vấn đề phát hiện: " + ", ".join(f"{SEVERITY_VI[k]}: {int(v)}" for k, v in counts.items()), file=out
    )
    # one line per kind of problem (severity and rule), with its count and the first places
    order = {"error": 0, "warning": 1, "info": 2}
    kinds = issues.assign(
        _o=issues["severity"].map(order), _k=issues["rule"].where(issues["rule"] != "", issues["message"])
    )
    for (_, sev, _), g in kinds.groupby(["_o", "severity", "_k"], sort=True):
        places = []
        for r in g.head(FIRST_PLACES).itertuples(index=False):
            where = ", ".join(
                x
                for x in [
                    f"trang «{r.sheet}»" if r.sheet else "",
                    f"ô {r.cell}" if r.cell else (f"dòng {r.row}" if pd.notna(r.row) else ""),
                    f"mã {r.code}" if r.code else "",
                ]
                if x
            )
            if where:
                places.append(where)
        more = f" … (và {len(g) - FIRST_PLACES} chỗ khác)" if len(g) > FIRST_PLACES else ""
        print(f"  - [{SEVERITY_VI[sev]}] {g['message'].iloc[0]} — {len(g)} lần", file=out)
        if places:
            print(f"      tại: {'; '.join(places)}{more}", file=out)
    return 1 if (issues["severity"] == "error").any() else 0
