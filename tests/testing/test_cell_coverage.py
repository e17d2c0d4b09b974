"""Coverage per cell in a real kernel, against coverage.py run by hand on the same code."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import coverage
import pytest

from mlops_jupyter.testing import TestReport
from tests.notebooks import make_notebook

pytestmark = pytest.mark.slow
ROOT = Path(__file__).resolve().parents[2]
CLI = str(Path(sys.executable).with_name("mlops-jupyter"))

FEATURES = '''\
def clip(x, lo=0, hi=10):
    if x < lo:
        return lo
    if x > hi:
        return hi
    return x


def unused(frame):
    out = frame.copy()
    return out


class Scaler:
    def fit(self, xs):
        self.m = max(xs)
        return self

    def transform(self, xs):
        return [x / self.m for x in xs]
'''
TESTS = "def test_clip():\n    assert clip(5) == 5\n    assert clip(50) == 10\n\ndef test_fit():\n    assert Scaler().fit([1, 2]).m == 2\n"


def by_hand(tmp: Path) -> tuple[set[int], set[int]]:
    """coverage.py on the same source and the same calls, outside any kernel."""
    src = tmp / "features.py"
    src.write_text(FEATURES)
    ns: dict[str, object] = {}
    code = compile(FEATURES, str(src), "exec")
    exec(code, ns)  # definitions run before measuring, as the cell ran before the tests
    cov = coverage.Coverage(data_file=None, config_file=False, include=[str(src)])
    cov.start()
    clip, scaler = ns["clip"], ns["Scaler"]
    assert clip(5) == 5 and clip(50) == 10  # type: ignore[operator]
    assert scaler().fit([1, 2]).m == 2  # type: ignore[operator]
    cov.stop()
    _, statements, _, _missing, _ = cov.analysis2(str(src))
    return set(statements), set(cov.get_data().lines(str(src)) or [])


def test_coverage_per_cell_matches_coverage_py(project: Path) -> None:
    make_notebook(["import math", FEATURES, (TESTS, ["mlops-test"])], project / "feat.ipynb")
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    out = subprocess.run([CLI, "test", "feat.ipynb", "--cov", "--json"], cwd=project, env=env,
                         capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stdout + out.stderr
    report = TestReport.from_dict(json.loads(out.stdout))
    cov = report.coverage
    assert cov is not None
    (cell,) = cov.cells  # "import math" defines nothing; the test cell is not measured
    assert cell.cell == "cell-2"
    statements, executed = by_hand(project)
    assert set(cell.statements) == statements
    assert set(cell.executed) == executed
    status = {f.name: f.covered for f in cov.functions}
    assert status == {"clip": True, "unused": False, "Scaler.fit": True, "Scaler.transform": False}
    assert cov.uncovered_functions == ["unused", "Scaler.transform"]
    assert abs(cov.percent - 100 * len(executed) / len(statements)) < 1e-9
    html = report._repr_html_()
    assert "Coverage by tests" in html and "not run" in html and "Scaler.transform" in html
    assert "NOT RUN   unused (cell-2:9)" in str(report)


def test_coverage_over_several_notebooks_keeps_each_notebooks_cells_apart(project: Path) -> None:
    make_notebook(["import math", FEATURES, (TESTS, ["mlops-test"])], project / "feat.ipynb")
    make_notebook(["def half(x):\n    return x / 2\n\ndef never(x):\n    return x\n",
                   ("def test_half():\n    assert half(4) == 2\n", ["mlops-test"])], project / "other.ipynb")
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    out = subprocess.run([CLI, "test", "feat.ipynb", "other.ipynb", "--cov", "--json"], cwd=project, env=env,
                         capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stdout + out.stderr
    cov = TestReport.from_dict(json.loads(out.stdout)).coverage
    assert cov is not None
    assert [c.cell for c in cov.cells] == ["feat.ipynb cell-2", "other.ipynb cell-1"]
    statements, executed = by_hand(project)
    feat, other = cov.cells
    assert (set(feat.statements), set(feat.executed)) == (statements, executed)
    # defs ran before measuring (as in coverage.py by hand above): only half's body counts as run
    assert (len(other.statements), len(other.executed)) == (4, 1)
    assert cov.uncovered_functions == ["unused", "Scaler.transform", "never"]
    assert cov.statements == len(statements) + 4 and cov.executed == len(executed) + 1
    text = subprocess.run([CLI, "test", "feat.ipynb", "other.ipynb", "--cov"], cwd=project, env=env,
                          capture_output=True, text=True, timeout=300).stdout
    assert "NOT RUN   never (other.ipynb cell-1:4)" in text
