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
