"""The tracking API: start, log, end, sync, compare (``import mlops_jupyter as mj``).

One active run per process lives on ``session.run``. MLflow is imported on the first
start, never at import time of this module.
"""

from __future__ import annotations

import atexit
import contextlib
import getpass
import os
import sys
import time
import warnings
from pathlib import Path
from types import TracebackType
from typing import Any

from ..config import mask_secret
from ..errors import NoActiveRun, TrackingError
from ..session import session
from . import context, leases, spool, store
from .history import recorder
from .run import STATUSES, RunHandle, as_metric, warn_offline

_ENDED = "tracking.last_run"


def active_run() -> RunHandle | None:
    """The active run's handle, or None."""
    return session.run if isinstance(session.run, RunHandle) else None


def current_run() -> RunHandle | None:
    """The active run for other topics (data, validation, drift) to log into, or None."""
    return active_run()


def _require_run() -> RunHandle:
    run = active_run()
    if run is None:
        raise NoActiveRun("no active run")
    return run


def start_run(
    name: str | None = None,
    experiment: str | None = None,
    tags: dict[str, Any] | None = None,
    autolog: bool = False,
    description: str | None = None,
) -> RunHandle:
    """Start a run in the active profile's store and capture its context.

    An active run is ended first (FINISHED). Spooled events are replayed and runs left
    open by dead kernels are closed as KILLED before the new run starts.
    """
    profile = session.require_write("start a run")
    uri = store.check_uri(profile.tracking_uri)
    _end_previous_run()
    cfg = session.config()
    state_dir = cfg.ensure_state_dir()  # with its .gitignore, before the store is created in it
    exp_name = experiment or profile.experiment
    offline = not store.reachable(uri)
    client: Any = None
    exp_id = ""
    if not offline:
        _replay_quietly(state_dir)
        leases.close_orphans(state_dir, {p.stem for p in spool.pending(state_dir)})
        with store.store_errors("cannot start the run", uri, hint="check the store with `mlops-jupyter doctor`"):
            with _first_start_progress(uri):
                client = store.get_client(uri)
            exp_id = store.ensure_experiment(client, exp_name, uri)

    nb_path = context.notebook_path()
    git = context.git_info(cfg.root)
    env_tags, freeze = context.environment_info()
    base_tags = _run_tags(profile.name, nb_path, description, git, env_tags, tags)

    if offline:
        handle = _offline_run(uri, exp_name, name, base_tags, state_dir)
    else:
        try:
            created = store.retry_locked(lambda: client.create_run(exp_id, run_name=name, tags=base_tags))
        except Exception as exc:
            raise store.translate_error(exc, f"could not create a run in experiment '{exp_name}'", uri) from None
        handle = RunHandle(
            run_id=created.info.run_id, experiment_id=exp_id, experiment_name=exp_name,
            run_name=created.info.run_name, uri=uri, client=client, state_dir=state_dir, ui_url=profile.ui_url,
        )
        leases.write(state_dir, handle.run_id, uri, exp_id)
    session.run = handle
    session.state["tracking.run_started"] = time.time()
    _register_exit_hook()
    handle.captured = _capture_context(handle, git, freeze, nb_path)
    if autolog and offline:
        warnings.warn("--autolog needs the tracking server; not switched on for this offline run", stacklevel=2)
    elif autolog:
        _autolog_on(handle)
    return handle


def _end_previous_run() -> None:
    """End the active run (FINISHED), with a warning naming it."""
    previous = active_run()
    if previous is not None:
        warnings.warn(f"ending the active run {previous.run_name} ({previous.run_id[:8]}) before starting a new one", stacklevel=3)
        end_run("FINISHED")


