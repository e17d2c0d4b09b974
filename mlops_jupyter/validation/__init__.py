"""Data and model quality checks: rule language, vectorised engine, suites, inference, reports.

The public API (``import mlops_jupyter as mj``): :func:`validate`, :func:`infer_suite`,
:func:`load_suite`, :func:`save_suite`, :func:`check_metrics`. Importing this package
is light (pandas/numpy load on first use of the engine; mlflow only for champion look-ups).
:mod:`.builders` writes rules from Python values (the API twin of each rule phrase).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

_NAMES = {
    "validate": ".api", "check_metrics": ".metrics", "infer_suite": ".infer",
    "load_suite": ".suites", "save_suite": ".suites", "Suite": ".suites",
    "ValidationReport": ".report", "RuleResult": ".report", "parse_rules": ".language",
}

__all__ = sorted(_NAMES)

if TYPE_CHECKING:  # the static view of _NAMES
    from .api import validate as validate
    from .infer import infer_suite as infer_suite
    from .language import parse_rules as parse_rules
    from .metrics import check_metrics as check_metrics
    from .report import RuleResult as RuleResult
    from .report import ValidationReport as ValidationReport
    from .suites import Suite as Suite
    from .suites import load_suite as load_suite
    from .suites import save_suite as save_suite
else:
    from .._lazy import attach

    __getattr__, __dir__ = attach(__name__, _NAMES)
