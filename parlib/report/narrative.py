"""Vietnamese sentences and display tables for the annual report ("Kết luận chính").

Every number in a sentence is read from the tables computed by ``parlib.attribution``
(summary dict, field table, top losses, stage table, Pareto table) and formatted with
``parlib.vnformat`` (85,25 điểm; 98,3 %). Nothing is recomputed here except choosing,
ordering and wording. Missing numbers are never written as 0: a sentence whose number is
missing is replaced by a sentence saying what is missing.
"""

from __future__ import annotations

import pandas as pd

from parlib.analysis.attribution import TOL
from parlib.analysis.loss_tables import n_for_share
from parlib.core.numbers import is_missing
from parlib.core.text import upper_first
from parlib.core.vnformat import fmt_int, fmt_num, fmt_pct
from parlib.model.framework import DEFAULT_LEVEL_NAMES


# ---------------------------------------------------------------- small helpers
def _pts(x) -> str:
    return f"{fmt_num(x, 2)} điểm"


def _join_vi(items: list[str]) -> str:
    """['a', 'b', 'c'] → 'a, b và c'."""
    if len(items) <= 1:
        return "".join(items)
    return ", ".join(items[:-1]) + " và " + items[-1]


def leaf_noun(levels: pd.Series, names: tuple[str, ...] | None = None) -> str:
    """The year's name of the bottom level (default «tiêu chí thành phần») when every leaf is at
    the bottom, else the name of the level above it (default «tiêu chí»)."""
    names = names or DEFAULT_LEVEL_NAMES
    lv = set(levels.dropna().astype(str))
    if lv <= {"subcriterion"} or len(names) < 2:
        return names[-1]
    return names[-2]  # a leaf criterion, or a mix of criteria and sub-criteria


def _fmt_index(pct: float, next_min: float | None) -> str:
    """Index with 2 decimals, more when 2 decimals would print the next band's threshold.

    The band is decided on the unrounded index (89,995 % is Nhóm II), so the text must
    not print '90,00 %' next to 'Nhóm II'.
    """
    for d in (2, 3, 4, 6):
        if next_min is None or round(pct, d) < next_min:
            return fmt_pct(pct, d)
    return fmt_pct(pct, 6)


def _owner(office) -> str:
    return (
        f"{office} chủ trì" if isinstance(office, str) and office.strip() else "chưa phân công đơn vị chủ trì"
    )


# ---------------------------------------------------------------- sentences
def sentence_total(summary: dict) -> str:
    """Total, index % and band; or why they cannot be given."""
    who = summary.get("unit_name") or "Đơn vị"
    when = f"Năm {summary['year']}, " if summary.get("year") else ""
    if is_missing(summary.get("total_points")):
        codes = ", ".join(summary.get("missing_final_codes") or [])
        return (
            f"{when}chưa tính được tổng điểm và Chỉ số CCHC của {who} vì thiếu điểm thẩm định "
            f"cuối cùng của {fmt_int(summary.get('n_missing_final', 0))} nội dung ({codes}); "
            "các số liệu dưới đây chưa gồm các nội dung này."
        )
    parts = []
    if abs(summary.get("bonus_points") or 0) > TOL:
        parts.append(f"{_pts(summary['bonus_points'])} thưởng")
    if abs(summary.get("penalty_points") or 0) > TOL:
        parts.append(f"{_pts(summary['penalty_points'])} bị trừ")
    extra = f" (đã tính {_join_vi(parts)})" if parts else ""
    band = f", xếp loại {summary['band']}" if summary.get("band") else ", chưa đạt mức xếp loại nào"
    idx = _fmt_index(summary["index_pct"], summary.get("next_band_min_pct"))
    text = (
        f"{when}{who} đạt {fmt_num(summary['total_points'], 2)}/{fmt_num(summary['max_points'], 2)} "
        f"điểm{extra}, Chỉ số CCHC {idx}{band}."
    )
    return upper_first(text)


