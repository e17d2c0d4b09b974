"""Row rules added by issue 13: ``within … of …``, outliers (z-score, IQR), several allowed
types, tuples of columns in a set, JSON text and JSON Schema.

Same contract as :mod:`.rowrules`: each returns a :class:`RowCheck` (failing rows, rows
judged, a note); missing values are skipped, values of the wrong type are type failures.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd

from ..errors import RuleError
from .columns import TYPE_CHECKS, FrameView, kind_of, value_types
from .rowrules import RowCheck, _fail_from, _mode, _num_eval, _or
from .rule import Rule
from .timeexpr import column_tz, dt_eval, duration


def _rule_within(view: FrameView, rule: Rule) -> RowCheck:
    """``x within D of R``: |x - R| <= D, for numbers or datetimes (D a duration)."""
    assert rule.expr is not None and rule.right is not None and rule.low is not None
    mode = _mode(view, [rule.expr, rule.right])
    if mode == "num":
        if rule.low.kind != "num":
            raise RuleError("numbers are within a number of each other, not a duration")
        lv, ln, lb = _num_eval(view, rule.expr)
        rv, rn, rb = _num_eval(view, rule.right)
        with np.errstate(all="ignore"):
            ok = np.asarray(np.abs(lv - rv) <= float(rule.low.value), dtype=bool)
        ok = np.broadcast_to(ok, (view.n,))
        return _fail_from(view, ok, _or(ln, rn), _or(lb, rb))
    if mode != "dt" or rule.low.kind != "dur":
        raise RuleError("'within' needs numbers, or datetimes and a duration such as 1 day")
    tz = column_tz(view, [rule.expr, rule.right])
    lv, ln, lb = dt_eval(view, rule.expr, tz)
    rv, rn, rb = dt_eval(view, rule.right, tz)
    gap = (lv - rv).abs() if isinstance(lv, pd.Series) else abs(lv - rv)
    res = gap <= duration(rule.low)
    ok = res.to_numpy(dtype=bool, na_value=False) if isinstance(res, pd.Series) else np.full(view.n, bool(res))
    return _fail_from(view, ok, _or(ln, rn), _or(lb, rb))


def _rule_outliers(view: FrameView, rule: Rule) -> RowCheck:
    """Values whose |z-score| exceeds T, or outside Tukey's fences Q1 - K·IQR, Q3 + K·IQR.

    Mean, deviation and quartiles come from the finite present values; ±inf is an outlier."""
    assert rule.column is not None and rule.q is not None
    num = view.numeric(rule.column)
    values, null, bad = num.values, num.null, num.bad
    finite = np.isfinite(values)
    data = values[finite]
    with np.errstate(invalid="ignore"):
        if data.size < 2:
            lo, hi, note = -np.inf, np.inf, f"fewer than 2 values: no outliers defined ({data.size} values)"
        elif rule.op == "zscore":
            mean, std = float(np.mean(data)), float(np.std(data, ddof=1))
            lo, hi = mean - rule.q * std, mean + rule.q * std
            note = f"|z-score| > {rule.q:g} (mean {mean:.6g}, std {std:.6g}): outside [{lo:.6g}, {hi:.6g}]"
        else:
            q1, q3 = (float(v) for v in np.quantile(data, [0.25, 0.75]))
            lo, hi = q1 - rule.q * (q3 - q1), q3 + rule.q * (q3 - q1)
            note = f"outside Q1 - {rule.q:g}·IQR, Q3 + {rule.q:g}·IQR = [{lo:.6g}, {hi:.6g}]"
        outside = (values < lo) | (values > hi) | (np.isinf(values))
    return _fail_from(view, ~outside, null, bad, note=note)


def _rule_types(view: FrameView, rule: Rule) -> RowCheck:
    """``x is integer or string``: each present value has one of the types (per value in an
    object column; by dtype otherwise)."""
    assert rule.column is not None
    allowed = frozenset(rule.values)
    s = view.series(rule.column)
    null = view.null(rule.column)
    if kind_of(s.dtype) == "obj" and "object" not in allowed:
        values = s.to_numpy()
        ok = np.fromiter((bool(value_types(v) & allowed) for v in values), dtype=bool, count=len(values))
    else:
        dtypes = [s.dtype]
        if isinstance(s.dtype, pd.CategoricalDtype):
            dtypes.append(s.cat.categories.dtype)
        ok = np.full(view.n, any(TYPE_CHECKS[t](d) for t in allowed for d in dtypes))
    fail = ~ok & ~null
    n_bad = int(np.count_nonzero(fail))
    note = f"{_are(n_bad)} not {' or '.join(rule.values)} (dtype {s.dtype})" if n_bad else ""
    return RowCheck(fail, view.n - int(np.count_nonzero(null)), note)


def _are(n: int) -> str:
    return f"{n} value is" if n == 1 else f"{n} values are"


def _plain(v: Any) -> Any:
    """A comparable key: numbers as float (1 == 1.0), everything else as it is."""
    if isinstance(v, (bool, np.bool_)):
        return float(v)
    if isinstance(v, (int, float, np.integer, np.floating)):
        return float(v)
    return v


def _rule_tuple_in(view: FrameView, rule: Rule) -> RowCheck:
    """``(a, b) in {(1, "x"), …}``: each row's combination is one of the allowed tuples."""
    arrays: list[Any] = []
    null = np.zeros(view.n, dtype=bool)
    for name in rule.columns:
        null |= view.null(name)
        if view.kind(name) == "num":
            arrays.append(view.numeric(name).values)
        elif view.kind(name) == "obj":  # mixed values: numbers as floats, like the tuples
            arrays.append(view.series(name).astype(object).map(_plain).to_numpy())
        else:
            arrays.append(view.series(name).to_numpy())
    allowed = [tuple(_plain(v) for v in t) for t in rule.values]
    # each column factorised once; a row's combination becomes one integer (mixed radix)
    key = np.zeros(view.n, dtype=np.int64)
    wanted = np.zeros(len(allowed), dtype=np.int64)
    size = 1
    for j, values in enumerate(arrays):
        codes, uniques = pd.factorize(values, use_na_sentinel=True)
        radix = len(uniques) + 1
        if size * radix >= 2**62:  # too many combinations for one integer: hash the tuples instead
            keys = pd.MultiIndex.from_arrays(arrays)
            key, wanted, size = np.asarray(keys.isin(allowed), dtype=np.int64), np.ones(1, dtype=np.int64), 0
            break
        found = pd.Index(uniques).get_indexer(pd.Index([t[j] for t in allowed]))  # -1: never occurs
        key = key * radix + (codes + 1)
        wanted = np.where((wanted < 0) | (found < 0), -1, wanted * radix + (found + 1))
        size *= radix
    ok = np.isin(key, wanted[wanted >= 0] if size else wanted)
    if rule.negate:
        ok = ~ok
    return _fail_from(view, ok, null, None)


