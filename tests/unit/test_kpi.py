"""Hand-worked checks of the dossier KPIs (766 rules), processing time and target status.

Calendar of the tests (2026 only): Tết 16–20/02/2026 off, 30/04–03/05 off, 29/08–02/09 off,
make-up Saturday 22/08/2026. Weekdays used below: 05/01/2026 Mon, 09/01 Fri, 13/02 Fri,
23/02 Mon, 27/02 Fri, 30/03 Mon, 31/03 Tue, 02/04 Thu.
"""

import numpy as np
import pandas as pd
import pytest

from parlib.analysis.kpi import classify_dossiers, dossier_kpis, selected_texts
from parlib.analysis.kpi_table import kpi_table
from parlib.analysis.processing_time import processing_time
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
    # late C, E, F; an apology is owed by C and F (E is late only by the "more than one
    # supplement" convention and was returned before its due date: it owes none) -> 2/2;
    # on time only C (07/01 <= 09/01 − 1) -> 1/2
    assert (k.loc["apology_pct", "k"], k.loc["apology_pct", "n"]) == (2, 2)
    assert (k.loc["apology_on_time_pct", "k"], k.loc["apology_on_time_pct", "n"]) == (1, 2)
    # rescheduled F (once), G (twice) -> 1 violation of 2
    assert (k.loc["reschedule_violation_pct", "k"], k.loc["reschedule_violation_pct", "n"]) == (1, 2)
    # channel 2: A, B, C, G, H of the 8 received in Q1 — but every procedure here returns a paper
    # result and none has an electronic result, so none counts as online (766 3.3) -> 0/8
    assert (k.loc["online_pct", "k"], k.loc["online_pct", "n"]) == (0, 8)
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
    # 766 4.2: component files AND result file. P1 yes; P2 not digitised; P3 digitised but its
    # returned result has no result file ("Kết quả điện tử" = Không) -> 1 of P1–P3
    assert (k.loc["digitised_pct", "k"], k.loc["digitised_pct", "n"]) == (1, 3)
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


