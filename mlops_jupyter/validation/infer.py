"""``mj.infer_suite(df)``: propose a suite from good data.

Per column: its type (the types present, for a mixed object column); not null (or a
null-fraction ceiling); ranges with a margin (kept non-negative when the data is); a
category set for low-cardinality columns; uniqueness for integer/text key candidates; a
common string pattern and length range for text, "parses as json" for JSON text;
datetime ranges and "not in the future". For the table: the columns, a row floor, no
duplicate rows (when there are none). The suite passes on the data it came from.
"""

from __future__ import annotations

import datetime as _dt
import math
import re
from typing import Any

from .language import quote_name
from .suites import Suite

MAX_CATEGORIES = 20
MARGIN = 0.1  # of the observed range, on each side


def _num(v: float, integer: bool) -> str:
    if integer:
        return str(int(v))
    text = f"{v:.6g}"
    return text if any(c in text for c in ".e") else text + ".0"


def _range_rule(col: str, lo: float, hi: float, integer: bool) -> str:
    span = hi - lo
    pad = span * MARGIN if span > 0 else max(abs(lo) * MARGIN, 1.0)
    low, high = lo - pad, hi + pad
    if lo >= 0:
        low = max(low, 0.0)
    if hi <= 0:
        high = min(high, 0.0)
    if integer:
        low, high = math.floor(low), math.ceil(high)
    else:
        low, high = _round_out(low, hi=False), _round_out(high, hi=True)
    return f"{quote_name(col)} between {_num(low, integer)} and {_num(high, integer)}"


def _round_out(v: float, hi: bool) -> float:
    if v == 0:
        return 0.0
    digits = 3 - math.floor(math.log10(abs(v)))
    scale = 10.0 ** digits
    scaled = round(v * scale, 6)  # 0.1 * 10**4 is 999.999…: do not round that down to 999
    return (math.ceil(scaled) if hi else math.floor(scaled)) / scale


def _literal(v: Any) -> str:
    if isinstance(v, str):
        return '"' + v.replace('"', '\\"') + '"'
    if isinstance(v, bool):
        return str(int(v))
    return repr(v.item() if hasattr(v, "item") else v)


def _shape(text: str, exact: bool = False) -> str:
    """A regex that generalises one value: runs of letters/digits become classes
    (with their exact length when ``exact``)."""
    out = []
    for run in re.finditer(r"[A-Z]+|[a-z]+|[0-9]+|\s+|.", text):
        tok = run.group()
        count = f"{{{len(tok)}}}" if exact and len(tok) > 1 else ("" if exact else "+")
        if tok[0].isascii() and tok[0].isupper():
            out.append("[A-Z]" + count)
        elif tok[0].isascii() and tok[0].islower():
            out.append("[a-z]" + count)
        elif tok[0].isdigit() and tok[0].isascii():
            out.append("[0-9]" + count)
        elif tok[0].isspace():
            out.append(r"\s+")
        else:
            out.append(re.escape(tok))
    return "^" + "".join(out) + "$"


def _pattern(values: Any) -> str | None:
    distinct = values.drop_duplicates()
    if len(distinct) > 200_000:
        distinct = distinct.sample(200_000, random_state=0)
    exact = set(distinct.map(lambda v: _shape(v, exact=True)))
    if len(exact) == 1:  # fixed-shape codes: ISO codes, zip codes, ids like AB-1234
        return str(exact.pop())
    shapes = set(distinct.map(_shape))
    if len(shapes) == 1:
        pattern = str(shapes.pop())
        if pattern.count("+") >= 2:  # a single run (plain words) says little
            return pattern
    return None


_PRIMARY = (("boolean", (bool,)), ("integer", (int,)), ("float", (float,)), ("string", (str,)),
            ("datetime", (_dt.date,)))


def _value_types(values: Any) -> list[str]:
    """The types present in an object column (at most 3, in a fixed order), or [] when a value
    has none of the rule language's types."""
    import numpy as np

    found: set[str] = set()
    for v in values:
        v = v.item() if isinstance(v, np.generic) else v
        name = next((n for n, types in _PRIMARY if isinstance(v, types)), None)
        if name is None:
            return []
        found.add(name)
    names = [n for n, _ in _PRIMARY if n in found]
    return names if 1 < len(names) <= 3 else []


def _all_json(strings: Any) -> bool:
    """True when every value is a JSON object or array (text starting with { or [)."""
    import json

    if not strings.head(1000).map(lambda v: v.lstrip()[:1] in ("{", "[")).all():
        return False
    try:
        for v in strings:
            json.loads(v)
    except ValueError:
        return False
    return True


def _column_rules(df: Any, col: str) -> list[str]:
    """The rules one good column proposes: its type, its nulls, then its values."""
    from pandas.api import types as pdt

    s = df[col]
    q = quote_name(col)
    rules = [*_type_rule(s.dtype, q), _null_rule(s, q)]
    present = s.dropna()
    if present.empty or pdt.is_bool_dtype(s.dtype):
        return rules
    return rules + _value_rules(present, s.dtype, col, q)


def _type_rule(dtype: Any, q: str) -> list[str]:
    """``COL is TYPE`` for a dtype that names one (none for object columns)."""
    import pandas as pd
    from pandas.api import types as pdt

    if isinstance(dtype, pd.CategoricalDtype):
        return [f"{q} is category"]
    if pdt.is_bool_dtype(dtype):
        return [f"{q} is boolean"]
    if pdt.is_integer_dtype(dtype):
        return [f"{q} is integer"]
    if pdt.is_float_dtype(dtype):
        return [f"{q} is float"]
    if pdt.is_datetime64_any_dtype(dtype):
        return [f"{q} is datetime"]
    if pdt.is_string_dtype(dtype) and not pdt.is_object_dtype(dtype):
        return [f"{q} is string"]
    return []


