"""Drift statistics that a user can trust (issue 13): two-sample chi-square, undefined
tests, normed energy, bins decided on both samples, robust effect sizes per kind."""

from __future__ import annotations

import itertools
import json
import math

import numpy as np
import pandas as pd
import pytest
from scipy import stats

import mlops_jupyter as mj
from mlops_jupyter.drift_detection import stats as ds
from mlops_jupyter.drift_detection.categorical import chisquare_test, pearson_statistic
from mlops_jupyter.drift_detection.summary import summarize_column


def _num(values: np.ndarray | list[float]) -> object:
    return summarize_column(pd.Series(np.asarray(values, dtype=float), name="x"))


def _exact_conditional_p(r: np.ndarray, c: np.ndarray) -> float:
    """The exact permutation p-value of Pearson's chi-square, by enumerating every 2xk
    table with the observed margins (multivariate hypergeometric probabilities)."""
    col, nr, nc = r + c, int(r.sum()), int(c.sum())
    observed = float(pearson_statistic(r, col, nr, nc))
    total = math.comb(int(col.sum()), nr)
    p = 0.0
    for x in itertools.product(*[range(int(v) + 1) for v in col]):
        if sum(x) == nr and pearson_statistic(np.array(x), col, nr, nc) >= observed - 1e-9:
            p += math.prod(math.comb(int(a), b) for a, b in zip(col, x, strict=True)) / total
    return p


# -- chi-square ------------------------------------------------------------------------

def test_two_sample_chisquare_does_not_cry_wolf_where_evidentlys_formula_does() -> None:
    # Given 200 pairs of independent draws of 5 categories, 800 vs 800 rows (nothing changed)
    rng = np.random.default_rng(5)
    p = np.array([0.4, 0.25, 0.15, 0.12, 0.08])
    refs, curs = rng.multinomial(800, p, size=200), rng.multinomial(800, p, size=200)
    # When both tests are run on each pair
    two = np.array([ds.run_method("chisquare", *_counts(r, c)).p_value for r, c in zip(refs, curs, strict=True)])
    evid = np.array([ds.run_method("chisquare_evidently", *_counts(r, c)).p_value
                     for r, c in zip(refs, curs, strict=True)])
    # Then the two-sample test alarms at about its level, Evidently's formula far above it
    assert (two < 0.05).sum() <= stats.binom.ppf(0.999, 200, 0.05)
    assert (evid < 0.05).mean() > 0.2


def _counts(r: np.ndarray, c: np.ndarray) -> tuple[object, object]:
    labels = np.array([f"c{i}" for i in range(r.shape[0])], dtype=object)
    from mlops_jupyter.drift_detection.summary import ColumnSummary

    def side(counts: np.ndarray) -> ColumnSummary:
        keep = counts > 0
        return ColumnSummary("c", "categorical", "object", int(counts.sum()), 0, labels=labels[keep], counts=counts[keep])

    return side(r), side(c)


@pytest.mark.parametrize(("r", "c"), [([4, 0, 1, 3], [0, 3, 4, 1]), ([5, 0, 2], [1, 4, 3])])
def test_small_expected_counts_give_the_exact_conditional_p_value(r: list[int], c: list[int]) -> None:
    ra, ca = np.array(r), np.array(c)
    exact = _exact_conditional_p(ra, ca)
    got = chisquare_test(ra, ca)
    asymptotic = stats.chi2_contingency([r, c], correction=False).pvalue
    assert got.note and "permutation" in got.note
    assert got.p_value == pytest.approx(exact, abs=0.01)
    assert abs(asymptotic - exact) > abs(got.p_value - exact)  # the asymptotic p is off here
    assert chisquare_test(ra, ca).p_value == got.p_value  # a fixed seed: same data, same p


def test_report_names_the_evidently_compatibility_test_and_the_permutation_fallback() -> None:
    ref = pd.DataFrame({"c": list("aaaabbbcd")})
    cur = pd.DataFrame({"c": list("abbbcccdd")})
    rep = mj.drift(ref, cur, method="chi2_evidently", record_check=False)
    col = rep.column("c")
    assert col.method == "chisquare_evidently" and "Evidently's one-sample formula" in col.why
    two = mj.drift(ref, cur, method="chisquare", record_check=False).column("c")
    assert two.method == "chisquare" and "permutation" in two.why
    assert "Evidently" in str(rep)


# -- undefined tests -------------------------------------------------------------------

