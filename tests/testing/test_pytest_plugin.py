"""The pytest plugin inside a project's own pytest run (a real pytest subprocess)."""

from __future__ import annotations

import os
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from tests.notebooks import make_notebook

pytestmark = pytest.mark.slow
ROOT = Path(__file__).resolve().parents[2]


def test_notebook_tests_join_the_projects_suite(project: Path) -> None:
    (project / "tests").mkdir()
    (project / "tests" / "test_lib.py").write_text("def test_library():\n    assert 1 + 1 == 2\n")
    nbs = project / "notebooks"
    nbs.mkdir()
    make_notebook([
        ("n = 10", ["parameters"]),
        "def clip(x):\n    return min(x, n)\n",
        ("import pytest\n@pytest.mark.parametrize('x,want', [(1, 1), (50, 10)])\n"
         "def test_clip(x, want):\n    assert clip(x) == want\n\n"
         "def test_broken():\n    assert clip(3) == 4\n", ["mlops-test"]),
        "%%mlops_test\nimport pytest\n@pytest.mark.skip(reason='slow')\ndef test_later():\n    pass\n",
    ], nbs / "features.ipynb")
    make_notebook(["x = 1"], nbs / "no_tests.ipynb")  # not collected: it has no test cells
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    # the plugin loads through its pytest11 entry point, as in a user's project: no -p needed
    from importlib.metadata import entry_points

    assert [e.value for e in entry_points(group="pytest11") if e.name == "mlops_notebooks"] == \
        ["mlops_jupyter.testing.plugin"]
    out = subprocess.run(
        [sys.executable, "-m", "pytest", "tests",
         "--mlops-notebooks", "notebooks", "--mlops-param", "n=10", "-rA", "-p", "no:cacheprovider",
         "--junitxml", "junit.xml", "-o", "junit_family=xunit2"],
        cwd=project, capture_output=True, text=True, env=env, timeout=300)
    assert out.returncode == 1, out.stdout + out.stderr
    text = out.stdout
    assert "PASSED tests/test_lib.py::test_library" in text
    assert "PASSED notebooks/features.ipynb::cell-3::test_clip[1-1]" in text
    assert "PASSED notebooks/features.ipynb::cell-3::test_clip[50-10]" in text
    assert "FAILED notebooks/features.ipynb::cell-3::test_broken" in text
    assert "SKIPPED" in text and "slow" in text
    assert "features.ipynb cell-3, line 7" in text and "assert 3 == 4" in text
    assert "no_tests" not in text
    cases = ET.parse(project / "junit.xml").getroot().iter("testcase")
    assert len(list(cases)) == 5
    # -k selects notebook items like any other
    k = subprocess.run(
        [sys.executable, "-m", "pytest", "--mlops-notebooks",
         "notebooks", "-k", "clip", "-q", "-p", "no:cacheprovider"],
        cwd=project, capture_output=True, text=True, env=env, timeout=300)
    assert k.returncode == 0, k.stdout + k.stderr
    assert "2 passed" in k.stdout
