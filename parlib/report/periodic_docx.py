"""The Word draft of the periodic CCHC report (python-docx), in the administrative layout of
Nghị định 30/2020/NĐ-CP (Phụ lục I):

* A4 (210 × 297 mm), margins top 20 mm, bottom 20 mm, left 30 mm, right 15 mm;
* Times New Roman; body 14 pt, justified, first-line indent 1 cm, 6 pt after each paragraph,
  single line spacing; page numbers from the second page, centred in the header;
* header block: a two-column table without borders — left: the parent agency (upper case),
  the agency (upper case, bold), a short rule, "Số: …/BC-<abbreviation>"; right: the national
  motto (upper case, bold), "Độc lập - Tự do - Hạnh phúc" (bold), a short rule, "<place>, ngày …
  tháng … năm <year>" (italic); the number and the date are written "…" as on every unsigned
  draft (the clerk fills them when the report is issued);
* title "BÁO CÁO" and "Kết quả thực hiện công tác cải cách hành chính <window label>" (bold);
* "Nơi nhận:" block (bold italic 12 pt, recipients 11 pt) beside the signature block;
* an annex of figures as real Word tables (11 pt).

Every figure comes from the report's ``summary.json`` dict; agency, place and recipients from
``raw/config/unit.csv``. What neither holds is a marked field "[Đơn vị bổ sung: …]".
"""

from __future__ import annotations

from datetime import datetime, timezone

from docx import Document
from docx.enum.section import WD_ORIENT
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Mm, Pt

from parlib.core.vnformat import fmt_int, fmt_pct
from parlib.report.periodic_text import (
    STATUS_WORDS,
    action_text,
    ask,
    d,
    field_groups,
    kpi_line,
    lower_first,
    shortfall_text,
    target_text,
    tasks_line,
    tasks_overview,
    volume_text,
    window_span,
)

FONT = "Times New Roman"
BODY_PT = 14
TABLE_PT = 11
MARGINS_MM = {"top": 20, "bottom": 20, "left": 30, "right": 15}
ILLUSTRATIVE = (
    "DỮ LIỆU MINH HỌA: bản dự thảo này được lập từ bộ dữ liệu mẫu tổng hợp, không phải số liệu "
    "chính thức; thay các tệp trong data/raw bằng dữ liệu thật trước khi sử dụng."
)


# ---------------------------------------------------------------- low-level helpers


def _fonts(style_or_run, size: float | None = None) -> None:
    """Times New Roman for every script (Vietnamese text uses the complex-script slot in Word)."""
    font = style_or_run.font
    font.name = FONT
    if size is not None:
        font.size = Pt(size)
    rpr = style_or_run.element.get_or_add_rPr()
    fonts = rpr.find(qn("w:rFonts"))
    if fonts is None:
        fonts = OxmlElement("w:rFonts")
        rpr.insert(0, fonts)
    for attr in ("w:ascii", "w:hAnsi", "w:cs", "w:eastAsia"):
        fonts.set(qn(attr), FONT)


def _para(
    container, text: str = "", *, size=BODY_PT, bold=False, italic=False, align=None, indent=True, after=6
):
    p = container.add_paragraph()
    pf = p.paragraph_format
    pf.space_after = Pt(after)
    pf.space_before = Pt(0)
    pf.line_spacing = 1.0
    pf.alignment = align if align is not None else WD_ALIGN_PARAGRAPH.JUSTIFY
    pf.first_line_indent = Mm(10) if indent and align is None else None
    if text:
        _run(p, text, size=size, bold=bold, italic=italic)
    return p


def _run(p, text: str, *, size=BODY_PT, bold=False, italic=False):
    r = p.add_run(text)
    _fonts(r, size)
    r.bold, r.italic = bold, italic
    return r


def _rule(cell, width_mm: float) -> None:
    """A short centred horizontal rule under a header line (a bordered empty paragraph)."""
    p = cell.add_paragraph()
    cell_mm = cell.width.mm if cell.width is not None else 80
    side = max((cell_mm - width_mm) / 2, 0)
    p.paragraph_format.left_indent = Mm(side)
    p.paragraph_format.right_indent = Mm(side)
    p.paragraph_format.space_after = Pt(2)
    ppr = p._p.get_or_add_pPr()
    border = OxmlElement("w:pBdr")
    top = OxmlElement("w:top")
    for k, v in (("w:val", "single"), ("w:sz", "6"), ("w:space", "1"), ("w:color", "000000")):
        top.set(qn(k), v)
    border.append(top)
    ppr.append(border)
    _fonts(p.add_run(""), 4)


