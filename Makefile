# parlib — every command a user or CI needs. `make help` lists them.
# The two commands of the README: `make report` (builds the default reports on the bundled
# sample data, creating the environment if needed) and `make test`.

PYTHON ?= python3
VENV   ?= .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.parlib-installed

.PHONY: help env report test test-fast lab sample bench lock clean-reports

help:  ## list the commands
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | sed -E 's/:.*## /\t/' | column -t -s "$$(printf '\t')"

$(STAMP): requirements.lock pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements.lock
	$(PY) -m pip install --quiet --disable-pip-version-check --no-deps --no-build-isolation -e .
	touch $(STAMP)

env: $(STAMP)  ## create the virtual environment from the lock file (once)

report: env  ## build the default reports (annual + latest quarter) on the bundled sample data
	$(PY) -m parlib.cli all

test: env  ## run the whole test suite (what CI runs)
	$(PY) -m pytest

test-fast: env  ## unit tests only (skips end-to-end notebook and browser tests)
	$(PY) -m pytest -m "not slow"

lab: env  ## open JupyterLab on the notebooks
	$(VENV)/bin/jupyter lab --allow-root --notebook-dir=notebooks

sample: env  ## regenerate the bundled synthetic sample data (byte-for-byte reproducible)
	$(PY) -m parlib.cli generate

bench: env  ## run the performance benchmark and record its results in bench/
	$(PY) bench/run.py

lock: env  ## regenerate requirements.lock and environment.yml from the current environment
	$(PY) -m parlib.envlock

clean-reports:  ## delete generated reports and processed tables (they are rebuilt by `make report`)
	rm -rf reports/*/ reports/.failed data/processed/*.parquet data/processed/*.json