# ---------------------------------------------------------------- 766 definitions, by hand
# January 2026 ends on a Saturday (31/01); Q1 ends on a Tuesday (31/03). Weekdays: 08/01 Thu,
# 09/01 Fri, 12/01 Mon, 13/01 Tue, 15/01 Thu, 16/01 Fri, 19/01 Mon, 20/01 Tue, 29/01 Thu,
# 30/01 Fri, 02/02 Mon, 05/02 Thu. Fee-bearing procedures: 150 000 đồng.
FEE = 150000.0
R = [
    # R1 online, paper result with e-result, digitised, paid online; returned 08/01 < due 09/01: early
    dict(
        dossier_id="R1",
        channel=2,
        has_e_result=True,
        is_digitised=True,
        fee_vnd=FEE,
        is_paid_online=True,
        returned_at="2026-01-08 10:00",
        citizen_rating="Rất hài lòng",
    ),
    # R2 online, paper result WITHOUT e-result; digitised; fee, not paid online; finished on the due
    # day: on time; the citizen rated it "Không hài lòng"
    dict(
        dossier_id="R2",
        channel=2,
        is_digitised=True,
        fee_vnd=FEE,
        is_paid_online=False,
        finished_at="2026-01-09 15:00",
        status="Đã xử lý xong",
        status_code="finished",
        citizen_rating="Không hài lòng",
    ),
    # R3 online, procedure with no paper result; digitised but no result file; no fee (blank cell)
    dict(
        dossier_id="R3",
        channel=2,
        has_paper_result=False,
        is_digitised=True,
        is_paid_online=None,
        returned_at="2026-01-09 16:00",
    ),
    # R4 direct; fee-bearing procedure but this dossier is exempt (blank "Thanh toán trực tuyến");
    # returned 12/01 > 09/01: late; apology 07/01 <= 09/01 − 1 day: on time
    dict(
        dossier_id="R4",
        has_e_result=True,
        is_digitised=True,
        fee_vnd=FEE,
        is_paid_online=None,
        returned_at="2026-01-12 09:00",
        apology_at="2026-01-07",
    ),
    # R5 by post; not digitised; fee, not paid online; returned 13/01: late, no apology; rated dislike
    dict(
        dossier_id="R5",
        channel=3,
        fee_vnd=FEE,
        is_paid_online=False,
        returned_at="2026-01-13 09:00",
        citizen_rating="Không hài lòng",
    ),
    # R6 online, e-result, digitised; two supplement requests -> late by the 766 convention, but
    # returned 08/01 before its due date: it never missed its return date, so it owes no apology
    dict(
        dossier_id="R6",
        channel=2,
        has_e_result=True,
        is_digitised=True,
        supplement_count=2,
        supplement_requested_at="2026-01-06 09:00",
        supplement_completed_at="2026-01-07 09:00",
        returned_at="2026-01-08 09:00",
    ),
    # R7 stopped 08/01 ("Dừng xử lý") before its due date: early; digitised, no result exists
    dict(
        dossier_id="R7",
        is_digitised=True,
        stopped_at="2026-01-08 09:00",
        status="Dừng xử lý",
        status_code="stopped",
    ),
    # R8 received 19/01, due Fri 30/01; supplement requested ON the due day, still waiting at the
    # end of January (a Saturday) and of Q1: judged by the request date -> in time, in both
    dict(
        dossier_id="R8",
        channel=2,
        is_digitised=True,
        received_at="2026-01-19 09:00",
        due_at="2026-01-30 17:00",
        supplement_count=1,
        supplement_requested_at="2026-01-30 10:00",
        status="Chờ bổ sung",
        status_code="waiting_supplement",
    ),
    # R9 due Fri 30/01, nothing done by 31/01 -> overdue in January (owes an apology, has none);
    # the supplement request of Mon 02/02 came after the due date -> late in Q1 as well
    dict(
        dossier_id="R9",
        received_at="2026-01-19 09:00",
        due_at="2026-01-30 17:00",
        supplement_count=1,
        supplement_requested_at="2026-02-02 09:00",
        status="Chờ bổ sung",
        status_code="waiting_supplement",
    ),
    # R10 unfinished, due Thu 05/02: in time at 31/01; digitised; fee paid online at submission
    dict(
        dossier_id="R10",
        is_digitised=True,
        fee_vnd=FEE,
        is_paid_online=True,
        received_at="2026-01-29 09:00",
        due_at="2026-02-05 17:00",
    ),
    # R11 finished Thu 29/01 (due 30/01), returned Mon 02/02: the end of processing is the
    # finish (both rules agree) -> early; e-result, digitised
    dict(
        dossier_id="R11",
        has_e_result=True,
        is_digitised=True,
        received_at="2026-01-19 09:00",
        due_at="2026-01-30 17:00",
        finished_at="2026-01-29 10:00",
        returned_at="2026-02-02 09:00",
    ),
    # R12 a record with two end dates that disagree: finished 20/01, stopped 15/01, due Fri 16/01.
    # The 766 priority (finished > returned > stopped) ends it on 20/01 -> late; "earliest" -> early
    dict(
        dossier_id="R12",
        received_at="2026-01-12 09:00",
        due_at="2026-01-16 17:00",
        finished_at="2026-01-20 09:00",
        stopped_at="2026-01-15 09:00",
        status="Đã xử lý xong",
        status_code="finished",
    ),
]
JAN = ("2026-01-01", "2026-01-31")


def _r_frame():
    rows = [{"received_at": "2026-01-05 09:00", "due_at": "2026-01-09 17:00", **r} for r in R]
    df = frame(rows)
    df["citizen_rating"] = [r.get("citizen_rating") for r in rows]
    return df


def _k(c):
    k = dossier_kpis(c).set_index("kpi")
    return {kpi: (int(k.loc[kpi, "k"]), int(k.loc[kpi, "n"])) for kpi in k.index}


