"""Reference data files under data/raw/config and data/raw/tasks parse and are consistent.

Meaning checked here (documented for the readers of these files):
  targets.csv at_risk_margin_pp: a value below target by less than the margin is «có nguy cơ»,
  by the margin or more «không đạt» (e.g. on_time_pct 98, margin 1.0: 97,5 % = có nguy cơ).
"""

from __future__ import annotations

import unicodedata
from pathlib import Path

import pandas as pd
import pytest

from parlib.core.calendar import UNITS
from parlib.core.paths import Paths
from parlib.ingest.calendar import load_calendar

RAW = Paths().raw
CONFIG = Paths().config
SHARED_HOLIDAYS = Path("/work/shared/domain/data/vn_public_holidays_2024_2026.csv")


def read(path) -> pd.DataFrame:
    return pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8-sig")


@pytest.fixture(scope="module")
def offices() -> set[str]:
    return set(read(CONFIG / "offices.csv")["office_name"])


@pytest.fixture(scope="module")
def procedures() -> pd.DataFrame:
    return read(CONFIG / "procedures.csv")


def test_all_text_is_nfc():
    for path in [
        CONFIG / n for n in ("procedures.csv", "survey_items.csv", "targets.csv", "holidays.csv")
    ] + [RAW / "tasks" / "nhiem_vu_2026.csv"]:
        text = path.read_text(encoding="utf-8")
        assert unicodedata.normalize("NFC", text) == text, path.name


def test_procedures_columns_and_codes(procedures):
    assert list(procedures.columns) == [
        "procedure_code",
        "procedure_name",
        "field_name",
        "office_name",
        "deadline_value",
        "deadline_unit",
        "after_15h",
        "online_level",
        "fee_vnd",
        "has_paper_result",
        "difficulty",
        "is_illustrative",
    ]
    assert 60 <= len(procedures) <= 120
    assert procedures["procedure_code"].is_unique
    assert procedures["procedure_code"].str.fullmatch(r"[12]\.\d{6}").all()
    assert "1.009972" in set(procedures["procedure_code"])  # the contract's example code
    assert (procedures["is_illustrative"] == "true").all()


def test_procedures_values(procedures, offices):
    assert set(procedures["office_name"]) <= offices
    assert set(procedures["deadline_unit"]) <= set(UNITS)
    assert set(procedures["deadline_unit"]) == set(UNITS)  # every unit is exercised
    assert 1 <= (procedures["deadline_unit"] == "hours").sum() <= 2
    assert pd.to_numeric(procedures["deadline_value"]).gt(0).all()
    assert pd.to_numeric(procedures["fee_vnd"]).ge(0).all()
    for col in ("after_15h", "has_paper_result", "is_illustrative"):
        assert set(procedures[col]) <= {"true", "false"}, col
    assert 1 <= (procedures["after_15h"] == "true").sum() <= 6
    assert set(procedures["online_level"]) <= {"một phần", "toàn trình"}
    assert set(procedures["difficulty"]) <= {"slow", "normal", "fast"}
    fields = set(procedures["field_name"])
    assert {
        "Hoạt động xây dựng",
        "Đường bộ",
        "Đường thủy nội địa",
        "Nhà ở",
        "Kinh doanh bất động sản",
    } <= fields


def test_capability_certificate_is_20_calendar_days(procedures):
    row = procedures[
        procedures["procedure_name"].str.startswith("Cấp chứng chỉ năng lực hoạt động xây dựng lần đầu")
    ]
    assert row[["deadline_value", "deadline_unit"]].values.tolist() == [["20", "calendar_days"]]


def test_tasks_1_to_35():
    tasks = read(RAW / "tasks" / "nhiem_vu_2026.csv")
    assert list(tasks.columns) == [
        "task_no",
        "task_name",
        "lead_office",
        "partners",
        "time_frame",
        "product",
        "due_date",
        "recurrence",
    ]
    assert tasks["task_no"].astype(int).tolist() == list(range(1, 36))
    assert set(tasks["lead_office"]) == {"Văn phòng Sở", "Phòng Kế hoạch - Tài chính", "Các phòng chuyên môn"}
    assert set(tasks["recurrence"]) <= {"once", "monthly", "quarterly", "continuous", "periodic"}
    by_no = tasks.set_index("task_no")
    # line-break artefact of task 31 repaired
    assert by_no.loc["31", "task_name"] == "Triển khai xây dựng, cập nhật CSDL ngành Xây dựng"
    assert by_no.loc["31", "partners"] == "Các phòng chuyên môn"
    assert by_no.loc["31", "product"] == "CSDL được cập nhật"
    # due dates: Quý III/2026 -> 30/09; Quý III, IV -> 31/12; Cuối năm -> 31/12; Thường xuyên -> empty
    assert by_no.loc[["1", "3", "23", "2", "4", "18"], "due_date"].tolist() == [
        "2026-09-30",
        "2026-12-31",
        "2026-12-31",
        "",
        "",
        "",
    ]
    dated = tasks[tasks["due_date"] != ""]
    assert pd.to_datetime(dated["due_date"], format="%Y-%m-%d").dt.year.eq(2026).all()
    assert (tasks.loc[tasks["recurrence"] != "once", "due_date"] == "").all()
    assert not tasks.apply(lambda c: c.str.contains(r"\$|\\", regex=True)).any().any()


def test_survey_items_five_factors():
    items = read(CONFIG / "survey_items.csv")
    assert list(items.columns) == ["item_code", "factor_code", "factor_name", "item_text"]
    assert items["item_code"].is_unique
    assert items.groupby("factor_code")["factor_name"].nunique().eq(1).all()
    assert set(items["factor_name"]) == {
        "Tiếp cận dịch vụ",
        "Thủ tục hành chính",
        "Công chức trực tiếp giải quyết công việc",
        "Kết quả dịch vụ",
        "Tiếp nhận, giải quyết góp ý, phản ánh, kiến nghị",
    }
    assert items.groupby("factor_code").size().between(3, 5).all()
    assert "TC1.1" in set(items["item_code"])
    assert (items["item_code"].str[:2] == items["factor_code"]).all()


def test_targets():
    targets = read(CONFIG / "targets.csv").set_index("kpi")
    want = {
        "on_time_pct": 98,
        "apology_pct": 100,
        "system_updated_pct": 100,
        "feedback_on_time_pct": 100,
        "satisfaction_pct": 95,
        "tasks_on_time_pct": 100,
        "procedures_published_pct": 100,
    }
    assert targets.index.is_unique
    assert {k: float(v) for k, v in targets["target_pct"].items()} == want
    assert set(targets["comparison"]) == {">="}
    assert pd.to_numeric(targets["at_risk_margin_pp"]).eq(1.0).all()
    assert targets["plan_ref"].str.startswith("KH/SXD 2026, mục I.2").all()


def test_holidays_copy_keeps_source_rows():
    ours = read(CONFIG / "holidays.csv")
    if SHARED_HOLIDAYS.exists():  # the shared domain folder exists on the team's machines only
        source = read(SHARED_HOLIDAYS)
        assert list(ours.columns) == list(source.columns)
        merged = ours.merge(source, how="right", indicator=True)
        assert (merged["_merge"] == "both").all()  # every source row kept unchanged
    cal = load_calendar(Paths())
    assert cal.years == frozenset({2025, 2026}) and 2027 not in cal.years
