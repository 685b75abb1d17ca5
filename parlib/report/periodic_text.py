"""Vietnamese sentences of the periodic CCHC report, written from its ``summary.json`` figures
(so that every number of the draft is the number of the summary, formatted Vietnamese style).

What the data cannot know is never written: it is a marked field for the analyst,
:func:`ask` ("[Đơn vị bổ sung: …]").
"""

from __future__ import annotations

import pandas as pd

from parlib.core.vnformat import fmt_date, fmt_int, fmt_pct
from parlib.model.action_rules import parse_task_list

ASK_PREFIX = "[Đơn vị bổ sung: "
STATUS_WORDS = {
    "met": "đạt",
    "at_risk": "chưa đạt (gần đạt)",
    "missed": "chưa đạt",
    "not_applicable": "không áp dụng (không có số liệu trong kỳ)",
    "no_data": "chưa có số liệu",
}
DENOMINATOR_UNIT = {
    "feedback_on_time_pct": "phản ánh, kiến nghị",
    "satisfaction_pct": "người trả lời",
    "tasks_on_time_pct": "nhiệm vụ",
}
# what the count of a shortfall's group is, per KPI
SHORT_NOUN = {
    "on_time_pct": "hồ sơ trễ hạn",
    "apology_pct": "hồ sơ trễ hạn chưa có văn bản xin lỗi",
    "system_updated_pct": "hồ sơ chưa cập nhật đầy đủ trên hệ thống",
    "feedback_on_time_pct": "phản ánh, kiến nghị xử lý trễ hạn",
    "tasks_on_time_pct": "nhiệm vụ chậm tiến độ hoặc chưa cập nhật tiến độ",
}
# one reason per late dossier, in the classification's order (they add up to the late count)
LATE_REASON_VI = {
    "multiple_supplements": "yêu cầu bổ sung quá một lần (Bộ chỉ số 766 tính là trễ hạn, "
    "dù đã giải quyết xong hay chưa)",
    "finished_after_due": "giải quyết xong sau ngày hẹn trả",
    "overdue_unfinished": "đến ngày cuối kỳ chưa giải quyết xong và đã quá hạn",
}


def lower_first(text: str) -> str:
    """ "Tỷ lệ … (khảo sát của Sở)" -> "tỷ lệ … (khảo sát của Sở)": only the first letter."""
    return text[:1].lower() + text[1:]


def ask(what: str) -> str:
    """A field the analyst fills in: ``[Đơn vị bổ sung: what]``."""
    return f"{ASK_PREFIX}{what}]"


def d(iso: str | None) -> str:
    """An ISO date of the summary as dd/mm/yyyy."""
    return fmt_date(pd.Timestamp(iso)) if iso else ask("ngày")


def window_span(w: dict) -> str:
    return f"từ ngày {d(w['start'])} đến ngày {d(w['end'])}"


def target_text(k: dict) -> str:
    comp = "≤" if k.get("comparison") == "<=" else "≥"
    t = k["target_pct"]
    return f"{comp} {fmt_pct(t, 0 if float(t).is_integer() else 1)}"


def ratio(k: dict, kpi: str) -> str:
    return f"{fmt_int(k['numerator'])}/{fmt_int(k['denominator'])} {DENOMINATOR_UNIT.get(kpi, 'hồ sơ')}"


def kpi_line(kpi: str, k: dict) -> str:
    """One KPI: "<label>: 95,0 % (4.821/5.077 hồ sơ); chỉ tiêu Kế hoạch ≥ 98 %: chưa đạt."."""
    if k["status"] == "no_data":
        return f"{k['label']}: {lower_first(k['gap'] or 'Chưa có số liệu.')}"
    if not k["denominator"]:
        return (
            f"{k['label']}: không áp dụng (không có {DENOMINATOR_UNIT.get(kpi, 'hồ sơ')} trong phạm vi tính)."
        )
    head = f"{k['label']}: {fmt_pct(k['pct'])} ({ratio(k, kpi)})"
    prev = k.get("previous")
    if prev and prev["denominator"]:
        head += f", cùng kỳ năm trước {fmt_pct(prev['pct'])}"
    if k["target_pct"] is None:
        return head + "."
    return f"{head}; chỉ tiêu Kế hoạch {target_text(k)}: {STATUS_WORDS.get(k['status'], k['status'])}."


