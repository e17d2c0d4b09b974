"""Compare a run with the best run of its experiment (the champion)."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

from .._views import Viewable
from ..errors import TrackingError

MINIMISE = ("loss", "error", "err", "mse", "rmse", "mae", "mape", "logloss", "perplexity", "time", "latency")
MAX_ROWS = 200


def default_mode(metric: str) -> str:
    """``min`` for names that look like losses/errors, else ``max``."""
    low = metric.lower()
    return "min" if any(tok in low for tok in MINIMISE) else "max"


@dataclass(repr=False)
class CompareResult(Viewable):
    """The current run next to the best run of the experiment."""

    metric: str
    mode: str
    current: dict[str, Any]
    best: dict[str, Any] | None
    metrics: list[tuple[str, float | None, float | None]] = field(default_factory=list)
    params: list[tuple[str, str | None, str | None]] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        """True when the current run is the best, or tied with the best on every shared metric."""
        return self.verdict in ("best", "tied")

    @property
    def verdict(self) -> str:
        """``best``, ``worse`` or ``tied``: ``metric`` decides; a tie on it is broken by the
        other metrics both runs have (alphabetically, each in its own default direction)."""
        return self._decide()[0]

    @property
    def decided_by(self) -> str:
        """The metric that decided :attr:`verdict` (``metric`` unless it was tied)."""
        return self._decide()[1]

    def _decide(self) -> tuple[str, str]:
        if self.best is None or self.best["run_id"] == self.current["run_id"]:
            return "best", self.metric
        cur = self.current["metrics"].get(self.metric)
        best = self.best["metrics"].get(self.metric)
        if cur is None or best is None or (isinstance(cur, float) and math.isnan(cur)):
            return "worse", self.metric
        for name, mode in [(self.metric, self.mode), *((n, default_mode(n)) for n in tiebreakers(self))]:
            c, b = self.current["metrics"].get(name), self.best["metrics"].get(name)
            if c is None or b is None or _isnan(c) or _isnan(b) or c == b:
                continue
            better = c < b if mode == "min" else c > b
            return ("best" if better else "worse"), name
        return "tied", self.metric

    def verdict_phrase(self) -> str:
        """``the best so far, ahead of`` / ``worse than the best run,`` / ``tied with``, and
        which metric broke a tie, for the views."""
        verdict, by = self._decide()
        if verdict == "tied":
            return "tied (on every shared metric) with"
        tie = f" (tied on {self.metric}, decided by {by})" if by != self.metric else ""
        return ("the best so far" + tie + ", ahead of") if verdict == "best" else ("worse than the best run" + tie + ",")

    def to_dict(self) -> dict[str, Any]:
        from .._util import json_safe

        return json_safe({
            "ok": self.ok, "metric": self.metric, "mode": self.mode, "current": self.current, "best": self.best,
            "metrics": [{"name": n, "current": c, "best": b} for n, c, b in self.metrics],
            "params": [{"name": n, "current": c, "best": b} for n, c, b in self.params],
        })

    def to_frame(self) -> Any:
        import pandas as pd

        return pd.DataFrame(self.metrics, columns=["metric", "current", "best"]).set_index("metric")

    def figure(self) -> Any:
        """A plotly bar chart of the metrics side by side."""
        return self._view("figure")


def _isnan(value: Any) -> bool:
    return isinstance(value, float) and math.isnan(value)


def tiebreakers(result: CompareResult) -> list[str]:
    """Metrics after the primary one that break a tie: those both runs have, by name."""
    best = (result.best or {}).get("metrics", {})
    return sorted(n for n in result.current["metrics"] if n in best and n != result.metric)


def _tiebreak_key(metrics: dict[str, float], names: list[str]) -> tuple[float, ...]:
    """Sort key among runs tied on the primary metric: ``names`` in order, each in its
    default direction (missing or NaN last)."""
    key: list[float] = []
    for name in names:
        value = metrics.get(name, math.nan)
        if _isnan(value):
            key.append(math.inf)
        else:
            key.append(value if default_mode(name) == "min" else -value)
    return tuple(key)


def _run_dict(run: Any) -> dict[str, Any]:
    return {
        "run_id": run.info.run_id, "run_name": run.info.run_name, "status": run.info.status,
        "metrics": dict(run.data.metrics), "params": dict(run.data.params),
    }


def compare_runs(client: Any, run_id: str, metric: str | None = None, mode: str | None = None, uri: str = "") -> CompareResult:
    """Find the best run of ``run_id``'s experiment on ``metric`` and line the two up."""
    try:
        run = client.get_run(run_id)
    except Exception as exc:
        raise TrackingError(f"cannot read run {run_id}: {str(exc)[:200]}") from None
    current = _run_dict(run)
    if metric is None:
        if not current["metrics"]:
            raise TrackingError(f"run {run_id[:8]} has no metrics to compare", hint="log one first: %mlops_track log acc=0.9")
        metric = sorted(current["metrics"])[0]
    mode = mode or default_mode(metric)
    if mode not in ("min", "max"):
        raise TrackingError(f"mode '{mode}' must be 'min' or 'max'")
    order = "ASC" if mode == "min" else "DESC"
    candidates = client.search_runs(
        [run.info.experiment_id],
        filter_string=f"attributes.status = 'FINISHED' and attributes.run_id != '{run_id}'",
        order_by=[f"metrics.`{metric}` {order}"],
        max_results=20,
    )
    valid = [r for r in candidates if metric in r.data.metrics and not math.isnan(r.data.metrics[metric])]
    top = [r for r in valid if r.data.metrics[metric] == valid[0].data.metrics[metric]] if valid else []
    names = sorted({n for r in top for n in r.data.metrics if n != metric})
    best_run = min(top, key=lambda r: _tiebreak_key(r.data.metrics, names)) if top else None
    best = _run_dict(best_run) if best_run is not None else None
    result = CompareResult(metric=metric, mode=mode, current=current, best=best)
    names = sorted(set(current["metrics"]) | set(best["metrics"] if best else {}))
    result.metrics = [(n, current["metrics"].get(n), (best or {}).get("metrics", {}).get(n)) for n in names][:MAX_ROWS]
    if best is not None:
        keys = sorted(set(current["params"]) | set(best["params"]))
        result.params = [
            (k, current["params"].get(k), best["params"].get(k)) for k in keys if current["params"].get(k) != best["params"].get(k)
        ][:MAX_ROWS]
    return result
