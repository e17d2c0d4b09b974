"""Runs on MLflow: store set-up under a lock, buffered background logging, spool + replay,
context capture (git, notebook, cell history, environment, papermill parameters), autolog.

Importing this package imports nothing heavy (and not even its own API modules until a name
is used): ``%load_ext`` only needs :mod:`.history`. The first ``start_run`` imports mlflow.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

_NAMES = {
    "_reset_for_tests": ".api",
    "active_run": ".api",
    "compare": ".api",
    "current_run": ".api",
    "end_run": ".api",
    "last_run": ".api",
    "log": ".api",
    "log_artifact": ".api",
    "log_model": ".models",
    "log_params": ".api",
    "start_run": ".api",
    "sync": ".api",
    "track": ".api",
    "runs": ".listing",
    "RunList": ".listing",
    "InvalidName": ".run",
    "NonFiniteMetric": ".run",
    "OfflineRunWarning": ".run",
    "ParamConflict": ".run",
    "RunHandle": ".run",
}

__all__ = sorted(_NAMES)

if TYPE_CHECKING:  # the static view of _NAMES
    from .api import _reset_for_tests as _reset_for_tests
    from .api import active_run as active_run
    from .api import compare as compare
    from .api import current_run as current_run
    from .api import end_run as end_run
    from .api import last_run as last_run
    from .api import log as log
    from .api import log_artifact as log_artifact
    from .api import log_params as log_params
    from .api import start_run as start_run
    from .api import sync as sync
    from .api import track as track
    from .listing import RunList as RunList
    from .listing import runs as runs
    from .models import log_model as log_model
    from .run import InvalidName as InvalidName
    from .run import NonFiniteMetric as NonFiniteMetric
    from .run import OfflineRunWarning as OfflineRunWarning
    from .run import ParamConflict as ParamConflict
    from .run import RunHandle as RunHandle
else:
    from .._lazy import attach

    __getattr__, __dir__ = attach(__name__, _NAMES)
