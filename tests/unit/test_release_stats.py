"""A/B statistics of the release gate: exact values, error rates by simulation, metrics."""

from __future__ import annotations

import math

import numpy as np
import pytest

from mlops_jupyter.errors import MlopsUsageError
from mlops_jupyter.release.abtest import mcnemar, mcnemar_pvalues, paired_bootstrap
from mlops_jupyter.release.metrics import METRICS, get_metric, is_classification

ALPHA = 0.05


def _mc_tolerance(sims: int, rate: float = ALPHA) -> float:
    return 3 * math.sqrt(rate * (1 - rate) / sims)


def test_mcnemar_exact_matches_the_binomial_tail() -> None:
    # 5 discordant rows, all won by the challenger: P(X >= 5 | Bin(5, 1/2)) = 1/32.
    assert mcnemar_pvalues(0, 5, 100) == pytest.approx(1 / 32)
    # mid-p counts half of P(X = 5)
    assert mcnemar_pvalues(0, 5, 100, midp=True) == pytest.approx(0.5 / 32)
    # the challenger winning fewer discordant rows is never "better"
    assert mcnemar_pvalues(5, 1, 100) > 0.5
    assert mcnemar_pvalues(0, 0, 100) == 1.0


def test_mcnemar_result_numbers_and_verdict() -> None:
    champ = np.array([True] * 80 + [False] * 20)
    chall = champ.copy()
    chall[80:95] = True  # challenger fixes 15 rows
    chall[0:2] = False  # and breaks 2
    res = mcnemar(champ, chall, confidence=0.95)
    assert res.details["champion_only_right"] == 2 and res.details["challenger_only_right"] == 15
    assert res.improvement == pytest.approx(0.13)
    assert res.passed and res.p_value is not None and res.p_value < 0.01
    assert res.ci_low > 0 and res.ci_low < res.improvement < res.ci_high
    # a margin bigger than the observed gain cannot be shown
    assert not mcnemar(champ, chall, delta=0.2).passed
    # non-inferiority of the champion against the challenger with a small margin fails
    assert not mcnemar(chall, champ, rule="non-inferiority", delta=0.01).passed


@pytest.mark.parametrize("midp", [False, True])
@pytest.mark.parametrize(
    ("rule", "delta", "probs"),
    [
        # equal challenger (the null of superiority with delta = 0)
        ("superiority", 0.0, [0.78, 0.07, 0.07, 0.08]),
        # challenger better by exactly delta: boundary of "better by more than delta"
        ("superiority", 0.02, [0.78, 0.06, 0.08, 0.08]),
        # challenger worse by exactly delta: boundary of "not worse than delta"
        ("non-inferiority", 0.02, [0.78, 0.08, 0.06, 0.08]),
    ],
)
def test_mcnemar_error_rate_by_simulation(rule: str, delta: float, probs: list[float], midp: bool) -> None:
    """At the null boundary the challenger passes at most at the stated rate α."""
    rng = np.random.default_rng(7)
    sims, n = 20000, 200
    # columns: both right, only champion right (b), only challenger right (c), both wrong
    counts = rng.multinomial(n, probs, size=sims)
    p = mcnemar_pvalues(counts[:, 1], counts[:, 2], n, delta, rule, midp)
    rate = float(np.mean(p <= ALPHA))
    assert rate <= ALPHA + _mc_tolerance(sims), rate
    if not midp:
        assert rate <= ALPHA  # the exact test is conservative


def test_mcnemar_power_on_a_truly_better_challenger() -> None:
    rng = np.random.default_rng(3)
    counts = rng.multinomial(500, [0.80, 0.03, 0.10, 0.07], size=5000)
    p = mcnemar_pvalues(counts[:, 1], counts[:, 2], 500)
    assert float(np.mean(p <= ALPHA)) > 0.95


def test_paired_bootstrap_error_rate_by_simulation() -> None:
    """An equal challenger is declared better at most at α (Monte-Carlo tolerance)."""
    rng = np.random.default_rng(11)
    sims, n = 600, 200
    acc = METRICS["accuracy"]
    y = np.ones(n, dtype=int)
    hits = 0
    for i in range(sims):
        kind = rng.choice(4, size=n, p=[0.78, 0.07, 0.07, 0.08])
        champ = np.isin(kind, (0, 1)).astype(int)
        chall = np.isin(kind, (0, 2)).astype(int)
        res = paired_bootstrap(y, champ, chall, acc.fn, per_row=acc.per_row, n_boot=500, seed=i)
        hits += res.passed
    assert hits / sims <= ALPHA + _mc_tolerance(sims), hits / sims