def _run_tags(env: str, nb_path: str | None, description: str | None, git: context.GitInfo, env_tags: dict[str, str],
              tags: dict[str, Any] | None) -> dict[str, str]:
    """The new run's tags: source and user as MLflow names them, the profile and kernel kind,
    ``MLFLOW_RUN_CONTEXT``, git and environment, then the caller's ``tags`` (they win)."""
    base_tags = {
        "mlflow.user": _user(),
        "mlflow.source.name": nb_path or (os.path.abspath(sys.argv[0]) if sys.argv and sys.argv[0] else "<interactive>"),
        "mlflow.source.type": "NOTEBOOK" if nb_path else "LOCAL",
        "mlops.env": env,
        "mlops.kernel": "headless" if session.headless else "interactive",
    }
    if nb_path:
        base_tags["mlops.notebook.path"] = nb_path
    base_tags.update(_run_context_tags())
    if description:
        base_tags["mlflow.note.content"] = description
    base_tags.update(git.tags())
    base_tags.update(env_tags)
    base_tags.update({str(k): str(v) for k, v in (tags or {}).items()})
    return base_tags


def _capture_context(handle: RunHandle, git: context.GitInfo, freeze: str, nb_path: str | None) -> dict[str, Any]:
    """Log what reproduces the run (uncommitted diff, pip freeze, papermill parameters);
    returns the summary kept on ``handle.captured``."""
    captured: dict[str, Any] = {"git": git.commit[:12] if git.commit else None, "dirty": git.dirty, "notebook": nb_path}
    if git.diff or git.untracked:
        text = git.diff + ("".join(f"# untracked: {u}\n" for u in git.untracked) if git.untracked else "")
        handle.log_text(text, "code/uncommitted.diff")
        captured["diff"] = "code/uncommitted.diff"
    handle.log_text(freeze, "environment/requirements.txt")
    captured["environment"] = "environment/requirements.txt"
    params = context.papermill_parameters(context.read_notebook(nb_path))
    if params:
        handle.log_params(params)
        captured["parameters"] = sorted(params)
    return captured


def _first_start_progress(uri: str) -> Any:
    """A progress line while MLflow loads and a new store is created (first start only)."""
    from .firststart import progress

    if not store.store_exists(uri):
        return progress(f"creating the tracking store {store.sqlite_path(uri)} (first run in this project)")
    if "mlflow" not in sys.modules:
        return progress("loading MLflow (first run in this kernel)")
    return contextlib.nullcontext()


def _offline_run(uri: str, exp_name: str, name: str | None, tags: dict[str, str], state_dir: Path) -> RunHandle:
    """The server is down at start: record the run in the spool; ``sync`` creates it later."""
    import uuid

    run_id = f"offline-{uuid.uuid4().hex}"
    run_name = name or f"offline-{time.strftime('%Y%m%d-%H%M%S')}"
    handle = RunHandle(
        run_id=run_id, experiment_id="", experiment_name=exp_name, run_name=run_name, uri=uri,
        client=None, state_dir=state_dir,
    )
    handle.writer.spooling = True
    handle.spool.append({
        "op": "create", "experiment": exp_name, "run_name": run_name, "tags": {**tags, "mlops.offline": "true"},
        "start_time": int(time.time() * 1000),
    })
    handle.warned_spool = True
    warn_offline(
        f"tracking server {mask_secret(uri)} is unreachable: run {run_name} is recorded offline, NOT on "
        f"the server, in {handle.spool.path}; it is sent by `%mlops_track sync` (or mj.sync(), or the "
        "next start) after it has ended",
        stacklevel=3,
    )
    return handle


def _run_context_tags() -> dict[str, str]:
    """Tags from MLflow's ``MLFLOW_RUN_CONTEXT`` (a JSON object), as its fluent API applies them.

    The job runner passes the job id, digest and source run this way, so the runs a job
    makes carry them from their first moment.
    """
    import json

    raw = os.environ.get("MLFLOW_RUN_CONTEXT")
    if not raw:
        return {}
    try:
        data = json.loads(raw)
    except json.JSONDecodeError:
        warnings.warn("MLFLOW_RUN_CONTEXT is not a JSON object; ignored", stacklevel=3)
        return {}
    if not isinstance(data, dict):
        return {}
    return {str(k): str(v) for k, v in data.items()}


def _user() -> str:
    try:
        return getpass.getuser()
    except Exception:
        return "unknown"


