"""``mj.serve``: start scoring servers and the gateway; the :class:`Service` handle."""

from __future__ import annotations

import atexit
import json
import os
import re
import threading
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .._util import atomic_write_json
from .._views import Viewable
from ..errors import MlopsUsageError, ReadOnlyEnvironment
from ..session import session
from .models import ModelSpec, resolve_model
from .processes import (
    Proc,
    ServingError,
    free_port,
    gateway_proc,
    pid_alive,
    port_free,
    scoring_proc,
)

NAME_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")
SERVING_DIR = "serving"


def service_dir(name: str, root: Path | None = None) -> Path:
    """``.mlops/serving/NAME/`` of the project (``root``: the project root)."""
    if not NAME_RE.match(name or ""):
        raise MlopsUsageError(f"service name {name!r} is not valid",
                              hint="letters, digits, '_', '.', '-' (up to 64), starting with a letter or digit")
    base = (root / ".mlops") if root is not None else session.config().state_dir
    return base / SERVING_DIR / name


@dataclass
class ServiceStatus(Viewable):
    """Health of a service right now (``Service.status()``)."""

    name: str
    url: str
    running: bool
    health: dict[str, Any] = field(default_factory=dict)
    processes: dict[str, dict[str, Any]] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return self.running and self.health.get("status") == "ok"

    def to_dict(self) -> dict[str, Any]:
        return {"name": self.name, "url": self.url, "running": self.running, "ok": self.ok,
                "health": self.health, "processes": self.processes}

    def to_frame(self) -> Any:
        import pandas as pd

        arms = self.health.get("arms", {})
        rows = [{"arm": a, "up": v.get("up"), "model_version": v.get("model_version"),
                 "model_uri": v.get("model_uri"), "pid": self.processes.get(a, {}).get("pid")}
                for a, v in arms.items()]
        return pd.DataFrame(rows, columns=["arm", "up", "model_version", "model_uri", "pid"])


