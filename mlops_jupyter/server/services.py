"""What the REST routes do, as plain blocking functions (run off the event loop).

No tornado here: each function takes the server root and checked paths, resolves the
project configuration of the notebook in question, calls the core API and returns a
JSON-safe dict. Topics that are not installed or not configured are reported as such
(``available: False`` with a reason) instead of failing the whole panel.
"""

from __future__ import annotations

import importlib
import os
import threading
import urllib.error
import urllib.request
from importlib import metadata
from pathlib import Path
from typing import Any

from .._util import json_safe
from ..config import Profile, ProjectConfig, load_config, mask_secret
from ..errors import ExportError, MlopsError

FEATURES = {
    "tracking": ("mlops_jupyter.tracking", "start_run"),
    "data": ("mlops_jupyter.data", "data_status"),
    "validation": ("mlops_jupyter.validation", "validate"),
    "drift": ("mlops_jupyter.drift_detection", "drift"),
    "export": ("mlops_jupyter.export", "export_notebook"),
}
HEALTH_TIMEOUT = 3.0
_SESSION_LOCK = threading.Lock()


class ExportUnavailable(ExportError):
    """The export topic is not part of this installation."""

    http_status = 501


def project(root: Path | str, notebook: Path | None = None) -> tuple[ProjectConfig, Profile]:
    """Config and active profile for ``notebook`` (its folder) or the server root."""
    start = notebook.parent if notebook is not None else Path(root)
    cfg = load_config(start)
    name = os.environ.get("MLOPS_ENV") or cfg.default_env
    return cfg, cfg.profile(name)


def feature(name: str) -> tuple[bool, str | None]:
    """Whether a topic's API is available in this installation, and why not."""
    module_name, attr = FEATURES[name]
    try:
        module = importlib.import_module(module_name)
    except ImportError as exc:
        return False, f"{module_name} is not available in this installation ({exc.name})"
    if not hasattr(module, attr):
        return False, f"{module_name}.{attr} is not available in this installation"
    return True, None


def _version(dist: str) -> str | None:
    try:
        return metadata.version(dist)
    except metadata.PackageNotFoundError:
        return None


def _store_health(uri: str) -> dict[str, Any]:
    from ..tracking.query import list_experiments
    from ..tracking.store import scrub, store_exists

    masked = mask_secret(uri)
    if uri.startswith("sqlite:"):
        if not store_exists(uri):
            return {"reachable": True, "kind": "sqlite", "uri": masked, "detail": "empty (no run tracked yet)"}
        try:
            list_experiments(uri, max_results=1)
        except MlopsError as exc:
            return {"reachable": False, "kind": "sqlite", "uri": masked, "detail": scrub(exc.message)}
        return {"reachable": True, "kind": "sqlite", "uri": masked, "detail": "ok"}
    if uri.startswith(("http://", "https://")):
        # The tracking server's own health endpoint, with a short bounded timeout: MLflow's
        # client would retry for minutes on a server that is down.
        from urllib.parse import urlsplit, urlunsplit

        parts = urlsplit(uri)
        netloc = parts.hostname or ""
        if parts.port:
            netloc += f":{parts.port}"
        url = urlunsplit((parts.scheme, netloc, parts.path.rstrip("/") + "/health", "", ""))
        try:
            with urllib.request.urlopen(url, timeout=HEALTH_TIMEOUT) as resp:
                ok = 200 <= resp.status < 300
            return {"reachable": ok, "kind": "server", "uri": masked, "detail": "ok" if ok else f"HTTP {resp.status}"}
        except (urllib.error.URLError, OSError, ValueError) as exc:
            reason = getattr(exc, "reason", exc)
            return {"reachable": False, "kind": "server", "uri": masked, "detail": scrub(str(reason))[:300]}
    return {"reachable": None, "kind": "other", "uri": masked, "detail": "not checked"}


