"""Validation on a SQL engine (DuckDB): every rule of a suite in ONE aggregation query.

Row rules become ``count(*) FILTER (WHERE …)`` columns (failing, checked, wrong-type rows
per rule); aggregate rules (mean, quantiles, null fraction, distinct counts) are columns of
the same query; uniqueness rules add one ``GROUP BY … HAVING count(*) > 1`` query each;
failing-row samples are a bounded ``LIMIT`` query per failing rule. Nothing is loaded into
Python but these numbers and the samples. Verdicts and messages follow the pandas engine
(:mod:`mlops_jupyter.validation.engine`), whose table verdicts are reused.

Quantiles (``median``, ``quantile q``) are exact (``quantile_cont``) up to
:data:`EXACT_QUANTILE_MAX_ROWS` rows; above that DuckDB's exact quantile holds every value
in memory (it raises OutOfMemory under a memory limit instead of spilling), so
``approx_quantile`` (a t-digest sketch) is used and the report says so.
"""

from __future__ import annotations

import difflib
import math
from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd

from ..validation.columns import sample_value
from ..validation.engine import _rule_columns, _table_compare, row_verdict
from ..validation.report import FAIL, PASS, RuleResult
from ..validation.rule import Rule
from .source import Source
from .sqlkinds import DTYPES, TABLE_KINDS, monotonic_failing, outlier_bounds, table_rule, types_note
from .sqlrules import Compiler, refuse_unsupported, rule_columns

EXACT_QUANTILE_MAX_ROWS = 5_000_000
UNIQUE_KINDS = ("unique", "compound_unique", "duplicates")
_DTYPES = DTYPES


def compile_check(rules: list[Rule], engine: str = "DuckDB") -> None:
    """Refuse, before reading data, every rule this engine cannot run."""
    for rule in rules:
        refuse_unsupported(rule, engine)


class _Query:
    """The select list of the one aggregation, filled by the rules."""

    def __init__(self) -> None:
        self.items: list[str] = []

    def add(self, sql: str) -> int:
        self.items.append(sql)
        return len(self.items) - 1


def run_rules_sql(src: Any, rules: list[Rule], sample: int) -> tuple[list[RuleResult], int, int]:
    """Evaluate ``rules`` on ``src`` (a DuckDB :class:`Source` or a Spark source with the same
    ``sql``/``types``): (results, rows, columns). Unsupported rules raise first."""
    compile_check(rules, getattr(getattr(src, "dialect", None), "name", "DuckDB"))
    types = {c: t.upper() for c, t in src.types().items()}
    comp = Compiler(types, getattr(src, "dialect", None))
    n_rows = int(src.sql("SELECT count(*) FROM t").fetchall()[0][0])
    exact = n_rows <= EXACT_QUANTILE_MAX_ROWS
    query = _Query()
    total = query.add("count(*)")
    finishers: list[Callable[[tuple[Any, ...]], RuleResult]] = []
    for rule in rules:
        finishers.append(_plan(src, comp, query, rule, n_rows, exact, sample, total))
    row = src.sql("SELECT " + ", ".join(query.items) + " FROM t").fetchall()[0]
    results = []
    for rule, finish in zip(rules, finishers, strict=True):
        result = finish(row)
        result.mostly = rule.mostly
        if rule.where:
            result.columns = _rule_columns(rule)
        results.append(result)
    return results, n_rows, len(types)


def _missing(rule: Rule, types: dict[str, str]) -> RuleResult | None:
    for col in _rule_columns(rule):
        if col not in types:
            close = difflib.get_close_matches(col, list(types), n=1)
            hint = f" (did you mean '{close[0]}'?)" if close else ""
            return RuleResult(rule.text, rule.line, rule.kind, FAIL, _rule_columns(rule),
                              message=f"column '{col}' not found{hint}")
    return None


def _plan(src: Source, comp: Compiler, query: _Query, rule: Rule, n_rows: int, exact: bool, sample: int,
          total: int) -> Callable[[tuple[Any, ...]], RuleResult]:
    kind = rule.kind
    if rule.where or not kind.startswith(("columns_", "column_count_", "rows_")):
        missing = _missing(rule, comp.types)
        if missing is not None:
            found: RuleResult = missing
            return lambda row: found
    scope = comp.scope(rule) if rule.where else "TRUE"
    matched = query.add(f"count(*) FILTER (WHERE {scope})")

    def wrap(result: RuleResult, row: tuple[Any, ...]) -> RuleResult:
        if rule.where:
            result.message = f"where {rule.where_text}: {row[matched]} of {row[total]} rows; {result.message}"
        return result

    if kind.startswith("columns_"):
        from ..validation.columns import FrameView
        from ..validation.tablerules import columns_rule

        empty = pd.DataFrame(columns=list(comp.types))
        return lambda row: wrap(columns_rule(FrameView(empty), rule), row)
    if kind.startswith("column_count_"):
        n_cols = len(comp.types)
        return lambda row: wrap(_table_compare(rule, n_cols, rule, f"{n_cols} columns"), row)
    if kind.startswith("rows_"):
        return lambda row: wrap(_table_compare(rule, int(row[matched]), rule, f"{int(row[matched])} rows"), row)
    if kind == "dtype":
        return lambda row: wrap(_dtype(rule, comp.types), row)
    if kind.startswith("agg_"):
        return _plan_aggregate(src, comp, query, rule, scope, exact, matched, wrap)
    if kind in TABLE_KINDS:
        return lambda row: wrap(table_rule(src, comp, rule, scope), row)
    if kind == "outliers":
        outlier_bounds(src, comp, rule, scope, exact)
    return _plan_rows(src, comp, query, rule, scope, sample, matched, wrap)


