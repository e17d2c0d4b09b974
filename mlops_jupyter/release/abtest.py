"""Paired A/B comparison of a challenger with a champion on the same evaluation rows.

Two tests, both paired (the same rows scored by both models):

* **McNemar** for classification accuracy: only the discordant rows count
  (``b`` = champion right / challenger wrong, ``c`` = challenger right / champion wrong).
  Conditional on ``m = b + c`` discordant rows, ``c ~ Binomial(m, π)`` and the accuracy
  difference is ``(c − b) / n = (2π − 1)·m / n``. The null hypothesis of the decision rule
  ("difference ≤ δ" for superiority, "difference ≤ −δ" for non-inferiority) becomes
  ``π ≤ π0 = ½ + δ·n / (2m)`` (resp. ``½ − δ·n / (2m)``), tested exactly (or with the
  mid-p correction, less conservative). With δ = 0 this is the classic exact McNemar test.
* **Paired bootstrap** for any metric function: rows are resampled with replacement
  (the same rows for both models) and the percentile interval of the improvement is used.
  Per-row metrics (accuracy, squared/absolute error, log loss) use a vectorised
  matrix of resampled row indices; any other metric function is evaluated per resample.

Decision rule at confidence ``c`` (one-sided, α = 1 − c):
superiority: declared better when the improvement's lower bound > δ;
non-inferiority: declared not worse when the lower bound > −δ.
"Improvement" is signed so that positive is better (champion − challenger for losses).
The reported interval has each bound one-sided at ``c`` (together a two-sided 2c − 1
interval, 90 % for c = 0.95), so the verdict can be read off the interval.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np

from ..errors import MlopsUsageError

SUPERIORITY = "superiority"
NON_INFERIORITY = "non-inferiority"
RULES = (SUPERIORITY, NON_INFERIORITY)
TESTS = ("mcnemar", "bootstrap")


@dataclass
class ABResult:
    """The numbers and the verdict of one paired comparison."""

    test: str
    metric: str
    rule: str
    delta: float
    confidence: float
    n: int
    champion_value: float
    challenger_value: float
    improvement: float  # challenger better by this much (sign: positive = better)
    ci_low: float
    ci_high: float
    p_value: float | None
    passed: bool
    details: dict[str, Any]

    @property
    def verdict(self) -> str:
        """Human wording of the outcome ("better by at least δ" / "not worse than δ")."""
        if self.rule == SUPERIORITY:
            what = f"better by more than {self.delta:g}"
        else:
            what = f"not worse than {self.delta:g}"
        return ("challenger " if self.passed else "not shown: challenger ") + what + (
            f" at {self.confidence:.0%} confidence"
        )

    def to_dict(self) -> dict[str, Any]:
        """JSON-safe form (for the decision record)."""
        from .._util import json_safe

        out = asdict(self)
        out["verdict"] = self.verdict
        return dict(json_safe(out))


def _check_rule(rule: str, delta: float, confidence: float) -> None:
    if rule not in RULES:
        raise MlopsUsageError(f"A/B rule '{rule}' is not known", hint=f"use one of: {', '.join(RULES)}")
    if not 0.5 < confidence < 1:
        raise MlopsUsageError(f"confidence {confidence} must be between 0.5 and 1 (e.g. 0.95)")
    if delta < 0 or not np.isfinite(delta):
        raise MlopsUsageError(f"delta {delta} must be a finite number ≥ 0 (the margin)")


# -- McNemar ---------------------------------------------------------------------------------


def mcnemar_null_pi(n: Any, m: Any, delta: float, rule: str) -> Any:
    """π0 of the conditional null hypothesis (see module doc); may lie outside [0, 1]."""
    n = np.asarray(n, dtype=float)
    m = np.asarray(m, dtype=float)
    shift = delta * n / (2.0 * np.maximum(m, 1.0))
    return 0.5 + shift if rule == SUPERIORITY else 0.5 - shift


def mcnemar_pvalues(b: Any, c: Any, n: Any, delta: float = 0.0, rule: str = SUPERIORITY,
                    midp: bool = False) -> Any:
    """One-sided p-values of the (generalised) exact McNemar test, vectorised over arrays.

    ``b``: rows the champion got right and the challenger wrong; ``c``: the reverse;
    ``n``: all rows. Small p means the challenger passes the rule.
    """
    from scipy.stats import binom

    b = np.asarray(b, dtype=np.int64)
    c = np.asarray(c, dtype=np.int64)
    m = b + c
    pi0 = mcnemar_null_pi(n, m, delta, rule)
    pi0_clipped = np.clip(pi0, 0.0, 1.0)
    # P(X >= c) under Binomial(m, π0); mid-p counts half of P(X = c).
    upper = binom.sf(c - 1, m, pi0_clipped)
    if midp:
        upper = upper - 0.5 * binom.pmf(c, m, pi0_clipped)
    p = np.where(m == 0, 1.0, upper)
    # π0 ≥ 1: no outcome can beat the margin; π0 ≤ 0: every outcome does (with m > 0).
    p = np.where(pi0 >= 1.0, 1.0, p)
    p = np.where((pi0 <= 0.0) & (m > 0), 0.0, p)
    return np.clip(p, 0.0, 1.0)


def mcnemar(champion_correct: Any, challenger_correct: Any, *, delta: float = 0.0,
            rule: str = SUPERIORITY, confidence: float = 0.95, midp: bool = False,
            metric: str = "accuracy") -> ABResult:
    """Paired exact (or mid-p) McNemar comparison of two classifiers' per-row correctness."""
    from scipy.stats import beta

    _check_rule(rule, delta, confidence)
    a = np.asarray(champion_correct, dtype=bool)
    z = np.asarray(challenger_correct, dtype=bool)
    if a.shape != z.shape or a.ndim != 1:
        raise MlopsUsageError("champion and challenger predictions must cover the same rows")
    n = int(a.size)
    if n == 0:
        raise MlopsUsageError("the evaluation data has no rows")
    b = int(np.sum(a & ~z))
    c = int(np.sum(~a & z))
    m = b + c
    alpha = 1.0 - confidence
    p = float(mcnemar_pvalues(b, c, n, delta, rule, midp))
    # Clopper–Pearson one-sided bounds on π, mapped to the accuracy difference.
    if m > 0:
        pi_lo = float(beta.ppf(alpha, c, m - c + 1)) if c > 0 else 0.0
        pi_hi = float(beta.ppf(1 - alpha, c + 1, m - c)) if c < m else 1.0
    else:
        pi_lo, pi_hi = 0.5, 0.5
    ci_low = (2 * pi_lo - 1) * m / n
    ci_high = (2 * pi_hi - 1) * m / n
    return ABResult(
        test="mcnemar-midp" if midp else "mcnemar-exact", metric=metric, rule=rule,
        delta=float(delta), confidence=float(confidence), n=n,
        champion_value=float(a.mean()), challenger_value=float(z.mean()),
        improvement=float((c - b) / n), ci_low=float(ci_low), ci_high=float(ci_high),
        p_value=p, passed=bool(p <= alpha),
        details={"champion_only_right": b, "challenger_only_right": c, "discordant": m,
                 "null_pi": float(mcnemar_null_pi(n, m, delta, rule))},
    )


