"""The run card tells the truth, and headless executions save figures, not widget state
(real kernels through nbclient, and a real `jupyter nbconvert --execute`)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import nbformat
import pytest

from tests.conftest import env_without_overrides
from tests.integration.servers import use_store_template
from tests.notebooks import execute, make_notebook

pytestmark = pytest.mark.slow

PLOTLY = "application/vnd.plotly.v1+json"
WIDGET = "application/vnd.jupyter.widget-view+json"


def _card_texts(cell: Any) -> list[str]:
    """The text of every run card among the cell's outputs (as saved in the notebook)."""
    return [o["data"]["text/plain"] for o in cell.outputs
            if "text/plain" in o.get("data", {}) and o["data"]["text/plain"].startswith("run ")]


def test_card_of_a_cell_magic_run_shows_its_final_state(project: Path, tmp_path_factory: pytest.TempPathFactory) -> None:
    use_store_template(project, tmp_path_factory.getbasetemp())
    nb = execute(make_notebook([
        "%load_ext mlops_jupyter\nimport mlops_jupyter as mj",
        "%%mlops_track --name cellrun\nfor i in range(3):\n    mj.log(loss=1 / (i + 1), step=i)",
        "%mlops_track start --name lines",
        "for i in range(4):\n    mj.log(acc=i / 4, step=i)",
        "%mlops_track end --status failed",
    ]), project)
    [card] = _card_texts(nb.cells[1])
    assert "FINISHED" in card and "RUNNING" not in card
    assert _points(card) == 3
    # a run ended in a later cell: the start cell's card was updated in place
    [card] = _card_texts(nb.cells[2])
    assert "FAILED" in card and "RUNNING" not in card and _points(card) == 4
    html = [o["data"]["text/html"] for o in nb.cells[2].outputs if "text/html" in o.get("data", {})]
    assert html and "FAILED" in html[0]


def _points(card: str) -> int:
    line = next(ln for ln in card.splitlines() if "points logged" in ln)
    return int(line.split()[-1])


def test_card_is_a_live_widget_in_jupyterlab_and_ends_final(
    project: Path, tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    # a kernel that a Jupyter server started for a notebook: the card is a widget that
    # any later cell (and the background writer) can update
    monkeypatch.setenv("JPY_SESSION_NAME", str(project / "train.ipynb"))
    use_store_template(project, tmp_path_factory.getbasetemp())
    nb = execute(make_notebook([
        "%load_ext mlops_jupyter\nimport mlops_jupyter as mj",
        "%mlops_track start --name live",
        "for i in range(5):\n    mj.log(loss=1 / (i + 1), step=i)",
        "%mlops_track end",
    ]), project)
    cards = [o["data"] for o in nb.cells[1].outputs if WIDGET in o.get("data", {}) and "text/html" in o["data"]]
    assert len(cards) == 1 and "RUNNING" in cards[0]["text/plain"]  # the fallback, as first shown
    model_id = cards[0][WIDGET]["model_id"]
    state = nb.metadata.widgets["application/vnd.jupyter.widget-state+json"]["state"][model_id]["state"]
    assert "FINISHED" in state["value"] and "RUNNING" not in state["value"]


def test_nbconvert_execute_saves_figures_not_widget_state(project: Path, tmp_path_factory: pytest.TempPathFactory) -> None:
    # `jupyter nbconvert --execute` run from a notebook cell (so the kernel even inherits the
    # Jupyter server's JPY_SESSION_NAME): headless, whatever the environment says
    use_store_template(project, tmp_path_factory.getbasetemp())
    src = project / "train.ipynb"
    make_notebook([
        "%load_ext mlops_jupyter\nimport mlops_jupyter as mj",
        "%mlops_track start --name converted",
        "for i in range(30):\n    mj.log(loss=1 / (i + 1), step=i)\nmj.log_params(n_estimators=25)",
        "%mlops_track end",
    ], src)
    env = {**env_without_overrides(), "JPY_SESSION_NAME": str(project / "parent.ipynb")}
    jupyter = str(Path(sys.executable).with_name("jupyter"))
    proc = subprocess.run(
        [jupyter, "nbconvert", "--to", "notebook", "--execute", "train.ipynb", "--output", "out.ipynb"],
        cwd=project, env=env, capture_output=True, text=True, timeout=300,
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    out = project / "out.ipynb"
    assert out.stat().st_size < 200_000  # was ~10 MB with the widget state of plotly.js
    nb = nbformat.read(out, as_version=4)
    assert "widgets" not in nb.metadata
    assert not [o for c in nb.cells for o in c.get("outputs", []) if WIDGET in o.get("data", {})]
    [fig] = [o["data"][PLOTLY] for o in nb.cells[1].outputs if PLOTLY in o.get("data", {})]
    assert [t["name"] for t in fig["data"]] == ["loss"] and len(fig["data"][0]["y"]) == 30
    assert "FINISHED" in json.dumps(nb.cells[1].outputs)


def test_a_constant_logged_once_is_a_value_not_a_step_zero_point(
    project: Path, tmp_path_factory: pytest.TempPathFactory
) -> None:
    use_store_template(project, tmp_path_factory.getbasetemp())
    nb = execute(make_notebook([
        "%load_ext mlops_jupyter\nimport mlops_jupyter as mj",
        "%mlops_track start --name curves",
        "mj.log(n_estimators=25, max_depth=2)\nfor i in range(10):\n    mj.log(loss=100 / (i + 1), step=i)",
        "%mlops_track param lr=0.1 layers=3",
        "%mlops_track end",
    ]), project)
    [fig] = [o["data"][PLOTLY] for o in nb.cells[1].outputs if PLOTLY in o.get("data", {})]
    assert [t["name"] for t in fig["data"]] == ["loss"]  # no flat line at 25 squashing the curve
    assert "n_estimators=25" in fig["layout"]["title"]["text"] and "max_depth=2" in fig["layout"]["title"]["text"]


def test_first_start_on_a_fresh_store_shows_progress_in_the_cell(project: Path) -> None:
    nb = execute(make_notebook(["%load_ext mlops_jupyter", "%mlops_track start --name fresh", "%mlops_track end"]), project)
    lines = [o["data"]["text/plain"] for o in nb.cells[1].outputs if "text/plain" in o.get("data", {})]
    store = project / ".mlops" / "mlflow.db"
    [done] = [ln for ln in lines if "creating the tracking store" in ln]
    assert done.startswith(f"✓ creating the tracking store {store} (first run in this project): ") and done.endswith(" s")