@pytest.mark.parametrize(
    ("method", "ref", "cur", "reason"),
    [
        ("t_test", [5.0], [1.0, 2.0, 3.0], "at least 2 values"),
        ("t_test", [1.0, 1.0, 1.0], [2.0, 2.0], "both sides are constant"),
        ("t_test", [1.0, 1.0, 1.0], [1.0, 1.0], "both sides are constant"),
        ("cramer_von_mises", [1.0], [1.0, 2.0, 3.0], "at least 2 values"),
        ("cramer_von_mises", [1.0, 1.0, 1.0], [2.0, 2.0, 2.0], "both sides are constant"),
        ("cramer_von_mises", [1.0] * 10, [1.0] * 7, "both sides are constant"),
        ("anderson", [1.0], [2.0, 3.0], "at least 2 values"),
    ],
)
def test_degenerate_tests_are_undefined_with_a_reason_never_a_verdict(
    method: str, ref: list[float], cur: list[float], reason: str
) -> None:
    with pytest.raises(ds.TestUndefined, match=reason):
        ds.run_method(method, _num(ref), _num(cur))
    rep = mj.drift(pd.DataFrame({"x": ref}), pd.DataFrame({"x": cur}), method=method, record_check=False)
    col = rep.column("x")
    assert col.status == "undefined" and col.verdict() == "undefined" and not col.drifted
    assert reason in col.reason and col.reason.startswith("undefined")
    assert rep.share is None and rep.undetermined and rep.undefined_columns == ["x"]
    assert "undefined" in str(rep) and "undefined" in rep._repr_html_()
    d = rep.to_dict()
    json.dumps(d, allow_nan=False)
    assert d["columns"][0]["verdict"] == "undefined" and d["undefined_columns"] == ["x"]


def test_undefined_columns_do_not_count_in_the_share_and_do_not_become_metrics() -> None:
    from mlops_jupyter.drift_detection.triggers import report_metrics

    ref = pd.DataFrame({"x": [5.0, 5.0, 5.0], "y": [1.0, 2.0, 3.0]})
    cur = pd.DataFrame({"x": [5.0, 5.0], "y": [7.0, 8.0]})
    rep = mj.drift(ref, cur, method="t_test", record_check=False)
    assert [c.column for c in rep.tested] == ["y"] and rep.share in (0.0, 1.0)
    assert "drift.x" not in report_metrics(rep) and "drift.y" in report_metrics(rep)


def test_method_that_does_not_apply_is_still_skipped_not_undefined() -> None:
    rep = mj.drift(pd.DataFrame({"c": list("abc")}), pd.DataFrame({"c": list("abd")}), method="z", record_check=False)
    assert rep.column("c").status == "skipped" and "binary" in rep.column("c").reason


# -- energy distance ---------------------------------------------------------------------

def test_energy_is_normed_so_its_threshold_means_the_same_in_any_unit() -> None:
    rng = np.random.default_rng(3)
    ages = rng.integers(18, 90, 3000).astype(float)
    # an integer column against the same values + 0.5 (0.02 std) is not drift
    rep = mj.drift(pd.DataFrame({"age": ages}), pd.DataFrame({"age": ages + 0.5}), method="energy", record_check=False)
    assert not rep.column("age").drifted and rep.column("age").score < 0.05
    assert rep.column("age").statistic == pytest.approx(stats.energy_distance(ages, ages + 0.5))
    # the same in another unit gives the same score
    u, v = rng.normal(0, 1, 500), rng.normal(0.3, 1, 500)
    a = ds.run_method("energy", _num(u), _num(v)).score
    b = ds.run_method("energy", _num(u * 86400), _num(v * 86400)).score
    assert a == pytest.approx(b, rel=1e-9) and 0.1 < a < 0.5
    # datetimes (seconds since the epoch) score like numbers, not in the hundreds
    t0 = pd.Timestamp("2024-01-01")
    ref = pd.DataFrame({"t": t0 + pd.to_timedelta(rng.integers(0, 90 * 24, 2000), unit="h")})
    cur = pd.DataFrame({"t": t0 + pd.to_timedelta(rng.integers(0, 90 * 24, 2000), unit="h")})
    same = mj.drift(ref, cur, method="energy", record_check=False).column("t")
    assert same.score < 0.1 and not same.drifted
    moved = mj.drift(ref, cur + pd.Timedelta(days=30), method="energy", record_check=False).column("t")
    assert 0.2 < moved.score < 5 and moved.drifted


# -- bins -------------------------------------------------------------------------------

def test_per_value_bins_only_when_both_samples_have_few_values() -> None:
    rng = np.random.default_rng(4)
    ref = _num(rng.integers(0, 5, 1000).astype(float))  # 5 distinct values
    cur = _num(rng.normal(2, 1.5, 1000))  # continuous
    r, c = ds.binned(ref, cur)
    edges = np.histogram_bin_edges(np.r_[ref.values, cur.values], bins="sturges")
    assert r.shape[0] == edges.shape[0] - 1  # Sturges bins, not 1005 per-value bins
    assert c.tolist() == np.histogram(cur.values, edges)[0].tolist()
    few = _num(rng.integers(0, 5, 1000).astype(float))
    r2, c2 = ds.binned(ref, few)
    assert r2.shape[0] == 5 and r2.sum() == 1000 and c2.sum() == 1000


