"""``mj.infer_suite`` on DuckDB: propose from a sample, keep what the full data confirms.

The pandas inference runs on a uniform sample of at most :data:`SAMPLE_ROWS` rows read
from the engine; every proposed rule is then checked on all rows inside the engine (one
aggregation). Rules the engine cannot run, or that the full data breaks, are left out and
listed in the suite's description: the suite passes on the data it was inferred from.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pandas as pd

from ..errors import DataError, MlopsUsageError, RuleError
from ..validation.language import parse_rules
from ..validation.suites import Suite
from .source import open_source
from .sqlrules import Compiler, refuse_unsupported, rule_columns
from .sqlvalidate import run_rules_sql

SAMPLE_ROWS = 100_000


def infer_in_engine(engine: str, data: Any, name: str | None) -> Suite:
    """Propose a suite from a bounded sample, keep the rules every row passes (module doc)."""
    if engine not in ("duckdb", "spark"):
        raise MlopsUsageError(f"infer_suite is not available on the {engine} engine", hint="use engine='duckdb'")
    if engine == "spark":
        from .spark import NESTED, SparkSource

        spark_src = SparkSource(data)
        try:
            nested = [c for c, t in spark_src.types().items() if t.startswith(tuple(x.upper() for x in NESTED))]
            if nested:
                raise DataError(f"column '{nested[0]}' is nested: rules are inferred for scalar columns",
                                hint=f"select or flatten the columns first, e.g. df.drop('{nested[0]}')")
            return _infer(spark_src, name, _spark_sample, "Spark")
        finally:
            spark_src.close()
    return _infer(open_source(data), name, _duckdb_sample, "DuckDB")


def _duckdb_sample(src: Any, n: int) -> pd.DataFrame:
    query = "SELECT * FROM t" if n <= SAMPLE_ROWS else f"SELECT * FROM t USING SAMPLE reservoir({SAMPLE_ROWS} ROWS) REPEATABLE (42)"
    return src.sql(query).df()


def _spark_sample(src: Any, n: int) -> pd.DataFrame:
    """At most SAMPLE_ROWS rows (a seeded Bernoulli sample, then a limit) reach the driver."""
    frame = src.frame if n <= SAMPLE_ROWS else src.frame.sample(fraction=min(1.0, 1.2 * SAMPLE_ROWS / n), seed=42)
    rows = frame.limit(SAMPLE_ROWS).collect()
    return pd.DataFrame([tuple(r) for r in rows], columns=src.columns())


def _infer(src: Any, name: str | None, draw: Callable[[Any, int], pd.DataFrame], engine: str) -> Suite:
    from ..validation.infer import infer_suite

    n = int(src.sql("SELECT count(*) FROM t").fetchall()[0][0])
    sample = draw(src, n)
    proposed = infer_suite(sample, name)
    texts = [f"rows >= {max(1, n // 10)}" if t.startswith("rows >= ") else t for t in proposed.rules]
    runnable, left_out = [], []
    comp = Compiler({c: t.upper() for c, t in src.types().items()}, getattr(src, "dialect", None))
    for text in texts:
        try:
            rule = parse_rules(text)[0]
            refuse_unsupported(rule, engine)
            if rule.kind in ("not_future", "tuple_in", "compare", "between") and all(c in comp.types for c in rule_columns(rule)):
                comp.row(rule)  # column types the engine refuses (a text column read as datetimes)
            runnable.append((text, rule))
        except RuleError:
            left_out.append(text)
    results, _, _ = run_rules_sql(src, [r for _, r in runnable], sample=0)
    kept = [text for (text, _), res in zip(runnable, results, strict=True) if res.ok]
    left_out += [text for (text, _), res in zip(runnable, results, strict=True) if not res.ok]
    desc = f"inferred on {engine} from {len(sample)} of {n} rows of {src.label}, checked on all rows"
    if left_out:
        desc += f"; left out ({len(left_out)}): " + "; ".join(left_out[:10])
    return Suite(name=proposed.name, rules=kept, description=desc)