def _widths(table, widths_mm: list[float]) -> None:
    """Fixed column widths (grid and cells), so that Word and LibreOffice lay the table out alike."""
    table.autofit = False
    for col, w in zip(table.columns, widths_mm):
        col.width = Mm(w)
        for cell in col.cells:
            cell.width = Mm(w)


def _no_borders(table) -> None:
    tbl_pr = table._tbl.tblPr
    borders = OxmlElement("w:tblBorders")
    for edge in ("top", "left", "bottom", "right", "insideH", "insideV"):
        e = OxmlElement(f"w:{edge}")
        e.set(qn("w:val"), "nil")
        borders.append(e)
    tbl_pr.append(borders)


def _cell_text(cell, text: str, *, size=TABLE_PT, bold=False, italic=False, align=WD_ALIGN_PARAGRAPH.CENTER):
    p = cell.paragraphs[0]
    p.paragraph_format.alignment = align
    p.paragraph_format.space_after = Pt(0)
    p.paragraph_format.first_line_indent = None
    _run(p, text, size=size, bold=bold, italic=italic)
    return p


def _page_number_header(section) -> None:
    """Page number centred at the top, from the second page on (NĐ 30/2020)."""
    section.different_first_page_header_footer = True
    p = section.header.paragraphs[0]
    p.alignment = WD_ALIGN_PARAGRAPH.CENTER
    run = p.add_run()
    _fonts(run, BODY_PT)
    for kind, text in (("begin", None), (None, "PAGE"), ("end", None)):
        if kind:
            el = OxmlElement("w:fldChar")
            el.set(qn("w:fldCharType"), kind)
        else:
            el = OxmlElement("w:instrText")
            el.set(qn("xml:space"), "preserve")
            el.text = text
        run._r.append(el)


# ---------------------------------------------------------------- blocks


def _setup(doc) -> None:
    sec = doc.sections[0]
    sec.orientation = WD_ORIENT.PORTRAIT
    sec.page_width, sec.page_height = Mm(210), Mm(297)
    sec.top_margin, sec.bottom_margin = Mm(MARGINS_MM["top"]), Mm(MARGINS_MM["bottom"])
    sec.left_margin, sec.right_margin = Mm(MARGINS_MM["left"]), Mm(MARGINS_MM["right"])
    sec.header_distance = sec.footer_distance = Mm(10)
    for name in ("Normal", "Table Grid", "Header"):
        if name in [s.name for s in doc.styles]:
            _fonts(doc.styles[name], BODY_PT if name != "Table Grid" else TABLE_PT)
    _page_number_header(sec)


def _header_block(doc, s: dict, unit: dict) -> None:
    t = doc.add_table(rows=1, cols=2)
    _no_borders(t)
    t.alignment = WD_TABLE_ALIGNMENT.CENTER
    _widths(t, [62, 103])  # 165 mm between the margins
    left, right = t.rows[0].cells
    parent = unit.get("parent_agency")
    name = unit.get("name")
    _cell_text(left, parent.upper() if parent else ask("cơ quan cấp trên"), size=12)
    p = left.add_paragraph()
    p.alignment = WD_ALIGN_PARAGRAPH.CENTER
    p.paragraph_format.space_after = Pt(0)
    _run(p, name.upper() if name else ask("tên cơ quan"), size=12, bold=True)
    _rule(left, 25)
    p = left.add_paragraph()
    p.alignment = WD_ALIGN_PARAGRAPH.CENTER
    code = unit.get("doc_code")
    _run(p, f"Số: …/BC-{code}" if code else f"Số: …/BC-{ask('chữ viết tắt tên cơ quan')}", size=13)
    _cell_text(right, "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", size=12, bold=True)
    p = right.add_paragraph()
    p.alignment = WD_ALIGN_PARAGRAPH.CENTER
    p.paragraph_format.space_after = Pt(0)
    _run(p, "Độc lập - Tự do - Hạnh phúc", size=14, bold=True)
    _rule(right, 60)
    p = right.add_paragraph()
    p.alignment = WD_ALIGN_PARAGRAPH.CENTER
    place = unit.get("place") or ask("địa danh")
    year = int((s["window"]["deadline"] or s["window"]["end"])[:4])
    _run(p, f"{place}, ngày … tháng … năm {year}", size=14, italic=True)


