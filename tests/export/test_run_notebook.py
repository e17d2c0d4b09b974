"""Notebook mode: papermill runs the exported notebook in a fresh kernel, with real MLflow."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

import mlops_jupyter as mj
from mlops_jupyter.session import session
from tests.notebooks import make_notebook

pytestmark = pytest.mark.slow

HOSTILE = 'q"uo\'te \\back\nnew $(touch PWNED) `touch PWNED2` ${{ secrets.X }}'


def _source_run(nb_path: Path, score: float) -> str:
    """The notebook's own tracked run (what the user made interactively)."""
    session.set_notebook(str(nb_path))
    run = mj.start_run()
    mj.log(score=score)
    mj.end_run()
    session.notebook_path = None
    return str(run.run_id)


@pytest.fixture
def train_job(job_project: Path) -> tuple[Path, object]:
    make_notebook([
        ("alpha = 0.5\nlabel = 'x'\nratio = 1.0\nmissing = 0.0", ["parameters"]),
        "import mlops_jupyter as mj\n%load_ext mlops_jupyter\n%matplotlib inline",
        "%%time\nmj.start_run()\nmj.log(score=alpha * 2)\nmj.end_run()",
        "open('label.txt', 'w').write(repr((label, ratio, missing)))",
    ], job_project / "train.ipynb")
    source = _source_run(job_project / "train.ipynb", 1.0)
    res = mj.export_notebook(job_project / "train.ipynb", thresholds={"score": ">= 0.8"})
    assert res.spec["source"]["run_id"] == source
    assert res.spec["expected_metrics"]["score"]["value"] == 1.0
    return job_project, res


def test_job_runs_in_fresh_kernel_and_tags_its_run(train_job: tuple[Path, object]) -> None:
    root, res = train_job
    # When the job runs with a hostile parameter value
    result = mj.run_job(res.job_dir, params={"label": HOSTILE, "ratio": "-inf", "missing": "nan"})  # type: ignore[attr-defined]
    # Then papermill ran it, the values arrived exactly, nothing was injected
    assert result.exit_code == 0, str(result)
    assert (root / "label.txt").read_text() == repr((HOSTILE, float("-inf"), float("nan")))
    assert not (root / "PWNED").exists() and not (root / "PWNED2").exists()
    executed = nbformat.read(result.executed, as_version=4)
    assert any("injected-parameters" in c.metadata.get("tags", []) for c in executed.cells)
    # the run is tagged with the job digest and the source run; the metric gate passed
    from mlflow.tracking import MlflowClient

    [run_id] = result.run_ids
    tags = MlflowClient(tracking_uri=mj.current_env().tracking_uri).get_run(run_id).data.tags
    assert tags["mlops.job_digest"] == res.digest  # type: ignore[attr-defined]
    assert tags["mlops.source_run_id"] == res.spec["source"]["run_id"]  # type: ignore[attr-defined]
    assert tags["mlops.kernel"] == "headless"
    assert {g.kind for g in result.gates} >= {"execution", "metric"}
    # expected metrics are only enforced for default parameters: label changed, so not here
    assert all(g.kind != "expected" for g in result.gates)


def test_gate_failure_exits_1_via_cli(train_job: tuple[Path, object]) -> None:
    root, res = train_job
    proc = subprocess.run(
        [sys.executable, "-m", "mlops_jupyter", "run", str(res.job_dir), "-p", "alpha=0.1", "--json"],  # type: ignore[attr-defined]
        cwd=root, capture_output=True, text=True, timeout=300,
    )
    assert proc.returncode == 1, proc.stderr[-2000:]
    assert "IPKernelApp" not in proc.stderr  # no kernel log noise in the job's output
    report = json.loads(proc.stdout)
    [gate] = [g for g in report["gates"] if g["kind"] == "metric"]
    assert gate["ok"] is False and gate["name"] == "score >= 0.8" and gate["detail"] == "0.2"
    assert report["params"]["alpha"] == 0.1


def test_failing_cell_exits_1_and_keeps_the_executed_notebook(job_project: Path) -> None:
    make_notebook(["x = 1", "raise ValueError('boom')", "open('never.txt', 'w')"], job_project / "bad.ipynb")
    res = mj.export_notebook(job_project / "bad.ipynb")
    result = mj.run_job(res.job_dir)
    assert result.exit_code == 1 and "ValueError" in (result.error or "")
    assert result.executed is not None and result.executed.exists()
    assert not (job_project / "never.txt").exists()