def health(root: Path | str) -> dict[str, Any]:
    """Store reachable, versions, active profile and which topics are available."""
    from .. import __version__

    features: dict[str, Any] = {}
    for name in FEATURES:
        ok, reason = feature(name)
        features[name] = {"available": ok, "reason": reason}
    out: dict[str, Any] = {
        "ok": True,
        "versions": {
            "mlops_jupyter": __version__,
            "mlflow": _version("mlflow"),
            "dvc": _version("dvc"),
            "jupyterlab": _version("jupyterlab"),
        },
        "features": features,
    }
    try:
        cfg, profile = project(root)
    except MlopsError as exc:
        out.update(ok=False, profile=None, store=None, config_error=exc.to_dict())
        return out
    out["profile"] = profile.to_dict()
    out["config_source"] = cfg.describe_source()
    out["store"] = _store_health(profile.tracking_uri)
    out["ok"] = bool(out["store"]["reachable"] is not False)
    return out


def experiments(root: Path | str) -> dict[str, Any]:
    """The experiments of the active profile's store and the profile's default experiment."""
    from ..tracking.query import list_experiments

    _, profile = project(root)
    return {"default": profile.experiment, "experiments": list_experiments(profile.tracking_uri)}


def runs(
    root: Path | str,
    notebook: tuple[Path, str] | None,
    experiment: str | None,
    **query: Any,
) -> dict[str, Any]:
    """A page of runs: of ``notebook`` (every experiment) or of ``experiment``/the default."""
    from ..tracking.query import search_runs

    _, profile = project(root, notebook[0] if notebook else None)
    if experiment is None and notebook is None:
        experiment = profile.experiment
    # Runs record the notebook's real absolute path (tracking/context.py resolves it).
    page = search_runs(
        profile.tracking_uri, experiment, notebook=str(notebook[0]) if notebook else None, **query
    )
    out = page.to_dict()
    out["ui_url"] = profile.ui_url
    out["profile"] = profile.name
    return out


def run_details(root: Path | str, run_id: str, notebook: Path | None) -> dict[str, Any]:
    """One run with histories, tags, artifacts and its notebook snapshot link."""
    from ..tracking.query import get_run

    _, profile = project(root, notebook)
    return get_run(profile.tracking_uri, run_id, ui_url=profile.ui_url)


def datasets(root: Path | str, notebook: Path | None) -> dict[str, Any]:
    """Dataset pins and their status, or why that section is not available/configured."""
    ok, reason = feature("data")
    if not ok:
        return {"available": False, "configured": False, "reason": reason, "status": None}
    from .. import data as data_api
    from ..session import session

    start = notebook.parent if notebook is not None else Path(root)
    # data_status() starts from the session's start dir; the server's session is private
    # to this process, so borrow it under a lock for the duration of the call.
    with _SESSION_LOCK:
        saved = session.start_dir
        session.start_dir = start
        try:
            result = data_api.data_status(check_remote=True)
        except MlopsError as exc:
            return {"available": True, "configured": False, "reason": exc.message, "hint": exc.hint, "status": None}
        finally:
            session.start_dir = saved
    payload = result.to_dict() if hasattr(result, "to_dict") else result
    return {"available": True, "configured": True, "reason": None, "status": json_safe(payload)}


def checks(root: Path | str, notebook: tuple[Path, str] | None) -> dict[str, Any]:
    """Latest validation / drift / gate verdicts of ``notebook`` (all notebooks when None).

    A check records the notebook as the kernel was told it (absolute from the side panel,
    relative from some runners), so both spellings are looked up.
    """
    from ..checks import latest_checks

    cfg, _ = project(root, notebook[0] if notebook else None)
    if notebook is None:
        entries = latest_checks(notebook=None, root=cfg.root)
    else:
        merged: dict[tuple[str, str], dict[str, Any]] = {}
        for name in dict.fromkeys((str(notebook[0]), notebook[1], os.path.join(str(root), notebook[1]))):
            for entry in latest_checks(notebook=name, root=cfg.root):
                key = (entry.get("kind", ""), entry.get("name", ""))
                if key not in merged or entry.get("time", 0) > merged[key].get("time", 0):
                    merged[key] = entry
        entries = sorted(merged.values(), key=lambda e: e.get("time", 0), reverse=True)
    return {
        "available": True,
        "checks": json_safe(entries),
        "validation": feature("validation")[0],
        "drift": feature("drift")[0],
    }


