"""Hand-worked checks of the dossier KPIs (766 rules), processing time and target status.

Calendar of the tests (2026 only): Tết 16–20/02/2026 off, 30/04–03/05 off, 29/08–02/09 off,
make-up Saturday 22/08/2026. Weekdays used below: 05/01/2026 Mon, 09/01 Fri, 13/02 Fri,
23/02 Mon, 27/02 Fri, 30/03 Mon, 31/03 Tue, 02/04 Thu.
"""

import numpy as np
import pandas as pd
import pytest

from parlib.analysis.kpi import classify_dossiers, dossier_kpis, kpi_table, processing_time
from parlib.analysis.targets import kpi_status
from parlib.core.errors import ConfigError
from parlib.ingest.calendar import load_calendar
from parlib.ingest.dossier_columns import OUTPUT_COLUMNS

HOLIDAYS = """year,start_date,end_date,holiday,kind
2026,2026-01-01,2026-01-01,Tết Dương lịch,off_1_day
2026,2026-02-16,2026-02-20,Tết Nguyên đán,off_block_civil_servants
2026,2026-04-30,2026-05-03,30/4 + 1/5,off_block
2026,2026-08-29,2026-09-02,Quốc khánh,off_block_civil_servants
2026,2026-08-22,2026-08-22,làm bù,working_saturday
"""
Q1_END, Q1_START = "2026-03-31", "2026-01-01"


@pytest.fixture(scope="module")
def cal(tmp_path_factory):
    path = tmp_path_factory.mktemp("cal") / "holidays.csv"
    path.write_text(HOLIDAYS, encoding="utf-8")
    return load_calendar(path)


def T(s):
    return pd.Timestamp(s) if s else pd.NaT


def frame(rows):
    """Dossiers with every ingestion column; each row a dict of the fields that matter."""
    base = {
        "procedure_code": "1.000001",
        "procedure_name": "TTHC A",
        "field_name": "Xây dựng",
        "office_name": "Phòng A",
        "channel": 1,
        "supplement_count": 0,
        "reschedule_count": 0,
        "status": "Đang xử lý",
        "status_code": "in_progress",
        "deadline_value": 5.0,
        "deadline_unit": "working_days",
        "after_15h": False,
        "fee_vnd": 0.0,
        "has_paper_result": True,
        "in_catalogue": True,
        "is_digitised": False,
        "has_e_result": False,
        "is_paid_online": False,
        "source_file": "t.xlsx",
    }
    recs = []
    for i, r in enumerate(rows):
        rec = {**base, **r, "source_row": i + 5}
        for c in (
            "received_at",
            "due_at",
            "supplement_requested_at",
            "supplement_completed_at",
            "finished_at",
            "returned_at",
            "stopped_at",
            "apology_at",
            "rescheduled_due_at",
            "expected_due_at",
            "snapshot_at",
        ):
            rec[c] = T(rec.get(c))
        if rec["returned_at"] is not pd.NaT:
            rec["status"], rec["status_code"] = "Đã trả kết quả", "returned"
        recs.append(rec)
    df = pd.DataFrame(recs).reindex(columns=OUTPUT_COLUMNS)
    for c in ("channel", "supplement_count", "reschedule_count"):
        df[c] = df[c].astype("Int64")
    for c in ("is_digitised", "has_e_result", "is_paid_online", "after_15h", "has_paper_result"):
        df[c] = df[c].astype("boolean")
    for c in OUTPUT_COLUMNS:
        if c.endswith("_at"):
            df[c] = df[c].astype("datetime64[us]")
    return df


