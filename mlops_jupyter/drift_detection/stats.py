"""The statistical tests and distances, on column summaries.

Numeric tests read sorted arrays (sorted once per column); categorical tests read counts
aligned on the union of labels. Where scipy has the test, the value equals scipy's
(tests compare); KS and Wasserstein use the sorted arrays directly for large samples
because scipy would sort (and for Wasserstein merge) them again.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from .categorical import chisquare_evidently, chisquare_test, fisher_test, z_test
from .outcome import NotApplicable, TestResult, TestUndefined
from .summary import ColumnSummary


@dataclass(frozen=True)
class Method:
    """A drift test: what it returns (p-value or distance) and where it applies."""

    name: str
    label: str
    score: str  # "p_value": drift when score < threshold | "distance": drift when score >= threshold
    default_threshold: float
    applies: str  # numeric | categorical | both


METHODS: dict[str, Method] = {
    m.name: m
    for m in [
        Method("ks", "Kolmogorov-Smirnov", "p_value", 0.05, "numeric"),
        Method("chisquare", "chi-square (two-sample)", "p_value", 0.05, "categorical"),
        Method("chisquare_evidently", "chi-square, Evidently's one-sample formula (compatibility only)",
               "p_value", 0.05, "categorical"),
        Method("z", "Z-test for two proportions", "p_value", 0.05, "categorical"),
        Method("fisher", "Fisher's exact test", "p_value", 0.05, "categorical"),
        Method("psi", "population stability index", "distance", 0.1, "both"),
        Method("wasserstein", "Wasserstein distance (normed)", "distance", 0.1, "numeric"),
        Method("jensenshannon", "Jensen-Shannon distance", "distance", 0.1, "both"),
        Method("kl_div", "Kullback-Leibler divergence", "distance", 0.1, "both"),
        Method("hellinger", "Hellinger distance", "distance", 0.1, "both"),
        Method("tvd", "total variation distance", "distance", 0.1, "both"),
        Method("anderson", "Anderson-Darling k-sample", "p_value", 0.05, "numeric"),
        Method("cramer_von_mises", "Cramér-von Mises", "p_value", 0.05, "numeric"),
        Method("mannwhitney", "Mann-Whitney U", "p_value", 0.05, "numeric"),
        Method("t_test", "Welch's t-test", "p_value", 0.05, "numeric"),
        Method("energy", "energy distance (normed)", "distance", 0.1, "numeric"),
    ]
}
ALIASES = {"chi2": "chisquare", "chi-square": "chisquare", "js": "jensenshannon", "kl": "kl_div",
           "wasserstein_distance": "wasserstein", "ttest": "t_test", "mann_whitney": "mannwhitney",
           "cvm": "cramer_von_mises", "ztest": "z", "energy_distance": "energy",
           "chi2_evidently": "chisquare_evidently", "chisquare-evidently": "chisquare_evidently"}

KS_EXACT_MAX_N = 10000  # scipy's ks_2samp 'auto' switches to the asymptotic p-value above
MAX_CATEGORIES_FOR_NUMERIC = 1000  # a categorical test on a numeric column needs few values


def method_by_name(name: str) -> Method:
    """The :class:`Method` for a name or alias; unknown names raise ``KeyError``."""
    key = ALIASES.get(name.lower(), name.lower())
    return METHODS[key]


# -- numeric -------------------------------------------------------------------------

def ks_statistic(u: np.ndarray, v: np.ndarray) -> float:
    """Two-sample KS statistic of two sorted arrays, evaluated at their distinct values."""
    n, m = u.shape[0], v.shape[0]
    d = 0.0
    for a, b, na, nb in ((u, v, n, m), (v, u, m, n)):
        ends = np.flatnonzero(np.r_[a[1:] != a[:-1], True])  # last index of each tie run
        fa = (ends + 1) / na
        fb = np.searchsorted(b, a[ends], side="right") / nb
        d = max(d, float(np.max(np.abs(fa - fb))))
    return d


def ks_test(u: np.ndarray, v: np.ndarray) -> TestResult:
    """Two-sided two-sample KS test; equals ``scipy.stats.ks_2samp(u, v)``."""
    from scipy import stats

    n, m = u.shape[0], v.shape[0]
    if max(n, m) <= KS_EXACT_MAX_N:
        res = stats.ks_2samp(u, v)
        return TestResult(float(res.statistic), float(res.pvalue), float(res.pvalue))
    d = ks_statistic(u, v)
    big, small = sorted([float(n), float(m)], reverse=True)
    en = big * small / (big + small)
    p = float(np.clip(stats.distributions.kstwo.sf(d, np.round(en)), 0, 1))
    return TestResult(d, p, p)


BLOCK = 1 << 13  # work in blocks: fresh multi-MB temporaries cost more than the arithmetic


def wasserstein_sorted(u: np.ndarray, v: np.ndarray) -> float:
    """1-Wasserstein distance of two sorted samples in O(n + m), without merging values.

    W1 = integral over t in (0, 1] of |Qu(t) - Qv(t)|. With u the larger sample, each of
    its quantile steps (i/n, (i+1)/n] meets at most two steps of v (a and b, split at
    (a+1)/m), so the integral is a sum over u's steps; blocks keep temporaries small.
    """
    if u.shape[0] < v.shape[0]:
        u, v = v, u
    n, m = u.shape[0], v.shape[0]
    if n == m:
        return float(sum(np.sum(np.abs(u[i:i + BLOCK] - v[i:i + BLOCK])) for i in range(0, n, BLOCK)) / n)
    total = 0.0
    step = 1.0 / n
    for i0 in range(0, n, BLOCK):
        i = np.arange(i0, min(n, i0 + BLOCK), dtype=np.int64)
        im = i * m
        a = im // n  # v step active just after i/n
        im += m - 1
        im //= n  # b: v step active just before (i+1)/n
        w1 = (a + 1) / m
        w1 -= i / n
        np.minimum(w1, step, out=w1)  # a == b: the whole step
        ui = u[i0:i0 + i.shape[0]]
        x = ui - v[a]
        np.abs(x, out=x)
        y = ui - v[im]
        np.abs(y, out=y)
        total += float(np.dot(w1, x)) + step * float(y.sum()) - float(np.dot(w1, y))
    return total


def std_sorted(u: np.ndarray) -> float:
    """Population std (as ``np.std``), in blocks around the median to stay accurate."""
    n = u.shape[0]
    if n == 0:
        return 0.0
    c = float(u[n // 2])
    s1 = s2 = 0.0
    for i in range(0, n, BLOCK):
        d = u[i:i + BLOCK] - c
        s1 += float(d.sum())
        s2 += float(np.dot(d, d))
    mean = s1 / n
    return float(np.sqrt(max(0.0, s2 / n - mean * mean)))


def wasserstein_normed(u: np.ndarray, v: np.ndarray) -> TestResult:
    """Wasserstein distance divided by the reference's std (at least 0.001), as Evidently."""
    w = wasserstein_sorted(u, v)
    norm = max(std_sorted(u), 0.001)
    return TestResult(w, None, w / norm)


