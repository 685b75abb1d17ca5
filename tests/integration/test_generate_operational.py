"""Tests of the scenario-driven operational sample generator (parlib.generate.operational).

The planted effects are checked on the RAW files, read back with plain pandas, the way an
analyst would: the 766 on-time rule (end of processing minus the supplement pause vs the
due date; two or more supplement requests = late; an open dossier is judged at the end of
its quarter), quarterly exports de-duplicated by dossier number (later file wins). The
expected sizes come from ``[effects]`` of the scenario file (the only reader of it besides
the generator).
"""

from __future__ import annotations

import hashlib
import tomllib
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from parlib.core.errors import ConfigError
from parlib.core.paths import PROJECT_ROOT
from parlib.generate.operational import generate
from parlib.generate.scenario import load_scenario
from parlib.ingest.calendar import load_calendar

ROOT = PROJECT_ROOT
DEFAULT = ROOT / "scenarios" / "default.toml"
ALT = ROOT / "tests" / "scenarios" / "alt.toml"
BUNDLED = ROOT / "data"
DATE_COLS = [
    "Ngày tiếp nhận",
    "Ngày hẹn trả",
    "Ngày yêu cầu bổ sung",
    "Ngày hoàn thành bổ sung",
    "Ngày xử lý xong",
    "Ngày trả kết quả",
    "Ngày dừng xử lý",
    "Ngày xin lỗi",
    "Ngày hẹn trả mới",
]
OPERATIONAL_DIRS = ("dossiers", "feedback", "survey", "index766")


def effects(path: Path = DEFAULT) -> dict:
    return tomllib.loads(path.read_text(encoding="utf-8"))["effects"]


def _to_dt(col: pd.Series) -> pd.Series:
    """Excel datetimes or 'dd/mm/yyyy HH:MM' text -> datetime (unparseable -> NaT)."""
    text = col.astype(object).map(lambda v: v if isinstance(v, str) else None)
    parsed = pd.to_datetime(text, format="%d/%m/%Y %H:%M", errors="coerce")
    other = pd.to_datetime(col.where(text.isna()), errors="coerce")
    return parsed.fillna(other).astype("datetime64[us]")


def read_dossiers(data: Path) -> pd.DataFrame:
    """Every quarterly export, valid rows only, later file wins; adds quarter and is_late."""
    frames = []
    for path in sorted((data / "raw" / "dossiers").glob("ho_so_*_Q*.xlsx")):
        year, q = int(path.stem.split("_")[2]), int(path.stem[-1])
        df = pd.read_excel(path, sheet_name="Danh sách hồ sơ", header=4, engine="calamine", dtype=object)
        bad_date = _to_dt(df["Ngày tiếp nhận"]).isna()
        for c in DATE_COLS:
            df[c] = _to_dt(df[c])
        df["file_order"] = year * 10 + q
        df["cutoff"] = (pd.Period(year=year, quarter=q, freq="Q") + 1).start_time
        df["bad"] = df["Số hồ sơ"].isna() | bad_date | (df["Mã TTHC"] == "9.999999")
        frames.append(df)
    all_rows = pd.concat(frames, ignore_index=True)
    ok = all_rows[~all_rows["bad"]].sort_values("file_order", kind="stable")
    ok = ok.drop_duplicates("Số hồ sơ", keep="last").copy()
    ok["quarter"] = ok["Ngày tiếp nhận"].dt.to_period("Q").astype(str)
    # end of processing; an open dossier is judged at the end of its export's period
    end = ok["Ngày xử lý xong"].fillna(ok["Ngày dừng xử lý"]).fillna(ok["cutoff"])
    # supplement pause (still running at the cutoff when not completed yet)
    done = ok["Ngày hoàn thành bổ sung"].fillna(ok["cutoff"])
    pause = (done - ok["Ngày yêu cầu bổ sung"]).fillna(pd.Timedelta(0))
    supp = pd.to_numeric(ok["Số lần yêu cầu bổ sung"]).astype(int)
    ok["is_late"] = (supp >= 2) | ((end - pause) > ok["Ngày hẹn trả"])
    ok["all_rows"] = len(all_rows)
    return ok


