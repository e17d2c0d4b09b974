"""`mlops-jupyter test` on real notebooks in fresh kernels: exit codes, JUnit XML, bad input."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest
import xmlschema

from tests.notebooks import make_notebook

pytestmark = pytest.mark.slow
ROOT = Path(__file__).resolve().parents[2]
XSD = Path(__file__).with_name("junit-10.xsd")
CLI = str(Path(sys.executable).with_name("mlops-jupyter"))


def run_cli(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.run([CLI, "test", *args], cwd=cwd, capture_output=True, text=True, env=env, timeout=300)


PREP = "def double(x):\n    return 2 * x\nrows = list(range(sample))\n"


def test_parameters_failures_timeout_and_valid_junit(project: Path) -> None:
    make_notebook([
        ("sample = 1000", ["parameters"]),
        PREP,
        ("def test_double():\n    assert double(2) == 4\n\ndef test_rows():\n    assert len(rows) == 3\n", ["mlops-test"]),
        "%%mlops_test\nimport time\ndef test_hangs():\n    time.sleep(60)\n",
        "%%mlops_test -k nothing_matches\ndef test_x():\n    pass\n",
    ], project / "prep.ipynb")
    make_notebook([("sample = 3", ["parameters"]), PREP,
                   ("def test_wrong():\n    assert double(3) == 5\n", ["mlops-test"])], project / "other.ipynb")
    out = run_cli("prep.ipynb", "other.ipynb", "-p", "sample=3", "--junit", "reports/junit.xml",
                  "--timeout", "2", cwd=project)
    assert out.returncode == 1, out.stderr
    assert "test_hangs timed out after 2 s" in out.stdout
    # the parameter reached the kernel: len(rows) == 3 passes
    assert "test_rows" in out.stdout and "FAILED" in out.stdout
    xml = project / "reports/junit.xml"
    xmlschema.XMLSchema(str(XSD)).validate(str(xml))
    tree = xmlschema.XMLSchema(str(XSD)).to_dict(str(xml))
    suites = {s["@name"]: s for s in tree["testsuite"]}
    assert suites["prep.ipynb"]["@tests"] == 3 and suites["prep.ipynb"]["@failures"] == 1
    assert suites["other.ipynb"]["@failures"] == 1
    (wrong,) = suites["other.ipynb"]["testcase"]
    assert wrong["@classname"] == "other.cell-3" and "line 2" in wrong["failure"][0]["$"]
    assert "assert 6 == 5" in wrong["failure"][0]["@message"]


def test_all_passing_is_exit_0_and_json(project: Path) -> None:
    make_notebook([PREP.replace("sample", "3"),
                   ("def test_double():\n    assert double(2) == 4\n", ["mlops-test"])], project / "ok.ipynb")
    out = run_cli("ok.ipynb", "--json", cwd=project)
    assert out.returncode == 0, out.stdout + out.stderr
    data = json.loads(out.stdout)
    assert data["ok"] and data["counts"]["passed"] == 1


def test_a_named_test_cell_run_again_replaces_its_earlier_results(project: Path) -> None:
    # Given a notebook that shows a bug caught (a named test cell fails), then fixed (the same
    # name passes), as demo 03 does
    tests = "%%mlops_test --name double\ndef test_double():\n    assert double(2) == 4\n"
    make_notebook(["def double(x):\n    return x + 1\n", tests,
                   "def double(x):\n    return 2 * x\n", tests], project / "fixed.ipynb")
    # When its tests run from outside, Then only the last run of that cell counts (as in the kernel)
    out = run_cli("fixed.ipynb", "--json", cwd=project)
    assert out.returncode == 0, out.stdout + out.stderr
    assert json.loads(out.stdout)["counts"]["passed"] == 1 and json.loads(out.stdout)["counts"]["failed"] == 0
    # while a different name is a test of its own and keeps its failure
    make_notebook(["def double(x):\n    return x + 1\n", tests,
                   "def double(x):\n    return 2 * x\n", tests.replace("--name double", "--name later")],
                  project / "two.ipynb")
    out = run_cli("two.ipynb", "--json", cwd=project)
    assert out.returncode == 1 and json.loads(out.stdout)["counts"]["failed"] == 1, out.stdout + out.stderr


def test_bad_input(project: Path) -> None:
    make_notebook(["x = 1"], project / "no_tests.ipynb")
    nb = make_notebook([("def test_a():\n    pass\n", ["mlops-test"])])
    del nb.metadata["kernelspec"]
    nbformat.write(nb, project / "no_kernel.ipynb")
    nb.metadata["kernelspec"] = {"name": "no-such-kernel", "display_name": "x", "language": "python"}
    nbformat.write(nb, project / "bad_kernel.ipynb")
    (project / "broken.ipynb").write_text("{not json")
    for name, message in [("no_tests.ipynb", "has no test cells"), ("no_kernel.ipynb", "has no kernel spec"),
                          ("bad_kernel.ipynb", "kernel 'no-such-kernel'"), ("missing.ipynb", "notebook not found"),
                          ("broken.ipynb", "cannot read notebook")]:
        out = run_cli(name, cwd=project)
        assert out.returncode == 2, (name, out.stderr)
        assert message in out.stderr and "Traceback" not in out.stderr, out.stderr
    out = run_cli("no_tests.ipynb", "-p", "1x=2", cwd=project)
    assert out.returncode == 2


def test_syntax_error_and_failing_ordinary_cell(project: Path) -> None:
    make_notebook([
        "def f():\n    return 1\n",
        ("def test_a(:\n    pass\n", ["mlops-test"]),
        ("def test_f():\n    assert f() == 1\n", ["mlops-test"]),
        "1 / 0",
        ("def test_never():\n    pass\n", ["mlops-test"]),
    ], project / "bad.ipynb")
    out = run_cli("bad.ipynb", "--junit", "j.xml", cwd=project)
    assert out.returncode == 1
    assert "syntax error in test cell cell-2, line 1" in out.stdout
    assert "cell 4 failed: ZeroDivisionError" in out.stdout
    assert "test_f" in out.stdout and "test_never" not in out.stdout
    xmlschema.XMLSchema(str(XSD)).validate(str(project / "j.xml"))
