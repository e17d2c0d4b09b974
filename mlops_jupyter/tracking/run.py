"""The active run: a handle that buffers metrics, checks params, and uploads artifacts.

Every value is checked in the caller's thread so that mistakes surface in the cell that
made them (MLflow would fail later, in the background, or change the value silently):
non-finite metrics, parameter conflicts, over-long params, unsafe artifact names.
"""

from __future__ import annotations

import functools
import json
import math
import numbers
import os
import posixpath
import re
import tempfile
import threading
import time
import warnings
from collections.abc import Callable
from pathlib import Path, PurePosixPath
from typing import Any

from ..errors import MlopsUsageError, PathOutsideRoot, TrackingError
from ..session import session
from .spool import Spool
from .writer import Point, Writer

MAX_PARAM_LENGTH = 6000  # MLflow's limit (mlflow.utils.validation.MAX_PARAM_VAL_LENGTH)
MAX_KEY_LENGTH = 250  # mlflow.utils.validation.MAX_ENTITY_KEY_LENGTH
# MLflow's rule set for metric, param and tag names (mlflow.utils.validation:
# validate_param_and_metric_name + path_not_unique), replicated so that mj.log stays in
# microseconds; tests compare it with MLflow's own functions over many generated names.
# One deliberate difference: MLflow's pattern ends in `$`, which also matches before a
# final newline ("acc\n" passes its check); we match the whole name, so a newline is
# refused wherever it is.
_NAME_CHARS = re.compile(r"[/\w.\- ]*" if os.name == "nt" else r"[/\w.\- :]*")
_NAME_HINT = ("use letters, digits, _ - . space" + ("" if os.name == "nt" else " :")
              + " and / between non-empty parts (no leading or trailing /, no '.' or '..' parts), "
              f"at most {MAX_KEY_LENGTH} characters")
STATUSES = ("FINISHED", "FAILED", "KILLED")


class ParamConflict(TrackingError):
    """A param was logged again with another value (MLflow params are immutable)."""

    http_status = 409


class NonFiniteMetric(MlopsUsageError):
    """A metric value is ±inf (MLflow would silently store ±1.797e308)."""


class OfflineRunWarning(UserWarning):
    """The tracking store is unreachable: the run's events go to the local spool, not the store."""


def warn_offline(message: str, stacklevel: int = 2) -> None:
    """Warn that a run is (now) offline, in the cell, even under ``filterwarnings("ignore")``
    (a common notebook habit): the user must not believe the run is on the server. A filter
    that names :class:`OfflineRunWarning` itself is respected. Called once per run."""
    targeted = any(f[2] is OfflineRunWarning for f in warnings.filters)
    with warnings.catch_warnings():
        if not targeted:
            warnings.simplefilter("always", OfflineRunWarning)
        warnings.warn(f"OFFLINE RUN: {message}", OfflineRunWarning, stacklevel=stacklevel + 1)


class InvalidName(MlopsUsageError):
    """A metric, param or tag name that MLflow would refuse (later, in the background)."""


@functools.lru_cache(maxsize=4096)
def name_problem(key: str) -> str | None:
    """Why MLflow would refuse ``key`` as a metric/param/tag name, or None when it is valid."""
    if not key:
        return "it is empty"
    if len(key) > MAX_KEY_LENGTH:
        return f"it has {len(key)} characters, over MLflow's limit of {MAX_KEY_LENGTH}"
    if not _NAME_CHARS.fullmatch(key):
        bad = next((c for c in key if not _NAME_CHARS.fullmatch(c)), key)
        return f"it contains {bad!r}"
    norm = posixpath.normpath(key)
    if key.startswith("/"):
        return "it starts with '/'"
    if norm == "." or norm.startswith(".."):
        return "MLflow reads names as paths and it starts with '.' or '..'"
    if norm != key:
        return f"MLflow reads names as paths and it would resolve to {norm!r}"
    return None


def check_key(key: Any, what: str = "metric") -> str:
    """Refuse, in the caller's thread, a name MLflow would reject later in the background."""
    problem = name_problem(key) if isinstance(key, str) else f"it is a {type(key).__name__}, not a string"
    if problem is not None:
        raise InvalidName(f"invalid {what} name {key!r}: {problem}; nothing of this call was logged",
                          hint=_NAME_HINT)
    return key


def check_artifact_path(path: str | None) -> str | None:
    """Refuse artifact names that leave the run's artifact folder (``../x``, ``/etc/x``)."""
    if path is None or path in ("", "."):
        return None
    text = str(path).replace("\\", "/")
    pure = PurePosixPath(text)
    if "\x00" in text or pure.is_absolute() or re.match(r"^[A-Za-z]:", text) or ".." in pure.parts:
        raise PathOutsideRoot(
            f"artifact path {path!r} is not a relative path inside the run",
            hint="use a relative name such as 'plots' or 'model/weights.bin'",
        )
    return str(pure)