def test_766_definitions_by_hand(cal):
    c = classify_dossiers(_r_frame(), cal, JAN[1], period_start=JAN[0])
    out = c.set_index("dossier_id")["outcome"].to_dict()
    assert out == {
        "R1": "early",
        "R2": "on_time",
        "R3": "on_time",
        "R4": "late",
        "R5": "late",
        "R6": "late",
        "R7": "early",
        "R8": "pending_on_time",
        "R9": "late",
        "R10": "pending_on_time",
        "R11": "early",
        "R12": "late",
    }
    k = _k(c)
    # 2.1 "hồ sơ đã/đang xử lý đúng hạn hoặc trong hạn / tổng hồ sơ tiếp nhận, xử lý trong kỳ":
    # R1 R2 R3 R7 R8 R10 R11 of 12
    assert k["on_time_pct"] == (7, 12)
    # apology (NĐ 118/2025: form 04 for a dossier that misses its return date): owed by R4 R5 R9
    # R12 (not R6); sent by R4 -> 1/4; R4's letter two days before the due date -> 1/1 on time
    assert k["apology_pct"] == (1, 4) and k["apology_on_time_pct"] == (1, 1)
    # 3.3 "hồ sơ trực tuyến (KenhThucHien=2, with e-result where paper result required) / tổng hồ
    # sơ tiếp nhận": channel 2 = R1 R2 R3 R6 R8; R2 and R8 return paper without an e-result -> 3/12
    assert k["online_pct"] == (3, 12)
    # 3.6 "hồ sơ thanh toán trực tuyến / hồ sơ của TTHC có phí (excluding fee = 0)": fee-bearing
    # R1 R2 R4 R5 R10, R4 exempt (blank) -> R1 R2 R5 R10; paid online R1 R10 -> 2/4
    assert k["online_payment_pct"] == (2, 4)
    # 4.2 "hồ sơ có file thành phần hồ sơ AND file kết quả / tổng hồ sơ": digitised R1 R2 R3 R4 R6
    # R7 R8 R10 R11; with a result but no result file R2 R3 -> R1 R4 R6 R7 R8 R10 R11 = 7/12
    assert k["digitised_pct"] == (7, 12)
    # 5.4 "100% - (tỷ lệ hồ sơ quá hạn + tỷ lệ hồ sơ có PAKN hoặc đánh giá dislike)":
    # 100 − (5/12 + 2/12) × 100 = 41,67 % (R5 is both late and disliked: counted in both shares)
    assert k["handling_satisfaction_pct"] == (5, 12)
    assert dossier_kpis(c).set_index("kpi").loc["handling_satisfaction_pct", "pct"] == pytest.approx(500 / 12)


def test_waiting_for_a_supplement_does_not_depend_on_the_weekday_the_period_ends(cal):
    df = _r_frame()
    jan = classify_dossiers(df, cal, JAN[1], period_start=JAN[0]).set_index("dossier_id")  # ends Sat
    q1 = classify_dossiers(df, cal, Q1_END, period_start=Q1_START).set_index("dossier_id")  # ends Tue
    assert jan.loc["R8", "outcome"] == q1.loc["R8", "outcome"] == "pending_on_time"
    assert jan.loc["R8", "is_waiting_supplement"] and not jan.loc["R8", "owes_apology"]
    # R9 asked for the supplement after its due date: late whenever it is judged
    assert jan.loc["R9", "outcome"] == q1.loc["R9", "outcome"] == "late"
    assert jan.loc["R9", "owes_apology"] and q1.loc["R9", "owes_apology"]


def test_kpi_parameters_apology_lead_and_end_of_processing(cal):
    from parlib.model.dossier_rules import KpiRules

    df = _r_frame()
    strict = classify_dossiers(df, cal, JAN[1], period_start=JAN[0], rules=KpiRules(apology_lead_days=3))
    # R4's letter of 07/01 is not 3 days before its due date 09/01 (07/01 > 06/01)
    assert _k(strict)["apology_on_time_pct"] == (0, 1)
    earliest = classify_dossiers(
        df, cal, JAN[1], period_start=JAN[0], rules=KpiRules(end_of_processing="earliest")
    )
    r12 = earliest.set_index("dossier_id").loc["R12"]
    assert r12["outcome"] == "early" and r12["end_kind"] == "stopped"
    assert _k(earliest)["on_time_pct"] == (8, 12)
    with pytest.raises(ValueError):
        KpiRules(end_of_processing="latest")


