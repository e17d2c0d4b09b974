"""Column views for the engine: each column converted once per validation and cached.

Semantics (see docs/validation.md): NaN, None and pd.NA are *missing* and skipped by row
rules (only ``is not null`` and ``null fraction`` look at them); ±inf is a value that fails
every numeric comparison; in an object column, values of the wrong type for the rule are
*type failures* (they fail, with the reason in the report), never silently passed.
"""

from __future__ import annotations

import datetime
import numbers
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from pandas.api import types as pdt


@dataclass
class NumericView:
    values: np.ndarray  # float64, NaN where missing or not a number
    null: np.ndarray  # bool: missing
    finite: np.ndarray | None  # bool: a finite number (False for missing, inf, type failures);
    # None when every present value is finite (no ±inf): comparisons then skip the test
    bad: np.ndarray | None  # bool: present but not a number (type failure)
    lazy: bool = False  # finite not computed yet (see FrameView.finite)


@dataclass
class TextView:
    series: pd.Series  # values as text (missing and non-text as NA)
    null: np.ndarray
    bad: np.ndarray | None


def kind_of(dtype: Any) -> str:
    """``num`` | ``dt`` | ``str`` | ``cat`` | ``obj`` | ``other`` for a pandas dtype."""
    if isinstance(dtype, pd.CategoricalDtype):
        return "cat"
    if pdt.is_bool_dtype(dtype) or pdt.is_numeric_dtype(dtype):
        return "num"
    if pdt.is_datetime64_any_dtype(dtype):
        return "dt"
    if pdt.is_string_dtype(dtype) and not pdt.is_object_dtype(dtype):
        return "str"
    if pdt.is_object_dtype(dtype):
        return "obj"
    return "other"


TYPE_CHECKS: dict[str, Any] = {  # type name of the rule language -> test of a pandas dtype
    "integer": lambda d: pdt.is_integer_dtype(d),
    "float": lambda d: pdt.is_float_dtype(d),
    "numeric": lambda d: pdt.is_numeric_dtype(d) and not pdt.is_bool_dtype(d),
    "string": lambda d: pdt.is_string_dtype(d) and not pdt.is_object_dtype(d),
    "boolean": lambda d: pdt.is_bool_dtype(d),
    "datetime": lambda d: pdt.is_datetime64_any_dtype(d),
    "category": lambda d: isinstance(d, pd.CategoricalDtype),
    "object": lambda d: pdt.is_object_dtype(d),
}


def value_types(v: Any) -> frozenset[str]:
    """The type names of the rule language that one Python value has."""
    if isinstance(v, (bool, np.bool_)):
        return frozenset({"boolean"})
    if isinstance(v, numbers.Integral):
        return frozenset({"integer", "numeric"})
    if isinstance(v, numbers.Real):
        return frozenset({"float", "numeric"})
    if isinstance(v, str):
        return frozenset({"string"})
    if isinstance(v, (pd.Timestamp, np.datetime64, datetime.date)):
        return frozenset({"datetime"})
    return frozenset()


def _is_number(v: Any) -> bool:
    return isinstance(v, numbers.Number) and not isinstance(v, bool) and v == v


def _all_bools(s: pd.Series, null: np.ndarray) -> bool:
    """True when every present value of an object column is a boolean (and one is present)."""
    present = s.to_numpy()[~null]
    return present.size > 0 and all(isinstance(v, (bool, np.bool_)) for v in present)


