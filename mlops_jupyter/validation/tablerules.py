"""Table rules: the column list (present, absent, exact set, order, names matching a
pattern) and the sets of a column's distinct values (contain / equal / within a set, most
common value in a set).

Each returns a :class:`RuleResult` whose ``observed`` names what is off (missing or extra
columns or values), capped at :data:`MAX_NAMES` so wide tables and huge categoricals stay
readable.
"""

from __future__ import annotations

import re
from typing import Any

import numpy as np

from .columns import FrameView, sample_value
from .report import FAIL, PASS, RuleResult
from .rule import Rule


def columns_rule(view: FrameView, rule: Rule) -> RuleResult:
    present = [str(c) for c in view.df.columns]
    wanted = rule.columns
    observed: Any
    have, want = set(present), set(wanted)
    if rule.kind == "columns_order":
        return _columns_order(rule, present)
    if rule.kind == "columns_match":
        assert rule.pattern is not None
        pattern = re.compile(rule.pattern)
        off = [c for c in present if not pattern.search(c)]
        return RuleResult(rule.text, rule.line, rule.kind, FAIL if off else PASS, [], observed=_cap(off),
                          message=f"{len(off)} of {_count(len(present), 'name')} do not match: {_names(off)}" if off
                          else f"all {len(present)} names match")
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


def _columns_order(rule: Rule, present: list[str]) -> RuleResult:
    wanted = rule.columns
    ok = present == wanted
    if ok:
        msg = "same columns in the same order"
    elif set(present) != set(wanted) or len(present) != len(wanted):
        missing = [c for c in wanted if c not in present]
        extra = [c for c in present if c not in wanted]
        msg = f"other columns: missing: {_names(missing) or '-'}; extra: {_names(extra) or '-'}"
    else:
        k = next(i for i, (a, b) in enumerate(zip(present, wanted, strict=True)) if a != b)
        msg = f"position {k + 1} is '{present[k]}', expected '{wanted[k]}'"
    return RuleResult(rule.text, rule.line, rule.kind, PASS if ok else FAIL, list(wanted),
                      observed=_cap(present), message=msg)


# -- sets of distinct values -------------------------------------------------------------
def _key(v: Any) -> Any:
    """Numbers compare as floats (1 == 1.0 == True), everything else as itself."""
    v = sample_value(v, limit=10**9) if isinstance(v, np.generic) else v
    if isinstance(v, (bool, int, float)):
        return float(v)
    return v


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}{'' if n == 1 else 's'}"


def _shown(values: list[Any]) -> list[Any]:
    items = sorted(values, key=lambda v: (str(type(v)), str(v)))
    return [sample_value(v) for v in items[:MAX_NAMES]] + ([f"… {len(items) - MAX_NAMES} more"] if len(items) > MAX_NAMES else [])


def distinct_rule(view: FrameView, rule: Rule) -> RuleResult:
    """``distinct values of x contain | are | are within {…}``; missing values are not values."""
    assert rule.column is not None
    s = view.series(rule.column).dropna()
    distinct = {_key(v): v for v in s.unique()}
    wanted = {_key(v): v for v in rule.values}
    missing = [wanted[k] for k in wanted if k not in distinct]
    extra = [distinct[k] for k in distinct if k not in wanted]
    observed: Any
    if rule.kind == "distinct_contain":
        ok, observed = not missing, _shown(missing)
        msg = f"{len(missing)} of {_count(len(wanted), 'value')} never occur: {_shown(missing)}" if missing else "all occur"
    elif rule.kind == "distinct_within":
        ok, observed = not extra, _shown(extra)
        msg = (f"{_count(len(extra), 'value')} outside the set: {_shown(extra)}" if extra
               else f"{_count(len(distinct), 'distinct value')}, all in the set")
    else:
        ok, observed = not missing and not extra, {"missing": _shown(missing), "extra": _shown(extra)}
        msg = "the same values" if ok else f"never occur: {_shown(missing) or '-'}; not in the set: {_shown(extra) or '-'}"
    return RuleResult(rule.text, rule.line, rule.kind, PASS if ok else FAIL, [rule.column],
                      observed=observed, message=msg[:1000])


def mode_rule(view: FrameView, rule: Rule) -> RuleResult:
    """``most common value of x in {…}``: every value tied for the most common is in the set."""
    assert rule.column is not None
    counts = view.series(rule.column).value_counts(dropna=True)
    if counts.empty:
        return RuleResult(rule.text, rule.line, rule.kind, FAIL, [rule.column], observed=None,
                          message="no observed value (no present values)")
    top = [v for v, c in counts.items() if c == counts.iloc[0]]
    wanted = {_key(v) for v in rule.values}
    ok = all(_key(v) in wanted for v in top)
    shown = _shown(top)
    what = f"most common: {shown[0]!r}" if len(top) == 1 else f"{len(top)} values tie as most common: {shown}"
    return RuleResult(rule.text, rule.line, rule.kind, PASS if ok else FAIL, [rule.column],
                      observed=shown[0] if len(top) == 1 else shown,
                      message=f"{what} ({int(counts.iloc[0])} of {int(counts.sum())} values)")


TABLE_RULES = {"distinct_contain": distinct_rule, "distinct_equal": distinct_rule,
               "distinct_within": distinct_rule, "mode_in": mode_rule}