def test_blank_online_payment_cell_means_no_fee_not_unpaid():
    from parlib.ingest.dossier_columns import BLANK_IS_NA, _bools

    assert BLANK_IS_NA == {"is_paid_online"}
    cells = pd.Series(["Có", "Không", "", None, "x", "có lẽ"], dtype=object)
    paid, bad = _bools(cells, blank=pd.NA)
    assert paid.tolist()[:5] == [True, False, pd.NA, pd.NA, True] and bad.tolist() == [False] * 5 + [True]
    flag, bad = _bools(cells)  # other flags: blank is "Không"
    assert flag.tolist()[:5] == [True, False, False, False, True] and bad.tolist() == [False] * 5 + [True]


def test_kpi_rules_file_is_read_and_checked(tmp_path):
    from parlib.core.errors import StructuralError
    from parlib.core.paths import Paths
    from parlib.ingest.rules import load_kpi_rules
    from parlib.model.dossier_rules import KpiRules

    paths = Paths(tmp_path / "data", tmp_path / "reports")
    assert load_kpi_rules(paths) == KpiRules()  # no file: the sources' defaults
    (paths.config).mkdir(parents=True)
    f = paths.config / "kpi_rules.csv"
    f.write_text(
        "parameter,value,note\napology_lead_days,2,\nend_of_processing,earliest,\n", encoding="utf-8"
    )
    assert load_kpi_rules(paths) == KpiRules(apology_lead_days=2, end_of_processing="earliest")
    f.write_text("parameter,value\napology_lead_days,hai\nlead,1\n", encoding="utf-8")
    with pytest.raises(StructuralError) as e:
        load_kpi_rules(paths)
    msg = str(e.value)  # every bad row named, with the file and its row
    assert "dòng 2: giá trị «hai» của «apology_lead_days»" in msg and "dòng 3: tham số «lead» không có" in msg


def test_procedure_names_keep_each_codes_first_row_like_drop_duplicates():
    from parlib.analysis.kpi import procedure_names

    d = pd.DataFrame(
        {
            "procedure_code": pd.array(["B", "A", "B", None, "A", None, "C"], dtype="str"),
            "procedure_name": pd.array(["b1", "a1", "b2", "n1", "a2", "n2", None], dtype="str"),
        },
        index=[10, 3, 7, 1, 0, 5, 2],
    )
    got = procedure_names(d)
    # by hand: B -> b1, A -> a1, missing code -> n1 (first), C -> missing name; first-seen order
    assert got.index[:2].tolist() == ["B", "A"] and got.iloc[:3].tolist() == ["b1", "a1", "n1"]
    assert pd.isna(got.index[2]) and got.index[3] == "C" and pd.isna(got.iloc[3])
    expected = d.drop_duplicates("procedure_code").set_index("procedure_code")["procedure_name"]
    pd.testing.assert_series_equal(got, expected, check_exact=True)


def test_selected_texts_is_np_select_as_texts():
    """The first true condition's choice, else the default (None: missing), as a "str" column
    on the given index — what np.select then astype("str") gives, worked by hand."""
    first = np.array([True, False, True, False, False])
    second = np.array([True, True, False, False, False])
    index = pd.Index([10, 11, 12, 13, 14])
    got = selected_texts([first, second], ["late", "early"], None, index)
    expected = pd.Series(["late", "early", "late", np.nan, np.nan], index=index, dtype="str")
    pd.testing.assert_series_equal(got, expected)
    assert got.dtype == "str" and got.isna().tolist() == [False, False, False, True, True]
    filled = selected_texts([first, second], ["late", "early"], "pending", index)
    assert filled.tolist() == ["late", "early", "late", "pending", "pending"]
    assert selected_texts([np.zeros(0, bool)], ["x"], None, pd.RangeIndex(0)).empty
