"""`%drift --chart` in a real kernel: a widget where one is watched, plain figures otherwise."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.notebooks import execute, make_notebook

pytestmark = pytest.mark.slow

CELLS = [
    "%load_ext mlops_jupyter\nimport numpy as np, pandas as pd\nrng = np.random.default_rng(0)\n"
    "a = pd.DataFrame({'x': rng.normal(0, 1, 500), 'y': rng.normal(0, 1, 500)})\n"
    "b = pd.DataFrame({'x': rng.normal(2, 1, 500), 'y': rng.normal(0, 1, 500)})",
    "_ = %drift a b --chart",
]
PLOTLY = "application/vnd.plotly.v1+json"
WIDGET = "application/vnd.jupyter.widget-view+json"


def test_drift_chart_is_a_widget_interactively_and_figures_when_static(
    project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for var in ("MLOPS_HEADLESS", "CI", "MLOPS_LIVE_CHART"):
        monkeypatch.delenv(var, raising=False)
    # a kernel started by a Jupyter server for a notebook (what JupyterLab sets): a live frontend
    monkeypatch.setenv("JPY_SESSION_NAME", str(project / "drift.ipynb"))
    nb = execute(make_notebook(CELLS), project)
    assert [o for o in nb.cells[1].outputs if WIDGET in o.get("data", {})]
    # make demo / saved notebooks: the scores chart and the drifted column's distributions
    monkeypatch.setenv("MLOPS_LIVE_CHART", "static")
    nb = execute(make_notebook(CELLS), project)
    figures = [o["data"][PLOTLY] for o in nb.cells[1].outputs if PLOTLY in o.get("data", {})]
    assert not [o for o in nb.cells[1].outputs if WIDGET in o.get("data", {})]
    assert len(figures) == 2 and "widgets" not in nb.metadata
    assert figures[1]["layout"]["title"]["text"].startswith("x: drift")
    # a headless job gets the figures too
    monkeypatch.delenv("MLOPS_LIVE_CHART")
    monkeypatch.setenv("MLOPS_HEADLESS", "1")
    nb = execute(make_notebook(CELLS), project)
    assert len([o for o in nb.cells[1].outputs if PLOTLY in o.get("data", {})]) == 2