MIN_VALUES = {"t_test": 2, "cramer_von_mises": 2, "anderson": 2}  # per side, below: undefined


def _degenerate(name: str, u: np.ndarray, v: np.ndarray) -> str | None:
    """Why test ``name`` is undefined on these sorted samples (None when it is defined).

    scipy answers NaN here, or worse a verdict: Welch's t with zero variance on both sides
    is ±inf with p = 0, and Cramér-von Mises on two different constants gives p = 0
    although no permutation p-value can be below 1 / C(n + m, n) (and T = 0.18 for two
    equal constants of 10 and 7 values)."""
    label = METHODS[name].label
    need = MIN_VALUES.get(name, 1)
    for side, a in (("reference", u), ("current", v)):
        if a.shape[0] < need:
            return f"{label} needs at least {need} values on each side; {side} has {a.shape[0]}"
    constant = u[0] == u[-1] and v[0] == v[-1]
    if name == "t_test" and constant:
        return f"{label} is undefined when both sides are constant (zero variance): {u[0]:g} and {v[0]:g}"
    if name == "cramer_von_mises" and constant:  # scipy: p = 0 for two constants, T = 0.18 for one
        return f"{label} assumes continuous values; both sides are constant ({u[0]:g} and {v[0]:g}); ks compares them"
    if name == "anderson" and u[0] == u[-1] == v[0] == v[-1]:
        return f"{label} needs at least two distinct values"
    return None


