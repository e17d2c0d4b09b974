"""`%mlops_track param` and `%mlops_track model` in a real IPython shell, and their script exports."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from IPython.core.error import UsageError

from mlops_jupyter import tracking
from mlops_jupyter.magics.tracking import SCRIPT_EXPORTS
from tests.integration.servers import use_store_template


@pytest.fixture(autouse=True)
def _migrated_store(project: Path, tmp_path_factory: pytest.TempPathFactory) -> None:
    use_store_template(project, tmp_path_factory.getbasetemp())


def test_param_action_logs_numbers_as_params(ip: Any, project: Path) -> None:
    ip.run_line_magic("mlops_track", "start --name hp")
    ip.user_ns["depth"] = 2
    ip.run_cell("%mlops_track param n_estimators=25 max_depth={depth} criterion=gini")
    with pytest.raises(UsageError, match="needs name=value pairs"):
        ip.run_line_magic("mlops_track", "param")
    run = tracking.active_run()
    ip.run_line_magic("mlops_track", "end")
    got = run.client.get_run(run.run_id)
    assert got.data.params == {"n_estimators": "25", "max_depth": "2", "criterion": "gini"}
    assert got.data.metrics == {}


def test_model_action_logs_and_registers_the_variable(ip: Any, project: Path) -> None:
    ip.run_cell(
        "from sklearn.datasets import load_iris\nfrom sklearn.linear_model import LogisticRegression\n"
        "X, y = load_iris(return_X_y=True)\nclf = LogisticRegression(max_iter=300).fit(X, y)"
    )
    ip.run_line_magic("mlops_track", "start --name m")
    logged = ip.run_line_magic("mlops_track", "model clf --name iris --register iris-model")
    assert logged.name == "iris" and logged.registered_name == "iris-model" and logged.version == "1"
    with pytest.raises(UsageError, match="no variable 'nope'"):
        ip.run_line_magic("mlops_track", "model nope")
    ip.run_line_magic("mlops_track", "end")


def test_param_and_model_exports() -> None:
    export = SCRIPT_EXPORTS["mlops_track"]
    assert export("param n_estimators=25 lr={lr}", None) == "mj.log_params({'n_estimators': 25, 'lr': (lr)})\n"
    assert export("model clf", None) == "mj.log_model(clf, name='model')\n"
    assert export("model clf --name m --register churn --trust a.B c.D", None) == (
        "mj.log_model(clf, name='m', register='churn', trusted_types=['a.B', 'c.D'])\n"
    )
