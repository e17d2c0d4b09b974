"""Model quality: rules over a run's metrics, including relative ones against the champion.

``accuracy >= 0.8``, ``rmse between 0 and 3``, ``accuracy >= champion.accuracy - 0.01``.
Names are metric keys of the run; ``champion.NAME`` is metric NAME of the run behind the
registered model version with alias ``champion`` (model name from the ``model`` argument
or ``model = "…"`` in the ``[validation]`` config table).
"""

from __future__ import annotations

import math
import operator
import time
from collections.abc import Callable
from typing import Any

from ..errors import MlopsUsageError, NoActiveRun, RuleError
from ..session import session
from .grammar import has_time
from .language import Expr, Rule, parse_rules
from .report import ERROR, FAIL, PASS, RuleResult, ValidationReport

CHAMPION = "champion"
_OPS: dict[str, Callable[[Any, Any], Any]] = {
    "<": operator.lt, "<=": operator.le, ">": operator.gt, ">=": operator.ge,
    "==": lambda a, b: math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-12),
    "!=": lambda a, b: not math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-12),
    "+": operator.add, "-": operator.sub, "*": operator.mul, "/": operator.truediv,
    "%": operator.mod,
}


class _NoValue(Exception):
    pass


class _Scope:
    def __init__(self, metrics: dict[str, float], champion: Callable[[], dict[str, float]]) -> None:
        self.metrics = metrics
        self._champion = champion

    def get(self, name: str) -> float:
        if name.startswith(CHAMPION + "."):
            key = name[len(CHAMPION) + 1 :]
            champ = self._champion()
            if key not in champ:
                raise _NoValue(f"the champion has no metric '{key}'")
            return champ[key]
        if name not in self.metrics:
            raise _NoValue(f"metric '{name}' was not logged in this run")
        return self.metrics[name]


def _eval(e: Expr, scope: _Scope) -> float:
    if e.kind == "num":
        return float(e.value)
    if e.kind == "col":
        return float(scope.get(e.value))
    if e.kind == "neg":
        assert e.left is not None
        return -_eval(e.left, scope)
    if e.kind == "bin":
        assert e.left is not None and e.right is not None
        return float(_OPS[e.value](_eval(e.left, scope), _eval(e.right, scope)))
    raise RuleError("metric rules use metric names, numbers and arithmetic only")


def _check(rule: Rule, scope: _Scope) -> RuleResult:
    names = rule.expr.columns() if rule.expr else []
    base = RuleResult(rule.text, rule.line, rule.kind, FAIL, names)
    try:
        assert rule.expr is not None
        left = _eval(rule.expr, scope)
        if rule.kind == "between":
            assert rule.low is not None and rule.high is not None
            lo, hi = _eval(rule.low, scope), _eval(rule.high, scope)
            ok = lo < left < hi if rule.exclusive else lo <= left <= hi
            bound = f"[{lo:.6g}, {hi:.6g}]"
        else:
            assert rule.op is not None and rule.right is not None
            right = _eval(rule.right, scope)
            ok = bool(_OPS[rule.op](left, right))
            bound = f"{rule.op} {right:.6g}"
        if not math.isfinite(left):
            ok = False
        base.status, base.observed = (PASS if ok else FAIL), left
        base.message = f"{left:.6g} {'is' if ok else 'is not'} {bound}"
    except _NoValue as exc:
        base.message = str(exc)
    except (ZeroDivisionError, OverflowError, RuleError) as exc:
        base.status, base.message = ERROR, str(getattr(exc, "message", exc))
    return base


def champion_metrics(model: str, alias: str = CHAMPION, client: Any = None) -> dict[str, float]:
    """Metrics of the run behind ``model@alias`` in the registry (empty when not found)."""
    if client is None:
        from ..tracking.store import client_for

        client = client_for(session.profile())
    try:
        version = client.get_model_version_by_alias(model, alias)
    except Exception as exc:
        raise _NoValue(f"no version of model '{model}' has alias '{alias}' ({type(exc).__name__})") from None
    if not version.run_id:
        raise _NoValue(f"model '{model}' version {version.version} has no run")
    return dict(client.get_run(version.run_id).data.metrics)


def _run_metrics(run: Any) -> tuple[dict[str, float], str]:
    if isinstance(run, dict):
        return {str(k): float(v) for k, v in run.items()}, "metrics"
    if run is None:
        from .api import current_run

        handle = current_run()
        if handle is None:
            raise NoActiveRun("no active run to check metrics of")
        # what this kernel logged (buffered, maybe not written yet) over what the store has
        # (values logged with mlflow directly, or by other processes)
        merged: dict[str, float] = {}
        client = getattr(handle, "client", None)
        try:
            if client is not None:
                merged.update(client.get_run(handle.run_id).data.metrics)
        except Exception:  # store unreachable: the run's own buffer still answers
            pass
        latest = getattr(handle, "latest", None)
        if isinstance(latest, dict):
            merged.update({str(k): float(v) for k, v in latest.items()})
        if merged or client is not None:
            return merged, f"run {handle.run_id}"
        run = handle.run_id
    if isinstance(run, str):
        from ..tracking.store import client_for

        return dict(client_for(session.profile()).get_run(run).data.metrics), f"run {run}"
    raise MlopsUsageError(f"run must be a run id, a dict of metrics or None, not {type(run).__name__}")


def check_metrics(rules: str | list[str], run: Any = None, *, model: str | None = None,
                  alias: str = CHAMPION, warn_only: bool = False, name: str = "metrics") -> ValidationReport:
    """Check model-quality rules over a run's metrics (the active run by default).

    ``run`` is ``None`` (active run), a run id, or a dict of metric values. Names like
    ``champion.accuracy`` read the metrics of the registered ``model`` version with
    ``alias`` (default ``champion``); the model name comes from ``model`` or ``[validation]
    model`` in the config. Raises :class:`~mlops_jupyter.errors.ValidationFailed` when a
    rule fails, unless ``warn_only``.
    """
    from .api import finish

    started = time.perf_counter()
    parsed = parse_rules(rules)
    for rule in parsed:
        modifiers = rule.where or rule.nulls_fail or rule.mostly is not None
        timed = any(has_time(e) for e in (rule.expr, rule.right, rule.low, rule.high))
        if rule.kind not in ("compare", "between") or modifiers or timed:
            raise RuleError(f"line {rule.line}: '{rule.text}' is not a metric rule",
                            hint="metric rules compare values: accuracy >= champion.accuracy - 0.01")
    metrics, target = _run_metrics(run)
    cache: dict[str, float] = {}
    loaded = False

    def champion() -> dict[str, float]:
        nonlocal loaded
        if not loaded:
            from .api import validation_settings

            model_name = model or validation_settings().get("model")
            if not model_name:
                raise _NoValue("no model name for the champion: pass --model NAME or set "
                               "model in [validation] of mlops.toml")
            cache.update(champion_metrics(str(model_name), alias))
            loaded = True
        return cache

    scope = _Scope(metrics, champion)
    results = [_check(r, scope) for r in parsed]
    report = ValidationReport(name=name, target=target, rows=len(metrics), columns=len(metrics),
                              results=results, seconds=time.perf_counter() - started, warn_only=warn_only,
                              unit="metrics")
    return finish(report, warn_only)
