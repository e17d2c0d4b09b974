"""Runs on MLflow: store set-up under a lock, buffered background logging, spool + replay,
context capture (git, notebook, cell history, environment, papermill parameters), autolog.

Importing this package imports nothing heavy (and not even its own API modules until a name
is used): ``%load_ext`` only needs :mod:`.history`. The first ``start_run`` imports mlflow.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

_NAMES = {
    "_reset_for_tests": "api",
    "active_run": "api",
    "compare": "api",
    "current_run": "api",
    "end_run": "api",
    "last_run": "api",
    "log": "api",
    "log_artifact": "api",
    "log_model": "models",
    "log_params": "api",
    "start_run": "api",
    "sync": "api",
    "track": "api",
    "runs": "listing",
    "RunList": "listing",
    "InvalidName": "run",
    "NonFiniteMetric": "run",
    "OfflineRunWarning": "run",
    "ParamConflict": "run",
    "RunHandle": "run",
}

__all__ = [
    "InvalidName",
    "NonFiniteMetric",
    "OfflineRunWarning",
    "ParamConflict",
    "RunHandle",
    "RunList",
    "_reset_for_tests",
    "active_run",
    "compare",
    "current_run",
    "end_run",
    "last_run",
    "log",
    "log_artifact",
    "log_model",
    "log_params",
    "runs",
    "start_run",
    "sync",
    "track",
]


def __getattr__(name: str) -> Any:
    module = _NAMES.get(name)
    if module is None:
        raise AttributeError(f"module 'mlops_jupyter.tracking' has no attribute '{name}'")
    value = getattr(importlib.import_module(f"{__name__}.{module}"), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_NAMES))


if TYPE_CHECKING:
    from .api import (
        _reset_for_tests,
        active_run,
        compare,
        current_run,
        end_run,
        last_run,
        log,
        log_artifact,
        log_params,
        start_run,
        sync,
        track,
    )
    from .listing import RunList, runs
    from .models import log_model
    from .run import InvalidName, NonFiniteMetric, OfflineRunWarning, ParamConflict, RunHandle
