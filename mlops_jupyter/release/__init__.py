"""Release gates: promote a model to a registry alias only through data, drift, metric and
A/B checks, and record every decision.

``mj.promote(model, candidate, ...)`` runs the gates and moves the alias;
``mj.compare_models(model, challenger, ...)`` shows challenger vs champion side by side.
Names resolve lazily: importing this package does not import mlflow, scipy or plotly.
"""

from __future__ import annotations

import importlib
from typing import Any

_NAMES = {
    "promote": "mlops_jupyter.release.promote",
    "compare_models": "mlops_jupyter.release.compare",
    "Decision": "mlops_jupyter.release.decision",
    "GateResult": "mlops_jupyter.release.decision",
    "ModelComparison": "mlops_jupyter.release.compare",
    "ABResult": "mlops_jupyter.release.abtest",
    "mcnemar": "mlops_jupyter.release.abtest",
    "paired_bootstrap": "mlops_jupyter.release.abtest",
}

__all__ = sorted(_NAMES)


def __getattr__(name: str) -> Any:
    module = _NAMES.get(name)
    if module is None:
        raise AttributeError(f"module 'mlops_jupyter.release' has no attribute '{name}'")
    return getattr(importlib.import_module(module), name)


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_NAMES))
