"""Tests of the notebook's own code: ``%%mlops_test``, ``mlops-jupyter test``, the pytest
plugin, coverage per cell and Hypothesis strategies from validation suites.

pytest, coverage and hypothesis are imported inside the functions that need them
(extra ``notebook-tests``); importing this package stays light.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from .api import run_tests
from .report import TestCase, TestReport

_NAMES = {
    "strategy": ".strategies",
    "test_notebooks": ".notebook",
}

__all__ = ["TestCase", "TestReport", "run_tests", "strategy", "test_notebooks"]

if TYPE_CHECKING:  # the static view of _NAMES
    from .notebook import test_notebooks as test_notebooks
    from .strategies import strategy as strategy
else:
    from .._lazy import attach

    __getattr__, __dir__ = attach(__name__, _NAMES)
