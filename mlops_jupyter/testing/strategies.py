"""``mj.strategy(suite)``: a Hypothesis strategy of DataFrames that satisfy a validation suite.

Honoured rules: column types (``is integer|float|numeric|string|boolean|category``,
``type of c is "int64"|"float64"|"object"|"bool"``), constant bounds (``c > 0``,
``c between a and b``, ``strictly between``, ``c != v``, ``c == v``), sets (``c in {…}``),
regexes (``c matches "…"``), ``is not null``, ``null fraction of c <= f``, ``is unique``,
``rows`` bounds and ``columns are|include``. ``mostly`` is honoured by satisfying the rule
on every row. Any other rule (expressions across columns, ``where``, aggregates other than
the null fraction, datetimes…) is *named*: in ``strategy.unsupported`` and in a warning,
and the frames are not guaranteed to pass it.
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass, field
from typing import Any

from ..errors import DependencyMissing, MlopsUsageError

_INT_TYPES = {"integer", "int64", "Int64"}
_FLOAT_TYPES = {"float", "numeric", "float64"}
_STR_TYPES = {"string", "object", "str"}


@dataclass
class ColumnSpec:
    """What the suite says about one column."""

    name: str
    kind: str | None = None            # int | float | str | bool
    exact: str | None = None           # exact dtype asked by ``type of c is "…"``
    category: bool = False
    low: float | None = None
    high: float | None = None
    low_open: bool = False
    high_open: bool = False
    values: list[Any] | None = None
    excluded: list[Any] = field(default_factory=list)
    pattern: str | None = None
    not_null: bool = False
    max_null_fraction: float | None = None
    unique: bool = False


class SuiteStrategy:
    """The strategy with what it could not honour: ``.strategy`` (a Hypothesis
    ``SearchStrategy``), ``.unsupported`` (rule texts), ``.columns`` (specs)."""

    def __init__(self, strategy: Any, unsupported: list[str], columns: dict[str, ColumnSpec]) -> None:
        self.strategy = strategy
        self.unsupported = unsupported
        self.columns = columns

    def __getattr__(self, name: str) -> Any:  # behave as the Hypothesis strategy itself
        return getattr(self.strategy, name)

    def __repr__(self) -> str:
        return f"SuiteStrategy(columns={list(self.columns)}, unsupported={self.unsupported})"


def _int_low(v: float, open_: bool) -> int:
    """Smallest integer above (``open_``) or at least ``v``."""
    return int(v) + 1 if open_ and v == int(v) else math.ceil(v)


def _int_high(v: float, open_: bool) -> int:
    """Largest integer below (``open_``) or at most ``v``."""
    return int(v) - 1 if open_ and v == int(v) else math.floor(v)


def _num(e: Any) -> float | None:
    if e is not None and getattr(e, "kind", None) == "num":
        return float(e.value)
    return None


def _simple_col(rule: Any) -> str | None:
    e = rule.expr
    return rule.column if e is not None and e.kind == "col" and not rule.where else None


def _tighten_low(spec: ColumnSpec, value: float, open_: bool) -> None:
    if spec.low is None or value > spec.low or (value == spec.low and open_):
        spec.low, spec.low_open = value, open_


def _tighten_high(spec: ColumnSpec, value: float, open_: bool) -> None:
    if spec.high is None or value < spec.high or (value == spec.high and open_):
        spec.high, spec.high_open = value, open_


def _apply(rule: Any, specs: dict[str, ColumnSpec], shape: dict[str, Any]) -> bool:
    """Record what ``rule`` asks; False when it cannot be honoured."""
    if rule.where:
        return False
    k = rule.kind
    if k == "rows_compare" and _num(rule.right) is not None:
        v = _num(rule.right)
        assert v is not None
        op = rule.op
        if op in (">=", ">"):
            shape["min"] = max(shape["min"], _int_low(v, op == ">"))
        elif op in ("<=", "<"):
            shape["max"] = min(shape["max"], _int_high(v, op == "<"))
        elif op == "==":
            shape["min"] = shape["max"] = int(v)
        else:
            return False
        return True
    if k == "rows_between":
        lo, hi = _num(rule.low), _num(rule.high)
        if lo is None or hi is None:
            return False
        shape["min"] = max(shape["min"], _int_low(lo, rule.exclusive))
        shape["max"] = min(shape["max"], _int_high(hi, rule.exclusive))
        return True
    if k in ("columns_exact", "columns_include", "columns_in_order"):
        for name in rule.columns:
            specs.setdefault(name, ColumnSpec(name))
        if k != "columns_include":
            shape["exact"] = list(rule.columns)
        return True
    col = rule.column
    if col is None:
        return False
    if k == "dtype_exact":
        spec = specs.setdefault(col, ColumnSpec(col))
        t = rule.type_name
        kinds = {"int64": "int", "Int64": "int", "float64": "float", "object": "str", "str": "str",
                 "bool": "bool", "category": None}
        if t not in kinds:
            return False
        spec.exact = t
        spec.kind = kinds[t] or spec.kind
        spec.category = t == "category"
        if t in ("int64", "bool"):
            spec.not_null = True  # numpy int/bool columns cannot hold nulls
        return True
    if _simple_col(rule) is None and k not in ("agg_compare",):
        return False
    spec = specs.setdefault(col, ColumnSpec(col))
    if k == "dtype":
        t = rule.type_name
        if t in _INT_TYPES:
            spec.kind = "int"
        elif t in _FLOAT_TYPES:
            spec.kind = spec.kind if (t == "numeric" and spec.kind == "int") else "float"
        elif t in _STR_TYPES:
            spec.kind = "str"
        elif t == "boolean":
            spec.kind, spec.not_null = "bool", True
        elif t == "category":
            spec.category = True
        else:
            return False
        return True
    if k == "not_null":
        spec.not_null = True
        return True
    if k == "unique" and not rule.negate:
        spec.unique = True
        return True
    if k == "in_set" and not rule.negate and rule.values:
        keep = [v for v in rule.values if v is not None]
        spec.values = keep if spec.values is None else [v for v in spec.values if v in keep]
        return True
    if k == "in_set" and rule.negate:
        spec.excluded += list(rule.values)
        return True
    if k == "matches" and not rule.negate and rule.pattern:
        spec.pattern, spec.kind = rule.pattern, "str"
        return True
    if k == "compare" and rule.right is not None and rule.right.kind in ("num", "str"):
        v = rule.right.value
        if rule.op == "==":
            spec.values = [v]
        elif rule.op == "!=":
            spec.excluded.append(v)
        elif rule.right.kind != "num":
            return False
        elif rule.op in (">", ">="):
            _tighten_low(spec, float(v), rule.op == ">")
        elif rule.op in ("<", "<="):
            _tighten_high(spec, float(v), rule.op == "<")
        else:
            return False
        return True
    if k == "between":
        lo, hi = _num(rule.low), _num(rule.high)
        if lo is None or hi is None:
            return False
        _tighten_low(spec, lo, rule.exclusive)
        _tighten_high(spec, hi, rule.exclusive)
        return True
    if k == "agg_compare" and rule.agg == "null_fraction" and rule.op in ("<=", "<", "==") and _num(rule.right) is not None:
        f = _num(rule.right)
        assert f is not None
        if rule.op == "==" and f != 0:
            return False
        if f <= 0 or (rule.op == "<" and f <= 0):
            spec.not_null = True
        else:
            spec.max_null_fraction = min(spec.max_null_fraction or 1.0, f - (1e-12 if rule.op == "<" else 0))
        shape["aggregates"] = True
        return True
    return False


def _elements(st: Any, spec: ColumnSpec) -> Any:
    if spec.values is not None:
        if not spec.values:
            raise MlopsUsageError(f"the suite allows no value for column '{spec.name}'")
        return st.sampled_from([v for v in spec.values if v not in spec.excluded] or spec.values)
    kind = spec.kind or ("float" if spec.low is not None or spec.high is not None else "int")
    if kind == "int":
        lo = None if spec.low is None else _int_low(spec.low, spec.low_open)
        hi = None if spec.high is None else _int_high(spec.high, spec.high_open)
        lo = -(2**53) if lo is None else lo
        hi = 2**53 if hi is None else hi
        base = st.integers(min_value=lo, max_value=hi)
    elif kind == "float":
        base = st.floats(min_value=spec.low, max_value=spec.high, exclude_min=spec.low_open and spec.low is not None,
                         exclude_max=spec.high_open and spec.high is not None, allow_nan=False,
                         allow_infinity=False, width=64)
    elif kind == "bool":
        base = st.booleans()
    elif spec.pattern is not None:
        base = st.from_regex(spec.pattern, fullmatch=True)
    else:
        base = st.text(max_size=20)
    if spec.excluded:
        banned = list(spec.excluded)
        base = base.filter(lambda v: v not in banned)
    return base


def strategy(suite: Any, *, min_rows: int = 0, max_rows: int = 20, nulls: bool = True) -> SuiteStrategy:
    """A Hypothesis strategy of pandas DataFrames that pass ``suite`` (a :class:`Suite`, a
    suite name, or rules as text/list). Rules it cannot honour are in ``.unsupported``
    and in a warning. ``nulls`` lets columns without a not-null rule hold missing values."""
    try:
        from hypothesis import strategies as st
    except ImportError:
        raise DependencyMissing("mj.strategy needs Hypothesis, which is not installed",
                                hint="pip install 'mlops_jupyter[notebook-tests]'") from None
    from ..validation.language import parse_rules
    from ..validation.suites import Suite, load_suite

    if isinstance(suite, Suite):
        rules = suite.parsed()
    elif isinstance(suite, list) or (isinstance(suite, str) and "\n" in suite):
        rules = parse_rules(suite)
    elif isinstance(suite, str):
        rules = load_suite(suite).parsed()
    else:
        raise MlopsUsageError(f"strategy() wants a suite, a suite name or rules, not {type(suite).__name__}")
    specs: dict[str, ColumnSpec] = {}
    shape: dict[str, Any] = {"min": min_rows, "max": max_rows, "exact": None, "aggregates": False}
    unsupported = [r.text for r in rules if not _apply(r, specs, shape)]
    if shape["aggregates"] or any(r.kind.startswith("agg") for r in rules):
        shape["min"] = max(shape["min"], 1)  # aggregates fail on 0 rows
    if shape["max"] < shape["min"]:
        shape["max"] = shape["min"]
    for spec in specs.values():  # a unique column from a finite set has at most that many rows
        if spec.unique and spec.values is not None:
            shape["max"] = min(shape["max"], len(spec.values))
    if shape["max"] < shape["min"]:
        raise MlopsUsageError("the suite's row bounds and unique sets leave no possible frame")
    if unsupported:
        warnings.warn(f"strategy cannot honour {len(unsupported)} rule(s): {'; '.join(unsupported)}",
                      UserWarning, stacklevel=2)
    order = list(shape["exact"] or specs)
    elements = {name: _elements(st, specs[name]) for name in order}

    @st.composite
    def frames(draw: Any) -> Any:
        import pandas as pd

        n = draw(st.integers(min_value=shape["min"], max_value=shape["max"]))
        data: dict[str, Any] = {}
        for name in order:
            spec = specs[name]
            values = draw(st.lists(elements[name], min_size=n, max_size=n, unique=spec.unique))
            if nulls and not spec.not_null and not spec.unique and n:
                limit = n if spec.max_null_fraction is None else math.floor(spec.max_null_fraction * n + 1e-9)
                missing = draw(st.sets(st.integers(0, n - 1), max_size=max(0, min(limit, n))))
                values = [None if i in missing else v for i, v in enumerate(values)]
            data[name] = _series(pd, spec, values)
        return pd.DataFrame(data, columns=order, index=pd.RangeIndex(n))

    return SuiteStrategy(frames(), unsupported, specs)


def _series(pd: Any, spec: ColumnSpec, values: list[Any]) -> Any:
    has_null = any(v is None for v in values)
    kind = spec.kind or ("float" if spec.low is not None or spec.high is not None else "int")
    if spec.values is not None:
        s = pd.Series(values, dtype=object).infer_objects()
    elif kind == "int":
        s = pd.Series(values, dtype="Int64" if has_null or spec.exact == "Int64" else "int64")
    elif kind == "float":
        s = pd.Series([float("nan") if v is None else v for v in values], dtype="float64")
    elif kind == "bool":
        s = pd.Series(values, dtype=bool)
    else:
        s = pd.Series(values, dtype=object if spec.exact == "object" else None)
    if spec.category:
        s = s.astype("category")
    return s