class Service:
    """A running service: scoring servers + gateway, owned by this process.

    ``.url`` is the gateway; ``.stop()`` stops every subprocess by its PID (also at
    interpreter exit and when used as a context manager).
    """

    def __init__(self, name: str, folder: Path, port: int, arms: list[ModelSpec], split: float,
                 env: str, tracking_uri: str, registry_uri: str | None, probe_interval: float = 1.0) -> None:
        self.name, self.folder, self.port, self.split, self.env = name, folder, port, split, env
        self.probe_interval = probe_interval
        self.arms = {a.arm: a for a in arms}
        self.tracking_uri, self.registry_uri = tracking_uri, registry_uri
        self.procs: dict[str, Proc] = {}
        self._lock = threading.Lock()
        self._stopped = False

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    # -- lifecycle ---------------------------------------------------------------------
    def _start(self, timeout: float = 180.0) -> Service:
        try:
            for spec in self.arms.values():
                spec.port = spec.port or free_port()
                self.procs[spec.arm] = scoring_proc(spec.arm, spec.uri, spec.port, self.tracking_uri,
                                                    self.registry_uri, self.folder).start()
            for spec in self.arms.values():
                self.procs[spec.arm].wait_ready(timeout)
            self._write_state()  # the gateway reads the scoring PIDs from here if orphaned
            self._start_gateway(timeout=60.0)
            self._write_state()
        except BaseException:  # a failed or interrupted start leaves nothing running
            self.stop(_force=True)
            raise
        atexit.register(self._atexit)
        _STARTED[self.name] = self
        return self

    def _gateway_config(self) -> Path:
        cfg = {"name": self.name, "folder": str(self.folder), "port": self.port, "host": "127.0.0.1",
               "split": self.split, "arms": [s.gateway_dict() for s in self.arms.values()],
               "probe_interval": self.probe_interval, "owner_pid": os.getpid()}
        path = self.folder / "gateway.json"
        atomic_write_json(path, cfg)
        return path

    def _start_gateway(self, timeout: float = 60.0) -> None:
        self.procs["gateway"] = gateway_proc(self._gateway_config(), self.port, self.folder).start()
        self.procs["gateway"].wait_ready(timeout)

    def restart_gateway(self, kill: bool = False) -> None:
        """Stop the gateway (SIGKILL with ``kill=True``: a crash) and start it again on the same
        port; the new gateway first flushes what the old one left in its write-ahead files."""
        with self._lock:
            self.procs["gateway"].stop(kill=kill)
            self._start_gateway()
            self._write_state()

    def restart_arm(self, arm: str, timeout: float = 180.0) -> None:
        """Start the scoring server of ``arm`` again (same model, same port)."""
        if arm not in self.arms:
            raise MlopsUsageError(f"service {self.name} has no arm {arm!r}", hint=f"arms: {', '.join(self.arms)}")
        spec = self.arms[arm]
        assert spec.port is not None
        with self._lock:
            self.procs[arm].stop()
            self.procs[arm] = scoring_proc(arm, spec.uri, spec.port, self.tracking_uri, self.registry_uri,
                                           self.folder).start()
            self.procs[arm].wait_ready(timeout)
            self._write_state()

    def stop(self, _force: bool = False) -> None:
        """Stop the gateway (it flushes its log) and the scoring servers, each by its PID."""
        if not _force:
            _check_rights(self.env, f"stop service '{self.name}'")
        with self._lock:
            gw = self.procs.get("gateway")
            if gw is not None:
                gw.stop()
            for name, proc in self.procs.items():
                if name != "gateway":
                    proc.stop()
            self._stopped = True
            if self.procs:
                self._write_state()
        atexit.unregister(self._atexit)
        if _STARTED.get(self.name) is self:
            del _STARTED[self.name]

    def _atexit(self) -> None:
        if not self._stopped:
            self.stop(_force=True)

    def __enter__(self) -> Service:
        return self

    def __exit__(self, *exc: Any) -> None:
        self.stop(_force=True)

    # -- state -------------------------------------------------------------------------
    def _write_state(self) -> None:
        atomic_write_json(self.folder / "service.json", self.state())

    def state(self) -> dict[str, Any]:
        """What ``service.json`` records: ports, PIDs, models (read by monitor and promote)."""
        return {
            "name": self.name, "url": self.url, "port": self.port, "split": self.split, "env": self.env,
            "owner_pid": os.getpid(), "stopped": self._stopped, "updated": time.time(),
            "arms": {a: {**s.to_dict(), "pid": self.procs[a].pid if a in self.procs else None}
                     for a, s in self.arms.items()},
            "gateway_pid": self.procs["gateway"].pid if "gateway" in self.procs else None,
        }

    def status(self) -> ServiceStatus:
        """Health from the gateway's ``/health`` and the state of each subprocess."""
        procs = {n: {"pid": p.pid, "alive": p.alive()} for n, p in self.procs.items()}
        return ServiceStatus(self.name, self.url, self.procs.get("gateway") is not None and self.procs["gateway"].alive(),
                             fetch_health(self.url), procs)

    def __str__(self) -> str:
        return str(self.status())

    def __repr__(self) -> str:
        return f"<Service {self.name} {self.url} arms={list(self.arms)}>"

    def _repr_html_(self) -> str | None:
        return self.status()._repr_html_()


def fetch_health(url: str, timeout: float = 3.0) -> dict[str, Any]:
    """The gateway's ``/health`` as a dict (``{"status": "unreachable"}`` when it does not answer)."""
    try:
        with urllib.request.urlopen(url + "/health", timeout=timeout) as resp:
            return dict(json.loads(resp.read()))
    except urllib.error.HTTPError as exc:  # 503: no arm up, the body still says which
        try:
            return dict(json.loads(exc.read()))
        except ValueError:
            return {"status": "down"}
    except (OSError, ValueError):
        return {"status": "unreachable"}


def _check_rights(env: str | None, action: str) -> None:
    if env is None:
        session.require_write(action)
        return
    profile = session.config().profile(env)
    if profile.read_only and not session.headless:
        raise ReadOnlyEnvironment(
            f"cannot {action}: environment '{profile.name}' is read-only from interactive kernels",
            hint="run it headless (mlops-jupyter serve / CI) or switch with %mlops_env dev",
        )


