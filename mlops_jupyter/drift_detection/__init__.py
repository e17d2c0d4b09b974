"""Data and prediction drift: the right test per column, windows over time, triggers.

``mj.drift(reference, current, ...)`` returns a :class:`DriftReport`; with ``by=`` a
:class:`DriftTimeline`. ``mj.summarize_reference(df)`` computes a reusable reference
summary. scipy and plotly are imported on first use, not here.

The package is named ``drift_detection`` (not ``drift``) so that the function
``mlops_jupyter.drift`` and a package never share one attribute of ``mlops_jupyter``.
"""

from __future__ import annotations

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