def sentence_stage(summary: dict, stage: pd.DataFrame) -> str | None:
    """Total loss and its split by stage (only non-zero stages are named)."""
    total = summary.get("points_lost")
    if is_missing(total) or stage["points_lost"].isna().any():
        return None
    if abs(total) <= TOL:
        return "Không có điểm bị mất: mọi tiêu chí đều đạt điểm tối đa."
    p = stage.set_index("stage")["points_lost"]
    get = lambda k: float(p.get(k, 0.0))  # noqa: E731
    parts = []
    if abs(get("not_claimed")) > TOL:
        parts.append(f"{_pts(get('not_claimed'))} do tự đánh giá chưa đạt điểm tối đa")
    cut, back = get("cut_round1"), -get("regained")  # 'regained' is a negative contribution
    if abs(cut) > TOL or abs(back) > TOL:
        after = (
            f", sau giải trình gỡ lại được {_pts(back)}"
            if abs(back) > TOL
            else ", không gỡ lại được điểm nào sau giải trình"
        )
        parts.append(f"{_pts(cut)} bị trừ khi thẩm định lần 1{after}")
    if abs(get("survey")) > TOL:
        parts.append(
            f"{_pts(get('survey'))} ở các nội dung đo lường (điều tra xã hội học, "
            "chỉ số 766, số liệu thống kê)"
        )
    if abs(get("unsplit")) > TOL:
        parts.append(f"{_pts(get('unsplit'))} chưa tách được giai đoạn vì thiếu điểm tự đánh giá")
    return f"Tổng số điểm bị mất là {_pts(total)}, gồm: " + "; ".join(parts) + "."


def sentence_fields(fields: pd.DataFrame, word: str = "lĩnh vực") -> str | None:
    """Field(s) with the lowest % of max and field(s) losing most points (ties all named);
    ``word``: the year's name of the top level."""
    f = fields.dropna(subset=["pct_of_max", "points_lost"])
    if f.empty or (f["points_lost"] <= TOL).all():
        return None
    low = f.loc[f["pct_of_max"] <= f["pct_of_max"].min() + TOL]
    most = f.loc[f["points_lost"] >= f["points_lost"].max() - TOL]
    name = lambda r: f"{word} {r.code} – {r.name}"  # noqa: E731
    low_txt = _join_vi([f"{name(r)} ({fmt_pct(r.pct_of_max, 1)} điểm tối đa)" for r in low.itertuples()])
    text = f"{upper_first(word)} có tỷ lệ đạt thấp nhất: {low_txt}"
    if set(most["code"]) != set(low["code"]):
        most_txt = _join_vi([f"{name(r)} ({_pts(r.points_lost)})" for r in most.itertuples()])
        text += f"; {word} mất nhiều điểm nhất: {most_txt}"
    return text + "."


def sentence_top(
    top: pd.DataFrame, pareto_df: pd.DataFrame, n: int = 3, names: tuple[str, ...] | None = None
) -> str | None:
    """The biggest losses with their owning office and main stage.

    ``top`` may hold more than ``n`` rows when leaves tie with the n-th loss: the first
    ``n`` are described in full and the other tied codes are named after them.
    """
    if top.empty:
        return None
    noun = leaf_noun(top["level"], names) if "level" in top.columns else "tiêu chí"
    shown, extra = top.head(max(n, 1)), top.iloc[max(n, 1) :]
    items = [
        f"{r.code} «{r.name}» mất {fmt_num(r.points_lost, 2)}/{fmt_num(r.max_points, 2)} điểm "
        f"({_owner(r.owner_office)}; {str(r.stage).lower()})"
        for r in shown.itertuples()
    ]
    if len(pareto_df) == 1:
        return f"Chỉ có 1 {noun} bị mất điểm: {items[0]}."
    text = f"{fmt_int(len(shown))} {noun} mất nhiều điểm nhất: " + "; ".join(items)
    if not extra.empty:
        text += (
            f"; {fmt_int(len(extra))} {noun} khác cũng mất {_pts(extra['points_lost'].iloc[0])} "
            f"(bằng mức thứ {fmt_int(len(shown))}): " + ", ".join(extra["code"].astype(str))
        )
    return text + "."


