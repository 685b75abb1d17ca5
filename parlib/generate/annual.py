"""ILLUSTRATIVE annual sample data: the department's scoresheets and province-wide tables.

``generate_annual(data_dir, seed=...)`` writes, from the bundled frameworks, crosswalk,
scoresheet layouts and bands of ``data_dir/raw``:

* ``raw/scoresheet/bang_diem_<year>.xlsx`` for 2025 and 2026: title rows (labelled
  "Dữ liệu minh họa"), the year's layout (2025: 2-row merged header and a column-numbering
  row; 2026: another sheet name, a 1-row header on row 8, other wording and order),
  Roman numerals for fields, scoring-option lines under some sub-criteria, a subtotal row
  per field, a "Tổng cộng" row, blank and note rows, decimal commas stored as text, a few
  NFD cells, realistic reasons for deductions and explanations (giải trình).
* ``raw/province/ket_qua_par_index_<year>.xlsx``: 14 departments, field points, total,
  index %, rank (blank in 2025: not published; 2026 with a tie) and band from bands.csv.
  The Sở Xây dựng row equals its scoresheet (field points and total).

The story (what the comparison and root-cause analyses should find): KPI-driven
sub-criteria are scored with the framework's own rules from the KPI values in
``KPI_VALUES``; in 2026 the dossier on-time rate, the apology for late dossiers and survey
satisfaction (SIPAS factors, ``SIPAS_PCT``, and ``satisfaction_pct``) lose points against
2025; online, digitisation, feedback and e-result sub-criteria improve; a few appraisal
sub-criteria that lost points in 2025 reach full marks, and three that had full marks are
cut at appraisal for missing evidence ("Không có tài liệu kiểm chứng"). Survey-scored nodes
have no self-assessment. Bonus and penalty columns are present but blank (0).

Deliberate content issues (``DELIBERATE_ISSUES``), one per file, so the data-quality
section has something true to show; everything else is internally consistent:
* 2025: the "Tổng cộng" row prints a total 0,25 above the sum of the fields (rule
  ``total_mismatch``); the field rows, the subtotals and the province table are right.
* 2026: the printed final score of criterion ``DELIBERATE_ISSUES[2026]['code']`` is
  0,25 above the sum of its sub-criteria (rule ``parent_sum_mismatch``).
Everything is deterministic (one seeded generator per year, fixed workbook metadata).
"""

from __future__ import annotations

import unicodedata
from pathlib import Path

import numpy as np
import pandas as pd
from openpyxl import Workbook
from openpyxl.styles import Alignment, Border, Font, Side
from openpyxl.utils import get_column_letter

from parlib.core.text import fold
from parlib.core.vnformat import fmt_num
from parlib.core.xlsx import save_workbook_deterministic
from parlib.ingest.framework import find_framework, load_framework
from parlib.ingest.scoresheet_layout import load_layouts
from parlib.model.framework import Framework, rollup, rule_points

