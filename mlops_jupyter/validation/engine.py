"""The vectorised engine: each rule becomes a few numpy/pandas operations over whole columns.

A row rule computes a boolean ``fail`` mask; the result keeps the count, the fraction of
checked (non-missing) rows and a bounded sample of failing values with their row index.
A rule that raises is recorded with status ``error`` and the others still run.
"""

from __future__ import annotations

import dataclasses
import math
from fractions import Fraction
from typing import Any

import numpy as np
import pandas as pd

from ..errors import RuleError
from .columns import TYPE_CHECKS, FrameView, sample_value
from .language import Rule
from .report import ERROR, FAIL, PASS, RuleResult
from .rowrules import CMP_OPS, ROW_RULES, MissingColumn, RowCheck
from .tablerules import TABLE_RULES, columns_rule
from .timeexpr import dt_scalar, duration
from .valuerules import VALUE_RULES

ALL_ROW_RULES = {**ROW_RULES, **VALUE_RULES}
WHOLE_TABLE = ("duplicates",)  # rules that read every column (restricted with 'where')

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
        if e is not None and not rule.kind.startswith(("rows", "column_count")):
            cols += [c for c in e.columns() if c not in cols]
    if rule.column and rule.column not in cols:
        cols.insert(0, rule.column)
    for cond in rule.where:
        cols += [c for c in _rule_columns(cond) if c not in cols]
    return cols


def _need(view: FrameView, names: list[str]) -> None:
    for name in names:
        if not view.has(name):
            raise MissingColumn(name, view)


def _evaluate(view: FrameView, rule: Rule, sample: int) -> RuleResult:
    kind = rule.kind
    if rule.where:
        return _restricted(view, rule, sample)
    if kind.startswith("columns_"):
        return columns_rule(view, rule)
    if kind.startswith("rows_"):
        return _table_compare(rule, view.n, rule, f"{view.n} rows")
    if kind.startswith("column_count_"):
        return _table_compare(rule, view.df.shape[1], rule, f"{view.df.shape[1]} columns")
    cols = _rule_columns(rule)
    _need(view, cols)
    if kind.startswith("agg_"):
        return _aggregate(view, rule)
    if kind in ("dtype", "dtype_exact"):
        return _dtype(view, rule)
    if kind in TABLE_RULES:
        return TABLE_RULES[kind](view, rule)
    found = ALL_ROW_RULES[kind](view, rule)
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


def _restricted(view: FrameView, rule: Rule, sample: int) -> RuleResult:
    """``RULE where COND``: the rule runs on the rows where every condition holds (a row
    whose condition reads a missing value does not match)."""
    match = np.ones(view.n, dtype=bool)
    for cond in rule.where:
        cols = _rule_columns(cond)
        _need(view, cols)
        found = ALL_ROW_RULES[cond.kind](view, cond)
        match &= ~found.fail
        for c in cols:
            match &= ~view.null(c)
    inner = dataclasses.replace(rule, where=[], where_text="")
    own = _rule_columns(inner)
    _need(view, own)
    whole = inner.kind.startswith(("columns_", "column_count_")) or inner.kind in WHOLE_TABLE or not own
    sub = view.df.loc[match] if whole else view.df.loc[match, list(dict.fromkeys(own))]
    result = _evaluate(FrameView(sub), inner, sample)
    matched = int(np.count_nonzero(match))
    result.message = f"where {rule.where_text}: {matched} of {view.n} rows; {result.message}"
    result.columns = _rule_columns(rule)
    return result


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
    return row_verdict(rule, cols, view.n, checked, failing, wrong, note, samples)


def row_verdict(rule: Rule, cols: list[str], n: int, checked: int, failing: int, wrong: int, note: str,
                samples: list[dict[str, Any]]) -> RuleResult:
    """The verdict and message of a row rule from its counts: one definition for every engine,
    so pandas, DuckDB and Spark say the same thing about the same data."""
    passed = checked - failing
    needed = checked if rule.mostly is None else mostly_needed(rule.mostly, checked)
    # type failures are never excused by mostly: a mixed-type column is never a silent pass
    ok = failing == 0 or (rule.mostly is not None and wrong == 0 and passed >= needed)
    msg = f"{failing} of {checked} rows fail" if failing else f"{checked} rows checked"
    if n == 0:
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


def _bound(e: Any, tz: Any) -> Any:
    """A constant bound: a number, or a datetime (quoted date, now, today, ± durations)."""
    return e.value if e.kind == "num" else dt_scalar(e, tz)


def _table_compare(rule: Rule, observed: Any, r: Rule, note: str, cols: list[str] | None = None) -> RuleResult:
    if observed is None or (isinstance(observed, float) and np.isnan(observed)) or observed is pd.NaT:
        return RuleResult(rule.text, rule.line, rule.kind, FAIL, cols or [], observed=None,
                          message=f"no observed value ({note})")
    tz = getattr(observed, "tz", None)
    is_time = isinstance(observed, pd.Timestamp)
    for side in (r.right, r.low, r.high):
        if side is not None and not is_time and side.kind != "num":
            raise RuleError(f"'{side.text()}' is not a number: {note} is a number")
    if r.kind.endswith("within"):
        assert r.low is not None and r.right is not None
        reference = _bound(r.right, tz)
        distance = duration(r.low) if r.low.kind == "dur" else r.low.value
        ok = abs(observed - reference) <= distance
        note = f"{note}; reference {_shown(reference)}"
    elif r.kind.endswith("between"):
        assert r.low is not None and r.high is not None
        lo, hi = _bound(r.low, tz), _bound(r.high, tz)
        ok = (lo < observed < hi) if r.exclusive else (lo <= observed <= hi)
    else:
        assert r.op is not None and r.right is not None
        ok = _compare_scalar(r.op, observed, _bound(r.right, tz))
    if isinstance(observed, float) and not np.isfinite(observed):
        ok = False
    return RuleResult(rule.text, rule.line, rule.kind, PASS if ok else FAIL, cols or [],
                      observed=_shown(observed), message=note)


def _shown(value: Any) -> Any:
    return value.isoformat() if isinstance(value, pd.Timestamp) else value


# -- dtypes and aggregates ---------------------------------------------------------
def _dtype(view: FrameView, rule: Rule) -> RuleResult:
    assert rule.column is not None and rule.type_name is not None
    s = view.series(rule.column)
    observed = str(s.dtype)
    if rule.kind == "dtype_exact":
        ok = observed == rule.type_name
    else:
        ok = TYPE_CHECKS[rule.type_name](s.dtype)
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
    if view.kind(name) == "dt" and agg in ("min", "max", "median"):
        times = s.dropna()
        observed_time = getattr(times, agg)() if len(times) else None
        return _table_compare(rule, observed_time, rule, f"{agg} over {len(times)} datetimes", cols)
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
