"""DuckDB engine at scale: validate 40 rules and drift 10 columns on a Parquet folder,
next to pandas on a slice (linear extrapolation), with the DuckDB process's peak RSS.

Issue 18's target: 100M rows x 10 columns (``--rows 100000000``, ~4 GB, generated once
under ``benchmarks/_data/engines-N``) with peak RSS <= 2 GB. The default is 20M rows so a
``make bench`` stays a few minutes. Peers (pandera's and GX's Spark engines) are not run
here yet: they need their own venvs (see STACK.md).
``python benchmarks/bench_engines.py [--rows N] [--slice N] [--memory-limit 1GB]``
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import textwrap
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
RULES = "\n".join(
    [f"x{i} between -10 and 10" for i in range(6)]
    + [f"x{i} is not null" for i in range(6)]
    + [f"mean of x{i} between -0.1 and 0.1" for i in range(6)]
    + [f"quantile 0.99 of x{i} < 5" for i in range(6)]
    + [f"x{i} > -8 mostly 0.999" for i in range(6)]
    + ["id is unique", "rows > 0", 'cat in {"a", "b", "c", "d"}', 'cat matches "^[a-d]$"', "n >= 0",
       "n < 100", "null fraction of cat <= 0.01", "x0 + x1 < 20", "std of x2 > 0.5", "distinct count of cat == 4"]
)
WORK = textwrap.dedent("""
    import json, resource, sys, time
    import mlops_jupyter as mj
    data, engine, rules = sys.argv[1], sys.argv[2], sys.argv[3]
    if engine == "pandas":
        import pandas as pd
        data = pd.read_parquet(data)
    t0 = time.perf_counter()
    rep = mj.validate(data, rules, warn_only=True, engine=engine)
    t1 = time.perf_counter()
    cols = ["x0", "x1", "x2", "x3", "x4", "x5", "cat", "n", "flag", "id"]
    ref = data if engine != "pandas" else data.iloc[: len(data) // 2]
    cur = data if engine != "pandas" else data.iloc[len(data) // 2 :]
    d = mj.drift(ref, cur, columns=cols, engine=engine, record_check=False)
    t2 = time.perf_counter()
    print(json.dumps({"validate_s": t1 - t0, "drift_s": t2 - t1, "rules": len(rep.results),
                      "peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
""")


def generate(folder: Path, rows: int) -> None:
    import duckdb

    if folder.exists():
        return
    folder.mkdir(parents=True)
    con = duckdb.connect()
    step = 10_000_000
    for part, lo in enumerate(range(0, rows, step)):
        hi = min(rows, lo + step)
        xs = ", ".join(f"(hash(i * {k + 3}) % 2000000) / 200000.0 - 5 AS x{k}" for k in range(6))
        con.execute(f"""COPY (SELECT i AS id, {xs}, ['a','b','c','d'][CAST(hash(i) % 4 AS INTEGER) + 1] AS cat,
                              CAST(hash(i * 11) % 100 AS INTEGER) AS n, hash(i * 17) % 2 = 0 AS flag
                              FROM range({lo}, {hi}) r(i))
                        TO '{folder / f"part-{part:04d}.parquet"}' (FORMAT parquet)""")


def run(path: str, engine: str, env: dict[str, str]) -> dict[str, float]:
    out = subprocess.run([sys.executable, "-c", WORK, path, engine, RULES], env=env, capture_output=True,
                         text=True, timeout=3600)
    if out.returncode:
        raise RuntimeError(out.stderr[-2000:])
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rows", type=int, default=20_000_000)
    parser.add_argument("--slice", type=int, default=2_000_000, help="rows for the pandas run")
    parser.add_argument("--memory-limit", default="1GB")
    args, _ = parser.parse_known_args()
    folder = HERE / "_data" / f"engines-{args.rows}"
    t = time.perf_counter()
    generate(folder, args.rows)
    print(f"data: {args.rows:,} rows x 10 columns in {folder} ({time.perf_counter() - t:.0f} s to generate)")
    env = {**os.environ, "MLOPS_JUPYTER_DUCKDB_MEMORY_LIMIT": args.memory_limit,
           "PYTHONPATH": str(HERE.parent) + os.pathsep + os.environ.get("PYTHONPATH", "")}
    db = run(str(folder), "duckdb", env)
    slice_dir = HERE / "_data" / f"engines-slice-{args.slice}.parquet"
    if not slice_dir.exists():
        import duckdb

        duckdb.connect().execute(f"COPY (SELECT * FROM read_parquet('{folder}/*.parquet') LIMIT {args.slice}) "
                                 f"TO '{slice_dir}' (FORMAT parquet)")
    pd_run = run(str(slice_dir), "pandas", env)
    scale = args.rows / args.slice
    for what in ("validate_s", "drift_s"):
        est = pd_run[what] * scale
        print(f"{what[:-2]:>9}: duckdb {db[what]:8.1f} s | pandas {pd_run[what]:6.1f} s on {args.slice:,} rows "
              f"-> {est:8.1f} s extrapolated | ratio {est / db[what]:5.1f}x")
    print(f"peak RSS: duckdb {db['peak_mb']:.0f} MB (limit {args.memory_limit}; target <= 2048 MB) | "
          f"pandas {pd_run['peak_mb']:.0f} MB on the slice; {int(db['rules'])} rules")
    return 0 if db["peak_mb"] <= 2048 else 1


if __name__ == "__main__":
    sys.exit(main())
