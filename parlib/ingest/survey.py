"""Satisfaction survey (SIPAS-style): ingestion, indices, changes and the sample-size rule.

Input contract: docs/data-contracts.md, "Satisfaction survey" (sheet ``Phiếu khảo sát``, one
row per respondent, one column per item code of ``survey_items.csv``, ``Hài lòng chung``,
``Kênh``, ``Lĩnh vực``, ``Góp ý``; PII columns are dropped at ingestion and never stored).

Rules implemented (see the domain brief §3):

* Answers are integers on a Likert scale, **default 1–5**, and an answer is "satisfied" when it
  is ≥ ``satisfied_min`` (**default 4**: hài lòng + rất hài lòng). Neither the scale nor the
  top-two rule was confirmed by an official source, so both live in ``SurveyConfig``.
* A blank or out-of-scale answer (text such as "không rõ", 0, 6, 7, 3.5) becomes *missing for
  that item only*; the respondent is kept and the cell goes to the issues table (file, sheet,
  Excel cell, row, column). A row without a single valid answer is rejected (ledger + issue).
* % satisfied = satisfied answers ÷ valid answers, with a Wilson interval and a small-sample
  flag (``parlib.stats.add_rate``).
* Headline overall index = the ``Hài lòng chung`` question. Headline *factor* index =
  respondent level: a respondent is satisfied with a factor when the mean of his/her valid
  answers to the factor's items is ≥ ``satisfied_min``; n = respondents. It is the headline
  because respondents are the independent units, so its Wilson interval and the change tests
  are honest. The *pooled* index (satisfied item answers ÷ all valid item answers of the
  factor, respondents × items pooled, closer to published SIPAS tables) is reported next to
  it (``pooled_*`` columns) but never tested: answers of one respondent are correlated and a
  pooled interval would be too narrow.
* Ministry sample-size rule n = N ÷ (1 + N·e²), e = 5 %, rounded up.
* SIPAS points = SIPAS % ÷ 10 in the provincial PAR INDEX (``sipas_points``).
"""

from __future__ import annotations

import re
from functools import partial
from pathlib import Path

import numpy as np
import pandas as pd

from parlib.core.cache import cached, has_unchanged_copy
from parlib.core.cells import parse_datetimes, parse_numbers
from parlib.core.errors import Problem, StructuralError
from parlib.core.frames import as_categories, stack
from parlib.core.issues import IssueLog, Ledger, concat_issues, excel_cell
from parlib.core.parallel import parse_in_order
from parlib.core.text import fold, normalise_text, pii_columns, scrub_frame, scrub_text
from parlib.ingest.readers import (
    extend_spec,
    find_header_row,
    flatten_header,
    map_columns,
    read_cells,
    spellings_key,
)
from parlib.model.survey import (
    ANSWER_CATEGORIES,
    ITEM_COLUMNS,
    OVERALL_NAME,
    RESPONSE_CATEGORIES,
    SurveyConfig,
    SurveyData,
)

# a first parse's cost per MB of survey workbook (2-core machine: a 25,000-respondent workbook of
# 2,6 MB in about 2,3 s): large surveys are parsed on two cores (core.parallel)
PARSE_SECONDS_PER_MB = {".xlsx": 0.9, ".xlsm": 0.9, ".xls": 0.9}

SHEET = "Phiếu khảo sát"
CHANNELS = {
    "truc tiep": "Trực tiếp",
    "truc tuyen": "Trực tuyến",
    "buu chinh": "Bưu chính",
    "buu chinh cong ich": "Bưu chính",
    "1": "Trực tiếp",
    "2": "Trực tuyến",
    "3": "Bưu chính",
}
_SPEC = {
    "response_id": ["Mã phiếu", "Số phiếu"],
    "surveyed_at": ["Ngày khảo sát"],
    "channel": ["Kênh", "Kênh khảo sát"],
    "field_name": ["Lĩnh vực"],
    "overall": ["Hài lòng chung", "Mức độ hài lòng chung"],
    "comment": ["Góp ý", "Ý kiến góp ý"],
}
_IGNORED_HEADERS = {"stt"}
_FILE_RE = re.compile(r"khao_sat_(\d{4})_Q([1-4])", re.IGNORECASE)


# ---------------------------------------------------------------- configuration


