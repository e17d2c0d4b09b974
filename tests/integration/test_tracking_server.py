"""Tracking against real ``mlflow server`` subprocesses: outage mid-run, team mode on PostgreSQL."""

from __future__ import annotations

import warnings
from pathlib import Path

import pytest

import mlops_jupyter as mj
from mlops_jupyter import tracking
from tests.integration.servers import (
    MlflowServer,
    PostgresServer,
    postgres_bin,
    sqlite_store_template,
)

pytestmark = pytest.mark.slow


def test_server_killed_mid_run_every_metric_once_after_sync(
    project: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, tmp_path_factory: pytest.TempPathFactory
) -> None:
    import shutil

    db = tmp_path / "server.db"
    shutil.copyfile(sqlite_store_template(tmp_path_factory.getbasetemp()), db)
    server = MlflowServer(f"sqlite:///{db}", tmp_path / "artifacts").start()
    try:
        monkeypatch.setenv("MLFLOW_TRACKING_URI", server.uri)
        run = mj.start_run(name="outage")
        for i in range(50):
            mj.log(loss=i / 100, step=i)
        mj.log(model="rf")
        run.flush()
        server.kill()  # the server dies mid-run
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            for i in range(50, 100):
                mj.log(loss=i / 100, step=i)
            (project / "model.txt").write_text("weights")
            mj.log_artifact(project / "model.txt", artifact_path="model")
            mj.end_run()
        spool_warnings = [w for w in caught if "spooled" in str(w.message)]
        assert len(spool_warnings) == 1  # warned once
        assert run.spooling and run.spool.path.exists()
        assert "still spooled" in str(mj.sync())  # still down: nothing lost, nothing sent
        with pytest.warns(UserWarning, match="recorded offline"):
            offline = mj.start_run(name="while-down")  # the server is down at start
        for i in range(30):
            mj.log(acc=i / 30, step=i)
        mj.log(kind="offline")
        mj.end_run()

        server.start()  # same port, same store
        first = mj.sync()
        assert first.ok and len(first.replayed_runs) == 2 and run.run_id in first.replayed_runs
        assert "nothing spooled" in str(mj.sync())  # idempotent: second sync has nothing to do
        client = run.client
        history = client.get_metric_history(run.run_id, "loss")
        assert sorted(m.step for m in history) == list(range(100))  # every metric exactly once
        got = client.get_run(run.run_id)
        assert got.info.status == "FINISHED"
        assert got.data.params == {"model": "rf"}
        assert [a.path for a in client.list_artifacts(run.run_id, "model")] == ["model/model.txt"]
        (created,) = client.search_runs([run.experiment_id], filter_string="attributes.run_name = 'while-down'")
        assert created.info.run_id in first.replayed_runs and created.info.status == "FINISHED"
        assert created.data.params == {"kind": "offline"} and created.data.tags["mlops.offline"] == "true"
        assert sorted(m.step for m in client.get_metric_history(created.info.run_id, "acc")) == list(range(30))
        assert offline.run_id.startswith("offline-")
    finally:
        server.kill()


def test_replay_is_idempotent_when_interrupted(project: Path, tmp_path: Path, tmp_path_factory: pytest.TempPathFactory) -> None:
    """A replay that stopped half-way (progress file lost) sends everything again: no duplicates."""
    from mlops_jupyter.tracking import spool as spool_mod
    from tests.integration.servers import use_store_template

    use_store_template(project, tmp_path_factory.getbasetemp())
    run = mj.start_run()
    run.writer.spooling = True  # as if the store had gone away
    for i in range(10):
        mj.log(acc=i / 10, step=i)
    mj.log(model="rf")
    run.log_input("train", "xxh3:feedbeef", "data/train.csv")
    (project / "notes.txt").write_text("spooled file")
    mj.log_artifact(project / "notes.txt", artifact_path="docs")
    (project / "notes.txt").unlink()  # the spool kept its own copy
    run.flush()
    copy = run.spool.path.read_text()
    mj.end_run()
    assert run.client.get_run(run.run_id).info.status == "RUNNING"  # nothing reached the store yet
    state = project / ".mlops"
    assert spool_mod.replay(state).replayed_runs == [run.run_id]
    run.spool.path.write_text(copy)  # replay again from the start
    assert spool_mod.replay(state).ok
    assert sorted(m.step for m in run.client.get_metric_history(run.run_id, "acc")) == list(range(10))
    got = run.client.get_run(run.run_id)
    assert got.info.status == "FINISHED" and got.data.params == {"model": "rf"}
    assert [d.dataset.digest for d in got.inputs.dataset_inputs] == ["xxh3:feedbeef"]
    assert [a.path for a in run.client.list_artifacts(run.run_id, "docs")] == ["docs/notes.txt"]


@pytest.mark.postgres
@pytest.mark.skipif(postgres_bin() is None, reason="Debian's PostgreSQL server binaries (/usr/lib/postgresql/*/bin) are not installed")
def test_team_mode_mlflow_server_on_postgresql(project: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    pg = PostgresServer(tmp_path / "pg").start()
    server = None
    try:
        server = MlflowServer(pg.uri, tmp_path / "artifacts").start()
        monkeypatch.setenv("MLFLOW_TRACKING_URI", server.uri)
        (project / "report.txt").write_text("ok")
        with mj.track(name="team", experiment="team-exp") as run:
            for i in range(20):
                mj.log(loss=1 / (i + 1), step=i)
            mj.log(model="gbm")
            mj.log_artifact(project / "report.txt")
        client = run.client
        got = client.get_run(run.run_id)
        assert got.info.status == "FINISHED" and got.data.params == {"model": "gbm"}
        assert len(client.get_metric_history(run.run_id, "loss")) == 20
        assert (tmp_path / "artifacts").rglob("report.txt")  # served artifact folder
        assert any(p.name == "report.txt" for p in (tmp_path / "artifacts").rglob("*"))
        view = tracking.last_run()
        assert view is not None
        from mlops_jupyter.display.tracking import RunView

        link = RunView.of(view).link
        assert link == f"{server.uri}/#/experiments/{run.experiment_id}/runs/{run.run_id}"
    finally:
        if server is not None:
            server.stop()
        pg.stop()
