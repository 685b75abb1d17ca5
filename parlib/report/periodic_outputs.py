"""Files of the periodic CCHC report: its ``summary.json`` (every figure of the Word draft, one
value each) and the publication of the draft and the summary together.

Folder: ``<reports>/<year>-bc-<window id>/`` (``bc`` = báo cáo; distinct from the calendar
quarter's ``<year>-Q<q>/`` on case-insensitive file systems), files
``bao_cao_cchc_<year>_<id>.docx``, ``summary.json`` and ``bao_cao_cchc_<year>_<id>.manifest.json``
(input files with checksums, code version), staged and moved into place together.
"""

from __future__ import annotations

import math
from datetime import datetime, timezone

import pandas as pd

from parlib.core.io import ReportStage, code_version, input_record, write_json
from parlib.core.issues import ledger_summary
from parlib.model.results import SCHEMA_VERSION
from parlib.pipelines.periodic import PeriodicResult
from parlib.report.periodic_docx import build_document


def _r2(x):
    if x is None or x is pd.NA:
        return None
    try:
        f = float(x)
    except (TypeError, ValueError):
        return None
    return None if math.isnan(f) else round(f, 2)


def _pct(k: int, n: int):
    return round(100 * k / n, 2) if n else None


def _date(d):
    return None if d is None or pd.isna(d) else pd.Timestamp(d).date().isoformat()


def summary_json(res: PeriodicResult) -> dict:
    """Machine-readable figures of the window (contract in README, "Periodic report")."""
    f = res.figures
    prev = {r["kpi"]: r for r in f.previous.to_dict("records")} if not f.previous.empty else {}
    kpis = {}
    for r in f.kpis.to_dict("records"):
        p = prev.get(r["kpi"])
        kpis[r["kpi"]] = {
            "label": r["label"],
            "numerator": int(r["k"]),
            "denominator": int(r["n"]),
            "pct": _r2(r["pct"]),
            "ci_low_pct": _r2(r["ci_low_pct"]),
            "ci_high_pct": _r2(r["ci_high_pct"]),
            "target_pct": _r2(r["target_pct"]),
            "comparison": r["comparison"] if isinstance(r["comparison"], str) else None,
            "status": r["status"],
            "gap": r["gap_text"] or None,
            "previous": {"numerator": int(p["k"]), "denominator": int(p["n"]), "pct": _r2(p["pct"])}
            if p is not None
            else None,
        }
    offices = [
        {
            "office": o["office"],
            "handled": int(o["handled"]),
            "on_time": int(o["on_time"]),
            "late": int(o["late"]),
            "on_time_pct": _pct(int(o["on_time"]), int(o["handled"])),
            "owes_apology": int(o["owes_apology"]),
            "apology": int(o["apology"]),
            "apology_pct": _pct(int(o["apology"]), int(o["owes_apology"])),
            "not_updated": int(o["not_updated"]),
        }
        for o in f.offices.to_dict("records")
    ]
    feedback = None
    if f.feedback is not None:
        feedback = {
            "received": f.feedback["n_total"],
            "judged": f.feedback["n"],
            "on_time": f.feedback["k"],
            "pending": f.feedback["n_pending"],
            "on_time_pct": _pct(f.feedback["k"], f.feedback["n"]),
            "by_office": [
                {
                    "office": r["office"],
                    "received": int(r["n_total"]),
                    "judged": int(r["n"]),
                    "on_time": int(r["k"]),
                    "late": int(r["late"]),
                    "on_time_pct": _pct(int(r["k"]), int(r["n"])),
                }
                for r in f.feedback_offices.to_dict("records")
            ],
        }
    tasks = None
    if f.tasks is not None:
        tasks = {
            **f.tasks,
            "by_lead_office": [
                {k: (int(v) if k != "lead_office" else v) for k, v in r.items()}
                for r in f.tasks_by_office.to_dict("records")
            ],
            "late_tasks": [int(x) for x in f.late_tasks["task_no"]] if not f.late_tasks.empty else [],
            "items": [
                {
                    "task_no": int(t["task_no"]),
                    "lead_office": t["lead_office"],
                    "status": t["latest_status"],
                    "due_date": _date(t["due_date"]),
                    "is_due": bool(t["is_due"]),
                    "is_done": bool(t["is_done"]),
                    "is_late": bool(t["is_late"]),
                    "is_on_time": bool(t["is_on_time"]),
                }
                for t in f.task_progress.to_dict("records")
            ],
        }
    survey = None
    if f.survey is not None:
        survey = {
            "satisfied": f.survey["k"],
            "answered": f.survey["n"],
            "satisfied_pct": _pct(f.survey["k"], f.survey["n"]),
            "respondents": f.survey["n_respondents"],
            "undated": f.survey["n_undated"],
            "factors": [
                {
                    "code": x["code"],
                    "name": x.get("name", x["code"]),
                    "satisfied": x["k"],
                    "answers": x["n"],
                    "satisfied_pct": _pct(x["k"], x["n"]),
                }
                for x in f.survey["factors"]
            ],
        }
    actions = [
        {
            "kpi": a["kpi"],
            "owner": a["owner"] or None,
            "action": a["action_text"] or None,
            "deadline": _date(a["deadline_date"]),
            "deadline_basis": a["deadline_basis"],
            "is_drafted": bool(a["is_drafted"]),
        }
        for a in (f.actions.to_dict("records") if not f.actions.empty else [])
    ]
    led = ledger_summary(res.ledger) if not res.ledger.empty else pd.DataFrame()
    counts = res.issues["severity"].value_counts() if not res.issues.empty else pd.Series(dtype=int)
    vol = {k: v for k, v in f.volume.items()}
    return {
        "schema_version": SCHEMA_VERSION,
        "report": "periodic",
        "year": res.window.year,
        "window": res.window.to_dict(),
        "previous_window": f.previous_window.to_dict() if f.previous_window is not None else None,
        "unit_name": res.unit.get("name"),
        "is_illustrative": res.is_illustrative,
        "dossiers": vol,
        "kpis": kpis,
        "offices": offices,
        "feedback": feedback,
        "tasks": tasks,
        "survey": survey,
        "shortfalls": [
            {"kpi": s["kpi"], "status": s["status"], "where": s["where"], "reasons": s.get("reasons")}
            for s in f.shortfalls
        ],
        "actions": actions,
        "next_window": (f.actions["next_window"].iloc[0] or None) if not f.actions.empty else None,
        "issues": {k: int(counts.get(k, 0)) for k in ("error", "warning", "info")},
        "rows": {
            k: int(led[k].sum()) if not led.empty else 0 for k in ("read", "used", "rejected", "skipped")
        },
        "inputs": [res.rel(p) for p in res.inputs],
    }


