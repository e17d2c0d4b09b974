"""Compare two column summaries: choose the test (auto / robust / named), run it, and
turn the numbers into a :class:`ColumnDrift` with the reason for every choice."""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from .categorical import chisquare_test, cohen_h, cohen_w, z_test
from .outcome import NotApplicable, TestResult, TestUndefined
from .report import ColumnDrift
from .stats import METHODS, aligned_counts, distance, run_method, wasserstein_normed
from .summary import ColumnSummary

SMALL_REFERENCE = 1000  # Evidently: reference with <= 1000 rows uses statistical tests
FEW_VALUES = 5  # Evidently: numeric columns with <= 5 distinct values are tested as categories
INT_AS_CATEGORY = 10  # integer columns with <= 10 distinct values are categorical
NULL_MIN_DELTA = 0.1  # null-rate change that counts as drift (absolute, and significant)
ROBUST_MIN_EFFECT = 0.1
HIST_BINS = 40
HIST_TOP = 30


def union_unique(ref: ColumnSummary, cur: ColumnSummary, cap: int = 20) -> int:
    """Distinct non-null values over both sides (exact up to ``cap``, then a lower bound)."""
    if ref.is_numeric and cur.is_numeric:
        for s in (ref, cur):
            k = s.n_unique()
            if k > cap:
                return k
    labels, _, _ = aligned_counts(ref, cur)
    return int(labels.shape[0])


def as_categories(ref: ColumnSummary, n_values: int) -> bool:
    """Whether a column is tested as categories (its kind, or an integer with few values)."""
    if ref.kind in ("categorical", "boolean"):
        return True
    return ref.is_integer and n_values <= INT_AS_CATEGORY


def auto_choice(ref: ColumnSummary, cur: ColumnSummary) -> tuple[str, str]:
    """Evidently's documented default test for this column, and why (one sentence)."""
    n_values = union_unique(ref, cur)
    small = ref.n <= SMALL_REFERENCE
    size = f"reference has {ref.n} values ({'≤' if small else '>'} {SMALL_REFERENCE})"
    if as_categories(ref, n_values):
        what = "categorical" if ref.kind != "numeric" else f"integer with {n_values} distinct values (≤ {INT_AS_CATEGORY}), so categorical"
        if small:
            name = "z" if n_values <= 2 else "chisquare"
            return name, f"{size}; {what}; {'binary: Z-test' if name == 'z' else 'chi-square test'}, drift if p < 0.05"
        return "jensenshannon", f"{size}; {what}: Jensen-Shannon distance, drift if ≥ 0.1"
    many = n_values > FEW_VALUES
    vals = f"{ref.kind} with {'> ' + str(FEW_VALUES) if many else n_values} distinct values"
    if small:
        if many:
            return "ks", f"{size}; {vals}: KS test, drift if p < 0.05"
        name = "z" if n_values <= 2 else "chisquare"
        return name, f"{size}; {vals}: {'Z-test' if name == 'z' else 'chi-square test'}, drift if p < 0.05"
    if many:
        return "wasserstein", f"{size}; {vals}: normed Wasserstein distance, drift if ≥ 0.1"
    return "jensenshannon", f"{size}; {vals}: Jensen-Shannon distance, drift if ≥ 0.1"


def drifted_by(score: float, score_kind: str, threshold: float) -> bool:
    return score < threshold if score_kind == "p_value" else score >= threshold


def _null_signal(col: ColumnDrift, ref: ColumnSummary, cur: ColumnSummary) -> None:
    """Null-rate change is its own signal: large (>= 10 points) and significant."""
    from .stats import z_test

    col.null_rate_ref, col.null_rate_cur = ref.null_rate(), cur.null_rate()
    if not ref.n_rows or not cur.n_rows:
        return
    delta = abs(col.null_rate_cur - col.null_rate_ref)
    if delta < NULL_MIN_DELTA:
        return
    r = np.array([ref.n_null, ref.n_rows - ref.n_null])
    c = np.array([cur.n_null, cur.n_rows - cur.n_null])
    col.null_drifted = z_test(r, c).score < 0.05


def _effect(col: ColumnDrift, ref: ColumnSummary, cur: ColumnSummary, categorical: bool,
            known: TestResult | None = None) -> None:
    """A readable effect size: shift in reference std units, or share of rows moved."""
    if not categorical and ref.is_numeric and cur.is_numeric:
        assert ref.values is not None and cur.values is not None
        res = known or wasserstein_normed(ref.values, cur.values)
        col.effect, col.effect_label = res.score, "Wasserstein shift in reference std units"
    else:
        _, r, c = aligned_counts(ref, cur)
        col.effect = distance("tvd", r, c)
        col.effect_label = "share of rows whose category changed (TVD)"