def sentence_pareto(
    pareto_df: pd.DataFrame, share_pct: float = 80.0, names: tuple[str, ...] | None = None
) -> str | None:
    """'k of N leaves that lost points explain ≥ 80 % of the points lost'."""
    if len(pareto_df) < 2:
        return None
    k = n_for_share(pareto_df, share_pct)
    reached = pareto_df["cum_share_pct"].iloc[k - 1]
    noun = leaf_noun(pareto_df["level"], names) if "level" in pareto_df.columns else "tiêu chí"
    if k == len(pareto_df):
        return (
            f"Điểm bị mất phân tán: cần cả {fmt_int(k)} {noun} bị mất điểm mới chiếm "
            f"{fmt_pct(share_pct, 0)} số điểm bị mất."
        )
    return (
        f"{fmt_int(k)} {noun} (trong số {fmt_int(len(pareto_df))} {noun} bị mất điểm) chiếm "
        f"{fmt_pct(reached, 1)} số điểm bị mất."
    )


def sentence_gap(
    summary: dict, fields: pd.DataFrame, n_fields: int = 2, word: str = "lĩnh vực"
) -> str | None:
    """Appraisal gap (self − final on self-scored leaves) and the fields it sits in."""
    gap = summary.get("appraisal_gap_points")
    if is_missing(gap):
        return None
    if abs(gap) <= TOL:
        return "Điểm thẩm định cuối cùng bằng điểm tự đánh giá ở mọi nội dung tự chấm."
    if gap < 0:
        return f"Điểm thẩm định cao hơn điểm tự đánh giá {_pts(-gap)}."
    f = (
        fields.loc[fields["appraisal_gap_points"] > TOL]
        .sort_values(["appraisal_gap_points", "code"], ascending=[False, True])
        .head(n_fields)
    )
    where = _join_vi([f"{word} {r.code} – {r.name} ({_pts(r.appraisal_gap_points)})" for r in f.itertuples()])
    return f"Điểm thẩm định thấp hơn điểm tự đánh giá {_pts(gap)}, tập trung ở {where}."


def annual_conclusions(
    summary: dict,
    fields: pd.DataFrame,
    top: pd.DataFrame,
    stage: pd.DataFrame,
    pareto_df: pd.DataFrame,
    n_top: int = 3,
    names: tuple[str, ...] | None = None,
) -> list[str]:
    """The "Kết luận chính" bullet sentences, conclusions first. ``names``: the year's level
    names, top first (``Framework.level_names``; default lĩnh vực / tiêu chí / tiêu chí thành phần).

    Order: total/index/band; loss by stage; weakest fields; biggest losses with owners;
    Pareto concentration; appraisal gap. Sentences that have nothing to say (no loss,
    a single loss, missing totals) are left out, never filled with zeros.
    """
    word = (names or DEFAULT_LEVEL_NAMES)[0]
    out = [
        sentence_total(summary),
        sentence_stage(summary, stage),
        sentence_fields(fields, word),
        sentence_top(top, pareto_df, n_top, names),
        sentence_pareto(pareto_df, names=names),
        sentence_gap(summary, fields, word=word),
    ]
    return [s for s in out if s]


