"""A real JupyterLab server for browser tests, started the way a user starts it."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

VENV_BIN = Path(sys.executable).parent


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def running_lab(root: Path, base: Path, token: str, extra_env: dict[str, str] | None = None) -> Iterator[str]:
    """JupyterLab serving ``root`` (state under ``base``); yields its URL, stops it after.

    A user's environment: no CI=true (it would make the kernel headless) and no MLOPS_ /
    MLFLOW_TRACKING / JPY_ overrides; the "Jupyter news" toast is disabled so it covers
    no button.
    """
    labconfig = base / "config" / "labconfig"
    labconfig.mkdir(parents=True, exist_ok=True)
    (labconfig / "page_config.json").write_text(
        '{"disabledExtensions": {"@jupyterlab/apputils-extension:announcements": true}}')
    env = {k: v for k, v in os.environ.items()
           if k != "CI" and not k.startswith(("MLOPS_", "MLFLOW_TRACKING", "JPY_"))}
    env.update(JUPYTER_RUNTIME_DIR=str(base / "runtime"), JUPYTER_CONFIG_DIR=str(base / "config"),
               IPYTHONDIR=str(base / "ipython"), PATH=f"{VENV_BIN}{os.pathsep}{env.get('PATH', '')}",
               **(extra_env or {}))
    port = free_port()
    log_path = base / "lab.log"
    with log_path.open("w") as log:
        proc = subprocess.Popen(
            [str(VENV_BIN / "jupyter"), "lab", "--no-browser", "--allow-root", f"--IdentityProvider.token={token}",
             "--ServerApp.ip=127.0.0.1", f"--port={port}", f"--ServerApp.root_dir={root}",
             "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate",
             "--ServerApp.open_browser=False", "--LabApp.expose_app_in_browser=True"],
            cwd=root, env=env, stdout=log, stderr=subprocess.STDOUT,
        )
        url = f"http://127.0.0.1:{port}"
        try:
            deadline = time.time() + 60
            while True:
                try:
                    with urllib.request.urlopen(f"{url}/api/status?token={token}", timeout=2) as resp:
                        if resp.status == 200:
                            break
                except OSError:
                    pass
                if proc.poll() is not None or time.time() > deadline:
                    pytest.fail("JupyterLab did not start:\n" + log_path.read_text()[-3000:])
                time.sleep(0.5)
            yield url
        finally:
            proc.terminate()
            try:
                proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()


def record_stopped_service(proj: Path, name: str = "churn") -> None:
    """A service as ``mj.serve`` leaves it after ``stop()``: its ``service.json`` and an
    inference log written by the gateway's own log writer (two arms, one server error), so the
    panel's Services section has something real to show without starting model servers."""
    import json

    from mlops_jupyter.serving.log import RecordLog

    folder = proj / ".mlops" / "serving" / name
    folder.mkdir(parents=True)
    (folder / "service.json").write_text(json.dumps({
        "name": name, "url": "http://127.0.0.1:9", "stopped": True, "split": 0.2, "env": "dev", "gateway_pid": None,
        "arms": {"champion": {"requested": f"models:/{name}@champion", "version": "3"},
                 "challenger": {"requested": f"models:/{name}@challenger", "version": "4"}}}))
    log = RecordLog(folder, "requests")
    log.open()
    now = time.time()
    for i in range(12):
        arm = "challenger" if i % 4 == 0 else "champion"
        log.append({"request_id": f"r{i}", "time": now - 10 + i / 10, "arm": arm, "status": 503 if i == 5 else 200,
                    "latency_ms": 5.0 + i})
    log.close()
