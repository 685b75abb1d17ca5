"""Vietnamese text of the root-cause table (the table itself: :mod:`parlib.analysis.rootcause`).

* :func:`write_paragraphs` writes one pasteable paragraph per cause. Wording rules: a change
  that is not beyond noise says "chưa phân biệt được với dao động ngẫu nhiên"; model terms
  are "có liên quan (tương quan), chưa phải bằng chứng nhân quả"; a period without data
  claims nothing.
* :func:`show_root_causes` displays the report section (escaped HTML).
"""

from __future__ import annotations

import pandas as pd

from parlib.analysis.rootcause.finish import _has, _p
from parlib.core.labels import CHANNEL_VI
from parlib.core.numbers import is_missing
from parlib.core.vnformat import MISSING, fmt_int, fmt_num, fmt_pct, month_label
from parlib.report.display import figure, paragraph, show, table
from parlib.report.figures.rootcause import plot_decomposition

KIND_VI = {
    "year_over_year": "Giảm điểm so với năm trước",
    "at_risk": "Có nguy cơ mất điểm",
    "early_warning": "Cảnh báo sớm (chỉ số của phòng xấu đi)",
}
VERDICT_SHORT = {
    "mix": "Do cơ cấu hồ sơ",
    "performance": "Do chất lượng xử lý",
    "both": "Cả cơ cấu và chất lượng",
    "noise": "Chưa phân biệt được với dao động",
    "shortfall": "Chưa đạt ngưỡng (từ trước)",
    "no_data": "Không đủ dữ liệu",
    "": "",
}
SURVEY_KEYS = {"satisfaction_pct"}


def _seg(row: dict) -> str:
    dim, seg = row.get("segment_dimension") or "", row.get("segment") or ""
    if not seg:
        return "toàn Sở"
    if dim == "channel":
        return f"kênh {CHANNEL_VI.get(seg, seg)}"
    if dim == "procedure_code":
        return "các thủ tục " + (row.get("top_procedures") or seg)
    return seg


def cause_paragraph(row: dict) -> str:
    """The pasteable paragraph of one cause row (rules: module docstring)."""
    pts = row.get("points_explained")
    head = f"{int(row['rank'])}. Tiêu chí {row['code']} «{row['name']}»"
    if row["kind"] == "year_over_year":
        s = [f"{head} giảm {fmt_num(pts)} điểm so với năm {int(str(row['period'])[:4]) - 1}."]
        if _has(row.get("stage")) and row["stage"] != "none":
            s.append(f"Điểm bị mất năm nay theo khâu: {row['stage_detail']}.")
        if _has(row.get("reason")):
            cat = row.get("reason_category")
            s.append(
                f"Lý do trừ điểm: «{row['reason']}»"
                + (
                    " (chưa phân loại được theo bảng từ khóa)."
                    if cat == "unclassified"
                    else f" (nhóm nguyên nhân: {row['reason_category_name']})."
                )
            )
        elif _has(row.get("reason_category")) == "no_reason":
            s.append("Bảng điểm không ghi lý do trừ điểm.")
    elif is_missing(pts):
        s = [f"{head}: chỉ báo sớm từ khảo sát của Sở (không quy đổi được sang điểm)."]
    else:
        s = [
            f"{head} có nguy cơ mất {fmt_num(row['points_to_explain'])} điểm; nguyên nhân dưới đây giải thích "
            f"{fmt_num(pts)} điểm."
        ]
    s += _measure_sentences(row)
    if _has(row.get("driver_terms")):
        s.append(
            f"Mô hình hồi quy logistic nhị thức: {row['driver_terms']} — có liên quan (tương quan), chưa phải "
            "bằng chứng nhân quả."
        )
    owner = f"Đơn vị chủ trì: {row['owner_office'] or MISSING}"
    if _has(row.get("partner_offices")):
        owner += f"; phối hợp: {row['partner_offices'].replace(';', ', ')}"
    s.append(owner + f". {row.get('task_status') or ''}.")
    if _has(row.get("action_text")):
        s.append(f"Đề xuất: {row['action_text']}")
    return " ".join(x for x in s if x and x != ".")


