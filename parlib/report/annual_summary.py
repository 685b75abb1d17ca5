"""``summary.json`` of the annual report (stable contract, README)."""

from __future__ import annotations

import pandas as pd

from parlib.core.issues import ledger_summary
from parlib.model.framework import level_word
from parlib.model.results import SCHEMA_VERSION, AnnualResult
from parlib.report.province import province_summary


def _r(x, nd: int = 2):
    return None if x is None or (isinstance(x, float) and pd.isna(x)) else round(float(x), nd)


def _nodes_json(t: pd.DataFrame) -> list[dict]:
    """The nodes of a level table (``loss_tables.level_table``) for summary.json."""
    return [
        {
            "code": str(r.code),
            "name": r.name,
            "points": _r(r.final_points),
            "max_points": _r(r.max_points),
            "points_lost": _r(r.points_lost),
            "index_pct": _r(r.pct_of_max),
        }
        for r in t.itertuples(index=False)
    ]


def summary_json(res: AnnualResult) -> dict:
    """The stable machine-readable summary (contract in README, ``summary.json``)."""
    s = res.summary
    stage = res.stages.set_index("stage")["points_lost"]
    counts = res.issues["severity"].value_counts() if not res.issues.empty else pd.Series(dtype=int)
    led = ledger_summary(res.ledger)
    out = {
        "schema_version": SCHEMA_VERSION,
        "report": "annual",
        "year": res.year,
        "unit_name": s.get("unit_name") or None,  # null, never "", when no unit is known
        "is_illustrative": res.is_illustrative,
        "total_points": _r(s.get("total_points")),
        "max_points": _r(s.get("max_points")),
        "index_pct": _r(s.get("index_pct")),
        "band": s.get("band"),
        "points_lost": _r(s.get("points_lost")),
        "bonus_points": _r(s.get("bonus_points")),
        "penalty_points": _r(s.get("penalty_points")),
        "loss_by_stage": {
            "not_claimed": _r(stage.get("not_claimed", 0.0)),
            "cut_at_appraisal": _r(stage.get("cut_round1", 0.0)),
            # the stage table signs 'regained' as a negative contribution to the loss;
            # the summary reports the points regained as a positive number
            "regained_after_explanation": _r(-stage.get("regained", 0.0)),
            "survey": _r(stage.get("survey", 0.0)),
            "unsplit": _r(stage.get("unsplit", 0.0)),
        },
        "fields": _nodes_json(res.fields),
        "levels": [
            {
                "depth": int(d),
                "level_name": level_word(res.level_names, d),
                "nodes": _nodes_json(t),
            }
            for d, t in res.levels.items()
        ],
        "top_losses": [
            {
                "code": str(r.code),
                "name": r.name,
                "points_lost": _r(r.points_lost),
                "max_points": _r(r.max_points),
                "owner_office": r.owner_office,
                "partner_offices": r.partner_offices,
                "stage": r.stage,
            }
            for r in res.top.itertuples(index=False)
        ],
        "issues": {k: int(counts.get(k, 0)) for k in ("error", "warning", "info")},
        "rows": {
            k: int(led[k].sum()) if not led.empty else 0 for k in ("read", "used", "rejected", "skipped")
        },
    }
    out["unit"] = res.unit.to_dict() if res.unit.name else None
    prov = province_summary(res.province)
    if prov is not None:
        out["province"] = prov
    if res.comparison is not None:
        out["comparison"] = res.comparison.summary_json()
    return out
