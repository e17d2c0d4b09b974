"""Tests of the notebook's own code: ``%%mlops_test``, ``mlops-jupyter test``, the pytest
plugin, coverage per cell and Hypothesis strategies from validation suites.

pytest, coverage and hypothesis are imported inside the functions that need them
(extra ``notebook-tests``); importing this package stays light.
"""

from __future__ import annotations

from .api import run_tests
from .report import TestCase, TestReport

__all__ = ["TestCase", "TestReport", "run_tests", "strategy", "test_notebooks"]


def __getattr__(name: str) -> object:
    if name == "strategy":
        from .strategies import strategy

        return strategy
    if name == "test_notebooks":
        from .notebook import test_notebooks

        return test_notebooks
    raise AttributeError(name)