def _title(doc, s: dict, illustrative: bool) -> None:
    _para(doc, "", after=6)
    _para(doc, "BÁO CÁO", bold=True, align=WD_ALIGN_PARAGRAPH.CENTER, after=0)
    _para(
        doc,
        f"Kết quả thực hiện công tác cải cách hành chính {s['window']['label']}",
        bold=True,
        align=WD_ALIGN_PARAGRAPH.CENTER,
        after=0,
    )
    _para(
        doc, f"(Số liệu {window_span(s['window'])})", italic=True, align=WD_ALIGN_PARAGRAPH.CENTER, after=12
    )
    if illustrative:
        _para(doc, ILLUSTRATIVE, size=12, italic=True, align=WD_ALIGN_PARAGRAPH.CENTER, after=12)


def _heading(doc, text: str) -> None:
    _para(doc, text, bold=True, after=6, align=WD_ALIGN_PARAGRAPH.LEFT)


def _body(doc, s: dict, nodes, unit: dict) -> None:
    subject = unit.get("short_name") or unit.get("name") or "Đơn vị"
    w = s["window"]
    _para(
        doc,
        f"Thực hiện chế độ báo cáo định kỳ công tác cải cách hành chính, {unit.get('name') or ask('tên cơ quan')} "
        f"báo cáo kết quả thực hiện {w['label']} (số liệu {window_span(w)}) như sau:",
    )
    _heading(doc, "I. KẾT QUẢ THỰC HIỆN CÁC CHỈ TIÊU CỦA KẾ HOẠCH CẢI CÁCH HÀNH CHÍNH")
    for line in volume_text(s, subject):
        _para(doc, line)
    for kpi, k in s["kpis"].items():
        if k["target_pct"] is not None:
            _para(doc, f"- {kpi_line(kpi, k)}")
    _para(doc, "Kết quả chi tiết của từng chỉ tiêu và từng phòng, đơn vị tại Phụ lục kèm theo.")

    _heading(doc, "II. KẾT QUẢ THỰC HIỆN CÁC NHIỆM VỤ CẢI CÁCH HÀNH CHÍNH")
    overview = tasks_overview(s)
    if overview:
        _para(doc, overview)
    groups = field_groups(nodes, s)
    if not groups:
        _para(doc, ask("kết quả thực hiện theo từng lĩnh vực cải cách hành chính trong kỳ"))
    for i, g in enumerate(groups, 1):
        _heading(doc, f"{i}. {g['name']}")
        for kpi in g["kpis"]:
            _para(doc, f"- {kpi_line(kpi, s['kpis'][kpi])}")
        line = tasks_line(g["tasks"], s)
        if line:
            _para(doc, f"- {line}")
        _para(doc, ask(f"kết quả công việc đã thực hiện trong kỳ về {lower_first(g['name'])}"))

    _heading(doc, "III. TỒN TẠI, HẠN CHẾ VÀ NGUYÊN NHÂN")
    if not s["shortfalls"]:
        _para(doc, f"Trong kỳ, các chỉ tiêu có số liệu của Kế hoạch đều đạt ({window_span(w)}).")
    for i, sf in enumerate(s["shortfalls"], 1):
        lines = shortfall_text(sf, s)
        _para(doc, f"{i}. {lines[0]}")
        for line in lines[1:]:
            _para(doc, line)
    _para(doc, ask("tồn tại, hạn chế khác mà số liệu không thể hiện (nếu có)"))

    _heading(doc, "IV. NHIỆM VỤ, GIẢI PHÁP TRỌNG TÂM KỲ TỚI")
    labels = {k: v["label"] for k, v in s["kpis"].items()}
    for a in s["actions"]:
        _para(doc, f"- {action_text(a, labels.get(a['kpi'], a['kpi']), s.get('next_window') or '')}")
    _para(doc, ask("nhiệm vụ trọng tâm khác của kỳ tới"))

    _heading(doc, "V. ĐỀ XUẤT, KIẾN NGHỊ")
    _para(doc, ask("đề xuất, kiến nghị với UBND tỉnh, Sở Nội vụ (nếu có)"))
    _para(doc, f"Trên đây là báo cáo kết quả thực hiện công tác cải cách hành chính {w['label']} "
               f"của {unit.get('name') or ask('tên cơ quan')}./.")  # fmt: skip


def _signature(doc, unit: dict) -> None:
    t = doc.add_table(rows=1, cols=2)
    _no_borders(t)
    _widths(t, [85, 80])
    left, right = t.rows[0].cells
    p = left.paragraphs[0]
    p.paragraph_format.space_after = Pt(0)
    _run(p, "Nơi nhận:", size=12, bold=True, italic=True)
    recipients = unit.get("recipients") or [ask("nơi nhận")]
    for i, r in enumerate(recipients):
        p = left.add_paragraph()
        p.paragraph_format.space_after = Pt(0)
        _run(p, f"- {r}{'.' if i == len(recipients) - 1 else ';'}", size=11)
    _cell_text(right, ask("quyền hạn, chức vụ của người ký"), size=13, bold=True)
    for _ in range(3):
        right.add_paragraph()
    p = right.add_paragraph()
    p.alignment = WD_ALIGN_PARAGRAPH.CENTER
    _run(p, ask("họ và tên người ký"), size=14, bold=True)


