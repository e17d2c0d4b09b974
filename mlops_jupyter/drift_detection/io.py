"""Turn what a user passes (a DataFrame, a Series, a CSV/Parquet path) into a DataFrame."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd

from ..errors import DataError, MlopsUsageError


def as_frame(obj: Any, role: str) -> tuple[pd.DataFrame, str]:
    """``(frame, label)`` for a DataFrame, Series or a ``.csv``/``.parquet`` path."""
    if isinstance(obj, pd.DataFrame):
        return obj, role
    if isinstance(obj, pd.Series):
        return obj.to_frame(name=str(obj.name) if obj.name is not None else "value"), role
    if isinstance(obj, (str, Path)):
        return read_table(Path(obj)), str(obj)
    raise MlopsUsageError(
        f"{role} must be a DataFrame or a CSV/Parquet path, not {type(obj).__name__}",
        hint="pass a pandas DataFrame, a path, or mj.summarize_reference(df) as reference",
    )


def read_table(path: Path) -> pd.DataFrame:
    """Read a CSV or Parquet file; a missing or unreadable file is a :class:`DataError`."""
    if not path.exists():
        raise DataError(f"no such file: {path}", hint="give a variable name or an existing CSV/Parquet path")
    suffix = path.suffix.lower()
    try:
        if suffix in (".parquet", ".pq"):
            return pd.read_parquet(path)
        if suffix in (".csv", ".txt", ".gz", ".tsv"):
            return pd.read_csv(path, sep="\t" if suffix == ".tsv" else ",")
    except (ValueError, OSError, pd.errors.ParserError) as exc:
        raise DataError(f"cannot read {path}: {exc}") from exc
    raise DataError(f"unsupported file type {suffix!r} for {path}", hint="use .csv or .parquet")
