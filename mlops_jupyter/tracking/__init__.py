"""Runs on MLflow: store set-up under a lock, buffered background logging, spool + replay,
context capture (git, notebook, cell history, environment, papermill parameters), autolog.

Importing this package does not import mlflow; the first ``start_run`` does.
"""

from __future__ import annotations

from .api import (
    _reset_for_tests,
    active_run,
    compare,
    current_run,
    end_run,
    last_run,
    log,
    log_artifact,
    start_run,
    sync,
    track,
)
from .run import NonFiniteMetric, ParamConflict, RunHandle

__all__ = [
    "NonFiniteMetric",
    "ParamConflict",
    "RunHandle",
    "_reset_for_tests",
    "active_run",
    "compare",
    "current_run",
    "end_run",
    "last_run",
    "log",
    "log_artifact",
    "start_run",
    "sync",
    "track",
]
