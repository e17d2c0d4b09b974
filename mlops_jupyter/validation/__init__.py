"""Data and model quality checks: rule language, vectorised engine, suites, inference, reports.

The public API (``import mlops_jupyter as mj``): :func:`validate`, :func:`infer_suite`,
:func:`load_suite`, :func:`save_suite`, :func:`check_metrics`. Importing this package
is light (pandas/numpy load on first use of the engine; mlflow only for champion look-ups).
:mod:`.builders` writes rules from Python values (the API twin of each rule phrase).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

__all__ = [
    "RuleResult", "Suite", "ValidationReport", "check_metrics", "infer_suite", "load_suite",
    "parse_rules", "save_suite", "validate",
]

_WHERE = {
    "validate": ".api", "check_metrics": ".metrics", "infer_suite": ".infer",
    "load_suite": ".suites", "save_suite": ".suites", "Suite": ".suites",
    "ValidationReport": ".report", "RuleResult": ".report", "parse_rules": ".language",
}


def __getattr__(name: str) -> Any:
    import importlib

    where = _WHERE.get(name)
    if where is None:
        raise AttributeError(f"module 'mlops_jupyter.validation' has no attribute '{name}'")
    value = getattr(importlib.import_module(where, __name__), name)
    globals()[name] = value
    return value


if TYPE_CHECKING:
    from .api import validate
    from .infer import infer_suite
    from .language import parse_rules
    from .metrics import check_metrics
    from .report import RuleResult, ValidationReport
    from .suites import Suite, load_suite, save_suite
