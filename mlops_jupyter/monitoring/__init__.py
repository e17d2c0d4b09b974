"""Monitoring of served models: ``mj.monitor(service, reference=None, window="5min")``.

Reads the inference log, the feedback labels and the health history of a service (see
:mod:`mlops_jupyter.serving`) and returns a :class:`MonitorReport`. Imports nothing heavy
until called.
"""

from __future__ import annotations

import importlib
from typing import Any

_NAMES = {
    "monitor": "mlops_jupyter.monitoring.api",
    "MonitorReport": "mlops_jupyter.monitoring.report",
    "parse_slo": "mlops_jupyter.monitoring.slo",
    "SloResult": "mlops_jupyter.monitoring.slo",
}

__all__ = sorted(_NAMES)


def __getattr__(name: str) -> Any:
    module = _NAMES.get(name)
    if module is None:
        raise AttributeError(f"module 'mlops_jupyter.monitoring' has no attribute '{name}'")
    return getattr(importlib.import_module(module), name)