def load_survey_items(path: str | Path) -> pd.DataFrame:
    """Read ``survey_items.csv`` (item_code, factor_code, factor_name, item_text; extra columns
    kept). Codes are text, NFC; order of the file is kept (``item_order``, ``factor_order``).

    Raises StructuralError naming every missing column, blank cell, duplicate item code and
    factor code with two names.
    """
    cells, _ = read_cells(path)
    name = Path(path).name
    cells = cells[~cells.iloc[:, 0].astype(str).str.startswith("#")].reset_index(drop=True)
    headers = [normalise_text(h) or "" for h in cells.iloc[0].tolist()]
    missing = [c for c in ITEM_COLUMNS if c not in headers]
    if missing:
        raise StructuralError(
            "Bảng câu hỏi khảo sát thiếu cột.",
            [Problem("thiếu cột bắt buộc", file=name, column=c) for c in missing],
        )
    df = pd.DataFrame(cells.iloc[1:].to_numpy(), columns=headers).map(normalise_text)
    df = scrub_frame(df.dropna(how="all").reset_index(drop=True), skip=())
    problems = []
    for c in ITEM_COLUMNS:
        for i in df.index[df[c].isna()]:
            problems.append(Problem("ô trống", file=name, row=int(i) + 2, column=c))
    for code in df.loc[df["item_code"].duplicated(), "item_code"].dropna().unique():
        problems.append(Problem(f"mã câu hỏi «{code}» bị trùng", file=name, column="item_code"))
    names = df.dropna(subset=["factor_code"]).groupby("factor_code")["factor_name"].nunique()
    for code in names.index[names > 1]:
        problems.append(Problem(f"yếu tố «{code}» có nhiều tên khác nhau", file=name, column="factor_name"))
    if problems:
        raise StructuralError("Bảng câu hỏi khảo sát không hợp lệ.", problems)
    df = df.astype({c: "str" for c in ITEM_COLUMNS})
    df["item_order"] = np.arange(len(df))
    df["factor_order"] = df["factor_code"].map({f: i for i, f in enumerate(dict.fromkeys(df["factor_code"]))})
    return df


# ---------------------------------------------------------------- reading


