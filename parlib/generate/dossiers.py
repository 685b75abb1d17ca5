"""Simulated dossiers (hồ sơ TTHC): the full life of every dossier, vectorised with numpy.

Model (every number comes from the scenario, ``[dossiers]``):

* **Volume.** Year volume ``base_per_year × (1 + growth_per_year)^(year − first year)``,
  spread over months by ``month_factors`` and over the working days of a month by
  ``weekday_factors``. Procedure shares are ``mix.weights`` (``default_weight`` otherwise);
  ``mix.shifts`` multiply the weight of matching procedures in given quarters *keeping the
  quarter's total* (a pure mix change); ``surges`` multiply the volume of given procedures
  (extra dossiers). Receipts fall on working days (make-up Saturdays included); a share
  ``offday_online_share`` of online dossiers is submitted on a day off.
* **Capacity and lateness.** Each dossier costs ``capacity.work_days[difficulty]`` staff-days.
  Utilisation of an office in a month = workload received / (staff × working days).
  Staff come from ``capacity.staff`` (office code -> people), otherwise sized so that the
  first year's utilisation is ``auto_utilisation``; staff never change. The probability of
  a late dossier is ``lateness.base[difficulty] + congestion_slope × max(0, utilisation −
  utilisation_threshold)``: a surge at a fixed capacity makes an office late; a mix shift
  below the threshold leaves every procedure's own rate unchanged. Two or more supplement
  requests make a dossier late under the 766 rule whatever its dates.
* **Dates** follow the working-day calendar: due = ``WorkCalendar.due_dates``; an on-time
  dossier ends (net of the supplement pause, counted both in calendar days and working days)
  no later than its due date, a late one at least one working day after it.
* **Apology** letters for late dossiers with ``apology.coverage`` (per office and year via
  ``overrides``); ``on_time_share`` are sent at least one working day before the due date,
  the others after it; every apology carries a rescheduled date, rarely two (a violation).

:func:`simulate_dossiers` returns the ground truth; :mod:`parlib.generate.dossier_export`
turns it into the quarterly exports.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from parlib.generate.fakes import fake_addresses, fake_ids, fake_names, fake_phones
from parlib.generate.scenario import Scenario, parse_quarter, quarter_text, ramp

_D = np.timedelta64(1, "D")
_S = np.timedelta64(1, "s")
FINAL_STATUS = {0: "Đã trả kết quả", 1: "Dừng xử lý", 2: "Từ chối", 3: "Rút hồ sơ"}


def _clock(rng, n, start_h: float, end_h: float) -> np.ndarray:
    """Random clock times (seconds of day, whole minutes) in [start_h, end_h)."""
    return (np.floor(rng.uniform(start_h * 60, end_h * 60, n)) * 60).astype(np.int64)


def _at(days: np.ndarray, secs: np.ndarray) -> np.ndarray:
    return days.astype("datetime64[s]") + secs.astype("timedelta64[s]")


def _prev_working(cal, days: np.ndarray) -> np.ndarray:
    """The day itself when a working day, else the previous working day."""
    return np.where(cal.is_working_day(days), days, cal.add_working_days(days, -1))


def _day_frame(sc: Scenario) -> pd.DataFrame:
    """Every calendar day of the period with its quarter, month, weight and working flag."""
    cal = sc.calendar
    d = sc.cfg["dossiers"]
    start = np.datetime64(sc.quarters[0].start_time.date(), "D")
    end = np.datetime64(sc.quarters[-1].end_time.date(), "D")
    days = np.arange(start, end + _D)
    ts = pd.DatetimeIndex(days)
    working = cal.is_working_day(days)
    month_idx = (ts.year - ts.year[0]) * 12 + ts.month - ts.month[0]
    weekday = np.minimum(ts.day_of_week.to_numpy(), 4)  # a make-up Saturday weighs like a Friday
    mf = np.asarray(d["month_factors"], float)
    mf = mf / mf.mean()
    frame = pd.DataFrame(
        {
            "day": days,
            "working": working,
            "year": ts.year,
            "month": ts.month,
            "month_idx": month_idx,
            "quarter": [quarter_text(p) for p in ts.to_period("Q")],
        }
    )
    wd_per_month = frame.groupby("month_idx")["working"].transform("sum").to_numpy()
    year_vol = d["base_per_year"] * (1 + d["growth_per_year"]) ** (frame["year"] - ts.year[0])
    wf = np.asarray(d["weekday_factors"], float)[weekday]
    frame["expected"] = np.where(
        working, year_vol / 12 * mf[ts.month - 1] * wf / np.maximum(wd_per_month, 1) / wf.mean(), 0.0
    )
    frame["wd_in_month"] = wd_per_month
    return frame


def _shares(sc: Scenario, quarter: str) -> np.ndarray:
    """Procedure volume multipliers of one quarter (mix shifts renormalised, surges added)."""
    p = sc.procedures
    mix = sc.cfg["dossiers"]["mix"]
    w = p["procedure_code"].map(mix["weights"]).fillna(mix["default_weight"]).to_numpy(float)
    base = w / w.sum()
    shifted = w.copy()
    for s in mix["shifts"]:
        if quarter in {quarter_text(parse_quarter(q)) for q in s["quarters"]}:
            hit = np.ones(len(p), bool)
            if "difficulty" in s:
                hit &= (p["difficulty"] == s["difficulty"]).to_numpy()
            if "procedures" in s:
                hit &= p["procedure_code"].isin(s["procedures"]).to_numpy()
            if "offices" in s:
                hit &= p["office_code"].isin(s["offices"]).to_numpy()
            shifted = np.where(hit, shifted * s["factor"], shifted)
    share = shifted / shifted.sum()
    for s in sc.cfg["dossiers"]["surges"]:
        if quarter in {quarter_text(parse_quarter(q)) for q in s["quarters"]}:
            hit = p["procedure_code"].isin(s["procedures"]).to_numpy()
            share = np.where(hit, share + base * (s["factor"] - 1), share)
    return share


def _draw_receipts(sc: Scenario, rng, days: pd.DataFrame) -> pd.DataFrame:
    """Procedure, receipt day, channel and receipt time of every dossier."""
    d = sc.cfg["dossiers"]
    ch = d["channels"]
    n_months = int(days["month_idx"].max()) + 1
    parts = []
    for q in days["quarter"].unique():
        qd = days[days["quarter"] == q]
        share = _shares(sc, q)
        total = qd["expected"].sum() * share.sum()
        n = int(rng.poisson(total))
        proc = rng.choice(len(share), size=n, p=share / share.sum())
        day_i = rng.choice(len(qd), size=n, p=(qd["expected"] / qd["expected"].sum()).to_numpy())
        part = pd.DataFrame(
            {
                "proc_i": proc,
                "day": qd["day"].to_numpy()[day_i],
                "month_idx": qd["month_idx"].to_numpy()[day_i],
                "quarter": q,
            }
        )
        pos = part["month_idx"].to_numpy() / max(n_months - 1, 1)
        u = rng.random(n)
        online = ramp(ch["online_share"], pos)
        part["channel"] = np.where(u < online, 2, np.where(u < online + ch["postal_share"], 3, 1))
        offdays = qd.loc[~qd["working"], "day"].to_numpy()
        move = (part["channel"].to_numpy() == 2) & (rng.random(n) < ch["offday_online_share"])
        if len(offdays) and move.any():
            part.loc[move, "day"] = offdays[rng.integers(0, len(offdays), int(move.sum()))]
        parts.append(part)
    out = pd.concat(parts, ignore_index=True)
    n = len(out)
    late = rng.random(n) < ch["after_15h_share"]
    morning = rng.random(n) < 0.6
    desk = np.where(
        late,
        _clock(rng, n, 15.02, 17.0),
        np.where(morning, _clock(rng, n, 7.5, 11.5), _clock(rng, n, 13.0, 15.0)),
    )
    web = _clock(rng, n, 6.0, 23.0)
    secs = np.where(out["channel"].to_numpy() == 2, web, desk)
    out["received_at"] = _at(out["day"].to_numpy().astype("datetime64[D]"), secs)
    return out


def _staff(sc: Scenario, load: pd.DataFrame, days: pd.DataFrame) -> dict[str, float]:
    """Staff per office: stated in the scenario or sized on the first year's workload."""
    cap = sc.cfg["dossiers"]["capacity"]
    first_year = days["year"].min()
    wd = days.loc[days["year"] == first_year, "working"].sum()
    first = load[load["year"] == first_year].groupby("office_code")["work"].sum() / max(wd, 1)
    staff = {}
    for code in sc.offices["office_code"]:
        if code in cap["staff"]:
            staff[code] = float(cap["staff"][code])
        else:
            staff[code] = max(1.0, float(np.ceil(first.get(code, 0.0) / cap["auto_utilisation"])))
    return staff


