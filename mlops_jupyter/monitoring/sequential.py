"""mSPRT: an always-valid test of two arms' success rates, safe to check after every batch.

The mixture sequential probability ratio test (Robbins 1970; Johari, Pekelis & Walsh,
"Always valid inference", 2017) compares arm B (challenger) with arm A (champion) on
independent Bernoulli outcomes (labelled request correct or not). With the difference
``θ̂ = p̂_B − p̂_A``, its variance ``V`` (pooled rate: ``p̄(1−p̄)(1/n_A + 1/n_B)``) and a
normal mixing distribution ``N(θ0, τ²)`` over the alternative, the mixture likelihood
ratio is::

    Λ = sqrt(V / (V + τ²)) · exp((θ̂ − θ0)² τ² / (2 V (V + τ²)))

``Λ`` is (asymptotically) a non-negative martingale under ``H0: θ = θ0``, so by Ville's
inequality ``P(Λ ever ≥ 1/α) ≤ α``: the gate may look after every batch of feedback
without inflating the false-positive rate (a fixed-n test read repeatedly would). The
always-valid p-value is ``min(1, 1/max Λ)`` over the looks.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np

DEFAULT_TAU = 0.05  # mixing sd: the size of differences we care about (5 accuracy points)
MIN_PER_ARM = 30    # below this the normal approximation is not trusted: no decision


def mixture_lr(theta_hat: Any, var: Any, theta0: float = 0.0, tau: float = DEFAULT_TAU) -> Any:
    """``Λ`` for arrays or scalars (``var`` > 0)."""
    tau2 = tau * tau
    var = np.maximum(var, 1e-15)
    return np.sqrt(var / (var + tau2)) * np.exp((theta_hat - theta0) ** 2 * tau2 / (2 * var * (var + tau2)))


def pooled_var(s_a: Any, n_a: Any, s_b: Any, n_b: Any) -> Any:
    """Variance of ``p̂_B − p̂_A`` with the pooled rate (smoothed: +1 success, +2 trials)."""
    p = (s_a + s_b + 1.0) / (n_a + n_b + 2.0)
    return p * (1 - p) * (1.0 / np.maximum(n_a, 1) + 1.0 / np.maximum(n_b, 1))


@dataclass
class SequentialResult:
    """Verdict of the online A/B test at this look."""

    decision: str           # "better" | "worse" | "not-worse" | "insufficient"
    n_a: int
    n_b: int
    rate_a: float | None
    rate_b: float | None
    difference: float | None
    lr: float
    threshold: float
    p_value: float          # always-valid
    need_more: int | None   # ≈ labelled requests still needed (both arms), None when decided
    theta0: float
    tau: float
    details: dict[str, Any] = field(default_factory=dict)

    @property
    def decided(self) -> bool:
        return self.decision != "insufficient"

    def to_dict(self) -> dict[str, Any]:
        return {"decision": self.decision, "n_champion": self.n_a, "n_challenger": self.n_b,
                "rate_champion": self.rate_a, "rate_challenger": self.rate_b, "difference": self.difference,
                "lr": self.lr if math.isfinite(self.lr) else 1e300, "threshold": self.threshold,
                "p_value": self.p_value, "need_more": self.need_more, "theta0": self.theta0, "tau": self.tau,
                **self.details}


def msprt(s_a: int, n_a: int, s_b: int, n_b: int, *, alpha: float = 0.05, delta: float = 0.0,
          rule: str = "superiority", tau: float = DEFAULT_TAU, max_lr_seen: float = 1.0) -> SequentialResult:
    """Test challenger (B) against champion (A) from success counts.

    ``rule="superiority"`` tests ``θ0 = +delta`` (B better by more than delta);
    ``"non-inferiority"`` tests ``θ0 = −delta`` (B not worse than delta). ``max_lr_seen``:
    the largest Λ of earlier looks, for the always-valid p-value.
    """
    theta0 = delta if rule == "superiority" else -delta
    threshold = 1.0 / alpha
    if min(n_a, n_b) < MIN_PER_ARM:
        short = sum(max(0, MIN_PER_ARM - n) for n in (n_a, n_b))
        ra = s_a / n_a if n_a else None
        rb = s_b / n_b if n_b else None
        return SequentialResult("insufficient", n_a, n_b, ra, rb, (rb - ra) if ra is not None and rb is not None else None,
                                1.0, threshold, 1.0, max(short, 1), theta0, tau,
                                {"reason": f"fewer than {MIN_PER_ARM} labelled requests on an arm"})
    ra, rb = s_a / n_a, s_b / n_b
    diff = rb - ra
    var = float(pooled_var(s_a, n_a, s_b, n_b))
    lr = float(mixture_lr(diff, var, theta0, tau))
    p_value = min(1.0, 1.0 / max(lr, max_lr_seen, 1e-300))
    if lr >= threshold:
        decision = ("better" if diff > theta0 else "worse") if rule == "superiority" else \
                   ("not-worse" if diff > theta0 else "worse")
        return SequentialResult(decision, n_a, n_b, ra, rb, diff, lr, threshold, p_value, None, theta0, tau)
    return SequentialResult("insufficient", n_a, n_b, ra, rb, diff, lr, threshold, p_value,
                            _need_more(diff, var, n_a + n_b, theta0, tau, threshold), theta0, tau)


def _need_more(diff: float, var: float, n: int, theta0: float, tau: float, threshold: float) -> int | None:
    """≈ extra labelled requests (same split) until Λ crosses the threshold if the observed
    difference held; with no visible difference, the count to see one of size τ."""
    effect = diff - theta0
    if abs(effect) < tau / 10:
        effect = tau
    for k in np.geomspace(1.01, 10_000, 400):
        if mixture_lr(theta0 + effect, var / k, theta0, tau) >= threshold:
            return max(1, math.ceil(n * (k - 1)))
    return None
