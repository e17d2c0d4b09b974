"""Which engine runs a check, and the data source it runs on.

``detect_engine``: a pandas (or polars) frame runs on pandas; a folder or glob of
Parquet/CSV files, or a DuckDB relation, on DuckDB; a ``pyspark.sql.DataFrame`` on Spark.
A single file stays on pandas (read into memory, as before) unless ``engine="duckdb"``.
``open_source`` turns a DuckDB input into a relation after checking that the path
matches files and that every file has the same schema.
"""

from __future__ import annotations

import glob
import importlib
import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..errors import DataError, DependencyMissing, MlopsUsageError

ENGINES = ("pandas", "duckdb", "spark")
EXTRAS = {"duckdb": "duckdb", "pyspark": "spark"}
MEMORY_ENV = "MLOPS_JUPYTER_DUCKDB_MEMORY_LIMIT"  # e.g. "500MB": DuckDB's memory_limit
_GLOB = set("*?[")
VIEW = "mlops_jupyter_data"
_SUFFIXES = {".parquet": "parquet", ".pq": "parquet", ".csv": "csv", ".tsv": "csv", ".gz": "csv"}


def require(module: str) -> Any:
    """Import an optional engine module, or raise one line naming the pip extra."""
    try:
        return importlib.import_module(module)
    except ImportError:
        extra = EXTRAS.get(module.split(".")[0], module)
        raise DependencyMissing(f"this needs {module}, which is not installed",
                                hint=f"pip install 'mlops-jupyter[{extra}]'") from None


def _module_of(obj: Any) -> str:
    return type(obj).__module__ or ""


def is_duckdb_relation(obj: Any) -> bool:
    return _module_of(obj).startswith("duckdb") and type(obj).__name__ == "DuckDBPyRelation"


def is_spark_frame(obj: Any) -> bool:
    return _module_of(obj).startswith("pyspark") and type(obj).__name__ == "DataFrame"


def _is_path_set(obj: Any) -> bool:
    """A folder or a glob (many files): the DuckDB engine's input."""
    if not isinstance(obj, (str, Path)):
        return False
    text = str(obj)
    return bool(_GLOB & set(text)) or Path(text).is_dir()


def detect_engine(data: Any, engine: str | None = None) -> str:
    """The engine for ``data``: ``engine`` when given (checked), else from the input type."""
    if engine is not None:
        if engine not in ENGINES:
            raise MlopsUsageError(f"unknown engine {engine!r}", hint=f"choose one of: {', '.join(ENGINES)}")
        return engine
    if is_spark_frame(data):
        return "spark"
    if is_duckdb_relation(data) or _is_path_set(data):
        return "duckdb"
    return "pandas"


def to_pandas_input(data: Any) -> Any:
    """A polars frame as pandas (the pandas engine's input); anything else unchanged."""
    if _module_of(data).startswith("polars") and hasattr(data, "to_pandas"):
        return data.to_pandas()
    return data


# -- DuckDB sources ----------------------------------------------------------------------
@dataclass
class Source:
    """A relation the DuckDB engine reads, with where it came from."""

    rel: Any
    label: str
    files: list[str] = field(default_factory=list)
    con: Any = None

    def sql(self, query: str) -> Any:
        """Run ``query`` with the relation visible as ``t`` (registered under a private name:
        a user's table ``t`` on the same connection is not shadowed)."""
        return self.rel.query(VIEW, re.sub(r"\bFROM t\b", f"FROM {VIEW}", query))

    def columns(self) -> list[str]:
        return [str(c) for c in self.rel.columns]

    def types(self) -> dict[str, str]:
        return {str(c): str(t) for c, t in zip(self.rel.columns, self.rel.types, strict=True)}


def connect() -> Any:
    """A fresh in-memory DuckDB connection (``memory_limit`` from $MLOPS_JUPYTER_DUCKDB_MEMORY_LIMIT)."""
    duckdb = require("duckdb")
    con = duckdb.connect(":memory:")
    con.execute("SET enable_progress_bar = false")  # it would print into cells and logs
    limit = os.environ.get(MEMORY_ENV)
    if limit:
        con.execute(f"SET memory_limit = '{limit.replace(chr(39), '')}'")
        con.execute("SET preserve_insertion_order = false")
    return con


def list_files(path: str | Path) -> tuple[list[str], str]:
    """The files a path, folder or glob names (sorted) and their format; clear errors."""
    text = str(path)
    if _GLOB & set(text):
        found = sorted(f for f in glob.glob(text, recursive=True) if os.path.isfile(f))
    elif os.path.isdir(text):
        found = sorted(str(p) for p in Path(text).rglob("*") if p.is_file() and p.suffix.lower() in _SUFFIXES
                       and not p.name.startswith((".", "_")))
    elif os.path.isfile(text):
        found = [text]
    else:
        found = []
    if not found:
        raise DataError(f"'{text}' matches no files", hint="give a Parquet/CSV file, a folder of them, or a glob like 'data/*.parquet'")
    formats = {_SUFFIXES.get(Path(f).suffix.lower()) for f in found}
    if None in formats or len(formats) > 1:
        odd = next(f for f in found if _SUFFIXES.get(Path(f).suffix.lower()) != _SUFFIXES.get(Path(found[0]).suffix.lower())
                   or _SUFFIXES.get(Path(f).suffix.lower()) is None)
        raise DataError(f"'{text}' mixes file types ({odd})", hint="one format per dataset: .parquet or .csv")
    return found, formats.pop() or "parquet"


def _check_schemas(con: Any, files: list[str], fmt: str) -> None:
    """Every file must have the first file's columns and types (no silent union)."""
    first: list[tuple[str, str]] | None = None
    for f in files:
        reader = "read_parquet" if fmt == "parquet" else "read_csv_auto"
        desc = con.sql(f"DESCRIBE SELECT * FROM {reader}({_literal(f)})").fetchall()
        schema = [(str(r[0]), str(r[1])) for r in desc]
        if first is None:
            first = schema
        elif schema != first:
            diff = next((f"{a} vs {b}" for a, b in zip(first, schema, strict=False) if a != b),
                        f"{len(first)} vs {len(schema)} columns")
            raise DataError(f"schema of {f} differs from {files[0]}: {diff}",
                            hint="files of one dataset need the same columns and types")


def _literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def open_source(data: Any, role: str = "data") -> Source:
    """A :class:`Source` for a DuckDB relation, a path/folder/glob, or an in-memory frame."""
    if isinstance(data, Source):
        return data
    if is_duckdb_relation(data):
        return Source(data, f"{role} (DuckDB relation)")
    if isinstance(data, (str, Path)):
        files, fmt = list_files(data)
        con = connect()
        _check_schemas(con, files, fmt)
        listed = "[" + ", ".join(_literal(f) for f in files) + "]"
        reader = f"read_parquet({listed})" if fmt == "parquet" else f"read_csv_auto({listed})"
        try:
            rel = con.sql(f"SELECT * FROM {reader}")
        except Exception as exc:
            raise DataError(f"cannot read {data}: {' '.join(str(exc).split())[:200]}") from None
        return Source(rel, str(data), files, con)
    data = to_pandas_input(data)
    import pandas as pd

    if isinstance(data, pd.Series):
        data = data.to_frame()
    if isinstance(data, pd.DataFrame):
        con = connect()
        return Source(con.from_df(data), f"{role} (DataFrame on DuckDB)", con=con)
    raise MlopsUsageError(f"the DuckDB engine cannot read a {type(data).__name__}",
                          hint="pass a Parquet/CSV path, folder or glob, a DuckDB relation or a DataFrame")
