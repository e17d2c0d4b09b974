"""Rule kinds added by issue 13: each passes on good data, fails on broken data with a
message that says why, shows in the text and HTML report, and round-trips through a suite."""

from __future__ import annotations

import html
import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import mlops_jupyter as mj
from mlops_jupyter.errors import RuleError
from mlops_jupyter.validation.engine import run_rules
from mlops_jupyter.validation.language import parse_rules


def check(df: pd.DataFrame, rule: str) -> object:
    (result,) = run_rules(df, parse_rules(rule))
    return result


def verdict(df: pd.DataFrame, rule: str) -> str:
    return check(df, rule).status  # type: ignore[attr-defined]


def in_reports(df: pd.DataFrame, rule: str, fragment: str) -> None:
    """The rule's line in the text and the HTML report carries ``fragment``."""
    report = mj.validate(df, rule, warn_only=True)
    assert fragment in str(report), str(report)
    assert fragment in html.unescape(report._repr_html_())


# -- sets of distinct values -----------------------------------------------------------
def test_distinct_value_sets() -> None:
    df = pd.DataFrame({"c": pd.Categorical(["FR", "DE", "FR", None]), "n": [1, 2, 2, 3]})
    assert verdict(df, 'distinct values of c contain all of {"FR", "DE"}') == "pass"
    assert verdict(df, 'distinct values of c contain {"FR"}') == "pass"
    res = check(df, 'distinct values of c contain {"FR", "US"}')
    assert res.status == "fail" and res.observed == ["US"]  # type: ignore[attr-defined]
    assert verdict(df, 'distinct values of c are {"DE", "FR"}') == "pass"
    res = check(df, 'distinct values of c are {"FR", "IT"}')
    assert res.observed == {"missing": ["IT"], "extra": ["DE"]}  # type: ignore[attr-defined]
    assert verdict(df, 'distinct values of c are within {"FR", "DE", "IT"}') == "pass"
    assert verdict(df, 'distinct values of c are within {"FR"}') == "fail"
    assert verdict(df, "distinct values of n are {1, 2, 3.0}") == "pass"  # numbers compare as numbers
    in_reports(df, 'distinct values of c contain {"FR", "US"}', "1 of 2 values never occur")
    with pytest.raises(RuleError):
        parse_rules("distinct values of c are {null}")


def test_most_common_value_in_a_set() -> None:
    df = pd.DataFrame({"c": ["a", "a", "b", None, None, None]})
    res = check(df, 'most common value of c in {"a"}')
    assert res.status == "pass" and res.observed == "a"  # type: ignore[attr-defined]
    assert verdict(df, 'most common value of c in {"b"}') == "fail"
    tie = pd.DataFrame({"c": ["a", "b"]})
    assert verdict(tie, 'most common value of c in {"a"}') == "fail"  # every tied value must be in
    assert verdict(tie, 'most common value of c is in {"a", "b"}') == "pass"
    assert "no observed value" in check(pd.DataFrame({"c": [None]}), 'most common value of c in {"a"}').message  # type: ignore[attr-defined]
    in_reports(df, 'most common value of c in {"b"}', "most common: 'a' (2 of 3 values)")


def test_distinct_sets_on_many_values_are_bounded() -> None:
    df = pd.DataFrame({"k": np.arange(300_000)})
    res = check(df, "distinct values of k are within {1, 2}")
    assert res.status == "fail" and len(res.observed) == 51  # type: ignore[attr-defined]
    assert len(res.message) <= 1000  # type: ignore[attr-defined]


# -- conditional rules -------------------------------------------------------------------
def test_where_restricts_any_rule_to_matching_rows() -> None:
    df = pd.DataFrame({
        "status": ["paid", "paid", "free", "free", None],
        "price": [10.0, 12.0, 0.0, -1.0, -5.0],
        "country": ["FR", "DE", "FR", "FR", "FR"],
    })
    assert verdict(df, "price > 0") == "fail"
    res = check(df, 'price > 0 where status == "paid"')
    assert res.status == "pass" and res.checked == 2  # type: ignore[attr-defined]
    assert "2 of 5 rows" in res.message  # type: ignore[attr-defined]
    assert verdict(df, 'price >= 0 where status == "free"') == "fail"
    assert verdict(df, 'price >= 0 where status == "free" mostly 0.5') == "pass"
    assert verdict(df, 'price >= 0 mostly 0.5 where status == "free"') == "pass"  # modifiers before 'where'
    assert verdict(df, 'price >= 0, nulls fail where status == "free"') == "fail"
    assert verdict(df, 'price > 0 where status in {"paid"} and country == "FR"') == "pass"
    assert verdict(df, 'mean of price == 11 where status == "paid"') == "pass"  # aggregates too
    assert verdict(df, 'rows == 2 where status == "free"') == "pass"
    assert verdict(df, 'country is unique where status == "paid"') == "pass"
    samples = check(df, 'price > 0 where status == "free"').samples  # type: ignore[attr-defined]
    assert [s["row"] for s in samples] == [2, 3]  # the original row labels
    missing = check(df, 'price > 0 where stat == "paid"')
    assert missing.status == "fail" and "did you mean 'status'" in missing.message  # type: ignore[attr-defined]
    in_reports(df, 'price >= 0 where status == "free"', 'where status == "free": 2 of 5 rows')
    with pytest.raises(RuleError):
        parse_rules("price > 0 where")
    with pytest.raises(RuleError):
        parse_rules("price > 0 where id is unique")