YEARS = (2025, 2026)
DEFAULT_SEED = 20260
UNIT = "Sở Xây dựng"
KPI_VALUES = {  # yearly KPI values (0–100) behind the KPI-driven sub-criteria, taken from the
    # operational sample (parlib.quarterly on data/raw: 2025 = the whole year, 2026 = the first
    # nine months, the latest complete quarter) so that the scoresheets and the exports tell one
    # story; tasks_on_time_pct 2025 is illustrative (no 2025 task file).
    2025: {
        "on_time_pct": 98.1,
        "apology_pct": 98.0,
        "satisfaction_pct": 83.1,
        "online_pct": 44.1,
        "digitised_pct": 78.1,
        "system_updated_pct": 100.0,
        "e_result_pct": 68.0,
        "online_payment_pct": 45.2,
        "feedback_on_time_pct": 81.3,
        "index766_points": 91.6,
        "tasks_on_time_pct": 92.0,
    },
    2026: {
        "on_time_pct": 95.6,
        "apology_pct": 91.0,
        "satisfaction_pct": 79.9,
        "online_pct": 61.3,
        "digitised_pct": 89.0,
        "system_updated_pct": 100.0,
        "e_result_pct": 84.1,
        "online_payment_pct": 64.9,
        "feedback_on_time_pct": 84.8,
        "index766_points": 95.3,
        "tasks_on_time_pct": 80.0,
    },
}
SIPAS_PCT = {2025: [92.5, 91.0, 93.5, 91.0, 89.5], 2026: [89.0, 86.5, 90.0, 88.5, 84.5]}  # % per SIPAS factor
DELIBERATE_ISSUES = {
    2025: {"rule": "total_mismatch", "code": "", "delta": 0.25},
    2026: {"rule": "parent_sum_mismatch", "code": "5.4", "delta": 0.25},
}
KPI_REASON = {
    "on_time_pct": "Tỷ lệ hồ sơ đúng hạn chưa đạt 98 % (đạt {v} %)",
    "apology_pct": "Chưa thực hiện xin lỗi đối với 100 % hồ sơ quá hạn (đạt {v} %)",
    "satisfaction_pct": "Tỷ lệ hài lòng chưa đạt 95 % (đạt {v} %)",
    "tasks_on_time_pct": "Tỷ lệ nhiệm vụ CCHC hoàn thành đúng hạn đạt {v} %, chưa đạt 100 %",
    "index766_points": "Điểm Bộ chỉ số 766 đạt {v}/100 điểm, chưa đạt ngưỡng 90 điểm",
    "online_pct": "Tỷ lệ hồ sơ tiếp nhận trực tuyến đạt {v} %, chưa đạt 80 %",
    "digitised_pct": "Tỷ lệ số hóa hồ sơ đạt {v} %, chưa đạt 80 %",
    "e_result_pct": "Tỷ lệ hồ sơ có kết quả điện tử đạt {v} %, chưa đạt 80 %",
    "online_payment_pct": "Tỷ lệ thanh toán trực tuyến đạt {v} %, chưa đạt 50 %",
    "system_updated_pct": "Còn hồ sơ chưa cập nhật đầy đủ trên Hệ thống (đạt {v} %)",
    "feedback_on_time_pct": "Tỷ lệ phản ánh, kiến nghị xử lý đúng hạn đạt {v} %, chưa đạt 100 %",
}
GENERIC_REASONS = [
    "Không có tài liệu kiểm chứng",
    "Chưa đúng quy định",
    "Tài liệu kiểm chứng chưa đầy đủ",
    "Thực hiện chưa đầy đủ nội dung theo kế hoạch",
]
EXPLAINED = "Đơn vị đã bổ sung tài liệu kiểm chứng (Công văn số {n}/SXD-VP)"
NOT_ACCEPTED = "Đề nghị xem xét lại do đã thực hiện nhưng chưa cập nhật kịp tài liệu"
# column order of each year's sheet (the header text comes from scoresheet_layouts.csv)
ORDER = {
    2025: [
        "code",
        "name",
        "max_points",
        "self_points",
        "appraisal1_points",
        "final_points",
        "explanation",
        "bonus_points",
        "penalty_points",
        "reason",
    ],
    2026: [
        "code",
        "name",
        "max_points",
        "self_points",
        "appraisal1_points",
        "explanation",
        "final_points",
        "reason",
        "bonus_points",
        "penalty_points",
    ],
}
DEPARTMENTS = [
    "Sở Xây dựng",
    "Sở Tài chính",
    "Sở Nội vụ",
    "Sở Tư pháp",
    "Sở Y tế",
    "Sở Giáo dục và Đào tạo",
    "Sở Công Thương",
    "Sở Nông nghiệp và Môi trường",
    "Sở Khoa học và Công nghệ",
    "Sở Văn hóa, Thể thao và Du lịch",
    "Sở Dân tộc và Tôn giáo",
    "Thanh tra tỉnh",
    "Văn phòng UBND tỉnh",
    "Ban Quản lý các khu công nghiệp",
]
ILLUSTRATIVE = "Dữ liệu minh họa (không phải số liệu chính thức)"


# ---------------------------------------------------------------- leaf scores


def _step(m: float) -> float:
    return 0.25 if m <= 1 else 0.5


def _q(x: float) -> float:
    """Round to 2 decimals (printed precision), avoiding float noise."""
    return float(round(x + 1e-12, 2))


def _sipas_codes(nodes: pd.DataFrame) -> set[str]:
    """Survey leaves under a criterion named after SIPAS (the five SIPAS factors)."""
    names = dict(zip(nodes["code"], nodes["name"].map(fold)))
    return {
        c
        for c, p in zip(nodes["code"], nodes["parent_code"])
        if p and ("sipas" in names[p] or "hai long cua nguoi dan" in names[p])
    }