# A–H received in Q1 2026 (all due at 17:00); J finished before Q1; K received after Q1.
CASES = [
    # A early: due Fri 09/01, returned Thu 08/01
    dict(
        dossier_id="A",
        received_at="2026-01-05 09:00",
        due_at="2026-01-09 17:00",
        returned_at="2026-01-08 10:00",
        channel=2,
    ),
    # B on time: finished on the due day (after 17:00 still the same date -> on time)
    dict(
        dossier_id="B",
        received_at="2026-01-05 09:00",
        due_at="2026-01-09 17:00",
        finished_at="2026-01-09 17:30",
        status="Đã xử lý xong",
        status_code="finished",
        channel=2,
    ),
    # C late: returned Mon 12/01 > Fri 09/01; apology Wed 07/01 = two days before the due date
    dict(
        dossier_id="C",
        received_at="2026-01-05 09:00",
        due_at="2026-01-09 17:00",
        returned_at="2026-01-12 09:00",
        apology_at="2026-01-07",
        channel=2,
    ),
    # D one supplement: request Tue 06/01, completed Fri 09/01 -> pause = working days in
    # (06/01, 09/01] = Wed, Thu, Fri = 3 -> allowed 09/01 + 3 wd = Wed 14/01; returned 13/01 -> early
    dict(
        dossier_id="D",
        received_at="2026-01-05 09:00",
        due_at="2026-01-09 17:00",
        supplement_count=1,
        supplement_requested_at="2026-01-06 10:00",
        supplement_completed_at="2026-01-09 08:00",
        returned_at="2026-01-13 10:00",
    ),
    # E two supplement requests -> late although returned before the due date; no apology
    dict(
        dossier_id="E",
        received_at="2026-01-05 09:00",
        due_at="2026-01-09 17:00",
        supplement_count=2,
        supplement_requested_at="2026-01-06 10:00",
        supplement_completed_at="2026-01-07 08:00",
        returned_at="2026-01-08 10:00",
    ),
    # F unfinished at 31/03, due Mon 30/03 -> period end past the due date -> late;
    # apology on the due date itself (30/03 > 30/03 − 1 day) -> apology not on time; one reschedule
    dict(
        dossier_id="F",
        received_at="2026-03-23 09:00",
        due_at="2026-03-30 17:00",
        apology_at="2026-03-30 08:00",
        reschedule_count=1,
        channel=3,
    ),
    # G unfinished, due Thu 02/04 -> still in time at 31/03; rescheduled twice (violation)
    dict(
        dossier_id="G",
        received_at="2026-03-26 09:00",
        due_at="2026-04-02 17:00",
        reschedule_count=2,
        channel=2,
    ),
    # H Tết: received Fri 13/02, due Fri 27/02 (5 wd: 23, 24, 25, 26, 27/02); supplement requested
    # Fri 13/02, completed Mon 23/02 -> pause = wd in (13/02, 23/02] = only Mon 23/02 = 1 (14–22 are
    # weekend or Tết) -> allowed Mon 02/03; returned Mon 02/03 -> on time
    dict(
        dossier_id="H",
        received_at="2026-02-13 09:00",
        due_at="2026-02-27 17:00",
        supplement_count=1,
        supplement_requested_at="2026-02-13 11:00",
        supplement_completed_at="2026-02-23 09:00",
        returned_at="2026-03-02 15:00",
        channel=2,
    ),
    # J returned in 2025: before the period, out of scope
    dict(
        dossier_id="J",
        received_at="2025-12-01 09:00",
        due_at="2025-12-05 17:00",
        returned_at="2025-12-04 09:00",
    ),
    # K received after the period end
    dict(dossier_id="K", received_at="2026-04-02 09:00", due_at="2026-04-09 17:00"),
]


@pytest.fixture(scope="module")
def classified(cal):
    return classify_dossiers(frame(CASES), cal, Q1_END, period_start=Q1_START).set_index("dossier_id")