@pytest.fixture(scope="module")
def bundled() -> pd.DataFrame:
    return read_dossiers(BUNDLED)


@pytest.fixture(scope="module")
def procedures() -> pd.DataFrame:
    return pd.read_csv(ROOT / "data" / "raw" / "config" / "procedures.csv", dtype=str)


def _office_names() -> dict[str, str]:
    o = pd.read_csv(ROOT / "data" / "raw" / "config" / "offices.csv", dtype=str)
    return dict(zip(o["office_code"], o["office_name"]))


def late_pct(frame: pd.DataFrame) -> float:
    return 100 * frame["is_late"].mean()


def read_survey(data: Path) -> pd.DataFrame:
    frames = []
    for p in sorted((data / "raw" / "survey").glob("khao_sat_*_Q*.xlsx")):
        df = pd.read_excel(p, sheet_name="Phiếu khảo sát", engine="calamine", dtype=object)
        df["quarter"] = f"{p.stem.split('_')[2]}Q{p.stem[-1]}"
        frames.append(df)
    return pd.concat(frames, ignore_index=True)


def _files(data: Path) -> dict[str, str]:
    """Relative path -> sha256 of every operational file the generator owns."""
    out = {}
    for sub in OPERATIONAL_DIRS:
        for p in sorted((data / "raw" / sub).glob("*.xlsx")):
            out[p.relative_to(data).as_posix()] = hashlib.sha256(p.read_bytes()).hexdigest()
    for p in sorted((data / "raw" / "tasks").glob("tien_do_*.xlsx")):
        out[p.relative_to(data).as_posix()] = hashlib.sha256(p.read_bytes()).hexdigest()
    return out


# ---------------------------------------------------------------- determinism


@pytest.mark.slow
def test_bundled_sample_regenerates_byte_for_byte(tmp_path):
    manifest = generate(DEFAULT, tmp_path, quiet=True)
    assert manifest["seconds"] < 60
    fresh, committed = _files(tmp_path), _files(BUNDLED)
    assert list(fresh) == list(committed)
    assert fresh == committed


def test_alt_scenario_same_seed_same_bytes_new_seed_new_bytes(tmp_path):
    a, b, c = tmp_path / "a", tmp_path / "b", tmp_path / "c"
    generate(ALT, a, quiet=True)
    generate(ALT, b, quiet=True)
    assert _files(a) == _files(b)
    changed = ALT.read_text(encoding="utf-8").replace("seed = 7", "seed = 8")
    other = tmp_path / "alt_seed8.toml"
    other.write_text(changed.replace('"../../data/', f'"{ROOT.as_posix()}/data/'), encoding="utf-8")
    generate(other, c, quiet=True)
    diff = [k for k in _files(a) if _files(a)[k] != _files(c).get(k)]
    assert "raw/dossiers/ho_so_2025_Q3.xlsx" in diff


# ---------------------------------------------------------------- bundled structure


def test_bundled_volumes_within_stated_ranges(bundled):
    cfg = tomllib.loads(DEFAULT.read_text(encoding="utf-8"))
    lo, hi = cfg["dossiers"]["expected_per_year"]
    per_q = bundled.groupby(bundled["Ngày tiếp nhận"].dt.year)["quarter"].nunique()
    counts = bundled.groupby(bundled["Ngày tiếp nhận"].dt.year).size()
    for year, n in counts.items():
        annual = n * 4 / per_q[year]  # 2026 has three quarters: annualise
        assert lo <= annual <= hi, (year, annual)
    survey = read_survey(BUNDLED)
    lo, hi = cfg["survey"]["expected_respondents"]
    assert survey.groupby("quarter").size().between(lo, hi).all()
    assert survey["quarter"].nunique() == 7
    lo, hi = cfg["feedback"]["expected_per_year"]
    for year, quarters in ((2025, 4), (2026, 3)):
        fb = pd.read_excel(
            BUNDLED / "raw" / "feedback" / f"pakn_{year}.xlsx",
            sheet_name="PAKN",
            engine="calamine",
            dtype=object,
        )
        assert lo <= len(fb) * 4 / quarters <= hi


