"""Data engines: where a check runs. ``pandas`` (in memory, the default for frames),
``duckdb`` (embedded, for Parquet/CSV folders and globs beyond memory, and DuckDB
relations) and ``spark`` (a ``pyspark.sql.DataFrame``).

The engine is chosen from the input (:func:`detect_engine`); ``engine=`` overrides.
The rule language and the drift methods are defined once; each engine compiles them
(``duckdb_rules``, ``duckdb_drift``) and refuses, before reading any data, a check it
cannot run. duckdb and pyspark are optional extras, imported only when used.
"""

from __future__ import annotations

from .source import ENGINES, Source, detect_engine, open_source, require

__all__ = ["ENGINES", "Source", "detect_engine", "open_source", "require"]
