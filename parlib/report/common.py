"""Pieces every report shares: the issues and ledger displays, the data-quality section and
the writing of the report's Excel workbook and ``summary.json``."""

from __future__ import annotations

import pandas as pd

from parlib.core.io import write_json
from parlib.core.issues import SEVERITY_VI, ledger_summary
from parlib.core.vnformat import fmt_int
from parlib.core.xlsx import write_excel_tables
from parlib.report.display import output_path, paragraph, show, table
from parlib.report.rootcause_text import persistent_vi, reconciliation_vi, table_vi

ISSUE_GROUPS_SHOWN = 12


def issues_display(issues: pd.DataFrame) -> pd.DataFrame:
    """Issues table with Vietnamese headers, errors first."""
    if issues.empty:
        return pd.DataFrame(columns=["Mức độ", "Tệp", "Trang", "Ô", "Mã", "Giá trị", "Nội dung"])
    order = {"error": 0, "warning": 1, "info": 2}
    df = issues.assign(_o=issues["severity"].map(order)).sort_values(["_o", "source", "row"], kind="stable")
    return pd.DataFrame(
        {
            "Mức độ": df["severity"].map(SEVERITY_VI),
            "Tệp": df["source"],
            "Trang": df["sheet"],
            "Ô": df["cell"],
            "Mã": df["code"],
            "Giá trị": df["value"],
            "Nội dung": df["message"],
        }
    )


def ledger_display(ledger: pd.DataFrame) -> pd.DataFrame:
    """Row accounting per file with Vietnamese headers."""
    s = ledger_summary(ledger)
    return pd.DataFrame(
        {
            "Tệp": s["source"],
            "Trang": s["sheet"],
            "Số dòng đọc": s["read"].map(fmt_int),
            "Dùng": s["used"].map(fmt_int),
            "Bỏ qua": s["skipped"].map(fmt_int),
            "Loại (có lý do)": s["rejected"].map(fmt_int),
        }
    )


def issues_grouped(issues: pd.DataFrame, first: int = 5) -> pd.DataFrame:
    """One line per kind of problem (severity, file, rule): how many rows, the first rows and
    one message as an example; errors first, then the most frequent."""
    if issues.empty:
        return pd.DataFrame(columns=["Mức độ", "Tệp", "Vấn đề (ví dụ)", "Số lần", "Các dòng đầu tiên"])
    order = {"error": 0, "warning": 1, "info": 2}
    df = issues.assign(
        _o=issues["severity"].map(order), _rule=issues["rule"].where(issues["rule"] != "", issues["message"])
    )
    g = df.groupby(["_o", "severity", "source", "_rule"], sort=False)
    out = g.agg(
        message=("message", "first"),
        n=("message", "size"),
        rows=("row", lambda r: ", ".join(str(int(x)) for x in r.dropna().head(first))),
    ).reset_index()
    out = out.sort_values(["_o", "n"], ascending=[True, False], kind="stable")
    return pd.DataFrame(
        {
            "Mức độ": out["severity"].map(SEVERITY_VI),
            "Tệp": out["source"],
            "Vấn đề (ví dụ)": out["message"],
            "Số lần": out["n"].map(fmt_int),
            "Các dòng đầu tiên": [
                r + (" …" if n > first and r else "") for r, n in zip(out["rows"], out["n"])
            ],
        }
    )


def ledger_by_folder(ledger: pd.DataFrame) -> pd.DataFrame:
    """Row accounting summed by input folder (dossiers, survey …); per file in Excel."""
    s = ledger_summary(ledger)
    if s.empty:
        return ledger_display(ledger)
    parts = s["source"].astype(str).str.replace("\\", "/").str.split("/")
    s = s.assign(folder=[p[-2] if len(p) > 1 else "(khác)" for p in parts])
    g = s.groupby("folder", sort=True).agg(
        files=("source", "nunique"), read=("read", "sum"), used=("used", "sum"),
        skipped=("skipped", "sum"), rejected=("rejected", "sum"),
    ).reset_index()  # fmt: skip
    return pd.DataFrame(
        {
            "Thư mục dữ liệu": g["folder"],
            "Số tệp": g["files"].map(fmt_int),
            "Số dòng đọc": g["read"].map(fmt_int),
            "Dùng": g["used"].map(fmt_int),
            "Bỏ qua": g["skipped"].map(fmt_int),
            "Loại (có lý do)": g["rejected"].map(fmt_int),
        }
    )


def show_data_quality(issues: pd.DataFrame, ledger: pd.DataFrame) -> None:
    """Row accounting (with the read = used + skipped + rejected check) and the issues."""
    led = ledger_summary(ledger)
    ok = (
        bool((led["read"] == led["used"] + led["skipped"] + led["rejected"]).all()) if not led.empty else True
    )
    show(
        table(
            ledger_by_folder(ledger),
            caption="Kiểm đếm dòng dữ liệu theo thư mục (từng tệp: tệp Excel, trang «Kiểm đếm dòng»)",
        )
    )
    show(
        paragraph(
            "Đối chiếu: số dòng đọc = dùng + bỏ qua + loại — " + ("khớp." if ok else "KHÔNG KHỚP."),
            muted=True,
        )
    )
    if issues.empty:
        show(paragraph("Không phát hiện vấn đề nào về nội dung."))
        return
    counts = issues["severity"].value_counts()
    more = " Mỗi loại vấn đề một dòng; danh sách đầy đủ từng dòng trong tệp Excel kèm theo (trang «Vấn đề dữ liệu»)."
    show(
        paragraph(
            "Số vấn đề: "
            + ", ".join(
                f"{SEVERITY_VI[k].lower()} {int(counts[k])}"
                for k in ("error", "warning", "info")
                if k in counts
            )
            + "."
            + more
        )
    )
    show(table(issues_grouped(issues), max_rows=ISSUE_GROUPS_SHOWN))


def write_report_files(
    output_dir: str, xlsx_name: str, sheets: dict[str, pd.DataFrame], summary: dict, notes: list[str], rc=None
) -> None:
    """Write the report's workbook and ``summary.json`` into ``output_dir`` (no-op when empty).

    ``rc`` (parlib.rootcause.RootCauseResult) adds the ranked causes as a sheet and as
    ``summary["root_causes"]``.
    """

    xlsx = output_path(output_dir, xlsx_name)
    if xlsx is None:
        return
    if rc is not None:
        sheets = {**sheets, "Nguyên nhân": table_vi(rc)}
        summary = {**summary, "root_causes": rc.summary_json()}
        if rc.reconciliation is not None:
            sheets["Đối chiếu thay đổi"] = reconciliation_vi(rc.reconciliation)
            sheets["Thiếu điểm cả hai năm"] = persistent_vi(rc.persistent)
            summary["cause_reconciliation"] = rc.reconciliation
            summary["persistent_shortfalls"] = [
                {k: (round(float(v), 2) if isinstance(v, float) else v) for k, v in r.items()}
                for r in rc.persistent.to_dict("records")
            ]
    write_excel_tables(sheets, xlsx, notes=notes)
    write_json(output_path(output_dir, "summary.json"), summary)
