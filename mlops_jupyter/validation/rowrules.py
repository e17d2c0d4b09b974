"""Row rules of the vectorised engine: each returns a ``fail`` mask over all rows, the number
of rows it checked (non-missing) and a note for the report.

Expressions are evaluated column-wise with numpy/pandas (Arrow kernels for text), never
with ``eval``; non-numeric values in a numeric rule are type failures, never silent passes.
"""

from __future__ import annotations

import difflib
import operator
import re
from collections.abc import Callable
from typing import Any, NamedTuple

import numpy as np
import pandas as pd

from ..errors import RuleError
from .columns import FrameView, arrow_strings
from .language import Expr, Rule
from .timeexpr import column_tz, dt_eval, has_time
from .timeexpr import parse_datetimes as _parse_datetimes

_ARITH: dict[str, Callable[[Any, Any], Any]] = {
    "+": np.add, "-": np.subtract, "*": np.multiply, "/": np.true_divide, "%": np.mod,
}
CMP_OPS: dict[str, Callable[[Any, Any], Any]] = {
    "<": operator.lt, "<=": operator.le, ">": operator.gt, ">=": operator.ge,
    "==": operator.eq, "!=": operator.ne,
}


class RowCheck(NamedTuple):
    """What a row rule found: the failing rows, how many rows it judged, a note for the
    report and how many of the failing rows are type failures (counted apart: ``mostly``
    never excuses them)."""

    fail: np.ndarray
    checked: int
    note: str = ""
    wrong: int = 0


class MissingColumn(Exception):
    def __init__(self, name: str, view: FrameView) -> None:
        close = difflib.get_close_matches(name, [str(c) for c in view.df.columns], n=1)
        hint = f" (did you mean '{close[0]}'?)" if close else ""
        super().__init__(f"column '{name}' not found{hint}")


# -- row rules: each returns a RowCheck ------------------------------------------------
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
                raise MissingColumn(e.value, view)
            kinds.add(view.kind(e.value))
        for child in (e.left, e.right):
            if child is not None:
                walk(child)

    for e in exprs:
        walk(e)
    if any(has_time(e) for e in exprs):
        return "dt"
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
    if mode == "dt":
        return dt_eval(view, e, tz)
    if e.kind == "str":
        return e.value, None, None
    if e.kind != "col":
        raise RuleError("only columns and quoted values can be compared as text or datetimes")
    t = view.text(e.value)
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
                res = CMP_OPS[op](lv, rv)
            ok = res & _finite(view, left, lv) & _finite(view, right, rv)
        ok = np.asarray(ok, dtype=bool)
        if ok.shape != (view.n,):
            ok = np.broadcast_to(ok, (view.n,))
        return ok, _or(ln, rn), _or(lb, rb)
    tz = column_tz(view, [left, right])
    lv, ln, lb = _side(view, left, mode, tz)
    rv, rn, rb = _side(view, right, mode, tz)
    res = CMP_OPS[op](lv, rv)
    if isinstance(res, pd.Series):
        ok = res.to_numpy(dtype=bool, na_value=False)
    else:
        ok = np.full(view.n, bool(res))
    return ok, _or(ln, rn), _or(lb, rb)


def _fail_from(view: FrameView, ok: np.ndarray, null: np.ndarray | None, bad: np.ndarray | None,
               note: str = "") -> RowCheck:
    """Failing rows from an ``ok`` mask: missing rows are skipped (never failures, not even
    type failures of another operand), present values of the wrong type fail."""
    fail = ~ok
    missing = int(np.count_nonzero(null)) if null is not None else 0
    if missing and null is not None:
        fail &= ~null
        if bad is not None:
            bad = bad & ~null
    wrong = int(np.count_nonzero(bad)) if bad is not None else 0
    if wrong:
        fail |= bad
    return RowCheck(fail, view.n - missing, "; ".join(n for n in (note, _type_note(wrong)) if n), wrong)


def _type_note(wrong: int) -> str:
    if not wrong:
        return ""
    return f"{wrong} value{' has' if wrong == 1 else 's have'} the wrong type for this rule"


def _rule_compare(view: FrameView, rule: Rule) -> RowCheck:
    assert rule.expr is not None and rule.op is not None and rule.right is not None
    ok, null, bad = _compare(view, rule.op, rule.expr, rule.right)
    return _fail_from(view, ok, null, bad)