def _dtype(rule: Rule, types: dict[str, str]) -> RuleResult:
    assert rule.column is not None and rule.type_name is not None
    observed = types[rule.column]
    ok = _DTYPES[rule.type_name](observed)
    return RuleResult(rule.text, rule.line, rule.kind, PASS if ok else FAIL, [rule.column],
                      observed=observed, message=f"dtype {observed}")


def _plan_aggregate(src: Source, comp: Compiler, query: _Query, rule: Rule, scope: str, exact: bool, matched: int,
                    wrap: Callable[[RuleResult, tuple[Any, ...]], RuleResult]) -> Callable[[tuple[Any, ...]], RuleResult]:
    assert rule.column is not None and rule.agg is not None
    col, agg, cols = rule.column, rule.agg, [rule.column]
    null = comp.null_of(col)
    present = query.add(f"count(*) FILTER (WHERE {scope} AND NOT {null})")
    kind = comp.kind(col)
    note = ""
    if agg == "null_fraction":
        def finish_null(row: tuple[Any, ...]) -> RuleResult:
            n = int(row[matched])
            if n == 0:
                return wrap(_table_compare(rule, None, rule, "0 rows", cols), row)
            return wrap(_table_compare(rule, (n - int(row[present])) / n, rule, "null fraction", cols), row)
        return finish_null
    if agg in ("distinct_count", "unique_fraction"):
        distinct = query.add(f"count(DISTINCT {comp.d.q(col)}) FILTER (WHERE {scope} AND NOT {null})")

        def finish_distinct(row: tuple[Any, ...]) -> RuleResult:
            if int(row[matched]) == 0:
                return wrap(_table_compare(rule, None, rule, "0 rows", cols), row)
            d, p = int(row[distinct]), int(row[present])
            if agg == "distinct_count":
                return wrap(_table_compare(rule, d, rule, "distinct values", cols), row)
            return wrap(_table_compare(rule, d / p if p else None, rule,
                                       "distinct / non-null values" if p else "all values missing", cols), row)
        return finish_distinct
    if kind == "dt" and agg in ("min", "max", "median"):
        expr = f"CAST({comp.d.q(col)} AS TIMESTAMP)"
        fn = {"min": f"min({expr})", "max": f"max({expr})", "median": f"quantile_cont({expr}, 0.5)"}[agg]
        slot = query.add(f"{fn} FILTER (WHERE {scope} AND NOT {null})")

        def finish_time(row: tuple[Any, ...]) -> RuleResult:
            if int(row[matched]) == 0:
                return wrap(_table_compare(rule, None, rule, "0 rows", cols), row)
            value = None if row[slot] is None else pd.Timestamp(row[slot])
            return wrap(_table_compare(rule, value, rule, f"{agg} over {int(row[present])} datetimes", cols), row)
        return finish_time
    if kind != "num":
        def finish_bad(row: tuple[Any, ...]) -> RuleResult:
            if int(row[matched]) == 0:
                return wrap(_table_compare(rule, None, rule, "0 rows", cols), row)
            return wrap(RuleResult(rule.text, rule.line, rule.kind, FAIL, cols, observed=None,
                                   message=f"{int(row[present])} values are not numbers (dtype {comp.types[col]})"), row)
        return finish_bad
    v = f"CAST({comp.d.q(col)} AS DOUBLE)"
    if agg in ("median", "quantile"):
        qv = 0.5 if agg == "median" else float(rule.q or 0.0)
        fn = comp.d.quantile(v, qv, exact)
        if not exact:
            note = f" (approximate: DuckDB approx_quantile, a t-digest sketch, above {EXACT_QUANTILE_MAX_ROWS} rows)"
    else:
        fn = {"min": f"min({v})", "max": f"max({v})", "mean": f"avg({v})", "sum": f"sum({v})",
              "std": f"stddev_samp({v})"}[agg]
    # ±inf: numpy's median, quantile and std are undefined (NaN) like pandas' engine; DuckDB's
    # would differ (or raise for std), so they run on finite values and the count decides
    finite = f" AND {comp.d.isfinite(v)}" if agg == "std" else ""
    if agg in ("median", "quantile"):
        finite = " AND TRUE"  # count the infinities: numpy's interpolation next to ±inf is special
    slot = query.add(f"{fn} FILTER (WHERE {scope} AND NOT {null}{finite})")
    infinite = query.add(f"count(*) FILTER (WHERE {scope} AND NOT {null} AND NOT {comp.d.isfinite(v)})") if finite else None

    def finish_num(row: tuple[Any, ...]) -> RuleResult:
        if int(row[matched]) == 0:
            return wrap(_table_compare(rule, None, rule, "0 rows", cols), row)
        size = int(row[present])
        if size == 0:
            return wrap(_table_compare(rule, None, rule, "all values missing", cols), row)
        value = None if row[slot] is None else float(row[slot])
        if infinite is not None and int(row[infinite]):
            if agg == "std":
                value = float("nan")
            elif exact:  # numpy's lerp between the two order statistics around the quantile
                qv = 0.5 if agg == "median" else float(rule.q or 0.0)
                h = (size - 1) * qv
                lo = math.floor(h)
                pair = [float(r[0]) for r in src.sql(
                    f"SELECT {v} FROM t WHERE {scope} AND NOT {null} ORDER BY 1 LIMIT 2 OFFSET {lo}").fetchall()]
                with np.errstate(all="ignore"):
                    value = float(np.quantile(np.asarray(pair), h - lo)) if len(pair) == 2 else pair[0]
        return wrap(_table_compare(rule, value, rule, f"{agg} over {size} values{note}", cols), row)
    return finish_num


