# parlib — every command a user or CI needs. `make help` lists them.
# The two commands of the README: `make report` (builds the default reports on the bundled
# sample data, creating the environment if needed) and `make test`.

PYTHON ?= python3
VENV   ?= .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.parlib-installed

.PHONY: help env report lint test test-fast lab sample bench lock clean-reports notebooks

help:  ## list the commands
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | sed -E 's/:.*## /\t/' | column -t -s "$$(printf '\t')"

$(STAMP): requirements.lock pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info[:2] >= (3, 11) else 1)' || \
	  { echo "parlib cần Python 3.11 trở lên; máy này có $$($(PYTHON) --version 2>&1). Cài Python 3.11 hoặc chạy: make PYTHON=python3.11 ..." >&2; exit 1; }
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements.lock
	$(PY) -m pip install --quiet --disable-pip-version-check --no-deps --no-build-isolation -e .
	touch $(STAMP)

env: $(STAMP)  ## create the virtual environment from the lock file (once)

report: env  ## build the default reports (annual + latest quarter) on the bundled sample data
	$(PY) -m parlib.cli all

lint: env  ## ruff (lint + format check) and the layer contracts (import-linter)
	$(VENV)/bin/ruff check parlib tests bench tools
	$(VENV)/bin/ruff format --check parlib tests bench tools
	$(VENV)/bin/lint-imports

test: lint  ## lint, then the whole test suite (what CI runs)
	$(PY) -m pytest -n auto --dist loadfile

test-fast: lint  ## lint and the unit tests (no end-to-end, robustness or round-trip suites)
	$(PY) -m pytest -n auto --dist loadfile -m "not slow"

lab: env  ## open JupyterLab on the notebooks
	$(VENV)/bin/jupyter lab --allow-root --notebook-dir=notebooks

sample: env  ## regenerate the bundled synthetic sample data (byte-for-byte reproducible)
	$(PY) -m parlib.cli generate

notebooks: env  ## regenerate notebooks/*.ipynb from tools/make_notebooks.py (a test keeps them in step)
	$(PY) tools/make_notebooks.py

bench: env  ## run the performance benchmark and record its results in bench/
	$(PY) bench/run.py

lock: env  ## compile requirements.lock from requirements.in (pip-tools) and environment.yml from it
	$(PY) -m pip install --quiet --disable-pip-version-check pip-tools
	$(PY) tools/lock.py

clean-reports:  ## delete generated reports and processed tables (they are rebuilt by `make report`)
	rm -rf reports/*/ reports/.failed data/processed/*.parquet data/processed/*.json
