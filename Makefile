# The README's commands. Each target sets up what it needs on a fresh machine.
SHELL := /bin/bash
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-test
DEMO_STAMP := $(VENV)/.installed-demo
PYTEST_ARGS ?=

.PHONY: help install install-demo system-deps system-deps-demo demo test lint unit lab bench clean

help:
	@echo "make demo   - set up, then run the demo notebooks headless and export/re-run the job"
	@echo "make test   - set up, then ruff + mypy + the whole test suite (browser tests included)"
	@echo "make lab    - JupyterLab with the extension on the demo notebooks"
	@echo "make bench  - speed and memory benchmarks (ratios printed)"

# one venv; make test installs the package with its test extras, make demo only with what
# the demos import (scikit-learn, pytest + hypothesis for %%mlops_test): no browser driver,
# linters or type checkers for a newcomer who only wants the demo
$(VENV)/.installed-%: pyproject.toml
	test -x $(PY) || python3 -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -e '.[$*]'
	PATH=$(abspath $(VENV))/bin:$$PATH $(VENV)/bin/jupyter-builder develop --overwrite . >/dev/null
	$(PY) -m ipykernel install --sys-prefix --name python3 --display-name "Python 3 (mlops_jupyter)" >/dev/null
	$(VENV)/bin/jupyter server extension enable --sys-prefix mlops_jupyter >/dev/null 2>&1 || true
	touch $@

# a venv whose editable install went missing is repaired, not trusted because of its stamp
install: $(STAMP)
	@$(PY) -c "import mlops_jupyter" 2>/dev/null || { rm -f $(STAMP); $(MAKE) --no-print-directory $(STAMP); }

# the demo's set-up; a venv already set up for the tests (a superset) is used as it is
install-demo:
	@if [ -f $(STAMP) ] && [ $(STAMP) -nt pyproject.toml ]; then :; else $(MAKE) --no-print-directory $(DEMO_STAMP); fi
	@$(PY) -c "import mlops_jupyter" 2>/dev/null || { rm -f $(DEMO_STAMP); $(MAKE) --no-print-directory $(DEMO_STAMP); }

# everything the tests need (git, node, Chromium, PostgreSQL)
system-deps:
	bash .ci/system-deps.sh test

# only what the demo needs (git, node for the side panel): no browser, no database server
system-deps-demo:
	bash .ci/system-deps.sh demo

lint: install
	$(VENV)/bin/ruff check mlops_jupyter tests benchmarks
	$(VENV)/bin/mypy

# lint-imports (0.2 s) checks the layering contracts in .importlinter before the tests run
test: system-deps install lint
	$(VENV)/bin/lint-imports
	$(PY) -m pytest $(PYTEST_ARGS)

unit: install
	$(PY) -m pytest tests/unit tests/magics -q $(PYTEST_ARGS)

demo: system-deps-demo install-demo
	$(PY) demo_notebooks/run_demo.py

# rebuild the side panel after editing labextension/src (install builds it once)
.PHONY: labextension
labextension: install
	cd labextension && PATH=$(abspath $(VENV))/bin:$$PATH jlpm install && PATH=$(abspath $(VENV))/bin:$$PATH jlpm build

lab: system-deps-demo install-demo
	$(PY) demo_notebooks/run_demo.py --prepare-only --keep
	cd demo_notebooks/_run && ../../$(VENV)/bin/jupyter lab --no-browser $(if $(filter 0,$(shell id -u)),--allow-root,)

bench: install
	$(PY) benchmarks/run_all.py

clean:
	rm -rf $(VENV) demo_notebooks/_run .pytest_cache .mypy_cache .ruff_cache
