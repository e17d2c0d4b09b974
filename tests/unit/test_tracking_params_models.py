"""Params vs metrics, model logging and compare's tie-break, against real MLflow SQLite stores."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest

import mlops_jupyter as mj
from mlops_jupyter.errors import NoActiveRun
from mlops_jupyter.tracking import query
from mlops_jupyter.tracking.models import ModelRefused
from tests.integration.servers import use_store_template


@pytest.fixture(autouse=True)
def _migrated_store(project: Path, tmp_path_factory: pytest.TempPathFactory) -> None:
    use_store_template(project, tmp_path_factory.getbasetemp())


def _stored(handle: Any) -> Any:
    return handle.client.get_run(handle.run_id)


def test_hyperparameters_are_params_not_metrics(project: Path) -> None:
    with pytest.raises(NoActiveRun):
        mj.log_params(n_estimators=25)
    with mj.track(name="hp") as run:
        mj.log_params(n_estimators=25, max_depth=2)
        mj.log_params({"criterion": "gini"})
        mj.log(params={"learning_rate": 0.1}, val_loss=0.5, step=1)
        mj.log(epochs=3)  # a plain number stays a metric (documented; backward compatible)
    got = _stored(run)
    assert got.data.params == {"n_estimators": "25", "max_depth": "2", "criterion": "gini", "learning_rate": "0.1"}
    assert got.data.metrics == {"val_loss": 0.5, "epochs": 3.0}


def test_compare_breaks_a_tie_on_the_primary_metric_by_the_next_metric(project: Path) -> None:
    with mj.track(name="first"):
        mj.log(acc=0.9, f1=0.8)
    with mj.track(name="second"):
        mj.log(acc=0.9, f1=0.7)  # tied on acc, worse on f1
    result = mj.compare(metric="acc")
    assert result.best is not None and result.best["run_name"] == "first"
    assert result.verdict == "worse" and result.decided_by == "f1" and not result.ok
    assert "worse than the best run (tied on acc, decided by f1)" in str(result)
    assert "best so far" not in str(result) and "worse than best" in result._repr_html_()
    # tied on every shared metric: said so, not "best so far"
    with mj.track(name="third"):
        mj.log(acc=0.9, f1=0.8)
    tied = mj.compare(metric="acc")
    assert tied.verdict == "tied" and tied.ok
    assert "is tied (on every shared metric) with first" in str(tied)
    # better on the tie-breaker: best so far, and the reason is given
    with mj.track(name="fourth"):
        mj.log(acc=0.9, f1=0.95)
    best = mj.compare(metric="acc")
    assert best.verdict == "best" and "the best so far (tied on acc, decided by f1)" in str(best)


def test_the_best_run_among_ties_is_chosen_by_the_tie_breakers(project: Path) -> None:
    for name, f1 in (("low", 0.5), ("high", 0.8)):
        with mj.track(name=name):
            mj.log(acc=0.9, f1=f1)
    with mj.track(name="mine"):
        mj.log(acc=0.8, f1=0.9)
    result = mj.compare(metric="acc")
    assert result.best is not None and result.best["run_name"] == "high"


def test_log_model_sklearn_with_registration_and_panel_listing(project: Path) -> None:
    from sklearn.datasets import load_iris
    from sklearn.linear_model import LogisticRegression

    X, y = load_iris(return_X_y=True)
    clf = LogisticRegression(max_iter=300).fit(X, y)
    uri_before = os.environ.get("MLFLOW_TRACKING_URI")
    with mj.track(name="with-model") as run:
        mj.log(acc=0.97)
        logged = mj.log_model(clf, name="clf", register="iris-clf")
        import mlflow

        assert mlflow.active_run() is None  # our run was on the fluent stack only during log_model
        assert _stored(run).info.status == "RUNNING"
    assert os.environ.get("MLFLOW_TRACKING_URI") == uri_before  # global state restored
    assert logged.flavor == "sklearn" and logged.registered_name == "iris-clf" and logged.version == "1"
    assert "registered as iris-clf version 1" in str(logged) and logged.ok
    client = run.client
    model = client.get_logged_model(logged.model_id)
    assert model.source_run_id == run.run_id and model.experiment_id == run.experiment_id
    # stored with the run's other artifacts under .mlops, not in ./mlruns of MLflow's Default
    assert str(project / ".mlops") in model.artifact_location and not (project / "mlruns").exists()
    version = client.get_model_version("iris-clf", "1")
    assert version.run_id == run.run_id
    detail = query.get_run(run.uri, run.run_id)
    models = [a for a in detail["artifacts"] if a.get("kind") == "model"]
    assert models == [{"path": "models/clf", "size": None, "model_uri": f"models:/{logged.model_id}", "kind": "model"}]


def test_log_model_refusals_are_one_line_with_the_way_out(project: Path) -> None:
    from sklearn.datasets import load_iris
    from sklearn.ensemble import RandomForestClassifier

    X, y = load_iris(return_X_y=True)
    forest = RandomForestClassifier(n_estimators=3, random_state=0).fit(X, y)
    with pytest.raises(NoActiveRun):
        mj.log_model(forest)
    with mj.track(name="refused") as run:
        with pytest.raises(ModelRefused) as info:
            mj.log_model(forest, name="forest")
        assert "skops does not trust the types 'sklearn.tree._tree.Tree'" in info.value.message
        assert "trusted_types=['sklearn.tree._tree.Tree']" in (info.value.hint or "")
        assert "\n" not in info.value.message
        # the way out named by the hint works
        ok = mj.log_model(forest, name="forest", trusted_types=["sklearn.tree._tree.Tree"])
        assert ok.trusted_types == ("sklearn.tree._tree.Tree",)
        with pytest.raises(ModelRefused, match="no MLflow flavour is detected for it"):
            mj.log_model({"not": "a model"})
    detail = query.get_run(run.uri, run.run_id)
    # the refused attempt left no model in the run's listing
    assert [a["path"] for a in detail["artifacts"] if a.get("kind") == "model"] == ["models/forest"]


def test_log_model_pyfunc(project: Path) -> None:
    import mlflow.pyfunc

    class Doubler(mlflow.pyfunc.PythonModel):
        def predict(self, context: Any, model_input: Any, params: Any = None) -> Any:
            return model_input * 2

    with mj.track(name="pyfunc"):
        logged = mj.log_model(Doubler(), name="doubler")
    assert logged.flavor == "pyfunc"
    import pandas as pd

    model = mlflow.pyfunc.load_model(_local(logged))
    assert model.predict(pd.DataFrame({"x": [1, 2]}))["x"].tolist() == [2, 4]


def _local(logged: Any) -> str:
    from mlflow import MlflowClient

    client = MlflowClient(mj.tracking.last_run().uri)  # type: ignore[union-attr]
    return str(client.get_logged_model(logged.model_id).artifact_location)
