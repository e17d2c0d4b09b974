"""Tracking core against real MLflow SQLite stores in tmp dirs."""

from __future__ import annotations

import json
import math
import os
import subprocess
import sys
import textwrap
import warnings
from pathlib import Path

import pytest

import mlops_jupyter as mj
from mlops_jupyter import tracking
from mlops_jupyter.errors import NoActiveRun, PathOutsideRoot, ReadOnlyEnvironment, TrackingError
from mlops_jupyter.session import session
from mlops_jupyter.tracking import ParamConflict
from mlops_jupyter.tracking.run import NonFiniteMetric
from tests.conftest import env_without_overrides, git
from tests.integration.servers import use_store_template


@pytest.fixture(autouse=True)
def _migrated_store(request: pytest.FixtureRequest, project: Path, tmp_path_factory: pytest.TempPathFactory) -> None:
    """Start each test from a copy of an already-migrated empty store (schema creation takes
    seconds); the test of concurrent schema creation starts from nothing."""
    if "fresh_sqlite" not in request.node.name:
        use_store_template(project, tmp_path_factory.getbasetemp())


def _run(handle: tracking.RunHandle):
    return handle.client.get_run(handle.run_id)


def test_log_is_buffered_and_every_point_lands_once(project: Path) -> None:
    run = mj.start_run(name="buffered")
    for i in range(1000):
        mj.log(loss=1.0 / (i + 1), step=i)
    mj.log({"acc": 0.5, "model": "rf"})
    mj.log(acc=0.7)  # no step: per-key counter 0, 1, ...
    mj.end_run()
    client = run.client
    history = client.get_metric_history(run.run_id, "loss")
    assert sorted(m.step for m in history) == list(range(1000))
    assert [(m.step, m.value) for m in client.get_metric_history(run.run_id, "acc")] == [(0, 0.5), (1, 0.7)]
    got = _run(run)
    assert got.data.params == {"model": "rf"}
    assert got.info.status == "FINISHED"
    assert session.run is None and tracking.last_run() is run


def test_store_is_sqlite_under_mlops_by_default(project: Path) -> None:
    run = mj.start_run()
    assert run.uri == f"sqlite:///{(project / '.mlops' / 'mlflow.db').resolve()}"
    mj.end_run()
    assert (project / ".mlops" / "artifacts").is_dir()


def test_inf_is_refused_and_nan_round_trips(project: Path) -> None:
    run = mj.start_run()
    with pytest.raises(NonFiniteMetric, match=r"1\.797e308"):
        mj.log(loss=float("inf"))
    with pytest.raises(NonFiniteMetric):
        mj.log(loss=-math.inf)
    mj.log(loss=float("nan"), step=3)
    mj.end_run()
    (point,) = run.client.get_metric_history(run.run_id, "loss")
    assert math.isnan(point.value) and point.step == 3


def test_long_param_is_cut_with_warning_and_kept_as_artifact(project: Path) -> None:
    run = mj.start_run()
    value = "x" * 7000
    with pytest.warns(UserWarning, match="over MLflow's limit"):
        mj.log(features=value)
    mj.end_run()
    stored = _run(run).data.params["features"]
    assert len(stored) <= 6000 and "params/features.txt" in stored
    local = run.client.download_artifacts(run.run_id, "params/features.txt", str(project / "dl"))
    assert Path(local).read_text() == value


def test_param_logged_again_with_other_value_is_an_explicit_error(project: Path) -> None:
    run = mj.start_run()
    mj.log(model="rf")
    mj.log(model="rf")  # same value: fine
    with pytest.raises(ParamConflict, match="already 'rf'") as exc:
        mj.log(model="gbm")
    assert "immutable" in (exc.value.hint or "")
    mj.end_run()
    assert _run(run).data.params["model"] == "rf"


@pytest.mark.parametrize("bad", ["../x", "a/../../b", "/etc/x", "C:/x"])
def test_unsafe_artifact_names_are_rejected(project: Path, bad: str) -> None:
    mj.start_run()
    (project / "f.txt").write_text("hi")
    with pytest.raises(PathOutsideRoot):
        mj.log_artifact(project / "f.txt", artifact_path=bad)
    with pytest.raises(PathOutsideRoot):
        tracking.current_run().log_dict({"a": 1}, bad + "/d.json")  # type: ignore[union-attr]


