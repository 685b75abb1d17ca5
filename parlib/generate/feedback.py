"""Simulated feedback log (PAKN): ``raw/feedback/pakn_<year>.xlsx``, sheet ``PAKN``.

Model (``[feedback]`` of the scenario): ``per_year`` items a year (pro rata for a partial
year), received on any day (the portal is open every day), assigned to offices in
proportion to their dossier volume. ``transfer_share`` are forwarded within 1–5 working
days (the clock restarts at the transfer). Answers come within 15 working days of the
(re)start, except ``late_share`` (16–30 working days) and ``unanswered_share`` (no answer
yet); items received in the last days of the period may be unanswered too. Publication
follows the answer within 2 working days, except ``late_publication_share`` (3–8).
Content is Vietnamese text; ``contact_in_content`` items a year hold a phone number or an
e-mail (to test scrubbing).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from parlib.generate.fakes import (
    SYNTHETIC_NOTE,
    cell_datetimes,
    fake_emails,
    fake_names,
    fake_phones,
    frame_rows,
    write_rows,
)
from parlib.generate.scenario import Scenario

SHEET = "PAKN"
HEADERS = [
    "Mã PAKN",
    "Ngày tiếp nhận",
    "Đơn vị xử lý",
    "Phân loại",
    "Nội dung",
    "Ngày chuyển xử lý",
    "Ngày trả lời",
    "Ngày công khai",
    "Lượt thích",
    "Lượt không thích",
    "Phản ánh lại",
    "Người gửi",
    "Số điện thoại",
    "Email",
]
CATEGORIES = ["Thủ tục hành chính", "Hành vi hành chính", "Quy định hành chính"]
TOPICS = [
    "Hồ sơ {p} nộp từ tháng trước nhưng đến nay chưa nhận được kết quả, đề nghị Sở kiểm tra.",
    "Đề nghị hướng dẫn rõ thành phần hồ sơ {p}; tôi đã phải bổ sung nhiều lần.",
    "Cán bộ tiếp nhận hồ sơ {p} có thái độ chưa đúng mực, đề nghị chấn chỉnh.",
    "Phí, lệ phí của thủ tục {p} niêm yết trên Cổng dịch vụ công chưa thống nhất với thực tế.",
    "Cổng dịch vụ công trực tuyến bị lỗi khi nộp hồ sơ {p}, không tải được tệp đính kèm.",
    "Kiến nghị rút ngắn thời gian giải quyết thủ tục {p}.",
    "Đề nghị cho biết quy định hiện hành áp dụng cho thủ tục {p}.",
    "Phản ánh việc hẹn trả kết quả {p} nhiều lần nhưng không có thư xin lỗi.",
]


def simulate_feedback(sc: Scenario, truth: pd.DataFrame) -> pd.DataFrame:
    """One row per feedback item: code-named columns (``feedback_id, received_at,
    office_name, category, content, transferred_at, answered_at, published_at, likes,
    dislikes, is_recomplaint, sender, phone, email``) plus ``year`` and ``is_late``."""
    rng = sc.rng(5)
    cal = sc.calendar
    f = sc.cfg["feedback"]
    start = sc.quarters[0].start_time
    end = (sc.quarters[-1] + 1).start_time
    vol = truth["office_name"].value_counts()
    offices = vol.index.to_numpy(dtype=object)
    procs_of = {
        o: g.drop_duplicates().to_numpy(dtype=object)
        for o, g in truth.groupby("office_name")["procedure_name"]
    }
    frames = []
    for year in range(start.year, end.year + (1 if end.month > 1 else 0)):
        y0 = max(pd.Timestamp(year=year, month=1, day=1), start)
        y1 = min(pd.Timestamp(year=year + 1, month=1, day=1), end)
        if y1 <= y0:
            continue
        frac = (y1 - y0).days / 365.0
        n = int(rng.poisson(f["per_year"] * frac))
        secs = np.sort(rng.integers(0, int((y1 - y0).total_seconds()), n))
        received = np.datetime64(y0, "s") + secs.astype("timedelta64[s]")
        rday = cal.next_working_day(received.astype("datetime64[D]"))
        transferred = rng.random(n) < f["transfer_share"]
        t_day = cal.add_working_days(rday, rng.integers(1, 6, n))
        start_day = np.where(transferred, t_day, rday)
        u = rng.random(n)
        late = u < f["late_share"]
        unanswered = u > 1 - f["unanswered_share"]
        ans_day = cal.add_working_days(
            start_day, np.where(late, rng.integers(16, 31, n), rng.integers(2, 16, n))
        )
        ans = ans_day.astype("datetime64[s]") + (rng.integers(8 * 60, 17 * 60, n) * 60).astype(
            "timedelta64[s]"
        )
        cutoff = np.datetime64(end, "s")
        unanswered |= ans >= cutoff
        pub_late = rng.random(n) < f["late_publication_share"]
        pub_day = cal.add_working_days(
            ans_day, np.where(pub_late, rng.integers(3, 9, n), rng.integers(0, 3, n))
        )
        pub = pub_day.astype("datetime64[s]") + (rng.integers(8 * 60, 17 * 60, n) * 60).astype(
            "timedelta64[s]"
        )
        pub = np.where(unanswered | (pub >= cutoff), np.datetime64("NaT", "s"), np.maximum(pub, ans))
        cat = np.array(CATEGORIES, dtype=object)[rng.integers(0, 3, n)]
        cat = np.where(rng.random(n) < f["unclassified_share"], None, cat)
        office = offices[rng.choice(len(offices), size=n, p=(vol / vol.sum()).to_numpy())]
        topic = rng.integers(0, len(TOPICS), n)
        pick = rng.random(n)
        names = [procs_of[o][int(u * len(procs_of[o]))] for o, u in zip(office, pick)]
        content = np.array(
            [TOPICS[i].format(p=nm[:1].lower() + nm[1:]) for i, nm in zip(topic, names)], dtype=object
        )
        k = min(int(round(f["contact_in_content"] * frac)), n)
        phones = fake_phones(rng, n)
        emails = fake_emails(rng, n)
        for pos, idx in enumerate(rng.choice(n, size=k, replace=False) if k else []):
            extra = f" Liên hệ: {phones[idx]}." if pos % 2 == 0 else f" Email: {emails[idx]}."
            content[idx] = content[idx] + extra
        likes = rng.poisson(2.0, n)
        dislikes = rng.poisson(np.where(late, 3.0, 0.6), n)
        frame = pd.DataFrame(
            {
                "received_at": received,
                "office_name": office,
                "category": cat,
                "content": content,
                "transferred_at": np.where(
                    transferred,
                    t_day.astype("datetime64[s]") + np.timedelta64(9 * 3600, "s"),
                    np.datetime64("NaT", "s"),
                ),
                "answered_at": np.where(unanswered, np.datetime64("NaT", "s"), ans),
                "published_at": pub,
                "likes": likes,
                "dislikes": dislikes,
                "is_recomplaint": np.where(rng.random(n) < f["recomplaint_share"], "Có", "Không"),
                "sender": fake_names(rng, n, org_share=0.1),
                "phone": phones,
                "email": np.where(rng.random(n) < 0.4, emails, None),
                "year": year,
                "is_late": late & ~unanswered,
            }
        )
        frame.insert(0, "feedback_id", [f"PAKN-{year}-{i:04d}" for i in range(1, n + 1)])
        frames.append(frame)
    out = pd.concat(frames, ignore_index=True)
    for col in ("received_at", "transferred_at", "answered_at", "published_at"):
        out[col] = out[col].astype("datetime64[us]")
    return out


def write_feedback(sc: Scenario, fb: pd.DataFrame, data_dir: Path) -> list[dict]:
    """One workbook per year; returns manifest entries."""
    written = []
    for year, part in fb.groupby("year", sort=True):
        frame = part.drop(columns=["year", "is_late"]).reset_index(drop=True).copy()
        cells = frame_rows(
            frame.drop(columns=["received_at", "transferred_at", "answered_at", "published_at"])
        )
        dates = {
            c: cell_datetimes(frame[c])
            for c in ("received_at", "transferred_at", "answered_at", "published_at")
        }
        rows = []
        for i, r in enumerate(cells):
            fid, office, cat, content, likes, dislikes, recomp, sender, phone, email = r
            rows.append(
                [
                    fid,
                    dates["received_at"][i],
                    office,
                    cat,
                    content,
                    dates["transferred_at"][i],
                    dates["answered_at"][i],
                    dates["published_at"][i],
                    int(likes),
                    int(dislikes),
                    recomp,
                    sender,
                    phone,
                    email,
                ]
            )
        path = data_dir / "raw" / "feedback" / f"pakn_{year}.xlsx"
        n = write_rows(path, SHEET, HEADERS, rows, note=SYNTHETIC_NOTE.format(name=sc.name))
        written.append({"path": path, "rows": n})
    return written
