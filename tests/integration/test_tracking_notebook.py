"""A real notebook executed by nbclient in a real kernel: what a run captures, and kernel shutdown."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.integration.servers import use_store_template
from tests.notebooks import execute, make_notebook

pytestmark = pytest.mark.slow


def test_notebook_run_captures_context_and_shutdown_ends_open_run(
    git_project: Path, monkeypatch: pytest.MonkeyPatch, tmp_path_factory: pytest.TempPathFactory
) -> None:
    use_store_template(git_project, tmp_path_factory.getbasetemp())
    (git_project / ".gitignore").write_text(".mlops/\n")
    nb_path = git_project / "train.ipynb"
    make_notebook(
        [
            "%load_ext mlops_jupyter",
            ("lr = 0.1\nepochs = 5", ["parameters"]),
            "%mlops_track start --name nb",
            "import mlops_jupyter as mj\nfor i in range(epochs):\n    mj.log(loss=1 / (i + 1), step=i)",
            "%mlops_track log note=hello",
            "%mlops_track status",
            "%mlops_track end",
            "r = mj.start_run(name='left-open')\nfor i in range(300):\n    mj.log(x=i, step=i)",
        ],
        nb_path,
    )
    monkeypatch.setenv("JPY_SESSION_NAME", str(nb_path))
    import nbformat

    nb = execute(nbformat.read(nb_path, as_version=4), git_project)
    status_out = "".join(o.get("text", "") + json.dumps(o.get("data", {})) for o in nb.cells[5].outputs)
    assert "nb" in status_out and "RUNNING" in status_out

    from mlflow.tracking import MlflowClient

    client = MlflowClient(f"sqlite:///{git_project / '.mlops' / 'mlflow.db'}")
    runs = {r.info.run_name: r for r in client.search_runs([e.experiment_id for e in client.search_experiments()])}
    nb_run, open_run = runs["nb"], runs["left-open"]
    assert nb_run.info.status == "FINISHED"
    assert nb_run.data.params == {"lr": "0.1", "epochs": "5", "note": "hello"}
    assert len(client.get_metric_history(nb_run.info.run_id, "loss")) == 5
    tags = nb_run.data.tags
    assert tags["mlops.notebook.path"] == str(nb_path.resolve())
    assert tags["mlflow.source.git.commit"] and tags["mlops.git.dirty"] == "true"  # train.ipynb is untracked
    assert tags["mlops.history"] == "linear"
    arts = {a.path for a in client.list_artifacts(nb_run.info.run_id)}
    assert {"code", "environment", "history", "notebook"} <= arts
    hist = json.loads(Path(client.download_artifacts(nb_run.info.run_id, "history/cells.json", str(git_project / "dl"))).read_text())
    sources = [c["source"] for c in hist["cells"]]
    assert "%mlops_track start --name nb" in sources and hist["notebook_known"]
    # nbclient sends no cell ids: "linear" comes from placing the cells by source, not from silence
    assert hist["compared"] >= 4 and hist["out_of_order"] == []
    # kernel shutdown flushed and ended the run that was left open
    assert open_run.info.status == "FINISHED"
    assert open_run.data.tags["mlops.end_reason"] == "process exit with the run open"
    assert len(client.get_metric_history(open_run.info.run_id, "x")) == 300


def test_headless_live_chart_updates_in_place_without_widget_state(
    project: Path, tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    # a job run (headless): the chart is a plain figure updated in place, not a widget
    monkeypatch.setenv("MLOPS_HEADLESS", "1")
    use_store_template(project, tmp_path_factory.getbasetemp())
    nb = make_notebook(
        [
            "%load_ext mlops_jupyter",
            "%mlops_track start --name chart",
            "import mlops_jupyter as mj\nfor i in range(20):\n    mj.log(loss=1 / (i + 1), step=i)",
            "%mlops_track end",
        ]
    )
    nb = execute(nb, project)
    charts = [o for o in nb.cells[1].outputs if "application/vnd.plotly.v1+json" in o.get("data", {})]
    assert len(charts) == 1
    figure = charts[0]["data"]["application/vnd.plotly.v1+json"]
    # the display of the start cell was updated in place by `end` with every point
    (loss,) = [t for t in figure["data"] if t["name"] == "loss"]
    assert loss["y"] == [1 / (i + 1) for i in range(20)]
    # no widget state: the executed notebook stays small
    assert "widgets" not in nb.metadata
    assert len(json.dumps(nb)) < 200_000


CHART_CELLS = [
    "%load_ext mlops_jupyter",
    "%mlops_track start --name chart",
    "import mlops_jupyter as mj\nfor i in range(3):\n    mj.log(loss=1 / (i + 1), step=i)",
    "%mlops_track end",
]
PLOTLY = "application/vnd.plotly.v1+json"
WIDGET = "application/vnd.jupyter.widget-view+json"


def _mimes(cell: object) -> set[str]:
    return {m for o in cell.outputs for m in o.get("data", {})}  # type: ignore[attr-defined]


def test_live_chart_setting_in_an_interactive_kernel(
    project: Path, tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    # an interactive kernel in JupyterLab (no MLOPS_HEADLESS, no CI): a widget by default
    for var in ("MLOPS_HEADLESS", "CI", "MLOPS_LIVE_CHART"):
        monkeypatch.delenv(var, raising=False)
    # a kernel started by a Jupyter server for a notebook (what JupyterLab sets): a live frontend
    monkeypatch.setenv("JPY_SESSION_NAME", str(project / "train.ipynb"))
    use_store_template(project, tmp_path_factory.getbasetemp())
    nb = execute(make_notebook(CHART_CELLS), project)
    assert WIDGET in _mimes(nb.cells[1])
    # MLOPS_LIVE_CHART=static (what `make demo` sets): the final figure, no widget state
    monkeypatch.setenv("MLOPS_LIVE_CHART", "static")
    nb = execute(make_notebook(CHART_CELLS), project)
    assert WIDGET not in _mimes(nb.cells[1]) and PLOTLY in _mimes(nb.cells[1])
    [fig] = [o["data"][PLOTLY] for o in nb.cells[1].outputs if PLOTLY in o.get("data", {})]
    assert [t["y"] for t in fig["data"]] == [[1.0, 0.5, 1 / 3]]
    assert "widgets" not in nb.metadata
    # [tracking] live_chart = "off" in the project: the run card only
    monkeypatch.delenv("MLOPS_LIVE_CHART")
    (project / "mlops.toml").write_text('[tracking]\nlive_chart = "off"\n')
    nb = execute(make_notebook(CHART_CELLS), project)
    assert not _mimes(nb.cells[1]) & {WIDGET, PLOTLY} and "text/html" in _mimes(nb.cells[1])
    # a wrong value is a one-line config error before any run starts
    (project / "mlops.toml").write_text('[tracking]\nlive_chart = "sometimes"\n')
    nb = execute(make_notebook(CHART_CELLS[:2]), project, allow_errors=True)
    [err] = [o for o in nb.cells[1].outputs if o["output_type"] == "error"]
    assert err["ename"] == "ConfigError" and "live_chart is 'sometimes'" in err["evalue"]
    from mlflow.tracking import MlflowClient

    client = MlflowClient(f"sqlite:///{project / '.mlops' / 'mlflow.db'}")
    runs = client.search_runs([e.experiment_id for e in client.search_experiments()])
    assert len(runs) == 3  # the three runs above; none for the refused start
