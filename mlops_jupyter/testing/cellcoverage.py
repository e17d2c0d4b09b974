"""Coverage per cell: which lines of the notebook's code cells its tests executed.

coverage.py measures while the tests run, restricted to the files the kernel compiled
cells under (ipykernel names each cell ``…/ipykernel_PID/HASH.py`` and keeps its source in
``linecache``). Statements come from coverage.py's own parser, so the numbers are the ones
coverage.py reports for the same code. Only cells that define functions or classes are
listed: other lines only run when their cell runs, never from a test.
"""

from __future__ import annotations

import ast
import contextlib
import linecache
import re
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field
from typing import Any

from .._views import Viewable
from ..errors import DependencyMissing

_CELL_FILE = re.compile(r"(/ipykernel_\d+/\d+\.py|<ipython-input-\d+-[0-9a-f]+>)$")
_TEST_CELL = re.compile(r"^\s*(get_ipython\(\)\.run_cell_magic\(['\"]mlops_test|%%mlops_test)")


@dataclass
class FunctionCoverage:
    """A function (or method) defined in a cell: covered when a test ran its body."""

    name: str
    cell: str
    line: int
    statements: int
    executed: int

    @property
    def covered(self) -> bool:
        return self.executed > 0


@dataclass
class CellLines:
    """One code cell: its statement lines and those the tests executed."""

    cell: str
    source: str
    statements: list[int]
    executed: list[int]
    functions: list[FunctionCoverage] = field(default_factory=list)

    @property
    def missing(self) -> list[int]:
        return sorted(set(self.statements) - set(self.executed))


@dataclass
class CellCoverage(Viewable):
    """Coverage of the notebook's cells by its tests."""

    cells: list[CellLines] = field(default_factory=list)

    @property
    def statements(self) -> int:
        return sum(len(c.statements) for c in self.cells)

    @property
    def executed(self) -> int:
        return sum(len(c.executed) for c in self.cells)

    @property
    def percent(self) -> float:
        return 100.0 * self.executed / self.statements if self.statements else 100.0

    @property
    def functions(self) -> list[FunctionCoverage]:
        return [f for c in self.cells for f in c.functions]

    @property
    def uncovered_functions(self) -> list[str]:
        return [f.name for f in self.functions if not f.covered]

    def merge(self, other: CellCoverage) -> None:
        """Union of executed lines per cell (a notebook's test cells each measure a part)."""
        mine = {c.source: c for c in self.cells}
        for cell in other.cells:
            if cell.source in mine:
                base = mine[cell.source]
                base.executed = sorted(set(base.executed) | set(cell.executed))
                base.functions = _functions(base.source, base.cell, set(base.executed), set(base.statements))
            else:
                self.cells.append(cell)
                mine[cell.source] = cell

    def to_dict(self) -> dict[str, Any]:
        return {"percent": self.percent, "statements": self.statements, "executed": self.executed,
                "cells": [{**asdict(c), "functions": [{**asdict(f), "covered": f.covered} for f in c.functions]}
                          for c in self.cells]}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> CellCoverage:
        cells = []
        for c in data.get("cells", []):
            funcs = [FunctionCoverage(f["name"], f["cell"], f["line"], f["statements"], f["executed"])
                     for f in c.get("functions", [])]
            cells.append(CellLines(c["cell"], c["source"], list(c["statements"]), list(c["executed"]), funcs))
        return cls(cells)

    def to_frame(self) -> Any:
        """One row per function: cell, line, statements, executed, covered."""
        import pandas as pd

        return pd.DataFrame([{**asdict(f), "covered": f.covered} for f in self.functions],
                            columns=["name", "cell", "line", "statements", "executed", "covered"])


def _functions(source: str, cell: str, executed: set[int], statements: set[int]) -> list[FunctionCoverage]:
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return []
    out: list[FunctionCoverage] = []

    def visit(nodes: list[ast.stmt], prefix: str) -> None:
        for node in nodes:
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                body = set(range(node.body[0].lineno, (node.end_lineno or node.lineno) + 1))
                out.append(FunctionCoverage(prefix + node.name, cell, node.lineno,
                                            len(body & statements), len(body & executed)))
            elif isinstance(node, ast.ClassDef):
                visit(node.body, f"{prefix}{node.name}.")

    visit(tree.body, "")
    return out


def _statements(source: str) -> set[int]:
    from coverage.parser import PythonParser

    parser = PythonParser(text=source)
    parser.parse_source()
    return set(parser.statements)


def cell_files() -> dict[str, str]:
    """Files of the kernel's code cells that define functions or classes -> their source."""
    out = {}
    for filename, entry in list(linecache.cache.items()):
        if len(entry) < 3 or not _CELL_FILE.search(filename):
            continue
        source = "".join(entry[2])
        if _TEST_CELL.match(source) or not re.search(r"^\s*(async\s+def|def|class)\s", source, re.M):
            continue
        out[filename] = source
    return out


def _label(source: str, history: list[str] | None) -> str:
    if history:
        for number in range(len(history) - 1, 0, -1):
            if history[number].strip() == source.strip():
                return f"In [{number}]"
    return "cell"


@contextlib.contextmanager
def measure(history: list[str] | None = None) -> Iterator[list[CellCoverage]]:
    """Measure the kernel's cells while the block runs; yields a list that holds the
    :class:`CellCoverage` after the block (labels from IPython's ``In`` history)."""
    try:
        import coverage
    except ImportError:
        raise DependencyMissing("coverage per cell needs coverage.py, which is not installed",
                                hint="pip install 'mlops_jupyter[notebook-tests]'") from None
    files = cell_files()
    result: list[CellCoverage] = []
    cov = coverage.Coverage(data_file=None, config_file=False, include=list(files) or ["<none>"])
    cov.start()
    try:
        yield result
    finally:
        cov.stop()
    data = cov.get_data()
    cells = []
    for filename, source in files.items():
        statements = _statements(source)
        executed = set(data.lines(filename) or []) & statements
        label = _label(source, history)
        cells.append(CellLines(label, source, sorted(statements), sorted(executed),
                               _functions(source, label, executed, statements)))
    result.append(CellCoverage(cells))
