"""Exact rule semantics (issue 13): ``mostly`` at its boundary, skipped rows, empty ranges,
type failures under ``mostly``, one-sided nulls, and the clearer parse errors."""

from __future__ import annotations

import contextlib
import math

import numpy as np
import pandas as pd
import pytest

import mlops_jupyter as mj
from mlops_jupyter.errors import RuleError
from mlops_jupyter.validation.engine import mostly_needed, run_rules
from mlops_jupyter.validation.language import parse_rules


def check(df: pd.DataFrame, rule: str) -> object:
    (result,) = run_rules(df, parse_rules(rule))
    return result


# -- mostly: counts, not rounded fractions --------------------------------------------
def test_mostly_passes_at_its_own_boundary() -> None:
    df = pd.DataFrame({"a": ["x", "x", "x", "x", "y"]})
    res = check(df, 'a == "y" mostly 0.2')  # 1 of 5 pass: exactly 0.2
    assert res.status == "pass", res.message  # type: ignore[attr-defined]
    res = check(df, 'a == "y" mostly 0.21')
    assert res.status == "fail"  # type: ignore[attr-defined]
    assert "1 of 5 rows pass" in res.message and "needs 2" in res.message  # type: ignore[attr-defined]


def _terminates(k: int, n: int) -> bool:
    d = n // math.gcd(k, n)
    while d % 2 == 0:
        d //= 2
    while d % 5 == 0:
        d //= 5
    return d == 1


def test_mostly_needs_exactly_k_of_n_for_every_fraction_up_to_100_rows() -> None:
    """For n = 1…100 and every k/n (as Python prints it): k passing rows are enough, k - 1 are not."""
    for n in range(1, 101):
        for k in range(1, n + 1):
            assert mostly_needed(k / n, n) == k, (n, k)
            assert mostly_needed(float(f"{k / n:.6f}"), n) == math.ceil(round(k / n, 6) * n - 1e-9)


def test_mostly_boundary_through_the_engine_up_to_100_rows() -> None:
    """End to end for n = 1…100 at every exact decimal fraction k/n (0.2, 0.25, 0.35, …) and
    at 1/n and (n-1)/n: k passing rows pass ``mostly k/n``, k - 1 fail it."""
    for n in range(1, 101):
        ks = [k for k in range(1, n + 1) if _terminates(k, n) or k in (1, n - 1)]
        # rows 0..k-1 pass "x < k"; the literal is Python's shortest repr of k/n
        texts = [f"x < {k - d} mostly {k / n!r}" for k in ks for d in (0, 1)]
        results = run_rules(pd.DataFrame({"x": np.arange(n, dtype=float)}), parse_rules(texts), sample=0)
        for i, k in enumerate(ks):
            at, below = results[2 * i], results[2 * i + 1]
            assert at.status == "pass", (n, k, at.message)
            assert below.status == "fail", (n, k, below.message)


@pytest.mark.parametrize(("literal", "n", "needed"), [
    ("0.2", 5, 1), ("0.95", 20, 19), ("0.95", 21, 20), ("0.999", 1000, 999), ("0.1", 3, 1),
    ("0.7", 10, 7), ("0.29", 100, 29), ("0.57", 100, 57), ("1", 7, 7), ("0.3333", 3, 1),
])
def test_mostly_needs_the_exact_ceiling(literal: str, n: int, needed: int) -> None:
    df = pd.DataFrame({"x": np.arange(n, dtype=float)})
    assert check(df, f"x < {needed} mostly {literal}").status == "pass"  # type: ignore[attr-defined]
    assert check(df, f"x < {needed - 1} mostly {literal}").status == "fail"  # type: ignore[attr-defined]


# -- rows skipped for a null are not failures ----------------------------------------
def test_row_skipped_for_a_null_is_not_a_type_failure() -> None:
    df = pd.DataFrame({"y": pd.Series([1, "abc"], dtype=object), "z": [1, None]})
    res = check(df, "y == z")
    assert res.status == "pass", res.message  # type: ignore[attr-defined]
    assert (res.checked, res.failing) == (1, 0)  # type: ignore[attr-defined]
    res = check(df, "y + z between 0 and 10")
    assert (res.checked, res.failing) == (1, 0)  # type: ignore[attr-defined]


# -- parse-time refusals ---------------------------------------------------------------
@pytest.mark.parametrize(("text", "fragment"), [
    ("x between 10 and 0", "empty range"),
    ("x strictly between 1 and 1", "empty range"),
    ("rows between 5 and 1", "empty range"),
    ("quantile 0.9 of x between 10 and 5", "empty range"),
    ('ts between "2025-01-01" and "2020-01-01"', "empty range"),
    ('rows == "hello"', "rows is compared with whole numbers"),
    ('rows <= "quack"', "rows is compared with whole numbers"),
    ("rows >= x", "rows is compared with whole numbers"),
    ("x > 0 mostly -0.3", "'mostly' needs a fraction in (0, 1], got -0.3"),
    ("x > 0 mostly 0", "'mostly' needs a fraction in (0, 1], got 0"),
    ("x > 0 mostly", "'mostly' needs a fraction in (0, 1]"),
    ("x in {}", "empty set"),
    ("x not in []", "empty set"),
])
def test_parse_time_refusals(text: str, fragment: str) -> None:
    with pytest.raises(RuleError) as info:
        parse_rules(text)
    assert fragment in info.value.one_line(), info.value.one_line()


