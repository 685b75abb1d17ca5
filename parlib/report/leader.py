"""“Tóm tắt cho lãnh đạo”: one A4 page at the top of every report (issue 15).

* Annual and comparison: total, index, band, rank; the change from the base year in at most
  ``LEADER_LINES`` lines that add up to it (the largest falls one by one, the rest grouped),
  each fall with why in one sentence, one lead office, the action and a dated deadline.
* Quarterly: the plan's targets (met / at risk / missed / no data, with the chance of meeting
  each by 31/12) and the causes a director acts on first, with the points at stake by year-end.

Plain Vietnamese only: no p-values, intervals or model terms (those are in the appendix).
Every figure is read from the result objects (one number per fact).
"""

from __future__ import annotations

import html
import re
from decimal import Decimal

import pandas as pd

from parlib.analysis.rootcause.leader import LEADER_LINES, leader_causes
from parlib.core.labels import DEPARTMENT_FIGURES
from parlib.core.numbers import is_missing, round_half_up_decimal
from parlib.core.text import without_procedure_codes
from parlib.core.vnformat import MISSING, fmt_num, fmt_pct, fmt_points, fmt_probability
from parlib.report.display import _esc, table
from parlib.report.province import rank_phrase

QUARTER_LINES = 3  # the page also holds the targets table and the lines up to the total: one A4 page
_PREFIX = re.compile(r"^[^:]{2,80}:\s+")


def _office(r: dict) -> str:
    """The one office that acts: the office where the measure moved, with the sub-criterion's
    owner named beside it when that is another office (the owner answers for the criterion)."""
    owner = str(r.get("owner_office") or "")
    if r.get("segment_dimension") == "office_name" and r.get("segment"):
        seg = str(r["segment"])
        return seg if not owner or owner == seg else f"{seg} (tiêu chí do {owner} chủ trì)"
    return owner or MISSING


def _action(r: dict) -> str:
    """The rule's action without its leading "Office:" (the office has its own column)."""
    text = str(r.get("action_text") or "").strip()
    text = _PREFIX.sub("", text, count=1) if text else ""
    return (text[:1].upper() + text[1:]) if text else "Rà soát nguyên nhân và đề xuất giải pháp khắc phục."


def _where(r: dict) -> str:
    seg = r.get("segment")
    if not seg or r.get("measure") in DEPARTMENT_FIGURES:  # the figure is the department's
        return ""
    if r.get("segment_dimension") == "office_name":
        return f" của {seg}"
    if r.get("segment_dimension") == "channel":
        return f" (kênh {seg})"
    return ""


def why(r: dict) -> str:
    """Why, in one plain sentence (no statistics)."""
    label = str(r.get("measure_label") or "").strip()
    before, after = r.get("measure_before"), r.get("measure_after")
    if (
        r.get("kind") == "year_over_year"
        and r.get("reason_category_name")
        and (not label or not r.get("is_adverse"))
    ):
        stage = {"cut_at_appraisal": "bị trừ khi thẩm định", "not_claimed": "chưa tự chấm đủ", "survey": ""}
        s = stage.get(str(r.get("stage")), "")
        reason = str(r["reason_category_name"]).strip().rstrip(".")
        return f"{s[:1].upper() + s[1:]}: {reason[:1].lower() + reason[1:]}." if s else f"{reason}."
    if label and not is_missing(after) and not is_missing(before):
        worse = "giảm" if after < before else "tăng"
        out = (
            f"{label}{_where(r)} {worse} từ {fmt_pct(before)} ({r.get('base_period_label') or 'kỳ trước'}) "
            f"xuống {fmt_pct(after)} ({r.get('period_label') or ''})"
            if after < before
            else f"{label}{_where(r)} đạt {fmt_pct(after)} ({r.get('period_label') or ''}), chưa đạt mức tối đa"
        )
        del worse
        if r.get("mix_or_performance") == "mix":
            out += ", chủ yếu do cơ cấu thủ tục thay đổi"
        elif r.get("top_procedures"):
            first = without_procedure_codes(str(r["top_procedures"]).split(";")[0])
            out += f", tập trung ở thủ tục «{first}»"
        return out + "."
    if label and not is_missing(after):
        return (
            f"{label}{_where(r)} đạt {fmt_pct(after)} ({r.get('period_label') or ''}), chưa đạt mức tối đa."
        )
    note = str(r.get("evidence_note") or "").strip()
    return note.split(". ")[0].rstrip(".") + "." if note else "Chưa đủ số liệu để xác định nguyên nhân."


