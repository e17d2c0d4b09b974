"""Datetimes in rules: parsing text columns, and expressions with ``now``, ``today`` and
durations (``signup_date >= today - 52 weeks``, ``max of ts within 1 day of now``).

``now`` and ``today`` (midnight) are read once per rule, in the time zone of the column they
are compared with (naive local time for a naive column); ``52 weeks`` is a
:class:`pandas.Timedelta`. Text columns are parsed as ISO 8601 first, then per value.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from ..errors import RuleError
from .columns import FrameView
from .grammar import UNITS, Expr, has_time

__all__ = ["column_tz", "dt_eval", "dt_scalar", "duration", "has_time", "parse_datetimes"]

def parse_datetimes(s: pd.Series, fmt: str | None) -> tuple[pd.Series, np.ndarray | None]:
    """A column as datetimes, and the mask of present values that do not parse."""
    if pd.api.types.is_datetime64_any_dtype(s.dtype):
        return s, None
    null = np.asarray(s.isna(), dtype=bool)
    if pd.api.types.is_numeric_dtype(s.dtype) and not fmt:
        bad = ~null
        return pd.Series(pd.NaT, index=s.index, dtype="datetime64[ns]"), (bad if bad.any() else None)
    text = s.astype(object).where(~null)
    if fmt:
        parsed = pd.to_datetime(text, errors="coerce", format=fmt)
    else:
        parsed = pd.to_datetime(text, errors="coerce", format="ISO8601")
        retry = np.asarray(parsed.isna(), dtype=bool) & ~null
        if retry.any():
            again = pd.to_datetime(text[retry], errors="coerce", format="mixed")
            if getattr(again.dtype, "tz", None) is None and getattr(parsed.dtype, "tz", None) is None:
                parsed = parsed.copy()
                parsed[retry] = again
    bad = np.asarray(parsed.isna(), dtype=bool) & ~null
    return parsed, (bad if bad.any() else None)


def duration(e: Expr) -> pd.Timedelta:
    """The Timedelta of a ``dur`` node."""
    number, unit = e.value
    return pd.Timedelta(seconds=float(number) * UNITS[unit])


def dt_scalar(e: Expr, tz: Any) -> Any:
    """A constant datetime expression: a Timestamp (``now``, ``today``, a quoted date, and
    sums with durations) or a Timedelta."""
    if e.kind == "now":
        return pd.Timestamp.now(tz=tz)
    if e.kind == "today":
        return pd.Timestamp.now(tz=tz).normalize()
    if e.kind == "dur":
        return duration(e)
    if e.kind == "str":
        ts = pd.Timestamp(e.value)
        if tz is not None and ts.tzinfo is None:
            ts = ts.tz_localize(tz)
        return ts
    if e.kind == "bin" and e.value in ("+", "-"):
        assert e.left is not None and e.right is not None
        left, right = dt_scalar(e.left, tz), dt_scalar(e.right, tz)
        return left + right if e.value == "+" else left - right
    if e.kind == "num":
        raise RuleError("a number cannot be compared with datetimes: use a date in quotes or a duration such as 3 days")
    raise RuleError(f"'{e.text()}' is not a datetime: use now, today, a date in quotes and durations")


def dt_eval(view: FrameView, e: Expr, tz: Any) -> tuple[Any, np.ndarray | None, np.ndarray | None]:
    """A datetime expression over columns: (values, missing mask, type-failure mask)."""
    if e.kind == "col":
        name = e.value
        if view.kind(name) == "dt":
            return view.series(name), view.null(name), None
        parsed, bad = parse_datetimes(view.series(name), None)
        return parsed, view.null(name), bad
    if e.kind == "bin" and e.value in ("+", "-") and (e.columns()):
        assert e.left is not None and e.right is not None
        lv, ln, lb = dt_eval(view, e.left, tz)
        rv, rn, rb = dt_eval(view, e.right, tz)
        return (lv + rv if e.value == "+" else lv - rv), _or(ln, rn), _or(lb, rb)
    if e.columns():
        raise RuleError(f"'{e.text()}': datetimes take only + and - with durations")
    return dt_scalar(e, tz), None, None


def column_tz(view: FrameView, exprs: list[Expr | None]) -> Any:
    """The time zone of the first datetime column the expressions read (None if naive)."""
    for e in exprs:
        for name in (e.columns() if e is not None else []):
            if view.has(name) and view.kind(name) == "dt":
                return getattr(view.series(name).dtype, "tz", None)
    return None


def _or(a: np.ndarray | None, b: np.ndarray | None) -> np.ndarray | None:
    if a is None:
        return b
    if b is None:
        return a
    return a | b