def _measure_sentences(row: dict) -> list[str]:
    if not row.get("measure"):
        return []
    before, after = row.get("measure_before"), row.get("measure_after")
    # mix and noise rows describe the whole department (no segment is blamed)
    where = "toàn Sở" if row.get("mix_or_performance") in ("mix", "noise") else _seg(row)
    if is_missing(after):
        return [row["evidence_note"]] if _has(row.get("evidence_note")) else []
    if is_missing(before):
        out = [
            f"{row['measure_label']} ({where}, {row['period_label']}): {fmt_pct(after)}; chưa có số liệu kỳ "
            "trước để so sánh nên không kết luận về thay đổi."
        ]
    else:
        out = [
            f"{row['measure_label']} ({where}, {row['period_label']}): {fmt_pct(after)}, so với "
            f"{fmt_pct(before)} ({row['base_period_label']}), thay đổi {fmt_num(row['change_pp'], 1, sign=True)} "
            "điểm %."
        ]
        if not row.get("is_adverse"):
            out.append("Chỉ số không giảm so với kỳ trước.")
        elif bool(row.get("is_significant")):
            out.append(
                f"Mức giảm vượt ngưỡng dao động ngẫu nhiên (p hiệu chỉnh Holm {_p(row['p_adjusted'])})."
            )
        else:
            out.append(
                f"Mức giảm này chưa phân biệt được với dao động ngẫu nhiên (p hiệu chỉnh Holm "
                f"{_p(row['p_adjusted'])}); chưa kết luận là nguyên nhân."
            )
    verdict, share = row.get("mix_or_performance") or "", row.get("segment_share_of_change")
    share_txt = fmt_pct(100 * share, 0) if not is_missing(share) else MISSING
    if verdict == "mix":
        out.append(
            "Mức giảm chủ yếu do cơ cấu hồ sơ thay đổi (tỷ trọng các thủ tục khó, chậm tăng: "
            f"{row.get('top_procedures') or row.get('segment') or MISSING}), không phải do xử lý chậm hơn trong "
            "từng thủ tục."
        )
    elif verdict in ("performance", "both") and _has(row.get("segment")):
        quality = (
            "mức hài lòng trong nhóm" if row.get("segment_dimension") == "channel" else "chất lượng xử lý"
        )
        part = quality if verdict == "performance" else f"cả cơ cấu và {quality}"
        if is_missing(share):
            out.append(f"Tỷ lệ trong chính {where} giảm (không phải do thay đổi cơ cấu).")
        else:
            out.append(
                f"Phần giảm của {where} chủ yếu do {part}; {where} chiếm {share_txt} mức thay đổi của cả Sở "
                "trong kỳ" + (" (các nhóm khác cải thiện, bù lại một phần)." if share > 1 else ".")
            )
    elif verdict == "shortfall" and _has(row.get("segment")):
        out.append(
            f"{where[:1].upper() + where[1:]} chiếm {share_txt} phần còn thiếu so với mức đạt điểm tối đa."
        )
    if _has(row.get("signal_start")):
        out.append(
            "Biểu đồ kiểm soát có tín hiệu bất thường (theo chiều xấu đi) kéo dài đến nay, bắt đầu từ "
            f"{month_label(row['signal_start'])}."
        )
    if _has(row.get("evidence_note")) and (
        verdict not in ("performance", "both") or row["kind"] == "year_over_year"
    ):
        out.append(row["evidence_note"])
    return out


def write_paragraphs(res, n: int = 12) -> list[str]:
    """Intro, one paragraph per leading cause (with points or significant), closing notes."""
    t = res.table
    if t.empty:
        return [
            f"Không có tiêu chí giảm điểm hoặc có nguy cơ mất điểm cần phân tích ({res.title_period})."
        ] + res.notes
    n_sig = int(t["is_significant"].sum())
    out = [
        f"Phân tích nguyên nhân giảm điểm ({res.title_period}): {fmt_int(len(t))} nguyên nhân, xếp theo số điểm "
        f"giải thích; {fmt_int(n_sig)} nguyên nhân có chỉ số xấu đi vượt ngưỡng dao động ngẫu nhiên (kiểm định "
        "hai tỷ lệ, hiệu chỉnh Holm trên toàn bảng). Thay đổi của chỉ số được tách thành phần do cơ cấu hồ sơ và "
        "phần do chất lượng xử lý."
    ]
    keep = t.loc[(pd.to_numeric(t["points_explained"], errors="coerce") > 0.005) | t["is_significant"]].head(
        n
    )
    out += [cause_paragraph(r) for r in keep.to_dict("records")]
    rest = len(t) - len(keep)
    if rest > 0:
        out.append(
            f"Còn {fmt_int(rest)} nguyên nhân nhỏ hoặc chưa phân biệt được với dao động ngẫu nhiên (xem bảng)."
        )
    out += res.notes
    return out


