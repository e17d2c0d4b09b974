"""%%mlops_test in a real IPython shell: real pytest runs against the live namespace."""

from __future__ import annotations

import json
import textwrap
from pathlib import Path
from typing import Any

import pytest
from IPython.core.error import UsageError

import mlops_jupyter as mj
from mlops_jupyter import tracking
from mlops_jupyter.checks import latest_checks
from mlops_jupyter.errors import MlopsUsageError
from mlops_jupyter.testing import TestReport
from mlops_jupyter.testing.incell import CELLS, TestCellError, TestsFailed

TESTS = textwrap.dedent("""\
    import pytest

    @pytest.fixture
    def two():
        return 2

    def test_fixture(two):
        assert add(1, 1) == two

    @pytest.mark.parametrize("a,b", [(1, 2), (2, 2)])
    def test_param(a, b):
        assert add(a, b) == 4

    @pytest.mark.skip(reason="later")
    def test_skipped():
        pass
""")


@pytest.fixture
def nb(ip: Any) -> Any:
    ip.run_cell("def add(a, b):\n    return a + b\nCOUNTER = 0\nDATA = [1, 2]\n")
    return ip


def test_fixtures_parametrize_marks_and_the_failing_line(nb: Any) -> None:
    rep = nb.run_cell_magic("mlops_test", "--name c1", TESTS)
    assert isinstance(rep, TestReport) and not rep.ok
    assert rep.counts() == {"passed": 2, "failed": 1, "error": 0, "skipped": 1, "total": 4}
    (bad,) = rep.failed
    assert bad.name == "test_param[1-2]"
    # the assert is line 12 of the body, line 13 of the cell (the magic line is line 1)
    assert bad.line == 13
    assert "assert 3 == 4" in bad.message and "where 3 = add(1, 2)" in bad.diff
    assert rep.skipped[0].message == "later"
    text = str(rep)
    assert "FAILED" in text and "c1:13" in text and "where 3 = add(1, 2)" in text
    html = rep._repr_html_()
    assert "test_param[1-2]" in html and "<details>" in html and "c1:13" in html
    frame = rep.to_frame()
    assert list(frame["outcome"]).count("passed") == 2
    assert json.loads(json.dumps(rep.to_dict()))["counts"]["failed"] == 1
    assert TestReport.from_dict(rep.to_dict()).counts() == rep.counts()


def test_renamed_and_deleted_tests_do_not_linger(nb: Any) -> None:
    nb.run_cell_magic("mlops_test", "--name c2", "def test_a():\n    assert True\ndef test_b():\n    assert True\n")
    rep = nb.run_cell_magic("mlops_test", "--name c2", "def test_renamed():\n    assert True\n")
    assert [c.name for c in rep.cases] == ["test_renamed"]
    # never in the user's namespace, so an ordinary cell cannot pick them up either
    assert not any(k.startswith("test_") for k in nb.user_ns)
    assert not hasattr(CELLS["c2"], "test_a")
    # a test defined in the namespace itself is not run by a test cell
    nb.run_cell("def test_from_namespace():\n    assert False\n")
    rep = nb.run_cell_magic("mlops_test", "--name c2", "def test_only():\n    assert True\n")
    assert [c.name for c in rep.cases] == ["test_only"] and rep.ok


def test_a_test_rebinding_a_global_does_not_break_the_next_run(nb: Any) -> None:
    cell = "def test_counter():\n    global COUNTER\n    COUNTER += 1\n    assert COUNTER == 1\n"
    for _ in range(3):
        rep = nb.run_cell_magic("mlops_test", "--name c3", cell)
        assert rep.ok, str(rep)
    assert nb.user_ns["COUNTER"] == 0


def test_fixtures_from_earlier_cells_and_helpers_of_the_cell(nb: Any) -> None:
    nb.run_cell("import pytest\n@pytest.fixture\ndef numbers():\n    return [1, 2, 3]\n")
    cell = "def helper(x):\n    return x * 2\ndef test_uses(numbers):\n    assert [helper(n) for n in numbers] == [2, 4, 6]\n"
    rep = nb.run_cell_magic("mlops_test", "", cell)
    assert rep.ok and rep.counts()["passed"] == 1
    assert "helper" not in nb.user_ns


def test_k_lf_and_x(nb: Any) -> None:
    cell = "def test_one():\n    assert add(1, 1) == 3\ndef test_two():\n    assert True\ndef test_three():\n    assert add(0, 0) == 1\n"
    assert [c.name for c in nb.run_cell_magic("mlops_test", "--name c4 -k two", cell).cases] == ["test_two"]
    first = nb.run_cell_magic("mlops_test", "--name c4", cell)
    assert {c.name for c in first.failed} == {"test_one", "test_three"}
    lf = nb.run_cell_magic("mlops_test", "--name c4 --lf", cell)
    assert {c.name for c in lf.cases} == {"test_one", "test_three"}
    # fix the code in an "earlier cell": --lf runs the two that failed, then everything again
    nb.run_cell("def add(a, b):\n    return a + b + 1\n")
    assert {c.name: c.outcome for c in nb.run_cell_magic("mlops_test", "--name c4 --lf", cell).cases} == {
        "test_one": "passed", "test_three": "passed"}
    assert len(nb.run_cell_magic("mlops_test", "--name c4 --lf", cell).cases) == 3
    nb.run_cell("def add(a, b):\n    return 0\n")
    x = nb.run_cell_magic("mlops_test", "--name c4 -x", cell)
    assert len(x.failed) == 1 and len(x.cases) == 1


