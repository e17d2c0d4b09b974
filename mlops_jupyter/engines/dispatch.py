"""Entry points the validation and drift APIs call for a non-pandas engine."""

from __future__ import annotations

from typing import Any

from ..errors import MlopsUsageError
from ..validation.report import RuleResult
from ..validation.rule import Rule


def validate_rules(engine: str, data: Any, rules: list[Rule], sample: int) -> tuple[list[RuleResult], int, int, str]:
    """Run parsed rules on ``engine``: (results, rows, columns, target label).

    Rules the engine cannot run are refused before any data is read."""
    if engine == "duckdb":
        from .source import open_source
        from .sqlvalidate import compile_check, run_rules_sql

        compile_check(rules, "DuckDB")
        src = open_source(data)
        results, rows, cols = run_rules_sql(src, rules, sample)
        return results, rows, cols, src.label
    if engine == "spark":
        from .spark import run_rules_spark

        return run_rules_spark(data, rules, sample)
    raise MlopsUsageError(f"no validation engine {engine!r}")
