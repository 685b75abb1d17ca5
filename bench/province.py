"""Province-like benchmark data: the dossier table of a whole province, as the dossier reader
returns it (``parlib.ingest.dossier_columns.OUTPUT_COLUMNS``, same dtypes), written straight to
Parquet — the parse cache's form — at 30k, 1M and 10M rows. ALL DATA ARE SYNTHETIC.

What makes it province-like (the department benchmark has 7 offices and, at 1M, 3.9 % on time):

* 320 offices (20 departments, 15 district-level and 285 commune-level units) and 900 procedures
  in 60 fields, volumes skewed (Zipf) across offices and procedures;
* each office has its own on-time rate, drawn between about 88 % and 99.5 % (median ≈ 96 %);
* deadlines in working days (90 %), calendar days (7 %) and hours (3 %), due dates computed by
  the project's working-day calendar (holidays and make-up Saturdays of data/raw/config);
* 2025-01 … 2026-09 (seven quarters: the holiday file is complete for 2025 and 2026 only; a
  pause in 2024 would be refused, as it must), receipts spread over working days;
* supplement requests (8 % one, 1 % two), apologies for three late dossiers in four,
  reschedules, stopped/rejected/withdrawn dossiers, dossiers still open at the end (and a few
  stale ones: open in an old export, absent from later ones), online share 55 → 75 %, fees,
  paper results, digitisation, e-results, ratings.

Generated in chunks of one quarter (memory stays small at 10M) and reused while this file is
unchanged: ``<work>/<scale>/dossiers.parquet``, ``procedures.csv``, ``gen.json``.
"""

from __future__ import annotations

import hashlib
import json
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from parlib.core.paths import PROJECT_ROOT
from parlib.ingest.calendar import load_calendar
from parlib.ingest.dossier_columns import OUTPUT_COLUMNS

SCALES = {"p30k": 30_000, "p1m": 1_000_000, "p10m": 10_000_000}
QUARTERS = [pd.Period(f"{y}Q{q}", freq="Q") for y, q in [(2025, 1), (2025, 2), (2025, 3), (2025, 4)]] + [
    pd.Period(f"2026Q{q}", freq="Q") for q in (1, 2, 3)
]
END = pd.Timestamp("2026-10-01")  # the data are taken at the end of 2026-Q3
N_OFFICES, N_PROCEDURES, N_FIELDS = 320, 900, 60
SEED = 20261203


def catalogue(rng) -> tuple[pd.DataFrame, np.ndarray, np.ndarray]:
    """Procedures (catalogue columns), their relative volumes and each office's late probability."""
    offices = (
        [f"Sở ngành {i:02d}" for i in range(1, 21)]
        + [f"UBND cấp huyện {i:02d}" for i in range(1, 16)]
        + [f"UBND cấp xã {i:03d}" for i in range(1, N_OFFICES - 34)]
    )
    office_of = np.concatenate([np.arange(N_OFFICES), rng.integers(0, N_OFFICES, N_PROCEDURES - N_OFFICES)])
    unit = rng.choice(["working_days", "calendar_days", "hours"], N_PROCEDURES, p=[0.90, 0.07, 0.03])
    value = np.where(
        unit == "working_days",
        rng.choice([1, 3, 5, 7, 10, 15, 20, 30], N_PROCEDURES),
        np.where(
            unit == "hours", rng.choice([4, 8, 16], N_PROCEDURES), rng.choice([7, 15, 30], N_PROCEDURES)
        ),
    )
    fee = np.where(rng.random(N_PROCEDURES) < 0.4, rng.integers(1, 11, N_PROCEDURES) * 50_000, 0)
    procs = pd.DataFrame(
        {
            "procedure_code": [f"1.{100000 + i:06d}" for i in range(N_PROCEDURES)],
            "procedure_name": [f"Thủ tục hành chính mô phỏng số {i + 1}" for i in range(N_PROCEDURES)],
            "field_name": [f"Lĩnh vực {1 + i % N_FIELDS:02d}" for i in range(N_PROCEDURES)],
            "office_name": [offices[o] for o in office_of],
            "deadline_value": value.astype(float),
            "deadline_unit": unit,
            "after_15h": rng.random(N_PROCEDURES) < 0.2,
            "online_level": "toàn trình",
            "fee_vnd": fee.astype(float),
            "has_paper_result": rng.random(N_PROCEDURES) < 0.7,
            "difficulty": "normal",
        }
    )
    weight = 1.0 / np.arange(1, N_PROCEDURES + 1) ** 0.9
    weight = rng.permutation(weight)
    p_late = np.clip(rng.beta(1.6, 40, N_OFFICES), 0.005, 0.12)  # on time ≈ 88–99.5 %, median ≈ 96 %
    return procs, weight / weight.sum(), p_late[office_of]