def _scipy_numeric(name: str, u: np.ndarray, v: np.ndarray) -> TestResult:
    from scipy import stats

    why = _degenerate(name, u, v)
    if why:
        raise TestUndefined(why)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        if name == "anderson":
            try:
                res = stats.anderson_ksamp([u, v])
            except ValueError as exc:
                raise TestUndefined(f"Anderson-Darling: {exc}") from exc
            return TestResult(float(res.statistic), float(res.pvalue), float(res.pvalue))
        if name == "cramer_von_mises":
            res2 = stats.cramervonmises_2samp(u, v)
            return TestResult(float(res2.statistic), float(res2.pvalue), float(res2.pvalue))
        if name == "mannwhitney":
            res3 = stats.mannwhitneyu(u, v, alternative="two-sided")
            return TestResult(float(res3.statistic), float(res3.pvalue), float(res3.pvalue))
        if name == "t_test":
            res4 = stats.ttest_ind(u, v, equal_var=False)
            return TestResult(float(res4.statistic), float(res4.pvalue), float(res4.pvalue))
        if name == "energy":
            return energy_normed(u, v)
    raise KeyError(name)


def energy_normed(u: np.ndarray, v: np.ndarray) -> TestResult:
    """Energy distance of the samples scaled by the reference's std (at least 0.001), as
    Wasserstein is normed: ``energy_distance(u / s, v / s) = energy_distance(u, v) / √s``.

    The raw distance is in √(data units), so a fixed threshold meant nothing: a shift of
    half a unit on an integer column was "drift", datetimes (in seconds) scored in the
    hundreds. Normed, a small location shift of d standard deviations scores ≈ 0.75·d.
    """
    from scipy import stats

    e = float(stats.energy_distance(u, v))
    return TestResult(e, None, e / float(np.sqrt(max(std_sorted(u), 0.001))))


# -- categorical / binned --------------------------------------------------------------

def aligned_counts(ref: ColumnSummary, cur: ColumnSummary) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Labels (union, reference order first) and the two count vectors aligned on them."""
    rl, rc = ref.distinct()
    cl, cc = cur.distinct()
    if ref.is_numeric and cur.is_numeric:
        labels = np.union1d(rl, cl)
        r = np.zeros(labels.shape[0], dtype=np.int64)
        c = np.zeros(labels.shape[0], dtype=np.int64)
        r[np.searchsorted(labels, rl)] = rc
        c[np.searchsorted(labels, cl)] = cc
        return labels, r, c
    index: dict[object, int] = {}
    for lab in list(rl) + list(cl):
        index.setdefault(lab, len(index))
    r = np.zeros(len(index), dtype=np.int64)
    c = np.zeros(len(index), dtype=np.int64)
    r[[index[x] for x in rl]] = rc
    c[[index[x] for x in cl]] = cc
    labels = np.empty(len(index), dtype=object)
    labels[:] = list(index)
    return labels, r, c


def sturges_counts(u: np.ndarray, v: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Histogram counts of two sorted arrays on Sturges bins over their union (as
    ``np.histogram_bin_edges(concat, "sturges")``), counted by binary search."""
    lo, hi = float(min(u[0], v[0])), float(max(u[-1], v[-1]))
    edges = np.histogram_bin_edges(np.array([lo, hi]), bins=_sturges_bins(u.shape[0] + v.shape[0], lo, hi), range=(lo, hi))
    return edges, _hist_sorted(u, edges), _hist_sorted(v, edges)


def _sturges_bins(n: int, lo: float, hi: float) -> int:
    if hi <= lo:
        return 1
    width = (hi - lo) / (np.log2(n) + 1.0)
    return max(1, int(np.ceil((hi - lo) / width)))


def _hist_sorted(a: np.ndarray, edges: np.ndarray) -> np.ndarray:
    """np.histogram counts of a sorted array (half-open bins, last bin closed)."""
    inner = np.searchsorted(a, edges[1:-1], side="left")
    lo = np.searchsorted(a, edges[0], side="left")
    hi = np.searchsorted(a, edges[-1], side="right")
    return np.diff(np.r_[lo, inner, hi]).astype(np.int64)