def table_vi(res, n: int = 40) -> pd.DataFrame:
    """Display table (Vietnamese headers, formatted values) of the leading causes."""
    t = res.table.head(n)
    sig = [
        ("Có" if s else ("Chưa phân biệt được với dao động" if a else "Không giảm"))
        if not is_missing(p)
        else MISSING
        for s, a, p in zip(t["is_significant"], t["is_adverse"], t["p_value"])
    ]
    return pd.DataFrame(
        {
            "Hạng": t["rank"].map(fmt_int),
            "Mã": t["code"],
            "Tiêu chí": t["name"],
            "Loại": t["kind"].map(KIND_VI),
            "Điểm giải thích": t["points_explained"].map(fmt_num),
            "Chỉ số": t["measure_label"].fillna(""),
            "Kỳ": t["period_label"].fillna(""),
            "Nhóm": [_seg(r) for r in t.to_dict("records")],
            "Trước": t["measure_before"].map(fmt_pct),
            "Sau": t["measure_after"].map(fmt_pct),
            "Thay đổi (điểm %)": t["change_pp"].map(lambda v: fmt_num(v, 1, sign=True)),
            "Vượt dao động ngẫu nhiên": sig,
            "Cơ cấu / chất lượng": t["mix_or_performance"].fillna("").map(VERDICT_SHORT),
            "Tín hiệu từ": [month_label(x) if _has(x) else "" for x in t["signal_start"]],
            "Đơn vị chủ trì": t["owner_office"],
            "Tiến độ nhiệm vụ": t["task_status"],
            "Giải pháp đề xuất": t["action_text"],
            "Thời hạn": t["action_deadline"],
        }
    )


def show_root_causes(res, *, part: str = "body", n: int = 6) -> None:
    """The cause section. Body (plain words): the reconciliation with the change of the total
    (annual), then the causes after the leader summary's lines, in the same plain columns,
    and the persistent shortfalls; appendix (for the analyst): the statistics of each cause,
    the decomposition chart and the detailed paragraphs of the first causes."""
    from parlib.analysis.rootcause.leader import leader_causes
    from parlib.report.leader import QUARTER_LINES, actions_table

    t = res.table
    if part == "body":
        n_sig = int(t["is_significant"].sum()) if not t.empty else 0
        show(
            paragraph(
                f"{fmt_int(len(t))} nguyên nhân ({res.title_period}); {fmt_int(n_sig)} nguyên nhân có chỉ số xấu đi "
                "rõ rệt, vượt mức dao động ngẫu nhiên. Các nguyên nhân đầu tiên (hoặc nhóm lại) ở phần «Tóm tắt cho lãnh đạo»; "
                "bảng dưới đây là các nguyên nhân tiếp theo. Toàn bộ nguyên nhân, số liệu và kiểm định: tệp Excel "
                "(trang «Nguyên nhân») và Phụ lục."
            )
        )
        if res.reconciliation is not None:
            show(
                table(
                    _points_text(reconciliation_vi(res.reconciliation)),
                    caption="Đối chiếu thay đổi tổng điểm",
                )
            )
        annual = not t.empty and (t["kind"] == "year_over_year").all()
        # annual: every fallen sub-criterion once (the summary groups the smaller ones);
        # quarterly: the causes after the summary's lines
        lead = t.iloc[:0] if annual else leader_causes(t, QUARTER_LINES)
        rest = t.loc[~t.index.isin(lead.index)]
        if not rest.empty:
            sub = type(res)(rest.reset_index(drop=True), title_period=res.title_period)
            acts = actions_table(
                sub,
                points="points_explained" if annual else "points_at_stake",
                points_label="Điểm giảm" if annual else "Điểm có thể mất đến 31/12",
                n=n if not annual else len(rest),
                seen=set(lead["code"].astype(str)),
            )
            caption = (
                "Các tiêu chí giảm điểm so với năm trước (mỗi tiêu chí một dòng, kể cả các dòng ở trang tóm tắt)"
                if annual
                else "Các nguyên nhân tiếp theo"
            )
            show(table(acts, caption=caption, css="par-actions"))
        if not res.persistent.empty:
            show(
                table(
                    _points_text(persistent_vi(res.persistent)),
                    caption="Tiêu chí thiếu điểm cả hai năm (không phải nguyên nhân của thay đổi)",
                    max_rows=8,
                )
            )
        for note in res.notes:
            show(paragraph(note, muted=True))
        return
    if t.empty:
        return
    if not res.decomposition.empty:
        figure(plot_decomposition(res))
    show(
        table(
            stats_vi(res),
            caption="Thống kê của các nguyên nhân (10 dòng đầu; đầy đủ trong tệp Excel)",
            max_rows=10,
        )
    )