def _quarter(rng, cal, procs, weight, p_late, q: pd.Period, n: int, first_row: int) -> pd.DataFrame:
    days = pd.date_range(q.start_time, q.end_time.normalize(), freq="D").to_numpy().astype("datetime64[D]")
    days = days[cal.is_working_day(days)]
    pi = rng.choice(len(procs), n, p=weight)
    p = procs.iloc[pi].reset_index(drop=True)
    rec_day = days[rng.integers(0, len(days), n)]
    received = rec_day.astype("datetime64[us]") + rng.integers(7 * 3600 + 1800, 17 * 3600, n).astype(
        "timedelta64[s]"
    )
    due = cal.due_dates(received, p["deadline_value"], p["deadline_unit"], p["after_15h"], check=False)
    due = due.to_numpy(dtype="datetime64[us]")
    value = p["deadline_value"].to_numpy()
    hours = p["deadline_unit"].to_numpy() == "hours"
    # supplements: the pause moves the allowed due by its working days
    n_sup = rng.choice([0, 1, 2], n, p=[0.91, 0.08, 0.01])
    req_day = cal.add_working_days(rec_day, rng.integers(1, 3, n))
    req = np.where(n_sup > 0, req_day.astype("datetime64[us]") + np.timedelta64(9, "h"), np.datetime64("NaT"))
    comp_day = req_day + rng.integers(1, 10, n).astype("timedelta64[D]")
    comp = np.where(
        n_sup > 0, comp_day.astype("datetime64[us]") + np.timedelta64(10, "h"), np.datetime64("NaT")
    )
    pause = np.where(n_sup > 0, np.maximum(cal.count_working_days(req_day, comp_day), 0), 0)
    allowed_day = cal.add_working_days(due.astype("datetime64[D]"), pause)
    late = rng.random(n) < pi_late(p_late, pi)
    early_by = rng.integers(0, np.maximum(np.minimum(value, 6), 1).astype(np.int64))
    end_day = np.where(
        late,
        cal.add_working_days(allowed_day, rng.integers(1, 12, n)),
        np.maximum(cal.add_working_days(allowed_day, -early_by), rec_day),
    )
    end = end_day.astype("datetime64[us]") + rng.integers(8 * 3600, 17 * 3600, n).astype("timedelta64[s]")
    due_h = due + (allowed_day - due.astype("datetime64[D]")).astype("timedelta64[us]")
    end = np.where(
        hours,
        np.where(
            late, due_h + rng.integers(2, 48, n).astype("timedelta64[h]"), due_h - np.timedelta64(1, "h")
        ),
        end,
    )
    end = np.maximum(end, received + np.timedelta64(30, "m"))
    kind = rng.choice(
        ["returned", "finished", "stopped", "rejected", "withdrawn"], n, p=[0.87, 0.1, 0.01, 0.01, 0.01]
    )
    is_open = end >= END.to_datetime64()
    # a few stale records: open in the export of their receipt quarter, missing from later ones
    stale = (rng.random(n) < 0.003) & (end >= (q + 1).start_time.to_datetime64())
    shown_open = is_open | stale
    nat = np.datetime64("NaT", "us")
    stop = np.isin(kind, ["stopped", "rejected", "withdrawn"])
    finished_at = np.where(~shown_open & ~stop, end, nat)
    returned = np.where(
        ~shown_open & (kind == "returned"), end + rng.integers(0, 2 * 86400, n).astype("timedelta64[s]"), nat
    )
    returned = np.where(returned > END.to_datetime64(), nat, returned)
    stopped_at = np.where(~shown_open & stop, end, nat)
    code = np.where(
        shown_open,
        np.where((n_sup > 0) & (comp > END.to_datetime64()), "waiting_supplement", "in_progress"),
        kind,
    )
    code = np.where((code == "returned") & np.isnat(returned), "finished", code)
    text = {
        "returned": "Đã trả kết quả",
        "finished": "Đã xử lý xong",
        "stopped": "Dừng xử lý",
        "rejected": "Từ chối",
        "withdrawn": "Rút hồ sơ",
        "in_progress": "Đang xử lý",
        "waiting_supplement": "Chờ bổ sung",
    }
    cutoff = pd.PeriodIndex(
        pd.DatetimeIndex(np.where(shown_open, np.datetime64(END - pd.Timedelta(days=1)), end)), freq="Q"
    )
    snapshot = (cutoff + 1).start_time.to_numpy().astype("datetime64[us]")
    snapshot = np.where(stale, (q + 1).start_time.to_datetime64(), snapshot).astype("datetime64[us]")
    snapshot = np.minimum(snapshot, END.to_datetime64())
    apology = late & (rng.random(n) < 0.75)
    apology_at = np.where(
        apology,
        (allowed_day - rng.integers(0, 4, n).astype("timedelta64[D]")).astype("datetime64[us]")
        + np.timedelta64(9, "h"),
        nat,
    )
    apology_at = np.where(apology_at > snapshot, nat, apology_at)
    resched = np.where(~np.isnat(apology_at), np.where(rng.random(n) < 0.1, 2, 1), 0)
    pos = np.linspace(0, 1, n)
    ch = np.where(rng.random(n) < 0.55 + 0.2 * (QUARTERS.index(q) + pos) / len(QUARTERS), 2, 1)
    ch = np.where(rng.random(n) < 0.03, 3, ch)
    done = ~np.isnat(finished_at) | ~np.isnat(returned)
    fee = p["fee_vnd"].to_numpy() > 0
    rating = np.where(
        ~np.isnat(returned) & (rng.random(n) < 0.3),
        rng.choice(["Hài lòng", "Rất hài lòng", "Không hài lòng"], n, p=[0.8, 0.15, 0.05]),
        None,
    )
    df = pd.DataFrame(
        {
            "dossier_id": pd.array(
                np.char.add("H62.1-", (first_row + np.arange(n)).astype(str)), dtype="str"
            ),
            "procedure_code": p["procedure_code"].astype("str"),
            "procedure_name": p["procedure_name"].astype("str"),
            "field_name": p["field_name"].astype("str"),
            "office_name": p["office_name"].astype("str"),
            "channel": pd.array(ch, dtype="Int64"),
            "received_at": received,
            "due_at": due,
            "supplement_count": pd.array(np.where(req > snapshot, 0, n_sup), dtype="Int64"),
            "supplement_requested_at": np.where(req > snapshot, nat, req),
            "supplement_completed_at": np.where(comp > snapshot, nat, comp),
            "finished_at": finished_at,
            "returned_at": returned,
            "stopped_at": stopped_at,
            "status": pd.array([text[c] for c in code], dtype="str"),
            "apology_at": apology_at,
            "rescheduled_due_at": np.where(resched > 0, due + np.timedelta64(5, "D"), nat),
            "reschedule_count": pd.array(resched, dtype="Int64"),
            "is_digitised": pd.array(rng.random(n) < 0.85, dtype="boolean"),
            "has_e_result": pd.array(done & ~stop & (rng.random(n) < 0.75), dtype="boolean"),
            "is_paid_online": pd.array(np.where(fee, rng.random(n) < 0.65, None), dtype="boolean"),
            "citizen_rating": pd.array(rating, dtype="str"),
            "status_code": pd.array(code, dtype="str"),
            "deadline_value": p["deadline_value"].to_numpy(),
            "deadline_unit": p["deadline_unit"].astype("str"),
            "after_15h": pd.array(p["after_15h"].to_numpy(), dtype="boolean"),
            "fee_vnd": p["fee_vnd"].to_numpy(),
            "has_paper_result": pd.array(p["has_paper_result"].to_numpy(), dtype="boolean"),
            "in_catalogue": True,
            "expected_due_at": due,
            "due_mismatch": pd.array(np.zeros(n, dtype=bool), dtype="boolean"),
            "snapshot_at": snapshot,
            "source_file": pd.array(np.full(n, f"raw/dossiers/ho_so_{q.year}_Q{q.quarter}.csv"), dtype="str"),
            "source_row": np.arange(n, dtype=np.int64) + 5,
        }
    )
    for c in OUTPUT_COLUMNS:
        if c.endswith("_at"):
            df[c] = df[c].astype("datetime64[us]")
    return df[OUTPUT_COLUMNS]


