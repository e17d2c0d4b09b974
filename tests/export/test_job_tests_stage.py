"""An exported job runs the notebook's tests before training; failing tests stop it."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import xmlschema

import mlops_jupyter as mj
from tests.notebooks import make_notebook

pytestmark = pytest.mark.slow
XSD = Path(__file__).resolve().parents[1] / "testing" / "junit-10.xsd"


def _notebook(path: Path, bug: bool) -> None:
    body = "return [v * 2 for v in values]" if not bug else "return [v * 2 for v in values[1:]]"
    make_notebook([
        ("n = 5", ["parameters"]),
        "import mlops_jupyter as mj\n%load_ext mlops_jupyter",
        f"def features(values):\n    {body}\n",
        ("def test_features_keep_every_row():\n    assert len(features([1, 2, 3])) == 3\n", ["mlops-test"]),
        "mj.start_run()\nmj.log(score=len(features(list(range(n)))))\nmj.end_run()\nopen('trained.txt', 'w').write('yes')",
    ], path)


def test_failing_tests_stop_the_job_before_training(job_project: Path) -> None:
    _notebook(job_project / "train.ipynb", bug=True)
    res = mj.export_notebook(job_project / "train.ipynb")
    summary = job_project.parent / "step_summary.md"  # what GitHub Actions names in GITHUB_STEP_SUMMARY
    summary.write_text("earlier step\n")
    out = subprocess.run([sys.executable, "-m", "mlops_jupyter", "run", str(res.job_dir)],
                         cwd=job_project, capture_output=True, text=True, timeout=300,
                         env={**os.environ, "GITHUB_STEP_SUMMARY": str(summary)})
    assert out.returncode == 1, out.stdout + out.stderr
    page = summary.read_text()
    assert page.startswith("earlier step\n### ❌ mlops job `train` failed (exit 1)")  # appended, not replaced
    assert "| tests | notebook.ipynb | fail | 0 passed, 1 failed" in page
    assert "test_features_keep_every_row" in page and "assert 2 == 3" in page
    assert not (job_project / "trained.txt").exists()  # the job did not train
    report = json.loads((res.job_dir / "out" / "report.json").read_text())
    assert "notebook tests failed: 0 passed, 1 failed" in report["error"]
    assert "test_features_keep_every_row" in report["error"] and "assert 2 == 3" in report["error"]
    (gate,) = [g for g in report["gates"] if g["kind"] == "tests"]
    assert gate["ok"] is False
    xmlschema.XMLSchema(str(XSD)).validate(str(res.job_dir / "out" / "tests" / "junit.xml"))


def test_passing_tests_then_training_with_counts_on_the_run(job_project: Path) -> None:
    _notebook(job_project / "train.ipynb", bug=False)
    res = mj.export_notebook(job_project / "train.ipynb")
    result = mj.run_job(res.job_dir)
    assert result.exit_code == 0, str(result)
    assert (job_project / "trained.txt").exists()
    assert [g.ok for g in result.gates if g.kind == "tests"] == [True]
    (run_id,) = result.run_ids  # the test stage tracked into its own store: one run only
    from mlflow.tracking import MlflowClient

    from mlops_jupyter.session import session

    session.start_dir = job_project
    got = MlflowClient(tracking_uri=str(session.profile().tracking_uri)).get_run(run_id)
    assert got.data.metrics["tests.job.passed"] == 1.0 and got.data.tags["mlops.tests.job"] == "passed"
    assert [a.path for a in MlflowClient(tracking_uri=str(session.profile().tracking_uri)).list_artifacts(run_id, "tests")] == ["tests/junit.xml"]


def test_gitlab_reads_the_test_stage_junit_file_only_when_the_notebook_has_tests(job_project: Path) -> None:
    import yaml

    _notebook(job_project / "train.ipynb", bug=False)
    res = mj.export_notebook(job_project / "train.ipynb", target="gitlab")
    job = yaml.safe_load((res.job_dir / "gitlab-ci.yml").read_text())["mlops-job-train"]
    # the very file the test stage writes (asserted above: out/tests/junit.xml in the job folder)
    assert job["artifacts"]["reports"]["junit"] == (res.job_dir / "out" / "tests" / "junit.xml").relative_to(job_project).as_posix()
    make_notebook(["n = 5", "print(n)"], job_project / "plain.ipynb")
    plain = mj.export_notebook(job_project / "plain.ipynb", target="gitlab")
    assert "reports" not in yaml.safe_load((plain.job_dir / "gitlab-ci.yml").read_text())["mlops-job-plain"]["artifacts"]
