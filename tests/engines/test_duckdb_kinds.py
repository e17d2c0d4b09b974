"""Parity of the rule kinds compiled in engines/sqlkinds.py: pandas vs DuckDB (Spark in
test_spark.py): increasing/decreasing, outliers, several types, tuple sets, JSON text,
not in the future, now/today bounds, distinct-value sets and most common values."""

from __future__ import annotations

import json
from typing import Any

import numpy as np
import pandas as pd
import pytest

pytest.importorskip("duckdb")

import mlops_jupyter as mj
from mlops_jupyter.errors import RuleError

from .test_duckdb_validate import _close, frame

# JSON texts where DuckDB's own parser and json.loads disagree (trailing commas, nan/inf
# spellings, lone surrogates), next to ones they agree on
JSON_CASES = ['{"a": 1}', "[1,]", "NaN", "-NaN", "nan", "inf", "[-Infinity]", "-infinity", '"\\ud800"',
              '"\\\\ud800"', '{"a": [1, 2,]}', '["a,]", 1]', '["a\\",]"]', "x", "1 2", "{}", '{"a":1 , }',
              "[1e5, 2E-3]", "trueNaN", '{"NaN": NaN}', "1.", "[01]", " 1 ", "\x0b1", '"a\tb"', '"\x7f"']

RULES = """\
seq is increasing
seq is strictly increasing
day is increasing
email is increasing
qty is decreasing
qty is strictly decreasing mostly 0.5
seq is increasing where qty > 1
price has no outliers by z-score
price has no outliers by z-score 1
price has no outliers by iqr 0.5
price has no outliers by iqr 0.5 mostly 0.8
price has no outliers by z-score 1 where country in {"FR"}
email has no outliers by iqr
price is float or string
price is integer or string
email is string or integer
(store, country) in {("s1", "FR"), ("s2", "DE")}
(store, country) not in {("s1", "FR")}
(qty, store) in {(1, "s1"), (2, "s2"), (3, "s1")}
(qty, store) in {(1, "s1")} where price > 20
doc parses as json
price parses as json
day is not in the future
qty is not in the future
day <= now
day >= today - 1000 weeks
day between "2024-01-01" and now
day < today - 1 day where qty > 2
distinct values of country contain {"FR", "IT"}
distinct values of country contain all of {"FR", "DE"}
distinct values of country are {"FR", "DE", "US"}
distinct values of country are within {"FR", "DE"}
distinct values of qty are within {1, 2, 3}
distinct values of id are {1, 2}
distinct values of store are {"s1", "s2"} where qty > 1
most common value of country in {"FR"}
most common value of qty in {1}
most common value of store in {"s1"}
most common value of store in {"s1"} where country in {"DE"}
most common value of doc in {"x"}
max of day within 1000 weeks of now
day within 3 days of "2024-01-05"
day within 1000 weeks of now
end within 36 hours of day
end within 1.5 days of day mostly 0.5
qty within 1 day of now
min of day < today
"""


def kinds_frame() -> pd.DataFrame:
    df = frame()
    df["doc"] = ['{"a": 1}', "[1,]", "NaN", None, '"\\ud800"', '{"a": [1, 2,]}', "x", '{"s": "a,]"}', "1 2", "{}",
                 '{"a":1,}', "[]"]
    df["seq"] = [1, 2, 2, np.nan, 5, 4, 6, 7, 7, 9, 1, 12.0]
    df["end"] = (df["day"] + pd.to_timedelta([1, 30, 36, 37, 0, 2, 48, 12, 35.5, 36.000001, 100, 1], unit="h")).astype(
        "datetime64[us]")  # Spark reads microsecond Parquet timestamps, not nanoseconds
    return df


@pytest.fixture(scope="module")
def parquet(tmp_path_factory: pytest.TempPathFactory) -> str:
    path = tmp_path_factory.mktemp("kinds") / "orders.parquet"
    kinds_frame().to_parquet(path, index=False)
    return str(path)


def same_results(pd_rep: mj.ValidationReport, other: mj.ValidationReport, engine: str) -> None:
    """The parity contract: verdict, counts, observed values, messages and samples."""
    assert len(pd_rep.results) == len(other.results)
    for p, o in zip(pd_rep.results, other.results, strict=True):
        where = f"rule '{p.rule}': pandas {p.status} {p.message!r} / {engine} {o.status} {o.message!r}"
        assert (p.status, p.kind) == (o.status, o.kind), where
        assert (p.failing, p.checked, p.wrong_type) == (o.failing, o.checked, o.wrong_type), where
        timed = "reference 20" in p.message  # now is read when each engine runs the rule
        if "(dtype " not in p.message and not timed:  # dtype names differ by engine
            assert _close(p.observed, o.observed), where
            assert p.message == o.message, where
        assert p.samples == o.samples, where


def test_new_kinds_same_on_pandas_and_duckdb(parquet: str) -> None:
    pd_rep = mj.validate(pd.read_parquet(parquet), RULES, warn_only=True, sample=3)
    db_rep = mj.validate(parquet, RULES, warn_only=True, sample=3, engine="duckdb")
    same_results(pd_rep, db_rep, "duckdb")
    assert sum(not r.ok for r in db_rep.results) >= 20 and sum(r.ok for r in db_rep.results) >= 10