def test_outcomes_by_hand(classified):
    c = classified
    assert sorted(c.index) == list("ABCDEFGH")  # J and K out of scope
    assert c["outcome"].to_dict() == {
        "A": "early",
        "B": "on_time",
        "C": "late",
        "D": "early",
        "E": "late",
        "F": "late",
        "G": "pending_on_time",
        "H": "on_time",
    }
    assert c.loc["D", "pause_days"] == 3 and c.loc["D", "allowed_due_at"] == pd.Timestamp("2026-01-14 17:00")
    assert c.loc["H", "pause_days"] == 1 and c.loc["H", "allowed_due_at"] == pd.Timestamp("2026-03-02 17:00")
    assert c.loc["E", "late_reason"] == "multiple_supplements"
    assert c.loc["F", "is_overdue_unfinished"] and not c.loc["G", "is_overdue_unfinished"]
    assert c.loc["C", "end_kind"] == "returned" and c.loc["B", "end_kind"] == "finished"
    assert (
        c.loc["C", "is_apology_on_time"]
        and c.loc["F", "has_apology"]
        and not c.loc["F", "is_apology_on_time"]
    )
    assert (c.loc["A", "month"], c.loc["G", "month"], c.loc["H", "quarter"]) == (1, 3, 1)


def test_kpis_by_hand(classified):
    k = dossier_kpis(classified.reset_index()).set_index("kpi")
    # on time = early + on time + pending: A, B, D, G, H = 5 of 8
    assert (k.loc["on_time_pct", "k"], k.loc["on_time_pct", "n"]) == (5, 8)
    assert k.loc["on_time_pct", "pct"] == pytest.approx(62.5)
    assert (k.loc["early_pct", "k"], k.loc["late_pct", "k"]) == (2, 3)
    # late C, E, F; apology C, F -> 2/3; on time only C (07/01 <= 09/01 − 1) -> 1/2
    assert (k.loc["apology_pct", "k"], k.loc["apology_pct", "n"]) == (2, 3)
    assert (k.loc["apology_on_time_pct", "k"], k.loc["apology_on_time_pct", "n"]) == (1, 2)
    # rescheduled F (once), G (twice) -> 1 violation of 2
    assert (k.loc["reschedule_violation_pct", "k"], k.loc["reschedule_violation_pct", "n"]) == (1, 2)
    # online (channel 2): A, B, C, G, H of the 8 received in Q1
    assert (k.loc["online_pct", "k"], k.loc["online_pct", "n"]) == (5, 8)
    assert k.loc["on_time_pct", "is_small_sample"]  # n = 8 < 30
    low, high = k.loc["on_time_pct", ["ci_low_pct", "ci_high_pct"]]
    assert low < 62.5 < high


def test_results_do_not_depend_on_row_order(cal):
    df = frame(CASES)
    a = dossier_kpis(classify_dossiers(df, cal, Q1_END, period_start=Q1_START), ["office_name"])
    shuffled = df.sample(frac=1, random_state=3)
    b = dossier_kpis(classify_dossiers(shuffled, cal, Q1_END, period_start=Q1_START), ["office_name"])
    pd.testing.assert_frame_equal(a, b)


def test_zero_denominator_is_not_applicable(cal):
    c = classify_dossiers(frame(CASES[:2]), cal, Q1_END, period_start=Q1_START)
    groups = pd.DataFrame({"procedure_code": ["1.000001", "9.999999"]})
    k = dossier_kpis(c, ["procedure_code"], groups=groups)
    empty = k[k["procedure_code"] == "9.999999"].set_index("kpi")
    assert (empty["n"] == 0).all() and empty["pct"].isna().all()
    assert (empty["pct_text"] == "không áp dụng").all()
    # no late dossier among A, B: apology coverage is not applicable, not 0 %
    apology = k[(k["procedure_code"] == "1.000001") & (k["kpi"] == "apology_pct")].iloc[0]
    assert apology["n"] == 0 and np.isnan(apology["pct"])


