"""Release gates: promote a model to a registry alias only through data, drift, metric and
A/B checks, and record every decision.

``mj.promote(model, candidate, ...)`` runs the gates and moves the alias;
``mj.compare_models(model, challenger, ...)`` shows challenger vs champion side by side.
Names resolve lazily: importing this package does not import mlflow, scipy or plotly.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

_NAMES = {
    "promote": ".promotion",
    "compare_models": ".compare",
    "Decision": ".decision",
    "GateResult": ".decision",
    "ModelComparison": ".compare",
    "ABResult": ".abtest",
    "mcnemar": ".abtest",
    "paired_bootstrap": ".abtest",
}

__all__ = sorted(_NAMES)

if TYPE_CHECKING:  # the static view of _NAMES
    from .abtest import ABResult as ABResult
    from .abtest import mcnemar as mcnemar
    from .abtest import paired_bootstrap as paired_bootstrap
    from .compare import ModelComparison as ModelComparison
    from .compare import compare_models as compare_models
    from .decision import Decision as Decision
    from .decision import GateResult as GateResult
    from .promotion import promote as promote
else:
    from .._lazy import attach

    __getattr__, __dir__ = attach(__name__, _NAMES)
