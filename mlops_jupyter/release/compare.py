"""``compare_models()``: challenger vs champion side by side, read-only.

Metrics with bootstrap confidence intervals on the same evaluation rows, the A/B verdict,
params that differ, data versions (dataset inputs), git commits and environments.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from .._util import json_safe
from .._views import Viewable
from ..errors import MlopsUsageError
from ..session import session
from . import registry
from .decision import GateResult
from .evaluation import Predictions, split_eval
from .gates import choose_ab, gate_ab, parse_ab
from .metrics import get_metric, is_classification

ENV_TAG_PREFIXES = ("mlops.python", "mlops.platform", "mlops.pkg.", "mlops.env", "mlops.executable")
GIT_TAGS = ("mlflow.source.git.commit", "mlflow.source.git.branch", "mlops.git.dirty", "mlflow.source.git.repoURL")


@dataclass
class ModelComparison(Viewable):
    """Challenger vs champion: everything a reviewer looks at before a promotion."""

    model: str
    challenger: dict[str, Any]
    champion: dict[str, Any] | None
    confidence: float
    metrics: list[dict[str, Any]] = field(default_factory=list)  # name, side values, CIs
    ab: GateResult | None = None
    params: list[tuple[str, Any, Any]] = field(default_factory=list)  # differing only
    data: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    git: dict[str, dict[str, str]] = field(default_factory=dict)
    environment: dict[str, dict[str, str]] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        """True when the A/B verdict favours the challenger (or there is nothing to compare)."""
        return self.ab is None or self.ab.ok

    def to_dict(self) -> dict[str, Any]:
        """JSON-safe form."""
        return dict(json_safe({
            "model": self.model, "challenger": self.challenger, "champion": self.champion,
            "confidence": self.confidence, "metrics": self.metrics,
            "ab": self.ab.to_dict() if self.ab else None,
            "params": [{"name": n, "challenger": a, "champion": b} for n, a, b in self.params],
            "data": self.data, "git": self.git, "environment": self.environment, "ok": self.ok,
        }))

    def __repr__(self) -> str:
        champ = self.champion["uri"] if self.champion else "none"
        verdict = f", A/B {self.ab.status}" if self.ab is not None else ""
        return f"<ModelComparison {self.model}: {self.challenger['uri']} vs {champ}{verdict}>"

    def to_frame(self) -> Any:
        """The metrics table as a DataFrame."""
        import pandas as pd

        return pd.DataFrame(self.metrics)

    def figure(self) -> Any:
        """A plotly figure: each metric with its confidence interval, per model."""
        return self._view("figure")


def _metric_ci(metric: Any, y: Any, pred: Any, confidence: float, n_boot: int, seed: int) -> tuple[float, float, float]:
    import numpy as np

    y = np.asarray(y)
    pred = np.asarray(pred)
    value = float(metric.fn(y, pred))
    rng = np.random.default_rng(seed)
    n = len(y)
    if metric.per_row is not None:
        rows = np.asarray(metric.per_row(y, pred), dtype=float)
        boots = np.concatenate([
            rows[rng.integers(0, n, size=(min(250, n_boot - s), n))].mean(axis=1)
            for s in range(0, n_boot, 250)
        ])
    else:
        boots = np.array([float(metric.fn(y[idx], pred[idx])) for idx in
                          (rng.integers(0, n, n) for _ in range(n_boot))])
    boots = boots[np.isfinite(boots)]
    a = (1 - confidence) / 2
    if boots.size == 0:
        return value, float("nan"), float("nan")
    return value, float(np.quantile(boots, a)), float(np.quantile(boots, 1 - a))


def _side(c: Any, ref: registry.ModelRef | None) -> dict[str, Any]:
    if ref is None:
        return {}
    run = registry.run_info(c, ref.run_id)
    tags = dict(run.data.tags) if run else {}
    inputs = []
    if run is not None and getattr(run, "inputs", None):
        for inp in run.inputs.dataset_inputs or []:
            ds = inp.dataset
            inputs.append({"name": ds.name, "digest": ds.digest, "source": ds.source,
                           "context": next((t.value for t in inp.tags if t.key == "mlflow.data.context"), None)})
    return {
        "params": dict(run.data.params) if run else {},
        "data": inputs + [{"name": k, "digest": v} for k, v in sorted(tags.items()) if k.startswith("mlops.data.")],
        "git": {k: v for k, v in tags.items() if k in GIT_TAGS},
        "env": {k: v for k, v in sorted(tags.items()) if k.startswith(ENV_TAG_PREFIXES)},
    }


def compare_models(
    model: str,
    challenger: str | int,
    champion: str | int | None = None,
    eval_data: Any = None,
    *,
    target: str | None = None,
    alias: str = "champion",
    metrics: Sequence[str] | None = None,
    ab: Mapping[str, Any] | bool | None = True,
    metric_fns: Mapping[str, Callable[[Any, Any], float]] | None = None,
    model_path: str | None = None,
    confidence: float = 0.95,
    n_boot: int = 1000,
    seed: int = 0,
) -> ModelComparison:
    """Compare ``challenger`` with ``champion`` (default: the version holding ``alias``).

    Both are given as for :func:`promote` (run id, ``models:/NAME/VERSION``, version).
    Nothing is written: a run's model is not registered. With ``eval_data`` the metrics
    get bootstrap confidence intervals and the A/B gate's verdict is computed.
    """
    if not 0.5 < confidence < 1:
        raise MlopsUsageError(f"confidence {confidence} must be between 0.5 and 1")
    c = registry.client()
    chall = registry.resolve_candidate(c, model, challenger, model_path, register=False)
    champ = (registry.resolve_candidate(c, model, champion, model_path, register=False)
             if champion is not None else registry.get_alias(c, model, alias))
    out = ModelComparison(model=model, challenger=chall.to_dict(),
                          champion=champ.to_dict() if champ else None, confidence=confidence)
    sides = {"challenger": _side(c, chall), "champion": _side(c, champ)}
    a, b = sides["challenger"].get("params", {}), sides["champion"].get("params", {})
    out.params = [(k, a.get(k), b.get(k)) for k in sorted(set(a) | set(b)) if a.get(k) != b.get(k)]
    out.data = {k: v.get("data", []) for k, v in sides.items()}
    out.git = {k: v.get("git", {}) for k, v in sides.items()}
    out.environment = {k: v.get("env", {}) for k, v in sides.items()}
    if eval_data is None:
        return out
    _, x, y = split_eval(eval_data, target, session.config().root)
    preds = {"challenger": Predictions(registry.load_predictor(c, chall.uri), x)}
    if champ is not None:
        preds["champion"] = Predictions(registry.load_predictor(c, champ.uri), x)
    names = list(metrics or (["accuracy", "f1"] if is_classification(y) else ["mse", "mae", "r2"]))
    for name in names:
        metric = get_metric(name, dict(metric_fns or {}))
        row: dict[str, Any] = {"metric": name, "higher_is_better": metric.higher_is_better}
        for side, p in preds.items():
            try:
                value, lo, hi = _metric_ci(metric, p.encode(y, metric.needs_proba), p.for_metric(metric.needs_proba),
                                           confidence, n_boot, seed)
            except MlopsUsageError:
                value, lo, hi = float("nan"), float("nan"), float("nan")
            row.update({side: value, f"{side}_ci_low": lo, f"{side}_ci_high": hi})
        out.metrics.append(row)
    if champ is not None and ab:
        given = dict(ab) if isinstance(ab, Mapping) else {}
        settings = parse_ab({"confidence": confidence, **given}, "arguments")
        assert settings is not None
        metric_name, test = choose_ab(settings, y)
        needs = get_metric(metric_name, dict(metric_fns or {})).needs_proba
        out.ab, _ = gate_ab(settings, preds["challenger"].encode(y, needs), preds["champion"].for_metric(needs),
                            preds["challenger"].for_metric(needs), metric_name, test, metric_fns)
    return out