def _table(doc, title: str, header: list[str], rows: list[list[str]], total: list[str] | None = None) -> None:
    number = len([t for t in doc.tables if t.style is not None and t.style.name == "Table Grid"]) + 1
    _para(doc, f"Bảng {number}. {title}", bold=True, size=13, indent=False, after=4)
    t = doc.add_table(rows=1, cols=len(header))
    t.style = doc.styles["Table Grid"]
    t.alignment = WD_TABLE_ALIGNMENT.CENTER
    other = max(17.0, min(25.0, (165 - 12 - 55) / (len(header) - 2)))
    widths = [12.0, 165 - 12 - other * (len(header) - 2)] + [other] * (len(header) - 2)
    for c, h in zip(t.rows[0].cells, header):
        _cell_text(c, h, bold=True)
    for r in rows + ([total] if total else []):
        cells = t.add_row().cells
        for j, (c, v) in enumerate(zip(cells, r)):
            _cell_text(
                c, v, bold=r is total, align=WD_ALIGN_PARAGRAPH.LEFT if j == 1 else WD_ALIGN_PARAGRAPH.CENTER
            )
    _widths(t, widths)
    _para(doc, "", after=6)


def _annex(doc, s: dict, unit: dict) -> None:
    doc.add_page_break()
    w = s["window"]
    _para(doc, "PHỤ LỤC", bold=True, align=WD_ALIGN_PARAGRAPH.CENTER, after=0)
    _para(doc, f"Số liệu kết quả thực hiện công tác cải cách hành chính {w['label']}", bold=True,
          align=WD_ALIGN_PARAGRAPH.CENTER, after=0)  # fmt: skip
    _para(doc, f"(Kèm theo Báo cáo số …/BC-{unit.get('doc_code') or ask('chữ viết tắt tên cơ quan')} "
               f"của {unit.get('name') or ask('tên cơ quan')}; số liệu {window_span(w)})",
          italic=True, align=WD_ALIGN_PARAGRAPH.CENTER, after=12)  # fmt: skip
    rows = []
    for i, (kpi, k) in enumerate(s["kpis"].items(), 1):
        none = k["status"] == "no_data"  # its input is absent: no count, not 0
        rows.append(
            [
                str(i),
                k["label"],
                "–" if none else fmt_int(k["numerator"]),
                "–" if none else fmt_int(k["denominator"]),
                fmt_pct(k["pct"]),
                fmt_pct(k["previous"]["pct"]) if k.get("previous") else "–",
                target_text(k) if k["target_pct"] is not None else "–",
                STATUS_WORDS.get(k["status"], "–").capitalize() if k["target_pct"] is not None else "–",
            ]
        )
    _table(doc, "Kết quả các chỉ tiêu trong kỳ",
           ["STT", "Chỉ tiêu", "Số đạt", "Tổng số", "Tỷ lệ", "Cùng kỳ năm trước", "Chỉ tiêu Kế hoạch", "Đánh giá"], rows)  # fmt: skip
    offs = s["offices"]
    rows = [
        [str(i), o["office"], fmt_int(o["handled"]), fmt_int(o["on_time"]), fmt_int(o["late"]),
         fmt_pct(o["on_time_pct"]), fmt_int(o["owes_apology"]), fmt_int(o["apology"])]
        for i, o in enumerate(offs, 1)
    ]  # fmt: skip
    tot = {k: sum(o[k] for o in offs) for k in ("handled", "on_time", "late", "owes_apology", "apology")}
    total = ["", "Tổng cộng", fmt_int(tot["handled"]), fmt_int(tot["on_time"]), fmt_int(tot["late"]),
             fmt_pct(100 * tot["on_time"] / tot["handled"] if tot["handled"] else None),
             fmt_int(tot["owes_apology"]), fmt_int(tot["apology"])]  # fmt: skip
    _table(doc, "Hồ sơ thủ tục hành chính theo phòng, đơn vị",
           ["STT", "Phòng, đơn vị", "Phải giải quyết", "Trước hạn, đúng hạn", "Trễ hạn", "Tỷ lệ đúng hạn",
            "Phải xin lỗi", "Đã xin lỗi"], rows, total)  # fmt: skip
    t = s.get("tasks")
    if t and t.get("has_status", True):
        rows = [
            [str(i), r["lead_office"], fmt_int(r["n_tasks"]), fmt_int(r["n_due"]), fmt_int(r["n_due_done"]),
             fmt_int(r["n_late"]), fmt_int(r["n_not_updated"]),
             fmt_pct(100 * r["n_on_time"] / r["n_tasks"] if r["n_tasks"] else None)]
            for i, r in enumerate(t["by_lead_office"], 1)
        ]  # fmt: skip
        on_time = sum(r["n_on_time"] for r in t["by_lead_office"])
        total = ["", "Tổng cộng", fmt_int(t["n_tasks"]), fmt_int(t["n_due"]), fmt_int(t["n_due_done"]),
                 fmt_int(t["n_late"]), fmt_int(t["n_not_updated"]),
                 fmt_pct(100 * on_time / t["n_tasks"] if t["n_tasks"] else None)]  # fmt: skip
        _table(doc, f"Nhiệm vụ của Kế hoạch theo đơn vị chủ trì (đến ngày {d(w['end'])})",
               ["STT", "Đơn vị chủ trì", "Số nhiệm vụ", "Đến hạn", "Đến hạn đã hoàn thành", "Chậm tiến độ",
                "Chưa cập nhật", "Tỷ lệ đúng tiến độ"], rows, total)  # fmt: skip
    fb = s.get("feedback")
    if fb:
        rows = [
            [str(i), r["office"], fmt_int(r["received"]), fmt_int(r["judged"]), fmt_int(r["on_time"]),
             fmt_int(r["late"]), fmt_pct(r["on_time_pct"])]
            for i, r in enumerate(fb["by_office"], 1)
        ]  # fmt: skip
        total = ["", "Tổng cộng", fmt_int(fb["received"]), fmt_int(fb["judged"]), fmt_int(fb["on_time"]),
                 fmt_int(fb["judged"] - fb["on_time"]), fmt_pct(fb["on_time_pct"])]  # fmt: skip
        _table(doc, "Phản ánh, kiến nghị tiếp nhận trong kỳ theo phòng, đơn vị",
               ["STT", "Phòng, đơn vị xử lý", "Tiếp nhận", "Đã xử lý hoặc đã quá hạn", "Đúng hạn", "Trễ hạn",
                "Tỷ lệ đúng hạn"], rows, total)  # fmt: skip
    sv = s.get("survey")
    if sv:
        rows = [
            [str(i), f["name"], fmt_int(f["satisfied"]), fmt_int(f["answers"]), fmt_pct(f["satisfied_pct"])]
            for i, f in enumerate(sv["factors"], 1)
        ]
        total = ["", "Hài lòng chung (người trả lời)", fmt_int(sv["satisfied"]), fmt_int(sv["answered"]),
                 fmt_pct(sv["satisfied_pct"])]  # fmt: skip
        _table(doc, f"Khảo sát sự hài lòng trong kỳ ({fmt_int(sv['respondents'])} phiếu)",
               ["STT", "Yếu tố", "Hài lòng", "Số câu trả lời", "Tỷ lệ hài lòng"], rows, total)  # fmt: skip