def test_bundled_dossier_layout_text_dates_and_fake_personal_data():
    path = BUNDLED / "raw" / "dossiers" / "ho_so_2025_Q3.xlsx"
    df = pd.read_excel(path, sheet_name="Danh sách hồ sơ", header=4, engine="calamine", dtype=object)
    expected = [
        "STT",
        "Số hồ sơ",
        "Mã TTHC",
        "Tên thủ tục hành chính",
        "Lĩnh vực",
        "Đơn vị xử lý",
        "Kênh nộp",
        "Ngày tiếp nhận",
        "Ngày hẹn trả",
        "Số lần yêu cầu bổ sung",
        "Ngày yêu cầu bổ sung",
        "Ngày hoàn thành bổ sung",
        "Ngày xử lý xong",
        "Ngày trả kết quả",
        "Ngày dừng xử lý",
        "Trạng thái",
        "Ngày xin lỗi",
        "Ngày hẹn trả mới",
        "Số lần hẹn lại",
        "Số hóa hồ sơ",
        "Kết quả điện tử",
        "Thanh toán trực tuyến",
        "Đánh giá của người dân",
        "Họ tên người nộp",
        "Số điện thoại",
        "Số CCCD",
        "Địa chỉ",
    ]
    assert list(df.columns) == expected
    # 2025-Q3 is the text-date quarter: dd/mm/yyyy HH:MM strings
    sample = df["Ngày hẹn trả"].dropna().head(50)
    assert sample.map(lambda v: isinstance(v, str) and len(v) == 16 and v[2] == "/").all()
    q1 = pd.read_excel(
        BUNDLED / "raw" / "dossiers" / "ho_so_2025_Q1.xlsx",
        sheet_name="Danh sách hồ sơ",
        header=4,
        engine="calamine",
        dtype=object,
    )
    assert q1["Ngày hẹn trả"].dropna().map(lambda v: hasattr(v, "year")).all()
    assert q1["Số hồ sơ"].dropna().str.fullmatch(r"000\.00\.17\.H11-\d{6}-\d{4}").all()
    assert q1["Số điện thoại"].astype(str).str.fullmatch(r"09\d{8}").all()
    assert q1["Số CCCD"].astype(str).str.fullmatch(r"000\d{9}").all()
    assert q1["Địa chỉ"].str.contains("Đường Mẫu").all()


@pytest.fixture(scope="module")
def raw_rows() -> pd.DataFrame:
    """Every row of every bundled dossier export, as written (no parsing, no filtering)."""
    frames = []
    for p in sorted((BUNDLED / "raw" / "dossiers").glob("ho_so_*.xlsx")):
        df = pd.read_excel(p, sheet_name="Danh sách hồ sơ", header=4, engine="calamine", dtype=object)
        frames.append(df.assign(file=p.stem))
    return pd.concat(frames, ignore_index=True)


def test_bundled_duplicates_carry_a_later_status(raw_rows):
    allr = raw_rows.dropna(subset=["Số hồ sơ"])
    dup = allr[allr.duplicated("Số hồ sơ", keep=False)].sort_values(["Số hồ sơ", "file"])
    assert dup["Số hồ sơ"].nunique() == 6 * 6  # 6 per quarter, six quarter boundaries
    first, last = dup.groupby("Số hồ sơ").first(), dup.groupby("Số hồ sơ").last()
    assert first["Trạng thái"].isin(["Đang xử lý", "Chờ bổ sung", "Tạm dừng"]).all()
    assert not last["Trạng thái"].isin(["Đang xử lý", "Chờ bổ sung", "Tạm dừng"]).any()


