"""Fingerprints inside DuckDB: a relation's content digest, and a glob's per-file digests."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import mlops_jupyter as mj

duckdb = pytest.importorskip("duckdb")


def test_relation_fingerprint_follows_content_order_and_schema(tmp_path) -> None:
    df = pd.DataFrame({"x": np.arange(1000), "y": np.linspace(0, 1, 1000), "s": [f"v{i % 7}" for i in range(1000)]})
    df.iloc[:600].to_parquet(tmp_path / "a.parquet", index=False)
    df.iloc[600:].to_parquet(tmp_path / "b.parquet", index=False)
    glob = str(tmp_path / "*.parquet")
    fp = mj.fingerprint(duckdb.read_parquet(glob))
    assert fp.startswith("duckdb-rows:")
    con = duckdb.connect()
    # the same rows through another door (a query on another connection) give the same digest
    assert mj.fingerprint(con.sql(f"SELECT * FROM read_parquet('{glob}')")) == fp
    assert mj.fingerprint(con.sql(f"SELECT x, y, s FROM read_parquet('{glob}') WHERE x >= 0")) == fp
    changed = [
        f"SELECT x, CASE WHEN x = 999 THEN y + 1e-12 ELSE y END AS y, s FROM read_parquet('{glob}')",  # one value
        f"SELECT * FROM read_parquet('{glob}') ORDER BY x DESC",  # row order
        f"SELECT x AS z, y, s FROM read_parquet('{glob}')",  # a name
        f"SELECT CAST(x AS INTEGER) AS x, y, s FROM read_parquet('{glob}')",  # a type
        f"SELECT * FROM read_parquet('{glob}') WHERE x < 999",  # a row fewer
    ]
    digests = {mj.fingerprint(con.sql(query)) for query in changed}
    assert len(digests) == len(changed) and fp not in digests
    # a glob keeps its per-file digests (stable across engines: the Spark test compares them)
    assert mj.fingerprint(glob).startswith("files-md5:")


def test_relation_fingerprint_of_an_empty_relation() -> None:
    fp = mj.fingerprint(duckdb.sql("SELECT 1 AS a WHERE false"))
    assert fp.startswith("duckdb-rows:") and fp != mj.fingerprint(duckdb.sql("SELECT 1 AS b WHERE false"))
