"""Rule kinds beyond comparisons on the SQL engines, each with the pandas engine's semantics.

Row kinds compile to predicates of the one aggregation (:data:`sqlrules.ROW_KINDS`):
``not in the future`` (``now`` read once on the driver's clock, as pandas reads it per
rule), ``is TYPE or TYPE`` (engine types are per column, so the verdict is per column),
tuple sets (an ``OR`` of per-tuple ``AND``s, numbers compared as doubles like pandas'
floats), JSON text (DuckDB ``json_valid``, corrected where it differs from Python's
``json.loads``) and outliers (fences from one statistics query first: mean and sample
deviation, or exact quartiles, of the finite present values).

Kinds that need more than one row: ``increasing``/``decreasing`` (``lag`` over the row
position, DuckDB only: a Spark frame has no row order) and the sets of distinct values
and most common values (``SELECT DISTINCT`` / ``GROUP BY`` bounded by
:data:`DISTINCT_MAX` rows, then the pandas engine's own table rule on those values).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import pandas as pd

from ..errors import RuleError
from ..validation.columns import FrameView
from ..validation.report import FAIL, PASS, RuleResult
from ..validation.rule import Rule
from ..validation.tablerules import _key, _shown, distinct_rule
from .sqlrules import _FLOAT, _INT, ROW_KINDS, Compiler, type_kind

DISTINCT_MAX = 1_000_000  # distinct values (or values tied for most common) fetched to the driver at most
TABLE_KINDS = ("distinct_contain", "distinct_equal", "distinct_within", "mode_in")
# DuckDB's JSON parser accepts what json.loads rejects: trailing commas, and nan, inf, -NaN in
# any case; outside strings (replaced by "" first) these fail, and any word but the JSON ones
JSON_STRING = r'"(?:[^"\\]|\\.)*"'
JSON_LAX = r",\s*[\]}]|-NaN"
JSON_WORDS = r"-Infinity|Infinity|NaN|true|false|null|[0-9][eE]"
SURROGATE = r"\\u[dD][89a-fA-F][0-9a-fA-F]{2}"

DTYPES: dict[str, Callable[[str], bool]] = {
    "integer": lambda t: t.startswith(_INT),
    "float": lambda t: t.startswith(_FLOAT) or t.startswith("DECIMAL"),
    "numeric": lambda t: type_kind(t) == "num" and t != "BOOLEAN",
    "string": lambda t: t == "VARCHAR",
    "boolean": lambda t: t == "BOOLEAN",
    "datetime": lambda t: type_kind(t) == "dt",
    "category": lambda t: t.startswith("ENUM"),
    "object": lambda t: False,
}


def _num(c: Compiler, col: str) -> str:
    return f"CAST({c.d.q(col)} AS DOUBLE)"


# -- row kinds: (ok predicate, type-failure columns) -------------------------------------
def _not_future(c: Compiler, rule: Rule) -> tuple[str, list[str]]:
    assert rule.column is not None
    col, kind = rule.column, c.kind(rule.column)
    if kind == "num":  # pandas: numbers are not datetimes (type failures)
        return "FALSE", [col]
    if kind != "dt":
        raise RuleError(f"'{rule.text.strip()}': column '{col}' is {c.types[col].lower()}: reading text as datetimes "
                        f"follows pandas' parser, not compiled for the {c.d.name} engine",
                        hint="store the column as timestamps, or use engine='pandas'")
    if c.types[col].startswith("TIMESTAMP WITH"):
        now = pd.Timestamp.now(tz="UTC").isoformat()
        return f"coalesce({c.d.q(col)} <= CAST({c.d.lit(now)} AS TIMESTAMPTZ), FALSE)", []
    now = pd.Timestamp.now().isoformat(sep=" ")
    return f"coalesce(CAST({c.d.q(col)} AS TIMESTAMP) <= CAST({c.d.lit(now)} AS TIMESTAMP), FALSE)", []


def _types(c: Compiler, rule: Rule) -> tuple[str, list[str]]:
    assert rule.column is not None
    ok = any(DTYPES[t](c.types[rule.column]) for t in rule.values)
    return ("TRUE" if ok else "FALSE"), []


def _tuple_in(c: Compiler, rule: Rule) -> tuple[str, list[str]]:
    alternatives = []
    for values in rule.values:
        parts: list[str] = []
        for col, v in zip(rule.columns, values, strict=True):
            kind = c.kind(col)
            if kind not in ("num", "str"):
                raise RuleError(f"'{rule.text.strip()}': column '{col}' is {c.types[col].lower()}: tuples of "
                                f"numbers and text only on the {c.d.name} engine", hint="use engine='pandas'")
            if kind == "num" and isinstance(v, (bool, int, float)):
                parts.append(f"{_num(c, col)} = {c.d.lit(float(v))}")
            elif kind == "str" and isinstance(v, str):
                parts.append(f"{c.d.q(col)} = {c.d.lit(v)}")
            else:  # a number never equals text (pandas compares values, not their text)
                parts.append("FALSE")
        alternatives.append("(" + " AND ".join(parts) + ")")
    ok = f"coalesce({' OR '.join(alternatives) if alternatives else 'FALSE'}, FALSE)"
    return (f"(NOT {ok})" if rule.negate else ok), []


def _json(c: Compiler, rule: Rule) -> tuple[str, list[str]]:
    assert rule.column is not None
    col = rule.column
    if c.kind(col) != "str":  # pandas: only text (or dicts and lists in object columns) is JSON
        return "FALSE", [col]
    x = c.d.q(col)
    fixed = f"regexp_replace({x}, {c.d.lit(SURROGATE)}, {c.d.lit(chr(92) * 2 + 'u0041')}, 'g')"
    bare = f"regexp_replace({x}, {c.d.lit(JSON_STRING)}, '\"\"', 'g')"
    words = f"regexp_replace({bare}, {c.d.lit(JSON_WORDS)}, '', 'g')"
    return (f"coalesce(json_valid({fixed}) AND NOT regexp_matches({bare}, {c.d.lit(JSON_LAX)}) "
            f"AND NOT regexp_matches({words}, '[A-Za-z]'), FALSE)"), []


def _outliers(c: Compiler, rule: Rule) -> tuple[str, list[str]]:
    assert rule.column is not None
    if c.kind(rule.column) != "num":
        return "FALSE", [rule.column]
    lo, hi, _ = c.bounds[id(rule)]
    v = _num(c, rule.column)
    return f"coalesce(NOT ({v} < {c.d.lit(lo)} OR {v} > {c.d.lit(hi)} OR NOT {c.d.isfinite(v)}), FALSE)", []


ROW_KINDS.update({"not_future": _not_future, "types": _types, "tuple_in": _tuple_in, "json": _json,
                  "outliers": _outliers})


def types_note(c: Compiler, rule: Rule, failing: int) -> str:
    """The pandas engine's note of a failing ``is TYPE or TYPE`` rule."""
    assert rule.column is not None
    if not failing:
        return ""
    are = f"{failing} value is" if failing == 1 else f"{failing} values are"
    return f"{are} not {' or '.join(rule.values)} (dtype {c.types[rule.column]})"