def _base_map(data_dir: Path, fw: Framework) -> dict[str, list[str]]:
    """target leaf -> base leaves (crosswalk 2025 -> 2026; identity when none)."""
    p = data_dir / "raw" / "crosswalk" / f"crosswalk_{fw.year - 1}_{fw.year}.csv"
    if not p.exists():
        return {c: [c] for c in fw.nodes["code"]}
    cw = pd.read_csv(p, dtype=str, keep_default_na=False, encoding="utf-8-sig")
    out: dict[str, list[str]] = {}
    for r in cw.itertuples(index=False):
        if r.target_code and r.base_code:
            out.setdefault(r.target_code, []).append(r.base_code)
    return out


def _appraisal_leaf(m: float, rng: np.random.Generator, name: str) -> dict:
    st = _step(m)
    self_ = m - st * (1 + int(rng.random() < 0.4)) if rng.random() < 0.25 else m
    self_ = max(0.0, self_)
    a1, final, expl, reason = self_, self_, "", ""
    if rng.random() < 0.14:
        a1 = max(0.0, self_ - st * (1 + int(rng.random() < 0.3)))
        final = a1
        if rng.random() < 0.35:
            final = min(self_, a1 + st)
            expl = EXPLAINED.format(n=int(rng.integers(120, 980)))
        elif rng.random() < 0.3:
            expl = NOT_ACCEPTED
    if final < m:
        f = fold(name)
        reason = (
            "Không thực hiện"
            if final == 0
            else "Ban hành kế hoạch chậm so với quy định"
            if f.startswith("ban hanh")
            else "Báo cáo gửi trễ hạn"
            if "bao cao" in f
            else GENERIC_REASONS[int(rng.integers(len(GENERIC_REASONS)))]
        )
    return {
        "self_points": self_,
        "appraisal1_points": a1,
        "final_points": final,
        "explanation": expl,
        "reason": reason,
    }


def _kpi_leaf(year: int, r, rng: np.random.Generator) -> dict:
    v = KPI_VALUES[year][r.kpi]
    final = _q(rule_points(v, r.rule, r.rule_params, r.max_points))
    self_ = final
    a1 = final
    if r.kpi == "apology_pct" and final < r.max_points:
        self_ = r.max_points  # claimed full, cut at appraisal (register of apology letters incomplete)
    reason = ""
    if final < r.max_points - 1e-9:
        reason = KPI_REASON[r.kpi].format(v=fmt_num(v, 1))
    if r.method == "survey":
        self_, a1 = np.nan, np.nan
    return {
        "self_points": self_,
        "appraisal1_points": a1,
        "final_points": final,
        "explanation": "",
        "reason": reason,
    }


def leaf_scores(
    fw: Framework,
    rng: np.random.Generator,
    base: pd.DataFrame | None = None,
    base_map: dict[str, list[str]] | None = None,
) -> pd.DataFrame:
    """One row per leaf: code, max_points, method, self/appraisal1/final points, explanation,
    reason. With ``base`` (last year's leaf scores) appraisal leaves keep last year's pattern
    (rescaled through the crosswalk), two losers improve and three full marks are cut at
    appraisal for missing evidence."""
    nodes = fw.nodes
    leaves = nodes.loc[nodes["is_leaf"]]
    recs, sipas_i = [], 0
    sipas = _sipas_codes(nodes)
    b_idx = base.set_index("code") if base is not None else None
    for r in leaves.itertuples(index=False):
        m = float(r.max_points)
        if r.kpi:
            rec = _kpi_leaf(fw.year, r, rng)
        elif r.method == "survey":
            if r.code in sipas:
                pct = SIPAS_PCT[fw.year][sipas_i % 5]
                sipas_i += 1
                final = _q(pct / 100 * m)
            else:
                frac = rng.uniform(0.80, 0.93)
                if base is not None and base_map and base_map.get(r.code):
                    b = b_idx.reindex(base_map[r.code])
                    frac = float(b["final_points"].sum() / b["max_points"].sum()) + rng.uniform(-0.03, 0.01)
                final = _q(min(frac, 1.0) * m)
            rec = {
                "self_points": np.nan,
                "appraisal1_points": np.nan,
                "final_points": final,
                "explanation": "",
                "reason": "Kết quả điều tra xã hội học" if final < m else "",
            }
        elif base is not None and base_map and base_map.get(r.code):
            b = b_idx.reindex(base_map[r.code])
            rec = {}
            for c in ("self_points", "appraisal1_points", "final_points"):
                frac = float(b[c].sum() / b["max_points"].sum())
                rec[c] = float(np.floor(frac * m / 0.25 + 1e-9) * 0.25)
            expl = b["explanation"].iloc[0] if len(b) == 1 else ""
            rec["explanation"] = (
                EXPLAINED.format(n=int(rng.integers(120, 980))) if expl.startswith(EXPLAINED[:20]) else expl
            )
            rec["reason"] = (
                b["reason"].iloc[0]
                if rec["final_points"] < m and b["reason"].iloc[0]
                else ("Tài liệu kiểm chứng chưa đầy đủ" if rec["final_points"] < m else "")
            )
        else:
            rec = _appraisal_leaf(m, rng, r.name)
        recs.append({"code": r.code, "max_points": m, "method": r.method, "kpi": r.kpi, **rec})
    out = pd.DataFrame(recs)
    if base is not None:
        _apply_story(out, rng)
    return out