def _hist(ref: ColumnSummary, cur: ColumnSummary, categorical: bool) -> dict[str, Any]:
    """Binned summary of both sides for the overlay figure (bounded size)."""
    if not categorical and ref.is_numeric and cur.is_numeric:
        assert ref.values is not None and cur.values is not None
        u, v = ref.values, cur.values
        both = [a for a in (u, v) if a.shape[0]]
        if not both:
            return {}
        lo = min(float(a[int(0.001 * (a.shape[0] - 1))]) for a in both)
        hi = max(float(a[int(0.999 * (a.shape[0] - 1))]) for a in both)
        if hi <= lo:
            lo, hi = min(float(a[0]) for a in both), max(float(a[-1]) for a in both)
        if hi <= lo:
            hi = lo + 1.0
        edges = np.linspace(lo, hi, HIST_BINS + 1)
        counts = []
        for a in (u, v):  # values outside the central range go to the edge bins
            idx = np.searchsorted(a, edges[1:-1], side="left")
            counts.append(np.diff(np.r_[0, idx, a.shape[0]]).tolist())
        return {"type": "numeric", "kind": ref.kind, "edges": edges.tolist(), "ref": counts[0], "cur": counts[1]}
    labels, r, c = aligned_counts(ref, cur)
    order = np.argsort(-(r / max(1, r.sum()) + c / max(1, c.sum())), kind="stable")
    top = order[:HIST_TOP]
    out_labels = [str(x) for x in labels[top]]
    rr, cc = r[top].tolist(), c[top].tolist()
    if order.shape[0] > HIST_TOP:
        rest = order[HIST_TOP:]
        out_labels.append(f"(other {rest.shape[0]})")
        rr.append(int(r[rest].sum()))
        cc.append(int(c[rest].sum()))
    return {"type": "categorical", "labels": out_labels, "ref": rr, "cur": cc}


def compare(ref: ColumnSummary, cur: ColumnSummary, *, role: str, method: str,
            threshold: float | None, min_effect: float = ROBUST_MIN_EFFECT) -> ColumnDrift:
    """One column: choose and run the test, fill in the verdict and the reason."""
    col = ColumnDrift(
        column=ref.name, kind=ref.kind, role=role, method=None, why="",
        n_ref=ref.n, n_cur=cur.n, null_ref=ref.n_null, null_cur=cur.n_null,
        inf_ref=ref.n_inf, inf_cur=cur.n_inf,
    )
    _null_signal(col, ref, cur)
    skip = _skip_reason(ref, cur)
    if skip:
        col.reason = col.why = skip
        return col
    n_values = union_unique(ref, cur)
    categorical = as_categories(ref, n_values) or (ref.is_numeric and n_values <= FEW_VALUES)
    try:
        if method == "robust":
            _robust(col, ref, cur, categorical, threshold, min_effect)
        else:
            if method == "auto":
                name, why = auto_choice(ref, cur)
                thr = threshold if threshold is not None else METHODS[name].default_threshold
                col.why = why if threshold is None else f"{why} (threshold set to {thr})"
            else:
                name, thr = method, threshold if threshold is not None else METHODS[method].default_threshold
                col.why = f"{METHODS[name].label} chosen by name"
            m = METHODS[name]
            col.method, col.score_kind, col.threshold = name, m.score, thr
            res = run_method(name, ref, cur)
            col.statistic, col.p_value, col.score = res.statistic, res.p_value, res.score
            if res.note:
                col.why = f"{col.why}; {res.note}"
            if _undefined(col, res.score):
                return col
            col.value_drifted = drifted_by(res.score, m.score, thr)
            _effect(col, ref, cur, categorical, res if name == "wasserstein" else None)
    except NotApplicable as exc:
        col.status, col.reason = "skipped", str(exc)
        col.why = col.why or str(exc)
        return col
    except TestUndefined as exc:
        col.status, col.reason = "undefined", f"undefined: {exc}"
        col.why = col.why or str(exc)
        return col
    col.status = "drift" if col.value_drifted else "ok"
    col.hist = _hist(ref, cur, categorical)
    if col.inf_ref or col.inf_cur:
        col.reason = f"±inf excluded from the test ({col.inf_ref} in reference, {col.inf_cur} in current)"
    return col