def test_receipt_kpis_and_system_updated(cal):
    rows = [
        # fee > 0, paper result: digitised, e-result, paid online
        dict(
            dossier_id="P1",
            received_at="2026-01-05 09:00",
            due_at="2026-01-09 17:00",
            returned_at="2026-01-08 09:00",
            fee_vnd=150000.0,
            is_digitised=True,
            has_e_result=True,
            is_paid_online=True,
        ),
        # fee > 0, paper result, nothing electronic; status says returned but no return date
        dict(
            dossier_id="P2",
            received_at="2026-01-05 09:00",
            due_at="2026-01-09 17:00",
            finished_at="2026-01-08 09:00",
            status="Đã trả kết quả",
            status_code="returned",
            fee_vnd=150000.0,
        ),
        # no fee, no paper result: outside the payment and e-result denominators
        dict(
            dossier_id="P3",
            received_at="2026-01-05 09:00",
            due_at="2026-01-09 17:00",
            returned_at="2026-01-08 09:00",
            has_paper_result=False,
            is_digitised=True,
        ),
        # unknown digitisation (column missing in its file): out of that denominator
        dict(dossier_id="P4", received_at="2026-01-06 09:00", due_at="2026-01-12 17:00", is_digitised=None),
    ]
    k = dossier_kpis(classify_dossiers(frame(rows), cal, Q1_END, period_start=Q1_START)).set_index("kpi")
    assert (k.loc["digitised_pct", "k"], k.loc["digitised_pct", "n"]) == (2, 3)  # P1, P3 of P1–P3
    assert (k.loc["e_result_pct", "k"], k.loc["e_result_pct", "n"]) == (1, 2)  # P1 of P1, P2
    assert (k.loc["online_payment_pct", "k"], k.loc["online_payment_pct", "n"]) == (1, 2)
    assert (k.loc["system_updated_pct", "k"], k.loc["system_updated_pct", "n"]) == (3, 4)  # P2 broken


def test_stale_snapshot_is_not_judged_after_its_export(cal):
    rows = [
        # S1 open in the Q4/2025 export (snapshot 01/01/2026 00:00), due Mon 22/12/2025: its fate
        # after the snapshot is unknown -> not judged in Q1/2026
        dict(
            dossier_id="S1",
            received_at="2025-12-15 09:00",
            due_at="2025-12-22 17:00",
            snapshot_at="2026-01-01",
        ),
        # S2 in the Q1/2026 export (snapshot 01/04/2026): returned 08/01 before the due 09/01 -> early
        dict(
            dossier_id="S2",
            received_at="2026-01-05 09:00",
            due_at="2026-01-09 17:00",
            returned_at="2026-01-08 10:00",
            snapshot_at="2026-04-01",
        ),
    ]
    q1 = classify_dossiers(frame(rows), cal, Q1_END, period_start=Q1_START).set_index("dossier_id")
    assert q1.loc["S1", "is_stale"] and q1.loc["S1", "outcome"] == "unknown"
    k = dossier_kpis(q1.reset_index()).set_index("kpi")
    assert (k.loc["on_time_pct", "k"], k.loc["on_time_pct", "n"]) == (1, 1)
    assert k.loc["system_updated_pct", "n"] == 1
    # December 2025: the snapshot (01/01/2026) is not before the period end -> judged: 31/12 > 22/12 late
    dec = classify_dossiers(frame(rows), cal, "2025-12-31", period_start="2025-12-01")
    assert dec["outcome"].tolist() == ["late"] and not dec["is_stale"].iloc[0]


def test_month_scope_judges_unfinished_at_month_end(cal):
    # X received Fri 23/01, due Fri 30/01, returned Tue 03/02: in January it is unfinished at
    # 31/01 and already past the due date (late); in February it is finished late (late).
    x = frame(
        [
            dict(
                dossier_id="X",
                received_at="2026-01-23 09:00",
                due_at="2026-01-30 17:00",
                returned_at="2026-02-03 09:00",
            )
        ]
    )
    jan = classify_dossiers(x, cal, "2026-01-31", period_start="2026-01-01")
    feb = classify_dossiers(x, cal, "2026-02-28", period_start="2026-02-01")
    assert jan["outcome"].tolist() == ["late"] and jan["is_overdue_unfinished"].tolist() == [True]
    assert feb["outcome"].tolist() == ["late"] and not feb["is_received_in_period"].iloc[0]
    mar = classify_dossiers(x, cal, "2026-03-31", period_start="2026-03-01")
    assert mar.empty  # finished before March


