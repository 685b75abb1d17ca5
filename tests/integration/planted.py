"""Fresh scenarios with one planted effect each (issue 14): the bundled scenario with its own
plants removed, a new seed and the plant given, generated into a scratch copy of the sample's
catalogues, then analysed by the quarterly pipeline and the root causes.

The analysis never sees the plant: only the generated raw files.
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path

from parlib.core.paths import PROJECT_ROOT

DEFAULT = PROJECT_ROOT / "scenarios" / "default.toml"
OPERATIONAL = ("dossiers", "survey", "feedback", "index766")
PLANT_ARRAYS = ("dossiers.mix.shifts", "dossiers.surges", "dossiers.apology.overrides", "survey.shifts")


def scenario_text(seed: int, plant: str, *, staff: dict | None = None, weights: dict | None = None) -> str:
    """default.toml without its plants and effect signatures, with ``seed`` and the ``plant``
    (TOML text: arrays of tables) appended; ``staff`` / ``weights`` override entries of
    [dossiers.capacity.staff] / [dossiers.mix.weights]."""
    text = DEFAULT.read_text(encoding="utf-8")
    text = text[
        : text.index("# ---------------------------------------------------------------- planted effects")
    ]
    for name in PLANT_ARRAYS:  # each planted array of tables runs to the next blank line
        text = re.sub(r"\[\[" + re.escape(name) + r"\]\]\n(?:[^\n]+\n)*", "", text)
    text = re.sub(r"(?m)^seed = \d+", f"seed = {seed}", text)
    for key, value in (staff or {}).items():
        text = re.sub(rf"(?m)^{key} = [\d.]+", f"{key} = {value}", text)
    for code, value in (weights or {}).items():
        pat = rf'(?m)^"{re.escape(code)}" = [\d.]+'
        if re.search(pat, text):
            text = re.sub(pat, f'"{code}" = {value}', text)
        else:
            text = text.replace("[dossiers.mix.weights]", f'[dossiers.mix.weights]\n"{code}" = {value}', 1)
    return text + "\n" + plant + "\n"


def make_data(tmp: Path, seed: int, plant: str, **kw) -> Path:
    """A data folder with the sample's catalogues and operational files generated from the
    scenario; returns the data folder."""
    from parlib.generate.operational import generate

    data = tmp / "data"
    shutil.copytree(
        PROJECT_ROOT / "data" / "raw",
        data / "raw",
        ignore=lambda d, names: [n for n in names if Path(d).name in OPERATIONAL or n.startswith("tien_do_")],
    )
    sc = tmp / "scenarios" / "planted.toml"
    sc.parent.mkdir(parents=True)
    sc.write_text(scenario_text(seed, plant, **kw), encoding="utf-8")
    generate(sc, data, quiet=True)
    return data


def analyse(data: Path):
    from parlib.pipelines import Paths, quarterly, rootcause

    paths = Paths.from_args(str(data))
    res = quarterly.build(2026, 3, paths, write=False)
    return res, rootcause.build(quarterly=res, paths=paths)
