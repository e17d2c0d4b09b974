"""Tests and effect sizes on two count vectors aligned on the same labels.

The chi-square test is the two-sample test of the 2×k contingency table (reference and
current × labels): under "nothing changed" both rows are draws from one distribution,
which is estimated from both. Where expected counts are small (Cochran's rule: any
below 1, or more than 20 % below 5) its p-value comes from the exact conditional
distribution (the table's margins fixed, as in Fisher's exact test), sampled by Monte
Carlo with a fixed seed, so the same data always give the same p-value.

Evidently's chi-square treats the reference proportions as exact (a one-sample
goodness-of-fit test); with nothing changed it alarms far more often than its level
(31 % at 5 categories and 800 vs 800 rows). It is kept, under its own name
``chisquare_evidently``, for comparisons with Evidently only.

Effect sizes (for ``method="robust"``) are on the scale of standard deviations, like the
numeric Wasserstein shift, and corrected for what sampling noise adds at these sizes:
Cohen's h for binary columns, Cohen's w for more categories.
"""

from __future__ import annotations

import math

import numpy as np

from .outcome import NotApplicable, TestResult

MC_RESAMPLES = 2000  # Monte Carlo tables for the exact conditional p-value (at most)
MC_HITS = 50  # ...stopping once this many reach the observed statistic (Besag-Clifford)
MC_SEED = 13  # fixed: the same counts give the same p-value
MC_MAX_DRAWS = 20_000_000  # resamples x labels, bounds the time of one test
HYPERGEOM_MAX_TOTAL = 10**9  # numpy's hypergeometric sampler needs ngood + nbad below this


