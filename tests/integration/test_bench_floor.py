"""The benchmark's floor (bench/floor.ipynb: the quarterly notebook's setup and imports, no
analysis) imports nothing the quarterly notebook does not load: a module the report no longer
uses would make the floor slower and the "× the floor" ratios flatter than they are."""

from __future__ import annotations

import json
import subprocess
import sys

from parlib.core.paths import NOTEBOOKS_DIR, PROJECT_ROOT

_LOADED = "\nimport sys\nprint(sorted({m.split('.')[0] for m in sys.modules}))\n"


def _code(notebook, *, output_dir: str = "") -> str:
    """The notebook's code cells as one script (magics dropped, the parameters as papermill
    would set them)."""
    cells = json.loads(notebook.read_text(encoding="utf-8"))["cells"]
    lines = []
    for cell in cells:
        if cell["cell_type"] != "code":
            continue
        src = "".join(cell["source"])
        if "parameters" in cell.get("metadata", {}).get("tags", []):
            src += f"\noutput_dir = {output_dir!r}\nreport_date = '2026-12-04'\n"
        lines += [line for line in src.splitlines() if not line.startswith("%")]
    return "import matplotlib\nmatplotlib.use('agg')\n" + "\n".join(lines)


def _top_modules(code: str) -> set[str]:
    out = subprocess.run(
        [sys.executable, "-c", code + _LOADED], capture_output=True, text=True, check=True, cwd=PROJECT_ROOT
    )
    return set(eval(out.stdout.strip().splitlines()[-1]))  # noqa: S307 (our own printed list)


def test_the_floor_imports_only_what_the_quarterly_notebook_loads(tmp_path):
    floor = _top_modules(_code(PROJECT_ROOT / "bench" / "floor.ipynb"))
    report = _top_modules(_code(NOTEBOOKS_DIR / "quarterly.ipynb", output_dir=str(tmp_path)))
    assert (tmp_path / "summary.json").exists()  # the notebook ran to its last cell
    assert floor - report == set(), f"the floor imports what the report does not: {sorted(floor - report)}"
    assert {"duckdb", "matplotlib", "statsmodels", "parlib"} <= floor