def test_rows_bounds_still_work() -> None:
    df = pd.DataFrame({"x": [1, 2, 3]})
    assert check(df, "rows between 3 and 3").status == "pass"  # type: ignore[attr-defined]
    assert check(df, "rows == 3").status == "pass"  # type: ignore[attr-defined]


def test_mean_of_object_booleans_is_like_bool_dtype() -> None:
    obj = pd.DataFrame({"b": pd.Series([True, False, None, True, False], dtype=object)})
    typed = pd.DataFrame({"b": [True, False, True, False]})
    assert check(typed, "mean of b == 0.5").status == "pass"  # type: ignore[attr-defined]
    res = check(obj, "mean of b == 0.5")
    assert res.status == "pass", res.message  # type: ignore[attr-defined]
    assert check(obj, "b >= 0").status == "pass"  # type: ignore[attr-defined]


def test_parses_as_datetime_on_numbers_names_the_type() -> None:
    res = check(pd.DataFrame({"d": [20200101, 20200102]}), "d parses as datetime")
    assert res.status == "fail"  # type: ignore[attr-defined]
    assert "int64" in res.message and "not text" in res.message  # type: ignore[attr-defined]


# -- wrong types under mostly ----------------------------------------------------------
def test_wrong_type_fails_the_rule_even_under_mostly() -> None:
    values: list[object] = [float(i) for i in range(99)] + ["oops"]
    df = pd.DataFrame({"x": pd.Series(values, dtype=object)})
    res = check(df, "x >= 0 mostly 0.9")
    assert res.status == "fail"  # type: ignore[attr-defined]
    assert res.wrong_type == 1  # type: ignore[attr-defined]
    assert "1 value has the wrong type" in res.message  # type: ignore[attr-defined]
    assert res.to_dict()["wrong_type"] == 1  # type: ignore[attr-defined]
    report = mj.validate(df, "x >= 0 mostly 0.9", warn_only=True)
    assert "wrong type" in str(report) and "wrong type" in report._repr_html_()
    # ordinary failing values are still tolerated by mostly
    df2 = pd.DataFrame({"x": [float(i) for i in range(99)] + [-1.0]})
    assert check(df2, "x >= 0 mostly 0.9").status == "pass"  # type: ignore[attr-defined]


# -- one-sided nulls -------------------------------------------------------------------
def test_nulls_fail_modifier() -> None:
    df = pd.DataFrame({"a": [1.0, 2.0, None, None], "b": [1.0, None, 3.0, None]})
    skip = check(df, "a == b")
    assert (skip.status, skip.checked, skip.failing) == ("pass", 1, 0)  # type: ignore[attr-defined]
    strict = check(df, "a == b, nulls fail")
    assert (strict.status, strict.checked, strict.failing) == ("fail", 4, 3)  # type: ignore[attr-defined]
    assert "missing" in strict.message  # type: ignore[attr-defined]
    assert check(df, "a == b, nulls fail mostly 0.25").status == "pass"  # type: ignore[attr-defined]
    assert check(df, "a == b mostly 0.25, nulls fail").status == "pass"  # type: ignore[attr-defined]
    with pytest.raises(RuleError):
        parse_rules("rows > 1, nulls fail")


# -- the parser never crashes ----------------------------------------------------------
_WORDS = ["x", "y", "`a b`", "rows", "columns", "column", "count", "in", "order", "match", "distinct", "values",
          "of", "contain", "all", "are", "within", "most", "common", "value", "where", "and", "mostly", ",",
          "nulls", "fail", "(", ")", "{", "}", "[", "]", "1", "0.5", "-", "+", "*", "==", "<", ">=", "between",
          "strictly", "is", "or", "integer", "string", "not", "null", "has", "no", "outliers", "by", "z", "score",
          "iqr", "parses", "as", "json", "datetime", "matches", "schema", "'{}'", '"^a"', '"x"', "now", "today",
          "3", "days", "week", "max", "min", "quantile", "unique", "length"]


def test_any_token_soup_parses_or_raises_rule_error() -> None:
    """2,000 random lines from the rule vocabulary (seeded): each parses or raises RuleError."""
    rng = np.random.default_rng(13)
    for _ in range(2000):
        words = rng.choice(_WORDS, size=int(rng.integers(1, 13))).tolist()
        with contextlib.suppress(RuleError):
            parse_rules(" ".join(words))