# -- table shape ---------------------------------------------------------------------------
def test_table_shape_rules() -> None:
    df = pd.DataFrame({"id": [1], "feat_a": [0.1], "feat_b": [0.2]})
    assert verdict(df, "column count == 3") == "pass"
    assert verdict(df, "column count between 4 and 10") == "fail"
    assert check(df, "column count >= 4").observed == 3  # type: ignore[attr-defined]
    assert verdict(df, "columns are exactly id, feat_b, feat_a") == "pass"  # a set: order free
    assert verdict(df, "columns in order id, feat_a, feat_b") == "pass"
    res = check(df, "columns in order id, feat_b, feat_a")
    assert res.status == "fail" and "position 2 is 'feat_a', expected 'feat_b'" in res.message  # type: ignore[attr-defined]
    assert "missing: x" in check(df, "columns in order id, feat_a, feat_b, x").message  # type: ignore[attr-defined]
    assert verdict(df, 'columns match "^[a-z_]+$"') == "pass"
    res = check(df.rename(columns={"id": "ID"}), 'columns match "^[a-z_]+$"')
    assert res.status == "fail" and res.observed == ["ID"]  # type: ignore[attr-defined]
    in_reports(df, "column count >= 4", "3 columns")
    in_reports(df, 'columns match "^feat"', "1 of 3 names do not match: id")
    with pytest.raises(RuleError):
        parse_rules('column count == "3"')


# -- datetimes, relative bounds ------------------------------------------------------------
def test_datetime_bounds_relative_to_now_and_today() -> None:
    now = pd.Timestamp.now()
    df = pd.DataFrame({"signup": [now - pd.Timedelta(days=10), now - pd.Timedelta(weeks=40)],
                       "ts": [now - pd.Timedelta(hours=30), now - pd.Timedelta(hours=2)]})
    assert verdict(df, "signup >= today - 52 weeks") == "pass"
    res = check(df, "signup >= today - 20 weeks")
    assert res.status == "fail" and res.failing == 1  # type: ignore[attr-defined]
    assert verdict(df, "max(ts) within 1 day of now") == "pass"
    assert verdict(df, "min of ts within 1 day of now") == "fail"
    assert verdict(df, "max of ts >= now - 3 hours") == "pass"
    assert verdict(df, 'min of signup between "2000-01-01" and now') == "pass"
    assert verdict(df, "ts within 1 day of now") == "fail"
    assert verdict(df, "ts within 1 day of now mostly 0.5") == "pass"
    assert verdict(df, "ts <= signup + 1 week") == "fail"  # column arithmetic with durations
    aware = pd.DataFrame({"t": pd.to_datetime([now - pd.Timedelta(minutes=5)]).tz_localize("UTC")})
    assert verdict(aware, "t within 1 hour of now") == "pass"
    assert check(df, "max of ts within 1 day of now").observed.startswith(str(now.year))  # type: ignore[attr-defined]
    in_reports(df, "min of ts within 1 day of now", "min over 2 datetimes; reference")
    assert check(df, "max of ts > 5").status == "error"  # type: ignore[attr-defined]