def test_paired_bootstrap_generic_metric_and_direction() -> None:
    rng = np.random.default_rng(5)
    y = rng.normal(size=300)
    champ = y + rng.normal(scale=1.0, size=300)
    chall = y + rng.normal(scale=0.5, size=300)
    rmse = get_metric("rmse")
    res = paired_bootstrap(y, champ, chall, rmse.fn, metric="rmse", higher_is_better=False, n_boot=500)
    assert res.passed and res.improvement > 0  # lower error is an improvement
    assert res.challenger_value < res.champion_value
    worse = paired_bootstrap(y, chall, champ, rmse.fn, metric="rmse", higher_is_better=False, n_boot=500)
    assert not worse.passed and worse.improvement < 0
    # same result from the per-row fast path for mse as from the generic loop
    mse = get_metric("mse")
    fast = paired_bootstrap(y, champ, chall, mse.fn, per_row=mse.per_row, higher_is_better=False, n_boot=500)
    slow = paired_bootstrap(y, champ, chall, mse.fn, higher_is_better=False, n_boot=500)
    assert fast.improvement == pytest.approx(slow.improvement)
    assert fast.ci_low == pytest.approx(slow.ci_low, abs=0.05)


def test_ab_arguments_are_checked() -> None:
    a = np.array([True, False])
    with pytest.raises(MlopsUsageError):
        mcnemar(a, a, rule="better")
    with pytest.raises(MlopsUsageError):
        mcnemar(a, a, confidence=1.5)
    with pytest.raises(MlopsUsageError):
        mcnemar(a, a, delta=-0.1)
    with pytest.raises(MlopsUsageError):
        mcnemar(a, np.array([True]))
    with pytest.raises(MlopsUsageError):
        paired_bootstrap([], [], [], METRICS["accuracy"].fn)


def test_metrics_match_scikit_learn() -> None:
    from sklearn import metrics as skm

    rng = np.random.default_rng(0)
    y = rng.integers(0, 2, 400)
    proba1 = np.clip(y * 0.6 + rng.uniform(0, 0.4, 400), 0.01, 0.99)
    proba = np.column_stack([1 - proba1, proba1])
    pred = (proba1 > 0.5).astype(int)
    assert METRICS["accuracy"].fn(y, pred) == pytest.approx(skm.accuracy_score(y, pred))
    assert METRICS["f1"].fn(y, pred) == pytest.approx(skm.f1_score(y, pred))
    assert METRICS["precision"].fn(y, pred) == pytest.approx(skm.precision_score(y, pred))
    assert METRICS["recall"].fn(y, pred) == pytest.approx(skm.recall_score(y, pred))
    assert METRICS["roc_auc"].fn(y, proba) == pytest.approx(skm.roc_auc_score(y, proba1))
    assert METRICS["log_loss"].fn(y, proba) == pytest.approx(skm.log_loss(y, proba))
    y3 = rng.integers(0, 3, 300)
    p3 = rng.integers(0, 3, 300)
    assert METRICS["f1"].fn(y3, p3) == pytest.approx(skm.f1_score(y3, p3, average="macro"))
    raw = rng.random((300, 3))
    p3proba = raw / raw.sum(axis=1, keepdims=True)
    assert METRICS["log_loss"].fn(y3, p3proba) == pytest.approx(skm.log_loss(y3, p3proba))
    assert METRICS["roc_auc"].fn(y3, p3proba) == pytest.approx(
        skm.roc_auc_score(y3, p3proba, multi_class="ovr", average="macro"))
    yr = rng.normal(size=200)
    pr = yr + rng.normal(scale=0.3, size=200)
    assert METRICS["r2"].fn(yr, pr) == pytest.approx(skm.r2_score(yr, pr))
    assert METRICS["mae"].fn(yr, pr) == pytest.approx(skm.mean_absolute_error(yr, pr))


def test_metric_lookup_and_task_detection() -> None:
    with pytest.raises(MlopsUsageError, match="not built in"):
        get_metric("nope")
    custom = get_metric("my_loss", {"my_loss": lambda y, p: 0.0})
    assert custom.higher_is_better is False
    assert is_classification(np.array([0, 1, 1]))
    assert is_classification(np.array(["a", "b"]))
    assert not is_classification(np.array([0.5, 1.25]))


def test_labels_are_encoded_with_the_model_classes_for_probability_metrics() -> None:
    from mlops_jupyter.release.evaluation import Predictions, evaluate

    class Model:  # a stand-in with scikit-learn's classifier interface
        classes_ = np.array(["benign", "malignant"])

        def predict(self, x: object) -> object:
            return np.array(["benign", "malignant", "malignant"])

        def predict_proba(self, x: object) -> object:
            return np.array([[0.9, 0.1], [0.2, 0.8], [0.4, 0.6]])

    y = np.array(["benign", "malignant", "benign"])
    preds = Predictions(Model(), np.zeros((3, 1)))
    assert list(preds.encode(y)) == [0, 1, 0]
    values = evaluate(["accuracy", "log_loss", "roc_auc"], y, preds)
    assert values["accuracy"] == pytest.approx(2 / 3)
    assert values["log_loss"] == pytest.approx(-np.mean(np.log([0.9, 0.8, 0.4])))
    assert values["roc_auc"] == pytest.approx(1.0)
    # a label the model never saw gets probability 0 (log loss clipped), not another class's
    assert list(preds.encode(np.array(["benign", "other"]))) == [0, -1]
