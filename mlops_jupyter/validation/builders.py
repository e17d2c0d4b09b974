"""Rule builders: the Python twin of the rule language, for rules made from Python values.

Each function returns one rule as rule-language text, parsed before it is returned (so a
bad argument fails here, with the same :class:`~mlops_jupyter.errors.RuleError`), ready for
``mj.validate(df, rules=[...])`` or a suite. Names are quoted and values written as
literals for you::

    from mlops_jupyter.validation import builders as rb
    mj.validate(df, rules=[
        rb.distinct_values("country", within=countries),
        rb.where("price > 0", status="paid"),
        rb.combinations(["country", "currency"], allowed_pairs),
        rb.matches_json_schema("payload", {"type": "object", "required": ["id"]}),
    ])
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

from .grammar import quote_name
from .language import parse_rule


def literal(value: Any) -> str:
    """A Python value as a rule-language literal (string, number or null)."""
    if value is None:
        return "null"
    if isinstance(value, str):
        return '"' + value.replace('"', '\\"') + '"'
    if isinstance(value, bool):
        return str(int(value))
    if isinstance(value, (int, float)):
        return repr(value)
    item = getattr(value, "item", None)
    if callable(item):
        return literal(item())
    raise TypeError(f"cannot write {type(value).__name__} {value!r} as a rule value")


def value_set(values: Iterable[Any]) -> str:
    """``{v1, v2, …}`` from Python values."""
    return "{" + ", ".join(literal(v) for v in values) + "}"


def _checked(text: str, mostly: float | None = None, nulls_fail: bool = False) -> str:
    if nulls_fail:
        text += ", nulls fail"
    if mostly is not None:
        text += f" mostly {mostly!r}"
    parse_rule(text)
    return text


def distinct_values(column: str, *, contain: Iterable[Any] | None = None, equal: Iterable[Any] | None = None,
                    within: Iterable[Any] | None = None) -> str:
    """``distinct values of C contain all of / are / are within {…}`` (give exactly one)."""
    given = [(w, v) for w, v in (("contain all of", contain), ("are", equal), ("are within", within)) if v is not None]
    if len(given) != 1:
        raise TypeError("give exactly one of contain=, equal=, within=")
    word, values = given[0]
    return _checked(f"distinct values of {quote_name(column)} {word} {value_set(values)}")


def most_common_value(column: str, within: Iterable[Any]) -> str:
    """``most common value of C in {…}``."""
    return _checked(f"most common value of {quote_name(column)} in {value_set(within)}")


def where(rule: str, condition: str | None = None, **equals: Any) -> str:
    """``RULE where COND``; ``condition`` is rule text, ``status="paid"`` adds ``status == "paid"``."""
    conds = [condition] if condition else []
    conds += [f"{quote_name(k)} == {literal(v)}" for k, v in equals.items()]
    if not conds:
        raise TypeError("give a condition or column=value pairs")
    return _checked(f"{rule} where {' and '.join(conds)}")


def column_count(op: str = "==", n: int = 0, *, between: tuple[int, int] | None = None) -> str:
    """``column count OP n`` or ``column count between LOW and HIGH``."""
    if between is not None:
        return _checked(f"column count between {int(between[0])} and {int(between[1])}")
    return _checked(f"column count {op} {int(n)}")


def columns_exactly(columns: Iterable[str], *, ordered: bool = False) -> str:
    """``columns are a, b`` (the set) or ``columns in order a, b`` (the list)."""
    names = ", ".join(quote_name(c) for c in columns)
    return _checked(f"columns in order {names}" if ordered else f"columns are {names}")


def columns_match(pattern: str) -> str:
    """``columns match "re"``: every column name matches."""
    return _checked(f"columns match {literal(pattern)}")


def within(subject: str, distance: float | str, of: str, *, mostly: float | None = None) -> str:
    """``SUBJECT within DISTANCE of REFERENCE``; all three are rule text (``"max(ts)"``,
    ``"1 day"``, ``"now"``), a number distance is written as is."""
    return _checked(f"{subject} within {distance} of {of}", mostly)


def no_outliers(column: str, by: str = "zscore", threshold: float | None = None, *,
                mostly: float | None = None) -> str:
    """``C has no outliers by z-score T`` (``by="zscore"``) or ``… by iqr K`` (``by="iqr"``)."""
    method = {"zscore": "z-score", "z-score": "z-score", "iqr": "iqr"}.get(by)
    if method is None:
        raise ValueError(f"by must be 'zscore' or 'iqr', not {by!r}")
    text = f"{quote_name(column)} has no outliers by {method}" + ("" if threshold is None else f" {threshold!r}")
    return _checked(text, mostly)


def types(column: str, *names: str, mostly: float | None = None) -> str:
    """``C is integer or string``: every present value has one of these types."""
    if len(names) < 2:
        raise TypeError("give at least two type names (for one, write 'C is TYPE')")
    return _checked(f"{quote_name(column)} is {' or '.join(names)}", mostly)


def combinations(columns: Sequence[str], allowed: Iterable[Sequence[Any]], *, negate: bool = False,
                 mostly: float | None = None, nulls_fail: bool = False) -> str:
    """``(a, b) [not] in {(…), …}``: each row's combination is one of ``allowed``."""
    tuples = ", ".join("(" + ", ".join(literal(v) for v in t) + ")" for t in allowed)
    names = ", ".join(quote_name(c) for c in columns)
    return _checked(f"({names}) {'not in' if negate else 'in'} {{{tuples}}}", mostly, nulls_fail)


def parses_as_json(column: str, *, mostly: float | None = None) -> str:
    """``C parses as json``."""
    return _checked(f"{quote_name(column)} parses as json", mostly)


def matches_json_schema(column: str, schema: dict[str, Any] | bool | str | Path, *,
                        mostly: float | None = None) -> str:
    """``C matches json schema '…'``: ``schema`` is a dict (written inline) or a file path."""
    if isinstance(schema, (dict, bool)):
        text = "'" + json.dumps(schema).replace("'", "\\'") + "'"
    else:
        text = literal(str(schema))
    return _checked(f"{quote_name(column)} matches json schema {text}", mostly)


__all__ = [
    "column_count", "columns_exactly", "columns_match", "combinations", "distinct_values", "literal",
    "matches_json_schema", "most_common_value", "no_outliers", "parses_as_json", "types", "value_set",
    "where", "within",
]