def serve(model: str, challenger: str | None = None, split: float = 0.1, env: str | None = None,
          port: int | None = None, *, name: str | None = None, probe_interval: float = 1.0,
          timeout: float = 180.0, export: tuple[str, str] | None = None) -> Any:
    """Serve ``model`` (and ``challenger`` on a ``split`` share of traffic) behind a gateway.

    ``model``/``challenger``: ``models:/NAME@ALIAS``, ``models:/NAME/VERSION`` or
    ``runs:/RUN_ID/PATH``; aliases are pinned to their version at start. ``env``: the profile
    whose tracking store holds the models (default: the active one). ``port``: the
    gateway's port on 127.0.0.1 (default: a free one). ``name``: the service name (default:
    the model's name), which names ``.mlops/serving/NAME/``. ``probe_interval``: seconds
    between health probes of each scoring server. Returns a running
    :class:`Service`; a read-only profile refuses in an interactive kernel.
    ``export=("compose" | "k8s", DIR)`` starts nothing: it writes the files that run the
    same service elsewhere and returns their paths.
    """
    if export is None:
        _check_rights(env, "start a service")
    if challenger is None:
        split = 0.0
    elif isinstance(split, bool) or not isinstance(split, (int, float)) or not 0.0 < split < 1.0:
        raise MlopsUsageError(f"split must be a share of traffic between 0 and 1 (exclusive), got {split!r}",
                              hint="e.g. split=0.1 sends 10 % of requests to the challenger")
    if port is not None and (not isinstance(port, int) or not 0 < port < 65536):
        raise MlopsUsageError(f"port must be a TCP port number, got {port!r}")
    profile = session.config().profile(env) if env else session.profile()
    specs = [resolve_model(model, "champion", profile.tracking_uri, profile.registry_uri)]
    if challenger is not None:
        specs.append(resolve_model(challenger, "challenger", profile.tracking_uri, profile.registry_uri))
    name = name or specs[0].name
    folder = service_dir(name)
    if export is not None:
        from .export import export_service

        target, directory = export
        state = {"name": name, "split": float(split), "arms": {s.arm: s.to_dict() for s in specs}}
        return export_service(state, target, directory, profile.tracking_uri)
    existing = find_service(name, required=False)
    if existing is not None and existing.get("running"):
        raise ServingError(f"service '{name}' is already running at {existing.get('url')}",
                           hint="stop it first, or pass name= for a second service")
    if port is not None and not port_free(port):
        raise ServingError(f"port {port} on 127.0.0.1 is in use", hint="choose another port or leave port=None")
    folder.mkdir(parents=True, exist_ok=True)
    svc = Service(name, folder, port or free_port(), specs, float(split), profile.name,
                  profile.tracking_uri, profile.registry_uri, float(probe_interval))
    return svc._start(timeout)


_STARTED: dict[str, Service] = {}  # services this process started and has not stopped, by name


def stop_service(name: str) -> ServiceStatus:
    """Stop service ``name`` that this process started (the API twin of ``%mlops_serve
    --stop NAME``; a script that kept the :class:`Service` may call ``.stop()`` instead)."""
    svc = _STARTED.get(name)
    if svc is None:
        raise MlopsUsageError(f"no service {name!r} was started by this process "
                              f"(running here: {', '.join(sorted(_STARTED)) or 'none'})",
                              hint="a service started elsewhere stops where it was started (or by its PIDs)")
    svc.stop()
    return svc.status()


def find_service(name: str, required: bool = True, root: Path | None = None) -> dict[str, Any] | None:
    """The recorded state of service ``name`` (``service.json``) with ``running`` computed
    from its gateway PID; None (or an error with ``required``) when there is none."""
    path = service_dir(name, root) / "service.json"
    if not path.is_file():
        if required:
            base = path.parent.parent
            known = sorted(p.name for p in base.iterdir() if (p / "service.json").is_file()) if base.is_dir() else []
            raise MlopsUsageError(f"no service named {name!r} in this project",
                                  hint=f"services: {', '.join(known)}" if known else "start one with mj.serve(...) / %mlops_serve")
        return None
    state = json.loads(path.read_text(encoding="utf-8"))
    state["folder"] = str(path.parent)
    state["running"] = not state.get("stopped") and pid_alive(state.get("gateway_pid"))
    return dict(state)
