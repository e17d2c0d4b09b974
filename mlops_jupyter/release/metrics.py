"""Model metrics in plain numpy (scikit-learn is not a runtime dependency).

Each metric knows its direction ("higher is better" or not), whether it needs class
probabilities, and — when it is the mean of a per-row score — that per-row function, which
makes paired bootstrap resampling a matrix product.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from ..errors import MlopsUsageError


@dataclass(frozen=True)
class Metric:
    """A named metric: ``fn(y_true, y_pred_or_proba) -> float``.

    Metrics with ``needs_proba`` take ``y_true`` as column indices of the probability
    matrix (the caller encodes labels with the model's ``classes_``).
    """

    name: str
    fn: Callable[[Any, Any], float]
    higher_is_better: bool
    needs_proba: bool = False
    per_row: Callable[[Any, Any], Any] | None = None


def _correct(y: Any, p: Any) -> Any:
    return (np.asarray(y) == np.asarray(p)).astype(float)


def _sq(y: Any, p: Any) -> Any:
    return (np.asarray(y, dtype=float) - np.asarray(p, dtype=float)) ** 2


def _abs(y: Any, p: Any) -> Any:
    return np.abs(np.asarray(y, dtype=float) - np.asarray(p, dtype=float))


def _prf(y: Any, p: Any, which: str) -> float:
    y = np.asarray(y)
    p = np.asarray(p)
    labels = np.unique(np.concatenate([y, p]))
    binary = labels.size <= 2
    chosen = [labels.max()] if binary and labels.size else list(labels)
    scores = []
    for lab in chosen:
        tp = float(np.sum((p == lab) & (y == lab)))
        fp = float(np.sum((p == lab) & (y != lab)))
        fn = float(np.sum((p != lab) & (y == lab)))
        prec = tp / (tp + fp) if tp + fp else 0.0
        rec = tp / (tp + fn) if tp + fn else 0.0
        if which == "precision":
            scores.append(prec)
        elif which == "recall":
            scores.append(rec)
        else:
            scores.append(2 * prec * rec / (prec + rec) if prec + rec else 0.0)
    return float(np.mean(scores)) if scores else float("nan")


def _proba_of_true(y: Any, proba: Any) -> Any:
    # y: column indices of ``proba`` (see evaluation.Predictions.encode); -1 = unknown class.
    proba = np.asarray(proba, dtype=float)
    idx = np.asarray(y).astype(int)
    if proba.ndim == 1:  # probability of class 1
        return np.where(idx == 1, proba, 1 - proba)
    out = proba[np.arange(len(idx)), np.clip(idx, 0, proba.shape[1] - 1)]
    return np.where(idx < 0, 0.0, out)


def _logloss_rows(y: Any, proba: Any) -> Any:
    return -np.log(np.clip(_proba_of_true(y, proba), 1e-15, 1.0))


def _binary_auc(pos: Any, score: Any) -> float:
    n_pos, n_neg = int(pos.sum()), int((~pos).sum())
    if n_pos == 0 or n_neg == 0:
        return float("nan")
    from scipy.stats import rankdata

    ranks = rankdata(score)
    return float((ranks[pos].sum() - n_pos * (n_pos + 1) / 2) / (n_pos * n_neg))


def _roc_auc(y: Any, proba: Any) -> float:
    """Binary AUC, or macro one-vs-rest AUC for more than two classes (y: class indices)."""
    idx = np.asarray(y).astype(int)
    proba = np.asarray(proba, dtype=float)
    if proba.ndim == 1:
        return _binary_auc(idx == 1, proba)
    if proba.shape[1] == 2:
        return _binary_auc(idx == 1, proba[:, 1])
    scores = [_binary_auc(idx == k, proba[:, k]) for k in range(proba.shape[1])]
    finite = [v for v in scores if v == v]
    return float(np.mean(finite)) if finite else float("nan")


def _r2(y: Any, p: Any) -> float:
    y = np.asarray(y, dtype=float)
    ss_tot = float(np.sum((y - y.mean()) ** 2))
    return 1 - float(np.sum(_sq(y, p))) / ss_tot if ss_tot else float("nan")


METRICS: dict[str, Metric] = {
    "accuracy": Metric("accuracy", lambda y, p: float(_correct(y, p).mean()), True, per_row=_correct),
    "error_rate": Metric("error_rate", lambda y, p: 1 - float(_correct(y, p).mean()), False,
                         per_row=lambda y, p: 1 - _correct(y, p)),
    "precision": Metric("precision", lambda y, p: _prf(y, p, "precision"), True),
    "recall": Metric("recall", lambda y, p: _prf(y, p, "recall"), True),
    "f1": Metric("f1", lambda y, p: _prf(y, p, "f1"), True),
    "roc_auc": Metric("roc_auc", _roc_auc, True, needs_proba=True),
    "log_loss": Metric("log_loss", lambda y, p: float(_logloss_rows(y, p).mean()), False,
                       needs_proba=True, per_row=_logloss_rows),
    "mse": Metric("mse", lambda y, p: float(_sq(y, p).mean()), False, per_row=_sq),
    "rmse": Metric("rmse", lambda y, p: float(np.sqrt(_sq(y, p).mean())), False),
    "mae": Metric("mae", lambda y, p: float(_abs(y, p).mean()), False, per_row=_abs),
    "r2": Metric("r2", _r2, True),
}

_LOWER_WORDS = ("loss", "error", "mse", "mae", "rmse", "latency", "time")


def default_higher_is_better(name: str) -> bool:
    """Direction for a metric name: built-in metrics know it; '*loss*', '*error*'... are lower."""
    if name in METRICS:
        return METRICS[name].higher_is_better
    return not any(word in name.lower() for word in _LOWER_WORDS)


def get_metric(name: str, custom: dict[str, Callable[[Any, Any], float]] | None = None,
               higher_is_better: bool | None = None) -> Metric:
    """A built-in metric by name, or a user function from ``custom``."""
    if custom and name in custom:
        hib = default_higher_is_better(name) if higher_is_better is None else higher_is_better
        return Metric(name, custom[name], hib)
    if name not in METRICS:
        raise MlopsUsageError(
            f"metric '{name}' is not built in",
            hint=f"built-in: {', '.join(sorted(METRICS))}; or pass metric_fns={{'{name}': fn}}",
        )
    metric = METRICS[name]
    if higher_is_better is not None and higher_is_better != metric.higher_is_better:
        raise MlopsUsageError(f"metric '{name}' is {'higher' if metric.higher_is_better else 'lower'}-is-better")
    return metric


def is_classification(y: Any) -> bool:
    """True for labels (ints, bools, strings, or floats that are all whole with few values)."""
    arr = np.asarray(y)
    if arr.dtype.kind in "biuOUSb":
        return True
    if arr.dtype.kind == "f":
        finite = arr[np.isfinite(arr)]
        return bool(np.all(finite == np.round(finite)) and np.unique(finite).size <= 50)
    return False