def read_survey(
    path: str | Path,
    items: pd.DataFrame,
    config: SurveyConfig = SurveyConfig(),
    *,
    year: int | None = None,
    quarter: int | None = None,
    display_name: str | None = None,
    spellings: dict | None = None,
) -> SurveyData:
    """Read one survey workbook (``spellings``: the analyst's extra header spellings,
    ``raw/config/header_spellings.csv``). The period comes from ``year``/``quarter`` or the file name
    ``khao_sat_<year>_Q<q>.xlsx``. PII columns (``Họ tên``, ``Số điện thoại``…) are never read
    into the output; comments are NFC-normalised and scrubbed (phones, e-mails, IDs).

    Raises StructuralError (no header row, missing ``Hài lòng chung``, no item column matching
    ``items``, period unknown) and the reader's InputFormatError.
    """
    path = Path(path)
    source = display_name or path.name
    if year is None or quarter is None:
        m = _FILE_RE.search(path.name)
        if not m:
            raise StructuralError(
                "Không xác định được kỳ khảo sát.",
                [
                    Problem(
                        "tên tệp phải có dạng khao_sat_<năm>_Q<quý>.xlsx (hoặc truyền năm, quý)", file=source
                    )
                ],
            )
        year, quarter = year or int(m.group(1)), quarter or int(m.group(2))
    cells, sheet = read_cells(path, SHEET, display_name=source)
    spec = extend_spec(_SPEC, spellings)
    h = find_header_row(cells, ["Mã phiếu", "Hài lòng chung", "Kênh", *spec["response_id"], *spec["overall"]])
    if h is None:
        raise StructuralError(
            "Không tìm thấy dòng tiêu đề.",
            [
                Problem(
                    "không có ô «Mã phiếu», «Kênh» hay «Hài lòng chung» trong 30 dòng đầu",
                    file=source,
                    sheet=sheet,
                )
            ],
        )
    headers = flatten_header(cells, h, 1)
    pii = set(pii_columns(headers))
    safe_headers = [("" if j in pii else x) for j, x in enumerate(headers)]
    mapping, extras = map_columns(
        safe_headers, spec, required=["overall"], file=source, sheet=sheet, header_row=h
    )
    folded = {fold(x): j for j, x in reversed(list(enumerate(safe_headers))) if x}
    item_cols = {c: folded[fold(c)] for c in items["item_code"] if fold(c) in folded}
    if not item_cols:
        raise StructuralError(
            "Không có cột câu hỏi nào khớp bảng câu hỏi.",
            [
                Problem(
                    "không cột nào có tiêu đề là mã câu hỏi trong survey_items.csv",
                    file=source,
                    sheet=sheet,
                    row=h + 1,
                )
            ],
        )
    log, ledger = IssueLog(), Ledger()
    loc = {"source": source, "sheet": sheet}
    for code in items["item_code"]:
        if code not in item_cols:
            log.add(
                "survey_item_missing",
                "Tệp không có cột cho câu hỏi này; câu hỏi bị bỏ qua ở kỳ này.",
                column=code,
                code=code,
                row=h + 1,
                **loc,
            )
    used_cols = set(mapping.values()) | set(item_cols.values()) | pii
    for j, x in enumerate(headers):
        if j not in used_cols and x and fold(x) not in _IGNORED_HEADERS:
            log.add(
                "survey_unknown_column",
                "Cột không thuộc mẫu phiếu; bỏ qua.",
                severity="info",
                column=x,
                cell=excel_cell(h + 1, j + 1),
                row=h + 1,
                **loc,
            )

    ledger.add(source, "skipped", h + 1, "dòng tiêu đề", sheet=sheet)
    body = cells.iloc[h + 1 :]
    nonpii = [j for j in range(cells.shape[1]) if j not in pii]
    blank_row = _blank_mask(body[nonpii]).all(axis=1)
    ledger.add(source, "skipped", int(blank_row.sum()), "dòng trống", sheet=sheet)
    body = body[~blank_row]
    rows = (body.index.to_numpy() + 1).astype(int)  # Excel row numbers

    answer_cols = dict(item_cols, **{OVERALL_NAME: mapping["overall"]})
    values, flags = {}, {}
    for code, j in answer_cols.items():
        num, bad_text = parse_numbers(body[j])
        raw_blank = _blank_mask(body[[j]])[j].to_numpy(dtype=bool)
        ok = (
            num.notna().to_numpy()
            & (num.to_numpy() % 1 == 0)
            & num.between(config.scale_min, config.scale_max).to_numpy()
        )
        values[code] = np.where(ok, num.to_numpy(), np.nan)
        flags[code] = (raw_blank, ~ok & ~raw_blank, body[j].tolist(), j)
    any_valid = np.column_stack([~np.isnan(v) for v in values.values()]).any(axis=1)
    for code, (blank, bad, raw, j) in flags.items():
        header = headers[j]
        for i in np.flatnonzero(bad):
            log.add(
                "survey_answer_out_of_scale",
                f"Câu trả lời ngoài thang đo {config.scale_min}–{config.scale_max}: tính là thiếu cho câu "
                "hỏi này, phiếu vẫn được giữ.",
                cell=excel_cell(rows[i], j + 1),
                row=int(rows[i]),
                column=header,
                code=code,
                value=scrub_text(_id_text(raw[i])),
                **loc,
            )
        for i in np.flatnonzero(blank & any_valid):
            log.add(
                "survey_answer_blank",
                "Câu trả lời để trống: tính là thiếu cho câu hỏi này, phiếu vẫn được giữ.",
                severity="info",
                cell=excel_cell(rows[i], j + 1),
                row=int(rows[i]),
                column=header,
                code=code,
                **loc,
            )
    for i in np.flatnonzero(~any_valid):
        log.add(
            "survey_response_empty",
            "Phiếu không có câu trả lời hợp lệ nào; không đưa vào tính toán.",
            row=int(rows[i]),
            cell=f"A{rows[i]}",
            **loc,
        )
    ledger.add(source, "rejected", int((~any_valid).sum()), "phiếu không có câu trả lời hợp lệ", sheet=sheet)
    ledger.add(source, "used", int(any_valid.sum()), sheet=sheet)

    def col(name):
        return body[mapping[name]] if name in mapping else pd.Series([None] * len(body), index=body.index)

    resp = pd.DataFrame(
        {
            "respondent_key": [f"{source}:{r}" for r in rows],
            "source": source,
            "sheet": sheet,
            "row": rows,
            "year": int(year),
            "quarter": int(quarter),
            "response_id": col("response_id").map(_id_text).astype("str").to_numpy(),
            "surveyed_at": parse_datetimes(col("surveyed_at"))[0].to_numpy(),
            "channel": _channels(col("channel"), rows, log, loc, mapping.get("channel"), headers),
            "field_name": col("field_name").map(normalise_text).to_numpy(),
            "overall": values[OVERALL_NAME],
            "comment": col("comment").map(lambda v: scrub_text(normalise_text(v)) or None).to_numpy(),
        }
    )
    _check_dates_and_ids(resp, col("surveyed_at"), mapping, headers, log, loc)
    meta = items.set_index("item_code")["factor_code"]
    long = [
        resp[["respondent_key", "year", "quarter", "channel", "field_name"]].assign(
            factor_code=meta[code], item_code=code, answer=values[code]
        )
        for code in item_cols
    ]
    keep = resp.index[any_valid]
    answers = pd.concat(long, ignore_index=False).loc[keep].reset_index(drop=True)
    resp = resp.loc[keep].reset_index(drop=True)
    for c in ("field_name", "comment", "channel"):
        resp[c] = resp[c].astype("str")
    skip = ("source", "sheet", "respondent_key")  # file names and our own keys
    resp = as_categories(scrub_frame(resp, free_text=("comment",), skip=skip), RESPONSE_CATEGORIES)
    answers = as_categories(scrub_frame(answers, skip=skip), ANSWER_CATEGORIES)
    return SurveyData(resp, answers, log.to_frame(), ledger.to_frame())


