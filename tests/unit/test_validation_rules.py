"""Every rule on passing and failing data, hard-data semantics, and rule-language errors."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

import mlops_jupyter as mj
from mlops_jupyter.errors import RuleError, ValidationFailed
from mlops_jupyter.validation.engine import run_rules
from mlops_jupyter.validation.language import parse_rules


def check(df: pd.DataFrame, rule: str) -> object:
    (result,) = run_rules(df, parse_rules(rule))
    return result


@pytest.fixture
def good() -> pd.DataFrame:
    return pd.DataFrame({
        "id": [1, 2, 3, 4],
        "price": [10.0, 12.5, 15.0, 20.0],
        "qty": pd.array([1, 2, 3, 4], dtype="Int64"),
        "total": [10.0, 25.0, 45.0, 80.0],
        "email": ["a@x.io", "b@x.io", "c@y.org", "d@z.fr"],
        "country": pd.Categorical(["FR", "DE", "FR", "DE"]),
        "start": pd.to_datetime(["2021-01-01", "2021-02-01", "2021-03-01", "2021-04-01"]),
        "end": pd.to_datetime(["2021-01-05", "2021-02-05", "2021-03-05", "2021-04-05"]),
        "day": ["2021-01-01", "2021-01-02", "2021-01-03", "2021-01-04"],
        "flag": [True, False, True, True],
    })


# (rule, mutation that breaks it: column -> (row, bad value))
CASES = [
    ("columns include id, price", None),
    ("columns exclude debug", None),
    ("columns are id, price, qty, total, email, country, start, end, day, flag", None),
    ("rows >= 4", None),
    ("rows between 1 and 10", None),
    ("no duplicate rows", ("dup", None)),
    ("id is unique", ("id", (1, 1))),
    ("(id, email) is unique", ("dup", None)),
    ("price is not null", ("price", (2, np.nan))),
    ("null fraction of price <= 0", ("price", (2, np.nan))),
    ("price between 10 and 20", ("price", (0, 25.0))),
    ("price strictly between 9 and 21", ("price", (3, 21.0))),
    ("price > 0", ("price", (1, -1.0))),
    ("price != 13", ("price", (1, 13.0))),
    ("email matches \"^[^@]+@[^@]+$\"", ("email", (1, "no-at-sign"))),
    ("email does not match \"example\"", ("email", (1, "x@example.com"))),
    ("country in {\"FR\", \"DE\"}", ("country", (0, "US"))),
    ("country not in {\"US\"}", ("country", (0, "US"))),
    ("id in {1, 2, 3, 4}", ("id", (0, 9))),
    ("length of email between 5 and 10", ("email", (0, "a-very-long@address.example"))),
    ("day parses as datetime", ("day", (2, "yesterday-ish"))),
    ("day parses as datetime \"%Y-%m-%d\"", ("day", (2, "01/03/2021"))),
    ("start is not in the future", ("start", (1, pd.Timestamp("2999-01-01")))),
    ("start between \"2020-01-01\" and \"2022-01-01\"", ("start", (1, pd.Timestamp("2019-01-01")))),
    ("start < end", ("end", (2, pd.Timestamp("2020-01-01")))),
    ("start is increasing", ("start", (2, pd.Timestamp("2021-01-15")))),
    ("id is strictly increasing", ("id", (2, 2))),
    ("price * qty == total", ("total", (1, 26.0))),
    ("total / qty >= price - 0.5", ("total", (3, 10.0))),
    ("price is float", ("dtype", "price")),
    ("qty is integer", ("dtype", "qty")),
    ("email is string", ("dtype", "email")),
    ("flag is boolean", ("dtype", "flag")),
    ("start is datetime", ("dtype", "start")),
    ("country is category", ("dtype", "country")),
    ("type of qty is \"Int64\"", ("dtype", "qty")),
    ("min of price >= 10", ("price", (0, 1.0))),
    ("max of price <= 20", ("price", (0, 99.0))),
    ("mean of price between 10 and 20", ("price", (0, 1000.0))),
    ("median of price < 15", ("price", (1, 100.0))),
    ("std of price <= 5", ("price", (0, 1000.0))),
    ("sum of total == 160", ("total", (0, 11.0))),
    ("quantile 0.5 of price <= 14", ("price", (1, 100.0))),
    ("distinct count of country == 2", ("country", (0, "US"))),
    ("unique fraction of id == 1", ("id", (1, 1))),
    ("id > 0 mostly 0.75", ("id", (slice(0, 2), -1))),
]


def _break(df: pd.DataFrame, how: tuple[str, object]) -> pd.DataFrame:
    col, change = how
    bad = df.copy()
    if col == "dup":
        return pd.concat([bad, bad.iloc[[0]]], ignore_index=True)
    if col == "dtype":
        bad[change] = pd.Series([1, "a", 2.0, None], dtype=object)  # type: ignore[index]
        return bad
    row, value = change  # type: ignore[misc]
    if isinstance(bad[col].dtype, pd.CategoricalDtype):
        bad[col] = bad[col].cat.add_categories([value])
    if isinstance(value, int) and bad[col].dtype.kind == "f":
        value = float(value)
    bad.loc[row, col] = value
    return bad


@pytest.mark.parametrize(("rule", "how"), CASES, ids=[c[0] for c in CASES])
def test_rule_passes_on_good_and_fails_on_broken_data(good: pd.DataFrame, rule: str, how: object) -> None:
    ok = check(good, rule)
    assert ok.status == "pass", (rule, ok.message)  # type: ignore[attr-defined]
    if how is None:
        return
    res = check(_break(good, how), rule)  # type: ignore[arg-type]
    assert res.status == "fail", (rule, res.message)  # type: ignore[attr-defined]


def test_table_rules_fail_with_reason(good: pd.DataFrame) -> None:
    assert check(good, "columns include id, nope").observed == ["nope"]  # type: ignore[attr-defined]
    assert check(good, "columns exclude id").status == "fail"  # type: ignore[attr-defined]
    exact = check(good[["id", "price"]], "columns are id, qty")
    assert exact.observed == {"missing": ["qty"], "extra": ["price"]}  # type: ignore[attr-defined]
    assert check(good, "rows >= 100").observed == 4  # type: ignore[attr-defined]


def test_failing_samples_carry_row_index_and_are_bounded() -> None:
    df = pd.DataFrame({"x": np.arange(100_000, dtype=float)}, index=np.arange(100_000) + 1000)
    res = check(df, "x < 10")
    assert res.failing == 100_000 - 10  # type: ignore[attr-defined]
    assert len(res.samples) == 5  # type: ignore[attr-defined]
    assert res.samples[0] == {"row": 1010, "value": 10.0}  # type: ignore[attr-defined]
    report = mj.validate(df, "x < 10", warn_only=True, sample=3)
    assert len(report.results[0].samples) == 3
    assert len(report._repr_html_()) < 20_000
    json.dumps(report.to_dict(), allow_nan=False)


def test_mostly_uses_the_fraction_of_checked_rows() -> None:
    df = pd.DataFrame({"x": [1, 2, 3, 4, 5, 6, 7, 8, 9, -1, None]})
    assert check(df, "x > 0 mostly 0.9").status == "pass"  # type: ignore[attr-defined]
    assert check(df, "x > 0 mostly 0.95").status == "fail"  # type: ignore[attr-defined]


# -- hard data (RELIABILITY.md, Validation) ------------------------------------------
def test_empty_frame_row_rules_pass_aggregates_fail() -> None:
    df = pd.DataFrame({"x": pd.Series([], dtype=float), "s": pd.Series([], dtype="str")})
    report = mj.validate(df, "x between 0 and 1\nx is not null\nx is unique\nmean of x > 0\n"
                             "null fraction of x <= 0.1\nrows >= 1", warn_only=True)
    status = [r.status for r in report.results]
    assert status == ["pass", "pass", "pass", "fail", "fail", "fail"]
    assert "0 rows" in report.results[0].message
    assert "no observed value" in report.results[3].message


@pytest.mark.parametrize("dtype", [float, object, "Float64", "str"])
def test_all_null_column(dtype: object) -> None:
    df = pd.DataFrame({"x": pd.Series([None, None, None], dtype=dtype)})  # type: ignore[call-overload]
    report = mj.validate(df, "x > 0\nx is not null\nmean of x > 0\nnull fraction of x <= 0.5\n"
                             "distinct count of x == 0\nx in {1}", warn_only=True)
    by = {r.line: r for r in report.results}
    assert by[1].status == "pass" and by[1].checked == 0  # nulls are skipped by row rules
    assert by[2].status == "fail" and by[2].failing == 3
    assert by[3].status == "fail" and "no observed value" in by[3].message
    assert by[4].observed == 1.0 and by[4].status == "fail"
    assert by[5].status == "pass"
    assert by[6].status == "pass"
    assert all(r.status != "error" for r in report.results)


def test_nan_none_and_na_are_missing_inf_fails() -> None:
    df = pd.DataFrame({
        "f": [1.0, np.nan, np.inf, -np.inf],
        "o": pd.Series([1.0, None, pd.NA, np.nan], dtype=object),
        "n": pd.array([1.0, None, None, 2.0], dtype="Float64"),
    })
    res = check(df, "f between -1000 and 1000")
    assert (res.checked, res.failing) == (3, 2)  # type: ignore[attr-defined]
    assert {s["value"] for s in res.samples} == {"inf", "-inf"}  # type: ignore[attr-defined]
    assert check(df, "o > 0").checked == 1  # type: ignore[attr-defined]
    assert check(df, "null fraction of o == 0.75").status == "pass"  # type: ignore[attr-defined]
    assert check(df, "n is not null").failing == 2  # type: ignore[attr-defined]
    assert check(df, "mean of f < 10").status == "fail"  # inf mean is never within bounds  # type: ignore[attr-defined]


def test_mixed_type_object_column_is_an_explicit_type_failure() -> None:
    df = pd.DataFrame({"m": pd.Series([1, "2", 3.5, None, "abc"], dtype=object)})
    res = check(df, "m >= 0")
    assert res.status == "fail"  # type: ignore[attr-defined]
    assert res.failing == 2 and "wrong type" in res.message  # type: ignore[attr-defined]
    agg = check(df, "mean of m > 0")
    assert agg.status == "fail" and "not numbers" in agg.message  # type: ignore[attr-defined]
    assert check(df, "m is numeric").status == "fail"  # type: ignore[attr-defined]
    assert check(df, 'm matches "."').failing == 2  # type: ignore[attr-defined]


def test_huge_categorical_and_many_distinct_values_are_bounded() -> None:
    n = 300_000
    cats = pd.Categorical([f"v{i}" for i in range(n)])
    df = pd.DataFrame({"c": cats, "k": np.arange(n) % 200_000})
    res = check(df, 'c in {"v1", "v2"}')
    assert res.failing == n - 2 and len(res.samples) == 5  # type: ignore[attr-defined]
    uniq = check(df, "k is unique")
    assert uniq.failing == 200_000 and len(uniq.samples) == 5  # type: ignore[attr-defined]
    assert check(df, 'c matches "^v[0-9]+$"').status == "pass"  # type: ignore[attr-defined]


def test_missing_column_fails_and_other_rules_still_run() -> None:
    df = pd.DataFrame({"price": [1.0, 2.0]})
    report = mj.validate(df, "prise > 0\nprice > 0", warn_only=True)
    first, second = report.results
    assert first.status == "fail" and "did you mean 'price'" in first.message
    assert second.status == "pass"


def test_rule_that_raises_is_recorded_and_others_run() -> None:
    df = pd.DataFrame({"x": pd.Series([1, "b"], dtype=object), "y": [1, 2]})  # 1 < "b" raises
    report = mj.validate(df, "x is increasing\ny > 0", warn_only=True)
    assert report.results[0].status == "error" and "TypeError" in report.results[0].message
    assert report.results[1].status == "pass"
    assert not report.ok


def test_failure_raises_validation_failed_with_report() -> None:
    df = pd.DataFrame({"x": [1, -1]})
    with pytest.raises(ValidationFailed) as info:
        mj.validate(df, "x > 0")
    assert info.value.report.results[0].failing == 1
    assert info.value.exit_code == 1
    assert "line 1" in info.value.one_line()


def test_report_views(good: pd.DataFrame) -> None:
    bad = good.copy()
    bad.loc[0, "price"] = -3.0
    report = mj.validate(bad, "price > 0\nid is unique", warn_only=True)
    html = report._repr_html_()
    assert html.index("price &gt; 0") < html.index("id is unique")  # failed first
    assert "<details>" in html and "<summary>1 passed rules</summary>" in html
    text = str(report)
    assert text.splitlines()[0].startswith("validation 'rules' FAILED")
    frame = report.to_frame()
    assert list(frame["status"]) == ["fail", "pass"]
    assert report.failures_frame().iloc[0]["row"] == 0


# -- rule-language errors -----------------------------------------------------------
@pytest.mark.parametrize(("text", "fragment"), [
    ("x > 0\nprice betwen 0 and 10", "line 2: unknown rule"),
    ("x > 0\n\nemail matches \"([a-z]\"", "line 3: bad regular expression"),
    ("pr!ce > 0", "line 1: unexpected character '!'"),
    ("price is purple", "line 1: unknown property after 'is'"),
    ("mean of price > 0 mostly 0.9", "line 1: 'mostly' applies only to row rules"),
    ("price > 0 mostly 2", "line 1: 'mostly' needs a fraction"),
    ("between > 3", "line 1: 'between' is a keyword"),
    ("(a + b) matches \"x\"", "line 1: 'matches' needs a single column"),
    ("columns shuffle a", "line 1: expected 'columns include"),
    ("price > \"abc\"", None),
])
def test_rule_errors_are_one_line_and_name_the_line(text: str, fragment: str | None) -> None:
    if fragment is None:  # parses, but comparing numbers and text is an error at check time
        res = check(pd.DataFrame({"price": [1.0]}), text)
        assert res.status == "error"  # type: ignore[attr-defined]
        return
    with pytest.raises(RuleError) as info:
        parse_rules(text)
    line = info.value.one_line()
    assert fragment in line and "\n" not in line


def test_unknown_rule_suggests_the_keyword() -> None:
    with pytest.raises(RuleError) as info:
        parse_rules("price betwen 0 and 10")
    assert info.value.hint == "did you mean 'between'?"


def test_comments_blank_lines_and_backquoted_names() -> None:
    df = pd.DataFrame({"unit price": [1.0, 2.0], "rows": [1, 2]})
    rules = parse_rules("# prices\n\n`unit price` > 0  # inline comment\n`rows` >= 1\n")
    assert [r.line for r in rules] == [3, 4]
    assert all(r.status == "pass" for r in run_rules(df, rules))


def test_no_code_is_evaluated() -> None:
    with pytest.raises(RuleError):
        parse_rules("__import__('os').system('echo hi') > 0")


@pytest.mark.parametrize("dtype", ["str", "string[python]", object])
def test_text_rules_agree_across_string_storages(dtype: object) -> None:
    df = pd.DataFrame({"s": pd.Series(["ab1", "xyz", None, "é", "abc"], dtype=dtype)})  # type: ignore[call-overload]
    assert check(df, 's matches "^[a-z]+[0-9]$"').failing == 3  # type: ignore[attr-defined]
    assert check(df, "length of s between 2 and 3").failing == 1  # type: ignore[attr-defined]
    # a Python-only regex feature (lookbehind) still works on Arrow-backed text
    assert check(df, 's matches "(?<=a)b"').failing == 2  # type: ignore[attr-defined]


def test_datetime_bounds_follow_the_column_time_zone() -> None:
    ts = pd.Series(pd.to_datetime(["2021-01-01 10:00", "2021-06-01 10:00"]).tz_localize("Europe/Paris"))
    df = pd.DataFrame({"ts": ts, "txt": ["2021-01-01", "2030-01-01"]})
    assert check(df, 'ts between "2021-01-01" and "2021-12-31"').status == "pass"  # type: ignore[attr-defined]
    assert check(df, 'ts < "2021-03-01"').failing == 1  # type: ignore[attr-defined]
    assert check(df, 'txt between "2020-01-01" and "2025-01-01"').failing == 1  # type: ignore[attr-defined]
    assert check(df, "ts is not in the future").status == "pass"  # type: ignore[attr-defined]


def test_undefined_arithmetic_fails_but_missing_inputs_are_skipped() -> None:
    df = pd.DataFrame({"a": [0.0, 1.0, np.nan, 2.0], "b": [0.0, 2.0, 1.0, 0.0]})
    res = check(df, "a / b between 0 and 1")  # 0/0 = NaN fails, 2/0 = inf fails, NaN input skipped
    assert (res.checked, res.failing) == (3, 2)  # type: ignore[attr-defined]
    assert check(df, "a / b <= 1").failing == 2  # type: ignore[attr-defined]


def test_string_length_counts_characters_not_bytes() -> None:
    ascii_df = pd.DataFrame({"s": pd.Series(["ab", "abcd", None], dtype="str")})
    assert check(ascii_df, "length of s between 2 and 3").failing == 1  # type: ignore[attr-defined]
    utf8 = pd.DataFrame({"s": pd.Series(["éé", "日本語", "abcd"], dtype="str")})
    assert check(utf8, "length of s between 2 and 3").failing == 1  # type: ignore[attr-defined]
    sliced = pd.DataFrame({"s": pd.Series(["日本語日本語", "ab", "abc"], dtype="str")}).iloc[1:]
    assert check(sliced, "length of s <= 3").failing == 0  # type: ignore[attr-defined]


def test_wide_tables_keep_the_report_bounded() -> None:
    df = pd.DataFrame(np.zeros((2, 5000)), columns=[f"c{i}" for i in range(5000)])
    res = check(df, "columns are a, b")
    assert res.observed["extra"][-1] == "… 4950 more"  # type: ignore[attr-defined]
    assert len(res.message) <= 1100  # type: ignore[attr-defined]
    report = mj.validate(df, "\n".join(f"c{i} >= 0" for i in range(300)), warn_only=True)
    assert len(report.results) == 300 and "100 more rules" in report._repr_html_()
