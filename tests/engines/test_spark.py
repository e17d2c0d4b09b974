"""The rule language on Spark local[2]: same verdicts and counts as pandas, nothing collected.

One SparkSession for the module (~10 s to start); the JVM binds loopback only.
"""

from __future__ import annotations

import os
import shutil

import pandas as pd
import pytest

# missing parts are a loud failure, never a silent skip: `make test` installs both
try:
    import pyspark  # noqa: F401
except ImportError:
    pytest.fail("pyspark is missing: `make install` installs the test extra (pyspark)", pytrace=False)
if shutil.which("java") is None:
    pytest.fail("no Java runtime: `make system-deps` installs openjdk-17-jre-headless", pytrace=False)

import mlops_jupyter as mj
from mlops_jupyter.errors import DataError, RuleError

from .test_duckdb_validate import RULES, _close, frame

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def spark():
    os.environ["SPARK_LOCAL_IP"] = "127.0.0.1"
    from pyspark.sql import SparkSession

    session = (SparkSession.builder.master("local[2]").appName("mlops-jupyter-tests")
               .config("spark.ui.enabled", "false").config("spark.driver.host", "127.0.0.1")
               .config("spark.driver.bindAddress", "127.0.0.1").config("spark.sql.session.timeZone", "UTC")
               .config("spark.sql.shuffle.partitions", "2").getOrCreate())
    yield session
    session.stop()


@pytest.fixture(scope="module")
def parquet(tmp_path_factory: pytest.TempPathFactory) -> str:
    path = tmp_path_factory.mktemp("spark") / "orders.parquet"
    frame().to_parquet(path, index=False)
    return str(path)


def test_rules_same_on_pandas_and_spark_without_collecting(spark, parquet: str, monkeypatch) -> None:
    from pyspark.sql import DataFrame

    from mlops_jupyter.engines import spark as engine

    sdf = spark.read.parquet(parquet)
    plans: list[str] = []
    real = engine.SparkSource.__init__

    def spy(self, *a, **k):  # keep the executed plans of the source
        real(self, *a, **k)
        self.plans = plans

    monkeypatch.setattr(engine.SparkSource, "__init__", spy)
    monkeypatch.setattr(DataFrame, "toPandas", lambda self: pytest.fail("toPandas() on the Spark engine"))
    rules = "\n".join(r for r in RULES.splitlines() if not r.startswith(("day ", "max of day", "min of day")))
    rules += '\nday >= "2024-01-03"'  # timestamps compare in the session's time zone (UTC here)
    pd_rep = mj.validate(pd.read_parquet(parquet), rules, warn_only=True, sample=3)
    sp_rep = mj.validate(sdf, rules, warn_only=True, sample=3)
    assert sp_rep.rows == 12 and sp_rep.target == "Spark DataFrame"
    for p, s in zip(pd_rep.results, sp_rep.results, strict=True):
        where = f"rule '{p.rule}': pandas {p.status} {p.message!r} / spark {s.status} {s.message!r}"
        assert p.status == s.status, where
        assert (p.failing, p.checked, p.wrong_type) == (s.failing, s.checked, s.wrong_type), where
        if p.kind != "dtype" and "(dtype " not in p.message:
            assert _close(p.observed, s.observed), where
        assert [x["value"] for x in p.samples] == [x["value"] for x in s.samples], where
    # plan inspection: every query the driver ran is an aggregate or bounded by a limit
    assert plans and all(pl.startswith("Aggregate") or "Limit" in pl.split("\n")[0] or "Limit" in pl[:200]
                         for pl in plans), [pl.split("\n")[0] for pl in plans]


def test_bad_input_on_spark(spark) -> None:
    from pyspark.sql import Row

    nested = spark.createDataFrame([Row(id=1, info=Row(a=1, b="x"))])
    with pytest.raises(DataError, match="column 'info' is nested"):
        mj.validate(nested, "info is not null")
    assert mj.validate(nested, "id > 0").ok  # scalar columns of the same frame still run
    with pytest.raises(RuleError, match="cannot run on the Spark engine"):
        mj.validate(nested, "id is increasing")
    rep = mj.validate(nested, "missing_col > 0", warn_only=True)
    assert "column 'missing_col' not found" in rep.results[0].message


def test_fingerprint_same_for_glob_and_spark_frame(spark, tmp_path) -> None:
    pd.DataFrame({"x": [1, 2]}).to_parquet(tmp_path / "a.parquet", index=False)
    pd.DataFrame({"x": [3]}).to_parquet(tmp_path / "b.parquet", index=False)
    by_glob = mj.fingerprint(str(tmp_path / "*.parquet"))
    assert by_glob.startswith("files-md5:")
    assert mj.fingerprint(spark.read.parquet(str(tmp_path))) == by_glob
    pd.DataFrame({"x": [4]}).to_parquet(tmp_path / "b.parquet", index=False)
    assert mj.fingerprint(str(tmp_path / "*.parquet")) != by_glob