def _apply_story(out: pd.DataFrame, rng: np.random.Generator) -> None:
    """In place on a fresh frame: two appraisal losers improve (one of them cut at appraisal
    last year when possible), three full marks are cut at appraisal for missing evidence."""
    appr = (out["method"] == "appraisal") & (out["kpi"] == "")
    lost = appr & (out["final_points"] < out["max_points"])
    was_cut = out.index[lost & (out["self_points"] > out["final_points"])].tolist()
    not_claimed = out.index[lost & (out["self_points"] <= out["final_points"])].tolist()
    full = out.index[appr & (out["final_points"] >= out["max_points"])].tolist()
    better = list(rng.choice(was_cut, size=min(1, len(was_cut)), replace=False)) if was_cut else []
    better += list(rng.choice(not_claimed, size=min(2 - len(better), len(not_claimed)), replace=False))
    for i in better:
        out.loc[i, ["self_points", "appraisal1_points", "final_points"]] = out.at[i, "max_points"]
        out.loc[i, ["explanation", "reason"]] = ""
    for i in rng.choice(full, size=min(3, len(full)), replace=False):
        m = out.at[i, "max_points"]
        out.loc[i, ["self_points", "appraisal1_points", "final_points"]] = [m, m - _step(m), m - _step(m)]
        out.loc[i, ["explanation", "reason"]] = [NOT_ACCEPTED, "Không có tài liệu kiểm chứng"]


def deliberate_issue(fw: Framework) -> dict:
    """The deliberate content issue of the year's sample (``DELIBERATE_ISSUES``); when the
    framework lacks the named criterion, the first criterion with sub-criteria is used."""
    d = dict(DELIBERATE_ISSUES[fw.year])
    parents = fw.nodes.loc[~fw.nodes["is_leaf"] & (fw.nodes["depth"] == 2), "code"].tolist()
    if d["code"] and d["code"] not in parents:
        d["code"] = parents[0]
    return d


def _ok(leaves: pd.DataFrame, lo: float, hi: float) -> bool:
    total = leaves["final_points"].sum()
    claimed = leaves["self_points"].notna()
    cut = (leaves.loc[claimed, "self_points"] - leaves.loc[claimed, "final_points"]).sum()
    return lo <= total <= hi and 2.0 <= cut <= 4.0


def plan_years(data_dir: Path, seed: int = DEFAULT_SEED) -> dict[int, tuple[Framework, pd.DataFrame]]:
    """Framework and leaf scores of each year; redraws (deterministically) until the total is
    in the realistic range (2025: 86–91, 2026: 82–88 and at least 1 point below 2025) and appraisal cuts
    self-assessment by 2–4 points."""
    fws = {y: load_framework(find_framework(data_dir / "raw" / "framework", y)) for y in YEARS}
    bmap = _base_map(data_dir, fws[2026])
    rng = np.random.default_rng(seed)
    for _ in range(200):
        a = leaf_scores(fws[2025], rng)
        if not _ok(a, 86, 91):
            continue
        for _ in range(40):
            b = leaf_scores(fws[2026], rng, base=a, base_map=bmap)
            if _ok(b, 82, min(88, a["final_points"].sum() - 1.0)):
                return {2025: (fws[2025], a), 2026: (fws[2026], b)}
    raise RuntimeError("could not draw realistic sample scoresheets")


