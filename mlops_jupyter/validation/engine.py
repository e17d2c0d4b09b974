"""The vectorised engine: each rule becomes a few numpy/pandas operations over whole columns.

A row rule computes a boolean ``fail`` mask; the result keeps the count, the fraction of
checked (non-missing) rows and a bounded sample of failing values with their row index.
A rule that raises is recorded with status ``error`` and the others still run.
"""

from __future__ import annotations

import difflib
import operator
import re
from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd

from ..errors import RuleError
from .columns import FrameView, arrow_strings, sample_value
from .language import Expr, Rule
from .report import ERROR, FAIL, PASS, RuleResult

_CMP: dict[str, Callable[[Any, Any], Any]] = {
    "<": operator.lt, "<=": operator.le, ">": operator.gt, ">=": operator.ge,
    "==": operator.eq, "!=": operator.ne,
}
_ARITH: dict[str, Callable[[Any, Any], Any]] = {
    "+": np.add, "-": np.subtract, "*": np.multiply, "/": np.true_divide, "%": np.mod,
}
DEFAULT_SAMPLE = 5


class _Missing(Exception):
    def __init__(self, name: str, view: FrameView) -> None:
        close = difflib.get_close_matches(name, [str(c) for c in view.df.columns], n=1)
        hint = f" (did you mean '{close[0]}'?)" if close else ""
        super().__init__(f"column '{name}' not found{hint}")


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
        except _Missing as exc:
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
            raise _Missing(name, view)


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
    handler = _ROW_RULES[kind]
    fail, checked, note = handler(view, rule)
    return _row_result(view, rule, cols, fail, checked, note, sample)


# -- results ------------------------------------------------------------------------
def _row_result(view: FrameView, rule: Rule, cols: list[str], fail: np.ndarray, checked: int,
                note: str, sample: int) -> RuleResult:
    failing = int(np.count_nonzero(fail))
    frac = failing / checked if checked else 0.0
    ok = failing == 0 or (rule.mostly is not None and 1.0 - frac >= rule.mostly)
    samples: list[dict[str, Any]] = []
    if failing and sample > 0:
        pos = np.flatnonzero(fail)[:sample]
        labels = view.df.index[pos]
        shown = cols[:5]
        for p, label in zip(pos, labels, strict=False):
            if len(shown) == 1:
                value: Any = sample_value(view.series(shown[0]).iloc[p])
            else:
                value = {c: sample_value(view.series(c).iloc[p]) for c in shown}
            samples.append({"row": sample_value(label), "value": value})
    msg = note
    if not msg:
        msg = f"{failing} of {checked} rows fail" if failing else f"{checked} rows checked"
        if view.n == 0:
            msg = "0 rows: passes vacuously"
        if rule.mostly is not None and failing:
            msg += f" (pass fraction {1 - frac:.4g}, mostly {rule.mostly:g})"
    return RuleResult(rule.text, rule.line, rule.kind, PASS if ok else FAIL, cols, checked=checked,
                      failing=failing, observed=None, message=msg, samples=samples)


def _compare_scalar(op: str, observed: Any, bound: Any) -> bool:
    return bool(_CMP[op](observed, bound))


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


# -- row rules: each returns (fail mask, checked rows, note) -------------------------
def _mode(view: FrameView, exprs: list[Expr]) -> str:
    kinds: set[str] = set()
    numeric_ops = False

    def walk(e: Expr) -> None:
        nonlocal numeric_ops
        if e.kind in ("bin", "neg", "len", "num"):
            numeric_ops = True
        if e.kind == "str":
            kinds.add("lit_str")
        if e.kind == "col":
            if not view.has(e.value):
                raise _Missing(e.value, view)
            kinds.add(view.kind(e.value))
        for child in (e.left, e.right):
            if child is not None:
                walk(child)

    for e in exprs:
        walk(e)
    if numeric_ops or "num" in kinds:
        if "lit_str" in kinds:
            raise RuleError("a rule cannot compare numbers with text")
        return "num"
    if "dt" in kinds:
        return "dt"
    return "str"