@pytest.mark.parametrize("method", ["auto", "robust", "anderson"])  # the other methods share these summaries
def test_drift_same_numbers_on_spark(spark, tmp_path_factory, method: str) -> None:
    from .test_duckdb_drift import _frame, _same

    d = tmp_path_factory.getbasetemp() / "spark-drift"
    if not d.exists():
        d.mkdir()
        _frame(800, 0.0, 1).to_parquet(d / "ref.parquet", index=False)
        _frame(900, 0.4, 2).to_parquet(d / "cur.parquet", index=False)
    ref, cur = pd.read_parquet(d / "ref.parquet"), pd.read_parquet(d / "cur.parquet")
    p = mj.drift(ref, cur, method=method, record_check=False)
    s = mj.drift(spark.read.parquet(str(d / "ref.parquet")), spark.read.parquet(str(d / "cur.parquet")),
                 method=method, record_check=False)
    for a, b in zip(p.columns, s.columns, strict=True):
        where = f"{method} on {a.column}: pandas {a.status} {a.why!r} / spark {b.status} {b.why!r}"
        assert (a.column, a.kind, a.method, a.status, a.n_ref, a.n_cur) == (b.column, b.kind, b.method, b.status, b.n_ref, b.n_cur), where
        for field in ("statistic", "p_value", "score", "effect"):
            assert _same(getattr(a, field), getattr(b, field)), f"{field}: {where}"


def test_new_kinds_same_on_pandas_and_spark(spark, tmp_path, monkeypatch) -> None:
    from pyspark.sql import DataFrame

    from mlops_jupyter.engines import spark as engine

    from .test_duckdb_kinds import RULES as KINDS
    from .test_duckdb_kinds import kinds_frame

    path = str(tmp_path / "kinds.parquet")
    kinds_frame().to_parquet(path, index=False)
    plans: list[str] = []
    real = engine.SparkSource.__init__

    def spy(self, *a, **k):  # keep the executed plans of the source
        real(self, *a, **k)
        self.plans = plans

    monkeypatch.setattr(engine.SparkSource, "__init__", spy)
    monkeypatch.setattr(DataFrame, "toPandas", lambda self: pytest.fail("toPandas() on the Spark engine"))
    # Spark refuses row order (no order in a frame) and JSON (its parser is laxer than json.loads)
    rules = "\n".join(r for r in KINDS.splitlines() if "creasing" not in r and "json" not in r)
    pd_rep = mj.validate(pd.read_parquet(path), rules, warn_only=True, sample=3)
    sp_rep = mj.validate(spark.read.parquet(path), rules, warn_only=True, sample=3)
    for p, s in zip(pd_rep.results, sp_rep.results, strict=True):
        where = f"rule '{p.rule}': pandas {p.status} {p.message!r} / spark {s.status} {s.message!r}"
        assert (p.status, p.failing, p.checked, p.wrong_type) == (s.status, s.failing, s.checked, s.wrong_type), where
        if "(dtype " not in p.message and "reference 20" not in p.message:
            assert _close(p.observed, s.observed) and p.message == s.message, where
        assert [x["value"] for x in p.samples] == [x["value"] for x in s.samples], where
    # statistics, distinct values and tied values: every query an aggregate or bounded by a limit
    assert plans and all(pl.startswith("Aggregate") or "Limit" in pl[:200] for pl in plans), \
        [pl.split("\n")[0] for pl in plans]
    for text, why in [("seq is increasing", "no row order"), ("doc parses as json", "laxer than json.loads")]:
        with pytest.raises(RuleError, match=why):
            mj.validate(spark.read.parquet(path), text)


def test_timeline_on_spark_same_windows(spark, tmp_path, monkeypatch) -> None:
    from pyspark.sql import DataFrame

    from .test_duckdb_drift import _frame, _same

    path = str(tmp_path / "cur.parquet")
    _frame(900, 0.4, 2).to_parquet(path, index=False)
    monkeypatch.setattr(DataFrame, "toPandas", lambda self: pytest.fail("toPandas() on the Spark engine"))
    p = mj.drift(pd.read_parquet(path), by="ts", freq="W", method="psi", record_check=False)
    s = mj.drift(spark.read.parquet(path), by="ts", freq="W", method="psi", record_check=False)
    assert [(w.label, w.n_rows, w.is_reference, w.too_small) for w in p.windows] == \
           [(w.label, w.n_rows, w.is_reference, w.too_small) for w in s.windows]
    tested = [(a, b) for a, b in zip(p.windows, s.windows, strict=True) if a.report is not None]
    assert len(tested) >= 3
    for a, b in tested:
        assert b.report is not None
        assert [(c.column, c.status, c.n_cur) for c in a.report.columns] == \
               [(c.column, c.status, c.n_cur) for c in b.report.columns]
        assert all(_same(x.score, y.score) for x, y in zip(a.report.columns, b.report.columns, strict=True))
    assert not [v for v in spark.catalog.listTables() if v.name.startswith("mj_engine_")]  # window views dropped


def test_infer_suite_on_spark_passes_on_all_rows(spark, monkeypatch) -> None:
    import numpy as np
    from pyspark.sql import DataFrame

    from mlops_jupyter.engines import infer

    monkeypatch.setattr(infer, "SAMPLE_ROWS", 50)
    monkeypatch.setattr(DataFrame, "toPandas", lambda self: pytest.fail("toPandas() on the Spark engine"))
    rng = np.random.default_rng(0)
    df = pd.DataFrame({"id": np.arange(400), "x": rng.normal(0, 1, 400), "c": rng.choice(["a", "b"], 400)})
    df.loc[399, "x"] = 40.0  # outside any range a 50-row sample proposes
    sdf = spark.createDataFrame(df)
    suite = mj.infer_suite(sdf)
    assert "inferred on Spark from" in suite.description and "of 400 rows" in suite.description
    assert any(r.startswith("c in") for r in suite.rules) and len(suite.rules) >= 4
    rep = mj.validate(sdf, suite=suite)
    assert rep.ok and len(rep.results) == len(suite.rules)