# ---------------------------------------------------------------- display tables
_P, _PCT1, _PCT2, _INT, _TXT = "points", "pct1", "pct2", "int", "text"
_FMT = {
    _P: lambda x: fmt_num(x, 2),
    _PCT1: lambda x: fmt_pct(x, 1),
    _PCT2: lambda x: fmt_pct(x, 2),
    _INT: fmt_int,
    _TXT: lambda x: "" if is_missing(x) else str(x),
}
_STAGE_VI_COLS = [
    ("not_claimed_points", "Tự đánh giá chưa tối đa", _P),
    ("cut_round1_points", "Bị trừ thẩm định lần 1", _P),
    ("regained_points", "Gỡ lại sau giải trình", _P),
    ("survey_points", "Mất ở nội dung đo lường", _P),
]
TABLES = {
    "field": [
        ("code", "Mã", _TXT),
        ("name", "Lĩnh vực", _TXT),
        ("max_points", "Điểm tối đa", _P),
        ("final_points", "Điểm đạt", _P),
        ("pct_of_max", "Tỷ lệ đạt", _PCT1),
        ("points_lost", "Điểm bị mất", _P),
        ("share_of_loss_pct", "Tỷ trọng điểm bị mất", _PCT1),
        ("loss_rank", "Thứ tự mất điểm", _INT),
        ("appraisal_gap_points", "Chênh lệch tự đánh giá – thẩm định", _P),
    ],
    "office": [
        ("owner_office", "Đơn vị chủ trì", _TXT),
        ("n_leaves", "Số tiêu chí phụ trách", _INT),
        ("n_leaves_lost", "Số tiêu chí bị mất điểm", _INT),
        ("max_points", "Điểm tối đa", _P),
        ("final_points", "Điểm đạt", _P),
        ("points_lost", "Điểm bị mất", _P),
        ("share_pct", "Tỷ trọng điểm bị mất", _PCT1),
        ("partner_offices", "Đơn vị phối hợp", _TXT),
    ],
    "stage": [
        ("stage_name", "Giai đoạn", _TXT),
        ("points_lost", "Điểm bị mất", _P),
        ("share_pct", "Tỷ trọng", _PCT1),
    ],
    "method": [
        ("method_name", "Phương pháp chấm", _TXT),
        ("n_leaves", "Số tiêu chí", _INT),
        ("max_points", "Điểm tối đa", _P),
        ("final_points", "Điểm đạt", _P),
        ("points_lost", "Điểm bị mất", _P),
        ("share_pct", "Tỷ trọng điểm bị mất", _PCT1),
    ],
    "pareto": [
        ("rank", "Thứ tự", _INT),
        ("code", "Mã", _TXT),
        ("name", "Tiêu chí", _TXT),
        ("owner_office", "Đơn vị chủ trì", _TXT),
        ("points_lost", "Điểm bị mất", _P),
        ("share_pct", "Tỷ trọng", _PCT1),
        ("cum_points_lost", "Lũy kế điểm bị mất", _P),
        ("cum_share_pct", "Lũy kế tỷ trọng", _PCT1),
    ],
    "top": [
        ("code", "Mã", _TXT),
        ("name", "Tiêu chí", _TXT),
        ("max_points", "Điểm tối đa", _P),
        ("points_lost", "Điểm bị mất", _P),
        ("owner_office", "Đơn vị chủ trì", _TXT),
        ("partner_offices", "Đơn vị phối hợp", _TXT),
        ("stage", "Giai đoạn mất điểm chính", _TXT),
    ],
}
OPTIONAL = {"field": {c for c, _, _ in _STAGE_VI_COLS} | {"appraisal_gap_points", "loss_rank"}}
TABLES["field"] = TABLES["field"] + _STAGE_VI_COLS


def to_vietnamese_table(
    df: pd.DataFrame, kind: str, *, brief: bool = False, level_word: str | None = None
) -> pd.DataFrame:
    """A display copy with Vietnamese headers and Vietnamese-formatted numbers (all text).

    ``kind``: 'field', 'office', 'stage', 'method', 'pareto' or 'top' (the tables of
    ``parlib.attribution``). Missing numbers show as '–', never 0. ``brief``: without the
    partner offices (the printed report; Excel keeps every column). ``level_word``: the year's
    name of the table's level (the header of the name column: «Nhóm điểm», «Lĩnh vực» …).
    Raises ValueError for an unknown kind or a missing required column.
    """
    if kind not in TABLES:
        raise ValueError(f"Loại bảng «{kind}» không hợp lệ; chọn một trong: {', '.join(TABLES)}")
    spec = TABLES[kind]
    if level_word:
        spec = [(c, upper_first(level_word) if c == "name" else vi, f) for c, vi, f in spec]
    missing = [c for c, _, _ in spec if c not in df.columns and c not in OPTIONAL.get(kind, set())]
    if missing:
        raise ValueError(f"Bảng «{kind}» thiếu cột: {', '.join(missing)}")
    return pd.DataFrame(
        {
            vi: df[c].map(_FMT[f]).astype(str)
            for c, vi, f in spec
            if c in df.columns and not (brief and c == "partner_offices")
        },
        index=df.index,
    ).reset_index(drop=True)