def pi_late(p_late: np.ndarray, pi: np.ndarray) -> np.ndarray:
    """Late probability of each dossier: its procedure's office's."""
    return p_late[pi]


def _fingerprint(rows: int) -> str:
    h = hashlib.sha256(Path(__file__).read_bytes())
    h.update(str(rows).encode())
    return h.hexdigest()[:16]


def prepare(scale: str, work: Path, *, log=print) -> dict:
    """Generate (or reuse) ``work/scale``: dossiers.parquet, procedures.csv, gen.json."""
    rows = SCALES[scale]
    root = work / scale
    stamp_path = root / "gen.json"
    fp = _fingerprint(rows)
    if stamp_path.is_file():
        stamp = json.loads(stamp_path.read_text(encoding="utf-8"))
        if stamp.get("fingerprint") == fp:
            return stamp
    root.mkdir(parents=True, exist_ok=True)
    log(f"  generating the province data set {scale} ({rows:,} dossiers) …")
    t0 = time.perf_counter()
    rng = np.random.default_rng(SEED)
    cal = load_calendar(PROJECT_ROOT / "data" / "raw" / "config" / "holidays.csv")
    procs, weight, p_late = catalogue(rng)
    procs.to_csv(root / "procedures.csv", index=False)
    growth = np.linspace(1.0, 1.15, len(QUARTERS))  # volume grows through the seven quarters
    per_q = np.floor(rows * growth / growth.sum()).astype(int)
    per_q[-1] += rows - per_q.sum()
    tmp = root / ".dossiers.parquet.part"
    writer = None
    first = 0
    for q, n in zip(QUARTERS, per_q):
        # chunks of at most 500k rows inside a quarter (memory), each its own row group(s)
        for part in np.array_split(np.arange(n), max(1, int(np.ceil(n / 500_000)))):
            df = _quarter(rng, cal, procs, weight, p_late, q, len(part), first)
            first += len(part)
            table = pa.Table.from_pandas(df, preserve_index=False)
            if writer is None:
                writer = pq.ParquetWriter(tmp, table.schema)
            writer.write_table(table)
    writer.close()
    tmp.replace(root / "dossiers.parquet")
    stamp = {
        "scale": scale,
        "fingerprint": fp,
        "rows": int(rows),
        "offices": int(procs["office_name"].nunique()),
        "procedures": int(len(procs)),
        "quarters": [str(q) for q in QUARTERS],
        "generate_s": round(time.perf_counter() - t0, 1),
        "parquet_mb": round((root / "dossiers.parquet").stat().st_size / 2**20, 1),
    }
    stamp_path.write_text(json.dumps(stamp, indent=2) + "\n", encoding="utf-8")
    log(f"  {scale}: {rows:,} dossiers in {stamp['generate_s']} s ({stamp['parquet_mb']} MB Parquet)")
    return stamp
