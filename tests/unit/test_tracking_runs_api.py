"""mj.runs() lists the newest runs of an experiment from a real SQLite store; the CLI's
``runs`` prints the same result (issue 15)."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

import mlops_jupyter as mj
from mlops_jupyter.cli import main
from mlops_jupyter.errors import MlopsUsageError, TrackingError
from mlops_jupyter.tracking.listing import RunList
from tests.integration.servers import free_port, use_store_template


def _three_runs() -> list[str]:
    ids = []
    for i, name in enumerate(["first", "second", "third"]):
        run = mj.start_run(name=name)
        mj.log(acc=round(0.5 + i / 10, 2), model=f"rf{i}")
        mj.end_run()
        ids.append(run.run_id)
    return ids


def test_runs_lists_newest_first_with_metrics_and_params(project: Path, tmp_path_factory: pytest.TempPathFactory,
                                                         capsys: pytest.CaptureFixture[str]) -> None:
    use_store_template(project, tmp_path_factory.getbasetemp())
    ids = _three_runs()
    result = mj.runs()
    assert isinstance(result, RunList) and result.ok
    assert [r["run_id"] for r in result.runs] == list(reversed(ids))
    assert result.runs[0]["run_name"] == "third" and result.runs[0]["status"] == "FINISHED"
    assert result.runs[0]["metrics"] == {"acc": 0.7} and result.runs[0]["params"] == {"model": "rf2"}
    assert [r["run_name"] for r in mj.runs(max_results=2).runs] == ["third", "second"]

    frame = result.to_frame()
    assert list(frame.columns[:4]) == ["run_id", "run_name", "status", "start"]
    assert list(frame["metrics.acc"]) == [0.7, 0.6, 0.5]
    assert list(frame["params.model"]) == ["rf2", "rf1", "rf0"]
    text, html = str(result), result._repr_html_()
    assert text.startswith(f"experiment {result.experiment}\n") and "third" in text and "acc=0.7" in text
    assert "runs of" in html and "second" in html

    # the CLI prints the same result
    assert main(["runs", "--max", "2", "--json"]) == 0
    printed = json.loads(capsys.readouterr().out)
    assert printed == mj.runs(max_results=2).to_dict()
    assert [r["run_name"] for r in printed["runs"]] == ["third", "second"]
    assert main(["runs"]) == 0
    assert capsys.readouterr().out.strip() == str(mj.runs()).strip()


def test_runs_of_a_project_that_tracked_nothing_creates_no_store(project: Path) -> None:
    result = mj.runs()
    assert result.runs == [] and len(result) == 0
    assert str(result) == f"experiment {result.experiment}: no runs"
    assert list(result.to_frame().columns) == ["run_id", "run_name", "status", "start"]
    assert not (project / ".mlops" / "mlflow.db").exists()


def test_runs_of_an_unknown_experiment_is_empty(project: Path, tmp_path_factory: pytest.TempPathFactory) -> None:
    use_store_template(project, tmp_path_factory.getbasetemp())
    _three_runs()
    assert mj.runs("no-such-experiment").runs == []


@pytest.mark.parametrize("bad", [0, -3, 2.5, "10", True])
def test_runs_refuses_a_bad_limit(project: Path, bad: object) -> None:
    with pytest.raises(MlopsUsageError, match="max_results must be a positive whole number"):
        mj.runs(max_results=bad)  # type: ignore[arg-type]


def test_runs_with_the_server_down_is_one_line_in_the_cli(project: Path, monkeypatch: pytest.MonkeyPatch,
                                                          capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("MLFLOW_HTTP_REQUEST_MAX_RETRIES", "0")
    uri = f"http://127.0.0.1:{free_port()}"
    monkeypatch.setenv("MLFLOW_TRACKING_URI", uri)
    with pytest.raises(TrackingError, match=r"^cannot list the runs of experiment '.+': tracking store "
                       + re.escape(uri) + r" is unreachable \(connection refused\)$"):
        mj.runs()
    assert main(["runs"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert err[0].startswith("TrackingError: cannot list the runs") and err[0].endswith("(connection refused)")
    assert len(err) == 2 and err[1].startswith("hint: ") and "doctor" in err[1]