def _num_eval(view: FrameView, e: Expr) -> tuple[Any, np.ndarray | None, np.ndarray | None]:
    """Evaluate a numeric expression: (values, missing mask, type-failure mask)."""
    if e.kind == "num":
        return float(e.value), None, None
    if e.kind == "col":
        v = view.numeric(e.value)
        return v.values, v.null, v.bad
    if e.kind == "len":
        arrow = arrow_strings(view.series(e.value))
        if arrow is not None:
            import pyarrow.compute as pc

            measure = pc.binary_length if _ascii_only(arrow) else pc.utf8_length
            lengths = measure(arrow).to_numpy(zero_copy_only=False)
            return lengths, view.null(e.value), None
        t = view.text(e.value)
        lengths = t.series.str.len().to_numpy(dtype=np.float64, na_value=np.nan)
        return lengths, t.null, t.bad
    if e.kind == "str":
        raise RuleError("text cannot be used in arithmetic")
    assert e.left is not None
    lv, ln, lb = _num_eval(view, e.left)
    if e.kind == "neg":
        return -lv, ln, lb
    assert e.right is not None
    rv, rn, rb = _num_eval(view, e.right)
    with np.errstate(all="ignore"):
        out = _ARITH[e.value](lv, rv)
    return out, _or(ln, rn), _or(lb, rb)


def _ascii_only(arrow: Any) -> bool:
    """True when the bytes behind an Arrow string array are all ASCII: byte length is then
    character length, read from the offsets without decoding (10x faster than utf8_length)."""
    import pyarrow as pa

    if not (pa.types.is_string(arrow.type) or pa.types.is_large_string(arrow.type)):
        return False
    for chunk in arrow.chunks:
        data = chunk.buffers()[2]
        if data is not None and data.size and np.frombuffer(data, dtype=np.uint8).max() >= 128:
            return False
    return True


def _computed(e: Expr) -> bool:
    """True for arithmetic results, where ``==`` means "equal within rounding"."""
    return e.kind in ("bin", "neg")


def _or(a: np.ndarray | None, b: np.ndarray | None) -> np.ndarray | None:
    if a is None:
        return b
    if b is None:
        return a
    return a | b


def _finite(view: FrameView, e: Expr, values: Any) -> Any:
    if e.kind == "col":
        finite = view.finite(e.value)
        return True if finite is None else finite
    if np.ndim(values) == 0:
        return bool(np.isfinite(values))
    return np.isfinite(values)


def _side(view: FrameView, e: Expr, mode: str, tz: Any) -> tuple[Any, np.ndarray | None, np.ndarray | None]:
    """A non-numeric operand: a Series (text or datetimes) or a scalar literal."""
    if e.kind == "str":
        if mode == "dt":
            ts = pd.Timestamp(e.value)
            if tz is not None and ts.tzinfo is None:
                ts = ts.tz_localize(tz)
            return ts, None, None
        return e.value, None, None
    if e.kind != "col":
        raise RuleError("only columns and quoted values can be compared as text or datetimes")
    name = e.value
    if mode == "dt" and view.kind(name) == "dt":
        s = view.series(name)
        return s, view.null(name), None
    if mode == "dt":
        parsed, bad = _parse_datetimes(view.series(name), None)
        return parsed, view.null(name), bad
    t = view.text(name)
    return t.series, t.null, t.bad


def _compare(view: FrameView, op: str, left: Expr, right: Expr) -> tuple[np.ndarray, np.ndarray | None, np.ndarray | None]:
    """(ok, missing, type-failure) masks for ``left op right``."""
    mode = _mode(view, [left, right])
    if mode == "num":
        lv, ln, lb = _num_eval(view, left)
        rv, rn, rb = _num_eval(view, right)
        with np.errstate(all="ignore"):
            if op in ("==", "!=") and (_computed(left) or _computed(right)):
                res = np.isclose(lv, rv, rtol=1e-9, atol=1e-12)
                res = res if op == "==" else ~res
            else:
                res = _CMP[op](lv, rv)
            ok = res & _finite(view, left, lv) & _finite(view, right, rv)
        ok = np.asarray(ok, dtype=bool)
        if ok.shape != (view.n,):
            ok = np.broadcast_to(ok, (view.n,))
        return ok, _or(ln, rn), _or(lb, rb)
    tz = None
    for e in (left, right):
        if e.kind == "col" and view.kind(e.value) == "dt":
            tz = getattr(view.series(e.value).dtype, "tz", None)
    lv, ln, lb = _side(view, left, mode, tz)
    rv, rn, rb = _side(view, right, mode, tz)
    res = _CMP[op](lv, rv)
    if isinstance(res, pd.Series):
        ok = res.to_numpy(dtype=bool, na_value=False)
    else:
        ok = np.full(view.n, bool(res))
    return ok, _or(ln, rn), _or(lb, rb)


def _fail_from(view: FrameView, ok: np.ndarray, null: np.ndarray | None, bad: np.ndarray | None) -> tuple[np.ndarray, int]:
    fail = ~ok
    missing = int(np.count_nonzero(null)) if null is not None else 0
    if missing and null is not None:
        fail &= ~null
    checked = view.n - missing
    if bad is not None:
        fail |= bad
    return fail, checked


