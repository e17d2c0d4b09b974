"""pytest plugin: notebooks' test cells as items of a project's own pytest run.

``pytest --mlops-notebooks notebooks/`` executes each notebook under the given paths that
has test cells (tagged ``mlops-test`` or starting with ``%%mlops_test``) in a fresh kernel
while collecting it, then yields one item per test function (one per parametrized case),
so ``-k``, ``--junitxml`` and reporting work as for any test. Registered through the
``pytest11`` entry point; without the option it does nothing.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from .notebook import is_test_cell
from .report import TestCase


def pytest_addoption(parser: Any) -> None:
    group = parser.getgroup("mlops-notebooks", "notebook tests (mlops_jupyter)")
    group.addoption("--mlops-notebooks", dest="mlops_notebooks", action="append", default=[],
                    metavar="PATH", help="collect the test cells of the notebooks in PATH (repeatable)")
    group.addoption("--mlops-param", dest="mlops_params", action="append", default=[],
                    metavar="NAME=VALUE", help="papermill parameter for the notebooks (repeatable)")
    group.addoption("--mlops-timeout", dest="mlops_timeout", type=float, default=None,
                    metavar="S", help="limit per notebook test and per ordinary cell, in seconds")


def pytest_configure(config: Any) -> None:
    paths = config.getoption("mlops_notebooks")
    if paths:
        # collect the notebook folders too, even when other paths (or testpaths) were given
        config.args.extend(str(Path(p)) for p in paths if str(Path(p)) not in config.args)


def _selected(config: Any, path: Path) -> bool:
    roots = [Path(p).resolve() for p in config.getoption("mlops_notebooks")]
    here = path.resolve()
    return any(here == r or r in here.parents for r in roots)


def _has_tests(path: Path) -> bool:
    try:
        nb = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return True  # let the collector report the broken notebook
    from .outputs import is_output_check

    return any(is_test_cell(c) or is_output_check(c) for c in nb.get("cells", []) if isinstance(c, dict))


def pytest_collect_file(file_path: Path, parent: Any) -> Any:
    if file_path.suffix != ".ipynb" or not parent.config.getoption("mlops_notebooks"):
        return None
    if ".ipynb_checkpoints" in file_path.parts or not _selected(parent.config, file_path):
        return None
    if not _has_tests(file_path):
        return None
    return NotebookFile.from_parent(parent, path=file_path)


class NotebookFile(pytest.File):
    """A notebook: executed once at collection; its recorded test results become items."""

    def collect(self) -> Any:
        from .._util import parse_pairs
        from ..errors import MlopsError
        from .notebook import test_notebook

        config = self.config
        try:
            params = parse_pairs(config.getoption("mlops_params"), "parameter")
            report = test_notebook(self.path, params, timeout=config.getoption("mlops_timeout"))
        except MlopsError as exc:
            yield NotebookItem.from_parent(self, name="notebook", error=" ".join(exc.lines()))
            return
        for case in report.cases:
            yield NotebookItem.from_parent(self, name=f"{case.cell}::{case.name}", case=case)
        for text in report.errors_outside_tests:
            yield NotebookItem.from_parent(self, name="notebook", error=text)


class NotebookTestFailed(Exception):
    """A notebook test that failed (or a notebook that could not run)."""


class NotebookItem(pytest.Item):
    """One test function of a notebook, replaying the outcome recorded in the kernel."""

    def __init__(self, *, case: TestCase | None = None, error: str | None = None, **kw: Any) -> None:
        super().__init__(**kw)
        self.case = case
        self.error = error

    def runtest(self) -> None:
        if self.error is not None:
            raise NotebookTestFailed(self.error)
        case = self.case
        assert case is not None
        if case.stdout:
            print(case.stdout, end="")
        if case.outcome == "skipped":
            pytest.skip(case.message or "skipped in the notebook")
        if case.outcome in ("failed", "error"):
            where = f"{self.path.name} {case.cell}, line {case.line}" if case.line else f"{self.path.name} {case.cell}"
            raise NotebookTestFailed(f"{where}\n{case.longrepr or case.diff or case.message}")

    def repr_failure(self, excinfo: Any, style: Any = None) -> Any:
        if isinstance(excinfo.value, NotebookTestFailed):
            return str(excinfo.value)
        return super().repr_failure(excinfo)

    def reportinfo(self) -> tuple[Any, int | None, str]:
        line = self.case.line - 1 if self.case is not None and self.case.line else None
        return self.path, line, self.name
