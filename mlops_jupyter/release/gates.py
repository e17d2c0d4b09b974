"""Gate configuration (``[release]`` in mlops.toml, overridden by arguments) and the gates.

Gates, each optional:

* ``data``    — the evaluation data passes a named validation suite;
* ``drift``   — no drift beyond threshold between the candidate's training data and a
  current dataset;
* ``metrics`` — absolute thresholds, and thresholds relative to the champion;
* ``ab``      — a paired A/B comparison with the champion on the evaluation data.

A gate runs when it is configured (``suite`` set, ``current`` set, ``metrics`` non-empty,
``ab`` set) or when it is named in ``gates=``. A gate that is asked for but lacks its
inputs *fails* (never passes silently). Relative metric thresholds and the A/B gate are
*skipped* when there is no champion yet.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from ..config import check_keys
from ..errors import ConfigError, MlopsUsageError
from .abtest import NON_INFERIORITY, RULES, SUPERIORITY, TESTS, ABResult
from .decision import FAILED, PASSED, SKIPPED, GateResult
from .metrics import default_higher_is_better, get_metric, is_classification

GATE_NAMES = ("data", "drift", "metrics", "ab", "tests")

RELEASE_KEYS: dict[str, Any] = {
    "alias": str, "gates": list, "target": str, "model_path": str, "webhook": str,
    "suite": str, "current": str, "reference": str, "eval": str,
    "drift_method": str, "drift_threshold": Any, "max_drift_share": Any,
    "metrics": dict, "ab": dict, "require_tests": bool,
}
METRIC_KEYS: dict[str, Any] = {"min": Any, "max": Any, "min_delta": Any, "min_rel_delta": Any,
                               "direction": str}
AB_KEYS: dict[str, Any] = {"metric": str, "test": str, "rule": str, "delta": Any,
                           "confidence": Any, "n_boot": int, "seed": int, "midp": bool, "online": str}
AB_DEFAULTS: dict[str, Any] = {"metric": None, "test": None, "rule": SUPERIORITY, "delta": 0.0,
                               "confidence": 0.95, "n_boot": 2000, "seed": 0, "midp": False, "online": None}


def _number(where: str, key: str, value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        raise ConfigError(f"'{key}' in {where} must be a finite number, got {value!r}")
    return float(value)


@dataclass
class MetricSpec:
    """Thresholds for one metric; ``improvement`` is signed so that positive is better."""

    name: str
    higher_is_better: bool
    min: float | None = None
    max: float | None = None
    min_delta: float | None = None
    min_rel_delta: float | None = None

    @property
    def relative(self) -> bool:
        """True when a threshold compares with the champion."""
        return self.min_delta is not None or self.min_rel_delta is not None


@dataclass
class GateConfig:
    """Every setting of the release gates, resolved from config and arguments."""

    gates: list[str] | None = None
    suite: str | None = None
    current: Any = None
    reference: Any = None
    drift_method: str | None = None
    drift_threshold: float | None = None
    max_drift_share: float | None = None
    metrics: dict[str, MetricSpec] = field(default_factory=dict)
    ab: dict[str, Any] | None = None
    target: str | None = None
    webhook: str | None = None
    model_path: str | None = None
    require_tests: bool = False  # gate "tests": tests passed on the candidate's run

    def wanted(self) -> list[str]:
        """The gates that run, in order."""
        if self.gates is not None:
            return [g for g in GATE_NAMES if g in self.gates]
        out = []
        if self.suite:
            out.append("data")
        if self.current is not None:
            out.append("drift")
        if self.metrics:
            out.append("metrics")
        if self.ab is not None:
            out.append("ab")
        if self.require_tests:
            out.append("tests")
        return out


def parse_metric_specs(raw: Mapping[str, Any], where: str) -> dict[str, MetricSpec]:
    """``{"accuracy": {"min": 0.9, "min_delta": 0}}`` → :class:`MetricSpec` objects."""
    out: dict[str, MetricSpec] = {}
    for name, spec in raw.items():
        if not isinstance(spec, Mapping):
            raise ConfigError(f"metric '{name}' in {where} must be a table of thresholds",
                              hint="e.g. accuracy = {min = 0.9, min_delta = 0.0}")
        check_keys(f"metric '{name}' of {where}", dict(spec), METRIC_KEYS)
        direction = spec.get("direction")
        if direction not in (None, "higher", "lower"):
            raise ConfigError(f"direction of '{name}' in {where} must be 'higher' or 'lower'")
        hib = default_higher_is_better(name) if direction is None else direction == "higher"
        nums = {k: _number(where, f"{name}.{k}", spec[k]) for k in ("min", "max", "min_delta", "min_rel_delta") if spec.get(k) is not None}
        out[name] = MetricSpec(name=name, higher_is_better=hib, **nums)
    return out


def parse_ab(raw: Mapping[str, Any] | bool | str | None, where: str) -> dict[str, Any] | None:
    """The A/B settings merged over :data:`AB_DEFAULTS` (None when A/B is off).
    ``"online:SERVICE"`` (or ``online = "SERVICE"``) reads a live experiment instead."""
    if raw is None or raw is False:
        return None
    if isinstance(raw, str):
        from ..monitoring.online_ab import service_of

        raw = {"online": service_of(raw)}
    spec = {} if raw is True else dict(raw)
    check_keys(f"[release.ab] of {where}", spec, AB_KEYS)
    out = {**AB_DEFAULTS, **spec}
    if out["test"] not in (None, *TESTS):
        raise ConfigError(f"A/B test '{out['test']}' in {where} is not known", hint=f"use one of: {', '.join(TESTS)}")
    if out["rule"] not in RULES:
        raise ConfigError(f"A/B rule '{out['rule']}' in {where} is not known", hint=f"use one of: {', '.join(RULES)}")
    out["delta"] = _number(where, "ab.delta", out["delta"])
    out["confidence"] = _number(where, "ab.confidence", out["confidence"])
    if out["delta"] < 0:
        raise ConfigError(f"ab.delta in {where} must be ≥ 0 (it is a margin)")
    if not 0.5 < out["confidence"] < 1:
        raise ConfigError(f"ab.confidence in {where} must be between 0.5 and 1")
    return out


def resolve_config(section: Mapping[str, Any], where: str, **overrides: Any) -> GateConfig:
    """Merge the ``[release]`` table with call arguments (arguments win; None = unset)."""
    check_keys(f"[release] of {where}", dict(section), RELEASE_KEYS)
    merged: dict[str, Any] = dict(section)
    for key, value in overrides.items():
        if value is None:
            continue
        if key == "metrics" and isinstance(value, Mapping) and isinstance(merged.get("metrics"), Mapping):
            merged["metrics"] = {**merged["metrics"], **{k: {**dict(merged["metrics"].get(k, {})), **dict(v)} for k, v in value.items()}}
        elif key == "ab" and isinstance(value, Mapping) and isinstance(merged.get("ab"), Mapping):
            merged["ab"] = {**merged["ab"], **value}
        else:
            merged[key] = value
    gates = merged.get("gates")
    if gates is not None:
        if isinstance(gates, str):
            gates = [g.strip() for g in gates.split(",") if g.strip()]
        unknown = [g for g in gates if g not in GATE_NAMES]
        if unknown:
            raise MlopsUsageError(f"unknown gate(s): {', '.join(unknown)}", hint=f"gates: {', '.join(GATE_NAMES)}")
    for key in ("drift_threshold", "max_drift_share"):
        if merged.get(key) is not None:
            merged[key] = _number(where, key, merged[key])
    return GateConfig(
        gates=list(gates) if gates is not None else None,
        suite=merged.get("suite"), current=merged.get("current"), reference=merged.get("reference"),
        drift_method=merged.get("drift_method"), drift_threshold=merged.get("drift_threshold"),
        max_drift_share=merged.get("max_drift_share"),
        metrics=parse_metric_specs(merged.get("metrics") or {}, where),
        ab=parse_ab(merged.get("ab"), where), target=merged.get("target"),
        webhook=merged.get("webhook"), model_path=merged.get("model_path"),
        require_tests=bool(merged.get("require_tests") or False),
    )


# -- the gates -------------------------------------------------------------------------------


def gate_data(eval_frame: Any, suite: str | None) -> GateResult:
    """Gate 1: the evaluation data passes validation suite ``suite``."""
    if not suite:
        return GateResult("data", FAILED, "no validation suite named (suite=...)")
    if eval_frame is None:
        return GateResult("data", FAILED, "no evaluation data to validate (eval_data=...)")
    from ..validation import validate

    report = validate(eval_frame, suite=suite, warn_only=True)
    results = list(report.to_dict().get("results", []))
    failed = [{k: r.get(k) for k in ("rule", "status", "failing", "message")}
              for r in results if r.get("status") not in ("passed", "pass", "ok", "skipped")]
    numbers: dict[str, Any] = {"suite": suite, "rows": len(eval_frame), "rules": len(results),
                               "failed": failed[:20]}
    if report.ok:
        return GateResult("data", PASSED, f"evaluation data passes suite '{suite}' ({len(results)} rules)", numbers)
    names = ", ".join(str(f["rule"]) for f in failed[:3])
    return GateResult("data", FAILED, f"evaluation data fails suite '{suite}': {len(failed)} rule(s) ({names})", numbers)


def gate_drift(reference: Any, current: Any, cfg: GateConfig) -> GateResult:
    """Gate 2: no drift beyond threshold between training (reference) and current data."""
    if current is None:
        return GateResult("drift", FAILED, "no current dataset named (current=...)")
    if reference is None:
        return GateResult("drift", FAILED,
                          "the candidate's training data is unknown: pass reference=... or log it as a run input")
    from ..drift_detection import drift

    cols = [c for c in reference.columns if c in set(current.columns) and c != cfg.target]
    if not cols:
        return GateResult("drift", FAILED, "the reference and current data share no columns")
    kwargs: dict[str, Any] = {"name": "release gate"}
    if cfg.drift_method:
        kwargs["method"] = cfg.drift_method
    if cfg.drift_threshold is not None:
        kwargs["threshold"] = cfg.drift_threshold
    report = drift(reference[cols], current[cols], **kwargs)
    share = getattr(report, "share", None)
    drifted_cols = list(getattr(report, "drifted_columns", []) or [])
    numbers: dict[str, Any] = {"share": share, "drifted": bool(report.drifted), "columns": len(cols),
                               "drifted_columns": drifted_cols[:50], "max_drift_share": cfg.max_drift_share,
                               "method": cfg.drift_method or "auto"}
    if share is None:
        return GateResult("drift", FAILED, "no column could be tested for drift", numbers)
    if cfg.max_drift_share is None:
        ok = not bool(report.drifted)
        limit = "the drift report's dataset verdict"
    else:
        ok = float(share) <= cfg.max_drift_share
        limit = f"allowed ≤ {cfg.max_drift_share:.0%}"
    shown = ", ".join(map(str, drifted_cols[:3])) + (" …" if len(drifted_cols) > 3 else "")
    verdict = f"{len(drifted_cols)} of {len(cols)} columns drifted ({float(share):.0%}; {limit})" + (
        f": {shown}" if drifted_cols else "")
    return GateResult("drift", PASSED if ok else FAILED, verdict, numbers)


def gate_metrics(specs: Mapping[str, MetricSpec], candidate: Mapping[str, float],
                 champion: Mapping[str, float] | None, source: str) -> GateResult:
    """Gate 3: absolute thresholds, and thresholds relative to the champion."""
    if not specs:
        return GateResult("metrics", FAILED, "no metric thresholds configured (metrics=...)")
    failures: list[str] = []
    numbers: dict[str, Any] = {"source": source, "metrics": {}}
    for name, spec in specs.items():
        value = candidate.get(name)
        row: dict[str, Any] = {"candidate": value, "higher_is_better": spec.higher_is_better,
                               "min": spec.min, "max": spec.max, "min_delta": spec.min_delta,
                               "min_rel_delta": spec.min_rel_delta}
        numbers["metrics"][name] = row
        if value is None or not math.isfinite(value):
            failures.append(f"{name} unavailable for the candidate")
            continue
        if spec.min is not None and value < spec.min:
            failures.append(f"{name} {value:.4g} < min {spec.min:g}")
        if spec.max is not None and value > spec.max:
            failures.append(f"{name} {value:.4g} > max {spec.max:g}")
        if not spec.relative or champion is None:
            continue
        base = champion.get(name)
        row["champion"] = base
        if base is None or not math.isfinite(base):
            failures.append(f"{name} unavailable for the champion")
            continue
        improvement = (value - base) if spec.higher_is_better else (base - value)
        row["improvement"] = improvement
        if spec.min_delta is not None and improvement < spec.min_delta:
            failures.append(f"{name} improves by {improvement:+.4g} < {spec.min_delta:+g} vs champion {base:.4g}")
        if spec.min_rel_delta is not None:
            rel = improvement / abs(base) if base else math.inf if improvement > 0 else 0.0
            row["relative_improvement"] = rel
            if rel < spec.min_rel_delta:
                failures.append(f"{name} improves by {rel:+.2%} < {spec.min_rel_delta:+.2%} vs champion")
    if failures:
        return GateResult("metrics", FAILED, "; ".join(failures), numbers)
    parts = [f"{n} {candidate[n]:.4g}" for n in specs]
    note = " (no champion: absolute thresholds only)" if champion is None and any(s.relative for s in specs.values()) else ""
    return GateResult("metrics", PASSED, ", ".join(parts) + note, numbers)


def choose_ab(ab: Mapping[str, Any], y: Any) -> tuple[str, str]:
    """The metric and test of the A/B gate: McNemar on accuracy for labels, else bootstrap."""
    classification = is_classification(y)
    metric = ab.get("metric") or ("accuracy" if classification else "mse")
    test = ab.get("test") or ("mcnemar" if metric == "accuracy" and classification else "bootstrap")
    if test == "mcnemar" and metric != "accuracy":
        raise MlopsUsageError(f"McNemar's test compares accuracy, not '{metric}'",
                              hint="use test='bootstrap' for other metrics")
    return metric, test


def gate_ab(ab: Mapping[str, Any], y: Any, champion_pred: Any, challenger_pred: Any,
            metric_name: str, test: str,
            metric_fns: Mapping[str, Callable[[Any, Any], float]] | None = None) -> tuple[GateResult, ABResult]:
    """Gate 4: paired A/B test of challenger vs champion on the same evaluation rows."""
    import numpy as np

    from .abtest import mcnemar, paired_bootstrap

    if test == "mcnemar":
        yy = np.asarray(y)
        res = mcnemar(np.asarray(champion_pred) == yy, np.asarray(challenger_pred) == yy,
                      delta=ab["delta"], rule=ab["rule"], confidence=ab["confidence"], midp=bool(ab["midp"]))
    else:
        metric = get_metric(metric_name, dict(metric_fns or {}))
        res = paired_bootstrap(
            y, champion_pred, challenger_pred, metric.fn, metric=metric_name, per_row=metric.per_row,
            higher_is_better=metric.higher_is_better, delta=ab["delta"], rule=ab["rule"],
            confidence=ab["confidence"], n_boot=int(ab["n_boot"]), seed=ab["seed"],
        )
    margin = res.delta if res.rule == SUPERIORITY else -res.delta
    bound = f"{metric_name} improvement {res.improvement:+.4g}, lower bound {res.ci_low:+.4g} vs {margin:+g}"
    p = f", p={res.p_value:.3g}" if res.p_value is not None else ""
    word = "better" if res.rule == SUPERIORITY else "not worse"
    reason = (f"{word} ({res.test}: {bound}{p})" if res.passed
              else f"not shown {word} than champion ({res.test}: {bound}{p})")
    status = PASSED if res.passed else FAILED
    return GateResult("ab", status, reason, res.to_dict()), res


def skipped(name: str, reason: str) -> GateResult:
    """A gate that cannot apply (no champion yet)."""
    return GateResult(name, SKIPPED, reason)


__all__ = ["AB_DEFAULTS", "GATE_NAMES", "NON_INFERIORITY", "SUPERIORITY", "GateConfig", "MetricSpec",
           "choose_ab", "gate_ab", "gate_data", "gate_drift", "gate_metrics", "resolve_config", "skipped"]
