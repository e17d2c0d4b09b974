"""Drift summaries computed inside DuckDB: the drift tests then run on the summaries.

A categorical or boolean column becomes its counts per value (``GROUP BY``: exact on any
size). A numeric or datetime column becomes its null and ±inf counts (one aggregation for
all columns) and its finite values sorted by the engine: all of them up to
:data:`EXACT_MAX_VALUES` per column, so every method (KS, Anderson-Darling, Wasserstein,
energy…) gives the pandas engine's numbers; above that a uniform random sample of
:data:`SKETCH_VALUES` values (DuckDB: Bernoulli sampling, each value kept with
probability k/n, seeded; Spark: ``ORDER BY rand(seed) LIMIT k``). On a sample the
empirical CDF is within ``sqrt(ln(2/δ) / 2k)`` of the full column's with probability
``1 - δ`` (Dvoretzky-Kiefer-Wolfowitz): 0.0019 for k = 1,000,000 and δ = 0.001; the
tests' p-values are those of a sample of size k, and the report says so per column.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pandas as pd

from ..drift_detection.summary import (
    TEXT_MIN_UNIQUE,
    TEXT_UNIQUE_SHARE,
    ColumnSummary,
    ReferenceSummary,
)
from ..errors import MlopsUsageError
from .source import Source
from .sqlrules import _FLOAT, _INT, Dialect, q, type_kind

EXACT_MAX_VALUES = 2_000_000  # per column: 16 MB of float64 in Python, sorted by the engine
SKETCH_VALUES = 1_000_000
SKETCH_DELTA = 0.001
SEED = 42


def dkw_bound(k: int, delta: float = SKETCH_DELTA) -> float:
    """The DKW bound on the sup-distance between a k-sample's CDF and the column's."""
    return math.sqrt(math.log(2 / delta) / (2 * k))


def _kind(sql_type: str) -> str:
    t = sql_type.upper()
    if t == "BOOLEAN":
        return "boolean"
    k = type_kind(t)
    if k == "num":
        return "numeric"
    if k == "dt":
        return "datetime"
    if k == "str":
        return "categorical"
    raise MlopsUsageError(f"column type {sql_type} cannot be drift-tested on DuckDB",
                          hint="select scalar columns (numbers, text, booleans, datetimes)")


def _numeric_expr(d: Dialect, col: str, kind: str) -> str:
    if kind == "datetime":
        return d.epoch_seconds(d.q(col))
    return f"CAST({d.q(col)} AS DOUBLE)"


def summarize_source(src: Any, columns: list[str] | None = None, label: str | None = None) -> ReferenceSummary:
    """A :class:`ReferenceSummary` of ``src`` computed in the engine (see the module doc)."""
    types = src.types()
    d: Dialect = getattr(src, "dialect", None) or Dialect()
    cols = [c for c in (columns if columns is not None else list(types)) if c in types]
    kinds = {c: _kind(types[c]) for c in cols}
    items = ["count(*)"]
    for c in cols:
        if kinds[c] in ("numeric", "datetime"):
            v = _numeric_expr(d, c, kinds[c])
            float_col = types[c].upper().startswith(_FLOAT)
            null = f"({d.q(c)} IS NULL OR isnan({d.q(c)}))" if float_col else f"({d.q(c)} IS NULL)"
            inf = f"count(*) FILTER (WHERE {d.q(c)} IS NOT NULL AND NOT isnan({v}) AND NOT {d.isfinite(v)})"
            items += [f"count(*) FILTER (WHERE {null})", inf]
        else:
            items += [f"count(*) FILTER (WHERE {d.q(c)} IS NULL)", "0"]
    row = src.sql("SELECT " + ", ".join(items) + " FROM t").fetchall()[0]
    n_rows = int(row[0])
    out: dict[str, ColumnSummary] = {}
    for i, c in enumerate(cols):
        n_null, n_inf = int(row[1 + 2 * i]), int(row[2 + 2 * i])
        out[c] = _column(src, d, c, kinds[c], types[c], n_rows, n_null, n_inf)
    summary = ReferenceSummary(n_rows, out, label or src.label)
    return summary


def _column(src: Any, d: Dialect, col: str, kind: str, sql_type: str, n_rows: int, n_null: int,
            n_inf: int) -> ColumnSummary:
    q = d.q
    if kind in ("numeric", "datetime"):
        v = _numeric_expr(d, col, kind)
        n_finite = n_rows - n_null - n_inf
        where = f"{q(col)} IS NOT NULL AND {d.isfinite(v)}"
        if n_finite <= EXACT_MAX_VALUES:
            query = f"SELECT {v} AS v FROM t WHERE {where} ORDER BY v"
        else:
            query = d.sample(f"SELECT {v} AS v FROM t WHERE {where}", SKETCH_VALUES, SEED, n_finite)
        fetched = src.sql(query).fetchnumpy()["v"]
        values = np.asarray(fetched, dtype=np.float64)
        summary = ColumnSummary(col, kind, sql_type, n_rows, n_null=n_null, n_inf=n_inf,
                                is_integer=sql_type.upper().startswith(_INT), values=values)
        if n_finite > EXACT_MAX_VALUES:
            summary.sketch = (n_finite, values.shape[0])  # type: ignore[attr-defined]
        return summary
    rows = src.sql(f"SELECT {q(col)} AS v, count(*) AS n FROM t WHERE {q(col)} IS NOT NULL "
                   f"GROUP BY 1 ORDER BY 2 DESC, 1").fetchnumpy()
    labels = np.asarray(list(rows["v"]), dtype=object)
    counts = np.asarray(rows["n"], dtype=np.int64)
    if kind == "boolean":
        labels = np.asarray([bool(x) for x in labels], dtype=object)
    if (kind == "categorical" and labels.shape[0] > TEXT_MIN_UNIQUE
            and labels.shape[0] > TEXT_UNIQUE_SHARE * max(1, n_rows - n_null)):
        kind = "text"
    return ColumnSummary(col, kind, sql_type, n_rows, n_null, labels=labels, counts=counts)


def sketch_note(summary: ColumnSummary) -> str | None:
    """The report's note for a sampled column (None when the summary holds every value)."""
    sketch = getattr(summary, "sketch", None)
    if sketch is None:
        return None
    total, k = sketch
    return (f"tested on a uniform sample of {k:,} of {total:,} values; "
            f"CDF error ≤ {dkw_bound(k):.4f} at {1 - SKETCH_DELTA:.1%} (DKW)")


