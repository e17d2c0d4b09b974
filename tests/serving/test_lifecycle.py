"""Starting and stopping services: rights, bad models, the CLI and the magic (real processes)."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import httpx
import pytest

import mlops_jupyter as mj
from mlops_jupyter.errors import MlopsUsageError, ReadOnlyEnvironment, TrackingError
from mlops_jupyter.serving.processes import pid_alive
from mlops_jupyter.session import session

from .conftest import Zoo, rows


def test_a_read_only_profile_cannot_start_a_service_from_an_interactive_kernel(project: Path) -> None:
    (project / "mlops.toml").write_text('[env.dev]\n[env.prod]\ninteractive = "read-only"\n')
    session.interactive = True
    with pytest.raises(ReadOnlyEnvironment, match="start a service"):
        mj.serve("models:/churn@champion", env="prod")
    session.use_env("prod")
    with pytest.raises(ReadOnlyEnvironment):
        mj.serve("models:/churn@champion")
    assert not (project / ".mlops" / "serving").exists()


@pytest.mark.parametrize("bad", ["churn", "models:/churn", "runs:/xyz/model", "s3://b/m", 3])
def test_a_model_that_is_not_a_model_uri_is_a_usage_error(project: Path, bad: Any) -> None:
    with pytest.raises(MlopsUsageError, match="models:/NAME@ALIAS"):
        mj.serve(bad)


def test_bad_split_and_unknown_alias_are_clear_errors(in_zoo: Zoo) -> None:
    with pytest.raises(MlopsUsageError, match="split"):
        mj.serve("models:/churn@champion", challenger="models:/churn@challenger", split=1.5)
    with pytest.raises(TrackingError, match="cannot serve models:/churn@nope"):
        mj.serve("models:/churn@nope")


@pytest.mark.slow
def test_cli_serves_until_sigterm_and_stops_every_process(in_zoo: Zoo) -> None:
    env = {k: v for k, v in os.environ.items() if k not in ("MLFLOW_TRACKING_URI", "MLOPS_ENV")}
    env["PYTHONPATH"] = str(Path(__file__).resolve().parents[2])
    cli = str(Path(sys.executable).with_name("mlops-jupyter"))
    proc = subprocess.Popen([cli, "serve", "models:/churn@champion", "--name", "cli", "--json"], cwd=in_zoo.root,
                            env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True)
    try:
        assert proc.stdout is not None
        state = json.loads(proc.stdout.readline())
        pids = [state["gateway_pid"], state["arms"]["champion"]["pid"]]
        assert all(pid_alive(p) for p in pids)
        r = httpx.post(state["url"] + "/invocations", json={"inputs": rows(in_zoo, 2)}, timeout=30)
        assert r.status_code == 200 and r.headers["X-Model-Version"] == "1"
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=60) == 0
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
    assert not any(pid_alive(p) for p in pids)
    found = mj.serving.find_service("cli")
    assert found is not None and found["running"] is False and found["stopped"] is True


@pytest.mark.slow
def test_magic_serves_and_stops_by_name(in_zoo: Zoo) -> None:
    from IPython.testing import globalipapp

    globalipapp.start_ipython()
    ip = globalipapp.get_ipython()
    ip.run_line_magic("load_ext", "mlops_jupyter")
    try:
        svc = ip.run_line_magic("mlops_serve", "models:/churn/1 --name mg")
        assert svc.status().ok and svc.arms["champion"].version == "1"
        pids = [p.pid for p in svc.procs.values()]
        status = ip.run_line_magic("mlops_serve", "--stop mg")  # through its API twin, mj.stop_service
        assert status.running is False
        assert not any(pid_alive(p) for p in pids)
        import mlops_jupyter as mj
        from mlops_jupyter.errors import MlopsUsageError

        with pytest.raises(MlopsUsageError, match="no service 'mg' was started by this process"):
            mj.stop_service("mg")
    finally:
        ip.run_line_magic("unload_ext", "mlops_jupyter")


def test_magic_script_form_is_the_api_call() -> None:
    from mlops_jupyter.magics.serving import export_monitor, export_serve

    assert export_serve("models:/churn@champion --challenger models:/churn@challenger --split 0.2 --port 8080") == \
        "mj.serve(model='models:/churn@champion', challenger='models:/churn@challenger', split=0.2, port=8080)"
    assert export_serve("--stop churn") == "mj.stop_service('churn')"  # a job stops what it started
    assert export_monitor("churn --reference train_df --window 10min") == \
        "mj.monitor('churn', reference=train_df, window='10min')"


@pytest.mark.slow
def test_a_killed_owner_leaves_no_process_behind(in_zoo: Zoo) -> None:
    # The owner is a real process (the CLI) killed with SIGKILL: nothing runs its cleanup.
    env = {k: v for k, v in os.environ.items() if k not in ("MLFLOW_TRACKING_URI", "MLOPS_ENV")}
    env["PYTHONPATH"] = str(Path(__file__).resolve().parents[2])
    cli = str(Path(sys.executable).with_name("mlops-jupyter"))
    proc = subprocess.Popen([cli, "serve", "models:/churn@champion", "--name", "orphan", "--json"], cwd=in_zoo.root,
                            env=env, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True, start_new_session=True)
    assert proc.stdout is not None
    state = json.loads(proc.stdout.readline())
    pids = [state["gateway_pid"], state["arms"]["champion"]["pid"]]
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait(timeout=30)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and any(pid_alive(p) for p in pids):
        time.sleep(0.3)
    assert not any(pid_alive(p) for p in pids)
    events = (in_zoo.root / ".mlops" / "serving" / "orphan" / "health.jsonl").read_text()
    assert "is gone: stopping the service" in events and "gateway stopped" in events
