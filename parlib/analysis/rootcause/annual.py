"""Root-cause rows of an annual analysis: every sub-criterion whose points fell against the base
year, with its stage, reason category and operational evidence.
"""

from __future__ import annotations

import numpy as np

from parlib.analysis.causes import classify_reasons
from parlib.analysis.decompose import rollup
from parlib.analysis.rootcause.evidence import (
    DOSSIER_KPIS,
    EPS,
    Evidence,
    _compare,
    _compare_frames,
    _node_info,
    _part_verdict,
    _pct_text,
    _record,
    _signal_start,
    _windows,
    decompose,
    survey_factor_links,
    ytd_label,
    ytd_window,
)
from parlib.analysis.rootcause.reconcile import cause_drops
from parlib.analysis.rootcause.sources import DossierSource, SurveySource
from parlib.core.labels import STAGE_VI
from parlib.core.numbers import is_blank as _blank
from parlib.core.vnformat import fmt_num


def _stage(loss: dict) -> tuple[str, str]:
    """(stage id, Vietnamese detail) of a node's lost points in the target year."""

    parts = {
        "not_claimed": float(loss.get("not_claimed_points") or 0.0),
        "cut_at_appraisal": float(loss.get("cut_round1_points") or 0.0)
        - float(loss.get("regained_points") or 0.0),
        "survey": float(loss.get("survey_points") or 0.0),
    }
    if max(parts.values()) <= EPS:
        return "none", ""
    stage = max(parts, key=parts.get)
    detail = "; ".join(f"{STAGE_VI[k]}: {fmt_num(v)} điểm" for k, v in parts.items() if v > EPS)
    return stage, detail


def _evidence_window(annual_year: int, quarterly) -> int | None:
    """Last quarter of ``annual_year`` covered by the quarterly result's data, else None."""
    if quarterly is None:
        return None
    if annual_year == quarterly.period.year:
        return quarterly.period.quarter
    return 4 if annual_year < quarterly.period.year else None


def _annual_evidence(row: dict, src, year: int, quarter: int, ev: Evidence) -> None:
    """Same months of both years: change, leading segment, verdict (pooled decomposition)."""
    bw, nw = _windows(src, year, quarter, "ytd")
    b, t = src.counts(bw, src.fine), src.counts(nw, src.fine)
    _compare_frames(row, b, t)
    row.update(
        period=f"{year}-YTD",
        period_label=ytd_label(year, quarter),
        base_period_label=f"cùng kỳ năm {year - 1}",
        evidence_note=f"Chỉ số so sánh {ytd_label(year, quarter)} với cùng kỳ năm {year - 1}.",
    )
    if not (row["n_before"] and row["n_after"]):
        row.update(
            evidence_note=f"Không có số liệu «{row['measure_label']}» của cả hai kỳ để đối chiếu; không kết "
            "luận về chỉ số.",
            p_value=np.nan,
            is_adverse=False,
        )
        return
    dec = decompose(b, t, src.fine)
    _record(ev, dec, row["code"], src.kpi, f"{year}-YTD", ytd_label(year, quarter), src.coarse)
    row["p_value"] = dec.summary["delta_p"]
    whole = (
        f"Toàn Sở: {_pct_text(row['measure_before'])} → {_pct_text(row['measure_after'])} "
        f"({ytd_label(year, quarter)} so với cùng kỳ năm {year - 1}); {dec.summary['verdict_text']}."
    )
    if not row["is_adverse"]:
        row.update(
            mix_or_performance="noise",
            evidence_note=whole + " Chỉ số không giảm; điểm giảm không giải thích được bằng chỉ số này.",
        )
        return
    own = rollup(dec.table, src.coarse)
    lead = own.loc[own["total"] < 0].sort_values("total").head(1)
    row.update(mix_or_performance=dec.summary["verdict"], evidence_note=whole)
    if not lead.empty:  # the row then describes its leading segment (like the quarterly rows)
        r = lead.iloc[0]
        _compare(row, r["k0"], r["n0"], r["k1"], r["n1"])
        row.update(
            segment_dimension=src.dimension,
            segment=str(r[src.coarse]),
            segment_share_of_change=float(r["total"]) / dec.summary["delta"],
            mix_or_performance=_part_verdict(float(r["mix"]), float(r["performance"])),
        )
    row["signal_start"] = _signal_start(src.monthly(None), *ytd_window(year, quarter))


def annual_rows(annual, quarterly, keywords, ev: Evidence, alpha: float, items=None) -> None:
    """Every year-over-year decrease of an annual result with a comparison."""

    comp = annual.comparison
    if comp is None:
        ev.notes.append(
            f"Chưa so sánh năm {annual.year} với năm trước: chưa xác định được tiêu chí giảm điểm."
        )
        return
    d = comp.decomposition
    drops = cause_drops(d)  # each fallen sub-criterion once; a fall that rounds to 0,00 is not a cause
    nodes = {str(r["code"]): r for r in annual.framework.nodes.to_dict("records")}
    loss = {str(r["code"]): r for r in annual.loss.to_dict("records")}
    scores = (
        annual.scores.assign(code=annual.scores["code"].astype(str)).drop_duplicates("code").set_index("code")
    )
    reasons = scores["reason"].reindex(drops["code"].astype(str)).reset_index(drop=True)
    cls = classify_reasons(reasons, keywords)
    quarter = _evidence_window(annual.year, quarterly)
    links, factor_names = {}, {}
    if quarterly is not None and quarterly.survey_table is not None and items is not None:
        links = survey_factor_links(annual.framework.nodes, items)
        factor_names = dict(zip(items["factor_code"], items["factor_name"]))
    for i, r in enumerate(drops.to_dict("records")):
        code = str(r["code"])
        node = nodes.get(code, {"code": code, "name": r.get("name"), "owner_office": r.get("owner_office")})
        kpi = None if _blank(node.get("kpi")) else str(node["kpi"]).strip()
        measure = kpi or links.get(code) or ""
        row = _node_info(node, "year_over_year", measure, -float(r["performance_points"]))
        if measure in factor_names:
            row["measure_label"] = f"Tỷ lệ hài lòng với yếu tố «{factor_names[measure]}» (khảo sát của Sở)"
        stage, detail = _stage(loss.get(code, {}))
        c = cls.iloc[i]
        row.update(
            points_explained=-float(r["performance_points"]),
            stage=stage,
            stage_detail=detail,
            reason=c["reason"],
            reason_category=c["category"],
            reason_category_name=c["category_name"],
            period=str(annual.year),
            period_label=f"năm {annual.year}",
            base_period_label=f"năm {comp.base_year}",
            mix_or_performance="",
        )
        src = None
        if quarter is not None and measure:
            if measure in DOSSIER_KPIS and quarterly.dossiers is not None and not quarterly.dossiers.empty:
                src = DossierSource(
                    measure,
                    quarterly.dossiers,
                    quarterly.calendar,
                    quarterly.kpis,
                    ev.cache,
                    quarterly.kpi_rules,
                )
            elif measure == "satisfaction_pct" and quarterly.survey_table is not None:
                src = SurveySource(quarterly.survey_table)
            elif measure in links.values() and quarterly.survey_table is not None:
                src = SurveySource(quarterly.survey_table, "factor", measure)
        if src is not None:
            _annual_evidence(row, src, annual.year, quarter, ev)
        elif measure:
            row["evidence_note"] = (
                f"Chưa có số liệu vận hành «{row['measure_label']}» của năm {annual.year} và "
                f"{comp.base_year} để đối chiếu; không kết luận về chỉ số."
            )
        ev.rows.append(row)