# -- robust: effect sizes that fit the kind ---------------------------------------------

def test_robust_catches_a_binary_rate_moving_from_30_to_40_percent_at_100k_rows() -> None:
    rng = np.random.default_rng(8)
    n = 100_000
    ref = pd.DataFrame({"paid": rng.random(n) < 0.30})
    cur = pd.DataFrame({"paid": rng.random(n) < 0.40})
    col = mj.drift(ref, cur, method="robust", record_check=False).column("paid")
    assert col.drifted and col.method == "robust(chisquare + cohen_h)"
    expected_h = 2 * math.asin(math.sqrt(0.4)) - 2 * math.asin(math.sqrt(0.3))
    assert col.effect == pytest.approx(expected_h, abs=0.02) and "Cohen's h" in col.effect_label


def test_robust_catches_a_swap_of_the_two_top_categories_at_100k_rows() -> None:
    rng = np.random.default_rng(9)
    n = 100_000
    names = ["web", "app", "store", "phone", "mail"]
    p = np.array([0.35, 0.25, 0.2, 0.12, 0.08])
    ref = pd.DataFrame({"channel": rng.choice(names, n, p=p)})
    cur = pd.DataFrame({"channel": rng.choice(names, n, p=p[[1, 0, 2, 3, 4]])})
    col = mj.drift(ref, cur, method="robust", record_check=False).column("channel")
    assert col.drifted and col.method == "robust(chisquare + cohen_w)" and "Cohen's w" in col.effect_label
    assert col.effect == pytest.approx(math.sqrt(2 * 0.1**2 / 0.3), abs=0.02)


def test_robust_ignores_a_tiny_categorical_shift_at_500k_rows() -> None:
    rng = np.random.default_rng(10)
    n = 500_000
    ref = pd.DataFrame({"paid": rng.random(n) < 0.30, "c": rng.choice(list("abcd"), n, p=[0.4, 0.3, 0.2, 0.1])})
    cur = pd.DataFrame({"paid": rng.random(n) < 0.31, "c": rng.choice(list("abcd"), n, p=[0.39, 0.31, 0.2, 0.1])})
    rep = mj.drift(ref, cur, method="robust", record_check=False)
    for name in ("paid", "c"):
        assert rep.column(name).p_value < 1e-6 and not rep.column(name).drifted  # significant, but tiny


def test_robust_effect_is_corrected_for_noise_at_small_n() -> None:
    # the case: 30 categories, 300 rows, two independent draws
    rng = np.random.default_rng(12)
    cats = [f"c{i}" for i in range(30)]
    effects, js = [], []
    for _ in range(40):
        ref = pd.DataFrame({"c": rng.choice(cats, 300)})
        cur = pd.DataFrame({"c": rng.choice(cats, 300)})
        col = mj.drift(ref, cur, method="robust", record_check=False).column("c")
        effects.append(col.effect)
        js.append(ds.run_method("jensenshannon", summarize_column(ref["c"]), summarize_column(cur["c"])).score)
    assert np.median(js) > 0.1  # the old effect gate: noise alone passes it
    assert np.median(effects) < 0.05  # corrected: noise is about 0


def test_robust_no_dataset_alarm_on_four_columns_of_thirty_categories_and_300_rows() -> None:
    rng = np.random.default_rng(13)
    cats = [f"c{i}" for i in range(30)]
    alarms = 0
    for _ in range(30):
        ref = pd.DataFrame({f"k{j}": rng.choice(cats, 300) for j in range(4)})
        cur = pd.DataFrame({f"k{j}": rng.choice(cats, 300) for j in range(4)})
        alarms += mj.drift(ref, cur, method="robust", record_check=False).drifted
    assert alarms <= 1  # it was 98 of 100


def test_robust_random_halves_of_categorical_data_alarm_at_most_at_the_level() -> None:
    import plotly.data

    tips = plotly.data.tips()  # 244 rows: sex, smoker, day, time, size (categorical) and two numbers
    rng = np.random.default_rng(21)
    half = len(tips) // 2
    any_column = dataset = 0
    for _ in range(60):
        idx = rng.permutation(len(tips))
        rep = mj.drift(tips.iloc[idx[:half]], tips.iloc[idx[half:]], method="robust", record_check=False)
        any_column += bool(rep.drifted_columns)
        dataset += rep.drifted
    # a valid 5 % procedure (BH over the columns) flags some column in about 5 % of splits
    assert any_column <= stats.binom.ppf(0.999, 60, 0.05) and dataset == 0, (any_column, dataset)