def report_folder(res: PeriodicResult) -> str:
    return f"{res.window.year}-bc-{res.window.id}"


def docx_name(res: PeriodicResult) -> str:
    return f"bao_cao_cchc_{res.window.year}_{res.window.id}.docx"


def manifest(res: PeriodicResult) -> dict:
    """What the draft was built from: the window, every input file with its checksum, the code
    version and the time of the run."""
    return {
        "report": "periodic",
        "params": {"year": res.window.year, "window": res.window.id},
        "window": res.window.to_dict(),
        "inputs": [input_record(p, res.paths.data) for p in res.inputs],
        "code_version": code_version(),
        "created_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
    }


def write_periodic(res: PeriodicResult) -> list:
    """Write the draft, ``summary.json`` and ``<stem>.manifest.json`` into the report folder,
    together (staged; a failure leaves the previous files as they were). Returns the published
    paths (draft, summary, manifest)."""
    summary = summary_json(res)
    out_dir = res.paths.report_dir(report_folder(res))
    doc = build_document(summary, res)
    stem = docx_name(res).removesuffix(".docx")
    with ReportStage(out_dir) as stage:
        doc.save(stage.path(docx_name(res)))
        write_json(stage.path("summary.json"), summary)
        write_json(stage.path(f"{stem}.manifest.json"), manifest(res))
    return [out_dir / docx_name(res), out_dir / "summary.json", out_dir / f"{stem}.manifest.json"]