def test_bundled_damaged_rows(raw_rows, bundled):
    allr = raw_rows
    # scenario export.*: 3 + 3 + 3 damaged rows (a draw may hit the same row twice -> >= 2)
    assert allr["Số hồ sơ"].isna().sum() >= 2
    assert (allr["Mã TTHC"] == "9.999999").sum() >= 2
    assert allr["Ngày tiếp nhận"].map(lambda v: isinstance(v, str) and v.startswith("31/02")).sum() >= 2
    # every valid row survives; damaged rows and superseded duplicates are the only losses
    assert len(allr) - len(bundled) <= 9 + 6 * 6


def test_receipts_only_on_working_days_except_online_offday(bundled):
    cal = load_calendar(ROOT / "data" / "raw" / "config" / "holidays.csv")
    day = bundled["Ngày tiếp nhận"]
    working = cal.is_working_day(day)
    channel = bundled["Kênh nộp"].astype(str)
    assert (channel[~working] == "2").all()  # scenario: only online dossiers on days off
    online = (channel == "2").sum()
    assert (~working).sum() / online < 0.03 * 1.5  # offday_online_share = 0.03
    # make-up Saturdays are working days with ordinary (in-person) receipts
    for d in ("2025-04-26", "2026-08-22"):
        on_day = bundled[day.dt.normalize() == pd.Timestamp(d)]
        assert (on_day["Kênh nộp"].astype(str) == "1").sum() > 10
    # Tết 2026 (16–20/02): no in-person receipt
    tet = bundled[(day >= "2026-02-16") & (day < "2026-02-21")]
    assert (tet["Kênh nộp"].astype(str) != "2").sum() == 0


def test_due_dates_follow_the_calendar(bundled, procedures):
    cal = load_calendar(ROOT / "data" / "raw" / "config" / "holidays.csv")
    p = procedures.set_index("procedure_code")
    df = bundled[bundled["Mã TTHC"].isin(p.index)]
    info = p.loc[df["Mã TTHC"]]
    days = info["deadline_unit"].isin(["working_days", "calendar_days"]).to_numpy()
    assert days.sum() > 25000
    expected = cal.due_dates(
        df["Ngày tiếp nhận"].reset_index(drop=True),
        info["deadline_value"].to_numpy(),
        info["deadline_unit"].to_numpy(),
        (info["after_15h"] == "true").to_numpy(),
    )
    got = df["Ngày hẹn trả"].reset_index(drop=True)
    assert (expected[days] == got[days]).all()
    # and a late receipt (after 15:00) of an after_15h procedure really moved
    late = (info["after_15h"] == "true").to_numpy() & (df["Ngày tiếp nhận"].dt.hour >= 16).to_numpy()
    assert late.sum() > 0


def test_lifecycle_variety(bundled):
    status = bundled["Trạng thái"].value_counts()
    for s in (
        "Đã trả kết quả",
        "Đã xử lý xong",
        "Đang xử lý",
        "Chờ bổ sung",
        "Tạm dừng",
        "Dừng xử lý",
        "Từ chối",
        "Rút hồ sơ",
    ):
        assert status.get(s, 0) > 0, s
    supp = pd.to_numeric(bundled["Số lần yêu cầu bổ sung"])
    assert (supp == 1).sum() > 1000 and (supp >= 2).sum() > 50
    assert (pd.to_numeric(bundled["Số lần hẹn lại"]) == 2).sum() > 0
    late = bundled[bundled["is_late"]]
    apology_late = late["Ngày xin lỗi"].dt.normalize() >= late["Ngày hẹn trả"].dt.normalize()
    assert apology_late.sum() > 0 and late["Ngày xin lỗi"].isna().sum() > 0
    assert set(bundled["Thanh toán trực tuyến"].dropna()) == {"Có", "Không"}
    assert bundled["Thanh toán trực tuyến"].isna().sum() > 0


# ---------------------------------------------------------------- planted effects


