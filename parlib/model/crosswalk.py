"""Crosswalk rules between two frameworks: relations, validation and enrichment (no I/O)."""

from __future__ import annotations

import pandas as pd

from parlib.core.errors import Problem

RELATIONS = ("same", "renamed", "remaximised", "split", "merged", "new", "dropped")
RELATION_VI = {
    "same": "giữ nguyên",
    "renamed": "đổi tên",
    "remaximised": "thay đổi điểm tối đa",
    "split": "tách",
    "merged": "gộp",
    "new": "mới",
    "dropped": "bãi bỏ",
}
COLUMNS = ["base_code", "target_code", "relation", "note"]
TOLERANCE = 1e-6


def validate_crosswalk(
    cw: pd.DataFrame,
    base_nodes: pd.DataFrame,
    target_nodes: pd.DataFrame,
    *,
    base_year: int | str = "gốc",
    target_year: int | str = "so sánh",
    file: str = "",
) -> list[Problem]:
    """Every violation of the crosswalk rules (module docstring); [] when valid.

    ``cw``: columns base_code, target_code, relation (+ optional row). ``*_nodes``: the
    frameworks' node tables (``Framework.nodes``).
    """
    probs: list[Problem] = []

    def add(msg: str, row=None, column: str = "") -> None:
        probs.append(Problem(msg, file=file, row=None if row is None else int(row), column=column))

    cw = cw.copy()
    if "row" not in cw.columns:
        cw["row"] = range(2, len(cw) + 2)
    bmax = dict(zip(base_nodes["code"], base_nodes["max_points"]))
    tmax = dict(zip(target_nodes["code"], target_nodes["max_points"]))
    bleaf = dict(zip(base_nodes["code"], base_nodes["is_leaf"]))
    tleaf = dict(zip(target_nodes["code"], target_nodes["is_leaf"]))

    for r in cw.itertuples(index=False):
        b, t, rel = r.base_code, r.target_code, r.relation
        if rel not in RELATIONS:
            add(
                f"quan hệ «{rel}» không xác định (same, renamed, remaximised, split, merged, new, dropped)",
                r.row,
                "relation",
            )
            continue
        if rel == "new":
            if b:
                add(f"quan hệ «new» không được có mã năm {base_year} (đang là «{b}»)", r.row, "base_code")
            if not t:
                add(f"quan hệ «new» cần mã năm {target_year}", r.row, "target_code")
        elif rel == "dropped":
            if t:
                add(
                    f"quan hệ «dropped» không được có mã năm {target_year} (đang là «{t}»)",
                    r.row,
                    "target_code",
                )
            if not b:
                add(f"quan hệ «dropped» cần mã năm {base_year}", r.row, "base_code")
        else:
            if not b:
                add(f"quan hệ «{rel}» cần mã năm {base_year}", r.row, "base_code")
            if not t:
                add(f"quan hệ «{rel}» cần mã năm {target_year}", r.row, "target_code")
        for code, known, leaf, yr, col in (
            (b, bmax, bleaf, base_year, "base_code"),
            (t, tmax, tleaf, target_year, "target_code"),
        ):
            if code and code not in known:
                add(f"mã «{code}» không có trong bộ tiêu chí năm {yr}", r.row, col)
            elif code and not leaf[code]:
                add(f"mã «{code}» năm {yr} không phải tiêu chí lá (bảng đối chiếu lập ở cấp lá)", r.row, col)
        if b in bmax and t in tmax and rel in ("same", "renamed", "remaximised"):
            same_max = abs(float(bmax[b]) - float(tmax[t])) <= TOLERANCE
            if rel in ("same", "renamed") and not same_max:
                add(
                    f"«{b}» → «{t}» là «{rel}» nhưng điểm tối đa thay đổi ({_fmt(bmax[b])} → {_fmt(tmax[t])}); "
                    f"hãy dùng «remaximised»",
                    r.row,
                    "relation",
                )
            if rel == "remaximised" and same_max:
                add(
                    f"«{b}» → «{t}» là «remaximised» nhưng điểm tối đa không đổi ({_fmt(bmax[b])})",
                    r.row,
                    "relation",
                )

    known_rel = cw["relation"].isin(RELATIONS)
    probs += _coverage(cw.loc[known_rel], "base_code", "split", "tách", bleaf, base_year, file)
    probs += _coverage(cw.loc[known_rel], "target_code", "merged", "gộp", tleaf, target_year, file)
    return probs


def _coverage(
    cw: pd.DataFrame, col: str, multi: str, multi_vi: str, leaf: dict, year, file: str
) -> list[Problem]:
    """Each leaf once; a ``multi`` (split base / merged target) leaf on ≥ 2 rows, all ``multi``."""
    probs = []
    used = cw.loc[cw[col] != ""]
    for code, g in used.groupby(col, sort=False):
        rows = ", ".join(str(x) for x in g["row"])
        rels = set(g["relation"])
        if multi in rels:
            if rels != {multi}:
                probs.append(
                    Problem(
                        f"mã «{code}» năm {year} vừa «{multi}» vừa có quan hệ khác "
                        f"({', '.join(sorted(rels - {multi}))}) ở các dòng {rows}",
                        file=file,
                        column=col,
                    )
                )
            elif len(g) < 2:
                probs.append(
                    Problem(
                        f"mã «{code}» năm {year} có quan hệ «{multi}» ({multi_vi}) nhưng chỉ có "
                        f"1 dòng (cần từ 2 dòng)",
                        file=file,
                        row=int(g["row"].iloc[0]),
                        column=col,
                    )
                )
        elif len(g) > 1:
            probs.append(
                Problem(
                    f"mã «{code}» năm {year} xuất hiện {len(g)} lần (các dòng {rows}); mỗi tiêu chí "
                    f"lá chỉ được đối chiếu một lần",
                    file=file,
                    column=col,
                )
            )
    present = set(used[col])
    for code, is_leaf in leaf.items():
        if is_leaf and code not in present:
            probs.append(
                Problem(f"thiếu tiêu chí lá «{code}» năm {year} trong bảng đối chiếu", file=file, column=col)
            )
    return probs


def _fmt(x) -> str:
    return f"{float(x):.6g}".replace(".", ",")


def enrich_crosswalk(cw: pd.DataFrame, base_nodes: pd.DataFrame, target_nodes: pd.DataFrame) -> pd.DataFrame:
    """Add relation_vi, names and maxima of both years to a (valid) crosswalk table."""
    out = cw.copy()
    if "note" not in out.columns:
        out["note"] = ""
    if "row" not in out.columns:
        out["row"] = range(2, len(out) + 2)
    out["relation_vi"] = out["relation"].map(RELATION_VI)
    b = base_nodes.set_index("code")
    t = target_nodes.set_index("code")
    bnames, tnames = b["name"].to_dict(), t["name"].to_dict()
    out["base_name"] = pd.Series([bnames.get(c, "") for c in out["base_code"]], index=out.index, dtype=str)
    out["target_name"] = pd.Series(
        [tnames.get(c, "") for c in out["target_code"]], index=out.index, dtype=str
    )
    out["base_max"] = out["base_code"].map(b["max_points"]).astype(float)
    out["target_max"] = out["target_code"].map(t["max_points"]).astype(float)
    return out[
        [
            "base_code",
            "target_code",
            "relation",
            "relation_vi",
            "note",
            "row",
            "base_name",
            "target_name",
            "base_max",
            "target_max",
        ]
    ].reset_index(drop=True)