def _autolog_on(handle: RunHandle) -> None:
    import mlflow

    # set_tracking_uri also exports MLFLOW_TRACKING_URI, which would then override every
    # profile of this process: remember the previous value and restore it at the end.
    handle.autolog_prev_uri = os.environ.get("MLFLOW_TRACKING_URI")
    mlflow.set_tracking_uri(handle.uri)
    mlflow.start_run(run_id=handle.run_id)  # autolog writes to MLflow's fluent active run
    mlflow.autolog(silent=True)
    handle.captured["autolog"] = True


def _autolog_off(handle: RunHandle, status: str) -> None:
    import mlflow

    mlflow.autolog(disable=True, silent=True)
    try:
        if mlflow.active_run() is not None:
            mlflow.end_run(status=status)
    except Exception:
        pass
    # None unsets MLFLOW_TRACKING_URI again: profiles decide the store from here on
    mlflow.set_tracking_uri(handle.autolog_prev_uri)  # type: ignore[arg-type]


def end_run(status: str = "FINISHED", capture: bool = True) -> RunHandle:
    """End the active run: flush, record cell history and the notebook, set ``status``."""
    status = status.upper()
    if status not in STATUSES:
        from ..errors import MlopsUsageError

        raise MlopsUsageError(f"status '{status}' is not one of {', '.join(STATUSES)}")
    handle = _require_run()
    session.require_write("end a run")
    try:
        if capture:
            _capture_at_end(handle)
        if handle.captured.get("autolog"):
            handle.flush()
            _autolog_off(handle, status)
        handle.terminate(status)
    finally:
        session.run = None
        session.state[_ENDED] = handle
        leases.remove(handle.state_dir, handle.run_id)
        for cb in list(handle.on_end):
            with contextlib.suppress(Exception):
                cb(handle)
    return handle


def _capture_at_end(handle: RunHandle) -> None:
    nb_path = context.notebook_path()
    nb = context.read_notebook(nb_path)
    rec = session.state.get("tracking.history")
    if rec is not None and rec.cells:
        report = recorder().report(nb, since=session.state.get("tracking.run_started"))
        handle.log_dict(report.to_dict(), "history/cells.json")
        handle.set_tags({"mlops.history": report.flag()})
        handle.captured["history"] = report.flag()
        message = report.warning()
        if message:
            warnings.warn(message, stacklevel=3)
    if nb_path and Path(nb_path).is_file():
        try:
            handle.log_artifact(nb_path, "notebook")
            handle.captured["notebook_snapshot"] = f"notebook/{Path(nb_path).name}"
        except Exception as exc:
            warnings.warn(f"could not store the notebook: {exc}", stacklevel=3)


def log(
    metrics_or_values: dict[str, Any] | None = None, /, step: int | None = None,
    params: dict[str, Any] | None = None, **values: Any,
) -> None:
    """Log values into the active run: numbers become metrics, anything else params.

    ``mj.log(loss=0.3, step=5)``, ``mj.log({"acc": 0.9, "model": "rf"})``. Hyperparameters
    that are numbers go in ``params=`` (``mj.log(params={"n_estimators": 25})``) or through
    :func:`log_params`; a plain number is a metric. Returns at once: metrics are written in
    the background (flushed by ``end_run``, ``sync`` and exit).
    """
    run = session.run
    if run is None:
        raise NoActiveRun("no active run to log into")
    if metrics_or_values:
        values = {**metrics_or_values, **values}
    metrics: dict[str, Any] = {}
    as_params: dict[str, Any] = dict(params or {})
    for key, value in values.items():
        if as_metric(value) is None:
            as_params[key] = value
        else:
            metrics[key] = value
    run.check(metrics, as_params)  # a bad name or value refuses the whole call, before anything is buffered
    if as_params:
        run.log_params(as_params)
    if metrics:
        run.log_metrics(metrics, step=step)


def log_params(params: dict[str, Any] | None = None, /, **values: Any) -> None:
    """Log hyperparameters into the active run, numbers included: ``mj.log_params(n_estimators=25)``.

    Params are immutable in MLflow: the same value again is accepted, another value raises
    :class:`ParamConflict`.
    """
    run = session.run
    if run is None:
        raise NoActiveRun("no active run to log params into", hint="start one with %mlops_track start or mj.start_run()")
    merged = {**(params or {}), **values}
    if merged:
        run.log_params(merged)