# -- paired bootstrap ------------------------------------------------------------------------


def bootstrap_improvements(
    y_true: Any, champion: Any, challenger: Any, metric_fn: Callable[[Any, Any], float] | None,
    *, per_row: Callable[[Any, Any], Any] | None = None, higher_is_better: bool = True,
    n_boot: int = 2000, seed: int | None = 0, chunk: int = 250,
) -> tuple[float, Any]:
    """The observed improvement and ``n_boot`` paired-bootstrap improvements.

    With ``per_row`` (a function giving each row's score, whose mean is the metric) all
    resamples of a chunk are one fancy-indexed mean; otherwise ``metric_fn`` is
    called on each resample.
    """
    y = np.asarray(y_true)
    a = np.asarray(champion)
    z = np.asarray(challenger)
    n = len(y)
    if n == 0:
        raise MlopsUsageError("the evaluation data has no rows")
    if len(a) != n or len(z) != n:
        raise MlopsUsageError("champion and challenger predictions must cover the same rows")
    sign = 1.0 if higher_is_better else -1.0
    rng = np.random.default_rng(seed)
    if per_row is not None:
        diff = np.asarray(per_row(y, z), dtype=float) - np.asarray(per_row(y, a), dtype=float)
        observed = sign * float(diff.mean())
        out = np.empty(n_boot)
        for start in range(0, n_boot, chunk):
            size = min(chunk, n_boot - start)
            out[start:start + size] = sign * diff[rng.integers(0, n, size=(size, n))].mean(axis=1)
        return observed, out
    if metric_fn is None:
        raise MlopsUsageError("a bootstrap comparison needs a metric function")
    observed = sign * (float(metric_fn(y, z)) - float(metric_fn(y, a)))
    out = np.empty(n_boot)
    for i in range(n_boot):
        idx = rng.integers(0, n, n)
        out[i] = sign * (float(metric_fn(y[idx], z[idx])) - float(metric_fn(y[idx], a[idx])))
    return observed, out


def paired_bootstrap(
    y_true: Any, champion: Any, challenger: Any, metric_fn: Callable[[Any, Any], float] | None = None,
    *, metric: str = "metric", per_row: Callable[[Any, Any], Any] | None = None,
    higher_is_better: bool = True, delta: float = 0.0, rule: str = SUPERIORITY,
    confidence: float = 0.95, n_boot: int = 2000, seed: int | None = 0,
) -> ABResult:
    """Paired percentile-bootstrap comparison for any metric (see module doc)."""
    _check_rule(rule, delta, confidence)
    if n_boot < 100:
        raise MlopsUsageError(f"n_boot={n_boot} is too small for a confidence bound", hint="use ≥ 1000")
    observed, boots = bootstrap_improvements(
        y_true, champion, challenger, metric_fn, per_row=per_row,
        higher_is_better=higher_is_better, n_boot=n_boot, seed=seed,
    )
    alpha = 1.0 - confidence
    finite = boots[np.isfinite(boots)]
    if finite.size < n_boot * 0.9:
        raise MlopsUsageError(f"metric '{metric}' is undefined on many resamples of the evaluation data",
                              hint="use more evaluation rows or another metric")
    lo = float(np.quantile(finite, alpha))
    hi = float(np.quantile(finite, 1 - alpha))
    margin = delta if rule == SUPERIORITY else -delta
    y = np.asarray(y_true)
    if per_row is not None:
        champ_v = float(np.mean(per_row(y, np.asarray(champion))))
        chall_v = float(np.mean(per_row(y, np.asarray(challenger))))
    else:
        assert metric_fn is not None
        champ_v = float(metric_fn(y, np.asarray(champion)))
        chall_v = float(metric_fn(y, np.asarray(challenger)))
    return ABResult(
        test="paired-bootstrap", metric=metric, rule=rule, delta=float(delta),
        confidence=float(confidence), n=len(y), champion_value=champ_v, challenger_value=chall_v,
        improvement=observed, ci_low=lo, ci_high=hi, p_value=None, passed=bool(lo > margin),
        details={"n_boot": n_boot, "seed": seed, "higher_is_better": higher_is_better,
                 "p_better": float(np.mean(finite > margin))},
    )