def as_metric(value: Any) -> float | None:
    """The float of a numeric value (numpy scalars, 0-d arrays/tensors included), else None."""
    if isinstance(value, bool):
        return None
    if isinstance(value, numbers.Real):
        return float(value)
    item = getattr(value, "item", None)
    if callable(item) and getattr(value, "shape", None) in ((), (1,)):
        try:
            out = item()
        except (TypeError, ValueError):
            return None
        if isinstance(out, numbers.Real) and not isinstance(out, bool):
            return float(out)
    return None


class RunHandle:
    """The active run (``mj.active_run()`` / ``current_run()``)."""

    def __init__(
        self,
        run_id: str,
        experiment_id: str,
        experiment_name: str,
        run_name: str,
        uri: str,
        client: Any,
        state_dir: Path,
        ui_url: str | None = None,
        interval: float = 0.5,
    ) -> None:
        self.run_id = run_id
        self.experiment_id = experiment_id
        self.experiment_name = experiment_name
        self.run_name = run_name
        self.uri = uri
        self.client = client
        self.state_dir = state_dir
        self.ui_url = ui_url
        self.status = "RUNNING"
        self.started = time.time()
        self.params: dict[str, str] = {}
        self.latest: dict[str, float] = {}
        self.steps: dict[str, int] = {}
        self.points = 0
        self.captured: dict[str, Any] = {}
        self.warned_spool = False
        self.autolog_prev_uri: str | None = None  # MLFLOW_TRACKING_URI before --autolog
        self.spool = Spool(state_dir, run_id, uri)
        self.writer = Writer(run_id, client, self.spool, interval=interval, on_spool=self._spooling)
        self._lock = threading.Lock()
        self.on_end: list[Callable[[RunHandle], None]] = []
        self._write_key: tuple[Any, ...] | None = None

    def guard(self, action: str) -> None:
        """``session.require_write(action)``, re-checked whenever the profile choice or the
        kernel mode changes (not on every call: ``mj.log`` must stay in microseconds)."""
        key = (session.env_override, os.environ.get("MLOPS_ENV"), session.headless)
        if self._write_key != key:
            session.require_write(action)
            self._write_key = key

    # -- the contract used by every topic ------------------------------------------
    def log_metrics(self, metrics: dict[str, Any], step: int | None = None) -> None:
        """Buffer metric values (returns at once; the background writer stores them).

        Without ``step`` each key gets its own counter (0, 1, 2...). ±inf is refused.
        """
        self.guard("log metrics")
        ts = int(time.time() * 1000)
        points: list[Point] = []
        values = self.check(metrics=metrics)  # all or nothing: a bad one refuses the call
        with self._lock:
            for key, value in values.items():
                st = self.steps.get(key, -1) + 1 if step is None else int(step)
                self.steps[key] = max(st, self.steps.get(key, -1))
                self.latest[key] = value
                points.append((key, value, ts, st))
            self.points += len(points)
        self.writer.add_metrics(points)

    def check(self, metrics: dict[str, Any] | None = None, params: dict[str, Any] | None = None,
              tags: dict[str, Any] | None = None) -> dict[str, float]:
        """Refuse the whole call before anything is buffered: a name MLflow would reject, a
        metric that is not a number or is ±inf. Returns the metrics as floats."""
        out: dict[str, float] = {}
        for key, raw in (metrics or {}).items():
            check_key(key)
            value = as_metric(raw)
            if value is None:
                raise MlopsUsageError(f"metric {key!r} is not a number: {raw!r}", hint="log it as a param (mj.log(name='text'))")
            if math.isinf(value):
                raise NonFiniteMetric(
                    f"metric {key!r} is {value} - MLflow would store it as ±1.797e308",
                    hint="log a finite value (e.g. clip it), or record the event as a tag/param; NaN is allowed",
                )
            out[key] = value
        for key in params or {}:
            check_key(key, "param")
        for key in tags or {}:
            check_key(key, "tag")
        return out

    def log_params(self, params: dict[str, Any]) -> None:
        """Record params; a different value for an existing param raises :class:`ParamConflict`.

        Values over MLflow's 6000-character limit are stored cut, with the full value as the
        artifact ``params/<name>.txt`` (and a warning).
        """
        self.guard("log params")
        items: list[tuple[str, str]] = []
        long_values: dict[str, str] = {}
        self.check(params=params)
        for key, raw in params.items():
            value = raw if isinstance(raw, str) else json.dumps(raw, default=str) if isinstance(raw, (list, dict, tuple)) else str(raw)
            if len(value) > MAX_PARAM_LENGTH:
                long_values[key] = value
                note = f"...[cut at {MAX_PARAM_LENGTH}; full value in artifact params/{key}.txt]"
                value = value[: MAX_PARAM_LENGTH - len(note)] + note
            old = self.params.get(key)
            if old is not None and old != value:
                raise ParamConflict(
                    f"param {key!r} is already {old[:80]!r} in run {self.run_id[:8]}; cannot change it to {value[:80]!r}",
                    hint="MLflow params are immutable: log the new value under another name, or start a new run",
                )
            if old is None:
                items.append((key, value))
        for key, full in long_values.items():
            warnings.warn(
                f"param {key!r} has {len(full)} characters, over MLflow's limit of {MAX_PARAM_LENGTH}: "
                f"stored cut; the full value is the artifact params/{key}.txt",
                stacklevel=3,
            )
            self.log_text(full, f"params/{key}.txt")
        for key, value in items:
            self.params[key] = value
        if items:
            self.writer.add_params(items)

    def set_tags(self, tags: dict[str, Any]) -> None:
        """Set run tags (later values win, as in MLflow)."""
        self.guard("set tags")
        self.check(tags=tags)
        items = [(k, str(v)[:8000]) for k, v in tags.items()]
        if items:
            self.writer.add_tags(items)

    def log_artifact(self, path: str | Path, artifact_path: str | None = None) -> str:
        """Upload a file or folder; returns its artifact path in the run."""
        self.guard("log an artifact")
        local = Path(path).expanduser()
        dest = check_artifact_path(artifact_path)
        if not local.exists():
            raise MlopsUsageError(f"no such file or folder: {path}")
        self._call_or_spool(
            lambda: self.client.log_artifact(self.run_id, str(local), dest),
            lambda: {"op": "artifact", "path": str(self.spool.keep_file(local)), "artifact_path": dest},
        )
        return f"{dest}/{local.name}" if dest else local.name

    def log_text(self, text: str, artifact_file: str) -> str:
        """Store ``text`` as the artifact ``artifact_file``."""
        target = check_artifact_path(artifact_file)
        if not target:
            raise MlopsUsageError("artifact_file must name a file")
        pure = PurePosixPath(target)
        with tempfile.TemporaryDirectory(prefix="mlops-") as tmp:
            local = Path(tmp) / pure.name
            local.write_text(text, encoding="utf-8")
            parent = str(pure.parent) if str(pure.parent) != "." else None
            self.log_artifact(local, parent)
        return target

    def log_dict(self, obj: Any, artifact_file: str) -> str:
        """Store ``obj`` as JSON (or YAML for ``.yaml``/``.yml``) at ``artifact_file``."""
        if str(artifact_file).endswith((".yaml", ".yml")):
            from .._util import dump_yaml

            text = dump_yaml(obj)
        else:
            text = json.dumps(obj, indent=2, default=str)
        return self.log_text(text, artifact_file)

    def log_input(self, name: str, digest: str, source: str, tags: dict[str, str] | None = None, df: Any = None) -> None:
        """Record a dataset input with OUR digest (shown in MLflow's Datasets panel)."""
        from .datasets import dataset_input_dict, dataset_input_from_dict

        self.guard("log a dataset input")
        data = dataset_input_dict(name, digest, source, tags, df)
        self._call_or_spool(
            lambda: self.client.log_inputs(self.run_id, datasets=[dataset_input_from_dict(data)]),
            lambda: {"op": "inputs", "input": data},
        )

    # -- lifecycle -------------------------------------------------------------------
    def flush(self, timeout: float | None = 120.0) -> bool:
        """Wait until everything logged so far is stored (or spooled)."""
        return self.writer.flush(timeout)

    @property
    def spooling(self) -> bool:
        """True when the store was unreachable and events go to the local spool."""
        return self.writer.spooling

    def terminate(self, status: str) -> None:
        """Flush, then end the run with ``status`` (spooled when the store is down)."""
        self.writer.close()
        end_time = int(time.time() * 1000)
        self._call_or_spool(
            lambda: self.client.set_terminated(self.run_id, status=status, end_time=end_time),
            lambda: {"op": "terminate", "status": status, "end_time": end_time},
        )
        self.status = status

    def _call_or_spool(self, call: Callable[[], Any], op: Callable[[], dict[str, Any]]) -> None:
        from . import store

        if not self.writer.spooling:
            try:
                if store.is_remote(self.uri) and not store.reachable(self.uri, 1.0):
                    raise ConnectionError(f"{self.uri} is unreachable")
                store.retry_locked(call)
                return
            except Exception as exc:
                if not store.is_connection_error(exc):
                    raise store.translate_error(exc, "tracking store refused the operation", self.uri) from None
                self.writer.spooling = True
                self._spooling(exc)
        # keep order: what was buffered before goes to the spool first
        self.writer.flush()
        self.spool.append(op())

    def _spooling(self, exc: BaseException) -> None:
        if not self.warned_spool:
            self.warned_spool = True
            warn_offline(
                f"tracking store {self.uri} is unreachable ({type(exc).__name__}); events of run "
                f"{self.run_id[:8]} are spooled to {self.spool.path} - run `%mlops_track sync` "
                "(or mj.sync()) when it is back",
                stacklevel=2,
            )

    def summary(self) -> dict[str, Any]:
        """JSON-safe facts about the run (for views and the CLI)."""
        from .._util import json_safe

        return json_safe({
            "run_id": self.run_id, "run_name": self.run_name, "experiment_id": self.experiment_id,
            "experiment": self.experiment_name, "status": self.status, "tracking_uri": self.uri,
            "metrics": dict(self.latest), "params": dict(self.params), "points": self.points,
            "pending": self.writer.pending, "spooling": self.writer.spooling, "captured": self.captured,
        })

    def __repr__(self) -> str:
        return f"<mlops run {self.run_name} ({self.run_id[:8]}) {self.status} in {self.experiment_name}>"