def log_artifact(path: str | Path, artifact_path: str | None = None) -> str:
    """Upload a file or folder to the active run; returns its path inside the run."""
    run = _require_run()
    session.require_write("log an artifact")
    return run.log_artifact(path, artifact_path)


def sync() -> spool.SyncResult:
    """Flush the active run and replay everything spooled while the store was unreachable."""
    run = active_run()
    if run is not None:
        run.flush()
    skip = {run.run_id} if run is not None and run.run_id.startswith("offline-") else None
    result = spool.replay(session.config().state_dir, skip_runs=skip)
    if run is not None and run.spooling and not run.spool.path.exists():
        run.writer.spooling = False
    return result


def _replay_quietly(state_dir: Path) -> None:
    if not spool.pending(state_dir):
        return
    result = spool.replay(state_dir)
    if result.replayed_runs:
        warnings.warn(str(result), stacklevel=3)


def last_run() -> RunHandle | None:
    """The run that ended last in this session (for ``status`` and ``compare``)."""
    value = session.state.get(_ENDED)
    return value if isinstance(value, RunHandle) else None


def compare(metric: str | None = None, mode: str | None = None, run_id: str | None = None) -> Any:
    """The active (or last) run against the best run of its experiment.

    ``metric`` defaults to the run's first metric; ``mode`` (min/max) defaults from the
    name (loss, error, mse... are minimised).
    """
    from .comparison import compare_runs

    handle = active_run() or last_run()
    if run_id is None and handle is None:
        raise NoActiveRun("no run to compare", hint="start one with %mlops_track start, or pass run_id")
    if handle is not None and handle.client is None:
        raise TrackingError("this run was started offline and is not in the store yet", hint="end it and run %mlops_track sync")
    if handle is not None:
        handle.flush()
        uri, rid = handle.uri, run_id or handle.run_id
    else:
        uri, rid = session.profile().tracking_uri, str(run_id)
    return compare_runs(store.get_client(uri), rid, metric=metric, mode=mode, uri=uri)


class track:
    """Context manager: a run around a block (scripts, jobs, ``%%mlops_track``).

    Ends FINISHED on success, FAILED on an exception, KILLED on KeyboardInterrupt; the
    exception propagates.
    """

    def __init__(
        self,
        name: str | None = None,
        experiment: str | None = None,
        tags: dict[str, Any] | None = None,
        autolog: bool = False,
        description: str | None = None,
    ) -> None:
        self.kwargs: dict[str, Any] = {"name": name, "experiment": experiment, "tags": tags, "autolog": autolog, "description": description}
        self.run: RunHandle | None = None

    def __enter__(self) -> RunHandle:
        self.run = start_run(**self.kwargs)
        return self.run

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None) -> None:
        if self.run is None or active_run() is not self.run:
            return
        if exc_type is None:
            status = "FINISHED"
        elif issubclass(exc_type, KeyboardInterrupt):
            status = "KILLED"
        else:
            status = "FAILED"
        if exc is not None:
            self.run.set_tags({"mlops.error": f"{exc_type.__name__ if exc_type else ''}: {exc}"[:500]})
        end_run(status)


def _register_exit_hook() -> None:
    atexit.unregister(_at_exit)  # registered once per process whatever the resets
    atexit.register(_at_exit)


def _at_exit() -> None:
    """Process exit (script end, kernel shutdown): end an open run so nothing is lost."""
    run = active_run()
    if run is None:
        return
    try:
        run.set_tags({"mlops.end_reason": "process exit with the run open"})
        end_run("FINISHED")
    except Exception as exc:  # never block interpreter exit
        print(f"mlops_jupyter: could not end run {run.run_id}: {exc}", file=sys.stderr)


def _reset_for_tests() -> None:
    """End (flush) any open run, stop background threads, forget tracking state."""
    run = active_run()
    if run is not None:
        try:
            end_run("KILLED", capture=False)
        except Exception:
            run.writer.close(timeout=10)
    session.run = None
    for key in [k for k in session.state if k.startswith("tracking.")]:
        session.state.pop(key, None)