# -- outliers ------------------------------------------------------------------------------
def test_outliers_by_z_score_and_iqr() -> None:
    rng = np.random.default_rng(0)
    clean = rng.normal(100, 5, 1000)
    df = pd.DataFrame({"x": np.append(clean, [200.0, np.nan])})
    assert verdict(pd.DataFrame({"x": clean}), "x has no outliers by z-score 5") == "pass"
    res = check(df, "x has no outliers by z-score 5")
    assert res.status == "fail" and res.failing == 1 and res.checked == 1001  # type: ignore[attr-defined]
    assert verdict(df, "x has no outliers by z-score 5 mostly 0.99") == "pass"
    res = check(df, "x has no outliers by iqr 3")
    assert res.status == "fail" and res.samples[0]["value"] == 200.0  # type: ignore[attr-defined]
    assert verdict(df, "x has no outliers by iqr") == check(df, "x has no outliers by iqr 1.5").status  # type: ignore[attr-defined]
    assert verdict(pd.DataFrame({"x": [1.0, np.inf, 1.0, 1.0]}), "x has no outliers by iqr") == "fail"
    assert verdict(pd.DataFrame({"x": [1.0]}), "x has no outliers by zscore") == "pass"
    in_reports(df, "x has no outliers by z-score 5", "|z-score| > 5 (mean")
    with pytest.raises(RuleError):
        parse_rules("x has no outliers by z-score 0")


# -- several allowed types -----------------------------------------------------------------
def test_a_column_allowed_several_types() -> None:
    mixed = pd.DataFrame({"v": pd.Series([1, "a", None, 2, "b"], dtype=object)})
    assert verdict(mixed, "v is integer or string") == "pass"
    res = check(mixed.assign(v=pd.Series([1, "a", 2.5, True, None], dtype=object)), "v is integer or string")
    assert res.status == "fail" and res.failing == 2  # type: ignore[attr-defined]
    assert "not integer or string" in res.message  # type: ignore[attr-defined]
    assert verdict(pd.DataFrame({"v": [1.5, 2.0]}), "v is integer or float") == "pass"
    assert verdict(pd.DataFrame({"v": ["x"]}), "v is integer or float") == "fail"
    assert verdict(mixed, "v is float or string mostly 0.5") == "pass"
    in_reports(mixed, "v is float or boolean", "4 values are not float or boolean (dtype object)")


# -- tuples of columns ---------------------------------------------------------------------
def test_pairs_of_columns_in_allowed_combinations() -> None:
    df = pd.DataFrame({"country": ["FR", "DE", "FR", None], "currency": ["EUR", "EUR", "EUR", "USD"],
                       "code": [1, 2, 1, 3]})
    rule = '(country, currency) in {("FR", "EUR"), ("DE", "EUR")}'
    assert verdict(df, rule) == "pass"  # the row with a missing country is skipped
    assert verdict(df, rule + ", nulls fail") == "fail"
    bad = df.assign(currency=["EUR", "USD", "EUR", "USD"])
    res = check(bad, rule)
    assert res.status == "fail" and res.samples == [{"row": 1, "value": {"country": "DE", "currency": "USD"}}]  # type: ignore[attr-defined]
    assert verdict(df, '(code, currency) in {(1, "EUR"), (2.0, "EUR"), (3, "USD")}') == "pass"
    assert verdict(df, '(country, currency) not in {("DE", "USD")}') == "pass"
    in_reports(bad, rule, "1 of 3 rows fail")
    # eight columns of 300 distinct values: too many combinations for one integer key
    wide = pd.DataFrame({f"c{i}": np.arange(300) for i in range(8)})
    names = ", ".join(wide.columns)
    res = check(wide, f"({names}) in {{{', '.join('(' + ', '.join([str(v)] * 8) + ')' for v in range(299))}}}")
    assert res.failing == 1 and res.samples[0]["row"] == 299  # type: ignore[attr-defined]
    with pytest.raises(RuleError) as info:
        parse_rules('(a, b) in {(1, 2, 3)}')
    assert "each tuple needs 2 values" in info.value.one_line()


# -- JSON ----------------------------------------------------------------------------------
SCHEMA = '{"type": "object", "required": ["id"], "properties": {"id": {"type": "integer"}}}'


def test_json_text_and_json_schema(tmp_path: Path) -> None:
    df = pd.DataFrame({"j": ['{"id": 1}', '{"id": 2, "x": [1]}', None]})
    assert verdict(df, "j parses as json") == "pass"
    broken = df.assign(j=['{"id": 1}', "{id: 2}", None])
    assert verdict(broken, "j parses as json") == "fail"
    assert verdict(df, f"j matches json schema '{SCHEMA}'") == "pass"
    wrong = df.assign(j=['{"id": "one"}', '{"x": 1}', "nope"])
    res = check(wrong, f"j matches json schema '{SCHEMA}'")
    assert res.status == "fail" and res.failing == 3  # type: ignore[attr-defined]
    assert "1 value is not JSON" in res.message and "'one' is not of type 'integer'" in res.message  # type: ignore[attr-defined]
    schema_file = tmp_path / "s.json"
    schema_file.write_text(SCHEMA)
    assert verdict(df, f'j matches json schema "{schema_file}"') == "pass"
    docs = pd.DataFrame({"j": pd.Series([{"id": 1}, [1], 5], dtype=object)})
    res = check(docs, "j parses as json")
    assert res.failing == 1 and res.wrong_type == 1  # type: ignore[attr-defined]
    in_reports(wrong, f"j matches json schema '{SCHEMA}'", "at 'id'")
    for bad_schema in ("'{\"type\": 12}'", "'{not json'", '"no/such/file.json"'):
        with pytest.raises(RuleError):
            parse_rules(f"j matches json schema {bad_schema}")


