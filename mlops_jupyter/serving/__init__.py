"""Serving: MLflow scoring servers behind a monitoring gateway, with an inference log.

``mj.serve(model, challenger=None, split=0.1) -> Service`` starts one ``mlflow models
serve --env-manager local`` subprocess per model and a gateway (Starlette under uvicorn,
its own subprocess) that splits traffic, logs every request to Parquet under
``.mlops/serving/SERVICE/`` and serves ``/health``, ``/metrics`` and ``/feedback``.
Names resolve lazily: importing this package imports neither mlflow nor starlette.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

_NAMES = {
    "serve": ".service",
    "Service": ".service",
    "ServiceStatus": ".service",
    "find_service": ".service",
    "read_log": ".log",
    "service_dir": ".service",
    "stop_service": ".service",
}

__all__ = sorted(_NAMES)

if TYPE_CHECKING:  # the static view of _NAMES
    from .log import read_log as read_log
    from .service import Service as Service
    from .service import ServiceStatus as ServiceStatus
    from .service import find_service as find_service
    from .service import serve as serve
    from .service import service_dir as service_dir
    from .service import stop_service as stop_service
else:
    from .._lazy import attach

    __getattr__, __dir__ = attach(__name__, _NAMES)
