"""Benchmark data: one data folder per scale, generated once from bench/scenarios/<scale>.toml.

Layout of ``<work>/<scale>/``::

    data/raw/...            what the quarterly pipeline reads (catalogues, framework, exports)
    parse/ho_so_2026_Q3.*   the last quarter's dossier export in BOTH formats (.xlsx, .csv),
                            the input of the parse stages
    gen.json                stamp: scenario and generator checksums, seconds, counts

The generator writes .xlsx with openpyxl's write-only mode at about 42 s per 100 000 rows on
this machine (measured, see RESULTS.md), i.e. about 7 minutes for the four quarters of the
1 million scale. So scales flagged ``csv`` write their quarterly dossier exports as CSV (same
title rows, header and cells; dates as ``dd/mm/yyyy HH:MM`` text, as a CSV export carries
them) and only the last quarter also as .xlsx for the parse stage. The other scales write
.xlsx (what the Office receives) and a CSV copy of the last quarter for the parse stage.
Everything else (survey, PAKN, 766, task status) is written by the generator unchanged.
"""

from __future__ import annotations

import csv
import hashlib
import json
import shutil
import time
from datetime import datetime
from pathlib import Path

import parlib.generate.dossier_export as dossier_export
from parlib.core.paths import PACKAGE_DIR, PROJECT_ROOT

BENCH_DIR = Path(__file__).resolve().parent
PARSE_QUARTER = (2026, 3)
YEAR, QUARTER = PARSE_QUARTER
# scale -> (scenario file, dossier exports as csv?)
SCALES = {
    "10k": ("dept_10k.toml", False),
    "30k": ("dept_30k.toml", False),
    "100k": ("prov_100k.toml", False),
    "1m": ("prov_1m.toml", True),
}
# reference files the quarterly pipeline reads besides the generated ones
COPY_FROM_SAMPLE = ["config", "framework"]


def _fingerprint(scenario: Path, csv_exports: bool) -> str:
    h = hashlib.sha256(scenario.read_bytes())
    for p in sorted((PACKAGE_DIR / "generate").glob("*.py")):
        h.update(p.read_bytes())
    h.update(Path(__file__).read_bytes())
    h.update(b"csv" if csv_exports else b"xlsx")
    return h.hexdigest()[:16]


def _cell_text(v):
    if isinstance(v, datetime):
        return v.strftime("%d/%m/%Y %H:%M" if v.second == 0 else "%d/%m/%Y %H:%M:%S")
    return "" if v is None else v


def write_rows_csv(
    path: Path, sheet: str, header: list[str], rows: list[list], title_rows=(), note=None
) -> int:
    """CSV twin of ``parlib.generate.fakes.write_rows``: title rows padded to the header's
    width (so a CSV reader sees one rectangle), a blank row, the header, the data rows."""
    width = len(header)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.part")
    with open(tmp, "w", encoding="utf-8", newline="") as f:
        w = csv.writer(f, lineterminator="\n")
        for t in title_rows:
            w.writerow([t] + [""] * (width - 1))
        if title_rows:
            w.writerow([""] * width)
        w.writerow(header)
        w.writerows([_cell_text(v) for v in r] for r in rows)
    tmp.replace(path)
    return len(rows)


def reusable_stamp(root: Path, fingerprint: str) -> dict | None:
    """The stamp (``root/gen.json``) of data made with ``fingerprint``; otherwise None, and
    whatever is under ``root`` is removed so that the data can be made afresh."""
    stamp_path = root / "gen.json"
    if stamp_path.is_file():
        stamp = json.loads(stamp_path.read_text(encoding="utf-8"))
        if stamp.get("fingerprint") == fingerprint:
            return stamp
    if root.exists():
        shutil.rmtree(root)
    return None


def prepare(scale: str, work: Path, *, log=print) -> dict:
    """Generate (or reuse) the data of ``scale`` under ``work/scale``; returns the stamp."""
    scenario_name, csv_exports = SCALES[scale]
    scenario = BENCH_DIR / "scenarios" / scenario_name
    root = work / scale
    stamp_path = root / "gen.json"
    fp = _fingerprint(scenario, csv_exports)
    if (stamp := reusable_stamp(root, fp)) is not None:
        return stamp
    data = root / "data"
    parse_dir = root / "parse"
    (data / "raw").mkdir(parents=True)
    parse_dir.mkdir()
    for name in COPY_FROM_SAMPLE:
        shutil.copytree(PROJECT_ROOT / "data" / "raw" / name, data / "raw" / name)
    log(
        f"  generating {scale} from {scenario.relative_to(PROJECT_ROOT)} "
        f"({'csv' if csv_exports else 'xlsx'} dossier exports) …"
    )
    original = dossier_export.write_rows
    parse_name = f"ho_so_{YEAR}_Q{QUARTER}"

    def hooked(path, sheet, header, rows, title_rows=(), note=None):
        path = Path(path)
        main, other = (
            ((write_rows_csv, ".csv"), (original, ".xlsx"))
            if csv_exports
            else ((original, ".xlsx"), (write_rows_csv, ".csv"))
        )
        target = path.with_suffix(main[1])
        n = main[0](target, sheet, header, rows, title_rows, note)
        if path.stem == parse_name:  # the parse stages' inputs: this file in both formats
            shutil.copyfile(target, parse_dir / target.name)
            other[0](parse_dir / f"{parse_name}{other[1]}", sheet, header, rows, title_rows, note)
        return n

    from parlib.generate.operational import generate

    t0 = time.perf_counter()
    dossier_export.write_rows = hooked
    try:
        manifest = generate(scenario, data, quiet=True)
    finally:
        dossier_export.write_rows = original
    if csv_exports:  # the generator named them .xlsx in its manifest; the files are .csv
        for f in manifest["files"]:
            if f["path"].startswith("raw/dossiers/"):
                f["path"] = f["path"].rsplit(".", 1)[0] + ".csv"
    stamp = {
        "scale": scale,
        "scenario": scenario.relative_to(PROJECT_ROOT).as_posix(),
        "fingerprint": fp,
        "dossier_format": "csv" if csv_exports else "xlsx",
        "dossiers_simulated": manifest["dossiers"],
        "dossier_rows": sum(f["rows"] for f in manifest["files"] if f["path"].startswith("raw/dossiers/")),
        "survey_rows": sum(f["rows"] for f in manifest["files"] if f["path"].startswith("raw/survey/")),
        "feedback_rows": sum(f["rows"] for f in manifest["files"] if f["path"].startswith("raw/feedback/")),
        "parse_file_rows": next(f["rows"] for f in manifest["files"] if parse_name in f["path"]),
        "generate_s": round(time.perf_counter() - t0, 1),
    }
    stamp_path.write_text(json.dumps(stamp, indent=2) + "\n", encoding="utf-8")
    log(
        f"  {scale}: {stamp['dossier_rows']:,} dossier rows, {stamp['survey_rows']:,} survey answers "
        f"in {stamp['generate_s']} s"
    )
    return stamp
