"""`promote --require-tests`: the tests gate reads test results on the candidate's real run."""

from __future__ import annotations

import os
import subprocess
import sys
import uuid
import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

import mlops_jupyter as mj

pytestmark = pytest.mark.slow
ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    import mlflow
    from mlflow.tracking import MlflowClient
    from sklearn.datasets import load_iris
    from sklearn.linear_model import LogisticRegression

    root = tmp_path_factory.mktemp("release_tests")
    uri = f"sqlite:///{root / 'mlflow.db'}"
    x, y = load_iris(return_X_y=True, as_frame=True)
    model = LogisticRegression(max_iter=300).fit(x, y)
    client = MlflowClient(tracking_uri=uri)
    exp = client.create_experiment("gate")
    runs = {}
    saved = mlflow.get_tracking_uri()
    mlflow.set_tracking_uri(uri)
    for name, tags in (("passed", {"mlops.tests.prep": "passed", "mlops.tests.job": "passed"}),
                       ("failed", {"mlops.tests.prep": "passed", "mlops.tests.features": "failed"}),
                       ("none", {})):
        with warnings.catch_warnings(), mlflow.start_run(experiment_id=exp) as run:
            warnings.simplefilter("ignore")
            mlflow.sklearn.log_model(model, name="model", pip_requirements=["scikit-learn"])
            mlflow.set_tags(tags)
            mlflow.log_metrics({"tests.prep.passed": 3.0, "tests.prep.failed": 0.0})
        runs[name] = run.info.run_id
    mlflow.set_tracking_uri(saved)
    os.environ.pop("MLFLOW_TRACKING_URI", None)
    yield {"uri": uri, "runs": runs}


def test_require_tests_gate(store: dict[str, Any], project: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MLFLOW_TRACKING_URI", store["uri"])
    model = "iris_" + uuid.uuid4().hex[:6]
    ok = mj.promote(model, candidate=store["runs"]["passed"], require_tests=True, dry_run=True)
    (gate,) = [g for g in ok.gates if g.name == "tests"]
    assert gate.status == "passed" and "3 passed in 2 test cell(s)" in gate.reason
    bad = mj.promote(model, candidate=store["runs"]["failed"], require_tests=True, dry_run=True)
    (gate,) = bad.gates
    assert not bad.ok and gate.status == "failed" and "features" in gate.reason
    none = mj.promote(model, candidate=store["runs"]["none"], gates=["tests"], dry_run=True)
    assert not none.ok and "no test results" in none.gates[0].reason


def test_require_tests_on_the_cli(store: dict[str, Any], project: Path) -> None:
    env = {**os.environ, "PYTHONPATH": str(ROOT), "MLFLOW_TRACKING_URI": store["uri"]}
    out = subprocess.run([sys.executable, "-m", "mlops_jupyter", "promote", "iris_cli", "--candidate",
                          store["runs"]["failed"], "--require-tests", "--dry-run"],
                         cwd=project, capture_output=True, text=True, env=env, timeout=300)
    assert out.returncode == 1, out.stdout + out.stderr
    assert "tests failed on the candidate's run: features" in out.stdout + out.stderr