PER_VALUE_BINS_MAX = 20  # numeric columns with at most this many distinct values: one bin per value


def binned(ref: ColumnSummary, cur: ColumnSummary) -> tuple[np.ndarray, np.ndarray]:
    """Reference and current counts on shared bins: one bin per value for categorical
    data and for numeric columns whose two samples *together* have at most 20 distinct
    values, Sturges bins over both samples otherwise. (Evidently looks at the reference
    only, so a reference with 5 values and a continuous current got one bin per value.)"""
    if ref.is_numeric and cur.is_numeric:
        if ref.n_unique() <= PER_VALUE_BINS_MAX and cur.n_unique() <= PER_VALUE_BINS_MAX:
            labels, r, c = aligned_counts(ref, cur)
            if labels.shape[0] <= PER_VALUE_BINS_MAX:
                return r, c
        assert ref.values is not None and cur.values is not None
        _, r, c = sturges_counts(ref.values, cur.values)
        return r, c
    _, r, c = aligned_counts(ref, cur)
    return r, c


def _fill_zeroes(p: np.ndarray) -> np.ndarray:
    nz = p[p != 0]
    if nz.shape[0] == 0:
        return p
    low = float(nz.min())
    fill = low / 10**6 if low <= 0.0001 else 0.0001
    out = p.astype(np.float64).copy()
    out[out == 0] = fill
    return out


def distance(name: str, r: np.ndarray, c: np.ndarray) -> float:
    """A distance between two count vectors on the same bins."""
    from scipy import stats
    from scipy.spatial import distance as sdist

    rp = r / r.sum()
    cp = c / c.sum()
    if name == "psi":
        rp, cp = _fill_zeroes(rp), _fill_zeroes(cp)
        return float(np.sum((rp - cp) * np.log(rp / cp)))
    if name == "kl_div":
        return float(stats.entropy(_fill_zeroes(rp), _fill_zeroes(cp)))
    if name == "jensenshannon":
        return float(sdist.jensenshannon(rp, cp))
    if name == "hellinger":
        return float(np.sqrt(np.sum((np.sqrt(rp) - np.sqrt(cp)) ** 2)) / np.sqrt(2.0))
    if name == "tvd":
        return float(0.5 * np.sum(np.abs(rp - cp)))
    raise KeyError(name)


def as_categorical_counts(ref: ColumnSummary, cur: ColumnSummary, what: str) -> tuple[np.ndarray, np.ndarray]:
    if ref.is_numeric and ref.n_unique() + cur.n_unique() > MAX_CATEGORIES_FOR_NUMERIC:
        raise NotApplicable(f"{what} needs a categorical column; this numeric one has too many distinct values")
    _, r, c = aligned_counts(ref, cur)
    return r, c


def _scipy_test(name: str) -> Callable[[np.ndarray, np.ndarray], TestResult]:
    def run(u: np.ndarray, v: np.ndarray) -> TestResult:
        return _scipy_numeric(name, u, v)

    return run


NUMERIC_TESTS: dict[str, Callable[[np.ndarray, np.ndarray], TestResult]] = {
    "ks": ks_test,
    "wasserstein": wasserstein_normed,
    **{name: _scipy_test(name) for name in ("anderson", "cramer_von_mises", "mannwhitney", "t_test", "energy")},
}
COUNT_TESTS: dict[str, Callable[[np.ndarray, np.ndarray], TestResult]] = {
    "chisquare": chisquare_test, "chisquare_evidently": chisquare_evidently, "z": z_test, "fisher": fisher_test,
}


def run_method(name: str, ref: ColumnSummary, cur: ColumnSummary) -> TestResult:
    """Run method ``name`` on two summaries of one column; raises :class:`TestUndefined`."""
    method = METHODS[name]
    if method.applies == "numeric":
        if not (ref.is_numeric and cur.is_numeric):
            raise NotApplicable(f"{name} needs a numeric column")
        assert ref.values is not None and cur.values is not None
        return NUMERIC_TESTS[name](ref.values, cur.values)
    if name in COUNT_TESTS:
        r, c = as_categorical_counts(ref, cur, name)
        return COUNT_TESTS[name](r, c)
    r, c = binned(ref, cur)
    d = distance(name, r, c)
    return TestResult(d, None, d)