def export(root: Path | str, notebook_real: Path, options: dict[str, Any]) -> dict[str, Any]:
    """Export the notebook as a job folder; reply the result with the full job spec."""
    ok, reason = feature("export")
    if not ok:
        raise ExportUnavailable(f"export is not available: {reason}")
    from .. import export as export_api
    from ..session import session

    # export_notebook() resolves the project from the session's start dir: borrow it.
    with _SESSION_LOCK:
        saved = session.start_dir
        session.start_dir = notebook_real.parent
        try:
            result = export_api.export_notebook(notebook_real, **options)
        finally:
            session.start_dir = saved
    payload = dict(json_safe(result.to_dict()))
    payload["spec"] = json_safe(result.spec)
    job_dir = os.path.realpath(str(result.job_dir))
    root_real = os.path.realpath(root)
    inside = job_dir == root_real or job_dir.startswith(root_real.rstrip(os.sep) + os.sep)
    payload["job_dir_relative"] = os.path.relpath(job_dir, root_real) if inside else None
    return payload


SERVING_WINDOW_S = 300.0  # the Services section's "last window"
SERVING_HEALTH_TIMEOUT = 1.0


def serving(root: Path | str, notebook: Path | None) -> dict[str, Any]:
    """The project's services (``.mlops/serving/*/service.json``): running or not, health of
    each arm from the gateway's ``/health``, and the last five minutes of the inference log
    per arm (requests, server errors, p95 latency). A service whose files cannot be read is
    listed with the reason instead of hiding the others."""
    cfg, _ = project(root, notebook)
    base = cfg.root / ".mlops" / "serving"
    services: list[dict[str, Any]] = []
    if base.is_dir():
        for folder in sorted(p for p in base.iterdir() if (p / "service.json").is_file()):
            try:
                services.append(_service_entry(folder, cfg.root))
            except (MlopsError, OSError, ValueError, KeyError, TypeError) as exc:
                services.append({"name": folder.name, "error": f"{type(exc).__name__}: {exc}"[:300]})
    return {"available": True, "window_s": SERVING_WINDOW_S, "services": json_safe(services)}


def _service_entry(folder: Path, project_root: Path) -> dict[str, Any]:
    import time

    from ..serving.service import fetch_health, find_service

    state = find_service(folder.name, root=project_root) or {}
    running = bool(state.get("running"))
    health: dict[str, Any] = (fetch_health(str(state["url"]), timeout=SERVING_HEALTH_TIMEOUT) if running
                              else {"status": "stopped"})
    up = {a: bool(v.get("up")) for a, v in (health.get("arms") or {}).items()}
    arms = [{"arm": a, "model": s.get("requested") or s.get("uri"), "version": s.get("version"),
             "up": up.get(a) if running else None}
            for a, s in (state.get("arms") or {}).items()]
    now = time.time()
    return {"name": folder.name, "url": state.get("url"), "running": running, "env": state.get("env"),
            "split": state.get("split"), "status": health.get("status", "unknown"), "arms": arms,
            "last": _last_window(folder, now - SERVING_WINDOW_S)}


def _last_window(folder: Path, since: float) -> list[dict[str, Any]]:
    """Per arm since ``since``: requests, server errors (5xx), p95 latency of answered ones."""
    from ..serving.log import read_log

    log = read_log(folder, "requests", since=since)
    out = []
    for arm, rows in log.groupby("arm"):
        lat = rows.loc[rows["status"] < 500, "latency_ms"]
        out.append({"arm": str(arm), "requests": len(rows), "errors": int((rows["status"] >= 500).sum()),
                    "p95_latency_ms": float(lat.quantile(0.95)) if len(lat) else None})
    return out