def _rule_between(view: FrameView, rule: Rule) -> RowCheck:
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
        missing = int(np.count_nonzero(null)) if null is not None else 0
        if bad is not None and null is not None:
            bad = bad & ~null
        wrong = int(np.count_nonzero(bad)) if bad is not None else 0
        if wrong:
            fail |= bad
        return RowCheck(fail, view.n - missing, _type_note(wrong), wrong)
    lo_op, hi_op = (">", "<") if rule.exclusive else (">=", "<=")
    ok1, n1, b1 = _compare(view, lo_op, rule.expr, rule.low)
    ok2, n2, b2 = _compare(view, hi_op, rule.expr, rule.high)
    return _fail_from(view, ok1 & ok2, _or(n1, n2), _or(b1, b2))


def _rule_not_null(view: FrameView, rule: Rule) -> RowCheck:
    assert rule.column is not None
    return RowCheck(view.null(rule.column), view.n)


def _by_categories(s: pd.Series, test: Callable[[pd.Index], np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
    """Run ``test`` once per category instead of once per row (huge categoricals)."""
    member = np.asarray(test(s.cat.categories), dtype=bool)
    codes = s.cat.codes.to_numpy()
    null = codes < 0
    ok = np.where(null, True, member[np.where(null, 0, codes)] if member.size else False)
    return np.asarray(ok, dtype=bool), null


def _rule_in_set(view: FrameView, rule: Rule) -> RowCheck:
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
    return _fail_from(view, ok, null, None)


def _rule_matches(view: FrameView, rule: Rule) -> RowCheck:
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
    return _fail_from(view, ok, null, bad)


def _rule_parses(view: FrameView, rule: Rule) -> RowCheck:
    assert rule.column is not None
    null = view.null(rule.column)
    s = view.series(rule.column)
    _, bad = _parse_datetimes(s, rule.pattern)
    fail = bad if bad is not None else np.zeros(view.n, dtype=bool)
    note = ""
    if view.kind(rule.column) == "num" and fail.any():
        note = (f"{int(fail.sum())} values are numbers (dtype {s.dtype}), not text or datetimes: "
                "store dates as text or datetimes")
    return RowCheck(fail, view.n - int(null.sum()), note)


def _rule_not_future(view: FrameView, rule: Rule) -> RowCheck:
    assert rule.column is not None
    parsed, bad = _parse_datetimes(view.series(rule.column), None)
    tz = getattr(parsed.dtype, "tz", None)
    now = pd.Timestamp.now(tz=tz)
    ok = np.asarray((parsed <= now).fillna(False), dtype=bool)
    return _fail_from(view, ok, view.null(rule.column), bad)


def _rule_unique(view: FrameView, rule: Rule) -> RowCheck:
    assert rule.column is not None
    s = view.series(rule.column)
    null = view.null(rule.column)
    dup = np.asarray(s.duplicated(keep=False), dtype=bool) & ~null
    return RowCheck(dup, view.n - int(null.sum()))


def _rule_compound_unique(view: FrameView, rule: Rule) -> RowCheck:
    null = np.zeros(view.n, dtype=bool)
    for c in rule.columns:
        null |= view.null(c)
    dup = np.asarray(view.df[rule.columns].duplicated(keep=False), dtype=bool) & ~null
    return RowCheck(dup, view.n - int(null.sum()))


def _rule_duplicates(view: FrameView, rule: Rule) -> RowCheck:
    return RowCheck(np.asarray(view.df.duplicated(keep=False), dtype=bool), view.n)


def _rule_monotonic(view: FrameView, rule: Rule) -> RowCheck:
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
    return RowCheck(fail, int(pos.size))


ROW_RULES: dict[str, Callable[[FrameView, Rule], RowCheck]] = {
    "compare": _rule_compare, "between": _rule_between, "not_null": _rule_not_null,
    "in_set": _rule_in_set, "matches": _rule_matches, "parses": _rule_parses,
    "not_future": _rule_not_future, "unique": _rule_unique,
    "compound_unique": _rule_compound_unique, "duplicates": _rule_duplicates,
    "monotonic": _rule_monotonic,
}