def _blank_mask(frame: pd.DataFrame) -> pd.DataFrame:
    """True where a raw cell is blank: None, NaN or whitespace-only text (vectorised)."""
    text = frame.apply(lambda c: c.astype("string").str.strip().eq("").fillna(False).astype(bool))
    return frame.isna() | text


def _id_text(v) -> str | None:
    if isinstance(v, float) and v.is_integer():
        return str(int(v))
    return normalise_text(v)


def _channels(raw: pd.Series, rows, log, loc, j, headers) -> np.ndarray:
    out = []
    for i, v in enumerate(raw.tolist()):
        text = _id_text(v)
        if text is None:
            out.append(None)
            if j is not None:
                log.add(
                    "survey_channel_blank",
                    "Không ghi kênh khảo sát; phiếu chỉ được tính vào số liệu chung.",
                    severity="info",
                    cell=excel_cell(rows[i], j + 1),
                    row=int(rows[i]),
                    column=headers[j],
                    **loc,
                )
            continue
        canon = CHANNELS.get(fold(text))
        if canon is None:
            log.add(
                "survey_channel_unknown",
                "Kênh không thuộc danh mục (Trực tiếp, Trực tuyến, Bưu chính); giữ nguyên giá trị.",
                cell=excel_cell(rows[i], j + 1),
                row=int(rows[i]),
                column=headers[j],
                value=text,
                **loc,
            )
        out.append(canon or text)
    return np.array(out, dtype=object)


def _check_dates_and_ids(resp, raw_dates, mapping, headers, log, loc) -> None:
    if "surveyed_at" in mapping:
        j = mapping["surveyed_at"]
        _, bad = parse_datetimes(raw_dates)
        q_of = resp["surveyed_at"].dt.quarter
        y_of = resp["surveyed_at"].dt.year
        outside = resp["surveyed_at"].notna() & ((q_of != resp["quarter"]) | (y_of != resp["year"]))
        for i in np.flatnonzero(bad.to_numpy()):
            r = int(resp["row"].iat[i])
            log.add(
                "survey_date_invalid",
                "Ngày khảo sát không đọc được.",
                cell=excel_cell(r, j + 1),
                row=r,
                column=headers[j],
                value=raw_dates.iat[i],
                **loc,
            )
        for i in np.flatnonzero(outside.to_numpy()):
            r = int(resp["row"].iat[i])
            log.add(
                "survey_date_outside_quarter",
                "Ngày khảo sát nằm ngoài quý của tệp; phiếu vẫn tính vào quý của tệp.",
                cell=excel_cell(r, j + 1),
                row=r,
                column=headers[j],
                value=resp["surveyed_at"].iat[i],
                **loc,
            )
    dup = resp["response_id"].notna() & resp["response_id"].duplicated(keep=False)
    for i in np.flatnonzero(dup.to_numpy()):
        r = int(resp["row"].iat[i])
        log.add(
            "survey_duplicate_id",
            "Mã phiếu bị trùng trong tệp; cả hai phiếu đều được giữ.",
            row=r,
            cell=excel_cell(r, mapping["response_id"] + 1),
            column=headers[mapping["response_id"]],
            code=resp["response_id"].iat[i],
            **loc,
        )