def outlier_bounds(src: Any, c: Compiler, rule: Rule, scope: str, exact: bool) -> None:
    """One statistics query: the fences of an outlier rule, kept on the compiler with the
    pandas engine's note (same numbers: mean/deviation or exact quartiles of the finite
    present values of the rows in scope)."""
    assert rule.column is not None and rule.q is not None
    if rule.column not in c.types or c.kind(rule.column) != "num":  # pandas: no numbers, only type failures
        c.bounds[id(rule)] = (-math.inf, math.inf, "fewer than 2 values: no outliers defined (0 values)")
        return
    v = _num(c, rule.column)
    rows = f"FROM t WHERE {scope} AND NOT {c.null_of(rule.column)} AND {c.d.isfinite(v)}"
    k = rule.q
    if rule.op == "zscore":
        n, a, b = src.sql(f"SELECT count(*), avg({v}), stddev_samp({v}) {rows}").fetchall()[0]
    else:
        n, a, b = src.sql(f"SELECT count(*), {c.d.quantile(v, 0.25, exact)}, {c.d.quantile(v, 0.75, exact)} "
                          f"{rows}").fetchall()[0]
    if int(n) < 2:
        c.bounds[id(rule)] = (-math.inf, math.inf, f"fewer than 2 values: no outliers defined ({int(n)} values)")
    elif rule.op == "zscore":
        mean, std = float(a), float(b)
        lo, hi = mean - k * std, mean + k * std
        c.bounds[id(rule)] = (lo, hi, f"|z-score| > {k:g} (mean {mean:.6g}, std {std:.6g}): outside [{lo:.6g}, {hi:.6g}]")
    else:
        q1, q3 = float(a), float(b)
        lo, hi = q1 - k * (q3 - q1), q3 + k * (q3 - q1)
        c.bounds[id(rule)] = (lo, hi, f"outside Q1 - {k:g}·IQR, Q3 + {k:g}·IQR = [{lo:.6g}, {hi:.6g}]")