def test_json_text_judged_like_json_loads(tmp_path) -> None:
    def loads(text: str) -> bool:
        try:
            json.loads(text)
        except ValueError:
            return False
        return True

    df = pd.DataFrame({"doc": JSON_CASES})
    df.to_parquet(tmp_path / "j.parquet", index=False)
    rep = mj.validate(str(tmp_path / "j.parquet"), "doc parses as json", warn_only=True, sample=100, engine="duckdb")
    failing = {s["row"] for s in rep.results[0].samples}
    assert failing == {i for i, t in enumerate(JSON_CASES) if not loads(t)}
    assert 5 <= len(failing) < len(JSON_CASES) - 5


def test_monotonic_follows_file_order_across_files_and_row_groups(tmp_path) -> None:
    # the row position is the files' order (sorted paths), then the rows inside each file
    x = np.arange(30_000, dtype=np.int64)
    x[25_000] = -1  # one step back, in the second file, past several row groups
    pd.DataFrame({"x": x[:20_000]}).to_parquet(tmp_path / "a.parquet", index=False, row_group_size=3000)
    pd.DataFrame({"x": x[20_000:]}).to_parquet(tmp_path / "b.parquet", index=False, row_group_size=3000)
    rep = mj.validate(str(tmp_path), "x is increasing", warn_only=True)
    assert rep.results[0].failing == 1 and rep.results[0].samples == [{"row": 25_000, "value": -1}]


def test_still_refused_with_the_reason(tmp_path) -> None:
    nowhere = str(tmp_path / "nothing-here")
    for text, why in [("day parses as datetime", "parsing text as datetimes"),
                      ('doc matches json schema \'{"type": "object"}\'', "JSON Schema"),
                      ('type of day is "datetime64[ns]"', "names a pandas dtype"),
                      ("day <= day + 3 days", "a column plus or minus a duration"),
                      ("price > 0 where price has no outliers by iqr", "one row at a time")]:
        with pytest.raises(RuleError, match=why):
            mj.validate(nowhere, text, engine="duckdb")


def test_text_dates_refused_at_plan_time(tmp_path) -> None:
    pd.DataFrame({"when": ["2024-01-01", "soon"], "n": [1, 2]}).to_parquet(tmp_path / "d.parquet", index=False)
    for text in ("when is not in the future", "when within 1 day of now"):
        with pytest.raises(RuleError, match="reading text as datetimes follows pandas' parser"):
            mj.validate(str(tmp_path / "d.parquet"), text, engine="duckdb")


def test_distinct_sets_bounded(tmp_path, monkeypatch: pytest.MonkeyPatch) -> None:
    from mlops_jupyter.engines import sqlkinds

    pd.DataFrame({"k": np.arange(50)}).to_parquet(tmp_path / "k.parquet", index=False)
    monkeypatch.setattr(sqlkinds, "DISTINCT_MAX", 10)
    with pytest.raises(RuleError, match="more than 10 distinct values"):
        mj.validate(str(tmp_path / "k.parquet"), "distinct values of k are within {1, 2}", engine="duckdb")
    with pytest.raises(RuleError, match="more than 10 values tied"):
        mj.validate(str(tmp_path / "k.parquet"), "most common value of k in {1}", engine="duckdb")
    assert mj.validate(str(tmp_path / "k.parquet"), "distinct count of k == 50", engine="duckdb").ok


def test_json_predicate_agrees_with_json_loads_on_generated_text() -> None:
    """Property: the compiled predicate judges any text as json.loads does (random strings
    over JSON's own characters, and real JSON documents with edits)."""
    from hypothesis import given, settings
    from hypothesis import strategies as st

    from mlops_jupyter.engines.sqlkinds import _json
    from mlops_jupyter.engines.sqlrules import Compiler
    from mlops_jupyter.validation.rule import Rule

    ok, _ = _json(Compiler({"x": "VARCHAR"}), Rule("json", "x parses as json", 1, column="x"))
    con = duckdb_connect()
    chars = '[]{},:"\\ 0123456789eE.-+tfnNaIiyulrsu\u00e9\t\nd8'
    scalars = st.none() | st.booleans() | st.floats(allow_nan=True) | st.integers() | st.text(max_size=5)
    docs = st.recursive(scalars, lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=3), inner, max_size=3),
                        max_leaves=6).map(json.dumps)
    edited = st.tuples(docs, st.integers(0, 40), st.sampled_from([",", "", " ", "]", "}", '"', "\\", "NaN", "-"])).map(
        lambda t: t[0][: t[1]] + t[2] + t[0][t[1]:])

    @settings(max_examples=150, deadline=None, database=None)
    @given(st.lists(st.text(alphabet=chars, max_size=10) | docs | edited, min_size=1, max_size=20))
    def agree(texts: list[str]) -> None:
        got = [r[0] for r in con.execute(f"SELECT {ok} FROM (SELECT unnest(?) AS x)", [texts]).fetchall()]
        assert got == [_loads(t) for t in texts], [(t, g) for t, g in zip(texts, got, strict=True) if g != _loads(t)]

    agree()


def _loads(text: str) -> bool:
    try:
        json.loads(text)
    except (ValueError, RecursionError):
        return False
    return True


def duckdb_connect() -> Any:
    import duckdb

    return duckdb.connect()