def _sources(doc, s: dict) -> None:
    w = s["window"]
    names = ", ".join(p.rsplit("/", 1)[-1] for p in s["inputs"])
    _para(
        doc,
        f"Nguồn số liệu: kỳ báo cáo {w['label']}, {window_span(w)}; tệp dữ liệu: {names}.",
        size=11,
        italic=True,
        indent=False,
    )


def build_document(summary: dict, res) -> Document:
    """The draft as a python-docx Document (layout: module docstring). ``res``: the
    pipeline's PeriodicResult (unit, framework, illustrative flag)."""
    doc = Document()
    _setup(doc)
    unit = res.unit
    _header_block(doc, summary, unit)
    _title(doc, summary, res.is_illustrative)
    nodes = res.framework.nodes if res.framework is not None else None
    _body(doc, summary, nodes, unit)
    _signature(doc, unit)
    _annex(doc, summary, unit)
    _sources(doc, summary)
    cp = doc.core_properties
    cp.title = f"Báo cáo kết quả thực hiện công tác cải cách hành chính {summary['window']['label']}"
    cp.author = cp.last_modified_by = "parlib"
    cp.comments = ""
    stamp = datetime.fromisoformat(summary["window"]["end"]).replace(tzinfo=timezone.utc)
    cp.created = cp.modified = stamp  # the same inputs give the same file
    cp.revision = 1
    return doc