def monotonic_failing(src: Any, c: Compiler, rule: Rule, scope: str) -> tuple[int, str]:
    """(failing rows, their predicate over ``__row``): a present value that breaks the order
    with the previous present value, by row position (``lag`` over the rows in scope)."""
    assert rule.column is not None and rule.op is not None
    col = rule.column
    v = _num(c, col) if c.kind(col) == "num" else c.d.q(col)
    op = {"increasing": "<=" if rule.exclusive else "<", "decreasing": ">=" if rule.exclusive else ">"}[rule.op]
    inner = (f"SELECT __row, {v} AS __v FROM (SELECT {c.d.row_id()} AS __row, * FROM t) "
             f"WHERE {scope} AND NOT {c.null_of(col)}")
    broken = (f"SELECT __row FROM (SELECT __row, __v, lag(__v) OVER (ORDER BY __row) AS __prev FROM ({inner})) "
              f"WHERE __v {op} __prev")
    failing = int(src.sql(f"SELECT count(*) FROM ({broken})").fetchall()[0][0])
    return failing, f"(__row IN ({broken}))"


# -- distinct values and most common values ------------------------------------------------
def _too_many(rule: Rule, what: str) -> RuleError:
    return RuleError(f"line {rule.line}: '{rule.text.strip()}': more than {DISTINCT_MAX:,} {what}",
                     hint="a set rule lists values; on a key-like column use 'is unique' or 'distinct count of'")


def table_rule(src: Any, c: Compiler, rule: Rule, scope: str) -> RuleResult:
    """A distinct-set or most-common-value rule: the distinct values (or the values tied for
    most common) come from the engine, at most :data:`DISTINCT_MAX` of them."""
    assert rule.column is not None
    col = c.d.q(rule.column)
    present = f"{scope} AND NOT {c.null_of(rule.column)}"
    if rule.kind != "mode_in":
        values = [r[0] for r in src.sql(f"SELECT DISTINCT {col} FROM t WHERE {present} "
                                        f"LIMIT {DISTINCT_MAX + 1}").fetchall()]
        if len(values) > DISTINCT_MAX:
            raise _too_many(rule, "distinct values")
        return distinct_rule(FrameView(pd.DataFrame({rule.column: pd.Series(values)})), rule)
    counts = f"SELECT {col} AS __v, count(*) AS __n FROM t WHERE {present} GROUP BY {col}"
    top, total = src.sql(f"SELECT max(__n), sum(__n) FROM ({counts})").fetchall()[0]
    if not top:
        return RuleResult(rule.text, rule.line, rule.kind, FAIL, [rule.column], observed=None,
                          message="no observed value (no present values)")
    tied = [r[0] for r in src.sql(f"SELECT __v FROM ({counts}) WHERE __n = {int(top)} "
                                  f"LIMIT {DISTINCT_MAX + 1}").fetchall()]
    if len(tied) > DISTINCT_MAX:
        raise _too_many(rule, "values tied for most common")
    tied = list(pd.Series(tied).unique())  # numpy scalars, as pandas' value_counts gives them
    wanted = {_key(v) for v in rule.values}
    ok = all(_key(v) in wanted for v in tied)
    shown = _shown(tied)
    what = f"most common: {shown[0]!r}" if len(tied) == 1 else f"{len(tied)} values tie as most common: {shown}"
    return RuleResult(rule.text, rule.line, rule.kind, PASS if ok else FAIL, [rule.column],
                      observed=shown[0] if len(tied) == 1 else shown,
                      message=f"{what} ({int(top)} of {int(total)} values)")