# -- windows over time ------------------------------------------------------------------
_TRUNC = {"D": "day", "W": "week", "M": "month", "Q": "quarter", "Y": "year", "h": "hour"}


def window_sizes(src: Source, by: str, freq: str) -> tuple[list[pd.Period], dict[pd.Period, int]]:
    """Every period from the first to the last, and the rows per period, counted in the engine."""
    from ..drift_detection.windows import FREQ_ALIASES

    types = src.types()
    if by not in types:
        raise MlopsUsageError(f"time column {by!r} not in current", hint=f"columns: {', '.join(list(types)[:20])}")
    period = FREQ_ALIASES.get(freq, freq)
    unit = _TRUNC.get(period)
    if unit is None:
        raise MlopsUsageError(f"freq {freq!r} is not supported on the DuckDB engine", hint="use D, W, M, Q, Y or h")
    t = types[by].upper()
    if t.startswith("TIMESTAMP WITH"):
        raise MlopsUsageError(f"time column {by!r} has a time zone: windows on DuckDB need local (naive) times",
                              hint="store local times, or use engine='pandas'")
    ts = f"CAST({q(by)} AS TIMESTAMP)" if type_kind(t) == "dt" else f"TRY_CAST({q(by)} AS TIMESTAMP)"
    rows = src.sql(f"SELECT date_trunc('{unit}', {ts}) AS p, count(*) FROM t WHERE {ts} IS NOT NULL "
                   f"GROUP BY 1 ORDER BY 1").fetchall()
    if not rows:
        raise MlopsUsageError(f"time column {by!r} has no values to window on")
    sizes = {pd.Timestamp(p).to_period(period): int(n) for p, n in rows}
    first, last = min(sizes), max(sizes)
    return list(pd.period_range(first, last, freq=first.freq)), sizes


def window_source(src: Source, by: str, period: pd.Period) -> Source:
    """The rows of one period, as a range filter on the raw column (Parquet row groups are
    skipped by their min/max statistics when the data is sorted by time)."""
    t = src.types()[by].upper()
    ts = f"CAST({q(by)} AS TIMESTAMP)" if type_kind(t) == "dt" else f"TRY_CAST({q(by)} AS TIMESTAMP)"
    start, end = period.start_time, (period + 1).start_time
    rel = src.sql(f"SELECT * FROM t WHERE {ts} >= TIMESTAMP '{start.isoformat(sep=' ')}' "
                  f"AND {ts} < TIMESTAMP '{end.isoformat(sep=' ')}'")
    return Source(rel, f"{src.label} [{period}]", src.files, src.con)


def summaries(data: Any, columns: list[str] | None, role: str) -> ReferenceSummary:
    """Summaries of a DuckDB input (path, folder, glob, relation, frame)."""
    from .source import open_source

    src = open_source(data, role)
    return summarize_source(src, columns)