def simulate_dossiers(sc: Scenario) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Ground truth of every dossier of the scenario and the office-month utilisation table.

    Returns ``(truth, utilisation)``. ``truth`` has one row per dossier: ``procedure_code,
    procedure_name, field_name, office_name, office_code, difficulty, deadline_unit, channel,
    quarter, received_at, due_at, supplement_count, supplement_requested_at,
    supplement_completed_at, outcome`` (0 normal, 1 stopped, 2 rejected, 3 withdrawn),
    ``end_at`` (finished or stopped), ``finished_at, returned_at, stopped_at, apology_at,
    rescheduled_due_at, reschedule_count, is_paused, is_digitised, has_e_result,
    is_paid_online, citizen_rating, is_late`` (766 rule), ``p_late, utilisation``,
    ``dossier_id`` and the fake personal data. ``utilisation``: ``office_code, month, staff,
    work, capacity, utilisation``.
    """
    rng = sc.rng(1)
    cal = sc.calendar
    d = sc.cfg["dossiers"]
    procs = sc.procedures
    days = _day_frame(sc)
    df = _draw_receipts(sc, rng, days)
    p = procs.iloc[df["proc_i"].to_numpy()].reset_index(drop=True)
    for col in (
        "procedure_code",
        "procedure_name",
        "field_name",
        "office_name",
        "office_code",
        "difficulty",
        "deadline_unit",
        "deadline_value",
        "after_15h",
        "fee_vnd",
        "has_paper_result",
    ):
        df[col] = p[col].to_numpy()
    n = len(df)
    received = df["received_at"].to_numpy().astype("datetime64[s]")
    due = (
        cal.due_dates(
            received,
            df["deadline_value"].to_numpy(),
            df["deadline_unit"].to_numpy(),
            df["after_15h"].to_numpy(),
        )
        .to_numpy()
        .astype("datetime64[s]")
    )
    df["due_at"] = due
    # --- capacity: utilisation per office and month of receipt
    work_of = d["capacity"]["work_days"]
    df["work"] = df["difficulty"].map(work_of).astype(float)
    df["year"] = pd.DatetimeIndex(df["day"]).year
    df["month"] = pd.DatetimeIndex(df["day"]).to_period("M").astype(str)
    staff = _staff(sc, df, days)
    wd_month = (
        days.assign(month=pd.DatetimeIndex(days["day"]).to_period("M").astype(str))
        .groupby("month")["working"]
        .sum()
    )
    util = df.groupby(["office_code", "month"], as_index=False)["work"].sum()
    grid = pd.MultiIndex.from_product(
        [sc.offices["office_code"], wd_month.index], names=["office_code", "month"]
    ).to_frame(index=False)
    util = grid.merge(util, how="left", on=["office_code", "month"]).fillna({"work": 0.0})
    util["staff"] = util["office_code"].map(staff)
    util["capacity"] = util["staff"] * util["month"].map(wd_month).to_numpy()
    util["utilisation"] = util["work"] / util["capacity"]
    df = df.merge(util[["office_code", "month", "utilisation"]], how="left", on=["office_code", "month"])
    late_cfg = d["lateness"]
    cap = d["capacity"]
    base = df["difficulty"].map(late_cfg["base"]).to_numpy(float)
    df["p_late"] = np.clip(
        base
        + cap["congestion_slope"]
        * np.maximum(0.0, df["utilisation"].to_numpy() - cap["utilisation_threshold"]),
        0,
        1,
    )
    # --- supplements and outcomes
    is_hours = (df["deadline_unit"] == "hours").to_numpy()
    u = rng.random(n)
    p2 = df["difficulty"].map(late_cfg["supplement_two"]).to_numpy(float)
    p1 = df["difficulty"].map(late_cfg["supplement_one"]).to_numpy(float)
    supp = np.where(u < p2, np.where(rng.random(n) < 0.2, 3, 2), np.where(u < p2 + p1, 1, 0))
    oc = d["outcomes"]
    u = rng.random(n)
    outcome = np.select(
        [
            u < oc["stopped"],
            u < oc["stopped"] + oc["rejected"],
            u < oc["stopped"] + oc["rejected"] + oc["withdrawn"],
        ],
        [1, 2, 3],
        0,
    )
    supp = np.where(is_hours | (outcome > 0), 0, supp)
    late_draw = (rng.random(n) < df["p_late"].to_numpy()) & (outcome == 0)
    is_late = (late_draw | (supp >= 2)) & (outcome == 0)
    # --- day arithmetic
    rday = cal.next_working_day(received.astype("datetime64[D]"))
    qday = due.astype("datetime64[D]")
    span = np.maximum(cal.count_working_days(rday, qday), 1)
    k = np.clip(1 + np.floor(rng.beta(4, 2, n) * span).astype(np.int64), 1, span)
    s_off = 1 + np.floor(rng.random(n) * np.maximum(np.minimum(5, span - 1), 1)).astype(np.int64)
    pause = np.minimum(1 + rng.geometric(0.25, n), 20)
    req_day = cal.add_working_days(rday, s_off)
    comp_day = cal.add_working_days(req_day, pause)
    cal_pause = (comp_day - req_day).astype("timedelta64[D]")
    t_req = _clock(rng, n, 8.0, 16.0)
    has_supp = supp > 0
    extra = np.minimum(rng.geometric(0.3, n), 15)
    f_on = cal.add_working_days(rday, np.where(has_supp, np.maximum(k, s_off) + pause, k))
    f_on = np.where(has_supp, np.minimum(f_on, _prev_working(cal, qday + cal_pause)), f_on)
    f_late = np.where(
        has_supp,
        np.maximum(
            cal.add_working_days(qday, pause + extra),
            cal.next_working_day(qday + cal_pause + extra.astype("timedelta64[D]")),
        ),
        cal.add_working_days(qday, extra),
    )
    f_day = np.where(late_draw, f_late, f_on)
    t_f = _clock(rng, n, 8.0, 17.0)
    same = has_supp & (f_day == comp_day)
    t_f = np.where(
        same, t_req + np.floor(rng.random(n) * (17 * 3600 - t_req) / 60).astype(np.int64) * 60, t_f
    )
    finished = _at(f_day, t_f)
    if is_hours.any():
        h_val = df["deadline_value"].to_numpy(float)[is_hours]
        h_on = cal.add_working_hours(
            received[is_hours], np.round(h_val * rng.uniform(0.3, 0.95, is_hours.sum()), 2)
        )
        h_late = cal.add_working_hours(due[is_hours], np.round(rng.uniform(1, 12, is_hours.sum()), 2))
        finished[is_hours] = np.where(late_draw[is_hours], h_late, h_on)
    stop_day = cal.add_working_days(rday, np.clip(k // 2, 1, span))
    stopped = np.where(outcome > 0, _at(stop_day, _clock(rng, n, 8.0, 17.0)), np.datetime64("NaT", "s"))
    if is_hours.any():
        stopped[is_hours & (outcome > 0)] = finished[is_hours & (outcome > 0)]
    fin_day = finished.astype("datetime64[D]")
    delay = rng.choice([0, 1, 2], size=n, p=[0.5, 0.35, 0.15])
    ret_day = cal.add_working_days(fin_day, delay)
    t_fin = (finished - fin_day.astype("datetime64[s]")).astype(np.int64)
    t_ret0 = t_fin + np.floor(rng.random(n) * np.maximum(17 * 3600 - t_fin, 0) / 60).astype(np.int64) * 60
    returned = _at(ret_day, np.where(delay == 0, t_ret0, _clock(rng, n, 8.0, 17.0)))
    # --- apology and rescheduling of late dossiers
    ap = d["apology"]
    coverage = np.full(n, float(ap["coverage"]))
    for o in ap["overrides"]:
        hit = (df["office_code"] == o["office"]).to_numpy() & df["year"].isin(o["years"]).to_numpy()
        if "from" in o:  # the fall starts on a day: late dossiers due from that day on
            hit &= qday >= np.datetime64(pd.Timestamp(str(o["from"])).date(), "D")
        coverage = np.where(hit, float(o["coverage"]), coverage)
    has_apology = is_late & (rng.random(n) < coverage)
    timely = rng.random(n) < ap["on_time_share"]
    early = cal.add_working_days(qday, -(1 + rng.integers(0, 3, n)))
    early = np.maximum(early, received.astype("datetime64[D]"))
    late_letter = np.minimum(
        cal.add_working_days(qday, 1 + rng.integers(0, 3, n)),
        np.maximum(fin_day, cal.add_working_days(qday, 1)),
    )
    apology = np.where(
        has_apology,
        _at(np.where(timely, early, late_letter), _clock(rng, n, 8.0, 17.0)),
        np.datetime64("NaT", "s"),
    )
    twice = has_apology & (rng.random(n) < ap["reschedule_twice_share"])
    resched_day = np.maximum(cal.add_working_days(qday, 2 + rng.integers(0, 8, n)), fin_day)
    resched_day = np.where(twice, cal.add_working_days(resched_day, 3 + rng.integers(0, 5, n)), resched_day)
    df["rescheduled_due_at"] = np.where(
        has_apology, _at(resched_day, np.full(n, 17 * 3600)), np.datetime64("NaT", "s")
    )
    df["reschedule_count"] = np.where(twice, 2, np.where(has_apology, 1, 0))
    # --- flags and rating
    n_months = int(days["month_idx"].max()) + 1
    pos = df["month_idx"].to_numpy() / max(n_months - 1, 1)
    fl = d["flags"]
    df["is_digitised"] = rng.random(n) < ramp(fl["digitised"], pos)
    df["has_e_result"] = rng.random(n) < ramp(fl["e_result"], pos)
    paid = rng.random(n) < ramp(fl["paid_online"], pos)
    df["is_paid_online"] = pd.array(np.where(df["fee_vnd"].to_numpy() > 0, paid, pd.NA), dtype="boolean")
    rt = d["rating"]
    labels = np.array(["Rất hài lòng", "Hài lòng", "Bình thường", "Không hài lòng"], dtype=object)
    pick_on = rng.choice(4, size=n, p=np.asarray(rt["on_time"]) / np.sum(rt["on_time"]))
    pick_late = rng.choice(4, size=n, p=np.asarray(rt["late"]) / np.sum(rt["late"]))
    rated = (rng.random(n) < rt["share"]) & (outcome == 0)
    df["citizen_rating"] = np.where(rated, labels[np.where(is_late, pick_late, pick_on)], None)
    df["is_paused"] = rng.random(n) < d["outcomes"]["paused_share_of_open"]
    nat = np.datetime64("NaT", "s")
    df["supplement_count"] = supp
    df["supplement_requested_at"] = np.where(has_supp, _at(req_day, t_req), nat)
    df["supplement_completed_at"] = np.where(has_supp, _at(comp_day, t_req), nat)
    df["outcome"] = outcome
    df["finished_at"] = np.where(outcome == 0, finished, nat)
    df["returned_at"] = np.where(outcome == 0, returned, nat)
    df["stopped_at"] = stopped
    df["end_at"] = np.where(outcome == 0, finished, stopped)
    df["apology_at"] = apology
    df["is_late"] = is_late
    df = _number(sc, df)
    prng = sc.rng(2)
    df["applicant_name"] = fake_names(prng, n)
    df["phone"] = fake_phones(prng, n)
    df["id_number"] = fake_ids(prng, n)
    df["address"] = fake_addresses(prng, n)
    for col in (
        "received_at",
        "due_at",
        "supplement_requested_at",
        "supplement_completed_at",
        "finished_at",
        "returned_at",
        "stopped_at",
        "end_at",
        "apology_at",
        "rescheduled_due_at",
    ):
        df[col] = df[col].astype("datetime64[us]")
    return df.drop(columns=["proc_i", "day", "work"]), util


def _number(sc: Scenario, df: pd.DataFrame) -> pd.DataFrame:
    """Sort by receipt and give ``{agency}-{yymmdd}-{seq:04d}`` numbers (seq per day)."""
    out = df.sort_values(["received_at", "procedure_code"], kind="stable").reset_index(drop=True)
    day = out["received_at"].dt.strftime("%y%m%d")
    seq = out.groupby(day).cumcount() + 1
    agency = sc.cfg["scenario"]["agency_code"]
    out["dossier_id"] = agency + "-" + day + "-" + seq.map("{:04d}".format)
    return out
