"""Fixtures for the server extension: a Jupyter server (pytest-jupyter) on a project root.

pytest-jupyter is not registered as a plugin by entry point; importing its fixtures here
keeps them (and its async test hooks) local to tests/server.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest
from pytest_jupyter.jupyter_server import *  # noqa: F403

TOKEN_HEADER = "Authorization"


@pytest.fixture
def jp_server_config() -> Any:
    from traitlets.config import Config

    return Config({"ServerApp": {"jpserver_extensions": {"mlops_jupyter": True}}})


@pytest.fixture
def root(jp_root_dir: Path) -> Path:
    """The server root as a project: mlops.toml with an embedded SQLite store."""
    (jp_root_dir / "mlops.toml").write_text(
        'experiment = "demo"\n[env.dev]\ntracking_uri = "sqlite:///.mlops/mlflow.db"\n'
        'ui_url = "http://mlflow.example:5000"\n'
    )
    (jp_root_dir / "nb.ipynb").write_text('{"cells": [], "metadata": {}, "nbformat": 4, "nbformat_minor": 5}')
    return Path(os.path.realpath(jp_root_dir))


def make_runs(root: Path, notebook: str, count: int = 3, experiment: str = "demo") -> list[str]:
    """Real runs in the project's SQLite store, tagged with the notebook's real path."""
    from mlflow import MlflowClient
    from mlflow.entities import Metric, Param, RunTag

    (root / ".mlops").mkdir(exist_ok=True)
    client = MlflowClient(tracking_uri=f"sqlite:///{root / '.mlops' / 'mlflow.db'}")
    exp = client.get_experiment_by_name(experiment)
    exp_id = exp.experiment_id if exp else client.create_experiment(experiment)
    ids = []
    for i in range(count):
        run = client.create_run(exp_id, run_name=f"run-{i}", tags={"mlops.notebook.path": str(root / notebook)})
        client.log_batch(
            run.info.run_id,
            metrics=[Metric("acc", 0.5 + i / 10, 0, s) for s in range(3)] + [Metric("loss", 1.0 - i / 10, 0, 0)],
            params=[Param("lr", str(0.1 * (i + 1)))],
            tags=[RunTag("team", "a")],
        )
        client.set_terminated(run.info.run_id, "FINISHED" if i % 2 == 0 else "FAILED")
        ids.append(run.info.run_id)
    return ids
