"""%validate / %%validate in a real IPython shell, and its export to plain Python."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from IPython.core.error import UsageError

from mlops_jupyter.errors import ValidationFailed
from mlops_jupyter.magics.validate import SCRIPT_EXPORTS, ValidateMagics

RULES = "price between 0 and 100\nid is unique\n"


@pytest.fixture
def frames(ip: Any) -> Any:
    ip.user_ns["df"] = pd.DataFrame({"id": [1, 2, 3], "price": [1.0, 50.0, 99.0]})
    ip.user_ns["bad"] = pd.DataFrame({"id": [1, 1, 3], "price": [1.0, 500.0, 99.0]})
    return ip


def test_cell_rules_pass_and_return_the_report(frames: Any) -> None:
    report = frames.run_cell_magic("validate", "df", RULES)
    assert report.ok and report.name == "df" and len(report.results) == 2


def test_failing_cell_raises_and_displays_the_report(frames: Any, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(ValidationFailed) as info:
        frames.run_cell_magic("validate", "bad", RULES)
    assert len(info.value.report.failed) == 2
    lines = info.value._render_traceback_()
    assert lines[0].startswith("ValidationFailed: validation 'bad' FAILED: 0/2 rules passed")
    assert "validation 'bad' FAILED" in capsys.readouterr().out  # the report was displayed


def test_warn_only_returns_the_failing_report(frames: Any) -> None:
    report = frames.run_cell_magic("validate", "bad --warn-only --sample 1", RULES)
    assert not report.ok and len(report.results[0].samples) == 1


def test_save_then_run_suite_then_infer(frames: Any, project: Path) -> None:
    frames.run_cell_magic("validate", "df --save prices", RULES)
    assert (project / "mlops/suites/prices.yaml").is_file()
    assert frames.run_line_magic("validate", "df --suite prices").ok
    with pytest.raises(ValidationFailed):
        frames.run_line_magic("validate", "bad --suite prices")
    suite = frames.run_line_magic("validate", "df --infer inferred")
    assert "price between" in suite.text
    assert frames.run_line_magic("validate", "df --suite inferred").ok


def test_csv_path_target(frames: Any, project: Path) -> None:
    frames.user_ns["df"].to_csv(project / "data.csv", index=False)
    assert frames.run_cell_magic("validate", "data.csv", RULES).ok


@pytest.mark.parametrize(("line", "cell", "fragment"), [
    ("", RULES, "give the data"),
    ("df", None, "nothing to check"),
    ("nope", RULES, "no variable or file named 'nope'"),
    ("df --infer x --suite y", None, "use it alone"),
    ("--metrics", None, "write metric rules"),
    ("df --bogus", RULES, "unrecognized arguments"),
])
def test_usage_errors(frames: Any, line: str, cell: str | None, fragment: str) -> None:
    with pytest.raises(UsageError, match=fragment):
        if cell is None:
            frames.run_line_magic("validate", line)
        else:
            frames.run_cell_magic("validate", line, cell)


def test_help_is_the_parser(frames: Any) -> None:
    doc = ValidateMagics.validate.__doc__ or ""
    assert "--warn-only" in doc and "--metrics" in doc


def test_metrics_in_a_tracked_run(frames: Any, git_project: Path) -> None:
    frames.run_line_magic("mlops_track", "start")
    frames.run_line_magic("mlops_track", "log accuracy=0.91")
    assert frames.run_cell_magic("validate", "--metrics", "accuracy >= 0.9").ok
    with pytest.raises(ValidationFailed):
        frames.run_cell_magic("validate", "--metrics", "accuracy >= 0.95")
    frames.run_line_magic("mlops_track", "end")


# -- export ---------------------------------------------------------------------------
def _run_script(source: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-c", source], cwd=cwd, capture_output=True, text=True, timeout=120)


def test_export_runs_the_same_checks_under_plain_python(project: Path) -> None:
    export = SCRIPT_EXPORTS["validate"]
    head = textwrap.dedent("""
        import mlops_jupyter as mj
        import pandas as pd
        df = pd.DataFrame({"id": [1, 2, 3], "price": [1.0, 50.0, 99.0]})
        bad = pd.DataFrame({"id": [1, 1, 3], "price": [1.0, 500.0, 99.0]})
    """)
    good = _run_script(head + export("df --save prices", RULES) + export("df --suite prices", None), project)
    assert good.returncode == 0, good.stderr
    assert "validation 'prices' passed" in good.stdout
    assert (project / "mlops/suites/prices.yaml").is_file()

    quoted = _run_script(head + export("df", 'id is unique  # it\'s "quoted" \\ and \'\'\'\n'), project)
    assert quoted.returncode == 0, quoted.stderr
    failing = _run_script(head + export("bad --sample 1", RULES), project)
    assert failing.returncode == 1
    assert "ValidationFailed" in failing.stderr and "FAILED" in failing.stdout

    warn = _run_script(head + export("bad --warn-only", RULES) + "print('after')\n", project)
    assert warn.returncode == 0 and "after" in warn.stdout

    infer = _run_script(head + export("df --infer auto", None), project)
    assert infer.returncode == 0 and (project / "mlops/suites/auto.yaml").is_file()

    metrics = export("--metrics --model churn", "accuracy >= champion.accuracy - 0.01")
    assert "mj.check_metrics('accuracy >= champion.accuracy - 0.01', model='churn'" in metrics
    compile(metrics, "<export>", "exec")
    path = export("'data dir/x.csv' --suite s", None)
    assert "mj.validate('data dir/x.csv'" in path


def test_export_refuses_bad_arguments() -> None:
    with pytest.raises(UsageError):
        SCRIPT_EXPORTS["validate"]("df --nope", RULES)