def test_artifacts_dicts_and_inputs(project: Path) -> None:
    import pandas as pd

    run = mj.start_run()
    (project / "model.txt").write_text("weights")
    assert mj.log_artifact(project / "model.txt", artifact_path="model") == "model/model.txt"
    handle = tracking.current_run()
    assert handle is not None
    handle.log_dict({"a": [1, 2]}, "reports/r.json")
    handle.set_tags({"team": "ds"})
    df = pd.DataFrame({"a": [1, 2, 3], "b": ["x", "y", "z"]})
    handle.log_input("train", "xxh3:0123456789abcdef", str(project / "train.csv"), tags={"split": "train"}, df=df)
    mj.end_run()
    got = _run(run)
    assert got.data.tags["team"] == "ds"
    (inp,) = got.inputs.dataset_inputs
    assert inp.dataset.digest == "xxh3:0123456789abcdef" and inp.dataset.name == "train"
    assert {t.key: t.value for t in inp.tags}["split"] == "train"
    paths = {a.path for a in run.client.list_artifacts(run.run_id, "reports")}
    assert paths == {"reports/r.json"}


def test_git_context_and_dirty_diff(git_project: Path) -> None:
    (git_project / "README.md").write_text("changed\n")
    (git_project / "new.py").write_text("x = 1\n")
    git(git_project, "remote", "add", "origin", "https://user:secret@example.com/repo.git")
    run = mj.start_run()
    mj.end_run()
    tags = _run(run).data.tags
    assert tags["mlflow.source.git.commit"] == git(git_project, "rev-parse", "HEAD")
    assert tags["mlflow.source.git.branch"] == "main"
    assert tags["mlflow.source.git.repoURL"] == "https://user:***@example.com/repo.git"
    assert tags["mlops.git.dirty"] == "true"
    assert tags["mlops.python"] == ".".join(map(str, sys.version_info[:3]))
    diff = Path(run.client.download_artifacts(run.run_id, "code/uncommitted.diff", str(git_project / "dl"))).read_text()
    assert "+changed" in diff and "# untracked: new.py" in diff
    reqs = Path(run.client.download_artifacts(run.run_id, "environment/requirements.txt", str(git_project / "dl"))).read_text()
    assert "mlflow==" in reqs