def test_kpi_table_periods(cal):
    t = kpi_table(frame(CASES), cal, 2026, 1, history_from=2025)
    ytd = t[(t.period_kind == "ytd") & (t.dimension == "all") & (t.kpi == "on_time_pct")].iloc[0]
    assert (ytd.k, ytd.n, ytd.group) == (5, 8, "Tất cả")
    assert ytd.period == "2026-YTD" and ytd.period_label == "3 tháng đầu năm 2026"
    months = t.loc[(t.period_kind == "month") & (t.period_start.dt.year == 2026)]
    assert list(months["period"].unique()) == ["2026-01", "2026-02", "2026-03"]
    assert months["period_label"].iloc[0] == "tháng 1/2026"
    # March: F late, G pending, H returned 02/03 on time -> on time 2 of 3
    mar = t[(t.period == "2026-03") & (t.dimension == "all") & (t.kpi == "on_time_pct")].iloc[0]
    assert (mar.k, mar.n) == (2, 3)
    ch = t[(t.period == "2026-Q1") & (t.dimension == "channel") & (t.kpi == "online_pct")]
    assert set(ch["group"]) == {"1", "2", "3"} and ch["period_label"].iloc[0] == "Quý I/2026"
    # history: 2025 quarters and months, total only; J (returned 04/12/2025, due 05/12) early in Q4/2025
    q4 = t[(t.period == "2025-Q4") & (t.kpi == "early_pct")]
    assert q4["dimension"].tolist() == ["all"] and (q4.k.iloc[0], q4.n.iloc[0]) == (1, 1)
    assert t.loc[t.period_kind == "quarter", "period"].nunique() == 5  # 2025-Q1 … 2026-Q1


def test_uncovered_year_is_reported(cal):
    x = frame(
        [
            dict(
                dossier_id="Y",
                received_at="2027-01-04 09:00",
                due_at="2027-01-08 17:00",
                supplement_count=1,
                supplement_requested_at="2027-01-05 09:00",
                supplement_completed_at="2027-01-06 09:00",
            )
        ]
    )
    with pytest.raises(ConfigError, match="2027"):
        classify_dossiers(x, cal, "2027-03-31", period_start="2027-01-01")


def test_processing_time_in_own_units(cal):
    rows = [
        # working days in (Mon 05/01, Thu 08/01] = 3
        dict(
            dossier_id="W",
            received_at="2026-01-05 09:00",
            due_at="2026-01-09 17:00",
            returned_at="2026-01-08 10:00",
        ),
        # calendar days: 09/02 -> 19/02 = 10 days
        dict(
            dossier_id="C",
            received_at="2026-02-09 09:00",
            due_at="2026-02-23 17:00",
            returned_at="2026-02-19 10:00",
            deadline_unit="calendar_days",
            deadline_value=10.0,
        ),
        # hours: Mon 05/01 08:00 -> 15:00 = 4 h (8–12) + 2 h (13–15) = 6 h
        dict(
            dossier_id="H1",
            received_at="2026-01-05 08:00",
            due_at="2026-01-06 08:00",
            returned_at="2026-01-05 15:00",
            deadline_unit="hours",
            deadline_value=8.0,
            office_name="Phòng B",
        ),
        # hours: Mon 16:00 -> Tue 09:30 = 1 h + 1.5 h = 2.5 h
        dict(
            dossier_id="H2",
            received_at="2026-01-05 16:00",
            due_at="2026-01-06 16:00",
            returned_at="2026-01-06 09:30",
            deadline_unit="hours",
            deadline_value=8.0,
            office_name="Phòng B",
        ),
    ]
    c = classify_dossiers(frame(rows), cal, Q1_END, period_start=Q1_START)
    t = processing_time(c, cal).set_index("deadline_unit")
    assert t.loc["working_days", "mean_time"] == 3
    assert t.loc["calendar_days", "mean_time"] == 10
    assert t.loc["hours", "mean_time"] == pytest.approx((6 + 2.5) / 2)
    assert t.loc["hours", "n"] == 2 and t.loc["hours", "unit_label"] == "giờ làm việc"


