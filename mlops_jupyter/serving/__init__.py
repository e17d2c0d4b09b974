"""Serving: MLflow scoring servers behind a monitoring gateway, with an inference log.

``mj.serve(model, challenger=None, split=0.1) -> Service`` starts one ``mlflow models
serve --env-manager local`` subprocess per model and a gateway (Starlette under uvicorn,
its own subprocess) that splits traffic, logs every request to Parquet under
``.mlops/serving/SERVICE/`` and serves ``/health``, ``/metrics`` and ``/feedback``.
Names resolve lazily: importing this package imports neither mlflow nor starlette.
"""

from __future__ import annotations

import importlib
from typing import Any

_NAMES = {
    "serve": "mlops_jupyter.serving.service",
    "Service": "mlops_jupyter.serving.service",
    "ServiceStatus": "mlops_jupyter.serving.service",
    "find_service": "mlops_jupyter.serving.service",
    "read_log": "mlops_jupyter.serving.log",
    "service_dir": "mlops_jupyter.serving.service",
    "stop_service": "mlops_jupyter.serving.service",
}

__all__ = sorted(_NAMES)


def __getattr__(name: str) -> Any:
    module = _NAMES.get(name)
    if module is None:
        raise AttributeError(f"module 'mlops_jupyter.serving' has no attribute '{name}'")
    return getattr(importlib.import_module(module), name)


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_NAMES))
