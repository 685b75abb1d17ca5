"""Simulated satisfaction survey: ``raw/survey/khao_sat_<year>_Q<q>.xlsx``, sheet ``Phiếu khảo sát``.

Model (``[survey]``): each quarter ``respondents`` (uniform in the stated pair) answer the
items of ``survey_items.csv``. A respondent has a general mood ``g ~ N(0, general_sd)``;
their latent satisfaction with factor ``f`` is ``factor_means[f] + g + N(0, factor_sd)``
plus the ``delta`` of every ``shifts`` entry matching the quarter (and channel, when given);
an item answer is that latent + ``N(0, item_sd)``, rounded and clipped to 1–5. The overall
answer (``Hài lòng chung``) is the ``overall_weights``-weighted mean of the factor latents
+ ``N(0, overall_sd)``, rounded and clipped: the weights are the true key drivers.
Channel and field follow the quarter's dossier mix. Defects: blank answers
(``blank_share``), ``out_of_scale`` answers a quarter (0, 6, 7, ``không rõ``), free-text
comments on the respondent's weakest factor (blank for ``1 − comment_share``), a few with
a phone number (``comment_with_phone``).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from parlib.generate.fakes import SYNTHETIC_NOTE, cell_datetimes, fake_names, fake_phones, write_rows
from parlib.generate.scenario import CHANNEL_NAMES, Scenario, parse_quarter, quarter_text

SHEET = "Phiếu khảo sát"
COMMENTS_LOW = {
    "TC": [
        "Nơi chờ chật, thiếu ghế ngồi.",
        "Khó tìm thủ tục trên cổng trực tuyến.",
        "Nộp hồ sơ trực tuyến hay bị lỗi tải tệp.",
    ],
    "TT": [
        "Hướng dẫn thành phần hồ sơ chưa rõ, phải bổ sung nhiều lần.",
        "Phí, lệ phí chưa được niêm yết rõ ràng.",
        "Thủ tục còn rườm rà.",
    ],
    "CC": [
        "Thái độ cán bộ tiếp nhận chưa niềm nở.",
        "Công chức trả lời qua loa, thiếu hướng dẫn.",
        "Cán bộ một cửa thái độ chưa tốt, phải chờ lâu.",
    ],
    "KQ": ["Trả kết quả chậm trễ so với giấy hẹn.", "Kết quả có sai sót thông tin, phải đi lại."],
    "GY": ["Phản ánh gửi lên chưa được trả lời.", "Không biết gửi góp ý ở đâu."],
}
COMMENTS_HIGH = [
    "Cán bộ nhiệt tình, hướng dẫn chu đáo.",
    "Nộp trực tuyến thuận tiện, nhanh.",
    "Hài lòng với thời gian giải quyết.",
    "Không có ý kiến.",
    "Mong tiếp tục phát huy.",
]
OUT_OF_SCALE = [0, 6, 7, "không rõ"]


def simulate_survey(sc: Scenario, truth: pd.DataFrame) -> dict[str, pd.DataFrame]:
    """Quarter text -> respondent frame: ``response_id, surveyed_at, channel, field_name``,
    one column per item code (object: int 1–5, blank, or a defect), ``overall``,
    ``comment, name, phone`` (the header names are set when writing)."""
    rng = sc.rng(6)
    s = sc.cfg["survey"]
    items = sc.survey_items
    factors = list(dict.fromkeys(items["factor_code"]))
    item_factor = items["factor_code"].to_numpy()
    cal = sc.calendar
    out: dict[str, pd.DataFrame] = {}
    for q in sc.quarters:
        qt = quarter_text(q)
        n = int(rng.integers(int(s["respondents"][0]), int(s["respondents"][1]) + 1))
        dq = truth[truth["quarter"] == qt]
        pick = rng.integers(0, len(dq), n)
        channel = np.array([CHANNEL_NAMES[c] for c in dq["channel"].to_numpy()[pick]], dtype=object)
        field = dq["field_name"].to_numpy(dtype=object)[pick]
        days = np.arange(np.datetime64(q.start_time.date(), "D"), np.datetime64(q.end_time.date(), "D") + 1)
        days = days[cal.is_working_day(days)]
        when = days[rng.integers(0, len(days), n)].astype("datetime64[s]") + (
            rng.integers(8 * 60, 17 * 60, n) * 60
        ).astype("timedelta64[s]")
        g = rng.normal(0, s["general_sd"], n)
        latent = {}
        for f in factors:
            z = s["factor_means"][f] + g + rng.normal(0, s["factor_sd"], n)
            for sh in s["shifts"]:
                qs = {quarter_text(parse_quarter(x)) for x in sh["quarters"]}
                if sh["factor_code"] == f and qt in qs:
                    hit = (channel == sh["channel"]) if "channel" in sh else np.ones(n, bool)
                    z = z + np.where(hit, sh["delta"], 0.0)
            latent[f] = z
        answers = {}
        for code, f in zip(items["item_code"], item_factor):
            a = np.clip(np.rint(latent[f] + rng.normal(0, s["item_sd"], n)), 1, 5).astype(int).astype(object)
            a[rng.random(n) < s["blank_share"]] = None
            answers[code] = a
        w = np.array([s["overall_weights"][f] for f in factors], float)
        mix = sum(w[i] * latent[f] for i, f in enumerate(factors)) / w.sum()
        overall = np.clip(np.rint(mix + rng.normal(0, s["overall_sd"], n)), 1, 5).astype(int).astype(object)
        codes = list(items["item_code"])
        for _ in range(int(s["out_of_scale"])):
            answers[codes[int(rng.integers(0, len(codes)))]][int(rng.integers(0, n))] = OUT_OF_SCALE[
                int(rng.integers(0, len(OUT_OF_SCALE)))
            ]
        weakest = np.array(factors, dtype=object)[np.argmin(np.vstack([latent[f] for f in factors]), axis=0)]
        low = np.min(np.vstack([latent[f] for f in factors]), axis=0) < 3.3
        comment = np.array(
            [
                str(rng.choice(COMMENTS_LOW[wf]))
                if lo and wf in COMMENTS_LOW
                else str(rng.choice(COMMENTS_HIGH))
                for wf, lo in zip(weakest, low)
            ],
            dtype=object,
        )
        comment[rng.random(n) >= s["comment_share"]] = None
        phones = fake_phones(rng, n)
        for idx in rng.choice(n, size=min(int(s["comment_with_phone"]), n), replace=False):
            comment[idx] = (comment[idx] or "Cần liên hệ lại.") + f" SĐT: {phones[idx]}"
        names = fake_names(rng, n, org_share=0.05)
        frame = pd.DataFrame(
            {
                "response_id": [f"KS-{q.year}Q{q.quarter}-{i:04d}" for i in range(1, n + 1)],
                "surveyed_at": when.astype("datetime64[us]"),
                "channel": channel,
                "field_name": field,
            }
        )
        for code in codes:
            frame[code] = pd.Series(answers[code], dtype=object)
        frame["overall"] = pd.Series(overall, dtype=object)
        frame["comment"] = comment
        frame["name"] = np.where(rng.random(n) < 0.5, names, None)
        frame["phone"] = np.where(rng.random(n) < 0.3, phones, None)
        out[qt] = frame.sort_values("surveyed_at", kind="stable").reset_index(drop=True)
    return out


def write_survey(sc: Scenario, frames: dict[str, pd.DataFrame], data_dir: Path) -> list[dict]:
    """One workbook per quarter; returns manifest entries."""
    codes = list(sc.survey_items["item_code"])
    header = (
        ["Mã phiếu", "Ngày khảo sát", "Kênh", "Lĩnh vực"]
        + codes
        + ["Hài lòng chung", "Góp ý", "Họ tên", "Số điện thoại"]
    )
    written = []
    for qt, frame in frames.items():
        q = parse_quarter(qt)
        body = frame.drop(columns=["surveyed_at"]).astype(object)
        body = body.where(body.notna(), None)
        dates = cell_datetimes(frame["surveyed_at"])
        rows = []
        for i, r in enumerate(body.values.tolist()):
            rows.append([r[0], dates[i]] + r[1:])
        path = data_dir / "raw" / "survey" / f"khao_sat_{q.year}_Q{q.quarter}.xlsx"
        n = write_rows(path, SHEET, header, rows, note=SYNTHETIC_NOTE.format(name=sc.name))
        written.append({"path": path, "rows": n})
    return written
