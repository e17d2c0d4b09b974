"""Monitoring of served models: ``mj.monitor(service, reference=None, window="5min")``.

Reads the inference log, the feedback labels and the health history of a service (see
:mod:`mlops_jupyter.serving`) and returns a :class:`MonitorReport`. Imports nothing heavy
until called.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

_NAMES = {
    "monitor": ".api",
    "MonitorReport": ".report",
    "parse_slo": ".slo",
    "SloResult": ".slo",
}

__all__ = sorted(_NAMES)

if TYPE_CHECKING:  # the static view of _NAMES
    from .api import monitor as monitor
    from .report import MonitorReport as MonitorReport
    from .slo import SloResult as SloResult
    from .slo import parse_slo as parse_slo
else:
    from .._lazy import attach

    __getattr__, __dir__ = attach(__name__, _NAMES)