def _plan_rows(src: Source, comp: Compiler, query: _Query, rule: Rule, scope: str, sample: int, matched: int,
               wrap: Callable[[RuleResult, tuple[Any, ...]], RuleResult]) -> Callable[[tuple[Any, ...]], RuleResult]:
    cols = _rule_columns(rule) if not rule.where else rule_columns(rule)
    own = rule_columns(rule)
    kind = rule.kind
    if kind in UNIQUE_KINDS or kind == "monotonic":
        keys = list(comp.types) if kind == "duplicates" else own
        null = "FALSE" if kind == "duplicates" else comp.nulls(keys)
        fail = None
        bad = None
    else:
        found = comp.row(rule)
        null, fail, bad = found.null, found.fail, found.bad
        if rule.kind == "not_null":
            null = "FALSE"
    missing_slot = query.add(f"count(*) FILTER (WHERE {scope} AND {comp.nulls(own)})") if rule.nulls_fail else None
    if rule.nulls_fail and fail is not None:
        fail = f"({fail} OR {comp.nulls(own)})"
    checked = query.add(f"count(*) FILTER (WHERE {scope} AND NOT {null})")
    fail_slot = query.add(f"count(*) FILTER (WHERE {scope} AND {fail})") if fail is not None else None
    bad_slot = query.add(f"count(*) FILTER (WHERE {scope} AND {bad})") if bad not in (None, "FALSE") else None

    def finish(row: tuple[Any, ...]) -> RuleResult:
        n = int(row[matched])
        chk = n if rule.nulls_fail else int(row[checked])
        wrong = int(row[bad_slot]) if bad_slot is not None else 0
        fail_sql = fail
        if fail_slot is not None:
            failing = int(row[fail_slot])
        elif kind == "monotonic":
            failing, fail_sql = monotonic_failing(src, comp, rule, scope)
        else:
            key_list = ", ".join(comp.d.q(c) for c in keys)
            dup = (f"SELECT {key_list} FROM t WHERE {scope} AND NOT {null} GROUP BY ALL HAVING count(*) > 1")
            failing = int(src.sql(f"SELECT coalesce(sum(c), 0) FROM (SELECT count(*) AS c FROM t WHERE {scope} "
                                  f"AND NOT {null} GROUP BY {key_list} HAVING count(*) > 1)").fetchall()[0][0])
            fail_sql = f"(NOT {null} AND ({key_list}) IN ({dup}))" if len(keys) > 1 else f"(NOT {null} AND {key_list} IN ({dup}))"
        note = "" if not wrong else f"{wrong} value{' has' if wrong == 1 else 's have'} the wrong type for this rule"
        if kind == "types":
            note = types_note(comp, rule, failing)
        elif kind == "outliers":
            note = "; ".join(x for x in (comp.bounds[id(rule)][2], note) if x)
        if missing_slot is not None and int(row[missing_slot]):
            note = note + ("; " if note else "") + f"{int(row[missing_slot])} rows with a missing value fail (nulls fail)"
        return wrap(_row_result(src, comp, rule, cols, n, chk, failing, wrong, note, scope, fail_sql or "FALSE", sample), row)
    return finish


def _row_result(src: Source, comp: Compiler, rule: Rule, cols: list[str], n: int, checked: int, failing: int, wrong: int,
                note: str, scope: str, fail: str, sample: int) -> RuleResult:
    samples: list[dict[str, Any]] = []
    if failing and sample > 0:
        shown = cols[:5]
        sel = "".join(", " + comp.d.q(c) for c in shown)
        rows = src.sql(f"SELECT __row{sel} FROM (SELECT {comp.d.row_id()} AS __row, * FROM t) "
                       f"WHERE {scope} AND {fail} ORDER BY __row LIMIT {int(sample)}").fetchall()
        for r in rows:
            value: Any = sample_value(r[1]) if len(shown) == 1 else {c: sample_value(v) for c, v in zip(shown, r[1:], strict=True)}
            samples.append({"row": int(r[0]), "value": value})
    return row_verdict(rule, cols, n, checked, failing, wrong, note, samples)