def node_scores(fw: Framework, leaves: pd.DataFrame) -> pd.DataFrame:
    """Every node with max (framework) and the sums of its leaves' self/appraisal1/final."""
    vals = rollup(leaves[["code", "self_points", "appraisal1_points", "final_points"]], fw.nodes)
    out = fw.nodes[["code", "parent_code", "level", "name", "max_points", "is_leaf", "depth"]].merge(
        vals, on="code"
    )
    for c in ("self_points", "appraisal1_points", "final_points"):
        out[c] = out[c].map(lambda x: _q(x) if pd.notna(x) else np.nan)
    return out.merge(leaves[["code", "explanation", "reason"]], on="code", how="left").fillna(
        {"explanation": "", "reason": ""}
    )


# ---------------------------------------------------------------- workbook writing


def _roman(n: int) -> str:
    vals = ((10, "X"), (9, "IX"), (5, "V"), (4, "IV"), (1, "I"))
    s = ""
    for v, r in vals:
        while n >= v:
            s, n = s + r, n - v
    return s


def _num(x, rng: np.random.Generator, text_share: float = 0.15):
    """A number as written in the sheet: blank, a number, or decimal-comma text."""
    if x is None or (isinstance(x, float) and np.isnan(x)):
        return None
    x = _q(x)
    if x != int(x) and rng.random() < text_share:
        return fmt_num(x, 2).rstrip("0").rstrip(",")
    return int(x) if x == int(x) else x


def _options(r: pd.Series) -> list[str]:
    """Scoring-option lines printed under some sub-criteria (``r``: a framework node)."""
    m, f = float(r["max_points"]), fold(r["name"])
    if f.startswith("ban hanh"):
        return [
            f"- Ban hành đúng thời hạn: {fmt_num(m, 2).rstrip('0').rstrip(',')} điểm",
            f"- Ban hành chậm so với quy định: {fmt_num(m / 2, 2).rstrip('0').rstrip(',')} điểm",
            "- Không ban hành: 0 điểm",
        ]
    if r["rule"] == "linear" and r["kpi"]:
        t = fmt_num(float(r["rule_params"]), 0)
        return [
            f"- Đạt từ {t} % trở lên: {fmt_num(m, 2).rstrip('0').rstrip(',')} điểm",
            f"- Dưới {t} %: điểm = tỷ lệ đạt × {fmt_num(m, 2).rstrip('0').rstrip(',')} / {t}",
        ]
    if r["rule"] == "binary":
        return [f"- Đạt 100 %: {fmt_num(m, 2).rstrip('0').rstrip(',')} điểm", "- Dưới 100 %: 0 điểm"]
    return []


