"""Windows over time for ``mj.drift(..., by=, freq=)``: local calendar periods and the
minimum window size.

Windows are cut on the wall-clock time of the column in its own time zone: a row at
22:00 on 31 December in New York belongs to December, not to a January window of
UTC's making. A window with fewer rows than ``min_window_rows`` is listed and marked
"too small", never tested: a few dozen rows compared with a full month alarm on noise
(distances) or say nothing (tests).
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pandas as pd

from ..errors import ConfigError, MlopsUsageError

FREQ_ALIASES = {"D": "D", "W": "W", "M": "M", "Q": "Q", "Y": "Y", "H": "h", "day": "D",
                "week": "W", "month": "M", "quarter": "Q", "year": "Y", "hour": "h"}
SETTINGS_KEYS: dict[str, Any] = {"min_window_rows": int}
AUTO_MIN_SHARE = 0.1  # default minimum: a tenth of the median non-empty window


def drift_settings() -> dict[str, Any]:
    """The ``[drift]`` table of the project config, with its keys and values checked."""
    from ..config import check_keys
    from ..session import session

    config = session.config()
    table = config.section("drift")
    where = f"[drift] of {config.describe_source()}"
    check_keys(where, table, SETTINGS_KEYS)
    value = table.get("min_window_rows")
    if value is not None and (isinstance(value, bool) or value < 0):
        raise ConfigError(f"min_window_rows = {value!r} in {where} must be an integer >= 0",
                          hint="0 tests every non-empty window; leave it out for the default")
    return table


def check_min_rows(value: Any) -> int | None:
    """``min_window_rows`` as given to the API: None (config, then the default) or an int >= 0."""
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 0:
        raise MlopsUsageError(f"min_window_rows must be an integer >= 0, got {value!r}",
                              hint="0 tests every non-empty window; None uses [drift] min_window_rows or the default")
    return int(value)


def resolve_min_rows(given: int | None, sizes: list[int]) -> tuple[int, str]:
    """The minimum window size and where it comes from: the argument, ``[drift]
    min_window_rows`` in the config, or a tenth of the median non-empty window."""
    if given is not None:
        return given, "min_window_rows"
    configured = drift_settings().get("min_window_rows")
    if configured is not None:
        return int(configured), "[drift] min_window_rows"
    nonempty = [s for s in sizes if s > 0]
    median = float(np.median(nonempty)) if nonempty else 0.0
    return max(1, math.ceil(AUTO_MIN_SHARE * median)), "default: a tenth of the median window"


def local_times(values: pd.Series, by: str) -> pd.Series:
    """The time column as naive wall-clock times in the column's own time zone.

    A tz-aware column keeps its local time (``tz_localize(None)``, not a conversion to
    UTC); text with one UTC offset parses to that offset; text or objects with several
    offsets (daylight saving time) keep each value's own local time.
    """
    times = values
    if not pd.api.types.is_datetime64_any_dtype(times.dtype):
        try:
            times = pd.to_datetime(times)
        except (ValueError, TypeError) as exc:
            if "timezone" not in str(exc).lower() and "time zone" not in str(exc).lower():
                raise MlopsUsageError(f"column {by!r} is not a time column: {exc}") from None
            times = _wall_clock_each(values, by)
    if getattr(times.dtype, "tz", None) is not None:
        times = times.dt.tz_localize(None)
    return times


def _wall_clock_each(values: pd.Series, by: str) -> pd.Series:
    """Values with different UTC offsets, each read in its own offset (slow path)."""
    def local(x: Any) -> Any:
        if x is None or (isinstance(x, float) and math.isnan(x)):
            return pd.NaT
        ts = pd.Timestamp(x)
        return ts.tz_localize(None) if ts.tzinfo is not None else ts

    try:
        return pd.to_datetime(values.map(local))
    except (ValueError, TypeError) as exc:
        raise MlopsUsageError(f"column {by!r} is not a time column: {exc}") from None


def periods_of(times: pd.Series, freq: str) -> tuple[pd.Series, pd.PeriodIndex]:
    """Each row's period, and every period from the first to the last."""
    period = FREQ_ALIASES.get(freq, freq)
    try:
        periods = times.dt.to_period(period)
    except (ValueError, TypeError) as exc:
        raise MlopsUsageError(f"unknown freq {freq!r}: {exc}", hint="use D, W or M (or a pandas period alias)") from None
    valid = periods.dropna()
    if valid.empty:
        raise MlopsUsageError(f"time column {times.name!r} has no values to window on")
    return periods, pd.period_range(valid.min(), valid.max(), freq=valid.dt.freq)


def too_small_reason(n_rows: int, min_rows: int, source: str) -> str:
    return f"too small: {n_rows} rows < {min_rows} ({source}); not tested"
