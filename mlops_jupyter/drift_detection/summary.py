"""Column summaries: what a drift test needs from one column, computed in one pass.

A numeric column becomes its finite values sorted once (every numeric test and the
figure bins read that array); a categorical column becomes labels and counts. The
summaries of a reference frame can be kept (:func:`summarize_reference`) and compared
with many current windows without touching the reference rows again.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from .._parallel import parallel_map

TEXT_MIN_UNIQUE = 100  # a string column with more distinct values than this...
TEXT_UNIQUE_SHARE = 0.5  # ...and more than this share of rows distinct is free text


@dataclass
class ColumnSummary:
    """One column reduced to what the tests read.

    ``values`` (numeric, datetime): the finite non-null values, sorted ascending.
    ``labels``/``counts`` (categorical, boolean): non-null distinct values and counts.
    """

    name: str
    kind: str  # numeric | datetime | categorical | boolean | text
    dtype: str
    n_rows: int
    n_null: int
    n_inf: int = 0
    is_integer: bool = False
    values: np.ndarray | None = None
    labels: np.ndarray | None = None
    counts: np.ndarray | None = None
    _distinct: tuple[np.ndarray, np.ndarray] | None = field(default=None, repr=False)
    _n_unique: int | None = field(default=None, repr=False)

    @property
    def n(self) -> int:
        """Number of values the tests run on (non-null, finite)."""
        if self.values is not None:
            return int(self.values.shape[0])
        if self.counts is not None:
            return int(self.counts.sum())
        return 0

    @property
    def is_numeric(self) -> bool:
        return self.values is not None

    def distinct(self) -> tuple[np.ndarray, np.ndarray]:
        """Distinct values and their counts (numeric: from the sorted array, O(n))."""
        if self.values is None:
            assert self.labels is not None and self.counts is not None
            return self.labels, self.counts
        if self._distinct is None:
            v = self.values
            if v.shape[0] == 0:
                self._distinct = (v, np.zeros(0, dtype=np.int64))
            else:
                starts = np.flatnonzero(np.r_[True, v[1:] != v[:-1]])
                counts = np.diff(np.r_[starts, v.shape[0]]).astype(np.int64)
                self._distinct = (v[starts], counts)
        return self._distinct

    def n_unique(self, cap: int | None = None) -> int:
        """Distinct non-null values (numeric arrays are counted without building them)."""
        if self.values is None:
            return 0 if self.labels is None else int(self.labels.shape[0])
        v = self.values
        if v.shape[0] == 0:
            return 0
        if self._distinct is not None:
            return int(self._distinct[0].shape[0])
        if self._n_unique is None:
            self._n_unique = int(np.count_nonzero(v[1:] != v[:-1])) + 1
        return self._n_unique

    def null_rate(self) -> float:
        return self.n_null / self.n_rows if self.n_rows else 0.0


@dataclass
class ReferenceSummary:
    """Summaries of a reference frame, computed once and reused for many current windows.

    Pass it as ``reference`` to :func:`mlops_jupyter.drift_detection`.
    """

    n_rows: int
    columns: dict[str, ColumnSummary]
    source: str = "reference"

    def __repr__(self) -> str:
        kinds = ", ".join(f"{c}:{s.kind}" for c, s in list(self.columns.items())[:8])
        more = "" if len(self.columns) <= 8 else f", … (+{len(self.columns) - 8})"
        return f"ReferenceSummary({self.source}: {self.n_rows} rows; {kinds}{more})"


def infer_kind(series: pd.Series) -> str:
    """numeric | datetime | boolean | categorical | text, from the dtype (and cardinality)."""
    dtype = series.dtype
    if pd.api.types.is_bool_dtype(dtype):
        return "boolean"
    if pd.api.types.is_datetime64_any_dtype(dtype):
        return "datetime"
    if isinstance(dtype, pd.CategoricalDtype):
        return "categorical"
    if pd.api.types.is_timedelta64_dtype(dtype) or pd.api.types.is_numeric_dtype(dtype):
        return "numeric"
    return "categorical"  # strings, objects; text is decided from cardinality later


def _numeric_array(series: pd.Series, kind: str) -> np.ndarray:
    if kind == "datetime":
        s = series
        if getattr(s.dtype, "tz", None) is not None:
            s = s.dt.tz_convert(None)
        ints = s.to_numpy(dtype="datetime64[ns]").view("i8")
        out = ints.astype(np.float64) / 1e9  # seconds since the epoch
        out[ints == np.iinfo(np.int64).min] = np.nan  # NaT
        return out
    if pd.api.types.is_timedelta64_dtype(series.dtype):
        ints = series.to_numpy(dtype="timedelta64[ns]").view("i8")
        out = ints.astype(np.float64) / 1e9
        out[ints == np.iinfo(np.int64).min] = np.nan
        return out
    if series.dtype == np.float64:
        return series.to_numpy()  # a view; np.sort copies anyway
    return series.to_numpy(dtype=np.float64, na_value=np.nan)


def summarize_column(series: pd.Series, kind: str | None = None) -> ColumnSummary:
    """Reduce one column to a :class:`ColumnSummary` (sorting numeric values once)."""
    kind = kind or infer_kind(series)
    name = str(series.name)
    n_rows = int(series.shape[0])
    dtype = str(series.dtype)
    if kind in ("numeric", "datetime"):
        raw = _numeric_array(series, kind)
        # NaN sorts last and -inf/+inf at the ends: one sort gives every count we need.
        s = np.sort(raw)
        n_nan = n_rows - int(np.searchsorted(s, np.nan, side="left")) if n_rows else 0
        lo = int(np.searchsorted(s, -np.inf, side="right"))
        hi = int(np.searchsorted(s[: n_rows - n_nan], np.inf, side="left"))
        values = s[lo:hi]
        is_int = pd.api.types.is_integer_dtype(series.dtype)
        return ColumnSummary(
            name, kind, dtype, n_rows, n_null=n_nan, n_inf=lo + (n_rows - n_nan - hi),
            is_integer=is_int, values=values,
        )
    if isinstance(series.dtype, pd.CategoricalDtype):
        codes = series.cat.codes.to_numpy()
        n_null = int(np.count_nonzero(codes < 0))
        per_code = np.bincount(codes[codes >= 0], minlength=len(series.cat.categories))
        keep = per_code > 0
        cat_labels = np.asarray(series.cat.categories, dtype=object)[keep]
        return ColumnSummary(name, kind, dtype, n_rows, n_null, labels=cat_labels,
                             counts=per_code[keep].astype(np.int64))
    vc = series.value_counts(dropna=True, sort=False)
    labels = np.asarray(vc.index.to_numpy(dtype=object), dtype=object)
    counts: np.ndarray = vc.to_numpy(dtype=np.int64)
    n_null = n_rows - int(counts.sum())
    if kind == "categorical" and labels.shape[0] > TEXT_MIN_UNIQUE and labels.shape[0] > TEXT_UNIQUE_SHARE * max(1, n_rows - n_null):
        first = next((x for x in labels[:50] if isinstance(x, str)), None)
        if first is not None:
            kind = "text"
    return ColumnSummary(name, kind, dtype, n_rows, n_null, labels=labels, counts=counts)


def summarize_reference(
    df: Any, columns: Sequence[str] | None = None, *, source: str | None = None
) -> ReferenceSummary:
    """Summarize a reference frame once; pass the result as ``reference`` to ``mj.drift``.

    ``df`` is a DataFrame or a CSV/Parquet path. Numeric columns are sorted once and kept
    (8 bytes per value); categorical columns keep only their counts.
    """
    from .io import as_frame

    frame, label = as_frame(df, "reference")
    cols = [str(c) for c in (columns if columns is not None else frame.columns)]
    sums = parallel_map(lambda c: summarize_column(frame[c]), cols)
    return ReferenceSummary(int(frame.shape[0]), dict(zip(cols, sums, strict=True)), source or label)