def actions_table(
    rc, *, points: str, points_label: str, n: int = LEADER_LINES, seen: set | None = None
) -> pd.DataFrame:
    """The leader's action lines: one per cause (``leader_causes``), in rank order. A
    sub-criterion's points are shown on its first line only (``seen``: codes already shown
    above, e.g. on the summary page): the others say so, so nothing is counted twice."""
    rows = leader_causes(rc.table, n).to_dict("records") if rc is not None else []
    before = set(seen or ())
    seen = set(before)
    shown = []
    for r in rows:
        code = str(r["code"])
        shown.append(
            ("(đã tính ở phần tóm tắt)" if code in before else "(đã tính ở dòng trên)")
            if code in seen
            else (fmt_num(r.get(points)) if not is_missing(r.get(points)) else MISSING)
        )
        seen.add(code)
    return pd.DataFrame(
        {
            # the cause's rank, as in Excel («Nguyên nhân») and summary.json
            "Hạng": [
                str(int(r["rank"])) if not is_missing(r.get("rank")) else str(i)
                for i, r in enumerate(rows, start=1)
            ],
            "Vấn đề (tiêu chí): vì sao": [f"{r['code']} {r.get('name') or ''}: {why(r)}" for r in rows],
            points_label: shown,
            "Phòng chủ trì": [_office(r) for r in rows],
            "Việc cần làm": [_action(r) for r in rows],
            "Hạn": [str(r.get("action_deadline") or MISSING) for r in rows],
        }
    )


# ---------------------------------------------------------------- annual / comparison


def change_lines(rc, n: int = LEADER_LINES) -> tuple[pd.DataFrame, dict]:
    """At most ``n`` lines that add up to the printed change of the total: the largest falls
    one by one, then the other falls, the increases, the framework effect, bonus/penalty and
    rounding (only those not 0). Returns (display table, the reconciliation)."""
    rec = rc.reconciliation
    d = lambda x: round_half_up_decimal(float(x), 2)  # noqa: E731
    tail = [
        ("increases", "Các tiêu chí tăng điểm", rec["n_increases"]),
        ("framework_effect", "Thay đổi của bộ tiêu chí (tiêu chí mới, bãi bỏ, đổi điểm tối đa)", None),
        ("bonus_penalty_change", "Thay đổi điểm thưởng / điểm trừ", None),
        ("rounding", "Chênh lệch do làm tròn", None),
    ]
    tail = [t for t in tail if d(rec[t[0]]) != 0]
    drops = rc.table.loc[rc.table["kind"] == "year_over_year"].to_dict("records")
    keep = max(1, n - len(tail) - (1 if len(drops) > n - len(tail) else 0))
    shown, rest = drops[:keep], drops[keep:]
    lines = []
    for r in shown:
        lines.append(
            {
                "Khoản (tiêu chí): vì sao": f"{r['code']} {r.get('name') or ''}: {why(r)}",
                "Điểm": -d(r["points_explained"]),
                "Phòng chủ trì": _office(r),
                "Việc cần làm": _action(r),
                "Hạn": str(r.get("action_deadline") or MISSING),
            }
        )
    if rest:
        other = d(rec["decreases"]) - sum((line["Điểm"] for line in lines), Decimal(0))
        lines.append(
            {
                "Khoản (tiêu chí): vì sao": f"Các tiêu chí giảm điểm khác ({len(rest)} tiêu chí, xem bảng nguyên nhân)",
                "Điểm": other,
                "Phòng chủ trì": "",
                "Việc cần làm": "",
                "Hạn": "",
            }
        )
    for key, label, count in tail:
        lines.append(
            {
                "Khoản (tiêu chí): vì sao": label + (f" ({count} tiêu chí)" if count else ""),
                "Điểm": d(rec[key]),
                "Phòng chủ trì": "",
                "Việc cần làm": "",
                "Hạn": "",
            }
        )
    total = sum((line["Điểm"] for line in lines), Decimal(0))
    if total != d(rec["total_change"]):  # a bug, not a data problem
        raise AssertionError(f"leader change lines add up to {total}, not {rec['total_change']}")
    lines.append(
        {
            "Khoản (tiêu chí): vì sao": "Tổng thay đổi (cộng các dòng trên)",
            "Điểm": total,
            "Phòng chủ trì": "",
            "Việc cần làm": "",
            "Hạn": "",
        }
    )
    out = pd.DataFrame(lines)
    out["Điểm"] = [fmt_num(float(x), sign=True) for x in out["Điểm"]]
    return out, rec


