"""Subprocesses of a service: MLflow scoring servers and the gateway, each in its own
process group, started on 127.0.0.1 and stopped by their own PID."""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from typing import Any

from ..errors import MlopsError


class ServingError(MlopsError):
    """A scoring server or the gateway could not be started, reached or stopped."""

    http_status = 502


def free_port() -> int:
    """A TCP port free on 127.0.0.1 right now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def port_free(port: int) -> bool:
    with socket.socket() as s:
        try:
            s.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def venv_env(extra: dict[str, str] | None = None) -> dict[str, str]:
    """The environment for children: this interpreter's ``bin`` first on PATH (``mlflow
    models serve`` starts ``uvicorn`` by name) and the import path of this process."""
    env = dict(os.environ)
    bindir = str(Path(sys.executable).parent)
    env["PATH"] = bindir + os.pathsep + env.get("PATH", "")
    here = str(Path(__file__).resolve().parents[2])
    env["PYTHONPATH"] = os.pathsep.join(p for p in (here, env.get("PYTHONPATH", "")) if p)
    env.update(extra or {})
    return env


class Proc:
    """One child process in its own session (process group = its PID)."""

    def __init__(self, name: str, cmd: list[str], env: dict[str, str], log: Path, ready_url: str) -> None:
        self.name, self.cmd, self.env, self.log, self.ready_url = name, cmd, env, log, ready_url
        self.popen: subprocess.Popen[bytes] | None = None

    @property
    def pid(self) -> int | None:
        return self.popen.pid if self.popen is not None else None

    def alive(self) -> bool:
        return self.popen is not None and self.popen.poll() is None

    def start(self) -> Proc:
        self.log.parent.mkdir(parents=True, exist_ok=True)
        with self.log.open("ab") as fh:
            self.popen = subprocess.Popen(self.cmd, stdout=fh, stderr=subprocess.STDOUT, env=self.env,
                                          stdin=subprocess.DEVNULL, start_new_session=True)
        return self

    def wait_ready(self, timeout: float) -> None:
        """Poll ``ready_url`` until it answers 200; a process that exits is an error with its log."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if not self.alive():
                code = self.popen.returncode if self.popen else None
                raise ServingError(f"{self.name} exited with code {code} while starting: {self.tail()}",
                                   hint=f"full log: {self.log}")
            try:
                with urllib.request.urlopen(self.ready_url, timeout=2) as resp:
                    if resp.status == 200:
                        return
            except OSError:
                pass
            time.sleep(0.2)
        raise ServingError(f"{self.name} did not answer {self.ready_url} within {timeout:.0f} s",
                           hint=f"see its log: {self.log}")

    def tail(self, n: int = 400) -> str:
        try:
            text = self.log.read_text(errors="replace")
        except OSError:
            return ""
        return " ".join(text[-n:].split())

    def stop(self, kill: bool = False, timeout: float = 15.0) -> None:
        """SIGTERM (or SIGKILL) the process group of this child, by its PID; then reap it."""
        p = self.popen
        if p is None:
            return
        if p.poll() is None:
            _signal_group(p.pid, signal.SIGKILL if kill else signal.SIGTERM)
            try:
                p.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                _signal_group(p.pid, signal.SIGKILL)
                p.wait(timeout=timeout)
        # children of the group (uvicorn under `mlflow models serve`) go with it
        _signal_group(p.pid, signal.SIGKILL)


def _signal_group(pid: int, sig: int) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pid, sig)


def scoring_proc(arm: str, model_uri: str, port: int, tracking_uri: str, registry_uri: str | None,
                 folder: Path) -> Proc:
    """``mlflow models serve -m URI --env-manager local -h 127.0.0.1 -p PORT``."""
    mlflow = str(Path(sys.executable).with_name("mlflow"))
    cmd = [mlflow, "models", "serve", "-m", model_uri, "--env-manager", "local", "-h", "127.0.0.1",
           "-p", str(port), "-w", "1"]
    # uvicorn reads its options from UVICORN_* variables: keep idle connections longer than
    # the gateway does (gateway.UPSTREAM_IDLE_S), so the gateway always closes them first
    extra = {"MLFLOW_TRACKING_URI": tracking_uri, "UVICORN_TIMEOUT_KEEP_ALIVE": "75"}
    if registry_uri:
        extra["MLFLOW_REGISTRY_URI"] = registry_uri
    return Proc(f"scoring server '{arm}' ({model_uri})", cmd, venv_env(extra), folder / "logs" / f"{arm}.log",
                f"http://127.0.0.1:{port}/ping")


def gateway_proc(config_path: Path, port: int, folder: Path) -> Proc:
    cmd = [sys.executable, "-m", "mlops_jupyter.serving.gateway", str(config_path)]
    return Proc("gateway", cmd, venv_env(), folder / "logs" / "gateway.log", f"http://127.0.0.1:{port}/ping")


def pid_alive(pid: Any) -> bool:
    """True when a process with this PID exists (for services found on disk)."""
    if not isinstance(pid, int) or pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    try:  # a zombie (exited, not yet reaped by its parent) is not alive
        stat = Path(f"/proc/{pid}/stat").read_text()
        return stat.rsplit(")", 1)[1].split()[0] != "Z"
    except (OSError, IndexError):
        return True


def group_cpu_seconds(pgid: int | None) -> float:
    """CPU seconds (user + system) used so far by the live processes of process group
    ``pgid``: a service's subprocess leads its own group, and ``mlflow models serve`` scores
    in a uvicorn child (read from ``/proc``; 0 where there is none)."""
    total = 0
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except (OSError, IndexError):
            continue
        if int(fields[2]) == pgid:
            total += int(fields[11]) + int(fields[12])
    return total / os.sysconf("SC_CLK_TCK")