def test_bad_input_syntax_error_no_tests_bad_options(nb: Any) -> None:
    with pytest.raises(TestCellError, match="syntax error in test cell c5, line 3"):
        nb.run_cell_magic("mlops_test", "--name c5", "def test_a():\n    assert (\n")
    empty = nb.run_cell_magic("mlops_test", "--name c6", "x = 1\n")
    assert empty.ok and empty.counts()["total"] == 0 and "no tests" in empty.warnings[0]
    with pytest.raises(UsageError):
        nb.run_cell_magic("mlops_test", "--bogus", "def test_a():\n    pass\n")
    with pytest.raises(MlopsUsageError, match=r"pytest refused to run cell c6: .*-k"):
        nb.run_cell_magic("mlops_test", "--name c6 -k 'and or'", "def test_a():\n    pass\n")
    # an error while importing the cell module (a name that does not exist)
    broken = nb.run_cell_magic("mlops_test", "--name c7", "missing_name\ndef test_a():\n    pass\n")
    assert not broken.ok and "NameError: name 'missing_name' is not defined" in broken.errors_outside_tests[0]


def test_fixture_error_and_timeout(nb: Any) -> None:
    cell = textwrap.dedent("""\
        import pytest, time
        @pytest.fixture
        def broken():
            raise RuntimeError("no db")
        def test_needs(broken):
            pass
        def test_hangs():
            time.sleep(30)
    """)
    rep = nb.run_cell_magic("mlops_test", "--name c8 --timeout 0.5", cell)
    outcome = {c.name: c for c in rep.cases}
    assert outcome["test_needs"].outcome == "error" and "no db" in outcome["test_needs"].message
    assert outcome["test_hangs"].outcome == "failed"
    assert "test_hangs timed out after 0.5 s" in outcome["test_hangs"].message
    assert rep.duration < 10


def test_fail_option_raises(nb: Any) -> None:
    with pytest.raises(TestsFailed, match="1 of 1 tests failed in c9: test_no"):
        nb.run_cell_magic("mlops_test", "--name c9 --fail", "def test_no():\n    assert add(1, 1) == 0\n")


def test_api_twin_uses_the_callers_globals(project: Path) -> None:
    def triple(x: int) -> int:
        return 3 * x

    ns = {"triple": triple}
    rep = mj.run_tests("def test_t():\n    assert triple(2) == 6\n", ns, name="api")
    assert rep.ok and rep.counts()["passed"] == 1
    assert mj.run_tests("def test_t():\n    assert callable(mj.run_tests)\n").ok


def test_results_go_to_checks_and_the_tracked_run(nb: Any, project: Path) -> None:
    nb.run_line_magic("mlops_track", "start")
    nb.run_cell_magic("mlops_test", "--name prep", "def test_no():\n    assert add(1, 1) == 3\n")
    nb.run_line_magic("mlops_track", "end")
    run = tracking.last_run()
    assert run is not None
    got = run.client.get_run(run.run_id)
    assert got.data.metrics["tests.prep.failed"] == 1.0 and got.data.metrics["tests.prep.passed"] == 0.0
    assert got.data.tags["mlops.tests.prep"] == "failed"
    (check,) = [c for c in latest_checks() if c["kind"] == "test"]
    assert check["name"] == "prep" and check["ok"] is False and check["summary"]["failing"] == ["test_no"]
    # what the side panel's Checks section reads (the REST service behind it)
    from mlops_jupyter.server import services

    listed = services.checks(project, None)["checks"]
    assert any(e["kind"] == "test" and e["name"] == "prep" and not e["ok"] for e in listed)


def test_script_export_runs_the_same_tests_under_plain_python(project: Path) -> None:
    import subprocess
    import sys

    from mlops_jupyter.magics.testing import SCRIPT_EXPORTS

    call = SCRIPT_EXPORTS["mlops_test"]("--name exported --fail", "def test_add():\n    assert add(1, 1) == 3\n")
    script = "import mlops_jupyter as mj\ndef add(a, b):\n    return a + b\n" + call + "\n"
    out = subprocess.run([sys.executable, "-c", script], cwd=project, capture_output=True, text=True, timeout=120,
                         env={**__import__("os").environ, "PYTHONPATH": str(Path(__file__).resolve().parents[2])})
    assert out.returncode == 1
    assert "TestsFailed: 1 of 1 tests failed in exported: test_add" in out.stderr
