"""Data several times larger than the memory the engine may use: validation and drift on
DuckDB succeed in a subprocess with DuckDB's memory_limit, and the process stays small."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

duckdb = pytest.importorskip("duckdb")

ROWS = 10_000_000  # 400 MB as 8-byte columns in memory (more as pandas strings); ~80 MB of Parquet
IN_MEMORY_MB = ROWS * 5 * 8 / 2**20
LIMIT = "64MB"


def _generate(folder: Path) -> None:
    con = duckdb.connect()
    for part, (lo, hi) in enumerate([(0, ROWS // 2), (ROWS // 2, ROWS)]):
        con.execute(f"""
            COPY (SELECT i AS id,
                         (hash(i) % 100000) / 1000.0 AS price,
                         CAST(hash(i * 7) % 5 AS INTEGER) AS qty,
                         ['FR', 'DE', 'IT'][CAST(hash(i * 13) % 3 AS INTEGER) + 1] AS country,
                         TIMESTAMP '2024-01-01' + to_seconds(CAST(i // 2000 AS BIGINT)) AS ts
                  FROM range({lo}, {hi}) r(i))
            TO '{folder / f"part-{part}.parquet"}' (FORMAT parquet, ROW_GROUP_SIZE 200000)""")
    con.close()


SCRIPT = textwrap.dedent("""
    import json, resource, sys, time
    import mlops_jupyter as mj
    import duckdb, pandas, scipy.stats, pyarrow.parquet  # noqa: the baseline includes the libraries
    base_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    folder = sys.argv[1]
    t0 = time.perf_counter()
    rep = mj.validate(folder, '''
    id is unique
    price between 0 and 100
    qty in {0, 1, 2, 3, 4}
    country in {"FR", "DE", "IT"}
    mean of price between 40 and 60
    median of price between 40 and 60
    quantile 0.99 of price < 100
    null fraction of country == 0
    rows == %d
    price < 99.99
    ''', warn_only=True)
    t1 = time.perf_counter()
    d = mj.drift(folder + "/part-0.parquet", folder + "/part-1.parquet", columns=["price", "qty", "country"],
                 engine="duckdb", record_check=False)
    t2 = time.perf_counter()
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps({"statuses": [r.status for r in rep.results], "failing": [r.failing for r in rep.results],
                      "messages": [r.message for r in rep.results],
                      "drift": [(c.column, c.method, c.status, c.n_ref, c.why) for c in d.columns],
                      "validate_s": t1 - t0, "drift_s": t2 - t1, "peak_mb": peak_mb, "base_mb": base_mb}))
""")


@pytest.mark.slow
def test_validate_and_drift_beyond_the_memory_limit(tmp_path: Path) -> None:
    _generate(tmp_path)
    env = {**os.environ, "MLOPS_JUPYTER_DUCKDB_MEMORY_LIMIT": LIMIT, "MLOPS_JUPYTER_HOME": str(tmp_path / "home")}
    proc = subprocess.run([sys.executable, "-c", SCRIPT % ROWS, str(tmp_path)], env=env, cwd=tmp_path,
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr[-2000:]
    out = json.loads(proc.stdout.strip().splitlines()[-1])
    print({k: v for k, v in out.items() if k != "messages"})
    assert out["statuses"] == ["pass"] * 9 + ["fail"], out["messages"]
    assert out["failing"][-1] > 0
    assert "approximate" in out["messages"][5]  # median above the exact-quantile limit: a sketch, said so
    cols = {c[0]: c for c in out["drift"]}
    assert cols["price"][2] == "ok" and 990_000 < cols["price"][3] < 1_010_000
    assert f"uniform sample of {cols['price'][3]:,} of {ROWS // 2:,} values" in cols["price"][4]
    assert cols["country"][3] == ROWS // 2  # counts per value stay exact
    # the data (400 MB of 8-byte values) is 6x DuckDB's limit; the process grew by less than
    # half of it beyond its libraries (measured: ~175 MB: DuckDB's buffers + two 1M-value samples)
    assert out["peak_mb"] - out["base_mb"] < IN_MEMORY_MB / 2
