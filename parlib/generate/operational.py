"""Generate the operational sample data (dossiers, PAKN, survey, 766, task status) from a scenario.

``generate(scenario_path, data_dir)`` writes, under ``data_dir/raw/``, the files of
``docs/data-contracts.md``: ``dossiers/ho_so_<year>_Q<q>.xlsx``, ``feedback/pakn_<year>.xlsx``,
``survey/khao_sat_<year>_Q<q>.xlsx``, ``index766/chi_so_766_<year>.xlsx`` and
``tasks/tien_do_<year>_Q<q>.xlsx``. Catalogues the analysis also needs (procedures, offices,
holidays, survey items, plan tasks) are copied into ``data_dir/raw/`` only when absent there,
so a scenario generated into an empty folder gives a complete data set; existing files are
never overwritten. Same scenario and seed give byte-identical files. Everything is synthetic.

Command line::

    python -m parlib.generate.operational --scenario scenarios/default.toml --data data
"""

from __future__ import annotations

import argparse
import shutil
import sys
import time
from pathlib import Path

from parlib.core.errors import ParlibError
from parlib.core.io import atomic_path
from parlib.generate.dossier_export import build_exports, write_exports
from parlib.generate.dossiers import simulate_dossiers
from parlib.generate.feedback import simulate_feedback, write_feedback
from parlib.generate.index766 import simulate_index766, write_index766
from parlib.generate.scenario import PROCEDURE_COLUMNS, Scenario, load_scenario
from parlib.generate.survey import simulate_survey, write_survey
from parlib.generate.tasks import simulate_tasks, write_tasks


def _copy_catalogues(sc: Scenario, data_dir: Path) -> list[str]:
    """Copy the scenario's catalogues into ``data_dir/raw`` when absent; returns what was written."""
    raw = data_dir / "raw"
    targets = {
        "procedures": raw / "config" / "procedures.csv",
        "offices": raw / "config" / "offices.csv",
        "holidays": raw / "config" / "holidays.csv",
        "survey_items": raw / "config" / "survey_items.csv",
    }
    if sc.sources.get("tasks") is not None:
        targets["tasks"] = raw / "tasks" / sc.sources["tasks"].name
    written = []
    for key, target in targets.items():
        if target.exists():
            continue
        target.parent.mkdir(parents=True, exist_ok=True)
        src = sc.sources.get(key)
        if src is not None:
            shutil.copyfile(src, target)
        elif key == "procedures":
            frame = sc.procedures.loc[:, list(PROCEDURE_COLUMNS)].copy()
            for col in ("after_15h", "has_paper_result"):
                frame[col] = frame[col].map({True: "true", False: "false"})
            frame["deadline_value"] = frame["deadline_value"].map(lambda v: f"{v:g}")
            frame["fee_vnd"] = frame["fee_vnd"].astype(int)
            with atomic_path(target) as tmp:
                frame.to_csv(tmp, index=False, lineterminator="\n")
        elif key == "offices":
            with atomic_path(target) as tmp:
                sc.offices.to_csv(tmp, index=False, lineterminator="\n")
        else:
            continue
        written.append(str(target.relative_to(data_dir)))
    return written


def generate(scenario_path, data_dir, *, quiet: bool = False) -> dict:
    """Generate every operational raw file of the scenario into ``data_dir``.

    Returns a manifest: ``scenario, seed, files`` (list of ``{path, rows, ...}``, paths
    relative to ``data_dir``), ``catalogues_copied``, ``dossiers`` (count),
    ``seconds``. Raises ConfigError for an invalid scenario (see
    :func:`parlib.generate.scenario.load_scenario`).
    """
    start = time.perf_counter()
    data_dir = Path(data_dir).resolve()
    sc = load_scenario(scenario_path)
    truth, _util = simulate_dossiers(sc)
    files: list[dict] = []
    files += write_exports(sc, build_exports(sc, truth), data_dir)
    files += write_feedback(sc, simulate_feedback(sc, truth), data_dir)
    files += write_survey(sc, simulate_survey(sc, truth), data_dir)
    files += write_index766(sc, simulate_index766(sc, truth), data_dir)
    files += write_tasks(sc, simulate_tasks(sc), data_dir)
    copied = _copy_catalogues(sc, data_dir)
    for f in files:
        f["path"] = Path(f["path"]).relative_to(data_dir).as_posix()
    manifest = {
        "scenario": sc.name,
        "scenario_file": str(sc.path),
        "seed": sc.seed,
        "dossiers": int(len(truth)),
        "files": files,
        "catalogues_copied": copied,
        "seconds": round(time.perf_counter() - start, 1),
    }
    if not quiet:
        print(
            f"Kịch bản «{sc.name}» (seed {sc.seed}): {len(truth)} hồ sơ, "
            f"{len(files)} tệp trong {data_dir} ({manifest['seconds']} giây)."
        )
        for f in files:
            print(f"  {f['path']}: {f['rows']} dòng")
        for c in copied:
            print(f"  {c}: sao chép danh mục")
    return manifest


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m parlib.generate.operational",
        description="Sinh dữ liệu vận hành mô phỏng (hồ sơ, PAKN, khảo sát, 766, tiến độ) từ kịch bản.",
    )
    parser.add_argument("--scenario", required=True, help="tệp kịch bản TOML")
    parser.add_argument("--data", required=True, help="thư mục dữ liệu (ghi vào <data>/raw/)")
    parser.add_argument("--quiet", action="store_true", help="không in tóm tắt")
    args = parser.parse_args(argv)
    try:
        generate(args.scenario, args.data, quiet=args.quiet)
    except ParlibError as err:
        print(str(err), file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
