"""Rules compiled to SQL row predicates (DuckDB dialect), with the pandas engine's semantics.

Each row rule becomes three predicates over one row: ``null`` (an operand is missing:
NULL, or NaN in a float column: the row is skipped), ``fail`` (a present row that breaks
the rule) and ``bad`` (a present value of the wrong type: never excused by ``mostly``).
A rule the SQL engines cannot run raises :class:`RuleError` here, before any data is read.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from ..errors import RuleError
from ..validation.grammar import Expr, has_time
from ..validation.rule import Rule
from ..validation.timeexpr import dt_scalar, duration

_INT = ("TINYINT", "SMALLINT", "INTEGER", "BIGINT", "HUGEINT", "UTINYINT", "USMALLINT", "UINTEGER",
        "UBIGINT", "UHUGEINT")
_FLOAT = ("FLOAT", "DOUBLE", "REAL")

# rule kinds the SQL engines run; the others are refused with the reason below
SUPPORTED = {"compare", "between", "within", "not_null", "in_set", "matches", "unique", "compound_unique",
             "duplicates", "dtype", "rows_compare", "rows_between", "rows_within", "column_count_compare",
             "column_count_between", "column_count_within", "columns_include", "columns_exclude", "columns_exact",
             "columns_order", "columns_match", "agg_compare", "agg_between", "agg_within",
             # engines/sqlkinds.py
             "not_future", "monotonic", "outliers", "types", "tuple_in", "json", "distinct_contain",
             "distinct_equal", "distinct_within", "mode_in"}
REFUSED = {
    "parses": "parsing text as datetimes follows pandas' parser (ISO 8601, then per-value formats)",
    "json_schema": "JSON Schema validation runs in Python, value by value",
    "dtype_exact": "'type of' names a pandas dtype",
}
# kinds one engine cannot run exactly although the other can
ENGINE_REFUSED = {
    "Spark": {"monotonic": "a Spark frame has no row order (its partitions are not ordered)",
              "json": "Spark's JSON parser is laxer than json.loads"},
}
# kinds that read more than one row: never a where-condition
NOT_CONDITIONS = ("unique", "compound_unique", "duplicates", "monotonic", "outliers")


def type_kind(sql_type: str) -> str:
    """``num`` | ``dt`` | ``str`` | ``other`` for a DuckDB column type."""
    t = sql_type.upper()
    if t.startswith(_INT) or t.startswith(_FLOAT) or t.startswith("DECIMAL") or t == "BOOLEAN":
        return "num"
    if t.startswith(("TIMESTAMP", "DATE")):
        return "dt"
    if t == "VARCHAR" or t.startswith("ENUM"):
        return "str"
    return "other"


def q(name: str) -> str:
    """A quoted SQL identifier."""
    return '"' + name.replace('"', '""') + '"'


def lit(value: object) -> str:
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, (int, float)):
        return repr(float(value)) if value == value and abs(value) != float("inf") else f"'{value}'::DOUBLE"
    return "'" + str(value).replace("'", "''") + "'"


class Dialect:
    """The SQL spelling of one engine (DuckDB here; Spark SQL in :class:`SparkDialect`)."""

    name = "DuckDB"

    def q(self, name: str) -> str:
        return q(name)

    def lit(self, value: object) -> str:
        return lit(value)

    def isfinite(self, x: str) -> str:
        return f"isfinite({x})"

    def regex(self, col: str, pattern: str) -> str:
        return f"regexp_matches({col}, {self.lit(pattern)})"

    def div(self, a: str, b: str) -> str:
        return f"({a} / {b})"

    def quantile(self, v: str, qv: float, exact: bool) -> str:
        return f"quantile_cont({v}, {qv!r})" if exact else f"approx_quantile({v}, {qv!r})"

    def row_id(self) -> str:
        return "row_number() OVER () - 1"

    text_type = "VARCHAR"

    def epoch_seconds(self, x: str) -> str:
        return f"(epoch_ns(CAST({x} AS TIMESTAMP)) / 1e9)"

    def micros(self, x: str) -> str:
        return f"epoch_us({x})"

    def sample(self, inner: str, k: int, seed: int, n: int) -> str:
        """``inner``'s column ``v`` (``n`` rows): a uniform sample of about ``k`` rows, sorted
        (Bernoulli: each row kept with probability k/n; 20x faster than a reservoir)."""
        pct = min(100.0, 100.0 * k / max(n, 1))
        return f"SELECT v FROM ({inner}) USING SAMPLE {pct!r} PERCENT (bernoulli, {seed}) ORDER BY v"


class SparkDialect(Dialect):
    """Spark SQL: backquoted names, escaped backslashes, Java regexes (``RLIKE`` searches
    like RE2 for the common syntax), ``try_divide`` (ANSI mode raises on x / 0)."""

    name = "Spark"

    def q(self, name: str) -> str:
        return "`" + name.replace("`", "``") + "`"

    def lit(self, value: object) -> str:
        if isinstance(value, (bool, int, float)):
            if isinstance(value, float) and (value != value or abs(value) == float("inf")):
                return f"double('{value}')"
            return lit(value)
        return "'" + str(value).replace("\\", "\\\\").replace("'", "\\'") + "'"

    def isfinite(self, x: str) -> str:
        return f"(NOT isnan({x}) AND abs({x}) != double('inf'))"

    def regex(self, col: str, pattern: str) -> str:
        return f"({col} RLIKE {self.lit(pattern)})"

    def div(self, a: str, b: str) -> str:
        return f"try_divide({a}, {b})"

    def quantile(self, v: str, qv: float, exact: bool) -> str:
        return f"percentile({v}, {qv!r})" if exact else f"percentile_approx({v}, {qv!r}, 10000)"

    def row_id(self) -> str:
        return "monotonically_increasing_id()"

    text_type = "STRING"

    def epoch_seconds(self, x: str) -> str:
        return f"(unix_micros(CAST({x} AS TIMESTAMP)) / 1e6)"

    def micros(self, x: str) -> str:
        return f"unix_micros({x})"

    def sample(self, inner: str, k: int, seed: int, n: int) -> str:
        return f"SELECT v FROM (SELECT v FROM ({inner}) ORDER BY rand({seed}) LIMIT {k}) ORDER BY v"


# row kinds compiled in engines/sqlkinds.py: (ok predicate, type-failure columns)
ROW_KINDS: dict[str, Callable[[Compiler, Rule], tuple[str, list[str]]]] = {}


@dataclass
class RowSQL:
    """One row rule as SQL predicates over a row."""

    null: str
    fail: str
    bad: str = "FALSE"


def refuse_unsupported(rule: Rule, where: str = "") -> None:
    """Raise :class:`RuleError` when the SQL engines cannot run ``rule`` (or its conditions)."""
    kind = rule.kind
    engine = where or "SQL"
    why = REFUSED.get(kind, "not compiled for this engine") if kind not in SUPPORTED else ENGINE_REFUSED.get(engine, {}).get(kind)
    if why:
        raise RuleError(f"line {rule.line}: '{rule.text.strip()}' cannot run on the {engine} engine ({why})",
                        hint="run it on pandas (engine='pandas', the data must fit in memory) or drop it from this suite")
    if not kind.startswith(("agg_", "rows_", "column_count_")):  # their bounds are evaluated in Python
        for e in (rule.expr, rule.right, rule.low, rule.high):
            if has_time(e) and e is not None and e.columns():
                raise RuleError(f"line {rule.line}: '{rule.text.strip()}': a column plus or minus a duration is "
                                f"not compiled for the {engine} engine",
                                hint="compare with now, today or a quoted date (± durations), or use engine='pandas'")
        if kind == "within" and rule.low is not None and has_time(rule.low) and rule.low.kind != "dur":
            raise RuleError(f"line {rule.line}: '{rule.text.strip()}': 'within DURATION' is not compiled for the "
                            f"{engine} engine", hint="use a between rule with quoted dates, or engine='pandas'")
    for cond in rule.where:
        if cond.kind in NOT_CONDITIONS:
            raise RuleError(f"line {rule.line}: a where-condition must judge one row at a time ('{cond.text}')")
        refuse_unsupported(cond, where)


class Compiler:
    """Compiles rules against one schema (``{column: DuckDB type}``)."""

    def __init__(self, types: dict[str, str], dialect: Dialect | None = None) -> None:
        self.types = types
        self.d = dialect or Dialect()
        self.bounds: dict[int, tuple[float, float, str]] = {}  # outlier fences per rule (sqlkinds.outlier_bounds)

    def kind(self, col: str) -> str:
        return type_kind(self.types[col])

    def null_of(self, col: str) -> str:
        t = self.types[col].upper()
        if t.startswith(_FLOAT):
            return f"({self.d.q(col)} IS NULL OR isnan({self.d.q(col)}))"
        return f"({self.d.q(col)} IS NULL)"

    def nulls(self, cols: list[str]) -> str:
        return "(" + " OR ".join(self.null_of(c) for c in cols) + ")" if cols else "FALSE"

    # -- expressions -----------------------------------------------------------------
    def mode(self, exprs: list[Expr]) -> str:
        kinds: set[str] = set()
        numeric_ops = False

        def walk(e: Expr) -> None:
            nonlocal numeric_ops
            if e.kind in ("bin", "neg", "len", "num"):
                numeric_ops = True
            if e.kind == "str":
                kinds.add("lit_str")
            if e.kind in ("now", "today", "dur"):
                kinds.add("time")
            if e.kind == "col":
                kinds.add(self.kind(e.value))
            for child in (e.left, e.right):
                if child is not None:
                    walk(child)

        for e in exprs:
            walk(e)
        if "time" in kinds:
            return "dt"
        if numeric_ops or "num" in kinds:
            if "lit_str" in kinds:
                raise RuleError("a rule cannot compare numbers with text")
            return "num"
        return "dt" if "dt" in kinds else "str"

    def num(self, e: Expr) -> tuple[str, list[str]]:
        """A numeric SQL expression and the columns whose non-numeric values are type failures."""
        if e.kind == "num":
            return self.d.lit(e.value), []
        if e.kind == "col":
            if self.kind(e.value) != "num":
                return "CAST(NULL AS DOUBLE)", [e.value]
            return f"CAST({self.d.q(e.value)} AS DOUBLE)", []
        if e.kind == "len":
            if self.kind(e.value) != "str":
                return "CAST(NULL AS DOUBLE)", [e.value]
            return f"CAST(length({self.d.q(e.value)}) AS DOUBLE)", []
        if e.kind == "str":
            raise RuleError("text cannot be used in arithmetic")
        assert e.left is not None
        left, lb = self.num(e.left)
        if e.kind == "neg":
            return f"(-{left})", lb
        assert e.right is not None
        right, rb = self.num(e.right)
        if e.value == "%":  # numpy's mod: the sign of the divisor
            return f"({left} - {right} * floor({self.d.div(left, right)}))", lb + rb
        if e.value == "/":
            return self.d.div(left, right), lb + rb
        return f"({left} {e.value} {right})", lb + rb

    def side(self, e: Expr, mode: str) -> str:
        if mode == "dt" and has_time(e) and not e.columns():
            # now/today are read once, on the driver's clock, like the pandas engine reads them per rule
            import pandas as pd

            value = dt_scalar(e, None)
            if not isinstance(value, pd.Timestamp) or value.tz is not None:
                raise RuleError(f"'{e.text()}' is not a datetime: use now, today, a date in quotes and durations")
            return f"CAST({self.d.lit(value.isoformat(sep=' '))} AS TIMESTAMP)"
        if e.kind == "str":
            return f"CAST({self.d.lit(e.value)} AS TIMESTAMP)" if mode == "dt" else self.d.lit(e.value)
        if e.kind == "col":
            if mode == "dt" and self.types[e.value].upper().startswith("TIMESTAMP WITH"):
                raise RuleError(f"column {e.value!r} has a time zone: not compiled for the SQL engine",
                                hint="use engine='pandas'")
            return f"CAST({self.d.q(e.value)} AS TIMESTAMP)" if mode == "dt" else f"CAST({self.d.q(e.value)} AS {self.d.text_type})"
        raise RuleError("only columns and quoted values can be compared as text or datetimes")

    def compare(self, op: str, left: Expr, right: Expr) -> tuple[str, list[str]]:
        """(ok predicate, type-failure columns) for ``left op right``."""
        mode = self.mode([left, right])
        if mode == "num":
            lv, lb = self.num(left)
            rv, rb = self.num(right)
            computed = left.kind in ("bin", "neg") or right.kind in ("bin", "neg")
            if op in ("==", "!=") and computed:
                res = f"(abs({lv} - {rv}) <= 1e-12 + 1e-9 * abs({rv}))"
                res = res if op == "==" else f"(NOT {res})"
            else:
                res = f"({lv} {'=' if op == '==' else op} {rv})"
            return f"coalesce({res} AND {self.d.isfinite(lv)} AND {self.d.isfinite(rv)}, FALSE)", lb + rb
        sql_op = "=" if op == "==" else op
        return f"coalesce({self.side(left, mode)} {sql_op} {self.side(right, mode)}, FALSE)", []

    # -- row rules ---------------------------------------------------------------------
    def row(self, rule: Rule) -> RowSQL:
        cols = rule_columns(rule)
        null = self.nulls(cols)
        kind = rule.kind
        if kind == "not_null":
            assert rule.column is not None
            return RowSQL("FALSE", self.null_of(rule.column))
        if kind == "compare":
            assert rule.expr is not None and rule.right is not None and rule.op is not None
            ok, bad = self.compare(rule.op, rule.expr, rule.right)
        elif kind == "between":
            assert rule.expr is not None and rule.low is not None and rule.high is not None
            lo_op, hi_op = (">", "<") if rule.exclusive else (">=", "<=")
            ok1, b1 = self.compare(lo_op, rule.expr, rule.low)
            ok2, b2 = self.compare(hi_op, rule.expr, rule.high)
            ok, bad = f"({ok1} AND {ok2})", b1 + b2
        elif kind == "within":
            assert rule.expr is not None and rule.right is not None and rule.low is not None
            if rule.low.kind == "dur" and self.mode([rule.expr, rule.right]) == "dt":
                return within_time(self, rule, null)
            if self.mode([rule.expr, rule.right]) != "num" or rule.low.kind != "num":
                raise RuleError("'within' on the SQL engine needs numbers, or datetimes and a duration",
                                hint="use engine='pandas'")
            lv, lb = self.num(rule.expr)
            rv, rb = self.num(rule.right)
            ok, bad = f"coalesce(abs({lv} - {rv}) <= {self.d.lit(rule.low.value)}, FALSE)", lb + rb
        elif kind == "in_set":
            assert rule.column is not None
            ok, bad = self._in_set(rule), []
        elif kind == "matches":
            assert rule.column is not None and rule.pattern is not None
            if self.kind(rule.column) != "str":
                ok, bad = "FALSE", [rule.column]
            else:
                ok, bad = f"coalesce({self.d.regex(self.d.q(rule.column), rule.pattern)}, FALSE)", []
                if rule.negate:
                    ok = f"(NOT {ok})"
        elif kind in ROW_KINDS:
            ok, bad = ROW_KINDS[kind](self, rule)
        else:
            raise RuleError(f"'{rule.text}' is not a row predicate")
        bad_sql = "FALSE"
        if bad:
            bad_sql = "(" + " OR ".join(f"({self.d.q(c)} IS NOT NULL)" for c in dict.fromkeys(bad)) + ")"
        fail = f"((NOT {ok}) OR {bad_sql})" if bad else f"(NOT {ok})"
        return RowSQL(null, f"(NOT {null} AND {fail})", f"(NOT {null} AND {bad_sql})")

    def _in_set(self, rule: Rule) -> str:
        assert rule.column is not None
        values = [v for v in rule.values if v is not None]
        col = rule.column
        if self.kind(col) == "num":
            nums = [v for v in values if not isinstance(v, str)]
            ok = f"CAST({self.d.q(col)} AS DOUBLE) IN ({', '.join(self.d.lit(v) for v in nums)})" if nums else "FALSE"
        else:
            texts = [str(v) for v in values if isinstance(v, str)]
            ok = f"CAST({self.d.q(col)} AS {self.d.text_type}) IN ({', '.join(self.d.lit(v) for v in texts)})" if texts else "FALSE"
        ok = f"coalesce({ok}, FALSE)"
        return f"(NOT {ok})" if rule.negate else ok

    def scope(self, rule: Rule) -> str:
        """The rows a ``where`` rule applies to (TRUE without where)."""
        parts = []
        for cond in rule.where:
            found = self.row(cond)
            parts.append(f"(NOT {found.null} AND NOT {found.fail})")
        return " AND ".join(parts) if parts else "TRUE"


def rule_columns(rule: Rule) -> list[str]:
    """The columns a rule reads, as the pandas engine lists them (without where-columns)."""
    cols = list(rule.columns)
    for e in (rule.expr, rule.right, rule.low, rule.high):
        if e is not None and not rule.kind.startswith(("rows", "column_count")):
            cols += [c for c in e.columns() if c not in cols]
    if rule.column and rule.column not in cols:
        cols.insert(0, rule.column)
    return cols


def within_time(c: Compiler, rule: Rule, null: str) -> RowSQL:
    """``ts within 2 days of now`` (or of a quoted date, or of another datetime column):
    the gap in whole microseconds, so the bound is exact."""
    assert rule.expr is not None and rule.right is not None and rule.low is not None
    numbers: list[str] = []
    for e in (rule.expr, rule.right):
        for col in e.columns():
            if c.kind(col) == "num":  # pandas: numbers are not datetimes (type failures)
                numbers.append(col)
            elif c.kind(col) != "dt":
                raise RuleError(f"'{rule.text.strip()}': column '{col}' is {c.types[col].lower()}: reading "
                                f"text as datetimes follows pandas' parser, not compiled for the {c.d.name} engine",
                                hint="store the column as timestamps, or use engine='pandas'")
    if numbers:
        bad = "(" + " OR ".join(f"({c.d.q(n)} IS NOT NULL)" for n in dict.fromkeys(numbers)) + ")"
        return RowSQL(null, f"(NOT {null} AND {bad})", f"(NOT {null} AND {bad})")
    import pandas as pd

    micros = duration(rule.low) // pd.Timedelta(microseconds=1)
    gap = f"abs({c.d.micros(c.side(rule.expr, 'dt'))} - {c.d.micros(c.side(rule.right, 'dt'))})"
    return RowSQL(null, f"(NOT {null} AND NOT coalesce({gap} <= {int(micros)}, FALSE))", "FALSE")
