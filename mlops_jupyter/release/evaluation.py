"""Evaluation inputs of a release: datasets from arguments or paths, predictions of models."""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from ..errors import DataError, MlopsUsageError
from .metrics import get_metric


def load_frame(value: Any, root: Path | None = None, what: str = "dataset") -> Any:
    """A DataFrame from a DataFrame, or from a CSV/Parquet/JSON path (relative to ``root``)."""
    if value is None:
        return None
    if isinstance(value, (str, Path)):
        import pandas as pd

        path = Path(value)
        if not path.is_absolute() and root is not None and not path.exists():
            path = root / path
        if not path.is_file():
            raise DataError(f"{what} file {value} not found")
        suffix = path.suffix.lower()
        try:
            if suffix in (".parquet", ".pq"):
                return pd.read_parquet(path)
            if suffix in (".json", ".jsonl"):
                return pd.read_json(path, lines=suffix == ".jsonl")
            return pd.read_csv(path)
        except Exception as exc:
            raise DataError(f"cannot read {what} {path}: {exc}") from None
    if hasattr(value, "columns"):
        return value
    raise MlopsUsageError(f"{what} must be a DataFrame or a file path, got {type(value).__name__}")


def split_eval(eval_data: Any, target: str | None, root: Path | None = None) -> tuple[Any, Any, Any]:
    """``(frame, X, y)`` from a DataFrame + target column, a path + target, or an ``(X, y)`` pair.

    ``frame`` (features and target together) is what the data gate validates.
    """
    if eval_data is None:
        return None, None, None
    if isinstance(eval_data, tuple) and len(eval_data) == 2:
        import pandas as pd

        x, y = eval_data
        if not hasattr(x, "columns"):
            x = pd.DataFrame(x)
        name = target or getattr(y, "name", None) or "target"
        frame = x.assign(**{str(name): list(y)})
        return frame, x, y
    frame = load_frame(eval_data, root, "evaluation data")
    if not target:
        raise MlopsUsageError("evaluation data is a table: name its target column",
                              hint="target='label' (or --target label), or pass eval_data=(X, y)")
    if target not in frame.columns:
        raise MlopsUsageError(f"target column '{target}' is not in the evaluation data",
                              hint=f"columns: {', '.join(map(str, list(frame.columns)[:20]))}")
    return frame, frame.drop(columns=[target]), frame[target]


class Predictions:
    """Predictions of one model on the evaluation rows, computed lazily and cached."""

    def __init__(self, model: Any, x: Any) -> None:
        self.model = model
        self.x = x
        self._pred: Any = None
        self._proba: Any = None

    @property
    def pred(self) -> Any:
        """Predicted labels / values."""
        import numpy as np

        if self._pred is None:
            out = self.model.predict(self.x)
            arr = np.asarray(getattr(out, "values", out))
            self._pred = arr[:, 0] if arr.ndim > 1 else arr
        return self._pred

    @property
    def proba(self) -> Any:
        """Class probabilities (needs ``predict_proba``, i.e. the scikit-learn flavor)."""
        import numpy as np

        if self._proba is None:
            fn = getattr(self.model, "predict_proba", None)
            if fn is None:
                raise MlopsUsageError("this metric needs class probabilities; the model has no predict_proba")
            self._proba = np.asarray(fn(self.x))
        return self._proba

    def for_metric(self, needs_proba: bool) -> Any:
        """What a metric function takes as its second argument."""
        return self.proba if needs_proba else self.pred

    def encode(self, y: Any, needs_proba: bool = True) -> Any:
        """``y`` as column indices of :attr:`proba` (the model's ``classes_`` order; -1 for a
        label the model does not know) when a metric needs probabilities, else unchanged."""
        import numpy as np
        import pandas as pd

        if not needs_proba:
            return y
        classes = getattr(self.model, "classes_", None)
        if classes is None:
            return np.asarray(y)
        return pd.Index(list(classes)).get_indexer(list(np.asarray(y)))


def evaluate(names: list[str], y: Any, preds: Predictions,
             custom: Mapping[str, Callable[[Any, Any], float]] | None = None) -> dict[str, float]:
    """Metric values of one model on the evaluation data (NaN when a metric cannot be computed)."""
    import numpy as np

    out: dict[str, float] = {}
    yy = np.asarray(y)
    for name in names:
        metric = get_metric(name, dict(custom or {}))
        try:
            out[name] = float(metric.fn(preds.encode(yy, metric.needs_proba), preds.for_metric(metric.needs_proba)))
        except MlopsUsageError:
            out[name] = math.nan
    return out


def logged_metrics(run: Any, names: list[str]) -> dict[str, float]:
    """The metrics a run logged (latest value), restricted to ``names``."""
    data = dict(run.data.metrics) if run is not None else {}
    return {n: float(data[n]) for n in names if n in data}