def test_effect_a_surge_makes_one_office_late(bundled):
    e = effects()["surge_overdue"]
    name = _office_names()[e["office"]]
    q = e["quarter"].replace("-", "")
    base_q = [x.replace("-", "") for x in e["baseline_quarters"]]
    office = bundled[bundled["Đơn vị xử lý"] == name]
    others = bundled[bundled["Đơn vị xử lý"] != name]
    for bq in base_q:
        assert late_pct(office[office["quarter"] == bq]) <= e["baseline_max_pct"], bq
    assert late_pct(office[office["quarter"] == q]) >= e["surge_min_pct"]
    change = late_pct(others[others["quarter"] == q]) - late_pct(others[others["quarter"].isin(base_q)])
    assert abs(change) <= e["others_max_change_pct"]


def test_effect_b_apology_coverage_drops_in_one_office(bundled):
    e = effects()["apology_drop"]
    name = _office_names()[e["office"]]
    late = bundled[bundled["is_late"] & (bundled["Đơn vị xử lý"] == name)]
    year = late["Ngày tiếp nhận"].dt.year
    cover = late["Ngày xin lỗi"].notna().groupby(year).mean() * 100
    assert cover[e["baseline_year"]] >= e["baseline_min_pct"]
    assert cover[e["year"]] <= e["drop_max_pct"]
    others = bundled[bundled["is_late"] & (bundled["Đơn vị xử lý"] != name)]
    assert others["Ngày xin lỗi"].notna().mean() * 100 >= e["baseline_min_pct"]


def test_effect_c_civil_servants_in_person_drop_drives_overall():
    e = effects()["civil_servant_drop"]
    items = pd.read_csv(ROOT / "data" / "raw" / "config" / "survey_items.csv", dtype=str)
    s = read_survey(BUNDLED)

    def num(col):
        v = pd.to_numeric(s[col], errors="coerce")
        return v.where(v.between(1, 5))

    factors = pd.DataFrame(
        {
            f: pd.concat([num(c) for c in g["item_code"]], axis=1).mean(axis=1)
            for f, g in items.groupby("factor_code")
        }
    )
    # out-of-scale answers exist and are not 1–5
    raw_vals = s[list(items["item_code"])].stack()
    assert raw_vals.isin([0, 6, 7, "không rõ"]).sum() >= 7 * 5 * 0.8
    sat = factors[e["factor_code"]] >= 3.5  # mean answer rounds to 4-5: satisfied
    desk = s["Kênh"] == e["channel"]
    quarters = [q.replace("-", "") for q in e["quarters"]]
    base = [q.replace("-", "") for q in e["baseline_quarters"]]
    drop = (sat[desk & s["quarter"].isin(base)].mean() - sat[desk & s["quarter"].isin(quarters)].mean()) * 100
    assert drop >= e["min_drop_points"]
    online = s["Kênh"] == "Trực tuyến"
    online_drop = (
        sat[online & s["quarter"].isin(base)].mean() - sat[online & s["quarter"].isin(quarters)].mean()
    ) * 100
    assert online_drop < e["min_drop_points"] / 2  # the online channel does not drop
    overall = num("Hài lòng chung")
    ok = factors.notna().all(axis=1) & overall.notna()
    x = np.column_stack([np.ones(ok.sum()), factors[ok].to_numpy()])
    beta = np.linalg.lstsq(x, overall[ok].to_numpy(float), rcond=None)[0][1:]
    assert factors.columns[int(np.argmax(beta))] == e["driver"]


def test_effect_d_pure_mix_shift(bundled, procedures):
    e = effects()["mix_shift"]
    diff = bundled["Mã TTHC"].map(dict(zip(procedures["procedure_code"], procedures["difficulty"])))
    df = bundled.assign(difficulty=diff)
    q = e["quarter"].replace("-", "")
    base = df[df["quarter"].isin([x.replace("-", "") for x in e["baseline_quarters"]])]
    cur = df[df["quarter"] == q]
    assert late_pct(cur) - late_pct(base) >= e["min_drop_points"]  # on-time falls
    base_mix = base["difficulty"].value_counts(normalize=True)
    cur_rates = cur.groupby("difficulty")["is_late"].mean() * 100
    standardised = float((base_mix * cur_rates).sum())
    assert abs(standardised - late_pct(base)) <= e["standardised_max_change_points"]
    assert cur["difficulty"].eq("slow").mean() > 2 * base["difficulty"].eq("slow").mean()