def _headline_annual(res) -> list[str]:
    s = res.summary
    total = s.get("total_points")
    parts = []
    if res.printed_total is not None and not is_missing(res.printed_total):
        parts.append(
            f"Tổng điểm năm {res.year} (bảng điểm chính thức): <strong>{fmt_points(res.printed_total)}</strong>"
        )
        if total is not None and abs(float(total) - float(res.printed_total)) >= 0.005:
            parts.append(
                f"cộng lại từ các tiêu chí thành phần được {fmt_points(total)} — chênh "
                f"{fmt_points(abs(float(total) - float(res.printed_total)))} giữa tổng in trên bảng điểm và "
                "tổng các tiêu chí (xem mục «Chất lượng dữ liệu»)"
            )
    elif total is not None:
        parts.append(f"Tổng điểm năm {res.year}: <strong>{fmt_points(total)}</strong>")
    if not is_missing(s.get("index_pct")):
        parts.append(f"chỉ số {fmt_pct(s['index_pct'], 2)}")
    if s.get("band"):
        parts.append(f"xếp loại {_esc(s['band'])}")
    pos = getattr(res, "province", None)
    if pos and pos.get("rank") is not None and not is_missing(pos.get("rank")):
        parts.append(
            rank_phrase(
                int(pos["rank"]), int(pos["n_units"]), res.unit, is_partial=bool(pos.get("is_partial"))
            )
        )
    return ["; ".join(parts) + "."]


def _printed_base_note(comp, base_total) -> str:
    """When the base year's scoresheet printed another grand total than its criteria add up to: the
    printed figure beside the recomputed one, so a reader holding last year's report finds it."""
    printed = getattr(comp, "base_printed_total", None)
    if printed is None or is_missing(printed) or abs(float(printed) - float(base_total)) < 0.005:
        return ""
    return (
        f"; bảng điểm năm {comp.base_year} in tổng {fmt_points(printed)}, chênh "
        f"{fmt_points(abs(float(printed) - float(base_total)))} so với tổng các tiêu chí — xem mục «Chất lượng dữ liệu»"
    )


def annual_summary(res, rc) -> str:
    """The annual report's summary page (also the comparison report's)."""
    out = ['<section class="par-leader">', "<h2>Tóm tắt cho lãnh đạo</h2>"]
    out += [f"<p>{line}</p>" for line in _headline_annual(res)]
    if rc is not None and rc.reconciliation is not None:
        lines, rec = change_lines(rc)
        comp = res.comparison
        verb = "giảm" if rec["total_change"] < 0 else "tăng" if rec["total_change"] > 0 else "không đổi"
        out.append(
            f"<p>So với năm {comp.base_year}: tổng điểm {verb} <strong>{fmt_points(abs(rec['total_change']))}"
            f"</strong> ({fmt_num(rec['base_total'])} → {fmt_num(rec['target_total'])} điểm, tổng cộng lại "
            f"từ các tiêu chí{_printed_base_note(comp, rec['base_total'])}). Các dòng dưới đây cộng lại đúng bằng "
            "mức thay đổi đó.</p>"
        )
        out.append(
            table(lines, caption=f"Vì sao tổng điểm thay đổi so với năm {comp.base_year}", css="par-change")
        )
        if not rc.persistent.empty:
            p = rc.persistent
            out.append(
                f"<p>Ngoài ra, {len(p)} tiêu chí thiếu điểm cả hai năm (không phải nguyên nhân của thay đổi), "
                f"nhiều nhất: {_esc(p['code'].iloc[0])} {_esc(p['name'].iloc[0])} "
                f"(thiếu {fmt_points(p['lost_target'].iloc[0])}).</p>"
            )
    elif res.comparison is None:
        out.append(
            "<p>Chưa có bảng điểm năm trước để so sánh: báo cáo chỉ phân tích điểm bị mất trong năm.</p>"
        )
    out.append("</section>")
    return "".join(out)


# ---------------------------------------------------------------- quarterly


def targets_table(res) -> pd.DataFrame:
    """The plan's targets: year to date, target, status and the chance of meeting it by 31/12."""
    st = res.status.loc[(res.status["period_kind"] == "ytd") & (res.status["dimension"] == "all")]
    ol = res.outlook
    prob = (
        ol.loc[ol["group"] == ""].set_index("kpi")["probability_met"]
        if ol is not None and not ol.empty
        else pd.Series(dtype=float)
    )
    return pd.DataFrame(
        {
            "Chỉ tiêu của Kế hoạch": st["label"],
            "Lũy kế": [fmt_pct(p) if not is_missing(p) else "chưa có số liệu" for p in st["pct"]],
            "Mục tiêu": [fmt_pct(t, 0 if float(t).is_integer() else 1) for t in st["target_pct"]],
            "Tình trạng": st["status_vi"],
            "Khả năng đạt cả năm": [
                fmt_probability(prob.get(k)) if not is_missing(prob.get(k)) else MISSING for k in st["kpi"]
            ],
        }
    )


