# The README's commands. Each target sets up what it needs on a fresh machine.
SHELL := /bin/bash
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
PYTEST_ARGS ?=

.PHONY: help install system-deps system-deps-demo demo test lint unit lab bench clean

help:
	@echo "make demo   - set up, then run the demo notebooks headless and export/re-run the job"
	@echo "make test   - set up, then ruff + mypy + the whole test suite (browser tests included)"
	@echo "make lab    - JupyterLab with the extension on the demo notebooks"
	@echo "make bench  - speed and memory benchmarks (ratios printed)"

$(STAMP): pyproject.toml
	test -x $(PY) || python3 -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -e '.[test]'
	PATH=$(abspath $(VENV))/bin:$$PATH $(VENV)/bin/jupyter-builder develop --overwrite . >/dev/null
	$(PY) -m ipykernel install --sys-prefix --name python3 --display-name "Python 3 (mlops_jupyter)" >/dev/null
	$(VENV)/bin/jupyter server extension enable --sys-prefix mlops_jupyter >/dev/null 2>&1 || true
	touch $(STAMP)

# a venv whose editable install went missing is repaired, not trusted because of its stamp
install: $(STAMP)
	@$(PY) -c "import mlops_jupyter" 2>/dev/null || { rm -f $(STAMP); $(MAKE) --no-print-directory $(STAMP); }

# everything the tests need (git, node, Chromium, PostgreSQL)
system-deps:
	bash .ci/system-deps.sh test

# only what the demo needs (git, node for the side panel): no browser, no database server
system-deps-demo:
	bash .ci/system-deps.sh demo

lint: install
	$(VENV)/bin/ruff check mlops_jupyter tests benchmarks
	$(VENV)/bin/mypy

test: system-deps install lint
	$(PY) -m pytest $(PYTEST_ARGS)

unit: install
	$(PY) -m pytest tests/unit tests/magics -q $(PYTEST_ARGS)

demo: system-deps-demo install
	$(PY) demo_notebooks/run_demo.py

# rebuild the side panel after editing labextension/src (install builds it once)
.PHONY: labextension
labextension: install
	cd labextension && PATH=$(abspath $(VENV))/bin:$$PATH jlpm install && PATH=$(abspath $(VENV))/bin:$$PATH jlpm build

lab: system-deps-demo install
	$(PY) demo_notebooks/run_demo.py --prepare-only --keep
	cd demo_notebooks/_run && ../../$(VENV)/bin/jupyter lab --no-browser $(if $(filter 0,$(shell id -u)),--allow-root,)

bench: install
	$(PY) benchmarks/run_all.py

clean:
	rm -rf $(VENV) demo_notebooks/_run .pytest_cache .mypy_cache .ruff_cache
