"""The vectorised engine: each rule becomes a few numpy/pandas operations over whole columns.

A row rule computes a boolean ``fail`` mask; the result keeps the count, the fraction of
checked (non-missing) rows and a bounded sample of failing values with their row index.
A rule that raises is recorded with status ``error`` and the others still run.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from fractions import Fraction
from typing import Any

import numpy as np
import pandas as pd

from ..errors import RuleError
from .columns import FrameView, sample_value
from .language import Rule
from .report import ERROR, FAIL, PASS, RuleResult
from .rowrules import CMP_OPS, ROW_RULES, MissingColumn, RowCheck

DEFAULT_SAMPLE = 5


def run_rules(df: pd.DataFrame, rules: list[Rule], sample: int = DEFAULT_SAMPLE) -> list[RuleResult]:
    """Evaluate every rule on ``df``; never raises for data problems."""
    view = FrameView(df)
    out = []
    last_use: dict[str, int] = {}
    for i, rule in enumerate(rules):
        for col in _rule_columns(rule):
            last_use[col] = i
    for i, rule in enumerate(rules):
        try:
            result = _evaluate(view, rule, sample)
        except MissingColumn as exc:
            result = RuleResult(rule.text, rule.line, rule.kind, FAIL, _rule_columns(rule),
                                message=str(exc))
        except RuleError as exc:
            result = RuleResult(rule.text, rule.line, rule.kind, ERROR, _rule_columns(rule),
                                message=exc.message)
        except Exception as exc:  # a rule that raises is recorded; the others still run
            text = " ".join(str(exc).split())[:300]
            result = RuleResult(rule.text, rule.line, rule.kind, ERROR, _rule_columns(rule),
                                message=f"{type(exc).__name__}: {text}")
        result.mostly = rule.mostly
        out.append(result)
        for col in _rule_columns(rule):  # bounded memory: drop a column's conversions after its last rule
            if last_use.get(col) == i:
                view.forget(col)
    return out


def _rule_columns(rule: Rule) -> list[str]:
    cols = list(rule.columns)
    for e in (rule.expr, rule.right, rule.low, rule.high):
        if e is not None and not rule.kind.startswith("rows"):
            cols += [c for c in e.columns() if c not in cols]
    if rule.column and rule.column not in cols:
        cols.insert(0, rule.column)
    return cols


def _need(view: FrameView, names: list[str]) -> None:
    for name in names:
        if not view.has(name):
            raise MissingColumn(name, view)


def _evaluate(view: FrameView, rule: Rule, sample: int) -> RuleResult:
    kind = rule.kind
    if kind.startswith("columns_"):
        return _columns_rule(view, rule)
    if kind.startswith("rows_"):
        return _table_compare(rule, view.n, rule, f"{view.n} rows")
    cols = _rule_columns(rule)
    _need(view, cols)
    if kind.startswith("agg_"):
        return _aggregate(view, rule)
    if kind in ("dtype", "dtype_exact"):
        return _dtype(view, rule)
    found = ROW_RULES[kind](view, rule)
    if rule.nulls_fail:  # a missing operand fails the row instead of skipping it
        missing = np.zeros(view.n, dtype=bool)
        for c in cols:
            missing |= view.null(c)
        n_missing = int(np.count_nonzero(missing))
        if n_missing:
            note = found.note + ("; " if found.note else "") + f"{n_missing} rows with a missing value fail (nulls fail)"
            found = RowCheck(found.fail | missing, view.n, note, found.wrong)
        else:
            found = RowCheck(found.fail, view.n, found.note, found.wrong)
    return _row_result(view, rule, cols, found, sample)


def mostly_needed(mostly: float, checked: int) -> int:
    """How many of ``checked`` rows must pass ``mostly``: ceil(mostly × checked), exactly.

    ``mostly`` is read as the decimal that was written (0.2 is 1/5, not the float below
    it); a printed float of a simple fraction (``0.7142857142857143``) is read as that
    fraction (5/7), so ``mostly k/n`` passes with exactly k of n rows.
    """
    exact = Fraction(repr(float(mostly)))
    simple = exact.limit_denominator(10**6)
    if float(simple) == float(mostly):
        exact = simple
    return math.ceil(exact * checked)


# -- results ------------------------------------------------------------------------
def _row_result(view: FrameView, rule: Rule, cols: list[str], found: RowCheck, sample: int) -> RuleResult:
    fail, checked, note, wrong = found
    failing = int(np.count_nonzero(fail))
    passed = checked - failing
    needed = checked if rule.mostly is None else mostly_needed(rule.mostly, checked)
    # type failures are never excused by mostly: a mixed-type column is never a silent pass
    ok = failing == 0 or (rule.mostly is not None and wrong == 0 and passed >= needed)
    samples: list[dict[str, Any]] = []
    if failing and sample > 0:
        pos = np.flatnonzero(fail)[:sample]
        labels = view.df.index[pos]
        shown = {c: view.series(c) for c in cols[:5]}
        for p, label in zip(pos, labels, strict=False):
            if len(shown) == 1:
                value: Any = sample_value(next(iter(shown.values())).iloc[p])
            else:
                value = {c: sample_value(s.iloc[p]) for c, s in shown.items()}
            samples.append({"row": sample_value(label), "value": value})
    msg = f"{failing} of {checked} rows fail" if failing else f"{checked} rows checked"
    if view.n == 0:
        msg = "0 rows: passes vacuously"
    if note:
        msg = f"{msg}: {note}" if failing else note
    if rule.mostly is not None and failing:
        msg += f" ({passed} of {checked} rows pass, mostly {rule.mostly:g} needs {needed})"
        if wrong:
            msg += "; wrong types fail the rule even under mostly"
    return RuleResult(rule.text, rule.line, rule.kind, PASS if ok else FAIL, cols, checked=checked,
                      failing=failing, observed=None, message=msg, samples=samples, wrong_type=wrong)


def _compare_scalar(op: str, observed: Any, bound: Any) -> bool:
    return bool(CMP_OPS[op](observed, bound))


def _table_compare(rule: Rule, observed: Any, r: Rule, note: str, cols: list[str] | None = None) -> RuleResult:
    if observed is None or (isinstance(observed, float) and np.isnan(observed)):
        return RuleResult(rule.text, rule.line, rule.kind, FAIL, cols or [], observed=None,
                          message=f"no observed value ({note})")
    if r.kind.endswith("between"):
        assert r.low is not None and r.high is not None
        lo, hi = r.low.value, r.high.value
        ok = (lo < observed < hi) if r.exclusive else (lo <= observed <= hi)
    else:
        assert r.op is not None and r.right is not None
        ok = _compare_scalar(r.op, observed, r.right.value)
    if isinstance(observed, float) and not np.isfinite(observed):
        ok = False
    return RuleResult(rule.text, rule.line, rule.kind, PASS if ok else FAIL, cols or [],
                      observed=observed, message=note)


# -- table rules --------------------------------------------------------------------
def _columns_rule(view: FrameView, rule: Rule) -> RuleResult:
    present = [str(c) for c in view.df.columns]
    wanted = rule.columns
    observed: Any
    have, want = set(present), set(wanted)
    if rule.kind == "columns_include":
        missing = [c for c in wanted if c not in have]
        ok, observed, msg = not missing, _cap(missing), (f"missing: {_names(missing)}" if missing else "all present")
    elif rule.kind == "columns_exclude":
        found = [c for c in wanted if c in have]
        ok, observed, msg = not found, _cap(found), (f"present: {_names(found)}" if found else "none present")
    else:
        missing = [c for c in wanted if c not in have]
        extra = [c for c in present if c not in want]
        ok = not missing and not extra
        observed = {"missing": _cap(missing), "extra": _cap(extra)}
        msg = "exact match" if ok else f"missing: {_names(missing) or '-'}; extra: {_names(extra) or '-'}"
    return RuleResult(rule.text, rule.line, rule.kind, PASS if ok else FAIL, list(wanted),
                      observed=observed, message=msg)


MAX_NAMES = 50  # column lists in a report are capped: a 10,000-column table stays readable


def _cap(names: list[str]) -> list[str]:
    return names if len(names) <= MAX_NAMES else [*names[:MAX_NAMES], f"… {len(names) - MAX_NAMES} more"]


def _names(names: list[str]) -> str:
    return ", ".join(_cap(names))[:1000]


_TYPE_CHECKS: dict[str, Callable[[Any], bool]] = {
    "integer": lambda d: pd.api.types.is_integer_dtype(d),
    "float": lambda d: pd.api.types.is_float_dtype(d),
    "numeric": lambda d: pd.api.types.is_numeric_dtype(d) and not pd.api.types.is_bool_dtype(d),
    "string": lambda d: pd.api.types.is_string_dtype(d) and not pd.api.types.is_object_dtype(d),
    "boolean": lambda d: pd.api.types.is_bool_dtype(d),
    "datetime": lambda d: pd.api.types.is_datetime64_any_dtype(d),
    "category": lambda d: isinstance(d, pd.CategoricalDtype),
    "object": lambda d: pd.api.types.is_object_dtype(d),
}


def _dtype(view: FrameView, rule: Rule) -> RuleResult:
    assert rule.column is not None and rule.type_name is not None
    s = view.series(rule.column)
    observed = str(s.dtype)
    if rule.kind == "dtype_exact":
        ok = observed == rule.type_name
    else:
        ok = _TYPE_CHECKS[rule.type_name](s.dtype)
        if not ok and pd.api.types.is_object_dtype(s.dtype) and rule.type_name in ("string", "boolean"):
            inferred = pd.api.types.infer_dtype(s, skipna=True)
            ok = inferred == rule.type_name or (view.n == 0)
            observed = f"object ({inferred})"
        elif not ok and pd.api.types.is_object_dtype(s.dtype):
            observed = f"object ({pd.api.types.infer_dtype(s, skipna=True)})"
    return RuleResult(rule.text, rule.line, rule.kind, PASS if ok else FAIL, [rule.column],
                      observed=observed, message=f"dtype {observed}")


def _aggregate(view: FrameView, rule: Rule) -> RuleResult:
    assert rule.column is not None and rule.agg is not None
    name, agg = rule.column, rule.agg
    cols = [name]
    if view.n == 0:
        return _table_compare(rule, None, rule, "0 rows", cols)
    if agg == "null_fraction":
        return _table_compare(rule, float(view.null(name).mean()), rule, "null fraction", cols)
    s = view.series(name)
    if agg in ("distinct_count", "unique_fraction"):
        distinct = int(s.nunique(dropna=True))
        present = int(view.n - view.null(name).sum())
        if agg == "distinct_count":
            return _table_compare(rule, distinct, rule, "distinct values", cols)
        value = distinct / present if present else None
        return _table_compare(rule, value, rule, "distinct / non-null values" if present else "all values missing", cols)
    num = view.numeric(name)
    if num.bad is not None:
        n_bad = int(num.bad.sum())
        return RuleResult(rule.text, rule.line, rule.kind, FAIL, cols, observed=None,
                          message=f"{n_bad} values are not numbers (dtype {s.dtype})")
    missing = int(np.count_nonzero(num.null))
    values = num.values[~num.null] if missing else num.values
    if values.size == 0:
        return _table_compare(rule, None, rule, "all values missing", cols)
    observed: float | None
    with np.errstate(all="ignore"):
        if agg == "quantile":
            observed = float(np.quantile(values, rule.q or 0.0))
        elif agg == "std":
            observed = float(np.std(values, ddof=1)) if values.size > 1 else None
        else:
            observed = float(getattr(np, agg)(values))
    return _table_compare(rule, observed, rule, f"{agg} over {values.size} values", cols)