# -- suites round-trip every new kind ----------------------------------------------------
NEW_RULES = [
    'distinct values of c contain all of {"a"}', 'distinct values of c are {"a", "b"}',
    'distinct values of c are within {"a", "b", "z"}', 'most common value of c in {"a"}',
    'n > 0 where c == "a"', "column count == 5", "columns in order c, n, t, j, k",
    'columns match "^[a-z]$"', "t >= today - 520 weeks", "max(t) within 5200 weeks of now",
    "n has no outliers by z-score 4 mostly 0.9", "n has no outliers by iqr 3", "k is integer or string",
    '(c, n) in {("a", 1), ("b", 2), ("a", 3)}', "j parses as json",
    f"j matches json schema '{SCHEMA}'", "n == n, nulls fail",
]


def test_suites_round_trip_the_new_kinds(project: Path) -> None:
    df = pd.DataFrame({"c": ["a", "b", "a"], "n": [1, 2, 3],
                       "t": pd.to_datetime(["2024-01-01", "2025-01-01", "2026-01-01"]),
                       "j": ['{"id": 1}', '{"id": 2}', '{"id": 3}'],
                       "k": pd.Series([1, "x", 2], dtype=object)})
    mj.save_suite("\n".join(NEW_RULES), "kinds")
    loaded = mj.load_suite("kinds")
    assert loaded.rules == NEW_RULES
    report = mj.validate(df, suite="kinds", warn_only=True)
    assert report.ok, str(report)
    json.dumps(report.to_dict(), allow_nan=False)


def test_inference_proposes_types_and_json() -> None:
    df = pd.DataFrame({"k": pd.Series([1, "x", 2, "y"] * 10, dtype=object),
                       "j": [json.dumps({"id": i, "tags": ["a"] * (i % 3)}) for i in range(40)]})
    suite = mj.infer_suite(df)
    assert "k is integer or string" in suite.rules and "j parses as json" in suite.rules
    assert mj.validate(df, suite=suite).ok
    broken = df.copy()
    broken.loc[3, "k"] = 2.5
    broken.loc[5, "j"] = "{'id': 5}"
    failed = {r.rule for r in mj.validate(broken, suite=suite, warn_only=True).failed}
    assert {"k is integer or string", "j parses as json"} <= failed


def test_builders_are_the_python_twin_of_each_phrase() -> None:
    from mlops_jupyter.validation import builders as rb

    assert rb.distinct_values("c", within=["a", "b"]) == 'distinct values of c are within {"a", "b"}'
    assert rb.most_common_value("c", ["a"]) == 'most common value of c in {"a"}'
    assert rb.where("price > 0 mostly 0.9", status="paid") == 'price > 0 mostly 0.9 where status == "paid"'
    assert rb.column_count(">=", 3) == "column count >= 3"
    assert rb.columns_exactly(["a", "unit price"], ordered=True) == "columns in order a, `unit price`"
    assert rb.columns_match("^[a-z_]+$") == 'columns match "^[a-z_]+$"'
    assert rb.within("max(ts)", "1 day", "now") == "max(ts) within 1 day of now"
    assert rb.no_outliers("x", "iqr", 3, mostly=0.99) == "x has no outliers by iqr 3 mostly 0.99"
    assert rb.types("k", "integer", "string") == "k is integer or string"
    assert rb.combinations(["a", "b"], [(1, "x"), (2, None)]) == '(a, b) in {(1, "x"), (2, null)}'
    assert rb.parses_as_json("j") == "j parses as json"
    schema = {"type": "object", "properties": {"name": {"pattern": "^O'\\d"}}}
    text = rb.matches_json_schema("j", schema)
    (rule,) = parse_rules(text)
    assert rule.schema == schema  # quotes and backslashes survive the round trip
    df = pd.DataFrame({"c": ["a", "b"], "price": [1.0, -1.0], "status": ["paid", "free"]})
    assert mj.validate(df, rules=[rb.distinct_values("c", equal={"a", "b"}),
                                  rb.where("price > 0", status="paid")]).ok
    with pytest.raises(RuleError):
        rb.column_count(between=(5, 1))
    with pytest.raises(TypeError):
        rb.distinct_values("c")