def test_effect_e_online_trend_without_effect(bundled):
    e = effects()["online_trend"]
    online = bundled["Kênh nộp"].astype(str) == "2"
    share = online.groupby(bundled["quarter"]).mean() * 100
    assert (
        share[e["last_quarter"].replace("-", "")] - share[e["first_quarter"].replace("-", "")]
        >= e["min_rise_points"]
    )
    assert share.is_monotonic_increasing
    in_person = bundled["Kênh nộp"].astype(str) == "1"
    year = bundled["Ngày tiếp nhận"].dt.year
    for y in (2025, 2026):
        gap = late_pct(bundled[online & (year == y)]) - late_pct(bundled[in_person & (year == y)])
        assert abs(gap) < e["max_channel_gap_points"]


# ---------------------------------------------------------------- other files


def test_feedback_index766_tasks():
    fb = pd.read_excel(
        BUNDLED / "raw" / "feedback" / "pakn_2025.xlsx", sheet_name="PAKN", engine="calamine", dtype=object
    )
    assert list(fb.columns[:5]) == ["Mã PAKN", "Ngày tiếp nhận", "Đơn vị xử lý", "Phân loại", "Nội dung"]
    cal = load_calendar(ROOT / "data" / "raw" / "config" / "holidays.csv")
    rec = pd.to_datetime(fb["Ngày tiếp nhận"])
    start = pd.to_datetime(fb["Ngày chuyển xử lý"]).fillna(rec)
    ans = pd.to_datetime(fb["Ngày trả lời"])
    answered = ans.notna()
    wd = cal.count_working_days(start[answered], ans[answered])
    assert (wd > 15).sum() > 5 and (wd <= 15).sum() > 100
    contact = fb["Nội dung"].str.contains(r"09\d{8}|@vidu\.vn", regex=True)
    assert contact.sum() == 4
    assert fb["Phân loại"].isna().sum() > 0
    idx = pd.read_excel(
        BUNDLED / "raw" / "index766" / "chi_so_766_2026.xlsx",
        sheet_name="Chi so 766",
        engine="calamine",
        dtype=object,
    )
    assert list(idx.columns) == ["Kỳ", "Mã nhóm", "Nhóm chỉ số", "Điểm", "Điểm tối đa"]
    maxima = idx.groupby("Mã nhóm")["Điểm tối đa"].first().astype(float).tolist()
    assert maxima == [18, 20, 12, 10, 18, 22]
    assert (idx["Điểm"].astype(float) <= idx["Điểm tối đa"].astype(float)).all()
    g2 = idx[idx["Mã nhóm"] == 2].set_index("Kỳ")["Điểm"].astype(float)
    assert g2.idxmin() in ("2026-07", "2026-08", "2026-09")  # the surge shows in group 2
    tasks = pd.read_excel(
        BUNDLED / "raw" / "tasks" / "tien_do_2026_Q3.xlsx",
        sheet_name="Tien do",
        engine="calamine",
        dtype=object,
    )
    assert list(tasks.columns) == ["STT", "Trạng thái", "Ngày cập nhật", "Ghi chú"]
    assert len(tasks) == 35 - 2
    assert set(tasks["Trạng thái"]) <= {"Hoàn thành", "Đúng tiến độ", "Chậm tiến độ"}
    assert "Chậm tiến độ" in set(tasks["Trạng thái"])
    upd = pd.to_datetime(tasks["Ngày cập nhật"])
    assert (upd > "2026-09-30").all() and (upd > "2026-10-20").any() and (upd <= "2026-11-24").all()


def test_index766_group2_equals_twenty_times_on_time_rate():
    from parlib.generate.dossiers import simulate_dossiers
    from parlib.generate.index766 import simulate_index766

    sc = load_scenario(ALT)
    truth, _ = simulate_dossiers(sc)
    idx = simulate_index766(sc, truth)
    month = truth["received_at"].dt.strftime("%Y-%m")
    rate = 1 - truth["is_late"].groupby(month).mean()
    g2 = idx[idx["group_code"] == 2].set_index("period")["points"]
    assert np.allclose(g2.to_numpy(), (20 * rate).round(2).to_numpy())


