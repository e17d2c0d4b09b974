"""The mSPRT online A/B test: always valid under continuous monitoring, and it has power."""

from __future__ import annotations

import numpy as np
import pytest

from mlops_jupyter.monitoring.sequential import MIN_PER_ARM, mixture_lr, msprt, pooled_var

ALPHA = 0.05


def _looks(p_a: float, p_b: float, experiments: int, batches: int, batch: int, seed: int) -> tuple[np.ndarray, ...]:
    """Cumulative successes/trials of both arms after every batch, for many experiments."""
    rng = np.random.default_rng(seed)
    s_a = rng.binomial(batch, p_a, size=(experiments, batches)).cumsum(axis=1)
    s_b = rng.binomial(batch, p_b, size=(experiments, batches)).cumsum(axis=1)
    n = np.arange(1, batches + 1) * batch
    return s_a, s_b, np.broadcast_to(n, s_a.shape)


def _first_crossing(s_a: np.ndarray, s_b: np.ndarray, n: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    diff = s_b / n - s_a / n
    lr = mixture_lr(diff, pooled_var(s_a, n, s_b, n))
    lr = np.where(n >= MIN_PER_ARM, lr, 1.0)
    crossed = lr >= 1 / ALPHA
    first = np.where(crossed.any(axis=1), crossed.argmax(axis=1), -1)
    sign = np.array([np.sign(diff[i, f]) if f >= 0 else 0 for i, f in enumerate(first)])
    return first, sign


@pytest.mark.parametrize("p", [0.85, 0.6])
def test_false_positive_rate_is_at_most_5_percent_on_200_aa_experiments_checked_after_every_batch(p: float) -> None:
    # 200 A/A experiments, 50 labelled requests per arm per batch, checked after each of 80
    # batches (up to 4000 per arm): a fixed-n z-test read that often would reject ~30 %.
    s_a, s_b, n = _looks(p, p, 200, 80, 50, seed=7)
    first, _ = _first_crossing(s_a, s_b, n)
    rate = float((first >= 0).mean())
    assert rate <= 0.05, f"A/A false-positive rate {rate:.3f}"
    # the naive repeated z-test at the same looks does inflate (so this test can fail)
    diff = s_b / n - s_a / n
    z = np.abs(diff) / np.sqrt(pooled_var(s_a, n, s_b, n))
    assert float((z >= 1.96).any(axis=1).mean()) > 0.15


def test_detects_a_5_point_accuracy_gap() -> None:
    s_a, s_b, n = _looks(0.80, 0.85, 200, 80, 50, seed=11)
    first, sign = _first_crossing(s_a, s_b, n)
    detected = first >= 0
    assert detected.mean() >= 0.9, f"power {detected.mean():.2f}"
    assert (sign[detected] > 0).all()  # never declared worse
    print(f"median labelled requests per arm to decide: {np.median((first[detected] + 1) * 50):.0f}")


def test_decisions_and_the_need_more_estimate() -> None:
    small = msprt(10, 20, 12, 20)
    assert small.decision == "insufficient" and small.need_more == 20
    undecided = msprt(170, 200, 176, 200)
    assert undecided.decision == "insufficient" and undecided.need_more is not None and undecided.need_more > 100
    assert msprt(1600, 2000, 1720, 2000).decision == "better"
    assert msprt(1720, 2000, 1600, 2000).decision == "worse"
    ni = msprt(4250, 5000, 4225, 5000, rule="non-inferiority", delta=0.03)
    assert ni.decision == "not-worse"
    assert 0 < msprt(1600, 2000, 1720, 2000).p_value < ALPHA