def _nonempty(r: np.ndarray, c: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    keep = (r + c) > 0
    return r[keep].astype(np.int64), c[keep].astype(np.int64)


def pearson_statistic(rows: np.ndarray, col: np.ndarray, nr: int, nc: int) -> np.ndarray:
    """Pearson's chi-square of 2×k tables given by their reference rows (last axis =
    labels) and the fixed margins: ``n² / (nr·nc) · Σ (r_j − col_j·nr/n)² / col_j``."""
    n = nr + nc
    d = rows - col * (nr / n)
    return (n * n / (nr * nc)) * np.sum(d * d / col, axis=-1)


def small_expected(col: np.ndarray, nr: int, nc: int) -> bool:
    """Cochran's rule fails: an expected count below 1, or more than 20 % below 5."""
    n = nr + nc
    expected = np.r_[col * (nr / n), col * (nc / n)]
    return bool(expected.min() < 1 or np.mean(expected < 5) > 0.2)


def random_reference_rows(col: np.ndarray, nr: int, size: int, rng: np.random.Generator) -> np.ndarray:
    """``size`` random reference rows of a 2×k table with margins ``col`` and ``nr``: the
    labels of ``nr`` rows drawn without replacement from the pooled rows (a multivariate
    hypergeometric draw). Few pooled rows: a random subset of them per table; otherwise
    one hypergeometric draw per label for all tables at once (cost measured here: about
    35 ns per pooled row and table, against 110 µs + 0.15 µs per table for each label)."""
    k = col.shape[0]
    n = int(col.sum())
    if 35e-9 * size * n < k * (110e-6 + 0.15e-6 * size):
        labels = np.repeat(np.arange(k), col)
        picked = np.argpartition(rng.random((size, n)), nr - 1, axis=1)[:, :nr]
        flat = labels[picked] + k * np.arange(size)[:, None]
        return np.bincount(flat.ravel(), minlength=size * k).reshape(size, k).astype(np.int64)
    out = np.empty((size, k), dtype=np.int64)
    draws = np.full(size, nr, dtype=np.int64)
    rest = n
    for j in range(k - 1):
        rest -= int(col[j])
        x = rng.hypergeometric(int(col[j]), rest, draws) if rest > 0 else draws.copy()
        out[:, j] = x
        draws = draws - x
    out[:, k - 1] = draws
    return out


def permutation_p_value(r: np.ndarray, col: np.ndarray, nr: int, nc: int, observed: float) -> tuple[float, int]:
    """Monte Carlo p-value of the chi-square statistic under the exact conditional
    (permutation) distribution, with Besag and Clifford's sequential stopping: tables are
    drawn until ``MC_HITS`` of them reach the observed statistic (p = hits / tables) or
    ``MC_RESAMPLES`` were drawn (p = (1 + hits) / (1 + tables)). Both are valid p-values;
    stopping early only saves time where p is clearly large. Returns (p, tables drawn)."""
    k = col.shape[0]
    resamples = int(min(MC_RESAMPLES, max(500, MC_MAX_DRAWS // max(1, k))))
    rng = np.random.default_rng(MC_SEED)
    tol = observed * 1e-9 + 1e-12  # equal statistics computed in another order still count
    hits = done = 0
    size = 100
    while done < resamples:
        size = min(size, resamples - done, max(1, 4_000_000 // k))
        sims = pearson_statistic(random_reference_rows(col, nr, size, rng), col, nr, nc)
        at = np.flatnonzero(sims >= observed - tol)
        if hits + at.shape[0] >= MC_HITS:
            tables = done + int(at[MC_HITS - hits - 1]) + 1
            return MC_HITS / tables, tables
        hits += at.shape[0]
        done += size
        size *= 2
    return (1 + hits) / (1 + done), done


def chisquare_test(r: np.ndarray, c: np.ndarray) -> TestResult:
    """Two-sample chi-square test of the 2×k table; equals
    ``scipy.stats.chi2_contingency([r, c], correction=False)`` where expected counts are
    large enough, and uses the exact conditional (permutation) p-value where they are not.
    A label seen on one side only is an ordinary cell of the table."""
    from scipy import stats

    r, c = _nonempty(r, c)
    k = r.shape[0]
    nr, nc = int(r.sum()), int(c.sum())
    if k < 2 or nr == 0 or nc == 0:
        return TestResult(0.0, 1.0, 1.0)  # one label on both sides: nothing can differ
    col = r + c
    stat = float(pearson_statistic(r, col, nr, nc))
    if small_expected(col, nr, nc) and nr + nc < HYPERGEOM_MAX_TOTAL:
        p, resamples = permutation_p_value(r, col, nr, nc, stat)
        note = (f"small expected counts: exact conditional (permutation) p-value from "
                f"{resamples} Monte Carlo tables")
        return TestResult(stat, p, p, note)
    p = float(stats.chi2.sf(stat, k - 1))
    return TestResult(stat, p, p)


def chisquare_evidently(r: np.ndarray, c: np.ndarray) -> TestResult:
    """Evidently's one-sample formula, for comparisons with Evidently only: current
    counts against the reference proportions taken as exact,
    ``scipy.stats.chisquare(c, r * c.sum() / r.sum())``. Not a valid two-sample test
    (it ignores the reference's own sampling noise); a label seen only in current gives
    an infinite statistic and p = 0."""
    from scipy import stats

    if r.shape[0] < 2:
        return TestResult(0.0, 1.0, 1.0)
    expected = r * (c.sum() / r.sum())
    if np.any((expected == 0) & (c > 0)):
        return TestResult(math.inf, 0.0, 0.0)
    keep = expected > 0
    with np.errstate(divide="ignore", invalid="ignore"):
        res = stats.chisquare(c[keep], expected[keep])
    return TestResult(float(res.statistic), float(res.pvalue), float(res.pvalue))


def two_by_two(r: np.ndarray, c: np.ndarray, what: str) -> tuple[int, int, int, int]:
    if r.shape[0] > 2:
        raise NotApplicable(f"{what} needs a binary column; this one has {r.shape[0]} values")
    if r.shape[0] == 1:
        return int(r[0]), 0, int(c[0]), 0
    return int(r[0]), int(r[1]), int(c[0]), int(c[1])


def z_test(r: np.ndarray, c: np.ndarray) -> TestResult:
    """Pooled two-proportion Z-test on a binary column (p equals the 2x2 chi-square
    without continuity correction)."""
    from scipy import stats

    r0, r1, c0, c1 = two_by_two(r, c, "the Z-test")
    n1, n2 = r0 + r1, c0 + c1
    pooled = (r0 + c0) / (n1 + n2)
    if pooled in (0.0, 1.0):
        return TestResult(0.0, 1.0, 1.0)
    z = (r0 / n1 - c0 / n2) / math.sqrt(pooled * (1 - pooled) * (1 / n1 + 1 / n2))
    p = float(2 * stats.norm.sf(abs(z)))
    return TestResult(float(z), p, p)


def fisher_test(r: np.ndarray, c: np.ndarray) -> TestResult:
    """Fisher's exact test on the 2x2 table reference/current x the two values."""
    from scipy import stats

    r0, r1, c0, c1 = two_by_two(r, c, "Fisher's exact test")
    res = stats.fisher_exact([[r0, r1], [c0, c1]])
    return TestResult(float(res.statistic), float(res.pvalue), float(res.pvalue))


def cohen_h(r: np.ndarray, c: np.ndarray) -> tuple[float, float]:
    """Cohen's h of a binary column, ``|2·asin√p_cur − 2·asin√p_ref|``: ``(corrected, raw)``.

    Under "nothing changed" h² has expectation ≈ 1/n_eff (n_eff = n_ref·n_cur / (n_ref +
    n_cur)), so the corrected value is ``√max(0, h² − 1/n_eff)``: about 0 for noise at
    any size, about h for a real change.
    """
    r, c = _nonempty(r, c)
    nr, nc = int(r.sum()), int(c.sum())
    if r.shape[0] < 2 or nr == 0 or nc == 0:
        return 0.0, 0.0
    h = abs(2 * math.asin(math.sqrt(c[0] / nc)) - 2 * math.asin(math.sqrt(r[0] / nr)))
    n_eff = nr * nc / (nr + nc)
    return math.sqrt(max(0.0, h * h - 1 / n_eff)), h


def cohen_w(r: np.ndarray, c: np.ndarray) -> tuple[float, float]:
    """Cohen's w of a categorical column on the pooled proportions,
    ``√Σ (p_cur − p_ref)² / p_pooled`` (= √(χ² / n_eff)): ``(corrected, raw)``.

    Under "nothing changed" χ² has expectation k − 1, so the corrected value is
    ``√max(0, (χ² − (k − 1)) / n_eff)``.
    """
    r, c = _nonempty(r, c)
    nr, nc = int(r.sum()), int(c.sum())
    k = r.shape[0]
    if k < 2 or nr == 0 or nc == 0:
        return 0.0, 0.0
    chi2 = float(pearson_statistic(r, r + c, nr, nc))
    n_eff = nr * nc / (nr + nc)
    return math.sqrt(max(0.0, (chi2 - (k - 1)) / n_eff)), math.sqrt(chi2 / n_eff)
