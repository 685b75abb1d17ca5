"""Root-cause rows of a quarterly analysis: KPI-driven sub-criteria at risk, survey factors and
nodes scored from a single projected value.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from parlib.analysis.decompose import rollup
from parlib.analysis.outlook import remaining_volume
from parlib.analysis.rootcause.evidence import (
    DOSSIER_KPIS,
    EPS,
    MAX_SEGMENTS,
    Evidence,
    _compare,
    _compare_frames,
    _drivers,
    _node_info,
    _part_verdict,
    _rate,
    _record,
    _signal_start,
    _total,
    _windows,
    decompose,
    full_points_threshold,
    points_for,
    quarter_window,
    survey_factor_links,
    ytd_label,
)
from parlib.analysis.rootcause.sources import DossierSource, SurveySource
from parlib.analysis.stats import two_proportion_test
from parlib.core.labels import MEASURE_LABELS
from parlib.core.numbers import is_blank as _blank
from parlib.core.vnformat import fmt_int, fmt_pct, quarter_label


def kpi_node_rows(node: dict, src, year: int, quarter: int, ev: Evidence) -> None:
    """Rows of one KPI-driven node projected below its maximum (module docstring)."""
    code, kpi = str(node["code"]), src.kpi
    bw, nw = _windows(src, year, quarter, "ytd")
    k1, n1 = _total(src.counts(nw, []))
    k0, n0 = _total(src.counts(bw, []))
    ev.stakes[code] = year_end_stake(node, src, year, quarter, k1, n1)
    p1 = points_for(_rate(k1, n1), node)
    if math.isnan(p1):
        ev.notes.append(
            f"Tiêu chí {code}: chưa có số liệu «{MEASURE_LABELS.get(kpi, kpi)}» trong "
            f"{ytd_label(year, quarter)}; không đánh giá."
        )
        return
    at_risk = round(float(node["max_points"]) - p1, 2)
    if at_risk <= EPS:
        return
    p0 = points_for(_rate(k0, n0), node)
    change = round(min(at_risk, max(0.0, p0 - p1)), 2) if not math.isnan(p0) else 0.0
    if math.isnan(p0):
        ev.notes.append(
            f"Tiêu chí {code}: không có số liệu cùng kỳ năm {year - 1}; không kết luận về thay "
            "đổi so với năm trước."
        )
    if change > EPS:
        _change_rows(node, src, year, quarter, change, at_risk, ev)
    if at_risk - change > EPS:
        _shortfall_rows(node, src, year, quarter, round(at_risk - change, 2), at_risk, ev)


def year_end_stake(node: dict, src, year: int, quarter: int, k_ytd: float, n_ytd: float) -> float:
    """Points of ``node`` that would be lost against its maximum at year-end if the latest
    quarter's rate continued over the remaining months (their volume: the year to date scaled
    by last year's seasonality, :func:`parlib.analysis.outlook.remaining_volume`). NaN without
    year-to-date data."""
    if not n_ytd:
        return float("nan")
    kq, nq = _total(src.counts(_windows(src, year, quarter, "quarter")[1], []))
    rate_q = kq / nq if nq else k_ytd / n_ytd
    m = src.monthly(None)
    last_year = None
    if m is not None:
        when = pd.to_datetime(m["period_start"])
        last_year = m.loc[when.dt.year == year - 1].set_index(when[when.dt.year == year - 1].dt.month)["n"]
    big_n = remaining_volume(n_ytd, 3 * quarter, last_year)
    expected = 100.0 * (k_ytd + rate_q * big_n) / (n_ytd + big_n)
    pts = points_for(expected, node)
    return float("nan") if math.isnan(pts) else max(0.0, round(float(node["max_points"]) - pts, 2))


def _change_rows(node, src, year, quarter, change, at_risk, ev) -> None:
    code, kpi = str(node["code"]), src.kpi
    per_q = {}
    for q in range(1, quarter + 1):
        bw, nw = _windows(src, year, q, "quarter")
        per_q[q] = (
            src.counts(bw, src.fine).assign(quarter=q),
            src.counts(nw, src.fine).assign(quarter=q),
            nw,
        )
    pooled = decompose(
        pd.concat([v[0] for v in per_q.values()]),
        pd.concat([v[1] for v in per_q.values()]),
        ["quarter"] + src.fine,
    )
    delta = pooled.summary["delta"]
    if pooled.summary["status"] != "ok" or not delta < 0:
        row = _node_info(node, "at_risk", kpi, at_risk)
        bw, nw = _windows(src, year, quarter, "ytd")
        _compare_frames(row, src.counts(bw, []), src.counts(nw, []))
        row.update(
            points_explained=change,
            period=f"{year}-YTD",
            period_label=ytd_label(year, quarter),
            base_period_label=f"cùng kỳ năm {year - 1}",
            mix_or_performance="noise",
            evidence_note="Không phân tách được theo quý (số liệu theo quý không đủ hoặc không cùng chiều).",
        )
        ev.rows.append(row)
        return
    byq = rollup(pooled.table, "quarter").set_index("quarter")["total"]
    byqo = rollup(pooled.table, ["quarter", src.coarse])
    for q, (b, t, nw) in per_q.items():
        share_q = float(byq.get(q, np.nan)) / delta
        if not share_q > EPS:
            continue
        dq = decompose(b, t, src.fine)
        key, label = f"{year}-Q{q}", quarter_label(year, q)
        _record(ev, dq, code, kpi, key, label, src.coarse)
        verdict = dq.summary["verdict"]
        base = _node_info(node, "at_risk", kpi, at_risk)
        base.update(period=key, period_label=label, base_period_label=quarter_label(year - 1, q))
        if verdict in ("mix", "noise", "no_data"):
            row = _compare_frames(dict(base), b, t)
            row.update(
                points_explained=round(change * share_q, 4),
                mix_or_performance=verdict,
                p_value=dq.summary["delta_p"],
                segment_share_of_change=1.0,
                signal_start=_signal_start(src.monthly(None), *quarter_window(year, q)),
            )
            if verdict == "mix":
                row.update(_mix_segment(dq, src))
            ev.rows.append(row)
            continue
        model = src.model(nw)
        if model is not None:
            ev.models[(kpi, key)] = model
        own = rollup(dq.table, src.coarse).set_index(src.coarse)
        adverse = (
            byqo.loc[(byqo["quarter"] == q) & (byqo["total"] < 0)].sort_values("total").head(MAX_SEGMENTS)
        )
        for r in adverse.itertuples(index=False):
            seg = getattr(r, src.coarse)
            o = own.loc[seg]
            row = _compare(dict(base), o["k0"], o["n0"], o["k1"], o["n1"])
            row.update(
                points_explained=round(change * r.total / delta, 4),
                segment_dimension=src.dimension,
                segment=str(seg),
                segment_share_of_change=float(o["total"]) / dq.summary["delta"]
                if dq.summary["delta"]
                else np.nan,
                mix_or_performance=_part_verdict(float(o["mix"]), float(o["performance"])),
                signal_start=_signal_start(src.monthly(str(seg)), *quarter_window(year, q)),
                driver_terms=_drivers(model, str(seg)),
                top_procedures=_top_procedures(dq, src, seg),
                evidence_note=f"Cả Sở trong quý: {dq.summary['verdict_text']}.",
            )
            ev.rows.append(row)


def _top_procedures(dq, src, seg) -> str:
    """The (at most two) procedures of a segment whose change hurt the most."""
    if not isinstance(src, DossierSource):
        return ""
    t = dq.table.loc[(dq.table[src.coarse] == seg) & (dq.table["total"] < 0)].sort_values("total").head(2)
    return src.names(t["procedure_code"].astype(str)) if not t.empty else ""


def _mix_segment(dq, src) -> dict:
    """The segments whose growing share drove a mix change (adverse mix parts, top 2)."""
    t = dq.table.loc[dq.table["mix"] < 0].sort_values("mix").head(2)
    if t.empty or not dq.summary["delta"]:
        return {}
    col = src.fine[-1]
    codes = t[col].astype(str)
    return {
        "segment_dimension": col,
        "segment": "; ".join(codes),
        "top_procedures": src.names(codes) if isinstance(src, DossierSource) else "",
        "segment_share_of_change": float(t["mix"].sum()) / dq.summary["delta"],
    }


def _shortfall_rows(node, src, year, quarter, shortfall, at_risk, ev) -> None:
    kpi = src.kpi
    goal = full_points_threshold(node) / 100
    bw, nw = _windows(src, year, quarter, "ytd")
    now, base = src.counts(nw, [src.coarse]), src.counts(bw, [src.coarse])
    m = now.merge(base, on=src.coarse, how="left", suffixes=("1", "0")).fillna({"k0": 0, "n0": 0})
    N, K = float(m["n1"].sum()), float(m["k1"].sum())
    info = _node_info(node, "at_risk", kpi, at_risk)
    info.update(
        period=f"{year}-YTD",
        period_label=ytd_label(year, quarter),
        base_period_label=f"cùng kỳ năm {year - 1}",
        mix_or_performance="shortfall",
    )
    gap_total = goal - K / N if N else np.nan
    m["gap"] = (
        np.where(m["n1"] > 0, m["n1"] / N * (goal - m["k1"] / m["n1"].where(m["n1"] > 0)), 0.0) if N else 0.0
    )
    top = m.loc[m["gap"] > EPS].sort_values("gap", ascending=False).head(MAX_SEGMENTS)
    if not gap_total > EPS or top.empty:
        row = _compare_frames(dict(info), base, now)
        row.update(points_explained=shortfall, p_value=np.nan, is_adverse=False)
        ev.rows.append(row)
        return
    for r in top.to_dict("records"):
        row = _compare(dict(info), r["k0"], r["n0"], r["k1"], r["n1"])
        row.update(
            points_explained=round(shortfall * r["gap"] / gap_total, 4),
            segment_dimension=src.dimension,
            segment=str(r[src.coarse]),
            segment_share_of_change=r["gap"] / gap_total,
        )
        ev.rows.append(row)


def factor_rows(node: dict, src: SurveySource, year: int, quarter: int, ev: Evidence, alpha: float) -> None:
    """Rows of a survey-factor node: per quarter, the channel whose % satisfied fell the
    most significantly (raw p < alpha before the table-wide Holm); points not computable."""
    for q in range(1, quarter + 1):
        bw, nw = _windows(src, year, q, "quarter")
        b, t = src.counts(bw, ["channel"]), src.counts(nw, ["channel"])
        m = t.merge(b, on="channel", suffixes=("1", "0"))
        if m.empty:
            continue
        m["p"] = two_proportion_test(m["k_eff1"], m["n_eff1"], m["k_eff0"], m["n_eff0"])[1]
        m = m.loc[(m["k1"] / m["n1"] < m["k0"] / m["n0"]) & (m["p"] < alpha)].sort_values("p")
        if m.empty:
            continue
        r = m.iloc[0]
        row = _compare(
            _node_info(node, "at_risk", src.kpi, np.nan),
            r["k0"],
            r["n0"],
            r["k1"],
            r["n1"],
            eff=(r["k_eff0"], r["n_eff0"], r["k_eff1"], r["n_eff1"]),
        )
        # decision (domain brief §3: SIPAS points = SIPAS % ÷ 10, i.e. proportional to the %):
        # the fall would cost max × fall / 100 if the province's survey moved like the unit's
        share = float(r["n1"]) / float(t["n"].sum()) if t["n"].sum() else 1.0
        pts = round(float(node["max_points"]) * max(0.0, -row["change_pp"]) * share / 100, 2)
        row.update(
            points_explained=pts,
            points_at_stake=pts,
            period=f"{year}-Q{q}",
            period_label=quarter_label(year, q),
            base_period_label=quarter_label(year - 1, q),
            segment_dimension="channel",
            segment=str(r["channel"]),
            mix_or_performance="performance",
            measure_label=f"Tỷ lệ hài lòng với yếu tố «{node.get('factor_name') or src.kpi}» (khảo sát của Sở)",
            evidence_note="Tiêu chí chấm bằng điều tra xã hội học của tỉnh; khảo sát của Sở là chỉ báo sớm. "
            "Điểm ước tính theo quy tắc điểm = tỷ lệ hài lòng × điểm tối đa, nếu kết quả của tỉnh giảm "
            "tương tự ở kênh này (theo tỷ trọng của kênh).",
        )
        ev.rows.append(row)


def simple_row(
    node: dict,
    proj: dict,
    year: int,
    quarter: int,
    ev: Evidence,
    offices: tuple[str, str] = ("", ""),
    before: tuple | None = None,
    after: tuple | None = None,
) -> None:
    """A projected shortfall of a KPI without a counting source here (feedback, tasks, 766);
    ``offices``: (the office most responsible, a sentence naming every office) when known;
    ``before`` / ``after``: (k, n) of the same months last year and this year when known (the
    row then says how the measure moved)."""
    at_risk = proj.get("points_at_risk")
    if at_risk is None or pd.isna(at_risk) or at_risk <= EPS:
        return
    ev.stakes[str(node["code"])] = round(float(at_risk), 2)
    row = _node_info(node, "at_risk", str(node["kpi"]), float(at_risk))
    row.update(
        points_explained=float(at_risk),
        measure_after=proj.get("value_pct"),
        period=f"{year}-YTD",
        period_label=ytd_label(year, quarter),
        base_period_label="",
        mix_or_performance="shortfall",
        p_value=np.nan,
        evidence_note="Chưa có số liệu chi tiết của cùng kỳ năm trước để phân tách nguyên nhân; "
        "chỉ nêu phần điểm chưa đạt.",
    )
    if offices[0]:
        row.update(segment_dimension="office_name", segment=offices[0], evidence_note=offices[1])
    if before is not None and after is not None and before[1] and after[1]:
        _compare(row, before[0], before[1], after[0], after[1])
        last = (
            f"Cùng kỳ năm {year - 1}: {fmt_pct(_rate(*before))} ({fmt_int(before[0])}/{fmt_int(before[1])})."
        )
        row.update(
            base_period_label=f"cùng kỳ năm {year - 1}",
            evidence_note=(offices[1] + " " if offices[0] else "") + last,
        )
    ev.rows.append(row)


def late_task_offices(progress: pd.DataFrame | None) -> tuple[str, str]:
    """(lead office with most late tasks, sentence naming each lead office and its late tasks)."""
    if progress is None or progress.empty:
        return "", ""
    late = progress.loc[progress["is_late"]]
    if late.empty:
        return "", ""
    lead = late["lead_office"].fillna("(chưa giao)").astype(str)
    by = late.groupby(lead)["task_no"].apply(lambda s: ", ".join(map(str, sorted(s))))
    order = lead.value_counts().sort_index().sort_values(ascending=False, kind="stable").index
    text = "; ".join(f"{o}: nhiệm vụ số {by[o]}" for o in order)
    return str(order[0]), f"Nhiệm vụ chậm tiến độ theo đơn vị chủ trì — {text}."


def late_feedback_offices(fbk: pd.DataFrame | None, period_key: str) -> tuple[str, str]:
    """(office with most feedback answered late in the year to date, sentence naming each)."""
    if fbk is None or fbk.empty or "office_name" not in fbk.columns:
        return "", ""
    f = fbk.loc[(fbk["by"] == "office") & (fbk["kpi"] == "feedback_on_time_pct")].copy()
    if f.empty:
        return "", ""
    f["late"] = (f["n"] - f["k"]).astype(int)
    f = f.loc[f["late"] > 0].sort_values(["late", "office_name"], ascending=[False, True])
    if f.empty:
        return "", ""
    text = "; ".join(
        f"{o}: {n} phản ánh, kiến nghị trả lời trễ hạn" for o, n in zip(f["office_name"], f["late"])
    )
    return str(f["office_name"].iloc[0]), f"Phản ánh, kiến nghị trả lời trễ hạn theo phòng — {text}."


def feedback_ytd(fbk: pd.DataFrame | None, by: str) -> tuple | None:
    """(k, n) of the on-time feedback KPI of the year to date (``by='ytd'``) or of the same
    months last year (``'ytd_last_year'``); None when absent."""
    if fbk is None or fbk.empty:
        return None
    f = fbk.loc[(fbk["by"] == by) & (fbk["kpi"] == "feedback_on_time_pct")]
    return (float(f["k"].iloc[-1]), float(f["n"].iloc[-1])) if not f.empty else None


def early_warning_rows(q, nodes: pd.DataFrame, ev: Evidence) -> None:
    """A row for each office whose KPI got significantly worse against its own baseline
    (``q.office_watch``, :mod:`parlib.analysis.offices`) and is not already a row of that KPI,
    office and period (the quarter or the year to date): it may cost no points yet, but it is
    never dropped."""
    w = q.office_watch
    if w is None or w.empty:
        return
    worse = w.loc[w["verdict"] == "worse"].sort_values("p_value", kind="stable")
    seen = {
        (r["measure"], r["segment"], r["period"])
        for r in ev.rows
        if r.get("segment_dimension") == "office_name"
    }
    for r in worse.drop_duplicates(["kpi", "office_name", "period"]).to_dict("records"):
        if (r["kpi"], r["office_name"], r["period"]) in seen:
            continue
        match = nodes.loc[nodes["kpi"].astype(str).str.strip() == r["kpi"]]
        if match.empty:
            continue
        node = match.iloc[0].to_dict()
        row = _compare(
            _node_info(node, "early_warning", r["kpi"], np.nan),
            r["k_base"],
            r["n_base"],
            r["k_now"],
            r["n_now"],
        )
        start, end = (
            (pd.Timestamp(q.period.year, 1, 1) if r["scope"] == "ytd" else q.period.start),
            q.period.end,
        )
        row.update(
            points_explained=np.nan,
            p_value=r["p_value"],
            period=r["period"],
            period_label=r["period_label"],
            base_period_label=r["baseline_label"],
            segment_dimension="office_name",
            segment=r["office_name"],
            mix_or_performance=r["mix_or_performance"] or "performance",
            top_procedures=r["top_procedures"],
            signal_start=_signal_start(_office_monthly(q, r["kpi"], r["office_name"]), start, end),
            evidence_note=f"So với mức của chính phòng ({r['baseline_label']}), kiểm định chính xác Fisher; "
            "chưa chắc đã làm mất điểm, nhưng cần xử lý sớm.",
        )
        ev.rows.append(row)


def _office_monthly(q, kpi: str, office: str) -> pd.DataFrame | None:
    m = q.kpis.loc[
        (q.kpis["period_kind"] == "month")
        & (q.kpis["kpi"] == kpi)
        & (q.kpis["dimension"] == "office_name")
        & (q.kpis["group"] == office)
    ]
    return m.sort_values("period_start")[["period_start", "k", "n"]] if not m.empty else None


def quarterly_rows(q, items, ev: Evidence, alpha: float) -> None:
    """Every at-risk row of a quarterly result (``parlib.quarterly.QuarterlyResult``)."""
    fw = q.framework
    year, quarter = q.period.year, q.period.quarter
    if fw is None:
        ev.notes.append(f"Chưa có khung tiêu chí năm {year}: không dự báo được tiêu chí có nguy cơ mất điểm.")
        return
    nodes = fw.nodes.loc[fw.nodes["is_leaf"]]
    proj = {str(r["code"]): r for r in q.projection.to_dict("records")} if q.projection is not None else {}
    has_dossiers = q.dossiers is not None and not q.dossiers.empty
    counter = q.extra.get("dossier_counter") if has_dossiers else None
    if counter is not None:  # every window the rows below count, in one scan
        counter.prefetch(
            [w for q_ in range(1, quarter + 1) for w in _windows(None, year, q_, "quarter")]
            + list(_windows(None, year, quarter, "ytd"))
        )
    for node in nodes.loc[~nodes["kpi"].map(_blank) & ~nodes["rule"].map(_blank)].to_dict("records"):
        kpi = str(node["kpi"]).strip()
        if kpi in DOSSIER_KPIS and has_dossiers:
            src = DossierSource(kpi, q.dossiers, q.calendar, q.kpis, ev.cache, q.kpi_rules, counter)
            kpi_node_rows(node, src, year, quarter, ev)
        elif kpi == "satisfaction_pct" and q.survey_table is not None:
            kpi_node_rows(node, SurveySource(q.survey_table), year, quarter, ev)
        else:
            offices = (
                late_task_offices(q.task_progress)
                if kpi == "tasks_on_time_pct"
                else late_feedback_offices(q.feedback_kpis, q.period.key)
                if kpi == "feedback_on_time_pct"
                else ("", "")
            )
            before = after = None
            if kpi == "feedback_on_time_pct":
                before, after = (
                    feedback_ytd(q.feedback_kpis, "ytd_last_year"),
                    feedback_ytd(q.feedback_kpis, "ytd"),
                )
            simple_row(node, proj.get(str(node["code"]), {}), year, quarter, ev, offices, before, after)
    if q.survey_table is not None and items is not None:
        names = items.drop_duplicates("factor_code").set_index("factor_code")["factor_name"]
        for code, factor in survey_factor_links(nodes, items).items():
            node = nodes.loc[nodes["code"] == code].iloc[0].to_dict() | {"factor_name": names.get(factor)}
            factor_rows(node, SurveySource(q.survey_table, "factor", factor), year, quarter, ev, alpha)
    if has_dossiers:
        early_warning_rows(q, nodes, ev)
    for row in ev.rows:  # every row of a node carries the node's points at stake by year-end
        if row.get("points_at_stake") is None:
            row["points_at_stake"] = ev.stakes.get(str(row["code"]), np.nan)
