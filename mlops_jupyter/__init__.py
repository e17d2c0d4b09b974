"""mlops_jupyter: ML DevOps from inside the notebook.

``import mlops_jupyter as mj`` gives the public Python API; every magic is a thin twin of
one of these calls. Names resolve lazily so that importing the package (and
``%load_ext mlops_jupyter``) never pulls in mlflow, dvc, scipy or plotly.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .errors import MlopsError
from .session import session

__version__ = "0.1.0"

# public name -> module that defines it (imported on first use)
_API: dict[str, str] = {
    # tracking (principles 1, 4)
    "track": "mlops_jupyter.tracking",
    "start_run": "mlops_jupyter.tracking",
    "end_run": "mlops_jupyter.tracking",
    "log": "mlops_jupyter.tracking",
    "log_artifact": "mlops_jupyter.tracking",
    "log_params": "mlops_jupyter.tracking",
    "log_model": "mlops_jupyter.tracking",
    "active_run": "mlops_jupyter.tracking",
    "sync": "mlops_jupyter.tracking",
    "compare": "mlops_jupyter.tracking",
    "runs": "mlops_jupyter.tracking",
    # data versions (principle 1)
    "pin": "mlops_jupyter.data",
    "load": "mlops_jupyter.data",
    "fingerprint": "mlops_jupyter.data",
    "data_status": "mlops_jupyter.data",
    "data_diff": "mlops_jupyter.data",
    "push_pinned": "mlops_jupyter.data",
    "commit_pinned": "mlops_jupyter.data",
    # validation (principle 5)
    "validate": "mlops_jupyter.validation",
    "infer_suite": "mlops_jupyter.validation",
    "load_suite": "mlops_jupyter.validation",
    "save_suite": "mlops_jupyter.validation",
    "check_metrics": "mlops_jupyter.validation",
    # drift (principle 7)
    "drift": "mlops_jupyter.drift_detection",
    "summarize_reference": "mlops_jupyter.drift_detection",
    # jobs (principles 3, 6)
    "export_notebook": "mlops_jupyter.export",
    "run_job": "mlops_jupyter.export",
    "rehearse": "mlops_jupyter.export",
    # release (principle 6)
    "promote": "mlops_jupyter.release",
    "compare_models": "mlops_jupyter.release",
    # serving and monitoring (principles 6, 7)
    "serve": "mlops_jupyter.serving",
    "stop_service": "mlops_jupyter.serving",
    "monitor": "mlops_jupyter.monitoring",
    # set-up checks
    "doctor": "mlops_jupyter.diagnosis",
    # tests of the notebook's code (principle 5)
    "run_tests": "mlops_jupyter.testing",
    "strategy": "mlops_jupyter.testing",
    "test_notebooks": "mlops_jupyter.testing",
}

__all__ = [*sorted(_API), "MlopsError", "current_env", "load_ipython_extension", "session", "use_env"]


def use_env(name: str) -> Any:
    """Switch the active environment profile (``%mlops_env NAME``)."""
    return session.use_env(name)


def current_env() -> Any:
    """The active environment profile (``%mlops_env``)."""
    return session.profile()


def load_ipython_extension(ipython: Any) -> None:
    """``%load_ext mlops_jupyter``: register the magics; heavy libraries load on first use."""
    from .magics import register

    register(ipython)


def unload_ipython_extension(ipython: Any) -> None:
    """``%unload_ext mlops_jupyter``: flush pending tracking work."""
    from .magics import unregister

    unregister(ipython)


def _jupyter_labextension_paths() -> list[dict[str, str]]:
    return [{"src": "labextension", "dest": "mlops-jupyter"}]


def _jupyter_server_extension_points() -> list[dict[str, str]]:
    return [{"module": "mlops_jupyter"}]


def _load_jupyter_server_extension(server_app: Any) -> None:
    from .server import load_jupyter_server_extension

    load_jupyter_server_extension(server_app)


# The static view of _API for mypy and IDEs (tests/unit/test_public_api.py keeps the two
# equal); at run time each name is imported on first use by the one lazy helper.
if TYPE_CHECKING:
    from .data import commit_pinned as commit_pinned
    from .data import data_diff as data_diff
    from .data import data_status as data_status
    from .data import fingerprint as fingerprint
    from .data import load as load
    from .data import pin as pin
    from .data import push_pinned as push_pinned
    from .diagnosis import doctor as doctor
    from .drift_detection import drift as drift
    from .drift_detection import summarize_reference as summarize_reference
    from .export import export_notebook as export_notebook
    from .export import rehearse as rehearse
    from .export import run_job as run_job
    from .monitoring import monitor as monitor
    from .release import compare_models as compare_models
    from .release import promote as promote
    from .serving import serve as serve
    from .serving import stop_service as stop_service
    from .testing import run_tests as run_tests
    from .testing import strategy as strategy
    from .testing import test_notebooks as test_notebooks
    from .tracking import active_run as active_run
    from .tracking import compare as compare
    from .tracking import end_run as end_run
    from .tracking import log as log
    from .tracking import log_artifact as log_artifact
    from .tracking import log_model as log_model
    from .tracking import log_params as log_params
    from .tracking import runs as runs
    from .tracking import start_run as start_run
    from .tracking import sync as sync
    from .tracking import track as track
    from .validation import check_metrics as check_metrics
    from .validation import infer_suite as infer_suite
    from .validation import load_suite as load_suite
    from .validation import save_suite as save_suite
    from .validation import validate as validate
else:
    from ._lazy import attach

    __getattr__, __dir__ = attach(__name__, _API)
