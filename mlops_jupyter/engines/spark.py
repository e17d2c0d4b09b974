"""Validation on Spark: the same compiled rules as DuckDB, in Spark SQL over the frame.

The frame is registered as a temporary view; the suite runs as ONE aggregation (a
one-row result), uniqueness rules as one ``GROUP BY … HAVING`` sum each, failing samples
as ``ORDER BY … LIMIT`` queries: the driver receives those rows only, never the data
(:attr:`SparkSource.plans` keeps each executed plan for inspection). Row labels in
samples are ``monotonically_increasing_id()`` (Spark has no row order). Nested columns
(struct, array, map) are refused when a rule reads them.
"""

from __future__ import annotations

import itertools
import re
from typing import Any

from ..errors import DataError
from ..validation.engine import _rule_columns
from ..validation.report import RuleResult
from ..validation.rule import Rule
from .source import require
from .sqlrules import SparkDialect

_IDS = itertools.count()
_SIMPLE = {"LongType": "BIGINT", "IntegerType": "INTEGER", "ShortType": "SMALLINT", "ByteType": "TINYINT",
           "DoubleType": "DOUBLE", "FloatType": "FLOAT", "StringType": "VARCHAR", "BooleanType": "BOOLEAN",
           "TimestampType": "TIMESTAMP", "TimestampNTZType": "TIMESTAMP", "DateType": "DATE",
           "DecimalType": "DECIMAL", "CharType": "VARCHAR", "VarcharType": "VARCHAR"}
NESTED = ("StructType", "ArrayType", "MapType")


class SparkSource:
    """A Spark frame seen through the SQL runner's interface (``sql``, ``types``)."""

    dialect = SparkDialect()

    def __init__(self, frame: Any, label: str = "Spark DataFrame") -> None:
        self.frame = frame
        self.spark = frame.sparkSession
        self.view = f"mj_engine_{next(_IDS)}"
        frame.createOrReplaceTempView(self.view)
        self.label = label
        self.plans: list[str] = []

    def types(self) -> dict[str, str]:
        return {f.name: _SIMPLE.get(type(f.dataType).__name__, type(f.dataType).__name__.upper())
                for f in self.frame.schema.fields}

    def columns(self) -> list[str]:
        return [f.name for f in self.frame.schema.fields]

    def sql(self, query: str) -> _Result:
        df = self.spark.sql(re.sub(r"\bFROM t\b", f"FROM {self.view}", query))
        return _Result(df, self.plans)

    def close(self) -> None:
        self.spark.catalog.dropTempView(self.view)


class _Result:
    def __init__(self, df: Any, plans: list[str]) -> None:
        self.df, self.plans = df, plans

    def fetchall(self) -> list[tuple[Any, ...]]:
        self.plans.append(self.df._jdf.queryExecution().optimizedPlan().toString())
        return [tuple(r) for r in self.df.collect()]  # an aggregate, a GROUP BY of counts, or a LIMIT

    def fetchnumpy(self) -> dict[str, Any]:
        """Columns as arrays: category counts, or one numeric column's values (at most
        :data:`~mlops_jupyter.engines.sqldrift.EXACT_MAX_VALUES`, else a LIMITed sample)."""
        import numpy as np

        rows = self.fetchall()
        names = self.df.columns
        return {n: np.asarray([r[i] for r in rows], dtype=object if rows and isinstance(rows[0][i], str) else None)
                for i, n in enumerate(names)}


def check_nested(src: SparkSource, rules: list[Rule]) -> None:
    types = src.types()
    for rule in rules:
        cols = list(types) if rule.kind == "duplicates" else _rule_columns(rule)
        for col in cols:
            if types.get(col, "").startswith(tuple(t.upper() for t in NESTED)):
                raise DataError(f"line {rule.line}: column '{col}' is nested ({types[col].lower()}): "
                                f"rules read scalar columns", hint=f"flatten it first, e.g. df.select('{col}.*')")


def run_rules_spark(frame: Any, rules: list[Rule], sample: int) -> tuple[list[RuleResult], int, int, str]:
    """Run compiled rules on a ``pyspark.sql.DataFrame`` (see the module doc)."""
    from .sqlvalidate import compile_check, run_rules_sql

    require("pyspark")
    compile_check(rules, "Spark")
    src = SparkSource(frame)
    try:
        check_nested(src, rules)
        results, rows, cols = run_rules_sql(src, rules, sample)
    finally:
        src.close()
    return results, rows, cols, src.label
