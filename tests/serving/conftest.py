"""Serving fixtures: a real SQLite MLflow store with two registered scikit-learn models.

Logging models is slow (seconds each) and every scoring server takes ~5 s and ~0.5 GB, so
the store is made once per session and each test module shares one running service.
"""

from __future__ import annotations

import os
import warnings
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from tests.integration.servers import use_store_template

FEATURES = ["f0", "f1", "f2", "f3"]


@dataclass
class Zoo:
    root: Path            # the project folder (mlops.toml-less: embedded default store)
    uri: str              # its tracking URI
    model: str            # registered model name
    runs: dict[str, str]  # champion / challenger -> run id
    data: Any             # DataFrame of FEATURES + "target" (held-out rows)


def _frame() -> Any:
    from sklearn.datasets import load_breast_cancer

    ds = load_breast_cancer(as_frame=True)
    x = ds.data.iloc[:, :4].copy()
    x.columns = FEATURES
    x["target"] = ds.target
    return x


@pytest.fixture(scope="session")
def zoo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Zoo]:
    import mlflow
    from mlflow.models import infer_signature
    from mlflow.tracking import MlflowClient
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    base = tmp_path_factory.mktemp("serving")
    root = base / "proj"
    root.mkdir()
    db = use_store_template(root, base)
    uri = f"sqlite:///{db}"
    saved = (mlflow.get_tracking_uri(), os.environ.get("MLFLOW_TRACKING_URI"))
    frame = _frame()
    train, held = frame.iloc[::2], frame.iloc[1::2]
    x, y = train[FEATURES], train["target"]
    models = {
        "champion": make_pipeline(StandardScaler(), LogisticRegression(max_iter=500)).fit(x, y),
        "challenger": make_pipeline(StandardScaler(), LogisticRegression(C=0.01, max_iter=500)).fit(x, y),
    }
    runs: dict[str, str] = {}
    client = MlflowClient(tracking_uri=uri)
    mlflow.set_tracking_uri(uri)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            for arm, m in models.items():
                with mlflow.start_run(run_name=arm) as run:
                    sig = infer_signature(x, m.predict(x))
                    mlflow.sklearn.log_model(m, name="model", signature=sig, pip_requirements=["scikit-learn"])
                runs[arm] = run.info.run_id
                mv = mlflow.register_model(f"runs:/{run.info.run_id}/model", "churn")
                client.set_registered_model_alias("churn", arm, mv.version)
    finally:
        mlflow.set_tracking_uri(saved[0])
        if saved[1] is None:
            os.environ.pop("MLFLOW_TRACKING_URI", None)
        else:
            os.environ["MLFLOW_TRACKING_URI"] = saved[1]
    yield Zoo(root=root, uri=uri, model="churn", runs=runs, data=held.reset_index(drop=True))


@pytest.fixture
def in_zoo(zoo: Zoo, monkeypatch: pytest.MonkeyPatch) -> Zoo:
    """The working directory is the zoo's project (the service's `.mlops/serving/`)."""
    monkeypatch.chdir(zoo.root)
    return zoo


def start_service(zoo: Zoo, name: str, **kw: Any) -> Any:
    """``mj.serve`` from the zoo's project folder (module fixtures run outside any test)."""
    import mlops_jupyter as mj
    from mlops_jupyter.session import session

    with pytest.MonkeyPatch.context() as mp:
        mp.chdir(zoo.root)
        for var in ("MLOPS_ENV", "MLFLOW_TRACKING_URI", "MLOPS_HEADLESS", "CI"):
            mp.delenv(var, raising=False)
        session.reset()
        try:
            return mj.serve(kw.pop("model", "models:/churn@champion"), name=name, **kw)
        finally:
            session.reset()


def rows(zoo: Zoo, n: int, start: int = 0) -> list[dict[str, float]]:
    frame = zoo.data[FEATURES]
    return [frame.iloc[(start + i) % len(frame)].to_dict() for i in range(n)]
