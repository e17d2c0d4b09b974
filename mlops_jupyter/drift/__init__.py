"""Data and prediction drift: the right test per column, windows over time, triggers.

``mj.drift(reference, current, ...)`` returns a :class:`DriftReport`; with ``by=`` a
:class:`DriftTimeline`. ``mj.summarize_reference(df)`` computes a reusable reference
summary. scipy and plotly are imported on first use, not here.

The package ``mlops_jupyter.drift`` and the function ``drift`` share a name, and Python
binds the *package* as the attribute ``mlops_jupyter.drift`` whenever a submodule is
imported. So the package itself is callable and is also what ``drift`` names here:
``mj.drift(...)``, ``from mlops_jupyter.drift import drift`` and
``import mlops_jupyter.drift.stats`` all work in any order. The function is
:func:`mlops_jupyter.drift.api.drift`.
"""

from __future__ import annotations

import inspect
import sys
import types
from typing import TYPE_CHECKING, Any

from . import api as _api
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
    """The drift package, callable as :func:`mlops_jupyter.drift.api.drift`."""

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        return _api.drift(*args, **kwargs)


sys.modules[__name__].__class__ = _CallableModule
__signature__ = inspect.signature(_api.drift)

if TYPE_CHECKING:
    from .api import drift
else:
    drift = sys.modules[__name__]
