"""Parity of the rule language on pandas and DuckDB: same verdicts, same counts, same samples."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

pytest.importorskip("duckdb")

import mlops_jupyter as mj
from mlops_jupyter.errors import DataError, RuleError

RULES = """\
id is unique
(store, day) is unique
no duplicate rows
price between 0 and 100
price strictly between 0 and 100
price > 0
price * qty == total
price * qty == total mostly 0.9
qty >= 1, nulls fail
qty % 2 == 0
-price < 0
price within 5 of 50
price <= total where qty > 1
price <= total where qty > 1 and country in {"FR", "DE"}
email is not null
email matches "^[^@]+@[^@]+$"
email does not match "example"
length of email <= 12
country in {"FR", "DE"}
country not in {"US"}
qty in {1, 2, 3}
store == "s1"
day >= "2024-01-03"
day between "2024-01-02" and "2024-01-05"
price matches "x"
rows >= 10
rows between 1 and 5
column count == 8
columns include id, price, nope
columns exclude debug
columns match "^[a-z]+$"
price is float
qty is integer
id is numeric
country is string
day is datetime
min of price >= 0
max of price <= 100
mean of price between 10 and 60
median of price > 20
quantile 0.9 of price < 90
std of price > 1
sum of qty > 5
null fraction of email <= 0.1
distinct count of country == 3
unique fraction of id == 1
mean of country > 1
max of day <= "2024-01-05"
min of day >= "2024-01-01"
mean of price > 10 where country in {"FR"}
rows >= 3 where qty > 1
missing_col > 0
"""


def frame() -> pd.DataFrame:
    n = 12
    rng = np.random.default_rng(3)
    price = rng.uniform(0, 120, n).round(2)
    price[2] = np.nan
    price[5] = np.inf
    price[7] = 0.0
    qty = rng.integers(1, 5, n).astype(float)
    qty[4] = np.nan
    total = price * qty
    total[1] += 0.5
    email = np.array([f"u{i}@example.com" if i % 3 else f"user{i}" for i in range(n)], dtype=object)
    email[6] = None
    country = np.array(["FR", "DE", "US", "FR", "DE", None, "FR", "DE", "FR", "US", "FR", "DE"], dtype=object)
    df = pd.DataFrame({
        "id": [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 10, 11],
        "store": ["s1", "s2"] * 6,
        "day": pd.date_range("2024-01-01", periods=n, freq="D").values[[0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 9, 11]],
        "price": price, "qty": qty, "total": total, "email": email, "country": country,
    })
    df.loc[11] = df.loc[10]  # a duplicate row
    return df


@pytest.fixture(scope="module")
def parquet(tmp_path_factory: pytest.TempPathFactory) -> str:
    path = tmp_path_factory.mktemp("engines") / "orders.parquet"
    frame().to_parquet(path, index=False)
    return str(path)


def _close(a: object, b: object) -> bool:
    if isinstance(a, float) and isinstance(b, float):
        return math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-12) or (math.isnan(a) and math.isnan(b))
    return a == b


def test_every_rule_same_on_pandas_and_duckdb(parquet: str) -> None:
    df = pd.read_parquet(parquet)
    pd_rep = mj.validate(df, RULES, warn_only=True, sample=3)
    db_rep = mj.validate(parquet, RULES, warn_only=True, sample=3, engine="duckdb")
    assert db_rep.rows == pd_rep.rows == 12 and db_rep.columns == pd_rep.columns == 8
    assert len(pd_rep.results) == len(db_rep.results)
    for p, d in zip(pd_rep.results, db_rep.results, strict=True):
        where = f"rule '{p.rule}': pandas {p.status} {p.message!r} / duckdb {d.status} {d.message!r}"
        assert p.status == d.status, where
        assert (p.failing, p.checked, p.wrong_type) == (d.failing, d.checked, d.wrong_type), where
        if p.kind != "dtype" and "(dtype " not in p.message:  # dtype names differ by engine
            assert _close(p.observed, d.observed), where
            assert p.message == d.message, where
        assert p.samples == d.samples, where
    assert sum(not r.ok for r in db_rep.results) >= 10  # the suite exercises failures, not only passes


def test_relation_and_folder_inputs_choose_duckdb(parquet: str, tmp_path) -> None:
    import duckdb

    rel = duckdb.read_parquet(parquet)
    rep = mj.validate(rel, "id is unique\nrows == 12", warn_only=True)
    assert [r.status for r in rep.results] == ["fail", "pass"]
    assert "DuckDB relation" in rep.target
    folder = tmp_path / "parts"
    folder.mkdir()
    df = frame()
    df.iloc[:6].to_parquet(folder / "a.parquet", index=False)
    df.iloc[6:].to_parquet(folder / "b.parquet", index=False)
    rep = mj.validate(str(folder), "rows == 12\nid is unique", warn_only=True)
    assert rep.target == str(folder) and rep.rows == 12
    assert rep.results[1].failing == 3  # 10 twice, and the duplicate row: 3 rows with a repeated id


def test_unsupported_rule_refused_before_reading(tmp_path) -> None:
    with pytest.raises(RuleError, match=r"cannot run on the DuckDB engine.*parsing text"):
        mj.validate(str(tmp_path / "nothing-here"), "day parses as datetime", engine="duckdb")
    with pytest.raises(RuleError, match="a column plus or minus a duration is not compiled"):
        mj.validate(str(tmp_path / "x"), "day <= day + 3 days", engine="duckdb")


def test_bad_paths(tmp_path) -> None:
    with pytest.raises(DataError, match="matches no files"):
        mj.validate(str(tmp_path / "*.parquet"), "rows > 0")
    pd.DataFrame({"a": [1, 2]}).to_parquet(tmp_path / "1.parquet")
    pd.DataFrame({"a": ["x", "y"]}).to_parquet(tmp_path / "2.parquet")
    with pytest.raises(DataError, match=r"schema of .*2\.parquet differs"):
        mj.validate(str(tmp_path / "*.parquet"), "rows > 0")


def test_infer_suite_on_duckdb_passes_on_all_rows(tmp_path, monkeypatch: pytest.MonkeyPatch) -> None:
    from mlops_jupyter.engines import infer

    monkeypatch.setattr(infer, "SAMPLE_ROWS", 50)
    rng = np.random.default_rng(0)
    df = pd.DataFrame({"id": np.arange(400), "x": rng.normal(0, 1, 400), "c": rng.choice(["a", "b"], 400)})
    df.loc[399, "x"] = 40.0  # outside any range a 50-row sample proposes
    df.iloc[:200].to_parquet(tmp_path / "a.parquet", index=False)
    df.iloc[200:].to_parquet(tmp_path / "b.parquet", index=False)
    suite = mj.infer_suite(str(tmp_path))
    assert "from 50 of 400 rows" in suite.description
    assert "rows >= 40" in suite.rules and any(r.startswith("c in") for r in suite.rules)
    rep = mj.validate(str(tmp_path), suite=suite)
    assert rep.ok and len(rep.results) == len(suite.rules) >= 4


def test_missing_columns_fail_like_pandas(parquet: str) -> None:
    rules = "nope > 0\nprice > 0 where nope > 1\nmean of nope > 1\nrows > 1 where nope in {1}"
    pd_rep = mj.validate(pd.read_parquet(parquet), rules, warn_only=True)
    db_rep = mj.validate(parquet, rules, warn_only=True, engine="duckdb")
    assert [(r.status, r.message) for r in db_rep.results] == [(r.status, r.message) for r in pd_rep.results]
    assert all("column 'nope' not found" in r.message for r in db_rep.results)


def test_cli_validates_a_glob_on_duckdb(tmp_path) -> None:
    import os
    import subprocess
    import sys
    from pathlib import Path

    data = tmp_path / "d"
    data.mkdir()
    pd.DataFrame({"a": [1, 2, 3]}).to_parquet(data / "1.parquet", index=False)
    pd.DataFrame({"a": [4, -1]}).to_parquet(data / "2.parquet", index=False)
    (tmp_path / "r.yaml").write_text("name: r\nrules:\n- a > 0\n- rows == 5\n")
    root = str(Path(mj.__file__).parents[1])
    env = {**os.environ, "PYTHONPATH": root + os.pathsep + os.environ.get("PYTHONPATH", "")}
    proc = subprocess.run([sys.executable, "-m", "mlops_jupyter", "validate", "d/*.parquet", "--suite", "r.yaml", "--json"],
                          cwd=tmp_path, env=env, capture_output=True, text=True, timeout=60)
    assert proc.returncode == 1, proc.stderr
    import json

    report = json.loads(proc.stdout)
    assert report["rows"] == 5 and [r["status"] for r in report["results"]] == ["fail", "pass"]
    assert report["results"][0]["samples"] == [{"row": 4, "value": -1}]


def test_user_table_named_t_is_not_shadowed() -> None:
    import duckdb

    con = duckdb.connect()
    con.execute("CREATE TABLE t AS SELECT 42 AS answer")
    rel = con.sql("SELECT range AS x FROM range(5)")
    assert mj.validate(rel, "x >= 0\nrows == 5").ok
    assert con.sql("SELECT * FROM t").fetchall() == [(42,)]