# ---------------------------------------------------------------- alt scenario and errors


def test_alt_scenario_full_data_set_no_code_change(tmp_path):
    manifest = generate(ALT, tmp_path, quiet=True)
    d = read_dossiers(tmp_path)
    assert set(d["Mã TTHC"]) <= {f"9.00000{i}" for i in range(1, 9)}
    assert set(d["Đơn vị xử lý"]) == {"Phòng A thử nghiệm", "Phòng B thử nghiệm", "Phòng C thử nghiệm"}
    assert d["Số hồ sơ"].str.startswith("000.00.99.H99-").all()
    per_year = d.groupby(d["Ngày tiếp nhận"].dt.year).size() * 2  # two quarters a year
    assert per_year.between(1500, 2600).all()
    assert sorted(p.name for p in (tmp_path / "raw" / "survey").glob("*.xlsx")) == [
        "khao_sat_2025_Q3.xlsx",
        "khao_sat_2025_Q4.xlsx",
        "khao_sat_2026_Q1.xlsx",
        "khao_sat_2026_Q2.xlsx",
    ]
    assert "raw/config/procedures.csv" in manifest["catalogues_copied"]
    copied = pd.read_csv(tmp_path / "raw" / "config" / "procedures.csv", dtype=str)
    assert len(copied) == 8 and copied.loc[4, "deadline_unit"] == "hours"
    assert not (tmp_path / "raw" / "tasks").exists()  # alt has no plan tasks
    # due dates of the inline catalogue follow the calendar too
    cal = load_calendar(ROOT / "data" / "raw" / "config" / "holidays.csv")
    info = copied.set_index("procedure_code").loc[d["Mã TTHC"]]
    expected = cal.due_dates(
        d["Ngày tiếp nhận"].reset_index(drop=True),
        info["deadline_value"].to_numpy(),
        info["deadline_unit"].to_numpy(),
        (info["after_15h"] == "true").to_numpy(),
    )
    days = (info["deadline_unit"] != "hours").to_numpy()
    assert (expected[days] == d["Ngày hẹn trả"].reset_index(drop=True)[days]).all()


def _alt_variant(tmp_path, old: str, new: str) -> Path:
    text = ALT.read_text(encoding="utf-8").replace('"../../data/', f'"{ROOT.as_posix()}/data/')
    assert old in text
    path = tmp_path / "bad.toml"
    path.write_text(text.replace(old, new, 1), encoding="utf-8")
    return path


@pytest.mark.parametrize(
    "old,new,needle",
    [
        ("base_per_year = 2000", "base_per_yeer = 2000", "dossiers.base_per_yeer"),
        ("base_per_year = 2000", 'base_per_year = "nhiều"', "dossiers.base_per_year"),
        ('procedures = ["9.000007"]', 'procedures = ["1.234567"]', "dossiers.surges[1].procedures"),
        ('quarters = ["2026-Q2"]', 'quarters = ["2027-Q2"]', "dossiers.surges[1]"),
        (", GY = 3.7 }", " }", "survey.factor_means"),
        ('difficulty = "slow"', 'difficulty = "rất khó"', "difficulty"),
    ],
)
def test_invalid_scenarios_name_the_bad_key(tmp_path, old, new, needle):
    with pytest.raises(ConfigError) as err:
        load_scenario(_alt_variant(tmp_path, old, new))
    assert needle in str(err.value)
    assert "Kịch bản" in str(err.value)


def test_missing_scenario_and_bad_toml(tmp_path):
    with pytest.raises(ConfigError, match="Không tìm thấy tệp kịch bản"):
        load_scenario(tmp_path / "none.toml")
    bad = tmp_path / "bad.toml"
    bad.write_text("[scenario\nname = 1", encoding="utf-8")
    with pytest.raises(ConfigError, match="không phải TOML hợp lệ"):
        load_scenario(bad)