TARGETS = pd.DataFrame(
    {
        "kpi": ["on_time_pct", "apology_pct", "late_pct", "digitised_pct"],
        "label": ["Đúng hạn", "Xin lỗi", "Trễ hạn", "Số hóa"],
        "target_pct": ["98", "100", "2", "95,5"],
        "comparison": [">=", "=", "<=", "≥"],
        "plan_ref": ["Mục 10", "Mục 11", "", ""],
        "at_risk_margin_pp": [2, 0, 0, 3.5],
    }
)


def _kpis(rows):
    df = pd.DataFrame(rows, columns=["kpi", "k", "n"])
    from parlib.analysis.stats import add_rate

    return add_rate(df).assign(period="Quý I/2026")


def test_kpi_status_by_hand():
    s = kpi_status(
        _kpis(
            [
                ("on_time_pct", 45, 50),  # 90 % ≤ 98 − 2 -> missed; x = ceil(0.98 × 50) − 45 = 49 − 45 = 4
                # Wilson high 95.65 < 98: not within noise
                ("on_time_pct", 98, 100),  # exactly 98 % -> met, gap 0
                ("apology_pct", 7, 10),  # 100 % target: 3 late dossiers without apology
                ("late_pct", 5, 100),  # ≤ 2 %: x = 5 − floor(2) = 3; Wilson low 2.15 > 2 -> missed
                ("digitised_pct", 9500, 10000),  # 95 % vs 95,5 %: within 3.5 pp -> at risk;
                # x = ceil(0.955 × 10000) − 9500 = 9550 − 9500 = 50
                ("digitised_pct", 0, 0),  # no dossier -> not applicable
                ("online_pct", 1, 2),  # no target -> dropped
            ]
        ),
        TARGETS,
    )
    assert len(s) == 6
    assert s["is_within_noise"].tolist() == [False, False, False, False, False, False]
    assert s["status"].tolist() == ["missed", "met", "missed", "missed", "at_risk", "not_applicable"]
    assert s["status_vi"].tolist() == [
        "Không đạt",
        "Đạt",
        "Không đạt",
        "Không đạt",
        "Có nguy cơ",
        "Không áp dụng",
    ]
    assert s["gap_count"].tolist()[:5] == [4, 0, 3, 3, 50]
    assert s.loc[0, "gap_text"] == "Cần thêm 4 hồ sơ đúng hạn trong Quý I/2026 để đạt 98 %."
    assert s.loc[2, "gap_text"] == "Còn 3 hồ sơ trễ hạn chưa có văn bản xin lỗi trong Quý I/2026."
    assert s.loc[3, "gap_text"].startswith("Cần giảm 3 hồ sơ trễ hạn")
    assert "95,5 %" in s.loc[4, "gap_text"]
    # a period label, when present, is the one written in the sentence
    lab = kpi_status(
        _kpis([("on_time_pct", 45, 50)]).assign(period="2026-Q1", period_label="Quý I/2026"), TARGETS
    )
    assert "trong Quý I/2026" in lab.loc[0, "gap_text"]


def test_kpi_status_margin_edges_and_noise():
    # target 98 %, margin 1 pp: at risk only strictly inside (97, 98)
    t = TARGETS.assign(at_risk_margin_pp=1)
    s = kpi_status(_kpis([("on_time_pct", 97, 100), ("on_time_pct", 975, 1000)]), t)
    assert s["status"].tolist() == ["missed", "at_risk"]
    # x = ceil(0.98 × 100) − 97 = 1; ceil(0.98 × 1000) − 975 = 980 − 975 = 5
    assert s["gap_count"].tolist() == [1, 5]
    # 9/10 = 90 % vs 95 %, margin 0 -> missed, but the Wilson high (98.2 %) reaches 95 %:
    # within noise; x = ceil(0.95 × 10) − 9 = 10 − 9 = 1
    t = TARGETS.assign(target_pct=["95", "100", "2", "95"], at_risk_margin_pp=0)
    s = kpi_status(_kpis([("on_time_pct", 9, 10)]), t).iloc[0]
    assert s["status"] == "missed" and s["is_within_noise"] and s["gap_count"] == 1