def test_notebook_path_snapshot_and_papermill_parameters(project: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from tests.notebooks import make_notebook

    nb = project / "train.ipynb"
    make_notebook([("lr = 0.1\nepochs = 3\nname = 'base'", ["parameters"]), ("lr = 0.5", ["injected-parameters"]), "x = 1"], nb)
    monkeypatch.setenv("JPY_SESSION_NAME", "train.ipynb")
    run = mj.start_run()
    mj.end_run()
    got = _run(run)
    assert got.data.tags["mlops.notebook.path"] == str(nb.resolve())
    assert got.data.tags["mlflow.source.type"] == "NOTEBOOK"
    assert got.data.params == {"lr": "0.5", "epochs": "3", "name": "base"}
    names = {a.path for a in run.client.list_artifacts(run.run_id, "notebook")}
    assert names == {"notebook/train.ipynb"}


def test_file_store_uri_gives_a_clear_error(project: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MLFLOW_TRACKING_URI", str(project / "mlruns"))
    with pytest.raises(TrackingError, match="FileStore") as exc:
        mj.start_run()
    assert "sqlite:///" in (exc.value.hint or "")


def test_track_context_manager_statuses(project: Path) -> None:
    with mj.track(name="ok") as ok:
        mj.log(a=1)
    with pytest.raises(ValueError), mj.track(name="bad") as bad:
        raise ValueError("boom")
    with pytest.raises(KeyboardInterrupt), mj.track(name="stopped") as stopped:
        raise KeyboardInterrupt
    assert _run(ok).info.status == "FINISHED"
    assert _run(bad).info.status == "FAILED"
    assert _run(bad).data.tags["mlops.error"] == "ValueError: boom"
    assert _run(stopped).info.status == "KILLED"


def test_no_active_run_and_bad_status(project: Path) -> None:
    with pytest.raises(NoActiveRun):
        mj.log(a=1)
    with pytest.raises(NoActiveRun):
        mj.end_run()
    mj.start_run()
    from mlops_jupyter.errors import MlopsUsageError

    with pytest.raises(MlopsUsageError):
        mj.end_run(status="DONE")
    with pytest.raises(MlopsUsageError, match="invalid metric name"):
        mj.log(**{"bad\nname": 1})


def test_start_while_active_ends_previous(project: Path) -> None:
    first = mj.start_run(name="one")
    with pytest.warns(UserWarning, match="ending the active run"):
        second = mj.start_run(name="two")
    assert _run(first).info.status == "FINISHED"
    assert mj.active_run() is second


def test_read_only_profile_refuses_writes_interactively(project: Path) -> None:
    (project / "mlops.toml").write_text('[env.prod]\ninteractive = "read-only"\n[env.dev]\n')
    session.interactive = True
    session.use_env("prod")
    with pytest.raises(ReadOnlyEnvironment, match="start a run"):
        mj.start_run()
    session.use_env("dev")
    mj.start_run()
    session.use_env("prod")
    with pytest.raises(ReadOnlyEnvironment, match="log"):
        mj.log(a=1)
    handle = tracking.current_run()
    assert handle is not None
    with pytest.raises(ReadOnlyEnvironment):
        handle.log_metrics({"a": 1.0})  # other topics' writes are guarded too
    with pytest.raises(ReadOnlyEnvironment):
        handle.set_tags({"a": "b"})
    session.use_env("dev")
    mj.end_run()


def test_compare_with_best_run(project: Path) -> None:
    for name, acc, depth in (("a", 0.8, 3), ("b", 0.9, 5), ("c", 0.85, 4)):
        with mj.track(name=name):
            mj.log(acc=acc, depth=str(depth))
    result = mj.compare()
    assert result.metric == "acc" and result.mode == "max"
    assert result.best["run_name"] == "b" and not result.ok  # c (0.85) < b (0.9)
    assert ("acc", 0.85, 0.9) in result.metrics
    assert result.params == [("depth", "4", "5")]
    assert "acc (max): run c is worse than the best run, b (" in str(result) and "mlops-card" in result._repr_html_()
    fig = result.figure()
    assert len(fig.data) == 2
    lowest = mj.compare(metric="acc", mode="min")
    assert lowest.best["run_name"] == "a" and not lowest.ok
    with mj.track(name="d"):
        mj.log(acc=0.95)
    best = mj.compare()
    assert best.ok and "acc (max): run d is the best so far, ahead of b (" in str(best)
    assert "the previous best" in best._repr_html_()


def test_orphan_run_of_a_dead_process_is_closed_as_killed(project: Path) -> None:
    script = textwrap.dedent(
        """
        import os, mlops_jupyter as mj
        run = mj.start_run(name="orphan")
        mj.log(loss=0.5)
        run.flush()
        print(run.run_id, flush=True)
        os._exit(9)  # like a killed kernel: no atexit, no end
        """
    )
    out = subprocess.run([sys.executable, "-c", script], cwd=project, capture_output=True, text=True,
                         env=env_without_overrides(), timeout=120)
    run_id = out.stdout.strip().splitlines()[-1]
    assert list((project / ".mlops" / "runs").glob("*.json"))
    new = mj.start_run(name="next")
    orphan = new.client.get_run(run_id)
    assert orphan.info.status == "KILLED"
    assert "orphan" in orphan.data.tags["mlops.end_reason"]
    assert [m.value for m in new.client.get_metric_history(run_id, "loss")] == [0.5]
    mj.end_run()
    assert not list((project / ".mlops" / "runs").glob("*.json"))


def test_process_exit_flushes_and_ends_the_open_run(project: Path) -> None:
    script = "import mlops_jupyter as mj\nr = mj.start_run()\nprint(r.run_id)\nfor i in range(500): mj.log(loss=i, step=i)\n"
    out = subprocess.run([sys.executable, "-c", script], cwd=project, capture_output=True, text=True,
                         env=env_without_overrides(), timeout=120, check=True)
    run_id = out.stdout.strip()
    run = mj.start_run()
    assert run.client.get_run(run_id).info.status == "FINISHED"
    assert len(run.client.get_metric_history(run_id, "loss")) == 500


def test_eight_processes_on_a_fresh_sqlite_store(project: Path) -> None:
    script = textwrap.dedent(
        """
        import mlops_jupyter as mj
        with mj.track() as run:
            for i in range(100):
                mj.log(loss=i / 100, step=i)
        print(run.run_id)
        """
    )
    procs = [
        subprocess.Popen([sys.executable, "-c", script], cwd=project, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                         text=True, env=env_without_overrides())
        for _ in range(8)
    ]
    results = [p.communicate(timeout=240) for p in procs]
    assert [p.returncode for p in procs] == [0] * 8, [err[-2000:] for _, err in results]
    run = mj.start_run()
    ids = [out.strip() for out, _ in results]
    for rid in ids:
        assert run.client.get_run(rid).info.status == "FINISHED"
        assert len(run.client.get_metric_history(rid, "loss")) == 100


def test_sync_with_nothing_spooled(project: Path) -> None:
    result = mj.sync()
    assert result.ok and "nothing spooled" in str(result)


def test_cli_runs_and_sync(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from mlops_jupyter.cli import main

    with mj.track(name="listed"):
        mj.log(acc=0.9)
    assert main(["runs", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert [r["run_name"] for r in data["runs"]] == ["listed"]
    assert data["runs"][0]["metrics"] == {"acc": 0.9}
    assert main(["runs"]) == 0
    assert "listed" in capsys.readouterr().out
    assert main(["sync", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["ok"] is True


def test_run_view_card(project: Path) -> None:
    from mlops_jupyter.display.tracking import RunView

    run = mj.start_run(name="card")
    mj.log(acc=0.5)
    run.flush()
    view = RunView.of(run)
    html = view._repr_html_()
    assert "card" in html and "RUNNING" in html and "mlflow ui --backend-store-uri" in html
    assert "acc" in str(view)
    mj.end_run()


def test_live_chart_throttles_redraws() -> None:
    from mlops_jupyter.display.runchart import LiveChart

    chart = LiveChart("t", min_interval=3600, live=False)
    chart.on_points([("loss", 1.0, 0, 0)])  # first batch draws at once
    for i in range(1, 50):
        chart.on_points([("loss", 1.0 / i, 0, i), ("acc", 0.5, 0, i)])
    assert chart.redraws == 1
    chart.redraw()
    assert chart.redraws == 2
    assert {t.name: len(t.x) for t in chart.figure.data} == {"loss": 50, "acc": 49}


def test_no_warning_noise_on_a_plain_run(project: Path) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error", UserWarning)
        with mj.track():
            mj.log(a=1)


def test_autolog_lands_in_our_run(project: Path) -> None:
    from sklearn.datasets import load_iris
    from sklearn.linear_model import LogisticRegression

    X, y = load_iris(return_X_y=True)
    run = mj.start_run(autolog=True)
    LogisticRegression(max_iter=200, C=0.5).fit(X, y)
    mj.log(extra=1.0)
    mj.end_run()
    got = _run(run)
    assert got.data.params["C"] == "0.5"  # logged by mlflow.sklearn autolog
    assert "training_score" in got.data.metrics and got.data.metrics["extra"] == 1.0
    assert got.info.status == "FINISHED"
    import mlflow

    assert mlflow.active_run() is None
    # autolog's global URI does not outlive the run: profiles decide the store again
    assert "MLFLOW_TRACKING_URI" not in os.environ
    assert mj.session.profile().sources["tracking_uri"] == "embedded default"


def test_unreachable_server_at_start_gives_an_offline_run(project: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from tests.integration.servers import free_port

    monkeypatch.setenv("MLFLOW_TRACKING_URI", f"http://127.0.0.1:{free_port()}")
    with pytest.warns(UserWarning, match="recorded offline"):
        run = mj.start_run(name="away")
    assert run.run_id.startswith("offline-") and run.spooling
    mj.log(acc=0.5)
    with pytest.raises(TrackingError, match="offline"):
        mj.compare()
    mj.end_run()
    result = mj.sync()
    assert result.pending_runs == [run.run_id] and not result.ok  # kept until the server is back
    assert run.spool.path.exists()


def test_run_context_env_tags_land_on_the_run(project: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # the job runner passes its job id this way; the run must carry it from the start
    monkeypatch.setenv("MLFLOW_RUN_CONTEXT", json.dumps({"mlops.job_id": "job-123", "mlops.job_digest": "sha256:x"}))
    run = mj.start_run()
    tags = _run(run).data.tags
    assert tags["mlops.job_id"] == "job-123" and tags["mlops.job_digest"] == "sha256:x"
    mj.end_run()
    monkeypatch.setenv("MLFLOW_RUN_CONTEXT", "not json")
    with pytest.warns(UserWarning, match="MLFLOW_RUN_CONTEXT"):
        run = mj.start_run()
    assert "mlops.job_id" not in _run(run).data.tags


def test_first_run_on_a_fresh_store_prints_no_schema_chatter(tmp_path: Path) -> None:
    # MLflow logs "Creating initial MLflow database tables..." at INFO, which a kernel shows
    # as red stderr under the user's cell: the schema is created quietly
    from tests.notebooks import execute, make_notebook

    fresh = tmp_path / "fresh"  # not the pre-migrated template store the other tests use
    fresh.mkdir()
    nb = execute(make_notebook(["import mlops_jupyter as mj\nwith mj.track(name='x'):\n    mj.log(a=1.0)"]),
                 cwd=fresh)
    streams = "".join(o.get("text", "") for o in nb.cells[0].outputs if o.get("output_type") == "stream")
    assert "database tables" not in streams and "alembic" not in streams, streams
    assert (fresh / ".mlops" / "mlflow.db").exists()
