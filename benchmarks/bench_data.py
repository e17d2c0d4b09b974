"""Data topic benchmarks: fingerprint speed, md5 throughput, re-pin of an unchanged file.

Targets (issue 3):
- fingerprint of a 1,000,000 x 25 DataFrame >= 10x faster than
  ``pandas.util.hash_pandas_object(df).sum()``;
- md5 of a 1 GiB file >= 90% of ``hashlib.md5`` throughput on the same file;
- re-pinning an unchanged 1 GiB file <= 5% of the time ``dvc add`` takes on it again.

Issue 18: the fingerprint of a float-heavy 1,000,000 x 25 frame against the hashing bound
(xxh3 over the raw column buffers), CPU time next to wall time (the machine is shared: CPU
time is the figure that does not depend on the other processes). Measured here (2 cores,
Nov 2026), best of 5, CPU / wall:

    before (isnan pass, then hash)     0.057 s / 0.104 s   9.5x hash_pandas_object in CPU
    after (max + hash per 1 MB block)  0.046 s / 0.104 s  11.5x; bound 0.024 s CPU (22x)

The remaining gap is the NaN test itself: a SIMD ``max`` over each block costs about as much
as hashing it; BLAS's dot product is faster alone but its threads fight the column threads.

Files live under ``benchmarks/_data/`` (git-ignored). ``--small`` runs a quick version.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import shutil
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
DATA = HERE / "_data" / "data_bench"
DVC = str(Path(sys.executable).with_name("dvc"))


def best_of(fn: Callable[[], Any], repeat: int = 3) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return min(times)


def make_frame(rows: int) -> Any:
    import numpy as np
    import pandas as pd

    rng = np.random.default_rng(0)
    cols: dict[str, Any] = {}
    for i in range(8):
        cols[f"int{i}"] = rng.integers(0, 1_000_000, rows)
    for i in range(7):
        f = rng.normal(size=rows)
        f[rng.random(rows) < 0.05] = np.nan
        cols[f"float{i}"] = f
    words = np.array([f"word-{i}" for i in range(5000)], dtype=object)
    for i in range(6):
        s = words[rng.integers(0, len(words), rows)].copy()
        s[rng.random(rows) < 0.02] = None
        cols[f"str{i}"] = pd.array(s, dtype="str")
    for i in range(4):
        cols[f"cat{i}"] = pd.Categorical.from_codes(rng.integers(0, 50, rows), [f"c{j}" for j in range(50)])
    return pd.DataFrame(cols)


def bench_fingerprint(rows: int) -> float:
    import pandas as pd

    import mlops_jupyter as mj

    df = make_frame(rows)
    assert df.shape[1] == 25
    mj.fingerprint(df)  # warm-up: imports (pyarrow.compute, xxhash) are not part of the measure
    # interleaved rounds, best of each: on a shared machine both see the same load
    ours, theirs = float("inf"), float("inf")
    for _ in range(4):
        ours = min(ours, best_of(lambda: mj.fingerprint(df), repeat=2))
        theirs = min(theirs, best_of(lambda: pd.util.hash_pandas_object(df).sum(), repeat=1))
    ratio = theirs / ours
    print(f"fingerprint {rows:,} x 25: ours {ours:.3f} s, hash_pandas_object().sum() {theirs:.3f} s "
          f"-> {ratio:.1f}x faster (target >= 10x)")
    return ratio


def bench_fingerprint_floats(rows: int) -> float:
    """A float-heavy frame (25 float64 columns, NaNs in 5): ours, the hashing bound and
    hash_pandas_object, CPU time and wall time each; returns ours / bound in CPU time."""
    import numpy as np
    import pandas as pd
    import xxhash

    import mlops_jupyter as mj

    rng = np.random.default_rng(0)
    cols = {f"f{i}": rng.normal(size=rows) for i in range(25)}
    for i in range(0, 25, 5):
        cols[f"f{i}"][rng.integers(0, rows, max(1, rows // 1000))] = np.nan
    df = pd.DataFrame(cols)

    def bound() -> None:
        for c in df:
            xxhash.xxh3_128(memoryview(np.ascontiguousarray(df[c].to_numpy()).view(np.uint8))).digest()

    def measure(fn: Callable[[], Any], repeat: int) -> tuple[float, float]:
        best = (float("inf"), float("inf"))
        for _ in range(repeat):
            wall, cpu = time.perf_counter(), time.process_time()
            fn()
            best = min(best, (time.process_time() - cpu, time.perf_counter() - wall))
        return best

    mj.fingerprint(df)
    ours, raw, theirs = measure(lambda: mj.fingerprint(df), 5), measure(bound, 5), \
        measure(lambda: pd.util.hash_pandas_object(df).sum(), 2)
    for name, (cpu, wall) in (("ours", ours), ("bound: xxh3 of the column buffers", raw),
                              ("hash_pandas_object().sum()", theirs)):
        print(f"fingerprint floats {rows:,} x 25, {name}: CPU {cpu:.3f} s, wall {wall:.3f} s")
    print(f"  -> {theirs[0] / ours[0]:.1f}x faster than hash_pandas_object in CPU time, "
          f"{ours[0] / raw[0]:.2f}x the hashing bound")
    return ours[0] / raw[0]


def make_file(path: Path, size: int) -> None:
    if path.exists() and path.stat().st_size == size:
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    block = os.urandom(16 * 1024 * 1024)
    with path.open("wb") as fh:
        left = size
        while left:
            n = min(left, len(block))
            fh.write(block[:n])
            left -= n


def hashlib_md5(path: Path) -> str:
    h = hashlib.md5()
    with path.open("rb") as fh:
        while chunk := fh.read(1024 * 1024):
            h.update(chunk)
    return h.hexdigest()


def bench_md5(path: Path) -> float:
    from mlops_jupyter.data.hashing import md5_file

    assert md5_file(path) == hashlib_md5(path)  # same digest; also warms the page cache
    ours, base = float("inf"), float("inf")
    for _ in range(3):  # interleaved: both see the same load on a shared machine
        ours = min(ours, best_of(lambda: md5_file(path), repeat=1))
        base = min(base, best_of(lambda: hashlib_md5(path), repeat=1))
    gib = path.stat().st_size / 2**30
    pct = 100 * base / ours
    print(f"md5 of {gib:.2f} GiB: ours {gib / ours:.2f} GiB/s, hashlib {gib / base:.2f} GiB/s "
          f"-> {pct:.0f}% of hashlib throughput (target >= 90%)")
    return pct


def bench_repin(path: Path) -> float:
    import mlops_jupyter as mj
    from mlops_jupyter.session import session

    repo = DATA / "repo"
    if repo.exists():
        shutil.rmtree(repo)
    repo.mkdir(parents=True)
    env = dict(os.environ, DVC_NO_ANALYTICS="1")
    run = lambda *cmd: subprocess.run(list(cmd), cwd=repo, check=True, capture_output=True, env=env)  # noqa: E731
    run("git", "init", "-q")
    run("git", "config", "user.email", "bench@example.com")
    run("git", "config", "user.name", "bench")
    run(DVC, "init", "-q")
    (repo / ".gitignore").write_text(".mlops/\n")
    target = repo / "big.bin"
    os.link(path, target) if path.stat().st_dev == repo.stat().st_dev else shutil.copyfile(path, target)
    cwd = Path.cwd()
    os.chdir(repo)
    session.start_dir = repo
    try:
        start = time.perf_counter()
        mj.pin("big.bin", message="pin big")  # first pin: our md5 + dvc add
        first = time.perf_counter() - start
        dvc_again = best_of(lambda: run(DVC, "add", "-q", "big.bin"), repeat=2)
        ours = best_of(lambda: mj.pin("big.bin"), repeat=3)
    finally:
        os.chdir(cwd)
        session.start_dir = None
    pct = 100 * ours / dvc_again
    print(f"re-pin unchanged {target.stat().st_size / 2**30:.2f} GiB: ours {ours * 1000:.0f} ms, "
          f"`dvc add` again {dvc_again * 1000:.0f} ms -> {pct:.1f}% (target <= 5%); first pin {first:.1f} s")
    return pct


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--small", action="store_true", help="100k rows and a 64 MiB file (quick check)")
    args = parser.parse_args(argv if argv is not None else [])
    os.environ["MLOPS_PROGRESS"] = "0"  # progress bars would interleave with the results
    rows = 100_000 if args.small else 1_000_000
    size = 64 * 2**20 if args.small else 2**30
    big = DATA / f"big-{size}.bin"
    make_file(big, size)
    fp = bench_fingerprint(rows)
    bench_fingerprint_floats(rows)
    md5 = bench_md5(big)
    repin = bench_repin(big)
    ok = fp >= 10 and md5 >= 90 and repin <= 5
    print(f"data: {'all targets met' if ok else 'TARGET MISSED'}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