def year_end_stake_total(rc) -> float | None:
    """Σ over the sub-criteria of the cause table of the points at stake by year-end (each
    sub-criterion once: its rows share the node's figure)."""
    if rc is None or rc.table.empty:
        return None
    s = pd.to_numeric(rc.table.drop_duplicates("code")["points_at_stake"], errors="coerce").dropna()
    return round(float(s.sum()), 2) if len(s) else None


def stake_rest_lines(rc, stake: float, columns: list[str], n: int = QUARTER_LINES) -> pd.DataFrame:
    """The lines under the first actions that make them add up to the points at stake: the other
    sub-criteria (named, largest first, with their points) and the total."""
    d = lambda x: round_half_up_decimal(float(x), 2)  # noqa: E731
    shown = {str(c) for c in leader_causes(rc.table, n)["code"]}
    nodes = rc.table.drop_duplicates("code").assign(
        stake_=lambda t: pd.to_numeric(t["points_at_stake"], errors="coerce")
    )
    nodes = nodes.loc[nodes["stake_"].notna()]
    rest = nodes.loc[~nodes["code"].astype(str).isin(shown) & (nodes["stake_"] > 0)].sort_values(
        "stake_", ascending=False
    )
    blank = dict.fromkeys(columns, "")
    out = []
    if not rest.empty:
        named = ", ".join(f"{r.code} ({fmt_num(r.stake_)})" for r in rest.head(4).itertuples())
        more = f" và {len(rest) - 4} tiêu chí khác" if len(rest) > 4 else ""
        out.append(
            blank
            | {
                columns[1]: f"Các tiêu chí khác ({len(rest)}): {named}{more} — xem mục «Nguyên nhân»",
                columns[2]: fmt_num(float(sum((d(v) for v in rest["stake_"]), Decimal(0)))),
            }
        )
    total = sum((d(v) for v in nodes["stake_"]), Decimal(0))
    if total != d(stake):  # a bug, not a data problem
        raise AssertionError(f"stake lines add up to {total}, not {stake}")
    out.append(blank | {columns[1]: "Tổng (cộng các dòng trên)", columns[2]: fmt_num(float(total))})
    return pd.DataFrame(out, columns=columns)


def quarterly_summary(res, rc) -> str:
    st = res.status.loc[(res.status["period_kind"] == "ytd") & (res.status["dimension"] == "all")]
    counts = st["status"].value_counts()
    words = [
        (counts.get("met", 0), "đạt"),
        (counts.get("at_risk", 0), "có nguy cơ"),
        (counts.get("missed", 0), "không đạt"),
        (counts.get("no_data", 0), "chưa có số liệu"),
    ]
    summary = ", ".join(f"{int(c)} {w}" for c, w in words if c)
    out = [
        '<section class="par-leader">',
        f"<h2>Tóm tắt cho lãnh đạo — {html.escape(res.period.label)}</h2>",
        f"<p>Chỉ tiêu của Kế hoạch (lũy kế đến hết {html.escape(res.period.label)}): {summary}.</p>",
        table(targets_table(res)),
    ]
    stake = year_end_stake_total(rc)
    ytd = (
        float(pd.to_numeric(res.projection["points_at_risk"], errors="coerce").sum())
        if not res.projection.empty
        else None
    )
    if stake is not None:
        out.append(
            f"<p>Nếu nhịp của quý này tiếp diễn, đến 31/12 các tiêu chí gắn với chỉ tiêu đo được có thể mất "
            f"<strong>{fmt_points(stake)}</strong>"
            + (f" (theo số liệu lũy kế: {fmt_points(ytd)})" if ytd is not None else "")
            + ".</p>"
        )
    acts = actions_table(
        rc, points="points_at_stake", points_label="Điểm có thể mất đến 31/12", n=QUARTER_LINES
    )
    if not acts.empty and stake is not None:
        acts = pd.concat([acts, stake_rest_lines(rc, stake, list(acts.columns))], ignore_index=True)
    if not acts.empty:
        out.append(
            table(
                acts,
                caption="Việc cần làm trước (xếp theo mức độ chắc chắn, rồi số điểm có thể mất đến 31/12; «Hạng» là thứ tự trong bảng nguyên nhân đầy đủ)",
                css="par-actions",
            )
        )
    out.append("</section>")
    return "".join(out)