def read_surveys(
    paths: list[str | Path] | str | Path,
    items: pd.DataFrame,
    config: SurveyConfig = SurveyConfig(),
    *,
    base: str | Path | None = None,
    cache_dir: str | Path | None = None,
    spellings: dict | None = None,
) -> SurveyData:
    """Read several survey files (a list, or a folder: every ``khao_sat_*_Q*.xlsx`` in it) and
    stack them. A later file of the same period is *added*, not replaced (distinct respondents).
    ``base`` (e.g. the data folder): file names in the outputs are relative to it.
    ``cache_dir``: each file's parsed copy is kept there (``parlib.cache``) and reused while the
    file, the question table, the scale and the code are unchanged."""
    if isinstance(paths, (str, Path)) and Path(paths).is_dir():
        paths = sorted(p for p in Path(paths).glob("khao_sat_*_Q*.xlsx") if not p.name.startswith("~$"))

    def shown(p):
        p = Path(p).resolve()
        return (
            str(p.relative_to(Path(base).resolve()))
            if base and p.is_relative_to(Path(base).resolve())
            else p.name
        )

    files = [Path(p) for p in paths]
    shown_as = {p: shown(p) for p in files}

    def here(p: Path) -> SurveyData:  # the first error in the order of the files stops the read
        return _read_one_cached(p, items, config, shown_as[p], cache_dir, spellings)

    # large survey workbooks not in the parse cache are parsed on two cores (core.parallel)
    there = partial(
        _read_one_elsewhere,
        items=items,
        config=config,
        shown_as=shown_as,
        cache_dir=None if cache_dir is None else str(cache_dir),
        spellings=spellings,
    )
    parts = parse_in_order(
        files,
        here,
        there,
        seconds_per_mb=PARSE_SECONDS_PER_MB,
        cheap=lambda p: cache_dir is not None and has_unchanged_copy("survey", p, cache_dir),
    )
    if not parts:
        raise StructuralError(
            "Không có tệp khảo sát nào.", [Problem("không tìm thấy tệp khao_sat_<năm>_Q<quý>.xlsx")]
        )
    return SurveyData(  # categoricals stay categoricals (core.frames.stack)
        stack([p.responses for p in parts]),
        stack([p.answers for p in parts]),
        concat_issues([p.issues for p in parts]),  # column-wise: row by row cost 1,4 s at 2M answers
        pd.concat([p.ledger for p in parts], ignore_index=True),
    )


def _read_one_elsewhere(path: Path, *, items, config, shown_as: dict, cache_dir, spellings) -> SurveyData:
    """:func:`_read_one_cached` in the helper process (core.parallel; a file with problems raises
    there and is read again in the main process, which raises its error)."""
    return _read_one_cached(path, items, config, shown_as[path], cache_dir, spellings)


def _read_one_cached(
    path: Path,
    items: pd.DataFrame,
    config: SurveyConfig,
    shown: str,
    cache_dir,
    spellings: dict | None = None,
) -> SurveyData:
    """:func:`read_survey` of one file, through the parse cache when ``cache_dir`` is given (the
    key adds the display name, the question table and the scale to the file and the code)."""
    if cache_dir is None:
        return read_survey(path, items, config, display_name=shown, spellings=spellings)
    import hashlib
    import json

    extra = json.dumps(
        {
            "shown": shown,
            "config": [config.scale_min, config.scale_max, config.satisfied_min],
            "items": hashlib.sha256(items.to_csv(index=False).encode("utf-8")).hexdigest(),
            "spellings": spellings_key(spellings),
        }
    )

    def parse(p: Path) -> dict[str, pd.DataFrame]:
        d = read_survey(p, items, config, display_name=shown, spellings=spellings)
        return {"responses": d.responses, "answers": d.answers, "issues": d.issues, "ledger": d.ledger}

    frames = cached("survey", path, parse, cache_dir=cache_dir, extra=extra)
    return SurveyData(frames["responses"], frames["answers"], frames["issues"], frames["ledger"])