def _null_rule(s: Any, q: str) -> str:
    """``not null``, or a null-fraction ceiling with room above what was seen."""
    nulls = int(s.isna().sum())
    if nulls == 0:
        return f"{q} is not null"
    ceiling = min(1.0, _round_out(nulls / len(s) * 1.5 + 0.01, hi=True))
    return f"null fraction of {q} <= {ceiling:g}"


def _value_rules(present: Any, dtype: Any, col: str, q: str) -> list[str]:
    """Rules on the non-null values, by kind: numbers, datetimes or text."""
    import pandas as pd
    from pandas.api import types as pdt

    distinct = int(present.nunique())
    low_card = distinct <= MAX_CATEGORIES and distinct < max(2, len(present) // 2)
    categorical = isinstance(dtype, pd.CategoricalDtype)
    if pdt.is_numeric_dtype(dtype) and not categorical:
        return _numeric_rules(present, pdt.is_integer_dtype(dtype), distinct, low_card, col, q)
    if pdt.is_datetime64_any_dtype(dtype):
        return _datetime_rules(present, dtype, q)
    if categorical or pdt.is_string_dtype(dtype) or pdt.is_object_dtype(dtype):
        return _text_rules(present.astype(object), distinct, low_card, q)
    return []


def _numeric_rules(present: Any, integer: bool, distinct: int, low_card: bool, col: str, q: str) -> list[str]:
    """A padded range over the finite values, a value set for few integers, uniqueness for
    dense or id-like integer keys."""
    rules: list[str] = []
    values = present.astype(float)
    finite = values[values.abs() != float("inf")]
    if not finite.empty:
        rules.append(_range_rule(col, float(finite.min()), float(finite.max()), integer))
    if integer and low_card:
        members = ", ".join(_literal(v) for v in sorted(present.unique()))
        rules.append(f"{q} in {{{members}}}")
    dense = float(finite.max() - finite.min()) < 2 * len(present) if not finite.empty else False
    keyish = re.search(r"(^|_)(id|key|code)$", col.lower()) is not None
    if integer and distinct == len(present) and len(present) > 1 and (dense or keyish):
        rules.append(f"{q} is unique")
    return rules


def _datetime_rules(present: Any, dtype: Any, q: str) -> list[str]:
    """A padded time span, and ``not in the future`` when nothing was."""
    import pandas as pd

    rules: list[str] = []
    lo, hi = present.min(), present.max()
    span = hi - lo
    pad = span * MARGIN if span > pd.Timedelta(0) else pd.Timedelta(days=1)
    rules.append(f'{q} between "{(lo - pad).isoformat()}" and "{(hi + pad).isoformat()}"')
    now = pd.Timestamp.now(tz=getattr(dtype, "tz", None))
    if hi <= now:
        rules.append(f"{q} is not in the future")
    return rules


def _text_rules(strings: Any, distinct: int, low_card: bool, q: str) -> list[str]:
    """Mixed objects: their value types. Strings: a value set when few, else JSON, length,
    shape and uniqueness."""
    if not all(isinstance(v, str) for v in strings.head(1000)):
        allowed = _value_types(strings)
        return [f"{q} is {' or '.join(allowed)}"] if allowed else []
    if low_card:
        members = ", ".join(_literal(v) for v in sorted(strings.unique(), key=str))
        return [f"{q} in {{{members}}}"]
    rules: list[str] = []
    if _all_json(strings):
        rules.append(f"{q} parses as json")
    lengths = strings.str.len()
    lo, hi = int(lengths.min()), int(lengths.max())
    rules.append(f"length of {q} between {max(0, lo - max(1, lo // 10))} and {hi + max(1, hi // 10)}")
    pattern = _pattern(strings)
    if pattern is not None:
        escaped = pattern.replace('"', '\\"')
        rules.append(f'{q} matches "{escaped}"')
    if distinct == len(strings) and len(strings) > 1:
        rules.append(f"{q} is unique")
    return rules


def infer_suite(df: Any, name: str | None = None, *, engine: str | None = None) -> Suite:
    """Propose a suite from good data; it passes on ``df`` and catches realistic corruption.

    Nothing is written: save it with :func:`save_suite` (or ``%validate DF --infer NAME``).
    ``df`` may also be a folder/glob of Parquet/CSV or a DuckDB relation (``engine``
    chosen from it, see :mod:`mlops_jupyter.engines.infer`).
    """
    import pandas as pd

    from ..engines.source import detect_engine, to_pandas_input
    from ..errors import MlopsUsageError

    chosen = detect_engine(df, engine)
    if chosen != "pandas":
        from ..engines.infer import infer_in_engine

        return infer_in_engine(chosen, df, name)
    df = to_pandas_input(df)

    if not isinstance(df, pd.DataFrame):
        raise MlopsUsageError(f"infer_suite needs a DataFrame, not {type(df).__name__}")
    cols = [str(c) for c in df.columns]
    rules = [f"columns include {', '.join(quote_name(c) for c in cols)}"] if cols else []
    if len(df):
        rules.append(f"rows >= {max(1, len(df) // 10)}")
        if len(df) > 1 and not df.duplicated().any():
            rules.append("no duplicate rows")
    for col in df.columns:
        rules += _column_rules(df, col)
    label = name or "inferred"
    today = _dt.date.today().isoformat()
    return Suite(name=label, rules=rules,
                 description=f"inferred from {len(df)} rows x {df.shape[1]} columns on {today}")