def _json_values(view: FrameView, name: str, keep: bool) -> tuple[np.ndarray, list[Any], np.ndarray, np.ndarray]:
    """(parsed, documents if ``keep``, missing, wrong type) for each row of a column."""
    null = view.null(name)
    values = view.series(name).to_numpy().tolist()
    parsed = [False] * view.n
    wrong = [False] * view.n
    docs: list[Any] = [None] * view.n if keep else []
    loads = json.loads
    for i, (v, missing) in enumerate(zip(values, null.tolist(), strict=True)):
        if missing:
            continue
        if isinstance(v, str):
            try:
                doc = loads(v)
            except ValueError:
                continue
        elif isinstance(v, (dict, list)):
            doc = v
        else:
            wrong[i] = True
            continue
        parsed[i] = True
        if keep:
            docs[i] = doc
    return np.array(parsed, dtype=bool), docs, null, np.array(wrong, dtype=bool)


def _rule_json(view: FrameView, rule: Rule) -> RowCheck:
    """``x parses as json``: every present value is JSON text (or already a dict/list)."""
    assert rule.column is not None
    parsed, _, null, wrong = _json_values(view, rule.column, keep=False)
    return _fail_from(view, parsed, null, wrong if wrong.any() else None)


def _rule_json_schema(view: FrameView, rule: Rule) -> RowCheck:
    """``x matches json schema "…"``: every present value parses and is valid."""
    import jsonschema

    assert rule.column is not None
    parsed, docs, null, wrong = _json_values(view, rule.column, keep=True)
    validator = jsonschema.validators.validator_for(rule.schema)(rule.schema)
    ok = parsed.copy()
    first = ""
    not_json = int(np.count_nonzero(~parsed & ~null & ~wrong))
    for i in np.flatnonzero(parsed):
        error = jsonschema.exceptions.best_match(validator.iter_errors(docs[i]))
        if error is not None:
            ok[i] = False
            if not first:
                where = "/".join(str(p) for p in error.absolute_path)
                first = f"first: {error.message}" + (f" at '{where}'" if where else "")
    note = "; ".join(x for x in (f"{_are(not_json)} not JSON" if not_json else "", first) if x)
    return _fail_from(view, ok, null, wrong if wrong.any() else None, note=note)


VALUE_RULES: dict[str, Callable[[FrameView, Rule], RowCheck]] = {
    "within": _rule_within, "outliers": _rule_outliers, "types": _rule_types,
    "tuple_in": _rule_tuple_in, "json": _rule_json, "json_schema": _rule_json_schema,
}
