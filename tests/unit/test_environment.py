"""The lock file and environment.yml carry the same pins; the layout the user asked for exists."""

import re

from parlib.core.paths import PROJECT_ROOT


def _lock_pins():
    lines = (PROJECT_ROOT / "requirements.lock").read_text(encoding="utf-8").splitlines()
    return sorted(l.strip() for l in lines if l.strip() and not l.startswith("#"))


def test_lock_pins_everything_exactly():
    pins = _lock_pins()
    assert len(pins) > 50
    bad = [p for p in pins if not re.fullmatch(r"[A-Za-z0-9_.\-\[\]]+==[A-Za-z0-9_.+!-]+", p)]
    assert bad == []
    names = {p.split("==")[0].lower() for p in pins}
    for required in ["pandas", "seaborn", "statsmodels", "papermill", "jupyterlab", "nbconvert", "openpyxl"]:
        assert required in names


def test_environment_yml_wraps_the_same_pins():
    text = (PROJECT_ROOT / "environment.yml").read_text(encoding="utf-8")
    yml_pins = sorted(m.group(1) for m in re.finditer(r"^\s+- ([^\s#]+==[^\s#]+)\s*$", text, re.M))
    assert yml_pins == _lock_pins()
    assert re.search(r"^\s+- python=3\.\d+", text, re.M)
    assert "- -e ." in text


def test_project_layout():
    for d in ["notebooks", "parlib", "data/raw", "data/processed", "reports", "tests"]:
        assert (PROJECT_ROOT / d).is_dir(), d
    for f in ["environment.yml", "README.md", "Makefile", ".ci/run", "requirements.lock"]:
        assert (PROJECT_ROOT / f).is_file(), f
    ci = (PROJECT_ROOT / ".ci/run").read_text()
    assert "make test" in ci and "MPLBACKEND=" not in ci


def _names(lines):
    out = set()
    for line in lines:
        line = line.split("#", 1)[0].strip()
        if line and not line.startswith("-"):
            out.add(re.split(r"[<>=!~\[ ]", line, maxsplit=1)[0].lower().replace("_", "-"))
    return out


def test_pyproject_declares_the_runtime_dependencies_and_the_lock_pins_them():
    import tomllib

    meta = tomllib.loads((PROJECT_ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    runtime = _names(meta["dependencies"])
    extras = set().union(*(_names(v) for v in meta["optional-dependencies"].values()))
    top = _names((PROJECT_ROOT / "requirements.in").read_text(encoding="utf-8").splitlines())
    locked = {p.split("==")[0].lower().replace("_", "-") for p in _lock_pins()}
    assert {"pandas", "seaborn", "statsmodels", "papermill"} <= runtime
    assert runtime | extras <= top, (runtime | extras) - top  # one list: requirements.in covers pyproject
    assert top <= locked, top - locked  # every top-level name is pinned in the lock
    assert meta["scripts"]["parlib"] == "parlib.cli.main:run"  # main(), then the process ends at once


def test_notebooks_are_what_the_generator_writes(tmp_path):
    """tools/make_notebooks.py is the one source of the notebooks: regenerating changes nothing."""
    import importlib.util

    import nbformat

    spec = importlib.util.spec_from_file_location(
        "make_notebooks", PROJECT_ROOT / "tools" / "make_notebooks.py"
    )
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    for name, (cells, title) in mod.NOTEBOOKS.items():
        want = nbformat.writes(mod.build(cells, title))
        have = (PROJECT_ROOT / "notebooks" / name).read_text(encoding="utf-8")
        assert nbformat.writes(nbformat.reads(have, as_version=4)) == want, f"{name}: run `make notebooks`"


def test_notebooks_call_only_pipelines_and_report():
    import nbformat

    for nb in (PROJECT_ROOT / "notebooks").glob("*.ipynb"):
        for cell in nbformat.read(str(nb), as_version=4).cells:
            for mod in re.findall(r"from (parlib[\w.]*) import|import (parlib[\w.]*)", cell.source):
                name = next(m for m in mod if m)
                assert name.startswith(("parlib.pipelines", "parlib.report")), (nb.name, name)