def volume_text(s: dict, subject: str) -> list[str]:
    """Section I's dossier counts: received, judged (received + carried over), finished, late;
    then the dossiers left out of the rates for want of an outcome."""
    v = s["dossiers"]
    start = d(s["window"]["start"])
    received = f"Trong kỳ báo cáo ({window_span(s['window'])}), {subject} tiếp nhận {fmt_int(v['received'])} hồ sơ thủ tục hành chính"
    if v.get("stale_received"):
        received += (
            f" ({fmt_int(v['stale_received'])} hồ sơ trong số này chưa xác định được tình trạng giải quyết, "
            "nêu dưới đây)"
        )
    out = [
        f"{received}. Tổng số hồ sơ phải giải quyết trong kỳ được tính vào các tỷ lệ là {fmt_int(v['handled'])} hồ sơ, "
        f"gồm {fmt_int(v['received_judged'])} hồ sơ tiếp nhận trong kỳ và {fmt_int(v['carried_over'])} hồ sơ "
        f"của kỳ trước chuyển sang (tiếp nhận trước ngày {start}, chưa giải quyết xong đến ngày đầu kỳ); "
        f"đã giải quyết xong {fmt_int(v['finished'])} hồ sơ, đang giải quyết {fmt_int(v['unfinished'])} hồ sơ; "
        f"{fmt_int(v['late'])} hồ sơ trễ hạn (trong đó {fmt_int(v['late_unfinished'])} hồ sơ đến ngày cuối kỳ "
        "chưa giải quyết xong)."
    ]
    stale = [
        f"{fmt_int(n)} hồ sơ {what}"
        for n, what in (
            (v.get("stale_received"), "tiếp nhận trong kỳ"),
            (v.get("stale_carried_over"), f"tiếp nhận trước ngày {start}"),
        )
        if n
    ]
    if stale:
        out.append(
            f"Có {' và '.join(stale)} chưa giải quyết xong tại thời điểm trích xuất tệp dữ liệu cuối cùng "
            "có hồ sơ đó và không có trong tệp trích xuất sau, nên chưa xác định được tình trạng giải quyết và "
            "không được tính vào các số liệu, tỷ lệ trên; đề nghị trích xuất lại để cập nhật."
        )
    return out


def field_groups(nodes: pd.DataFrame | None, summary: dict) -> list[dict]:
    """The framework's fields in order, each with the KPIs of the summary linked to one of its
    nodes (``kpi`` column) and the plan tasks named by its nodes (``plan_tasks``):
    [{code, name, kpis: [...], tasks: [...]}]; [] without a framework."""
    if nodes is None or nodes.empty:
        return []
    fields = nodes.loc[nodes["parent_code"].fillna("").eq("")]
    out = []
    for f in fields.to_dict("records"):
        inside = nodes.loc[nodes["field_code"] == f["code"]]
        kpis = [k for k in dict.fromkeys(inside["kpi"].fillna("")) if k in summary["kpis"]]
        tasks: list[int] = []
        for text in inside["plan_tasks"].fillna(""):
            try:
                tasks.extend(parse_task_list(text))
            except ValueError:
                continue  # a malformed list is reported by the framework's own validation
        out.append({"code": f["code"], "name": f["name"], "kpis": kpis, "tasks": sorted(set(tasks))})
    return out


def tasks_line(numbers: list[int], summary: dict) -> str | None:
    """The plan tasks of a field at the window's end, counted from the summary's task items."""
    t = summary.get("tasks")
    if not t or not numbers or not t.get("has_status", True):
        return None
    items = [i for i in t["items"] if i["task_no"] in numbers]
    if not items:
        return None
    late = [i["task_no"] for i in items if i["is_late"]]
    on_time = sum(i["is_on_time"] for i in items)
    not_updated = sum(i["status"] == "Chưa cập nhật" for i in items)
    due = [i for i in items if i["is_due"]]
    text = (
        f"Nhiệm vụ của Kế hoạch thuộc lĩnh vực (số {', '.join(map(str, sorted(i['task_no'] for i in items)))}): "
        f"{fmt_int(len(items))} nhiệm vụ, {fmt_int(on_time)} đúng tiến độ"
    )
    if late:
        text += f", {fmt_int(len(late))} chậm tiến độ (số {', '.join(map(str, late))})"
    if not_updated:
        text += f", {fmt_int(not_updated)} chưa cập nhật tiến độ"
    if due:
        text += (
            f"; {fmt_int(sum(i['is_done'] for i in due))}/{fmt_int(len(due))} nhiệm vụ đến hạn đã hoàn thành"
        )
    return text + "."


