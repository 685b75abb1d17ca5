"""The 10m department scale: the 1m data folder with every dossier export ten times over.

Issue 19's 10M target covers the whole quarterly build from the parse cache, the dossier reader
included (its merge, de-duplication and due dates run in pandas). Generating ten million
dossiers with the operational generator would take about half an hour; this scale copies the
1m folder (generated first by bench/gen.py) and writes each quarterly CSV export with its
dossier rows repeated ten times, each copy's dossier numbers prefixed ``R0-`` … ``R9-`` so that
every dossier is distinct (10,746,210 rows in four files, 4.8 GB). Offices, procedures,
dates, statuses and the rows' order within a copy are the 1m data's: the per-dossier work
scales, the number of offices does not (bench/province.py covers 320 offices, after the reader).
Survey, feedback and every other input are the 1m folder's.
"""

from __future__ import annotations

import hashlib
import json
import re
import shutil
import time
from pathlib import Path

import gen

SCALES = {"10m": ("1m", 10)}
_ROW = re.compile(r"^(\d+),([^,\"]*),")  # STT, dossier number (never quoted; blank in a planted bad row)


def _fingerprint(source_stamp: dict, copies: int) -> str:
    h = hashlib.sha256(Path(__file__).read_bytes())
    h.update(json.dumps({"source": source_stamp.get("fingerprint"), "copies": copies}).encode())
    return h.hexdigest()[:16]


def prepare(scale: str, work: Path, *, log=print) -> dict:
    """Derive (or reuse) ``work/scale`` from its source scale; returns the stamp."""
    source, copies = SCALES[scale]
    src_stamp = gen.prepare(source, work, log=log)
    root = work / scale
    stamp_path = root / "gen.json"
    fp = _fingerprint(src_stamp, copies)
    if (stamp := gen.reusable_stamp(root, fp)) is not None:
        return stamp
    t0 = time.perf_counter()
    log(f"  deriving {scale}: the {source} folder, every dossier export {copies} times over …")
    src_raw = work / source / "data" / "raw"
    raw = root / "data" / "raw"
    raw.mkdir(parents=True)
    for part in src_raw.iterdir():
        if part.name != "dossiers":
            shutil.copytree(part, raw / part.name)
    (raw / "dossiers").mkdir()
    rows = 0
    for export in sorted((src_raw / "dossiers").glob("*.csv")):
        rows += _replicate(export, raw / "dossiers" / export.name, copies)
    stamp = {
        "scale": scale,
        "derived_from": source,
        "copies": copies,
        "fingerprint": fp,
        "dossier_format": "csv",
        "dossier_rows": rows,
        "survey_rows": src_stamp.get("survey_rows"),
        "feedback_rows": src_stamp.get("feedback_rows"),
        "generate_s": round(time.perf_counter() - t0, 1),
    }
    stamp_path.write_text(json.dumps(stamp, indent=2) + "\n", encoding="utf-8")
    log(f"  {scale}: {rows:,} dossier rows in {stamp['generate_s']} s")
    return stamp


def _replicate(source: Path, target: Path, copies: int) -> int:
    """``source`` with its dossier rows written ``copies`` times (numbered on, numbers prefixed);
    the title rows and the header once, before them. Returns the dossier rows written."""
    lines = source.read_text(encoding="utf-8").splitlines(keepends=True)
    first = next(i for i, line in enumerate(lines) if _ROW.match(line))
    head, body = lines[:first], lines[first:]
    if not all(_ROW.match(line) for line in body):
        raise ValueError(f"{source}: a line after the header is not a dossier row")
    n = 0
    tmp = target.with_name(f".{target.name}.part")
    with open(tmp, "w", encoding="utf-8", newline="") as out:
        out.writelines(head)
        for k in range(copies):
            for line in body:
                n += 1
                out.write(_ROW.sub(lambda m, k=k, n=n: f"{n},{_number(m.group(2), k)},", line, count=1))
    tmp.replace(target)
    return n


def _number(number: str, copy: int) -> str:
    """The copy's dossier number; a blank one stays blank (the reader rejects that row in every
    copy, as in the source)."""
    return f"R{copy}-{number}" if number else ""
