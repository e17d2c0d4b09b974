"""Each drift method against scipy's reference implementation (or the textbook formula)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import stats
from scipy.spatial import distance as sdist

from mlops_jupyter.drift_detection import stats as ds
from mlops_jupyter.drift_detection.summary import summarize_column

RNG = np.random.default_rng(7)


def _num(values: np.ndarray) -> object:
    return summarize_column(pd.Series(values, name="x"))


def _cat(values: list[str]) -> object:
    return summarize_column(pd.Series(values, name="c"))


@pytest.fixture(scope="module")
def samples() -> tuple[np.ndarray, np.ndarray]:
    return RNG.normal(0, 1, 400), RNG.normal(0.3, 1.2, 310)


@pytest.mark.parametrize(
    ("name", "reference"),
    [
        ("ks", lambda u, v: stats.ks_2samp(u, v).pvalue),
        ("anderson", lambda u, v: stats.anderson_ksamp([u, v]).pvalue),
        ("cramer_von_mises", lambda u, v: stats.cramervonmises_2samp(u, v).pvalue),
        ("mannwhitney", lambda u, v: stats.mannwhitneyu(u, v, alternative="two-sided").pvalue),
        ("t_test", lambda u, v: stats.ttest_ind(u, v, equal_var=False).pvalue),
        ("energy", lambda u, v: stats.energy_distance(u / np.std(u), v / np.std(u))),
        ("wasserstein", lambda u, v: stats.wasserstein_distance(u, v) / np.std(u)),
    ],
)
def test_numeric_methods_equal_scipy(samples, name, reference) -> None:
    u, v = samples
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        expected = float(reference(u, v))
    got = ds.run_method(name, _num(u), _num(v)).score
    assert got == pytest.approx(expected, rel=1e-9, abs=1e-12)


@pytest.mark.parametrize(("n", "m"), [(1, 1), (3, 7), (100, 100), (1000, 333), (5000, 12001)])
def test_wasserstein_of_sorted_arrays_equals_scipy(n: int, m: int) -> None:
    u = np.sort(np.round(RNG.normal(size=n), 1))  # ties on purpose
    v = np.sort(np.round(RNG.normal(0.5, 2, size=m), 1))
    assert ds.wasserstein_sorted(u, v) == pytest.approx(stats.wasserstein_distance(u, v), rel=1e-10, abs=1e-12)


def test_large_sample_ks_uses_sorted_arrays_and_equals_scipy() -> None:
    u = np.sort(np.round(RNG.normal(size=30_000), 2))
    v = np.sort(np.round(RNG.normal(0.02, 1, size=25_000), 2))
    res = ds.ks_test(u, v)
    ref = stats.ks_2samp(u, v)
    assert res.statistic == pytest.approx(ref.statistic, abs=1e-12)
    assert res.p_value == pytest.approx(ref.pvalue, rel=1e-9)


def test_chisquare_is_the_two_sample_contingency_test() -> None:
    ref = _cat(["a"] * 50 + ["b"] * 30 + ["c"] * 20)
    cur = _cat(["a"] * 30 + ["b"] * 30 + ["c"] * 40)
    got = ds.run_method("chisquare", ref, cur)
    expected = stats.chi2_contingency([[50, 30, 20], [30, 30, 40]], correction=False)
    assert got.p_value == pytest.approx(expected.pvalue, rel=1e-9)
    assert got.statistic == pytest.approx(expected.statistic, rel=1e-9)
    assert got.note is None  # expected counts are large: the asymptotic p-value


def test_chisquare_evidently_keeps_the_one_sample_formula_under_its_own_name() -> None:
    ref = _cat(["a"] * 50 + ["b"] * 30 + ["c"] * 20)
    cur = _cat(["a"] * 30 + ["b"] * 30 + ["c"] * 40)
    assert ds.method_by_name("chi2_evidently").name == "chisquare_evidently"
    got = ds.run_method("chisquare_evidently", ref, cur)
    expected = stats.chisquare([30, 30, 40], [50 * 1.0, 30, 20])
    assert got.p_value == pytest.approx(expected.pvalue)
    assert got.statistic == pytest.approx(expected.statistic)
    assert "Evidently" in ds.METHODS["chisquare_evidently"].label
    only_cur = ds.run_method("chisquare_evidently", _cat(["a", "b"] * 20), _cat(["a", "b", "new"] * 20))
    assert only_cur.p_value == 0.0 and only_cur.statistic == float("inf")


def test_category_only_in_current_is_an_ordinary_cell_of_the_two_sample_table() -> None:
    got = ds.run_method("chisquare", _cat(["a", "b"] * 20), _cat(["a", "b", "new"] * 20))
    expected = stats.chi2_contingency([[20, 20, 0], [20, 20, 20]], correction=False)
    assert got.statistic == pytest.approx(expected.statistic) and got.p_value == pytest.approx(expected.pvalue)


def test_z_and_fisher_match_scipy_2x2() -> None:
    ref, cur = _cat(["y"] * 60 + ["n"] * 40), _cat(["y"] * 45 + ["n"] * 55)
    z = ds.run_method("z", ref, cur)
    chi = stats.chi2_contingency([[60, 40], [45, 55]], correction=False)
    assert z.p_value == pytest.approx(chi.pvalue, rel=1e-9)
    f = ds.run_method("fisher", ref, cur)
    assert f.p_value == pytest.approx(stats.fisher_exact([[60, 40], [45, 55]]).pvalue)
    with pytest.raises(ds.TestUndefined):
        ds.run_method("z", _cat(list("abc")), _cat(list("abc")))


def test_binned_distances_match_formulas() -> None:
    ref, cur = _cat(list("aaabbc") * 10), _cat(list("abbccc") * 10)
    r = np.array([30, 20, 10]) / 60
    c = np.array([10, 20, 30]) / 60
    assert ds.run_method("jensenshannon", ref, cur).score == pytest.approx(sdist.jensenshannon(r, c))
    assert ds.run_method("kl_div", ref, cur).score == pytest.approx(stats.entropy(r, c))
    assert ds.run_method("psi", ref, cur).score == pytest.approx(np.sum((r - c) * np.log(r / c)))
    assert ds.run_method("tvd", ref, cur).score == pytest.approx(0.5 * np.abs(r - c).sum())
    hel = np.sqrt(np.sum((np.sqrt(r) - np.sqrt(c)) ** 2)) / np.sqrt(2)
    assert ds.run_method("hellinger", ref, cur).score == pytest.approx(hel)


def test_numeric_binning_equals_numpy_sturges_histogram(samples) -> None:
    u, v = np.sort(samples[0]), np.sort(samples[1])
    edges, r, c = ds.sturges_counts(u, v)
    np_edges = np.histogram_bin_edges(np.r_[u, v], bins="sturges")
    assert np.allclose(edges, np_edges)
    assert r.tolist() == np.histogram(u, np_edges)[0].tolist()
    assert c.tolist() == np.histogram(v, np_edges)[0].tolist()


def test_psi_with_empty_bin_is_finite() -> None:
    ref = _cat(["a"] * 10 + ["b"] * 10)
    cur = _cat(["a"] * 20)
    score = ds.run_method("psi", ref, cur).score
    assert np.isfinite(score) and score > 0.1


def test_benjamini_hochberg_matches_scipy() -> None:
    from mlops_jupyter.drift_detection.engine import benjamini_hochberg

    p = [0.001, 0.04, 0.03, 0.2, 0.5, 0.011]
    assert benjamini_hochberg(p) == pytest.approx(list(stats.false_discovery_control(p)))