class FrameView:
    """A DataFrame plus per-column caches of the conversions the rules need."""

    def __init__(self, df: pd.DataFrame) -> None:
        self.df = df
        self.n = len(df)
        self._num: dict[str, NumericView] = {}
        self._text: dict[str, TextView] = {}
        self._null: dict[str, np.ndarray] = {}

    def forget(self, name: str) -> None:
        """Drop the cached conversions of column ``name``."""
        for cache in (self._num, self._text, self._null):
            cache.pop(name, None)

    def has(self, name: str) -> bool:
        return name in self.df.columns

    def series(self, name: str) -> pd.Series:
        s = self.df[name]
        if isinstance(s, pd.DataFrame):  # duplicated column label: check the first
            s = s.iloc[:, 0]
        return s

    def kind(self, name: str) -> str:
        s = self.series(name)
        k = kind_of(s.dtype)
        if k == "cat":
            return kind_of(s.cat.categories.dtype) if len(s.cat.categories) else "str"
        return k

    def null(self, name: str) -> np.ndarray:
        if name not in self._null:
            if name in self._num or self.kind(name) == "num":
                self._null[name] = self.numeric(name).null
            else:
                self._null[name] = np.asarray(self.series(name).isna(), dtype=bool)
        return self._null[name]

    def numeric(self, name: str) -> NumericView:
        if name in self._num:
            return self._num[name]
        s = self.series(name)
        bad: np.ndarray | None = None
        if isinstance(s.dtype, pd.CategoricalDtype):
            s = s.astype(s.cat.categories.dtype if len(s.cat.categories) else object)
        dtype = s.dtype
        if isinstance(dtype, np.dtype) and dtype.kind == "f":
            values = s.to_numpy(dtype=np.float64, copy=False)
            null = np.isnan(values)
        elif isinstance(dtype, np.dtype) and dtype.kind in "iub":  # no missing values possible
            values = s.to_numpy().astype(np.float64)
            view = NumericView(values=values, null=np.zeros(len(s), dtype=bool), finite=None, bad=None)
            self._num[name] = view
            return view
        elif pdt.is_bool_dtype(dtype) or pdt.is_numeric_dtype(dtype):
            values = s.to_numpy(dtype=np.float64, na_value=np.nan)
            null = np.asarray(s.isna(), dtype=bool) | np.isnan(values)
        else:
            null = np.asarray(s.isna(), dtype=bool)
            if pdt.is_object_dtype(dtype) and _all_bools(s, null):  # like a bool column: 0 and 1
                values = np.where(null, np.nan, s.to_numpy() == True).astype(np.float64)  # noqa: E712
            elif pdt.is_object_dtype(dtype):
                is_num = np.fromiter((_is_number(v) for v in s.to_numpy()), dtype=bool, count=len(s))
                values = np.full(len(s), np.nan)
                if is_num.any():
                    values[is_num] = s[is_num].astype(np.float64).to_numpy()
                bad = ~is_num & ~null
            else:  # text, datetimes...: every present value is a type failure
                values = np.full(len(s), np.nan)
                bad = ~null
            if bad is not None and not bad.any():
                bad = None
        view = NumericView(values=values, null=null, finite=None, bad=bad, lazy=True)
        self._num[name] = view
        return view

    def finite(self, name: str) -> np.ndarray | None:
        """Finite-value mask of a numeric column; None when no present value is ±inf."""
        view = self.numeric(name)
        if view.lazy:
            finite = np.isfinite(view.values)
            bad = 0 if view.bad is None else int(np.count_nonzero(view.bad))
            if len(finite) - np.count_nonzero(finite) == np.count_nonzero(view.null) + bad:
                view.finite = None  # only missing values are non-finite, and they are masked anyway
            else:
                view.finite = finite
            view.lazy = False
        return view.finite

    def text(self, name: str) -> TextView:
        if name in self._text:
            return self._text[name]
        s = self.series(name)
        null = self.null(name)
        bad: np.ndarray | None = None
        if isinstance(s.dtype, pd.CategoricalDtype):
            s = s.astype(object)
        if pdt.is_object_dtype(s.dtype):
            is_str = np.fromiter((isinstance(v, str) for v in s.to_numpy()), dtype=bool, count=len(s))
            bad = ~is_str & ~null
            s = s.where(is_str)
            if not bad.any():
                bad = None
        elif kind_of(s.dtype) != "str":
            bad = ~null if (~null).any() else None
            s = pd.Series(pd.NA, index=s.index, dtype=object)
        view = TextView(series=s, null=null, bad=bad)
        self._text[name] = view
        return view


def sample_value(v: Any, limit: int = 200) -> Any:
    """One failing value as bounded, JSON-friendly data."""
    if v is None or v is pd.NA or v is pd.NaT:
        return None
    if isinstance(v, np.generic):
        v = v.item()
    if isinstance(v, float):
        if v != v:
            return None
        return v if np.isfinite(v) else str(v)
    if isinstance(v, (int, bool)):
        return v
    text = str(v)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def arrow_strings(s: pd.Series) -> Any:
    """The Arrow array behind a pyarrow-backed string column (zero copy), else None.

    Regexes and lengths then run in Arrow compute directly, skipping pandas' wrapper
    (about a third of the time of ``Series.str.contains`` on 10^6 rows).
    """
    if getattr(s.dtype, "storage", None) != "pyarrow" or kind_of(s.dtype) != "str":
        return None
    try:
        return s.array.__arrow_array__()
    except Exception:
        return None