def _points_text(df: pd.DataFrame) -> pd.DataFrame:
    """Numeric point columns as Vietnamese text for the HTML (Excel keeps the numbers)."""
    out = df.copy()
    for c in out.columns:
        if pd.api.types.is_float_dtype(out[c]):
            out[c] = out[c].map(lambda v: fmt_num(v, 2, sign=False))
    return out


def stats_vi(res) -> pd.DataFrame:
    """The analyst's view of the causes: counts, tests, mechanism, signal and model terms."""
    t = res.table
    return pd.DataFrame(
        {
            "Hạng": t["rank"].map(fmt_int),
            "Mã": t["code"],
            "Chỉ số": t["measure_label"].fillna(""),
            "Kỳ / so với": t["period_label"].fillna("") + " / " + t["base_period_label"].fillna(""),
            "Nhóm": [_seg(r) for r in t.to_dict("records")],
            "Trước → sau": [
                f"{fmt_pct(a)} ({fmt_int(ka)}/{fmt_int(na)}) → {fmt_pct(b)} ({fmt_int(kb)}/{fmt_int(nb)})"
                if not is_missing(na) and not is_missing(nb)
                else MISSING
                for a, ka, na, b, kb, nb in zip(
                    t["measure_before"],
                    t["k_before"],
                    t["n_before"],
                    t["measure_after"],
                    t["k_after"],
                    t["n_after"],
                )
            ],
            "p (Holm)": t["p_adjusted"].map(_p),
            "Cơ cấu / chất lượng": t["mix_or_performance"].fillna("").map(VERDICT_SHORT),
            "Tín hiệu từ": [month_label(x) if _has(x) else "" for x in t["signal_start"]],
            "Yếu tố liên quan (mô hình)": t["driver_terms"].fillna(""),
        }
    )


def reconciliation_vi(
    rec: dict, base_label: str = "năm gốc", target_label: str = "năm đánh giá"
) -> pd.DataFrame:
    """The lines that add up to the change of the total (``RootCauseResult.reconciliation``):
    base total, decreases (the cause table), increases, framework effect, bonus/penalty,
    rounding (only when not 0), change, target total. Points as numbers (2 decimals)."""
    lines = [
        (f"Tổng điểm {base_label}", "", rec["base_total"]),
        ("Các tiêu chí giảm điểm (bảng nguyên nhân)", fmt_int(rec["n_decreases"]), rec["decreases"]),
        ("Các tiêu chí tăng điểm", fmt_int(rec["n_increases"]), rec["increases"]),
        ("Thay đổi của bộ tiêu chí (tiêu chí mới, bãi bỏ, đổi điểm tối đa)", "", rec["framework_effect"]),
        ("Thay đổi điểm thưởng / điểm trừ", "", rec["bonus_penalty_change"]),
    ]
    if abs(rec["rounding"]) >= 0.005:
        lines.append(("Chênh lệch do làm tròn từng dòng đến 0,01", "", rec["rounding"]))
    lines += [
        ("Thay đổi tổng điểm", "", rec["total_change"]),
        (f"Tổng điểm {target_label}", "", rec["target_total"]),
    ]
    return pd.DataFrame(
        {
            "Khoản": [x[0] for x in lines],
            "Số tiêu chí": [x[1] for x in lines],
            "Điểm": [round(float(x[2]), 2) for x in lines],
        }
    )


def persistent_vi(p: pd.DataFrame) -> pd.DataFrame:
    """Sub-criteria short of their maximum in both years (not causes of the change)."""
    return pd.DataFrame(
        {
            "Mã": p["code"],
            "Tiêu chí": p["name"],
            "Đơn vị chủ trì": p["owner_office"],
            "Điểm tối đa": p["target_max"].astype(float).round(2),
            "Điểm thiếu năm gốc": p["lost_base"].astype(float),
            "Điểm thiếu năm đánh giá": p["lost_target"].astype(float),
        }
    )