def write_scoresheet(fw: Framework, nodes: pd.DataFrame, layout, target: Path, seed: int) -> Path:
    """Write one year's sample scoresheet in the year's layout (see module docstring)."""
    rng = np.random.default_rng(seed + fw.year)
    year = fw.year
    order = [c for c in ORDER[year] if c in layout.columns]
    headers = [layout.columns[c][0] for c in order]
    width = len(order)
    col = {c: j + 1 for j, c in enumerate(order)}
    wb = Workbook()
    ws = wb.active
    ws.title = layout.sheet
    bold, thin = Font(bold=True), Side(style="thin")
    title = (
        "BẢNG ĐIỂM CHỈ SỐ CẢI CÁCH HÀNH CHÍNH"
        if year == 2025
        else "KẾT QUẢ THẨM ĐỊNH CHỈ SỐ CẢI CÁCH HÀNH CHÍNH"
    ) + f" NĂM {year} — {UNIT} tỉnh Đắk Lắk"
    top = [["UBND TỈNH ĐẮK LẮK"], ["SỞ NỘI VỤ"], [], [title], [ILLUSTRATIVE]]
    top += (
        [[]] if year == 2025 else [["(Kèm theo Thông báo kết quả thẩm định Chỉ số CCHC của Sở Nội vụ)"], []]
    )
    for r in top:
        ws.append(r)
    ws.cell(4, 1).font = Font(bold=True, size=13)
    ws.merge_cells(start_row=4, start_column=1, end_row=4, end_column=width)
    h = len(top) + 1  # (max_row ignores trailing blank rows)
    if layout.header_rows == 2:
        parts = [s.split(" / ", 1) for s in headers]
        j = 0
        while j < width:
            up = parts[j][0]
            if len(parts[j]) == 1:
                ws.cell(h, j + 1, up)
                ws.merge_cells(start_row=h, start_column=j + 1, end_row=h + 1, end_column=j + 1)
                j += 1
                continue
            k = j
            while k + 1 < width and len(parts[k + 1]) == 2 and parts[k + 1][0] == up:
                k += 1
            ws.cell(h, j + 1, up)
            if k > j:
                ws.merge_cells(start_row=h, start_column=j + 1, end_row=h, end_column=k + 1)
            for i in range(j, k + 1):
                ws.cell(h + 1, i + 1, parts[i][1])
            j = k + 1
        ws.append([f"({i})" for i in range(1, width + 1)])  # column-numbering row
    else:
        for j, t in enumerate(headers):
            ws.cell(h, j + 1, t)
    for rr in range(h, ws.max_row + 1):
        for cc in range(1, width + 1):
            ws.cell(rr, cc).font = bold
            ws.cell(rr, cc).alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)
    info = fw.nodes.set_index("code")
    nfd_codes = set(rng.choice(nodes.loc[nodes["is_leaf"], "code"].to_numpy(), size=3, replace=False))
    deliberate = deliberate_issue(fw)

    def put(values: dict, *, is_bold=False) -> None:
        row = [None] * width
        for c, v in values.items():
            if c in col:
                row[col[c] - 1] = v
        ws.append(row)
        r = ws.max_row
        for cc in range(1, width + 1):
            ws.cell(r, cc).border = Border(left=thin, right=thin, top=thin, bottom=thin)
            if is_bold:
                ws.cell(r, cc).font = bold

    def line(n, *, code, name, final_delta=0.0, na_self=True):
        # 2025 marks "not applicable" self-assessment cells of survey-scored leaves with "x"
        no_self = na_self and year == 2025 and n.is_leaf and info.at[n.code, "method"] == "survey"
        put(
            {
                "code": code,
                "name": name,
                "max_points": _num(n.max_points, rng, 0.15),
                "self_points": "x" if no_self else _num(n.self_points, rng),
                "appraisal1_points": _num(n.appraisal1_points, rng),
                "final_points": _num(n.final_points + final_delta, rng),
                "explanation": n.explanation or None,
                "reason": n.reason or None,
            },
            is_bold=n.depth < 3 and not n.is_leaf,
        )

    fields = nodes.loc[nodes["depth"] == 1]
    for f in fields.itertuples(index=False):
        line(f, code=_roman(int(f.code)), name=f.name, na_self=False)
        sub = nodes.loc[nodes["code"].str.startswith(f.code + ".")]
        for n in sub.itertuples(index=False):
            name = unicodedata.normalize("NFD", n.name) if n.code in nfd_codes else n.name
            line(
                n,
                code=n.code,
                name=name,
                final_delta=deliberate["delta"] if n.code == deliberate["code"] else 0.0,
            )
            if n.is_leaf:
                for opt in _options(info.loc[n.code]):
                    put({"name": opt})
        put(
            {
                "name": f"Cộng lĩnh vực {_roman(int(f.code))}",
                "max_points": _num(f.max_points, rng, 0),
                "self_points": _num(f.self_points, rng, 0),
                "appraisal1_points": _num(f.appraisal1_points, rng, 0),
                "final_points": _num(f.final_points, rng, 0),
            },
            is_bold=True,
        )
    total = _q(fields["final_points"].sum())
    put(
        {
            "name": "Tổng cộng",
            "max_points": _num(fw.total_points, rng, 0),
            "self_points": _num(fields["self_points"].sum(), rng, 0),
            "appraisal1_points": _num(fields["appraisal1_points"].sum(), rng, 0),
            "final_points": _num(
                total + (deliberate["delta"] if deliberate["rule"] == "total_mismatch" else 0), rng, 0
            ),
        },
        is_bold=True,
    )
    ws.append([])
    ws.append(
        [
            None,
            "Ghi chú: Điểm các tiêu chí chấm bằng điều tra xã hội học do Sở Nội vụ cung cấp; đơn vị "
            "không tự đánh giá các tiêu chí này.",
        ]
    )
    ws.append([None, "NGƯỜI LẬP BIỂU"])
    widths = {"code": 9, "name": 60, "explanation": 40, "reason": 45}
    for c, j in col.items():
        ws.column_dimensions[get_column_letter(j)].width = widths.get(c, 13)
    return save_workbook_deterministic(wb, target)


# ---------------------------------------------------------------- province table