def _type_note(bad: np.ndarray | None) -> str:
    if bad is None or not bad.any():
        return ""
    return f"{int(bad.sum())} values have the wrong type for this rule"


def _rule_compare(view: FrameView, rule: Rule) -> tuple[np.ndarray, int, str]:
    assert rule.expr is not None and rule.op is not None and rule.right is not None
    ok, null, bad = _compare(view, rule.op, rule.expr, rule.right)
    fail, checked = _fail_from(view, ok, null, bad)
    return fail, checked, _type_note(bad)


def _rule_between(view: FrameView, rule: Rule) -> tuple[np.ndarray, int, str]:
    assert rule.expr is not None and rule.low is not None and rule.high is not None
    e = rule.expr
    if rule.low.kind == "num" and rule.high.kind == "num" and _mode(view, [e]) == "num":
        # one pass over the subject; finite bounds reject ±inf by themselves, NaN is missing
        values, null, bad = _num_eval(view, e)
        lo, hi = float(rule.low.value), float(rule.high.value)
        with np.errstate(invalid="ignore"):
            # NaN compares False both ways: missing values never fail, no mask needed
            fail = ((values <= lo) | (values >= hi)) if rule.exclusive else ((values < lo) | (values > hi))
        fail = np.asarray(fail, dtype=bool)
        if _computed(e):  # 0/0 of present values is a failing value, not a missing one
            undefined = np.isnan(values)
            fail |= undefined if null is None else (undefined & ~null)
        if bad is not None:
            fail |= bad
        missing = int(np.count_nonzero(null)) if null is not None else 0
        return fail, view.n - missing, _type_note(bad)
    lo_op, hi_op = (">", "<") if rule.exclusive else (">=", "<=")
    ok1, n1, b1 = _compare(view, lo_op, rule.expr, rule.low)
    ok2, n2, b2 = _compare(view, hi_op, rule.expr, rule.high)
    fail, checked = _fail_from(view, ok1 & ok2, _or(n1, n2), _or(b1, b2))
    return fail, checked, _type_note(_or(b1, b2))


def _rule_not_null(view: FrameView, rule: Rule) -> tuple[np.ndarray, int, str]:
    assert rule.column is not None
    return view.null(rule.column), view.n, ""