def tasks_overview(summary: dict) -> str | None:
    t = summary.get("tasks")
    if not t:
        year = summary["window"]["year"]
        return (
            f"Chưa có danh sách nhiệm vụ của Kế hoạch cải cách hành chính năm {year} "
            f"(tệp tasks/nhiem_vu_{year}.csv) nên chưa tính được tiến độ thực hiện. "
            + ask(f"tiến độ thực hiện các nhiệm vụ của Kế hoạch đến ngày {d(summary['window']['end'])}")
        )
    if not t.get("has_status", True):
        gap = summary["kpis"]["tasks_on_time_pct"]["gap"] or "Chưa có số liệu tiến độ."
        return f"Kế hoạch cải cách hành chính có {fmt_int(t['n_tasks'])} nhiệm vụ; {lower_first(gap)} " + ask(
            f"tiến độ thực hiện các nhiệm vụ của Kế hoạch đến ngày {d(summary['window']['end'])}"
        )
    due = (
        f"{fmt_int(t['n_due'])} nhiệm vụ đã đến hạn, trong đó {fmt_int(t['n_due_done'])} nhiệm vụ đã hoàn thành"
        if t["n_due"]
        else "chưa có nhiệm vụ nào có thời hạn cụ thể đã đến hạn"
    )
    text = (
        f"Kế hoạch cải cách hành chính có {fmt_int(t['n_tasks'])} nhiệm vụ; đến ngày "
        f"{d(summary['window']['end'])}, {due}; {fmt_int(t['n_late'])} nhiệm vụ chậm tiến độ"
    )
    if t["n_not_updated"]:
        text += f"; {fmt_int(t['n_not_updated'])} nhiệm vụ chưa cập nhật tiến độ"
    return text + " (chi tiết theo đơn vị chủ trì tại Phụ lục)."


def shortfall_text(s: dict, summary: dict) -> list[str]:
    """Sentences of one shortfall: the figure against its target, where it sits, the causes the
    data show; the rest is asked of the analyst."""
    kpi = s["kpi"]
    k = summary["kpis"][kpi]
    out = [
        f"{k['label']} đạt {fmt_pct(k['pct'])} ({ratio(k, kpi)}), {STATUS_WORDS[k['status']]} chỉ tiêu "
        f"{target_text(k)} của Kế hoạch. {k['gap'] or ''}".strip()
    ]
    where = s["where"]
    if where and kpi == "satisfaction_pct":
        w = where[0]
        ok = w["of"] - w["count"]
        out.append(
            f"Yếu tố có tỷ lệ câu trả lời hài lòng thấp nhất: {w['name']} "
            f"({fmt_pct(100 * ok / w['of'])}, {fmt_int(ok)}/{fmt_int(w['of'])} câu trả lời)."
        )
    elif where:
        parts = [f"{w['name']} ({fmt_int(w['count'])}/{fmt_int(w['of'])})" for w in where]
        out.append(f"Số {SHORT_NOUN.get(kpi, 'trường hợp chưa đạt')} tập trung ở: {'; '.join(parts)}.")
    reasons = s.get("reasons") or {}
    listed = [r for r in LATE_REASON_VI if reasons.get(r)]
    said = [
        f"{fmt_int(reasons[r])} hồ sơ{' khác' if i else ''} {LATE_REASON_VI[r]}" for i, r in enumerate(listed)
    ]
    if said:
        late = fmt_int(summary["dossiers"]["late"])
        out.append(f"Theo số liệu, {late} hồ sơ trễ hạn gồm: " + "; ".join(said) + ".")
    if kpi == "tasks_on_time_pct" and summary.get("tasks", {}).get("late_tasks"):
        nums = ", ".join(map(str, summary["tasks"]["late_tasks"]))
        out.append(f"Nhiệm vụ chậm tiến độ: số {nums}.")
    out.append(ask(f"nguyên nhân chủ quan, khách quan của tồn tại về «{lower_first(k['label'])}»"))
    return out


def action_text(a: dict, label: str, next_label: str) -> str:
    """One action: the rule's text, its owner and a dated deadline (or the fields to fill)."""
    body = a["action"] or ask(f"giải pháp khắc phục đối với chỉ tiêu «{lower_first(label)}»")
    owner = a["owner"] or ask("đơn vị chủ trì")
    if a["deadline"]:
        basis = (
            " (theo Kế hoạch)"
            if a["deadline_basis"] == "plan"
            else f" (trước ngày chốt số liệu kỳ báo cáo {next_label})"
            if next_label
            else ""
        )
        when = f"{d(a['deadline'])}{basis}"
    else:
        when = ask("thời hạn hoàn thành")
    return f"{body} Chủ trì: {owner}. Hạn hoàn thành: {when}."