def province_table(
    year: int, fw: Framework, unit_nodes: pd.DataFrame, bands: pd.DataFrame, rng: np.random.Generator
) -> pd.DataFrame:
    """Rows: unit_name, field_1..field_n, total_points, index_pct, rank (NA in 2025), band."""
    fields = fw.nodes.loc[fw.nodes["depth"] == 1, ["code", "max_points"]]
    mine = unit_nodes.set_index("code")["final_points"]
    rows = []
    for d in DEPARTMENTS:
        if d == UNIT:
            pts = [float(mine[c]) for c in fields["code"]]
        else:
            level = rng.uniform(0.78, 0.93)
            pts = [_q(min(0.98, max(0.5, level + rng.normal(0, 0.04))) * m) for m in fields["max_points"]]
        rows.append([d] + pts)
    df = pd.DataFrame(rows, columns=["unit_name"] + [f"field_{c}" for c in fields["code"]])
    fcols = [c for c in df.columns if c.startswith("field_")]
    if year == 2026:  # a tie in the published ranking: the two other departments closest in total
        tot = df[fcols].sum(axis=1).drop(index=DEPARTMENTS.index(UNIT)).sort_values()
        k = int(np.argmin(np.diff(tot.to_numpy())))
        a, b, last = tot.index[k + 1], tot.index[k], fcols[-1]
        df.loc[b, last] = _q(df.loc[a, fcols].sum() - df.loc[b, fcols[:-1]].sum())
    df["total_points"] = df[fcols].sum(axis=1).map(_q)
    df["index_pct"] = (df["total_points"] / fw.total_points * 100).map(_q)
    ranks = df["total_points"].rank(method="min", ascending=False).astype("Int64")
    df["rank"] = ranks if year == 2026 else pd.array([pd.NA] * len(df), dtype="Int64")
    b = bands.sort_values("min_pct", ascending=False)
    df["band"] = df["index_pct"].map(
        lambda v: next(n for n, t in zip(b["band_name"], b["min_pct"]) if v >= t)
    )
    return df


def write_province(df: pd.DataFrame, year: int, target: Path) -> Path:
    wb = Workbook()
    ws = wb.active
    ws.title = "Ket qua"
    fcols = [c for c in df.columns if c.startswith("field_")]
    ws.append(
        [f"KẾT QUẢ CHỈ SỐ CẢI CÁCH HÀNH CHÍNH NĂM {year} CÁC SỞ, BAN, NGÀNH TỈNH ĐẮK LẮK — {ILLUSTRATIVE}"]
    )
    ws.cell(1, 1).font = Font(bold=True)
    header = (
        ["STT", "Đơn vị"]
        + [f"Lĩnh vực {c.split('_')[1]}" for c in fcols]
        + ["Tổng điểm", "Chỉ số (%)", "Xếp hạng", "Xếp loại"]
    )
    ws.append(header)
    for j in range(1, len(header) + 1):
        ws.cell(2, j).font = Font(bold=True)
    for i, r in enumerate(df.itertuples(index=False), start=1):
        rank = None if pd.isna(r.rank) else int(r.rank)
        ws.append(
            [i, r.unit_name]
            + [float(getattr(r, c)) for c in fcols]
            + [float(r.total_points), float(r.index_pct), rank, r.band]
        )
    ws.column_dimensions["B"].width = 36
    return save_workbook_deterministic(wb, target)


# ---------------------------------------------------------------- entry point


def generate_annual(data_dir: str | Path, seed: int = DEFAULT_SEED) -> list[Path]:
    """Write the sample scoresheets and province tables of 2025 and 2026 into ``data_dir/raw``
    (reading the frameworks, crosswalk, layouts and bands there). Deterministic for a seed:
    re-running gives byte-identical files. Returns the paths written."""
    data_dir = Path(data_dir)
    raw = data_dir / "raw"
    layouts = load_layouts(raw / "config" / "scoresheet_layouts.csv")
    bands = pd.read_csv(raw / "config" / "bands.csv", encoding="utf-8-sig")
    written = []
    for year, (fw, leaves) in plan_years(data_dir, seed).items():
        nodes = node_scores(fw, leaves)
        written.append(
            write_scoresheet(fw, nodes, layouts[year], raw / "scoresheet" / f"bang_diem_{year}.xlsx", seed)
        )
        table = province_table(year, fw, nodes, bands, np.random.default_rng(seed * 7 + year))
        written.append(write_province(table, year, raw / "province" / f"ket_qua_par_index_{year}.xlsx"))
    return written