def _by_categories(s: pd.Series, test: Callable[[pd.Index], np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
    """Run ``test`` once per category instead of once per row (huge categoricals)."""
    member = np.asarray(test(s.cat.categories), dtype=bool)
    codes = s.cat.codes.to_numpy()
    null = codes < 0
    ok = np.where(null, True, member[np.where(null, 0, codes)] if member.size else False)
    return np.asarray(ok, dtype=bool), null


def _rule_in_set(view: FrameView, rule: Rule) -> tuple[np.ndarray, int, str]:
    assert rule.column is not None
    s = view.series(rule.column)
    values = [v for v in rule.values if v is not None]
    if isinstance(s.dtype, pd.CategoricalDtype):
        ok, null = _by_categories(s, lambda cats: cats.isin(values))
    else:
        null = view.null(rule.column)
        if view.kind(rule.column) == "num":
            nums = [v for v in values if not isinstance(v, str)]
            ok = np.isin(view.numeric(rule.column).values, np.asarray(nums, dtype=np.float64))
        else:
            ok = np.asarray(s.isin(values), dtype=bool)
    if rule.negate:
        ok = ~ok
    fail, checked = _fail_from(view, ok, null, None)
    return fail, checked, ""


def _rule_matches(view: FrameView, rule: Rule) -> tuple[np.ndarray, int, str]:
    assert rule.column is not None and rule.pattern is not None
    s = view.series(rule.column)
    pattern = rule.pattern
    compiled = re.compile(pattern)

    def search(values: Any) -> np.ndarray:
        arrow = arrow_strings(values)
        if arrow is not None:
            import pyarrow.compute as pc

            try:
                found = pc.fill_null(pc.match_substring_regex(arrow, pattern), False)
                return np.asarray(found.to_numpy(zero_copy_only=False), dtype=bool)
            except Exception:  # RE2 rejects some Python regex features: fall through
                pass
        try:
            res = values.str.contains(pattern, regex=True, na=False)
        except Exception:  # a Python-only regex feature the Arrow engine rejects
            res = values.map(lambda v: isinstance(v, str) and compiled.search(v) is not None)
        return np.asarray(res, dtype=bool)

    bad = None
    if isinstance(s.dtype, pd.CategoricalDtype) and view.kind(rule.column) == "str":
        ok, null = _by_categories(s, lambda cats: search(pd.Series(cats)))
    else:
        t = view.text(rule.column)
        null, bad = t.null, t.bad
        ok = search(t.series)
    if rule.negate:
        ok = ~ok
    fail, checked = _fail_from(view, ok, null, bad)
    return fail, checked, _type_note(bad)


def _parse_datetimes(s: pd.Series, fmt: str | None) -> tuple[pd.Series, np.ndarray | None]:
    if pd.api.types.is_datetime64_any_dtype(s.dtype):
        return s, None
    null = np.asarray(s.isna(), dtype=bool)
    if pd.api.types.is_numeric_dtype(s.dtype) and not fmt:
        bad = ~null
        return pd.Series(pd.NaT, index=s.index, dtype="datetime64[ns]"), (bad if bad.any() else None)
    text = s.astype(object).where(~null)
    if fmt:
        parsed = pd.to_datetime(text, errors="coerce", format=fmt)
    else:
        parsed = pd.to_datetime(text, errors="coerce", format="ISO8601")
        retry = np.asarray(parsed.isna(), dtype=bool) & ~null
        if retry.any():
            again = pd.to_datetime(text[retry], errors="coerce", format="mixed")
            if getattr(again.dtype, "tz", None) is None and getattr(parsed.dtype, "tz", None) is None:
                parsed = parsed.copy()
                parsed[retry] = again
    bad = np.asarray(parsed.isna(), dtype=bool) & ~null
    return parsed, (bad if bad.any() else None)


def _rule_parses(view: FrameView, rule: Rule) -> tuple[np.ndarray, int, str]:
    assert rule.column is not None
    null = view.null(rule.column)
    _, bad = _parse_datetimes(view.series(rule.column), rule.pattern)
    fail = bad if bad is not None else np.zeros(view.n, dtype=bool)
    return fail, view.n - int(null.sum()), ""


def _rule_not_future(view: FrameView, rule: Rule) -> tuple[np.ndarray, int, str]:
    assert rule.column is not None
    parsed, bad = _parse_datetimes(view.series(rule.column), None)
    tz = getattr(parsed.dtype, "tz", None)
    now = pd.Timestamp.now(tz=tz)
    ok = np.asarray((parsed <= now).fillna(False), dtype=bool)
    fail, checked = _fail_from(view, ok, view.null(rule.column), bad)
    return fail, checked, _type_note(bad)


def _rule_unique(view: FrameView, rule: Rule) -> tuple[np.ndarray, int, str]:
    assert rule.column is not None
    s = view.series(rule.column)
    null = view.null(rule.column)
    dup = np.asarray(s.duplicated(keep=False), dtype=bool) & ~null
    return dup, view.n - int(null.sum()), ""


def _rule_compound_unique(view: FrameView, rule: Rule) -> tuple[np.ndarray, int, str]:
    null = np.zeros(view.n, dtype=bool)
    for c in rule.columns:
        null |= view.null(c)
    dup = np.asarray(view.df[rule.columns].duplicated(keep=False), dtype=bool) & ~null
    return dup, view.n - int(null.sum()), ""


def _rule_duplicates(view: FrameView, rule: Rule) -> tuple[np.ndarray, int, str]:
    return np.asarray(view.df.duplicated(keep=False), dtype=bool), view.n, ""


def _rule_monotonic(view: FrameView, rule: Rule) -> tuple[np.ndarray, int, str]:
    assert rule.column is not None and rule.op is not None
    null = view.null(rule.column)
    pos = np.flatnonzero(~null)
    s = view.series(rule.column)
    if view.kind(rule.column) == "num":
        arr: Any = view.numeric(rule.column).values[pos]
    else:
        arr = s.iloc[pos].to_numpy()
    fail = np.zeros(view.n, dtype=bool)
    if arr.size > 1:
        prev, nxt = arr[:-1], arr[1:]
        if rule.op == "increasing":
            broken = (nxt <= prev) if rule.exclusive else (nxt < prev)
        else:
            broken = (nxt >= prev) if rule.exclusive else (nxt > prev)
        fail[pos[1:][np.asarray(broken, dtype=bool)]] = True
    return fail, int(pos.size), ""


_ROW_RULES: dict[str, Callable[[FrameView, Rule], tuple[np.ndarray, int, str]]] = {
    "compare": _rule_compare, "between": _rule_between, "not_null": _rule_not_null,
    "in_set": _rule_in_set, "matches": _rule_matches, "parses": _rule_parses,
    "not_future": _rule_not_future, "unique": _rule_unique,
    "compound_unique": _rule_compound_unique, "duplicates": _rule_duplicates,
    "monotonic": _rule_monotonic,
}