def _undefined(col: ColumnDrift, score: float) -> bool:
    """A NaN score is never a verdict: the column is *undefined*, with the reason."""
    if score is None or (isinstance(score, float) and math.isnan(score)):
        col.status = "undefined"
        col.reason = f"undefined: {col.method} gives NaN on these values; neither drift nor no drift"
        return True
    return False


def _skip_reason(ref: ColumnSummary, cur: ColumnSummary) -> str | None:
    if ref.kind == "text" or cur.kind == "text":
        return "free-text column (most values distinct): not tested; cast it to 'category' to test it"
    if ref.is_numeric != cur.is_numeric:
        return f"kinds differ: {ref.kind} in reference, {cur.kind} in current"
    if cur.n_rows == 0:
        return "current has no rows"
    if ref.n == 0 and cur.n == 0:
        return "no non-null values on either side"
    if ref.n == 0:
        return "no non-null values in reference"
    if cur.n == 0:
        return "no non-null values in current"
    return None


def _robust(col: ColumnDrift, ref: ColumnSummary, cur: ColumnSummary, categorical: bool,
            threshold: float | None, min_effect: float) -> None:
    """p-value (KS, or the two-sample chi-square) + an effect size that fits the kind
    (normed Wasserstein, Cohen's h, Cohen's w); multiple-testing correction comes later."""
    small = ref.n <= SMALL_REFERENCE
    if categorical:
        _, r, c = aligned_counts(ref, cur)
        binary = int(np.count_nonzero(r + c)) <= 2
        test = chisquare_test(r, c)
        effect, raw = cohen_h(r, c) if binary else cohen_w(r, c)
        size = "Cohen's h" if binary else "Cohen's w"
        col.method = "robust(chisquare + " + ("cohen_h)" if binary else "cohen_w)")
        col.effect = effect
        col.effect_label = f"{size}, corrected for sampling noise at this size (uncorrected {raw:.3g})"
        if small:
            auto = z_test(r, c) if binary else test
            col.auto_method, col.auto_drifted = ("z" if binary else "chisquare"), auto.score < 0.05
        else:
            col.auto_method, col.auto_drifted = "jensenshannon", distance("jensenshannon", r, c) >= 0.1
        col.why = (f"{'binary' if binary else 'categorical'} ({r.shape[0]} values): two-sample chi-square "
                   f"p-value (Benjamini-Hochberg corrected) and {size} ≥ {min_effect} (corrected for "
                   f"sampling noise)")
        if test.note:
            col.why += f"; {test.note}"
    else:
        assert ref.values is not None and cur.values is not None
        test = run_method("ks", ref, cur)
        wd = wasserstein_normed(ref.values, cur.values)
        col.method = "robust(ks + wasserstein)"
        col.effect, col.effect_label = wd.score, "Wasserstein shift in reference std units"
        col.auto_method = "ks" if small else "wasserstein"
        col.auto_drifted = test.score < 0.05 if small else wd.score >= 0.1
        col.why = (f"{ref.kind}: KS p-value (Benjamini-Hochberg corrected) and normed "
                   f"Wasserstein shift ≥ {min_effect}")
    col.statistic, col.p_value = test.statistic, test.p_value
    col.score, col.score_kind, col.threshold = col.effect, "distance", min_effect
    col.status = "ok"  # value_drifted is decided by apply_robust over all columns


def benjamini_hochberg(p: list[float]) -> list[float]:
    """Benjamini-Hochberg adjusted p-values (as ``scipy.stats.false_discovery_control``)."""
    arr = np.asarray(p, dtype=np.float64)
    n = arr.shape[0]
    if n == 0:
        return []
    order = np.argsort(arr)
    ranked = arr[order] * n / np.arange(1, n + 1)
    adj = np.minimum.accumulate(ranked[::-1])[::-1]
    out = np.empty(n)
    out[order] = np.clip(adj, 0, 1)
    return out.tolist()


def apply_robust(cols: list[ColumnDrift], alpha: float, min_effect: float) -> None:
    """Decide robust verdicts: BH-adjusted p < alpha AND effect >= min_effect."""
    tested = [c for c in cols if c.status not in ("skipped", "undefined") and c.p_value is not None]
    adjusted = benjamini_hochberg([float(c.p_value) for c in tested])  # type: ignore[arg-type]
    for c, pa in zip(tested, adjusted, strict=True):
        c.p_adjusted = pa
        c.value_drifted = bool(pa < alpha and (c.effect or 0.0) >= min_effect)
        c.status = "drift" if c.value_drifted else "ok"
