"""Data and prediction drift: the right test per column, windows over time, triggers.

``mj.drift(reference, current)`` returns a :class:`DriftReport`; with ``by=`` a
:class:`DriftTimeline`. ``mj.summarize_reference(df)`` computes a reusable reference
summary. scipy and plotly are imported on first use, not here.
"""

from __future__ import annotations

import inspect
import sys
import types
from typing import Any

from .api import drift
from .report import ColumnDrift, DriftReport, DriftTimeline, DriftWindow
from .stats import METHODS
from .summary import ReferenceSummary, summarize_reference

__all__ = [
    "METHODS",
    "ColumnDrift",
    "DriftReport",
    "DriftTimeline",
    "DriftWindow",
    "ReferenceSummary",
    "drift",
    "summarize_reference",
]


class _CallableModule(types.ModuleType):
    """Importing ``mlops_jupyter.drift`` binds the *package* as ``mlops_jupyter.drift``,
    hiding the lazily exported function of the same name; calling the package calls
    :func:`drift`, so ``mj.drift(ref, cur)`` works in either import order."""

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        return drift(*args, **kwargs)


sys.modules[__name__].__class__ = _CallableModule
__signature__ = inspect.signature(drift)
